//! The HTTP/JSON API (axum).
//!
//! Errors are RFC 9457 `application/problem+json` bodies with a stable
//! `type` (`urn:veil:problem:<code>`) and a human `detail`; malformed JSON,
//! wrong content types, oversized bodies and unknown routes included — a
//! request never gets a bare 500 or a panic. The OpenAPI document is served
//! at `/openapi.json` and checked in as `docs/openapi.json`.

mod governance;
pub mod identity;
pub mod listener;
mod metrics;
mod ops;
mod regulator;
mod vault;
pub use veil_client::types;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use utoipa::OpenApi;

use veil_codec::Encode;
use veil_consensus::ClusterView;
use veil_crypto::clsag::KeyImage;
use veil_ledger::block::Header;
use veil_ledger::records::output_key;
use veil_ledger::store::Cf;
use veil_ledger::tree;
use veil_node::{Node, SubmitError, TxState};
use veil_tx::LedgerView;
use veil_tx::{AssetId, Transaction, TxHash};

use types::*;

/// Largest request body accepted.
pub const MAX_BODY: usize = 1024 * 1024;
/// Largest threshold share upload (a partial decryption of 65 536 points,
/// sealed).
pub const MAX_SHARE_BODY: usize = 3 * 1024 * 1024;
/// Most blocks per range request.
pub const MAX_BLOCKS: usize = 100;
/// Most outputs per request.
pub const MAX_OUTPUTS: usize = 1000;

/// An API error, rendered as problem+json.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    /// The `WWW-Authenticate` scheme of a 401.
    scheme: &'static str,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            scheme: "Veil-Regulator",
        }
    }

    /// A 401 of the vault's endpoints asks for a signed vault record.
    fn vault_scheme(mut self) -> Self {
        self.scheme = "Veil-Vault";
        self
    }

    fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// A body over `limit` bytes (declared or read).
    fn too_large_for(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request too large",
            format!("request bodies here are limited to {limit} bytes"),
        )
    }

    /// The problem this error answers.
    fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:veil:problem:{}", self.code),
            title: self.title.into(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
        }
    }

    /// A JSON body that does not parse or has the wrong shape.
    fn malformed_json(e: &serde_json::Error) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "Malformed JSON",
            e.to_string(),
        )
    }

    /// A body of a content type the endpoint does not take.
    fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            detail,
        )
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error serving a request");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the node could not read its state; see its log",
        )
    }
}

/// `Retry-After` of every 503.
const RETRY_AFTER_SECONDS: &str = "1";

/// Largest body of `POST /v1/transactions/batch`: 1,000 transactions of
/// the typical 5.2 KB as hex fit with room to spare.
pub const MAX_BATCH_BODY: usize = 16 * 1024 * 1024;

/// The RFC 9457 problem+json body of an error.
pub(crate) fn problem_body(status: StatusCode, code: &str, title: &str, detail: &str) -> String {
    let body = Problem {
        kind: format!("urn:veil:problem:{code}"),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
    };
    serde_json::to_string(&body).unwrap_or_default()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = problem_body(self.status, self.code, self.title, &self.detail);
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // RFC 9110 §10.2.3: when to try again (the mempool drains by a
            // block, the admission queue in well under a second).
            response.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110 §11.6.1: a 401 names the scheme it wants.
            let value = if self.scheme == "Veil-Vault" {
                "Veil-Vault realm=\"veil\""
            } else {
                "Veil-Regulator realm=\"veil\""
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(value),
            );
        }
        response
    }
}

/// A height in a request: an integer, or `latest` (the tip).
pub(crate) fn parse_height(what: &str, s: &str, tip: u64) -> Result<u64, ApiError> {
    if s == "latest" {
        return Ok(tip);
    }
    s.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "`{what}` must be a non-negative integer or `latest`"
        ))
    })
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        let (status, title) = match &e {
            SubmitError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Transaction too large"),
            SubmitError::Malformed(_) => (StatusCode::BAD_REQUEST, "Malformed transaction"),
            SubmitError::Duplicate(_) => (StatusCode::CONFLICT, "Duplicate transaction"),
            SubmitError::DoubleSpend(_) => (StatusCode::CONFLICT, "Double spend"),
            SubmitError::Invalid(veil_tx::TxError::KeyImageSpent { .. }) => {
                (StatusCode::CONFLICT, "Double spend")
            }
            SubmitError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid transaction"),
            SubmitError::Full => (StatusCode::SERVICE_UNAVAILABLE, "Mempool full"),
            SubmitError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "Node busy"),
            SubmitError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "Node unavailable"),
        };
        let code = match &e {
            SubmitError::Invalid(veil_tx::TxError::KeyImageSpent { .. }) => "double-spend",
            other => other.code(),
        };
        Self::new(status, code, title, e.to_string())
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

