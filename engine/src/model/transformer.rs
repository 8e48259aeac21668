//! The pre-norm transformer body shared by every model.

use super::{KvCache, ModelConfig};
use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, activation};

/// Multi-head causal self-attention that can read and extend a KV cache.
#[derive(Module, Debug)]
pub struct Attention {
    qkv: Linear,
    out: Linear,
    n_heads: usize,
}

/// Where a forward pass writes its keys and values: cache rows for the whole batch,
/// starting at slot `start`.
pub struct CacheWrite<'a> {
    pub cache: &'a mut KvCache,
    pub start: usize,
}

impl Attention {
    fn init(config: &ModelConfig, device: &Device) -> Self {
        let d = config.d_model;
        Attention {
            qkv: LinearConfig::new(d, 3 * d).init(device),
            out: LinearConfig::new(d, d).init(device),
            n_heads: config.n_heads,
        }
    }

    /// `x`: [B, T, d]. `mask`: additive, [B, 1, T, K] where K is T without a cache and
    /// `start + T` with one.
    fn forward(&self, x: Tensor<3>, mask: Tensor<4>, layer: usize, mut cache: Option<&mut CacheWrite<'_>>) -> Tensor<3> {
        let [b, t, d] = x.dims();
        let h = self.n_heads;
        let dh = d / h;
        let qkv = self.qkv.forward(x);
        if let Some(w) = cache.as_deref_mut().filter(|w| w.cache.on_host()) {
            return self.out.forward(w.cache.attend_on_host(layer, w.start, qkv, mask));
        }
        let heads = |from: usize| qkv.clone().slice([0..b, 0..t, from..from + d]).reshape([b, t, h, dh]).swap_dims(1, 2);
        let (q, k, v) = (heads(0), heads(d), heads(2 * d));
        let (k, v) = match cache {
            None => (k, v),
            Some(w) => w.cache.write(layer, w.start, k, v),
        };
        let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(1.0 / (dh as f32).sqrt()) + mask;
        let attention = activation::softmax(scores, 3);
        let context = attention.matmul(v).swap_dims(1, 2).reshape([b, t, d]);
        self.out.forward(context)
    }
}

/// One pre-norm transformer block: attention then an MLP, each with a residual.
#[derive(Module, Debug)]
pub struct Block {
    norm_attention: LayerNorm,
    attention: Attention,
    norm_mlp: LayerNorm,
    up: Linear,
    down: Linear,
}

impl Block {
    fn init(config: &ModelConfig, device: &Device) -> Self {
        let d = config.d_model;
        Block {
            norm_attention: LayerNormConfig::new(d).init(device),
            attention: Attention::init(config, device),
            norm_mlp: LayerNormConfig::new(d).init(device),
            up: LinearConfig::new(d, config.d_ff).init(device),
            down: LinearConfig::new(config.d_ff, d).init(device),
        }
    }

    fn forward(&self, x: Tensor<3>, mask: Tensor<4>, layer: usize, cache: Option<&mut CacheWrite<'_>>) -> Tensor<3> {
        let x = x.clone() + self.attention.forward(self.norm_attention.forward(x), mask, layer, cache);
        let mlp = self.down.forward(super::gelu(self.up.forward(self.norm_mlp.forward(x.clone()))));
        x + mlp
    }
}

/// Token and position embeddings, the blocks and the final norm.
#[derive(Module, Debug)]
pub struct TransformerBody {
    tokens: Embedding,
    positions: Embedding,
    blocks: Vec<Block>,
    norm: LayerNorm,
}

impl TransformerBody {
    pub fn init(config: &ModelConfig, device: &Device) -> Self {
        TransformerBody {
            tokens: EmbeddingConfig::new(config.vocab_size, config.d_model).init(device),
            positions: EmbeddingConfig::new(config.max_len, config.d_model).init(device),
            blocks: (0..config.n_layers).map(|_| Block::init(config, device)).collect(),
            norm: LayerNormConfig::new(config.d_model).init(device),
        }
    }

    /// The same body with room for `max_len` positions: the trained position embeddings are
    /// kept and repeated to fill the new ones (the revision model starts from the generator).
    /// Random new positions left the revision model unable to read anything past the
    /// generator's length in a few hundred steps; repeated ones start from what it knows.
    pub fn with_max_len(mut self, max_len: usize, _device: &Device) -> Self {
        let old = self.positions.weight.val();
        let [n, d] = old.dims();
        if max_len > n {
            let mut parts = vec![old.clone().detach()];
            let mut have = n;
            while have < max_len {
                let take = (max_len - have).min(n);
                parts.push(old.clone().detach().slice([0..take, 0..d]));
                have += take;
            }
            // A fresh leaf: the optimiser tracks the new parameter, not the concatenation.
            let weight = Tensor::cat(parts, 0).detach();
            self.positions.weight = burn::module::Param::from_tensor(weight);
        }
        self
    }

    /// Hidden states [B, T, d] for `tokens` at `positions` (both [B, T]); see
    /// [`Attention`] for the mask's shape. With a cache, keys and values are written at
    /// slots `start..start + T` and attention reads slots `0..start + T`.
    pub fn forward(
        &self,
        tokens: Tensor<2, Int>,
        positions: Tensor<2, Int>,
        mask: Tensor<4>,
        mut cache: Option<CacheWrite<'_>>,
    ) -> Tensor<3> {
        let mut x = self.tokens.forward(tokens) + self.positions.forward(positions);
        for (layer, block) in self.blocks.iter().enumerate() {
            x = block.forward(x, mask.clone(), layer, cache.as_mut());
        }
        self.norm.forward(x)
    }
}
