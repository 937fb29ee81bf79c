//! The `veil` command line.
//!
//! Every command accepts `--json` and then prints exactly one JSON object on
//! stdout, so scripts can drive Veil; human-readable output otherwise.
//! Errors go to stderr and make the exit code non-zero.

pub mod amount;
#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "bench")]
pub mod bench_cluster;
#[cfg(feature = "bench")]
pub mod bench_ledger;
pub mod demo;
pub mod gov;
pub mod identity;
pub mod issuer;
pub mod node;
pub mod regulator;
pub mod testnet;
pub mod wallet;

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
    /// Run a node (`--dev` for a single-node development network).
    Node(node::NodeArgs),
    /// Run a local network of validators as child processes.
    Testnet(testnet::TestnetArgs),
    /// A bank's wallet: address, balance, transfers, history.
    Wallet(wallet::WalletArgs),
    /// Transaction files.
    Tx {
        /// What to do.
        #[command(subcommand)]
        command: wallet::TxCommand,
    },
    /// An asset issuer: mint after genesis.
    Issuer(issuer::IssuerArgs),
    /// A regulator (or delegated auditor): views, reports, delegation, key registry.
    Regulator(regulator::RegulatorArgs),
    /// List the access-audit trail: every regulator query the API served.
    AuditLog {
        /// First height.
        #[arg(long, default_value_t = 0)]
        from_height: u64,
        /// Last height.
        #[arg(long)]
        to_height: Option<u64>,
        /// The node's API.
        #[arg(long, default_value = "http://127.0.0.1:8700")]
        api: String,
    },
    /// Generate the credential circuit's proving and verifying keys
    /// (development ceremony).
    Setup(identity::SetupArgs),
    /// DIDs: create, update, rotate, deactivate, resolve.
    Did(identity::DidArgs),
    /// The root authority's trust list: credential types, accreditations.
    Trust(identity::TrustArgs),
    /// Credentials: issue, revoke, request, present, verify.
    Credential(identity::CredentialArgs),
    /// Governance: the committee's proposals and votes.
    Gov(gov::GovArgs),
    /// Validators: register candidates, delegate, list the set.
    Validator(gov::ValidatorArgs),
    /// Check a disclosure file against the ledger.
    VerifyDisclosure {
        /// The disclosure (JSON).
        file: std::path::PathBuf,
        /// The node's API.
        #[arg(long, default_value = "http://127.0.0.1:8700")]
        api: String,
    },
    /// Measure Veil's performance on this machine.
    #[cfg(feature = "bench")]
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
        Command::Node(args) => node::run(args, cli.json),
        Command::Testnet(args) => testnet::run(args, cli.json),
        Command::Wallet(args) => wallet::run(args, cli.json),
        Command::Tx { command } => wallet::run_tx(command, cli.json),
        Command::Issuer(args) => issuer::run(args, cli.json),
        Command::Regulator(args) => regulator::run(args, cli.json),
        Command::AuditLog {
            from_height,
            to_height,
            api,
        } => regulator::audit_log(&api, from_height, to_height, cli.json),
        Command::VerifyDisclosure { file, api } => {
            regulator::verify_disclosure_file(&api, &file, cli.json)
        }
        #[cfg(feature = "bench")]
        Command::Bench { what } => bench::run(what, cli.json),
        Command::Setup(args) => identity::setup(&args, cli.json),
        Command::Did(args) => identity::run_did(args, cli.json),
        Command::Trust(args) => identity::run_trust(args, cli.json),
        Command::Credential(args) => identity::run_credential(args, cli.json),
        Command::Gov(args) => gov::run(args, cli.json),
        Command::Validator(args) => gov::run_validator(args, cli.json),
        Command::Demo => demo::run(cli.json),
    }
}

/// Sets up logging to stderr. The default filter silences arkworks'
/// constraint-system spans (`gr1cs`, `r1cs`), which slow proving ~60×.
/// `RUST_LOG` overrides it.
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,gr1cs=off,r1cs=off,hyper=warn,quinn=warn,rustls=warn,\
             arc_malachitebft_core_consensus=warn,arc_malachitebft_core_driver=warn",
        )
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Prints a JSON value (for `--json`) on one line.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
