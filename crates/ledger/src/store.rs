//! Storage behind two small traits, so execution runs the same against
//! RocksDB and against an in-memory map.
//!
//! * [`StateRead`]: point reads, reverse seeks and forward scans within a
//!   column family.
//! * [`StateWrite`]: apply a [`WriteSet`] atomically — all of it or none.
//!
//! [`RocksStore`] keeps one RocksDB column family per kind of record, with
//! the write-ahead log on, and applies a block's `WriteSet` as one
//! `WriteBatch`: after a crash the database holds every block it
//! acknowledged and never part of one. [`MemoryStore`] is a `BTreeMap` for
//! tests and replays.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::RwLock;

/// A column family: one kind of record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cf {
    /// Chain metadata: tip, genesis, counters.
    Meta,
    /// Block headers by height.
    Headers,
    /// Block bodies (transaction hashes) by height.
    Blocks,
    /// Block height by block hash.
    BlockHashes,
    /// Transactions by hash, with their location.
    Txs,
    /// Outputs by (asset, global index).
    Outputs,
    /// Output location by one-time key.
    OutputKeys,
    /// Spent key images.
    KeyImages,
    /// Asset registry.
    Assets,
    /// Regulator epoch keys by (jurisdiction, epoch, version).
    Regulators,
    /// Where each regulator key was published: key → slot.
    RegulatorKeyIndex,
    /// Regulator identities.
    RegulatorIdentities,
    /// Recorded regulator requests: requester ‖ nonce → tx ‖ height.
    AccessNonces,
    /// Access records by (height, position), for listing.
    AuditIndex,
    /// Served regulator requests not yet in a block (durable journal).
    AuditJournal,
    /// Participant directory: name → address.
    Participants,
    /// Current DID records by DID.
    Dids,
    /// Every DID version: DID ‖ version → record.
    DidHistory,
    /// Credential types by name.
    CredentialTypes,
    /// Accreditations: issuer ‖ type name → record.
    Accreditations,
    /// Issuer trees by issuer.
    IssuerTrees,
    /// Issuer tree nodes: issuer ‖ level ‖ index → node.
    TreeNodes,
    /// Issued commitments: issuer ‖ commitment → leaf index.
    IssuedCommitments,
    /// Every root an issuer's tree had: issuer ‖ root → record.
    IssuerRoots,
    /// Nullifiers this node's verifier consumed: scope ‖ nullifier → time
    /// (node-local, not consensus state).
    Nullifiers,
    /// Validators and observers (the peer allow-list): node key → power
    /// u64-be (0 = observer). Consensus state.
    Validators,
    /// Governance records: committee, parameters, proposals, nodes, the
    /// scheduled validator set (`veil_tx::governance::rules`). Consensus
    /// state.
    Governance,
    /// Evidence-vault records (`veil_tx::vault::records`). Consensus
    /// state.
    Vault,
    /// Each document's trail: doc ‖ height ‖ position → tx hash
    /// (derivable from the transactions).
    VaultLog,
    /// Commit certificates by height (decided with the block; not state).
    Certificates,
    /// Consensus write-ahead log: height ‖ sequence → entry (node-local).
    ConsensusWal,
    /// Jellyfish Merkle tree nodes.
    JmtNodes,
    /// Jellyfish Merkle tree values by (key hash, version).
    JmtValues,
    /// Tree nodes replaced by a later version, by the version that replaced
    /// them: `stale_since_be ‖ borsh(NodeKey)` → empty. What pruning reads.
    JmtStale,
    /// The validator-set record's value and proof at each tree version
    /// whose nodes were pruned: `version_be` → `borsh((value, proof))`.
    SetProofs,
}

