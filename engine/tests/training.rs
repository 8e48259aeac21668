//! Training on the CPU: losses fall, and a run interrupted and resumed from its checkpoint
//! ends exactly where an uninterrupted run ends.
#![cfg(feature = "train")]

use burn::module::Module;
use engine::infer::CancelToken;
use engine::model::{LanguageModel, ModelConfig, Positions, RewardModel};
use engine::task::{ArithmeticChain, Task};
use engine::train::{self, Batch, Checkpoints, PrmExample, Schedule, TrainError, TrainObserver};
use engine::Device;

fn tiny() -> ModelConfig {
    ModelConfig { vocab_size: ArithmeticChain.tokenizer().vocab_size(), d_model: 16, n_layers: 1, n_heads: 2, d_ff: 32, max_len: 768, positions: Positions::Rotary }
}

fn schedule(steps: usize) -> Schedule {
    Schedule { steps, batch_size: 8, learning_rate: 3e-3, warmup_steps: 2, final_lr_fraction: 0.1, weight_decay: 0.01, seed: 5, restart: None }
}

/// Cancels the run once it reaches `at` steps (an interruption, like Ctrl-C).
struct StopAt {
    at: u64,
    cancel: CancelToken,
}
impl TrainObserver for StopAt {
    fn begin(&mut self, _: &str, _: u64, _: u64) {}
    fn advance(&mut self, done: u64, _: &str) {
        if done == self.at {
            self.cancel.cancel();
        }
    }
    fn message(&mut self, _: &str) {}
    fn end(&mut self) {}
}

/// The CPU backend's random generator is global: tests that seed and initialise hold this.
static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run(steps: usize, dir: Option<&std::path::Path>, observer: &mut dyn TrainObserver, cancel: &CancelToken) -> Result<train::Fitted<LanguageModel>, TrainError> {
    let device = Device::flex().autodiff();
    let s = schedule(steps);
    // Parameters initialise lazily, at first use: the engine's seeded init materialises them
    // under its lock, so concurrent tests cannot draw from the global generator in between.
    let model = {
        let _seeded = INIT.lock().unwrap_or_else(|e| e.into_inner());
        engine::model::weights::random_language_model(&tiny(), 9, &device).unwrap()
    };
    let checkpoints = dir.map(|d| Checkpoints { dir: d.to_path_buf(), every: 2 });
    train::fit(
        model,
        &s,
        "test",
        None,
        |step, _: &_| Batch::language_model(&train::corpus::generator_batch(s.seed, step, s.batch_size, None), &device),
        train::lm_loss,
        checkpoints.as_ref(),
        None,
        observer,
        cancel,
    )
}

/// The model's logits on a fixed batch: equal logits mean equal weights for our purposes.
fn weights_of(model: &LanguageModel) -> Vec<f32> {
    let device = Device::flex();
    let batch = Batch::language_model(&train::corpus::generator_batch(77, 0, 4, None), &device);
    let logits = model.valid().forward(batch.tokens, batch.positions, batch.mask);
    logits.into_data().iter::<f32>().collect()
}

#[test]
fn language_model_loss_falls() {
    let fitted = run(80, None, &mut train::Quiet, &CancelToken::new()).unwrap();
    let h = &fitted.progress.loss_history;
    // Batches alternate between levels, so compare averages of the first and last tenths.
    let mean = |xs: &[(usize, f64)]| xs.iter().map(|x| x.1).sum::<f64>() / xs.len() as f64;
    let (first, last) = (mean(&h[..5]), mean(&h[h.len() - 5..]));
    assert!(last < first * 0.85, "loss went from {first} to {last}");
    assert!(fitted.progress.tokens > 0 && fitted.progress.target_tokens > 0);
}

#[test]
fn interrupted_run_resumes_to_the_same_weights() {
    let straight_dir = tempdir("straight");
    let straight = run(6, Some(&straight_dir), &mut train::Quiet, &CancelToken::new()).unwrap();

    let dir = tempdir("resumed");
    let cancel = CancelToken::new();
    let err = run(6, Some(&dir), &mut StopAt { at: 3, cancel: cancel.clone() }, &cancel).err().expect("interrupted");
    assert!(matches!(err, TrainError::Cancelled { step: 3 }), "{err}");
    let resumed = run(6, Some(&dir), &mut train::Quiet, &CancelToken::new()).unwrap();
    assert_eq!(resumed.progress.step, 6);
    assert_eq!(resumed.progress.resumed, 1);
    assert_eq!(resumed.progress.tokens, straight.progress.tokens);
    let (a, b) = (weights_of(&resumed.model), weights_of(&straight.model));
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-6, "resumed run drifted from the uninterrupted one by {worst}");

    // A checkpoint of other settings is refused, not silently mixed in.
    let device = Device::flex().autodiff();
    let s = schedule(6);
    let other = train::fit(
        LanguageModel::init(&tiny(), &device),
        &s,
        "other settings",
        None,
        |step, _: &_| Batch::language_model(&train::corpus::generator_batch(s.seed, step, s.batch_size, None), &device),
        train::lm_loss,
        Some(&Checkpoints { dir: dir.clone(), every: 2 }),
        None,
        &mut train::Quiet,
        &CancelToken::new(),
    );
    assert!(matches!(other, Err(TrainError::Checkpoint(_))));
}

