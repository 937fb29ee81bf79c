//! The two fixed generators of Veil's group.
//!
//! * `G` = the ristretto255 basepoint (RFC 9496 §4.4).
//! * `H` = `ristretto255.from_uniform_bytes(SHA3-512(encode(G)))`, exactly the
//!   `B_blinding` generator of the `bulletproofs` crate's `PedersenGens`
//!   (pinned by a test vector below).
//!
//! Veil writes commitments as `C = γ·G + v·H` (Monero's orientation): keys and
//! blinding factors share the base `G`, which CLSAG's commitment-to-zero
//! component needs (`C_k − C' = z·G` when the amounts agree). The original
//! design named the same generator pair with the roles the other way round;
//! that orientation would put `z` on a different base from the signing key
//! and CLSAG's single aggregated response could not exist. See
//! `docs/protocol.md#generators` and
//! `docs/architecture.md#commitment-orientation`.

use std::sync::OnceLock;

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_COMPRESSED, RISTRETTO_BASEPOINT_POINT};
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use sha3::{Digest, Sha3_512};

/// The basepoint `G`: base of keys and blinding factors.
pub const G: RistrettoPoint = RISTRETTO_BASEPOINT_POINT;

struct Tables {
    h: RistrettoPoint,
    h_table: RistrettoBasepointTable,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let digest = Sha3_512::digest(RISTRETTO_BASEPOINT_COMPRESSED.as_bytes());
        let mut wide = [0u8; 64];
        wide.copy_from_slice(&digest);
        let h = RistrettoPoint::from_uniform_bytes(&wide);
        Tables {
            h,
            h_table: RistrettoBasepointTable::create(&h),
        }
    })
}

/// The value generator `H`.
pub fn h() -> RistrettoPoint {
    tables().h
}

/// `s·G` with the precomputed basepoint table.
pub fn mul_g(s: &Scalar) -> RistrettoPoint {
    RistrettoPoint::mul_base(s)
}

/// `s·H` with a precomputed table for `H`.
pub fn mul_h(s: &Scalar) -> RistrettoPoint {
    &tables().h_table * s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h_is_the_bulletproofs_blinding_generator() {
        // bulletproofs 5.0.0: PedersenGens::default().B_blinding.compress()
        assert_eq!(
            hex::encode(h().compress().as_bytes()),
            "8c9240b456a9e6dc65c377a1048d745f94a08cdb7f44cbcd7b46f34048871134"
        );
        assert_eq!(
            hex::encode(G.compress().as_bytes()),
            "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
        );
    }

    #[test]
    fn tables_agree_with_plain_multiplication() {
        let s = Scalar::from(123_456_789u64);
        assert_eq!(mul_h(&s), h() * s);
        assert_eq!(mul_g(&s), G * s);
    }
}
