//! Liveness and equivocation on the ledger, with real precommit
//! signatures: each block's commit record feeds the miss counters; a
//! validator that misses too much of a window is jailed and leaves the set
//! two blocks later; unjail is refused before the jail period ends and
//! works after it; a double vote tombstones for good; every field of a
//! commit record that is wrong makes a validator refuse the block and
//! changes nothing. And on a real network of four validator processes: one
//! frozen with SIGSTOP for longer than a window is jailed while the other
//! three keep committing; after SIGCONT and `veil validator unjail` it is
//! elected again and its precommits are back in commit certificates.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::cluster::{veil, Net};
use common::http::get;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use veil::crypto::signing::SigningKey;
use veil::dev::DevNetwork;
use veil::ledger::execute::{execute, BlockContext, ExecError, Mode, RegistryUpdates};
use veil::ledger::genesis::{self, GenesisValidator};
use veil::ledger::store::MemoryStore;
use veil::ledger::Ledger;
use veil::tx::governance::liveness::{self, CommitRecord, DoubleVote, JailReason};
use veil::tx::governance::rules::GovError;
use veil::tx::governance::{GovTx, Op, Param};
use veil::tx::{Transaction, TxError};
use veil::wire::block::ChainId;
use veil::wire::consensus::vote_digest;

const WINDOW: u64 = 6;
const JAIL: u64 = 4;

fn validator(i: u8) -> SigningKey {
    SigningKey::from_seed(&[0x70 + i; 32])
}

struct Chain {
    ledger: Arc<Ledger>,
    committee: SigningKey,
    sequence: u64,
}

/// Four validators of power 1; windows of 6 blocks with half to sign
/// (so 3 misses are allowed, the 4th jails); jail for 4 blocks.
fn chain() -> Chain {
    let mut network =
        DevNetwork::generate(&mut ChaCha20Rng::seed_from_u64(9), 1_700_000_000_000).unwrap();
    network.genesis.validators = (0..4u8)
        .map(|i| GenesisValidator {
            name: format!("node{i}"),
            key: hex::encode(validator(i).public().as_bytes()),
            power: 1,
            address: format!("127.0.0.1:{}", 9000 + u16::from(i)),
        })
        .collect();
    for (p, v) in [
        (Param::LivenessWindow, WINDOW),
        (Param::MinSigned, 500_000),
        (Param::JailBlocks, JAIL),
        (Param::EpochBlocks, 1_000),
    ] {
        network.genesis.governance.insert(p.name().into(), v);
    }
    let ledger = Arc::new(Ledger::open(Arc::new(MemoryStore::new())).unwrap());
    genesis::initialize(&ledger, &network.genesis).unwrap();
    Chain {
        ledger,
        committee: network.committee,
        sequence: 0,
    }
}

impl Chain {
    fn ctx(&self) -> BlockContext {
        let tip = self.ledger.tip();
        BlockContext {
            chain_id: self.ledger.chain_id().unwrap(),
            height: tip.height + 1,
            parent: tip.hash,
            timestamp_ms: 1_700_000_000_000 + tip.height + 1,
            proposer: [0; 32],
        }
    }

    fn chain_id(&self) -> ChainId {
        ChainId::new(&self.ledger.chain_id().unwrap()).unwrap()
    }

    /// The record of who signed the tip: validators `signers`.
    fn record(&self, signers: &[u8]) -> CommitRecord {
        let tip = self.ledger.tip();
        let chain = self.chain_id();
        let mut signatures: Vec<([u8; 32], [u8; 64])> = signers
            .iter()
            .map(|&i| {
                let k = validator(i);
                let address = *k.public().as_bytes();
                let digest = vote_digest(&chain, true, tip.height, 0, Some(tip.hash.0), address);
                (address, k.sign(&digest).0)
            })
            .collect();
        signatures.sort_by_key(|(k, _)| *k);
        CommitRecord {
            height: tip.height,
            round: 0,
            block: tip.hash.0,
            signatures,
            evidence: Vec::new(),
        }
    }

