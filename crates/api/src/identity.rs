//! Identity endpoints: DID resolution, the trust list, issuer trees, and
//! presentation verification.
//!
//! Presentation verification is this node acting as a verifier: it checks
//! the presentation against the request, the ledger (accreditation, root
//! freshness, revocations) and the pinned verifying key, then consumes the
//! nullifier in its per-scope set (node-local state: a verifier that runs
//! several nodes should send a scope's presentations to one of them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use veil_circuits::field;

use super::{ApiError, ApiResult};
use veil_identity::did::DidId;
use veil_identity::presentation::{
    Presentation, PresentationError, PresentationRequest, Verified, Verifier, MAX_JSON_BYTES,
};
use veil_identity::state::IdentityState;
use veil_identity::{pinned_keys, timestamp, tree};
use veil_node::Node;

/// Most presentations per batch request.
pub const MAX_BATCH: usize = 256;

/// A W3C DID resolution result.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DidResolutionJson {
    /// The DID document (DID Core 1.0 JSON).
    #[serde(rename = "didDocument")]
    #[schema(value_type = Object)]
    pub did_document: Value,
    /// `contentType`.
    #[serde(rename = "didResolutionMetadata")]
    #[schema(value_type = Object)]
    pub did_resolution_metadata: Value,
    /// `created`, `updated`, `deactivated`, `versionId`, `nextVersionId`.
    #[serde(rename = "didDocumentMetadata")]
    #[schema(value_type = Object)]
    pub did_document_metadata: Value,
}

/// The trust list.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TrustListJson {
    /// The root authority's DID.
    pub root_authority: Option<String>,
    /// Its last trust-operation sequence.
    pub sequence: u64,
    /// Credential types.
    #[schema(value_type = Vec<Object>)]
    pub credential_types: Vec<Value>,
}

/// One accreditation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AccreditationJson {
    /// The type.
    pub credential_type: String,
    /// In force.
    pub active: bool,
    /// Granted (RFC 3339).
    pub since: String,
    /// Withdrawn (RFC 3339), if it was.
    pub revoked: Option<String>,
    /// The regulator hook key presentations must encrypt the holder
    /// commitment to (compressed Baby Jubjub, hex), if the accreditation
    /// has the hook.
    pub regulator_hook_key: Option<String>,
}

/// An issuer's tree.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuerTreeJson {
    /// Leaves appended.
    pub leaves: u64,
    /// Current root, hex.
    pub root: String,
    /// Revocation operations so far.
    pub revocations: u64,
    /// Last credential-operation sequence.
    pub sequence: u64,
    /// Last change (RFC 3339).
    pub updated: String,
}

/// An issuer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuerJson {
    /// The issuer's DID.
    pub issuer: String,
    /// Its accreditations.
    pub accreditations: Vec<AccreditationJson>,
    /// Its tree (absent before its first issuance).
    pub tree: Option<IssuerTreeJson>,
}

/// A leaf's authentication path.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PathJson {
    /// Leaf index.
    pub index: u32,
    /// The leaf (0 when revoked or never issued), hex.
    pub leaf: String,
    /// Siblings from the leaf level up, hex.
    pub siblings: Vec<String>,
    /// The current root, hex.
    pub root: String,
}

/// Where a commitment was appended.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CommitmentJson {
    /// Leaf index.
    pub leaf_index: u32,
    /// Whether it was revoked since.
    pub revoked: bool,
}

/// `POST /v1/presentations/verify`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The VC 2.0 presentation.
    #[schema(value_type = Object)]
    pub presentation: Value,
    /// The verifier's request it answers.
    #[schema(value_type = Object)]
    pub request: Value,
}

/// A verified presentation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifiedJson {
    /// Always true (failures are problem+json).
    pub verified: bool,
    /// The issuer.
    pub issuer: String,
    /// The type.
    pub credential_type: String,
    /// Disclosed attributes.
    #[schema(value_type = Object)]
    pub disclosed: Value,
    /// The predicate proven.
    #[schema(value_type = Option<Object>)]
    pub predicate: Option<Value>,
    /// The scope.
    pub scope: String,
    /// The nullifier recorded, hex.
    pub nullifier: String,
    /// With the regulator hook: the holder commitment encrypted to the
    /// regulator (`{"c1", "c2"}`), for the verifier to keep.
    #[schema(value_type = Option<Object>)]
    pub regulator_ciphertext: Option<Value>,
}

/// `POST /v1/presentations/verify-batch`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyBatchRequest {
    /// Up to 256 presentations with their requests.
    pub items: Vec<VerifyRequest>,
}

