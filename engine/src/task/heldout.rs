//! The held-out problems: a fixed, seeded set per level that evaluation and the study draw
//! from, and the reserved problems ([`is_reserved`]) that training never draws.
//!
//! Today's held-out problems are the first draws of the shipped levels, which the shipped
//! models' training skipped. The next generation trains on everything but the reserved
//! problems; when it ships, its levels are recalibrated and their held-out problems become
//! the first reserved draws of each level.

use super::arithmetic::derive_seed;
use super::{ArithmeticChain, ChainProblem, Level, Task};

/// Seed of the held-out problems.
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

/// One problem in this many is reserved for evaluation, whatever the levels are.
pub const RESERVED_EVERY: u64 = 16;

/// Whether `problem` is reserved for evaluation: a fixed hash of the problem decides, so the
/// training stream never depends on how the levels are drawn, and levels can be recalibrated
/// after training without a reserved problem ever having been trained on.
pub fn is_reserved(problem: &ChainProblem) -> bool {
    let parts: Vec<u64> = std::iter::once(problem.start as u64).chain(problem.ops.iter().map(|&(op, b)| ((op.symbol() as u64) << 32) ^ b as u64)).collect();
    derive_seed(&parts).is_multiple_of(RESERVED_EVERY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_one_problem_in_sixteen_is_reserved() {
        let drawn: Vec<ChainProblem> = (0..16_000).map(|i| ArithmeticChain.generate(Level::ALL[2], 1, i)).collect();
        let reserved = drawn.iter().filter(|p| is_reserved(p)).count();
        assert!((800..1200).contains(&reserved), "{reserved} of 16,000");
    }
}
