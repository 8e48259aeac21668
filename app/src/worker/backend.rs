//! Starting burn in the page: WebGPU first, burn's CPU backend when WebGPU is missing, fails,
//! or the visitor asked for the CPU.

use engine::backend::{self, BackendInfo};
use crate::protocol::Fallback;
use crate::settings::BackendPref;
use engine::Device;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub struct Started {
    pub device: Device,
    pub info: BackendInfo,
    /// Why the page runs on the CPU, when it does.
    pub fallback: Option<Fallback>,
    /// WebGPU runs with the CPU beside it: each run goes to the one measured faster at its
    /// batch size.
    pub with_cpu: bool,
}

/// `navigator.gpu` of the page or of the worker this runs in.
fn gpu() -> Option<JsValue> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let gpu = Reflect::get(&navigator, &"gpu".into()).ok()?;
    (!gpu.is_undefined() && !gpu.is_null()).then_some(gpu)
}

fn has_webgpu() -> bool {
    gpu().is_some()
}

pub async fn start(pref: BackendPref) -> Started {
    let plain = |why: &str, detail: Option<String>| Fallback { why: why.to_string(), detail };
    let fallback = if pref == BackendPref::Cpu {
        plain("you asked for the CPU (backend=cpu in the link)", None)
    } else if !has_webgpu() {
        plain("this browser has no WebGPU", None)
    } else {
        match backend::wgpu_async().await {
            Ok((device, mut info)) => {
                // Browsers hide adapter names from wgpu; WebGPU's own adapter.info tells more.
                if let Some(name) = adapter_info().await {
                    info.software |= name.to_lowercase().contains("swiftshader");
                    info.adapter = format!("{name} (WebGPU)");
                }
                // A software renderer (SwiftShader) is many times slower than the CPU backend
                // for these small models (README: measured); use it only when asked to.
                if !info.software || pref != BackendPref::Auto {
                    let with_cpu = pref != BackendPref::WebGpu;
                    return Started { device, info, fallback: None, with_cpu };
                }
                plain(
                    "this browser's WebGPU draws in software, which is slower here than the CPU",
                    Some(format!("adapter: {}; add backend=webgpu to the link to use it anyway", info.adapter)),
                )
            }
            Err(e) => plain("this browser's WebGPU found no GPU it could use", Some(e.to_string())),
        }
    };
    let (device, info) = backend::cpu();
    Started { device, info, fallback: Some(fallback), with_cpu: false }
}

/// Vendor, architecture, device and description from `navigator.gpu.requestAdapter()`.
async fn adapter_info() -> Option<String> {
    let gpu = gpu()?;
    let request: js_sys::Function = Reflect::get(&gpu, &"requestAdapter".into()).ok()?.dyn_into().ok()?;
    let promise: js_sys::Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = JsFuture::from(promise).await.ok()?;
    if adapter.is_null() || adapter.is_undefined() {
        return None;
    }
    let info = Reflect::get(&adapter, &"info".into()).ok()?;
    let parts: Vec<String> = ["vendor", "architecture", "device", "description"]
        .iter()
        .filter_map(|k| Reflect::get(&info, &JsValue::from_str(k)).ok()?.as_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}
