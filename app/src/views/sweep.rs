//! The sweep view: a set of held-out problems per difficulty level, solved by each strategy
//! at budgets 1, 2, 4, … and drawn as accuracy against budget (log axis), filling in live:
//! the study's figures, computed in the page.

use crate::settings::{BUDGETS, SWEEP_SERIES, SweepSize};
use crate::state::config::Config;
use crate::state::sweep::{SweepRun, SweepState};
use crate::views::chart::{Point, Series, accuracy_chart};
use leptos::prelude::*;

/// The series swept, in the order the worker numbers them ([`crate::settings::SERIES_RUNS`]),
/// with their line colors.
const SERIES: [(&str, &str); SWEEP_SERIES] = [
    ("best-of-N, weighted", "#2c5cc5"),
    ("best-of-N, majority", "#7aa0f0"),
    ("beam search, M=4", "#d0711c"),
    ("revisions, sequential", "#2f9e55"),
    ("compute-optimal", "#9a3fc4"),
];

/// One level's chart: accuracy against budget on a log axis, one line per series.
fn chart(level: u8, state: &SweepState, sweep: SweepSize) -> impl IntoView + use<> {
    let bs = sweep.budgets();
    let series = SERIES
        .iter()
        .enumerate()
        .map(|(si, (name, color))| Series {
            name: name.to_string(),
            color,
            points: bs
                .iter()
                .enumerate()
                .filter_map(|(i, &b)| {
                    let &(r, t) = state.cells.get(&(level, si, b))?;
                    let accuracy = r as f64 / t as f64;
                    Some(Point { at: i, accuracy, band: None, title: format!("{name}, level {level}, budget {b}: {r} of {t} right ({:.0}%)", accuracy * 100.0) })
                })
                .collect(),
        })
        .collect();
    accuracy_chart(format!("sweep-level-{level}"), format!("Level {level}"), bs.iter().map(|b| b.to_string()).collect(), "budget (generations, log scale)", series)
}

#[component]
pub fn Sweep(config: RwSignal<Config>, ready: Signal<bool>, sweep: SweepRun) -> impl IntoView {
    let state = sweep.job.state;
    let ready = move || ready.get();
    let start = move |_| config.with_untracked(|c| sweep.start(c.settings.clone(), c.sweep));
    let stop = move |_| sweep.stop();
    view! {
        <section class="sweep-controls" aria-label="sweep settings">
            <div class="field">
                <label for="sweep-problems">"Problems per level"</label>
                <input id="sweep-problems" type="number" min="1" max="20" prop:value=move || config.with(|c| c.sweep.problems).to_string()
                    on:change=move |ev| { if let Ok(n) = event_target_value(&ev).trim().parse::<usize>() { config.update(|c| c.sweep.problems = n.clamp(1, 20)) } } />
            </div>
            <div class="field">
                <label for="sweep-budget">"Largest budget"</label>
                <select id="sweep-budget" on:change=move |ev| { if let Ok(b) = event_target_value(&ev).parse::<usize>() { config.update(|c| c.sweep.max_budget = b) } }>
                    {BUDGETS.iter().copied().filter(|&b| b <= 64).map(|b| view! { <option value=b.to_string() selected=move || config.with(|c| c.sweep.max_budget == b)>{b.to_string()}</option> }).collect_view()}
                </select>
            </div>
            <button class="primary" data-testid="sweep-run" disabled=move || !ready() || state.with(|s| s.running) on:click=start>"Run sweep"</button>
            <button data-testid="sweep-stop" disabled=move || !state.with(|s| s.running) on:click=stop>"Stop"</button>
            <p class="help">"Each strategy solves the same held-out problems (never seen in training) at every budget. Temperature, seed, step scores and verifier come from the arena's settings. The compute-optimal line spends a quarter of each budget (from 4 on) predicting difficulty, then runs what won problems that hard at that budget in Ponder's own study."</p>
            <p class="note" data-testid="sweep-progress">{move || state.with(|s| {
                let head = if s.data.total > 0 { format!("{} of {} runs", s.data.done, s.data.total) } else { "not run yet".into() };
                match &s.message { Some(m) => format!("{head} · {m}"), None => head }
            })}</p>
        </section>
        <div class="charts">
            {move || {
                let size = config.with(|c| c.sweep);
                state.with(|s| (1..=5u8).map(|l| chart(l, &s.data, size)).collect_view())
            }}
        </div>
    }
}
