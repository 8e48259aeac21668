//! Preallocated key/value cache for batched decoding.

use super::ModelConfig;
use super::cpu_attention::{self, HostLayer};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Decode steps attend to the cache in buckets of this many slots (see [`KvCache::visible`]).
pub const DECODE_BUCKET: usize = 32;

/// Keys and values of every layer for a batch of sequences, preallocated to `capacity` slots.
/// Rows are sequences; slots are time steps shared by the batch (a row may leave a slot unused,
/// masked out, while others decode).
pub struct KvCache {
    storage: Storage,
    heads: usize,
    head_dim: usize,
    batch: usize,
    capacity: usize,
    /// Slots `0..written` may hold keys of some row (the rest are zeros; host caches copy no more).
    written: usize,
    attention: CacheAttention,
}

/// How a cache of burn tensors is attended on wgpu.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheAttention {
    /// One hand-written WGSL dispatch per layer (`model::wgpu_attention`) where the tensors
    /// allow it; burn's operations elsewhere (other devices, autodiff).
    #[default]
    Kernel,
    /// burn's operations always: the reference the kernel is tested and counted against.
    BurnOperations,
}

enum Storage {
    /// burn tensors `[B, H, capacity, dh]` per layer (keys, values): every device.
    Tensors(Vec<(Option<Tensor<4>>, Option<Tensor<4>>)>),
    /// Host memory, read and written by the host forward pass (`model::host`).
    Host(Vec<HostLayer>),
}

impl KvCache {
    /// A cache of burn tensors on `device`, read by the models' `forward_cached`: through the
    /// WGSL attention kernel on wgpu, burn's operations elsewhere (see [`CacheAttention`]).
    pub fn new(config: &ModelConfig, batch: usize, capacity: usize, device: &Device) -> Self {
        let shape = [batch, config.n_heads, capacity, config.head_dim()];
        let layers = (0..config.n_layers)
            .map(|_| (Some(Tensor::zeros(shape, device)), Some(Tensor::zeros(shape, device))))
            .collect();
        KvCache::with_storage(config, batch, capacity, Storage::Tensors(layers))
    }

    /// A cache in host memory, for the models' host forward pass (`model::host`).
    pub fn host(config: &ModelConfig, batch: usize, capacity: usize) -> Self {
        let size = batch * cpu_attention::row_len(config.d_model, capacity);
        // Zeroed allocations per layer (not clones of one): the pages stay untouched until a
        // slot is written.
        let layers = (0..config.n_layers).map(|_| HostLayer { keys: vec![0.0; size], values: vec![0.0; size] }).collect();
        KvCache::with_storage(config, batch, capacity, Storage::Host(layers))
    }

    fn with_storage(config: &ModelConfig, batch: usize, capacity: usize, storage: Storage) -> Self {
        KvCache { storage, heads: config.n_heads, head_dim: config.head_dim(), batch, capacity, written: 0, attention: CacheAttention::default() }
    }

    /// The same cache, attended as `attention` says.
    pub fn attended_by(mut self, attention: CacheAttention) -> Self {
        self.attention = attention;
        self
    }

    pub fn attention(&self) -> CacheAttention {
        self.attention
    }

    /// Takes `layer`'s key and value buffers (`[B, H, capacity, dh]`) out of a tensor cache,
    /// so that a kernel owns them uniquely and writes slots `..end` in place; they go back
    /// with [`KvCache::put_layer`].
    pub(crate) fn take_layer(&mut self, layer: usize, end: usize) -> Option<(Tensor<4>, Tensor<4>)> {
        assert!(end <= self.capacity, "KV cache overflow: slot {end} > capacity {}", self.capacity);
        let Storage::Tensors(layers) = &mut self.storage else { return None };
        let (ks, vs) = &mut layers[layer];
        self.written = self.written.max(end);
        Some((ks.take().expect("cache buffer present"), vs.take().expect("cache buffer present")))
    }

    pub(crate) fn put_layer(&mut self, layer: usize, keys: Tensor<4>, values: Tensor<4>) {
        let Storage::Tensors(layers) = &mut self.storage else { unreachable!("only tensor caches are taken") };
        layers[layer] = (Some(keys), Some(values));
    }

