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
            peers,
        };
        keystore::write_private(&paths[i], file.to_toml().as_bytes())?;
    }
    Ok(paths)
}

/// Starts `veil node --config` for each config; logs to `<config>.log`.
pub fn spawn(exe: &Path, config: &Path) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_extension("log"))?;
    Command::new(exe)
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
