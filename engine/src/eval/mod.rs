//! Evaluation of the trained models on held-out problems: sampled and greedy pass@1 per
//! level, the larger model's greedy pass@1, the PRM's step-level AUROC, the revision model's
//! gain over its first attempt, and best-of-16 selection (majority and PRM-weighted).

mod auroc;
mod generate;
pub mod typed;

pub use auroc::{auroc, within_problem_auroc};
pub use generate::{GENERATION_BATCH, generate_all};

use crate::infer::{CancelToken, DecodeLimits, Decoder, InferError, PrmScorer, Row, RowStart, ScoreItem, Scorer};
use crate::model::{LanguageModel, ModelConfig, RewardModel};
use crate::search::revisions::Revisions;
use crate::search::beam::BeamSearch;
use crate::search::bounds::{DEFAULT_ROUNDS, DEFAULT_WIDTH};
use crate::search::{Candidate, Common, NoEvents, Run, SearchError, Selection, select};
use crate::task::arithmetic::derive_seed;
use crate::search::SAMPLING_TEMPERATURE;
use crate::study::interval::{Estimate, difference};
use crate::task::heldout::{HELDOUT_PER_LEVEL, heldout_by_level};
use crate::task::{ArithmeticChain, ChainProblem, Level, StepGrade, Task, Token, Tokenizer};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// How many problems and samples an evaluation draws.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalSize {
    pub problems_per_level: usize,
    /// Problems per level for the greedy pass@1 of the generator and the larger model: one
    /// deterministic decode each, so cheap enough to use every held-out problem; 24 or 100
    /// problems cannot tell apart two models whose greedy accuracies differ by a few points.
    #[serde(default)]
    pub greedy_problems_per_level: usize,
    /// Samples per problem for pass@1, the PRM's AUROC and best-of-N selection.
    pub samples_per_problem: usize,
    /// Revision chains per problem (each of 5 attempts).
    pub revision_chains: usize,
    pub seed: u64,
}

impl EvalSize {
    pub fn full() -> Self {
        EvalSize { problems_per_level: 100, greedy_problems_per_level: HELDOUT_PER_LEVEL, samples_per_problem: 16, revision_chains: 4, seed: 7 }
    }
    pub fn quick() -> Self {
        EvalSize { problems_per_level: 24, greedy_problems_per_level: HELDOUT_PER_LEVEL, samples_per_problem: 16, revision_chains: 2, seed: 7 }
    }
}

/// The models an evaluation reads; missing ones skip their section.
pub struct EvalModels<'a> {
    pub generator: (&'a LanguageModel, &'a ModelConfig),
    pub large: Option<(&'a LanguageModel, &'a ModelConfig)>,
    pub prm: Option<(&'a RewardModel, &'a ModelConfig)>,
    pub prm_hard: Option<(&'a RewardModel, &'a ModelConfig)>,
    /// The larger verifier, on the large model's body.
    pub prm_large: Option<(&'a RewardModel, &'a ModelConfig)>,
    pub revision: Option<(&'a LanguageModel, &'a ModelConfig)>,
}

