//! Ponder's web app: the generator and the verifier run in the page (WebGPU, or burn's CPU
//! backend in wasm), and lanes side by side show what a compute budget buys when spent in
//! parallel, sequentially, in search, or as the compute-optimal policy would.

mod arena;
mod backend;
mod bench;
mod config;
mod controls;
mod host;
mod job;
mod lane;
mod loader;
mod protocol;
mod runner;
mod study;
mod sweep;
mod util;
mod worker;

use config::{Config, View};
use leptos::prelude::*;
use protocol::FromWorker;
use std::rc::Rc;

/// What the page knows about its backend and weights.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    StartingBackend,
    Loading(loader::Progress),
    Ready { weights: String },
    /// The engine worker is being started afresh (after Stop, a failed run or a crash).
    Restarting(String),
    /// The weights could not be loaded; the page still validates and draws problems.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackendStatus {
    pub kind: String,
    pub adapter: String,
    pub fallback: Option<String>,
    /// Both backends' decode throughput per batch size, when the CPU runs beside WebGPU.
    pub plan: Vec<protocol::PlanRow>,
    pub measuring: bool,
}

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
            show_fault(&info.to_string());
        }
    }));
    // The same wasm runs the page and, in a dedicated worker, the engine.
    if worker::in_worker() {
        worker::run();
    } else {
        leptos::mount::mount_to_body(App);
    }
}

/// A panic on the page itself: say so in a banner written straight into the document (the
/// reactive views may be what broke) with what to do.
fn show_fault(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(banner) = document.create_element("p") else { return };
    banner.set_class_name("banner fault");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "page-fault");
    banner.set_text_content(Some(&format!(
        "Something in the page broke ({message}). The models and your settings are safe: if a control stops responding, reload the page (the link keeps your settings)."
    )));
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&banner);
    }
}

/// Ends the engine worker and starts a fresh one with the same models.
pub fn restart_engine(status: RwSignal<Status>, why: &str) {
    status.set(Status::Restarting(why.to_string()));
    if let Err(e) = host::restart() {
        status.set(Status::Failed(e));
    }
}

fn current_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

fn write_query(query: &str) {
    if let Some(w) = web_sys::window()
        && let Ok(history) = w.history()
    {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query));
    }
}

/// Loads and verifies the weights, then starts the engine worker with them (random weights
/// when none are shipped); the worker starts the backend and reports it.
async fn start(query: String, status: RwSignal<Status>, cache_note: RwSignal<Option<String>>, handler: host::Handler) {
    status.set(Status::Loading(loader::Progress::default()));
    let (manifest, files) = match loader::load(&mut |p| status.set(Status::Loading(p))).await {
        Ok(loader::Loaded { manifest, files, not_cached }) => {
            cache_note.set(not_cached);
            let files: Vec<(String, Vec<u8>)> =
                files.into_iter().filter_map(|(role, bytes)| Some((manifest.entry(role).ok()?.file.clone(), bytes))).collect();
            match serde_json::to_string(&manifest) {
                Ok(text) => (Some(text), files),
                Err(e) => return status.set(Status::Failed(format!("{}{}: {e}", loader::MODELS_DIR, engine::model::weights::MANIFEST_FILE))),
            }
        }
        Err(loader::LoadError::NoManifest(_)) => (None, Vec::new()),
        Err(e) => return status.set(Status::Failed(e.to_string())),
    };
    status.set(Status::StartingBackend);
    if let Err(e) = host::start(query, manifest, files, handler) {
        status.set(Status::Failed(e));
    }
}

