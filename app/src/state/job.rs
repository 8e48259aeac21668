//! A piece of work the page hands to the engine worker (an arena run, a sweep, a benchmark, a
//! study re-run): what it has produced so far, whether it runs and how it ended, and a
//! generation number that every message of the worker carries, so that a superseded or
//! stopped job's late messages never reach the current one.

use crate::protocol::ToWorker;
use leptos::prelude::*;

/// A job's results (`data`) with whether it runs and how it ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tracked<S> {
    pub running: bool,
    /// Why it ended: done, failed, stopped, the engine restarted.
    pub message: Option<String>,
    pub data: S,
}

pub struct Job<S: Default + Send + Sync + 'static> {
    pub state: RwSignal<Tracked<S>>,
    generation: StoredValue<u64>,
}

impl<S: Default + Send + Sync + 'static> Clone for Job<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: Default + Send + Sync + 'static> Copy for Job<S> {}

impl<S: Default + Send + Sync + 'static> Job<S> {
    pub fn new() -> Self {
        Job { state: RwSignal::new(Tracked::default()), generation: StoredValue::new(0) }
    }

    /// Starts a new job from `data`; returns the generation its messages must carry.
    fn begin(&self, data: S) -> u64 {
        self.generation.update_value(|g| *g += 1);
        self.state.set(Tracked { running: true, message: None, data });
        self.generation.get_value()
    }

    /// Starts a new job from `data` and sends the worker `message(generation)`; a message that
    /// cannot be sent ends the job at once with the reason (which is also returned).
    pub fn send(&self, data: S, message: impl FnOnce(u64) -> ToWorker) -> Result<(), String> {
        let generation = self.begin(data);
        crate::state::host::post(&message(generation)).inspect_err(|e| self.end(generation, e.clone()))
    }

    /// Whether messages of generation `generation` belong to the current job.
    pub fn is_current(&self, generation: u64) -> bool {
        generation == self.generation.get_value()
    }

    /// Whether the current job runs (tracked: a view that reads it redraws when it ends).
    pub fn running(&self) -> bool {
        self.state.with(|t| t.running)
    }

    /// Applies a message of generation `generation` to the data, when it is the current job's.
    pub fn update(&self, generation: u64, f: impl FnOnce(&mut S)) {
        if self.is_current(generation) {
            self.state.update(|t| f(&mut t.data));
        }
    }

    pub fn end(&self, generation: u64, message: String) {
        if self.is_current(generation) {
            self.state.update(|t| finish(t, message));
        }
    }

    /// Ends the running job now: whatever the worker still sends for it is dropped.
    pub fn abandon(&self, message: &str) -> bool {
        if !self.state.with_untracked(|t| t.running) {
            return false;
        }
        self.generation.update_value(|g| *g += 1);
        self.state.update(|t| finish(t, message.to_string()));
        true
    }
}

fn finish<S>(t: &mut Tracked<S>, message: String) {
    t.running = false;
    t.message = Some(message);
}
