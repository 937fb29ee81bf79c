//! Evidence-vault endpoints: streamed uploads against a signed put record,
//! downloads against a signed open record (served once the record is
//! committed), documents, trails and parties. Records other than uploads
//! and openings (enrol, grant, revoke, purge) go through
//! `POST /v1/transactions` like any transaction.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use veil_client::types::{
    VaultDocumentJson, VaultLogEntryJson, VaultLogJson, VaultPartyJson, VaultUploadJson,
    VaultVersionJson, VaultWrapJson,
};
use veil_codec::Encode;
use veil_node::vault::VaultError;
use veil_node::Node;
use veil_tx::vault::{records as rec, VaultOp, VaultTxError};
use veil_tx::{LedgerView, Transaction, TxError};

use super::{hex32, ApiError, ApiResult};

/// Most trail entries listed.
const MAX_LOG: usize = 10_000;

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Submit(s) => s.into(),
            other => {
                let (status, title) = match &other {
                    VaultError::BadRequest(_) => {
                        (StatusCode::BAD_REQUEST, "Malformed vault request")
                    }
                    VaultError::Refused(TxError::Vault(
                        VaultTxError::Forbidden | VaultTxError::NotOwner,
                    )) => (StatusCode::FORBIDDEN, "Not allowed"),
                    VaultError::Refused(TxError::Vault(
                        VaultTxError::UnknownDocument | VaultTxError::UnknownVersion,
                    )) => (StatusCode::NOT_FOUND, "No such document"),
                    VaultError::Refused(TxError::Vault(VaultTxError::Purged)) => {
                        (StatusCode::GONE, "Document purged")
                    }
                    VaultError::Refused(TxError::Vault(VaultTxError::Replay)) => {
                        (StatusCode::CONFLICT, "Replayed record")
                    }
                    VaultError::Refused(TxError::Vault(VaultTxError::Signature)) => {
                        (StatusCode::UNAUTHORIZED, "Bad signature")
                    }
                    VaultError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Refused"),
                    VaultError::TooLarge { .. } | VaultError::Quota { .. } => {
                        (StatusCode::PAYLOAD_TOO_LARGE, "Too large")
                    }
                    VaultError::Mismatch(_) => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "Content does not match")
                    }
                    VaultError::Expired => (StatusCode::UNAUTHORIZED, "Request expired"),
                    VaultError::Missing(_) => (StatusCode::SERVICE_UNAVAILABLE, "Not held yet"),
                    VaultError::Storage(_) | VaultError::Submit(_) => {
                        (StatusCode::INTERNAL_SERVER_ERROR, "Storage failed")
                    }
                };
                ApiError::new(status, other.code(), title, other.to_string()).vault_scheme()
            }
        }
    }
}

/// A put record comes with its content, through `POST /v1/vault/uploads`;
/// on its own (through `POST /v1/transactions`) it would name ciphertext
/// no node holds, so it is refused there.
pub(crate) fn refuse_bare_put(tx: &[u8]) -> Result<(), ApiError> {
    // version ‖ kind ‖ actor 32 ‖ nonce 16 ‖ op
    const OP: usize = 2 + 32 + 16;
    if tx.get(1) == Some(&veil_tx::vault::KIND_VAULT) && tx.get(OP) == Some(&2) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "vault-put-without-content",
            "A put record travels with its content",
            "send a vault put with its stream to POST /v1/vault/uploads".to_owned(),
        ));
    }
    Ok(())
}

fn record_from(headers: &HeaderMap) -> Result<Vec<u8>, ApiError> {
    let unauthorized = |d: &str| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Signed vault record required",
            d.to_owned(),
        )
        .vault_scheme()
    };
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("send Authorization: Veil-Vault <hex record>"))?;
    auth.strip_prefix("Veil-Vault ")
        .and_then(|h| hex::decode(h.trim()).ok())
        .ok_or_else(|| unauthorized("the Authorization header must be `Veil-Vault <hex>`"))
}

