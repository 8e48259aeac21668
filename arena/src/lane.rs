//! A lane's state, folded from the engine's event stream: samples growing token by token,
//! their step scores and verdicts, pruned beams, revision chains, the tally and the compute.

use engine::search::{Compute, Event, TallyEntry};
use serde::{Deserialize, Serialize};

/// News of one lane's run, as its runner ([`crate::run::run_lane`]) sends it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum LaneUpdate {
    /// The lane's knobs are invalid: it does not run.
    Invalid(String),
    Started,
    Events(Vec<Event>),
    /// `failed`: the run ended with an error other than being stopped; the front end starts
    /// the engine afresh so the next run does too (a lost GPU device, for one).
    Finished { seconds: f64, error: Option<String>, failed: bool },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Step {
    pub score: Option<f32>,
    /// The exact checker's verdict, known once the step is scored.
    pub correct: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub id: usize,
    pub parent: Option<usize>,
    /// Text inherited from the parent beam when this sample forked from it.
    pub inherited: usize,
    pub text: String,
    pub steps: Vec<Step>,
    pub pruned: bool,
    /// Revision chain and attempt number, for revision lanes.
    pub chain: Option<(usize, usize)>,
    pub finished: Option<Finished>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub answer: Option<String>,
    pub score: f32,
    pub correct: bool,
}

