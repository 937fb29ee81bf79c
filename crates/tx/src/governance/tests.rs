//! Governance rules against an in-memory ledger: codec round trips and
//! refusals, the tally, every refusal of `check`, closing and executing
//! proposals, and the election with the H+2 schedule.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use veil_codec::{DecodeExt, Encode};
use veil_crypto::regulator_keys::RegulatorMaster;
use veil_crypto::signing::SigningKey;

use super::rules::{self, *};
use super::*;
use crate::ledger_view::MemoryLedger;
use crate::pipeline::Effect;
use crate::{Transaction, TxError};

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32])
}

fn ledger() -> MemoryLedger {
    let master = RegulatorMaster::from_seed(&[9; 32]);
    let jurisdiction = master.jurisdiction("cn");
    let epoch = jurisdiction.epoch(0, 0);
    MemoryLedger::new(*epoch.key().public())
}

/// A ledger whose committee is `members` (key seed, weight).
fn with_committee(members: &[(u8, u64)]) -> MemoryLedger {
    let mut l = ledger();
    let mut c = Committee::default();
    for (n, w) in members {
        c.members.push(Member {
            key: *key(*n).public(),
            weight: *w,
            label: format!("m{n}"),
            sequence: 0,
            delegations: Vec::new(),
        });
    }
    c.members.sort_by_key(|m| m.key);
    l.set_gov_record(KEY_COMMITTEE, Some(c.encode().unwrap()));
    l
}

/// Applies governance record effects (the ledger's job) to the memory
/// ledger.
fn apply(l: &mut MemoryLedger, effects: &[Effect]) {
    for e in effects {
        if let Effect::Gov(GovEffect::Record { key, value }) = e {
            l.set_gov_record(key, value.clone());
        }
    }
}

fn seq(l: &MemoryLedger, n: u8) -> u64 {
    rules::committee(l)
        .unwrap()
        .get(key(n).public())
        .unwrap()
        .sequence
        + 1
}

fn submit(l: &mut MemoryLedger, n: u8, op: Op) -> Result<(), TxError> {
    let tx = GovTx::sign(&key(n), seq(l, n), op).unwrap();
    let tx = match Transaction::decode(&Transaction::Governance(tx).encode().unwrap()).unwrap() {
        Transaction::Governance(t) => t,
        _ => unreachable!(),
    };
    tx.check_stateless()?;
    let effects = rules::check(&tx, l)?;
    apply(l, &effects);
    Ok(())
}

fn propose(l: &mut MemoryLedger, n: u8, action: Action) -> Result<u64, TxError> {
    submit(
        l,
        n,
        Op::Propose {
            action,
            memo: "test".into(),
        },
    )?;
    Ok(*rules::open(l).unwrap().last().unwrap())
}

fn vote(l: &mut MemoryLedger, n: u8, id: u64, choice: Choice) -> Result<(), TxError> {
    submit(
        l,
        n,
        Op::Vote {
            proposal: id,
            choice,
        },
    )
}

/// Ends block `height`: closes what is due (as the ledger's execute does).
fn end_block(l: &mut MemoryLedger, height: u64) -> Vec<Effect> {
    let mut all = Vec::new();
    for id in rules::closing(l, height).unwrap() {
        let effects = rules::close(l, id, height).unwrap();
        apply(l, &effects);
        all.extend(effects);
    }
    all
}

fn end_block_now(l: &mut MemoryLedger) -> Vec<Effect> {
    let h = l.height;
    end_block(l, h)
}

fn gov_err(r: Result<impl std::fmt::Debug, TxError>) -> GovError {
    match r {
        Err(TxError::Governance(e)) => e,
        other => panic!("expected a governance refusal, got {other:?}"),
    }
}

