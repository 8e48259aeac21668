//! What the page knows: its configuration (the link), the engine's status and backend, the
//! weights being loaded, and every job it runs in the engine worker. The views draw it.

pub mod arena;
pub mod bench;
pub use ::arena::config;
pub mod host;
pub mod job;
pub use ::arena::lane;
pub mod loader;
pub mod study;
pub mod sweep;

use crate::protocol::{FromWorker, MODELS_DIR, PlanRow};
use crate::settings::BackendPref;
use config::{Config, View};
use engine::model::weights::Manifest;
use engine::search::Verifier;
use leptos::prelude::*;
use std::rc::Rc;

/// What the page knows about its backend and weights.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    StartingBackend,
    Loading(loader::Progress),
    Ready { weights: String },
    /// The engine worker is being started afresh (after Stop, a failed run or a crash).
    Restarting(String),
    /// The weights could not be loaded; the page still validates and draws problems.
    Failed(String),
}

/// The larger verifier: its files are fetched only once a visitor chooses it.
#[derive(Clone, Debug, PartialEq)]
pub enum LargeVerifier {
    NotLoaded,
    Loading(loader::Progress),
    /// Its files are here; the engine restarts to build it.
    Building,
    Ready,
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackendStatus {
    pub kind: String,
    pub adapter: String,
    pub fallback: Option<crate::protocol::Fallback>,
    /// Both backends' decode throughput per batch size, when the CPU runs beside WebGPU.
    pub plan: Vec<PlanRow>,
    pub measuring: bool,
}

/// The study's configurations the arena's lanes run at the default settings (the compute-optimal
/// lane runs one of them): best-of-N weighted, revisions in chains of budget/C, beam search
/// M=width, lookahead k.
fn default_lane_recipes(s: &crate::settings::Settings) -> Vec<engine::search::Recipe> {
    use engine::search::{Recipe, Selection, Width};
    let k = &s.knobs;
    vec![
        Recipe::BestOfN { selection: Selection::Weighted },
        Recipe::Revisions { length: k.budget / k.chains.max(1) },
        Recipe::Beam { width: Width::Fixed(k.width) },
        Recipe::Lookahead { k: k.lookahead },
    ]
}

/// Ends the engine worker and starts a fresh one with the same models.
pub fn restart_engine(status: RwSignal<Status>, why: &str) {
    status.set(Status::Restarting(why.to_string()));
    if let Err(e) = host::restart() {
        status.set(Status::Failed(e));
    }
}

/// The page's link settings, as its address has them now.
pub fn current_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// Writes the configuration into the address, without a new history entry.
fn write_query(query: &str) {
    if let Some(w) = web_sys::window()
        && let Ok(history) = w.history()
    {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query));
    }
}

/// The page's state: its configuration, the engine's status, and the jobs run in it.
#[derive(Clone, Copy)]
pub struct Page {
    pub config: RwSignal<Config>,
    pub status: RwSignal<Status>,
    pub backend: RwSignal<Option<BackendStatus>>,
    /// Why the weights could not be kept for the next visit, when they could not.
    pub cache_note: RwSignal<Option<String>>,
    pub large_verifier: RwSignal<LargeVerifier>,
    /// The problem a first visit opened on (picked from the study report), while it is shown.
    pub welcome: RwSignal<Option<String>>,
    /// The manifest the page loaded (none: random weights).
    manifest: StoredValue<Option<Manifest>>,
    pub arena: arena::ArenaRun,
    pub sweep: sweep::SweepRun,
    pub bench: bench::BenchRun,
    pub study: study::StudyRun,
    /// Whether the engine ever became ready: a worker that dies before that is not restarted
    /// (it would die again), one that dies later is.
    ever_ready: StoredValue<bool>,
}

