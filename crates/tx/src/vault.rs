//! Evidence-vault records (kind 10): who may open which document version,
//! and every opening, on the ledger.
//!
//! The ledger holds no document bytes: a version is its content address
//! (`veil_vault::Manifest::address`, over the ciphertext), its size, its
//! sealed metadata and its key wrapped to each party allowed to open it.
//! Nodes keep the ciphertext chunks beside the ledger
//! (`veil_ledger::chunks`) and serve them only to a signed [`VaultOp::Open`]
//! that the ledger has committed, so an opening without its trail entry
//! does not happen.
//!
//! # Parties
//!
//! A party is an Ed25519 key (signs records and download requests) bound to
//! a wallet address `(A, B)`, whose view key `A = a·G` documents are
//! wrapped to. [`VaultOp::Enrol`] binds them; it carries a Chaum–Pedersen
//! proof ([`veil_crypto::dleq`]) that the enroller knows `a`:
//!
//! ```text
//!   X = H_p("veil/vault/enrol/v1", party key)   (protocol.md §3)
//!   S = a·X,   DLEQ proof that log_G A = log_X S
//! ```
//!
//! so nobody enrols someone else's address, and a proof is bound to one
//! party key. An address enrols once.
//!
//! A party may instead be known by its DID (`did:veil`, see
//! `veil_identity::did`). [`VaultOp::EnrolDid`] names the DID, an
//! `authentication` method whose Ed25519 key is the actor (the record's
//! signature shows the actor holds it) and an X25519 `keyAgreement`
//! method: documents are wrapped to that key (kind 2 wraps,
//! `veil_vault::PartyWrap`). A DID enrols once, unless the key it enrolled
//! stopped standing (rotated or removed): then its new key may enrol, and
//! owners grant that key afresh. A DID party acts only
//! while the ledger's current document of its DID is active and still
//! lists the actor as an authentication method: deactivating the DID, or
//! removing or rotating that key, ends its vault access (puts, grants to
//! it and openings are refused). Wraps already made to an agreement key
//! that is later rotated still open with the old secret, as for any
//! wrap; the next version wraps to the key in force.
//!
//! # Operations (after the version and kind bytes)
//!
//! ```text
//!   actor      32   Ed25519 key of the party acting
//!   nonce      16   random; never reused by the actor (replays refused)
//!   op         u8   1 enrol | 2 put | 3 grant | 4 revoke | 5 open | 6 purge |
//!                   7 enrol-did
//!   body            enrol:  address 64 ‖ S 32 ‖ proof 96
//!                   put:    doc 32 ‖ version u32 ‖ address 32 ‖ size u64 ‖ chunks u32 ‖
//!                           regulator key 32 ‖ regulator wrap 80 ‖ capability key 32 ‖
//!                           wraps u8 (1..=32) × (party 32 ‖ party wrap 81) ‖
//!                           metadata (u16 len ≤ 600)
//!                   grant:  doc 32 ‖ version u32 ‖ party 32 ‖ party wrap 81
//!                   revoke: doc 32 ‖ party 32
//!                   open:   doc 32 ‖ version u32 ‖ expires_ms u64 ‖
//!                           flag u8 ‖ [capability signature 64]
//!                   purge:  doc 32
//!                   enrol-did: did 20 ‖ authentication fragment ‖
//!                           agreement fragment (each u8 len 1..=32 ‖ [a-z0-9-])
//!   ---- the actor's signing hash covers every byte above; a capability
//!        signature covers every byte before the flag ----
//!   signature  64   Ed25519, by the actor
//! ```
//!
//! A wrap is `R ‖ AEAD(K)` (`veil_vault::WrappedKey`); a party wrap is
//! `kind u8 ‖ wrap`, kind 1 for a wallet party's view key and 2 for a DID
//! party's X25519 key (`E ‖ AEAD(K)`, `veil_vault::AgreementWrap`), and
//! must be the kind of the party it names. The document id of
//! version 1 is `SHA-256("veil/vault/doc/v1" ‖ 0x00 ‖ owner ‖ nonce)`, so
//! nobody can claim another's id.
//!
//! # Rules
//!
//! - **put** v1 creates the document; v > 1 must be `latest + 1`, by the
//!   owner. The wraps name every party of the version, the owner first;
//!   each is enrolled (a DID party in good standing) and wrapped with its
//!   kind. The version's grantees are the wrap holders other
//!   than the owner (revoking then putting leaves a revoked party out). The
//!   regulator key is in force, as for transfers. The capability key is an
//!   Ed25519 key derived from the document key (`veil_vault`): whoever
//!   holds the key — the payee of a transfer the document is attached to —
//!   may open by signing with it.
//! - **grant** adds a wrap for an enrolled party to an existing version
//!   (once per party and version), by the owner.
//! - **revoke** removes a party from the document's grantees: it opens
//!   nothing from then on; what it already read cannot be unread.
//! - **open** by the owner, a grantee holding a wrap of that version, a
//!   regulator identity of the version's regulator key's jurisdiction, or
//!   an enrolled party with a capability signature.
//! - **purge** by the owner: every version and wrap record of the document
//!   is deleted and a tombstone stays; nodes delete its chunks.
//!
//! Wraps to the regulator key cannot be checked by validators (unlike the
//! verifiable regulator ciphertexts of transfers: proving what an AEAD
//! ciphertext holds needs a proof system over the cipher); a wrong one is
//! signed by its owner and found at the first regulator opening.

