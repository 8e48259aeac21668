//! `ponder bench`: per backend, decode throughput of the generator per batch size, the PRM's
//! scoring throughput, the wall time of a best-of-64 and a budget-64 beam search, and the
//! process's peak memory.

use crate::models::{self, Backend, ModelArgs};
use crate::stats::median;
use crate::{reference, weights_dir};
use anyhow::{Result, bail};
use clap::Args;
use engine::Device;
use engine::backend::BackendInfo;
use engine::infer::{PrmScorer, SCORE_CHUNK, ScoreItem, Scorer, decode_throughput};
use engine::model::CacheAttention;
use engine::models::Models;
use engine::search::{Common, Knobs, NoEvents, StrategyName, Verifier};
use engine::solve::{self as run, Drive};
use engine::task::{ArithmeticChain, Level, Task, Token, Tokenizer};
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// Batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 16, 64])]
    pub batches: Vec<usize>,
    /// Tokens decoded per row in each measurement.
    #[arg(long, default_value_t = 48)]
    pub tokens: usize,
    /// Measurements per configuration (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Backends to measure (default: cpu and, when present, wgpu).
    #[arg(long, value_delimiter = ',')]
    pub backends: Vec<String>,
    #[command(flatten)]
    pub models: ModelArgs,
    /// Also check and time the PyTorch reference (bench/reference.py, needs python3 with
    /// torch) on the same batches, and print Ponder's CPU throughput over PyTorch's.
    #[arg(long)]
    pub reference: bool,
    /// With --reference: rounds of Ponder's CPU measurement then PyTorch's, one after the
    /// other, so that both meet the same load on a shared machine; the ratio reported is the
    /// median of the rounds' ratios.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// A shorter run (fewer tokens, one measurement).
    #[arg(long)]
    pub quick: bool,
    /// Also count the compute dispatches of a decode step on wgpu at each batch size, by
    /// kernel (cubecl's launch observer).
    #[arg(long)]
    pub dispatches: bool,
    /// Instead of decoding: training tokens/s of the generator's and the larger model's
    /// shapes on the CPU against a PyTorch loop on the same batches (needs torch), in
    /// --rounds alternating rounds.
    #[arg(long)]
    pub train: bool,
    /// With --train: the shapes to measure (generator, large; default both).
    #[arg(long, value_delimiter = ',')]
    pub train_models: Vec<String>,
    /// With --train: timed training steps per round (after 2 warm-up steps).
    #[arg(long, default_value_t = 10)]
    pub train_steps: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn bench(a: BenchArgs) -> Result<()> {
    check_args(&a)?;
    if a.train {
        return train_bench(&a);
    }
    let (tokens, runs) = if a.quick { (16, 1) } else { (a.tokens, a.runs) };
    let backends = backends(&a)?;
    // The level-3 problem the page's benchmark mode uses too.
    let prompt = ArithmeticChain.prompt_tokens(&ArithmeticChain.generate(Level::new(3)?, 0, 0));
    let mut decode = Vec::new();
    let mut workloads = Vec::new();
    let mut dispatches = Vec::new();
    for backend in backends {
        // Before the backend starts, so its peak is its own.
        reset_peak_memory();
        let Some((device, info)) = start_backend(backend) else { continue };
        let m = weights_dir::load_models(&a.models.models, a.models.init_seed, &device)?;
        decode.extend(measure_decode(&a, &m, &device, &info, &prompt, tokens, runs)?);
        workloads.push(measure_workloads(&a, &m, &info, runs)?);
        if a.dispatches && info.kind == "wgpu" {
            for &batch in &a.batches {
                for attention in [CacheAttention::BurnOperations, CacheAttention::Kernel] {
                    let counted = crate::dispatches::decode_dispatches(&m.generator.0, &m.generator.1, &device, &prompt, batch, tokens, attention)?;
                    if !a.json {
                        print_dispatches(&counted);
                    }
                    dispatches.push(counted);
                }
            }
        }
    }
    let mut report = serde_json::json!({
        "decode": decode,
        "workloads": workloads,
        "model": "generator",
        "machine": crate::host::machine(),
        "ponder_cpu_threads": engine::model::host_threads(),
        "notes": "workloads: medians after a warm-up, on the level-3 problem of the decode runs; peak_memory_bytes: the process's peak resident memory while that backend ran (VmHWM, reset before each backend; GPU memory not included)",
    });
    if a.dispatches {
        report["dispatches"] = dispatches.into();
    }
    if a.reference {
        report["reference"] = reference_section(&a, &prompt, tokens, runs, &decode)?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

fn print_dispatches(counted: &serde_json::Value) {
    println!(
        "wgpu  batch {:4}, attention by {}: {:.1} dispatches per decode step ({} steps; prefill {}):",
        counted["batch"],
        counted["attention"].as_str().unwrap_or("?"),
        counted["dispatches_per_step"].as_f64().unwrap_or(f64::NAN),
        counted["decode_steps"],
        counted["prefill_dispatches"]
    );
    for k in counted["per_step_by_kernel"].as_array().into_iter().flatten() {
        println!("  {:6.1}  {}", k["per_step"].as_f64().unwrap_or(f64::NAN), k["kernel"].as_str().unwrap_or("?"));
    }
}

/// `--train`: the training comparison with PyTorch, printed per round as it goes.
fn train_bench(a: &BenchArgs) -> Result<()> {
    if !(1..=1000).contains(&a.train_steps) {
        bail!("--train-steps must be 1..=1000, got {}", a.train_steps);
    }
    let report = crate::train_bench::compare(&a.train_models, a.train_steps, a.rounds)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for row in report["training"].as_array().into_iter().flatten() {
            println!(
                "train {:9} ({} parameters, batch {}): ponder {:.0} tokens/s, pytorch {:.0} tokens/s: {:.2}× (median of {} rounds)",
                row["model"].as_str().unwrap_or("?"),
                row["parameters"],
                row["batch"],
                row["ponder_tokens_per_second"].as_f64().unwrap_or(f64::NAN),
                row["pytorch_tokens_per_second"].as_f64().unwrap_or(f64::NAN),
                row["ratio_median"].as_f64().unwrap_or(f64::NAN),
                a.rounds
            );
        }
        println!("{} · torch {} with {} threads", report["machine"].as_str().unwrap_or("?"), report["training"][0]["torch"], report["training"][0]["torch_threads"]);
    }
    Ok(())
}

fn check_args(a: &BenchArgs) -> Result<()> {
    if a.batches.is_empty() || a.batches.iter().any(|&b| b == 0 || b > 1024) {
        bail!("--batches must list sizes between 1 and 1024");
    }
    if a.tokens == 0 || a.tokens > 200 || a.runs == 0 || a.runs > 50 {
        bail!("--tokens must be 1..=200 and --runs 1..=50");
    }
    if a.rounds == 0 || a.rounds > 20 {
        bail!("--rounds must be 1..=20");
    }
    Ok(())
}

/// The backends `--backends` names (default: cpu, then wgpu).
fn backends(a: &BenchArgs) -> Result<Vec<Backend>> {
    if a.backends.is_empty() {
        return Ok(vec![Backend::Cpu, Backend::Wgpu]);
    }
    a.backends
        .iter()
        .map(|b| match b.as_str() {
            "cpu" => Ok(Backend::Cpu),
            "wgpu" => Ok(Backend::Wgpu),
            other => bail!("unknown backend {other:?}: use cpu or wgpu"),
        })
        .collect()
}

/// The backend's device, or `None` (said on stderr) where this machine lacks it.
fn start_backend(backend: Backend) -> Option<(Device, BackendInfo)> {
    match models::init_backend(backend) {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("skipping {backend:?}: {e}");
            None
        }
    }
}

