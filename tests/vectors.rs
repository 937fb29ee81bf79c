//! Pinned known-answer vectors. A transfer built from a fixed seed is checked
//! in under `tests/vectors/`; it must keep decoding, re-encoding
//! byte-identically, verifying and opening. Rebuilding it from the seed must
//! reproduce it byte for byte, so any change to the format, the hashes, the
//! transcripts or the builder shows up here.
//!
//! Regenerating is an explicit approval of a new format:
//! `VEIL_REGENERATE_VECTORS=1 cargo test --release --test vectors`.

use std::path::PathBuf;
use veil::codec::Encode;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{json, Value};
use veil::crypto::clsag::RingMember;
use veil::crypto::commitment::Commitment;
use veil::crypto::keys::AccountKeys;
use veil::crypto::regulator_ciphertext::RegulatorSecretKey;
use veil::crypto::stealth::OneTimeKey;
use veil::tx::bundle::view::open_for_regulator;
use veil::tx::testing::{add_decoys, fund, spend_of};
use veil::tx::transfer::plan::{Payment, TransferPlan};
use veil::tx::{AssetId, MemoryLedger, Rings, Transaction};

const SEED: u64 = 20_261_121;
const REGULATOR_SEED: [u8; 32] = [0x52; 32];
const ALICE_SEED: [u8; 32] = [0xa1; 32];
const BOB_SEED: [u8; 32] = [0xb0; 32];

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/transfer-v1.json")
}

struct Built {
    tx: Transaction,
    rings: Rings,
}

fn build() -> Built {
    let mut rng = ChaCha20Rng::seed_from_u64(SEED);
    let asset = AssetId::new("CNY").unwrap();
    let regulator = RegulatorSecretKey::from_seed(&REGULATOR_SEED);
    let mut ledger = MemoryLedger::new(*regulator.public());
    add_decoys(&mut ledger, &asset, 40, &mut rng);
    let alice = AccountKeys::from_seed(&ALICE_SEED);
    let bob = AccountKeys::from_seed(&BOB_SEED);
    let owned: Vec<_> = [7_000u64, 5_000]
        .iter()
        .map(|a| fund(&mut ledger, &asset, &alice, *a, &mut rng))
        .collect();
    let spends = owned
        .into_iter()
        .map(|o| spend_of(&ledger, &asset, o, 16, &mut rng))
        .collect();
    let plan = TransferPlan {
        asset,
        fee: 25,
        regulator_key: *regulator.public(),
        spends,
        payments: vec![Payment {
            to: *bob.address(),
            amount: 9_000,
            memo: b"vector v1".to_vec(),
        }],
        change_address: *alice.address(),
        sender: Some(*alice.address()),
        include_return_address: true,
    };
    let tx = Transaction::Transfer(plan.build(&mut rng).unwrap());
    let rings = tx.resolve_rings(&ledger).unwrap();
    Built { tx, rings }
}

fn rings_json(rings: &Rings) -> Value {
    Value::Array(
        rings
            .iter()
            .map(|ring| {
                Value::Array(
                    ring.iter()
                        .map(|m| json!({"key": hex::encode(m.key.as_bytes()), "commitment": hex::encode(m.commitment.as_bytes())}))
                        .collect(),
                )
            })
            .collect(),
    )
}

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn rings_from_json(v: &Value) -> Rings {
    v.as_array()
        .unwrap()
        .iter()
        .map(|ring| {
            ring.as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    RingMember::new(
                        OneTimeKey::from_bytes(&hex32(&m["key"])).unwrap(),
                        Commitment::from_bytes(&hex32(&m["commitment"])).unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}

fn vector_json(b: &Built) -> Value {
    let Transaction::Transfer(t) = &b.tx else {
        unreachable!()
    };
    json!({
        "description": "Veil transfer v1: 2 inputs (ring 16), payment 9000 CNY + change, fee 25. Built from ChaCha20 seed below with tests/vectors.rs::build().",
        "seed": SEED,
        "regulator_seed": hex::encode(REGULATOR_SEED),
        "alice_seed": hex::encode(ALICE_SEED),
        "bob_seed": hex::encode(BOB_SEED),
        "alice_address": AccountKeys::from_seed(&ALICE_SEED).address().to_string(),
        "bob_address": AccountKeys::from_seed(&BOB_SEED).address().to_string(),
        "tx_hash": b.tx.hash().unwrap().to_string(),
        "signing_hash": hex::encode(t.signing_hash().unwrap()),
        "tx_bytes": b.tx.encode().unwrap().len(),
        "tx_hex": hex::encode(b.tx.encode().unwrap()),
        "rings": rings_json(&b.rings),
    })
}

#[test]
fn pinned_transfer_vector_still_decodes_verifies_and_opens() {
    let built = build();
    if std::env::var_os("VEIL_REGENERATE_VECTORS").is_some() {
        std::fs::create_dir_all(path().parent().unwrap()).unwrap();
        let text = serde_json::to_string_pretty(&vector_json(&built)).unwrap();
        std::fs::write(path(), text + "\n").unwrap();
    }
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(path()).expect("vector file")).unwrap();
    let bytes = hex::decode(v["tx_hex"].as_str().unwrap()).unwrap();
    let tx = Transaction::decode(&bytes).expect("pinned vector decodes");
    assert_eq!(tx.encode().unwrap(), bytes, "re-encoding is byte-identical");
    assert_eq!(
        tx.hash().unwrap().to_string(),
        v["tx_hash"].as_str().unwrap()
    );
    let Transaction::Transfer(t) = &tx else {
        unreachable!()
    };
    assert_eq!(
        hex::encode(t.signing_hash().unwrap()),
        v["signing_hash"].as_str().unwrap()
    );
    let rings = rings_from_json(&v["rings"]);
    tx.check_stateless(&rings).expect("pinned vector verifies");

    let alice = AccountKeys::from_seed(&ALICE_SEED);
    let bob = AccountKeys::from_seed(&BOB_SEED);
    assert_eq!(
        alice.address().to_string(),
        v["alice_address"].as_str().unwrap()
    );
    assert_eq!(
        bob.address().to_string(),
        v["bob_address"].as_str().unwrap()
    );
    let got = t.scan(bob.view_key());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].note.amount, 9_000);
    assert_eq!(got[0].note.memo, b"vector v1");
    assert_eq!(t.scan(alice.view_key())[0].note.amount, 12_000 - 9_000 - 25);
    let regulator = RegulatorSecretKey::from_seed(&REGULATOR_SEED);
    let view = open_for_regulator(&regulator, &[(&t.asset, &t.bundle)])
        .remove(0)
        .unwrap();
    assert_eq!(view.total(), 12_000 - 25);

    // The seed reproduces the vector byte for byte.
    assert_eq!(
        hex::encode(built.tx.encode().unwrap()),
        v["tx_hex"].as_str().unwrap(),
        "format, hashes, transcripts or builder changed; regenerate deliberately"
    );
}
