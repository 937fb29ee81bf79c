//! A confidential transfer, split by role (Penumbra's `spend/` layout):
//!
//! * this module — the on-ledger form and its canonical encoding;
//! * [`plan`] — the wallet-side builder;
//! * [`check`] — validation;
//! * [`note`] — the encrypted payload formats;
//! * [`view`] — what an owner and what a regulator can read.
//!
//! # Wire layout (after the version and kind bytes)
//!
//! ```text
//!   asset        u8 len ‖ ASCII
//!   fee          u64
//!   PK           32   regulator public key
//!   R            32   transaction public key
//!   E            32   regulator ephemeral key
//!   n_in         u8   1..=16
//!   ring_size    u8   2..=64, shared by all inputs
//!   inputs       n_in × ( ring_size × varint index (first absolute, then
//!                         strictly positive deltas) ‖ I 32 ‖ C' 32 )
//!   n_out        u8   1..=16
//!   outputs      n_out × ( P 32 ‖ tag 1 ‖ C_0..C_3 4×32 ‖ D_0..D_3 4×32 ‖
//!                          u16 len ‖ payload (≤ 1024) )
//!   range proof  exactly range::proof_len(4·n_out) bytes
//!   reg. proof   Y_C 32 ‖ Y_D 32 ‖ z_v 32 ‖ z_γ 32
//!   reg. payload u16 len ‖ ciphertext (≤ 10 KiB)
//!   ---- the signing hash covers every byte above (and the version/kind) ----
//!   signatures   n_in × ( D 32 ‖ ring_size × (L 32 ‖ R 32 ‖ s 32) )
//! ```

pub mod check;
pub mod note;
pub mod plan;
pub mod view;

use curve25519_dalek::scalar::Scalar;

use crate::crypto::clsag::{Clsag, ClsagRound, KeyImage};
use crate::crypto::commitment::{join_commitments, Commitment, LIMBS};
use crate::crypto::hash::hash256;
use crate::crypto::point::Point;
use crate::crypto::range::RangeProof;
use crate::crypto::regulator::{Handle, RegulatorEphemeral, RegulatorProof, RegulatorPublicKey};
use crate::crypto::stealth::{OneTimeKey, TxPublicKey, ViewTag};

use super::codec::{DecodeError, Reader, Writer};
use super::limits::{
    MAX_INPUTS, MAX_OUTPUTS, MAX_PAYLOAD, MAX_REGULATOR_PAYLOAD, MAX_RING, MIN_RING,
};
use super::{AssetId, KIND_TRANSFER, TX_VERSION};

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

/// A confidential transfer of one asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The asset moved.
    pub asset: AssetId,
    /// The public fee, in the asset's minor unit.
    pub fee: u64,
    /// The regulator key every handle is made for.
    pub regulator_key: RegulatorPublicKey,
    /// `R = r·G`.
    pub tx_public_key: TxPublicKey,
    /// `E = r'·G`, for the regulator's key agreement.
    pub regulator_ephemeral: RegulatorEphemeral,
    /// Inputs.
    pub inputs: Vec<Input>,
    /// Outputs.
    pub outputs: Vec<Output>,
    /// One aggregated range proof over every output's limbs.
    pub range_proof: RangeProof,
    /// Proof that every handle is well formed.
    pub regulator_proof: RegulatorProof,
    /// The regulator's encrypted note ([`note::RegulatorNote`]).
    pub regulator_payload: Vec<u8>,
    /// One CLSAG per input.
    pub signatures: Vec<Clsag>,
}

impl Transfer {
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

