//! The evidence vault's document format: how a document version is
//! encrypted before it leaves its owner, how its ciphertext is addressed,
//! and how its key reaches each party allowed to open it.
//!
//! # Protocol
//!
//! A document version `(id, v)` (a 32-byte document id and a version
//! number) with plaintext `M`:
//!
//! ```text
//!   K                 ← 32 random bytes (per version, never reused)
//!   p                 ← 19 random bytes (the STREAM nonce prefix)
//!   M = M_0 ‖ … ‖ M_{n−1},  |M_i| = 2^20 for i < n−1,  0 ≤ |M_{n−1}| ≤ 2^20
//!   A                 = "veil/vault/chunk/v1" ‖ id ‖ BE32(v)
//!   C_i               = XChaCha20-Poly1305(K, p ‖ BE32(i) ‖ [i = n−1], A, M_i)
//!   h_i               = SHA-256(C_i)
//!   manifest          = (chunk size, |M|, p, (h_i, |C_i|) for each i)
//!   address           = SHA-256("veil/vault/manifest/v1" ‖ encode(manifest))
//! ```
//!
//! The chunking is the STREAM construction of Hoang, Reyhanitabar,
//! Rogaway and Vizár, "Online Authenticated-Encryption and its
//! Nonce-Reuse Misuse-Resistance" (CRYPTO 2015), as the `aead` crate's
//! `stream::EncryptorBE32` implements it: the chunk index and a last-chunk
//! flag are in the nonce, so chunks cannot be reordered, dropped, repeated
//! or the stream cut short without a decryption failing. A document needs
//! at most nine chunks in memory on either side (the pipeline of the
//! `stream` module), whatever its size.
//!
//! The content address is over the ciphertext only: a node that stores,
//! replicates or repairs chunks checks each against `h_i` and the manifest
//! against the address without any key.
//!
//! **Key wraps** (to a view key or a regulator epoch key `P = x·G`), the
//! style of transfer payloads (`veil_crypto::payload`):
//!
//! ```text
//!   r ← random scalar,  R = r·G,  S = r·P
//!   wrap = (R, AEAD_{HKDF(S, "veil/vault/wrap/v1" ‖ id ‖ BE32(v))}(ad = R ‖ P, K))
//! ```
//!
//! and the holder of `x` recovers `S = x·R`. A party known by a DID is
//! wrapped to its `keyAgreement` method's X25519 key `U` (RFC 7748,
//! `x25519-dalek`), the same construction on the Montgomery curve:
//!
//! ```text
//!   e ← 32 random bytes,  E = X25519(e, 9),  S = X25519(e, U)   (S ≠ 0)
//!   wrap = (E, AEAD_{HKDF(S, "veil/vault/wrap-x25519/v1" ‖ id ‖ BE32(v))}(ad = E ‖ U, K))
//! ```
//!
//! refusing a `U` of small order (an all-zero `S`: RFC 7748 §6.1). **Metadata** (file name,
//! media type) is sealed under `HKDF(K, "veil/vault/meta/v1" ‖ id ‖
//! BE32(v))` with the content address as associated data, so it is bound to
//! the ciphertext it describes.

mod manifest;
mod stream;
#[cfg(test)]
mod tests;
mod wrap;

pub use manifest::{ChunkRef, Manifest, MAX_CHUNKS};
pub use stream::{decrypt, encrypt, reencrypt, verify_chunk};
pub use wrap::{
    open_metadata, seal_metadata, unwrap_key, unwrap_key_shared, unwrap_key_x25519, wrap_for,
    wrap_key, wrap_key_x25519, x25519_public, AgreementWrap, Metadata, PartyWrap, Recipient,
    WrappedKey,
};

use veil_secret::Secret;

/// Plaintext bytes per chunk (the last may be shorter).
pub const CHUNK_SIZE: usize = 1 << 20;
/// Poly1305 tag bytes added to each chunk.
pub const TAG_LEN: usize = 16;
/// Bytes of the STREAM nonce prefix (24-byte XChaCha nonce − 4-byte
/// counter − 1-byte last flag).
pub const NONCE_PREFIX_LEN: usize = 19;

/// Which document version bytes belong to; bound into every chunk and
/// wrap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocContext {
    /// The document id.
    pub id: [u8; 32],
    /// The version (from 1).
    pub version: u32,
}

impl DocContext {
    fn bytes(&self, domain: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(domain.len() + 36);
        v.extend_from_slice(domain);
        v.extend_from_slice(&self.id);
        v.extend_from_slice(&self.version.to_be_bytes());
        v
    }
}

/// A document version's key: 32 random bytes, zeroized on drop, never
/// printed.
pub struct DocumentKey(Secret<[u8; 32]>);

impl DocumentKey {
    /// A fresh random key.
    pub fn generate<R: rand_core::RngCore + rand_core::CryptoRng>(rng: &mut R) -> Self {
        let mut k = Secret::new([0u8; 32]);
        rng.fill_bytes(k.expose_mut());
        Self(k)
    }

    /// A key from its bytes (an unwrapped key).
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self(Secret::new(*bytes))
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }
}

impl std::fmt::Debug for DocumentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DocumentKey(<redacted>)")
    }
}

/// Why a document operation failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Reading the plaintext or writing the output failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The document is larger than the limit.
    #[error("the document exceeds {max} bytes")]
    TooLarge {
        /// The limit.
        max: u64,
    },
    /// A chunk does not hash to the manifest's entry.
    #[error("chunk {index} does not match the manifest (wrong content address)")]
    ChunkHash {
        /// Its index.
        index: usize,
    },
    /// A chunk does not decrypt: wrong key, another document's chunk, or
    /// altered, reordered or truncated ciphertext.
    #[error("chunk {index} does not decrypt under this key and document")]
    Decrypt {
        /// Its index.
        index: usize,
    },
    /// The plaintext's length differs from the manifest's.
    #[error("the plaintext is {got} bytes; the manifest says {expected}")]
    Length {
        /// What the manifest says.
        expected: u64,
        /// What decrypted.
        got: u64,
    },
    /// The manifest is not consistent (chunk sizes against the length).
    #[error("malformed manifest: {0}")]
    Manifest(&'static str),
    /// A wrapped key or sealed metadata does not open.
    #[error("the wrapped key or metadata does not open with this key")]
    Unwrap,
    /// A second encryption pass made other chunks than the first (the
    /// plaintext changed in between).
    #[error("the document changed while it was being encrypted; nothing was sent as it")]
    Changed,
    /// A key in a wrap is not a valid point.
    #[error("not a valid public key")]
    Key,
}