fn every_action() -> Vec<Action> {
    vec![
        Action::AddMember {
            key: *key(1).public(),
            weight: 3,
            label: "bank-c".into(),
        },
        Action::RemoveMember {
            key: *key(2).public(),
        },
        Action::SetWeight {
            key: *key(2).public(),
            weight: 7,
        },
        Action::RegisterNode {
            key: *key(3).public(),
            name: "node4".into(),
            address: "127.0.0.1:9714".into(),
            observer: false,
            bond: 1,
        },
        Action::RemoveNode {
            key: *key(3).public(),
        },
        Action::AccreditIssuer {
            asset: AssetId::new("USD").unwrap(),
            issuer: *key(4).public(),
        },
        Action::RevokeIssuer {
            asset: AssetId::new("USD").unwrap(),
        },
        Action::CreateAsset {
            asset: AssetId::new("USD").unwrap(),
            name: "US dollar".into(),
            decimals: 2,
            issuer: *key(4).public(),
            supply: Supply::Closed,
        },
        Action::SetParams {
            changes: vec![(Param::Quorum, 500_000), (Param::VotingPeriod, 10)],
        },
        Action::SetRootAuthority {
            did: veil_identity::DidId([5; 20]),
        },
        Action::Halt { height: 1_000 },
    ]
}

#[test]
fn every_operation_round_trips() {
    let mut ops: Vec<Op> = every_action()
        .into_iter()
        .map(|action| Op::Propose {
            action,
            memo: "why".into(),
        })
        .collect();
    ops.push(Op::Vote {
        proposal: 7,
        choice: Choice::Veto,
    });
    ops.push(Op::Delegate {
        node: *key(3).public(),
        amount: 5,
    });
    ops.push(Op::Undelegate {
        node: *key(3).public(),
        amount: 2,
    });
    for op in ops {
        let tx = Transaction::Governance(GovTx::sign(&key(1), 1, op).unwrap());
        let bytes = tx.encode().unwrap();
        assert_eq!(Transaction::decode(&bytes).unwrap(), tx);
        // Every strict prefix is refused, never a panic.
        for cut in 0..bytes.len() {
            assert!(Transaction::decode(&bytes[..cut]).is_err());
        }
    }
}

#[test]
fn hostile_encodings_are_refused() {
    let good = GovTx::sign(
        &key(1),
        1,
        Op::Propose {
            action: Action::SetParams {
                changes: vec![(Param::Quorum, 1)],
            },
            memo: String::new(),
        },
    )
    .unwrap()
    .encode()
    .unwrap();
    // signer 32 ‖ sequence 8 ‖ op 1 ‖ action 1 ‖ count 1 ‖ param 1 ‖ value 8
    let at = |i: usize, v: u8| {
        let mut b = good.clone();
        b[i] = v;
        GovTx::decode(&b)
    };
    assert!(at(40, 9).is_err(), "unknown operation");
    assert!(at(41, 99).is_err(), "unknown action");
    assert!(at(42, 0).is_err(), "no parameter change");
    assert!(at(42, 17).is_err(), "too many changes");
    assert!(at(43, 0).is_err(), "unknown parameter");
    let mut big = good.clone();
    big[44..52].copy_from_slice(&(PPM + 1).to_le_bytes());
    assert!(GovTx::decode(&big).is_err(), "share above one");
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(GovTx::decode(&trailing).is_err());
    // The encoder refuses what the decoder would (never clamps).
    let bad = GovTx::sign(
        &key(1),
        1,
        Op::Propose {
            action: Action::SetParams {
                changes: vec![(Param::Threshold, PPM + 1)],
            },
            memo: String::new(),
        },
    );
    assert!(bad.is_err());
    let long_memo = GovTx::sign(
        &key(1),
        1,
        Op::Propose {
            action: Action::Halt { height: 9 },
            memo: "x".repeat(MAX_MEMO + 1),
        },
    );
    assert!(long_memo.is_err());
}

#[test]
fn signature_covers_every_field() {
    let tx = GovTx::sign(
        &key(1),
        4,
        Op::Vote {
            proposal: 3,
            choice: Choice::Yes,
        },
    )
    .unwrap();
    tx.check_stateless().unwrap();
    let bytes = tx.encode().unwrap();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 1;
        if let Ok(t) = GovTx::decode(&b) {
            assert!(
                t.check_stateless().is_err(),
                "byte {i} flipped and still valid"
            );
        }
    }
}

