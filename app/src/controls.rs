//! The arena's controls: the problem (drawn or typed, validated as you type), the budget and
//! every strategy's knobs, Run and Stop, and the lanes below them.

use crate::Status;
use crate::arena::{LANES, Lane};
use crate::config::{BUDGETS, Config};
use crate::runner::Runner;
use engine::search::{Aggregation, Selection, Verifier};
use engine::task::{ArithmeticChain, ChainProblem, Level, Task};
use leptos::prelude::*;

/// Problems drawn in the page come from this seed (index = the problem's number).
pub const DRAW_SEED: u64 = 2026;

/// The configured problem, or the parser's message.
pub fn problem_of(c: &Config) -> Result<ChainProblem, String> {
    let task = ArithmeticChain;
    match &c.problem {
        Some(text) => task.parse(text).map_err(|e| e.to_string()),
        None => Level::new(c.level).map(|l| task.generate(l, DRAW_SEED, c.index)).map_err(|e| e.to_string()),
    }
}

fn budget_index(b: usize) -> usize {
    BUDGETS.iter().position(|&x| x == b).unwrap_or(4)
}

#[component]
fn Help(text: &'static str) -> impl IntoView {
    view! { <p class="help">{text}</p> }
}

#[component]
pub fn Controls(config: RwSignal<Config>, runner: Runner, status: RwSignal<Status>) -> impl IntoView {
    let task = ArithmeticChain;
    // The text box keeps what was typed, even when it does not parse.
    let typed = RwSignal::new(config.with_untracked(|c| c.problem.clone().unwrap_or_else(|| problem_of(c).map(|p| p.expression()).unwrap_or_default())));
    let parsed = move || task.parse(&typed.get());
    let on_type = move |ev| {
        let text = event_target_value(&ev);
        typed.set(text.clone());
        if task.parse(&text).is_ok() {
            config.update(|c| c.problem = Some(text));
        }
    };
    let draw = move |_| {
        config.update(|c| {
            c.index = (c.index + 1) % 1_000_000;
            c.problem = None;
        });
        let p = config.with_untracked(problem_of);
        if let Ok(p) = p {
            typed.set(p.expression());
        }
    };
    let ready = move || matches!(status.get(), Status::Ready { .. });
    let can_run = move || ready() && parsed().is_ok() && !runner.busy.get();
    let run = move || {
        if let Ok(problem) = parsed() {
            runner.run(problem, &config.get_untracked());
        }
    };
    let true_answer = Signal::derive(move || parsed().map(|p| task.true_answer(&p)).unwrap_or_default());
    let chain_options = move || {
        let budget = config.with(|c| c.budget);
        BUDGETS.iter().copied().filter(|&n| n <= budget).collect::<Vec<_>>()
    };

    view! {
        <section class="controls" aria-label="problem and budget">
            <div class="field wide">
                <label for="problem">"Problem: a chain of + − × applied left to right"</label>
                <input id="problem" autocomplete="off" spellcheck="false" prop:value=move || typed.get() on:input=on_type
                    aria-invalid=move || parsed().is_err().to_string() aria-describedby="problem-status" />
                <p id="problem-status" class="inline" role="status">
                    {move || match parsed() {
                        Ok(p) => view! { <span class="ok">{format!("{} · level {} · answer hidden until a run ends", task.display(&p), task.level_of(&p).get())}</span> }.into_any(),
                        Err(e) => view! { <span class="error" data-testid="problem-error">{e.to_string()}</span> }.into_any(),
                    }}
                </p>
            </div>
            <div class="field">
                <label for="level">"Difficulty"</label>
                <select id="level" on:change=move |ev| {
                    let l = event_target_value(&ev).parse().unwrap_or(2);
                    config.update(|c| { c.level = l; c.problem = None; });
                    if let Ok(p) = config.with_untracked(problem_of) { typed.set(p.expression()); }
                }>
                    {(1..=5u8).map(|l| view! { <option value=l.to_string() selected=move || config.with(|c| c.level == l)>{format!("level {l}")}</option> }).collect_view()}
                </select>
                <button on:click=draw>"Draw a problem"</button>
                <Help text="Levels add operations, bigger numbers and multiplication." />
            </div>
            <div class="field">
                <label for="budget">{move || format!("Budget: {} generations", config.with(|c| c.budget))}</label>
                <input id="budget" type="range" min="0" max=(BUDGETS.len() - 1).to_string() step="1"
                    prop:value=move || budget_index(config.with(|c| c.budget)).to_string()
                    aria-valuetext=move || format!("{} generations", config.with(|c| c.budget))
                    on:input=move |ev| {
                        let i: usize = event_target_value(&ev).parse().unwrap_or(4);
                        config.update(|c| { c.budget = BUDGETS[i.min(BUDGETS.len() - 1)]; c.chains = c.chains.min(c.budget); });
                    } />
                <Help text="How many full answers each strategy may generate (log scale: each notch doubles it)." />
            </div>
            <div class="field">
                <label for="temperature">{move || format!("Temperature: {:.1}", config.with(|c| c.temperature))}</label>
                <input id="temperature" type="range" min="0" max="2" step="0.1" prop:value=move || config.with(|c| c.temperature).to_string()
                    on:input=move |ev| config.update(|c| c.temperature = event_target_value(&ev).parse::<f32>().unwrap_or(0.8).clamp(0.0, 2.0)) />
                <Help text="0 always picks the likeliest token; higher values give more varied answers." />
            </div>
            <div class="field">
                <label for="seed">"Seed"</label>
                <input id="seed" type="number" min="0" max="4294967295" prop:value=move || config.with(|c| c.seed).to_string()
                    on:change=move |ev| { if let Ok(s) = event_target_value(&ev).trim().parse::<u64>() { config.update(|c| c.seed = s.min(u32::MAX as u64)) } } />
                <Help text="The same seed and settings give the same run." />
            </div>
            <div class="field">
                <label for="selection">"Selection"</label>
                <select id="selection" on:change=move |ev| { if let Ok(s) = event_target_value(&ev).parse::<Selection>() { config.update(|c| c.selection = s) } }>
                    {[("weighted", "weighted vote"), ("majority", "majority vote"), ("max", "best single score")].into_iter().map(|(v, l)| {
                        view! { <option value=v selected=move || config.with(|c| v.parse::<Selection>().ok() == Some(c.selection))>{l}</option> }
                    }).collect_view()}
                </select>
                <Help text="How the final answer is picked: most votes, votes weighted by the verifier, or the top-scored answer." />
            </div>
            <div class="field">
                <label for="aggregation">"Step scores"</label>
                <select id="aggregation" on:change=move |ev| { if let Ok(a) = event_target_value(&ev).parse::<Aggregation>() { config.update(|c| c.aggregation = a) } }>
                    {[("last", "last step"), ("min", "weakest step"), ("product", "product")].into_iter().map(|(v, l)| {
                        view! { <option value=v selected=move || config.with(|c| v.parse::<Aggregation>().ok() == Some(c.aggregation))>{l}</option> }
                    }).collect_view()}
                </select>
                <Help text="The verifier scores every step; this folds them into one score per answer." />
            </div>
            <div class="field">
                <label for="width">{move || format!("Beam width M: {}", config.with(|c| c.width))}</label>
                <input id="width" type="range" min="1" max="16" step="1" prop:value=move || config.with(|c| c.width).to_string()
                    on:input=move |ev| config.update(|c| c.width = event_target_value(&ev).parse::<usize>().unwrap_or(4).clamp(1, 16)) />
                <Help text="Beam search keeps N/M partial answers each step and grows M continuations from each." />
            </div>
            <div class="field">
                <label for="lookahead">{move || format!("Lookahead k: {}", config.with(|c| c.lookahead))}</label>
                <input id="lookahead" type="range" min="1" max="8" step="1" prop:value=move || config.with(|c| c.lookahead).to_string()
                    on:input=move |ev| config.update(|c| c.lookahead = event_target_value(&ev).parse::<usize>().unwrap_or(1).clamp(1, 8)) />
                <Help text="Steps rolled out ahead before a step is judged." />
            </div>
            <div class="field">
                <label for="chains">"Revision chains × length"</label>
                <select id="chains" on:change=move |ev| { if let Ok(n) = event_target_value(&ev).parse::<usize>() { config.update(|c| c.chains = n.clamp(1, c.budget)) } }>
                    {move || chain_options().into_iter().map(|n| {
                        let budget = config.with_untracked(|c| c.budget);
                        view! { <option value=n.to_string() selected=move || config.with(|c| c.chains == n)>{format!("{n} × {}", budget / n)}</option> }
                    }).collect_view()}
                </select>
                <Help text="The sequential:parallel split: C chains, each revising its answer budget/C times." />
            </div>
            <div class="field">
                <label for="verifier">"Verifier"</label>
                <select id="verifier" on:change=move |ev| { let v = if event_target_value(&ev) == "oracle" { Verifier::Oracle } else { Verifier::Prm }; config.update(|c| c.verifier = v) }>
                    <option value="prm" selected=move || config.with(|c| c.verifier == Verifier::Prm)>"trained PRM"</option>
                    <option value="oracle" selected=move || config.with(|c| c.verifier == Verifier::Oracle)>"exact checker (perfect)"</option>
                </select>
                <Help text="Swap the learned verifier for a perfect one to see what better judgement would buy." />
            </div>
            <fieldset class="field lanes">
                <legend>"Lanes"</legend>
                {LANES.iter().enumerate().map(|(i, spec)| view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=move || config.with(|c| c.lanes[i])
                            on:change=move |ev| config.update(|c| c.lanes[i] = event_target_checked(&ev)) />
                        {spec.title}
                    </label>
                }).collect_view()}
            </fieldset>
            <div class="actions">
                <button class="primary" data-testid="run" disabled=move || !can_run() on:click=move |_| run()>"Run"</button>
                <button data-testid="stop" disabled=move || !runner.busy.get() on:click=move |_| runner.stop()>"Stop"</button>
            </div>
        </section>
        <section class="arena" aria-label="strategies side by side">
            {LANES.iter().zip(runner.lanes).enumerate().map(|(i, (spec, state))| view! {
                <Show when=move || config.with(|c| c.lanes[i])><Lane spec=spec state=state true_answer=true_answer /></Show>
            }).collect_view()}
        </section>
    }
}
