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

/// Why a chain source could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The node's API refused the request or could not be reached (the
    /// node's problem+json is kept).
    #[error(transparent)]
    Api(#[from] veil_client::ClientError),
    /// The transaction to submit does not fit its encoding.
    #[error("the transaction cannot be encoded: {0}")]
    Encode(#[from] veil_codec::EncodeError),
    /// The node sent bytes that do not decode.
    #[error("the node sent an undecodable {what}: {source}")]
    Decode {
        /// What it was.
        what: &'static str,
        /// Why.
        source: veil_codec::DecodeError,
    },
    /// The node sent something a wallet cannot use.
    #[error("the node sent {0}")]
    Malformed(&'static str),
    /// The node knows no such asset.
    #[error("the node knows no asset {0}")]
    UnknownAsset(AssetId),
    /// No regulator key is in force for the next block.
    #[error("no regulator key is in force for the next block")]
    NoRegulatorKey,
    /// An output the wallet asked for does not exist.
    #[error("output {index} of {asset} not found")]
    MissingOutput {
        /// Its asset.
        asset: AssetId,
        /// Its global index.
        index: u64,
    },
    /// The ledger behind an in-process source failed.
    #[error("ledger: {0}")]
    Ledger(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An in-process source refused a submission.
    #[error("submission refused: {0}")]
    Refused(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Chain access for a wallet.
pub trait ChainSource {
    /// Height of the tip and its timestamp.
    fn tip(&self) -> Result<(u64, u64), SourceError>;
    /// Timestamp of the genesis block.
    fn genesis_time(&self) -> Result<u64, SourceError>;
    /// Up to `limit` blocks from `from`.
    fn blocks(&self, from: u64, limit: usize) -> Result<Vec<ChainBlock>, SourceError>;
    /// The outputs at these global indices.
    fn outputs_at(
        &self,
        asset: &AssetId,
        indices: &[u64],
    ) -> Result<Vec<(u64, RingMember)>, SourceError>;
    /// Number of outputs of `asset`.
    fn output_count(&self, asset: &AssetId) -> Result<u64, SourceError>;
    /// Facts about `asset`.
    fn asset(&self, asset: &AssetId) -> Result<AssetInfo, SourceError>;
    /// The regulator key transfers must be encrypted to.
    fn regulator_key(&self) -> Result<RegulatorPublicKey, SourceError>;
    /// Submits a transaction.
    fn submit(&self, tx: &Transaction) -> Result<TxHash, SourceError>;
    /// Status of a transaction.
    fn tx_status(&self, hash: &TxHash) -> Result<TxStatus, SourceError>;
}
