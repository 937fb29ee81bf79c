//! `veil setup`, `veil did …`, `veil trust …` and `veil credential …`, and
//! the client those commands (and the demo) share.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use rand_core::OsRng;
use serde_json::{json, Value};
use veil_circuits::field;
use veil_circuits::merkle::MerklePath;
use veil_circuits::Fr;

use crate::identity::credential::{self, HeldCredential};
use crate::identity::did::{
    DidDocument, DidId, Fragment, Method, Service, ASSERTION, AUTHENTICATION,
};
use crate::identity::local_identity::{Identity, KeyType};
use crate::identity::pinned_keys;
use crate::identity::presentation::{
    random_nonce, Holder, PredicateSpec, Presentation, PresentationRequest,
};
use crate::identity::schema::{AttributeValue, CredentialType, Date};
use crate::identity::state::DidRecord;
use crate::identity::tx::{Change, CredentialOp, CredentialTx, DidOp, DidTx, TrustOp, TrustTx};
use crate::identity::{timestamp, vc};
use crate::tx::{Transaction, TxHash};
use crate::wallet::client::HttpSource;
use crate::wallet::submit_and_wait;
use veil_client::types::Problem;
use veil_keystore::{self as keystore, KdfParams};

/// How long a command waits for its transaction to commit.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(120);

/// A client of a node's identity endpoints.
pub struct IdentityClient<'a> {
    /// The node.
    pub source: &'a HttpSource,
}

impl std::fmt::Debug for IdentityClient<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityClient")
    }
}

fn fr(v: &Value, what: &str) -> anyhow::Result<Fr> {
    v.as_str()
        .and_then(field::from_hex)
        .ok_or_else(|| anyhow!("node sent a malformed {what}"))
}

