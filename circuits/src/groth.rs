//! Groth16 keys, proofs and (batch) verification for the presentation
//! circuit.
//!
//! # Verification
//!
//! Groth16 (Groth, *On the Size of Pairing-based Non-interactive
//! Arguments*, EUROCRYPT 2016, §3.2): a proof `(A, B, C)` for public inputs
//! `x₁ … x_ℓ` is accepted when
//!
//! ```text
//! e(A, B) = e(α, β) · e(X, γ) · e(C, δ),     X = Σᵢ xᵢ·Γᵢ  (x₀ = 1)
//! ```
//!
//! computed as one multi-Miller loop over `(A, B), (X, −γ), (C, −δ)` and one
//! final exponentiation compared with the precomputed `e(α, β)`. `X` is one
//! multi-scalar multiplication.
//!
//! # Batch verification
//!
//! For proofs `j = 1 … n` draw independent 128-bit `r_j` from the operating
//! system's generator and check the random linear combination
//!
//! ```text
//! ∏ⱼ e(r_j·A_j, B_j) · e(Σⱼ r_j·X_j, −γ) · e(Σⱼ r_j·C_j, −δ) = e(α, β)^{Σⱼ r_j}
//! ```
//!
//! with `Σⱼ r_j·X_j = Σᵢ (Σⱼ r_j·x_{j,i})·Γᵢ` (one MSM over the
//! verifying key's `ℓ + 1` points, whatever `n`), `Σⱼ r_j·C_j` one MSM, one
//! multi-Miller loop over `n + 2` pairs and a single final exponentiation.
//! If any proof is invalid the check fails except with probability
//! `≤ 2⁻¹²⁸` (Bellare, Garay, Rabin, *Fast Batch Verification for Modular
//! Exponentiation and Digital Signatures*, EUROCRYPT 1998, small-exponents
//! test; the Groth16 instance is folklore, see arkworks-rs/groth16#37, which
//! arkworks does not implement). A failed batch is re-checked proof by
//! proof by the caller that needs to know which one failed.
//!
//! # Keys
//!
//! [`dev_setup`] is a **development ceremony**: the toxic waste is drawn
//! from a ChaCha20 stream seeded with a public constant, so anyone can
//! recompute it and forge proofs. It exists so that a fresh checkout can
//! prove and verify without downloading anything; `docs/credentials.md`
//! says how a multi-party ceremony replaces it. Verifying keys travel as the
//! compressed arkworks encoding and are pinned by the SHA-256 of those
//! bytes.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use ark_groth16::Groth16;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::presentation::{self, CheckError, Circuit, PresentationCircuit, Statement, Witness};

/// Bytes of an encoded proof: compressed `A` (32), `B` (64), `C` (32).
pub const PROOF_BYTES: usize = 128;

/// The seed label of the development ceremony.
pub const DEV_CEREMONY_SEED: &[u8] = b"veil/dev-ceremony/presentation/v1 -- NOT FOR PRODUCTION";

/// Why keys or proofs are unusable.
#[derive(Debug, thiserror::Error)]
pub enum GrothError {
    /// The key's digest is not the pinned one.
    #[error("verifying key digest {actual} does not match the pinned {expected}")]
    DigestMismatch {
        /// SHA-256 of the key presented.
        actual: String,
        /// The pinned digest.
        expected: String,
    },
    /// Bytes are not a valid key or proof.
    #[error("invalid {what} encoding")]
    Encoding {
        /// What.
        what: &'static str,
    },
    /// The witness does not satisfy the statement (nothing was proven).
    #[error("cannot prove: {0}")]
    Unsatisfied(#[from] CheckError),
    /// Key generation or proving failed inside arkworks.
    #[error("groth16: {0}")]
    Synthesis(String),
}

/// A verifying key, prepared for verification, with its digest.
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    prepared: ark_groth16::PreparedVerifyingKey<Bn254>,
    bytes: Vec<u8>,
    digest: [u8; 32],
}

