//! The step-by-step search loop shared by beam search, lookahead search and diverse verifier
//! tree search: extend every live beam by one step, score it with the verifier, set aside the
//! finished ones, keep the best per group and expand each kept beam into several.

use super::{Candidate, Run, RunResult, SearchError};
use crate::infer::{Generator, RowStart, Scorer, ScoreItem, StopAt};
use crate::task::Task;
use super::aggregate;

pub(crate) struct TreeSearch {
    pub name: &'static str,
    /// Beams alive at once (the budget N).
    pub beams: usize,
    /// Independent groups (1 for beam search, N/M subtrees for DVTS).
    pub groups: usize,
    /// Beams each group keeps after a round.
    pub keep: usize,
    /// Copies of each kept beam in the next round (M).
    pub expand: usize,
    /// A group stops once this many of its beams have finished.
    pub group_target: usize,
    /// Greedy steps rolled out before scoring a candidate step (0: none).
    pub lookahead: usize,
    pub max_rounds: usize,
    /// Generations charged, in the study's accounting.
    pub cost: u64,
}

struct Beam {
    sample: usize,
    group: usize,
}

impl TreeSearch {
    pub async fn run<T: Task, G: Generator, S: Scorer>(&self, run: &mut Run<'_, T>, generator: &mut G, scorer: &mut S) -> Result<RunResult, SearchError> {
        let prompt = run.prompt_tokens();
        let per_group = self.beams / self.groups;
        let mut beams: Vec<Beam> = (0..self.groups * per_group).map(|i| Beam { sample: run.new_sample(None), group: i / per_group }).collect();
        let starts = beams.iter().map(|b| RowStart { context: prompt.clone(), seed: run.seed_for(b.sample, 0) }).collect();
        generator.start(starts).await?;
        let temperature = run.common.temperature;
        let aggregation = run.common.aggregation;
        let mut completed: Vec<Candidate> = Vec::new();
        let mut finished_in_group = vec![0usize; self.groups];
        let mut group_done = vec![false; self.groups];
        let mut round = 0;
        loop {
            let ids: Vec<usize> = beams.iter().map(|b| b.sample).collect();
            run.extend(generator, &ids, StopAt::StepEnd, temperature).await?;
            let solutions: Vec<_> = generator.rows().iter().map(|r| r.generated().to_vec()).collect();
            let scores = run.score(scorer, &ids, &solutions).await?;
            let mut rank: Vec<f32> = scores.iter().map(|s| aggregate(s, aggregation)).collect();
            let unfinished: Vec<usize> = (0..beams.len()).filter(|&i| generator.rows()[i].finished.is_none()).collect();
            if self.lookahead > 0 && !unfinished.is_empty() && round + 1 < self.max_rounds {
                for (i, score) in unfinished.iter().zip(self.look_ahead(run, generator, scorer, &unfinished).await?) {
                    rank[*i] = score;
                }
            }
            run.report_compute(0, &[(generator.stats(), generator.parameters())], (scorer.tokens_scored(), scorer.parameters()));
            round += 1;
            let last_round = round >= self.max_rounds;
            let mut next: Vec<(usize, usize)> = Vec::new(); // (row, group) kept
            for g in 0..self.groups {
                let members: Vec<usize> = (0..beams.len()).filter(|&i| beams[i].group == g).collect();
                for &i in &members {
                    if generator.rows()[i].finished.is_some() || last_round {
                        completed.push(run.candidate(beams[i].sample, &solutions[i], scores[i].clone()));
                        finished_in_group[g] += 1;
                    }
                }
                let mut alive: Vec<usize> = members.into_iter().filter(|&i| generator.rows()[i].finished.is_none() && !last_round).collect();
                alive.sort_by(|&a, &b| rank[b].total_cmp(&rank[a]).then(a.cmp(&b)));
                let keep = if group_done[g] || finished_in_group[g] >= self.group_target { 0 } else { self.keep };
                group_done[g] |= keep == 0 || alive.is_empty();
                for (pos, &i) in alive.iter().enumerate() {
                    if pos < keep {
                        next.push((i, g));
                    } else {
                        run.sink.emit(super::Event::BeamPruned { sample: beams[i].sample, round });
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            let mut rows = Vec::new();
            let mut seeds = Vec::new();
            let mut new_beams = Vec::new();
            for &(i, g) in &next {
                for copy in 0..self.expand {
                    let sample = if copy == 0 { beams[i].sample } else { run.new_sample(Some(beams[i].sample)) };
                    rows.push(i);
                    seeds.push(run.seed_for(sample, round as u64));
                    new_beams.push(Beam { sample, group: g });
                }
            }
            generator.select(&rows, &seeds)?;
            beams = new_beams;
        }
        let compute = run.report_compute(self.cost, &[(generator.stats(), generator.parameters())], (scorer.tokens_scored(), scorer.parameters()));
        Ok(run.finish(self.name, run.common.selection, completed, compute))
    }

    /// Rolls each unfinished row out `lookahead` more steps greedily on a copy and returns the
    /// verifier's score where the rollout stops. The copies are dropped afterwards.
    async fn look_ahead<T: Task, G: Generator, S: Scorer>(&self, run: &mut Run<'_, T>, generator: &mut G, scorer: &mut S, rows: &[usize]) -> Result<Vec<f32>, SearchError> {
        let n = generator.rows().len();
        let mut order: Vec<usize> = (0..n).collect();
        order.extend_from_slice(rows);
        // Rollouts are greedy, so these seeds only fill the slots; the originals are reseeded
        // when the search expands them.
        let seeds: Vec<u64> = order.iter().enumerate().map(|(i, _)| run.seed_for(i, u64::MAX)).collect();
        generator.select(&order, &seeds)?;
        let only: Vec<bool> = (0..order.len()).map(|i| i >= n).collect();
        for _ in 0..self.lookahead {
            run.cancel.check()?;
            generator.extend(StopAt::StepEnd, 0.0, Some(&only), &mut |_, _| {}).await?;
        }
        let context = run.prompt_tokens();
        let items: Vec<ScoreItem> = generator.rows()[n..].iter().map(|r| ScoreItem { context: context.clone(), solution: r.generated().to_vec() }).collect();
        let scores = scorer.score(&items).await?;
        let original: Vec<usize> = (0..n).collect();
        generator.select(&original, &seeds[..n])?;
        Ok(scores.iter().map(|s| s.last().copied().unwrap_or(0.0)).collect())
    }
}
