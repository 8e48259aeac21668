//! The sweep on the page's side: a [`Job`] the engine worker runs cell by cell, each cell one
//! series at one budget on one held-out problem.

use crate::protocol::ToWorker;
use crate::settings::{SWEEP_SERIES, Settings, SweepSize};
use crate::state::job::Job;
use crate::state::{Status, restart_engine};
use engine::task::Level;
use leptos::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepState {
    /// (level, series, budget) → (right, tried).
    pub cells: BTreeMap<(u8, usize, usize), (usize, usize)>,
    pub done: usize,
    pub total: usize,
}

#[derive(Clone, Copy)]
pub struct SweepRun {
    pub job: Job<SweepState>,
    status: RwSignal<Status>,
}

impl SweepRun {
    pub fn new(status: RwSignal<Status>) -> Self {
        SweepRun { job: Job::new(), status }
    }

    pub fn start(&self, settings: Settings, sweep: SweepSize) {
        let total = sweep.budgets().len() * Level::ALL.len() * sweep.problems * SWEEP_SERIES;
        // The view shows why, when the message cannot be sent.
        let _ = self.job.send(SweepState { total, ..SweepState::default() }, |generation| ToWorker::Sweep { generation, settings, sweep });
    }

    /// Ends the sweep now (the engine worker restarts), keeping the cells drawn so far.
    pub fn stop(&self) {
        if self.job.abandon("stopped") {
            restart_engine(self.status, "Stop ends a sweep by restarting the engine");
        }
    }

    /// One run of `series` at `budget` on a problem of `level`, right or wrong.
    pub fn on_cell(&self, generation: u64, level: u8, series: usize, budget: usize, right: bool) {
        self.job.update(generation, |s| {
            let cell = s.cells.entry((level, series, budget)).or_default();
            cell.0 += right as usize;
            cell.1 += 1;
            s.done += 1;
        });
    }
}
