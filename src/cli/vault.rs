//! `veil vault …`: a bank's evidence vault. Files are encrypted here,
//! before anything leaves the machine; the node sees ciphertext, content
//! addresses and signed records.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::Subcommand;
use rand_core::OsRng;
use serde_json::json;
use veil_client::types::{VaultLogJson, VaultVersionJson};
use veil_client::Client;
use veil_codec::DecodeExt;
use veil_crypto::signing::VerifyingKey;
use veil_tx::vault::party::Party;
use veil_tx::vault::{DocId, VaultOp, VaultTx};
use veil_vault::{DocContext, DocumentKey, Metadata, WrappedKey};

use crate::wallet::client::HttpSource;
use crate::wallet::vault::{self as vv, VaultClientError};
use crate::wallet::Wallet;

/// How long an open record stays valid.
const OPEN_LIFETIME_MS: u64 = 5 * 60 * 1000;

/// Options of `veil vault`.
#[derive(Debug, clap::Args)]
pub struct VaultArgs {
    /// The wallet whose keys act in the vault (not needed for `versions`
    /// and `log`).
    #[arg(long, conflicts_with = "identity")]
    pub wallet: Option<PathBuf>,
    /// Act as a DID holder instead of a wallet: the identity keystore's
    /// first Ed25519 key (an authentication method) signs, and documents
    /// are wrapped to its first X25519 key-agreement key (`veil did update
    /// --add-key agree-1 --key-type x25519` adds one).
    #[arg(long)]
    pub identity: Option<PathBuf>,
    /// The node's API (the global `--api`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: VaultCommand,
}

