//! Building an output bundle (the wallet or issuer side).
//!
//! For each planned output: derive its one-time key, view tag and note key
//! from `S = r·A`, and its limb blindings from `S_reg = r'·PK`
//! ([`limb_blinding`]); commit to the limbs, make the regulator handles, seal
//! the receiver's note. Then one aggregated range proof, one regulator proof
//! and the sealed regulator note.

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};

use veil_crypto::clsag::ClsagError;
use veil_crypto::commitment::{join_blindings, split_limbs, Commitment, LIMBS};
use veil_crypto::keys::{Address, AddressBytes};
use veil_crypto::range::{RangeError, RangeProof};
use veil_crypto::regulator_ciphertext::{
    limb_blinding, Handle, RegulatorProof, RegulatorPublicKey, RegulatorSender,
};
use veil_crypto::secret::Secret;
use veil_crypto::stealth::TxSecret;

use super::super::limits::{MAX_MEMO, MAX_OUTPUTS};
use super::super::AssetId;
use super::note::{OutputNote, RegulatorNote, RegulatorNoteOutput};
use super::{regulator_ad, Output, OutputBundle};

/// Why a transaction could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// No inputs, or more than 16.
    #[error("a transfer spends 1 to 16 inputs, not {0}")]
    InputCount(usize),
    /// No outputs, or more than 16 including change.
    #[error("a transaction has 1 to 16 outputs including change, not {0}")]
    OutputCount(usize),
    /// A payment of zero.
    #[error("payment {0} is zero")]
    ZeroPayment(usize),
    /// A memo over 512 bytes.
    #[error("memo of payment {0} is over 512 bytes")]
    MemoTooLong(usize),
    /// A sum does not fit in 64 bits.
    #[error("amounts overflow 64 bits")]
    Overflow,
    /// The inputs do not cover payments plus fee.
    #[error("insufficient funds: have {available}, need {needed}")]
    InsufficientFunds {
        /// Sum of inputs.
        available: u64,
        /// Payments plus fee.
        needed: u64,
    },
    /// Rings of different sizes, or a size outside 2..=64.
    #[error("every input needs the same number of decoys, ring size 2..=64")]
    RingSize,
    /// A decoy repeats the real output or another decoy.
    #[error("input {0} has a repeated ring member")]
    DuplicateRingMember(usize),
    /// Range proof failure.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// Ring signature failure (e.g. secrets that do not open the output).
    #[error("input {input}: {source}")]
    Signature {
        /// The input.
        input: usize,
        /// Why.
        source: ClsagError,
    },
    /// A field does not fit its encoding.
    #[error(transparent)]
    Encode(#[from] veil_codec::EncodeError),
}

/// One output to create.
#[derive(Clone, Debug)]
pub struct PlannedOutput {
    /// Receiver.
    pub to: Address,
    /// Amount.
    pub amount: u64,
    /// Memo for the receiver (≤ 512 bytes).
    pub memo: Vec<u8>,
}

/// A built bundle and the blinding of each output's amount commitment.
pub struct BuiltBundle {
    /// The bundle.
    pub bundle: OutputBundle,
    /// `γ` of each output, in order.
    pub blindings: Vec<Secret<Scalar>>,
    /// The transaction secret `r` (kept by a sender for payment proofs).
    pub tx_secret: TxSecret,
}

/// Builds the outputs `planned` (in that order) for `asset`, encrypted to
/// `regulator_key`. `sender` is named to the regulator; `return_address`,
/// if any, to the receivers.
pub fn build_bundle<R: RngCore + CryptoRng>(
    asset: &AssetId,
    regulator_key: &RegulatorPublicKey,
    planned: &[PlannedOutput],
    sender: Option<Address>,
    return_address: Option<Address>,
    rng: &mut R,
) -> Result<BuiltBundle, BuildError> {
    if planned.is_empty() || planned.len() > MAX_OUTPUTS {
        return Err(BuildError::OutputCount(planned.len()));
    }
    for (i, p) in planned.iter().enumerate() {
        if p.memo.len() > MAX_MEMO {
            return Err(BuildError::MemoTooLong(i));
        }
    }
    let r = TxSecret::random(rng);
    let reg = RegulatorSender::new(regulator_key, rng);

    let mut outputs = Vec::with_capacity(planned.len());
    let mut blindings = Vec::with_capacity(planned.len());
    let mut range_openings = Vec::with_capacity(planned.len() * LIMBS);
    let mut reg_openings = Vec::with_capacity(planned.len() * LIMBS);
    for (o, p) in planned.iter().enumerate() {
        let index = u32::try_from(o).map_err(|_| BuildError::OutputCount(planned.len()))?;
        let shared = r.shared_secret(p.to.view_key());
        let one_time_key = shared.one_time_key(index, p.to.spend_key());
        let values = split_limbs(p.amount);
        let mut gammas = Vec::with_capacity(LIMBS);
        for j in 0..LIMBS {
            let j = u32::try_from(j).map_err(|_| BuildError::OutputCount(planned.len()))?;
            gammas.push(limb_blinding(reg.shared_secret(), index, j));
        }
        let limbs: [Commitment; LIMBS] =
            std::array::from_fn(|j| Commitment::new(values[j], gammas[j].expose()));
        let handles: [Handle; LIMBS] =
            std::array::from_fn(|j| Handle::new(gammas[j].expose(), regulator_key));
        let blinding = Secret::new(join_blindings(&std::array::from_fn(|j| {
            *gammas[j].expose()
        })));
        let commitment = Commitment::new(p.amount, blinding.expose());
        let note = OutputNote {
            amount: p.amount,
            blinding: blinding.clone(),
            asset: asset.clone(),
            memo: p.memo.clone(),
            return_address,
        };
        let payload = note.seal(
            shared.as_bytes(),
            index,
            one_time_key.as_bytes(),
            commitment.as_bytes(),
        )?;
        for (value, gamma) in values.iter().zip(gammas) {
            range_openings.push((*value, *gamma.expose()));
            reg_openings.push((*value, gamma));
        }
        outputs.push(Output {
            one_time_key,
            view_tag: shared.view_tag(index),
            limbs,
            handles,
            payload,
        });
        blindings.push(blinding);
    }
    let range_proof = RangeProof::prove(&range_openings, rng)?;
    for (_, g) in &mut range_openings {
        zeroize::Zeroize::zeroize(g);
    }
    let limb_cts: Vec<_> = outputs
        .iter()
        .flat_map(|o| o.limbs.into_iter().zip(o.handles))
        .collect();
    let regulator_proof = RegulatorProof::prove(regulator_key, &limb_cts, &reg_openings, rng)
        .map_err(|_| BuildError::OutputCount(outputs.len()))?;
    let regulator_note = RegulatorNote {
        sender: sender.map(AddressBytes::from),
        outputs: planned
            .iter()
            .map(|p| RegulatorNoteOutput {
                receiver: Some(AddressBytes::from(p.to)),
                amount: p.amount,
                memo: p.memo.clone(),
            })
            .collect(),
    };
    let ad = regulator_ad(asset, reg.ephemeral(), &outputs);
    let regulator_payload = regulator_note.seal(reg.shared_secret().expose(), &ad)?;
    Ok(BuiltBundle {
        bundle: OutputBundle {
            regulator_key: *regulator_key,
            tx_public_key: r.public(),
            regulator_ephemeral: *reg.ephemeral(),
            outputs,
            range_proof,
            regulator_proof,
            regulator_payload,
        },
        blindings,
        tx_secret: r,
    })
}
