//! What an operator looks at: the node's health (disk, peers, alerts,
//! recent warnings) and its own last hour of samples.

use std::path::Path as FsPath;
use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};

use veil_node::Node;

use crate::types::{AlertJson, HealthJson, HistoryJson};
use crate::{ApiError, ApiResult, Cluster};

/// A block older than this, with transactions waiting (or on a network,
/// which makes blocks every second), means the node is stalled.
pub const STALLED_AFTER_S: u64 = 30;
/// Free disk below this share of the file system is an alert.
pub const DISK_LOW_PERCENT: u64 = 10;
/// The mempool above this share of its capacity is an alert.
pub const MEMPOOL_HIGH_PERCENT: usize = 80;
/// Errors logged within this many seconds are an alert.
pub const RECENT_ERRORS_S: u64 = 600;
/// Files counted under the data directory at most (the walk stops there).
const MAX_FILES: usize = 100_000;

/// The node's samples of the last hour.
#[utoipa::path(get, path = "/v1/node/history", responses((status = 200, body = HistoryJson)))]
pub(crate) async fn history(State(node): State<Arc<Node>>) -> ApiResult<HistoryJson> {
    Ok(Json(HistoryJson {
        interval_s: veil_node::history::SAMPLE_INTERVAL.as_secs(),
        samples: node.history.samples(),
    }))
}

/// The node's health: disk, peers, alerts and recent warnings.
#[utoipa::path(get, path = "/v1/node/health", responses((status = 200, body = HealthJson)))]
pub(crate) async fn health(
    State(node): State<Arc<Node>>,
    Extension(Cluster(cluster)): Extension<Cluster>,
) -> ApiResult<HealthJson> {
    let db = node.config().data_dir.join("db");
    let (data_bytes, disk) = tokio::task::spawn_blocking(move || (dir_bytes(&db), disk(&db)))
        .await
        .map_err(ApiError::internal)?;
    let tip = node.ledger.tip();
    let head = node.ledger.header(tip.height).map_err(ApiError::internal)?;
    let now = node.now_ms();
    let last_block_age_s = head.map_or(0, |h| now.saturating_sub(h.timestamp_ms) / 1000);
    let (pool_txs, pool_bytes) = {
        let pool = node.mempool();
        (pool.len(), pool.bytes())
    };
    let limits = node.config().mempool;
    let peers = crate::peers_json(cluster.as_ref());
    let events = veil_node::history::recent_events();

    let mut alerts = Vec::new();
    let mut alert = |severity: &str, code: &str, message: String| {
        alerts.push(AlertJson {
            severity: severity.into(),
            code: code.into(),
            message,
        });
    };
    if last_block_age_s > STALLED_AFTER_S && (pool_txs > 0 || cluster.is_some()) {
        alert(
            "critical",
            "stalled",
            format!(
                "no block for {last_block_age_s} s{}",
                if pool_txs > 0 {
                    format!(" with {pool_txs} transaction(s) waiting")
                } else {
                    String::new()
                }
            ),
        );
    }
    if pool_txs * 100 > limits.max_count * MEMPOOL_HIGH_PERCENT
        || pool_bytes * 100 > limits.max_bytes * MEMPOOL_HIGH_PERCENT
    {
        alert(
            "warning",
            "mempool-full",
            format!(
                "the mempool holds {pool_txs} of {} transactions, {pool_bytes} of {} bytes; submitters get 503 when it is full",
                limits.max_count, limits.max_bytes
            ),
        );
    }
    if let Some((free, total)) = disk {
        if total > 0 && free.saturating_mul(100) < total.saturating_mul(DISK_LOW_PERCENT) {
            alert(
                "critical",
                "disk-low",
                format!("{free} bytes free of {total} on the database's file system"),
            );
        }
    }
    if let Some(c) = &cluster {
        if c.sync.syncing.load(std::sync::atomic::Ordering::Relaxed) {
            alert(
                "warning",
                "syncing",
                "catching up with peers; this node's view is behind".into(),
            );
        }
        let validators = node.ledger.validators().map_err(ApiError::internal)?.len();
        if peers.is_empty() {
            alert(
                "critical",
                "isolated",
                "no peer is connected; this node cannot take part in consensus".into(),
            );
        } else if validators > 1 && peers.len() + 1 < validators {
            alert(
                "warning",
                "peers-low",
                format!(
                    "{} peer(s) connected; the network has {validators} validators",
                    peers.len()
                ),
            );
        }
        let eq = c
            .engine
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .equivocations;
        if eq > 0 {
            alert(
                "critical",
                "equivocation",
                format!("{eq} equivocation(s) recorded as evidence; see the governance page"),
            );
        }
    }
    let recent_errors = events
        .iter()
        .filter(|e| e.level == "ERROR" && now.saturating_sub(e.time_ms) < RECENT_ERRORS_S * 1000)
        .count();
    if recent_errors > 0 {
        alert(
            "warning",
            "errors-logged",
            format!(
                "{recent_errors} error(s) logged in the last {} minutes",
                RECENT_ERRORS_S / 60
            ),
        );
    }
    alerts.sort_by_key(|a| a.severity != "critical");
    Ok(Json(HealthJson {
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_s: node.history.uptime().as_secs(),
        height: tip.height,
        last_block_age_s,
        data_bytes,
        disk_free_bytes: disk.map(|d| d.0),
        disk_total_bytes: disk.map(|d| d.1),
        mempool_max_txs: limits.max_count,
        mempool_max_bytes: limits.max_bytes,
        peers,
        alerts,
        events,
    }))
}

/// Bytes of the files under `dir` (not following links; at most
/// [`MAX_FILES`] files).
fn dir_bytes(dir: &FsPath) -> u64 {
    let mut total = 0u64;
    let mut files = 0usize;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else if meta.is_file() {
                total = total.saturating_add(meta.len());
                files += 1;
                if files >= MAX_FILES {
                    return total;
                }
            }
        }
    }
    total
}

/// Free and total bytes of the file system holding `path`.
fn disk(path: &FsPath) -> Option<(u64, u64)> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some((
        s.f_bavail.saturating_mul(s.f_frsize),
        s.f_blocks.saturating_mul(s.f_frsize),
    ))
}