    fn try_block(&self, txs: Vec<Transaction>) -> Result<(), ExecError> {
        let block = execute(
            &self.ledger,
            self.ctx(),
            RegistryUpdates::default(),
            txs,
            &|_| false,
            Mode::Validate,
        )?;
        self.ledger.commit(block).unwrap();
        Ok(())
    }

    /// A block signed (its parent) by `signers`, plus `txs`.
    fn block(&self, signers: &[u8], mut txs: Vec<Transaction>) {
        let mut all = Vec::new();
        if self.ledger.tip().height >= 1 {
            all.push(Transaction::Commit(self.record(signers)));
        }
        all.append(&mut txs);
        self.try_block(all).unwrap();
    }

    /// A validator refuses a block led by `record`; nothing changes.
    fn refused(&self, record: CommitRecord) -> GovError {
        let before = self.ledger.tip();
        let err = self
            .try_block(vec![Transaction::Commit(record)])
            .unwrap_err();
        assert_eq!(self.ledger.tip(), before, "a refused block changed state");
        match err {
            ExecError::InvalidTx {
                error: TxError::Governance(e),
                ..
            } => e,
            e => panic!("unexpected error {e}"),
        }
    }

    fn unjail(&mut self, node: u8) -> Transaction {
        self.sequence += 1;
        Transaction::Governance(
            GovTx::sign(
                &self.committee,
                self.sequence,
                Op::Unjail {
                    node: *validator(node).public(),
                },
            )
            .unwrap(),
        )
    }

    fn power(&self, node: u8) -> u64 {
        let k = *validator(node).public().as_bytes();
        self.ledger
            .validators()
            .unwrap()
            .iter()
            .find(|(v, _)| *v == k)
            .map_or(0, |(_, p)| *p)
    }

    fn jailed(&self, node: u8) -> Option<liveness::Jailed> {
        liveness::jail(&*self.ledger)
            .unwrap()
            .get(validator(node).public().as_bytes())
            .cloned()
    }
}

