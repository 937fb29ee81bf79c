//! End to end on a real node: RocksDB in a temporary directory, the HTTP
//! API on an ephemeral port, wallets talking HTTP.

mod common;

use std::time::Duration;
use veil::codec::Encode;

use common::http::{declare_oversized_body, get, post, raw};
use common::node::TestNode;
use rand_core::OsRng;
use veil::api::types::{ProofJson, StatusJson};
use veil::crypto::keys::Address;
use veil::ledger::tree;
use veil::tx::{AssetId, Transaction};
use veil::wallet::source::ChainSource;
use veil::wallet::{submit_and_wait, Wallet};

fn cny() -> AssetId {
    AssetId::new("CNY").unwrap()
}

fn scan(w: &mut Wallet, n: &TestNode) {
    w.scan(&n.source(), 50, &mut |_, _| {}).unwrap();
}

fn send(
    n: &TestNode,
    from: &mut Wallet,
    to: &Address,
    amount: u64,
    memo: &str,
) -> (Transaction, u64) {
    scan(from, n);
    let tx = from
        .prepare_transfer(
            &n.source(),
            &cny(),
            to,
            amount,
            memo.as_bytes(),
            3,
            16,
            &mut OsRng,
        )
        .unwrap();
    let (_, h) = submit_and_wait(&n.source(), &tx, Duration::from_secs(60)).unwrap();
    (tx, h)
}

fn status(n: &TestNode) -> StatusJson {
    n.source().status().unwrap()
}

#[test]
fn two_banks_transfer_both_ways_and_survive_a_restart() {
    let mut n = TestNode::start(1);
    let mut a = n.bank_a();
    let mut b = n.bank_b();
    scan(&mut a, &n);
    scan(&mut b, &n);
    let (a0, b0) = (a.balance(&cny()).confirmed, b.balance(&cny()).confirmed);

    let (t1, h1) = send(&n, &mut a, &b.address().clone(), 123_456_789, "first");
    let (_, h2) = send(&n, &mut b, &a.address().clone(), 1_000, "back");
    assert!(h2 >= h1);
    scan(&mut a, &n);
    scan(&mut b, &n);
    assert_eq!(a.balance(&cny()).confirmed, a0 - 123_456_789 - 3 + 1_000);
    assert_eq!(b.balance(&cny()).confirmed, b0 + 123_456_789 - 1_000 - 3);
    assert_eq!(a.balance(&cny()).pending, 0);
    let got = b
        .state
        .history
        .iter()
        .find(|h| h.direction == "in" && h.memo == "first")
        .unwrap();
    assert_eq!(got.amount, 123_456_789);

    // The key images are spent, provably, against the state root.
    for image in t1.key_images() {
        let hex_image = hex::encode(image.as_bytes());
        let (code, ki) = get(&format!("{}/v1/key-images/{hex_image}", n.url()));
        assert_eq!(code, 200);
        assert_eq!(ki["spent"], true);
        let (_, proof) = get(&format!("{}/v1/state/proof/key-image/{hex_image}", n.url()));
        let proof: ProofJson = serde_json::from_value(proof).unwrap();
        let root: [u8; 32] = hex::decode(&proof.state_root).unwrap().try_into().unwrap();
        let header = n.node().ledger.header(proof.height).unwrap().unwrap();
        assert_eq!(header.state_root, root, "proof root is the header's");
        let p: jmt::proof::SparseMerkleProof<sha2::Sha256> =
            serde_json::from_value(proof.proof).unwrap();
        let value = proof.value.map(|v| hex::decode(v).unwrap());
        assert!(tree::verify(
            root,
            tree::key_hash(veil::ledger::store::Cf::KeyImages, image.as_bytes()),
            value.as_deref(),
            &p
        ));
    }

    // Restart: same tip, same balances.
    let before = status(&n);
    n.restart();
    let after = status(&n);
    assert_eq!(
        (before.height, before.state_root.clone()),
        (after.height, after.state_root.clone())
    );
    let mut a2 = n.bank_a();
    scan(&mut a2, &n);
    assert_eq!(a2.balance(&cny()).confirmed, a.balance(&cny()).confirmed);
}

