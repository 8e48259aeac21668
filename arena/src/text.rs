//! What both front ends say and show of a lane: its title and a sentence on its strategy, and
//! the colour of a verifier score.

use crate::lane::{LaneState, Prediction, Step};
use engine::search::StrategyName;

/// A lane's title and what its strategy does, in a sentence.
pub fn lane_text(strategy: StrategyName) -> (&'static str, &'static str) {
    match strategy {
        StrategyName::BestOfN => ("Parallel: best-of-N", "N independent answers at once; the verifier's scores (or a plain vote) pick one."),
        StrategyName::Revisions => ("Sequential: revisions", "The model reads its earlier attempts and tries again; chains run side by side."),
        StrategyName::Beam => ("Search: PRM beam search", "Step by step, the verifier keeps the most promising partial answers and drops the rest."),
        StrategyName::Lookahead => ("Search: lookahead", "Beam search that rolls each step k steps further before judging it: costs N·(k+1)."),
        StrategyName::ComputeOptimal => (
            "Compute-optimal pick",
            "Guesses how hard the problem is from a few verifier-scored samples, then spends the rest on what won problems that hard, at that budget, in Ponder's own study.",
        ),
        // Not an arena lane.
        StrategyName::Dvts => ("Search: diverse verifier tree search", StrategyName::Dvts.description()),
    }
}

/// A pale background for a verifier score in 0..1: red (0) through yellow to green (1), as
/// RGB (hue 0° to 120°, saturation 70%, lightness 86%).
pub fn score_rgb(score: f32) -> [u8; 3] {
    let hue = score.clamp(0.0, 1.0) * 120.0;
    let (s, l) = (0.70f32, 0.86f32);
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((hue / 60.0) % 2.0 - 1.0).abs());
    let (r, g) = if hue < 60.0 { (c, x) } else { (x, c) };
    let m = l - c / 2.0;
    [r, g, 0.0].map(|v| ((v + m) * 255.0).round() as u8)
}

/// Compute in FLOPs, in the largest unit that keeps it at 1 or more.
pub fn flops(f: f64) -> String {
    let units = [(1e15, "PFLOP"), (1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "kFLOP")];
    for (scale, unit) in units {
        if f >= scale {
            return format!("{:.2} {unit}", f / scale);
        }
    }
    format!("{f:.0} FLOP")
}

/// What a lane has spent so far: generations of its budget, tokens and FLOPs.
pub fn compute_line(lane: &LaneState) -> String {
    let c = lane.compute;
    let tokens = c.tokens_generated.max(lane.tokens_seen());
    format!("{} / {} generations · {} tokens · {}", c.generations, lane.budget, tokens, flops(c.flops))
}

/// The compute-optimal lane's guess of the difficulty, and what it picked for it.
pub fn prediction_line(p: &Prediction) -> String {
    // Three decimals: the measured bins 1 and 2 part at a score of about 0.99.
    let score = p.mean_score.map(|s| format!("{s:.3}")).unwrap_or_else(|| "–".into());
    format!("predicted difficulty: bin {} of 5 (mean verifier score {score}) → {}", p.bin, p.picked)
}

/// What is known of a step: its verifier score and the exact checker's verdict.
pub fn step_title(step: &Step) -> String {
    match (step.score, step.correct) {
        (Some(s), Some(c)) => format!("verifier score {s:.3}; exact checker: {}", if c { "right so far" } else { "wrong" }),
        _ => "not scored yet".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_run_from_red_through_yellow_to_green() {
        let [r0, g0, b0] = score_rgb(0.0);
        let [r1, g1, b1] = score_rgb(1.0);
        let [rh, gh, _] = score_rgb(0.5);
        assert!(r0 > g0 && g0 == b0, "0 is red: {:?}", score_rgb(0.0));
        assert!(g1 > r1 && r1 == b1, "1 is green: {:?}", score_rgb(1.0));
        assert_eq!(rh, gh, "0.5 is yellow");
        assert_eq!(score_rgb(-3.0), score_rgb(0.0));
    }

    #[test]
    fn flops_take_the_largest_unit() {
        assert_eq!(flops(1.23e9), "1.23 GFLOP");
        assert_eq!(flops(999.0), "999 FLOP");
    }
}
