//! The generator's training data, one stream from the first step: correct step-by-step
//! solutions of chains drawn over everything the parser accepts, and retry trajectories
//! (earlier attempts, then a correct one) so that the generator is its own revision model.
//! Never a held-out problem.
//!
//! The earlier attempts of a trajectory are the model's own samples where a pool of them is
//! at hand ([`OwnAttempts`], refreshed during training once the model makes realistic errors),
//! else corrupted reference solutions that make the errors such a model makes (a wrong
//! result or a miscopied operand, with the chain carried on from it).

use super::batch::LmExample;
use super::fit::TrainObserver;
use crate::eval::generate_all;
use crate::infer::{CancelToken, InferError, Row, RowStart};
use crate::model::{LanguageModel, ModelConfig};
use crate::search::SAMPLING_TEMPERATURE;
use crate::search::revisions::{ATTEMPTS_IN_CONTEXT, Revisions};
use crate::task::arithmetic::{MAX_OPS, NARROW_DRAWS, Shape, derive_seed, training_shape};
use crate::task::heldout::is_reserved;
use crate::task::{ArithmeticChain, ChainProblem, Level, Op, Task, Token, Tokenizer};
use burn::tensor::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Share of training steps whose batch is retry trajectories.
pub const RETRY_SHARE: f64 = 0.3;
/// Chance that an earlier attempt of a trajectory is a right one: the model must learn to
/// keep a right answer as well as to mend a wrong one.
pub const RIGHT_ATTEMPT_SHARE: f64 = 0.3;
/// Tokens of a batch per unit of batch size: about one 4-operation solution.
pub const TOKENS_PER_EXAMPLE: usize = 96;
/// The longest training sequence: the problem, four earlier attempts and the new one.
pub const MAX_SEQUENCE: usize = 768;
/// The context a language model trains with: room for retry trajectories (rotary positions
/// have no table to outgrow, so it ships with its role's own).
pub fn training_len(config: &ModelConfig) -> usize {
    config.max_len.max(MAX_SEQUENCE)
}

/// Training steps drawn from the narrow draws alone ([`NARROW_DRAWS`], the first generation's
/// levels); the pool of own attempts starts after them. Three runs that drew broadly from the
/// first step (the last with a core of operands to 99 from step 0) still sampled `9+9=16` at
/// step 4,000 and later, where the first generation, trained on these draws, solved its levels
/// 1-3 by step 3,000 (docs/training.md, "What we tried").
pub const NARROW_STEPS: usize = 2500;
/// After them, the share of batches (and of own-attempt problems) still drawn from the narrow
/// draws, so what they taught is kept; the rest come from the training draw.
pub const NARROW_SHARE: f64 = 0.5;
/// Within the training draw, the share from its core ([`training_shape`]: operands up to 99,
/// multipliers up to 12); the rest reach everything the parser accepts.
pub const CORE_SHARE: f64 = 0.8;
/// What the generator's data stream is, for its checkpoints' fingerprint: a checkpoint of a
/// run on another stream is refused rather than continued on this one.
pub const DATA_STREAM: &str = "narrow-first";
/// Share of the PRM's problems drawn from the levels' shapes.
pub const LEVEL_DRAW_SHARE: f64 = 0.5;
/// Seed of the training's level draws (any but the held-out one).
const LEVEL_DRAW_SEED: u64 = 0x7EA1;

/// The first problem `draw` gives that is not reserved for evaluation.
fn not_held_out(mut draw: impl FnMut() -> ChainProblem) -> ChainProblem {
    loop {
        let problem = draw();
        if !is_reserved(&problem) {
            return problem;
        }
    }
}

/// A training problem of `n_ops` operations drawn from `rng` (from the core with `core`),
/// never a held-out one.
pub fn draw_problem_with(n_ops: usize, core: bool, rng: &mut ChaCha8Rng) -> ChainProblem {
    not_held_out(|| training_shape(n_ops, core, rng).draw(rng))
}

/// Where a batch of training problems comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draw {
    /// The training draw: its core with chance [`CORE_SHARE`], else the whole space.
    Training,
    /// The training draw, or a level's shape with chance [`LEVEL_DRAW_SHARE`] (the PRM's data).
    Levels,
    /// The training draw, or a narrow draw with chance [`NARROW_SHARE`] (the generator's own
    /// attempts, drawn as its batches are after [`NARROW_STEPS`]).
    Narrow,
}