/// One batch result.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchItemJson {
    /// Whether it verified.
    pub verified: bool,
    /// What it established, when it verified.
    pub result: Option<VerifiedJson>,
    /// The problem type, when it did not.
    pub error: Option<String>,
    /// Why, when it did not.
    pub detail: Option<String>,
}

/// Batch results, in request order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyBatchJson {
    /// Results.
    pub results: Vec<BatchItemJson>,
}

fn parse_did(s: &str) -> Result<DidId, ApiError> {
    s.parse().map_err(|e: veil_identity::did::DidParseError| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-did",
            "Invalid DID",
            e.to_string(),
        )
    })
}

/// Resolve a DID (optionally as of a version).
#[utoipa::path(get, path = "/v1/dids/{did}",
    params(("did" = String, Path, description = "did:veil:…"), ("versionId" = Option<u64>, Query, description = "resolve this version")),
    responses((status = 200, body = DidResolutionJson), (status = 400, body = super::Problem, content_type = "application/problem+json"), (status = 404, body = super::Problem, content_type = "application/problem+json")))]
pub async fn resolve_did(
    State(node): State<Arc<Node>>,
    Path(did): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<DidResolutionJson> {
    let id = parse_did(&did)?;
    let current = node.ledger.did(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "did-not-found",
            "DID not found",
            format!("{id} is not on this ledger"),
        )
    })?;
    let record = match q.get("versionId") {
        None => current.clone(),
        Some(v) => {
            let v: u64 = v
                .parse()
                .map_err(|_| ApiError::bad_request("versionId must be a positive integer"))?;
            node.ledger.did_version(&id, v).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "did-version-not-found",
                    "DID version not found",
                    format!("{id} has versions 1 to {}", current.version),
                )
            })?
        }
    };
    let mut meta = json!({
        "created": timestamp(record.created_ms),
        "updated": timestamp(record.updated_ms),
        "deactivated": record.deactivated,
        "versionId": record.version.to_string(),
    });
    if record.version < current.version {
        meta["nextVersionId"] = json!((record.version + 1).to_string());
    }
    Ok(Json(DidResolutionJson {
        did_document: record.document.to_json(id),
        did_resolution_metadata: json!({ "contentType": "application/did+ld+json" }),
        did_document_metadata: meta,
    }))
}

/// The trust list: root authority and credential types.
#[utoipa::path(get, path = "/v1/trust-list", responses((status = 200, body = TrustListJson)))]
pub async fn trust_list(State(node): State<Arc<Node>>) -> ApiResult<TrustListJson> {
    let authority = node.ledger.root_authority();
    Ok(Json(TrustListJson {
        root_authority: authority.map(|(d, _)| d.to_string()),
        sequence: authority.map_or(0, |(_, s)| s),
        credential_types: node
            .ledger
            .credential_types()
            .map_err(ApiError::internal)?
            .iter()
            .map(veil_identity::schema::CredentialType::to_json)
            .collect(),
    }))
}

/// An issuer: accreditations and tree.
#[utoipa::path(get, path = "/v1/issuers/{did}", params(("did" = String, Path, description = "the issuer's DID")),
    responses((status = 200, body = IssuerJson), (status = 400, body = super::Problem, content_type = "application/problem+json")))]
pub async fn issuer(
    State(node): State<Arc<Node>>,
    Path(did): Path<String>,
) -> ApiResult<IssuerJson> {
    let id = parse_did(&did)?;
    let accreditations = node
        .ledger
        .accreditations_of(&id)
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|(name, a)| AccreditationJson {
            credential_type: name,
            active: a.active,
            since: timestamp(a.since_ms),
            revoked: (!a.active).then(|| timestamp(a.revoked_ms)),
            regulator_hook_key: a.hook_key.map(hex::encode),
        })
        .collect();
    let tree = node.ledger.issuer_tree(&id).map(|t| IssuerTreeJson {
        leaves: t.leaves,
        root: field::to_hex(&t.root),
        revocations: t.revocations,
        sequence: t.sequence,
        updated: timestamp(t.updated_ms),
    });
    Ok(Json(IssuerJson {
        issuer: id.to_string(),
        accreditations,
        tree,
    }))
}

/// A leaf's path in the issuer's tree (holders fetch theirs to prove).
#[utoipa::path(get, path = "/v1/issuers/{did}/paths/{index}",
    params(("did" = String, Path, description = "the issuer's DID"), ("index" = u32, Path, description = "leaf index")),
    responses((status = 200, body = PathJson), (status = 400, body = super::Problem, content_type = "application/problem+json"), (status = 404, body = super::Problem, content_type = "application/problem+json")))]
