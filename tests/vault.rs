//! The evidence vault end to end on a real node: RocksDB and the chunk
//! directory in a temporary directory, the HTTP API on an ephemeral port,
//! files encrypted by the client, records on the ledger.

mod common;

use std::path::Path;

use common::node::TestNode;
use rand_core::OsRng;
use veil::client::types::{VaultDocumentJson, VaultLogJson};
use veil::client::Client;
use veil::codec::Encode;
use veil::crypto::keys::AccountKeys;
use veil::dev::DEV_JURISDICTION;
use veil::regulator::credentials::Credentials;
use veil::tx::registry::Jurisdiction;
use veil::tx::vault::party::Party;
use veil::tx::vault::{VaultOp, VaultTx};
use veil::tx::Transaction;
use veil::vault::{DocumentKey, Metadata};
use veil::wallet::vault::{self as vv, VaultClientError};

const NAME: &str = "bill-of-lading-SHA-0042.pdf";

struct Bank {
    party: Party,
}

fn bank(keys: &AccountKeys) -> Bank {
    Bank {
        party: Party::from_account(keys),
    }
}

fn parties(n: &TestNode) -> (Bank, Bank, Bank) {
    let a = bank(n.bank_a().keys().unwrap());
    let b = bank(n.bank_b().keys().unwrap());
    let c = bank(&AccountKeys::from_seed(&[0xcc; 32]));
    let client = Client::new(&n.url());
    for p in [&a, &b, &c] {
        assert!(vv::ensure_enrolled(&client, &n.source(), &p.party).unwrap());
        assert!(!vv::ensure_enrolled(&client, &n.source(), &p.party).unwrap());
    }
    (a, b, c)
}

fn plaintext(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len)
        .map(|i| u8::try_from(i * 7 % 251).unwrap())
        .collect();
    let marker = b"PLAINTEXT-MARKER-7f3a";
    v[..marker.len()].copy_from_slice(marker);
    v
}

fn meta() -> Metadata {
    Metadata {
        name: NAME.into(),
        media_type: "application/pdf".into(),
    }
}

fn put(
    n: &TestNode,
    owner: &Bank,
    doc: Option<([u8; 32], u32)>,
    grantees: &[&Bank],
    data: &[u8],
) -> vv::Stored {
    try_put(n, owner, doc, grantees, std::io::Cursor::new(data)).unwrap()
}

fn try_put(
    n: &TestNode,
    owner: &Bank,
    doc: Option<([u8; 32], u32)>,
    grantees: &[&Bank],
    plain: impl std::io::Read + std::io::Seek + Send,
) -> Result<vv::Stored, VaultClientError> {
    let client = Client::new(&n.url());
    let g: Vec<_> = grantees
        .iter()
        .map(|b| (b.party.key(), b.party.recipient()))
        .collect();
    vv::put(
        &client,
        &n.source(),
        &owner.party,
        doc,
        &g,
        plain,
        meta(),
        &mut |_, _| {},
    )
}

fn doc(n: &TestNode, id: &[u8; 32]) -> VaultDocumentJson {
    vv::document(&Client::new(&n.url()), id).unwrap()
}

/// Opens version `v` as `who`, with `key`; the plaintext, or the node's
/// problem type.
fn open_as(
    n: &TestNode,
    who: &Bank,
    id: &[u8; 32],
    v: u32,
    key: &DocumentKey,
    dir: &Path,
) -> Result<Vec<u8>, String> {
    let d = doc(n, id);
    let ver = vv::version_of(&d, Some(v)).map_err(|e| e.to_string())?;
    let open = vv::open_record(&who.party, &d, ver, key, n.node().now_ms(), 60_000).unwrap();
    download(n, &open, key, ver, dir)
}

