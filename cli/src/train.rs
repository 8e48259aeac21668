//! `ponder train`: trains the generator (which is also the revision model), its larger
//! sibling and the PRM (soft and hard labels), writes safetensors and the manifest, and resumes
//! from checkpoints.

use crate::progress::Bars;
use crate::weights_dir;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use engine::infer::CancelToken;
use engine::model::weights::{self, MANIFEST_FILE, Role};
use engine::model::{LanguageModel, ModelConfig, RewardModel};
use engine::task::{ArithmeticChain, Task};
use engine::train::prm_data::{self, PrmDataConfig};
use engine::train::{self, Batch, Checkpoints, Fitted, OnPolicy, OwnAttempts, PrmExample, Schedule, Validation};
use engine::Device;
use burn::module::Module;
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum What {
    Generator,
    Large,
    /// Every verifier: the PRM, its hard-label variant and the larger verifier (where a large
    /// model is at hand), from one set of PRM data.
    Prm,
    /// The larger verifier alone (a PRM on the large model's body), from the same PRM data.
    PrmLarge,
    /// All of them in order, then `ponder eval` to record the numbers in the manifest.
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// The shipped models.
    Full,
    /// A few seconds per model: checks the pipeline end to end (CI).
    Smoke,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TrainBackend {
    /// burn's CPU backend (flex) with autodiff: the fastest here (see README).
    Cpu,
    /// wgpu with autodiff.
    Wgpu,
}

#[derive(Args)]
pub struct TrainArgs {
    /// Which model to train.
    #[arg(value_enum)]
    pub what: What,
    /// Folder for the weights and manifest.json.
    #[arg(long, default_value = "public/models")]
    pub out: PathBuf,
    /// Folder for resumable checkpoints (one subfolder per model).
    #[arg(long, default_value = "train-checkpoints")]
    pub checkpoints: PathBuf,
    /// Discard existing checkpoints and start over.
    #[arg(long)]
    pub fresh: bool,
    #[arg(long, value_enum, default_value_t = Scale::Full)]
    pub scale: Scale,
    #[arg(long, value_enum, default_value_t = TrainBackend::Cpu)]
    pub backend: TrainBackend,
    /// Seed of the data and the initialisation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Override the number of optimiser steps (1–1,000,000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub steps: Option<u64>,
    /// Override the peak learning rate of the warm-up and cosine schedule (1e-6 to 1).
    #[arg(long, value_parser = learning_rate)]
    pub learning_rate: Option<f64>,
    /// Rollouts per step prefix for the PRM's soft labels (1–64).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub rollouts: Option<u64>,
    /// Continue the generator or large model already in --out from the step its manifest
    /// records, on the same data stream, to --steps (default: the full plan). The optimiser
    /// starts fresh, so its learning rate ramps up again over the first steps.
    #[arg(long)]
    pub continue_shipped: bool,
}

const GENERATOR_STEPS: usize = 10_000;
/// From this share of a language model's steps on, the earlier attempts of its retry
/// trajectories are its own samples, made anew every `OWN_ATTEMPTS_EVERY` steps.
const OWN_ATTEMPTS_FROM: f64 = 0.25;
const OWN_ATTEMPTS_EVERY: usize = 500;
/// Training problems and samples per problem of one pool of own attempts.
const OWN_ATTEMPTS_SHAPE: (usize, usize) = (1536, 4);
/// Steps over which a continued run's learning rate ramps up again (see `Restart`).
const CONTINUE_WARMUP: usize = 100;
const GENERATOR_BATCH: usize = 64;

/// Per-model settings at a scale.
struct Plan {
    schedule: Schedule,
    prm_data: PrmDataConfig,
}

fn plan(what: Role, a: &TrainArgs) -> Plan {
    let smoke = a.scale == Scale::Smoke;
    let (steps, batch_size, lr) = match (what, smoke) {
        (_, true) => (3, 8, 1e-3),
        (Role::Generator, false) => (GENERATOR_STEPS, GENERATOR_BATCH, 3e-3),
        // The generator's very batches and steps: the same data and token count (the
        // FLOPs-matched comparison reads both). The previous large model took them four to a
        // step and ended at a higher loss than the generator; the peak rate is the generator's
        // scaled by its width over this one's.
        (Role::Large, false) => (GENERATOR_STEPS, GENERATOR_BATCH, 1e-3),
        // Only the PRM's head trains (its body is the generator's, frozen), hence the high rate.
        (Role::Prm | Role::PrmHard | Role::PrmLarge, false) => (1500, 32, 5e-3),
        (Role::Revision, false) => unreachable!("the generator is the revision model"),
    };
    let steps = a.steps.map(|s| s as usize).unwrap_or(steps);
    let lr = a.learning_rate.unwrap_or(lr);
    Plan {
        schedule: cosine_schedule(steps, batch_size, lr, a.seed),
        prm_data: PrmDataConfig {
            problems: if smoke { 4 } else { 1000 },
            samples_per_problem: if smoke { 2 } else { 4 },
            rollouts: a.rollouts.map(|r| r as usize).unwrap_or(if smoke { 2 } else { 8 }),
            seed: a.seed,
        },
    }
}

/// Every run's schedule: a short warm-up, then cosine decay to a tenth of the peak.
fn cosine_schedule(steps: usize, batch_size: usize, learning_rate: f64, seed: u64) -> Schedule {
    Schedule {
        steps,
        batch_size,
        learning_rate,
        warmup_steps: (steps / 20).clamp(1, 100),
        final_lr_fraction: 0.1,
        weight_decay: 0.01,
        seed,
        restart: None,
    }
}

fn learning_rate(text: &str) -> Result<f64, String> {
    let lr: f64 = text.parse().map_err(|_| format!("'{text}' is not a number"))?;
    if !(1e-6..=1.0).contains(&lr) {
        return Err(format!("{lr} is outside 1e-6 to 1"));
    }
    Ok(lr)
}

fn devices(backend: TrainBackend) -> Result<(Device, String)> {
    Ok(match backend {
        TrainBackend::Cpu => (Device::flex(), "cpu (burn flex + autodiff)".to_string()),
        TrainBackend::Wgpu => {
            let (d, info) = engine::backend::wgpu()?;
            (d, format!("wgpu {} + autodiff", info.adapter))
        }
    })
}

/// Writes a model's weights and its manifest entry, and says so.
fn ship<M: burn::store::ModuleSnapshot>(out: &Path, role: Role, config: &ModelConfig, model: &M, training: serde_json::Value) -> Result<()> {
    let (path, bytes) = weights_dir::save_model(out, role, config, model, training)?;
    println!("wrote {} ({:.2} MB, sha256 {}…)", path.display(), bytes.len() as f64 / 1e6, &weights::sha256_hex(&bytes)[..12]);
    Ok(())
}

/// Loads the trained generator from `out` (the PRM data and the PRM start from it).
fn trained_generator(out: &Path, device: &Device) -> Result<(LanguageModel, ModelConfig)> {
    trained_language_model(out, Role::Generator, device)?.with_context(|| format!("no generator in {}: train it first (ponder train generator)", out.display()))
}

/// Loads `role`'s trained language model from `out`, if it lists one.
fn trained_language_model(out: &Path, role: Role, device: &Device) -> Result<Option<(LanguageModel, ModelConfig)>> {
    let manifest = weights_dir::read_manifest(out)?.with_context(|| format!("no {} in {}: train the generator first (ponder train generator)", MANIFEST_FILE, out.display()))?;
    weights_dir::listed_language_model(out, &manifest, role, device)
}

/// The checkpoint folder of one run (`name`: the model's role, or a continuation of it).
fn checkpoint_dir(a: &TrainArgs, name: &str) -> Result<Checkpoints> {
    let dir = a.checkpoints.join(name);
    if a.fresh && dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    Ok(Checkpoints { dir, every: if a.scale == Scale::Smoke { 2 } else { 100 } })
}

fn fingerprint(role: Role, plan: &Plan, extra: &str) -> String {
    format!("{}:{}:{extra}", role.name(), serde_json::to_string(&plan.schedule).unwrap_or_default())
}

fn record(p: &train::Progress, schedule: &Schedule, parameters: usize, backend: &str) -> serde_json::Value {
    json!({
        "steps": p.step,
        "batch_size": schedule.batch_size,
        "learning_rate": schedule.learning_rate,
        "seed": schedule.seed,
        "tokens": p.tokens,
        "target_tokens": p.target_tokens,
        "flops": train::training_flops(parameters, p.tokens),
        "wall_seconds": (p.seconds * 10.0).round() / 10.0,
        "machine": crate::host::machine(),
        "backend": backend,
        "final_loss": p.final_loss(),
        "best_validation_loss": p.best_validation(),
        "best_step": p.best_step,
        "stopped_early": p.stopped_early,
        "resumed": p.resumed,
        "loss_history": p.loss_history,
    })
}

pub fn train(a: TrainArgs, cancel: CancelToken) -> Result<()> {
    let order: Vec<Role> = match a.what {
        What::Generator => vec![Role::Generator],
        What::Large => vec![Role::Large],
        What::Prm => vec![Role::Prm],
        What::PrmLarge => vec![Role::PrmLarge],
        What::All => vec![Role::Generator, Role::Large, Role::Prm],
    };
    if a.continue_shipped && !matches!(a.what, What::Generator | What::Large) {
        bail!("--continue-shipped continues one language model: ponder train generator|large --continue-shipped");
    }
    let (device, backend) = devices(a.backend)?;
    println!("training on {backend} · {}", crate::host::machine());
    for role in order {
        match role {
            Role::Generator | Role::Large => train_language_model(&a, role, &device, &backend, &cancel)?,
            Role::Prm | Role::PrmHard => train_prm(&a, &[Role::Prm, Role::PrmHard, Role::PrmLarge], &device, &backend, &cancel)?,
            Role::PrmLarge => train_prm(&a, &[Role::PrmLarge], &device, &backend, &cancel)?,
            Role::Revision => unreachable!("the generator is the revision model"),
        }
    }
    if a.what == What::All {
        let smoke = a.scale == Scale::Smoke;
        let args = crate::eval::EvalArgs {
            models: a.out.clone(),
            quick: false,
            json: false,
            write_manifest: true,
            backend: crate::models::Backend::Cpu,
            problems: smoke.then_some(1),
            samples: smoke.then_some(2),
        };
        crate::eval::eval(args, cancel)?;
    }
    Ok(())
}

fn train_language_model(a: &TrainArgs, role: Role, device: &Device, backend: &str, cancel: &CancelToken) -> Result<()> {
    let vocab = ArithmeticChain.tokenizer().vocab_size();
    let config = role.default_config(vocab);
    let mut plan = plan(role, a);
    let ad = device.clone().autodiff();
    ad.seed(plan.schedule.seed);
    // A continuation keeps its own checkpoint folder: the original run's is another run.
    let (model, continues, fingerprint, run_name) = if a.continue_shipped {
        let (model, earlier) = shipped_run(a, role, &config, &plan.schedule, &ad)?;
        let from_step = earlier.progress.step;
        // Unless told otherwise, go on at the rate the shipped run ended at, down the plan's
        // cosine, so the jump is only the fresh optimiser's. The plan's own rate at that step
        // (6.9e-4 for the large model at step 1,650 of 2,500) cost more skill at first and was
        // not clearly better by the end (README, "Training").
        if a.learning_rate.is_none() {
            plan.schedule.learning_rate *= earlier.final_learning_rate / plan.schedule.learning_rate_at(from_step);
        }
        let warmup_steps = if a.scale == Scale::Smoke { 1 } else { CONTINUE_WARMUP };
        plan.schedule.restart = Some(train::Restart { from_step, warmup_steps });
        let fingerprint = fingerprint(role, &plan, &format!("continues {}", earlier.sha256));
        (model, Some(earlier), fingerprint, format!("{}-continued", role.name()))
    } else {
        let room = ModelConfig { max_len: train::corpus::training_len(&config), ..config.clone() };
        (LanguageModel::init(&room, &ad), None, fingerprint(role, &plan, train::corpus::DATA_STREAM), role.name().to_string())
    };
    let s = plan.schedule.clone();
    let params = config.lm_params();
    println!("\n{}: {} parameters, {} steps × {} problems", role.name(), params, s.steps, s.batch_size);
    let mut bars = Bars::new();
    let checkpoints = checkpoint_dir(a, &run_name)?;
    let mut own = OwnAttemptsPool::new(&checkpoints.dir, &s, a.scale, &config, device);
    let fitted = train::fit(
        model,
        &s,
        &fingerprint,
        continues.as_ref().map(|c| c.progress.clone()),
        |step, model: &LanguageModel| {
            own.refresh(step, model, cancel);
            Batch::language_model(&train::corpus::generator_batch(s.seed, step, s.batch_size, own.current()), &ad)
        },
        train::lm_loss,
        Some(&checkpoints),
        None,
        &mut bars,
        cancel,
    )?;
    report(role, &fitted.progress);
    let mut rec = record(&fitted.progress, &s, params, backend);
    rec["data"] = own.record();
    if let (Some(c), Some(r)) = (&continues, s.restart) {
        rec["continued_from"] = json!({
            "step": r.from_step,
            "sha256": c.sha256,
            "optimizer": "fresh",
            "warmup_steps": r.warmup_steps,
            "shipped_final_learning_rate": c.final_learning_rate,
        });
    }
    ship(&a.out, role, &config, &fitted.model.valid(), rec)?;
    if role == Role::Generator {
        // The generator learnt its retries from the first step: it is the revision model too,
        // the same file read with room for four earlier attempts.
        let r_config = Role::Revision.default_config(vocab);
        weights_dir::alias_entry(&a.out, Role::Revision, Role::Generator, &r_config)?;
        println!("revision: the generator's weights, with room for {} positions", r_config.max_len);
    }
    Ok(())
}

/// The pool of a language model's own attempts its retry trajectories read, made anew from the
/// model every `OWN_ATTEMPTS_EVERY` steps once it makes realistic errors, and kept beside the
/// checkpoint so a resumed run reads the same one.
struct OwnAttemptsPool<'a> {
    dir: PathBuf,
    from: usize,
    shape: (usize, usize),
    seed: u64,
    config: ModelConfig,
    device: &'a Device,
    current: Option<OwnAttempts>,
    /// (step, samples, share wrong, tokens generated, seconds) of every pool made or read.
    made: Vec<(usize, usize, f64, u64, f64)>,
}

