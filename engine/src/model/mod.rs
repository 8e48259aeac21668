//! burn models: a decoder-only transformer body shared by the generator (language-model head)
//! and the process reward model (scalar head read at the end of every step).
//! One code path runs on every burn device; burn's CPU backend adds two fast paths tested
//! against it: GELU (`gelu`) and attention over the KV cache (`cpu_attention`).

mod config;
mod cpu_attention;
mod fast_math;
mod gelu;
mod kv_cache;
mod language_model;
mod reward_model;
mod transformer;
pub mod weights;

pub use config::{ModelConfig, ModelConfigError};
pub use gelu::gelu;
pub(crate) use gelu::on_cpu;
pub use kv_cache::KvCache;
pub use language_model::LanguageModel;
pub use reward_model::RewardModel;
pub use transformer::{Attention, Block, TransformerBody};

/// Additive attention mask value for positions that must not be attended to. Kept moderate:
/// huge magnitudes have produced NaNs on some WebGPU implementations.
pub const MASK_VALUE: f32 = -1.0e4;
