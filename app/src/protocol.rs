//! Messages between the page and the engine worker. The models run in a dedicated worker so
//! the page never waits on a decode step: Stop ends the worker at once and starts a fresh one.

use crate::settings::{BackendPref, Settings, SweepSize};
pub use arena::lane::LaneUpdate;
use engine::search::StrategyName;
use engine::task::ChainProblem;
use serde::{Deserialize, Serialize};

/// Where the page serves the weights, relative to itself (messages about them name files by it).
pub const MODELS_DIR: &str = "models/";

/// From the page to the worker (as JSON; model files travel beside it as bytes).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ToWorker {
    /// Start the backend the link asks for and build the models: from `manifest` and the
    /// files sent with this message, or random ones when no manifest is shipped; with
    /// `large_verifier`, the larger verifier too (its files among those sent).
    Init { backend: BackendPref, manifest: Option<String>, large_verifier: bool },
    /// Run the arena's lanes (each named by its strategy) on `problem`, side by side.
    Run { generation: u64, settings: Settings, lanes: Vec<StrategyName>, problem: ChainProblem },
    /// Run the sweep: every series at every budget of `sweep` on its held-out problems.
    Sweep { generation: u64, settings: Settings, sweep: SweepSize },
    /// Measure decode throughput and a best-of-64 run on this backend (the `?bench` mode).
    Bench { generation: u64, settings: Settings },
    /// Re-run one cell of the shipped study at `budget`: each group's configuration on each of
    /// its problems (typed expressions) with each seed, on the trained PRM.
    StudyCell { generation: u64, budget: usize, seeds: Vec<u64>, groups: Vec<StudyGroup> },
}

/// One configuration and the problems it runs on, within a re-run (a compute-optimal cell
/// runs each bin's pick on that bin's problems).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StudyGroup {
    pub config: engine::search::Recipe,
    pub problems: Vec<String>,
}

/// Why the page runs on the CPU: a plain sentence for every visitor, and the technical message
/// (wgpu's error, the adapter) for those who open the details.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fallback {
    pub why: String,
    pub detail: Option<String>,
}

/// From the worker to the page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's wasm is running and listening.
    Hello,
    Backend { kind: String, adapter: String, fallback: Option<Fallback> },
    /// Decode throughput of both backends per batch size, measured at start; runs go to the
    /// faster one for their batch size.
    BackendPlan { rows: Vec<PlanRow> },
    /// Measuring both backends before the first run (seconds on a software adapter).
    MeasuringBackends,
    /// The larger verifier, asked for at `Init`, is loaded (`error` is `None`) or why not;
    /// sent before `Ready`.
    LargeVerifier { error: Option<String> },
    Ready { weights: String },
    Failed { message: String },
    /// The engine panicked; its wasm cannot go on, and the page restarts it.
    Crashed { message: String },
    /// News of the arena lane that runs `lane`.
    Lane { generation: u64, lane: StrategyName, update: LaneUpdate },
    SweepCell { generation: u64, level: u8, series: usize, budget: usize, right: bool },
    SweepEnded { generation: u64, message: String },
    BenchRow { generation: u64, row: BenchRow },
    BenchEnded { generation: u64, message: String },
    /// One run of a re-run study cell: right or wrong.
    StudyRun { generation: u64, right: bool },
    StudyEnded { generation: u64, message: String },
}

/// Tokens per second decoding `batch` rows, on each backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    pub batch: usize,
    pub cpu: f64,
    pub webgpu: f64,
}

impl PlanRow {
    pub fn cpu_wins(&self) -> bool {
        self.cpu >= self.webgpu
    }
}

/// Whether a run of `batch` rows goes to the CPU: the winner at the largest measured batch
/// size not above it (the smallest measured one below them all).
pub fn cpu_for(plan: &[PlanRow], batch: usize) -> bool {
    plan.iter().rev().find(|r| r.batch <= batch).or(plan.first()).is_some_and(PlanRow::cpu_wins)
}

/// One measurement of the benchmark mode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    pub what: String,
    pub tokens_per_second: Option<f64>,
    pub readbacks_per_step: Option<f64>,
    pub seconds: Option<f64>,
}