impl<'a> OwnAttemptsPool<'a> {
    const FILE: &'static str = "own-attempts.json";

    fn new(dir: &Path, s: &Schedule, scale: Scale, config: &ModelConfig, device: &'a Device) -> Self {
        let smoke = scale == Scale::Smoke;
        OwnAttemptsPool {
            dir: dir.to_path_buf(),
            from: if smoke { 1 } else { (s.steps as f64 * OWN_ATTEMPTS_FROM) as usize },
            shape: if smoke { (4, 2) } else { OWN_ATTEMPTS_SHAPE },
            seed: s.seed,
            config: config.clone(),
            device,
            current: None,
            made: Vec::new(),
        }
    }

    /// The step whose pool is in use at `step`, if any.
    fn due(&self, step: usize) -> Option<usize> {
        (step >= self.from).then(|| self.from + (step - self.from) / OWN_ATTEMPTS_EVERY * OWN_ATTEMPTS_EVERY)
    }

    fn refresh(&mut self, step: usize, model: &LanguageModel, cancel: &CancelToken) {
        let Some(due) = self.due(step) else { return };
        if self.current.as_ref().is_some_and(|c| c.made_at_step == due) {
            return;
        }
        let path = self.dir.join(Self::FILE);
        let started = std::time::Instant::now();
        let saved = match std::fs::read(&path).map(|b| serde_json::from_slice::<OwnAttempts>(&b)) {
            Ok(Ok(p)) => Some(p).filter(|p| p.made_at_step == due),
            Ok(Err(e)) => {
                eprintln!("{}: not a pool of own attempts ({e}); sampling it again", path.display());
                None
            }
            Err(_) => None,
        };
        let pool = match saved {
            Some(p) => p,
            None => {
                let generator = model.valid();
                let mut quiet = train::Quiet;
                let mut source = OnPolicy { generator: &generator, config: &self.config, device: self.device, observer: &mut quiet, cancel };
                let (count, samples) = self.shape;
                // A failed or stopped sampling leaves the made attempts of the last pool in use
                // (training goes on; Ctrl-C stops it at the next step).
                match pollster::block_on(OwnAttempts::sample(&mut source, (count, samples, self.seed, due))) {
                    Ok(p) => {
                        // Unsaved, a resumed run would sample the pool again from later weights.
                        let saved = serde_json::to_vec(&p).map_err(anyhow::Error::from).and_then(|bytes| weights_dir::write_atomic(&path, &bytes));
                        if let Err(e) = saved {
                            eprintln!("own attempts at step {due}: not saved ({e:#}); a resumed run would not read the same pool");
                        }
                        p
                    }
                    Err(e) => {
                        eprintln!("own attempts at step {due}: {e}; keeping the last pool");
                        return;
                    }
                }
            }
        };
        let samples = pool.problems.iter().map(|p| p.right.len() + p.wrong.len()).sum();
        self.made.push((due, samples, pool.wrong_share(), pool.tokens_generated, started.elapsed().as_secs_f64()));
        self.current = Some(pool);
    }

