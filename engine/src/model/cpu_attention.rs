//! Attention over a KV cache in host memory, for the host forward pass (`super::host`). Profiling a decode step
//! at batch 64 (perf) showed burn spending it on the glue around a tiny amount of arithmetic:
//! a copy of the keys for `swap_dims` per layer, 256 separate one-row matrix products per
//! layer, and a softmax whose libm `expf` takes its slow path on every masked slot. Here one
//! loop per (row, head, query) does the scores, the softmax and the weighted values, with the
//! same mask and the same max-subtracted softmax as burn, on a cache laid out for it (see
//! [`HostLayer`]).

use super::MASK_VALUE;
use super::fast_math::exp_non_positive;
use std::ops::Range;

/// Slots per block of the cache: one AVX register of f32.
const BLOCK: usize = 8;

/// Blocks of scores computed together (see the scores' loop).
const GROUP: usize = 4;

/// One layer's cache in host memory, `[B, H, capacity / BLOCK, dh, BLOCK]` for keys and for
/// values: a block holds [`BLOCK`] slots' vectors dimension by dimension, so the loops run
/// across slots in whole registers and a head's filled slots are one contiguous stretch of
/// memory (which the processor prefetches; slot-strided rows missed the cache on every step).
#[derive(Clone)]
pub(crate) struct HostLayer {
    pub keys: Vec<f32>,
    pub values: Vec<f32>,
}

/// Floats of one batch row of a [`HostLayer`]'s keys (or values).
pub(crate) fn row_len(d_model: usize, capacity: usize) -> usize {
    d_model * capacity.div_ceil(BLOCK) * BLOCK
}

/// Copies slots `0..slots` of one row of a layer's keys (or values), `(heads, head_dim,
/// capacity)` as in [`HostLayer`], from `from` to `to`; whole blocks, so a little more.
pub(crate) fn copy_slots(from: &[f32], to: &mut [f32], (heads, head_dim, capacity): (usize, usize, usize), slots: usize) {
    let head_len = row_len(head_dim, capacity);
    let used = (slots.div_ceil(BLOCK) * BLOCK).min(head_len / head_dim) * head_dim;
    for (from, to) in from.chunks_exact(head_len).zip(to.chunks_exact_mut(head_len)).take(heads) {
        to[..used].copy_from_slice(&from[..used]);
    }
}

/// Shapes of one call: `batch` rows of `queries` new tokens each, `heads` × `head_dim`, a
/// cache of `capacity` slots, and `keys` slots in the mask.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub batch: usize,
    pub queries: usize,
    pub heads: usize,
    pub head_dim: usize,
    pub capacity: usize,
    pub keys: usize,
}

/// The additive mask `[batch, 1, queries, width]`, where `batch` and `queries` may be 1
/// (broadcast) as in burn.
pub(crate) struct Mask<'a> {
    pub values: &'a [f32],
    pub batch: usize,
    pub queries: usize,
    pub width: usize,
}

impl Mask<'_> {
    /// The mask of query `q` in row `b`.
    fn row(&self, b: usize, q: usize) -> &[f32] {
        let b = if self.batch == 1 { 0 } else { b };
        let q = if self.queries == 1 { 0 } else { q };
        &self.values[(b * self.queries + q) * self.width..][..self.width]
    }
}

