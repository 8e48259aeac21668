//! The engine worker: the same wasm, started in a dedicated worker by `host`, owns the
//! device and the models, runs the arena's lanes and the sweep, and posts their events to the
//! page. Only the page's messages reach it; the page ends it to stop a run.

use crate::arena::LANES;
use crate::config::Config;
use crate::protocol::{BenchRow, FromWorker, LaneUpdate, PlanRow, ToWorker, cpu_for};
use crate::sweep::{SERIES_RUNS, budgets};
use engine::infer::{InferError, Pause};
use engine::model::weights::{Manifest, WeightsError};
use engine::models::Models;
use engine::search::{Common, Event, NoEvents, SearchError, Selection, StrategyName, select};
use engine::solve::{self, Drive};
use engine::task::{ArithmeticChain, ChainProblem, Level, Task};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Least time between two posts of a lane's events while it runs.
const FRAME_MS: f64 = 100.0;

thread_local! {
    static MODELS: RefCell<Option<Rc<Models>>> = const { RefCell::new(None) };
    /// With WebGPU: the models on the CPU too, and the measured throughput per batch size.
    static CPU_MODELS: RefCell<Option<(Rc<Models>, Vec<PlanRow>)>> = const { RefCell::new(None) };
}

/// Batch sizes measured on both backends at start, and tokens decoded per row there.
const PLAN_BATCHES: [usize; 3] = [1, 16, 64];
const PLAN_TOKENS: usize = 8;

/// True inside a dedicated worker (where this wasm runs the engine, not the page).
pub fn in_worker() -> bool {
    js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>().is_ok()
}

fn post(msg: &FromWorker) {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    match serde_json::to_string(msg) {
        Ok(json) => {
            let _ = scope.post_message(&JsValue::from_str(&json));
        }
        Err(e) => web_sys::console::error_1(&format!("cannot encode a message for the page: {e}").into()),
    }
}

/// Called by the panic hook: tells the page before the worker's wasm traps, so the page can
/// name the panic and restart the engine.
pub fn report_panic(message: &str) {
    post(&FromWorker::Crashed { message: message.to_string() });
}

/// Listens for the page's messages and says hello once it does.
pub fn run() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let data = e.data();
        let json = js_sys::Reflect::get(&data, &"msg".into()).ok().and_then(|m| m.as_string()).unwrap_or_default();
        let files = js_sys::Reflect::get(&data, &"files".into()).ok().filter(|f| f.is_object());
        match serde_json::from_str::<ToWorker>(&json) {
            Ok(ToWorker::Init { query, manifest }) => wasm_bindgen_futures::spawn_local(init(query, manifest, files)),
            Ok(ToWorker::Run { generation, query, problem }) => run_lanes(generation, &query, problem),
            Ok(ToWorker::Sweep { generation, query }) => wasm_bindgen_futures::spawn_local(sweep(generation, query)),
            Ok(ToWorker::Bench { generation, query }) => wasm_bindgen_futures::spawn_local(bench(generation, query)),
            Ok(ToWorker::StudyCell { generation, budget, seeds, groups }) => wasm_bindgen_futures::spawn_local(study_cell(generation, budget, seeds, groups)),
            Err(e) => post(&FromWorker::Failed { message: format!("the page sent a message the engine cannot read: {e}") }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Hello);
}

fn file_bytes(files: &Option<JsValue>, name: &str) -> Result<Vec<u8>, WeightsError> {
    let not_sent = || WeightsError::Read { file: name.into(), detail: "not downloaded".into() };
    let files = files.as_ref().ok_or_else(not_sent)?;
    let value = js_sys::Reflect::get(files, &JsValue::from_str(name)).map_err(|_| not_sent())?;
    let array = value.dyn_into::<js_sys::Uint8Array>().map_err(|_| not_sent())?;
    Ok(array.to_vec())
}

