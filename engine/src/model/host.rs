//! The models' forward pass on the CPU without burn's tensors: the weights copied once into
//! host memory, each operation a loop or one `gemm` call over plain slices, attention the
//! fused loop of [`super::cpu_attention`] over a host [`KvCache`].
//!
//! Why: at this model's size (d = 72) a decode step is a few microseconds of arithmetic per
//! operation, and burn spent more than that on each operation's allocation, copies and
//! dispatch (perf at batch 256: a tenth of the time in `memmove` alone). Here a step allocates
//! a handful of buffers, computes only the rows that are decoding, and splits the rows over
//! the threads once per step instead of once per operation. burn's forward stays the reference
//! (training, wgpu, tests), and the tests hold the two to 1e-5.

use super::cpu_attention::{self, Mask, Shape};
use super::fast_math::exp_non_positive;
use super::rotary::Rotary;
use super::transformer::{Block, TransformerBody};
use super::{KvCache, LanguageModel, ModelConfig, RewardModel};
use crate::task::Token;
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::tensor::Tensor;

/// burn's `LayerNormConfig` default, which every model's norms use.
pub(crate) const LAYER_NORM_EPSILON: f64 = 1e-5;

/// Rows of one forward pass from which the rows are split over the threads (natively).
#[cfg(feature = "native")]
const PARALLEL_ROWS: usize = 16;

/// Threads the host forward pass spreads a batch's rows over (1 in the browser's wasm).
pub fn host_threads() -> usize {
    #[cfg(feature = "native")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "native"))]
    1
}

fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 after convert")
}

/// y = x·W + b with burn's layout: W is `[d_in, d_out]`, rows of x are `d_in` long.
struct HostLinear {
    weight: Vec<f32>,
    bias: Vec<f32>,
    d_in: usize,
    d_out: usize,
}

impl HostLinear {
    fn new(linear: &Linear) -> Self {
        let [d_in, d_out] = linear.weight.dims();
        let bias = linear.bias.as_ref().map_or_else(|| vec![0.0; d_out], |b| floats(b.val()));
        HostLinear { weight: floats(linear.weight.val()), bias, d_in, d_out }
    }

    /// `out` = x·W + b, or with `add` `out` += x·W + b (a residual).
    #[inline(always)]
    fn apply(&self, x: &[f32], out: &mut [f32], add: bool) {
        let rows = x.len() / self.d_in;
        assert!(x.len() == rows * self.d_in && out.len() == rows * self.d_out, "linear shapes");
        for row in out.chunks_exact_mut(self.d_out) {
            if add {
                row.iter_mut().zip(&self.bias).for_each(|(o, b)| *o += b);
            } else {
                row.copy_from_slice(&self.bias);
            }
        }
        if rows == 0 {
            return;
        }
        // SAFETY: the pointers cover `rows × d_in`, `d_in × d_out` and `rows × d_out` floats,
        // row-major (column stride 1), as asserted above; `out` does not alias the inputs.
        unsafe {
            gemm::gemm(
                rows,
                self.d_out,
                self.d_in,
                out.as_mut_ptr(),
                1,
                self.d_out as isize,
                true,
                x.as_ptr(),
                1,
                self.d_in as isize,
                self.weight.as_ptr(),
                1,
                self.d_out as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }

    fn out(&self, x: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; x.len() / self.d_in * self.d_out];
        self.apply(x, &mut out, false);
        out
    }
}

struct HostNorm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl HostNorm {
    fn new(norm: &LayerNorm) -> Self {
        let gamma = floats(norm.gamma.val());
        let beta = norm.beta.as_ref().map_or_else(|| vec![0.0; gamma.len()], |b| floats(b.val()));
        HostNorm { gamma, beta }
    }

    /// (x − mean) / √(var + ε) · γ + β per row, the variance biased, as burn's `layer_norm`.
    #[inline(always)]
    fn apply(&self, x: &[f32], out: &mut [f32]) {
        let d = self.gamma.len();
        for (row, out) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
            let mean = sum_in_lanes(row.iter().copied()) / d as f32;
            let var = sum_in_lanes(row.iter().map(|v| (v - mean) * (v - mean))) / d as f32;
            let scale = 1.0 / (var + LAYER_NORM_EPSILON as f32).sqrt();
            for (((o, &v), g), b) in out.iter_mut().zip(row).zip(&self.gamma).zip(&self.beta) {
                *o = (v - mean) * scale * g + b;
            }
        }
    }
}

