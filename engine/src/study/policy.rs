//! The compute-optimal policy a study measured, in the form the compute-optimal strategy runs:
//! bin edges on the verifier's mean final score (the predicted bins' own ranges) and, per bin,
//! the configuration that won that bin at each budget.

use super::report::{Allowed, BinKind, RecipeId, StudyReport};
use crate::search::compute_optimal::{Pick, Policy};
use crate::search::Recipe;

/// The policy of the report's compute-optimal curve over predicted bins and every
/// configuration, or `None` where the report has no such curve (or no score ranges).
pub fn measured_policy(report: &StudyReport) -> Option<Policy> {
    let curve = report.compute_optimal.curves.iter().find(|c| c.bins == BinKind::Predicted && c.family == Allowed::All)?;
    let ranges = &report.difficulty.predicted_score_range;
    if ranges.len() != 5 || curve.choices.len() != 5 {
        return None;
    }
    // Between one bin's lowest score and the next harder bin's highest.
    let mut score_edges = [0f32; 4];
    for (k, edge) in score_edges.iter_mut().enumerate() {
        *edge = ((ranges[k][0] + ranges[k + 1][1]) / 2.0).clamp(0.0, 1.0) as f32;
    }
    for k in 1..4 {
        score_edges[k] = score_edges[k].min(score_edges[k - 1]);
    }
    let swept = |id: &RecipeId| report.sweeps.configs.iter().any(|c| c.config == id.0);
    let choices = std::array::from_fn(|bin| {
        let mut picks: Vec<Pick> = Vec::new();
        for (budget, &id) in report.sweeps.budgets.iter().zip(&curve.choices[bin]) {
            let Some(RecipeId(config)) = id.filter(|i| swept(i)) else { continue };
            if picks.last().is_none_or(|p| p.config != config) {
                picks.push(Pick { from_budget: if picks.is_empty() { 1 } else { *budget }, config });
            }
        }
        if picks.is_empty() {
            picks.push(Pick { from_budget: 1, config: Recipe::BestOfN { selection: crate::search::Selection::Weighted } });
        }
        picks
    });
    let generator = report.run.get("model_sha256").and_then(|m| m.get("generator.safetensors")).and_then(|s| s.as_str()).map(|s| format!(", generator {}", &s[..s.len().min(8)]));
    let budgets = &report.sweeps.budgets;
    let source = format!(
        "measured by `ponder experiment` on Ponder's models: each predicted bin's best configuration at budgets {}–{} over {} searched problems{}",
        budgets.first().copied().unwrap_or(1),
        budgets.last().copied().unwrap_or(1),
        report.sweeps.search_problems.len(),
        generator.unwrap_or_default(),
    );
    let policy = Policy { source, score_edges, choices };
    policy.validate().ok().map(|_| policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Selection;
    use crate::study::report::{ComputeOptimalCurve, ConfigInfo};
    use crate::search::{Recipe, Width};

    #[test]
    fn a_report_gives_edges_between_bins_and_choices_by_budget() {
        let mut report = StudyReport::default();
        report.difficulty.predicted_score_range = vec![[0.9, 1.0], [0.7, 0.85], [0.5, 0.65], [0.2, 0.45], [0.0, 0.1]];
        let beam = Recipe::Beam { width: Width::Fixed(4) };
        let majority = Recipe::BestOfN { selection: Selection::Majority };
        report.sweeps.budgets = vec![1, 2, 4, 8];
        report.sweeps.configs = [beam, majority].iter().map(|c| ConfigInfo { id: c.id(), label: c.label(), family: c.family(), config: *c }).collect();
        let ids = |v: [Option<&str>; 4]| v.iter().map(|s| s.map(|id| RecipeId::try_from(id.to_string()).unwrap())).collect::<Vec<_>>();
        let mut choices = vec![ids([Some("beam_m4"), Some("beam_m4"), Some("best_of_n_majority"), Some("best_of_n_majority")])];
        choices.push(ids([None, Some("best_of_n_majority"), None, Some("beam_m4")]));
        choices.extend((0..3).map(|_| ids([None; 4])));
        report.compute_optimal.curves.push(ComputeOptimalCurve { bins: BinKind::Predicted, family: Allowed::All, choices, ..Default::default() });
        let p = measured_policy(&report).expect("a policy");
        assert_eq!(p.score_edges, [0.875, 0.675, 0.475, 0.15]);
        assert_eq!(p.choices[0], vec![Pick { from_budget: 1, config: beam }, Pick { from_budget: 4, config: majority }]);
        assert_eq!(p.choices[1], vec![Pick { from_budget: 1, config: majority }, Pick { from_budget: 8, config: beam }]);
        assert_eq!(p.choices[4], vec![Pick { from_budget: 1, config: Recipe::BestOfN { selection: Selection::Weighted } }]);
        assert!(p.source.contains("budgets 1–8"), "{}", p.source);
    }
}
