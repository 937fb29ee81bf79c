//! State sync from a checkpoint snapshot, for nodes far behind.
//!
//! Replaying every block since the node's tip costs as much as the
//! network's whole history of verification. A node more than
//! `state_sync_after` blocks behind its best peer instead copies that
//! peer's database as of one decided block and checks it before use:
//!
//! ```text
//! request  = 0x03                                        (manifest)
//!          | 0x04 ‖ u64 height ‖ u16 file ‖ u64 offset   (chunk)
//! manifest = u64 height ‖ u16 n ‖ n × (u16 len ‖ name ‖ u64 size)
//! chunk    = u32 len ‖ bytes                  (len ≤ 1 MiB; 0 = gone)
//! ```
//!
//! **Serving.** The peer makes a RocksDB checkpoint (hard links, no copy)
//! of its whole database under `DATA/snapshots/<height>/` on the first
//! request and whenever its newest one is [`REFRESH`] blocks old; it keeps
//! the newest two.
//!
//! **Checking** (all against what the receiver already trusts — its own
//! chain and validator set — never against the sender):
//!
//! 1. the snapshot's header at the receiver's tip height hashes to the
//!    receiver's tip (same chain, same history up to there), and every
//!    later header links to its parent up to the snapshot's tip `H`;
//! 2. every commit certificate from the receiver's tip to `H` is for
//!    exactly its header and carries precommits of more than 2/3 of the
//!    power of the validator set in force at its height (the check block
//!    sync makes);
//! 3. that set is the receiver's own for the first height; for each later
//!    height `h` it is the `validator_set` governance record at version
//!    `h − 1`, proven by a Jellyfish Merkle proof against header `h − 1`'s
//!    state root (certified by step 2 one height earlier). So a snapshot
//!    is accepted across any number of governance changes of the set, and
//!    only along a history whose every set change is certified — a
//!    removed validator's keys cannot sign an alternative history;
//! 4. **state root**: the live leaves of the snapshot's state tree (latest
//!    value of each key at version `≤ H`) are inserted into an empty
//!    Jellyfish Merkle tree and the resulting root must equal header
//!    `H`'s `state_root`; then every record of an authenticated column
//!    family must be exactly its leaf (`tree::key_hash(cf, key)` ↦ value),
//!    and the records must account for every leaf. So the records the node
//!    will execute against are the certified state, not only the tree;
//! 5. the one-time-key index, which is not in the tree, holds exactly one
//!    entry per certified output, from its one-time key to the output.
//!
//! Derived indexes that the tree does not cover (transaction bodies,
//! DID history, issuer tree nodes, commitment indexes) are taken from the
//! peer as they are; the API serves them, consensus does not depend on
//! them.
//!
//! **Installing.** A checked snapshot is renamed to `DATA/snapshot.ready`
//! and the node restarts itself; [`install_pending`] (run by
//! `Node::open`) copies the receiver's node-local records (nullifiers its
//! verifier consumed, its audit journal) into the snapshot, drops the
//! sender's node-local records and consensus WAL, and swaps the
//! directories (`db` → `db.old`, `snapshot.ready` → `db`, remove
//! `db.old`; each step is redone after a crash).

use std::collections::HashMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_malachitebft_core_consensus::ThresholdParams;

use super::codec;
use super::engine;
use veil_codec::{DecodeError, DecodeExt, Encode, EncodeError};
use veil_ledger::store::{Cf, MemoryStore, RocksStore, StateRead, StateWrite, WriteSet};
use veil_ledger::tree;
use veil_ledger::Ledger;
use veil_net::Network;
use veil_node::Node;
use veil_tx::governance::rules::{self as gov, GovState};

/// A snapshot is remade when the newest is this many blocks old.
pub const REFRESH: u64 = 100;
pub use veil_wire::sync::{CHUNK, MAX_FILES, MAX_NAME};

/// Records that belong to this node, not to the chain.
const NODE_LOCAL: [Cf; 2] = [Cf::Nullifiers, Cf::AuditJournal];

