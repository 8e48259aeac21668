//! The window's controls, driven without a window (egui_kittest reads them through AccessKit):
//! a malformed typed problem shows the parser's own message and Run stays off.

use arena::config::Config;
use desktop::app::{ArenaApp, PROBLEM_LABEL, Script};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use engine::task::{ArithmeticChain, Task};

fn harness(app: ArenaApp) -> Harness<'static, ArenaApp> {
    let mut harness = Harness::new_ui_state(|ui, app: &mut ArenaApp| app.draw(ui), app);
    harness.set_size(eframe::egui::vec2(1400.0, 900.0));
    harness.run();
    harness
}

#[test]
fn a_malformed_problem_shows_the_parsers_message() {
    let mut h = harness(ArenaApp::new(Config::default(), None, Script::default()));
    h.state_mut().typed.clear();
    h.run();
    h.get_by_label(PROBLEM_LABEL).focus();
    h.run();
    h.get_by_label(PROBLEM_LABEL).type_text("12/3+");
    h.run();
    assert_eq!(h.state().typed, "12/3+");
    let message = ArithmeticChain.parse("12/3+").unwrap_err().to_string();
    h.get_by_label(&message);
    assert!(h.get_by_label("Run").accesskit_node().is_disabled(), "Run should be off for a malformed problem");
    // Mending it replaces the message with the problem's level.
    h.state_mut().typed.clear();
    h.run();
    h.get_by_label(PROBLEM_LABEL).type_text("12*3+4");
    h.run();
    assert!(h.query_by_label(&message).is_none());
    h.get_by_label_contains("level");
    assert_eq!(h.state().config.problem.as_deref(), Some("12*3+4"), "a problem that parses goes into the link");
}

#[test]
fn the_link_syntax_sets_the_controls() {
    let (config, errors) = Config::from_query("level=4&budget=32&verifier=oracle&lanes=beam,revisions");
    assert!(errors.is_empty(), "{errors:?}");
    let h = harness(ArenaApp::new(config, None, Script::default()));
    h.get_by_label_contains("budget: 32 generations");
    assert_eq!(h.state().config.lanes, [false, true, true, false, false]);
    let link = h.get_by_label_contains("as the page's link").value().unwrap_or_default();
    assert!(link.contains("level=4&") && link.contains("budget=32") && link.contains("verifier=oracle"), "{link}");
}

/// Steps the harness until `done` holds, or panics after `seconds`.
fn step_until(h: &mut Harness<'static, ArenaApp>, seconds: f64, what: &str, done: impl Fn(&ArenaApp) -> bool) {
    let start = std::time::Instant::now();
    while !done(h.state()) {
        assert!(start.elapsed().as_secs_f64() < seconds, "{what} took over {seconds} s");
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
}

#[test]
fn stop_ends_a_budget_256_run_within_half_a_second() {
    let (config, errors) = Config::from_query("level=3&index=1&budget=256&chains=16");
    assert!(errors.is_empty(), "{errors:?}");
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/models");
    let engine = desktop::app::EngineLink::start(models, engine::backend::BackendChoice::Cpu, &eframe::egui::Context::default());
    let mut h = harness(ArenaApp::new(config, Some(engine), Script::default()));
    step_until(&mut h, 120.0, "loading the models", |a| matches!(a.status, desktop::app::Status::Ready(_)));
    h.get_by_label("Run").click();
    step_until(&mut h, 120.0, "the first 200 tokens", |a| a.lanes.iter().map(|l| l.tokens_seen()).sum::<u64>() > 200);
    let asked = std::time::Instant::now();
    h.get_by_label("Stop").click();
    step_until(&mut h, 10.0, "stopping", |a| !a.busy());
    let took = asked.elapsed().as_secs_f64();
    eprintln!("stopped in {:.0} ms", took * 1000.0);
    assert!(took < 0.5, "Stop took {took:.2} s");
    assert!(h.state().lanes.iter().any(|l| l.error.as_deref() == Some("stopped")), "the lanes say they were stopped");
    // The next run starts afresh and finishes.
    h.state_mut().config.settings.knobs.budget = 2;
    h.state_mut().config.settings.knobs.chains = 1;
    h.get_by_label("Run").click();
    step_until(&mut h, 120.0, "a budget-2 run", |a| !a.busy() && a.lanes.iter().all(|l| l.chosen.is_some()));
}
