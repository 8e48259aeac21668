//! `ponder eval`: the trained models' numbers on held-out problems (see engine::eval).

use crate::models::{Backend, init_backend};
use crate::progress::Bars;
use crate::weights_dir;
use anyhow::{Context, Result};
use clap::Args;
use engine::eval::{EvalModels, EvalSize, evaluate};
use engine::infer::CancelToken;
use engine::model::weights::{self, Manifest, Role};
use std::path::PathBuf;

#[derive(Args)]
pub struct EvalArgs {
    /// Folder with manifest.json and the weights.
    #[arg(long, default_value = "public/models")]
    pub models: PathBuf,
    /// A smaller sample (under a minute here).
    #[arg(long)]
    pub quick: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Record the numbers in the manifest (each model's `metrics`).
    #[arg(long)]
    pub write_manifest: bool,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    pub backend: Backend,
    /// Held-out problems per level (1–400), overriding the default sample sizes (also the
    /// greedy pass@1, which by default uses all 400).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=400))]
    pub problems: Option<u64>,
    /// Samples per problem (1–64), overriding the default.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub samples: Option<u64>,
}

pub fn eval(a: EvalArgs, cancel: CancelToken) -> Result<()> {
    let mut manifest = weights_dir::read_manifest(&a.models)?.with_context(|| format!("no manifest.json in {}: train the models first (ponder train all)", a.models.display()))?;
    let (device, info) = init_backend(a.backend)?;
    let generator = weights_dir::listed_language_model(&a.models, &manifest, Role::Generator, &device)?.context("the manifest has no generator")?;
    let large = weights_dir::listed_language_model(&a.models, &manifest, Role::Large, &device)?;
    let prm = weights_dir::listed_reward_model(&a.models, &manifest, Role::Prm, &device)?;
    let prm_hard = weights_dir::listed_reward_model(&a.models, &manifest, Role::PrmHard, &device)?;
    let prm_large = weights_dir::listed_reward_model(&a.models, &manifest, Role::PrmLarge, &device)?;
    let revision = weights_dir::listed_language_model(&a.models, &manifest, Role::Revision, &device)?;
    let models = EvalModels {
        generator: (&generator.0, &generator.1),
        large: large.as_ref().map(|(m, c)| (m, c)),
        prm: prm.as_ref().map(|(m, c)| (m, c)),
        prm_hard: prm_hard.as_ref().map(|(m, c)| (m, c)),
        prm_large: prm_large.as_ref().map(|(m, c)| (m, c)),
        revision: revision.as_ref().map(|(m, c)| (m, c)),
    };
    let size = eval_size(&a);
    if !a.json {
        println!(
            "evaluating on {} held-out problems per level ({} for greedy decoding), on {}",
            size.problems_per_level, size.greedy_problems_per_level, info.adapter
        );
    }
    let mut bars = Bars::new();
    let report = pollster::block_on(evaluate(&models, &size, &device, &mut bars, &cancel))?;
    drop(bars);
    let value = serde_json::to_value(&report)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_table(&report);
    }
    if a.write_manifest {
        record_metrics(&mut manifest, &value);
        weights_dir::write_manifest(&a.models, &manifest)?;
        if !a.json {
            println!("recorded in {}", a.models.join(weights::MANIFEST_FILE).display());
        }
    }
    Ok(())
}

/// The preset sample sizes, with the flags' overrides.
fn eval_size(a: &EvalArgs) -> EvalSize {
    let mut size = if a.quick { EvalSize::quick() } else { EvalSize::full() };
    if let Some(p) = a.problems {
        size.problems_per_level = p as usize;
        size.greedy_problems_per_level = p as usize;
    }
    if let Some(s) = a.samples {
        size.samples_per_problem = s as usize;
    }
    size
}

/// Each model's section of the report as its manifest entry's `metrics` (the PRM's with the
/// selection numbers, which measure it).
fn record_metrics(manifest: &mut Manifest, value: &serde_json::Value) {
    let sections = [
        (Role::Generator, value.get("generator")),
        (Role::Large, value.get("large")),
        (Role::Prm, value.get("prm")),
        (Role::Revision, value.get("revision")),
        (Role::PrmLarge, value.get("prm_large")),
    ];
    for (role, section) in sections {
        if let (Some(entry), Some(section)) = (manifest.models.get_mut(&role), section) {
            let mut metrics = serde_json::json!({ role.name(): section, "size": value["size"] });
            if role == Role::Prm {
                metrics["selection"] = value["selection"].clone();
                metrics["beam"] = value["beam"].clone();
            }
            if role == Role::Generator {
                metrics["typed"] = value["typed"].clone();
            }
            entry.metrics = Some(metrics);
        }
    }
}

