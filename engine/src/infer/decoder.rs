//! Batched decoding with a preallocated KV cache.
//!
//! Rows share the cache's time slots. Every unfinished row holds exactly one *pending* token
//! (its last token, not yet fed to the model). A decode step feeds the pending token of every
//! running row at the current slot and samples the next one; rows that are parked (waiting at
//! the end of a step) or finished leave the slot unused and masked. Prompts are prefilled once
//! per distinct context and shared across the rows that start from it.

use super::sampling::{forbidden_bias, sample, sample_on_host};
use super::{CancelToken, FinishReason, Generator, InferError, Row, RowStart, StopAt};
use crate::model::{CacheAttention, HostInput, HostLanguageModel, KvCache, LanguageModel, MASK_VALUE, ModelConfig, on_cpu};
use crate::task::{Token, Tokenizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// Rows prefilled together; bounds the [rows, heads, T, T] attention scores of a prefill.
const PREFILL_CHUNK: usize = 8;

/// WebGPU's guaranteed `maxStorageBufferBindingSize` (128 MiB): no buffer of the cache may
/// exceed it, so a batch whose cache would is split into parts that each stay below.
pub const MAX_CACHE_PART_BYTES: usize = 128 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Most tokens one row may generate in total.
    pub max_new_tokens: usize,
    /// Most tokens in one step (line).
    pub max_step_tokens: usize,
    /// Largest buffer of the KV cache (one layer's keys or values for the rows of one part);
    /// a batch past it is decoded in several parts.
    pub max_cache_part_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits { max_new_tokens: 200, max_step_tokens: 32, max_cache_part_bytes: MAX_CACHE_PART_BYTES }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Tokens sampled.
    pub tokens_generated: u64,
    /// Context tokens run through the model to fill the cache.
    pub tokens_prefilled: u64,
    /// Batched decode steps.
    pub decode_steps: u64,
    /// Device-to-host read-backs (one per decode step).
    pub readbacks: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Running,
    Parked,
    Finished,
}

/// The inputs of a prefill of `contexts`, each left-padded to `t0` tokens: token ids and
/// positions (`[n, t0]`, positions counted from each context's first token) and the additive
/// causal mask (`[n, 1, t0, t0]`, padding masked).
pub fn left_padded(contexts: &[&[Token]], t0: usize) -> (Vec<i64>, Vec<i64>, Vec<f32>) {
    let n = contexts.len();
    let mut tokens = vec![Tokenizer::PAD as i64; n * t0];
    let mut positions = vec![0i64; n * t0];
    let mut mask = vec![MASK_VALUE; n * t0 * t0];
    for (r, context) in contexts.iter().enumerate() {
        let pad = t0 - context.len();
        for (j, &token) in context.iter().enumerate() {
            tokens[r * t0 + pad + j] = token as i64;
            positions[r * t0 + pad + j] = j as i64;
        }
        for q in pad..t0 {
            for k in pad..=q {
                mask[(r * t0 + q) * t0 + k] = 0.0;
            }
        }
    }
    (tokens, positions, mask)
}

/// Right-padded inputs for whole sequences read at once (PRM scoring, training): tokens and
/// positions [B, T] and one causal mask [T, T] for every row, with T the longest sequence.
/// Padding sits after each row's end, so the causal mask alone keeps real positions off it.
pub fn right_padded(seqs: &[&[Token]]) -> (Vec<i64>, Vec<i64>, Vec<f32>, usize) {
    let b = seqs.len();
    let t = seqs.iter().map(|s| s.len()).max().unwrap_or(1).max(1);
    let mut tokens = vec![Tokenizer::PAD as i64; b * t];
    let mut positions = vec![0i64; b * t];
    for (r, s) in seqs.iter().enumerate() {
        for (j, &token) in s.iter().enumerate() {
            tokens[r * t + j] = token as i64;
            positions[r * t + j] = j as i64;
        }
    }
    let mut mask = vec![0.0f32; t * t];
    for q in 0..t {
        for k in q + 1..t {
            mask[q * t + k] = MASK_VALUE;
        }
    }
    (tokens, positions, mask, t)
}