    fn encode_prefix(&self, w: &mut Writer) {
        self.asset.encode(w);
        w.u64(self.fee);
        w.point(self.regulator_key.as_point());
        w.point(self.tx_public_key.as_point());
        w.point(self.regulator_ephemeral.as_point());
        w.count_u8(self.inputs.len());
        w.count_u8(self.inputs.first().map_or(0, |i| i.ring.len()));
        for input in &self.inputs {
            let mut prev: Option<u64> = None;
            for &idx in &input.ring {
                w.varint(prev.map_or(idx, |p| idx.wrapping_sub(p)));
                prev = Some(idx);
            }
            w.point(input.key_image.as_point());
            w.point(input.pseudo_out.as_point());
        }
        w.count_u8(self.outputs.len());
        for o in &self.outputs {
            w.point(o.one_time_key.as_point());
            w.u8(o.view_tag.0);
            for c in &o.limbs {
                w.point(c.as_point());
            }
            for d in &o.handles {
                w.point(d.as_point());
            }
            w.bytes_u16(&o.payload);
        }
        w.bytes(self.range_proof.as_bytes());
        w.point(&self.regulator_proof.y_c);
        w.point(&self.regulator_proof.y_d);
        w.scalar(&self.regulator_proof.z_v);
        w.scalar(&self.regulator_proof.z_gamma);
        w.bytes_u16(&self.regulator_payload);
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        self.encode_prefix(w);
        for sig in &self.signatures {
            w.point(&sig.d);
            for round in &sig.rounds {
                w.point(&round.l);
                w.point(&round.r);
                w.scalar(&round.s);
            }
        }
    }

    /// The message every CLSAG signs:
    /// `SHA-256("veil/tx-sign/v1" ‖ 0x00 ‖ version ‖ kind ‖ prefix)`, where
    /// the prefix is every field except the signatures.
    pub fn signing_hash(&self) -> [u8; 32] {
        let mut w = Writer::new();
        w.u8(TX_VERSION);
        w.u8(KIND_TRANSFER);
        self.encode_prefix(&mut w);
        hash256(b"veil/tx-sign/v1", &[&w.into_bytes()])
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let asset = AssetId::decode(r)?;
        let fee = r.u64("fee")?;
        let regulator_key = RegulatorPublicKey(r.point_non_identity("regulator key")?);
        let tx_public_key = TxPublicKey(r.point_non_identity("tx public key")?);
        let regulator_ephemeral = RegulatorEphemeral(r.point_non_identity("regulator ephemeral")?);
        let n_in = r.count_u8("input count", 1, MAX_INPUTS)?;
        let ring_size = r.count_u8("ring size", MIN_RING, MAX_RING)?;
        let mut inputs = Vec::with_capacity(n_in);
        for _ in 0..n_in {
            let mut ring = Vec::with_capacity(ring_size);
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
        let proof_len =
            crate::crypto::range::proof_len(n_out * LIMBS).map_err(|_| DecodeError::Invalid {
                what: "range proof",
                why: "bad commitment count",
            })?;
        let range_proof = RangeProof::from_bytes(r.bytes(proof_len, "range proof")?, n_out * LIMBS)
            .map_err(|_| DecodeError::Invalid {
                what: "range proof",
                why: "not a canonical Bulletproofs+ encoding",
            })?;
        let regulator_proof = RegulatorProof {
            y_c: r.point("regulator proof Y_C")?,
            y_d: r.point("regulator proof Y_D")?,
            z_v: r.scalar("regulator proof z_v")?,
            z_gamma: r.scalar("regulator proof z_gamma")?,
        };
        let regulator_payload = r
            .bytes_u16("regulator payload length", 0, MAX_REGULATOR_PAYLOAD)?
            .to_vec();
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
            regulator_key,
            tx_public_key,
            regulator_ephemeral,
            inputs,
            outputs,
            range_proof,
            regulator_proof,
            regulator_payload,
            signatures,
        })
    }
}

/// Scalar weights `2^{16j}`, re-exported for the balance equation.
pub(crate) fn limb_weights() -> [Scalar; LIMBS] {
    std::array::from_fn(crate::crypto::commitment::limb_weight)
}

/// Associated data of the regulator note: binds it to the asset, the
/// regulator ephemeral key and every output's one-time key and limbs.
pub fn regulator_ad(
    asset: &AssetId,
    ephemeral: &RegulatorEphemeral,
    outputs: &[Output],
) -> [u8; 32] {
    let mut w = Writer::new();
    asset.encode(&mut w);
    w.point(ephemeral.as_point());
    for o in outputs {
        w.point(o.one_time_key.as_point());
        for c in &o.limbs {
            w.point(c.as_point());
        }
    }
    hash256(b"veil/regulator-ad/v1", &[&w.into_bytes()])
}
