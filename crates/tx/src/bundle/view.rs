//! What an owner and what a regulator can read from a transaction.
//!
//! *Owner:* with the view key, [`OutputBundle::scan`] finds the outputs paying
//! the account (view tag first, then the one-time key), decrypts their notes
//! and keeps only those whose note opens the on-ledger commitment — an
//! output whose note lies about its amount or blinding could not be spent,
//! so it is not reported as received.
//!
//! *Regulator:* [`open_for_regulator`] reads amounts from the twisted-ElGamal
//! handles, which validators have proven well formed, so a sender cannot
//! hide an amount. It first tries the fast path (decrypt the regulator note,
//! re-derive the limb blindings, check every claimed limb opening
//! `Cⱼ = γⱼ·G + vⱼ·H` for all transactions in one random linear combination)
//! and falls back, transaction by transaction, to decrypting each limb from its
//! handle. `payload_matches` is false whenever the note disagrees with the
//! proven amounts.

use curve25519_dalek::scalar::Scalar;

use veil_crypto::batch::BatchVerifier;
use veil_crypto::commitment::{commit, join_limbs, split_limbs, Commitment, LIMBS};
use veil_crypto::keys::{AddressBytes, ViewKey};
use veil_crypto::regulator_ciphertext::{limb_blinding, RegulatorOpening, RegulatorSecretKey};
use veil_crypto::secret::Secret;
use veil_crypto::stealth::{one_time_secret, OneTimeKey, SharedSecret};

use super::super::batch::verifier_rng;
use super::super::AssetId;
use super::note::{OutputNote, RegulatorNote};
use super::OutputBundle;

/// An output found by its owner.
#[derive(Debug, Clone)]
pub struct ReceivedOutput {
    /// Position in the transaction.
    pub index: u32,
    /// One-time key.
    pub one_time_key: OneTimeKey,
    /// Amount commitment.
    pub commitment: Commitment,
    /// The decrypted note (amount, blinding, memo, return address).
    pub note: OutputNote,
    /// `k` with `P = k·G + B`.
    pub key_offset: Secret<Scalar>,
}

impl ReceivedOutput {
    /// The one-time secret `x = k + b` that spends it.
    pub fn one_time_secret(&self, spend_secret: &Secret<Scalar>) -> Secret<Scalar> {
        one_time_secret(&self.key_offset, spend_secret)
    }
}

impl OutputBundle {
    /// Finds and decrypts the outputs (of `asset`) paying `view`'s account.
    pub fn scan(&self, asset: &AssetId, view: &ViewKey) -> Vec<ReceivedOutput> {
        self.scan_with(
            asset,
            view,
            &SharedSecret::receive(view, &self.tx_public_key),
        )
    }

    /// As [`Self::scan`], with `S = a·R` already computed (batch scanners
    /// compute many at once with [`SharedSecret::receive_batch`]).
    pub fn scan_with(
        &self,
        asset: &AssetId,
        view: &ViewKey,
        shared: &SharedSecret,
    ) -> Vec<ReceivedOutput> {
        let mut found = Vec::new();
        for (i, o) in self.outputs.iter().enumerate() {
            let Ok(index) = u32::try_from(i) else { break };
            let Some(key_offset) = shared.scan(view, index, o.view_tag, &o.one_time_key) else {
                continue;
            };
            let commitment = o.commitment();
            let Ok(note) = OutputNote::open(
                shared.as_bytes(),
                index,
                o.one_time_key.as_bytes(),
                commitment.as_bytes(),
                &o.payload,
            ) else {
                continue;
            };
            if note.asset != *asset
                || commit(note.amount, note.blinding.expose()) != *commitment.point()
            {
                continue;
            }
            found.push(ReceivedOutput {
                index,
                one_time_key: o.one_time_key,
                commitment,
                note,
                key_offset,
            });
        }
        found
    }
}

