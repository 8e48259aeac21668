//! The lessons: six short chapters, each a few sentences, the one or two controls that matter
//! for its point, one live run on the real models, a chart from the shipped study report and a
//! "what to notice" line whose numbers come from that report or from the run just made.
//! Nothing here draws: the web app's lessons view does.

use crate::config::{CHAPTERS, Config};
use crate::lane::LaneState;
use crate::settings::{LANES, Settings};
use engine::search::{Recipe, Selection, StrategyName, Verifier, Width};
use engine::study::StudyReport;
use engine::study::report::{Allowed, BinKind};

/// A control a chapter shows (all others are hidden).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Budget,
    Verifier,
    Level,
    BeamWidth,
    Chains,
}

/// One line of a chapter's chart: a configuration of the study, with one verifier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    pub config: Recipe,
    pub verifier: Verifier,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Chart {
    /// Accuracy against budget over every searched problem, one line per configuration.
    Budgets(&'static [Line]),
    /// Compute-optimal (oracle bins) against best-of-N weighted, by budget.
    ComputeOptimal,
    /// Per difficulty bin: the small model at FLOPs-matched test-time compute against the
    /// larger model, greedy.
    FlopsMatched,
}

pub struct Chapter {
    pub title: &'static str,
    /// At most ~120 words of plain language.
    pub text: &'static str,
    /// The lanes its live run runs, in [`LANES`] order.
    pub lanes: [bool; LANES.len()],
    pub controls: &'static [Control],
    pub chart: Chart,
    /// The settings the chapter starts from when a visitor steps into it.
    start: fn(&mut Config),
    /// What the chapter fixes whatever the link says (its point depends on it).
    fix: fn(&mut Settings),
}

const fn lanes(on: &[StrategyName]) -> [bool; LANES.len()] {
    let mut out = [false; LANES.len()];
    let mut i = 0;
    while i < on.len() {
        let mut j = 0;
        while j < LANES.len() {
            if LANES[j] as u8 == on[i] as u8 {
                out[j] = true;
            }
            j += 1;
        }
        i += 1;
    }
    out
}

const MAJORITY: Recipe = Recipe::BestOfN { selection: Selection::Majority };
const WEIGHTED: Recipe = Recipe::BestOfN { selection: Selection::Weighted };
const fn prm(config: Recipe) -> Line {
    Line { config, verifier: Verifier::Prm }
}

fn start_with(c: &mut Config, level: u8, budget: usize) {
    c.level = level;
    c.index = 0;
    c.problem = None;
    c.settings = Settings::default();
    c.settings.knobs.budget = budget;
    c.settings.knobs.chains = c.settings.knobs.chains.min(budget);
}

pub const CHAPTER_LIST: [Chapter; CHAPTERS as usize] = [
    Chapter {
        title: "One answer against many",
        text: "Ask a small model an arithmetic chain once and it is often wrong: it samples each token, so every answer is a gamble. \
               Ask it N times instead and let the answers vote. Wrong answers tend to scatter while right ones agree, so the most common \
               answer is right more often than any single sample. That is best-of-N with a majority vote: the simplest way to spend \
               more compute at test time, all of it in parallel. Move the budget and run it.",
        lanes: lanes(&[StrategyName::BestOfN]),
        controls: &[Control::Budget],
        chart: Chart::Budgets(&[prm(MAJORITY)]),
        start: |c| start_with(c, 3, 16),
        fix: |s| s.common.selection = Selection::Majority,
    },
    Chapter {
        title: "The verifier",
        text: "A vote treats every answer alike. A verifier, a second model trained to judge each step, can do better: the process \
               reward model (PRM) scores every line of every answer, green for likely right and red for likely wrong, and the \
               weighted vote counts each answer by its score. The exact checker is what a perfect verifier would say. Switch between \
               them and see how much a judge is worth, and how far the learned one is from perfect.",
        lanes: lanes(&[StrategyName::BestOfN]),
        controls: &[Control::Verifier],
        chart: Chart::Budgets(&[prm(MAJORITY), prm(WEIGHTED), Line { config: WEIGHTED, verifier: Verifier::Oracle }]),
        start: |c| start_with(c, 3, 16),
        fix: |s| s.common.selection = Selection::Weighted,
    },
    Chapter {
        title: "Search",
        text: "Instead of writing whole answers and judging them at the end, search judges as it goes. Beam search grows many first \
               steps, keeps the ones the verifier likes best, forks new steps from them and drops (prunes) the rest. Lookahead looks \
               further before judging a step: it rolls each candidate k steps ahead, which costs more compute per step. Search can \
               only be as good as the verifier that steers it.",
        lanes: lanes(&[StrategyName::BestOfN, StrategyName::Beam, StrategyName::Lookahead]),
        controls: &[Control::Budget, Control::BeamWidth],
        chart: Chart::Budgets(&[prm(WEIGHTED), prm(Recipe::Beam { width: Width::Fixed(4) }), prm(Recipe::Lookahead { k: 1 })]),
        start: |c| start_with(c, 4, 32),
        fix: |_| {},
    },
    Chapter {
        title: "Revisions",
        text: "Compute can also be spent in sequence. The model reads its own earlier attempts and tries again, so a later attempt can \
               fix an earlier slip, or break a right answer. The budget is split into chains: C chains of budget/C attempts each, side \
               by side. All parallel is best-of-N; all sequential is one long chain. Compare revising with sampling afresh at the same \
               budget.",
        lanes: lanes(&[StrategyName::BestOfN, StrategyName::Revisions]),
        controls: &[Control::Budget, Control::Chains],
        chart: Chart::Budgets(&[prm(WEIGHTED), prm(Recipe::Revisions { length: 1 }), prm(Recipe::Revisions { length: 4 }), prm(Recipe::Revisions { length: 0 })]),
        start: |c| start_with(c, 2, 16),
        fix: |_| {},
    },
    Chapter {
        title: "Difficulty and the compute-optimal policy",
        text: "No one strategy wins everywhere: on easy problems a few samples are enough, on hard ones search or revisions may pay. \
               The compute-optimal policy first guesses how hard the problem is from a quarter of the budget (the verifier's mean \
               score on a few samples), then spends the rest on whatever won problems that hard, at that budget, in Ponder's own \
               study. Change the difficulty and watch what it picks.",
        lanes: lanes(&[StrategyName::BestOfN, StrategyName::Beam, StrategyName::ComputeOptimal]),
        controls: &[Control::Level, Control::Budget],
        chart: Chart::ComputeOptimal,
        start: |c| start_with(c, 3, 32),
        fix: |_| {},
    },
    Chapter {
        title: "A larger model, or more thinking?",
        text: "The study's last question: with the same total compute, is it better to train a model 14 times larger, or to keep the \
               small one and let it think longer at test time? A larger model costs more on every token it writes, so one greedy \
               answer from it buys the small model many samples. Which side wins depends on how hard the problem is, and on how much \
               the model is used after training.",
        lanes: lanes(&[StrategyName::BestOfN]),
        controls: &[Control::Level, Control::Budget],
        chart: Chart::FlopsMatched,
        start: |c| start_with(c, 3, 16),
        fix: |s| s.common.selection = Selection::Weighted,
    },
];

/// Chapter `n` (1 to [`CHAPTERS`]; out of range is clamped).
pub fn chapter(n: u8) -> &'static Chapter {
    &CHAPTER_LIST[(n.clamp(1, CHAPTERS) - 1) as usize]
}

