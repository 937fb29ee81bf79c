//! Identity transactions: DID operations, trust-list operations of the root
//! authority, and issuers' credential operations.
//!
//! # Wire layouts (after the version and kind bytes)
//!
//! ```text
//! DID operation (kind 5)
//!   did            20
//!   prev_version   u64   0 to create; otherwise the version being replaced
//!   op             u8    1 create ‖ document
//!                        2 update ‖ n u8 (1..=16) ‖ n × change
//!                        3 rotate ‖ fragment ‖ public key
//!                        4 deactivate
//!   signer         20    the controller DID whose key signs
//!   method         u8 len ‖ fragment
//!   ---- signing hash covers every byte above ----
//!   signature      64    Ed25519, or secp256k1 ECDSA r ‖ s (low s)
//!
//! Trust-list operation (kind 6), signed by the root authority
//!   authority      20
//!   sequence       u64   1 + the authority's previous trust operation
//!   op             u8    1 define type ‖ credential type
//!                        2 accredit ‖ issuer 20 ‖ type name
//!                        3 revoke accreditation ‖ issuer 20 ‖ type name
//!   method         fragment
//!   signature      64
//!
//! Credential operation (kind 7), signed by the issuer
//!   issuer         20
//!   sequence       u64   1 + the issuer's previous credential operation
//!   op             u8    1 issue ‖ type name ‖ n u16 (1..=1024) ‖ n × commitment 32 (canonical BN254 scalar, big-endian, ≠ 0)
//!                        2 revoke ‖ n u16 (1..=1024) ‖ n × leaf index u32, strictly increasing
//!   method         fragment
//!   signature      64
//! ```
//!
//! The signing hash is `SHA-256("veil/identity-tx/v1" ‖ 0x00 ‖ kind ‖
//! body)`. Sequences and versions make every operation single-use: a
//! replayed or stale operation names a sequence or version that has passed.
//! Signatures are checked against ledger state (the signer's DID document),
//! so they are verified in the stateful pass ([`super::state`]).

use veil_circuits::field;
use veil_circuits::Fr;

use super::did::{DidDocument, DidId, Fragment, Method, Service, MAX_CONTROLLERS};
use super::keys::{PublicKey, SecretKey};
use super::schema::{check_type_name, CredentialType, MAX_TYPE_NAME};
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer};
use veil_crypto::hash::hash256;

/// Transaction kind byte of a DID operation.
pub const KIND_DID: u8 = 5;
/// Transaction kind byte of a trust-list operation.
pub const KIND_TRUST: u8 = 6;
/// Transaction kind byte of a credential operation.
pub const KIND_CREDENTIAL: u8 = 7;
/// Most changes in one DID update.
pub const MAX_CHANGES: usize = 16;
/// Most commitments issued, or leaves revoked, in one operation.
pub const MAX_BATCH: usize = 1024;

/// One change of a DID update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Add a verification method.
    AddMethod(Method),
    /// Remove a verification method.
    RemoveMethod(Fragment),
    /// Set the relationships of a method.
    SetRelationships(Fragment, u8),
    /// Add a service.
    AddService(Service),
    /// Remove a service.
    RemoveService(Fragment),
    /// Replace the controller list (empty: the DID controls itself).
    SetControllers(Vec<DidId>),
}

impl Encode for Change {
    fn write(&self, w: &mut Writer) {
        match self {
            Self::AddMethod(m) => {
                w.u8(1);
                m.write(w);
            }
            Self::RemoveMethod(f) => {
                w.u8(2);
                f.write(w);
            }
            Self::SetRelationships(f, r) => {
                w.u8(3);
                f.write(w);
                w.u8(*r);
            }
            Self::AddService(s) => {
                w.u8(4);
                s.write(w);
            }
            Self::RemoveService(f) => {
                w.u8(5);
                f.write(w);
            }
            Self::SetControllers(c) => {
                w.u8(6);
                w.count_u8("controller count", c.len(), 0, MAX_CONTROLLERS);
                for d in c {
                    d.write(w);
                }
            }
        }
    }
}

impl Decode for Change {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(match r.u8("change")? {
            1 => Self::AddMethod(Method::read(r)?),
            2 => Self::RemoveMethod(Fragment::read(r)?),
            3 => Self::SetRelationships(Fragment::read(r)?, r.u8("relationships")?),
            4 => Self::AddService(Service::read(r)?),
            5 => Self::RemoveService(Fragment::read(r)?),
            6 => {
                let n = r.count_u8("controller count", 0, MAX_CONTROLLERS)?;
                Self::SetControllers((0..n).map(|_| DidId::read(r)).collect::<Result<_, _>>()?)
            }
            _ => {
                return Err(DecodeError::Invalid {
                    what: "change",
                    why: "unknown change type",
                })
            }
        })
    }
}

