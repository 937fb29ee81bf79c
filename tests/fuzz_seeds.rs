//! The fuzz targets' seeds (`fuzz/seeds/<target>/`), made from real values:
//! the pinned transfer vector, every transaction of a dev genesis (mints,
//! DIDs, trust list, regulator keys), consensus messages, sync requests and
//! answers, a node certificate, DID documents, a presentation request and
//! API bodies.
//!
//! `VEIL_WRITE_SEEDS=1 cargo test --release --test fuzz_seeds` (re)writes
//! them. Otherwise the test checks that every committed seed is still
//! accepted by the decoder its target fuzzes, so a format change that
//! strands the corpus fails here, not silently in the fuzzer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;

use veil::client::types::Problem;
use veil::codec::{DecodeExt, Encode, Reader, Writer};
use veil::crypto::signing::SigningKey;
use veil::dev::DevNetwork;
use veil::identity::did::{DidDocument, DidId};
use veil::identity::presentation::PresentationRequest;
use veil::identity::tx::{DidOp, DidTx, TrustTx};
use veil::tx::Transaction;
use veil::wire::consensus::{decode_commit, ConsensusMessage};
use veil::wire::sync::{self, Manifest, Request};

type Seeds = BTreeMap<&'static str, Vec<(String, Vec<u8>)>>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds")
}

fn vector_tx() -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/transfer-v1.json"),
        )
        .unwrap(),
    )
    .unwrap();
    hex::decode(v["tx_hex"].as_str().unwrap()).unwrap()
}

