//! The rules of identity transactions: pure functions from (state,
//! transaction, block time) to [`Effect`]s, or the [`IdentityError`] that
//! refuses it (the rules themselves are summarised in [`crate::state`]).

use veil_circuits::field;
use veil_circuits::Fr;

use crate::did::{DidDocument, DidId, Fragment, ASSERTION, AUTHENTICATION};
use crate::state::{
    Accreditation, DidRecord, Effect, IdentityError, IdentityState, IssuerTree, RootRecord,
};
use crate::tree::{self, NodeId};
use crate::tx::{Change, CredentialOp, CredentialTx, DidOp, DidTx, TrustOp, TrustTx};

fn authorize(
    state: &dyn IdentityState,
    signer: &DidId,
    document: Option<&DidDocument>,
    fragment: &Fragment,
    relationship: u8,
    hash: &[u8; 32],
    signature: &[u8; 64],
) -> Result<(), IdentityError> {
    let fetched;
    let document = match document {
        Some(d) => d,
        None => {
            let rec = state
                .did(signer)
                .ok_or(IdentityError::DidNotFound(*signer))?;
            if rec.deactivated {
                return Err(IdentityError::DidDeactivated(*signer));
            }
            fetched = rec.document;
            &fetched
        }
    };
    let method = document
        .method(fragment)
        .ok_or_else(|| IdentityError::UnknownMethod {
            did: *signer,
            fragment: fragment.to_string(),
        })?;
    if !method.serves(relationship) {
        return Err(IdentityError::MethodNotAuthorized {
            fragment: fragment.to_string(),
            relationship: if relationship == AUTHENTICATION {
                "authentication"
            } else {
                "assertionMethod"
            },
        });
    }
    method
        .key
        .verify(hash, signature)
        .map_err(|_| IdentityError::BadSignature)
}

fn apply_change(doc: &mut DidDocument, change: &Change) -> Result<(), IdentityError> {
    let missing = |f: &Fragment| IdentityError::Change(format!("no method or service #{f}"));
    match change {
        Change::AddMethod(m) => doc.methods.push(m.clone()),
        Change::RemoveMethod(f) => {
            let before = doc.methods.len();
            doc.methods.retain(|m| &m.fragment != f);
            if doc.methods.len() == before {
                return Err(missing(f));
            }
        }
        Change::SetRelationships(f, r) => {
            doc.methods
                .iter_mut()
                .find(|m| &m.fragment == f)
                .ok_or_else(|| missing(f))?
                .relationships = *r;
        }
        Change::AddService(s) => doc.services.push(s.clone()),
        Change::RemoveService(f) => {
            let before = doc.services.len();
            doc.services.retain(|s| &s.fragment != f);
            if doc.services.len() == before {
                return Err(missing(f));
            }
        }
        Change::SetControllers(c) => doc.controllers.clone_from(c),
    }
    Ok(())
}

