//! The node: a ledger in RocksDB, a mempool fed by a batching admission
//! verifier, a block producer, and the HTTP API.
//!
//! Admission: the API decodes a transaction, refuses duplicates and spent
//! or pending key images at once, reads its rings, and queues it for the
//! verifier thread, which verifies everything queued at that moment in one
//! batch across the rayon pool, then re-checks state and inserts into the
//! mempool under the mempool lock. Production: on an interval, or as soon
//! as `block_trigger` transactions wait, the producer executes the oldest
//! waiting transactions (already verified, so only the stateful pass and
//! the writes remain), commits the block atomically and removes what it
//! included — under the same lock, so admission never sees half a block.

pub mod history;
pub mod metrics;
pub mod threshold;
pub mod vault;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use veil_clock::SharedClock;

use tokio::sync::{mpsc, oneshot, Notify};

use veil_codec::{DecodeError, Encode};
use veil_ledger::execute::{execute, BlockContext, ExecError, Mode, RegistryUpdates};
use veil_ledger::genesis::{self, GenesisConfig, GenesisError};
use veil_ledger::mempool::{Mempool, MempoolError, MempoolLimits};
use veil_ledger::store::{Cf, RocksStore, StateRead, StateWrite, Store, StoreError, WriteSet};
use veil_ledger::Ledger;
use veil_tx::access::RegulatorRequest;
use veil_tx::limits::MAX_TX_BYTES;
use veil_tx::{verify_batch_parallel, LedgerView, Rings, Transaction, TxError, TxHash};

use metrics::Metrics;

/// Node settings.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Where RocksDB lives (`<data_dir>/db`).
    pub data_dir: PathBuf,
    /// The genesis this node runs.
    pub genesis: GenesisConfig,
    /// Longest wait before waiting transactions go into a block.
    pub block_interval: Duration,
    /// Waiting transactions that trigger a block at once.
    pub block_trigger: usize,
    /// Most transactions per block.
    pub max_block_txs: usize,
    /// Mempool bounds.
    pub mempool: MempoolLimits,
    /// fsync every block before acknowledging it.
    pub sync_writes: bool,
    /// This node's key (zero for a single dev node).
    pub proposer: [u8; 32],
    /// Wall clock for block timestamps, request lifetimes and credential
    /// checks.
    pub clock: SharedClock,
    /// Evidence-vault limits.
    pub vault: vault::VaultLimits,
}

impl NodeConfig {
    /// Defaults for a single node.
    pub fn new(data_dir: PathBuf, genesis: GenesisConfig) -> Self {
        Self {
            data_dir,
            genesis,
            block_interval: Duration::from_millis(500),
            block_trigger: 10_000,
            max_block_txs: 10_000,
            mempool: MempoolLimits::default(),
            sync_writes: true,
            proposer: [0; 32],
            clock: veil_clock::system(),
            vault: vault::VaultLimits::default(),
        }
    }
}

/// Why a submitted transaction was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Over 64 KiB.
    #[error("transaction is {0} bytes; the limit is 65536")]
    TooLarge(usize),
    /// Not a canonical transaction.
    #[error("malformed transaction: {0}")]
    Malformed(DecodeError),
    /// Already waiting or already committed.
    #[error("transaction {0} is already known")]
    Duplicate(TxHash),
    /// A waiting transaction spends the same output.
    #[error("double spend: a pending transaction ({0}) already spends one of these inputs")]
    DoubleSpend(TxHash),
    /// Invalid.
    #[error("{0}")]
    Invalid(TxError),
    /// The mempool is full (or the transaction exceeds it): retry later.
    #[error("the mempool is full; retry after the next block")]
    Full,
    /// The admission queue is full: retry shortly.
    #[error("the node is verifying as many transactions as it queues; retry shortly")]
    Busy,
    /// The node is shutting down or failed internally.
    #[error("node unavailable: {0}")]
    Unavailable(String),
}