#[test]
fn a_validator_that_stops_signing_is_jailed_and_unjailed_after_its_term() {
    let mut c = chain();
    c.block(&[], vec![]); // height 1: no record (genesis has no certificate)
    c.block(&[0, 1, 2, 3], vec![]); // 2: everyone signed 1; window starts
                                    // Node 3 misses blocks 2..: 3 misses are allowed in a window of 6.
    for _ in 0..3 {
        c.block(&[0, 1, 2], vec![]);
        assert!(c.jailed(3).is_none());
    }
    c.block(&[0, 1, 2], vec![]); // the 4th miss
    let jailed_at = c.ledger.tip().height;
    let entry = c.jailed(3).expect("jailed after the 4th miss");
    assert_eq!(entry.reason, JailReason::Downtime);
    assert_eq!(entry.until, jailed_at + JAIL);
    // H + 2: still in the set for the next block, out from the one after.
    assert_eq!(c.power(3), 1);
    c.block(&[0, 1, 2], vec![]);
    assert_eq!(c.power(3), 0, "out of the set two blocks after jailing");
    // Its absence is no longer a miss; the other three keep committing.
    c.block(&[0, 1, 2], vec![]);

    // Unjail before the term: refused. After: the node is elected again.
    let early = c.unjail(3);
    let before = c.ledger.tip();
    let err = c
        .try_block(vec![Transaction::Commit(c.record(&[0, 1, 2])), early])
        .unwrap_err();
    assert!(
        matches!(
            err,
            ExecError::InvalidTx {
                error: TxError::Governance(GovError::JailTime { .. }),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(c.ledger.tip(), before);
    c.sequence -= 1;
    while c.ledger.tip().height + 1 < entry.until {
        c.block(&[0, 1, 2], vec![]);
    }
    let unjail = c.unjail(3);
    c.block(&[0, 1, 2], vec![unjail]);
    assert!(c.jailed(3).is_none());
    c.block(&[0, 1, 2], vec![]);
    assert_eq!(c.power(3), 1, "elected again two blocks after unjail");
}

#[test]
fn a_double_vote_tombstones_for_good() {
    let mut c = chain();
    c.block(&[], vec![]);
    c.block(&[0, 1, 2, 3], vec![]);
    let chain = c.chain_id();
    let offender = validator(2);
    let address = *offender.public().as_bytes();
    let vote = |value| {
        offender
            .sign(&vote_digest(&chain, true, 2, 0, value, address))
            .0
    };
    let good = DoubleVote {
        validator: address,
        precommit: true,
        height: 2,
        round: 0,
        first: None,
        first_signature: vote(None),
        second: Some([0xAB; 32]),
        second_signature: vote(Some([0xAB; 32])),
    };
    // Evidence that proves nothing is refused: a bad first or second
    // signature, a prevote signature presented as a precommit, a height
    // above the record's.
    let mut bad = vec![good.clone(); 4];
    bad[0].first_signature[0] ^= 1;
    bad[1].second_signature[5] ^= 1;
    bad[2].precommit = false;
    bad[3].height = 3;
    for e in bad {
        let mut r = c.record(&[0, 1, 2, 3]);
        r.evidence = vec![e];
        assert_eq!(c.refused(r), GovError::Evidence(0));
    }

    let mut r = c.record(&[0, 1, 2, 3]);
    r.evidence = vec![good];
    c.try_block(vec![Transaction::Commit(r)]).unwrap();
    let entry = c.jailed(2).expect("tombstoned");
    assert!(entry.tombstoned());
    c.block(&[0, 1, 3], vec![]);
    assert_eq!(c.power(2), 0);
    // Never unjailed, never registered again.
    for _ in 0..JAIL {
        c.block(&[0, 1, 3], vec![]);
    }
    let unjail = c.unjail(2);
    let err = c
        .try_block(vec![Transaction::Commit(c.record(&[0, 1, 3])), unjail])
        .unwrap_err();
    assert!(
        matches!(
            err,
            ExecError::InvalidTx {
                error: TxError::Governance(GovError::Tombstoned),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn every_wrong_field_of_a_commit_record_is_refused() {
    let c = chain();
    c.block(&[], vec![]);
    c.block(&[0, 1, 2, 3], vec![]);

    // A signature that does not verify.
    let mut r = c.record(&[0, 1, 2, 3]);
    r.signatures[1].1[7] ^= 1;
    assert_eq!(c.refused(r), GovError::CommitSignature(1));
    // A signer outside the set.
    let mut r = c.record(&[0, 1, 2, 3]);
    let outsider = SigningKey::from_seed(&[0x99; 32]);
    let address = *outsider.public().as_bytes();
    let tip = c.ledger.tip();
    let sig = outsider
        .sign(&vote_digest(
            &c.chain_id(),
            true,
            tip.height,
            0,
            Some(tip.hash.0),
            address,
        ))
        .0;
    r.signatures.push((address, sig));
    r.signatures.sort_by_key(|(k, _)| *k);
    let at = r
        .signatures
        .iter()
        .position(|(k, _)| *k == address)
        .unwrap();
    assert_eq!(c.refused(r), GovError::CommitSignature(at));
    // Two thirds or less of the power.
    assert_eq!(
        c.refused(c.record(&[0, 1])),
        GovError::CommitPower {
            signed: 2,
            total: 4
        }
    );
    // Another round than the one signed.
    let mut r = c.record(&[0, 1, 2, 3]);
    r.round = 1;
    assert_eq!(c.refused(r), GovError::CommitSignature(0));
    // Another block or height than the parent.
    let mut r = c.record(&[0, 1, 2, 3]);
    r.block[0] ^= 1;
    assert!(matches!(c.refused(r), GovError::CommitRecord(_)));
    let mut r = c.record(&[0, 1, 2, 3]);
    r.height -= 1;
    assert!(matches!(c.refused(r), GovError::CommitRecord(_)));
    // Not first in its block.
    let before = c.ledger.tip();
    let unjail_nobody = Transaction::Governance(
        GovTx::sign(
            &c.committee,
            1,
            Op::Unjail {
                node: *validator(0).public(),
            },
        )
        .unwrap(),
    );
    let err = c
        .try_block(vec![
            Transaction::Commit(c.record(&[0, 1, 2, 3])),
            Transaction::Commit(c.record(&[0, 1, 2, 3])),
        ])
        .unwrap_err();
    assert!(matches!(
        err,
        ExecError::InvalidTx {
            position: 1,
            error: TxError::Governance(GovError::CommitRecord(_)),
            ..
        }
    ));
    let err = c
        .try_block(vec![
            unjail_nobody,
            Transaction::Commit(c.record(&[0, 1, 2, 3])),
        ])
        .unwrap_err();
    assert!(matches!(
        err,
        ExecError::InvalidTx {
            position: 0,
            error: TxError::Governance(GovError::NotJailed),
            ..
        }
    ));
    assert_eq!(c.ledger.tip(), before);
    // Through the pipeline (a mempool's admission) it is always refused.
    let tx = Transaction::Commit(c.record(&[0, 1, 2, 3]));
    assert!(matches!(
        tx.check_stateful(&*c.ledger, 0),
        Err(TxError::Governance(GovError::CommitRecord(_)))
    ));
    // And the valid one is accepted.
    c.block(&[0, 1, 2, 3], vec![]);
}

#[test]
fn commit_records_round_trip_and_refuse_non_canonical_bytes() {
    use veil::codec::Encode;
    let c = chain();
    c.block(&[], vec![]);
    let mut r = c.record(&[0, 1, 2]);
    r.evidence.push(DoubleVote {
        validator: [1; 32],
        precommit: false,
        height: 1,
        round: 3,
        first: None,
        first_signature: [2; 64],
        second: Some([3; 32]),
        second_signature: [4; 64],
    });
    let tx = Transaction::Commit(r.clone());
    let bytes = tx.encode().unwrap();
    assert_eq!(Transaction::decode(&bytes).unwrap(), tx);
    // Signatures out of order, a double vote whose values are not
    // increasing, a round above 2^20: refused by the decoder.
    let mut swapped = r.clone();
    swapped.signatures.swap(0, 1);
    let mut unordered = r.clone();
    unordered.evidence[0].first = Some([9; 32]);
    let mut round = r.clone();
    round.round = liveness::MAX_ROUND + 1;
    for bad in [swapped, unordered, round] {
        assert!(Transaction::Commit(bad).encode().is_err());
    }
    let mut raw = bytes.clone();
    // Flip the evidence's first value tag to 2.
    let tag = raw.len() - (64 + 33 + 64) - 1;
    raw[tag] = 2;
    assert!(Transaction::decode(&raw).is_err());
    // Truncated and oversized.
    assert!(Transaction::decode(&bytes[..bytes.len() - 1]).is_err());
    let mut long = bytes.clone();
    long.push(0);
    assert!(Transaction::decode(&long).is_err());
}

/// The entry of `key` in node `i`'s `/v1/validators`.
fn node_entry(net: &Net, i: usize, key: &str) -> serde_json::Value {
    let (code, body) = get(&format!("{}/v1/validators", net.apis[i]));
    assert_eq!(code, 200, "{body}");
    body["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["key"] == key)
        .cloned()
        .unwrap_or_else(|| panic!("{key} not listed: {body}"))
}

fn signers(net: &Net, i: usize, h: u64) -> Vec<String> {
    let (code, body) = get(&format!("{}/v1/blocks/{h}", net.apis[i]));
    assert_eq!(code, 200, "{body}");
    serde_json::from_value(body["signers"].clone()).unwrap()
}

/// Polls `f` every 200 ms until it gives a value or `within` passes.
fn wait_for<T>(net: &Net, what: &str, within: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < within,
            "{what} not within {within:?}; logs:\n{}",
            (0..4)
                .map(|j| format!("--- node{j} ---\n{}", net.log(j)))
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_frozen_validator_is_jailed_and_rejoins_after_unjail() {
    // Windows of 6 blocks, half to sign (the 4th miss jails), jail for 4.
    let net = Net::start_with(
        4,
        "[governance]\nliveness_window = 6\nmin_signed = 500000\njail_blocks = 4\n",
    );
    for i in 0..4 {
        net.wait_height(i, 3, Duration::from_secs(90));
    }
    let hex3 = hex::encode(net.node_key(3).public().as_bytes());
    // While all four run, late precommits are credited: nobody is jailed.
    assert!(node_entry(&net, 0, &hex3)["jail"].is_null());

    net.freeze(3);
    let frozen_at = net.height(0);
    let jail = wait_for(&net, "node3 jailed", Duration::from_secs(120), || {
        let e = node_entry(&net, 0, &hex3);
        (!e["jail"].is_null()).then(|| e["jail"].clone())
    });
    assert_eq!(jail["reason"], "downtime", "{jail}");
    assert_eq!(jail["tombstoned"], false);
    let since = jail["since"].as_u64().unwrap();
    let until = jail["until"].as_u64().unwrap();
    assert!(since > frozen_at && until == since + 4, "{jail}");
    // It leaves the set two blocks later and the other three go on.
    net.wait_height(0, since + 6, Duration::from_secs(60));
    assert_eq!(node_entry(&net, 0, &hex3)["power"], 0);
    for h in since + 2..=since + 6 {
        let s = signers(&net, 0, h);
        assert!(!s.contains(&hex3) && s.len() == 3, "block {h}: {s:?}");
    }
    for i in 1..3 {
        net.wait_height(i, since + 6, Duration::from_secs(60));
    }
    net.agree(&[0, 1, 2], since + 6);

    // Thawed, it catches up by block sync; a committee member unjails it.
    net.thaw(3);
    let tip = net.height(0);
    net.wait_height(3, tip, Duration::from_secs(60));
    assert!(net.height(0) >= until);
    let committee = net.dir.path().join("dev/committee.keystore");
    let out: serde_json::Value = serde_json::from_str(&veil(&[
        "--json",
        "validator",
        "--keystore",
        committee.to_str().unwrap(),
        "--api",
        &net.apis[0],
        "unjail",
        "--node",
        &hex3,
    ]))
    .unwrap();
    assert_eq!(out["action"], "unjailed", "{out}");
    let unjailed = out["height"].as_u64().unwrap();
    assert!(node_entry(&net, 0, &hex3)["jail"].is_null());
    // Elected again from H + 2; its precommits are back in certificates.
    net.wait_height(0, unjailed + 2, Duration::from_secs(60));
    assert_eq!(node_entry(&net, 0, &hex3)["power"], 1);
    let back = wait_for(&net, "node3 signing again", Duration::from_secs(90), || {
        (unjailed + 2..=net.height(0)).find(|h| signers(&net, 0, *h).contains(&hex3))
    });
    net.wait_height(3, back, Duration::from_secs(60));
    net.agree(&[0, 1, 2, 3], back);
}

/// The worked examples in `docs/wire-format.md` (kind 9 and `unjail`).
#[test]
fn wire_format_doc_shows_these_examples() {
    use veil::codec::Encode;
    let chain = ChainId::new("veil-example").unwrap();
    let validator = SigningKey::from_seed(&[1; 32]);
    let key = *validator.public().as_bytes();
    let block = [0xbb; 32];
    let sig = validator.sign(&vote_digest(&chain, true, 1, 0, Some(block), key));
    let record = Transaction::Commit(CommitRecord {
        height: 1,
        round: 0,
        block,
        signatures: vec![(key, sig.0)],
        evidence: Vec::new(),
    });
    let unjail = Transaction::Governance(
        GovTx::sign(
            &SigningKey::from_seed(&[2; 32]),
            1,
            Op::Unjail {
                node: *validator.public(),
            },
        )
        .unwrap(),
    );
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/wire-format.md"),
    )
    .unwrap();
    let flat: String = doc.split_whitespace().collect();
    for (what, tx) in [("commit record", record), ("unjail", unjail)] {
        let hex = hex::encode(tx.encode().unwrap());
        assert!(
            flat.contains(&hex),
            "docs/wire-format.md lacks the {what} example ({} bytes):\n{hex}",
            hex.len() / 2
        );
    }
}