fn make() -> Seeds {
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let network = DevNetwork::generate(&mut rng, 1_790_000_000_000).unwrap();
    let txs = network.genesis.genesis_txs().unwrap();
    let mut seeds = Seeds::new();
    let mut add = |target: &'static str, name: String, bytes: Vec<u8>| {
        seeds.entry(target).or_default().push((name, bytes));
    };

    add("transaction", "transfer-vector-v1".into(), vector_tx());
    for (i, tx) in txs.iter().enumerate() {
        let kind = tx.kind();
        add(
            "transaction",
            format!("genesis-{i:02}-{kind}"),
            tx.encode().unwrap(),
        );
        match tx {
            Transaction::Did(d) => {
                add(
                    "did_document",
                    format!("did-tx-{i:02}"),
                    d.encode().unwrap(),
                );
                if let DidOp::Create(doc) = &d.op {
                    add(
                        "did_document",
                        format!("document-{i:02}"),
                        doc.encode().unwrap(),
                    );
                    let text = serde_json::to_vec(&doc.to_json(d.did)).unwrap();
                    add("did_document", format!("document-{i:02}.json"), text);
                    add(
                        "did_document",
                        format!("did-{i:02}"),
                        d.did.to_string().into_bytes(),
                    );
                }
            }
            Transaction::Trust(t) => {
                add(
                    "did_document",
                    format!("trust-tx-{i:02}"),
                    t.encode().unwrap(),
                );
            }
            _ => {}
        }
    }

    // Governance: a proposal of every action, a vote, a delegation.
    {
        use veil::tx::governance::{Action, Choice, GovTx, Op, Param, Supply};
        let member = SigningKey::from_seed(&[0x33; 32]);
        let node = *SigningKey::from_seed(&[0x34; 32]).public();
        let actions = vec![
            Action::AddMember {
                key: node,
                weight: 2,
                label: "bank-c".into(),
            },
            Action::RemoveMember { key: node },
            Action::SetWeight {
                key: node,
                weight: 3,
            },
            Action::RegisterNode {
                key: node,
                name: "node4".into(),
                address: "127.0.0.1:9714".into(),
                observer: false,
                bond: 1,
            },
            Action::RemoveNode { key: node },
            Action::AccreditIssuer {
                asset: "USD".parse().unwrap(),
                issuer: node,
            },
            Action::RevokeIssuer {
                asset: "USD".parse().unwrap(),
            },
            Action::CreateAsset {
                asset: "USD".parse().unwrap(),
                name: "US dollar".into(),
                decimals: 2,
                issuer: node,
                supply: Supply::Open,
            },
            Action::SetParams {
                changes: vec![(Param::Quorum, 500_000), (Param::MinRing, 11)],
            },
            Action::SetRootAuthority {
                did: DidId([7; 20]),
            },
            Action::Halt { height: 1_000 },
            Action::PurgeDocument { doc: [0x1d; 32] },
        ];
        let mut ops: Vec<Op> = actions
            .into_iter()
            .map(|action| Op::Propose {
                action,
                memo: "why".into(),
            })
            .collect();
        ops.push(Op::Vote {
            proposal: 1,
            choice: Choice::Veto,
        });
        ops.push(Op::Delegate { node, amount: 5 });
        ops.push(Op::Undelegate { node, amount: 5 });
        ops.push(Op::Unjail { node });
        for (i, op) in ops.into_iter().enumerate() {
            let kind = op.kind();
            let tx = Transaction::Governance(GovTx::sign(&member, 1, op).unwrap());
            add(
                "transaction",
                format!("governance-{i:02}-{kind}"),
                tx.encode().unwrap(),
            );
        }
    }

    // A commit record with a signature and a double vote.
    {
        use veil::tx::governance::liveness::{CommitRecord, DoubleVote};
        let tx = Transaction::Commit(CommitRecord {
            height: 41,
            round: 2,
            block: [0x41; 32],
            signatures: vec![([1; 32], [2; 64]), ([3; 32], [4; 64])],
            evidence: vec![DoubleVote {
                validator: [3; 32],
                precommit: true,
                height: 40,
                round: 0,
                first: None,
                first_signature: [5; 64],
                second: Some([6; 32]),
                second_signature: [7; 64],
            }],
        });
        add("transaction", "commit-record".into(), tx.encode().unwrap());
    }

    // Vault records (kind 10), one per op but put, from fixed seeds.
    {
        use rand_core::SeedableRng;
        use veil::tx::vault::party::Party;
        use veil::tx::vault::VaultOp;
        use veil::vault::{DocContext, DocumentKey};
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([0x5e; 32]);
        let a = Party::from_account(&veil::crypto::keys::AccountKeys::from_seed(&[0x42; 32]));
        let b = Party::from_account(&veil::crypto::keys::AccountKeys::from_seed(&[0x43; 32]));
        let ctx = DocContext {
            id: [0x1d; 32],
            version: 2,
        };
        let key = DocumentKey::from_bytes(&[0x4b; 32]);
        let wrap = Box::new(veil::vault::wrap_for(&key, &b.recipient(), &ctx, &mut rng).unwrap());
        let frag = |s: &str| veil::identity::did::Fragment::new(s).unwrap();
        let holder = SigningKey::from_seed(&[0x44; 32]);
        let d = Party::from_did(
            DidId::derive(&veil::identity::keys::PublicKey::Ed25519(*holder.public())),
            frag("key-1"),
            holder,
            frag("agree-1"),
            veil::crypto::secret::Secret::new([0x45; 32]),
        );
        let to_did = Box::new(veil::vault::wrap_for(&key, &d.recipient(), &ctx, &mut rng).unwrap());
        let records = [
            ("enrol", a.enrol(&mut rng).unwrap()),
            ("enrol-did", d.enrol(&mut rng).unwrap()),
            (
                "grant-did",
                a.sign(
                    VaultOp::Grant {
                        doc: ctx.id,
                        version: 2,
                        party: d.key(),
                        wrap: to_did,
                    },
                    &mut rng,
                )
                .unwrap(),
            ),
            (
                "grant",
                a.sign(
                    VaultOp::Grant {
                        doc: ctx.id,
                        version: 2,
                        party: b.key(),
                        wrap,
                    },
                    &mut rng,
                )
                .unwrap(),
            ),
            (
                "revoke",
                a.sign(
                    VaultOp::Revoke {
                        doc: ctx.id,
                        party: b.key(),
                    },
                    &mut rng,
                )
                .unwrap(),
            ),
            (
                "open-capability",
                b.open(ctx.id, 2, 1_800_000_000_000, Some(&key), &mut rng)
                    .unwrap(),
            ),
            (
                "purge",
                a.sign(VaultOp::Purge { doc: ctx.id }, &mut rng).unwrap(),
            ),
        ];
        for (name, r) in records {
            add(
                "transaction",
                format!("vault-{name}"),
                Transaction::Vault(r).encode().unwrap(),
            );
        }
    }

    for (i, m) in veil::wire::testing::messages().iter().enumerate() {
        add(
            "consensus_message",
            format!("message-{i}"),
            m.encode().unwrap(),
        );
    }

    let requests = [
        Request::Txs(txs.iter().take(3).map(|t| t.hash().unwrap()).collect()),
        Request::Blocks { from: 1, max: 64 },
        Request::Manifest,
        Request::Chunk {
            height: 100,
            file: 2,
            offset: 1 << 20,
        },
        Request::VaultManifest([0xab; 32]),
        Request::VaultChunk([0xcd; 32]),
    ];
    for (i, r) in requests.iter().enumerate() {
        add("sync_message", format!("request-{i}"), r.encode().unwrap());
    }
    add(
        "sync_message",
        "status".into(),
        sync::status_bytes(7, &veil::ledger::block::BlockHash([9; 32])),
    );
    let mut w = Writer::new();
    sync::put_txs(
        &mut w,
        &txs.iter()
            .take(4)
            .map(|t| t.encode().unwrap())
            .collect::<Vec<_>>(),
    );
    add("sync_message", "bodies-answer".into(), w.finish().unwrap());
    let manifest = Manifest {
        height: 100,
        files: vec![("CURRENT".into(), 16), ("000012.sst".into(), 1 << 20)],
    };
    add(
        "sync_message",
        "manifest".into(),
        manifest.encode().unwrap(),
    );
    add(
        "sync_message",
        "chunk-answer".into(),
        sync::encode_chunk(b"RocksDB").unwrap(),
    );

    let mut hello = veil::net::admission::MAGIC.to_vec();
    hello.push(veil::net::admission::VERSION);
    add("net_frame", "hello".into(), hello);
    let key = SigningKey::from_seed(&[5; 32]);
    let (cert, _) = veil::net::tls::node_certificate(&key).unwrap();
    add(
        "net_frame",
        "node-certificate".into(),
        cert.as_ref().to_vec(),
    );

    let request = PresentationRequest {
        nonce: veil_circuits::Fr::from(42u64),
        scope: "onboarding".into(),
        credential_type: "KycCredential".into(),
        issuers: vec![network.kyc_issuer.did],
        disclose: vec!["country".into()],
        predicate: None,
    };
    add(
        "credential",
        "request.json".into(),
        serde_json::to_vec(&request.to_json()).unwrap(),
    );
    add(
        "credential",
        "envelope-shape.json".into(),
        serde_json::to_vec(&json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "KycCredential"],
            "issuer": network.kyc_issuer.did.to_string(),
            "credentialSubject": {"country": "CN", "level": 2},
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                      "verificationMethod": format!("{}?versionId=1#key-1", network.kyc_issuer.did),
                      "proofValue": "z3FXQ"}
        }))
        .unwrap(),
    );

    let problem = Problem {
        kind: "urn:veil:problem:double-spend".into(),
        title: "Double spend".into(),
        status: 409,
        detail: "key image already spent".into(),
    };
    add(
        "api_body",
        "problem.json".into(),
        serde_json::to_vec(&problem).unwrap(),
    );
    add(
        "api_body",
        "submit.json".into(),
        serde_json::to_vec(&json!({"hash": hex::encode([1u8; 32])})).unwrap(),
    );
    // Threshold keys and backup shares, from fixed randomness.
    {
        use veil::crypto::point::Point;
        use veil::crypto::regulator_ciphertext::RegulatorSecretKey;
        use veil::crypto::threshold::{limb_base, split_existing, Params};
        let single = RegulatorSecretKey::from_seed(&[0x33; 32]);
        let mut rng = ChaCha20Rng::from_seed([0x44; 32]);
        let officers = split_existing(&single, Params::new(2, 3).unwrap(), &mut rng).unwrap();
        let e = Point::from_point(curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT);
        let partial = officers[0].partial(&[limb_base(), e], &mut rng);
        add("threshold", "partial".into(), partial.to_bytes());
        add(
            "threshold",
            "public-key-set".into(),
            officers[0].public().to_bytes(),
        );
        {
            use veil::crypto::hook_threshold::{HookCommitments, HookDealing, HookKeyShare};
            let params = Params::new(2, 3).unwrap();
            let deals: Vec<HookDealing> = (0..2)
                .map(|_| HookDealing::generate(params, &mut rng))
                .collect();
            let public: Vec<(u16, &HookCommitments)> = (1..=2)
                .zip(&deals)
                .map(|(i, d)| (i, &d.commitments))
                .collect();
            let received: Vec<_> = (1..=2)
                .zip(&deals)
                .map(|(i, d)| (i, d.share_for(1).unwrap()))
                .collect();
            let hook = HookKeyShare::from_dkg(1, params, &public, &received).unwrap();
            let c1 = hook.public().key().0;
            add(
                "threshold",
                "hook-partial".into(),
                hook.partial(&c1, b"seed", &mut rng).to_bytes(),
            );
            add("threshold", "hook-key-set".into(), hook.public().to_bytes());
        }
        let seed = veil::crypto::secret::Secret::new([0x5a; 32]);
        let shares = veil::wallet::backup::split(&seed, 2, 3, &mut rng).unwrap();
        add(
            "threshold",
            "backup-share".into(),
            shares[0].to_bytes().expose().to_vec(),
        );
        add(
            "threshold",
            "backup-words".into(),
            shares[1].to_words().expose().as_bytes().to_vec(),
        );
        let roster = veil::regulator::threshold::Roster {
            jurisdiction: "cn".into(),
            threshold: 2,
            officers: vec![],
        };
        add(
            "threshold",
            "roster.json".into(),
            serde_json::to_vec(&roster).unwrap(),
        );
    }
    seeds
}

