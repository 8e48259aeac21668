//! The page's side of the engine worker: starts it with the verified model files, forwards
//! runs to it, and ends and restarts it to stop a run at once or to recover from a crash.

use crate::protocol::{FromWorker, ToWorker};
use crate::settings::BackendPref;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// What the page does with the worker's messages; `Err` reports that the worker died.
pub type Handler = Rc<dyn Fn(Result<FromWorker, String>)>;

struct Host {
    worker: web_sys::Worker,
    /// Kept alive as long as the worker they listen to.
    _listeners: [Closure<dyn FnMut(web_sys::Event)>; 2],
}

struct Setup {
    /// The backend the link asked for when the page opened.
    backend: BackendPref,
    manifest: Option<String>,
    /// File name → bytes (Uint8Array), already checked against the manifest.
    files: js_sys::Object,
    /// Whether the worker builds the larger verifier too (once a visitor chose it).
    large_verifier: Cell<bool>,
    handler: Handler,
}

thread_local! {
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
    static SETUP: RefCell<Option<Rc<Setup>>> = const { RefCell::new(None) };
}

/// Starts the worker with these files; it answers with `Backend`, then `Ready` or `Failed`.
pub fn start(backend: BackendPref, manifest: Option<String>, files: Vec<(String, Vec<u8>)>, handler: Handler) -> Result<(), String> {
    let object = js_sys::Object::new();
    add_files(&object, files)?;
    SETUP.with(|s| *s.borrow_mut() = Some(Rc::new(Setup { backend, manifest, files: object, large_verifier: Cell::new(false), handler })));
    spawn()
}

fn add_files(object: &js_sys::Object, files: Vec<(String, Vec<u8>)>) -> Result<(), String> {
    for (name, bytes) in files {
        let array = js_sys::Uint8Array::from(bytes.as_slice());
        js_sys::Reflect::set(object, &JsValue::from_str(&name), &array).map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

/// Restarts the worker with the larger verifier's `files` beside the others; from now on every
/// restart builds it too. It answers with `LargeVerifier`, then `Ready`.
pub fn add_large_verifier(files: Vec<(String, Vec<u8>)>) -> Result<(), String> {
    let Some(setup) = SETUP.with(|s| s.borrow().clone()) else { return Err("the engine was never started".into()) };
    add_files(&setup.files, files)?;
    setup.large_verifier.set(true);
    spawn()
}

/// The worker could not build the larger verifier: later restarts do not try again.
pub fn drop_large_verifier() {
    if let Some(setup) = SETUP.with(|s| s.borrow().clone()) {
        setup.large_verifier.set(false);
    }
}

/// Ends the worker (whatever it was doing) and starts a fresh one with the same models.
pub fn restart() -> Result<(), String> {
    spawn()
}

fn terminate() {
    HOST.with(|h| {
        if let Some(host) = h.borrow_mut().take() {
            // Nothing of the old worker may reach the page once its listeners are dropped.
            host.worker.set_onmessage(None);
            host.worker.set_onerror(None);
            host.worker.terminate();
        }
    });
}

/// The URLs of this app's JS and wasm, which boot.js read from Trunk's tag.
fn boot_urls() -> Result<(String, String), String> {
    let meta = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=ponder-boot]").ok().flatten())
        .ok_or("the page has no ponder-boot tag (was it built by Trunk?)")?;
    let js = meta.get_attribute("data-js").ok_or("the ponder-boot tag has no data-js")?;
    let wasm = meta.get_attribute("data-wasm").ok_or("the ponder-boot tag has no data-wasm")?;
    Ok((js, wasm))
}

/// Starts a worker, ending the one before it, if any.
fn spawn() -> Result<(), String> {
    let Some(setup) = SETUP.with(|s| s.borrow().clone()) else { return Err("the engine was never started".into()) };
    let (js, wasm) = boot_urls()?;
    let url = format!(
        "worker.js?js={}&wasm={}",
        String::from(js_sys::encode_uri_component(&js)),
        String::from(js_sys::encode_uri_component(&wasm))
    );
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(&url, &options).map_err(|e| format!("cannot start the engine worker: {e:?}"))?;
    let on_message = {
        let (setup, worker) = (setup.clone(), worker.clone());
        Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else { return };
            let text = e.data().as_string().unwrap_or_default();
            match serde_json::from_str::<FromWorker>(&text) {
                // The worker listens now: send it the backend to start and the model files.
                Ok(FromWorker::Hello) => {
                    if let Err(e) = send(&worker, &ToWorker::Init { backend: setup.backend, manifest: setup.manifest.clone(), large_verifier: setup.large_verifier.get() }, Some(&setup.files)) {
                        (setup.handler)(Err(e));
                    }
                }
                Ok(msg) => (setup.handler)(Ok(msg)),
                Err(e) => (setup.handler)(Err(format!("the engine sent a message the page cannot read: {e}"))),
            }
        })
    };
    let on_error = {
        let setup = setup.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let detail = e.dyn_ref::<web_sys::ErrorEvent>().map(|e| e.message()).unwrap_or_else(|| "it could not be loaded".into());
            (setup.handler)(Err(format!("the engine stopped with an error ({detail})")));
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    terminate();
    HOST.with(|h| *h.borrow_mut() = Some(Host { worker, _listeners: [on_message, on_error] }));
    Ok(())
}

fn send(worker: &web_sys::Worker, msg: &ToWorker, files: Option<&js_sys::Object>) -> Result<(), String> {
    let json = serde_json::to_string(msg).map_err(|e| format!("cannot encode a message for the engine: {e}"))?;
    let data = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&data, &"msg".into(), &JsValue::from_str(&json));
    if let Some(files) = files {
        let _ = js_sys::Reflect::set(&data, &"files".into(), files);
    }
    worker.post_message(&data).map_err(|e| format!("cannot reach the engine worker: {e:?}"))
}

/// Sends a run or sweep to the worker.
pub fn post(msg: &ToWorker) -> Result<(), String> {
    HOST.with(|h| match h.borrow().as_ref() {
        Some(host) => send(&host.worker, msg, None),
        None => Err("the engine is not running".into()),
    })
}