/// A finished run continued with `continues`: the record adds up, and the learning rate
/// ramps up again from the step it continues at.
#[test]
fn a_finished_run_continues_with_a_fresh_optimiser_and_one_record() {
    let first = run(4, None, &mut train::Quiet, &CancelToken::new()).unwrap();
    let device = Device::flex().autodiff();
    let s = Schedule { restart: Some(train::Restart { from_step: 4, warmup_steps: 3 }), ..schedule(7) };
    let continued = train::fit(
        first.model.clone(),
        &s,
        "continued",
        Some(first.progress.clone()),
        |step, _: &_| Batch::language_model(&train::corpus::generator_batch(s.seed, step, s.batch_size, None), &device),
        train::lm_loss,
        None,
        None,
        &mut train::Quiet,
        &CancelToken::new(),
    )
    .unwrap();
    let p = &continued.progress;
    assert_eq!(p.step, 7);
    assert_eq!(p.resumed, 1);
    assert!(p.tokens > first.progress.tokens && p.seconds >= first.progress.seconds);
    assert_eq!(&p.loss_history[..first.progress.loss_history.len()], &first.progress.loss_history[..]);
    assert_eq!(p.loss_history.last().unwrap().0, 7);
    assert_ne!(weights_of(&continued.model), weights_of(&first.model));
    // The ramp: a third, two thirds, then the schedule's own rate.
    let plain = schedule(7);
    for (step, share) in [(4, 1.0 / 3.0), (5, 2.0 / 3.0), (6, 1.0)] {
        assert!((s.learning_rate_at(step) - share * plain.learning_rate_at(step)).abs() < 1e-12, "step {step}");
    }
    assert_eq!(s.learning_rate_at(3), plain.learning_rate_at(3));
}

#[test]
fn reward_model_fits_soft_labels() {
    let device = Device::flex().autodiff();
    let _seeded = INIT.lock().unwrap_or_else(|e| e.into_inner());
    device.seed(3);
    let config = tiny();
    let tokenizer = ArithmeticChain.tokenizer();
    // Lines ending "=1" are labelled on track, "=2" off track.
    let examples: Vec<PrmExample> = (0..32)
        .map(|i| {
            let good = i % 2 == 0;
            let text = if good { "Q:1+1\n1+1=2\n" } else { "Q:1+1\n1+1=3\n" };
            let mut tokens = vec![engine::task::Tokenizer::BOS];
            tokens.extend(tokenizer.encode(text).unwrap());
            let end = tokens.len() - 1;
            PrmExample { tokens, targets: vec![(end, if good { 0.9 } else { 0.1 })] }
        })
        .collect();
    let before = train::mean_prm_loss(&RewardModel::init(&config, &device), &examples, &device);
    // A random language-model head starts the likelihood term far off (loss above 5 nats).
    let s = Schedule { steps: 150, ..schedule(150) };
    let fitted = train::fit(
        RewardModel::init(&config, &device),
        &s,
        "prm",
        None,
        |step, _: &_| Batch::reward_model(&train::epoch_batch(&examples, 1, step, 8), &device),
        train::prm_loss,
        None,
        None,
        &mut train::Quiet,
        &CancelToken::new(),
    )
    .unwrap();
    let after = train::mean_prm_loss(&fitted.model, &examples, &device);
    // The floor is the labels' own entropy (about 0.325).
    assert!(after < before && after < 0.4, "validation loss {before} -> {after}");
}

#[test]
fn epoch_batches_visit_every_item_once_per_epoch() {
    let items: Vec<usize> = (0..10).collect();
    let mut seen: Vec<usize> = (0..5).flat_map(|s| train::epoch_batch(&items, 4, s, 2)).collect();
    seen.sort();
    assert_eq!(seen, items);
    assert_eq!(train::epoch_batch(&items, 4, 7, 3), train::epoch_batch(&items, 4, 7, 3));
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ponder-train-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn weights_loaded_for_training_and_extended_keep_their_outputs() {
    use engine::model::weights::{self, Role};
    let plain = Device::flex();
    let config = tiny();
    let model = {
        let _seeded = INIT.lock().unwrap_or_else(|e| e.into_inner());
        weights::random_language_model(&config, 3, &plain).unwrap()
    };
    let bytes = weights::to_safetensors(&model, "g").unwrap();
    let entry = weights::entry_for(Role::Generator, &config, "g", &bytes);
    let ad = plain.clone().autodiff();
    let loaded = weights::load_language_model(Role::Generator, &entry, bytes, &ad).unwrap();
    let extended = {
        let _seeded = INIT.lock().unwrap_or_else(|e| e.into_inner());
        loaded.clone().with_max_len(400, &ad)
    };
    let reference = weights_of(&model);
    for (name, got) in [("loaded on autodiff", weights_of(&loaded)), ("extended to 400 positions", weights_of(&extended))] {
        let worst = reference.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{name}: logits differ by {worst}");
    }
}
