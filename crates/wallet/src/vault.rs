//! The client side of the evidence vault: encrypt a file here, upload its
//! ciphertext against a signed put record, download and decrypt against a
//! signed open record. Streams throughout: a document is never whole in
//! memory, and its ciphertext is never written on the client (an upload
//! encrypts twice: once for the manifest that goes first, once as the
//! chunks are sent).

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand_core::OsRng;
use veil_client::types::{VaultDocumentJson, VaultPartyJson, VaultVersionJson};
use veil_client::{Client, ClientError};
use veil_codec::{DecodeExt, Encode};
use veil_crypto::keys::Address;
use veil_crypto::signing::VerifyingKey;
use veil_tx::vault::party::{Party, VersionPlan};
use veil_tx::vault::{DocId, VaultOp, VaultTx};
use veil_tx::{Transaction, TxHash};
use veil_vault::{DocContext, DocumentKey, Manifest, Metadata, PartyWrap, Recipient};

use crate::source::{ChainSource, SourceError};
use crate::{wait_committed, WalletError};

/// Largest manifest a client accepts from a node (a 1 TiB document's).
pub const MAX_MANIFEST: usize = 40 * (1 << 20);
/// How long to wait for a record to commit.
pub const COMMIT_WAIT: Duration = Duration::from_secs(60);

/// Why a vault operation failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultClientError {
    /// The node refused or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The chain source failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Waiting for a commit failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// Encryption, decryption or a key did not work.
    #[error(transparent)]
    Vault(#[from] veil_vault::VaultError),
    /// A local file.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// What the node sent is not what the ledger says.
    #[error("{0}")]
    Protocol(String),
}

fn protocol(s: impl Into<String>) -> VaultClientError {
    VaultClientError::Protocol(s.into())
}

/// A temporary file, owner-only (0600), removed on drop unless kept.
pub struct TempFile {
    path: PathBuf,
    file: std::fs::File,
}

