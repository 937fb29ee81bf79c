//! Crash consistency: a child `veil node` process is killed with SIGKILL in
//! the middle of a stream of transfers and blocks, restarted, and must hold
//! every transaction it reported committed, with a state root equal to a
//! replay of its blocks from genesis.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, SeedableRng};
use veil::api::types::BlocksJson;
use veil::dev::DevNetwork;
use veil::ledger::block::{BlockHash, Header};
use veil::ledger::chain::StoredBlock;
use veil::ledger::store::MemoryStore;
use veil::ledger::{genesis, replay, Ledger};
use veil::tx::{AssetId, Transaction, TxHash};
use veil::wallet::client::HttpSource;
use veil::wallet::source::{ChainSource, TxStatus};
use veil::wallet::Wallet;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(genesis: &std::path::Path, data: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_veil"))
        .args(["node", "--genesis"])
        .arg(genesis)
        .arg("--data-dir")
        .arg(data)
        .args([
            "--api",
            &format!("127.0.0.1:{port}"),
            "--block-interval-ms",
            "60",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_ready(src: &HttpSource) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while src.status().is_err() {
        assert!(Instant::now() < deadline, "node did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

#[test]
fn sigkill_mid_stream_loses_nothing_committed() {
    let network =
        DevNetwork::generate(&mut ChaCha20Rng::seed_from_u64(77), 1_700_000_000_000).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let genesis_file = dir.path().join("genesis.toml");
    std::fs::write(&genesis_file, network.genesis.to_toml()).unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let src = HttpSource::new(&format!("http://127.0.0.1:{port}"));
    let mut child = spawn(&genesis_file, &data, port);
    wait_ready(&src);

    // 32 independent transfers (one genesis input each).
    let asset = AssetId::new("CNY").unwrap();
    let mut a = Wallet::from_seed(&network.bank_a_seed, "a");
    let mut b = Wallet::from_seed(&network.bank_b_seed, "b");
    a.scan(&src, 50, &mut |_, _| {}).unwrap();
    b.scan(&src, 50, &mut |_, _| {}).unwrap();
    let mut txs = Vec::new();
    for i in 0..16u64 {
        txs.push(
            a.prepare_transfer(&src, &asset, b.address(), 1_000 + i, b"", 0, 16, &mut OsRng)
                .unwrap(),
        );
        txs.push(
            b.prepare_transfer(&src, &asset, a.address(), 2_000 + i, b"", 0, 16, &mut OsRng)
                .unwrap(),
        );
    }

    // Stream them; SIGKILL once a few blocks have committed, mid-stream.
    let mut committed: BTreeMap<TxHash, u64> = BTreeMap::new();
    let mut submitted: Vec<TxHash> = Vec::new();
    let mut killed = false;
    for tx in &txs {
        if let Ok(h) = src.submit(tx) {
            submitted.push(h);
        }
        std::thread::sleep(Duration::from_millis(25));
        for h in &submitted {
            if let Ok(TxStatus::Committed(height)) = src.tx_status(h) {
                committed.insert(*h, height);
            }
        }
        let heights: std::collections::BTreeSet<u64> = committed.values().copied().collect();
        if heights.len() >= 3 && submitted.len() < txs.len() - 4 {
            killed = true;
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL, mid-stream
    child.wait().unwrap();
    assert!(killed, "the stream ended before the kill");
    assert!(!committed.is_empty());

    // Restart on the same data.
    let mut child = spawn(&genesis_file, &data, port);
    wait_ready(&src);
    for (h, height) in &committed {
        assert_eq!(
            src.tx_status(h).unwrap(),
            TxStatus::Committed(*height),
            "lost committed tx {h}"
        );
    }

    // Replay every block from genesis in memory: identical headers, same root.
    let status = src.status().unwrap();
    let replayed = Arc::new(Ledger::open(Arc::new(MemoryStore::new())).unwrap());
    genesis::initialize(&replayed, &network.genesis).unwrap();
    let mut from = 1;
    while from <= status.height {
        let blocks: BlocksJson = serde_json::from_value(
            src.get_json(&format!("/v1/blocks?from={from}&limit=100"))
                .unwrap(),
        )
        .unwrap();
        for b in blocks.blocks {
            let h = &b.header;
            let header = Header {
                chain_id: veil::wire::block::ChainId::new(&h.chain_id).unwrap(),
                height: h.height,
                parent: BlockHash(hex32(&h.parent)),
                timestamp_ms: h.timestamp_ms,
                tx_root: hex32(&h.tx_root),
                state_root: hex32(&h.state_root),
                proposer: hex32(&h.proposer),
                tx_count: h.tx_count,
            };
            assert_eq!(header.hash().to_string(), h.hash);
            let txs = b
                .txs
                .iter()
                .map(|t| Transaction::decode(&hex::decode(&t.hex).unwrap()).unwrap())
                .collect();
            replay::replay_block(&replayed, StoredBlock { header, txs }).unwrap();
            from = h.height + 1;
        }
    }
    assert_eq!(hex::encode(replayed.tip().state_root), status.state_root);
    assert_eq!(replayed.tip().height, status.height);

    // The restarted node keeps working.
    let mut a2 = Wallet::from_seed(&network.bank_a_seed, "a");
    a2.scan(&src, 50, &mut |_, _| {}).unwrap();
    let tx = a2
        .prepare_transfer(
            &src,
            &asset,
            b.address(),
            5,
            b"after crash",
            0,
            16,
            &mut OsRng,
        )
        .unwrap();
    veil::wallet::submit_and_wait(&src, &tx, Duration::from_secs(30)).unwrap();
    unsafe_free_terminate(&mut child);
}

fn unsafe_free_terminate(child: &mut Child) {
    // SIGTERM via the `kill` command (no unsafe libc call), then wait.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
}
