//! The arena's lanes on the page's side: a run is sent to the engine worker, whose events
//! fill the lanes as they arrive; Stop ends the worker at once and starts a fresh one.

use crate::Status;
use crate::arena::LANES;
use crate::config::Config;
use crate::lane::LaneState;
use crate::protocol::{LaneUpdate, ToWorker};
use engine::search::Event;
use engine::task::ChainProblem;
use leptos::prelude::*;

/// Least time between two redraws of the lanes: at large budgets a redraw costs more than
/// the worker takes to send the next events, so they are gathered and drawn together.
const FRAME_MS: i32 = 200;

#[derive(Clone, Copy)]
pub struct Runner {
    pub lanes: [RwSignal<LaneState>; LANES.len()],
    pub busy: RwSignal<bool>,
    status: RwSignal<Status>,
    /// Lanes of the current run not finished yet.
    pending: StoredValue<Vec<usize>>,
    /// A lane of the current run failed (a lost GPU device, say): restart the engine after it.
    failed: StoredValue<bool>,
    /// Bumped by every run, so a stopped run's late events cannot reach a newer run's lanes.
    generation: StoredValue<u64>,
    /// Events received and not drawn yet, per lane, and whether a redraw is scheduled.
    unseen: StoredValue<Vec<Vec<Event>>>,
    redraw_scheduled: StoredValue<bool>,
}

impl Runner {
    pub fn new(status: RwSignal<Status>) -> Self {
        Runner {
            lanes: std::array::from_fn(|_| RwSignal::new(LaneState::default())),
            busy: RwSignal::new(false),
            status,
            pending: StoredValue::new(Vec::new()),
            failed: StoredValue::new(false),
            generation: StoredValue::new(0),
            unseen: StoredValue::new(vec![Vec::new(); LANES.len()]),
            redraw_scheduled: StoredValue::new(false),
        }
    }

    /// Draws the events received since the last redraw.
    fn redraw(&self) {
        let unseen = self.unseen.try_update_value(|u| u.iter_mut().map(std::mem::take).collect::<Vec<_>>()).unwrap_or_default();
        for (lane, events) in self.lanes.iter().zip(unseen) {
            if !events.is_empty() {
                lane.update(|l| events.into_iter().for_each(|e| l.apply(e)));
            }
        }
    }

    fn schedule_redraw(&self) {
        if self.redraw_scheduled.get_value() {
            return;
        }
        self.redraw_scheduled.set_value(true);
        let this = *self;
        leptos::task::spawn_local(async move {
            crate::util::sleep_ms(FRAME_MS).await;
            this.redraw_scheduled.set_value(false);
            this.redraw();
        });
    }

    /// Stops the run now: the lanes show it stopped, and the engine worker, which may be in
    /// the middle of a decode step, is ended and started afresh.
    pub fn stop(&self) {
        if !self.busy.get_untracked() {
            return;
        }
        self.generation.update_value(|g| *g += 1);
        self.unseen.update_value(|u| u.iter_mut().for_each(Vec::clear));
        for lane in self.lanes {
            if lane.with_untracked(|l| l.running) {
                lane.update(|l| {
                    l.running = false;
                    l.error = Some("stopped".into());
                });
            }
        }
        self.busy.set(false);
        crate::restart_engine(self.status, "Stop ends a run by restarting the engine");
    }

    /// Starts every lane on `problem` with the configuration's knobs. Lanes whose knobs are
    /// invalid show the reason and do not run.
    pub fn run(&self, problem: ChainProblem, config: &Config) {
        self.stop();
        self.generation.update_value(|g| *g += 1);
        self.unseen.update_value(|u| u.iter_mut().for_each(Vec::clear));
        let generation = self.generation.get_value();
        let knobs = config.knobs();
        let mut pending = Vec::new();
        for (i, ((spec, lane), on)) in LANES.iter().zip(self.lanes).zip(config.lanes).enumerate() {
            lane.set(LaneState::default());
            if !on {
                continue;
            }
            match knobs.strategy(spec.strategy) {
                Ok(_) => pending.push(i),
                Err(e) => lane.update(|l| l.error = Some(e.to_string())),
            }
        }
        if pending.is_empty() {
            return;
        }
        self.pending.set_value(pending);
        self.failed.set_value(false);
        self.busy.set(true);
        if let Err(e) = crate::host::post(&ToWorker::Run { generation, query: config.to_query(), problem }) {
            self.busy.set(false);
            for lane in self.lanes {
                lane.update(|l| l.error = Some(e.clone()));
            }
        }
    }

    /// Applies a lane's update from the engine worker (stale runs' updates are dropped).
    pub fn on_update(&self, generation: u64, lane: usize, update: LaneUpdate) {
        if generation != self.generation.get_value() {
            return;
        }
        let Some(state) = self.lanes.get(lane).copied() else { return };
        match update {
            LaneUpdate::Invalid(e) => state.update(|l| l.error = Some(e)),
            LaneUpdate::Started => state.update(|l| l.running = true),
            LaneUpdate::Events(events) => {
                self.unseen.update_value(|u| u[lane].extend(events));
                self.schedule_redraw();
            }
            LaneUpdate::Finished { seconds, error, failed } => {
                self.redraw();
                state.update(|l| {
                    l.running = false;
                    l.seconds = Some(seconds);
                    l.error = error;
                });
                self.failed.update_value(|f| *f |= failed);
                self.pending.update_value(|p| p.retain(|&i| i != lane));
                if self.pending.with_value(|p| p.is_empty()) {
                    self.busy.set(false);
                    if self.failed.get_value() {
                        crate::restart_engine(self.status, "a run failed, so the engine starts afresh");
                    }
                }
            }
        }
    }

    /// The engine worker died mid-run: the run's lanes end with the reason.
    pub fn on_crash(&self, why: &str) {
        if !self.busy.get_untracked() {
            return;
        }
        self.generation.update_value(|g| *g += 1);
        for i in self.pending.get_value() {
            if let Some(lane) = self.lanes.get(i) {
                lane.update(|l| {
                    l.running = false;
                    l.error = Some(format!("{why}. The next run starts afresh."));
                });
            }
        }
        self.busy.set(false);
    }
}
