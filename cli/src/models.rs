//! The flags every model-running command shares (backend, weights folder, random-init seed)
//! and how a result names the models it ran on. The folder itself is read in `weights_dir`.

use anyhow::Result;
use clap::{Args, ValueEnum};
use engine::backend::{self, BackendChoice, BackendInfo};
use engine::models::{ModelSource, Models};
use engine::Device;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Backend {
    /// wgpu when an adapter exists, else the CPU
    Auto,
    Cpu,
    Wgpu,
}

impl From<Backend> for BackendChoice {
    fn from(b: Backend) -> Self {
        match b {
            Backend::Auto => BackendChoice::Auto,
            Backend::Cpu => BackendChoice::Cpu,
            Backend::Wgpu => BackendChoice::Wgpu,
        }
    }
}

#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Backend to run on.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// Folder with manifest.json and the weights; without a manifest there, randomly
    /// initialised models are used (and the output says so).
    #[arg(long, default_value = "public/models")]
    pub models: PathBuf,
    /// Seed for randomly initialised models.
    #[arg(long, default_value_t = 0)]
    pub init_seed: u64,
}

pub fn init_backend(choice: Backend) -> Result<(Device, BackendInfo)> {
    Ok(backend::init(choice.into())?)
}

pub fn describe(models: &Models) -> String {
    match &models.source {
        ModelSource::Trained(m) => format!("trained weights ({} models, task {})", m.models.len(), m.task),
        ModelSource::Random { seed } => format!("randomly initialised weights (seed {seed}; no trained weights found)"),
    }
}

/// Each model file's sha256 (the manifest's, checked at load), so a result names its weights.
pub fn hashes(models: &Models) -> serde_json::Value {
    match &models.source {
        ModelSource::Trained(m) => m.models.values().map(|e| (e.file.clone(), serde_json::Value::from(e.sha256.clone()))).collect(),
        ModelSource::Random { seed } => serde_json::json!({ "random_init_seed": seed }),
    }
}
