//! The study in miniature (arXiv 2408.03314 with Ponder's own models): a fixed held-out test
//! set, oracle and predicted difficulty bins, budget sweeps of every strategy per bin, the
//! compute-optimal policy chosen by two-fold cross-validation, and the FLOPs-matched
//! comparison with the larger model.
//!
//! The engine supplies the pieces and the analysis; the caller (the CLI) drives them, so it
//! can run search jobs on several threads and show progress.

pub mod analysis;
mod findings;
pub mod interval;
mod policy;
mod pool;
pub mod report;

pub use analysis::{analyse, analyse_each_verifier, pick_search_problems, quantile_bins};
pub use report::{ModelFacts, StudyReport};
pub use policy::measured_policy;
pub use pool::{PoolSample, ProblemPool, best_of_n_from_pool, sample_pools};

use crate::task::heldout::{HELDOUT_PER_LEVEL, heldout_by_level};
use crate::models::Models;
use crate::search::{Aggregation, Common, NoEvents, Recipe, SAMPLING_TEMPERATURE, SearchError, Selection, Verifier};
use crate::solve::{Drive, solve};
use crate::infer::{CancelToken, InferError};
use crate::task::{ArithmeticChain, ChainProblem, Level};
use serde::{Deserialize, Serialize};

/// What an experiment runs. Every field is checked by [`StudyConfig::validate`]: configs
/// also come from files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Held-out problems per level in the test set (the first of each level, seeded).
    pub problems_per_level: usize,
    /// Samples per problem for oracle difficulty, predicted difficulty and best-of-N pools.
    pub oracle_samples: usize,
    /// Budgets in generations, increasing.
    pub budgets: Vec<usize>,
    /// Problems per oracle bin that the search strategies run on (spread over the bin).
    pub search_problems_per_bin: usize,
    /// Seeds of the repeated runs (the spread across them is reported).
    pub seeds: Vec<u64>,
    /// The configurations swept (best-of-N ones read the pools, the others run searches).
    pub configs: Vec<Recipe>,
    /// R = inference tokens / pretraining tokens for the FLOPs-matched comparison.
    pub flops_ratios: Vec<f64>,
    /// The verifiers every claim is checked with, each over its own searches, weighted votes
    /// and predicted bins; the first is the headline one (the page's policy reads it).
    #[serde(default = "only_the_prm", skip_serializing_if = "is_only_the_prm")]
    pub verifiers: Vec<Verifier>,
}

fn only_the_prm() -> Vec<Verifier> {
    vec![Verifier::Prm]
}

fn is_only_the_prm(v: &[Verifier]) -> bool {
    v == [Verifier::Prm]
}

/// Upper bounds that keep a run finite on a laptop.
pub const MAX_ORACLE_SAMPLES: usize = 4096;
pub const MAX_SEEDS: usize = 10;
/// Seed of the pools' samples (the test set's problems are the held-out ones, fixed).
pub const POOL_SEED: u64 = 0x0057_0D1E;

impl StudyConfig {
    /// The full run: 500 problems, budgets 1–256, every search on 50 problems of each oracle
    /// bin (250 in all), so a bin's accuracy moves by 2 points a problem, not 17.
    pub fn full() -> Self {
        StudyConfig {
            problems_per_level: 100,
            oracle_samples: 256,
            budgets: (0..=8).map(|i| 1 << i).collect(),
            search_problems_per_bin: 50,
            seeds: vec![1, 2],
            configs: Recipe::all(),
            flops_ratios: vec![0.16, 0.79, 22.0],
            verifiers: vec![Verifier::Prm, Verifier::PrmLarge, Verifier::Oracle],
        }
    }

    /// A reduced run for CI (well under two minutes here).
    pub fn quick() -> Self {
        StudyConfig {
            problems_per_level: 4,
            oracle_samples: 32,
            budgets: vec![1, 2, 4, 8],
            search_problems_per_bin: 2,
            seeds: vec![1],
            configs: Recipe::all(),
            flops_ratios: vec![0.16, 0.79, 22.0],
            verifiers: vec![Verifier::Prm, Verifier::Oracle],
        }
    }

    /// Whether `other` differs from this config at most in its verifiers: the same problems,
    /// pools and sweeps, so the runs of the verifiers both list are the same runs.
    pub fn same_but_verifiers(&self, other: &StudyConfig) -> bool {
        StudyConfig { verifiers: other.verifiers.clone(), ..self.clone() } == *other
    }

