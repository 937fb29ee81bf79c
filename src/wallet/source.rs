//! Where a wallet reads the chain from: the node's HTTP API
//! ([`super::client::HttpSource`]) or, in-process, a [`Ledger`]
//! ([`LedgerSource`], used by `veil demo` and tests).

use std::sync::Arc;

use crate::crypto::clsag::RingMember;
use crate::crypto::regulator::RegulatorPublicKey;
use crate::ledger::Ledger;
use crate::tx::{AssetId, LedgerView, Transaction, TxHash};

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

/// Submission hook for [`LedgerSource`].
pub type SubmitFn = dyn Fn(&Transaction) -> anyhow::Result<TxHash> + Send + Sync;
/// Status hook for [`LedgerSource`].
pub type StatusFn = dyn Fn(&TxHash) -> anyhow::Result<TxStatus> + Send + Sync;

/// Reads a ledger in-process; submission goes through the given hooks.
pub struct LedgerSource {
    /// The ledger.
    pub ledger: Arc<Ledger>,
    /// How to submit.
    pub submit: Box<SubmitFn>,
    /// How to ask for status.
    pub status: Box<StatusFn>,
}

impl ChainSource for LedgerSource {
    fn tip(&self) -> anyhow::Result<(u64, u64)> {
        let t = self.ledger.tip();
        let ts = self.ledger.header(t.height)?.map_or(0, |h| h.timestamp_ms);
        Ok((t.height, ts))
    }

    fn genesis_time(&self) -> anyhow::Result<u64> {
        Ok(self.ledger.header(0)?.map_or(0, |h| h.timestamp_ms))
    }

    fn blocks(&self, from: u64, limit: usize) -> anyhow::Result<Vec<ChainBlock>> {
        chain_blocks(&self.ledger, from, limit)
    }

    fn outputs_at(
        &self,
        asset: &AssetId,
        indices: &[u64],
    ) -> anyhow::Result<Vec<(u64, RingMember)>> {
        indices
            .iter()
            .map(|&i| {
                self.ledger
                    .output(asset, i)
                    .map(|m| (i, m))
                    .ok_or_else(|| anyhow::anyhow!("output {i} of {asset} not found"))
            })
            .collect()
    }

    fn output_count(&self, asset: &AssetId) -> anyhow::Result<u64> {
        Ok(self.ledger.output_count(asset)?)
    }

    fn asset(&self, asset: &AssetId) -> anyhow::Result<AssetInfo> {
        let rec = self
            .ledger
            .asset(asset)?
            .ok_or_else(|| anyhow::anyhow!("unknown asset {asset}"))?;
        Ok(AssetInfo {
            id: asset.clone(),
            decimals: rec.decimals,
        })
    }

    fn regulator_key(&self) -> anyhow::Result<RegulatorPublicKey> {
        let next = self.ledger.next_height();
        self.ledger
            .keys_in_force(next)?
            .first()
            .map(|(_, k)| *k)
            .ok_or_else(|| anyhow::anyhow!("no regulator key is in force for the next block"))
    }

    fn submit(&self, tx: &Transaction) -> anyhow::Result<TxHash> {
        (self.submit)(tx)
    }

    fn tx_status(&self, hash: &TxHash) -> anyhow::Result<TxStatus> {
        (self.status)(hash)
    }
}

/// Reads blocks `from..from+limit` of a ledger with their output indices.
pub fn chain_blocks(ledger: &Ledger, from: u64, limit: usize) -> anyhow::Result<Vec<ChainBlock>> {
    let tip = ledger.tip().height;
    let mut out = Vec::new();
    let mut h = from;
    while h <= tip && out.len() < limit {
        let Some(block) = ledger.block(h)? else { break };
        let mut txs = Vec::with_capacity(block.txs.len());
        for tx in block.txs {
            let hash = tx.hash();
            let first_output = match tx.outputs().and_then(|(_, b)| b.outputs.first()) {
                None => 0,
                Some(o) => ledger
                    .output_location(&o.one_time_key)?
                    .map(|(_, i)| i)
                    .ok_or_else(|| anyhow::anyhow!("output of {hash} not indexed"))?,
            };
            txs.push(ChainTx {
                hash,
                tx,
                first_output,
            });
        }
        out.push(ChainBlock {
            height: h,
            timestamp_ms: block.header.timestamp_ms,
            txs,
        });
        h += 1;
    }
    Ok(out)
}
