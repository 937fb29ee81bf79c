//! `veil node`: run a node.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use rand_core::OsRng;

use crate::dev::{DevFiles, DevNetwork, DEV_PASSPHRASE};
use crate::ledger::genesis::GenesisConfig;
use crate::node::{Node, NodeConfig};
use veil_keystore::KdfParams;

/// Options of `veil node`.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Single-node development network: creates `<data-dir>/dev` with a
    /// genesis, two funded bank wallets and the regulator's and issuer's
    /// keys (passphrase `dev`) on first start, reuses them afterwards.
    #[arg(long)]
    pub dev: bool,
    /// With `--dev` on first start: the regulator's epoch-0 key is a
    /// threshold key of N officers, T of whom must take part in every
    /// opening (e.g. `2-of-3`); their keystores and the group file are
    /// written to `<data-dir>/dev/officers/`.
    #[arg(long, requires = "dev", value_name = "T-of-N")]
    pub regulator_threshold: Option<String>,
    /// Run this genesis (TOML) instead of the dev one.
    #[arg(long, conflicts_with = "dev")]
    pub genesis: Option<PathBuf>,
    /// Data directory.
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
    /// API listen address: the global `--api` (or `VEIL_API`), as
    /// `host:port` or `http://host:port`.
    #[arg(skip = SocketAddr::from(([127, 0, 0, 1], 8700)))]
    pub api: SocketAddr,
    /// Longest wait before waiting transactions go into a block, ms.
    #[arg(long, default_value_t = 500)]
    pub block_interval_ms: u64,
    /// Do not fsync each block (faster; survives a process crash, not a power loss).
    #[arg(long)]
    pub no_sync: bool,
    /// Join a validator network with this config file (TOML: node key,
    /// listen and API addresses, data dir, genesis, peers); see
    /// `config/testnet/`.
    #[arg(long, conflicts_with_all = ["dev", "genesis"])]
    pub config: Option<PathBuf>,
}

/// Runs `veil node --config FILE`.
pub fn run_config(path: &std::path::Path, json: bool) -> anyhow::Result<()> {
    use crate::node_config::{NodeFile, NODE_KEY_KIND};
    super::init_logging(json);
    let file = NodeFile::load(path)?;
    let passphrase = match std::env::var("VEIL_NODE_PASSPHRASE") {
        Ok(p) => crate::crypto::secret::Secret::new(p),
        Err(_) => veil_keystore::passphrase("node key passphrase: ")?,
    };
    let (seed, _label) =
        veil_keystore::load_seed(&file.node_key, NODE_KEY_KIND, passphrase.expose())
            .with_context(|| format!("opening the node key {}", file.node_key.display()))?;
    let key = Arc::new(crate::crypto::signing::SigningKey::from_seed(seed.expose()));
    let genesis = GenesisConfig::load(&file.genesis)
        .with_context(|| format!("loading {}", file.genesis.display()))?;
    anyhow::ensure!(
        !genesis.validators.is_empty(),
        "the genesis lists no validators; use `veil node --dev` for a single node"
    );
    let mut config = NodeConfig::new(file.data_dir.clone(), genesis);
    config.sync_writes = !file.no_sync;
    if let Some(v) = &file.vault {
        config.vault = v.limits();
    }
    config.proposer = *key.public().as_bytes();
    let peers = file.peer_addrs()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let node = crate::daemon::open_validator(config).context("opening the node")?;
        let settings = crate::daemon::NetworkSettings {
            key: Arc::clone(&key),
            listen: file.listen,
            peers,
            engine: {
                let mut e = crate::consensus::EngineConfig {
                    state_sync_after: file.state_sync_after,
                    min_block_txs: file.block_min_txs,
                    min_block_wait: std::time::Duration::from_millis(file.block_wait_ms),
                    ..crate::consensus::EngineConfig::default()
                };
                if let Some(ms) = file.propose_timeout_ms {
                    e.timeouts.propose = std::time::Duration::from_millis(ms);
                    // Round timeouts are capped at `max_timeout`.
                    e.timeouts.max_timeout = e
                        .timeouts
                        .max_timeout
                        .max(e.timeouts.propose + e.timeouts.propose_delta * 10);
                }
                e
            },
        };
        let running = crate::daemon::start_network(Arc::clone(&node), file.api, settings)
            .await
            .with_context(|| {
                format!("binding the API to {} or QUIC to {}", file.api, file.listen)
            })?;
        let validator = node
            .ledger
            .validators()?
            .iter()
            .any(|(k, p)| k == key.public().as_bytes() && *p > 0);
        if json {
            super::print_json(&serde_json::json!({
                "api": format!("http://{}", running.api_addr),
                "listen": file.listen,
                "node_key": hex::encode(key.public().as_bytes()),
                "validator": validator,
                "chain_id": node.ledger.chain_id()?,
                "height": node.ledger.tip().height,
            }));
        } else {
            println!(
                "Veil {} {} — chain {}, height {}",
                if validator { "validator" } else { "observer" },
                hex::encode(&key.public().as_bytes()[..8]),
                node.ledger.chain_id()?,
                node.ledger.tip().height
            );
            println!("  API   http://{}   (status /v1/status)", running.api_addr);
            println!("  QUIC  {}   peers {}", file.listen, file.peers.len());
            println!("  data  {}", file.data_dir.display());
        }
        serve_until_stopped(&node, running, json).await
    })
    .and_then(|restart| if restart { restart_self() } else { Ok(()) })
}

