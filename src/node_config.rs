//! `veil node --config FILE`: a validator's or observer's settings.
//!
//! ```toml
//! node_key = "node.key"            # encrypted keystore (kind "node"); passphrase from
//!                                  # $VEIL_NODE_PASSPHRASE
//! listen = "127.0.0.1:9710"        # QUIC (UDP)
//! api = "127.0.0.1:8710"           # HTTP API
//! data_dir = "node0"               # RocksDB under <data_dir>/db
//! genesis = "genesis.toml"
//! no_sync = false                  # fsync each block (default)
//!
//! [vault]                          # optional: evidence-vault limits
//! max_document_mib = 1024          # largest document version (ciphertext)
//! quota_mib = 16384                # most ciphertext per owner
//! repair_interval_ms = 30000       # check for missing chunks; fetch them from peers
//! scrub_interval_ms = 3600000      # re-hash every chunk held
//!
//! [[peer]]
//! key = "<64 hex>"                 # its node key
//! addr = "127.0.0.1:9711"
//! ```
//!
//! Relative paths are relative to the config file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::net::PeerAddr;

/// Keystore kind of node keys.
pub const NODE_KEY_KIND: &str = "node";

/// A peer entry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeerEntry {
    /// Node key, hex.
    pub key: String,
    /// UDP address.
    pub addr: SocketAddr,
}

/// A node config file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NodeFile {
    /// Path of the encrypted node key.
    pub node_key: PathBuf,
    /// QUIC listen address.
    pub listen: SocketAddr,
    /// API listen address.
    pub api: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Genesis file.
    pub genesis: PathBuf,
    /// Skip the per-block fsync.
    #[serde(default)]
    pub no_sync: bool,
    /// Blocks behind the best peer beyond which the node copies a checked
    /// state snapshot instead of replaying blocks (0: never; default 1000).
    #[serde(default = "default_state_sync_after")]
    pub state_sync_after: u64,
    /// Batch blocks: a proposer waits until this many transactions wait
    /// (or the block bound is reached), for at most `block_wait_ms`
    /// (0, the default: propose as soon as anything waits).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub block_min_txs: usize,
    /// Longest a proposer waits for `block_min_txs`, ms.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub block_wait_ms: u64,
    /// The consensus propose timeout of round 0, ms (default 2,500); raise
    /// it above `block_wait_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propose_timeout_ms: Option<u64>,
    /// Evidence-vault limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<VaultFile>,
    /// Peers.
    #[serde(default, rename = "peer")]
    pub peers: Vec<PeerEntry>,
}

/// `[vault]`: what this node accepts into its document store.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VaultFile {
    /// Largest document version, MiB of ciphertext (default 1024).
    #[serde(default)]
    pub max_document_mib: Option<u64>,
    /// Most ciphertext one owner keeps over its live versions, MiB
    /// (default 16384).
    #[serde(default)]
    pub quota_mib: Option<u64>,
    /// How often the node checks it holds every live version's chunks
    /// and fetches what it lacks from peers, ms (default 30,000).
    #[serde(default)]
    pub repair_interval_ms: Option<u64>,
    /// How often it re-hashes every chunk it holds, ms (default
    /// 3,600,000).
    #[serde(default)]
    pub scrub_interval_ms: Option<u64>,
}

impl VaultFile {
    /// These limits over the defaults.
    pub fn limits(&self) -> crate::node::vault::VaultLimits {
        let mut l = crate::node::vault::VaultLimits::default();
        if let Some(m) = self.max_document_mib {
            l.max_document_bytes = m.saturating_mul(1 << 20);
        }
        if let Some(q) = self.quota_mib {
            l.quota_bytes = q.saturating_mul(1 << 20);
        }
        if let Some(ms) = self.repair_interval_ms {
            l.repair_interval = std::time::Duration::from_millis(ms.max(10));
        }
        if let Some(ms) = self.scrub_interval_ms {
            l.scrub_interval = std::time::Duration::from_millis(ms.max(10));
        }
        l
    }
}

fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn default_state_sync_after() -> u64 {
    crate::consensus::engine::DEFAULT_STATE_SYNC_AFTER
}

impl NodeFile {
    /// Loads `path`, resolving relative paths against its directory.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let mut f: Self =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut f.node_key, &mut f.data_dir, &mut f.genesis] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(f)
    }

    /// The peers, decoded.
    pub fn peer_addrs(&self) -> anyhow::Result<Vec<PeerAddr>> {
        self.peers
            .iter()
            .map(|p| {
                let key: [u8; 32] = hex::decode(&p.key)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| anyhow::anyhow!("peer key {} is not 32 bytes of hex", p.key))?;
                Ok(PeerAddr { key, addr: p.addr })
            })
            .collect()
    }

    /// The TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_limits_come_from_the_file_and_typos_are_refused() {
        let base = "node_key = \"k\"\nlisten = \"127.0.0.1:1\"\napi = \"127.0.0.1:2\"\ndata_dir = \"d\"\ngenesis = \"g\"\n";
        let f: NodeFile = toml::from_str(&format!("{base}[vault]\nquota_mib = 4\n")).unwrap();
        let l = f.vault.unwrap().limits();
        assert_eq!(l.quota_bytes, 4 << 20);
        assert_eq!(
            l.max_document_bytes,
            crate::node::vault::VaultLimits::default().max_document_bytes
        );
        assert!(toml::from_str::<NodeFile>(&format!("{base}[vault]\nquota = 4\n")).is_err());
        assert!(toml::from_str::<NodeFile>(base).unwrap().vault.is_none());
    }
}