    pub fn validate(&self) -> Result<(), SearchError> {
        let bad = |m: String| Err(SearchError::Config(m));
        if !(1..=HELDOUT_PER_LEVEL).contains(&self.problems_per_level) {
            return bad(format!("problems_per_level must be 1 to {HELDOUT_PER_LEVEL}, got {}", self.problems_per_level));
        }
        if self.problems_per_level * Level::ALL.len() < 5 * 2 {
            return bad("the test set needs at least 2 problems per difficulty bin: use problems_per_level ≥ 2".into());
        }
        if !(2..=MAX_ORACLE_SAMPLES).contains(&self.oracle_samples) {
            return bad(format!("oracle_samples must be 2 to {MAX_ORACLE_SAMPLES}, got {}", self.oracle_samples));
        }
        if self.budgets.is_empty() {
            return bad("budgets must list at least one budget".into());
        }
        if self.budgets.windows(2).any(|w| w[0] >= w[1]) {
            return bad(format!("budgets must increase, got {:?}", self.budgets));
        }
        if let Some(&b) = self.budgets.iter().find(|&&b| b == 0 || b > self.oracle_samples) {
            return bad(format!("every budget must be 1 to oracle_samples ({}), got {b}", self.oracle_samples));
        }
        let per_bin = self.problems_per_level * Level::ALL.len() / 5;
        if !(2..=per_bin).contains(&self.search_problems_per_bin) {
            return bad(format!(
                "search_problems_per_bin must be 2 (two folds) to {per_bin} (the problems in a bin), got {}",
                self.search_problems_per_bin
            ));
        }
        if self.seeds.is_empty() || self.seeds.len() > MAX_SEEDS {
            return bad(format!("seeds must list 1 to {MAX_SEEDS} seeds, got {}", self.seeds.len()));
        }
        if self.configs.is_empty() {
            return bad("configs must list at least one configuration".into());
        }
        for c in &self.configs {
            c.validate()?;
        }
        if self.flops_ratios.is_empty() || self.flops_ratios.iter().any(|r| !(r.is_finite() && *r > 0.0 && *r <= 1e6)) {
            return bad(format!("flops_ratios must list positive finite ratios (at most 1e6), got {:?}", self.flops_ratios));
        }
        if self.verifiers.is_empty() || (1..self.verifiers.len()).any(|i| self.verifiers[..i].contains(&self.verifiers[i])) {
            return bad(format!("verifiers must list one or more distinct verifiers, got {:?}", self.verifiers));
        }
        Ok(())
    }

    /// The test set: the first `problems_per_level` held-out problems of every level.
    pub fn problems(&self) -> Vec<(Level, ChainProblem)> {
        heldout_by_level(self.problems_per_level)
    }

    /// Every search run the sweep needs, costliest first (so parallel workers end together).
    pub fn search_jobs(&self, search_problems: &[usize]) -> Vec<SearchJob> {
        let mut jobs = Vec::new();
        for (c, config) in self.configs.iter().enumerate() {
            if config.from_pool() {
                continue;
            }
            for &budget in &self.budgets {
                if config.strategy(budget).is_none() {
                    continue;
                }
                for &verifier in &self.verifiers {
                    for &seed in &self.seeds {
                        for &problem in search_problems {
                            jobs.push(SearchJob { config: c, budget, seed, problem, verifier });
                        }
                    }
                }
            }
        }
        jobs.sort_by_key(|j| std::cmp::Reverse(j.budget));
        jobs
    }
}

/// One search run: configuration `config` (an index into the config's list) at `budget`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SearchJob {
    pub config: usize,
    pub budget: usize,
    pub seed: u64,
    /// Index into the test set.
    pub problem: usize,
    /// The verifier that scores its steps and weights its votes.
    pub verifier: Verifier,
}

/// The settings every search of the study shares: the study's temperature, last-step
/// aggregation and PRM-weighted selection.
pub fn common(seed: u64) -> Common {
    Common { seed, temperature: SAMPLING_TEMPERATURE, aggregation: Aggregation::Last, selection: Selection::Weighted }
}

