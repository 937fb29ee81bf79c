//! The `veil` command line.
//!
//! Every command accepts `--json` and then prints exactly one JSON object on
//! stdout, so scripts can drive Veil; human-readable output otherwise.
//! Errors go to stderr (with `--json`: one `{"error": {…}}` object on
//! stdout) and the exit code says what kind of failure it was:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | a local error: a file, a key, a wrong passphrase, an amount the wallet cannot cover |
//! | 2 | the command line is wrong (usage) |
//! | 3 | the node refused the request (its problem+json is passed on) |
//! | 4 | the node could not be reached |
//!
//! A closed stdout (`veil … | head`) ends the process quietly, as Unix
//! tools do.

pub mod amount;
#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "bench")]
pub mod bench_big_block;
pub mod bench_cluster;
#[cfg(feature = "bench")]
pub mod bench_ledger;
pub mod bench_netns;
pub mod bench_overload;
pub mod bench_vault;
pub mod demo;
pub mod gov;
pub mod identity;
pub mod issuer;
pub mod node;
pub mod regulator;
pub mod testnet;
pub mod threshold;
pub mod vault;
pub mod wallet;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Veil: a confidential ledger appliance.
#[derive(Debug, Parser)]
#[command(name = "veil", version, about, long_about = None)]
pub struct Cli {
    /// Print exactly one JSON object on stdout (on failure too: `{"error":
    /// …}`).
    #[arg(long, global = true)]
    pub json: bool,
    /// The node's API: where client commands send requests, and where
    /// `veil node` listens. Anywhere on the command line.
    #[arg(long, global = true, env = "VEIL_API", default_value = DEFAULT_API, value_name = "URL")]
    pub api: String,
    /// Overwrite existing output files (`--out`, `--offline`); without it
    /// an existing file is never replaced.
    #[arg(long, global = true)]
    pub force: bool,
    /// Read keystore passphrases from this file (first line) instead of
    /// `VEIL_PASSPHRASE` or the terminal.
    #[arg(long, global = true, env = "VEIL_PASSPHRASE_FILE", value_name = "FILE")]
    pub passphrase_file: Option<std::path::PathBuf>,
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
    /// The evidence vault: documents encrypted here, grants, openings and
    /// their trail on the ledger.
    Vault(vault::VaultArgs),
    /// Check a disclosure file against the ledger.
    VerifyDisclosure {
        /// The disclosure (JSON).
        file: std::path::PathBuf,
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

/// Exit code: a local error.
pub const EXIT_LOCAL: u8 = 1;
/// Exit code: the command line is wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the node refused the request.
pub const EXIT_REFUSED: u8 = 3;
/// Exit code: the node could not be reached.
pub const EXIT_UNREACHABLE: u8 = 4;

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    // Writing to a closed pipe ends the process (SIGPIPE) instead of
    // panicking in `println!`.
    sigpipe::reset();
    let json = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let shown = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
            if json && !shown {
                let text = e
                    .kind()
                    .as_str()
                    .unwrap_or("invalid command line")
                    .to_owned();
                let detail = e.to_string();
                let detail = detail
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                print_error(EXIT_USAGE, "urn:veil:cli:usage", &text, detail, None);
                return ExitCode::from(EXIT_USAGE);
            }
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(report(&e, json)),
    }
}

/// The node's answer inside an error chain, if the failure came from it.
fn client_error(e: &anyhow::Error) -> Option<&veil_client::ClientError> {
    e.chain().find_map(|c| {
        c.downcast_ref::<veil_client::ClientError>().or_else(|| {
            match c.downcast_ref::<crate::wallet::source::SourceError>() {
                Some(crate::wallet::source::SourceError::Api(api)) => Some(api),
                _ => None,
            }
        })
    })
}

/// Prints a failure (stderr, or one JSON object with `--json`); its exit
/// code.
fn report(e: &anyhow::Error, json: bool) -> u8 {
    match client_error(e) {
        Some(c) if c.is_unreachable() => {
            let detail = format!(
                "{c}. Is the node running? Point to another one with --api URL or VEIL_API."
            );
            if json {
                print_error(
                    EXIT_UNREACHABLE,
                    "urn:veil:cli:unreachable",
                    "the node could not be reached",
                    &detail,
                    None,
                );
            } else {
                eprintln!("error: {detail}");
            }
            EXIT_UNREACHABLE
        }
        Some(c) => {
            if json {
                match c.problem() {
                    Some(p) => {
                        print_error(EXIT_REFUSED, &p.kind, &p.title, &p.detail, Some(p.status))
                    }
                    None => print_error(
                        EXIT_REFUSED,
                        "urn:veil:cli:refused",
                        "the node refused the request",
                        &format!("{e:#}"),
                        None,
                    ),
                }
            } else {
                eprintln!("error: {e:#}");
            }
            EXIT_REFUSED
        }
        None => {
            if json {
                print_error(
                    EXIT_LOCAL,
                    "urn:veil:cli:local",
                    "the command failed",
                    &format!("{e:#}"),
                    None,
                );
            } else {
                eprintln!("error: {e:#}");
            }
            EXIT_LOCAL
        }
    }
}