impl SubmitError {
    /// The stable problem code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "too-large",
            Self::Malformed(_) => "malformed",
            Self::Duplicate(_) => "duplicate",
            Self::DoubleSpend(_) => "double-spend",
            Self::Invalid(e) => e.code(),
            Self::Full => "mempool-full",
            Self::Busy => "busy",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// Why the node could not start or work.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Genesis failed.
    #[error(transparent)]
    Genesis(#[from] GenesisError),
    /// Block execution failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Most transactions in one batch submission.
pub const MAX_BATCH_TXS: usize = 1_000;

/// Transactions queued for the admission verifier at most; beyond it
/// submissions are refused with [`SubmitError::Busy`].
pub const ADMISSION_QUEUE: usize = 8_192;

/// Most transactions the verifier checks in one batch.
const VERIFY_BATCH: usize = 2_048;

struct Admission {
    tx: Arc<Transaction>,
    hash: TxHash,
    bytes: usize,
    rings: Rings,
    reply: oneshot::Sender<Result<TxHash, SubmitError>>,
}

/// Longest a signed regulator request stays valid, ms.
pub const MAX_REQUEST_LIFETIME_MS: u64 = 5 * 60 * 1000;

/// Why a regulator request was refused. [`AccessError::status`] groups
/// the variants into the HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The request is expired, or claims a lifetime over the limit.
    #[error("request expired or expires more than {} s ahead", MAX_REQUEST_LIFETIME_MS / 1000)]
    Expired,
    /// The auditor's delegation certificate is expired.
    #[error("delegation certificate expired")]
    DelegationExpired,
    /// A credential check failed (signatures, scope, not a regulator…).
    #[error("{0}")]
    Refused(#[from] TxError),
    /// The request's nonce was used before.
    #[error("request nonce already used")]
    Replayed,
    /// A delegated auditor asking outside its epoch.
    #[error(
        "this auditor is delegated epoch {epoch} of {jurisdiction} (heights {lo}..={hi}) only"
    )]
    OutOfScope {
        /// The delegated epoch.
        epoch: u64,
        /// Its jurisdiction.
        jurisdiction: veil_tx::registry::Jurisdiction,
        /// First height of the epoch.
        lo: u64,
        /// Last height of the epoch.
        hi: u64,
    },
    /// The journal could not be written; nothing was served.
    #[error("the access could not be recorded: {0}")]
    Unrecorded(#[from] StoreError),
    /// The access record could not be queued for the next block.
    #[error("the access could not be recorded: {0}")]
    NotQueued(#[source] MempoolError),
    /// A threshold share was recorded but could not be kept.
    #[error("the share could not be kept: {0}")]
    NotKept(#[source] std::io::Error),
    /// Too many uploads for one threshold request.
    #[error("this request already has {0} share uploads")]
    TooManyShares(usize),
}

/// The HTTP class of an [`AccessError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessStatus {
    /// Missing, malformed, expired, replayed or unauthorized credentials (401).
    Unauthenticated,
    /// Outside the delegated scope (403).
    Forbidden,
    /// Not recorded, so not served (503).
    Unrecorded,
}

impl AccessError {
    /// How the API answers it.
    pub fn status(&self) -> AccessStatus {
        match self {
            Self::Expired | Self::DelegationExpired | Self::Refused(_) | Self::Replayed => {
                AccessStatus::Unauthenticated
            }
            Self::OutOfScope { .. } => AccessStatus::Forbidden,
            Self::Unrecorded(_) | Self::NotQueued(_) | Self::NotKept(_) => AccessStatus::Unrecorded,
            Self::TooManyShares(_) => AccessStatus::Forbidden,
        }
    }
}

/// Where a transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxState {
    /// In a block: height and position.
    Committed(u64, u32),
    /// In the mempool.
    Pending,
    /// Neither.
    Unknown,
}

/// A summary of a committed block.
#[derive(Clone, Debug)]
pub struct BlockSummary {
    /// Height.
    pub height: u64,
    /// Transactions included.
    pub txs: usize,
    /// Transactions dropped as invalid.
    pub rejected: usize,
}

/// A running node's shared state.
pub struct Node {
    /// The ledger.
    pub ledger: Arc<Ledger>,
    store: Arc<RocksStore>,
    mempool: Mutex<Mempool>,
    /// Metrics.
    pub metrics: Metrics,
    /// The last hour of samples, for the console.
    pub history: history::History,
    config: NodeConfig,
    admissions: mpsc::Sender<Admission>,
    /// Hashes queued for the verifier (never verified twice at once).
    admitting: Mutex<std::collections::HashSet<TxHash>>,
    /// Woken when enough transactions wait for a block.
    pub block_wake: Notify,
    gossip: std::sync::OnceLock<GossipHook>,
    restart: Notify,
    /// Transactions this node put first in blocks it proposed (commit
    /// records), kept for the validators that fetch them.
    own: Mutex<std::collections::VecDeque<(TxHash, Transaction)>>,
    vault: vault::VaultStore,
}

/// How many of its own leading transactions a proposer keeps to serve.
const OWN_TXS: usize = 16;

/// Called with every transaction this node admitted from its own API.
pub type GossipHook = Box<dyn Fn(TxHash, &[u8]) + Send + Sync>;

impl Node {
    /// Opens the database under `config.data_dir`, creates or checks the
    /// genesis block, and starts the admission verifier thread.
    pub fn open(config: NodeConfig) -> Result<Arc<Self>, NodeError> {
        std::fs::create_dir_all(&config.data_dir)?;
        let store = Arc::new(RocksStore::open(
            &config.data_dir.join("db"),
            config.sync_writes,
        )?);
        let dyn_store: Arc<dyn Store> = store.clone();
        let ledger = Arc::new(Ledger::open(dyn_store)?);
        genesis::initialize(&ledger, &config.genesis)?;
        let (tx, rx) = mpsc::channel::<Admission>(ADMISSION_QUEUE);
        let config_vault_dir = config.data_dir.join("vault");
        let node = Arc::new(Self {
            ledger,
            store,
            mempool: Mutex::new(Mempool::new(config.mempool)),
            metrics: Metrics::default(),
            history: history::History::default(),
            config,
            admissions: tx,
            admitting: Mutex::new(std::collections::HashSet::new()),
            block_wake: Notify::new(),
            gossip: std::sync::OnceLock::new(),
            restart: Notify::new(),
            own: Mutex::new(std::collections::VecDeque::new()),
            vault: vault::VaultStore::open(&config_vault_dir)
                .map_err(|e| NodeError::Io(std::io::Error::other(e.to_string())))?,
        });
        node.metrics
            .height
            .set(i64::try_from(node.ledger.tip().height).unwrap_or(i64::MAX));
        let replayed = node.replay_journal()?;
        if replayed > 0 {
            tracing::info!(
                count = replayed,
                "re-queued access records from the audit journal"
            );
        }
        let weak = Arc::downgrade(&node);
        std::thread::Builder::new()
            .name("veil-admission".into())
            .spawn(move || admission_loop(weak, rx))?;
        let weak = Arc::downgrade(&node);
        std::thread::Builder::new()
            .name("veil-history".into())
            .spawn(move || history_loop(&weak))?;
        Ok(node)
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// Now, by the node's clock (ms since the Unix epoch).
    pub fn now_ms(&self) -> u64 {
        self.config.clock.now_ms()
    }

    /// Locks the mempool.
    pub fn mempool(&self) -> MutexGuard<'_, Mempool> {
        self.mempool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn reject<T>(&self, e: SubmitError) -> Result<T, SubmitError> {
        self.metrics.reject(e.code());
        Err(e)
    }

    /// Installs the gossip hook (once).
    pub fn set_gossip(&self, hook: GossipHook) {
        let _ = self.gossip.set(hook);
    }

    /// Submits encoded transaction bytes; resolves when the transaction is
    /// in the mempool or refused. Admitted transactions are gossiped.
    pub async fn submit(&self, bytes: &[u8]) -> Result<TxHash, SubmitError> {
        let hash = self.submit_from_peer(bytes).await?;
        if let Some(g) = self.gossip.get() {
            g(hash, bytes);
        }
        Ok(hash)
    }

    /// Submits a transaction a peer gossiped (not gossiped again).
    pub async fn submit_from_peer(&self, bytes: &[u8]) -> Result<TxHash, SubmitError> {
        let answer = match self.enqueue(bytes) {
            Ok(answer) => answer,
            Err(e) => return self.reject(e),
        };
        answer
            .await
            .map_err(|_| SubmitError::Unavailable("admission stopped".into()))?
    }

    /// Submits many encoded transactions at once (a bank's batch run):
    /// all are queued for the verifier together, so it checks them in one
    /// parallel batch. One result per item, in order; admitted ones are
    /// gossiped. Refused as a whole, with nothing queued, when the mempool
    /// has no room for all of them.
    pub async fn submit_batch(
        &self,
        items: &[&[u8]],
    ) -> Result<Vec<Result<TxHash, SubmitError>>, SubmitError> {
        {
            let pool = self.mempool();
            let queued = self.admitting().len();
            if !pool.has_room(queued.saturating_add(items.len())) {
                return self.reject(SubmitError::Full);
            }
        }
        let queued: Vec<_> = items
            .iter()
            .map(|bytes| {
                self.enqueue(bytes)
                    .inspect_err(|e| self.metrics.reject(e.code()))
            })
            .collect();
        let mut results = Vec::with_capacity(items.len());
        for (bytes, q) in items.iter().zip(queued) {
            let result = match q {
                Ok(answer) => answer
                    .await
                    .unwrap_or_else(|_| Err(SubmitError::Unavailable("admission stopped".into()))),
                Err(e) => Err(e),
            };
            if let (Ok(hash), Some(g)) = (&result, self.gossip.get()) {
                g(*hash, bytes);
            }
            results.push(result);
        }
        Ok(results)
    }

    /// The stateless checks, ring reads and back-pressure of admission;
    /// queues the transaction for the verifier.
    fn enqueue(
        &self,
        bytes: &[u8],
    ) -> Result<oneshot::Receiver<Result<TxHash, SubmitError>>, SubmitError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(SubmitError::TooLarge(bytes.len()));
        }
        let tx = Transaction::decode(bytes).map_err(SubmitError::Malformed)?;
        // Decoding is canonical, so these bytes are the encoding.
        let hash = Transaction::hash_of(bytes);
        {
            let pool = self.mempool();
            if pool.contains(&hash) {
                return Err(SubmitError::Duplicate(hash));
            }
            if let Some(other) = tx.key_images().iter().find_map(|i| pool.spender(i)) {
                return Err(SubmitError::DoubleSpend(other));
            }
            // Room for everything already queued plus this one.
            let queued = self.admitting().len();
            if !pool.has_room(queued.saturating_add(1)) {
                return Err(SubmitError::Full);
            }
        }
        if matches!(self.ledger.tx_location(&hash), Ok(Some(_))) {
            return Err(SubmitError::Duplicate(hash));
        }
        for (i, image) in tx.key_images().iter().enumerate() {
            if self.ledger.is_spent(image) {
                return Err(self.refusal(hash, TxError::KeyImageSpent { input: i }));
            }
        }
        let rings = tx
            .resolve_rings(self.ledger.as_ref())
            .map_err(SubmitError::Invalid)?;
        if !self.admitting().insert(hash) {
            // The same bytes are being verified: never twice.
            return Err(SubmitError::Duplicate(hash));
        }
        let (reply, answer) = oneshot::channel();
        let job = Admission {
            tx: Arc::new(tx),
            hash,
            bytes: bytes.len(),
            rings,
            reply,
        };
        match self.admissions.try_send(job) {
            Ok(()) => Ok(answer),
            Err(e) => {
                self.admitting().remove(&hash);
                Err(match e {
                    mpsc::error::TrySendError::Full(_) => SubmitError::Busy,
                    mpsc::error::TrySendError::Closed(_) => {
                        SubmitError::Unavailable("admission stopped".into())
                    }
                })
            }
        }
    }