/// A DID operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DidOp {
    /// Create the DID with this document.
    Create(DidDocument),
    /// Apply these changes.
    Update(Vec<Change>),
    /// Replace the key of a method (same fragment and relationships).
    Rotate {
        /// The method.
        method: Fragment,
        /// Its new key.
        key: PublicKey,
    },
    /// Deactivate the DID (final).
    Deactivate,
}

impl DidOp {
    /// The operation's name, as the API reports it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create(_) => "create",
            Self::Update(_) => "update",
            Self::Rotate { .. } => "rotate",
            Self::Deactivate => "deactivate",
        }
    }
}

/// A signed DID operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidTx {
    /// The DID.
    pub did: DidId,
    /// The version this operation replaces (0 for a creation).
    pub prev_version: u64,
    /// What it does.
    pub op: DidOp,
    /// The controller DID that signs (the DID itself unless its document
    /// names other controllers).
    pub signer: DidId,
    /// The signing method of `signer`.
    pub method: Fragment,
    /// The signature.
    pub signature: [u8; 64],
}

/// Why [`DidTx::create`] cannot build a creation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// The document has no method to sign with.
    #[error("the document needs a first (initial) method")]
    NoInitialMethod,
    /// A field does not fit its encoding.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

fn signing_hash(kind: u8, body: &[u8]) -> [u8; 32] {
    hash256(b"veil/identity-tx/v1", &[&[kind], body])
}

impl DidTx {
    fn encode_body(&self, w: &mut Writer) {
        self.did.write(w);
        w.u64(self.prev_version);
        match &self.op {
            DidOp::Create(doc) => {
                w.u8(1);
                doc.write(w);
            }
            DidOp::Update(changes) => {
                w.u8(2);
                w.count_u8("change count", changes.len(), 1, MAX_CHANGES);
                for c in changes {
                    c.write(w);
                }
            }
            DidOp::Rotate { method, key } => {
                w.u8(3);
                method.write(w);
                key.write(w);
            }
            DidOp::Deactivate => w.u8(4),
        }
        self.signer.write(w);
        self.method.write(w);
    }

    /// What the signature covers; fails if a field does not fit its
    /// encoding.
    pub fn signing_hash(&self) -> Result<[u8; 32], EncodeError> {
        let mut w = Writer::new();
        self.encode_body(&mut w);
        Ok(signing_hash(KIND_DID, &w.finish()?))
    }

    /// Builds and signs an operation.
    pub fn signed(
        did: DidId,
        prev_version: u64,
        op: DidOp,
        signer: DidId,
        method: Fragment,
        key: &SecretKey,
    ) -> Result<Self, EncodeError> {
        let mut tx = Self {
            did,
            prev_version,
            op,
            signer,
            method,
            signature: [0; 64],
        };
        tx.signature = key.sign(&tx.signing_hash()?);
        Ok(tx)
    }

    /// A creation signed by the initial key (the document's first method).
    pub fn create(document: DidDocument, key: &SecretKey) -> Result<Self, CreateError> {
        let first = document
            .methods
            .first()
            .ok_or(CreateError::NoInitialMethod)?;
        let did = DidId::derive(&first.key);
        let method = first.fragment.clone();
        Ok(Self::signed(
            did,
            0,
            DidOp::Create(document),
            did,
            method,
            key,
        )?)
    }
}

impl Encode for DidTx {
    fn write(&self, w: &mut Writer) {
        self.encode_body(w);
        w.bytes(&self.signature);
    }
}

impl Decode for DidTx {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let did = DidId::read(r)?;
        let prev_version = r.u64("previous version")?;
        let op = match r.u8("DID operation")? {
            1 => DidOp::Create(DidDocument::read(r)?),
            2 => {
                let n = r.count_u8("change count", 1, MAX_CHANGES)?;
                DidOp::Update((0..n).map(|_| Change::read(r)).collect::<Result<_, _>>()?)
            }
            3 => DidOp::Rotate {
                method: Fragment::read(r)?,
                key: PublicKey::read(r)?,
            },
            4 => DidOp::Deactivate,
            _ => {
                return Err(DecodeError::Invalid {
                    what: "DID operation",
                    why: "unknown",
                })
            }
        };
        Ok(Self {
            did,
            prev_version,
            op,
            signer: DidId::read(r)?,
            method: Fragment::read(r)?,
            signature: r.array("signature")?,
        })
    }
}