pub type PerLevel = BTreeMap<String, f64>;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorEval {
    pub pass_at_1: PerLevel,
    pub greedy: PerLevel,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LargeEval {
    pub params_ratio: f64,
    pub greedy: PerLevel,
    /// Per level, the problems only one of the two models solves greedily: where the accuracies
    /// differ, this says by how many problems and whether the difference is one-sided.
    pub against_generator: BTreeMap<String, GreedyDisagreement>,
}

/// Problems of one level that exactly one of two greedy decoders solves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GreedyDisagreement {
    pub problems: usize,
    pub only_large: usize,
    pub only_generator: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrmEval {
    /// Soft (Monte-Carlo) labels, the shipped PRM.
    pub auroc: f64,
    /// The variant trained on the exact checker's hard labels.
    pub auroc_hard_labels: Option<f64>,
    /// What selection needs: the final score of a right sample against a wrong sample of the
    /// same problem (pairs pooled over the problems that have both; 0.5 = no better than chance).
    /// The pooled step AUROC above also rewards telling easy problems from hard ones.
    pub auroc_within_problem: Option<f64>,
    pub auroc_within_problem_hard_labels: Option<f64>,
    pub steps_scored: usize,
    pub correct_steps: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RevisionEval {
    /// Pass@1 of the first attempt, levels 1–3.
    pub first: f64,
    /// Pass@1 of the attempt after 4 revisions (the 5th), levels 1–3.
    pub after_4: f64,
    pub by_attempt: Vec<f64>,
    /// Of the right attempts that were revised, the share whose next attempt is wrong (the
    /// study: about 38%).
    #[serde(default)]
    pub right_to_wrong: f64,
    /// Of the wrong attempts that were revised, the share whose next attempt is right.
    #[serde(default)]
    pub wrong_to_right: f64,
}

/// The generator on problems typed in shapes the levels rarely draw, against drawn problems of
/// the same operators and operand sizes ([`typed`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TypedEval {
    pub problems: usize,
    /// Sampled pass@1 on the typed problems.
    pub typed: f64,
    /// Sampled pass@1 on their matched drawn problems.
    pub matched: f64,
    /// Per typed problem: (problem, its pass@1, its matches' pass@1).
    pub by_problem: Vec<(String, f64, f64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SelectionEval {
    pub pass_at_1: f64,
    pub majority_16: f64,
    pub weighted_16: f64,
    pub levels: String,
}

/// The larger verifier: what the PRM section and the selection section say of the same-size one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LargeVerifierEval {
    pub auroc: f64,
    pub auroc_within_problem: Option<f64>,
    pub selection: SelectionEval,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beam: Option<BeamEval>,
}

/// Beam search against weighted best-of-N at the same N, guided by the same verifier.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BeamEval {
    pub levels: String,
    pub problems: usize,
    /// The budget N (beams, and samples of best-of-N) and the beam width M.
    pub n: usize,
    pub width: usize,
    /// Accuracy of beam search, and of weighted best-of-N over the same problems.
    pub beam: f64,
    pub weighted_best_of_n: f64,
    /// Beam minus weighted best-of-N, with its 95% interval (a paired bootstrap over problems,
    /// as the study's intervals).
    pub difference: Option<Estimate>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub generator: GeneratorEval,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub large: Option<LargeEval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prm: Option<PrmEval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<RevisionEval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection: Option<SelectionEval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typed: Option<TypedEval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prm_large: Option<LargeVerifierEval>,
    /// Beam search guided by the same-size PRM (the larger verifier's is in `prm_large`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beam: Option<BeamEval>,
    pub size: EvalSize,
    pub seconds: f64,
    /// A few sampled solutions per level, as the generator wrote them (problem, text, correct).
    pub examples: Vec<(u8, String, String, bool)>,
}

/// Reports which part of an evaluation is running, and how far it is.
pub trait EvalProgress {
    fn phase(&mut self, label: &str, total: u64);
    fn done(&mut self, done: u64);
}

/// One sampled solution of a problem, graded.
struct Graded {
    level: Level,
    problem: usize,
    row: Row,
    correct: bool,
}

fn level_key(level: Level) -> String {
    level.get().to_string()
}

/// Runs the evaluation on `device`.
pub async fn evaluate(models: &EvalModels<'_>, size: &EvalSize, device: &Device, progress: &mut dyn EvalProgress, cancel: &CancelToken) -> Result<EvalReport, InferError> {
    let started = web_time_now();
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let problems = heldout_by_level(size.problems_per_level);
    let mut report = EvalReport { size: size.clone(), ..EvalReport::default() };

    // Sampled solutions: pass@1, and the material for the PRM and selection sections.
    let (g_model, g_config) = models.generator;
    let starts: Vec<RowStart> = problems
        .iter()
        .enumerate()
        .flat_map(|(i, (_, p))| {
            let ctx = task.prompt_tokens(p);
            (0..size.samples_per_problem).map(move |s| RowStart { context: ctx.clone(), seed: derive_seed(&[size.seed, i as u64, s as u64]) })
        })
        .collect();
    progress.phase("generator: sampling", starts.len() as u64);
    let rows = generate_all(g_model, g_config, &tokenizer, device, starts, SAMPLING_TEMPERATURE, cancel, &mut |d| progress.done(d as u64)).await?;
    let graded: Vec<Graded> = rows
        .into_iter()
        .enumerate()
        .map(|(k, row)| {
            let i = k / size.samples_per_problem;
            let (level, p) = &problems[i];
            let correct = task.grade(p, &task.text_of(row.generated())).answer_correct;
            Graded { level: *level, problem: i, row, correct }
        })
        .collect();
    for &level in &Level::ALL {
        let of_level: Vec<&Graded> = graded.iter().filter(|g| g.level == level).collect();
        for g in of_level.iter().step_by(size.samples_per_problem.max(1)).take(2) {
            report.examples.push((level.get(), problems[g.problem].1.expression(), task.text_of(g.row.generated()), g.correct));
        }
        report.generator.pass_at_1.insert(level_key(level), fraction(of_level.iter().map(|g| g.correct)));
    }

    let greedy_problems = heldout_by_level(size.greedy_problems_per_level);
    let g_right = greedy_pass(g_model, g_config, &greedy_problems, device, "generator: greedy", progress, cancel).await?;
    report.generator.greedy = per_level(&greedy_problems, |i| g_right[i]);
    if let Some((l_model, l_config)) = models.large {
        let l_right = greedy_pass(l_model, l_config, &greedy_problems, device, "large: greedy", progress, cancel).await?;
        let against_generator = Level::ALL
            .iter()
            .map(|&level| {
                let of_level: Vec<usize> = (0..greedy_problems.len()).filter(|&i| greedy_problems[i].0 == level).collect();
                let d = GreedyDisagreement {
                    problems: of_level.len(),
                    only_large: of_level.iter().filter(|&&i| l_right[i] && !g_right[i]).count(),
                    only_generator: of_level.iter().filter(|&&i| g_right[i] && !l_right[i]).count(),
                };
                (level_key(level), d)
            })
            .collect();
        report.large = Some(LargeEval {
            params_ratio: l_config.lm_params() as f64 / g_config.lm_params() as f64,
            greedy: per_level(&greedy_problems, |i| l_right[i]),
            against_generator,
        });
    }

    if let Some((p_model, p_config)) = models.prm {
        progress.phase("prm: scoring", graded.len() as u64);
        let scores = score_all(p_model, p_config, &graded, device, progress).await?;
        let (auroc_soft, steps, correct_steps) = step_auroc(&problems, &graded, &scores);
        let (auroc_hard, within_hard) = match models.prm_hard {
            Some((h_model, h_config)) => {
                progress.phase("prm (hard labels): scoring", graded.len() as u64);
                let hard = score_all(h_model, h_config, &graded, device, progress).await?;
                (Some(step_auroc(&problems, &graded, &hard).0), final_score_auroc(&graded, &hard))
            }
            None => (None, None),
        };
        report.prm = Some(PrmEval {
            auroc: auroc_soft,
            auroc_hard_labels: auroc_hard,
            auroc_within_problem: final_score_auroc(&graded, &scores),
            auroc_within_problem_hard_labels: within_hard,
            steps_scored: steps,
            correct_steps,
        });

        report.selection = Some(selection_on_hard_levels(&problems, &graded, &scores));
        report.beam = Some(beam_against_weighted("prm: beam search", models.generator, (p_model, p_config), &problems, &graded, &scores, size, device, progress, cancel).await?);
    }
    if let Some((l_model, l_config)) = models.prm_large {
        progress.phase("larger verifier: scoring", graded.len() as u64);
        let scores = score_all(l_model, l_config, &graded, device, progress).await?;
        let beam = beam_against_weighted("larger verifier: beam search", models.generator, (l_model, l_config), &problems, &graded, &scores, size, device, progress, cancel).await?;
        report.prm_large = Some(LargeVerifierEval {
            auroc: step_auroc(&problems, &graded, &scores).0,
            auroc_within_problem: final_score_auroc(&graded, &scores),
            selection: selection_on_hard_levels(&problems, &graded, &scores),
            beam: Some(beam),
        });
    }

    report.typed = Some(typed_shapes(g_model, g_config, size, device, progress, cancel).await?);
    if let Some((r_model, r_config)) = models.revision {
        report.revision = Some(revision_gain(r_model, r_config, &problems, size, device, progress, cancel).await?);
    }
    report.seconds = web_time_now() - started;
    Ok(report)
}

/// Best-of-N selection on levels 3–5 over the graded samples, by a verifier's `scores`.
fn selection_on_hard_levels(problems: &[(Level, ChainProblem)], graded: &[Graded], scores: &[Vec<f32>]) -> SelectionEval {
    selection_on(problems, graded, scores, 3..=5)
}

/// Best-of-N selection on the problems of `levels` over the graded samples, by `scores`.
fn selection_on(problems: &[(Level, ChainProblem)], graded: &[Graded], scores: &[Vec<f32>], levels: RangeInclusive<u8>) -> SelectionEval {
    let task = ArithmeticChain;
    let mut n = 0usize;
    let (mut pass, mut majority, mut weighted) = (0.0, 0usize, 0usize);
    for (i, (level, p)) in problems.iter().enumerate() {
        if !levels.contains(&level.get()) {
            continue;
        }
        let candidates = candidates_of(i, graded, scores);
        let truth = task.true_answer(p);
        pass += fraction(candidates.iter().map(|c| c.correct));
        majority += (select(&candidates, Selection::Majority).0.as_deref() == Some(truth.as_str())) as usize;
        weighted += (select(&candidates, Selection::Weighted).0.as_deref() == Some(truth.as_str())) as usize;
        n += 1;
    }
    let n = n.max(1) as f64;
    SelectionEval { pass_at_1: pass / n, majority_16: majority as f64 / n, weighted_16: weighted as f64 / n, levels: format!("{}-{}", levels.start(), levels.end()) }
}

/// The graded samples of problem `i` as candidates for selection, scored by their final step.
fn candidates_of(i: usize, graded: &[Graded], scores: &[Vec<f32>]) -> Vec<Candidate> {
    let task = ArithmeticChain;
    graded
        .iter()
        .zip(scores)
        .filter(|(g, _)| g.problem == i)
        .map(|(g, s)| Candidate {
            sample: 0,
            text: String::new(),
            answer: task.answer_of(&task.text_of(g.row.generated())),
            step_scores: Vec::new(),
            score: final_score(s),
            correct: g.correct,
        })
        .collect()
}

/// Levels the beam comparison runs on: where search has room over voting.
const BEAM_LEVELS: RangeInclusive<u8> = 4..=5;

/// Beam search (width M = 4) at N = the samples per problem on levels 4–5, guided by one
/// verifier, against weighted best-of-N by the same verifier over the same problems' samples.
#[allow(clippy::too_many_arguments)]
async fn beam_against_weighted(
    label: &str,
    generator: (&LanguageModel, &ModelConfig),
    verifier: (&RewardModel, &ModelConfig),
    problems: &[(Level, ChainProblem)],
    graded: &[Graded],
    scores: &[Vec<f32>],
    size: &EvalSize,
    device: &Device,
    progress: &mut dyn EvalProgress,
    cancel: &CancelToken,
) -> Result<BeamEval, InferError> {
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let n = size.samples_per_problem;
    let beam = BeamSearch { n, width: DEFAULT_WIDTH.min(n), max_rounds: DEFAULT_ROUNDS };
    let chosen: Vec<usize> = problems.iter().enumerate().filter(|(_, (l, _))| BEAM_LEVELS.contains(&l.get())).map(|(i, _)| i).collect();
    progress.phase(label, chosen.len() as u64);
    let (mut beam_right, mut weighted_right) = (Vec::new(), Vec::new());
    for (k, &i) in chosen.iter().enumerate() {
        let common = Common { seed: derive_seed(&[size.seed, 0xBEA, i as u64]), selection: Selection::Weighted, ..Common::default() };
        let mut sink = NoEvents;
        let mut run = Run::new(&task, &problems[i].1, common, &mut sink, cancel.clone());
        let mut decoder = Decoder::new(generator.0, generator.1, &tokenizer, device, DecodeLimits::default(), cancel.clone());
        let mut scorer = PrmScorer::new(verifier.0, verifier.1, &tokenizer, device);
        let result = beam.run(&mut run, &mut decoder, &mut scorer).await.map_err(|e| match e {
            SearchError::Infer(e) => e,
            SearchError::Config(c) => InferError::Invalid(c),
        })?;
        beam_right.push(result.correct as u8 as f64);
        let truth = task.true_answer(&problems[i].1);
        weighted_right.push((select(&candidates_of(i, graded, scores), Selection::Weighted).0.as_deref() == Some(truth.as_str())) as u8 as f64);
        progress.done(k as u64 + 1);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    Ok(BeamEval {
        levels: format!("{}-{}", BEAM_LEVELS.start(), BEAM_LEVELS.end()),
        problems: chosen.len(),
        n,
        width: beam.width,
        beam: mean(&beam_right),
        weighted_best_of_n: mean(&weighted_right),
        difference: difference(&beam_right, &weighted_right),
    })
}

fn web_time_now() -> f64 {
    #[cfg(not(target_family = "wasm"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
    }
    #[cfg(target_family = "wasm")]
    {
        0.0
    }
}

fn fraction(it: impl Iterator<Item = bool>) -> f64 {
    let (mut yes, mut n) = (0usize, 0usize);
    for b in it {
        yes += b as usize;
        n += 1;
    }
    if n == 0 { 0.0 } else { yes as f64 / n as f64 }
}

/// Whether the greedy decode of each problem is right.
async fn greedy_pass(
    model: &LanguageModel,
    config: &ModelConfig,
    problems: &[(Level, ChainProblem)],
    device: &Device,
    label: &str,
    progress: &mut dyn EvalProgress,
    cancel: &CancelToken,
) -> Result<Vec<bool>, InferError> {
    let task = ArithmeticChain;
    let starts: Vec<RowStart> = problems.iter().map(|(_, p)| RowStart { context: task.prompt_tokens(p), seed: 0 }).collect();
    progress.phase(label, starts.len() as u64);
    let rows = generate_all(model, config, &task.tokenizer(), device, starts, 0.0, cancel, &mut |d| progress.done(d as u64)).await?;
    Ok(problems.iter().zip(&rows).map(|((_, p), r)| task.grade(p, &task.text_of(r.generated())).answer_correct).collect())
}

/// The fraction of each level's problems for which `right(index)` holds.
fn per_level(problems: &[(Level, ChainProblem)], right: impl Fn(usize) -> bool) -> PerLevel {
    Level::ALL
        .iter()
        .map(|&level| (level_key(level), fraction((0..problems.len()).filter(|&i| problems[i].0 == level).map(&right))))
        .collect()
}

async fn score_all(model: &RewardModel, config: &ModelConfig, graded: &[Graded], device: &Device, progress: &mut dyn EvalProgress) -> Result<Vec<Vec<f32>>, InferError> {
    let tokenizer = ArithmeticChain.tokenizer();
    let mut scorer = PrmScorer::new(model, config, &tokenizer, device);
    let mut out = Vec::with_capacity(graded.len());
    for chunk in graded.chunks(256) {
        let items: Vec<ScoreItem> = chunk
            .iter()
            .map(|g| ScoreItem { context: g.row.tokens[..g.row.context_len].to_vec(), solution: g.row.generated().to_vec() })
            .collect();
        out.extend(scorer.score(&items).await?);
        progress.done(out.len() as u64);
    }
    Ok(out)
}

/// Step labels by the exact checker: each step line's grade, and the answer's correctness at
/// the end token. Returns (auroc, steps, correct steps).
fn step_auroc(problems: &[(Level, ChainProblem)], graded: &[Graded], scores: &[Vec<f32>]) -> (f64, usize, usize) {
    let (mut s, mut y) = (Vec::new(), Vec::new());
    for (g, sc) in graded.iter().zip(scores) {
        let labels = step_labels(&problems[g.problem].1, &g.row);
        for (score, label) in sc.iter().zip(labels) {
            s.push(*score);
            y.push(label);
        }
    }
    let correct = y.iter().filter(|&&b| b).count();
    (auroc(&s, &y).unwrap_or(0.5), y.len(), correct)
}

/// A sample's score for selection: its last scored step's (the end token when it finished).
fn final_score(step_scores: &[f32]) -> f32 {
    step_scores.last().copied().unwrap_or(0.0)
}

/// [`within_problem_auroc`] of the final scores (as selection reads them) of graded samples.
fn final_score_auroc(graded: &[Graded], scores: &[Vec<f32>]) -> Option<f64> {
    let samples: Vec<(usize, bool, f32)> = graded.iter().zip(scores).map(|(g, s)| (g.problem, g.correct, final_score(s))).collect();
    within_problem_auroc(&samples)
}

/// One exact label per scored position of a generated row (each newline, then the end token
/// if present): a step is correct when its line is right and every earlier line was.
pub fn step_labels(problem: &ChainProblem, row: &Row) -> Vec<bool> {
    let task = ArithmeticChain;
    let text = task.text_of(row.generated());
    let grade = task.grade(problem, &text);
    let step_end = task.tokenizer().step_end();
    let mut labels = Vec::new();
    let mut on_track = true;
    let mut line = 0;
    for &t in row.generated() {
        if t == step_end {
            on_track &= grade.steps.get(line) == Some(&StepGrade::Correct);
            labels.push(on_track);
            line += 1;
        } else if t == Tokenizer::EOS {
            labels.push(grade.answer_correct);
        }
    }
    labels
}

/// Matched drawn problems per typed one.
const MATCHES_PER_TYPED: usize = 8;

async fn typed_shapes(model: &LanguageModel, config: &ModelConfig, size: &EvalSize, device: &Device, progress: &mut dyn EvalProgress, cancel: &CancelToken) -> Result<TypedEval, InferError> {
    let task = ArithmeticChain;
    let typed_set = typed::typed_problems();
    // Each typed problem, then its matches.
    let groups: Vec<Vec<ChainProblem>> = typed_set.iter().map(|p| std::iter::once(p.clone()).chain(typed::matched(p, MATCHES_PER_TYPED, size.seed)).collect()).collect();
    let all: Vec<&ChainProblem> = groups.iter().flatten().collect();
    let n = size.samples_per_problem;
    let starts: Vec<RowStart> = all
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let ctx = task.prompt_tokens(p);
            (0..n).map(move |s| RowStart { context: ctx.clone(), seed: derive_seed(&[size.seed, 0x7E, i as u64, s as u64]) })
        })
        .collect();
    progress.phase("generator: typed shapes", starts.len() as u64);
    let rows = generate_all(model, config, &task.tokenizer(), device, starts, SAMPLING_TEMPERATURE, cancel, &mut |d| progress.done(d as u64)).await?;
    let pass: Vec<f64> = all.iter().zip(rows.chunks(n)).map(|(p, rs)| fraction(rs.iter().map(|r| task.grade(p, &task.text_of(r.generated())).answer_correct))).collect();
    let mut at = 0;
    let mut by_problem = Vec::new();
    for (p, g) in typed_set.iter().zip(&groups) {
        let matched = pass[at + 1..at + g.len()].iter().sum::<f64>() / (g.len() - 1).max(1) as f64;
        by_problem.push((p.expression(), pass[at], matched));
        at += g.len();
    }
    let mean = |f: fn(&(String, f64, f64)) -> f64| by_problem.iter().map(f).sum::<f64>() / by_problem.len().max(1) as f64;
    Ok(TypedEval { problems: by_problem.len(), typed: mean(|b| b.1), matched: mean(|b| b.2), by_problem })
}

