//! Streaming encryption and decryption of a document version (STREAM over
//! XChaCha20-Poly1305, the `aead` crate's `EncryptorBE32`; see the crate
//! docs). At most two plaintext chunks are held at once, zeroized when
//! dropped.

use std::io::{Read, Write};

use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use sha2::{Digest, Sha256};
use veil_secret::Secret;

use crate::manifest::{ChunkRef, Manifest, MAX_CHUNKS};
use crate::{DocContext, DocumentKey, VaultError, CHUNK_SIZE, NONCE_PREFIX_LEN};

const CHUNK_DOMAIN: &[u8] = b"veil/vault/chunk/v1";

fn cipher(key: &DocumentKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(GenericArray::from_slice(key.expose()))
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn chunk_ref(bytes: &[u8]) -> Result<ChunkRef, VaultError> {
    Ok(ChunkRef {
        hash: Sha256::digest(bytes).into(),
        len: u32::try_from(bytes.len()).map_err(|_| VaultError::Manifest("chunk length"))?,
    })
}

/// Whether `bytes` is the chunk `c` names (length and SHA-256): what a node
/// checks before storing, serving or accepting a repaired chunk. Needs no
/// key.
pub fn verify_chunk(c: &ChunkRef, bytes: &[u8]) -> bool {
    u32::try_from(bytes.len()).is_ok_and(|l| l == c.len)
        && <[u8; 32]>::from(Sha256::digest(bytes)) == c.hash
}

/// Encrypts everything `plaintext` yields, in chunks, handing each
/// ciphertext chunk to `sink` as it is made; refuses a document longer
/// than `max_len`. Returns the manifest (whose `address()` is the
/// document's content address).
pub fn encrypt<R: Read, G: rand_core::RngCore + rand_core::CryptoRng>(
    key: &DocumentKey,
    ctx: &DocContext,
    rng: &mut G,
    mut plaintext: R,
    max_len: u64,
    mut sink: impl FnMut(&ChunkRef, &[u8]) -> std::io::Result<()>,
) -> Result<Manifest, VaultError> {
    let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
    rng.fill_bytes(&mut nonce_prefix);
    let aad = ctx.bytes(CHUNK_DOMAIN);
    let mut enc = EncryptorBE32::from_aead(cipher(key), GenericArray::from_slice(&nonce_prefix));
    let mut cur = Secret::new(vec![0u8; CHUNK_SIZE]);
    let mut next = Secret::new(vec![0u8; CHUNK_SIZE]);
    let mut chunks = Vec::new();
    let mut cur_len = read_full(&mut plaintext, cur.expose_mut())?;
    let mut total = u64::try_from(cur_len).unwrap_or(u64::MAX);
    let too_large = || VaultError::TooLarge { max: max_len };
    if total > max_len {
        return Err(too_large());
    }
    let mut emit = |bytes: Vec<u8>, chunks: &mut Vec<ChunkRef>| -> Result<(), VaultError> {
        let c = chunk_ref(&bytes)?;
        sink(&c, &bytes)?;
        chunks.push(c);
        Ok(())
    };
    while cur_len == CHUNK_SIZE {
        let next_len = read_full(&mut plaintext, next.expose_mut())?;
        if next_len == 0 {
            break;
        }
        total = total.saturating_add(u64::try_from(next_len).unwrap_or(u64::MAX));
        if total > max_len || chunks.len() + 2 > MAX_CHUNKS {
            return Err(too_large());
        }
        let c = enc
            .encrypt_next(Payload {
                msg: cur.expose(),
                aad: &aad,
            })
            .map_err(|_| too_large())?;
        emit(c, &mut chunks)?;
        std::mem::swap(&mut cur, &mut next);
        cur_len = next_len;
    }
    let last = enc
        .encrypt_last(Payload {
            msg: &cur.expose()[..cur_len],
            aad: &aad,
        })
        .map_err(|_| too_large())?;
    emit(last, &mut chunks)?;
    Ok(Manifest {
        chunk_size: u32::try_from(CHUNK_SIZE).unwrap_or(u32::MAX),
        plaintext_len: total,
        nonce_prefix,
        chunks,
    })
}

/// Decrypts the document `manifest` describes, fetching chunk `i` with
/// `fetch(i, &manifest.chunks[i])` and writing the plaintext to `out` as
/// it goes. Every chunk is checked against the manifest before it is
/// decrypted. Returns the plaintext length.
///
/// Plaintext already written stays written when a later chunk fails: a
/// caller that must not keep half a document writes to a temporary file
/// and renames it only on success.
pub fn decrypt<W: Write>(
    key: &DocumentKey,
    ctx: &DocContext,
    manifest: &Manifest,
    mut fetch: impl FnMut(usize, &ChunkRef) -> std::io::Result<Vec<u8>>,
    mut out: W,
) -> Result<u64, VaultError> {
    manifest.check()?;
    let aad = ctx.bytes(CHUNK_DOMAIN);
    let mut dec = DecryptorBE32::from_aead(
        cipher(key),
        GenericArray::from_slice(&manifest.nonce_prefix),
    );
    let (last, rest) = manifest
        .chunks
        .split_last()
        .ok_or(VaultError::Manifest("no chunks"))?;
    let mut written = 0u64;
    let mut get = |i: usize, c: &ChunkRef| -> Result<Vec<u8>, VaultError> {
        let bytes = fetch(i, c)?;
        if verify_chunk(c, &bytes) {
            Ok(bytes)
        } else {
            Err(VaultError::ChunkHash { index: i })
        }
    };
    for (i, c) in rest.iter().enumerate() {
        let bytes = get(i, c)?;
        let plain = Secret::new(
            dec.decrypt_next(Payload {
                msg: &bytes,
                aad: &aad,
            })
            .map_err(|_| VaultError::Decrypt { index: i })?,
        );
        out.write_all(plain.expose())?;
        written += u64::try_from(plain.expose().len()).unwrap_or(u64::MAX);
    }
    let i = rest.len();
    let bytes = get(i, last)?;
    let plain = Secret::new(
        dec.decrypt_last(Payload {
            msg: &bytes,
            aad: &aad,
        })
        .map_err(|_| VaultError::Decrypt { index: i })?,
    );
    out.write_all(plain.expose())?;
    written += u64::try_from(plain.expose().len()).unwrap_or(u64::MAX);
    out.flush()?;
    if written != manifest.plaintext_len {
        return Err(VaultError::Length {
            expected: manifest.plaintext_len,
            got: written,
        });
    }
    Ok(written)
}
