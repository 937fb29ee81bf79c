//! Batch verification by random linear combination.
//!
//! Every verification equation in Veil has the form `Σ aᵢ·Pᵢ = 0`. To check
//! many at once, the verifier draws an independent uniformly random weight
//! `w` per equation (the small-exponent test of Bellare, Garay and Rabin,
//! EUROCRYPT '98) and checks the single equation
//!
//! ```text
//!   Σ_eq w_eq · Σ_i a_{eq,i}·P_{eq,i}  =  0
//! ```
//!
//! with one multiscalar multiplication (Pippenger for large batches). In a
//! prime-order group, a batch containing a false equation passes with
//! probability at most `1/ℓ ≈ 2⁻²⁵²` per draw. Coefficients on the fixed
//! generators `G` and `H` are summed so each appears once.
//!
//! A failed batch says only that *some* equation is false; callers that need
//! to name the culprit re-check the parts one by one.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};

use super::generators::{h, G};
use super::rng::random_scalar;

/// An accumulator of weighted verification equations.
#[derive(Default)]
pub struct BatchVerifier {
    g: Scalar,
    h: Scalar,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

/// One equation being added to a [`BatchVerifier`]; every term is multiplied
/// by the equation's random weight.
pub struct Equation<'a> {
    batch: &'a mut BatchVerifier,
    weight: Scalar,
}

impl BatchVerifier {
    /// An empty batch with room for `terms` variable terms.
    pub fn with_capacity(terms: usize) -> Self {
        Self {
            g: Scalar::ZERO,
            h: Scalar::ZERO,
            scalars: Vec::with_capacity(terms),
            points: Vec::with_capacity(terms),
        }
    }

    /// Starts a new equation with a fresh random weight.
    pub fn equation<R: RngCore + CryptoRng + ?Sized>(&mut self, rng: &mut R) -> Equation<'_> {
        let weight = random_scalar(rng);
        Equation {
            batch: self,
            weight,
        }
    }

    /// Draws a fresh random weight, for callers that combine several
    /// equations' coefficients on a shared point themselves.
    pub fn weight<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
        random_scalar(rng)
    }

    /// Adds an already weighted term `a·P`.
    pub fn add(&mut self, a: Scalar, p: &RistrettoPoint) {
        self.scalars.push(a);
        self.points.push(*p);
    }

    /// Adds an already weighted `a·G`.
    pub fn add_g(&mut self, a: Scalar) {
        self.g += a;
    }

    /// Adds an already weighted `a·H`.
    pub fn add_h(&mut self, a: Scalar) {
        self.h += a;
    }

    /// Number of variable terms collected so far.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether no variable term was collected.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Checks every collected equation at once.
    pub fn verify(mut self) -> bool {
        self.scalars.push(self.g);
        self.points.push(G);
        self.scalars.push(self.h);
        self.points.push(h());
        RistrettoPoint::vartime_multiscalar_mul(&self.scalars, &self.points).is_identity()
    }
}

impl Equation<'_> {
    /// Adds `a·P`.
    pub fn term(&mut self, a: Scalar, p: &RistrettoPoint) -> &mut Self {
        self.batch.scalars.push(a * self.weight);
        self.batch.points.push(*p);
        self
    }

    /// Adds `a·G`.
    pub fn g(&mut self, a: Scalar) -> &mut Self {
        self.batch.g += a * self.weight;
        self
    }

    /// Adds `a·H`.
    pub fn h(&mut self, a: Scalar) -> &mut Self {
        self.batch.h += a * self.weight;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::{h, G};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn accepts_true_and_rejects_false_equations() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let x = Scalar::from(5u64);
        let p = G * x;
        // x·G − P = 0 and 3·H − (3H) = 0
        let mut b = BatchVerifier::default();
        b.equation(&mut rng).g(x).term(-Scalar::ONE, &p);
        b.equation(&mut rng)
            .h(Scalar::from(3u64))
            .term(-Scalar::ONE, &(h() * Scalar::from(3u64)));
        assert!(b.verify());

        let mut b = BatchVerifier::default();
        b.equation(&mut rng).g(x).term(-Scalar::ONE, &p);
        b.equation(&mut rng)
            .g(x + Scalar::ONE)
            .term(-Scalar::ONE, &p);
        assert!(!b.verify());
    }
}