#[test]
fn tally_follows_quorum_veto_threshold() {
    let p = GovParams::default(); // 0.334 / 0.5 / 0.334
    let t = |yes, no, abstain, veto| Tally {
        yes,
        no,
        abstain,
        veto,
        total: 100,
    };
    assert_eq!(t(33, 0, 0, 0).outcome(&p), Status::Expired);
    assert_eq!(t(34, 0, 0, 0).outcome(&p), Status::Passed);
    assert_eq!(t(20, 20, 0, 0).outcome(&p), Status::Rejected, "a tie fails");
    assert_eq!(t(21, 20, 0, 0).outcome(&p), Status::Passed);
    assert_eq!(
        t(0, 0, 40, 0).outcome(&p),
        Status::Rejected,
        "only abstentions"
    );
    assert_eq!(t(60, 0, 0, 40).outcome(&p), Status::Vetoed);
    assert_eq!(t(67, 0, 0, 33).outcome(&p), Status::Passed, "veto at 0.33");
    assert_eq!(
        Tally {
            total: 0,
            ..t(0, 0, 0, 0)
        }
        .outcome(&p),
        Status::Expired
    );
}

#[test]
fn refusals() {
    let mut l = with_committee(&[(1, 1), (2, 1), (3, 1)]);
    // A non-member.
    let tx = GovTx::sign(
        &key(9),
        1,
        Op::Propose {
            action: Action::Halt { height: 50 },
            memo: String::new(),
        },
    )
    .unwrap();
    assert_eq!(gov_err(rules::check(&tx, &l)), GovError::NotMember);
    // A replay (same sequence twice).
    let tx = GovTx::sign(
        &key(1),
        1,
        Op::Propose {
            action: Action::Halt { height: 50 },
            memo: String::new(),
        },
    )
    .unwrap();
    let effects = rules::check(&tx, &l).unwrap();
    apply(&mut l, &effects);
    assert_eq!(
        gov_err(rules::check(&tx, &l)),
        GovError::Sequence {
            expected: 2,
            found: 1
        }
    );
    let id = 1;
    // The proposer voted yes by proposing: a second vote is a double vote.
    assert_eq!(
        gov_err(vote(&mut l, 1, id, Choice::No)),
        GovError::DoubleVote(id)
    );
    vote(&mut l, 2, id, Choice::No).unwrap();
    assert_eq!(
        gov_err(vote(&mut l, 2, id, Choice::Yes)),
        GovError::DoubleVote(id)
    );
    assert_eq!(
        gov_err(vote(&mut l, 3, 99, Choice::Yes)),
        GovError::UnknownProposal(99)
    );
    // After its period the proposal is closed (2 of 3 voted, a tie: rejected).
    let end = rules::proposal(&l, id).unwrap().unwrap().end;
    l.height = end + 1;
    assert_eq!(
        gov_err(vote(&mut l, 3, id, Choice::Yes)),
        GovError::Closed(id)
    );
    end_block(&mut l, end);
    let p = rules::proposal(&l, id).unwrap().unwrap();
    assert_eq!(p.status, Status::Rejected);
    assert_eq!(rules::params(&l).unwrap().halt_height, 0, "nothing changed");
    // Actions that could not be executed are refused when proposed.
    let me = *key(1).public();
    assert_eq!(
        gov_err(propose(
            &mut l,
            1,
            Action::AddMember {
                key: me,
                weight: 1,
                label: String::new()
            }
        )),
        GovError::AlreadyMember
    );
    assert_eq!(
        gov_err(propose(
            &mut l,
            1,
            Action::RemoveNode {
                key: *key(7).public()
            }
        )),
        GovError::UnknownNode
    );
    assert_eq!(
        gov_err(propose(&mut l, 1, Action::Halt { height: 1 })),
        GovError::HaltHeight
    );
    assert_eq!(
        gov_err(propose(
            &mut l,
            1,
            Action::RegisterNode {
                key: *key(7).public(),
                name: String::new(),
                address: "not an address".into(),
                observer: false,
                bond: 1
            }
        )),
        GovError::Address
    );
    assert_eq!(
        gov_err(propose(
            &mut l,
            1,
            Action::AccreditIssuer {
                asset: AssetId::new("USD").unwrap(),
                issuer: me
            }
        )),
        GovError::UnknownAsset
    );
    // A refused transaction changes nothing: the member's sequence stayed.
    assert_eq!(seq(&l, 1), 2);
}