/// Steps into chapter `n` with its starting settings (stays in the lessons view).
pub fn enter(config: &mut Config, n: u8) {
    let n = n.clamp(1, CHAPTERS);
    (chapter(n).start)(config);
    config.chapter = n;
}

/// The settings the chapter's run uses: the link's, with what the chapter fixes.
pub fn run_settings(n: u8, settings: &Settings) -> Settings {
    let mut s = settings.clone();
    (chapter(n).fix)(&mut s);
    s
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The report of `verifier` (the headline one or one of `by_verifier`).
fn report_of(report: &StudyReport, verifier: Verifier) -> Option<&StudyReport> {
    report.each_verifier().find(|(v, _)| *v == verifier).map(|(_, r)| r)
}

/// Accuracy of `line` over every searched problem at `budget`, from the report.
pub fn accuracy(report: &StudyReport, line: Line, budget: usize) -> Option<f64> {
    let r = report_of(report, line.verifier)?;
    r.sweeps.cells.iter().find(|c| c.bin == 0 && c.budget == budget && c.config.0 == line.config).map(|c| c.accuracy)
}

/// "(250 problems, 2 seeds)" for a report.
fn size(report: &StudyReport) -> String {
    let problems = report.members(0, false).len();
    let seeds = report.config.as_ref().map(|c| c.seeds.len()).unwrap_or(0);
    format!("{problems} problems, {seeds} seed{}", if seeds == 1 { "" } else { "s" })
}

/// The budget nearest to `budget` that the report swept.
fn swept(report: &StudyReport, budget: usize) -> Option<usize> {
    report.sweeps.budgets.iter().copied().min_by_key(|&b| (b as i64 - budget as i64).unsigned_abs())
}

/// What the study report says for the chapter, at the chapter's budget.
pub fn from_report(n: u8, report: &StudyReport, settings: &Settings) -> Option<String> {
    let budget = swept(report, settings.knobs.budget)?;
    let at = |line: Line| accuracy(report, line, budget).map(pct).unwrap_or_else(|| "–".into());
    let first = *report.sweeps.budgets.first()?;
    let last = *report.sweeps.budgets.last()?;
    Some(match n {
        1 => format!(
            "In Ponder's study ({}), the majority vote is right on {} of problems with one sample, {} at N={budget} and {} at N={last}.",
            size(report),
            accuracy(report, prm(MAJORITY), first).map(pct)?,
            at(prm(MAJORITY)),
            accuracy(report, prm(MAJORITY), last).map(pct)?
        ),
        2 => format!(
            "In the study at N={budget}: the majority vote {}, the vote weighted by the trained PRM {}, weighted by the exact checker {}.",
            at(prm(MAJORITY)),
            at(prm(WEIGHTED)),
            at(Line { config: WEIGHTED, verifier: Verifier::Oracle })
        ),
        3 => format!(
            "In the study at N={budget}, with the trained PRM: best-of-N weighted {}, beam search (M=4) {}, lookahead (k=1) {}; with the exact checker beam search reaches {}.",
            at(prm(WEIGHTED)),
            at(prm(Recipe::Beam { width: Width::Fixed(4) })),
            at(prm(Recipe::Lookahead { k: 1 })),
            at(Line { config: Recipe::Beam { width: Width::Fixed(4) }, verifier: Verifier::Oracle })
        ),
        4 => {
            let parts: Vec<String> = [
                ("best-of-N weighted", prm(WEIGHTED)),
                ("revisions all parallel", prm(Recipe::Revisions { length: 1 })),
                ("chains of 4", prm(Recipe::Revisions { length: 4 })),
                ("all sequential", prm(Recipe::Revisions { length: 0 })),
            ]
            .into_iter()
            .filter_map(|(name, line)| accuracy(report, line, budget).map(|a| format!("{name} {}", pct(a))))
            .collect();
            format!("In the study at N={budget}: {}.", parts.join(", "))
        }
        5 => {
            let m = report.compute_optimal.matches.iter().find(|m| m.bins == BinKind::Oracle && m.family == Allowed::All)?;
            let reach = match (m.budget, m.saving) {
                (Some(b), Some(s)) if s > 1.0 => format!("compute-optimal reaches it at N={b}, with {s:.1}× less compute"),
                (Some(b), Some(_)) => format!("compute-optimal reaches it at N={b} too, with no saving"),
                _ => "compute-optimal does not reach it".into(),
            };
            let d = &report.difficulty;
            let bins = d.oracle_pass_at_1_range.iter().map(|r| pct((r[0] + r[1]) / 2.0)).collect::<Vec<_>>().join(", ");
            format!(
                "The study's bins run from easy to hard (pass@1 about {bins}). Best-of-N weighted is at {} with N={} (first reached at N={}); {reach}.",
                pct(m.best_of_n_accuracy),
                m.target_budget,
                m.best_of_n_budget
            )
        }
        6 => {
            let f = report.flops_matched.as_ref()?;
            let row = f.rows.iter().filter(|r| r.budget.is_some()).min_by_key(|r| (r.budget.unwrap_or(0) as i64 - budget as i64).unsigned_abs())?;
            let bins = row
                .by_bin
                .iter()
                .map(|b| format!("bin {}: {} vs {}", b.bin, b.test_time.map(pct).unwrap_or_else(|| "–".into()), pct(b.large_greedy)))
                .collect::<Vec<_>>()
                .join("; ");
            format!(
                "The larger model has {:.1}× the parameters. Where inference is R={} times pretraining, the matched budget is N={}: small model with compute-optimal test-time compute vs the larger model, greedy, {bins}.",
                f.params_ratio,
                row.r,
                row.budget.unwrap_or(0)
            )
        }
        _ => return None,
    })
}

/// The lane of `strategy` among `lanes` (in [`LANES`] order).
fn lane(lanes: &[LaneState], strategy: StrategyName) -> Option<&LaneState> {
    LANES.iter().position(|&s| s == strategy).and_then(|i| lanes.get(i))
}

fn right_wrong(correct: bool) -> &'static str {
    if correct { "right" } else { "wrong" }
}

