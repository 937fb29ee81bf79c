//! Building a transfer (the wallet side).
//!
//! Given owned outputs with their decoys, payments and the regulator key,
//! [`TransferPlan::build`] produces a transfer that validators accept:
//!
//! 1. sums inputs and payments with checked arithmetic, adds a change output
//!    (always at least two outputs, so a payment and its change look alike),
//!    shuffles the outputs;
//! 2. derives each output's one-time key, view tag and note key from
//!    `S = r·A`, and each limb's blinding from `S_reg` ([`limb_blinding`]);
//! 3. commits to the limbs, makes the regulator handles, one aggregated
//!    range proof and one regulator proof, and seals both notes;
//! 4. picks pseudo-output blindings that sum to the outputs' blindings (so
//!    `Σ C' = Σ C + fee·H` holds exactly), sorts each ring by global index
//!    and signs every input with CLSAG over the signing hash.

use curve25519_dalek::scalar::Scalar;
use rand::seq::SliceRandom;
use rand_core::{CryptoRng, RngCore};

use veil_crypto::clsag::{self, RingMember};
use veil_crypto::commitment::Commitment;
use veil_crypto::keys::Address;
use veil_crypto::rng::random_scalar;
use veil_crypto::secret::Secret;

use super::super::bundle::build::{build_bundle, BuildError, PlannedOutput};
use super::super::limits::{MAX_INPUTS, MAX_MEMO, MAX_OUTPUTS, MAX_RING, MIN_RING};
use super::super::AssetId;
use super::{Input, Transfer};

/// An output the wallet owns and can spend.
#[derive(Clone, Debug)]
pub struct OwnedOutput {
    /// Its global index (within its asset).
    pub global_index: u64,
    /// Its one-time key and commitment.
    pub member: RingMember,
    /// Its amount.
    pub amount: u64,
    /// Its commitment blinding.
    pub blinding: Secret<Scalar>,
    /// Its one-time secret `x` (`P = x·G`).
    pub one_time_secret: Secret<Scalar>,
}

/// One input to spend, with the decoys that hide it.
#[derive(Clone, Debug)]
pub struct Spend {
    /// The real output.
    pub owned: OwnedOutput,
    /// Other outputs of the same asset, by global index.
    pub decoys: Vec<(u64, RingMember)>,
}

/// One payment.
#[derive(Clone, Debug)]
pub struct Payment {
    /// Receiver.
    pub to: Address,
    /// Amount, in the asset's minor unit (non-zero).
    pub amount: u64,
    /// Memo for the receiver (≤ 512 bytes).
    pub memo: Vec<u8>,
}

/// Everything needed to build a transfer.
#[derive(Clone, Debug)]
pub struct TransferPlan {
    /// The asset moved.
    pub asset: AssetId,
    /// The public fee.
    pub fee: u64,
    /// The regulator key in force.
    pub regulator_key: veil_crypto::regulator_ciphertext::RegulatorPublicKey,
    /// Inputs.
    pub spends: Vec<Spend>,
    /// Payments.
    pub payments: Vec<Payment>,
    /// Where change goes.
    pub change_address: Address,
    /// The sender's address, named to the regulator and, if
    /// `include_return_address`, to the receivers.
    pub sender: Option<Address>,
    /// Whether receivers' notes carry `sender` as a return address.
    pub include_return_address: bool,
}

impl TransferPlan {
    /// Builds and signs the transfer.
    pub fn build<R: RngCore + CryptoRng>(&self, rng: &mut R) -> Result<Transfer, BuildError> {
        self.build_with_secret(rng).map(|(t, _)| t)
    }

