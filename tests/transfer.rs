//! End-to-end properties of confidential transfers: build → verify → scan →
//! regulator opening, and one negative test per field.

mod common;

use common::Scenario;
use curve25519_dalek::scalar::Scalar;
use veil::codec::Encode;
use veil::crypto::clsag::ClsagError;
use veil::crypto::commitment::Commitment;
use veil::crypto::generators::G;
use veil::crypto::point::Point;
use veil::crypto::range::RangeError;
use veil::crypto::regulator_ciphertext::{
    Handle, RegulatorProofError, RegulatorPublicKey, RegulatorSecretKey,
};
use veil::tx::bundle::build::BuildError;
use veil::tx::bundle::view::{open_for_regulator, open_from_handles, RegulatorOpenError};
use veil::tx::codec::DecodeError;
use veil::tx::transfer::plan::Payment;
use veil::tx::{verify_batch, verify_batch_parallel, Transaction, TxError};

fn bump(p: &Point) -> [u8; 32] {
    *Point::from_point(p.point() + G).as_bytes()
}

#[test]
fn round_trip_build_verify_scan_and_regulator_view() {
    let mut s = Scenario::new(1);
    let t = s.transfer(&[700, 600], 1_000, 16);
    let tx = Transaction::Transfer(t.clone());

    // Canonical codec: decode ∘ encode = id, re-encoding byte-identical.
    let bytes = tx.encode().unwrap();
    let back = Transaction::decode(&bytes).unwrap();
    assert_eq!(back, tx);
    assert_eq!(back.encode().unwrap(), bytes);
    s.validate(&back).unwrap();

    // Bob finds his payment; Alice finds her change; amounts and memo exact.
    let bob_sees = t.scan(s.bob.view_key());
    assert_eq!(bob_sees.len(), 1);
    assert_eq!(bob_sees[0].note.amount, 1_000);
    assert_eq!(bob_sees[0].note.memo, b"invoice 42");
    assert_eq!(bob_sees[0].note.return_address, Some(*s.alice.address()));
    let alice_sees = t.scan(s.alice.view_key());
    assert_eq!(alice_sees.len(), 1);
    assert_eq!(alice_sees[0].note.amount, 700 + 600 - 1_000 - 10);

    // The regulator reads every amount, the sender, receivers and memo.
    let views = open_for_regulator(&s.regulator, &[(&t.asset, &t.bundle)]);
    let view = views[0].as_ref().unwrap();
    assert_eq!(view.sender, Some(s.alice.address().into()));
    assert_eq!(view.total(), 1_290);
    assert!(view.outputs.iter().all(|o| o.payload_matches));
    let to_bob = view
        .outputs
        .iter()
        .find(|o| o.receiver == Some(s.bob.address().into()))
        .unwrap();
    assert_eq!(to_bob.amount, 1_000);
    assert_eq!(to_bob.memo, b"invoice 42");
    // The slow path (handles only) agrees.
    assert_eq!(
        &open_from_handles(&s.regulator, &t.asset, &t.bundle).unwrap(),
        view
    );

    // Bob can spend what he received.
    s.ledger.apply(&tx);
    let first_new = s.ledger.output_count(&s.asset) - 2;
    let received = &bob_sees[0];
    let owned = veil::tx::transfer::plan::OwnedOutput {
        global_index: first_new + u64::from(received.index),
        member: veil::crypto::clsag::RingMember::new(received.one_time_key, received.commitment),
        amount: received.note.amount,
        blinding: received.note.blinding.clone(),
        one_time_secret: received.one_time_secret(s.bob.spend_secret()),
    };
    let mut plan = s.plan(vec![owned], vec![], 0, 16);
    plan.payments = vec![Payment {
        to: *s.alice.address(),
        amount: 999,
        memo: vec![],
    }];
    plan.change_address = *s.bob.address();
    plan.sender = Some(*s.bob.address());
    let t2 = plan.build(&mut s.rng).unwrap();
    s.validate(&Transaction::Transfer(t2.clone())).unwrap();
    assert_eq!(t2.scan(s.alice.view_key())[0].note.amount, 999);
}

