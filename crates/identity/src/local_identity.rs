//! The identity keystore of a DID controller, issuer or holder: kind
//! `identity`, encrypted like wallets (Argon2id + XChaCha20-Poly1305, see
//! [`veil_keystore`]).
//!
//! It holds the DID, the secret keys of its verification methods (by
//! fragment), the holder secret `s` whose commitment `Poseidon(s)` issuers
//! put in credentials, and the credentials the holder received (their
//! envelopes, which contain the attributes in clear: they are as private
//! as the keys).

use std::path::Path;

use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use veil_circuits::field;
use veil_circuits::presentation::holder_commitment;
use veil_circuits::Fr;

use super::did::{DidDocument, DidId, Fragment, Method, ASSERTION, AUTHENTICATION};
use super::keys::SecretKey;
use super::tx::DidTx;
use veil_crypto::secret::Secret;
use veil_keystore::SecretHex;
use veil_keystore::{self as keystore, KdfParams, KeystoreError};

/// The keystore kind.
pub const KIND: &str = "identity";

#[derive(Serialize, Deserialize)]
struct KeyEntry {
    fragment: String,
    #[serde(rename = "type")]
    kind: String,
    secret: SecretHex,
}

#[derive(Serialize, Deserialize)]
struct FileBody {
    did: String,
    label: String,
    keys: Vec<KeyEntry>,
    holder_secret: SecretHex,
    #[serde(default)]
    credentials: Vec<Value>,
    /// X25519 key-agreement secrets (by fragment).
    #[serde(default)]
    agreement_keys: Vec<KeyEntry>,
}

/// An opened identity keystore.
pub struct Identity {
    /// The DID.
    pub did: DidId,
    /// A label for humans.
    pub label: String,
    /// Secret keys by fragment.
    pub keys: Vec<(Fragment, SecretKey)>,
    /// X25519 key-agreement secrets by fragment (RFC 7748 scalars; the
    /// evidence vault wraps documents to their public keys).
    pub agreement_keys: Vec<(Fragment, Secret<[u8; 32]>)>,
    holder_secret: Secret<[u8; 32]>,
    /// Credential envelopes held.
    pub credentials: Vec<Value>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("did", &self.did)
            .field("label", &self.label)
            .field("keys", &self.keys.len())
            .field("agreement_keys", &self.agreement_keys.len())
            .field("credentials", &self.credentials.len())
            .finish_non_exhaustive()
    }
}

fn bad(what: &'static str) -> KeystoreError {
    KeystoreError::Payload(what)
}

/// Which kind of key to create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// Ed25519.
    Ed25519,
    /// secp256k1.
    Secp256k1,
}

impl KeyType {
    /// A fresh key of this type.
    pub fn generate<R: RngCore + CryptoRng>(self, rng: &mut R) -> SecretKey {
        match self {
            Self::Ed25519 => SecretKey::generate_ed25519(rng),
            Self::Secp256k1 => SecretKey::generate_secp256k1(rng),
        }
    }
}

impl Identity {
    /// A new identity with one key `#key-1` (authentication and assertion)
    /// and the transaction that creates its DID.
    pub fn create<R: RngCore + CryptoRng>(
        label: &str,
        key_type: KeyType,
        rng: &mut R,
    ) -> (Self, DidTx) {
        let key = key_type.generate(rng);
        let fragment = Fragment::new("key-1").unwrap_or_else(|_| unreachable!("valid fragment"));
        let doc = DidDocument {
            controllers: vec![],
            methods: vec![Method {
                fragment: fragment.clone(),
                key: key.public(),
                relationships: AUTHENTICATION | ASSERTION,
            }],
            services: vec![],
        };
        let tx = DidTx::create(doc, &key)
            .unwrap_or_else(|_| unreachable!("document has a first method"));
        let mut secret = Secret::new([0u8; 32]);
        let mut seed = Secret::new([0u8; 32]);
        rng.fill_bytes(seed.expose_mut());
        secret
            .expose_mut()
            .copy_from_slice(&field::to_bytes(&field::hash_to_field(
                b"veil/holder-secret/v1",
                seed.expose(),
            )));
        (
            Self {
                did: tx.did,
                label: label.to_owned(),
                keys: vec![(fragment, key)],
                agreement_keys: Vec::new(),
                holder_secret: secret,
                credentials: Vec::new(),
            },
            tx,
        )
    }

    /// The holder secret `s`.
    pub fn holder_secret(&self) -> Secret<Fr> {
        Secret::new(
            field::from_bytes(self.holder_secret.expose()).unwrap_or_else(|| Fr::from(0u64)),
        )
    }

