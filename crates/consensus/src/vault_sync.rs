//! Evidence-vault replication, repair and scrubbing between validators.
//!
//! Every node keeps a copy of every live document version. Nodes pull:
//! when a committed put names content a node does not hold (or every
//! `repair_interval`), it lists the live versions it lacks content of
//! ([`veil_node::Node::vault_needs`]) and asks its peers, one request per
//! manifest or chunk on its own QUIC stream ([`Request::VaultManifest`],
//! [`Request::VaultChunk`]), so QUIC's per-stream flow control paces each
//! transfer; a node keeps a few requests in flight ([`IN_FLIGHT`]), so it
//! holds at most that many chunks in memory. Every manifest
//! must hash to the version's content address and every chunk to its
//! manifest entry; anything else is refused, counted and asked of the next
//! peer. Every `scrub_interval` the node re-hashes what it holds and
//! removes corrupt copies, which the next pass fetches again. A node whose
//! chunk directory was deleted finds everything missing and repairs it
//! the same way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use veil_codec::Encode;
use veil_net::Network;
use veil_node::vault::Need;
use veil_node::Node;
use veil_wire::sync::Request;

/// Chunk requests a node keeps in flight while repairing one version.
const IN_FLIGHT: usize = 4;

/// Longest a peer may take to answer one manifest or chunk request.
const FETCH_DEADLINE: Duration = Duration::from_secs(60);

/// Runs replication and repair until `shutdown`.
pub async fn run(node: Arc<Node>, net: Network, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let limits = node.config().vault;
    let mut next_scrub = Instant::now() + limits.scrub_interval;
    loop {
        tokio::select! {
            _ = node.vault().changed.notified() => {}
            _ = tokio::time::sleep(limits.repair_interval) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        if Instant::now() >= next_scrub {
            next_scrub = Instant::now() + limits.scrub_interval;
            let n = Arc::clone(&node);
            match tokio::task::spawn_blocking(move || n.vault_scrub()).await {
                Ok(Err(e)) => tracing::error!(error = %e, "vault scrub"),
                Err(e) => tracing::error!(error = %e, "vault scrub task"),
                Ok(Ok(_)) => {}
            }
        }
        let n = Arc::clone(&node);
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || n.vault_collect_purged()).await {
            tracing::error!(error = %e, "deleting purged documents' chunks");
        }
        let n = Arc::clone(&node);
        let needs = match tokio::task::spawn_blocking(move || n.vault_needs()).await {
            Ok(Ok(needs)) => needs,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "listing vault content to repair");
                continue;
            }
            Err(_) => continue,
        };
        for need in needs {
            repair(&node, &net, need).await;
        }
    }
}

/// Asks each peer in turn for `request` until `accept` takes an answer.
async fn fetch<T>(
    net: &Network,
    request: &Request,
    start: usize,
    mut accept: impl FnMut(&[u8]) -> Option<T>,
) -> Option<T> {
    let bytes = request.encode().ok()?;
    let peers = net.peers();
    let n = peers.len();
    for k in 0..n {
        let Some(peer) = peers.get((start + k) % n) else {
            continue;
        };
        match net.request(peer, &bytes, FETCH_DEADLINE).await {
            Ok(answer) if !answer.is_empty() => {
                if let Some(t) = accept(&answer) {
                    return Some(t);
                }
                tracing::warn!(peer = %hex::encode(&peer[..6]), "a peer sent vault content that does not match its address");
            }
            _ => {}
        }
    }
    None
}

async fn repair(node: &Arc<Node>, net: &Network, need: Need) {
    let manifest = match &need.manifest {
        Some(m) => m.clone(),
        None => {
            let got = fetch(net, &Request::VaultManifest(need.address), 0, |b| {
                node.vault_store_manifest(&need, b).ok()
            })
            .await;
            match got {
                Some(m) => m,
                None => return,
            }
        }
    };
    let lacking = if need.manifest.is_some() {
        need.lacking.clone()
    } else {
        match node.vault().missing(&manifest) {
            Ok(l) => l,
            Err(_) => return,
        }
    };
    // A few chunk requests in flight (spread over the peers by index),
    // so round trips overlap; each stores its chunk as it arrives.
    let (need, manifest) = (Arc::new(need), Arc::new(manifest));
    let mut inflight = tokio::task::JoinSet::new();
    for i in lacking {
        if inflight.len() >= IN_FLIGHT {
            let _ = inflight.join_next().await;
        }
        let (node, net, need, manifest) = (
            Arc::clone(node),
            net.clone(),
            Arc::clone(&need),
            Arc::clone(&manifest),
        );
        inflight.spawn(async move {
            let Some(entry) = manifest.chunks.get(i) else {
                return;
            };
            let stored = fetch(&net, &Request::VaultChunk(entry.hash), i, |b| {
                node.vault_store_chunk(&need, &manifest, i, b).ok()
            })
            .await;
            if stored.is_none() {
                tracing::warn!(
                    doc = %hex::encode(need.doc),
                    version = need.version,
                    chunk = i,
                    "no peer holds an intact copy of a vault chunk (retried next pass)"
                );
            }
        });
    }
    while inflight.join_next().await.is_some() {}
}
