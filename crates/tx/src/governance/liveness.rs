//! Liveness and misbehaviour: the commit record each block carries about
//! its parent (kind 9), the miss counters it feeds, jailing, unjailing and
//! the tombstone.
//!
//! After CometBFT's `LastCommit` and Cosmos `x/slashing`, without stake to
//! slash:
//!
//! * **Commit record.** The proposer of block `h ≥ 2` puts, as its first
//!   transaction, the precommit signatures that decided block `h − 1` (the
//!   commit certificate it holds), and any double votes it has seen. Every
//!   validator checks, at execution, that the record names block `h − 1`
//!   (the parent), that every signature is a valid precommit for it by a
//!   validator of the set that decided `h − 1`, and that the signers hold
//!   more than two thirds of that set's power. Honest validators refuse a
//!   proposal for `h ≥ 2` without one, so a proposer cannot hide who did
//!   not sign; it can drop late signatures, as in CometBFT.
//! * **Downtime.** Blocks are grouped in windows of `W = liveness_window`
//!   blocks (`[s, s + W)`, the first starting at the first commit record).
//!   A validator of the signing set missing from a record has one more
//!   miss in the window. With `m = min_signed` (ppm), a validator that
//!   misses more than `W − ⌈W · m / 10⁶⌉` blocks of one window can no
//!   longer have signed `m` of it and is **jailed** at once, for
//!   `jail_blocks` blocks.
//! * **Equivocation.** A double vote — two votes of one validator for the
//!   same height, round and kind naming different values, both correctly
//!   signed — **tombstones** the validator: jailed for good, its key never
//!   registered again.
//! * **Effect.** A jailed or tombstoned node is left out of every election;
//!   jailing triggers one in the same block, so it leaves the set at
//!   `h + 2` like any other change. It stays a registered node (its QUIC
//!   connections stay admitted: it must catch up before it can be useful).
//!   After `jail_blocks`, any committee member may send `unjail`; the node
//!   is elected again at the next election (which the unjail triggers).
//!
//! # Wire layout (kind 9, after the version and kind bytes)
//!
//! ```text
//!   height     u64   the block the signatures decided (the parent)
//!   round      u32   its decision round (≤ 2^20)
//!   block      32    its hash
//!   n          u32   ≤ 1024 signatures, strictly increasing by validator
//!   n × (validator 32 ‖ signature 64)   precommits: vote sig over
//!                    SHA-256("veil/vote/v1" ‖ 0 ‖ chain ‖ vote), the
//!                    consensus vote layout with kind 1 and value = block
//!   e          u8    ≤ 16 double votes, strictly increasing by validator
//!   e × (validator 32 ‖ kind u8 (0 prevote, 1 precommit) ‖ height u64 ‖
//!        round u32 ‖ first value-id ‖ first signature 64 ‖
//!        second value-id ‖ second signature 64), first < second
//!   value-id = u8 0 (nil) | u8 1 ‖ block hash 32
//! ```
//!
//! Nobody signs the record as a whole: every signature in it is a
//! validator's own, and the block's transaction root commits to it.

use super::rules::GovState;
use super::{invalid, MAX_CANDIDATES, PPM};
use crate::pipeline::Effect;
use crate::TxError;
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, Reader, Writer};

use super::error::GovError;
use super::rules::{self, Powers};

/// Transaction kind byte of a commit record.
pub const KIND_COMMIT: u8 = 9;
/// Most signatures in one commit record.
pub const MAX_COMMIT_SIGNATURES: usize = 1_024;
/// Most double votes in one commit record.
pub const MAX_EVIDENCE: usize = 16;
/// Highest round a commit record names.
pub const MAX_ROUND: u32 = 1 << 20;
/// Most jail entries kept (tombstones are kept for good).
pub const MAX_JAILED: usize = 4 * MAX_CANDIDATES;

/// `governance` key of the current liveness window's miss counters.
pub const KEY_LIVENESS: &[u8] = b"liveness";
/// `governance` key of the jailed and tombstoned nodes.
pub const KEY_JAILED: &[u8] = b"jailed";
/// `governance` key of the set that decided the last block when it
/// differs from the set in force for the next one.
pub const KEY_PREVIOUS_SET: &[u8] = b"previous_set";

/// A vote's value: a block hash, or nil.
pub type ValueId = Option<[u8; 32]>;

/// The precommits that decided a block, and double votes seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitRecord {
    /// The decided block's height.
    pub height: u64,
    /// Its decision round.
    pub round: u32,
    /// Its hash.
    pub block: [u8; 32],
    /// Each signer's precommit signature, increasing by signer.
    pub signatures: Vec<([u8; 32], [u8; 64])>,
    /// Double votes, increasing by validator.
    pub evidence: Vec<DoubleVote>,
}

