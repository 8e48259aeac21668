//! Batched scoring with the process reward model.

use super::{CancelToken, InferError, Pause, ScoreItem, Scorer, right_padded, step_ends};
use crate::model::{HostRewardModel, ModelConfig, RewardModel, on_cpu};
use crate::task::{Token, Tokenizer};
use burn::tensor::{Device, Tensor, TensorData};

/// Sequences scored in one forward pass.
pub const SCORE_CHUNK: usize = 32;

pub struct PrmScorer<'m> {
    model: &'m RewardModel,
    /// The model in host memory on burn's CPU backend: its forward pass runs there.
    host: Option<HostRewardModel>,
    config: ModelConfig,
    device: Device,
    step_end: Token,
    tokens_scored: u64,
    cancel: CancelToken,
    pause: Option<Pause>,
}

impl<'m> PrmScorer<'m> {
    pub fn new(model: &'m RewardModel, config: &ModelConfig, tokenizer: &Tokenizer, device: &Device) -> Self {
        PrmScorer {
            model,
            host: on_cpu(device).then(|| HostRewardModel::new(model, config)),
            config: config.clone(),
            device: device.clone(),
            step_end: tokenizer.step_end(),
            tokens_scored: 0,
            cancel: CancelToken::new(),
            pause: None,
        }
    }

    /// Checks `cancel` before every chunk and awaits `pause` after it (see [`Pause`]).
    pub fn with_drive(mut self, cancel: CancelToken, pause: Option<Pause>) -> Self {
        self.cancel = cancel;
        self.pause = pause;
        self
    }

    /// Probabilities [B][T] at every position of right-padded sequences.
    async fn forward(&mut self, seqs: &[Vec<Token>]) -> Result<Vec<Vec<f32>>, InferError> {
        let b = seqs.len();
        self.tokens_scored += seqs.iter().map(|s| s.len() as u64).sum::<u64>();
        let rows: Vec<&[Token]> = seqs.iter().map(Vec::as_slice).collect();
        let (tokens, positions, mask, t) = right_padded(&rows);
        if let Some(host) = &self.host {
            let tokens: Vec<Token> = tokens.iter().map(|&t| t as Token).collect();
            let probs = host.forward(&tokens, t, &mask);
            return Ok(probs.chunks(t.max(1)).map(|c| c.to_vec()).collect());
        }
        let tokens = Tensor::from_data(TensorData::new(tokens, [b, t]), &self.device);
        let positions = Tensor::from_data(TensorData::new(positions, [b, t]), &self.device);
        let mask: Tensor<4> = Tensor::from_data(TensorData::new(mask, [1, 1, t, t]), &self.device);
        let probs = self.model.forward(tokens, positions, mask.expand([b, 1, t, t]));
        let data = probs.into_data_async().await.map_err(|e| InferError::Readback(format!("{e:?}")))?;
        let flat: Vec<f32> = data.iter::<f32>().collect();
        Ok(flat.chunks(t.max(1)).map(|c| c.to_vec()).collect())
    }
}

impl Scorer for PrmScorer<'_> {
    async fn score(&mut self, items: &[ScoreItem]) -> Result<Vec<Vec<f32>>, InferError> {
        let mut out = Vec::with_capacity(items.len());
        for chunk in items.chunks(SCORE_CHUNK) {
            self.cancel.check()?;
            let seqs: Vec<Vec<Token>> = chunk
                .iter()
                .map(|it| {
                    let mut s = it.context.clone();
                    s.extend_from_slice(&it.solution);
                    s
                })
                .collect();
            if let Some(long) = seqs.iter().find(|s| s.len() > self.config.max_len) {
                return Err(InferError::Invalid(format!(
                    "a solution of {} tokens is longer than the verifier's {} positions",
                    long.len(),
                    self.config.max_len
                )));
            }
            let probs = self.forward(&seqs).await?;
            if let Some(pause) = &self.pause {
                pause().await;
            }
            for (it, p) in chunk.iter().zip(probs) {
                let base = it.context.len();
                out.push(step_ends(&it.solution, self.step_end).into_iter().map(|i| p[base + i]).collect());
            }
        }
        Ok(out)
    }

    fn tokens_scored(&self) -> u64 {
        self.tokens_scored
    }

    fn parameters(&self) -> usize {
        self.config.prm_params()
    }
}
