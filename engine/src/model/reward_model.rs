//! The process reward model: transformer body with a scalar head. The head's sigmoid at the
//! last token of a step is the probability that the solution is still on track there.

use super::transformer::CacheWrite;
use super::{KvCache, ModelConfig, TransformerBody};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, activation};

#[derive(Module, Debug)]
pub struct RewardModel {
    body: TransformerBody,
    head: Linear,
}

impl RewardModel {
    pub fn init(config: &ModelConfig, device: &Device) -> Self {
        RewardModel {
            body: TransformerBody::init(config, device),
            head: LinearConfig::new(config.d_model, 1).init(device),
        }
    }

    /// A reward model on a trained body (the study starts its PRM from the base model).
    pub fn from_body(body: TransformerBody, config: &ModelConfig, device: &Device) -> Self {
        RewardModel { body, head: LinearConfig::new(config.d_model, 1).init(device) }
    }

    /// Raw scores (logits) [B, T] at every position.
    pub fn logits(&self, tokens: Tensor<2, Int>, positions: Tensor<2, Int>, mask: Tensor<4>) -> Tensor<2> {
        let hidden = self.body.forward(tokens, positions, mask, None);
        let [b, t, _] = hidden.dims();
        self.head.forward(hidden).reshape([b, t])
    }

    /// Probabilities [B, T] that the solution is on track at every position.
    pub fn forward(&self, tokens: Tensor<2, Int>, positions: Tensor<2, Int>, mask: Tensor<4>) -> Tensor<2> {
        activation::sigmoid(self.logits(tokens, positions, mask))
    }

    /// [`Self::forward`] through a fresh KV cache of `T` slots: on burn's CPU backend that runs
    /// the fused CPU attention (`cpu_attention`) instead of burn's. The mask may be
    /// [1, 1, T, T] for every row.
    pub fn forward_through_cache(&self, config: &ModelConfig, tokens: Tensor<2, Int>, positions: Tensor<2, Int>, mask: Tensor<4>) -> Tensor<2> {
        let [b, t] = tokens.dims();
        let mut cache = KvCache::new(config, b, t, &tokens.device());
        let hidden = self.body.forward(tokens, positions, mask, Some(CacheWrite { cache: &mut cache, start: 0 }));
        activation::sigmoid(self.head.forward(hidden).reshape([b, t]))
    }
}