/// Two conflicting votes of one validator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoubleVote {
    /// The validator (its node key).
    pub validator: [u8; 32],
    /// A precommit (else a prevote).
    pub precommit: bool,
    /// The height both votes are for.
    pub height: u64,
    /// The round both votes are for.
    pub round: u32,
    /// The lesser value voted for.
    pub first: ValueId,
    /// Its signature.
    pub first_signature: [u8; 64],
    /// The greater value voted for.
    pub second: ValueId,
    /// Its signature.
    pub second_signature: [u8; 64],
}

fn write_value(w: &mut Writer, v: &ValueId) {
    match v {
        None => w.u8(0),
        Some(h) => {
            w.u8(1);
            w.bytes(h);
        }
    }
}

fn read_value(r: &mut Reader<'_>) -> Result<ValueId, DecodeError> {
    match r.u8("value id tag")? {
        0 => Ok(None),
        1 => Ok(Some(r.array("value id")?)),
        _ => Err(invalid("value id tag", "must be 0 or 1")),
    }
}

fn read_round(r: &mut Reader<'_>) -> Result<u32, DecodeError> {
    let v = u32::from_le_bytes(r.array("round")?);
    if v > MAX_ROUND {
        return Err(invalid("round", "out of range"));
    }
    Ok(v)
}

impl Encode for DoubleVote {
    fn write(&self, w: &mut Writer) {
        w.bytes(&self.validator);
        w.u8(u8::from(self.precommit));
        w.u64(self.height);
        w.bytes(&self.round.to_le_bytes());
        write_value(w, &self.first);
        w.bytes(&self.first_signature);
        write_value(w, &self.second);
        w.bytes(&self.second_signature);
        if self.first >= self.second {
            w.fail("double vote", "first value must be less than the second");
        }
    }
}

impl Decode for DoubleVote {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let validator = r.array("validator")?;
        let precommit = match r.u8("vote kind")? {
            0 => false,
            1 => true,
            _ => return Err(invalid("vote kind", "must be 0 or 1")),
        };
        let v = Self {
            validator,
            precommit,
            height: r.u64("height")?,
            round: read_round(r)?,
            first: read_value(r)?,
            first_signature: r.array("signature")?,
            second: read_value(r)?,
            second_signature: r.array("signature")?,
        };
        if v.first >= v.second {
            return Err(invalid(
                "double vote",
                "first value must be less than the second",
            ));
        }
        Ok(v)
    }
}

impl Encode for CommitRecord {
    fn write(&self, w: &mut Writer) {
        w.u64(self.height);
        if self.round > MAX_ROUND {
            w.fail("round", "out of range");
        }
        w.bytes(&self.round.to_le_bytes());
        w.bytes(&self.block);
        w.len_u32("signatures", self.signatures.len(), MAX_COMMIT_SIGNATURES);
        if self.signatures.windows(2).any(|p| p[0].0 >= p[1].0) {
            w.fail("signatures", "strictly increasing by validator");
        }
        for (k, s) in &self.signatures {
            w.bytes(k);
            w.bytes(s);
        }
        w.count_u8("evidence", self.evidence.len(), 0, MAX_EVIDENCE);
        if self
            .evidence
            .windows(2)
            .any(|p| p[0].validator >= p[1].validator)
        {
            w.fail("evidence", "strictly increasing by validator");
        }
        for e in &self.evidence {
            e.write(w);
        }
    }
}

impl Decode for CommitRecord {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let height = r.u64("height")?;
        let round = read_round(r)?;
        let block = r.array("block")?;
        let n = r.len_u32("signatures", MAX_COMMIT_SIGNATURES)?;
        let mut signatures: Vec<([u8; 32], [u8; 64])> = Vec::with_capacity(n);
        for _ in 0..n {
            let k: [u8; 32] = r.array("validator")?;
            if signatures.last().is_some_and(|(last, _)| *last >= k) {
                return Err(invalid("signatures", "strictly increasing by validator"));
            }
            signatures.push((k, r.array("signature")?));
        }
        let e = r.count_u8("evidence", 0, MAX_EVIDENCE)?;
        let mut evidence: Vec<DoubleVote> = Vec::with_capacity(e);
        for _ in 0..e {
            let v = DoubleVote::read(r)?;
            if evidence.last().is_some_and(|l| l.validator >= v.validator) {
                return Err(invalid("evidence", "strictly increasing by validator"));
            }
            evidence.push(v);
        }
        Ok(Self {
            height,
            round,
            block,
            signatures,
            evidence,
        })
    }
}

/// Why a node is jailed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JailReason {
    /// It signed too few commits of a liveness window.
    Downtime,
    /// It signed two conflicting votes: tombstoned, for good.
    DoubleSign,
}