fn download(
    n: &TestNode,
    open: &VaultTx,
    key: &DocumentKey,
    ver: &veil::client::types::VaultVersionJson,
    dir: &Path,
) -> Result<Vec<u8>, String> {
    let dest = dir.join(format!("out-{}", hex::encode(open.nonce)));
    match vv::download(
        &Client::new(&n.url()),
        open,
        key,
        ver,
        &dest,
        &mut |_, _| {},
    ) {
        Ok(len) => {
            let bytes = std::fs::read(&dest).unwrap();
            assert_eq!(u64::try_from(bytes.len()).unwrap(), len);
            Ok(bytes)
        }
        Err(VaultClientError::Client(e)) => {
            assert!(!dest.exists(), "a refused download leaves no file");
            Err(e
                .problem()
                .map(|p| p.kind.clone())
                .unwrap_or_else(|| e.to_string()))
        }
        Err(e) => Err(e.to_string()),
    }
}

fn trail(n: &TestNode, id: &[u8; 32]) -> VaultLogJson {
    Client::new(&n.url())
        .get(&format!("/v1/vault/documents/{}/log", hex::encode(id)))
        .unwrap()
}

fn regulator(n: &TestNode) -> Credentials {
    Credentials::Regulator {
        master: n.network.regulator(),
        label: "dev-regulator".into(),
        jurisdiction: Jurisdiction::new(DEV_JURISDICTION).unwrap(),
    }
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn grantees_and_the_regulator_open_others_do_not_and_the_trail_shows_each_opening() {
    let n = TestNode::start(61);
    let out = tempfile::tempdir().unwrap();
    let (a, b, c) = parties(&n);
    let data = plaintext(3 * (1 << 20) + 12_345);
    let s = put(&n, &a, None, &[&b], &data);
    assert_eq!(s.ctx.version, 1);
    assert_eq!(s.plain_len, u64::try_from(data.len()).unwrap());
    let id = s.ctx.id;

    // The owner and the grantee open; what they read is the file.
    assert_eq!(open_as(&n, &a, &id, 1, &s.key, out.path()).unwrap(), data);
    let d = doc(&n, &id);
    let kb = vv::own_key(&b.party, &id, &d.versions[0]).unwrap();
    assert_eq!(open_as(&n, &b, &id, 1, &kb, out.path()).unwrap(), data);
    // C has no wrap and no key: 403, and nothing is recorded for it.
    assert!(vv::own_key(&c.party, &id, &d.versions[0]).is_err());
    let not_c = DocumentKey::from_bytes(&[0; 32]);
    let d_as_c = c
        .party
        .open(id, 1, n.node().now_ms() + 60_000, None, &mut OsRng)
        .unwrap();
    assert_eq!(
        download(&n, &d_as_c, &not_c, &d.versions[0], out.path()).unwrap_err(),
        "urn:veil:problem:vault-forbidden"
    );
    // C with a capability signature made from a wrong key: refused too.
    assert!(open_as(&n, &c, &id, 1, &not_c, out.path()).is_err());

    // The regulator unwraps with its epoch key and opens with its identity.
    let creds = regulator(&n);
    let client = Client::new(&n.url());
    let kr = veil::cli::vault::regulator_key(&client, &creds, &id, &d.versions[0]).unwrap();
    assert_eq!(kr.expose(), s.key.expose());
    let reg_open = VaultTx::sign(
        &creds.signer(),
        [3; 16],
        VaultOp::Open {
            doc: id,
            version: 1,
            expires_ms: n.node().now_ms() + 60_000,
            capability: None,
        },
    )
    .unwrap();
    assert_eq!(
        download(&n, &reg_open, &kr, &d.versions[0], out.path()).unwrap(),
        data
    );
    // The same signed request again within its lifetime: served, recorded
    // once (it is one opening).
    assert_eq!(
        download(&n, &reg_open, &kr, &d.versions[0], out.path()).unwrap(),
        data
    );
    // An expired request: refused.
    let old = VaultTx::sign(
        &creds.signer(),
        [4; 16],
        VaultOp::Open {
            doc: id,
            version: 1,
            expires_ms: 1,
            capability: None,
        },
    )
    .unwrap();
    assert_eq!(
        download(&n, &old, &kr, &d.versions[0], out.path()).unwrap_err(),
        "urn:veil:problem:expired"
    );

    // A payee holding the key (from a payment's note) opens by capability.
    assert_eq!(open_as(&n, &c, &id, 1, &s.key, out.path()).unwrap(), data);

    let t = trail(&n, &id);
    let ops: Vec<(&str, &str)> = t
        .entries
        .iter()
        .map(|e| (e.op.as_str(), e.role.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("put", "owner"),
            ("open", "owner"),
            ("open", "grantee"),
            ("open", "regulator"),
            ("open", "capability")
        ]
    );
    assert_eq!(t.entries[2].actor, hex::encode(b.party.key().as_bytes()));
    // Each entry is a committed transaction: provable through its block.
    for e in &t.entries {
        let status: serde_json::Value = client.get(&format!("/v1/transactions/{}", e.tx)).unwrap();
        assert_eq!(status["status"], "committed", "{status}");
    }
}

#[test]
fn revoking_rotates_and_grants_extend() {
    let n = TestNode::start(62);
    let out = tempfile::tempdir().unwrap();
    let (a, b, c) = parties(&n);
    let client = Client::new(&n.url());
    let data = plaintext(100_000);
    let s = put(&n, &a, None, &[&b], &data);
    let id = s.ctx.id;
    // Grant C version 1.
    let wrap =
        Box::new(veil::vault::wrap_for(&s.key, &c.party.recipient(), &s.ctx, &mut OsRng).unwrap());
    let grant = a
        .party
        .sign(
            VaultOp::Grant {
                doc: id,
                version: 1,
                party: c.party.key(),
                wrap,
            },
            &mut OsRng,
        )
        .unwrap();
    vv::submit_record(&n.source(), grant.clone()).unwrap();
    // Replaying the grant (after a revoke it would re-grant): refused.
    let err = vv::submit_record(&n.source(), grant)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already known") || err.contains("nonce"),
        "{err}"
    );
    let d = doc(&n, &id);
    let kc = vv::own_key(&c.party, &id, &d.versions[0]).unwrap();
    assert_eq!(open_as(&n, &c, &id, 1, &kc, out.path()).unwrap(), data);

    // Revoke B, rotate: version 2 for C only.
    let revoke = a
        .party
        .sign(
            VaultOp::Revoke {
                doc: id,
                party: b.party.key(),
            },
            &mut OsRng,
        )
        .unwrap();
    vv::submit_record(&n.source(), revoke).unwrap();
    let kb = vv::own_key(&b.party, &id, &d.versions[0]).unwrap();
    assert_eq!(
        open_as(&n, &b, &id, 1, &kb, out.path()).unwrap_err(),
        "urn:veil:problem:vault-forbidden"
    );
    let v2 = plaintext(50_000);
    let s2 = put(&n, &a, Some((id, 1)), &[&c], &v2);
    assert_eq!(s2.ctx.version, 2);
    let d = doc(&n, &id);
    assert_eq!(d.latest, 2);
    assert!(
        vv::own_key(&b.party, &id, &d.versions[1]).is_err(),
        "no wrap for B in v2"
    );
    let kc2 = vv::own_key(&c.party, &id, &d.versions[1]).unwrap();
    assert_eq!(open_as(&n, &c, &id, 2, &kc2, out.path()).unwrap(), v2);
    // B, even with v1's key, cannot open v2 (a capability is per version).
    assert!(open_as(&n, &b, &id, 2, &kb, out.path()).is_err());

    let ops: Vec<String> = trail(&n, &id)
        .entries
        .iter()
        .map(|e| format!("{} {}", e.op, e.role))
        .collect();
    assert_eq!(
        ops,
        [
            "put owner",
            "grant owner",
            "open grantee",
            "revoke owner",
            "put owner",
            "open grantee"
        ]
    );
    // Unknown grantee: a put naming an address that never enrolled.
    let stranger = Party::from_account(&AccountKeys::from_seed(&[0xdd; 32]));
    let e = vv::resolve(&client, &stranger.label()).unwrap_err();
    assert!(
        matches!(e, VaultClientError::Client(ref c) if c.problem().is_some_and(|p| p.status == 404))
    );
}

