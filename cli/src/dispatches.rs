//! `ponder bench --dispatches`: the compute dispatches (kernel launches) of the generator's
//! decode steps on wgpu, by kernel. cubecl's launch observer is told of every kernel burn issues,
//! on the issuing thread, before it is submitted; this build has burn's fusion and autotune
//! off, so each burn operation launches its own kernels where it is called.

use anyhow::Result;
use cubecl_runtime::logging::{LaunchObservation, LaunchObserver};
use engine::Device;
use engine::infer::{CancelToken, DecodeLimits, Decoder, Generator, RowStart, StopAt};
use engine::model::{CacheAttention, LanguageModel, ModelConfig};
use engine::task::{ArithmeticChain, Task, Token};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Launches by kernel name.
type ByKernel = BTreeMap<&'static str, u64>;

#[derive(Default)]
struct Launches(Mutex<BTreeMap<&'static str, u64>>);

impl LaunchObserver for Launches {
    fn launched(&self, kernel: &'static str) {
        *self.0.lock().expect("the launch counter is never poisoned").entry(kernel).or_default() += 1;
    }
}

impl Launches {
    fn take(&self) -> ByKernel {
        std::mem::take(&mut *self.0.lock().expect("the launch counter is never poisoned"))
    }
}

/// Launches while `batch` rows of `prompt` are prefilled, then per decode step while they
/// decode up to `tokens` tokens each, with the kernels by name (most launched first), with the
/// cache attended as `attention` says.
pub fn decode_dispatches(lm: &LanguageModel, config: &ModelConfig, device: &Device, prompt: &[Token], batch: usize, tokens: usize, attention: CacheAttention) -> Result<serde_json::Value> {
    let tokenizer = ArithmeticChain.tokenizer();
    let run = |launches: Option<&Arc<Launches>>| -> Result<(ByKernel, ByKernel, u64)> {
        let limits = DecodeLimits { max_new_tokens: tokens, max_step_tokens: tokens + 1, ..DecodeLimits::default() };
        let mut decoder = Decoder::new(lm, config, &tokenizer, device, limits, CancelToken::new()).with_cache_attention(attention);
        let watching = launches.map(|l| LaunchObservation::new(l.clone()));
        pollster::block_on(decoder.start((0..batch).map(|i| RowStart { context: prompt.to_vec(), seed: i as u64 }).collect()))?;
        let prefill = launches.map(|l| l.take()).unwrap_or_default();
        pollster::block_on(decoder.extend(StopAt::AnswerEnd, 1.0, None, &mut |_, _| {}))?;
        let decode = launches.map(|l| l.take()).unwrap_or_default();
        drop(watching);
        Ok((prefill, decode, decoder.stats().decode_steps))
    };
    // A first run unobserved: the kernels compile there, and nothing but the decoder runs
    // while the observer (process-wide) is installed.
    run(None)?;
    let launches = Arc::new(Launches::default());
    let (prefill, decode, steps) = run(Some(&launches))?;
    let steps = steps.max(1);
    let mut by_kernel: Vec<(String, u64)> = Vec::new();
    for (name, count) in decode {
        let name = short_name(name);
        match by_kernel.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 += count,
            None => by_kernel.push((name, count)),
        }
    }
    by_kernel.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: u64 = by_kernel.iter().map(|(_, c)| c).sum();
    Ok(serde_json::json!({
        "batch": batch,
        "attention": match attention { CacheAttention::Kernel => "wgsl kernel", CacheAttention::BurnOperations => "burn operations" },
        "decode_steps": steps,
        "dispatches_per_step": total as f64 / steps as f64,
        "prefill_dispatches": prefill.values().sum::<u64>(),
        "per_step_by_kernel": by_kernel.iter().map(|(n, c)| serde_json::json!({ "kernel": n, "per_step": *c as f64 / steps as f64 })).collect::<Vec<_>>(),
    }))
}

/// A kernel's type name without module paths and generic arguments: `matmul_entry`, not
/// `cubecl_matmul::…::matmul_entry::Kernel<f32, …>`.
fn short_name(type_name: &str) -> String {
    let base = type_name.split('<').next().unwrap_or(type_name);
    let segments: Vec<&str> = base.split("::").filter(|s| !s.is_empty()).collect();
    // Generated kernels are often `<op>::<Kernel>`: keep the two last segments.
    match segments.as_slice() {
        [.., module, last] => format!("{module}::{last}"),
        [only] => only.to_string(),
        [] => type_name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::short_name;

    #[test]
    fn kernel_names_lose_paths_and_generics() {
        assert_eq!(short_name("cubecl_std::tensor::into_contiguous::into_contiguous_kernel<f32, cubecl_wgpu::WgpuRuntime>"), "into_contiguous::into_contiguous_kernel");
        assert_eq!(short_name("kernel"), "kernel");
    }
}