    fn current(&self) -> Option<&OwnAttempts> {
        self.current.as_ref()
    }

    fn record(&self) -> serde_json::Value {
        json!({
            "distribution": "the first generation's narrow level draws alone for the first narrow_steps, then narrow_share of them and the rest chains of 1-8 operations: a core of operands up to 99 and multipliers up to 12 (core_share), the rest over everything the parser accepts; never a reserved problem (task::arithmetic::{NARROW_DRAWS, training_shape}, task::heldout::is_reserved)",
            "data_stream": train::corpus::DATA_STREAM,
            "narrow_steps": train::corpus::NARROW_STEPS,
            "narrow_share": train::corpus::NARROW_SHARE,
            "core_share": train::corpus::CORE_SHARE,
            "retry_share": train::corpus::RETRY_SHARE,
            "right_attempt_share": train::corpus::RIGHT_ATTEMPT_SHARE,
            "tokens_per_batch": train::corpus::TOKENS_PER_EXAMPLE,
            "own_attempts_from_step": self.from,
            "own_attempts_every": OWN_ATTEMPTS_EVERY,
            "own_attempts_problems_samples": [self.shape.0, self.shape.1],
            "own_attempts": self.made.iter().map(|(step, n, wrong, tokens, secs)| json!({"step": step, "samples": n, "wrong_share": (wrong * 1000.0).round() / 1000.0, "generated_tokens": tokens, "seconds": (secs * 10.0).round() / 10.0})).collect::<Vec<_>>(),
        })
    }
}

