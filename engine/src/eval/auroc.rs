//! Area under the ROC curve: the probability that a random positive scores above a random
//! negative (ties count half).

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

#[cfg(test)]
mod tests {
    use super::auroc;

    #[test]
    fn perfect_random_and_inverted() {
        assert_eq!(auroc(&[0.9, 0.8, 0.1, 0.2], &[true, true, false, false]), Some(1.0));
        assert_eq!(auroc(&[0.1, 0.2, 0.9, 0.8], &[true, true, false, false]), Some(0.0));
        assert_eq!(auroc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auroc(&[0.5], &[true]), None);
    }
}
