//! Where a node keeps the evidence vault's ciphertext chunks, by content
//! address (`SHA-256` of the chunk; `veil_vault`): two stores with one
//! interface, so the choice between them is measured rather than guessed
//! (`cargo bench --bench vault`, docs/performance.md).
//!
//! - [`DirChunkStore`]: one file per chunk under `root/ab/abcdef…`, written
//!   to a temporary file, fsynced and renamed, so a crash leaves either
//!   the whole chunk or none.
//! - [`RocksChunkStore`]: a RocksDB of its own (not the ledger's, whose
//!   column families and compactions it would disturb) with BlobDB: values
//!   of 4 KiB and more live in blob files, out of the LSM tree, so
//!   compactions do not rewrite megabytes of ciphertext. Writes are synced.
//!
//! Both check every chunk against its address on the way in, and
//! [`ChunkStore::scrub`] checks every stored chunk again (a disk that
//! rotted, a file someone edited), so a node knows what to fetch from its
//! peers.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Why a chunk store refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ChunkError {
    /// The bytes do not hash to the address they were offered under.
    #[error("the chunk does not match its address {0}")]
    Mismatch(String),
    /// The chunk is larger than a chunk can be.
    #[error("a chunk of {0} bytes is over the limit")]
    TooLarge(usize),
    /// The file system failed.
    #[error("chunk store i/o: {0}")]
    Io(#[from] std::io::Error),
    /// RocksDB failed.
    #[error("chunk store: {0}")]
    Rocks(#[from] rocksdb::Error),
}

/// The largest chunk: 1 MiB of plaintext and its tag.
pub const MAX_CHUNK: usize = (1 << 20) + 16;

/// What a scrub found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScrubReport {
    /// Chunks read and found intact.
    pub intact: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Chunks whose bytes no longer match their address; removed, so that
    /// they are fetched again.
    pub removed: Vec<[u8; 32]>,
}

/// A content-addressed store of chunks.
pub trait ChunkStore: Send + Sync {
    /// Stores `bytes` under `hash`, if they hash to it (idempotent).
    fn put(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), ChunkError>;
    /// The chunk under `hash`, if held.
    fn get(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, ChunkError>;
    /// Whether the chunk is held.
    fn has(&self, hash: &[u8; 32]) -> Result<bool, ChunkError>;
    /// Forgets the chunk (a purge).
    fn delete(&self, hash: &[u8; 32]) -> Result<(), ChunkError>;
    /// Re-hashes every stored chunk and removes those that no longer match.
    fn scrub(&self) -> Result<ScrubReport, ChunkError>;
}

fn check(hash: &[u8; 32], bytes: &[u8]) -> Result<(), ChunkError> {
    if bytes.len() > MAX_CHUNK {
        return Err(ChunkError::TooLarge(bytes.len()));
    }
    if <[u8; 32]>::from(Sha256::digest(bytes)) != *hash {
        return Err(ChunkError::Mismatch(hex::encode(hash)));
    }
    Ok(())
}

fn intact(hash: &[u8; 32], bytes: &[u8]) -> bool {
    <[u8; 32]>::from(Sha256::digest(bytes)) == *hash
}

/// Chunks as files in a directory tree.
#[derive(Clone)]
pub struct DirChunkStore {
    root: PathBuf,
}

impl DirChunkStore {
    /// A store under `root` (created if missing).
    pub fn open(root: &Path) -> Result<Self, ChunkError> {
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn path(&self, hash: &[u8; 32]) -> PathBuf {
        let h = hex::encode(hash);
        self.root.join(&h[..2]).join(h)
    }
}

impl DirChunkStore {
    /// [`ChunkStore::put`] of bytes the caller has already checked against
    /// `hash` (a node checks each uploaded or fetched chunk against its
    /// manifest entry once, not twice).
    pub fn put_verified(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), ChunkError> {
        if bytes.len() > MAX_CHUNK {
            return Err(ChunkError::TooLarge(bytes.len()));
        }
        let path = self.path(hash);
        if path.exists() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(temp_name(hash));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    }
}

/// Temporary files older than this are an interrupted write's and go at
/// the next scrub.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(3600);

fn temp_name(hash: &[u8; 32]) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        ".{}.{}-{n}.tmp",
        hex::encode(&hash[..8]),
        std::process::id()
    )
}