fn hex32(s: &str, what: &str) -> Result<[u8; 32], ApiError> {
    veil_codec::hex32(s)
        .ok_or_else(|| ApiError::bad_request(format!("{what} must be 64 hex characters")))
}

/// The request's media type (`Content-Type` without parameters,
/// lower-case; empty when absent).
pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The request body, or the problem for one that could not be read (over
/// the limit: 413).
pub(crate) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body_bytes_within(body, MAX_BODY)
}

/// [`body_bytes`] for an endpoint whose body limit is `limit`.
fn body_bytes_within(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large_for(limit)
        } else {
            ApiError::bad_request(e.body_text())
        }
    })
}

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Veil node API",
        description = "Confidential ledger node: transactions, blocks, outputs, state proofs, regulator views, DIDs and credential presentations."
    ),
    paths(
        submit_tx,
        ops::health,
        ops::history,
        submit_batch,
        tx_status,
        block_latest,
        block_at,
        blocks_range,
        outputs,
        key_image,
        status,
        state_proof,
        regulator::regulator_transfers,
        regulator::regulator_keys,
        regulator::participants,
        regulator::audit_log,
        regulator::threshold_share_post,
        regulator::threshold_shares_get,
        metrics::metrics,
        identity::resolve_did,
        identity::trust_list,
        identity::issuer,
        identity::issuer_path,
        identity::issuer_commitment,
        identity::verify_presentation,
        identity::verify_presentations,
        governance::governance,
        governance::proposals,
        governance::proposal,
        governance::validators,
        governance::validator_set_at,
        vault::upload,
        vault::download,
        vault::document,
        vault::log,
        vault::party
    ),
    components(schemas(
        SubmitRequest,
        SubmitResponse,
        SubmitBatchRequest,
        SubmitBatchResponse,
        BatchItem,
        TxStatusResponse,
        HeaderJson,
        BlockTxJson,
        PartJson,
        HealthJson,
        AlertJson,
        EventJson,
        HistoryJson,
        SampleJson,
        BlockJson,
        BlocksJson,
        OutputJson,
        OutputsJson,
        KeyImageJson,
        AssetJson,
        MempoolJson,
        StatusJson,
        ProofJson,
        Problem,
        KeySlotJson,
        RegulatorTxJson,
        RegulatorTransfersJson,
        ThresholdShareAcceptedJson,
        ThresholdShareJson,
        ThresholdSharesJson,
        RegulatorKeyJson,
        RegulatorIdentityJson,
        RegulatorRegistryJson,
        ParticipantJson,
        AuditEntryJson,
        AuditLogJson,
        identity::DidResolutionJson,
        identity::TrustListJson,
        identity::AccreditationJson,
        identity::IssuerTreeJson,
        identity::IssuerJson,
        identity::PathJson,
        identity::CommitmentJson,
        identity::VerifyRequest,
        identity::VerifiedJson,
        identity::VerifyBatchRequest,
        identity::BatchItemJson,
        identity::VerifyBatchJson,
        MemberJson,
        GovernanceJson,
        ActionJson,
        VoteJson,
        TallyJson,
        ProposalJson,
        ProposalsJson,
        NodeJson,
        JailJson,
        PendingSetJson,
        ValidatorsJson,
        ValidatorSetJson,
        veil_client::types::VaultDocumentJson,
        veil_client::types::VaultVersionJson,
        veil_client::types::VaultWrapJson,
        veil_client::types::VaultLogJson,
        veil_client::types::VaultLogEntryJson,
        veil_client::types::VaultPartyJson,
        veil_client::types::VaultUploadJson
    ))
)]
pub struct ApiDoc;