/// Sends a raw upload; the status and problem type.
fn upload_raw(n: &TestNode, record: Option<&[u8]>, body: Vec<u8>) -> (u16, String) {
    let mut req = ureq::post(&format!("{}/v1/vault/uploads", n.url()))
        .set("Content-Type", "application/octet-stream");
    if let Some(r) = record {
        req = req.set("Authorization", &format!("Veil-Vault {}", hex::encode(r)));
    }
    match req.send_bytes(&body) {
        Ok(r) => (r.status(), String::new()),
        Err(ureq::Error::Status(code, r)) => {
            assert_eq!(r.content_type(), "application/problem+json");
            let v: serde_json::Value = r.into_json().unwrap();
            (code, v["type"].as_str().unwrap_or("").to_owned())
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn bad_uploads_store_nothing_and_say_why() {
    let n = TestNode::start_configured(63, |c| c.vault.quota_bytes = 4 << 20);
    let (a, _, _) = parties(&n);
    let chunks_dir = n.dir.path().join("vault");
    let before = files(&chunks_dir).len();

    // A valid put record and stream, built by hand.
    let (nonce, ctx) = a.party.new_version(None, &mut OsRng);
    let key = DocumentKey::generate(&mut OsRng);
    let data = plaintext(2 * (1 << 20) + 5);
    let mut chunks = Vec::new();
    let manifest = veil::vault::encrypt(&key, &ctx, &mut OsRng, &data[..], 1 << 30, |_, b| {
        chunks.push(b.to_vec());
        Ok(())
    })
    .unwrap();
    let plan = veil::tx::vault::party::VersionPlan {
        doc: None,
        grantees: &[],
        regulator: veil::wallet::source::ChainSource::regulator_key(&n.source()).unwrap(),
        metadata: meta(),
    };
    let record = a
        .party
        .put(nonce, &ctx, &key, &manifest, &plan, &mut OsRng)
        .unwrap();
    let record = Transaction::Vault(record).encode().unwrap();
    let head = manifest.encode().unwrap();
    let stream = |chunks: &[Vec<u8>]| {
        let mut s = u32::try_from(head.len()).unwrap().to_be_bytes().to_vec();
        s.extend_from_slice(&head);
        for c in chunks {
            s.extend_from_slice(c);
        }
        s
    };

    // No record: 401, asking for a vault record.
    assert_eq!(upload_raw(&n, None, stream(&chunks)).0, 401);
    match ureq::get(&format!(
        "{}/v1/vault/documents/{}/versions/1/content",
        n.url(),
        "ab".repeat(32)
    ))
    .call()
    {
        Err(ureq::Error::Status(401, r)) => assert_eq!(
            r.header("www-authenticate"),
            Some("Veil-Vault realm=\"veil\"")
        ),
        other => panic!("{other:?}"),
    }
    // A tampered chunk: 422, nothing kept.
    let mut bad = chunks.clone();
    bad[1][100] ^= 1;
    assert_eq!(
        upload_raw(&n, Some(&record), stream(&bad)),
        (422, "urn:veil:problem:content-mismatch".into())
    );
    // Chunks swapped (reordered): 422.
    let mut swapped = chunks.clone();
    swapped.swap(0, 1);
    assert_eq!(upload_raw(&n, Some(&record), stream(&swapped)).0, 422);
    // Truncated: 422.
    let mut cut = stream(&chunks);
    cut.truncate(cut.len() - 10);
    assert_eq!(
        upload_raw(&n, Some(&record), cut),
        (422, "urn:veil:problem:content-mismatch".into())
    );
    // Extra bytes: 422.
    let mut long = stream(&chunks);
    long.push(0);
    assert_eq!(upload_raw(&n, Some(&record), long).0, 422);
    // Another manifest (wrong content address): 422.
    let mut other = stream(&chunks);
    other[4 + 10] ^= 1;
    assert_eq!(upload_raw(&n, Some(&record), other).0, 422);
    // A zero manifest length followed by bytes: refused, not a spin.
    let mut zero = vec![0u8; 4];
    zero.extend_from_slice(&[1u8; 100]);
    assert_eq!(upload_raw(&n, Some(&record), zero).0, 422);
    // The put without its content, through /v1/transactions: refused.
    let bare = Transaction::decode(&record).unwrap();
    let e = veil::wallet::source::ChainSource::submit(&n.source(), &bare)
        .unwrap_err()
        .to_string();
    assert!(e.contains("travels with its content"), "{e}");
    // Not a put record: 400. Garbage: 400.
    assert_eq!(upload_raw(&n, Some(&[1, 2, 3]), stream(&chunks)).0, 400);
    assert_eq!(files(&chunks_dir).len(), before, "nothing stored half");

    // The good upload; the same record again is refused (a replay).
    assert_eq!(upload_raw(&n, Some(&record), stream(&chunks)).0, 202);
    let hash = Transaction::hash_of(&record);
    veil::wallet::wait_committed(&n.source(), &hash, std::time::Duration::from_secs(30)).unwrap();
    let after = files(&chunks_dir).len();
    assert_eq!(after, before + chunks.len() + 1, "chunks and manifest");
    let (status, kind) = upload_raw(&n, Some(&record), stream(&chunks));
    assert_eq!(
        (status, kind.as_str()),
        (409, "urn:veil:problem:vault-replay")
    );
    assert_eq!(
        files(&chunks_dir).len(),
        after,
        "the replay kept its chunks"
    );

    // Over the owner's quota (4 MiB; 2 MiB used): 413 before any byte.
    let big = plaintext(3 << 20);
    let e = try_put(&n, &a, None, &[], std::io::Cursor::new(&big[..])).unwrap_err();
    match e {
        VaultClientError::Client(c) => {
            let p = c.problem().unwrap();
            assert_eq!(
                (p.status, p.kind.as_str()),
                (413, "urn:veil:problem:quota-exceeded")
            );
        }
        other => panic!("{other}"),
    }
    assert_eq!(files(&chunks_dir).len(), after);

    // A plaintext that changes between the client's two passes (the
    // manifest's, then the sending one) is refused by the client when the
    // first chunk differs; the node keeps nothing of the stream.
    struct Changing {
        data: std::io::Cursor<Vec<u8>>,
        rewound: bool,
    }
    impl std::io::Read for Changing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.data.read(buf)
        }
    }
    impl std::io::Seek for Changing {
        fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
            if self.rewound {
                self.data.get_mut()[7] ^= 1;
            }
            self.rewound = true;
            self.data.seek(to)
        }
    }
    let e = try_put(
        &n,
        &a,
        None,
        &[],
        Changing {
            data: std::io::Cursor::new(plaintext(1 << 20)),
            rewound: false,
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, VaultClientError::Vault(veil::vault::VaultError::Changed)),
        "{e}"
    );
    assert_eq!(
        files(&chunks_dir).len(),
        after,
        "a changed file left chunks"
    );
    // Unknown document: 404 problem.
    let (code, _) = common::http::get(&format!(
        "{}/v1/vault/documents/{}",
        n.url(),
        "ab".repeat(32)
    ));
    assert_eq!(code, 404);
}

