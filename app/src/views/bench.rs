//! The benchmark mode (`?bench`): the engine worker measures the generator's decode
//! throughput at batch 1, 16 and 64 and the wall time of one best-of-64 run on this page's
//! backend, the numbers `ponder bench` gives natively. A link with `?bench` starts it as soon
//! as the models are ready; the end-to-end tests read the table.

use crate::protocol::BenchRow;
use crate::state::Status;
use crate::state::bench::BenchRun;
use crate::state::config::Config;
use leptos::prelude::*;

#[component]
pub fn Bench(config: RwSignal<Config>, status: RwSignal<Status>, bench: BenchRun) -> impl IntoView {
    let state = bench.job.state;
    let ready = move || matches!(status.get(), Status::Ready { .. });
    // Started once per page when the models are ready (the link asked for the benchmark).
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        if ready() && !started.get_value() {
            started.set_value(true);
            bench.start(config.with_untracked(|c| c.settings.clone()));
        }
    });
    let row = |r: BenchRow| {
        let cell = |v: Option<f64>, digits: usize| v.map(|x| format!("{x:.digits$}")).unwrap_or_default();
        view! {
            <tr>
                <td>{r.what.clone()}</td>
                <td class="num">{cell(r.tokens_per_second, 0)}</td>
                <td class="num">{cell(r.readbacks_per_step, 2)}</td>
                <td class="num">{cell(r.seconds, 2)}</td>
            </tr>
        }
    };
    view! {
        <section class="bench" aria-label="benchmark">
            <p class="help">
                "The generator on this page's backend (shown above): tokens decoded per second at each batch size (32 tokens per row, "
                "median of 3 runs after a warm-up), read-backs from the device per decode step, and the wall time of one best-of-64 run "
                "on a level-3 problem. "<code>"?bench&backend=cpu"</code>" or "<code>"?bench&backend=webgpu"</code>" picks the backend."
            </p>
            <button class="primary" data-testid="bench-run" disabled=move || !ready() || state.with(|s| s.running) on:click=move |_| bench.start(config.with_untracked(|c| c.settings.clone()))>"Run again"</button>
            <table class="bench-table" data-testid="bench-table">
                <thead><tr><th>"measurement"</th><th>"tokens/s"</th><th>"read-backs per step"</th><th>"seconds"</th></tr></thead>
                <tbody>{move || state.with(|s| s.data.rows.iter().cloned().map(row).collect_view())}</tbody>
            </table>
            <p class="note" data-testid=move || if state.with(|s| !s.running && s.message.is_some()) { "bench-done" } else { "bench-status" }>
                {move || state.with(|s| match (&s.message, s.running) {
                    (_, true) => "measuring…".to_string(),
                    (Some(m), false) => m.clone(),
                    (None, false) => "waiting for the models…".to_string(),
                })}
            </p>
        </section>
    }
}