use veil_crypto::dleq::DleqProof;
use veil_crypto::hash::hash256;
use veil_crypto::keys::Address;
use veil_crypto::point::Point;
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::signing::{Signature, SigningKey, VerifyingKey};
use veil_identity::did::Fragment;
use veil_identity::DidId;
use veil_vault::{PartyWrap, WrappedKey};

use super::error::TxError;
use super::ledger_view::LedgerView;
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer};

/// Transaction kind byte of a vault record.
pub const KIND_VAULT: u8 = 10;
/// Most wraps in one put.
pub const MAX_WRAPS: usize = 32;
/// Largest sealed metadata.
pub const MAX_METADATA: usize = 600;
/// Largest ciphertext a version may have (consensus bound; nodes may set
/// a lower one and per-owner quotas).
pub const MAX_DOCUMENT_BYTES: u64 = 1 << 40;

/// A document id.
pub type DocId = [u8; 32];

/// Why a vault record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultTxError {
    /// The actor's signature (or the capability signature) does not verify.
    #[error("vault record signature does not verify")]
    Signature,
    /// The enrolment proof does not show knowledge of the view key.
    #[error("enrolment proof does not verify")]
    EnrolProof,
    /// The address or the party is already enrolled.
    #[error("this party or address is already enrolled")]
    AlreadyEnrolled,
    /// A party named is not enrolled.
    #[error("party {0} is not enrolled in the vault")]
    UnknownParty(String),
    /// The actor reused a nonce.
    #[error("nonce already used by this party (a replayed record)")]
    Replay,
    /// The document does not exist.
    #[error("no such document")]
    UnknownDocument,
    /// The version does not exist.
    #[error("no such version")]
    UnknownVersion,
    /// The document was purged.
    #[error("the document was purged")]
    Purged,
    /// Only the owner may do this.
    #[error("only the document's owner may do this")]
    NotOwner,
    /// The actor may not open this version.
    #[error("not allowed to open this document version")]
    Forbidden,
    /// A put with the wrong version number or document id.
    #[error("expected version {expected}")]
    Version {
        /// The version a put must have.
        expected: u32,
    },
    /// A put whose document id is not derived from its owner and nonce.
    #[error("a new document's id must be derived from its owner and nonce")]
    DocId,
    /// A put's wraps are not well formed.
    #[error("wraps: {0}")]
    Wraps(&'static str),
    /// The party already holds a wrap of this version.
    #[error("already granted")]
    AlreadyGranted,
    /// Revoking a party that is not a grantee.
    #[error("not a grantee of this document")]
    NotGrantee,
    /// The regulator key is not in force.
    #[error("the regulator key is not in force")]
    RegulatorKey,
    /// A DID party's enrolment or standing does not hold against its DID
    /// document as the ledger has it now.
    #[error("DID party: {0}")]
    DidParty(String),
    /// A stored record does not decode.
    #[error("corrupt vault record: {0}")]
    Corrupt(&'static str),
}

impl VaultTxError {
    /// A stable short identifier (the API's problem type).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Signature => "vault-bad-signature",
            Self::EnrolProof => "vault-bad-enrol-proof",
            Self::AlreadyEnrolled => "vault-already-enrolled",
            Self::UnknownParty(_) => "vault-unknown-party",
            Self::Replay => "vault-replay",
            Self::UnknownDocument => "vault-unknown-document",
            Self::UnknownVersion => "vault-unknown-version",
            Self::Purged => "vault-purged",
            Self::NotOwner => "vault-not-owner",
            Self::Forbidden => "vault-forbidden",
            Self::Version { .. } => "vault-version",
            Self::DocId => "vault-doc-id",
            Self::Wraps(_) => "vault-wraps",
            Self::AlreadyGranted => "vault-already-granted",
            Self::NotGrantee => "vault-not-grantee",
            Self::RegulatorKey => "wrong-regulator-key",
            Self::DidParty(_) => "vault-did-party",
            Self::Corrupt(_) => "vault-corrupt",
        }
    }
}

