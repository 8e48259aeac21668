//! Training examples and the padded tensors built from them.

use crate::infer::right_padded;
use crate::task::Token;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// A language-model example: the model learns to predict `tokens[i]` for every
/// `i >= loss_from` (the solution and end token; the start token and problem are context).
#[derive(Clone, Debug, PartialEq)]
pub struct LmExample {
    pub tokens: Vec<Token>,
    pub loss_from: usize,
}

/// A reward-model example: targets in 0..1 at chosen positions (the ends of steps).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrmExample {
    pub tokens: Vec<Token>,
    pub targets: Vec<(usize, f32)>,
}

impl PrmExample {
    /// The example cut to its first `max_len` tokens, with the targets that remain.
    pub fn within(mut self, max_len: usize) -> Self {
        self.tokens.truncate(max_len);
        self.targets.retain(|&(pos, _)| pos < max_len);
        self
    }
}

/// Right-padded model inputs for a batch. `weights` is 1 where a target counts.
pub struct Batch {
    pub tokens: Tensor<2, Int>,
    pub positions: Tensor<2, Int>,
    pub mask: Tensor<4>,
    /// Next-token ids (language model) as [B, T].
    pub next: Option<Tensor<2, Int>>,
    /// Soft targets (reward model) as [B, T].
    pub soft: Option<Tensor<2>>,
    pub weights: Tensor<2>,
    /// Tokens run through the model (without padding).
    pub tokens_in: usize,
    /// Positions that carry a loss.
    pub targets: usize,
}

/// Right-padded tokens, positions and causal mask [b, 1, t, t] of `seqs` (see [`right_padded`]),
/// with t and the number of real tokens.
fn inputs(seqs: &[&[Token]], device: &Device) -> (Tensor<2, Int>, Tensor<2, Int>, Tensor<4>, usize, usize) {
    let b = seqs.len();
    let (tokens, positions, mask, t) = right_padded(seqs);
    (
        Tensor::from_data(TensorData::new(tokens, [b, t]), device),
        Tensor::from_data(TensorData::new(positions, [b, t]), device),
        Tensor::<4>::from_data(TensorData::new(mask, [1, 1, t, t]), device).expand([b, 1, t, t]),
        t,
        seqs.iter().map(|s| s.len()).sum(),
    )
}

impl Batch {
    /// Inputs are every token but the last; the target at position i is token i + 1.
    pub fn language_model(examples: &[LmExample], device: &Device) -> Batch {
        let seqs: Vec<&[Token]> = examples.iter().map(|e| &e.tokens[..e.tokens.len().saturating_sub(1)]).collect();
        let (tokens, positions, mask, t, tokens_in) = inputs(&seqs, device);
        let b = examples.len();
        let mut next = vec![0i64; b * t];
        let mut weights = vec![0.0f32; b * t];
        let mut targets = 0;
        for (r, e) in examples.iter().enumerate() {
            for i in 1..e.tokens.len() {
                next[r * t + i - 1] = e.tokens[i] as i64;
                if i >= e.loss_from {
                    weights[r * t + i - 1] = 1.0;
                    targets += 1;
                }
            }
        }
        Batch {
            tokens,
            positions,
            mask,
            next: Some(Tensor::from_data(TensorData::new(next, [b, t]), device)),
            soft: None,
            weights: Tensor::from_data(TensorData::new(weights, [b, t]), device),
            tokens_in,
            targets,
        }
    }

    pub fn reward_model(examples: &[PrmExample], device: &Device) -> Batch {
        let seqs: Vec<&[Token]> = examples.iter().map(|e| e.tokens.as_slice()).collect();
        let (tokens, positions, mask, t, tokens_in) = inputs(&seqs, device);
        let b = examples.len();
        let mut soft = vec![0.0f32; b * t];
        let mut weights = vec![0.0f32; b * t];
        let mut targets = 0;
        for (r, e) in examples.iter().enumerate() {
            for &(pos, y) in &e.targets {
                if pos < e.tokens.len() {
                    soft[r * t + pos] = y;
                    weights[r * t + pos] = 1.0;
                    targets += 1;
                }
            }
        }
        Batch {
            tokens,
            positions,
            mask,
            next: None,
            soft: Some(Tensor::from_data(TensorData::new(soft, [b, t]), device)),
            weights: Tensor::from_data(TensorData::new(weights, [b, t]), device),
            tokens_in,
            targets,
        }
    }
}
