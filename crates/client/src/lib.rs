//! A client of a Veil node's HTTP API: the JSON types of every request and
//! response ([`types`], shared with the server so the two cannot drift) and
//! a blocking HTTP [`Client`] (`ureq`) that turns refusals into the node's
//! problem+json ([`ClientError::Problem`]).
//!
//! The wallet, the regulator tools and the SDKs use this crate; it needs no
//! database, no async runtime and no server framework.

pub mod amount;
pub mod types;

use std::time::Duration;

use types::{Problem, StatusJson, SubmitBatchRequest, SubmitBatchResponse, SubmitResponse};
use veil_tx::TxHash;

/// Most blocks one regulator view request may cover.
pub const MAX_REGULATOR_BLOCKS: u64 = 1000;

/// Why a request to a node failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached (connection refused, timeout, TLS…).
    /// Displayed with the URL once (the transport's own message repeats
    /// it).
    #[error("cannot reach the node at {url}: {}", reason(.transport))]
    Transport {
        /// The request's URL.
        url: String,
        /// What the transport said.
        transport: Box<ureq::Transport>,
    },
    /// The node refused the request with a problem+json body.
    #[error("{} ({}): {}", .problem.title, .problem.status, .problem.detail)]
    Problem {
        /// The request's URL.
        url: String,
        /// The node's problem body.
        problem: Box<Problem>,
        /// Seconds the node asked the client to wait (`Retry-After`, on
        /// `503`), when it said.
        retry_after: Option<u64>,
    },
    /// The node answered with an error status and no problem body.
    #[error("{url}: HTTP {status}")]
    Status {
        /// The request's URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The response body was not what the API documents.
    #[error("decoding the response of {url}: {source}")]
    Decode {
        /// The request's URL.
        url: String,
        /// The decoder's complaint.
        #[source]
        source: std::io::Error,
    },
    /// What the client was to send does not fit its encoding (nothing was
    /// sent).
    #[error("the request cannot be encoded: {0}")]
    Encode(#[from] veil_tx::codec::EncodeError),
}

/// A transport failure without its URL: "connection refused", "timed out".
fn reason(t: &ureq::Transport) -> String {
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(t);
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    last.or_else(|| t.message().map(str::to_owned))
        .unwrap_or_else(|| t.kind().to_string())
}

impl ClientError {
    /// Whether the node could not be reached at all (nothing was refused).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Transport { .. })
    }

    /// The node's problem body, when it gave one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Problem { problem, .. } => Some(problem),
            _ => None,
        }
    }

    /// The seconds a busy node asked to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Problem { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A blocking client of one node's API.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish()
    }
}

