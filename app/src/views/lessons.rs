//! The lessons view (`?view=lessons&chapter=N`): one chapter at a time, a few sentences, the one
//! or two controls that matter for it, its live run on the page's engine, what to notice (from
//! the shipped study report and from the run) and a chart from the report. Space or → steps to
//! the next chapter, ← back; the projector toggle enlarges everything.

use crate::settings::LANES;
use crate::state::Page;
use crate::state::config::{CHAPTERS, View};
use crate::state::lane::LaneState;
use crate::views::chart::{Point, Series, accuracy_chart};
use crate::views::controls::{BeamWidthField, BudgetField, ChainsField, LevelField, VerifierField};
use crate::views::lane::Lane;
use arena::lessons::{self, Chart, Control, Line};
use engine::search::Verifier;
use engine::study::StudyReport;
use engine::study::report::Allowed;
use engine::task::{ArithmeticChain, Task};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

const COLORS: [&str; 5] = ["#7aa0f0", "#2c5cc5", "#d0711c", "#2f9e55", "#9a3fc4"];

/// Whether a key press should step: not while typing or moving a slider, not with modifiers.
fn stepping_key(ev: &web_sys::KeyboardEvent) -> Option<i8> {
    if ev.alt_key() || ev.ctrl_key() || ev.meta_key() || ev.shift_key() {
        return None;
    }
    let tag = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|e| e.tag_name().to_lowercase()).unwrap_or_default();
    let key = ev.key();
    // Space on a focused button presses it; arrows move a focused slider or menu.
    if matches!(tag.as_str(), "input" | "select" | "textarea") || (tag == "button" && key == " ") {
        return None;
    }
    match key.as_str() {
        " " | "ArrowRight" | "PageDown" => Some(1),
        "ArrowLeft" | "PageUp" => Some(-1),
        _ => None,
    }
}

#[component]
pub fn Lessons(page: Page) -> impl IntoView {
    let config = page.config;
    page.study.load();
    let chapter = Memo::new(move |_| config.with(|c| c.chapter));
    // Stepping into a chapter starts it afresh: its own settings, no lanes of another chapter.
    let go = move |n: u8| {
        let n = n.clamp(1, CHAPTERS);
        if n != chapter.get_untracked() {
            page.arena.clear();
            config.update(|c| lessons::enter(c, n));
        }
    };
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if config.with_untracked(|c| c.view != View::Lessons) {
            return;
        }
        if let Some(step) = stepping_key(&ev) {
            ev.prevent_default();
            go((chapter.get_untracked() as i8 + step).clamp(1, CHAPTERS as i8) as u8);
        }
    });
    on_cleanup(move || keys.remove());
    let nav = (1..=CHAPTERS)
        .map(|n| {
            let title = lessons::chapter(n).title;
            view! {
                <button class="tab" class:active=move || chapter.get() == n aria-pressed=move || (chapter.get() == n).to_string()
                    title=title data-testid=format!("chapter-{n}") on:click=move |_| go(n)>{format!("{n}. {title}")}</button>
            }
        })
        .collect_view();
    view! {
        <section class="lessons" aria-label="lessons">
            <nav class="tabs chapters" aria-label="chapters">{nav}</nav>
            {move || view! { <ChapterView page=page n=chapter.get() /> }}
            <div class="lesson-steps">
                <button data-testid="lesson-prev" disabled=move || chapter.get() == 1 on:click=move |_| go(chapter.get_untracked() - 1)>"← previous"</button>
                <span class="help">"Space or → for the next chapter, ← for the one before"</span>
                <button data-testid="lesson-next" disabled=move || chapter.get() == CHAPTERS on:click=move |_| go(chapter.get_untracked() + 1)>"next →"</button>
                <label class="check projector-toggle">
                    <input type="checkbox" data-testid="projector" prop:checked=move || config.with(|c| c.projector)
                        on:change=move |ev| config.update(|c| c.projector = event_target_checked(&ev)) />
                    "projector: large type, high contrast"
                </label>
            </div>
        </section>
    }
}

