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
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
pub(crate) async fn metrics(
    State(node): State<Arc<Node>>,
    Extension(Cluster(cluster)): Extension<Cluster>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        {
            let mut text = node.metrics.encode();
            if let Some(c) = &cluster {
                let eof = text.ends_with("# EOF\n");
                if eof {
                    text.truncate(text.len() - "# EOF\n".len());
                }
                text.push_str(&net_metrics(&c.net));
                if eof {
                    text.push_str("# EOF\n");
                }
            }
            text
        },
    )
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
        "veil_net_dropped_frames_total {}",
        c.dropped_frames.load(Ordering::Relaxed)
    );
    s
}
