//! `ponder bench`: decode throughput of the generator per backend and batch size.

use crate::models::{self, Backend, ModelArgs};
use anyhow::{Result, bail};
use clap::Args;
use engine::infer::{CancelToken, DecodeLimits, Decoder, Generator, RowStart, StopAt};
use engine::task::{ArithmeticChain, Level, Task, Tokenizer};
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
    /// A shorter run (fewer tokens, one measurement).
    #[arg(long)]
    pub quick: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn bench(a: BenchArgs) -> Result<()> {
    if a.batches.is_empty() || a.batches.iter().any(|&b| b == 0 || b > 1024) {
        bail!("--batches must list sizes between 1 and 1024");
    }
    if a.tokens == 0 || a.tokens > 200 || a.runs == 0 || a.runs > 50 {
        bail!("--tokens must be 1..=200 and --runs 1..=50");
    }
    let (tokens, runs) = if a.quick { (16, 1) } else { (a.tokens, a.runs) };
    let backends: Vec<Backend> = if a.backends.is_empty() {
        vec![Backend::Cpu, Backend::Wgpu]
    } else {
        a.backends
            .iter()
            .map(|b| match b.as_str() {
                "cpu" => Ok(Backend::Cpu),
                "wgpu" => Ok(Backend::Wgpu),
                other => bail!("unknown backend {other:?}: use cpu or wgpu"),
            })
            .collect::<Result<_>>()?
    };
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let problem = task.generate(Level::new(3)?, 0, 0);
    let mut prompt = vec![Tokenizer::BOS];
    prompt.extend(tokenizer.encode(&task.prompt(&problem))?);
    let mut results = Vec::new();
    for backend in backends {
        let (device, info) = match models::init_backend(backend) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("skipping {backend:?}: {e}");
                continue;
            }
        };
        let m = models::load(&ModelArgs { backend, ..a.models.clone() }, &device)?;
        let (lm, config) = &m.generator;
        for &batch in &a.batches {
            let mut rates = Vec::new();
            for run in 0..runs + 1 {
                // Rows decode up to `tokens` tokens (fewer where a row ends its answer first).
                let limits = DecodeLimits { max_new_tokens: tokens, max_step_tokens: tokens + 1 };
                let mut decoder = Decoder::new(lm, config, &tokenizer, &device, limits, CancelToken::new());
                let starts = (0..batch).map(|i| RowStart { context: prompt.clone(), seed: i as u64 }).collect();
                pollster::block_on(decoder.start(starts))?;
                let t = Instant::now();
                pollster::block_on(decoder.extend(StopAt::AnswerEnd, 1.0, None, &mut |_, _| {}))?;
                let secs = t.elapsed().as_secs_f64();
                let generated = decoder.stats().tokens_generated as f64;
                if run > 0 {
                    // the first run warms up (shader compilation, autotuning)
                    rates.push(generated / secs);
                }
            }
            rates.sort_by(f64::total_cmp);
            let median = rates[rates.len() / 2];
            if !a.json {
                println!("{:5} batch {:4}: {:10.0} tokens/s  ({})", info.kind, batch, median, info.adapter);
            }
            results.push(serde_json::json!({ "backend": info.kind, "adapter": info.adapter, "batch": batch, "tokens_per_second": median, "runs": rates.len(), "tokens_per_row": tokens }));
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "decode": results, "model": "generator", "machine": crate::train::machine() }))?);
    }
    Ok(())
}
