//! Validation of a transfer.
//!
//! Stateless (pure, given the resolved rings), in the order failures are
//! reported:
//!
//! 1. shape: counts and lengths within limits, one ring size for all inputs,
//!    rings strictly increasing, one signature per input with one round per
//!    ring member, no repeated key image or one-time key;
//! 2. the aggregated range proof over all limb commitments;
//! 3. the regulator proof over all (limb commitment, handle) pairs;
//! 4. balance: `Σ C'ᵢ − Σₒ Σⱼ 2^{16j}·Cₒ,ⱼ − fee·H = 0`;
//! 5. one CLSAG per input over the signing hash.
//!
//! Steps 3–5 are linear equations checked together in one random linear
//! combination, and step 2 by the range-proof library's own batch; only if
//! that fails are the steps re-run one by one to name the failure.
//!
//! Stateful: the regulator key is in force, every ring member exists, no key
//! image is spent, no one-time key already exists.

use rand_core::{CryptoRng, RngCore};

use veil_crypto::batch::BatchVerifier;
use veil_crypto::clsag::{self, ClsagError};
use veil_crypto::commitment::LIMBS;
use veil_crypto::range::{self, RangeProof};
use veil_crypto::regulator_ciphertext::RegulatorProofError;

use super::super::batch::verifier_rng;
use super::super::error::TxError;
use super::super::ledger_view::{LedgerView, Rings};
use super::super::limits::{MAX_INPUTS, MAX_RING, MIN_RING};
use super::{limb_weights, Transfer};
use veil_codec::{check_range, DecodeError};

impl Transfer {
    /// Structural checks. Decoding already enforces them for bytes from the
    /// wire; they are repeated here for values built in memory.
    pub fn check_shape(&self) -> Result<(), TxError> {
        check_range("input count", self.inputs.len(), 1, MAX_INPUTS)?;
        self.bundle.check_shape()?;
        let ring_size = self.inputs[0].ring.len();
        check_range("ring size", ring_size, MIN_RING, MAX_RING)?;
        if self.inputs.iter().any(|i| i.ring.len() != ring_size) {
            return Err(DecodeError::Invalid {
                what: "ring size",
                why: "every input must use the same ring size",
            }
            .into());
        }
        for (i, input) in self.inputs.iter().enumerate() {
            if input.ring.windows(2).any(|w| w[0] >= w[1]) {
                return Err(TxError::RingNotSorted { input: i });
            }
        }
        check_range(
            "signature count",
            self.signatures.len(),
            self.inputs.len(),
            self.inputs.len(),
        )?;
        for sig in &self.signatures {
            check_range("signature rounds", sig.rounds.len(), ring_size, ring_size)?;
        }
        for (a, x) in self.inputs.iter().enumerate() {
            if let Some(b) = self.inputs[a + 1..]
                .iter()
                .position(|y| y.key_image == x.key_image)
            {
                return Err(TxError::DuplicateKeyImage {
                    first: a,
                    second: a + 1 + b,
                });
            }
        }
        Ok(())
    }

