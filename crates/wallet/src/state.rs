//! What a wallet remembers between runs (stored inside its encrypted
//! keystore): scan position, owned outputs with their openings, history,
//! and transactions sent but not yet seen in a block.

use serde::{Deserialize, Serialize};

pub use veil_keystore::SecretHex;

/// Where an owned output went.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Spent {
    /// The spending transaction.
    pub tx: String,
    /// Its height, once committed.
    pub height: Option<u64>,
}

/// An output the wallet owns.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OwnedRecord {
    /// Asset.
    pub asset: String,
    /// Global index within the asset.
    pub global_index: u64,
    /// One-time key, hex.
    pub key: String,
    /// Commitment, hex.
    pub commitment: String,
    /// Amount, minor units.
    pub amount: u64,
    /// Commitment blinding.
    pub blinding: SecretHex,
    /// `k` with `P = k·G + B`.
    pub key_offset: SecretHex,
    /// Key image, hex.
    pub key_image: String,
    /// Height it was created at.
    pub height: u64,
    /// Creating transaction, hex.
    pub tx: String,
    /// Its memo (lossy UTF-8).
    pub memo: String,
    /// Spending transaction, if any.
    pub spent: Option<Spent>,
}

/// A line of history.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Transaction hash, hex.
    pub tx: String,
    /// Block height (none while pending).
    pub height: Option<u64>,
    /// `"in"` or `"out"`.
    pub direction: String,
    /// Asset.
    pub asset: String,
    /// Amount received, or sent to others (excluding fee and change).
    pub amount: u64,
    /// Fee paid (outgoing only).
    pub fee: u64,
    /// Memo.
    pub memo: String,
    /// Receiver address (outgoing, when known).
    pub counterparty: Option<String>,
}

/// A transaction this wallet built and has not yet seen committed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingTx {
    /// Hash, hex.
    pub tx: String,
    /// Asset.
    pub asset: String,
    /// Paid to others.
    pub amount: u64,
    /// Change back to this wallet.
    pub change: u64,
    /// Fee.
    pub fee: u64,
    /// Memo.
    pub memo: String,
    /// Receiver.
    pub to: String,
    /// Key images it spends, hex.
    pub key_images: Vec<String>,
}

/// What a sender keeps of a transfer it made, for payment proofs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SentRecord {
    /// The transaction secret `r`.
    pub tx_secret: SecretHex,
    /// The receiver's address.
    pub to: String,
}

/// The wallet's persistent state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WalletState {
    /// Secrets of transfers this wallet sent, by transaction hash.
    #[serde(default)]
    pub sent: std::collections::BTreeMap<String, SentRecord>,
    /// Next block height to scan.
    pub next_height: u64,
    /// Owned outputs.
    pub outputs: Vec<OwnedRecord>,
    /// History, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Sent, not yet committed.
    pub pending: Vec<PendingTx>,
}
