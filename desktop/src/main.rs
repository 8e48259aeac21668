//! `ponder-arena`: the arena in a window. Settings come in the page's link syntax, so a
//! configuration moves between the page and the desktop.

use anyhow::{Result, bail};
use arena::config::Config;
use arena::settings::BackendPref;
use clap::{Parser, ValueEnum};
use desktop::app::{ArenaApp, EngineLink, Script};
use engine::backend::BackendChoice;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Backend {
    /// wgpu when an adapter exists, else the CPU
    Auto,
    Cpu,
    Wgpu,
}

/// Ponder's arena in a window: best-of-N, revisions, beam search, lookahead and the
/// compute-optimal pick, side by side on the same problem, decoding live.
#[derive(Parser)]
#[command(name = "ponder-arena", version)]
struct Args {
    /// Settings in the page's link syntax, e.g. "level=3&budget=32&verifier=oracle"
    #[arg(long, default_value = "")]
    config: String,
    /// Backend to run the models on (default: the link's `backend`, else auto)
    #[arg(long, value_enum)]
    backend: Option<Backend>,
    /// Folder with manifest.json and the weights
    #[arg(long, default_value = "public/models")]
    models: PathBuf,
    /// Start a run as soon as the models are ready
    #[arg(long)]
    run: bool,
    /// Once that run is over, save the window as a PNG here
    #[arg(long, requires = "run")]
    screenshot: Option<PathBuf>,
    /// Close the window once the run is over (and the screenshot saved)
    #[arg(long, requires = "run")]
    exit_when_done: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let (config, errors) = Config::from_query(&args.config);
    if !errors.is_empty() {
        bail!("--config: {}", errors.join("; "));
    }
    let backend = match (args.backend, config.backend) {
        (Some(Backend::Cpu), _) | (None, BackendPref::Cpu) => BackendChoice::Cpu,
        (Some(Backend::Wgpu), _) | (None, BackendPref::WebGpu) => BackendChoice::Wgpu,
        (Some(Backend::Auto), _) | (None, BackendPref::Auto | BackendPref::Measure) => BackendChoice::Auto,
    };
    if !args.models.is_dir() {
        bail!("--models {}: no such folder (it holds manifest.json and the weights; run from the repository root, or name it)", args.models.display());
    }
    let script = Script { run: args.run, screenshot: args.screenshot, exit_when_done: args.exit_when_done };
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default().with_title("Ponder arena").with_inner_size([1600.0, 950.0]),
        ..Default::default()
    };
    let models = args.models;
    eframe::run_native(
        "Ponder arena",
        options,
        Box::new(move |cc| {
            // The page's look: light, so the verifier's pale colours read as they do there.
            cc.egui_ctx.set_theme(eframe::egui::Theme::Light);
            let engine = EngineLink::start(models, backend, &cc.egui_ctx);
            Ok(Box::new(ArenaApp::new(config, Some(engine), script)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not open: {e}"))
}