#[component]
fn ChapterView(page: Page, n: u8) -> impl IntoView {
    let config = page.config;
    let ch = lessons::chapter(n);
    let typed = RwSignal::new(String::new());
    let problem = move || config.with(|c| c.problem_to_solve());
    let busy = move || page.arena.busy();
    let run = move |_| {
        if let Ok(p) = config.with_untracked(|c| c.problem_to_solve()) {
            let settings = config.with_untracked(|c| lessons::run_settings(n, &c.settings));
            page.arena.run(p, &settings, ch.lanes);
        }
    };
    let another = move |_| {
        config.update(|c| {
            c.index = (c.index + 1) % 1_000_000;
            c.problem = None;
        })
    };
    let controls = ch
        .controls
        .iter()
        .map(|control| match control {
            Control::Budget => view! { <BudgetField config=config /> }.into_any(),
            Control::Verifier => view! { <VerifierField config=config large_verifier=page.large_verifier /> }.into_any(),
            Control::Level => view! { <LevelField config=config typed=typed /> }.into_any(),
            Control::BeamWidth => view! { <BeamWidthField config=config /> }.into_any(),
            Control::Chains => view! { <ChainsField config=config /> }.into_any(),
        })
        .collect_view();
    let true_answer = Signal::derive(move || problem().map(|p| ArithmeticChain.true_answer(&p)).unwrap_or_default());
    let lanes = LANES
        .into_iter()
        .zip(page.arena.lanes)
        .zip(ch.lanes)
        .filter(|(_, on)| *on)
        .map(|((strategy, state), _)| view! { <Lane strategy=strategy state=state true_answer=true_answer /> })
        .collect_view();
    view! {
        <article class="lesson" data-testid=format!("lesson-{n}")>
            <h2 data-testid="lesson-title">{format!("{n}. {}", ch.title)}</h2>
            <p class="lesson-text">{ch.text}</p>
            <section class="controls lesson-controls" aria-label="this chapter's controls">
                {controls}
                <div class="field">
                    <span class="label">"Problem"</span>
                    <p class="lesson-problem" data-testid="lesson-problem">{move || match problem() {
                        Ok(p) => format!("{} (level {})", ArithmeticChain.display(&p), config.with(|c| c.level)),
                        Err(e) => e,
                    }}</p>
                    // Chapters with the difficulty control draw from it instead.
                    {(!ch.controls.contains(&Control::Level)).then(|| view! { <button on:click=another disabled=busy>"another problem"</button> })}
                </div>
                <div class="actions">
                    <button class="primary" data-testid="run" disabled=move || !page.can_run() || busy() || problem().is_err() on:click=run>"Run"</button>
                    <button data-testid="stop" disabled=move || !busy() on:click=move |_| page.arena.stop()>"Stop"</button>
                </div>
            </section>
            <section class="arena" aria-label="this chapter's run">{lanes}</section>
            <Notice page=page n=n />
            {move || page.study.report.with(|r| match r {
                Some(Ok(r)) => chart(n, r).into_any(),
                Some(Err(e)) => view! { <p class="note">{format!("The study's results could not be loaded ({e}), so this chapter has no chart.")}</p> }.into_any(),
                None => view! { <p class="note">"loading the study's results…"</p> }.into_any(),
            })}
        </article>
    }
}

/// What to notice: the study report's numbers for the chapter, then the run's once it ends.
#[component]
fn Notice(page: Page, n: u8) -> impl IntoView {
    let report_line = move || {
        page.study.report.with(|r| match r {
            Some(Ok(r)) => page.config.with(|c| lessons::from_report(n, r, &c.settings)),
            _ => None,
        })
    };
    let run_line = move || {
        let lanes: Vec<LaneState> = page.arena.lanes.iter().map(|l| l.get()).collect();
        let ratio = page.study.report.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).and_then(|r| r.flops_matched.as_ref()).map(|f| f.params_ratio));
        lessons::from_run(n, &lanes, ratio)
    };
    view! {
        <div class="notice" data-testid="lesson-notice">
            <strong>"What to notice. "</strong>
            <span data-testid="lesson-notice-report">{report_line}</span>
            " "
            {move || run_line().map(|line| view! { <span data-testid="lesson-notice-run">{line}</span> })}
        </div>
    }
}

