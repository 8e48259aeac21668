//! Test-time search strategies, one per file, over any [`Generator`] and [`Scorer`]: real
//! models in the engine, scripted ones in tests. Every run streams typed [`Event`]s to a sink
//! and accounts its compute.

pub mod beam;
pub mod best_of_n;
pub mod bounds;
pub mod compute_optimal;
pub mod dvts;
pub mod lookahead;
pub mod oracle;
mod recipe;
pub mod revisions;
mod selection;
mod strategy;
mod tree;

pub use oracle::OracleScorer;
pub use recipe::{Family, Recipe, Width};
pub use selection::{Aggregation, Selection, TallyEntry, aggregate, select};
pub use strategy::{Knobs, Strategy, StrategyName, Verifier};

use crate::infer::{CancelToken, DecodeStats, Generator, InferError, ScoreItem, Scorer};
use crate::task::arithmetic::derive_seed;
use crate::task::{Task, Token, Tokenizer};
use serde::{Deserialize, Serialize};

/// Compute spent by a run. Generations follow the study's accounting (best-of-N and beam
/// search with N beams cost N, lookahead N·(k+1), C×L revisions C·L); FLOPs are
/// 2 × parameters per token run through a model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Compute {
    pub generations: u64,
    pub tokens_generated: u64,
    /// Context tokens (problem, earlier attempts) run through the generator.
    pub context_tokens: u64,
    pub tokens_scored: u64,
    pub flops: f64,
}

/// What a strategy run reports as it goes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted { strategy: String, budget: u64 },
    /// A new sample (a whole answer, a beam, or an attempt of a revision chain).
    SampleStarted { sample: usize, parent: Option<usize> },
    /// Text appended to a sample.
    Tokens { sample: usize, text: String },
    /// The verifier scored step `step` of a sample; `correct` is the exact checker's verdict
    /// (step right and every earlier step right).
    StepScored { sample: usize, step: usize, score: f32, correct: bool },
    /// A beam was dropped by the search.
    BeamPruned { sample: usize, round: usize },
    /// Attempt `attempt` of revision chain `chain` begins as `sample`.
    RevisionStarted { chain: usize, attempt: usize, sample: usize },
    SampleFinished { sample: usize, answer: Option<String>, score: f32, correct: bool },
    AnswerChosen { answer: Option<String>, correct: bool, tally: Vec<TallyEntry> },
    /// The compute-optimal policy predicted the difficulty bin (1 easiest) from the verifier's
    /// mean final score over its probe samples, and picked a strategy for the rest.
    DifficultyPredicted { mean_score: Option<f32>, bin: usize, picked: String },
    ComputeSpent { compute: Compute },
}

/// Receives a run's events.
pub trait EventSink {
    fn emit(&mut self, event: Event);
}

impl<F: FnMut(Event)> EventSink for F {
    fn emit(&mut self, event: Event) {
        self(event)
    }
}

/// A sink that drops everything.
pub struct NoEvents;
impl EventSink for NoEvents {
    fn emit(&mut self, _: Event) {}
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Infer(#[from] InferError),
    #[error("invalid strategy settings: {0}")]
    Config(String),
}

/// One finished (or cut-off) solution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub sample: usize,
    pub text: String,
    pub answer: Option<String>,
    pub step_scores: Vec<f32>,
    /// The step scores aggregated (last, min or product).
    pub score: f32,
    pub correct: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub strategy: String,
    pub chosen: Option<String>,
    pub true_answer: String,
    pub correct: bool,
    pub tally: Vec<TallyEntry>,
    pub candidates: Vec<Candidate>,
    pub compute: Compute,
}

/// The temperature the strategies sample at (and evaluation, training data and the study).
pub const SAMPLING_TEMPERATURE: f32 = 0.8;

/// Settings every strategy shares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Common {
    pub seed: u64,
    pub temperature: f32,
    pub aggregation: Aggregation,
    pub selection: Selection,
}

impl Default for Common {
    fn default() -> Self {
        Common { seed: 0, temperature: SAMPLING_TEMPERATURE, aggregation: Aggregation::Last, selection: Selection::Weighted }
    }
}

/// The state of one run: the problem, the sink, compute counters and sample numbering.
pub struct Run<'a, T: Task> {
    pub task: &'a T,
    pub problem: &'a T::Problem,
    pub tokenizer: Tokenizer,
    pub common: Common,
    pub sink: &'a mut dyn EventSink,
    pub cancel: CancelToken,
    next_sample: usize,
    /// Generations accounted so far.
    generations: u64,
}

impl<'a, T: Task> Run<'a, T> {
    pub fn new(task: &'a T, problem: &'a T::Problem, common: Common, sink: &'a mut dyn EventSink, cancel: CancelToken) -> Self {
        Run { task, problem, tokenizer: task.tokenizer(), common, sink, cancel, next_sample: 0, generations: 0 }
    }