/// Upload a document version: `Authorization: Veil-Vault <hex put
/// record>` and the vault stream as the body (`manifest length u32 ‖
/// manifest ‖ chunks`). Every chunk is checked against the manifest and
/// the manifest against the record's content address; on any mismatch
/// nothing is kept. The put record is then submitted.
#[utoipa::path(post, path = "/v1/vault/uploads",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the vault stream"),
    responses((status = 202, body = VaultUploadJson), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn upload(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<VaultUploadJson>), ApiError> {
    let mut stream = body.into_data_stream();
    match receive(&node, &headers, &mut stream).await {
        Ok(done) => Ok(done),
        Err(e) => {
            // Read (and drop) what the client is still sending, up to a
            // bound, so that it reads the problem instead of a broken
            // pipe; a larger body gets the problem and a closed
            // connection (clients sending `Expect: 100-continue` send
            // nothing before an early refusal).
            let mut drained = 0usize;
            while drained < DRAIN_LIMIT {
                match stream.next().await {
                    Some(Ok(bytes)) => drained = drained.saturating_add(bytes.len()),
                    _ => break,
                }
            }
            Err(e)
        }
    }
}

/// Most bytes of a refused upload read before answering.
const DRAIN_LIMIT: usize = 16 << 20;

async fn receive(
    node: &Arc<Node>,
    headers: &HeaderMap,
    stream: &mut axum::body::BodyDataStream,
) -> Result<(StatusCode, Json<VaultUploadJson>), ApiError> {
    let record = record_from(headers)?;
    let (doc, version) = match Transaction::decode(&record) {
        Ok(Transaction::Vault(v)) => match &v.op {
            VaultOp::Put(p) => (p.doc, p.version),
            _ => return Err(ApiError::bad_request("not a put record")),
        },
        _ => return Err(ApiError::bad_request("not a put record")),
    };
    let mut upload = node.vault_begin_upload(&record)?;
    while let Some(frame) = stream.next().await {
        let result = match frame {
            Ok(bytes) => upload.feed(node, &bytes).await,
            Err(e) => Err(VaultError::Mismatch(format!("the upload broke off: {e}"))),
        };
        if let Err(e) = result {
            upload.abort(node).await;
            return Err(e.into());
        }
    }
    let hash = upload.finish(node).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(VaultUploadJson {
            hash: hash.to_string(),
            status: "pending".into(),
            doc: hex::encode(doc),
            version,
        }),
    ))
}

