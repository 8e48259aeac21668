//! Area under the ROC curve: the probability that a random positive scores above a random
//! negative (ties count half).

use std::collections::BTreeMap;

pub fn auroc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    let mut pairs: Vec<(f32, bool)> = scores.iter().copied().zip(positive.iter().copied()).filter(|p| p.0.is_finite()).collect();
    let n_pos = pairs.iter().filter(|p| p.1).count() as f64;
    let n_neg = pairs.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Rank-sum (Mann–Whitney U) with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j < pairs.len() && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += avg_rank * pairs[i..j].iter().filter(|p| p.1).count() as f64;
        i = j;
    }
    Some((rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

/// The probability that a right sample's score beats a wrong sample's of the same problem
/// (ties count half), over every such pair; `None` when no problem has both kinds.
/// `samples`: (problem, correct, score). Unlike [`auroc`] over all samples, a score that only
/// knows which problems are hard gets 0.5 here.
pub fn within_problem_auroc(samples: &[(usize, bool, f32)]) -> Option<f64> {
    let mut by_problem: BTreeMap<usize, (Vec<f32>, Vec<f32>)> = BTreeMap::new();
    for &(problem, correct, score) in samples {
        let score = if score.is_finite() { score } else { 0.0 };
        let (right, wrong) = by_problem.entry(problem).or_default();
        if correct { right.push(score) } else { wrong.push(score) }
    }
    let (mut wins, mut pairs) = (0.0, 0usize);
    for (right, wrong) in by_problem.values() {
        for r in right {
            for w in wrong {
                wins += if r > w { 1.0 } else if r == w { 0.5 } else { 0.0 };
            }
        }
        pairs += right.len() * wrong.len();
    }
    (pairs > 0).then(|| wins / pairs as f64)
}

#[cfg(test)]
mod tests {
    use super::{auroc, within_problem_auroc};

    #[test]
    fn within_a_problem_only_pairs_of_the_same_problem_count() {
        // Problem 0 is easy (mostly right, high scores), problem 1 hard (mostly wrong, low
        // scores): pooled, the scores look useful, yet within each problem the wrong sample
        // always scores higher.
        let mut samples = vec![(0, true, 0.9); 4];
        samples.push((0, false, 0.95));
        samples.push((1, true, 0.1));
        samples.extend([(1, false, 0.15); 4]);
        let pooled = auroc(&samples.iter().map(|s| s.2).collect::<Vec<_>>(), &samples.iter().map(|s| s.1).collect::<Vec<_>>());
        assert_eq!(pooled, Some(16.0 / 25.0));
        assert_eq!(within_problem_auroc(&samples), Some(0.0));
        // One win and one loss.
        assert_eq!(within_problem_auroc(&[(1, true, 0.2), (1, false, 0.3), (1, false, 0.1)]), Some(0.5));
        // A problem with only right (or only wrong) samples has no pairs.
        assert_eq!(within_problem_auroc(&[(0, true, 0.5), (1, false, 0.5)]), None);
        assert_eq!(within_problem_auroc(&[(0, true, 0.5), (0, false, 0.5)]), Some(0.5));
    }

    #[test]
    fn perfect_random_and_inverted() {
        assert_eq!(auroc(&[0.9, 0.8, 0.1, 0.2], &[true, true, false, false]), Some(1.0));
        assert_eq!(auroc(&[0.1, 0.2, 0.9, 0.8], &[true, true, false, false]), Some(0.0));
        assert_eq!(auroc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auroc(&[0.5], &[true]), None);
    }
}
