//! The configurations a sweep compares, each turned into a strategy for a budget.

use crate::search::beam::BeamSearch;
use crate::search::dvts::Dvts;
use crate::search::lookahead::LookaheadSearch;
use crate::search::revisions::{RevisionSelection, Revisions};
use crate::search::{SearchError, Selection};
use crate::solve::Strategy;
use serde::{Deserialize, Serialize};

/// A beam width: fixed, or √N (rounded down to a power of two, so it divides N).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Width {
    Fixed(usize),
    Sqrt,
}

impl Width {
    fn at(self, n: usize) -> usize {
        match self {
            Width::Fixed(m) => m.min(n).max(1),
            Width::Sqrt => 1 << ((usize::BITS - 1 - n.max(1).leading_zeros()) / 2),
        }
    }
    fn tag(self) -> String {
        match self {
            Width::Fixed(m) => format!("m{m}"),
            Width::Sqrt => "msqrt".into(),
        }
    }
    fn text(self) -> String {
        match self {
            Width::Fixed(m) => format!("M={m}"),
            Width::Sqrt => "M=√N".into(),
        }
    }
}

/// One swept configuration (a method with its knobs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SweepConfig {
    /// Best-of-N over the generator's pool of samples (no new decoding).
    BestOfN { selection: Selection },
    Beam { width: Width },
    /// Lookahead search with beam width 4, costing N·(k+1).
    Lookahead { k: usize },
    Dvts { width: Width },
    /// Sequential revisions, chains of `length` attempts each (0: one chain, all sequential);
    /// chains = budget / length run in parallel.
    Revisions { length: usize },
}

impl SweepConfig {
    /// What the study compares: best-of-N (majority, weighted), beam search (M = 4, √N),
    /// lookahead (k = 1, 3), DVTS, and revisions from all-parallel to all-sequential.
    pub fn all() -> Vec<SweepConfig> {
        vec![
            SweepConfig::BestOfN { selection: Selection::Majority },
            SweepConfig::BestOfN { selection: Selection::Weighted },
            SweepConfig::Beam { width: Width::Fixed(4) },
            SweepConfig::Beam { width: Width::Sqrt },
            SweepConfig::Lookahead { k: 1 },
            SweepConfig::Lookahead { k: 3 },
            SweepConfig::Dvts { width: Width::Fixed(4) },
            SweepConfig::Revisions { length: 1 },
            SweepConfig::Revisions { length: 4 },
            SweepConfig::Revisions { length: 16 },
            SweepConfig::Revisions { length: 0 },
        ]
    }

    pub fn validate(&self) -> Result<(), SearchError> {
        let bad = |m: String| Err(SearchError::Config(m));
        match *self {
            SweepConfig::BestOfN { selection: Selection::Max } => bad("best-of-N in a sweep selects by majority or weighted".into()),
            SweepConfig::Beam { width: Width::Fixed(0) } | SweepConfig::Dvts { width: Width::Fixed(0) } => bad("a beam width must be at least 1".into()),
            SweepConfig::Lookahead { k } if !(1..=crate::solve::MAX_LOOKAHEAD).contains(&k) => {
                bad(format!("lookahead k must be 1 to {}, got {k}", crate::solve::MAX_LOOKAHEAD))
            }
            SweepConfig::Revisions { length } if length > crate::search::MAX_BUDGET => bad(format!("a revision chain length must be at most {}", crate::search::MAX_BUDGET)),
            _ => Ok(()),
        }
    }

    /// Whether its numbers come from the sample pools rather than from search runs.
    pub fn from_pool(&self) -> bool {
        matches!(self, SweepConfig::BestOfN { .. })
    }

    /// A short stable name, e.g. `beam_m4`, `revisions_seq`.
    pub fn id(&self) -> String {
        match *self {
            SweepConfig::BestOfN { selection: Selection::Majority } => "best_of_n_majority".into(),
            SweepConfig::BestOfN { .. } => "best_of_n_weighted".into(),
            SweepConfig::Beam { width } => format!("beam_{}", width.tag()),
            SweepConfig::Lookahead { k } => format!("lookahead_k{k}"),
            SweepConfig::Dvts { width } => format!("dvts_{}", width.tag()),
            SweepConfig::Revisions { length: 0 } => "revisions_seq".into(),
            SweepConfig::Revisions { length } => format!("revisions_l{length}"),
        }
    }