/// Checks a DID operation; returns its effects.
pub fn apply_did(
    state: &dyn IdentityState,
    tx: &DidTx,
    now_ms: u64,
) -> Result<Vec<Effect>, IdentityError> {
    let hash = tx.signing_hash()?;
    if let DidOp::Create(doc) = &tx.op {
        if let Some(rec) = state.did(&tx.did) {
            let _ = rec;
            return Err(IdentityError::DidExists(tx.did));
        }
        if tx.prev_version != 0 {
            return Err(IdentityError::StaleVersion {
                current: 0,
                found: tx.prev_version,
            });
        }
        doc.validate()?;
        let first = doc.methods.first().ok_or(IdentityError::DidNotDerived)?;
        if DidId::derive(&first.key) != tx.did
            || tx.signer != tx.did
            || tx.method != first.fragment
            || !first.serves(AUTHENTICATION)
        {
            return Err(IdentityError::DidNotDerived);
        }
        for c in &doc.controllers {
            if *c != tx.did && state.did(c).is_none() {
                return Err(IdentityError::DidNotFound(*c));
            }
        }
        authorize(
            state,
            &tx.did,
            Some(doc),
            &tx.method,
            AUTHENTICATION,
            &hash,
            &tx.signature,
        )?;
        return Ok(vec![Effect::Did {
            id: tx.did,
            record: DidRecord {
                document: doc.clone(),
                version: 1,
                created_ms: now_ms,
                updated_ms: now_ms,
                deactivated: false,
            },
        }]);
    }
    let current = state
        .did(&tx.did)
        .ok_or(IdentityError::DidNotFound(tx.did))?;
    if current.deactivated {
        return Err(IdentityError::DidDeactivated(tx.did));
    }
    if tx.prev_version != current.version {
        return Err(IdentityError::StaleVersion {
            current: current.version,
            found: tx.prev_version,
        });
    }
    if !current.document.controllers_of(tx.did).contains(&tx.signer) {
        return Err(IdentityError::NotController(tx.signer));
    }
    let own = (tx.signer == tx.did).then_some(&current.document);
    authorize(
        state,
        &tx.signer,
        own,
        &tx.method,
        AUTHENTICATION,
        &hash,
        &tx.signature,
    )?;
    let mut next = current.clone();
    next.version += 1;
    next.updated_ms = now_ms;
    match &tx.op {
        DidOp::Create(_) => unreachable!("handled above"),
        DidOp::Update(changes) => {
            for c in changes {
                apply_change(&mut next.document, c)?;
                if let Change::SetControllers(list) = c {
                    for d in list {
                        if *d != tx.did && state.did(d).is_none() {
                            return Err(IdentityError::DidNotFound(*d));
                        }
                    }
                }
            }
            next.document.validate()?;
        }
        DidOp::Rotate { method, key } => {
            let m = next
                .document
                .methods
                .iter_mut()
                .find(|m| &m.fragment == method)
                .ok_or_else(|| IdentityError::Change(format!("no method #{method}")))?;
            if m.key == *key {
                return Err(IdentityError::Change("the new key is the old key".into()));
            }
            m.key = *key;
            next.document.validate()?;
        }
        DidOp::Deactivate => next.deactivated = true,
    }
    Ok(vec![Effect::Did {
        id: tx.did,
        record: next,
    }])
}

/// Checks a trust-list operation; returns its effects.
pub fn apply_trust(
    state: &dyn IdentityState,
    tx: &TrustTx,
    now_ms: u64,
) -> Result<Vec<Effect>, IdentityError> {
    let (authority, last) = state
        .root_authority()
        .ok_or(IdentityError::NotRootAuthority)?;
    if authority != tx.authority {
        return Err(IdentityError::NotRootAuthority);
    }
    if tx.sequence != last + 1 {
        return Err(IdentityError::Sequence {
            expected: last + 1,
            found: tx.sequence,
        });
    }
    authorize(
        state,
        &tx.authority,
        None,
        &tx.method,
        ASSERTION,
        &tx.signing_hash()?,
        &tx.signature,
    )?;
    let mut effects = vec![Effect::Authority {
        id: authority,
        sequence: tx.sequence,
    }];
    match &tx.op {
        TrustOp::DefineType(t) => {
            if state.credential_type(&t.name).is_some() {
                return Err(IdentityError::TypeExists(t.name.clone()));
            }
            effects.push(Effect::Type(t.clone()));
        }
        TrustOp::Accredit {
            issuer,
            credential_type,
        }
        | TrustOp::AccreditWithHook {
            issuer,
            credential_type,
            ..
        } => {
            let hook_key = match &tx.op {
                TrustOp::AccreditWithHook { regulator_key, .. } => {
                    veil_circuits::hook::HookKey::from_bytes(regulator_key)
                        .map_err(|_| IdentityError::InvalidHookKey)?;
                    Some(*regulator_key)
                }
                _ => None,
            };
            if state.credential_type(credential_type).is_none() {
                return Err(IdentityError::UnknownType(credential_type.clone()));
            }
            let rec = state
                .did(issuer)
                .ok_or(IdentityError::DidNotFound(*issuer))?;
            if rec.deactivated {
                return Err(IdentityError::DidDeactivated(*issuer));
            }
            if state
                .accreditation(issuer, credential_type)
                .is_some_and(|a| a.active)
            {
                return Err(IdentityError::AlreadyAccredited {
                    issuer: *issuer,
                    credential_type: credential_type.clone(),
                });
            }
            effects.push(Effect::Accreditation {
                issuer: *issuer,
                credential_type: credential_type.clone(),
                record: Accreditation {
                    active: true,
                    since_ms: now_ms,
                    revoked_ms: 0,
                    hook_key,
                },
            });
        }
        TrustOp::Revoke {
            issuer,
            credential_type,
        } => {
            let Some(mut a) = state
                .accreditation(issuer, credential_type)
                .filter(|a| a.active)
            else {
                return Err(IdentityError::NotAccredited {
                    issuer: *issuer,
                    credential_type: credential_type.clone(),
                });
            };
            a.active = false;
            a.revoked_ms = now_ms;
            effects.push(Effect::Accreditation {
                issuer: *issuer,
                credential_type: credential_type.clone(),
                record: a,
            });
        }
    }
    Ok(effects)
}

