//! The compute-optimal strategy on the shipped models: its second phase draws fresh samples
//! after the probe's, and a best-of-N pick keeps the probe's samples among its N.

use engine::backend;
use engine::model::weights::{self, MANIFEST_FILE, Manifest};
use engine::models::Models;
use engine::search::best_of_n::BestOfN;
use engine::search::compute_optimal::{ComputeOptimal, Pick, Policy};
use engine::search::{Common, Event, RunResult, Selection};
use engine::search::{Recipe, Strategy, Verifier, Width};
use engine::solve::{Drive, solve};
use engine::task::{ArithmeticChain, Task};
use std::path::PathBuf;

fn shipped() -> Models {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/models"));
    let manifest = Manifest::parse(MANIFEST_FILE, &std::fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap()).unwrap();
    Models::from_manifest(manifest, |f| std::fs::read(dir.join(f)).map_err(|e| weights::WeightsError::Read { file: f.into(), detail: e.to_string() }), &backend::cpu().0).unwrap()
}

/// One configuration in every bin, from budget 1.
fn everywhere(config: Recipe) -> Policy {
    let mut p = Policy::study_findings();
    p.choices = std::array::from_fn(|_| vec![Pick { from_budget: 1, config }]);
    p
}

fn run(models: &Models, strategy: Strategy, events: &mut Vec<Event>) -> RunResult {
    let problem = ArithmeticChain.parse("46-27*8-10").unwrap();
    let common = Common { seed: 7, temperature: 1.0, ..Common::default() };
    let mut sink = |e: Event| events.push(e);
    pollster::block_on(solve(models, &problem, &strategy, common, Verifier::Prm, Drive::default(), &mut sink)).unwrap()
}

#[test]
fn a_best_of_n_pick_is_best_of_n_over_the_whole_budget() {
    let models = shipped();
    let majority = Recipe::BestOfN { selection: Selection::Majority };
    let mut co_events = Vec::new();
    let co = run(&models, Strategy::ComputeOptimal(ComputeOptimal { budget: 16, policy: everywhere(majority) }), &mut co_events);
    let mut events = Vec::new();
    let problem = ArithmeticChain.parse("46-27*8-10").unwrap();
    let common = Common { seed: 7, temperature: 1.0, selection: Selection::Majority, ..Common::default() };
    let mut sink = |e: Event| events.push(e);
    let plain = pollster::block_on(solve(&models, &problem, &Strategy::BestOfN(BestOfN { n: 16 }), common, Verifier::Prm, Drive::default(), &mut sink)).unwrap();

    let texts = |r: &RunResult| r.candidates.iter().map(|c| (c.sample, c.text.clone())).collect::<Vec<_>>();
    assert_eq!(texts(&co), texts(&plain), "the probe's 4 samples and the 12 after them are best-of-16's samples");
    assert_eq!(co.chosen, plain.chosen);
    // The same votes; the weights to float rounding (the CPU's matrix products round the last
    // bit differently in batches of other sizes, and the probe scores 4 samples, then 12).
    let votes = |r: &RunResult| r.tally.iter().map(|e| (e.answer.clone(), e.votes)).collect::<Vec<_>>();
    assert_eq!(votes(&co), votes(&plain));
    for (a, b) in co.tally.iter().zip(&plain.tally) {
        assert!((a.weight - b.weight).abs() < 1e-5 && (a.best - b.best).abs() < 1e-5, "{a:?} against {b:?}");
    }
    assert_eq!(co.compute.generations, 16);
    let distinct: std::collections::HashSet<_> = co.candidates.iter().map(|c| c.sample).collect();
    assert_eq!(distinct.len(), 16);
    // One answer on the stream: the vote over all 16.
    assert_eq!(co_events.iter().filter(|e| matches!(e, Event::AnswerChosen { .. })).count(), 1);
}

#[test]
fn a_search_pick_runs_on_fresh_samples_after_the_probe() {
    let models = shipped();
    let mut events = Vec::new();
    let co = run(&models, Strategy::ComputeOptimal(ComputeOptimal { budget: 16, policy: everywhere(Recipe::Beam { width: Width::Fixed(4) }) }), &mut events);
    assert!(co.strategy.contains("beam search N=12 M=4"), "{}", co.strategy);
    assert!(co.candidates.iter().all(|c| c.sample >= 4), "the probe's samples are 0–3");
    let started: Vec<usize> = events.iter().filter_map(|e| if let Event::SampleStarted { sample, .. } = e { Some(*sample) } else { None }).collect();
    let distinct: std::collections::HashSet<_> = started.iter().collect();
    assert_eq!(distinct.len(), started.len(), "every sample is numbered once: {started:?}");
    assert_eq!(co.compute.generations, 16);
}
