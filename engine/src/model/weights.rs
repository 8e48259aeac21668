//! Weights as safetensors (through burn-store) described by a JSON manifest. Every load
//! checks the file's sha256 and its tensors against the manifest and names the file and the
//! mismatch when anything is off.

use super::{LanguageModel, ModelConfig, RewardModel};
use burn::module::Module;
use burn::store::{ApplyResult, ModuleSnapshot, SafetensorsStore, SafetensorsStoreError};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const MANIFEST_FILE: &str = "manifest.json";
pub const MANIFEST_FORMAT: u32 = 1;

/// The roles models play. Each role has one entry in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Generator,
    Large,
    Prm,
    /// The PRM variant trained on the exact checker's hard labels (for comparison).
    PrmHard,
    Revision,
    /// The larger verifier: a PRM on the large model's body, whose file holds only its head.
    PrmLarge,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Generator, Role::Large, Role::Prm, Role::PrmHard, Role::Revision, Role::PrmLarge];
    pub fn name(self) -> &'static str {
        match self {
            Role::Generator => "generator",
            Role::Large => "large",
            Role::Prm => "prm",
            Role::PrmHard => "prm_hard",
            Role::Revision => "revision",
            Role::PrmLarge => "prm_large",
        }
    }
    pub fn is_reward_model(self) -> bool {
        matches!(self, Role::Prm | Role::PrmHard | Role::PrmLarge)
    }
    pub fn default_config(self, vocab_size: usize) -> ModelConfig {
        match self {
            Role::Generator => ModelConfig::small(vocab_size),
            Role::Large => ModelConfig::large(vocab_size),
            Role::Prm | Role::PrmHard => ModelConfig::prm(vocab_size),
            Role::Revision => ModelConfig::revision(vocab_size),
            Role::PrmLarge => ModelConfig::large(vocab_size),
        }
    }
    pub fn parameters(self, config: &ModelConfig) -> usize {
        if self.is_reward_model() { config.prm_params() } else { config.lm_params() }
    }
}

/// One model in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub file: String,
    pub config: ModelConfig,
    pub parameters: usize,
    pub sha256: String,
    /// File size in bytes (for download progress); checked with the sha256 when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Training record (tokens, FLOPs, wall time, machine); free-form, written by training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<serde_json::Value>,
    /// Evaluation numbers; free-form, written by training or evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<serde_json::Value>,
    /// A reward model whose frozen body and language-model head are this language model's
    /// weights: its own file holds only what training fitted ([`head_safetensors`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Role>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub task: String,
    /// The tokenizer's alphabet; models are only valid with exactly this vocabulary.
    pub alphabet: String,
    pub models: BTreeMap<Role, ModelEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("{file}: cannot read: {detail}")]
    Read { file: String, detail: String },
    #[error("{file}: not a valid manifest: {detail}")]
    Manifest { file: String, detail: String },
    #[error("{file}: manifest format {found} is not supported (expected {expected})")]
    ManifestFormat { file: String, found: u32, expected: u32 },
    #[error("manifest has no entry for the {role} model")]
    MissingRole { role: &'static str },
    #[error("{file}: {actual} bytes, but the manifest says {expected} (truncated, corrupt or replaced file)")]
    SizeMismatch { file: String, expected: u64, actual: u64 },
    #[error("{file}: sha256 is {actual}, but the manifest says {expected} (corrupt or replaced file)")]
    Sha256Mismatch { file: String, expected: String, actual: String },
    #[error("{file}: {detail}")]
    InvalidConfig { file: String, detail: String },
    #[error("{file}: not a readable safetensors file: {detail}")]
    NotSafetensors { file: String, detail: String },
    #[error("{file}: tensors do not match the {role} model's config: {detail}")]
    TensorMismatch { file: String, role: &'static str, detail: String },
    #[error("{file}: cannot save: {detail}")]
    Save { file: String, detail: String },
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Manifest {
    pub fn parse(file: &str, text: &str) -> Result<Self, WeightsError> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|e| WeightsError::Manifest { file: file.into(), detail: e.to_string() })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(WeightsError::ManifestFormat { file: file.into(), found: manifest.format, expected: MANIFEST_FORMAT });
        }
        for (role, entry) in &manifest.models {
            entry.config.validate().map_err(|e| WeightsError::InvalidConfig { file: file.into(), detail: format!("{}: {e}", role.name()) })?;
            let expected = role.parameters(&entry.config);
            if entry.parameters != expected {
                return Err(WeightsError::InvalidConfig {
                    file: file.into(),
                    detail: format!("{}: {} parameters listed, but its config has {expected}", role.name(), entry.parameters),
                });
            }
            if let Some(body) = entry.body {
                let body_entry = manifest.models.get(&body).filter(|_| role.is_reward_model() && !body.is_reward_model());
                let same_shape = body_entry.is_some_and(|b| ModelConfig { max_len: entry.config.max_len, ..b.config.clone() } == entry.config);
                if !same_shape {
                    return Err(WeightsError::InvalidConfig {
                        file: file.into(),
                        detail: format!("{}: its body is the {} model's, which the manifest must list with the same shape", role.name(), body.name()),
                    });
                }
            }
            if entry.file.contains('/') || entry.file.contains('\\') || entry.file.contains("..") {
                return Err(WeightsError::InvalidConfig { file: file.into(), detail: format!("{}: file name {:?} must be a plain name", role.name(), entry.file) });
            }
        }
        Ok(manifest)
    }

    pub fn entry(&self, role: Role) -> Result<&ModelEntry, WeightsError> {
        self.models.get(&role).ok_or(WeightsError::MissingRole { role: role.name() })
    }
}

