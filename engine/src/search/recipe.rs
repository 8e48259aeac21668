//! A strategy's recipe without a budget (a method with its knobs): what a sweep compares and
//! what a compute-optimal policy picks, turned into a [`Strategy`] for a budget.

use super::beam::BeamSearch;
use super::best_of_n::BestOfN;
use super::dvts::Dvts;
use super::lookahead::LookaheadSearch;
use super::revisions::{RevisionSelection, Revisions};
use super::{SearchError, Selection, Strategy, bounds};
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

/// The family a configuration belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Best-of-N over the pools.
    Parallel,
    /// Tree searches guided by the verifier.
    Search,
    Revisions,
}

crate::names::named!(Family, "family" {
    Parallel => "parallel": "best-of-N",
    Search => "search": "beam search, lookahead and DVTS",
    Revisions => "revisions": "sequential revisions, every split",
});

/// A method with its knobs, without a budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Recipe {
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

impl Recipe {
    /// What the study compares: best-of-N (majority, weighted), beam search (M = 4, √N),
    /// lookahead (k = 1, 3), DVTS, and revisions from all-parallel to all-sequential.
    pub fn all() -> Vec<Recipe> {
        vec![
            Recipe::BestOfN { selection: Selection::Majority },
            Recipe::BestOfN { selection: Selection::Weighted },
            Recipe::Beam { width: Width::Fixed(4) },
            Recipe::Beam { width: Width::Sqrt },
            Recipe::Lookahead { k: 1 },
            Recipe::Lookahead { k: 3 },
            Recipe::Dvts { width: Width::Fixed(4) },
            Recipe::Revisions { length: 1 },
            Recipe::Revisions { length: 4 },
            Recipe::Revisions { length: 16 },
            Recipe::Revisions { length: 0 },
        ]
    }

    pub fn validate(&self) -> Result<(), SearchError> {
        match *self {
            Recipe::BestOfN { selection: Selection::Max } => Err(SearchError::Config("best-of-N in a sweep selects by majority or weighted".into())),
            Recipe::Beam { width: Width::Fixed(m) } | Recipe::Dvts { width: Width::Fixed(m) } => bounds::width(m),
            Recipe::Lookahead { k } => bounds::lookahead(k),
            // 0 is the all-sequential split (one chain of the whole budget).
            Recipe::Revisions { length } => bounds::revisions(1, length.max(1)),
            _ => Ok(()),
        }
    }

    /// Whether its numbers come from the sample pools rather than from search runs.
    pub fn from_pool(&self) -> bool {
        matches!(self, Recipe::BestOfN { .. })
    }

    /// A short stable name, e.g. `beam_m4`, `revisions_seq`.
    pub fn id(&self) -> String {
        match *self {
            Recipe::BestOfN { selection: Selection::Majority } => "best_of_n_majority".into(),
            Recipe::BestOfN { .. } => "best_of_n_weighted".into(),
            Recipe::Beam { width } => format!("beam_{}", width.tag()),
            Recipe::Lookahead { k } => format!("lookahead_k{k}"),
            Recipe::Dvts { width } => format!("dvts_{}", width.tag()),
            Recipe::Revisions { length: 0 } => "revisions_seq".into(),
            Recipe::Revisions { length } => format!("revisions_l{length}"),
        }
    }

    /// The configuration an [`Recipe::id`] names.
    pub fn from_id(id: &str) -> Option<Recipe> {
        let width = |tag: &str| match tag {
            "msqrt" => Some(Width::Sqrt),
            m => m.strip_prefix('m')?.parse().ok().map(Width::Fixed),
        };
        let recipe = match id {
            "best_of_n_majority" => Recipe::BestOfN { selection: Selection::Majority },
            "best_of_n_weighted" => Recipe::BestOfN { selection: Selection::Weighted },
            "revisions_seq" => Recipe::Revisions { length: 0 },
            _ => {
                if let Some(tag) = id.strip_prefix("beam_") {
                    Recipe::Beam { width: width(tag)? }
                } else if let Some(tag) = id.strip_prefix("dvts_") {
                    Recipe::Dvts { width: width(tag)? }
                } else if let Some(k) = id.strip_prefix("lookahead_k") {
                    Recipe::Lookahead { k: k.parse().ok()? }
                } else {
                    Recipe::Revisions { length: id.strip_prefix("revisions_l")?.parse().ok()? }
                }
            }
        };
        // Only the id's own spelling names it ("beam_m04" does not).
        (recipe.id() == id).then_some(recipe)
    }

