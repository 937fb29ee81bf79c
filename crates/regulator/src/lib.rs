//! The regulator's side: key hierarchy in keystores, authenticated and
//! audited queries, local decryption of the verifiable ciphertexts, views
//! and day-end reports.
//!
//! The node never holds a regulator secret: it serves ciphertexts (and
//! records the access); this module decrypts them on the regulator's (or
//! auditor's) own machine.

pub mod credentials;
pub mod session;
pub mod threshold;
pub mod view;

use std::time::Duration;

use rand_core::{OsRng, RngCore};

use veil_client::types::{RegulatorTransfersJson, RegulatorTxJson};
use veil_client::{Client, ClientError};
use veil_tx::access::RegulatorRequest;

use credentials::Credentials;

/// Why a regulator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegulatorError {
    /// The node refused the request or could not be reached (its
    /// problem+json is kept).
    #[error(transparent)]
    Api(#[from] ClientError),
    /// The range starts past the chain's tip.
    #[error("from-height {from} is beyond the chain tip ({tip})")]
    BeyondTip {
        /// The first height asked for.
        from: u64,
        /// The tip.
        tip: u64,
    },
    /// The node's participant directory holds a malformed entry.
    #[error("participant {0}: the directory's address digest is not 32 bytes of hex")]
    Directory(String),
    /// Only a regulator (not an auditor) can do this.
    #[error("only a regulator can delegate; these credentials are {0}")]
    NotRegulator(String),
    /// A keystore could not be written or read.
    #[error(transparent)]
    Keystore(#[from] veil_keystore::KeystoreError),
    /// The node answered with JSON of another shape.
    #[error("unexpected answer from the node: {0}")]
    Malformed(String),
    /// A served transaction is not hex.
    #[error("transaction {0}: not hex")]
    NotHex(String),
    /// A served transaction does not decode.
    #[error("transaction {tx}: {source}")]
    Decode {
        /// Its hash.
        tx: String,
        /// Why.
        source: veil_codec::DecodeError,
    },
    /// A served transaction names no published regulator key.
    #[error("transaction {0} uses an unpublished regulator key")]
    UnpublishedKey(String),
    /// These credentials hold no key for the epoch a transaction uses.
    #[error(
        "transaction {tx} is encrypted to epoch {epoch} (v{version}) of {jurisdiction}; these credentials ({holder}) cannot open it"
    )]
    NoEpochKey {
        /// Its hash.
        tx: String,
        /// The key's jurisdiction.
        jurisdiction: String,
        /// The epoch.
        epoch: u64,
        /// The key version.
        version: u32,
        /// Whose credentials these are.
        holder: String,
    },
    /// The regulator ciphertexts of a transaction do not open.
    #[error("transaction {tx}: {source}")]
    Open {
        /// Its hash.
        tx: String,
        /// Why.
        source: veil_tx::bundle::view::RegulatorOpenError,
    },
}

/// How long a signed request stays valid.
pub const REQUEST_LIFETIME: Duration = Duration::from_secs(120);

/// A fresh signed request for `GET target`.
pub fn signed_request(
    creds: &Credentials,
    target: &str,
) -> Result<RegulatorRequest, veil_codec::EncodeError> {
    signed_request_method(creds, "GET", target)
}

/// A fresh signed request for `method target`.
pub fn signed_request_method(
    creds: &Credentials,
    method: &str,
    target: &str,
) -> Result<RegulatorRequest, veil_codec::EncodeError> {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let expires =
        veil_clock::now_ms() + u64::try_from(REQUEST_LIFETIME.as_millis()).unwrap_or(120_000);
    RegulatorRequest::sign(
        &creds.signer(),
        creds.delegation().cloned(),
        method,
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
) -> Result<T, ClientError> {
    let req = signed_request(creds, target)?;
    Client::new(api).get_authorized(
        target,
        &format!("Veil-Regulator {}", hex::encode(req.credential()?)),
        Duration::from_secs(120),
    )
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
) -> Result<(Vec<RegulatorTxJson>, Vec<String>), RegulatorError> {
    let tip = Client::new(api).status()?.height;
    if from > tip {
        return Err(RegulatorError::BeyondTip { from, tip });
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
