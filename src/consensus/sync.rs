//! Catching up and fetching bodies.
//!
//! * **Tip announcements** (`Status` channel): `u64 height ‖ block hash`,
//!   sent after every commit and once a second.
//! * **Requests** (one bidirectional stream each, [`crate::net::Network::request`]):
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

use super::codec::{self, read_len, u32_len, MAX_BLOCK_TXS};
use super::context::BlockValue;
use super::engine::{self, Event};
use crate::ledger::block::{BlockHash, Header};
use crate::ledger::execute::{execute, BlockContext, ExecutedBlock, Mode, RegistryUpdates};
use crate::net::{Channel, Network};
use crate::node::Node;
use crate::tx::codec::{DecodeError, Reader, Writer};
use crate::tx::limits::MAX_TX_BYTES;
use crate::tx::{Transaction, TxHash};

/// Most blocks per response.
pub const MAX_BLOCKS: u16 = 64;
/// Longest a block may be proposed ahead of a validator's clock, ms.
pub const MAX_CLOCK_DRIFT_MS: u64 = 10_000;

/// A tip announcement.
pub fn status_bytes(height: u64, hash: &BlockHash) -> Vec<u8> {
    let mut w = Writer::new();
    w.u64(height);
    w.bytes(&hash.0);
    w.into_bytes()
}

/// Decodes a tip announcement.
pub fn decode_status(b: &[u8]) -> Result<(u64, BlockHash), DecodeError> {
    let mut r = Reader::new(b);
    let h = r.u64("height")?;
    let hash = BlockHash(r.array("block hash")?);
    r.finish()?;
    Ok((h, hash))
}

/// A bodies request.
pub fn txs_request(hashes: &[TxHash]) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(1);
    w.bytes(&u32_len(hashes.len()));
    for h in hashes {
        w.bytes(&h.0);
    }
    w.into_bytes()
}

/// A blocks request.
pub fn blocks_request(from: u64, max: u16) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(2);
    w.u64(from);
    w.u16(max);
    w.into_bytes()
}

/// Answers a peer's request from committed state and the mempool.
pub fn answer(node: &Node, request: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut r = Reader::new(request);
    let mut w = Writer::new();
    match r.u8("request tag")? {
        1 => {
            let n = read_len(&mut r, "hash count", MAX_BLOCK_TXS)?;
            let mut hashes = Vec::with_capacity(n);
            for _ in 0..n {
                hashes.push(TxHash(r.array("tx hash")?));
            }
            r.finish()?;
            let mut found = Vec::new();
            for h in hashes {
                let tx = node
                    .mempool()
                    .get(&h)
                    .map(|t| t.encode())
                    .or_else(|| node.ledger.tx(&h).ok().flatten().map(|(t, _)| t.encode()));
                if let Some(b) = tx {
                    found.push(b);
                }
            }
            w.bytes(&u32_len(found.len()));
            for b in found {
                w.bytes(&u32_len(b.len()));
                w.bytes(&b);
            }
        }
        2 => {
            let from = r.u64("from")?;
            let max = r.u16("max")?.min(MAX_BLOCKS);
            r.finish()?;
            let tip = node.ledger.tip().height;
            let mut blocks = Vec::new();
            let mut budget = 16 * 1024 * 1024usize;
            let mut h = from.max(1);
            while h <= tip && blocks.len() < usize::from(max) && budget > 0 {
                let (Ok(Some(block)), Ok(Some(cert))) = (node.ledger.block(h), node.certificate(h))
                else {
                    break;
                };
                let txs: Vec<Vec<u8>> = block.txs.iter().map(Transaction::encode).collect();
                budget = budget.saturating_sub(txs.iter().map(Vec::len).sum::<usize>() + 1024);
                blocks.push((block.header.encode(), cert, txs));
                h += 1;
            }
            w.bytes(&u32_len(blocks.len()));
            for (header, cert, txs) in blocks {
                w.bytes(&u32_len(header.len()));
                w.bytes(&header);
                w.bytes(&u32_len(cert.len()));
                w.bytes(&cert);
                w.bytes(&u32_len(txs.len()));
                for t in txs {
                    w.bytes(&u32_len(t.len()));
                    w.bytes(&t);
                }
            }
        }
        3 => {
            r.finish()?;
            return Ok(super::snapshot::answer_manifest(node));
        }
        4 => return super::snapshot::answer_chunk(node, r),
        _ => {
            return Err(DecodeError::Invalid {
                what: "request tag",
                why: "unknown",
            })
        }
    }
    Ok(w.into_bytes())
}

