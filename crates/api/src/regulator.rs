//! Regulator endpoints: authenticated, recorded views of transfers, and the
//! public registry, participant directory and access-audit trail.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use veil_codec::Encode;
use veil_node::AccessStatus;
use veil_node::Node;
use veil_tx::{LedgerView, Transaction};

use super::*;

fn unauthorized(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Regulator authentication required",
        detail,
    )
}

/// Transfers and mints in a height range, for a regulator to decrypt
/// locally. Requires `Authorization: Veil-Regulator <hex credential>`
/// (see `tx::access`); every served request is recorded on the ledger.
#[utoipa::path(get, path = "/v1/regulator/transfers",
    params(("from" = String, Query, description = "first height, or `latest`"), ("to" = String, Query, description = "last height, or `latest`"),
           ("bank" = Option<String>, Query, description = "participant filter: recorded in the audit entry, applied by the regulator's client after decryption (the node cannot see participants)"),
           ("asset" = Option<String>, Query, description = "asset filter, applied by the node: only that asset's transfers and mints are served")),
    responses((status = 200, body = RegulatorTransfersJson), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn regulator_transfers(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<RegulatorTransfersJson> {
    let req = regulator_request(&headers, "GET", &target_of(&uri))?;
    let tip = node.ledger.tip().height;
    let from = super::parse_height(
        "from",
        q.get("from")
            .ok_or_else(|| ApiError::bad_request("`from` is required"))?,
        tip,
    )?;
    let to = match q.get("to") {
        None => tip,
        Some(t) => super::parse_height("to", t, tip)?,
    };
    // The asset scope is applied here, so the access record (which holds
    // the query) states exactly what was served. The bank scope cannot be:
    // who paid whom is inside the regulator ciphertexts, which only the
    // regulator's client decrypts.
    let asset = q
        .get("asset")
        .map(|a| veil_tx::AssetId::new(a))
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("`asset`: {e}")))?;
    if to < from || to - from >= MAX_REGULATOR_BLOCKS {
        return Err(ApiError::bad_request(format!(
            "need from ≤ to and at most {MAX_REGULATOR_BLOCKS} blocks per request"
        )));
    }
    let hash = veil_tx::Transaction::Access(req.clone())
        .hash()
        .map_err(|e| unauthorized(e.to_string()))?;
    let n = Arc::clone(&node);
    tokio::task::spawn_blocking(move || n.authorize_and_record(req, (from, to)))
        .await
        .map_err(ApiError::internal)?
        .map_err(access_problem)?;
    let mut transactions = Vec::new();
    for h in from..=to.min(tip) {
        let Some(block) = node.ledger.block(h).map_err(ApiError::internal)? else {
            break;
        };
        for tx in &block.txs {
            let Some((tx_asset, bundle)) = tx.outputs() else {
                continue;
            };
            if asset.as_ref().is_some_and(|a| a != tx_asset) {
                continue;
            }
            let key = node
                .ledger
                .regulator_key_info(&bundle.regulator_key)
                .map(|(j, s)| KeySlotJson {
                    jurisdiction: j.to_string(),
                    epoch: s.epoch,
                    version: s.version,
                });
            let bytes = tx.encode().map_err(ApiError::internal)?;
            transactions.push(RegulatorTxJson {
                hash: Transaction::hash_of(&bytes).to_string(),
                height: h,
                timestamp_ms: block.header.timestamp_ms,
                kind: tx.kind().into(),
                asset: tx_asset.to_string(),
                key,
                hex: hex::encode(&bytes),
            });
        }
    }
    Ok(Json(RegulatorTransfersJson {
        from,
        to,
        access_record: hash.to_string(),
        asset: asset.map(|a| a.to_string()),
        transactions,
    }))
}

/// Regulator identities and every published epoch key (public).
#[utoipa::path(get, path = "/v1/regulator-keys", responses((status = 200, body = RegulatorRegistryJson)))]
pub(crate) async fn regulator_keys(
    State(node): State<Arc<Node>>,
) -> ApiResult<RegulatorRegistryJson> {
    let l = &node.ledger;
    let p = l.params().map_err(ApiError::internal)?;
    Ok(Json(RegulatorRegistryJson {
        epoch_length: p.epoch_length,
        grace_epochs: p.grace_epochs,
        transfer_jurisdiction: p.transfer_jurisdiction.as_ref().map(ToString::to_string),
        current_epoch: l.epoch_of(l.next_height()),
        identities: l
            .regulator_identities()
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|(id, r)| RegulatorIdentityJson {
                label: r.label,
                identity: id.to_string(),
                jurisdictions: r.jurisdictions.iter().map(ToString::to_string).collect(),
                sequence: r.sequence,
            })
            .collect(),
        keys: l
            .regulator_keys()
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|(j, s, r)| RegulatorKeyJson {
                jurisdiction: j.to_string(),
                epoch: s.epoch,
                version: s.version,
                key: hex::encode(r.key.as_bytes()),
                active: r.active,
            })
            .collect(),
    }))
}

