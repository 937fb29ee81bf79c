//! Veil's types for the Malachite core: the [`Context`] that tells
//! `arc-malachitebft-core-consensus` what a height, a value, a vote, a
//! proposal, a validator and a signature are.
//!
//! * address = the validator's Ed25519 node key (32 bytes);
//! * height = block height (`u64`; genesis is 0, consensus starts at 1);
//! * value = a block *candidate*: the proposed header (which commits to
//!   the transaction hashes and the state root after execution) and the
//!   ordered transaction hashes — not the bodies, which were gossiped ahead;
//!   its id is the block hash;
//! * proposer of `(h, r)` = validator `(h + r) mod n` in key order (all
//!   validators have equal power until governance changes that);
//! * signatures are Ed25519 over [`crate::consensus::sign_bytes`], which binds
//!   the chain id.

use std::fmt;

use arc_malachitebft_core_types as mct;
use mct::{NilOrVal, Round, SignedExtension, VoteType, VotingPower};

use crate::block::{BlockHash, Header};
use veil_crypto::signing::VerifyingKey;
use veil_tx::TxHash;

/// Veil's consensus context.
#[derive(Clone, Debug, Default)]
pub struct Veil;

/// A validator's address: its node key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub [u8; 32]);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0[..6]))
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", hex::encode(self.0))
    }
}

impl mct::Address for NodeId {}

/// A block height.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mct::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A block candidate: header plus ordered transaction hashes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct BlockValue {
    /// The block hash (of `header`).
    pub hash: BlockHash,
    /// The canonical header encoding.
    pub header: Vec<u8>,
    /// Transaction hashes in block order.
    pub txs: Vec<TxHash>,
}

impl BlockValue {
    /// Builds a candidate from a header and its transactions.
    pub fn new(header: &Header, txs: Vec<TxHash>) -> Self {
        Self {
            hash: header.hash(),
            header: header.encode(),
            txs,
        }
    }
}

impl mct::Value for BlockValue {
    type Id = BlockHash;

    fn id(&self) -> BlockHash {
        self.hash
    }
}

/// A proposal: "at `(height, round)` I propose `value`".
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Proposal {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block candidate.
    pub value: BlockValue,
    /// Proof-of-lock round (nil if none).
    pub pol_round: Round,
    /// The proposer.
    pub proposer: NodeId,
}

impl mct::Proposal<Veil> for Proposal {
    fn height(&self) -> Height {
        self.height
    }
    fn round(&self) -> Round {
        self.round
    }
    fn value(&self) -> &BlockValue {
        &self.value
    }
    fn take_value(self) -> BlockValue {
        self.value
    }
    fn pol_round(&self) -> Round {
        self.pol_round
    }
    fn validator_address(&self) -> &NodeId {
        &self.proposer
    }
}

/// A prevote or precommit.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Vote {
    /// Prevote or precommit.
    pub kind: VoteType,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockHash>,
    /// The voter.
    pub validator: NodeId,
}

impl mct::Vote<Veil> for Vote {
    fn height(&self) -> Height {
        self.height
    }
    fn round(&self) -> Round {
        self.round
    }
    fn value(&self) -> &NilOrVal<BlockHash> {
        &self.value
    }
    fn take_value(self) -> NilOrVal<BlockHash> {
        self.value
    }
    fn vote_type(&self) -> VoteType {
        self.kind
    }
    fn validator_address(&self) -> &NodeId {
        &self.validator
    }
    fn extension(&self) -> Option<&SignedExtension<Veil>> {
        None
    }
    fn take_extension(&mut self) -> Option<SignedExtension<Veil>> {
        None
    }
    // Vote extensions are disabled (`VoteExtensionPolicy::Disabled`).
    fn extend(self, _extension: SignedExtension<Veil>) -> Self {
        self
    }
}

/// Veil does not stream proposal parts: bodies travel by gossip.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NoParts;

