//! The held-out problems: a fixed, seeded set per level that evaluation and the study draw
//! from and training never sees.
//!
//! Whether a problem is held out depends on its text alone (one chain in [`HELD_OUT_ONE_IN`]),
//! not on the levels: recalibrating the levels after training cannot move a problem the models
//! were trained on into the held-out set.

use super::arithmetic::derive_seed;
use super::{ArithmeticChain, ChainProblem, Level, Task};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Seed of the held-out problems; training never draws them (see [`is_heldout`]).
pub const HELDOUT_SEED: u64 = 0x5EED_7E57;
/// Held-out problems reserved per level (evaluation and experiments draw from these).
pub const HELDOUT_PER_LEVEL: usize = 400;
/// One chain in this many is held out, whatever its level.
pub const HELD_OUT_ONE_IN: u64 = 64;

/// Whether training must skip `problem`.
pub fn is_heldout(problem: &ChainProblem) -> bool {
    let text = problem.expression();
    // FNV-1a over the text, then mixed with the seed: the same on every platform.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    derive_seed(&[HELDOUT_SEED, hash]).is_multiple_of(HELD_OUT_ONE_IN)
}

/// The held-out problems of every level, drawn once: the level's seeded problems that are
/// held out, in order, each once (level 1's few one-operation chains would repeat).
fn all() -> &'static [Vec<ChainProblem>] {
    static SETS: OnceLock<Vec<Vec<ChainProblem>>> = OnceLock::new();
    SETS.get_or_init(|| {
        Level::ALL
            .iter()
            .map(|&l| {
                let mut seen = HashSet::new();
                (0u64..)
                    .map(|i| ArithmeticChain.generate(l, HELDOUT_SEED, i))
                    .filter(|p| is_heldout(p) && seen.insert(p.expression()))
                    .take(HELDOUT_PER_LEVEL)
                    .collect()
            })
            .collect()
    })
}

/// The first `count` held-out problems of `level`.
pub fn heldout(level: Level, count: usize) -> Vec<ChainProblem> {
    all()[level.get() as usize - 1].iter().take(count).cloned().collect()
}

/// The first `count` held-out problems of every level, with their level, easiest level first.
pub fn heldout_by_level(count: usize) -> Vec<(Level, ChainProblem)> {
    Level::ALL.iter().flat_map(|&l| heldout(l, count).into_iter().map(move |p| (l, p))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_out_sets_are_distinct_problems_that_training_skips() {
        for level in Level::ALL {
            let set = heldout(level, HELDOUT_PER_LEVEL);
            assert_eq!(set.len(), HELDOUT_PER_LEVEL);
            assert!(set.iter().all(is_heldout));
            let distinct: HashSet<String> = set.iter().map(|p| p.expression()).collect();
            assert_eq!(distinct.len(), HELDOUT_PER_LEVEL, "{level:?}");
        }
        let share = (0..64_000u64).map(|i| ArithmeticChain.generate(Level::ALL[2], 1, i)).filter(is_heldout).count();
        assert!((700..1300).contains(&share), "{share} of 64,000 held out");
    }
}