impl Client {
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

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `GET` of an API path, decoded as `T`.
    pub fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = self.url(path);
        json(self.agent.get(&url).call(), url)
    }

    /// `GET` of an API path with an `Authorization` header and its own
    /// timeout (regulator requests cover up to a thousand blocks).
    pub fn get_authorized<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        authorization: &str,
        timeout: Duration,
    ) -> Result<T, ClientError> {
        let url = self.url(path);
        let call = self
            .agent
            .get(&url)
            .set("Authorization", authorization)
            .timeout(timeout)
            .call();
        json(call, url)
    }

    /// `POST` of raw bytes with an `Authorization` header, decoded as `T`.
    pub fn post_authorized<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        authorization: &str,
        body: &[u8],
    ) -> Result<T, ClientError> {
        let url = self.url(path);
        let call = self
            .agent
            .post(&url)
            .set("Authorization", authorization)
            .set("Content-Type", "application/octet-stream")
            .send_bytes(body);
        json(call, url)
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<StatusJson, ClientError> {
        self.get("/v1/status")
    }

    /// Submits raw transaction bytes; the hash the node computed.
    pub fn submit_bytes(&self, bytes: &[u8]) -> Result<TxHash, ClientError> {
        let url = self.url("/v1/transactions");
        let call = self
            .agent
            .post(&url)
            .set("Content-Type", "application/octet-stream")
            .send_bytes(bytes);
        let resp: SubmitResponse = json(call, url.clone())?;
        hex32(&resp.hash)
            .map(TxHash)
            .ok_or_else(|| ClientError::Decode {
                url,
                source: std::io::Error::other("hash is not 32 bytes of hex"),
            })
    }

    /// Submits up to 1,000 encoded transactions in one request
    /// (`POST /v1/transactions/batch`); one outcome per item, in order. A
    /// refusal of the whole batch (mempool full: 503 with `Retry-After`)
    /// is an error whose problem says so.
    pub fn submit_batch(&self, txs: &[Vec<u8>]) -> Result<SubmitBatchResponse, ClientError> {
        let url = self.url("/v1/transactions/batch");
        let body = SubmitBatchRequest {
            txs: txs.iter().map(hex::encode).collect(),
        };
        json(self.agent.post(&url).send_json(&body), url)
    }

    /// Uploads a document version (`POST /v1/vault/uploads`): the signed
    /// put record in the `Authorization` header, the vault stream
    /// (`manifest length ‖ manifest ‖ chunks`, `length` bytes) read from
    /// `stream` as it is sent, never held whole.
    pub fn vault_upload(
        &self,
        put_record: &[u8],
        stream: impl std::io::Read,
        length: u64,
    ) -> Result<types::VaultUploadJson, ClientError> {
        let url = self.url("/v1/vault/uploads");
        let call = self
            .agent
            .post(&url)
            .set("Authorization", &vault_authorization(put_record))
            .set("Content-Type", "application/octet-stream")
            .set("Content-Length", &length.to_string())
            .timeout(Duration::from_secs(3600))
            .send(stream);
        match call {
            Err(ureq::Error::Transport(t)) => {
                // The node refused early and closed the connection while
                // the body was still going out: ask again with the record
                // alone to learn why (a record the node accepts fails
                // this probe only for its missing content).
                let probe = self
                    .agent
                    .post(&url)
                    .set("Authorization", &vault_authorization(put_record))
                    .set("Content-Type", "application/octet-stream")
                    .send_bytes(&[]);
                match probe {
                    Err(ureq::Error::Status(status, resp)) => {
                        match error(ureq::Error::Status(status, resp), url.clone()) {
                            // The record passed; only its content failed.
                            e if e
                                .problem()
                                .is_some_and(|p| p.kind == "urn:veil:problem:content-mismatch") =>
                            {
                                Err(error(ureq::Error::Transport(t), url))
                            }
                            e => Err(e),
                        }
                    }
                    _ => Err(error(ureq::Error::Transport(t), url)),
                }
            }
            other => json(other, url),
        }
    }

    /// Opens a document version for download with a signed open record:
    /// the vault stream as a reader (the node has committed the record
    /// before it answers).
    pub fn vault_download(
        &self,
        doc: &str,
        version: u32,
        open_record: &[u8],
    ) -> Result<Box<dyn std::io::Read + Send + Sync + 'static>, ClientError> {
        let url = self.url(&format!(
            "/v1/vault/documents/{doc}/versions/{version}/content"
        ));
        match self
            .agent
            .get(&url)
            .set("Authorization", &vault_authorization(open_record))
            .timeout(Duration::from_secs(3600))
            .call()
        {
            Ok(r) => Ok(r.into_reader()),
            Err(e) => Err(error(e, url)),
        }
    }

    /// `GET` of any API path, as JSON.
    pub fn get_json(&self, path: &str) -> Result<serde_json::Value, ClientError> {
        self.get(path)
    }

    /// `POST` of a JSON body: the response, or the node's problem (so
    /// callers can tell refusals apart by their `type`).
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Result<serde_json::Value, Problem>, ClientError> {
        let url = self.url(path);
        match json(self.agent.post(&url).send_json(body), url) {
            Ok(v) => Ok(Ok(v)),
            Err(ClientError::Problem { problem, .. }) => Ok(Err(*problem)),
            Err(other) => Err(other),
        }
    }
}

pub use veil_codec::hex32;

/// A response's JSON body, or the error, keeping the problem body.
fn json<T: serde::de::DeserializeOwned>(
    call: Result<ureq::Response, ureq::Error>,
    url: String,
) -> Result<T, ClientError> {
    match call {
        Ok(r) => r
            .into_json()
            .map_err(|source| ClientError::Decode { url, source }),
        Err(e) => Err(error(e, url)),
    }
}

/// The `Authorization` value carrying a signed vault record.
fn vault_authorization(record: &[u8]) -> String {
    format!("Veil-Vault {}", hex::encode(record))
}

/// Turns an HTTP error into a [`ClientError`], keeping the problem body.
fn error(e: ureq::Error, url: String) -> ClientError {
    match e {
        ureq::Error::Status(status, resp) => {
            let retry_after = resp
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok());
            match resp.into_json::<Problem>() {
                Ok(p) => ClientError::Problem {
                    url,
                    problem: Box::new(p),
                    retry_after,
                },
                Err(_) => ClientError::Status { url, status },
            }
        }
        ureq::Error::Transport(t) => ClientError::Transport {
            url,
            transport: Box::new(t),
        },
    }
}
