//! The study's report: every number `ponder experiment` writes to `report.json`, which the
//! CLI prints, the figures draw and the page's Study view shows.

use super::StudyConfig;
use super::interval::{Estimate, Interval};
use crate::search::{Family, Recipe, Verifier};
use serde::{Deserialize, Serialize};

/// Which difficulty bins a number is over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BinKind {
    #[default]
    Oracle,
    Predicted,
}

crate::names::named!(BinKind, "kind of bins" {
    Oracle => "oracle": "bins of the generator's pass@1 over the pool's samples (ground truth)",
    Predicted => "predicted": "bins of the verifier's mean final score (no ground truth)",
});

/// The configurations a compute-optimal curve may pick from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Allowed {
    #[default]
    All,
    /// Best-of-N and the tree searches: everything but revisions.
    Search,
    Revisions,
}

crate::names::named!(Allowed, "set of configurations" {
    All => "all": "every configuration",
    Search => "search": "best-of-N and the tree searches",
    Revisions => "revisions": "the revision splits",
});

impl Allowed {
    pub fn admits(self, family: Family) -> bool {
        match self {
            Allowed::All => true,
            Allowed::Search => family != Family::Revisions,
            Allowed::Revisions => family == Family::Revisions,
        }
    }
}

/// What the run says of one of the study's claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    #[serde(rename = "reproduced")]
    Reproduced,
    #[serde(rename = "partly")]
    Partly,
    #[serde(rename = "not reproduced")]
    NotReproduced,
    /// Both sides of every comparison at the ceiling or the floor: nothing to tell apart.
    #[serde(rename = "not testable here")]
    NotTestable,
    #[serde(rename = "not measured")]
    NotMeasured,
}

crate::names::named!(Verdict, "verdict" {
    Reproduced => "reproduced": "the run shows the claim",
    Partly => "partly": "the run shows part of the claim",
    NotReproduced => "not reproduced": "the run does not show the claim",
    NotTestable => "not testable here": "both sides sit at the ceiling or the floor",
    NotMeasured => "not measured": "the run has no numbers for the claim",
});

/// A configuration written as its id (`beam_m4`), as the report's cells and choices name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct RecipeId(pub Recipe);

impl From<RecipeId> for String {
    fn from(id: RecipeId) -> String {
        id.0.id()
    }
}

impl TryFrom<String> for RecipeId {
    type Error = String;
    fn try_from(id: String) -> Result<Self, String> {
        Recipe::from_id(&id).map(RecipeId).ok_or_else(|| format!("unknown configuration id {id:?}"))
    }
}

/// Facts about the two generators for the FLOPs-matched comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelFacts {
    pub small_params: u64,
    pub large_params: u64,
    /// Pretraining tokens, as recorded by training.
    pub small_tokens: u64,
    pub large_tokens: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemRecord {
    pub index: usize,
    pub level: u8,
    pub expression: String,
    pub pass_at_1: f64,
    pub mean_final_score: f64,
    pub oracle_bin: usize,
    pub predicted_bin: usize,
    /// Whether the larger model's greedy answer was right.
    pub large_greedy: Option<bool>,
    /// Whether the search strategies ran on it.
    pub searched: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DifficultyReport {
    pub samples_per_problem: usize,
    /// Lowest and highest pass@1 in each oracle bin (bin 1 easiest).
    pub oracle_pass_at_1_range: Vec<[f64; 2]>,
    /// Lowest and highest mean final PRM score in each predicted bin.
    pub predicted_score_range: Vec<[f64; 2]>,
    /// Share of problems whose predicted bin equals their oracle bin.
    pub agreement: f64,
    /// Share whose bins differ by at most one.
    pub within_one: f64,
    /// confusion[oracle - 1][predicted - 1]: problem counts.
    pub confusion: Vec<Vec<usize>>,
    /// levels_by_bin[oracle bin - 1][level - 1]: problem counts.
    pub levels_by_bin: Vec<Vec<usize>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfo {
    pub id: String,
    pub label: String,
    pub family: Family,
    pub config: Recipe,
}

/// Accuracy of one configuration at one budget over one bin's problems (bin 0: all bins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub config: RecipeId,
    pub bin: usize,
    pub budget: usize,
    pub accuracy: f64,
    /// Accuracy per seed, in the order of the config's seeds.
    pub per_seed: Vec<f64>,
    pub min: f64,
    pub max: f64,
    pub problems: usize,
    /// Each problem's accuracy (seeds pooled), in the order of [`StudyReport::members`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_problem: Vec<f64>,
    /// 95% interval of `accuracy` ([`super::interval::METHOD`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sweeps {
    pub budgets: Vec<usize>,
    pub configs: Vec<ConfigInfo>,
    /// Problems the searches ran on (per oracle bin), which the cells average over.
    pub search_problems: Vec<usize>,
    pub cells: Vec<Cell>,
    /// Best-of-N from the pools over every problem of the test set, per oracle bin.
    pub best_of_n_all_problems: Vec<Cell>,
}

/// Compute-optimal scaling with one kind of bins and one set of allowed configurations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ComputeOptimalCurve {
    pub bins: BinKind,
    pub family: Allowed,
    /// by_bin[bin - 1][budget index]: cross-validated accuracy (None: too few problems).
    pub by_bin: Vec<Vec<Option<f64>>>,
    /// Over all searched problems, per budget.
    pub overall: Vec<f64>,
    /// choices[bin - 1][budget index]: the configuration that wins on the whole bin.
    pub choices: Vec<Vec<Option<RecipeId>>>,
    /// per_problem[budget index][j]: the cross-validated accuracy on searched problem j (the
    /// configuration picked on the other fold), which `overall` averages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_problem: Vec<Vec<f64>>,
    /// 95% intervals of `overall`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overall_interval: Vec<Option<Interval>>,
}

