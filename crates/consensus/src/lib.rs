//! BFT consensus: the Malachite core (`arc-malachitebft-core-consensus`
//! 0.8.2, Tendermint's algorithm) embedded at its low-level API.
//!
//! * [`context`]: Veil's types for the core (heights, block candidates,
//!   votes, validators, Ed25519 signatures);
//! * [`codec`]: wire and WAL encodings, signed bytes;
//! * [`engine`]: the task that drives the core and executes its effects;
//! * [`sync`]: tip announcements, body fetch, block sync with certificate
//!   checks.
//!
//! [`start`] wires them to a node and its QUIC network.

pub use veil_wire::consensus as codec;
pub use veil_wire::context;
pub mod engine;
pub mod snapshot;
pub mod sync;
pub mod vault_sync;
pub mod wal;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use veil_codec::DecodeExt;
use veil_crypto::signing::SigningKey;
use veil_net::{self as net, NetConfig, Network, PeerAddr};
use veil_node::Node;

pub use engine::{EngineConfig, EngineStatus};

/// A node's consensus and network, running.
pub struct Consensus {
    /// The network.
    pub net: Network,
    /// Height and round being decided.
    pub status: Arc<Mutex<EngineStatus>>,
    /// Peer tips and catch-up state.
    pub sync: Arc<sync::SyncState>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
}

/// What `/v1/status` and `/metrics` show of consensus and the network.
#[derive(Clone)]
pub struct ClusterView {
    /// The network.
    pub net: Network,
    /// Height and round being decided.
    pub engine: Arc<Mutex<EngineStatus>>,
    /// Peer tips and catch-up state.
    pub sync: Arc<sync::SyncState>,
}

impl Consensus {
    /// The view of this network for the API.
    pub fn view(&self) -> ClusterView {
        ClusterView {
            net: self.net.clone(),
            engine: Arc::clone(&self.status),
            sync: Arc::clone(&self.sync),
        }
    }

    /// Waits for the tasks after shutdown was signalled.
    pub async fn join(self) {
        for t in self.readers {
            t.abort();
        }
        self.net.shutdown();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Why consensus did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The ledger could not be read.
    #[error(transparent)]
    Store(#[from] veil_ledger::store::StoreError),
    /// The ledger's chain identifier is not valid (no genesis?).
    #[error("chain id: {0}")]
    ChainId(#[from] veil_codec::DecodeError),
    /// The network did not start.
    #[error(transparent)]
    Net(#[from] net::NetError),
}

/// Starts the network, the engine, gossip and sync for `node`.
pub fn start(
    node: Arc<Node>,
    key: Arc<SigningKey>,
    listen: SocketAddr,
    peers: Vec<PeerAddr>,
    config: EngineConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<Consensus, StartError> {
    let state_sync_after = config.state_sync_after;
    let allow_node = Arc::clone(&node);
    let allow: net::tls::AllowList = Arc::new(move |k: &[u8; 32]| {
        allow_node
            .ledger
            .validators()
            .map(|v| v.iter().any(|(key, _)| key == k))
            .unwrap_or(false)
    });
    let answer_node = Arc::clone(&node);
    let handler: net::RequestHandler =
        Arc::new(move |_from, req| sync::answer(&answer_node, &req).unwrap_or_default());
    let chain_id = veil_wire::block::ChainId::new(&node.ledger.chain_id()?)?;
    let (net, inboxes) = Network::start(
        NetConfig {
            key: Arc::clone(&key),
            listen,
            peers,
            chain_id: chain_id.clone(),
        },
        allow,
        handler,
    )?;
    // Membership follows the ledger: dial nodes registered by governance,
    // and close the connections of nodes it removed.
    let source_node = Arc::clone(&node);
    net.set_peer_source(Arc::new(move || {
        source_node
            .ledger
            .candidates()
            .map(|c| {
                c.nodes
                    .iter()
                    .filter_map(|n| {
                        Some(PeerAddr {
                            key: *n.key.as_bytes(),
                            addr: n.address.parse().ok()?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }));
    let gossip_net = net.clone();
    node.set_gossip(Box::new(move |hash, bytes| {
        gossip_net.gossip_tx(hash.0, bytes)
    }));

    let candidates: engine::Candidates = Arc::default();
    let status = Arc::new(Mutex::new(EngineStatus::default()));
    let (engine, events) = engine::Engine::new(
        Arc::clone(&node),
        net.clone(),
        key,
        chain_id,
        config,
        candidates,
        Arc::clone(&status),
    );
    let sync_state = Arc::new(sync::SyncState::default());
    let mut tasks = vec![
        tokio::spawn(engine.run(shutdown.clone())),
        tokio::spawn(vault_sync::run(
            Arc::clone(&node),
            net.clone(),
            shutdown.clone(),
        )),
    ];
    let mut readers = Vec::new();

    // Consensus channels: decode, or drop the connection.
    for (mut inbox, name) in [
        (inboxes.proposals, "malformed-proposal"),
        (inboxes.votes, "malformed-vote"),
    ] {
        let net = net.clone();
        let events = events.clone();
        readers.push(tokio::spawn(async move {
            while let Some(m) = inbox.recv().await {
                match codec::ConsensusMessage::decode(&m.payload) {
                    Ok(msg) => {
                        if events.send(engine::Event::Message(msg)).await.is_err() {
                            return;
                        }
                    }
                    Err(_) => net.disconnect(&m.from, name),
                }
            }
        }));
    }
    // Transactions: verify and admit; never forwarded (full mesh).
    {
        let net = net.clone();
        let node = Arc::clone(&node);
        let mut inbox = inboxes.txs;
        readers.push(tokio::spawn(async move {
            while let Some(m) = inbox.recv().await {
                // Admission decodes (once: decoding decompresses every
                // point, a fifth of a transfer's cost); a peer that sends
                // bytes that do not decode is dropped.
                let hash = veil_tx::Transaction::hash_of(&m.payload);
                net.mark_known(&m.from, hash.0);
                let (node, net) = (Arc::clone(&node), net.clone());
                tokio::spawn(async move {
                    if let Err(
                        veil_node::SubmitError::Malformed(_) | veil_node::SubmitError::TooLarge(_),
                    ) = node.submit_from_peer(&m.payload).await
                    {
                        net.disconnect(&m.from, "malformed-tx");
                    }
                });
            }
        }));
    }
    // Tip announcements.
    {
        let net = net.clone();
        let state = Arc::clone(&sync_state);
        let mut inbox = inboxes.status;
        readers.push(tokio::spawn(async move {
            while let Some(m) = inbox.recv().await {
                match sync::decode_status(&m.payload) {
                    Ok((h, _)) => {
                        state
                            .tips
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(m.from, h);
                    }
                    Err(_) => net.disconnect(&m.from, "malformed-status"),
                }
            }
        }));
    }
    {
        let net = net.clone();
        let mut shutdown = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.wait_for(|s| *s) => break,
                    () = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
                }
                let closed = net.enforce_allow_list();
                if closed > 0 {
                    tracing::info!(
                        closed,
                        "closed connections of nodes removed from the ledger"
                    );
                }
            }
        }));
    }
    tasks.push(tokio::spawn(sync::run(
        Arc::clone(&node),
        net.clone(),
        Arc::clone(&sync_state),
        events,
        state_sync_after,
        shutdown,
    )));
    Ok(Consensus {
        net,
        status,
        sync: sync_state,
        tasks,
        readers,
    })
}
