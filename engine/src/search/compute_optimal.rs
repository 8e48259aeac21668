//! The compute-optimal policy: predict how hard a problem is from the verifier alone, then
//! spend the budget on the configuration the policy names for that difficulty bin and budget
//! (the study's "compute-optimal scaling"). A probe of `budget / 4` best-of-N samples predicts
//! difficulty by the verifier's mean final-step score (no ground truth); the rest of the
//! budget goes to the chosen configuration. The probe is charged to the run (where the pick
//! is best-of-N, its samples count among the N).
//!
//! The default policy is the one `ponder experiment` measured on Ponder's own models
//! (`results/study/policy.json`, built in); [`Policy::study_findings`] is the study's.

use super::best_of_n::BestOfN;
use super::revisions::{RevisionSelection, Revisions};
use super::{Recipe, SearchError, Selection, Strategy, Width, bounds, check};
use serde::{Deserialize, Serialize};

/// The policy `ponder experiment` wrote with the committed study.
const MEASURED_POLICY: &str = include_str!("../../../results/study/policy.json");

/// From `from_budget` generations on (until the next entry's), the configuration to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub from_budget: usize,
    pub config: Recipe,
}

/// A policy: bin edges on the predicted score and, per bin, the configuration by budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Where it came from, shown to people ("the study's findings", an experiment…).
    pub source: String,
    /// Lower edges of bins 1–4 on the verifier's mean final score: a score ≥ edges[0] is bin 1.
    pub score_edges: [f32; 4],
    /// choices[bin - 1]: entries in rising `from_budget`, the first from budget 1.
    pub choices: [Vec<Pick>; 5],
}

impl Default for Policy {
    /// The measured policy (the study's findings if the built-in file does not parse, which
    /// a test rules out).
    fn default() -> Self {
        Policy::measured().unwrap_or_else(|_| Policy::study_findings())
    }
}

impl Policy {
    /// The policy measured by `ponder experiment` on the shipped models.
    pub fn measured() -> Result<Policy, SearchError> {
        let policy: Policy = serde_json::from_str(MEASURED_POLICY).map_err(|e| SearchError::Config(format!("results/study/policy.json: {e}")))?;
        policy.validate()?;
        Ok(policy)
    }

    /// The study's qualitative findings: easy problems do best with sequential revisions,
    /// medium ones with a mix of sequential and parallel, hard ones with PRM beam search.
    pub fn study_findings() -> Policy {
        let from_one = |config| vec![Pick { from_budget: 1, config }];
        Policy {
            source: "the study's findings (Snell et al.), not measured on Ponder's models".into(),
            score_edges: [0.8, 0.6, 0.4, 0.2],
            choices: [
                from_one(Recipe::Revisions { length: 0 }),
                from_one(Recipe::Revisions { length: 16 }),
                from_one(Recipe::Revisions { length: 4 }),
                from_one(Recipe::Beam { width: Width::Fixed(4) }),
                from_one(Recipe::Beam { width: Width::Fixed(4) }),
            ],
        }
    }

    pub fn validate(&self) -> Result<(), SearchError> {
        let e = self.score_edges;
        check(e.iter().all(|x| (0.0..=1.0).contains(x)) && e.windows(2).all(|w| w[0] >= w[1]), || {
            format!("policy score edges must fall from 1 to 0, got {e:?}")
        })?;
        for (bin, picks) in self.choices.iter().enumerate() {
            check(picks.first().is_some_and(|p| p.from_budget == 1), || format!("the policy's bin {} must have a choice from budget 1", bin + 1))?;
            check(picks.windows(2).all(|w| w[0].from_budget < w[1].from_budget), || {
                format!("the policy's bin {} lists its budgets out of order", bin + 1)
            })?;
            for p in picks {
                p.config.validate()?;
            }
        }
        Ok(())
    }
}

/// The compute-optimal strategy with its budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComputeOptimal {
    pub budget: usize,
    #[serde(default)]
    pub policy: Policy,
}

impl ComputeOptimal {
    pub fn validate(&self) -> Result<(), SearchError> {
        bounds::budget(self.budget)?;
        self.policy.validate()
    }

    pub fn cost(&self) -> u64 {
        self.budget as u64
    }

    /// Samples spent predicting difficulty (none below a budget of 4: too few to spare).
    pub fn probe(&self) -> usize {
        if self.budget >= 4 { self.budget / 4 } else { 0 }
    }

    /// The predicted bin (1–5) of a mean final score; without a probe, the middle bin.
    pub fn bin_of(&self, mean_score: Option<f32>) -> usize {
        match mean_score {
            None => 3,
            Some(s) => 1 + self.policy.score_edges.iter().take_while(|&&edge| s < edge).count(),
        }
    }

    /// The configuration for `bin` at the run's whole budget (the study measured whole
    /// budgets, so the entry is looked up by it).
    pub fn config_for(&self, bin: usize) -> Recipe {
        let picks = &self.policy.choices[bin.clamp(1, 5) - 1];
        picks.iter().rev().find(|p| p.from_budget <= self.budget).or(picks.first()).map(|p| p.config).unwrap_or(Recipe::BestOfN { selection: Selection::Weighted })
    }

