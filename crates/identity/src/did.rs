//! `did:veil` identifiers and DID documents (W3C DID Core 1.0).
//!
//! # Method
//!
//! `did:veil:<id>` where `<id>` is base58btc of the first 20 bytes of
//! `SHA-256("veil/did/v1" ‖ 0x00 ‖ enc(K₀))`, `enc(K₀)` being the wire
//! encoding of the DID's initial signing key `K₀` (a type byte, `01`
//! Ed25519 or `02` secp256k1, then the key; see `docs/identity.md`):
//! the creator derives the identifier itself, no
//! registrar is involved, and a creation can only be signed by the holder
//! of `K₀`. The ledger keeps the current document and every earlier
//! version (`docs/identity.md` is the method specification).
//!
//! # Documents
//!
//! A document has up to 16 verification methods (`Multikey`, fragment ids
//! `#[a-z0-9-]{1,32}`), each with the relationships it serves
//! (`authentication`, `assertionMethod`, `keyAgreement`), up to 8 services
//! and up to 4 controller DIDs (none means the DID controls itself). It
//! renders as DID Core JSON with [`DidDocument::to_json`].

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};

use super::keys::PublicKey;
use veil_codec::{check_range, Decode, DecodeError, DecodeExt, Encode, Reader, Writer};
use veil_crypto::hash::hash256;

/// Bytes of a DID's method-specific identifier.
pub const ID_BYTES: usize = 20;
/// Most verification methods per document.
pub const MAX_METHODS: usize = 16;
/// Most services per document.
pub const MAX_SERVICES: usize = 8;
/// Most controllers per document.
pub const MAX_CONTROLLERS: usize = 4;
/// Longest fragment.
pub const MAX_FRAGMENT: usize = 32;
/// Longest service type.
pub const MAX_SERVICE_TYPE: usize = 64;
/// Longest service endpoint.
pub const MAX_ENDPOINT: usize = 256;

/// Relationship bit: `authentication` (may sign DID operations).
pub const AUTHENTICATION: u8 = 1;
/// Relationship bit: `assertionMethod` (may sign credentials and trust-list
/// entries).
pub const ASSERTION: u8 = 2;
/// Relationship bit: `keyAgreement`.
pub const KEY_AGREEMENT: u8 = 4;
const ALL_RELATIONSHIPS: u8 = AUTHENTICATION | ASSERTION | KEY_AGREEMENT;

/// The W3C contexts of a document.
pub const DID_CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
];

/// A `did:veil` identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DidId(pub [u8; ID_BYTES]);

impl DidId {
    /// The identifier a DID created with initial key `key` gets.
    pub fn derive(key: &PublicKey) -> Self {
        let h = hash256(b"veil/did/v1", &[&key.to_bytes()]);
        let mut id = [0u8; ID_BYTES];
        id.copy_from_slice(&h[..ID_BYTES]);
        Self(id)
    }

    /// The raw bytes (the key of its ledger records).
    pub fn as_bytes(&self) -> &[u8; ID_BYTES] {
        &self.0
    }

    /// A DID URL naming one of its verification methods.
    pub fn method_url(&self, fragment: &Fragment) -> String {
        format!("{self}#{fragment}")
    }
}

impl Encode for DidId {
    fn write(&self, w: &mut Writer) {
        w.bytes(&self.0);
    }
}

impl Decode for DidId {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(Self(r.array("DID")?))
    }
}

impl fmt::Display for DidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "did:veil:{}", bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for DidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidId({self})")
    }
}

/// Why a string is not a `did:veil` DID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a did:veil DID (expected did:veil:<base58btc of 20 bytes>)")]
pub struct DidParseError;

impl FromStr for DidId {
    type Err = DidParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s.strip_prefix("did:veil:").ok_or(DidParseError)?;
        if body.is_empty() || body.len() > 32 {
            return Err(DidParseError);
        }
        let mut out = [0u8; ID_BYTES];
        let n = bs58::decode(body)
            .onto(&mut out)
            .map_err(|_| DidParseError)?;
        let id = Self(out);
        // Canonical form only (no leading-zero variants).
        if n != ID_BYTES || id.to_string() != s {
            return Err(DidParseError);
        }
        Ok(id)
    }
}

