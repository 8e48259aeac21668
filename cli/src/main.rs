//! `ponder`: the native command line over Ponder's engine.

mod bench;
mod models;
mod solve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "ponder", version, about = "Test-time compute, made visible: run the study's search strategies on small models")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the backends this machine can run on.
    Devices(models::DevicesArgs),
    /// Solve one problem with a test-time strategy, showing progress live.
    Solve(solve::SolveArgs),
    /// Measure decoding throughput per backend and batch size.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Devices(a) => models::devices(a),
        Command::Solve(a) => solve::solve(a),
        Command::Bench(a) => bench::bench(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