#[test]
fn double_spends_are_refused_at_the_mempool_and_after_commit() {
    let n = TestNode::start(2);
    let mut a = n.bank_a();
    let b = n.bank_b();
    scan(&mut a, &n);
    let snapshot = a.state.clone();
    let t1 = a
        .prepare_transfer(&n.source(), &cny(), b.address(), 10, b"", 0, 16, &mut OsRng)
        .unwrap();
    a.state = snapshot.clone();
    let t2 = a
        .prepare_transfer(&n.source(), &cny(), b.address(), 20, b"", 0, 16, &mut OsRng)
        .unwrap();
    assert_eq!(t1.key_images(), t2.key_images());
    // Stop blocks from being made while both arrive.
    let url = format!("{}/v1/transactions", n.url());
    let (c1, _) = post(&url, "application/octet-stream", &t1.encode().unwrap());
    let (c2, p2) = post(&url, "application/octet-stream", &t2.encode().unwrap());
    assert_eq!(c1, 202);
    if c2 == 409 {
        assert_eq!(p2["type"], "urn:veil:problem:double-spend");
    } else {
        panic!("second spend got {c2} {p2}");
    }
    // Once committed, the same input is still refused, and a replay too.
    let src = n.source();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !matches!(
        src.tx_status(&t1.hash().unwrap()).unwrap(),
        veil::wallet::source::TxStatus::Committed(_)
    ) {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let (c, p) = post(&url, "application/octet-stream", &t2.encode().unwrap());
    assert_eq!(
        (c, p["type"].as_str().unwrap()),
        (409, "urn:veil:problem:double-spend")
    );
    let (c, p) = post(&url, "application/octet-stream", &t1.encode().unwrap());
    assert_eq!(
        (c, p["type"].as_str().unwrap()),
        (409, "urn:veil:problem:duplicate")
    );
}

#[test]
fn bad_input_gets_problem_json_and_changes_nothing() {
    let n = TestNode::start(3);
    let mut a = n.bank_a();
    let b = n.bank_b();
    scan(&mut a, &n);
    let good = a
        .prepare_transfer(&n.source(), &cny(), b.address(), 10, b"", 0, 16, &mut OsRng)
        .unwrap()
        .encode()
        .unwrap();
    let root = status(&n).state_root;
    let url = format!("{}/v1/transactions", n.url());
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "garbage",
            "application/octet-stream",
            b"hello, ledger".to_vec(),
            400,
            "malformed",
        ),
        (
            "empty",
            "application/octet-stream",
            vec![],
            400,
            "malformed",
        ),
        (
            "truncated",
            "application/octet-stream",
            good[..good.len() / 2].to_vec(),
            400,
            "malformed",
        ),
        (
            "trailing byte",
            "application/octet-stream",
            [good.clone(), vec![0]].concat(),
            400,
            "malformed",
        ),
        (
            "oversized tx",
            "application/octet-stream",
            vec![1u8; 70_000],
            413,
            "too-large",
        ),
        (
            "bad json",
            "application/json",
            b"{\"tx\":".to_vec(),
            400,
            "malformed-json",
        ),
        (
            "json not hex",
            "application/json",
            b"{\"tx\":\"zz\"}".to_vec(),
            400,
            "malformed",
        ),
        (
            "json extra field",
            "application/json",
            b"{\"tx\":\"00\",\"x\":1}".to_vec(),
            400,
            "malformed-json",
        ),
        (
            "text",
            "text/plain",
            good.clone(),
            415,
            "unsupported-media-type",
        ),
    ];
    for (what, ct, body, code, kind) in cases {
        let (c, p) = post(&url, ct, &body);
        assert_eq!(c, code, "{what}: {p}");
        assert_eq!(p["type"], format!("urn:veil:problem:{kind}"), "{what}");
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: no detail"
        );
    }
    // A body declared over 1 MiB is refused from its Content-Length, before
    // it is read (so read the answer without sending the body).
    let (code, problem) =
        declare_oversized_body(&n.url(), "/v1/transactions", "application/octet-stream");
    assert_eq!(code, 413, "{problem}");
    assert!(
        problem.contains("urn:veil:problem:too-large")
            && problem.contains("application/problem+json"),
        "{problem}"
    );
    // Without a length (chunked), the body is cut at the limit.
    let (code, problem) = chunked_oversized_body(&n.url());
    assert_eq!(code, 413, "{problem}");
    assert!(problem.contains("urn:veil:problem:too-large"), "{problem}");
    // A tampered signature: 422 with the precise problem.
    let Transaction::Transfer(mut t) = Transaction::decode(&good).unwrap() else {
        unreachable!()
    };
    t.signatures[0].rounds[0].s += curve25519_dalek::scalar::Scalar::ONE;
    let (c, p) = post(
        &url,
        "application/octet-stream",
        &Transaction::Transfer(t).encode().unwrap(),
    );
    assert_eq!(
        (c, p["type"].as_str().unwrap()),
        (422, "urn:veil:problem:bad-signature")
    );
    // Routes, methods, parameters.
    for (path, code) in [
        ("/v1/nope", 404),
        ("/v1/blocks/abc", 400),
        ("/v1/blocks/99999", 404),
        ("/v1/transactions/xyz", 400),
        (&format!("/v1/transactions/{}", "00".repeat(32)), 404),
        ("/v1/key-images/00", 400),
        ("/v1/outputs", 400),
        ("/v1/outputs?asset=cny", 400),
        ("/v1/outputs?asset=CNY&indices=1,x", 400),
        ("/v1/outputs?asset=CNY&indices=999999", 404),
        ("/v1/state/proof/what/ever", 400),
        ("/v1/blocks?from=x", 400),
    ] {
        let (c, p) = get(&format!("{}{path}", n.url()));
        assert_eq!(c, code, "{path}: {p}");
    }
    let (c, _) = match ureq::delete(&format!("{}/v1/status", n.url())).call() {
        Err(ureq::Error::Status(c, r)) => (c, r.content_type().to_owned()),
        other => panic!("{other:?}"),
    };
    assert_eq!(c, 405);
    // Nothing changed; the good transaction still goes through afterwards.
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(status(&n).state_root, root);
    let (c, _) = post(
        &url,
        "application/json",
        format!("{{\"tx\":\"{}\"}}", hex::encode(&good)).as_bytes(),
    );
    assert_eq!(c, 202);
    let metrics = ureq::get(&format!("{}/metrics", n.url()))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(metrics.contains("veil_block_height"));
    assert!(metrics.contains("veil_transactions_rejected_total{reason=\"malformed\"}"));
}

