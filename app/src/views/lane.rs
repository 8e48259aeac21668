//! One lane of the arena: its strategy's samples as they grow (each step colored by the
//! verifier's score, wrong steps marked), the tally of answers, and the compute spent.

use crate::state::lane::{LaneState, Sample, Step};
use arena::text::{compute_line, lane_text, prediction_line, score_rgb, step_title};
use engine::search::compute_optimal::Policy;
use engine::search::StrategyName;
use leptos::prelude::*;

/// Samples drawn per lane; the rest are counted, not drawn (a budget of 256 would flood the page).
const MAX_DRAWN: usize = 32;

fn step_line(text: String, step: Step, inherited: bool) -> impl IntoView {
    let style = step.score.map(|s| format!("background:{}", score_color(s))).unwrap_or_default();
    let wrong = step.correct == Some(false);
    let title = step_title(&step);
    view! {
        <div class="step" class:wrong=wrong class:inherited=inherited style=style title=title>
            {text}{wrong.then_some(view! { <span class="mark" aria-label="wrong step">" ✗"</span> })}
        </div>
    }
}

fn sample_card(s: &Sample, label: String) -> impl IntoView + use<> {
    let inherited_lines = s.text[..s.inherited.min(s.text.len())].matches('\n').count();
    let lines = s.lines().into_iter().enumerate().map(|(i, (text, step))| step_line(text, step, i < inherited_lines)).collect_view();
    let footer = s.finished.as_ref().map(|f| {
        let answer = f.answer.clone().unwrap_or_else(|| "no answer".into());
        view! { <div class="answer" class:right=f.correct>{format!("→ {answer}  (score {:.2})", f.score)}</div> }
    });
    let class = if s.pruned { "sample pruned" } else if s.finished.as_ref().is_some_and(|f| f.correct) { "sample right" } else { "sample" };
    view! {
        <div class=class>
            <div class="sample-label">{label}{s.pruned.then_some(" · pruned")}</div>
            {lines}
            {footer}
        </div>
    }
}

fn samples_view(state: &LaneState) -> AnyView {
    let chains = state.chains();
    let mut drawn = 0usize;
    let mut parts = Vec::new();
    let in_chain: std::collections::HashSet<usize> = chains.iter().flatten().copied().collect();
    let loose: Vec<&Sample> = state.samples.iter().filter(|s| !in_chain.contains(&s.id)).collect();
    if !loose.is_empty() {
        let cards = loose
            .iter()
            .take(MAX_DRAWN)
            .map(|s| {
                let label = match s.parent {
                    Some(p) => format!("#{} (from #{p})", s.id),
                    None => format!("#{}", s.id),
                };
                sample_card(s, label)
            })
            .collect_view();
        drawn += loose.len().min(MAX_DRAWN);
        parts.push(view! { <div class="grid">{cards}</div> }.into_any());
    }
    for (c, ids) in chains.iter().enumerate() {
        if drawn >= MAX_DRAWN {
            break;
        }
        let attempts = ids
            .iter()
            .take(MAX_DRAWN - drawn)
            .enumerate()
            .map(|(a, &id)| sample_card(&state.samples[id], format!("chain {} · attempt {}", c + 1, a + 1)))
            .collect_view();
        drawn += ids.len();
        parts.push(view! { <div class="chain" role="group" aria-label=format!("revision chain {}", c + 1)>{attempts}</div> }.into_any());
    }
    let hidden = state.samples.len().saturating_sub(drawn);
    if hidden > 0 {
        parts.push(view! { <p class="note">{format!("+ {hidden} more samples, counted but not drawn")}</p> }.into_any());
    }
    parts.into_any()
}

fn tally_view(state: &LaneState, true_answer: String) -> impl IntoView + use<> {
    state.chosen.as_ref().map(|chosen| {
        let mut tally = chosen.tally.clone();
        tally.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(b.votes.cmp(&a.votes)));
        let chosen_answer = chosen.answer.clone();
        let rows = tally
            .into_iter()
            .take(6)
            .map(|t| {
                let is_chosen = Some(&t.answer) == chosen_answer.as_ref();
                let is_true = t.answer == true_answer;
                view! {
                    <tr class:chosen=is_chosen>
                        <td>{t.answer.clone()}{is_true.then_some(" ✓")}</td>
                        <td>{t.votes}</td>
                        <td>{format!("{:.2}", t.weight)}</td>
                    </tr>
                }
            })
            .collect_view();
        let verdict = format!(
            "chosen {} · true {} · {}",
            chosen.answer.clone().unwrap_or_else(|| "none".into()),
            true_answer,
            if chosen.correct { "right" } else { "wrong" }
        );
        view! {
            <table class="tally">
                <thead><tr><th>"answer"</th><th>"votes"</th><th>"summed score"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="verdict" class:right=chosen.correct data-testid="verdict" role="status">{verdict}</p>
        }
    })
}

#[component]
pub fn Lane(strategy: StrategyName, state: RwSignal<LaneState>, true_answer: Signal<String>) -> impl IntoView {
    let (title, explain) = lane_text(strategy);
    let compute = move || state.with(compute_line);
    view! {
        <section class="lane" data-strategy=format!("{strategy:?}") data-running=move || state.with(|s| s.running).to_string()>
            <header>
                <h3>{title}</h3>
                <p class="explain">{explain}</p>
            </header>
            <p class="compute" data-testid="compute">{compute}</p>
            {move || state.with(|s| s.prediction.clone()).map(|p| {
                let source = format!("policy: {}", Policy::default().source);
                view! { <p class="prediction" title=source>{prediction_line(&p)}</p> }
            })}
            {move || state.with(|s| s.error.clone()).map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || state.with(|s| tally_view(s, true_answer.get()))}
            <div class="samples">{move || state.with(samples_view)}</div>
            {move || state.with(|s| s.seconds).map(|t| view! { <p class="note">{format!("finished in {t:.1} s")}</p> })}
        </section>
    }
}

/// A background color for a verifier score in 0..1: red (0) through yellow to green (1).
fn score_color(score: f32) -> String {
    let [r, g, b] = score_rgb(score);
    format!("rgb({r}, {g}, {b})")
}
