//! The arena's lanes on the page's side: a run is a [`Job`] sent to the engine worker, whose
//! events fill the lanes as they arrive; Stop ends the worker at once and starts a fresh one.

use crate::protocol::{LaneUpdate, ToWorker};
use crate::settings::{LANES, Settings};
use crate::state::job::Job;
use crate::state::lane::LaneState;
use arena::run::{Pending, plan};
use crate::state::{Status, restart_engine};
use engine::search::{Event, StrategyName};
use engine::task::ChainProblem;
use leptos::prelude::*;

/// Least time between two redraws of the lanes: at large budgets a redraw costs more than
/// the worker takes to send the next events, so they are gathered and drawn together.
const FRAME_MS: i32 = 200;

#[derive(Clone, Copy)]
pub struct ArenaRun {
    /// One per lane, in [`LANES`] order: each redraws on its own.
    pub lanes: [RwSignal<LaneState>; LANES.len()],
    job: Job<Pending>,
    status: RwSignal<Status>,
    /// Events received and not drawn yet, per lane, and whether a redraw is scheduled.
    unseen: StoredValue<Vec<Vec<Event>>>,
    redraw_scheduled: StoredValue<bool>,
}

impl ArenaRun {
    pub fn new(status: RwSignal<Status>) -> Self {
        ArenaRun {
            lanes: std::array::from_fn(|_| RwSignal::new(LaneState::default())),
            job: Job::new(),
            status,
            unseen: StoredValue::new(vec![Vec::new(); LANES.len()]),
            redraw_scheduled: StoredValue::new(false),
        }
    }

    /// Whether a run is in flight (tracked).
    pub fn busy(&self) -> bool {
        self.job.running()
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
        if !self.job.abandon("stopped") {
            return;
        }
        self.unseen.update_value(|u| u.iter_mut().for_each(Vec::clear));
        for lane in self.lanes {
            if lane.with_untracked(|l| l.running) {
                lane.update(|l| l.end("stopped"));
            }
        }
        restart_engine(self.status, "Stop ends a run by restarting the engine");
    }

    /// Stops any run and empties every lane (a lesson's chapter starts with none).
    pub fn clear(&self) {
        self.stop();
        for lane in self.lanes {
            lane.set(LaneState::default());
        }
    }

    /// Starts the lanes that are `on` on `problem` with the settings' knobs. Lanes whose knobs
    /// are invalid show the reason and do not run.
    pub fn run(&self, problem: ChainProblem, settings: &Settings, on: [bool; LANES.len()]) {
        self.stop();
        self.unseen.update_value(|u| u.iter_mut().for_each(Vec::clear));
        for lane in self.lanes {
            lane.set(LaneState::default());
        }
        let mut pending = Vec::new();
        for (i, strategy) in plan(settings, on) {
            match strategy {
                Ok(_) => pending.push(i),
                Err(e) => self.lanes[i].update(|l| l.error = Some(e)),
            }
        }
        if pending.is_empty() {
            return;
        }
        let lanes = pending.iter().map(|&i| LANES[i]).collect();
        let settings = settings.clone();
        let sent = self.job.send(Pending { lanes: pending, failed: false }, |generation| ToWorker::Run { generation, settings, lanes, problem });
        if let Err(e) = sent {
            for lane in self.lanes {
                lane.update(|l| l.error = Some(e.clone()));
            }
        }
    }

    /// Applies a lane's update from the engine worker (stale runs' updates are dropped).
    pub fn on_update(&self, generation: u64, strategy: StrategyName, update: LaneUpdate) {
        if !self.job.is_current(generation) {
            return;
        }
        let Some(lane) = LANES.iter().position(|&s| s == strategy) else { return };
        let state = self.lanes[lane];
        match update {
            // Events are drawn a frame at a time, the rest at once.
            LaneUpdate::Events(events) => {
                self.unseen.update_value(|u| u[lane].extend(events));
                self.schedule_redraw();
            }
            LaneUpdate::Finished { failed, .. } => {
                self.redraw();
                state.update(|l| l.update(update));
                let mut over = None;
                self.job.update(generation, |p| over = p.finish(lane, failed));
                if let Some(failed) = over {
                    self.job.end(generation, "done".into());
                    if failed {
                        restart_engine(self.status, "a run failed, so the engine starts afresh");
                    }
                }
            }
            update => state.update(|l| l.update(update)),
        }
    }

    /// The engine worker died mid-run: the run's lanes end with the reason.
    pub fn on_crash(&self, why: &str) {
        let pending = self.job.state.with_untracked(|t| t.data.lanes.clone());
        if !self.job.abandon(why) {
            return;
        }
        for i in pending {
            if let Some(lane) = self.lanes.get(i) {
                lane.update(|l| l.end(&format!("{why}. The next run starts afresh.")));
            }
        }
    }
}
