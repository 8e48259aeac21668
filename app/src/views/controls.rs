//! The arena's controls: the problem (drawn or typed, validated as you type), the budget and
//! every strategy's knobs, the lanes to run, and Run and Stop.

use crate::settings::{BUDGETS, LANES};
use crate::state::LargeVerifier;
use crate::state::arena::ArenaRun;
use crate::state::config::Config;
use arena::text::lane_text;
use engine::names::Named;
use engine::search::{Aggregation, Knobs, Selection, Verifier};
use engine::task::{ArithmeticChain, Task};
use leptos::prelude::*;

#[component]
pub fn Controls(config: RwSignal<Config>, arena: ArenaRun, ready: Signal<bool>, large_verifier: RwSignal<LargeVerifier>, typed: RwSignal<String>) -> impl IntoView {
    let can_run = move || ready.get() && ArithmeticChain.parse(&typed.get()).is_ok() && !arena.busy();
    let run = move || {
        if let Ok(problem) = ArithmeticChain.parse(&typed.get_untracked()) {
            config.with_untracked(|c| arena.run(problem, &c.settings, c.lanes));
        }
    };
    view! {
        <section class="controls" aria-label="problem and budget">
            <ProblemField config=config typed=typed />
            <LevelField config=config typed=typed />
            <BudgetField config=config />
            <TemperatureField config=config />
            <SeedField config=config />
            <div class="field">
                <label for="selection">"Selection"</label>
                {choice(config, "selection", &[(Selection::Weighted, "weighted vote"), (Selection::Majority, "majority vote"), (Selection::Max, "best single score")], |c| c.settings.common.selection, |c, s| c.settings.common.selection = s)}
                <Help text="How the final answer is picked: most votes, votes weighted by the verifier, or the top-scored answer." />
            </div>
            <div class="field">
                <label for="aggregation">"Step scores"</label>
                {choice(config, "aggregation", &[(Aggregation::Last, "last step"), (Aggregation::Min, "weakest step"), (Aggregation::Product, "product")], |c| c.settings.common.aggregation, |c, a| c.settings.common.aggregation = a)}
                <Help text="The verifier scores every step; this folds them into one score per answer." />
            </div>
            <BeamWidthField config=config />
            <div class="field">
                <label for="lookahead">{move || format!("Lookahead k: {}", config.with(|c| c.settings.knobs.lookahead))}</label>
                {knob_slider(config, "lookahead", (1, 8), 1, |k| k.lookahead, |k, n| k.lookahead = n)}
                <Help text="Steps rolled out ahead before a step is judged." />
            </div>
            <ChainsField config=config />
            <VerifierField config=config large_verifier=large_verifier />
            <LaneChecks config=config />
            <div class="actions">
                <button class="primary" data-testid="run" disabled=move || !can_run() on:click=move |_| run()>"Run"</button>
                <button data-testid="stop" disabled=move || !arena.busy() on:click=move |_| arena.stop()>"Stop"</button>
            </div>
        </section>
    }
}

/// The beam width M.
#[component]
pub fn BeamWidthField(config: RwSignal<Config>) -> impl IntoView {
    view! {
        <div class="field">
            <label for="width">{move || format!("Beam width M: {}", config.with(|c| c.settings.knobs.width))}</label>
            {knob_slider(config, "width", (1, 16), 4, |k| k.width, |k, m| k.width = m)}
            <Help text="Beam search keeps N/M partial answers each step and grows M continuations from each." />
        </div>
    }
}

/// The verifier: the trained PRM, the larger one (loaded when chosen) or the exact checker.
#[component]
pub fn VerifierField(config: RwSignal<Config>, large_verifier: RwSignal<LargeVerifier>) -> impl IntoView {
    view! {
        <div class="field">
            <label for="verifier">"Verifier"</label>
            {choice(config, "verifier", &[(Verifier::Prm, "trained PRM"), (Verifier::PrmLarge, "larger PRM (12 MB more)"), (Verifier::Oracle, "exact checker (perfect)")], |c| c.settings.verifier, |c, v| c.settings.verifier = v)}
            <LargeVerifierStatus config=config large_verifier=large_verifier />
            <Help text="The trained PRM is the generator's size; the larger one reads steps with a 15× model and loads when chosen. The exact checker shows what perfect judgement would buy." />
        </div>
    }
}

