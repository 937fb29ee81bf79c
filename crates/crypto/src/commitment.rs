//! Pedersen commitments and the 16-bit limbs amounts are committed in.
//!
//! `Com(v, γ) = γ·G + v·H` (generators in [`super::generators`]): perfectly
//! hiding, computationally binding under the discrete-log assumption.
//!
//! An output amount `v < 2⁶⁴` is split into `LIMBS = 4` limbs of
//! `LIMB_BITS = 16` bits, `v = Σⱼ 2^{16j}·vⱼ`, each committed separately with
//! its own blinding `γⱼ`:
//!
//! ```text
//!   Cⱼ = γⱼ·G + vⱼ·H          C = Σⱼ 2^{16j}·Cⱼ = γ·G + v·H,  γ = Σⱼ 2^{16j}·γⱼ
//! ```
//!
//! The output commitment `C` is derived, never transmitted: a range proof
//! that every `vⱼ ∈ [0, 2¹⁶)` therefore bounds `v ∈ [0, 2⁶⁴)`, and the
//! regulator can decrypt each 16-bit limb with a table lookup
//! ([`super::regulator`]).

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;

use super::generators::{mul_g, mul_h};
use super::point::Point;
use crate::point_newtype;

/// Number of limbs an amount is split into.
pub const LIMBS: usize = 4;
/// Bits per limb.
pub const LIMB_BITS: u32 = 16;

point_newtype!(Commitment, "A Pedersen commitment `γ·G + v·H`.");

impl Commitment {
    /// Commits to `value` with `blinding`.
    pub fn new(value: u64, blinding: &Scalar) -> Self {
        Self(Point::from_point(commit(value, blinding)))
    }

    /// Wraps a computed commitment point.
    pub fn from_point(point: RistrettoPoint) -> Self {
        Self(Point::from_point(point))
    }
}

/// `γ·G + v·H`.
pub fn commit(value: u64, blinding: &Scalar) -> RistrettoPoint {
    mul_g(blinding) + mul_h(&Scalar::from(value))
}

/// Splits an amount into its limbs, least significant first.
pub fn split_limbs(value: u64) -> [u64; LIMBS] {
    let mask = (1u64 << LIMB_BITS) - 1;
    let mut limbs = [0u64; LIMBS];
    let mut rest = value;
    for limb in &mut limbs {
        *limb = rest & mask;
        rest = rest.checked_shr(LIMB_BITS).unwrap_or(0);
    }
    limbs
}

/// Recombines limbs into an amount; `None` if a limb is out of range.
pub fn join_limbs(limbs: &[u64; LIMBS]) -> Option<u64> {
    let mut v = 0u64;
    for l in limbs.iter().rev() {
        if *l >> LIMB_BITS != 0 {
            return None;
        }
        v = v.checked_shl(LIMB_BITS).unwrap_or(0) | l;
    }
    Some(v)
}

/// The weight `2^{16j}` of limb `j` as a scalar.
pub fn limb_weight(j: usize) -> Scalar {
    const WEIGHTS: [u64; LIMBS] = [
        1,
        1 << LIMB_BITS,
        1 << (2 * LIMB_BITS),
        1 << (3 * LIMB_BITS),
    ];
    Scalar::from(WEIGHTS[j])
}

/// `Σⱼ 2^{16j}·γⱼ`: the blinding of the whole-amount commitment.
pub fn join_blindings(limb_blindings: &[Scalar; LIMBS]) -> Scalar {
    limb_blindings
        .iter()
        .enumerate()
        .map(|(j, g)| limb_weight(j) * g)
        .sum()
}

/// `Σⱼ 2^{16j}·Cⱼ` by Horner's rule with doublings (no full scalar
/// multiplication).
pub fn join_commitments(limbs: &[Commitment; LIMBS]) -> Commitment {
    let mut acc = *limbs[LIMBS - 1].point();
    for limb in limbs[..LIMBS - 1].iter().rev() {
        for _ in 0..LIMB_BITS {
            acc = acc + acc;
        }
        acc += limb.point();
    }
    Commitment::from_point(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn limbs_round_trip(v in any::<u64>()) {
            let limbs = split_limbs(v);
            prop_assert!(limbs.iter().all(|l| *l < 1 << 16));
            prop_assert_eq!(join_limbs(&limbs), Some(v));
        }

        #[test]
        fn joined_commitment_opens_to_the_amount(v in any::<u64>(), seed in any::<u64>()) {
            let gammas: [Scalar; LIMBS] = std::array::from_fn(|j| Scalar::from(seed) + Scalar::from(u64::try_from(j).unwrap() * 7 + 1));
            let limbs = split_limbs(v);
            let cs: [Commitment; LIMBS] = std::array::from_fn(|j| Commitment::new(limbs[j], &gammas[j]));
            let joined = join_commitments(&cs);
            prop_assert_eq!(joined, Commitment::new(v, &join_blindings(&gammas)));
        }
    }

    #[test]
    fn join_rejects_wide_limbs() {
        assert_eq!(join_limbs(&[1 << 16, 0, 0, 0]), None);
        assert_eq!(join_limbs(&[0xffff; 4]), Some(u64::MAX));
    }
}
