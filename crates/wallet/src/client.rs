//! The node's HTTP API as a [`ChainSource`]: [`HttpSource`] wraps the
//! API client ([`veil_client::Client`]) and turns its JSON into chain data.

use veil_client::types::{BlocksJson, OutputsJson, TxStatusResponse};
use veil_client::Client;
use veil_crypto::clsag::RingMember;
use veil_crypto::commitment::Commitment;
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::stealth::OneTimeKey;
use veil_tx::{AssetId, Transaction, TxHash};

use super::source::{AssetInfo, ChainBlock, ChainSource, ChainTx, SourceError, TxStatus};

/// A client of one node's API, read as a chain.
#[derive(Clone, Debug)]
pub struct HttpSource {
    client: Client,
}

fn hex32(s: &str) -> Result<[u8; 32], SourceError> {
    veil_client::hex32(s).ok_or(SourceError::Malformed("a key that is not 32 bytes of hex"))
}

fn point<T>(
    r: Result<T, veil_crypto::point::PointError>,
    what: &'static str,
) -> Result<T, SourceError> {
    r.map_err(|e| SourceError::Decode {
        what,
        source: veil_codec::DecodeError::Point { what, source: e },
    })
}

impl HttpSource {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8700`).
    pub fn new(base: &str) -> Self {
        Self {
            client: Client::new(base),
        }
    }
}

impl std::ops::Deref for HttpSource {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl ChainSource for HttpSource {
    fn tip(&self) -> Result<(u64, u64), SourceError> {
        let s = self.status()?;
        Ok((s.height, s.timestamp_ms))
    }

    fn genesis_time(&self) -> Result<u64, SourceError> {
        Ok(self.status()?.genesis_timestamp_ms)
    }

    fn blocks(&self, from: u64, limit: usize) -> Result<Vec<ChainBlock>, SourceError> {
        let b: BlocksJson = self.get(&format!("/v1/blocks?from={from}&limit={limit}"))?;
        b.blocks
            .into_iter()
            .map(|blk| {
                let txs = blk
                    .txs
                    .into_iter()
                    .map(|t| {
                        let bytes = hex::decode(&t.hex)
                            .map_err(|_| SourceError::Malformed("a transaction that is not hex"))?;
                        let tx =
                            Transaction::decode(&bytes).map_err(|source| SourceError::Decode {
                                what: "transaction",
                                source,
                            })?;
                        let hash = Transaction::hash_of(&bytes);
                        if hash.to_string() != t.hash {
                            return Err(SourceError::Malformed(
                                "a transaction whose hash does not match",
                            ));
                        }
                        Ok(ChainTx {
                            hash,
                            tx,
                            first_output: t.first_output,
                        })
                    })
                    .collect::<Result<Vec<_>, SourceError>>()?;
                Ok(ChainBlock {
                    height: blk.header.height,
                    timestamp_ms: blk.header.timestamp_ms,
                    txs,
                })
            })
            .collect()
    }

    fn outputs_at(
        &self,
        asset: &AssetId,
        indices: &[u64],
    ) -> Result<Vec<(u64, RingMember)>, SourceError> {
        let list = indices
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let o: OutputsJson = self.get(&format!("/v1/outputs?asset={asset}&indices={list}"))?;
        o.outputs
            .into_iter()
            .map(|o| {
                Ok((
                    o.index,
                    RingMember::new(
                        point(OneTimeKey::from_bytes(&hex32(&o.key)?), "one-time key")?,
                        point(Commitment::from_bytes(&hex32(&o.commitment)?), "commitment")?,
                    ),
                ))
            })
            .collect()
    }

    fn output_count(&self, asset: &AssetId) -> Result<u64, SourceError> {
        let o: OutputsJson = self.get(&format!("/v1/outputs?asset={asset}&from=0&limit=0"))?;
        Ok(o.count)
    }

    fn asset(&self, asset: &AssetId) -> Result<AssetInfo, SourceError> {
        self.status()?
            .assets
            .into_iter()
            .find(|a| a.id == asset.as_str())
            .map(|a| AssetInfo {
                id: asset.clone(),
                decimals: a.decimals,
            })
            .ok_or_else(|| SourceError::UnknownAsset(asset.clone()))
    }

    fn regulator_key(&self) -> Result<RegulatorPublicKey, SourceError> {
        let s = self.status()?;
        let k = s.regulator_key.ok_or(SourceError::NoRegulatorKey)?;
        point(RegulatorPublicKey::from_bytes(&hex32(&k)?), "regulator key")
    }

    fn submit(&self, tx: &Transaction) -> Result<TxHash, SourceError> {
        Ok(self.submit_bytes(&veil_codec::Encode::encode(tx)?)?)
    }

    fn tx_status(&self, hash: &TxHash) -> Result<TxStatus, SourceError> {
        match self.get::<TxStatusResponse>(&format!("/v1/transactions/{hash}")) {
            Ok(s) => Ok(match (s.status.as_str(), s.height) {
                ("committed", Some(h)) => TxStatus::Committed(h),
                _ => TxStatus::Pending,
            }),
            Err(veil_client::ClientError::Problem { problem, .. }) if problem.status == 404 => {
                Ok(TxStatus::NotFound)
            }
            Err(veil_client::ClientError::Status { status: 404, .. }) => Ok(TxStatus::NotFound),
            Err(e) => Err(SourceError::Api(e)),
        }
    }
}
