//! Ponder's web app. For now a small page over the engine's task: type an arithmetic chain and
//! see it validated and solved step by step by the exact reference solver. The live arena
//! (models on WebGPU, strategies side by side) builds on this page.

use engine::task::{ArithmeticChain, Level, Task};
use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let task = ArithmeticChain;
    let (input, set_input) = signal(String::from("47+18*3-5"));
    let (level, set_level) = signal(3u8);
    let (index, set_index) = signal(0u64);
    let parsed = move || task.parse(&input.get());
    let draw = move |_| {
        set_index.update(|i| *i += 1);
        let l = Level::new(level.get()).unwrap_or(Level::ALL[2]);
        set_input.set(task.generate(l, 0, index.get()).expression());
    };
    view! {
        <main>
            <h1>"Ponder"</h1>
            <p class="lede">
                "Test-time compute, made visible. A small model will solve arithmetic chains here, on your own GPU, "
                "and you will watch what each extra unit of compute buys. The live arena is being built; "
                "this page already runs Ponder's engine in your browser: its problem generator, parser and exact checker."
            </p>
            <section>
                <label for="problem">"A chain (operations apply left to right)"</label>
                <input id="problem" prop:value=input on:input=move |ev| set_input.set(event_target_value(&ev)) />
                <div class="row">
                    <label for="level">"Difficulty"</label>
                    <select id="level" on:change=move |ev| set_level.set(event_target_value(&ev).parse().unwrap_or(3))>
                        {(1..=5).map(|l| view! { <option value=l.to_string() selected=move || level.get() == l>{format!("level {l}")}</option> }).collect_view()}
                    </select>
                    <button on:click=draw>"Draw a problem"</button>
                </div>
                {move || match parsed() {
                    Ok(p) => view! {
                        <div class="solution">
                            <p>{format!("{}  (estimated level {})", task.display(&p), task.level_of(&p).get())}</p>
                            <pre>{task.reference_solution(&p)}</pre>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }}
            </section>
        </main>
    }
}
