//! From raw outcomes to the study's numbers: difficulty bins, sweep cells with their spread
//! across seeds, compute-optimal scaling by two-fold cross-validation, the budget it needs to
//! match best-of-N, the FLOPs-matched comparison, and the findings checked against the study.

use super::{ProblemPool, SearchJob, StudyConfig, SweepConfig, best_of_n_from_pool};
use crate::task::{ChainProblem, Level};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const BINS: usize = 5;

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
    pub family: String,
    pub config: SweepConfig,
}

/// Accuracy of one configuration at one budget over one bin's problems (bin 0: all bins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub config: String,
    pub bin: usize,
    pub budget: usize,
    pub accuracy: f64,
    /// Accuracy per seed, in the order of the config's seeds.
    pub per_seed: Vec<f64>,
    pub min: f64,
    pub max: f64,
    pub problems: usize,
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
    /// "oracle" or "predicted".
    pub bins: String,
    /// "all", "search" (best-of-N and tree searches) or "revisions".
    pub family: String,
    /// by_bin[bin - 1][budget index]: cross-validated accuracy (None: too few problems).
    pub by_bin: Vec<Vec<Option<f64>>>,
    /// Over all searched problems, per budget.
    pub overall: Vec<f64>,
    /// choices[bin - 1][budget index]: the configuration that wins on the whole bin.
    pub choices: Vec<Vec<Option<String>>>,
}

/// The budget compute-optimal needs to match best-of-N weighted at a target budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetMatch {
    pub bins: String,
    pub family: String,
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
    /// "reproduced", "partly", "not reproduced" or "not measured".
    pub verdict: String,
    pub figure: String,
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
}

/// Quantile bins 1–5 of `values`, bin 1 holding the highest values (the easiest problems);
/// ties broken by index so the bins have equal sizes (±1).
pub fn quantile_bins(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut bins = vec![0; values.len()];
    for (rank, &i) in order.iter().enumerate() {
        bins[i] = 1 + rank * BINS / values.len().max(1);
    }
    bins
}

/// `per_bin` problems of each oracle bin for the searches, spread evenly over the bin's
/// range of pass@1 (so a bin's searched problems are not all its easiest).
pub fn pick_search_problems(oracle_bins: &[usize], pass_at_1: &[f64], per_bin: usize) -> Vec<usize> {
    let mut picked = Vec::new();
    for bin in 1..=BINS {
        let mut members: Vec<usize> = (0..oracle_bins.len()).filter(|&i| oracle_bins[i] == bin).collect();
        members.sort_by(|&a, &b| pass_at_1[b].total_cmp(&pass_at_1[a]).then(a.cmp(&b)));
        let k = per_bin.min(members.len());
        for j in 0..k {
            picked.push(members[(2 * j + 1) * members.len() / (2 * k)]);
        }
    }
    picked.sort();
    picked
}

/// Outcomes: (config index, budget) → problem → right or wrong per seed.
pub type Outcomes = BTreeMap<(usize, usize), BTreeMap<usize, Vec<bool>>>;

/// Best-of-N outcomes from the pools, for every problem, budget and seed.
pub fn pool_outcomes(config: &StudyConfig, pools: &[ProblemPool]) -> Outcomes {
    let mut out = Outcomes::new();
    for (c, sc) in config.configs.iter().enumerate() {
        let Some(selection) = sc.pool_selection() else { continue };
        for &budget in &config.budgets {
            let per_problem = pools
                .iter()
                .enumerate()
                .map(|(p, pool)| (p, config.seeds.iter().map(|&s| best_of_n_from_pool(pool, budget, selection, s, p)).collect()))
                .collect();
            out.insert((c, budget), per_problem);
        }
    }
    out
}

/// Adds search results (job, right) to `outcomes`, in the order of the config's seeds.
pub fn add_search_outcomes(config: &StudyConfig, outcomes: &mut Outcomes, results: &[(SearchJob, bool)]) {
    for (job, correct) in results {
        let seed_index = config.seeds.iter().position(|&s| s == job.seed).unwrap_or(0);
        let slot = outcomes.entry((job.config, job.budget)).or_default().entry(job.problem).or_insert_with(|| vec![false; config.seeds.len()]);
        slot[seed_index] = *correct;
    }
}

