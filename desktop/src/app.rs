//! The window: the arena's controls on the left (the page's, with its parser messages), the
//! lanes side by side on the right, filling in as the engine thread sends their news.

use crate::engine_thread::{self, FromEngine, ToEngine};
use crate::lane_view;
use arena::config::{BUDGETS, Config, LANE_KEYS};
use arena::lane::{LaneState, LaneUpdate};
use arena::run::{Pending, plan};
use arena::settings::LANES;
use arena::text::lane_text;
use eframe::egui::{self, Color32, RichText};
use engine::backend::BackendChoice;
use engine::infer::CancelToken;
use engine::search::{Aggregation, Selection, Verifier};
use engine::task::{ArithmeticChain, Task};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};

/// Where the engine runs, and how to start it again (after a run that failed).
pub struct EngineLink {
    pub models: PathBuf,
    pub backend: BackendChoice,
    to_engine: Sender<ToEngine>,
    from_engine: Receiver<FromEngine>,
}

impl EngineLink {
    pub fn start(models: PathBuf, backend: BackendChoice, ctx: &egui::Context) -> Self {
        let wake = ctx.clone();
        let (to_engine, from_engine) = engine_thread::spawn(models.clone(), backend, move || wake.request_repaint());
        EngineLink { models, backend, to_engine, from_engine }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Starting,
    Ready(String),
    Failed(String),
}

/// What the command line asked the window to do by itself: run once the models are ready,
/// then save a screenshot and close.
#[derive(Clone, Debug, Default)]
pub struct Script {
    pub run: bool,
    pub screenshot: Option<PathBuf>,
    pub exit_when_done: bool,
}

/// The problem box's label (the box is labelled by it, for screen readers and tests).
pub const PROBLEM_LABEL: &str = "Problem: a chain of + − × applied left to right";

pub struct ArenaApp {
    pub config: Config,
    /// What the problem box holds, parsed or not.
    pub typed: String,
    pub lanes: [LaneState; LANES.len()],
    pub status: Status,
    pub backend: Option<String>,
    engine: Option<EngineLink>,
    generation: u64,
    cancel: CancelToken,
    pending: Option<Pending>,
    script: Script,
    /// The script's run has started (it runs once).
    script_ran: bool,
    screenshot_asked: bool,
    /// Set by the screenshot's callback once it is saved.
    screenshot_saved: Arc<AtomicBool>,
}

impl ArenaApp {
    /// The arena for `config`, with the engine behind `engine` (none: the controls alone, as
    /// the tests drive them).
    pub fn new(config: Config, engine: Option<EngineLink>, script: Script) -> Self {
        let typed = config.problem.clone().unwrap_or_else(|| config.problem_to_solve().map(|p| p.expression()).unwrap_or_default());
        ArenaApp {
            config,
            typed,
            lanes: Default::default(),
            status: Status::Starting,
            backend: None,
            engine,
            generation: 0,
            cancel: CancelToken::new(),
            pending: None,
            script,
            script_ran: false,
            screenshot_asked: false,
            screenshot_saved: Arc::default(),
        }
    }

    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    fn can_run(&self) -> bool {
        matches!(self.status, Status::Ready(_)) && !self.busy() && ArithmeticChain.parse(&self.typed).is_ok()
    }

    /// Starts the lanes that are on; those whose knobs are invalid say why.
    pub fn run(&mut self) {
        let Ok(problem) = ArithmeticChain.parse(&self.typed) else { return };
        let Some(engine) = &self.engine else { return };
        self.lanes = Default::default();
        self.generation += 1;
        self.cancel = CancelToken::new();
        let mut lanes = Vec::new();
        for (i, strategy) in plan(&self.config.settings, self.config.lanes) {
            match strategy {
                Ok(s) => lanes.push((i, s)),
                Err(e) => self.lanes[i].update(LaneUpdate::Invalid(e)),
            }
        }
        if lanes.is_empty() {
            return;
        }
        self.pending = Some(Pending { lanes: lanes.iter().map(|(i, _)| *i).collect(), failed: false });
        let run = ToEngine::Run { generation: self.generation, settings: self.config.settings.clone(), lanes, problem, cancel: self.cancel.clone() };
        if engine.to_engine.send(run).is_err() {
            self.engine_gone();
        }
    }