/// One of the narrow draws, picked from `rng`, fixed to one chain length of its range.
fn narrow_shape(rng: &mut ChaCha8Rng) -> Shape {
    let mut shape = NARROW_DRAWS[rng.random_range(0..NARROW_DRAWS.len())];
    let n_ops = rng.random_range(shape.ops.0..=shape.ops.1);
    shape.ops = (n_ops, n_ops);
    shape
}

fn draw_narrow_problem(shape: Shape, rng: &mut ChaCha8Rng) -> ChainProblem {
    not_held_out(|| shape.draw(rng))
}

/// A training problem drawn from `rng`, of 1 to 8 operations, as `draw` says.
pub fn draw_problem(rng: &mut ChaCha8Rng, draw: Draw) -> ChainProblem {
    if draw == Draw::Levels && rng.random_bool(LEVEL_DRAW_SHARE) {
        let level = Level::ALL[rng.random_range(0..Level::ALL.len())];
        return draw_level_problem(level, rng);
    }
    if draw == Draw::Narrow && rng.random_bool(NARROW_SHARE) {
        return draw_narrow_problem(narrow_shape(rng), rng);
    }
    let core = rng.random_bool(CORE_SHARE);
    let n_ops = rng.random_range(1..=MAX_OPS);
    draw_problem_with(n_ops, core, rng)
}

/// A training problem of `level`, never a held-out one.
pub fn draw_level_problem(level: Level, rng: &mut ChaCha8Rng) -> ChainProblem {
    not_held_out(|| ArithmeticChain.generate(level, LEVEL_DRAW_SEED, rng.random()))
}

/// The full training sequence of a problem: start token, problem, reference solution, end.
pub fn solution_example(problem: &ChainProblem) -> LmExample {
    let mut tokens = ArithmeticChain.prompt_tokens(problem);
    let loss_from = tokens.len();
    tokens.extend(solution_tokens(problem));
    LmExample { tokens, loss_from }
}

/// The reference solution followed by the end token.
pub fn solution_tokens(problem: &ChainProblem) -> Vec<Token> {
    text_tokens(&ArithmeticChain.reference_solution(problem))
}

fn text_tokens(text: &str) -> Vec<Token> {
    let mut t = ArithmeticChain.tokenizer().encode(text).expect("solutions use the task's alphabet");
    t.push(Tokenizer::EOS);
    t
}

/// A wrong solution of the kind a small model writes: one step with a wrong result (a digit,
/// a carry or a sign off) or a miscopied operand, and the chain carried on correctly from there.
pub fn corrupted_solution(problem: &ChainProblem, rng: &mut impl Rng) -> Vec<Token> {
    // After the last ×0, which would erase the slip.
    let first = problem.ops.iter().rposition(|&(op, b)| op == Op::Mul && b == 0).unwrap_or(0);
    let at = rng.random_range(first..problem.ops.len());
    let mut value = problem.start;
    let mut text = String::new();
    for (i, &(op, b)) in problem.ops.iter().enumerate() {
        let (mut b_shown, mut result) = (b, op.apply(value, b));
        if i == at {
            if rng.random_bool(0.25) {
                b_shown = nudge(b, rng).abs();
                result = op.apply(value, b_shown);
            }
            if b_shown == b {
                result = nudge(result, rng);
            }
        }
        text.push_str(&format!("{value}{}{b_shown}={result}\n", op.symbol()));
        value = result;
    }
    text.push_str(&format!("A:{value}"));
    text_tokens(&text)
}

/// `v` with one plausible slip: the last digit, a carry (±10, ±100), a digit in the middle, or
/// the sign; never `v` itself.
fn nudge(v: i64, rng: &mut impl Rng) -> i64 {
    let digits = v.unsigned_abs().to_string().len() as u32;
    let out = match rng.random_range(0..6u32) {
        0 | 1 => v + rng.random_range(1..=9) * if rng.random_bool(0.5) { 1 } else { -1 },
        2 => v + if rng.random_bool(0.5) { 10 } else { -10 },
        3 => v + if rng.random_bool(0.5) { 100 } else { -100 },
        4 => v + 10i64.pow(rng.random_range(0..digits)) * rng.random_range(1..=3),
        _ => -v,
    };
    if out == v { v + 1 } else { out }
}

/// The model's own finished samples of some training problems, right and wrong, made at one
/// step of training: the earlier attempts of retry trajectories until the next refresh.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnAttempts {
    pub made_at_step: usize,
    pub problems: Vec<OwnProblem>,
    pub tokens_generated: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OwnProblem {
    pub problem: ChainProblem,
    pub right: Vec<Vec<Token>>,
    pub wrong: Vec<Vec<Token>>,
}

