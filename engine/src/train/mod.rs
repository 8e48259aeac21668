//! Training, with the same model code that runs in the browser: the generator (its own revision
//! model) and its larger sibling on correct solutions and retry trajectories, and the PRM on the
//! generator's own samples (soft Monte-Carlo labels, and a hard-label variant).
//! Native only (it needs burn's autodiff and writes checkpoints).

pub mod batch;
pub mod corpus;
pub mod fit;
pub mod prm_data;
mod throughput;

pub use batch::{Batch, LmExample, PrmExample};
pub use corpus::{OnPolicy, OwnAttempts};
pub use throughput::{TrainThroughput, train_throughput};
pub use fit::{Checkpoints, Fitted, Progress, Quiet, Restart, Schedule, TrainObserver, Validation, fit};

use crate::infer::InferError;
use crate::model::weights::WeightsError;
use crate::model::{LanguageModel, RewardModel};
use crate::task::arithmetic::derive_seed;
use burn::module::Module;
use burn::tensor::{Device, Tensor, activation};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Infer(#[from] InferError),
    #[error("training was interrupted at step {step}; its checkpoint is saved: run the same command again to resume")]
    Cancelled { step: usize },
    #[error("training diverged at step {step} (loss {loss}); lower the learning rate")]
    Diverged { step: usize, loss: f32 },
    #[error("{0}")]
    Invalid(String),
}

/// Mean next-token cross-entropy over the positions that carry a loss.
pub fn lm_loss(model: &LanguageModel, batch: &Batch) -> Tensor<1> {
    let logits = model.forward(batch.tokens.clone(), batch.positions.clone(), batch.mask.clone());
    let [b, t, _] = logits.dims();
    let next = batch.next.clone().expect("a language-model batch");
    let picked = activation::log_softmax(logits, 2).gather(2, next.reshape([b, t, 1])).reshape([b, t]);
    (picked * batch.weights.clone()).sum().neg().div_scalar(batch.targets.max(1) as f32)
}

/// Mean binary cross-entropy (with logits) against soft targets at the scored positions.
pub fn prm_loss(model: &RewardModel, batch: &Batch) -> Tensor<1> {
    let x = model.logits(batch.tokens.clone(), batch.positions.clone(), batch.mask.clone());
    let y = batch.soft.clone().expect("a reward-model batch");
    let per_position = (activation::log_sigmoid(x.clone()) * y.clone() + activation::log_sigmoid(x.neg()) * y.neg().add_scalar(1.0)).neg();
    (per_position * batch.weights.clone()).sum().div_scalar(batch.targets.max(1) as f32)
}

/// The items of training step `step` when `items` are visited in epochs, each in a fresh
/// seeded order: a pure function of the step, so resumed runs see the same data.
pub fn epoch_batch<T: Clone>(items: &[T], seed: u64, step: usize, batch_size: usize) -> Vec<T> {
    let n = items.len();
    if n == 0 {
        return Vec::new();
    }
    let order = |epoch: usize| {
        let mut idx: Vec<usize> = (0..n).collect();
        idx.shuffle(&mut ChaCha8Rng::seed_from_u64(derive_seed(&[seed, 0xE90C, epoch as u64])));
        idx
    };
    let start = step * batch_size;
    let mut out = Vec::with_capacity(batch_size);
    let mut epoch = start / n;
    let mut current = order(epoch);
    for k in start..start + batch_size {
        if k / n != epoch {
            epoch = k / n;
            current = order(epoch);
        }
        out.push(items[current[k % n]].clone());
    }
    out
}

/// Mean loss of `examples` under a model in evaluation mode, in chunks.
pub fn mean_prm_loss(model: &RewardModel, examples: &[PrmExample], device: &Device) -> f64 {
    let model = model.valid();
    let device = device.clone().inner();
    let (mut total, mut weight) = (0.0f64, 0usize);
    for chunk in examples.chunks(64) {
        let batch = Batch::reward_model(chunk, &device);
        let loss: f32 = prm_loss(&model, &batch).into_scalar();
        total += loss as f64 * batch.targets as f64;
        weight += batch.targets;
    }
    total / weight.max(1) as f64
}

/// Training FLOPs by the usual estimate: 6 × parameters × tokens.
pub fn training_flops(parameters: usize, tokens: u64) -> f64 {
    6.0 * parameters as f64 * tokens as f64
}
