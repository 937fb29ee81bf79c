//! The outputs a transaction creates, with everything that proves them:
//! one-time keys and view tags, limb commitments and regulator handles, the
//! encrypted notes, one aggregated range proof and one regulator proof.
//! Transfers and mints carry the same bundle.
//!
//! # Wire layout
//!
//! ```text
//!   PK           32   regulator public key
//!   R            32   transaction public key
//!   E            32   regulator ephemeral key
//!   n_out        u8   1..=16
//!   outputs      n_out × ( P 32 ‖ tag 1 ‖ C_0..C_3 4×32 ‖ D_0..D_3 4×32 ‖
//!                          u16 len ‖ payload (≤ 1024) )
//!   range proof  exactly range::proof_len(4·n_out) bytes
//!   reg. proof   Y_C 32 ‖ Y_D 32 ‖ z_v 32 ‖ z_γ 32
//!   reg. payload u16 len ‖ ciphertext (≤ 10 KiB)
//! ```

pub mod build;
pub mod note;
pub mod view;

use rand_core::{CryptoRng, RngCore};

use veil_crypto::batch::BatchVerifier;
use veil_crypto::commitment::{join_commitments, Commitment, LIMBS};
use veil_crypto::hash::hash256;
use veil_crypto::point::Point;
use veil_crypto::range::{self, RangeProof};
use veil_crypto::regulator_ciphertext::{
    Handle, RegulatorEphemeral, RegulatorProof, RegulatorPublicKey,
};
use veil_crypto::stealth::{OneTimeKey, TxPublicKey, ViewTag};

use super::error::TxError;
use super::limits::{MAX_OUTPUTS, MAX_PAYLOAD, MAX_REGULATOR_PAYLOAD};
use super::AssetId;
use veil_codec::{check_range, Decode, DecodeError, Encode, Reader, Writer};

/// A new output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// One-time key `P`.
    pub one_time_key: OneTimeKey,
    /// View tag.
    pub view_tag: ViewTag,
    /// Commitments to the four 16-bit limbs of the amount.
    pub limbs: [Commitment; LIMBS],
    /// Twisted-ElGamal handles of the limbs under the regulator key.
    pub handles: [Handle; LIMBS],
    /// The receiver's encrypted note ([`note::OutputNote`]).
    pub payload: Vec<u8>,
}

impl Output {
    /// The amount commitment `C = Σ 2^{16j}·Cⱼ` (derived, not transmitted).
    pub fn commitment(&self) -> Commitment {
        join_commitments(&self.limbs)
    }
}

/// The outputs of a transaction and their proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputBundle {
    /// The regulator key every handle is made for.
    pub regulator_key: RegulatorPublicKey,
    /// `R = r·G`.
    pub tx_public_key: TxPublicKey,
    /// `E = r'·G`, for the regulator's key agreement.
    pub regulator_ephemeral: RegulatorEphemeral,
    /// The outputs.
    pub outputs: Vec<Output>,
    /// One aggregated range proof over every output's limbs.
    pub range_proof: RangeProof,
    /// Proof that every handle is well formed.
    pub regulator_proof: RegulatorProof,
    /// The regulator's encrypted note ([`note::RegulatorNote`]).
    pub regulator_payload: Vec<u8>,
}

impl OutputBundle {
    /// Every limb commitment, output by output.
    pub fn limb_commitments(&self) -> Vec<Commitment> {
        self.outputs.iter().flat_map(|o| o.limbs).collect()
    }

    /// Every (limb commitment, handle) pair, output by output.
    pub fn limb_ciphertexts(&self) -> Vec<(Commitment, Handle)> {
        self.outputs
            .iter()
            .flat_map(|o| o.limbs.into_iter().zip(o.handles))
            .collect()
    }

    /// Structural checks (decoding enforces them for wire bytes; repeated
    /// for values built in memory).
    pub fn check_shape(&self) -> Result<(), TxError> {
        check_range("output count", self.outputs.len(), 1, MAX_OUTPUTS)?;
        for o in &self.outputs {
            check_range("payload length", o.payload.len(), 0, MAX_PAYLOAD)?;
        }
        check_range(
            "regulator payload length",
            self.regulator_payload.len(),
            0,
            MAX_REGULATOR_PAYLOAD,
        )?;
        let expected = range::proof_len(self.outputs.len() * LIMBS).map_err(TxError::RangeProof)?;
        check_range(
            "range proof length",
            self.range_proof.as_bytes().len(),
            expected,
            expected,
        )?;
        for (a, x) in self.outputs.iter().enumerate() {
            if let Some(b) = self.outputs[a + 1..]
                .iter()
                .position(|y| y.one_time_key == x.one_time_key)
            {
                return Err(TxError::DuplicateOutputKey {
                    first: a,
                    second: a + 1 + b,
                });
            }
        }
        Ok(())
    }

    /// Adds the regulator proof's equations to `batch`.
    pub fn add_regulator_proof<R: RngCore + CryptoRng>(
        &self,
        batch: &mut BatchVerifier,
        rng: &mut R,
    ) -> Result<(), TxError> {
        self.regulator_proof
            .verify_into(batch, rng, &self.regulator_key, &self.limb_ciphertexts())
            .map_err(TxError::RegulatorProof)
    }

