//! `ponder experiment --quick` end to end on the shipped weights: every section of the report,
//! the figures, resuming from the journal, and refusals of bad configurations.

use std::path::PathBuf;

mod common;
use common::ponder;

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ponder-cli-experiment-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn quick_experiment_reports_every_section_and_resumes() {
    let root = tempdir("quick");
    let out = root.join("study");
    let run = ponder(&["experiment", "--quick", "--json", "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(v["problems"].as_array().unwrap().len(), 20);
    let d = &v["difficulty"];
    assert!(d["agreement"].as_f64().unwrap() >= 0.0 && d["within_one"].as_f64().unwrap() <= 1.0);
    assert_eq!(d["confusion"].as_array().unwrap().len(), 5);
    let cells = v["sweeps"]["cells"].as_array().unwrap();
    for config in ["best_of_n_majority", "best_of_n_weighted", "beam_m4", "beam_msqrt", "lookahead_k1", "lookahead_k3", "dvts_m4", "revisions_l1", "revisions_seq"] {
        assert!(cells.iter().any(|c| c["config"] == config), "no cell of {config}");
    }
    let curves = v["compute_optimal"]["curves"].as_array().unwrap();
    for bins in ["oracle", "predicted"] {
        assert!(curves.iter().any(|c| c["bins"] == bins && c["family"] == "all"), "no {bins} compute-optimal curve");
    }
    let rows = v["flops_matched"]["rows"].as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["r"].as_f64().unwrap()).collect::<Vec<_>>(), [0.16, 0.79, 22.0]);
    // Each bin is also compared over all its problems, best-of-N drawn from the pools.
    let bins = v["difficulty"]["levels_by_bin"].as_array().unwrap();
    for row in rows {
        for (b, levels) in row["by_bin"].as_array().unwrap().iter().zip(bins) {
            let whole: u64 = levels.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).sum();
            assert_eq!(b["all_problems"].as_u64().unwrap(), whole, "{b}");
            assert!(b["best_of_n_all_problems"].as_f64().is_some_and(|a| (0.0..=1.0).contains(&a)), "{b}");
        }
    }
    assert_eq!(v["findings"].as_array().unwrap().len(), 5);
    // Every claim is checked with each verifier too: the PRM heads the report, the exact
    // checker follows with its own searches, votes and predicted bins.
    assert_eq!(v["verifier"], "prm");
    let others = v["by_verifier"].as_array().unwrap();
    assert_eq!(others.iter().map(|r| r["verifier"].as_str().unwrap()).collect::<Vec<_>>(), ["oracle"]);
    assert_eq!(others[0]["findings"].as_array().unwrap().len(), 5);
    assert!(others[0]["sweeps"]["cells"].as_array().unwrap().iter().any(|c| c["config"] == "beam_m4"));
    // With the exact checker, predicted bins are the oracle's.
    assert_eq!(others[0]["difficulty"]["agreement"], 1.0);
    assert!(v["run"]["model_sha256"].is_object());
    for figure in ["sweeps", "revisions", "compute_optimal", "flops_matched", "difficulty"] {
        let svg = std::fs::read_to_string(out.join("figures").join(format!("{figure}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{figure}.svg");
    }

    // The same command again finds every run in the journal and gives the same numbers.
    let again = ponder(&["experiment", "--quick", "--out", out.to_str().unwrap()]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(String::from_utf8_lossy(&again.stderr).contains("resuming"), "{}", String::from_utf8_lossy(&again.stderr));
    let w: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(v["sweeps"], w["sweeps"]);
    assert_eq!(v["findings"], w["findings"]);

    // A journal written with other PRM weights keeps every run that did not use them (the
    // exact checker's searches, the larger model's answers) and runs the others again (here
    // the same weights: the same numbers).
    let journal = root.join("study.journal.jsonl");
    let mut lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&journal).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    lines[0]["header"]["models"]["prm.safetensors"] = "0".repeat(64).into();
    let oracle_runs = lines.iter().filter(|l| l["search"]["verifier"] == "oracle").count();
    assert!(oracle_runs > 0);
    std::fs::write(&journal, lines.iter().map(|l| l.to_string() + "\n").collect::<String>()).unwrap();
    let partly = ponder(&["experiment", "--quick", "--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&partly.stderr);
    assert!(partly.status.success(), "{err}");
    let rerun: usize = err
        .split(" entries used weights retrained since")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of re-run entries: {err}"));
    assert!(rerun > 0 && rerun + oracle_runs < lines.len(), "{rerun} of {} entries re-run, {oracle_runs} oracle searches: {err}", lines.len());
    let x: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(v["sweeps"], x["sweeps"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn experiment_refuses_bad_configs_clearly() {
    let root = tempdir("bad");
    let cases = [
        (r#"{"budgets": [4, 2]}"#, "missing field `problems_per_level`"),
        (r#"{"problems_per_level": 4, "bogus": 1}"#, "unknown field `bogus`"),
        ("not json", "not a valid experiment config"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = root.join(format!("config-{i}.json"));
        std::fs::write(&path, text).unwrap();
        let out = ponder(&["experiment", "--config", path.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{text}: {err}");
    }
    // A whole config with one bad value: the message names it and what is allowed.
    let printed = ponder(&["experiment", "--quick", "--print-config"]);
    let mut config: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    config["budgets"] = serde_json::json!([4, 2]);
    let path = root.join("decreasing.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let out = ponder(&["experiment", "--config", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("budgets must increase"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ponder(&["experiment", "--threads", "0"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'--threads <THREADS>': 0 is not in 1..=64"), "{err}");
    let _ = std::fs::remove_dir_all(&root);
}
