//! `veil testnet`: a local network of N validators on 127.0.0.1, each a
//! child process running `veil node --config`.
//!
//! First run: generates the dev network (like `node --dev`: funded bank
//! wallets, regulator, issuer and identities in `DIR/dev/`, passphrase
//! `dev`), one node key per validator (`DIR/node<i>/node.key`, encrypted
//! with the same passphrase), a genesis listing them as validators and one
//! config per node (`DIR/node<i>.toml`). Later runs reuse everything.
//! Node `i` serves its API on `api_base_port + i` and QUIC on
//! `p2p_base_port + i`; its log goes to `DIR/node<i>.log`. Ctrl-C or
//! SIGTERM stops every node cleanly (SIGTERM, then SIGKILL after 15 s).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use rand_core::OsRng;

use crate::crypto::signing::SigningKey;
use crate::dev::{DevFiles, DevNetwork, DEV_PASSPHRASE};
use crate::ledger::genesis::GenesisValidator;
use crate::node_config::{NodeFile, PeerEntry, NODE_KEY_KIND};
use veil_keystore::{self as keystore, KdfParams};

/// Options of `veil testnet`.
#[derive(Debug, clap::Args)]
pub struct TestnetArgs {
    /// Number of validators.
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Where keys, genesis, configs, data and logs go.
    #[arg(long, default_value = "./testnet")]
    pub data_dir: PathBuf,
    /// Node i serves its API on this port + i.
    #[arg(long, default_value_t = 8710)]
    pub api_base_port: u16,
    /// Node i listens for peers (QUIC, UDP) on this port + i.
    #[arg(long, default_value_t = 9710)]
    pub p2p_base_port: u16,
    /// Write keys, genesis and configs, then exit without starting nodes.
    #[arg(long)]
    pub init_only: bool,
    /// Instead of starting the testnet, change a running one.
    #[command(subcommand)]
    pub command: Option<TestnetCommand>,
}

/// `veil testnet` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TestnetCommand {
    /// Add a node to a running testnet: a new node key and config, a
    /// committee proposal registering it (the dev committee is one member,
    /// so it passes at once), and the node started; it joins the validator
    /// set two blocks after the proposal.
    AddNode {
        /// An observer: syncs, never votes.
        #[arg(long)]
        observer: bool,
        /// Power the committee grants it.
        #[arg(long, default_value_t = 1)]
        bond: u64,
    },
}

/// A node added to a testnet by [`prepare_node`].
#[derive(Debug)]
pub struct AddedNode {
    /// Its index `i` (config `DIR/node<i>.toml`).
    pub index: usize,
    /// Its node key.
    pub key: SigningKey,
    /// Its config file.
    pub config: PathBuf,
    /// The config.
    pub file: NodeFile,
    /// The committee's proposal that registered it.
    pub proposal: veil_client::types::ProposalJson,
}

/// Writes a key and config for one more node of the testnet in
/// `args.data_dir` and registers it by a committee proposal sent to node
/// 0 (which must be running); does not start it.
pub fn prepare_node(args: &TestnetArgs, observer: bool, bond: u64) -> anyhow::Result<AddedNode> {
    let dir = &args.data_dir;
    let files = DevFiles::under(dir);
    anyhow::ensure!(
        files.genesis.exists() && config_path(dir, 0).exists(),
        "{} holds no testnet; run `veil testnet` first",
        dir.display()
    );
    let index = (1..64)
        .find(|i| !config_path(dir, *i).exists())
        .context("a testnet has at most 64 nodes")?;
    let existing: Vec<NodeFile> = (0..index)
        .map(|j| NodeFile::load(&config_path(dir, j)))
        .collect::<anyhow::Result<_>>()?;
    let mut peers = Vec::new();
    for (j, f) in existing.iter().enumerate() {
        let (seed, _) = keystore::load_seed(
            &dir.join(format!("node{j}/node.key")),
            NODE_KEY_KIND,
            DEV_PASSPHRASE,
        )?;
        peers.push(PeerEntry {
            key: hex::encode(SigningKey::from_seed(seed.expose()).public().as_bytes()),
            addr: f.listen,
        });
    }
    let port = |base: u16| -> anyhow::Result<SocketAddr> {
        let port = base
            .checked_add(u16::try_from(index)?)
            .context("port out of range")?;
        Ok(SocketAddr::from(([127, 0, 0, 1], port)))
    };
    let key = SigningKey::generate(&mut OsRng);
    let node_dir = dir.join(format!("node{index}"));
    std::fs::create_dir_all(&node_dir)?;
    keystore::save_seed(
        &node_dir.join("node.key"),
        NODE_KEY_KIND,
        key.seed().expose(),
        &format!("node{index}"),
        DEV_PASSPHRASE,
        KdfParams::default(),
    )?;
    let file = NodeFile {
        node_key: PathBuf::from(format!("node{index}/node.key")),
        listen: port(args.p2p_base_port)?,
        api: port(args.api_base_port)?,
        data_dir: PathBuf::from(format!("node{index}")),
        genesis: PathBuf::from("dev/genesis.toml"),
        no_sync: false,
        state_sync_after: crate::consensus::engine::DEFAULT_STATE_SYNC_AFTER,
        block_min_txs: 0,
        block_wait_ms: 0,
        propose_timeout_ms: None,
        vault: None,
        peers,
    };
    let config = config_path(dir, index);
    keystore::write_private(&config, file.to_toml().as_bytes())?;
    let (seed, _) = keystore::load_seed(
        &files.committee,
        veil_keystore::COMMITTEE_KIND,
        DEV_PASSPHRASE,
    )?;
    let committee = SigningKey::from_seed(seed.expose());
    let source = crate::wallet::client::HttpSource::new(&format!("http://{}", existing[0].api));
    let proposal = super::gov::propose(
        &source,
        &committee,
        crate::tx::governance::Action::RegisterNode {
            key: *key.public(),
            name: format!("node{index}"),
            address: file.listen.to_string(),
            observer,
            bond: if observer { 0 } else { bond },
        },
        "veil testnet add-node",
    )
    .context("registering the node (is node 0 running?)")?;
    anyhow::ensure!(
        proposal.status == "passed",
        "the registration proposal is {} (a committee of more than one member must vote)",
        proposal.status
    );
    Ok(AddedNode {
        index,
        key,
        config,
        file,
        proposal,
    })
}