fn read_txs(r: &mut Reader<'_>) -> Result<Vec<Transaction>, DecodeError> {
    let n = read_len(r, "tx count", MAX_BLOCK_TXS)?;
    let mut txs = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let len = read_len(r, "tx length", MAX_TX_BYTES)?;
        txs.push(Transaction::decode(r.bytes(len, "tx")?)?);
    }
    Ok(txs)
}

/// Why a candidate or a synced block was refused.
#[derive(Debug, thiserror::Error)]
pub enum CandidateError {
    /// Malformed.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// Not on our tip, wrong chain, bad time.
    #[error("{0}")]
    Context(String),
    /// A body could not be fetched.
    #[error("missing transaction bodies: {0}")]
    Missing(String),
    /// Execution refused it or produced another header.
    #[error("{0}")]
    Execution(String),
}

fn context(node: &Node, header: &Header) -> Result<BlockContext, CandidateError> {
    let tip = node.ledger.tip();
    let chain = node
        .ledger
        .chain_id()
        .map_err(|e| CandidateError::Context(e.to_string()))?;
    if header.chain_id != chain {
        return Err(CandidateError::Context("another chain".into()));
    }
    if header.height != tip.height + 1 || header.parent != tip.hash {
        return Err(CandidateError::Context(format!(
            "does not extend our tip {} ({})",
            tip.height, tip.hash
        )));
    }
    let parent_ts = node
        .ledger
        .header(tip.height)
        .ok()
        .flatten()
        .map_or(0, |h| h.timestamp_ms);
    if header.timestamp_ms <= parent_ts {
        return Err(CandidateError::Context(
            "timestamp not after the parent's".into(),
        ));
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
    )
    .map_err(|e| CandidateError::Execution(e.to_string()))?;
    if block.header != *header {
        return Err(CandidateError::Execution(
            "re-execution gives another header (state root)".into(),
        ));
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
        return Err(CandidateError::Context(
            "header names another proposer".into(),
        ));
    }
    let now = crate::node::now_ms();
    if header.timestamp_ms > now + MAX_CLOCK_DRIFT_MS {
        return Err(CandidateError::Context(
            "timestamp too far in the future".into(),
        ));
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
            .request(proposer, &txs_request(&missing), Duration::from_secs(5))
            .await
            .map_err(|e| CandidateError::Missing(e.to_string()))?;
        let mut r = Reader::new(&answer);
        for tx in read_txs(&mut r)? {
            bodies.insert(tx.hash(), tx);
        }
        r.finish()?;
    }
    let mut txs = Vec::with_capacity(value.txs.len());
    for h in &value.txs {
        txs.push(
            bodies
                .remove(h)
                .ok_or_else(|| CandidateError::Missing(h.to_string()))?,
        );
    }
    let node = Arc::clone(node);
    tokio::task::spawn_blocking(move || re_execute(&node, &header, txs, &preverified))
        .await
        .map_err(|e| CandidateError::Execution(e.to_string()))?
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
            &blocks_request(from, MAX_BLOCKS),
            Duration::from_secs(20),
        )
        .await
        .map_err(|e| CandidateError::Missing(e.to_string()))?;
    let node = Arc::clone(node);
    tokio::task::spawn_blocking(move || {
        let mut r = Reader::new(&answer);
        let n = read_len(&mut r, "block count", usize::from(MAX_BLOCKS))?;
        let chain = node.ledger.chain_id().unwrap_or_default();
        let mut committed = 0;
        for _ in 0..n {
            let len = read_len(&mut r, "header length", 256)?;
            let header = Header::decode(r.bytes(len, "header")?)?;
            let len = read_len(&mut r, "certificate length", 128 * 1024)?;
            let cert_bytes = r.bytes(len, "certificate")?.to_vec();
            let cert = codec::decode_commit(&cert_bytes)?;
            let txs = read_txs(&mut r)?;
            if header.height <= node.ledger.tip().height {
                continue;
            }
            if cert.height.0 != header.height || cert.value_id != header.hash() {
                return Err(CandidateError::Context(
                    "certificate is for another block".into(),
                ));
            }
            let set = engine::validator_set(&node);
            engine::verify_commit(&chain, &cert, &set, ThresholdParams::default())
                .map_err(|e| CandidateError::Context(format!("certificate refused: {e}")))?;
            let block = re_execute(&node, &header, txs, &std::collections::HashSet::new())?;
            node.commit_block(block, Some(cert_bytes))
                .map_err(|e| CandidateError::Execution(e.to_string()))?;
            committed += 1;
        }
        r.finish()?;
        Ok(committed)
    })
    .await
    .map_err(|e| CandidateError::Execution(e.to_string()))?
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
