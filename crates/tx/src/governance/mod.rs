//! Governance: the consortium committee, its proposals and votes, and the
//! validator candidates its members delegate weight to (kind 8).
//!
//! Model (after Cosmos `x/gov` + `x/staking`, and FISCO BCOS's committee):
//!
//! * **Committee.** Members, each an Ed25519 key with a voting weight `w_i`
//!   and a label, in genesis and then changed only by proposal. A
//!   single-member committee is "admin mode": its proposals pass in the
//!   block that carries them.
//! * **Proposals.** A member proposes one [`Action`]; proposing counts as a
//!   `yes` vote of the proposer. Members vote `yes`, `no`, `abstain` or
//!   `veto`, once each. The proposal closes at the end of the block where
//!   every member has voted, or at the end of block `submitted +
//!   voting_period`, whichever comes first, and is tallied with the weights
//!   in force then. With `W = Σ w_i` (all members), `V` the weight that
//!   voted and `Y, N, A, X` the weights of each choice:
//!
//!   ```text
//!   expired (no quorum)  if V < quorum · W
//!   vetoed               if X > veto · V
//!   passed               if Y > threshold · (Y + N)
//!   rejected             otherwise
//!   ```
//!
//!   Shares are parts per million; integer arithmetic, so every validator
//!   computes the same outcome. A passed proposal's effect is executed in
//!   the block that closes it; if it can no longer be executed (the member
//!   it removes left meanwhile) it is recorded as `failed` and changes
//!   nothing.
//! * **Validators (DPoS).** Candidates (validators and observers) are
//!   registered and removed by proposal. A candidate's power is the bond
//!   the committee granted it plus what members delegate to it (a member
//!   delegates at most its own weight in all). The elected set — the top
//!   `max_validators` non-observer candidates by power, ties broken by key
//!   — is recomputed at each epoch boundary (every `epoch_blocks` blocks)
//!   and in any block that registers or removes a candidate; a change
//!   decided in block `H` takes effect for block `H + 2` (CometBFT's rule),
//!   so the set that decides a block is always known from its parent's
//!   state.
//! * **Liveness and equivocation** ([`liveness`]): each block records who
//!   signed its parent; a validator that signs too few of a window's
//!   commits is jailed, one that double-votes is tombstoned; jailed nodes
//!   are left out of elections until a member unjails them.
//!
//! # Wire layout (after the version and kind bytes)
//!
//! ```text
//!   signer     32   Ed25519 public key of a committee member
//!   sequence   u64  1 + the member's previous governance transaction
//!   op         u8   1 propose | 2 vote | 3 delegate | 4 undelegate | 5 unjail
//!   body            propose:    action ‖ memo (u16 len ‖ UTF-8, ≤ 256)
//!                   vote:       proposal u64 ‖ choice u8 (1 yes, 2 no, 3 abstain, 4 veto)
//!                   (un)delegate: node key 32 ‖ amount u64
//!                   unjail:     node key 32
//!   ---- signing hash covers every byte above ----
//!   signature  64   Ed25519
//! ```
//!
//! Actions are `tag u8 ‖ fields` ([`Action`]); every string is `u16 len ‖
//! UTF-8` with its own bound, every key 32 bytes.

pub mod error;
pub mod liveness;
pub mod params;
pub mod records;
pub mod rules;

use std::fmt;

use veil_crypto::signing::{Signature, SigningKey, VerifyingKey};
use veil_identity::DidId;

use super::error::TxError;
use super::AssetId;
use veil_codec::{
    check_range, Decode, DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer,
};

/// Transaction kind byte of a governance transaction.
pub const KIND_GOVERNANCE: u8 = 8;

/// Most committee members.
pub const MAX_MEMBERS: usize = 64;
/// Most registered candidates (validators and observers).
pub const MAX_CANDIDATES: usize = 128;
/// Most proposals open at once.
pub const MAX_OPEN: usize = 64;
/// Most delegations one member holds.
pub const MAX_DELEGATIONS: usize = 16;
/// Largest weight, bond or delegation.
pub const MAX_WEIGHT: u64 = 1_000_000_000;
/// Longest label or node name.
pub const MAX_LABEL: usize = 64;
/// Longest node address (`host:port`).
pub const MAX_ADDRESS: usize = 128;
/// Longest proposal memo.
pub const MAX_MEMO: usize = 256;
/// Most parameter changes in one proposal.
pub const MAX_PARAM_CHANGES: usize = 16;
/// One share, in parts per million.
pub const PPM: u64 = 1_000_000;

