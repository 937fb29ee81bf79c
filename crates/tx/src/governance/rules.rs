//! Governance state, the checks of governance transactions, the tally that
//! closes proposals, and the validator election.
//!
//! Governance state is a handful of records in the ledger's `governance`
//! column family (authenticated in the state tree), each read whole through
//! [`GovState::gov_record`]:
//!
//! | key | value |
//! |---|---|
//! | `committee` | [`Committee`]: members, weights, sequences, delegations |
//! | `params` | [`GovParams`] |
//! | `next_proposal` | u64 LE, the next proposal id (ids start at 1) |
//! | `open` | the ids of open proposals, increasing (`u8 n ‖ n × u64`) |
//! | `proposal/` ‖ id u64 BE | [`ProposalRecord`] |
//! | `candidates` | [`Candidates`]: validator candidates and observers |
//! | `pending_set` | [`PendingSet`]: the next validator set and its first height |
//! | `supply/` ‖ asset | a [`Supply`] tag |
//!
//! Every function here is pure: it reads a [`GovState`] and returns
//! [`Effect`]s; the ledger applies them in one place, so a proposer, every
//! validator and a node replaying blocks interpret governance identically.

use std::net::SocketAddr;

use veil_crypto::signing::VerifyingKey;
use veil_identity::IdentityState;

use super::{
    check_count, read_key, read_str, read_weight, write_str, write_weight, Action, Choice,
    GovParams, GovTx, Op, Supply, MAX_ADDRESS, MAX_CANDIDATES, MAX_DELEGATIONS, MAX_LABEL,
    MAX_MEMBERS, MAX_MEMO, MAX_OPEN, MAX_WEIGHT, PPM,
};
use crate::ledger_view::LedgerView;
use crate::pipeline::Effect;
use crate::{AssetId, TxError};
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, Reader, Writer};

/// `governance` key of the committee.
pub const KEY_COMMITTEE: &[u8] = b"committee";
/// `governance` key of the parameters.
pub const KEY_PARAMS: &[u8] = b"params";
/// `governance` key of the next proposal id.
pub const KEY_NEXT_PROPOSAL: &[u8] = b"next_proposal";
/// `governance` key of the open proposals' ids.
pub const KEY_OPEN: &[u8] = b"open";
/// `governance` key of the candidates.
pub const KEY_CANDIDATES: &[u8] = b"candidates";
/// `governance` key of the scheduled validator set.
pub const KEY_PENDING_SET: &[u8] = b"pending_set";
/// `governance` key of the whole validator set in force for the next
/// block (a copy of the `validators` records in one leaf, so that state
/// sync can prove the set at any height with one proof).
pub const KEY_VALIDATOR_SET: &[u8] = b"validator_set";

/// `governance` key of a proposal.
pub fn proposal_key(id: u64) -> Vec<u8> {
    [&b"proposal/"[..], &id.to_be_bytes()].concat()
}

/// `governance` key of an asset's supply policy.
pub fn supply_key(asset: &AssetId) -> Vec<u8> {
    [&b"supply/"[..], asset.as_str().as_bytes()].concat()
}

