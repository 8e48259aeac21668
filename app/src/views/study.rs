//! The study view: the results of `ponder experiment` shipped with the page (the report the
//! CLI writes, `study/report.json`, and its figures): the findings against the study's
//! claims, the difficulty bins, every sweep cell per bin and budget, compute-optimal scaling
//! and the FLOPs-matched comparison. Any sweep cell can be re-run live in this page's engine.

use crate::state::Status;
use crate::state::study::{Pick, Request, StudyRun};
use engine::search::compute_optimal::Policy;
use engine::study::StudyReport;
use engine::study::report::{Allowed, BinKind, ComputeOptimalCurve, ConfigInfo, FlopsMatched, FlopsRow};
use crate::views::figure::{Downloads, Source};
use leptos::prelude::*;

#[component]
pub fn Study(status: RwSignal<Status>, study: StudyRun) -> impl IntoView {
    study.load();
    let bin = RwSignal::new(0usize);
    let rerun = Rerun { study, ready: Signal::derive(move || matches!(status.get(), Status::Ready { .. })) };
    view! {
        <section class="study" aria-label="study">
            <Summary study=study />
            <h3>"Accuracy by budget (generations), over the searched problems"</h3>
            <BinTabs bin=bin />
            {once_loaded(study, move |r| sweep_cells(r, rerun, bin.get()))}
            <RerunLine study=study />
            {once_loaded(study, move |r| budget_matches(r, rerun))}
            <Figures />
        </section>
    }
}