/// A count as `u64` (lossless on every platform Veil builds for).
fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn invalid(what: &'static str, why: &'static str) -> DecodeError {
    DecodeError::Invalid { what, why }
}

fn read_key(r: &mut Reader<'_>, what: &'static str) -> Result<VerifyingKey, DecodeError> {
    VerifyingKey::from_bytes(&r.array(what)?).map_err(|_| invalid(what, "not an Ed25519 key"))
}

fn write_str(w: &mut Writer, what: &'static str, s: &str, min: usize, max: usize) {
    w.bytes_u16(what, s.as_bytes(), min, max);
}

fn read_str(
    r: &mut Reader<'_>,
    what: &'static str,
    min: usize,
    max: usize,
) -> Result<String, DecodeError> {
    let b = r.bytes_u16(what, min, max)?;
    let s = std::str::from_utf8(b).map_err(|_| invalid(what, "not UTF-8"))?;
    if s.chars().any(char::is_control) {
        return Err(invalid(what, "control characters"));
    }
    Ok(s.to_owned())
}

fn read_weight(r: &mut Reader<'_>, what: &'static str) -> Result<u64, DecodeError> {
    let v = r.u64(what)?;
    if v > MAX_WEIGHT {
        return Err(DecodeError::OutOfRange {
            what,
            found: v,
            min: 0,
            max: MAX_WEIGHT,
        });
    }
    Ok(v)
}

fn write_weight(w: &mut Writer, what: &'static str, v: u64) {
    if v > MAX_WEIGHT {
        w.fail(what, "above the largest weight");
    }
    w.u64(v);
}

/// A vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Choice {
    /// For.
    Yes,
    /// Against.
    No,
    /// Counts for the quorum only.
    Abstain,
    /// Against, and enough vetoes reject the proposal whatever the yes
    /// share.
    Veto,
}

impl Choice {
    fn tag(self) -> u8 {
        match self {
            Self::Yes => 1,
            Self::No => 2,
            Self::Abstain => 3,
            Self::Veto => 4,
        }
    }

    fn from_tag(t: u8) -> Result<Self, DecodeError> {
        Ok(match t {
            1 => Self::Yes,
            2 => Self::No,
            3 => Self::Abstain,
            4 => Self::Veto,
            _ => return Err(invalid("vote", "1 yes, 2 no, 3 abstain, 4 veto")),
        })
    }

    /// `yes`, `no`, `abstain` or `veto`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Abstain => "abstain",
            Self::Veto => "veto",
        }
    }
}

impl std::str::FromStr for Choice {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "yes" => Self::Yes,
            "no" => Self::No,
            "abstain" => Self::Abstain,
            "veto" => Self::Veto,
            _ => return Err(invalid("vote", "yes, no, abstain or veto")),
        })
    }
}

/// Whether an asset's issuer may mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Supply {
    /// The elected issuer mints when it chooses.
    Open,
    /// No mint is accepted until the committee accredits an issuer again.
    Closed,
}

impl Supply {
    fn tag(self) -> u8 {
        match self {
            Self::Open => 0,
            Self::Closed => 1,
        }
    }

    fn from_tag(t: u8) -> Result<Self, DecodeError> {
        match t {
            0 => Ok(Self::Open),
            1 => Ok(Self::Closed),
            _ => Err(invalid("supply", "0 open, 1 closed")),
        }
    }

