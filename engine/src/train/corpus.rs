//! The generator's training data: correct step-by-step solutions of seeded problems across
//! levels 1–5, never a held-out problem.

use super::batch::LmExample;
use super::fit::TrainObserver;
use crate::eval::generate_all;
use crate::search::SAMPLING_TEMPERATURE;
use crate::task::heldout::is_heldout;
use crate::infer::{CancelToken, InferError, Row, RowStart};
use crate::model::{LanguageModel, ModelConfig};
use burn::tensor::Device;
use crate::task::arithmetic::derive_seed;
use crate::task::{ArithmeticChain, ChainProblem, Level, Task, Token, Tokenizer};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Levels are drawn with these weights: harder problems are longer and need more examples.
const LEVEL_WEIGHTS: [u32; 5] = [2, 3, 3, 2, 2];

fn draw_level(rng: &mut ChaCha8Rng) -> Level {
    let total: u32 = LEVEL_WEIGHTS.iter().sum();
    let mut pick = rng.random_range(0..total);
    for (l, w) in Level::ALL.iter().zip(LEVEL_WEIGHTS) {
        if pick < w {
            return *l;
        }
        pick -= w;
    }
    Level::ALL[4]
}

/// A training problem of `level` drawn from `rng`, never a held-out one.
pub fn draw_problem_at(level: Level, seed: u64, rng: &mut ChaCha8Rng) -> ChainProblem {
    loop {
        let problem = ArithmeticChain.generate(level, seed, rng.random());
        if !is_heldout(&problem) {
            return problem;
        }
    }
}

/// A training problem drawn from `rng` (level by weight, then a random index).
pub fn draw_problem(seed: u64, rng: &mut ChaCha8Rng) -> (Level, ChainProblem) {
    let level = draw_level(rng);
    (level, draw_problem_at(level, seed, rng))
}

/// The full training sequence of a problem: start token, problem, reference solution, end.
pub fn solution_example(problem: &ChainProblem) -> LmExample {
    let tokenizer = ArithmeticChain.tokenizer();
    let mut tokens = ArithmeticChain.prompt_tokens(problem);
    let loss_from = tokens.len();
    tokens.extend(solution_tokens(problem, &tokenizer));
    LmExample { tokens, loss_from }
}

/// The reference solution followed by the end token.
pub fn solution_tokens(problem: &ChainProblem, tokenizer: &Tokenizer) -> Vec<Token> {
    let mut t = tokenizer.encode(&ArithmeticChain.reference_solution(problem)).expect("solutions use the task's alphabet");
    t.push(Tokenizer::EOS);
    t
}

/// The batch for training step `step`: a pure function of (seed, step), so a resumed run
/// sees exactly the data it would have seen. One level per batch keeps padding low (lengths
/// differ five-fold between levels); levels are mixed across steps.
pub fn generator_batch(seed: u64, step: usize, batch_size: usize) -> Vec<LmExample> {
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[seed, 0xC0_4905, step as u64]));
    let level = draw_level(&mut rng);
    (0..batch_size).map(|_| solution_example(&draw_problem_at(level, seed, &mut rng))).collect()
}

/// The generator whose own samples the PRM and revision data are made of, and what sampling
/// it needs.
pub struct OnPolicy<'a> {
    pub generator: &'a LanguageModel,
    pub config: &'a ModelConfig,
    pub device: &'a Device,
    pub observer: &'a mut dyn TrainObserver,
    pub cancel: &'a CancelToken,
}

/// `count` fresh training problems drawn from `rng`, each sampled `samples` times by the
/// generator at the strategies' temperature (row seeds from `seed` and `salt`): the
/// on-policy material of the PRM and revision data.
pub async fn sample_training_problems(
    source: &mut OnPolicy<'_>,
    rng: &mut ChaCha8Rng,
    (count, samples, seed, salt): (usize, usize, u64, u64),
    label: &str,
) -> Result<(Vec<ChainProblem>, Vec<Row>), InferError> {
    let OnPolicy { generator, config: g_config, device, ref mut observer, cancel } = *source;
    let problems: Vec<ChainProblem> = (0..count).map(|_| draw_problem(seed, rng).1).collect();
    let starts: Vec<RowStart> = problems
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let ctx = ArithmeticChain.prompt_tokens(p);
            (0..samples).map(move |s| RowStart { context: ctx.clone(), seed: derive_seed(&[seed, salt, i as u64, s as u64]) })
        })
        .collect();
    observer.begin(label, starts.len() as u64, 0);
    let tokenizer = ArithmeticChain.tokenizer();
    let rows = generate_all(generator, g_config, &tokenizer, device, starts, SAMPLING_TEMPERATURE, cancel, &mut |d| observer.advance(d as u64, "")).await?;
    observer.end();
    Ok((problems, rows))
}