/// Whether the target's decoders accept `bytes` (mirrors `fuzz/fuzz_targets`).
fn accepted(target: &str, bytes: &[u8]) -> bool {
    match target {
        "transaction" => Transaction::decode(bytes).is_ok_and(|t| t.encode().unwrap() == bytes),
        "consensus_message" => {
            ConsensusMessage::decode(bytes).is_ok_and(|m| m.encode().unwrap() == bytes)
                || decode_commit(bytes).is_ok()
        }
        "sync_message" => {
            Request::decode(bytes).is_ok()
                || sync::decode_status(bytes).is_ok()
                || sync::decode_txs(bytes).is_ok()
                || sync::decode_blocks(bytes).is_ok()
                || Manifest::decode(bytes).is_ok()
                || sync::decode_chunk(bytes).is_ok()
        }
        "net_frame" => {
            let der = rustls::pki_types::CertificateDer::from(bytes);
            veil::net::tls::certificate_key(&der).is_some()
                || <[u8; 5]>::try_from(bytes)
                    .is_ok_and(|h| veil::net::admission::check_hello(&h).is_ok())
        }
        "did_document" => {
            let whole = |f: &dyn Fn(&mut Reader<'_>) -> bool| {
                let mut r = Reader::new(bytes);
                f(&mut r) && r.finish().is_ok()
            };
            whole(&|r| DidTx::read(r).is_ok())
                || whole(&|r| TrustTx::read(r).is_ok())
                || whole(&|r| DidDocument::read(r).is_ok())
                || std::str::from_utf8(bytes).is_ok_and(|s| s.parse::<DidId>().is_ok())
                || serde_json::from_slice::<serde_json::Value>(bytes)
                    .is_ok_and(|v| DidDocument::from_json(&v).is_ok())
        }
        "threshold" => {
            use veil::crypto::hook_threshold::{HookPartial, HookPublicSet};
            use veil::crypto::threshold::{Partial, PublicKeySet};
            use veil::wallet::backup::Share;
            Partial::from_bytes(bytes).is_ok()
                || PublicKeySet::from_bytes(bytes).is_ok()
                || HookPartial::from_bytes(bytes).is_ok()
                || HookPublicSet::from_bytes(bytes).is_ok()
                || Share::from_bytes(bytes).is_ok()
                || std::str::from_utf8(bytes).is_ok_and(|t| Share::from_words(t).is_ok())
                || serde_json::from_slice::<veil::regulator::threshold::Roster>(bytes).is_ok()
        }
        // JSON the identity parsers read (they may refuse its content).
        "credential" | "api_body" => serde_json::from_slice::<serde_json::Value>(bytes).is_ok(),
        other => panic!("unknown fuzz target {other}"),
    }
}

#[test]
fn seeds_exist_and_decode() {
    let seeds = make();
    if std::env::var_os("VEIL_WRITE_SEEDS").is_some() {
        for (target, files) in &seeds {
            let dir = root().join(target);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in files {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
    }
    // Every target of the fuzz crate has seeds, and every seed decodes.
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .unwrap();
    let targets: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "veil-fuzz")
        .collect();
    assert_eq!(targets.len(), 8, "fuzz targets: {targets:?}");
    for target in targets {
        let dir = root().join(target);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (VEIL_WRITE_SEEDS=1 writes seeds)", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!entries.is_empty(), "{target} has no seeds");
        for path in entries {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                accepted(target, &bytes),
                "seed {} no longer decodes: regenerate with VEIL_WRITE_SEEDS=1",
                path.display()
            );
        }
    }
    // The generated set decodes too.
    for (target, files) in &seeds {
        for (name, bytes) in files {
            assert!(accepted(target, bytes), "{target}/{name}");
        }
    }
}
