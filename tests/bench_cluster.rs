//! `veil bench cluster` end to end on a small load: both networks start,
//! every transfer commits on every node, and gossip sends each transfer
//! once over each link from its origin (3 frames with 4 validators).
//! No timing is asserted; the figures are in `docs/performance.md`.

mod common;

use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_veil");

#[test]
fn bench_cluster_reports_finality_throughput_and_gossip() {
    // A free block below the ephemeral range (the bench uses base + 0..10
    // for APIs, base + 20..30 and base + 60.. for QUIC).
    let base = common::cluster::base_port();
    let out = Command::new(EXE)
        .args([
            "--json",
            "bench",
            "cluster",
            "--validators",
            "4",
            "--txs",
            "24",
        ])
        .args(["--light", "4", "--light-rate", "20", "--clients", "4"])
        .args(["--api-base-port", &base.to_string()])
        .args(["--p2p-base-port", &(base + 20).to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (net, validators) in [("cluster", 4), ("single_node", 1)] {
        let n = &r[net];
        assert_eq!(n["validators"], validators, "{r}");
        assert_eq!(n["light_load"]["finality"]["count"], 4, "{r}");
        assert_eq!(n["throughput"]["finality"]["count"], 20, "{r}");
        assert!(n["committed_txs_per_s"].as_f64().unwrap() > 0.0, "{r}");
        assert!(
            n["light_load"]["finality"]["p99_ms"].as_f64().unwrap() > 0.0,
            "{r}"
        );
    }
    let g = &r["cluster"]["gossip"];
    assert_eq!(g["links"], 6);
    assert_eq!(g["tx_frames_per_tx"].as_f64(), Some(3.0), "{r}");
    let per_crossing = g["tx_channel_bytes_per_tx_per_crossing"].as_f64().unwrap();
    let tx = r["cluster"]["mean_tx_bytes"].as_f64().unwrap();
    assert!((per_crossing - tx - 4.0).abs() < 1.0, "{r}");
    assert!(r["cluster_vs_single_tps"].as_f64().unwrap() > 0.0);
}
