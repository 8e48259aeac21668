//! Safetensors weights and the manifest: round trips, and clear errors naming the file for
//! wrong, truncated or mismatched weights.

use engine::backend;
use engine::model::weights::{self, Manifest, ModelEntry, Role, WeightsError, MANIFEST_FORMAT};
use engine::model::{LanguageModel, ModelConfig};
use engine::models::Models;
use engine::task::{ArithmeticChain, Task};
use std::collections::{BTreeMap, HashMap};

fn vocab() -> usize {
    ArithmeticChain.tokenizer().vocab_size()
}

fn saved(role: Role, config: &ModelConfig, seed: u64, file: &str) -> (ModelEntry, Vec<u8>) {
    let d = backend::cpu().0;
    let bytes = if role.is_reward_model() {
        weights::to_safetensors(&weights::random_reward_model(config, seed, &d).unwrap(), file).unwrap()
    } else {
        weights::to_safetensors(&weights::random_language_model(config, seed, &d).unwrap(), file).unwrap()
    };
    (weights::entry_for(role, config, file, &bytes), bytes)
}

fn load(entry: &ModelEntry, bytes: Vec<u8>) -> Result<LanguageModel, WeightsError> {
    weights::load_language_model(Role::Generator, entry, bytes, &backend::cpu().0)
}

#[test]
fn weights_round_trip_through_safetensors() {
    let cfg = ModelConfig::small(vocab());
    let (entry, bytes) = saved(Role::Generator, &cfg, 1, "generator.safetensors");
    assert_eq!(entry.parameters, cfg.lm_params());
    let model = load(&entry, bytes.clone()).unwrap();
    let original = weights::random_language_model(&cfg, 1, &backend::cpu().0).unwrap();
    assert_eq!(logits(&model), logits(&original), "loaded weights compute what the saved ones did");
    // saving the loaded model and loading that again gives the same model too
    let again = weights::to_safetensors(&model, "again").unwrap();
    let entry = weights::entry_for(Role::Generator, &cfg, "again", &again);
    assert_eq!(logits(&load(&entry, again).unwrap()), logits(&original));
}

fn logits(m: &LanguageModel) -> Vec<f32> {
    use burn::tensor::{Tensor, TensorData};
    let d = backend::cpu().0;
    let t = 6;
    let ids = Tensor::from_data(TensorData::new(vec![1i64, 8, 9, 10, 11, 12], [1, t]), &d);
    let pos = Tensor::from_data(TensorData::new((0..t as i64).collect::<Vec<_>>(), [1, t]), &d);
    let mask = Tensor::<4>::zeros([1, 1, t, t], &d);
    m.forward(ids, pos, mask).into_data().iter::<f32>().collect()
}

#[test]
fn a_wrong_file_is_named_with_its_hash_mismatch() {
    let cfg = ModelConfig::small(vocab());
    let (entry, mut bytes) = saved(Role::Generator, &cfg, 1, "generator.safetensors");
    let n = bytes.len();
    bytes[n - 3] ^= 0xff;
    let err = load(&entry, bytes).unwrap_err();
    assert!(matches!(err, WeightsError::Sha256Mismatch { .. }), "{err}");
    assert!(err.to_string().contains("generator.safetensors"));
}

#[test]
fn a_truncated_file_is_refused() {
    let cfg = ModelConfig::small(vocab());
    let (mut entry, bytes) = saved(Role::Generator, &cfg, 1, "generator.safetensors");
    let cut = bytes[..bytes.len() / 2].to_vec();
    // Against the real manifest, the size gives it away before the hash is computed.
    let err = load(&entry, cut.clone()).unwrap_err();
    assert!(matches!(err, WeightsError::SizeMismatch { .. }), "{err}");
    assert!(err.to_string().contains("generator.safetensors"));
    // A manifest written for the broken file: the safetensors reader refuses it.
    entry.sha256 = weights::sha256_hex(&cut);
    entry.bytes = Some(cut.len() as u64);
    let err = load(&entry, cut).unwrap_err();
    assert!(matches!(err, WeightsError::NotSafetensors { .. }), "{err}");
    assert!(err.to_string().contains("generator.safetensors"));
}