/// Consensus and network state, for networks of validators (none for a
/// single dev node).
#[derive(Clone)]
struct Cluster(Option<ClusterView>);

/// The router.
pub fn router(node: Arc<Node>, cluster: Option<ClusterView>) -> Router {
    Router::new()
        .route("/v1/transactions", post(submit_tx))
        .route(
            "/v1/transactions/batch",
            post(submit_batch).layer(DefaultBodyLimit::max(MAX_BATCH_BODY)),
        )
        .route("/v1/transactions/{hash}", get(tx_status))
        .route("/v1/blocks/latest", get(block_latest))
        .route("/v1/blocks/{height}", get(block_at))
        .route("/v1/blocks", get(blocks_range))
        .route("/v1/outputs", get(outputs))
        .route("/v1/key-images/{key_image}", get(key_image))
        .route("/v1/status", get(status))
        .route("/v1/state/proof/{*key}", get(state_proof))
        .route(
            "/v1/regulator/transfers",
            get(regulator::regulator_transfers),
        )
        .route(
            "/v1/regulator/threshold/shares",
            post(regulator::threshold_share_post)
                .layer(DefaultBodyLimit::max(MAX_SHARE_BODY))
                .get(regulator::threshold_shares_get),
        )
        .route("/v1/regulator-keys", get(regulator::regulator_keys))
        .route("/v1/participants", get(regulator::participants))
        .route("/v1/audit-log", get(regulator::audit_log))
        .route("/v1/dids/{did}", get(identity::resolve_did))
        .route("/v1/trust-list", get(identity::trust_list))
        .route("/v1/governance", get(governance::governance))
        .route("/v1/governance/proposals", get(governance::proposals))
        .route("/v1/governance/proposals/{id}", get(governance::proposal))
        .route("/v1/validators", get(governance::validators))
        .route("/v1/validators/{height}", get(governance::validator_set_at))
        .route("/v1/issuers/{did}", get(identity::issuer))
        .route(
            "/v1/issuers/{did}/paths/{index}",
            get(identity::issuer_path),
        )
        .route(
            "/v1/issuers/{did}/commitments/{commitment}",
            get(identity::issuer_commitment),
        )
        .route(
            "/v1/presentations/verify",
            post(identity::verify_presentation),
        )
        .route(
            "/v1/presentations/verify-batch",
            post(identity::verify_presentations),
        )
        .route("/v1/vault/uploads", post(vault::upload))
        .route(
            "/v1/vault/documents/{doc}/versions/{version}/content",
            get(vault::download),
        )
        .route("/v1/vault/documents/{doc}", get(vault::document))
        .route("/v1/vault/documents/{doc}/log", get(vault::log))
        .route("/v1/vault/parties/{id}", get(vault::party))
        .route("/v1/node/health", get(ops::health))
        .route("/v1/node/history", get(ops::history))
        .route("/metrics", get(metrics::metrics))
        .route("/openapi.json", get(openapi))
        .merge(veil_console::public_router())
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&node),
            http_metrics,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(Extension(Cluster(cluster)))
        .layer(axum::middleware::from_fn(problem_bodies))
        .with_state(node)
}

/// Counts every routed request by route, method and status, and times it
/// by route (`veil_http_requests_total`, `veil_http_request_seconds`).
async fn http_metrics(
    State(node): State<Arc<Node>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", axum::extract::MatchedPath::as_str)
        .to_owned();
    let method = req.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    node.metrics
        .http_requests
        .get_or_create(&veil_node::metrics::HttpLabels {
            route: route.clone(),
            method,
            status: response.status().as_u16().to_string(),
        })
        .inc();
    node.metrics
        .http_seconds
        .get_or_create(&veil_node::metrics::RouteLabel { route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Largest error body of an extractor that is quoted in a problem's detail.
const MAX_QUOTED: usize = 512;

/// Every error response is problem+json: the ones the framework's
/// extractors produce before a handler runs (a path parameter that is not
/// UTF-8, a query that does not parse, a JSON body with the wrong
/// `Content-Type` or shape, a body over the limit) are rewritten, keeping
/// their status and quoting their text as the detail.
async fn problem_bodies(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), MAX_QUOTED * 4)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .unwrap_or_default();
    let mut detail: String = text.trim().chars().take(MAX_QUOTED).collect();
    if detail.is_empty() {
        detail = status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_owned();
    }
    let (code, title) = match status {
        StatusCode::BAD_REQUEST => ("bad-request", "Bad request"),
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too-large", "Request too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "Unsupported media type"),
        StatusCode::UNPROCESSABLE_ENTITY => ("unprocessable", "Unprocessable request"),
        s if s.is_server_error() => ("internal", "Internal error"),
        _ => ("refused", "Request refused"),
    };
    ApiError::new(status, code, title, detail).into_response()
}