/// The participant directory (public).
#[utoipa::path(get, path = "/v1/participants", responses((status = 200, body = [ParticipantJson])))]
pub(crate) async fn participants(State(node): State<Arc<Node>>) -> ApiResult<Vec<ParticipantJson>> {
    Ok(Json(
        node.ledger
            .participants()
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|(name, d)| ParticipantJson {
                name,
                address_digest: hex::encode(d),
            })
            .collect(),
    ))
}

/// Access-audit entries in a height range (public: banks see who looked).
#[utoipa::path(get, path = "/v1/audit-log",
    params(("from" = Option<String>, Query, description = "first height, or `latest`"), ("to" = Option<String>, Query, description = "last height, or `latest`")),
    responses((status = 200, body = AuditLogJson), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn audit_log(
    State(node): State<Arc<Node>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<AuditLogJson> {
    let tip = node.ledger.tip().height;
    let num = |k: &str, d: u64| -> Result<u64, ApiError> {
        q.get(k).map_or(Ok(d), |s| super::parse_height(k, s, tip))
    };
    let from = num("from", 0)?;
    let to = num("to", u64::MAX)?;
    let ids: HashMap<String, String> = node
        .ledger
        .regulator_identities()
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|(k, r)| (k.to_string(), r.label))
        .collect();
    let mut entries = Vec::new();
    for (height, _, hash) in node
        .ledger
        .audit_log(from, to, 10_000)
        .map_err(ApiError::internal)?
    {
        let Some((veil_tx::Transaction::Access(req), _)) =
            node.ledger.tx(&hash).map_err(ApiError::internal)?
        else {
            continue;
        };
        let ts = node
            .ledger
            .header(height)
            .map_err(ApiError::internal)?
            .map_or(0, |h| h.timestamp_ms);
        let requester_label = match &req.delegation {
            None => ids
                .get(&req.requester.to_string())
                .cloned()
                .unwrap_or_default(),
            Some(d) => format!(
                "auditor delegated by {}",
                ids.get(&d.issuer.to_string())
                    .cloned()
                    .unwrap_or_else(|| d.issuer.to_string())
            ),
        };
        entries.push(AuditEntryJson {
            height,
            timestamp_ms: ts,
            tx: hash.to_string(),
            requester: req.requester.to_string(),
            requester_label,
            delegated_epoch: req.delegation.as_ref().map(|d| d.epoch),
            method: req.method.clone(),
            target: req.target.clone(),
            query_hash: hex::encode(req.query_hash()),
            expires_ms: req.expires_ms,
        });
    }
    Ok(Json(AuditLogJson { entries }))
}

/// The signed request in `Authorization: Veil-Regulator <hex>` for
/// `method target`.
fn regulator_request(
    headers: &HeaderMap,
    method: &str,
    target: &str,
) -> Result<veil_tx::access::RegulatorRequest, ApiError> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("send Authorization: Veil-Regulator <credential>"))?;
    let cred = auth
        .strip_prefix("Veil-Regulator ")
        .and_then(|h| hex::decode(h.trim()).ok())
        .ok_or_else(|| unauthorized("the Authorization header must be `Veil-Regulator <hex>`"))?;
    veil_tx::access::RegulatorRequest::from_credential(&cred, method, target)
        .map_err(|e| unauthorized(format!("malformed credential: {e}")))
}

fn access_problem(e: veil_node::AccessError) -> ApiError {
    match e.status() {
        AccessStatus::Unauthenticated => unauthorized(e.to_string()),
        AccessStatus::Forbidden => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Outside the delegated scope",
            e.to_string(),
        ),
        AccessStatus::Unrecorded => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Access not recorded",
            format!("{e}; nothing was served"),
        ),
    }
}

fn target_of(uri: &axum::http::Uri) -> String {
    uri.path_and_query()
        .map_or(uri.path(), |pq| pq.as_str())
        .to_owned()
}