    /// `open` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

pub use params::{GovParams, Param};

/// What a proposal does when it passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A new committee member.
    AddMember {
        /// Its key.
        key: VerifyingKey,
        /// Its weight (> 0).
        weight: u64,
        /// Who it is (a bank, a regulator, an operator).
        label: String,
    },
    /// A member leaves (its delegations with it).
    RemoveMember {
        /// Its key.
        key: VerifyingKey,
    },
    /// A member's weight changes.
    SetWeight {
        /// Its key.
        key: VerifyingKey,
        /// The new weight (> 0).
        weight: u64,
    },
    /// A validator candidate or an observer joins the allow-list.
    RegisterNode {
        /// Its node key.
        key: VerifyingKey,
        /// Who runs it.
        name: String,
        /// Where it listens for QUIC (`host:port`).
        address: String,
        /// An observer syncs and never votes.
        observer: bool,
        /// Power the committee grants it (delegations add to it).
        bond: u64,
    },
    /// A node leaves the allow-list (and the validator set).
    RemoveNode {
        /// Its node key.
        key: VerifyingKey,
    },
    /// `issuer` becomes the asset's issuer and minting opens.
    AccreditIssuer {
        /// The asset.
        asset: AssetId,
        /// The elected issuer.
        issuer: VerifyingKey,
    },
    /// Minting of the asset closes.
    RevokeIssuer {
        /// The asset.
        asset: AssetId,
    },
    /// A new asset with its elected issuer.
    CreateAsset {
        /// Its code.
        asset: AssetId,
        /// Its name.
        name: String,
        /// Decimal places of the display unit.
        decimals: u8,
        /// The elected issuer.
        issuer: VerifyingKey,
        /// Whether the issuer may mint now.
        supply: Supply,
    },
    /// Parameters change.
    SetParams {
        /// `(parameter, value)`, strictly increasing by parameter.
        changes: Vec<(Param, u64)>,
    },
    /// The credential trust list gets another root authority.
    SetRootAuthority {
        /// The new authority's DID.
        did: DidId,
    },
    /// Every node stops before committing `height` (software upgrade).
    Halt {
        /// The first height not committed.
        height: u64,
    },
    /// A vault document is destroyed by the committee (an erasure order):
    /// as its owner's purge, every version and wrap deleted, a tombstone
    /// kept, every node deleting its ciphertext.
    PurgeDocument {
        /// The document.
        doc: [u8; 32],
    },
}

impl Action {
    /// The action's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AddMember { .. } => "add-member",
            Self::RemoveMember { .. } => "remove-member",
            Self::SetWeight { .. } => "set-weight",
            Self::RegisterNode { .. } => "register-node",
            Self::RemoveNode { .. } => "remove-node",
            Self::AccreditIssuer { .. } => "accredit-issuer",
            Self::RevokeIssuer { .. } => "revoke-issuer",
            Self::CreateAsset { .. } => "create-asset",
            Self::SetParams { .. } => "set-params",
            Self::SetRootAuthority { .. } => "set-root-authority",
            Self::Halt { .. } => "halt",
            Self::PurgeDocument { .. } => "purge-document",
        }
    }
}

impl Encode for Action {
    fn write(&self, w: &mut Writer) {
        match self {
            Self::AddMember { key, weight, label } => {
                w.u8(1);
                w.bytes(key.as_bytes());
                write_weight(w, "weight", *weight);
                write_str(w, "label", label, 0, MAX_LABEL);
            }
            Self::RemoveMember { key } => {
                w.u8(2);
                w.bytes(key.as_bytes());
            }
            Self::SetWeight { key, weight } => {
                w.u8(3);
                w.bytes(key.as_bytes());
                write_weight(w, "weight", *weight);
            }
            Self::RegisterNode {
                key,
                name,
                address,
                observer,
                bond,
            } => {
                w.u8(4);
                w.bytes(key.as_bytes());
                write_str(w, "node name", name, 0, MAX_LABEL);
                write_str(w, "node address", address, 1, MAX_ADDRESS);
                w.u8(u8::from(*observer));
                write_weight(w, "bond", *bond);
            }
            Self::RemoveNode { key } => {
                w.u8(5);
                w.bytes(key.as_bytes());
            }
            Self::AccreditIssuer { asset, issuer } => {
                w.u8(6);
                asset.write(w);
                w.bytes(issuer.as_bytes());
            }
            Self::RevokeIssuer { asset } => {
                w.u8(7);
                asset.write(w);
            }
            Self::CreateAsset {
                asset,
                name,
                decimals,
                issuer,
                supply,
            } => {
                w.u8(8);
                asset.write(w);
                write_str(w, "asset name", name, 0, MAX_LABEL);
                if *decimals > 18 {
                    w.fail("decimals", "at most 18");
                }
                w.u8(*decimals);
                w.bytes(issuer.as_bytes());
                w.u8(supply.tag());
            }
            Self::SetParams { changes } => {
                w.u8(9);
                w.count_u8("parameter changes", changes.len(), 1, MAX_PARAM_CHANGES);
                if changes.windows(2).any(|c| c[0].0 >= c[1].0) {
                    w.fail("parameter changes", "strictly increasing by parameter");
                }
                for (p, v) in changes {
                    if p.check(*v).is_err() {
                        w.fail(p.name(), "out of range");
                    }
                    w.u8(p.tag());
                    w.u64(*v);
                }
            }
            Self::SetRootAuthority { did } => {
                w.u8(10);
                did.write(w);
            }
            Self::Halt { height } => {
                w.u8(11);
                w.u64(*height);
            }
            Self::PurgeDocument { doc } => {
                w.u8(12);
                w.bytes(doc);
            }
        }
    }
}

