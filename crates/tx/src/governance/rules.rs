//! The checks of governance transactions, the tally that closes
//! proposals, and the validator election, over the records of
//! [`super::records`] (re-exported here).
//!
//! Every function here is pure: it reads a [`GovState`] and returns
//! [`Effect`]s; the ledger applies them in one place, so a proposer, every
//! validator and a node replaying blocks interpret governance identically.

use std::net::SocketAddr;

use veil_crypto::signing::VerifyingKey;
use veil_identity::IdentityState;

pub use super::error::GovError;
pub use super::records::*;
use super::records::{decode_ids, encode_ids};
use super::{
    check_count, Action, Choice, GovParams, GovTx, Op, Supply, MAX_ADDRESS, MAX_CANDIDATES,
    MAX_DELEGATIONS, MAX_MEMBERS, MAX_OPEN, MAX_WEIGHT,
};
use crate::ledger_view::LedgerView;
use crate::pipeline::Effect;
use crate::vault::VaultState;
use crate::{AssetId, TxError};
use veil_codec::{Decode, DecodeError, DecodeExt, Encode};

/// What governance reads from ledger state.
pub trait GovState {
    /// A record of the `governance` column family (this block's pending
    /// writes first, then committed state).
    fn gov_record(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// The allow-list and voting powers in force for the next block: node
    /// key and power (0 = observer or not elected).
    fn current_validators(&self) -> Vec<([u8; 32], u64)>;
}

pub(super) fn load<T: Decode<Cfg = ()> + Default>(
    state: &impl GovState,
    key: &[u8],
    what: &'static str,
) -> Result<T, GovError> {
    match state.gov_record(key) {
        None => Ok(T::default()),
        Some(b) => T::decode(&b).map_err(|_| GovError::Corrupt(what)),
    }
}

/// The committee (empty on a chain without one).
pub fn committee(state: &impl GovState) -> Result<Committee, GovError> {
    load(state, KEY_COMMITTEE, "committee")
}

/// The parameters (defaults until genesis or a proposal writes them).
pub fn params(state: &impl GovState) -> Result<GovParams, GovError> {
    load(state, KEY_PARAMS, "params")
}

/// The registered nodes.
pub fn candidates(state: &impl GovState) -> Result<Candidates, GovError> {
    load(state, KEY_CANDIDATES, "candidates")
}

/// A proposal.
pub fn proposal(state: &impl GovState, id: u64) -> Result<Option<ProposalRecord>, GovError> {
    state
        .gov_record(&proposal_key(id))
        .map(|b| ProposalRecord::decode(&b).map_err(|_| GovError::Corrupt("proposal")))
        .transpose()
}

/// The open proposals' ids.
pub fn open(state: &impl GovState) -> Result<Vec<u64>, GovError> {
    match state.gov_record(KEY_OPEN) {
        None => Ok(Vec::new()),
        Some(b) => decode_ids(&b).map_err(|_| GovError::Corrupt("open proposals")),
    }
}

/// The scheduled validator set, if any.
pub fn pending_set(state: &impl GovState) -> Result<Option<PendingSet>, GovError> {
    state
        .gov_record(KEY_PENDING_SET)
        .map(|b| PendingSet::decode(&b).map_err(|_| GovError::Corrupt("pending set")))
        .transpose()
}

/// An asset's supply policy (open unless the committee closed it).
pub fn supply(state: &impl GovState, asset: &AssetId) -> Result<Supply, GovError> {
    match state.gov_record(&supply_key(asset)).as_deref() {
        None => Ok(Supply::Open),
        Some([t]) => Supply::from_tag(*t).map_err(|_| GovError::Corrupt("supply")),
        Some(_) => Err(GovError::Corrupt("supply")),
    }
}

/// The id the next proposal gets.
fn next_proposal(state: &impl GovState) -> Result<u64, GovError> {
    match state.gov_record(KEY_NEXT_PROPOSAL) {
        None => Ok(1),
        Some(b) => Ok(u64::from_le_bytes(
            b.try_into()
                .map_err(|_| GovError::Corrupt("next proposal"))?,
        )),
    }
}

/// A governance state change, as data.
#[derive(Clone, Debug, PartialEq)]
pub enum GovEffect {
    /// A `governance` record is written (or deleted with `None`).
    Record {
        /// Its key.
        key: Vec<u8>,
        /// Its new value.
        value: Option<Vec<u8>>,
    },
    /// A new asset.
    Asset {
        /// Its code.
        asset: AssetId,
        /// Its issuer.
        issuer: VerifyingKey,
        /// Decimal places.
        decimals: u8,
        /// Its name.
        name: String,
    },
    /// An asset's issuer changes.
    Issuer {
        /// The asset.
        asset: AssetId,
        /// The new issuer.
        issuer: VerifyingKey,
    },
    /// The allow-list and powers in force for the next block are replaced.
    Validators(Vec<([u8; 32], u64)>),
}

pub(super) fn put(key: &[u8], value: &impl Encode) -> Result<Effect, TxError> {
    Ok(Effect::Gov(GovEffect::Record {
        key: key.to_vec(),
        value: Some(value.encode()?),
    }))
}

fn put_raw(key: Vec<u8>, value: Vec<u8>) -> Effect {
    Effect::Gov(GovEffect::Record {
        key,
        value: Some(value),
    })
}

fn delete(key: &[u8]) -> Effect {
    Effect::Gov(GovEffect::Record {
        key: key.to_vec(),
        value: None,
    })
}

/// The stateful check of a governance transaction against `state` (the
/// block being built is `state.next_height()`); on success its effects.
pub fn check<V: LedgerView + IdentityState + GovState + VaultState>(
    tx: &GovTx,
    state: &V,
) -> Result<Vec<Effect>, TxError> {
    let mut committee = committee(state)?;
    if committee.members.is_empty() {
        return Err(GovError::NoCommittee.into());
    }
    let height = state.next_height();
    let member = committee.get_mut(&tx.signer).ok_or(GovError::NotMember)?;
    let expected = member.sequence + 1;
    if tx.sequence != expected {
        return Err(GovError::Sequence {
            expected,
            found: tx.sequence,
        }
        .into());
    }
    member.sequence = expected;
    let mut effects = Vec::new();
    match &tx.op {
        Op::Propose { action, memo } => {
            let mut ids = open(state)?;
            if ids.len() >= MAX_OPEN {
                return Err(GovError::TooManyOpen.into());
            }
            check_action(state, &committee, action)?;
            let id = next_proposal(state)?;
            let params = params(state)?;
            let record = ProposalRecord {
                id,
                proposer: tx.signer,
                action: action.clone(),
                memo: memo.clone(),
                submitted: height,
                end: height.saturating_add(params.voting_period),
                votes: vec![(tx.signer, Choice::Yes)],
                status: Status::Voting,
                tally: Tally::default(),
                closed: 0,
            };
            ids.push(id);
            effects.push(put(&proposal_key(id), &record)?);
            effects.push(put_raw(KEY_OPEN.to_vec(), encode_ids(&ids)?));
            effects.push(put_raw(
                KEY_NEXT_PROPOSAL.to_vec(),
                (id + 1).to_le_bytes().to_vec(),
            ));
        }
        Op::Vote {
            proposal: id,
            choice,
        } => {
            let mut record = proposal(state, *id)?.ok_or(GovError::UnknownProposal(*id))?;
            if record.status != Status::Voting || height > record.end {
                return Err(GovError::Closed(*id).into());
            }
            if record.votes.iter().any(|(k, _)| *k == tx.signer) {
                return Err(GovError::DoubleVote(*id).into());
            }
            record.votes.push((tx.signer, *choice));
            effects.push(put(&proposal_key(*id), &record)?);
        }
        Op::Delegate { node, amount } => {
            let candidates = candidates(state)?;
            let c = candidates.get(node).ok_or(GovError::UnknownNode)?;
            if c.observer {
                return Err(GovError::Observer.into());
            }
            if *amount == 0 {
                return Err(GovError::Zero.into());
            }
            let member = committee.get_mut(&tx.signer).ok_or(GovError::NotMember)?;
            if member.delegated().saturating_add(*amount) > member.weight {
                return Err(GovError::OverDelegated.into());
            }
            match member.delegations.iter_mut().find(|(k, _)| k == node) {
                Some((_, a)) => *a += amount,
                None => {
                    if member.delegations.len() >= MAX_DELEGATIONS {
                        return Err(GovError::TooManyDelegations.into());
                    }
                    member.delegations.push((*node, *amount));
                    member.delegations.sort_by_key(|(k, _)| *k);
                }
            }
        }
        Op::Undelegate { node, amount } => {
            if *amount == 0 {
                return Err(GovError::Zero.into());
            }
            let member = committee.get_mut(&tx.signer).ok_or(GovError::NotMember)?;
            let d = member
                .delegations
                .iter_mut()
                .find(|(k, _)| k == node)
                .ok_or(GovError::NotDelegated)?;
            if d.1 < *amount {
                return Err(GovError::NotDelegated.into());
            }
            d.1 -= amount;
            member.delegations.retain(|(_, a)| *a > 0);
        }
        Op::Unjail { node } => {
            candidates(state)?.get(node).ok_or(GovError::UnknownNode)?;
            effects.push(super::liveness::unjail(state, node.as_bytes(), height)?);
        }
    }
    effects.push(put(KEY_COMMITTEE, &committee)?);
    Ok(effects)
}

/// Whether a node address is `ip:port`.
pub fn valid_address(address: &str) -> bool {
    address.len() <= MAX_ADDRESS && address.parse::<SocketAddr>().is_ok()
}

/// Whether `action` could be executed on `state` with `committee`: checked
/// when it is proposed and again when it passes.
pub fn check_action<V: LedgerView + IdentityState + GovState + VaultState>(
    state: &V,
    committee: &Committee,
    action: &Action,
) -> Result<(), GovError> {
    match action {
        Action::AddMember { key, weight, .. } => {
            if committee.get(key).is_some() {
                return Err(GovError::AlreadyMember);
            }
            if committee.members.len() >= MAX_MEMBERS {
                return Err(GovError::CommitteeFull);
            }
            if *weight == 0 {
                return Err(GovError::Zero);
            }
        }
        Action::RemoveMember { key } => {
            committee.get(key).ok_or(GovError::UnknownMember)?;
            if committee.members.len() == 1 {
                return Err(GovError::LastMember);
            }
        }
        Action::SetWeight { key, weight } => {
            let m = committee.get(key).ok_or(GovError::UnknownMember)?;
            if *weight == 0 {
                return Err(GovError::Zero);
            }
            if m.delegated() > *weight {
                return Err(GovError::WeightDelegated);
            }
        }
        Action::RegisterNode {
            key,
            address,
            observer,
            bond,
            ..
        } => {
            let candidates = candidates(state)?;
            if candidates.get(key).is_some() {
                return Err(GovError::NodeRegistered);
            }
            super::liveness::check_register(state, key.as_bytes())?;
            if candidates.nodes.len() >= MAX_CANDIDATES {
                return Err(GovError::TooManyNodes);
            }
            if *observer && *bond > 0 {
                return Err(GovError::Observer);
            }
            if !valid_address(address) {
                return Err(GovError::Address);
            }
        }
        Action::RemoveNode { key } => {
            let candidates = candidates(state)?;
            candidates.get(key).ok_or(GovError::UnknownNode)?;
            let remaining = candidates
                .nodes
                .iter()
                .filter(|c| c.key != *key && !c.observer)
                .filter(|c| c.bond + committee.delegated_to(&c.key) > 0)
                .count();
            if remaining == 0 {
                return Err(GovError::LastValidator);
            }
        }
        Action::AccreditIssuer { asset, .. } | Action::RevokeIssuer { asset } => {
            state.asset_issuer(asset).ok_or(GovError::UnknownAsset)?;
        }
        Action::CreateAsset { asset, .. } => {
            if state.asset_issuer(asset).is_some() {
                return Err(GovError::AssetExists);
            }
        }
        Action::SetParams { .. } => {}
        Action::SetRootAuthority { did } => {
            state.did(did).ok_or(GovError::UnknownDid)?;
        }
        Action::Halt { height } => {
            if *height <= state.next_height() {
                return Err(GovError::HaltHeight);
            }
        }
        Action::PurgeDocument { doc } => match crate::vault::records::doc(state, doc) {
            Ok(Some(d)) if !d.purged => {}
            _ => return Err(GovError::UnknownDocument),
        },
    }
    Ok(())
}

/// The effects of executing a passed `action`.
fn execute_action<V: LedgerView + IdentityState + GovState + VaultState>(
    state: &V,
    action: &Action,
) -> Result<Vec<Effect>, TxError> {
    let mut committee = committee(state)?;
    check_action(state, &committee, action)?;
    let mut effects = Vec::new();
    match action {
        Action::AddMember { key, weight, label } => {
            committee.members.push(Member {
                key: *key,
                weight: *weight,
                label: label.clone(),
                sequence: 0,
                delegations: Vec::new(),
            });
            committee.members.sort_by_key(|m| m.key);
            effects.push(put(KEY_COMMITTEE, &committee)?);
        }
        Action::RemoveMember { key } => {
            committee.members.retain(|m| m.key != *key);
            effects.push(put(KEY_COMMITTEE, &committee)?);
        }
        Action::SetWeight { key, weight } => {
            if let Some(m) = committee.get_mut(key) {
                m.weight = *weight;
            }
            effects.push(put(KEY_COMMITTEE, &committee)?);
        }
        Action::RegisterNode {
            key,
            name,
            address,
            observer,
            bond,
        } => {
            let mut candidates = candidates(state)?;
            candidates.nodes.push(Candidate {
                key: *key,
                name: name.clone(),
                address: address.clone(),
                observer: *observer,
                bond: *bond,
            });
            candidates.nodes.sort_by_key(|c| c.key);
            effects.push(put(KEY_CANDIDATES, &candidates)?);
        }
        Action::RemoveNode { key } => {
            let mut candidates = candidates(state)?;
            candidates.nodes.retain(|c| c.key != *key);
            for m in &mut committee.members {
                m.delegations.retain(|(k, _)| k != key);
            }
            effects.push(put(KEY_CANDIDATES, &candidates)?);
            effects.push(put(KEY_COMMITTEE, &committee)?);
        }
        Action::AccreditIssuer { asset, issuer } => {
            effects.push(Effect::Gov(GovEffect::Issuer {
                asset: asset.clone(),
                issuer: *issuer,
            }));
            effects.push(put_raw(supply_key(asset), vec![Supply::Open.tag()]));
        }
        Action::RevokeIssuer { asset } => {
            effects.push(put_raw(supply_key(asset), vec![Supply::Closed.tag()]));
        }
        Action::CreateAsset {
            asset,
            name,
            decimals,
            issuer,
            supply,
        } => {
            effects.push(Effect::Gov(GovEffect::Asset {
                asset: asset.clone(),
                issuer: *issuer,
                decimals: *decimals,
                name: name.clone(),
            }));
            effects.push(put_raw(supply_key(asset), vec![supply.tag()]));
        }
        Action::SetParams { changes } => {
            let mut p = params(state)?;
            for (param, v) in changes {
                p.set(*param, *v);
            }
            effects.push(put(KEY_PARAMS, &p)?);
        }
        Action::SetRootAuthority { did } => {
            // The sequence carries over, so the previous authority's signed
            // trust-list updates can never be replayed under a new one.
            let sequence = state.root_authority().map_or(0, |(_, s)| s);
            effects.push(Effect::Identity(veil_identity::state::Effect::Authority {
                id: *did,
                sequence,
            }));
        }
        Action::Halt { height } => {
            let mut p = params(state)?;
            p.halt_height = *height;
            effects.push(put(KEY_PARAMS, &p)?);
        }
        Action::PurgeDocument { doc } => {
            let writes =
                crate::vault::purge_writes(state, doc).map_err(|_| GovError::UnknownDocument)?;
            effects.push(Effect::Vault { doc: None, writes });
        }
    }
    Ok(effects)
}

/// The open proposals that close at the end of block `height`: their
/// voting period ends, or every member has voted.
pub fn closing(state: &impl GovState, height: u64) -> Result<Vec<u64>, GovError> {
    let committee = committee(state)?;
    let mut due = Vec::new();
    for id in open(state)? {
        let Some(p) = proposal(state, id)? else {
            continue;
        };
        let all_voted = committee
            .members
            .iter()
            .all(|m| p.votes.iter().any(|(k, _)| *k == m.key));
        if p.end <= height || all_voted {
            due.push(id);
        }
    }
    Ok(due)
}

/// Closes proposal `id` at the end of block `height`: tallies it with the
/// weights in force and, if it passed, executes its action. Its effects
/// include the proposal's final record.
pub fn close<V: LedgerView + IdentityState + GovState + VaultState>(
    state: &V,
    id: u64,
    height: u64,
) -> Result<Vec<Effect>, TxError> {
    let Some(mut record) = proposal(state, id)? else {
        return Ok(Vec::new());
    };
    let committee = committee(state)?;
    let params = params(state)?;
    let mut tally = Tally {
        total: committee.total_weight(),
        ..Tally::default()
    };
    for (voter, choice) in &record.votes {
        let w = committee.get(voter).map_or(0, |m| m.weight);
        match choice {
            Choice::Yes => tally.yes += w,
            Choice::No => tally.no += w,
            Choice::Abstain => tally.abstain += w,
            Choice::Veto => tally.veto += w,
        }
    }
    let mut effects = Vec::new();
    record.status = tally.outcome(&params);
    if record.status == Status::Passed {
        match execute_action(state, &record.action) {
            Ok(e) => effects = e,
            Err(_) => record.status = Status::Failed,
        }
    }
    record.tally = tally;
    record.closed = height;
    effects.push(put(&proposal_key(id), &record)?);
    let mut ids = open(state)?;
    ids.retain(|i| *i != id);
    effects.push(put_raw(KEY_OPEN.to_vec(), encode_ids(&ids)?));
    Ok(effects)
}

/// The allow-list with the powers an election gives: the top
/// `max_validators` non-observer candidates by bond plus delegations (ties
/// by key) get their power, every other registered node 0. `None` if
/// nobody would have power (the set in force then stays).
pub fn elect(state: &impl GovState) -> Result<Option<Powers>, GovError> {
    let candidates = candidates(state)?;
    let committee = committee(state)?;
    let params = params(state)?;
    let jail = super::liveness::jail(state)?;
    let mut ranked: Vec<(u64, [u8; 32])> = candidates
        .nodes
        .iter()
        .filter(|c| !c.observer && jail.get(c.key.as_bytes()).is_none())
        .map(|c| {
            let power = (c.bond + committee.delegated_to(&c.key)).min(MAX_WEIGHT);
            (power, *c.key.as_bytes())
        })
        .filter(|(p, _)| *p > 0)
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.truncate(usize::try_from(params.max_validators).unwrap_or(usize::MAX));
    if ranked.is_empty() {
        return Ok(None);
    }
    let mut set: Vec<([u8; 32], u64)> = candidates
        .nodes
        .iter()
        .map(|c| {
            let k = *c.key.as_bytes();
            let power = ranked.iter().find(|(_, r)| *r == k).map_or(0, |(p, _)| *p);
            (k, power)
        })
        .collect();
    set.sort_by_key(|(k, _)| *k);
    Ok(Some(set))
}

/// The block-level governance steps at the end of block `height`, after
/// its transactions and closed proposals: a scheduled set that decides
/// `height + 1` comes into force; then, at an epoch boundary or when
/// `nodes_changed`, the election runs and a different result is scheduled
/// for `height + 2`.
pub fn end_block(
    state: &impl GovState,
    height: u64,
    nodes_changed: bool,
) -> Result<Vec<Effect>, TxError> {
    let mut effects = Vec::new();
    let mut in_force = state.current_validators();
    in_force.sort_by_key(|(k, _)| *k);
    let mut scheduled = None;
    if let Some(p) = pending_set(state)? {
        if p.activate_at <= height + 1 {
            let old = std::mem::replace(&mut in_force, p.validators.clone());
            effects.push(super::liveness::previous_set(height, old)?);
            effects.push(Effect::Gov(GovEffect::Validators(p.validators)));
            effects.push(delete(KEY_PENDING_SET));
        } else {
            scheduled = Some(p.validators);
        }
    }
    let params = params(state)?;
    let boundary = height > 0 && height.is_multiple_of(params.epoch_blocks.max(1));
    if boundary || nodes_changed {
        if let Some(set) = elect(state)? {
            let latest = scheduled.as_ref().unwrap_or(&in_force);
            if *latest != set {
                effects.push(put(
                    KEY_PENDING_SET,
                    &PendingSet {
                        activate_at: height + 2,
                        validators: set,
                    },
                )?);
            }
        }
    }
    Ok(effects)
}

/// The checks governance adds to other kinds: a mint needs its asset's
/// supply open.
pub fn check_mint(state: &impl GovState, asset: &AssetId) -> Result<(), GovError> {
    match supply(state, asset)? {
        Supply::Open => Ok(()),
        Supply::Closed => Err(GovError::MintClosed),
    }
}

/// A transfer's rings are at least the governed minimum.
pub fn check_ring(state: &impl GovState, ring: usize) -> Result<(), GovError> {
    let min = params(state)?.min_ring;
    let found = u64::try_from(ring).unwrap_or(u64::MAX);
    if found < min {
        return Err(GovError::RingTooSmall { min, found });
    }
    Ok(())
}

/// Checks the bounds a genesis committee must meet.
pub fn check_genesis(committee: &Committee, candidates: &Candidates) -> Result<(), DecodeError> {
    check_count("members", committee.members.len(), MAX_MEMBERS)?;
    check_count("candidates", candidates.nodes.len(), MAX_CANDIDATES)?;
    Ok(())
}
