//! Learned against rotary positions on the same data: the generator's shape trained for a few
//! hundred steps on solutions of levels 1-3, then sampled pass@1 on 100 fresh level-1 and
//! level-2 chains. Tells whether the position scheme or the data is what a weak generator
//! lacks (docs/training.md).
//!
//! cargo run --release -p ponder-engine --features native,train --example positions_ablation [-- STEPS]

use engine::Device;
use engine::eval::generate_all;
use engine::infer::{CancelToken, RowStart};
use engine::model::{LanguageModel, ModelConfig, Positions};
use engine::search::SAMPLING_TEMPERATURE;
use engine::task::arithmetic::derive_seed;
use engine::task::{ArithmeticChain, Level, Task};
use engine::train::corpus::{draw_level_problem, solution_example};
use engine::train::{self, Batch, Schedule};
use burn::module::Module;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let steps: usize = match std::env::args().nth(1) {
        None => 600,
        Some(text) => match text.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("STEPS must be a positive whole number, got {text:?}");
                std::process::exit(2);
            }
        },
    };
    let vocab = ArithmeticChain.tokenizer().vocab_size();
    for positions in [Positions::Learned, Positions::Rotary] {
        let config = ModelConfig { positions, ..ModelConfig::small(vocab) };
        let ad = Device::flex().autodiff();
        ad.seed(1);
        let schedule = Schedule { steps, batch_size: 64, learning_rate: 3e-3, warmup_steps: 50, final_lr_fraction: 0.1, weight_decay: 0.01, seed: 1, restart: None };
        let batch_for = |step: usize, _: &LanguageModel| {
            let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[7, step as u64]));
            let level = Level::ALL[rng.random_range(0..3)];
            let examples: Vec<_> = (0..64).map(|_| solution_example(&draw_level_problem(level, &mut rng))).collect();
            Batch::language_model(&examples, &ad)
        };
        let started = std::time::Instant::now();
        let fitted = train::fit(LanguageModel::init(&config, &ad), &schedule, "ablation", None, batch_for, train::lm_loss, None, None, &mut train::Quiet, &CancelToken::new()).expect("training");
        let model = fitted.model.valid();
        let device = Device::flex();
        let mut line = format!("{positions:?}: {steps} steps in {:.0} s, final loss {:.3};", started.elapsed().as_secs_f64(), fitted.progress.final_loss().unwrap_or(f64::NAN));
        for level in [Level::ALL[0], Level::ALL[1], Level::ALL[2]] {
            let mut rng = ChaCha8Rng::seed_from_u64(99);
            let problems: Vec<_> = (0..100).map(|_| draw_level_problem(level, &mut rng)).collect();
            let starts: Vec<RowStart> = problems.iter().enumerate().flat_map(|(i, p)| (0..4).map(move |j| RowStart { context: ArithmeticChain.prompt_tokens(p), seed: derive_seed(&[i as u64, j]) })).collect();
            let rows = pollster::block_on(generate_all(&model, &config, &ArithmeticChain.tokenizer(), &device, starts, SAMPLING_TEMPERATURE, &CancelToken::new(), &mut |_| {})).expect("generation");
            let right = rows.iter().enumerate().filter(|(r, row)| ArithmeticChain.grade(&problems[r / 4], &ArithmeticChain.text_of(row.generated())).answer_correct).count();
            line.push_str(&format!(" level {} {:.1}%", level.get(), 100.0 * right as f64 / rows.len() as f64));
        }
        println!("{line}");
    }
}