/// `veil testnet add-node`: [`prepare_node`], then starts the node.
pub fn add_node(args: &TestnetArgs, observer: bool, bond: u64, json: bool) -> anyhow::Result<()> {
    let added = prepare_node(args, observer, bond)?;
    let child = spawn(&std::env::current_exe()?, &added.config)?;
    let from = added.proposal.closed_height.unwrap_or_default() + 2;
    let key = hex::encode(added.key.public().as_bytes());
    let log = added.config.with_extension("log");
    if json {
        super::print_json(&serde_json::json!({
            "node": added.index,
            "key": key,
            "api": format!("http://{}", added.file.api),
            "listen": added.file.listen,
            "config": added.config,
            "log": log,
            "pid": child.id(),
            "proposal": added.proposal.id,
            "decided_height": added.proposal.closed_height,
            "in_force_from_height": from,
        }));
    } else {
        println!(
            "node{} {key} registered by proposal {} (in the set from height {from})",
            added.index, added.proposal.id
        );
        println!(
            "  API http://{}   QUIC {}   log {}   pid {}",
            added.file.api,
            added.file.listen,
            log.display(),
            child.id()
        );
        println!(
            "  it syncs from its peers; stop it with kill {}",
            child.id()
        );
    }
    Ok(())
}

/// The config file of node `i`.
pub fn config_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("node{i}.toml"))
}

/// Generates a testnet in `dir` unless one is there; returns the config
/// paths.
pub fn init(args: &TestnetArgs) -> anyhow::Result<Vec<PathBuf>> {
    anyhow::ensure!(
        (1..=64).contains(&args.validators),
        "--validators must be 1 to 64"
    );
    let dir = &args.data_dir;
    let files = DevFiles::under(dir);
    let paths: Vec<PathBuf> = (0..args.validators).map(|i| config_path(dir, i)).collect();
    if files.genesis.exists() {
        anyhow::ensure!(
            paths.iter().all(|p| p.exists()),
            "{} holds another testnet (fewer nodes); use another --data-dir",
            dir.display()
        );
        return Ok(paths);
    }
    let now = crate::clock::now_ms();
    let mut network = DevNetwork::generate(&mut OsRng, now)?;
    init_with(args, &mut network)
}

