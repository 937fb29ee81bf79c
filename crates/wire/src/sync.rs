//! Catch-up messages between peers: tip announcements, requests (one per
//! bidirectional stream) and their answers. Layouts are in
//! `docs/network.md` ("Sync" and "State sync"); every decoder is bounded
//! and refuses trailing bytes.
//!
//! ```text
//! status         = u64 height ‖ block hash 32
//! request        = u8 1 ‖ u32 n ‖ n × tx hash 32                 (bodies)
//!                | u8 2 ‖ u64 from ‖ u16 max                      (blocks)
//!                | u8 3                                           (snapshot manifest)
//!                | u8 4 ‖ u64 height ‖ u16 file ‖ u64 offset      (snapshot chunk)
//!                | u8 5 ‖ content address 32                      (vault manifest)
//!                | u8 6 ‖ chunk SHA-256 32                        (vault chunk)
//! bodies answer  = u32 n ‖ n × (u32 len ‖ transaction)
//! blocks answer  = u32 n ‖ n × (u32 len ‖ header ‖ u32 len ‖ commit certificate ‖ bodies answer)
//! manifest       = u64 height ‖ u16 n ‖ n × (u16 len ‖ file name ‖ u64 size)
//! chunk answer   = u32 len ‖ bytes
//! vault answer   = the manifest's encoding or the chunk's bytes; empty if not held
//! ```

use veil_codec::{Decode, DecodeError, Encode, EncodeError, Reader, Writer};
use veil_tx::limits::MAX_TX_BYTES;
use veil_tx::{Transaction, TxHash};

use crate::block::{BlockHash, Header};
use crate::consensus::MAX_BLOCK_TXS;

/// Most blocks per blocks answer.
pub const MAX_BLOCKS: u16 = 64;
/// Longest encoded header accepted in a blocks answer.
pub const MAX_HEADER_BYTES: usize = 256;
/// Longest encoded commit certificate accepted in a blocks answer.
pub const MAX_CERTIFICATE_BYTES: usize = 128 * 1024;
/// Snapshot chunk size.
pub const CHUNK: usize = 1 << 20;
/// Most files in a snapshot manifest.
pub const MAX_FILES: usize = 10_000;
/// Longest file name in a snapshot manifest.
pub const MAX_NAME: usize = 128;

/// A tip announcement.
pub fn status_bytes(height: u64, hash: &BlockHash) -> Vec<u8> {
    [&height.to_le_bytes()[..], &hash.0].concat()
}

/// Decodes a tip announcement.
pub fn decode_status(b: &[u8]) -> Result<(u64, BlockHash), DecodeError> {
    let mut r = Reader::new(b);
    let h = r.u64("height")?;
    let hash = BlockHash(r.array("block hash")?);
    r.finish()?;
    Ok((h, hash))
}

/// What a peer asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Transaction bodies by hash (from the mempool or committed blocks).
    Txs(Vec<TxHash>),
    /// Up to `max` committed blocks with certificates, from height `from`.
    Blocks {
        /// First height.
        from: u64,
        /// Most blocks (the answer holds at most [`MAX_BLOCKS`]).
        max: u16,
    },
    /// The newest state snapshot's manifest.
    Manifest,
    /// A chunk of one snapshot file.
    Chunk {
        /// The snapshot's height.
        height: u64,
        /// Index of the file in the manifest.
        file: u16,
        /// Byte offset in the file.
        offset: u64,
    },
    /// An evidence-vault manifest by content address (answer: its
    /// encoding, or nothing).
    VaultManifest([u8; 32]),
    /// An evidence-vault chunk by its SHA-256 (answer: its bytes, or
    /// nothing).
    VaultChunk([u8; 32]),
}

impl Encode for Request {
    fn write(&self, w: &mut Writer) {
        match self {
            Self::Txs(hashes) => {
                w.u8(1);
                w.len_u32("hash count", hashes.len(), MAX_BLOCK_TXS);
                for h in hashes {
                    w.bytes(&h.0);
                }
            }
            Self::Blocks { from, max } => {
                w.u8(2);
                w.u64(*from);
                w.u16(*max);
            }
            Self::Manifest => w.u8(3),
            Self::Chunk {
                height,
                file,
                offset,
            } => {
                w.u8(4);
                w.u64(*height);
                w.u16(*file);
                w.u64(*offset);
            }
            Self::VaultManifest(a) => {
                w.u8(5);
                w.bytes(a);
            }
            Self::VaultChunk(h) => {
                w.u8(6);
                w.bytes(h);
            }
        }
    }
}

