//! `veil regulator …`, `veil audit-log`, `veil verify-disclosure`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use serde_json::json;

use crate::regulator::credentials::Credentials;
use crate::regulator::session::{Query, Session};
use crate::regulator::view::to_csv;
use crate::tx::registry::{Jurisdiction, KeyEntry, RegulatorKeys, Slot};
use crate::tx::Transaction;
use crate::wallet::client::HttpSource;
use crate::wallet::disclose::{verify_disclosure, Disclosure};
use veil_client::types::{AuditLogJson, RegulatorRegistryJson};
use veil_keystore::{self as keystore, KdfParams};

/// Options of `veil regulator`.
#[derive(Debug, clap::Args)]
pub struct RegulatorArgs {
    /// A regulator keystore, an auditor key made by `delegate`, or an
    /// officer keystore made by `officer`.
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// The node's API (the global `--api` / `VEIL_API`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: RegulatorCommand,
}

/// Output formats of `view`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// A table for humans.
    Table,
    /// One JSON object.
    Json,
    /// CSV, one line per output.
    Csv,
}

/// Regulator commands.
#[derive(Debug, Subcommand)]
pub enum RegulatorCommand {
    /// Decrypt every transfer in a height range (amounts from the proven
    /// handles; a flag where the sender's note disagrees).
    View {
        /// First height.
        #[arg(long, default_value_t = 0)]
        from_height: u64,
        /// Last height, or `latest`.
        #[arg(long, default_value = "latest")]
        to_height: String,
        /// Only transfers from or to this participant.
        #[arg(long)]
        bank: Option<String>,
        /// Only this asset.
        #[arg(long)]
        asset: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// With a threshold key instead (`--threshold REQUEST --group GROUP`).
        #[command(flatten)]
        with: ThresholdArgs,
    },
    /// Day-end clearing report: per participant and asset, inflow, outflow,
    /// net, counts, and the largest transfers.
    Report {
        /// First height.
        #[arg(long, default_value_t = 0)]
        from_height: u64,
        /// Last height, or `latest`.
        #[arg(long, default_value = "latest")]
        to_height: String,
        /// Only this asset.
        #[arg(long)]
        asset: Option<String>,
        /// How many of the largest transfers to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// With a threshold key instead (`--threshold REQUEST --group GROUP`).
        #[command(flatten)]
        with: ThresholdArgs,
    },
    /// Serve the regulator console: a local web page on 127.0.0.1 with
    /// views, charts, the clearing report and its CSV export, this
    /// keystore's audit trail, and auditor delegation. The key stays in
    /// this process; every query leaves the same access record as `view`.
    Console {
        /// Loopback address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
        /// Directory where auditor keys delegated from the console are
        /// written.
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
    },
    /// Open an evidence-vault document with the regulator's epoch key (the
    /// opening is recorded on the ledger, signed by this regulator, before
    /// the node sends the ciphertext).
    OpenDocument {
        /// Document id (hex).
        doc: String,
        /// The version (default: the latest).
        #[arg(long)]
        version: Option<u32>,
        /// Where to write the plaintext (mode 0600; default: the recorded
        /// file name).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Hand an external auditor the key of one epoch (and nothing else).
    Delegate {
        /// The epoch.
        #[arg(long)]
        epoch: u64,
        /// Where to write the auditor's keystore (encrypted with
        /// `VEIL_AUDITOR_PASSPHRASE`, else the regulator's passphrase).
        #[arg(long)]
        out: PathBuf,
        /// Days the delegation stays valid.
        #[arg(long, default_value_t = 30)]
        expires_days: u64,
    },
    /// Print the jurisdiction's credential-hook key (for the root
    /// authority's `veil trust accredit --regulator-hook-key`), or with
    /// `--group` the hook key a threshold regulator's officers share.
    HookKey {
        /// A threshold key's group file: print the hook key its officers
        /// share (no keystore needed).
        #[arg(long)]
        group: Option<PathBuf>,
    },
    /// Decrypt the holder commitment a presentation carries for the
    /// regulator (credentials accredited with the regulator hook). The
    /// issuer, who issued the credential to that commitment, names the
    /// person under due process.
    Identify {
        /// The presentation (VC 2.0 JSON) a verifier kept.
        #[arg(long)]
        presentation: PathBuf,
        /// With a threshold key instead (`--threshold REQUEST --group GROUP`).
        #[command(flatten)]
        with: ThresholdArgs,
    },
    /// Create an officer of a threshold regulator key (dual control): a
    /// keystore at `--keystore` with its request-signing and share-transport
    /// keys; prints the card that goes into the roster.
    Officer {
        /// The officer's name.
        #[arg(long)]
        name: String,
        /// The jurisdiction.
        #[arg(long)]
        jurisdiction: String,
        /// Also write the card to this file.
        #[arg(long)]
        card: Option<PathBuf>,
    },
    /// Generate or reshare a threshold key (officers exchange files).
    Dkg {
        /// Which step.
        #[command(subcommand)]
        command: super::threshold::DkgCommand,
    },
    /// Ask the officers of a threshold key to open a height range: writes
    /// the request for them and its one-time key (`<out>.key`).
    Request {
        /// The group file.
        #[arg(long)]
        group: PathBuf,
        /// First height.
        #[arg(long, required_unless_present = "identify")]
        from_height: Option<u64>,
        /// Last height, or `latest` (the tip now).
        #[arg(long, required_unless_present = "identify")]
        to_height: Option<String>,
        /// Ask the officers to identify the holder behind this presentation
        /// (its regulator-hook ciphertext) instead of opening a range.
        #[arg(long, conflicts_with_all = ["from_height", "to_height", "limbs"])]
        identify: Option<PathBuf>,
        /// Also open every limb (only needed when a sender's regulator note
        /// disagrees with its amounts).
        #[arg(long)]
        limbs: bool,
        /// Where to write the request.
        #[arg(long)]
        out: PathBuf,
    },
    /// (An officer.) Answer a request: read its transactions, decrypt with
    /// this officer's share (with a proof), and post it sealed to the
    /// requester; the node records the officer's signed request first.
    Share {
        /// The group file.
        #[arg(long)]
        group: PathBuf,
        /// The request file.
        #[arg(long)]
        request: PathBuf,
    },
    /// Publish or revoke epoch keys on the ledger.
    Keys {
        /// What to do.
        #[command(subcommand)]
        command: KeysCommand,
    },
}

/// Registry commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Publish the keys of epochs `from..=to` (version 0).
    Publish {
        /// First epoch.
        #[arg(long)]
        from_epoch: u64,
        /// Last epoch.
        #[arg(long)]
        to_epoch: u64,
    },
    /// Revoke a compromised epoch key, optionally publishing a replacement
    /// (the next version) in the same transaction.
    Revoke {
        /// The epoch.
        #[arg(long)]
        epoch: u64,
        /// The version revoked.
        #[arg(long, default_value_t = 0)]
        version: u32,
        /// Also publish version + 1.
        #[arg(long)]
        replace: bool,
    },
}

