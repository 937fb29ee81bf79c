//! Regulators: epoch keys in force, the registry, authenticated and audited
//! views, delegation, and bank-side disclosures.

mod common;

use std::sync::Arc;
use std::time::Duration;
use veil::codec::Encode;

use common::node::TestNode;
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, SeedableRng};
use veil::api::types::AuditLogJson;
use veil::crypto::keys::AddressBytes;
use veil::crypto::signing::SigningKey;
use veil::dev::{DevNetwork, DEV_JURISDICTION};
use veil::ledger::execute::{execute, BlockContext, Mode, RegistryUpdates};
use veil::ledger::store::MemoryStore;
use veil::ledger::{genesis, Ledger};
use veil::ledger_source::LedgerSource;
use veil::regulator::credentials::Credentials;
use veil::regulator::view::decrypt;
use veil::regulator::{authenticated_get, fetch_transactions, signed_request};
use veil::tx::access::{Delegation, RegulatorRequest};
use veil::tx::registry::{Jurisdiction, KeyEntry, RegulatorKeys, Slot};
use veil::tx::transfer::plan::{Payment, TransferPlan};
use veil::tx::{AssetId, LedgerView, Transaction, TxError};
use veil::wallet::disclose::{verify_disclosure, DisclosureError};
use veil::wallet::source::{SourceError, TxStatus};
use veil::wallet::{submit_and_wait, Wallet};

fn cny() -> AssetId {
    AssetId::new("CNY").unwrap()
}

fn regulator_creds(n: &DevNetwork) -> Credentials {
    Credentials::Regulator {
        master: n.regulator(),
        label: "dev-regulator".into(),
        jurisdiction: Jurisdiction::new(DEV_JURISDICTION).unwrap(),
    }
}

// ----- epochs, registry: on the ledger directly -------------------------

struct Chain {
    ledger: Arc<Ledger>,
    net: DevNetwork,
}

fn chain(epoch_length: u64) -> Chain {
    let net = DevNetwork::generate_with(
        &mut ChaCha20Rng::seed_from_u64(9),
        1_700_000_000_000,
        epoch_length,
    )
    .unwrap();
    let ledger = Arc::new(Ledger::open(Arc::new(MemoryStore::new())).unwrap());
    genesis::initialize(&ledger, &net.genesis).unwrap();
    Chain { ledger, net }
}

impl Chain {
    fn block(
        &self,
        txs: Vec<Transaction>,
        mode: Mode,
    ) -> Result<Vec<(veil::tx::TxHash, TxError)>, veil::ledger::execute::ExecError> {
        let tip = self.ledger.tip();
        let ctx = BlockContext {
            chain_id: self.ledger.chain_id().unwrap(),
            height: tip.height + 1,
            parent: tip.hash,
            timestamp_ms: 1_700_000_000_000 + tip.height + 1,
            proposer: [0; 32],
        };
        let b = execute(
            &self.ledger,
            ctx,
            RegistryUpdates::default(),
            txs,
            &|_| false,
            mode,
        )?;
        let rejected = b.rejected.clone();
        self.ledger.commit(b).unwrap();
        Ok(rejected)
    }

    fn source(&self) -> LedgerSource {
        LedgerSource {
            ledger: Arc::clone(&self.ledger),
            submit: Box::new(|_| Err(SourceError::Refused("n/a".into()))),
            status: Box::new(|_| Ok(TxStatus::NotFound)),
        }
    }

