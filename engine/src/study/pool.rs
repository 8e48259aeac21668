//! Sample pools: many generator samples per problem, graded and scored once by each learned
//! verifier at hand. They give oracle difficulty (pass@1), predicted difficulty (a verifier's
//! mean final score) and best-of-N at every budget (N samples drawn from the pool per seed),
//! as in the study.

use super::POOL_SEED;
use crate::eval::generate_all;
use crate::search::SAMPLING_TEMPERATURE;
use crate::infer::{CancelToken, InferError, PrmScorer, RowStart, ScoreItem, Scorer};
use crate::models::Models;
use crate::search::{Candidate, Selection, Verifier, select};
use crate::task::arithmetic::derive_seed;
use crate::task::{ArithmeticChain, ChainProblem, Task};
use serde::{Deserialize, Serialize};

/// One graded, scored sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolSample {
    pub answer: Option<String>,
    pub correct: bool,
    /// The PRM's score of the final step (the study's "last" aggregation).
    pub final_score: f32,
    /// The larger verifier's, where the pools were scored by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_score: Option<f32>,
}

impl PoolSample {
    /// The final step's score under `verifier` (the exact checker gives 1 to a right answer,
    /// 0 to a wrong one); None where the pool was not scored by it.
    pub fn score(&self, verifier: Verifier) -> Option<f32> {
        match verifier {
            Verifier::Prm => Some(self.final_score),
            Verifier::PrmLarge => self.large_score,
            Verifier::Oracle => Some(self.correct as u8 as f32),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProblemPool {
    pub samples: Vec<PoolSample>,
}

impl ProblemPool {
    pub fn pass_at_1(&self) -> f64 {
        self.samples.iter().filter(|s| s.correct).count() as f64 / self.samples.len().max(1) as f64
    }
    /// The mean final score under `verifier` (0 where it did not score the pool).
    pub fn mean_final_score(&self, verifier: Verifier) -> f64 {
        self.samples.iter().map(|s| s.score(verifier).unwrap_or(0.0) as f64).sum::<f64>() / self.samples.len().max(1) as f64
    }

    /// Whether every sample has a score under `verifier`.
    pub fn scored_by(&self, verifier: Verifier) -> bool {
        self.samples.iter().all(|s| s.score(verifier).is_some())
    }
}

/// Problems whose pools are decoded together (a few thousand rows: bounded memory).
const PROBLEMS_PER_CHUNK: usize = 16;

/// Samples `per_problem` solutions of every problem with the generator, grades them and
/// scores them with the PRM (and with the larger verifier where it is loaded). `first` is the test-set index of `problems[0]` (the samples'
/// seeds follow the index, so a slice gives the same pools as the whole). `progress(done)`
/// counts samples.
pub async fn sample_pools(
    models: &Models,
    problems: &[ChainProblem],
    first: usize,
    per_problem: usize,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<ProblemPool>, InferError> {
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let (g_model, g_config) = (&models.generator.0, &models.generator.1);
    let mut scorer = PrmScorer::new(&models.prm.0, &models.prm.1, &tokenizer, &models.device);
    let mut large_scorer = models.prm_large.as_ref().map(|(m, c)| PrmScorer::new(m, c, &tokenizer, &models.device));
    let mut pools = Vec::with_capacity(problems.len());
    for (chunk_index, chunk) in problems.chunks(PROBLEMS_PER_CHUNK).enumerate() {
        let offset = chunk_index * PROBLEMS_PER_CHUNK;
        let starts: Vec<RowStart> = chunk
            .iter()
            .enumerate()
            .flat_map(|(j, p)| {
                let context = task.prompt_tokens(p);
                (0..per_problem).map(move |s| RowStart { context: context.clone(), seed: derive_seed(&[POOL_SEED, (first + offset + j) as u64, s as u64]) })
            })
            .collect();
        let done_before = offset * per_problem;
        let rows = generate_all(g_model, g_config, &tokenizer, &models.device, starts, SAMPLING_TEMPERATURE, cancel, &mut |d| progress(done_before + d)).await?;
        let (mut finals, mut large_finals) = (Vec::with_capacity(rows.len()), Vec::new());
        for part in rows.chunks(256) {
            cancel.check()?;
            let items: Vec<ScoreItem> = part.iter().map(|r| ScoreItem { context: r.tokens[..r.context_len].to_vec(), solution: r.generated().to_vec() }).collect();
            let last = |scores: Vec<Vec<f32>>| scores.into_iter().map(|s| s.last().copied().unwrap_or(0.0)).collect::<Vec<f32>>();
            finals.extend(last(scorer.score(&items).await?));
            if let Some(large) = &mut large_scorer {
                large_finals.extend(last(large.score(&items).await?));
            }
        }
        for (j, p) in chunk.iter().enumerate() {
            let truth = task.true_answer(p);
            let samples = rows[j * per_problem..(j + 1) * per_problem]
                .iter()
                .enumerate()
                .map(|(s, row)| {
                    let answer = task.answer_of(&task.text_of(row.generated()));
                    let correct = answer.as_deref() == Some(truth.as_str());
                    let at = j * per_problem + s;
                    PoolSample { answer, correct, final_score: finals[at], large_score: large_finals.get(at).copied() }
                })
                .collect();
            pools.push(ProblemPool { samples });
        }
    }
    Ok(pools)
}

/// Best-of-`n` over `n` samples drawn without replacement from the pool (the draw fixed by
/// `seed` and `problem`, whatever the verifier), votes weighted by `verifier`'s scores;
/// whether the selected answer is right.
pub fn best_of_n_from_pool(pool: &ProblemPool, n: usize, selection: Selection, verifier: Verifier, seed: u64, problem: usize) -> bool {
    let len = pool.samples.len();
    let mut order: Vec<usize> = (0..len).collect();
    // Fisher–Yates with the study's seeds, so a seed picks the same draw everywhere.
    for i in (1..len).rev() {
        let j = (derive_seed(&[seed, problem as u64, i as u64]) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let candidates: Vec<Candidate> = order[..n.min(len)]
        .iter()
        .map(|&i| {
            let s = &pool.samples[i];
            Candidate { sample: i, text: String::new(), answer: s.answer.clone(), step_scores: Vec::new(), score: s.score(verifier).unwrap_or(0.0), correct: s.correct }
        })
        .collect();
    let (chosen, _) = select(&candidates, selection);
    chosen.is_some() && candidates.iter().any(|c| c.correct && c.answer == chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(answer: &str, correct: bool, score: f32) -> PoolSample {
        PoolSample { answer: Some(answer.into()), correct, final_score: score, large_score: None }
    }

    #[test]
    fn weighted_and_majority_differ_where_they_should() {
        // Three low-scored wrong votes against two confident right ones.
        let pool = ProblemPool {
            samples: vec![sample("1", false, 0.1), sample("1", false, 0.1), sample("1", false, 0.1), sample("2", true, 0.9), sample("2", true, 0.9)],
        };
        assert!(!best_of_n_from_pool(&pool, 5, Selection::Majority, Verifier::Prm, 1, 0));
        assert!(best_of_n_from_pool(&pool, 5, Selection::Weighted, Verifier::Prm, 1, 0));
        assert_eq!(pool.pass_at_1(), 0.4);
        // The exact checker weights only the right answers; a verifier that scored nothing
        // is not taken for one that did.
        let wrong_confident = ProblemPool { samples: vec![sample("1", false, 0.9), sample("1", false, 0.9), sample("2", true, 0.1)] };
        assert!(!best_of_n_from_pool(&wrong_confident, 3, Selection::Weighted, Verifier::Prm, 1, 0));
        assert!(best_of_n_from_pool(&wrong_confident, 3, Selection::Weighted, Verifier::Oracle, 1, 0));
        assert!(!wrong_confident.scored_by(Verifier::PrmLarge) && wrong_confident.scored_by(Verifier::Oracle));
        assert!((wrong_confident.mean_final_score(Verifier::Oracle) - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn draws_depend_on_the_seed_only() {
        let pool = ProblemPool { samples: (0..32).map(|i| sample(&i.to_string(), i == 3, i as f32 / 32.0)).collect() };
        let a: Vec<bool> = (0..20).map(|s| best_of_n_from_pool(&pool, 1, Selection::Majority, Verifier::Prm, s, 7)).collect();
        let b: Vec<bool> = (0..20).map(|s| best_of_n_from_pool(&pool, 1, Selection::Majority, Verifier::Prm, s, 7)).collect();
        assert_eq!(a, b);
    }
}
