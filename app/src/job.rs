//! A piece of work the page hands to the engine worker (a benchmark, a sweep, a study
//! re-run): its state, and a generation number that every message of the worker carries, so
//! that a superseded or stopped job's late messages never reach the current one.

use leptos::prelude::*;

/// What a job's state must say: whether it runs, and how it ended.
pub trait JobState: Default + Send + Sync + 'static {
    fn running(&self) -> bool;
    /// Marks it ended with `message` (done, failed, stopped, the engine restarted).
    fn end(&mut self, message: String);
}

pub struct Job<S: JobState> {
    pub state: RwSignal<S>,
    generation: StoredValue<u64>,
}

impl<S: JobState> Clone for Job<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: JobState> Copy for Job<S> {}

impl<S: JobState> Job<S> {
    pub fn new() -> Self {
        Job { state: RwSignal::new(S::default()), generation: StoredValue::new(0) }
    }

    /// Starts a new job in `state`; returns the generation its messages must carry.
    pub fn begin(&self, state: S) -> u64 {
        self.generation.update_value(|g| *g += 1);
        self.state.set(state);
        self.generation.get_value()
    }

    /// Applies a message of generation `generation`, when it is the current job's.
    pub fn update(&self, generation: u64, f: impl FnOnce(&mut S)) {
        if generation == self.generation.get_value() {
            self.state.update(f);
        }
    }

    pub fn end(&self, generation: u64, message: String) {
        self.update(generation, |s| s.end(message));
    }

    /// Ends the running job now: whatever the worker still sends for it is dropped.
    pub fn abandon(&self, message: &str) -> bool {
        if !self.state.with_untracked(|s| s.running()) {
            return false;
        }
        self.generation.update_value(|g| *g += 1);
        self.state.update(|s| s.end(message.to_string()));
        true
    }
}
