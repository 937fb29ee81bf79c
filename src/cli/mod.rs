//! The `veil` command line.
//!
//! Every command accepts `--json` and then prints exactly one JSON object on
//! stdout, so scripts can drive Veil; human-readable output otherwise.
//! Errors go to stderr and make the exit code non-zero.

pub mod bench;
pub mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Veil: a confidential ledger appliance.
#[derive(Debug, Parser)]
#[command(name = "veil", version, about, long_about = None)]
pub struct Cli {
    /// Print exactly one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure Veil's performance on this machine.
    Bench {
        /// What to measure.
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
    /// Tell Veil's story in one command: a bank pays a bank, the receiver
    /// finds the payment, the regulator reads it, a double spend is refused.
    Demo,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Bench { what } => bench::run(what, cli.json),
        Command::Demo => demo::run(cli.json),
    }
}

/// Prints a JSON value (for `--json`) on one line.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
