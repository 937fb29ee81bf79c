//! The node's HTTP API as a [`ChainSource`] (blocking, `ureq`).

use std::time::Duration;

use anyhow::{anyhow, Context};

use crate::api::types::{
    BlocksJson, OutputsJson, Problem, StatusJson, SubmitResponse, TxStatusResponse,
};
use crate::crypto::clsag::RingMember;
use crate::crypto::commitment::Commitment;
use crate::crypto::regulator::RegulatorPublicKey;
use crate::crypto::stealth::OneTimeKey;
use crate::tx::{AssetId, Transaction, TxHash};

use super::source::{AssetInfo, ChainBlock, ChainSource, ChainTx, TxStatus};

/// A client of one node's API.
pub struct HttpSource {
    base: String,
    agent: ureq::Agent,
}

fn hex32(s: &str) -> anyhow::Result<[u8; 32]> {
    hex::decode(s)?
        .try_into()
        .map_err(|_| anyhow!("expected 32 bytes of hex"))
}

impl HttpSource {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8700`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(60))
                .build(),
        }
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let url = format!("{}{}", self.base, path);
        match self.agent.get(&url).call() {
            Ok(r) => r.into_json().with_context(|| format!("decoding {url}")),
            Err(e) => Err(problem(e, &url)),
        }
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> anyhow::Result<StatusJson> {
        self.get("/v1/status")
    }

    /// Submits raw transaction bytes.
    pub fn submit_bytes(&self, bytes: &[u8]) -> anyhow::Result<TxHash> {
        let url = format!("{}/v1/transactions", self.base);
        let resp: SubmitResponse = match self
            .agent
            .post(&url)
            .set("Content-Type", "application/octet-stream")
            .send_bytes(bytes)
        {
            Ok(r) => r.into_json()?,
            Err(e) => return Err(problem(e, &url)),
        };
        Ok(TxHash(hex32(&resp.hash)?))
    }

    /// `GET` of any API path, as JSON.
    pub fn get_json(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        self.get(path)
    }

    /// `POST` of a JSON body: the response, or the node's problem (so
    /// callers can tell refusals apart by their `type`).
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<Result<serde_json::Value, Problem>> {
        let url = format!("{}{}", self.base, path);
        match self.agent.post(&url).send_json(body) {
            Ok(r) => Ok(Ok(r
                .into_json()
                .with_context(|| format!("decoding {url}"))?)),
            Err(ureq::Error::Status(code, resp)) => match resp.into_json::<Problem>() {
                Ok(p) => Ok(Err(p)),
                Err(_) => Err(anyhow!("{url}: HTTP {code}")),
            },
            Err(e) => Err(problem(e, &url)),
        }
    }
}

/// Turns an HTTP error into a readable error, using the problem body.
fn problem(e: ureq::Error, url: &str) -> anyhow::Error {
    match e {
        ureq::Error::Status(code, resp) => match resp.into_json::<Problem>() {
            Ok(p) => anyhow!("{} ({}): {}", p.title, code, p.detail),
            Err(_) => anyhow!("{url}: HTTP {code}"),
        },
        ureq::Error::Transport(t) => anyhow!("cannot reach the node at {url}: {t}"),
    }
}

impl ChainSource for HttpSource {
    fn tip(&self) -> anyhow::Result<(u64, u64)> {
        let s = self.status()?;
        Ok((s.height, s.timestamp_ms))
    }

    fn genesis_time(&self) -> anyhow::Result<u64> {
        Ok(self.status()?.genesis_timestamp_ms)
    }

    fn blocks(&self, from: u64, limit: usize) -> anyhow::Result<Vec<ChainBlock>> {
        let b: BlocksJson = self.get(&format!("/v1/blocks?from={from}&limit={limit}"))?;
        b.blocks
            .into_iter()
            .map(|blk| {
                let txs = blk
                    .txs
                    .into_iter()
                    .map(|t| {
                        let tx = Transaction::decode(&hex::decode(&t.hex)?)?;
                        let hash = tx.hash();
                        if hash.to_string() != t.hash {
                            anyhow::bail!("node sent a transaction whose hash does not match");
                        }
                        Ok(ChainTx {
                            hash,
                            tx,
                            first_output: t.first_output,
                        })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
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
    ) -> anyhow::Result<Vec<(u64, RingMember)>> {
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
                        OneTimeKey::from_bytes(&hex32(&o.key)?)?,
                        Commitment::from_bytes(&hex32(&o.commitment)?)?,
                    ),
                ))
            })
            .collect()
    }

    fn output_count(&self, asset: &AssetId) -> anyhow::Result<u64> {
        let o: OutputsJson = self.get(&format!("/v1/outputs?asset={asset}&from=0&limit=0"))?;
        Ok(o.count)
    }

    fn asset(&self, asset: &AssetId) -> anyhow::Result<AssetInfo> {
        self.status()?
            .assets
            .into_iter()
            .find(|a| a.id == asset.as_str())
            .map(|a| AssetInfo {
                id: asset.clone(),
                decimals: a.decimals,
            })
            .ok_or_else(|| anyhow!("the node knows no asset {asset}"))
    }

    fn regulator_key(&self) -> anyhow::Result<RegulatorPublicKey> {
        let s = self.status()?;
        let k = s
            .regulator_key
            .ok_or_else(|| anyhow!("no regulator key is in force for the next block"))?;
        Ok(RegulatorPublicKey::from_bytes(&hex32(&k)?)?)
    }

    fn submit(&self, tx: &Transaction) -> anyhow::Result<TxHash> {
        self.submit_bytes(&tx.encode())
    }

    fn tx_status(&self, hash: &TxHash) -> anyhow::Result<TxStatus> {
        let url = format!("{}/v1/transactions/{hash}", self.base);
        match self.agent.get(&url).call() {
            Ok(r) => {
                let s: TxStatusResponse = r.into_json()?;
                Ok(match (s.status.as_str(), s.height) {
                    ("committed", Some(h)) => TxStatus::Committed(h),
                    _ => TxStatus::Pending,
                })
            }
            Err(ureq::Error::Status(404, _)) => Ok(TxStatus::NotFound),
            Err(e) => Err(problem(e, &url)),
        }
    }
}
