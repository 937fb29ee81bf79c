//! `veil trust`: the root authority's trust list (credential types,
//! accreditations).

use std::path::PathBuf;

use anyhow::anyhow;
use serde_json::json;

use crate::identity::schema::CredentialType;
use crate::identity::tx::TrustOp;
use crate::wallet::client::HttpSource;

use super::*;

/// `veil trust` (the root authority's trust list).
#[derive(Debug, clap::Args)]
pub struct TrustArgs {
    /// The root authority's identity keystore.
    #[arg(long)]
    pub keystore: PathBuf,
    /// The node's API (the global `--api` / `VEIL_API`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: TrustCommand,
}

/// Trust-list commands.
#[derive(Debug, clap::Subcommand)]
pub enum TrustCommand {
    /// Define a credential type.
    DefineType {
        /// Its name.
        #[arg(long)]
        name: String,
        /// Attributes as `name:kind` (kind: integer, date, string), in order.
        #[arg(long = "attribute", required = true)]
        attributes: Vec<String>,
    },
    /// Accredit an issuer for a type.
    Accredit {
        /// The issuer's DID.
        #[arg(long)]
        issuer: String,
        /// The type.
        #[arg(long = "type")]
        credential_type: String,
        /// Require the regulator hook: presentations encrypt the holder
        /// commitment to this key (hex, from `veil regulator … hook-key`).
        #[arg(long)]
        regulator_hook_key: Option<String>,
    },
    /// Withdraw an accreditation.
    Revoke {
        /// The issuer's DID.
        #[arg(long)]
        issuer: String,
        /// The type.
        #[arg(long = "type")]
        credential_type: String,
    },
}

/// Runs `veil trust`.
pub fn run_trust(args: TrustArgs, json: bool) -> anyhow::Result<()> {
    let source = HttpSource::new(&args.api);
    let client = IdentityClient { source: &source };
    let root = open(&args.keystore)?;
    let op = match args.command {
        TrustCommand::DefineType { name, attributes } => {
            let attributes = attributes
                .iter()
                .map(|a| {
                    let (n, k) = a
                        .split_once(':')
                        .ok_or_else(|| anyhow!("--attribute name:kind"))?;
                    Ok(crate::identity::schema::Attribute {
                        name: n.to_owned(),
                        kind: crate::identity::schema::AttributeKind::parse(k)
                            .ok_or_else(|| anyhow!("kinds: integer, date, string"))?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            TrustOp::DefineType(CredentialType::new(&name, attributes)?)
        }
        TrustCommand::Accredit {
            issuer,
            credential_type,
            regulator_hook_key: None,
        } => TrustOp::Accredit {
            issuer: issuer.parse()?,
            credential_type,
        },
        TrustCommand::Accredit {
            issuer,
            credential_type,
            regulator_hook_key: Some(key),
        } => {
            let mut k = [0u8; 32];
            hex::decode_to_slice(&key, &mut k)
                .map_err(|_| anyhow!("--regulator-hook-key: 64 hex digits"))?;
            veil_circuits::hook::HookKey::from_bytes(&k)
                .map_err(|e| anyhow!("--regulator-hook-key: {e}"))?;
            TrustOp::AccreditWithHook {
                issuer: issuer.parse()?,
                credential_type,
                regulator_key: k,
            }
        }
        TrustCommand::Revoke {
            issuer,
            credential_type,
        } => TrustOp::Revoke {
            issuer: issuer.parse()?,
            credential_type,
        },
    };
    let (hash, height) = client.trust_op(&root, op)?;
    if json {
        crate::cli::print_json(&json!({"tx": hash.to_string(), "height": height}));
    } else {
        println!("trust list updated\n  tx {hash} at height {height}");
    }
    Ok(())
}