/// A new version of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Put {
    /// The document.
    pub doc: DocId,
    /// Its version (from 1).
    pub version: u32,
    /// The content address (of the manifest, over the ciphertext).
    pub address: [u8; 32],
    /// Ciphertext bytes.
    pub size: u64,
    /// Ciphertext chunks.
    pub chunks: u32,
    /// The regulator epoch key the document key is wrapped to.
    pub regulator_key: RegulatorPublicKey,
    /// The key wrapped to it.
    pub regulator_wrap: WrappedKey,
    /// The capability key derived from the document key.
    pub capability: VerifyingKey,
    /// The key wrapped to each party, the owner first.
    pub wraps: Vec<(VerifyingKey, PartyWrap)>,
    /// File name and media type sealed under the document key.
    pub metadata: Vec<u8>,
}

/// An enrolment: the address a party key acts for, and the proof that
/// the party knows its view secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    /// The address (view key, spend key).
    pub address: Address,
    /// `S = a·X`.
    pub s: Point,
    /// The proof that `log_G A = log_X S`.
    pub proof: DleqProof,
}

/// What a vault record does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultOp {
    /// Binds the actor's key to a wallet address.
    Enrol(Box<Enrolment>),
    /// Binds the actor's key, an authentication method of a DID, to that
    /// DID: documents are wrapped to its key-agreement method.
    EnrolDid {
        /// The DID.
        did: DidId,
        /// The authentication method whose Ed25519 key is the actor.
        authentication: Fragment,
        /// The X25519 key-agreement method documents are wrapped to.
        agreement: Fragment,
    },
    /// A new document version.
    Put(Box<Put>),
    /// A wrap for one more party.
    Grant {
        /// The document.
        doc: DocId,
        /// The version.
        version: u32,
        /// The party.
        party: VerifyingKey,
        /// The key wrapped to it.
        wrap: Box<PartyWrap>,
    },
    /// A party opens nothing more.
    Revoke {
        /// The document.
        doc: DocId,
        /// The party.
        party: VerifyingKey,
    },
    /// A download of a version's ciphertext, recorded.
    Open {
        /// The document.
        doc: DocId,
        /// The version.
        version: u32,
        /// Unix ms after which nodes do not serve it.
        expires_ms: u64,
        /// A signature by the version's capability key (a holder of the
        /// document key who is not a grantee).
        capability: Option<Signature>,
    },
    /// The document is destroyed.
    Purge {
        /// The document.
        doc: DocId,
    },
}

