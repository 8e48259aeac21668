// One layer's attention over the KV cache, in one dispatch: rotate the new queries and keys
// (rotary positions), write the new keys and values into the cache, then softmax attention of
// every new query over the cache's visible slots. burn's operations take about forty dispatches
// for the same work (the rotation's slices and concatenations, two slice-assigns, two matrix
// products, the scale, the mask, the softmax's reductions, the copies between them).
//
// Every binding is read_write, as in cubecl's own kernels: its memory pool may place several
// tensors in one wgpu buffer, and a buffer bound both read-only and read-write in one dispatch
// fails validation.
//
// One workgroup per (row, head). It writes its own row's and head's keys and values first, so
// no other workgroup reads what it writes; a storage barrier makes them visible to its own
// invocations before any query reads them.

struct Params {
    rows: u32,       // B
    queries: u32,    // T: new tokens per row (1 when decoding)
    d_model: u32,    // d
    heads: u32,      // H
    head_dim: u32,   // dh
    capacity: u32,   // cache slots per row
    start: u32,      // slot of the first new token
    width: u32,      // slots attended (the mask's last dimension)
    mask_rows: u32,  // 1 or B: the mask's rows (1 broadcasts)
    mask_queries: u32, // 1 or T
    rotary: u32,     // 1: rotate queries and keys by cos/sin
}

@group(0) @binding(0) var<storage, read_write> qkv: array<f32>;          // [B, T, 3d]
@group(0) @binding(1) var<storage, read_write> cos_at: array<f32>;       // [B, T, dh/2]
@group(0) @binding(2) var<storage, read_write> sin_at: array<f32>;       // [B, T, dh/2]
@group(0) @binding(3) var<storage, read_write> mask: array<f32>;         // [mask_rows, 1, mask_queries, width], additive
@group(0) @binding(4) var<storage, read_write> keys: array<f32>;   // [B, H, capacity, dh]
@group(0) @binding(5) var<storage, read_write> values: array<f32>; // [B, H, capacity, dh]
@group(0) @binding(6) var<storage, read_write> context: array<f32>; // [B, T, d]
@group(0) @binding(7) var<storage, read_write> params: Params;

const THREADS: u32 = 64u;
const MAX_SLOTS: u32 = 1024u;
const MAX_HEAD_DIM: u32 = 128u;

var<workgroup> scores: array<f32, MAX_SLOTS>;
var<workgroup> query: array<f32, MAX_HEAD_DIM>;
var<workgroup> partial: array<f32, THREADS>;
var<workgroup> shared_queries: u32;
var<workgroup> shared_width: u32;

// Element `j` of a head's rotated vector, whose unrotated head starts at `qkv[base]`; `token`
// indexes the angle tables. The first half of a head pairs with the second (GPT-NeoX layout).
fn rotated(base: u32, j: u32, token: u32) -> f32 {
    let x = qkv[base + j];
    if (params.rotary == 0u) {
        return x;
    }
    let half = params.head_dim / 2u;
    if (j < half) {
        let angle = token * half + j;
        return x * cos_at[angle] - qkv[base + j + half] * sin_at[angle];
    }
    let angle = token * half + j - half;
    return x * cos_at[angle] + qkv[base + j - half] * sin_at[angle];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let lane = local.x;
    let row = group.x / params.heads;
    let head = group.x % params.heads;
    let d = params.d_model;
    let dh = params.head_dim;
    if (lane == 0u) {
        shared_queries = params.queries;
        shared_width = params.width;
    }
    // Barriers inside the loops below need bounds the whole workgroup agrees on.
    let t_count = workgroupUniformLoad(&shared_queries);
    let width = workgroupUniformLoad(&shared_width);
    let cache_row = (row * params.heads + head) * params.capacity;

    // The new keys (rotated) and values of this row and head, into the cache.
    for (var e = lane; e < t_count * dh; e += THREADS) {
        let t = e / dh;
        let j = e % dh;
        let token = row * t_count + t;
        let base = token * 3u * d + head * dh;
        let slot = (cache_row + params.start + t) * dh + j;
        keys[slot] = rotated(base + d, j, token);
        values[slot] = qkv[base + 2u * d + j];
    }
    storageBarrier();
    workgroupBarrier();

    let scale = inverseSqrt(f32(dh));
    for (var t = 0u; t < t_count; t += 1u) {
        let token = row * t_count + t;
        for (var j = lane; j < dh; j += THREADS) {
            query[j] = rotated(token * 3u * d + head * dh, j, token);
        }
        workgroupBarrier();
        let mask_row = select(0u, row, params.mask_rows > 1u);
        let mask_query = select(0u, t, params.mask_queries > 1u);
        let mask_base = (mask_row * params.mask_queries + mask_query) * width;
        var local_max = -3.4e38;
        for (var s = lane; s < width; s += THREADS) {
            let key = (cache_row + s) * dh;
            var dot = 0.0;
            for (var j = 0u; j < dh; j += 1u) {
                dot += query[j] * keys[key + j];
            }
            let score = dot * scale + mask[mask_base + s];
            scores[s] = score;
            local_max = max(local_max, score);
        }
        partial[lane] = local_max;
        workgroupBarrier();
        for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
            if (lane < stride) {
                partial[lane] = max(partial[lane], partial[lane + stride]);
            }
            workgroupBarrier();
        }
        let top = partial[0];
        workgroupBarrier();
        var local_sum = 0.0;
        for (var s = lane; s < width; s += THREADS) {
            let p = exp(scores[s] - top);
            scores[s] = p;
            local_sum += p;
        }
        partial[lane] = local_sum;
        workgroupBarrier();
        for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
            if (lane < stride) {
                partial[lane] = partial[lane] + partial[lane + stride];
            }
            workgroupBarrier();
        }
        let total = partial[0];
        for (var j = lane; j < dh; j += THREADS) {
            var acc = 0.0;
            for (var s = 0u; s < width; s += 1u) {
                acc += scores[s] * values[(cache_row + s) * dh + j];
            }
            context[token * d + head * dh + j] = acc / total;
        }
        // The next query overwrites `scores`, `query` and `partial`.
        workgroupBarrier();
    }
}