    /// Transactions queued for, or being checked by, the admission
    /// verifier.
    pub fn admitting_count(&self) -> usize {
        self.admitting().len()
    }

    /// Whether the mempool holds a full block's worth of transactions.
    pub fn block_full(&self) -> bool {
        self.mempool().len() >= self.block_limit()
    }

    /// Most transactions a block of this node takes: its own bound and
    /// the one the committee governs.
    fn block_limit(&self) -> usize {
        let governed = self.ledger.gov_params().map_or(usize::MAX, |p| {
            usize::try_from(p.max_block_txs).unwrap_or(usize::MAX)
        });
        self.config
            .max_block_txs
            .min(governed)
            .min(veil_tx::limits::MAX_BLOCK_TXS)
    }

    fn admitting(&self) -> MutexGuard<'_, std::collections::HashSet<TxHash>> {
        self.admitting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Where a transaction is: committed `(height, position)`, pending, or
    /// unknown. Read under the mempool lock, which block commits also hold,
    /// so a transaction moving from the mempool into a block is never seen
    /// in neither.
    pub fn tx_status(&self, hash: &TxHash) -> Result<TxState, StoreError> {
        let pool = self.mempool();
        if let Some(loc) = self.ledger.tx_location(hash)? {
            return Ok(TxState::Committed(loc.height, loc.position));
        }
        Ok(if pool.contains(hash) {
            TxState::Pending
        } else {
            TxState::Unknown
        })
    }

