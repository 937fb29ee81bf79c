//! The stateful rules of vault records (see the module docs), as writes
//! to the `vault` column family.

use veil_codec::Encode;
use veil_crypto::signing::VerifyingKey;
use veil_identity::did::{AUTHENTICATION, KEY_AGREEMENT};
use veil_identity::keys::PublicKey;
use veil_identity::IdentityState;

use super::records::{
    self as rec, DidPartyRecord, DocRecord, Enrolled, PartyRecord, VersionRecord, MAX_HOLDERS,
};
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

/// An enrolled party in good standing: a wallet party, or a DID party
/// whose DID is active and still names it (see [`did_standing`]).
fn enrolled<V: VaultState + IdentityState>(
    state: &V,
    party: &VerifyingKey,
) -> Result<Enrolled, VaultTxError> {
    let e =
        rec::enrolled(state, party)?.ok_or_else(|| VaultTxError::UnknownParty(hex_key(party)))?;
    if let Enrolled::Did(d) = &e {
        did_standing(state, party, d)?;
    }
    Ok(e)
}

/// Whether the ledger's current document of `d.did` is active, lists
/// `party` as the Ed25519 key of its authentication method
/// `d.authentication`, and has an X25519 key-agreement method
/// `d.agreement`; returns that X25519 key.
pub fn did_standing(
    state: &impl IdentityState,
    party: &VerifyingKey,
    d: &DidPartyRecord,
) -> Result<[u8; 32], VaultTxError> {
    let refuse = |why: &str| VaultTxError::DidParty(format!("{}: {why}", d.did));
    let record = state.did(&d.did).ok_or_else(|| refuse("no such DID"))?;
    if record.deactivated {
        return Err(refuse("the DID is deactivated"));
    }
    let auth = record
        .document
        .method(&d.authentication)
        .ok_or_else(|| refuse("no such authentication method"))?;
    if !auth.serves(AUTHENTICATION) || auth.key != PublicKey::Ed25519(*party) {
        return Err(refuse(
            "the party key is not an authentication key of the DID (removed or rotated?)",
        ));
    }
    let agree = record
        .document
        .method(&d.agreement)
        .ok_or_else(|| refuse("no such key-agreement method"))?;
    match agree.key {
        PublicKey::X25519(k) if agree.serves(KEY_AGREEMENT) => Ok(k),
        _ => Err(refuse(
            "the agreement method is not an X25519 keyAgreement key",
        )),
    }
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
pub fn may_open<V: LedgerView + VaultState + IdentityState>(
    state: &V,
    d: &DocRecord,
    v: &VersionRecord,
    actor: &VerifyingKey,
) -> bool {
    // A DID party opens only while its DID still names it.
    match rec::did_party(state, actor) {
        Ok(Some(p)) if did_standing(state, actor, &p).is_err() => return false,
        Err(_) => return false,
        _ => {}
    }
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

pub(super) fn check<V: LedgerView + VaultState + IdentityState>(
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
            if rec::enrolled(state, &tx.actor)?.is_some()
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
        VaultOp::EnrolDid {
            did,
            authentication,
            agreement,
        } => {
            if rec::enrolled(state, &tx.actor)?.is_some() {
                return Err(VaultTxError::AlreadyEnrolled);
            }
            // A DID enrols once, unless the key it enrolled no longer
            // stands (rotated or removed): then its new key may. The old
            // party's record stays, so it keeps failing its standing check
            // and opens nothing; grants were to the old key, so owners
            // grant the new one afresh.
            if let Some(old) = rec::party_of_did(state, did) {
                let stands = rec::did_party(state, &old)?
                    .is_some_and(|r| did_standing(state, &old, &r).is_ok());
                if stands {
                    return Err(VaultTxError::AlreadyEnrolled);
                }
            }
            let record = DidPartyRecord {
                did: *did,
                authentication: authentication.clone(),
                agreement: agreement.clone(),
            };
            did_standing(state, &tx.actor, &record)?;
            put(&mut w, rec::did_party_key(&tx.actor), &record)?;
            w.push((rec::did_key(did), Some(tx.actor.as_bytes().to_vec())));
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
            for (party, wrap) in &p.wraps {
                if !enrolled(state, party)?.opens(wrap) {
                    return Err(VaultTxError::Wraps("a wrap is not of its party's kind"));
                }
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
            if !enrolled(state, party)?.opens(wrap) {
                return Err(VaultTxError::Wraps("a wrap is not of its party's kind"));
            }
            if v.holders.contains(party) {
                return Err(VaultTxError::AlreadyGranted);
            }
            if v.holders.len() >= MAX_HOLDERS {
                return Err(VaultTxError::Wraps("too many parties"));
            }
            v.holders.push(*party);
            put(&mut w, rec::wrap_key(doc, *version, party), &**wrap)?;
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
