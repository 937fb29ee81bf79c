//! Verifiable regulator ciphertexts: twisted-ElGamal handles on amount limbs,
//! a Sigma proof that they are well formed, and decryption.
//!
//! Sources: twisted ElGamal — Chen, Ma, Tang, Au, "PGC: Decentralized
//! Confidential Payment System with Auditability", ESORICS 2020, §4.1; the
//! batched validity proof follows the "batched grouped ciphertext validity"
//! proofs of Solana's ZK ElGamal proof program (`zk-sdk`, `sigma_proofs`),
//! which is how Solana's confidential transfers serve an auditor key.
//!
//! # Keys and handles
//!
//! A regulator key is `sk`, `PK = sk·G`. For every limb commitment
//! `Cⱼ = γⱼ·G + vⱼ·H` the output carries the handle `Dⱼ = γⱼ·PK`. Together
//! `(Cⱼ, Dⱼ)` is a twisted-ElGamal ciphertext of `vⱼ`:
//!
//! ```text
//!   Cⱼ − sk⁻¹·Dⱼ = vⱼ·H          and vⱼ < 2¹⁶ is read off a 65 536-entry table.
//! ```
//!
//! # Proof (a bank cannot hide an amount)
//!
//! For limbs `k = 0 … m−1` of all outputs of a transaction, the prover shows
//! knowledge of `(vₖ, γₖ)` with `Cₖ = γₖ·G + vₖ·H` and `Dₖ = γₖ·PK`. The
//! statements are folded with powers of a challenge `t` and one Sigma proof
//! covers the fold:
//!
//! ```text
//!   T = veil/regulator-proof/v1 ‖ PK ‖ m ‖ (Cₖ ‖ Dₖ)ₖ ;  t = challenge "t"
//!   C* = Σ tᵏ·Cₖ,   D* = Σ tᵏ·Dₖ
//!   prover: y_v, y_γ ← random;  Y_C = y_γ·G + y_v·H;  Y_D = y_γ·PK
//!   T ‖ Y_C ‖ Y_D ;  c = challenge "c"
//!   z_v = y_v + c·Σ tᵏ·vₖ,   z_γ = y_γ + c·Σ tᵏ·γₖ
//!   verifier:  z_γ·G + z_v·H − Y_C − c·C* = 0   and   z_γ·PK − Y_D − c·D* = 0
//! ```
//!
//! Special soundness across `m` distinct `t` (a Vandermonde system) extracts
//! every `(vₖ, γₖ)`; with the range proof on the same `Cₖ` and Pedersen
//! binding, the regulator's decryption yields exactly the amount validators
//! accepted. The proof is 128 bytes whatever the number of outputs.
//!
//! # Payload key and the fast path
//!
//! The sender also picks `r'` and publishes `E = r'·G`; `S_reg = r'·PK =
//! sk·E` keys the AEAD regulator payload ([`super::payload`]) and derives
//! the limb blindings `γₒ,ⱼ = H_s("veil/limb-blinding/v1", S_reg ‖ le32(o) ‖
//! le32(j))`. A regulator that decrypts the payload's amounts can then check
//! them against the commitments with one batched equation instead of one
//! scalar multiplication per limb; when the check fails (a sender that did
//! not follow the derivation, or lied in the payload), the handles still
//! decrypt every limb ([`RegulatorSecretKey::decrypt_limb`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use super::batch::BatchVerifier;
use super::commitment::{Commitment, LIMB_BITS};
use super::generators::{h, mul_g, mul_h};
use super::hash::hash_to_scalar;
use super::point::Point;
use super::rng::random_scalar;
use super::secret::Secret;
use super::transcript::{TranscriptProtocol, REGULATOR_PROOF};
use crate::point_newtype;

const KEY_TAG: &[u8] = b"veil/regulator/key/v1";
const LIMB_BLINDING_TAG: &[u8] = b"veil/limb-blinding/v1";

point_newtype!(
    RegulatorPublicKey,
    "A regulator's public key `PK = sk·G`.",
    non_identity
);
point_newtype!(Handle, "A twisted-ElGamal decryption handle `D = γ·PK`.");
point_newtype!(
    RegulatorEphemeral,
    "The sender's regulator ephemeral key `E = r'·G`.",
    non_identity
);

