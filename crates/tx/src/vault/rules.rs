//! The stateful rules of vault records (see the module docs), as writes
//! to the `vault` column family.

use veil_codec::Encode;
use veil_crypto::signing::VerifyingKey;

use super::records::{self as rec, DocRecord, PartyRecord, VersionRecord, MAX_HOLDERS};
use super::{VaultOp, VaultState, VaultTx, VaultTxError, VaultWrite};
use crate::ledger_view::LedgerView;

const SET: &[u8] = &[1];

fn put(
    writes: &mut Vec<VaultWrite>,
    key: Vec<u8>,
    value: &impl Encode,
) -> Result<(), VaultTxError> {
    let bytes = value
        .encode()
        .map_err(|_| VaultTxError::Corrupt("record does not encode"))?;
    writes.push((key, Some(bytes)));
    Ok(())
}

fn enrolled(state: &impl VaultState, party: &VerifyingKey) -> Result<PartyRecord, VaultTxError> {
    rec::party(state, party)?.ok_or_else(|| VaultTxError::UnknownParty(hex_key(party)))
}

fn hex_key(k: &VerifyingKey) -> String {
    hex::encode(k.as_bytes())
}

fn live_doc(state: &impl VaultState, doc: &super::DocId) -> Result<DocRecord, VaultTxError> {
    let d = rec::doc(state, doc)?.ok_or(VaultTxError::UnknownDocument)?;
    if d.purged {
        return Err(VaultTxError::Purged);
    }
    Ok(d)
}

/// Whether `actor` may open `version` of a document: the owner, a grantee
/// holding a wrap of that version, a regulator identity of the version's
/// key's jurisdiction; or (checked by the caller) a capability holder.
pub fn may_open<V: LedgerView + VaultState>(
    state: &V,
    d: &DocRecord,
    v: &VersionRecord,
    actor: &VerifyingKey,
) -> bool {
    if d.owner == *actor {
        return true;
    }
    if d.grantees.contains(actor) && v.holders.contains(actor) {
        return true;
    }
    match (
        state.regulator_identity(actor),
        state.regulator_key_info(&v.regulator_key),
    ) {
        (Some(id), Some((j, _))) => id.jurisdictions.contains(&j),
        _ => false,
    }
}

/// The writes destroying `doc` (live): every version and wrap record
/// deleted, the document record kept as a tombstone with no grantees. By
/// its owner's purge record or by a passed committee proposal.
pub fn purge_writes(
    state: &impl VaultState,
    doc: &super::DocId,
) -> Result<Vec<VaultWrite>, VaultTxError> {
    let mut d = live_doc(state, doc)?;
    let mut w = Vec::new();
    for version in 1..=d.latest {
        if let Some(v) = rec::version(state, doc, version)? {
            for h in &v.holders {
                w.push((rec::wrap_key(doc, version, h), None));
            }
            w.push((rec::version_key(doc, version), None));
        }
    }
    d.purged = true;
    d.grantees.clear();
    put(&mut w, rec::doc_key(doc), &d)?;
    Ok(w)
}

/// Whether `actor` was revoked from a version it held a wrap of: it keeps
/// the key it read, but may not open by capability either.
pub fn revoked(d: &DocRecord, v: &VersionRecord, actor: &VerifyingKey) -> bool {
    v.holders.contains(actor) && d.owner != *actor && !d.grantees.contains(actor)
}