/// A signed vault record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultTx {
    /// Who acts.
    pub actor: VerifyingKey,
    /// Random, never reused by the actor.
    pub nonce: [u8; 16],
    /// What it does.
    pub op: VaultOp,
    /// The actor's signature.
    pub signature: Signature,
}

/// The id of a document created by `owner` with a put of nonce `nonce`.
pub fn document_id(owner: &VerifyingKey, nonce: &[u8; 16]) -> DocId {
    hash256(b"veil/vault/doc/v1", &[owner.as_bytes(), nonce])
}

/// The enrolment generator `X` of a party key.
pub fn enrol_base(party: &VerifyingKey) -> Point {
    Point::from_point(veil_crypto::hash::hash_to_point(
        b"veil/vault/enrol/v1",
        &[party.as_bytes()],
    ))
}

/// The capability signing key of a document version's key.
pub fn capability_key(key: &veil_vault::DocumentKey, ctx: &veil_vault::DocContext) -> SigningKey {
    let seed = veil_crypto::secret::Secret::new(hash256(
        b"veil/vault/capability/v1",
        &[key.expose(), &ctx.id, &ctx.version.to_be_bytes()],
    ));
    SigningKey::from_seed(seed.expose())
}

/// An Ed25519 public key read from a record (vault records and state).
fn key(r: &mut Reader<'_>, what: &'static str) -> Result<VerifyingKey, DecodeError> {
    VerifyingKey::from_bytes(&r.array(what)?).map_err(|_| DecodeError::Invalid {
        what,
        why: "not a valid Ed25519 public key",
    })
}

impl VaultTx {
    fn encode_prefix(&self, w: &mut Writer) {
        w.bytes(self.actor.as_bytes());
        w.bytes(&self.nonce);
        match &self.op {
            VaultOp::Enrol(e) => {
                let Enrolment { address, s, proof } = &**e;
                w.u8(1);
                w.bytes(&address.to_bytes());
                w.point(s);
                w.bytes(&proof.to_bytes());
            }
            VaultOp::Put(p) => {
                w.u8(2);
                w.bytes(&p.doc);
                w.u32(p.version);
                w.bytes(&p.address);
                w.u64(p.size);
                w.u32(p.chunks);
                w.point(p.regulator_key.as_point());
                p.regulator_wrap.write(w);
                w.bytes(p.capability.as_bytes());
                w.count_u8("wrap count", p.wraps.len(), 1, MAX_WRAPS);
                for (party, wrap) in &p.wraps {
                    w.bytes(party.as_bytes());
                    wrap.write(w);
                }
                w.bytes_u16("metadata", &p.metadata, 0, MAX_METADATA);
            }
            VaultOp::Grant {
                doc,
                version,
                party,
                wrap,
            } => {
                w.u8(3);
                w.bytes(doc);
                w.u32(*version);
                w.bytes(party.as_bytes());
                wrap.write(w);
            }
            VaultOp::Revoke { doc, party } => {
                w.u8(4);
                w.bytes(doc);
                w.bytes(party.as_bytes());
            }
            VaultOp::Open {
                doc,
                version,
                expires_ms,
                ..
            } => {
                w.u8(5);
                w.bytes(doc);
                w.u32(*version);
                w.u64(*expires_ms);
            }
            VaultOp::Purge { doc } => {
                w.u8(6);
                w.bytes(doc);
            }
            VaultOp::EnrolDid {
                did,
                authentication,
                agreement,
            } => {
                w.u8(7);
                did.write(w);
                authentication.write(w);
                agreement.write(w);
            }
        }
    }

    /// What a capability key signs: the signing hash of every byte before
    /// the capability flag (for an open; the same as [`Self::signing_hash`]
    /// for every other operation).
    pub fn capability_hash(&self) -> Result<[u8; 32], EncodeError> {
        crate::signing_hash(KIND_VAULT, |w| self.encode_prefix(w))
    }

