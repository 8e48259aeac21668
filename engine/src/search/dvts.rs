//! Diverse verifier tree search: N/M independent subtrees, each expanded greedily by the
//! verifier (keep the best beam, sample M next steps from it) until one of its beams ends; a vote
//! over the subtrees' answers. Costs N generations.

use super::tree::TreeSearch;
use super::{Run, RunResult, SearchError, bounds};
use crate::infer::{Generator, Scorer};
use crate::task::Task;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dvts {
    pub n: usize,
    /// Candidates per subtree per step (M, clamped to N).
    pub width: usize,
    pub max_rounds: usize,
}

impl Dvts {
    pub fn validate(&self) -> Result<(), SearchError> {
        bounds::tree(self.n, self.width, self.max_rounds)
    }

    pub fn cost(&self) -> u64 {
        self.n as u64
    }

    pub async fn run<T: Task, G: Generator, S: Scorer>(&self, run: &mut Run<'_, T>, generator: &mut G, scorer: &mut S) -> Result<RunResult, SearchError> {
        self.validate()?;
        let width = self.width.min(self.n);
        let groups = (self.n / width).max(1);
        TreeSearch { name: "dvts", beams: groups * width, groups, keep: 1, expand: width, group_target: 1, lookahead: 0, max_rounds: self.max_rounds, cost: self.cost() }
            .run(run, generator, scorer)
            .await
    }
}