/// The larger verifier's download (its own progress bar), build, or why it failed; shown
/// while it is chosen.
#[component]
fn LargeVerifierStatus(config: RwSignal<Config>, large_verifier: RwSignal<LargeVerifier>) -> impl IntoView {
    move || {
        if config.with(|c| c.settings.verifier != Verifier::PrmLarge) {
            return None;
        }
        Some(match large_verifier.get() {
            // The engine is not running yet: the download starts once it is.
            LargeVerifier::NotLoaded => view! { <p class="inline">"the larger verifier loads once the models are ready"</p> }.into_any(),
            LargeVerifier::Loading(p) => {
                let pct = if p.total > 0 { (p.done as f64 / p.total as f64 * 100.0).min(100.0) } else { 0.0 };
                view! {
                    <div class="inline" data-testid="large-verifier-loading">
                        <label for="large-verifier-progress">{format!("loading the larger verifier: {} ({} of {} kB, {pct:.0}%){}", p.file, p.done / 1024, p.total / 1024, if p.from_cache { ", from the cache" } else { "" })}</label>
                        <progress id="large-verifier-progress" max="100" value=pct></progress>
                    </div>
                }
                .into_any()
            }
            LargeVerifier::Building => view! { <p class="inline" data-testid="large-verifier-building">"building the larger verifier in the engine…"</p> }.into_any(),
            LargeVerifier::Ready => view! { <p class="inline ok" data-testid="large-verifier-ready">"larger verifier ready"</p> }.into_any(),
            LargeVerifier::Failed(e) => view! { <p class="inline error" role="alert" data-testid="large-verifier-error">{format!("The larger verifier could not be loaded: {e}. Choose another verifier to run.")}</p> }.into_any(),
        })
    }
}

#[component]
fn Help(text: &'static str) -> impl IntoView {
    view! { <p class="help">{text}</p> }
}

/// The problem box: what was typed, and whether it parses (its level) or why not.
#[component]
fn ProblemField(config: RwSignal<Config>, typed: RwSignal<String>) -> impl IntoView {
    let task = ArithmeticChain;
    let parsed = move || task.parse(&typed.get());
    let on_type = move |ev| {
        let text = event_target_value(&ev);
        typed.set(text.clone());
        if task.parse(&text).is_ok() {
            config.update(|c| c.problem = Some(text));
        }
    };
    view! {
        <div class="field wide">
            <label for="problem">"Problem: a chain of + − × applied left to right"</label>
            <input id="problem" autocomplete="off" spellcheck="false" prop:value=move || typed.get() on:input=on_type
                aria-invalid=move || parsed().is_err().to_string() aria-describedby="problem-status" />
            <p id="problem-status" class="inline" role="status">
                {move || match parsed() {
                    Ok(p) => {
                        // A drawn problem is of the level it was drawn from (easier levels' chains
                        // lie within harder ones'); a typed one, of the easiest that could draw it.
                        let level = config.with(|c| if c.problem.is_none() { c.level } else { task.level_of(&p).get() });
                        view! { <span class="ok">{format!("{} · level {level} · answer hidden until a run ends", task.display(&p))}</span> }.into_any()
                    }
                    Err(e) => view! { <span class="error" data-testid="problem-error">{e.to_string()}</span> }.into_any(),
                }}
            </p>
        </div>
    }
}

/// The difficulty of drawn problems, and drawing the next one.
#[component]
pub fn LevelField(config: RwSignal<Config>, typed: RwSignal<String>) -> impl IntoView {
    // The drawn problem replaces what was typed.
    let show_drawn = move || {
        if let Ok(p) = config.with_untracked(Config::problem_to_solve) {
            typed.set(p.expression());
        }
    };
    let draw = move |_| {
        config.update(|c| {
            c.index = (c.index + 1) % 1_000_000;
            c.problem = None;
        });
        show_drawn();
    };
    view! {
        <div class="field">
            <label for="level">"Difficulty"</label>
            <select id="level" on:change=move |ev| {
                let l = event_target_value(&ev).parse().unwrap_or(2);
                config.update(|c| { c.level = l; c.problem = None; });
                show_drawn();
            }>
                {(1..=5u8).map(|l| view! { <option value=l.to_string() selected=move || config.with(|c| c.level == l)>{format!("level {l}")}</option> }).collect_view()}
            </select>
            <button on:click=draw>"Draw a problem"</button>
            <Help text="Levels add operations, bigger numbers and multiplication." />
        </div>
    }
}

/// The budget on a log-scale slider (each notch doubles it); the revision chains follow it down.
#[component]
pub fn BudgetField(config: RwSignal<Config>) -> impl IntoView {
    let budget = move || config.with(|c| c.settings.knobs.budget);
    let notch = move || BUDGETS.iter().position(|&x| x == budget()).unwrap_or(4);
    let set_notch = move |ev| {
        let i: usize = event_target_value(&ev).parse().unwrap_or(4);
        config.update(|c| {
            let knobs = &mut c.settings.knobs;
            knobs.budget = BUDGETS[i.min(BUDGETS.len() - 1)];
            knobs.chains = knobs.chains.min(knobs.budget);
        });
    };
    view! {
        <div class="field">
            <label for="budget">{move || format!("Budget: {} generations", budget())}</label>
            <input id="budget" type="range" min="0" max=(BUDGETS.len() - 1).to_string() step="1"
                prop:value=move || notch().to_string()
                aria-valuetext=move || format!("{} generations", budget())
                on:input=set_notch />
            <Help text="How many full answers each strategy may generate (log scale: each notch doubles it)." />
        </div>
    }
}