/// Runs one search job on the trained models with its verifier; returns whether it was right.
pub async fn run_job(models: &Models, config: &Recipe, job: &SearchJob, problem: &ChainProblem, cancel: &CancelToken) -> Result<bool, SearchError> {
    let strategy = config.strategy(job.budget).ok_or_else(|| SearchError::Config(format!("{} has no run at budget {}", config.id(), job.budget)))?;
    let drive = Drive { cancel: cancel.clone(), ..Drive::default() };
    let result = solve(models, problem, &strategy, common(job.seed), job.verifier, drive, &mut NoEvents).await?;
    Ok(result.correct)
}

/// Whether a model's greedy answer is right, per problem (the larger model's side of the
/// FLOPs-matched comparison).
pub async fn greedy_correct(
    model: &crate::model::LanguageModel,
    config: &crate::model::ModelConfig,
    problems: &[ChainProblem],
    device: &crate::Device,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<bool>, InferError> {
    use crate::task::Task;
    let task = ArithmeticChain;
    let starts = problems.iter().map(|p| crate::infer::RowStart { context: task.prompt_tokens(p), seed: 0 }).collect();
    let rows = crate::eval::generate_all(model, config, &task.tokenizer(), device, starts, 0.0, cancel, progress).await?;
    Ok(problems.iter().zip(&rows).map(|(p, r)| task.grade(p, &task.text_of(r.generated())).answer_correct).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for (name, c) in [("full", StudyConfig::full()), ("quick", StudyConfig::quick())] {
            assert_eq!(c.validate(), Ok(()), "{name}");
            assert!(!c.problems().is_empty() && !c.configs.is_empty() && !c.seeds.is_empty(), "{name}");
        }
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let mut c = StudyConfig::quick();
        c.budgets = vec![4, 2];
        assert!(c.validate().unwrap_err().to_string().contains("increase"));
        let mut c = StudyConfig::quick();
        c.budgets = vec![64];
        assert!(c.validate().unwrap_err().to_string().contains("oracle_samples"));
        let mut c = StudyConfig::quick();
        c.search_problems_per_bin = 1;
        assert!(c.validate().unwrap_err().to_string().contains("two folds"));
        let mut c = StudyConfig::quick();
        c.flops_ratios = vec![f64::NAN];
        assert!(c.validate().unwrap_err().to_string().contains("flops_ratios"), "{}", c.validate().unwrap_err());
        let mut c = StudyConfig::quick();
        c.verifiers = vec![Verifier::Oracle, Verifier::Oracle];
        assert!(c.validate().unwrap_err().to_string().contains("distinct verifiers"));
        let mut c = StudyConfig::quick();
        c.problems_per_level = 0;
        assert!(c.validate().unwrap_err().to_string().contains("problems_per_level must be 1 to 400, got 0"));
    }

    #[test]
    fn jobs_skip_pool_configs_and_invalid_budgets() {
        let c = StudyConfig::quick();
        let jobs = c.search_jobs(&[0, 1]);
        assert!(jobs.iter().all(|j| !c.configs[j.config].from_pool()));
        assert!(jobs.iter().all(|j| c.configs[j.config].strategy(j.budget).is_some()));
        assert!(jobs.windows(2).all(|w| w[0].budget >= w[1].budget));
        for v in &c.verifiers {
            assert_eq!(jobs.iter().filter(|j| j.verifier == *v).count() * c.verifiers.len(), jobs.len(), "{v:?}");
        }
    }

    #[test]
    fn a_config_with_another_verifier_is_the_same_runs() {
        let c = StudyConfig::quick();
        let mut more = c.clone();
        more.verifiers.push(Verifier::PrmLarge);
        assert!(c.same_but_verifiers(&more) && more.same_but_verifiers(&c));
        let mut other = c.clone();
        other.seeds.push(9);
        assert!(!c.same_but_verifiers(&other));
    }

    #[test]
    fn configs_without_verifiers_read_as_the_prm_alone() {
        let mut json = serde_json::to_value(StudyConfig::quick()).unwrap();
        json.as_object_mut().unwrap().remove("verifiers");
        let c: StudyConfig = serde_json::from_value(json).unwrap();
        assert_eq!(c.verifiers, vec![Verifier::Prm]);
        assert!(serde_json::to_value(&c).unwrap().get("verifiers").is_none());
    }
}
