//! W3C Verifiable Credentials 2.0 envelopes with Data Integrity proofs.
//!
//! # Proofs
//!
//! Envelopes are signed per W3C *Data Integrity EdDSA Cryptosuites v1.0*,
//! cryptosuite `eddsa-jcs-2022` (§3.3): with `proofConfig` the proof object
//! without `proofValue` (carrying the document's `@context`),
//!
//! ```text
//! hashData   = SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document without proof))
//! proofValue = "z" ‖ base58btc(Ed25519.sign(hashData))
//! ```
//!
//! where JCS is the JSON Canonicalization Scheme (RFC 8785): object members
//! sorted by UTF-16 code units, no whitespace, RFC 8259 string escaping;
//! numbers in our documents are integers below 2⁵³ (larger integer
//! attributes travel as decimal strings), whose JCS form is their decimal
//! digits. secp256k1 keys sign the same `hashData` with low-`s` ECDSA under
//! the cryptosuite name `veil-es256k-jcs-2026` (no W3C cryptosuite covers
//! secp256k1 with JCS).
//!
//! `verificationMethod` is a DID URL with the DID version the signer used,
//! `did:veil:…?versionId=N#key-1`: verifiers resolve that version, so a
//! signature made before a key rotation still verifies after it
//! (historical resolution), and one made with a rotated-out key for a
//! later version does not.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::did::{DidId, Fragment, ASSERTION};
use super::keys::{PublicKey, SecretKey};
use super::state::DidRecord;

/// The VC 2.0 base context.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Veil's vocabulary (commitments, issuer trees, Groth16 presentations;
/// documented in `docs/credentials.md`, not dereferenced).
pub const VEIL_CONTEXT: &str = "https://w3id.org/veil/credentials/v1";

/// Why an envelope does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VcError {
    /// A required member is missing or has the wrong shape.
    #[error("malformed envelope: {0}")]
    Malformed(&'static str),
    /// The verification method's DID version does not resolve.
    #[error("{0} does not resolve at that version")]
    Unresolvable(String),
    /// The key cannot make assertions.
    #[error("the verification method is not an assertionMethod of that DID version")]
    NotAssertion,
    /// The signature does not verify.
    #[error("the proof's signature does not verify")]
    Signature,
}

/// The JCS (RFC 8785) form of `v`, by `serde_json_canonicalizer`: members
/// sorted by UTF-16 code units, RFC 8785 string escaping, and numbers in
/// ECMAScript's shortest form (so `1.0` is `1` and `1e21` is `1e+21`).
/// For the documents Veil signs (strings and integers below 2⁵³) this is
/// the same text the hand-written canonicaliser of earlier versions
/// produced, so their signatures still verify.
pub fn canonical(v: &Value) -> String {
    // Serialising a `Value` cannot fail (its keys are strings); an error
    // would be a bug in the canonicaliser, and yields a text no signature
    // verifies against.
    serde_json_canonicalizer::to_string(v).unwrap_or_default()
}

fn cryptosuite(key: &PublicKey) -> &'static str {
    match key {
        PublicKey::Secp256k1(_) => "veil-es256k-jcs-2026",
        _ => "eddsa-jcs-2022",
    }
}

fn hash_data(config: &Value, document: &Value) -> Vec<u8> {
    [
        Sha256::digest(canonical(config).as_bytes()),
        Sha256::digest(canonical(document).as_bytes()),
    ]
    .concat()
}

/// A signer: a DID at a version, one of its methods, and the key.
#[derive(Debug)]
pub struct Signer<'a> {
    /// The DID.
    pub did: DidId,
    /// The DID version the key belongs to.
    pub version: u64,
    /// The method.
    pub method: &'a Fragment,
    /// The key.
    pub key: &'a SecretKey,
}

/// Adds a Data Integrity proof (`proofPurpose: assertionMethod`) to
/// `document`, created at `created` (an RFC 3339 time).
pub fn sign(document: &mut Value, signer: &Signer<'_>, created: &str) {
    if let Some(m) = document.as_object_mut() {
        m.remove("proof");
    }
    let mut config = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite(&signer.key.public()),
        "created": created,
        "verificationMethod": format!("{}?versionId={}#{}", signer.did, signer.version, signer.method),
        "proofPurpose": "assertionMethod",
    });
    if let Some(ctx) = document.get("@context") {
        config["@context"] = ctx.clone();
    }
    let signature = signer.key.sign(&hash_data(&config, document));
    if let Some(m) = config.as_object_mut() {
        m.remove("@context");
    }
    config["proofValue"] = json!(crate::keys::encode_base58btc(&signature));
    document["proof"] = config;
}

/// Parses `did:veil:…?versionId=N#fragment`.
pub fn parse_method_url(url: &str) -> Option<(DidId, u64, Fragment)> {
    let (did_part, fragment) = url.split_once('#')?;
    let (did, query) = did_part.split_once("?versionId=")?;
    Some((
        did.parse().ok()?,
        query.parse().ok()?,
        Fragment::new(fragment).ok()?,
    ))
}