impl Cf {
    /// Every column family.
    pub const ALL: [Cf; 35] = [
        Cf::Meta,
        Cf::Headers,
        Cf::Blocks,
        Cf::BlockHashes,
        Cf::Txs,
        Cf::Outputs,
        Cf::OutputKeys,
        Cf::KeyImages,
        Cf::Assets,
        Cf::Regulators,
        Cf::RegulatorKeyIndex,
        Cf::RegulatorIdentities,
        Cf::AccessNonces,
        Cf::AuditIndex,
        Cf::AuditJournal,
        Cf::Participants,
        Cf::Dids,
        Cf::DidHistory,
        Cf::CredentialTypes,
        Cf::Accreditations,
        Cf::IssuerTrees,
        Cf::TreeNodes,
        Cf::IssuedCommitments,
        Cf::IssuerRoots,
        Cf::Nullifiers,
        Cf::Validators,
        Cf::Governance,
        Cf::Vault,
        Cf::VaultLog,
        Cf::Certificates,
        Cf::ConsensusWal,
        Cf::JmtNodes,
        Cf::JmtValues,
        Cf::JmtStale,
        Cf::SetProofs,
    ];

    /// The column family's name on disk.
    pub fn name(self) -> &'static str {
        match self {
            Cf::Meta => "meta",
            Cf::Headers => "headers",
            Cf::Blocks => "blocks",
            Cf::BlockHashes => "block_hashes",
            Cf::Txs => "txs",
            Cf::Outputs => "outputs",
            Cf::OutputKeys => "output_keys",
            Cf::KeyImages => "key_images",
            Cf::Assets => "assets",
            Cf::Regulators => "regulators",
            Cf::RegulatorKeyIndex => "regulator_key_index",
            Cf::RegulatorIdentities => "regulator_identities",
            Cf::AccessNonces => "access_nonces",
            Cf::AuditIndex => "audit_index",
            Cf::AuditJournal => "audit_journal",
            Cf::Participants => "participants",
            Cf::Dids => "dids",
            Cf::DidHistory => "did_history",
            Cf::CredentialTypes => "credential_types",
            Cf::Accreditations => "accreditations",
            Cf::IssuerTrees => "issuer_trees",
            Cf::TreeNodes => "tree_nodes",
            Cf::IssuedCommitments => "issued_commitments",
            Cf::IssuerRoots => "issuer_roots",
            Cf::Nullifiers => "nullifiers",
            Cf::Validators => "validators",
            Cf::Governance => "governance",
            Cf::Vault => "vault",
            Cf::VaultLog => "vault_log",
            Cf::Certificates => "certificates",
            Cf::ConsensusWal => "consensus_wal",
            Cf::JmtNodes => "jmt_nodes",
            Cf::JmtValues => "jmt_values",
            Cf::JmtStale => "jmt_stale",
            Cf::SetProofs => "validator_set_proofs",
        }
    }
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB reported an error.
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// A stored record does not decode (corruption or a format bug).
    #[error("corrupt record in {cf}: {source}")]
    Corrupt {
        /// Column family.
        cf: &'static str,
        /// What is wrong.
        source: veil_codec::DecodeError,
    },
    /// A block lists a transaction the store does not hold.
    #[error("block {height} lists missing transaction {tx}")]
    MissingTx {
        /// The block.
        height: u64,
        /// The transaction.
        tx: veil_tx::TxHash,
    },
    /// The database lacks a column family this version needs.
    #[error("column family {0} is missing")]
    MissingColumnFamily(&'static str),
    /// The state tree reader failed (jmt reports `anyhow` errors).
    #[error("state tree: {0:#}")]
    Tree(#[source] anyhow::Error),
    /// A record to write does not fit its encoding.
    #[error("record cannot be encoded: {0}")]
    Encode(#[from] veil_codec::EncodeError),
    /// The data directory holds a chain written in another state format,
    /// whose state roots this build would not reproduce.
    #[error(
        "this data directory was written in state format {found}, this build writes format \
         {expected}: its state roots cannot be carried on; start a new network, or sync this \
         node afresh into an empty data directory"
    )]
    StateFormat {
        /// The format the data directory records (1: before formats were recorded).
        found: u32,
        /// The format this build writes.
        expected: u32,
    },
}

