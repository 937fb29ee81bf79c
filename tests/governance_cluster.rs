//! Membership that changes while a real network runs: four validator
//! processes on 127.0.0.1 (QUIC, Malachite); a fifth node started with its
//! own config joins by a committee proposal and signs commit certificates
//! from two blocks after the proposal; a proposal then removes validator 0,
//! the other four keep committing, node 0's connections are closed and its
//! handshake is refused. After both changes, node 4 restarted from an
//! empty database catches up by block sync (every certificate checked
//! against the set in force at its height), and a node that has only
//! genesis accepts a state snapshot across both changes but refuses one
//! whose set-change history was tampered with. Between the two, delegation
//! moves power at epoch boundaries as a model of the election predicts.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::cluster::{base_port, dial, veil, Net, EXE};
use common::http::get;
use serde_json::Value;
use veil::cli::testnet::{self, TestnetArgs};
use veil::crypto::signing::SigningKey;
use veil::wire::block::ChainId;

fn propose(net: &Net, api: usize, args: &[&str]) -> Value {
    let committee = net.dir.path().join("dev/committee.keystore");
    let mut all = vec![
        "--json",
        "gov",
        "--keystore",
        committee.to_str().unwrap(),
        "--api",
        &net.apis[api],
        "propose",
    ];
    all.extend_from_slice(args);
    serde_json::from_str(&veil(&all)).unwrap()
}

fn validators(net: &Net, i: usize) -> Value {
    let (code, body) = get(&format!("{}/v1/validators", net.apis[i]));
    assert_eq!(code, 200);
    body
}

fn power_of(v: &Value, key: &str) -> Option<u64> {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["key"] == key)
        .map(|n| n["power"].as_u64().unwrap())
}

fn signers(net: &Net, i: usize, h: u64) -> Vec<String> {
    let (code, body) = get(&format!("{}/v1/blocks/{h}", net.apis[i]));
    assert_eq!(code, 200, "{body}");
    serde_json::from_value(body["signers"].clone()).unwrap()
}

/// `veil testnet add-node`'s preparation (key, config, the committee's
/// registration through node 0), then node 4 started as one of the net's
/// children.
/// `GET /v1/validators/{h}` on node 1.
fn set_at(net: &Net, h: u64) -> Value {
    let (code, body) = get(&format!("{}/v1/validators/{h}", net.apis[1]));
    assert_eq!(code, 200, "{body}");
    body
}

fn add_node(net: &mut Net) -> (SigningKey, Value) {
    let base = base_port();
    let args = TestnetArgs {
        validators: 4,
        data_dir: net.dir.path().to_path_buf(),
        api_base_port: base,
        p2p_base_port: base + 50,
        init_only: false,
        command: None,
    };
    let added = testnet::prepare_node(&args, false, 1).unwrap();
    assert_eq!(added.index, 4);
    net.children
        .push(Some(testnet::spawn(Path::new(EXE), &added.config).unwrap()));
    net.configs.push(added.config);
    net.apis.push(format!("http://{}", added.file.api));
    net.quic.push(added.file.listen);
    (added.key, serde_json::to_value(&added.proposal).unwrap())
}

