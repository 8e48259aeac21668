//! The whole page: the header (what the page is, the backend, the models' status, notes on the
//! link and the cache, the tabs) and the view of the tab chosen.

use crate::state::config::{Config, View};
use crate::state::{BackendStatus, Page, Status, current_query};
use crate::views::{arena::Arena, bench::Bench, lessons::Lessons, study::Study, sweep::Sweep};
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let query = current_query();
    let (initial, url_errors) = Config::from_query(&query);
    let page = Page::new(initial);
    page.start();
    // A first visit (no settings in the link) opens on a problem where the strategies came out
    // differently in the study.
    if query.trim_start_matches('?').is_empty() {
        page.open_on_contrasting_problem();
    }
    // Projector mode: large type and high contrast, for the whole page.
    Effect::new(move |_| {
        let on = page.config.with(|c| c.projector);
        // On the root element, so every size in rem grows with it.
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.class_list().toggle_with_force("projector", on);
        }
    });
    view! {
        <header class="top">
            <h1>"Ponder"</h1>
            <p class="lede">
                "Test-time compute, made visible. A small language model solves arithmetic chains on your own GPU, and a "
                "second model, the verifier, scores every step. Give it a budget and watch what the budget buys when spent "
                "in parallel, sequentially, or in search."
            </p>
            <BackendLine backend=page.backend />
            <StatusLine status=page.status />
            <CacheNote note=page.cache_note />
            <UrlErrors errors=url_errors />
            <Tabs page=page />
        </header>
        <main>
            {move || match page.config.with(|c| c.view) {
                View::Arena => view! { <Arena page=page /> }.into_any(),
                View::Sweep => view! { <Sweep config=page.config ready=Signal::derive(move || page.can_run()) sweep=page.sweep /> }.into_any(),
                View::Bench => view! { <Bench config=page.config status=page.status bench=page.bench /> }.into_any(),
                View::Study => view! { <Study status=page.status study=page.study /> }.into_any(),
                View::Lessons => view! { <Lessons page=page /> }.into_any(),
            }}
        </main>
        <footer class="foot">
            <p>"After Snell et al., \"Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model Parameters\" (2024). Everything runs in this page; nothing is sent anywhere."</p>
        </footer>
    }
}

/// The backend the engine started, why it is the CPU when it is, and which backend each batch
/// size decodes on when both run.
#[component]
fn BackendLine(backend: RwSignal<Option<BackendStatus>>) -> impl IntoView {
    move || match backend.get() {
        None => view! { <p class="backend">"starting the GPU…"</p> }.into_any(),
        Some(b) => {
            let banner = b.fallback.clone().map(|f| {
                let details = f.detail.map(|d| view! { <details class="detail"><summary>"technical details"</summary><code data-testid="cpu-banner-detail">{d}</code></details> });
                view! {
                    <div class="banner" role="status">
                        <p data-testid="cpu-banner">{format!("Running on the CPU: {}. Everything works, only slower.", f.why)}</p>
                        {details}
                    </div>
                }
            });
            let measuring = b.measuring.then(|| {
                view! { <p class="backend">"measuring the CPU and WebGPU decoding 1, 16 and 64 rows, to run each batch on the faster one…"</p> }
            });
            view! {
                {banner}
                <p class="backend" data-testid="backend">{format!("backend: {} · {}", if b.kind == "wgpu" { "WebGPU" } else { "CPU" }, b.adapter)}</p>
                {measuring}
                {plan_line(&b)}
            }
            .into_any()
        }
    }
}

/// Both backends' measured throughput per batch size, and the one each batch runs on.
fn plan_line(b: &BackendStatus) -> Option<impl IntoView + use<>> {
    (!b.plan.is_empty()).then(|| {
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
    })
}

/// Loading the models (with progress), starting or restarting the engine, ready, or why not.
#[component]
fn StatusLine(status: RwSignal<Status>) -> impl IntoView {
    move || match status.get() {
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
    }
}

/// Why the weights could not be kept for the next visit, when they could not.
#[component]
fn CacheNote(note: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        note.get().map(|why| {
            view! {
                <p class="note" role="status" data-testid="cache-note">
                    {format!("The weights could not be saved for your next visit ({why}); they work now and will be downloaded again next time. Freeing browser storage for this site fixes it.")}
                </p>
            }
        })
    }
}

/// The link's settings that were refused, one line each.
#[component]
fn UrlErrors(errors: Vec<String>) -> impl IntoView {
    (!errors.is_empty()).then(|| {
        view! { <ul class="url-errors" role="alert">{errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul> }
    })
}

#[component]
fn Tabs(page: Page) -> impl IntoView {
    let config = page.config;
    let tab = move |v: View, label: &'static str| {
        view! {
            <button class="tab" class:active=move || config.with(|c| c.view == v) aria-pressed=move || (config.with(|c| c.view == v)).to_string()
                on:click=move |_| page.open(v)>{label}</button>
        }
    };
    view! { <nav class="tabs" aria-label="views">{tab(View::Arena, "Arena")}{tab(View::Lessons, "Lessons")}{tab(View::Sweep, "Sweep")}{tab(View::Study, "Study")}{tab(View::Bench, "Benchmark")}</nav> }
}
