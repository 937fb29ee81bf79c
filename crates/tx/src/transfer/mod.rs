//! A confidential transfer, split by role (Penumbra's `spend/` layout):
//!
//! * this module — the on-ledger form and its canonical encoding;
//! * [`plan`] — the wallet-side builder;
//! * [`check`] — validation.
//!
//! The outputs and their proofs are an [`OutputBundle`], shared with mints.
//!
//! # Wire layout (after the version and kind bytes)
//!
//! ```text
//!   asset        u8 len ‖ ASCII
//!   fee          u64
//!   n_in         u8   1..=16
//!   ring_size    u8   2..=64, shared by all inputs
//!   inputs       n_in × ( ring_size × varint index (first absolute, then
//!                         strictly positive deltas) ‖ I 32 ‖ C' 32 )
//!   bundle       see bundle::OutputBundle
//!   ---- the signing hash covers every byte above (and the version/kind) ----
//!   signatures   n_in × ( D 32 ‖ ring_size × (L 32 ‖ R 32 ‖ s 32) )
//! ```

pub mod check;
pub mod plan;

use curve25519_dalek::scalar::Scalar;

use veil_crypto::clsag::{Clsag, ClsagRound, KeyImage};
use veil_crypto::commitment::{Commitment, LIMBS};

use super::bundle::OutputBundle;
use super::limits::{MAX_INPUTS, MAX_RING, MIN_RING};
use super::{AssetId, KIND_TRANSFER};
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer};

/// A spent input: a ring of earlier outputs, one of which is really spent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// Global output indices of the ring members (of the transfer's asset),
    /// strictly increasing.
    pub ring: Vec<u64>,
    /// The key image of the output really spent.
    pub key_image: KeyImage,
    /// The pseudo-output commitment: same amount as the real input, fresh
    /// blinding.
    pub pseudo_out: Commitment,
}

/// A confidential transfer of one asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The asset moved.
    pub asset: AssetId,
    /// The public fee, in the asset's minor unit.
    pub fee: u64,
    /// Inputs.
    pub inputs: Vec<Input>,
    /// The outputs and their proofs.
    pub bundle: OutputBundle,
    /// One CLSAG per input.
    pub signatures: Vec<Clsag>,
}

impl Transfer {
    /// Finds and decrypts the outputs paying `view`'s account.
    pub fn scan(
        &self,
        view: &veil_crypto::keys::ViewKey,
    ) -> Vec<super::bundle::view::ReceivedOutput> {
        self.bundle.scan(&self.asset, view)
    }

    fn encode_prefix(&self, w: &mut Writer) {
        self.asset.write(w);
        w.u64(self.fee);
        w.count_u8("input count", self.inputs.len(), 1, MAX_INPUTS);
        let ring = self.inputs.first().map_or(0, |i| i.ring.len());
        w.count_u8("ring size", ring, MIN_RING, MAX_RING);
        for input in &self.inputs {
            w.check("ring size", input.ring.len(), ring, ring);
            let mut prev: Option<u64> = None;
            for &idx in &input.ring {
                match prev {
                    None => w.varint(idx),
                    Some(p) if idx > p => w.varint(idx - p),
                    Some(_) => w.fail("ring", "indices must be strictly increasing"),
                }
                prev = Some(idx);
            }
            w.point(input.key_image.as_point());
            w.point(input.pseudo_out.as_point());
        }
        self.bundle.write(w);
    }

    /// The message every CLSAG signs:
    /// `SHA-256("veil/tx-sign/v1" ‖ 0x00 ‖ version ‖ kind ‖ prefix)`, where
    /// the prefix is every field except the signatures.
    pub fn signing_hash(&self) -> Result<[u8; 32], EncodeError> {
        crate::signing_hash(KIND_TRANSFER, |w| self.encode_prefix(w))
    }
}

impl Encode for Transfer {
    fn write(&self, w: &mut Writer) {
        self.encode_prefix(w);
        let ring = self.inputs.first().map_or(0, |i| i.ring.len());
        w.check(
            "signature count",
            self.signatures.len(),
            self.inputs.len(),
            self.inputs.len(),
        );
        for sig in &self.signatures {
            w.check("signature rounds", sig.rounds.len(), ring, ring);
            w.point(&sig.d);
            for round in &sig.rounds {
                w.point(&round.l);
                w.point(&round.r);
                w.scalar(&round.s);
            }
        }
    }
}

impl Decode for Transfer {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let asset = AssetId::read(r)?;
        let fee = r.u64("fee")?;
        let n_in = r.count_u8("input count", 1, MAX_INPUTS)?;
        let ring_size = r.count_u8("ring size", MIN_RING, MAX_RING)?;
        let mut inputs = Vec::with_capacity(n_in);
        for _ in 0..n_in {
            let mut ring: Vec<u64> = Vec::with_capacity(ring_size);
            for _ in 0..ring_size {
                let v = r.varint("ring index")?;
                let idx = match ring.last() {
                    None => v,
                    Some(&prev) => {
                        if v == 0 {
                            return Err(DecodeError::Invalid {
                                what: "ring",
                                why: "indices must be strictly increasing",
                            });
                        }
                        u64::checked_add(prev, v).ok_or(DecodeError::Invalid {
                            what: "ring",
                            why: "index overflows u64",
                        })?
                    }
                };
                ring.push(idx);
            }
            inputs.push(Input {
                ring,
                key_image: KeyImage(r.point_non_identity("key image")?),
                pseudo_out: Commitment(r.point("pseudo-output")?),
            });
        }
        let bundle = OutputBundle::read(r)?;
        let mut signatures = Vec::with_capacity(n_in);
        for _ in 0..n_in {
            let d = r.point("signature D")?;
            let mut rounds = Vec::with_capacity(ring_size);
            for _ in 0..ring_size {
                rounds.push(ClsagRound {
                    l: r.point("signature L")?,
                    r: r.point("signature R")?,
                    s: r.scalar("signature s")?,
                });
            }
            signatures.push(Clsag { d, rounds });
        }
        Ok(Self {
            asset,
            fee,
            inputs,
            bundle,
            signatures,
        })
    }
}

/// Scalar weights `2^{16j}`, for the balance equation.
pub fn limb_weights() -> [Scalar; LIMBS] {
    std::array::from_fn(veil_crypto::commitment::limb_weight)
}
