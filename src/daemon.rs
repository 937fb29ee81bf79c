//! Process wiring: a node with its HTTP API, and either the single-node
//! block producer (`node --dev`) or the QUIC network and consensus engine
//! of a validator. This is the one place that knows every layer.

use std::path::Path;
use std::sync::Arc;

use crate::node::{Node, NodeConfig, NodeError};

/// Opens a validator's node: installs a checked state snapshot that state
/// sync left to install (before RocksDB opens the directory), then opens
/// the database.
pub fn open_validator(config: NodeConfig) -> anyhow::Result<Arc<Node>> {
    install_snapshot(&config.data_dir)?;
    Ok(Node::open(config)?)
}

/// Installs a state snapshot waiting under `data_dir`, if any.
pub fn install_snapshot(data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    if crate::consensus::snapshot::install_pending(data_dir)
        .map_err(|e| anyhow::anyhow!("installing the state snapshot: {e}"))?
    {
        tracing::info!("installed a checked state snapshot");
    }
    Ok(())
}

/// A node serving its API and producing blocks.
pub struct Running {
    /// The node.
    pub node: Arc<Node>,
    /// The API's bound address.
    pub api_addr: std::net::SocketAddr,
    shutdown: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    consensus: Option<crate::consensus::Consensus>,
}

/// How a node joins a network of validators.
pub struct NetworkSettings {
    /// The node key (the proposer key in `NodeConfig` must match it).
    pub key: Arc<crate::crypto::signing::SigningKey>,
    /// UDP address for QUIC.
    pub listen: std::net::SocketAddr,
    /// Peers to connect to.
    pub peers: Vec<crate::net::PeerAddr>,
    /// Consensus timeouts.
    pub engine: crate::consensus::EngineConfig,
}

async fn serve_api(
    node: &Arc<Node>,
    cluster: Option<crate::consensus::ClusterView>,
    api_addr: std::net::SocketAddr,
    watch: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(api_addr).await?;
    let api_addr = listener.local_addr()?;
    let mut server_watch = watch;
    let app = crate::api::router(Arc::clone(node), cluster);
    let server = tokio::spawn(async move {
        let stop = async move {
            let _ = server_watch.wait_for(|s| *s).await;
        };
        let listener = match crate::api::listener::CheckedListener::new(listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "API listener failed");
                return;
            }
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "API server failed");
        }
    });
    Ok((api_addr, server))
}

/// Starts the API and joins a validator network: QUIC transport, gossip,
/// sync and the consensus engine (no local block producer).
pub async fn start_network(
    node: Arc<Node>,
    api_addr: std::net::SocketAddr,
    settings: NetworkSettings,
) -> std::io::Result<Running> {
    let (shutdown, watch) = tokio::sync::watch::channel(false);
    let consensus = crate::consensus::start(
        Arc::clone(&node),
        settings.key,
        settings.listen,
        settings.peers,
        settings.engine,
        watch.clone(),
    )
    .map_err(std::io::Error::other)?;
    let (api_addr, server) = serve_api(&node, Some(consensus.view()), api_addr, watch).await?;
    Ok(Running {
        node,
        api_addr,
        shutdown,
        tasks: vec![server],
        consensus: Some(consensus),
    })
}

/// Starts the API on `api_addr` (port 0 for an ephemeral port) and the
/// block producer.
pub async fn start(node: Arc<Node>, api_addr: std::net::SocketAddr) -> std::io::Result<Running> {
    let (shutdown, watch) = tokio::sync::watch::channel(false);
    let (api_addr, server) = serve_api(&node, None, api_addr, watch.clone()).await?;
    let producer = tokio::spawn(crate::node::run_producer(Arc::clone(&node), watch));
    Ok(Running {
        node,
        api_addr,
        shutdown,
        tasks: vec![server, producer],
        consensus: None,
    })
}

impl Running {
    /// Stops serving, lets the block in progress finish, flushes the
    /// database.
    pub async fn stop(self) -> Result<(), NodeError> {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        if let Some(c) = self.consensus {
            c.join().await;
        }
        self.node.flush()
    }
}
