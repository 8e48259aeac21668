//! From raw outcomes to the study's numbers: difficulty bins, sweep cells with their spread
//! across seeds, compute-optimal scaling by two-fold cross-validation, the budget it needs to
//! match best-of-N, the FLOPs-matched comparison, and the findings checked against the study.

use super::interval::{self, bootstrap, mean_interval, weighted_mean};
use super::report::*;
use crate::search::{Recipe, Verifier};
use super::{ProblemPool, SearchJob, StudyConfig, best_of_n_from_pool};
use crate::task::{ChainProblem, Level};
use std::collections::BTreeMap;

pub const BINS: usize = 5;

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

/// Best-of-N outcomes from the pools, votes weighted by `verifier`, for every problem, budget
/// and seed.
pub fn pool_outcomes(config: &StudyConfig, pools: &[ProblemPool], verifier: Verifier) -> Outcomes {
    let mut out = Outcomes::new();
    for (c, sc) in config.configs.iter().enumerate() {
        let Some(selection) = sc.pool_selection() else { continue };
        for &budget in &config.budgets {
            let per_problem = pools
                .iter()
                .enumerate()
                .map(|(p, pool)| (p, config.seeds.iter().map(|&s| best_of_n_from_pool(pool, budget, selection, verifier, s, p)).collect()))
                .collect();
            out.insert((c, budget), per_problem);
        }
    }
    out
}

/// Adds the search results (job, right) of `verifier` to `outcomes`, in the order of the
/// config's seeds.
pub fn add_search_outcomes(config: &StudyConfig, outcomes: &mut Outcomes, results: &[(SearchJob, bool)], verifier: Verifier) {
    for (job, correct) in results.iter().filter(|(job, _)| job.verifier == verifier) {
        let seed_index = config.seeds.iter().position(|&s| s == job.seed).unwrap_or(0);
        let slot = outcomes.entry((job.config, job.budget)).or_default().entry(job.problem).or_insert_with(|| vec![false; config.seeds.len()]);
        slot[seed_index] = *correct;
    }
}

pub(super) fn mean(it: impl IntoIterator<Item = f64>) -> f64 {
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
    let per_problem: Vec<f64> = rows.iter().map(|r| mean(r.iter().map(|&b| b as u8 as f64))).collect();
    Some(Cell {
        config: RecipeId(config.configs[c]),
        bin,
        budget,
        accuracy: mean(per_seed.iter().copied()),
        min: per_seed.iter().copied().fold(f64::INFINITY, f64::min),
        max: per_seed.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        per_seed,
        problems: rows.len(),
        interval: mean_interval(&per_problem),
        per_problem,
    })
}

/// Compute-optimal for one grouping of the searched problems: per bin and budget, the best
/// allowed configuration chosen on one half of the bin and scored on the other, swapped and
/// averaged. Bins with fewer than two searched problems fall back to best-of-N weighted.
pub fn compute_optimal_curve(config: &StudyConfig, outcomes: &Outcomes, bins: &[usize], searched: &[usize], allowed: &[usize], kind: BinKind, family: Allowed) -> ComputeOptimalCurve {
    let fallback = config.configs.iter().position(|c| *c == Recipe::BestOfN { selection: crate::search::Selection::Weighted });
    let mut curve = ComputeOptimalCurve { bins: kind, family, ..Default::default() };
    let mut per_problem = vec![vec![0.0; searched.len()]; config.budgets.len()];
    let index: std::collections::HashMap<usize, usize> = searched.iter().enumerate().map(|(i, &p)| (p, i)).collect();
    let position = |p: usize| index[&p];
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
            choices.push(best_on(&members).map(|c| RecipeId(config.configs[c])));
            let folds: [Vec<usize>; 2] = [members.iter().copied().step_by(2).collect(), members.iter().copied().skip(1).step_by(2).collect()];
            let acc = if folds[1].is_empty() || candidates.is_empty() {
                // Too few problems to cross-validate: best-of-N weighted, when measured.
                fallback.filter(|&f| allowed.contains(&f)).and_then(|f| {
                    let v: Vec<(usize, f64)> = members.iter().filter_map(|&p| problem_accuracy(outcomes, f, budget, p).map(|a| (p, a))).collect();
                    v.iter().for_each(|&(p, a)| per_problem[bi][position(p)] = a);
                    (!v.is_empty()).then(|| mean(v.iter().map(|x| x.1)))
                })
            } else {
                // Each fold scored by the configuration picked on the other.
                for (pick_on, score_on) in [(&folds[0], &folds[1]), (&folds[1], &folds[0])] {
                    if let Some(c) = best_on(pick_on) {
                        score_on.iter().for_each(|&p| per_problem[bi][position(p)] = problem_accuracy(outcomes, c, budget, p).unwrap_or(0.0));
                    }
                }
                Some(mean(members.iter().map(|&p| per_problem[bi][position(p)])))
            };
            accs.push(acc);
        }
        curve.by_bin.push(accs);
        curve.choices.push(choices);
    }
    curve.overall = per_problem.iter().map(|v| v.iter().sum::<f64>() / searched.len().max(1) as f64).collect();
    curve.overall_interval = per_problem.iter().map(|v| mean_interval(v)).collect();
    curve.per_problem = per_problem;
    curve
}

