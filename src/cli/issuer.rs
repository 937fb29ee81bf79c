//! `veil issuer --keystore FILE mint …`: issuance after genesis.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use rand_core::OsRng;

use crate::crypto::keys::Address;
use crate::crypto::signing::SigningKey;
use crate::tx::bundle::build::PlannedOutput;
use crate::tx::mint::MintPlan;
use crate::tx::{AssetId, Transaction};
use crate::wallet::client::HttpSource;
use crate::wallet::source::ChainSource;
use crate::wallet::submit_and_wait;
use veil_keystore::{self as keystore, ISSUER_KIND};

/// Options of `veil issuer`.
#[derive(Debug, clap::Args)]
pub struct IssuerArgs {
    /// The issuer keystore.
    #[arg(long)]
    pub keystore: PathBuf,
    /// The node's API (the global `--api` / `VEIL_API`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: IssuerCommand,
}

/// Issuer commands.
#[derive(Debug, clap::Subcommand)]
pub enum IssuerCommand {
    /// Mint new confidential outputs to an address.
    Mint {
        /// Receiver.
        #[arg(long)]
        to: String,
        /// Amount in the asset's units (`1000`, `12.34`).
        #[arg(long)]
        amount: String,
        /// `--amount` is an integer of minor units (cents).
        #[arg(long)]
        minor_units: bool,
        /// Asset.
        #[arg(long, default_value = "CNY")]
        asset: String,
        /// Memo.
        #[arg(long, default_value = "")]
        memo: String,
    },
}

/// Runs `veil issuer`.
pub fn run(args: IssuerArgs, json: bool) -> anyhow::Result<()> {
    let pass = keystore::passphrase(&format!("passphrase for {}: ", args.keystore.display()))?;
    let (seed, _) = keystore::load_seed(&args.keystore, ISSUER_KIND, pass.expose())?;
    let issuer = SigningKey::from_seed(seed.expose());
    let source = HttpSource::new(&args.api);
    match args.command {
        IssuerCommand::Mint {
            to,
            amount,
            minor_units,
            asset,
            memo,
        } => {
            let to: Address = to.parse().context("--to")?;
            let asset = AssetId::new(&asset)?;
            let info = source.asset(&asset)?;
            let value =
                super::amount::parse_as(&amount, info.decimals, minor_units).context("--amount")?;
            let plan = MintPlan {
                asset: asset.clone(),
                issuer: &issuer,
                regulator_key: source.regulator_key()?,
                outputs: vec![PlannedOutput {
                    to,
                    amount: value,
                    memo: memo.into_bytes(),
                }],
            };
            let tx = Transaction::Mint(plan.build(&mut OsRng)?);
            let (hash, height) = submit_and_wait(&source, &tx, Duration::from_secs(120))?;
            if json {
                let mut m = serde_json::Map::new();
                m.insert("tx".into(), hash.to_string().into());
                m.insert("height".into(), height.into());
                m.insert("asset".into(), asset.to_string().into());
                super::amount::json_members(&mut m, "amount", value, info.decimals);
                super::print_json(&m.into());
            } else {
                println!(
                    "minted {} {asset} to {to}\n  tx {hash} at height {height}",
                    super::amount::format(value, info.decimals)
                );
            }
        }
    }
    Ok(())
}