/// SHA-256 of `bytes`, the pin of a verifying key (`sha256sum` agrees).
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl VerifyingKey {
    fn from_ark(vk: ark_groth16::VerifyingKey<Bn254>) -> Self {
        let mut bytes = Vec::new();
        // Serializing into a Vec cannot fail.
        let _ = vk.serialize_compressed(&mut bytes);
        let digest = digest(&bytes);
        Self {
            prepared: ark_groth16::prepare_verifying_key(&vk),
            bytes,
            digest,
        }
    }

    /// Decodes a key and checks it against the pinned `expected` digest
    /// before looking inside it.
    pub fn from_bytes(bytes: &[u8], expected: &[u8; 32]) -> Result<Self, GrothError> {
        let actual = digest(bytes);
        if &actual != expected {
            return Err(GrothError::DigestMismatch {
                actual: hex::encode(actual),
                expected: hex::encode(expected),
            });
        }
        let vk =
            ark_groth16::VerifyingKey::<Bn254>::deserialize_compressed(bytes).map_err(|_| {
                GrothError::Encoding {
                    what: "verifying key",
                }
            })?;
        let inputs = vk.gamma_abc_g1.len().saturating_sub(1);
        if inputs != presentation::PUBLIC_INPUTS && inputs != presentation::HOOKED_PUBLIC_INPUTS {
            return Err(GrothError::Encoding {
                what: "verifying key (wrong number of public inputs)",
            });
        }
        Ok(Self::from_ark(vk))
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of [`Self::to_bytes`].
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// Which circuit it verifies (told apart by the public-input count).
    pub fn circuit(&self) -> Circuit {
        if self.prepared.vk.gamma_abc_g1.len() == presentation::HOOKED_PUBLIC_INPUTS + 1 {
            Circuit::Hooked
        } else {
            Circuit::Presentation
        }
    }

    fn prepared_inputs(&self, inputs: &[Fr]) -> G1Projective {
        let scalars: Vec<Fr> = std::iter::once(Fr::one())
            .chain(inputs.iter().copied())
            .collect();
        G1Projective::msm_unchecked(&self.prepared.vk.gamma_abc_g1, &scalars)
    }
}

/// A proving key (holders load or regenerate it; it is never pinned: a
/// wrong proving key only produces proofs that fail).
#[derive(Clone)]
pub struct ProvingKey(ark_groth16::ProvingKey<Bn254>);

impl std::fmt::Debug for ProvingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProvingKey(..)")
    }
}

impl ProvingKey {
    /// The matching verifying key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey::from_ark(self.0.vk.clone())
    }

    /// The uncompressed encoding (fast to load).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = self.0.serialize_uncompressed(&mut out);
        out
    }

    /// Decodes a proving key written by [`Self::to_bytes`] and checks that
    /// its verifying key has the pinned digest (points are not re-validated:
    /// the file is the holder's own cache, and a corrupt key can only make
    /// proofs that fail).
    pub fn from_bytes(bytes: &[u8], expected: &[u8; 32]) -> Result<Self, GrothError> {
        let pk = ark_groth16::ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(bytes)
            .map_err(|_| GrothError::Encoding {
                what: "proving key",
            })?;
        let key = Self(pk);
        let actual = key.verifying_key().digest();
        if &actual != expected {
            return Err(GrothError::DigestMismatch {
                actual: hex::encode(actual),
                expected: hex::encode(expected),
            });
        }
        Ok(key)
    }
}

/// The development ceremony (see the module docs): deterministic, public,
/// insecure by design.
pub fn dev_setup() -> Result<ProvingKey, GrothError> {
    dev_setup_for(Circuit::Presentation)
}

/// The development ceremony for either circuit (the hooked one's seed is
/// [`DEV_CEREMONY_SEED`] followed by `/hook`).
pub fn dev_setup_for(circuit: Circuit) -> Result<ProvingKey, GrothError> {
    let seed = match circuit {
        Circuit::Presentation => digest(DEV_CEREMONY_SEED),
        Circuit::Hooked => digest(&[DEV_CEREMONY_SEED, b"/hook"].concat()),
    };
    let mut rng = ChaCha20Rng::from_seed(seed);
    let (pk, _) =
        Groth16::<Bn254>::circuit_specific_setup(PresentationCircuit::blank_for(circuit), &mut rng)
            .map_err(|e| GrothError::Synthesis(e.to_string()))?;
    Ok(ProvingKey(pk))
}

/// A Groth16 proof.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof(ark_groth16::Proof<Bn254>);

