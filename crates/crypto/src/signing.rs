//! Ed25519 signatures (RFC 8032 §5.1) for authorities: asset issuers now,
//! regulators, DID controllers and nodes later. `ed25519-dalek` 3 with
//! `verify_strict`, which refuses small-order keys and non-canonical
//! signatures (so a signature has one valid encoding).

use std::fmt;

use ed25519_dalek::{Signer, SigningKey as DalekSigningKey, VerifyingKey as DalekVerifyingKey};
use rand_core::{CryptoRng, RngCore};

use super::hash::hash256;
use super::secret::Secret;

/// An Ed25519 public key, validated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VerifyingKey([u8; 32]);

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

/// Why a key or signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not a valid Ed25519 public key.
    #[error("not a valid Ed25519 public key")]
    Key,
    /// The signature does not verify.
    #[error("signature does not verify")]
    Invalid,
}

impl VerifyingKey {
    /// Validates 32 bytes as a public key (canonical, not of small order).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, SignatureError> {
        let key = DalekVerifyingKey::from_bytes(bytes).map_err(|_| SignatureError::Key)?;
        if key.is_weak() {
            return Err(SignatureError::Key);
        }
        Ok(Self(*bytes))
    }

    /// The encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Verifies `sig` over `msg` (strict RFC 8032 verification).
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<(), SignatureError> {
        let key = DalekVerifyingKey::from_bytes(&self.0).map_err(|_| SignatureError::Key)?;
        key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig.0))
            .map_err(|_| SignatureError::Invalid)
    }

    /// A short identifier: the first 8 bytes of `SHA-256("veil/key-id/v1" ‖ key)` in hex.
    pub fn id(&self) -> String {
        hex::encode(&hash256(b"veil/key-id/v1", &[&self.0])[..8])
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", hex::encode(self.0))
    }
}

impl fmt::Display for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", hex::encode(self.0))
    }
}

/// An Ed25519 signing key (the 32-byte seed, zeroized on drop).
pub struct SigningKey {
    seed: Secret<[u8; 32]>,
    public: VerifyingKey,
}

impl SigningKey {
    /// A key from its 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let key = DalekSigningKey::from_bytes(seed);
        Self {
            seed: Secret::new(*seed),
            public: VerifyingKey(key.verifying_key().to_bytes()),
        }
    }

    /// A fresh random key.
    pub fn generate<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let key = Self::from_seed(&seed);
        zeroize::Zeroize::zeroize(&mut seed);
        key
    }

    /// The seed, for keystores.
    pub fn seed(&self) -> &Secret<[u8; 32]> {
        &self.seed
    }

    /// The public key.
    pub fn public(&self) -> &VerifyingKey {
        &self.public
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(
            DalekSigningKey::from_bytes(self.seed.expose())
                .sign(msg)
                .to_bytes(),
        )
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({:?}, [REDACTED])", self.public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_refuse_tampering() {
        let k = SigningKey::from_seed(&[1; 32]);
        let sig = k.sign(b"msg");
        k.public().verify(b"msg", &sig).unwrap();
        assert_eq!(
            k.public().verify(b"msh", &sig),
            Err(SignatureError::Invalid)
        );
        for i in [0usize, 31, 32, 63] {
            let mut bad = sig;
            bad.0[i] ^= 1;
            assert_eq!(
                k.public().verify(b"msg", &bad),
                Err(SignatureError::Invalid)
            );
        }
        let other = SigningKey::from_seed(&[2; 32]);
        assert_eq!(
            other.public().verify(b"msg", &sig),
            Err(SignatureError::Invalid)
        );
        // The identity is a small-order key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            VerifyingKey::from_bytes(&identity),
            Err(SignatureError::Key)
        );
        assert!(!format!("{k:?}").contains(&hex::encode([1u8; 32])));
    }
}