/// Why a snapshot was not used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The peer could not be asked or did not answer.
    #[error("peer: {0}")]
    Peer(#[source] veil_net::NetError),
    /// The peer offers nothing ahead of us.
    #[error("peer: offers height {offered} (we are at {tip})")]
    Stale {
        /// The snapshot's height.
        offered: u64,
        /// Our tip.
        tip: u64,
    },
    /// The peer stopped serving the snapshot mid-download.
    #[error("peer: snapshot went away")]
    Vanished,
    /// The peer's answer was malformed.
    #[error("malformed answer: {0}")]
    Decode(#[from] DecodeError),
    /// The snapshot failed a check (what, in words: a height, a link, a
    /// root that does not match).
    #[error("snapshot refused: {0}")]
    Refused(String),
    /// The snapshot's own records do not read.
    #[error("snapshot refused: {0}")]
    Corrupt(#[source] veil_ledger::store::StoreError),
    /// The snapshot's tip certificate does not verify.
    #[error("snapshot refused: certificate: {0}")]
    Certificate(
        #[source] Box<arc_malachitebft_core_types::CertificateError<veil_wire::context::Veil>>,
    ),
    /// Local file system.
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
    /// Our own tip's header is not in our ledger.
    #[error("storage: our tip header is missing")]
    NoTipHeader,
    /// Our own ledger.
    #[error("storage: {0}")]
    Store(#[from] veil_ledger::store::StoreError),
    /// The checking task panicked or was cancelled.
    #[error("storage: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A request to the peer does not fit its encoding.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl SnapshotError {
    /// Whether the snapshot itself was refused (a failed check, records
    /// that do not read, a certificate that does not decode or verify), as
    /// opposed to the peer or our storage failing.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Refused(_) | Self::Corrupt(_) | Self::Certificate(_) | Self::Decode(_)
        )
    }
}

fn refused(why: impl Into<String>) -> SnapshotError {
    SnapshotError::Refused(why.into())
}

pub use veil_wire::sync::Manifest;

/// The manifest request.
pub fn manifest_request() -> Result<Vec<u8>, EncodeError> {
    veil_wire::sync::Request::Manifest.encode()
}

/// A chunk request.
pub fn chunk_request(height: u64, file: u16, offset: u64) -> Result<Vec<u8>, EncodeError> {
    veil_wire::sync::Request::Chunk {
        height,
        file,
        offset,
    }
    .encode()
}

static SERVING: Mutex<()> = Mutex::new(());

fn snapshots_dir(node: &Node) -> PathBuf {
    node.data_dir().join("snapshots")
}

/// Heights of the snapshots on disk, newest last.
fn local_snapshots(dir: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    v.sort_unstable();
    v
}

fn list_files(dir: &Path) -> std::io::Result<Vec<(String, u64)>> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if let Some(name) = e.file_name().to_str() {
            if veil_wire::sync::plain_name(name) && e.file_type()?.is_file() {
                files.push((name.to_owned(), e.metadata()?.len()));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Answers a manifest request (tag already read).
pub fn answer_manifest(node: &Node) -> Result<Vec<u8>, EncodeError> {
    let _serving = SERVING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = snapshots_dir(node);
    let tip = node.ledger.tip().height;
    let mut have = local_snapshots(&dir);
    if have.last().is_none_or(|h| tip >= h + REFRESH) {
        let path = dir.join(tip.to_string());
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&path);
        match node.checkpoint(&path) {
            Ok(()) => {
                tracing::info!(height = tip, "made a state snapshot for a peer");
                have.push(tip);
            }
            Err(e) => tracing::warn!(error = %e, "could not make a state snapshot"),
        }
    }
    while have.len() > 2 {
        let old = have.remove(0);
        let _ = std::fs::remove_dir_all(dir.join(old.to_string()));
    }
    let manifest = match have.last() {
        Some(&height) => Manifest {
            height,
            files: list_files(&dir.join(height.to_string())).unwrap_or_default(),
        },
        None => Manifest {
            height: 0,
            files: Vec::new(),
        },
    };
    manifest.encode().or_else(|e| {
        tracing::error!(error = %e, "snapshot does not fit a manifest; offering none");
        Manifest {
            height: 0,
            files: Vec::new(),
        }
        .encode()
    })
}

/// Answers a chunk request.
pub fn answer_chunk(
    node: &Node,
    height: u64,
    file: u16,
    offset: u64,
) -> Result<Vec<u8>, EncodeError> {
    let file = usize::from(file);
    let dir = snapshots_dir(node).join(height.to_string());
    let bytes = list_files(&dir)
        .ok()
        .and_then(|files| files.get(file).cloned())
        .and_then(|(name, _)| {
            let mut f = std::fs::File::open(dir.join(name)).ok()?;
            f.seek(std::io::SeekFrom::Start(offset)).ok()?;
            let mut buf = Vec::with_capacity(CHUNK);
            f.take(u64::try_from(CHUNK).ok()?)
                .read_to_end(&mut buf)
                .ok()?;
            Some(buf)
        })
        .unwrap_or_default();
    veil_wire::sync::encode_chunk(&bytes)
}

/// Where a downloaded snapshot waits while it is checked.
pub fn incoming_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("snapshot.incoming")
}

/// Where a checked snapshot waits to be installed.
pub fn ready_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("snapshot.ready")
}

