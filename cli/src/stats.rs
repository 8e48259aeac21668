//! The median every benchmark reports.

/// The median of the finite values of `xs` (the upper middle of an even count); `None` where
/// none is finite.
pub fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.retain(|x| x.is_finite());
    xs.sort_by(f64::total_cmp);
    (!xs.is_empty()).then(|| xs[xs.len() / 2])
}