/// The generator's decode throughput at each `--batches` size: one JSON row each.
fn measure_decode(a: &BenchArgs, m: &Models, device: &Device, info: &BackendInfo, prompt: &[Token], tokens: usize, runs: usize) -> Result<Vec<serde_json::Value>> {
    let (lm, config) = &m.generator;
    let clock = Instant::now();
    let now = || clock.elapsed().as_secs_f64();
    let mut rows = Vec::new();
    for &batch in &a.batches {
        // Rows decode up to `tokens` tokens (fewer where a row ends its answer first).
        let t = pollster::block_on(decode_throughput(lm, config, device, prompt, batch, tokens, runs, &now))?;
        let (median, readbacks_per_step) = (t.tokens_per_second, t.readbacks_per_step);
        if !a.json {
            println!("{:5} batch {:4}: {:10.0} tokens/s  {:.1} tokens per row  {readbacks_per_step:.2} read-backs per step  ({})", info.kind, batch, median, t.mean_tokens_per_row, info.adapter);
        }
        rows.push(serde_json::json!({ "backend": info.kind, "adapter": info.adapter, "batch": batch, "tokens_per_second": median, "runs": t.runs, "tokens_per_row": tokens, "mean_tokens_per_row": t.mean_tokens_per_row, "readbacks_per_step": readbacks_per_step }));
    }
    Ok(rows)
}