/// Downloads `peer`'s snapshot, checks it and leaves it ready to install;
/// returns its height. The caller restarts the node.
pub async fn fetch(node: &Arc<Node>, net: &Network, peer: &[u8; 32]) -> Result<u64, SnapshotError> {
    let ask = |req: Vec<u8>| async move {
        net.request(peer, &req, Duration::from_secs(30))
            .await
            .map_err(SnapshotError::Peer)
    };
    let manifest = Manifest::decode(&ask(manifest_request()?).await?)?;
    let tip = node.ledger.tip().height;
    if manifest.height <= tip || manifest.files.is_empty() {
        return Err(SnapshotError::Stale {
            offered: manifest.height,
            tip,
        });
    }
    let dir = incoming_dir(node.data_dir());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    for (i, (name, size)) in manifest.files.iter().enumerate() {
        let mut out = std::fs::File::create(dir.join(name))?;
        let mut offset = 0u64;
        while offset < *size {
            let file = u16::try_from(i).map_err(|_| refused("more files than a manifest holds"))?;
            let answer = ask(chunk_request(manifest.height, file, offset)?).await?;
            let bytes = veil_wire::sync::decode_chunk(&answer)?;
            if bytes.is_empty() {
                return Err(SnapshotError::Vanished);
            }
            let got = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
            if offset + got > *size {
                return Err(refused(format!("{name} is longer than announced")));
            }
            out.write_all(bytes)?;
            offset += got;
        }
        out.sync_all()?;
    }
    let check_node = Arc::clone(node);
    let check_dir = dir.clone();
    let height = tokio::task::spawn_blocking(move || check(&check_node, &check_dir)).await??;
    if height != manifest.height {
        return Err(refused(format!(
            "announced height {} but holds {height}",
            manifest.height
        )));
    }
    let ready = ready_dir(node.data_dir());
    let _ = std::fs::remove_dir_all(&ready);
    std::fs::rename(&dir, &ready)?;
    Ok(height)
}

/// Every entry of `cf`, in key order, `f` called on each.
fn for_each(
    store: &RocksStore,
    cf: Cf,
    mut f: impl FnMut(&[u8], &[u8]) -> Result<(), SnapshotError>,
) -> Result<(), SnapshotError> {
    let mut from = Vec::new();
    loop {
        let page = store.scan(cf, b"", &from, 4096)?;
        for (k, v) in &page {
            f(k, v)?;
        }
        match page.last() {
            Some((k, _)) if page.len() == 4096 => {
                from.clone_from(k);
                from.push(0);
            }
            _ => return Ok(()),
        }
    }
}