#[component]
fn App() -> impl IntoView {
    let (initial, url_errors) = Config::from_query(&current_query());
    let config = RwSignal::new(initial.clone());
    Effect::new(move |_| write_query(&config.get().to_query()));
    let backend = RwSignal::new(None::<BackendStatus>);
    let status = RwSignal::new(Status::Loading(loader::Progress::default()));
    let runner = runner::Runner::new(status);
    let sweep = sweep::SweepRun::new(status);
    let bench = bench::BenchRun::new();
    let study = study::StudyRun::new();
    // Whether the engine ever became ready: a worker that dies before that is not restarted
    // (it would die again), one that dies later is.
    let ever_ready = StoredValue::new(false);
    // The engine died (a panic, or its worker failed): end what ran in it and start it afresh,
    // unless it never got going (it would die again).
    let on_crash = move |why: String| {
        runner.on_crash(&why);
        sweep.on_crash(&why);
        bench.on_crash(&why);
        if ever_ready.get_value() {
            restart_engine(status, &format!("{why}; the engine starts afresh"));
        } else {
            status.set(Status::Failed(why));
        }
    };
    let handler: host::Handler = Rc::new(move |msg| match msg {
        Ok(FromWorker::Hello) => {}
        Ok(FromWorker::Backend { kind, adapter, fallback }) => backend.set(Some(BackendStatus { kind, adapter, fallback, plan: Vec::new(), measuring: false })),
        Ok(FromWorker::MeasuringBackends) => backend.update(|b| {
            if let Some(b) = b {
                b.measuring = true;
            }
        }),
        Ok(FromWorker::BackendPlan { rows }) => backend.update(|b| {
            if let Some(b) = b {
                b.plan = rows;
                b.measuring = false;
            }
        }),
        Ok(FromWorker::Ready { weights }) => {
            ever_ready.set_value(true);
            status.set(Status::Ready { weights });
        }
        Ok(FromWorker::Failed { message }) => status.set(Status::Failed(message)),
        Ok(FromWorker::Lane { generation, lane, update }) => runner.on_update(generation, lane, update),
        Ok(FromWorker::SweepCell { generation, level, series, budget, right }) => sweep.on_cell(generation, level, series, budget, right),
        Ok(FromWorker::SweepEnded { generation, message }) => sweep.on_ended(generation, message),
        Ok(FromWorker::BenchRow { generation, row }) => bench.on_row(generation, row),
        Ok(FromWorker::BenchEnded { generation, message }) => bench.on_ended(generation, message),
        Ok(FromWorker::StudyRun { generation, right }) => study.on_run(generation, right),
        Ok(FromWorker::StudyEnded { generation, message }) => study.on_ended(generation, message),
        Ok(FromWorker::Crashed { message }) => on_crash(format!("the engine panicked: {message}")),
        Err(why) => on_crash(why),
    });
    // Whatever restarts the engine (Stop in the arena or the sweep, a failed run) ends what
    // else was running in it; the one that asked has already marked itself stopped.
    Effect::new(move |_| {
        if let Status::Restarting(why) = status.get() {
            runner.on_crash(&why);
            sweep.on_crash(&why);
            bench.on_crash(&why);
            study.on_crash(&why);
        }
    });
    let cache_note = RwSignal::new(None::<String>);
    leptos::task::spawn_local(start(initial.to_query(), status, cache_note, handler));

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
            let measuring = b.measuring.then(|| {
                view! { <p class="backend">"measuring the CPU and WebGPU decoding 1, 16 and 64 rows, to run each batch on the faster one…"</p> }
            });
            let plan = (!b.plan.is_empty()).then(|| {
                let parts: Vec<String> = b
                    .plan
                    .iter()
                    .map(|r| {
                        let winner = if r.cpu_wins() { "CPU" } else { "WebGPU" };
                        format!("{} row{} → {winner} (CPU {:.0}, WebGPU {:.0} tokens/s)", r.batch, if r.batch == 1 { "" } else { "s" }, r.cpu, r.webgpu)
                    })
                    .collect();
                view! {
                    <p class="backend" data-testid="backend-plan">
                        {format!("Each run decodes on the backend measured faster for its batch here: {}. (backend=webgpu or backend=cpu in the link fixes one.)", parts.join(" · "))}
                    </p>
                }
            });
            view! {
                {banner}
                <p class="backend" data-testid="backend">{format!("backend: {} · {}", if b.kind == "wgpu" { "WebGPU" } else { "CPU" }, b.adapter)}</p>
                {measuring}
                {plan}
            }
            .into_any()
        }
    };
    let status_line = move || match status.get() {
        Status::StartingBackend => view! { <p class="status">"starting the engine and the backend…"</p> }.into_any(),
        Status::Restarting(why) => view! { <p class="status" data-testid="models-restarting">{format!("restarting the engine ({why})…")}</p> }.into_any(),
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
    let cache_line = move || {
        cache_note.get().map(|why| {
            view! {
                <p class="note" role="status" data-testid="cache-note">
                    {format!("The weights could not be saved for your next visit ({why}); they work now and will be downloaded again next time. Freeing browser storage for this site fixes it.")}
                </p>
            }
        })
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
            {cache_line}
            {url_notes}
            <nav class="tabs" aria-label="views">{tab(View::Arena, "Arena")}{tab(View::Sweep, "Sweep")}{tab(View::Study, "Study")}{tab(View::Bench, "Benchmark")}</nav>
        </header>
        <main>
            {move || match config.with(|c| c.view) {
                View::Arena => view! { <controls::Controls config=config runner=runner status=status /> }.into_any(),
                View::Sweep => view! { <sweep::Sweep config=config status=status sweep=sweep /> }.into_any(),
                View::Bench => view! { <bench::Bench config=config status=status bench=bench /> }.into_any(),
                View::Study => view! { <study::Study status=status study=study /> }.into_any(),
            }}
        </main>
        <footer class="foot">
            <p>"After Snell et al., \"Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model Parameters\" (2024). Everything runs in this page; nothing is sent anywhere."</p>
        </footer>
    }
}