impl ChunkStore for DirChunkStore {
    fn put(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), ChunkError> {
        check(hash, bytes)?;
        self.put_verified(hash, bytes)
    }

    fn get(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, ChunkError> {
        match std::fs::read(self.path(hash)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn has(&self, hash: &[u8; 32]) -> Result<bool, ChunkError> {
        Ok(self.path(hash).exists())
    }

    fn delete(&self, hash: &[u8; 32]) -> Result<(), ChunkError> {
        match std::fs::remove_file(self.path(hash)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn scrub(&self) -> Result<ScrubReport, ChunkError> {
        let mut report = ScrubReport::default();
        // A store whose directory was removed (a replaced disk) holds
        // nothing; it is created again.
        std::fs::create_dir_all(&self.root)?;
        for dir in std::fs::read_dir(&self.root)? {
            let dir = dir?.path();
            if !dir.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&dir)? {
                let path = f?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let Some(hash) = veil_codec::hex32(name) else {
                    // A temporary file an interrupted write left behind
                    // (it holds ciphertext nobody references): removed
                    // once old enough not to be in use.
                    let stale = name.starts_with('.')
                        && name.ends_with(".tmp")
                        && std::fs::metadata(&path)
                            .and_then(|m| m.modified())
                            .ok()
                            .and_then(|t| t.elapsed().ok())
                            .is_some_and(|age| age > STALE_TEMP);
                    if stale {
                        std::fs::remove_file(&path)?;
                    }
                    continue;
                };
                let bytes = std::fs::read(&path)?;
                report.bytes += u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                if intact(&hash, &bytes) {
                    report.intact += 1;
                } else {
                    std::fs::remove_file(&path)?;
                    report.removed.push(hash);
                }
            }
        }
        Ok(report)
    }
}

/// Chunks in a RocksDB of their own, values in blob files.
pub struct RocksChunkStore {
    db: rocksdb::DB,
}

impl RocksChunkStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, ChunkError> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::None);
        opts.set_enable_blob_files(true);
        opts.set_min_blob_size(4096);
        opts.set_blob_compression_type(rocksdb::DBCompressionType::None);
        opts.set_enable_blob_gc(true);
        Ok(Self {
            db: rocksdb::DB::open(&opts, path)?,
        })
    }

    fn synced() -> rocksdb::WriteOptions {
        let mut w = rocksdb::WriteOptions::default();
        w.set_sync(true);
        w
    }
}

impl ChunkStore for RocksChunkStore {
    fn put(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), ChunkError> {
        check(hash, bytes)?;
        if self.has(hash)? {
            return Ok(());
        }
        self.db.put_opt(hash, bytes, &Self::synced())?;
        Ok(())
    }