/// Checks `bytes` against the manifest entry's sha256.
pub fn verify_sha256(entry: &ModelEntry, bytes: &[u8]) -> Result<(), WeightsError> {
    if let Some(expected) = entry.bytes.filter(|&n| n != bytes.len() as u64) {
        return Err(WeightsError::SizeMismatch { file: entry.file.clone(), expected, actual: bytes.len() as u64 });
    }
    let actual = sha256_hex(bytes);
    if actual != entry.sha256 {
        return Err(WeightsError::Sha256Mismatch { file: entry.file.clone(), expected: entry.sha256.clone(), actual });
    }
    Ok(())
}

/// Keeps long library messages (one entry per tensor) readable.
fn shorten(detail: &str) -> String {
    const MAX: usize = 400;
    if detail.chars().count() <= MAX {
        detail.to_string()
    } else {
        format!("{}…", detail.chars().take(MAX).collect::<String>())
    }
}

fn check_applied(file: &str, role: &'static str, result: ApplyResult) -> Result<(), WeightsError> {
    let mut problems = Vec::new();
    if !result.errors.is_empty() {
        problems.push(format!("{} mismatched: {}", result.errors.len(), result.errors.iter().map(|e| format!("{e:?}")).take(3).collect::<Vec<_>>().join("; ")));
    }
    if !result.missing.is_empty() {
        problems.push(format!("missing {}", result.missing.iter().map(|m| m.0.as_str()).take(5).collect::<Vec<_>>().join(", ")));
    }
    if !result.unused.is_empty() {
        problems.push(format!("unexpected {}", result.unused.iter().take(5).cloned().collect::<Vec<_>>().join(", ")));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WeightsError::TensorMismatch { file: file.into(), role, detail: problems.join("; ") })
    }
}

fn load_into<M: Module + ModuleSnapshot>(mut model: M, file: &str, role: &'static str, bytes: Vec<u8>) -> Result<M, WeightsError> {
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let result = model.load_from(&mut store).map_err(|e| match e {
        // burn-store reports tensors of the wrong shape as a failed validation.
        SafetensorsStoreError::ValidationFailed(detail) => {
            WeightsError::TensorMismatch { file: file.into(), role, detail: shorten(&detail) }
        }
        other => WeightsError::NotSafetensors { file: file.into(), detail: shorten(&other.to_string()) },
    })?;
    check_applied(file, role, result)?;
    Ok(model)
}

/// Loads a language model (generator, large or revision) after checking sha256 and tensors.
pub fn load_language_model(role: Role, entry: &ModelEntry, bytes: Vec<u8>, device: &Device) -> Result<LanguageModel, WeightsError> {
    verify_sha256(entry, &bytes)?;
    load_into(LanguageModel::init(&entry.config, device), &entry.file, role.name(), bytes)
}

/// Loads the reward model after checking sha256 and tensors.
pub fn load_reward_model(entry: &ModelEntry, bytes: Vec<u8>, device: &Device) -> Result<RewardModel, WeightsError> {
    verify_sha256(entry, &bytes)?;
    load_into(RewardModel::init(&entry.config, device), &entry.file, Role::Prm.name(), bytes)
}

