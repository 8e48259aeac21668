//! `ponder bench` through the binary: the report's shape (decode throughput, PRM scoring, the
//! two searches' wall time, peak memory), one read-back per decode step, and clear errors for
//! bad options.

mod common;
use common::ponder;

#[test]
fn a_quick_bench_reports_every_measurement_with_one_readback_per_step() {
    let out = ponder(&["bench", "--quick", "--backends", "cpu", "--batches", "1,4", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let decode = v["decode"].as_array().unwrap();
    assert_eq!(decode.iter().map(|d| d["batch"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 4]);
    for d in decode {
        assert_eq!(d["backend"], "cpu");
        assert!(d["tokens_per_second"].as_f64().unwrap() > 0.0);
        assert_eq!(d["readbacks_per_step"], 1.0);
    }
    assert!(v["machine"].is_object() || v["machine"].is_string(), "the machine is stated");
    let workloads = v["workloads"].as_array().unwrap();
    assert_eq!(workloads.len(), 1);
    for key in ["prm_tokens_per_second", "best_of_64_seconds", "beam_64_seconds"] {
        assert!(workloads[0][key].as_f64().unwrap() > 0.0, "{key}");
    }
    if cfg!(target_os = "linux") {
        assert!(workloads[0]["peak_memory_bytes"].as_u64().unwrap() > 1 << 20, "peak memory measured");
    }
}

#[test]
fn bad_bench_options_are_explained() {
    let cases: [(&[&str], &str); 4] = [
        (&["--batches", "0"], "--batches"),
        (&["--runs", "0"], "--runs"),
        (&["--rounds", "0"], "--rounds"),
        (&["--backends", "tpu"], "unknown backend"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["bench", "--quick"];
        all.extend_from_slice(args);
        let out = ponder(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
