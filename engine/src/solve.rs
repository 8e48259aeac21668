//! One entry point for running any strategy on real models.

use crate::infer::{CancelToken, DecodeLimits, Decoder, Pause, PrmScorer};
use crate::models::Models;
use crate::search::beam::BeamSearch;
use crate::search::best_of_n::BestOfN;
use crate::search::compute_optimal::ComputeOptimal;
use crate::search::dvts::Dvts;
use crate::search::lookahead::LookaheadSearch;
use crate::search::revisions::{RevisionSelection, Revisions};
use crate::search::{Common, Compute, Event, EventSink, MAX_BUDGET, OracleScorer, Run, RunResult, SearchError, Selection, select};
use crate::task::{ArithmeticChain, ChainProblem, Task};
use serde::{Deserialize, Serialize};

/// A strategy with its knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub enum Strategy {
    BestOfN(BestOfN),
    Beam(BeamSearch),
    Lookahead(LookaheadSearch),
    Dvts(Dvts),
    Revisions(Revisions),
    /// Picks one of the above per predicted difficulty (needs both the generator and the
    /// revision model, so it lives here rather than among the single-model strategies).
    ComputeOptimal(ComputeOptimal),
}

impl Strategy {
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::BestOfN(_) => "best_of_n",
            Strategy::Beam(_) => "beam",
            Strategy::Lookahead(_) => "lookahead",
            Strategy::Dvts(_) => "dvts",
            Strategy::Revisions(_) => "revisions",
            Strategy::ComputeOptimal(_) => "compute_optimal",
        }
    }
    /// Rows the generator decodes side by side: what decides which backend runs it fastest.
    pub fn rows(&self) -> usize {
        match self {
            Strategy::BestOfN(s) => s.n,
            Strategy::Beam(s) => s.n,
            Strategy::Lookahead(s) => s.beam.n,
            Strategy::Dvts(s) => s.n,
            Strategy::Revisions(s) => s.chains,
            Strategy::ComputeOptimal(s) => s.budget,
        }
    }

    /// Generations charged, in the study's accounting.
    pub fn cost(&self) -> u64 {
        match self {
            Strategy::BestOfN(s) => s.cost(),
            Strategy::Beam(s) => s.cost(),
            Strategy::Lookahead(s) => s.cost(),
            Strategy::Dvts(s) => s.cost(),
            Strategy::Revisions(s) => s.cost(),
            Strategy::ComputeOptimal(s) => s.cost(),
        }
    }
    pub fn validate(&self) -> Result<(), SearchError> {
        match self {
            Strategy::BestOfN(s) => s.validate(),
            Strategy::Beam(s) => s.validate(),
            Strategy::Lookahead(s) => s.validate(),
            Strategy::Dvts(s) => s.validate(),
            Strategy::Revisions(s) => s.validate(),
            Strategy::ComputeOptimal(s) => s.validate(),
        }
    }
}

/// The strategies by name, as people pick them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    BestOfN,
    Beam,
    Lookahead,
    Dvts,
    Revisions,
    ComputeOptimal,
}

/// Every strategy's knobs in one place; [`Knobs::strategy`] validates them for one strategy
/// with errors that say what is allowed (the CLI and the web app share them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Knobs {
    /// Compute budget in generations.
    pub budget: usize,
    /// Beam width M (beam, lookahead, DVTS).
    pub width: usize,
    /// Lookahead steps k.
    pub lookahead: usize,
    /// Most search rounds (steps) for beam, lookahead and DVTS.
    pub max_rounds: usize,
    /// Revision chains C; each chain gets budget / C attempts.
    pub chains: usize,
    pub revision_selection: RevisionSelection,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs { budget: 16, width: 4, lookahead: 1, max_rounds: 40, chains: 1, revision_selection: RevisionSelection::Hierarchical }
    }
}

/// Longest lookahead (greedy rollout steps).
pub const MAX_LOOKAHEAD: usize = 8;

