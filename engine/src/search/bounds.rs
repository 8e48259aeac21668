//! Every bound on a strategy's knobs: one constant each, checked here and nowhere else (the
//! strategies, [`super::Knobs`], [`super::Recipe`], the CLI and the page all call these).

use super::{SearchError, check};
use crate::infer::MAX_TEMPERATURE;

/// Most generations any run may spend.
pub const MAX_BUDGET: usize = 1024;
/// Most search rounds (steps) of beam search, lookahead and DVTS.
pub const MAX_ROUNDS: usize = 100;
/// Search rounds when nobody says otherwise: more steps than any solution takes.
pub const DEFAULT_ROUNDS: usize = 40;
/// Longest lookahead (greedy rollout steps).
pub const MAX_LOOKAHEAD: usize = 8;
/// The study's beam width M, the default everywhere and the width lookahead searches with.
pub const DEFAULT_WIDTH: usize = 4;

pub fn budget(n: usize) -> Result<(), SearchError> {
    check((1..=MAX_BUDGET).contains(&n), || format!("the budget must be 1 to {MAX_BUDGET} generations, got {n}"))
}

pub fn width(m: usize) -> Result<(), SearchError> {
    check(m >= 1, || "the beam width M must be at least 1".into())
}

pub fn rounds(r: usize) -> Result<(), SearchError> {
    check((1..=MAX_ROUNDS).contains(&r), || format!("max rounds must be 1 to {MAX_ROUNDS}, got {r}"))
}

pub fn lookahead(k: usize) -> Result<(), SearchError> {
    check((1..=MAX_LOOKAHEAD).contains(&k), || format!("lookahead k must be 1 to {MAX_LOOKAHEAD} steps, got {k}"))
}

/// A tree search's N beams, width M and round limit (beam search, lookahead, DVTS).
pub fn tree(n: usize, m: usize, max_rounds: usize) -> Result<(), SearchError> {
    budget(n)?;
    width(m)?;
    rounds(max_rounds)
}

/// C revision chains of L attempts.
pub fn revisions(chains: usize, length: usize) -> Result<(), SearchError> {
    check(chains >= 1 && length >= 1, || "revisions need at least 1 chain of length 1".into())?;
    check(chains * length <= MAX_BUDGET, || format!("{chains} chains × {length} attempts exceed the budget limit of {MAX_BUDGET}"))
}

pub fn temperature(t: f32) -> Result<(), SearchError> {
    check((0.0..=MAX_TEMPERATURE).contains(&t), || format!("temperature {t} is outside 0..={MAX_TEMPERATURE}"))
}
