//! Attention over a KV cache of burn tensors on wgpu, in one hand-written WGSL dispatch per
//! layer ([`shaders/cached_attention.wgsl`](../../../shaders/cached_attention.wgsl)): it
//! rotates the new queries and keys, writes keys and values into the cache in place and
//! attends, where burn's operations take about forty dispatches. On a GPU a decode step of this
//! small model is bound by dispatches, not arithmetic. The same WGSL runs natively (wgpu) and
//! in the browser (WebGPU).

use super::kv_cache::{CacheAttention, KvCache};
use burn::backend::Wgpu;
use burn::backend::wgpu::CubeTensor;
use burn::tensor::{DType, Shape, Tensor};
use burn_cubecl::cubecl::ir::metadata::Info;
use burn_cubecl::cubecl::ir::settings::{Dim3, ExecutionMode, KernelSettings};
use burn_cubecl::cubecl::ir::{AddressType, ElemType, Scope, UIntKind};
use burn_cubecl::cubecl::prelude::{CubeKernel, KernelDefinition, KernelId, KernelMetadata, PrecompiledSource};
use burn_cubecl::cubecl::server::KernelArguments;
use burn_cubecl::cubecl::CubeCount;

const SOURCE: &str = include_str!("../../../shaders/cached_attention.wgsl");
/// The shader's limits: `MAX_SLOTS` scores and `MAX_HEAD_DIM` query elements in workgroup memory.
const MAX_SLOTS: usize = 1024;
const MAX_HEAD_DIM: usize = 128;
const THREADS: u32 = 64;

struct CachedAttentionKernel;

impl KernelMetadata for CachedAttentionKernel {
    fn id(&self) -> KernelId {
        KernelId::new::<Self>()
    }

    fn address_type(&self) -> ElemType {
        ElemType::UInt(UIntKind::U32)
    }
}

impl CubeKernel for CachedAttentionKernel {
    fn define(&self) -> KernelDefinition {
        // Only the settings are read for a kernel that brings its own source.
        let settings = KernelSettings::new(Dim3::new_1d(THREADS), ExecutionMode::Checked, AddressType::U32);
        KernelDefinition { body: Scope::root(settings.clone()), settings, info: Info::default() }
    }

    fn source(&self) -> Option<PrecompiledSource> {
        Some(PrecompiledSource { source: SOURCE.to_string(), entrypoint_name: "main".to_string(), lang: "wgsl" })
    }
}

/// A float tensor's wgpu primitive when it is one, f32 and contiguous from the start of its
/// buffer binding (the layout the shader indexes); `None` leaves the tensor untouched.
fn primitive<const D: usize>(tensor: &Tensor<D>) -> Option<CubeTensor> {
    let cube = tensor.clone().try_into_primitive::<Wgpu>().ok()?;
    let bytes = cube.meta.shape().num_elements() * std::mem::size_of::<f32>();
    (cube.dtype == DType::F32 && cube.is_contiguous() && cube.handle.size() as usize >= bytes).then_some(cube)
}

/// The context (`[B, T, d]`, before the output projection) of one layer's attention for
/// queries `qkv` (`[B, T, 3d]`, unrotated) over `cache` after writing their keys and values
/// at slots `start..start + T`; `mask` is additive, `[B or 1, 1, T or 1, width]`. `None` where
/// the kernel does not apply (not wgpu, autodiff, another layout, a cache buffer shared with
/// another cache): the caller attends with burn's operations, and nothing was written.
#[allow(clippy::too_many_arguments)]
pub(super) fn cached_attention(
    qkv: &Tensor<3>,
    rotary: Option<(&Tensor<4>, &Tensor<4>)>,
    mask: &Tensor<4>,
    cache: &mut KvCache,
    layer: usize,
    start: usize,
    heads: usize,
) -> Option<Tensor<3>> {
    if cache.attention() != CacheAttention::Kernel {
        return None;
    }
    let [b, t, three_d] = qkv.dims();
    let d = three_d / 3;
    let dh = d / heads;
    let [mask_rows, _, mask_queries, width] = mask.dims();
    if dh > MAX_HEAD_DIM || width > MAX_SLOTS.min(cache.capacity()) || width < start + t {
        return None;
    }
    if !(mask_rows == 1 || mask_rows == b) || !(mask_queries == 1 || mask_queries == t) || cache.batch() != b {
        return None;
    }
    let qkv = primitive(qkv)?;
    let mask = primitive(mask)?;
    let (cos, sin) = match rotary {
        Some((cos, sin)) => (Some(primitive(cos)?), Some(primitive(sin)?)),
        None => (None, None),
    };
    let (keys, values) = cache.take_layer(layer, start + t)?;
    let (Some(key_buffer), Some(value_buffer)) = (primitive(&keys), primitive(&values)) else {
        cache.put_layer(layer, keys, values);
        return None;
    };
    drop((keys, values));
    // Written in place: only where no other tensor (another cache after a fork) shares them.
    if !key_buffer.can_mut() || !value_buffer.can_mut() {
        cache.put_layer(layer, Tensor::from_primitive::<Wgpu>(key_buffer), Tensor::from_primitive::<Wgpu>(value_buffer));
        return None;
    }
    let client = qkv.client.clone();
    let params: Vec<u8> = [b, t, d, heads, dh, cache.capacity(), start, width, mask_rows, mask_queries, usize::from(rotary.is_some())]
        .iter()
        .flat_map(|&v| (v as u32).to_le_bytes())
        .collect();
    let params = client.create_from_slice(&params);
    // A learned-position model binds a placeholder for the angle tables the shader skips.
    let placeholder = || client.create_from_slice(&0f32.to_le_bytes());
    let cos = cos.map_or_else(placeholder, |c| c.handle.clone());
    let sin = sin.map_or_else(placeholder, |s| s.handle.clone());
    let context = client.empty(b * t * d * std::mem::size_of::<f32>());
    let bindings = vec![
        qkv.handle.clone().binding(),
        cos.binding(),
        sin.binding(),
        mask.handle.clone().binding(),
        key_buffer.handle.clone().binding(),
        value_buffer.handle.clone().binding(),
        context.clone().binding(),
        params.binding(),
    ];
    client.launch(Box::new(CachedAttentionKernel), CubeCount::Static((b * heads) as u32, 1, 1), KernelArguments::new().with_buffers(bindings));
    cache.put_layer(layer, Tensor::from_primitive::<Wgpu>(key_buffer), Tensor::from_primitive::<Wgpu>(value_buffer));
    let context = CubeTensor::new_contiguous(client, qkv.device.clone(), Shape::new([b, t, d]), context, DType::F32);
    Some(Tensor::from_primitive::<Wgpu>(context))
}