pub async fn issuer_path(
    State(node): State<Arc<Node>>,
    Path((did, index)): Path<(String, String)>,
) -> ApiResult<PathJson> {
    let id = parse_did(&did)?;
    let index: u32 = index
        .parse()
        .map_err(|_| ApiError::bad_request("index must be an integer below 2^32"))?;
    let t = node
        .ledger
        .issuer_tree(&id)
        .filter(|t| u64::from(index) < t.leaves)
        .ok_or_else(|| ApiError::not_found(format!("{id} has no leaf {index}")))?;
    let read = |n| node.ledger.tree_node(&id, n);
    let path = tree::path(&read, index);
    let leaf = read((0, u64::from(index))).unwrap_or_else(|| veil_circuits::Fr::from(0u64));
    Ok(Json(PathJson {
        index,
        leaf: field::to_hex(&leaf),
        siblings: path.siblings.iter().map(field::to_hex).collect(),
        root: field::to_hex(&t.root),
    }))
}

/// Where a commitment was appended.
#[utoipa::path(get, path = "/v1/issuers/{did}/commitments/{commitment}",
    params(("did" = String, Path, description = "the issuer's DID"), ("commitment" = String, Path, description = "the leaf, hex")),
    responses((status = 200, body = CommitmentJson), (status = 400, body = super::Problem, content_type = "application/problem+json"), (status = 404, body = super::Problem, content_type = "application/problem+json")))]
pub async fn issuer_commitment(
    State(node): State<Arc<Node>>,
    Path((did, commitment)): Path<(String, String)>,
) -> ApiResult<CommitmentJson> {
    let id = parse_did(&did)?;
    let c = field::from_hex(&commitment)
        .ok_or_else(|| ApiError::bad_request("commitment must be 64 hex digits, a BN254 scalar"))?;
    let index = node
        .ledger
        .commitment_index(&id, &c)
        .ok_or_else(|| ApiError::not_found(format!("{id} never issued that commitment")))?;
    let leaf = node.ledger.tree_node(&id, (0, u64::from(index)));
    Ok(Json(CommitmentJson {
        leaf_index: index,
        revoked: leaf != Some(c),
    }))
}

fn presentation_error(e: &PresentationError) -> ApiError {
    let status = match e {
        PresentationError::Malformed { .. } => StatusCode::BAD_REQUEST,
        PresentationError::NullifierReused => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let title = match e {
        PresentationError::Malformed { .. } => "Malformed presentation",
        PresentationError::NullifierReused => "Nullifier reused",
        _ => "Presentation refused",
    };
    ApiError::new(status, e.code(), title, e.to_string())
}

fn verified_json(v: &Verified) -> VerifiedJson {
    VerifiedJson {
        verified: true,
        issuer: v.issuer.to_string(),
        credential_type: v.credential_type.clone(),
        disclosed: Value::Object(
            v.disclosed
                .iter()
                .map(|(k, a)| (k.clone(), a.to_json()))
                .collect(),
        ),
        predicate: v.predicate.as_ref().map(|p| {
            let mut j = json!({ "attribute": p.attribute });
            if let Some(m) = &p.min {
                j["min"] = m.to_json();
            }
            if let Some(m) = &p.max {
                j["max"] = m.to_json();
            }
            j
        }),
        scope: v.scope.clone(),
        nullifier: field::to_hex(&v.nullifier),
        regulator_ciphertext: v
            .regulator_ciphertext
            .as_ref()
            .map(veil_identity::presentation::ciphertext_json),
    }
}

fn parse_item(
    node: &Node,
    item: &VerifyRequest,
) -> Result<(Presentation, PresentationRequest), PresentationError> {
    let too_big = |v: &Value| serde_json::to_vec(v).map_or(true, |b| b.len() > MAX_JSON_BYTES);
    if too_big(&item.presentation) || too_big(&item.request) {
        return Err(PresentationError::Malformed {
            what: "presentation",
            why: format!("presentation and request are limited to {MAX_JSON_BYTES} bytes each"),
        });
    }
    let types = |n: &str| node.ledger.credential_type(n);
    let request = PresentationRequest::from_json(&item.request, &types)?;
    let presentation = Presentation::from_json(&item.presentation, &types)?;
    Ok((presentation, request))
}

/// Serializes nullifier check-and-record across requests.
static NULLIFIERS: Mutex<()> = Mutex::new(());

/// Records the nullifier: `Ok(Err(NullifierReused))` when it was seen
/// before, `Err` when the store failed (a 500, not a refusal).
fn consume(node: &Node, v: &Verified) -> Result<Result<(), PresentationError>, ApiError> {
    let _guard = NULLIFIERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let scope = veil_identity::presentation::scope_field(&v.scope);
    match node
        .ledger
        .consume_nullifier(&scope, &v.nullifier, node.now_ms())
    {
        Ok(true) => Ok(Ok(())),
        Ok(false) => Ok(Err(PresentationError::NullifierReused)),
        Err(e) => {
            tracing::error!(error = %e, "recording a nullifier failed");
            Err(ApiError::internal(e))
        }
    }
}

/// The node as a verifier: its ledger, both pinned keys, its clock and the
/// chain's root window.
fn verifier(node: &Node) -> Result<Verifier<'_>, ApiError> {
    Ok(Verifier {
        state: node.ledger.as_ref(),
        key: pinned_keys::verifying_key().map_err(ApiError::internal)?,
        hook_key: pinned_keys::verifying_key_for(veil_circuits::presentation::Circuit::Hooked)
            .map_err(ApiError::internal)?,
        now_ms: node.now_ms(),
        root_window_ms: node
            .ledger
            .params()
            .map_err(ApiError::internal)?
            .root_window_ms,
    })
}

