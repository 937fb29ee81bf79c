//! The submission path built for batch runs: `POST /v1/transactions/batch`
//! with per-item results and limits, and back-pressure when the mempool is
//! full (503 with `Retry-After`, nothing queued, recovery after a block).

mod common;

use std::time::Duration;

use common::http::{post, raw};
use common::node::TestNode;
use rand_core::OsRng;
use serde_json::json;
use veil::codec::Encode;
use veil::tx::{AssetId, Transaction};
use veil::wallet::client::HttpSource;
use veil::wallet::source::{ChainSource, TxStatus};
use veil::wallet::Wallet;

/// `count` transfers from wallet `a` to wallet `b` through `src`, built
/// before any is submitted (each spends its own inputs).
fn build_transfers(src: &HttpSource, mut a: Wallet, b: &Wallet, count: u64) -> Vec<Vec<u8>> {
    a.scan(src, 50, &mut |_, _| {}).unwrap();
    let cny = AssetId::new("CNY").unwrap();
    (0..count)
        .map(|k| {
            a.prepare_transfer(src, &cny, b.address(), 100 + k, b"batch", 3, 16, &mut OsRng)
                .unwrap()
                .encode()
                .unwrap()
        })
        .collect()
}

/// Bank A's transfers to bank B on a single test node.
fn transfers(n: &TestNode, count: u64) -> Vec<Vec<u8>> {
    build_transfers(&n.source(), n.bank_a(), &n.bank_b(), count)
}

/// Bank A's transfers to bank B on a test network, through node 0.
fn net_transfers(net: &common::cluster::Net, count: u64) -> (HttpSource, Vec<Vec<u8>>) {
    let src = HttpSource::new(&net.apis[0]);
    let load = |name| Wallet::load(std::path::Path::new(&net.wallet(name)), "dev").unwrap();
    let txs = build_transfers(&src, load("bank-a"), &load("bank-b"), count);
    (src, txs)
}

/// The height at which `bytes` was committed, polled every 50 ms up to
/// `polls` times.
fn committed_height(src: &HttpSource, bytes: &[u8], polls: u32) -> u64 {
    let hash = Transaction::hash_of(bytes);
    for _ in 0..polls {
        if let TxStatus::Committed(h) = src.tx_status(&hash).unwrap() {
            return h;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{hash} not committed");
}

fn wait_committed(n: &TestNode, bytes: &[u8]) {
    committed_height(&n.source(), bytes, 600);
}

/// POSTs a JSON body.
fn post_json(url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    post(url, "application/json", body.to_string().as_bytes())
}

fn batch_body(items: &[String]) -> serde_json::Value {
    json!({ "txs": items })
}

#[test]
fn batch_reports_each_item_and_keeps_its_limits() {
    let n = TestNode::start(41);
    let url = format!("{}/v1/transactions/batch", n.url());
    let txs = transfers(&n, 3);
    let mut tampered = txs[1].clone();
    let at = tampered.len() - 40;
    tampered[at] ^= 1;
    let items = vec![
        hex::encode(&txs[0]),
        hex::encode(&tampered),
        hex::encode(&txs[0]),
        "not hex".to_owned(),
        hex::encode(&txs[2]),
    ];
    let (code, body) = post_json(&url, &batch_body(&items));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    assert_eq!(body["refused"], 3, "{body}");
    let r = body["results"].as_array().unwrap();
    assert_eq!(r.len(), 5);
    for (i, item) in r.iter().enumerate() {
        assert_eq!(item["index"], i);
    }
    assert_eq!(r[0]["status"], "pending");
    assert_eq!(
        r[0]["hash"],
        Transaction::hash_of(&txs[0]).to_string(),
        "{body}"
    );
    assert_eq!(r[1]["status"], "refused");
    assert!(
        [400, 422].contains(&r[1]["error"]["status"].as_u64().unwrap()),
        "{body}"
    );
    assert_eq!(
        r[2]["error"]["type"], "urn:veil:problem:duplicate",
        "{body}"
    );
    assert_eq!(
        r[3]["error"]["type"], "urn:veil:problem:malformed",
        "{body}"
    );
    assert_eq!(r[4]["status"], "pending");
    wait_committed(&n, &txs[0]);
    wait_committed(&n, &txs[2]);
    // Submitted again once committed: refused item by item, not as a whole.
    let (code, body) = post_json(&url, &batch_body(&[hex::encode(&txs[0])]));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["results"][0]["error"]["status"], 409, "{body}");

    // Limits: empty, over 1,000 items, wrong content type, declared size.
    let (code, body) = post_json(&url, &batch_body(&[]));
    assert_eq!(code, 400, "{body}");
    let (code, body) = post_json(&url, &batch_body(&vec!["00".to_owned(); 1001]));
    assert_eq!(code, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("1000"), "{body}");
    let (code, text) = raw(
        &n.url(),
        "POST /v1/transactions/batch HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        &mut |_| {},
    );
    assert_eq!(code, 415, "{text}");
    let (code, text) = raw(
        &n.url(),
        "POST /v1/transactions/batch HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 16777217\r\nConnection: close\r\n\r\n",
        &mut |_| {},
    );
    assert_eq!(code, 413, "{text}");
    assert!(text.contains("problem+json"), "{text}");
    // A batch may be larger than a single request's 1 MiB: 1,000 items of
    // garbage (1.2 MB) are each refused as malformed.
    let garbage = vec!["00".repeat(600); 1000];
    let (code, body) = post_json(&url, &batch_body(&garbage));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["refused"], 1000, "{body}");
}