    /// How people read it, e.g. "beam search M=4".
    pub fn label(&self) -> String {
        match *self {
            SweepConfig::BestOfN { selection: Selection::Majority } => "majority vote".into(),
            SweepConfig::BestOfN { .. } => "best-of-N weighted".into(),
            SweepConfig::Beam { width } => format!("beam search {}", width.text()),
            SweepConfig::Lookahead { k } => format!("lookahead k={k}"),
            SweepConfig::Dvts { width } => format!("DVTS {}", width.text()),
            SweepConfig::Revisions { length: 0 } => "revisions, all sequential".into(),
            SweepConfig::Revisions { length: 1 } => "revisions, all parallel".into(),
            SweepConfig::Revisions { length } => format!("revisions, chains of {length}"),
        }
    }

    /// The family it belongs to: "parallel" (best-of-N), "search" or "revisions".
    pub fn family(&self) -> &'static str {
        match self {
            SweepConfig::BestOfN { .. } => "parallel",
            SweepConfig::Revisions { .. } => "revisions",
            _ => "search",
        }
    }

    /// The strategy this configuration runs at `budget` generations, or `None` where it has
    /// no distinct run there (lookahead below k+1; a chain length not below the budget, which
    /// the all-sequential configuration already covers).
    pub fn strategy(&self, budget: usize) -> Option<Strategy> {
        let rounds = 40;
        match *self {
            SweepConfig::BestOfN { .. } => Some(Strategy::BestOfN(crate::search::best_of_n::BestOfN { n: budget })),
            SweepConfig::Beam { width } => Some(Strategy::Beam(BeamSearch { n: budget, width: width.at(budget), max_rounds: rounds })),
            SweepConfig::Lookahead { k } => {
                let n = budget / (k + 1);
                (n >= 1).then(|| Strategy::Lookahead(LookaheadSearch { beam: BeamSearch { n, width: 4.min(n), max_rounds: rounds }, k }))
            }
            SweepConfig::Dvts { width } => Some(Strategy::Dvts(Dvts { n: budget, width: width.at(budget), max_rounds: rounds })),
            SweepConfig::Revisions { length: 0 } => Some(Strategy::Revisions(Revisions { chains: 1, length: budget, selection: RevisionSelection::Hierarchical })),
            SweepConfig::Revisions { length } => (length < budget && budget.is_multiple_of(length))
                .then(|| Strategy::Revisions(Revisions { chains: budget / length, length, selection: RevisionSelection::Hierarchical })),
        }
    }

    /// The selection rule of a pool configuration.
    pub fn pool_selection(&self) -> Option<Selection> {
        match self {
            SweepConfig::BestOfN { selection } => Some(*selection),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt_width_is_a_power_of_two_near_the_root() {
        let w: Vec<usize> = [1, 2, 4, 8, 16, 32, 64, 128, 256].iter().map(|&n| Width::Sqrt.at(n)).collect();
        assert_eq!(w, [1, 1, 2, 2, 4, 4, 8, 8, 16]);
    }

    #[test]
    fn revision_splits_do_not_repeat_runs() {
        let seq = SweepConfig::Revisions { length: 0 };
        let l4 = SweepConfig::Revisions { length: 4 };
        let l1 = SweepConfig::Revisions { length: 1 };
        assert!(l4.strategy(4).is_none() && seq.strategy(4).is_some());
        assert!(l1.strategy(1).is_none() && seq.strategy(1).is_some());
        match l4.strategy(16) {
            Some(Strategy::Revisions(r)) => assert_eq!((r.chains, r.length), (4, 4)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lookahead_costs_its_budget() {
        let s = SweepConfig::Lookahead { k: 3 }.strategy(16).unwrap();
        assert_eq!(s.cost(), 16);
        assert!(SweepConfig::Lookahead { k: 3 }.strategy(2).is_none());
    }

    #[test]
    fn ids_are_unique() {
        let ids: std::collections::HashSet<String> = SweepConfig::all().iter().map(|c| c.id()).collect();
        assert_eq!(ids.len(), SweepConfig::all().len());
    }
}