#[test]
fn openapi_document_is_served_and_checked_in() {
    let n = TestNode::start(4);
    let (c, doc) = get(&format!("{}/openapi.json", n.url()));
    assert_eq!(c, 200);
    for path in [
        "/v1/transactions",
        "/v1/transactions/{hash}",
        "/v1/blocks/latest",
        "/v1/blocks/{height}",
        "/v1/blocks",
        "/v1/outputs",
        "/v1/key-images/{key_image}",
        "/v1/status",
        "/v1/state/proof/{key}",
        "/metrics",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var_os("VEIL_REGENERATE_OPENAPI").is_some() {
        std::fs::write(&file, &pretty).unwrap();
    }
    let checked_in = std::fs::read_to_string(&file)
        .expect("docs/openapi.json (regenerate with VEIL_REGENERATE_OPENAPI=1)");
    assert_eq!(
        checked_in, pretty,
        "docs/openapi.json is stale: VEIL_REGENERATE_OPENAPI=1 cargo test --release --test node"
    );
}

#[test]
fn nothing_in_clear_on_disk_or_in_api_responses() {
    let mut n = TestNode::start(5);
    let mut a = n.bank_a();
    let b = n.bank_b();
    let amount = 987_654_321_012u64;
    let memo = "PRIVATE-MEMO-8c1f-settlement-batch";
    // Pay enough to need several inputs of 1,000,000.00.
    let (tx, height) = send(
        &n,
        &mut a,
        &b.address().clone(),
        amount % 500_000_000 + 100_000_000,
        memo,
    );
    let paid = amount % 500_000_000 + 100_000_000;
    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("memo".into(), memo.as_bytes().to_vec()),
        ("amount LE".into(), paid.to_le_bytes().to_vec()),
        ("amount BE".into(), paid.to_be_bytes().to_vec()),
        ("amount decimal".into(), paid.to_string().into_bytes()),
    ];
    for w in [&a, &b] {
        needles.push(("address".into(), w.address().to_string().into_bytes()));
        needles.push(("address bytes".into(), w.address().to_bytes().to_vec()));
    }
    // The transaction endpoint gives the transaction itself: its bytes
    // (which hash to the asked hash) and public fields.
    let (code, st) = get(&format!(
        "{}/v1/transactions/{}",
        n.url(),
        tx.hash().unwrap()
    ));
    assert_eq!(code, 200, "{st}");
    assert_eq!(st["status"], "committed");
    let t = &st["transaction"];
    let bytes = hex::decode(t["hex"].as_str().unwrap()).unwrap();
    assert_eq!(Transaction::decode(&bytes).unwrap(), tx);
    assert_eq!(t["hash"], tx.hash().unwrap().to_string());
    assert_eq!(t["kind"], "transfer");
    assert_eq!(t["asset"], "CNY");
    assert_eq!(
        t["key_images"].as_array().unwrap().len(),
        tx.key_images().len()
    );
    // API responses.
    let mut api = String::new();
    for path in [
        "/v1/status".to_string(),
        format!("/v1/blocks/{height}"),
        "/v1/blocks?from=0&limit=100".into(),
        "/v1/outputs?asset=CNY&from=0&limit=1000".into(),
        format!("/v1/transactions/{}", tx.hash().unwrap()),
        "/v1/node/health".into(),
        "/v1/node/history".into(),
        "/console/".into(),
        "/console/app.js".into(),
    ] {
        api.push_str(
            &ureq::get(&format!("{}{path}", n.url()))
                .call()
                .unwrap()
                .into_string()
                .unwrap(),
        );
    }
    for (what, needle) in &needles {
        assert!(
            !contains(api.as_bytes(), needle),
            "{what} appears in an API response"
        );
    }
    // Raw RocksDB files (uncompressed: Veil stores no compressible plaintext).
    n.stop();
    let mut files = 0;
    for entry in walk(n.dir.path().join("db")) {
        let bytes = std::fs::read(&entry).unwrap();
        files += 1;
        for (what, needle) in &needles {
            assert!(
                !contains(&bytes, needle),
                "{what} found in {}",
                entry.display()
            );
        }
    }
    assert!(files > 3, "no database files found");
}