#[test]
fn single_member_committee_passes_in_the_same_block() {
    let mut l = with_committee(&[(1, 1)]);
    let usd = AssetId::new("USD").unwrap();
    let id = propose(
        &mut l,
        1,
        Action::CreateAsset {
            asset: usd.clone(),
            name: "US dollar".into(),
            decimals: 2,
            issuer: *key(4).public(),
            supply: Supply::Open,
        },
    )
    .unwrap();
    let effects = end_block_now(&mut l);
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Gov(GovEffect::Asset { asset, issuer, .. }) if *asset == usd && issuer == key(4).public()
    )));
    let p = rules::proposal(&l, id).unwrap().unwrap();
    assert_eq!(p.status, Status::Passed);
    assert_eq!(p.tally.yes, 1);
    assert!(rules::open(&l).unwrap().is_empty());
}

#[test]
fn quorum_and_weights_decide() {
    // Weights 5, 3, 2: the heavy member alone has quorum (0.5 ≥ 0.334).
    let mut l = with_committee(&[(1, 5), (2, 3), (3, 2)]);
    let id = propose(
        &mut l,
        3,
        Action::SetParams {
            changes: vec![(Param::VotingPeriod, 7)],
        },
    )
    .unwrap();
    // Weight 2 of 10 voted: below quorum, expires at the end of its period.
    let end = rules::proposal(&l, id).unwrap().unwrap().end;
    assert!(end_block(&mut l, end - 1).is_empty(), "not due yet");
    end_block(&mut l, end);
    assert_eq!(
        rules::proposal(&l, id).unwrap().unwrap().status,
        Status::Expired
    );
    assert_eq!(rules::params(&l).unwrap().voting_period, 100, "unchanged");

    // Yes 2 + yes 3 against no 5: rejected. Everyone voted: closes at once.
    let id = propose(
        &mut l,
        3,
        Action::SetParams {
            changes: vec![(Param::VotingPeriod, 7)],
        },
    )
    .unwrap();
    vote(&mut l, 2, id, Choice::Yes).unwrap();
    vote(&mut l, 1, id, Choice::No).unwrap();
    end_block_now(&mut l);
    let p = rules::proposal(&l, id).unwrap().unwrap();
    assert_eq!(
        (p.status, p.tally.yes, p.tally.no),
        (Status::Rejected, 5, 5)
    );

    // A veto of weight 5 of 10 voted rejects whatever the yes share.
    let id = propose(
        &mut l,
        3,
        Action::SetParams {
            changes: vec![(Param::VotingPeriod, 7)],
        },
    )
    .unwrap();
    vote(&mut l, 2, id, Choice::Yes).unwrap();
    vote(&mut l, 1, id, Choice::Veto).unwrap();
    end_block_now(&mut l);
    assert_eq!(
        rules::proposal(&l, id).unwrap().unwrap().status,
        Status::Vetoed
    );

    // Yes 5 + 3: passes and executes.
    let id = propose(
        &mut l,
        1,
        Action::SetParams {
            changes: vec![(Param::VotingPeriod, 7)],
        },
    )
    .unwrap();
    vote(&mut l, 2, id, Choice::Yes).unwrap();
    vote(&mut l, 3, id, Choice::Abstain).unwrap();
    end_block_now(&mut l);
    assert_eq!(
        rules::proposal(&l, id).unwrap().unwrap().status,
        Status::Passed
    );
    assert_eq!(rules::params(&l).unwrap().voting_period, 7);
}

