//! The sweep view: a set of held-out problems per difficulty level, solved by each strategy
//! at budgets 1, 2, 4, … and drawn as accuracy against budget (log axis), filling in live:
//! the study's figures, computed in the page.

use crate::settings::{BUDGETS, SWEEP_SERIES, SweepSize};
use crate::state::config::Config;
use crate::state::sweep::{SweepRun, SweepState};
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

/// One level's chart: accuracy (0–100%) against budget on a log axis, one line per series.
fn chart(level: u8, state: &SweepState, sweep: SweepSize) -> impl IntoView + use<> {
    let (w, h, left, right, top, bottom) = (340.0, 220.0, 40.0, 12.0, 12.0, 36.0);
    let bs = sweep.budgets();
    let steps = (bs.len().max(2) - 1) as f64;
    let x = move |b: usize| left + (b as f64).log2() / steps.max(1.0) * (w - left - right);
    let y = move |acc: f64| top + (1.0 - acc) * (h - top - bottom);
    let grid = [0.0, 0.25, 0.5, 0.75, 1.0]
        .into_iter()
        .map(|a| {
            view! {
                <line x1=left x2=w - right y1=y(a) y2=y(a) stroke="#e3e5ea" />
                <text x=left - 4.0 y=y(a) + 4.0 text-anchor="end" font-size="10" fill="#555">{format!("{:.0}%", a * 100.0)}</text>
            }
        })
        .collect_view();
    let ticks = bs
        .iter()
        .map(|&b| view! { <text x=x(b) y=h - bottom + 14.0 text-anchor="middle" font-size="10" fill="#555">{b.to_string()}</text> })
        .collect_view();
    let lines = SERIES
        .iter()
        .enumerate()
        .map(|(si, (name, color))| {
            let points: Vec<(usize, usize, usize)> =
                bs.iter().filter_map(|&b| state.cells.get(&(level, si, b)).map(|&(r, t)| (b, r, t))).collect();
            let path = points.iter().map(|&(b, r, t)| format!("{:.1},{:.1}", x(b), y(r as f64 / t as f64))).collect::<Vec<_>>().join(" ");
            let dots = points
                .iter()
                .map(|&(b, r, t)| {
                    let acc = r as f64 / t as f64;
                    view! {
                        <circle cx=x(b) cy=y(acc) r="4" fill=*color tabindex="0">
                            <title>{format!("{name}, level {level}, budget {b}: {r} of {t} right ({:.0}%)", acc * 100.0)}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! { <polyline points=path fill="none" stroke=*color stroke-width="2" />{dots} }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <h3>{format!("Level {level}")}</h3>
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=format!("accuracy against budget at level {level}")>
                {grid}
                <line x1=left x2=left y1=top y2=h - bottom stroke="#888" />
                <line x1=left x2=w - right y1=h - bottom y2=h - bottom stroke="#888" />
                {ticks}
                <text x=(left + w - right) / 2.0 y=h - 4.0 text-anchor="middle" font-size="11" fill="#333">"budget (generations, log scale)"</text>
                {lines}
            </svg>
        </figure>
    }
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
        <div class="legend">{SERIES.iter().map(|(n, c)| view! { <span style=format!("--c:{c}")>{*n}</span> }).collect_view()}</div>
        <div class="charts">
            {move || {
                let size = config.with(|c| c.sweep);
                state.with(|s| (1..=5u8).map(|l| chart(l, &s.data, size)).collect_view())
            }}
        </div>
    }
}
