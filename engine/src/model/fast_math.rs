//! erf and exp in f32 by short polynomials: branch-free, so loops over them vectorise, unlike
//! libm's scalar calls. Used by the CPU GELU and the CPU attention.

// The approximations' constants are kept as published, though f32 cannot hold every digit.
#![allow(clippy::excessive_precision)]

/// erf(x) by Abramowitz & Stegun 7.1.26.
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [0.254_829_592, -0.284_496_736, 1.421_413_741, -1.453_152_027, 1.061_405_429];
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    (1.0 - poly * exp_non_positive(-a * a)).copysign(x)
}

/// e^x for x ≤ 0 (clamped at -87, where e^x is below f32's normal range anyway): 2^n · p(r)
/// with n = round(x / ln 2) and a degree-6 Taylor polynomial on |r| ≤ ln2 / 2 (relative error
/// about 1e-7).
#[inline(always)]
pub(crate) fn exp_non_positive(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Rounds to nearest without a libm call: adding 1.5·2^23 leaves an integer in the mantissa.
    const ROUND: f32 = 12_582_912.0;
    let x = x.max(-87.0);
    let rounded = x * std::f32::consts::LOG2_E + ROUND;
    let n = rounded - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // n as an integer from the mantissa bits (integer arithmetic vectorises; a saturating
    // float-to-int cast does not as well), then 2^n built as a float's exponent.
    let n_int = rounded.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    let scale = f32::from_bits(((n_int + 127) as u32) << 23);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_a_few_ulps_on_the_non_positive_range() {
        let mut worst = 0.0f64;
        for i in 0..=870_000 {
            let x = -(i as f32) * 1e-4;
            let exact = (x as f64).exp();
            let relative = ((exp_non_positive(x) as f64 - exact) / exact).abs();
            worst = worst.max(relative);
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
    }
}
