//! Preallocated key/value cache for batched decoding.

use super::ModelConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Decode steps attend to the cache in buckets of this many slots (see [`KvCache::visible`]).
pub const DECODE_BUCKET: usize = 32;

/// Keys and values of every layer for a batch of sequences, preallocated to `capacity` slots.
/// Rows are sequences; slots are time steps shared by the batch (a row may leave a slot unused,
/// masked out, while others decode).
pub struct KvCache {
    layers: Vec<(Option<Tensor<4>>, Option<Tensor<4>>)>,
    batch: usize,
    capacity: usize,
}

impl KvCache {
    pub fn new(config: &ModelConfig, batch: usize, capacity: usize, device: &Device) -> Self {
        let shape = [batch, config.n_heads, capacity, config.head_dim()];
        let layers = (0..config.n_layers)
            .map(|_| (Some(Tensor::zeros(shape, device)), Some(Tensor::zeros(shape, device))))
            .collect();
        KvCache { layers, batch, capacity }
    }

    pub fn batch(&self) -> usize {
        self.batch
    }
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Slots a single-token decode step attends to when slots `0..end` are filled: `end`
    /// rounded up to a multiple of [`DECODE_BUCKET`] (the extra slots are masked). Keeping the
    /// shapes to a few buckets matters on wgpu, where every new shape compiles and autotunes
    /// kernels: in a browser on a software GPU that cost seconds per decode step.
    pub fn visible(&self, end: usize) -> usize {
        end.div_ceil(DECODE_BUCKET).saturating_mul(DECODE_BUCKET).min(self.capacity).max(end)
    }

    /// Writes `k`, `v` ([B, H, T, dh]) at slots `start..start+T` of `layer` and returns the
    /// keys and values of slots `0..start+T` (of `0..visible(start+1)` for one new token).
    pub(crate) fn write(&mut self, layer: usize, start: usize, k: Tensor<4>, v: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let [b, h, t, dh] = k.dims();
        let end = start + t;
        assert!(end <= self.capacity, "KV cache overflow: slot {end} > capacity {}", self.capacity);
        let shown = if t == 1 { self.visible(end) } else { end };
        let (ks, vs) = &mut self.layers[layer];
        // Taking the buffers out keeps them uniquely owned, so backends can assign in place.
        let kb = ks.take().expect("cache buffer present").slice_assign([0..b, 0..h, start..end, 0..dh], k);
        let vb = vs.take().expect("cache buffer present").slice_assign([0..b, 0..h, start..end, 0..dh], v);
        let keys = kb.clone().slice([0..b, 0..h, 0..shown, 0..dh]);
        let values = vb.clone().slice([0..b, 0..h, 0..shown, 0..dh]);
        *ks = Some(kb);
        *vs = Some(vb);
        (keys, values)
    }

    /// Bytes of one row of one layer's keys (or values): the unit the GPU allocates per row.
    pub fn row_bytes(config: &ModelConfig, capacity: usize) -> usize {
        capacity * config.d_model * std::mem::size_of::<f32>()
    }

    /// A cache whose row `i` is row `rows[i].1` of `parts[rows[i].0]` (rows may repeat).
    pub fn gather(parts: &[KvCache], rows: &[(usize, usize)], device: &Device) -> KvCache {
        // Runs of rows from the same part become one select each.
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < rows.len() {
            let part = rows[start].0;
            let end = start + rows[start..].iter().take_while(|r| r.0 == part).count();
            let source = &parts[part];
            let picks: Vec<usize> = rows[start..end].iter().map(|r| r.1).collect();
            let whole = picks.len() == source.batch && picks.iter().enumerate().all(|(i, &r)| i == r);
            let mut piece = KvCache { layers: source.layers.clone(), batch: source.batch, capacity: source.capacity };
            if !whole {
                piece.select_rows(&picks, device);
            }
            pieces.push(piece);
            start = end;
        }
        KvCache::concat(pieces)
    }

    /// Keeps row `rows[i]` as new row `i` (rows may repeat: that forks a sequence).
    pub fn select_rows(&mut self, rows: &[usize], device: &Device) {
        let ids: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        let index: Tensor<1, Int> = Tensor::from_data(TensorData::new(ids, [rows.len()]), device);
        for (k, v) in &mut self.layers {
            *k = Some(k.take().expect("cache buffer present").select(0, index.clone()));
            *v = Some(v.take().expect("cache buffer present").select(0, index.clone()));
        }
        self.batch = rows.len();
    }
}

impl KvCache {
    /// Stacks caches of the same capacity along the batch.
    pub fn concat(mut parts: Vec<KvCache>) -> KvCache {
        if parts.len() == 1 {
            return parts.pop().unwrap();
        }
        let capacity = parts[0].capacity;
        let batch = parts.iter().map(|p| p.batch).sum();
        let n_layers = parts[0].layers.len();
        let mut layers = Vec::with_capacity(n_layers);
        for l in 0..n_layers {
            let ks = parts.iter_mut().map(|p| p.layers[l].0.take().expect("cache buffer present")).collect();
            let vs = parts.iter_mut().map(|p| p.layers[l].1.take().expect("cache buffer present")).collect();
            layers.push((Some(Tensor::cat(ks, 0)), Some(Tensor::cat(vs, 0))));
        }
        KvCache { layers, batch, capacity }
    }
}
