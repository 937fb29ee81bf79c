//! Presentation requests, presentations and their verification.
//!
//! A verifier asks for a credential type (optionally from listed issuers),
//! the attributes to disclose, at most one range predicate, under its
//! scope, with a fresh nonce ([`PresentationRequest`]). The holder answers
//! with a VC 2.0 `VerifiablePresentation` whose `proof` is of the custom
//! type `VeilGroth16Presentation2026` ([`Presentation`], wire format in
//! `docs/credentials.md`): the disclosed values in clear, the issuer-tree
//! root, the nullifier, the disclosure hash and a 128-byte Groth16 proof of
//! the relation in [`veil_circuits::presentation`].
//!
//! Verification ([`Verifier::check`]) rebuilds the public statement from
//! what the verifier sees and knows, compares it with the request, checks
//! ledger state (accreditation, root freshness, revocations) and finally
//! the proof; each failure has its own [`PresentationError`]. Nullifiers
//! are consumed by the caller (the node keeps a per-scope set), only after
//! everything else succeeded.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use veil_circuits::field;
use veil_circuits::groth::Proof;
use veil_circuits::hook::{self, Ciphertext};
use veil_circuits::presentation::{Predicate, ATTRIBUTES, NO_PREDICATE};
use veil_circuits::Fr;

use super::did::DidId;
use super::schema::{AttributeValue, CredentialType};
use super::vc::{VC_CONTEXT, VEIL_CONTEXT};

mod holder;
mod verifier;

pub use holder::{Holder, PresentError};
pub use verifier::{Verified, Verifier};

/// The presentation proof type.
pub const PROOF_TYPE: &str = "VeilGroth16Presentation2026";
/// Longest scope, in bytes.
pub const MAX_SCOPE: usize = 128;
/// Most issuers a request may list.
pub const MAX_ISSUERS: usize = 16;
/// Largest presentation or request accepted, in bytes of JSON.
pub const MAX_JSON_BYTES: usize = 16 * 1024;

/// Why a request or presentation is refused. Each check has its own
/// variant and [`PresentationError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentationError {
    /// Not a well-formed request or presentation.
    #[error("malformed {what}: {why}")]
    Malformed {
        /// Request or presentation.
        what: &'static str,
        /// Why.
        why: String,
    },
    /// Made with another verifying key.
    #[error("the proof was made for verifying key {0}, not the pinned one")]
    KeyMismatch(String),
    /// The nonce is not the request's.
    #[error("the presentation answers another nonce")]
    NonceMismatch,
    /// The scope is not the request's.
    #[error("the presentation is scoped to another verifier")]
    ScopeMismatch,
    /// The type is not the request's.
    #[error("the request asks for {requested}, the presentation shows {presented}")]
    TypeMismatch {
        /// Asked.
        requested: String,
        /// Shown.
        presented: String,
    },
    /// The issuer is not one the request accepts.
    #[error("the request does not accept credentials from {0}")]
    IssuerNotAllowed(DidId),
    /// The disclosed attributes are not the requested ones, or do not match
    /// the disclosure hash.
    #[error("disclosed attributes do not match: {0}")]
    DisclosureMismatch(&'static str),
    /// The predicate is not the requested one.
    #[error("the presentation proves another predicate than the one requested")]
    PredicateMismatch,
    /// The type is not defined on the ledger.
    #[error("credential type {0} is not defined")]
    UnknownType(String),
    /// The issuer is not (or no longer) accredited for the type.
    #[error("{issuer} is not accredited for {credential_type}")]
    IssuerNotAccredited {
        /// The issuer.
        issuer: DidId,
        /// The type.
        credential_type: String,
    },
    /// The root was never a root of the issuer's tree.
    #[error("the root is not a root of {0}'s credential tree")]
    UnknownRoot(DidId),
    /// The root was replaced longer ago than the window allows.
    #[error("the root was replaced more than {window_ms} ms ago; prove against a current root")]
    StaleRoot {
        /// The window.
        window_ms: u64,
    },
    /// The root predates a revocation: revoked credentials could prove
    /// against it, so it is refused.
    #[error("the root predates a revocation by the issuer; revoked credentials cannot present and valid ones must prove against a current root")]
    Revoked,
    /// The Groth16 proof does not verify.
    #[error("the zero-knowledge proof does not verify")]
    InvalidProof,
    /// The nullifier was already used in this scope.
    #[error("this holder already presented a credential in this scope (nullifier reused)")]
    NullifierReused,
    /// The accreditation requires the regulator hook and the presentation
    /// has none, or the other way round, or the key is the wrong circuit's.
    #[error("regulator hook mismatch: {0}")]
    HookMismatch(&'static str),
}

impl PresentationError {
    /// A stable short identifier, used as the problem type in the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed-presentation",
            Self::KeyMismatch(_) => "verifying-key-mismatch",
            Self::NonceMismatch => "nonce-mismatch",
            Self::ScopeMismatch => "scope-mismatch",
            Self::TypeMismatch { .. } => "credential-type-mismatch",
            Self::IssuerNotAllowed(_) => "issuer-not-allowed",
            Self::DisclosureMismatch(_) => "disclosure-mismatch",
            Self::PredicateMismatch => "predicate-mismatch",
            Self::UnknownType(_) => "unknown-credential-type",
            Self::IssuerNotAccredited { .. } => "issuer-not-accredited",
            Self::UnknownRoot(_) => "unknown-root",
            Self::StaleRoot { .. } => "stale-root",
            Self::Revoked => "credential-revoked",
            Self::InvalidProof => "invalid-proof",
            Self::NullifierReused => "nullifier-reused",
            Self::HookMismatch(_) => "regulator-hook-mismatch",
        }
    }
}