impl IdentityClient<'_> {
    /// Submits and waits for the commit.
    pub fn submit(&self, tx: &Transaction) -> anyhow::Result<(TxHash, u64)> {
        submit_and_wait(self.source, tx, COMMIT_TIMEOUT)
    }

    /// The credential types on the ledger.
    pub fn types(&self) -> anyhow::Result<HashMap<String, CredentialType>> {
        let list = self.source.get_json("/v1/trust-list")?;
        list["credential_types"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|t| {
                let t = CredentialType::from_json(t)?;
                Ok((t.name.clone(), t))
            })
            .collect()
    }

    /// One type.
    pub fn credential_type(&self, name: &str) -> anyhow::Result<CredentialType> {
        self.types()?
            .remove(name)
            .ok_or_else(|| anyhow!("credential type {name} is not defined on the ledger"))
    }

    /// The root authority and its last trust sequence.
    pub fn trust_sequence(&self) -> anyhow::Result<(DidId, u64)> {
        let list = self.source.get_json("/v1/trust-list")?;
        let did = list["root_authority"]
            .as_str()
            .ok_or_else(|| anyhow!("this ledger has no root authority"))?
            .parse()?;
        Ok((did, list["sequence"].as_u64().unwrap_or(0)))
    }

    /// Resolves a DID (at a version): the resolution result JSON.
    pub fn resolve(&self, did: &DidId, version: Option<u64>) -> anyhow::Result<Value> {
        let q = version.map_or(String::new(), |v| format!("?versionId={v}"));
        Ok(self.source.get_json(&format!("/v1/dids/{did}{q}"))?)
    }

    /// A DID's record at a version (for envelope verification).
    pub fn record(&self, did: &DidId, version: u64) -> anyhow::Result<DidRecord> {
        let r = self.resolve(did, Some(version))?;
        let (_, document) = DidDocument::from_json(&r["didDocument"])?;
        let meta = &r["didDocumentMetadata"];
        Ok(DidRecord {
            document,
            version,
            created_ms: 0,
            updated_ms: 0,
            deactivated: meta["deactivated"].as_bool().unwrap_or(false),
        })
    }

    /// A DID's current version.
    pub fn version(&self, did: &DidId) -> anyhow::Result<u64> {
        self.resolve(did, None)?["didDocumentMetadata"]["versionId"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("node sent no versionId"))
    }

    /// An issuer's last credential-operation sequence.
    pub fn issuer_sequence(&self, did: &DidId) -> anyhow::Result<u64> {
        Ok(
            self.source.get_json(&format!("/v1/issuers/{did}"))?["tree"]["sequence"]
                .as_u64()
                .unwrap_or(0),
        )
    }

    /// A leaf's path and the tree's current root.
    pub fn path(&self, issuer: &DidId, index: u32) -> anyhow::Result<(MerklePath, Fr)> {
        let p = self
            .source
            .get_json(&format!("/v1/issuers/{issuer}/paths/{index}"))?;
        let siblings: Vec<Fr> = p["siblings"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|s| fr(s, "sibling"))
            .collect::<anyhow::Result<_>>()?;
        let siblings: [Fr; veil_circuits::merkle::DEPTH] = siblings
            .try_into()
            .map_err(|_| anyhow!("node sent a path of the wrong length"))?;
        Ok((MerklePath { index, siblings }, fr(&p["root"], "root")?))
    }

    /// Creates a DID on the ledger.
    pub fn create_did(&self, tx: &DidTx) -> anyhow::Result<(TxHash, u64)> {
        self.submit(&Transaction::Did(tx.clone()))
    }

    /// A DID operation signed with the identity's first key.
    pub fn did_op(&self, id: &Identity, op: DidOp) -> anyhow::Result<(TxHash, u64)> {
        let (f, k) = id
            .first_key()
            .ok_or_else(|| anyhow!("the keystore holds no key"))?;
        let version = self.version(&id.did)?;
        let tx = DidTx::signed(id.did, version, op, id.did, f.clone(), k);
        self.submit(&Transaction::Did(tx))
    }

    /// A trust-list operation signed by the root authority.
    pub fn trust_op(&self, root: &Identity, op: TrustOp) -> anyhow::Result<(TxHash, u64)> {
        let (authority, seq) = self.trust_sequence()?;
        if authority != root.did {
            bail!("{} is not the root authority ({authority} is)", root.did);
        }
        let (f, k) = root
            .first_key()
            .ok_or_else(|| anyhow!("the keystore holds no key"))?;
        let tx = TrustTx::signed(authority, seq + 1, op, f.clone(), k);
        self.submit(&Transaction::Trust(tx))
    }

    /// Issues a credential: appends its commitment, then signs the
    /// envelope for the holder.
    pub fn issue(
        &self,
        issuer: &Identity,
        type_name: &str,
        holder_commitment: Fr,
        attributes: &BTreeMap<String, Value>,
    ) -> anyhow::Result<Value> {
        let ty = self.credential_type(type_name)?;
        let attributes = credential::parse_attributes(&ty, attributes)?;
        let salt = credential::random_salt(&mut OsRng);
        let leaf = credential::commitment(&ty, &attributes, holder_commitment, salt);
        let (f, k) = issuer
            .first_key()
            .ok_or_else(|| anyhow!("the keystore holds no key"))?;
        let seq = self.issuer_sequence(&issuer.did)?;
        let tx = CredentialTx::signed(
            issuer.did,
            seq + 1,
            CredentialOp::Issue {
                credential_type: ty.name.clone(),
                commitments: vec![leaf],
            },
            f.clone(),
            k,
        );
        self.submit(&Transaction::Credential(tx))?;
        let at = self.source.get_json(&format!(
            "/v1/issuers/{}/commitments/{}",
            issuer.did,
            field::to_hex(&leaf)
        ))?;
        let index = at["leaf_index"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| anyhow!("node sent no leaf index"))?;
        let version = self.version(&issuer.did)?;
        let signer = vc::Signer {
            did: issuer.did,
            version,
            method: f,
            key: k,
        };
        Ok(credential::envelope(
            &signer,
            &ty,
            &attributes,
            holder_commitment,
            salt,
            index,
            &timestamp(crate::clock::now_ms()),
        ))
    }

    /// Revokes leaves.
    pub fn revoke(&self, issuer: &Identity, leaves: Vec<u32>) -> anyhow::Result<(TxHash, u64)> {
        let (f, k) = issuer
            .first_key()
            .ok_or_else(|| anyhow!("the keystore holds no key"))?;
        let seq = self.issuer_sequence(&issuer.did)?;
        let tx = CredentialTx::signed(
            issuer.did,
            seq + 1,
            CredentialOp::Revoke { leaves },
            f.clone(),
            k,
        );
        self.submit(&Transaction::Credential(tx))
    }

    /// Reads an envelope as its holder: the commitment opens with the
    /// holder's secret, the issuer's signature verifies (at the DID version
    /// it names), and the ledger holds the commitment at the envelope's
    /// leaf index, unrevoked. The last check is what makes an envelope
    /// trustworthy: a signature by a key rotated away still verifies at
    /// its old version, but only the issuer's current keys can put a
    /// commitment on the ledger.
    pub fn accept(
        &self,
        holder: &Identity,
        envelope: &Value,
    ) -> anyhow::Result<(HeldCredential, CredentialType)> {
        let types = self.types()?;
        let held = credential::read_envelope(envelope, &|n| types.get(n).cloned())?;
        if held.holder_commitment != holder.holder_commitment() {
            bail!("this credential was issued to another holder");
        }
        let resolve = |d: &DidId, v: u64| self.record(d, v).ok();
        let (signer, _) = vc::verify(envelope, &resolve).context("the issuer's signature")?;
        if signer != held.issuer {
            bail!(
                "the envelope is signed by {signer}, not its issuer {}",
                held.issuer
            );
        }
        let at = self
            .source
            .get_json(&format!(
                "/v1/issuers/{}/commitments/{}",
                held.issuer,
                field::to_hex(&held.commitment)
            ))
            .context("the credential's commitment is not on the ledger")?;
        if at["leaf_index"].as_u64() != Some(u64::from(held.leaf_index)) {
            bail!("the envelope's leaf index is not where the ledger has its commitment");
        }
        if at["revoked"].as_bool() != Some(false) {
            bail!("the issuer revoked this credential");
        }
        let ty = types
            .get(&held.credential_type)
            .cloned()
            .ok_or_else(|| anyhow!("unknown credential type"))?;
        Ok((held, ty))
    }

    /// The regulator hook key of an issuer's accreditation for a type.
    pub fn hook_key(
        &self,
        issuer: &DidId,
        credential_type: &str,
    ) -> anyhow::Result<Option<veil_circuits::hook::HookKey>> {
        let info = self.source.get_json(&format!("/v1/issuers/{issuer}"))?;
        let Some(a) = info["accreditations"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["credential_type"] == credential_type))
        else {
            return Ok(None);
        };
        match a["regulator_hook_key"].as_str() {
            None => Ok(None),
            Some(h) => {
                let bytes = hex::decode(h).context("node sent a malformed hook key")?;
                Ok(Some(
                    veil_circuits::hook::HookKey::from_bytes(&bytes)
                        .map_err(|e| anyhow!("node sent an invalid hook key: {e}"))?,
                ))
            }
        }
    }

    /// The proving key for presentations of `issuer`'s `credential_type`
    /// and the hook key they must encrypt to.
    pub fn proving_key(
        &self,
        issuer: &DidId,
        credential_type: &str,
    ) -> anyhow::Result<(
        std::sync::Arc<veil_circuits::groth::ProvingKey>,
        Option<veil_circuits::hook::HookKey>,
    )> {
        let hook = self.hook_key(issuer, credential_type)?;
        let circuit = if hook.is_some() {
            veil_circuits::presentation::Circuit::Hooked
        } else {
            veil_circuits::presentation::Circuit::Presentation
        };
        let key = pinned_keys::proving_key_for(circuit, pinned_keys::default_dir().as_deref())?;
        Ok((key, hook))
    }

    /// Proves what `request` asks with the holder's credential.
    pub fn present(
        &self,
        holder: &Identity,
        envelope: &Value,
        request: &PresentationRequest,
    ) -> anyhow::Result<Presentation> {
        let (held, ty) = self.accept(holder, envelope)?;
        let (path, root) = self.path(&held.issuer, held.leaf_index)?;
        let (key, hook) = self.proving_key(&held.issuer, &held.credential_type)?;
        let h = Holder {
            key: &key,
            secret: holder.holder_secret(),
            credential: &held,
            credential_type: &ty,
            path,
            root,
            hook,
        };
        Ok(h.present(request, &timestamp(crate::clock::now_ms()))?)
    }

    /// Asks the node to verify (and record the nullifier of) a
    /// presentation.
    pub fn verify(
        &self,
        presentation: &Value,
        request: &Value,
    ) -> anyhow::Result<Result<Value, Problem>> {
        Ok(self.source.post_json(
            "/v1/presentations/verify",
            &json!({ "presentation": presentation, "request": request }),
        )?)
    }
}