pub struct Decoder<'m> {
    model: &'m LanguageModel,
    /// The model in host memory on burn's CPU backend: its forward pass runs there.
    host: Option<HostLanguageModel>,
    config: ModelConfig,
    device: Device,
    step_end: Token,
    limits: DecodeLimits,
    cancel: CancelToken,
    bias: Tensor<2>,
    rows: Vec<Row>,
    states: Vec<State>,
    rngs: Vec<ChaCha8Rng>,
    /// Tokens generated in the current step, per row.
    step_tokens: Vec<usize>,
    /// Next position (number of tokens fed) per row.
    positions: Vec<usize>,
    /// Which cache slots hold a token of each row.
    valid: Vec<Vec<bool>>,
    /// The cache in parts of [`Self::part_rows`] rows (the last may hold fewer).
    caches: Vec<KvCache>,
    slot: usize,
    stats: DecodeStats,
    pause: Option<super::Pause>,
    cache_attention: CacheAttention,
}

impl<'m> Decoder<'m> {
    pub fn new(model: &'m LanguageModel, config: &ModelConfig, tokenizer: &Tokenizer, device: &Device, limits: DecodeLimits, cancel: CancelToken) -> Self {
        Decoder {
            model,
            host: on_cpu(device).then(|| HostLanguageModel::new(model, config)),
            config: config.clone(),
            device: device.clone(),
            step_end: tokenizer.step_end(),
            limits,
            cancel,
            bias: forbidden_bias(config.vocab_size, device),
            rows: Vec::new(),
            states: Vec::new(),
            rngs: Vec::new(),
            step_tokens: Vec::new(),
            positions: Vec::new(),
            valid: Vec::new(),
            caches: Vec::new(),
            slot: 0,
            stats: DecodeStats::default(),
            pause: None,
            cache_attention: CacheAttention::default(),
        }
    }

    /// How a cache of burn tensors is attended on wgpu (the hand-written kernel by default);
    /// set before [`Self::start`].
    pub fn with_cache_attention(mut self, attention: CacheAttention) -> Self {
        self.cache_attention = attention;
        self
    }

    /// Awaits `pause` after every decode step (see [`super::Pause`]).
    pub fn with_pause(mut self, pause: Option<super::Pause>) -> Self {
        self.pause = pause;
        self
    }

    /// Rows per part of the cache: as many as fit [`DecodeLimits::max_cache_part_bytes`].
    fn part_rows(&self) -> usize {
        (self.limits.max_cache_part_bytes / KvCache::row_bytes(&self.config, self.config.max_len).max(1)).max(1)
    }

    fn int_tensor(&self, values: Vec<i64>, shape: [usize; 2]) -> Tensor<2, Int> {
        Tensor::from_data(TensorData::new(values, shape), &self.device)
    }