fn malformed(what: &'static str, why: impl Into<String>) -> PresentationError {
    PresentationError::Malformed {
        what,
        why: why.into(),
    }
}

/// A range predicate as requested: `min ≤ attribute ≤ max` (either bound
/// may be open).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredicateSpec {
    /// The attribute (an integer or date).
    pub attribute: String,
    /// Lower bound.
    pub min: Option<AttributeValue>,
    /// Upper bound.
    pub max: Option<AttributeValue>,
}

impl PredicateSpec {
    /// The circuit's `(k, lo, hi)` under `ty`.
    pub fn resolve(&self, ty: &CredentialType) -> Result<Predicate, &'static str> {
        let (index, kind) = ty
            .attribute(&self.attribute)
            .ok_or("the predicate's attribute is not in the type")?;
        if !kind.is_ordered() {
            return Err("predicates apply to integers and dates only");
        }
        let lo = self.min.as_ref().map_or(Some(0), AttributeValue::as_u64);
        let hi = self
            .max
            .as_ref()
            .map_or(Some(u64::MAX), AttributeValue::as_u64);
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Err("the predicate's bounds must be integers or dates");
        };
        if lo > hi {
            return Err("the predicate's minimum exceeds its maximum");
        }
        Ok(Predicate {
            index: u8::try_from(index).unwrap_or(NO_PREDICATE),
            lo,
            hi,
        })
    }

    fn to_json(&self) -> Value {
        let mut v = json!({ "attribute": self.attribute });
        if let Some(m) = &self.min {
            v["min"] = m.to_json();
        }
        if let Some(m) = &self.max {
            v["max"] = m.to_json();
        }
        v
    }

    fn from_json(
        v: &Value,
        ty: &CredentialType,
        what: &'static str,
    ) -> Result<Self, PresentationError> {
        let attribute = v
            .get("attribute")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(what, "predicate.attribute"))?
            .to_owned();
        let (_, kind) = ty
            .attribute(&attribute)
            .ok_or_else(|| malformed(what, "the predicate's attribute is not in the type"))?;
        let bound = |key: &str| -> Result<Option<AttributeValue>, PresentationError> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => AttributeValue::from_json(&attribute, kind, x)
                    .map(Some)
                    .map_err(|e| malformed(what, e.to_string())),
            }
        };
        Ok(Self {
            min: bound("min")?,
            max: bound("max")?,
            attribute,
        })
    }
}

/// What a verifier asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentationRequest {
    /// A fresh nonce.
    pub nonce: Fr,
    /// The verifier's scope (nullifiers are per scope).
    pub scope: String,
    /// The credential type.
    pub credential_type: String,
    /// Accepted issuers (empty: any issuer accredited for the type).
    pub issuers: Vec<DidId>,
    /// Attributes to disclose.
    pub disclose: Vec<String>,
    /// At most one predicate.
    pub predicate: Option<PredicateSpec>,
}

fn check_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() || scope.len() > MAX_SCOPE || !scope.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("scope: 1 to 128 printable ASCII characters".into());
    }
    Ok(())
}

/// The field element of a scope.
pub fn scope_field(scope: &str) -> Fr {
    field::hash_to_field(b"veil/scope/v1", scope.as_bytes())
}

/// A fresh random nonce.
pub fn random_nonce() -> Fr {
    let mut b = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    field::hash_to_field(b"veil/nonce/v1", &b)
}