impl Knobs {
    pub fn strategy(&self, name: StrategyName) -> Result<Strategy, SearchError> {
        let bad = |m: String| Err(SearchError::Config(m));
        if self.budget == 0 || self.budget > MAX_BUDGET {
            return bad(format!("the budget must be 1 to {MAX_BUDGET} generations, got {}", self.budget));
        }
        if self.width == 0 {
            return bad("the beam width M must be at least 1".into());
        }
        if !(1..=100).contains(&self.max_rounds) {
            return bad(format!("max rounds must be 1 to 100, got {}", self.max_rounds));
        }
        let s = match name {
            StrategyName::BestOfN => Strategy::BestOfN(BestOfN { n: self.budget }),
            StrategyName::Beam => Strategy::Beam(BeamSearch { n: self.budget, width: self.width, max_rounds: self.max_rounds }),
            StrategyName::Dvts => Strategy::Dvts(Dvts { n: self.budget, width: self.width, max_rounds: self.max_rounds }),
            StrategyName::Lookahead => {
                if self.lookahead == 0 || self.lookahead > MAX_LOOKAHEAD {
                    return bad(format!("lookahead must be 1 to {MAX_LOOKAHEAD} steps, got {}", self.lookahead));
                }
                let n = self.budget / (self.lookahead + 1);
                if n == 0 {
                    return bad(format!(
                        "a budget of {} cannot pay for lookahead k={}: it needs at least k+1 = {} generations",
                        self.budget,
                        self.lookahead,
                        self.lookahead + 1
                    ));
                }
                Strategy::Lookahead(LookaheadSearch { beam: BeamSearch { n, width: self.width, max_rounds: self.max_rounds }, k: self.lookahead })
            }
            StrategyName::Revisions => {
                if self.chains == 0 || !self.budget.is_multiple_of(self.chains) {
                    return bad(format!("the chains must divide the budget: {} generations cannot be split into {} chains", self.budget, self.chains));
                }
                Strategy::Revisions(Revisions { chains: self.chains, length: self.budget / self.chains, selection: self.revision_selection })
            }
            StrategyName::ComputeOptimal => Strategy::ComputeOptimal(ComputeOptimal { budget: self.budget, policy: Default::default() }),
        };
        s.validate()?;
        Ok(s)
    }
}

/// Which verifier scores steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verifier {
    /// The trained process reward model.
    Prm,
    /// The exact checker: what a perfect verifier would buy.
    Oracle,
}

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
    if !(0.0..=5.0).contains(&common.temperature) {
        return Err(SearchError::Config(format!("temperature {} is outside 0..=5", common.temperature)));
    }
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
        (Strategy::BestOfN(_), Some(s)) if pooled => format!("best-of-N N={} ({}; the probe's {probe} samples among them)", co.budget, vote_name(s)),
        (Strategy::BestOfN(b), Some(s)) => format!("best-of-N N={} ({})", b.n, vote_name(s)),
        _ => describe(&picked),
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

fn vote_name(s: Selection) -> &'static str {
    match s {
        Selection::Majority => "majority vote",
        Selection::Weighted => "weighted vote",
        Selection::Max => "best-scored sample",
    }
}

/// A strategy in a few words, e.g. "beam search N=12 M=4".
pub fn describe(s: &Strategy) -> String {
    match s {
        Strategy::BestOfN(b) => format!("best-of-N N={}", b.n),
        Strategy::Beam(b) => format!("beam search N={} M={}", b.n, b.width),
        Strategy::Lookahead(l) => format!("lookahead N={} M={} k={}", l.beam.n, l.beam.width, l.k),
        Strategy::Dvts(d) => format!("DVTS N={} M={}", d.n, d.width),
        Strategy::Revisions(r) => format!("revisions {} chain{} × {}", r.chains, if r.chains == 1 { "" } else { "s" }, r.length),
        Strategy::ComputeOptimal(c) => format!("compute-optimal budget {}", c.budget),
    }
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
        Verifier::Oracle => with_scorer!(OracleScorer::new(&task, problem)),
    }
}