/// Verifies `document`'s proof, resolving the signer's DID at the version
/// its `verificationMethod` names. Returns the signer's DID and version.
pub fn verify(
    document: &Value,
    resolve: &dyn Fn(&DidId, u64) -> Option<DidRecord>,
) -> Result<(DidId, u64), VcError> {
    let proof = document
        .get("proof")
        .and_then(Value::as_object)
        .ok_or(VcError::Malformed("proof"))?;
    let value = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .and_then(|s| crate::keys::decode_base58btc(s, 101))
        .ok_or(VcError::Malformed("proofValue"))?;
    let signature: [u8; 64] = value
        .try_into()
        .map_err(|_| VcError::Malformed("proofValue"))?;
    let url = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or(VcError::Malformed("verificationMethod"))?;
    let (did, version, fragment) =
        parse_method_url(url).ok_or(VcError::Malformed("verificationMethod"))?;
    if proof.get("proofPurpose").and_then(Value::as_str) != Some("assertionMethod") {
        return Err(VcError::Malformed("proofPurpose"));
    }
    let record = resolve(&did, version).ok_or_else(|| VcError::Unresolvable(url.to_owned()))?;
    let method = record
        .document
        .method(&fragment)
        .filter(|m| m.serves(ASSERTION))
        .ok_or(VcError::NotAssertion)?;
    let suite = proof.get("cryptosuite").and_then(Value::as_str);
    if suite != Some(cryptosuite(&method.key)) {
        return Err(VcError::Malformed("cryptosuite"));
    }
    let mut config: Map<String, Value> = proof.clone();
    config.remove("proofValue");
    let mut config = Value::Object(config);
    if let Some(ctx) = document.get("@context") {
        config["@context"] = ctx.clone();
    }
    let mut unsigned = document.clone();
    if let Some(m) = unsigned.as_object_mut() {
        m.remove("proof");
    }
    method
        .key
        .verify(&hash_data(&config, &unsigned), &signature)
        .map_err(|_| VcError::Signature)?;
    Ok((did, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8785 §3.2.2 ordering and escaping on a small sample.
    #[test]
    fn jcs_orders_members_and_escapes() {
        let v =
            json!({"b": [1, "\u{7f}\n"], "a": {"z": null, "\u{20ac}": true, "\r": false}, "A": 0});
        assert_eq!(
            canonical(&v),
            "{\"A\":0,\"a\":{\"\\r\":false,\"z\":null,\"\u{20ac}\":true},\"b\":[1,\"\u{7f}\\n\"]}"
        );
    }

    /// The canonicaliser of earlier versions (integers, strings), kept to
    /// show the crate gives the same text for such documents, so
    /// signatures made before still verify.
    fn legacy_canonical(v: &Value, out: &mut String) {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => out.push_str(&serde_json::to_string(s).unwrap()),
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    legacy_canonical(x, out);
                }
                out.push(']');
            }
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(':');
                    legacy_canonical(&m[k.as_str()], out);
                }
                out.push('}');
            }
        }
    }

    #[test]
    fn integer_and_string_documents_canonicalise_as_before() {
        let docs = [
            json!({"@context": [VC_CONTEXT, VEIL_CONTEXT], "type": ["VerifiableCredential", "KycCredential"],
                   "credentialSubject": {"birth_date": "1990-04-01", "level": 1, "n": 9_007_199_254_740_991u64,
                   "given_name": "\u{674e}", "emoji": "\u{1F600}", "ctl": "\u{1}\u{1f}\t\"\\/"},
                   "validFrom": "2026-01-01T00:00:00Z", "neg": -42, "t": true, "f": false, "z": null}),
            json!({"\u{10000}": 1, "\u{FFFF}": 2, "a": [[], {}, [1, [2]]]}),
        ];
        for d in docs {
            let mut old = String::new();
            legacy_canonical(&d, &mut old);
            assert_eq!(canonical(&d), old);
        }
    }

    /// RFC 8785 §3.2.2.3 number forms, which serde_json's own formatting
    /// does not follow.
    #[test]
    fn jcs_numbers_are_ecmascript() {
        let v: Value =
            serde_json::from_str("[333333333.33333329, 1E30, 4.50, 2e-3, 0.000001, 1e21, 1.0, -0]")
                .unwrap();
        assert_eq!(
            canonical(&v),
            "[333333333.3333333,1e+30,4.5,0.002,0.000001,1e+21,1,0]"
        );
    }

    #[test]
    fn method_urls_parse() {
        let key = SecretKey::generate_ed25519(&mut rand_core::OsRng).public();
        let did = DidId::derive(&key);
        let url = format!("{did}?versionId=3#key-1");
        let (d, v, f) = parse_method_url(&url).unwrap();
        assert_eq!((d, v, f.as_str()), (did, 3, "key-1"));
        assert!(parse_method_url(&format!("{did}#key-1")).is_none());
    }
}