#[test]
fn every_shape_verifies() {
    let mut s = Scenario::new(2);
    for (inputs, outputs, ring) in [(1usize, 1usize, 2usize), (1, 2, 3), (3, 3, 5), (2, 7, 11)] {
        let owned = s.fund_alice(&vec![1_000_000; inputs]);
        let payments = (0..outputs)
            .map(|i| s.pay_bob(1 + u64::try_from(i).unwrap(), ""))
            .collect();
        let t = s.plan(owned, payments, 0, ring).build(&mut s.rng).unwrap();
        assert!(t.bundle.outputs.len() >= 2);
        assert_eq!(t.inputs[0].ring.len(), ring);
        let tx = Transaction::Transfer(t);
        s.validate(&tx).unwrap();
        assert_eq!(Transaction::decode(&tx.encode().unwrap()).unwrap(), tx);
    }
}

/// Tampers one field, re-encodes and decodes (so the tamper travels as
/// bytes, as an attacker would send it), and validates.
fn tampered(
    s: &Scenario,
    tx: &Transaction,
    f: impl FnOnce(&mut veil::tx::Transfer),
) -> Result<(), TxError> {
    let Transaction::Transfer(mut t) = tx.clone() else {
        unreachable!()
    };
    f(&mut t);
    let bytes = Transaction::Transfer(t).encode();
    let decoded = Transaction::decode(&bytes.unwrap())?;
    s.validate(&decoded)
}

