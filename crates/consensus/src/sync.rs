//! Catching up and fetching bodies.
//!
//! * **Tip announcements** (`Status` channel): `u64 height ‖ block hash`,
//!   sent after every commit and once a second.
//! * **Requests** (one bidirectional stream each, [`veil_net::Network::request`]):
//!
//! ```text
//! request  = 0x01 ‖ u32 n ‖ n × tx hash 32          (bodies, n ≤ 10,000)
//!          | 0x02 ‖ u64 from ‖ u16 max              (blocks, max ≤ 64)
//!          | 0x03 | 0x04 …                          (state snapshots: see
//!                                                    [`super::snapshot`])
//! response = u32 n ‖ n × (u32 len ‖ tx)              (bodies it has)
//!          | u32 n ‖ n × (u32 len ‖ header ‖ u32 len ‖ commit certificate ‖
//!                         u32 m ‖ m × (u32 len ‖ tx)) (consecutive blocks)
//! ```
//!
//! A node behind its peers (by two blocks, or by one for more than a
//! second) fetches decided blocks with their commit certificates, checks
//! each certificate against the validator set in its own state (distinct
//! validators, valid precommit signatures, more than 2/3 of the power, for
//! exactly this header's hash), re-executes the block in validator mode,
//! requires the same header (hence the same state root), and commits; the
//! engine then joins consensus at the new height. A node more than
//! `state_sync_after` blocks behind copies a checked state snapshot
//! instead ([`super::snapshot`]) and restarts on it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_malachitebft_core_consensus::ThresholdParams;
use tokio::sync::mpsc;

use super::codec;
use super::context::BlockValue;
use super::engine::{self, Event};
use veil_codec::{DecodeError, DecodeExt, Encode, EncodeError, Writer};
use veil_ledger::block::Header;
use veil_ledger::execute::{execute, BlockContext, ExecutedBlock, Mode, RegistryUpdates};
use veil_net::{Channel, Network};
use veil_node::Node;
use veil_tx::{Transaction, TxHash};

pub use veil_wire::sync::{decode_status, status_bytes, Request, MAX_BLOCKS};

/// Longest a block may be proposed ahead of a validator's clock, ms.
pub const MAX_CLOCK_DRIFT_MS: u64 = 10_000;

/// A bodies request (at most [`veil_wire::consensus::MAX_BLOCK_TXS`]
/// hashes).
pub fn txs_request(hashes: &[TxHash]) -> Result<Vec<u8>, EncodeError> {
    Request::Txs(hashes.to_vec()).encode()
}

/// A blocks request.
pub fn blocks_request(from: u64, max: u16) -> Result<Vec<u8>, EncodeError> {
    Request::Blocks { from, max }.encode()
}

