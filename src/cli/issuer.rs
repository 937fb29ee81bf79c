//! `veil issuer --keystore FILE mint …`: issuance after genesis.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use rand_core::OsRng;
use serde_json::json;

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
        /// Amount (minor units, or `12.34`).
        #[arg(long)]
        amount: String,
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
            asset,
            memo,
        } => {
            let to: Address = to.parse().context("--to")?;
            let asset = AssetId::new(&asset)?;
            let info = source.asset(&asset)?;
            let value = super::amount::parse(&amount, info.decimals)?;
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
                super::print_json(&json!({"tx": hash.to_string(), "height": height}));
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
