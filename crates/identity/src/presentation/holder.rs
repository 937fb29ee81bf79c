//! The holder's side: answering a request with a proof ([`Holder`]).

use std::collections::BTreeMap;

use veil_circuits::groth::{self, ProvingKey};
use veil_circuits::hook::{self, HookKey};
use veil_circuits::merkle::MerklePath;
use veil_circuits::presentation::{self as relation, Credential, Predicate, Statement, Witness};
use veil_circuits::Fr;

use crate::credential::{attribute_fields, HeldCredential};
use crate::schema::{AttributeValue, CredentialType};

use super::*;

/// Why a holder cannot answer a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentError {
    /// The request asks for something else.
    #[error("{0}")]
    Request(String),
    /// The credential lacks a requested attribute.
    #[error("the credential has no value for {0}")]
    MissingAttribute(String),
    /// The credential does not satisfy the predicate.
    #[error("the credential does not satisfy the requested predicate")]
    PredicateUnsatisfied,
    /// The credential is not in the issuer's current tree (revoked).
    #[error("the credential is not in the issuer's current tree: it was revoked")]
    Revoked,
    /// Proving failed.
    #[error("proving failed: {0}")]
    Prove(String),
}

impl PresentError {
    /// A stable short identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Request(_) => "request-mismatch",
            Self::MissingAttribute(_) => "missing-attribute",
            Self::PredicateUnsatisfied => "predicate-unsatisfied",
            Self::Revoked => "credential-revoked",
            Self::Prove(_) => "prove-failed",
        }
    }
}

/// What the holder needs to answer a request.
#[derive(Debug)]
pub struct Holder<'a> {
    /// The proving key.
    pub key: &'a ProvingKey,
    /// The holder's secret `s` (wiped on drop, redacted in `Debug`).
    pub secret: veil_crypto::secret::Secret<Fr>,
    /// The credential.
    pub credential: &'a HeldCredential,
    /// Its type.
    pub credential_type: &'a CredentialType,
    /// Its current path in the issuer's tree.
    pub path: MerklePath,
    /// The issuer tree's current root.
    pub root: Fr,
    /// The regulator hook key the accreditation names, if any (then `key`
    /// must be the hooked circuit's proving key).
    pub hook: Option<HookKey>,
}

impl Holder<'_> {
    /// Proves what `request` asks (1 s-class Groth16 proving).
    pub fn present(
        &self,
        request: &PresentationRequest,
        created: &str,
    ) -> Result<Presentation, PresentError> {
        let ty = self.credential_type;
        let c = self.credential;
        if request.credential_type != c.credential_type {
            return Err(PresentError::Request(format!(
                "the request asks for {}, this credential is a {}",
                request.credential_type, c.credential_type
            )));
        }
        if !request.issuers.is_empty() && !request.issuers.contains(&c.issuer) {
            return Err(PresentError::Request(
                "the request does not accept this issuer".into(),
            ));
        }
        let mut mask = 0u8;
        let mut disclosed = BTreeMap::new();
        for name in &request.disclose {
            let (i, _) = ty
                .attribute(name)
                .ok_or_else(|| PresentError::Request(format!("no attribute {name}")))?;
            let value = c
                .attributes
                .get(name)
                .ok_or_else(|| PresentError::MissingAttribute(name.clone()))?;
            mask |= 1 << i;
            disclosed.insert(name.clone(), value.to_json());
        }
        let predicate = match &request.predicate {
            None => Predicate::NONE,
            Some(p) => p.resolve(ty).map_err(|e| PresentError::Request(e.into()))?,
        };
        if let Some(p) = &request.predicate {
            let value = c
                .attributes
                .get(&p.attribute)
                .and_then(AttributeValue::as_u64)
                .ok_or_else(|| PresentError::MissingAttribute(p.attribute.clone()))?;
            if value < predicate.lo || value > predicate.hi {
                return Err(PresentError::PredicateUnsatisfied);
            }
        }
        let witness = Witness {
            credential: Credential {
                credential_type: ty.id(),
                secret: self.secret.clone(),
                salt: c.salt,
                attributes: attribute_fields(ty, &c.attributes),
            },
            path: self.path.clone(),
            hook: None,
        };
        if witness.credential.leaf() != c.commitment {
            return Err(PresentError::Request(
                "the credential does not belong to this holder".into(),
            ));
        }
        if self.path.root(c.commitment) != self.root {
            return Err(PresentError::Revoked);
        }
        let mut statement = Statement::for_credential(
            &witness.credential,
            &witness.path,
            mask,
            predicate,
            request.nonce,
            scope_field(&request.scope),
        );
        let mut witness = witness;
        if let Some(key) = self.hook {
            let r = hook::Randomness::random(&mut rand_core::OsRng);
            statement = statement.with_hook(key, *self.secret.expose(), &r);
            witness.hook = Some(r);
        }
        let proof = groth::prove(self.key, &statement, &witness).map_err(|e| match e {
            groth::GrothError::Unsatisfied(relation::CheckError::Predicate) => {
                PresentError::PredicateUnsatisfied
            }
            groth::GrothError::Unsatisfied(relation::CheckError::NotMember) => {
                PresentError::Revoked
            }
            other => PresentError::Prove(other.to_string()),
        })?;
        Ok(Presentation {
            issuer: c.issuer,
            credential_type: c.credential_type.clone(),
            disclosed,
            predicate: request.predicate.clone(),
            nonce: request.nonce,
            scope: request.scope.clone(),
            root: statement.root,
            disclosure_hash: statement.disclosed_hash,
            nullifier: statement.nullifier,
            key_digest: self.key.verifying_key().digest(),
            proof,
            created: created.to_owned(),
            regulator_ciphertext: statement.hook.map(|h| h.ciphertext),
        })
    }
}