/// A key and its value.
pub type Pair = (Vec<u8>, Vec<u8>);
/// Key–value pairs.
pub type Pairs = Vec<Pair>;
type Map = BTreeMap<(Cf, Vec<u8>), Vec<u8>>;

/// Read access.
pub trait StateRead: Send + Sync {
    /// The value at `key`.
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// The entry with the greatest key `≤ key` among keys starting with
    /// `prefix`.
    fn seek_prev(&self, cf: Cf, prefix: &[u8], key: &[u8]) -> Result<Option<Pair>, StoreError>;
    /// Up to `limit` entries with key `≥ from` among keys starting with
    /// `prefix`, in key order.
    fn scan(&self, cf: Cf, prefix: &[u8], from: &[u8], limit: usize) -> Result<Pairs, StoreError>;
}

/// Atomic write access.
pub trait StateWrite {
    /// Applies every put and delete of `set`, or none of them.
    fn write(&self, set: WriteSet) -> Result<(), StoreError>;
    /// As [`StateWrite::write`], durable (fsynced) before it returns,
    /// whatever the store's default.
    fn write_durable(&self, set: WriteSet) -> Result<(), StoreError> {
        self.write(set)
    }
}

/// A store: both.
pub trait Store: StateRead + StateWrite {}
impl<T: StateRead + StateWrite> Store for T {}

/// An ordered set of puts and deletes (ordered, so building one is
/// deterministic).
#[derive(Default, Clone, Debug)]
pub struct WriteSet {
    ops: BTreeMap<(Cf, Vec<u8>), Option<Vec<u8>>>,
}

impl WriteSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, cf: Cf, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.insert((cf, key.into()), Some(value.into()));
    }

    /// Deletes `key`.
    pub fn delete(&mut self, cf: Cf, key: impl Into<Vec<u8>>) {
        self.ops.insert((cf, key.into()), None);
    }

    /// The pending operation on `key`: `Some(None)` for a delete.
    pub fn get(&self, cf: Cf, key: &[u8]) -> Option<Option<&[u8]>> {
        self.ops.get(&(cf, key.to_vec())).map(|v| v.as_deref())
    }

    /// Operations in key order.
    pub fn iter(&self) -> impl Iterator<Item = (Cf, &[u8], Option<&[u8]>)> {
        self.ops
            .iter()
            .map(|((cf, k), v)| (*cf, k.as_slice(), v.as_deref()))
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Adds every operation of `other` (later operations win).
    pub fn extend(&mut self, other: WriteSet) {
        self.ops.extend(other.ops);
    }
}

/// Reads through pending writes to a base store.
pub struct Overlay<'a, S: StateRead + ?Sized> {
    base: &'a S,
    /// The pending writes.
    pub writes: WriteSet,
}

impl<'a, S: StateRead + ?Sized> Overlay<'a, S> {
    /// An overlay with no writes yet.
    pub fn new(base: &'a S) -> Self {
        Self {
            base,
            writes: WriteSet::new(),
        }
    }

    /// The value at `key`, pending writes first.
    pub fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.writes.get(cf, key) {
            Some(v) => Ok(v.map(<[u8]>::to_vec)),
            None => self.base.get(cf, key),
        }
    }
}

/// An in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    map: RwLock<Map>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Map> {
        self.map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl StateRead for MemoryStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().get(&(cf, key.to_vec())).cloned())
    }

    fn seek_prev(&self, cf: Cf, prefix: &[u8], key: &[u8]) -> Result<Option<Pair>, StoreError> {
        let map = self.read();
        Ok(map
            .range((cf, Vec::new())..=(cf, key.to_vec()))
            .next_back()
            .filter(|((c, k), _)| *c == cf && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone())))
    }

    fn scan(&self, cf: Cf, prefix: &[u8], from: &[u8], limit: usize) -> Result<Pairs, StoreError> {
        let map = self.read();
        Ok(map
            .range((cf, from.to_vec())..)
            .take_while(|((c, k), _)| *c == cf && k.starts_with(prefix))
            .take(limit)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }
}