    /// Refills the cache from every row's fed tokens (all but the pending one). Rows with the
    /// same context are prefilled once and then copied. A finished row never decodes again,
    /// so it keeps only its first token: one that ended at the model's last position would
    /// not fit otherwise, and would stop the rows still decoding.
    fn rebuild(&mut self) -> Result<(), InferError> {
        let b = self.rows.len();
        let fed: Vec<&[Token]> = self
            .rows
            .iter()
            .zip(&self.states)
            .map(|(r, s)| if *s == State::Finished { &r.tokens[..1] } else { &r.tokens[..r.tokens.len() - 1] })
            .collect();
        let t0 = fed.iter().map(|f| f.len()).max().unwrap_or(0);
        if t0 >= self.config.max_len {
            return Err(InferError::Invalid(format!(
                "a context of {t0} tokens does not fit the model's {} positions",
                self.config.max_len
            )));
        }
        // Distinct contexts, in order of first appearance.
        let mut unique: Vec<&[Token]> = Vec::new();
        let mut index_of: HashMap<&[Token], usize> = HashMap::new();
        let mut row_source = Vec::with_capacity(b);
        for f in &fed {
            let i = *index_of.entry(f).or_insert_with(|| {
                unique.push(f);
                unique.len() - 1
            });
            row_source.push(i);
        }
        let capacity = self.config.max_len;
        let mut parts = Vec::new();
        for chunk in unique.chunks(PREFILL_CHUNK) {
            let n = chunk.len();
            if let Some(host) = &self.host {
                let mut cache = KvCache::host(&self.config, n, capacity);
                if t0 > 0 {
                    let (tokens, positions, mask) = left_padded(chunk, t0);
                    self.stats.tokens_prefilled += chunk.iter().map(|f| f.len() as u64).sum::<u64>();
                    let rows: Vec<usize> = (0..n).collect();
                    let tokens: Vec<Token> = tokens.iter().map(|&t| t as Token).collect();
                    let positions: Vec<usize> = positions.iter().map(|&p| p as usize).collect();
                    let _ = host.forward_cached(&mut cache, &HostInput { rows: &rows, tokens: &tokens, positions: &positions, mask: &mask, shared_mask: false, start: 0 });
                }
                parts.push(cache);
                continue;
            }
            let mut cache = KvCache::new(&self.config, n, capacity, &self.device).attended_by(self.cache_attention);
            if t0 > 0 {
                let (tokens, positions, mask) = left_padded(chunk, t0);
                self.stats.tokens_prefilled += chunk.iter().map(|f| f.len() as u64).sum::<u64>();
                let tokens = self.int_tensor(tokens, [n, t0]);
                let positions = self.int_tensor(positions, [n, t0]);
                let mask = Tensor::from_data(TensorData::new(mask, [n, 1, t0, t0]), &self.device);
                let _ = self.model.forward_cached(tokens, positions, mask, &mut cache, 0);
            }
            parts.push(cache);
        }
        let unique_rows: Vec<(usize, usize)> = row_source.iter().map(|&u| (u / PREFILL_CHUNK, u % PREFILL_CHUNK)).collect();
        self.caches = unique_rows.chunks(self.part_rows()).map(|rows| KvCache::gather(&parts, rows, &self.device)).collect();
        self.valid = fed.iter().map(|f| (0..t0).map(|s| s >= t0 - f.len()).collect()).collect();
        self.positions = fed.iter().map(|f| f.len()).collect();
        self.slot = t0;
        Ok(())
    }

    /// One batched decode step over the running rows.
    async fn step(&mut self, stop: StopAt, temperature: f32, on_token: &mut dyn FnMut(usize, Token)) -> Result<(), InferError> {
        self.cancel.check()?;
        if self.slot >= self.config.max_len {
            self.rebuild()?;
        }
        let b = self.rows.len();
        let active: Vec<bool> = self.states.iter().map(|s| *s == State::Running).collect();
        for (valid, &a) in self.valid.iter_mut().zip(&active) {
            valid.push(a);
        }
        let ids = match self.host.take() {
            Some(host) => {
                let ids = self.host_step(&host, &active, temperature);
                self.host = Some(host);
                ids
            }
            None => self.device_step(&active, temperature).await?,
        };
        self.stats.readbacks += 1;
        self.stats.decode_steps += 1;
        self.slot += 1;
        if let Some(pause) = &self.pause {
            pause().await;
        }
        for i in 0..b {
            if !active[i] {
                continue;
            }
            let id = ids[i];
            self.positions[i] += 1;
            self.rows[i].tokens.push(id);
            self.step_tokens[i] += 1;
            self.stats.tokens_generated += 1;
            on_token(i, id);
            let row = &self.rows[i];
            let generated = row.tokens.len() - row.context_len;
            // A row never outgrows the context, so a verifier of the same context can score it.
            if id == Tokenizer::EOS {
                self.finish(i, FinishReason::EndOfAnswer);
            } else if row.tokens.len() >= self.config.max_len
                || generated >= self.limits.max_new_tokens
                || self.step_tokens[i] >= self.limits.max_step_tokens && id != self.step_end
            {
                self.finish(i, FinishReason::Length);
            } else if stop == StopAt::StepEnd && id == self.step_end {
                self.states[i] = State::Parked;
            }
            // The per-step limit counts tokens since the last newline, whatever the stop mode.
            if id == self.step_end {
                self.step_tokens[i] = 0;
            }
        }
        Ok(())
    }

