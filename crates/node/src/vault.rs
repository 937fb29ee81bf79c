//! The node's side of the evidence vault: ciphertext chunks and manifests
//! under `<data>/vault`, uploads checked chunk by chunk against the
//! owner's signed put record, and openings served only once their record
//! is committed.
//!
//! # The vault stream (uploads and downloads)
//!
//! ```text
//!   manifest length u32-be ‖ manifest (veil_vault::Manifest encoding) ‖
//!   chunk 0 ‖ chunk 1 ‖ … ‖ chunk n−1        (lengths from the manifest)
//! ```
//!
//! A node holds at most twelve chunks of a stream in memory (one being
//! received, two queued and one being checked, one queued and one being
//! written for each of four writers), whatever the document's size. An upload
//! is accepted only if the manifest hashes to the put's content address,
//! its sizes agree with the put, and every chunk hashes to its manifest
//! entry; anything else removes what the upload stored and changes nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use veil_codec::{DecodeExt, Encode};
use veil_ledger::chunks::{ChunkError, ChunkStore, DirChunkStore};
use veil_tx::vault::{records as rec, Put, VaultOp, VaultTx, VaultTxError};
use veil_tx::{Transaction, TxError, TxHash};
use veil_vault::{ChunkRef, Manifest};

use super::{Node, SubmitError, TxState};

/// The largest manifest accepted (a 1 TiB document's).
pub const MAX_MANIFEST: usize = 40 * (1 << 20);

/// Vault settings of a node.
#[derive(Clone, Copy, Debug)]
pub struct VaultLimits {
    /// Largest document version (ciphertext bytes) this node accepts.
    pub max_document_bytes: u64,
    /// Most ciphertext bytes one owner keeps (every live version).
    pub quota_bytes: u64,
    /// How long an opening waits for its record to be committed.
    pub open_wait: Duration,
    /// How often the node checks that it holds every chunk of every live
    /// version (and fetches what it lacks from peers); a committed put
    /// starts a pass at once.
    pub repair_interval: Duration,
    /// How often it re-hashes every chunk it holds (the scrub).
    pub scrub_interval: Duration,
}

impl Default for VaultLimits {
    fn default() -> Self {
        Self {
            max_document_bytes: 1 << 30,
            quota_bytes: 16 << 30,
            open_wait: Duration::from_secs(15),
            repair_interval: Duration::from_secs(30),
            scrub_interval: Duration::from_secs(3600),
        }
    }
}

/// Why a vault request was refused.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The record is not what the endpoint takes.
    #[error("{0}")]
    BadRequest(String),
    /// The record is refused by the ledger's rules.
    #[error("{0}")]
    Refused(TxError),
    /// The document is over the node's size limit.
    #[error("the document is {size} bytes; this node takes at most {max}")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The owner's quota would be exceeded.
    #[error("the owner keeps {used} bytes; {size} more would exceed the quota of {quota}")]
    Quota {
        /// Bytes kept.
        used: u64,
        /// This version's.
        size: u64,
        /// The quota.
        quota: u64,
    },
    /// The bytes sent do not match the record.
    #[error("{0}")]
    Mismatch(String),
    /// The opening is past its expiry.
    #[error("the request expired")]
    Expired,
    /// The node does not hold every chunk (yet).
    #[error("this node does not hold chunk {0} yet; retry or ask another node")]
    Missing(String),
    /// Submitting the record failed.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// Storage failed.
    #[error("vault storage: {0}")]
    Storage(String),
}

impl VaultError {
    /// The stable problem code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "malformed",
            Self::Refused(e) => e.code(),
            Self::TooLarge { .. } => "too-large",
            Self::Quota { .. } => "quota-exceeded",
            Self::Mismatch(_) => "content-mismatch",
            Self::Expired => "expired",
            Self::Missing(_) => "chunk-missing",
            Self::Submit(e) => e.code(),
            Self::Storage(_) => "storage",
        }
    }
}

impl From<ChunkError> for VaultError {
    fn from(e: ChunkError) -> Self {
        match e {
            ChunkError::Mismatch(h) => Self::Mismatch(format!("a chunk does not match {h}")),
            other => Self::Storage(other.to_string()),
        }
    }
}

