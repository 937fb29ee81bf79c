//! Governance records: what the ledger's `governance` column family
//! (authenticated in the state tree) holds, each read whole through
//! [`GovState::gov_record`](super::rules::GovState::gov_record):
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
//! | `validator_set` | [`encode_powers`]: the set in force for the next block |
//! | `supply/` ‖ asset | a [`Supply`](super::Supply) tag |
//!
//! Every record has a bounded canonical encoding ([`Encode`]/[`Decode`]).

use veil_crypto::signing::VerifyingKey;

use super::{
    read_key, read_str, read_weight, write_str, write_weight, Action, Choice, GovParams,
    MAX_ADDRESS, MAX_CANDIDATES, MAX_DELEGATIONS, MAX_LABEL, MAX_MEMBERS, MAX_MEMO, MAX_OPEN, PPM,
};
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

/// Node keys with their voting power, increasing by key.
pub type Powers = Vec<([u8; 32], u64)>;

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

    pub(crate) fn get_mut(&mut self, key: &VerifyingKey) -> Option<&mut Member> {
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
pub(crate) fn encode_ids(ids: &[u64]) -> Result<Vec<u8>, TxError> {
    let mut w = Writer::new();
    w.count_u8("open proposals", ids.len(), 0, MAX_OPEN);
    for id in ids {
        w.u64(*id);
    }
    Ok(w.finish()?)
}

pub(crate) fn decode_ids(bytes: &[u8]) -> Result<Vec<u64>, DecodeError> {
    let mut r = Reader::new(bytes);
    let n = r.count_u8("open proposals", 0, MAX_OPEN)?;
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(r.u64("proposal id")?);
    }
    r.finish()?;
    Ok(ids)
}