fn short_ascii<'a>(
    r: &mut Reader<'a>,
    what: &'static str,
    max: usize,
) -> Result<&'a str, DecodeError> {
    let n = r.count_u8(what, 1, max)?;
    std::str::from_utf8(r.bytes(n, what)?).map_err(|_| DecodeError::Invalid {
        what,
        why: "not ASCII",
    })
}

fn write_short(w: &mut Writer, what: &'static str, s: &str, max: usize) {
    w.count_u8(what, s.len(), 1, max);
    w.bytes(s.as_bytes());
}

/// A DID URL fragment naming a method or service: `[a-z0-9-]{1,32}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fragment(String);

impl Fragment {
    /// Validates a fragment.
    pub fn new(s: &str) -> Result<Self, DecodeError> {
        check_range("fragment length", s.len(), 1, MAX_FRAGMENT)?;
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(DecodeError::Invalid {
                what: "fragment",
                why: "only a-z, 0-9 and -",
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// The fragment.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Encode for Fragment {
    fn write(&self, w: &mut Writer) {
        write_short(w, "fragment", &self.0, MAX_FRAGMENT);
    }
}

impl Decode for Fragment {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Self::new(short_ascii(r, "fragment", MAX_FRAGMENT)?)
    }
}

impl fmt::Display for Fragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A verification method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    /// Its fragment (`did:veil:…#<fragment>`).
    pub fragment: Fragment,
    /// Its key.
    pub key: PublicKey,
    /// Relationship bits ([`AUTHENTICATION`], [`ASSERTION`],
    /// [`KEY_AGREEMENT`]).
    pub relationships: u8,
}

impl Method {
    /// Whether the method serves `relationship`.
    pub fn serves(&self, relationship: u8) -> bool {
        self.relationships & relationship != 0
    }
}

impl Encode for Method {
    fn write(&self, w: &mut Writer) {
        self.fragment.write(w);
        self.key.write(w);
        w.u8(self.relationships);
    }
}

impl Decode for Method {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(Self {
            fragment: Fragment::read(r)?,
            key: PublicKey::read(r)?,
            relationships: r.u8("relationships")?,
        })
    }
}

/// A service endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Its fragment.
    pub fragment: Fragment,
    /// Its type, `[A-Za-z0-9]{1,64}` (e.g. `LinkedDomains`).
    pub kind: String,
    /// Its endpoint: a URI of printable ASCII, 1 to 256 bytes.
    pub endpoint: String,
}

impl Service {
    /// Validates a service.
    pub fn new(fragment: Fragment, kind: &str, endpoint: &str) -> Result<Self, DecodeError> {
        check_range("service type length", kind.len(), 1, MAX_SERVICE_TYPE)?;
        if !kind.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DecodeError::Invalid {
                what: "service type",
                why: "only A-Z, a-z and 0-9",
            });
        }
        check_range("service endpoint length", endpoint.len(), 1, MAX_ENDPOINT)?;
        let scheme_ok = endpoint.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        });
        if !scheme_ok || !endpoint.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DecodeError::Invalid {
                what: "service endpoint",
                why: "a URI of printable ASCII (scheme:…)",
            });
        }
        Ok(Self {
            fragment,
            kind: kind.to_owned(),
            endpoint: endpoint.to_owned(),
        })
    }
}

impl Encode for Service {
    fn write(&self, w: &mut Writer) {
        self.fragment.write(w);
        write_short(w, "service type", &self.kind, MAX_SERVICE_TYPE);
        w.bytes_u16(
            "service endpoint",
            self.endpoint.as_bytes(),
            1,
            MAX_ENDPOINT,
        );
    }
}

