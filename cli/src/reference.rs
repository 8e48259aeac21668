//! The PyTorch reference (`bench/reference.py`): the same architecture in PyTorch on the CPU,
//! reading the same safetensors. `ponder bench --reference` first checks that it computes the
//! same logits as the engine, then times it on the same batches; the PRM likewise, on the
//! same solutions.

use anyhow::{Context, Result, bail};
use burn::tensor::{Int, Tensor, TensorData};
use engine::Device;
use engine::model::LanguageModel;
use engine::infer::{ScoreItem, right_padded};
use engine::task::{ArithmeticChain, Level, Task, Token};
use engine::train::corpus::solution_tokens;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const SCRIPT: &str = "bench/reference.py";

/// Runs the script with `args`; its stdout as JSON.
fn run(args: &[String]) -> Result<Value> {
    let out = Command::new("python3").arg(SCRIPT).args(args).output().context("running python3")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let parsed: Option<Value> = serde_json::from_str(&stdout).ok();
    match parsed {
        Some(v) if out.status.success() || v.get("max_abs_diff").is_some() => Ok(v),
        _ => bail!("{SCRIPT} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")),
    }
}

/// Whether python3 can import torch and safetensors (the reference is skipped otherwise).
pub fn available() -> Result<(), String> {
    match Command::new("python3").args(["-c", "import torch, safetensors"]).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(_) => Err("python3 has no torch or safetensors (pip install torch safetensors numpy)".into()),
        Err(e) => Err(format!("no python3 ({e})")),
    }
}

/// Full-forward logits of the engine on the CPU for two solved problems, written for the
/// script's `--check`; returns its verdict (max_abs_diff, cache_matches_full).
pub fn check_logits(lm: &LanguageModel, models_dir: &Path, device: &Device) -> Result<Value> {
    let task = ArithmeticChain;
    let rows: Vec<Vec<Token>> = [1u8, 3]
        .iter()
        .map(|&l| {
            let p = task.generate(Level::new(l).expect("levels 1 and 3 exist"), 5, 0);
            let mut t = task.prompt_tokens(&p);
            t.extend(solution_tokens(&p));
            t
        })
        .collect();
    let b = rows.len();
    let seqs: Vec<&[Token]> = rows.iter().map(Vec::as_slice).collect();
    let (padded, positions, mask, t) = right_padded(&seqs);
    let tokens = Tensor::<2, Int>::from_data(TensorData::new(padded.clone(), [b, t]), device);
    let pos = Tensor::<2, Int>::from_data(TensorData::new(positions.clone(), [b, t]), device);
    let mask = Tensor::<4>::from_data(TensorData::new(mask, [1, 1, t, t]), device).expand([b, 1, t, t]);
    let logits = lm.forward(tokens, pos, mask);
    let [_, _, v] = logits.dims();
    let values: Vec<f32> = logits.into_data().try_into_vec::<f32>().map_err(|e| anyhow::anyhow!("reading logits: {e:?}"))?;
    let nested: Vec<Vec<Vec<f32>>> = values.chunks(t * v).map(|row| row.chunks(v).map(<[f32]>::to_vec).collect()).collect();
    let file = std::env::temp_dir().join(format!("ponder-reference-logits-{}.json", std::process::id()));
    let by_row = |xs: Vec<i64>| xs.chunks(t).map(<[i64]>::to_vec).collect::<Vec<_>>();
    std::fs::write(&file, serde_json::to_vec(&json!({ "tokens": by_row(padded), "positions": by_row(positions), "logits": nested }))?)?;
    let verdict = run(&["--models".into(), models_dir.display().to_string(), "--check".into(), file.display().to_string()]);
    let _ = std::fs::remove_file(&file);
    verdict
}

/// The script's decode throughput on the same prompt, batches, tokens and runs.
pub fn time_decode(models_dir: &Path, prompt: &[Token], batches: &[usize], tokens: usize, runs: usize) -> Result<Value> {
    let list = |xs: &[usize]| xs.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    let prompt: Vec<usize> = prompt.iter().map(|&t| t as usize).collect();
    run(&[
        "--models".into(),
        models_dir.display().to_string(),
        "--prompt".into(),
        list(&prompt),
        "--batches".into(),
        list(batches),
        "--tokens".into(),
        tokens.to_string(),
        "--runs".into(),
        runs.to_string(),
        "--json".into(),
    ])
}

/// The script's PRM scoring of `items` (context + solution each), in forward passes of `chunk`
/// rows as the engine's scorer: its tokens/s and its probability at every step end.
pub fn time_scoring(models_dir: &Path, items: &[ScoreItem], chunk: usize, runs: usize) -> Result<Value> {
    let sequences: Vec<Vec<Token>> = items.iter().map(|it| it.context.iter().chain(&it.solution).copied().collect()).collect();
    let context_lengths: Vec<usize> = items.iter().map(|it| it.context.len()).collect();
    let file = std::env::temp_dir().join(format!("ponder-reference-score-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&json!({ "sequences": sequences, "context_lengths": context_lengths, "chunk": chunk }))?)?;
    let args = ["--models".into(), models_dir.display().to_string(), "--role".into(), "prm".into(), "--score".into(), file.display().to_string(), "--runs".into(), runs.to_string(), "--json".into()];
    let timing = run(&args);
    let _ = std::fs::remove_file(&file);
    timing
}

/// The script's training loop on the config and batches in `spec` (see `bench --train`).
pub fn time_training(spec: &Path, threads: usize) -> Result<Value> {
    run(&["--train".into(), spec.display().to_string(), "--threads".into(), threads.to_string(), "--json".into()])
}
