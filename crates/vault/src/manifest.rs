//! The manifest of a document version: everything needed to fetch, check
//! and (with the key) decrypt its chunks, and its content address.
//!
//! ```text
//!   manifest = u8 version (1) ‖ u32 chunk size ‖ u64 plaintext length
//!            ‖ nonce prefix (19) ‖ u32 n ‖ n × (chunk hash (32) ‖ u32 chunk length)
//! ```
//!
//! Integers little-endian (the codec's convention, docs/wire-format.md).

use sha2::{Digest, Sha256};
use veil_codec::{Decode, DecodeError, Encode, Reader, Writer};

use crate::{VaultError, CHUNK_SIZE, NONCE_PREFIX_LEN, TAG_LEN};

/// Most chunks in one document version (2^20 × 1 MiB = 1 TiB); a
/// deployment's own size limit is far lower.
pub const MAX_CHUNKS: usize = 1 << 20;
const FORMAT: u8 = 1;
const ADDRESS_DOMAIN: &[u8] = b"veil/vault/manifest/v1";

/// One ciphertext chunk: its SHA-256 and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkRef {
    /// SHA-256 of the ciphertext chunk (its storage key).
    pub hash: [u8; 32],
    /// Ciphertext bytes (plaintext + 16).
    pub len: u32,
}

/// A document version's manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// Plaintext bytes in all.
    pub plaintext_len: u64,
    /// The STREAM nonce prefix.
    pub nonce_prefix: [u8; NONCE_PREFIX_LEN],
    /// The chunks, in order.
    pub chunks: Vec<ChunkRef>,
}

impl Manifest {
    /// The content address: `SHA-256("veil/vault/manifest/v1" ‖ encoding)`.
    pub fn address(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(ADDRESS_DOMAIN);
        h.update(self.encode().unwrap_or_default());
        h.finalize().into()
    }

    /// Ciphertext bytes in all (what a node stores).
    pub fn ciphertext_len(&self) -> u64 {
        self.chunks.iter().map(|c| u64::from(c.len)).sum()
    }

    /// Checks that the chunk lengths are what STREAM over `plaintext_len`
    /// bytes in `chunk_size` chunks produces (every chunk full but the
    /// last, which may be empty only when it is the only one).
    pub fn check(&self) -> Result<(), VaultError> {
        let size =
            usize::try_from(self.chunk_size).map_err(|_| VaultError::Manifest("chunk size"))?;
        if size != CHUNK_SIZE {
            return Err(VaultError::Manifest("chunk size is not 1 MiB"));
        }
        let size = u64::from(self.chunk_size);
        let n =
            u64::try_from(self.chunks.len()).map_err(|_| VaultError::Manifest("chunk count"))?;
        let expected_n = self.plaintext_len.div_ceil(size).max(1);
        if n != expected_n {
            return Err(VaultError::Manifest(
                "chunk count does not match the length",
            ));
        }
        let tag = u64::try_from(TAG_LEN).unwrap_or(16);
        for (i, c) in self.chunks.iter().enumerate() {
            let i = u64::try_from(i).map_err(|_| VaultError::Manifest("chunk index"))?;
            let plain = if i + 1 < n {
                size
            } else {
                self.plaintext_len - size * (n - 1)
            };
            if u64::from(c.len) != plain + tag {
                return Err(VaultError::Manifest(
                    "a chunk length does not match the length",
                ));
            }
        }
        Ok(())
    }
}

impl Encode for Manifest {
    fn write(&self, w: &mut Writer) {
        w.u8(FORMAT);
        w.u32(self.chunk_size);
        w.u64(self.plaintext_len);
        w.bytes(&self.nonce_prefix);
        w.len_u32("chunk count", self.chunks.len(), MAX_CHUNKS);
        for c in &self.chunks {
            w.bytes(&c.hash);
            w.u32(c.len);
        }
    }
}

impl Decode for Manifest {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let format = r.u8("manifest format")?;
        if format != FORMAT {
            return Err(DecodeError::Version(format));
        }
        let chunk_size = r.u32("chunk size")?;
        let plaintext_len = r.u64("plaintext length")?;
        let nonce_prefix = r.array("nonce prefix")?;
        let n = r.len_u32("chunk count", MAX_CHUNKS)?;
        // 36 bytes per chunk must be there before anything is allocated.
        if r.remaining() < n.saturating_mul(36) {
            return Err(DecodeError::UnexpectedEnd("chunks"));
        }
        let mut chunks = Vec::with_capacity(n);
        for _ in 0..n {
            chunks.push(ChunkRef {
                hash: r.array("chunk hash")?,
                len: r.u32("chunk length")?,
            });
        }
        Ok(Self {
            chunk_size,
            plaintext_len,
            nonce_prefix,
            chunks,
        })
    }
}