#[test]
fn passed_but_unexecutable_fails_and_changes_nothing() {
    let mut l = with_committee(&[(1, 1), (2, 1)]);
    let two = *key(2).public();
    let a = propose(&mut l, 1, Action::RemoveMember { key: two }).unwrap();
    let b = propose(
        &mut l,
        1,
        Action::SetWeight {
            key: two,
            weight: 9,
        },
    )
    .unwrap();
    vote(&mut l, 2, a, Choice::Yes).unwrap();
    vote(&mut l, 2, b, Choice::Yes).unwrap();
    end_block_now(&mut l);
    assert_eq!(
        rules::proposal(&l, a).unwrap().unwrap().status,
        Status::Passed
    );
    assert_eq!(
        rules::proposal(&l, b).unwrap().unwrap().status,
        Status::Failed
    );
    let c = rules::committee(&l).unwrap();
    assert_eq!(c.members.len(), 1);
}

#[test]
fn delegation_bounds() {
    let mut l = with_committee(&[(1, 4)]);
    let node = *key(3).public();
    assert_eq!(
        gov_err(submit(&mut l, 1, Op::Delegate { node, amount: 1 })),
        GovError::UnknownNode
    );
    l.set_gov_record(
        KEY_CANDIDATES,
        Some(
            Candidates {
                nodes: vec![Candidate {
                    key: node,
                    name: "n".into(),
                    address: String::new(),
                    observer: false,
                    bond: 1,
                }],
            }
            .encode()
            .unwrap(),
        ),
    );
    submit(&mut l, 1, Op::Delegate { node, amount: 3 }).unwrap();
    assert_eq!(
        gov_err(submit(&mut l, 1, Op::Delegate { node, amount: 2 })),
        GovError::OverDelegated
    );
    assert_eq!(
        gov_err(submit(&mut l, 1, Op::Undelegate { node, amount: 4 })),
        GovError::NotDelegated
    );
    submit(&mut l, 1, Op::Undelegate { node, amount: 3 }).unwrap();
    assert!(rules::committee(&l).unwrap().members[0]
        .delegations
        .is_empty());
}

/// A model of the election: top `k` by bond + delegations, ties by key.
fn model(nodes: &[(u8, u64, bool)], delegations: &[(u8, u64)], k: usize) -> Vec<([u8; 32], u64)> {
    let mut ranked: Vec<(u64, [u8; 32])> = nodes
        .iter()
        .filter(|(_, _, observer)| !observer)
        .map(|(n, bond, _)| {
            let d: u64 = delegations
                .iter()
                .filter(|(m, _)| m == n)
                .map(|(_, a)| a)
                .sum();
            (bond + d, *key(*n).public().as_bytes())
        })
        .filter(|(p, _)| *p > 0)
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.truncate(k);
    let mut all: Vec<([u8; 32], u64)> = nodes
        .iter()
        .map(|(n, _, _)| {
            let k = *key(*n).public().as_bytes();
            (
                k,
                ranked.iter().find(|(_, r)| *r == k).map_or(0, |(p, _)| *p),
            )
        })
        .collect();
    all.sort_by_key(|(k, _)| *k);
    all
}

