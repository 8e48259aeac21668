//! The training loop shared by every model: AdamW with warm-up and cosine decay, gradient
//! clipping, checkpoints that resume exactly (weights, optimiser state, step and data
//! position), and optional early stopping on a validation loss.

use super::TrainError;
use super::batch::Batch;
use crate::infer::CancelToken;
use crate::model::weights;
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::store::ModuleSnapshot;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Optimiser settings and the length of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub steps: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub warmup_steps: usize,
    /// The learning rate decays to this fraction of its peak by the last step.
    pub final_lr_fraction: f64,
    pub weight_decay: f32,
    pub seed: u64,
    /// A run continued from finished weights with a fresh optimiser (see [`Restart`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<Restart>,
}

/// Continuing a finished model with a fresh AdamW, whose first updates are about the
/// learning rate in size for every parameter: the schedule's rate ramps up again from zero
/// over `warmup_steps`, starting at `from_step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restart {
    pub from_step: usize,
    pub warmup_steps: usize,
}

impl Schedule {
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        let ramp = match self.restart {
            Some(r) if step >= r.from_step => ((step - r.from_step + 1) as f64 / r.warmup_steps.max(1) as f64).min(1.0),
            _ => 1.0,
        };
        if step < self.warmup_steps {
            return ramp * self.learning_rate * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = (self.steps.saturating_sub(self.warmup_steps)).max(1) as f64;
        let progress = ((step - self.warmup_steps) as f64 / span).min(1.0);
        let floor = self.learning_rate * self.final_lr_fraction;
        ramp * (floor + (self.learning_rate - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()))
    }
}

/// Hears how training goes; the CLI draws progress bars from it.
pub trait TrainObserver {
    /// A phase begins: `total` units (steps, samples), `done` of them already done (resume).
    fn begin(&mut self, label: &str, total: u64, done: u64);
    fn advance(&mut self, done: u64, info: &str);
    fn message(&mut self, text: &str);
    fn end(&mut self);
}

/// An observer that ignores everything (tests).
pub struct Quiet;
impl TrainObserver for Quiet {
    fn begin(&mut self, _: &str, _: u64, _: u64) {}
    fn advance(&mut self, _: u64, _: &str) {}
    fn message(&mut self, _: &str) {}
    fn end(&mut self) {}
}

/// Where a run keeps its checkpoint, and how often it writes one.
#[derive(Clone, Debug)]
pub struct Checkpoints {
    pub dir: PathBuf,
    pub every: usize,
}

/// Early stopping: every `every` steps the validation loss is computed; training stops after
/// `patience` checks without improvement and the best weights are returned.
pub struct Validation<'a, M> {
    pub every: usize,
    pub patience: usize,
    pub loss: Box<dyn FnMut(&M) -> f64 + 'a>,
}

/// What a finished (or resumed and finished) run did, summed over every resume.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Fingerprint of the settings; a checkpoint only resumes the run it came from.
    pub fingerprint: String,
    pub step: usize,
    pub tokens: u64,
    pub target_tokens: u64,
    pub seconds: f64,
    /// (step, mean training loss over the last interval).
    pub loss_history: Vec<(usize, f64)>,
    /// (step, validation loss).
    pub validation: Vec<(usize, f64)>,
    pub best_step: Option<usize>,
    pub stale_checks: usize,
    pub stopped_early: bool,
    pub resumed: usize,
}

impl Progress {
    pub fn final_loss(&self) -> Option<f64> {
        self.loss_history.last().map(|l| l.1)
    }
    pub fn best_validation(&self) -> Option<f64> {
        self.validation.iter().map(|v| v.1).fold(None, |a, b| Some(a.map_or(b, |a: f64| a.min(b))))
    }
}

/// Gives every parameter an id from its position, so a checkpoint's optimiser state (keyed
/// by parameter id) matches a freshly built model on resume.
struct StableIds(u64);
impl ModuleMapper for StableIds {
    fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        self.0 += 1;
        param.id = ParamId::from(self.0);
        param
    }
}

const PROGRESS_FILE: &str = "progress.json";