impl Handle {
    /// `D = γ·PK`.
    pub fn new(blinding: &Scalar, key: &RegulatorPublicKey) -> Self {
        Self(Point::from_point(key.point() * blinding))
    }
}

/// A regulator's decryption key.
pub struct RegulatorSecretKey {
    sk: Secret<Scalar>,
    sk_inv: Secret<Scalar>,
    public: RegulatorPublicKey,
}

impl fmt::Debug for RegulatorSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegulatorSecretKey")
            .field("public", &self.public)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl RegulatorSecretKey {
    /// Derives a key from 32 bytes of seed material.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self::from_scalar(hash_to_scalar(KEY_TAG, &[seed]))
    }

    /// Wraps a scalar (must be non-zero; a zero scalar is replaced by the
    /// derivation of the all-zero seed, which has probability 2⁻²⁵²).
    pub fn from_scalar(mut sk: Scalar) -> Self {
        if sk == Scalar::ZERO {
            sk = hash_to_scalar(KEY_TAG, &[&[0u8; 32]]);
        }
        let public = RegulatorPublicKey(Point::from_point(mul_g(&sk)));
        let key = Self {
            sk_inv: Secret::new(sk.invert()),
            sk: Secret::new(sk),
            public,
        };
        sk.zeroize();
        key
    }

    /// The public key.
    pub fn public(&self) -> &RegulatorPublicKey {
        &self.public
    }

    pub(crate) fn secret_scalar(&self) -> &Scalar {
        self.sk.expose()
    }

    /// `sk·P` for any point `P`, by its encoding: the Diffie–Hellman
    /// secret of a key wrapped to this key with ephemeral `P` (vault
    /// document keys).
    pub fn diffie_hellman(&self, point: &Point) -> Secret<[u8; 32]> {
        Secret::new((point.point() * self.sk.expose()).compress().to_bytes())
    }

    /// `S_reg = sk·E`, by its encoding.
    pub fn shared_secret(&self, ephemeral: &RegulatorEphemeral) -> Secret<[u8; 32]> {
        Secret::new((ephemeral.point() * self.sk.expose()).compress().to_bytes())
    }

    /// `S_reg = sk·E` for many ephemerals at once (one shared inversion).
    pub fn shared_secrets_batch(
        &self,
        ephemerals: &[&RegulatorEphemeral],
    ) -> Vec<Secret<[u8; 32]>> {
        let mut half = self.sk.expose() * Scalar::from(2u64).invert();
        let halves: Vec<RistrettoPoint> = ephemerals.iter().map(|e| e.point() * half).collect();
        half.zeroize();
        RistrettoPoint::double_and_compress_batch(&halves)
            .into_iter()
            .map(|c| Secret::new(c.to_bytes()))
            .collect()
    }

    /// Decrypts one limb: `Cⱼ − sk⁻¹·Dⱼ = vⱼ·H`, then a table lookup.
    /// `None` if the result is not `v·H` for any `v < 2¹⁶` (impossible for a
    /// limb whose transaction validated).
    pub fn decrypt_limb(&self, commitment: &Commitment, handle: &Handle) -> Option<u64> {
        let x = commitment.point() - handle.point() * self.sk_inv.expose();
        limb_table()
            .get(x.compress().as_bytes())
            .copied()
            .map(u64::from)
    }
}

/// What opening a transaction for a regulator needs of a key: `x·E` for
/// the payload key and a limb decryption. The single key
/// ([`RegulatorSecretKey`]) computes both; a threshold key
/// ([`super::threshold::CombinedKey`]) answers from the points its officers
/// decrypted, and `None` where they were not asked.
pub trait RegulatorOpening: Sync {
    /// The public key transactions name.
    fn public_key(&self) -> &RegulatorPublicKey;
    /// `S_reg = x·E` for each ephemeral.
    fn shared_secrets(&self, ephemerals: &[&RegulatorEphemeral]) -> Vec<Option<Secret<[u8; 32]>>>;
    /// One limb's value from its commitment and handle.
    fn limb(&self, commitment: &Commitment, handle: &Handle) -> Option<u64>;
}

impl RegulatorOpening for RegulatorSecretKey {
    fn public_key(&self) -> &RegulatorPublicKey {
        self.public()
    }

