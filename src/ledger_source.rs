//! A wallet's [`ChainSource`] over a ledger in the same process (`veil
//! demo`, `veil bench`, tests): reads go straight to RocksDB, submission and
//! status through hooks.

use std::sync::Arc;

use crate::crypto::clsag::RingMember;
use crate::crypto::regulator_ciphertext::RegulatorPublicKey;
use crate::ledger::Ledger;
use crate::tx::{AssetId, LedgerView, Transaction, TxHash};
use crate::wallet::source::{AssetInfo, ChainBlock, ChainSource, ChainTx, SourceError, TxStatus};

/// A ledger read failure, as a chain source reports it.
fn ledger(e: impl std::error::Error + Send + Sync + 'static) -> SourceError {
    SourceError::Ledger(Box::new(e))
}

/// Submission hook for [`LedgerSource`].
pub type SubmitFn = dyn Fn(&Transaction) -> Result<TxHash, SourceError> + Send + Sync;
/// Status hook for [`LedgerSource`].
pub type StatusFn = dyn Fn(&TxHash) -> Result<TxStatus, SourceError> + Send + Sync;

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
    fn tip(&self) -> Result<(u64, u64), SourceError> {
        let t = self.ledger.tip();
        let ts = self
            .ledger
            .header(t.height)
            .map_err(ledger)?
            .map_or(0, |h| h.timestamp_ms);
        Ok((t.height, ts))
    }

    fn genesis_time(&self) -> Result<u64, SourceError> {
        Ok(self
            .ledger
            .header(0)
            .map_err(ledger)?
            .map_or(0, |h| h.timestamp_ms))
    }

    fn blocks(&self, from: u64, limit: usize) -> Result<Vec<ChainBlock>, SourceError> {
        chain_blocks(&self.ledger, from, limit)
    }

    fn outputs_at(
        &self,
        asset: &AssetId,
        indices: &[u64],
    ) -> Result<Vec<(u64, RingMember)>, SourceError> {
        indices
            .iter()
            .map(|&i| {
                self.ledger.output(asset, i).map(|m| (i, m)).ok_or_else(|| {
                    SourceError::MissingOutput {
                        asset: asset.clone(),
                        index: i,
                    }
                })
            })
            .collect()
    }

    fn output_count(&self, asset: &AssetId) -> Result<u64, SourceError> {
        self.ledger.output_count(asset).map_err(ledger)
    }

    fn asset(&self, asset: &AssetId) -> Result<AssetInfo, SourceError> {
        let rec = self
            .ledger
            .asset(asset)
            .map_err(ledger)?
            .ok_or_else(|| SourceError::UnknownAsset(asset.clone()))?;
        Ok(AssetInfo {
            id: asset.clone(),
            decimals: rec.decimals,
        })
    }

    fn regulator_key(&self) -> Result<RegulatorPublicKey, SourceError> {
        let next = self.ledger.next_height();
        self.ledger
            .keys_in_force(next)
            .map_err(ledger)?
            .first()
            .map(|(_, k)| *k)
            .ok_or(SourceError::NoRegulatorKey)
    }

    fn submit(&self, tx: &Transaction) -> Result<TxHash, SourceError> {
        (self.submit)(tx)
    }

    fn tx_status(&self, hash: &TxHash) -> Result<TxStatus, SourceError> {
        (self.status)(hash)
    }
}

/// Reads blocks `from..from+limit` of a ledger with their output indices.
pub fn chain_blocks(
    ledger: &Ledger,
    from: u64,
    limit: usize,
) -> Result<Vec<ChainBlock>, SourceError> {
    let tip = ledger.tip().height;
    let mut out = Vec::new();
    let mut h = from;
    while h <= tip && out.len() < limit {
        let Some(block) = ledger.block(h).map_err(self::ledger)? else {
            break;
        };
        let mut txs = Vec::with_capacity(block.txs.len());
        for tx in block.txs {
            let hash = tx.hash()?;
            let first_output = match tx.outputs().and_then(|(_, b)| b.outputs.first()) {
                None => 0,
                Some(o) => ledger
                    .output_location(&o.one_time_key)
                    .map_err(self::ledger)?
                    .map(|(_, i)| i)
                    .ok_or(SourceError::Malformed(
                        "an output the ledger has not indexed",
                    ))?,
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
