//! The arena: the controls over the lanes, one lane per strategy, run side by side on the
//! same problem.

use crate::settings::LANES;
use crate::state::Page;
use crate::views::controls::Controls;
use crate::views::lane::Lane;
use engine::task::{ArithmeticChain, Task};
use leptos::prelude::*;

#[component]
pub fn Arena(page: Page) -> impl IntoView {
    let config = page.config;
    // The text box keeps what was typed, even when it does not parse.
    let typed = RwSignal::new(config.with_untracked(|c| c.problem.clone().unwrap_or_else(|| c.problem_to_solve().map(|p| p.expression()).unwrap_or_default())));
    let true_answer = Signal::derive(move || ArithmeticChain.parse(&typed.get()).map(|p| ArithmeticChain.true_answer(&p)).unwrap_or_default());
    view! {
        <Controls config=config arena=page.arena ready=Signal::derive(move || page.can_run()) large_verifier=page.large_verifier typed=typed />
        <section class="arena" aria-label="strategies side by side">
            {LANES.into_iter().zip(page.arena.lanes).enumerate().map(|(i, (strategy, state))| view! {
                <Show when=move || config.with(|c| c.lanes[i])><Lane strategy=strategy state=state true_answer=true_answer /></Show>
            }).collect_view()}
        </section>
    }
}
