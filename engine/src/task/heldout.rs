//! The held-out problems: a fixed, seeded set per level that evaluation and the study draw
//! from and training never sees.

use super::{ArithmeticChain, ChainProblem, Level, Task};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Seed of the held-out problems; training never draws them (see [`is_heldout`]).
pub const HELDOUT_SEED: u64 = 0x5EED_7E57;
/// Held-out problems reserved per level (evaluation and experiments draw from these).
pub const HELDOUT_PER_LEVEL: usize = 400;

/// The first `count` held-out problems of `level`.
pub fn heldout(level: Level, count: usize) -> Vec<ChainProblem> {
    (0..count.min(HELDOUT_PER_LEVEL) as u64).map(|i| ArithmeticChain.generate(level, HELDOUT_SEED, i)).collect()
}

/// The first `count` held-out problems of every level, with their level, easiest level first.
pub fn heldout_by_level(count: usize) -> Vec<(Level, ChainProblem)> {
    Level::ALL.iter().flat_map(|&l| heldout(l, count).into_iter().map(move |p| (l, p))).collect()
}

/// Whether training must skip `problem`. Level 1 is exempt: it has only 810 distinct
/// problems, so the held-out ones would be most of it; its numbers measure recall, not
/// generalisation.
pub fn is_heldout(problem: &ChainProblem) -> bool {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    let set = SET.get_or_init(|| {
        Level::ALL[1..].iter().flat_map(|&l| heldout(l, HELDOUT_PER_LEVEL)).map(|p| p.expression()).collect()
    });
    ArithmeticChain.level_of(problem) > Level::ALL[0] && set.contains(&problem.expression())
}