    fn get(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, ChunkError> {
        Ok(self.db.get(hash)?)
    }

    fn has(&self, hash: &[u8; 32]) -> Result<bool, ChunkError> {
        Ok(self.db.get_pinned(hash)?.is_some())
    }

    fn delete(&self, hash: &[u8; 32]) -> Result<(), ChunkError> {
        self.db.delete_opt(hash, &Self::synced())?;
        Ok(())
    }

    fn scrub(&self) -> Result<ScrubReport, ChunkError> {
        let mut report = ScrubReport::default();
        let mut bad = Vec::new();
        for item in self.db.iterator(rocksdb::IteratorMode::Start) {
            let (k, v) = item?;
            let Ok(hash) = <[u8; 32]>::try_from(&k[..]) else {
                continue;
            };
            report.bytes += u64::try_from(v.len()).unwrap_or(u64::MAX);
            if intact(&hash, &v) {
                report.intact += 1;
            } else {
                bad.push(hash);
            }
        }
        for h in &bad {
            self.delete(h)?;
        }
        report.removed = bad;
        Ok(report)
    }
}

#[cfg(test)]
impl RocksChunkStore {
    /// Writes bytes under a hash they do not match (what disk rot does).
    fn put_unchecked(&self, hash: &[u8; 32], bytes: &[u8]) {
        self.db.put(hash, bytes).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(n: u8) -> ([u8; 32], Vec<u8>) {
        let bytes = vec![n; 100_000];
        (Sha256::digest(&bytes).into(), bytes)
    }

    fn exercise(store: &dyn ChunkStore) {
        let (h1, b1) = chunk(1);
        let (h2, b2) = chunk(2);
        assert!(!store.has(&h1).unwrap());
        assert_eq!(store.get(&h1).unwrap(), None);
        store.put(&h1, &b1).unwrap();
        store.put(&h1, &b1).unwrap(); // idempotent
        assert!(matches!(store.put(&h2, &b1), Err(ChunkError::Mismatch(_))));
        assert!(!store.has(&h2).unwrap(), "a refused chunk is not stored");
        assert!(matches!(
            store.put(&h2, &vec![0; MAX_CHUNK + 1]),
            Err(ChunkError::TooLarge(_))
        ));
        store.put(&h2, &b2).unwrap();
        assert_eq!(store.get(&h1).unwrap().as_deref(), Some(&b1[..]));
        let r = store.scrub().unwrap();
        assert_eq!((r.intact, r.removed.len()), (2, 0));
        store.delete(&h2).unwrap();
        store.delete(&h2).unwrap(); // idempotent
        assert!(!store.has(&h2).unwrap());
    }

    #[test]
    fn directory_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirChunkStore::open(dir.path()).unwrap();
        exercise(&store);
        // Rot: a stored chunk's file is altered; the scrub removes it.
        let (h1, _) = chunk(1);
        let path = store.path(&h1);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[7] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let r = store.scrub().unwrap();
        assert_eq!(r.removed, vec![h1]);
        assert!(!store.has(&h1).unwrap());
    }

    #[test]
    fn stale_temporary_files_go_at_the_scrub() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirChunkStore::open(dir.path()).unwrap();
        let (h1, b1) = chunk(1);
        store.put(&h1, &b1).unwrap();
        // Two writes interrupted before their rename: one an hour and
        // more ago, one just now (perhaps still in progress).
        let sub = store.path(&h1).parent().unwrap().to_path_buf();
        let (old, fresh) = (sub.join(temp_name(&h1)), sub.join(temp_name(&h1)));
        assert_ne!(old, fresh, "temporary names are unique");
        for p in [&old, &fresh] {
            std::fs::write(p, &b1).unwrap();
        }
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - 2 * STALE_TEMP)
            .unwrap();
        let r = store.scrub().unwrap();
        assert_eq!((r.intact, r.removed.len()), (1, 0));
        assert!(!old.exists() && fresh.exists());
    }

    #[test]
    fn rocksdb_blob_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksChunkStore::open(dir.path()).unwrap();
        exercise(&store);
        let (h1, _) = chunk(1);
        store.put_unchecked(&h1, b"rotten");
        let r = store.scrub().unwrap();
        assert_eq!(r.removed, vec![h1]);
        assert!(!store.has(&h1).unwrap());
        // Survives a reopen.
        let (h3, b3) = chunk(3);
        store.put(&h3, &b3).unwrap();
        drop(store);
        let store = RocksChunkStore::open(dir.path()).unwrap();
        assert_eq!(store.get(&h3).unwrap().as_deref(), Some(&b3[..]));
    }
}