/// A sum in eight running partial sums (a single one serialises the additions and keeps the
/// loop from vectorising).
#[inline(always)]
fn sum_in_lanes(xs: impl Iterator<Item = f32>) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (i, x) in xs.enumerate() {
        lanes[i % 8] += x;
    }
    lanes.iter().sum()
}

struct HostBlock {
    norm_attention: HostNorm,
    qkv: HostLinear,
    out: HostLinear,
    norm_mlp: HostNorm,
    up: HostLinear,
    down: HostLinear,
}

impl HostBlock {
    fn new(block: &Block) -> Self {
        let (norm_attention, attention, norm_mlp, up, down) = block.parts();
        let (qkv, out) = attention.parts();
        HostBlock {
            norm_attention: HostNorm::new(norm_attention),
            qkv: HostLinear::new(qkv),
            out: HostLinear::new(out),
            norm_mlp: HostNorm::new(norm_mlp),
            up: HostLinear::new(up),
            down: HostLinear::new(down),
        }
    }
}

/// Rotary angle tables `[positions, head_dim / 2]`, as in [`Rotary`].
struct HostRotary {
    cos: Vec<f32>,
    sin: Vec<f32>,
    half: usize,
}

impl HostRotary {
    fn new(rotary: &Rotary) -> Self {
        let (cos, sin) = rotary.tables();
        let half = cos.dims()[1];
        HostRotary { cos: floats(cos.clone()), sin: floats(sin.clone()), half }
    }

    /// Turns the queries and keys of one token's `[3d]` projection in place, each head's first
    /// half against its second (the layout of `RotaryAt::rotate_qkv`).
    #[inline(always)]
    fn rotate(&self, token: &mut [f32], position: usize, heads: usize) {
        let half = self.half;
        let (cos, sin) = (&self.cos[position * half..][..half], &self.sin[position * half..][..half]);
        for head in token[..2 * heads * 2 * half].chunks_exact_mut(2 * half) {
            let (first, second) = head.split_at_mut(half);
            for i in 0..half {
                let (a, b) = (first[i], second[i]);
                first[i] = a * cos[i] - b * sin[i];
                second[i] = b * cos[i] + a * sin[i];
            }
        }
    }
}

/// What one forward pass reads: `queries` tokens of each of `rows` (cache rows, ascending) at
/// `positions`, written at cache slots `start..start + queries`, under an additive mask
/// `[queries, width]` per row, or one for every row where `shared_mask`.
pub struct HostInput<'a> {
    pub rows: &'a [usize],
    pub tokens: &'a [Token],
    pub positions: &'a [usize],
    pub mask: &'a [f32],
    pub shared_mask: bool,
    pub start: usize,
}

impl HostInput<'_> {
    fn queries(&self) -> usize {
        self.tokens.len() / self.rows.len().max(1)
    }

    fn mask_rows(&self) -> usize {
        if self.shared_mask { 1 } else { self.rows.len() }
    }

    fn width(&self) -> usize {
        self.mask.len() / (self.mask_rows() * self.queries()).max(1)
    }
}

/// The transformer body in host memory.
struct HostBody {
    d: usize,
    heads: usize,
    d_ff: usize,
    tokens: Vec<f32>,
    positions: Option<Vec<f32>>,
    rotary: Option<HostRotary>,
    blocks: Vec<HostBlock>,
    norm: HostNorm,
}

impl HostBody {
    fn new(body: &TransformerBody, config: &ModelConfig) -> Self {
        let (tokens, positions, blocks, norm, rotary) = body.parts();
        let embedding = |e: &Embedding| floats(e.weight.val());
        HostBody {
            d: config.d_model,
            heads: config.n_heads,
            d_ff: config.d_ff,
            tokens: embedding(tokens),
            positions: positions.map(embedding),
            rotary: rotary.map(HostRotary::new),
            blocks: blocks.iter().map(HostBlock::new).collect(),
            norm: HostNorm::new(norm),
        }
    }