/// One output as the regulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegulatorOutputView {
    /// Position in the transaction.
    pub index: u32,
    /// The amount, as proven by the handles.
    pub amount: u64,
    /// The receiver named in the regulator note.
    pub receiver: Option<AddressBytes>,
    /// The memo from the regulator note.
    pub memo: Vec<u8>,
    /// The amount the regulator note claims, if the note was readable.
    pub claimed_amount: Option<u64>,
    /// Whether the note's claim equals the proven amount.
    pub payload_matches: bool,
}

/// A transaction as the regulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegulatorView {
    /// The paying account named in the regulator note.
    pub sender: Option<AddressBytes>,
    /// Outputs, in order.
    pub outputs: Vec<RegulatorOutputView>,
    /// Whether the regulator note decrypted and parsed.
    pub note_readable: bool,
}

impl RegulatorView {
    /// Sum of the proven output amounts (plus the public fee gives the
    /// amount spent).
    pub fn total(&self) -> u128 {
        self.outputs.iter().map(|o| u128::from(o.amount)).sum()
    }
}

/// Why the regulator could not open a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegulatorOpenError {
    /// The transaction's handles are for another regulator key.
    #[error("transaction is encrypted to another regulator key")]
    WrongKey,
    /// A handle does not decrypt to a 16-bit limb (cannot happen for a
    /// transaction that validated).
    #[error("output {0} does not decrypt to a valid amount")]
    Undecryptable(u32),
}

struct FastCandidate {
    note: RegulatorNote,
}

fn claimed_limb_equations(
    t: &OutputBundle,
    shared: &Secret<[u8; 32]>,
    note: &RegulatorNote,
    batch: &mut BatchVerifier,
    rng: &mut rand_chacha::ChaCha20Rng,
) {
    for (o, (out, claim)) in t.outputs.iter().zip(&note.outputs).enumerate() {
        let values = split_limbs(claim.amount);
        for (j, (limb, value)) in out.limbs.iter().zip(values).enumerate() {
            let (Ok(oi), Ok(ji)) = (u32::try_from(o), u32::try_from(j)) else {
                return;
            };
            let gamma = limb_blinding(shared, oi, ji);
            // w·(Cⱼ − γⱼ·G − vⱼ·H) = 0
            let w = BatchVerifier::weight(rng);
            batch.add(w, limb.point());
            batch.add_g(-(w * gamma.expose()));
            batch.add_h(-(w * Scalar::from(value)));
        }
    }
}

fn slow_open<K: RegulatorOpening + ?Sized>(
    sk: &K,
    t: &OutputBundle,
    note: Option<&RegulatorNote>,
) -> Result<RegulatorView, RegulatorOpenError> {
    let mut outputs = Vec::with_capacity(t.outputs.len());
    for (o, out) in t.outputs.iter().enumerate() {
        let index = u32::try_from(o).unwrap_or(u32::MAX);
        let mut limbs = [0u64; LIMBS];
        for (j, limb) in limbs.iter_mut().enumerate() {
            *limb = sk
                .limb(&out.limbs[j], &out.handles[j])
                .ok_or(RegulatorOpenError::Undecryptable(index))?;
        }
        let amount = join_limbs(&limbs).ok_or(RegulatorOpenError::Undecryptable(index))?;
        let claim = note.and_then(|n| n.outputs.get(o));
        outputs.push(RegulatorOutputView {
            index,
            amount,
            receiver: claim.and_then(|c| c.receiver),
            memo: claim.map(|c| c.memo.clone()).unwrap_or_default(),
            claimed_amount: claim.map(|c| c.amount),
            payload_matches: claim.is_some_and(|c| c.amount == amount),
        });
    }
    Ok(RegulatorView {
        sender: note.and_then(|n| n.sender),
        outputs,
        note_readable: note.is_some(),
    })
}

fn fast_view(note: RegulatorNote) -> RegulatorView {
    RegulatorView {
        sender: note.sender,
        outputs: note
            .outputs
            .into_iter()
            .enumerate()
            .map(|(o, c)| RegulatorOutputView {
                index: u32::try_from(o).unwrap_or(u32::MAX),
                amount: c.amount,
                receiver: c.receiver,
                memo: c.memo,
                claimed_amount: Some(c.amount),
                payload_matches: true,
            })
            .collect(),
        note_readable: true,
    }
}

