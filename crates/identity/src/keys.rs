//! Keys of DID verification methods: Ed25519 and secp256k1 signing keys,
//! X25519 key-agreement keys, in W3C `Multikey` form.
//!
//! # Encodings
//!
//! `publicKeyMultibase` is multibase base58btc (`z` prefix) of the
//! multicodec-prefixed key (W3C Controlled Identifiers 1.0 §2.2.2
//! "Multikey"; multicodec table):
//!
//! | type      | multicodec (varint)  | key bytes                  |
//! |-----------|----------------------|----------------------------|
//! | Ed25519   | `0xed` → `ed 01`     | 32, RFC 8032               |
//! | secp256k1 | `0xe7` → `e7 01`     | 33, SEC 1 compressed       |
//! | X25519    | `0xec` → `ec 01`     | 32, RFC 7748 (agreement only) |
//!
//! # Signatures
//!
//! * Ed25519: RFC 8032 with strict verification (canonical `S`, no
//!   small-order keys), via [`veil_crypto::signing`].
//! * secp256k1: ECDSA over SHA-256 of the message (SEC 1 §4.1, RFC 6979
//!   deterministic nonces) via `k256`; signatures are `r ‖ s`, 64 bytes,
//!   and only the low-`s` form is accepted, so each signature has one
//!   encoding (BIP 62 / BIP 146 rule).

use std::fmt;

use k256::ecdsa::signature::{Signer as _, Verifier as _};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use veil_codec::{Decode, DecodeError, Encode, Reader, Writer};
use veil_crypto::secret::Secret;
use veil_crypto::signing::{self, SigningKey as EdSigningKey};

const ED25519: u8 = 1;
const SECP256K1: u8 = 2;
const X25519: u8 = 3;

/// A verification method's public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PublicKey {
    /// An Ed25519 signing key.
    Ed25519(signing::VerifyingKey),
    /// A secp256k1 ECDSA key, SEC 1 compressed.
    Secp256k1([u8; 33]),
    /// An X25519 key-agreement key (cannot sign).
    X25519([u8; 32]),
}

/// Why a key or signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a valid key of its type.
    #[error("not a valid {0} public key")]
    Invalid(&'static str),
    /// Not a `Multikey` we know.
    #[error("unsupported or malformed publicKeyMultibase")]
    Multibase,
    /// The key cannot sign (key agreement only).
    #[error("an X25519 key cannot sign")]
    NotSigning,
    /// The signature does not verify.
    #[error("signature does not verify")]
    Signature,
}

impl PublicKey {
    /// Validates an Ed25519 key.
    pub fn ed25519(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        signing::VerifyingKey::from_bytes(bytes)
            .map(Self::Ed25519)
            .map_err(|_| KeyError::Invalid("Ed25519"))
    }

    /// Validates a compressed secp256k1 key.
    pub fn secp256k1(bytes: &[u8; 33]) -> Result<Self, KeyError> {
        if bytes[0] != 2 && bytes[0] != 3 {
            return Err(KeyError::Invalid("secp256k1"));
        }
        k256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
            .map(|_| Self::Secp256k1(*bytes))
            .map_err(|_| KeyError::Invalid("secp256k1"))
    }

    /// Validates an X25519 key (every 32-byte string is one; the all-zero
    /// key is refused).
    pub fn x25519(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        if bytes.iter().all(|b| *b == 0) {
            return Err(KeyError::Invalid("X25519"));
        }
        Ok(Self::X25519(*bytes))
    }

    /// Whether the key can sign.
    pub fn can_sign(&self) -> bool {
        !matches!(self, Self::X25519(_))
    }