/// The tensors of a reward model that training fits; the rest is its body's.
const HEAD_TENSORS: &str = r"^(head\.|likelihood_weight)";

/// Loads a reward model whose entry names a `body`: `body` is that language model, loaded and
/// checked, and `bytes` the head file, checked against the entry.
pub fn load_reward_model_on(entry: &ModelEntry, bytes: Vec<u8>, body: LanguageModel, device: &Device) -> Result<RewardModel, WeightsError> {
    verify_sha256(entry, &bytes)?;
    let (body, lm_head) = body.into_parts();
    let model = RewardModel::from_language_model(body, lm_head, &entry.config, device);
    let mut store = SafetensorsStore::from_bytes(Some(bytes)).with_regex(HEAD_TENSORS).allow_partial(true);
    let mut model = model;
    let mut result = model.load_from(&mut store).map_err(|e| WeightsError::NotSafetensors { file: entry.file.clone(), detail: shorten(&e.to_string()) })?;
    // The body's tensors come from the body: only a missing head tensor is an error.
    let is_head = |path: &str| path.starts_with("head.") || path == "likelihood_weight";
    result.missing.retain(|(path, _)| is_head(path));
    check_applied(&entry.file, Role::PrmLarge.name(), result)?;
    Ok(model)
}

/// Safetensors of what training fitted in a reward model: its head, without the body.
pub fn head_safetensors(model: &RewardModel, file: &str) -> Result<Vec<u8>, WeightsError> {
    let mut store = SafetensorsStore::from_bytes(None).with_regex(HEAD_TENSORS);
    model.save_into(&mut store).map_err(|e| WeightsError::Save { file: file.into(), detail: e.to_string() })?;
    store.get_bytes().map_err(|e| WeightsError::Save { file: file.into(), detail: e.to_string() })
}

/// Loads weights into `model` without a manifest (training checkpoints), still checking
/// that every tensor matches.
pub fn load_unchecked<M: Module + ModuleSnapshot>(model: M, file: &str, bytes: Vec<u8>) -> Result<M, WeightsError> {
    load_into(model, file, "checkpointed", bytes)
}

/// Serialises a module to safetensors bytes. Native only: it reads tensors synchronously.
pub fn to_safetensors<M: ModuleSnapshot>(model: &M, file: &str) -> Result<Vec<u8>, WeightsError> {
    let mut store = SafetensorsStore::from_bytes(None);
    model.save_into(&mut store).map_err(|e| WeightsError::Save { file: file.into(), detail: e.to_string() })?;
    store.get_bytes().map_err(|e| WeightsError::Save { file: file.into(), detail: e.to_string() })
}

/// A manifest entry describing `bytes` as the weights of `role` with `config`.
pub fn entry_for(role: Role, config: &ModelConfig, file: &str, bytes: &[u8]) -> ModelEntry {
    ModelEntry {
        file: file.into(),
        config: config.clone(),
        parameters: role.parameters(config),
        sha256: sha256_hex(bytes),
        bytes: Some(bytes.len() as u64),
        training: None,
        metrics: None,
        body: None,
    }
}

/// The CPU backend's random generator is global: seeding and initialising must not interleave
/// between threads, or the same seed would give different weights.
static RANDOM_INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Safetensors of a module initialised on the CPU from `seed`.
fn seeded_safetensors<M: ModuleSnapshot>(seed: u64, init: impl FnOnce(&Device) -> M) -> Result<Vec<u8>, WeightsError> {
    let _seeded = RANDOM_INIT.lock().unwrap_or_else(|e| e.into_inner());
    let cpu = Device::flex();
    cpu.seed(seed);
    to_safetensors(&init(&cpu), "random")
}

/// Randomly initialised weights, identical on every device: initialised on the CPU with a
/// seed, then loaded onto `device` through safetensors.
pub fn random_language_model(config: &ModelConfig, seed: u64, device: &Device) -> Result<LanguageModel, WeightsError> {
    let bytes = seeded_safetensors(seed, |cpu| LanguageModel::init(config, cpu))?;
    load_into(LanguageModel::init(config, device), "random", "language", bytes)
}

/// Randomly initialised reward model, identical on every device (see [`random_language_model`]).
pub fn random_reward_model(config: &ModelConfig, seed: u64, device: &Device) -> Result<RewardModel, WeightsError> {
    let bytes = seeded_safetensors(seed, |cpu| RewardModel::init(config, cpu))?;
    load_into(RewardModel::init(config, device), "random", "reward", bytes)
}
