//! End to end through the `ponder` binary: every strategy on both native backends, typed
//! problems, and clear errors for bad input. Runs on randomly initialised weights when
//! `public/models` has none (the binary says which it used).


mod common;
use common::ponder;

fn backends() -> Vec<&'static str> {
    let out = ponder(&["devices", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let has_wgpu = v["backends"].as_array().unwrap().iter().any(|b| b["kind"] == "wgpu");
    if !has_wgpu && std::env::var("PONDER_REQUIRE_WGPU").as_deref() == Ok("1") {
        panic!("PONDER_REQUIRE_WGPU=1 but no wgpu adapter: {}", v["wgpu_error"]);
    }
    if has_wgpu { vec!["cpu", "wgpu"] } else { vec!["cpu"] }
}

#[test]
fn every_strategy_runs_on_every_backend() {
    let cases: [(&str, &[&str], u64); 6] = [
        ("best-of-n", &[], 8),
        ("beam", &["--width", "2"], 8),
        ("lookahead", &["--lookahead", "1", "--width", "2"], 8),
        ("dvts", &["--width", "2"], 8),
        ("revisions", &["--chains", "2"], 8),
        // A probe of 2 samples, then the picked strategy with the 6 left.
        ("compute-optimal", &[], 8),
    ];
    for backend in backends() {
        for (strategy, extra, generations) in cases {
            let mut args = vec!["solve", "--level", "3", "--strategy", strategy, "--budget", "8", "--seed", "7", "--backend", backend, "--json"];
            args.extend_from_slice(extra);
            let out = ponder(&args);
            assert!(out.status.success(), "{strategy} on {backend}: {}", String::from_utf8_lossy(&out.stderr));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["backend"]["kind"], backend);
            assert_eq!(v["result"]["compute"]["generations"], generations, "{strategy}");
            assert!(v["result"]["compute"]["flops"].as_f64().unwrap() > 0.0);
            assert!(v["result"]["true_answer"].is_string());
        }
    }
}

#[test]
fn typed_problems_are_solved_and_bad_input_is_explained() {
    let out = ponder(&["solve", "--problem", "47+18*3-5", "--budget", "2", "--backend", "cpu", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"]["true_answer"], "190");

    let bad: [(&[&str], &str); 6] = [
        (&["solve", "--problem", "12/3"], "division"),
        (&["solve", "--problem", "1000+1"], "operands go up to 999"),
        (&["solve", "--budget", "0"], "--budget"),
        (&["solve", "--strategy", "revisions", "--budget", "8", "--chains", "3"], "chains must divide the budget"),
        (&["solve", "--temperature", "9"], "--temperature"),
        (&["solve", "--policy", "findings"], "--policy applies to --strategy compute-optimal only"),
    ];
    for (args, needle) in bad {
        let out = ponder(args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn compute_optimal_predicts_once_and_answers_once() {
    // The measured policy (the default) and the study's findings.
    for policy in ["measured", "findings"] {
        let out = ponder(&["solve", "--level", "1", "--strategy", "compute-optimal", "--budget", "8", "--seed", "1", "--backend", "cpu", "--events", "--policy", policy]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr);
        let source = if policy == "measured" { "policy:  measured by `ponder experiment`" } else { "policy:  the study's findings" };
        assert!(err.contains(source), "{err}");
        let text = String::from_utf8_lossy(&out.stdout);
        let count = |kind: &str| text.lines().filter(|l| l.contains(&format!("\"event\":\"{kind}\""))).count();
        // The probe's own vote stays internal: one answer for the run.
        assert_eq!(count("answer_chosen"), 1, "{text}");
        assert_eq!(count("difficulty_predicted"), 1, "{text}");
        let last_compute = text.lines().rfind(|l| l.contains("\"event\":\"compute_spent\"")).unwrap();
        assert!(last_compute.contains("\"generations\":8"), "{last_compute}");
    }
}

/// The same seed and configuration give the same samples, answers and compute on the same
/// backend, every time; the result records what regenerates it (seed, knobs, backend, model
/// hashes).
#[test]
fn same_seed_same_result_on_each_backend() {
    for backend in backends() {
        for strategy in ["best-of-n", "beam", "revisions"] {
            let args = ["solve", "--level", "4", "--strategy", strategy, "--budget", "8", "--seed", "11", "--temperature", "1.0", "--backend", backend, "--json"];
            let runs: Vec<serde_json::Value> = (0..2)
                .map(|_| {
                    let out = ponder(&args);
                    assert!(out.status.success(), "{strategy} on {backend}: {}", String::from_utf8_lossy(&out.stderr));
                    serde_json::from_slice(&out.stdout).unwrap()
                })
                .collect();
            assert_eq!(runs[0]["result"], runs[1]["result"], "{strategy} on {backend}: two runs differ");
            let v = &runs[0];
            assert_eq!(v["common"]["seed"], 11);
            assert!(v["backend"]["adapter"].is_string() && !v["strategy"].is_null(), "{v}");
            assert!(v["model_sha256"].is_object() && !v["model_sha256"].as_object().unwrap().is_empty(), "{v}");
        }
    }
}