/// A shipped model and the record of the run that made it, for `--continue-shipped`.
struct ShippedRun {
    progress: train::Progress,
    sha256: String,
    /// The learning rate of its last step.
    final_learning_rate: f64,
}

/// Loads `role`'s shipped weights from `--out` and checks that its run can go on under
/// `schedule`: the same batch size and seed (so the same data stream from where it stopped),
/// and fewer steps done than planned.
fn shipped_run(a: &TrainArgs, role: Role, config: &ModelConfig, schedule: &Schedule, device: &Device) -> Result<(LanguageModel, ShippedRun)> {
    let manifest = weights_dir::read_manifest(&a.out)?.with_context(|| format!("--continue-shipped: no {} in {}", MANIFEST_FILE, a.out.display()))?;
    let entry = manifest.entry(role)?.clone();
    if &entry.config != config {
        bail!("--continue-shipped: the shipped {} has another shape than this version trains ({:?})", role.name(), entry.config);
    }
    let training = entry.training.clone().with_context(|| format!("--continue-shipped: the manifest has no training record for {}", role.name()))?;
    let missing = |key: &str| format!("--continue-shipped: the {} record has no {key}", role.name());
    let number = |key: &str| training[key].as_f64().with_context(|| missing(key));
    let count = |key: &str| training[key].as_u64().with_context(|| missing(key));
    let done = count("steps")? as usize;
    for (key, planned) in [("batch_size", schedule.batch_size as u64), ("seed", schedule.seed)] {
        let shipped = count(key)?;
        if shipped != planned {
            bail!("--continue-shipped: the shipped {} was trained with {key} {shipped}, this run plans {planned}; continuing would change its data", role.name());
        }
    }
    if done >= schedule.steps {
        bail!("--continue-shipped: the shipped {} already ran {done} steps of {}; pass --steps above {done}", role.name(), schedule.steps);
    }
    let progress = train::Progress {
        step: done,
        tokens: count("tokens")?,
        target_tokens: count("target_tokens")?,
        seconds: number("wall_seconds")?,
        loss_history: serde_json::from_value(training["loss_history"].clone()).context("--continue-shipped: reading the loss history")?,
        resumed: training["resumed"].as_u64().unwrap_or(0) as usize,
        ..train::Progress::default()
    };
    let model = weights_dir::language_model(&a.out, role, &entry, device)?.with_max_len(train::corpus::training_len(config), device);
    // The shipped run's own schedule (this version's shape, its steps and peak), at its end.
    let final_learning_rate = cosine_schedule(done, schedule.batch_size, number("learning_rate")?, schedule.seed).learning_rate_at(done.saturating_sub(1));
    Ok((model, ShippedRun { progress, sha256: entry.sha256.clone(), final_learning_rate }))
}

