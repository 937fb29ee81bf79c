//! The mempool: transactions verified and waiting for a block.
//!
//! Deduplicated by hash, indexed by key image (a second spend of a key
//! image already waiting is refused on arrival), bounded by count and by
//! bytes, drained oldest first. A full mempool refuses new transactions
//! (the API answers 503 with `Retry-After`) rather than evicting verified
//! ones a client was told were accepted; regulator access records, which
//! must be recorded before anything is served, may use a small reserve
//! above the count bound ([`RECORD_RESERVE`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use veil_crypto::clsag::KeyImage;
use veil_tx::{Transaction, TxHash};

/// Mempool bounds.
#[derive(Clone, Copy, Debug)]
pub struct MempoolLimits {
    /// Most transactions held.
    pub max_count: usize,
    /// Most bytes held (encoded sizes).
    pub max_bytes: usize,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        Self {
            max_count: 50_000,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Why a transaction was not added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// Already waiting.
    #[error("transaction is already in the mempool")]
    Duplicate,
    /// Spends a key image another waiting transaction spends.
    #[error("double spend: key image already spent by pending transaction {0}")]
    DoubleSpend(TxHash),
    /// Larger than the whole mempool.
    #[error("transaction does not fit in the mempool")]
    TooLarge,
    /// The mempool is at its count or byte bound.
    #[error("the mempool is full")]
    Full,
}

/// Access records a full mempool still takes above its count bound.
pub const RECORD_RESERVE: usize = 1_024;

struct Entry {
    tx: Arc<Transaction>,
    bytes: usize,
    seq: u64,
}

/// Waiting transactions.
pub struct Mempool {
    limits: MempoolLimits,
    by_hash: HashMap<TxHash, Entry>,
    order: BTreeMap<u64, TxHash>,
    by_image: HashMap<KeyImage, TxHash>,
    bytes: usize,
    next_seq: u64,
}

impl Mempool {
    /// An empty mempool.
    pub fn new(limits: MempoolLimits) -> Self {
        Self {
            limits,
            by_hash: HashMap::new(),
            order: BTreeMap::new(),
            by_image: HashMap::new(),
            bytes: 0,
            next_seq: 0,
        }
    }

    /// Number of waiting transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether `hash` is waiting.
    pub fn contains(&self, hash: &TxHash) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// The waiting transaction spending `image`, if any.
    pub fn spender(&self, image: &KeyImage) -> Option<TxHash> {
        self.by_image.get(image).copied()
    }

    /// Adds a verified transaction; refuses it when the mempool is full.
    pub fn insert(
        &mut self,
        hash: TxHash,
        tx: Arc<Transaction>,
        bytes: usize,
    ) -> Result<(), MempoolError> {
        self.insert_within(hash, tx, bytes, 0)
    }

    /// Adds a regulator access record, which may use [`RECORD_RESERVE`]
    /// places above the count bound.
    pub fn insert_record(
        &mut self,
        hash: TxHash,
        tx: Arc<Transaction>,
        bytes: usize,
    ) -> Result<(), MempoolError> {
        self.insert_within(hash, tx, bytes, RECORD_RESERVE)
    }

    fn insert_within(
        &mut self,
        hash: TxHash,
        tx: Arc<Transaction>,
        bytes: usize,
        reserve: usize,
    ) -> Result<(), MempoolError> {
        if self.by_hash.contains_key(&hash) {
            return Err(MempoolError::Duplicate);
        }
        if bytes > self.limits.max_bytes || self.limits.max_count == 0 {
            return Err(MempoolError::TooLarge);
        }
        let images = tx.key_images();
        if let Some(other) = images.iter().find_map(|i| self.by_image.get(i)) {
            return Err(MempoolError::DoubleSpend(*other));
        }
        if self.by_hash.len() >= self.limits.max_count.saturating_add(reserve)
            || self.bytes.saturating_add(bytes) > self.limits.max_bytes
        {
            return Err(MempoolError::Full);
        }
        for i in images {
            self.by_image.insert(i, hash);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, hash);
        self.bytes += bytes;
        self.by_hash.insert(hash, Entry { tx, bytes, seq });
        Ok(())
    }

    /// Whether `count` more transactions fit under the count bound.
    pub fn has_room(&self, count: usize) -> bool {
        self.by_hash.len().saturating_add(count) <= self.limits.max_count
    }

    /// Removes a transaction (committed, or no longer valid).
    pub fn remove(&mut self, hash: &TxHash) -> Option<Arc<Transaction>> {
        let e = self.by_hash.remove(hash)?;
        self.order.remove(&e.seq);
        self.bytes -= e.bytes;
        for i in e.tx.key_images() {
            if self.by_image.get(&i) == Some(hash) {
                self.by_image.remove(&i);
            }
        }
        Some(e.tx)
    }

    /// A waiting transaction.
    pub fn get(&self, hash: &TxHash) -> Option<Arc<Transaction>> {
        self.by_hash.get(hash).map(|e| Arc::clone(&e.tx))
    }

    /// Up to `max` transactions, oldest first (they stay until removed).
    pub fn oldest(&self, max: usize) -> Vec<(TxHash, Arc<Transaction>)> {
        self.order
            .values()
            .take(max)
            .filter_map(|h| self.by_hash.get(h).map(|e| (*h, Arc::clone(&e.tx))))
            .collect()
    }
}
