//! The models, built once when the page sends them (on WebGPU, the CPU's copy beside them and
//! both backends' measured throughput), and the ones each run decodes on.

use super::post;
use crate::protocol::{FromWorker, MODELS_DIR, PlanRow, cpu_for};
use crate::settings::BackendPref;
use engine::model::weights::{MANIFEST_FILE, Manifest, WeightsError};
use engine::Device;
use engine::models::Models;
use engine::task::{ArithmeticChain, Level, Task};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

thread_local! {
    static MODELS: RefCell<Option<Rc<Models>>> = const { RefCell::new(None) };
    /// With WebGPU: the models on the CPU too, and the measured throughput per batch size.
    static CPU_MODELS: RefCell<Option<(Rc<Models>, Vec<PlanRow>)>> = const { RefCell::new(None) };
}

/// Batch sizes measured on both backends at start, and tokens decoded per row there.
const PLAN_BATCHES: [usize; 3] = [1, 16, 64];
const PLAN_TOKENS: usize = 8;

fn file_bytes(files: &Option<JsValue>, name: &str) -> Result<Vec<u8>, WeightsError> {
    let not_sent = || WeightsError::Read { file: name.into(), detail: "not downloaded".into() };
    let files = files.as_ref().ok_or_else(not_sent)?;
    let value = js_sys::Reflect::get(files, &JsValue::from_str(name)).map_err(|_| not_sent())?;
    let array = value.dyn_into::<js_sys::Uint8Array>().map_err(|_| not_sent())?;
    Ok(array.to_vec())
}

/// Starts the backend asked for and builds the models on it: from `manifest` and `files`, or
/// random ones without a manifest, and the larger verifier when asked. Says which backend
/// started, then (when asked) whether the larger verifier loaded, then `Ready` or `Failed`.
pub async fn init(backend: BackendPref, manifest: Option<String>, files: Option<JsValue>, large_verifier: bool) {
    let started = super::backend::start(backend).await;
    post(&FromWorker::Backend { kind: started.info.kind.clone(), adapter: started.info.adapter.clone(), fallback: started.fallback.clone() });
    let weights = match &manifest {
        Some(_) => "trained weights, sha256 verified",
        None => "randomly initialised weights: no trained models are shipped with this build",
    };
    match build(&manifest, &files, &started.device) {
        Ok(mut m) => {
            // The models without it still run everything else.
            let large = large_verifier && {
                let error = add_large_verifier(&mut m, &files).err();
                post(&FromWorker::LargeVerifier { error: error.clone() });
                error.is_none()
            };
            let m = Rc::new(m);
            if started.with_cpu {
                post(&FromWorker::MeasuringBackends);
                match plan(&m, &manifest, &files, large).await {
                    Ok((cpu, rows)) => {
                        post(&FromWorker::BackendPlan { rows: rows.clone() });
                        CPU_MODELS.with(|slot| *slot.borrow_mut() = Some((Rc::new(cpu), rows)));
                    }
                    // WebGPU alone still works: say why the CPU is not used beside it.
                    Err(e) => web_sys::console::warn_1(&format!("running on WebGPU alone: measuring the CPU beside it failed: {e}").into()),
                }
            }
            MODELS.with(|slot| *slot.borrow_mut() = Some(m));
            post(&FromWorker::Ready { weights: weights.to_string() });
        }
        Err(message) => post(&FromWorker::Failed { message }),
    }
}

/// The models on `device`: from the manifest and the files sent, or random ones without one.
fn build(manifest: &Option<String>, files: &Option<JsValue>, device: &Device) -> Result<Models, String> {
    match manifest {
        Some(text) => Manifest::parse(MANIFEST_FILE, text)
            .and_then(|m| Models::from_manifest(m, |file| file_bytes(files, file), device))
            .map_err(|e| format!("{MODELS_DIR}{e}")),
        None => Models::random(device, 0).map_err(|e| e.to_string()),
    }
}

fn add_large_verifier(models: &mut Models, files: &Option<JsValue>) -> Result<(), String> {
    models.load_large_verifier(|file| file_bytes(files, file)).map_err(|e| format!("{MODELS_DIR}{e}"))
}

/// The models on the CPU as well (with the larger verifier when `large`), and both backends'
/// decode throughput per batch size.
async fn plan(gpu: &Models, manifest: &Option<String>, files: &Option<JsValue>, large: bool) -> Result<(Models, Vec<PlanRow>), String> {
    let (device, _) = engine::backend::cpu();
    let mut cpu = build(manifest, files, &device)?;
    if large {
        add_large_verifier(&mut cpu, files)?;
    }
    let problem = ArithmeticChain.generate(Level::new(3).map_err(|e| e.to_string())?, 0, 0);
    let prompt = ArithmeticChain.prompt_tokens(&problem);
    let now = || crate::util::now_ms() / 1000.0;
    let mut rows = Vec::new();
    for batch in PLAN_BATCHES {
        let mut rates = [0.0; 2];
        for (rate, m) in rates.iter_mut().zip([&cpu, gpu]) {
            let (lm, config) = &m.generator;
            *rate = engine::infer::decode_throughput(lm, config, &m.device, &prompt, batch, PLAN_TOKENS, 1, &now)
                .await
                .map_err(|e| e.to_string())?
                .tokens_per_second;
        }
        rows.push(PlanRow { batch, cpu: rates[0], webgpu: rates[1] });
    }
    Ok((cpu, rows))
}

/// The models a run of `batch` rows decodes on: the CPU's where it measured faster there.
pub fn models_for(batch: usize) -> Option<Rc<Models>> {
    let cpu = CPU_MODELS.with(|slot| slot.borrow().as_ref().and_then(|(m, plan)| cpu_for(plan, batch).then(|| m.clone())));
    cpu.or_else(models)
}

/// The models on the backend the page started, once they are built.
pub fn models() -> Option<Rc<Models>> {
    MODELS.with(|m| m.borrow().clone())
}
