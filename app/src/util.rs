//! Small browser helpers.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Resolves after `ms` milliseconds (a macrotask: other tasks and messages run first). Works
/// in the page and in the engine worker.
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(set_timeout) = Reflect::get(&js_sys::global(), &"setTimeout".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
            let _ = set_timeout.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(ms));
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Milliseconds since the page (or worker) started.
pub fn now_ms() -> f64 {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map(|p| p.now())
        .unwrap_or(0.0)
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