/// A checkpoint's files carry their step, and `progress.json` (written last, atomically) names
/// the step to resume from: a run killed while saving leaves the previous set whole.
fn model_file(step: usize) -> String {
    format!("model-{step}.safetensors")
}
fn optimizer_file(step: usize) -> String {
    format!("optimizer-{step}.bpk")
}
fn best_file(step: usize) -> String {
    format!("best-{step}.safetensors")
}

/// Removes the step-named files that `keep` does not list (older checkpoints).
fn remove_stale(dir: &Path, keep: &[String]) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let step_named = ["model-", "optimizer-", "best-"].iter().any(|p| name.starts_with(p));
        if step_named && !keep.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint(format!("{}: {e}", path.display()))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io_error(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))
}

fn save_model<M: ModuleSnapshot>(model: &M, path: &Path) -> Result<(), TrainError> {
    let bytes = weights::to_safetensors(model, &path.display().to_string())?;
    write_atomic(path, &bytes)
}

fn load_model<M: Module + ModuleSnapshot>(model: M, path: &Path) -> Result<M, TrainError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    Ok(weights::load_unchecked(model, &path.display().to_string(), bytes)?)
}

/// The outcome: the trained module (the best one under early stopping) and the record.
pub struct Fitted<M> {
    pub model: M,
    pub progress: Progress,
}

