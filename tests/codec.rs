//! Property tests of the transaction codec: decode ∘ encode is the identity,
//! every accepted byte string is canonical (re-encodes to itself), and no
//! input — random, truncated, mutated or oversized — makes the decoder panic.

mod common;

use std::sync::OnceLock;
use veil::codec::Encode;

use common::Scenario;
use proptest::prelude::*;
use veil::tx::codec::DecodeError;
use veil::tx::limits::MAX_TX_BYTES;
use veil::tx::Transaction;

/// A few valid transactions of different shapes, built once.
fn samples() -> &'static Vec<Vec<u8>> {
    static S: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    S.get_or_init(|| {
        let mut s = Scenario::new(77);
        [(1usize, 1usize, 2usize), (2, 2, 16), (3, 4, 5)]
            .iter()
            .map(|&(inputs, payments, ring)| {
                let owned = s.fund_alice(&vec![10_000; inputs]);
                let pays = (0..payments)
                    .map(|i| s.pay_bob(100 + u64::try_from(i).unwrap(), "memo"))
                    .collect();
                let t = s.plan(owned, pays, 3, ring).build(&mut s.rng).unwrap();
                Transaction::Transfer(t).encode().unwrap()
            })
            .collect()
    })
}

fn check_canonical(bytes: &[u8]) {
    if let Ok(tx) = Transaction::decode(bytes) {
        assert_eq!(
            tx.encode().unwrap(),
            bytes,
            "accepted a non-canonical encoding"
        );
    }
}

#[test]
fn samples_round_trip() {
    for b in samples() {
        let tx = Transaction::decode(b).unwrap();
        assert_eq!(&tx.encode().unwrap(), b);
        assert_eq!(Transaction::decode(&tx.encode().unwrap()).unwrap(), tx);
    }
}

#[test]
fn the_regulators_partial_decoder_agrees_with_the_full_one() {
    for b in samples() {
        let full = Transaction::decode(b).unwrap();
        let view = Transaction::decode_outputs(b).unwrap().unwrap();
        let (asset, bundle) = full.outputs().unwrap();
        assert_eq!((&view.asset, &view.bundle), (asset, bundle));
        for cut in [0, 1, b.len() / 2, b.len() - 1] {
            assert!(Transaction::decode_outputs(&b[..cut]).is_err());
        }
        let mut longer = b.clone();
        longer.push(0);
        assert!(Transaction::decode_outputs(&longer).is_err());
    }
}

#[test]
fn every_truncation_is_refused() {
    let b = &samples()[0];
    for cut in 0..b.len() {
        assert!(
            Transaction::decode(&b[..cut]).is_err(),
            "truncation at {cut} accepted"
        );
    }
    let mut longer = b.clone();
    longer.push(0);
    assert_eq!(
        Transaction::decode(&longer),
        Err(DecodeError::TrailingBytes(1))
    );
}

#[test]
fn oversized_and_empty_are_refused_before_parsing() {
    let big = vec![1u8; MAX_TX_BYTES + 1];
    assert!(matches!(
        Transaction::decode(&big),
        Err(DecodeError::OutOfRange {
            what: "transaction size",
            ..
        })
    ));
    assert!(Transaction::decode(&[]).is_err());
    assert_eq!(Transaction::decode(&[2, 1]), Err(DecodeError::Version(2)));
    assert_eq!(Transaction::decode(&[1, 11]), Err(DecodeError::Kind(11)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_canonical(&bytes);
        let _ = Transaction::decode_outputs(&bytes);
        let mut framed = vec![1u8, 1];
        framed.extend(&bytes);
        check_canonical(&framed);
    }

    #[test]
    fn mutated_transactions_never_panic_and_stay_canonical(
        which in 0usize..3,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut b = samples()[which].clone();
        for (i, x) in flips {
            let i = i.index(b.len());
            b[i] ^= x;
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        check_canonical(&b);
        let _ = Transaction::decode_outputs(&b);
    }
}