impl Decode for Service {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let fragment = Fragment::read(r)?;
        let kind = short_ascii(r, "service type", MAX_SERVICE_TYPE)?.to_owned();
        let endpoint = std::str::from_utf8(r.bytes_u16("service endpoint", 1, MAX_ENDPOINT)?)
            .map_err(|_| DecodeError::Invalid {
                what: "service endpoint",
                why: "not ASCII",
            })?;
        Self::new(fragment, &kind, endpoint)
    }
}

/// A DID document (without its identifier, which is the record's key).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DidDocument {
    /// Controller DIDs; empty means the DID controls itself.
    pub controllers: Vec<DidId>,
    /// Verification methods.
    pub methods: Vec<Method>,
    /// Services.
    pub services: Vec<Service>,
}

/// Why a document is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Two methods or services share a fragment.
    #[error("fragment #{0} is used twice")]
    DuplicateFragment(String),
    /// No method may authenticate (the DID could never be updated).
    #[error("a document needs at least one authentication method")]
    NoAuthentication,
    /// A relationship a key cannot serve.
    #[error("method #{0}: {1}")]
    Relationship(String, &'static str),
    /// Too many entries.
    #[error("too many {0}")]
    TooMany(&'static str),
    /// A controller listed twice.
    #[error("a controller is listed twice")]
    DuplicateController,
}

impl DidDocument {
    /// The method with `fragment`.
    pub fn method(&self, fragment: &Fragment) -> Option<&Method> {
        self.methods.iter().find(|m| &m.fragment == fragment)
    }

    /// The DIDs that may change this document (`did` itself when none are
    /// listed).
    pub fn controllers_of(&self, did: DidId) -> Vec<DidId> {
        if self.controllers.is_empty() {
            vec![did]
        } else {
            self.controllers.clone()
        }
    }

    /// Checks the document's invariants.
    pub fn validate(&self) -> Result<(), DocumentError> {
        if self.methods.len() > MAX_METHODS {
            return Err(DocumentError::TooMany("verification methods"));
        }
        if self.services.len() > MAX_SERVICES {
            return Err(DocumentError::TooMany("services"));
        }
        if self.controllers.len() > MAX_CONTROLLERS {
            return Err(DocumentError::TooMany("controllers"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in self
            .methods
            .iter()
            .map(|m| &m.fragment)
            .chain(self.services.iter().map(|s| &s.fragment))
        {
            if !seen.insert(f) {
                return Err(DocumentError::DuplicateFragment(f.0.clone()));
            }
        }
        let controllers: std::collections::BTreeSet<_> = self.controllers.iter().collect();
        if controllers.len() != self.controllers.len() {
            return Err(DocumentError::DuplicateController);
        }
        for m in &self.methods {
            let name = || m.fragment.0.clone();
            if m.relationships == 0 || m.relationships & !ALL_RELATIONSHIPS != 0 {
                return Err(DocumentError::Relationship(
                    name(),
                    "needs one or more known relationships",
                ));
            }
            if m.key.can_sign() && m.serves(KEY_AGREEMENT) {
                return Err(DocumentError::Relationship(
                    name(),
                    "a signing key cannot serve keyAgreement",
                ));
            }
            if !m.key.can_sign() && m.relationships != KEY_AGREEMENT {
                return Err(DocumentError::Relationship(
                    name(),
                    "an X25519 key serves keyAgreement only",
                ));
            }
        }
        if !self.methods.iter().any(|m| m.serves(AUTHENTICATION)) {
            return Err(DocumentError::NoAuthentication);
        }
        Ok(())
    }

    /// Reads the DID Core JSON that [`Self::to_json`] writes (as a resolver
    /// client does). Returns the DID and its document.
    pub fn from_json(v: &Value) -> Result<(DidId, Self), DecodeError> {
        let bad = |why| DecodeError::Invalid {
            what: "DID document",
            why,
        };
        let did: DidId = v
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or(bad("id"))?;
        let fragment_of = |url: &str| -> Result<Fragment, DecodeError> {
            let (d, f) = url
                .split_once('#')
                .ok_or(bad("a method id without #fragment"))?;
            if d != did.to_string() {
                return Err(bad("a method of another DID"));
            }
            Fragment::new(f)
        };
        let list = |key: &str| -> Vec<&Value> {
            v.get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().take(MAX_METHODS + 1).collect())
                .unwrap_or_default()
        };
        let refs = |key: &str| -> Result<Vec<Fragment>, DecodeError> {
            list(key)
                .into_iter()
                .map(|r| fragment_of(r.as_str().ok_or(bad("a relationship entry"))?))
                .collect()
        };
        let (auth, assert, agree) = (
            refs("authentication")?,
            refs("assertionMethod")?,
            refs("keyAgreement")?,
        );
        let mut methods = Vec::new();
        for m in list("verificationMethod") {
            let fragment = fragment_of(
                m.get("id")
                    .and_then(Value::as_str)
                    .ok_or(bad("method id"))?,
            )?;
            let key = PublicKey::from_multibase(
                m.get("publicKeyMultibase")
                    .and_then(Value::as_str)
                    .ok_or(bad("publicKeyMultibase"))?,
            )
            .map_err(|_| bad("publicKeyMultibase"))?;
            let mut relationships = 0;
            for (list, bit) in [
                (&auth, AUTHENTICATION),
                (&assert, ASSERTION),
                (&agree, KEY_AGREEMENT),
            ] {
                if list.contains(&fragment) {
                    relationships |= bit;
                }
            }
            methods.push(Method {
                fragment,
                key,
                relationships,
            });
        }
        let mut services = Vec::new();
        for s in list("service") {
            let text = |k: &str| s.get(k).and_then(Value::as_str).ok_or(bad("service"));
            services.push(Service::new(
                fragment_of(text("id")?)?,
                text("type")?,
                text("serviceEndpoint")?,
            )?);
        }
        let controllers: Vec<DidId> = match v.get("controller") {
            Some(Value::String(c)) => vec![c.parse().map_err(|_| bad("controller"))?],
            Some(Value::Array(a)) => a
                .iter()
                .take(MAX_CONTROLLERS + 1)
                .map(|c| {
                    c.as_str()
                        .and_then(|s| s.parse().ok())
                        .ok_or(bad("controller"))
                })
                .collect::<Result<_, _>>()?,
            _ => vec![],
        };
        let controllers = if controllers == [did] {
            vec![]
        } else {
            controllers
        };
        Ok((
            did,
            Self {
                controllers,
                methods,
                services,
            },
        ))
    }

    /// The DID Core JSON representation of `did`'s document.
    pub fn to_json(&self, did: DidId) -> Value {
        let id = did.to_string();
        let controllers: Vec<String> = self
            .controllers_of(did)
            .iter()
            .map(ToString::to_string)
            .collect();
        let refs = |bit: u8| -> Vec<String> {
            self.methods
                .iter()
                .filter(|m| m.serves(bit))
                .map(|m| did.method_url(&m.fragment))
                .collect()
        };
        let methods: Vec<Value> = self
            .methods
            .iter()
            .map(|m| {
                json!({
                    "id": did.method_url(&m.fragment),
                    "type": "Multikey",
                    "controller": id,
                    "publicKeyMultibase": m.key.to_multibase(),
                })
            })
            .collect();
        let services: Vec<Value> = self
            .services
            .iter()
            .map(|s| {
                json!({
                    "id": format!("{id}#{}", s.fragment),
                    "type": s.kind,
                    "serviceEndpoint": s.endpoint,
                })
            })
            .collect();
        let mut doc = json!({
            "@context": DID_CONTEXTS,
            "id": id,
            "controller": if controllers.len() == 1 { json!(controllers[0]) } else { json!(controllers) },
            "verificationMethod": methods,
            "authentication": refs(AUTHENTICATION),
            "assertionMethod": refs(ASSERTION),
        });
        let agreement = refs(KEY_AGREEMENT);
        if !agreement.is_empty() {
            doc["keyAgreement"] = json!(agreement);
        }
        if !services.is_empty() {
            doc["service"] = json!(services);
        }
        doc
    }
}

impl Encode for DidDocument {
    fn write(&self, w: &mut Writer) {
        w.count_u8(
            "controller count",
            self.controllers.len(),
            0,
            MAX_CONTROLLERS,
        );
        for c in &self.controllers {
            c.write(w);
        }
        w.count_u8("method count", self.methods.len(), 0, MAX_METHODS);
        for m in &self.methods {
            m.write(w);
        }
        w.count_u8("service count", self.services.len(), 0, MAX_SERVICES);
        for s in &self.services {
            s.write(w);
        }
    }
}

impl Decode for DidDocument {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let n = r.count_u8("controller count", 0, MAX_CONTROLLERS)?;
        let controllers = (0..n).map(|_| DidId::read(r)).collect::<Result<_, _>>()?;
        let n = r.count_u8("method count", 0, MAX_METHODS)?;
        let methods = (0..n).map(|_| Method::read(r)).collect::<Result<_, _>>()?;
        let n = r.count_u8("service count", 0, MAX_SERVICES)?;
        let services = (0..n).map(|_| Service::read(r)).collect::<Result<_, _>>()?;
        Ok(Self {
            controllers,
            methods,
            services,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;
    use rand_core::OsRng;
    use veil_codec::DecodeExt;

    #[test]
    fn did_strings_round_trip_and_refuse_junk() {
        let key = SecretKey::generate_ed25519(&mut OsRng).public();
        let did = DidId::derive(&key);
        let s = did.to_string();
        assert!(s.starts_with("did:veil:"));
        assert_eq!(s.parse::<DidId>(), Ok(did));
        for bad in [
            "did:veil:",
            "did:web:example.com",
            "did:veil:0OIl",
            "did:veil:1111111111111111111111111111111111111111",
            &format!("{s}x"),
        ] {
            assert!(bad.parse::<DidId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn documents_validate_and_round_trip() {
        let key = SecretKey::generate_ed25519(&mut OsRng).public();
        let f = |s: &str| Fragment::new(s).unwrap();
        let mut doc = DidDocument {
            controllers: vec![],
            methods: vec![Method {
                fragment: f("key-1"),
                key,
                relationships: AUTHENTICATION | ASSERTION,
            }],
            services: vec![
                Service::new(f("web"), "LinkedDomains", "https://bank.example").unwrap(),
            ],
        };
        doc.validate().unwrap();
        let bytes = doc.encode().unwrap();
        assert_eq!(DidDocument::decode(&bytes).unwrap(), doc);
        // A document with more methods than the format holds is refused by
        // the encoder, not clamped into bytes that decode to another one.
        let mut big = doc.clone();
        big.methods = (0..=MAX_METHODS)
            .map(|i| Method {
                fragment: f(&format!("key-{i}")),
                key,
                relationships: AUTHENTICATION,
            })
            .collect();
        assert!(matches!(
            big.encode(),
            Err(veil_codec::EncodeError::OutOfRange {
                what: "method count",
                ..
            })
        ));
        let did = DidId::derive(&key);
        let json = doc.to_json(did);
        assert_eq!(json["authentication"][0], format!("{did}#key-1"));
        assert_eq!(json["verificationMethod"][0]["type"], "Multikey");

        doc.methods[0].relationships = ASSERTION;
        assert_eq!(doc.validate(), Err(DocumentError::NoAuthentication));
        doc.methods[0].relationships = AUTHENTICATION | KEY_AGREEMENT;
        assert!(matches!(
            doc.validate(),
            Err(DocumentError::Relationship(..))
        ));
        doc.methods[0].relationships = AUTHENTICATION;
        doc.services[0].fragment = f("key-1");
        assert!(matches!(
            doc.validate(),
            Err(DocumentError::DuplicateFragment(_))
        ));
        assert!(Fragment::new("Key").is_err());
        assert!(Service::new(f("s"), "Linked Domains", "https://x").is_err());
        assert!(Service::new(f("s"), "Web", "no-scheme").is_err());
    }
}