    /// Authenticates a regulator API read and records it *durably* (an
    /// fsynced journal entry, then the mempool, so the next block carries
    /// it) before the caller serves anything. `heights` is the requested
    /// range, checked against a delegated auditor's epoch.
    pub fn authorize_and_record(
        &self,
        req: RegulatorRequest,
        heights: (u64, u64),
    ) -> Result<(), AccessError> {
        let now = self.now_ms();
        if req.expires_ms <= now || req.expires_ms > now + MAX_REQUEST_LIFETIME_MS {
            return Err(AccessError::Expired);
        }
        req.check_stateless()?;
        if let Some(d) = &req.delegation {
            if d.expires_ms <= now {
                return Err(AccessError::DelegationExpired);
            }
            let len = self.ledger.params()?.epoch_length;
            let (lo, hi) = (
                d.epoch.saturating_mul(len),
                d.epoch.saturating_mul(len).saturating_add(len - 1),
            );
            if heights.0 < lo || heights.1 > hi {
                return Err(AccessError::OutOfScope {
                    epoch: d.epoch,
                    jurisdiction: d.jurisdiction.clone(),
                    lo,
                    hi,
                });
            }
        }
        let key = req.state_key();
        let tx = Transaction::Access(req);
        let bytes = tx.encode().map_err(TxError::from)?;
        let hash = Transaction::hash_of(&bytes);
        let mut pool = self.mempool();
        tx.check_stateful(self.ledger.as_ref(), self.now_ms())?;
        let journal = self.store.get(Cf::AuditJournal, &key)?;
        if journal.is_some() || pool.contains(&hash) {
            return Err(AccessError::Replayed);
        }
        let mut w = WriteSet::new();
        w.put(Cf::AuditJournal, key, bytes.clone());
        self.store.write_durable(w)?;
        pool.insert_record(hash, Arc::new(tx), bytes.len())
            .map_err(AccessError::NotQueued)?;
        self.metrics
            .mempool_txs
            .set(i64::try_from(pool.len()).unwrap_or(i64::MAX));
        Ok(())
    }

