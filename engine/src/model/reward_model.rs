//! The process reward model: transformer body with a scalar head. The head's sigmoid at the
//! last token of a step is the probability that the solution is still on track there.
//!
//! Besides the body's hidden state the head reads one more number: the log-likelihood of the
//! solution so far under the model's own language-model head (started from the generator's).
//! Wrong samples are mostly ones the generator itself found unlikely: its log-likelihood ranks
//! right above wrong samples of one problem at AUROC 0.90. A scalar head on the hidden state
//! alone did not learn to see that: trained on the same Monte-Carlo labels it ranked them no
//! better than chance (0.55).

use super::{ModelConfig, TransformerBody};
use crate::task::{ArithmeticChain, Task};
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, activation};

/// The likelihood's weight before training: a sample one nat less likely starts half a logit lower.
const INITIAL_LIKELIHOOD_WEIGHT: f32 = 0.5;

#[derive(Module, Debug)]
pub struct RewardModel {
    body: TransformerBody,
    head: Linear,
    /// Next-token logits, for the solution's log-likelihood.
    lm_head: Linear,
    /// The likelihood's weight in the score's logit ([1]).
    likelihood_weight: Param<Tensor<1>>,
}

impl RewardModel {
    pub fn init(config: &ModelConfig, device: &Device) -> Self {
        RewardModel {
            body: TransformerBody::init(config, device),
            head: LinearConfig::new(config.d_model, 1).init(device),
            lm_head: LinearConfig::new(config.d_model, config.vocab_size).init(device),
            likelihood_weight: Param::from_tensor(Tensor::from_floats([INITIAL_LIKELIHOOD_WEIGHT], device)),
        }
    }

    /// A reward model on a trained language model's body and head (the study starts its PRM
    /// from the base model).
    pub fn from_language_model(body: TransformerBody, lm_head: Linear, config: &ModelConfig, device: &Device) -> Self {
        RewardModel {
            body,
            head: LinearConfig::new(config.d_model, 1).init(device),
            lm_head,
            likelihood_weight: Param::from_tensor(Tensor::from_floats([INITIAL_LIKELIHOOD_WEIGHT], device)),
        }
    }

    /// Raw scores (logits) [B, T] at every position.
    pub fn logits(&self, tokens: Tensor<2, Int>, positions: Tensor<2, Int>, mask: Tensor<4>) -> Tensor<2> {
        let hidden = self.body.forward(tokens.clone(), positions, mask, None);
        self.scores(hidden, tokens)
    }

    /// Probabilities [B, T] that the solution is on track at every position.
    pub fn forward(&self, tokens: Tensor<2, Int>, positions: Tensor<2, Int>, mask: Tensor<4>) -> Tensor<2> {
        activation::sigmoid(self.logits(tokens, positions, mask))
    }


    /// Body, head, language-model head, and the likelihood's weight.
    pub(super) fn parts(&self) -> (&TransformerBody, &Linear, &Linear, Tensor<1>) {
        (&self.body, &self.head, &self.lm_head, self.likelihood_weight.val())
    }

    /// The token whose positions end a step: the likelihood counts from the first one on.
    pub(super) fn step_end() -> crate::task::Token {
        ArithmeticChain.tokenizer().step_end()
    }

    fn scores(&self, hidden: Tensor<3>, tokens: Tensor<2, Int>) -> Tensor<2> {
        let [b, t, _] = hidden.dims();
        let head = self.head.forward(hidden.clone()).reshape([b, t]);
        if t < 2 {
            return head;
        }
        // log p(token i + 1 | tokens ..= i) at position i, moved to position i + 1.
        let log_probs = activation::log_softmax(self.lm_head.forward(hidden), 2);
        let next = tokens.clone().slice([0..b, 1..t]).reshape([b, t - 1, 1]);
        let of_next = log_probs.slice([0..b, 0..t - 1]).gather(2, next).reshape([b, t - 1]);
        let of_token = Tensor::cat(vec![Tensor::zeros([b, 1], &of_next.device()), of_next], 1);
        // Positions after the first line break: those with a break strictly before them.
        let breaks = tokens.equal_elem(Self::step_end() as i64).float().cumsum(1);
        let before = Tensor::cat(vec![Tensor::zeros([b, 1], &breaks.device()), breaks.slice([0..b, 0..t - 1])], 1);
        let in_solution = before.greater_elem(0.0).float();
        let likelihood = (of_token * in_solution).cumsum(1);
        head + likelihood * self.likelihood_weight.val().reshape([1, 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::right_padded;
    use crate::task::Tokenizer;
    use burn::tensor::TensorData;

    /// The score's logit is the head's plus the weight times the log-likelihood of the
    /// solution's tokens so far: nothing of the prompt, each token from the position before it.
    #[test]
    fn the_likelihood_counts_the_solution_tokens_only() {
        let device = crate::backend::cpu().0;
        let tokenizer = ArithmeticChain.tokenizer();
        let config = ModelConfig::small(tokenizer.vocab_size());
        let model = RewardModel::init(&config, &device);
        let mut seq = vec![Tokenizer::BOS];
        seq.extend(tokenizer.encode("Q:12+3\n12+3=15\nA:15").unwrap());
        seq.push(Tokenizer::EOS);
        let (tokens, positions, mask, t) = right_padded(&[&seq]);
        let tokens: Tensor<2, Int> = Tensor::from_data(TensorData::new(tokens, [1, t]), &device);
        let positions: Tensor<2, Int> = Tensor::from_data(TensorData::new(positions, [1, t]), &device);
        let mask: Tensor<4> = Tensor::from_data(TensorData::new(mask, [1, 1, t, t]), &device);

        let logits: Vec<f32> = model.logits(tokens.clone(), positions.clone(), mask.clone()).into_data().iter::<f32>().collect();
        let hidden = model.body.forward(tokens, positions, mask, None);
        let head: Vec<f32> = model.head.forward(hidden.clone()).into_data().iter::<f32>().collect();
        let log_probs: Vec<f32> = activation::log_softmax(model.lm_head.forward(hidden), 2).into_data().iter::<f32>().collect();
        let v = config.vocab_size;
        let solution_from = seq.iter().position(|&s| s == tokenizer.step_end()).unwrap() + 1;
        let mut likelihood = 0.0f32;
        for i in 0..t {
            if i >= solution_from {
                likelihood += log_probs[(i - 1) * v + seq[i] as usize];
            }
            let expected = head[i] + INITIAL_LIKELIHOOD_WEIGHT * likelihood;
            assert!((logits[i] - expected).abs() < 1e-4, "position {i}: {} against {expected}", logits[i]);
        }
        assert!(likelihood < 0.0);
    }
}
