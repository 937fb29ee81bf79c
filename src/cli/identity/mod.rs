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
use crate::identity::did::{DidDocument, DidId};
use crate::identity::local_identity::{Identity, KeyType};
use crate::identity::pinned_keys;
use crate::identity::presentation::{Holder, Presentation, PresentationRequest};
use crate::identity::schema::CredentialType;
use crate::identity::state::DidRecord;
use crate::identity::tx::{CredentialOp, CredentialTx, DidOp, DidTx, TrustOp, TrustTx};
use crate::identity::{timestamp, vc};
use crate::tx::{Transaction, TxHash};
use crate::wallet::client::HttpSource;
use crate::wallet::submit_and_wait;
use veil_client::types::Problem;
use veil_keystore::{self as keystore, KdfParams};

/// How long a command waits for its transaction to commit.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(120);

mod credentials;
mod dids;
mod trust_list;

pub use credentials::*;
pub use dids::*;
pub use trust_list::*;

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
        Ok(submit_and_wait(self.source, tx, COMMIT_TIMEOUT)?)
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
        let tx = DidTx::signed(id.did, version, op, id.did, f.clone(), k)?;
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
        let tx = TrustTx::signed(authority, seq + 1, op, f.clone(), k)?;
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
        )?;
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
        )?;
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
    Identity::load(path, pass.expose()).with_context(|| format!("opening {}", path.display()))
}

fn save(id: &Identity, path: &Path) -> anyhow::Result<()> {
    let pass = keystore::passphrase(&format!("passphrase for {}: ", path.display()))?;
    id.save(path, pass.expose(), KdfParams::default())
        .with_context(|| format!("writing {}", path.display()))
}

fn key_type(s: &str) -> anyhow::Result<KeyType> {
    match s {
        "ed25519" => Ok(KeyType::Ed25519),
        "secp256k1" => Ok(KeyType::Secp256k1),
        _ => bail!("key types: ed25519, secp256k1"),
    }
}
