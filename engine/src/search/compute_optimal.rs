//! The compute-optimal policy: predict how hard a problem is from the verifier alone, then
//! spend the budget on the strategy the policy names for that difficulty bin (the study's
//! "compute-optimal scaling"). A probe of `budget / 4` best-of-N samples predicts difficulty
//! by the PRM's mean final-step score (no ground truth); the rest of the budget goes to the
//! chosen strategy. The probe is charged to the run.

use super::beam::BeamSearch;
use super::best_of_n::BestOfN;
use super::revisions::{RevisionSelection, Revisions};
use super::{SearchError, check};
use serde::{Deserialize, Serialize};

/// What the policy may choose for a bin, sized by the budget left after the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Choice {
    BestOfN,
    /// PRM beam search with beam width M.
    Beam { width: usize },
    /// Sequential revisions: `chains_per_16` parallel chains for every 16 generations (at
    /// least one chain; 0 means a single chain, all sequential).
    Revisions { chains_per_16: usize },
}

/// A policy: bin edges on the predicted score and one choice per bin (bin 1 easiest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Where it came from, shown to people ("the study's findings", an experiment file…).
    pub source: String,
    /// Lower edges of bins 1–4 on the PRM's mean final score: a score ≥ edges[0] is bin 1.
    pub score_edges: [f32; 4],
    pub choices: [Choice; 5],
}

impl Default for Policy {
    /// The study's qualitative findings: easy problems do best with sequential revisions,
    /// medium ones with a mix of sequential and parallel, hard ones with PRM beam search.
    fn default() -> Self {
        Policy {
            source: "the study's findings (not yet measured on Ponder's models)".into(),
            score_edges: [0.8, 0.6, 0.4, 0.2],
            choices: [
                Choice::Revisions { chains_per_16: 0 },
                Choice::Revisions { chains_per_16: 1 },
                Choice::Revisions { chains_per_16: 4 },
                Choice::Beam { width: 4 },
                Choice::Beam { width: 4 },
            ],
        }
    }
}

/// The compute-optimal strategy with its budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComputeOptimal {
    pub budget: usize,
    #[serde(default)]
    pub policy: Policy,
}

/// The strategy the policy picked, and for which bin.
#[derive(Clone, Debug, PartialEq)]
pub enum Picked {
    BestOfN(BestOfN),
    Beam(BeamSearch),
    Revisions(Revisions),
}

impl ComputeOptimal {
    pub fn validate(&self) -> Result<(), SearchError> {
        check((1..=super::MAX_BUDGET).contains(&self.budget), || {
            format!("compute-optimal needs a budget of 1 to {} generations, got {}", super::MAX_BUDGET, self.budget)
        })?;
        let e = self.policy.score_edges;
        check(e.iter().all(|x| (0.0..=1.0).contains(x)) && e.windows(2).all(|w| w[0] >= w[1]), || {
            format!("policy score edges must fall from 1 to 0, got {e:?}")
        })?;
        for c in &self.policy.choices {
            if let Choice::Beam { width } = c {
                check(*width >= 1, || "a beam width in the policy must be at least 1".into())?;
            }
        }
        Ok(())
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

    /// The strategy for `bin` with `budget` generations left.
    pub fn pick(&self, bin: usize, budget: usize) -> Picked {
        match self.policy.choices[bin.clamp(1, 5) - 1] {
            Choice::BestOfN => Picked::BestOfN(BestOfN { n: budget }),
            Choice::Beam { width } if budget >= 2 => Picked::Beam(BeamSearch { n: budget, width: width.min(budget), max_rounds: 40 }),
            Choice::Beam { .. } => Picked::BestOfN(BestOfN { n: budget }),
            Choice::Revisions { chains_per_16 } => {
                let chains = (budget * chains_per_16 / 16).clamp(1, budget);
                Picked::Revisions(Revisions { chains, length: budget / chains, selection: RevisionSelection::Hierarchical })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ComputeOptimal {
        ComputeOptimal { budget: 16, policy: Policy::default() }
    }

    #[test]
    fn bins_follow_the_edges() {
        let c = policy();
        assert_eq!(c.bin_of(Some(0.95)), 1);
        assert_eq!(c.bin_of(Some(0.8)), 1);
        assert_eq!(c.bin_of(Some(0.7)), 2);
        assert_eq!(c.bin_of(Some(0.1)), 5);
        assert_eq!(c.bin_of(None), 3);
    }

    #[test]
    fn picks_spend_the_budget_left() {
        let c = policy();
        assert_eq!(c.probe(), 4);
        match c.pick(1, 12) {
            Picked::Revisions(r) => assert_eq!((r.chains, r.length), (1, 12)),
            other => panic!("{other:?}"),
        }
        match c.pick(3, 12) {
            Picked::Revisions(r) => assert_eq!((r.chains, r.length), (3, 4)),
            other => panic!("{other:?}"),
        }
        match c.pick(5, 1) {
            Picked::BestOfN(b) => assert_eq!(b.n, 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_policies_are_refused() {
        let mut c = policy();
        c.policy.score_edges = [0.2, 0.4, 0.6, 0.8];
        assert!(c.validate().is_err());
        c = policy();
        c.budget = 0;
        assert!(c.validate().is_err());
    }
}
