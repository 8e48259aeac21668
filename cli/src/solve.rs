//! `ponder solve`: one problem, one strategy, live progress and a result.

use crate::models::{self, ModelArgs};
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use engine::infer::CancelToken;
use engine::search::compute_optimal::Policy;
use engine::search::revisions::RevisionSelection;
use engine::search::{Aggregation, Common, Event, RunResult, Selection};
use engine::solve::{Drive, Knobs, Strategy, StrategyName, Verifier, solve as run_solve};
use engine::task::{ArithmeticChain, Level, Task};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StrategyArg {
    BestOfN,
    Beam,
    Lookahead,
    Dvts,
    Revisions,
    /// Predicts the difficulty with a probe of budget/4 samples, then picks a strategy for it.
    ComputeOptimal,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SelectionArg {
    Majority,
    Weighted,
    Max,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AggregationArg {
    Last,
    Min,
    Product,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VerifierArg {
    Prm,
    Oracle,
}

/// Which compute-optimal policy picks the configuration per predicted bin.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolicyArg {
    /// What `ponder experiment` measured on Ponder's models (results/study/policy.json).
    Measured,
    /// The study's findings: revisions on easy problems, beam search on hard ones.
    Findings,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RevisionSelectionArg {
    Majority,
    Hierarchical,
}

#[derive(Args)]
pub struct SolveArgs {
    /// Difficulty level 1-5 of a generated problem.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub level: u8,
    /// Which generated problem of that level (with --problem-seed).
    #[arg(long, default_value_t = 0)]
    pub index: u64,
    /// Seed of the generated problem set.
    #[arg(long, default_value_t = 0)]
    pub problem_seed: u64,
    /// Solve this chain instead, e.g. "47+18*3-5" (operations apply left to right).
    #[arg(long)]
    pub problem: Option<String>,
    #[arg(long, value_enum, default_value_t = StrategyArg::BestOfN)]
    pub strategy: StrategyArg,
    /// Compute budget in generations (1-1024). Lookahead spends N·(k+1) of it.
    #[arg(long, default_value_t = 16)]
    pub budget: usize,
    /// Seed of the run's sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Sampling temperature (0 = greedy, at most 5).
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f32,
    #[arg(long, value_enum, default_value_t = SelectionArg::Weighted)]
    pub selection: SelectionArg,
    /// How a solution's step scores combine.
    #[arg(long, value_enum, default_value_t = AggregationArg::Last)]
    pub aggregation: AggregationArg,
    /// Beam width M (beam, lookahead, dvts); defaults to 4.
    #[arg(long, default_value_t = 4)]
    pub width: usize,
    /// Lookahead steps k.
    #[arg(long, default_value_t = 1)]
    pub lookahead: usize,
    /// Most search rounds (steps) for beam, lookahead and dvts.
    #[arg(long, default_value_t = 40)]
    pub max_rounds: usize,
    /// Revision chains C; each chain gets budget/C attempts.
    #[arg(long, default_value_t = 1)]
    pub chains: usize,
    #[arg(long, value_enum, default_value_t = RevisionSelectionArg::Hierarchical)]
    pub revision_selection: RevisionSelectionArg,
    /// Verifier: the trained PRM, or the exact checker (a perfect verifier).
    #[arg(long, value_enum, default_value_t = VerifierArg::Prm)]
    pub verifier: VerifierArg,
    /// The compute-optimal policy (with --strategy compute-optimal; default: measured).
    #[arg(long, value_enum)]
    pub policy: Option<PolicyArg>,
    #[command(flatten)]
    pub models: ModelArgs,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also print every event as a JSON line on stdout.
    #[arg(long)]
    pub events: bool,
}

fn strategy(a: &SolveArgs) -> Result<Strategy> {
    if a.budget == 0 || a.budget > engine::search::MAX_BUDGET {
        bail!("--budget must be between 1 and {} generations, got {}", engine::search::MAX_BUDGET, a.budget);
    }
    let knobs = Knobs {
        budget: a.budget,
        width: a.width,
        lookahead: a.lookahead,
        max_rounds: a.max_rounds,
        chains: a.chains,
        revision_selection: match a.revision_selection {
            RevisionSelectionArg::Majority => RevisionSelection::Majority,
            RevisionSelectionArg::Hierarchical => RevisionSelection::Hierarchical,
        },
    };
    let name = match a.strategy {
        StrategyArg::BestOfN => StrategyName::BestOfN,
        StrategyArg::Beam => StrategyName::Beam,
        StrategyArg::Lookahead => StrategyName::Lookahead,
        StrategyArg::Dvts => StrategyName::Dvts,
        StrategyArg::Revisions => StrategyName::Revisions,
        StrategyArg::ComputeOptimal => StrategyName::ComputeOptimal,
    };
    if a.policy.is_some() && name != StrategyName::ComputeOptimal {
        bail!("--policy applies to --strategy compute-optimal only");
    }
    let mut strategy = knobs.strategy(name)?;
    if let Strategy::ComputeOptimal(co) = &mut strategy {
        co.policy = match a.policy.unwrap_or(PolicyArg::Measured) {
            PolicyArg::Measured => Policy::measured()?,
            PolicyArg::Findings => Policy::study_findings(),
        };
    }
    Ok(strategy)
}

pub fn solve(a: SolveArgs) -> Result<()> {
    let task = ArithmeticChain;
    let problem = match &a.problem {
        Some(text) => task.parse(text).map_err(|e| anyhow::anyhow!("--problem {text:?}: {e}"))?,
        None => task.generate(Level::new(a.level)?, a.problem_seed, a.index),
    };
    let strategy = strategy(&a)?;
    if !(0.0..=5.0).contains(&a.temperature) {
        bail!("--temperature must be between 0 and 5, got {}", a.temperature);
    }
    let common = Common {
        seed: a.seed,
        temperature: a.temperature,
        aggregation: match a.aggregation {
            AggregationArg::Last => Aggregation::Last,
            AggregationArg::Min => Aggregation::Min,
            AggregationArg::Product => Aggregation::Product,
        },
        selection: match a.selection {
            SelectionArg::Majority => Selection::Majority,
            SelectionArg::Weighted => Selection::Weighted,
            SelectionArg::Max => Selection::Max,
        },
    };
    let verifier = match a.verifier {
        VerifierArg::Prm => Verifier::Prm,
        VerifierArg::Oracle => Verifier::Oracle,
    };
    let (device, backend) = models::init_backend(a.models.backend)?;
    let models = models::load(&a.models, &device)?;
    eprintln!("backend: {} ({})", backend.kind, backend.adapter);
    eprintln!("models:  {}", models::describe(&models));
    // Generated problems have the level asked for; typed ones get the task's estimate.
    let level = if a.problem.is_some() { task.level_of(&problem).get() } else { a.level };
    let level_text = match &a.problem {
        Some(_) => format!("estimated level {level}"),
        None => format!("level {level}, problem {} of seed {}", a.index, a.problem_seed),
    };
    eprintln!("problem: {}   ({level_text}; operations apply left to right)", task.display(&problem));
    eprintln!("strategy: {} costing {} generations", strategy.name(), strategy.cost());
    if let Strategy::ComputeOptimal(co) = &strategy {
        eprintln!("policy:  {}", co.policy.source);
    }

    let bar = ProgressBar::new(strategy.cost());
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} generations  {msg}").unwrap());
    let cancel = CancelToken::new();
    let stop = cancel.clone();
    ctrlc_cancel(stop);
    let mut tokens = 0u64;
    let mut finished = 0u64;
    let print_events = a.events;
    let mut sink = |e: Event| {
        if print_events {
            bar.suspend(|| println!("{}", serde_json::to_string(&e).unwrap_or_default()));
        }
        match &e {
            Event::Tokens { .. } => {
                tokens += 1;
                if tokens.is_multiple_of(64) {
                    bar.set_message(format!("{tokens} tokens, {finished} samples done"));
                    bar.tick();
                }
            }
            Event::SampleFinished { .. } => finished += 1,
            Event::DifficultyPredicted { mean_score, bin, picked } => bar.suspend(|| {
                let score = mean_score.map(|s| format!("{s:.3}")).unwrap_or_else(|| "none (budget < 4)".into());
                eprintln!("predicted difficulty: bin {bin} of 5 (mean final PRM score {score}) → {picked}");
            }),
            Event::ComputeSpent { compute } => {
                bar.set_position(compute.generations);
                bar.set_message(format!("{} tokens, {finished} samples done, {:.2e} FLOPs", compute.tokens_generated, compute.flops));
            }
            _ => {}
        }
    };
    let started = Instant::now();
    let drive = Drive { cancel, ..Drive::default() };
    let result = pollster::block_on(run_solve(&models, &problem, &strategy, common.clone(), verifier, drive, &mut sink));
    bar.finish_and_clear();
    let result = result?;
    let elapsed = started.elapsed().as_secs_f64();
    if a.json {
        let out = serde_json::json!({
            "problem": task.display(&problem),
            "expression": problem.expression(),
            "level": level,
            "backend": backend,
            "models": models::describe(&models),
            "model_sha256": models::hashes(&models),
            "strategy": strategy,
            "common": common,
            "verifier": verifier,
            "result": result,
            "wall_seconds": elapsed,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_human(&result, elapsed);
    }
    Ok(())
}

fn print_human(r: &RunResult, elapsed: f64) {
    let mut tally = r.tally.clone();
    tally.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    println!("answers (votes, summed verifier score):");
    for t in tally.iter().take(6) {
        println!("  {:>8}  {:>3} votes  {:7.3}", t.answer, t.votes, t.weight);
    }
    let no_answer = r.candidates.iter().filter(|c| c.answer.is_none()).count();
    if no_answer > 0 {
        println!("  ({no_answer} samples gave no answer)");
    }
    let chosen = r.chosen.as_deref().unwrap_or("none");
    println!("chosen: {chosen}   true: {}   {}", r.true_answer, if r.correct { "CORRECT" } else { "wrong" });
    let c = &r.compute;
    println!(
        "compute: {} generations, {} tokens generated, {} context tokens, {} tokens scored, {:.3e} FLOPs, {:.2}s",
        c.generations, c.tokens_generated, c.context_tokens, c.tokens_scored, c.flops, elapsed
    );
}

/// A token that Ctrl-C cancels (a second Ctrl-C exits at once).
pub fn ctrlc_cancel_token(message: &'static str) -> CancelToken {
    let cancel = CancelToken::new();
    let c = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if c.is_cancelled() {
            std::process::exit(130);
        }
        eprintln!("\n{message}…");
        c.cancel();
    });
    cancel
}

/// Ctrl-C cancels the run between decode steps; a second Ctrl-C exits at once.
fn ctrlc_cancel(cancel: CancelToken) {
    let _ = ctrlc::set_handler(move || {
        if cancel.is_cancelled() {
            std::process::exit(130);
        }
        eprintln!("\nstopping after the current decode step…");
        cancel.cancel();
    });
}