    /// How people read it, e.g. "beam search M=4".
    pub fn label(&self) -> String {
        match *self {
            Recipe::BestOfN { selection: Selection::Majority } => "majority vote".into(),
            Recipe::BestOfN { .. } => "best-of-N weighted".into(),
            Recipe::Beam { width } => format!("beam search {}", width.text()),
            Recipe::Lookahead { k } => format!("lookahead k={k}"),
            Recipe::Dvts { width } => format!("DVTS {}", width.text()),
            Recipe::Revisions { length: 0 } => "revisions, all sequential".into(),
            Recipe::Revisions { length: 1 } => "revisions, all parallel".into(),
            Recipe::Revisions { length } => format!("revisions, chains of {length}"),
        }
    }

    pub fn family(&self) -> Family {
        match self {
            Recipe::BestOfN { .. } => Family::Parallel,
            Recipe::Revisions { .. } => Family::Revisions,
            _ => Family::Search,
        }
    }

    /// The strategy this configuration runs at `budget` generations, or `None` where it has
    /// no distinct run there (lookahead below k+1; a chain length not below the budget, which
    /// the all-sequential configuration already covers).
    pub fn strategy(&self, budget: usize) -> Option<Strategy> {
        let rounds = bounds::DEFAULT_ROUNDS;
        match *self {
            Recipe::BestOfN { .. } => Some(Strategy::BestOfN(BestOfN { n: budget })),
            Recipe::Beam { width } => Some(Strategy::Beam(BeamSearch { n: budget, width: width.at(budget), max_rounds: rounds })),
            Recipe::Lookahead { k } => {
                let n = budget / (k + 1);
                (n >= 1).then(|| Strategy::Lookahead(LookaheadSearch { beam: BeamSearch { n, width: bounds::DEFAULT_WIDTH.min(n), max_rounds: rounds }, k }))
            }
            Recipe::Dvts { width } => Some(Strategy::Dvts(Dvts { n: budget, width: width.at(budget), max_rounds: rounds })),
            Recipe::Revisions { length: 0 } => Some(Strategy::Revisions(Revisions { chains: 1, length: budget, selection: RevisionSelection::Hierarchical })),
            Recipe::Revisions { length } => (length < budget && budget.is_multiple_of(length))
                .then(|| Strategy::Revisions(Revisions { chains: budget / length, length, selection: RevisionSelection::Hierarchical })),
        }
    }

    /// The selection rule of a pool configuration.
    pub fn pool_selection(&self) -> Option<Selection> {
        match self {
            Recipe::BestOfN { selection } => Some(*selection),
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
        let seq = Recipe::Revisions { length: 0 };
        let l4 = Recipe::Revisions { length: 4 };
        let l1 = Recipe::Revisions { length: 1 };
        assert!(l4.strategy(4).is_none() && seq.strategy(4).is_some());
        assert!(l1.strategy(1).is_none() && seq.strategy(1).is_some());
        match l4.strategy(16) {
            Some(Strategy::Revisions(r)) => assert_eq!((r.chains, r.length), (4, 4)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lookahead_costs_its_budget() {
        let s = Recipe::Lookahead { k: 3 }.strategy(16).unwrap();
        assert_eq!(s.cost(), 16);
        assert!(Recipe::Lookahead { k: 3 }.strategy(2).is_none());
    }

    #[test]
    fn ids_are_unique() {
        let ids: std::collections::HashSet<String> = Recipe::all().iter().map(|c| c.id()).collect();
        assert_eq!(ids.len(), Recipe::all().len());
    }

    #[test]
    fn ids_name_their_configuration() {
        for c in Recipe::all() {
            assert_eq!(Recipe::from_id(&c.id()), Some(c));
        }
        for bad in ["beam_m04", "beam_", "lookahead_kx", "revisions_l", "best_of_n_max", ""] {
            assert_eq!(Recipe::from_id(bad), None, "{bad}");
        }
    }
}
