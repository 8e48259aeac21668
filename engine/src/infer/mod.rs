//! Batched inference: the decoder (N sequences in one batch with a KV cache, sampling on the
//! device) and batched PRM scoring. Async throughout, since browser read-backs are promises;
//! native callers block on the futures.

mod decoder;
mod sampling;
mod scoring;
mod throughput;

pub use decoder::{DecodeLimits, DecodeStats, Decoder, left_padded, right_padded};
pub use sampling::MAX_TEMPERATURE;
pub use scoring::{PrmScorer, SCORE_CHUNK};
pub use throughput::{DecodeThroughput, decode_throughput};

use crate::task::Token;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where a row stops extending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopAt {
    /// At the end of the current step (newline) or the end of the answer.
    StepEnd,
    /// At the end of the answer only.
    AnswerEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinishReason {
    /// The model ended its answer.
    EndOfAnswer,
    /// A length limit (context, tokens per sample or per step) was reached first.
    Length,
}

/// A sequence in a batch: its context (start of sequence, problem, earlier attempts), what was
/// generated after it, and whether it is finished.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub tokens: Vec<Token>,
    pub context_len: usize,
    pub finished: Option<FinishReason>,
}

impl Row {
    pub fn generated(&self) -> &[Token] {
        &self.tokens[self.context_len..]
    }
}

/// How a new row begins.
#[derive(Clone, Debug)]
pub struct RowStart {
    pub context: Vec<Token>,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InferError {
    #[error("the run was cancelled")]
    Cancelled,
    #[error("reading results back from the device failed: {0}")]
    Readback(String),
    #[error("{0}")]
    Invalid(String),
}

/// Called between decode steps to let the caller's event loop run: in the browser a run on
/// the main thread must hand control back (to paint, and to see Stop) even when read-backs
/// complete at once, as they do on the CPU backend.
pub type Pause = std::rc::Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>;

/// Cancels a run between decode steps; clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    pub fn check(&self) -> Result<(), InferError> {
        if self.is_cancelled() { Err(InferError::Cancelled) } else { Ok(()) }
    }
}

/// What the search strategies need from a generator. Implemented by [`Decoder`] for real
/// models and by scripted generators in tests.
#[allow(async_fn_in_trait)]
pub trait Generator {
    /// Replaces the batch with one row per start.
    async fn start(&mut self, rows: Vec<RowStart>) -> Result<(), InferError>;
    /// New row `i` continues old row `rows[i]` (a repeated row forks) and draws its
    /// randomness from `seeds[i]` from now on.
    fn select(&mut self, rows: &[usize], seeds: &[u64]) -> Result<(), InferError>;
    /// Extends every unfinished row (or, with `only`, the unfinished rows marked true) to its
    /// next stop, reporting each new token.
    async fn extend(&mut self, stop: StopAt, temperature: f32, only: Option<&[bool]>, on_token: &mut dyn FnMut(usize, Token)) -> Result<(), InferError>;
    fn rows(&self) -> &[Row];
    /// Longest context plus generation a row can hold.
    fn max_context(&self) -> usize;
    /// Parameters of the model, for FLOPs accounting.
    fn parameters(&self) -> usize;
    /// Tokens generated and context tokens processed so far.
    fn stats(&self) -> DecodeStats;
}

/// One item to score: the context the verifier sees (start token and problem) and a solution.
#[derive(Clone, Debug)]
pub struct ScoreItem {
    pub context: Vec<Token>,
    pub solution: Vec<Token>,
}

/// A verifier: one score in 0..1 per step of each solution (each newline, and the end of the
/// answer when present).
#[allow(async_fn_in_trait)]
pub trait Scorer {
    async fn score(&mut self, items: &[ScoreItem]) -> Result<Vec<Vec<f32>>, InferError>;
    /// Tokens read by the verifier so far, and its parameters (0 for the exact checker).
    fn tokens_scored(&self) -> u64;
    fn parameters(&self) -> usize;
}

/// Indices in `solution` where a step ends (newline) or the answer ends (end token).
pub fn step_ends(solution: &[Token], step_end: Token) -> Vec<usize> {
    solution
        .iter()
        .enumerate()
        .filter(|(_, t)| **t == step_end || **t == crate::task::Tokenizer::EOS)
        .map(|(i, _)| i)
        .collect()
}