    /// The next token of every row (of the running ones; the others' are ignored) through burn
    /// on the device: one forward pass per part of the cache, one read-back.
    async fn device_step(&mut self, active: &[bool], temperature: f32) -> Result<Vec<Token>, InferError> {
        let b = self.rows.len();
        let slot = self.slot;
        let tokens: Vec<i64> = (0..b)
            .map(|i| if active[i] { *self.rows[i].tokens.last().unwrap() as i64 } else { Tokenizer::PAD as i64 })
            .collect();
        let positions: Vec<i64> = (0..b).map(|i| if active[i] { self.positions[i] as i64 } else { 0 }).collect();
        // The step attends to a bucketed number of slots (constant shapes across steps); the
        // slots past this one are masked like unused ones.
        let width = self.caches.first().expect("rebuilt before decoding").visible(slot + 1);
        let mut mask = Vec::with_capacity(b * width);
        for valid in &self.valid {
            mask.extend(valid.iter().map(|&v| if v { 0.0f32 } else { MASK_VALUE }));
            mask.extend(std::iter::repeat_n(MASK_VALUE, width - valid.len()));
        }
        // One forward pass per part of the cache; sampling (and its read-back) stays one.
        let part_rows = self.part_rows();
        let mut logits = Vec::with_capacity(self.caches.len());
        for (p, cache) in self.caches.iter_mut().enumerate() {
            let rows = p * part_rows..((p + 1) * part_rows).min(b);
            let n = rows.len();
            let tokens = Tensor::<2, Int>::from_data(TensorData::new(tokens[rows.clone()].to_vec(), [n, 1]), &self.device);
            let positions = Tensor::<2, Int>::from_data(TensorData::new(positions[rows.clone()].to_vec(), [n, 1]), &self.device);
            let mask = Tensor::<4>::from_data(TensorData::new(mask[rows.start * width..rows.end * width].to_vec(), [n, 1, 1, width]), &self.device);
            logits.push(self.model.forward_cached(tokens, positions, mask, cache, slot));
        }
        let logits = if logits.len() == 1 { logits.pop().unwrap() } else { Tensor::cat(logits, 0) };
        let mut rngs: Vec<Option<&mut ChaCha8Rng>> =
            self.rngs.iter_mut().zip(active).map(|(r, &a)| if a { Some(r) } else { None }).collect();
        let ids = sample(logits, &self.bias, temperature, &mut rngs, &self.device);
        let data = ids.into_data_async().await.map_err(|e| InferError::Readback(format!("{e:?}")))?;
        Ok(data.iter::<i64>().map(|id| id as Token).collect())
    }

    /// The next token of every running row (the others get padding) through the host forward
    /// pass, which computes the running rows alone.
    fn host_step(&mut self, host: &HostLanguageModel, active: &[bool], temperature: f32) -> Vec<Token> {
        let part_rows = self.part_rows();
        // Every cache slot so far, this one included: the host attention reads no more.
        let width = self.slot + 1;
        let mut order = Vec::new();
        let mut logits = Vec::new();
        for (p, cache) in self.caches.iter_mut().enumerate() {
            let first = p * part_rows;
            let rows: Vec<usize> = (0..cache.batch()).filter(|&r| active[first + r]).collect();
            if rows.is_empty() {
                continue;
            }
            let tokens: Vec<Token> = rows.iter().map(|&r| *self.rows[first + r].tokens.last().unwrap()).collect();
            let positions: Vec<usize> = rows.iter().map(|&r| self.positions[first + r]).collect();
            let mask: Vec<f32> = rows.iter().flat_map(|&r| self.valid[first + r].iter().map(|&v| if v { 0.0 } else { MASK_VALUE })).collect();
            debug_assert_eq!(mask.len(), rows.len() * width);
            logits.extend(host.forward_cached(cache, &HostInput { rows: &rows, tokens: &tokens, positions: &positions, mask: &mask, shared_mask: false, start: self.slot }));
            order.extend(rows.iter().map(|&r| first + r));
        }
        let mut rngs: Vec<&mut ChaCha8Rng> = self.rngs.iter_mut().zip(active).filter_map(|(r, &a)| a.then_some(r)).collect();
        let sampled = sample_on_host(&logits, self.config.vocab_size, temperature, &mut rngs);
        let mut ids = vec![Tokenizer::PAD; self.rows.len()];
        for (i, id) in order.into_iter().zip(sampled) {
            ids[i] = id;
        }
        ids
    }