fn heights_of(q: &HashMap<String, String>, tip: u64) -> Result<(u64, u64), ApiError> {
    let get = |k: &str| {
        q.get(k)
            .ok_or_else(|| ApiError::bad_request(format!("`{k}` is required")))
            .and_then(|v| super::parse_height(k, v, tip))
    };
    let (from, to) = (get("from")?, get("to")?);
    if to < from {
        return Err(ApiError::bad_request("need from ≤ to"));
    }
    Ok((from, to))
}

/// An officer's share of a threshold opening: the body is its partial
/// decryption sealed to the requester; `Authorization: Veil-Regulator` is
/// the officer's signed request for this exact target (`request`,
/// `officer`, `digest` of the body, `from`, `to`). The request becomes an
/// access record first; the share is served only once that record is
/// committed.
#[utoipa::path(post, path = "/v1/regulator/threshold/shares",
    params(("request" = String, Query, description = "share request id (hex)"), ("officer" = u16, Query, description = "the officer's index"),
           ("digest" = String, Query, description = "SHA-256 tagged hash of the body (hex)"), ("from" = u64, Query, description = "first height of the request"), ("to" = u64, Query, description = "last height of the request")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the sealed partial decryption"),
    responses((status = 200, body = ThresholdShareAcceptedJson), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn threshold_share_post(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> ApiResult<ThresholdShareAcceptedJson> {
    let target = target_of(&uri);
    let request = super::hex32(
        q.get("request")
            .ok_or_else(|| ApiError::bad_request("`request` is required"))?,
        "request",
    )?;
    let officer: u16 = q
        .get("officer")
        .and_then(|o| o.parse().ok())
        .filter(|o| (1..=veil_crypto::threshold::MAX_OFFICERS).contains(o))
        .ok_or_else(|| ApiError::bad_request("`officer` must be an index from 1 to 64"))?;
    let digest = super::hex32(
        q.get("digest")
            .ok_or_else(|| ApiError::bad_request("`digest` is required"))?,
        "digest",
    )?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the body (the sealed share) is empty",
        ));
    }
    if veil_crypto::hash::hash256(b"veil/threshold/blob/v1", &[&body]) != digest {
        return Err(ApiError::bad_request(
            "the body does not match the signed `digest`",
        ));
    }
    let heights = heights_of(&q, node.ledger.tip().height)?;
    let req = regulator_request(&headers, "POST", &target)?;
    let n = Arc::clone(&node);
    let record = tokio::task::spawn_blocking(move || {
        n.threshold_keep(req, heights, &request, officer, &body)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(access_problem)?;
    Ok(Json(ThresholdShareAcceptedJson {
        request: hex::encode(request),
        officer,
        access_record: hex::encode(record),
    }))
}

/// The shares of a threshold opening whose access records are committed
/// (sealed to the requester); the read is itself recorded.
#[utoipa::path(get, path = "/v1/regulator/threshold/shares",
    params(("request" = String, Query, description = "share request id (hex)"), ("from" = u64, Query, description = "first height of the request"), ("to" = u64, Query, description = "last height of the request")),
    responses((status = 200, body = ThresholdSharesJson), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 503, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn threshold_shares_get(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<ThresholdSharesJson> {
    let target = target_of(&uri);
    let request = super::hex32(
        q.get("request")
            .ok_or_else(|| ApiError::bad_request("`request` is required"))?,
        "request",
    )?;
    let heights = heights_of(&q, node.ledger.tip().height)?;
    let req = regulator_request(&headers, "GET", &target)?;
    let record = veil_tx::Transaction::Access(req.clone())
        .hash()
        .map_err(|e| unauthorized(e.to_string()))?;
    let n = Arc::clone(&node);
    let (shares, pending) = tokio::task::spawn_blocking(move || {
        n.authorize_and_record(req, heights)?;
        n.threshold_shares(&request)
            .map_err(|e| veil_node::AccessError::NotKept(std::io::Error::other(e.to_string())))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(access_problem)?;
    Ok(Json(ThresholdSharesJson {
        request: hex::encode(request),
        access_record: record.to_string(),
        shares: shares
            .into_iter()
            .map(|s| ThresholdShareJson {
                officer: s.officer,
                officer_key: hex::encode(s.officer_key),
                access_record: hex::encode(s.record),
                blob: hex::encode(s.blob),
            })
            .collect(),
        pending,
    }))
}
