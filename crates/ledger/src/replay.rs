//! Re-executing a chain: every block is executed again in validator mode on
//! top of a ledger holding the same genesis, and the resulting header must
//! equal the recorded one byte for byte (so the state root, the transaction
//! root and the parent link all agree). Crash tests use it to compare a
//! restarted node with a replay; block sync uses it to catch up.

use super::block::Header;
use super::chain::{Ledger, StoredBlock};
use super::execute::{execute, BlockContext, ExecError, Mode, RegistryUpdates};
use super::records::Tip;

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A block did not execute.
    #[error("block {height}: {source}")]
    Exec {
        /// Height.
        height: u64,
        /// Why.
        source: ExecError,
    },
    /// Executing a block produced another header.
    #[error("block {height}: re-execution gives header {computed}, the chain has {recorded}")]
    Mismatch {
        /// Height.
        height: u64,
        /// Hash computed.
        computed: String,
        /// Hash recorded.
        recorded: String,
    },
}

/// Replays `block` on top of `ledger` and commits it if its header matches.
pub fn replay_block(ledger: &Ledger, block: StoredBlock) -> Result<Tip, ReplayError> {
    let h: &Header = &block.header;
    let height = h.height;
    let ctx = BlockContext {
        chain_id: h.chain_id.to_string(),
        height,
        parent: h.parent,
        timestamp_ms: h.timestamp_ms,
        proposer: h.proposer,
    };
    let executed = execute(
        ledger,
        ctx,
        RegistryUpdates::default(),
        block.txs,
        &|_| false,
        Mode::Validate,
    )
    .map_err(|source| ReplayError::Exec { height, source })?;
    if executed.header != block.header {
        return Err(ReplayError::Mismatch {
            height,
            computed: executed.header.hash().to_string(),
            recorded: block.header.hash().to_string(),
        });
    }
    ledger.commit(executed).map_err(|e| ReplayError::Exec {
        height,
        source: e.into(),
    })?;
    Ok(ledger.tip())
}
