//! Where a wallet reads the chain from: the node's HTTP API
//! ([`super::client::HttpSource`]) or, in-process, a ledger (the `veil`
//! binary's `ledger_source`, used by `veil demo` and tests).

use veil_crypto::clsag::RingMember;
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_tx::{AssetId, Transaction, TxHash};

/// A transaction in a block, with the global index of its first output.
#[derive(Clone, Debug)]
pub struct ChainTx {
    /// Hash.
    pub hash: TxHash,
    /// The transaction.
    pub tx: Transaction,
    /// Global index (within its asset) of output 0; outputs are consecutive.
    pub first_output: u64,
}

/// A block as a wallet needs it.
#[derive(Clone, Debug)]
pub struct ChainBlock {
    /// Height.
    pub height: u64,
    /// Block time.
    pub timestamp_ms: u64,
    /// Transactions in order.
    pub txs: Vec<ChainTx>,
}

/// An asset's public facts.
#[derive(Clone, Debug)]
pub struct AssetInfo {
    /// Ticker.
    pub id: AssetId,
    /// Decimal places.
    pub decimals: u8,
}

/// Status of a submitted transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// In the mempool.
    Pending,
    /// In a block at this height.
    Committed(u64),
    /// Unknown to the node.
    NotFound,
}

/// Chain access for a wallet. Errors are reported as text: they end at the
/// user.
pub trait ChainSource {
    /// Height of the tip and its timestamp.
    fn tip(&self) -> anyhow::Result<(u64, u64)>;
    /// Timestamp of the genesis block.
    fn genesis_time(&self) -> anyhow::Result<u64>;
    /// Up to `limit` blocks from `from`.
    fn blocks(&self, from: u64, limit: usize) -> anyhow::Result<Vec<ChainBlock>>;
    /// The outputs at these global indices.
    fn outputs_at(
        &self,
        asset: &AssetId,
        indices: &[u64],
    ) -> anyhow::Result<Vec<(u64, RingMember)>>;
    /// Number of outputs of `asset`.
    fn output_count(&self, asset: &AssetId) -> anyhow::Result<u64>;
    /// Facts about `asset`.
    fn asset(&self, asset: &AssetId) -> anyhow::Result<AssetInfo>;
    /// The regulator key transfers must be encrypted to.
    fn regulator_key(&self) -> anyhow::Result<RegulatorPublicKey>;
    /// Submits a transaction.
    fn submit(&self, tx: &Transaction) -> anyhow::Result<TxHash>;
    /// Status of a transaction.
    fn tx_status(&self, hash: &TxHash) -> anyhow::Result<TxStatus>;
}