    /// Numbers this run's samples from `first` (a later phase of a run, with fresh seeds).
    pub fn numbered_from(mut self, first: usize) -> Self {
        self.next_sample = first;
        self
    }

    /// Start token and problem: what the generator and the verifier both see first.
    pub fn prompt_tokens(&self) -> Vec<Token> {
        self.task.prompt_tokens(self.problem)
    }

    /// Numbers a new sample and announces it.
    pub fn new_sample(&mut self, parent: Option<usize>) -> usize {
        let id = self.next_sample;
        self.next_sample += 1;
        self.sink.emit(Event::SampleStarted { sample: id, parent });
        id
    }

    /// A seed for sample `sample`'s randomness, fixed by the run's seed.
    pub fn seed_for(&self, sample: usize, salt: u64) -> u64 {
        derive_seed(&[self.common.seed, sample as u64, salt])
    }

    pub fn text(&self, tokens: &[Token]) -> String {
        tokens.iter().filter_map(|&t| self.tokenizer.char_of(t)).collect()
    }

    /// Extends rows, streaming their tokens as events of the samples `ids[row]`.
    pub async fn extend<G: Generator>(&mut self, generator: &mut G, ids: &[usize], stop: crate::infer::StopAt, temperature: f32) -> Result<(), SearchError> {
        self.cancel.check()?;
        let tokenizer = self.tokenizer.clone();
        let sink = &mut *self.sink;
        generator
            .extend(stop, temperature, None, &mut |row, token| {
                if let Some(ch) = tokenizer.char_of(token) {
                    sink.emit(Event::Tokens { sample: ids[row], text: ch.to_string() });
                }
            })
            .await?;
        Ok(())
    }

    /// Scores the generated part of rows with the verifier and reports every step score.
    pub async fn score<S: Scorer>(&mut self, scorer: &mut S, ids: &[usize], solutions: &[Vec<Token>]) -> Result<Vec<Vec<f32>>, SearchError> {
        self.cancel.check()?;
        let context = self.prompt_tokens();
        let items: Vec<ScoreItem> = solutions.iter().map(|s| ScoreItem { context: context.clone(), solution: s.clone() }).collect();
        let scores = scorer.score(&items).await?;
        for ((&sample, solution), steps) in ids.iter().zip(solutions).zip(&scores) {
            let grades = oracle::step_verdicts(self.task, self.problem, &self.text(solution), steps.len());
            for (step, (&score, &correct)) in steps.iter().zip(&grades).enumerate() {
                self.sink.emit(Event::StepScored { sample, step, score, correct });
            }
        }
        Ok(scores)
    }

    /// A candidate from a sample's generated tokens and step scores; reports it finished.
    pub fn candidate(&mut self, sample: usize, solution: &[Token], step_scores: Vec<f32>) -> Candidate {
        let text = self.text(solution);
        let answer = self.task.answer_of(&text);
        let correct = answer.as_deref() == Some(self.task.true_answer(self.problem).as_str());
        let score = aggregate(&step_scores, self.common.aggregation);
        self.sink.emit(Event::SampleFinished { sample, answer: answer.clone(), score, correct });
        Candidate { sample, text, answer, step_scores, score, correct }
    }

    /// Adds `generations` to the run's count and reports the compute spent so far.
    pub fn report_compute(&mut self, generations: u64, generators: &[(DecodeStats, usize)], scorer: (u64, usize)) -> Compute {
        self.generations += generations;
        let mut c = Compute { generations: self.generations, ..Compute::default() };
        for (stats, params) in generators {
            c.tokens_generated += stats.tokens_generated;
            c.context_tokens += stats.tokens_prefilled;
            c.flops += 2.0 * *params as f64 * (stats.tokens_generated + stats.tokens_prefilled) as f64;
        }
        c.tokens_scored = scorer.0;
        c.flops += 2.0 * scorer.1 as f64 * scorer.0 as f64;
        self.sink.emit(Event::ComputeSpent { compute: c });
        c
    }

    /// Chooses the answer among `candidates` and reports it.
    pub fn finish(&mut self, strategy: &str, selection: Selection, candidates: Vec<Candidate>, compute: Compute) -> RunResult {
        let (chosen, tally) = select(&candidates, selection);
        let true_answer = self.task.true_answer(self.problem);
        let correct = chosen.as_deref() == Some(true_answer.as_str());
        self.sink.emit(Event::AnswerChosen { answer: chosen.clone(), correct, tally: tally.clone() });
        RunResult { strategy: strategy.into(), chosen, true_answer, correct, tally, candidates, compute }
    }
}

pub(crate) fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), SearchError> {
    if condition { Ok(()) } else { Err(SearchError::Config(message())) }
}
