//! `veil node`: run a node.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use rand_core::OsRng;

use crate::ledger::genesis::GenesisConfig;
use crate::node::dev::{DevFiles, DevNetwork, DEV_PASSPHRASE};
use crate::node::{self, Node, NodeConfig};
use crate::wallet::keystore::KdfParams;

/// Options of `veil node`.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Single-node development network: creates `<data-dir>/dev` with a
    /// genesis, two funded bank wallets and the regulator's and issuer's
    /// keys (passphrase `dev`) on first start, reuses them afterwards.
    #[arg(long)]
    pub dev: bool,
    /// Run this genesis (TOML) instead of the dev one.
    #[arg(long, conflicts_with = "dev")]
    pub genesis: Option<PathBuf>,
    /// Data directory.
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
    /// API listen address.
    #[arg(long, default_value = "127.0.0.1:8700")]
    pub api: SocketAddr,
    /// Longest wait before waiting transactions go into a block, ms.
    #[arg(long, default_value_t = 500)]
    pub block_interval_ms: u64,
    /// Do not fsync each block (faster; survives a process crash, not a power loss).
    #[arg(long)]
    pub no_sync: bool,
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let network = DevNetwork::generate(&mut OsRng, u64::try_from(now)?)?;
    network.write(&files, KdfParams::default())?;
    Ok((network.genesis, Some(files)))
}

/// Runs `veil node`.
pub fn run(args: NodeArgs, json: bool) -> anyhow::Result<()> {
    super::init_logging(json);
    let (genesis, dev) = prepare_genesis(&args)?;
    let mut config = NodeConfig::new(args.data_dir.clone(), genesis);
    config.block_interval = std::time::Duration::from_millis(args.block_interval_ms.max(10));
    config.sync_writes = !args.no_sync;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let node = Node::open(config).context("opening the node")?;
        let running = node::start(Arc::clone(&node), args.api)
            .await
            .with_context(|| format!("binding the API to {}", args.api))?;
        banner(&node, running.api_addr, &args, dev.as_ref(), json)?;
        wait_for_signal().await;
        tracing::info!("shutting down");
        running.stop().await?;
        if !json {
            eprintln!(
                "node stopped cleanly at height {}",
                node.ledger.tip().height
            );
        }
        anyhow::Ok(())
    })
}

async fn wait_for_signal() {
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
        let identity = |p: &std::path::Path| {
            crate::identity::keystore::Identity::load(p, DEV_PASSPHRASE)
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
        println!();
        println!("A holder proves age ≥ 18 and discloses only the country (the first");
        println!("`present` writes keys/presentation.pk, about 2 s):");
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
    }
    println!();
    println!("Ctrl-C stops the node; starting it again continues the same chain.");
    Ok(())
}
