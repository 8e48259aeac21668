//! Sequential revisions: C chains of L attempts each, every attempt conditioned on the chain's
//! last (up to) 4 attempts, all chains decoded as one batch. The final answer comes from a
//! majority vote over every attempt, or hierarchically: best-of-N weighted within each chain,
//! then a weighted vote across the chains' winners. Costs C·L generations.

use super::{Candidate, Run, RunResult, SearchError, Selection, bounds, select};
use crate::infer::{Generator, RowStart, Scorer, StopAt};
use crate::task::{Task, Token, Tokenizer};
use serde::{Deserialize, Serialize};

/// Earlier attempts kept in the context, as in the study.
pub const ATTEMPTS_IN_CONTEXT: usize = 4;
/// Room left in the context for the new attempt.
const ATTEMPT_ROOM: usize = 160;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionSelection {
    Majority,
    Hierarchical,
}

crate::names::named!(RevisionSelection, "revision selection" {
    Majority => "majority": "a majority vote over every attempt",
    Hierarchical => "hierarchical": "best-of-N weighted within each chain, then a weighted vote across the chains' winners",
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revisions {
    /// Parallel chains C.
    pub chains: usize,
    /// Attempts per chain L (sequential length).
    pub length: usize,
    pub selection: RevisionSelection,
}

impl Revisions {
    pub fn validate(&self) -> Result<(), SearchError> {
        bounds::revisions(self.chains, self.length)
    }

    pub fn cost(&self) -> u64 {
        (self.chains * self.length) as u64
    }

    /// The revision model's context: start token, problem, then the kept attempts each
    /// followed by the revision marker.
    pub fn context(prompt: &[Token], attempts: &[Vec<Token>], max_context: usize) -> Vec<Token> {
        let mut first = attempts.len().saturating_sub(ATTEMPTS_IN_CONTEXT);
        let len = |from: usize| prompt.len() + attempts[from..].iter().map(|a| a.len() + 1).sum::<usize>();
        while first < attempts.len() && len(first) + ATTEMPT_ROOM > max_context {
            first += 1;
        }
        let mut ctx = prompt.to_vec();
        for a in &attempts[first..] {
            ctx.extend(a.iter().copied().filter(|&t| t != Tokenizer::EOS));
            ctx.push(Tokenizer::REV);
        }
        ctx
    }

    pub async fn run<T: Task, G: Generator, S: Scorer>(&self, run: &mut Run<'_, T>, generator: &mut G, scorer: &mut S) -> Result<RunResult, SearchError> {
        self.validate()?;
        let prompt = run.prompt_tokens();
        let temperature = run.common.temperature;
        let mut history: Vec<Vec<Vec<Token>>> = vec![Vec::new(); self.chains];
        let mut last_ids: Vec<Option<usize>> = vec![None; self.chains];
        let mut by_chain: Vec<Vec<Candidate>> = vec![Vec::new(); self.chains];
        for attempt in 0..self.length {
            let ids: Vec<usize> = (0..self.chains)
                .map(|chain| {
                    let id = run.new_sample(last_ids[chain]);
                    run.sink.emit(super::Event::RevisionStarted { chain, attempt, sample: id });
                    id
                })
                .collect();
            let starts = (0..self.chains)
                .map(|c| RowStart { context: Self::context(&prompt, &history[c], generator.max_context()), seed: run.seed_for(ids[c], 0) })
                .collect();
            generator.start(starts).await?;
            run.extend(generator, &ids, StopAt::AnswerEnd, temperature).await?;
            let solutions: Vec<Vec<Token>> = generator.rows().iter().map(|r| r.generated().to_vec()).collect();
            let scores = run.score(scorer, &ids, &solutions).await?;
            for (c, (solution, sc)) in solutions.into_iter().zip(scores).enumerate() {
                by_chain[c].push(run.candidate(ids[c], &solution, sc));
                history[c].push(solution);
                last_ids[c] = Some(ids[c]);
            }
            run.report_compute(self.chains as u64, &[(generator.stats(), generator.parameters())], (scorer.tokens_scored(), scorer.parameters()));
        }
        let compute = run.report_compute(0, &[(generator.stats(), generator.parameters())], (scorer.tokens_scored(), scorer.parameters()));
        let all: Vec<Candidate> = by_chain.iter().flatten().cloned().collect();
        match self.selection {
            RevisionSelection::Majority => Ok(run.finish("revisions", Selection::Majority, all, compute)),
            RevisionSelection::Hierarchical => {
                // Within each chain: best-of-N weighted; its winner carries the chain's summed weight.
                let winners: Vec<Candidate> = by_chain
                    .iter()
                    .filter_map(|chain| {
                        let (answer, tally) = select(chain, Selection::Weighted);
                        let answer = answer?;
                        let weight = tally.iter().find(|t| t.answer == answer).map(|t| t.weight).unwrap_or(0.0);
                        let mut w = chain.iter().find(|c| c.answer.as_deref() == Some(answer.as_str()))?.clone();
                        w.score = weight;
                        Some(w)
                    })
                    .collect();
                let mut result = run.finish("revisions", Selection::Weighted, winners, compute);
                result.candidates = all;
                Ok(result)
            }
        }
    }
}
