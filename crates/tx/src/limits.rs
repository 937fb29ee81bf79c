//! Hard limits of the transaction format. Every decoder checks them before
//! allocating; `docs/wire-format.md` lists them too.

use veil_crypto::clsag;

/// Largest encoded transaction, in bytes.
pub const MAX_TX_BYTES: usize = 64 * 1024;
/// Most inputs per transaction.
pub const MAX_INPUTS: usize = 16;
/// Most outputs per transaction.
pub const MAX_OUTPUTS: usize = 16;
/// Smallest ring.
pub const MIN_RING: usize = clsag::MIN_RING;
/// Largest ring.
pub const MAX_RING: usize = clsag::MAX_RING;
/// Largest encrypted output payload, in bytes.
pub const MAX_PAYLOAD: usize = 1024;
/// Largest memo, in bytes.
pub const MAX_MEMO: usize = 512;
/// Largest encrypted regulator payload, in bytes (16 outputs with full memos fit).
pub const MAX_REGULATOR_PAYLOAD: usize = 10 * 1024;
/// Longest asset ticker.
pub const MAX_ASSET_LEN: usize = 16;
/// Most transactions one block may hold beside its commit record: the
/// ceiling of the governed `max_block_txs`.
pub const MAX_BLOCK_TXS: usize = 100_000;