/// The `--json` failure object: problem+json members under `error`.
fn print_error(code: u8, kind: &str, title: &str, detail: &str, status: Option<u16>) {
    print_json(&serde_json::json!({
        "error": {
            "type": kind,
            "title": title,
            "detail": detail,
            "status": status,
            "exit_code": code,
        }
    }));
}

/// Where a node's API is unless `--api` or `VEIL_API` says otherwise.
pub const DEFAULT_API: &str = "http://127.0.0.1:8700";

/// The listen address in an `--api` value (`host:port` or
/// `http://host:port[/]`).
fn listen_address(api: &str) -> anyhow::Result<std::net::SocketAddr> {
    let bare = api
        .strip_prefix("http://")
        .unwrap_or(api)
        .trim_end_matches('/');
    bare.parse().map_err(|_| {
        anyhow::anyhow!(
            "--api {api:?}: a node listens on an IP address and port, e.g. 127.0.0.1:8700"
        )
    })
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(file) = &cli.passphrase_file {
        veil_keystore::set_passphrase_file(file);
    }
    let _ = FORCE.set(cli.force);
    let api = cli.api.trim_end_matches('/').to_owned();
    match cli.command {
        Command::Node(mut args) => {
            args.api = listen_address(&api)?;
            node::run(args, cli.json)
        }
        Command::Testnet(args) => testnet::run(args, cli.json),
        Command::Wallet(mut args) => {
            args.api = api;
            wallet::run(args, cli.json)
        }
        Command::Tx { command } => wallet::run_tx(command, &api, cli.json),
        Command::Vault(mut args) => {
            args.api = api;
            vault::run(args, cli.json)
        }
        Command::Issuer(mut args) => {
            args.api = api;
            issuer::run(args, cli.json)
        }
        Command::Regulator(mut args) => {
            args.api = api;
            regulator::run(args, cli.json)
        }
        Command::AuditLog {
            from_height,
            to_height,
        } => regulator::audit_log(&api, from_height, to_height, cli.json),
        Command::VerifyDisclosure { file } => {
            regulator::verify_disclosure_file(&api, &file, cli.json)
        }
        #[cfg(feature = "bench")]
        Command::Bench { what } => bench::run(what, cli.json),
        Command::Setup(args) => identity::setup(&args, cli.json),
        Command::Did(mut args) => {
            args.api = api;
            identity::run_did(args, cli.json)
        }
        Command::Trust(mut args) => {
            args.api = api;
            identity::run_trust(args, cli.json)
        }
        Command::Credential(mut args) => {
            args.api = api;
            identity::run_credential(args, cli.json)
        }
        Command::Gov(mut args) => {
            args.api = api;
            gov::run(args, cli.json)
        }
        Command::Validator(mut args) => {
            args.api = api;
            gov::run_validator(args, cli.json)
        }
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
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(RecentEvents);
    let _ = if json {
        registry.with(fmt.json()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
}

/// Keeps the warnings and errors a node logs for its console
/// (`veil_node::history::recent_events`, `GET /v1/node/health`).
struct RecentEvents;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RecentEvents {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let level = *event.metadata().level();
        if level > tracing::Level::WARN {
            return;
        }
        let mut message = EventText(String::new());
        event.record(&mut message);
        veil_node::history::record_event(veil_node::history::Event {
            time_ms: veil_clock::now_ms(),
            level: level.to_string(),
            target: event.metadata().target().to_owned(),
            message: message.0,
        });
    }
}

/// An event's message followed by its fields as `name=value`.
struct EventText(String);

impl tracing::field::Visit for EventText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        if self.0.len() > veil_node::history::MAX_EVENT_CHARS {
            return;
        }
        if field.name() == "message" {
            let _ = if self.0.is_empty() {
                write!(self.0, "{value:?}")
            } else {
                write!(self.0, " {value:?}")
            };
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

static FORCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Refuses an output path that exists, unless `--force` was given (checked
/// before any work whose result would then be lost).
pub(crate) fn check_output(path: &std::path::Path) -> anyhow::Result<()> {
    if path.exists() && !FORCE.get().copied().unwrap_or(false) {
        anyhow::bail!(
            "{} already exists; not overwriting it (pass --force to replace it)",
            path.display()
        );
    }
    Ok(())
}

/// Writes an output file that may hold secrets or personal data
/// (credentials with their salt, disclosures, signed transactions,
/// exports): mode 0600, atomically, and never over an existing file unless
/// `--force` was given.
pub(crate) fn write_output(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    check_output(path)?;
    veil_keystore::write_private(path, bytes)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// Prints a JSON value (for `--json`) on one line.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
