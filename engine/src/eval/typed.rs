//! Problems people type in shapes the levels rarely draw (zero operands, small operands after
//! large starts, long sums, products of products, negative values), each against problems
//! drawn with the same operators and operand sizes: the generator should do about as well on
//! both, since its training draw covers everything the parser accepts.

use crate::task::arithmetic::{MAX_VALUE, derive_seed};
use crate::task::{ArithmeticChain, ChainProblem, Task};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The typed shapes: the six, and others of the kind.
pub const TYPED: [&str; 16] = [
    "8*8*8",
    "998+3",
    "0+6+0",
    "11*11*11",
    "2+4+6+8+10+12+14",
    "4-11",
    "7*0+5",
    "100-99-1",
    "5-9-9-9",
    "999+999+999",
    "1+1+1+1+1+1+1+1",
    "50-75*2",
    "12*12-144",
    "3*3*3*3*3",
    "321-123+0",
    "900+9-900*7",
];

/// Problems of `typed`'s operators and operand digit counts, with other values, drawn from
/// `seed`: as many as fit the value bounds in a bounded number of tries.
pub fn matched(typed: &ChainProblem, count: usize, seed: u64) -> Vec<ChainProblem> {
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[seed, typed.ops.len() as u64, typed.start as u64]));
    let like = |v: i64, rng: &mut ChaCha8Rng| {
        let digits = v.to_string().len() as u32;
        if digits == 1 { rng.random_range(0..=9) } else { rng.random_range(10i64.pow(digits - 1)..10i64.pow(digits)) }
    };
    let mut out = Vec::new();
    for _ in 0..count * 50 {
        if out.len() == count {
            break;
        }
        let p = ChainProblem { start: like(typed.start, &mut rng), ops: typed.ops.iter().map(|&(op, b)| (op, like(b, &mut rng))).collect() };
        if p != *typed && p.values().iter().all(|v| v.abs() <= MAX_VALUE) {
            out.push(p);
        }
    }
    out
}

/// The typed problems, parsed.
pub fn typed_problems() -> Vec<ChainProblem> {
    TYPED.iter().map(|t| ArithmeticChain.parse(t).expect("the typed shapes parse")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_shapes_parse_and_have_matches() {
        for (text, p) in TYPED.iter().zip(typed_problems()) {
            let m = matched(&p, 8, 1);
            assert_eq!(m.len(), 8, "{text}");
            assert!(m.iter().all(|q| q.ops.len() == p.ops.len()), "{text}");
        }
    }
}