impl Page {
    /// The page's state for `config`; the link follows the configuration from now on.
    pub fn new(config: Config) -> Self {
        let config = RwSignal::new(config);
        Effect::new(move |_| write_query(&config.get().to_query()));
        let status = RwSignal::new(Status::Loading(loader::Progress::default()));
        let page = Page {
            config,
            status,
            backend: RwSignal::new(None),
            cache_note: RwSignal::new(None),
            large_verifier: RwSignal::new(LargeVerifier::NotLoaded),
            welcome: RwSignal::new(None),
            manifest: StoredValue::new(None),
            arena: arena::ArenaRun::new(status),
            sweep: sweep::SweepRun::new(status),
            bench: bench::BenchRun::new(),
            study: study::StudyRun::new(),
            ever_ready: StoredValue::new(false),
        };
        // Whatever restarts the engine (Stop in the arena or the sweep, a failed run) ends what
        // else was running in it; the one that asked has already marked itself stopped.
        Effect::new(move |_| {
            if let Status::Restarting(why) = status.get() {
                page.end_jobs(&why);
            }
        });
        // Choosing the larger verifier loads it, once the engine runs; choosing it again after
        // a failure tries again.
        Effect::new(move |_| {
            let chosen = config.with(|c| c.settings.verifier == Verifier::PrmLarge);
            let engine_ready = matches!(status.get(), Status::Ready { .. });
            match page.large_verifier.get_untracked() {
                LargeVerifier::NotLoaded if chosen && engine_ready => page.load_large_verifier(),
                LargeVerifier::Failed(_) if !chosen => page.large_verifier.set(LargeVerifier::NotLoaded),
                _ => {}
            }
        });
        page
    }

    /// Shows view `v`; the lessons open at their chapter's start, with no other view's lanes.
    pub fn open(&self, v: View) {
        if self.config.with_untracked(|c| c.view == v) {
            return;
        }
        if v == View::Lessons {
            self.arena.clear();
            self.config.update(|c| ::arena::lessons::enter(c, c.chapter));
        }
        self.config.update(|c| c.view = v);
    }

    /// Opens the arena on the searched problem where the arena's default lanes came out most
    /// differently in the shipped study, once its report is here (unless the visitor has
    /// chosen a problem by then).
    pub fn open_on_contrasting_problem(self) {
        self.study.load();
        let picked = StoredValue::new(false);
        Effect::new(move |_| {
            if picked.get_value() {
                return;
            }
            let defaults = crate::settings::Settings::default();
            let choice = self.study.report.with(|r| match r {
                Some(Ok(r)) => r.contrasting_problem(defaults.knobs.budget, &default_lane_recipes(&defaults)).map(|p| (p.expression.clone(), p.level)),
                _ => None,
            });
            let Some((expression, level)) = choice else { return };
            picked.set_value(true);
            if self.config.with_untracked(|c| c.problem.is_none() && c.index == 0 && c.view == View::Arena) {
                self.config.update(|c| {
                    c.problem = Some(expression.clone());
                    c.level = level;
                });
                self.welcome.set(Some(expression));
            }
        });
    }

    /// Whether a run can start now: the engine is ready, with the chosen verifier.
    pub fn can_run(&self) -> bool {
        matches!(self.status.get(), Status::Ready { .. })
            && (self.config.with(|c| c.settings.verifier != Verifier::PrmLarge) || self.large_verifier.get() == LargeVerifier::Ready)
    }

    /// Fetches the larger verifier's files (with their own progress), then restarts the engine
    /// with them beside the others.
    fn load_large_verifier(self) {
        let large = self.large_verifier;
        large.set(LargeVerifier::Loading(loader::Progress::default()));
        leptos::task::spawn_local(async move {
            let files = match self.manifest.get_value() {
                Some(manifest) => match loader::load_large_verifier(&manifest, &mut |p| large.set(LargeVerifier::Loading(p))).await {
                    Ok((files, not_cached)) => {
                        if not_cached.is_some() {
                            self.cache_note.set(not_cached);
                        }
                        files.into_iter().filter_map(|(role, bytes)| Some((manifest.entry(role).ok()?.file.clone(), bytes))).collect()
                    }
                    Err(e) => return large.set(LargeVerifier::Failed(e.to_string())),
                },
                // Random models: the engine builds a random larger verifier of the same shape.
                None => Vec::new(),
            };
            large.set(LargeVerifier::Building);
            self.status.set(Status::Restarting("building the larger verifier".into()));
            if let Err(e) = host::add_large_verifier(files) {
                self.status.set(Status::Failed(e));
            }
        });
    }

