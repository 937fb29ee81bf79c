//! The verifier's side: checking a presentation against a request and
//! ledger state ([`Verifier`]).

use std::collections::{BTreeMap, BTreeSet};

use veil_circuits::groth::{self, VerifyingKey};
use veil_circuits::hook::{Ciphertext, HookKey};
use veil_circuits::presentation::{self as relation, Predicate, Statement};
use veil_circuits::Fr;

use crate::credential::attribute_fields;
use crate::did::DidId;
use crate::schema::AttributeValue;
use crate::state::{IdentityState, RootVerdict};

use super::*;

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The issuer.
    pub issuer: DidId,
    /// The type.
    pub credential_type: String,
    /// The disclosed attributes.
    pub disclosed: BTreeMap<String, AttributeValue>,
    /// The predicate proven.
    pub predicate: Option<PredicateSpec>,
    /// The scope.
    pub scope: String,
    /// The nullifier (hex) to record.
    pub nullifier: Fr,
    /// The regulator ciphertext the verifier keeps (regulator hook).
    pub regulator_ciphertext: Option<Ciphertext>,
}

/// A verifier: ledger state, the pinned verifying key, the clock and the
/// root window.
pub struct Verifier<'a> {
    /// Ledger state.
    pub state: &'a dyn IdentityState,
    /// The pinned verifying key.
    pub key: &'a VerifyingKey,
    /// The pinned verifying key of the circuit with the regulator hook.
    pub hook_key: &'a VerifyingKey,
    /// Now (ms since the Unix epoch).
    pub now_ms: u64,
    /// How long a replaced root stays acceptable (ms).
    pub root_window_ms: u64,
}

impl std::fmt::Debug for Verifier<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("now_ms", &self.now_ms)
            .field("root_window_ms", &self.root_window_ms)
            .finish_non_exhaustive()
    }
}