    /// Puts journalled access records that are not yet committed back into
    /// the mempool (after a restart).
    fn replay_journal(&self) -> Result<usize, NodeError> {
        let mut pool = self.mempool();
        let mut n = 0;
        for tx in self.ledger.audit_journal()? {
            let Transaction::Access(req) = &tx else {
                continue;
            };
            if self.ledger.access_nonce_used(&req.requester, &req.nonce) {
                let mut w = WriteSet::new();
                w.delete(Cf::AuditJournal, req.state_key());
                self.store.write(w)?;
                continue;
            }
            let Ok(bytes) = tx.encode() else {
                continue;
            };
            let hash = Transaction::hash_of(&bytes);
            if pool.insert_record(hash, Arc::new(tx), bytes.len()).is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The refusal of `hash` for `e` found against committed state. A
    /// block may have committed these very bytes since admission looked
    /// (the checks are not under one lock with commits): then they are a
    /// duplicate, not a double spend of themselves.
    fn refusal(&self, hash: TxHash, e: TxError) -> SubmitError {
        if matches!(self.ledger.tx_location(&hash), Ok(Some(_))) {
            SubmitError::Duplicate(hash)
        } else {
            SubmitError::Invalid(e)
        }
    }

    /// Final stateful check and insertion, under the mempool lock.
    fn admit(&self, job: &Admission) -> Result<TxHash, SubmitError> {
        let mut pool = self.mempool();
        // The pipeline's stateful step against committed state (the block
        // re-checks it against the block's earlier transactions).
        if let Err(e) = job.tx.check_stateful(self.ledger.as_ref(), self.now_ms()) {
            return Err(self.refusal(job.hash, e));
        }
        match pool.insert(job.hash, Arc::clone(&job.tx), job.bytes) {
            Ok(()) => {}
            Err(MempoolError::Duplicate) => return Err(SubmitError::Duplicate(job.hash)),
            Err(MempoolError::DoubleSpend(other)) => return Err(SubmitError::DoubleSpend(other)),
            Err(MempoolError::TooLarge | MempoolError::Full) => return Err(SubmitError::Full),
        }
        self.metrics
            .mempool_txs
            .set(i64::try_from(pool.len()).unwrap_or(i64::MAX));
        self.metrics
            .mempool_bytes
            .set(i64::try_from(pool.bytes()).unwrap_or(i64::MAX));
        if pool.len() >= self.config.block_trigger {
            self.block_wake.notify_one();
        }
        Ok(job.hash)
    }

    /// Executes and commits a block of waiting transactions, if any.
    pub fn produce_block(&self) -> Result<Option<BlockSummary>, NodeError> {
        if self.mempool().is_empty() {
            return Ok(None);
        }
        let height = self.ledger.tip().height + 1;
        let block = self.build_candidate(height, self.config.proposer, None)?;
        self.commit_block(block, None).map(Some)
    }

    /// A transaction this node put first in a block it proposed.
    pub fn own_tx(&self, hash: &TxHash) -> Option<Transaction> {
        self.own
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|(h, _)| h == hash)
            .map(|(_, t)| t.clone())
    }

    /// Executes the oldest waiting transactions on the tip as block
    /// `height` proposed by `proposer` (invalid ones are left out), after
    /// `leading` (the block's commit record, in a network).
    pub fn build_candidate(
        &self,
        height: u64,
        proposer: [u8; 32],
        leading: Option<Transaction>,
    ) -> Result<veil_ledger::execute::ExecutedBlock, NodeError> {
        // The node's own bound, and the one the committee governs (which
        // every validator enforces); the leading commit record is not
        // counted against it.
        let room = self.block_limit();
        let batch = self.mempool().oldest(room);
        let tip = self.ledger.tip();
        if tip.height + 1 != height {
            return Err(NodeError::Exec(ExecError::NotNext { height }));
        }
        let parent_ts = self
            .ledger
            .header(tip.height)?
            .map_or(0, |h| h.timestamp_ms);
        let ctx = BlockContext {
            chain_id: self.ledger.chain_id()?,
            height: tip.height + 1,
            parent: tip.hash,
            timestamp_ms: self.now_ms().max(parent_ts + 1),
            proposer,
        };
        let hashes: std::collections::HashSet<TxHash> = batch.iter().map(|(h, _)| *h).collect();
        let mut txs: Vec<Transaction> = Vec::with_capacity(batch.len() + 1);
        if let Some(t) = leading {
            let hash = t.hash().map_err(|e| NodeError::Exec(e.into()))?;
            let mut own = self
                .own
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !own.iter().any(|(h, _)| *h == hash) {
                if own.len() >= OWN_TXS {
                    own.pop_front();
                }
                own.push_back((hash, t.clone()));
            }
            txs.push(t);
        }
        txs.extend(batch.iter().map(|(_, t)| Transaction::clone(t)));
        let block = execute(
            &self.ledger,
            ctx,
            RegistryUpdates::default(),
            txs,
            &|h| hashes.contains(h),
            Mode::Propose,
        )?;
        Ok(block)
    }

    /// Commits an executed block (with its commit certificate, in a
    /// network) and drops its transactions from the mempool. Refuses a
    /// block that no longer extends the tip (sync and consensus raced).
    pub fn commit_block(
        &self,
        mut block: veil_ledger::execute::ExecutedBlock,
        certificate: Option<Vec<u8>>,
    ) -> Result<BlockSummary, NodeError> {
        let started = Instant::now();
        if let Some(cert) = certificate {
            block.writes.put(
                Cf::Certificates,
                block.header.height.to_be_bytes().to_vec(),
                cert,
            );
        }
        let proposed_ms = block.header.timestamp_ms;
        let summary = BlockSummary {
            height: block.header.height,
            txs: block.txs.len(),
            rejected: block.rejected.len(),
        };
        let included = block.hashes.clone();
        let rejected: Vec<(TxHash, TxError)> = block.rejected.clone();
        let vault_txs: Vec<Transaction> = block
            .txs
            .iter()
            .filter(|t| matches!(t, Transaction::Vault(_) | Transaction::Governance(_)))
            .cloned()
            .collect();
        {
            let mut pool = self.mempool();
            if self.ledger.tip().height + 1 != summary.height {
                return Err(NodeError::Exec(ExecError::NotNext {
                    height: summary.height,
                }));
            }
            self.ledger.commit(block)?;
            for h in included.iter().chain(rejected.iter().map(|(h, _)| h)) {
                pool.remove(h);
            }
            self.metrics
                .mempool_txs
                .set(i64::try_from(pool.len()).unwrap_or(i64::MAX));
            self.metrics
                .mempool_bytes
                .set(i64::try_from(pool.bytes()).unwrap_or(i64::MAX));
        }
        self.vault_after_commit(&vault_txs);
        for (h, e) in &rejected {
            tracing::warn!(tx = %h, error = %e, "dropped from block");
            self.metrics.reject(e.code());
        }
        self.metrics
            .height
            .set(i64::try_from(summary.height).unwrap_or(i64::MAX));
        self.metrics.blocks.inc();
        self.history.block_committed(proposed_ms, self.now_ms());
        self.metrics
            .committed_txs
            .inc_by(u64::try_from(summary.txs).unwrap_or(0));
        self.metrics
            .block_seconds
            .observe(started.elapsed().as_secs_f64());
        tracing::info!(
            height = summary.height,
            txs = summary.txs,
            ms = started.elapsed().as_millis(),
            "block committed"
        );
        Ok(summary)
    }

    /// The commit certificate stored with block `height`.
    pub fn certificate(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(Cf::Certificates, &height.to_be_bytes())
    }

    /// Appends a consensus WAL entry, durably.
    pub fn wal_append(&self, height: u64, seq: u64, entry: Vec<u8>) -> Result<(), StoreError> {
        let mut key = height.to_be_bytes().to_vec();
        key.extend_from_slice(&seq.to_be_bytes());
        let mut w = WriteSet::new();
        w.put(Cf::ConsensusWal, key, entry);
        self.store.write_durable(w)
    }

    /// The raw WAL entries recorded for `height`, in order.
    pub fn wal_rows(&self, height: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let rows = self
            .store
            .scan(Cf::ConsensusWal, &height.to_be_bytes(), b"", 1 << 20)?;
        Ok(rows.into_iter().map(|(_, v)| v).collect())
    }

    /// Deletes WAL entries of heights below `height`.
    pub fn wal_prune(&self, height: u64) -> Result<(), StoreError> {
        let rows = self.store.scan(Cf::ConsensusWal, b"", b"", 1 << 20)?;
        let mut w = WriteSet::new();
        for (k, _) in rows {
            if k.get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                < Some(height)
            {
                w.delete(Cf::ConsensusWal, k);
            }
        }
        self.store.write(w)
    }

    /// Flushes the database (at shutdown).
    pub fn flush(&self) -> Result<(), NodeError> {
        self.store.flush()?;
        Ok(())
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.config.data_dir
    }

    /// Asks whoever runs the node to stop and start it again (a state
    /// snapshot waits to be installed).
    pub fn request_restart(&self) {
        self.restart.notify_one();
    }

    /// Resolves when a restart was requested.
    pub async fn restart_requested(&self) {
        self.restart.notified().await;
    }

    /// Writes a consistent RocksDB checkpoint to `path`.
    pub fn checkpoint(&self, path: &std::path::Path) -> Result<(), NodeError> {
        self.store.checkpoint(path)?;
        Ok(())
    }
}

/// The admission verifier: drains everything queued, verifies it as one
/// batch, admits what passed.
/// Samples the node's counters into its history until the node is
/// dropped.
fn history_loop(node: &std::sync::Weak<Node>) {
    loop {
        {
            let Some(node) = node.upgrade() else {
                return;
            };
            node.sample_history();
        }
        std::thread::sleep(history::SAMPLE_INTERVAL);
    }
}

impl Node {
    /// Takes one sample of the counters (the history thread calls this
    /// every [`history::SAMPLE_INTERVAL`]).
    pub fn sample_history(&self) {
        let (mempool_txs, mempool_bytes) = {
            let pool = self.mempool();
            (pool.len(), pool.bytes())
        };
        self.history.sample(history::Reading {
            time_ms: self.now_ms(),
            height: self.ledger.tip().height,
            committed: self.metrics.committed_txs.get(),
            rejected: self
                .metrics
                .rejected_total
                .load(std::sync::atomic::Ordering::Relaxed),
            mempool_txs: u64::try_from(mempool_txs).unwrap_or(u64::MAX),
            mempool_bytes: u64::try_from(mempool_bytes).unwrap_or(u64::MAX),
        });
    }
}

fn admission_loop(node: std::sync::Weak<Node>, mut rx: mpsc::Receiver<Admission>) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < VERIFY_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let Some(node) = node.upgrade() else { return };
        let started = Instant::now();
        let items: Vec<(&Transaction, &Rings)> =
            jobs.iter().map(|j| (j.tx.as_ref(), &j.rings)).collect();
        let results = verify_batch_parallel(&items);
        let per_tx =
            started.elapsed().as_secs_f64() / f64::from(u32::try_from(jobs.len()).unwrap_or(1));
        for (job, result) in jobs.into_iter().zip(results) {
            node.metrics.verify_seconds.observe(per_tx);
            let outcome = result
                .map_err(SubmitError::Invalid)
                .and_then(|()| node.admit(&job));
            node.admitting().remove(&job.hash);
            match &outcome {
                Ok(_) => {
                    node.metrics.accepted.inc();
                }
                Err(e) => node.metrics.reject(e.code()),
            }
            let _ = job.reply.send(outcome);
        }
    }
}

/// Runs the block producer until `shutdown` turns true.
pub async fn run_producer(node: Arc<Node>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let interval = node.config.block_interval;
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => break,
            _ = tokio::time::sleep(interval) => {}
            _ = node.block_wake.notified() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        let n = Arc::clone(&node);
        match tokio::task::spawn_blocking(move || n.produce_block()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "block production failed"),
            Err(e) => tracing::error!(error = %e, "block producer panicked"),
        }
    }
}
