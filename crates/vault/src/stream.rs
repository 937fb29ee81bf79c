//! Streaming encryption and decryption of a document version: STREAM over
//! XChaCha20-Poly1305 (the `aead` crate's `StreamBE32`; see the crate
//! docs), with the chunks of one document sealed or opened on
//! [`WORKERS`] threads at once.
//!
//! STREAM's nonce for chunk `i` is `p ‖ BE32(i) ‖ [last]`, so a chunk can
//! be sealed or opened knowing only its index and whether it is the last:
//! chunks are independent once the stream is cut, which is what lets them
//! go to several threads. The `aead` crate's `StreamPrimitive` is the
//! stateless form made for this; the sequential `EncryptorBE32` computes
//! the same nonces.
//!
//! Each document flows through a fixed pipeline: one thread reads (the
//! plaintext, or the ciphertext chunks as they arrive), [`WORKERS`]
//! threads seal or open chunk `i` on thread `i mod WORKERS`, and one
//! thread consumes the results in order (the caller's sink, or the
//! plaintext's writer). Channels between stages hold one chunk each, so
//! memory is a handful of 1 MiB chunks whatever the document's size, and
//! plaintext buffers are zeroized when dropped.

use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, SyncSender};

use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::stream::{NewStream, StreamBE32, StreamPrimitive};
use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::XChaCha20Poly1305;
use sha2::{Digest, Sha256};
use veil_secret::Secret;

use crate::manifest::{ChunkRef, Manifest, MAX_CHUNKS};
use crate::{DocContext, DocumentKey, VaultError, CHUNK_SIZE, NONCE_PREFIX_LEN, TAG_LEN};

const CHUNK_DOMAIN: &[u8] = b"veil/vault/chunk/v1";

/// Threads that seal or open chunks of one document at once.
pub const WORKERS: usize = 2;

type Stream = StreamBE32<XChaCha20Poly1305>;

fn stream(key: &DocumentKey, nonce_prefix: &[u8; NONCE_PREFIX_LEN]) -> Stream {
    Stream::from_aead(
        XChaCha20Poly1305::new(GenericArray::from_slice(key.expose())),
        GenericArray::from_slice(nonce_prefix),
    )
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

/// The sending end of the workers: item `k` goes to worker `k mod WORKERS`.
struct Feed<I> {
    to: Vec<SyncSender<I>>,
    next: usize,
}

impl<I> Feed<I> {
    /// Hands on the next item; false once the workers have stopped.
    fn send(&mut self, item: I) -> bool {
        let ok = self.to[self.next % self.to.len()].send(item).is_ok();
        self.next += 1;
        ok
    }
}

/// The receiving end: results in the order their items were fed, since
/// each worker keeps its own items' order.
struct Results<O> {
    from: Vec<Receiver<O>>,
    next: usize,
}

impl<O> Results<O> {
    fn recv(&mut self) -> Option<O> {
        let r = self.from[self.next % self.from.len()].recv().ok();
        self.next += 1;
        r
    }
}

/// Starts [`WORKERS`] threads in `scope` applying `f`. Dropping the
/// [`Feed`] lets them finish what they hold and stop; dropping the
/// [`Results`] stops them at their next result.
fn workers<'scope, I: Send + 'scope, O: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    f: &'scope (impl Fn(I) -> O + Sync),
) -> (Feed<I>, Results<O>) {
    let mut to = Vec::with_capacity(WORKERS);
    let mut from = Vec::with_capacity(WORKERS);
    for _ in 0..WORKERS {
        let (item_tx, item_rx) = std::sync::mpsc::sync_channel::<I>(1);
        let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<O>(1);
        scope.spawn(move || {
            for item in item_rx {
                if out_tx.send(f(item)).is_err() {
                    break;
                }
            }
        });
        to.push(item_tx);
        from.push(out_rx);
    }
    (Feed { to, next: 0 }, Results { from, next: 0 })
}

/// A plaintext chunk on its way to be sealed.
struct Plain {
    index: u32,
    last: bool,
    bytes: Secret<Vec<u8>>,
}

/// A fresh chunk buffer, with room for the tag so sealing never moves it.
fn chunk_buffer() -> Secret<Vec<u8>> {
    let mut v = Vec::with_capacity(CHUNK_SIZE + TAG_LEN);
    v.resize(CHUNK_SIZE, 0);
    Secret::new(v)
}

