//! The engine worker: the same wasm, started in a dedicated worker by the page's host, owns
//! the device and the models ([`models`]), runs what the page sends ([`runs`]) and posts their
//! events back. Only the page's messages reach it; the page ends it to stop a run.

mod backend;
mod models;
mod runs;

use crate::protocol::{FromWorker, ToWorker};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// True inside a dedicated worker (where this wasm runs the engine, not the page).
pub fn in_worker() -> bool {
    js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>().is_ok()
}

fn post(msg: &FromWorker) {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    match serde_json::to_string(msg) {
        Ok(json) => {
            let _ = scope.post_message(&JsValue::from_str(&json));
        }
        Err(e) => web_sys::console::error_1(&format!("cannot encode a message for the page: {e}").into()),
    }
}

/// Called by the panic hook: tells the page before the worker's wasm traps, so the page can
/// name the panic and restart the engine.
pub fn report_panic(message: &str) {
    post(&FromWorker::Crashed { message: message.to_string() });
}

/// Listens for the page's messages and says hello once it does.
pub fn run() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let data = e.data();
        let json = js_sys::Reflect::get(&data, &"msg".into()).ok().and_then(|m| m.as_string()).unwrap_or_default();
        let files = js_sys::Reflect::get(&data, &"files".into()).ok().filter(|f| f.is_object());
        match serde_json::from_str::<ToWorker>(&json) {
            Ok(msg) => dispatch(msg, files),
            Err(e) => post(&FromWorker::Failed { message: format!("the page sent a message the engine cannot read: {e}") }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Hello);
}

/// Starts what `msg` asks for; the model files come with `Init` only.
fn dispatch(msg: ToWorker, files: Option<JsValue>) {
    use wasm_bindgen_futures::spawn_local;
    match msg {
        ToWorker::Init { backend, manifest, large_verifier } => spawn_local(models::init(backend, manifest, files, large_verifier)),
        ToWorker::Run { generation, settings, lanes, problem } => runs::arena(generation, &settings, &lanes, problem),
        ToWorker::Sweep { generation, settings, sweep } => spawn_local(runs::sweep(generation, settings, sweep)),
        ToWorker::Bench { generation, settings } => spawn_local(runs::bench(generation, settings)),
        ToWorker::StudyCell { generation, budget, seeds, groups } => spawn_local(runs::study_cell(generation, budget, seeds, groups)),
    }
}