    /// Stops the run between two decode steps; its lanes end with "stopped".
    pub fn stop(&mut self) {
        self.cancel.cancel();
    }

    fn engine_gone(&mut self) {
        self.pending = None;
        for lane in self.lanes.iter_mut().filter(|l| l.running) {
            lane.end("the engine stopped");
        }
        self.status = Status::Failed("the engine thread stopped".into());
    }

    /// Applies what the engine sent since the last frame.
    fn receive(&mut self, ctx: &egui::Context) {
        let Some(engine) = &self.engine else { return };
        let mut restart = false;
        let messages: Vec<FromEngine> = engine.from_engine.try_iter().collect();
        for msg in messages {
            match msg {
                FromEngine::Backend { info, fallback } => {
                    self.backend = Some(match fallback {
                        Some(why) => format!("backend: {} · {} (wgpu could not start: {why})", info.kind, info.adapter),
                        None => format!("backend: {} · {}", info.kind, info.adapter),
                    })
                }
                FromEngine::Ready { weights } => self.status = Status::Ready(weights),
                FromEngine::Failed(e) => self.status = Status::Failed(e),
                FromEngine::Lane { generation, lane, update } if generation == self.generation => {
                    let finished = match &update {
                        LaneUpdate::Finished { failed, .. } => Some(*failed),
                        _ => None,
                    };
                    self.lanes[lane].update(update);
                    if let (Some(failed), Some(pending)) = (finished, self.pending.as_mut())
                        && let Some(any_failed) = pending.finish(lane, failed)
                    {
                        self.pending = None;
                        restart = any_failed;
                    }
                }
                FromEngine::Lane { .. } => {}
            }
        }
        // A failed run (a lost device, say) leaves the engine suspect: start it afresh.
        if restart && let Some(old) = self.engine.take() {
            self.status = Status::Starting;
            self.engine = Some(EngineLink::start(old.models, old.backend, ctx));
        }
    }