impl PresentationRequest {
    /// Validates a request against its type.
    pub fn validate(&self, ty: &CredentialType) -> Result<(), PresentationError> {
        let what = "request";
        check_scope(&self.scope).map_err(|e| malformed(what, e))?;
        if self.issuers.len() > MAX_ISSUERS {
            return Err(malformed(what, "at most 16 issuers"));
        }
        let mut seen = BTreeSet::new();
        for a in &self.disclose {
            if ty.attribute(a).is_none() {
                return Err(malformed(what, format!("{} has no attribute {a}", ty.name)));
            }
            if !seen.insert(a) {
                return Err(malformed(what, format!("{a} is listed twice")));
            }
        }
        if let Some(p) = &self.predicate {
            p.resolve(ty).map_err(|e| malformed(what, e))?;
        }
        Ok(())
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "type": "VeilPresentationRequest",
            "nonce": field::to_hex(&self.nonce),
            "scope": self.scope,
            "credentialType": self.credential_type,
            "disclose": self.disclose,
        });
        if !self.issuers.is_empty() {
            v["issuers"] = json!(self
                .issuers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>());
        }
        if let Some(p) = &self.predicate {
            v["predicate"] = p.to_json();
        }
        v
    }

    /// Parses and validates a request; `type_of` looks types up.
    pub fn from_json(
        v: &Value,
        type_of: &dyn Fn(&str) -> Option<CredentialType>,
    ) -> Result<Self, PresentationError> {
        let what = "request";
        let s = |k: &str| v.get(k).and_then(Value::as_str);
        let credential_type = s("credentialType")
            .ok_or_else(|| malformed(what, "credentialType"))?
            .to_owned();
        let ty = type_of(&credential_type)
            .ok_or_else(|| PresentationError::UnknownType(credential_type.clone()))?;
        let nonce = s("nonce")
            .and_then(field::from_hex)
            .ok_or_else(|| malformed(what, "nonce: 64 hex digits, a BN254 scalar"))?;
        let list = |k: &str| -> Result<Vec<String>, PresentationError> {
            match v.get(k) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) if a.len() <= MAX_ISSUERS => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| malformed(what, "a list of strings"))
                    })
                    .collect(),
                Some(_) => Err(malformed(
                    what,
                    format!("{k}: a list of at most 16 strings"),
                )),
            }
        };
        let issuers = list("issuers")?
            .iter()
            .map(|d| {
                d.parse()
                    .map_err(|_| malformed(what, format!("issuer {d} is not a did:veil DID")))
            })
            .collect::<Result<_, _>>()?;
        let request = Self {
            nonce,
            scope: s("scope")
                .ok_or_else(|| malformed(what, "scope"))?
                .to_owned(),
            credential_type,
            issuers,
            disclose: list("disclose")?,
            predicate: match v.get("predicate") {
                None | Some(Value::Null) => None,
                Some(p) => Some(PredicateSpec::from_json(p, &ty, what)?),
            },
        };
        request.validate(&ty)?;
        Ok(request)
    }
}

/// A presentation as it travels.
#[derive(Clone, Debug, PartialEq)]
pub struct Presentation {
    /// The issuer.
    pub issuer: DidId,
    /// The type.
    pub credential_type: String,
    /// Disclosed attribute values (JSON, typed by the verifier's schema).
    pub disclosed: BTreeMap<String, Value>,
    /// The predicate proven.
    pub predicate: Option<PredicateSpec>,
    /// The verifier's nonce.
    pub nonce: Fr,
    /// The verifier's scope.
    pub scope: String,
    /// The issuer-tree root proven against.
    pub root: Fr,
    /// `D`.
    pub disclosure_hash: Fr,
    /// `N`.
    pub nullifier: Fr,
    /// The verifying key's SHA-256.
    pub key_digest: [u8; 32],
    /// The Groth16 proof.
    pub proof: Proof,
    /// When it was made (RFC 3339).
    pub created: String,
    /// The holder commitment encrypted to the regulator (regulator hook).
    pub regulator_ciphertext: Option<Ciphertext>,
}

/// The JSON form of a hook ciphertext: `{"c1": hex(compressed C₁), "c2":
/// hex(c₂)}`.
pub fn ciphertext_json(c: &Ciphertext) -> Value {
    json!({
        "c1": hex::encode(hook::point_to_bytes(&c.c1)),
        "c2": field::to_hex(&c.c2),
    })
}

/// Parses [`ciphertext_json`].
pub fn ciphertext_from_json(v: &Value) -> Option<Ciphertext> {
    let c1 = v.get("c1")?.as_str()?;
    let mut b = [0u8; 32];
    hex::decode_to_slice(c1, &mut b).ok()?;
    Some(Ciphertext {
        c1: hook::point_from_bytes(&b).ok()?,
        c2: field::from_hex(v.get("c2")?.as_str()?)?,
    })
}

