//! Best-of-N: N independent samples, then a vote (majority, verifier-weighted, or the single
//! best-scored sample). Costs N generations.

use super::{Run, RunResult, SearchError, bounds};
use crate::infer::{Generator, RowStart, Scorer, StopAt};
use crate::task::Task;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BestOfN {
    pub n: usize,
}

impl BestOfN {
    pub fn validate(&self) -> Result<(), SearchError> {
        bounds::budget(self.n)
    }

    pub fn cost(&self) -> u64 {
        self.n as u64
    }

    pub async fn run<T: Task, G: Generator, S: Scorer>(&self, run: &mut Run<'_, T>, generator: &mut G, scorer: &mut S) -> Result<RunResult, SearchError> {
        self.validate()?;
        let prompt = run.prompt_tokens();
        let ids: Vec<usize> = (0..self.n).map(|_| run.new_sample(None)).collect();
        let starts = ids.iter().map(|&id| RowStart { context: prompt.clone(), seed: run.seed_for(id, 0) }).collect();
        generator.start(starts).await?;
        let temperature = run.common.temperature;
        run.extend(generator, &ids, StopAt::AnswerEnd, temperature).await?;
        let solutions: Vec<_> = generator.rows().iter().map(|r| r.generated().to_vec()).collect();
        let scores = run.score(scorer, &ids, &solutions).await?;
        let candidates = ids.iter().zip(&solutions).zip(scores).map(|((&id, s), sc)| run.candidate(id, s, sc)).collect();
        let compute = run.report_compute(self.cost(), &[(generator.stats(), generator.parameters())], (scorer.tokens_scored(), scorer.parameters()));
        Ok(run.finish("best_of_n", run.common.selection, candidates, compute))
    }
}