    fn shared_secrets(&self, ephemerals: &[&RegulatorEphemeral]) -> Vec<Option<Secret<[u8; 32]>>> {
        self.shared_secrets_batch(ephemerals)
            .into_iter()
            .map(Some)
            .collect()
    }

    fn limb(&self, commitment: &Commitment, handle: &Handle) -> Option<u64> {
        self.decrypt_limb(commitment, handle)
    }
}

/// The sender's side of the regulator key agreement.
pub struct RegulatorSender {
    ephemeral: RegulatorEphemeral,
    shared: Secret<[u8; 32]>,
}

impl RegulatorSender {
    /// Picks `r'` and computes `E = r'·G` and `S_reg = r'·PK`.
    pub fn new<R: RngCore + CryptoRng + ?Sized>(key: &RegulatorPublicKey, rng: &mut R) -> Self {
        let r = Secret::new(random_scalar(rng));
        Self {
            ephemeral: RegulatorEphemeral(Point::from_point(mul_g(r.expose()))),
            shared: Secret::new((key.point() * r.expose()).compress().to_bytes()),
        }
    }

    /// `E`.
    pub fn ephemeral(&self) -> &RegulatorEphemeral {
        &self.ephemeral
    }

    /// `S_reg`.
    pub fn shared_secret(&self) -> &Secret<[u8; 32]> {
        &self.shared
    }
}

/// `γₒ,ⱼ = H_s("veil/limb-blinding/v1", S_reg ‖ le32(o) ‖ le32(j))`.
pub fn limb_blinding(shared: &Secret<[u8; 32]>, output: u32, limb: u32) -> Secret<Scalar> {
    Secret::new(hash_to_scalar(
        LIMB_BLINDING_TAG,
        &[shared.expose(), &output.to_le_bytes(), &limb.to_le_bytes()],
    ))
}

fn limb_table() -> &'static HashMap<[u8; 32], u16> {
    static TABLE: OnceLock<HashMap<[u8; 32], u16>> = OnceLock::new();
    TABLE.get_or_init(|| build_limb_table(&h()))
}

/// The encodings of `k·B` for every limb value `k < 2¹⁶`, mapped to `k`.
pub(crate) fn build_limb_table(base: &RistrettoPoint) -> HashMap<[u8; 32], u16> {
    // k·(B/2) for every k, then one batched double-and-compress gives the
    // encodings of k·B with a single shared inversion.
    let half = base * Scalar::from(2u64).invert();
    let count = 1usize << LIMB_BITS;
    let mut halves = Vec::with_capacity(count);
    let mut acc = RistrettoPoint::default();
    for _ in 0..count {
        halves.push(acc);
        acc += half;
    }
    RistrettoPoint::double_and_compress_batch(&halves)
        .into_iter()
        .zip(0u16..=u16::MAX)
        .map(|(c, v)| (c.to_bytes(), v))
        .collect()
}

/// Builds the limb lookup table now rather than on first use.
pub fn warm_up() {
    let _ = limb_table();
}

/// The 128-byte batched validity proof of a transaction's handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegulatorProof {
    /// `Y_C = y_γ·G + y_v·H`.
    pub y_c: Point,
    /// `Y_D = y_γ·PK`.
    pub y_d: Point,
    /// `z_v`.
    pub z_v: Scalar,
    /// `z_γ`.
    pub z_gamma: Scalar,
}

/// Why a regulator proof was refused or could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegulatorProofError {
    /// Commitments, handles and openings differ in number, or there are none.
    #[error("regulator proof needs one handle and one opening per limb commitment")]
    Shape,
    /// The proof does not verify.
    #[error("regulator proof does not verify")]
    Invalid,
}

fn transcript(
    key: &RegulatorPublicKey,
    limbs: &[(Commitment, Handle)],
) -> (Transcript, Vec<Scalar>) {
    let mut t = Transcript::new(REGULATOR_PROOF);
    t.append_point(b"PK", key.as_point());
    t.append_u64_le(b"m", u64::try_from(limbs.len()).unwrap_or(u64::MAX));
    for (c, d) in limbs {
        t.append_point(b"C", c.as_point());
        t.append_point(b"D", d.as_point());
    }
    let tc = t.challenge_scalar(b"t");
    let mut powers = Vec::with_capacity(limbs.len());
    let mut p = Scalar::ONE;
    for _ in limbs {
        powers.push(p);
        p *= tc;
    }
    (t, powers)
}