/// Vault commands.
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Enrol this wallet in the vault (once; `put` does it when needed).
    Enrol,
    /// Encrypt a file and store it as a new document, or as the next
    /// version of `--doc`.
    Put {
        /// The file.
        file: PathBuf,
        /// A new version of this document (hex id) instead of a new one.
        #[arg(long)]
        doc: Option<String>,
        /// Parties that may open it (wallet addresses, veil1…, or DIDs,
        /// did:veil:…), besides the owner and the regulator. With `--doc`,
        /// the default is the document's current grantees.
        #[arg(long = "grant", value_name = "ADDRESS|DID")]
        grants: Vec<String>,
        /// The media type recorded (sealed) with it.
        #[arg(long, default_value = "application/octet-stream")]
        media_type: String,
    },
    /// Download and decrypt a document version.
    Get {
        /// Document id (hex).
        doc: String,
        /// The version (default: the latest).
        #[arg(long)]
        version: Option<u32>,
        /// Where to write the plaintext (mode 0600; default: the recorded
        /// file name in the current directory).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Open with a document key received in a payment's note (hex)
        /// instead of a wrap.
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
    },
    /// Let one more party open a version (default: the latest).
    Grant {
        /// Document id (hex).
        doc: String,
        /// The party's wallet address (veil1…) or DID (did:veil:…).
        #[arg(long)]
        to: String,
        /// The version.
        #[arg(long)]
        version: Option<u32>,
    },
    /// Stop a party opening the document, and rotate: the latest version is
    /// encrypted again under a new key not wrapped for it.
    Revoke {
        /// Document id (hex).
        doc: String,
        /// The party's wallet address (veil1…) or DID (did:veil:…).
        #[arg(long)]
        party: String,
        /// Only record the revocation; do not put a rotated version.
        #[arg(long)]
        no_rotate: bool,
    },
    /// List a document's versions.
    Versions {
        /// Document id (hex).
        doc: String,
    },
    /// A document's trail: every put, grant, revoke, opening and purge.
    Log {
        /// Document id (hex).
        doc: String,
        /// Check every entry against its block: the signed record is in
        /// the block at its position, the block's `tx_root` commits to it
        /// and the header hashes to the block hash (compare those hashes
        /// with another node's, or with the commit certificates).
        #[arg(long)]
        verify: bool,
    },
    /// Destroy a document: every node deletes its ciphertext, its wraps are
    /// deleted from state, a tombstone stays.
    Purge {
        /// Document id (hex).
        doc: String,
        /// Do not ask.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

fn doc_id(s: &str) -> anyhow::Result<DocId> {
    veil_codec::hex32(s.trim()).ok_or_else(|| anyhow!("a document id is 64 hex characters"))
}

/// Keeps a node's refusal a [`veil_client::ClientError`] (exit code 3 or 4).
fn cli_err(e: VaultClientError) -> anyhow::Error {
    match e {
        VaultClientError::Client(c) => c.into(),
        other => other.into(),
    }
}

fn load_party(args: &VaultArgs) -> anyhow::Result<Party> {
    match &args.identity {
        Some(path) => did_party(path),
        None => Ok(Party::from_account(load_wallet(args)?.0.keys()?)),
    }
}

/// The vault party of an identity keystore: its first Ed25519 key and its
/// first X25519 key-agreement key.
fn did_party(path: &Path) -> anyhow::Result<Party> {
    use crate::identity::keys::SecretKey;
    let pass = veil_keystore::passphrase(&format!("passphrase for {}: ", path.display()))?;
    let id = crate::identity::local_identity::Identity::load(path, pass.expose())?;
    let (auth, seed) = id
        .keys
        .iter()
        .find_map(|(f, k)| match k {
            SecretKey::Ed25519(k) => Some((f.clone(), k.seed())),
            SecretKey::Secp256k1(_) => None,
        })
        .ok_or_else(|| {
            anyhow!(
                "{} holds no Ed25519 key to sign vault records with",
                path.display()
            )
        })?;
    let (agreement, secret) = id.agreement_keys.first().ok_or_else(|| {
        anyhow!(
            "{} holds no X25519 key-agreement key; add one with `veil did update --keystore {} --add-key agree-1 --key-type x25519`",
            path.display(),
            path.display()
        )
    })?;
    Ok(Party::from_did(
        id.did,
        auth,
        veil_crypto::signing::SigningKey::from_seed(seed.expose()),
        agreement.clone(),
        veil_crypto::secret::Secret::new(*secret.expose()),
    ))
}

/// The wallet, with its path and passphrase (to save it after a scan).
fn load_wallet(
    args: &VaultArgs,
) -> anyhow::Result<(Wallet, PathBuf, veil_crypto::secret::Secret<String>)> {
    let path = args
        .wallet
        .as_ref()
        .ok_or_else(|| anyhow!("this command needs --wallet"))?;
    let pass = veil_keystore::passphrase(&format!("passphrase for {}: ", path.display()))?;
    Ok((Wallet::load(path, pass.expose())?, path.clone(), pass))
}

/// The memo attaching `spec` (`DOC` or `DOC:VERSION`, default the latest)
/// of a document `wallet` can open, before `text`: the payee's note then
/// carries the document key (`veil_tx::vault::attachment`).
pub fn attachment_memo(
    api: &str,
    wallet: &Wallet,
    spec: &str,
    text: &str,
) -> anyhow::Result<veil_crypto::secret::Secret<String>> {
    let (doc, version) = match spec.split_once(':') {
        Some((d, v)) => (
            d,
            Some(
                v.parse::<u32>()
                    .map_err(|_| anyhow!("--attach DOC:VERSION, a number"))?,
            ),
        ),
        None => (spec, None),
    };
    let id = doc_id(doc)?;
    let client = Client::new(api);
    let party = Party::from_account(wallet.keys()?);
    let d = vv::document(&client, &id).map_err(cli_err)?;
    let v = vv::version_of(&d, version).map_err(cli_err)?;
    let key = vv::own_key(&party, &id, v).map_err(cli_err)?;
    let memo = veil_tx::vault::attachment::memo(
        &DocContext {
            id,
            version: v.version,
        },
        &key,
        text,
    );
    if memo.expose().len() > crate::tx::limits::MAX_MEMO {
        bail!(
            "the memo with the attachment is {} bytes; at most 512 (shorten --memo)",
            memo.expose().len()
        );
    }
    Ok(memo)
}

/// The key of `doc` version `v` that a payment to `wallet` carried, if
/// any (the newest such payment).
fn attached_key(wallet: &Wallet, doc: &DocId, v: u32) -> Option<DocumentKey> {
    let memos = wallet
        .state
        .history
        .iter()
        .map(|h| h.memo.as_str())
        .chain(wallet.state.outputs.iter().map(|o| o.memo.as_str()));
    memos.rev().find_map(|m| {
        veil_tx::vault::attachment::parse(m)
            .0
            .filter(|a| a.ctx.id == *doc && a.ctx.version == v)
            .map(|a| a.key)
    })
}

/// Checks each entry of `log` against its block (see `vault log
/// --verify`); the blocks' heights and hashes.
fn hex32(s: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    veil_codec::hex32(s).ok_or_else(|| anyhow!("the node sent a malformed {what}"))
}

/// A served header rebuilt from its fields (so its hash is computed here).
fn header_of(h: &veil_client::types::HeaderJson) -> anyhow::Result<veil_wire::block::Header> {
    use veil_wire::block::{BlockHash, ChainId, Header};
    Ok(Header {
        chain_id: ChainId::new(&h.chain_id)?,
        height: h.height,
        parent: BlockHash(hex32(&h.parent, "parent hash")?),
        timestamp_ms: h.timestamp_ms,
        tx_root: hex32(&h.tx_root, "tx root")?,
        state_root: hex32(&h.state_root, "state root")?,
        proposer: hex32(&h.proposer, "proposer")?,
        tx_count: h.tx_count,
    })
}

/// A verified block: its hash, and who certified it (none on a single dev
/// node, which makes no commit certificates).
#[derive(serde::Serialize)]
struct VerifiedBlock {
    hash: String,
    /// Precommit signatures that verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    signatures: Option<usize>,
    /// Their voting power, and the set's.
    #[serde(skip_serializing_if = "Option::is_none")]
    power: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_power: Option<u64>,
    /// The validator set's keys (hex).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    validators: Vec<String>,
}

/// Checks the block's commit certificate against the validator set the
/// node names for its height, after checking that set is what the parent
/// block's state records (its `state_root`) and that the parent is this
/// block's parent.
fn verify_certified(
    client: &Client,
    header: &veil_wire::block::Header,
    certificate: &str,
    e: &veil_client::types::VaultLogEntryJson,
) -> anyhow::Result<VerifiedBlock> {
    use veil_client::types::{BlockJson, ValidatorSetJson};
    let bytes =
        hex::decode(certificate).map_err(|_| anyhow!("the node sent a malformed certificate"))?;
    let set: ValidatorSetJson = client.get(&format!("/v1/validators/{}", header.height))?;
    if let Some(parent) = header.height.checked_sub(1) {
        let p: BlockJson = client.get(&format!("/v1/blocks/{parent}"))?;
        let ph = header_of(&p.header)?;
        ensure_trail(
            ph.hash() == header.parent && hex::encode(ph.state_root) == set.state_root,
            e,
            "the validator set served is not the one its parent block's state records",
        )?;
    }
    let powers = set
        .validators
        .iter()
        .map(|(k, p)| Ok((hex32(k, "validator key")?, *p)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let by = veil_consensus::engine::verify_block_certificate(header, &bytes, &powers).map_err(
        |why| {
            anyhow!(
                "trail entry {} (block {}): its commit certificate does not verify: {why}",
                e.tx,
                e.height
            )
        },
    )?;
    Ok(VerifiedBlock {
        hash: hex::encode(header.hash().0),
        signatures: Some(by.signatures),
        power: Some(by.power),
        total_power: Some(by.total),
        validators: set.validators.keys().cloned().collect(),
    })
}

fn verify_trail(
    client: &Client,
    doc: &DocId,
    log: &VaultLogJson,
) -> anyhow::Result<std::collections::BTreeMap<u64, VerifiedBlock>> {
    use veil_client::types::BlockJson;
    use veil_tx::{Transaction, TxHash};
    use veil_wire::block::tx_root;
    let mut blocks = std::collections::BTreeMap::new();
    for e in &log.entries {
        let b: BlockJson = client.get(&format!("/v1/blocks/{}", e.height))?;
        let h = &b.header;
        let header = header_of(h)?;
        ensure_trail(
            header.height == e.height && hex::encode(header.hash().0) == h.hash,
            e,
            "its block's header does not hash to the block hash",
        )?;
        let bodies = b
            .txs
            .iter()
            .map(|t| hex::decode(&t.hex).map_err(|_| anyhow!("the node sent a malformed body")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let hashes: Vec<TxHash> = bodies.iter().map(|t| Transaction::hash_of(t)).collect();
        ensure_trail(
            tx_root(&hashes) == header.tx_root
                && u32::try_from(hashes.len()).ok() == Some(header.tx_count),
            e,
            "the block's transactions do not match its tx_root",
        )?;
        let at = usize::try_from(e.position)?;
        let (Some(hash), Some(body)) = (hashes.get(at), bodies.get(at)) else {
            bail!("trail entry {}: no transaction at its position", e.tx);
        };
        ensure_trail(
            hash.to_string() == e.tx,
            e,
            "another transaction is at its position",
        )?;
        let Ok(Transaction::Vault(v)) = Transaction::decode(body) else {
            bail!("trail entry {}: not a vault record", e.tx);
        };
        v.check_stateless()
            .map_err(|err| anyhow!("trail entry {}: {err}", e.tx))?;
        ensure_trail(
            v.doc() == Some(*doc)
                && v.op_name() == e.op
                && hex::encode(v.actor.as_bytes()) == e.actor,
            e,
            "the signed record says something else",
        )?;
        if blocks.contains_key(&e.height) {
            // Another entry in a block already certified.
            continue;
        }
        let verified = match &b.certificate {
            Some(c) => verify_certified(client, &header, c, e)?,
            None => VerifiedBlock {
                hash: h.hash.clone(),
                signatures: None,
                power: None,
                total_power: None,
                validators: vec![],
            },
        };
        blocks.insert(e.height, verified);
    }
    Ok(blocks)
}

fn ensure_trail(
    ok: bool,
    e: &veil_client::types::VaultLogEntryJson,
    why: &str,
) -> anyhow::Result<()> {
    if ok {
        Ok(())
    } else {
        bail!("trail entry {} (block {}): {why}", e.tx, e.height)
    }
}

/// A progress bar on a terminal (hidden with --json or no terminal).
fn progress(json: bool, len: u64) -> indicatif::ProgressBar {
    if json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:12} {bar:40} {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// A path removed when dropped (a rotated document's plaintext, 0600).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Where `get` writes: `--out`, or the recorded file name (its last
/// component only) in the current directory.
fn destination(out: Option<&Path>, meta: &Metadata, doc: &DocId, version: u32) -> PathBuf {
    match out {
        Some(p) => p.to_path_buf(),
        None => Path::new(&meta.name)
            .file_name()
            .map(PathBuf::from)
            .filter(|n| !n.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from(format!("{}.v{version}", hex::encode(doc)))),
    }
}

#[allow(clippy::too_many_arguments)]
fn put_file(
    client: &Client,
    source: &HttpSource,
    party: &Party,
    doc: Option<(DocId, u32)>,
    grantees: &[(VerifyingKey, veil_vault::Recipient)],
    file: &Path,
    metadata: Metadata,
    json: bool,
) -> anyhow::Result<vv::Stored> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let len = f.metadata()?.len();
    let bar = progress(json, len);
    let stored = vv::put(
        client,
        source,
        party,
        doc,
        grantees,
        f,
        metadata,
        &mut |stage, n| {
            bar.set_message(stage);
            bar.set_position(n);
        },
    )
    .map_err(cli_err)?;
    bar.finish_and_clear();
    Ok(stored)
}

fn get_file(
    client: &Client,
    open: &VaultTx,
    key: &DocumentKey,
    v: &VaultVersionJson,
    dest: &Path,
    json: bool,
) -> anyhow::Result<u64> {
    super::check_output(dest)?;
    let bar = progress(json, v.size);
    let n = vv::download(client, open, key, v, dest, &mut |stage, n| {
        bar.set_message(stage);
        bar.set_position(n);
    })
    .map_err(cli_err)?;
    bar.finish_and_clear();
    Ok(n)
}

/// Runs `veil vault …`.
pub fn run(args: VaultArgs, json: bool) -> anyhow::Result<()> {
    let client = Client::new(&args.api);
    let source = HttpSource::new(&args.api);
    match &args.command {
        VaultCommand::Enrol => {
            let party = load_party(&args)?;
            let now = vv::ensure_enrolled(&client, &source, &party).map_err(cli_err)?;
            let key = hex::encode(party.key().as_bytes());
            let by = party.label();
            if json {
                super::print_json(&json!({
                    "party": key,
                    "address": party.address().map(ToString::to_string),
                    "did": party.address().is_none().then(|| by.clone()),
                    "enrolled_now": now,
                }));
            } else if now {
                println!("enrolled: party {key} for {by}");
            } else {
                println!("already enrolled: party {key} for {by}");
            }
        }
        VaultCommand::Put {
            file,
            doc,
            grants,
            media_type,
        } => {
            let party = load_party(&args)?;
            vv::ensure_enrolled(&client, &source, &party).map_err(cli_err)?;
            let existing = match doc.as_deref() {
                None => None,
                Some(d) => {
                    let id = doc_id(d)?;
                    let d = vv::document(&client, &id).map_err(cli_err)?;
                    if d.purged {
                        bail!("the document was purged");
                    }
                    Some((id, d))
                }
            };
            let mut grantees = Vec::new();
            for g in grants {
                grantees.push(vv::resolve(&client, g).map_err(cli_err).with_context(|| {
                    format!("{g} must be enrolled in the vault (it runs `veil vault enrol`)")
                })?);
            }
            if grants.is_empty() {
                if let Some((_, d)) = &existing {
                    for g in &d.grantees {
                        grantees.push(vv::resolve(&client, g).map_err(cli_err)?);
                    }
                }
            }
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stored = put_file(
                &client,
                &source,
                &party,
                existing.as_ref().map(|(id, d)| (*id, d.latest)),
                &grantees,
                file,
                Metadata {
                    name,
                    media_type: media_type.clone(),
                },
                json,
            )?;
            let doc = hex::encode(stored.ctx.id);
            if json {
                super::print_json(&json!({
                    "doc": doc, "version": stored.ctx.version, "tx": stored.tx.to_string(), "height": stored.height,
                    "size": stored.plain_len, "ciphertext_size": stored.size,
                    "grantees": grantees.iter().map(|(k, _)| hex::encode(k.as_bytes())).collect::<Vec<_>>(),
                }));
            } else {
                println!(
                    "stored {} as document {doc} version {} (block {})",
                    file.display(),
                    stored.ctx.version,
                    stored.height
                );
                println!(
                    "  {} bytes, encrypted here; the ledger holds its content address and its key wrapped to you, {} grantee(s) and the regulator",
                    stored.plain_len,
                    grantees.len()
                );
            }
        }
        VaultCommand::Get {
            doc,
            version,
            out,
            key,
        } => {
            let mut wallet = match &args.identity {
                Some(_) => None,
                None => Some(load_wallet(&args)?),
            };
            let party = match &wallet {
                Some((w, _, _)) => Party::from_account(w.keys()?),
                None => load_party(&args)?,
            };
            let id = doc_id(doc)?;
            let d = vv::document(&client, &id).map_err(cli_err)?;
            let v = vv::version_of(&d, *version).map_err(cli_err)?;
            let key = match key {
                Some(k) => DocumentKey::from_bytes(
                    &veil_codec::hex32(k).ok_or_else(|| anyhow!("--key is 64 hex characters"))?,
                ),
                // A wrap of its own, else (a wallet) a key a payment to it
                // carried.
                None => match vv::own_key(&party, &id, v) {
                    Ok(k) => k,
                    Err(e) => {
                        let Some((wallet, path, pass)) = wallet.as_mut() else {
                            return Err(cli_err(e));
                        };
                        match attached_key(wallet, &id, v.version) {
                            Some(k) => k,
                            None => {
                                // The payment may have come since the
                                // wallet last scanned.
                                super::wallet::scan(wallet, &source, json)?;
                                wallet.save(
                                    path,
                                    pass.expose(),
                                    veil_keystore::KdfParams::default(),
                                )?;
                                attached_key(wallet, &id, v.version).ok_or_else(|| cli_err(e))?
                            }
                        }
                    }
                },
            };
            let meta = vv::metadata(&key, &id, v).map_err(cli_err)?;
            let dest = destination(out.as_deref(), &meta, &id, v.version);
            let open = vv::open_record(&party, &d, v, &key, veil_clock::now_ms(), OPEN_LIFETIME_MS)
                .map_err(cli_err)?;
            let n = get_file(&client, &open, &key, v, &dest, json)?;
            if json {
                super::print_json(&json!({
                    "doc": hex::encode(id), "version": v.version, "file": dest.display().to_string(),
                    "name": meta.name, "media_type": meta.media_type, "size": n,
                }));
            } else {
                println!(
                    "wrote {} ({n} bytes, {}; recorded as {}); the opening is in the document's trail",
                    dest.display(),
                    meta.media_type,
                    meta.name
                );
            }
        }
        VaultCommand::Grant { doc, to, version } => {
            let party = load_party(&args)?;
            let id = doc_id(doc)?;
            let d = vv::document(&client, &id).map_err(cli_err)?;
            let v = vv::version_of(&d, *version).map_err(cli_err)?;
            let key = vv::own_key(&party, &id, v).map_err(cli_err)?;
            let (grantee, recipient) = vv::resolve(&client, to).map_err(cli_err)?;
            let ctx = DocContext {
                id,
                version: v.version,
            };
            let wrap = Box::new(veil_vault::wrap_for(&key, &recipient, &ctx, &mut OsRng)?);
            let tx = party.sign(
                VaultOp::Grant {
                    doc: id,
                    version: v.version,
                    party: grantee,
                    wrap,
                },
                &mut OsRng,
            )?;
            let (hash, height) = vv::submit_record(&source, tx).map_err(cli_err)?;
            if json {
                super::print_json(
                    &json!({"doc": hex::encode(id), "version": v.version, "party": hex::encode(grantee.as_bytes()), "tx": hash.to_string(), "height": height}),
                );
            } else {
                println!("granted version {} to {to} (block {height})", v.version);
            }
        }
        VaultCommand::Revoke {
            doc,
            party: who,
            no_rotate,
        } => {
            let party = load_party(&args)?;
            let id = doc_id(doc)?;
            let (revoked, _) = vv::resolve(&client, who).map_err(cli_err)?;
            let tx = party.sign(
                VaultOp::Revoke {
                    doc: id,
                    party: revoked,
                },
                &mut OsRng,
            )?;
            let (hash, height) = vv::submit_record(&source, tx).map_err(cli_err)?;
            let mut rotated = None;
            if !no_rotate {
                // The latest version again, under a new key, for the
                // remaining grantees (the plaintext passes through an
                // owner-only temporary file).
                let d = vv::document(&client, &id).map_err(cli_err)?;
                let v = vv::version_of(&d, None).map_err(cli_err)?;
                let key = vv::own_key(&party, &id, v).map_err(cli_err)?;
                let meta = vv::metadata(&key, &id, v).map_err(cli_err)?;
                let open =
                    vv::open_record(&party, &d, v, &key, veil_clock::now_ms(), OPEN_LIFETIME_MS)
                        .map_err(cli_err)?;
                let mut nonce = [0u8; 8];
                rand_core::RngCore::fill_bytes(&mut OsRng, &mut nonce);
                let plain = RemoveOnDrop(
                    std::env::temp_dir().join(format!(".veil-vault-rotate.{}", hex::encode(nonce))),
                );
                get_file(&client, &open, &key, v, &plain.0, json)?;
                let mut grantees = Vec::new();
                for g in &d.grantees {
                    grantees.push(vv::resolve(&client, g).map_err(cli_err)?);
                }
                let stored = put_file(
                    &client,
                    &source,
                    &party,
                    Some((id, d.latest)),
                    &grantees,
                    &plain.0,
                    meta,
                    json,
                )?;
                rotated = Some(stored);
            }
            if json {
                super::print_json(&json!({
                    "doc": hex::encode(id), "party": hex::encode(revoked.as_bytes()), "tx": hash.to_string(), "height": height,
                    "rotated_version": rotated.as_ref().map(|r| r.ctx.version),
                    "rotated_tx": rotated.as_ref().map(|r| r.tx.to_string()),
                }));
            } else {
                println!("revoked {who} (block {height})");
                if let Some(r) = rotated {
                    println!(
                        "rotated: version {} under a new key, not wrapped for {who} (block {})",
                        r.ctx.version, r.height
                    );
                }
                println!("note: what {who} already downloaded and decrypted cannot be taken back");
            }
        }
        VaultCommand::Versions { doc } => {
            let id = doc_id(doc)?;
            let d = vv::document(&client, &id).map_err(cli_err)?;
            if json {
                super::print_json(&serde_json::to_value(&d)?);
            } else {
                println!(
                    "document {} (owner {}){}",
                    d.doc,
                    d.owner,
                    if d.purged { " — purged" } else { "" }
                );
                for v in &d.versions {
                    println!(
                        "  v{}  {} bytes in {} chunk(s)  address {}  {} key holder(s) + regulator",
                        v.version,
                        v.size,
                        v.chunks,
                        v.address,
                        v.wraps.len()
                    );
                }
            }
        }
        VaultCommand::Log { doc, verify } => {
            let id = doc_id(doc)?;
            let log: VaultLogJson =
                client.get(&format!("/v1/vault/documents/{}/log", hex::encode(id)))?;
            let blocks = if *verify {
                Some(verify_trail(&client, &id, &log)?)
            } else {
                None
            };
            if json {
                let mut v = serde_json::to_value(&log)?;
                if let Some(b) = &blocks {
                    v["verified"] = json!(true);
                    v["blocks"] = json!(b);
                }
                super::print_json(&v);
            } else {
                if let Some(b) = &blocks {
                    println!(
                        "verified: {} entries, each a signed record in its block, under these block hashes:",
                        log.entries.len()
                    );
                    for (h, v) in b {
                        match (v.signatures, v.power, v.total_power) {
                            (Some(n), Some(p), Some(t)) => println!(
                                "  block {h:>6}  {}  certified: {n} precommits, power {p} of {t}",
                                v.hash
                            ),
                            _ => println!(
                                "  block {h:>6}  {}  (no commit certificate: a single dev node)",
                                v.hash
                            ),
                        }
                    }
                    if let Some(v) = b.values().find(|v| !v.validators.is_empty()) {
                        println!(
                            "  validator set (compare with one you trust, e.g. the genesis): {}",
                            v.validators.join(", ")
                        );
                    }
                }
                for e in &log.entries {
                    let what = match (&e.version, &e.party) {
                        (Some(v), Some(p)) => format!("v{v} → {p}"),
                        (Some(v), None) => format!("v{v}"),
                        (None, Some(p)) => p.clone(),
                        (None, None) => String::new(),
                    };
                    println!(
                        "block {:>6}  {:<6} by {} ({})  {what}  tx {}",
                        e.height, e.op, e.actor, e.role, e.tx
                    );
                }
            }
        }
        VaultCommand::Purge { doc, yes } => {
            let party = load_party(&args)?;
            let id = doc_id(doc)?;
            if !yes && !json && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprint!(
                    "destroy document {} on every node? this cannot be undone [y/N] ",
                    hex::encode(id)
                );
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                if !line.trim().eq_ignore_ascii_case("y") {
                    bail!("not purged");
                }
            }
            let tx = party.sign(VaultOp::Purge { doc: id }, &mut OsRng)?;
            let (hash, height) = vv::submit_record(&source, tx).map_err(cli_err)?;
            if json {
                super::print_json(
                    &json!({"doc": hex::encode(id), "tx": hash.to_string(), "height": height, "purged": true}),
                );
            } else {
                println!("purged {} (block {height}): every node deletes its ciphertext; its trail and a tombstone remain", hex::encode(id));
            }
        }
    }
    Ok(())
}

/// `veil regulator open-document`: unwraps the version's key with the
/// regulator epoch key it was wrapped to, and opens it with a record signed
/// by the regulator's identity key.
pub(crate) fn regulator_open(
    api: &str,
    creds: &veil_regulator::credentials::Credentials,
    doc: &str,
    version: Option<u32>,
    out: Option<&Path>,
    json: bool,
) -> anyhow::Result<()> {
    let client = Client::new(api);
    let id = doc_id(doc)?;
    let d = vv::document(&client, &id).map_err(cli_err)?;
    let v = vv::version_of(&d, version).map_err(cli_err)?;
    let key = regulator_key(&client, creds, &id, v)?;
    let meta = vv::metadata(&key, &id, v).map_err(cli_err)?;
    let dest = destination(out, &meta, &id, v.version);
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut OsRng, &mut nonce);
    let open = VaultTx::sign(
        &creds.signer(),
        nonce,
        VaultOp::Open {
            doc: id,
            version: v.version,
            expires_ms: veil_clock::now_ms() + OPEN_LIFETIME_MS,
            capability: None,
        },
    )?;
    let n = get_file(&client, &open, &key, v, &dest, json)?;
    if json {
        super::print_json(&json!({
            "doc": hex::encode(id), "version": v.version, "file": dest.display().to_string(),
            "name": meta.name, "media_type": meta.media_type, "size": n, "owner": d.owner,
        }));
    } else {
        println!(
            "wrote {} ({n} bytes, {}; recorded as {}); the opening is in the document's trail",
            dest.display(),
            meta.media_type,
            meta.name
        );
    }
    Ok(())
}

/// The document key of `v` from the regulator wrap, with the epoch key it
/// was wrapped to.
pub fn regulator_key(
    client: &Client,
    creds: &veil_regulator::credentials::Credentials,
    id: &DocId,
    v: &VaultVersionJson,
) -> anyhow::Result<DocumentKey> {
    let reg: veil_client::types::RegulatorRegistryJson = client.get("/v1/regulator-keys")?;
    let slot = reg
        .keys
        .iter()
        .find(|k| k.key == v.regulator_key)
        .ok_or_else(|| anyhow!("the version's regulator key is not in the registry"))?;
    let epoch_key = creds
        .epoch_key(&slot.jurisdiction, slot.epoch, slot.version)
        .ok_or_else(|| {
            anyhow!(
                "these credentials do not reach epoch {} of {}",
                slot.epoch,
                slot.jurisdiction
            )
        })?;
    let wrap = WrappedKey::decode(&hex::decode(&v.regulator_wrap)?)?;
    let ctx = DocContext {
        id: *id,
        version: v.version,
    };
    let shared = epoch_key.key().diffie_hellman(&wrap.ephemeral);
    veil_vault::unwrap_key_shared(&wrap, &shared, epoch_key.key().public().as_point(), &ctx)
        .map_err(|_| {
            anyhow!(
                "the regulator wrap of this version does not open: its owner wrapped a wrong key"
            )
        })
}