/// Why a governance transaction (or a mint or transfer, against a
/// governed rule) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovError {
    /// The member's signature does not verify.
    #[error("governance signature does not verify")]
    Signature,
    /// The chain has no committee.
    #[error("this chain has no governance committee")]
    NoCommittee,
    /// The signer is not a committee member.
    #[error("signer is not a committee member")]
    NotMember,
    /// Out of sequence (replayed or skipped).
    #[error("governance sequence {found}, expected {expected}")]
    Sequence {
        /// The next sequence.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// No such proposal.
    #[error("no proposal {0}")]
    UnknownProposal(u64),
    /// The proposal's voting period is over.
    #[error("proposal {0} is closed")]
    Closed(u64),
    /// The member voted on this proposal already.
    #[error("this member already voted on proposal {0}")]
    DoubleVote(u64),
    /// Too many proposals open.
    #[error("{MAX_OPEN} proposals are open already")]
    TooManyOpen,
    /// The key is a member already.
    #[error("already a committee member")]
    AlreadyMember,
    /// The key is not a member.
    #[error("not a committee member")]
    UnknownMember,
    /// The committee would be empty.
    #[error("the committee cannot lose its last member")]
    LastMember,
    /// The committee is full.
    #[error("the committee has {MAX_MEMBERS} members already")]
    CommitteeFull,
    /// A weight of zero.
    #[error("weights and amounts must be positive")]
    Zero,
    /// A weight below what the member has delegated.
    #[error("the member has delegated more than the new weight; undelegate first")]
    WeightDelegated,
    /// The node is registered already.
    #[error("node is registered already")]
    NodeRegistered,
    /// No such node.
    #[error("no such validator candidate or observer")]
    UnknownNode,
    /// Too many nodes.
    #[error("{MAX_CANDIDATES} nodes are registered already")]
    TooManyNodes,
    /// Removing the node would leave no validator.
    #[error("the network cannot lose its last validator")]
    LastValidator,
    /// An observer with a bond.
    #[error("an observer has no bond and takes no delegations")]
    Observer,
    /// The node address is not `ip:port`.
    #[error("node address must be ip:port")]
    Address,
    /// No such asset.
    #[error("no such asset")]
    UnknownAsset,
    /// The asset exists.
    #[error("the asset exists already")]
    AssetExists,
    /// The DID is not on the ledger.
    #[error("no such DID on the ledger")]
    UnknownDid,
    /// A halt height not in the future.
    #[error("halt height must be above the current height")]
    HaltHeight,
    /// More delegated than the member's weight.
    #[error("a member delegates at most its own weight")]
    OverDelegated,
    /// Undelegating more than delegated.
    #[error("undelegating more than is delegated to that node")]
    NotDelegated,
    /// Too many delegations.
    #[error("a member delegates to at most {MAX_DELEGATIONS} nodes")]
    TooManyDelegations,
    /// Minting of the asset is closed.
    #[error("minting of this asset is closed by the committee")]
    MintClosed,
    /// A ring smaller than the governed minimum.
    #[error("ring size {found} is below the minimum {min}")]
    RingTooSmall {
        /// The minimum.
        min: u64,
        /// The ring size found.
        found: u64,
    },
    /// A governance record does not decode.
    #[error("governance record {0} is corrupt")]
    Corrupt(&'static str),
}

impl GovError {
    /// A stable short identifier, used as the problem type in the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Signature => "bad-governance-signature",
            Self::NoCommittee => "no-committee",
            Self::NotMember => "not-member",
            Self::Sequence { .. } => "governance-sequence",
            Self::UnknownProposal(_) => "unknown-proposal",
            Self::Closed(_) => "proposal-closed",
            Self::DoubleVote(_) => "double-vote",
            Self::TooManyOpen => "too-many-proposals",
            Self::AlreadyMember => "already-member",
            Self::UnknownMember => "unknown-member",
            Self::LastMember => "last-member",
            Self::CommitteeFull => "committee-full",
            Self::Zero => "zero-weight",
            Self::WeightDelegated => "weight-delegated",
            Self::NodeRegistered => "node-registered",
            Self::UnknownNode => "unknown-node",
            Self::TooManyNodes => "too-many-nodes",
            Self::LastValidator => "last-validator",
            Self::Observer => "observer-bond",
            Self::Address => "bad-node-address",
            Self::UnknownAsset => "unknown-asset",
            Self::AssetExists => "asset-exists",
            Self::UnknownDid => "unknown-did",
            Self::HaltHeight => "halt-height",
            Self::OverDelegated => "over-delegated",
            Self::NotDelegated => "not-delegated",
            Self::TooManyDelegations => "too-many-delegations",
            Self::MintClosed => "mint-closed",
            Self::RingTooSmall { .. } => "ring-too-small",
            Self::Corrupt(_) => "corrupt-state",
        }
    }
}

impl From<GovError> for TxError {
    fn from(e: GovError) -> Self {
        TxError::Governance(e)
    }
}

/// Node keys with their voting power, increasing by key.
pub type Powers = Vec<([u8; 32], u64)>;

/// What governance reads from ledger state.
pub trait GovState {
    /// A record of the `governance` column family (this block's pending
    /// writes first, then committed state).
    fn gov_record(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// The allow-list and voting powers in force for the next block: node
    /// key and power (0 = observer or not elected).
    fn current_validators(&self) -> Vec<([u8; 32], u64)>;
}

/// A committee member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its key.
    pub key: VerifyingKey,
    /// Its voting weight.
    pub weight: u64,
    /// Who it is.
    pub label: String,
    /// Its last governance transaction's sequence.
    pub sequence: u64,
    /// What it delegates: node key and amount, increasing by key.
    pub delegations: Vec<(VerifyingKey, u64)>,
}