/// The console's assets and the operations endpoints it reads: the
/// explorer's public fields of a transfer, the node's health and its
/// history of samples.
#[test]
fn console_and_operations_endpoints() {
    let n = TestNode::start(6);
    let mut a = n.bank_a();
    let b = n.bank_b();
    n.node().sample_history();
    let (tx, height) = send(&n, &mut a, &b.address().clone(), 12_345, "ops");
    n.node().sample_history();

    // The public console: embedded, with its security headers; no path
    // escapes the assets.
    let r = ureq::get(&format!("{}/console/", n.url())).call().unwrap();
    assert_eq!(r.content_type(), "text/html");
    let csp = r.header("content-security-policy").unwrap().to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r
        .into_string()
        .unwrap()
        .contains("<script type=\"module\" src=\"app.js\">"));
    for (path, code) in [
        ("/console/app.js", 200),
        ("/console/vendor/uPlot.esm.js", 200),
        ("/console/style.css", 200),
        ("/console/nothing.js", 404),
        ("/console/..%2F..%2FCargo.toml", 404),
    ] {
        let got = match ureq::get(&format!("{}{path}", n.url())).call() {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(c, _)) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(got, code, "{path}");
    }
    let (code, _) = raw(
        &n.url(),
        "GET /console HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
        &mut |_| {},
    );
    assert_eq!(code, 308);

    // The explorer's view of the transfer: exactly its public parts.
    let (code, block) = get(&format!("{}/v1/blocks/{height}", n.url()));
    assert_eq!(code, 200);
    let t = block["txs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["hash"] == tx.hash().unwrap().to_string())
        .unwrap();
    let Transaction::Transfer(transfer) = &tx else {
        panic!("not a transfer")
    };
    let bytes = tx.encode().unwrap();
    assert_eq!(t["size"], bytes.len());
    assert_eq!(t["fee"], transfer.fee);
    assert_eq!(
        t["ring_sizes"],
        serde_json::json!(transfer
            .inputs
            .iter()
            .map(|i| i.ring.len())
            .collect::<Vec<_>>())
    );
    let outs = &transfer.bundle.outputs;
    assert_eq!(t["one_time_keys"].as_array().unwrap().len(), outs.len());
    for (o, (k, c)) in outs.iter().zip(
        t["one_time_keys"]
            .as_array()
            .unwrap()
            .iter()
            .zip(t["commitments"].as_array().unwrap()),
    ) {
        assert_eq!(k.as_str().unwrap(), hex::encode(o.one_time_key.as_bytes()));
        assert_eq!(c.as_str().unwrap(), hex::encode(o.commitment().as_bytes()));
    }
    let part = |name: &str| {
        t["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no part {name}"))["bytes"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        part("range-proof"),
        u64::try_from(transfer.bundle.range_proof.as_bytes().len()).unwrap()
    );
    let ring: usize = transfer
        .signatures
        .iter()
        .map(|s| 32 + 96 * s.rounds.len())
        .sum();
    assert_eq!(part("ring-signatures"), u64::try_from(ring).unwrap());
    let parts: u64 = [
        "range-proof",
        "regulator-proof",
        "output-payloads",
        "regulator-payload",
        "ring-signatures",
    ]
    .iter()
    .map(|p| part(p))
    .sum();
    assert!(parts < u64::try_from(bytes.len()).unwrap());

    // Health: the node's own view, no alerts on a healthy idle node.
    let (code, h) = get(&format!("{}/v1/node/health", n.url()));
    assert_eq!(code, 200, "{h}");
    assert_eq!(h["height"], height);
    assert!(h["data_bytes"].as_u64().unwrap() > 0);
    assert!(h["disk_total_bytes"].as_u64().unwrap() >= h["disk_free_bytes"].as_u64().unwrap());
    assert_eq!(h["alerts"], serde_json::json!([]), "{h}");
    assert_eq!(h["peers"], serde_json::json!([]));
    assert!(h["mempool_max_txs"].as_u64().unwrap() > 0);

    // History: a sample after the transfer saw its block (the node's own
    // sampler may have taken it first).
    let (code, hist) = get(&format!("{}/v1/node/history", n.url()));
    assert_eq!(code, 200);
    assert_eq!(hist["interval_s"], 5);
    let samples = hist["samples"].as_array().unwrap();
    assert_eq!(samples.last().unwrap()["height"], height, "{hist}");
    assert!(
        samples
            .iter()
            .any(|s| s["blocks"].as_u64().unwrap() >= 1 && s["finality_p50_ms"].is_u64()),
        "{hist}"
    );
}