/// The first budget at which `curve` reaches `goal`.
fn first_reaching(budgets: &[usize], curve: &[f64], goal: f64) -> Option<usize> {
    budgets.iter().zip(curve).find(|(_, a)| **a + 1e-9 >= goal).map(|(b, _)| *b)
}

/// How much less compute `co` (per budget, per problem) needs to match `bon` at budget index
/// `ti`, on problems weighted by `counts`: None where it never does.
fn saving(budgets: &[usize], bon: &[Vec<f64>], co: &[Vec<f64>], ti: usize, counts: &[u32]) -> Option<f64> {
    let bon_curve: Vec<f64> = bon.iter().map(|v| weighted_mean(v, counts)).collect();
    let co_curve: Vec<f64> = co.iter().map(|v| weighted_mean(v, counts)).collect();
    let goal = bon_curve[ti];
    let bon_budget = first_reaching(budgets, &bon_curve, goal).unwrap_or(budgets[ti]);
    first_reaching(budgets, &co_curve, goal).map(|b| bon_budget as f64 / b as f64)
}

/// FLOPs-matched multiplier of the small model's inference (see [`FlopsRow::multiplier`]).
pub fn flops_multiplier(facts: &ModelFacts, r: f64) -> f64 {
    let (ns, nl, ds, dl) = (facts.small_params as f64, facts.large_params as f64, facts.small_tokens as f64, facts.large_tokens as f64);
    (6.0 * nl * dl + 2.0 * nl * r * ds - 6.0 * ns * ds) / (2.0 * ns * r * ds)
}

/// The report of the config's first verifier, with one report per other verifier in
/// `by_verifier` (each over its own searches, weighted votes and predicted bins; oracle bins
/// and the larger model's answers are the same in all).
pub fn analyse_each_verifier(
    config: &StudyConfig,
    problems: &[(Level, ChainProblem)],
    pools: &[ProblemPool],
    searched: &[usize],
    search_results: &[(SearchJob, bool)],
    large_greedy: Option<&[bool]>,
    facts: Option<ModelFacts>,
) -> StudyReport {
    let mut reports = config.verifiers.iter().map(|&v| analyse(config, problems, pools, searched, search_results, large_greedy, facts.clone(), v));
    let mut first = reports.next().unwrap_or_default();
    first.by_verifier = reports.collect();
    first
}

