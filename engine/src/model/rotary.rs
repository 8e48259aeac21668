//! Rotary position embeddings (Su et al., RoFormer, arXiv 2104.09864): each head's queries
//! and keys are rotated by angles proportional to the token's position, so an attention score
//! depends on how far apart two tokens are, not on where they sit. A step read at position
//! 300 looks as it does at position 30, which learned absolute positions cannot promise.
//!
//! Dimension `i` of a head's first half pairs with dimension `i + dh/2` (the GPT-NeoX layout)
//! and turns at frequency `BASE^(-2i/dh)`. The angle tables are computed once on the host in
//! f64 and gathered per token on the device: a GPU's `sin` of a large angle differs between
//! backends, a table does not.

use burn::tensor::{Device, Int, Tensor, TensorData};

/// Wavelength scale of the slowest-turning pair, as in RoFormer.
pub const BASE: f64 = 10_000.0;

/// Cosine and sine tables, `[max_len, head_dim / 2]`.
#[derive(Clone, Debug)]
pub struct Rotary {
    cos: Tensor<2>,
    sin: Tensor<2>,
}

/// The angles of one position: `position · BASE^(-2i/head_dim)` for `i` in `0..head_dim / 2`.
pub fn angles(position: usize, head_dim: usize) -> impl Iterator<Item = f64> {
    let half = head_dim / 2;
    (0..half).map(move |i| position as f64 * BASE.powf(-2.0 * i as f64 / head_dim as f64))
}

impl Rotary {
    pub fn new(head_dim: usize, max_len: usize, device: &Device) -> Self {
        let half = head_dim / 2;
        let table = |f: fn(f64) -> f64| {
            let values: Vec<f32> = (0..max_len).flat_map(|p| angles(p, head_dim).map(f)).map(|x| x as f32).collect();
            Tensor::from_data(TensorData::new(values, [max_len, half]), device)
        };
        Rotary { cos: table(f64::cos), sin: table(f64::sin) }
    }

    /// The cosine and sine tables, `[positions, head_dim / 2]`.
    pub(super) fn tables(&self) -> (&Tensor<2>, &Tensor<2>) {
        (&self.cos, &self.sin)
    }

    /// Positions the tables cover.
    pub fn positions(&self) -> usize {
        self.cos.dims()[0]
    }

    /// The angles of tokens at `positions` (`[B, T]`), for every layer of one forward pass.
    pub fn at(&self, positions: Tensor<2, Int>) -> RotaryAt {
        let [b, t] = positions.dims();
        let [_, half] = self.cos.dims();
        let flat = positions.reshape([b * t]);
        RotaryAt { cos: self.cos.clone().select(0, flat.clone()).reshape([b, t, 1, half]), sin: self.sin.clone().select(0, flat).reshape([b, t, 1, half]) }
    }
}

/// Cosines and sines of one forward pass's tokens, `[B, T, 1, head_dim / 2]`.
#[derive(Clone, Debug)]
pub struct RotaryAt {
    cos: Tensor<4>,
    sin: Tensor<4>,
}

impl RotaryAt {
    /// The cosines and sines, `[B, T, 1, head_dim / 2]`.
    pub(super) fn tables(&self) -> (&Tensor<4>, &Tensor<4>) {
        (&self.cos, &self.sin)
    }

    /// Rotates the queries and keys of a fused projection `qkv` (`[B, T, 3d]`: queries, keys,
    /// values, each split into `heads` heads); the values pass through.
    pub fn rotate_qkv(&self, qkv: Tensor<3>, heads: usize) -> Tensor<3> {
        let [b, t, three_d] = qkv.dims();
        let d = three_d / 3;
        let half = d / heads / 2;
        let (cos, sin) = (&self.cos, &self.sin);
        let turn = |from: usize| {
            let x = qkv.clone().slice([0..b, 0..t, from..from + d]).reshape([b, t, heads, 2 * half]);
            let first = x.clone().slice([0..b, 0..t, 0..heads, 0..half]);
            let second = x.slice([0..b, 0..t, 0..heads, half..2 * half]);
            let turned = Tensor::cat(vec![first.clone() * cos.clone() - second.clone() * sin.clone(), second * cos.clone() + first * sin.clone()], 3);
            turned.reshape([b, t, d])
        };
        let values = qkv.clone().slice([0..b, 0..t, 2 * d..three_d]);
        Tensor::cat(vec![turn(0), turn(d), values], 2)
    }
}
