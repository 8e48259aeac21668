//! `ponder solve`: one problem, one strategy, live progress and a result.

use crate::choices::choices;
use crate::host::ctrlc_cancel_token;
use crate::models::{self, ModelArgs};
use crate::weights_dir;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use engine::search::compute_optimal::Policy;
use engine::search::revisions::RevisionSelection;
use engine::search::{Aggregation, Common, Event, EventSink, Knobs, RunResult, Selection, Strategy, StrategyName, Verifier, bounds};
use engine::solve::{Drive, solve as run_solve};
use engine::backend::BackendInfo;
use engine::models::Models;
use engine::task::{ArithmeticChain, ChainProblem, Level, Task};
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
    /// Verifier: the trained PRM, the larger PRM (on the large model's body), or the exact
    /// checker (a perfect verifier).
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

pub fn solve(a: SolveArgs) -> Result<()> {
    let plan = plan(&a)?;
    let (device, backend) = models::init_backend(a.models.backend)?;
    let mut models = weights_dir::load_models(&a.models.models, a.models.init_seed, &device)?;
    if plan.verifier == Verifier::PrmLarge {
        weights_dir::load_large_verifier(&a.models.models, &mut models)?;
    }
    describe_run(&a, &plan, &backend, &models);
    let (result, elapsed) = run_with_progress(&models, &plan, a.events)?;
    if a.json {
        print_json(&plan, &backend, &models, &result, elapsed)
    } else {
        print_human(&result, elapsed);
        Ok(())
    }
}

/// What the flags ask for: the problem, and how to solve it.
struct Plan {
    problem: ChainProblem,
    level: u8,
    strategy: Strategy,
    common: Common,
    verifier: Verifier,
}

/// The flags checked and turned into a plan (before any model loads, so mistakes fail fast).
fn plan(a: &SolveArgs) -> Result<Plan> {
    let problem = problem(a)?;
    let strategy = strategy(a)?;
    let common = common(a)?;
    let level = level(a, &problem);
    Ok(Plan { problem, level, strategy, common, verifier: a.verifier })
}

/// The typed `--problem`, or the generated one the level, seed and index name.
fn problem(a: &SolveArgs) -> Result<ChainProblem> {
    Ok(match &a.problem {
        Some(text) => ArithmeticChain.parse(text).map_err(|e| anyhow::anyhow!("--problem {text:?}: {e}"))?,
        None => ArithmeticChain.generate(Level::new(a.level)?, a.problem_seed, a.index),
    })
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

/// The settings every strategy shares: seed, temperature, aggregation and selection.
fn common(a: &SolveArgs) -> Result<Common> {
    bounds::temperature(a.temperature).map_err(|e| anyhow::anyhow!("--temperature: {e}"))?;
    Ok(Common { seed: a.seed, temperature: a.temperature, aggregation: a.aggregation, selection: a.selection })
}

/// Generated problems have the level asked for; typed ones get the task's estimate.
fn level(a: &SolveArgs, problem: &ChainProblem) -> u8 {
    if a.problem.is_some() { ArithmeticChain.level_of(problem).get() } else { a.level }
}

/// What is about to run, on stderr (stdout is kept for the result).
fn describe_run(a: &SolveArgs, plan: &Plan, backend: &BackendInfo, models: &Models) {
    eprintln!("backend: {} ({})", backend.kind, backend.adapter);
    eprintln!("models:  {}", models::describe(models));
    let level = plan.level;
    let level_text = match &a.problem {
        Some(_) => format!("estimated level {level}"),
        None => format!("level {level}, problem {} of seed {}", a.index, a.problem_seed),
    };
    eprintln!("problem: {}   ({level_text}; operations apply left to right)", ArithmeticChain.display(&plan.problem));
    eprintln!("strategy: {} costing {} generations", plan.strategy.name(), plan.strategy.cost());
    if let Strategy::ComputeOptimal(co) = &plan.strategy {
        eprintln!("policy:  {}", co.policy.source);
    }
}

/// Runs the plan under a progress bar that Ctrl-C stops; the result and its wall seconds.
fn run_with_progress(models: &Models, plan: &Plan, print_events: bool) -> Result<(RunResult, f64)> {
    let bar = ProgressBar::new(plan.strategy.cost());
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} generations  {msg}").unwrap());
    let cancel = ctrlc_cancel_token("stopping after the current decode step");
    let mut progress = Progress { bar: &bar, print_events, tokens: 0, finished: 0 };
    let started = Instant::now();
    let drive = Drive { cancel, ..Drive::default() };
    let result = pollster::block_on(run_solve(models, &plan.problem, &plan.strategy, plan.common.clone(), plan.verifier, drive, &mut progress));
    bar.finish_and_clear();
    let result = result?;
    Ok((result, started.elapsed().as_secs_f64()))
}

/// The live view of a run's events: counts on the bar, the predicted difficulty as a line,
/// and (with `--events`) every event as a JSON line on stdout.
struct Progress<'a> {
    bar: &'a ProgressBar,
    print_events: bool,
    tokens: u64,
    finished: u64,
}

impl EventSink for Progress<'_> {
    fn emit(&mut self, e: Event) {
        let bar = self.bar;
        if self.print_events {
            bar.suspend(|| println!("{}", serde_json::to_string(&e).unwrap_or_default()));
        }
        match &e {
            Event::Tokens { .. } => {
                self.tokens += 1;
                if self.tokens.is_multiple_of(64) {
                    bar.set_message(format!("{} tokens, {} samples done", self.tokens, self.finished));
                    bar.tick();
                }
            }
            Event::SampleFinished { .. } => self.finished += 1,
            Event::DifficultyPredicted { mean_score, bin, picked } => bar.suspend(|| {
                let score = mean_score.map(|s| format!("{s:.3}")).unwrap_or_else(|| "none (budget < 4)".into());
                eprintln!("predicted difficulty: bin {bin} of 5 (mean final PRM score {score}) → {picked}");
            }),
            Event::ComputeSpent { compute } => {
                bar.set_position(compute.generations);
                bar.set_message(format!("{} tokens, {} samples done, {:.2e} FLOPs", compute.tokens_generated, self.finished, compute.flops));
            }
            _ => {}
        }
    }
}

/// The run and its result as one JSON document, naming the weights it ran on.
fn print_json(plan: &Plan, backend: &BackendInfo, models: &Models, result: &RunResult, elapsed: f64) -> Result<()> {
    let out = serde_json::json!({
        "problem": ArithmeticChain.display(&plan.problem),
        "expression": plan.problem.expression(),
        "level": plan.level,
        "backend": backend,
        "models": models::describe(models),
        "model_sha256": models::hashes(models),
        "strategy": plan.strategy,
        "common": plan.common,
        "verifier": plan.verifier,
        "result": result,
        "wall_seconds": elapsed,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
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