impl RegulatorProof {
    /// Proves that every `(Cₖ, Dₖ)` is well formed for `key`, given the
    /// openings `(vₖ, γₖ)`.
    pub fn prove<R: RngCore + CryptoRng + ?Sized>(
        key: &RegulatorPublicKey,
        limbs: &[(Commitment, Handle)],
        openings: &[(u64, Secret<Scalar>)],
        rng: &mut R,
    ) -> Result<Self, RegulatorProofError> {
        if limbs.is_empty() || limbs.len() != openings.len() {
            return Err(RegulatorProofError::Shape);
        }
        let (mut t, powers) = transcript(key, limbs);
        let y_v = Secret::new(random_scalar(rng));
        let y_g = Secret::new(random_scalar(rng));
        let y_c = Point::from_point(mul_g(y_g.expose()) + mul_h(y_v.expose()));
        let y_d = Point::from_point(key.point() * y_g.expose());
        t.append_point(b"Y_C", &y_c);
        t.append_point(b"Y_D", &y_d);
        let c = t.challenge_scalar(b"c");
        let mut v_fold = Scalar::ZERO;
        let mut g_fold = Scalar::ZERO;
        for ((v, g), p) in openings.iter().zip(&powers) {
            v_fold += p * Scalar::from(*v);
            g_fold += p * g.expose();
        }
        let proof = Self {
            y_c,
            y_d,
            z_v: y_v.expose() + c * v_fold,
            z_gamma: y_g.expose() + c * g_fold,
        };
        v_fold.zeroize();
        g_fold.zeroize();
        Ok(proof)
    }

    /// Adds the proof's two equations to `batch`.
    pub fn verify_into<R: RngCore + CryptoRng + ?Sized>(
        &self,
        batch: &mut BatchVerifier,
        rng: &mut R,
        key: &RegulatorPublicKey,
        limbs: &[(Commitment, Handle)],
    ) -> Result<(), RegulatorProofError> {
        if limbs.is_empty() {
            return Err(RegulatorProofError::Shape);
        }
        let (mut t, powers) = transcript(key, limbs);
        t.append_point(b"Y_C", &self.y_c);
        t.append_point(b"Y_D", &self.y_d);
        let c = t.challenge_scalar(b"c");
        // z_γ·G + z_v·H − Y_C − c·Σ tᵏ·Cₖ = 0
        let w1 = BatchVerifier::weight(rng);
        // z_γ·PK − Y_D − c·Σ tᵏ·Dₖ = 0
        let w2 = BatchVerifier::weight(rng);
        batch.add_g(w1 * self.z_gamma);
        batch.add_h(w1 * self.z_v);
        batch.add(-w1, self.y_c.point());
        batch.add(w2 * self.z_gamma, key.point());
        batch.add(-w2, self.y_d.point());
        let (wc1, wc2) = (w1 * c, w2 * c);
        for ((cm, d), p) in limbs.iter().zip(&powers) {
            batch.add(-(wc1 * p), cm.point());
            batch.add(-(wc2 * p), d.point());
        }
        Ok(())
    }

