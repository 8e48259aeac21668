//! Sampled pass@1 of a generator on candidate level shapes, to calibrate the levels
//! (docs/training.md, "The next generation"). Reads a weights folder (default public/models) and prints one
//! line per candidate: 100 problems × 16 samples at the strategies' temperature.
//!
//! cargo run --release -p ponder-engine --features native,train --example calibrate_levels [-- DIR]

use engine::eval::generate_all;
use engine::infer::{CancelToken, RowStart};
use engine::model::weights::{self, Manifest, Role};
use engine::search::SAMPLING_TEMPERATURE;
use engine::task::arithmetic::{Shape, derive_seed};
use engine::task::heldout::is_heldout;
use engine::task::{ArithmeticChain, Task};
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
    let s = |ops, start, operand, multiplier, mix| Shape { ops, start, operand, multiplier, mix, spread: false };
    let candidates = [
        s((1, 2), (0, 20), (0, 20), (0, 9), [3, 2, 1]),
        s((1, 3), (0, 50), (0, 50), (0, 9), [3, 2, 1]),
        s((2, 3), (0, 99), (0, 99), (0, 9), [2, 2, 1]),
        s((2, 4), (0, 99), (0, 99), (0, 9), [2, 2, 1]),
        s((3, 4), (10, 99), (0, 99), (2, 12), [2, 2, 1]),
        s((3, 5), (10, 99), (0, 99), (2, 12), [2, 2, 1]),
        s((3, 5), (10, 999), (0, 999), (2, 12), [2, 2, 1]),
        s((4, 6), (10, 999), (0, 999), (2, 19), [2, 2, 1]),
        s((4, 6), (100, 999), (0, 999), (2, 19), [2, 2, 1]),
        s((5, 7), (100, 999), (10, 999), (2, 19), [2, 2, 1]),
        s((6, 8), (100, 999), (10, 999), (2, 99), [2, 2, 2]),
        s((6, 8), (100, 999), (10, 999), (2, 19), [2, 2, 1]),
        s((7, 8), (100, 999), (100, 999), (2, 99), [2, 2, 2]),
    ];
    let cancel = CancelToken::new();
    for (k, shape) in candidates.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[0xCA1, k as u64]));
        let problems: Vec<_> = std::iter::repeat_with(|| shape.draw(&mut rng)).filter(is_heldout).take(PROBLEMS).collect();
        let starts: Vec<RowStart> = problems
            .iter()
            .enumerate()
            .flat_map(|(i, p)| (0..SAMPLES).map(move |j| RowStart { context: ArithmeticChain.prompt_tokens(p), seed: derive_seed(&[i as u64, j as u64]) }))
            .collect();
        let rows = pollster::block_on(generate_all(&model, &entry.config, &ArithmeticChain.tokenizer(), &device, starts, SAMPLING_TEMPERATURE, &cancel, &mut |_| {}))
            .expect("generation");
        let right = rows.iter().enumerate().filter(|(r, row)| ArithmeticChain.grade(&problems[r / SAMPLES], &ArithmeticChain.text_of(row.generated())).answer_correct).count();
        println!("{:>5.1}%  {shape:?}", 100.0 * right as f64 / rows.len() as f64);
        if std::env::var_os("PONDER_SHOW").is_some() {
            for (r, row) in rows.iter().enumerate().step_by(SAMPLES).take(6) {
                println!("    {} → {:?}", problems[r / SAMPLES].expression(), ArithmeticChain.text_of(row.generated()));
            }
        }
    }
}
