//! Discrete-log equality proofs (Chaum–Pedersen, CRYPTO '92), used for
//! payment proofs: a sender shows that `S = r·A` for the transaction key
//! `R = r·G` without revealing `r` (Monero's `tx_key` proof, done so that
//! the secret never leaves the wallet).
//!
//! ```text
//!   prover:  k ← random;  T₁ = k·G;  T₂ = k·A
//!   c = challenge "c" of merlin("veil/dleq/v1" ‖ R ‖ A ‖ S ‖ T₁ ‖ T₂)
//!   z = k + c·r
//!   verify:  z·G = T₁ + c·R   and   z·A = T₂ + c·S
//! ```

use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};

use super::generators::{mul_g, G};
use super::point::Point;
use super::rng::random_scalar;
use super::secret::Secret;
use super::transcript::TranscriptProtocol;

/// Transcript label.
pub const DLEQ: &[u8] = b"veil/dleq/v1";

/// A proof that `log_G R = log_A S`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqProof {
    /// `T₁`.
    pub t1: Point,
    /// `T₂`.
    pub t2: Point,
    /// `z`.
    pub z: Scalar,
}

fn challenge(r: &Point, a: &Point, s: &Point, t1: &Point, t2: &Point) -> Scalar {
    let mut t = Transcript::new(DLEQ);
    t.append_point(b"R", r);
    t.append_point(b"A", a);
    t.append_point(b"S", s);
    t.append_point(b"T1", t1);
    t.append_point(b"T2", t2);
    t.challenge_scalar(b"c")
}

impl DleqProof {
    /// Proves `R = r·G`, `S = r·A`.
    pub fn prove<R: RngCore + CryptoRng + ?Sized>(
        r: &Secret<Scalar>,
        a: &Point,
        rng: &mut R,
    ) -> (Point, Point, Self) {
        let big_r = Point::from_point(mul_g(r.expose()));
        let s = Point::from_point(a.point() * r.expose());
        let k = Secret::new(random_scalar(rng));
        let t1 = Point::from_point(mul_g(k.expose()));
        let t2 = Point::from_point(a.point() * k.expose());
        let c = challenge(&big_r, a, &s, &t1, &t2);
        (
            big_r,
            s,
            Self {
                t1,
                t2,
                z: k.expose() + c * r.expose(),
            },
        )
    }

    /// Checks the proof.
    pub fn verify(&self, r: &Point, a: &Point, s: &Point) -> bool {
        let c = challenge(r, a, s, &self.t1, &self.t2);
        let lhs1 = curve25519_dalek::ristretto::RistrettoPoint::vartime_multiscalar_mul(
            [self.z, -c, -Scalar::ONE],
            [G, *r.point(), *self.t1.point()],
        );
        let lhs2 = curve25519_dalek::ristretto::RistrettoPoint::vartime_multiscalar_mul(
            [self.z, -c, -Scalar::ONE],
            [*a.point(), *s.point(), *self.t2.point()],
        );
        use curve25519_dalek::traits::IsIdentity;
        lhs1.is_identity() && lhs2.is_identity()
    }

    /// `T₁ ‖ T₂ ‖ z` (96 bytes).
    pub fn to_bytes(&self) -> [u8; 96] {
        let mut out = [0u8; 96];
        out[..32].copy_from_slice(self.t1.as_bytes());
        out[32..64].copy_from_slice(self.t2.as_bytes());
        out[64..].copy_from_slice(self.z.as_bytes());
        out
    }

    /// Parses [`DleqProof::to_bytes`].
    pub fn from_bytes(b: &[u8; 96]) -> Option<Self> {
        let p = |s: &[u8]| -> Option<Point> { Point::from_bytes(&s.try_into().ok()?).ok() };
        Some(Self {
            t1: p(&b[..32])?,
            t2: p(&b[32..64])?,
            z: super::point::scalar_from_canonical(&b[64..].try_into().ok()?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn proves_and_refuses_every_tamper() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let r = Secret::new(random_scalar(&mut rng));
        let a = Point::from_point(mul_g(&random_scalar(&mut rng)));
        let (big_r, s, proof) = DleqProof::prove(&r, &a, &mut rng);
        assert!(proof.verify(&big_r, &a, &s));
        let bump = |p: &Point| Point::from_point(p.point() + G);
        assert!(!proof.verify(&bump(&big_r), &a, &s));
        assert!(!proof.verify(&big_r, &bump(&a), &s));
        assert!(!proof.verify(&big_r, &a, &bump(&s)));
        let mut p = proof;
        p.z += Scalar::ONE;
        assert!(!p.verify(&big_r, &a, &s));
        let mut p = proof;
        p.t1 = bump(&p.t1);
        assert!(!p.verify(&big_r, &a, &s));
        let mut p = proof;
        p.t2 = bump(&p.t2);
        assert!(!p.verify(&big_r, &a, &s));
        assert_eq!(DleqProof::from_bytes(&proof.to_bytes()), Some(proof));
    }
}
