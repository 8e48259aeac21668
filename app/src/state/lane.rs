//! A lane's state, folded from the engine's event stream: samples growing token by token,
//! their step scores and verdicts, pruned beams, revision chains, the tally and the compute.

use engine::search::{Compute, Event, TallyEntry};

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
