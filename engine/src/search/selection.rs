//! Choosing an answer among candidates, and aggregating a solution's step scores.

use super::Candidate;
use serde::{Deserialize, Serialize};

/// How a solution's step scores become one score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// The last step's score (what worked best in the study).
    Last,
    Min,
    Product,
}

/// How the final answer is chosen among candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// The most frequent answer.
    Majority,
    /// Best-of-N weighted: the answer with the largest summed verifier score.
    Weighted,
    /// The answer of the single best-scored candidate.
    Max,
}

crate::names::named!(Aggregation, "step aggregation" {
    Last => "last": "the last step's score",
    Min => "min": "the lowest step score",
    Product => "product": "the product of the step scores",
});

crate::names::named!(Selection, "selection" {
    Majority => "majority": "the most frequent answer",
    Weighted => "weighted": "the answer with the largest summed verifier score",
    Max => "max": "the answer of the single best-scored sample",
});

impl Selection {
    /// The vote in a few words, e.g. "weighted vote".
    pub fn vote_name(self) -> &'static str {
        match self {
            Selection::Majority => "majority vote",
            Selection::Weighted => "weighted vote",
            Selection::Max => "best-scored sample",
        }
    }
}

/// Votes and summed weight of one answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TallyEntry {
    pub answer: String,
    pub votes: usize,
    pub weight: f32,
    pub best: f32,
}

pub fn aggregate(steps: &[f32], how: Aggregation) -> f32 {
    if steps.is_empty() {
        return 0.0;
    }
    match how {
        Aggregation::Last => *steps.last().unwrap(),
        Aggregation::Min => steps.iter().copied().fold(f32::INFINITY, f32::min),
        Aggregation::Product => steps.iter().product(),
    }
}

/// Tallies the candidates' answers (candidates without an answer get no vote) and picks one.
/// Ties go to the larger weight, then to the answer seen first.
pub fn select(candidates: &[Candidate], how: Selection) -> (Option<String>, Vec<TallyEntry>) {
    let mut tally: Vec<TallyEntry> = Vec::new();
    for c in candidates {
        let Some(answer) = &c.answer else { continue };
        let score = if c.score.is_finite() { c.score } else { 0.0 };
        match tally.iter_mut().find(|t| &t.answer == answer) {
            Some(t) => {
                t.votes += 1;
                t.weight += score;
                t.best = t.best.max(score);
            }
            None => tally.push(TallyEntry { answer: answer.clone(), votes: 1, weight: score, best: score }),
        }
    }
    let key = |t: &TallyEntry| match how {
        Selection::Majority => (t.votes as f32, t.weight),
        Selection::Weighted => (t.weight, t.votes as f32),
        Selection::Max => (t.best, t.weight),
    };
    let mut best: Option<&TallyEntry> = None;
    for t in &tally {
        if best.is_none_or(|b| key(t) > key(b)) {
            best = Some(t);
        }
    }
    (best.map(|t| t.answer.clone()), tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(answer: Option<&str>, score: f32) -> Candidate {
        Candidate { sample: 0, text: String::new(), answer: answer.map(Into::into), step_scores: vec![score], score, correct: false }
    }

    #[test]
    fn each_selection_picks_its_answer() {
        // "5" has most votes, "7" the largest summed weight, "9" the single best score.
        let cs = vec![
            cand(Some("5"), 0.1),
            cand(Some("5"), 0.1),
            cand(Some("5"), 0.1),
            cand(Some("7"), 0.6),
            cand(Some("7"), 0.6),
            cand(Some("9"), 0.95),
            cand(None, 1.0),
        ];
        assert_eq!(select(&cs, Selection::Majority).0.as_deref(), Some("5"));
        assert_eq!(select(&cs, Selection::Weighted).0.as_deref(), Some("7"));
        assert_eq!(select(&cs, Selection::Max).0.as_deref(), Some("9"));
        let tally = select(&cs, Selection::Majority).1;
        assert_eq!(tally.len(), 3);
        assert_eq!(tally[0].votes, 3);
        assert!((tally[1].weight - 1.2).abs() < 1e-6);
        assert_eq!(select(&[cand(None, 0.5)], Selection::Weighted).0, None);
    }

    #[test]
    fn aggregations() {
        let s = [0.9, 0.5, 0.8];
        assert_eq!(aggregate(&s, Aggregation::Last), 0.8);
        assert_eq!(aggregate(&s, Aggregation::Min), 0.5);
        assert!((aggregate(&s, Aggregation::Product) - 0.36).abs() < 1e-6);
        assert_eq!(aggregate(&[], Aggregation::Min), 0.0);
    }
}