impl Proof {
    /// The 128-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; PROOF_BYTES] {
        let mut out = Vec::with_capacity(PROOF_BYTES);
        let _ = self.0.serialize_compressed(&mut out);
        let mut bytes = [0u8; PROOF_BYTES];
        bytes.copy_from_slice(&out[..PROOF_BYTES]);
        bytes
    }

    /// Decodes exactly [`PROOF_BYTES`] bytes, checking that every point is
    /// on its curve and in the prime-order subgroup.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GrothError> {
        if bytes.len() != PROOF_BYTES {
            return Err(GrothError::Encoding { what: "proof" });
        }
        ark_groth16::Proof::<Bn254>::deserialize_compressed(bytes)
            .map(Self)
            .map_err(|_| GrothError::Encoding { what: "proof" })
    }
}

/// Proves `statement` with `witness`, after checking natively that the
/// witness satisfies it (so a bad witness gives a clear error, not a proof
/// that fails).
pub fn prove(
    pk: &ProvingKey,
    statement: &Statement,
    witness: &Witness,
) -> Result<Proof, GrothError> {
    presentation::check(statement, witness)?;
    if pk.0.vk.gamma_abc_g1.len() != statement.circuit().public_inputs() + 1 {
        return Err(GrothError::Encoding {
            what: "proving key (for the other circuit)",
        });
    }
    let mut rng = ChaCha20Rng::from_entropy();
    let circuit = PresentationCircuit {
        statement: *statement,
        witness: witness.clone(),
    };
    Groth16::<Bn254>::prove(&pk.0, circuit, &mut rng)
        .map(Proof)
        .map_err(|e| GrothError::Synthesis(e.to_string()))
}

/// Verifies one proof.
pub fn verify(vk: &VerifyingKey, statement: &Statement, proof: &Proof) -> bool {
    if vk.circuit() != statement.circuit() {
        return false;
    }
    let x = vk.prepared_inputs(&statement.public_inputs());
    Groth16::<Bn254>::verify_proof_with_prepared_inputs(&vk.prepared, &proof.0, &x).unwrap_or(false)
}