#[test]
fn purge_leaves_no_ciphertext_and_nothing_leaks_into_the_database() {
    let n = TestNode::start(64);
    let out = tempfile::tempdir().unwrap();
    let (a, b, _) = parties(&n);
    let data = plaintext((1 << 20) + 1000);
    let s = put(&n, &a, None, &[&b], &data);
    let s2 = put(&n, &a, Some((s.ctx.id, 1)), &[&b], &plaintext(70_000));
    let id = s.ctx.id;
    assert_eq!(open_as(&n, &a, &id, 1, &s.key, out.path()).unwrap(), data);
    n.node().flush().unwrap();

    // Privacy: neither the file name nor the plaintext nor the key is in
    // any file of the node's data directory (RocksDB, chunks, manifests).
    let all = files(n.dir.path());
    let chunk_files: Vec<_> = all
        .iter()
        .filter(|p| p.to_string_lossy().contains("/vault/chunks/"))
        .cloned()
        .collect();
    assert!(chunk_files.len() >= 3);
    for f in &all {
        let bytes = std::fs::read(f).unwrap();
        for needle in [
            NAME.as_bytes(),
            b"PLAINTEXT-MARKER-7f3a",
            s.key.expose(),
            s2.key.expose(),
        ] {
            assert!(!contains(&bytes, needle), "{} holds a secret", f.display());
        }
    }
    let sample: Vec<Vec<u8>> = chunk_files
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();

    // B may not purge; A does.
    let p = b
        .party
        .sign(VaultOp::Purge { doc: id }, &mut OsRng)
        .unwrap();
    assert!(vv::submit_record(&n.source(), p).is_err());
    let p = a
        .party
        .sign(VaultOp::Purge { doc: id }, &mut OsRng)
        .unwrap();
    vv::submit_record(&n.source(), p).unwrap();
    let d = doc(&n, &id);
    assert!(d.purged && d.versions.is_empty() && d.grantees.is_empty());
    n.node().flush().unwrap();
    for f in files(&n.dir.path().join("vault")) {
        let bytes = std::fs::read(&f).unwrap();
        for c in &sample {
            assert_ne!(&bytes, c, "{} still holds a chunk", f.display());
        }
    }
    assert!(files(&n.dir.path().join("vault/chunks")).is_empty());
    assert!(files(&n.dir.path().join("vault/manifests")).is_empty());
    // Opening now: 410 (and the trail ends with the purge).
    let open = a
        .party
        .open(id, 1, n.node().now_ms() + 60_000, None, &mut OsRng)
        .unwrap();
    let record = Transaction::Vault(open).encode().unwrap();
    let r = ureq::get(&format!(
        "{}/v1/vault/documents/{}/versions/1/content",
        n.url(),
        hex::encode(id)
    ))
    .set(
        "Authorization",
        &format!("Veil-Vault {}", hex::encode(record)),
    )
    .call();
    match r {
        Err(ureq::Error::Status(code, _)) => assert_eq!(code, 410),
        other => panic!("{:?}", other.map(|r| r.status())),
    }
    let t = trail(&n, &id);
    assert_eq!(t.entries.last().unwrap().op, "purge");
}

