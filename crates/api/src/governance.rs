//! Governance endpoints: the committee and its parameters, proposals with
//! their votes and tallies, and the validator set with candidates and
//! delegations. Read-only: proposals and votes are transactions, submitted
//! like any other (`POST /v1/transactions`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use veil_node::Node;
use veil_tx::governance::rules::{ProposalRecord, Status};
use veil_tx::governance::{liveness, Action, Param};
use veil_tx::LedgerView;

use super::*;

/// Most proposals per list request.
pub const MAX_PROPOSALS: usize = 200;

fn action_json(action: &Action) -> ActionJson {
    let mut f = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        f.insert(k.to_owned(), v);
    };
    match action {
        Action::AddMember { key, weight, label } => {
            set("key", key.to_string());
            set("weight", weight.to_string());
            set("label", label.clone());
        }
        Action::RemoveMember { key } => set("key", key.to_string()),
        Action::SetWeight { key, weight } => {
            set("key", key.to_string());
            set("weight", weight.to_string());
        }
        Action::RegisterNode {
            key,
            name,
            address,
            observer,
            bond,
        } => {
            set("key", key.to_string());
            set("name", name.clone());
            set("address", address.clone());
            set("observer", observer.to_string());
            set("bond", bond.to_string());
        }
        Action::RemoveNode { key } => set("key", key.to_string()),
        Action::AccreditIssuer { asset, issuer } => {
            set("asset", asset.to_string());
            set("issuer", issuer.to_string());
        }
        Action::RevokeIssuer { asset } => set("asset", asset.to_string()),
        Action::CreateAsset {
            asset,
            name,
            decimals,
            issuer,
            supply,
        } => {
            set("asset", asset.to_string());
            set("name", name.clone());
            set("decimals", decimals.to_string());
            set("issuer", issuer.to_string());
            set("supply", supply.as_str().to_owned());
        }
        Action::SetParams { changes } => {
            for (p, v) in changes {
                set(p.name(), v.to_string());
            }
        }
        Action::SetRootAuthority { did } => set("did", did.to_string()),
        Action::Halt { height } => set("height", height.to_string()),
        Action::PurgeDocument { doc } => set("doc", hex::encode(doc)),
    }
    ActionJson {
        kind: action.kind().to_owned(),
        fields: f,
    }
}

/// The API form of a proposal.
pub fn proposal_json(p: &ProposalRecord) -> ProposalJson {
    let closed = p.status != Status::Voting;
    ProposalJson {
        id: p.id,
        proposer: p.proposer.to_string(),
        action: action_json(&p.action),
        memo: p.memo.clone(),
        status: p.status.as_str().to_owned(),
        submitted_height: p.submitted,
        voting_end_height: p.end,
        closed_height: closed.then_some(p.closed),
        votes: p
            .votes
            .iter()
            .map(|(k, c)| VoteJson {
                voter: k.to_string(),
                choice: c.as_str().to_owned(),
            })
            .collect(),
        tally: closed.then_some(TallyJson {
            yes: p.tally.yes,
            no: p.tally.no,
            abstain: p.tally.abstain,
            veto: p.tally.veto,
            total: p.tally.total,
        }),
    }
}

/// The committee, the governed parameters and the open proposals.
#[utoipa::path(get, path = "/v1/governance",
    responses((status = 200, body = GovernanceJson)))]
pub(crate) async fn governance(State(node): State<Arc<Node>>) -> ApiResult<GovernanceJson> {
    let l = &node.ledger;
    let committee = l.committee().map_err(ApiError::internal)?;
    let params = l.gov_params().map_err(ApiError::internal)?;
    let open = l.open_proposals().map_err(ApiError::internal)?;
    let mut p: BTreeMap<String, u64> = Param::ALL
        .iter()
        .map(|x| (x.name().to_owned(), params.get(*x)))
        .collect();
    p.insert("halt_height".into(), params.halt_height);
    Ok(Json(GovernanceJson {
        enabled: !committee.members.is_empty(),
        total_weight: committee.total_weight(),
        committee: committee
            .members
            .iter()
            .map(|m| MemberJson {
                key: m.key.to_string(),
                label: m.label.clone(),
                weight: m.weight,
                sequence: m.sequence,
                delegations: m
                    .delegations
                    .iter()
                    .map(|(k, a)| (k.to_string(), *a))
                    .collect(),
            })
            .collect(),
        params: p,
        open,
    }))
}

