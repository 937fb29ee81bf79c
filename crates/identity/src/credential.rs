//! Issuing credentials: commitments for the ledger, VC 2.0 envelopes for
//! the holder.
//!
//! The issuer receives the holder's commitment `h = Poseidon(s)` (never the
//! secret `s`), draws a salt `ρ`, and computes the leaf
//! `ℓ = Poseidon(τ, h, ρ, a₀ … a₇)` ([`veil_circuits::presentation`]). It
//! appends `ℓ` to its tree with a signed credential operation, then hands
//! the holder the envelope: the attributes in clear, `h`, `ρ`, `ℓ`, the
//! leaf index, signed with an `assertionMethod` key ([`super::vc`]). The
//! holder checks the envelope against its own secret and against the
//! ledger before storing it.

use std::collections::BTreeMap;

use rand_core::{CryptoRng, RngCore};
use serde_json::{json, Value};
use veil_circuits::field;
use veil_circuits::presentation::{self, ATTRIBUTES};
use veil_circuits::Fr;

use super::did::DidId;
use super::schema::{AttributeValue, CredentialType, ValueError};
use super::vc::{self, VC_CONTEXT, VEIL_CONTEXT};

/// Why a credential cannot be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// An attribute the type does not have.
    #[error("{credential_type} has no attribute {attribute}")]
    UnknownAttribute {
        /// The type.
        credential_type: String,
        /// The attribute.
        attribute: String,
    },
    /// A value of the wrong kind.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// The envelope is not one of ours.
    #[error("malformed credential: {0}")]
    Malformed(&'static str),
    /// The envelope's commitment does not open to its contents.
    #[error("the credential's commitment does not match its attributes, salt and holder")]
    Commitment,
}

/// A credential as its holder keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldCredential {
    /// The issuer.
    pub issuer: DidId,
    /// The type.
    pub credential_type: String,
    /// Attribute values by name.
    pub attributes: BTreeMap<String, AttributeValue>,
    /// The holder commitment `h`.
    pub holder_commitment: Fr,
    /// The salt `ρ`.
    pub salt: Fr,
    /// The leaf `ℓ`.
    pub commitment: Fr,
    /// Its index in the issuer's tree.
    pub leaf_index: u32,
    /// The signed envelope.
    pub envelope: Value,
}

/// Parses attribute values against `ty`.
pub fn parse_attributes(
    ty: &CredentialType,
    values: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, AttributeValue>, CredentialError> {
    values
        .iter()
        .map(|(name, v)| {
            let (_, kind) =
                ty.attribute(name)
                    .ok_or_else(|| CredentialError::UnknownAttribute {
                        credential_type: ty.name.clone(),
                        attribute: name.clone(),
                    })?;
            Ok((name.clone(), AttributeValue::from_json(name, kind, v)?))
        })
        .collect()
}

/// The attributes as the circuit's eight field elements (0 where absent).
pub fn attribute_fields(
    ty: &CredentialType,
    attributes: &BTreeMap<String, AttributeValue>,
) -> [Fr; ATTRIBUTES] {
    let mut out = [Fr::from(0u64); ATTRIBUTES];
    for (i, a) in ty.attributes.iter().enumerate() {
        if let Some(v) = attributes.get(&a.name) {
            out[i] = v.to_field();
        }
    }
    out
}

/// A fresh salt.
pub fn random_salt<R: RngCore + CryptoRng>(rng: &mut R) -> Fr {
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    field::hash_to_field(b"veil/salt/v1", &b)
}

/// The leaf for these contents.
pub fn commitment(
    ty: &CredentialType,
    attributes: &BTreeMap<String, AttributeValue>,
    holder_commitment: Fr,
    salt: Fr,
) -> Fr {
    presentation::leaf(
        ty.id(),
        holder_commitment,
        salt,
        &attribute_fields(ty, attributes),
    )
}

/// Builds and signs the envelope of an issued credential.
#[allow(clippy::too_many_arguments)]
pub fn envelope(
    signer: &vc::Signer<'_>,
    ty: &CredentialType,
    attributes: &BTreeMap<String, AttributeValue>,
    holder_commitment: Fr,
    salt: Fr,
    leaf_index: u32,
    valid_from: &str,
) -> Value {
    let leaf = commitment(ty, attributes, holder_commitment, salt);
    let subject: serde_json::Map<String, Value> = attributes
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    let mut doc = json!({
        "@context": [VC_CONTEXT, VEIL_CONTEXT],
        "id": format!("urn:veil:credential:{}", field::to_hex(&leaf)),
        "type": ["VerifiableCredential", ty.name],
        "issuer": signer.did.to_string(),
        "validFrom": valid_from,
        "credentialSubject": subject,
        "credentialStatus": {
            "id": format!("urn:veil:issuer-tree:{}:{leaf_index}", signer.did),
            "type": "VeilIssuerTree2026",
            "leafIndex": leaf_index,
        },
        "credentialCommitment": {
            "holderCommitment": field::to_hex(&holder_commitment),
            "salt": field::to_hex(&salt),
            "leaf": field::to_hex(&leaf),
        },
    });
    vc::sign(&mut doc, signer, valid_from);
    doc
}

fn hex_field(v: &Value, what: &'static str) -> Result<Fr, CredentialError> {
    v.as_str()
        .and_then(field::from_hex)
        .ok_or(CredentialError::Malformed(what))
}

/// Reads an envelope (without checking its signature, see [`vc::verify`])
/// and checks that its commitment opens to its contents.
pub fn read_envelope(
    envelope: &Value,
    type_of: &dyn Fn(&str) -> Option<CredentialType>,
) -> Result<HeldCredential, CredentialError> {
    let issuer: DidId = envelope
        .get("issuer")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or(CredentialError::Malformed("issuer"))?;
    let type_name = envelope
        .get("type")
        .and_then(Value::as_array)
        .and_then(|a| a.get(1))
        .and_then(Value::as_str)
        .ok_or(CredentialError::Malformed("type"))?;
    let ty = type_of(type_name).ok_or(CredentialError::Malformed("unknown credential type"))?;
    let subject: BTreeMap<String, Value> = envelope
        .get("credentialSubject")
        .and_then(Value::as_object)
        .ok_or(CredentialError::Malformed("credentialSubject"))?
        .iter()
        .filter(|(k, _)| k.as_str() != "id")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let attributes = parse_attributes(&ty, &subject)?;
    let c = envelope
        .get("credentialCommitment")
        .ok_or(CredentialError::Malformed("credentialCommitment"))?;
    let holder_commitment = hex_field(&c["holderCommitment"], "holderCommitment")?;
    let salt = hex_field(&c["salt"], "salt")?;
    let leaf = hex_field(&c["leaf"], "leaf")?;
    let leaf_index = envelope["credentialStatus"]["leafIndex"]
        .as_u64()
        .and_then(|i| u32::try_from(i).ok())
        .ok_or(CredentialError::Malformed("credentialStatus.leafIndex"))?;
    if commitment(&ty, &attributes, holder_commitment, salt) != leaf {
        return Err(CredentialError::Commitment);
    }
    Ok(HeldCredential {
        issuer,
        credential_type: ty.name.clone(),
        attributes,
        holder_commitment,
        salt,
        commitment: leaf,
        leaf_index,
        envelope: envelope.clone(),
    })
}
