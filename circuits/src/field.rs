//! Encodings of BN254 scalars (`Fr`) at the edges: 32-byte big-endian
//! canonical form, hex, and hashing bytes to a field element.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use sha2::{Digest, Sha256};

pub use ark_bn254::Fr as Scalar;

/// The canonical 32-byte big-endian encoding.
pub fn to_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// Decodes a canonical encoding; `None` for values `≥ p`.
pub fn from_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let x = Fr::from_be_bytes_mod_order(bytes);
    (to_bytes(&x) == *bytes).then_some(x)
}

/// `0x`-less lower-case hex of [`to_bytes`].
pub fn to_hex(x: &Fr) -> String {
    hex::encode(to_bytes(x))
}

/// Decodes [`to_hex`]'s output (64 hex digits, canonical).
pub fn from_hex(s: &str) -> Option<Fr> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(s, &mut bytes).ok()?;
    from_bytes(&bytes)
}

/// `SHA-256(domain ‖ 0x00 ‖ data)` truncated to 248 bits, as a field
/// element: how strings and identifiers enter the circuit. Injective up to
/// SHA-256 collisions, never reduced modulo `p`.
pub fn hash_to_field(domain: &[u8], data: &[u8]) -> Fr {
    let mut h = Sha256::new();
    h.update(domain);
    h.update([0u8]);
    h.update(data);
    let d = h.finalize();
    Fr::from_be_bytes_mod_order(&d[..31])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::Zero;

    #[test]
    fn canonical_round_trip_and_refusal() {
        let x = hash_to_field(b"t", b"x");
        assert_eq!(from_bytes(&to_bytes(&x)), Some(x));
        assert_eq!(from_hex(&to_hex(&x)), Some(x));
        assert_eq!(from_bytes(&[0xff; 32]), None);
        assert_eq!(from_hex("00"), None);
        assert_eq!(from_hex(&"0".repeat(64)), Some(Fr::zero()));
    }
}
