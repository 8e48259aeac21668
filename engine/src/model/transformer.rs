//! The pre-norm transformer body shared by every model.

use super::rotary::{Rotary, RotaryAt};
use super::{KvCache, ModelConfig, Positions};
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
    fn head_dim(&self) -> usize {
        self.out.weight.dims()[0] / self.n_heads
    }

    /// The fused query/key/value projection and the output projection.
    pub(super) fn parts(&self) -> (&Linear, &Linear) {
        (&self.qkv, &self.out)
    }

    fn init(config: &ModelConfig, device: &Device) -> Self {
        let d = config.d_model;
        Attention {
            qkv: LinearConfig::new(d, 3 * d).init(device),
            out: LinearConfig::new(d, d).init(device),
            n_heads: config.n_heads,
        }
    }

    /// `x`: [B, T, d]. `mask`: additive, [B, 1, T, K] where K is T without a cache and
    /// `start + T` with one. `rotary`: the tokens' angles, where positions are rotary.
    fn forward(&self, x: Tensor<3>, mask: Tensor<4>, rotary: Option<&RotaryAt>, layer: usize, mut cache: Option<&mut CacheWrite<'_>>) -> Tensor<3> {
        let [b, t, d] = x.dims();
        let h = self.n_heads;
        let dh = d / h;
        let mut qkv = self.qkv.forward(x);
        if let Some(w) = &mut cache
            && let Some(context) = super::wgpu_attention::cached_attention(&qkv, rotary.map(RotaryAt::tables), &mask, w.cache, layer, w.start, h)
        {
            return self.out.forward(context);
        }
        if let Some(r) = rotary {
            // Keys are rotated before they are cached: a cached key keeps its own position.
            qkv = r.rotate_qkv(qkv, h);
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

/// A LayerNorm with the epsilon the host forward pass uses too.
fn layer_norm(d: usize, device: &Device) -> LayerNorm {
    LayerNormConfig::new(d).with_epsilon(super::host::LAYER_NORM_EPSILON).init(device)
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
    pub(super) fn parts(&self) -> (&LayerNorm, &Attention, &LayerNorm, &Linear, &Linear) {
        (&self.norm_attention, &self.attention, &self.norm_mlp, &self.up, &self.down)
    }

    fn init(config: &ModelConfig, device: &Device) -> Self {
        let d = config.d_model;
        Block {
            norm_attention: layer_norm(d, device),
            attention: Attention::init(config, device),
            norm_mlp: layer_norm(d, device),
            up: LinearConfig::new(d, config.d_ff).init(device),
            down: LinearConfig::new(config.d_ff, d).init(device),
        }
    }

    fn forward(&self, x: Tensor<3>, mask: Tensor<4>, rotary: Option<&RotaryAt>, layer: usize, cache: Option<&mut CacheWrite<'_>>) -> Tensor<3> {
        let x = x.clone() + self.attention.forward(self.norm_attention.forward(x), mask, rotary, layer, cache);
        let mlp = self.down.forward(super::gelu(self.up.forward(self.norm_mlp.forward(x.clone()))));
        x + mlp
    }
}

/// Token embeddings, position embeddings (learned) or angle tables (rotary), the blocks and
/// the final norm.
#[derive(Module, Debug)]
pub struct TransformerBody {
    tokens: Embedding,
    positions: Option<Embedding>,
    blocks: Vec<Block>,
    norm: LayerNorm,
    /// Not a parameter: computed from the config.
    #[module(skip)]
    rotary: Option<Rotary>,
}

impl TransformerBody {
    pub fn init(config: &ModelConfig, device: &Device) -> Self {
        let (positions, rotary) = match config.positions {
            Positions::Learned => (Some(EmbeddingConfig::new(config.max_len, config.d_model).init(device)), None),
            Positions::Rotary => (None, Some(Rotary::new(config.head_dim(), config.max_len, device))),
        };
        TransformerBody {
            tokens: EmbeddingConfig::new(config.vocab_size, config.d_model).init(device),
            positions,
            blocks: (0..config.n_layers).map(|_| Block::init(config, device)).collect(),
            norm: layer_norm(config.d_model, device),
            rotary,
        }
    }

    /// Token embeddings, learned position embeddings, blocks, final norm, rotary tables.
    pub(super) fn parts(&self) -> (&Embedding, Option<&Embedding>, &[Block], &LayerNorm, Option<&Rotary>) {
        (&self.tokens, self.positions.as_ref(), &self.blocks, &self.norm, self.rotary.as_ref())
    }

    /// The same body with room for `max_len` positions. Rotary angles are computed for them;
    /// learned embeddings are kept and repeated to fill the new ones (the revision model
    /// starts from the generator: random new positions left it unable to read anything past
    /// the generator's length in a few hundred steps; repeated ones start from what it knows).
    pub fn with_max_len(mut self, max_len: usize, device: &Device) -> Self {
        if let Some(rotary) = &mut self.rotary {
            let head_dim = self.blocks.first().map_or(2, |b| b.attention.head_dim());
            *rotary = Rotary::new(head_dim, max_len.max(rotary.positions()), device);
            return self;
        }
        let Some(positions) = &mut self.positions else { return self };
        let old = positions.weight.val();
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
            positions.weight = burn::module::Param::from_tensor(weight);
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
        let rotary = self.rotary.as_ref().map(|r| r.at(positions.clone()));
        let mut x = self.tokens.forward(tokens);
        if let Some(embedding) = &self.positions {
            x = x + embedding.forward(positions);
        }
        for (layer, block) in self.blocks.iter().enumerate() {
            x = block.forward(x, mask.clone(), rotary.as_ref(), layer, cache.as_mut());
        }
        self.norm.forward(x)
    }
}
