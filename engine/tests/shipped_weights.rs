//! The weights shipped in public/models load, match their manifest's sha256 and parameter
//! counts, and carry their training record and evaluation numbers.

use engine::backend;
use engine::model::weights::{self, MANIFEST_FILE, Manifest, Role};
use engine::models::Models;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/models"))
}

#[test]
fn shipped_weights_load_and_match_the_manifest() {
    let path = dir().join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest = Manifest::parse(MANIFEST_FILE, &text).unwrap();
    let device = backend::cpu().0;
    let mut total = 0;
    // Every role, the larger verifier (a head on the large model's body) among them.
    for role in Role::ALL {
        manifest.entry(role).unwrap_or_else(|e| panic!("{e}"));
    }
    for (&role, entry) in &manifest.models {
        let bytes = std::fs::read(dir().join(&entry.file)).unwrap();
        let size = bytes.len();
        weights::verify_sha256(entry, &bytes).unwrap();
        if let Some(body) = entry.body {
            let body_entry = manifest.entry(body).unwrap();
            let body_model = weights::load_language_model(body, body_entry, std::fs::read(dir().join(&body_entry.file)).unwrap(), &device).unwrap();
            weights::load_reward_model_on(entry, bytes, body_model, &device).unwrap();
        } else if role.is_reward_model() {
            weights::load_reward_model(entry, bytes, &device).unwrap();
        } else {
            weights::load_language_model(role, entry, bytes, &device).unwrap();
        }
        let training = entry.training.as_ref().unwrap_or_else(|| panic!("{}: no training record", role.name()));
        // A model serving two roles (the generator is its own revision model): one file.
        if let Some(of) = training.get("same_weights_as").and_then(|v| v.as_str()) {
            let other = Role::ALL.iter().find(|r| r.name() == of).and_then(|r| manifest.models.get(r)).unwrap_or_else(|| panic!("{}: same weights as unlisted {of}", role.name()));
            assert_eq!((&other.file, &other.sha256), (&entry.file, &entry.sha256), "{}", role.name());
            continue;
        }
        total += size;
        for key in ["tokens", "flops", "wall_seconds", "machine"] {
            assert!(training.get(key).is_some(), "{}: training record lacks {key}", role.name());
        }
    }
    assert!(total <= 20_000_000, "shipped weights are {total} bytes, over 20 MB");
    let g = manifest.entry(Role::Generator).unwrap();
    assert!(g.metrics.as_ref().is_some_and(|m| m["generator"]["pass_at_1"]["1"].is_number()), "no evaluation numbers recorded");
    // The large model trains on the generator's data stream (same seed, whole generator
    // batches several to a step, retry trajectories from its own attempts): both token counts
    // are recorded for the FLOPs-matched comparison. A large model of an earlier data stream
    // must say so in its record.
    let (gt, lt) = (g.training.as_ref().unwrap(), manifest.entry(Role::Large).unwrap().training.as_ref().unwrap());
    if lt["data"]["distribution"] != gt["data"]["distribution"] {
        assert!(lt["previous_data"].is_string(), "the large model was trained on other data than the generator, and its record does not say so");
    } else {
        assert_eq!(gt["seed"], lt["seed"]);
        let (gb, lb) = (gt["batch_size"].as_u64().unwrap(), lt["batch_size"].as_u64().unwrap());
        assert!(lb >= gb && lb % gb == 0, "the large model's batch ({lb}) should be whole generator batches ({gb})");
        let (g_tokens, l_tokens) = (gt["tokens"].as_f64().unwrap(), lt["tokens"].as_f64().unwrap());
        assert!((l_tokens / g_tokens - 1.0).abs() < 0.05, "the large model should see about the generator's tokens: {l_tokens} against {g_tokens}");
        assert_eq!(lt["steps"].as_u64().unwrap() * lb, gt["steps"].as_u64().unwrap() * gb, "the large model should see every generator batch");
    }

    let models = Models::from_manifest(manifest, |f| std::fs::read(dir().join(f)).map_err(|e| weights::WeightsError::Read { file: f.into(), detail: e.to_string() }), &device);
    assert!(models.is_ok());
}
