//! The benchmark on the page's side: a [`Job`] whose rows the engine worker measures.

use crate::protocol::{BenchRow, ToWorker};
use crate::settings::Settings;
use crate::state::job::Job;

/// The rows measured so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BenchState {
    pub rows: Vec<BenchRow>,
}

#[derive(Clone, Copy)]
pub struct BenchRun {
    pub job: Job<BenchState>,
}

impl BenchRun {
    pub fn new() -> Self {
        BenchRun { job: Job::new() }
    }

    pub fn start(&self, settings: Settings) {
        // The view shows why, when the message cannot be sent.
        let _ = self.job.send(BenchState::default(), |generation| ToWorker::Bench { generation, settings });
    }

    pub fn on_row(&self, generation: u64, row: BenchRow) {
        self.job.update(generation, |s| s.rows.push(row));
    }
}