/// Bounded: at most [`MAX_BLOCK_TXS`] hashes.
impl Decode for Request {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(match r.u8("request tag")? {
            1 => {
                let n = r.len_u32("hash count", MAX_BLOCK_TXS)?;
                let mut hashes = Vec::with_capacity(n);
                for _ in 0..n {
                    hashes.push(TxHash(r.array("tx hash")?));
                }
                Self::Txs(hashes)
            }
            2 => Self::Blocks {
                from: r.u64("from")?,
                max: r.u16("max")?,
            },
            3 => Self::Manifest,
            4 => Self::Chunk {
                height: r.u64("snapshot height")?,
                file: r.u16("file")?,
                offset: r.u64("offset")?,
            },
            5 => Self::VaultManifest(r.array("manifest address")?),
            6 => Self::VaultChunk(r.array("chunk hash")?),
            _ => {
                return Err(DecodeError::Invalid {
                    what: "request tag",
                    why: "unknown",
                })
            }
        })
    }
}

/// Appends a bodies answer: `u32 n ‖ n × (u32 len ‖ transaction)`.
pub fn put_txs(w: &mut Writer, txs: &[Vec<u8>]) {
    w.len_u32("tx count", txs.len(), MAX_BLOCK_TXS);
    for t in txs {
        w.len_u32("tx length", t.len(), MAX_TX_BYTES);
        w.bytes(t);
    }
}

/// Reads a bodies answer (each transaction decoded and bounded).
pub fn get_txs(r: &mut Reader<'_>) -> Result<Vec<Transaction>, DecodeError> {
    let n = r.len_u32("tx count", MAX_BLOCK_TXS)?;
    let mut txs = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let len = r.len_u32("tx length", MAX_TX_BYTES)?;
        txs.push(Transaction::decode(r.bytes(len, "tx")?)?);
    }
    Ok(txs)
}

/// Decodes a whole bodies answer.
pub fn decode_txs(b: &[u8]) -> Result<Vec<Transaction>, DecodeError> {
    let mut r = Reader::new(b);
    let txs = get_txs(&mut r)?;
    r.finish()?;
    Ok(txs)
}

/// One block of a blocks answer.
#[derive(Clone, Debug)]
pub struct SyncedBlock {
    /// The header.
    pub header: Header,
    /// The commit certificate's bytes (checked by the receiver against its
    /// own validator set).
    pub certificate: Vec<u8>,
    /// The bodies, in block order.
    pub txs: Vec<Transaction>,
}

/// A block as stored: encoded header, encoded commit certificate, encoded
/// transactions.
pub type EncodedBlock = (Vec<u8>, Vec<u8>, Vec<Vec<u8>>);

/// Encodes a blocks answer from encoded headers, certificates and bodies.
pub fn encode_blocks(blocks: &[EncodedBlock]) -> Result<Vec<u8>, EncodeError> {
    let mut w = Writer::new();
    w.len_u32("block count", blocks.len(), usize::from(MAX_BLOCKS));
    for (header, cert, txs) in blocks {
        w.len_u32("header length", header.len(), MAX_HEADER_BYTES);
        w.bytes(header);
        w.len_u32("certificate length", cert.len(), MAX_CERTIFICATE_BYTES);
        w.bytes(cert);
        put_txs(&mut w, txs);
    }
    w.finish()
}

/// Decodes a blocks answer (at most [`MAX_BLOCKS`] blocks).
pub fn decode_blocks(b: &[u8]) -> Result<Vec<SyncedBlock>, DecodeError> {
    let mut r = Reader::new(b);
    let n = r.len_u32("block count", usize::from(MAX_BLOCKS))?;
    let mut blocks = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.len_u32("header length", MAX_HEADER_BYTES)?;
        let header = Header::decode(r.bytes(len, "header")?)?;
        let len = r.len_u32("certificate length", MAX_CERTIFICATE_BYTES)?;
        let certificate = r.bytes(len, "certificate")?.to_vec();
        let txs = get_txs(&mut r)?;
        blocks.push(SyncedBlock {
            header,
            certificate,
            txs,
        });
    }
    r.finish()?;
    Ok(blocks)
}

