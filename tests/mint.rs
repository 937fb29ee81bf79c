//! Issuance: a registered issuer mints confidential outputs; anyone else,
//! a tampered signature or a replay is refused.

mod common;

use common::Scenario;
use veil::codec::Encode;
use veil::crypto::range::RangeError;
use veil::crypto::signing::{Signature, SigningKey};
use veil::tx::bundle::build::{BuildError, PlannedOutput};
use veil::tx::bundle::view::open_for_regulator;
use veil::tx::mint::MintPlan;
use veil::tx::{Transaction, TxError};

fn setup() -> (Scenario, SigningKey) {
    let mut s = Scenario::new(31);
    let issuer = SigningKey::from_seed(&[0x15; 32]);
    let asset = s.asset.clone();
    s.ledger.register_asset(&asset, *issuer.public());
    (s, issuer)
}

fn plan<'a>(s: &Scenario, issuer: &'a SigningKey, amounts: &[u64]) -> MintPlan<'a> {
    MintPlan {
        asset: s.asset.clone(),
        issuer,
        regulator_key: *s.regulator.public(),
        outputs: amounts
            .iter()
            .map(|a| PlannedOutput {
                to: *s.bob.address(),
                amount: *a,
                memo: b"issuance".to_vec(),
            })
            .collect(),
    }
}

#[test]
fn issuer_mints_and_receiver_and_regulator_see_it() {
    let (mut s, issuer) = setup();
    let mint = plan(&s, &issuer, &[1_000_000, 5])
        .build(&mut s.rng)
        .unwrap();
    let tx = Transaction::Mint(mint.clone());
    let tx = Transaction::decode(&tx.encode().unwrap()).unwrap();
    s.validate(&tx).unwrap();
    let got = tx.scan(s.bob.view_key());
    assert_eq!(got.iter().map(|o| o.note.amount).sum::<u64>(), 1_000_005);
    let view = open_for_regulator(&s.regulator, &[(&mint.asset, &mint.bundle)])
        .remove(0)
        .unwrap();
    assert_eq!(view.total(), 1_000_005);
    assert!(view.outputs.iter().all(|o| o.payload_matches));
    // Applied once; the same mint again is a replay.
    s.ledger.apply(&tx);
    assert_eq!(s.validate(&tx), Err(TxError::OutputKeyExists { output: 0 }));
}

#[test]
fn stranger_and_tampered_mints_are_refused() {
    let (mut s, issuer) = setup();
    let stranger = SigningKey::from_seed(&[0x66; 32]);
    let forged = Transaction::Mint(plan(&s, &stranger, &[10]).build(&mut s.rng).unwrap());
    forged.check_stateless(&vec![]).unwrap();
    assert_eq!(
        forged.check_stateful(&s.ledger, 0).map(|_| ()),
        Err(TxError::NotIssuer)
    );

    let mint = plan(&s, &issuer, &[10]).build(&mut s.rng).unwrap();
    let mut bad = mint.clone();
    bad.signature = Signature({
        let mut b = mint.signature.0;
        b[5] ^= 1;
        b
    });
    assert_eq!(
        s.validate(&Transaction::Mint(bad)),
        Err(TxError::IssuerSignature)
    );
    // Claiming the issuer's key without its signature.
    let mut claimed = Transaction::Mint(plan(&s, &stranger, &[10]).build(&mut s.rng).unwrap());
    if let Transaction::Mint(m) = &mut claimed {
        m.issuer = *issuer.public();
    }
    assert_eq!(s.validate(&claimed), Err(TxError::IssuerSignature));
    // Any change to the signed prefix breaks the signature.
    let mut payload = mint.clone();
    payload.bundle.outputs[0].payload[0] ^= 1;
    assert_eq!(
        s.validate(&Transaction::Mint(payload)),
        Err(TxError::IssuerSignature)
    );
    // Proofs are checked before the signature.
    let mut limb = mint.clone();
    limb.bundle.outputs[0].limbs.swap(0, 1);
    assert!(matches!(
        s.validate(&Transaction::Mint(limb)),
        Err(TxError::RangeProof(RangeError::Invalid))
    ));
    // A mint of nothing cannot be built.
    assert_eq!(
        plan(&s, &issuer, &[0]).build(&mut s.rng).unwrap_err(),
        BuildError::ZeroPayment(0)
    );
}
