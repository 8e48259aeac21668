//! Temperature sampling on the device with the Gumbel-max trick: argmax(logits/T + g) with
//! g = -ln(-ln u) is a sample from softmax(logits/T). Uniform noise comes from each row's own
//! seeded generator, so a row's samples do not depend on what else is in the batch, and a step
//! reads back one token id per row instead of the logits.

/// Highest sampling temperature anything may ask for.
pub const MAX_TEMPERATURE: f32 = 5.0;

use crate::model::MASK_VALUE;
use crate::task::{Token, Tokenizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::RngCore;
use rand_chacha::ChaCha8Rng;

/// A uniform draw in the open interval (0, 1).
fn open_unit(rng: &mut ChaCha8Rng) -> f32 {
    ((rng.next_u32() >> 8) as f32 + 0.5) / (1u32 << 24) as f32
}

/// The `vocab` uniform draws a row's sample takes, one per token.
fn uniforms(rng: &mut ChaCha8Rng, vocab: usize) -> impl Iterator<Item = f32> + '_ {
    (0..vocab).map(|_| open_unit(rng))
}

/// Whether sampling may never produce `token` (padding, start and revision markers).
fn forbidden(token: usize) -> bool {
    [Tokenizer::PAD, Tokenizer::BOS, Tokenizer::REV].iter().any(|&t| t as usize == token)
}

/// [`sample`] on the host for logits `[rows, vocab]` already in host memory (the CPU's host
/// forward pass): the same scores, the same draws from each row's generator.
pub fn sample_on_host(logits: &[f32], vocab: usize, temperature: f32, rngs: &mut [&mut ChaCha8Rng]) -> Vec<Token> {
    assert_eq!(logits.len(), rngs.len() * vocab, "a generator per row");
    logits
        .chunks_exact(vocab)
        .zip(rngs.iter_mut())
        .map(|(row, rng)| {
            let bias = |t: usize| if forbidden(t) { MASK_VALUE } else { 0.0 };
            let scores: Vec<f32> = if temperature <= 0.0 {
                row.iter().enumerate().map(|(t, &l)| l + bias(t)).collect()
            } else {
                row.iter().zip(uniforms(rng, vocab)).enumerate().map(|(t, (&l, u))| l / temperature + bias(t) + -(-u.ln()).ln()).collect()
            };
            // The first of equal maxima, as burn's argmax.
            (0..vocab).fold(0, |best, t| if scores[t] > scores[best] { t } else { best }) as Token
        })
        .collect()
}

/// Additive bias [1, V] that keeps padding, start and revision markers from being sampled.
pub fn forbidden_bias(vocab: usize, device: &Device) -> Tensor<2> {
    let bias: Vec<f32> = (0..vocab).map(|t| if forbidden(t) { MASK_VALUE } else { 0.0 }).collect();
    Tensor::from_data(TensorData::new(bias, [1, vocab]), device)
}

/// Next token ids [B] for logits [B, V]. Rows with `rngs[i] == None` get greedy choices
/// (their results are ignored by the caller anyway).
pub fn sample(logits: Tensor<2>, bias: &Tensor<2>, temperature: f32, rngs: &mut [Option<&mut ChaCha8Rng>], device: &Device) -> Tensor<1, Int> {
    let [b, v] = logits.dims();
    let scores = if temperature <= 0.0 {
        logits + bias.clone()
    } else {
        let mut noise = Vec::with_capacity(b * v);
        for rng in rngs.iter_mut() {
            match rng {
                Some(rng) => noise.extend(uniforms(rng, v)),
                None => noise.extend(std::iter::repeat_n(0.5f32, v)),
            }
        }
        let u: Tensor<2> = Tensor::from_data(TensorData::new(noise, [b, v]), device);
        let gumbel = u.log().neg().log().neg();
        logits.div_scalar(temperature) + bias.clone() + gumbel
    };
    scores.argmax(1).reshape([b])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The host's sampling draws what the device's does: the same rows' generators, the same
    /// scores, the forbidden tokens never.
    #[test]
    fn host_sampling_matches_the_tensor_sampling() {
        let device = Device::flex();
        let (rows, vocab) = (40, 22);
        let logits: Vec<f32> = (0..rows * vocab).map(|i| ((i * 7919) % 113) as f32 / 17.0 - 3.0).collect();
        let bias = forbidden_bias(vocab, &device);
        for temperature in [0.0, 0.7, 1.0, 2.0] {
            let mut a: Vec<ChaCha8Rng> = (0..rows as u64).map(ChaCha8Rng::seed_from_u64).collect();
            let mut b = a.clone();
            let tensor = Tensor::<2>::from_data(TensorData::new(logits.clone(), [rows, vocab]), &device);
            let mut some: Vec<Option<&mut ChaCha8Rng>> = a.iter_mut().map(Some).collect();
            let want: Vec<Token> = sample(tensor, &bias, temperature, &mut some, &device).into_data().iter::<i64>().map(|t| t as Token).collect();
            let mut refs: Vec<&mut ChaCha8Rng> = b.iter_mut().collect();
            let got = sample_on_host(&logits, vocab, temperature, &mut refs);
            let same = got.iter().zip(&want).filter(|(g, w)| g == w).count();
            // Floating-point logarithms may differ in the last bit between the two; a tie
            // broken differently is the only allowed difference.
            assert!(same >= rows - 1, "temperature {temperature}: {same} of {rows} rows agree");
            assert!(got.iter().all(|&t| !forbidden(t as usize)), "a forbidden token was drawn");
        }
    }
}