    /// Hidden states after the final norm, `[rows × queries, d]`, writing the rows' keys and
    /// values into `cache`. Natively, a pass of [`PARALLEL_ROWS`] rows or more runs its rows
    /// in as many parts as there are threads, each part through every layer on its own.
    fn forward(&self, cache: &mut KvCache, input: &HostInput<'_>) -> Vec<f32> {
        let queries = input.queries();
        assert_eq!(input.tokens.len(), input.rows.len() * queries, "tokens per row");
        assert_eq!(input.positions.len(), input.tokens.len(), "a position per token");
        assert!(input.rows.windows(2).all(|w| w[0] < w[1]) && input.rows.last().is_none_or(|&r| r < cache.batch()), "rows ascending, in the cache");
        let capacity = cache.capacity();
        let layers = cache.host_layers_mut(input.start + queries).expect("a host cache");
        let views: Vec<(&mut [f32], &mut [f32])> = layers.iter_mut().map(|l| (l.keys.as_mut_slice(), l.values.as_mut_slice())).collect();
        let mask_rows = input.mask_rows();
        let width = input.width();
        let part = |views: Vec<(&mut [f32], &mut [f32])>, first_row: usize, rows: std::ops::Range<usize>| {
            let local: Vec<usize> = input.rows[rows.clone()].iter().map(|r| r - first_row).collect();
            let tokens = &input.tokens[rows.start * queries..rows.end * queries];
            let positions = &input.positions[rows.start * queries..rows.end * queries];
            let mask = if mask_rows == 1 { input.mask } else { &input.mask[rows.start * queries * width..rows.end * queries * width] };
            let mask = Mask { values: mask, batch: if mask_rows == 1 { 1 } else { local.len() }, queries, width };
            self.forward_part(views, capacity, &local, tokens, positions, &mask, input.start)
        };
        let n = input.rows.len();
        #[cfg(feature = "native")]
        if n >= PARALLEL_ROWS && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            let row_len = cpu_attention::row_len(self.d, capacity);
            let mut views = views;
            let parts = rayon::current_num_threads().min(n);
            // Contiguous stretches of the rows, each with the cache rows from its first row on
            // up to the next stretch's first row.
            let bounds: Vec<usize> = (0..=parts).map(|p| p * n / parts).collect();
            let mut pieces = Vec::with_capacity(parts);
            for p in (1..parts).rev() {
                let cut = input.rows[bounds[p]] * row_len;
                let mut tail = Vec::with_capacity(views.len());
                for (k, v) in views.iter_mut() {
                    let (k_head, k_tail) = std::mem::take(k).split_at_mut(cut);
                    let (v_head, v_tail) = std::mem::take(v).split_at_mut(cut);
                    *k = k_head;
                    *v = v_head;
                    tail.push((k_tail, v_tail));
                }
                pieces.push((tail, input.rows[bounds[p]], bounds[p]..bounds[p + 1]));
            }
            pieces.push((views, 0, bounds[0]..bounds[1]));
            pieces.reverse();
            let outs: Vec<Vec<f32>> = pieces.into_par_iter().map(|(views, first, rows)| part(views, first, rows)).collect();
            return outs.concat();
        }
        part(views, 0, 0..n)
    }

    /// One part's pass, its loops (embeddings, norms, rotary turns, biases) compiled for AVX2
    /// and FMA where the processor has them, as the GELU and the attention are.
    #[allow(clippy::too_many_arguments)]
    fn forward_part(&self, cache: Vec<(&mut [f32], &mut [f32])>, capacity: usize, rows: &[usize], tokens: &[Token], positions: &[usize], mask: &Mask<'_>, start: usize) -> Vec<f32> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor supports the features the function is compiled for.
            return unsafe { self.forward_part_avx2(cache, capacity, rows, tokens, positions, mask, start) };
        }
        self.forward_part_loops(cache, capacity, rows, tokens, positions, mask, start)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    fn forward_part_avx2(&self, cache: Vec<(&mut [f32], &mut [f32])>, capacity: usize, rows: &[usize], tokens: &[Token], positions: &[usize], mask: &Mask<'_>, start: usize) -> Vec<f32> {
        self.forward_part_loops(cache, capacity, rows, tokens, positions, mask, start)
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn forward_part_loops(&self, mut cache: Vec<(&mut [f32], &mut [f32])>, capacity: usize, rows: &[usize], tokens: &[Token], positions: &[usize], mask: &Mask<'_>, start: usize) -> Vec<f32> {
        let (d, heads) = (self.d, self.heads);
        let m = tokens.len();
        let mut x = vec![0.0f32; m * d];
        for ((x, &token), &position) in x.chunks_exact_mut(d).zip(tokens).zip(positions) {
            x.copy_from_slice(&self.tokens[token as usize * d..][..d]);
            if let Some(table) = &self.positions {
                x.iter_mut().zip(&table[position * d..][..d]).for_each(|(x, p)| *x += p);
            }
        }
        let mut normed = vec![0.0f32; m * d];
        let mut qkv = vec![0.0f32; m * 3 * d];
        let mut up = vec![0.0f32; m * self.d_ff];
        let shape = Shape { batch: rows.len(), queries: m / rows.len().max(1), heads, head_dim: d / heads, capacity, keys: mask.width };
        for (block, (keys, values)) in self.blocks.iter().zip(cache.iter_mut()) {
            block.norm_attention.apply(&x, &mut normed);
            block.qkv.apply(&normed, &mut qkv, false);
            if let Some(rotary) = &self.rotary {
                for (token, &position) in qkv.chunks_exact_mut(3 * d).zip(positions) {
                    rotary.rotate(token, position, heads);
                }
            }
            let context = cpu_attention::write_and_attend(keys, values, rows, shape, start, &qkv, mask);
            block.out.apply(&context, &mut x, true);
            block.norm_mlp.apply(&x, &mut normed);
            block.up.apply(&normed, &mut up, false);
            super::gelu::gelu_in_place(&mut up);
            block.down.apply(&up, &mut x, true);
        }
        self.norm.apply(&x, &mut normed);
        normed
    }
}

