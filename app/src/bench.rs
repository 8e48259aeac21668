//! The benchmark mode (`?bench`): the engine worker measures the generator's decode
//! throughput at batch 1, 16 and 64 and the wall time of one best-of-64 run on this page's
//! backend, the numbers `ponder bench` gives natively. A link with `?bench` starts it as soon
//! as the models are ready; the end-to-end tests read the table.

use crate::Status;
use crate::config::Config;
use crate::job::Job;
use crate::protocol::{BenchRow, ToWorker};
use leptos::prelude::*;

/// The rows measured so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BenchState {
    rows: Vec<BenchRow>,
}

#[derive(Clone, Copy)]
pub struct BenchRun {
    job: Job<BenchState>,
}

impl BenchRun {
    pub fn new() -> Self {
        BenchRun { job: Job::new() }
    }

    fn start(&self, c: &Config) {
        let generation = self.job.begin(BenchState::default());
        if let Err(e) = crate::host::post(&ToWorker::Bench { generation, query: c.to_query() }) {
            self.job.end(generation, e);
        }
    }

    pub fn on_row(&self, generation: u64, row: BenchRow) {
        self.job.update(generation, |s| s.rows.push(row));
    }

    pub fn on_ended(&self, generation: u64, message: String) {
        self.job.end(generation, message);
    }

    /// The engine restarted or died: a benchmark in flight ends with the reason.
    pub fn on_crash(&self, why: &str) {
        self.job.abandon(why);
    }
}

#[component]
pub fn Bench(config: RwSignal<Config>, status: RwSignal<Status>, bench: BenchRun) -> impl IntoView {
    let state = bench.job.state;
    let ready = move || matches!(status.get(), Status::Ready { .. });
    // Started once per page when the models are ready (the link asked for the benchmark).
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        if ready() && !started.get_value() {
            started.set_value(true);
            bench.start(&config.get_untracked());
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
            <button class="primary" data-testid="bench-run" disabled=move || !ready() || state.with(|s| s.running) on:click=move |_| bench.start(&config.get_untracked())>"Run again"</button>
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