/// Refuses a body whose declared `Content-Length` is over the limit before
/// reading any of it (bodies without a length are cut at the limit by
/// [`DefaultBodyLimit`]).
async fn refuse_declared_oversize(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = match req.uri().path() {
        "/v1/transactions/batch" => MAX_BATCH_BODY,
        "/v1/regulator/threshold/shares" => MAX_SHARE_BODY,
        // Bounded by the put record's size, checked as the stream arrives.
        "/v1/vault/uploads" => return next.run(req).await,
        _ => MAX_BODY,
    };
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return ApiError::too_large_for(limit).into_response();
    }
    next.run(req).await
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this endpoint does not accept that method",
    )
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Submit a transaction (`application/octet-stream` bytes, or JSON `{"tx": hex}`).
#[utoipa::path(post, path = "/v1/transactions",
    request_body(content = SubmitRequest, description = "JSON with hex, or the raw bytes as application/octet-stream"),
    responses((status = 202, body = SubmitResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn submit_tx(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SubmitResponse>), ApiError> {
    let body = body_bytes(body)?;
    let content_type = media_type(&headers);
    let bytes = match content_type.as_str() {
        "application/octet-stream" => body.to_vec(),
        "application/json" => {
            let req: SubmitRequest =
                serde_json::from_slice(&body).map_err(|e| ApiError::malformed_json(&e))?;
            hex::decode(req.tx.trim()).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    "Malformed transaction",
                    format!("tx is not hex: {e}"),
                )
            })?
        }
        other => {
            return Err(ApiError::unsupported_media_type(format!(
                "send application/octet-stream or application/json, not {other:?}"
            )))
        }
    };
    vault::refuse_bare_put(&bytes)?;
    let hash = node.submit(&bytes).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SubmitResponse {
            hash: hash.to_string(),
            status: "pending".into(),
        }),
    ))
}

/// Submit many transactions in one request (a bank's batch run): JSON
/// `{"txs": [hex, …]}`, at most 1,000 items and 16 MiB. They are verified
/// together in one parallel batch. The answer lists each item's outcome
/// in order (`pending` with its hash, or `refused` with the problem the
/// single endpoint would have answered); the request as a whole is
/// refused only if it does not parse, breaks a limit, or the mempool has
/// no room for all its items (503 with `Retry-After`, nothing queued).
#[utoipa::path(post, path = "/v1/transactions/batch",
    request_body(content = SubmitBatchRequest, content_type = "application/json"),
    responses((status = 200, body = SubmitBatchResponse), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
              (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn submit_batch(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SubmitBatchResponse>, ApiError> {
    let body = body_bytes_within(body, MAX_BATCH_BODY)?;
    let content_type = media_type(&headers);
    if content_type != "application/json" {
        return Err(ApiError::unsupported_media_type(format!(
            "send application/json, not {content_type:?}"
        )));
    }
    let req: SubmitBatchRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::malformed_json(&e))?;
    if req.txs.is_empty() || req.txs.len() > veil_node::MAX_BATCH_TXS {
        return Err(ApiError::bad_request(format!(
            "a batch holds 1 to {} transactions, not {}",
            veil_node::MAX_BATCH_TXS,
            req.txs.len()
        )));
    }
    let decoded: Vec<Result<Vec<u8>, ApiError>> = req
        .txs
        .iter()
        .map(|h| {
            let bytes = hex::decode(h.trim()).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    "Malformed transaction",
                    format!("tx is not hex: {e}"),
                )
            })?;
            vault::refuse_bare_put(&bytes)?;
            Ok(bytes)
        })
        .collect();
    let good: Vec<&[u8]> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok().map(Vec::as_slice))
        .collect();
    let mut outcomes = node.submit_batch(&good).await?.into_iter();
    let mut results = Vec::with_capacity(decoded.len());
    for (index, d) in decoded.into_iter().enumerate() {
        let outcome = match d {
            Ok(_) => outcomes
                .next()
                .unwrap_or(Err(SubmitError::Unavailable("no outcome".into())))
                .map_err(ApiError::from),
            Err(e) => Err(e),
        };
        results.push(match outcome {
            Ok(hash) => BatchItem {
                index,
                status: "pending".into(),
                hash: Some(hash.to_string()),
                error: None,
            },
            Err(e) => BatchItem {
                index,
                status: "refused".into(),
                hash: None,
                error: Some(e.problem()),
            },
        });
    }
    let accepted = results.iter().filter(|r| r.error.is_none()).count();
    Ok(Json(SubmitBatchResponse {
        accepted,
        refused: results.len() - accepted,
        results,
    }))
}

