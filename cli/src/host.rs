//! What every command may need of the machine it runs on: a line naming it, and Ctrl-C.

use engine::infer::CancelToken;

/// The processor, its core count and the SIMD features the kernels can use, as benchmark and
/// training records name the machine (the same processor name can hide different SIMD).
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{model}, {cpus} cores, SIMD: {}", simd_features())
}

/// The SIMD extensions this processor has, of those that matter to the CPU kernels.
fn simd_features() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let found: Vec<&str> = [
            ("sse4.2", std::arch::is_x86_feature_detected!("sse4.2")),
            ("avx", std::arch::is_x86_feature_detected!("avx")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
            ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
        ]
        .into_iter()
        .filter_map(|(name, has)| has.then_some(name))
        .collect();
        if found.is_empty() { "none".into() } else { found.join(" ") }
    }
    #[cfg(target_arch = "aarch64")]
    {
        "neon".into()
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "unknown".into()
    }
}

/// A token that Ctrl-C cancels, saying `message` (a second Ctrl-C exits at once).
pub fn ctrlc_cancel_token(message: &'static str) -> CancelToken {
    let cancel = CancelToken::new();
    let c = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if c.is_cancelled() {
            std::process::exit(130);
        }
        eprintln!("\n{message}…");
        c.cancel();
    });
    cancel
}
