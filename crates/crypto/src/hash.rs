//! Domain-separated hashes onto scalars and points.
//!
//! `H_s(tag, x₁ … xₙ) = SHA-512(tag ‖ 0x00 ‖ x₁ ‖ … ‖ xₙ) mod ℓ` (wide
//! reduction of the 64-byte digest), and
//! `H_p(tag, x₁ … xₙ) = ristretto255.from_uniform_bytes(SHA-512(tag ‖ 0x00 ‖ x₁ ‖ … ‖ xₙ))`
//! (RFC 9496 §4.3.4, the hash-to-group map of ristretto255).
//!
//! Every call site passes a distinct `tag` (listed in `docs/protocol.md#hashes`)
//! and fixed-length parts, so concatenation is unambiguous. Fiat–Shamir
//! challenges do not use these: they go through [`super::transcript`].

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha256, Sha512};

fn wide(tag: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(tag);
    h.update([0u8]);
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(&h.finalize());
    out
}

/// `H_s(tag, parts)`: a uniformly distributed scalar.
pub fn hash_to_scalar(tag: &[u8], parts: &[&[u8]]) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&wide(tag, parts))
}

/// `H_p(tag, parts)`: a point with unknown discrete logarithm.
pub fn hash_to_point(tag: &[u8], parts: &[&[u8]]) -> RistrettoPoint {
    RistrettoPoint::from_uniform_bytes(&wide(tag, parts))
}

/// `SHA-256(tag ‖ 0x00 ‖ parts)`: identifiers and short tags.
pub fn hash256(tag: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(tag);
    h.update([0u8]);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_separate_domains() {
        assert_ne!(hash_to_scalar(b"a", &[b"x"]), hash_to_scalar(b"b", &[b"x"]));
        assert_ne!(hash_to_point(b"a", &[b"x"]), hash_to_point(b"b", &[b"x"]));
        // The separator keeps "ab"‖"c" apart from "a"‖"bc".
        assert_ne!(hash256(b"ab", &[b"c"]), hash256(b"a", &[b"bc"]));
    }
}