impl Decode for Action {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(match r.u8("action")? {
            1 => Self::AddMember {
                key: read_key(r, "member key")?,
                weight: read_weight(r, "weight")?,
                label: read_str(r, "label", 0, MAX_LABEL)?,
            },
            2 => Self::RemoveMember {
                key: read_key(r, "member key")?,
            },
            3 => Self::SetWeight {
                key: read_key(r, "member key")?,
                weight: read_weight(r, "weight")?,
            },
            4 => Self::RegisterNode {
                key: read_key(r, "node key")?,
                name: read_str(r, "node name", 0, MAX_LABEL)?,
                address: read_str(r, "node address", 1, MAX_ADDRESS)?,
                observer: match r.u8("observer")? {
                    0 => false,
                    1 => true,
                    _ => return Err(invalid("observer", "0 or 1")),
                },
                bond: read_weight(r, "bond")?,
            },
            5 => Self::RemoveNode {
                key: read_key(r, "node key")?,
            },
            6 => Self::AccreditIssuer {
                asset: AssetId::read(r)?,
                issuer: read_key(r, "issuer key")?,
            },
            7 => Self::RevokeIssuer {
                asset: AssetId::read(r)?,
            },
            8 => {
                let asset = AssetId::read(r)?;
                let name = read_str(r, "asset name", 0, MAX_LABEL)?;
                let decimals = r.u8("decimals")?;
                if decimals > 18 {
                    return Err(DecodeError::OutOfRange {
                        what: "decimals",
                        found: u64::from(decimals),
                        min: 0,
                        max: 18,
                    });
                }
                Self::CreateAsset {
                    asset,
                    name,
                    decimals,
                    issuer: read_key(r, "issuer key")?,
                    supply: Supply::from_tag(r.u8("supply")?)?,
                }
            }
            9 => {
                let n = r.count_u8("parameter changes", 1, MAX_PARAM_CHANGES)?;
                let mut changes: Vec<(Param, u64)> = Vec::with_capacity(n);
                for _ in 0..n {
                    let p = Param::from_tag(r.u8("parameter")?)?;
                    let v = r.u64(p.name())?;
                    p.check(v)?;
                    if changes.last().is_some_and(|(last, _)| *last >= p) {
                        return Err(invalid(
                            "parameter changes",
                            "strictly increasing by parameter",
                        ));
                    }
                    changes.push((p, v));
                }
                Self::SetParams { changes }
            }
            10 => Self::SetRootAuthority {
                did: DidId::read(r)?,
            },
            11 => Self::Halt {
                height: r.u64("halt height")?,
            },
            12 => Self::PurgeDocument {
                doc: r.array("document id")?,
            },
            _ => return Err(invalid("action", "unknown action")),
        })
    }
}

/// What a governance transaction does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Opens a proposal (and votes yes on it).
    Propose {
        /// What passing it does.
        action: Action,
        /// Why, for the other members (public).
        memo: String,
    },
    /// Votes on an open proposal.
    Vote {
        /// The proposal.
        proposal: u64,
        /// The vote.
        choice: Choice,
    },
    /// Delegates `amount` more of the member's weight to a candidate.
    Delegate {
        /// The candidate's node key.
        node: VerifyingKey,
        /// How much more.
        amount: u64,
    },
    /// Takes `amount` of the member's delegation back from a candidate.
    Undelegate {
        /// The candidate's node key.
        node: VerifyingKey,
        /// How much.
        amount: u64,
    },
    /// Frees a node jailed for downtime once its jail period is over (any
    /// member may; the node is elected again at the next election).
    Unjail {
        /// The node's key.
        node: VerifyingKey,
    },
}

