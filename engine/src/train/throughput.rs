//! Training throughput: tokens per second of the very step `ponder train` runs (the LM loss,
//! backward, AdamW with clipping, through [`fit`]), for the benchmark's side-by-side with a
//! PyTorch loop over the same architecture and the same batches.

use super::{Batch, LmExample, Schedule, TrainError, TrainObserver, fit, lm_loss};
use crate::infer::CancelToken;
use crate::model::{LanguageModel, ModelConfig};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainThroughput {
    /// Steps timed (after the warm-up ones).
    pub steps: usize,
    /// Real (unpadded) tokens run through the model in the timed steps.
    pub tokens: u64,
    pub seconds: f64,
    pub tokens_per_second: f64,
}

/// Clocks the steps after the first `warmup` (which pay for allocation and autotuning).
struct Clock {
    warmup: u64,
    started: Option<Instant>,
    ended: Option<Instant>,
    total: u64,
}

impl TrainObserver for Clock {
    fn begin(&mut self, _: &str, total: u64, _: u64) {
        self.total = total;
        if self.warmup == 0 {
            self.started = Some(Instant::now());
        }
    }
    fn advance(&mut self, done: u64, _: &str) {
        if done == self.warmup {
            self.started = Some(Instant::now());
        }
        if done == self.total {
            self.ended = Some(Instant::now());
        }
    }
    fn message(&mut self, _: &str) {}
    fn end(&mut self) {}
}

/// Trains a fresh `config` model on `batches` in order (the first `warmup` untimed) on
/// `device` (an autodiff device) and reports the timed steps' throughput.
pub fn train_throughput(config: &ModelConfig, batches: &[Vec<LmExample>], warmup: usize, device: &Device) -> Result<TrainThroughput, TrainError> {
    if batches.len() <= warmup {
        return Err(TrainError::Invalid(format!("{} batches leave none to time after {warmup} warm-up steps", batches.len())));
    }
    if let Some(e) = batches.iter().flatten().find(|e| e.tokens.len() > config.max_len) {
        return Err(TrainError::Invalid(format!("a training sequence of {} tokens exceeds the model's context of {}", e.tokens.len(), config.max_len)));
    }
    let schedule = Schedule {
        steps: batches.len(),
        batch_size: batches[0].len(),
        learning_rate: 1e-3,
        warmup_steps: 1,
        final_lr_fraction: 0.1,
        weight_decay: 0.01,
        seed: 0,
        restart: None,
    };
    let mut clock = Clock { warmup: warmup as u64, started: None, ended: None, total: 0 };
    let model = LanguageModel::init(config, device);
    let batch_for = |step: usize, _: &_| Batch::language_model(&batches[step], device);
    fit(model, &schedule, "throughput", None, batch_for, lm_loss, None, None, &mut clock, &CancelToken::new())?;
    let (Some(started), Some(ended)) = (clock.started, clock.ended) else {
        return Err(TrainError::Invalid("the timed steps did not run".into()));
    };
    let tokens: u64 = batches[warmup..].iter().flat_map(|b| b.iter().map(|e| e.tokens.len().saturating_sub(1) as u64)).sum();
    let seconds = (ended - started).as_secs_f64();
    Ok(TrainThroughput { steps: batches.len() - warmup, tokens, seconds, tokens_per_second: tokens as f64 / seconds.max(1e-9) })
}
