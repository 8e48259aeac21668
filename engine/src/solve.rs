//! One entry point for running any strategy on real models.

use crate::infer::{CancelToken, DecodeLimits, Decoder, Pause, PrmScorer};
use crate::models::Models;
use crate::search::best_of_n::BestOfN;
use crate::search::compute_optimal::ComputeOptimal;
use crate::search::{Common, Compute, Event, EventSink, OracleScorer, Run, RunResult, SearchError, Strategy, Verifier, bounds, select};
use crate::task::{ArithmeticChain, ChainProblem, Task};

/// How a run is driven: decode limits, cancellation, and an optional pause between decode
/// steps (the browser's main thread needs one).
#[derive(Clone, Default)]
pub struct Drive {
    pub limits: DecodeLimits,
    pub cancel: CancelToken,
    pub pause: Option<Pause>,
}

/// Runs `strategy` on `problem` with `models`, streaming events to `sink`.
pub async fn solve(
    models: &Models,
    problem: &ChainProblem,
    strategy: &Strategy,
    common: Common,
    verifier: Verifier,
    drive: Drive,
    sink: &mut dyn EventSink,
) -> Result<RunResult, SearchError> {
    strategy.validate()?;
    bounds::temperature(common.temperature)?;
    sink.emit(Event::RunStarted { strategy: strategy.name().into(), budget: strategy.cost() });
    match strategy {
        Strategy::ComputeOptimal(co) => compute_optimal(models, problem, co, common, verifier, &drive, sink).await,
        _ => run_one(models, problem, strategy, common, verifier, &drive, 0, sink).await,
    }
}

/// The probe, the prediction, then the picked configuration with the budget left. The second
/// phase's samples are numbered after the probe's (so they draw fresh randomness) and its
/// compute counts on top of the probe's. Where the pick is best-of-N, the probe's samples are
/// among its N and the vote is over all of them.
async fn compute_optimal(
    models: &Models,
    problem: &ChainProblem,
    co: &ComputeOptimal,
    common: Common,
    verifier: Verifier,
    drive: &Drive,
    sink: &mut dyn EventSink,
) -> Result<RunResult, SearchError> {
    let probe = co.probe();
    let probed = if probe > 0 {
        // The probe's own pick is not the run's answer: keep its vote off the stream.
        let mut probe_sink = |e: Event| {
            if !matches!(e, Event::AnswerChosen { .. }) {
                sink.emit(e)
            }
        };
        Some(run_one(models, problem, &Strategy::BestOfN(BestOfN { n: probe }), common.clone(), verifier, drive, 0, &mut probe_sink).await?)
    } else {
        None
    };
    let mean = probed.as_ref().map(|r| {
        let finals: Vec<f32> = r.candidates.iter().map(|c| c.step_scores.last().copied().unwrap_or(0.0)).collect();
        finals.iter().sum::<f32>() / finals.len().max(1) as f32
    });
    let spent = probed.as_ref().map(|r| r.compute).unwrap_or_default();
    let bin = co.bin_of(mean);
    let (picked, selection) = ComputeOptimal::strategy_for(co.config_for(bin), co.budget - probe);
    let mut common = common;
    if let Some(s) = selection {
        common.selection = s;
    }
    let pooled = matches!(picked, Strategy::BestOfN(_)) && probed.is_some();
    let described = match (&picked, selection) {
        (Strategy::BestOfN(_), Some(s)) if pooled => format!("best-of-N N={} ({}; the probe's {probe} samples among them)", co.budget, s.vote_name()),
        (Strategy::BestOfN(b), Some(s)) => format!("best-of-N N={} ({})", b.n, s.vote_name()),
        _ => picked.describe(),
    };
    sink.emit(Event::DifficultyPredicted { mean_score: mean, bin, picked: described.clone() });
    let mut second = Continued { inner: sink, compute: spent, hold_answer: pooled };
    let mut result = run_one(models, problem, &picked, common.clone(), verifier, drive, probe, &mut second).await?;
    result.strategy = format!("compute_optimal: {described}");
    result.compute = add(spent, result.compute);
    if let Some(first) = probed.filter(|_| pooled) {
        let mut all = first.candidates;
        all.append(&mut result.candidates);
        let (chosen, tally) = select(&all, common.selection);
        result.correct = chosen.as_deref() == Some(result.true_answer.as_str());
        sink.emit(Event::AnswerChosen { answer: chosen.clone(), correct: result.correct, tally: tally.clone() });
        (result.chosen, result.tally, result.candidates) = (chosen, tally, all);
    }
    Ok(result)
}

fn add(a: Compute, b: Compute) -> Compute {
    Compute {
        generations: a.generations + b.generations,
        tokens_generated: a.tokens_generated + b.tokens_generated,
        context_tokens: a.context_tokens + b.context_tokens,
        tokens_scored: a.tokens_scored + b.tokens_scored,
        flops: a.flops + b.flops,
    }
}

/// A later phase's events: its compute counts on top of an earlier phase's, and its own
/// answer is held back where the caller votes over both phases.
struct Continued<'a> {
    inner: &'a mut dyn EventSink,
    compute: Compute,
    hold_answer: bool,
}

impl EventSink for Continued<'_> {
    fn emit(&mut self, mut event: Event) {
        match &mut event {
            Event::ComputeSpent { compute } => *compute = add(self.compute, *compute),
            Event::AnswerChosen { .. } if self.hold_answer => return,
            _ => {}
        }
        self.inner.emit(event)
    }
}

/// One single-model strategy, without the start event; its samples are numbered from
/// `first_sample` (a later phase of compute-optimal).
#[allow(clippy::too_many_arguments)]
async fn run_one(
    models: &Models,
    problem: &ChainProblem,
    strategy: &Strategy,
    common: Common,
    verifier: Verifier,
    drive: &Drive,
    first_sample: usize,
    sink: &mut dyn EventSink,
) -> Result<RunResult, SearchError> {
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let mut run = Run::new(&task, problem, common, sink, drive.cancel.clone()).numbered_from(first_sample);
    let (lm, config) = match strategy {
        Strategy::Revisions(_) => (&models.revision.0, &models.revision.1),
        _ => (&models.generator.0, &models.generator.1),
    };
    let mut generator = Decoder::new(lm, config, &tokenizer, &models.device, drive.limits, drive.cancel.clone()).with_pause(drive.pause.clone());
    macro_rules! with_scorer {
        ($scorer:expr) => {{
            let mut scorer = $scorer;
            match strategy {
                Strategy::BestOfN(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::Beam(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::Lookahead(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::Dvts(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::Revisions(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::ComputeOptimal(_) => Err(SearchError::Config("compute-optimal cannot nest".into())),
            }
        }};
    }
    match verifier {
        Verifier::Prm => with_scorer!(PrmScorer::new(&models.prm.0, &models.prm.1, &tokenizer, &models.device).with_drive(drive.cancel.clone(), drive.pause.clone())),
        Verifier::PrmLarge => {
            let (prm, config) = models.prm_large.as_ref().ok_or_else(|| SearchError::Config("the larger verifier (prm_large) is not loaded".into()))?;
            with_scorer!(PrmScorer::new(prm, config, &tokenizer, &models.device).with_drive(drive.cancel.clone(), drive.pause.clone()))
        }
        Verifier::Oracle => with_scorer!(OracleScorer::new(&task, problem)),
    }
}
