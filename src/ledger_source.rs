//! A wallet's [`ChainSource`] over a ledger in the same process (`veil
//! demo`, `veil bench`, tests): reads go straight to RocksDB, submission and
//! status through hooks.

use std::sync::Arc;

use crate::crypto::clsag::RingMember;
use crate::crypto::regulator_ciphertext::RegulatorPublicKey;
use crate::ledger::Ledger;
use crate::tx::{AssetId, LedgerView, Transaction, TxHash};
use crate::wallet::source::{AssetInfo, ChainBlock, ChainSource, ChainTx, TxStatus};

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