    /// Reads every ring member from the ledger.
    pub fn resolve_rings(&self, view: &impl LedgerView) -> Result<Rings, TxError> {
        self.inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                input
                    .ring
                    .iter()
                    .map(|&index| {
                        view.output(&self.asset, index)
                            .ok_or(TxError::UnknownRingMember { input: i, index })
                    })
                    .collect()
            })
            .collect()
    }

    fn check_rings_shape(&self, rings: &Rings) -> Result<(), TxError> {
        if rings.len() != self.inputs.len()
            || rings
                .iter()
                .zip(&self.inputs)
                .any(|(r, i)| r.len() != i.ring.len())
        {
            return Err(TxError::RingShape);
        }
        Ok(())
    }

    fn add_balance<R: RngCore + CryptoRng>(&self, batch: &mut BatchVerifier, rng: &mut R) {
        let w = BatchVerifier::weight(rng);
        for input in &self.inputs {
            batch.add(w, input.pseudo_out.point());
        }
        let weights = limb_weights();
        for o in &self.bundle.outputs {
            for (c, k) in o.limbs.iter().zip(&weights) {
                batch.add(-(w * k), c.point());
            }
        }
        batch.add_h(-(w * curve25519_dalek::scalar::Scalar::from(self.fee)));
    }

    fn add_signature<R: RngCore + CryptoRng>(
        &self,
        batch: &mut BatchVerifier,
        rng: &mut R,
        msg: &[u8; 32],
        rings: &Rings,
        i: usize,
    ) -> Result<(), TxError> {
        let input = &self.inputs[i];
        clsag::verify_into(
            batch,
            rng,
            msg,
            &rings[i],
            &input.pseudo_out,
            &input.key_image,
            &self.signatures[i],
        )
        .map_err(|source| TxError::Signature { input: i, source })
    }

    /// Adds every linear equation of this transfer (regulator proof,
    /// balance, signatures) to `batch`. The range proof is verified
    /// separately ([`range::verify_batch`]).
    pub fn add_to_batch<R: RngCore + CryptoRng>(
        &self,
        rings: &Rings,
        batch: &mut BatchVerifier,
        rng: &mut R,
    ) -> Result<(), TxError> {
        self.check_shape()?;
        self.check_rings_shape(rings)?;
        self.bundle.add_regulator_proof(batch, rng)?;
        self.add_balance(batch, rng);
        let msg = self.signing_hash()?;
        for i in 0..self.inputs.len() {
            self.add_signature(batch, rng, &msg, rings, i)?;
        }
        Ok(())
    }

    /// Number of variable terms [`Self::add_to_batch`] adds.
    pub fn batch_terms(&self) -> usize {
        let limbs = self.bundle.outputs.len() * LIMBS;
        let ring = self.inputs.first().map_or(0, |i| i.ring.len());
        self.bundle.batch_terms() + self.inputs.len() + limbs + self.inputs.len() * (5 * ring + 3)
    }

    /// Verifies every proof and signature against the resolved rings.
    pub fn check_stateless(&self, rings: &Rings) -> Result<(), TxError> {
        let mut rng = verifier_rng();
        let mut batch = BatchVerifier::with_capacity(self.batch_terms());
        self.add_to_batch(rings, &mut batch, &mut rng)?;
        let limbs = self.bundle.limb_commitments();
        if range::verify_batch(&[(&self.bundle.range_proof, &limbs)]).is_ok() && batch.verify() {
            return Ok(());
        }
        self.locate_failure(rings, &mut rng)
    }

    /// Re-checks each step on its own, in order, and reports the first
    /// that fails.
    pub fn locate_failure<R: RngCore + CryptoRng>(
        &self,
        rings: &Rings,
        rng: &mut R,
    ) -> Result<(), TxError> {
        self.check_shape()?;
        self.check_rings_shape(rings)?;
        let limbs = self.bundle.limb_commitments();
        RangeProof::verify(&self.bundle.range_proof, &limbs).map_err(TxError::RangeProof)?;
        let mut b = BatchVerifier::default();
        self.bundle.add_regulator_proof(&mut b, rng)?;
        if !b.verify() {
            return Err(TxError::RegulatorProof(RegulatorProofError::Invalid));
        }
        let mut b = BatchVerifier::default();
        self.add_balance(&mut b, rng);
        if !b.verify() {
            return Err(TxError::Unbalanced);
        }
        let msg = self.signing_hash()?;
        for i in 0..self.inputs.len() {
            let mut b = BatchVerifier::default();
            self.add_signature(&mut b, rng, &msg, rings, i)?;
            if !b.verify() {
                return Err(TxError::Signature {
                    input: i,
                    source: ClsagError::Invalid,
                });
            }
        }
        Ok(())
    }

    /// Checks against current ledger state.
    pub fn check_stateful(&self, view: &impl LedgerView) -> Result<(), TxError> {
        if !view.regulator_key_in_force(&self.bundle.regulator_key) {
            return Err(TxError::RegulatorKey);
        }
        self.resolve_rings(view)?;
        self.check_spends(view)
    }

    /// The part of [`Self::check_stateful`] that can change between blocks
    /// (key images unspent, one-time keys new, regulator key in force), for
    /// callers that already resolved the rings.
    pub fn check_spends(&self, view: &impl LedgerView) -> Result<(), TxError> {
        for (i, input) in self.inputs.iter().enumerate() {
            if view.is_spent(&input.key_image) {
                return Err(TxError::KeyImageSpent { input: i });
            }
        }
        self.bundle.check_stateful(view)
    }
}