pub(super) fn check<V: LedgerView + VaultState>(
    tx: &VaultTx,
    state: &V,
) -> Result<Vec<VaultWrite>, VaultTxError> {
    let nonce = rec::nonce_key(&tx.actor, &tx.nonce);
    if state.vault_record(&nonce).is_some() {
        return Err(VaultTxError::Replay);
    }
    let mut w: Vec<VaultWrite> = vec![(nonce, Some(SET.to_vec()))];
    match &tx.op {
        VaultOp::Enrol(e) => {
            let address = &e.address;
            if rec::party(state, &tx.actor)?.is_some()
                || rec::party_of_address(state, address).is_some()
            {
                return Err(VaultTxError::AlreadyEnrolled);
            }
            put(
                &mut w,
                rec::party_key(&tx.actor),
                &PartyRecord { address: *address },
            )?;
            w.push((
                rec::address_key(address),
                Some(tx.actor.as_bytes().to_vec()),
            ));
        }
        VaultOp::Put(p) => {
            enrolled(state, &tx.actor)?;
            let existing = rec::doc(state, &p.doc)?;
            match &existing {
                None if p.version == 1 => {}
                None => return Err(VaultTxError::UnknownDocument),
                Some(d) => {
                    if d.purged {
                        return Err(VaultTxError::Purged);
                    }
                    if d.owner != tx.actor {
                        return Err(VaultTxError::NotOwner);
                    }
                    let expected = d.latest.saturating_add(1);
                    if p.version != expected {
                        return Err(VaultTxError::Version { expected });
                    }
                }
            }
            if !state.regulator_key_in_force(&p.regulator_key) {
                return Err(VaultTxError::RegulatorKey);
            }
            for (party, _) in &p.wraps {
                enrolled(state, party)?;
            }
            let holders: Vec<VerifyingKey> = p.wraps.iter().map(|(k, _)| *k).collect();
            for (party, wrap) in &p.wraps {
                put(&mut w, rec::wrap_key(&p.doc, p.version, party), wrap)?;
            }
            put(
                &mut w,
                rec::version_key(&p.doc, p.version),
                &VersionRecord {
                    address: p.address,
                    size: p.size,
                    chunks: p.chunks,
                    regulator_key: p.regulator_key,
                    regulator_wrap: p.regulator_wrap.clone(),
                    capability: p.capability,
                    holders: holders.clone(),
                    metadata: p.metadata.clone(),
                },
            )?;
            put(
                &mut w,
                rec::doc_key(&p.doc),
                &DocRecord {
                    owner: tx.actor,
                    latest: p.version,
                    purged: false,
                    grantees: holders[1..].to_vec(),
                },
            )?;
            if existing.is_none() {
                w.push((rec::owner_key(&tx.actor, &p.doc), Some(SET.to_vec())));
            }
        }
        VaultOp::Grant {
            doc,
            version,
            party,
            wrap,
        } => {
            let mut d = live_doc(state, doc)?;
            if d.owner != tx.actor {
                return Err(VaultTxError::NotOwner);
            }
            let mut v = rec::version(state, doc, *version)?.ok_or(VaultTxError::UnknownVersion)?;
            enrolled(state, party)?;
            if v.holders.contains(party) {
                return Err(VaultTxError::AlreadyGranted);
            }
            if v.holders.len() >= MAX_HOLDERS {
                return Err(VaultTxError::Wraps("too many parties"));
            }
            v.holders.push(*party);
            put(&mut w, rec::wrap_key(doc, *version, party), wrap)?;
            put(&mut w, rec::version_key(doc, *version), &v)?;
            if !d.grantees.contains(party) {
                if d.grantees.len() >= MAX_HOLDERS {
                    return Err(VaultTxError::Wraps("too many parties"));
                }
                d.grantees.push(*party);
                put(&mut w, rec::doc_key(doc), &d)?;
            }
        }
        VaultOp::Revoke { doc, party } => {
            let mut d = live_doc(state, doc)?;
            if d.owner != tx.actor {
                return Err(VaultTxError::NotOwner);
            }
            let before = d.grantees.len();
            d.grantees.retain(|g| g != party);
            if d.grantees.len() == before {
                return Err(VaultTxError::NotGrantee);
            }
            put(&mut w, rec::doc_key(doc), &d)?;
        }
        VaultOp::Open {
            doc,
            version,
            capability,
            ..
        } => {
            let d = live_doc(state, doc)?;
            let v = rec::version(state, doc, *version)?.ok_or(VaultTxError::UnknownVersion)?;
            let allowed = match capability {
                Some(sig) => {
                    enrolled(state, &tx.actor)?;
                    // A revoked party (it held a wrap of this version and
                    // is no grantee any more) keeps the key it read, but
                    // nodes serve it nothing more.
                    if revoked(&d, &v, &tx.actor) {
                        return Err(VaultTxError::Forbidden);
                    }
                    let hash = tx
                        .capability_hash()
                        .map_err(|_| VaultTxError::Corrupt("record does not encode"))?;
                    v.capability
                        .verify(&hash, sig)
                        .map_err(|_| VaultTxError::Signature)?;
                    true
                }
                None => may_open(state, &d, &v, &tx.actor),
            };
            if !allowed {
                return Err(VaultTxError::Forbidden);
            }
        }
        VaultOp::Purge { doc } => {
            let d = live_doc(state, doc)?;
            if d.owner != tx.actor {
                return Err(VaultTxError::NotOwner);
            }
            w.extend(purge_writes(state, doc)?);
        }
    }
    Ok(w)
}
