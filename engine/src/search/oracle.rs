//! The oracle verifier: the exact checker in place of the PRM, to show what a perfect verifier
//! would buy. A step scores 1 while it and every earlier step are right; the answer scores 1
//! when it is the true answer.

use crate::infer::{InferError, ScoreItem, Scorer, step_ends};
use crate::task::{StepGrade, Task, Tokenizer};

pub struct OracleScorer<'a, T: Task> {
    task: &'a T,
    problem: &'a T::Problem,
    tokenizer: Tokenizer,
}

impl<'a, T: Task> OracleScorer<'a, T> {
    pub fn new(task: &'a T, problem: &'a T::Problem) -> Self {
        OracleScorer { task, problem, tokenizer: task.tokenizer() }
    }
}

/// The exact checker's verdict on each of the first `n` scored positions of a solution: its
/// step lines (right, with every earlier step right) and then its answer line.
pub fn step_verdicts<T: Task>(task: &T, problem: &T::Problem, solution: &str, n: usize) -> Vec<bool> {
    let grade = task.grade(problem, solution);
    let mut on_track = true;
    let mut out: Vec<bool> = grade
        .steps
        .iter()
        .map(|g| {
            on_track &= *g == StepGrade::Correct;
            on_track
        })
        .collect();
    if grade.answer.is_some() {
        out.push(grade.answer_correct);
    }
    out.resize(n, false);
    out
}

impl<T: Task> Scorer for OracleScorer<'_, T> {
    async fn score(&mut self, items: &[ScoreItem]) -> Result<Vec<Vec<f32>>, InferError> {
        let step_end = self.tokenizer.step_end();
        Ok(items
            .iter()
            .map(|it| {
                let text: String = it.solution.iter().filter_map(|&t| self.tokenizer.char_of(t)).collect();
                let n = step_ends(&it.solution, step_end).len();
                step_verdicts(self.task, self.problem, &text, n).into_iter().map(|ok| if ok { 1.0 } else { 0.0 }).collect()
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
