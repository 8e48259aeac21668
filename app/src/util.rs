//! Small browser helpers.

use wasm_bindgen_futures::JsFuture;

/// Resolves after `ms` milliseconds (a macrotask: the page paints and handles input first).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Milliseconds since the page started.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// A FLOPs count in a short human form (1.2 GFLOP).
pub fn flops(f: f64) -> String {
    let units = [(1e15, "PFLOP"), (1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "kFLOP")];
    for (scale, unit) in units {
        if f >= scale {
            return format!("{:.2} {unit}", f / scale);
        }
    }
    format!("{f:.0} FLOP")
}

/// A background color for a verifier score in 0..1: red (0) through yellow to green (1).
pub fn score_color(score: f32) -> String {
    let s = score.clamp(0.0, 1.0);
    format!("hsl({:.0}, 70%, 86%)", s * 120.0)
}