impl Member {
    /// What the member delegates in all.
    pub fn delegated(&self) -> u64 {
        self.delegations.iter().map(|(_, a)| *a).sum()
    }
}

/// The committee, members increasing by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committee {
    /// Members.
    pub members: Vec<Member>,
}

impl Committee {
    /// A member.
    pub fn get(&self, key: &VerifyingKey) -> Option<&Member> {
        self.members.iter().find(|m| m.key == *key)
    }

    fn get_mut(&mut self, key: &VerifyingKey) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.key == *key)
    }

    /// The committee's weight.
    pub fn total_weight(&self) -> u64 {
        self.members.iter().map(|m| m.weight).sum()
    }

    /// What is delegated to `node`, by every member.
    pub fn delegated_to(&self, node: &VerifyingKey) -> u64 {
        self.members
            .iter()
            .flat_map(|m| m.delegations.iter())
            .filter(|(k, _)| k == node)
            .map(|(_, a)| *a)
            .sum()
    }
}

impl Encode for Committee {
    fn write(&self, w: &mut Writer) {
        w.count_u8("members", self.members.len(), 0, MAX_MEMBERS);
        for m in &self.members {
            w.bytes(m.key.as_bytes());
            write_weight(w, "weight", m.weight);
            write_str(w, "label", &m.label, 0, MAX_LABEL);
            w.u64(m.sequence);
            w.count_u8("delegations", m.delegations.len(), 0, MAX_DELEGATIONS);
            for (k, a) in &m.delegations {
                w.bytes(k.as_bytes());
                write_weight(w, "delegation", *a);
            }
        }
    }
}

impl Decode for Committee {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let n = r.count_u8("members", 0, MAX_MEMBERS)?;
        let mut members = Vec::with_capacity(n);
        for _ in 0..n {
            let key = read_key(r, "member key")?;
            let weight = read_weight(r, "weight")?;
            let label = read_str(r, "label", 0, MAX_LABEL)?;
            let sequence = r.u64("sequence")?;
            let d = r.count_u8("delegations", 0, MAX_DELEGATIONS)?;
            let mut delegations = Vec::with_capacity(d);
            for _ in 0..d {
                delegations.push((read_key(r, "node key")?, read_weight(r, "delegation")?));
            }
            members.push(Member {
                key,
                weight,
                label,
                sequence,
                delegations,
            });
        }
        Ok(Self { members })
    }
}

/// A validator candidate or an observer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its node key.
    pub key: VerifyingKey,
    /// Who runs it.
    pub name: String,
    /// Where it listens for QUIC (may be empty for genesis nodes).
    pub address: String,
    /// An observer never votes.
    pub observer: bool,
    /// Power granted by the committee (delegations add to it).
    pub bond: u64,
}

/// Every registered node, increasing by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// The nodes.
    pub nodes: Vec<Candidate>,
}

impl Candidates {
    /// A node.
    pub fn get(&self, key: &VerifyingKey) -> Option<&Candidate> {
        self.nodes.iter().find(|c| c.key == *key)
    }
}

impl Encode for Candidates {
    fn write(&self, w: &mut Writer) {
        w.count_u8("candidates", self.nodes.len(), 0, MAX_CANDIDATES);
        for c in &self.nodes {
            w.bytes(c.key.as_bytes());
            write_str(w, "node name", &c.name, 0, MAX_LABEL);
            write_str(w, "node address", &c.address, 0, MAX_ADDRESS);
            w.u8(u8::from(c.observer));
            write_weight(w, "bond", c.bond);
        }
    }
}

impl Decode for Candidates {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let n = r.count_u8("candidates", 0, MAX_CANDIDATES)?;
        let mut nodes = Vec::with_capacity(n);
        for _ in 0..n {
            nodes.push(Candidate {
                key: read_key(r, "node key")?,
                name: read_str(r, "node name", 0, MAX_LABEL)?,
                address: read_str(r, "node address", 0, MAX_ADDRESS)?,
                observer: r.u8("observer")? == 1,
                bond: read_weight(r, "bond")?,
            });
        }
        Ok(Self { nodes })
    }
}