#[test]
fn a_hundred_megabytes_round_trip() {
    let n = TestNode::start(65);
    let out = tempfile::tempdir().unwrap();
    let (a, _, _) = parties(&n);
    let path = out.path().join("big.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let block = plaintext(1 << 20);
        for i in 0..100u32 {
            let mut b = block.clone();
            b[100..104].copy_from_slice(&i.to_be_bytes());
            f.write_all(&b).unwrap();
        }
    }
    let client = Client::new(&n.url());
    let f = std::fs::File::open(&path).unwrap();
    let s = try_put(&n, &a, None, &[], f).unwrap();
    assert_eq!(s.plain_len, 100 << 20);
    let d = doc(&n, &s.ctx.id);
    let open = vv::open_record(
        &a.party,
        &d,
        &d.versions[0],
        &s.key,
        n.node().now_ms(),
        60_000,
    )
    .unwrap();
    let dest = out.path().join("back.bin");
    let len = vv::download(
        &client,
        &open,
        &s.key,
        &d.versions[0],
        &dest,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(len, 100 << 20);
    use sha2::Digest;
    let h = |p: &Path| sha2::Sha256::digest(std::fs::read(p).unwrap());
    assert_eq!(h(&path), h(&dest));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// The scrub finds a chunk corrupted on this node's disk, removes it and
/// reports it missing; until it is repaired a download answers 503
/// (never corrupt bytes).
#[test]
fn the_scrub_removes_a_corrupt_chunk_and_downloads_wait_for_repair() {
    let n = TestNode::start(65);
    let out = tempfile::tempdir().unwrap();
    let (a, _, _) = parties(&n);
    let data = plaintext((1 << 20) + 77);
    let s = put(&n, &a, None, &[], &data);
    let chunk_files: Vec<_> = files(&n.dir.path().join("vault/chunks"));
    assert_eq!(chunk_files.len(), 2);
    let mut bytes = std::fs::read(&chunk_files[0]).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&chunk_files[0], bytes).unwrap();
    assert!(
        n.node().vault_needs().unwrap().is_empty(),
        "present, not yet scrubbed"
    );
    assert_eq!(n.node().vault_scrub().unwrap(), 1);
    assert!(!chunk_files[0].exists());
    let needs = n.node().vault_needs().unwrap();
    assert_eq!(needs.len(), 1);
    assert_eq!((needs[0].doc, needs[0].lacking.len()), (s.ctx.id, 1));
    assert_eq!(
        open_as(&n, &a, &s.ctx.id, 1, &s.key, out.path()).unwrap_err(),
        "urn:veil:problem:chunk-missing"
    );
}

/// An erasure order: the committee purges a document by proposal (the
/// dev committee has one member, so it passes in its block). The state
/// keeps a tombstone, the node deletes the chunks, openings get 410, and
/// a second order for the same document is refused.
#[test]
fn the_committee_purges_a_document_by_proposal() {
    use veil::tx::governance::{Action, GovTx, Op};
    let n = TestNode::start(66);
    let out = tempfile::tempdir().unwrap();
    let (a, b, _) = parties(&n);
    let data = plaintext(300_000);
    let s = put(&n, &a, None, &[&b], &data);
    let chunks = n.dir.path().join("vault/chunks");
    assert_eq!(files(&chunks).len(), 1);
    let committee =
        veil::crypto::signing::SigningKey::from_seed(n.network.committee.seed().expose());
    let order = |seq: u64| {
        Transaction::Governance(
            GovTx::sign(
                &committee,
                seq,
                Op::Propose {
                    action: Action::PurgeDocument { doc: s.ctx.id },
                    memo: "erasure order 2026-42".into(),
                },
            )
            .unwrap(),
        )
    };
    veil::wallet::submit_and_wait(&n.source(), &order(1), std::time::Duration::from_secs(30))
        .unwrap();
    let d = doc(&n, &s.ctx.id);
    assert!(d.purged);
    assert!(files(&chunks).is_empty(), "the chunks are deleted");
    assert!(files(&n.dir.path().join("vault/manifests")).is_empty());
    let err = open_as(&n, &a, &s.ctx.id, 1, &s.key, out.path()).unwrap_err();
    assert!(
        err.contains("purged") || err.contains("410") || err.contains("gone"),
        "{err}"
    );
    // Again: the proposal fails (the document is no longer live).
    let e =
        veil::wallet::submit_and_wait(&n.source(), &order(2), std::time::Duration::from_secs(30))
            .map(|_| ())
            .unwrap_err()
            .to_string();
    assert!(
        e.contains("unknown-document") || e.contains("no such live vault document"),
        "{e}"
    );
}
