//! Problem domains. A [`Task`] generates seeded problems at difficulty levels 1–5, defines the
//! text of problems and step-by-step solutions, grades every step, and parses problems typed by
//! a person. Models and strategies only see text and token ids, so a second domain (Countdown)
//! plugs in by implementing this trait.

pub mod arithmetic;
pub mod heldout;
pub mod tokenizer;

pub use arithmetic::{ArithmeticChain, ChainProblem, Op};
pub use tokenizer::{Token, Tokenizer, TokenizeError};

use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// Difficulty level, 1 (easiest) to 5 (hardest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Level(u8);

impl Level {
    pub const ALL: [Level; 5] = [Level(1), Level(2), Level(3), Level(4), Level(5)];

    pub fn new(level: u8) -> Result<Self, LevelError> {
        if (1..=5).contains(&level) { Ok(Level(level)) } else { Err(LevelError(level as i64)) }
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("difficulty level {0} is out of range: levels go from 1 (easiest) to 5 (hardest)")]
pub struct LevelError(pub i64);

/// How one step of a solution was graded by the exact checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepGrade {
    Correct,
    /// The step uses the wrong left operand, operator or right operand.
    WrongOperands,
    /// The operands are right but the result is not.
    WrongResult,
    /// The line is not of the form `a op b = c`.
    Malformed,
}

/// The exact checker's verdict on a whole solution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    /// One grade per step line, in order (the answer line is not a step).
    pub steps: Vec<StepGrade>,
    /// The final answer the solution states, if it states one.
    pub answer: Option<String>,
    /// Whether that answer equals the true answer.
    pub answer_correct: bool,
}

impl Grade {
    /// Index of the first step that is not correct.
    pub fn first_error(&self) -> Option<usize> {
        self.steps.iter().position(|g| *g != StepGrade::Correct)
    }
}

/// A problem domain. Problems are plain data; all text conventions live here.
pub trait Task: Send + Sync + Debug {
    type Problem: Clone + Debug + PartialEq + Send + Sync;
    type ParseError: std::error::Error + Clone + PartialEq + Send + Sync + 'static;

    /// A short machine name, used in manifests and results.
    fn name(&self) -> &'static str;
    /// The tokenizer whose alphabet covers every problem and solution of this task.
    fn tokenizer(&self) -> Tokenizer;
    /// The `index`-th problem of `level` for `seed`; the same on every platform.
    fn generate(&self, level: Level, seed: u64, index: u64) -> Self::Problem;
    /// Parses and validates a problem typed by a person.
    fn parse(&self, input: &str) -> Result<Self::Problem, Self::ParseError>;
    /// The difficulty level a problem would be generated at (for typed problems, an estimate).
    fn level_of(&self, problem: &Self::Problem) -> Level;
    /// The problem as it appears in a model's context, ending with a newline.
    fn prompt(&self, problem: &Self::Problem) -> String;
    /// The exact reference solution: step lines, then the answer line (no end token).
    fn reference_solution(&self, problem: &Self::Problem) -> String;
    /// The true final answer.
    fn true_answer(&self, problem: &Self::Problem) -> String;
    /// Grades every step and the final answer of a (possibly unfinished) solution text.
    fn grade(&self, problem: &Self::Problem, solution: &str) -> Grade;
    /// The final answer a solution states, if any.
    fn answer_of(&self, solution: &str) -> Option<String>;
    /// The problem written for people.
    fn display(&self, problem: &Self::Problem) -> String;

    /// The start token and the problem, as every model reads it.
    fn prompt_tokens(&self, problem: &Self::Problem) -> Vec<Token> {
        let mut t = vec![Tokenizer::BOS];
        t.extend(self.tokenizer().encode(&self.prompt(problem)).expect("prompts use the task's alphabet"));
        t
    }

    /// The text of generated tokens, up to the end token; tokens outside the alphabet become '?'.
    fn text_of(&self, tokens: &[Token]) -> String {
        let tokenizer = self.tokenizer();
        tokens.iter().filter(|&&t| t != Tokenizer::EOS).map(|&t| tokenizer.char_of(t).unwrap_or('?')).collect()
    }
}
