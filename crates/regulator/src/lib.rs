//! The regulator's side: key hierarchy in keystores, authenticated and
//! audited queries, local decryption of the verifiable ciphertexts, views
//! and day-end reports.
//!
//! The node never holds a regulator secret: it serves ciphertexts (and
//! records the access); this module decrypts them on the regulator's (or
//! auditor's) own machine.

pub mod credentials;
pub mod view;

use std::time::Duration;

use anyhow::{anyhow, Context};
use rand_core::{OsRng, RngCore};

use veil_client::types::{Problem, RegulatorTransfersJson, RegulatorTxJson};
use veil_tx::access::RegulatorRequest;

use credentials::Credentials;

/// How long a signed request stays valid.
pub const REQUEST_LIFETIME: Duration = Duration::from_secs(120);

/// A fresh signed request for `GET target`.
pub fn signed_request(creds: &Credentials, target: &str) -> RegulatorRequest {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let expires =
        veil_clock::now_ms() + u64::try_from(REQUEST_LIFETIME.as_millis()).unwrap_or(120_000);
    RegulatorRequest::sign(
        &creds.signer(),
        creds.delegation().cloned(),
        "GET",
        target,
        nonce,
        expires,
    )
}

/// `GET target` with regulator authentication; returns the JSON body.
pub fn authenticated_get<T: serde::de::DeserializeOwned>(
    api: &str,
    creds: &Credentials,
    target: &str,
) -> anyhow::Result<T> {
    let req = signed_request(creds, target);
    let url = format!("{}{}", api.trim_end_matches('/'), target);
    match ureq::get(&url)
        .set(
            "Authorization",
            &format!("Veil-Regulator {}", hex::encode(req.credential())),
        )
        .timeout(Duration::from_secs(120))
        .call()
    {
        Ok(r) => r.into_json().with_context(|| format!("decoding {url}")),
        Err(ureq::Error::Status(code, r)) => match r.into_json::<Problem>() {
            Ok(p) => Err(anyhow!("{} ({code}): {}", p.title, p.detail)),
            Err(_) => Err(anyhow!("{url}: HTTP {code}")),
        },
        Err(e) => Err(anyhow!("cannot reach the node at {url}: {e}")),
    }
}

/// Fetches every transfer and mint in `from..=to` (`to = None`: the tip),
/// in audited requests of at most 1000 blocks. `filters` is appended to
/// each query (e.g. `&bank=bank-a`) so the audit trail shows what was
/// asked for. Returns the transactions and the access records left.
pub fn fetch_transactions(
    api: &str,
    creds: &Credentials,
    from: u64,
    to: Option<u64>,
    filters: &str,
) -> anyhow::Result<(Vec<RegulatorTxJson>, Vec<String>)> {
    let tip = veil_wallet::client::HttpSource::new(api).status()?.height;
    if from > tip {
        anyhow::bail!("from-height {from} is beyond the chain tip ({tip})");
    }
    let to = to.unwrap_or(tip).min(tip);
    let mut txs = Vec::new();
    let mut records = Vec::new();
    let mut start = from;
    while start <= to {
        let end = to.min(start.saturating_add(veil_client::MAX_REGULATOR_BLOCKS - 1));
        let target = format!("/v1/regulator/transfers?from={start}&to={end}{filters}");
        let page: RegulatorTransfersJson = authenticated_get(api, creds, &target)?;
        records.push(page.access_record);
        txs.extend(page.transactions);
        if end == u64::MAX {
            break;
        }
        start = end + 1;
    }
    Ok((txs, records))
}
