//! burn models: a decoder-only transformer body shared by the generator (language-model head)
//! and the process reward model (a scalar head and the solution's likelihood, read at the end of every step).
//! burn's operations run the models on every device and train them; on burn's CPU backend,
//! inference runs a host forward pass instead (`host`: the same weights in plain memory, gemm,
//! a fused attention over a host KV cache in `cpu_attention`, the GELU of `gelu`), tested
//! against burn's. On wgpu, cached attention runs as one hand-written WGSL dispatch per layer
//! (`wgpu_attention`), tested against burn's operations.

mod config;
mod cpu_attention;
mod fast_math;
mod gelu;
mod host;
mod kv_cache;
mod language_model;
mod reward_model;
pub mod rotary;
mod transformer;
pub mod weights;
mod wgpu_attention;

pub use config::{ModelConfig, ModelConfigError, Positions};
pub use gelu::gelu;
pub use host::{HostInput, HostLanguageModel, HostRewardModel, host_threads};
pub use kv_cache::{CacheAttention, KvCache};
pub use language_model::LanguageModel;
pub use reward_model::RewardModel;
pub use transformer::{Attention, Block, TransformerBody};

/// Additive attention mask value for positions that must not be attended to. Kept moderate:
/// huge magnitudes have produced NaNs on some WebGPU implementations.
pub const MASK_VALUE: f32 = -1.0e4;

/// Whether `device` is burn's CPU backend without autodiff (inference), where the CPU fast
/// paths apply: the GELU loop, and the KV cache in host memory with its fused attention (also
/// used by PRM scoring).
pub(crate) fn on_cpu(device: &burn::tensor::Device) -> bool {
    static FLEX: std::sync::OnceLock<burn::tensor::Device> = std::sync::OnceLock::new();
    device == FLEX.get_or_init(burn::tensor::Device::flex)
}