fn print_table(r: &engine::eval::EvalReport) {
    let row = |name: &str, m: &engine::eval::PerLevel| {
        println!("{name:<28}{}", m.values().map(|v| format!("{:>7.1}%", v * 100.0)).collect::<String>());
    };
    println!("{:<28}{}", "level", (1..=5).map(|l| format!("{l:>8}")).collect::<String>());
    row("generator pass@1 (T=0.8)", &r.generator.pass_at_1);
    row("generator greedy", &r.generator.greedy);
    if let Some(l) = &r.large {
        row(&format!("large greedy ({:.1}× params)", l.params_ratio), &l.greedy);
        let split = |f: fn(&engine::eval::GreedyDisagreement) -> usize| l.against_generator.values().map(|d| format!("{:>8}", f(d))).collect::<String>();
        println!("{:<28}{}", "  solved by large only", split(|d| d.only_large));
        println!("{:<28}{}", "  solved by generator only", split(|d| d.only_generator));
    }
    if let Some(p) = &r.prm {
        println!(
            "PRM step AUROC: {:.3} (soft labels), {} (hard labels) over {} steps",
            p.auroc,
            p.auroc_hard_labels.map(|v| format!("{v:.3}")).unwrap_or("-".into()),
            p.steps_scored
        );
        let fmt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or("-".into());
        println!(
            "PRM final-score AUROC within a problem (right vs wrong samples of the same problem): {} (soft labels), {} (hard labels)",
            fmt(p.auroc_within_problem),
            fmt(p.auroc_within_problem_hard_labels)
        );
    }
    if let Some(s) = &r.selection {
        println!(
            "levels {}: pass@1 {:.1}%, majority@16 {:.1}%, PRM-weighted best-of-16 {:.1}%",
            s.levels,
            s.pass_at_1 * 100.0,
            s.majority_16 * 100.0,
            s.weighted_16 * 100.0
        );
    }
    if let Some(l) = &r.prm_large {
        println!(
            "larger verifier (on the large model's body): step AUROC {:.3}, within a problem {}; levels {}: majority@16 {:.1}%, weighted best-of-16 {:.1}%",
            l.auroc,
            l.auroc_within_problem.map(|v| format!("{v:.3}")).unwrap_or("-".into()),
            l.selection.levels,
            l.selection.majority_16 * 100.0,
            l.selection.weighted_16 * 100.0
        );
    }
    let beam = |who: &str, b: &engine::eval::BeamEval| {
        println!(
            "beam search with {who} (M={}) at N={}, levels {} ({} problems): {:.1}%, weighted best-of-{} {:.1}%{}",
            b.width,
            b.n,
            b.levels,
            b.problems,
            b.beam * 100.0,
            b.n,
            b.weighted_best_of_n * 100.0,
            b.difference
                .map(|d| format!(" (difference {:+.1} points, 95% interval {:+.1} to {:+.1})", d.value * 100.0, d.interval.low * 100.0, d.interval.high * 100.0))
                .unwrap_or_default()
        )
    };
    if let Some(b) = &r.beam {
        beam("the PRM", b);
    }
    if let Some(b) = r.prm_large.as_ref().and_then(|l| l.beam.as_ref()) {
        beam("the larger verifier", b);
    }
    if let Some(v) = &r.revision {
        println!(
            "revisions, levels 1-3: first attempt {:.1}%, after 4 revisions {:.1}% (by attempt: {})",
            v.first * 100.0,
            v.after_4 * 100.0,
            v.by_attempt.iter().map(|x| format!("{:.1}%", x * 100.0)).collect::<Vec<_>>().join(", ")
        );
        println!(
            "  a revision turns {:.1}% of right attempts wrong and {:.1}% of wrong attempts right",
            v.right_to_wrong * 100.0,
            v.wrong_to_right * 100.0
        );
    }
    if let Some(t) = &r.typed {
        println!(
            "typed shapes ({} problems the levels rarely draw): pass@1 {:.1}%, on drawn problems of the same operators and operand sizes {:.1}%",
            t.problems,
            t.typed * 100.0,
            t.matched * 100.0
        );
    }
    println!("examples of sampled solutions:");
    for (level, problem, text, correct) in &r.examples {
        println!("  L{level} {problem} → {:?} {}", text, if *correct { "✓" } else { "✗" });
    }
    println!("{:.0} s", r.seconds);
}
