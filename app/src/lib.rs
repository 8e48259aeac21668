//! Ponder's web app: the generator and the verifier run in the page (WebGPU, or burn's CPU
//! backend in wasm), and lanes side by side show what a compute budget buys when spent in
//! parallel, sequentially, in search, or as the compute-optimal policy would.

mod arena;
mod backend;
mod config;
mod controls;
mod lane;
mod loader;
mod runner;
mod sweep;
mod util;

use config::{Config, View};
use engine::models::Models;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// The loaded models and device: not `Send`, so kept out of the reactive graph.
    static MODELS: RefCell<Option<Rc<Models>>> = const { RefCell::new(None) };
}

pub fn models() -> Option<Rc<Models>> {
    MODELS.with(|m| m.borrow().clone())
}

/// What the page knows about its backend and weights.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    StartingBackend,
    Loading(loader::Progress),
    Ready { weights: String },
    /// The weights could not be loaded; the page still validates and draws problems.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackendStatus {
    pub kind: String,
    pub adapter: String,
    pub fallback: Option<String>,
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

fn current_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

fn write_query(query: &str) {
    if let Some(w) = web_sys::window() {
        if let Ok(history) = w.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query));
        }
    }
}

/// Starts the backend and loads the weights (random ones when none are shipped).
async fn start(pref: config::BackendPref, backend: RwSignal<Option<BackendStatus>>, status: RwSignal<Status>) {
    let started = backend::start(pref).await;
    backend.set(Some(BackendStatus { kind: started.info.kind.clone(), adapter: started.info.adapter.clone(), fallback: started.fallback.clone() }));
    status.set(Status::Loading(loader::Progress::default()));
    let device = started.device;
    let loaded = loader::load(&mut |p| status.set(Status::Loading(p))).await;
    let models = match loaded {
        Ok((manifest, files)) => {
            let files: std::collections::HashMap<String, Vec<u8>> =
                files.into_iter().map(|(role, bytes)| (manifest.entry(role).map(|e| e.file.clone()).unwrap_or_default(), bytes)).collect();
            Models::from_manifest(manifest, |file| files.get(file).cloned().ok_or_else(|| engine::model::weights::WeightsError::Read { file: file.into(), detail: "not downloaded".into() }), &device)
                .map(|m| (m, "trained weights, sha256 verified".to_string()))
                .map_err(|e| format!("{}{e}", loader::MODELS_DIR))
        }
        Err(loader::LoadError::NoManifest(_)) => Models::random(&device, 0)
            .map(|m| (m, "randomly initialised weights: no trained models are shipped with this build".to_string()))
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match models {
        Ok((m, weights)) => {
            MODELS.with(|slot| *slot.borrow_mut() = Some(Rc::new(m)));
            status.set(Status::Ready { weights });
        }
        Err(e) => status.set(Status::Failed(e)),
    }
}

#[component]
fn App() -> impl IntoView {
    let (initial, url_errors) = Config::from_query(&current_query());
    let config = RwSignal::new(initial.clone());
    Effect::new(move |_| write_query(&config.get().to_query()));
    let backend = RwSignal::new(None::<BackendStatus>);
    let status = RwSignal::new(Status::StartingBackend);
    leptos::task::spawn_local(start(initial.backend, backend, status));
    let runner = runner::Runner::new();

    let backend_line = move || match backend.get() {
        None => view! { <p class="backend">"starting the GPU…"</p> }.into_any(),
        Some(b) => {
            let banner = b.fallback.clone().map(|why| {
                view! {
                    <p class="banner" role="status" data-testid="cpu-banner">
                        {format!("Running on the CPU (burn's CPU backend in WebAssembly): {why}. Everything works, only slower.")}
                    </p>
                }
            });
            view! {
                {banner}
                <p class="backend" data-testid="backend">{format!("backend: {} · {}", if b.kind == "wgpu" { "WebGPU" } else { "CPU" }, b.adapter)}</p>
            }
            .into_any()
        }
    };
    let status_line = move || match status.get() {
        Status::StartingBackend => view! { <p class="status">"waiting for the backend…"</p> }.into_any(),
        Status::Loading(p) => {
            let pct = if p.total > 0 { (p.done as f64 / p.total as f64 * 100.0).min(100.0) } else { 0.0 };
            view! {
                <div class="status">
                    <label for="load-progress">{format!("loading models: {} ({} of {} kB, {pct:.0}%){}", p.file, p.done / 1024, p.total / 1024, if p.from_cache { ", from the cache" } else { "" })}</label>
                    <progress id="load-progress" max="100" value=pct></progress>
                </div>
            }
            .into_any()
        }
        Status::Ready { weights } => view! { <p class="status ready" data-testid="models-ready">{format!("models ready: {weights}")}</p> }.into_any(),
        Status::Failed(e) => view! { <p class="status error" role="alert" data-testid="models-error">{format!("The models could not be loaded: {e}. Problems can still be typed and checked; runs need the models.")}</p> }.into_any(),
    };
    let url_notes = (!url_errors.is_empty()).then(|| {
        view! { <ul class="url-errors" role="alert">{url_errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul> }
    });
    let tab = move |v: View, label: &'static str| {
        view! {
            <button class="tab" class:active=move || config.with(|c| c.view == v) aria-pressed=move || (config.with(|c| c.view == v)).to_string()
                on:click=move |_| config.update(|c| c.view = v)>{label}</button>
        }
    };
    view! {
        <header class="top">
            <h1>"Ponder"</h1>
            <p class="lede">
                "Test-time compute, made visible. A small language model solves arithmetic chains on your own GPU, and a "
                "second model, the verifier, scores every step. Give it a budget and watch what the budget buys when spent "
                "in parallel, sequentially, or in search."
            </p>
            {backend_line}
            {status_line}
            {url_notes}
            <nav class="tabs" aria-label="views">{tab(View::Arena, "Arena")}{tab(View::Sweep, "Sweep")}</nav>
        </header>
        <main>
            {move || match config.with(|c| c.view) {
                View::Arena => view! { <controls::Controls config=config runner=runner.clone() status=status /> }.into_any(),
                View::Sweep => view! { <sweep::Sweep config=config status=status /> }.into_any(),
            }}
        </main>
        <footer class="foot">
            <p>"After Snell et al., \"Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model Parameters\" (2024). Everything runs in this page; nothing is sent anywhere."</p>
        </footer>
    }
}
