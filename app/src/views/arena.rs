//! The arena: the controls over the lanes, one lane per strategy, run side by side on the
//! same problem.

use crate::settings::LANES;
use crate::state::Page;
use crate::state::config::View;
use crate::views::controls::Controls;
use crate::views::lane::Lane;
use engine::task::{ArithmeticChain, Task};
use leptos::prelude::*;

#[component]
pub fn Arena(page: Page) -> impl IntoView {
    let config = page.config;
    // The text box keeps what was typed, even when it does not parse.
    let typed = RwSignal::new(config.with_untracked(|c| c.problem.clone().unwrap_or_else(|| c.problem_to_solve().map(|p| p.expression()).unwrap_or_default())));
    // A problem set from outside the box (the first visit's pick) shows in it.
    let configured = Memo::new(move |_| config.with(|c| c.problem.clone()));
    Effect::new(move |_| {
        if let Some(p) = configured.get()
            && typed.get_untracked() != p
        {
            typed.set(p);
        }
    });
    let true_answer = Signal::derive(move || ArithmeticChain.parse(&typed.get()).map(|p| ArithmeticChain.true_answer(&p)).unwrap_or_default());
    let lessons = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        page.welcome.set(None);
        config.update(|c| c.chapter = 1);
        page.open(View::Lessons);
    };
    let welcome = move || {
        page.welcome.get().map(|expression| {
            let expression = ArithmeticChain.parse(&expression).map(|p| ArithmeticChain.display(&p)).unwrap_or(expression);
            view! {
                <p class="welcome" data-testid="welcome">
                    {format!("In Ponder's own study the strategies came out differently on {expression}: press Run and watch which lanes reach the answer, and how the verifier's colours steer the searches. ")}
                    <a href="?view=lessons&chapter=1" on:click=lessons>"New to test-time compute? Take the lessons."</a>
                </p>
            }
        })
    };
    view! {
        {welcome}
        <Controls config=config arena=page.arena ready=Signal::derive(move || page.can_run()) large_verifier=page.large_verifier typed=typed />
        <section class="arena" aria-label="strategies side by side">
            {LANES.into_iter().zip(page.arena.lanes).enumerate().map(|(i, (strategy, state))| view! {
                <Show when=move || config.with(|c| c.lanes[i])><Lane strategy=strategy state=state true_answer=true_answer /></Show>
            }).collect_view()}
        </section>
    }
}