/// Download a document version's ciphertext: `Authorization: Veil-Vault
/// <hex open record>` signed by the owner, a grantee, a regulator or a
/// holder of the document key. The record is committed to the ledger
/// before the first byte is sent; the body is the vault stream.
#[utoipa::path(get, path = "/v1/vault/documents/{doc}/versions/{version}/content",
    params(("doc" = String, Path, description = "document id (hex)"), ("version" = u32, Path, description = "version")),
    responses((status = 200, content_type = "application/octet-stream", description = "the vault stream"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 503, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn download(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    Path((doc, version)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let doc = hex32(&doc, "doc")?;
    let record = record_from(&headers)?;
    match Transaction::decode(&record) {
        Ok(Transaction::Vault(v)) => match &v.op {
            VaultOp::Open {
                doc: d, version: n, ..
            } if *d == doc && *n == version => {}
            _ => {
                return Err(ApiError::bad_request(
                    "the record is not an opening of this document version",
                ))
            }
        },
        _ => return Err(ApiError::bad_request("not a vault open record")),
    }
    let opening = node.vault_open(&record).await?;
    let manifest = opening.manifest.encode().map_err(ApiError::internal)?;
    let len = u32::try_from(manifest.len()).map_err(ApiError::internal)?;
    let total = 4 + u64::from(len) + opening.manifest.ciphertext_len();
    let head = [&len.to_be_bytes()[..], &manifest].concat();
    let hashes: Vec<[u8; 32]> = opening.manifest.chunks.iter().map(|c| c.hash).collect();
    let node2 = Arc::clone(&node);
    // Reads run ahead of the socket by a few chunks (bounded memory: at
    // most READ_AHEAD chunks wait), so the disk and the network overlap.
    const READ_AHEAD: usize = 4;
    let chunks = futures_util::stream::iter(hashes).map(move |h| {
        let node = Arc::clone(&node2);
        async move {
            tokio::task::spawn_blocking(move || {
                use veil_ledger::chunks::ChunkStore;
                node.vault()
                    .chunks()
                    .get(&h)
                    .map_err(std::io::Error::other)?
                    .ok_or_else(|| std::io::Error::other("a chunk vanished while serving"))
            })
            .await
            .map_err(std::io::Error::other)?
            .map(axum::body::Bytes::from)
        }
    });
    let chunks = chunks.buffered(READ_AHEAD);
    let stream = futures_util::stream::once(async move {
        Ok::<_, std::io::Error>(axum::body::Bytes::from(head))
    })
    .chain(chunks);
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, total.to_string()),
            (
                header::HeaderName::from_static("veil-record"),
                opening.record.to_string(),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

fn version_json(node: &Node, doc: &[u8; 32], n: u32) -> Result<Option<VaultVersionJson>, ApiError> {
    let Some(v) = rec::version(&*node.ledger, doc, n).map_err(ApiError::internal)? else {
        return Ok(None);
    };
    let mut wraps = Vec::with_capacity(v.holders.len());
    for party in &v.holders {
        if let Some(w) = rec::wrap(&*node.ledger, doc, n, party).map_err(ApiError::internal)? {
            wraps.push(VaultWrapJson {
                party: hex::encode(party.as_bytes()),
                wrap: hex::encode(w.encode().map_err(ApiError::internal)?),
            });
        }
    }
    Ok(Some(VaultVersionJson {
        version: n,
        address: hex::encode(v.address),
        size: v.size,
        chunks: v.chunks,
        regulator_key: hex::encode(v.regulator_key.as_point().as_bytes()),
        regulator_wrap: hex::encode(v.regulator_wrap.encode().map_err(ApiError::internal)?),
        capability: hex::encode(v.capability.as_bytes()),
        wraps,
        metadata: hex::encode(&v.metadata),
    }))
}

/// A document: owner, grantees and every version held, with each party's
/// wrapped key (ciphertext: only its party opens it).
#[utoipa::path(get, path = "/v1/vault/documents/{doc}",
    params(("doc" = String, Path, description = "document id (hex)")),
    responses((status = 200, body = VaultDocumentJson), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn document(
    State(node): State<Arc<Node>>,
    Path(doc): Path<String>,
) -> ApiResult<VaultDocumentJson> {
    let id = hex32(&doc, "doc")?;
    let d = rec::doc(&*node.ledger, &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("no such document"))?;
    let mut versions = Vec::new();
    for n in 1..=d.latest {
        if let Some(v) = version_json(&node, &id, n)? {
            versions.push(v);
        }
    }
    Ok(Json(VaultDocumentJson {
        doc: hex::encode(id),
        owner: hex::encode(d.owner.as_bytes()),
        latest: d.latest,
        purged: d.purged,
        grantees: d
            .grantees
            .iter()
            .map(|g| hex::encode(g.as_bytes()))
            .collect(),
        versions,
    }))
}

/// A document's trail: every put, grant, revoke, opening and purge, each
/// signed by its actor, in ledger order.
#[utoipa::path(get, path = "/v1/vault/documents/{doc}/log",
    params(("doc" = String, Path, description = "document id (hex)")),
    responses((status = 200, body = VaultLogJson), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn log(
    State(node): State<Arc<Node>>,
    Path(doc): Path<String>,
) -> ApiResult<VaultLogJson> {
    let id = hex32(&doc, "doc")?;
    let d = rec::doc(&*node.ledger, &id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("no such document"))?;
    let mut entries = Vec::new();
    let mut ever_granted = std::collections::BTreeSet::new();
    for (height, position, hash) in node
        .ledger
        .vault_log(&id, MAX_LOG)
        .map_err(ApiError::internal)?
    {
        let Some((Transaction::Vault(v), _)) = node.ledger.tx(&hash).map_err(ApiError::internal)?
        else {
            continue;
        };
        let timestamp_ms = node
            .ledger
            .header(height)
            .map_err(ApiError::internal)?
            .map_or(0, |h| h.timestamp_ms);
        let (version, party) = match &v.op {
            VaultOp::Put(p) => {
                ever_granted.extend(p.wraps.iter().skip(1).map(|(k, _)| *k));
                (Some(p.version), None)
            }
            VaultOp::Grant { version, party, .. } => {
                ever_granted.insert(*party);
                (Some(*version), Some(hex::encode(party.as_bytes())))
            }
            VaultOp::Revoke { party, .. } => (None, Some(hex::encode(party.as_bytes()))),
            VaultOp::Open { version, .. } => (Some(*version), None),
            VaultOp::Purge { .. } | VaultOp::Enrol(_) | VaultOp::EnrolDid { .. } => (None, None),
        };
        let role = if v.actor == d.owner {
            "owner"
        } else if matches!(
            v.op,
            VaultOp::Open {
                capability: Some(_),
                ..
            }
        ) {
            "capability"
        } else if node.ledger.regulator_identity(&v.actor).is_some() {
            "regulator"
        } else if d.grantees.contains(&v.actor) {
            "grantee"
        } else if ever_granted.contains(&v.actor) {
            "former grantee"
        } else {
            "party"
        };
        entries.push(VaultLogEntryJson {
            height,
            position,
            timestamp_ms,
            tx: hash.to_string(),
            op: v.op_name().into(),
            actor: hex::encode(v.actor.as_bytes()),
            role: role.into(),
            version,
            party,
        });
    }
    Ok(Json(VaultLogJson {
        doc: hex::encode(id),
        entries,
    }))
}

/// An enrolled party, by its key (hex), its wallet address (veil1…) or its
/// DID (did:veil:…). A DID party is reported only while in good standing
/// (its DID active and still naming the party key); otherwise 409.
#[utoipa::path(get, path = "/v1/vault/parties/{id}",
    params(("id" = String, Path, description = "party key (hex), wallet address (veil1…) or DID (did:veil:…)")),
    responses((status = 200, body = VaultPartyJson), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn party(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> ApiResult<VaultPartyJson> {
    let key = if id.starts_with("veil1") {
        let address: veil_crypto::keys::Address = id
            .parse()
            .map_err(|_| ApiError::bad_request("not a valid veil1 address"))?;
        rec::party_of_address(&*node.ledger, &address)
            .ok_or_else(|| ApiError::not_found("that address is not enrolled in the vault"))?
    } else if id.starts_with("did:") {
        let did: veil_identity::DidId = id
            .parse()
            .map_err(|_| ApiError::bad_request("not a valid did:veil identifier"))?;
        rec::party_of_did(&*node.ledger, &did)
            .ok_or_else(|| ApiError::not_found("that DID is not enrolled in the vault"))?
    } else {
        let bytes = hex32(&id, "party")?;
        veil_crypto::signing::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| ApiError::bad_request("not a valid Ed25519 key"))?
    };
    let p = rec::enrolled(&*node.ledger, &key)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("not enrolled in the vault"))?;
    let party = hex::encode(key.as_bytes());
    Ok(Json(match p {
        veil_tx::vault::Enrolled::Wallet(w) => VaultPartyJson {
            party,
            kind: "wallet".into(),
            address: Some(w.address.to_string()),
            did: None,
            agreement_method: None,
            agreement_key: None,
        },
        veil_tx::vault::Enrolled::Did(d) => {
            let x = veil_tx::vault::did_standing(&*node.ledger, &key, &d).map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    e.code(),
                    "DID party not in good standing",
                    e.to_string(),
                )
            })?;
            VaultPartyJson {
                party,
                kind: "did".into(),
                address: None,
                did: Some(d.did.to_string()),
                agreement_method: Some(d.did.method_url(&d.agreement)),
                agreement_key: Some(hex::encode(x)),
            }
        }
    }))
}

use super::Problem;