/// A trust-list operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustOp {
    /// Register a credential type.
    DefineType(CredentialType),
    /// Accredit an issuer for a type.
    Accredit {
        /// The issuer.
        issuer: DidId,
        /// The type's name.
        credential_type: String,
    },
    /// Accredit an issuer for a type with the regulator hook: every
    /// presentation of these credentials carries the holder commitment
    /// encrypted to `regulator_key` (a compressed Baby Jubjub point).
    AccreditWithHook {
        /// The issuer.
        issuer: DidId,
        /// The type's name.
        credential_type: String,
        /// The regulator's hook key `Y`.
        regulator_key: [u8; 32],
    },
    /// Withdraw an accreditation.
    Revoke {
        /// The issuer.
        issuer: DidId,
        /// The type's name.
        credential_type: String,
    },
}

/// A signed trust-list operation of the root authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustTx {
    /// The root authority's DID.
    pub authority: DidId,
    /// 1 + its previous trust operation's sequence.
    pub sequence: u64,
    /// What it does.
    pub op: TrustOp,
    /// The signing method (an `assertionMethod` of the authority).
    pub method: Fragment,
    /// The signature.
    pub signature: [u8; 64],
}

fn write_name(w: &mut Writer, name: &str) {
    w.count_u8("credential type name", name.len(), 1, MAX_TYPE_NAME);
    w.bytes(name.as_bytes());
}

fn read_type_name(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let n = r.count_u8("credential type name", 1, MAX_TYPE_NAME)?;
    let name = std::str::from_utf8(r.bytes(n, "credential type name")?).map_err(|_| {
        DecodeError::Invalid {
            what: "credential type name",
            why: "not ASCII",
        }
    })?;
    check_type_name(name)?;
    Ok(name.to_owned())
}

impl TrustTx {
    fn encode_body(&self, w: &mut Writer) {
        self.authority.write(w);
        w.u64(self.sequence);
        match &self.op {
            TrustOp::DefineType(t) => {
                w.u8(1);
                t.write(w);
            }
            TrustOp::Accredit {
                issuer,
                credential_type,
            } => {
                w.u8(2);
                issuer.write(w);
                write_name(w, credential_type);
            }
            TrustOp::Revoke {
                issuer,
                credential_type,
            } => {
                w.u8(3);
                issuer.write(w);
                write_name(w, credential_type);
            }
            TrustOp::AccreditWithHook {
                issuer,
                credential_type,
                regulator_key,
            } => {
                w.u8(4);
                issuer.write(w);
                write_name(w, credential_type);
                w.bytes(regulator_key);
            }
        }
        self.method.write(w);
    }

    /// What the signature covers; fails if a field does not fit its
    /// encoding.
    pub fn signing_hash(&self) -> Result<[u8; 32], EncodeError> {
        let mut w = Writer::new();
        self.encode_body(&mut w);
        Ok(signing_hash(KIND_TRUST, &w.finish()?))
    }

    /// Builds and signs an operation.
    pub fn signed(
        authority: DidId,
        sequence: u64,
        op: TrustOp,
        method: Fragment,
        key: &SecretKey,
    ) -> Result<Self, EncodeError> {
        let mut tx = Self {
            authority,
            sequence,
            op,
            method,
            signature: [0; 64],
        };
        tx.signature = key.sign(&tx.signing_hash()?);
        Ok(tx)
    }
}

impl Encode for TrustTx {
    fn write(&self, w: &mut Writer) {
        self.encode_body(w);
        w.bytes(&self.signature);
    }
}

impl Decode for TrustTx {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let authority = DidId::read(r)?;
        let sequence = r.u64("sequence")?;
        let op = match r.u8("trust operation")? {
            1 => TrustOp::DefineType(CredentialType::read(r)?),
            2 => TrustOp::Accredit {
                issuer: DidId::read(r)?,
                credential_type: read_type_name(r)?,
            },
            3 => TrustOp::Revoke {
                issuer: DidId::read(r)?,
                credential_type: read_type_name(r)?,
            },
            4 => TrustOp::AccreditWithHook {
                issuer: DidId::read(r)?,
                credential_type: read_type_name(r)?,
                regulator_key: r.array("regulator key")?,
            },
            _ => {
                return Err(DecodeError::Invalid {
                    what: "trust operation",
                    why: "unknown",
                })
            }
        };
        Ok(Self {
            authority,
            sequence,
            op,
            method: Fragment::read(r)?,
            signature: r.array("signature")?,
        })
    }
}