impl OwnAttempts {
    /// Samples `generator` `samples` times on each of `count` fresh training problems.
    pub async fn sample(source: &mut OnPolicy<'_>, (count, samples, seed, step): (usize, usize, u64, usize)) -> Result<OwnAttempts, InferError> {
        let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[seed, 0x0A77, step as u64]));
        let label = format!("own attempts at step {step}");
        let (problems, rows) = sample_training_problems(source, &mut rng, (count, samples, seed, 0x0A77 ^ step as u64, Draw::Narrow), &label).await?;
        let tokens_generated = rows.iter().map(|r| r.generated().len() as u64).sum();
        let problems = problems
            .into_iter()
            .zip(rows.chunks(samples))
            .map(|(problem, rows)| {
                let (mut right, mut wrong) = (Vec::new(), Vec::new());
                // Unfinished samples are not attempts anyone would revise from.
                for row in rows.iter().filter(|r| r.generated().last() == Some(&Tokenizer::EOS)) {
                    let correct = ArithmeticChain.grade(&problem, &ArithmeticChain.text_of(row.generated())).answer_correct;
                    (if correct { &mut right } else { &mut wrong }).push(row.generated().to_vec());
                }
                OwnProblem { problem, right, wrong }
            })
            .collect();
        Ok(OwnAttempts { made_at_step: step, problems, tokens_generated })
    }

    /// Share of the samples that are wrong.
    pub fn wrong_share(&self) -> f64 {
        let wrong: usize = self.problems.iter().map(|p| p.wrong.len()).sum();
        let all: usize = self.problems.iter().map(|p| p.wrong.len() + p.right.len()).sum();
        wrong as f64 / all.max(1) as f64
    }
}

/// A retry trajectory: the problem, `count` earlier attempts (each wrong with chance
/// 1 − [`RIGHT_ATTEMPT_SHARE`]: the model's own where `own` has one, else made), then the
/// reference solution, which alone carries the loss. `None` where it does not fit.
pub fn retry_example(problem: &ChainProblem, own: Option<&OwnProblem>, count: usize, rng: &mut impl Rng) -> Option<LmExample> {
    let pick = |list: &[Vec<Token>], rng: &mut dyn rand::RngCore| (!list.is_empty()).then(|| list[rng.random_range(0..list.len())].clone());
    let attempts: Vec<Vec<Token>> = (0..count)
        .map(|_| {
            if rng.random_bool(RIGHT_ATTEMPT_SHARE) {
                own.and_then(|o| pick(&o.right, rng)).unwrap_or_else(|| solution_tokens(problem))
            } else {
                own.and_then(|o| pick(&o.wrong, rng)).unwrap_or_else(|| corrupted_solution(problem, rng))
            }
        })
        .collect();
    let mut tokens = Revisions::context(&ArithmeticChain.prompt_tokens(problem), &attempts, MAX_SEQUENCE);
    let loss_from = tokens.len();
    tokens.extend(solution_tokens(problem));
    (tokens.len() <= MAX_SEQUENCE).then_some(LmExample { tokens, loss_from })
}

/// The batch for training step `step`: a pure function of (seed, step) and the pool of own
/// attempts in use, so a resumed run sees exactly the data it would have seen. One chain
/// length per batch keeps padding low; a batch holds about `batch_size` ×
/// [`TOKENS_PER_EXAMPLE`] tokens, and is retry trajectories with chance [`RETRY_SHARE`].
pub fn generator_batch(seed: u64, step: usize, batch_size: usize, own: Option<&OwnAttempts>) -> Vec<LmExample> {
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[seed, 0xC0_4906, step as u64]));
    let narrow = (step < NARROW_STEPS || rng.random_bool(NARROW_SHARE)).then(|| narrow_shape(&mut rng));
    let n_ops = narrow.map_or_else(|| rng.random_range(1..=MAX_OPS), |s| s.ops.0);
    let retry = rng.random_bool(RETRY_SHARE);
    let attempts = rng.random_range(1..=ATTEMPTS_IN_CONTEXT);
    let core = rng.random_bool(CORE_SHARE);
    let draw = |rng: &mut ChaCha8Rng| match narrow {
        Some(shape) => draw_narrow_problem(shape, rng),
        None => draw_problem_with(n_ops, core, rng),
    };
    let pool: Vec<&OwnProblem> = own.map(|o| o.problems.iter().filter(|p| p.problem.ops.len() == n_ops).collect()).unwrap_or_default();
    let budget = batch_size * TOKENS_PER_EXAMPLE;
    let (mut out, mut tokens) = (Vec::new(), 0);
    while tokens < budget && out.len() < 4 * batch_size {
        let example = if !retry {
            Some(solution_example(&draw(&mut rng)))
        } else if !pool.is_empty() {
            let o = pool[rng.random_range(0..pool.len())];
            retry_example(&o.problem, Some(o), attempts, &mut rng)
        } else {
            retry_example(&draw(&mut rng), None, attempts, &mut rng)
        };
        match example {
            Some(e) => {
                tokens += e.tokens.len();
                out.push(e);
            }
            // Too long for the context with this many attempts: one solution instead.
            None => out.push(solution_example(&draw(&mut rng))),
        }
    }
    out
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

