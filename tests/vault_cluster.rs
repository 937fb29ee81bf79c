//! The evidence vault across four validators (child processes on
//! 127.0.0.1, real QUIC): a document uploaded through node 0 is copied to
//! every node; node 2 loses its chunk store and repairs it from its peers,
//! refusing tampered copies; then it serves the document; a purge
//! empties every node, and no data directory or log holds the content.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::cluster::Net;
use veil::client::Client;
use veil::tx::vault::party::Party;
use veil::vault::Metadata;
use veil::wallet::client::HttpSource;
use veil::wallet::vault as vv;
use veil::wallet::Wallet;

fn chunk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(subdirs) = std::fs::read_dir(dir) else {
        return out;
    };
    for d in subdirs.flatten() {
        if let Ok(files) = std::fs::read_dir(d.path()) {
            for f in files.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') {
                    out.push(f.path());
                }
            }
        }
    }
    out.sort();
    out
}

fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn chunks_replicate_repair_refuses_tampered_copies_and_purge_reaches_every_node() {
    // Repair passes every 200 ms; no scrub during the test (the peers'
    // tampered copies must stay tampered for the refusal to be seen).
    let net = Net::start_tail(
        4,
        "",
        "",
        "[vault]\nrepair_interval_ms = 200\nscrub_interval_ms = 3600000",
    );
    for i in 0..4 {
        net.wait_height(i, 1, Duration::from_secs(60));
    }
    let api0 = net.apis[0].clone();
    let wallet = Wallet::load(Path::new(&net.wallet("bank-a")), "dev").unwrap();
    let party = Party::from_account(wallet.keys().unwrap());
    let (client, source) = (Client::new(&api0), HttpSource::new(&api0));
    vv::ensure_enrolled(&client, &source, &party).unwrap();
    let data: Vec<u8> = (0..(3 << 20) + 12_345u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    let stored = vv::put(
        &client,
        &source,
        &party,
        None,
        &[],
        std::io::Cursor::new(&data[..]),
        Metadata {
            name: "contract.bin".into(),
            media_type: "application/octet-stream".into(),
        },
        &mut |_, _| {},
    )
    .unwrap();
    let store = |i: usize| net.dir.path().join(format!("node{i}/vault/chunks"));

    // Every node holds all four chunks.
    wait_for("replication to every node", Duration::from_secs(60), || {
        (0..4).all(|i| chunk_files(&store(i)).len() == 4)
    });
    assert!(
        (1..4)
            .map(|i| net.metric(i, "veil_vault_fetched_chunks_total"))
            .sum::<u64>()
            >= 12
    );

    // Chunk files are named by their hash: the same names everywhere.
    let names: Vec<_> = chunk_files(&store(0))
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    let victim = names[1].clone();
    let original =
        std::fs::read(store(0).join(&victim.to_string_lossy()[..2]).join(&victim)).unwrap();
    // Every peer's copy of one chunk is tampered with; node 2 loses its
    // whole chunk store.
    for i in [0, 1, 3] {
        let p = store(i).join(&victim.to_string_lossy()[..2]).join(&victim);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[1000] ^= 0x55;
        std::fs::write(&p, bytes).unwrap();
    }
    // Renamed first: the node may start repairing while it is removed.
    let lost = net.dir.path().join("lost-chunks");
    std::fs::rename(store(2), &lost).unwrap();
    std::fs::remove_dir_all(&lost).unwrap();

    // Node 2 fetches the three intact chunks and refuses every copy of
    // the tampered one.
    wait_for(
        "repair of the intact chunks",
        Duration::from_secs(60),
        || chunk_files(&store(2)).len() == 3,
    );
    wait_for(
        "refusals of the tampered chunk",
        Duration::from_secs(30),
        || net.metric(2, "veil_vault_refused_total") >= 3,
    );
    assert!(
        chunk_files(&store(2))
            .iter()
            .all(|p| p.file_name().unwrap() != victim),
        "a tampered chunk was stored"
    );
    assert!(net.metric(2, "veil_vault_missing_chunks") >= 1);

    // One peer gets an intact copy back; node 2 completes its repair and
    // serves the document.
    std::fs::write(
        store(3).join(&victim.to_string_lossy()[..2]).join(&victim),
        &original,
    )
    .unwrap();
    wait_for("the last chunk", Duration::from_secs(60), || {
        chunk_files(&store(2)).len() == 4
    });
    let api2 = net.apis[2].clone();
    let client2 = Client::new(&api2);
    let d = vv::document(&client2, &stored.ctx.id).unwrap();
    let v = vv::version_of(&d, None).unwrap();
    let now = veil::clock::now_ms();
    let open = vv::open_record(&party, &d, v, &stored.key, now, 60_000).unwrap();
    let out = net.dir.path().join("from-node-2");
    vv::download(&client2, &open, &stored.key, v, &out, &mut |_, _| {}).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), data);

    // The trail verifies against certified blocks: every entry's block
    // carries precommits of more than 2/3 of the validators' power.
    let doc_hex = hex::encode(stored.ctx.id);
    let log: serde_json::Value = serde_json::from_str(&common::cluster::veil(&[
        "--json", "--api", &api2, "vault", "log", &doc_hex, "--verify",
    ]))
    .unwrap();
    assert_eq!(log["verified"], true);
    let blocks = log["blocks"].as_object().unwrap();
    assert!(blocks.len() >= 2, "{log}");
    for b in blocks.values() {
        let (power, total) = (
            b["power"].as_u64().unwrap(),
            b["total_power"].as_u64().unwrap(),
        );
        assert!(3 * power > 2 * total, "{b}");
        assert!(b["signatures"].as_u64().unwrap() >= 3, "{b}");
        assert_eq!(b["validators"].as_array().unwrap().len(), 4);
    }
    // The same certificate refuses another block, another validator set
    // and a flipped signature byte.
    let (height, _) = blocks.iter().next().unwrap();
    let block: veil::client::types::BlockJson =
        client2.get(&format!("/v1/blocks/{height}")).unwrap();
    let cert = hex::decode(block.certificate.as_ref().unwrap()).unwrap();
    let h = &block.header;
    let hex32 = |s: &str| veil::codec::hex32(s).unwrap();
    let header = veil::wire::block::Header {
        chain_id: veil::wire::block::ChainId::new(&h.chain_id).unwrap(),
        height: h.height,
        parent: veil::wire::block::BlockHash(hex32(&h.parent)),
        timestamp_ms: h.timestamp_ms,
        tx_root: hex32(&h.tx_root),
        state_root: hex32(&h.state_root),
        proposer: hex32(&h.proposer),
        tx_count: h.tx_count,
    };
    let set: veil::client::types::ValidatorSetJson =
        client2.get(&format!("/v1/validators/{height}")).unwrap();
    let powers: Vec<([u8; 32], u64)> = set.validators.iter().map(|(k, p)| (hex32(k), *p)).collect();
    use veil::consensus::engine::verify_block_certificate as check;
    assert!(check(&header, &cert, &powers).is_ok());
    let mut other = header.clone();
    other.tx_root[0] ^= 1;
    assert!(check(&other, &cert, &powers)
        .unwrap_err()
        .contains("another block"));
    let strangers: Vec<([u8; 32], u64)> = (1..=4u8)
        .map(|i| {
            (
                *veil::crypto::signing::SigningKey::from_seed(&[i; 32])
                    .public()
                    .as_bytes(),
                1,
            )
        })
        .collect();
    assert!(check(&header, &cert, &strangers).is_err());
    let mut flipped = cert.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(check(&header, &flipped, &powers).is_err());

    // The owner purges through node 1: every node deletes the chunks and
    // the manifest when it commits the purge.
    let sample = original;
    let purge = party
        .sign(
            veil::tx::vault::VaultOp::Purge { doc: stored.ctx.id },
            &mut rand_core::OsRng,
        )
        .unwrap();
    vv::submit_record(&HttpSource::new(&net.apis[1]), purge).unwrap();
    wait_for("the purge on every node", Duration::from_secs(60), || {
        (0..4).all(|i| {
            chunk_files(&store(i)).is_empty()
                && std::fs::read_dir(net.dir.path().join(format!("node{i}/vault/manifests")))
                    .map(|d| d.count() == 0)
                    .unwrap_or(true)
        })
    });
    // No node's data directory or log holds the ciphertext, the file name
    // or the key.
    let key_hex = hex::encode(stored.key.expose());
    for i in 0..4 {
        let log = std::fs::read_to_string(net.configs[i].with_extension("log")).unwrap_or_default();
        assert!(
            !log.contains("contract.bin") && !log.contains(&key_hex),
            "node {i}'s log"
        );
        let mut stack = vec![net.dir.path().join(format!("node{i}"))];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let bytes = std::fs::read(&p).unwrap_or_default();
                for needle in [
                    &sample[..64],
                    b"contract.bin".as_slice(),
                    stored.key.expose(),
                ] {
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle),
                        "{} holds vault content",
                        p.display()
                    );
                }
            }
        }
    }
}