    /// The key type's name as documents show it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ed25519(_) => "Ed25519",
            Self::Secp256k1(_) => "secp256k1",
            Self::X25519(_) => "X25519",
        }
    }

    fn multicodec(&self) -> Vec<u8> {
        match self {
            Self::Ed25519(k) => [&[0xed, 0x01][..], k.as_bytes()].concat(),
            Self::Secp256k1(k) => [&[0xe7, 0x01][..], k].concat(),
            Self::X25519(k) => [&[0xec, 0x01][..], k].concat(),
        }
    }

    /// The `publicKeyMultibase` value.
    pub fn to_multibase(&self) -> String {
        encode_base58btc(&self.multicodec())
    }

    /// Parses a `publicKeyMultibase` value.
    pub fn from_multibase(s: &str) -> Result<Self, KeyError> {
        let bytes = decode_base58btc(s, 65).ok_or(KeyError::Multibase)?;
        match bytes.as_slice() {
            [0xed, 0x01, rest @ ..] => {
                Self::ed25519(rest.try_into().map_err(|_| KeyError::Multibase)?)
            }
            [0xe7, 0x01, rest @ ..] => {
                Self::secp256k1(rest.try_into().map_err(|_| KeyError::Multibase)?)
            }
            [0xec, 0x01, rest @ ..] => {
                Self::x25519(rest.try_into().map_err(|_| KeyError::Multibase)?)
            }
            _ => Err(KeyError::Multibase),
        }
    }

    /// Verifies `sig` over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> Result<(), KeyError> {
        match self {
            Self::Ed25519(k) => k
                .verify(msg, &signing::Signature(*sig))
                .map_err(|_| KeyError::Signature),
            Self::Secp256k1(k) => {
                let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(k)
                    .map_err(|_| KeyError::Invalid("secp256k1"))?;
                let sig =
                    k256::ecdsa::Signature::from_slice(sig).map_err(|_| KeyError::Signature)?;
                if sig.normalize_s().is_some() {
                    return Err(KeyError::Signature);
                }
                key.verify(msg, &sig).map_err(|_| KeyError::Signature)
            }
            Self::X25519(_) => Err(KeyError::NotSigning),
        }
    }
}

impl PublicKey {
    /// The canonical encoding: the type byte, then the key (fixed width per
    /// type, so it cannot fail).
    pub fn to_bytes(&self) -> Vec<u8> {
        let (tag, key): (u8, &[u8]) = match self {
            Self::Ed25519(k) => (ED25519, k.as_bytes()),
            Self::Secp256k1(k) => (SECP256K1, k),
            Self::X25519(k) => (X25519, k),
        };
        let mut out = Vec::with_capacity(1 + key.len());
        out.push(tag);
        out.extend_from_slice(key);
        out
    }
}

impl Encode for PublicKey {
    fn write(&self, w: &mut Writer) {
        w.bytes(&self.to_bytes());
    }
}

impl Decode for PublicKey {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let bad = |_| DecodeError::Invalid {
            what: "public key",
            why: "not a valid key of its type",
        };
        match r.u8("key type")? {
            ED25519 => Self::ed25519(&r.array("Ed25519 key")?).map_err(bad),
            SECP256K1 => Self::secp256k1(&r.array("secp256k1 key")?).map_err(bad),
            X25519 => Self::x25519(&r.array("X25519 key")?).map_err(bad),
            _ => Err(DecodeError::Invalid {
                what: "key type",
                why: "unknown",
            }),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.kind(), self.to_multibase())
    }
}

/// A signing key of a verification method (zeroized on drop, redacted in
/// `Debug`).
pub enum SecretKey {
    /// Ed25519.
    Ed25519(EdSigningKey),
    /// secp256k1 (k256 zeroizes its scalar on drop).
    Secp256k1(k256::ecdsa::SigningKey),
}