impl JailReason {
    /// The name the API and the CLI show.
    pub fn name(self) -> &'static str {
        match self {
            Self::Downtime => "downtime",
            Self::DoubleSign => "double-sign",
        }
    }
}

/// One jailed node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jailed {
    /// Its node key.
    pub key: [u8; 32],
    /// Why.
    pub reason: JailReason,
    /// The block that jailed it.
    pub since: u64,
    /// The first height at which it may be unjailed (`u64::MAX` for a
    /// tombstone).
    pub until: u64,
}

impl Jailed {
    /// Jailed for good.
    pub fn tombstoned(&self) -> bool {
        self.reason == JailReason::DoubleSign
    }
}

/// The jailed and tombstoned nodes, increasing by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jail {
    /// The entries.
    pub nodes: Vec<Jailed>,
}

impl Jail {
    /// A node's entry.
    pub fn get(&self, key: &[u8; 32]) -> Option<&Jailed> {
        self.nodes.iter().find(|j| j.key == *key)
    }

    fn insert(&mut self, entry: Jailed) {
        self.nodes.retain(|j| j.key != entry.key);
        self.nodes.push(entry);
        self.nodes.sort_by_key(|j| j.key);
    }
}

impl Encode for Jail {
    fn write(&self, w: &mut Writer) {
        w.len_u32("jailed", self.nodes.len(), MAX_JAILED);
        for j in &self.nodes {
            w.bytes(&j.key);
            w.u8(match j.reason {
                JailReason::Downtime => 1,
                JailReason::DoubleSign => 2,
            });
            w.u64(j.since);
            w.u64(j.until);
        }
    }
}

impl Decode for Jail {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let n = r.len_u32("jailed", MAX_JAILED)?;
        let mut nodes: Vec<Jailed> = Vec::with_capacity(n);
        for _ in 0..n {
            let key: [u8; 32] = r.array("node key")?;
            if nodes.last().is_some_and(|l| l.key >= key) {
                return Err(invalid("jailed", "strictly increasing by key"));
            }
            let reason = match r.u8("jail reason")? {
                1 => JailReason::Downtime,
                2 => JailReason::DoubleSign,
                _ => return Err(invalid("jail reason", "must be 1 or 2")),
            };
            nodes.push(Jailed {
                key,
                reason,
                since: r.u64("jailed since")?,
                until: r.u64("jailed until")?,
            });
        }
        Ok(Self { nodes })
    }
}

/// The current liveness window: its first height and each validator's
/// misses in it (only validators that missed, increasing by key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Liveness {
    /// First height of the window (0 before the first commit record).
    pub window_start: u64,
    /// Misses per validator.
    pub missed: Vec<([u8; 32], u64)>,
}

impl Encode for Liveness {
    fn write(&self, w: &mut Writer) {
        w.u64(self.window_start);
        w.count_u8("missed", self.missed.len(), 0, MAX_CANDIDATES);
        for (k, n) in &self.missed {
            w.bytes(k);
            w.u64(*n);
        }
    }
}

impl Decode for Liveness {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let window_start = r.u64("window start")?;
        let n = r.count_u8("missed", 0, MAX_CANDIDATES)?;
        let mut missed: Vec<([u8; 32], u64)> = Vec::with_capacity(n);
        for _ in 0..n {
            let k: [u8; 32] = r.array("node key")?;
            if missed.last().is_some_and(|(l, _)| *l >= k) {
                return Err(invalid("missed", "strictly increasing by key"));
            }
            missed.push((k, r.u64("misses")?));
        }
        Ok(Self {
            window_start,
            missed,
        })
    }
}

/// The set that decided block `height` when the set in force changed at
/// its end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreviousSet {
    /// The block it decided.
    pub height: u64,
    /// Node keys and powers, increasing by key.
    pub validators: Powers,
}

impl Encode for PreviousSet {
    fn write(&self, w: &mut Writer) {
        w.u64(self.height);
        w.count_u8("validators", self.validators.len(), 0, MAX_CANDIDATES);
        for (k, p) in &self.validators {
            w.bytes(k);
            w.u64(*p);
        }
    }
}

impl Decode for PreviousSet {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let height = r.u64("height")?;
        let n = r.count_u8("validators", 0, MAX_CANDIDATES)?;
        let mut validators = Vec::with_capacity(n);
        for _ in 0..n {
            validators.push((r.array("node key")?, r.u64("power")?));
        }
        Ok(Self { height, validators })
    }
}

/// The jailed and tombstoned nodes.
pub fn jail(state: &impl GovState) -> Result<Jail, GovError> {
    rules::load(state, KEY_JAILED, "jailed")
}