    fn finish(&mut self, i: usize, reason: FinishReason) {
        self.states[i] = State::Finished;
        self.rows[i].finished = Some(reason);
    }
}

impl Generator for Decoder<'_> {
    async fn start(&mut self, rows: Vec<RowStart>) -> Result<(), InferError> {
        if rows.iter().any(|r| r.context.is_empty()) {
            return Err(InferError::Invalid("every row needs a context of at least one token".into()));
        }
        if let Some(t) = rows.iter().flat_map(|r| &r.context).find(|&&t| t as usize >= self.config.vocab_size) {
            return Err(InferError::Invalid(format!("token id {t} is outside the model's vocabulary")));
        }
        self.rngs = rows.iter().map(|r| ChaCha8Rng::seed_from_u64(r.seed)).collect();
        self.rows = rows.into_iter().map(|r| Row { context_len: r.context.len(), tokens: r.context, finished: None }).collect();
        self.states = vec![State::Parked; self.rows.len()];
        self.step_tokens = vec![0; self.rows.len()];
        self.rebuild()?;
        // Filling the cache of a large batch is the longest single piece of work.
        if let Some(pause) = &self.pause {
            pause().await;
        }
        Ok(())
    }

    fn select(&mut self, rows: &[usize], seeds: &[u64]) -> Result<(), InferError> {
        if rows.len() != seeds.len() || rows.iter().any(|&r| r >= self.rows.len()) {
            return Err(InferError::Invalid("select: rows out of range or seeds missing".into()));
        }
        self.rows = rows.iter().map(|&r| self.rows[r].clone()).collect();
        self.states = rows.iter().map(|&r| self.states[r]).collect();
        self.step_tokens = rows.iter().map(|&r| self.step_tokens[r]).collect();
        self.positions = rows.iter().map(|&r| self.positions[r]).collect();
        self.valid = rows.iter().map(|&r| self.valid[r].clone()).collect();
        self.rngs = seeds.iter().map(|&s| ChaCha8Rng::seed_from_u64(s)).collect();
        if !self.caches.is_empty() {
            let part_rows = self.part_rows();
            let sources: Vec<(usize, usize)> = rows.iter().map(|&r| (r / part_rows, r % part_rows)).collect();
            self.caches = sources.chunks(part_rows).map(|chunk| KvCache::gather(&self.caches, chunk, &self.device)).collect();
        }
        Ok(())
    }

    async fn extend(&mut self, stop: StopAt, temperature: f32, only: Option<&[bool]>, on_token: &mut dyn FnMut(usize, Token)) -> Result<(), InferError> {
        if !(0.0..=super::MAX_TEMPERATURE).contains(&temperature) {
            return Err(InferError::Invalid(format!("temperature {temperature} is outside 0..={}", super::MAX_TEMPERATURE)));
        }
        if only.is_some_and(|o| o.len() != self.rows.len()) {
            return Err(InferError::Invalid("extend: `only` must have one flag per row".into()));
        }
        for (i, s) in self.states.iter_mut().enumerate() {
            if *s == State::Parked && only.is_none_or(|o| o[i]) {
                *s = State::Running;
                self.step_tokens[i] = 0;
            }
        }
        while self.states.contains(&State::Running) {
            self.step(stop, temperature, on_token).await?;
        }
        Ok(())
    }

    fn rows(&self) -> &[Row] {
        &self.rows
    }

    fn parameters(&self) -> usize {
        self.config.lm_params()
    }

    fn max_context(&self) -> usize {
        self.config.max_len
    }

    fn stats(&self) -> DecodeStats {
        self.stats
    }
}