    /// `Poseidon(s)`, what issuers put in credentials.
    pub fn holder_commitment(&self) -> Fr {
        holder_commitment(*self.holder_secret().expose())
    }

    /// The secret key of `fragment`.
    pub fn key(&self, fragment: &Fragment) -> Option<&SecretKey> {
        self.keys
            .iter()
            .find(|(f, _)| f == fragment)
            .map(|(_, k)| k)
    }

    /// The X25519 secret of the key-agreement method `fragment`.
    pub fn agreement_key(&self, fragment: &Fragment) -> Option<&Secret<[u8; 32]>> {
        self.agreement_keys
            .iter()
            .find(|(f, _)| f == fragment)
            .map(|(_, k)| k)
    }

    /// A fresh X25519 key-agreement secret and its public key (RFC 7748
    /// clamping is applied when it is used).
    pub fn generate_agreement_key<R: RngCore + CryptoRng>(
        rng: &mut R,
    ) -> (Secret<[u8; 32]>, super::keys::PublicKey) {
        let mut secret = Secret::new([0u8; 32]);
        rng.fill_bytes(secret.expose_mut());
        let public =
            x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret.expose()));
        (secret, super::keys::PublicKey::X25519(public.to_bytes()))
    }

    /// The first key (the usual signer).
    pub fn first_key(&self) -> Option<(&Fragment, &SecretKey)> {
        self.keys.first().map(|(f, k)| (f, k))
    }

    /// Writes the keystore.
    pub fn save(&self, path: &Path, passphrase: &str, kdf: KdfParams) -> Result<(), KeystoreError> {
        let body = FileBody {
            did: self.did.to_string(),
            label: self.label.clone(),
            keys: self
                .keys
                .iter()
                .map(|(f, k)| {
                    let b = k.to_bytes();
                    KeyEntry {
                        fragment: f.to_string(),
                        kind: if matches!(k, SecretKey::Ed25519(_)) {
                            "ed25519"
                        } else {
                            "secp256k1"
                        }
                        .into(),
                        secret: SecretHex::new(&b.expose()[1..]),
                    }
                })
                .collect(),
            holder_secret: SecretHex::new(self.holder_secret.expose()),
            credentials: self.credentials.clone(),
            agreement_keys: self
                .agreement_keys
                .iter()
                .map(|(f, k)| KeyEntry {
                    fragment: f.to_string(),
                    kind: "x25519".into(),
                    secret: SecretHex::new(k.expose()),
                })
                .collect(),
        };
        let plain = Secret::new(serde_json::to_vec(&body).map_err(|_| bad("identity file"))?);
        keystore::save(path, KIND, plain.expose(), passphrase, kdf)
    }

    /// Opens a keystore.
    pub fn load(path: &Path, passphrase: &str) -> Result<Self, KeystoreError> {
        let plain = keystore::load(path, KIND, passphrase)?;
        let body: FileBody =
            serde_json::from_slice(plain.expose()).map_err(|_| bad("identity file"))?;
        let keys = body
            .keys
            .iter()
            .map(|e| {
                let mut raw = Secret::new([0u8; 33]);
                raw.expose_mut()[0] = match e.kind.as_str() {
                    "ed25519" => 1,
                    "secp256k1" => 2,
                    _ => return Err(bad("key type")),
                };
                raw.expose_mut()[1..].copy_from_slice(
                    Secret::new(e.secret.bytes32().ok_or_else(|| bad("key"))?).expose(),
                );
                let key = SecretKey::from_bytes(raw.expose()).map_err(|_| bad("key"))?;
                Ok((
                    Fragment::new(&e.fragment).map_err(|_| bad("fragment"))?,
                    key,
                ))
            })
            .collect::<Result<_, KeystoreError>>()?;
        let agreement_keys = body
            .agreement_keys
            .iter()
            .map(|e| {
                if e.kind != "x25519" {
                    return Err(bad("agreement key type"));
                }
                Ok((
                    Fragment::new(&e.fragment).map_err(|_| bad("fragment"))?,
                    Secret::new(e.secret.bytes32().ok_or_else(|| bad("agreement key"))?),
                ))
            })
            .collect::<Result<_, KeystoreError>>()?;
        Ok(Self {
            agreement_keys,
            did: body.did.parse().map_err(|_| bad("did"))?,
            label: body.label.clone(),
            keys,
            holder_secret: Secret::new(
                body.holder_secret
                    .bytes32()
                    .ok_or_else(|| bad("holder secret"))?,
            ),
            credentials: body.credentials.clone(),
        })
    }
}