/// Trains `model` on the batches `batch_for(step, model)` gives (a pure function of the step
/// and of what it made from the model at earlier steps, so a resumed run sees the same data),
/// minimising `loss`. `continues` is the record of an earlier run that ended with `model`'s weights: without a checkpoint, training goes on from its step
/// (with a fresh optimiser; see [`Restart`]) and the record adds up.
#[allow(clippy::too_many_arguments)]
pub fn fit<M>(
    model: M,
    schedule: &Schedule,
    fingerprint: &str,
    continues: Option<Progress>,
    mut batch_for: impl FnMut(usize, &M) -> Batch,
    loss: impl Fn(&M, &Batch) -> Tensor<1>,
    checkpoints: Option<&Checkpoints>,
    mut validation: Option<Validation<'_, M>>,
    observer: &mut dyn TrainObserver,
    cancel: &CancelToken,
) -> Result<Fitted<M>, TrainError>
where
    M: Module + ModuleSnapshot + Clone,
{
    let mut model = model.map(&mut StableIds(0));
    let mut optimizer: ModuleOptimizer = AdamWConfig::new()
        .with_weight_decay(schedule.weight_decay)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(1.0)))
        .init();
    let mut progress = Progress { fingerprint: fingerprint.to_string(), ..Progress::default() };
    let mut best: Option<(M, f64)> = None;

    if let Some(cp) = checkpoints {
        std::fs::create_dir_all(&cp.dir).map_err(|e| io_error(&cp.dir, e))?;
        let progress_path = cp.dir.join(PROGRESS_FILE);
        if progress_path.exists() {
            let text = std::fs::read_to_string(&progress_path).map_err(|e| io_error(&progress_path, e))?;
            let saved: Progress = serde_json::from_str(&text).map_err(|e| io_error(&progress_path, e))?;
            if saved.fingerprint != fingerprint {
                return Err(TrainError::Checkpoint(format!(
                    "{} holds a checkpoint of a run with other settings; delete it or pass --fresh to start over",
                    cp.dir.display()
                )));
            }
            model = load_model(model, &cp.dir.join(model_file(saved.step)))?;
            let opt_path = cp.dir.join(optimizer_file(saved.step));
            optimizer = optimizer.load(&opt_path).map_err(|e| io_error(&opt_path, format!("{e:?}")))?;
            if let Some(best_step) = saved.best_step {
                let best_model = load_model(model.clone(), &cp.dir.join(best_file(best_step)))?;
                let best_loss = saved.best_validation().unwrap_or(f64::INFINITY);
                best = Some((best_model, best_loss));
            }
            progress = saved;
            progress.resumed += 1;
            observer.message(&format!("resuming from step {} of {} ({})", progress.step, schedule.steps, cp.dir.display()));
        }
    }
    if progress.step == 0
        && let Some(earlier) = continues
    {
        observer.message(&format!("continuing from step {} of {} with a fresh optimiser", earlier.step, schedule.steps));
        progress = Progress { fingerprint: fingerprint.to_string(), stopped_early: false, stale_checks: 0, resumed: earlier.resumed + 1, ..earlier };
    }

    let save = |model: &M, optimizer: &ModuleOptimizer, progress: &Progress, best: &Option<(M, f64)>, best_changed: bool| -> Result<(), TrainError> {
        let Some(cp) = checkpoints else { return Ok(()) };
        save_model(model, &cp.dir.join(model_file(progress.step)))?;
        let opt_path = cp.dir.join(optimizer_file(progress.step));
        optimizer.save(&opt_path).map_err(|e| io_error(&opt_path, format!("{e:?}")))?;
        if best_changed && let (Some((b, _)), Some(step)) = (best, progress.best_step) {
            save_model(b, &cp.dir.join(best_file(step)))?;
        }
        let json = serde_json::to_vec_pretty(progress).expect("progress serialises");
        write_atomic(&cp.dir.join(PROGRESS_FILE), &json)?;
        let mut keep = vec![model_file(progress.step), optimizer_file(progress.step)];
        keep.extend(progress.best_step.map(best_file));
        remove_stale(&cp.dir, &keep);
        Ok(())
    };

    observer.begin("training", schedule.steps as u64, progress.step as u64);
    let started = Instant::now();
    let seconds_before = progress.seconds;
    let tokens_before = progress.tokens;
    let (mut interval_loss, mut interval_n) = (0.0f64, 0usize);
    // A new best model is written with the next checkpoint, so files never run ahead of it.
    let mut best_dirty = false;
    while progress.step < schedule.steps && !progress.stopped_early {
        if cancel.is_cancelled() {
            progress.seconds = seconds_before + started.elapsed().as_secs_f64();
            save(&model, &optimizer, &progress, &best, false)?;
            observer.end();
            return Err(TrainError::Cancelled { step: progress.step });
        }
        let step = progress.step;
        let batch = batch_for(step, &model);
        let loss_value = loss(&model, &batch);
        let value: f32 = loss_value.clone().into_scalar();
        if !value.is_finite() {
            return Err(TrainError::Diverged { step, loss: value });
        }
        let grads = GradientsParams::from_grads(loss_value.backward(), &model);
        model = optimizer.step(schedule.learning_rate_at(step), model, grads);
        progress.step += 1;
        progress.tokens += batch.tokens_in as u64;
        progress.target_tokens += batch.targets as u64;
        interval_loss += value as f64;
        interval_n += 1;
        let elapsed = started.elapsed().as_secs_f64();
        progress.seconds = seconds_before + elapsed;
        let tps = (progress.tokens - tokens_before) as f64 / elapsed.max(1e-9);
        observer.advance(progress.step as u64, &format!("loss {value:.4} · {:.1}k tok/s", tps / 1000.0));

        let log_every = (schedule.steps / 50).max(1);
        if progress.step.is_multiple_of(log_every) || progress.step == schedule.steps {
            progress.loss_history.push((progress.step, interval_loss / interval_n as f64));
            (interval_loss, interval_n) = (0.0, 0);
        }
        if let Some(v) = validation.as_mut()
            && (progress.step.is_multiple_of(v.every) || progress.step == schedule.steps)
        {
            let val = (v.loss)(&model);
            progress.validation.push((progress.step, val));
            if best.as_ref().is_none_or(|b| val < b.1) {
                best = Some((model.clone(), val));
                progress.best_step = Some(progress.step);
                progress.stale_checks = 0;
                best_dirty = true;
            } else {
                progress.stale_checks += 1;
                if progress.stale_checks >= v.patience {
                    progress.stopped_early = true;
                    observer.message(&format!("early stop at step {}: no improvement in {} checks", progress.step, v.patience));
                }
            }
        }
        if let Some(cp) = checkpoints
            && (progress.step.is_multiple_of(cp.every) || progress.step == schedule.steps || progress.stopped_early)
        {
            save(&model, &optimizer, &progress, &best, best_dirty)?;
            best_dirty = false;
        }
    }
    observer.end();
    let model = match best {
        Some((b, _)) => b,
        None => model,
    };
    Ok(Fitted { model, progress })
}