    /// The command line's script: run once ready, then screenshot and close once done.
    fn follow_script(&mut self, ctx: &egui::Context) {
        if self.script.run && !self.script_ran && matches!(self.status, Status::Ready(_)) {
            self.script_ran = true;
            self.run();
            if !self.busy() {
                eprintln!("error: the run did not start (the problem or every lane's knobs are invalid)");
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
        if let Status::Failed(e) = &self.status
            && self.script.exit_when_done
        {
            eprintln!("error: {e}");
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if !self.script_ran || self.busy() {
            return;
        }
        if self.screenshot_asked && self.script.screenshot.is_some() && !self.screenshot_saved.load(Ordering::Relaxed) {
            // The capture is read back when the GPU queue next moves: keep frames coming.
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        if !self.screenshot_asked {
            self.screenshot_asked = true;
            for (key, lane) in LANE_KEYS.iter().zip(&self.lanes) {
                if let Some(summary) = lane_summary(lane) {
                    println!("{key:<16} {summary}");
                }
            }
            match self.script.screenshot.clone() {
                Some(path) => {
                    let (exit, window, saved) = (self.script.exit_when_done, ctx.clone(), self.screenshot_saved.clone());
                    ctx.request_screenshot(move |image| {
                        saved.store(true, Ordering::Relaxed);
                        match save_png(&image, &path) {
                            Ok(()) => println!("screenshot: {}", path.display()),
                            Err(e) => eprintln!("error: could not save the screenshot to {}: {e}", path.display()),
                        }
                        if exit {
                            window.send_viewport_cmd(egui::ViewportCommand::Close);
                        }
                        window.request_repaint();
                    });
                }
                None if self.script.exit_when_done => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
                None => {}
            }
        }
    }

    /// The whole window.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.receive(&ctx);
        self.follow_script(&ctx);
        egui::Panel::top("header").show(ui, |ui| self.header(ui));
        egui::Panel::left("controls").resizable(true).default_size(300.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.controls(ui));
        });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::both().show(ui, |ui| {
                ui.horizontal_top(|ui| {
                    for (i, strategy) in LANES.into_iter().enumerate() {
                        if self.config.lanes[i] {
                            lane_view::lane(ui, strategy, &self.lanes[i], &self.true_answer());
                        }
                    }
                });
            });
        });
        if self.busy() {
            // The engine wakes the window when news comes; this keeps the timers moving.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }

    fn true_answer(&self) -> String {
        ArithmeticChain.parse(&self.typed).map(|p| ArithmeticChain.true_answer(&p)).unwrap_or_default()
    }

    fn header(&mut self, ui: &mut egui::Ui) {
        ui.heading("Ponder: test-time compute, made visible");
        ui.label("A small model solves arithmetic chains and a verifier scores every step; give it a budget and watch what it buys spent in parallel, sequentially, or in search.");
        if let Some(b) = &self.backend {
            ui.label(RichText::new(b).small());
        }
        match &self.status {
            Status::Starting => ui.label("starting the engine and loading the models…"),
            Status::Ready(w) => ui.colored_label(Color32::DARK_GREEN, format!("models ready: {w}")),
            Status::Failed(e) => ui.colored_label(Color32::RED, format!("The models could not be loaded: {e}. Problems can still be typed and checked; runs need the models.")),
        };
    }

    fn controls(&mut self, ui: &mut egui::Ui) {
        let task = ArithmeticChain;
        let label = ui.label(RichText::new(PROBLEM_LABEL).strong());
        let edit = ui.add(egui::TextEdit::singleline(&mut self.typed).font(egui::TextStyle::Monospace).desired_width(f32::INFINITY)).labelled_by(label.id);
        if edit.changed() && task.parse(&self.typed).is_ok() {
            self.config.problem = Some(self.typed.clone());
        }
        match task.parse(&self.typed) {
            Ok(p) => {
                let level = if self.config.problem.is_none() { self.config.level } else { task.level_of(&p).get() };
                ui.colored_label(Color32::DARK_GREEN, format!("{} · level {level} · answer hidden until a run ends", task.display(&p)));
            }
            Err(e) => {
                ui.colored_label(Color32::RED, e.to_string());
            }
        }
        ui.horizontal(|ui| {
            let mut level = self.config.level;
            egui::ComboBox::from_label("difficulty").selected_text(format!("level {level}")).show_ui(ui, |ui| {
                for l in 1..=5u8 {
                    ui.selectable_value(&mut level, l, format!("level {l}"));
                }
            });
            if level != self.config.level {
                self.config.level = level;
                self.show_drawn();
            }
            if ui.button("Draw a problem").clicked() {
                self.config.index = (self.config.index + 1) % 1_000_000;
                self.show_drawn();
            }
        });
        ui.separator();
        let knobs = &mut self.config.settings.knobs;
        let mut notch = BUDGETS.iter().position(|&b| b == knobs.budget).unwrap_or(4);
        let label = format!("budget: {} generations", BUDGETS[notch]);
        ui.add(egui::Slider::new(&mut notch, 0..=BUDGETS.len() - 1).show_value(false).text(label));
        knobs.budget = BUDGETS[notch];
        knobs.chains = knobs.chains.min(knobs.budget);
        let common = &mut self.config.settings.common;
        ui.add(egui::Slider::new(&mut common.temperature, 0.0..=2.0).step_by(0.1).text("temperature"));
        ui.horizontal(|ui| {
            let label = ui.label("seed");
            ui.add(egui::DragValue::new(&mut common.seed).range(0..=u32::MAX as u64)).labelled_by(label.id);
        });
        choice(ui, "selection", &mut common.selection, &[(Selection::Weighted, "weighted vote"), (Selection::Majority, "majority vote"), (Selection::Max, "best single score")]);
        choice(ui, "step scores", &mut common.aggregation, &[(Aggregation::Last, "last step"), (Aggregation::Min, "weakest step"), (Aggregation::Product, "product")]);
        let knobs = &mut self.config.settings.knobs;
        ui.add(egui::Slider::new(&mut knobs.width, 1..=16).text("beam width M"));
        ui.add(egui::Slider::new(&mut knobs.lookahead, 1..=8).text("lookahead k"));
        let budget = knobs.budget;
        egui::ComboBox::from_label("revision chains × length").selected_text(format!("{} × {}", knobs.chains, budget / knobs.chains.max(1))).show_ui(ui, |ui| {
            for n in BUDGETS.into_iter().filter(|&n| n <= budget) {
                ui.selectable_value(&mut knobs.chains, n, format!("{n} × {}", budget / n));
            }
        });
        choice(ui, "verifier", &mut self.config.settings.verifier, &[(Verifier::Prm, "trained PRM"), (Verifier::PrmLarge, "larger PRM"), (Verifier::Oracle, "exact checker (perfect)")]);
        if self.config.settings.verifier == Verifier::PrmLarge {
            ui.label(RichText::new("the larger verifier loads with the first run that asks for it").small());
        }
        ui.separator();
        ui.label(RichText::new("Lanes").strong());
        for (i, strategy) in LANES.into_iter().enumerate() {
            ui.checkbox(&mut self.config.lanes[i], lane_text(strategy).0);
        }
        ui.horizontal(|ui| {
            if ui.add_enabled(self.can_run(), egui::Button::new("Run")).clicked() {
                self.run();
            }
            if ui.add_enabled(self.busy(), egui::Button::new("Stop")).clicked() {
                self.stop();
            }
        });
        ui.separator();
        let label = ui.label(RichText::new("These settings as the page's link (ponder-arena --config takes it too):").small());
        let mut link = self.config.to_query().trim_start_matches('?').to_string();
        ui.add(egui::TextEdit::multiline(&mut link).font(egui::TextStyle::Small).desired_rows(2)).labelled_by(label.id);
    }

    /// Shows the drawn problem of the level and index (it replaces what was typed).
    fn show_drawn(&mut self) {
        self.config.problem = None;
        if let Ok(p) = self.config.problem_to_solve() {
            self.typed = p.expression();
        }
    }
}

impl eframe::App for ArenaApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }
}

/// A combo box over a few named values.
fn choice<T: PartialEq + Copy>(ui: &mut egui::Ui, label: &str, value: &mut T, options: &[(T, &str)]) {
    let current = options.iter().find(|(v, _)| v == value).map(|(_, n)| *n).unwrap_or("?");
    egui::ComboBox::from_label(label).selected_text(current).show_ui(ui, |ui| {
        for (v, name) in options {
            ui.selectable_value(value, *v, *name);
        }
    });
}

/// One line on how a finished lane ended, for the command line.
fn lane_summary(lane: &LaneState) -> Option<String> {
    if let Some(e) = &lane.error {
        return Some(format!("error: {e}"));
    }
    let chosen = lane.chosen.as_ref()?;
    Some(format!(
        "chosen {} ({}) · {}",
        chosen.answer.as_deref().unwrap_or("none"),
        if chosen.correct { "right" } else { "wrong" },
        arena::text::compute_line(lane)
    ))
}

fn save_png(image: &egui::ColorImage, path: &std::path::Path) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    image::save_buffer(path, &bytes, w as u32, h as u32, image::ColorType::Rgba8).map_err(|e| e.to_string())
}