/// `part` of the report, drawn once the report is loaded (nothing before).
fn once_loaded<V: IntoView + 'static>(study: StudyRun, part: impl Fn(&StudyReport) -> V + Send + Sync + 'static) -> impl Fn() -> AnyView + Send + Sync + 'static {
    move || {
        study.report.with(|r| match r {
            Some(Ok(r)) => part(r).into_any(),
            _ => ().into_any(),
        })
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// What a cell's button needs to re-run it: the study, and whether the engine is ready.
#[derive(Clone, Copy)]
struct Rerun {
    study: StudyRun,
    ready: Signal<bool>,
}

impl Rerun {
    /// A cell showing `label` that starts `request` when clicked, disabled while the engine is
    /// not ready or another re-run runs.
    fn button(self, label: impl IntoView + 'static, testid: String, title: String, request: Request) -> impl IntoView {
        let Rerun { study, ready } = self;
        view! {
            <button class="cell" title=title data-testid=testid disabled=move || !ready.get() || study.rerun.running()
                on:click=move |_| study.start(&request)>{label}</button>
        }
    }
}

/// Where and how fast the study ran, its findings and the difficulty bins (or why the report
/// is missing).
#[component]
fn Summary(study: StudyRun) -> impl IntoView {
    move || {
        study.report.with(|r| match r {
            None => view! { <p class="note">"loading the study's results…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="status error" role="alert" data-testid="study-error">{format!("The study's results could not be loaded: {e}.")}</p> }.into_any(),
            Some(Ok(r)) => view! {
                <p class="help">"Measured by "<code>"ponder experiment"</code>{machine(r)}" Each claim of the study, checked by a fixed rule against the numbers below:"</p>
                {findings(r)}
                <h3>"Difficulty"</h3>
                {difficulty(r)}
            }
            .into_any(),
        })
    }
}

/// " on MACHINE (ADAPTER) in TIME." from the report's run record.
fn machine(r: &StudyReport) -> String {
    let run = &r.run;
    let seconds = run.get("seconds").and_then(|s| s.as_f64()).unwrap_or(0.0);
    format!(
        " on {} ({}) in {}.",
        run.get("machine").and_then(|m| m.as_str()).unwrap_or("?"),
        run.get("backend").and_then(|b| b.get("adapter")).and_then(|m| m.as_str()).unwrap_or("?"),
        if seconds < 90.0 { format!("{seconds:.0} s") } else { format!("{:.0} minutes", seconds / 60.0) }
    )
}

fn findings(r: &StudyReport) -> impl IntoView + use<> {
    let rows = r
        .findings
        .iter()
        .map(|f| {
            let class = format!("verdict {}", f.verdict.name().replace(' ', "-"));
            view! { <tr><td>{f.claim.clone()}</td><td>{f.measured.clone()}</td><td class=class>{f.verdict.to_string()}</td></tr> }
        })
        .collect_view();
    view! {
        <table class="study-table" data-testid="study-findings">
            <thead><tr><th>"the study's claim"</th><th>"measured here"</th><th>"verdict"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn difficulty(r: &StudyReport) -> impl IntoView + use<> {
    let d = &r.difficulty;
    let rows = (0..d.oracle_pass_at_1_range.len())
        .map(|b| {
            let range = d.oracle_pass_at_1_range[b];
            let levels = d.levels_by_bin[b].iter().enumerate().filter(|(_, n)| **n > 0).map(|(l, n)| format!("L{}: {n}", l + 1)).collect::<Vec<_>>().join(", ");
            view! { <tr><td>{b + 1}</td><td class="num">{format!("{}–{}", pct(range[0]), pct(range[1]))}</td><td>{levels}</td></tr> }
        })
        .collect_view();
    view! {
        <p>{format!(
            "{} problems, each sampled {} times. Oracle bins split them by pass@1 into five equal parts; predicted bins do the same with the PRM's mean final score (no ground truth). The two agree on {} of problems, {} within one bin.",
            r.problems.len(), d.samples_per_problem, pct(d.agreement), pct(d.within_one)
        )}</p>
        <table class="study-table"><thead><tr><th>"oracle bin"</th><th>"pass@1"</th><th>"levels"</th></tr></thead><tbody>{rows}</tbody></table>
    }
}

/// All bins, or one: the bin the cells below are over.
#[component]
fn BinTabs(bin: RwSignal<usize>) -> impl IntoView {
    let tabs = (0..=5usize)
        .map(|b| {
            let label = if b == 0 { "all bins".to_string() } else { format!("bin {b}") };
            view! { <button class="tab" class:active=move || bin.get() == b aria-pressed=move || (bin.get() == b).to_string() on:click=move |_| bin.set(b)>{label}</button> }
        })
        .collect_view();
    view! { <nav class="tabs" aria-label="difficulty bin">{tabs}</nav> }
}

/// Every configuration's accuracy by budget over bin `b` (0: all bins), then compute-optimal's.
fn sweep_cells(r: &StudyReport, rerun: Rerun, b: usize) -> impl IntoView + use<> {
    let head = r.sweeps.budgets.iter().map(|n| view! { <th class="num">{format!("N={n}")}</th> }).collect_view();
    let rows = r.sweeps.configs.iter().map(|c| config_row(r, c, rerun, b)).collect_view();
    let co = r.compute_optimal.curves.iter().filter(|c| c.family == Allowed::All).map(|curve| compute_optimal_row(r, curve, rerun, b)).collect_view();
    view! {
        <div class="table-scroll">
            <table class="study-table sweep-cells" data-testid="study-cells">
                <thead><tr><th>"configuration"</th>{head}</tr></thead>
                <tbody>{rows}{co}</tbody>
            </table>
        </div>
    }
}

/// One configuration's cells, each re-run on its own.
fn config_row(r: &StudyReport, c: &ConfigInfo, rerun: Rerun, b: usize) -> impl IntoView + use<> {
    let tds = r
        .sweeps
        .budgets
        .iter()
        .map(|&n| match r.sweeps.cells.iter().find(|x| x.config.0 == c.config && x.bin == b && x.budget == n) {
            Some(cell) => {
                // The 95% interval over problems where the report has one (older reports: the
                // spread over seeds).
                let spread = match cell.interval {
                    Some(i) if i.high > i.low => format!(" ({}–{})", pct(i.low), pct(i.high)),
                    None if cell.max > cell.min => format!(" (seeds {}–{})", pct(cell.min), pct(cell.max)),
                    _ => String::new(),
                };
                let interval = cell.interval.map(|i| format!("; 95% interval {}–{}", pct(i.low), pct(i.high))).unwrap_or_default();
                let title = format!("{} at N={n}: {} over {} problems{interval}; per seed {:?}. Click to re-run it here.", c.label, pct(cell.accuracy), cell.problems, cell.per_seed);
                let bin_name = if b == 0 { "all bins".to_string() } else { format!("bin {b}") };
                let what = format!("{} on {bin_name}", c.label);
                let picks = vec![Pick { config: c.config, bin: b, predicted: false }];
                let label = view! { {pct(cell.accuracy)}<small>{spread}</small> };
                view! { <td class="num">{rerun.button(label, format!("study-cell-{}-{n}", c.id), title, Request { what, budget: n, shipped: cell.accuracy, picks })}</td> }.into_any()
            }
            None => view! { <td class="num muted">"–"</td> }.into_any(),
        })
        .collect_view();
    view! { <tr><th scope="row">{c.label.clone()}</th>{tds}</tr> }
}

/// Compute-optimal's cross-validated accuracy by budget; a cell re-runs the policy's picks
/// (each chosen on its whole bin) on their bins.
fn compute_optimal_row(r: &StudyReport, curve: &ComputeOptimalCurve, rerun: Rerun, b: usize) -> impl IntoView + use<> {
    let values: Vec<Option<f64>> = if b == 0 { curve.overall.iter().map(|&x| Some(x)).collect() } else { curve.by_bin.get(b - 1).cloned().unwrap_or_default() };
    let tds = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let text = v.map(pct).unwrap_or("–".into());
            let picks = Pick::compute_optimal(curve, i, b);
            match v {
                Some(accuracy) if !picks.is_empty() => {
                    let budget = r.sweeps.budgets[i];
                    let names = picks.iter().map(|p| format!("bin {}: {}", p.bin, p.config.id())).collect::<Vec<_>>().join(", ");
                    let title = format!("compute-optimal ({} bins) picks {names} (cross-validated accuracy {text}). Click to re-run the picks.", curve.bins);
                    let what = format!("compute-optimal's picks, {} bins ({names})", curve.bins);
                    view! { <td class="num">{rerun.button(text, format!("study-co-{}-{budget}", curve.bins), title, Request { what, budget, shipped: accuracy, picks })}</td> }.into_any()
                }
                _ => view! { <td class="num">{text}</td> }.into_any(),
            }
        })
        .collect_view();
    view! { <tr class="derived"><th scope="row">{format!("compute-optimal, {} bins", curve.bins)}</th>{tds}</tr> }
}

/// How the re-run goes against the shipped number, or how to start one.
#[component]
fn RerunLine(study: StudyRun) -> impl IntoView {
    let rerun = study.rerun.state;
    let line = move || {
        rerun.with(|s| {
            let (d, running, message) = (&s.data, s.running, &s.message);
            if d.label.is_empty() {
                return String::from(
                    "Click a cell to re-run it here, on this page's backend, with the same problems and seeds. The experiment read best-of-N from 256-sample pools; a re-run draws fresh samples, so expect sampling noise: with 30 problems, several points either way.",
                );
            }
            let acc = if d.tried > 0 { pct(d.right as f64 / d.tried as f64) } else { "–".into() };
            let state = match (message, running) {
                (_, true) => "running".to_string(),
                (Some(m), false) => m.clone(),
                (None, false) => String::new(),
            };
            format!("{}: {} of {} right so far ({acc}) out of {} runs; the shipped result is {}. {state}", d.label, d.right, d.tried, d.total, pct(d.shipped))
        })
    };
    view! { <p class="note" role="status" data-testid=move || if rerun.with(|s| !s.running && s.message.is_some()) { "study-rerun-done" } else { "study-rerun" }>{line}</p> }
}

/// The budget compute-optimal needs to match best-of-N, the policy the arena runs, and the
/// FLOPs-matched comparison with the larger model.
fn budget_matches(r: &StudyReport, rerun: Rerun) -> impl IntoView + use<> {
    let rows = r
        .compute_optimal
        .matches
        .iter()
        .filter(|m| m.family == Allowed::All)
        .map(|m| {
            view! { <tr><td>{format!("{} bins", m.bins)}</td><td class="num">{format!("N={} ({}; first reached at N={})", m.target_budget, pct(m.best_of_n_accuracy), m.best_of_n_budget)}</td>
                <td class="num">{m.budget.map(|b| format!("N={b}")).unwrap_or("not reached".into())}</td>
                <td class="num">{saving(m)}</td></tr> }
        })
        .collect_view();
    view! {
        <h3>"Budget compute-optimal needs to match best-of-N weighted"</h3>
        <table class="study-table"><thead><tr><th>"bins"</th><th>"best-of-N at"</th><th>"compute-optimal at"</th><th>"saving (95% interval)"</th></tr></thead><tbody>{rows}</tbody></table>
        {policy_table()}
        {r.flops_matched.as_ref().map(|f| flops_matched(r, f, rerun))}
    }
}

/// "4.0× (2.0–8.0×)": the saving and its 95% interval, where the report has one.
fn saving(m: &engine::study::report::BudgetMatch) -> String {
    match (m.saving, m.saving_interval) {
        (Some(s), Some(i)) => format!("{s:.1}× ({:.1}–{:.1}×)", i.low, i.high),
        (Some(s), None) => format!("{s:.1}×"),
        (None, Some(i)) => format!("– ({:.1}–{:.1}×)", i.low, i.high),
        (None, None) => "–".into(),
    }
}

/// The policy the arena's compute-optimal lane runs: built into the engine from this study's
/// predicted bins (each bin's winning configuration by budget).
fn policy_table() -> impl IntoView {
    let policy = Policy::default();
    let e = policy.score_edges;
    let ranges = [format!("≥ {:.3}", e[0]), format!("{:.3}–{:.3}", e[1], e[0]), format!("{:.3}–{:.3}", e[2], e[1]), format!("{:.3}–{:.3}", e[3], e[2]), format!("< {:.3}", e[3])];
    let rows = policy
        .choices
        .iter()
        .zip(ranges)
        .enumerate()
        .map(|(i, (picks, range))| {
            let text = picks.iter().map(|p| format!("from N={}: {}", p.from_budget, p.config.label())).collect::<Vec<_>>().join(" · ");
            view! { <tr><td>{format!("bin {}", i + 1)}</td><td class="num">{range}</td><td>{text}</td></tr> }
        })
        .collect_view();
    view! {
        <h3>"The policy the arena's compute-optimal lane runs"</h3>
        <p class="help">{format!("Source: {}. A probe of a quarter of the budget predicts the bin from the verifier's mean final score; the rest goes to the bin's configuration at that budget (a best-of-N pick counts the probe's samples).", policy.source)}</p>
        <div class="table-scroll"><table class="study-table" data-testid="study-policy">
            <thead><tr><th>"predicted bin"</th><th>"mean final score"</th><th>"configuration by budget"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
}

/// The small model with compute-optimal test-time compute against the larger one, greedy,
/// per R and bin; then best-of-N over every problem of each bin.
fn flops_matched(r: &StudyReport, f: &FlopsMatched, rerun: Rerun) -> impl IntoView + use<> {
    let oracle = r.compute_optimal.curves.iter().find(|c| c.bins == BinKind::Oracle && c.family == Allowed::All);
    let rows = f.rows.iter().map(|row| flops_row(r, row, oracle, rerun)).collect_view();
    // The same budgets over every problem of a bin, with best-of-N from the sample pools: the
    // searched problems are only a few per bin.
    let whole_bins = f
        .rows
        .iter()
        .filter(|row| row.by_bin.iter().any(|b| b.best_of_n_all_problems.is_some()))
        .map(|row| {
            let tds = row
                .by_bin
                .iter()
                .zip(&f.large_greedy_all_problems)
                .map(|(fb, large)| {
                    let difference = fb.difference.map(|d| format!(" ({:+.0} points, {:+.0} to {:+.0})", d.value * 100.0, d.interval.low * 100.0, d.interval.high * 100.0)).unwrap_or_default();
                    view! { <td class="num">{format!("{} vs {}", fb.best_of_n_all_problems.map(pct).unwrap_or("–".into()), pct(*large))}<small>{difference}</small></td> }
                })
                .collect_view();
            let problems = row.by_bin.first().map(|b| b.all_problems).unwrap_or(0);
            view! { <tr><td>{format!("R={}: best-of-{} weighted, all {} problems of each bin", row.r, row.budget.map(|b| b.to_string()).unwrap_or("-".into()), problems)}</td>{tds}</tr> }
        })
        .collect_view();
    view! {
        <h3>"FLOPs matched: the small model with compute-optimal test-time compute vs the " {format!("{:.1}", f.params_ratio)} "× larger model, greedy"</h3>
        <div class="table-scroll"><table class="study-table" data-testid="study-flops">
            <thead><tr><th>"R = inference / pretraining tokens"</th><th>"bin 1"</th><th>"bin 2"</th><th>"bin 3"</th><th>"bin 4"</th><th>"bin 5"</th></tr></thead>
            <tbody>{rows}{whole_bins}</tbody>
        </table></div>
    }
}

/// One R: each bin's test-time side (compute-optimal's pick in the bin at the matched budget,
/// re-run on its own) against the larger model.
fn flops_row(r: &StudyReport, row: &FlopsRow, oracle: Option<&ComputeOptimalCurve>, rerun: Rerun) -> impl IntoView + use<> {
    let index = row.budget.and_then(|n| r.sweeps.budgets.iter().position(|&x| x == n));
    let tds = row
        .by_bin
        .iter()
        .map(|fb| {
            let text = format!("{} vs {}", fb.test_time.map(pct).unwrap_or("–".into()), pct(fb.large_greedy));
            let picks = match (oracle, index) {
                (Some(curve), Some(i)) => Pick::compute_optimal(curve, i, fb.bin),
                _ => Vec::new(),
            };
            match (fb.test_time, row.budget) {
                (Some(accuracy), Some(budget)) if !picks.is_empty() => {
                    let what = format!("R={}: compute-optimal's pick in bin {} ({})", row.r, fb.bin, picks[0].config.id());
                    let title = "Click to re-run the test-time side here.".to_string();
                    view! { <td class="num">{rerun.button(text, format!("study-flops-{}-{}", row.r, fb.bin), title, Request { what, budget, shipped: accuracy, picks })}</td> }.into_any()
                }
                _ => view! { <td class="num">{text}</td> }.into_any(),
            }
        })
        .collect_view();
    view! { <tr><td>{format!("R={} (×{:.0} → N={})", row.r, row.multiplier, row.budget.map(|b| b.to_string()).unwrap_or("-".into()))}</td>{tds}</tr> }
}

/// The study's figures (written by `ponder experiment`), each with its downloads.
const FIGURES: [(&str, &str); 5] = [
    ("sweeps", "accuracy against budget per bin for best-of-N and the searches"),
    ("revisions", "accuracy against budget per bin for the revision splits"),
    ("compute_optimal", "compute-optimal scaling against best-of-N"),
    ("flops_matched", "FLOPs-matched comparison with the larger model"),
    ("difficulty", "oracle against predicted difficulty bins"),
];

#[component]
fn Figures() -> impl IntoView {
    view! {
        <details class="figures">
            <summary>"Figures"</summary>
            {FIGURES.into_iter().map(|(name, alt)| {
                let url = format!("study/figures/{name}.svg");
                view! {
                    <figure class="study-figure">
                        <img src=url.clone() alt=alt />
                        <Downloads source=Source::File(url) name=format!("study-{name}") />
                    </figure>
                }
            }).collect_view()}
        </details>
    }
}
