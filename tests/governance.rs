//! Governance on a real node (RocksDB, HTTP): a committee of three votes
//! an issuer for a new asset into office, the asset then carries a
//! transfer, and every refusal — non-members, replays, double votes, votes
//! after the period, proposals that could not be executed — is a
//! problem+json error that leaves the state root unchanged; a proposal
//! below quorum expires and changes nothing.

mod common;

use std::time::Duration;

use common::http::{get, post};
use common::node::TestNode;
use rand_core::OsRng;
use serde_json::Value;
use veil::codec::Encode;
use veil::crypto::signing::SigningKey;
use veil::ledger::genesis::GenesisMember;
use veil::tx::bundle::build::PlannedOutput;
use veil::tx::governance::{Action, Choice, GovTx, Op, Param, Supply};
use veil::tx::mint::MintPlan;
use veil::tx::{AssetId, Transaction};
use veil::wallet::source::ChainSource;
use veil::wallet::submit_and_wait;

fn member(n: u8) -> SigningKey {
    SigningKey::from_seed(&[0x40 + n; 32])
}

/// A node whose committee is three members of weight 1, voting period 3.
fn start() -> TestNode {
    TestNode::start_with(11, |net| {
        net.genesis.committee = (1..=3)
            .map(|n| GenesisMember {
                label: format!("bank-{n}"),
                key: hex::encode(member(n).public().as_bytes()),
                weight: 1,
            })
            .collect();
        net.genesis
            .governance
            .insert(Param::VotingPeriod.name().into(), 3);
    })
}

struct Gov<'a> {
    n: &'a TestNode,
    seq: [u64; 4],
}

impl Gov<'_> {
    fn tx(&mut self, m: u8, op: Op) -> Vec<u8> {
        let i = usize::from(m);
        self.seq[i] += 1;
        Transaction::Governance(GovTx::sign(&member(m), self.seq[i], op).unwrap())
            .encode()
            .unwrap()
    }

    /// Submits and waits for the block; the height.
    fn ok(&mut self, m: u8, op: Op) -> u64 {
        let bytes = self.tx(m, op);
        let tx = Transaction::decode(&bytes).unwrap();
        submit_and_wait(&self.n.source(), &tx, Duration::from_secs(30))
            .unwrap()
            .1
    }

    /// Submits bytes that must be refused: the problem's type.
    fn refused(&self, bytes: &[u8]) -> String {
        let root = self.n.node().ledger.tip();
        let (code, body) = post(
            &format!("{}/v1/transactions", self.n.url()),
            "application/octet-stream",
            bytes,
        );
        assert!(code >= 400, "accepted: {body}");
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(
            self.n.node().ledger.tip(),
            root,
            "a refusal changed the state"
        );
        body["type"].as_str().unwrap().to_owned()
    }

    fn propose(&mut self, m: u8, action: Action) -> (u64, u64) {
        let h = self.ok(
            m,
            Op::Propose {
                action,
                memo: "test".into(),
            },
        );
        let (_, list) = get(&format!("{}/v1/governance/proposals", self.n.url()));
        let id = list["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["submitted_height"] == h)
            .unwrap()["id"]
            .as_u64()
            .unwrap();
        (id, h)
    }

    fn proposal(&self, id: u64) -> Value {
        get(&format!("{}/v1/governance/proposals/{id}", self.n.url())).1
    }
}

fn usd_mint(issuer: &SigningKey, n: &TestNode, to: &veil::crypto::keys::Address) -> Transaction {
    let plan = MintPlan {
        asset: AssetId::new("USD").unwrap(),
        issuer,
        regulator_key: n.source().regulator_key().unwrap(),
        outputs: (0..16)
            .map(|_| PlannedOutput {
                to: *to,
                amount: 10_000,
                memo: b"USD".to_vec(),
            })
            .collect(),
    };
    Transaction::Mint(plan.build(&mut OsRng).unwrap())
}

