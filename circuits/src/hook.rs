//! The regulator hook: the holder commitment encrypted to a regulator's key
//! inside a presentation, with hashed ElGamal over Baby Jubjub.
//!
//! # Scheme
//!
//! Baby Jubjub (`ark-ed-on-bn254`; EIP-2494) is the twisted Edwards curve
//! whose base field is BN254's scalar field, so its arithmetic is native to
//! the presentation circuit. `G` generates its prime-order subgroup of order
//! `ℓ_J` (251 bits). A regulator holds `y ∈ Z_{ℓ_J}` and publishes
//! `Y = y·G`. To encrypt the holder commitment `h = Poseidon(s)` the holder
//! picks `r ← Z_{ℓ_J}` and computes
//!
//! ```text
//! C₁ = r·G,   K = r·Y,   c₂ = h + Poseidon(K.x, K.y)
//! ```
//!
//! and the regulator recovers `h = c₂ − Poseidon((y·C₁).x, (y·C₁).y)`. This
//! is the DHIES / hashed-ElGamal KEM with Poseidon as the key-derivation
//! function (Abdalla, Bellare, Rogaway, *The Oracle Diffie-Hellman
//! Assumptions and an Analysis of DHIES*, CT-RSA 2001): IND-CPA under the
//! hash-DH assumption in the subgroup, Poseidon modelled as a random
//! oracle. The same construction, Poseidon over Baby Jubjub ECDH, is
//! used by MACI and zk-kit's "poseidon-cipher".
//!
//! In the circuit `r` is a 251-bit witness; the gadget enforces `C₁ = r·G`
//! (fixed base, precomputed powers of two) and `c₂ = h + Poseidon(r·Y)`
//! with `Y`, `C₁`, `c₂` public. Because `h` is the value the presentation
//! circuit already puts in the credential's leaf, the verifier learns that
//! the ciphertext names the holder of the presented credential, and nothing
//! about which holder (the ciphertext is fresh randomness to anyone without
//! `y`). Under due process the regulator decrypts `h` and asks the issuer,
//! who issued the credential to `h`, who that is.

use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ed_on_bn254::constraints::EdwardsVar;
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective, Fr as JubjubScalar};
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::groups::CurveVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use veil_secret::Secret;

use crate::poseidon;
use crate::Fr;

/// Bits of the encryption randomness (`⌈log₂ ℓ_J⌉`).
pub const SCALAR_BITS: usize = 251;
/// Bytes of a compressed Baby Jubjub point.
pub const POINT_BYTES: usize = 32;
/// Public inputs the hook adds: `Y.x, Y.y, C₁.x, C₁.y, c₂`.
pub const PUBLIC_INPUTS: usize = 5;
/// Constraints [`enforce`] adds (pinned by a test): 251 bit booleans,
/// the fixed-base and variable-base multiplications, and one Poseidon.
pub const HOOK_CONSTRAINTS: usize = 4_762;

/// A regulator's hook key `Y` (a prime-order-subgroup point).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HookKey(pub EdwardsAffine);

/// The regulator's secret `y` (wiped on drop, redacted in `Debug`).
#[derive(Clone, Debug)]
pub struct HookSecret(Secret<JubjubScalar>);

/// Errors decoding hook values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// Not a valid compressed point of the prime-order subgroup.
    #[error("not a Baby Jubjub subgroup point")]
    Point,
    /// The identity, which would encrypt to nobody.
    #[error("the identity point is not a key")]
    Identity,
    /// `c₂` is not a canonical field element, or the length is wrong.
    #[error("not a canonical hook ciphertext")]
    Ciphertext,
}

/// Decodes a compressed point, refusing points off the curve, outside the
/// prime-order subgroup, and the identity.
pub fn point_from_bytes(bytes: &[u8]) -> Result<EdwardsAffine, HookError> {
    if bytes.len() != POINT_BYTES {
        return Err(HookError::Point);
    }
    let p = EdwardsAffine::deserialize_compressed(bytes).map_err(|_| HookError::Point)?;
    if p.is_zero() {
        return Err(HookError::Identity);
    }
    Ok(p)
}

/// Encodes a point compressed (32 bytes).
pub fn point_to_bytes(p: &EdwardsAffine) -> [u8; POINT_BYTES] {
    let mut out = Vec::with_capacity(POINT_BYTES);
    let _ = p.serialize_compressed(&mut out);
    let mut bytes = [0u8; POINT_BYTES];
    bytes.copy_from_slice(&out[..POINT_BYTES]);
    bytes
}

