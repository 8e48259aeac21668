//! One entry point for running any strategy on real models.

use crate::infer::{CancelToken, DecodeLimits, Decoder, PrmScorer};
use crate::models::Models;
use crate::search::beam::BeamSearch;
use crate::search::best_of_n::BestOfN;
use crate::search::dvts::Dvts;
use crate::search::lookahead::LookaheadSearch;
use crate::search::revisions::Revisions;
use crate::search::{Common, EventSink, OracleScorer, Run, RunResult, SearchError};
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
}

impl Strategy {
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::BestOfN(_) => "best_of_n",
            Strategy::Beam(_) => "beam",
            Strategy::Lookahead(_) => "lookahead",
            Strategy::Dvts(_) => "dvts",
            Strategy::Revisions(_) => "revisions",
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
        }
    }
    pub fn validate(&self) -> Result<(), SearchError> {
        match self {
            Strategy::BestOfN(s) => s.validate(),
            Strategy::Beam(s) => s.validate(),
            Strategy::Lookahead(s) => s.validate(),
            Strategy::Dvts(s) => s.validate(),
            Strategy::Revisions(s) => s.validate(),
        }
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

/// Runs `strategy` on `problem` with `models`, streaming events to `sink`.
#[allow(clippy::too_many_arguments)]
pub async fn solve(
    models: &Models,
    problem: &ChainProblem,
    strategy: &Strategy,
    common: Common,
    verifier: Verifier,
    limits: DecodeLimits,
    sink: &mut dyn EventSink,
    cancel: CancelToken,
) -> Result<RunResult, SearchError> {
    strategy.validate()?;
    if !(0.0..=5.0).contains(&common.temperature) {
        return Err(SearchError::Config(format!("temperature {} is outside 0..=5", common.temperature)));
    }
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    sink.emit(crate::search::Event::RunStarted { strategy: strategy.name().into(), budget: strategy.cost() });
    let mut run = Run::new(&task, problem, common, sink, cancel.clone());
    let (lm, config) = match strategy {
        Strategy::Revisions(_) => (&models.revision.0, &models.revision.1),
        _ => (&models.generator.0, &models.generator.1),
    };
    let mut generator = Decoder::new(lm, config, &tokenizer, &models.device, limits, cancel);
    macro_rules! with_scorer {
        ($scorer:expr) => {{
            let mut scorer = $scorer;
            match strategy {
                Strategy::BestOfN(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::Beam(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::Lookahead(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::Dvts(s) => s.run(&mut run, &mut generator, &mut scorer).await,
                Strategy::Revisions(s) => s.run(&mut run, &mut generator, &mut scorer).await,
            }
        }};
    }
    match verifier {
        Verifier::Prm => with_scorer!(PrmScorer::new(&models.prm.0, &models.prm.1, &tokenizer, &models.device)),
        Verifier::Oracle => with_scorer!(OracleScorer::new(&task, problem)),
    }
}