impl Verifier<'_> {
    /// Every check but the proof; returns what the proof must establish.
    pub fn precheck(
        &self,
        p: &Presentation,
        request: &PresentationRequest,
    ) -> Result<(Verified, Statement), PresentationError> {
        if p.key_digest != self.key.digest() && p.key_digest != self.hook_key.digest() {
            return Err(PresentationError::KeyMismatch(hex::encode(p.key_digest)));
        }
        if p.nonce != request.nonce {
            return Err(PresentationError::NonceMismatch);
        }
        if p.scope != request.scope {
            return Err(PresentationError::ScopeMismatch);
        }
        if p.credential_type != request.credential_type {
            return Err(PresentationError::TypeMismatch {
                requested: request.credential_type.clone(),
                presented: p.credential_type.clone(),
            });
        }
        if !request.issuers.is_empty() && !request.issuers.contains(&p.issuer) {
            return Err(PresentationError::IssuerNotAllowed(p.issuer));
        }
        let ty = self
            .state
            .credential_type(&p.credential_type)
            .ok_or_else(|| PresentationError::UnknownType(p.credential_type.clone()))?;
        let asked: BTreeSet<&String> = request.disclose.iter().collect();
        let shown: BTreeSet<&String> = p.disclosed.keys().collect();
        if asked != shown {
            return Err(PresentationError::DisclosureMismatch(
                "the disclosed attributes are not the requested ones",
            ));
        }
        let mut mask = 0u8;
        let mut disclosed = BTreeMap::new();
        for (name, raw) in &p.disclosed {
            let (i, kind) = ty
                .attribute(name)
                .ok_or(PresentationError::DisclosureMismatch(
                    "an attribute is not in the type",
                ))?;
            let value = AttributeValue::from_json(name, kind, raw).map_err(|_| {
                PresentationError::DisclosureMismatch("a value does not fit its attribute")
            })?;
            mask |= 1 << i;
            disclosed.insert(name.clone(), value);
        }
        let fields = attribute_fields(&ty, &disclosed);
        if relation::disclosed_hash(mask, &fields) != p.disclosure_hash {
            return Err(PresentationError::DisclosureMismatch(
                "the disclosed values do not match the proof's disclosure hash",
            ));
        }
        if p.predicate != request.predicate {
            return Err(PresentationError::PredicateMismatch);
        }
        let predicate = match &p.predicate {
            None => Predicate::NONE,
            Some(spec) => spec
                .resolve(&ty)
                .map_err(|_| PresentationError::PredicateMismatch)?,
        };
        let accreditation = self
            .state
            .accreditation(&p.issuer, &p.credential_type)
            .filter(|a| a.active)
            .filter(|_| self.state.did(&p.issuer).is_some_and(|d| !d.deactivated))
            .ok_or_else(|| PresentationError::IssuerNotAccredited {
                issuer: p.issuer,
                credential_type: p.credential_type.clone(),
            })?;
        let hook = match (&accreditation.hook_key, &p.regulator_ciphertext) {
            (None, None) => None,
            (Some(k), Some(c)) => {
                let key = HookKey::from_bytes(k).map_err(|_| {
                    PresentationError::HookMismatch("the ledger's hook key is invalid")
                })?;
                if p.key_digest != self.hook_key.digest() {
                    return Err(PresentationError::HookMismatch(
                        "proved with the circuit without the hook",
                    ));
                }
                Some(relation::HookStatement {
                    key,
                    ciphertext: *c,
                })
            }
            (Some(_), None) => {
                return Err(PresentationError::HookMismatch(
                    "this issuer's accreditation requires the regulator ciphertext",
                ))
            }
            (None, Some(_)) => {
                return Err(PresentationError::HookMismatch(
                    "this accreditation has no regulator hook",
                ))
            }
        };
        if hook.is_none() && p.key_digest != self.key.digest() {
            return Err(PresentationError::HookMismatch(
                "proved with the hooked circuit",
            ));
        }
        let record = self
            .state
            .root_record(&p.issuer, &p.root)
            .ok_or(PresentationError::UnknownRoot(p.issuer))?;
        let tree = self
            .state
            .issuer_tree(&p.issuer)
            .ok_or(PresentationError::UnknownRoot(p.issuer))?;
        match record.accepts(tree.revocations, self.now_ms, self.root_window_ms) {
            RootVerdict::Fresh => {}
            RootVerdict::Stale => {
                return Err(PresentationError::StaleRoot {
                    window_ms: self.root_window_ms,
                })
            }
            RootVerdict::Revoked => return Err(PresentationError::Revoked),
        }
        let statement = Statement {
            root: p.root,
            credential_type: ty.id(),
            mask,
            disclosed_hash: p.disclosure_hash,
            predicate,
            nonce: p.nonce,
            scope: scope_field(&p.scope),
            nullifier: p.nullifier,
            hook,
        };
        Ok((
            Verified {
                issuer: p.issuer,
                credential_type: p.credential_type.clone(),
                disclosed,
                predicate: p.predicate.clone(),
                scope: p.scope.clone(),
                nullifier: p.nullifier,
                regulator_ciphertext: p.regulator_ciphertext,
            },
            statement,
        ))
    }

    /// Verifies one presentation (nullifier not consumed).
    pub fn check(
        &self,
        p: &Presentation,
        request: &PresentationRequest,
    ) -> Result<Verified, PresentationError> {
        let (verified, statement) = self.precheck(p, request)?;
        if !groth::verify(self.key_for(&statement), &statement, &p.proof) {
            return Err(PresentationError::InvalidProof);
        }
        Ok(verified)
    }

    /// Verifies many presentations with one batched pairing check; when the
    /// batch fails, each proof is re-checked alone to say which.
    pub fn check_many(
        &self,
        items: &[(Presentation, PresentationRequest)],
    ) -> Vec<Result<Verified, PresentationError>> {
        let mut results: Vec<Result<Verified, PresentationError>> = Vec::with_capacity(items.len());
        let mut batch = Vec::new();
        let mut positions = Vec::new();
        for (i, (p, r)) in items.iter().enumerate() {
            match self.precheck(p, r) {
                Ok((v, st)) => {
                    results.push(Ok(v));
                    batch.push((st, p.proof.clone()));
                    positions.push(i);
                }
                Err(e) => results.push(Err(e)),
            }
        }
        // One batch per circuit.
        for circuit in [relation::Circuit::Presentation, relation::Circuit::Hooked] {
            let (group, at): (Vec<_>, Vec<usize>) = batch
                .iter()
                .zip(&positions)
                .filter(|((st, _), _)| st.circuit() == circuit)
                .map(|(item, i)| (item.clone(), *i))
                .unzip();
            let Some((first, _)) = group.first() else {
                continue;
            };
            let key = self.key_for(first);
            if !groth::verify_batch(key, &group) {
                for ((st, proof), i) in group.iter().zip(at) {
                    if !groth::verify(key, st, proof) {
                        results[i] = Err(PresentationError::InvalidProof);
                    }
                }
            }
        }
        results
    }

    fn key_for(&self, statement: &Statement) -> &VerifyingKey {
        match statement.circuit() {
            relation::Circuit::Presentation => self.key,
            relation::Circuit::Hooked => self.hook_key,
        }
    }
}
