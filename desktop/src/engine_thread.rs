//! The engine off the UI thread: one thread owns the device and the models, runs a run's lanes
//! side by side (they take turns between decode steps) and sends their news back; the window
//! stays responsive, and Stop cancels between two decode steps.

use arena::lane::LaneUpdate;
use arena::run::{LaneHost, run_lane};
use arena::settings::Settings;
use engine::backend::{self, BackendChoice, BackendInfo};
use engine::infer::{CancelToken, Pause};
use engine::model::weights::{MANIFEST_FILE, Manifest, WeightsError};
use engine::models::Models;
use engine::search::{Strategy, Verifier};
use engine::task::ChainProblem;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::task::{Context, Poll};
use std::time::Instant;

/// Least time between two batches of a lane's events (a redraw each).
const FRAME_MS: f64 = 50.0;

pub enum ToEngine {
    /// Run `lanes` (index in the arena's order, strategy) on `problem`; `cancel` stops it.
    Run { generation: u64, settings: Settings, lanes: Vec<(usize, Strategy)>, problem: ChainProblem, cancel: CancelToken },
}

#[derive(Debug)]
pub enum FromEngine {
    /// The backend that started, and why it is not the one asked for, if it is not.
    Backend { info: BackendInfo, fallback: Option<String> },
    Ready { weights: String },
    Failed(String),
    Lane { generation: u64, lane: usize, update: LaneUpdate },
}

/// Starts the engine thread on `choice` with the models of `models_dir`; `wake` is called after
/// every message so the window redraws.
pub fn spawn(models_dir: PathBuf, choice: BackendChoice, wake: impl Fn() + Send + 'static) -> (Sender<ToEngine>, Receiver<FromEngine>) {
    let (to_engine, commands) = channel::<ToEngine>();
    let (news, from_engine) = channel::<FromEngine>();
    std::thread::Builder::new()
        .name("ponder-engine".into())
        .spawn(move || {
            let send = |msg: FromEngine| {
                let _ = news.send(msg);
                wake();
            };
            serve(&models_dir, choice, &commands, &send);
        })
        .expect("the OS refused to start the engine thread");
    (to_engine, from_engine)
}

fn serve(models_dir: &Path, choice: BackendChoice, commands: &Receiver<ToEngine>, send: &dyn Fn(FromEngine)) {
    let started = match choice {
        // Auto falls back to the CPU, and says why.
        BackendChoice::Auto => Ok(backend::wgpu().map(|d| (d, None)).unwrap_or_else(|e| (backend::cpu(), Some(e.to_string())))),
        other => backend::init(other).map(|d| (d, None)),
    };
    let ((device, info), fallback) = match started {
        Ok(s) => s,
        Err(e) => return send(FromEngine::Failed(format!("the backend could not start: {e}"))),
    };
    send(FromEngine::Backend { info, fallback });
    let mut models = match load(models_dir, &device) {
        Ok((m, weights)) => {
            send(FromEngine::Ready { weights });
            m
        }
        Err(e) => return send(FromEngine::Failed(e)),
    };
    let started = Instant::now();
    let host = LaneHost { now_ms: Rc::new(move || started.elapsed().as_secs_f64() * 1000.0), yield_now: yield_now(), frame_ms: FRAME_MS };
    while let Ok(ToEngine::Run { generation, settings, lanes, problem, cancel }) = commands.recv() {
        if settings.verifier == Verifier::PrmLarge
            && let Err(e) = models.load_large_verifier(|file| read(models_dir, file))
        {
            let error = Some(format!("the larger verifier could not be loaded: {}{e}", dir_prefix(models_dir)));
            for (lane, _) in &lanes {
                send(FromEngine::Lane { generation, lane: *lane, update: LaneUpdate::Finished { seconds: 0.0, error: error.clone(), failed: false } });
            }
            continue;
        }
        let runs = lanes.iter().map(|(lane, strategy)| {
            let (lane, host, cancel, problem, settings, models) = (*lane, &host, cancel.clone(), &problem, &settings, &models);
            async move {
                let update = |update| send(FromEngine::Lane { generation, lane, update });
                run_lane(models, problem, strategy, settings, host, cancel, &update).await;
            }
        });
        pollster::block_on(futures::future::join_all(runs));
    }
}

/// The models of `dir` (checked against its manifest), or random ones where it has none.
fn load(dir: &Path, device: &engine::Device) -> Result<(Models, String), String> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let text = match std::fs::read_to_string(&manifest_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let m = Models::random(device, 0).map_err(|e| e.to_string())?;
            return Ok((m, format!("randomly initialised weights: {} has no {MANIFEST_FILE}", dir.display())));
        }
        Err(e) => return Err(format!("{}: {e}", manifest_path.display())),
    };
    Manifest::parse(MANIFEST_FILE, &text)
        .and_then(|manifest| Models::from_manifest(manifest, |file| read(dir, file), device))
        .map(|m| (m, format!("trained weights from {}, sha256 verified", dir.display())))
        .map_err(|e| format!("{}{e}", dir_prefix(dir)))
}

fn dir_prefix(dir: &Path) -> String {
    format!("{}/", dir.display())
}

fn read(dir: &Path, file: &str) -> Result<Vec<u8>, WeightsError> {
    std::fs::read(dir.join(file)).map_err(|e| WeightsError::Read { file: file.into(), detail: e.to_string() })
}

/// A pause that lets the other lanes of the run take their step.
fn yield_now() -> Pause {
    Rc::new(|| Box::pin(YieldOnce(false)))
}

/// Pending once (waking itself at once), then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