fn line_name(line: Line) -> String {
    match line.verifier {
        Verifier::Prm => line.config.label(),
        v => format!("{}, {v}", line.config.label()),
    }
}

/// The chapter's chart from the shipped study report.
fn chart(n: u8, r: &StudyReport) -> AnyView {
    let budgets = r.sweeps.budgets.clone();
    if budgets.is_empty() {
        return view! { <p class="note">"This report swept no budgets."</p> }.into_any();
    }
    let places: Vec<String> = budgets.iter().map(|b| b.to_string()).collect();
    let id = format!("lesson-{n}-chart");
    let axis = "budget (generations, log scale)";
    let point = |at: usize, accuracy: f64, band: Option<(f64, f64)>, what: String| Point { at, accuracy, band, title: format!("{what}: {:.0}%", accuracy * 100.0) };
    match lessons::chapter(n).chart {
        Chart::Budgets(lines) => {
            let series = lines
                .iter()
                .enumerate()
                .map(|(i, &line)| {
                    let report = r.each_verifier().find(|(v, _)| *v == line.verifier).map(|(_, r)| r);
                    let points = budgets
                        .iter()
                        .enumerate()
                        .filter_map(|(at, &b)| {
                            let cell = report?.sweeps.cells.iter().find(|c| c.bin == 0 && c.budget == b && c.config.0 == line.config)?;
                            Some(point(at, cell.accuracy, cell.interval.map(|i| (i.low, i.high)), format!("{} at N={b}", line_name(line))))
                        })
                        .collect();
                    Series { name: line_name(line), color: COLORS[i % COLORS.len()], points }
                })
                .collect();
            accuracy_chart(id, "Ponder's study, searched problems (95% bands)".into(), places, axis, series).into_any()
        }
        Chart::ComputeOptimal => {
            let best = Series {
                name: "best-of-N weighted".into(),
                color: COLORS[1],
                points: r.compute_optimal.best_of_n_weighted.iter().enumerate().map(|(at, &a)| point(at, a, None, format!("best-of-N weighted at N={}", budgets[at.min(budgets.len() - 1)]))).collect(),
            };
            let curves = r.compute_optimal.curves.iter().filter(|c| c.family == Allowed::All).enumerate().map(|(i, c)| Series {
                name: format!("compute-optimal, {} bins", c.bins),
                color: COLORS[(i + 3) % COLORS.len()],
                points: c
                    .overall
                    .iter()
                    .enumerate()
                    .map(|(at, &a)| point(at, a, c.overall_interval.get(at).copied().flatten().map(|i| (i.low, i.high)), format!("compute-optimal ({} bins) at N={}", c.bins, budgets[at.min(budgets.len() - 1)])))
                    .collect(),
            });
            accuracy_chart(id, "Compute-optimal vs best-of-N (Ponder's study)".into(), places, axis, std::iter::once(best).chain(curves).collect()).into_any()
        }
        Chart::FlopsMatched => match &r.flops_matched {
            Some(f) => {
                let places: Vec<String> = (1..=5).map(|b| format!("bin {b}")).collect();
                let mut series: Vec<Series> = f
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, row)| Series {
                        name: format!("small model, test-time compute (R={}, N={})", row.r, row.budget.map(|b| b.to_string()).unwrap_or_else(|| "–".into())),
                        color: COLORS[(i + 1) % COLORS.len()],
                        points: row.by_bin.iter().filter_map(|b| Some(point(b.bin - 1, b.test_time?, None, format!("R={} bin {}", row.r, b.bin)))).collect(),
                    })
                    .collect();
                if let Some(row) = f.rows.first() {
                    series.push(Series {
                        name: format!("{:.0}× larger model, greedy", f.params_ratio),
                        color: "#111111",
                        points: row.by_bin.iter().map(|b| point(b.bin - 1, b.large_greedy, b.large_interval.map(|i| (i.low, i.high)), format!("larger model, bin {}", b.bin))).collect(),
                    });
                }
                accuracy_chart(id, "FLOPs matched, by difficulty bin".into(), places, "difficulty (oracle bins, easy to hard)", series).into_any()
            }
            None => view! { <p class="note">"This report has no FLOPs-matched comparison."</p> }.into_any(),
        },
    }
}