impl StateWrite for MemoryStore {
    fn write(&self, set: WriteSet) -> Result<(), StoreError> {
        let mut map = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((cf, k), v) in set.ops {
            match v {
                Some(v) => {
                    map.insert((cf, k), v);
                }
                None => {
                    map.remove(&(cf, k));
                }
            }
        }
        Ok(())
    }
}

/// RocksDB, one column family per [`Cf`].
pub struct RocksStore {
    db: rocksdb::DB,
    sync: bool,
}

impl RocksStore {
    /// Opens (creating if needed) the database at `path`. With `sync`, every
    /// write set is fsynced before it is acknowledged (durable across power
    /// loss); without, it survives a process crash (the WAL is in the page
    /// cache) but not a machine crash.
    pub fn open(path: &Path, sync: bool) -> Result<Self, StoreError> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_compression_type(rocksdb::DBCompressionType::None);
        opts.set_max_open_files(512);
        opts.increase_parallelism(2);
        // Point lookups dominate (key images, outputs, one-time keys):
        // bloom filters skip SST files that cannot hold a key, and one
        // shared block cache keeps hot index and data blocks in memory.
        let cache = rocksdb::Cache::new_lru_cache(256 * 1024 * 1024);
        let cfs = Cf::ALL.iter().map(|cf| {
            let mut table = rocksdb::BlockBasedOptions::default();
            table.set_bloom_filter(10.0, false);
            table.set_block_cache(&cache);
            table.set_cache_index_and_filter_blocks(true);
            table.set_pin_l0_filter_and_index_blocks_in_cache(true);
            let mut o = rocksdb::Options::default();
            o.set_compression_type(rocksdb::DBCompressionType::None);
            o.set_block_based_table_factory(&table);
            rocksdb::ColumnFamilyDescriptor::new(cf.name(), o)
        });
        let db = rocksdb::DB::open_cf_descriptors(&opts, path, cfs)?;
        Ok(Self { db, sync })
    }

    fn cf(&self, cf: Cf) -> Result<&rocksdb::ColumnFamily, StoreError> {
        self.db
            .cf_handle(cf.name())
            .ok_or(StoreError::MissingColumnFamily(cf.name()))
    }

    /// Writes a consistent copy of the database to `path` (hard links where
    /// possible): a backup, or a snapshot to sync another node from.
    pub fn checkpoint(&self, path: &Path) -> Result<(), StoreError> {
        rocksdb::checkpoint::Checkpoint::new(&self.db)?.create_checkpoint(path)?;
        Ok(())
    }

    /// Waits, up to `limit`, until RocksDB has no flush or compaction
    /// running or pending: benches that write gigabytes at once measure
    /// the ledger they built, not the backlog of their own writes. Returns
    /// whether it settled.
    pub fn settle(&self, limit: std::time::Duration) -> Result<bool, StoreError> {
        let start = std::time::Instant::now();
        loop {
            let mut busy = self
                .db
                .property_int_value("rocksdb.num-running-compactions")?
                .unwrap_or(0)
                + self
                    .db
                    .property_int_value("rocksdb.num-running-flushes")?
                    .unwrap_or(0);
            for cf in Cf::ALL {
                busy += self
                    .db
                    .property_int_value_cf(self.cf(cf)?, "rocksdb.compaction-pending")?
                    .unwrap_or(0);
            }
            if busy == 0 {
                return Ok(true);
            }
            if start.elapsed() > limit {
                return Ok(false);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Flushes memtables to disk (used at shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        for cf in Cf::ALL {
            self.db.flush_cf(self.cf(cf)?)?;
        }
        self.db.flush_wal(true)?;
        Ok(())
    }
}

impl StateRead for RocksStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get_cf(self.cf(cf)?, key)?)
    }

    fn seek_prev(&self, cf: Cf, prefix: &[u8], key: &[u8]) -> Result<Option<Pair>, StoreError> {
        let mut it = self.db.raw_iterator_cf(self.cf(cf)?);
        it.seek_for_prev(key);
        if it.valid() {
            if let (Some(k), Some(v)) = (it.key(), it.value()) {
                if k.starts_with(prefix) {
                    return Ok(Some((k.to_vec(), v.to_vec())));
                }
            }
        }
        it.status()?;
        Ok(None)
    }

    fn scan(&self, cf: Cf, prefix: &[u8], from: &[u8], limit: usize) -> Result<Pairs, StoreError> {
        let mut it = self.db.raw_iterator_cf(self.cf(cf)?);
        it.seek(from);
        let mut out = Vec::new();
        while it.valid() && out.len() < limit {
            match (it.key(), it.value()) {
                (Some(k), Some(v)) if k.starts_with(prefix) => out.push((k.to_vec(), v.to_vec())),
                _ => break,
            }
            it.next();
        }
        it.status()?;
        Ok(out)
    }
}