/// Checks the database in `dir` against `node`'s chain and validator set
/// (module docs, steps 1–5); returns its height.
pub fn check(node: &Node, dir: &Path) -> Result<u64, SnapshotError> {
    let store = Arc::new(RocksStore::open(dir, false)?);
    let dyn_store: Arc<dyn veil_ledger::store::Store> = store.clone();
    let snap = Ledger::open(dyn_store)?;
    let ours = node.ledger.tip();
    let top = snap.tip().height;
    if top <= ours.height {
        return Err(refused(format!("height {top} is not ahead of ours")));
    }

    // 1. Our history, then a hash chain up to its tip.
    let header = |h: u64| -> Result<veil_ledger::block::Header, SnapshotError> {
        snap.header(h)?
            .filter(|x| x.height == h)
            .ok_or_else(|| refused(format!("no header at height {h}")))
    };
    let mine = node
        .ledger
        .header(ours.height)?
        .ok_or(SnapshotError::NoTipHeader)?
        .hash();
    if header(ours.height)?.hash() != mine {
        return Err(refused("another history at our tip"));
    }
    let mut parent = mine;
    let mut last = None;
    for h in ours.height + 1..=top {
        let x = header(h)?;
        if x.parent != parent {
            return Err(refused(format!("header {h} does not link to its parent")));
        }
        parent = x.hash();
        last = Some(x);
    }
    let tip_header = last.ok_or_else(|| refused("empty"))?;
    if snap.tip().hash != parent {
        return Err(refused("tip record does not match the headers"));
    }

    // 2–3. Every certificate from our tip to its tip, each against the
    // validator set in force at its height: ours for the first; for each
    // later height `h`, the `validator_set` record at version `h − 1`,
    // proven against header `h − 1`'s state root, which the previous step
    // certified. A history whose set changes were tampered with fails a
    // proof or a certificate.
    let chain = node.ledger.chain_id()?;
    let chain = veil_wire::block::ChainId::new(&chain)?;
    let set_key = tree::key_hash(Cf::Governance, gov::KEY_VALIDATOR_SET);
    let mut set = engine::validator_set(node);
    let mut prev_root = node
        .ledger
        .header(ours.height)?
        .ok_or(SnapshotError::NoTipHeader)?
        .state_root;
    for h in ours.height + 1..=top {
        if h > ours.height + 1 {
            let (value, proof) = tree::validator_set_proof(store.as_ref(), h - 1)?;
            if !tree::verify(prev_root, set_key, value.as_deref(), &proof) {
                return Err(refused(format!(
                    "the validator set at height {} is not the certified one",
                    h - 1
                )));
            }
            let powers = value
                .as_deref()
                .map(gov::decode_powers)
                .transpose()
                .map_err(|_| refused("malformed validator set"))?
                .ok_or_else(|| refused(format!("no validator set at height {}", h - 1)))?;
            set = engine::set_of(&powers);
        }
        let x = header(h)?;
        let cert_bytes = store
            .get(Cf::Certificates, &h.to_be_bytes())?
            .ok_or_else(|| refused(format!("no commit certificate for height {h}")))?;
        let cert = codec::decode_commit(&cert_bytes)?;
        if !engine::certificate_decides(&cert, &x) {
            return Err(refused(format!("certificate {h} is for another block")));
        }
        engine::verify_commit(&chain, &cert, &set, ThresholdParams::default())
            .map_err(|e| SnapshotError::Certificate(Box::new(e)))?;
        prev_root = x.state_root;
    }
    // The set the snapshot says is next is the one its certified state holds.
    let theirs = snap.validators().map_err(SnapshotError::Corrupt)?;
    let recorded = snap
        .gov_record(gov::KEY_VALIDATOR_SET)
        .map(|v| gov::decode_powers(&v))
        .transpose()
        .map_err(|_| refused("malformed validator set"))?;
    if recorded.is_some_and(|r| r != theirs) {
        return Err(refused("another validator set"));
    }

    // 4. The state root from the leaves, and the records against the leaves.
    let mut leaves: HashMap<[u8; 32], Vec<u8>> = HashMap::new();
    let mut current: Option<([u8; 32], Option<Vec<u8>>)> = None;
    let flush = |c: Option<([u8; 32], Option<Vec<u8>>)>, leaves: &mut HashMap<_, _>| {
        if let Some((k, Some(v))) = c {
            leaves.insert(k, v);
        }
    };
    for_each(&store, Cf::JmtValues, |k, v| {
        if k.len() != 40 {
            return Err(refused("malformed tree value key"));
        }
        let mut kh = [0u8; 32];
        kh.copy_from_slice(&k[..32]);
        let mut ver = [0u8; 8];
        ver.copy_from_slice(&k[32..]);
        if u64::from_be_bytes(ver) > top {
            return Ok(());
        }
        let value = match v.split_first() {
            Some((1, rest)) => Some(rest.to_vec()),
            Some((0, [])) => None,
            _ => return Err(refused("malformed tree value")),
        };
        if current.as_ref().is_some_and(|(c, _)| *c != kh) {
            flush(current.take(), &mut leaves);
        }
        current = Some((kh, value));
        Ok(())
    })?;
    flush(current.take(), &mut leaves);
    let updates = leaves
        .iter()
        .map(|(k, v)| (jmt::KeyHash(*k), Some(v.clone())))
        .collect();
    let root = tree::update(&MemoryStore::new(), 0, updates, &mut WriteSet::new())
        .map_err(SnapshotError::Corrupt)?;
    if root != tip_header.state_root {
        return Err(refused("state root does not match the certified header"));
    }
    let mut matched = 0usize;
    for cf in tree::AUTHENTICATED {
        // Every record is a leaf, except in `meta`, where some are not.
        let partial = cf == Cf::Meta;
        for_each(&store, cf, |k, v| {
            match leaves.get(&tree::key_hash(cf, k).0) {
                Some(leaf) if leaf.as_slice() == v => matched += 1,
                None if partial => {}
                _ => {
                    return Err(refused(format!(
                        "{} record not in the state tree",
                        cf.name()
                    )))
                }
            }
            Ok(())
        })?;
    }
    if matched != leaves.len() {
        return Err(refused(format!(
            "{} state-tree leaves have no record",
            leaves.len() - matched
        )));
    }
    check_output_keys(&store)?;
    Ok(top)
}