#[test]
fn a_committee_elects_an_issuer_and_refusals_change_nothing() {
    let n = start();
    let mut g = Gov { n: &n, seq: [0; 4] };
    let url = n.url();
    let (_, gov) = get(&format!("{url}/v1/governance"));
    assert_eq!(gov["enabled"], true);
    assert_eq!(gov["total_weight"], 3);
    assert_eq!(gov["params"]["voting_period"], 3);

    // Before any vote the would-be issuer's mint is refused.
    let usd_issuer = SigningKey::from_seed(&[0x55; 32]);
    let a = n.bank_a();
    let early = usd_mint(&usd_issuer, &n, a.address()).encode().unwrap();
    assert_eq!(g.refused(&early), "urn:veil:problem:not-issuer");

    // Member 1 proposes; members 2 and 3 vote yes; it closes once all voted.
    let (id, _) = g.propose(
        1,
        Action::CreateAsset {
            asset: AssetId::new("USD").unwrap(),
            name: "US dollar".into(),
            decimals: 2,
            issuer: *usd_issuer.public(),
            supply: Supply::Open,
        },
    );
    assert_eq!(g.proposal(id)["status"], "voting");
    g.ok(
        2,
        Op::Vote {
            proposal: id,
            choice: Choice::Yes,
        },
    );
    assert_eq!(g.proposal(id)["status"], "voting");

    // Refusals, each a problem+json that changes nothing.
    let sign = |m: u8, seq: u64, op: Op| {
        Transaction::Governance(GovTx::sign(&member(m), seq, op).unwrap())
            .encode()
            .unwrap()
    };
    let yes = Op::Vote {
        proposal: id,
        choice: Choice::Yes,
    };
    let outsider = sign(9, 1, yes.clone());
    assert_eq!(g.refused(&outsider), "urn:veil:problem:not-member");
    let double = sign(
        2,
        2,
        Op::Vote {
            proposal: id,
            choice: Choice::No,
        },
    );
    assert_eq!(g.refused(&double), "urn:veil:problem:double-vote");
    let skipped = sign(3, 2, yes.clone());
    assert_eq!(g.refused(&skipped), "urn:veil:problem:governance-sequence");
    let vote3 = sign(3, 1, yes.clone());
    let mut forged = vote3.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(
        g.refused(&forged),
        "urn:veil:problem:bad-governance-signature"
    );
    let unexecutable = sign(
        2,
        2,
        Op::Propose {
            action: Action::RemoveNode {
                key: *member(7).public(),
            },
            memo: String::new(),
        },
    );
    assert_eq!(g.refused(&unexecutable), "urn:veil:problem:unknown-node");

    // Member 3's vote closes it: passed, executed in that block.
    let tx = Transaction::decode(&vote3).unwrap();
    let (_, closed_at) = submit_and_wait(&n.source(), &tx, Duration::from_secs(30)).unwrap();
    g.seq[3] = 1;
    let p = g.proposal(id);
    assert_eq!(p["status"], "passed", "{p}");
    assert_eq!(p["closed_height"], closed_at);
    assert_eq!(p["tally"]["yes"], 3);
    // The same vote again is a replay.
    let replay = g.refused(&vote3);
    assert!(
        replay == "urn:veil:problem:duplicate" || replay == "urn:veil:problem:governance-sequence",
        "{replay}"
    );
    // A vote after it closed is refused.
    let late = sign(
        1,
        2,
        Op::Vote {
            proposal: id,
            choice: Choice::No,
        },
    );
    assert_eq!(g.refused(&late), "urn:veil:problem:proposal-closed");

    // The elected issuer mints; the asset carries a transfer.
    let mut a = a;
    let mut b = n.bank_b();
    let mint = usd_mint(&usd_issuer, &n, a.address());
    submit_and_wait(&n.source(), &mint, Duration::from_secs(30)).unwrap();
    let usd = AssetId::new("USD").unwrap();
    a.scan(&n.source(), 50, &mut |_, _| {}).unwrap();
    assert_eq!(a.balance(&usd).confirmed, 160_000);
    let pay = a
        .prepare_transfer(
            &n.source(),
            &usd,
            b.address(),
            25_000,
            b"usd",
            5,
            8,
            &mut OsRng,
        )
        .unwrap();
    submit_and_wait(&n.source(), &pay, Duration::from_secs(30)).unwrap();
    b.scan(&n.source(), 50, &mut |_, _| {}).unwrap();
    assert_eq!(b.balance(&usd).confirmed, 25_000);

    // A proposal only its proposer votes on (weight 1 of 3 < quorum)
    // expires at the end of its period and changes nothing.
    let (expiring, opened) = g.propose(
        1,
        Action::SetParams {
            changes: vec![(Param::MaxValidators, 5)],
        },
    );
    let mut h = opened;
    while h < opened + 3 {
        // Other proposals make blocks (each closes later on its own).
        h = g.propose(2, Action::Halt { height: 1_000_000 }).1;
    }
    let p = g.proposal(expiring);
    assert_eq!(p["status"], "expired", "{p}");
    assert_eq!(p["tally"]["yes"], 1);
    let (_, gov) = get(&format!("{url}/v1/governance"));
    assert_eq!(gov["params"]["max_validators"], 21, "unchanged");

    // Metrics count proposals by status.
    let metrics = ureq::get(&format!("{url}/metrics"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        metrics.contains("veil_proposals{status=\"passed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("veil_proposals{status=\"expired\"} 1"));
}

#[test]
fn admin_mode_acts_at_once_and_revoking_the_issuer_closes_minting() {
    let n = TestNode::start(12);
    let committee = SigningKey::from_seed(n.network.committee.seed().expose());
    let source = n.source();
    let cny = AssetId::new("CNY").unwrap();
    let gov = |seq: u64, action: Action| {
        let tx = Transaction::Governance(
            GovTx::sign(
                &committee,
                seq,
                Op::Propose {
                    action,
                    memo: String::new(),
                },
            )
            .unwrap(),
        );
        submit_and_wait(&source, &tx, Duration::from_secs(30)).unwrap()
    };
    gov(1, Action::RevokeIssuer { asset: cny.clone() });
    let a = n.bank_a();
    let plan = MintPlan {
        asset: cny.clone(),
        issuer: &n.network.issuer,
        regulator_key: source.regulator_key().unwrap(),
        outputs: vec![PlannedOutput {
            to: *a.address(),
            amount: 1,
            memo: Vec::new(),
        }],
    };
    let mint = Transaction::Mint(plan.build(&mut OsRng).unwrap());
    let g = Gov { n: &n, seq: [0; 4] };
    assert_eq!(
        g.refused(&mint.encode().unwrap()),
        "urn:veil:problem:mint-closed"
    );
    gov(
        2,
        Action::AccreditIssuer {
            asset: cny,
            issuer: *n.network.issuer.public(),
        },
    );
    submit_and_wait(&source, &mint, Duration::from_secs(30)).unwrap();
}
