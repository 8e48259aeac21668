//! What the worker runs for the page: the arena's lanes side by side, the sweep, the
//! benchmark, and re-runs of the shipped study's cells. Each posts its progress and how it
//! ended, tagged with the generation the page gave it.

use super::models::{models, models_for};
use super::post;
use crate::protocol::{BenchRow, FromWorker, LaneUpdate, StudyGroup};
use crate::settings::{SERIES_RUNS, Settings, SweepSize};
use arena::run::{LaneHost, run_lane};
use engine::infer::{CancelToken, Pause};
use engine::search::{Common, Knobs, NoEvents, SearchError, Selection, StrategyName, select};
use engine::solve::{self, Drive};
use engine::task::{ArithmeticChain, ChainProblem, Level, Task};
use std::rc::Rc;

/// Least time between two posts of a lane's events while it runs.
const FRAME_MS: f64 = 100.0;

/// Batch sizes the benchmark measures, and tokens decoded per row in each measurement.
const BENCH_BATCHES: [usize; 3] = [1, 16, 64];
const BENCH_TOKENS: usize = 32;

/// A pause that lets the page's other messages (and the other lanes) in between decode steps.
fn yield_to_page() -> Pause {
    Rc::new(|| Box::pin(crate::util::sleep_ms(0)))
}

/// A drive that pauses with [`yield_to_page`].
fn yielding() -> Drive {
    Drive { pause: Some(yield_to_page()), ..Drive::default() }
}

/// Starts every lane of `lanes` on `problem`; they take turns between decode steps, so the
/// page sees them grow side by side.
pub fn arena(generation: u64, settings: &Settings, lanes: &[StrategyName], problem: ChainProblem) {
    let Some(models) = models() else {
        // The page waits for every lane to finish: tell it, rather than stay silent.
        let error = Some("the models are not loaded yet".to_string());
        for &lane in lanes {
            post(&FromWorker::Lane { generation, lane, update: LaneUpdate::Finished { seconds: 0.0, error: error.clone(), failed: false } });
        }
        return;
    };
    let host = LaneHost { now_ms: Rc::new(crate::util::now_ms), yield_now: yield_to_page(), frame_ms: FRAME_MS };
    for &lane in lanes {
        let strategy = match settings.knobs.strategy(lane) {
            Ok(s) => s,
            Err(e) => {
                post(&FromWorker::Lane { generation, lane, update: LaneUpdate::Invalid(e.to_string()) });
                continue;
            }
        };
        // Each lane on the backend that decodes its batch size faster (when both are up).
        let models = models_for(strategy.rows()).unwrap_or_else(|| models.clone());
        let (problem, settings, host) = (problem.clone(), settings.clone(), host.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let send = |update| post(&FromWorker::Lane { generation, lane, update });
            run_lane(&models, &problem, &strategy, &settings, &host, CancelToken::default(), &send).await;
        });
    }
}

/// Every series at every budget on the held-out problems of every level, cell by cell.
pub async fn sweep(generation: u64, settings: Settings, sweep: SweepSize) {
    let message = match sweep_cells(generation, &settings, sweep).await {
        Ok(()) => "sweep complete".to_string(),
        Err(e) => format!("the sweep failed: {e}"),
    };
    post(&FromWorker::SweepEnded { generation, message });
}

async fn sweep_cells(generation: u64, settings: &Settings, sweep: SweepSize) -> Result<(), SearchError> {
    if models().is_none() {
        return Ok(());
    }
    let task = ArithmeticChain;
    let common = Common { selection: Selection::Weighted, ..settings.common.clone() };
    let drive = yielding();
    let record = |level: Level, series: usize, budget: usize, right: bool| {
        post(&FromWorker::SweepCell { generation, level: level.get(), series, budget, right });
    };
    for budget in sweep.budgets() {
        for level in Level::ALL {
            for problem in engine::task::heldout::heldout(level, sweep.problems) {
                let Some(models) = models_for(budget) else { return Ok(()) };
                let knobs = Knobs { budget, width: 4, chains: 1, ..settings.knobs.clone() };
                // One best-of-N run serves both votes: the same samples, two selections.
                let bon = solve::solve(&models, &problem, &knobs.strategy(StrategyName::BestOfN)?, common.clone(), settings.verifier, drive.clone(), &mut NoEvents).await?;
                let truth = task.true_answer(&problem);
                record(level, 0, budget, bon.correct);
                let (majority, _) = select(&bon.candidates, Selection::Majority);
                record(level, 1, budget, majority.as_deref() == Some(truth.as_str()));
                for (series, name) in SERIES_RUNS {
                    let r = solve::solve(&models, &problem, &knobs.strategy(name)?, common.clone(), settings.verifier, drive.clone(), &mut NoEvents).await?;
                    record(level, series, budget, r.correct);
                }
            }
        }
    }
    Ok(())
}

/// The benchmark mode: decode throughput of the generator at each batch size, then the wall
/// time of one best-of-64 run, on a level-3 problem (the one `ponder bench` uses).
pub async fn bench(generation: u64, settings: Settings) {
    let message = match bench_rows(generation, &settings).await {
        Ok(()) => "benchmark complete".to_string(),
        Err(e) => format!("the benchmark failed: {e}"),
    };
    post(&FromWorker::BenchEnded { generation, message });
}

async fn bench_rows(generation: u64, settings: &Settings) -> Result<(), String> {
    let Some(models) = models() else { return Err("the models are not loaded".into()) };
    let task = ArithmeticChain;
    let problem = task.generate(Level::new(3).map_err(|e| e.to_string())?, 0, 0);
    let prompt = task.prompt_tokens(&problem);
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
    let knobs = Knobs { budget: 64, ..settings.knobs.clone() };
    let common = Common { selection: Selection::Weighted, ..settings.common.clone() };
    let started = crate::util::now_ms();
    let strategy = knobs.strategy(StrategyName::BestOfN).map_err(|e| e.to_string())?;
    solve::solve(&models, &problem, &strategy, common, settings.verifier, Drive::default(), &mut NoEvents).await.map_err(|e| e.to_string())?;
    let row = BenchRow { what: "best-of-64, level 3".into(), tokens_per_second: None, readbacks_per_step: None, seconds: Some((crate::util::now_ms() - started) / 1000.0) };
    post(&FromWorker::BenchRow { generation, row });
    Ok(())
}

/// Re-runs one cell of the shipped study: every group's configuration on its problems with
/// every seed, as the experiment ran it (the study's temperature, last-step aggregation, the
/// trained PRM). Best-of-N cells, which the experiment read from its sample pools, draw fresh
/// samples here.
pub async fn study_cell(generation: u64, budget: usize, seeds: Vec<u64>, groups: Vec<StudyGroup>) {
    let message = match study_runs(generation, budget, &seeds, &groups).await {
        Ok(()) => "re-run complete".to_string(),
        Err(e) => format!("the re-run failed: {e}"),
    };
    post(&FromWorker::StudyEnded { generation, message });
}

async fn study_runs(generation: u64, budget: usize, seeds: &[u64], groups: &[StudyGroup]) -> Result<(), String> {
    let task = ArithmeticChain;
    let drive = yielding();
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