#[test]
fn every_tampered_field_is_rejected_with_its_error() {
    let mut s = Scenario::new(3);
    let t = s.transfer(&[5_000, 6_000], 4_000, 4);
    let tx = Transaction::Transfer(t.clone());
    s.validate(&tx).unwrap();
    let sig0 = |e: ClsagError| TxError::Signature {
        input: 0,
        source: e,
    };

    // Signature fields.
    assert_eq!(
        tampered(&s, &tx, |t| t.signatures[0].rounds[1].s += Scalar::ONE),
        Err(sig0(ClsagError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.signatures[1].rounds[3].s += Scalar::ONE),
        Err(TxError::Signature {
            input: 1,
            source: ClsagError::Invalid
        })
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.signatures[0].rounds[0].l =
            Point::from_bytes(&bump(&t.signatures[0].rounds[0].l)).unwrap()),
        Err(sig0(ClsagError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.signatures[0].rounds[2].r =
            Point::from_bytes(&bump(&t.signatures[0].rounds[2].r)).unwrap()),
        Err(sig0(ClsagError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.signatures[0].d =
            Point::from_bytes(&bump(&t.signatures[0].d)).unwrap()),
        Err(sig0(ClsagError::Invalid))
    );
    // Key image: signed over, so the signature breaks.
    assert_eq!(
        tampered(&s, &tx, |t| t.inputs[0].key_image =
            veil::crypto::clsag::KeyImage::from_bytes(&bump(
                t.inputs[0].key_image.as_point()
            ))
            .unwrap()),
        Err(sig0(ClsagError::Invalid))
    );
    // Ring member: points at another output.
    assert_eq!(
        tampered(
            &s,
            &tx,
            |t| t.inputs[0].ring[0] = if t.inputs[0].ring[0] == 0 {
                0
            } else {
                t.inputs[0].ring[0] - 1
            }
        ),
        if t.inputs[0].ring[0] == 0 {
            Ok(())
        } else {
            Err(sig0(ClsagError::Invalid))
        }
    );
    let last = *t.inputs[0].ring.last().unwrap();
    assert_eq!(
        tampered(&s, &tx, |t| *t.inputs[0].ring.last_mut().unwrap() =
            last + 1_000_000),
        Err(TxError::UnknownRingMember {
            input: 0,
            index: last + 1_000_000
        })
    );
    // Pseudo-output: the balance breaks first.
    assert_eq!(
        tampered(&s, &tx, |t| t.inputs[1].pseudo_out =
            Commitment::from_bytes(&bump(t.inputs[1].pseudo_out.as_point()))
                .unwrap()),
        Err(TxError::Unbalanced)
    );
    // Fee.
    assert_eq!(tampered(&s, &tx, |t| t.fee += 1), Err(TxError::Unbalanced));
    // Limb commitment: the range proof breaks first.
    assert!(matches!(
        tampered(&s, &tx, |t| t.bundle.outputs[0].limbs[2] =
            Commitment::from_bytes(&bump(
                t.bundle.outputs[0].limbs[2].as_point()
            ))
            .unwrap()),
        Err(TxError::RangeProof(RangeError::Invalid))
    ));
    // Handle.
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.outputs[1].handles[3] =
            Handle::from_bytes(&bump(
                t.bundle.outputs[1].handles[3].as_point()
            ))
            .unwrap()),
        Err(TxError::RegulatorProof(RegulatorProofError::Invalid))
    );
    // Regulator proof fields.
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.regulator_proof.z_v += Scalar::ONE),
        Err(TxError::RegulatorProof(RegulatorProofError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.regulator_proof.z_gamma += Scalar::ONE),
        Err(TxError::RegulatorProof(RegulatorProofError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.regulator_proof.y_c =
            Point::from_bytes(&bump(&t.bundle.regulator_proof.y_c)).unwrap()),
        Err(TxError::RegulatorProof(RegulatorProofError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.regulator_proof.y_d =
            Point::from_bytes(&bump(&t.bundle.regulator_proof.y_d)).unwrap()),
        Err(TxError::RegulatorProof(RegulatorProofError::Invalid))
    );
    // Regulator key swapped for another: the proof no longer holds.
    let other = *RegulatorSecretKey::from_seed(&[9; 32]).public();
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.regulator_key = other),
        Err(TxError::RegulatorProof(RegulatorProofError::Invalid))
    );
    // Range proof bytes.
    assert!(matches!(
        {
            let Transaction::Transfer(mut t2) = tx.clone() else {
                unreachable!()
            };
            let mut b = t2.bundle.range_proof.as_bytes().to_vec();
            b[100] ^= 1;
            match veil::crypto::range::RangeProof::from_bytes(&b, t2.bundle.outputs.len() * 4) {
                Ok(p) => {
                    t2.bundle.range_proof = p;
                    s.validate(&Transaction::Transfer(t2))
                }
                Err(e) => Err(TxError::RangeProof(e)),
            }
        },
        Err(TxError::RangeProof(_) | TxError::Malformed(_))
    ));
    // Payload bytes (output note and regulator note): signed over.
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.outputs[0].payload[5] ^= 1),
        Err(sig0(ClsagError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.regulator_payload[5] ^= 1),
        Err(sig0(ClsagError::Invalid))
    );
    // One-time key, view tag, tx public key, regulator ephemeral, asset: signed over.
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.outputs[0].one_time_key =
            veil::crypto::stealth::OneTimeKey::from_bytes(&bump(
                t.bundle.outputs[0].one_time_key.as_point()
            ))
            .unwrap()),
        Err(sig0(ClsagError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.outputs[0].view_tag.0 ^= 1),
        Err(sig0(ClsagError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| t.bundle.tx_public_key =
            veil::crypto::stealth::TxPublicKey::from_bytes(&bump(
                t.bundle.tx_public_key.as_point()
            ))
            .unwrap()),
        Err(sig0(ClsagError::Invalid))
    );
    assert_eq!(
        tampered(&s, &tx, |t| {
            t.bundle.regulator_ephemeral =
                veil::crypto::regulator_ciphertext::RegulatorEphemeral::from_bytes(&bump(
                    t.bundle.regulator_ephemeral.as_point(),
                ))
                .unwrap()
        }),
        Err(sig0(ClsagError::Invalid))
    );
    // Structure: duplicate key images, unsorted ring, dropped signature.
    let dup = tampered(&s, &tx, |t| t.inputs[1].key_image = t.inputs[0].key_image);
    assert_eq!(
        dup,
        Err(TxError::DuplicateKeyImage {
            first: 0,
            second: 1
        })
    );
    let mut t3 = t.clone();
    t3.inputs[0].ring.swap(0, 1);
    assert_eq!(
        s.validate(&Transaction::Transfer(t3)),
        Err(TxError::RingNotSorted { input: 0 })
    );
    let mut t4 = t.clone();
    t4.signatures.pop();
    assert!(matches!(
        s.validate(&Transaction::Transfer(t4)),
        Err(TxError::Malformed(DecodeError::OutOfRange { .. }))
    ));
    let mut t5 = t.clone();
    t5.bundle.outputs[1].one_time_key = t5.bundle.outputs[0].one_time_key;
    assert_eq!(
        s.validate(&Transaction::Transfer(t5)),
        Err(TxError::DuplicateOutputKey {
            first: 0,
            second: 1
        })
    );
}

