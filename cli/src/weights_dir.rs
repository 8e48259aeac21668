//! The weights folder (`public/models` by default): manifest.json and the safetensors files it
//! lists. Every command reads and writes it through here, so one place knows its layout.

use anyhow::{Context, Result};
use engine::Device;
use engine::model::weights::{self, MANIFEST_FILE, MANIFEST_FORMAT, Manifest, ModelEntry, Role, WeightsError};
use engine::model::{LanguageModel, ModelConfig, RewardModel};
use engine::models::Models;
use engine::task::{ArithmeticChain, Task};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Whether `dir` holds trained weights (a manifest) at all.
pub fn has_manifest(dir: &Path) -> bool {
    dir.join(MANIFEST_FILE).exists()
}

/// The manifest in `dir`, or `None` when there is none.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(MANIFEST_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(Manifest::parse(&path.display().to_string(), &text)?))
}

/// Replaces the manifest in `dir` (through a temporary file, so a kill leaves the old one whole).
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    write_atomic(&dir.join(MANIFEST_FILE), (serde_json::to_string_pretty(manifest)? + "\n").as_bytes())
}

/// The models the strategies run on: those in `dir`, or randomly initialised ones (from
/// `init_seed`) when `dir` has no manifest.
pub fn load_models(dir: &Path, init_seed: u64, device: &Device) -> Result<Models> {
    let Some(manifest) = read_manifest(dir)? else {
        return Models::random(device, init_seed).context("initialising random models");
    };
    Ok(Models::from_manifest(manifest, |file| read_weights(dir, file), device)?)
}

/// `role`'s language model and its shape, when the manifest lists one.
pub fn listed_language_model(dir: &Path, manifest: &Manifest, role: Role, device: &Device) -> Result<Option<(LanguageModel, ModelConfig)>> {
    let Some(entry) = manifest.models.get(&role) else { return Ok(None) };
    Ok(Some((language_model(dir, role, entry, device)?, entry.config.clone())))
}

/// `role`'s reward model and its shape, when the manifest lists one (on its body's weights
/// where the entry names a body).
pub fn listed_reward_model(dir: &Path, manifest: &Manifest, role: Role, device: &Device) -> Result<Option<(RewardModel, ModelConfig)>> {
    let Some(entry) = manifest.models.get(&role) else { return Ok(None) };
    let bytes = read_entry(dir, entry)?;
    let model = match entry.body {
        Some(body) => weights::load_reward_model_on(entry, bytes, language_model(dir, body, manifest.entry(body)?, device)?, device)?,
        None => weights::load_reward_model(entry, bytes, device)?,
    };
    Ok(Some((model, entry.config.clone())))
}

/// Adds the larger verifier of `dir` to `models` (the runs that ask for it).
pub fn load_large_verifier(dir: &Path, models: &mut Models) -> Result<()> {
    Ok(models.load_large_verifier(|file| read_weights(dir, file))?)
}

/// The language model of a manifest entry (its sha256 checked).
pub fn language_model(dir: &Path, role: Role, entry: &ModelEntry, device: &Device) -> Result<LanguageModel> {
    let bytes = read_entry(dir, entry)?;
    Ok(weights::load_language_model(role, entry, bytes, device)?)
}

/// Writes `model`'s weights as `<role>.safetensors` and its manifest entry (the other entries
/// are kept; a folder without a manifest gets a new one). Returns the file and its bytes.
pub fn save_model<M: burn::store::ModuleSnapshot>(dir: &Path, role: Role, config: &ModelConfig, model: &M, training: serde_json::Value) -> Result<(PathBuf, Vec<u8>)> {
    let file = format!("{}.safetensors", role.name());
    let bytes = weights::to_safetensors(model, &file)?;
    save_file(dir, role, config, file, bytes, training, None)
}

/// Writes a reward model whose body is `body`'s weights: only its head, as `<role>.safetensors`,
/// and an entry naming the body.
pub fn save_head(dir: &Path, role: Role, body: Role, config: &ModelConfig, model: &RewardModel, training: serde_json::Value) -> Result<(PathBuf, Vec<u8>)> {
    let file = format!("{}.safetensors", role.name());
    let bytes = weights::head_safetensors(model, &file)?;
    save_file(dir, role, config, file, bytes, training, Some(body))
}

fn save_file(dir: &Path, role: Role, config: &ModelConfig, file: String, bytes: Vec<u8>, training: serde_json::Value, body: Option<Role>) -> Result<(PathBuf, Vec<u8>)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(&file);
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    let mut manifest = read_manifest(dir)?.unwrap_or_else(empty_manifest);
    let mut entry = weights::entry_for(role, config, &file, &bytes);
    entry.training = Some(training);
    entry.body = body;
    manifest.models.insert(role, entry);
    write_manifest(dir, &manifest)?;
    Ok((path, bytes))
}

/// Lists `role` in the manifest as `from`'s weights file read with `config` (a model that serves
/// two roles, such as the generator that is its own revision model).
pub fn alias_entry(dir: &Path, role: Role, from: Role, config: &ModelConfig) -> Result<()> {
    let mut manifest = read_manifest(dir)?.with_context(|| format!("no {MANIFEST_FILE} in {}", dir.display()))?;
    let mut entry = manifest.entry(from)?.clone();
    entry.config = config.clone();
    entry.training = Some(serde_json::json!({ "same_weights_as": from.name() }));
    manifest.models.insert(role, entry);
    write_manifest(dir, &manifest)
}

/// Writes `bytes` to `path` through a temporary file, so a kill leaves the old file whole.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn empty_manifest() -> Manifest {
    let task = ArithmeticChain;
    Manifest { format: MANIFEST_FORMAT, task: task.name().into(), alphabet: task.tokenizer().alphabet(), models: BTreeMap::new() }
}

fn read_entry(dir: &Path, entry: &ModelEntry) -> Result<Vec<u8>> {
    let path = dir.join(&entry.file);
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// A weights file, for the engine's loader (which reports its own errors).
fn read_weights(dir: &Path, file: &str) -> Result<Vec<u8>, WeightsError> {
    let path = dir.join(file);
    std::fs::read(&path).map_err(|e| WeightsError::Read { file: path.display().to_string(), detail: e.to_string() })
}