    /// bank-a pays bank-b, encrypting to `key_epoch`'s key.
    fn transfer_to_epoch(&self, key_epoch: u64, seed: u64) -> Transaction {
        let src = self.source();
        let mut a = Wallet::from_seed(&self.net.bank_a_seed, "a");
        a.scan(&src, 50, &mut |_, _| {}).unwrap();
        let b = Wallet::from_seed(&self.net.bank_b_seed, "b");
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        // Build with the wallet, then rebuild the plan with the chosen key.
        let tx = a
            .prepare_transfer(&src, &cny(), b.address(), 10, b"", 0, 4, &mut rng)
            .unwrap();
        let Transaction::Transfer(t) = tx else {
            unreachable!()
        };
        let owned = a.state.outputs.iter().find(|o| {
            o.spent.as_ref().is_some_and(|s| {
                s.tx == Transaction::Transfer(t.clone()).hash().unwrap().to_string()
            })
        });
        let owned = a.owned_output_of(owned.unwrap()).unwrap();
        let ring: Vec<u64> = t.inputs[0].ring.clone();
        let decoys = ring
            .iter()
            .filter(|i| **i != owned.global_index)
            .map(|i| (*i, self.ledger.output(&cny(), *i).unwrap()))
            .collect();
        TransferPlan {
            asset: cny(),
            fee: 0,
            regulator_key: *self.net.regulator_epoch_key(key_epoch).key().public(),
            spends: vec![veil::tx::transfer::plan::Spend { owned, decoys }],
            payments: vec![Payment {
                to: *b.address(),
                amount: 10,
                memo: vec![],
            }],
            change_address: *a.address(),
            sender: Some(*a.address()),
            include_return_address: false,
        }
        .build(&mut rng)
        .map(Transaction::Transfer)
        .unwrap()
    }
}

#[test]
fn transfers_must_use_the_key_of_their_epoch_within_the_grace() {
    let c = chain(3); // epochs of 3 blocks, grace 1
                      // Height 1 is epoch 0: epoch 0's key is in force, epoch 1's is not yet.
    assert!(c
        .block(vec![c.transfer_to_epoch(0, 1)], Mode::Validate)
        .unwrap()
        .is_empty());
    let early = c.transfer_to_epoch(1, 2);
    assert!(matches!(
        c.block(vec![early], Mode::Validate),
        Err(veil::ledger::execute::ExecError::InvalidTx {
            error: TxError::RegulatorKey,
            ..
        })
    ));
    // Move to height 4 (epoch 1): epoch 0's key is still accepted (grace).
    c.block(vec![], Mode::Validate).unwrap();
    c.block(vec![], Mode::Validate).unwrap();
    assert_eq!(c.ledger.epoch_of(c.ledger.next_height()), 1);
    assert!(c
        .block(vec![c.transfer_to_epoch(0, 3)], Mode::Validate)
        .unwrap()
        .is_empty());
    // Height 7 (epoch 2): epoch 0's key has expired.
    c.block(vec![], Mode::Validate).unwrap();
    c.block(vec![], Mode::Validate).unwrap();
    assert_eq!(c.ledger.epoch_of(c.ledger.next_height()), 2);
    let expired = c.transfer_to_epoch(0, 4);
    let rejected = c
        .block(vec![expired, c.transfer_to_epoch(2, 5)], Mode::Propose)
        .unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].1, TxError::RegulatorKey);
}