fn mean(it: impl IntoIterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in it {
        s += x;
        n += 1;
    }
    if n == 0 { 0.0 } else { s / n as f64 }
}

/// A problem's accuracy under one outcome entry: the mean over seeds.
fn problem_accuracy(outcomes: &Outcomes, c: usize, budget: usize, problem: usize) -> Option<f64> {
    let seeds = outcomes.get(&(c, budget))?.get(&problem)?;
    Some(mean(seeds.iter().map(|&b| b as u8 as f64)))
}

fn cell(config: &StudyConfig, outcomes: &Outcomes, c: usize, bin: usize, budget: usize, members: &[usize]) -> Option<Cell> {
    let per = outcomes.get(&(c, budget))?;
    let rows: Vec<&Vec<bool>> = members.iter().filter_map(|p| per.get(p)).collect();
    if rows.is_empty() || rows.len() < members.len() {
        return None;
    }
    let per_seed: Vec<f64> = (0..config.seeds.len()).map(|s| mean(rows.iter().map(|r| r[s] as u8 as f64))).collect();
    Some(Cell {
        config: config.configs[c].id(),
        bin,
        budget,
        accuracy: mean(per_seed.iter().copied()),
        min: per_seed.iter().copied().fold(f64::INFINITY, f64::min),
        max: per_seed.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        per_seed,
        problems: rows.len(),
    })
}

/// Compute-optimal for one grouping of the searched problems: per bin and budget, the best
/// allowed configuration chosen on one half of the bin and scored on the other, swapped and
/// averaged. Bins with fewer than two searched problems fall back to best-of-N weighted.
pub fn compute_optimal_curve(config: &StudyConfig, outcomes: &Outcomes, bins: &[usize], searched: &[usize], allowed: &[usize], kind: &str, family: &str) -> ComputeOptimalCurve {
    let fallback = config.configs.iter().position(|c| *c == SweepConfig::BestOfN { selection: crate::search::Selection::Weighted });
    let mut curve = ComputeOptimalCurve { bins: kind.into(), family: family.into(), ..Default::default() };
    let mut overall_sum = vec![0.0; config.budgets.len()];
    for bin in 1..=BINS {
        let members: Vec<usize> = searched.iter().copied().filter(|&p| bins[p] == bin).collect();
        let mut accs = Vec::new();
        let mut choices = Vec::new();
        for (bi, &budget) in config.budgets.iter().enumerate() {
            let candidates: Vec<usize> =
                allowed.iter().copied().filter(|&c| !members.is_empty() && members.iter().all(|&p| problem_accuracy(outcomes, c, budget, p).is_some())).collect();
            let best_on = |set: &[usize]| -> Option<usize> {
                let mut best: Option<(usize, f64)> = None;
                for &c in &candidates {
                    let a = mean(set.iter().map(|&p| problem_accuracy(outcomes, c, budget, p).unwrap_or(0.0)));
                    if best.is_none_or(|(_, b)| a > b + 1e-12) {
                        best = Some((c, a));
                    }
                }
                best.map(|(c, _)| c)
            };
            let score = |c: usize, set: &[usize]| set.iter().map(|&p| problem_accuracy(outcomes, c, budget, p).unwrap_or(0.0)).sum::<f64>();
            choices.push(best_on(&members).map(|c| config.configs[c].id()));
            let folds: [Vec<usize>; 2] = [members.iter().copied().step_by(2).collect(), members.iter().copied().skip(1).step_by(2).collect()];
            let acc = if folds[1].is_empty() || candidates.is_empty() {
                // Too few problems to cross-validate: best-of-N weighted, when measured.
                fallback.filter(|&f| allowed.contains(&f)).and_then(|f| {
                    let v: Vec<f64> = members.iter().filter_map(|&p| problem_accuracy(outcomes, f, budget, p)).collect();
                    (!v.is_empty()).then(|| mean(v))
                })
            } else {
                let a = best_on(&folds[0]).map(|c| score(c, &folds[1])).unwrap_or(0.0);
                let b = best_on(&folds[1]).map(|c| score(c, &folds[0])).unwrap_or(0.0);
                Some((a + b) / members.len() as f64)
            };
            overall_sum[bi] += acc.unwrap_or(0.0) * members.len() as f64;
            accs.push(acc);
        }
        curve.by_bin.push(accs);
        curve.choices.push(choices);
    }
    curve.overall = overall_sum.iter().map(|s| s / searched.len().max(1) as f64).collect();
    curve
}

