//! The held-out problems: a fixed, seeded set per level that evaluation and the study draw
//! from, and the reserved problems ([`is_reserved`]) that training never draws.
//!
//! A level's held-out problems are the first distinct reserved problems of its seeded draw, so
//! no model's training ever saw one, whatever the levels are.

use super::arithmetic::derive_seed;
use super::{ArithmeticChain, ChainProblem, Level, Task};
use std::sync::OnceLock;

/// Seed of the held-out problems.
pub const HELDOUT_SEED: u64 = 0x5EED_7E57;
/// Held-out problems reserved per level (evaluation and experiments draw from these).
pub const HELDOUT_PER_LEVEL: usize = 400;
/// Draws of a level's shape tried for its held-out problems: about 16 × 400 are needed where
/// the shape has many distinct reserved problems, and a bound keeps a narrow shape from
/// looping (a test checks every level reaches [`HELDOUT_PER_LEVEL`]).
const MAX_DRAWS: u64 = 400_000;

/// The first `count` held-out problems of `level` (at most [`HELDOUT_PER_LEVEL`]).
pub fn heldout(level: Level, count: usize) -> Vec<ChainProblem> {
    let all = held_out_of(level);
    all[..count.min(all.len())].to_vec()
}

/// Every level's held-out problems, drawn once.
fn held_out_of(level: Level) -> &'static [ChainProblem] {
    static LEVELS: OnceLock<Vec<Vec<ChainProblem>>> = OnceLock::new();
    &LEVELS.get_or_init(|| Level::ALL.iter().map(|&l| draw_held_out(l)).collect())[level.get() as usize - 1]
}

fn draw_held_out(level: Level) -> Vec<ChainProblem> {
    let mut index = 0;
    first_distinct_reserved(
        || {
            index += 1;
            ArithmeticChain.generate(level, HELDOUT_SEED, index - 1)
        },
        HELDOUT_PER_LEVEL,
    )
}

/// The first `count` distinct reserved problems that `draw` gives (fewer where [`MAX_DRAWS`]
/// draws hold fewer): how a level's held-out problems are chosen, and how candidate levels are
/// measured before they become levels (`calibrate_levels`). Where a shape's space is small,
/// distinct problems lean to its rarer, harder corners (a 1-operation chain of single digits
/// comes up often, but there are few of them).
pub fn first_distinct_reserved(mut draw: impl FnMut() -> ChainProblem, count: usize) -> Vec<ChainProblem> {
    let mut seen = std::collections::HashSet::new();
    let mut problems = Vec::with_capacity(count);
    for _ in 0..MAX_DRAWS {
        if problems.len() == count {
            break;
        }
        let problem = draw();
        if is_reserved(&problem) && seen.insert(problem.expression()) {
            problems.push(problem);
        }
    }
    problems
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

    #[test]
    fn every_level_has_its_held_out_problems_reserved_and_distinct() {
        for level in Level::ALL {
            let problems = heldout(level, HELDOUT_PER_LEVEL);
            assert_eq!(problems.len(), HELDOUT_PER_LEVEL, "{level:?}");
            assert!(problems.iter().all(is_reserved), "{level:?}");
            let distinct: std::collections::HashSet<String> = problems.iter().map(|p| p.expression()).collect();
            assert_eq!(distinct.len(), HELDOUT_PER_LEVEL, "{level:?}");
            assert!(problems.iter().all(|p| ArithmeticChain.level_of(p) <= level), "{level:?}");
            assert_eq!(heldout(level, 7), problems[..7], "{level:?}: a prefix of the same list");
        }
    }
}