/// Cuts `plaintext` into chunks and feeds them, each marked whether it is
/// the last; the plaintext's length.
fn read_chunks<R: Read>(
    mut plaintext: R,
    max_len: u64,
    feed: &mut Feed<Plain>,
) -> Result<u64, VaultError> {
    let too_large = || VaultError::TooLarge { max: max_len };
    let mut total = 0u64;
    // Fills a fresh buffer, cut to what was read.
    let mut read = || -> Result<Secret<Vec<u8>>, VaultError> {
        let mut buf = chunk_buffer();
        let n = read_full(&mut plaintext, buf.expose_mut())?;
        buf.expose_mut().truncate(n);
        total = total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        if total > max_len {
            return Err(too_large());
        }
        Ok(buf)
    };
    let mut cur = read()?;
    let mut index = 0u32;
    loop {
        // A full chunk may be the last only if nothing follows it.
        let next = if cur.expose().len() == CHUNK_SIZE {
            Some(read()?).filter(|next| !next.expose().is_empty())
        } else {
            None
        };
        let last = next.is_none();
        if !feed.send(Plain {
            index,
            last,
            bytes: cur,
        }) {
            break;
        }
        let Some(next) = next else { break };
        index += 1;
        if usize::try_from(index).map_or(true, |i| i + 1 > MAX_CHUNKS) {
            return Err(too_large());
        }
        cur = next;
    }
    Ok(total)
}