/// The PRM and search workloads and the backend's peak memory so far: one JSON row.
fn measure_workloads(a: &BenchArgs, m: &Models, info: &BackendInfo, runs: usize) -> Result<serde_json::Value> {
    let w = workloads(m, runs)?;
    let peak = peak_memory_bytes();
    if !a.json {
        println!(
            "{:5} PRM scoring: {:.0} tokens/s; best-of-64: {:.2} s; beam search (budget 64, M=4): {:.2} s; peak memory {}",
            info.kind,
            w.prm_tokens_per_second,
            w.best_of_64_seconds,
            w.beam_64_seconds,
            peak.map(|b| format!("{:.0} MiB", b as f64 / 1048576.0)).unwrap_or_else(|| "unknown".into())
        );
    }
    Ok(serde_json::json!({
        "backend": info.kind,
        "adapter": info.adapter,
        "prm_tokens_per_second": w.prm_tokens_per_second,
        "prm_items": PRM_ITEMS,
        "best_of_64_seconds": w.best_of_64_seconds,
        "beam_64_seconds": w.beam_64_seconds,
        "runs": runs,
        "peak_memory_bytes": peak,
    }))
}

/// The PyTorch reference on the same batches: its logits checked against the engine's, its
/// throughput, and Ponder's CPU throughput over it per batch size.
fn reference_section(a: &BenchArgs, prompt: &[Token], tokens: usize, runs: usize, ours: &[serde_json::Value]) -> Result<serde_json::Value> {
    let skip = |why: String| {
        eprintln!("skipping the PyTorch reference: {why}");
        Ok(serde_json::json!({ "skipped": why }))
    };
    if let Err(why) = reference::available() {
        return skip(why);
    }
    if !weights_dir::has_manifest(&a.models.models) {
        return skip(format!("no trained weights in {}", a.models.models.display()));
    }
    let (device, _) = models::init_backend(Backend::Cpu)?;
    let m = weights_dir::load_models(&a.models.models, a.models.init_seed, &device)?;
    let check = reference::check_logits(&m.generator.0, &a.models.models, &device)?;
    if check["ok"] != true {
        bail!("the PyTorch reference computes other logits than the engine: {check}");
    }
    // Round 1 pairs the CPU numbers above with PyTorch's; later rounds measure both again.
    let mut rounds: Vec<(Vec<(usize, f64)>, serde_json::Value)> = Vec::new();
    let clock = Instant::now();
    let now = || clock.elapsed().as_secs_f64();
    for round in 0..a.rounds {
        let ponder: Vec<(usize, f64)> = if round == 0 {
            ours.iter()
                .filter(|o| o["backend"] == "cpu")
                .filter_map(|o| Some((o["batch"].as_u64()? as usize, o["tokens_per_second"].as_f64()?)))
                .collect()
        } else {
            let (lm, config) = &m.generator;
            let mut measured = Vec::new();
            for &batch in &a.batches {
                let t = pollster::block_on(decode_throughput(lm, config, &device, prompt, batch, tokens, runs, &now))?;
                measured.push((batch, t.tokens_per_second));
            }
            measured
        };
        let timing = reference::time_decode(&a.models.models, prompt, &a.batches, tokens, runs)?;
        if a.rounds > 1 && !a.json {
            eprintln!("round {} of {} measured", round + 1, a.rounds);
        }
        rounds.push((ponder, timing));
    }
    let timing = &rounds[0].1;
    let mut ratios = Vec::new();
    for &batch in &a.batches {
        let torch_of = |t: &serde_json::Value| {
            t["results"].as_array().into_iter().flatten().find(|r| r["batch"] == batch).and_then(|r| r["tokens_per_second"].as_f64())
        };
        let pairs: Vec<(Option<f64>, Option<f64>)> = rounds
            .iter()
            .map(|(ponder, timing)| (ponder.iter().find(|p| p.0 == batch).map(|p| p.1), torch_of(timing)))
            .collect();
        let torch = median(pairs.iter().filter_map(|p| p.1).collect()).unwrap_or(f64::NAN);
        let ponder = median(pairs.iter().filter_map(|p| p.0).collect());
        let per_round: Vec<f64> = pairs.iter().filter_map(|&(p, t)| Some(p? / t?)).collect();
        let ratio = median(per_round.clone());
        if !a.json {
            println!(
                "pytorch batch {batch:4}: {torch:10.0} tokens/s  ponder cpu / pytorch = {}{}",
                ratio.map(|r| format!("{r:.2}")).unwrap_or_else(|| "n/a (cpu not measured)".into()),
                if a.rounds > 1 { format!("  (median of {} rounds: {})", per_round.len(), per_round.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(" ")) } else { String::new() }
            );
        }
        let mut entry = serde_json::json!({ "batch": batch, "pytorch_tokens_per_second": torch, "ponder_cpu_tokens_per_second": ponder, "ponder_over_pytorch": ratio });
        if a.rounds > 1 {
            entry["rounds"] = pairs.iter().map(|&(p, t)| serde_json::json!({ "ponder_cpu_tokens_per_second": p, "pytorch_tokens_per_second": t })).collect();
        }
        ratios.push(entry);
    }
    if !a.json {
        println!("pytorch {} ({} threads): logits max |diff| {:.2e} against the engine", timing["torch"], timing["threads"], check["max_abs_diff"].as_f64().unwrap_or(f64::NAN));
    }
    let prm = prm_reference(a, &m, runs)?;
    Ok(serde_json::json!({ "check": check, "torch": timing["torch"], "threads": timing["threads"], "rounds": a.rounds, "batches": ratios, "prm": prm }))
}

