//! Authenticated encryption of payloads to a Diffie–Hellman shared secret.
//!
//! ```text
//!   (key ‖ nonce) = HKDF-SHA256(salt = "veil/aead/v1", ikm = S, info)[0..56]
//!   ciphertext    = XChaCha20-Poly1305(key, nonce, ad, plaintext)
//! ```
//!
//! (RFC 5869; draft-irtf-cfrg-xchacha-03; RFC 8439.) `S` is the canonical
//! encoding of an ECDH point; `info` names the payload kind and position,
//! so every (transaction, payload) pair gets its own key and nonce; `ad`
//! binds the ciphertext to the public data it belongs to (for an output, its
//! one-time key and commitment) so it cannot be moved elsewhere.
//! The plaintext formats live with the transaction format (`tx`).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

use super::secret::Secret;

const SALT: &[u8] = b"veil/aead/v1";

/// Poly1305 tag length.
pub const TAG_LEN: usize = 16;

/// Decryption failed: wrong key, wrong associated data, or altered bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("payload does not decrypt under this key and context")]
pub struct OpenError;

/// The key and nonce of one payload: `HKDF(S, info)[0..56]`. Disclosing
/// them opens that one payload and nothing else.
pub fn payload_key(shared: &[u8; 32], info: &[u8]) -> Secret<[u8; 56]> {
    let hk = Hkdf::<Sha256>::new(Some(SALT), shared);
    let mut okm = Secret::new([0u8; 56]);
    // 56 bytes is far below HKDF-SHA256's 8160-byte limit.
    hk.expand(info, okm.expose_mut())
        .expect("56 bytes of HKDF output");
    okm
}

fn cipher_from_key(okm: &[u8; 56]) -> (XChaCha20Poly1305, XNonce) {
    let cipher = XChaCha20Poly1305::new_from_slice(&okm[..32]).expect("32-byte key");
    (cipher, *XNonce::from_slice(&okm[32..]))
}

fn cipher(shared: &[u8; 32], info: &[u8]) -> (XChaCha20Poly1305, XNonce) {
    cipher_from_key(payload_key(shared, info).expose())
}

/// Decrypts with a disclosed payload key (see [`payload_key`]).
pub fn open_with_key(
    okm: &[u8; 56],
    ad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret<Vec<u8>>, OpenError> {
    let (cipher, nonce) = cipher_from_key(okm);
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad: ad,
            },
        )
        .map(Secret::new)
        .map_err(|_| OpenError)
}

/// Encrypts `plaintext` under the key derived from `shared` and `info`.
pub fn seal(shared: &[u8; 32], info: &[u8], ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let (cipher, nonce) = cipher(shared, info);
    cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: ad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption of a bounded message")
}

/// Decrypts and authenticates; the plaintext is wiped when dropped.
pub fn open(
    shared: &[u8; 32],
    info: &[u8],
    ad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret<Vec<u8>>, OpenError> {
    let (cipher, nonce) = cipher(shared, info);
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad: ad,
            },
        )
        .map(Secret::new)
        .map_err(|_| OpenError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_binding() {
        let s = [1u8; 32];
        let ct = seal(&s, b"info", b"ad", b"hello");
        assert_eq!(ct.len(), 5 + TAG_LEN);
        assert_eq!(
            &open(&s, b"info", b"ad", &ct).unwrap().expose()[..],
            b"hello"
        );
        assert_eq!(open(&[2u8; 32], b"info", b"ad", &ct).err(), Some(OpenError));
        assert_eq!(open(&s, b"other", b"ad", &ct).err(), Some(OpenError));
        assert_eq!(open(&s, b"info", b"other", &ct).err(), Some(OpenError));
        for i in 0..ct.len() {
            let mut bad = ct.clone();
            bad[i] ^= 0x80;
            assert_eq!(open(&s, b"info", b"ad", &bad).err(), Some(OpenError));
        }
        assert_eq!(open(&s, b"info", b"ad", &ct[..3]).err(), Some(OpenError));
    }
}
