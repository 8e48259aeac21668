//! `ponder bench --train`: training throughput of the generator's and the larger model's
//! shapes on the CPU, against a plain PyTorch loop over the same architecture and the very
//! same batches (`bench/reference.py --train`), in alternating rounds so that both meet the
//! same load on a shared machine. The ratio reported is the median of the rounds' ratios.

use crate::reference;
use crate::stats::median;
use anyhow::{Result, bail};
use engine::model::ModelConfig;
use engine::task::{ArithmeticChain, Task};
use engine::train::corpus::generator_batch;
use engine::train::{LmExample, train_throughput};
use serde_json::{Value, json};

/// Untimed first steps (allocation, the first gradients' buffers) on both sides.
const WARMUP: usize = 2;
/// The generator's batch size, which both shapes train at here.
const BATCH: usize = 64;
/// Seed of the benchmark's batches (level-mixed generator batches, as training draws them).
const SEED: u64 = 0x7BA1;

/// The shapes `ponder train` trains, by name.
fn shapes() -> Vec<(&'static str, ModelConfig)> {
    let vocab = ArithmeticChain.tokenizer().vocab_size();
    // With the context they train with, which retry trajectories need.
    let room = |c: ModelConfig| ModelConfig { max_len: engine::train::corpus::training_len(&c), ..c };
    vec![("generator", room(ModelConfig::small(vocab))), ("large", room(ModelConfig::large(vocab)))]
}

/// One shape: `rounds` of Ponder's training steps then PyTorch's on `steps` timed batches.
fn shape(name: &str, config: &ModelConfig, steps: usize, rounds: usize, threads: usize) -> Result<Value> {
    let batches: Vec<Vec<LmExample>> = (0..WARMUP + steps).map(|s| generator_batch(SEED, s, BATCH, None)).collect();
    let spec = json!({
        "config": config,
        "warmup": WARMUP,
        "learning_rate": 1e-3,
        "weight_decay": 0.01,
        "batches": batches.iter().map(|b| b.iter().map(|e| json!({ "tokens": e.tokens, "loss_from": e.loss_from })).collect::<Vec<_>>()).collect::<Vec<_>>(),
    });
    let file = std::env::temp_dir().join(format!("ponder-train-bench-{name}-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&spec)?)?;
    let device = engine::backend::cpu().0.autodiff();
    let mut out = Vec::new();
    for round in 0..rounds {
        let ponder = train_throughput(config, &batches, WARMUP, &device)?;
        let torch = reference::time_training(&file, threads)?;
        let torch_tps = torch["tokens_per_second"].as_f64().unwrap_or(f64::NAN);
        eprintln!(
            "train {name}, round {}/{rounds}: ponder {:.0} tokens/s, pytorch {torch_tps:.0} tokens/s ({:.2}×)",
            round + 1,
            ponder.tokens_per_second,
            ponder.tokens_per_second / torch_tps
        );
        out.push((ponder, torch));
    }
    let _ = std::fs::remove_file(&file);
    let ratios: Vec<f64> = out.iter().map(|(p, t)| p.tokens_per_second / t["tokens_per_second"].as_f64().unwrap_or(f64::NAN)).collect();
    Ok(json!({
        "model": name,
        "parameters": config.lm_params(),
        "batch": BATCH,
        "timed_steps": steps,
        "ponder_tokens_per_second": median(out.iter().map(|(p, _)| p.tokens_per_second).collect()),
        "pytorch_tokens_per_second": median(out.iter().map(|(_, t)| t["tokens_per_second"].as_f64().unwrap_or(f64::NAN)).collect()),
        "ratio_median": median(ratios.clone()),
        "ratios": ratios,
        "torch": out.first().map(|(_, t)| t["torch"].clone()),
        "torch_threads": out.first().map(|(_, t)| t["threads"].clone()),
    }))
}

/// Every shape named in `models` (all when empty).
pub fn compare(models: &[String], steps: usize, rounds: usize) -> Result<Value> {
    if let Err(why) = reference::available() {
        bail!("--train compares with PyTorch: {why}");
    }
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let all = shapes();
    for m in models {
        if !all.iter().any(|(n, _)| n == m) {
            bail!("unknown model {m:?} for --train: use generator or large");
        }
    }
    let mut rows = Vec::new();
    for (name, config) in all.iter().filter(|(n, _)| models.is_empty() || models.iter().any(|m| m == n)) {
        rows.push(shape(name, config, steps, rounds, threads)?);
    }
    Ok(json!({ "machine": crate::host::machine(), "threads": threads, "rounds": rounds, "training": rows }))
}