/// The PRM's scoring against a PyTorch forward pass of the same verifier on the same
/// solutions, in the same chunks, in `--rounds` alternating rounds; the step-end
/// probabilities of both are compared first.
fn prm_reference(a: &BenchArgs, m: &Models, runs: usize) -> Result<serde_json::Value> {
    let items = prm_items();
    let tokenizer = ArithmeticChain.tokenizer();
    let ours = pollster::block_on(PrmScorer::new(&m.prm.0, &m.prm.1, &tokenizer, &m.device).score(&items))?;
    let mut rounds = Vec::new();
    let mut max_abs_diff = 0.0f64;
    for round in 0..a.rounds {
        let ponder = prm_rate(m, &items, runs)?;
        let torch = reference::time_scoring(&a.models.models, &items, SCORE_CHUNK, runs)?;
        if round == 0 {
            let theirs: Vec<Vec<f64>> = serde_json::from_value(torch["step_end_probabilities"].clone())?;
            if theirs.len() != ours.len() || theirs.iter().zip(&ours).any(|(t, o)| t.len() != o.len()) {
                bail!("the PyTorch PRM scored other step ends than the engine");
            }
            max_abs_diff = theirs.iter().flatten().zip(ours.iter().flatten()).map(|(t, &o)| (t - o as f64).abs()).fold(0.0, f64::max);
            if max_abs_diff > 1e-4 {
                bail!("the PyTorch PRM's probabilities differ from the engine's by {max_abs_diff:.2e}");
            }
        }
        rounds.push((ponder, torch["tokens_per_second"].as_f64().unwrap_or(f64::NAN)));
    }
    let ratios: Vec<f64> = rounds.iter().map(|(p, t)| p / t).collect();
    let ratio = median(ratios.clone()).unwrap_or(f64::NAN);
    let (ponder, torch) = (median(rounds.iter().map(|r| r.0).collect()).unwrap_or(f64::NAN), median(rounds.iter().map(|r| r.1).collect()).unwrap_or(f64::NAN));
    if !a.json {
        let listed: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!("pytorch PRM scoring: {torch:.0} tokens/s, ponder cpu {ponder:.0}: ponder / pytorch = {ratio:.2} (rounds: {}); step-end probabilities max |diff| {max_abs_diff:.2e}", listed.join(" "));
    }
    Ok(serde_json::json!({
        "items": PRM_ITEMS,
        "chunk": SCORE_CHUNK,
        "max_abs_diff": max_abs_diff,
        "pytorch_tokens_per_second": torch,
        "ponder_cpu_tokens_per_second": ponder,
        "ponder_over_pytorch": ratio,
        "rounds": rounds.iter().map(|&(p, t)| serde_json::json!({ "ponder_cpu_tokens_per_second": p, "pytorch_tokens_per_second": t })).collect::<Vec<_>>(),
    }))
}