impl TempFile {
    /// Creates one in `dir`.
    pub fn new_in(dir: &Path, stem: &str) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut nonce = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut OsRng, &mut nonce);
        let path = dir.join(format!(".{stem}.{}.part", hex::encode(nonce)));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        Ok(Self { path, file })
    }

    /// Syncs and renames it to `dest`.
    pub fn keep_as(self, dest: &Path) -> std::io::Result<()> {
        self.file.sync_all()?;
        std::fs::rename(&self.path, dest)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // After `keep_as` the path no longer exists: nothing is removed.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Submits a vault record and waits for its block.
pub fn submit_record(
    source: &dyn ChainSource,
    tx: VaultTx,
) -> Result<(TxHash, u64), VaultClientError> {
    let hash = source.submit(&Transaction::Vault(tx))?;
    Ok((hash, wait_committed(source, &hash, COMMIT_WAIT)?))
}

/// Enrols `party` unless it is; whether it enrolled now.
pub fn ensure_enrolled(
    client: &Client,
    source: &dyn ChainSource,
    party: &Party,
) -> Result<bool, VaultClientError> {
    match client.get::<VaultPartyJson>(&format!(
        "/v1/vault/parties/{}",
        hex::encode(party.key().as_bytes())
    )) {
        Ok(_) => Ok(false),
        Err(e) if e.problem().is_some_and(|p| p.status == 404) => {
            let tx = party
                .enrol(&mut OsRng)
                .map_err(|e| protocol(e.to_string()))?;
            submit_record(source, tx)?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// A party's key and where its wraps go, by wallet address (`veil1…`: the
/// view key is the address's own), DID (`did:veil:…`: its X25519
/// key-agreement key in force, as the node reads it from the ledger) or
/// party key (hex).
pub fn resolve(client: &Client, id: &str) -> Result<(VerifyingKey, Recipient), VaultClientError> {
    let id = id.trim();
    let addr: Option<Address> = if id.starts_with("veil1") {
        Some(
            id.parse()
                .map_err(|_| protocol(format!("{id} is not a valid veil1 address")))?,
        )
    } else {
        None
    };
    let p: VaultPartyJson = client.get(&format!("/v1/vault/parties/{id}"))?;
    let key = veil_codec::hex32(&p.party)
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| protocol("the node sent a malformed party key"))?;
    let to = match (addr, p.address.as_deref(), p.agreement_key.as_deref()) {
        (Some(a), _, _) => Recipient::View(*a.view_key()),
        (None, Some(a), _) => {
            let a: Address = a
                .parse()
                .map_err(|_| protocol("the node sent a malformed address"))?;
            Recipient::View(*a.view_key())
        }
        (None, None, Some(x)) => Recipient::Agreement(
            veil_codec::hex32(x).ok_or_else(|| protocol("the node sent a malformed X25519 key"))?,
        ),
        (None, None, None) => return Err(protocol("the node sent a party with no key to wrap to")),
    };
    Ok((key, to))
}

/// A document as the ledger holds it.
pub fn document(client: &Client, doc: &DocId) -> Result<VaultDocumentJson, VaultClientError> {
    Ok(client.get(&format!("/v1/vault/documents/{}", hex::encode(doc)))?)
}

/// A stored version.
#[derive(Debug)]
pub struct Stored {
    /// The document and version.
    pub ctx: DocContext,
    /// The put record's hash.
    pub tx: TxHash,
    /// Its block.
    pub height: u64,
    /// Plaintext bytes.
    pub plain_len: u64,
    /// Ciphertext bytes.
    pub size: u64,
    /// The version's key (for attaching it to a payment).
    pub key: DocumentKey,
}

/// What [`put`] and [`download`] report as they go: the stage and bytes
/// done.
pub type Progress<'a> = &'a mut dyn FnMut(&'static str, u64);

/// Encrypts `plain` and stores it as a new document (`doc = None`) or as
/// version `latest + 1` of `doc`, wrapped to the owner, `grantees` and the
/// regulator key in force; waits for the put record's block.
///
/// The plaintext is read twice from where it stands: once to make the
/// manifest the signed put record names, once to seal the chunks again as
/// they are sent ([`veil_vault::reencrypt`]; a plaintext that changed in
/// between is refused, and the node stores nothing). No ciphertext copy
/// is written anywhere on the client.
#[allow(clippy::too_many_arguments)]
pub fn put<R: Read + Seek + Send>(
    client: &Client,
    source: &dyn ChainSource,
    party: &Party,
    doc: Option<(DocId, u32)>,
    grantees: &[(VerifyingKey, Recipient)],
    mut plain: R,
    metadata: Metadata,
    progress: Progress<'_>,
) -> Result<Stored, VaultClientError> {
    let (nonce, ctx) = party.new_version(doc, &mut OsRng);
    let key = DocumentKey::generate(&mut OsRng);
    let start = plain.stream_position()?;
    let mut done = 0u64;
    let manifest =
        veil_vault::encrypt(&key, &ctx, &mut OsRng, &mut plain, u64::MAX, |_, bytes| {
            done += u64::try_from(bytes.len()).unwrap_or(0);
            progress("encrypting", done);
            Ok(())
        })?;
    plain.seek(std::io::SeekFrom::Start(start))?;
    let plan = VersionPlan {
        doc,
        grantees,
        regulator: source.regulator_key()?,
        metadata,
    };
    let record = party.put(nonce, &ctx, &key, &manifest, &plan, &mut OsRng)?;
    let record = Transaction::Vault(record)
        .encode()
        .map_err(|e| protocol(e.to_string()))?;
    let head = manifest.encode().map_err(|e| protocol(e.to_string()))?;
    let head_len = u32::try_from(head.len()).map_err(|_| protocol("manifest too large"))?;
    let total = 4 + u64::from(head_len) + manifest.ciphertext_len();
    let (up, sealed) = std::thread::scope(|s| {
        let (to_body, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(UPLOAD_AHEAD);
        let (key, ctx, manifest) = (&key, &ctx, &manifest);
        let sealer = s.spawn(move || {
            veil_vault::reencrypt(key, ctx, manifest, plain, |_, bytes| {
                to_body
                    .send(bytes.to_vec())
                    .map_err(|_| std::io::Error::other("the upload stopped"))
            })
        });
        let mut sent = 0u64;
        let body = Counting {
            inner: std::io::Cursor::new([&head_len.to_be_bytes()[..], &head].concat()).chain(
                ChunkReader {
                    chunks,
                    cur: std::io::Cursor::new(Vec::new()),
                    left: manifest.ciphertext_len(),
                },
            ),
            count: &mut sent,
            progress,
        };
        let up = client.vault_upload(&record, body, total);
        let sealed = sealer
            .join()
            .unwrap_or(Err(veil_vault::VaultError::Manifest("the sealer panicked")));
        (up, sealed)
    });
    // A plaintext that changed says so; otherwise the node's answer does.
    if let Err(e @ veil_vault::VaultError::Changed) = sealed {
        return Err(e.into());
    }
    let up = up?;
    sealed?;
    let tx = veil_codec::hex32(&up.hash)
        .map(TxHash)
        .ok_or_else(|| protocol("the node sent a malformed hash"))?;
    let height = wait_committed(source, &tx, COMMIT_WAIT)?;
    Ok(Stored {
        ctx,
        tx,
        height,
        plain_len: manifest.plaintext_len,
        size: manifest.ciphertext_len(),
        key,
    })
}

/// Sealed chunks waiting for the socket during an upload.
const UPLOAD_AHEAD: usize = 2;

/// The chunks of the second pass, read as one stream. If the sealer
/// stops before every byte the manifest promises, reading fails, so the
/// request breaks off instead of waiting for bytes that will not come.
struct ChunkReader {
    chunks: std::sync::mpsc::Receiver<Vec<u8>>,
    cur: std::io::Cursor<Vec<u8>>,
    left: u64,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.cur.read(buf)?;
            if n > 0 || buf.is_empty() {
                self.left = self.left.saturating_sub(u64::try_from(n).unwrap_or(0));
                return Ok(n);
            }
            match self.chunks.recv() {
                Ok(next) => self.cur = std::io::Cursor::new(next),
                Err(_) if self.left == 0 => return Ok(0),
                Err(_) => return Err(std::io::Error::other("the upload's chunks stopped")),
            }
        }
    }
}

struct Counting<'a, R> {
    inner: R,
    count: &'a mut u64,
    progress: Progress<'a>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.count += u64::try_from(n).unwrap_or(0);
        (self.progress)("uploading", *self.count);
        Ok(n)
    }
}

/// The version's key from `party`'s own wrap.
pub fn own_key(
    party: &Party,
    doc: &DocId,
    v: &VaultVersionJson,
) -> Result<DocumentKey, VaultClientError> {
    let me = hex::encode(party.key().as_bytes());
    let wrap = v.wraps.iter().find(|w| w.party == me).ok_or_else(|| {
        protocol(format!(
            "version {} holds no key for this wallet (not granted, or revoked)",
            v.version
        ))
    })?;
    let wrap = PartyWrap::decode(&hex::decode(&wrap.wrap).map_err(|e| protocol(e.to_string()))?)
        .map_err(|e| protocol(e.to_string()))?;
    Ok(party.unwrap(
        &wrap,
        &DocContext {
            id: *doc,
            version: v.version,
        },
    )?)
}

/// A version of a document (default: the latest).
pub fn version_of(
    d: &VaultDocumentJson,
    v: Option<u32>,
) -> Result<&VaultVersionJson, VaultClientError> {
    if d.purged {
        return Err(protocol("the document was purged"));
    }
    let want = v.unwrap_or(d.latest);
    d.versions
        .iter()
        .find(|x| x.version == want)
        .ok_or_else(|| protocol(format!("no version {want} (latest is {})", d.latest)))
}

/// The sealed metadata of a version.
pub fn metadata(
    key: &DocumentKey,
    doc: &DocId,
    v: &VaultVersionJson,
) -> Result<Metadata, VaultClientError> {
    let address = veil_codec::hex32(&v.address).ok_or_else(|| protocol("malformed address"))?;
    let sealed = hex::decode(&v.metadata).map_err(|e| protocol(e.to_string()))?;
    Ok(veil_vault::open_metadata(
        key,
        &DocContext {
            id: *doc,
            version: v.version,
        },
        &address,
        &sealed,
    )?)
}

/// Downloads the version `open` names and decrypts it into `dest` (a
/// temporary file beside it, renamed on success; nothing is left on
/// failure). Returns the plaintext length and the record's hash.
pub fn download(
    client: &Client,
    open: &VaultTx,
    key: &DocumentKey,
    v: &VaultVersionJson,
    dest: &Path,
    progress: Progress<'_>,
) -> Result<u64, VaultClientError> {
    let VaultOp::Open { doc, version, .. } = &open.op else {
        return Err(protocol("not an open record"));
    };
    let ctx = DocContext {
        id: *doc,
        version: *version,
    };
    let address = veil_codec::hex32(&v.address).ok_or_else(|| protocol("malformed address"))?;
    let record = Transaction::Vault(open.clone())
        .encode()
        .map_err(|e| protocol(e.to_string()))?;
    let mut body = client.vault_download(&hex::encode(doc), *version, &record)?;
    let mut len = [0u8; 4];
    body.read_exact(&mut len)?;
    let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
    if len > MAX_MANIFEST {
        return Err(protocol("the node sent an oversized manifest"));
    }
    let mut head = vec![0u8; len];
    body.read_exact(&mut head)?;
    let manifest = Manifest::decode(&head).map_err(|e| protocol(e.to_string()))?;
    if manifest.address() != address {
        return Err(protocol(
            "the node sent a manifest that does not match the ledger's content address",
        ));
    }
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = TempFile::new_in(dir, "veil-vault-get")?;
    let mut got = 0u64;
    let written = veil_vault::decrypt(
        key,
        &ctx,
        &manifest,
        |_, c| {
            let mut buf = vec![0u8; usize::try_from(c.len).unwrap_or(0)];
            body.read_exact(&mut buf)?;
            got += u64::from(c.len);
            progress("downloading", got);
            Ok(buf)
        },
        SyncingWriter {
            file: &tmp.file,
            unsynced: 0,
        },
    )?;
    tmp.keep_as(dest)?;
    Ok(written)
}

/// Plaintext bytes written before the file is synced again while a
/// download streams.
const SYNC_EVERY: u64 = 16 << 20;

/// Writes a download's plaintext, syncing every [`SYNC_EVERY`] bytes, so
/// the disk writes back while the stream goes on instead of all at the
/// end, when the file must be durable before it is renamed into place.
struct SyncingWriter<'a> {
    file: &'a std::fs::File,
    unsynced: u64,
}

impl std::io::Write for SyncingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = std::io::Write::write(&mut self.file, buf)?;
        self.unsynced += u64::try_from(n).unwrap_or(0);
        if self.unsynced >= SYNC_EVERY {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::Write::flush(&mut self.file)
    }
}

/// An open record for `party` on `v`, valid for `lifetime_ms`; by
/// capability when the party is neither owner nor grantee.
pub fn open_record(
    party: &Party,
    d: &VaultDocumentJson,
    v: &VaultVersionJson,
    key: &DocumentKey,
    now_ms: u64,
    lifetime_ms: u64,
) -> Result<VaultTx, VaultClientError> {
    let me = hex::encode(party.key().as_bytes());
    let doc = veil_codec::hex32(&d.doc).ok_or_else(|| protocol("malformed document id"))?;
    let by_capability =
        d.owner != me && !(d.grantees.contains(&me) && v.wraps.iter().any(|w| w.party == me));
    party
        .open(
            doc,
            v.version,
            now_ms.saturating_add(lifetime_ms),
            by_capability.then_some(key),
            &mut OsRng,
        )
        .map_err(|e| protocol(e.to_string()))
}
