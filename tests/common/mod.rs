//! Shared by the CLI's end-to-end tests: runs the `ponder` binary from the repository root.

use std::process::{Command, Output};

pub fn ponder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ponder"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("ponder runs")
}