#[test]
fn a_full_mempool_answers_503_and_recovers_after_a_block() {
    let n = TestNode::start_configured(42, |c| {
        c.mempool.max_count = 2;
        // No block until the test makes one.
        c.block_interval = Duration::from_secs(3600);
    });
    let txs = transfers(&n, 3);
    let one = format!("{}/v1/transactions", n.url());
    let batch = format!("{}/v1/transactions/batch", n.url());
    for t in &txs[..2] {
        let (code, body) = post_json(&one, &json!({ "tx": hex::encode(t) }));
        assert_eq!(code, 202, "{body}");
    }
    let head = |t: &[u8]| {
        let body = json!({ "tx": hex::encode(t) }).to_string();
        format!(
            "POST /v1/transactions HTTP/1.1\r\nHost: {{addr}}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let (code, text) = raw(&n.url(), &head(&txs[2]), &mut |_| {});
    assert_eq!(code, 503, "{text}");
    let lower = text.to_ascii_lowercase();
    assert!(lower.contains("retry-after: 1"), "{text}");
    assert!(text.contains("urn:veil:problem:mempool-full"), "{text}");
    // The client (and through it the SDKs) keeps the Retry-After.
    let e = veil::client::Client::new(&n.url())
        .submit_bytes(&txs[2])
        .unwrap_err();
    assert_eq!(e.problem().map(|p| p.status), Some(503), "{e}");
    assert_eq!(e.retry_after(), Some(1), "{e}");
    // A batch the mempool has no room for is refused whole.
    let (code, body) = post_json(&batch, &batch_body(&[hex::encode(&txs[2])]));
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["type"], "urn:veil:problem:mempool-full");
    // Nothing was evicted or queued: the two accepted ones still wait.
    assert_eq!(n.node().mempool().len(), 2);
    let metrics = ureq::get(&format!("{}/metrics", n.url()))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.contains("mempool-full") && !l.starts_with('#') && !l.ends_with(" 0")),
        "{metrics}"
    );
    // A block drains the mempool; the refused transfer is then taken.
    let block = n.node().produce_block().unwrap().unwrap();
    assert_eq!(block.txs, 2);
    let (code, body) = post_json(&batch, &batch_body(&[hex::encode(&txs[2])]));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["accepted"], 1, "{body}");
}

/// Blocks fill to the governed bound under load: with `max_block_txs = 3`
/// and eight transfers waiting, a 4-validator network cuts blocks of three
/// transfers plus the commit record, which the bound does not count
/// (once, a proposer and execution disagreed on whether it counted, the
/// proposer built a block execution refused, and the network stalled).
#[test]
fn blocks_fill_to_the_governed_bound_beside_the_commit_record() {
    use common::cluster::Net;
    let net = Net::start_with(4, "[governance]\nmax_block_txs = 3\n");
    for i in 0..4 {
        net.wait_height(i, 2, Duration::from_secs(60));
    }
    let (src, txs) = net_transfers(&net, 8);
    let answer = src.submit_batch(&txs).unwrap();
    assert_eq!(answer.accepted, 8, "{answer:?}");
    let heights: Vec<u64> = txs.iter().map(|t| committed_height(&src, t, 600)).collect();
    let (lo, hi) = (
        *heights.iter().min().unwrap(),
        *heights.iter().max().unwrap(),
    );
    for i in 0..4 {
        net.wait_height(i, hi, Duration::from_secs(30));
    }
    net.agree(&[0, 1, 2, 3], hi);
    let mut full = 0;
    for h in lo..=hi {
        let (code, block) = common::http::get(&format!("{}/v1/blocks/{h}", net.apis[0]));
        assert_eq!(code, 200, "{block}");
        let txs = block["txs"].as_array().unwrap();
        let n = txs.iter().filter(|t| t["kind"] != "commit").count();
        assert!(n <= 3, "block {h} holds {n} transactions: {block}");
        full += usize::from(n == 3);
    }
    assert!(full >= 1, "no block was filled to the bound");
}

/// Block batching: with `block_min_txs = 6` a proposer waits for six
/// transactions, so two batches sent a second apart land in one block
/// (without it, the first batch is proposed on its own).
#[test]
fn a_proposer_batches_blocks_to_block_min_txs() {
    use common::cluster::Net;
    let net = Net::start_full(
        4,
        "",
        "block_min_txs = 6\nblock_wait_ms = 5000\npropose_timeout_ms = 15000",
    );
    for i in 0..4 {
        net.wait_height(i, 1, Duration::from_secs(60));
    }
    let (src, txs) = net_transfers(&net, 6);
    assert_eq!(src.submit_batch(&txs[..3]).unwrap().accepted, 3);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(src.submit_batch(&txs[3..]).unwrap().accepted, 3);
    let heights: std::collections::BTreeSet<u64> =
        txs.iter().map(|t| committed_height(&src, t, 900)).collect();
    assert_eq!(heights.len(), 1, "spread over heights {heights:?}");
}