fn report(role: Role, p: &train::Progress) {
    println!(
        "{}: {} steps, {:.2}M tokens in {:.0} s ({:.1}k tokens/s), final loss {:.4}{}",
        role.name(),
        p.step,
        p.tokens as f64 / 1e6,
        p.seconds,
        p.tokens as f64 / p.seconds.max(1e-9) / 1000.0,
        p.final_loss().unwrap_or(f64::NAN),
        p.best_validation().map(|v| format!(", best validation loss {v:.4} at step {}", p.best_step.unwrap_or(0))).unwrap_or_default()
    );
}

/// Data built once and kept beside the checkpoints, with the seconds its building took (so a
/// run that reuses it still records them).
#[derive(serde::Serialize, serde::Deserialize)]
struct Cached<T> {
    seconds: f64,
    data: T,
}

/// The data cached at `path` (in the checkpoint folder, so a resumed run does not regenerate
/// it), or built and cached now; with the seconds its building took.
fn cached<T: serde::Serialize + serde::de::DeserializeOwned>(path: &Path, build: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    if let Ok(text) = std::fs::read_to_string(path)
        && let Ok(c) = serde_json::from_str::<Cached<T>>(&text)
    {
        println!("reusing {} (built in {:.0} s)", path.display(), c.seconds);
        return Ok((c.data, c.seconds));
    }
    let started = std::time::Instant::now();
    let data = build()?;
    let c = Cached { seconds: started.elapsed().as_secs_f64(), data };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, serde_json::to_vec(&c)?).with_context(|| format!("writing {}", path.display()))?;
    Ok((c.data, c.seconds))
}