    /// Floats of one row of one layer's keys (or values) in host memory.
    fn host_row_len(&self) -> usize {
        cpu_attention::row_len(self.heads * self.head_dim, self.capacity)
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

    /// The layers of a host cache (None for burn tensors), about to be written up to slot
    /// `end`.
    pub(crate) fn host_layers_mut(&mut self, end: usize) -> Option<&mut [HostLayer]> {
        self.written = self.written.max(end);
        match &mut self.storage {
            Storage::Host(layers) => Some(layers),
            Storage::Tensors(_) => None,
        }
    }

    /// Writes `k`, `v` ([B, H, T, dh]) at slots `start..start+T` of `layer` and returns the
    /// keys and values of slots `0..start+T` (of `0..visible(start+1)` for one new token).
    pub(crate) fn write(&mut self, layer: usize, start: usize, k: Tensor<4>, v: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let [b, h, t, dh] = k.dims();
        let end = start + t;
        assert!(end <= self.capacity, "KV cache overflow: slot {end} > capacity {}", self.capacity);
        let shown = if t == 1 { self.visible(end) } else { end };
        let Storage::Tensors(layers) = &mut self.storage else { unreachable!("a host cache is written by the host forward pass") };
        let (ks, vs) = &mut layers[layer];
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
        let first = &parts[0];
        if let Storage::Host(first_layers) = &first.storage {
            let row_len = first.host_row_len();
            // Only the written slots are copied (into zeroed memory, whose pages stay untouched
            // past them): a row's capacity is the model's whole context, mostly empty.
            let written = rows.iter().map(|&(p, _)| parts[p].written).max().unwrap_or(0);
            let layers = (0..first_layers.len())
                .map(|l| {
                    let mut layer = HostLayer { keys: vec![0.0; rows.len() * row_len], values: vec![0.0; rows.len() * row_len] };
                    for (i, &(p, r)) in rows.iter().enumerate() {
                        let Storage::Host(source) = &parts[p].storage else { unreachable!("parts share a storage") };
                        let (from, to) = (r * row_len..(r + 1) * row_len, i * row_len..(i + 1) * row_len);
                        cpu_attention::copy_slots(&source[l].keys[from.clone()], &mut layer.keys[to.clone()], host_shape(first), written);
                        cpu_attention::copy_slots(&source[l].values[from], &mut layer.values[to], host_shape(first), written);
                    }
                    layer
                })
                .collect();
            return KvCache { storage: Storage::Host(layers), batch: rows.len(), written, ..*first };
        }
        // Runs of rows from the same part become one select each.
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < rows.len() {
            let part = rows[start].0;
            let end = start + rows[start..].iter().take_while(|r| r.0 == part).count();
            let source = &parts[part];
            let picks: Vec<usize> = rows[start..end].iter().map(|r| r.1).collect();
            let whole = picks.len() == source.batch && picks.iter().enumerate().all(|(i, &r)| i == r);
            let Storage::Tensors(layers) = &source.storage else { unreachable!("parts share a storage") };
            let mut piece = KvCache { storage: Storage::Tensors(layers.clone()), ..*source };
            if !whole {
                piece.select_rows(&picks, device);
            }
            pieces.push(piece);
            start = end;
        }
        KvCache::concat_tensors(pieces)
    }

    /// Keeps row `rows[i]` as new row `i` (rows may repeat: that forks a sequence).
    pub fn select_rows(&mut self, rows: &[usize], device: &Device) {
        match &mut self.storage {
            Storage::Host(_) => {
                let picks: Vec<(usize, usize)> = rows.iter().map(|&r| (0, r)).collect();
                *self = KvCache::gather(std::slice::from_ref(self), &picks, device);
            }
            Storage::Tensors(layers) => {
                let ids: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
                let index: Tensor<1, Int> = Tensor::from_data(TensorData::new(ids, [rows.len()]), device);
                for (k, v) in layers {
                    *k = Some(k.take().expect("cache buffer present").select(0, index.clone()));
                    *v = Some(v.take().expect("cache buffer present").select(0, index.clone()));
                }
                self.batch = rows.len();
            }
        }
    }

    /// Stacks caches of burn tensors of the same capacity along the batch (host caches are
    /// gathered row by row instead, in [`Self::gather`]).
    fn concat_tensors(mut parts: Vec<KvCache>) -> KvCache {
        if parts.len() == 1 {
            return parts.pop().unwrap();
        }
        let batch = parts.iter().map(|p| p.batch).sum();
        let mut sources: Vec<_> = parts
            .iter_mut()
            .map(|p| match &mut p.storage {
                Storage::Tensors(layers) => std::mem::take(layers),
                Storage::Host(_) => unreachable!("host caches are gathered, not concatenated"),
            })
            .collect();
        let n_layers = sources[0].len();
        let mut layers = Vec::with_capacity(n_layers);
        for l in 0..n_layers {
            let ks = sources.iter_mut().map(|s| s[l].0.take().expect("cache buffer present")).collect();
            let vs = sources.iter_mut().map(|s| s[l].1.take().expect("cache buffer present")).collect();
            layers.push((Some(Tensor::cat(ks, 0)), Some(Tensor::cat(vs, 0))));
        }
        KvCache { storage: Storage::Tensors(layers), batch, ..parts.swap_remove(0) }
    }
}


/// Heads, head size and capacity of a host cache's rows.
fn host_shape(cache: &KvCache) -> (usize, usize, usize) {
    (cache.heads, cache.head_dim, cache.capacity)
}