/// The language model in host memory: next-token logits through a host cache.
pub struct HostLanguageModel {
    body: HostBody,
    head: HostLinear,
}

impl HostLanguageModel {
    pub fn new(model: &LanguageModel, config: &ModelConfig) -> Self {
        let (body, head) = model.parts();
        HostLanguageModel { body: HostBody::new(body, config), head: HostLinear::new(head) }
    }

    /// Logits `[rows, vocab]` at each row's last query.
    pub fn forward_cached(&self, cache: &mut KvCache, input: &HostInput<'_>) -> Vec<f32> {
        let hidden = self.body.forward(cache, input);
        let (d, queries) = (self.body.d, input.queries());
        let last: Vec<f32> = hidden.chunks_exact(queries * d).flat_map(|row| row[(queries - 1) * d..].iter().copied()).collect();
        self.head.out(&last)
    }
}

/// The PRM in host memory: its probabilities at every position of whole sequences.
pub struct HostRewardModel {
    body: HostBody,
    head: HostLinear,
    lm_head: HostLinear,
    likelihood_weight: f32,
    step_end: Token,
    config: ModelConfig,
}

impl HostRewardModel {
    pub fn new(model: &RewardModel, config: &ModelConfig) -> Self {
        let (body, head, lm_head, likelihood_weight) = model.parts();
        HostRewardModel {
            body: HostBody::new(body, config),
            head: HostLinear::new(head),
            lm_head: HostLinear::new(lm_head),
            likelihood_weight: floats(likelihood_weight)[0],
            step_end: RewardModel::step_end(),
            config: config.clone(),
        }
    }

    /// sigmoid of [`RewardModel::logits`] at every position, `[rows, t]`, for right-padded
    /// `tokens` `[rows, t]` under one causal mask (see `infer::right_padded`).
    pub fn forward(&self, tokens: &[Token], t: usize, causal_mask: &[f32]) -> Vec<f32> {
        let b = tokens.len() / t.max(1);
        let mut cache = KvCache::host(&self.config, b, t);
        let rows: Vec<usize> = (0..b).collect();
        let positions: Vec<usize> = (0..b).flat_map(|_| 0..t).collect();
        let hidden = self.body.forward(&mut cache, &HostInput { rows: &rows, tokens, positions: &positions, mask: causal_mask, shared_mask: true, start: 0 });
        let head = self.head.out(&hidden);
        let lm = self.lm_head.out(&hidden);
        let v = self.lm_head.d_out;
        let mut out = Vec::with_capacity(b * t);
        for (r, row) in tokens.chunks_exact(t).enumerate() {
            let (mut likelihood, mut in_solution) = (0.0f32, false);
            for i in 0..t {
                if in_solution {
                    // log p(token i | tokens < i) from position i − 1's log-softmax.
                    let logits = &lm[(r * t + i - 1) * v..][..v];
                    likelihood += logits[row[i] as usize] - log_sum_exp(logits);
                }
                let logit = head[r * t + i] + likelihood * self.likelihood_weight;
                out.push(1.0 / (1.0 + (-logit).exp()));
                in_solution |= row[i] == self.step_end;
            }
        }
        out
    }
}

fn log_sum_exp(xs: &[f32]) -> f32 {
    let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    max + xs.iter().map(|&x| exp_non_positive(x - max)).sum::<f32>().ln()
}