impl mct::ProposalPart<Veil> for NoParts {
    fn is_first(&self) -> bool {
        true
    }
    fn is_last(&self) -> bool {
        true
    }
}

/// A validator.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Validator {
    /// Its node key, as an address.
    pub address: NodeId,
    /// Its node key.
    pub key: VerifyingKey,
    /// Voting power.
    pub power: VotingPower,
}

impl mct::Validator<Veil> for Validator {
    fn address(&self) -> &NodeId {
        &self.address
    }
    fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
    fn voting_power(&self) -> VotingPower {
        self.power
    }
}

/// The validators of a height, sorted by address.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ValidatorSet {
    /// Sorted by address, no duplicates.
    pub validators: Vec<Validator>,
}

impl ValidatorSet {
    /// A set from validators in any order (duplicates dropped).
    pub fn new(mut validators: Vec<Validator>) -> Self {
        validators.sort_by_key(|v| v.address);
        validators.dedup_by_key(|v| v.address);
        Self { validators }
    }

    /// Whether `key` is a validator.
    pub fn contains(&self, key: &[u8; 32]) -> bool {
        self.validators.iter().any(|v| v.address.0 == *key)
    }
}

impl mct::ValidatorSet<Veil> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }
    fn total_voting_power(&self) -> VotingPower {
        self.validators.iter().map(|v| v.power).sum()
    }
    fn get_by_address(&self, address: &NodeId) -> Option<&Validator> {
        self.validators
            .binary_search_by_key(address, |v| v.address)
            .ok()
            .and_then(|i| self.validators.get(i))
    }
    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// An Ed25519 signature as Malachite needs it (ordered).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeSignature(pub [u8; 64]);

impl fmt::Debug for NodeSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeSignature({}…)", hex::encode(&self.0[..8]))
    }
}

/// Ed25519 node signatures.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ed25519;

/// The node's signing key, shared with the engine (never printed).
#[derive(Clone)]
pub struct SharedKey(pub std::sync::Arc<veil_crypto::signing::SigningKey>);

impl mct::SigningScheme for Ed25519 {
    type DecodingError = String;
    type Signature = NodeSignature;
    type PublicKey = VerifyingKey;
    type PrivateKey = SharedKey;

    fn decode_signature(bytes: &[u8]) -> Result<NodeSignature, String> {
        <[u8; 64]>::try_from(bytes)
            .map(NodeSignature)
            .map_err(|_| "signature must be 64 bytes".into())
    }
    fn encode_signature(signature: &NodeSignature) -> Vec<u8> {
        signature.0.to_vec()
    }
    fn decode_public_key(bytes: &[u8]) -> Result<VerifyingKey, String> {
        let b: [u8; 32] = bytes.try_into().map_err(|_| "key must be 32 bytes")?;
        VerifyingKey::from_bytes(&b).map_err(|e| e.to_string())
    }
    fn encode_public_key(key: &VerifyingKey) -> Vec<u8> {
        key.as_bytes().to_vec()
    }
}

impl mct::Context for Veil {
    type Address = NodeId;
    type Height = Height;
    type ProposalPart = NoParts;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = mct::LinearTimeouts;
    type Value = BlockValue;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = Ed25519;

    fn select_proposer<'a>(
        &self,
        set: &'a ValidatorSet,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        let n = u64::try_from(set.validators.len().max(1)).unwrap_or(1);
        let r = u64::from(round.as_u32().unwrap_or(0));
        let i = usize::try_from(height.0.wrapping_add(r) % n).unwrap_or(0);
        // The core never asks with an empty set (StartHeight refuses one).
        &set.validators[i]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockValue,
        pol_round: Round,
        address: NodeId,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            proposer: address,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockHash>,
        address: NodeId,
    ) -> Vote {
        Vote {
            kind: VoteType::Prevote,
            height,
            round,
            value,
            validator: address,
        }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockHash>,
        address: NodeId,
    ) -> Vote {
        Vote {
            kind: VoteType::Precommit,
            height,
            round,
            value,
            validator: address,
        }
    }
}