impl Op {
    /// The operation's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Propose { .. } => "propose",
            Self::Vote { .. } => "vote",
            Self::Delegate { .. } => "delegate",
            Self::Undelegate { .. } => "undelegate",
            Self::Unjail { .. } => "unjail",
        }
    }
}

/// A governance transaction, signed by a committee member.
#[derive(Clone, PartialEq, Eq)]
pub struct GovTx {
    /// The member.
    pub signer: VerifyingKey,
    /// 1 + the sequence of the member's previous governance transaction.
    pub sequence: u64,
    /// What it does.
    pub op: Op,
    /// The member's signature over [`GovTx::signing_hash`].
    pub signature: Signature,
}

impl fmt::Debug for GovTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GovTx")
            .field("signer", &self.signer)
            .field("sequence", &self.sequence)
            .field("op", &self.op)
            .finish_non_exhaustive()
    }
}

impl GovTx {
    fn encode_prefix(&self, w: &mut Writer) {
        w.bytes(self.signer.as_bytes());
        w.u64(self.sequence);
        match &self.op {
            Op::Propose { action, memo } => {
                w.u8(1);
                action.write(w);
                write_str(w, "memo", memo, 0, MAX_MEMO);
            }
            Op::Vote { proposal, choice } => {
                w.u8(2);
                w.u64(*proposal);
                w.u8(choice.tag());
            }
            Op::Delegate { node, amount } => {
                w.u8(3);
                w.bytes(node.as_bytes());
                write_weight(w, "amount", *amount);
            }
            Op::Undelegate { node, amount } => {
                w.u8(4);
                w.bytes(node.as_bytes());
                write_weight(w, "amount", *amount);
            }
            Op::Unjail { node } => {
                w.u8(5);
                w.bytes(node.as_bytes());
            }
        }
    }

    /// `SHA-256("veil/tx-sign/v1" ‖ 0x00 ‖ version ‖ kind ‖ prefix)`.
    pub fn signing_hash(&self) -> Result<[u8; 32], EncodeError> {
        crate::signing_hash(KIND_GOVERNANCE, |w| self.encode_prefix(w))
    }

    /// Builds and signs.
    pub fn sign(key: &SigningKey, sequence: u64, op: Op) -> Result<Self, EncodeError> {
        let mut tx = Self {
            signer: *key.public(),
            sequence,
            op,
            signature: Signature([0; 64]),
        };
        tx.signature = key.sign(&tx.signing_hash()?);
        Ok(tx)
    }

    /// The stateless check: the signature.
    pub fn check_stateless(&self) -> Result<(), TxError> {
        let hash = self.signing_hash()?;
        self.signer
            .verify(&hash, &self.signature)
            .map_err(|_| TxError::Governance(rules::GovError::Signature))
    }
}

impl Encode for GovTx {
    fn write(&self, w: &mut Writer) {
        self.encode_prefix(w);
        w.bytes(&self.signature.0);
    }
}

impl Decode for GovTx {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let signer = read_key(r, "signer")?;
        let sequence = r.u64("sequence")?;
        let op = match r.u8("operation")? {
            1 => Op::Propose {
                action: Action::read(r)?,
                memo: read_str(r, "memo", 0, MAX_MEMO)?,
            },
            2 => Op::Vote {
                proposal: r.u64("proposal")?,
                choice: Choice::from_tag(r.u8("vote")?)?,
            },
            3 => Op::Delegate {
                node: read_key(r, "node key")?,
                amount: read_weight(r, "amount")?,
            },
            4 => Op::Undelegate {
                node: read_key(r, "node key")?,
                amount: read_weight(r, "amount")?,
            },
            5 => Op::Unjail {
                node: read_key(r, "node key")?,
            },
            _ => {
                return Err(invalid(
                    "operation",
                    "1 propose, 2 vote, 3 delegate, 4 undelegate, 5 unjail",
                ))
            }
        };
        let signature = Signature(r.array("signature")?);
        Ok(Self {
            signer,
            sequence,
            op,
            signature,
        })
    }
}

/// Checks that a count of records fits its bound (for state records).
pub(crate) fn check_count(what: &'static str, n: usize, max: usize) -> Result<(), DecodeError> {
    check_range(what, n, 0, max)
}

#[cfg(test)]
mod tests;
