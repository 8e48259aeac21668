//! `ponder solve`: one problem, one strategy, live progress and a result.

use crate::choices::choices;
use crate::host::ctrlc_cancel_token;
use crate::models::{self, ModelArgs};
use crate::weights_dir;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use engine::search::compute_optimal::Policy;
use engine::search::revisions::RevisionSelection;
use engine::search::{Aggregation, Common, Event, Knobs, RunResult, Selection, Strategy, StrategyName, Verifier, bounds};
use engine::solve::{Drive, solve as run_solve};
use engine::task::{ArithmeticChain, Level, Task};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

/// Which compute-optimal policy picks the configuration per predicted bin.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolicyArg {
    /// What `ponder experiment` measured on Ponder's models (results/study/policy.json).
    Measured,
    /// The study's findings: revisions on easy problems, beam search on hard ones.
    Findings,
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
    #[arg(long, default_value = "best-of-n", value_parser = choices::<StrategyName>())]
    pub strategy: StrategyName,
    /// Compute budget in generations (1-1024). Lookahead spends N·(k+1) of it.
    #[arg(long, default_value_t = 16)]
    pub budget: usize,
    /// Seed of the run's sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Sampling temperature (0 = greedy, at most 5).
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f32,
    #[arg(long, default_value = "weighted", value_parser = choices::<Selection>())]
    pub selection: Selection,
    /// How a solution's step scores combine.
    #[arg(long, default_value = "last", value_parser = choices::<Aggregation>())]
    pub aggregation: Aggregation,
    /// Beam width M (beam, lookahead, dvts); defaults to 4.
    #[arg(long, default_value_t = bounds::DEFAULT_WIDTH)]
    pub width: usize,
    /// Lookahead steps k.
    #[arg(long, default_value_t = 1)]
    pub lookahead: usize,
    /// Most search rounds (steps) for beam, lookahead and dvts.
    #[arg(long, default_value_t = bounds::DEFAULT_ROUNDS)]
    pub max_rounds: usize,
    /// Revision chains C; each chain gets budget/C attempts.
    #[arg(long, default_value_t = 1)]
    pub chains: usize,
    #[arg(long, default_value = "hierarchical", value_parser = choices::<RevisionSelection>())]
    pub revision_selection: RevisionSelection,
    /// Verifier: the trained PRM, or the exact checker (a perfect verifier).
    #[arg(long, default_value = "prm", value_parser = choices::<Verifier>())]
    pub verifier: Verifier,
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
    bounds::budget(a.budget).map_err(|e| anyhow::anyhow!("--budget: {e}"))?;
    let knobs = Knobs { budget: a.budget, width: a.width, lookahead: a.lookahead, max_rounds: a.max_rounds, chains: a.chains, revision_selection: a.revision_selection };
    let name = a.strategy;
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
    bounds::temperature(a.temperature).map_err(|e| anyhow::anyhow!("--temperature: {e}"))?;
    let common = Common { seed: a.seed, temperature: a.temperature, aggregation: a.aggregation, selection: a.selection };
    let verifier = a.verifier;
    let (device, backend) = models::init_backend(a.models.backend)?;
    let models = weights_dir::load_models(&a.models.models, a.models.init_seed, &device)?;
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
    let cancel = ctrlc_cancel_token("stopping after the current decode step");
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