/// Where a proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Open for votes.
    Voting,
    /// Passed and executed.
    Passed,
    /// Closed with too little yes.
    Rejected,
    /// Closed by vetoes.
    Vetoed,
    /// Closed without quorum.
    Expired,
    /// Passed, but its action could no longer be executed.
    Failed,
}

impl Status {
    fn tag(self) -> u8 {
        match self {
            Self::Voting => 0,
            Self::Passed => 1,
            Self::Rejected => 2,
            Self::Vetoed => 3,
            Self::Expired => 4,
            Self::Failed => 5,
        }
    }

    fn from_tag(t: u8) -> Result<Self, DecodeError> {
        Ok(match t {
            0 => Self::Voting,
            1 => Self::Passed,
            2 => Self::Rejected,
            3 => Self::Vetoed,
            4 => Self::Expired,
            5 => Self::Failed,
            _ => {
                return Err(DecodeError::Invalid {
                    what: "proposal status",
                    why: "unknown",
                })
            }
        })
    }

    /// The status' name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Voting => "voting",
            Self::Passed => "passed",
            Self::Rejected => "rejected",
            Self::Vetoed => "vetoed",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }
}

/// The weights of a proposal's votes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Yes.
    pub yes: u64,
    /// No.
    pub no: u64,
    /// Abstain.
    pub abstain: u64,
    /// Veto.
    pub veto: u64,
    /// The committee's weight.
    pub total: u64,
}

impl Tally {
    /// The weight that voted.
    pub fn voted(&self) -> u64 {
        self.yes + self.no + self.abstain + self.veto
    }

    /// The outcome under `params` (see the module docs of
    /// [`crate::governance`]). Integer arithmetic in u128.
    pub fn outcome(&self, params: &GovParams) -> Status {
        let ppm = u128::from(PPM);
        let voted = u128::from(self.voted());
        if self.total == 0 || voted * ppm < u128::from(params.quorum) * u128::from(self.total) {
            return Status::Expired;
        }
        if u128::from(self.veto) * ppm > u128::from(params.veto) * voted {
            return Status::Vetoed;
        }
        let yes_no = u128::from(self.yes) + u128::from(self.no);
        if yes_no > 0 && u128::from(self.yes) * ppm > u128::from(params.threshold) * yes_no {
            return Status::Passed;
        }
        Status::Rejected
    }
}

/// A proposal and its votes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalRecord {
    /// Its id.
    pub id: u64,
    /// Who proposed it.
    pub proposer: VerifyingKey,
    /// What it does.
    pub action: Action,
    /// Why.
    pub memo: String,
    /// The height of the block that opened it.
    pub submitted: u64,
    /// The last height at which it may be voted on.
    pub end: u64,
    /// The votes, in block order.
    pub votes: Vec<(VerifyingKey, Choice)>,
    /// Where it stands.
    pub status: Status,
    /// The final tally (zero while voting).
    pub tally: Tally,
    /// The height of the block that closed it (0 while voting).
    pub closed: u64,
}

impl Encode for ProposalRecord {
    fn write(&self, w: &mut Writer) {
        w.u64(self.id);
        w.bytes(self.proposer.as_bytes());
        self.action.write(w);
        write_str(w, "memo", &self.memo, 0, MAX_MEMO);
        w.u64(self.submitted);
        w.u64(self.end);
        w.count_u8("votes", self.votes.len(), 0, MAX_MEMBERS);
        for (k, c) in &self.votes {
            w.bytes(k.as_bytes());
            w.u8(c.tag());
        }
        w.u8(self.status.tag());
        for v in [
            self.tally.yes,
            self.tally.no,
            self.tally.abstain,
            self.tally.veto,
            self.tally.total,
        ] {
            w.u64(v);
        }
        w.u64(self.closed);
    }
}

impl Decode for ProposalRecord {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let id = r.u64("proposal id")?;
        let proposer = read_key(r, "proposer")?;
        let action = Action::read(r)?;
        let memo = read_str(r, "memo", 0, MAX_MEMO)?;
        let submitted = r.u64("submitted")?;
        let end = r.u64("end")?;
        let n = r.count_u8("votes", 0, MAX_MEMBERS)?;
        let mut votes = Vec::with_capacity(n);
        for _ in 0..n {
            votes.push((read_key(r, "voter")?, Choice::from_tag(r.u8("vote")?)?));
        }
        let status = Status::from_tag(r.u8("status")?)?;
        let tally = Tally {
            yes: r.u64("yes")?,
            no: r.u64("no")?,
            abstain: r.u64("abstain")?,
            veto: r.u64("veto")?,
            total: r.u64("total")?,
        };
        let closed = r.u64("closed")?;
        Ok(Self {
            id,
            proposer,
            action,
            memo,
            submitted,
            end,
            votes,
            status,
            tally,
            closed,
        })
    }
}