    /// What the actor signs: every byte before its signature, the
    /// capability signature included, so nobody can strip or swap it.
    pub fn signing_hash(&self) -> Result<[u8; 32], EncodeError> {
        crate::signing_hash(KIND_VAULT, |w| {
            self.encode_prefix(w);
            self.encode_capability(w);
        })
    }

    fn encode_capability(&self, w: &mut Writer) {
        if let VaultOp::Open { capability, .. } = &self.op {
            match capability {
                None => w.u8(0),
                Some(s) => {
                    w.u8(1);
                    w.bytes(&s.0);
                }
            }
        }
    }

    /// Builds and signs a record.
    pub fn sign(key: &SigningKey, nonce: [u8; 16], op: VaultOp) -> Result<Self, EncodeError> {
        Self::sign_with(key, nonce, op, None)
    }

    /// Builds and signs a record; an open is first signed by the capability
    /// key `cap` (a holder of the document key who is not a grantee).
    pub fn sign_with(
        key: &SigningKey,
        nonce: [u8; 16],
        op: VaultOp,
        cap: Option<&SigningKey>,
    ) -> Result<Self, EncodeError> {
        let mut tx = Self {
            actor: *key.public(),
            nonce,
            op,
            signature: Signature([0; 64]),
        };
        if let Some(cap) = cap {
            let hash = tx.capability_hash()?;
            if let VaultOp::Open { capability, .. } = &mut tx.op {
                *capability = Some(cap.sign(&hash));
            }
        }
        tx.signature = key.sign(&tx.signing_hash()?);
        Ok(tx)
    }

    /// The document the record is about (none for an enrolment).
    pub fn doc(&self) -> Option<DocId> {
        match &self.op {
            VaultOp::Enrol(_) | VaultOp::EnrolDid { .. } => None,
            VaultOp::Put(p) => Some(p.doc),
            VaultOp::Grant { doc, .. }
            | VaultOp::Revoke { doc, .. }
            | VaultOp::Open { doc, .. }
            | VaultOp::Purge { doc } => Some(*doc),
        }
    }