/// Checks a credential operation; returns its effects.
pub fn apply_credential(
    state: &dyn IdentityState,
    tx: &CredentialTx,
    now_ms: u64,
) -> Result<Vec<Effect>, IdentityError> {
    let tree = state
        .issuer_tree(&tx.issuer)
        .unwrap_or_else(IssuerTree::empty);
    if tx.sequence != tree.sequence + 1 {
        return Err(IdentityError::Sequence {
            expected: tree.sequence + 1,
            found: tx.sequence,
        });
    }
    authorize(
        state,
        &tx.issuer,
        None,
        &tx.method,
        ASSERTION,
        &tx.signing_hash()?,
        &tx.signature,
    )?;
    let read = |node: NodeId| state.tree_node(&tx.issuer, node);
    let mut next = tree;
    next.sequence = tx.sequence;
    next.updated_ms = now_ms;
    let mut issued = Vec::new();
    let writes: Vec<(u64, Fr)> = match &tx.op {
        CredentialOp::Issue {
            credential_type,
            commitments,
        } => {
            if state.credential_type(credential_type).is_none() {
                return Err(IdentityError::UnknownType(credential_type.clone()));
            }
            if !state
                .accreditation(&tx.issuer, credential_type)
                .is_some_and(|a| a.active)
            {
                return Err(IdentityError::NotAccredited {
                    issuer: tx.issuer,
                    credential_type: credential_type.clone(),
                });
            }
            let n = u64::try_from(commitments.len()).unwrap_or(u64::MAX);
            if tree.leaves + n > 1 << veil_circuits::merkle::DEPTH {
                return Err(IdentityError::TreeFull);
            }
            let mut seen = std::collections::HashSet::new();
            let mut writes = Vec::with_capacity(commitments.len());
            for (i, c) in commitments.iter().enumerate() {
                if !seen.insert(field::to_bytes(c))
                    || state.commitment_index(&tx.issuer, c).is_some()
                {
                    return Err(IdentityError::DuplicateCommitment(field::to_hex(c)));
                }
                let index = tree.leaves + u64::try_from(i).unwrap_or(u64::MAX);
                issued.push((
                    *c,
                    u32::try_from(index).map_err(|_| IdentityError::TreeFull)?,
                ));
                writes.push((index, *c));
            }
            next.leaves += n;
            writes
        }
        CredentialOp::Revoke { leaves } => {
            let zero = Fr::from(0u64);
            let mut writes = Vec::with_capacity(leaves.len());
            for l in leaves {
                if u64::from(*l) >= tree.leaves {
                    return Err(IdentityError::UnknownLeaf(*l));
                }
                if read((0, u64::from(*l))).is_none_or(|v| v == zero) {
                    return Err(IdentityError::AlreadyRevoked(*l));
                }
                writes.push((u64::from(*l), zero));
            }
            next.revocations += 1;
            writes
        }
    };
    let (nodes, root) = tree::update(&read, &writes);
    next.root = root;
    let retired = state.root_record(&tx.issuer, &tree.root).map(|mut r| {
        r.replaced_ms = now_ms;
        (tree.root, r)
    });
    Ok(vec![Effect::Tree {
        issuer: tx.issuer,
        tree: next,
        nodes,
        issued,
        retired,
        root: RootRecord {
            created_ms: now_ms,
            replaced_ms: 0,
            revocations: next.revocations,
        },
    }])
}
