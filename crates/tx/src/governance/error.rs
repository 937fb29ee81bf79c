//! Why a governance transaction, or a mint or transfer against a governed
//! rule, was refused: one variant per check, with a stable
//! [`GovError::code`] for the API's problem+json.

use super::{MAX_CANDIDATES, MAX_DELEGATIONS, MAX_MEMBERS, MAX_OPEN};
use crate::TxError;

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
    /// A purge of a vault document that does not exist or is purged.
    #[error("no such live vault document")]
    UnknownDocument,
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
    /// The node is not jailed.
    #[error("the node is not jailed")]
    NotJailed,
    /// The node double-signed: jailed for good, its key never registered
    /// again.
    #[error("the node is tombstoned (it double-signed) and can never validate again")]
    Tombstoned,
    /// The jail period is not over.
    #[error("the node stays jailed until height {until}")]
    JailTime {
        /// The first height it may be unjailed.
        until: u64,
    },
    /// A commit record refused: from outside (only a proposer includes
    /// one), not first in its block, or not about the parent.
    #[error("commit record refused: {0}")]
    CommitRecord(&'static str),
    /// A precommit signature in a commit record does not verify, or its
    /// signer is not a validator of the set that decided the block.
    #[error("commit record signature {0} does not verify against the validator set")]
    CommitSignature(usize),
    /// The signers of a commit record hold two thirds of the power or less.
    #[error("commit record signers hold {signed} of {total} voting power; more than two thirds is needed")]
    CommitPower {
        /// Power that signed.
        signed: u64,
        /// Total power.
        total: u64,
    },
    /// A double vote in a commit record is not proof of equivocation.
    #[error("equivocation evidence {0} is invalid")]
    Evidence(usize),
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
            Self::NotJailed => "not-jailed",
            Self::Tombstoned => "tombstoned",
            Self::JailTime { .. } => "jail-time",
            Self::CommitRecord(_) => "bad-commit-record",
            Self::CommitSignature(_) => "bad-commit-signature",
            Self::CommitPower { .. } => "commit-power",
            Self::Evidence(_) => "bad-evidence",
            Self::HaltHeight => "halt-height",
            Self::UnknownDocument => "unknown-document",
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
