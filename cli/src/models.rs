//! Backend choice and model loading shared by the subcommands.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use engine::backend::{self, BackendChoice, BackendInfo};
use engine::model::weights::{MANIFEST_FILE, Manifest, WeightsError};
use engine::models::{ModelSource, Models};
use engine::Device;
use std::path::{Path, PathBuf};

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

/// Loads the models in `dir`, or random ones when `dir` has no manifest.
pub fn load(args: &ModelArgs, device: &Device) -> Result<Models> {
    let manifest_path = args.models.join(MANIFEST_FILE);
    if !manifest_path.exists() {
        return Models::random(device, args.init_seed).context("initialising random models");
    }
    let text = std::fs::read_to_string(&manifest_path).with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest = Manifest::parse(&manifest_path.display().to_string(), &text)?;
    let dir = args.models.clone();
    let models = Models::from_manifest(manifest, |file| read(&dir, file), device)?;
    Ok(models)
}

fn read(dir: &Path, file: &str) -> Result<Vec<u8>, WeightsError> {
    let path = dir.join(file);
    std::fs::read(&path).map_err(|e| WeightsError::Read { file: path.display().to_string(), detail: e.to_string() })
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

#[derive(Args)]
pub struct DevicesArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn devices(args: DevicesArgs) -> Result<()> {
    let mut found = vec![backend::cpu().1];
    let wgpu = backend::wgpu();
    let wgpu_error = match &wgpu {
        Ok((_, info)) => {
            found.push(info.clone());
            None
        }
        Err(e) => Some(e.to_string()),
    };
    if args.json {
        println!("{}", serde_json::json!({ "backends": found, "wgpu_error": wgpu_error }));
    } else {
        for b in &found {
            println!("{:5} {}{}", b.kind, b.adapter, if b.software { " (software)" } else { "" });
        }
        if let Some(e) = wgpu_error {
            println!("wgpu  unavailable: {e}");
        }
        let default = if found.len() > 1 { "wgpu" } else { "cpu" };
        println!("default: {default}");
    }
    Ok(())
}