#[test]
fn election_matches_the_model_and_takes_effect_at_h_plus_2() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    use rand::Rng;
    for round in 0..50 {
        let mut l = with_committee(&[(1, 100), (2, 100)]);
        let n = rng.gen_range(1..8u8);
        let nodes: Vec<(u8, u64, bool)> = (0..n)
            .map(|i| (10 + i, rng.gen_range(0..4), rng.gen_bool(0.2)))
            .collect();
        let mut c = Candidates::default();
        for (i, bond, observer) in &nodes {
            c.nodes.push(Candidate {
                key: *key(*i).public(),
                name: String::new(),
                address: String::new(),
                observer: *observer,
                bond: if *observer { 0 } else { *bond },
            });
        }
        c.nodes.sort_by_key(|c| c.key);
        let nodes: Vec<(u8, u64, bool)> = nodes
            .into_iter()
            .map(|(i, b, o)| (i, if o { 0 } else { b }, o))
            .collect();
        l.set_gov_record(KEY_CANDIDATES, Some(c.encode().unwrap()));
        let mut delegations = Vec::new();
        for member in [1u8, 2] {
            for (i, _, observer) in &nodes {
                if !observer && rng.gen_bool(0.5) {
                    let amount = rng.gen_range(1..20);
                    submit(
                        &mut l,
                        member,
                        Op::Delegate {
                            node: *key(*i).public(),
                            amount,
                        },
                    )
                    .unwrap();
                    delegations.push((*i, amount));
                }
            }
        }
        let k = rng.gen_range(1..5usize);
        let p = GovParams {
            max_validators: u64::try_from(k).unwrap(),
            epoch_blocks: 10,
            ..GovParams::default()
        };
        l.set_gov_record(KEY_PARAMS, Some(p.encode().unwrap()));
        let expected = model(&nodes, &delegations, k);
        let elected = rules::elect(&l).unwrap();
        if expected.iter().all(|(_, p)| *p == 0) {
            assert_eq!(elected, None, "round {round}");
            continue;
        }
        assert_eq!(elected.as_ref(), Some(&expected), "round {round}");
        // Not a boundary, nothing changed: no schedule.
        assert!(rules::end_block(&l, 9, false).unwrap().is_empty());
        // At the boundary (block 10) the set is scheduled for block 12.
        let effects = rules::end_block(&l, 10, false).unwrap();
        apply(&mut l, &effects);
        let pending = rules::pending_set(&l).unwrap().expect("scheduled");
        assert_eq!(pending.activate_at, 12);
        assert_eq!(pending.validators, expected);
        // End of block 11: it comes into force for block 12.
        let effects = rules::end_block(&l, 11, false).unwrap();
        assert!(effects
            .iter()
            .any(|e| *e == Effect::Gov(GovEffect::Validators(expected.clone()))));
        apply(&mut l, &effects);
        assert_eq!(rules::pending_set(&l).unwrap(), None);
    }
}

#[test]
fn the_last_validator_cannot_be_removed_and_observers_take_no_bond() {
    let mut l = with_committee(&[(1, 1)]);
    let a = *key(10).public();
    let id = propose(
        &mut l,
        1,
        Action::RegisterNode {
            key: a,
            name: "a".into(),
            address: "127.0.0.1:9000".into(),
            observer: false,
            bond: 1,
        },
    )
    .unwrap();
    end_block_now(&mut l);
    assert_eq!(
        rules::proposal(&l, id).unwrap().unwrap().status,
        Status::Passed
    );
    assert_eq!(
        gov_err(propose(&mut l, 1, Action::RemoveNode { key: a })),
        GovError::LastValidator
    );
    assert_eq!(
        gov_err(propose(
            &mut l,
            1,
            Action::RegisterNode {
                key: *key(11).public(),
                name: String::new(),
                address: "127.0.0.1:9001".into(),
                observer: true,
                bond: 1
            }
        )),
        GovError::Observer
    );
}

/// The worked example of `docs/wire-format.md#governance-kind-8` is this
/// transaction's encoding.
#[test]
fn wire_format_doc_shows_this_vote() {
    let tx = Transaction::Governance(
        GovTx::sign(
            &key(1),
            1,
            Op::Vote {
                proposal: 1,
                choice: Choice::Yes,
            },
        )
        .unwrap(),
    );
    let hex = hex::encode(tx.encode().unwrap());
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/wire-format.md"),
    )
    .unwrap();
    let flat: String = doc.split_whitespace().collect();
    assert!(
        flat.contains(&hex),
        "docs/wire-format.md lacks the vote example:\n{hex}"
    );
}