#[test]
fn weights_of_another_shape_are_refused() {
    let small = ModelConfig::small(vocab());
    let other = ModelConfig { d_model: 64, ..small.clone() };
    let (_, bytes) = saved(Role::Generator, &other, 1, "generator.safetensors");
    let entry = weights::entry_for(Role::Generator, &small, "generator.safetensors", &bytes);
    let err = load(&entry, bytes).unwrap_err();
    assert!(matches!(err, WeightsError::TensorMismatch { .. }), "{err}");
    assert!(err.to_string().contains("generator.safetensors"), "{err}");
}

fn manifest_with(models: &[(Role, ModelEntry)]) -> Manifest {
    Manifest {
        format: MANIFEST_FORMAT,
        task: ArithmeticChain.name().into(),
        alphabet: ArithmeticChain.tokenizer().alphabet(),
        models: models.iter().cloned().collect::<BTreeMap<_, _>>(),
    }
}

#[test]
fn a_manifest_loads_every_model_and_rejects_bad_manifests() {
    let v = vocab();
    let mut files = HashMap::new();
    let mut entries = Vec::new();
    for (i, role) in [Role::Generator, Role::Prm, Role::Revision].into_iter().enumerate() {
        let file = format!("{}.safetensors", role.name());
        let (entry, bytes) = saved(role, &role.default_config(v), i as u64, &file);
        files.insert(file, bytes);
        entries.push((role, entry));
    }
    let manifest = manifest_with(&entries);
    let text = serde_json::to_string_pretty(&manifest).unwrap();
    let parsed = Manifest::parse("manifest.json", &text).unwrap();
    assert_eq!(parsed, manifest);
    let read = |f: &str| files.get(f).cloned().ok_or(WeightsError::Read { file: f.into(), detail: "missing".into() });
    Models::from_manifest(parsed.clone(), read, &backend::cpu().0).unwrap();

    // a missing file is named
    let err = Models::from_manifest(parsed, |f: &str| Err(WeightsError::Read { file: f.into(), detail: "not found".into() }), &backend::cpu().0).err().unwrap();
    assert!(err.to_string().contains("generator.safetensors"), "{err}");

    // broken manifests
    assert!(matches!(Manifest::parse("m.json", "{"), Err(WeightsError::Manifest { .. })));
    let mut wrong_format = manifest.clone();
    wrong_format.format = 99;
    let err = Manifest::parse("m.json", &serde_json::to_string(&wrong_format).unwrap()).unwrap_err();
    assert!(matches!(err, WeightsError::ManifestFormat { found: 99, .. }));
    let mut wrong_params = manifest.clone();
    wrong_params.models.get_mut(&Role::Prm).unwrap().parameters += 1;
    let err = Manifest::parse("m.json", &serde_json::to_string(&wrong_params).unwrap()).unwrap_err();
    assert!(err.to_string().contains("prm"), "{err}");
    let mut escaping = manifest.clone();
    escaping.models.get_mut(&Role::Prm).unwrap().file = "../secret".into();
    assert!(Manifest::parse("m.json", &serde_json::to_string(&escaping).unwrap()).is_err());
    let mut no_prm = manifest.clone();
    no_prm.models.remove(&Role::Prm);
    let err = Models::from_manifest(no_prm, read, &backend::cpu().0).err().unwrap();
    assert!(matches!(err, WeightsError::MissingRole { role: "prm" }), "{err}");
}