impl HookSecret {
    /// The secret derived from 64 uniformly random bytes (reduced mod ℓ_J;
    /// the bias is below 2⁻²⁵⁰).
    pub fn from_wide(bytes: &[u8; 64]) -> Self {
        Self(Secret::new(JubjubScalar::from_le_bytes_mod_order(bytes)))
    }

    /// `Y = y·G`.
    pub fn public(&self) -> HookKey {
        HookKey((EdwardsProjective::generator() * *self.0.expose()).into_affine())
    }

    /// Recovers `h` from a ciphertext.
    pub fn decrypt(&self, c: &Ciphertext) -> Fr {
        open_with_shared(&(c.c1 * *self.0.expose()).into_affine(), c)
    }
}

impl HookKey {
    /// Decodes a compressed key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HookError> {
        point_from_bytes(bytes).map(Self)
    }

    /// The compressed encoding.
    pub fn to_bytes(&self) -> [u8; POINT_BYTES] {
        point_to_bytes(&self.0)
    }
}

/// A hook ciphertext `(C₁, c₂)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    /// `C₁ = r·G`.
    pub c1: EdwardsAffine,
    /// `c₂ = h + Poseidon(r·Y)`.
    pub c2: Fr,
}

/// Bytes of an encoded [`Ciphertext`].
pub const CIPHERTEXT_BYTES: usize = 64;

impl Ciphertext {
    /// `C₁` (compressed) `‖ c₂` (32 bytes big-endian, canonical).
    pub fn to_bytes(&self) -> [u8; CIPHERTEXT_BYTES] {
        let mut out = [0u8; CIPHERTEXT_BYTES];
        out[..32].copy_from_slice(&point_to_bytes(&self.c1));
        out[32..].copy_from_slice(&crate::field::to_bytes(&self.c2));
        out
    }

    /// Parses [`Ciphertext::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HookError> {
        if bytes.len() != CIPHERTEXT_BYTES {
            return Err(HookError::Ciphertext);
        }
        let mut c2 = [0u8; 32];
        c2.copy_from_slice(&bytes[32..]);
        Ok(Self {
            c1: point_from_bytes(&bytes[..32])?,
            c2: crate::field::from_bytes(&c2).ok_or(HookError::Ciphertext)?,
        })
    }
}

/// The encryption randomness `r`, as the circuit's witness.
#[derive(Clone, PartialEq, Eq)]
pub struct Randomness(pub JubjubScalar);

impl std::fmt::Debug for Randomness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Randomness(..)")
    }
}

impl Randomness {
    /// Fresh randomness.
    pub fn random<R: rand_core::RngCore + rand_core::CryptoRng>(rng: &mut R) -> Self {
        let mut wide = [0u8; 64];
        rng.fill_bytes(&mut wide);
        Self(JubjubScalar::from_le_bytes_mod_order(&wide))
    }

    fn bits(&self) -> Vec<bool> {
        let mut bits = self.0.into_bigint().to_bits_le();
        bits.truncate(SCALAR_BITS);
        bits
    }
}

/// Recovers `h = c₂ − Poseidon(K.x, K.y)` from the shared point
/// `K = y·C₁` (however it was computed: by the single key, or combined from
/// officers' partial decryptions).
pub fn open_with_shared(k: &EdwardsAffine, c: &Ciphertext) -> Fr {
    c.c2 - poseidon::hash2(k.x, k.y)
}

/// Encrypts `h` to `key` with randomness `r` (the native twin of
/// [`enforce`]).
pub fn encrypt(key: &HookKey, h: Fr, r: &Randomness) -> Ciphertext {
    let c1 = (EdwardsProjective::generator() * r.0).into_affine();
    let k = (key.0 * r.0).into_affine();
    Ciphertext {
        c1,
        c2: h + poseidon::hash2(k.x, k.y),
    }
}

/// The hook's public inputs `Y.x, Y.y, C₁.x, C₁.y, c₂`.
pub fn public_inputs(key: &HookKey, c: &Ciphertext) -> [Fr; PUBLIC_INPUTS] {
    [key.0.x, key.0.y, c.c1.x, c.c1.y, c.c2]
}

