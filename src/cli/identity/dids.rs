//! `veil did`: create, update, rotate, deactivate, show and resolve DIDs.

use std::path::PathBuf;

use anyhow::bail;
use rand_core::OsRng;
use serde_json::json;
use veil_circuits::field;

use crate::identity::did::{
    DidId, Fragment, Method, Service, ASSERTION, AUTHENTICATION, KEY_AGREEMENT,
};
use crate::identity::local_identity::Identity;
use crate::identity::tx::{Change, DidOp};
use crate::tx::TxHash;
use crate::wallet::client::HttpSource;

use super::*;

/// `veil did`.
#[derive(Debug, clap::Args)]
pub struct DidArgs {
    /// The node's API (the global `--api` / `VEIL_API`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: DidCommand,
}

/// DID commands.
#[derive(Debug, clap::Subcommand)]
pub enum DidCommand {
    /// Create a DID (new keystore with one key, `#key-1`).
    Create {
        /// The keystore to write.
        #[arg(long)]
        keystore: PathBuf,
        /// A label.
        #[arg(long, default_value = "")]
        label: String,
        /// `ed25519` or `secp256k1`.
        #[arg(long, default_value = "ed25519")]
        key_type: String,
    },
    /// Show a keystore's DID and holder commitment.
    Show {
        /// The keystore.
        #[arg(long)]
        keystore: PathBuf,
    },
    /// Add or remove keys and services.
    Update {
        /// The keystore.
        #[arg(long)]
        keystore: PathBuf,
        /// Add a key with this fragment (generated, stored in the keystore).
        #[arg(long)]
        add_key: Option<String>,
        /// Its type: `ed25519`, `secp256k1`, or `x25519` (a key-agreement
        /// key, e.g. for the evidence vault to wrap documents to).
        #[arg(long, default_value = "ed25519")]
        key_type: String,
        /// Its relationships: `authentication`, `assertion` (comma-separated;
        /// an `x25519` key serves `keyAgreement` only).
        #[arg(long, default_value = "authentication,assertion")]
        relationships: String,
        /// Remove the key with this fragment.
        #[arg(long)]
        remove_key: Option<String>,
        /// Add a service `fragment=Type=https://…`.
        #[arg(long)]
        add_service: Option<String>,
        /// Remove the service with this fragment.
        #[arg(long)]
        remove_service: Option<String>,
    },
    /// Replace a key (same fragment and relationships).
    Rotate {
        /// The keystore.
        #[arg(long)]
        keystore: PathBuf,
        /// The method to rotate.
        #[arg(long, default_value = "key-1")]
        method: String,
        /// The new key's type.
        #[arg(long, default_value = "ed25519")]
        key_type: String,
    },
    /// Deactivate the DID (final).
    Deactivate {
        /// The keystore.
        #[arg(long)]
        keystore: PathBuf,
    },
    /// Resolve a DID.
    Resolve {
        /// The DID.
        did: String,
        /// Resolve this version.
        #[arg(long)]
        version_id: Option<u64>,
    },
}

fn done(json: bool, what: &str, did: &DidId, hash: &TxHash, height: u64) {
    if json {
        crate::cli::print_json(
            &json!({"did": did.to_string(), "tx": hash.to_string(), "height": height}),
        );
    } else {
        println!("{what} {did}\n  tx {hash} at height {height}");
    }
}