#[test]
fn transfer_to_a_key_not_in_force_is_refused() {
    let mut s = Scenario::new(4);
    let owned = s.fund_alice(&[100]);
    let pay = s.pay_bob(50, "");
    let mut plan = s.plan(owned, vec![pay], 0, 4);
    let stranger = RegulatorSecretKey::from_seed(&[0x77; 32]);
    plan.regulator_key = *stranger.public();
    let t = plan.build(&mut s.rng).unwrap();
    let tx = Transaction::Transfer(t.clone());
    // Internally consistent, so the proofs hold ...
    tx.check_stateless(&tx.resolve_rings(&s.ledger).unwrap())
        .unwrap();
    // ... but the ledger's regulator cannot read it, so it is refused.
    assert_eq!(
        tx.check_stateful(&s.ledger, 0).map(|_| ()),
        Err(TxError::RegulatorKey)
    );
    assert_eq!(
        open_for_regulator(&s.regulator, &[(&t.asset, &t.bundle)])[0],
        Err(RegulatorOpenError::WrongKey)
    );
}

#[test]
fn double_spends_share_a_key_image_and_are_refused() {
    let mut s = Scenario::new(5);
    let owned = s.fund_alice(&[100]).remove(0);
    let pay = s.pay_bob(60, "");
    let t1 = s
        .plan(vec![owned.clone()], vec![pay.clone()], 0, 8)
        .build(&mut s.rng)
        .unwrap();
    let t2 = s
        .plan(vec![owned], vec![pay], 1, 8)
        .build(&mut s.rng)
        .unwrap();
    assert_eq!(t1.inputs[0].key_image, t2.inputs[0].key_image);
    assert_ne!(t1.inputs[0].ring, t2.inputs[0].ring);
    let (tx1, tx2) = (Transaction::Transfer(t1), Transaction::Transfer(t2));
    s.validate(&tx1).unwrap();
    s.validate(&tx2).unwrap();
    s.ledger.apply(&tx1);
    assert_eq!(s.validate(&tx1), Err(TxError::KeyImageSpent { input: 0 }));
    assert_eq!(s.validate(&tx2), Err(TxError::KeyImageSpent { input: 0 }));
}