/// The budget compute-optimal needs to match best-of-N weighted at a target budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetMatch {
    pub bins: BinKind,
    pub family: Allowed,
    pub target_budget: usize,
    pub best_of_n_accuracy: f64,
    /// Smallest budget where best-of-N itself first reaches that accuracy (at most the
    /// target: below it where best-of-N has flattened out).
    pub best_of_n_budget: usize,
    /// Smallest budget where compute-optimal is at least as accurate (None: not reached).
    pub budget: Option<usize>,
    /// best_of_n_budget / budget: how much less compute compute-optimal needs for the same
    /// accuracy (a flat best-of-N curve is not counted as a saving).
    pub saving: Option<f64>,
    /// 95% interval of `saving` (a resample where compute-optimal never reaches best-of-N
    /// counts as no saving, 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saving_interval: Option<Interval>,
    /// Compute-optimal minus best-of-N weighted at the target budget itself (equal compute),
    /// over the searched problems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equal_compute: Option<Estimate>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ComputeOptimalReport {
    pub curves: Vec<ComputeOptimalCurve>,
    /// Best-of-N weighted over the searched problems, per budget (the baseline).
    pub best_of_n_weighted: Vec<f64>,
    pub matches: Vec<BudgetMatch>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlopsBin {
    pub bin: usize,
    /// Compute-optimal (oracle bins) at the matched budget, searched problems of the bin.
    pub test_time: Option<f64>,
    /// The larger model, greedy, on the same problems.
    pub large_greedy: f64,
    /// The small model with one sample (budget 1, best-of-N), same problems.
    pub small_one_sample: f64,
    pub problems: usize,
    /// Best-of-N weighted at the matched budget over *all* the bin's problems (drawn from the
    /// sample pools, so no search is needed): against [`FlopsMatched::large_greedy_all_problems`],
    /// a comparison on the whole bin where the searched problems are only a few.
    #[serde(default)]
    pub best_of_n_all_problems: Option<f64>,
    #[serde(default)]
    pub all_problems: usize,
    /// `best_of_n_all_problems` minus the larger model's greedy accuracy over the same
    /// problems (paired), with its interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<Estimate>,
    /// 95% intervals of `best_of_n_all_problems` and of the larger model's greedy accuracy
    /// over the whole bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_of_n_interval: Option<Interval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_interval: Option<Interval>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlopsRow {
    /// R = inference tokens / pretraining tokens.
    pub r: f64,
    /// How many times its one-sample inference the small model may spend to match the larger
    /// model's total FLOPs: (6·N_l·D_l + 2·N_l·R·D_s − 6·N_s·D_s) / (2·N_s·R·D_s).
    pub multiplier: f64,
    /// The largest swept budget not above the multiplier (None: below 1).
    pub budget: Option<usize>,
    pub by_bin: Vec<FlopsBin>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlopsMatched {
    pub facts: ModelFacts,
    pub params_ratio: f64,
    pub rows: Vec<FlopsRow>,
    /// The larger model's greedy accuracy per oracle bin over the whole test set.
    pub large_greedy_all_problems: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub claim: String,
    pub measured: String,
    pub verdict: Verdict,
    pub figure: String,
    /// The differences the verdict read, each with its interval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comparisons: Vec<Comparison>,
}

/// One difference a claim names, measured: `a − b` over the same problems.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub what: String,
    pub a: f64,
    pub b: f64,
    pub difference: Estimate,
    /// The sign the claim expects of the difference: +1 or −1.
    pub claimed_sign: i8,
    pub outcome: Outcome,
}