/// Proposals, newest first.
#[utoipa::path(get, path = "/v1/governance/proposals",
    params(("status" = Option<String>, Query, description = "only proposals in this status (voting, passed, rejected, vetoed, expired, failed)"),
           ("limit" = Option<usize>, Query, description = "at most 200 (default 50)")),
    responses((status = 200, body = ProposalsJson), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn proposals(
    State(node): State<Arc<Node>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<ProposalsJson> {
    let limit = match q.get("limit") {
        None => 50,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PROPOSALS).contains(n))
            .ok_or_else(|| ApiError::bad_request("`limit` must be 1 to 200"))?,
    };
    let status = q.get("status").cloned();
    if let Some(s) = &status {
        const ALL: [&str; 6] = [
            "voting", "passed", "rejected", "vetoed", "expired", "failed",
        ];
        if !ALL.contains(&s.as_str()) {
            return Err(ApiError::bad_request(
                "`status` must be voting, passed, rejected, vetoed, expired or failed",
            ));
        }
    }
    let all = node
        .ledger
        .proposals(usize::MAX)
        .map_err(ApiError::internal)?;
    Ok(Json(ProposalsJson {
        proposals: all
            .iter()
            .filter(|p| status.as_deref().is_none_or(|s| p.status.as_str() == s))
            .take(limit)
            .map(proposal_json)
            .collect(),
    }))
}

/// One proposal with its votes and, once closed, its tally.
#[utoipa::path(get, path = "/v1/governance/proposals/{id}",
    params(("id" = u64, Path, description = "proposal id")),
    responses((status = 200, body = ProposalJson), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn proposal(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> ApiResult<ProposalJson> {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("the proposal id must be an integer"))?;
    let p = node
        .ledger
        .proposal(id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found(format!("no proposal {id}")))?;
    Ok(Json(proposal_json(&p)))
}

/// The validator set that decided block `height` (or decides it, for the
/// next block), as the ledger state before that block recorded it.
#[utoipa::path(get, path = "/v1/validators/{height}",
    params(("height" = String, Path, description = "block height, 1 to the tip + 1, or `latest`")),
    responses((status = 200, body = ValidatorSetJson), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn validator_set_at(
    State(node): State<Arc<Node>>,
    Path(height): Path<String>,
) -> ApiResult<ValidatorSetJson> {
    let tip = node.ledger.tip().height;
    let height = super::parse_height("height", &height, tip)?;
    let next = tip + 1;
    let (set, root) = node
        .ledger
        .validator_set_at(height)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no validator set recorded for height {height} (heights 1 to {next}; a chain without validators has none)"
            ))
        })?;
    Ok(Json(ValidatorSetJson {
        height,
        total_power: set.iter().map(|(_, p)| *p).sum(),
        validators: set.iter().map(|(k, p)| (hex::encode(k), *p)).collect(),
        state_root: hex::encode(root),
    }))
}

/// The validator set that decides the next block, every registered node
/// with its bond and delegations, and a scheduled change.
#[utoipa::path(get, path = "/v1/validators",
    responses((status = 200, body = ValidatorsJson)))]
pub(crate) async fn validators(State(node): State<Arc<Node>>) -> ApiResult<ValidatorsJson> {
    let l = &node.ledger;
    let powers = l.validators().map_err(ApiError::internal)?;
    let candidates = l.candidates().map_err(ApiError::internal)?;
    let committee = l.committee().map_err(ApiError::internal)?;
    let power_of = |k: &[u8; 32]| powers.iter().find(|(p, _)| p == k).map_or(0, |(_, w)| *w);
    let jail = liveness::jail(&**l).map_err(ApiError::internal)?;
    let live = liveness::liveness(&**l).map_err(ApiError::internal)?;
    let missed = |k: &[u8; 32]| {
        live.missed
            .iter()
            .find(|(m, _)| m == k)
            .map_or(0, |(_, n)| *n)
    };
    let jail_of = |k: &[u8; 32]| {
        jail.get(k).map(|j| JailJson {
            reason: j.reason.name().into(),
            since: j.since,
            until: (!j.tombstoned()).then_some(j.until),
            tombstoned: j.tombstoned(),
        })
    };
    let mut nodes: Vec<NodeJson> = candidates
        .nodes
        .iter()
        .map(|c| NodeJson {
            key: c.key.to_string(),
            name: c.name.clone(),
            address: c.address.clone(),
            observer: c.observer,
            bond: c.bond,
            delegated: committee.delegated_to(&c.key),
            power: power_of(c.key.as_bytes()),
            missed: missed(c.key.as_bytes()),
            jail: jail_of(c.key.as_bytes()),
        })
        .collect();
    // Allow-listed keys without a candidate record (chains older than
    // governance).
    for (k, p) in &powers {
        if !nodes.iter().any(|n| n.key == hex::encode(k)) {
            nodes.push(NodeJson {
                key: hex::encode(k),
                name: String::new(),
                address: String::new(),
                observer: *p == 0,
                bond: *p,
                delegated: 0,
                power: *p,
                missed: missed(k),
                jail: jail_of(k),
            });
        }
    }
    nodes.sort_by(|a, b| a.key.cmp(&b.key));
    let pending = l.pending_set().map_err(ApiError::internal)?;
    Ok(Json(ValidatorsJson {
        height: l.next_height(),
        total_power: powers.iter().map(|(_, p)| *p).sum(),
        nodes,
        pending: pending.map(|p| PendingSetJson {
            activate_at: p.activate_at,
            validators: p
                .validators
                .iter()
                .map(|(k, w)| (hex::encode(k), *w))
                .collect(),
        }),
        liveness_window_start: live.window_start,
    }))
}