/// The current liveness window.
pub fn liveness(state: &impl GovState) -> Result<Liveness, GovError> {
    rules::load(state, KEY_LIVENESS, "liveness")
}

/// The validator set (node key, power; power 0 = not elected) that
/// decided block `height`, the parent of the block being executed.
pub fn signing_set(state: &impl GovState, height: u64) -> Result<Powers, GovError> {
    let previous: Option<PreviousSet> = match state.gov_record(KEY_PREVIOUS_SET) {
        None => None,
        Some(b) => Some(PreviousSet::decode(&b).map_err(|_| GovError::Corrupt("previous set"))?),
    };
    Ok(match previous {
        Some(p) if p.height == height => p.validators,
        _ => {
            let mut v = state.current_validators();
            v.sort_by_key(|(k, _)| *k);
            v
        }
    })
}

/// The effect that records `old` as the set that decided block `height`
/// when a new set comes into force at its end.
pub fn previous_set(height: u64, old: Powers) -> Result<Effect, TxError> {
    rules::put(
        KEY_PREVIOUS_SET,
        &PreviousSet {
            height,
            validators: old,
        },
    )
}

/// Most misses a validator may have in one window of `window` blocks and
/// still have signed `min_signed` ppm of it.
pub fn allowed_misses(window: u64, min_signed: u64) -> u64 {
    let needed = (u128::from(window) * u128::from(min_signed)).div_ceil(u128::from(PPM));
    window.saturating_sub(u64::try_from(needed).unwrap_or(u64::MAX))
}

/// The governance effects of a verified commit record in block `height`:
/// `set` is the set that decided block `height − 1`, `signers` who
/// signed it (each in `set`), `offenders` the validators proven to have
/// double-voted.
pub fn record_commit(
    state: &impl GovState,
    height: u64,
    set: &Powers,
    signers: &[[u8; 32]],
    offenders: &[[u8; 32]],
) -> Result<Vec<Effect>, TxError> {
    let params = rules::params(state)?;
    let mut jail = jail(state)?;
    let mut live = liveness(state)?;
    let jail_before = jail.clone();
    let live_before = live.clone();
    let candidates = rules::candidates(state)?;
    for k in offenders {
        if jail.get(k).is_some_and(Jailed::tombstoned) {
            continue;
        }
        jail.insert(Jailed {
            key: *k,
            reason: JailReason::DoubleSign,
            since: height,
            until: u64::MAX,
        });
    }
    if live.window_start == 0 || height >= live.window_start.saturating_add(params.liveness_window)
    {
        live = Liveness {
            window_start: height,
            missed: Vec::new(),
        };
    }
    let allowed = allowed_misses(params.liveness_window, params.min_signed);
    for (k, power) in set {
        if *power == 0 || signers.contains(k) || jail.get(k).is_some() {
            continue;
        }
        let misses = match live.missed.iter_mut().find(|(m, _)| m == k) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                live.missed.push((*k, 1));
                live.missed.sort_by_key(|(m, _)| *m);
                1
            }
        };
        if misses > allowed {
            jail.insert(Jailed {
                key: *k,
                reason: JailReason::Downtime,
                since: height,
                until: height.saturating_add(params.jail_blocks),
            });
            live.missed.retain(|(m, _)| m != k);
        }
    }
    // A downtime entry for a node no longer registered has no use.
    jail.nodes
        .retain(|j| j.tombstoned() || candidates.nodes.iter().any(|c| c.key.as_bytes() == &j.key));
    if jail.nodes.len() > MAX_JAILED {
        return Err(GovError::TooManyNodes.into());
    }
    let mut effects = Vec::new();
    if jail != jail_before {
        effects.push(rules::put(KEY_JAILED, &jail)?);
    }
    if live != live_before {
        effects.push(rules::put(KEY_LIVENESS, &live)?);
    }
    Ok(effects)
}

/// Checks an `unjail` of `node` in block `height`; on success the effect
/// that frees it.
pub fn unjail(state: &impl GovState, node: &[u8; 32], height: u64) -> Result<Effect, TxError> {
    let mut jail = jail(state)?;
    let entry = jail.get(node).ok_or(GovError::NotJailed)?;
    if entry.tombstoned() {
        return Err(GovError::Tombstoned.into());
    }
    if height < entry.until {
        return Err(GovError::JailTime { until: entry.until }.into());
    }
    jail.nodes.retain(|j| j.key != *node);
    rules::put(KEY_JAILED, &jail)
}

/// Whether `node` may be (re-)registered: a tombstoned key never may.
pub fn check_register(state: &impl GovState, node: &[u8; 32]) -> Result<(), GovError> {
    if jail(state)?.get(node).is_some_and(Jailed::tombstoned) {
        return Err(GovError::Tombstoned);
    }
    Ok(())
}