impl Sample {
    /// The text split into steps (lines), each with its score and verdict when known.
    pub fn lines(&self) -> Vec<(String, Step)> {
        let mut out: Vec<(String, Step)> = Vec::new();
        for (i, line) in self.text.split('\n').enumerate() {
            if line.is_empty() && i > 0 && i == self.text.matches('\n').count() {
                break; // the step in progress has not started yet
            }
            out.push((line.to_string(), self.steps.get(i).cloned().unwrap_or_default()));
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chosen {
    pub answer: Option<String>,
    pub correct: bool,
    pub tally: Vec<TallyEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub mean_score: Option<f32>,
    pub bin: usize,
    pub picked: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LaneState {
    pub running: bool,
    pub budget: u64,
    pub samples: Vec<Sample>,
    pub compute: Compute,
    pub chosen: Option<Chosen>,
    pub prediction: Option<Prediction>,
    pub error: Option<String>,
    /// Wall time of the finished run, in seconds.
    pub seconds: Option<f64>,
}

impl LaneState {
    fn sample(&mut self, id: usize) -> &mut Sample {
        if id >= self.samples.len() {
            let start = self.samples.len();
            self.samples.extend((start..=id).map(|i| Sample { id: i, ..Sample::default() }));
        }
        &mut self.samples[id]
    }

    pub fn apply(&mut self, event: Event) {
        match event {
            Event::RunStarted { budget, .. } => self.budget = budget,
            Event::SampleStarted { sample, parent } => {
                let (text, steps) = match parent.and_then(|p| self.samples.get(p)) {
                    Some(p) => (p.text.clone(), p.steps.clone()),
                    None => (String::new(), Vec::new()),
                };
                let s = self.sample(sample);
                s.parent = parent;
                s.inherited = text.len();
                s.text = text;
                s.steps = steps;
            }
            Event::Tokens { sample, text } => self.sample(sample).text.push_str(&text),
            Event::StepScored { sample, step, score, correct } => {
                let s = self.sample(sample);
                if s.steps.len() <= step {
                    s.steps.resize(step + 1, Step::default());
                }
                s.steps[step] = Step { score: Some(score), correct: Some(correct) };
            }
            Event::BeamPruned { sample, .. } => self.sample(sample).pruned = true,
            Event::RevisionStarted { chain, attempt, sample } => {
                // A revision is a fresh attempt: its parent is the attempt before, not a prefix.
                let s = self.sample(sample);
                s.chain = Some((chain, attempt));
                s.text.clear();
                s.steps.clear();
                s.inherited = 0;
            }
            Event::SampleFinished { sample, answer, score, correct } => self.sample(sample).finished = Some(Finished { answer, score, correct }),
            Event::AnswerChosen { answer, correct, tally } => self.chosen = Some(Chosen { answer, correct, tally }),
            Event::ComputeSpent { compute } => self.compute = compute,
            Event::DifficultyPredicted { mean_score, bin, picked } => self.prediction = Some(Prediction { mean_score, bin, picked }),
        }
    }

    /// Applies one update of the lane's run.
    pub fn update(&mut self, update: LaneUpdate) {
        match update {
            LaneUpdate::Invalid(e) => self.error = Some(e),
            LaneUpdate::Started => self.running = true,
            LaneUpdate::Events(events) => events.into_iter().for_each(|e| self.apply(e)),
            LaneUpdate::Finished { seconds, error, .. } => {
                self.running = false;
                self.seconds = Some(seconds);
                self.error = error;
            }
        }
    }

    /// The run ended from outside (Stop, a crash), for `why`.
    pub fn end(&mut self, why: &str) {
        self.running = false;
        self.error = Some(why.to_string());
    }

    /// Tokens seen so far (for the live counter before the next compute report).
    pub fn tokens_seen(&self) -> u64 {
        self.samples.iter().map(|s| (s.text.len() - s.inherited.min(s.text.len())) as u64).sum()
    }

    /// Revision chains as rows of sample indices, in attempt order.
    pub fn chains(&self) -> Vec<Vec<usize>> {
        let mut chains: Vec<Vec<(usize, usize)>> = Vec::new();
        for s in &self.samples {
            if let Some((c, a)) = s.chain {
                if chains.len() <= c {
                    chains.resize(c + 1, Vec::new());
                }
                chains[c].push((a, s.id));
            }
        }
        chains
            .into_iter()
            .map(|mut c| {
                c.sort();
                c.into_iter().map(|(_, id)| id).collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::search::Event::*;

    fn tokens(sample: usize, text: &str) -> Event {
        Tokens { sample, text: text.into() }
    }

    #[test]
    fn a_beam_run_forks_prunes_scores_and_tallies() {
        let mut lane = LaneState::default();
        lane.update(LaneUpdate::Started);
        let events = vec![
            RunStarted { strategy: "beam".into(), budget: 2 },
            SampleStarted { sample: 0, parent: None },
            SampleStarted { sample: 1, parent: None },
            tokens(0, "5+0=5\n"),
            tokens(1, "5+0=6\n"),
            StepScored { sample: 0, step: 0, score: 0.9, correct: true },
            StepScored { sample: 1, step: 0, score: 0.2, correct: false },
            BeamPruned { sample: 1, round: 0 },
            // The kept beam forks: the child starts from its parent's text and scores.
            SampleStarted { sample: 2, parent: Some(0) },
            tokens(2, "A:5"),
            StepScored { sample: 2, step: 1, score: 0.8, correct: true },
            SampleFinished { sample: 2, answer: Some("5".into()), score: 0.8, correct: true },
            AnswerChosen { answer: Some("5".into()), correct: true, tally: vec![TallyEntry { answer: "5".into(), votes: 1, weight: 0.8, best: 0.8 }] },
            ComputeSpent { compute: Compute { generations: 2, tokens_generated: 15, ..Compute::default() } },
        ];
        lane.update(LaneUpdate::Events(events));
        assert!(lane.running);
        assert_eq!(lane.budget, 2);
        assert!(lane.samples[1].pruned && !lane.samples[0].pruned);
        let child = &lane.samples[2];
        assert_eq!((child.parent, child.inherited, child.text.as_str()), (Some(0), 6, "5+0=5\nA:5"));
        let lines = child.lines();
        assert_eq!(lines.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["5+0=5", "A:5"]);
        assert_eq!(lines[0].1, Step { score: Some(0.9), correct: Some(true) }, "the inherited step keeps its score");
        assert_eq!(lane.samples[1].lines()[0].1.correct, Some(false));
        assert_eq!(child.finished.as_ref().map(|f| f.correct), Some(true));
        assert_eq!(lane.chosen.as_ref().and_then(|c| c.answer.clone()).as_deref(), Some("5"));
        // Tokens seen count only what each sample wrote itself, not what it inherited.
        assert_eq!(lane.tokens_seen(), 6 + 6 + 3);
        assert_eq!(lane.compute.generations, 2);
        lane.update(LaneUpdate::Finished { seconds: 1.5, error: None, failed: false });
        assert!(!lane.running && lane.seconds == Some(1.5) && lane.error.is_none());
    }

    #[test]
    fn revision_chains_come_out_in_attempt_order() {
        let mut lane = LaneState::default();
        lane.update(LaneUpdate::Events(vec![
            RevisionStarted { chain: 1, attempt: 0, sample: 0 },
            tokens(0, "1+1=3\nA:3"),
            RevisionStarted { chain: 0, attempt: 0, sample: 1 },
            RevisionStarted { chain: 1, attempt: 1, sample: 2 },
            // A revision starts empty, whatever sample numbering it reuses.
            SampleStarted { sample: 2, parent: Some(0) },
            RevisionStarted { chain: 1, attempt: 1, sample: 2 },
            tokens(2, "1+1=2"),
        ]));
        assert_eq!(lane.chains(), vec![vec![1], vec![0, 2]]);
        assert_eq!(lane.samples[2].text, "1+1=2");
        assert_eq!(lane.samples[2].chain, Some((1, 1)));
    }

    #[test]
    fn a_line_in_progress_shows_and_a_finished_line_does_not_add_an_empty_one() {
        let s = Sample { text: "2+2=4\n".into(), ..Sample::default() };
        assert_eq!(s.lines().len(), 1);
        let s = Sample { text: "2+2=4\nA:".into(), ..Sample::default() };
        assert_eq!(s.lines().len(), 2);
    }

    #[test]
    fn invalid_knobs_and_outside_ends_say_why() {
        let mut lane = LaneState::default();
        lane.update(LaneUpdate::Invalid("beam width 0".into()));
        assert_eq!(lane.error.as_deref(), Some("beam width 0"));
        lane.update(LaneUpdate::Started);
        lane.end("stopped");
        assert!(!lane.running);
        assert_eq!(lane.error.as_deref(), Some("stopped"));
    }
}
