//! The generator: transformer body with a language-model head.

use super::transformer::CacheWrite;
use super::{KvCache, ModelConfig, TransformerBody};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};

#[derive(Module, Debug)]
pub struct LanguageModel {
    body: TransformerBody,
    head: Linear,
}

impl LanguageModel {
    pub fn init(config: &ModelConfig, device: &Device) -> Self {
        LanguageModel {
            body: TransformerBody::init(config, device),
            head: LinearConfig::new(config.d_model, config.vocab_size).init(device),
        }
    }

    /// The generator's body and output head, to start another model (the PRM) from them.
    pub(super) fn parts(&self) -> (&TransformerBody, &Linear) {
        (&self.body, &self.head)
    }

    pub fn into_parts(self) -> (TransformerBody, Linear) {
        (self.body, self.head)
    }

    /// This model with room for `max_len` positions (see [`TransformerBody::with_max_len`]).
    pub fn with_max_len(self, max_len: usize, device: &Device) -> Self {
        LanguageModel { body: self.body.with_max_len(max_len, device), head: self.head }
    }

    /// Logits [B, T, V] for every position (no cache).
    pub fn forward(&self, tokens: Tensor<2, Int>, positions: Tensor<2, Int>, mask: Tensor<4>) -> Tensor<3> {
        self.head.forward(self.body.forward(tokens, positions, mask, None))
    }

    /// Runs `tokens` ([B, T]) through the cache at slots `start..start+T` and returns the
    /// logits [B, V] of the last position only.
    pub fn forward_cached(
        &self,
        tokens: Tensor<2, Int>,
        positions: Tensor<2, Int>,
        mask: Tensor<4>,
        cache: &mut KvCache,
        start: usize,
    ) -> Tensor<2> {
        let hidden = self.body.forward(tokens, positions, mask, Some(CacheWrite { cache, start }));
        let [b, t, d] = hidden.dims();
        let last = hidden.slice([0..b, t - 1..t, 0..d]).reshape([b, d]);
        self.head.forward(last)
    }
}
