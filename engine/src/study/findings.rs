//! The study's claims, each checked against what the run measured, one function per claim.
//! Every claim names differences between two numbers over the same problems; a difference
//! counts for the claim only where its 95% interval ([`super::interval`]) excludes zero in
//! the claimed direction, and not at all where both sides sit at the ceiling or the floor.

use super::analysis::mean;
use super::interval::{self, Estimate};
use super::report::{Allowed, BinKind, Comparison, Finding, FlopsBin, Outcome, RecipeId, StudyReport, Verdict};
use crate::search::{Recipe, Selection, Width};

/// Both sides at or above this accuracy (or both at or below 1 − it): neither can win there.
const CEILING: f64 = 0.995;

const BEAM_M4: Recipe = Recipe::Beam { width: Width::Fixed(4) };
const BEST_OF_N_WEIGHTED: Recipe = Recipe::BestOfN { selection: Selection::Weighted };
const ALL_PARALLEL: Recipe = Recipe::Revisions { length: 1 };
const ALL_SEQUENTIAL: Recipe = Recipe::Revisions { length: 0 };

/// The per-problem accuracies of `config` at `budget` over the searched problems of `bins`
/// (bin after bin, each in index order); None if a cell is missing.
fn per_problem(r: &StudyReport, config: Recipe, bins: &[usize], budget: usize) -> Option<Vec<f64>> {
    let mut out = Vec::new();
    for &bin in bins {
        let cell = r.sweeps.cells.iter().find(|c| c.config == RecipeId(config) && c.bin == bin && c.budget == budget)?;
        if cell.per_problem.len() != cell.problems {
            return None;
        }
        out.extend(&cell.per_problem);
    }
    (!out.is_empty()).then_some(out)
}

/// One comparison from its two sides' numbers and the difference's estimate.
fn judge(what: String, (a, b): (f64, f64), difference: Estimate, claimed_sign: i8) -> Comparison {
    let bounded = (a >= CEILING && b >= CEILING) || (a <= 1.0 - CEILING && b <= 1.0 - CEILING);
    let (with, against) = if claimed_sign > 0 {
        (difference.interval.excludes_zero_above(), difference.interval.excludes_zero_below())
    } else {
        (difference.interval.excludes_zero_below(), difference.interval.excludes_zero_above())
    };
    let outcome = match () {
        _ if bounded => Outcome::NotTestable,
        _ if with => Outcome::Shown,
        _ if against => Outcome::Opposite,
        _ => Outcome::Inconclusive,
    };
    Comparison { what, a, b, difference, claimed_sign, outcome }
}

/// `a − b` over the same problems, claimed to have the sign `claimed_sign`.
fn compare(what: String, a: &[f64], b: &[f64], claimed_sign: i8) -> Option<Comparison> {
    interval::difference(a, b).map(|d| judge(what, (mean(a.iter().copied()), mean(b.iter().copied())), d, claimed_sign))
}