    /// `config` as a strategy for the `left` generations after the probe, and the vote that
    /// picks the answer where the configuration names one (best-of-N). Revisions whose chain
    /// length does not fit take as many whole chains as fit; lookahead that cannot pay for one
    /// rollout becomes best-of-N.
    pub fn strategy_for(config: Recipe, left: usize) -> (Strategy, Option<Selection>) {
        let left = left.max(1);
        let strategy = match config {
            Recipe::Revisions { length } => {
                let chains = left.checked_div(length).unwrap_or(1).max(1);
                Some(Strategy::Revisions(Revisions { chains, length: left / chains, selection: RevisionSelection::Hierarchical }))
            }
            other => other.strategy(left),
        };
        (strategy.unwrap_or(Strategy::BestOfN(BestOfN { n: left })), config.pool_selection())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(budget: usize) -> ComputeOptimal {
        ComputeOptimal { budget, policy: Policy::study_findings() }
    }

    #[test]
    fn bins_follow_the_edges() {
        let c = findings(16);
        assert_eq!(c.bin_of(Some(0.95)), 1);
        assert_eq!(c.bin_of(Some(0.8)), 1);
        assert_eq!(c.bin_of(Some(0.7)), 2);
        assert_eq!(c.bin_of(Some(0.1)), 5);
        assert_eq!(c.bin_of(None), 3);
    }

    #[test]
    fn picks_spend_the_budget_left() {
        let c = findings(16);
        assert_eq!(c.probe(), 4);
        match ComputeOptimal::strategy_for(c.config_for(1), 12).0 {
            Strategy::Revisions(r) => assert_eq!((r.chains, r.length), (1, 12)),
            other => panic!("{other:?}"),
        }
        match ComputeOptimal::strategy_for(c.config_for(3), 12).0 {
            Strategy::Revisions(r) => assert_eq!((r.chains, r.length), (3, 4)),
            other => panic!("{other:?}"),
        }
        // Chains of 16 do not fit 12: one chain of 12.
        match ComputeOptimal::strategy_for(c.config_for(2), 12).0 {
            Strategy::Revisions(r) => assert_eq!((r.chains, r.length), (1, 12)),
            other => panic!("{other:?}"),
        }
        match ComputeOptimal::strategy_for(Recipe::Lookahead { k: 3 }, 3) {
            (Strategy::BestOfN(b), None) => assert_eq!(b.n, 3),
            other => panic!("{other:?}"),
        }
        match ComputeOptimal::strategy_for(Recipe::BestOfN { selection: Selection::Majority }, 5) {
            (Strategy::BestOfN(b), Some(Selection::Majority)) => assert_eq!(b.n, 5),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn choices_change_with_the_budget() {
        let mut c = findings(8);
        c.policy.choices[0] = vec![
            Pick { from_budget: 1, config: Recipe::Beam { width: Width::Fixed(4) } },
            Pick { from_budget: 16, config: Recipe::BestOfN { selection: Selection::Majority } },
        ];
        assert_eq!(c.config_for(1), Recipe::Beam { width: Width::Fixed(4) });
        c.budget = 16;
        assert_eq!(c.config_for(1), Recipe::BestOfN { selection: Selection::Majority });
        c.budget = 1024;
        assert_eq!(c.config_for(1), Recipe::BestOfN { selection: Selection::Majority });
    }

    #[test]
    fn the_built_in_policy_is_the_measured_one() {
        let p = Policy::measured().expect("results/study/policy.json parses and is valid");
        assert!(p.source.contains("ponder experiment"), "{}", p.source);
        assert_eq!(Policy::default(), p);
    }

    #[test]
    fn bad_policies_are_refused() {
        let refused = |c: &ComputeOptimal| c.validate().expect_err("refused").to_string();
        let mut c = findings(16);
        c.policy.score_edges = [0.2, 0.4, 0.6, 0.8];
        assert!(refused(&c).contains("score edges must fall from 1 to 0"), "{}", refused(&c));
        c = findings(0);
        assert!(refused(&c).contains("the budget must be 1 to 1024 generations, got 0"), "{}", refused(&c));
        c = findings(16);
        c.policy.choices[2][0].from_budget = 2;
        assert!(refused(&c).contains("bin 3 must have a choice from budget 1"), "{}", refused(&c));
        c = findings(16);
        c.policy.choices[4].push(Pick { from_budget: 1, config: Recipe::BestOfN { selection: Selection::Weighted } });
        assert!(refused(&c).contains("bin 5 lists its budgets out of order"), "{}", refused(&c));
        c = findings(16);
        c.policy.choices[0][0].config = Recipe::Beam { width: Width::Fixed(0) };
        assert!(refused(&c).contains("the beam width M must be at least 1"), "{}", refused(&c));
    }
}
