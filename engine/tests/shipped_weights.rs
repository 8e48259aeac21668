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
    for role in Role::ALL {
        let entry = manifest.entry(role).unwrap_or_else(|e| panic!("{e}"));
        let bytes = std::fs::read(dir().join(&entry.file)).unwrap();
        total += bytes.len();
        weights::verify_sha256(entry, &bytes).unwrap();
        if role.is_reward_model() {
            weights::load_reward_model(entry, bytes, &device).unwrap();
        } else {
            weights::load_language_model(role, entry, bytes, &device).unwrap();
        }
        let training = entry.training.as_ref().unwrap_or_else(|| panic!("{}: no training record", role.name()));
        for key in ["tokens", "flops", "wall_seconds", "machine"] {
            assert!(training.get(key).is_some(), "{}: training record lacks {key}", role.name());
        }
    }
    assert!(total <= 20_000_000, "shipped weights are {total} bytes, over 20 MB");
    let g = manifest.entry(Role::Generator).unwrap();
    assert!(g.metrics.as_ref().is_some_and(|m| m["generator"]["pass_at_1"]["1"].is_number()), "no evaluation numbers recorded");
    // The large model trains on the generator's data stream (same seed, whole generator
    // batches several to a step); both token counts are recorded for the FLOPs-matched
    // comparison: it saw the whole stream, the same problems in the same order.
    let (gt, lt) = (g.training.as_ref().unwrap(), manifest.entry(Role::Large).unwrap().training.as_ref().unwrap());
    assert_eq!(gt["seed"], lt["seed"]);
    let (gb, lb) = (gt["batch_size"].as_u64().unwrap(), lt["batch_size"].as_u64().unwrap());
    assert!(lb >= gb && lb % gb == 0, "the large model's batch ({lb}) should be whole generator batches ({gb})");
    assert_eq!(lt["tokens"], gt["tokens"], "the large model should see the generator's token count");
    assert_eq!(lt["steps"].as_u64().unwrap() * lb, gt["steps"].as_u64().unwrap() * gb, "the large model should see every generator batch");

    let models = Models::from_manifest(manifest, |f| std::fs::read(dir().join(f)).map_err(|e| weights::WeightsError::Read { file: f.into(), detail: e.to_string() }), &device);
    assert!(models.is_ok());
}