#[test]
fn a_node_joins_and_a_validator_leaves_while_the_network_runs() {
    // Elections every 10 blocks, so the DPoS phase sees epoch boundaries.
    let mut net = Net::start_with(4, "[governance]\nepoch_blocks = 10\n");
    for i in 0..4 {
        net.wait_height(i, 2, Duration::from_secs(90));
    }
    let v = validators(&net, 0);
    assert_eq!(v["total_power"], 4);

    // A fifth node: key, config and the committee's proposal, then started.
    let (key4, p) = add_node(&mut net);
    let hex4 = hex::encode(key4.public().as_bytes());
    assert_eq!(p["status"], "passed", "{p}");
    let decided = p["closed_height"].as_u64().unwrap();

    // The set decided at H decides H + 2.
    net.wait_height(0, decided + 2, Duration::from_secs(60));
    for i in 0..4 {
        net.wait_height(i, decided + 1, Duration::from_secs(60));
    }
    let v = validators(&net, 0);
    assert_eq!(power_of(&v, &hex4), Some(1), "{v}");
    assert_eq!(v["total_power"], 5);
    assert!(
        !signers(&net, 0, decided + 1).contains(&hex4),
        "node4 signed before its set was in force"
    );
    // Node 4 syncs and its precommits appear in certificates.
    let start = Instant::now();
    let signed_at = loop {
        let tip = net.height(0);
        if let Some(h) = (decided + 2..=tip).find(|h| signers(&net, 0, *h).contains(&hex4)) {
            break h;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "node4 never signed a certificate; its log:\n{}",
            net.log(4)
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(signed_at >= decided + 2);
    net.wait_height(4, signed_at, Duration::from_secs(60));
    net.agree(&[0, 1, 2, 3, 4], signed_at);

    // Validator 0 is removed by a proposal submitted to node 1.
    let key0 = net.node_key(0);
    let hex0 = hex::encode(key0.public().as_bytes());
    let p = propose(&net, 1, &["remove-node", "--key", &hex0]);
    assert_eq!(p["status"], "passed", "{p}");
    let removed = p["closed_height"].as_u64().unwrap();
    // The other four keep committing without it.
    for i in 1..5 {
        net.wait_height(i, removed + 4, Duration::from_secs(90));
    }
    net.agree(&[1, 2, 3, 4], removed + 4);
    let v = validators(&net, 1);
    assert_eq!(power_of(&v, &hex0), None, "{v}");
    assert_eq!(v["total_power"], 4);
    assert!(!signers(&net, 1, removed + 3).contains(&hex0));
    // Its connections were closed, and a new handshake is refused.
    let start = Instant::now();
    while net.metric(1, "veil_peer_refusals_total{reason=\"removed\"}") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "node0 still connected"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Give redial loops (every 500 ms) time to try; no node lists node 0.
    std::thread::sleep(Duration::from_secs(2));
    let mut status = Value::Null;
    for i in 1..5 {
        status = get(&format!("{}/v1/status", net.apis[i])).1;
        assert!(
            !status["peers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["key"] == hex0.as_str()),
            "node{i} still lists node0 as a peer: {status}"
        );
    }
    // The set at a height: before node 4, with it, without node 0.
    let keys = |v: &Value| -> Vec<String> {
        v["validators"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let before = set_at(&net, decided + 1);
    assert_eq!(before["total_power"], 4, "{before}");
    assert!(!keys(&before).contains(&hex4) && keys(&before).contains(&hex0));
    let with4 = set_at(&net, decided + 2);
    assert_eq!(with4["total_power"], 5, "{with4}");
    assert!(keys(&with4).contains(&hex4));
    let without0 = set_at(&net, removed + 2);
    assert_eq!(without0["total_power"], 4, "{without0}");
    assert!(!keys(&without0).contains(&hex0) && keys(&without0).contains(&hex4));
    // Every signer of a block is in the set this endpoint gives for it.
    for h in [decided + 2, removed + 3] {
        let set = keys(&set_at(&net, h));
        assert!(signers(&net, 1, h).iter().all(|s| set.contains(s)));
    }
    let cli: Value = serde_json::from_str(&veil(&[
        "--json",
        "validator",
        "--api",
        &net.apis[1],
        "list",
        "--height",
        &(decided + 2).to_string(),
    ]))
    .unwrap();
    assert_eq!(cli, with4);
    let far = net.height(1) + 10;
    for (path, code) in [("0", 404), (far.to_string().as_str(), 404), ("x", 400)] {
        let (c, body) = get(&format!("{}/v1/validators/{path}", net.apis[1]));
        assert_eq!(c, code, "{path}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }

    let chain = ChainId::new(status["chain_id"].as_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let refused = rt.block_on(dial(&key0, true, net.quic[1], &chain));
    assert!(refused.is_err(), "node0 was admitted again");

    // Node 4 from an empty database: block sync across both changes.
    let dir = net.dir.path().to_path_buf();
    net.kill(4);
    // While it is down, node 1 counts its missing precommits.
    let missed = format!("veil_validator_missed_signatures_total{{validator=\"{hex4}\"}}");
    let before = net.metric(1, &missed);
    let h = net.height(1);
    net.wait_height(1, h + 3, Duration::from_secs(60));
    assert!(
        net.metric(1, &missed) >= before + 2,
        "missed precommits not counted"
    );
    std::fs::remove_dir_all(dir.join("node4/db")).unwrap();
    let target = net.height(1);
    net.restart(4);
    net.wait_height(4, target, Duration::from_secs(90));
    net.agree(&[1, 4], target);

    // DPoS: the committee member delegates its weight to node 2; the next
    // epoch boundary E elects the set a model of the rules computes from
    // the registered nodes (bond + delegated, top max_validators), in
    // force from E + 2; undelegating moves the power back at the next one.
    let hex2 = hex::encode(net.node_key(2).public().as_bytes());
    let committee = net.dir.path().join("dev/committee.keystore");
    let delegate = |verb: &str| -> u64 {
        let out: Value = serde_json::from_str(&veil(&[
            "--json",
            "validator",
            "--keystore",
            committee.to_str().unwrap(),
            "--api",
            &net.apis[1],
            verb,
            "--node",
            &hex2,
            "--amount",
            "1",
        ]))
        .unwrap();
        out["height"].as_u64().unwrap()
    };
    let model = |v: &Value| -> std::collections::BTreeMap<String, u64> {
        let mut c: Vec<(String, u64)> = v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["observer"] == false && n["jail"].is_null())
            .map(|n| {
                let power = n["bond"].as_u64().unwrap() + n["delegated"].as_u64().unwrap();
                (n["key"].as_str().unwrap().to_owned(), power)
            })
            .collect();
        c.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        c.into_iter().take(21).collect()
    };
    let mut powers = Vec::new();
    for verb in ["delegate", "undelegate"] {
        let at = delegate(verb);
        let expected = model(&validators(&net, 1));
        let epoch = at.div_ceil(10) * 10;
        net.wait_height(1, epoch + 2, Duration::from_secs(90));
        let set = set_at(&net, epoch + 2);
        let got: std::collections::BTreeMap<String, u64> =
            serde_json::from_value(set["validators"].clone()).unwrap();
        assert_eq!(got, expected, "epoch {epoch}: {set}");
        powers.push(got[&hex2]);
        // Until the boundary's set is in force, the old one decides.
        assert_eq!(set_at(&net, epoch + 1)["validators"][&hex2], 3 - got[&hex2]);
    }
    assert_eq!(
        powers,
        [2, 1],
        "delegation did not move power to node 2 and back"
    );
    let target = net.height(1);
    net.wait_height(4, target, Duration::from_secs(60));
    net.agree(&[1, 2, 3, 4], target);

    // State sync across these changes, checked by a node with only genesis.
    use veil::consensus::snapshot;
    use veil::ledger::store::{Cf, RocksStore, StateRead, StateWrite, WriteSet};
    use veil::ledger::tree;
    use veil::tx::governance::rules::{encode_powers, KEY_VALIDATOR_SET};
    net.kill(4);
    let genesis =
        veil::ledger::genesis::GenesisConfig::load(&dir.join("dev/genesis.toml")).unwrap();
    let fresh =
        veil::node::Node::open(veil::node::NodeConfig::new(dir.join("fresh"), genesis)).unwrap();
    let source = RocksStore::open(&dir.join("node4/db"), false).unwrap();
    source.checkpoint(&dir.join("snap-ok")).unwrap();
    let top =
        snapshot::check(&fresh, &dir.join("snap-ok")).expect("a snapshot across four set changes");
    assert!(top >= target);
    // The history rewritten so node 0 alone holds the power from the block
    // that brought node 4 in: refused.
    source.checkpoint(&dir.join("snap-forged")).unwrap();
    {
        let forged = RocksStore::open(&dir.join("snap-forged"), false).unwrap();
        let set = encode_powers(&[(*key0.public().as_bytes(), 1)]).unwrap();
        let kh = tree::key_hash(Cf::Governance, KEY_VALIDATOR_SET);
        let mut key = kh.0.to_vec();
        key.extend_from_slice(&(decided + 1).to_be_bytes());
        let mut w = WriteSet::new();
        w.put(Cf::JmtValues, key, [&[1u8][..], &set].concat());
        // Versions older than the tree's history keep the set with its proof
        // (borsh: `Some` tag, u32 LE length, bytes, then the proof): forge
        // that copy too, the value swapped and the proof kept.
        let at = (decided + 1).to_be_bytes();
        if let Some(kept) = forged.get(Cf::SetProofs, &at).unwrap() {
            assert_eq!(kept[0], 1, "the kept set record holds a value");
            let len = usize::try_from(u32::from_le_bytes(kept[1..5].try_into().unwrap())).unwrap();
            let mut bytes = vec![1u8];
            bytes.extend_from_slice(&u32::try_from(set.len()).unwrap().to_le_bytes());
            bytes.extend_from_slice(&set);
            bytes.extend_from_slice(&kept[5 + len..]);
            w.put(Cf::SetProofs, at.to_vec(), bytes);
        }
        forged.write(w).unwrap();
    }
    let r = snapshot::check(&fresh, &dir.join("snap-forged"));
    assert!(
        r.as_ref().is_err_and(snapshot::SnapshotError::is_refusal)
            && format!("{r:?}").contains("validator set"),
        "a forged set-change history was accepted, or refused for another reason: {r:?}"
    );
}
