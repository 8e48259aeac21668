//! On-policy PRM data, as in the study: the generator's own samples, each step labelled
//! softly by Monte-Carlo rollouts of the generator from that step's prefix (the fraction of
//! rollouts that reach the right answer) and, for the hard-label variant, by the exact
//! checker.

use super::batch::PrmExample;
use super::corpus::{Draw, OnPolicy, sample_training_problems};
use crate::eval::{generate_all, step_labels};
use crate::search::SAMPLING_TEMPERATURE;
use crate::infer::{InferError, RowStart};
use crate::task::arithmetic::derive_seed;
use crate::task::{ArithmeticChain, Task, Tokenizer};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrmDataConfig {
    pub problems: usize,
    pub samples_per_problem: usize,
    /// Rollouts per step prefix for the soft labels.
    pub rollouts: usize,
    pub seed: u64,
}

/// One labelled sample: the same tokens with soft and with hard targets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrmSample {
    pub problem: usize,
    pub soft: PrmExample,
    pub hard: PrmExample,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrmData {
    pub samples: Vec<PrmSample>,
    pub rollouts_run: usize,
    pub tokens_generated: u64,
}

/// Samples the generator on `config.problems` training problems and labels every step.
pub async fn build(source: &mut OnPolicy<'_>, config: &PrmDataConfig) -> Result<PrmData, InferError> {
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let step_end = tokenizer.step_end();
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[config.seed, 0x9E1]));
    let shape = (config.problems, config.samples_per_problem, config.seed, 1, Draw::Levels);
    let (problems, samples) =
        sample_training_problems(source, &mut rng, shape, "PRM data: sampling the generator").await?;
    let OnPolicy { generator, config: g_config, device, ref mut observer, cancel } = *source;

    // Every step prefix (through each newline) of every sample gets `rollouts` continuations.
    let mut prefixes = Vec::new(); // (sample index, position in generated)
    for (k, row) in samples.iter().enumerate() {
        for (pos, &t) in row.generated().iter().enumerate() {
            if t == step_end {
                prefixes.push((k, pos));
            }
        }
    }
    let mut rollout_starts = Vec::with_capacity(prefixes.len() * config.rollouts);
    for (n, &(k, pos)) in prefixes.iter().enumerate() {
        let row = &samples[k];
        let context: Vec<_> = row.tokens[..row.context_len + pos + 1].to_vec();
        for r in 0..config.rollouts {
            rollout_starts.push(RowStart { context: context.clone(), seed: derive_seed(&[config.seed, 2, n as u64, r as u64]) });
        }
    }
    observer.begin("PRM data: Monte-Carlo rollouts", rollout_starts.len() as u64, 0);
    let rollouts = generate_all(generator, g_config, &tokenizer, device, rollout_starts, SAMPLING_TEMPERATURE, cancel, &mut |d| observer.advance(d as u64, "")).await?;
    observer.end();
    let tokens_generated = samples.iter().chain(&rollouts).map(|r| r.generated().len() as u64).sum();

    let mut soft_at: Vec<Vec<(usize, f32)>> = vec![Vec::new(); samples.len()];
    for (n, &(k, pos)) in prefixes.iter().enumerate() {
        let problem = &problems[k / config.samples_per_problem];
        let prefix_text = task.text_of(samples[k].generated()).chars().take(pos + 1).collect::<String>();
        let wins = rollouts[n * config.rollouts..(n + 1) * config.rollouts]
            .iter()
            .filter(|r| task.grade(problem, &format!("{prefix_text}{}", task.text_of(r.generated()))).answer_correct)
            .count();
        soft_at[k].push((samples[k].context_len + pos, wins as f32 / config.rollouts as f32));
    }
    let mut out = Vec::with_capacity(samples.len());
    for (k, row) in samples.iter().enumerate() {
        let pi = k / config.samples_per_problem;
        let problem = &problems[pi];
        let hard_labels = step_labels(problem, row);
        // Scored positions: each newline, then the end token (whose label is the answer's
        // correctness for both variants: a finished answer needs no rollout).
        let positions: Vec<usize> = row
            .generated()
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == step_end || **t == Tokenizer::EOS)
            .map(|(i, _)| row.context_len + i)
            .collect();
        let mut soft = soft_at[k].clone();
        if row.generated().last() == Some(&Tokenizer::EOS) {
            soft.push((row.tokens.len() - 1, *hard_labels.last().unwrap_or(&false) as u8 as f32));
        }
        let hard: Vec<(usize, f32)> = positions.iter().zip(&hard_labels).map(|(&p, &y)| (p, y as u8 as f32)).collect();
        out.push(PrmSample {
            problem: pi,
            soft: PrmExample { tokens: row.tokens.clone(), targets: soft },
            hard: PrmExample { tokens: row.tokens.clone(), targets: hard },
        });
    }
    Ok(PrmData { samples: out, rollouts_run: rollouts.len(), tokens_generated })
}
