//! Ponder's web app: the generator and the verifier run in the page (WebGPU, or burn's CPU
//! backend in wasm), and lanes side by side show what a compute budget buys when spent in
//! parallel, sequentially, in search, or as the compute-optimal policy would.
//!
//! The same wasm runs the page and, in a dedicated worker, the engine:
//! - [`state`]: what the page knows (its link, the engine's status, the weights being
//!   loaded, the jobs it runs in the worker), and [`views`], which draw it;
//! - [`worker`]: the engine (the models, built once, and every run);
//! - [`protocol`]: the typed messages between the two, carrying the arena crate's settings.
//!
//! What turns the engine's events into lanes, and the link syntax, are the `arena` crate's,
//! shared with the desktop app.

mod protocol;
use arena::settings;
mod state;
mod util;
mod views;
mod worker;

unsafe extern "C" {
    /// The static constructors (cubecl registers hundreds through `inventory`).
    fn __wasm_call_ctors();
}

#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start_app() {
    // Run the constructors once, here. Without an explicit call, wasm-ld wraps every export
    // in a call to all of them, and each JS→wasm call (every event, message and timer)
    // cost milliseconds (measured with Chromium's profiler).
    unsafe { __wasm_call_ctors() };
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        if worker::in_worker() {
            worker::report_panic(&info.to_string());
        } else {
            views::show_fault(&info.to_string());
        }
    }));
    // The same wasm runs the page and, in a dedicated worker, the engine.
    if worker::in_worker() {
        worker::run();
    } else {
        leptos::mount::mount_to_body(views::app::App);
    }
}