/// Why a peer's request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// The request does not decode.
    #[error("malformed request: {0}")]
    Request(#[from] DecodeError),
    /// The answer does not fit its encoding.
    #[error("answer cannot be encoded: {0}")]
    Encode(#[from] EncodeError),
}

/// Answers a peer's request from committed state and the mempool.
pub fn answer(node: &Node, request: &[u8]) -> Result<Vec<u8>, AnswerError> {
    match Request::decode(request)? {
        Request::Txs(hashes) => {
            let mut found = Vec::new();
            for h in hashes {
                let pooled = node
                    .mempool()
                    .get(&h)
                    .or_else(|| node.own_tx(&h).map(Arc::new));
                let bytes = match pooled {
                    Some(t) => t.encode().ok(),
                    None => node
                        .ledger
                        .tx(&h)
                        .ok()
                        .flatten()
                        .and_then(|(t, _)| t.encode().ok()),
                };
                if let Some(b) = bytes {
                    found.push(b);
                }
            }
            let mut w = Writer::new();
            veil_wire::sync::put_txs(&mut w, &found);
            Ok(w.finish()?)
        }
        Request::Blocks { from, max } => {
            let max = max.min(MAX_BLOCKS);
            let tip = node.ledger.tip().height;
            let mut blocks = Vec::new();
            let mut budget = 16 * 1024 * 1024usize;
            let mut h = from.max(1);
            while h <= tip && blocks.len() < usize::from(max) && budget > 0 {
                let (Ok(Some(block)), Ok(Some(cert))) = (node.ledger.block(h), node.certificate(h))
                else {
                    break;
                };
                let txs = block
                    .txs
                    .iter()
                    .map(Encode::encode)
                    .collect::<Result<Vec<_>, _>>()?;
                budget = budget.saturating_sub(txs.iter().map(Vec::len).sum::<usize>() + 1024);
                blocks.push((block.header.encode(), cert, txs));
                h += 1;
            }
            Ok(veil_wire::sync::encode_blocks(&blocks)?)
        }
        Request::Manifest => Ok(super::snapshot::answer_manifest(node)?),
        Request::Chunk {
            height,
            file,
            offset,
        } => Ok(super::snapshot::answer_chunk(node, height, file, offset)?),
        Request::VaultManifest(address) => Ok(node.vault_answer_manifest(&address)),
        Request::VaultChunk(hash) => Ok(node.vault_answer_chunk(&hash)),
    }
}

/// Why a candidate or a synced block was refused.
#[derive(Debug, thiserror::Error)]
pub enum CandidateError {
    /// Malformed.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// Our own ledger could not be read.
    #[error(transparent)]
    Store(#[from] veil_ledger::store::StoreError),
    /// The header names another chain.
    #[error("another chain")]
    OtherChain,
    /// The header does not extend our tip.
    #[error("does not extend our tip {height} ({hash})")]
    NotOnTip {
        /// Our tip's height.
        height: u64,
        /// Our tip's hash.
        hash: veil_wire::block::BlockHash,
    },
    /// The timestamp is not after the parent's.
    #[error("timestamp not after the parent's")]
    Timestamp,
    /// The timestamp is too far ahead of our clock.
    #[error("timestamp too far in the future")]
    FutureTimestamp,
    /// The header names another proposer than the one who sent it.
    #[error("header names another proposer")]
    OtherProposer,
    /// The peer could not be asked.
    #[error("missing transaction bodies: {0}")]
    Fetch(#[source] veil_net::NetError),
    /// The peer did not send a body the block lists.
    #[error("missing transaction bodies: {0}")]
    MissingBody(TxHash),
    /// Execution refused it.
    #[error("{0}")]
    Execution(#[from] veil_ledger::execute::ExecError),
    /// A proposal without the record of who signed its parent.
    #[error("no commit record for the parent block")]
    NoCommitRecord,
    /// Re-execution produced another header.
    #[error("re-execution gives another header (state root)")]
    OtherHeader,
    /// A synced block's certificate is for another block.
    #[error("certificate is for another block")]
    CertificateMismatch,
    /// A synced block's certificate does not verify.
    #[error("certificate refused: {0}")]
    Certificate(
        #[source] Box<arc_malachitebft_core_types::CertificateError<veil_wire::context::Veil>>,
    ),
    /// Committing the block failed.
    #[error("{0}")]
    Commit(#[from] veil_node::NodeError),
    /// The blocking task panicked or was cancelled.
    #[error("{0}")]
    Task(#[from] tokio::task::JoinError),
    /// A request to fetch bodies does not fit its encoding.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

fn context(node: &Node, header: &Header) -> Result<BlockContext, CandidateError> {
    let tip = node.ledger.tip();
    let chain = node.ledger.chain_id()?;
    if header.chain_id.as_str() != chain {
        return Err(CandidateError::OtherChain);
    }
    if header.height != tip.height + 1 || header.parent != tip.hash {
        return Err(CandidateError::NotOnTip {
            height: tip.height,
            hash: tip.hash,
        });
    }
    let parent_ts = node
        .ledger
        .header(tip.height)
        .ok()
        .flatten()
        .map_or(0, |h| h.timestamp_ms);
    if header.timestamp_ms <= parent_ts {
        return Err(CandidateError::Timestamp);
    }
    Ok(BlockContext {
        chain_id: chain,
        height: header.height,
        parent: header.parent,
        timestamp_ms: header.timestamp_ms,
        proposer: header.proposer,
    })
}

fn re_execute(
    node: &Node,
    header: &Header,
    txs: Vec<Transaction>,
    preverified: &std::collections::HashSet<TxHash>,
) -> Result<ExecutedBlock, CandidateError> {
    let ctx = context(node, header)?;
    let block = execute(
        &node.ledger,
        ctx,
        RegistryUpdates::default(),
        txs,
        &|h| preverified.contains(h),
        Mode::Validate,
    )?;
    if block.header != *header {
        return Err(CandidateError::OtherHeader);
    }
    Ok(block)
}

/// Checks a proposed candidate: context, bodies (fetched from the proposer
/// when missing), re-execution to the same header.
pub async fn check_candidate(
    node: &Arc<Node>,
    net: &Network,
    proposer: &[u8; 32],
    value: &BlockValue,
) -> Result<ExecutedBlock, CandidateError> {
    let header = Header::decode(&value.header)?;
    if header.proposer != *proposer {
        return Err(CandidateError::OtherProposer);
    }
    let now = node.now_ms();
    if header.timestamp_ms > now + MAX_CLOCK_DRIFT_MS {
        return Err(CandidateError::FutureTimestamp);
    }
    let mut bodies: HashMap<TxHash, Transaction> = HashMap::new();
    let mut preverified = std::collections::HashSet::new();
    let mut missing = Vec::new();
    {
        let pool = node.mempool();
        for h in &value.txs {
            match pool.get(h) {
                Some(t) => {
                    bodies.insert(*h, Transaction::clone(&t));
                    preverified.insert(*h);
                }
                None => missing.push(*h),
            }
        }
    }
    if !missing.is_empty() {
        let answer = net
            .request(proposer, &txs_request(&missing)?, Duration::from_secs(5))
            .await
            .map_err(CandidateError::Fetch)?;
        for tx in veil_wire::sync::decode_txs(&answer)? {
            bodies.insert(tx.hash()?, tx);
        }
    }
    let mut txs = Vec::with_capacity(value.txs.len());
    for h in &value.txs {
        txs.push(bodies.remove(h).ok_or(CandidateError::MissingBody(*h))?);
    }
    // From height 2 a proposal must say who signed its parent (execution
    // checks the record itself).
    if header.height >= 2 && !matches!(txs.first(), Some(Transaction::Commit(_))) {
        return Err(CandidateError::NoCommitRecord);
    }
    let node = Arc::clone(node);
    tokio::task::spawn_blocking(move || re_execute(&node, &header, txs, &preverified)).await?
}

/// Peer tips and whether we are catching up.
#[derive(Default)]
pub struct SyncState {
    /// Latest announced tip per peer.
    pub tips: Mutex<HashMap<[u8; 32], u64>>,
    /// Whether a catch-up is under way.
    pub syncing: AtomicBool,
}

/// Fetches, verifies and commits blocks `from..` from `peer`; returns how
/// many were committed.
pub async fn fetch_blocks(
    node: &Arc<Node>,
    net: &Network,
    peer: &[u8; 32],
    from: u64,
) -> Result<usize, CandidateError> {
    let answer = net
        .request(
            peer,
            &blocks_request(from, MAX_BLOCKS)?,
            Duration::from_secs(20),
        )
        .await
        .map_err(CandidateError::Fetch)?;
    let node = Arc::clone(node);
    tokio::task::spawn_blocking(move || {
        let blocks = veil_wire::sync::decode_blocks(&answer)?;
        let chain = veil_wire::block::ChainId::new(&node.ledger.chain_id()?)?;
        let mut committed = 0;
        for veil_wire::sync::SyncedBlock {
            header,
            certificate: cert_bytes,
            txs,
        } in blocks
        {
            let cert = codec::decode_commit(&cert_bytes)?;
            if header.height <= node.ledger.tip().height {
                continue;
            }
            if !engine::certificate_decides(&cert, &header) {
                return Err(CandidateError::CertificateMismatch);
            }
            let set = engine::validator_set(&node);
            engine::verify_commit(&chain, &cert, &set, ThresholdParams::default())
                .map_err(|e| CandidateError::Certificate(Box::new(e)))?;
            let block = re_execute(&node, &header, txs, &std::collections::HashSet::new())?;
            engine::record_signers(&node, &set, &cert);
            node.commit_block(block, Some(cert_bytes))?;
            committed += 1;
        }
        Ok(committed)
    })
    .await?
}

/// Announces our tip every second and catches up when peers are ahead.
pub async fn run(
    node: Arc<Node>,
    net: Network,
    state: Arc<SyncState>,
    events: mpsc::Sender<Event>,
    state_sync_after: u64,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut behind_since: Option<Instant> = None;
    // A failed state sync (a lying or slow peer) is not retried for a
    // minute; blocks are replayed meanwhile.
    let mut snapshot_failed: Option<Instant> = None;
    let mut last_announce = Instant::now() - Duration::from_secs(5);
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        let tip = node.ledger.tip();
        if last_announce.elapsed() >= Duration::from_secs(1) {
            net.broadcast(Channel::Status, &status_bytes(tip.height, &tip.hash));
            last_announce = Instant::now();
        }
        let best = state
            .tips
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|(k, _)| net.peers().contains(k))
            .max_by_key(|(_, h)| **h)
            .map(|(k, h)| (*k, *h));
        let Some((peer, height)) = best else { continue };
        if height <= tip.height {
            behind_since = None;
            state.syncing.store(false, Ordering::Relaxed);
            continue;
        }
        let since = *behind_since.get_or_insert_with(Instant::now);
        if height < tip.height + 2 && since.elapsed() < Duration::from_secs(1) {
            continue;
        }
        state.syncing.store(true, Ordering::Relaxed);
        if state_sync_after > 0
            && height > tip.height + state_sync_after
            && snapshot_failed.is_none_or(|t| t.elapsed() > Duration::from_secs(60))
        {
            tracing::info!(
                peer = %hex::encode(&peer[..6]),
                ours = tip.height,
                theirs = height,
                "far behind: fetching a state snapshot"
            );
            match super::snapshot::fetch(&node, &net, &peer).await {
                Ok(h) => {
                    tracing::info!(
                        height = h,
                        "state snapshot checked; restarting to install it"
                    );
                    node.request_restart();
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "state sync failed; replaying blocks instead");
                    snapshot_failed = Some(Instant::now());
                }
            }
        }
        match fetch_blocks(&node, &net, &peer, tip.height + 1).await {
            Ok(n) if n > 0 => {
                tracing::info!(
                    blocks = n,
                    tip = node.ledger.tip().height,
                    "synced blocks from a peer"
                );
                let _ = events.send(Event::Advanced).await;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(peer = %hex::encode(&peer[..6]), error = %e, "sync from peer failed");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}