#[test]
fn builder_refuses_overflow_shortfall_and_bad_plans() {
    let mut s = Scenario::new(6);
    let owned = s.fund_alice(&[u64::MAX, 5]);
    let pay = s.pay_bob(1, "");
    assert_eq!(
        s.plan(owned, vec![pay], 0, 4)
            .build(&mut s.rng)
            .unwrap_err(),
        BuildError::Overflow
    );
    let owned = s.fund_alice(&[10]);
    let pays = vec![s.pay_bob(u64::MAX, ""), s.pay_bob(2, "")];
    assert_eq!(
        s.plan(owned, pays, 0, 4).build(&mut s.rng).unwrap_err(),
        BuildError::Overflow
    );
    let owned = s.fund_alice(&[10]);
    let pay = s.pay_bob(10, "");
    assert_eq!(
        s.plan(owned, vec![pay], 1, 4)
            .build(&mut s.rng)
            .unwrap_err(),
        BuildError::InsufficientFunds {
            available: 10,
            needed: 11
        }
    );
    let owned = s.fund_alice(&[10]);
    let pay = s.pay_bob(0, "");
    assert_eq!(
        s.plan(owned, vec![pay], 0, 4)
            .build(&mut s.rng)
            .unwrap_err(),
        BuildError::ZeroPayment(0)
    );
    let owned = s.fund_alice(&[10]);
    let pay = s.pay_bob(1, &"x".repeat(513));
    assert_eq!(
        s.plan(owned, vec![pay], 0, 4)
            .build(&mut s.rng)
            .unwrap_err(),
        BuildError::MemoTooLong(0)
    );
    let owned = s.fund_alice(&[10]);
    let pay = s.pay_bob(1, "");
    assert_eq!(
        s.plan(owned, vec![pay], 0, 1)
            .build(&mut s.rng)
            .unwrap_err(),
        BuildError::RingSize
    );
    let owned = s.fund_alice(&[1_000]);
    let pays = (0..16).map(|_| s.pay_bob(1, "")).collect();
    assert_eq!(
        s.plan(owned, pays, 0, 4).build(&mut s.rng).unwrap_err(),
        BuildError::OutputCount(17)
    );
    // A wrong secret for the owned output cannot sign.
    let mut owned = s.fund_alice(&[10]);
    owned[0].one_time_secret = veil::crypto::secret::Secret::new(Scalar::ONE);
    let pay = s.pay_bob(1, "");
    assert!(matches!(
        s.plan(owned, vec![pay], 0, 4)
            .build(&mut s.rng)
            .unwrap_err(),
        BuildError::Signature {
            input: 0,
            source: ClsagError::SecretMismatch
        }
    ));
}

#[test]
fn lying_regulator_note_is_flagged_and_amounts_still_come_from_handles() {
    use veil::tx::bundle::note::RegulatorNote;
    let mut s = Scenario::new(7);
    let mut t = s.transfer(&[500], 300, 4);
    // The sender re-seals a note that understates the payment (a valid
    // transfer can only do this before signing; simulate by re-sealing and
    // checking the view, which does not need the signature).
    let shared = s.regulator.shared_secret(&t.bundle.regulator_ephemeral);
    let ad = t.bundle.regulator_ad(&t.asset);
    let mut note = RegulatorNote::open(shared.expose(), &ad, &t.bundle.regulator_payload).unwrap();
    for o in &mut note.outputs {
        o.amount /= 2;
    }
    t.bundle.regulator_payload = note.seal(shared.expose(), &ad).unwrap();
    let view = open_for_regulator(&s.regulator, &[(&t.asset, &t.bundle)])
        .remove(0)
        .unwrap();
    assert_eq!(view.total(), 490);
    assert!(view.outputs.iter().any(|o| !o.payload_matches));
    // A note that does not decrypt at all: amounts still exact.
    t.bundle.regulator_payload = vec![0; 40];
    let view = open_for_regulator(&s.regulator, &[(&t.asset, &t.bundle)])
        .remove(0)
        .unwrap();
    assert!(!view.note_readable);
    assert_eq!(view.total(), 490);
}

