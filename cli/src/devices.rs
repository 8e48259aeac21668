//! `ponder devices`: the backends this machine can run on.

use anyhow::Result;
use clap::Args;
use engine::backend;

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
