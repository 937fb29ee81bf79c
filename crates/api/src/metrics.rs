//! `/metrics`: the node's Prometheus registry, plus the network's counters
//! when the node is a validator.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Extension;
use veil_node::Node;

use super::*;

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "OpenMetrics 1.0 text (ends with `# EOF`)", content_type = "application/openmetrics-text")))]
pub(crate) async fn metrics(
    State(node): State<Arc<Node>>,
    Extension(Cluster(cluster)): Extension<Cluster>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        {
            let mut text = node.metrics.encode();
            let eof = text.ends_with("# EOF\n");
            if eof {
                text.truncate(text.len() - "# EOF\n".len());
            }
            text.push_str(&governance_metrics(&node));
            text.push_str(&vault_metrics(&node));
            text.push_str(&process_metrics());
            if let Some(c) = &cluster {
                text.push_str(&net_metrics(&c.net));
            }
            if eof {
                text.push_str("# EOF\n");
            }
            text
        },
    )
}

/// Evidence-vault replication, repair and scrub counters.
fn vault_metrics(node: &Node) -> String {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering::Relaxed;
    let c = &node.vault().counters;
    let mut s = String::new();
    for (name, kind, help, v) in [
        (
            "veil_vault_fetched_chunks",
            "counter",
            "Vault chunks fetched from peers and stored.",
            c.fetched_chunks.load(Relaxed),
        ),
        (
            "veil_vault_fetched_manifests",
            "counter",
            "Vault manifests fetched from peers and stored.",
            c.fetched_manifests.load(Relaxed),
        ),
        (
            "veil_vault_refused",
            "counter",
            "Vault chunks or manifests from peers refused: they did not match their address.",
            c.refused.load(Relaxed),
        ),
        (
            "veil_vault_scrub_removed",
            "counter",
            "Corrupt vault chunks or manifests the scrub removed here.",
            c.scrub_removed.load(Relaxed),
        ),
        (
            "veil_vault_missing_chunks",
            "gauge",
            "Chunks of live document versions this node lacked at its last check.",
            c.missing.load(Relaxed),
        ),
    ] {
        let suffix = if kind == "counter" { "_total" } else { "" };
        let _ = writeln!(
            s,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{suffix} {v}"
        );
    }
    s
}

/// Validator-set size and power, and proposals by status, read from
/// ledger state.
fn governance_metrics(node: &Node) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let set = node.ledger.validators().unwrap_or_default();
    let voting = set.iter().filter(|(_, p)| *p > 0).count();
    let power: u64 = set.iter().map(|(_, p)| *p).sum();
    let _ = writeln!(
        s,
        "# HELP veil_validators Validators with voting power for the next block.\n# TYPE veil_validators gauge\nveil_validators {voting}"
    );
    let _ = writeln!(
        s,
        "# HELP veil_validator_power Total voting power for the next block.\n# TYPE veil_validator_power gauge\nveil_validator_power {power}"
    );
    let _ = writeln!(
        s,
        "# HELP veil_allowed_nodes Registered nodes (validators, candidates, observers).\n# TYPE veil_allowed_nodes gauge\nveil_allowed_nodes {}",
        set.len()
    );
    let mut by_status: std::collections::BTreeMap<&'static str, u64> = [
        "voting", "passed", "rejected", "vetoed", "expired", "failed",
    ]
    .into_iter()
    .map(|k| (k, 0))
    .collect();
    for p in node.ledger.proposals(usize::MAX).unwrap_or_default() {
        *by_status.entry(p.status.as_str()).or_default() += 1;
    }
    let _ = writeln!(
        s,
        "# HELP veil_proposals Governance proposals by status.\n# TYPE veil_proposals gauge"
    );
    for (status, n) in by_status {
        let _ = writeln!(s, "veil_proposals{{status=\"{status}\"}} {n}");
    }
    s
}

/// The network's counters in the exposition format (appended to the
/// registry's text, before its `# EOF`).
fn net_metrics(net: &veil_net::Network) -> String {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering;
    let c = net.counters();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# HELP veil_peers Admitted peers.\n# TYPE veil_peers gauge"
    );
    let _ = writeln!(s, "veil_peers {}", net.peers().len());
    let _ = writeln!(
        s,
        "# HELP veil_net_sent_bytes Bytes sent per channel (all peers).\n# TYPE veil_net_sent_bytes counter"
    );
    for ch in veil_net::Channel::ALL {
        let i = usize::from(ch.id());
        let _ = writeln!(
            s,
            "veil_net_sent_bytes_total{{channel=\"{}\"}} {}",
            ch.name(),
            c.sent_bytes[i].load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        s,
        "# HELP veil_net_sent_frames Frames sent per channel (all peers).\n# TYPE veil_net_sent_frames counter"
    );
    for ch in veil_net::Channel::ALL {
        let i = usize::from(ch.id());
        let _ = writeln!(
            s,
            "veil_net_sent_frames_total{{channel=\"{}\"}} {}",
            ch.name(),
            c.sent_frames[i].load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        s,
        "# HELP veil_peer_refusals Connections refused or closed, by reason.\n# TYPE veil_peer_refusals counter"
    );
    for (reason, n) in c.refusals() {
        let _ = writeln!(s, "veil_peer_refusals_total{{reason=\"{reason}\"}} {n}");
    }
    let _ = writeln!(
        s,
        "# HELP veil_net_dropped_frames Frames dropped on full send queues.\n# TYPE veil_net_dropped_frames counter"
    );
    let _ = writeln!(
        s,
        "veil_net_dropped_frames_total {}",
        c.dropped_frames.load(Ordering::Relaxed)
    );
    s
}

/// The standard process metrics (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, `process_open_fds`,
/// `process_start_time_seconds`), read from Linux's `/proc/self` as
/// proc(5) documents it (no maintained crate exposes them for
/// `prometheus-client`); nothing elsewhere.
fn process_metrics() -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    // proc(5): fields after the parenthesised command name; utime and
    // stime are fields 14 and 15, starttime 22, in clock ticks (USER_HZ,
    // 100 on every Linux ABI Veil runs on).
    const TICKS: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<f64>().ok());
    if let (Some(u), Some(st)) = (field(14), field(15)) {
        let _ = writeln!(
            s,
            "# HELP process_cpu_seconds Total user and system CPU time.\n# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total {}",
            (u + st) / TICKS
        );
    }
    let rss_kib = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    if let Some(kib) = rss_kib {
        let _ = writeln!(
            s,
            "# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}",
            kib * 1024
        );
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        let _ = writeln!(
            s,
            "# HELP process_open_fds Open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds {}",
            dir.count()
        );
    }
    let boot = std::fs::read_to_string("/proc/stat")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    if let (Some(boot), Some(start)) = (boot, field(22)) {
        let _ = writeln!(
            s,
            "# HELP process_start_time_seconds Start time since the Unix epoch.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {}",
            boot + start / TICKS
        );
    }
    s
}
