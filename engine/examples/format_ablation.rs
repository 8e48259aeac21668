//! The solution's text format on the broad training draw: today's (`19+12=31`) against every
//! value at a fixed width (`+00019+012=+00031`), so that digits of one place line up at a fixed
//! distance, and against every number written least significant digit first (`91+21=13`), so
//! that a carry is known before the digit it changes. The generator's shape (rotary) trains the same steps on chains of 1-3 operations
//! from `training_shape`, then samples 200 fresh chains of each kind (docs/training.md).
//!
//! cargo run --release -p ponder-engine --features native,train --example format_ablation [-- STEPS]

use engine::Device;
use engine::eval::generate_all;
use engine::infer::{CancelToken, RowStart};
use engine::model::{LanguageModel, ModelConfig};
use engine::search::SAMPLING_TEMPERATURE;
use engine::task::arithmetic::{Shape, derive_seed, training_shape};
use engine::task::{ArithmeticChain, ChainProblem, Task, Tokenizer};
use engine::train::{self, Batch, LmExample, Schedule};
use burn::module::Module;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Copy, Debug)]
enum Format {
    Plain,
    FixedWidth,
    Reversed,
}

/// `v`'s digits least significant first, the sign last.
fn reversed(v: i64) -> String {
    let digits: String = v.unsigned_abs().to_string().chars().rev().collect();
    if v < 0 { digits + "-" } else { digits }
}

fn value(v: i64, f: Format, width: usize) -> String {
    match f {
        Format::Plain => v.to_string(),
        Format::FixedWidth => format!("{}{:0width$}", if v < 0 { '-' } else { '+' }, v.abs()),
        Format::Reversed => reversed(v),
    }
}

fn solution(p: &ChainProblem, f: Format) -> String {
    let values = p.values();
    let mut s = String::new();
    for (i, &(op, b)) in p.ops.iter().enumerate() {
        let b = match f {
            Format::Plain => b.to_string(),
            Format::FixedWidth => format!("{b:03}"),
            Format::Reversed => reversed(b),
        };
        s.push_str(&format!("{}{}{b}={}\n", value(values[i], f, 5), op.symbol(), value(values[i + 1], f, 5)));
    }
    s + &format!("A:{}", value(p.answer(), f, 5))
}

fn example(p: &ChainProblem, f: Format) -> LmExample {
    let mut tokens = ArithmeticChain.prompt_tokens(p);
    let loss_from = tokens.len();
    tokens.extend(ArithmeticChain.tokenizer().encode(&solution(p, f)).unwrap());
    tokens.push(Tokenizer::EOS);
    LmExample { tokens, loss_from }
}

fn right(p: &ChainProblem, text: &str, f: Format) -> bool {
    let want = value(p.answer(), f, 5);
    text.lines().find_map(|l| l.strip_prefix("A:")) == Some(want.as_str())
}

fn main() {
    let steps: usize = match std::env::args().nth(1) {
        None => 2500,
        Some(text) => match text.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("STEPS must be a positive whole number, got {text:?}");
                std::process::exit(2);
            }
        },
    };
    let vocab = ArithmeticChain.tokenizer().vocab_size();
    let small = Shape { ops: (1, 2), start: (0, 20), operand: (0, 20), multiplier: (0, 9), mix: [3, 2, 1], spread: false, non_negative: false };
    let only: Option<String> = std::env::args().nth(2);
    if let Some(o) = &only
        && !["Plain", "FixedWidth", "Reversed"].contains(&o.as_str())
    {
        eprintln!("the format must be Plain, FixedWidth or Reversed, got {o:?}");
        std::process::exit(2);
    }
    for f in [Format::Plain, Format::FixedWidth, Format::Reversed] {
        if only.as_ref().is_some_and(|o| *o != format!("{f:?}")) {
            continue;
        }
        let config = ModelConfig::small(vocab);
        let ad = Device::flex().autodiff();
        ad.seed(1);
        let schedule = Schedule { steps, batch_size: 64, learning_rate: 3e-3, warmup_steps: 100, final_lr_fraction: 0.1, weight_decay: 0.01, seed: 1, restart: None };
        let batch_for = |step: usize, _: &LanguageModel| {
            let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[11, step as u64]));
            let n = rng.random_range(1..=3);
            let examples: Vec<_> = (0..64).map(|_| example(&training_shape(n, false, &mut rng).draw(&mut rng), f)).collect();
            Batch::language_model(&examples, &ad)
        };
        let started = std::time::Instant::now();
        let fitted = train::fit(LanguageModel::init(&config, &ad), &schedule, "format", None, batch_for, train::lm_loss, None, None, &mut train::Quiet, &CancelToken::new()).expect("training");
        let model = fitted.model.valid();
        let mut line = format!("{f:?}: {steps} steps, {:.1}M tokens in {:.0} s;", fitted.progress.tokens as f64 / 1e6, started.elapsed().as_secs_f64());
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let kinds: [(&str, Vec<ChainProblem>); 2] = [
            ("1-2 ops, operands <= 20", (0..200).map(|_| small.draw(&mut rng)).collect()),
            ("1-3 ops, training draw", (0..200).map(|_| { let n = rng.random_range(1..=3); training_shape(n, false, &mut rng).draw(&mut rng) }).collect()),
        ];
        for (name, problems) in kinds {
            let starts: Vec<RowStart> = problems.iter().enumerate().flat_map(|(i, p)| (0..4).map(move |j| RowStart { context: ArithmeticChain.prompt_tokens(p), seed: derive_seed(&[i as u64, j]) })).collect();
            let rows = pollster::block_on(generate_all(&model, &config, &ArithmeticChain.tokenizer(), &Device::flex(), starts, SAMPLING_TEMPERATURE, &CancelToken::new(), &mut |_| {})).expect("generation");
            let ok = rows.iter().enumerate().filter(|(r, row)| right(&problems[r / 4], &ArithmeticChain.text_of(row.generated()), f)).count();
            line.push_str(&format!(" {name}: {:.1}%", 100.0 * ok as f64 / rows.len() as f64));
        }
        println!("{line}");
    }
}