/// Writes the new keys and values of `qkv` (`[rows, T, 3d]`: queries, keys, values, each
/// split into heads) at slots `start..start + T` of cache rows `rows` of one layer's `keys` and
/// `values` (`[cache rows, H, capacity / BLOCK, dh, BLOCK]` each), then returns
/// softmax(q·kᵀ/√dh + mask)·v as `[rows, T, d]`.
pub(crate) fn write_and_attend(keys: &mut [f32], values: &mut [f32], rows: &[usize], shape: Shape, start: usize, qkv: &[f32], mask: &Mask<'_>) -> Vec<f32> {
    let Shape { batch, queries, heads, head_dim, capacity, keys: width } = shape;
    let d = heads * head_dim;
    assert_eq!(batch, rows.len(), "a shape row per cache row");
    assert_eq!(qkv.len(), batch * queries * 3 * d, "qkv shape");
    assert!(start + queries <= width && width <= capacity, "keys {width} for slots {start}+{queries} in {capacity}");
    assert!(mask.batch == 1 || mask.batch == batch, "mask batch");
    assert!(mask.queries == 1 || mask.queries == queries, "mask queries");
    assert!(mask.width == width && mask.values.len() == mask.batch * mask.queries * width, "mask shape");
    let row_len = row_len(d, capacity);
    assert!(keys.len() == values.len() && keys.len().is_multiple_of(row_len) && rows.iter().all(|&r| r < keys.len() / row_len), "cache shape");
    let mut out = vec![0.0f32; batch * queries * d];
    for (b, (&r, out)) in rows.iter().zip(out.chunks_exact_mut(queries * d)).enumerate() {
        let cache = RowCache { keys: &mut keys[r * row_len..][..row_len], values: &mut values[r * row_len..][..row_len] };
        attend_row(cache, shape, start, &qkv[b * queries * 3 * d..][..queries * 3 * d], mask, b, out);
    }
    out
}

/// One batch row's keys and values of one layer, `[H, capacity / BLOCK, dh, BLOCK]` each.
struct RowCache<'a> {
    keys: &'a mut [f32],
    values: &'a mut [f32],
}