/// Enforces that `(C₁, c₂)` (public, allocated here in the order of
/// [`public_inputs`]) encrypts `h` under `Y` with the witness `r`.
pub fn enforce(
    cs: ConstraintSystemRef<Fr>,
    h: &FpVar<Fr>,
    key: &HookKey,
    c: &Ciphertext,
    r: &Randomness,
) -> Result<(), SynthesisError> {
    let y = EdwardsVar::new_input(cs.clone(), || Ok(key.0))?;
    let c1 = EdwardsVar::new_input(cs.clone(), || Ok(c.c1))?;
    let c2 = FpVar::new_input(cs.clone(), || Ok(c.c2))?;
    let bits = r
        .bits()
        .into_iter()
        .map(|b| Boolean::new_witness(cs.clone(), || Ok(b)))
        .collect::<Result<Vec<_>, _>>()?;
    // C₁ = r·G with the constant powers G·2ⁱ.
    let mut base = EdwardsProjective::generator();
    let mut powers = Vec::with_capacity(SCALAR_BITS);
    for _ in 0..SCALAR_BITS {
        powers.push(base);
        base = base + base;
    }
    let mut rg = EdwardsVar::zero();
    rg.precomputed_base_scalar_mul_le(bits.iter().zip(powers.iter()))?;
    rg.enforce_equal(&c1)?;
    // K = r·Y, c₂ = h + Poseidon(K.x, K.y).
    let k = y.scalar_mul_le(bits.iter())?;
    let pad = poseidon::hash2_var(&k.x, &k.y)?;
    (h + pad).enforce_equal(&c2)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_relations::gr1cs::ConstraintSystem;
    use proptest::prelude::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn setup(seed: u64) -> (HookSecret, Fr, Randomness) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut wide = [0u8; 64];
        rand_core::RngCore::fill_bytes(&mut rng, &mut wide);
        (
            HookSecret::from_wide(&wide),
            Fr::rand(&mut rng),
            Randomness::random(&mut rng),
        )
    }

    fn satisfied(h: Fr, key: &HookKey, c: &Ciphertext, r: &Randomness) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let hv = FpVar::new_witness(cs.clone(), || Ok(h)).unwrap();
        enforce(cs.clone(), &hv, key, c, r).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn regulator_recovers_the_holder_commitment_and_the_gadget_agrees() {
        let (secret, h, r) = setup(1);
        let key = secret.public();
        let c = encrypt(&key, h, &r);
        assert_eq!(secret.decrypt(&c), h);
        let (ok, constraints) = satisfied(h, &key, &c, &r);
        assert!(ok);
        // Pinned: the hook's cost on top of the presentation circuit.
        assert_eq!(constraints, HOOK_CONSTRAINTS, "hook constraints changed");
        // Another regulator's key decrypts to something else.
        let (other, _, _) = setup(2);
        assert_ne!(other.decrypt(&c), h);
    }

    #[test]
    fn ciphertexts_decode_strictly() {
        let (secret, h, r) = setup(4);
        let c = encrypt(&secret.public(), h, &r);
        let b = c.to_bytes();
        assert_eq!(Ciphertext::from_bytes(&b), Ok(c));
        assert_eq!(Ciphertext::from_bytes(&b[..63]), Err(HookError::Ciphertext));
        let mut big = b;
        big[32..].copy_from_slice(&[0xff; 32]); // c₂ ≥ p
        assert_eq!(Ciphertext::from_bytes(&big), Err(HookError::Ciphertext));
        let mut zero = b;
        zero[..32].copy_from_slice(&point_to_bytes(&EdwardsAffine::zero()));
        assert_eq!(Ciphertext::from_bytes(&zero), Err(HookError::Identity));
    }

    #[test]
    fn points_decode_strictly() {
        let (secret, _, _) = setup(3);
        let key = secret.public();
        assert_eq!(HookKey::from_bytes(&key.to_bytes()), Ok(key));
        assert_eq!(
            HookKey::from_bytes(&point_to_bytes(&EdwardsAffine::zero())),
            Err(HookError::Identity)
        );
        assert!(HookKey::from_bytes(&[0xff; 32]).is_err());
        assert!(HookKey::from_bytes(&[1; 31]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]
        /// Native and in-circuit agree: honest ciphertexts satisfy, and any
        /// change of `h`, `c₂`, `C₁` or the key does not.
        #[test]
        fn native_and_gadget_agree(seed in any::<u64>(), which in 0u8..4) {
            let (secret, h, r) = setup(seed);
            let key = secret.public();
            let c = encrypt(&key, h, &r);
            prop_assert!(satisfied(h, &key, &c, &r).0);
            let (other, _, r2) = setup(seed ^ 0x5555);
            let (h2, key2, c2) = match which {
                0 => (h + Fr::from(1u64), key, c),
                1 => (h, key, Ciphertext { c2: c.c2 + Fr::from(1u64), ..c }),
                2 => (h, key, Ciphertext { c1: encrypt(&key, h, &r2).c1, ..c }),
                _ => (h, other.public(), c),
            };
            let native_ok = secret.decrypt(&c2) == h2 && key2 == key
                && encrypt(&key2, h2, &r) == c2;
            prop_assert!(!native_ok);
            prop_assert!(!satisfied(h2, &key2, &c2, &r).0);
        }
    }
}