/// Opening with a threshold key: the request made by `request` (for
/// `identify`, by `request --identify`), whose officers' shares must be
/// committed; heights come from the request.
#[derive(Debug, clap::Args)]
pub struct ThresholdArgs {
    /// The request file made by `request`.
    #[arg(long, requires = "group")]
    pub threshold: Option<PathBuf>,
    /// The threshold key's group file (with `--threshold`).
    #[arg(long)]
    pub group: Option<PathBuf>,
    /// Seconds to wait for enough officers' shares (with `--threshold`).
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

fn height_arg(s: &str) -> anyhow::Result<Option<u64>> {
    if s == "latest" {
        Ok(None)
    } else {
        Ok(Some(s.parse().with_context(|| {
            format!("{s:?} is not a height or `latest`")
        })?))
    }
}

fn keystore_path(args: &RegulatorArgs) -> anyhow::Result<&std::path::Path> {
    args.keystore
        .as_deref()
        .context("this command needs --keystore")
}

fn load(args: &RegulatorArgs) -> anyhow::Result<Credentials> {
    let path = keystore_path(args)?;
    let pass = keystore::passphrase(&format!("passphrase for {}: ", path.display()))?;
    Ok(Credentials::load(path, pass.expose())?)
}

/// The threshold commands, which do not start from regulator credentials;
/// `Ok(false)` for the others.
fn run_threshold(args: &RegulatorArgs, json: bool) -> anyhow::Result<bool> {
    use super::threshold as t;
    match &args.command {
        RegulatorCommand::Officer {
            name,
            jurisdiction,
            card,
        } => t::officer_new(
            keystore_path(args)?,
            name,
            jurisdiction,
            card.as_deref(),
            json,
        )?,
        RegulatorCommand::Dkg { command } => {
            t::dkg(&args.api, args.keystore.as_deref(), command, json)?
        }
        RegulatorCommand::Request {
            group,
            identify: Some(presentation),
            out,
            ..
        } => t::request_identify(&args.api, group, presentation, out, json)?,
        RegulatorCommand::Request {
            group,
            from_height,
            to_height,
            limbs,
            out,
            identify: None,
        } => t::request(
            &args.api,
            group,
            from_height.context("--from-height is required")?,
            height_arg(to_height.as_deref().context("--to-height is required")?)?,
            *limbs,
            out,
            json,
        )?,
        RegulatorCommand::HookKey { group: Some(group) } => t::hook_key(group, json)?,
        RegulatorCommand::Identify {
            presentation,
            with:
                ThresholdArgs {
                    threshold: Some(request),
                    group: Some(group),
                    wait_secs,
                },
        } => t::identify(
            &args.api,
            keystore_path(args)?,
            group,
            request,
            presentation,
            Duration::from_secs(*wait_secs),
            json,
        )?,
        RegulatorCommand::Share { group, request } => {
            t::share(&args.api, keystore_path(args)?, group, request, json)?
        }
        RegulatorCommand::View {
            with:
                ThresholdArgs {
                    threshold: Some(request),
                    group: Some(group),
                    wait_secs,
                },
            ..
        }
        | RegulatorCommand::Report {
            with:
                ThresholdArgs {
                    threshold: Some(request),
                    group: Some(group),
                    wait_secs,
                },
            ..
        } => {
            let o = t::open(
                &args.api,
                keystore_path(args)?,
                group,
                request,
                Duration::from_secs(*wait_secs),
            )?;
            if let RegulatorCommand::Report { top, .. } = &args.command {
                let rep = crate::regulator::view::report(&o.rows, o.from, o.to, *top);
                if json {
                    let mut v = json!({"report": rep});
                    merge(&mut v, o.meta);
                    super::print_json(&v);
                } else {
                    println!("{}", o.line);
                    print_report(&args.api, &rep, o.from, o.to);
                }
            } else if let RegulatorCommand::View { format, .. } = &args.command {
                let format = if json { Format::Json } else { *format };
                match format {
                    Format::Json => {
                        let mut v = json!({
                            "from_height": o.from,
                            "to_height": o.to,
                            "transfers": o.rows,
                        });
                        merge(&mut v, o.meta);
                        super::print_json(&v);
                    }
                    Format::Csv => print!("{}", to_csv(&o.rows)),
                    Format::Table => {
                        println!("{}", o.line);
                        print_rows(&args.api, &o.rows, o.from, o.to, o.records);
                    }
                }
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn merge(v: &mut serde_json::Value, extra: serde_json::Value) {
    if let (Some(v), serde_json::Value::Object(extra)) = (v.as_object_mut(), extra) {
        v.extend(extra);
    }
}

fn decimals(api: &str) -> std::collections::HashMap<String, u8> {
    veil_client::Client::new(api)
        .status()
        .map(|s| s.assets.into_iter().map(|a| (a.id, a.decimals)).collect())
        .unwrap_or_default()
}

fn print_rows(
    api: &str,
    rows: &[crate::regulator::view::TransferRow],
    from_height: u64,
    last: u64,
    records: usize,
) {
    let dec = decimals(api);
    let fmt = |v: u64, asset: &str| super::amount::format(v, dec.get(asset).copied().unwrap_or(0));
    println!("{} transfers, heights {from_height}..={last} ({records} access record(s) left on the ledger)", rows.len());
    for r in rows {
        for o in r.outputs.iter().filter(|o| !o.change) {
            println!(
                "{:>7}  {}  {:<10} → {:<10} {:>16} {}  {}{}",
                r.height,
                &r.tx[..12],
                r.from,
                o.to,
                fmt(o.amount, &r.asset),
                r.asset,
                o.memo,
                if o.payload_matches {
                    ""
                } else {
                    "  [NOTE DISAGREES WITH PROVEN AMOUNT]"
                }
            );
        }
    }
}

fn print_report(api: &str, rep: &crate::regulator::view::Report, from_height: u64, last: u64) {
    let dec = decimals(api);
    let f = |v: u128, asset: &str| {
        super::amount::format(
            u64::try_from(v).unwrap_or(u64::MAX),
            dec.get(asset).copied().unwrap_or(0),
        )
    };
    let fi = |v: i128, asset: &str| {
        let s = f(v.unsigned_abs(), asset);
        if v < 0 {
            format!("-{s}")
        } else {
            s
        }
    };
    println!(
        "Clearing report, heights {from_height}..={last}: {} transactions",
        rep.transactions
    );
    println!(
        "{:<14} {:<6} {:>18} {:>18} {:>10} {:>18} {:>6} {:>6}",
        "participant", "asset", "inflow", "outflow", "fees", "net", "in", "out"
    );
    for (party, assets) in &rep.totals {
        for (a, t) in assets {
            println!(
                "{party:<14} {a:<6} {:>18} {:>18} {:>10} {:>18} {:>6} {:>6}",
                f(t.inflow, a),
                f(t.outflow, a),
                f(t.fees, a),
                fi(t.net, a),
                t.received,
                t.sent
            );
        }
    }
    println!("largest transfers:");
    for l in &rep.largest {
        println!(
            "  {:>16} {} {} → {} (height {}, {})",
            f(u128::from(l.amount), &l.asset),
            l.asset,
            l.from,
            l.to,
            l.height,
            &l.tx[..12]
        );
    }
    if !rep.flagged.is_empty() {
        println!(
            "outputs whose note disagrees with the proven amount: {}",
            rep.flagged.join(", ")
        );
    }
}

/// Runs `veil regulator`.
pub fn run(args: RegulatorArgs, json: bool) -> anyhow::Result<()> {
    if run_threshold(&args, json)? {
        return Ok(());
    }
    let session = Session::new(args.api.clone(), load(&args)?);
    let creds = session.credentials();
    match &args.command {
        RegulatorCommand::View {
            from_height,
            to_height,
            bank,
            asset,
            format,
            ..
        } => {
            let v = session.view(
                &Query {
                    from: *from_height,
                    to: height_arg(to_height)?,
                    bank: bank.clone(),
                    asset: asset.clone(),
                },
                false,
            )?;
            let (rows, records, last) = (v.transfers, v.access_records, v.to_height);
            let format = if json { Format::Json } else { *format };
            match format {
                Format::Json => super::print_json(&json!({
                    "from_height": from_height,
                    "to_height": last,
                    "viewer": creds.describe(),
                    "access_records": records,
                    "transfers": rows,
                })),
                Format::Csv => print!("{}", to_csv(&rows)),
                Format::Table => print_rows(&args.api, &rows, *from_height, last, records.len()),
            }
        }
        RegulatorCommand::Report {
            from_height,
            to_height,
            asset,
            top,
            ..
        } => {
            let (rep, v) = session.report(
                &Query {
                    from: *from_height,
                    to: height_arg(to_height)?,
                    bank: None,
                    asset: asset.clone(),
                },
                *top,
            )?;
            let (records, last) = (v.access_records, v.to_height);
            if json {
                super::print_json(&json!({"report": rep, "access_records": records}));
            } else {
                print_report(&args.api, &rep, *from_height, last);
            }
        }
        RegulatorCommand::Delegate {
            epoch,
            out,
            expires_days,
        } => {
            super::check_output(out)?;
            if !matches!(creds, Credentials::Regulator { .. }) {
                bail!(
                    "only a regulator can delegate; this keystore is {}",
                    creds.describe()
                );
            }
            let pass = match std::env::var("VEIL_AUDITOR_PASSPHRASE") {
                Ok(p) => crate::crypto::secret::Secret::new(p),
                Err(_) => keystore::passphrase("passphrase for the auditor's key: ")?,
            };
            let d = session.delegate(
                *epoch,
                out,
                *expires_days,
                pass.expose(),
                KdfParams::default(),
            )?;
            let (jurisdiction, versions, expires) = (d.jurisdiction, d.versions, d.expires_ms);
            if json {
                super::print_json(
                    &json!({"auditor_key": out, "jurisdiction": jurisdiction.to_string(), "epoch": epoch, "versions": versions, "expires_ms": expires}),
                );
            } else {
                println!("auditor key for epoch {epoch} of {jurisdiction} written to {} (valid {expires_days} days)", out.display());
            }
        }
        RegulatorCommand::OpenDocument { doc, version, out } => {
            super::vault::regulator_open(&args.api, creds, doc, *version, out.as_deref(), json)?;
        }
        RegulatorCommand::Console { listen, out_dir } => {
            if !listen.ip().is_loopback() {
                bail!("the regulator console listens on a loopback address only (127.0.0.1 or ::1), not {listen}");
            }
            if !out_dir.is_dir() {
                bail!("--out-dir {} is not a directory", out_dir.display());
            }
            let out_dir = std::fs::canonicalize(out_dir)?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(*listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?;
                let shutdown = async {
                    let mut term =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                            .ok();
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        () = async {
                            match term.as_mut() {
                                Some(t) => { t.recv().await; }
                                None => std::future::pending::<()>().await,
                            }
                        } => {}
                    }
                };
                let viewer = session.credentials().describe();
                veil_console::regulator::serve(
                    session,
                    listener,
                    veil_console::regulator::new_token(),
                    out_dir,
                    |url| {
                        if json {
                            super::print_json(&json!({"console": url, "viewer": viewer}));
                        } else {
                            println!("Regulator console for {viewer}:");
                            println!("  {url}");
                            println!("Open it in a browser on this machine (the link carries this session's token). Ctrl-C stops it.");
                        }
                        use std::io::Write as _;
                        let _ = std::io::stdout().flush();
                    },
                    shutdown,
                )
                .await?;
                anyhow::Ok(())
            })?;
        }
        RegulatorCommand::HookKey { .. } | RegulatorCommand::Identify { .. } => {
            let Credentials::Regulator {
                master,
                jurisdiction,
                ..
            } = creds
            else {
                bail!(
                    "only the regulator holds the credential-hook key; this keystore is {}",
                    creds.describe()
                );
            };
            let secret = master.jurisdiction(jurisdiction.as_str()).credential_hook();
            let key = hex::encode(secret.public().to_bytes());
            if let RegulatorCommand::Identify { presentation, .. } = &args.command {
                let (c, issuer) = super::threshold::presentation_ciphertext(presentation)?;
                let h = veil_circuits::field::to_hex(&secret.decrypt(&c));
                if json {
                    super::print_json(&json!({
                        "holder_commitment": h,
                        "issuer": issuer,
                        "hook_key": key,
                    }));
                } else {
                    println!("holder commitment {h}");
                    println!("  issued by {issuer}, which knows whom it issued it to");
                    println!("  (meaningful only if the node verified the presentation: the proof binds the ciphertext to the credential's holder)");
                }
            } else if json {
                super::print_json(
                    &json!({ "jurisdiction": jurisdiction.as_str(), "hook_key": key }),
                );
            } else {
                println!("{key}");
            }
        }
        RegulatorCommand::Officer { .. }
        | RegulatorCommand::Dkg { .. }
        | RegulatorCommand::Request { .. }
        | RegulatorCommand::Share { .. } => {
            bail!("threshold commands are run by run_threshold")
        }
        RegulatorCommand::Keys { command } => {
            let Credentials::Regulator {
                master,
                jurisdiction,
                ..
            } = creds
            else {
                bail!("only a regulator can publish keys");
            };
            let identity = master.identity();
            let src = HttpSource::new(&args.api);
            let (_, seq) = registry(&src, &identity)?;
            let j = Jurisdiction::new(jurisdiction.as_str())?;
            let jkey = master.jurisdiction(jurisdiction.as_str());
            let (register, revoke) = match command {
                KeysCommand::Publish {
                    from_epoch,
                    to_epoch,
                } => {
                    if to_epoch < from_epoch || to_epoch - from_epoch >= 64 {
                        bail!("publish 1 to 64 epochs at a time");
                    }
                    let entries = (*from_epoch..=*to_epoch)
                        .map(|e| KeyEntry {
                            slot: Slot {
                                epoch: e,
                                version: 0,
                            },
                            key: *jkey.epoch(e, 0).key().public(),
                        })
                        .collect();
                    (entries, vec![])
                }
                KeysCommand::Revoke {
                    epoch,
                    version,
                    replace,
                } => {
                    let slot = Slot {
                        epoch: *epoch,
                        version: *version,
                    };
                    let reg_entries = if *replace {
                        vec![KeyEntry {
                            slot: Slot {
                                epoch: *epoch,
                                version: version + 1,
                            },
                            key: *jkey.epoch(*epoch, version + 1).key().public(),
                        }]
                    } else {
                        vec![]
                    };
                    (reg_entries, vec![slot])
                }
            };
            let tx = Transaction::RegulatorKeys(RegulatorKeys::sign(
                &identity,
                seq + 1,
                j,
                register,
                revoke,
            )?);
            let (hash, height) =
                crate::wallet::submit_and_wait(&src, &tx, Duration::from_secs(60))?;
            if json {
                super::print_json(&json!({"tx": hash.to_string(), "height": height}));
            } else {
                println!("registry updated: tx {hash} at height {height}");
            }
        }
    }
    Ok(())
}

/// The registry and the sequence of `identity`'s last registry
/// transaction (the next one carries this + 1).
pub(crate) fn registry(
    src: &HttpSource,
    identity: &crate::crypto::signing::SigningKey,
) -> anyhow::Result<(RegulatorRegistryJson, u64)> {
    let reg: RegulatorRegistryJson = serde_json::from_value(src.get_json("/v1/regulator-keys")?)?;
    let me = identity.public().to_string();
    let seq = reg
        .identities
        .iter()
        .find(|i| i.identity == me)
        .map(|i| i.sequence)
        .context("this regulator identity is not registered on the ledger")?;
    Ok((reg, seq))
}

/// Runs `veil audit-log`.
pub fn audit_log(api: &str, from: u64, to: Option<u64>, json: bool) -> anyhow::Result<()> {
    let path = match to {
        Some(t) => format!("/v1/audit-log?from={from}&to={t}"),
        None => format!("/v1/audit-log?from={from}"),
    };
    let log: AuditLogJson = serde_json::from_value(HttpSource::new(api).get_json(&path)?)?;
    if json {
        super::print_json(&serde_json::to_value(&log)?);
    } else {
        println!("{} access record(s)", log.entries.len());
        for e in &log.entries {
            println!(
                "{:>7}  {}  {:<36} {} {}",
                e.height,
                &e.tx[..12],
                e.requester_label,
                e.method,
                e.target
            );
        }
    }
    Ok(())
}

/// Runs `veil verify-disclosure`.
pub fn verify_disclosure_file(api: &str, file: &PathBuf, json: bool) -> anyhow::Result<()> {
    let d: Disclosure = serde_json::from_slice(
        &std::fs::read(file).with_context(|| format!("reading {}", file.display()))?,
    )
    .context("not a Veil disclosure file")?;
    let tx = fetch_committed_tx(api, &d.tx)?;
    let v = verify_disclosure(&d, &tx)?;
    let decimals = crate::wallet::source::ChainSource::asset(
        &HttpSource::new(api),
        &crate::tx::AssetId::new(&v.asset)?,
    )?
    .decimals;
    if json {
        let mut m = serde_json::Map::new();
        super::amount::json_members(&mut m, "amount", v.amount, decimals);
        super::print_json(
            &json!({"verified": true, "disclosure": v, "amount": m["amount"], "amount_minor": v.amount}),
        );
    } else {
        println!(
            "verified: output {} of {} carries {} {} (memo {:?}){}",
            v.output,
            v.tx,
            super::amount::format(v.amount, decimals),
            v.asset,
            v.memo,
            v.receiver
                .map(|r| format!(", paid to {r}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// A committed transaction, fetched through the API.
pub fn fetch_committed_tx(api: &str, hash: &str) -> anyhow::Result<Transaction> {
    let src = HttpSource::new(api);
    let status = src.get_json(&format!("/v1/transactions/{hash}"))?;
    let height = status["height"]
        .as_u64()
        .context("the transaction is not committed")?;
    let block = src.get_json(&format!("/v1/blocks/{height}"))?;
    let hex_tx = block["txs"]
        .as_array()
        .and_then(|txs| txs.iter().find(|t| t["hash"] == hash))
        .and_then(|t| t["hex"].as_str())
        .context("the block does not hold the transaction")?;
    let tx = Transaction::decode(&hex::decode(hex_tx)?)?;
    if tx.hash()?.to_string() != hash {
        bail!("the node sent a transaction with another hash");
    }
    Ok(tx)
}