/// Opens many bundles (each with its asset) for the regulator holding `sk`
/// (the single key, or a threshold key's combined decryptions).
pub fn open_for_regulator<K: RegulatorOpening + ?Sized>(
    sk: &K,
    bundles: &[(&AssetId, &OutputBundle)],
) -> Vec<Result<RegulatorView, RegulatorOpenError>> {
    let mut rng = verifier_rng();
    let ephemerals: Vec<_> = bundles
        .iter()
        .map(|(_, t)| &t.regulator_ephemeral)
        .collect();
    let secrets = sk.shared_secrets(&ephemerals);
    let mut candidates: Vec<Option<FastCandidate>> = Vec::with_capacity(bundles.len());
    let mut batch = BatchVerifier::with_capacity(bundles.len() * 2 * LIMBS);
    for ((asset, t), shared) in bundles.iter().zip(&secrets) {
        let Some(shared) = shared
            .as_ref()
            .filter(|_| t.regulator_key == *sk.public_key())
        else {
            candidates.push(None);
            continue;
        };
        let ad = t.regulator_ad(asset);
        let note = RegulatorNote::open(shared.expose(), &ad, &t.regulator_payload)
            .ok()
            .filter(|n| n.outputs.len() == t.outputs.len());
        if let Some(note) = &note {
            claimed_limb_equations(t, shared, note, &mut batch, &mut rng);
        }
        candidates.push(note.map(|note| FastCandidate { note }));
    }
    let all_fast = batch.verify();
    bundles
        .iter()
        .zip(candidates)
        .zip(&secrets)
        .map(|(((_, t), candidate), shared)| {
            if t.regulator_key != *sk.public_key() {
                return Err(RegulatorOpenError::WrongKey);
            }
            match (candidate, shared) {
                (Some(c), Some(shared)) => {
                    let confirmed = all_fast || {
                        let mut b = BatchVerifier::default();
                        claimed_limb_equations(t, shared, &c.note, &mut b, &mut rng);
                        b.verify()
                    };
                    if confirmed {
                        Ok(fast_view(c.note))
                    } else {
                        slow_open(sk, t, Some(&c.note))
                    }
                }
                (c, _) => slow_open(sk, t, c.as_ref().map(|c| &c.note)),
            }
        })
        .collect()
}

/// The points a threshold opening of `bundles` asks its officers to
/// decrypt: `H` (for the limb table), each bundle's regulator ephemeral
/// `E`, and with `limbs` every limb commitment (needed only for a bundle
/// whose regulator note does not match its handles). Each point once, in
/// order of first appearance.
pub fn regulator_points(
    bundles: &[(&AssetId, &OutputBundle)],
    limbs: bool,
) -> Vec<veil_crypto::point::Point> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(1 + bundles.len() * if limbs { 9 } else { 1 });
    let mut push = |p: veil_crypto::point::Point| {
        if seen.insert(*p.as_bytes()) {
            out.push(p);
        }
    };
    push(veil_crypto::threshold::limb_base());
    for (_, t) in bundles {
        push(*t.regulator_ephemeral.as_point());
        if limbs {
            for o in &t.outputs {
                for c in &o.limbs {
                    push(*c.as_point());
                }
            }
        }
    }
    out
}

/// Opens one transaction for the regulator, always from the handles (no fast
/// path), for audits that must not trust the note.
pub fn open_from_handles(
    sk: &RegulatorSecretKey,
    asset: &AssetId,
    t: &OutputBundle,
) -> Result<RegulatorView, RegulatorOpenError> {
    if t.regulator_key != *sk.public() {
        return Err(RegulatorOpenError::WrongKey);
    }
    let shared = sk.shared_secret(&t.regulator_ephemeral);
    let ad = t.regulator_ad(asset);
    let note = RegulatorNote::open(shared.expose(), &ad, &t.regulator_payload).ok();
    slow_open(sk, t, note.as_ref())
}