/// FLOPs-matched multiplier of the small model's inference (see [`FlopsRow::multiplier`]).
pub fn flops_multiplier(facts: &ModelFacts, r: f64) -> f64 {
    let (ns, nl, ds, dl) = (facts.small_params as f64, facts.large_params as f64, facts.small_tokens as f64, facts.large_tokens as f64);
    (6.0 * nl * dl + 2.0 * nl * r * ds - 6.0 * ns * ds) / (2.0 * ns * r * ds)
}

/// Everything after the decoding: bins, cells, compute-optimal curves, budget matches,
/// the FLOPs-matched comparison and the findings.
#[allow(clippy::too_many_arguments)]
pub fn analyse(
    config: &StudyConfig,
    problems: &[(Level, ChainProblem)],
    pools: &[ProblemPool],
    searched: &[usize],
    search_results: &[(SearchJob, bool)],
    large_greedy: Option<&[bool]>,
    facts: Option<ModelFacts>,
) -> StudyReport {
    let pass: Vec<f64> = pools.iter().map(|p| p.pass_at_1()).collect();
    let score: Vec<f64> = pools.iter().map(|p| p.mean_final_score()).collect();
    let oracle = quantile_bins(&pass);
    let predicted = quantile_bins(&score);
    let mut report = StudyReport { config: Some(config.clone()), ..Default::default() };
    report.problems = problems
        .iter()
        .enumerate()
        .map(|(i, (level, p))| ProblemRecord {
            index: i,
            level: level.get(),
            expression: p.expression(),
            pass_at_1: pass[i],
            mean_final_score: score[i],
            oracle_bin: oracle[i],
            predicted_bin: predicted[i],
            large_greedy: large_greedy.map(|g| g[i]),
            searched: searched.contains(&i),
        })
        .collect();

    // Difficulty.
    let range = |values: &[f64], bins: &[usize], bin: usize| {
        let v: Vec<f64> = (0..values.len()).filter(|&i| bins[i] == bin).map(|i| values[i]).collect();
        [v.iter().copied().fold(f64::INFINITY, f64::min), v.iter().copied().fold(f64::NEG_INFINITY, f64::max)]
    };
    let n = problems.len().max(1) as f64;
    let mut confusion = vec![vec![0usize; BINS]; BINS];
    let mut levels_by_bin = vec![vec![0usize; 5]; BINS];
    for (i, (level, _)) in problems.iter().enumerate() {
        confusion[oracle[i] - 1][predicted[i] - 1] += 1;
        levels_by_bin[oracle[i] - 1][level.get() as usize - 1] += 1;
    }
    report.difficulty = DifficultyReport {
        samples_per_problem: config.oracle_samples,
        oracle_pass_at_1_range: (1..=BINS).map(|b| range(&pass, &oracle, b)).collect(),
        predicted_score_range: (1..=BINS).map(|b| range(&score, &predicted, b)).collect(),
        agreement: (0..problems.len()).filter(|&i| oracle[i] == predicted[i]).count() as f64 / n,
        within_one: (0..problems.len()).filter(|&i| oracle[i].abs_diff(predicted[i]) <= 1).count() as f64 / n,
        confusion,
        levels_by_bin,
    };

    // Sweeps.
    let mut outcomes = pool_outcomes(config, pools);
    add_search_outcomes(config, &mut outcomes, search_results);
    let bin_members = |bins: &[usize], set: &[usize], bin: usize| -> Vec<usize> { set.iter().copied().filter(|&p| bins[p] == bin).collect() };
    let all: Vec<usize> = (0..problems.len()).collect();
    report.sweeps.budgets = config.budgets.clone();
    report.sweeps.search_problems = searched.to_vec();
    report.sweeps.configs = config.configs.iter().map(|c| ConfigInfo { id: c.id(), label: c.label(), family: c.family().into(), config: *c }).collect();
    for c in 0..config.configs.len() {
        for &budget in &config.budgets {
            for bin in 0..=BINS {
                let members = if bin == 0 { searched.to_vec() } else { bin_members(&oracle, searched, bin) };
                if let Some(cell) = cell(config, &outcomes, c, bin, budget, &members) {
                    report.sweeps.cells.push(cell);
                }
                if config.configs[c].from_pool() {
                    let members = if bin == 0 { all.clone() } else { bin_members(&oracle, &all, bin) };
                    if let Some(cell) = cell(config, &outcomes, c, bin, budget, &members) {
                        report.sweeps.best_of_n_all_problems.push(cell);
                    }
                }
            }
        }
    }

    // Compute-optimal scaling.
    let families: [(&str, Vec<usize>); 3] = [
        ("all", (0..config.configs.len()).collect()),
        ("search", (0..config.configs.len()).filter(|&c| config.configs[c].family() != "revisions").collect()),
        ("revisions", (0..config.configs.len()).filter(|&c| config.configs[c].family() == "revisions").collect()),
    ];
    let bon = config.configs.iter().position(|c| *c == SweepConfig::BestOfN { selection: crate::search::Selection::Weighted });
    report.compute_optimal.best_of_n_weighted = config
        .budgets
        .iter()
        .map(|&b| bon.map(|c| mean(searched.iter().filter_map(|&p| problem_accuracy(&outcomes, c, b, p)))).unwrap_or(0.0))
        .collect();
    for (kind, bins) in [("oracle", &oracle), ("predicted", &predicted)] {
        for (family, allowed) in &families {
            if allowed.is_empty() {
                continue;
            }
            let curve = compute_optimal_curve(config, &outcomes, bins, searched, allowed, kind, family);
            for target in [16usize, 64, 256] {
                let Some(ti) = config.budgets.iter().position(|&b| b == target) else { continue };
                let goal = report.compute_optimal.best_of_n_weighted[ti];
                let first_reaching = |curve: &[f64]| config.budgets.iter().zip(curve).find(|(_, a)| **a + 1e-9 >= goal).map(|(b, _)| *b);
                let best_of_n_budget = first_reaching(&report.compute_optimal.best_of_n_weighted).unwrap_or(target);
                let budget = first_reaching(&curve.overall);
                report.compute_optimal.matches.push(BudgetMatch {
                    bins: kind.into(),
                    family: family.to_string(),
                    target_budget: target,
                    best_of_n_accuracy: goal,
                    best_of_n_budget,
                    budget,
                    saving: budget.map(|b| best_of_n_budget as f64 / b as f64),
                });
            }
            report.compute_optimal.curves.push(curve);
        }
    }

    // FLOPs-matched comparison (needs the larger model's greedy answers and the token counts).
    if let (Some(greedy), Some(facts)) = (large_greedy, facts) {
        let oracle_all = report.compute_optimal.curves.iter().find(|c| c.bins == "oracle" && c.family == "all").cloned().unwrap_or_default();
        let rows = config
            .flops_ratios
            .iter()
            .map(|&r| {
                let multiplier = flops_multiplier(&facts, r);
                let bi = config.budgets.iter().rposition(|&b| b as f64 <= multiplier + 1e-9);
                let by_bin = (1..=BINS)
                    .map(|bin| {
                        let members = bin_members(&oracle, searched, bin);
                        let whole_bin = bin_members(&oracle, &all, bin);
                        FlopsBin {
                            bin,
                            test_time: bi.and_then(|i| oracle_all.by_bin.get(bin - 1).and_then(|v| v[i])),
                            large_greedy: mean(members.iter().map(|&p| greedy[p] as u8 as f64)),
                            small_one_sample: bon.and_then(|c| members.iter().map(|&p| problem_accuracy(&outcomes, c, 1, p)).sum::<Option<f64>>()).map(|s| s / members.len().max(1) as f64).unwrap_or(0.0),
                            problems: members.len(),
                            best_of_n_all_problems: bi.zip(bon).and_then(|(i, c)| cell(config, &outcomes, c, bin, config.budgets[i], &whole_bin)).map(|c| c.accuracy),
                            all_problems: whole_bin.len(),
                        }
                    })
                    .collect();
                FlopsRow { r, multiplier, budget: bi.map(|i| config.budgets[i]), by_bin }
            })
            .collect();
        report.flops_matched = Some(FlopsMatched {
            params_ratio: facts.large_params as f64 / facts.small_params.max(1) as f64,
            facts,
            rows,
            large_greedy_all_problems: (1..=BINS).map(|bin| mean(bin_members(&oracle, &all, bin).iter().map(|&p| greedy[p] as u8 as f64))).collect(),
        });
    }
    report.findings = super::findings::findings(&report);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_bins_put_the_easiest_first_in_equal_parts() {
        let v = [0.9, 0.1, 0.5, 0.7, 0.3, 0.95, 0.05, 0.6, 0.4, 0.2];
        let b = quantile_bins(&v);
        assert_eq!(b, vec![1, 5, 3, 2, 4, 1, 5, 2, 3, 4]);
    }

    #[test]
    fn search_problems_spread_over_each_bin() {
        let pass: Vec<f64> = (0..20).map(|i| 1.0 - i as f64 / 20.0).collect();
        let bins = quantile_bins(&pass);
        let picked = pick_search_problems(&bins, &pass, 2);
        assert_eq!(picked.len(), 10);
        for bin in 1..=5 {
            assert_eq!(picked.iter().filter(|&&p| bins[p] == bin).count(), 2);
        }
    }

    #[test]
    fn flops_multiplier_matches_the_study_formula() {
        // Same tokens: M + 3(M-1)/R.
        let f = ModelFacts { small_params: 10, large_params: 140, small_tokens: 1000, large_tokens: 1000 };
        for r in [0.16, 0.79, 22.0] {
            assert!((flops_multiplier(&f, r) - (14.0 + 3.0 * 13.0 / r)).abs() < 1e-9);
        }
    }

    #[test]
    fn cross_validation_picks_on_one_half_and_scores_on_the_other() {
        let mut config = StudyConfig::quick();
        config.configs = vec![SweepConfig::BestOfN { selection: crate::search::Selection::Weighted }, SweepConfig::Beam { width: super::super::Width::Fixed(4) }];
        config.budgets = vec![4];
        config.seeds = vec![1];
        let mut outcomes = Outcomes::new();
        // Four problems in bin 1: best-of-N right on 0 and 2, beam right on 1 and 3 and 0.
        let bon: BTreeMap<usize, Vec<bool>> = [(0, vec![true]), (1, vec![false]), (2, vec![true]), (3, vec![false])].into();
        let beam: BTreeMap<usize, Vec<bool>> = [(0, vec![true]), (1, vec![true]), (2, vec![false]), (3, vec![true])].into();
        outcomes.insert((0, 4), bon);
        outcomes.insert((1, 4), beam);
        let bins = vec![1, 1, 1, 1];
        let curve = compute_optimal_curve(&config, &outcomes, &bins, &[0, 1, 2, 3], &[0, 1], "oracle", "all");
        // Folds {0,2} and {1,3}: best-of-N wins on {0,2} (2 vs 1) and scores 0 on {1,3};
        // beam wins on {1,3} (2 vs 0) and scores 1 on {0,2}: (0 + 1) / 4.
        assert_eq!(curve.by_bin[0][0], Some(0.25));
        assert_eq!(curve.choices[0][0].as_deref(), Some("beam_m4"));
    }
}