    /// The operation's name, as the API reports it.
    pub fn op_name(&self) -> &'static str {
        match &self.op {
            VaultOp::Enrol(_) | VaultOp::EnrolDid { .. } => "enrol",
            VaultOp::Put(_) => "put",
            VaultOp::Grant { .. } => "grant",
            VaultOp::Revoke { .. } => "revoke",
            VaultOp::Open { .. } => "open",
            VaultOp::Purge { .. } => "purge",
        }
    }

    /// Signatures and proofs: everything that needs no state (the
    /// capability signature needs the version's capability key: stateful).
    pub fn check_stateless(&self) -> Result<(), TxError> {
        let hash = self.signing_hash()?;
        self.actor
            .verify(&hash, &self.signature)
            .map_err(|_| VaultTxError::Signature)?;
        match &self.op {
            VaultOp::Enrol(e)
                if !e
                    .proof
                    .verify(e.address.view_key(), &enrol_base(&self.actor), &e.s) =>
            {
                return Err(VaultTxError::EnrolProof.into());
            }
            VaultOp::Put(p) => {
                if p.wraps.first().map(|(k, _)| *k) != Some(self.actor) {
                    return Err(VaultTxError::Wraps("the owner's wrap comes first").into());
                }
                let mut seen = std::collections::BTreeSet::new();
                if !p.wraps.iter().all(|(k, _)| seen.insert(*k)) {
                    return Err(VaultTxError::Wraps("a party is named twice").into());
                }
                if p.size > MAX_DOCUMENT_BYTES || p.chunks == 0 {
                    return Err(VaultTxError::Wraps("size out of range").into());
                }
                if p.version == 1 && p.doc != document_id(&self.actor, &self.nonce) {
                    return Err(VaultTxError::DocId.into());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Against vault state and the ledger: who may do what.
    pub fn check_stateful<V: LedgerView + VaultState + veil_identity::IdentityState>(
        &self,
        state: &V,
    ) -> Result<Vec<VaultWrite>, TxError> {
        Ok(rules::check(self, state)?)
    }
}

impl Encode for VaultTx {
    fn write(&self, w: &mut Writer) {
        self.encode_prefix(w);
        self.encode_capability(w);
        w.bytes(&self.signature.0);
    }
}

impl Decode for VaultTx {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let actor = key(r, "vault actor")?;
        let nonce = r.array("vault nonce")?;
        let op = match r.u8("vault op")? {
            1 => {
                let address = Address::from_bytes(&r.array("vault address")?).map_err(|_| {
                    DecodeError::Invalid {
                        what: "vault address",
                        why: "not a valid address",
                    }
                })?;
                let s = r.point_non_identity("enrol S")?;
                let proof = DleqProof::from_bytes(&r.array("enrol proof")?).ok_or(
                    DecodeError::Invalid {
                        what: "enrol proof",
                        why: "not canonical",
                    },
                )?;
                VaultOp::Enrol(Box::new(Enrolment { address, s, proof }))
            }
            2 => {
                let doc = r.array("document id")?;
                let version = r.u32("version")?;
                let address = r.array("content address")?;
                let size = r.u64("size")?;
                let chunks = r.u32("chunks")?;
                let regulator_key = RegulatorPublicKey(r.point_non_identity("regulator key")?);
                let regulator_wrap = WrappedKey::read(r)?;
                let capability = key(r, "capability key")?;
                let n = r.count_u8("wrap count", 1, MAX_WRAPS)?;
                let mut wraps = Vec::with_capacity(n);
                for _ in 0..n {
                    let party = key(r, "wrap party")?;
                    wraps.push((party, PartyWrap::read(r)?));
                }
                let metadata = r.bytes_u16("metadata", 0, MAX_METADATA)?.to_vec();
                VaultOp::Put(Box::new(Put {
                    doc,
                    version,
                    address,
                    size,
                    chunks,
                    regulator_key,
                    regulator_wrap,
                    capability,
                    wraps,
                    metadata,
                }))
            }
            3 => VaultOp::Grant {
                doc: r.array("document id")?,
                version: r.u32("version")?,
                party: key(r, "grantee")?,
                wrap: Box::new(PartyWrap::read(r)?),
            },
            4 => VaultOp::Revoke {
                doc: r.array("document id")?,
                party: key(r, "revoked party")?,
            },
            5 => {
                let doc = r.array("document id")?;
                let version = r.u32("version")?;
                let expires_ms = r.u64("expiry")?;
                let capability = match r.u8("capability flag")? {
                    0 => None,
                    1 => Some(Signature(r.array("capability signature")?)),
                    _ => {
                        return Err(DecodeError::Invalid {
                            what: "capability flag",
                            why: "must be 0 or 1",
                        })
                    }
                };
                VaultOp::Open {
                    doc,
                    version,
                    expires_ms,
                    capability,
                }
            }
            6 => VaultOp::Purge {
                doc: r.array("document id")?,
            },
            7 => VaultOp::EnrolDid {
                did: DidId::read(r)?,
                authentication: Fragment::read(r)?,
                agreement: Fragment::read(r)?,
            },
            _ => {
                return Err(DecodeError::Invalid {
                    what: "vault op",
                    why: "unknown operation",
                })
            }
        };
        Ok(Self {
            actor,
            nonce,
            op,
            signature: Signature(r.array("vault signature")?),
        })
    }
}

/// Vault state as records of the ledger's `vault` column family (this
/// block's pending writes first, then committed state).
pub trait VaultState {
    /// A record.
    fn vault_record(&self, key: &[u8]) -> Option<Vec<u8>>;
}

/// A write to the `vault` column family (`None` deletes).
pub type VaultWrite = (Vec<u8>, Option<Vec<u8>>);

pub mod attachment;
pub mod party;
pub mod records;
mod rules;
#[cfg(test)]
mod tests;

pub use rules::{did_standing, may_open, purge_writes, revoked};

pub use records::{DidPartyRecord, DocRecord, Enrolled, PartyRecord, VersionRecord};
