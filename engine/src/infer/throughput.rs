//! Decode throughput of a language model at one batch size: the measurement `ponder bench`
//! and the page's benchmark mode share. The clock comes from the caller (wasm's std has none).

use super::{CancelToken, DecodeLimits, Decoder, Generator, InferError, RowStart, StopAt};
use crate::model::{LanguageModel, ModelConfig};
use crate::task::{ArithmeticChain, Task, Token};
use burn::tensor::Device;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecodeThroughput {
    /// Median over the timed runs of tokens sampled per second of decoding (prefill excluded).
    pub tokens_per_second: f64,
    /// Device-to-host read-backs per decode step (the target: one, for the whole batch).
    pub readbacks_per_step: f64,
    /// Tokens a row decoded on average before it ended its answer or reached the limit.
    pub mean_tokens_per_row: f64,
    pub runs: usize,
}

/// `batch` rows of `prompt` each decode up to `tokens` tokens (a row that ends its answer
/// first stops), at temperature 1; one warm-up run (shader compilation, autotuning), then
/// `runs` timed ones.
#[allow(clippy::too_many_arguments)]
pub async fn decode_throughput(
    lm: &LanguageModel,
    config: &ModelConfig,
    device: &Device,
    prompt: &[Token],
    batch: usize,
    tokens: usize,
    runs: usize,
    now_seconds: &dyn Fn() -> f64,
) -> Result<DecodeThroughput, InferError> {
    let tokenizer = ArithmeticChain.tokenizer();
    let mut rates = Vec::new();
    let mut readbacks_per_step = 0.0;
    let mut mean_tokens_per_row = 0.0;
    for run in 0..runs.max(1) + 1 {
        let limits = DecodeLimits { max_new_tokens: tokens, max_step_tokens: tokens + 1, ..DecodeLimits::default() };
        let mut decoder = Decoder::new(lm, config, &tokenizer, device, limits, CancelToken::new());
        decoder.start((0..batch).map(|i| RowStart { context: prompt.to_vec(), seed: i as u64 }).collect()).await?;
        let started = now_seconds();
        decoder.extend(StopAt::AnswerEnd, 1.0, None, &mut |_, _| {}).await?;
        let seconds = (now_seconds() - started).max(1e-9);
        let stats = decoder.stats();
        readbacks_per_step = stats.readbacks as f64 / stats.decode_steps.max(1) as f64;
        mean_tokens_per_row = stats.tokens_generated as f64 / batch.max(1) as f64;
        if run > 0 {
            rates.push(stats.tokens_generated as f64 / seconds);
        }
    }
    rates.sort_by(f64::total_cmp);
    Ok(DecodeThroughput { tokens_per_second: rates[rates.len() / 2], readbacks_per_step, mean_tokens_per_row, runs: rates.len() })
}