    /// Verifies the proof on its own.
    pub fn verify<R: RngCore + CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        key: &RegulatorPublicKey,
        limbs: &[(Commitment, Handle)],
    ) -> Result<(), RegulatorProofError> {
        let mut batch = BatchVerifier::with_capacity(2 * limbs.len() + 3);
        self.verify_into(&mut batch, rng, key, limbs)?;
        if batch.verify() {
            Ok(())
        } else {
            Err(RegulatorProofError::Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::G;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    struct Limbs {
        limbs: Vec<(Commitment, Handle)>,
        openings: Vec<(u64, Secret<Scalar>)>,
    }

    fn limbs(rng: &mut ChaCha20Rng, key: &RegulatorPublicKey, values: &[u64]) -> Limbs {
        let mut limbs = vec![];
        let mut openings = vec![];
        for v in values {
            let g = random_scalar(rng);
            limbs.push((Commitment::new(*v, &g), Handle::new(&g, key)));
            openings.push((*v, Secret::new(g)));
        }
        Limbs { limbs, openings }
    }

    #[test]
    fn proof_verifies_and_regulator_decrypts_every_limb() {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let sk = RegulatorSecretKey::from_seed(&[4u8; 32]);
        let values = [0u64, 1, 65535, 31337, 7, 8, 9, 10];
        let l = limbs(&mut rng, sk.public(), &values);
        let proof = RegulatorProof::prove(sk.public(), &l.limbs, &l.openings, &mut rng).unwrap();
        proof.verify(&mut rng, sk.public(), &l.limbs).unwrap();
        for ((c, d), v) in l.limbs.iter().zip(values) {
            assert_eq!(sk.decrypt_limb(c, d), Some(v));
        }
        // Another regulator's key opens nothing.
        let other = RegulatorSecretKey::from_seed(&[5u8; 32]);
        assert_eq!(other.decrypt_limb(&l.limbs[3].0, &l.limbs[3].1), None);
    }

    #[test]
    fn handle_under_another_key_is_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(22);
        let sk = RegulatorSecretKey::from_seed(&[4u8; 32]);
        let wrong = RegulatorSecretKey::from_seed(&[6u8; 32]);
        // Handles made for `wrong`, proof checked against `sk`'s key.
        let l = limbs(&mut rng, wrong.public(), &[3, 4]);
        let proof = RegulatorProof::prove(wrong.public(), &l.limbs, &l.openings, &mut rng).unwrap();
        assert_eq!(
            proof.verify(&mut rng, sk.public(), &l.limbs),
            Err(RegulatorProofError::Invalid)
        );
        // And a prover cannot claim the right key with the wrong handles.
        let proof = RegulatorProof::prove(sk.public(), &l.limbs, &l.openings, &mut rng).unwrap();
        assert_eq!(
            proof.verify(&mut rng, sk.public(), &l.limbs),
            Err(RegulatorProofError::Invalid)
        );
    }

    #[test]
    fn every_tampered_element_is_rejected() {
        let mut rng = ChaCha20Rng::seed_from_u64(23);
        let sk = RegulatorSecretKey::from_seed(&[4u8; 32]);
        let l = limbs(&mut rng, sk.public(), &[10, 20, 30, 40]);
        let proof = RegulatorProof::prove(sk.public(), &l.limbs, &l.openings, &mut rng).unwrap();
        let bump = |p: &Point| Point::from_point(p.point() + G);
        let mut bad = vec![];
        let mut p = proof;
        p.y_c = bump(&p.y_c);
        bad.push((p, l.limbs.clone()));
        let mut p = proof;
        p.y_d = bump(&p.y_d);
        bad.push((p, l.limbs.clone()));
        let mut p = proof;
        p.z_v += Scalar::ONE;
        bad.push((p, l.limbs.clone()));
        let mut p = proof;
        p.z_gamma += Scalar::ONE;
        bad.push((p, l.limbs.clone()));
        for k in 0..4 {
            let mut ls = l.limbs.clone();
            ls[k].0 = Commitment(bump(ls[k].0.as_point()));
            bad.push((proof, ls));
            let mut ls = l.limbs.clone();
            ls[k].1 = Handle(bump(ls[k].1.as_point()));
            bad.push((proof, ls));
        }
        let mut ls = l.limbs.clone();
        ls.swap(0, 1);
        bad.push((proof, ls));
        for (p, ls) in bad {
            assert_eq!(
                p.verify(&mut rng, sk.public(), &ls),
                Err(RegulatorProofError::Invalid)
            );
        }
        assert_eq!(
            proof.verify(&mut rng, sk.public(), &l.limbs[..3]),
            Err(RegulatorProofError::Invalid)
        );
    }

    #[test]
    fn key_agreement_matches() {
        let mut rng = ChaCha20Rng::seed_from_u64(24);
        let sk = RegulatorSecretKey::from_seed(&[4u8; 32]);
        let sender = RegulatorSender::new(sk.public(), &mut rng);
        assert_eq!(
            sk.shared_secret(sender.ephemeral()).expose(),
            sender.shared_secret().expose()
        );
        assert!(!format!("{sk:?}").contains(&hex::encode(sk.sk.expose().as_bytes())));
    }
}