/// Replaces this process with a fresh `veil` run with the same arguments
/// and environment (same PID, so supervisors keep tracking it); the new
/// process installs the waiting state snapshot when it opens the node.
fn restart_self() -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    tracing::info!("restarting to install the state snapshot");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .exec();
        Err(anyhow::anyhow!("restarting the node: {err}"))
    }
    #[cfg(not(unix))]
    {
        let status = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .status()?;
        std::process::exit(status.code().unwrap_or(1));
    }
}

/// Loads or creates the genesis; returns it and, in dev mode, the dev files.
pub fn prepare_genesis(args: &NodeArgs) -> anyhow::Result<(GenesisConfig, Option<DevFiles>)> {
    if let Some(path) = &args.genesis {
        return Ok((
            GenesisConfig::load(path).with_context(|| format!("loading {}", path.display()))?,
            None,
        ));
    }
    anyhow::ensure!(
        args.dev,
        "give --dev for a development network, or --genesis FILE"
    );
    let files = DevFiles::under(&args.data_dir);
    if files.genesis.exists() {
        return Ok((GenesisConfig::load(&files.genesis)?, Some(files)));
    }
    let Some(t) = &args.regulator_threshold else {
        let network = DevNetwork::generate(&mut OsRng, crate::clock::now_ms())?;
        network.write(&files, KdfParams::default())?;
        return Ok((network.genesis, Some(files)));
    };
    let params = crate::crypto::threshold::Params::parse(t)?;
    let (mut officers, mut group) = dev_ceremony(params)?;
    let network = DevNetwork::generate_keyed(
        &mut OsRng,
        crate::clock::now_ms(),
        crate::dev::DEV_EPOCH_LENGTH,
        Some(group.group_key()?),
        group.hook_public()?.map(|h| h.key()),
    )?;
    network.write(&files, KdfParams::default())?;
    // The regulator delegates epoch 0 to every officer (offline: the
    // group key is in the genesis already).
    let identity = network.regulator().identity();
    let jurisdiction = crate::tx::registry::Jurisdiction::new(crate::dev::DEV_JURISDICTION)?;
    let expires = crate::clock::now_ms().saturating_add(365 * 24 * 3600 * 1000);
    group.delegations = officers
        .iter()
        .map(|o| {
            let d = crate::tx::access::Delegation::issue(
                &identity,
                *o.signer().public(),
                jurisdiction.clone(),
                0,
                expires,
            )?;
            Ok(hex::encode(d.to_bytes()?))
        })
        .collect::<anyhow::Result<_>>()?;
    group.slot = Some(crate::regulator::threshold::SlotJson {
        epoch: 0,
        version: 0,
    });
    let dir = files.officers_dir();
    std::fs::create_dir_all(&dir)?;
    for (i, o) in officers.iter_mut().enumerate() {
        o.save(
            &dir.join(format!("officer-{}.keystore", i + 1)),
            DEV_PASSPHRASE,
            KdfParams::default(),
        )?;
    }
    veil_keystore::write_private(
        &dir.join("group.json"),
        serde_json::to_string_pretty(&group)?.as_bytes(),
    )?;
    Ok((network.genesis, Some(files)))
}

/// The dev network's key ceremony, in one process: n officers each deal,
/// each finishes (development only: a real ceremony runs on n machines).
fn dev_ceremony(
    params: crate::crypto::threshold::Params,
) -> anyhow::Result<(
    Vec<crate::regulator::threshold::Officer>,
    crate::regulator::threshold::GroupFile,
)> {
    use crate::regulator::threshold::{self as th, Officer, Roster};
    let jurisdiction = crate::tx::registry::Jurisdiction::new(crate::dev::DEV_JURISDICTION)?;
    let mut officers: Vec<Officer> = (1..=params.officers())
        .map(|i| Officer::generate(&format!("officer-{i}"), jurisdiction.clone()))
        .collect();
    let roster = Roster {
        jurisdiction: jurisdiction.to_string(),
        threshold: params.threshold(),
        officers: officers.iter().map(Officer::card).collect(),
    };
    let deals = officers
        .iter()
        .map(|o| th::deal(o, &roster, &mut OsRng))
        .collect::<Result<Vec<_>, _>>()?;
    let mut group = None;
    for o in &mut officers {
        group = Some(th::finish(o, &roster, &deals)?);
    }
    let group = group.context("no officers")?;
    Ok((officers, group))
}

