//! Each strategy on scripted candidates whose answers and scores are known, with compute
//! accounting and events checked. No model involved.

use engine::infer::{CancelToken, DecodeStats, FinishReason, Generator, InferError, Row, RowStart, ScoreItem, Scorer, StopAt};
use engine::search::beam::BeamSearch;
use engine::search::best_of_n::BestOfN;
use engine::search::dvts::Dvts;
use engine::search::lookahead::LookaheadSearch;
use engine::search::revisions::{RevisionSelection, Revisions};
use engine::search::{Common, Event, OracleScorer, Run, Selection};
use engine::task::{ArithmeticChain, ChainProblem, Task, Token, Tokenizer};

/// Replays scripted solutions: row `i` of a fresh batch follows script `i % scripts.len()`; a
/// forked copy `c > 0` switches to script `(s + c) % len` from its current line on.
struct Scripted {
    tokenizer: Tokenizer,
    scripts: Vec<Vec<String>>,
    rows: Vec<Row>,
    state: Vec<(usize, usize)>, // (script, lines emitted)
    contexts: Vec<Vec<Token>>,
    stats: DecodeStats,
}

impl Scripted {
    fn new(scripts: &[&str]) -> Self {
        let scripts = scripts
            .iter()
            .map(|s| {
                let lines: Vec<&str> = s.split('\n').collect();
                let n = lines.len();
                lines.iter().enumerate().map(|(i, l)| if i + 1 < n { format!("{l}\n") } else { l.to_string() }).collect()
            })
            .collect();
        Scripted { tokenizer: ArithmeticChain.tokenizer(), scripts, rows: vec![], state: vec![], contexts: vec![], stats: DecodeStats::default() }
    }
}

impl Generator for Scripted {
    async fn start(&mut self, rows: Vec<RowStart>) -> Result<(), InferError> {
        self.contexts.extend(rows.iter().map(|r| r.context.clone()));
        self.state = (0..rows.len()).map(|i| (i % self.scripts.len(), 0)).collect();
        self.rows = rows.into_iter().map(|r| Row { context_len: r.context.len(), tokens: r.context, finished: None }).collect();
        Ok(())
    }
    fn select(&mut self, rows: &[usize], _seeds: &[u64]) -> Result<(), InferError> {
        let mut seen = std::collections::HashMap::new();
        let n = self.scripts.len();
        let old_state = self.state.clone();
        self.state = rows
            .iter()
            .map(|&r| {
                let c = seen.entry(r).or_insert(0usize);
                let (s, k) = old_state[r];
                *c += 1;
                ((s + *c - 1) % n, k)
            })
            .collect();
        self.rows = rows.iter().map(|&r| self.rows[r].clone()).collect();
        Ok(())
    }
    async fn extend(&mut self, stop: StopAt, _t: f32, only: Option<&[bool]>, on_token: &mut dyn FnMut(usize, Token)) -> Result<(), InferError> {
        for i in 0..self.rows.len() {
            if self.rows[i].finished.is_some() || only.is_some_and(|o| !o[i]) {
                continue;
            }
            loop {
                let (s, k) = self.state[i];
                let line = &self.scripts[s][k];
                for t in self.tokenizer.encode(line).unwrap() {
                    self.rows[i].tokens.push(t);
                    self.stats.tokens_generated += 1;
                    on_token(i, t);
                }
                self.state[i].1 += 1;
                if self.state[i].1 == self.scripts[s].len() {
                    self.rows[i].tokens.push(Tokenizer::EOS);
                    self.stats.tokens_generated += 1;
                    on_token(i, Tokenizer::EOS);
                    self.rows[i].finished = Some(FinishReason::EndOfAnswer);
                    break;
                }
                if stop == StopAt::StepEnd {
                    break;
                }
            }
        }
        Ok(())
    }
    fn rows(&self) -> &[Row] {
        &self.rows
    }
    fn max_context(&self) -> usize {
        10_000
    }
    fn parameters(&self) -> usize {
        1000
    }
    fn stats(&self) -> DecodeStats {
        self.stats
    }
}