/// A validator set decided but not yet in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSet {
    /// The first height it decides.
    pub activate_at: u64,
    /// Every registered node with its power (0 = observer or not
    /// elected), increasing by key.
    pub validators: Vec<([u8; 32], u64)>,
}

impl Encode for PendingSet {
    fn write(&self, w: &mut Writer) {
        w.u64(self.activate_at);
        w.count_u8("validators", self.validators.len(), 0, MAX_CANDIDATES);
        for (k, p) in &self.validators {
            w.bytes(k);
            write_weight(w, "power", *p);
        }
    }
}

impl Decode for PendingSet {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let activate_at = r.u64("activation height")?;
        let n = r.count_u8("validators", 0, MAX_CANDIDATES)?;
        let mut validators = Vec::with_capacity(n);
        for _ in 0..n {
            validators.push((r.array("node key")?, read_weight(r, "power")?));
        }
        Ok(Self {
            activate_at,
            validators,
        })
    }
}

/// `u8 n ‖ n × (node key 32 ‖ power u64)`, increasing by key (the
/// `validator_set` record).
pub fn encode_powers(powers: &[([u8; 32], u64)]) -> Result<Vec<u8>, veil_codec::EncodeError> {
    let mut w = Writer::new();
    w.count_u8("validators", powers.len(), 0, MAX_CANDIDATES);
    if powers.windows(2).any(|p| p[0].0 >= p[1].0) {
        w.fail("validators", "strictly increasing by key");
    }
    for (k, p) in powers {
        w.bytes(k);
        w.u64(*p);
    }
    w.finish()
}

/// Decodes [`encode_powers`].
pub fn decode_powers(bytes: &[u8]) -> Result<Powers, DecodeError> {
    let mut r = Reader::new(bytes);
    let n = r.count_u8("validators", 0, MAX_CANDIDATES)?;
    let mut powers: Powers = Vec::with_capacity(n);
    for _ in 0..n {
        let k: [u8; 32] = r.array("node key")?;
        if powers.last().is_some_and(|(last, _)| *last >= k) {
            return Err(DecodeError::Invalid {
                what: "validators",
                why: "strictly increasing by key",
            });
        }
        powers.push((k, r.u64("power")?));
    }
    r.finish()?;
    Ok(powers)
}

/// The open proposals' ids.
fn encode_ids(ids: &[u64]) -> Result<Vec<u8>, TxError> {
    let mut w = Writer::new();
    w.count_u8("open proposals", ids.len(), 0, MAX_OPEN);
    for id in ids {
        w.u64(*id);
    }
    Ok(w.finish()?)
}

fn decode_ids(bytes: &[u8]) -> Result<Vec<u64>, DecodeError> {
    let mut r = Reader::new(bytes);
    let n = r.count_u8("open proposals", 0, MAX_OPEN)?;
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(r.u64("proposal id")?);
    }
    r.finish()?;
    Ok(ids)
}

fn load<T: Decode<Cfg = ()> + Default>(
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
    match state.gov_record(KEY_PARAMS) {
        None => Ok(GovParams::default()),
        Some(b) => GovParams::decode(&b).map_err(|_| GovError::Corrupt("params")),
    }
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

fn put(key: &[u8], value: &impl Encode) -> Result<Effect, TxError> {
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
pub fn check<V: LedgerView + IdentityState + GovState>(
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
pub fn check_action<V: LedgerView + IdentityState + GovState>(
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
    }
    Ok(())
}

/// The effects of executing a passed `action`.
fn execute_action<V: LedgerView + IdentityState + GovState>(
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
pub fn close<V: LedgerView + IdentityState + GovState>(
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
    let mut ranked: Vec<(u64, [u8; 32])> = candidates
        .nodes
        .iter()
        .filter(|c| !c.observer)
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
            in_force = p.validators.clone();
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