/// A transaction: its status (pending or committed, with height and
/// position) and the transaction itself (bytes as hex and its public
/// fields).
#[utoipa::path(get, path = "/v1/transactions/{hash}", params(("hash" = String, Path, description = "transaction hash, hex")),
    responses((status = 200, body = TxStatusResponse), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn tx_status(
    State(node): State<Arc<Node>>,
    Path(hash): Path<String>,
) -> ApiResult<TxStatusResponse> {
    let hash = TxHash(hex32(&hash, "hash")?);
    let (status, height, position) = match node.tx_status(&hash).map_err(ApiError::internal)? {
        TxState::Committed(h, p) => ("committed", Some(h), Some(p)),
        TxState::Pending => ("pending", None, None),
        TxState::Unknown => {
            return Err(ApiError::not_found(format!(
                "transaction {hash} is neither pending nor committed"
            )))
        }
    };
    let tx = match height {
        Some(_) => node
            .ledger
            .tx(&hash)
            .map_err(ApiError::internal)?
            .map(|(tx, _)| tx),
        None => node.mempool().get(&hash).map(|tx| (*tx).clone()),
    };
    let transaction = tx.as_ref().map(|tx| tx_json(&node, tx)).transpose()?;
    Ok(Json(TxStatusResponse {
        hash: hash.to_string(),
        status: status.into(),
        height,
        position,
        transaction,
    }))
}

fn header_json(h: &Header) -> HeaderJson {
    HeaderJson {
        chain_id: h.chain_id.to_string(),
        height: h.height,
        hash: h.hash().to_string(),
        parent: h.parent.to_string(),
        timestamp_ms: h.timestamp_ms,
        tx_root: hex::encode(h.tx_root),
        state_root: hex::encode(h.state_root),
        proposer: hex::encode(h.proposer),
        tx_count: h.tx_count,
    }
}

/// A transaction's public fields and bytes.
fn tx_json(node: &Node, tx: &Transaction) -> Result<BlockTxJson, ApiError> {
    let outputs = tx.outputs().map_or(&[][..], |(_, b)| b.outputs.as_slice());
    let first = outputs
        .first()
        .and_then(|o| node.ledger.output_location(&o.one_time_key).ok().flatten())
        .map_or(0, |(_, i)| i);
    let bytes = tx.encode().map_err(ApiError::internal)?;
    Ok(BlockTxJson {
        hash: Transaction::hash_of(&bytes).to_string(),
        kind: tx.kind().into(),
        asset: tx.outputs().map(|(a, _)| a.to_string()).unwrap_or_default(),
        first_output: first,
        outputs: u32::try_from(outputs.len()).unwrap_or(0),
        key_images: tx
            .key_images()
            .iter()
            .map(|i| hex::encode(i.as_bytes()))
            .collect(),
        size: bytes.len(),
        fee: match tx {
            Transaction::Transfer(t) => Some(t.fee),
            _ => None,
        },
        ring_sizes: match tx {
            Transaction::Transfer(t) => t.inputs.iter().map(|i| i.ring.len()).collect(),
            _ => Vec::new(),
        },
        one_time_keys: outputs
            .iter()
            .map(|o| hex::encode(o.one_time_key.as_bytes()))
            .collect(),
        commitments: outputs
            .iter()
            .map(|o| hex::encode(o.commitment().as_bytes()))
            .collect(),
        parts: parts(tx),
        hex: hex::encode(&bytes),
    })
}

/// The connected peers and the tips they announced.
fn peers_json(cluster: Option<&ClusterView>) -> Vec<PeerJson> {
    cluster.map_or_else(Vec::new, |c| {
        let tips = c
            .sync
            .tips
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.net
            .peers()
            .into_iter()
            .map(|k| PeerJson {
                key: hex::encode(k),
                height: tips.get(&k).copied(),
            })
            .collect()
    })
}

/// The proofs, signatures and ciphertexts a transaction carries, sized as
/// encoded (docs/wire-format.md).
fn parts(tx: &Transaction) -> Vec<PartJson> {
    let part = |name: &str, bytes: usize| PartJson {
        name: name.into(),
        bytes,
    };
    let mut v = Vec::new();
    if let Some((_, b)) = tx.outputs() {
        v.push(part("range-proof", b.range_proof.as_bytes().len()));
        // Y_C, Y_D, z_v, z_γ: two points and two scalars.
        v.push(part("regulator-proof", 4 * 32));
        v.push(part(
            "output-payloads",
            b.outputs.iter().map(|o| o.payload.len()).sum(),
        ));
        v.push(part("regulator-payload", b.regulator_payload.len()));
    }
    match tx {
        // D, then (L, R, s) per ring member.
        Transaction::Transfer(t) => v.push(part(
            "ring-signatures",
            t.signatures.iter().map(|s| 32 + 96 * s.rounds.len()).sum(),
        )),
        Transaction::Mint(_) => v.push(part("issuer-signature", 64)),
        _ => {}
    }
    v
}

fn block_json(node: &Node, height: u64) -> Result<Option<BlockJson>, ApiError> {
    let Some(block) = node.ledger.block(height).map_err(ApiError::internal)? else {
        return Ok(None);
    };
    let txs = block
        .txs
        .iter()
        .map(|tx| tx_json(node, tx))
        .collect::<Result<Vec<_>, _>>()?;
    let certificate = node.certificate(height).map_err(ApiError::internal)?;
    let signers = certificate
        .as_deref()
        .and_then(|b| veil_consensus::codec::decode_commit(b).ok())
        .map(|c| {
            c.commit_signatures
                .iter()
                .map(|s| hex::encode(s.address.0))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(BlockJson {
        header: header_json(&block.header),
        txs,
        signers,
        certificate: certificate.map(hex::encode),
    }))
}

/// The latest block.
#[utoipa::path(get, path = "/v1/blocks/latest", responses((status = 200, body = BlockJson)))]
async fn block_latest(State(node): State<Arc<Node>>) -> ApiResult<BlockJson> {
    let h = node.ledger.tip().height;
    block_json(&node, h)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no blocks"))
}

/// The block at a height.
#[utoipa::path(get, path = "/v1/blocks/{height}", params(("height" = String, Path, description = "block height, or `latest`")),
    responses((status = 200, body = BlockJson), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn block_at(
    State(node): State<Arc<Node>>,
    Path(height): Path<String>,
) -> ApiResult<BlockJson> {
    let height = parse_height("height", &height, node.ledger.tip().height)?;
    block_json(&node, height)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no block at height {height}")))
}

/// Consecutive blocks (for wallet scanning).
#[utoipa::path(get, path = "/v1/blocks", params(("from" = String, Query, description = "first height, or `latest`"), ("limit" = Option<usize>, Query, description = "at most 100")),
    responses((status = 200, body = BlocksJson), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn blocks_range(
    State(node): State<Arc<Node>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<BlocksJson> {
    let from = parse_height(
        "from",
        q.get("from")
            .ok_or_else(|| ApiError::bad_request("`from` is required"))?,
        node.ledger.tip().height,
    )?;
    let limit: usize = match q.get("limit") {
        None => 10,
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::bad_request("`limit` must be an integer"))?,
    };
    let limit = limit.min(MAX_BLOCKS);
    let tip = node.ledger.tip().height;
    let mut blocks = Vec::new();
    let mut h = from;
    while h <= tip && blocks.len() < limit {
        match block_json(&node, h)? {
            Some(b) => blocks.push(b),
            None => break,
        }
        h += 1;
    }
    Ok(Json(BlocksJson { blocks }))
}

/// Outputs of an asset (for scanning and decoy selection): a range, or a
/// list of indices.
#[utoipa::path(get, path = "/v1/outputs",
    params(("asset" = String, Query, description = "asset ticker"), ("from" = Option<u64>, Query, description = "first global index"),
           ("limit" = Option<usize>, Query, description = "at most 1000"), ("indices" = Option<String>, Query, description = "comma-separated global indices, at most 1000")),
    responses((status = 200, body = OutputsJson), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn outputs(
    State(node): State<Arc<Node>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<OutputsJson> {
    let asset = AssetId::new(
        q.get("asset")
            .ok_or_else(|| ApiError::bad_request("`asset` is required"))?,
    )
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let count = node
        .ledger
        .output_count(&asset)
        .map_err(ApiError::internal)?;
    let to_json = |index: u64, o: veil_ledger::records::OutputRecord| OutputJson {
        index,
        key: hex::encode(o.key.as_bytes()),
        commitment: hex::encode(o.commitment.as_bytes()),
        view_tag: o.view_tag.0,
        tx: o.tx.to_string(),
        position: o.position,
        height: o.height,
    };
    let outputs = if let Some(list) = q.get("indices") {
        let indices: Vec<u64> = list
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.trim().parse::<u64>())
            .collect::<Result<_, _>>()
            .map_err(|_| ApiError::bad_request("`indices` must be comma-separated integers"))?;
        if indices.len() > MAX_OUTPUTS {
            return Err(ApiError::bad_request(format!(
                "at most {MAX_OUTPUTS} indices"
            )));
        }
        let mut out = Vec::with_capacity(indices.len());
        for i in indices {
            let rec = node
                .ledger
                .output_record(&asset, i)
                .map_err(ApiError::internal)?
                .ok_or_else(|| {
                    ApiError::not_found(format!("output {i} of {asset} does not exist"))
                })?;
            out.push(to_json(i, rec));
        }
        out
    } else {
        let from: u64 = q
            .get("from")
            .map_or(Ok(0), |s| s.parse())
            .map_err(|_| ApiError::bad_request("`from` must be an integer"))?;
        let limit: usize = q
            .get("limit")
            .map_or(Ok(100), |s| s.parse())
            .map_err(|_| ApiError::bad_request("`limit` must be an integer"))?;
        node.ledger
            .outputs(&asset, from, limit.min(MAX_OUTPUTS))
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|(i, o)| to_json(i, o))
            .collect()
    };
    Ok(Json(OutputsJson {
        asset: asset.to_string(),
        count,
        outputs,
    }))
}

/// Whether a key image is spent.
#[utoipa::path(get, path = "/v1/key-images/{key_image}", params(("key_image" = String, Path, description = "key image, hex")),
    responses((status = 200, body = KeyImageJson), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn key_image(
    State(node): State<Arc<Node>>,
    Path(hex_image): Path<String>,
) -> ApiResult<KeyImageJson> {
    let image = KeyImage::from_bytes(&hex32(&hex_image, "key image")?)
        .map_err(|e| ApiError::bad_request(format!("not a key image: {e}")))?;
    let spend = node.ledger.spend(&image).map_err(ApiError::internal)?;
    let pending = node.mempool().spender(&image);
    Ok(Json(KeyImageJson {
        key_image: hex::encode(image.as_bytes()),
        spent: spend.is_some(),
        pending: pending.is_some(),
        tx: spend
            .map(|s| s.tx.to_string())
            .or(pending.map(|p| p.to_string())),
        height: spend.map(|s| s.height),
    }))
}

/// Node status.
#[utoipa::path(get, path = "/v1/status", responses((status = 200, body = StatusJson)))]
async fn status(
    State(node): State<Arc<Node>>,
    Extension(Cluster(cluster)): Extension<Cluster>,
) -> ApiResult<StatusJson> {
    let l = &node.ledger;
    let tip = l.tip();
    let head = l.header(tip.height).map_err(ApiError::internal)?;
    let genesis = l.header(0).map_err(ApiError::internal)?;
    let mut assets = Vec::new();
    for (id, a) in l.assets().map_err(ApiError::internal)? {
        assets.push(AssetJson {
            outputs: l.output_count(&id).map_err(ApiError::internal)?,
            id: id.to_string(),
            name: a.name,
            decimals: a.decimals,
            issuer: a.issuer.to_string(),
        });
    }
    let next = l.next_height();
    let regulator_key = l
        .keys_in_force(next)
        .map_err(ApiError::internal)?
        .first()
        .map(|(_, k)| hex::encode(k.as_bytes()));
    let (count, bytes) = {
        let pool = node.mempool();
        (pool.len(), pool.bytes())
    };
    Ok(Json(StatusJson {
        version: env!("CARGO_PKG_VERSION").into(),
        chain_id: l.chain_id().map_err(ApiError::internal)?,
        genesis: genesis
            .as_ref()
            .map(|h| h.hash().to_string())
            .unwrap_or_default(),
        genesis_timestamp_ms: genesis.map_or(0, |h| h.timestamp_ms),
        height: tip.height,
        hash: tip.hash.to_string(),
        timestamp_ms: head.map_or(0, |h| h.timestamp_ms),
        state_root: hex::encode(tip.state_root),
        syncing: cluster
            .as_ref()
            .is_some_and(|c| c.sync.syncing.load(std::sync::atomic::Ordering::Relaxed)),
        mempool: MempoolJson { count, bytes },
        assets,
        epoch: l.epoch_of(next),
        regulator_key,
        node_key: cluster
            .as_ref()
            .map(|_| hex::encode(node.config().proposer)),
        consensus: cluster.as_ref().map(|c| {
            let s = c
                .engine
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            ConsensusJson {
                height: s.height,
                round: s.round,
                equivocations: s.equivocations,
            }
        }),
        peers: peers_json(cluster.as_ref()),
        validators: l
            .validators()
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|(k, power)| ValidatorJson {
                key: hex::encode(k),
                power,
            })
            .collect(),
    }))
}

/// A state record with a proof against the current state root. Keys:
/// `key-image/<hex>`, `output/<asset>/<index>`, `asset/<id>`,
/// `regulator/<hex>`.
#[utoipa::path(get, path = "/v1/state/proof/{key}", params(("key" = String, Path, description = "record key, e.g. key-image/<hex>")),
    responses((status = 200, body = ProofJson), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn state_proof(
    State(node): State<Arc<Node>>,
    Path(key): Path<String>,
) -> ApiResult<ProofJson> {
    let parts: Vec<&str> = key.split('/').collect();
    let (cf, raw): (Cf, Vec<u8>) = match parts.as_slice() {
        ["key-image", h] => (Cf::KeyImages, hex32(h, "key image")?.to_vec()),
        ["regulator", h] => (Cf::Regulators, hex32(h, "regulator key")?.to_vec()),
        ["asset", id] => (
            Cf::Assets,
            AssetId::new(id)
                .map_err(|e| ApiError::bad_request(e.to_string()))?
                .as_str()
                .as_bytes()
                .to_vec(),
        ),
        ["output", asset, index] => {
            let asset = AssetId::new(asset).map_err(|e| ApiError::bad_request(e.to_string()))?;
            let index: u64 = index
                .parse()
                .map_err(|_| ApiError::bad_request("output index must be an integer"))?;
            (Cf::Outputs, output_key(&asset, index))
        }
        _ => return Err(ApiError::bad_request(
            "key must be key-image/<hex>, output/<asset>/<index>, asset/<id> or regulator/<hex>",
        )),
    };
    let (tip, value, proof) = node.ledger.prove(cf, &raw).map_err(ApiError::internal)?;
    Ok(Json(ProofJson {
        key,
        height: tip.height,
        state_root: hex::encode(tip.state_root),
        key_hash: hex::encode(tree::key_hash(cf, &raw).0),
        value: value.map(hex::encode),
        proof: serde_json::to_value(&proof).map_err(ApiError::internal)?,
    }))
}

pub use veil_client::MAX_REGULATOR_BLOCKS;