#[test]
fn registry_updates_are_authorized_sequenced_and_bounded() {
    let c = chain(10);
    let master = c.net.regulator();
    let identity = master.identity();
    let j = Jurisdiction::new(DEV_JURISDICTION).unwrap();
    let jk = master.jurisdiction(DEV_JURISDICTION);
    let entry = |e: u64, v: u32| KeyEntry {
        slot: Slot {
            epoch: e,
            version: v,
        },
        key: *jk.epoch(e, v).key().public(),
    };
    let check = |tx: &Transaction| {
        tx.check_stateless(&vec![])
            .and_then(|()| tx.check_stateful(c.ledger.as_ref(), 0).map(|_| ()))
    };

    // A stranger cannot publish.
    let stranger = SigningKey::from_seed(&[0x66; 32]);
    let forged = Transaction::RegulatorKeys(
        RegulatorKeys::sign(&stranger, 1, j.clone(), vec![entry(200, 0)], vec![]).unwrap(),
    );
    assert_eq!(check(&forged), Err(TxError::NotRegulator));
    // Claiming the regulator's identity without its key: signature fails.
    let Transaction::RegulatorKeys(mut claimed) = forged.clone() else {
        unreachable!()
    };
    claimed.identity = *identity.public();
    assert_eq!(
        check(&Transaction::RegulatorKeys(claimed)),
        Err(TxError::RegistrySignature)
    );
    // Another jurisdiction.
    let other = Transaction::RegulatorKeys(
        RegulatorKeys::sign(
            &identity,
            1,
            Jurisdiction::new("hk").unwrap(),
            vec![entry(200, 0)],
            vec![],
        )
        .unwrap(),
    );
    assert_eq!(check(&other), Err(TxError::NotRegulator));
    // Wrong sequence; taken slot; past epoch (height 1 is epoch 0).
    let bad_seq = Transaction::RegulatorKeys(
        RegulatorKeys::sign(&identity, 5, j.clone(), vec![entry(200, 0)], vec![]).unwrap(),
    );
    assert_eq!(
        check(&bad_seq),
        Err(TxError::RegistrySequence {
            expected: 1,
            found: 5
        })
    );
    let taken = Transaction::RegulatorKeys(
        RegulatorKeys::sign(&identity, 1, j.clone(), vec![entry(3, 0)], vec![]).unwrap(),
    );
    assert_eq!(check(&taken), Err(TxError::RegistrySlotTaken(3)));
    // A good one commits; replaying it is refused.
    let good = Transaction::RegulatorKeys(
        RegulatorKeys::sign(
            &identity,
            1,
            j.clone(),
            vec![entry(200, 0), entry(201, 0)],
            vec![],
        )
        .unwrap(),
    );
    check(&good).unwrap();
    assert!(c
        .block(vec![good.clone()], Mode::Validate)
        .unwrap()
        .is_empty());
    assert_eq!(
        check(&good),
        Err(TxError::RegistrySequence {
            expected: 2,
            found: 1
        })
    );
    assert!(
        c.ledger
            .regulator_key_slot(
                &j,
                Slot {
                    epoch: 201,
                    version: 0
                }
            )
            .unwrap()
            .active
    );
    // Move past epoch 0 (heights 10+) and try to publish for epoch 0 again.
    for _ in 0..10 {
        c.block(vec![], Mode::Validate).unwrap();
    }
    let past = Transaction::RegulatorKeys(
        RegulatorKeys::sign(&identity, 2, j.clone(), vec![entry(0, 5)], vec![]).unwrap(),
    );
    assert_eq!(check(&past), Err(TxError::RegistryEpoch(0)));

    // Revoke epoch 1 v0 with a replacement: the old key is refused, the new one accepted.
    let rot = Transaction::RegulatorKeys(
        RegulatorKeys::sign(
            &identity,
            2,
            j.clone(),
            vec![entry(1, 1)],
            vec![Slot {
                epoch: 1,
                version: 0,
            }],
        )
        .unwrap(),
    );
    assert!(c.block(vec![rot], Mode::Validate).unwrap().is_empty());
    assert!(!c
        .ledger
        .regulator_key_in_force(jk.epoch(1, 0).key().public()));
    assert!(c
        .ledger
        .regulator_key_in_force(jk.epoch(1, 1).key().public()));
    // Unknown slot.
    let unknown = Transaction::RegulatorKeys(
        RegulatorKeys::sign(
            &identity,
            3,
            j,
            vec![],
            vec![Slot {
                epoch: 999,
                version: 0,
            }],
        )
        .unwrap(),
    );
    assert_eq!(check(&unknown), Err(TxError::RegistryUnknownSlot(999)));
    // Wire round trip of every new kind.
    let bytes = good.encode();
    assert_eq!(Transaction::decode(&bytes.unwrap()).unwrap(), good);
}

// ----- the API: authentication, audit trail, views ----------------------