/// The one-time-key index is not in the state tree (`tree::AUTHENTICATED`)
/// but admission and execution refuse a transaction by it, so it must be
/// exactly the one the (now certified) outputs determine: one entry per
/// output, from its one-time key to its output key, and nothing else.
fn check_output_keys(store: &RocksStore) -> Result<(), SnapshotError> {
    let mut outputs = 0usize;
    for_each(store, Cf::Outputs, |k, v| {
        let record = veil_ledger::records::OutputRecord::decode(v)
            .map_err(|_| refused("malformed output record"))?;
        match store.get(Cf::OutputKeys, record.key.as_bytes())? {
            Some(located) if located == k => {}
            _ => return Err(refused("one-time-key index does not match the outputs")),
        }
        outputs += 1;
        Ok(())
    })?;
    let mut indexed = 0usize;
    for_each(store, Cf::OutputKeys, |_, _| {
        indexed += 1;
        Ok(())
    })?;
    if indexed != outputs {
        return Err(refused(format!(
            "one-time-key index has {indexed} entries for {outputs} outputs"
        )));
    }
    Ok(())
}

/// Installs a checked snapshot waiting in `data_dir` (see the module docs);
/// returns whether one was installed. Called before the database is
/// opened.
pub fn install_pending(data_dir: &Path) -> Result<bool, SnapshotError> {
    let db = data_dir.join("db");
    let old = data_dir.join("db.old");
    let ready = ready_dir(data_dir);
    let installed = ready.exists();
    if installed {
        if db.exists() {
            // Carry our node-local records over; drop the sender's and its WAL.
            let mut set = WriteSet::new();
            {
                let theirs = RocksStore::open(&ready, true)?;
                for cf in NODE_LOCAL.into_iter().chain([Cf::ConsensusWal]) {
                    for_each(&theirs, cf, |k, _| {
                        set.delete(cf, k.to_vec());
                        Ok(())
                    })?;
                }
                let mine = RocksStore::open(&db, true)?;
                for cf in NODE_LOCAL {
                    for_each(&mine, cf, |k, v| {
                        set.put(cf, k.to_vec(), v.to_vec());
                        Ok(())
                    })?;
                }
                theirs.write_durable(set)?;
                theirs.flush()?;
            }
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(&db, &old)?;
        }
        std::fs::rename(&ready, &db)?;
    }
    let _ = std::fs::remove_dir_all(&old);
    let _ = std::fs::remove_dir_all(incoming_dir(data_dir));
    Ok(installed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use veil_codec::{Reader, Writer};

    #[test]
    fn manifest_round_trip_and_hostile_names() {
        let m = Manifest {
            height: 42,
            files: vec![("000012.sst".into(), 1 << 20), ("CURRENT".into(), 16)],
        };
        let b = m.encode().unwrap();
        assert_eq!(Manifest::decode(&b).unwrap(), m);
        for cut in 0..b.len() {
            assert!(Manifest::decode(&b[..cut]).is_err());
        }
        let mut extra = b.clone();
        extra.push(0);
        assert!(Manifest::decode(&extra).is_err());
        for bad in ["../db/CURRENT", "a/b", ".hidden", "..", "x y", ""] {
            let m = Manifest {
                height: 1,
                files: vec![(bad.into(), 1)],
            };
            // The encoder refuses an empty name; the decoder every other.
            match m.encode() {
                Ok(b) => assert!(Manifest::decode(&b).is_err(), "{bad:?} accepted"),
                Err(_) => assert!(bad.is_empty(), "{bad:?} refused by the encoder"),
            }
        }
        let mut empty_name = Writer::new();
        empty_name.u64(1);
        empty_name.u16(1);
        empty_name.u16(0);
        empty_name.u64(1);
        assert!(Manifest::decode(&empty_name.finish().unwrap()).is_err());
        let mut too_many = Writer::new();
        too_many.u64(1);
        too_many.u16(u16::MAX);
        assert!(Manifest::decode(&too_many.finish().unwrap()).is_err());
    }

    #[test]
    fn chunk_requests_are_bounded() {
        let req = chunk_request(7, 3, 1 << 40).unwrap();
        let mut r = Reader::new(&req);
        assert_eq!(r.u8("tag").unwrap(), 4);
        assert_eq!(r.u64("h").unwrap(), 7);
        assert_eq!(r.u16("f").unwrap(), 3);
        assert_eq!(r.u64("o").unwrap(), 1 << 40);
        r.finish().unwrap();
        assert_eq!(manifest_request().unwrap(), vec![3]);
    }
}