/// Runs the row's loops compiled for AVX2 and FMA where the processor has them (the portable
/// build targets plain x86-64, whose 4-wide SSE halves the throughput).
fn attend_row(cache: RowCache<'_>, shape: Shape, start: usize, qkv: &[f32], mask: &Mask<'_>, b: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the processor supports the features the function is compiled for.
        unsafe { attend_row_avx2(cache, shape, start, qkv, mask, b, out) };
        return;
    }
    attend_row_loops(cache, shape, start, qkv, mask, b, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn attend_row_avx2(cache: RowCache<'_>, shape: Shape, start: usize, qkv: &[f32], mask: &Mask<'_>, b: usize, out: &mut [f32]) {
    attend_row_loops(cache, shape, start, qkv, mask, b, out);
}

/// `qkv` and `out` are the row's `[T, 3d]` and `[T, d]`.
#[inline(always)]
fn attend_row_loops(cache: RowCache<'_>, shape: Shape, start: usize, qkv: &[f32], mask: &Mask<'_>, b: usize, out: &mut [f32]) {
    let Shape { queries, heads, head_dim, capacity, .. } = shape;
    let d = heads * head_dim;
    let scale = 1.0 / (head_dim as f32).sqrt();
    let head_len = row_len(head_dim, capacity);
    let block_len = head_dim * BLOCK;
    // Slots past the last one written hold no keys yet: masked in every row, they would only
    // add exact zeros to the softmax, so they are not read (burn reads them; decode steps
    // show it a bucketed width). Only a row with every slot masked (a prefill's padding,
    // whose output is never used) would come out differently.
    let filled = start + queries;
    let blocks = filled.div_ceil(BLOCK);
    let mut scores = vec![0.0f32; blocks * BLOCK];
    let mut context = vec![[0.0f32; BLOCK]; head_dim];
    // Each query reads only the blocks from its first unmasked slot to its last (causal
    // prefill, left padding, parked rows). A slot masked with MASK_VALUE adds an exact 0 to
    // the softmax whenever another slot is not masked (its exponent is below -87 unless two
    // scores differ by thousands). A query with every slot masked reads them all, as burn does.
    let spans: Vec<Range<usize>> = (0..queries)
        .map(|t| {
            let row = &mask.row(b, t)[..filled];
            match (row.iter().position(|&m| m > MASK_VALUE), row.iter().rposition(|&m| m > MASK_VALUE)) {
                (Some(first), Some(last)) => first / BLOCK..last / BLOCK + 1,
                _ => 0..blocks,
            }
        })
        .collect();
    for h in 0..heads {
        let keys = &mut cache.keys[h * head_len..][..head_len];
        let values = &mut cache.values[h * head_len..][..head_len];
        for (t, token) in qkv.chunks_exact(3 * d).enumerate() {
            let (slot, lane) = ((start + t) / BLOCK * block_len, (start + t) % BLOCK);
            for j in 0..head_dim {
                keys[slot + j * BLOCK + lane] = token[d + h * head_dim + j];
                values[slot + j * BLOCK + lane] = token[2 * d + h * head_dim + j];
            }
        }
        for (t, token) in qkv.chunks_exact(3 * d).enumerate() {
            let q = &token[h * head_dim..][..head_dim];
            let mask_row = mask.row(b, t);
            let span = spans[t].start * BLOCK..spans[t].end * BLOCK;
            let scores = &mut scores[span.clone()];
            // Scores in burn's order: q·k, scaled, plus the mask; slots past the filled ones
            // (the last block's tail) get -∞, an exact 0 after the softmax.
            let real = span.start..span.end.min(filled);
            scores[..real.len()].copy_from_slice(&mask_row[real.clone()]);
            scores[real.len()..].fill(f32::NEG_INFINITY);
            // Blocks GROUP at a time: one accumulator each, so the multiply-adds of a group
            // are independent (one accumulator alone waits on its own latency every step).
            let first_block = span.start / BLOCK;
            for (g, s) in scores.chunks_mut(GROUP * BLOCK).enumerate() {
                let keys = &keys[(first_block + g * GROUP) * block_len..];
                if s.len() == GROUP * BLOCK {
                    add_scores::<GROUP>(q, keys, block_len, s, scale);
                } else {
                    for (i, s) in s.chunks_exact_mut(BLOCK).enumerate() {
                        add_scores::<1>(q, &keys[i * block_len..], block_len, s, scale);
                    }
                }
            }
            let max = lanes(scores, f32::NEG_INFINITY, f32::max);
            for s in scores.iter_mut() {
                let x = *s - max;
                // Past -87 e^x is below f32's normal range: exactly 0, as libm's expf gives
                // for a masked slot.
                *s = if x < -87.0 { 0.0 } else { exp_non_positive(x) };
            }
            let inverse = 1.0 / lanes(scores, 0.0, |a, b| a + b);
            // Σ p·v in BLOCK lanes per dimension, then each dimension's lanes summed.
            context.fill([0.0; BLOCK]);
            for (i, block) in span.step_by(BLOCK).enumerate() {
                let p = lanes_at(scores, i);
                let values = &values[block / BLOCK * block_len..][..block_len];
                for (j, c) in context.iter_mut().enumerate() {
                    let v = lanes_at(values, j);
                    for l in 0..BLOCK {
                        c[l] += p[l] * v[l];
                    }
                }
            }
            let out = &mut out[t * d + h * head_dim..][..head_dim];
            for (o, c) in out.iter_mut().zip(&context) {
                *o = c.iter().sum::<f32>() * inverse;
            }
        }
    }
}

/// Adds q·k × `scale` of the `N` blocks of `keys` (each `block_len` floats, `[dh, BLOCK]`) to
/// the `N × BLOCK` scores `s`.
#[inline(always)]
fn add_scores<const N: usize>(q: &[f32], keys: &[f32], block_len: usize, s: &mut [f32], scale: f32) {
    let mut acc = [[0.0f32; BLOCK]; N];
    for (j, &qj) in q.iter().enumerate() {
        for (i, acc) in acc.iter_mut().enumerate() {
            let k = lanes_at(&keys[i * block_len..], j);
            for l in 0..BLOCK {
                acc[l] += qj * k[l];
            }
        }
    }
    for (s, acc) in s.chunks_exact_mut(BLOCK).zip(&acc) {
        for l in 0..BLOCK {
            s[l] += acc[l] * scale;
        }
    }
}

/// Folds `xs` with `f` in [`BLOCK`] independent accumulators (which the compiler keeps in one
/// vector register; a single running value would serialise the loop), then folds those.
#[inline(always)]
fn lanes(xs: &[f32], init: f32, f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [init; BLOCK];
    let chunks = xs.chunks_exact(BLOCK);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a = f(*a, x);
        }
    }
    acc.into_iter().chain(rest.iter().copied()).fold(init, f)
}

type Lanes = [f32; BLOCK];

/// The `i`-th group of [`BLOCK`] floats of `xs`.
#[inline(always)]
fn lanes_at(xs: &[f32], i: usize) -> Lanes {
    xs[i * BLOCK..][..BLOCK].try_into().expect("a whole block")
}