/// Streams 1.5 MiB in chunks without a Content-Length.
fn chunked_oversized_body(url: &str) -> (u16, String) {
    use std::io::Write;
    raw(
        url,
        "POST /v1/transactions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        &mut |s| {
            let chunk = vec![1u8; 64 * 1024];
            for _ in 0..24 {
                if write!(s, "{:x}\r\n", chunk.len()).is_err()
                    || s.write_all(&chunk).is_err()
                    || s.write_all(b"\r\n").is_err()
                {
                    break;
                }
            }
            let _ = s.write_all(b"0\r\n\r\n");
        },
    )
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_transaction_is_always_pending_or_committed_once_accepted() {
    // Regression: status was read from the ledger, then the mempool, and a
    // block committing in between made an accepted transaction look unknown.
    let n = TestNode::start(6);
    let mut a = n.bank_a();
    let b = n.bank_b();
    scan(&mut a, &n);
    let src = n.source();
    for i in 0..6u64 {
        let tx = a
            .prepare_transfer(&src, &cny(), b.address(), 10 + i, b"", 0, 16, &mut OsRng)
            .unwrap();
        let hash = src.submit(&tx).unwrap();
        loop {
            match src.tx_status(&hash).unwrap() {
                veil::wallet::source::TxStatus::Committed(_) => break,
                veil::wallet::source::TxStatus::Pending => {}
                veil::wallet::source::TxStatus::NotFound => {
                    panic!("accepted transaction {hash} reported unknown")
                }
            }
        }
    }
}