impl From<std::io::Error> for VaultError {
    fn from(e: std::io::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

/// Chunks and manifests on disk.
pub struct VaultStore {
    chunks: DirChunkStore,
    manifests: PathBuf,
    /// Signalled when a committed put names content to fetch.
    pub changed: tokio::sync::Notify,
    /// Replication and repair counters.
    pub counters: VaultCounters,
    /// Purged documents whose content this node has already deleted.
    purged_done: std::sync::Mutex<std::collections::HashSet<[u8; 32]>>,
}

/// What replication, repair and scrubbing did (the node's metrics).
#[derive(Default, Debug)]
pub struct VaultCounters {
    /// Chunks fetched from peers and stored.
    pub fetched_chunks: AtomicU64,
    /// Manifests fetched from peers and stored.
    pub fetched_manifests: AtomicU64,
    /// Chunks or manifests a peer sent that did not match their address
    /// (refused, never stored).
    pub refused: AtomicU64,
    /// Chunks or manifests the scrub found corrupt here (removed).
    pub scrub_removed: AtomicU64,
    /// Chunks of live versions this node lacked at its last check.
    pub missing: AtomicU64,
}

impl VaultStore {
    /// Opens (creates) the store under `root`.
    pub fn open(root: &Path) -> Result<Self, ChunkError> {
        let manifests = root.join("manifests");
        std::fs::create_dir_all(&manifests)?;
        Ok(Self {
            chunks: DirChunkStore::open(&root.join("chunks"))?,
            manifests,
            changed: tokio::sync::Notify::new(),
            counters: VaultCounters::default(),
            purged_done: std::sync::Mutex::default(),
        })
    }

    fn manifest_path(&self, address: &[u8; 32]) -> PathBuf {
        self.manifests.join(hex::encode(address))
    }

    /// The manifest with content address `address`, if held and intact.
    pub fn manifest(&self, address: &[u8; 32]) -> Option<Manifest> {
        let bytes = std::fs::read(self.manifest_path(address)).ok()?;
        let m = Manifest::decode(&bytes).ok()?;
        (m.address() == *address).then_some(m)
    }

    /// Stores a manifest (checked against its address).
    pub fn put_manifest(&self, m: &Manifest) -> Result<(), VaultError> {
        let bytes = m
            .encode()
            .map_err(|e| VaultError::Mismatch(format!("manifest: {e}")))?;
        let path = self.manifest_path(&m.address());
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        std::fs::create_dir_all(&self.manifests)?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// The chunk store.
    pub fn chunks(&self) -> &DirChunkStore {
        &self.chunks
    }

    /// Forgets a document version: its chunks and manifest.
    pub fn remove(&self, address: &[u8; 32]) -> Result<(), VaultError> {
        if let Some(m) = self.manifest(address) {
            for c in &m.chunks {
                self.chunks.delete(&c.hash)?;
            }
        }
        match std::fs::remove_file(self.manifest_path(address)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Chunk indices of `m` this node lacks.
    pub fn missing(&self, m: &Manifest) -> Result<Vec<usize>, VaultError> {
        let mut out = Vec::new();
        for (i, c) in m.chunks.iter().enumerate() {
            if !self.chunks.has(&c.hash)? {
                out.push(i);
            }
        }
        Ok(out)
    }
}

/// A live version this node lacks content of ([`Node::vault_needs`]).
#[derive(Debug, Clone)]
pub struct Need {
    /// The document.
    pub doc: [u8; 32],
    /// The version.
    pub version: u32,
    /// Its content address.
    pub address: [u8; 32],
    /// Its manifest, if held.
    pub manifest: Option<Manifest>,
    /// Chunk indices lacking (meaningful when the manifest is held).
    pub lacking: Vec<usize>,
}

/// Chunks of one upload waiting between its stages (received, checked,
/// stored): memory stays a few chunks whatever the document's size.
const UPLOAD_QUEUE: usize = 2;

/// A chunk of an upload, received whole, with its manifest entry.
type Received = (usize, ChunkRef, Vec<u8>);

/// Threads making an upload's chunks durable at once. A chunk's write
/// waits mostly on its `fsync`s, and the disk serves several at a time:
/// on this project's test VM one writer stored 620–790 MiB/s, two
/// 940–1,010 and four 1,110–1,130 (docs/performance.md).
const UPLOAD_WRITERS: usize = 4;

/// What an upload's stages end with: the chunks they stored (for removal
/// if the upload fails), and whether every chunk was checked and stored.
type Stored = (Vec<[u8; 32]>, Result<(), VaultError>);

/// The stages behind an upload's receiving task. One thread checks each
/// chunk against its manifest entry (SHA-256) while [`UPLOAD_WRITERS`]
/// others make the previous ones durable, and the socket is read
/// meanwhile; done in turn on
/// the receiving task, the three added up and blocked the async runtime
/// for every `fsync`.
struct Storer {
    chunks: tokio::sync::mpsc::Sender<Received>,
    done: tokio::task::JoinHandle<Stored>,
}

impl Storer {
    fn start(store: DirChunkStore) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Received>(UPLOAD_QUEUE);
        let done = tokio::task::spawn_blocking(move || {
            std::thread::scope(|s| {
                let mut to_disk = Vec::with_capacity(UPLOAD_WRITERS);
                let mut writers = Vec::with_capacity(UPLOAD_WRITERS);
                for _ in 0..UPLOAD_WRITERS {
                    let (tx, checked) = std::sync::mpsc::sync_channel::<([u8; 32], Vec<u8>)>(1);
                    let store = store.clone();
                    to_disk.push(tx);
                    writers.push(s.spawn(move || {
                        // The chunks this writer stored (not those already
                        // held), for removal if the upload fails.
                        let mut stored = Vec::new();
                        for (hash, bytes) in checked {
                            let put = match store.has(&hash) {
                                Ok(true) => Ok(false),
                                Ok(false) => store.put_verified(&hash, &bytes).map(|()| true),
                                Err(e) => Err(e),
                            };
                            match put {
                                Ok(true) => stored.push(hash),
                                Ok(false) => {}
                                Err(e) => return (stored, Err(VaultError::from(e))),
                            }
                        }
                        (stored, Ok(()))
                    }));
                }
                let mut check = Ok(());
                let mut next = 0usize;
                while let Some((i, c, bytes)) = rx.blocking_recv() {
                    if !veil_vault::verify_chunk(&c, &bytes) {
                        check = Err(VaultError::Mismatch(format!(
                            "chunk {i} does not match the manifest (wrong content address)"
                        )));
                        break;
                    }
                    if to_disk[next % UPLOAD_WRITERS]
                        .send((c.hash, bytes))
                        .is_err()
                    {
                        break;
                    }
                    next += 1;
                }
                drop((rx, to_disk));
                let mut stored = Vec::new();
                let mut written = Ok(());
                for w in writers {
                    let (s, r) = w.join().unwrap_or_else(|_| {
                        (
                            Vec::new(),
                            Err(VaultError::Storage("a chunk writer panicked".into())),
                        )
                    });
                    stored.extend(s);
                    written = written.and(r);
                }
                (stored, check.and(written))
            })
        });
        Self { chunks: tx, done }
    }
}

/// An upload in progress: fed the vault stream piece by piece.
pub struct Upload {
    put: Put,
    tx: Vec<u8>,
    header: Vec<u8>,
    manifest: Option<Manifest>,
    chunk: Vec<u8>,
    next: usize,
    storer: Option<Storer>,
    stored: Vec<[u8; 32]>,
    manifest_written: bool,
}

impl Upload {
    /// Takes the next bytes of the stream.
    pub async fn feed(&mut self, node: &Node, mut data: &[u8]) -> Result<(), VaultError> {
        while !data.is_empty() {
            let Some(m) = &self.manifest else {
                let want = if self.header.len() < 4 {
                    4 - self.header.len()
                } else {
                    let len = u32::from_be_bytes(
                        self.header[..4]
                            .try_into()
                            .map_err(|_| VaultError::Mismatch("manifest length".into()))?,
                    );
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    if len > MAX_MANIFEST {
                        return Err(VaultError::Mismatch("manifest too large".into()));
                    }
                    if len == 0 {
                        return Err(VaultError::Mismatch("an empty manifest".into()));
                    }
                    4 + len - self.header.len()
                };
                let take = want.min(data.len());
                self.header.extend_from_slice(&data[..take]);
                data = &data[take..];
                if self.header.len() > 4 && take == want {
                    self.manifest = Some(self.check_manifest()?);
                    self.storer = Some(Storer::start(node.vault.chunks.clone()));
                }
                continue;
            };
            let Some(c) = m.chunks.get(self.next).copied() else {
                return Err(VaultError::Mismatch(
                    "more bytes than the manifest names".into(),
                ));
            };
            let len = usize::try_from(c.len).unwrap_or(usize::MAX);
            if self.chunk.capacity() < len {
                self.chunk.reserve_exact(len - self.chunk.len());
            }
            let take = (len - self.chunk.len()).min(data.len());
            self.chunk.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.chunk.len() == len {
                let chunk = std::mem::take(&mut self.chunk);
                let sent = match &self.storer {
                    Some(s) => s.chunks.send((self.next, c, chunk)).await.is_ok(),
                    None => false,
                };
                if !sent {
                    // The stages stopped: their error says why.
                    self.settle().await?;
                    return Err(VaultError::Storage("the chunk store stopped".into()));
                }
                self.next += 1;
            }
        }
        Ok(())
    }

    /// Waits for the stages to store what they were given; what they
    /// stored is recorded for [`Upload::abort`].
    async fn settle(&mut self) -> Result<(), VaultError> {
        let Some(Storer { chunks, done }) = self.storer.take() else {
            return Ok(());
        };
        // No more chunks: the stages finish what they hold and stop.
        drop(chunks);
        let (stored, result) = done.await.unwrap_or_else(|_| {
            (
                Vec::new(),
                Err(VaultError::Storage("the chunk store task failed".into())),
            )
        });
        self.stored.extend(stored);
        result
    }

    fn check_manifest(&self) -> Result<Manifest, VaultError> {
        let m = Manifest::decode(&self.header[4..])
            .map_err(|e| VaultError::Mismatch(format!("manifest: {e}")))?;
        m.check()
            .map_err(|e| VaultError::Mismatch(format!("manifest: {e}")))?;
        if m.address() != self.put.address {
            return Err(VaultError::Mismatch(
                "the manifest does not hash to the put's content address".into(),
            ));
        }
        if m.ciphertext_len() != self.put.size
            || u32::try_from(m.chunks.len()).ok() != Some(self.put.chunks)
        {
            return Err(VaultError::Mismatch(
                "the manifest's size or chunk count differs from the put's".into(),
            ));
        }
        Ok(m)
    }

    /// Checks the stream was complete and every chunk is durable, stores
    /// the manifest and submits the put record. On any failure, what the
    /// upload stored is removed.
    pub async fn finish(mut self, node: &Node) -> Result<TxHash, VaultError> {
        let result = self.complete(node).await;
        if result.is_err() {
            self.abort(node).await;
        }
        result
    }

    async fn complete(&mut self, node: &Node) -> Result<TxHash, VaultError> {
        let Some(m) = &self.manifest else {
            return Err(VaultError::Mismatch(
                "the stream ended before the manifest".into(),
            ));
        };
        if self.next != m.chunks.len() || !self.chunk.is_empty() {
            return Err(VaultError::Mismatch(format!(
                "truncated: {} of {} chunks arrived",
                self.next,
                m.chunks.len()
            )));
        }
        self.settle().await?;
        let Some(m) = &self.manifest else {
            return Err(VaultError::Mismatch(
                "the stream ended before the manifest".into(),
            ));
        };
        if node.vault.manifest(&m.address()).is_none() {
            node.vault.put_manifest(m)?;
            self.manifest_written = true;
        }
        Ok(node.submit(&self.tx).await?)
    }

    /// Stops the stages and removes what this upload stored.
    pub async fn abort(&mut self, node: &Node) {
        if let Err(e) = self.settle().await {
            tracing::debug!(error = %e, "an aborted upload's chunk store");
        }
        for h in self.stored.drain(..) {
            if let Err(e) = node.vault.chunks.delete(&h) {
                tracing::warn!(error = %e, "removing an aborted upload's chunk");
            }
        }
        if let (Some(m), true) = (&self.manifest, self.manifest_written) {
            let _ = std::fs::remove_file(node.vault.manifest_path(&m.address()));
        }
    }
}

/// An authorised opening: what to stream.
pub struct Opening {
    /// The record's hash (in the trail).
    pub record: TxHash,
    /// The version's manifest.
    pub manifest: Manifest,
}

fn decode_vault(bytes: &[u8]) -> Result<VaultTx, VaultError> {
    match Transaction::decode(bytes) {
        Ok(Transaction::Vault(v)) => Ok(v),
        Ok(_) => Err(VaultError::BadRequest("not a vault record".into())),
        Err(e) => Err(VaultError::BadRequest(format!(
            "malformed vault record: {e}"
        ))),
    }
}

impl Node {
    /// The vault's chunk and manifest store.
    pub fn vault(&self) -> &VaultStore {
        &self.vault
    }

    /// Starts an upload for the signed put record `tx`: the record must be
    /// valid now (owner, version, wraps, regulator key) and fit the node's
    /// size limit and the owner's quota.
    pub fn vault_begin_upload(&self, tx: &[u8]) -> Result<Upload, VaultError> {
        let v = decode_vault(tx)?;
        let VaultOp::Put(put) = &v.op else {
            return Err(VaultError::BadRequest(
                "an upload carries a put record".into(),
            ));
        };
        let limits = self.config.vault;
        if put.size > limits.max_document_bytes {
            return Err(VaultError::TooLarge {
                size: put.size,
                max: limits.max_document_bytes,
            });
        }
        v.check_stateless().map_err(VaultError::Refused)?;
        v.check_stateful(&*self.ledger)
            .map_err(VaultError::Refused)?;
        let used = self
            .ledger
            .vault_usage(&v.actor)
            .map_err(|e| VaultError::Storage(e.to_string()))?;
        if used.saturating_add(put.size) > limits.quota_bytes {
            return Err(VaultError::Quota {
                used,
                size: put.size,
                quota: limits.quota_bytes,
            });
        }
        Ok(Upload {
            put: (**put).clone(),
            tx: tx.to_vec(),
            header: Vec::new(),
            manifest: None,
            chunk: Vec::new(),
            next: 0,
            storer: None,
            stored: Vec::new(),
            manifest_written: false,
        })
    }

    /// Authorises an opening: the signed open record `tx` must be valid
    /// and unexpired; it is submitted (if new) and the opening goes ahead
    /// only once the record is committed, so the trail always has it.
    pub async fn vault_open(&self, tx: &[u8]) -> Result<Opening, VaultError> {
        let v = decode_vault(tx)?;
        let VaultOp::Open {
            doc,
            version,
            expires_ms,
            ..
        } = &v.op
        else {
            return Err(VaultError::BadRequest(
                "a download carries an open record".into(),
            ));
        };
        if *expires_ms < self.now_ms() {
            return Err(VaultError::Expired);
        }
        let hash = Transaction::hash_of(tx);
        let known = self
            .tx_status(&hash)
            .map_err(|e| VaultError::Storage(e.to_string()))?;
        if matches!(known, TxState::Unknown) {
            v.check_stateless().map_err(VaultError::Refused)?;
            v.check_stateful(&*self.ledger)
                .map_err(VaultError::Refused)?;
            match self.submit(tx).await {
                Ok(_) | Err(SubmitError::Duplicate(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.wait_committed(&hash).await?;
        // Committed: authorised when the block was made. Still refuse a
        // document purged or a party revoked since.
        let d = rec::doc(&*self.ledger, doc)
            .map_err(|e| VaultError::Refused(e.into()))?
            .ok_or(VaultError::Refused(VaultTxError::UnknownDocument.into()))?;
        if d.purged {
            return Err(VaultError::Refused(VaultTxError::Purged.into()));
        }
        let ver = rec::version(&*self.ledger, doc, *version)
            .map_err(|e| VaultError::Refused(e.into()))?
            .ok_or(VaultError::Refused(VaultTxError::UnknownVersion.into()))?;
        let by_capability = matches!(
            v.op,
            VaultOp::Open {
                capability: Some(_),
                ..
            }
        );
        let allowed = if by_capability {
            !veil_tx::vault::revoked(&d, &ver, &v.actor)
        } else {
            veil_tx::vault::may_open(&*self.ledger, &d, &ver, &v.actor)
        };
        if !allowed {
            return Err(VaultError::Refused(VaultTxError::Forbidden.into()));
        }
        let manifest = self
            .vault
            .manifest(&ver.address)
            .ok_or_else(|| VaultError::Missing("manifest".into()))?;
        if let Some(i) = self.vault.missing(&manifest)?.first() {
            return Err(VaultError::Missing(i.to_string()));
        }
        Ok(Opening {
            record: hash,
            manifest,
        })
    }

    async fn wait_committed(&self, hash: &TxHash) -> Result<(), VaultError> {
        let deadline = Instant::now() + self.config.vault.open_wait;
        loop {
            match self
                .tx_status(hash)
                .map_err(|e| VaultError::Storage(e.to_string()))?
            {
                TxState::Committed(..) => return Ok(()),
                TxState::Unknown => {
                    return Err(VaultError::Submit(SubmitError::Unavailable(
                        "the open record was dropped before a block took it".into(),
                    )))
                }
                TxState::Pending => {}
            }
            if Instant::now() > deadline {
                return Err(VaultError::Submit(SubmitError::Busy));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// After a block: delete the chunks of every document it purged.
    pub(crate) fn vault_after_commit(&self, txs: &[Transaction]) {
        // A governance record may have passed a committee purge.
        if txs.iter().any(|t| matches!(t, Transaction::Governance(_))) {
            if let Err(e) = self.vault_collect_purged() {
                tracing::error!(error = %e, "deleting purged documents' chunks");
            }
        }
        for tx in txs {
            let Transaction::Vault(v) = tx else { continue };
            match &v.op {
                VaultOp::Purge { doc } => {
                    if let Err(e) = self.vault_purge_local(doc) {
                        tracing::error!(error = %e, doc = %hex::encode(doc), "purging a document's chunks");
                    }
                }
                // Content this node may not hold yet: replicate now.
                VaultOp::Put(p) if self.vault.manifest(&p.address).is_none() => {
                    self.vault.changed.notify_one();
                }
                _ => {}
            }
        }
    }

    /// What this node lacks of the live versions: per version, its
    /// document, content address, the manifest if held, and the indices
    /// of the chunks it lacks (all of them while the manifest is missing).
    pub fn vault_needs(&self) -> Result<Vec<Need>, VaultError> {
        let versions = self
            .ledger
            .vault_versions(usize::MAX)
            .map_err(|e| VaultError::Storage(e.to_string()))?;
        let mut out = Vec::new();
        let mut missing = 0u64;
        for (doc, version, v) in versions {
            let manifest = self.vault.manifest(&v.address);
            let lacking = match &manifest {
                Some(m) => self.vault.missing(m)?,
                None => Vec::new(),
            };
            if manifest.is_none() || !lacking.is_empty() {
                missing = missing.saturating_add(match &manifest {
                    Some(_) => u64::try_from(lacking.len()).unwrap_or(u64::MAX),
                    None => u64::from(v.chunks),
                });
                out.push(Need {
                    doc,
                    version,
                    address: v.address,
                    manifest,
                    lacking,
                });
            }
        }
        self.vault
            .counters
            .missing
            .store(missing, Ordering::Relaxed);
        Ok(out)
    }

    /// Answers a peer's request for a manifest (by content address) or a
    /// chunk (by hash): its bytes, or nothing if not held.
    pub fn vault_answer_manifest(&self, address: &[u8; 32]) -> Vec<u8> {
        self.vault
            .manifest(address)
            .and_then(|m| m.encode().ok())
            .unwrap_or_default()
    }

    /// See [`Node::vault_answer_manifest`].
    pub fn vault_answer_chunk(&self, hash: &[u8; 32]) -> Vec<u8> {
        self.vault
            .chunks
            .get(hash)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Whether version `version` of `doc` is still live (not purged):
    /// fetched content is stored only for live versions.
    fn vault_live(&self, doc: &[u8; 32], version: u32) -> bool {
        matches!(rec::version(&*self.ledger, doc, version), Ok(Some(_)))
    }

    /// Stores a manifest a peer sent for `need`, if it hashes to the
    /// version's content address (else counts a refusal).
    pub fn vault_store_manifest(&self, need: &Need, bytes: &[u8]) -> Result<Manifest, VaultError> {
        let m = Manifest::decode(bytes)
            .ok()
            .filter(|m| m.address() == need.address && m.check().is_ok());
        let Some(m) = m else {
            self.vault.counters.refused.fetch_add(1, Ordering::Relaxed);
            return Err(VaultError::Mismatch(
                "a peer's manifest does not match its address".into(),
            ));
        };
        if !self.vault_live(&need.doc, need.version) {
            return Err(VaultError::Refused(VaultTxError::Purged.into()));
        }
        self.vault.put_manifest(&m)?;
        self.vault
            .counters
            .fetched_manifests
            .fetch_add(1, Ordering::Relaxed);
        Ok(m)
    }

    /// Stores chunk `index` of `m` a peer sent for `need`, if it hashes to
    /// its manifest entry (else counts a refusal and stores nothing).
    pub fn vault_store_chunk(
        &self,
        need: &Need,
        m: &Manifest,
        index: usize,
        bytes: &[u8],
    ) -> Result<(), VaultError> {
        let entry = m
            .chunks
            .get(index)
            .ok_or_else(|| VaultError::Mismatch("no such chunk".into()))?;
        if !veil_vault::verify_chunk(entry, bytes) {
            self.vault.counters.refused.fetch_add(1, Ordering::Relaxed);
            return Err(VaultError::Mismatch(format!(
                "chunk {index} from a peer does not match its manifest"
            )));
        }
        if !self.vault_live(&need.doc, need.version) {
            return Err(VaultError::Refused(VaultTxError::Purged.into()));
        }
        self.vault.chunks.put_verified(&entry.hash, bytes)?;
        self.vault
            .counters
            .fetched_chunks
            .fetch_add(1, Ordering::Relaxed);
        // A purge committed meanwhile: forget what was just stored.
        if !self.vault_live(&need.doc, need.version) {
            self.vault.remove(&need.address)?;
        }
        Ok(())
    }

    /// Re-hashes every chunk and manifest held and removes the corrupt
    /// ones (the next repair pass fetches them again); how many.
    pub fn vault_scrub(&self) -> Result<u64, VaultError> {
        let report = self.vault.chunks.scrub()?;
        let mut removed = u64::try_from(report.removed.len()).unwrap_or(u64::MAX);
        std::fs::create_dir_all(&self.vault.manifests)?;
        for entry in std::fs::read_dir(&self.vault.manifests)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some(address) = veil_codec::hex32(name) else {
                continue;
            };
            if self.vault.manifest(&address).is_none() {
                std::fs::remove_file(&path)?;
                removed = removed.saturating_add(1);
            }
        }
        self.vault
            .counters
            .scrub_removed
            .fetch_add(removed, Ordering::Relaxed);
        if removed > 0 {
            tracing::warn!(removed, "vault scrub removed corrupt chunks or manifests");
            self.vault.changed.notify_one();
        }
        Ok(removed)
    }

    /// Deletes the content of every purged document not yet deleted here
    /// (a committee's purge passes at the end of a block, with no vault
    /// record of its own; repair passes call this too); how many.
    pub fn vault_collect_purged(&self) -> Result<usize, VaultError> {
        let mut purged = self
            .ledger
            .vault_purged_docs()
            .map_err(|e| VaultError::Storage(e.to_string()))?;
        purged.retain(|doc| !self.vault_purged_done().contains(doc));
        for doc in &purged {
            self.vault_purge_local(doc)?;
        }
        Ok(purged.len())
    }

    fn vault_purged_done(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<[u8; 32]>> {
        self.vault
            .purged_done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Deletes every chunk and manifest of `doc` this node holds (its
    /// versions' addresses come from its put records in the trail), and
    /// remembers it, so repair passes do not do it again.
    fn vault_purge_local(&self, doc: &[u8; 32]) -> Result<(), VaultError> {
        let log = self
            .ledger
            .vault_log(doc, usize::MAX)
            .map_err(|e| VaultError::Storage(e.to_string()))?;
        for (_, _, hash) in log {
            if let Some((
                Transaction::Vault(VaultTx {
                    op: VaultOp::Put(p),
                    ..
                }),
                _,
            )) = self
                .ledger
                .tx(&hash)
                .map_err(|e| VaultError::Storage(e.to_string()))?
            {
                self.vault.remove(&p.address)?;
            }
        }
        self.vault_purged_done().insert(*doc);
        Ok(())
    }
}