/// Runs `veil node`.
pub fn run(args: NodeArgs, json: bool) -> anyhow::Result<()> {
    if let Some(path) = &args.config {
        return run_config(path, json);
    }
    super::init_logging(json);
    let (genesis, dev) = prepare_genesis(&args)?;
    let mut config = NodeConfig::new(args.data_dir.clone(), genesis);
    config.block_interval = std::time::Duration::from_millis(args.block_interval_ms.max(10));
    config.sync_writes = !args.no_sync;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let node = match Node::open(config) {
            Ok(node) => node,
            // A development network's data directory from a build of
            // another state format: say how to start afresh.
            Err(crate::node::NodeError::Store(
                e @ crate::ledger::store::StoreError::StateFormat { .. },
            )) if dev.is_some() => {
                return Err(anyhow::Error::new(e).context(format!(
                    "opening the development network in {0}: remove {0} and run `veil node \
                     --dev` again to start a new one",
                    args.data_dir.display()
                )))
            }
            Err(e) => return Err(anyhow::Error::new(e).context("opening the node")),
        };
        let running = crate::daemon::start(Arc::clone(&node), args.api)
            .await
            .with_context(|| format!("binding the API to {}", args.api))?;
        banner(&node, running.api_addr, &args, dev.as_ref(), json)?;
        serve_until_stopped(&node, running, json).await.map(|_| ())
    })
}

