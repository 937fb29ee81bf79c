//! Checking a block's commit record (kind 9) against the chain: the rules
//! and the record layout are in [`veil_tx::governance::liveness`]; this
//! module adds what only the ledger knows — the chain identifier, the
//! parent block and the validator set that decided it — and verifies every
//! signature with the consensus vote layout
//! ([`veil_wire::consensus::vote_digest`]).

use veil_crypto::signing::{Signature, VerifyingKey};
use veil_tx::governance::liveness::{self, CommitRecord, DoubleVote};
use veil_tx::governance::rules::{GovError, GovState};
use veil_tx::pipeline::Effect;
use veil_tx::TxError;
use veil_wire::block::{BlockHash, ChainId};
use veil_wire::consensus::vote_digest;

fn verifies(key: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(key).is_ok_and(|k| k.verify(digest, &Signature(*sig)).is_ok())
}

/// Whether `e` proves that its validator signed two conflicting votes.
fn proves_equivocation(chain: &ChainId, e: &DoubleVote) -> bool {
    let digest = |value| vote_digest(chain, e.precommit, e.height, e.round, value, e.validator);
    e.first != e.second
        && verifies(&e.validator, &digest(e.first), &e.first_signature)
        && verifies(&e.validator, &digest(e.second), &e.second_signature)
}

/// Checks the commit record at `position` of block `height` (whose parent
/// is `parent`) and returns its governance effects: miss counters, jail
/// and tombstone entries.
pub fn check_commit(
    state: &impl GovState,
    chain: &ChainId,
    height: u64,
    parent: &BlockHash,
    position: usize,
    record: &CommitRecord,
) -> Result<Vec<Effect>, TxError> {
    let refuse = |why| TxError::Governance(GovError::CommitRecord(why));
    if position != 0 {
        return Err(refuse("it must be the block's first transaction"));
    }
    if height < 2 || record.height + 1 != height || record.block != parent.0 {
        return Err(refuse("it must be about the parent block"));
    }
    let set = liveness::signing_set(state, record.height)?;
    let total: u64 = set.iter().map(|(_, p)| *p).sum();
    let mut signed = 0u64;
    let mut signers = Vec::with_capacity(record.signatures.len());
    for (i, (key, sig)) in record.signatures.iter().enumerate() {
        let power = set.iter().find(|(k, _)| k == key).map_or(0, |(_, p)| *p);
        let digest = vote_digest(
            chain,
            true,
            record.height,
            record.round,
            Some(record.block),
            *key,
        );
        if power == 0 || !verifies(key, &digest, sig) {
            return Err(GovError::CommitSignature(i).into());
        }
        signed += power;
        signers.push(*key);
    }
    if u128::from(signed) * 3 <= u128::from(total) * 2 {
        return Err(GovError::CommitPower { signed, total }.into());
    }
    let mut offenders = Vec::with_capacity(record.evidence.len());
    for (i, e) in record.evidence.iter().enumerate() {
        if e.height > record.height || !proves_equivocation(chain, e) {
            return Err(GovError::Evidence(i).into());
        }
        offenders.push(e.validator);
    }
    liveness::record_commit(state, height, &set, &signers, &offenders)
}