#[component]
fn TemperatureField(config: RwSignal<Config>) -> impl IntoView {
    let temperature = move || config.with(|c| c.settings.common.temperature);
    view! {
        <div class="field">
            <label for="temperature">{move || format!("Temperature: {:.1}", temperature())}</label>
            <input id="temperature" type="range" min="0" max="2" step="0.1" prop:value=move || temperature().to_string()
                on:input=move |ev| config.update(|c| c.settings.common.temperature = event_target_value(&ev).parse::<f32>().unwrap_or(0.8).clamp(0.0, 2.0)) />
            <Help text="0 always picks the likeliest token; higher values give more varied answers." />
        </div>
    }
}

#[component]
fn SeedField(config: RwSignal<Config>) -> impl IntoView {
    let set_seed = move |ev| {
        if let Ok(s) = event_target_value(&ev).trim().parse::<u64>() {
            config.update(|c| c.settings.common.seed = s.min(u32::MAX as u64))
        }
    };
    view! {
        <div class="field">
            <label for="seed">"Seed"</label>
            <input id="seed" type="number" min="0" max="4294967295" prop:value=move || config.with(|c| c.settings.common.seed).to_string() on:change=set_seed />
            <Help text="The same seed and settings give the same run." />
        </div>
    }
}

/// A `<select>` over a named enum's `options` (in the page's order, with the page's labels;
/// each option's value is the variant's name, as the link spells it).
fn choice<T: Named + PartialEq>(config: RwSignal<Config>, id: &'static str, options: &'static [(T, &'static str)], get: fn(&Config) -> T, set: fn(&mut Config, T)) -> impl IntoView {
    view! {
        <select id=id on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<T>() { config.update(|c| set(c, v)) } }>
            {options.iter().map(|&(v, label)| {
                view! { <option value=v.name() selected=move || config.with(|c| get(c) == v)>{label}</option> }
            }).collect_view()}
        </select>
    }
}

/// A slider over one of the knobs, from `range.0` to `range.1` (`fallback` for what does not parse).
fn knob_slider(config: RwSignal<Config>, id: &'static str, range: (usize, usize), fallback: usize, get: fn(&Knobs) -> usize, set: fn(&mut Knobs, usize)) -> impl IntoView {
    let value = move || config.with(|c| get(&c.settings.knobs));
    let set = move |ev| config.update(|c| set(&mut c.settings.knobs, event_target_value(&ev).parse::<usize>().unwrap_or(fallback).clamp(range.0, range.1)));
    view! { <input id=id type="range" min=range.0.to_string() max=range.1.to_string() step="1" prop:value=move || value().to_string() on:input=set /> }
}

/// The revision chains C, each C × budget/C (every power of two up to the budget).
#[component]
pub fn ChainsField(config: RwSignal<Config>) -> impl IntoView {
    let chain_options = move || {
        let budget = config.with(|c| c.settings.knobs.budget);
        BUDGETS.iter().copied().filter(|&n| n <= budget).collect::<Vec<_>>()
    };
    let set_chains = move |ev| {
        if let Ok(n) = event_target_value(&ev).parse::<usize>() {
            config.update(|c| c.settings.knobs.chains = n.clamp(1, c.settings.knobs.budget))
        }
    };
    view! {
        <div class="field">
            <label for="chains">"Revision chains × length"</label>
            <select id="chains" on:change=set_chains>
                {move || chain_options().into_iter().map(|n| {
                    let budget = config.with_untracked(|c| c.settings.knobs.budget);
                    view! { <option value=n.to_string() selected=move || config.with(|c| c.settings.knobs.chains == n)>{format!("{n} × {}", budget / n)}</option> }
                }).collect_view()}
            </select>
            <Help text="The sequential:parallel split: C chains, each revising its answer budget/C times." />
        </div>
    }
}

/// Which lanes run.
#[component]
fn LaneChecks(config: RwSignal<Config>) -> impl IntoView {
    view! {
        <fieldset class="field lanes">
            <legend>"Lanes"</legend>
            {LANES.into_iter().enumerate().map(|(i, strategy)| view! {
                <label class="check">
                    <input type="checkbox" prop:checked=move || config.with(|c| c.lanes[i])
                        on:change=move |ev| config.update(|c| c.lanes[i] = event_target_checked(&ev)) />
                    {lane_text(strategy).0}
                </label>
            }).collect_view()}
        </fieldset>
    }
}