/// Everything after the decoding, with `verifier` scoring the searches and weighting the
/// votes: bins, cells, compute-optimal curves, budget matches, the FLOPs-matched comparison
/// and the findings.
#[allow(clippy::too_many_arguments)]
pub fn analyse(
    config: &StudyConfig,
    problems: &[(Level, ChainProblem)],
    pools: &[ProblemPool],
    searched: &[usize],
    search_results: &[(SearchJob, bool)],
    large_greedy: Option<&[bool]>,
    facts: Option<ModelFacts>,
    verifier: Verifier,
) -> StudyReport {
    let mut searched = searched.to_vec();
    searched.sort_unstable();
    let searched = &searched[..];
    let pass: Vec<f64> = pools.iter().map(|p| p.pass_at_1()).collect();
    let score: Vec<f64> = pools.iter().map(|p| p.mean_final_score(verifier)).collect();
    let oracle = quantile_bins(&pass);
    let predicted = quantile_bins(&score);
    let mut report = StudyReport { config: Some(config.clone()), interval_method: interval::METHOD.into(), verifier: Some(verifier), ..Default::default() };
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
    let mut outcomes = pool_outcomes(config, pools, verifier);
    add_search_outcomes(config, &mut outcomes, search_results, verifier);
    let bin_members = |bins: &[usize], set: &[usize], bin: usize| -> Vec<usize> { set.iter().copied().filter(|&p| bins[p] == bin).collect() };
    let all: Vec<usize> = (0..problems.len()).collect();
    report.sweeps.budgets = config.budgets.clone();
    report.sweeps.search_problems = searched.to_vec();
    report.sweeps.configs = config.configs.iter().map(|c| ConfigInfo { id: c.id(), label: c.label(), family: c.family(), config: *c }).collect();
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
    let families: Vec<(Allowed, Vec<usize>)> =
        Allowed::ALL.iter().map(|&a| (a, (0..config.configs.len()).filter(|&c| a.admits(config.configs[c].family())).collect())).collect();
    let bon = config.configs.iter().position(|c| *c == Recipe::BestOfN { selection: crate::search::Selection::Weighted });
    // Best-of-N weighted per budget and searched problem (0 where not measured).
    let bon_per_problem: Vec<Vec<f64>> =
        config.budgets.iter().map(|&b| searched.iter().map(|&p| bon.and_then(|c| problem_accuracy(&outcomes, c, b, p)).unwrap_or(0.0)).collect()).collect();
    report.compute_optimal.best_of_n_weighted = config
        .budgets
        .iter()
        .map(|&b| bon.map(|c| mean(searched.iter().filter_map(|&p| problem_accuracy(&outcomes, c, b, p)))).unwrap_or(0.0))
        .collect();
    for (kind, bins) in [(BinKind::Oracle, &oracle), (BinKind::Predicted, &predicted)] {
        for &(family, ref allowed) in &families {
            if allowed.is_empty() {
                continue;
            }
            let curve = compute_optimal_curve(config, &outcomes, bins, searched, allowed, kind, family);
            for target in [16usize, 64, 256] {
                let Some(ti) = config.budgets.iter().position(|&b| b == target) else { continue };
                let goal = report.compute_optimal.best_of_n_weighted[ti];
                let best_of_n_budget = first_reaching(&config.budgets, &report.compute_optimal.best_of_n_weighted, goal).unwrap_or(target);
                let budget = first_reaching(&config.budgets, &curve.overall, goal);
                let saving_interval = bon.and_then(|_| {
                    bootstrap(searched.len(), |counts| Some(saving(&config.budgets, &bon_per_problem, &curve.per_problem, ti, counts).unwrap_or(0.0)))
                });
                report.compute_optimal.matches.push(BudgetMatch {
                    bins: kind,
                    family,
                    target_budget: target,
                    best_of_n_accuracy: goal,
                    best_of_n_budget,
                    budget,
                    saving: budget.map(|b| best_of_n_budget as f64 / b as f64),
                    saving_interval,
                    equal_compute: bon.and_then(|_| interval::difference(&curve.per_problem[ti], &bon_per_problem[ti])),
                });
            }
            report.compute_optimal.curves.push(curve);
        }
    }

    // FLOPs-matched comparison (needs the larger model's greedy answers and the token counts).
    if let (Some(greedy), Some(facts)) = (large_greedy, facts) {
        let oracle_all = report.compute_optimal.curves.iter().find(|c| c.bins == BinKind::Oracle && c.family == Allowed::All).cloned().unwrap_or_default();
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
                        let whole_cell = bi.zip(bon).and_then(|(i, c)| cell(config, &outcomes, c, bin, config.budgets[i], &whole_bin));
                        let large: Vec<f64> = whole_bin.iter().map(|&p| greedy[p] as u8 as f64).collect();
                        FlopsBin {
                            bin,
                            test_time: bi.and_then(|i| oracle_all.by_bin.get(bin - 1).and_then(|v| v[i])),
                            large_greedy: mean(members.iter().map(|&p| greedy[p] as u8 as f64)),
                            small_one_sample: bon.and_then(|c| members.iter().map(|&p| problem_accuracy(&outcomes, c, 1, p)).sum::<Option<f64>>()).map(|s| s / members.len().max(1) as f64).unwrap_or(0.0),
                            problems: members.len(),
                            best_of_n_all_problems: whole_cell.as_ref().map(|c| c.accuracy),
                            all_problems: whole_bin.len(),
                            best_of_n_interval: whole_cell.as_ref().and_then(|c| c.interval),
                            large_interval: mean_interval(&large),
                            difference: whole_cell.and_then(|c| interval::difference(&c.per_problem, &large)),
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
        config.configs = vec![Recipe::BestOfN { selection: crate::search::Selection::Weighted }, Recipe::Beam { width: crate::search::Width::Fixed(4) }];
        config.budgets = vec![4];
        config.seeds = vec![1];
        let mut outcomes = Outcomes::new();
        // Four problems in bin 1: best-of-N right on 0 and 2, beam right on 1 and 3 and 0.
        let bon: BTreeMap<usize, Vec<bool>> = [(0, vec![true]), (1, vec![false]), (2, vec![true]), (3, vec![false])].into();
        let beam: BTreeMap<usize, Vec<bool>> = [(0, vec![true]), (1, vec![true]), (2, vec![false]), (3, vec![true])].into();
        outcomes.insert((0, 4), bon);
        outcomes.insert((1, 4), beam);
        let bins = vec![1, 1, 1, 1];
        let curve = compute_optimal_curve(&config, &outcomes, &bins, &[0, 1, 2, 3], &[0, 1], BinKind::Oracle, Allowed::All);
        // Folds {0,2} and {1,3}: best-of-N wins on {0,2} (2 vs 1) and scores 0 on {1,3};
        // beam wins on {1,3} (2 vs 0) and scores 1 on {0,2}: (0 + 1) / 4.
        assert_eq!(curve.by_bin[0][0], Some(0.25));
        assert_eq!(curve.choices[0][0].map(|c| c.0.id()).as_deref(), Some("beam_m4"));
    }
}
