//! Choosing the device natively: wgpu (Vulkan, Metal, DX12) when an adapter exists, else the
//! CPU. The browser initialises WebGPU asynchronously in the app instead.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// wgpu when an adapter is found, otherwise the CPU.
    Auto,
    /// burn's CPU backend (flex).
    Cpu,
    /// wgpu; an error when no adapter is found.
    Wgpu,
}

/// What a run actually runs on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// "cpu" or "wgpu".
    pub kind: String,
    /// Adapter (or CPU backend) description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) on Vulkan".
    pub adapter: String,
    /// Software rasteriser (lavapipe, SwiftShader) rather than a real GPU.
    pub software: bool,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    #[error("no wgpu adapter is available: {0}")]
    NoAdapter(String),
}

pub fn cpu() -> (Device, BackendInfo) {
    (Device::flex(), BackendInfo { kind: "cpu".into(), adapter: "burn flex (CPU)".into(), software: false })
}

/// Initialises wgpu (once per process: the runtime cannot be registered twice) and describes
/// the adapter it found.
#[cfg(not(target_family = "wasm"))]
pub fn wgpu() -> Result<(Device, BackendInfo), BackendError> {
    static WGPU: std::sync::OnceLock<Result<(Device, BackendInfo), BackendError>> = std::sync::OnceLock::new();
    WGPU.get_or_init(init_wgpu).clone()
}

#[cfg(not(target_family = "wasm"))]
fn init_wgpu() -> Result<(Device, BackendInfo), BackendError> {
    // Adapter discovery can panic inside drivers; treat that as "no adapter".
    let result = std::panic::catch_unwind(|| Device::wgpu_options().init_with_setup());
    match result {
        Ok(Ok((device, setup))) => Ok((device, describe(&setup))),
        Ok(Err(e)) => Err(BackendError::NoAdapter(e.to_string())),
        Err(_) => Err(BackendError::NoAdapter("the driver panicked while looking for an adapter".into())),
    }
}

/// Initialises wgpu asynchronously: the only way in a browser (WebGPU). Call it once.
pub async fn wgpu_async() -> Result<(Device, BackendInfo), BackendError> {
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => Ok((device, describe(&setup))),
        Err(e) => Err(BackendError::NoAdapter(e.to_string())),
    }
}

fn describe(setup: &burn::tensor::wgpu::WgpuSetup) -> BackendInfo {
    let info = setup.adapter.get_info();
    let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu
        || ["swiftshader", "llvmpipe", "lavapipe"].iter().any(|s| info.name.to_lowercase().contains(s) || info.driver.to_lowercase().contains(s));
    let mut name = [info.name.as_str(), info.driver.as_str(), info.driver_info.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if name.is_empty() {
        name = format!("vendor {:#x}, device {:#x}", info.vendor, info.device);
    }
    BackendInfo { kind: "wgpu".into(), adapter: format!("{name} on {:?}", info.backend), software }
}

/// Picks the device for `choice`.
#[cfg(not(target_family = "wasm"))]
pub fn init(choice: BackendChoice) -> Result<(Device, BackendInfo), BackendError> {
    match choice {
        BackendChoice::Cpu => Ok(cpu()),
        BackendChoice::Wgpu => wgpu(),
        BackendChoice::Auto => Ok(wgpu().unwrap_or_else(|_| cpu())),
    }
}