impl Presentation {
    /// The VC 2.0 JSON form.
    pub fn to_json(&self) -> Value {
        let subject: serde_json::Map<String, Value> = self.disclosed.clone().into_iter().collect();
        let mut proof = json!({
            "type": PROOF_TYPE,
            "created": self.created,
            "proofPurpose": "authentication",
            "challenge": field::to_hex(&self.nonce),
            "domain": self.scope,
            "issuerTreeRoot": field::to_hex(&self.root),
            "disclosureHash": field::to_hex(&self.disclosure_hash),
            "nullifier": field::to_hex(&self.nullifier),
            "verificationKey": format!("sha256:{}", hex::encode(self.key_digest)),
            "proofValue": crate::keys::encode_base58btc(&self.proof.to_bytes()),
        });
        if let Some(p) = &self.predicate {
            proof["predicate"] = p.to_json();
        }
        if let Some(c) = &self.regulator_ciphertext {
            proof["regulatorCiphertext"] = ciphertext_json(c);
        }
        json!({
            "@context": [VC_CONTEXT, VEIL_CONTEXT],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [{
                "@context": [VC_CONTEXT, VEIL_CONTEXT],
                "type": ["VerifiableCredential", self.credential_type],
                "issuer": self.issuer.to_string(),
                "credentialSubject": subject,
            }],
            "proof": proof,
        })
    }

    /// Parses the JSON form (shape and encodings only; attribute values are
    /// typed by [`Verifier::check`]).
    pub fn from_json(
        v: &Value,
        type_of: &dyn Fn(&str) -> Option<CredentialType>,
    ) -> Result<Self, PresentationError> {
        let what = "presentation";
        let m = |why: &str| malformed(what, why);
        if !v
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|t| t.iter().any(|x| x == "VerifiablePresentation"))
        {
            return Err(m("type must include VerifiablePresentation"));
        }
        let creds = v
            .get("verifiableCredential")
            .and_then(Value::as_array)
            .filter(|a| a.len() == 1)
            .ok_or_else(|| m("verifiableCredential: exactly one derived credential"))?;
        let cred = &creds[0];
        let issuer: DidId = cred
            .get("issuer")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| m("verifiableCredential[0].issuer"))?;
        let credential_type = cred
            .get("type")
            .and_then(Value::as_array)
            .and_then(|t| t.get(1))
            .and_then(Value::as_str)
            .ok_or_else(|| m("verifiableCredential[0].type"))?
            .to_owned();
        let disclosed: BTreeMap<String, Value> = cred
            .get("credentialSubject")
            .and_then(Value::as_object)
            .filter(|o| o.len() <= ATTRIBUTES)
            .ok_or_else(|| m("credentialSubject: at most 8 attributes"))?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let proof = v.get("proof").ok_or_else(|| m("proof"))?;
        let s = |k: &str| proof.get(k).and_then(Value::as_str);
        if s("type") != Some(PROOF_TYPE) {
            return Err(m("proof.type must be VeilGroth16Presentation2026"));
        }
        let fr = |k: &'static str| {
            s(k).and_then(field::from_hex)
                .ok_or_else(|| malformed(what, format!("proof.{k}")))
        };
        let key_digest = s("verificationKey")
            .and_then(|x| x.strip_prefix("sha256:"))
            .and_then(|h| {
                let mut d = [0u8; 32];
                hex::decode_to_slice(h, &mut d).ok().map(|()| d)
            })
            .ok_or_else(|| m("proof.verificationKey: sha256:<64 hex digits>"))?;
        let proof_bytes = s("proofValue")
            .and_then(|x| crate::keys::decode_base58btc(x, 201))
            .ok_or_else(|| m("proof.proofValue"))?;
        let groth = Proof::from_bytes(&proof_bytes)
            .map_err(|_| m("proof.proofValue is not a Groth16 proof"))?;
        let scope = s("domain").ok_or_else(|| m("proof.domain"))?.to_owned();
        check_scope(&scope).map_err(|e| malformed(what, e))?;
        let predicate = match proof.get("predicate") {
            None | Some(Value::Null) => None,
            Some(p) => {
                let ty = type_of(&credential_type)
                    .ok_or_else(|| PresentationError::UnknownType(credential_type.clone()))?;
                Some(PredicateSpec::from_json(p, &ty, what)?)
            }
        };
        Ok(Self {
            issuer,
            credential_type,
            disclosed,
            predicate,
            nonce: fr("challenge")?,
            scope,
            root: fr("issuerTreeRoot")?,
            disclosure_hash: fr("disclosureHash")?,
            nullifier: fr("nullifier")?,
            key_digest,
            proof: groth,
            created: s("created").unwrap_or_default().chars().take(64).collect(),
            regulator_ciphertext: match proof.get("regulatorCiphertext") {
                None | Some(Value::Null) => None,
                Some(c) => {
                    Some(ciphertext_from_json(c).ok_or_else(|| m("proof.regulatorCiphertext"))?)
                }
            },
        })
    }
}