fn body_json<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T, ApiError> {
    let content_type = super::media_type(headers);
    if content_type != "application/json" {
        return Err(ApiError::unsupported_media_type(format!(
            "send application/json, not {content_type:?}"
        )));
    }
    let body = super::body_bytes(body)?;
    serde_json::from_slice(&body).map_err(|e| ApiError::malformed_json(&e))
}

/// Verify a presentation against the request it answers; records its
/// nullifier.
#[utoipa::path(post, path = "/v1/presentations/verify", request_body = VerifyRequest,
    responses((status = 200, body = VerifiedJson), (status = 400, body = super::Problem, content_type = "application/problem+json"), (status = 409, body = super::Problem, content_type = "application/problem+json"), (status = 415, body = super::Problem, content_type = "application/problem+json"),
              (status = 422, body = super::Problem, content_type = "application/problem+json")))]
pub async fn verify_presentation(
    State(node): State<Arc<Node>>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<VerifiedJson> {
    let item: VerifyRequest = body_json(&headers, body)?;
    let n = Arc::clone(&node);
    tokio::task::spawn_blocking(move || {
        let verifier = verifier(&n)?;
        let (p, r) = parse_item(&n, &item).map_err(|e| presentation_error(&e))?;
        let v = verifier.check(&p, &r).map_err(|e| presentation_error(&e))?;
        consume(&n, &v)?.map_err(|e| presentation_error(&e))?;
        Ok(Json(verified_json(&v)))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Verify many presentations with one batched pairing check.
#[utoipa::path(post, path = "/v1/presentations/verify-batch", request_body = VerifyBatchRequest,
    responses((status = 200, body = VerifyBatchJson), (status = 400, body = super::Problem, content_type = "application/problem+json")))]
pub async fn verify_presentations(
    State(node): State<Arc<Node>>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<VerifyBatchJson> {
    let batch: VerifyBatchRequest = body_json(&headers, body)?;
    if batch.items.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_BATCH} presentations per batch"
        )));
    }
    let n = Arc::clone(&node);
    let results = tokio::task::spawn_blocking(move || {
        let verifier = verifier(&n)?;
        let mut parsed = Vec::new();
        let mut slots: Vec<Result<usize, PresentationError>> = Vec::new();
        for item in &batch.items {
            match parse_item(&n, item) {
                Ok(pr) => {
                    slots.push(Ok(parsed.len()));
                    parsed.push(pr);
                }
                Err(e) => slots.push(Err(e)),
            }
        }
        let checked = verifier.check_many(&parsed);
        slots
            .into_iter()
            .map(|slot| {
                let outcome = slot.and_then(|i| checked[i].clone());
                let outcome = match outcome {
                    Ok(v) => consume(&n, &v)?.map(|()| v),
                    Err(e) => Err(e),
                };
                Ok(match outcome {
                    Ok(v) => BatchItemJson {
                        verified: true,
                        result: Some(verified_json(&v)),
                        error: None,
                        detail: None,
                    },
                    Err(e) => BatchItemJson {
                        verified: false,
                        result: None,
                        error: Some(format!("urn:veil:problem:{}", e.code())),
                        detail: Some(e.to_string()),
                    },
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(VerifyBatchJson { results }))
}