/// Trains the verifiers among `roles` on one set of PRM data (built, or reused from the cache).
fn train_prm(a: &TrainArgs, roles: &[Role], device: &Device, backend: &str, cancel: &CancelToken) -> Result<()> {
    let plan = plan(Role::Prm, a);
    let (generator, g_config) = trained_generator(&a.out, device)?;
    let data_dir = a.checkpoints.join("prm_data");
    if a.fresh && data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    let data_path = data_dir.join(format!("{}.json", serde_json::to_string(&plan.prm_data)?.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>()));
    let mut bars = Bars::new();
    let (data, data_seconds) = cached(&data_path, || {
        let mut source = OnPolicy { generator: &generator, config: &g_config, device, observer: &mut bars, cancel };
        Ok(pollster::block_on(prm_data::build(&mut source, &plan.prm_data))?)
    })?;
    let n_val = (plan.prm_data.problems / 10).max(1);
    let split = |hard: bool| -> (Vec<PrmExample>, Vec<PrmExample>) {
        // Within the verifier's context (the generator's: rows of earlier builds could run one
        // token past it).
        let pick = |s: &prm_data::PrmSample| if hard { s.hard.clone() } else { s.soft.clone() }.within(g_config.max_len);
        (
            data.samples.iter().filter(|s| s.problem >= n_val).map(pick).collect(),
            data.samples.iter().filter(|s| s.problem < n_val).map(pick).collect(),
        )
    };
    let labelled_steps: usize = data.samples.iter().map(|s| s.soft.targets.len()).sum();
    println!(
        "PRM data: {} samples of {} problems, {} labelled steps, {} rollouts ({:.0} s)",
        data.samples.len(),
        plan.prm_data.problems,
        labelled_steps,
        data.rollouts_run,
        data_seconds
    );
    // The same-size PRM (soft labels, and hard as a variant) on the generator's body, and the
    // larger verifier on the large model's body where one is trained.
    let verifiers = [(Role::Prm, false, Role::Generator), (Role::PrmHard, true, Role::Generator), (Role::PrmLarge, false, Role::Large)];
    for (role, hard, body_role) in verifiers.into_iter().filter(|(role, _, _)| roles.contains(role)) {
        let (train_set, val_set) = split(hard);
        let s = plan.schedule.clone();
        let ad = device.clone().autodiff();
        ad.seed(s.seed);
        // The study starts its PRM from the base model: here, from a language model (body and
        // head), kept frozen: training fits the scalar head and the likelihood's weight.
        // Fine-tuning the body too (at 5e-4 or 1e-4) made the PRM rank the samples of one
        // problem worse (within-problem AUROC 0.72-0.74 against 0.82, `ponder eval --quick`).
        let Some((base, config)) = trained_language_model(&a.out, body_role, &ad)? else {
            println!("\n{}: skipped, {} has no {} model to build it on (ponder train {})", role.name(), a.out.display(), body_role.name(), body_role.name());
            continue;
        };
        let (body, lm_head) = base.into_parts();
        let model = RewardModel::from_language_model(body.no_grad(), lm_head.no_grad(), &config, &ad);
        println!("\n{}: {} train / {} validation samples, {} steps max, on the {} model's body", role.name(), train_set.len(), val_set.len(), s.steps, body_role.name());
        let validation = Validation { every: (s.steps / 15).max(1), patience: 3, loss: Box::new(|m: &RewardModel| train::mean_prm_loss(m, &val_set, &ad)) };
        let fitted: Fitted<RewardModel> = train::fit(
            model,
            &s,
            &fingerprint(role, &plan, &data_path.display().to_string()),
            None,
            |step, _: &RewardModel| Batch::reward_model(&train::epoch_batch(&train_set, s.seed, step, s.batch_size), &ad),
            train::prm_loss,
            Some(&checkpoint_dir(a, role.name())?),
            Some(validation),
            &mut bars,
            cancel,
        )?;
        report(role, &fitted.progress);
        let mut rec = record(&fitted.progress, &s, config.prm_params(), backend);
        // Only the head trains: the frozen body runs forward only (2 FLOPs per parameter and token).
        rec["flops"] = json!(2.0 * config.prm_params() as f64 * fitted.progress.tokens as f64);
        rec["data"] = json!({
            "labels": if hard { "hard: the exact checker's verdict per step" } else { "soft: fraction of Monte-Carlo rollouts reaching the right answer" },
            "problems": plan.prm_data.problems,
            "samples_per_problem": plan.prm_data.samples_per_problem,
            "rollouts_per_step": plan.prm_data.rollouts,
            "samples": data.samples.len(),
            "labelled_steps": labelled_steps,
            "generated_tokens": data.tokens_generated,
            "data_seconds": (data_seconds * 10.0).round() / 10.0,
            "validation_problems": n_val,
        });
        if role == Role::PrmLarge {
            // Its body is the large model's file: only the head is its own.
            let (path, bytes) = weights_dir::save_head(&a.out, role, body_role, &config, &fitted.model.valid(), rec)?;
            println!("wrote {} ({} bytes of head, on {}.safetensors)", path.display(), bytes.len(), body_role.name());
        } else {
            ship(&a.out, role, &config, &fitted.model.valid(), rec)?;
        }
    }
    Ok(())
}