/// Serves until Ctrl-C, SIGTERM or a restart request, then stops cleanly;
/// returns whether a restart was requested.
async fn serve_until_stopped(
    node: &Node,
    running: crate::daemon::Running,
    json: bool,
) -> anyhow::Result<bool> {
    let restart = tokio::select! {
        () = wait_for_signal() => false,
        () = node.restart_requested() => true,
    };
    tracing::info!("shutting down");
    running.stop().await?;
    if !json {
        eprintln!(
            "node stopped cleanly at height {}",
            node.ledger.tip().height
        );
    }
    Ok(restart)
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn banner(
    node: &Node,
    api: SocketAddr,
    args: &NodeArgs,
    dev: Option<&DevFiles>,
    json: bool,
) -> anyhow::Result<()> {
    let tip = node.ledger.tip();
    let chain = node.ledger.chain_id()?;
    if json {
        super::print_json(&serde_json::json!({
            "api": format!("http://{api}"),
            "chain_id": chain,
            "height": tip.height,
            "data_dir": args.data_dir,
            "dev": dev.map(|f| serde_json::json!({
                "passphrase": DEV_PASSPHRASE,
                "bank_a": f.bank_a, "bank_b": f.bank_b,
                "regulator": f.regulator, "issuer": f.issuer, "genesis": f.genesis,
                "root_authority": f.root_authority, "kyc_issuer": f.kyc_issuer,
                "holder": f.holder,
            })),
        }));
        return Ok(());
    }
    println!("Veil node — chain {chain}, height {}", tip.height);
    println!("  API    http://{api}   (OpenAPI /openapi.json, metrics /metrics)");
    println!("  console http://{api}/console/   (explorer, operations, governance, credentials)");
    println!(
        "  data   {} (RocksDB in {})",
        args.data_dir.display(),
        args.data_dir.join("db").display()
    );
    if let Some(f) = dev {
        let addr = |p: &std::path::Path| {
            crate::wallet::Wallet::load(p, DEV_PASSPHRASE)
                .map(|w| w.address().to_string())
                .unwrap_or_else(|e| format!("({e})"))
        };
        println!();
        println!("  DEVELOPMENT ONLY — every key below is encrypted with the passphrase \"{DEV_PASSPHRASE}\".");
        println!("  bank-a     {}  {}", f.bank_a.display(), addr(&f.bank_a));
        println!("  bank-b     {}  {}", f.bank_b.display(), addr(&f.bank_b));
        println!("  regulator  {}", f.regulator.display());
        println!("  issuer     {}", f.issuer.display());
        println!(
            "  committee  {}  (governance, one member: admin mode)",
            f.committee.display()
        );
        let identity = |p: &std::path::Path| {
            crate::identity::local_identity::Identity::load(p, DEV_PASSPHRASE)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
        };
        let root = identity(&f.root_authority)?;
        let kyc = identity(&f.kyc_issuer)?;
        let holder = identity(&f.holder)?;
        println!(
            "  root authority  {}  {}",
            f.root_authority.display(),
            root.did
        );
        println!("  kyc-issuer      {}  {}", f.kyc_issuer.display(), kyc.did);
        println!("  holder          {}  {}", f.holder.display(), holder.did);
        println!("  genesis    {}", f.genesis.display());
        let api_flag = if api.port() == 8700 && api.ip().is_loopback() {
            String::new()
        } else {
            format!(" --api http://{api}")
        };
        let w = |p: &std::path::Path| format!("veil wallet --wallet {}{api_flag}", p.display());
        println!();
        println!("Next, in another terminal:");
        println!("  alias veil='cargo run -q --release --'   # or use target/release/veil");
        println!("  export VEIL_PASSPHRASE={DEV_PASSPHRASE}");
        println!("  {} balance", w(&f.bank_a));
        println!(
            "  {} transfer --to $({} address) --amount 250.00 --memo \"first payment\"",
            w(&f.bank_a),
            w(&f.bank_b)
        );
        println!("  {} balance", w(&f.bank_b));
        println!("  {} history", w(&f.bank_b));
        println!();
        println!("The regulator sees it:");
        println!(
            "  veil regulator --keystore {}{api_flag} view",
            f.regulator.display()
        );
        println!("  veil regulator --keystore {}{api_flag} console   # the same in a browser, on 127.0.0.1", f.regulator.display());
        println!();
        let officers = f.officers_dir();
        let group = officers.join("group.json");
        if group.exists() {
            println!(
                "Epoch 0 is a threshold key (dual control): no single key opens it. Two or more"
            );
            println!(
                "officers answer a request, each leaving a record on the ledger, then it opens:"
            );
            println!(
                "  veil regulator --keystore {}{api_flag} request --group {} --from-height 0 --to-height latest --out req.json",
                f.regulator.display(),
                group.display()
            );
            println!(
                "  veil regulator --keystore {}{api_flag} share --group {} --request req.json",
                officers.join("officer-1.keystore").display(),
                group.display()
            );
            println!(
                "  veil regulator --keystore {}{api_flag} share --group {} --request req.json",
                officers.join("officer-2.keystore").display(),
                group.display()
            );
            println!(
                "  veil regulator --keystore {}{api_flag} view --threshold req.json --group {}",
                f.regulator.display(),
                group.display()
            );
            println!(
                "The KYC accreditation's credential-hook key is theirs too: identifying a holder"
            );
            println!(
                "takes `request --identify PRESENTATION`, then `identify --threshold` the same way."
            );
            println!();
        }
        // The dev accreditation carries the regulator hook, so presentations
        // use the hooked circuit; name its proving-key cache as the code does.
        let pk_file = format!(
            "{}.pk",
            veil_identity::pinned_keys::name(veil_circuits::presentation::Circuit::Hooked)
        );
        println!("A holder proves age ≥ 18 and discloses only the country (the first");
        println!(
            "`present` builds the proving key, a few seconds, and caches it as keys/{pk_file}"
        );
        println!("when ./keys or $VEIL_KEYS_DIR is a directory):");
        println!(
            "  veil credential{api_flag} issue --keystore {} --type KycCredential \\",
            f.kyc_issuer.display()
        );
        println!(
            "      --holder-commitment {} \\",
            veil_circuits::field::to_hex(&holder.holder_commitment())
        );
        println!("      --attr birth_date=1990-04-01 --attr country=CN --attr given_name=Li \\");
        println!("      --attr family_name=Wei --attr document_number=E1234567 --attr level=2 --out kyc.json");
        println!(
            "  veil credential{api_flag} request --type KycCredential --scope onboarding --disclose country --min-age 18 --out request.json"
        );
        println!(
            "  veil credential{api_flag} present --keystore {} --credential kyc.json --request request.json --out presentation.json",
            f.holder.display()
        );
        println!(
            "  veil credential{api_flag} verify --presentation presentation.json --request request.json"
        );
        println!();
        println!("The committee governs the consortium (docs/governance.md):");
        println!(
            "  veil gov --keystore {}{api_flag} propose create-asset --asset USD --issuer <Ed25519 key, hex>",
            f.committee.display()
        );
        println!("  veil gov{api_flag} list");
    }
    println!();
    println!("Ctrl-C stops the node; starting it again continues the same chain.");
    Ok(())
}
