//! An in-process node on a temporary directory, served on an ephemeral port.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use veil::daemon::Running;
use veil::dev::DevNetwork;
use veil::node::{Node, NodeConfig};
use veil::wallet::client::HttpSource;
use veil::wallet::Wallet;

pub struct TestNode {
    pub rt: tokio::runtime::Runtime,
    pub dir: tempfile::TempDir,
    pub network: DevNetwork,
    pub running: Option<Running>,
    /// Changes to the node's configuration, applied at every boot.
    pub configure: fn(&mut NodeConfig),
}

impl TestNode {
    pub fn start(seed: u64) -> Self {
        Self::start_with(seed, |_| {})
    }

    /// Starts a node whose dev genesis `edit` changed first.
    pub fn start_with(seed: u64, edit: impl FnOnce(&mut DevNetwork)) -> Self {
        Self::start_full(seed, edit, |_| {})
    }

    /// Starts a node whose configuration `configure` changed.
    pub fn start_configured(seed: u64, configure: fn(&mut NodeConfig)) -> Self {
        Self::start_full(seed, |_| {}, configure)
    }

    fn start_full(
        seed: u64,
        edit: impl FnOnce(&mut DevNetwork),
        configure: fn(&mut NodeConfig),
    ) -> Self {
        let mut network =
            DevNetwork::generate(&mut ChaCha20Rng::seed_from_u64(seed), 1_700_000_000_000).unwrap();
        edit(&mut network);
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut n = Self {
            rt,
            dir,
            network,
            running: None,
            configure,
        };
        n.boot();
        n
    }

    pub fn config(&self) -> NodeConfig {
        let mut c = NodeConfig::new(self.dir.path().to_path_buf(), self.network.genesis.clone());
        c.block_interval = Duration::from_millis(40);
        c.sync_writes = false;
        (self.configure)(&mut c);
        c
    }

    pub fn boot(&mut self) {
        let node = Node::open(self.config()).unwrap();
        self.running = Some(
            self.rt
                .block_on(veil::daemon::start(node, "127.0.0.1:0".parse().unwrap()))
                .unwrap(),
        );
    }

    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop()).unwrap();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.boot();
    }

    pub fn node(&self) -> &Arc<Node> {
        &self.running.as_ref().unwrap().node
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.running.as_ref().unwrap().api_addr)
    }

    pub fn source(&self) -> HttpSource {
        HttpSource::new(&self.url())
    }

    pub fn bank_a(&self) -> Wallet {
        Wallet::from_seed(&self.network.bank_a_seed, "bank-a")
    }

    pub fn bank_b(&self) -> Wallet {
        Wallet::from_seed(&self.network.bank_b_seed, "bank-b")
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.stop();
    }
}