/// Writes a new testnet around `network` (its genesis gains the
/// validators) into `args.data_dir`; returns the config paths.
pub fn init_with(args: &TestnetArgs, network: &mut DevNetwork) -> anyhow::Result<Vec<PathBuf>> {
    let dir = &args.data_dir;
    let files = DevFiles::under(dir);
    let paths: Vec<PathBuf> = (0..args.validators).map(|i| config_path(dir, i)).collect();
    std::fs::create_dir_all(dir)?;
    network.genesis.chain_id = format!("veil-testnet-{}", &network.genesis.chain_id[9..]);
    let keys: Vec<SigningKey> = (0..args.validators)
        .map(|_| SigningKey::generate(&mut OsRng))
        .collect();
    network.genesis.validators = keys
        .iter()
        .enumerate()
        .map(|(i, k)| GenesisValidator {
            name: format!("node{i}"),
            key: hex::encode(k.public().as_bytes()),
            power: 1,
            address: u16::try_from(i)
                .ok()
                .and_then(|i| args.p2p_base_port.checked_add(i))
                .map_or(String::new(), |port| format!("127.0.0.1:{port}")),
        })
        .collect();
    network.write(&files, KdfParams::default())?;
    let addr = |base: u16, i: usize| -> anyhow::Result<SocketAddr> {
        let port = base
            .checked_add(u16::try_from(i)?)
            .context("port out of range")?;
        Ok(SocketAddr::from(([127, 0, 0, 1], port)))
    };
    for (i, key) in keys.iter().enumerate() {
        let node_dir = dir.join(format!("node{i}"));
        std::fs::create_dir_all(&node_dir)?;
        keystore::save_seed(
            &node_dir.join("node.key"),
            NODE_KEY_KIND,
            key.seed().expose(),
            &format!("node{i}"),
            DEV_PASSPHRASE,
            KdfParams::default(),
        )?;
        let mut peers = Vec::new();
        for (j, other) in keys.iter().enumerate() {
            if j != i {
                peers.push(PeerEntry {
                    key: hex::encode(other.public().as_bytes()),
                    addr: addr(args.p2p_base_port, j)?,
                });
            }
        }
        let file = NodeFile {
            node_key: PathBuf::from(format!("node{i}/node.key")),
            listen: addr(args.p2p_base_port, i)?,
            api: addr(args.api_base_port, i)?,
            data_dir: PathBuf::from(format!("node{i}")),
            genesis: PathBuf::from("dev/genesis.toml"),
            no_sync: false,
            state_sync_after: crate::consensus::engine::DEFAULT_STATE_SYNC_AFTER,
            block_min_txs: 0,
            block_wait_ms: 0,
            propose_timeout_ms: None,
            vault: None,
            peers,
        };
        keystore::write_private(&paths[i], file.to_toml().as_bytes())?;
    }
    Ok(paths)
}

/// Starts `veil node --config` for each config; logs to `<config>.log`.
pub fn spawn(exe: &Path, config: &Path) -> anyhow::Result<Child> {
    spawn_in(None, exe, config)
}

/// [`spawn`], inside network namespace `netns` when given (through
/// `ip netns exec`, which keeps the process id).
pub fn spawn_in(netns: Option<&str>, exe: &Path, config: &Path) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_extension("log"))?;
    let mut command = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    command
        .arg("node")
        .arg("--config")
        .arg(config)
        .env("VEIL_NODE_PASSPHRASE", DEV_PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting the node for {}", config.display()))
}

/// Sends SIGTERM, waits up to `grace`, then kills.
pub fn stop(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `veil testnet`.
pub fn run(args: TestnetArgs, json: bool) -> anyhow::Result<()> {
    if let Some(TestnetCommand::AddNode { observer, bond }) = args.command {
        return add_node(&args, observer, bond, json);
    }
    let configs = init(&args)?;
    let files = DevFiles::under(&args.data_dir);
    let nodes: Vec<NodeFile> = configs
        .iter()
        .map(|p| NodeFile::load(p))
        .collect::<anyhow::Result<_>>()?;
    if json {
        super::print_json(&serde_json::json!({
            "data_dir": args.data_dir,
            "nodes": nodes.iter().zip(&configs).map(|(n, c)| serde_json::json!({
                "api": format!("http://{}", n.api), "listen": n.listen, "config": c,
            })).collect::<Vec<_>>(),
            "passphrase": DEV_PASSPHRASE,
            "bank_a": files.bank_a, "bank_b": files.bank_b, "regulator": files.regulator,
        }));
    } else {
        println!(
            "Veil testnet — {} validators in {}",
            nodes.len(),
            args.data_dir.display()
        );
        for (i, n) in nodes.iter().enumerate() {
            println!(
                "  node{i}  API http://{}   QUIC {}   log {}",
                n.api,
                n.listen,
                configs[i].with_extension("log").display()
            );
        }
        println!();
        println!("DEVELOPMENT ONLY — keys are encrypted with the passphrase \"{DEV_PASSPHRASE}\".");
        println!("  export VEIL_PASSPHRASE={DEV_PASSPHRASE}");
        println!(
            "  veil wallet --wallet {} --api http://{} transfer --to $(veil wallet --wallet {} address) --amount 10.00",
            files.bank_a.display(),
            nodes[0].api,
            files.bank_b.display()
        );
        println!(
            "  curl -s http://{}/v1/status   # same height and state root on every node",
            nodes[nodes.len() - 1].api
        );
    }
    if args.init_only {
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for c in &configs {
        children.push(spawn(&exe, c)?);
    }
    if !json {
        println!();
        println!("Ctrl-C stops every node.");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        tokio::select! {
            _ = super::node::wait_for_signal() => {}
            _ = async {
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if children.iter_mut().any(|c| matches!(c.try_wait(), Ok(Some(_)))) {
                        break;
                    }
                }
            } => {
                eprintln!("a node exited; stopping the testnet (see the node logs)");
            }
        }
    });
    for c in &mut children {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status();
    }
    for c in &mut children {
        stop(c, Duration::from_secs(15));
    }
    if !json {
        eprintln!("testnet stopped");
    }
    Ok(())
}
