//! Sampled pass@1 of a generator on candidate level shapes, to calibrate the levels
//! (docs/training.md, "The next generation"). Reads a weights folder (default public/models) and prints one
//! line per candidate (today's levels first): 100 distinct reserved problems × 16 samples, chosen
//! as the levels' held-out problems are, at the
//! strategies' temperature. `PONDER_PICK=0,5,6` measures only those candidates (by the index
//! printed first), for quick checks on a checkpoint during training.
//!
//! cargo run --release -p ponder-engine --features native,train --example calibrate_levels [-- DIR]

use engine::eval::generate_all;
use engine::infer::{CancelToken, RowStart};
use engine::model::weights::{self, Manifest, Role};
use engine::search::SAMPLING_TEMPERATURE;
use engine::task::arithmetic::{Shape, derive_seed, level_shape};
use engine::task::heldout::first_distinct_reserved;
use engine::task::{ArithmeticChain, Level, Task};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const PROBLEMS: usize = 100;
const SAMPLES: usize = 16;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "public/models".into()));
    let fail = |what: &str, e: &dyn std::fmt::Display| -> ! {
        eprintln!("{}: {what}: {e}", dir.display());
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap_or_else(|e| fail("reading manifest.json", &e));
    let manifest = Manifest::parse("manifest.json", &text).unwrap_or_else(|e| fail("manifest.json", &e));
    let entry = manifest.entry(Role::Generator).unwrap_or_else(|e| fail("manifest.json", &e));
    let device = engine::backend::cpu().0;
    let bytes = std::fs::read(dir.join(&entry.file)).unwrap_or_else(|e| fail(&entry.file, &e));
    let model = weights::load_language_model(Role::Generator, entry, bytes, &device).unwrap_or_else(|e| fail(&entry.file, &e));
    // Today's levels first, then a grid over the whole space: chain length, operand size (drawn
    // by digit count, so small operands come up beside large ones), multipliers, negative
    // values or not.
    let mut candidates: Vec<Shape> = Level::ALL.into_iter().map(level_shape).collect();
    for (ops, top, multiplier, non_negative) in [
        ((1, 2), 9, 9, true),
        ((1, 2), 9, 9, false),
        ((1, 3), 20, 9, true),
        ((1, 3), 20, 9, false),
        ((2, 3), 20, 9, false),
        ((2, 4), 50, 9, true),
        ((2, 4), 50, 9, false),
        ((2, 4), 99, 12, false),
        ((3, 5), 99, 12, true),
        ((3, 5), 99, 12, false),
        ((4, 6), 99, 12, false),
        ((5, 8), 99, 12, false),
        ((2, 3), 999, 12, false),
        ((3, 5), 999, 12, false),
        ((4, 8), 999, 99, false),
        ((1, 8), 999, 999, false),
    ] {
        let spread = top >= 20;
        candidates.push(Shape { ops, start: (0, top), operand: (0, top), multiplier: (0, multiplier), mix: [2, 2, 1], spread, non_negative });
    }
    // Between the grid's steps, and easier mixes for level 1 (appended, so indices above stay).
    for (ops, top, multiplier, mix, non_negative) in [
        ((1, 1), 9, 9, [2, 2, 1], false),
        ((1, 2), 9, 9, [1, 1, 0], true),
        ((1, 2), 9, 9, [2, 1, 1], true),
        ((1, 2), 9, 9, [3, 1, 1], true),
        ((1, 3), 9, 9, [2, 2, 1], false),
        ((2, 3), 9, 9, [2, 2, 1], true),
        ((1, 3), 20, 9, [2, 1, 1], true),
        ((2, 3), 50, 9, [2, 2, 1], true),
        ((2, 4), 20, 9, [2, 2, 1], false),
        ((3, 4), 50, 9, [2, 2, 1], true),
        ((3, 5), 50, 9, [2, 2, 1], false),
        ((4, 6), 99, 12, [2, 2, 1], true),
        ((2, 2), 9, 9, [3, 1, 1], true),
        ((2, 2), 9, 9, [1, 1, 0], true),
        ((2, 2), 9, 9, [3, 1, 0], true),
        ((2, 3), 9, 9, [3, 1, 0], true),
        ((2, 2), 9, 9, [2, 2, 1], false),
        ((2, 3), 9, 9, [2, 2, 1], false),
        ((2, 3), 20, 9, [2, 2, 1], true),
        ((2, 4), 20, 9, [2, 2, 1], true),
    ] {
        let spread = top >= 20;
        candidates.push(Shape { ops, start: (0, top), operand: (0, top), multiplier: (0, multiplier), mix, spread, non_negative });
    }
    // One operation on a larger start: a space with enough distinct problems for a level's
    // held-out set, without the carries of a chain.
    for (start, operand, multiplier, mix, non_negative) in [
        (99, 9, 9, [2, 2, 1], true),
        (99, 20, 9, [1, 1, 0], true),
        (99, 99, 9, [1, 1, 0], true),
        (99, 9, 9, [2, 2, 1], false),
        (20, 20, 9, [2, 2, 1], false),
    ] {
        let spread = start >= 20;
        candidates.push(Shape { ops: (1, 1), start: (0, start), operand: (0, operand), multiplier: (0, multiplier), mix, spread, non_negative });
    }
    let pick: Option<Vec<usize>> = std::env::var("PONDER_PICK").ok().map(|v| {
        v.split(',').map(|i| i.trim().parse().unwrap_or_else(|e| fail("PONDER_PICK must list candidate indices", &e))).collect()
    });
    let cancel = CancelToken::new();
    for (k, shape) in candidates.iter().enumerate() {
        if pick.as_ref().is_some_and(|p| !p.contains(&k)) {
            continue;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[0xCA1, k as u64]));
        let problems = first_distinct_reserved(|| shape.draw(&mut rng), PROBLEMS);
        let starts: Vec<RowStart> = problems
            .iter()
            .enumerate()
            .flat_map(|(i, p)| (0..SAMPLES).map(move |j| RowStart { context: ArithmeticChain.prompt_tokens(p), seed: derive_seed(&[i as u64, j as u64]) }))
            .collect();
        let rows = pollster::block_on(generate_all(&model, &entry.config, &ArithmeticChain.tokenizer(), &device, starts, SAMPLING_TEMPERATURE, &cancel, &mut |_| {}))
            .expect("generation");
        let right = rows.iter().enumerate().filter(|(r, row)| ArithmeticChain.grade(&problems[r / SAMPLES], &ArithmeticChain.text_of(row.generated())).answer_correct).count();
        println!("{k:>2} {:>5.1}%  {shape:?}", 100.0 * right as f64 / rows.len() as f64);
        if std::env::var_os("PONDER_SHOW").is_some() {
            for (r, row) in rows.iter().enumerate().step_by(SAMPLES).take(6) {
                println!("    {} → {:?}", problems[r / SAMPLES].expression(), ArithmeticChain.text_of(row.generated()));
            }
        }
    }
}
