//! What every command may need of the machine it runs on: a line naming it, and Ctrl-C.

use engine::infer::CancelToken;

/// The processor and its core count, as benchmark and training records name the machine.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{model}, {cpus} cores")
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