/// Runs `veil did`.
pub fn run_did(args: DidArgs, json: bool) -> anyhow::Result<()> {
    let source = HttpSource::new(&args.api);
    let client = IdentityClient { source: &source };
    match args.command {
        DidCommand::Create {
            keystore: path,
            label,
            key_type: kt,
        } => {
            if path.exists() {
                bail!(
                    "{} exists; refusing to overwrite a keystore",
                    path.display()
                );
            }
            let (id, tx) = Identity::create(&label, key_type(&kt)?, &mut OsRng);
            save(&id, &path)?;
            let (hash, height) = client.create_did(&tx)?;
            if json {
                crate::cli::print_json(&json!({
                    "did": id.did.to_string(),
                    "holder_commitment": field::to_hex(&id.holder_commitment()),
                    "tx": hash.to_string(), "height": height,
                }));
            } else {
                println!(
                    "created {}\n  holder commitment {}\n  tx {hash} at height {height}",
                    id.did,
                    field::to_hex(&id.holder_commitment())
                );
            }
        }
        DidCommand::Show { keystore: path } => {
            let id = open(&path)?;
            let out = json!({
                "did": id.did.to_string(),
                "label": id.label,
                "keys": id.keys.iter().map(|(f, k)| json!({"id": id.did.method_url(f), "publicKeyMultibase": k.public().to_multibase()})).collect::<Vec<_>>(),
                "holder_commitment": field::to_hex(&id.holder_commitment()),
                "credentials": id.credentials.len(),
            });
            if json {
                crate::cli::print_json(&out);
            } else {
                println!("{}", serde_json::to_string_pretty(&out)?);
            }
        }
        DidCommand::Update {
            keystore: path,
            add_key,
            key_type: kt,
            relationships,
            remove_key,
            add_service,
            remove_service,
        } => {
            let mut id = open(&path)?;
            let mut changes = Vec::new();
            let mut new_key = None;
            let mut new_agreement = None;
            if let Some(f) = add_key.as_deref().filter(|_| kt == "x25519") {
                let fragment = Fragment::new(f)?;
                let (secret, public) = Identity::generate_agreement_key(&mut OsRng);
                changes.push(Change::AddMethod(Method {
                    fragment: fragment.clone(),
                    key: public,
                    relationships: KEY_AGREEMENT,
                }));
                new_agreement = Some((fragment, secret));
            } else if let Some(f) = add_key {
                let fragment = Fragment::new(&f)?;
                let key = key_type(&kt)?.generate(&mut OsRng);
                let mut rel = 0;
                for r in relationships.split(',').map(str::trim) {
                    rel |= match r {
                        "authentication" => AUTHENTICATION,
                        "assertion" | "assertionMethod" => ASSERTION,
                        _ => bail!("relationships: authentication, assertion"),
                    };
                }
                changes.push(Change::AddMethod(Method {
                    fragment: fragment.clone(),
                    key: key.public(),
                    relationships: rel,
                }));
                new_key = Some((fragment, key));
            }
            if let Some(f) = remove_key {
                changes.push(Change::RemoveMethod(Fragment::new(&f)?));
            }
            if let Some(s) = add_service {
                let mut parts = s.splitn(3, '=');
                let (Some(f), Some(t), Some(url)) = (parts.next(), parts.next(), parts.next())
                else {
                    bail!("--add-service fragment=Type=https://…");
                };
                changes.push(Change::AddService(Service::new(Fragment::new(f)?, t, url)?));
            }
            if let Some(f) = remove_service {
                changes.push(Change::RemoveService(Fragment::new(&f)?));
            }
            if changes.is_empty() {
                bail!("nothing to change");
            }
            let removed: Vec<Fragment> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::RemoveMethod(f) => Some(f.clone()),
                    _ => None,
                })
                .collect();
            let (hash, height) = client.did_op(&id, DidOp::Update(changes))?;
            id.keys.retain(|(f, _)| !removed.contains(f));
            id.agreement_keys.retain(|(f, _)| !removed.contains(f));
            if let Some(k) = new_key {
                id.keys.push(k);
            }
            if let Some(k) = new_agreement {
                id.agreement_keys.push(k);
            }
            save(&id, &path)?;
            done(json, "updated", &id.did, &hash, height);
        }
        DidCommand::Rotate {
            keystore: path,
            method,
            key_type: kt,
        } => {
            let mut id = open(&path)?;
            let fragment = Fragment::new(&method)?;
            if id.key(&fragment).is_none() {
                bail!("the keystore has no key #{method}");
            }
            let key = key_type(&kt)?.generate(&mut OsRng);
            // Signed with the keystore's first key (which may be the one
            // being rotated: the ledger checks it against the current
            // version, before the rotation).
            let (hash, height) = client.did_op(
                &id,
                DidOp::Rotate {
                    method: fragment.clone(),
                    key: key.public(),
                },
            )?;
            for (f, k) in &mut id.keys {
                if *f == fragment {
                    *k = key;
                    break;
                }
            }
            save(&id, &path)?;
            done(json, "rotated", &id.did, &hash, height);
        }
        DidCommand::Deactivate { keystore: path } => {
            let id = open(&path)?;
            let (hash, height) = client.did_op(&id, DidOp::Deactivate)?;
            done(json, "deactivated", &id.did, &hash, height);
        }
        DidCommand::Resolve { did, version_id } => {
            let did: DidId = did.parse()?;
            let r = client.resolve(&did, version_id)?;
            if json {
                crate::cli::print_json(&r);
            } else {
                println!("{}", serde_json::to_string_pretty(&r)?);
            }
        }
    }
    Ok(())
}