#[test]
fn batch_verification_names_exactly_the_bad_transactions() {
    let mut s = Scenario::new(8);
    let mut txs: Vec<Transaction> = (0..6)
        .map(|_| Transaction::Transfer(s.transfer(&[100, 200], 150, 4)))
        .collect();
    let rings: Vec<_> = txs
        .iter()
        .map(|t| t.resolve_rings(&s.ledger).unwrap())
        .collect();
    let items: Vec<_> = txs.iter().zip(&rings).collect();
    assert!(verify_batch(&items).iter().all(Result::is_ok));
    assert!(verify_batch_parallel(&items).iter().all(Result::is_ok));
    let Transaction::Transfer(t) = &mut txs[2] else {
        unreachable!()
    };
    t.fee += 1;
    let Transaction::Transfer(t) = &mut txs[4] else {
        unreachable!()
    };
    t.signatures[0].rounds[0].s += Scalar::ONE;
    let items: Vec<_> = txs.iter().zip(&rings).collect();
    for results in [verify_batch(&items), verify_batch_parallel(&items)] {
        let bad: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_err())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(bad, vec![2, 4]);
        assert_eq!(results[2], Err(TxError::Unbalanced));
    }
}

#[test]
fn regulator_opens_many_at_once() {
    let mut s = Scenario::new(9);
    let ts: Vec<_> = (0..5).map(|i| s.transfer(&[1_000], 100 + i, 2)).collect();
    let refs: Vec<_> = ts.iter().map(|t| (&t.asset, &t.bundle)).collect();
    let views = open_for_regulator(&s.regulator, &refs);
    for (i, v) in views.into_iter().enumerate() {
        let v = v.unwrap();
        assert_eq!(v.total(), 990);
        assert!(v
            .outputs
            .iter()
            .any(|o| o.amount == 100 + u64::try_from(i).unwrap()));
    }
}

#[test]
fn identity_regulator_key_cannot_be_decoded() {
    assert!(RegulatorPublicKey::from_bytes(&[0; 32]).is_err());
}

#[test]
fn a_threshold_key_opens_byte_for_byte_what_the_single_key_opens() {
    use rand_core::SeedableRng;
    use veil::crypto::threshold::{combine, split_existing, CombinedKey, Params};
    use veil::tx::bundle::view::regulator_points;
    let mut s = Scenario::new(12);
    let mut ts: Vec<_> = (0..3).map(|i| s.transfer(&[1_000], 200 + i, 2)).collect();
    // One sender lies in its regulator note: only the limbs tell the truth.
    let mut liar = s.transfer(&[800], 300, 2);
    let shared = s.regulator.shared_secret(&liar.bundle.regulator_ephemeral);
    let ad = liar.bundle.regulator_ad(&liar.asset);
    let mut note = veil::tx::bundle::note::RegulatorNote::open(
        shared.expose(),
        &ad,
        &liar.bundle.regulator_payload,
    )
    .unwrap();
    note.outputs[0].amount += 1;
    liar.bundle.regulator_payload = note.seal(shared.expose(), &ad).unwrap();
    ts.push(liar);
    let refs: Vec<_> = ts.iter().map(|t| (&t.asset, &t.bundle)).collect();
    let single = open_for_regulator(&s.regulator, &refs);

    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let params = Params::new(3, 5).unwrap();
    let officers = split_existing(&s.regulator, params, &mut rng).unwrap();
    let public = officers[0].public().clone();
    assert_eq!(public.group(), s.regulator.public());
    for limbs in [false, true] {
        let points = regulator_points(&refs, limbs);
        let partials: Vec<_> = [0usize, 2, 4]
            .iter()
            .map(|&i| officers[i].partial(&points, &mut rng))
            .collect();
        let combined = combine(&public, &points, &partials).unwrap();
        let key = CombinedKey::new(&public, &points, &combined);
        let opened = open_for_regulator(&key, &refs);
        if limbs {
            assert_eq!(opened, single);
        } else {
            // The honest transfers open from the note alone; the liar needs
            // its limbs.
            assert_eq!(opened[..3], single[..3]);
            assert_eq!(opened[3], Err(RegulatorOpenError::Undecryptable(0)));
        }
    }
    // Two officers alone open nothing.
    let points = regulator_points(&refs, false);
    let two: Vec<_> = officers[..2]
        .iter()
        .map(|o| o.partial(&points, &mut rng))
        .collect();
    assert!(combine(&public, &points, &two).is_err());
}