fn status_code<T, E: std::fmt::Display>(r: Result<T, E>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

fn audit(n: &TestNode) -> AuditLogJson {
    serde_json::from_value(n.source().get_json("/v1/audit-log?from=0").unwrap()).unwrap()
}

fn wait_audit(n: &TestNode, count: usize) -> AuditLogJson {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let log = audit(n);
        if log.entries.len() >= count || std::time::Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

#[test]
fn served_queries_leave_audit_entries_even_across_a_restart() {
    let mut n = TestNode::start(41);
    let creds = regulator_creds(&n.network);
    let mut a = n.bank_a();
    let b = n.bank_b();
    a.scan(&n.source(), 50, &mut |_, _| {}).unwrap();
    let tx = a
        .prepare_transfer(
            &n.source(),
            &cny(),
            b.address(),
            4_321,
            b"audited",
            7,
            16,
            &mut OsRng,
        )
        .unwrap();
    submit_and_wait(&n.source(), &tx, Duration::from_secs(30)).unwrap();

    let (served, records) = fetch_transactions(&n.url(), &creds, 0, None, "&bank=bank-a").unwrap();
    assert_eq!(records.len(), 1);
    let dir = [
        (
            AddressBytes::from(a.address()).digest(),
            "bank-a".to_owned(),
        ),
        (
            AddressBytes::from(b.address()).digest(),
            "bank-b".to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let rows = decrypt(&creds, &served, &dir).unwrap();
    let paid = rows
        .iter()
        .find(|r| r.tx == tx.hash().unwrap().to_string())
        .unwrap();
    assert_eq!(paid.from, "bank-a");
    let out = paid.outputs.iter().find(|o| !o.change).unwrap();
    assert_eq!(
        (
            out.to.as_str(),
            out.amount,
            out.memo.as_str(),
            out.payload_matches
        ),
        ("bank-b", 4_321, "audited", true)
    );
    assert_eq!(paid.fee, 7);

    // Serve two more, then stop at once (before any block) and restart.
    let _: serde_json::Value =
        authenticated_get(&n.url(), &creds, "/v1/regulator/transfers?from=0&to=1").unwrap();
    let _: serde_json::Value =
        authenticated_get(&n.url(), &creds, "/v1/regulator/transfers?from=1&to=1").unwrap();
    n.restart();
    let log = wait_audit(&n, 3);
    assert_eq!(log.entries.len(), 3, "{log:?}");
    assert!(log.entries.iter().any(|e| e.target.contains("bank=bank-a")));
    assert!(log
        .entries
        .iter()
        .all(|e| e.requester_label == "dev-regulator"));
}

#[test]
fn unauthenticated_expired_replayed_and_foreign_requests_are_refused() {
    let n = TestNode::start(42);
    let creds = regulator_creds(&n.network);
    let url = format!("{}/v1/regulator/transfers?from=0&to=0", n.url());
    // No header.
    let e = ureq::get(&url).call().unwrap_err();
    let ureq::Error::Status(code, r) = e else {
        panic!()
    };
    assert_eq!(code, 401);
    assert_eq!(
        r.into_json::<serde_json::Value>().unwrap()["type"],
        "urn:veil:problem:unauthorized"
    );
    let call = |req: &RegulatorRequest| match ureq::get(&format!("{}{}", n.url(), req.target))
        .set(
            "Authorization",
            &format!("Veil-Regulator {}", hex::encode(req.credential().unwrap())),
        )
        .call()
    {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(c, _)) => c,
        Err(e) => panic!("{e}"),
    };
    let target = "/v1/regulator/transfers?from=0&to=0";
    // A valid request works once; its replay is refused.
    let req = signed_request(&creds, target).unwrap();
    assert_eq!(call(&req), 200);
    assert_eq!(call(&req), 401);
    // Signed for another target.
    let mut other = signed_request(&creds, "/v1/regulator/transfers?from=0&to=1").unwrap();
    other.target = target.into();
    assert_eq!(call(&other), 401);
    // Expired, and too far in the future.
    let key = creds.signer();
    let now = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    assert_eq!(
        call(&RegulatorRequest::sign(&key, None, "GET", target, [1; 16], now - 1).unwrap()),
        401
    );
    assert_eq!(
        call(&RegulatorRequest::sign(&key, None, "GET", target, [2; 16], now + 3_600_000).unwrap()),
        401
    );
    // A key that is no regulator.
    let stranger = SigningKey::from_seed(&[0x77; 32]);
    assert_eq!(
        call(
            &RegulatorRequest::sign(&stranger, None, "GET", target, [3; 16], now + 60_000).unwrap()
        ),
        401
    );
    // Nothing unauthenticated was recorded: only the one valid request.
    let log = wait_audit(&n, 1);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(audit(&n).entries.len(), 1, "{log:?}");
}

#[test]
fn a_delegated_auditor_sees_its_epoch_only() {
    let n = TestNode::start(43);
    let reg = regulator_creds(&n.network);
    let master = n.network.regulator();
    let auditor = SigningKey::from_seed(&[0xa0; 32]);
    let now = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let jk = master.jurisdiction(DEV_JURISDICTION);
    let delegate = |epoch: u64, expires: u64| Credentials::Auditor {
        keys: vec![jk.epoch(epoch, 0)],
        signer: SigningKey::from_seed(&[0xa0; 32]),
        delegation: Delegation::issue(
            &master.identity(),
            *auditor.public(),
            Jurisdiction::new(DEV_JURISDICTION).unwrap(),
            epoch,
            expires,
        )
        .unwrap(),
    };
    // Epoch 0 (heights 0..=9999) is in scope.
    let e0 = delegate(0, now + 3_600_000);
    let (served, _) = fetch_transactions(&n.url(), &e0, 0, None, "").unwrap();
    assert!(!served.is_empty());
    assert!(decrypt(&e0, &served, &Default::default()).is_ok());
    // Epoch 1's auditor: the node refuses heights of epoch 0 (403) …
    let e1 = delegate(1, now + 3_600_000);
    let err = status_code(authenticated_get::<serde_json::Value>(
        &n.url(),
        &e1,
        "/v1/regulator/transfers?from=0&to=5",
    ));
    assert!(err.contains("403") && err.contains("epoch 1"), "{err}");
    // … and its key cannot open epoch 0 data anyway.
    let err = decrypt(&e1, &served, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot open"), "{err}");
    // An expired delegation is refused.
    let old = delegate(0, now - 1);
    let err = status_code(authenticated_get::<serde_json::Value>(
        &n.url(),
        &old,
        "/v1/regulator/transfers?from=0&to=0",
    ));
    assert!(err.contains("401") && err.contains("expired"), "{err}");
    // A certificate not signed by a regulator is refused.
    let fake = Credentials::Auditor {
        keys: vec![jk.epoch(0, 0)],
        signer: SigningKey::from_seed(&[0xa0; 32]),
        delegation: Delegation::issue(
            &SigningKey::from_seed(&[0x99; 32]),
            *auditor.public(),
            Jurisdiction::new(DEV_JURISDICTION).unwrap(),
            0,
            now + 3_600_000,
        )
        .unwrap(),
    };
    let err = status_code(authenticated_get::<serde_json::Value>(
        &n.url(),
        &fake,
        "/v1/regulator/transfers?from=0&to=0",
    ));
    assert!(err.contains("401"), "{err}");
    // The audit log names the auditor's delegator and epoch.
    let log = wait_audit(&n, 1);
    assert!(log
        .entries
        .iter()
        .any(|e| e.delegated_epoch == Some(0) && e.requester_label.contains("dev-regulator")));
    drop(reg);
}

#[test]
fn banks_disclose_one_transfer_without_a_key() {
    let n = TestNode::start(44);
    let mut a = n.bank_a();
    let mut b = n.bank_b();
    a.scan(&n.source(), 50, &mut |_, _| {}).unwrap();
    let tx = a
        .prepare_transfer(
            &n.source(),
            &cny(),
            b.address(),
            55_555,
            b"contract 7",
            0,
            16,
            &mut OsRng,
        )
        .unwrap();
    submit_and_wait(&n.source(), &tx, Duration::from_secs(30)).unwrap();
    b.scan(&n.source(), 50, &mut |_, _| {}).unwrap();
    let idx = tx.scan(b.view_key())[0].index;

    // Receiver's disclosure.
    let d = b.disclose(&tx, idx, &mut OsRng).unwrap();
    assert_eq!(d.kind, "received");
    let v = verify_disclosure(&d, &tx).unwrap();
    assert_eq!((v.amount, v.memo.as_str()), (55_555, "contract 7"));
    // Sender's payment proof of the same output.
    let p = a.disclose(&tx, idx, &mut OsRng).unwrap();
    assert_eq!(p.kind, "payment");
    let v = verify_disclosure(&p, &tx).unwrap();
    assert_eq!(
        (v.amount, v.receiver.as_deref()),
        (55_555, Some(b.address().to_string().as_str()))
    );

    // Tampering is caught.
    let mut lie = d.clone();
    lie.amount += 1;
    assert!(matches!(
        verify_disclosure(&lie, &tx),
        Err(DisclosureError::ClaimMismatch { .. })
    ));
    let mut lie = d.clone();
    lie.memo = "other".into();
    assert!(matches!(
        verify_disclosure(&lie, &tx),
        Err(DisclosureError::ClaimMismatch { .. })
    ));
    let mut bad_key = d.clone();
    bad_key.payload_key = Some("00".repeat(56));
    assert!(matches!(
        verify_disclosure(&bad_key, &tx),
        Err(DisclosureError::BadKey)
    ));
    let mut other_output = d.clone();
    other_output.output = 1 - idx;
    assert!(verify_disclosure(&other_output, &tx).is_err());
    let mut bad_proof = p.clone();
    let mut proof = hex::decode(bad_proof.proof.unwrap()).unwrap();
    proof[70] ^= 1;
    bad_proof.proof = Some(hex::encode(proof));
    assert!(verify_disclosure(&bad_proof, &tx).is_err());
    let mut wrong_receiver = p.clone();
    wrong_receiver.receiver = Some(a.address().to_string());
    assert!(matches!(
        verify_disclosure(&wrong_receiver, &tx),
        Err(DisclosureError::BadProof)
    ));
    // A third party can disclose nothing.
    let stranger = Wallet::generate(&mut OsRng, "x");
    assert!(matches!(
        stranger.disclose(&tx, idx, &mut OsRng),
        Err(DisclosureError::NotOurs(_))
    ));
}

/// The asset scope is applied by the node: a query for another asset is
/// served nothing, one for CNY exactly the CNY transfers; the audit trail
/// records each query as asked, so it states what was served.
#[test]
fn the_asset_scope_is_applied_by_the_node_and_recorded() {
    use veil::api::types::RegulatorTransfersJson;
    let n = TestNode::start(42);
    let creds = regulator_creds(&n.network);
    let get = |q: &str| -> RegulatorTransfersJson {
        authenticated_get(
            &n.url(),
            &creds,
            &format!("/v1/regulator/transfers?from=0&to=latest{q}"),
        )
        .unwrap()
    };
    let all = get("");
    assert!(!all.transactions.is_empty());
    assert_eq!(all.asset, None);
    let cny = get("&asset=CNY");
    assert_eq!(cny.asset.as_deref(), Some("CNY"));
    assert_eq!(cny.transactions.len(), all.transactions.len());
    assert!(cny.transactions.iter().all(|t| t.asset == "CNY"));
    let usd = get("&asset=USD");
    assert_eq!(usd.asset.as_deref(), Some("USD"));
    assert!(usd.transactions.is_empty(), "{:?}", usd.transactions);
    let bad = authenticated_get::<serde_json::Value>(
        &n.url(),
        &creds,
        "/v1/regulator/transfers?from=0&to=latest&asset=no%20such",
    );
    assert!(status_code(bad).contains("400"));
    let log = wait_audit(&n, 3);
    let targets: Vec<&str> = log.entries.iter().map(|e| e.target.as_str()).collect();
    assert!(
        targets.iter().any(|t| t.ends_with("&asset=USD")),
        "{targets:?}"
    );
    assert!(
        targets.iter().any(|t| t.ends_with("&asset=CNY")),
        "{targets:?}"
    );
}
