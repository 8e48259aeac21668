//! What to run: a strategy with its knobs, the strategies by name, every strategy's knobs in
//! one place ([`Knobs`]), and the verifier that scores steps.

use super::beam::BeamSearch;
use super::best_of_n::BestOfN;
use super::compute_optimal::ComputeOptimal;
use super::dvts::Dvts;
use super::lookahead::LookaheadSearch;
use super::revisions::{RevisionSelection, Revisions};
use super::{SearchError, bounds, check};
use serde::{Deserialize, Serialize};

/// A strategy with its knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub enum Strategy {
    BestOfN(BestOfN),
    Beam(BeamSearch),
    Lookahead(LookaheadSearch),
    Dvts(Dvts),
    Revisions(Revisions),
    /// Picks one of the above per predicted difficulty (it needs both the generator and the
    /// revision model, so [`crate::solve`] runs it).
    ComputeOptimal(ComputeOptimal),
}

impl Strategy {
    pub fn kind(&self) -> StrategyName {
        match self {
            Strategy::BestOfN(_) => StrategyName::BestOfN,
            Strategy::Beam(_) => StrategyName::Beam,
            Strategy::Lookahead(_) => StrategyName::Lookahead,
            Strategy::Dvts(_) => StrategyName::Dvts,
            Strategy::Revisions(_) => StrategyName::Revisions,
            Strategy::ComputeOptimal(_) => StrategyName::ComputeOptimal,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Rows the generator decodes side by side: what decides which backend runs it fastest.
    pub fn rows(&self) -> usize {
        match self {
            Strategy::BestOfN(s) => s.n,
            Strategy::Beam(s) => s.n,
            Strategy::Lookahead(s) => s.beam.n,
            Strategy::Dvts(s) => s.n,
            Strategy::Revisions(s) => s.chains,
            Strategy::ComputeOptimal(s) => s.budget,
        }
    }

    /// Generations charged, in the study's accounting.
    pub fn cost(&self) -> u64 {
        match self {
            Strategy::BestOfN(s) => s.cost(),
            Strategy::Beam(s) => s.cost(),
            Strategy::Lookahead(s) => s.cost(),
            Strategy::Dvts(s) => s.cost(),
            Strategy::Revisions(s) => s.cost(),
            Strategy::ComputeOptimal(s) => s.cost(),
        }
    }

    pub fn validate(&self) -> Result<(), SearchError> {
        match self {
            Strategy::BestOfN(s) => s.validate(),
            Strategy::Beam(s) => s.validate(),
            Strategy::Lookahead(s) => s.validate(),
            Strategy::Dvts(s) => s.validate(),
            Strategy::Revisions(s) => s.validate(),
            Strategy::ComputeOptimal(s) => s.validate(),
        }
    }

    /// The strategy in a few words, e.g. "beam search N=12 M=4".
    pub fn describe(&self) -> String {
        match self {
            Strategy::BestOfN(b) => format!("best-of-N N={}", b.n),
            Strategy::Beam(b) => format!("beam search N={} M={}", b.n, b.width),
            Strategy::Lookahead(l) => format!("lookahead N={} M={} k={}", l.beam.n, l.beam.width, l.k),
            Strategy::Dvts(d) => format!("DVTS N={} M={}", d.n, d.width),
            Strategy::Revisions(r) => format!("revisions {} chain{} × {}", r.chains, if r.chains == 1 { "" } else { "s" }, r.length),
            Strategy::ComputeOptimal(c) => format!("compute-optimal budget {}", c.budget),
        }
    }
}

/// The strategies by name, as people pick them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    BestOfN,
    Beam,
    Lookahead,
    Dvts,
    Revisions,
    ComputeOptimal,
}

crate::names::named!(StrategyName, "strategy" {
    BestOfN => "best_of_n": "N independent samples, then a vote",
    Beam => "beam": "PRM beam search: keep the N/M best partial solutions by the verifier, expand each M ways",
    Lookahead => "lookahead": "beam search scoring each step after k greedy rollout steps (costs N·(k+1))",
    Dvts => "dvts": "diverse verifier tree search: N/M independent subtrees, each expanded greedily",
    Revisions => "revisions": "the revision model rewrites its own answers, in chains",
    ComputeOptimal => "compute_optimal": "predicts the difficulty with a probe of budget/4 samples, then picks a strategy for it",
});

/// Every strategy's knobs in one place; [`Knobs::strategy`] validates them for one strategy
/// with errors that say what is allowed (the CLI and the web app share them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Knobs {
    /// Compute budget in generations.
    pub budget: usize,
    /// Beam width M (beam, lookahead, DVTS).
    pub width: usize,
    /// Lookahead steps k.
    pub lookahead: usize,
    /// Most search rounds (steps) for beam, lookahead and DVTS.
    pub max_rounds: usize,
    /// Revision chains C; each chain gets budget / C attempts.
    pub chains: usize,
    pub revision_selection: RevisionSelection,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            budget: 16,
            width: bounds::DEFAULT_WIDTH,
            lookahead: 1,
            max_rounds: bounds::DEFAULT_ROUNDS,
            chains: 1,
            revision_selection: RevisionSelection::Hierarchical,
        }
    }
}

impl Knobs {
    pub fn strategy(&self, name: StrategyName) -> Result<Strategy, SearchError> {
        bounds::tree(self.budget, self.width, self.max_rounds)?;
        let s = match name {
            StrategyName::BestOfN => Strategy::BestOfN(BestOfN { n: self.budget }),
            StrategyName::Beam => Strategy::Beam(BeamSearch { n: self.budget, width: self.width, max_rounds: self.max_rounds }),
            StrategyName::Dvts => Strategy::Dvts(Dvts { n: self.budget, width: self.width, max_rounds: self.max_rounds }),
            StrategyName::Lookahead => {
                bounds::lookahead(self.lookahead)?;
                let n = self.budget / (self.lookahead + 1);
                check(n > 0, || {
                    format!(
                        "a budget of {} cannot pay for lookahead k={}: it needs at least k+1 = {} generations",
                        self.budget,
                        self.lookahead,
                        self.lookahead + 1
                    )
                })?;
                Strategy::Lookahead(LookaheadSearch { beam: BeamSearch { n, width: self.width, max_rounds: self.max_rounds }, k: self.lookahead })
            }
            StrategyName::Revisions => {
                check(self.chains > 0 && self.budget.is_multiple_of(self.chains), || {
                    format!("the chains must divide the budget: {} generations cannot be split into {} chains", self.budget, self.chains)
                })?;
                Strategy::Revisions(Revisions { chains: self.chains, length: self.budget / self.chains, selection: self.revision_selection })
            }
            StrategyName::ComputeOptimal => Strategy::ComputeOptimal(ComputeOptimal { budget: self.budget, policy: Default::default() }),
        };
        s.validate()?;
        Ok(s)
    }
}

/// Which verifier scores steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verifier {
    /// The trained process reward model, on the generator's body.
    #[default]
    Prm,
    /// The larger verifier: a process reward model on the large model's body.
    PrmLarge,
    /// The exact checker: what a perfect verifier would buy.
    Oracle,
}

crate::names::named!(Verifier, "verifier" {
    Prm => "prm": "the trained process reward model, on the generator's body",
    PrmLarge => "prm_large": "the larger process reward model, on the large model's body",
    Oracle => "oracle": "the exact checker: what a perfect verifier would buy",
});