/// Errors the HTTP framework raises before a handler runs are problem+json
/// too, with their status kept: a path parameter that is not UTF-8, a
/// query that does not parse, a JSON endpoint given another content type or
/// malformed JSON, an unknown route and method, a declared body over the
/// limit; and those hyper would answer with a bare status line (too many
/// headers, a head over the limit, a malformed request line or header).
#[test]
fn framework_errors_are_problem_json() {
    use common::http::raw;
    let n = TestNode::start(31);
    let url = n.url();
    let get =
        |path: &str| format!("GET {path} HTTP/1.1\r\nHost: {{addr}}\r\nConnection: close\r\n\r\n");
    let post = |path: &str, ct: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: {{addr}}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let cases: Vec<(String, u16)> = vec![
        (get("/v1/blocks/%ff"), 400),
        (get("/v1/dids/%c3%28"), 400),
        (get("/v1/blocks?from=abc&to=1"), 400),
        (get("/v1/governance/proposals?limit=-1"), 400),
        (get("/v1/nowhere"), 404),
        (post("/v1/status", "application/json", "{}"), 405),
        (post("/v1/presentations/verify", "text/plain", "{}"), 415),
        (post("/v1/presentations/verify", "application/json", "{not json"), 400),
        (post("/v1/presentations/verify", "application/json", "{\"x\": 1}"), 400),
        (
            "POST /v1/presentations/verify HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n".to_owned(),
            413,
        ),
    ];
    // Refused before hyper parses them: too many headers, a head over the
    // limit, a request line or header that is not HTTP.
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let huge = "a".repeat(70 * 1024);
    let cases = cases.into_iter().chain([
        (
            format!("GET /v1/status HTTP/1.1\r\nHost: {{addr}}\r\n{many}\r\n"),
            431,
        ),
        (
            format!("GET /v1/status HTTP/1.1\r\nHost: {{addr}}\r\nX-Big: {huge}\r\n\r\n"),
            431,
        ),
        ("GET /v1/status HTTP/9\r\n\r\n".to_owned(), 400),
        ("\u{1}\u{2} nonsense\r\n\r\n".to_owned(), 400),
        (
            "GET /v1/status HTTP/1.1\r\nHost {addr}\r\n\r\n".to_owned(),
            400,
        ),
    ]);
    for (head, want) in cases {
        let (code, text) = raw(&url, &head, &mut |_| {});
        let first = head.lines().next().unwrap_or_default().to_owned();
        assert_eq!(code, want, "{first}: {text}");
        let lower = text.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: application/problem+json"),
            "{first}: {text}"
        );
        let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
        let body = body
            .find('{')
            .map(|i| &body[i..body.rfind('}').unwrap() + 1])
            .unwrap_or(body);
        let p: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{first}: {e}: {text}"));
        assert_eq!(p["status"], want, "{p}");
        assert!(
            p["type"].as_str().unwrap().starts_with("urn:veil:problem:"),
            "{p}"
        );
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{p}");
    }
}

/// `latest` is accepted wherever a height is; a 401 names its scheme.
#[test]
fn latest_is_a_height_and_401_names_its_scheme() {
    use common::http::raw;
    let n = TestNode::start(32);
    let url = n.url();
    for path in [
        "/v1/audit-log?from=0&to=latest",
        "/v1/blocks?from=latest",
        "/v1/blocks/latest",
        "/v1/audit-log?from=latest",
    ] {
        let (code, body) = get(&format!("{url}{path}"));
        assert_eq!(code, 200, "{path}: {body}");
    }
    let (code, body) = get(&format!("{url}/v1/audit-log?to=soon"));
    assert_eq!(code, 400, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("latest"),
        "{body}"
    );
    let (code, text) = raw(
        &url,
        "GET /v1/regulator/transfers?from=0&to=latest HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
        &mut |_| {},
    );
    assert_eq!(code, 401, "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("www-authenticate: veil-regulator realm=\"veil\""),
        "{text}"
    );
}

/// `/metrics` is OpenMetrics (content type and `# EOF` match), each metric
/// family declared once, with process metrics and per-route HTTP request
/// counts and latencies.
#[test]
fn metrics_are_openmetrics_with_process_and_http_metrics() {
    let n = TestNode::start(33);
    for _ in 0..3 {
        let (code, _) = get(&format!("{}/v1/status", n.url()));
        assert_eq!(code, 200);
    }
    let (code, _) = get(&format!("{}/v1/blocks/999999", n.url()));
    assert_eq!(code, 404);
    let r = ureq::get(&format!("{}/metrics", n.url())).call().unwrap();
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = r.into_string().unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(text.matches("# EOF").count(), 1);
    let mut families = std::collections::HashSet::new();
    for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let name = line.split_whitespace().nth(2).unwrap().to_owned();
        assert!(families.insert(name.clone()), "{name} declared twice");
    }
    for needle in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_start_time_seconds ",
        "veil_http_requests_total{route=\"/v1/status\",method=\"GET\",status=\"200\"} 3",
        "veil_http_requests_total{route=\"/v1/blocks/{height}\",method=\"GET\",status=\"404\"} 1",
        "veil_http_request_seconds_count{route=\"/v1/status\"} 3",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    let rss: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(rss > 1 << 20, "{rss}");
}