async fn init(query: String, manifest: Option<String>, files: Option<JsValue>) {
    let (config, _) = Config::from_query(&query);
    let started = crate::backend::start(config.backend).await;
    post(&FromWorker::Backend { kind: started.info.kind.clone(), adapter: started.info.adapter.clone(), fallback: started.fallback.clone() });
    let device = started.device;
    let models = match &manifest {
        Some(text) => Manifest::parse(engine::model::weights::MANIFEST_FILE, text)
            .and_then(|m| Models::from_manifest(m, |file| file_bytes(&files, file), &device))
            .map(|m| (m, "trained weights, sha256 verified".to_string()))
            .map_err(|e| format!("{}{e}", crate::loader::MODELS_DIR)),
        None => Models::random(&device, 0)
            .map(|m| (m, "randomly initialised weights: no trained models are shipped with this build".to_string()))
            .map_err(|e| e.to_string()),
    };
    match models {
        Ok((m, weights)) => {
            let m = Rc::new(m);
            if started.with_cpu {
                post(&FromWorker::MeasuringBackends);
                match plan(&m, &manifest, &files).await {
                    Ok((cpu, rows)) => {
                        post(&FromWorker::BackendPlan { rows: rows.clone() });
                        CPU_MODELS.with(|slot| *slot.borrow_mut() = Some((Rc::new(cpu), rows)));
                    }
                    // WebGPU alone still works: say why the CPU is not used beside it.
                    Err(e) => web_sys::console::warn_1(&format!("running on WebGPU alone: measuring the CPU beside it failed: {e}").into()),
                }
            }
            MODELS.with(|slot| *slot.borrow_mut() = Some(m));
            post(&FromWorker::Ready { weights });
        }
        Err(message) => post(&FromWorker::Failed { message }),
    }
}

