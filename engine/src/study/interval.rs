//! 95% intervals on the study's numbers: a bootstrap over problems, percentile method. A
//! problem's accuracy is the mean over its seeds (seeds pooled), so a resample draws whole
//! problems. The resamples come from a fixed seed, so a report is reproducible, and every
//! statistic over the same `n` problems sees the same resamples (paired differences).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Resamples per interval.
pub const RESAMPLES: usize = 2000;
/// Coverage of every interval.
pub const COVERAGE: f64 = 0.95;
const SEED: u64 = 0xB0_075E;

/// How every interval in the report is made, for readers of the JSON.
pub const METHOD: &str = "95% percentile bootstrap over problems (2,000 resamples, seeds pooled: a problem's accuracy is the mean over its seeds)";

/// A 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn excludes_zero_above(&self) -> bool {
        self.low > 0.0
    }

    pub fn excludes_zero_below(&self) -> bool {
        self.high < 0.0
    }
}

/// A measured difference (a − b, or any derived number) with its interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub interval: Interval,
}

/// The interval of `stat` over bootstrap resamples of `n` problems: `stat` gets how often
/// each problem was drawn. None for no problems, or where `stat` gives no finite value.
pub fn bootstrap(n: usize, mut stat: impl FnMut(&[u32]) -> Option<f64>) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ n as u64);
    let mut counts = vec![0u32; n];
    let mut values = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        counts.iter_mut().for_each(|c| *c = 0);
        for _ in 0..n {
            counts[rng.random_range(0..n)] += 1;
        }
        if let Some(v) = stat(&counts).filter(|v| v.is_finite()) {
            values.push(v);
        }
    }
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((q * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)];
    let tail = (1.0 - COVERAGE) / 2.0;
    Some(Interval { low: at(tail), high: at(1.0 - tail) })
}

/// The mean of `values` under resample `counts`.
pub fn weighted_mean(values: &[f64], counts: &[u32]) -> f64 {
    let total: u32 = counts.iter().sum();
    values.iter().zip(counts).map(|(v, &c)| v * c as f64).sum::<f64>() / total.max(1) as f64
}

/// The mean of per-problem accuracies and its interval.
pub fn mean_interval(values: &[f64]) -> Option<Interval> {
    bootstrap(values.len(), |c| Some(weighted_mean(values, c)))
}

/// mean(a) − mean(b) over the same problems (paired), with its interval.
pub fn difference(a: &[f64], b: &[f64]) -> Option<Estimate> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let value = d.iter().sum::<f64>() / d.len() as f64;
    mean_interval(&d).map(|interval| Estimate { value, interval })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_of_a_mean_holds_it_and_narrows_with_more_problems() {
        let few: Vec<f64> = (0..20).map(|i| (i % 2) as f64).collect();
        let many: Vec<f64> = (0..500).map(|i| (i % 2) as f64).collect();
        let (a, b) = (mean_interval(&few).unwrap(), mean_interval(&many).unwrap());
        assert!(a.low < 0.5 && a.high > 0.5 && b.low < 0.5 && b.high > 0.5);
        assert!(b.high - b.low < (a.high - a.low) / 3.0, "{a:?} {b:?}");
        // ±1.96·sqrt(0.25/500) ≈ ±0.044
        assert!((b.high - b.low - 0.088).abs() < 0.015, "{b:?}");
        assert_eq!(mean_interval(&[]), None);
        assert_eq!(mean_interval(&[1.0; 30]), Some(Interval { low: 1.0, high: 1.0 }));
    }

    #[test]
    fn a_paired_difference_sees_what_two_separate_intervals_miss() {
        // b is right wherever a is, and on 15 more of 200: the intervals of the two means
        // overlap, the paired difference's does not hold zero.
        let a: Vec<f64> = (0..200).map(|i| (i < 100) as u8 as f64).collect();
        let b: Vec<f64> = (0..200).map(|i| (i < 115) as u8 as f64).collect();
        let (ia, ib) = (mean_interval(&a).unwrap(), mean_interval(&b).unwrap());
        assert!(ia.high > ib.low);
        let d = difference(&b, &a).unwrap();
        assert!((d.value - 0.075).abs() < 1e-12);
        assert!(d.interval.excludes_zero_above(), "{d:?}");
        assert_eq!(difference(&a, &b[..10]), None);
    }
}