/// What the run just made shows, once its lanes have finished (None before).
pub fn from_run(n: u8, lanes: &[LaneState], params_ratio: Option<f64>) -> Option<String> {
    let bon = lane(lanes, StrategyName::BestOfN);
    let done = |l: &LaneState| !l.running && (l.chosen.is_some() || l.error.is_some());
    let finished = |l: &LaneState| l.samples.iter().filter(|s| s.finished.is_some()).count();
    let right = |l: &LaneState| l.samples.iter().filter(|s| s.finished.as_ref().is_some_and(|f| f.correct)).count();
    Some(match n {
        1 | 2 | 6 => {
            let l = bon.filter(|l| done(l))?;
            let chosen = l.chosen.as_ref()?;
            let answer = chosen.answer.clone().unwrap_or_else(|| "no answer".into());
            let votes = chosen.tally.iter().find(|t| Some(&t.answer) == chosen.answer.as_ref()).map(|t| t.votes).unwrap_or(0);
            let head = format!(
                "Your run: {} of {} answers were right; the vote picked {answer} ({votes} of them said so), which is {}.",
                right(l),
                finished(l),
                right_wrong(chosen.correct)
            );
            match n {
                2 => {
                    let (mut ok, mut bad) = (Vec::new(), Vec::new());
                    for step in l.samples.iter().flat_map(|s| &s.steps) {
                        if let (Some(score), Some(correct)) = (step.score, step.correct) {
                            if correct { ok.push(score) } else { bad.push(score) }
                        }
                    }
                    let mean = |v: &[f32]| if v.is_empty() { "–".into() } else { format!("{:.2}", v.iter().sum::<f32>() / v.len() as f32) };
                    format!("{head} The verifier gave right steps a mean score of {} and wrong steps {} ({} wrong of {} steps).", mean(&ok), mean(&bad), bad.len(), ok.len() + bad.len())
                }
                6 => {
                    let per = l.compute.flops / l.compute.generations.max(1) as f64;
                    match params_ratio {
                        Some(ratio) => format!(
                            "{head} It cost {}; one answer from the larger model costs about {} ({ratio:.1}× one of the small model's {}), the price of {:.0} small answers.",
                            crate::text::flops(l.compute.flops),
                            crate::text::flops(per * ratio),
                            crate::text::flops(per),
                            ratio
                        ),
                        None => head,
                    }
                }
                _ => head,
            }
        }
        3 => {
            let (b, la) = (lane(lanes, StrategyName::Beam)?, lane(lanes, StrategyName::Lookahead)?);
            if !done(b) || !done(la) || !bon.is_some_and(done) {
                return None;
            }
            let pruned = b.samples.iter().filter(|s| s.pruned).count();
            let verdict = |l: &LaneState| l.chosen.as_ref().map(|c| right_wrong(c.correct)).unwrap_or("without an answer");
            format!(
                "Your run: beam search pruned {pruned} of its {} partial answers and came out {}; lookahead came out {} and cost {} against beam search's {} ({:.1}×); best-of-N came out {}.",
                b.samples.len(),
                verdict(b),
                verdict(la),
                crate::text::flops(la.compute.flops),
                crate::text::flops(b.compute.flops),
                la.compute.flops / b.compute.flops.max(1.0),
                bon.map(verdict).unwrap_or("–")
            )
        }
        4 => {
            let r = lane(lanes, StrategyName::Revisions).filter(|l| done(l))?;
            let chains = r.chains();
            let correct = |id: usize| r.samples.get(id).and_then(|s| s.finished.as_ref()).map(|f| f.correct);
            let (mut broke, mut fixed, mut ends_right) = (0, 0, 0);
            for chain in &chains {
                for pair in chain.windows(2) {
                    match (correct(pair[0]), correct(pair[1])) {
                        (Some(true), Some(false)) => broke += 1,
                        (Some(false), Some(true)) => fixed += 1,
                        _ => {}
                    }
                }
                ends_right += chain.last().and_then(|&id| correct(id)).unwrap_or(false) as usize;
            }
            format!(
                "Your run: {} chains; a revision fixed a wrong answer {fixed} times and broke a right one {broke} times; {ends_right} chains ended right. The revisions' pick is {}, best-of-N's {}.",
                chains.len(),
                r.chosen.as_ref().map(|c| right_wrong(c.correct)).unwrap_or("–"),
                bon.and_then(|l| l.chosen.as_ref()).map(|c| right_wrong(c.correct)).unwrap_or("–")
            )
        }
        5 => {
            let co = lane(lanes, StrategyName::ComputeOptimal).filter(|l| done(l))?;
            let p = co.prediction.as_ref()?;
            format!(
                "Your run: the policy guessed bin {} of 5 (mean verifier score {}) and ran {}; it came out {}.",
                p.bin,
                p.mean_score.map(|s| format!("{s:.3}")).unwrap_or_else(|| "–".into()),
                p.picked,
                co.chosen.as_ref().map(|c| right_wrong(c.correct)).unwrap_or("without an answer")
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::View;

    #[test]
    fn every_chapter_is_short_and_shows_at_most_two_controls() {
        for (i, c) in CHAPTER_LIST.iter().enumerate() {
            let words = c.text.split_whitespace().count();
            assert!(words <= 120, "chapter {} has {words} words", i + 1);
            assert!(!c.controls.is_empty() && c.controls.len() <= 2, "chapter {}", i + 1);
            assert!(c.lanes.iter().any(|&on| on), "chapter {} runs no lane", i + 1);
        }
    }

    #[test]
    fn entering_a_chapter_sets_its_start_and_the_link_keeps_it() {
        let mut c = Config { view: View::Lessons, ..Config::default() };
        enter(&mut c, 3);
        assert_eq!((c.chapter, c.level, c.settings.knobs.budget), (3, 4, 32));
        let (back, errors) = Config::from_query(&c.to_query());
        assert!(errors.is_empty());
        assert_eq!(back, c);
        enter(&mut c, 9);
        assert_eq!(c.chapter, CHAPTERS);
    }

    #[test]
    fn what_a_chapter_fixes_wins_over_the_link() {
        let mut s = Settings::default();
        s.common.selection = Selection::Weighted;
        assert_eq!(run_settings(1, &s).common.selection, Selection::Majority);
        s.common.selection = Selection::Max;
        assert_eq!(run_settings(2, &s).common.selection, Selection::Weighted);
        assert_eq!(run_settings(3, &s).common.selection, Selection::Max);
    }

    /// Every chapter's line from the shipped report carries numbers, none typed in here.
    #[test]
    fn every_chapter_reads_its_numbers_from_the_report() {
        let report: StudyReport = serde_json::from_str(include_str!("../../results/study/report.json")).unwrap();
        for n in 1..=CHAPTERS {
            let mut c = Config::default();
            enter(&mut c, n);
            let line = from_report(n, &report, &c.settings).unwrap_or_else(|| panic!("chapter {n} has no line"));
            assert!(line.contains('%'), "chapter {n}: {line}");
            assert!(!line.contains("–%"), "chapter {n}: {line}");
        }
        let one = accuracy(&report, prm(MAJORITY), 1).unwrap();
        assert!(from_report(1, &report, &Settings::default()).unwrap().contains(&pct(one)));
    }

    #[test]
    fn what_to_notice_in_a_run_waits_for_its_lanes_and_counts_them() {
        use crate::lane::{Chosen, Finished, Sample};
        use engine::search::TallyEntry;
        let mut lanes: Vec<LaneState> = vec![LaneState::default(); LANES.len()];
        assert!(from_run(1, &lanes, None).is_none(), "nothing ran");
        let finished = |correct, answer: &str| Some(Finished { answer: Some(answer.into()), score: 0.5, correct });
        let bon = &mut lanes[0];
        bon.samples = vec![
            Sample { id: 0, finished: finished(true, "12"), ..Sample::default() },
            Sample { id: 1, finished: finished(true, "12"), ..Sample::default() },
            Sample { id: 2, finished: finished(false, "13"), ..Sample::default() },
        ];
        bon.chosen = Some(Chosen { answer: Some("12".into()), correct: true, tally: vec![TallyEntry { answer: "12".into(), votes: 2, weight: 1.0, best: 0.5 }] });
        bon.compute.generations = 3;
        bon.compute.flops = 3e6;
        let line = from_run(1, &lanes, None).unwrap();
        assert!(line.contains("2 of 3 answers were right") && line.contains("picked 12 (2 of them") && line.contains("which is right"), "{line}");
        let six = from_run(6, &lanes, Some(15.0)).unwrap();
        assert!(six.contains("15.00 MFLOP") && six.contains("15 small answers"), "{six}");
        lanes[0].running = true;
        assert!(from_run(1, &lanes, None).is_none(), "a lane still running");
    }
}
