//! A real 4-validator network: `veil node --config` child processes on
//! 127.0.0.1, QUIC between them, Malachite deciding every block.
//!
//! One scenario, in order (each step needs the previous one's state):
//! agreement on a transfer submitted to one node; a SIGKILLed validator
//! does not stop the other three; a stranger's key cannot connect; a peer
//! sending garbage or oversized frames is disconnected; the killed node
//! restarts, syncs and agrees; with two of four down nothing commits; with
//! three back (one by state sync), blocks commit again; an equivocating
//! validator (driven from this test with that validator's key: two
//! proposals and two prevotes for one height) breaks nothing, its double
//! votes go on the ledger and it is tombstoned and leaves the set.

mod common;

use std::time::Duration;
use veil::codec::Encode;
use veil::wire::block::ChainId;

use common::http::get;
use serde_json::Value;
use veil::consensus::codec::{self, ConsensusMessage};
use veil::consensus::context::{BlockValue, Height, NodeId, NodeSignature, Proposal, Vote};
use veil::crypto::signing::SigningKey;
use veil::ledger::block::{tx_root, BlockHash, Header};

use common::cluster::{dial, veil, Net};
use veil::cli::testnet;

async fn send_frame(conn: &quinn::Connection, channel: u8, frame: &[u8]) {
    let mut s = conn.open_uni().await.unwrap();
    s.write_all(&[channel]).await.unwrap();
    s.write_all(frame).await.unwrap();
    let _ = s.finish();
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut f = u32::try_from(payload.len()).unwrap().to_le_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

async fn closed_within(conn: &quinn::Connection, d: Duration) -> bool {
    tokio::time::timeout(d, conn.closed()).await.is_ok()
}

fn bogus_value(chain: &ChainId, height: u64, proposer: [u8; 32], stamp: u64) -> BlockValue {
    let header = Header {
        chain_id: chain.clone(),
        height,
        parent: BlockHash([u8::try_from(stamp).unwrap(); 32]),
        timestamp_ms: stamp,
        tx_root: tx_root(&[]),
        state_root: [0; 32],
        proposer,
        tx_count: 0,
    };
    BlockValue::new(&header, Vec::new())
}

/// Two proposals and two prevotes for the same height and round, signed by
/// `key`, sent to every live node.
async fn equivocate(conns: &[quinn::Connection], key: &SigningKey, chain: &ChainId, height: u64) {
    let me = NodeId(*key.public().as_bytes());
    for round in 0..3u32 {
        for stamp in [1u64, 2] {
            let value = bogus_value(chain, height, me.0, stamp);
            let p = Proposal {
                height: Height(height),
                round: arc_malachitebft_core_types::Round::new(round),
                value: value.clone(),
                pol_round: arc_malachitebft_core_types::Round::Nil,
                proposer: me,
            };
            let sig = key.sign(&codec::proposal_sign_bytes(chain, &p));
            let msg = ConsensusMessage::Proposal(arc_malachitebft_core_types::SignedMessage::new(
                p,
                NodeSignature(sig.0),
            ));
            let v = Vote {
                kind: arc_malachitebft_core_types::VoteType::Prevote,
                height: Height(height),
                round: arc_malachitebft_core_types::Round::new(round),
                value: arc_malachitebft_core_types::NilOrVal::Val(value.hash),
                validator: me,
            };
            let sig = key.sign(&codec::vote_sign_bytes(chain, &v));
            let vote = ConsensusMessage::Vote(arc_malachitebft_core_types::SignedMessage::new(
                v,
                NodeSignature(sig.0),
            ));
            for c in conns {
                send_frame(c, 0, &framed(&msg.encode().unwrap())).await;
                send_frame(c, 1, &framed(&vote.encode().unwrap())).await;
            }
        }
    }
}

#[test]
fn four_validators_agree_tolerate_one_fault_and_halt_without_quorum() {
    let mut net = Net::start(4);
    for i in 0..4 {
        net.wait_height(i, 2, Duration::from_secs(60));
    }
    let chain = ChainId::new(net.status(0).unwrap()["chain_id"].as_str().unwrap()).unwrap();

    // A transfer submitted to node2 commits on all four.
    let bob = veil(&["wallet", "--wallet", &net.wallet("bank-b"), "address"]);
    let out = veil(&[
        "--json",
        "wallet",
        "--wallet",
        &net.wallet("bank-a"),
        "--api",
        &net.apis[2],
        "transfer",
        "--to",
        bob.trim(),
        "--amount",
        "12.34",
    ]);
    let sent: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let tx = sent["tx"].as_str().unwrap().to_owned();
    let height = sent["height"].as_u64().expect("committed");
    for i in 0..4 {
        net.wait_height(i, height, Duration::from_secs(20));
        let (code, st) = get(&format!("{}/v1/transactions/{tx}", net.apis[i]));
        assert_eq!(code, 200);
        assert_eq!(st["height"].as_u64(), Some(height), "node{i}: {st}");
    }
    net.agree(&[0, 1, 2, 3], height);
    let s = net.status(1).unwrap();
    assert_eq!(s["validators"].as_array().unwrap().len(), 4);
    assert_eq!(s["peers"].as_array().unwrap().len(), 3);
    // The operations view agrees: three peers with their tips, no alert.
    let (code, health) = get(&format!("{}/v1/node/health", net.apis[1]));
    assert_eq!(code, 200);
    assert_eq!(health["peers"].as_array().unwrap().len(), 3, "{health}");
    assert_eq!(health["alerts"], serde_json::json!([]), "{health}");

    // SIGKILL node3: the other three keep committing.
    net.kill(3);
    let h = net.height(0);
    net.wait_height(0, h + 3, Duration::from_secs(30));

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // A key not on the allow-list cannot connect.
        let stranger = SigningKey::from_seed(&[0x5a; 32]);
        assert!(dial(&stranger, true, net.quic[0], &chain).await.is_err());

        // node3's key (it is down) connects; garbage closes the connection.
        let key3 = net.node_key(3);
        let conn = dial(&key3, true, net.quic[0], &chain).await.unwrap();
        send_frame(&conn, 1, &framed(b"not a vote")).await;
        assert!(
            closed_within(&conn, Duration::from_secs(5)).await,
            "garbage not refused"
        );
        let conn = dial(&key3, true, net.quic[1], &chain).await.unwrap();
        send_frame(&conn, 1, &u32::MAX.to_le_bytes()).await;
        assert!(
            closed_within(&conn, Duration::from_secs(5)).await,
            "oversized frame not refused"
        );
        let conn = dial(&key3, true, net.quic[2], &chain).await.unwrap();
        send_frame(&conn, 9, &framed(b"x")).await;
        assert!(
            closed_within(&conn, Duration::from_secs(5)).await,
            "unknown channel not refused"
        );
    });
    assert!(net.metric(0, "veil_peer_refusals_total") >= 1);
    let top = net.height(0).min(net.height(1)).min(net.height(2));
    net.agree(&[0, 1, 2], top);

    // node3 restarts, syncs and agrees.
    net.restart(3);
    let target = net.height(0) + 1;
    net.wait_height(3, target, Duration::from_secs(60));
    net.agree(&[0, 1, 2, 3], target);

    // node2 goes down and falls behind while the others commit; then
    // two of four are down: no block commits.
    net.kill(2);
    let fell = net.height(0) + 5;
    net.wait_height(0, fell, Duration::from_secs(30));
    net.kill(3);
    std::thread::sleep(Duration::from_millis(2_000));
    let stalled = net.height(0).max(net.height(1));
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        net.height(0).max(net.height(1)),
        stalled,
        "committed without a quorum"
    );
    // …and node0's health says why: too few peers.
    let (_, health) = get(&format!("{}/v1/node/health", net.apis[0]));
    assert!(
        health["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["code"] == "peers-low" || a["code"] == "isolated"),
        "{health}"
    );

    // node2 comes back more than `state_sync_after` blocks behind: it
    // copies a checked state snapshot from a peer, restarts on it (same
    // process id), rejoins, and progress resumes.
    let config = std::fs::read_to_string(&net.configs[2]).unwrap();
    let config = config.replace("state_sync_after = 1000", "state_sync_after = 3");
    assert!(config.contains("state_sync_after = 3"), "{config}");
    std::fs::write(&net.configs[2], config).unwrap();
    net.restart(2);
    net.wait_height(0, stalled + 2, Duration::from_secs(90));
    net.wait_height(2, stalled + 2, Duration::from_secs(90));
    net.agree(&[0, 1, 2], stalled + 2);
    let log = std::fs::read_to_string(net.configs[2].with_extension("log")).unwrap();
    assert!(
        log.contains("state snapshot checked")
            && log.contains("installed a checked state snapshot"),
        "node2 did not state-sync:\n{}",
        net.log(2)
    );
    assert!(net.children[2]
        .as_mut()
        .unwrap()
        .try_wait()
        .unwrap()
        .is_none());

    // node3's key (node3 is down) equivocates: two proposals and two
    // prevotes per round for the next heights, to every live node. The
    // double votes go into the next block's commit record: node3 is
    // tombstoned, leaves the set two blocks later, and the other three
    // keep committing without it.
    let key3 = net.node_key(3);
    rt.block_on(async {
        let mut conns = Vec::new();
        for i in 0..3 {
            conns.push(dial(&key3, true, net.quic[i], &chain).await.unwrap());
        }
        let next = net.status(0).unwrap()["consensus"]["height"]
            .as_u64()
            .unwrap();
        for height in next..next + 3 {
            equivocate(&conns, &key3, &chain, height).await;
        }
        tokio::time::sleep(Duration::from_secs(4)).await;
        for c in conns {
            c.close(0u32.into(), b"done");
        }
    });
    let after = net.height(0);
    net.wait_height(0, after + 2, Duration::from_secs(30));
    let recorded: u64 = (0..3)
        .map(|i| {
            net.status(i).unwrap()["consensus"]["equivocations"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert!(recorded > 0, "equivocation evidence not recorded");
    let k3 = hex::encode(key3.public().as_bytes());
    let node3 = |i: usize| {
        let (_, v) = get(&format!("{}/v1/validators", net.apis[i]));
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["key"] == k3.as_str())
            .cloned()
            .unwrap()
    };
    let started = std::time::Instant::now();
    while !(node3(0)["jail"]["tombstoned"] == true && node3(0)["power"] == 0) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "node3 not tombstoned: {}",
            node3(0)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(node3(1)["jail"]["reason"], "double-sign");
    let h = net.height(0);
    net.wait_height(0, h + 2, Duration::from_secs(30));
    net.wait_height(2, h + 2, Duration::from_secs(30));
    net.agree(&[0, 1, 2], h + 2);

    // Clean shutdown on SIGTERM.
    for i in 0..3 {
        let mut c = net.children[i].take().unwrap();
        testnet::stop(&mut c, Duration::from_secs(15));
        assert!(c.wait().unwrap().success() || c.try_wait().is_ok());
    }

    snapshots_are_checked(&net);
}

/// A snapshot of node0 (stopped, ahead) checked by node3 (stopped,
/// behind): accepted as made; refused after any tampering with the
/// records, the tree, the certificate or the validator set.
fn snapshots_are_checked(net: &Net) {
    use veil::consensus::snapshot;
    use veil::ledger::store::{Cf, RocksStore, StateRead, StateWrite, WriteSet};

    let dir = net.dir.path();
    let genesis =
        veil::ledger::genesis::GenesisConfig::load(&dir.join("dev/genesis.toml")).unwrap();
    let behind =
        veil::node::Node::open(veil::node::NodeConfig::new(dir.join("node3"), genesis)).unwrap();
    let source = RocksStore::open(&dir.join("node0/db"), false).unwrap();
    let mut n = 0;
    let mut copy = |tamper: &dyn Fn(&RocksStore)| {
        n += 1;
        let path = dir.join(format!("snap{n}"));
        source.checkpoint(&path).unwrap();
        {
            let store = RocksStore::open(&path, false).unwrap();
            tamper(&store);
        }
        snapshot::check(&behind, &path)
    };
    let top = copy(&|_| {}).expect("an untouched snapshot is accepted");
    assert!(top > behind.ledger.tip().height);

    let first = |s: &RocksStore, cf: Cf| s.scan(cf, b"", b"", 1).unwrap().remove(0);
    let put = |s: &RocksStore, cf: Cf, k: Vec<u8>, v: Vec<u8>| {
        let mut w = WriteSet::new();
        w.put(cf, k, v);
        s.write(w).unwrap();
    };
    let delete = |s: &RocksStore, cf: Cf, k: Vec<u8>| {
        let mut w = WriteSet::new();
        w.delete(cf, k);
        s.write(w).unwrap();
    };
    type Tamper<'a> = Box<dyn Fn(&RocksStore) + 'a>;
    let cases: Vec<(&str, Tamper<'_>)> = vec![
        (
            "an output changed",
            Box::new(|s| {
                let (k, mut v) = first(s, Cf::Outputs);
                v[5] ^= 1;
                put(s, Cf::Outputs, k, v);
            }),
        ),
        (
            "a key image added",
            Box::new(|s| {
                let (_, v) = first(s, Cf::Outputs);
                put(s, Cf::KeyImages, vec![7; 32], v);
            }),
        ),
        (
            "an output removed",
            Box::new(|s| {
                let (k, _) = first(s, Cf::Outputs);
                delete(s, Cf::Outputs, k);
            }),
        ),
        (
            // Not in the state tree: checked against the outputs instead.
            "a one-time key indexed twice",
            Box::new(|s| {
                let (_, v) = first(s, Cf::OutputKeys);
                put(s, Cf::OutputKeys, vec![7; 32], v);
            }),
        ),
        (
            "a one-time key pointed elsewhere",
            Box::new(|s| {
                let (k, mut v) = first(s, Cf::OutputKeys);
                let last = v.len() - 1;
                v[last] ^= 1;
                put(s, Cf::OutputKeys, k, v);
            }),
        ),
        (
            "a one-time key unindexed",
            Box::new(|s| {
                let (k, _) = first(s, Cf::OutputKeys);
                delete(s, Cf::OutputKeys, k);
            }),
        ),
        (
            "a tree leaf changed",
            Box::new(|s| {
                // Every version of one key, so the latest surely changes.
                let (k, _) = first(s, Cf::JmtValues);
                for (k, mut v) in s.scan(Cf::JmtValues, &k[..32], &k, 1 << 16).unwrap() {
                    let last = v.len() - 1;
                    v[last] ^= 1;
                    put(s, Cf::JmtValues, k, v);
                }
            }),
        ),
        (
            "the certificate altered",
            Box::new(move |s| {
                let k = top.to_be_bytes().to_vec();
                let mut v = s.get(Cf::Certificates, &k).unwrap().unwrap();
                let last = v.len() - 1;
                v[last] ^= 1;
                put(s, Cf::Certificates, k, v);
            }),
        ),
        (
            "the certificate removed",
            Box::new(move |s| {
                delete(s, Cf::Certificates, top.to_be_bytes().to_vec());
            }),
        ),
        (
            "the tip header altered",
            Box::new(move |s| {
                let k = top.to_be_bytes().to_vec();
                let mut v = s.get(Cf::Headers, &k).unwrap().unwrap();
                let last = v.len() - 1;
                v[last] ^= 1;
                put(s, Cf::Headers, k, v);
            }),
        ),
        (
            "a validator added",
            Box::new(|s| {
                put(s, Cf::Validators, vec![9; 32], 1u64.to_be_bytes().to_vec());
            }),
        ),
    ];
    for (what, tamper) in &cases {
        let r = copy(tamper.as_ref());
        assert!(
            r.as_ref().is_err_and(snapshot::SnapshotError::is_refusal),
            "{what}: {r:?}"
        );
    }
}