/// Verifies many proofs at once by a random linear combination (see the
/// module docs). `true` only if every proof is valid (up to `2⁻¹²⁸`).
pub fn verify_batch(vk: &VerifyingKey, items: &[(Statement, Proof)]) -> bool {
    match items {
        [] => return true,
        [(s, p)] => return verify(vk, s, p),
        _ => {}
    }
    if items.iter().any(|(s, _)| s.circuit() != vk.circuit()) {
        return false;
    }
    let mut rng = ChaCha20Rng::from_entropy();
    let r: Vec<Fr> = items
        .iter()
        .map(|_| {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            Fr::from(u128::from_le_bytes(b))
        })
        .collect();
    // Σ_j r_j·X_j through the combined input scalars.
    let mut combined = vec![Fr::zero(); vk.circuit().public_inputs() + 1];
    for ((statement, _), rj) in items.iter().zip(&r) {
        combined[0] += rj;
        for (c, x) in combined[1..].iter_mut().zip(statement.public_inputs()) {
            *c += *rj * x;
        }
    }
    let x = G1Projective::msm_unchecked(&vk.prepared.vk.gamma_abc_g1, &combined);
    let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.0.c).collect();
    let c = G1Projective::msm_unchecked(&cs, &r);
    let scaled: Vec<G1Projective> = items
        .par_iter()
        .zip(&r)
        .map(|((_, p), rj)| p.0.a * rj)
        .collect();
    let scaled = G1Projective::normalize_batch(&scaled);
    let bs: Vec<<Bn254 as Pairing>::G2Prepared> = items
        .par_iter()
        .map(|(_, p)| <G2Affine as Into<<Bn254 as Pairing>::G2Prepared>>::into(p.0.b))
        .collect();
    let mut g1: Vec<<Bn254 as Pairing>::G1Prepared> = scaled.into_iter().map(Into::into).collect();
    g1.push(x.into_affine().into());
    g1.push(c.into_affine().into());
    let mut g2 = bs;
    g2.push(vk.prepared.gamma_g2_neg_pc.clone());
    g2.push(vk.prepared.delta_g2_neg_pc.clone());
    let Some(lhs) = Bn254::final_exponentiation(Bn254::multi_miller_loop(g1, g2)) else {
        return false;
    };
    let sum: Fr = r.iter().sum();
    let rhs = PairingOutput::<Bn254>(vk.prepared.alpha_g1_beta_g2) * sum;
    lhs == rhs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn pk() -> &'static ProvingKey {
        static PK: OnceLock<ProvingKey> = OnceLock::new();
        PK.get_or_init(|| dev_setup().unwrap())
    }

    /// A satisfied statement and witness (the shared fixture).
    fn instance(seed: u64) -> (Statement, Witness) {
        crate::testing::sample(1, seed).remove(0)
    }

    #[test]
    fn prove_verify_and_every_public_input_binds() {
        let vk = pk().verifying_key();
        let (st, w) = instance(1);
        let proof = prove(pk(), &st, &w).unwrap();
        assert!(verify(&vk, &st, &proof));
        let round_trip = Proof::from_bytes(&proof.to_bytes()).unwrap();
        assert!(verify(&vk, &st, &round_trip));
        for i in 0..presentation::PUBLIC_INPUTS {
            let mut inputs = st.public_inputs();
            inputs[i] += Fr::one();
            let x = vk.prepared_inputs(&inputs);
            let ok =
                Groth16::<Bn254>::verify_proof_with_prepared_inputs(&vk.prepared, &proof.0, &x)
                    .unwrap();
            assert!(!ok, "public input {i} is not bound");
        }
        let mut other = st;
        other.nonce += Fr::one();
        assert!(!verify(&vk, &other, &proof));
    }

    #[test]
    fn tampered_proof_bytes_are_refused_or_fail() {
        let vk = pk().verifying_key();
        let (st, w) = instance(2);
        let bytes = prove(pk(), &st, &w).unwrap().to_bytes();
        for (what, at) in [("A", 3), ("B", 40), ("C", 100)] {
            let mut t = bytes;
            t[at] ^= 1;
            if let Ok(p) = Proof::from_bytes(&t) {
                assert!(!verify(&vk, &st, &p), "tampered {what} verified");
            }
        }
        assert!(Proof::from_bytes(&bytes[..127]).is_err());
        assert!(Proof::from_bytes(&[bytes.as_slice(), &[0]].concat()).is_err());
        assert!(Proof::from_bytes(&[0xff; PROOF_BYTES]).is_err());
    }

    #[test]
    fn a_bad_witness_is_refused_before_proving() {
        let (st, mut w) = instance(3);
        w.credential.salt += Fr::one();
        assert!(matches!(
            prove(pk(), &st, &w),
            Err(GrothError::Unsatisfied(CheckError::NotMember))
        ));
    }

    #[test]
    fn batch_accepts_valid_and_refuses_one_bad_proof() {
        let vk = pk().verifying_key();
        let items: Vec<(Statement, Proof)> = (10..15)
            .map(|s| {
                let (st, w) = instance(s);
                let p = prove(pk(), &st, &w).unwrap();
                (st, p)
            })
            .collect();
        assert!(verify_batch(&vk, &items));
        assert!(verify_batch(&vk, &items[..1]));
        assert!(verify_batch(&vk, &[]));
        let mut tampered = items.clone();
        tampered[3].0.nullifier += Fr::one();
        assert!(!verify_batch(&vk, &tampered));
        // Two valid proofs swapped between their statements.
        let mut swapped = items.clone();
        let p0 = swapped[0].1.clone();
        swapped[0].1 = swapped[4].1.clone();
        swapped[4].1 = p0;
        assert!(!verify_batch(&vk, &swapped));
    }

    #[test]
    fn verifying_keys_are_pinned_by_digest() {
        let vk = pk().verifying_key();
        let bytes = vk.to_bytes().to_vec();
        let loaded = VerifyingKey::from_bytes(&bytes, &vk.digest()).unwrap();
        assert_eq!(loaded.digest(), vk.digest());
        let mut wrong = vk.digest();
        wrong[0] ^= 1;
        assert!(matches!(
            VerifyingKey::from_bytes(&bytes, &wrong),
            Err(GrothError::DigestMismatch { .. })
        ));
        let garbage = vec![7u8; bytes.len()];
        assert!(VerifyingKey::from_bytes(&garbage, &digest(&garbage)).is_err());
        let pk_bytes = pk().to_bytes();
        assert!(ProvingKey::from_bytes(&pk_bytes, &vk.digest()).is_ok());
        assert!(ProvingKey::from_bytes(&pk_bytes, &wrong).is_err());
        assert!(ProvingKey::from_bytes(&pk_bytes[..100], &vk.digest()).is_err());
    }
}