/// The models on the CPU as well, and both backends' decode throughput per batch size.
async fn plan(gpu: &Models, manifest: &Option<String>, files: &Option<JsValue>) -> Result<(Models, Vec<PlanRow>), String> {
    let (device, _) = engine::backend::cpu();
    let cpu = match manifest {
        Some(text) => Manifest::parse(engine::model::weights::MANIFEST_FILE, text)
            .and_then(|m| Models::from_manifest(m, |file| file_bytes(files, file), &device))
            .map_err(|e| e.to_string())?,
        None => Models::random(&device, 0).map_err(|e| e.to_string())?,
    };
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
fn models_for(batch: usize) -> Option<Rc<Models>> {
    let cpu = CPU_MODELS.with(|slot| slot.borrow().as_ref().and_then(|(m, plan)| cpu_for(plan, batch).then(|| m.clone())));
    cpu.or_else(models)
}

fn models() -> Option<Rc<Models>> {
    MODELS.with(|m| m.borrow().clone())
}

/// Starts every enabled lane on `problem`; they take turns between decode steps, so the page
/// sees them grow side by side.
fn run_lanes(generation: u64, query: &str, problem: ChainProblem) {
    let (config, _) = Config::from_query(query);
    let Some(models) = models() else {
        // The page waits for every enabled lane to finish: tell it, rather than stay silent.
        let error = Some("the models are not loaded yet".to_string());
        for lane in (0..LANES.len()).filter(|&i| config.lanes[i]) {
            post(&FromWorker::Lane { generation, lane, update: LaneUpdate::Finished { seconds: 0.0, error: error.clone(), failed: false } });
        }
        return;
    };
    let knobs = config.knobs();
    let common = Common { seed: config.seed, temperature: config.temperature, aggregation: config.aggregation, selection: config.selection };
    for (lane, (spec, on)) in LANES.iter().zip(config.lanes).enumerate() {
        if !on {
            continue;
        }
        let strategy = match knobs.strategy(spec.strategy) {
            Ok(s) => s,
            Err(e) => {
                post(&FromWorker::Lane { generation, lane, update: LaneUpdate::Invalid(e.to_string()) });
                continue;
            }
        };
        // Each lane on the backend that decodes its batch size faster (when both are up).
        let models = models_for(strategy.rows()).unwrap_or_else(|| models.clone());
        let (problem, common, verifier) = (problem.clone(), common.clone(), config.verifier);
        wasm_bindgen_futures::spawn_local(async move {
            let buffer: Rc<RefCell<Vec<Event>>> = Rc::default();
            let flush = {
                let buffer = buffer.clone();
                move || {
                    let events: Vec<Event> = buffer.borrow_mut().drain(..).collect();
                    if !events.is_empty() {
                        post(&FromWorker::Lane { generation, lane, update: LaneUpdate::Events(events) });
                    }
                }
            };
            // Posting is cheap but redrawing is not: send at most every FRAME_MS, and let
            // the other lanes take a step after every step of this one.
            let pause: Pause = {
                let flush = flush.clone();
                let last = Rc::new(Cell::new(0.0f64));
                Rc::new(move || {
                    let now = crate::util::now_ms();
                    if now - last.get() >= FRAME_MS {
                        last.set(now);
                        flush();
                    }
                    Box::pin(crate::util::sleep_ms(0))
                })
            };
            post(&FromWorker::Lane { generation, lane, update: LaneUpdate::Started });
            let started = crate::util::now_ms();
            let mut sink = {
                let buffer = buffer.clone();
                move |e: Event| buffer.borrow_mut().push(e)
            };
            let drive = Drive { pause: Some(pause), ..Drive::default() };
            let result = solve::solve(&models, &problem, &strategy, common, verifier, drive, &mut sink).await;
            flush();
            let seconds = (crate::util::now_ms() - started) / 1000.0;
            let (error, failed) = match result {
                Ok(_) => (None, false),
                Err(SearchError::Infer(InferError::Cancelled)) => (Some("stopped".to_string()), false),
                Err(e) => (Some(format!("this run failed: {}. The next run starts afresh.", short_error(&e.to_string()))), true),
            };
            post(&FromWorker::Lane { generation, lane, update: LaneUpdate::Finished { seconds, error, failed } });
        });
    }
}

/// An error's distinct lines without wgpu's chain headers and backtrace notes.
fn short_error(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        let noise = line.is_empty() || line.starts_with("Caused by") || line.contains("acktrace");
        if !noise && !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines.join("; ")
}

/// Every series at every budget on the held-out problems of every level, cell by cell.
async fn sweep(generation: u64, query: String) {
    let message = match sweep_cells(generation, &query).await {
        Ok(()) => "sweep complete".to_string(),
        Err(e) => format!("the sweep failed: {e}"),
    };
    post(&FromWorker::SweepEnded { generation, message });
}

async fn sweep_cells(generation: u64, query: &str) -> Result<(), SearchError> {
    if models().is_none() {
        return Ok(());
    }
    let (config, _) = Config::from_query(query);
    let task = ArithmeticChain;
    let common = Common { seed: config.seed, temperature: config.temperature, aggregation: config.aggregation, selection: Selection::Weighted };
    let pause: Pause = Rc::new(|| Box::pin(crate::util::sleep_ms(0)));
    let drive = Drive { pause: Some(pause), ..Drive::default() };
    let record = |level: Level, series: usize, budget: usize, right: bool| {
        post(&FromWorker::SweepCell { generation, level: level.get(), series, budget, right });
    };
    for budget in budgets(config.sweep_max_budget) {
        for level in Level::ALL {
            for problem in engine::task::heldout::heldout(level, config.sweep_problems) {
                let Some(models) = models_for(budget) else { return Ok(()) };
                let knobs = engine::search::Knobs { budget, width: 4, chains: 1, ..config.knobs() };
                // One best-of-N run serves both votes: the same samples, two selections.
                let bon = solve::solve(&models, &problem, &knobs.strategy(StrategyName::BestOfN)?, common.clone(), config.verifier, drive.clone(), &mut NoEvents).await?;
                let truth = task.true_answer(&problem);
                record(level, 0, budget, bon.correct);
                let (majority, _) = select(&bon.candidates, Selection::Majority);
                record(level, 1, budget, majority.as_deref() == Some(truth.as_str()));
                for (series, name) in SERIES_RUNS {
                    let r = solve::solve(&models, &problem, &knobs.strategy(name)?, common.clone(), config.verifier, drive.clone(), &mut NoEvents).await?;
                    record(level, series, budget, r.correct);
                }
            }
        }
    }
    Ok(())
}

/// The benchmark mode: decode throughput of the generator at each batch size, then the wall
/// time of one best-of-64 run, on a level-3 problem (the one `ponder bench` uses).
async fn bench(generation: u64, query: String) {
    let message = match bench_rows(generation, &query).await {
        Ok(()) => "benchmark complete".to_string(),
        Err(e) => format!("the benchmark failed: {e}"),
    };
    post(&FromWorker::BenchEnded { generation, message });
}

/// Batch sizes the page measures, and tokens decoded per row in each measurement.
pub const BENCH_BATCHES: [usize; 3] = [1, 16, 64];
const BENCH_TOKENS: usize = 32;

async fn bench_rows(generation: u64, query: &str) -> Result<(), String> {
    let Some(models) = models() else { return Err("the models are not loaded".into()) };
    let (config, _) = Config::from_query(query);
    let task = ArithmeticChain;
    let problem = task.generate(Level::new(3).map_err(|e| e.to_string())?, 0, 0);
    let prompt = ArithmeticChain.prompt_tokens(&problem);
    let (lm, lm_config) = &models.generator;
    let now = || crate::util::now_ms() / 1000.0;
    for batch in BENCH_BATCHES {
        let m = engine::infer::decode_throughput(lm, lm_config, &models.device, &prompt, batch, BENCH_TOKENS, 3, &now).await.map_err(|e| e.to_string())?;
        let row = BenchRow {
            what: format!("decode, batch {batch}"),
            tokens_per_second: Some(m.tokens_per_second),
            readbacks_per_step: Some(m.readbacks_per_step),
            seconds: None,
        };
        post(&FromWorker::BenchRow { generation, row });
    }
    let knobs = engine::search::Knobs { budget: 64, ..config.knobs() };
    let common = Common { seed: config.seed, temperature: config.temperature, aggregation: config.aggregation, selection: Selection::Weighted };
    let started = crate::util::now_ms();
    let strategy = knobs.strategy(StrategyName::BestOfN).map_err(|e| e.to_string())?;
    solve::solve(&models, &problem, &strategy, common, config.verifier, Drive::default(), &mut NoEvents).await.map_err(|e| e.to_string())?;
    let row = BenchRow { what: "best-of-64, level 3".into(), tokens_per_second: None, readbacks_per_step: None, seconds: Some((crate::util::now_ms() - started) / 1000.0) };
    post(&FromWorker::BenchRow { generation, row });
    Ok(())
}

/// Re-runs one cell of the shipped study: every group's configuration on its problems with
/// every seed, as the experiment ran it (the study's temperature, last-step aggregation, the
/// trained PRM). Best-of-N cells, which the experiment read from its sample pools, draw fresh
/// samples here.
async fn study_cell(generation: u64, budget: usize, seeds: Vec<u64>, groups: Vec<crate::protocol::StudyGroup>) {
    let message = match study_runs(generation, budget, &seeds, &groups).await {
        Ok(()) => "re-run complete".to_string(),
        Err(e) => format!("the re-run failed: {e}"),
    };
    post(&FromWorker::StudyEnded { generation, message });
}

async fn study_runs(generation: u64, budget: usize, seeds: &[u64], groups: &[crate::protocol::StudyGroup]) -> Result<(), String> {
    let task = ArithmeticChain;
    let pause: Pause = Rc::new(|| Box::pin(crate::util::sleep_ms(0)));
    let drive = Drive { pause: Some(pause), ..Drive::default() };
    for group in groups {
        let config = group.config;
        config.validate().map_err(|e| e.to_string())?;
        let strategy = config.strategy(budget).ok_or_else(|| format!("{} has no run at budget {budget}", config.label()))?;
        let Some(models) = models_for(strategy.rows()) else { return Err("the models are not loaded".into()) };
        for text in &group.problems {
            let problem = task.parse(text).map_err(|e| format!("problem {text:?}: {e}"))?;
            for &seed in seeds {
                let mut common = engine::study::common(seed);
                common.selection = config.pool_selection().unwrap_or(common.selection);
                let r = solve::solve(&models, &problem, &strategy, common, engine::search::Verifier::Prm, drive.clone(), &mut NoEvents).await.map_err(|e| e.to_string())?;
                post(&FromWorker::StudyRun { generation, right: r.correct });
            }
        }
    }
    Ok(())
}