async fn revision_gain(
    model: &LanguageModel,
    config: &ModelConfig,
    problems: &[(Level, ChainProblem)],
    size: &EvalSize,
    device: &Device,
    progress: &mut dyn EvalProgress,
    cancel: &CancelToken,
) -> Result<RevisionEval, InferError> {
    const ATTEMPTS: usize = 5;
    let task = ArithmeticChain;
    let tokenizer = task.tokenizer();
    let chains: Vec<(usize, usize)> = problems
        .iter()
        .enumerate()
        .filter(|(_, (l, _))| l.get() <= 3)
        .flat_map(|(i, _)| (0..size.revision_chains).map(move |c| (i, c)))
        .collect();
    let mut history: Vec<Vec<Vec<Token>>> = vec![Vec::new(); chains.len()];
    let mut right: Vec<Vec<bool>> = vec![Vec::new(); chains.len()];
    let mut by_attempt = Vec::new();
    progress.phase("revision: chains of 5 attempts", (chains.len() * ATTEMPTS) as u64);
    for attempt in 0..ATTEMPTS {
        let starts: Vec<RowStart> = chains
            .iter()
            .zip(&history)
            .map(|(&(i, c), h)| RowStart {
                context: Revisions::context(&task.prompt_tokens(&problems[i].1), h, config.max_len),
                seed: derive_seed(&[size.seed, 0x5E7, i as u64, c as u64, attempt as u64]),
            })
            .collect();
        let base = attempt * chains.len();
        let rows = generate_all(model, config, &tokenizer, device, starts, SAMPLING_TEMPERATURE, cancel, &mut |d| progress.done((base + d) as u64)).await?;
        let mut correct = 0usize;
        for (((&(i, _), h), r), row) in chains.iter().zip(history.iter_mut()).zip(right.iter_mut()).zip(rows) {
            let ok = task.grade(&problems[i].1, &task.text_of(row.generated())).answer_correct;
            correct += ok as usize;
            r.push(ok);
            h.push(row.generated().to_vec());
        }
        by_attempt.push(correct as f64 / chains.len().max(1) as f64);
    }
    // Each revision's (before, after) verdicts.
    let moves: Vec<(bool, bool)> = right.iter().flat_map(|r| r.windows(2).map(|w| (w[0], w[1]))).collect();
    let turned = |from: bool| fraction(moves.iter().filter(|m| m.0 == from).map(|m| m.1 != from));
    Ok(RevisionEval { first: by_attempt[0], after_4: by_attempt[ATTEMPTS - 1], by_attempt, right_to_wrong: turned(true), wrong_to_right: turned(false) })
}