/// `count` fresh training problems drawn from `rng` as `draw` says, each sampled `samples` times by the
/// generator at the strategies' temperature (row seeds from `seed` and `salt`): the
/// on-policy material of the PRM and revision data.
pub async fn sample_training_problems(
    source: &mut OnPolicy<'_>,
    rng: &mut ChaCha8Rng,
    (count, samples, seed, salt, draw): (usize, usize, u64, u64, Draw),
    label: &str,
) -> Result<(Vec<ChainProblem>, Vec<Row>), InferError> {
    let OnPolicy { generator, config: g_config, device, ref mut observer, cancel } = *source;
    let problems: Vec<ChainProblem> = (0..count).map(|_| draw_problem(rng, draw)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupted_solutions_are_wrong_and_well_formed() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut right_answers = 0;
        for i in 0..500 {
            let p = draw_problem(&mut rng, [Draw::Levels, Draw::Training][i % 2]);
            let tokens = corrupted_solution(&p, &mut rng);
            let text = ArithmeticChain.text_of(&tokens);
            let grade = ArithmeticChain.grade(&p, &text);
            assert_eq!(grade.steps.len(), p.ops.len(), "{i}: {text}");
            assert!(grade.first_error().is_some(), "{i}: {text}");
            right_answers += grade.answer_correct as usize;
        }
        // Slips that cancel out (a sign flip of 0, say) are rare.
        assert!(right_answers <= 5, "{right_answers} of 500 corrupted solutions reach the right answer");
    }

    #[test]
    fn batches_are_seeded_mixed_and_never_held_out() {
        let a = generator_batch(5, 3, 64, None);
        assert_eq!(a, generator_batch(5, 3, 64, None));
        let mut retries = 0;
        for step in 0..60 {
            let batch = generator_batch(5, step, 16, None);
            let tokens: usize = batch.iter().map(|e| e.tokens.len()).sum();
            assert!(tokens >= 16 * TOKENS_PER_EXAMPLE || batch.len() == 64, "step {step}: {tokens} tokens");
            retries += batch.iter().any(|e| e.tokens.contains(&Tokenizer::REV)) as usize;
            for e in &batch {
                assert!(e.tokens.len() <= MAX_SEQUENCE);
                // what carries the loss is a correct solution
                let target = ArithmeticChain.text_of(&e.tokens[e.loss_from..]);
                let prompt = ArithmeticChain.text_of(&e.tokens[1..]);
                let problem = ArithmeticChain.parse(prompt.lines().next().unwrap()).unwrap();
                assert!(!is_reserved(&problem));
                assert!(ArithmeticChain.grade(&problem, &target).answer_correct, "{target}");
            }
        }
        assert!((8..30).contains(&retries), "{retries} retry batches of 60");
    }

    #[test]
    fn the_narrow_draws_come_first_then_share_the_batches() {
        let narrow_batches = |steps: std::ops::Range<usize>| {
            steps
                .map(|step| {
                    generator_batch(7, step, 16, None).iter().all(|e| {
                        let prompt = ArithmeticChain.text_of(&e.tokens[1..]);
                        let problem = ArithmeticChain.parse(prompt.lines().next().unwrap()).unwrap();
                        NARROW_DRAWS.iter().any(|s| s.could_draw(&problem))
                    }) as usize
                })
                .sum::<usize>()
        };
        assert_eq!(narrow_batches(0..40), 40);
        let later = narrow_batches(NARROW_STEPS..NARROW_STEPS + 100);
        assert!((35..80).contains(&later), "{later} of 100 batches after the narrow steps are narrow");
    }
}