/// Seals `plaintext` under `nonce_prefix` on the workers, handing each
/// ciphertext chunk to `sink` in order; the chunks and the plaintext's
/// length.
fn seal_stream<R: Read + Send>(
    key: &DocumentKey,
    ctx: &DocContext,
    nonce_prefix: &[u8; NONCE_PREFIX_LEN],
    plaintext: R,
    max_len: u64,
    mut sink: impl FnMut(usize, &ChunkRef, &[u8]) -> Result<(), VaultError>,
) -> Result<(Vec<ChunkRef>, u64), VaultError> {
    let aad = ctx.bytes(CHUNK_DOMAIN);
    let stream = stream(key, nonce_prefix);
    let seal = |mut p: Plain| -> Result<(ChunkRef, Vec<u8>), VaultError> {
        stream
            .encrypt_in_place(p.index, p.last, &aad, p.bytes.expose_mut())
            .map_err(|_| VaultError::TooLarge { max: max_len })?;
        // Sealed in place, the buffer holds ciphertext only: it leaves the
        // `Secret` so that it is not zeroized for nothing.
        let sealed = std::mem::take(p.bytes.expose_mut());
        Ok((chunk_ref(&sealed)?, sealed))
    };
    std::thread::scope(|s| {
        let (mut feed, mut results) = workers(s, &seal);
        let reader = s.spawn(move || read_chunks(plaintext, max_len, &mut feed));
        let mut chunks = Vec::new();
        let mut failed = None;
        while let Some(sealed) = results.recv() {
            match sealed.and_then(|(c, bytes)| sink(chunks.len(), &c, &bytes).map(|()| c)) {
                Ok(c) => chunks.push(c),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        // Stops the workers, and through them the reader.
        drop(results);
        let read = reader
            .join()
            .unwrap_or(Err(VaultError::Manifest("the plaintext reader panicked")));
        match failed {
            Some(e) => Err(e),
            None => read.map(|total| (chunks, total)),
        }
    })
}

/// Encrypts everything `plaintext` yields, in chunks, handing each
/// ciphertext chunk to `sink` in order as it is made (on the calling
/// thread; the plaintext is read on another); refuses a document longer
/// than `max_len`. Returns the manifest (whose `address()` is the
/// document's content address).
pub fn encrypt<R: Read + Send, G: rand_core::RngCore + rand_core::CryptoRng>(
    key: &DocumentKey,
    ctx: &DocContext,
    rng: &mut G,
    plaintext: R,
    max_len: u64,
    mut sink: impl FnMut(&ChunkRef, &[u8]) -> std::io::Result<()>,
) -> Result<Manifest, VaultError> {
    let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
    rng.fill_bytes(&mut nonce_prefix);
    let (chunks, total) = seal_stream(key, ctx, &nonce_prefix, plaintext, max_len, |_, c, b| {
        Ok(sink(c, b)?)
    })?;
    Ok(Manifest {
        chunk_size: u32::try_from(CHUNK_SIZE).unwrap_or(u32::MAX),
        plaintext_len: total,
        nonce_prefix,
        chunks,
    })
}

/// Encrypts `plaintext` again exactly as [`encrypt`] did when it made
/// `manifest` (same key, nonce prefix and chunks), handing each chunk to
/// `sink`; refuses with [`VaultError::Changed`] as soon as a chunk differs
/// from the manifest's, so a file that changed between the two passes is
/// never sent as the document the manifest names.
///
/// A client encrypts twice rather than keep a ciphertext copy: the first
/// pass makes the manifest (which the signed put record names, so it must
/// exist before the upload starts), the second streams the chunks to the
/// node while they are sealed.
pub fn reencrypt<R: Read + Send>(
    key: &DocumentKey,
    ctx: &DocContext,
    manifest: &Manifest,
    plaintext: R,
    mut sink: impl FnMut(&ChunkRef, &[u8]) -> std::io::Result<()>,
) -> Result<(), VaultError> {
    let (chunks, total) = seal_stream(
        key,
        ctx,
        &manifest.nonce_prefix,
        plaintext,
        manifest.plaintext_len,
        |i, c, b| {
            if manifest.chunks.get(i) != Some(c) {
                return Err(VaultError::Changed);
            }
            Ok(sink(c, b)?)
        },
    )
    .map_err(|e| match e {
        VaultError::TooLarge { .. } => VaultError::Changed,
        e => e,
    })?;
    if chunks.len() != manifest.chunks.len() || total != manifest.plaintext_len {
        return Err(VaultError::Changed);
    }
    Ok(())
}

/// Decrypts the document `manifest` describes, fetching chunk `i` with
/// `fetch(i, &manifest.chunks[i])` (on the calling thread) and writing the
/// plaintext to `out` in order as it goes (on another). Every chunk is
/// checked against the manifest before it is decrypted. Returns the
/// plaintext length.
///
/// Plaintext already written stays written when a later chunk fails: a
/// caller that must not keep half a document writes to a temporary file
/// and renames it only on success.
pub fn decrypt<W: Write + Send>(
    key: &DocumentKey,
    ctx: &DocContext,
    manifest: &Manifest,
    mut fetch: impl FnMut(usize, &ChunkRef) -> std::io::Result<Vec<u8>>,
    mut out: W,
) -> Result<u64, VaultError> {
    manifest.check()?;
    let n = manifest.chunks.len();
    if n == 0 {
        return Err(VaultError::Manifest("no chunks"));
    }
    let aad = ctx.bytes(CHUNK_DOMAIN);
    let stream = stream(key, &manifest.nonce_prefix);
    let open = |(index, c, mut bytes): (usize, ChunkRef, Vec<u8>)| {
        if !verify_chunk(&c, &bytes) {
            return Err(VaultError::ChunkHash { index });
        }
        let position = u32::try_from(index).map_err(|_| VaultError::Manifest("chunk index"))?;
        let opened = stream.decrypt_in_place(position, index + 1 == n, &aad, &mut bytes);
        // The plaintext (or what a failed open left) is zeroized on drop.
        let plain = Secret::new(bytes);
        opened.map_err(|_| VaultError::Decrypt { index })?;
        Ok(plain)
    };
    let (written, fetched) = std::thread::scope(|s| {
        let (mut feed, mut results) = workers(s, &open);
        let writer = s.spawn(move || -> Result<u64, VaultError> {
            let mut written = 0u64;
            while let Some(plain) = results.recv() {
                let plain = plain?;
                out.write_all(plain.expose())?;
                written += u64::try_from(plain.expose().len()).unwrap_or(u64::MAX);
            }
            out.flush()?;
            Ok(written)
        });
        let mut fetched = Ok(());
        for (i, c) in manifest.chunks.iter().enumerate() {
            match fetch(i, c) {
                Ok(bytes) => {
                    if !feed.send((i, *c, bytes)) {
                        break;
                    }
                }
                Err(e) => {
                    fetched = Err(VaultError::from(e));
                    break;
                }
            }
        }
        drop(feed);
        let written = writer
            .join()
            .unwrap_or(Err(VaultError::Manifest("the plaintext writer panicked")));
        (written, fetched)
    });
    let written = written?;
    fetched?;
    if written != manifest.plaintext_len {
        return Err(VaultError::Length {
            expected: manifest.plaintext_len,
            got: written,
        });
    }
    Ok(written)
}