/// The larger verifier ships only its head: loaded onto the large model's weights it scores
/// as the whole model did, and a head file, body or manifest that does not fit is refused.
#[test]
fn the_larger_verifier_loads_its_head_onto_the_large_models_body() {
    use burn::tensor::{Tensor, TensorData};
    let v = vocab();
    let d = backend::cpu().0;
    let large_config = Role::Large.default_config(v);
    let (large_entry, large_bytes) = saved(Role::Large, &large_config, 4, "large.safetensors");
    let large = weights::load_language_model(Role::Large, &large_entry, large_bytes.clone(), &d).unwrap();
    let (body, lm_head) = large.into_parts();
    let whole = engine::model::RewardModel::from_language_model(body, lm_head, &large_config, &d);
    let head = weights::head_safetensors(&whole, "prm_large.safetensors").unwrap();
    assert!(head.len() < 4096, "the head file holds the head only: {} bytes", head.len());
    let mut entry = weights::entry_for(Role::PrmLarge, &large_config, "prm_large.safetensors", &head);
    entry.body = Some(Role::Large);

    let score = |m: &engine::model::RewardModel| -> Vec<f32> {
        let t = 6;
        let ids = Tensor::from_data(TensorData::new(vec![1i64, 8, 9, 10, 11, 12], [1, t]), &d);
        let pos = Tensor::from_data(TensorData::new((0..t as i64).collect::<Vec<_>>(), [1, t]), &d);
        m.forward(ids, pos, Tensor::<4>::zeros([1, 1, t, t], &d)).into_data().iter::<f32>().collect()
    };
    let body = weights::load_language_model(Role::Large, &large_entry, large_bytes.clone(), &d).unwrap();
    let loaded = weights::load_reward_model_on(&entry, head.clone(), body, &d).unwrap();
    assert_eq!(score(&loaded), score(&whole));

    // through a manifest, loaded only when asked for
    let mut files = HashMap::new();
    let mut entries = vec![(Role::Large, large_entry.clone()), (Role::PrmLarge, entry.clone())];
    for (i, role) in [Role::Generator, Role::Prm, Role::Revision].into_iter().enumerate() {
        let file = format!("{}.safetensors", role.name());
        let (e, bytes) = saved(role, &role.default_config(v), i as u64, &file);
        files.insert(file, bytes);
        entries.push((role, e));
    }
    files.insert("large.safetensors".into(), large_bytes.clone());
    files.insert("prm_large.safetensors".into(), head.clone());
    let manifest = Manifest::parse("manifest.json", &serde_json::to_string(&manifest_with(&entries)).unwrap()).unwrap();
    let read = |f: &str| files.get(f).cloned().ok_or(WeightsError::Read { file: f.into(), detail: "missing".into() });
    let mut models = Models::from_manifest(manifest.clone(), read, &d).unwrap();
    assert!(models.prm_large.is_none());
    models.load_large_verifier(read).unwrap();
    assert_eq!(score(&models.prm_large.as_ref().unwrap().0), score(&whole));

    // a head file that is another model's whole weights is refused, naming it
    let (_, generator_bytes) = saved(Role::Generator, &Role::Generator.default_config(v), 0, "x");
    let mut wrong = entry.clone();
    wrong.sha256 = weights::sha256_hex(&generator_bytes);
    wrong.bytes = Some(generator_bytes.len() as u64);
    let body = weights::load_language_model(Role::Large, &large_entry, large_bytes, &d).unwrap();
    let err = weights::load_reward_model_on(&wrong, generator_bytes, body, &d).err().unwrap();
    assert!(err.to_string().contains("prm_large.safetensors"), "{err}");

    // a body the manifest does not list, or of another shape, is refused
    let mut orphan = manifest.clone();
    orphan.models.remove(&Role::Large);
    let err = Manifest::parse("m.json", &serde_json::to_string(&orphan).unwrap()).unwrap_err();
    assert!(err.to_string().contains("prm_large") && err.to_string().contains("large"), "{err}");
    let mut misshapen = manifest;
    misshapen.models.get_mut(&Role::PrmLarge).unwrap().body = Some(Role::Generator);
    assert!(Manifest::parse("m.json", &serde_json::to_string(&misshapen).unwrap()).is_err());
}
