//! What a run is asked to do, as typed data both front ends and their engine threads share:
//! the strategies' knobs, the settings every strategy shares, the verifier, the arena's lanes,
//! the sweep's size and the backend asked for. Read from a link by [`crate::config`].

use engine::search::{Common, Knobs, StrategyName, Verifier};
use serde::{Deserialize, Serialize};

/// Budgets offered on the log-scale slider: powers of two.
pub const BUDGETS: [usize; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// The arena's lanes, one strategy each, in the order the page shows them.
pub const LANES: [StrategyName; 5] =
    [StrategyName::BestOfN, StrategyName::Revisions, StrategyName::Beam, StrategyName::Lookahead, StrategyName::ComputeOptimal];

/// Link names of the arena's lanes, in [`LANES`] order (each its strategy's name).
pub const LANE_KEYS: [&str; LANES.len()] = ["best_of_n", "revisions", "beam", "lookahead", "compute_optimal"];

/// What every run of the arena, the sweep and the benchmark starts from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub knobs: Knobs,
    /// Seed, temperature, selection and step-score aggregation.
    pub common: Common,
    pub verifier: Verifier,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            // Revision chains C: the budget is split into C chains of budget / C attempts.
            knobs: Knobs { budget: 16, chains: 4, ..Knobs::default() },
            common: Common::default(),
            verifier: Verifier::Prm,
        }
    }
}

/// The sweep: held-out problems per level, and the largest budget (every power of two up to
/// it is swept).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSize {
    pub problems: usize,
    pub max_budget: usize,
}

impl Default for SweepSize {
    fn default() -> Self {
        SweepSize { problems: 3, max_budget: 16 }
    }
}

impl SweepSize {
    pub fn budgets(&self) -> Vec<usize> {
        BUDGETS.iter().copied().filter(|&b| b <= self.max_budget).collect()
    }
}

/// The sweep's series, in the order the page draws them: best-of-N weighted and best-of-N
/// majority (0 and 1, one best-of-N run serves both votes), then those run on their own.
pub const SWEEP_SERIES: usize = 5;
pub const SERIES_RUNS: [(usize, StrategyName); 3] = [(2, StrategyName::Beam), (3, StrategyName::Revisions), (4, StrategyName::ComputeOptimal)];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendPref {
    /// WebGPU on a real GPU, with the models on the CPU as well, each run on whichever
    /// decoded its batch size faster when measured at start; the CPU alone where WebGPU is
    /// missing, fails or is a software renderer.
    Auto,
    /// As `Auto` on a real GPU, also on a software renderer: measure both, pick per batch size.
    Measure,
    Cpu,
    /// WebGPU even on a software renderer.
    WebGpu,
}