/// Scores each step by a table keyed on the answer the solution reaches (or 0.5 while
/// unknown), so selections can be steered.
struct ByAnswer(Vec<(&'static str, f32)>);
impl Scorer for ByAnswer {
    async fn score(&mut self, items: &[ScoreItem]) -> Result<Vec<Vec<f32>>, InferError> {
        let t = ArithmeticChain.tokenizer();
        Ok(items
            .iter()
            .map(|it| {
                let text = t.decode(&it.solution).unwrap().replace("<eos>", "");
                let answer = ArithmeticChain.answer_of(&text);
                let s = answer.and_then(|a| self.0.iter().find(|(x, _)| *x == a).map(|x| x.1)).unwrap_or(0.5);
                let n = engine::infer::step_ends(&it.solution, t.step_end()).len();
                vec![s; n]
            })
            .collect())
    }
    fn tokens_scored(&self) -> u64 {
        0
    }
    fn parameters(&self) -> usize {
        0
    }
}

fn problem() -> ChainProblem {
    ArithmeticChain.parse("47+18*3-5").unwrap()
}

const RIGHT: &str = "47+18=65\n65*3=195\n195-5=190\nA:190";
const WRONG_STEP2: &str = "47+18=65\n65*3=185\n185-5=180\nA:180";
const WRONG_STEP1: &str = "47+18=55\n55*3=165\n165-5=160\nA:160";

fn common(selection: Selection) -> Common {
    Common { selection, ..Common::default() }
}

fn events_of(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

#[test]
fn best_of_n_votes_as_configured() {
    let p = problem();
    for (selection, want) in [(Selection::Majority, "180"), (Selection::Weighted, "190"), (Selection::Max, "160")] {
        let mut events = Vec::new();
        let mut sink = |e: Event| events.push(e);
        let mut run = Run::new(&ArithmeticChain, &p, common(selection), &mut sink, CancelToken::new());
        // 3× "180" at 0.2 (sum 0.6), 2× "190" at 0.45 (sum 0.9), 1× "160" at 0.85
        let mut g = Scripted::new(&[WRONG_STEP2, WRONG_STEP2, WRONG_STEP2, RIGHT, RIGHT, WRONG_STEP1]);
        let mut s = ByAnswer(vec![("180", 0.2), ("190", 0.45), ("160", 0.85)]);
        let r = pollster::block_on(BestOfN { n: 6 }.run(&mut run, &mut g, &mut s)).unwrap();
        assert_eq!(r.chosen.as_deref(), Some(want), "{selection:?}");
        assert_eq!(r.compute.generations, 6);
        assert_eq!(r.candidates.len(), 6);
        assert_eq!(events_of(&events, |e| matches!(e, Event::SampleFinished { .. })), 6);
        assert_eq!(events_of(&events, |e| matches!(e, Event::AnswerChosen { .. })), 1);
        let text: usize = events.iter().map(|e| if let Event::Tokens { text, .. } = e { text.len() } else { 0 }).sum();
        assert_eq!(text, 3 * WRONG_STEP2.len() + 2 * RIGHT.len() + WRONG_STEP1.len());
    }
}

#[test]
fn oracle_verifier_finds_the_one_right_sample() {
    let p = problem();
    let mut sink = |_e: Event| {};
    let mut run = Run::new(&ArithmeticChain, &p, common(Selection::Weighted), &mut sink, CancelToken::new());
    let mut g = Scripted::new(&[WRONG_STEP2, WRONG_STEP2, WRONG_STEP1, RIGHT]);
    let mut s = OracleScorer::new(&ArithmeticChain, &p);
    let r = pollster::block_on(BestOfN { n: 4 }.run(&mut run, &mut g, &mut s)).unwrap();
    assert!(r.correct);
    let right = r.candidates.iter().find(|c| c.correct).unwrap();
    assert_eq!(right.step_scores, vec![1.0; 4]);
    let wrong = r.candidates.iter().find(|c| c.answer.as_deref() == Some("180")).unwrap();
    assert_eq!(wrong.step_scores, vec![1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn beam_search_keeps_the_verified_beams_and_costs_n() {
    let p = problem();
    let mut events = Vec::new();
    let mut sink = |e: Event| events.push(e);
    let mut run = Run::new(&ArithmeticChain, &p, common(Selection::Weighted), &mut sink, CancelToken::new());
    // Three of four first steps are wrong; only the right beam survives and is expanded.
    let mut g = Scripted::new(&[WRONG_STEP1, WRONG_STEP1, RIGHT, WRONG_STEP2]);
    let mut s = OracleScorer::new(&ArithmeticChain, &p);
    let r = pollster::block_on(BeamSearch { n: 4, width: 4, max_rounds: 40 }.run(&mut run, &mut g, &mut s)).unwrap();
    assert!(r.correct, "{r:?}");
    assert_eq!(r.compute.generations, 4);
    assert!(events_of(&events, |e| matches!(e, Event::BeamPruned { .. })) >= 3);
    assert_eq!(r.candidates.len(), 4);
}

#[test]
fn lookahead_costs_n_times_k_plus_one() {
    let p = problem();
    for k in [1, 3] {
        let mut sink = |_e: Event| {};
        let mut run = Run::new(&ArithmeticChain, &p, common(Selection::Weighted), &mut sink, CancelToken::new());
        let mut g = Scripted::new(&[WRONG_STEP2, RIGHT, WRONG_STEP2, WRONG_STEP1]);
        let mut s = OracleScorer::new(&ArithmeticChain, &p);
        let search = LookaheadSearch { beam: BeamSearch { n: 4, width: 2, max_rounds: 40 }, k };
        let r = pollster::block_on(search.run(&mut run, &mut g, &mut s)).unwrap();
        assert_eq!(r.compute.generations, 4 * (k as u64 + 1));
        // step 2 is wrong in WRONG_STEP2: lookahead sees it before it is taken
        assert!(r.correct);
    }
}

#[test]
fn dvts_runs_independent_subtrees() {
    let p = problem();
    let mut events = Vec::new();
    let mut sink = |e: Event| events.push(e);
    let mut run = Run::new(&ArithmeticChain, &p, common(Selection::Weighted), &mut sink, CancelToken::new());
    let mut g = Scripted::new(&[WRONG_STEP1, RIGHT, WRONG_STEP2, RIGHT]);
    let mut s = OracleScorer::new(&ArithmeticChain, &p);
    let r = pollster::block_on(Dvts { n: 8, width: 2, max_rounds: 40 }.run(&mut run, &mut g, &mut s)).unwrap();
    assert_eq!(r.compute.generations, 8);
    assert!(r.correct);
    // four subtrees, one answer each
    assert_eq!(r.candidates.len(), 4 * 2);
}

#[test]
fn revisions_cost_c_times_l_and_keep_four_attempts_in_context() {
    let p = problem();
    for (chains, length) in [(1, 6), (2, 3), (3, 1)] {
        let mut events = Vec::new();
        let mut sink = |e: Event| events.push(e);
        let mut run = Run::new(&ArithmeticChain, &p, common(Selection::Weighted), &mut sink, CancelToken::new());
        let mut g = Scripted::new(&[WRONG_STEP2, RIGHT]);
        let mut s = OracleScorer::new(&ArithmeticChain, &p);
        let search = Revisions { chains, length, selection: RevisionSelection::Hierarchical };
        let r = pollster::block_on(search.run(&mut run, &mut g, &mut s)).unwrap();
        assert_eq!(r.compute.generations, (chains * length) as u64);
        assert_eq!(r.candidates.len(), chains * length);
        assert_eq!(events_of(&events, |e| matches!(e, Event::RevisionStarted { .. })), chains * length);
        let max_revs = g.contexts.iter().map(|c| c.iter().filter(|&&t| t == Tokenizer::REV).count()).max().unwrap();
        assert_eq!(max_revs, (length - 1).min(4));
        if chains >= 2 {
            assert!(r.correct);
        }
    }
}

#[test]
fn revisions_majority_counts_every_attempt() {
    let p = problem();
    let mut sink = |_e: Event| {};
    let mut run = Run::new(&ArithmeticChain, &p, common(Selection::Weighted), &mut sink, CancelToken::new());
    // chains 0, 2 get WRONG_STEP2 every attempt, chain 1 RIGHT: majority says 180
    let mut g = Scripted::new(&[WRONG_STEP2, RIGHT, WRONG_STEP2]);
    let mut s = OracleScorer::new(&ArithmeticChain, &p);
    let r = pollster::block_on(Revisions { chains: 3, length: 2, selection: RevisionSelection::Majority }.run(&mut run, &mut g, &mut s)).unwrap();
    assert_eq!(r.chosen.as_deref(), Some("180"));
}

#[test]
fn a_cancelled_run_stops_with_an_error() {
    let p = problem();
    let cancel = CancelToken::new();
    cancel.cancel();
    let mut sink = |_e: Event| {};
    let mut run = Run::new(&ArithmeticChain, &p, common(Selection::Weighted), &mut sink, cancel);
    let mut g = Scripted::new(&[RIGHT]);
    let mut s = OracleScorer::new(&ArithmeticChain, &p);
    let r = pollster::block_on(BeamSearch { n: 4, width: 2, max_rounds: 40 }.run(&mut run, &mut g, &mut s));
    assert!(matches!(r, Err(engine::search::SearchError::Infer(InferError::Cancelled))));
}

#[test]
fn invalid_settings_are_refused() {
    let refused = |r: Result<(), engine::search::SearchError>| r.expect_err("refused").to_string();
    assert_eq!(refused(BestOfN { n: 0 }.validate()), "invalid strategy settings: the budget must be 1 to 1024 generations, got 0");
    assert_eq!(refused(BeamSearch { n: 4, width: 0, max_rounds: 40 }.validate()), "invalid strategy settings: the beam width M must be at least 1");
    assert_eq!(refused(BeamSearch { n: 4, width: 2, max_rounds: 0 }.validate()), "invalid strategy settings: max rounds must be 1 to 100, got 0");
    assert_eq!(
        refused(LookaheadSearch { beam: BeamSearch { n: 4, width: 2, max_rounds: 40 }, k: 0 }.validate()),
        "invalid strategy settings: lookahead k must be 1 to 8 steps, got 0"
    );
    assert_eq!(refused(Revisions { chains: 0, length: 1, selection: RevisionSelection::Majority }.validate()), "invalid strategy settings: revisions need at least 1 chain of length 1");
    assert_eq!(
        refused(Revisions { chains: 64, length: 64, selection: RevisionSelection::Majority }.validate()),
        "invalid strategy settings: 64 chains × 64 attempts exceed the budget limit of 1024"
    );
}
