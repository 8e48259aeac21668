//! Running the arena's lanes on the engine, for either front end: which lanes a run starts,
//! one lane's run with its events gathered into frames, and when the whole run is over.

use crate::lane::LaneUpdate;
use crate::settings::{LANES, Settings};
use engine::infer::{CancelToken, InferError, Pause};
use engine::models::Models;
use engine::search::{Event, SearchError, Strategy};
use engine::solve::{self, Drive};
use engine::task::ChainProblem;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The lanes of a run that are on, each with its strategy or the reason its knobs make none.
pub fn plan(settings: &Settings, on: [bool; LANES.len()]) -> Vec<(usize, Result<Strategy, String>)> {
    LANES
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| on[i])
        .map(|(i, lane)| (i, settings.knobs.strategy(lane).map_err(|e| e.to_string())))
        .collect()
}

/// What a run waits for: the lanes not finished yet, and whether one failed (then the front
/// end starts the engine afresh).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pending {
    pub lanes: Vec<usize>,
    pub failed: bool,
}

impl Pending {
    /// Marks `lane` finished; once every lane is, says whether any of them failed.
    pub fn finish(&mut self, lane: usize, failed: bool) -> Option<bool> {
        self.failed |= failed;
        self.lanes.retain(|&i| i != lane);
        self.lanes.is_empty().then_some(self.failed)
    }
}

/// What a lane's runner needs of its front end: a clock, and a pause that lets the other
/// lanes (and the front end's own messages) in between decode steps.
#[derive(Clone)]
pub struct LaneHost {
    /// Milliseconds since any fixed start.
    pub now_ms: Rc<dyn Fn() -> f64>,
    pub yield_now: Pause,
    /// Least time between two batches of events: drawing them costs more than sending them.
    pub frame_ms: f64,
}

/// Runs `strategy` on `problem` as one lane and sends its news: `Started`, its events in
/// batches at most a frame apart, then `Finished` with the time taken and how it ended. The
/// lane yields after each decode step, so lanes run side by side on one thread.
pub async fn run_lane(models: &Models, problem: &ChainProblem, strategy: &Strategy, settings: &Settings, host: &LaneHost, cancel: CancelToken, send: &dyn Fn(LaneUpdate)) {
    let buffer: Rc<RefCell<Vec<Event>>> = Rc::default();
    let flush = || {
        let events: Vec<Event> = buffer.borrow_mut().drain(..).collect();
        if !events.is_empty() {
            send(LaneUpdate::Events(events));
        }
    };
    let frame_due = Rc::new(Cell::new(false));
    let pause: Pause = {
        let (host, frame_due) = (host.clone(), frame_due.clone());
        let last = Rc::new(Cell::new((host.now_ms)()));
        Rc::new(move || {
            let now = (host.now_ms)();
            if now - last.get() >= host.frame_ms {
                last.set(now);
                frame_due.set(true);
            }
            (host.yield_now)()
        })
    };
    send(LaneUpdate::Started);
    let started = (host.now_ms)();
    let mut sink = |e: Event| {
        buffer.borrow_mut().push(e);
        if frame_due.replace(false) {
            flush();
        }
    };
    let drive = Drive { pause: Some(pause), cancel, ..Drive::default() };
    let result = solve::solve(models, problem, strategy, settings.common.clone(), settings.verifier, drive, &mut sink).await;
    flush();
    let seconds = ((host.now_ms)() - started) / 1000.0;
    let (error, failed) = match result {
        Ok(_) => (None, false),
        Err(SearchError::Infer(InferError::Cancelled)) => (Some("stopped".to_string()), false),
        Err(e) => (Some(format!("this run failed: {}. The next run starts afresh.", short_error(&e.to_string()))), true),
    };
    send(LaneUpdate::Finished { seconds, error, failed });
}

/// An error's distinct lines without wgpu's chain headers and backtrace notes.
pub fn short_error(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        let noise = line.is_empty() || line.starts_with("Caused by") || line.contains("acktrace");
        if !noise && !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_starts_the_lanes_that_are_on_and_says_why_others_cannot_run() {
        let mut settings = Settings::default();
        settings.knobs.budget = 8;
        settings.knobs.width = 16;
        let on = [true, false, true, false, true];
        let planned = plan(&settings, on);
        assert_eq!(planned.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![0, 2, 4]);
        assert!(matches!(&planned[0].1, Ok(Strategy::BestOfN(_))));
        assert!(planned[1].1.is_ok(), "beam clamps its width to the budget: {:?}", planned[1].1);
        settings.knobs.budget = 0;
        assert!(plan(&settings, on).iter().all(|(_, s)| s.is_err()));
    }

    #[test]
    fn a_run_is_over_when_every_lane_finished_and_remembers_a_failure() {
        let mut p = Pending { lanes: vec![0, 2, 4], failed: false };
        assert_eq!(p.finish(2, true), None);
        assert_eq!(p.finish(2, false), None, "a lane finishing twice counts once");
        assert_eq!(p.finish(0, false), None);
        assert_eq!(p.finish(4, false), Some(true));
    }

    #[test]
    fn short_errors_keep_distinct_lines_only() {
        assert_eq!(short_error("lost device\nCaused by:\n  lost device\nBacktrace here\n"), "lost device");
    }
}
