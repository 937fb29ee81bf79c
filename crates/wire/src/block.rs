//! Blocks: a header committing to the transactions and to the state, and a
//! body of transactions.
//!
//! ```text
//!   header = version u8 = 1 ‖ chain u32-le len ‖ chain id (≤ 64 ASCII) ‖
//!            height u64 ‖ parent 32 ‖ timestamp_ms u64 ‖ tx_root 32 ‖
//!            state_root 32 ‖ proposer 32 ‖ tx_count u32
//!   block hash = SHA-256("veil/block/v1" ‖ 0x00 ‖ header)
//!   tx_root    = Merkle root over the transaction hashes (RFC 6962 shape):
//!                leaf(h) = SHA-256("veil/tx-leaf/v1" ‖ 0x00 ‖ h),
//!                node(l, r) = SHA-256("veil/tx-node/v1" ‖ 0x00 ‖ l ‖ r),
//!                split at the largest power of two below n; empty = SHA-256("veil/tx-empty/v1" ‖ 0x00)
//! ```
//!
//! The state root is the root of the Jellyfish Merkle tree over ledger
//! state after the block ([`super::tree`]).

use std::fmt;

use veil_codec::{DecodeError, Reader};
use veil_crypto::hash::hash256;
use veil_tx::TxHash;

/// Header format version.
pub const HEADER_VERSION: u8 = 1;
/// Longest chain identifier.
pub const MAX_CHAIN_ID: usize = 64;

/// A block's identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BlockHash(pub [u8; 32]);

impl fmt::Display for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockHash({self})")
    }
}

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Which chain this block belongs to.
    pub chain_id: ChainId,
    /// Height (genesis is 0).
    pub height: u64,
    /// Hash of the previous block (zero for genesis).
    pub parent: BlockHash,
    /// Milliseconds since the Unix epoch, as proposed.
    pub timestamp_ms: u64,
    /// Merkle root of the transaction hashes.
    pub tx_root: [u8; 32],
    /// Root of the state tree after this block.
    pub state_root: [u8; 32],
    /// The proposer's node key (zero for a single dev node).
    pub proposer: [u8; 32],
    /// Number of transactions.
    pub tx_count: u32,
}

/// A chain identifier: 1 to [`MAX_CHAIN_ID`] bytes of UTF-8.
/// Validated once, so every encoding that carries it (headers, vote and
/// proposal signatures, the QUIC hello) is infallible.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainId {
    id: String,
    len: u8,
}

impl ChainId {
    /// Validates an identifier.
    pub fn new(s: &str) -> Result<Self, DecodeError> {
        veil_codec::check_range("chain id length", s.len(), 1, MAX_CHAIN_ID)?;
        let len = u8::try_from(s.len()).map_err(|_| DecodeError::Invalid {
            what: "chain id",
            why: "too long",
        })?;
        Ok(Self {
            id: s.to_owned(),
            len,
        })
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// `u8 len ‖ id`, the form signatures cover.
    pub fn tagged(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(1 + self.id.len());
        b.push(self.len);
        b.extend_from_slice(self.id.as_bytes());
        b
    }

    fn len_u32(&self) -> [u8; 4] {
        u32::from(self.len).to_le_bytes()
    }
}

impl std::str::FromStr for ChainId {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl fmt::Debug for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainId({})", self.id)
    }
}

impl PartialEq<str> for ChainId {
    fn eq(&self, other: &str) -> bool {
        self.id == other
    }
}

impl Header {
    /// The canonical encoding (fixed layout around a validated chain id,
    /// so it cannot fail).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 4 + self.chain_id.id.len() + 8 + 32 + 8 + 3 * 32 + 4);
        out.push(HEADER_VERSION);
        out.extend_from_slice(&self.chain_id.len_u32());
        out.extend_from_slice(self.chain_id.id.as_bytes());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&self.parent.0);
        out.extend_from_slice(&self.timestamp_ms.to_le_bytes());
        out.extend_from_slice(&self.tx_root);
        out.extend_from_slice(&self.state_root);
        out.extend_from_slice(&self.proposer);
        out.extend_from_slice(&self.tx_count.to_le_bytes());
        out
    }

    /// Decodes a header.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = r.u8("header version")?;
        if v != HEADER_VERSION {
            return Err(DecodeError::Version(v));
        }
        let n = r.len_u32("chain id length", MAX_CHAIN_ID)?;
        let chain_id =
            ChainId::new(std::str::from_utf8(r.bytes(n, "chain id")?).map_err(|_| {
                DecodeError::Invalid {
                    what: "chain id",
                    why: "not UTF-8",
                }
            })?)?;
        let h = Self {
            chain_id,
            height: r.u64("height")?,
            parent: BlockHash(r.array("parent")?),
            timestamp_ms: r.u64("timestamp")?,
            tx_root: r.array("tx root")?,
            state_root: r.array("state root")?,
            proposer: r.array("proposer")?,
            tx_count: u32::from_le_bytes(r.array("tx count")?),
        };
        r.finish()?;
        Ok(h)
    }

    /// The block hash.
    pub fn hash(&self) -> BlockHash {
        BlockHash(hash256(b"veil/block/v1", &[&self.encode()]))
    }
}

/// The Merkle root of a list of transaction hashes.
pub fn tx_root(hashes: &[TxHash]) -> [u8; 32] {
    fn root(h: &[TxHash]) -> [u8; 32] {
        match h.len() {
            0 => hash256(b"veil/tx-empty/v1", &[]),
            1 => hash256(b"veil/tx-leaf/v1", &[&h[0].0]),
            n => {
                // The largest power of two below n.
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                let (l, r) = h.split_at(k);
                hash256(b"veil/tx-node/v1", &[&root(l), &root(r)])
            }
        }
    }
    root(hashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_hash_binds_every_field() {
        let h = Header {
            chain_id: ChainId::new("veil-test").unwrap(),
            height: 7,
            parent: BlockHash([1; 32]),
            timestamp_ms: 1_700_000_000_000,
            tx_root: [2; 32],
            state_root: [3; 32],
            proposer: [4; 32],
            tx_count: 5,
        };
        let bytes = h.encode();
        assert_eq!(Header::decode(&bytes).unwrap(), h);
        let mut h2 = h.clone();
        h2.state_root[0] ^= 1;
        assert_ne!(h.hash(), h2.hash());
        for cut in 0..bytes.len() {
            assert!(Header::decode(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn tx_root_splits_at_powers_of_two() {
        let hs: Vec<TxHash> = (0..5u8).map(|i| TxHash([i; 32])).collect();
        let leaf = |h: &TxHash| hash256(b"veil/tx-leaf/v1", &[&h.0]);
        let node = |l: [u8; 32], r: [u8; 32]| hash256(b"veil/tx-node/v1", &[&l, &r]);
        let left4 = node(
            node(leaf(&hs[0]), leaf(&hs[1])),
            node(leaf(&hs[2]), leaf(&hs[3])),
        );
        assert_eq!(tx_root(&hs), node(left4, leaf(&hs[4])));
        assert_eq!(tx_root(&hs[..2]), node(leaf(&hs[0]), leaf(&hs[1])));
        assert_ne!(tx_root(&[]), tx_root(&hs[..1]));
    }
}