impl SecretKey {
    /// A fresh Ed25519 key.
    pub fn generate_ed25519<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self::Ed25519(EdSigningKey::generate(rng))
    }

    /// A fresh secp256k1 key.
    pub fn generate_secp256k1<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self::Secp256k1(k256::ecdsa::SigningKey::random(rng))
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        match self {
            Self::Ed25519(k) => PublicKey::Ed25519(*k.public()),
            Self::Secp256k1(k) => {
                let point = k.verifying_key().to_encoded_point(true);
                let mut out = [0u8; 33];
                out.copy_from_slice(point.as_bytes());
                PublicKey::Secp256k1(out)
            }
        }
    }

    /// Signs `msg` (Ed25519, or low-`s` ECDSA over SHA-256).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        match self {
            Self::Ed25519(k) => k.sign(msg).0,
            Self::Secp256k1(k) => {
                let sig: k256::ecdsa::Signature = k.sign(msg);
                let sig = sig.normalize_s().unwrap_or(sig);
                let mut out = [0u8; 64];
                out.copy_from_slice(&sig.to_bytes());
                out
            }
        }
    }

    /// The secret bytes with a type tag, for keystores (`tag ‖ 32 bytes`),
    /// wiped when dropped.
    pub fn to_bytes(&self) -> Secret<[u8; 33]> {
        let mut out = Secret::new([0u8; 33]);
        let buf = out.expose_mut();
        match self {
            Self::Ed25519(k) => {
                buf[0] = ED25519;
                buf[1..].copy_from_slice(k.seed().expose());
            }
            Self::Secp256k1(k) => {
                buf[0] = SECP256K1;
                let mut b = k.to_bytes();
                buf[1..].copy_from_slice(&b);
                b.zeroize();
            }
        }
        out
    }

    /// Reads [`Self::to_bytes`]' output.
    pub fn from_bytes(bytes: &[u8; 33]) -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&bytes[1..]);
        let key = match bytes[0] {
            ED25519 => Ok(Self::Ed25519(EdSigningKey::from_seed(&seed))),
            SECP256K1 => k256::ecdsa::SigningKey::from_slice(&seed)
                .map(Self::Secp256k1)
                .map_err(|_| KeyError::Invalid("secp256k1 secret")),
            _ => Err(KeyError::Invalid("secret key type")),
        };
        seed.zeroize();
        key
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({:?}, [REDACTED])", self.public())
    }
}

/// Multibase base58btc (`z` prefix), the only base Veil writes or reads
/// (W3C Controlled Identifiers 1.0 §2.4; the `multibase` crate does the
/// encoding).
pub(crate) fn encode_base58btc(bytes: &[u8]) -> String {
    multibase::encode(multibase::Base::Base58Btc, bytes)
}

/// Decodes a multibase value that must be base58btc (`z`) and at most
/// `max_len` characters long (checked before decoding, so hostile input
/// costs nothing).
pub(crate) fn decode_base58btc(value: &str, max_len: usize) -> Option<Vec<u8>> {
    if value.len() > max_len || !value.starts_with('z') {
        return None;
    }
    match multibase::decode(value) {
        Ok((multibase::Base::Base58Btc, bytes)) => Some(bytes),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn multikey_round_trips_and_known_prefixes() {
        for sk in [
            SecretKey::generate_ed25519(&mut OsRng),
            SecretKey::generate_secp256k1(&mut OsRng),
        ] {
            let pk = sk.public();
            let mb = pk.to_multibase();
            assert_eq!(PublicKey::from_multibase(&mb), Ok(pk));
            let prefix = if matches!(pk, PublicKey::Ed25519(_)) {
                "z6Mk"
            } else {
                "zQ3s"
            };
            assert!(mb.starts_with(prefix), "{mb}");
            let sig = sk.sign(b"msg");
            assert_eq!(pk.verify(b"msg", &sig), Ok(()));
            assert_eq!(pk.verify(b"msh", &sig), Err(KeyError::Signature));
            let mut bad = sig;
            bad[10] ^= 1;
            assert_eq!(pk.verify(b"msg", &bad), Err(KeyError::Signature));
            let back = SecretKey::from_bytes(sk.to_bytes().expose()).unwrap();
            assert_eq!(back.public(), pk);
            assert!(!format!("{sk:?}").contains(&hex::encode(&sk.to_bytes().expose()[1..])));
        }
        assert_eq!(PublicKey::from_multibase("z"), Err(KeyError::Multibase));
        assert_eq!(PublicKey::from_multibase("abc"), Err(KeyError::Multibase));
        assert!(PublicKey::from_multibase(&format!("z{}", "1".repeat(500))).is_err());
    }

    /// The high-`s` twin of a valid ECDSA signature is refused.
    #[test]
    fn ecdsa_high_s_is_refused() {
        let sk = SecretKey::generate_secp256k1(&mut OsRng);
        let sig = sk.sign(b"m");
        let parsed = k256::ecdsa::Signature::from_slice(&sig).unwrap();
        let (r, s) = parsed.split_scalars();
        let high = k256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
        let mut bytes = [0u8; 64];
        bytes.copy_from_slice(&high.to_bytes());
        assert_eq!(sk.public().verify(b"m", &bytes), Err(KeyError::Signature));
    }
}