/// What a peer offers as a state snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Height of the snapshot's tip.
    pub height: u64,
    /// Files (name, size).
    pub files: Vec<(String, u64)>,
}

/// A manifest with more than [`MAX_FILES`] files or a name longer than
/// [`MAX_NAME`] is refused, never truncated.
impl Encode for Manifest {
    fn write(&self, w: &mut Writer) {
        w.u64(self.height);
        w.count_u16("file count", self.files.len(), 0, MAX_FILES);
        for (name, size) in &self.files {
            w.bytes_u16("name length", name.as_bytes(), 1, MAX_NAME);
            w.u64(*size);
        }
    }
}

/// Names must be plain file names.
impl Decode for Manifest {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let height = r.u64("snapshot height")?;
        let n = r.count_u16("file count", 0, MAX_FILES)?;
        let mut files = Vec::with_capacity(n);
        for _ in 0..n {
            let len = r.count_u16("name length", 1, MAX_NAME)?;
            let name = std::str::from_utf8(r.bytes(len, "file name")?)
                .map_err(|_| DecodeError::Invalid {
                    what: "file name",
                    why: "not UTF-8",
                })?
                .to_owned();
            if !plain_name(&name) {
                return Err(DecodeError::Invalid {
                    what: "file name",
                    why: "not a plain file name",
                });
            }
            files.push((name, r.u64("file size")?));
        }
        Ok(Self { height, files })
    }
}

/// Whether `name` is a plain file name: no separators, no leading dot.
pub fn plain_name(name: &str) -> bool {
    !name.starts_with('.')
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'-')
}

/// Encodes a chunk answer.
pub fn encode_chunk(bytes: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut w = Writer::with_capacity(4 + bytes.len());
    w.len_u32("chunk length", bytes.len(), CHUNK);
    w.bytes(bytes);
    w.finish()
}

/// Decodes a chunk answer (at most [`CHUNK`] bytes).
pub fn decode_chunk(b: &[u8]) -> Result<&[u8], DecodeError> {
    let mut r = Reader::new(b);
    let len = r.len_u32("chunk length", CHUNK)?;
    let bytes = r.bytes(len, "chunk")?;
    r.finish()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use veil_codec::DecodeExt;

    #[test]
    fn requests_round_trip_and_refuse_garbage() {
        let reqs = [
            Request::Txs(vec![TxHash([1; 32]), TxHash([2; 32])]),
            Request::Blocks { from: 7, max: 64 },
            Request::Manifest,
            Request::Chunk {
                height: 100,
                file: 3,
                offset: 1 << 20,
            },
        ];
        for r in &reqs {
            let b = r.encode().unwrap();
            assert_eq!(&Request::decode(&b).unwrap(), r);
            for cut in 0..b.len() {
                assert!(Request::decode(&b[..cut]).is_err());
            }
            let mut long = b.clone();
            long.push(0);
            assert!(Request::decode(&long).is_err());
        }
        assert!(Request::decode(&[9]).is_err());
        // A hash count above the bound is refused before allocating.
        assert!(Request::decode(&[1, 0xff, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn manifest_refuses_what_does_not_fit() {
        let m = Manifest {
            height: 5,
            files: vec![("CURRENT".into(), 16), ("000012.sst".into(), 1 << 30)],
        };
        assert_eq!(Manifest::decode(&m.encode().unwrap()).unwrap(), m);
        let long = Manifest {
            height: 5,
            files: vec![("x".repeat(MAX_NAME + 1), 1)],
        };
        assert!(long.encode().is_err());
        let many = Manifest {
            height: 5,
            files: vec![("a".into(), 1); MAX_FILES + 1],
        };
        assert!(many.encode().is_err());
        for bad in ["../etc", ".hidden", "a/b"] {
            let m = Manifest {
                height: 1,
                files: vec![(bad.into(), 1)],
            };
            assert!(Manifest::decode(&m.encode().unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_round_trip() {
        assert_eq!(
            decode_chunk(&encode_chunk(b"abc").unwrap()).unwrap(),
            b"abc"
        );
        assert!(decode_chunk(&[0xff, 0xff, 0xff, 0x7f]).is_err());
        assert!(decode_txs(&[0, 0, 0, 0]).unwrap().is_empty());
        assert!(decode_blocks(&encode_blocks(&[]).unwrap())
            .unwrap()
            .is_empty());
        assert!(decode_blocks(&[65, 0, 0, 0]).is_err());
    }
}
