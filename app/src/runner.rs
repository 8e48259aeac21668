//! Runs the arena's lanes side by side on the loaded models, streaming each lane's events
//! into its state between decode steps, and stops them all on request.

use crate::arena::LANES;
use crate::config::Config;
use crate::lane::LaneState;
use engine::infer::{CancelToken, InferError, Pause};
use engine::search::{Common, Event, SearchError};
use engine::solve::{self, Drive};
use engine::task::ChainProblem;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// Least time between two redraws of a lane while it runs.
const FRAME_MS: f64 = 100.0;

#[derive(Clone, Copy)]
pub struct Runner {
    pub lanes: [RwSignal<LaneState>; LANES.len()],
    pub busy: RwSignal<bool>,
    cancel: StoredValue<Option<CancelToken>>,
    /// Bumped by every run, so a stopped run's late events cannot reach a newer run's lanes.
    generation: StoredValue<u64>,
}

impl Runner {
    pub fn new() -> Self {
        Runner {
            lanes: std::array::from_fn(|_| RwSignal::new(LaneState::default())),
            busy: RwSignal::new(false),
            cancel: StoredValue::new(None),
            generation: StoredValue::new(0),
        }
    }

    /// Cancels the run: every lane stops at its next decode step or scoring chunk, and the
    /// page shows it stopped at once (late events of the stopped run are dropped).
    pub fn stop(&self) {
        if let Some(c) = self.cancel.get_value() {
            c.cancel();
        }
        self.generation.update_value(|g| *g += 1);
        for lane in self.lanes {
            if lane.with_untracked(|l| l.running) {
                lane.update(|l| {
                    l.running = false;
                    l.error = Some("stopped".into());
                });
            }
        }
        self.busy.set(false);
    }

    /// Starts every lane on `problem` with the configuration's knobs. Lanes whose knobs are
    /// invalid show the reason and do not run.
    pub fn run(&self, problem: ChainProblem, config: &Config) {
        self.stop();
        let Some(models) = crate::models() else { return };
        let cancel = CancelToken::new();
        self.cancel.set_value(Some(cancel.clone()));
        self.generation.update_value(|g| *g += 1);
        let generation = self.generation.get_value();
        let knobs = config.knobs();
        let common = Common { seed: config.seed, temperature: config.temperature, aggregation: config.aggregation, selection: config.selection };
        let verifier = config.verifier;
        let running = Rc::new(RefCell::new(0usize));
        for ((spec, lane), on) in LANES.iter().zip(self.lanes).zip(config.lanes) {
            lane.set(LaneState::default());
            if !on {
                continue;
            }
            let strategy = match knobs.strategy(spec.strategy) {
                Ok(s) => s,
                Err(e) => {
                    lane.update(|l| l.error = Some(e.to_string()));
                    continue;
                }
            };
            *running.borrow_mut() += 1;
            self.busy.set(true);
            let (models, problem, common, cancel, running, this) = (models.clone(), problem.clone(), common.clone(), cancel.clone(), running.clone(), *self);
            leptos::task::spawn_local(async move {
                let buffer: Rc<RefCell<Vec<Event>>> = Rc::default();
                let live = move || this.generation.get_value() == generation;
                let flush = {
                    let buffer = buffer.clone();
                    move || {
                        let events: Vec<Event> = buffer.borrow_mut().drain(..).collect();
                        if !events.is_empty() && live() {
                            lane.update(|l| events.into_iter().for_each(|e| l.apply(e)));
                        }
                    }
                };
                // Redrawing a lane costs more than a decode step at large budgets: redraw at
                // most every FRAME_MS, but yield to the page after every step (Stop, input).
                let pause: Pause = {
                    let flush = flush.clone();
                    let last = Rc::new(std::cell::Cell::new(0.0f64));
                    Rc::new(move || {
                        let now = crate::util::now_ms();
                        if now - last.get() >= FRAME_MS {
                            last.set(now);
                            flush();
                        }
                        Box::pin(crate::util::sleep_ms(0))
                    })
                };
                lane.update(|l| l.running = true);
                let started = crate::util::now_ms();
                let mut sink = {
                    let buffer = buffer.clone();
                    move |e: Event| buffer.borrow_mut().push(e)
                };
                // Let the page paint the cleared lanes before the first batch.
                crate::util::sleep_ms(0).await;
                let drive = Drive { cancel, pause: Some(pause), ..Drive::default() };
                let result = solve::solve(&models, &problem, &strategy, common, verifier, drive, &mut sink).await;
                flush();
                if live() {
                    lane.update(|l| {
                        l.running = false;
                        l.seconds = Some((crate::util::now_ms() - started) / 1000.0);
                        match result {
                            Ok(_) => {}
                            Err(SearchError::Infer(InferError::Cancelled)) => l.error = Some("stopped".into()),
                            Err(e) => {
                                l.error = Some(format!("this run failed: {e}. The next run starts afresh."));
                            }
                        }
                    });
                }
                *running.borrow_mut() -= 1;
                if *running.borrow() == 0 && live() {
                    this.busy.set(false);
                }
            });
        }
    }
}