impl RocksStore {
    fn write_with(&self, set: WriteSet, sync: bool) -> Result<(), StoreError> {
        let mut batch = rocksdb::WriteBatch::default();
        for ((cf, k), v) in set.ops {
            let handle = self.cf(cf)?;
            match v {
                Some(v) => batch.put_cf(handle, k, v),
                None => batch.delete_cf(handle, k),
            }
        }
        let mut opts = rocksdb::WriteOptions::default();
        opts.set_sync(sync);
        opts.disable_wal(false);
        self.db.write_opt(batch, &opts)?;
        Ok(())
    }
}

impl StateWrite for RocksStore {
    fn write(&self, set: WriteSet) -> Result<(), StoreError> {
        self.write_with(set, self.sync)
    }

    fn write_durable(&self, set: WriteSet) -> Result<(), StoreError> {
        self.write_with(set, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(store: &dyn Store) {
        let mut w = WriteSet::new();
        w.put(Cf::Meta, b"a1".to_vec(), b"1".to_vec());
        w.put(Cf::Meta, b"a3".to_vec(), b"3".to_vec());
        w.put(Cf::Meta, b"b1".to_vec(), b"x".to_vec());
        w.put(Cf::Txs, b"a2".to_vec(), b"other cf".to_vec());
        store.write(w).unwrap();
        assert_eq!(store.get(Cf::Meta, b"a1").unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.get(Cf::Meta, b"a2").unwrap(), None);
        assert_eq!(
            store.seek_prev(Cf::Meta, b"a", b"a2").unwrap(),
            Some((b"a1".to_vec(), b"1".to_vec()))
        );
        assert_eq!(store.seek_prev(Cf::Meta, b"a", b"a0").unwrap(), None);
        assert_eq!(store.seek_prev(Cf::Meta, b"b", b"a9").unwrap(), None);
        let all = store.scan(Cf::Meta, b"a", b"a", 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            store.scan(Cf::Meta, b"a", b"a2", 10).unwrap()[0].0,
            b"a3".to_vec()
        );
        assert_eq!(store.scan(Cf::Meta, b"", b"", 1).unwrap().len(), 1);
        let mut w = WriteSet::new();
        w.delete(Cf::Meta, b"a1".to_vec());
        store.write(w).unwrap();
        assert_eq!(store.get(Cf::Meta, b"a1").unwrap(), None);
    }

    #[test]
    fn memory_store_semantics() {
        exercise(&MemoryStore::new());
    }

    #[test]
    fn rocks_store_semantics_and_persistence() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = RocksStore::open(dir.path(), false).unwrap();
            exercise(&s);
            s.flush().unwrap();
        }
        let s = RocksStore::open(dir.path(), false).unwrap();
        assert_eq!(s.get(Cf::Meta, b"a3").unwrap(), Some(b"3".to_vec()));
        let cp = dir.path().join("checkpoint");
        s.checkpoint(&cp).unwrap();
        drop(s);
        let c = RocksStore::open(&cp, false).unwrap();
        assert_eq!(c.get(Cf::Meta, b"b1").unwrap(), Some(b"x".to_vec()));
    }
}
