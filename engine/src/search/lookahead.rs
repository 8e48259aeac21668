//! Lookahead search: beam search where each candidate step is scored after rolling it out k
//! more steps greedily (temperature 0) and reading the verifier there. Costs N·(k+1).

use super::beam::BeamSearch;
use super::{Run, RunResult, SearchError, bounds};
use crate::infer::{Generator, Scorer};
use crate::task::Task;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LookaheadSearch {
    pub beam: BeamSearch,
    /// Greedy rollout steps k.
    pub k: usize,
}

impl LookaheadSearch {
    pub fn validate(&self) -> Result<(), SearchError> {
        self.beam.validate()?;
        bounds::lookahead(self.k)
    }

    pub fn cost(&self) -> u64 {
        (self.beam.n * (self.k + 1)) as u64
    }

    pub async fn run<T: Task, G: Generator, S: Scorer>(&self, run: &mut Run<'_, T>, generator: &mut G, scorer: &mut S) -> Result<RunResult, SearchError> {
        self.validate()?;
        self.beam.tree("lookahead", self.k, self.cost()).run(run, generator, scorer).await
    }
}