    /// Checks the bundle against ledger state: the regulator key is in
    /// force and no one-time key already exists.
    pub fn check_stateful(&self, view: &impl super::LedgerView) -> Result<(), TxError> {
        if !view.regulator_key_in_force(&self.regulator_key) {
            return Err(TxError::RegulatorKey);
        }
        for (o, output) in self.outputs.iter().enumerate() {
            if view.output_key_exists(&output.one_time_key) {
                return Err(TxError::OutputKeyExists { output: o });
            }
        }
        Ok(())
    }

    /// Number of variable terms the bundle's regulator proof adds to a batch.
    pub fn batch_terms(&self) -> usize {
        3 + 2 * self.outputs.len() * LIMBS
    }

    /// Associated data of the regulator note: binds it to the asset, the
    /// regulator ephemeral key and every output's one-time key and limbs.
    pub fn regulator_ad(&self, asset: &AssetId) -> [u8; 32] {
        regulator_ad(asset, &self.regulator_ephemeral, &self.outputs)
    }
}

impl Encode for OutputBundle {
    fn write(&self, w: &mut Writer) {
        w.point(self.regulator_key.as_point());
        w.point(self.tx_public_key.as_point());
        w.point(self.regulator_ephemeral.as_point());
        w.count_u8("output count", self.outputs.len(), 1, MAX_OUTPUTS);
        for o in &self.outputs {
            w.point(o.one_time_key.as_point());
            w.u8(o.view_tag.0);
            for c in &o.limbs {
                w.point(c.as_point());
            }
            for d in &o.handles {
                w.point(d.as_point());
            }
            w.bytes_u16("payload length", &o.payload, 0, MAX_PAYLOAD);
        }
        let expected = range::proof_len(self.outputs.len() * LIMBS).unwrap_or(0);
        let proof = self.range_proof.as_bytes();
        if w.check("range proof length", proof.len(), expected, expected) {
            w.bytes(proof);
        }
        w.point(&self.regulator_proof.y_c);
        w.point(&self.regulator_proof.y_d);
        w.scalar(&self.regulator_proof.z_v);
        w.scalar(&self.regulator_proof.z_gamma);
        w.bytes_u16(
            "regulator payload length",
            &self.regulator_payload,
            0,
            MAX_REGULATOR_PAYLOAD,
        );
    }
}

impl Decode for OutputBundle {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let regulator_key = RegulatorPublicKey(r.point_non_identity("regulator key")?);
        let tx_public_key = TxPublicKey(r.point_non_identity("tx public key")?);
        let regulator_ephemeral = RegulatorEphemeral(r.point_non_identity("regulator ephemeral")?);
        let n_out = r.count_u8("output count", 1, MAX_OUTPUTS)?;
        let mut outputs = Vec::with_capacity(n_out);
        for _ in 0..n_out {
            let one_time_key = OneTimeKey(r.point("one-time key")?);
            let view_tag = ViewTag(r.u8("view tag")?);
            let mut limbs = [Commitment(Point::identity()); LIMBS];
            for c in &mut limbs {
                *c = Commitment(r.point("limb commitment")?);
            }
            let mut handles = [Handle(Point::identity()); LIMBS];
            for d in &mut handles {
                *d = Handle(r.point("handle")?);
            }
            let payload = r.bytes_u16("payload length", 0, MAX_PAYLOAD)?.to_vec();
            outputs.push(Output {
                one_time_key,
                view_tag,
                limbs,
                handles,
                payload,
            });
        }
        let bad_proof = |why| DecodeError::Invalid {
            what: "range proof",
            why,
        };
        let len = range::proof_len(n_out * LIMBS).map_err(|_| bad_proof("bad commitment count"))?;
        let range_proof = RangeProof::from_bytes(r.bytes(len, "range proof")?, n_out * LIMBS)
            .map_err(|_| bad_proof("not a canonical Bulletproofs+ encoding"))?;
        let regulator_proof = RegulatorProof {
            y_c: r.point("regulator proof Y_C")?,
            y_d: r.point("regulator proof Y_D")?,
            z_v: r.scalar("regulator proof z_v")?,
            z_gamma: r.scalar("regulator proof z_gamma")?,
        };
        let regulator_payload = r
            .bytes_u16("regulator payload length", 0, MAX_REGULATOR_PAYLOAD)?
            .to_vec();
        Ok(Self {
            regulator_key,
            tx_public_key,
            regulator_ephemeral,
            outputs,
            range_proof,
            regulator_proof,
            regulator_payload,
        })
    }
}

/// See [`OutputBundle::regulator_ad`].
pub fn regulator_ad(
    asset: &AssetId,
    ephemeral: &RegulatorEphemeral,
    outputs: &[Output],
) -> [u8; 32] {
    let mut b = asset.to_bytes();
    b.extend_from_slice(ephemeral.as_point().as_bytes());
    for o in outputs {
        b.extend_from_slice(o.one_time_key.as_point().as_bytes());
        for c in &o.limbs {
            b.extend_from_slice(c.as_point().as_bytes());
        }
    }
    hash256(b"veil/regulator-ad/v1", &[&b])
}