/// What one comparison says of its claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The interval excludes zero in the claimed direction.
    Shown,
    /// The interval excludes zero in the other direction.
    Opposite,
    /// The interval holds zero.
    Inconclusive,
    /// Both sides at the ceiling or at the floor.
    NotTestable,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StudyReport {
    pub config: Option<StudyConfig>,
    pub problems: Vec<ProblemRecord>,
    pub difficulty: DifficultyReport,
    pub sweeps: Sweeps,
    pub compute_optimal: ComputeOptimalReport,
    pub flops_matched: Option<FlopsMatched>,
    pub findings: Vec<Finding>,
    /// Machine, backend, model hashes, wall time: filled in by the caller.
    #[serde(default)]
    pub run: serde_json::Value,
    /// How the intervals were made ([`super::interval::METHOD`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interval_method: String,
    /// The verifier that scored the searches, weighted the votes and predicted the bins
    /// (None: a report from before the verifier was a dimension, made with the PRM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier: Option<Verifier>,
    /// The same study with each other verifier of the config, in its order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_verifier: Vec<StudyReport>,
}

impl StudyReport {
    /// The report of each verifier, the headline one first.
    pub fn each_verifier(&self) -> impl Iterator<Item = (Verifier, &StudyReport)> {
        std::iter::once(self).chain(&self.by_verifier).map(|r| (r.verifier.unwrap_or_default(), r))
    }

    /// The problems a cell of `bin` (0: all bins) averages over, in index order: the
    /// searched ones for the sweeps' cells, every problem for `best_of_n_all_problems`.
    pub fn members(&self, bin: usize, whole_test_set: bool) -> Vec<usize> {
        self.problems.iter().filter(|p| (whole_test_set || p.searched) && (bin == 0 || p.oracle_bin == bin)).map(|p| p.index).collect()
    }

    /// The searched problem on which `configs` at `budget` came out most differently: the
    /// widest spread of their per-problem accuracies (seeds pooled), then the most even split
    /// between right and wrong, then the lowest index. None when fewer than two of them have
    /// cells at that budget.
    pub fn contrasting_problem(&self, budget: usize, configs: &[Recipe]) -> Option<&ProblemRecord> {
        let cells: Vec<&Cell> =
            configs.iter().filter_map(|c| self.sweeps.cells.iter().find(|x| x.bin == 0 && x.budget == budget && x.config.0 == *c)).collect();
        if cells.len() < 2 {
            return None;
        }
        let members = self.members(0, false);
        let merit = |i: usize| {
            let v: Vec<f64> = cells.iter().filter_map(|c| c.per_problem.get(i).copied()).collect();
            let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
            (hi - lo, -(mean - 0.5).abs())
        };
        let best = (0..members.len()).fold(None, |best: Option<(usize, (f64, f64))>, i| {
            let m = merit(i);
            match best {
                Some((_, b)) if b.0 > m.0 || (b.0 == m.0 && b.1 >= m.1) => best,
                _ => Some((i, m)),
            }
        })?;
        self.problems.iter().find(|p| p.index == members[best.0])
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    /// The committed report reads into these types and writes back as the same JSON: the
    /// typed fields (bins, families, verdicts, configuration ids) keep their spelling.
    #[test]
    fn the_committed_report_round_trips() {
        let text = include_str!("../../../results/study/report.json");
        let original: serde_json::Value = serde_json::from_str(text).unwrap();
        let report: StudyReport = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_value(&report).unwrap(), original);
    }

    #[test]
    fn the_contrasting_problem_is_where_the_configs_differ_most() {
        use crate::search::{Selection, Width};
        let text = include_str!("../../../results/study/report.json");
        let mut report: StudyReport = serde_json::from_str(text).unwrap();
        let members = report.members(0, false);
        let (a, b) = (Recipe::BestOfN { selection: Selection::Weighted }, Recipe::Beam { width: Width::Fixed(4) });
        // Every problem ties but one, where the two configurations disagree.
        for cell in report.sweeps.cells.iter_mut().filter(|c| c.bin == 0 && c.budget == 16) {
            let odd = if cell.config.0 == a { 1.0 } else { 0.0 };
            cell.per_problem = (0..members.len()).map(|i| if i == 7 { odd } else { 0.5 }).collect();
        }
        assert_eq!(report.contrasting_problem(16, &[a, b]).map(|p| p.index), Some(members[7]));
        assert!(report.contrasting_problem(16, &[a]).is_none(), "one configuration has nothing to contrast");
        assert!(report.contrasting_problem(3, &[a, b]).is_none(), "no cells at budget 3");
    }

    #[test]
    fn configuration_ids_are_checked() {
        assert!(serde_json::from_str::<RecipeId>("\"beam_m4\"").is_ok());
        let e = serde_json::from_str::<RecipeId>("\"beam_m5x\"").unwrap_err().to_string();
        assert!(e.contains("unknown configuration id \"beam_m5x\""), "{e}");
    }
}
