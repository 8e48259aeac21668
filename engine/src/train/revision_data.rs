//! Revision trajectories, as in the study: 0–4 earlier attempts sampled from the generator
//! (count uniform; the last one the closest to the correct answer by edit distance), then a
//! correct one. The model learns to write the correct attempt with the others in context.
//!
//! One deviation: the study's earlier attempts are all incorrect. Trained that way, the model
//! learned that every answer in its context is wrong and abandoned right ones (after 4
//! revisions 2.8% against 79.9% at the first attempt), so here each earlier attempt is a right
//! one with probability `right_attempt_share` (where the problem has both kinds).

use super::batch::LmExample;
use super::corpus::{OnPolicy, sample_training_problems, solution_tokens};
use crate::infer::InferError;
use crate::model::ModelConfig;
use crate::search::revisions::{ATTEMPTS_IN_CONTEXT, Revisions};
use crate::task::arithmetic::derive_seed;
use crate::task::{ArithmeticChain, Task, Token, Tokenizer};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevisionDataConfig {
    pub problems: usize,
    pub samples_per_problem: usize,
    pub trajectories_per_problem: usize,
    /// Chance that an earlier attempt is drawn from the right samples (0 = the study's recipe).
    pub right_attempt_share: f64,
    pub seed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RevisionData {
    pub examples: Vec<(Vec<Token>, usize)>,
    /// Trajectories whose correct attempt is the reference solution (no sample was right).
    pub reference_endings: usize,
    pub tokens_generated: u64,
}

/// Levenshtein distance between token sequences.
pub fn edit_distance(a: &[Token], b: &[Token]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + (x != y) as usize).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Samples the generator on `config.problems` training problems and builds trajectories that
/// fit `r_config`'s context.
pub async fn build(source: &mut OnPolicy<'_>, r_config: &ModelConfig, config: &RevisionDataConfig) -> Result<RevisionData, InferError> {
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[config.seed, 0x4E5]));
    let shape = (config.problems, config.samples_per_problem, config.seed, 3);
    let (problems, rows) =
        sample_training_problems(source, &mut rng, shape, "revision data: sampling the generator").await?;
    let tokens_generated = rows.iter().map(|r| r.generated().len() as u64).sum();

    let mut data = RevisionData { tokens_generated, ..RevisionData::default() };
    for (i, problem) in problems.iter().enumerate() {
        let own = &rows[i * config.samples_per_problem..(i + 1) * config.samples_per_problem];
        let mut wrong: Vec<Vec<Token>> = Vec::new();
        let mut right: Vec<Vec<Token>> = Vec::new();
        for row in own {
            // Unfinished samples are not attempts anyone would revise from.
            if row.generated().last() != Some(&Tokenizer::EOS) {
                continue;
            }
            let attempt = row.generated().to_vec();
            if task.grade(problem, &task.text_of(row.generated())).answer_correct { right.push(attempt) } else { wrong.push(attempt) }
        }
        for _ in 0..config.trajectories_per_problem {
            let (correct, from_reference) = match right.as_slice() {
                [] => (solution_tokens(problem, &tokenizer), true),
                r => (r[rng.random_range(0..r.len())].clone(), false),
            };
            let count = rng.random_range(0..=ATTEMPTS_IN_CONTEXT);
            let share = config.right_attempt_share.clamp(0.0, 1.0);
            let mut chosen: Vec<Vec<Token>> = if share == 0.0 {
                wrong.choose_multiple(&mut rng, count.min(wrong.len())).cloned().collect()
            } else {
                (0..count)
                    .filter_map(|_| {
                        let from_right = !right.is_empty() && (wrong.is_empty() || rng.random_bool(share));
                        (if from_right { &right } else { &wrong }).choose(&mut rng).cloned()
                    })
                    .collect()
            };
            chosen.shuffle(&mut rng);
            // The attempt closest to the correct one comes last, right before it.
            if let Some(best) = (0..chosen.len()).min_by_key(|&k| edit_distance(&chosen[k], &correct)) {
                let last = chosen.remove(best);
                chosen.push(last);
            }
            let mut tokens = Revisions::context(&task.prompt_tokens(problem), &chosen, r_config.max_len);
            let loss_from = tokens.len();
            tokens.extend(&correct);
            if tokens.len() > r_config.max_len {
                continue;
            }
            data.reference_endings += from_reference as usize;
            data.examples.push((tokens, loss_from));
        }
    }
    Ok(data)
}

/// Examples as language-model training examples.
pub fn examples(data: &RevisionData) -> Vec<LmExample> {
    data.examples.iter().map(|(t, l)| LmExample { tokens: t.clone(), loss_from: *l }).collect()
}
