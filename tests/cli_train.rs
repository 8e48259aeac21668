//! `ponder train all --scale smoke` end to end (seconds per model, into a temporary folder:
//! the shipped weights are never retrained here), then `ponder eval` on what it wrote.

use std::path::PathBuf;

mod common;
use common::ponder;

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ponder-cli-train-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn smoke_training_of_every_model_then_eval() {
    let root = tempdir("all");
    let (out, ckpt) = (root.join("models"), root.join("checkpoints"));
    let run = ponder(&["train", "all", "--scale", "smoke", "--out", out.to_str().unwrap(), "--checkpoints", ckpt.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "train failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("training on cpu"), "{stdout}");

    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    // The generator is its own revision model: the same file, read with a longer context.
    let revision = &manifest["models"]["revision"];
    assert_eq!(revision["file"], manifest["models"]["generator"]["file"]);
    assert_eq!(revision["training"]["same_weights_as"], "generator");
    assert!(revision["config"]["max_len"].as_u64() > manifest["models"]["generator"]["config"]["max_len"].as_u64());
    assert!(manifest["models"]["generator"]["training"]["data"]["own_attempts"].as_array().is_some_and(|a| !a.is_empty()));
    for role in ["generator", "large", "prm", "prm_hard"] {
        let entry = &manifest["models"][role];
        let bytes = std::fs::read(out.join(entry["file"].as_str().unwrap())).unwrap();
        use sha2::Digest;
        let sha: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(entry["sha256"], sha.as_str(), "{role}");
        assert!(entry["training"]["tokens"].as_u64().unwrap() > 0, "{role}");
        assert!(entry["training"]["flops"].as_f64().unwrap() > 0.0, "{role}");
    }
    assert!(manifest["models"]["generator"]["metrics"]["generator"]["pass_at_1"]["5"].is_number());

    // The same command again resumes from the finished checkpoints instead of retraining.
    let again = ponder(&["train", "generator", "--scale", "smoke", "--out", out.to_str().unwrap(), "--checkpoints", ckpt.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("resuming from step 3 of 3") || String::from_utf8_lossy(&again.stdout).contains("resuming"));

    let eval = ponder(&["eval", "--models", out.to_str().unwrap(), "--problems", "1", "--samples", "2", "--json"]);
    assert!(eval.status.success(), "{}", String::from_utf8_lossy(&eval.stderr));
    let v: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    for key in ["generator", "large", "prm", "revision", "selection", "typed"] {
        assert!(v[key].is_object(), "missing {key}: {v}");
    }
    for key in ["right_to_wrong", "wrong_to_right"] {
        assert!(v["revision"][key].is_number(), "missing revision.{key}: {v}");
    }
    assert!(v["prm"]["auroc_hard_labels"].is_number());
    // Beam search against weighted best-of-N at the same N, with each learned verifier.
    for beam in [&v["beam"], &v["prm_large"]["beam"]] {
        for key in ["beam", "weighted_best_of_n"] {
            assert!(beam[key].is_number(), "missing beam.{key}: {v}");
        }
        assert_eq!(beam["n"], 2, "{v}");
    }
    // Within-problem AUROC needs a problem with right and wrong samples: null otherwise.
    for key in ["auroc_within_problem", "auroc_within_problem_hard_labels"] {
        assert!(v["prm"][key].is_number() || v["prm"][key].is_null(), "missing prm.{key}: {v}");
        assert!(v["prm"].as_object().unwrap().contains_key(key), "missing prm.{key}: {v}");
    }
    assert!((13.0..=15.0).contains(&v["large"]["params_ratio"].as_f64().unwrap()));
    // --problems sets the greedy sample too, and the disagreements account for the difference.
    assert_eq!(v["size"]["greedy_problems_per_level"], 1);
    for level in ["1", "2", "3", "4", "5"] {
        let d = &v["large"]["against_generator"][level];
        let n = d["problems"].as_f64().unwrap();
        let gap = v["large"]["greedy"][level].as_f64().unwrap() - v["generator"]["greedy"][level].as_f64().unwrap();
        assert_eq!(n, 1.0, "{d}");
        assert!((gap - (d["only_large"].as_f64().unwrap() - d["only_generator"].as_f64().unwrap()) / n).abs() < 1e-9, "{v}");
    }

    // A shipped model goes on from the step its manifest records, and its record adds up.
    let (before, large_sha) = (manifest["models"]["large"]["training"].clone(), manifest["models"]["large"]["sha256"].clone());
    let more = ponder(&["train", "large", "--scale", "smoke", "--steps", "5", "--continue-shipped", "--out", out.to_str().unwrap(), "--checkpoints", ckpt.to_str().unwrap()]);
    assert!(more.status.success(), "{}", String::from_utf8_lossy(&more.stderr));
    assert!(String::from_utf8_lossy(&more.stderr).contains("continuing from step 3 of 5"), "{}", String::from_utf8_lossy(&more.stderr));
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let after = &manifest["models"]["large"]["training"];
    assert_eq!(after["steps"], 5);
    assert_eq!(after["continued_from"]["step"], 3);
    assert_eq!(after["continued_from"]["sha256"], large_sha, "{after}");
    assert!(after["tokens"].as_u64().unwrap() > before["tokens"].as_u64().unwrap());
    let again = ponder(&["train", "large", "--scale", "smoke", "--steps", "5", "--continue-shipped", "--out", out.to_str().unwrap(), "--checkpoints", ckpt.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already ran 5 steps of 5; pass --steps above 5"), "{}", String::from_utf8_lossy(&again.stderr));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn train_refuses_bad_input_clearly() {
    let out = ponder(&["train", "everything"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'everything'"));
    let out = ponder(&["train", "prm", "--out", "/nonexistent/ponder-models", "--scale", "smoke"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("train the generator first"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ponder(&["eval", "--models", "/nonexistent/ponder-models"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no manifest.json"));
    let out = ponder(&["train", "generator", "--learning-rate", "5"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 is outside 1e-6 to 1"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ponder(&["train", "prm", "--continue-shipped", "--scale", "smoke"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("continues one language model"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ponder(&["train", "large", "--continue-shipped", "--out", "/nonexistent/ponder-models"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--continue-shipped: no manifest.json"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Killing a training run mid-way (SIGKILL: no chance to save anything) loses only the steps
/// since its last checkpoint: the same command resumes from there and finishes the run.
#[test]
fn a_killed_training_run_resumes_from_its_last_checkpoint() {
    let root = tempdir("kill");
    let (out, ckpt) = (root.join("models"), root.join("checkpoints"));
    let args = ["train", "generator", "--scale", "smoke", "--steps", "600", "--out", out.to_str().unwrap(), "--checkpoints", ckpt.to_str().unwrap()];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ponder"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let progress = ckpt.join("generator").join("progress.json");
    let step_saved = || -> Option<u64> {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&progress).ok()?).ok()?;
        v["step"].as_u64()
    };
    let started = std::time::Instant::now();
    while step_saved().unwrap_or(0) < 10 {
        assert!(started.elapsed().as_secs() < 300, "no checkpoint past step 10 within 5 minutes");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = step_saved().expect("the checkpoint survives the kill");
    assert!(killed_at < 600, "killed at {killed_at}");
    assert!(!out.join("generator.safetensors").exists(), "a killed run must not ship weights");

    let resumed = ponder(&args);
    let text = format!("{}{}", String::from_utf8_lossy(&resumed.stdout), String::from_utf8_lossy(&resumed.stderr));
    assert!(resumed.status.success(), "{text}");
    assert!(text.contains(&format!("resuming from step {killed_at} of 600")), "{text}");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let training = &manifest["models"]["generator"]["training"];
    assert_eq!(training["steps"], 600);
    assert_eq!(training["resumed"], 1);
    let _ = std::fs::remove_dir_all(&root);
}