    /// Ends every job in flight with `why` (the engine they ran in is gone).
    fn end_jobs(&self, why: &str) {
        self.arena.on_crash(why);
        self.sweep.job.abandon(why);
        self.bench.job.abandon(why);
        self.study.rerun.abandon(why);
    }

    /// The engine died (a panic, or its worker failed): end what ran in it and start it afresh,
    /// unless it never got going (it would die again).
    fn on_crash(&self, why: String) {
        self.end_jobs(&why);
        if self.ever_ready.get_value() {
            restart_engine(self.status, &format!("{why}; the engine starts afresh"));
        } else {
            self.status.set(Status::Failed(why));
        }
    }

    fn on_message(&self, msg: FromWorker) {
        let backend = self.backend;
        match msg {
            FromWorker::Hello => {}
            FromWorker::Backend { kind, adapter, fallback } => backend.set(Some(BackendStatus { kind, adapter, fallback, plan: Vec::new(), measuring: false })),
            FromWorker::MeasuringBackends => backend.update(|b| {
                if let Some(b) = b {
                    b.measuring = true;
                }
            }),
            FromWorker::BackendPlan { rows } => backend.update(|b| {
                if let Some(b) = b {
                    b.plan = rows;
                    b.measuring = false;
                }
            }),
            FromWorker::LargeVerifier { error: None } => self.large_verifier.set(LargeVerifier::Ready),
            FromWorker::LargeVerifier { error: Some(e) } => {
                host::drop_large_verifier();
                self.large_verifier.set(LargeVerifier::Failed(e));
            }
            FromWorker::Ready { weights } => {
                self.ever_ready.set_value(true);
                self.status.set(Status::Ready { weights });
            }
            FromWorker::Failed { message } => self.status.set(Status::Failed(message)),
            FromWorker::Lane { generation, lane, update } => self.arena.on_update(generation, lane, update),
            FromWorker::SweepCell { generation, level, series, budget, right } => self.sweep.on_cell(generation, level, series, budget, right),
            FromWorker::SweepEnded { generation, message } => self.sweep.job.end(generation, message),
            FromWorker::BenchRow { generation, row } => self.bench.on_row(generation, row),
            FromWorker::BenchEnded { generation, message } => self.bench.job.end(generation, message),
            FromWorker::StudyRun { generation, right } => self.study.on_run(generation, right),
            FromWorker::StudyEnded { generation, message } => self.study.rerun.end(generation, message),
            FromWorker::Crashed { message } => self.on_crash(format!("the engine panicked: {message}")),
        }
    }

    /// Loads and verifies the weights, then starts the engine worker with them (random
    /// weights when none are shipped); the worker starts the backend and reports it.
    pub fn start(self) {
        let backend = self.config.with_untracked(|c| c.backend);
        leptos::task::spawn_local(self.load_and_start(backend));
    }

    async fn load_and_start(self, backend: BackendPref) {
        let status = self.status;
        status.set(Status::Loading(loader::Progress::default()));
        let (manifest, files) = match loader::load(&mut |p| status.set(Status::Loading(p))).await {
            Ok(loader::Loaded { manifest, files, not_cached }) => {
                self.cache_note.set(not_cached);
                self.manifest.set_value(Some(manifest.clone()));
                let files: Vec<(String, Vec<u8>)> =
                    files.into_iter().filter_map(|(role, bytes)| Some((manifest.entry(role).ok()?.file.clone(), bytes))).collect();
                match serde_json::to_string(&manifest) {
                    Ok(text) => (Some(text), files),
                    Err(e) => return status.set(Status::Failed(format!("{MODELS_DIR}{}: {e}", engine::model::weights::MANIFEST_FILE))),
                }
            }
            Err(loader::LoadError::NoManifest(_)) => (None, Vec::new()),
            Err(e) => return status.set(Status::Failed(e.to_string())),
        };
        status.set(Status::StartingBackend);
        let handler: host::Handler = Rc::new(move |msg| match msg {
            Ok(msg) => self.on_message(msg),
            Err(why) => self.on_crash(why),
        });
        if let Err(e) = host::start(backend, manifest, files, handler) {
            status.set(Status::Failed(e));
        }
    }
}