/// Solutions the PRM scores per measurement: the reference solutions of this many level-3
/// problems, in one batch.
const PRM_ITEMS: usize = 64;

struct Workloads {
    prm_tokens_per_second: f64,
    best_of_64_seconds: f64,
    beam_64_seconds: f64,
}

/// The reference solutions of [`PRM_ITEMS`] level-3 problems, ended, to score.
fn prm_items() -> Vec<ScoreItem> {
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let level = Level::new(3).expect("level 3 exists");
    (0..PRM_ITEMS as u64)
        .map(|i| {
            let p = task.generate(level, 0, i);
            let mut solution = tokenizer.encode(&task.reference_solution(&p)).expect("solutions use the task's alphabet");
            solution.push(Tokenizer::EOS);
            ScoreItem { context: task.prompt_tokens(&p), solution }
        })
        .collect()
}

/// Median of `runs` calls of `f` after one warm-up call.
fn median_of_runs(runs: usize, f: &mut dyn FnMut() -> Result<f64>) -> Result<f64> {
    f()?;
    let xs = (0..runs.max(1)).map(|_| f()).collect::<Result<Vec<f64>>>()?;
    Ok(median(xs).unwrap_or(f64::NAN))
}

/// The PRM's scoring throughput on `items`: tokens of the sequences per second.
fn prm_rate(models: &Models, items: &[ScoreItem], runs: usize) -> Result<f64> {
    let tokenizer = ArithmeticChain.tokenizer();
    let (prm, prm_config) = &models.prm;
    median_of_runs(runs, &mut || {
        let mut scorer = PrmScorer::new(prm, prm_config, &tokenizer, &models.device);
        let started = Instant::now();
        pollster::block_on(scorer.score(items))?;
        Ok(scorer.tokens_scored() as f64 / started.elapsed().as_secs_f64().max(1e-9))
    })
}

/// The PRM's scoring throughput and the wall time of a best-of-64 and a budget-64 beam search
/// (PRM-weighted, the strategies' defaults), each the median of `runs` after a warm-up.
fn workloads(models: &Models, runs: usize) -> Result<Workloads> {
    let task = ArithmeticChain;
    let problem = task.generate(Level::new(3)?, 0, 0);
    let prm_tokens_per_second = prm_rate(models, &prm_items(), runs)?;
    let search = |name: StrategyName| {
        let strategy = Knobs { budget: 64, ..Knobs::default() }.strategy(name)?;
        median_of_runs(runs, &mut || {
            let started = Instant::now();
            pollster::block_on(run::solve(models, &problem, &strategy, Common::default(), Verifier::Prm, Drive::default(), &mut NoEvents))?;
            Ok(started.elapsed().as_secs_f64())
        })
    };
    Ok(Workloads { prm_tokens_per_second, best_of_64_seconds: search(StrategyName::BestOfN)?, beam_64_seconds: search(StrategyName::Beam)? })
}

/// Resets the kernel's record of this process's peak resident memory (Linux; elsewhere a
/// no-op, and the peak then covers the whole run).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process since the last reset (Linux's VmHWM), if known.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