/// A credential operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialOp {
    /// Append credential commitments to the issuer's tree.
    Issue {
        /// Their type (the issuer must be accredited for it).
        credential_type: String,
        /// The leaves.
        commitments: Vec<Fr>,
    },
    /// Overwrite leaves with the empty value.
    Revoke {
        /// Their indices.
        leaves: Vec<u32>,
    },
}

/// A signed credential operation of an issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialTx {
    /// The issuer's DID.
    pub issuer: DidId,
    /// 1 + its previous credential operation's sequence.
    pub sequence: u64,
    /// What it does.
    pub op: CredentialOp,
    /// The signing method (an `assertionMethod` of the issuer).
    pub method: Fragment,
    /// The signature.
    pub signature: [u8; 64],
}

impl CredentialTx {
    fn encode_body(&self, w: &mut Writer) {
        self.issuer.write(w);
        w.u64(self.sequence);
        match &self.op {
            CredentialOp::Issue {
                credential_type,
                commitments,
            } => {
                w.u8(1);
                write_name(w, credential_type);
                w.count_u16("commitment count", commitments.len(), 1, MAX_BATCH);
                for c in commitments {
                    w.bytes(&field::to_bytes(c));
                }
            }
            CredentialOp::Revoke { leaves } => {
                w.u8(2);
                w.count_u16("leaf count", leaves.len(), 1, MAX_BATCH);
                for l in leaves {
                    w.bytes(&l.to_le_bytes());
                }
            }
        }
        self.method.write(w);
    }

    /// What the signature covers; fails if a field does not fit its
    /// encoding.
    pub fn signing_hash(&self) -> Result<[u8; 32], EncodeError> {
        let mut w = Writer::new();
        self.encode_body(&mut w);
        Ok(signing_hash(KIND_CREDENTIAL, &w.finish()?))
    }

    /// Builds and signs an operation.
    pub fn signed(
        issuer: DidId,
        sequence: u64,
        op: CredentialOp,
        method: Fragment,
        key: &SecretKey,
    ) -> Result<Self, EncodeError> {
        let mut tx = Self {
            issuer,
            sequence,
            op,
            method,
            signature: [0; 64],
        };
        tx.signature = key.sign(&tx.signing_hash()?);
        Ok(tx)
    }
}

impl Encode for CredentialTx {
    fn write(&self, w: &mut Writer) {
        self.encode_body(w);
        w.bytes(&self.signature);
    }
}

impl Decode for CredentialTx {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let issuer = DidId::read(r)?;
        let sequence = r.u64("sequence")?;
        let op = match r.u8("credential operation")? {
            1 => {
                let credential_type = read_type_name(r)?;
                let n = r.count_u16("commitment count", 1, MAX_BATCH)?;
                let mut commitments = Vec::with_capacity(n);
                for _ in 0..n {
                    let c =
                        field::from_bytes(&r.array("commitment")?).ok_or(DecodeError::Invalid {
                            what: "commitment",
                            why: "not a canonical BN254 scalar",
                        })?;
                    if c == Fr::from(0u64) {
                        return Err(DecodeError::Invalid {
                            what: "commitment",
                            why: "zero is the empty leaf",
                        });
                    }
                    commitments.push(c);
                }
                CredentialOp::Issue {
                    credential_type,
                    commitments,
                }
            }
            2 => {
                let n = r.count_u16("leaf count", 1, MAX_BATCH)?;
                let mut leaves: Vec<u32> = Vec::with_capacity(n);
                for _ in 0..n {
                    let l = u32::from_le_bytes(r.array("leaf index")?);
                    if leaves.last().is_some_and(|p| *p >= l) {
                        return Err(DecodeError::Invalid {
                            what: "leaf indices",
                            why: "must be strictly increasing",
                        });
                    }
                    leaves.push(l);
                }
                CredentialOp::Revoke { leaves }
            }
            _ => {
                return Err(DecodeError::Invalid {
                    what: "credential operation",
                    why: "unknown",
                })
            }
        };
        Ok(Self {
            issuer,
            sequence,
            op,
            method: Fragment::read(r)?,
            signature: r.array("signature")?,
        })
    }
}