    /// Builds and signs the transfer, returning also its secret `r` (for
    /// payment proofs).
    pub fn build_with_secret<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
    ) -> Result<(Transfer, veil_crypto::stealth::TxSecret), BuildError> {
        let n_in = self.spends.len();
        if n_in == 0 || n_in > MAX_INPUTS {
            return Err(BuildError::InputCount(n_in));
        }
        let ring_size = self.spends[0].decoys.len() + 1;
        if !(MIN_RING..=MAX_RING).contains(&ring_size)
            || self.spends.iter().any(|s| s.decoys.len() + 1 != ring_size)
        {
            return Err(BuildError::RingSize);
        }
        for (i, p) in self.payments.iter().enumerate() {
            if p.amount == 0 {
                return Err(BuildError::ZeroPayment(i));
            }
            if p.memo.len() > MAX_MEMO {
                return Err(BuildError::MemoTooLong(i));
            }
        }
        let available = self
            .spends
            .iter()
            .try_fold(0u64, |acc, s| acc.checked_add(s.owned.amount))
            .ok_or(BuildError::Overflow)?;
        let needed = self
            .payments
            .iter()
            .try_fold(self.fee, |acc, p| acc.checked_add(p.amount))
            .ok_or(BuildError::Overflow)?;
        let change = available
            .checked_sub(needed)
            .ok_or(BuildError::InsufficientFunds { available, needed })?;

        let mut planned: Vec<PlannedOutput> = self
            .payments
            .iter()
            .map(|p| PlannedOutput {
                to: p.to,
                amount: p.amount,
                memo: p.memo.clone(),
            })
            .collect();
        if planned.is_empty() {
            return Err(BuildError::OutputCount(0));
        }
        if change > 0 || planned.len() == 1 {
            planned.push(PlannedOutput {
                to: self.change_address,
                amount: change,
                memo: Vec::new(),
            });
        }
        if planned.len() > MAX_OUTPUTS {
            return Err(BuildError::OutputCount(planned.len()));
        }
        planned.shuffle(rng);
        let return_address = self.sender.filter(|_| self.include_return_address);
        let built = build_bundle(
            &self.asset,
            &self.regulator_key,
            &planned,
            self.sender,
            return_address,
            rng,
        )?;
        let output_blindings = built.blindings;
        let tx_secret = built.tx_secret;

        // Pseudo-output blindings: random, the last one closing the sum.
        let total_out: Scalar = output_blindings.iter().map(|b| b.expose()).sum();
        let mut pseudo_blindings: Vec<Secret<Scalar>> = Vec::with_capacity(n_in);
        let mut running = Scalar::ZERO;
        for _ in 1..n_in {
            let b = random_scalar(rng);
            running += b;
            pseudo_blindings.push(Secret::new(b));
        }
        pseudo_blindings.push(Secret::new(total_out - running));
        zeroize::Zeroize::zeroize(&mut running);

        let mut rings: Vec<Vec<RingMember>> = Vec::with_capacity(n_in);
        let mut signer_positions = Vec::with_capacity(n_in);
        let mut inputs = Vec::with_capacity(n_in);
        for (i, (spend, pseudo_blinding)) in self.spends.iter().zip(&pseudo_blindings).enumerate() {
            let mut members: Vec<(u64, RingMember)> = spend.decoys.clone();
            members.push((spend.owned.global_index, spend.owned.member));
            members.sort_by_key(|(idx, _)| *idx);
            if members.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(BuildError::DuplicateRingMember(i));
            }
            let signer = members
                .iter()
                .position(|(idx, _)| *idx == spend.owned.global_index)
                .ok_or(BuildError::DuplicateRingMember(i))?;
            inputs.push(Input {
                ring: members.iter().map(|(idx, _)| *idx).collect(),
                key_image: clsag::key_image(&spend.owned.one_time_secret, &spend.owned.member.key),
                pseudo_out: Commitment::new(spend.owned.amount, pseudo_blinding.expose()),
            });
            rings.push(members.into_iter().map(|(_, m)| m).collect());
            signer_positions.push(signer);
        }

        let mut transfer = Transfer {
            asset: self.asset.clone(),
            fee: self.fee,
            inputs,
            bundle: built.bundle,
            signatures: Vec::new(),
        };
        let msg = transfer.signing_hash()?;
        for (i, spend) in self.spends.iter().enumerate() {
            let z = Secret::new(spend.owned.blinding.expose() - pseudo_blindings[i].expose());
            let (sig, _) = clsag::sign(
                &msg,
                &rings[i],
                signer_positions[i],
                &spend.owned.one_time_secret,
                &z,
                &transfer.inputs[i].pseudo_out,
                rng,
            )
            .map_err(|source| BuildError::Signature { input: i, source })?;
            transfer.signatures.push(sig);
        }
        Ok((transfer, tx_secret))
    }
}