/// `veil setup`.
#[derive(Debug, clap::Args)]
pub struct SetupArgs {
    /// Where to write the keys.
    #[arg(long, env = "VEIL_KEYS_DIR", default_value = "keys")]
    pub keys_dir: PathBuf,
}

/// Runs `veil setup`.
pub fn setup(args: &SetupArgs, json: bool) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    if json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    let started = std::time::Instant::now();
    let report = pinned_keys::setup(&args.keys_dir, &|stage| bar.set_message(stage.to_owned()))
        .map_err(|e| anyhow!("{e}"))?;
    bar.finish_and_clear();
    let digest = hex::encode(report.digest);
    if json {
        super::print_json(&json!({
            "ceremony": "development (deterministic, public: NOT for production)",
            "digest": digest,
            "hook_digest": hex::encode(report.hook_digest),
            "matches_pinned": report.matches_pinned,
            "files": report.written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "seconds": started.elapsed().as_secs_f64(),
        }));
    } else {
        println!(
            "DEVELOPMENT CEREMONY: the toxic waste is derived from a public seed; anyone can forge"
        );
        println!("proofs for these keys. See docs/credentials.md#ceremony for a real one.\n");
        for p in &report.written {
            println!("  wrote {}", p.display());
        }
        println!("  verifying key sha256 {digest}");
        println!(
            "  hooked verifying key sha256 {}",
            hex::encode(report.hook_digest)
        );
        if report.matches_pinned {
            println!("  these are the keys this binary pins: nodes and verifiers accept them");
        } else {
            println!(
                "  WARNING: this binary pins other keys ({}, {}); commit the new keys/ files and rebuild",
                hex::encode(pinned_keys::pinned_digest()),
                hex::encode(pinned_keys::pinned_digest_for(
                    veil_circuits::presentation::Circuit::Hooked
                ))
            );
        }
        println!("  {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

fn open(path: &Path) -> anyhow::Result<Identity> {
    let pass = keystore::passphrase(&format!("passphrase for {}: ", path.display()))?;
    Identity::load(path, &pass).with_context(|| format!("opening {}", path.display()))
}

fn save(id: &Identity, path: &Path) -> anyhow::Result<()> {
    let pass = keystore::passphrase(&format!("passphrase for {}: ", path.display()))?;
    id.save(path, &pass, KdfParams::default())
        .with_context(|| format!("writing {}", path.display()))
}

fn key_type(s: &str) -> anyhow::Result<KeyType> {
    match s {
        "ed25519" => Ok(KeyType::Ed25519),
        "secp256k1" => Ok(KeyType::Secp256k1),
        _ => bail!("key types: ed25519, secp256k1"),
    }
}

/// `veil did`.
#[derive(Debug, clap::Args)]
pub struct DidArgs {
    /// The node's API.
    #[arg(long, default_value = "http://127.0.0.1:8700")]
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
        /// Its type.
        #[arg(long, default_value = "ed25519")]
        key_type: String,
        /// Its relationships: `authentication`, `assertion` (comma-separated).
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
        super::print_json(
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
                super::print_json(&json!({
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
                super::print_json(&out);
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
            if let Some(f) = add_key {
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
            if let Some(k) = new_key {
                id.keys.push(k);
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
                super::print_json(&r);
            } else {
                println!("{}", serde_json::to_string_pretty(&r)?);
            }
        }
    }
    Ok(())
}

/// `veil trust` (the root authority's trust list).
#[derive(Debug, clap::Args)]
pub struct TrustArgs {
    /// The root authority's identity keystore.
    #[arg(long)]
    pub keystore: PathBuf,
    /// The node's API.
    #[arg(long, default_value = "http://127.0.0.1:8700")]
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
        super::print_json(&json!({"tx": hash.to_string(), "height": height}));
    } else {
        println!("trust list updated\n  tx {hash} at height {height}");
    }
    Ok(())
}

/// `veil credential`.
#[derive(Debug, clap::Args)]
pub struct CredentialArgs {
    /// The node's API.
    #[arg(long, default_value = "http://127.0.0.1:8700")]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: CredentialCommand,
}

/// Credential commands.
#[derive(Debug, clap::Subcommand)]
pub enum CredentialCommand {
    /// Issue a credential to a holder (as an accredited issuer).
    Issue {
        /// The issuer's identity keystore.
        #[arg(long)]
        keystore: PathBuf,
        /// The type.
        #[arg(long = "type")]
        credential_type: String,
        /// The holder's commitment (`veil did show`).
        #[arg(long)]
        holder_commitment: String,
        /// Attributes as `name=value` (dates YYYY-MM-DD).
        #[arg(long = "attr", required = true)]
        attributes: Vec<String>,
        /// Where to write the credential (VC 2.0 JSON); stdout if absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Revoke a credential (as its issuer).
    Revoke {
        /// The issuer's identity keystore.
        #[arg(long)]
        keystore: PathBuf,
        /// The credential file.
        #[arg(long)]
        credential: Option<PathBuf>,
        /// Or its leaf index.
        #[arg(long)]
        leaf: Option<u32>,
    },
    /// Write a presentation request (as a verifier).
    Request {
        /// The type asked for.
        #[arg(long = "type")]
        credential_type: String,
        /// The verifier's scope (nullifiers are per scope).
        #[arg(long)]
        scope: String,
        /// Attributes to disclose (comma-separated).
        #[arg(long, default_value = "")]
        disclose: String,
        /// Accepted issuers (repeat; default any accredited).
        #[arg(long = "issuer")]
        issuers: Vec<String>,
        /// The predicate's attribute.
        #[arg(long)]
        predicate: Option<String>,
        /// Its minimum.
        #[arg(long)]
        min: Option<String>,
        /// Its maximum.
        #[arg(long)]
        max: Option<String>,
        /// For a birth date: at least this many years old today.
        #[arg(long)]
        min_age: Option<u32>,
        /// Where to write it; stdout if absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Answer a request with a zero-knowledge presentation (as the holder).
    Present {
        /// The holder's identity keystore.
        #[arg(long)]
        keystore: PathBuf,
        /// The credential file.
        #[arg(long)]
        credential: PathBuf,
        /// The request file.
        #[arg(long)]
        request: PathBuf,
        /// Where to write the presentation; stdout if absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify a presentation against its request (the node checks and
    /// records the nullifier).
    Verify {
        /// The presentation file.
        #[arg(long)]
        presentation: PathBuf,
        /// The request file.
        #[arg(long)]
        request: PathBuf,
    },
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > 1024 * 1024 {
        bail!("{} is too large", path.display());
    }
    serde_json::from_slice(&std::fs::read(path)?)
        .with_context(|| format!("parsing {}", path.display()))
}

fn write_or_print(out: Option<&Path>, v: &Value, json: bool) -> anyhow::Result<()> {
    match out {
        Some(p) => {
            std::fs::write(p, serde_json::to_vec_pretty(v)?)?;
            if json {
                super::print_json(&json!({"written": p.display().to_string()}));
            } else {
                println!("wrote {}", p.display());
            }
        }
        None => println!(
            "{}",
            if json {
                v.to_string()
            } else {
                serde_json::to_string_pretty(v)?
            }
        ),
    }
    Ok(())
}

/// A request from command-line options.
#[allow(clippy::too_many_arguments)]
pub fn build_request(
    ty: &CredentialType,
    scope: &str,
    disclose: &str,
    issuers: &[String],
    predicate: Option<&str>,
    min: Option<&str>,
    max: Option<&str>,
    min_age: Option<u32>,
) -> anyhow::Result<PresentationRequest> {
    let predicate = match (predicate, min_age) {
        (None, None) => None,
        (attribute, Some(age)) => {
            let attribute = attribute.unwrap_or("birth_date").to_owned();
            let cutoff = Date::today(&crate::clock::SystemClock)
                .years_before(age)
                .ok_or_else(|| anyhow!("--min-age too large"))?;
            Some(PredicateSpec {
                attribute,
                min: None,
                max: Some(AttributeValue::Date(cutoff)),
            })
        }
        (Some(attribute), None) => {
            let (_, kind) = ty
                .attribute(attribute)
                .ok_or_else(|| anyhow!("{} has no attribute {attribute}", ty.name))?;
            let bound = |s: Option<&str>| -> anyhow::Result<Option<AttributeValue>> {
                s.map(|s| AttributeValue::from_json(attribute, kind, &Value::from(s)))
                    .transpose()
                    .map_err(Into::into)
            };
            Some(PredicateSpec {
                attribute: attribute.to_owned(),
                min: bound(min)?,
                max: bound(max)?,
            })
        }
    };
    let request = PresentationRequest {
        nonce: random_nonce(),
        scope: scope.to_owned(),
        credential_type: ty.name.clone(),
        issuers: issuers
            .iter()
            .map(|d| d.parse())
            .collect::<Result<_, _>>()?,
        disclose: disclose
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        predicate,
    };
    request.validate(ty)?;
    Ok(request)
}

/// Runs `veil credential`.
pub fn run_credential(args: CredentialArgs, json: bool) -> anyhow::Result<()> {
    let source = HttpSource::new(&args.api);
    let client = IdentityClient { source: &source };
    match args.command {
        CredentialCommand::Issue {
            keystore: path,
            credential_type,
            holder_commitment,
            attributes,
            out,
        } => {
            let issuer = open(&path)?;
            let hc = field::from_hex(&holder_commitment)
                .ok_or_else(|| anyhow!("--holder-commitment: 64 hex digits"))?;
            let attrs: BTreeMap<String, Value> = attributes
                .iter()
                .map(|a| {
                    let (k, v) = a
                        .split_once('=')
                        .ok_or_else(|| anyhow!("--attr name=value"))?;
                    Ok((k.to_owned(), Value::from(v)))
                })
                .collect::<anyhow::Result<_>>()?;
            let env = client.issue(&issuer, &credential_type, hc, &attrs)?;
            write_or_print(out.as_deref(), &env, json)?;
        }
        CredentialCommand::Revoke {
            keystore: path,
            credential,
            leaf,
        } => {
            let issuer = open(&path)?;
            let leaf = match (credential, leaf) {
                (_, Some(l)) => l,
                (Some(c), None) => read_json(&c)?["credentialStatus"]["leafIndex"]
                    .as_u64()
                    .and_then(|i| u32::try_from(i).ok())
                    .ok_or_else(|| anyhow!("the credential has no credentialStatus.leafIndex"))?,
                (None, None) => bail!("--credential FILE or --leaf N"),
            };
            let (hash, height) = client.revoke(&issuer, vec![leaf])?;
            if json {
                super::print_json(
                    &json!({"revoked": leaf, "tx": hash.to_string(), "height": height}),
                );
            } else {
                println!(
                    "revoked leaf {leaf} of {}\n  tx {hash} at height {height}",
                    issuer.did
                );
            }
        }
        CredentialCommand::Request {
            credential_type,
            scope,
            disclose,
            issuers,
            predicate,
            min,
            max,
            min_age,
            out,
        } => {
            let ty = client.credential_type(&credential_type)?;
            let r = build_request(
                &ty,
                &scope,
                &disclose,
                &issuers,
                predicate.as_deref(),
                min.as_deref(),
                max.as_deref(),
                min_age,
            )?;
            write_or_print(out.as_deref(), &r.to_json(), json)?;
        }
        CredentialCommand::Present {
            keystore: path,
            credential,
            request,
            out,
        } => {
            let holder = open(&path)?;
            let envelope = read_json(&credential)?;
            let types = client.types()?;
            let request =
                PresentationRequest::from_json(&read_json(&request)?, &|n| types.get(n).cloned())?;
            let started = std::time::Instant::now();
            let p = client.present(&holder, &envelope, &request)?;
            if !json {
                eprintln!("proved in {:.2} s", started.elapsed().as_secs_f64());
            }
            write_or_print(out.as_deref(), &p.to_json(), json)?;
        }
        CredentialCommand::Verify {
            presentation,
            request,
        } => match client.verify(&read_json(&presentation)?, &read_json(&request)?)? {
            Ok(v) => {
                if json {
                    super::print_json(&v);
                } else {
                    println!("verified\n{}", serde_json::to_string_pretty(&v)?);
                }
            }
            Err(p) => bail!("refused: {} ({}): {}", p.title, p.kind, p.detail),
        },
    }
    Ok(())
}
