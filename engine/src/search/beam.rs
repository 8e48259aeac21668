//! PRM beam search: sample N first steps, keep the N/M best by the verifier, expand each kept
//! beam into M next steps, repeat until the answers end or the round limit; finish with a vote
//! over the final beams. Costs N generations.

use super::tree::TreeSearch;
use super::{Run, RunResult, SearchError, bounds};
use crate::infer::{Generator, Scorer};
use crate::task::Task;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BeamSearch {
    /// Beams (the budget N).
    pub n: usize,
    /// Beam width M: next steps sampled from each kept beam (clamped to N).
    pub width: usize,
    pub max_rounds: usize,
}

impl BeamSearch {
    pub fn validate(&self) -> Result<(), SearchError> {
        bounds::tree(self.n, self.width, self.max_rounds)
    }

    pub fn cost(&self) -> u64 {
        self.n as u64
    }

    pub(crate) fn tree(&self, name: &'static str, lookahead: usize, cost: u64) -> TreeSearch {
        let width = self.width.min(self.n);
        let keep = (self.n / width).max(1);
        TreeSearch { name, beams: self.n, groups: 1, keep, expand: width, group_target: self.n, lookahead, max_rounds: self.max_rounds, cost }
    }

    pub async fn run<T: Task, G: Generator, S: Scorer>(&self, run: &mut Run<'_, T>, generator: &mut G, scorer: &mut S) -> Result<RunResult, SearchError> {
        self.validate()?;
        self.tree("beam", 0, self.cost()).run(run, generator, scorer).await
    }
}
