//! Temperature sampling on the device with the Gumbel-max trick: argmax(logits/T + g) with
//! g = -ln(-ln u) is a sample from softmax(logits/T). Uniform noise comes from each row's own
//! seeded generator, so a row's samples do not depend on what else is in the batch, and a step
//! reads back one token id per row instead of the logits.

/// Highest sampling temperature anything may ask for.
pub const MAX_TEMPERATURE: f32 = 5.0;

use crate::model::MASK_VALUE;
use crate::task::Tokenizer;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::RngCore;
use rand_chacha::ChaCha8Rng;

/// A uniform draw in the open interval (0, 1).
fn open_unit(rng: &mut ChaCha8Rng) -> f32 {
    ((rng.next_u32() >> 8) as f32 + 0.5) / (1u32 << 24) as f32
}

/// Additive bias [1, V] that keeps padding, start and revision markers from being sampled.
pub fn forbidden_bias(vocab: usize, device: &Device) -> Tensor<2> {
    let mut bias = vec![0.0f32; vocab];
    for t in [Tokenizer::PAD, Tokenizer::BOS, Tokenizer::REV] {
        bias[t as usize] = MASK_VALUE;
    }
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
                Some(rng) => noise.extend((0..v).map(|_| open_unit(rng))),
                None => noise.extend(std::iter::repeat_n(0.5f32, v)),
            }
        }
        let u: Tensor<2> = Tensor::from_data(TensorData::new(noise, [b, v]), device);
        let gumbel = u.log().neg().log().neg();
        logits.div_scalar(temperature) + bias.clone() + gumbel
    };
    scores.argmax(1).reshape([b])
}