/// The claim's verdict from its comparisons.
pub fn verdict(comparisons: &[Comparison]) -> Verdict {
    let testable: Vec<&Comparison> = comparisons.iter().filter(|c| c.outcome != Outcome::NotTestable).collect();
    let shown = testable.iter().filter(|c| c.outcome == Outcome::Shown).count();
    match () {
        _ if comparisons.is_empty() => Verdict::NotMeasured,
        _ if testable.is_empty() => Verdict::NotTestable,
        _ if shown == testable.len() => Verdict::Reproduced,
        _ if shown > 0 => Verdict::Partly,
        _ => Verdict::NotReproduced,
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn points(x: f64) -> String {
    format!("{:+.1}", x * 100.0)
}

/// "what: 81% vs 74%, +6.7 points (95% CI +1.2 to +12.0): shown".
fn describe(c: &Comparison) -> String {
    let outcome = match c.outcome {
        Outcome::Shown => "shown",
        Outcome::Opposite => "the opposite",
        Outcome::Inconclusive => "interval holds zero",
        Outcome::NotTestable => "both at the ceiling or floor",
    };
    let d = c.difference;
    format!("{}: {} vs {}, {} points (95% CI {} to {}): {outcome}", c.what, pct(c.a), pct(c.b), points(d.value), points(d.interval.low), points(d.interval.high))
}

fn finding(claim: &str, comparisons: Vec<Comparison>, empty: &str, figure: &str) -> Finding {
    Finding {
        claim: claim.into(),
        measured: if comparisons.is_empty() { empty.into() } else { comparisons.iter().map(describe).collect::<Vec<_>>().join("; ") },
        verdict: verdict(&comparisons),
        figure: figure.into(),
        comparisons,
    }
}

/// Every claim, in the study's order.
pub fn findings(r: &StudyReport) -> Vec<Finding> {
    vec![beam_search_on_easy_problems(r), lookahead_rarely_pays(r), sequential_against_parallel(r), compute_optimal_saving(r), flops_matched(r)]
}

/// Beam search beats best-of-N on easy problems at a low budget and loses at the highest.
fn beam_search_on_easy_problems(r: &StudyReport) -> Finding {
    let budgets = &r.sweeps.budgets;
    let max_budget = budgets.last().copied().unwrap_or(1);
    let low_budget = budgets.iter().copied().find(|&b| b >= 4).unwrap_or(max_budget);
    let easy = [1, 2];
    let comparisons = [(low_budget, 1), (max_budget, -1)]
        .into_iter()
        .filter_map(|(budget, sign)| {
            let (beam, bon) = (per_problem(r, BEAM_M4, &easy, budget)?, per_problem(r, BEST_OF_N_WEIGHTED, &easy, budget)?);
            compare(format!("bins 1–2, N={budget}: beam M=4 − best-of-N weighted"), &beam, &bon, sign)
        })
        .collect();
    finding(
        "On easy problems, beam search beats best-of-N at low budgets and falls behind it at high budgets",
        comparisons,
        "beam search or best-of-N not measured on bins 1–2",
        "figures/sweeps.svg",
    )
}

/// Lookahead loses to plain beam search at equal compute (per problem, averaged over the
/// budgets both ran at).
fn lookahead_rarely_pays(r: &StudyReport) -> Finding {
    let comparisons = [1, 3]
        .into_iter()
        .filter_map(|k| {
            let pairs: Vec<[Vec<f64>; 2]> =
                r.sweeps.budgets.iter().filter_map(|&b| Some([per_problem(r, BEAM_M4, &[0], b)?, per_problem(r, Recipe::Lookahead { k }, &[0], b)?])).collect();
            let n = pairs.first()?[0].len();
            let average = |side: usize| -> Vec<f64> { (0..n).map(|p| pairs.iter().map(|x| x[side][p]).sum::<f64>() / pairs.len() as f64).collect() };
            compare(format!("all bins, {} budgets: beam M=4 − lookahead k={k}", pairs.len()), &average(0), &average(1), 1)
        })
        .collect();
    finding(
        "Lookahead search rarely pays for its extra rollouts (it loses to plain beam search at equal compute)",
        comparisons,
        "lookahead or beam search not measured",
        "figures/sweeps.svg",
    )
}

/// Sequential revisions win on easy problems; on hard ones a mix of sequential and parallel.
fn sequential_against_parallel(r: &StudyReport) -> Finding {
    let budgets = &r.sweeps.budgets;
    let splits = [ALL_PARALLEL, Recipe::Revisions { length: 4 }, Recipe::Revisions { length: 16 }, ALL_SEQUENTIAL];
    let budget = budgets.iter().rev().copied().find(|&b| splits.iter().filter(|&&s| per_problem(r, s, &[1], b).is_some()).count() >= 3);
    let mut comparisons = Vec::new();
    if let Some(b) = budget {
        if let (Some(seq), Some(par)) = (per_problem(r, ALL_SEQUENTIAL, &[1, 2], b), per_problem(r, ALL_PARALLEL, &[1, 2], b)) {
            comparisons.extend(compare(format!("bins 1–2, N={b}: all sequential − all parallel"), &seq, &par, 1));
        }
        // The best mix against the better of the two pure splits (the best is picked on the
        // same problems, which favours it a little).
        let hard = |s: Recipe| per_problem(r, s, &[4, 5], b);
        let pure = [ALL_PARALLEL, ALL_SEQUENTIAL].into_iter().filter_map(|s| hard(s).map(|v| (s, v))).max_by(|x, y| mean(x.1.iter().copied()).total_cmp(&mean(y.1.iter().copied())));
        let mix = splits[1..3].iter().filter_map(|&s| hard(s).map(|v| (s, v))).max_by(|x, y| mean(x.1.iter().copied()).total_cmp(&mean(y.1.iter().copied())));
        if let (Some((ps, pv)), Some((ms, mv))) = (pure, mix) {
            let label = |s: Recipe| r.sweeps.configs.iter().find(|c| c.config == s).map_or_else(|| s.id(), |c| c.label.clone());
            comparisons.extend(compare(format!("bins 4–5, N={b}: {} − {}", label(ms), label(ps)), &mv, &pv, 1));
        }
    }
    finding(
        "Sequential revisions beat parallel sampling on easy problems; on hard ones a mix of the two is best",
        comparisons,
        "too few revision splits measured",
        "figures/revisions.svg",
    )
}

/// Compute-optimal scaling matches best-of-N with about 4× less compute: at each target
/// budget, compute-optimal beats best-of-N at equal compute (the saving, with its interval,
/// says by how much).
fn compute_optimal_saving(r: &StudyReport) -> Finding {
    let comparisons: Vec<Comparison> = r
        .compute_optimal
        .matches
        .iter()
        .filter(|m| m.bins == BinKind::Oracle && m.family == Allowed::All)
        .filter_map(|m| {
            let d = m.equal_compute?;
            let saving = match (m.saving, m.saving_interval) {
                (Some(s), Some(i)) => format!("saving {s:.1}× (95% CI {:.1}× to {:.1}×)", i.low, i.high),
                (Some(s), None) => format!("saving {s:.1}×"),
                _ => "not matched".into(),
            };
            let b = m.best_of_n_accuracy;
            Some(judge(format!("N={}, {saving}: compute-optimal − best-of-N weighted", m.target_budget), (b + d.value, b), d, 1))
        })
        .collect();
    finding(
        "Compute-optimal scaling matches best-of-N with about 4× less compute",
        comparisons,
        "no target budget (16, 64, 256) in the sweep",
        "figures/compute_optimal.svg",
    )
}

/// FLOPs matched, test-time compute (best-of-N weighted over whole bins at the matched
/// budget) against the larger model's greedy answers: at the lowest R, test-time compute wins
/// bins 1–3 and loses bin 5; at the highest R, the larger model wins every bin.
fn flops_matched(r: &StudyReport) -> Finding {
    let mut comparisons = Vec::new();
    if let Some(f) = &r.flops_matched {
        let lo = f.rows.iter().min_by(|a, b| a.r.total_cmp(&b.r));
        let hi = f.rows.iter().max_by(|a, b| a.r.total_cmp(&b.r)).filter(|h| Some(h.r) != lo.map(|l| l.r));
        let side = |row_r: f64, b: &FlopsBin, sign: i8| -> Option<Comparison> {
            let (t, d) = (b.best_of_n_all_problems?, b.difference?);
            Some(judge(format!("R={row_r}, bin {}: test-time compute − larger model", b.bin), (t, t - d.value), d, sign))
        };
        if let Some(lo) = lo {
            comparisons.extend(lo.by_bin.iter().filter(|b| b.bin <= 3 || b.bin == 5).filter_map(|b| side(lo.r, b, if b.bin <= 3 { 1 } else { -1 })));
        }
        if let Some(hi) = hi {
            comparisons.extend(hi.by_bin.iter().filter_map(|b| side(hi.r, b, -1)));
        }
    }
    finding(
        "FLOPs matched, test-time compute beats a 14× larger model on easy and medium problems when R ≪ 1, but not on the hardest ones or when R ≫ 1",
        comparisons,
        "the larger model was not evaluated",
        "figures/flops_matched.svg",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::report::{Cell, FlopsMatched, FlopsRow};

    /// `n` problems per bin, right on the first `right` of them.
    fn right_on(n: usize, right: usize) -> Vec<f64> {
        (0..n).map(|i| (i < right) as u8 as f64).collect()
    }

    fn cell(config: Recipe, bin: usize, budget: usize, per_problem: Vec<f64>) -> Cell {
        let accuracy = mean(per_problem.iter().copied());
        Cell { config: RecipeId(config), bin, budget, accuracy, per_seed: vec![accuracy], min: accuracy, max: accuracy, problems: per_problem.len(), interval: None, per_problem }
    }

    fn report(cells: Vec<Cell>, budgets: Vec<usize>) -> StudyReport {
        let mut r = StudyReport::default();
        r.sweeps.budgets = budgets;
        r.sweeps.cells = cells;
        r
    }

    /// Beam search ahead at N=4 by 20 of 100 problems and behind at N=256 by 20: reproduced;
    /// ahead by 2 of 100: the interval holds zero, so that part is not shown; both at 100%:
    /// not testable.
    #[test]
    fn the_beam_finding_needs_intervals_that_exclude_zero() {
        let cells = |low: (usize, usize), high: (usize, usize)| {
            let mut v = Vec::new();
            for bin in [1, 2] {
                v.push(cell(BEAM_M4, bin, 4, right_on(50, low.0)));
                v.push(cell(BEST_OF_N_WEIGHTED, bin, 4, right_on(50, low.1)));
                v.push(cell(BEAM_M4, bin, 256, right_on(50, high.0)));
                v.push(cell(BEST_OF_N_WEIGHTED, bin, 256, right_on(50, high.1)));
            }
            report(v, vec![1, 4, 256])
        };
        assert_eq!(beam_search_on_easy_problems(&cells((40, 30), (30, 40))).verdict, Verdict::Reproduced);
        let f = beam_search_on_easy_problems(&cells((31, 30), (30, 40)));
        assert_eq!(f.verdict, Verdict::Partly, "{}", f.measured);
        assert_eq!(f.comparisons[0].outcome, Outcome::Inconclusive);
        assert!(f.measured.contains("interval holds zero"), "{}", f.measured);
        assert_eq!(beam_search_on_easy_problems(&cells((30, 40), (40, 30))).verdict, Verdict::NotReproduced);
        assert_eq!(beam_search_on_easy_problems(&cells((50, 50), (50, 50))).verdict, Verdict::NotTestable);
        assert_eq!(beam_search_on_easy_problems(&report(vec![], vec![1, 4])).verdict, Verdict::NotMeasured);
    }

    #[test]
    fn lookahead_is_judged_per_problem_over_the_budgets() {
        let mut cells = Vec::new();
        for b in [4, 16] {
            cells.push(cell(BEAM_M4, 0, b, right_on(250, 150)));
            cells.push(cell(Recipe::Lookahead { k: 1 }, 0, b, right_on(250, 110)));
            cells.push(cell(Recipe::Lookahead { k: 3 }, 0, b, right_on(250, 148)));
        }
        let f = lookahead_rarely_pays(&report(cells, vec![4, 16]));
        assert_eq!(f.comparisons.len(), 2);
        assert_eq!(f.comparisons[0].outcome, Outcome::Shown, "{}", f.measured);
        assert_eq!(f.comparisons[1].outcome, Outcome::Inconclusive, "{}", f.measured);
        assert_eq!(f.verdict, Verdict::Partly);
    }

    #[test]
    fn revisions_need_the_mix_ahead_of_the_better_pure_split() {
        let mut cells = Vec::new();
        let b = 16;
        for bin in [1, 2] {
            cells.push(cell(ALL_SEQUENTIAL, bin, b, right_on(50, 45)));
            cells.push(cell(ALL_PARALLEL, bin, b, right_on(50, 30)));
            cells.push(cell(Recipe::Revisions { length: 4 }, bin, b, right_on(50, 40)));
        }
        for bin in [4, 5] {
            cells.push(cell(ALL_SEQUENTIAL, bin, b, right_on(50, 10)));
            cells.push(cell(ALL_PARALLEL, bin, b, right_on(50, 20)));
            cells.push(cell(Recipe::Revisions { length: 4 }, bin, b, right_on(50, 30)));
            cells.push(cell(Recipe::Revisions { length: 16 }, bin, b, right_on(50, 25)));
        }
        let f = sequential_against_parallel(&report(cells, vec![1, b]));
        assert_eq!(f.verdict, Verdict::Reproduced, "{}", f.measured);
        assert!(f.comparisons[1].what.contains(" − "), "{}", f.comparisons[1].what);
        assert!((f.comparisons[1].b - 0.4).abs() < 1e-12, "against the better pure split, all parallel");
    }

    fn estimate(value: f64, low: f64, high: f64) -> Estimate {
        Estimate { value, interval: interval::Interval { low, high } }
    }

    #[test]
    fn the_compute_optimal_finding_reads_the_equal_compute_difference() {
        use crate::study::report::BudgetMatch;
        let m = |target: usize, d: Estimate| BudgetMatch {
            bins: BinKind::Oracle,
            family: Allowed::All,
            target_budget: target,
            best_of_n_accuracy: 0.6,
            best_of_n_budget: target,
            budget: Some(target / 4),
            saving: Some(4.0),
            saving_interval: Some(interval::Interval { low: 2.0, high: 8.0 }),
            equal_compute: Some(d),
        };
        let mut r = StudyReport::default();
        r.compute_optimal.matches = vec![m(16, estimate(0.05, 0.01, 0.09)), m(64, estimate(0.04, 0.005, 0.08))];
        let f = compute_optimal_saving(&r);
        assert_eq!(f.verdict, Verdict::Reproduced, "{}", f.measured);
        assert!(f.measured.contains("saving 4.0× (95% CI 2.0× to 8.0×)"), "{}", f.measured);
        r.compute_optimal.matches[1].equal_compute = Some(estimate(0.01, -0.02, 0.04));
        assert_eq!(compute_optimal_saving(&r).verdict, Verdict::Partly);
    }

    fn flops_row(r: f64, bins: [(f64, Estimate); 5]) -> FlopsRow {
        FlopsRow {
            r,
            multiplier: 1.0,
            budget: Some(1),
            by_bin: (1..=5)
                .map(|bin| FlopsBin {
                    bin,
                    test_time: Some(0.0),
                    large_greedy: 1.0,
                    small_one_sample: 0.0,
                    problems: 50,
                    best_of_n_all_problems: Some(bins[bin - 1].0),
                    all_problems: 100,
                    difference: Some(bins[bin - 1].1),
                    best_of_n_interval: None,
                    large_interval: None,
                })
                .collect(),
        }
    }

    /// Bins at the ceiling count for neither side; each other bin must have its interval on
    /// the claimed side.
    #[test]
    fn the_flops_matched_finding_reads_whole_bins_and_skips_the_ceiling() {
        let top = (1.0, estimate(0.0, 0.0, 0.0));
        let win = (0.8, estimate(0.1, 0.03, 0.17));
        let lose = (0.1, estimate(-0.2, -0.28, -0.12));
        let tie = (0.5, estimate(0.01, -0.05, 0.07));
        let mut r = StudyReport {
            flops_matched: Some(FlopsMatched { rows: vec![flops_row(0.16, [top, top, win, win, lose]), flops_row(22.0, [top, top, lose, lose, lose])], ..FlopsMatched::default() }),
            ..StudyReport::default()
        };
        let f = flops_matched(&r);
        assert_eq!(f.verdict, Verdict::Reproduced, "{}", f.measured);
        assert_eq!(f.comparisons.iter().filter(|c| c.outcome == Outcome::NotTestable).count(), 4);
        r.flops_matched.as_mut().unwrap().rows[1] = flops_row(22.0, [top, top, tie, lose, lose]);
        assert_eq!(flops_matched(&r).verdict, Verdict::Partly);
    }
}
