//! Many independent samples (different problems, contexts and seeds) decoded in batches.

use crate::infer::{CancelToken, DecodeLimits, Decoder, Generator, InferError, Row, RowStart, StopAt};
use crate::model::{LanguageModel, ModelConfig};
use crate::task::Tokenizer;
use burn::tensor::Device;

/// Rows decoded together: large enough to amortise per-step overhead on the CPU.
pub const GENERATION_BATCH: usize = 64;

/// Decodes every start to the end of its answer, `GENERATION_BATCH` rows at a time,
/// calling `progress(done)` after each batch. Rows come back in the order of `starts`.
#[allow(clippy::too_many_arguments)]
pub async fn generate_all(
    model: &LanguageModel,
    config: &ModelConfig,
    tokenizer: &Tokenizer,
    device: &Device,
    starts: Vec<RowStart>,
    temperature: f32,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Row>, InferError> {
    let limits = DecodeLimits { max_new_tokens: config.max_len, ..DecodeLimits::default() };
    let mut out = Vec::with_capacity(starts.len());
    for chunk in starts.chunks(GENERATION_BATCH) {
        let mut decoder = Decoder::new(model, config, tokenizer, device, limits, cancel.clone());
        decoder.start(chunk.to_vec()).await?;
        decoder.extend(StopAt::AnswerEnd, temperature, None, &mut |_, _| {}).await?;
        out.extend(decoder.rows().iter().cloned());
        progress(out.len());
    }
    Ok(out)
}
