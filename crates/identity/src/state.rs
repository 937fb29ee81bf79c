//! Identity state and the rules of identity transactions.
//!
//! Rules are pure functions from (state, transaction, block time) to
//! [`Effect`]s; the ledger turns effects into records once (the ledger
//! crate's `identity` module) and later transactions of the same block read
//! them back through the block's pending writes. [`Overlay`] is the
//! in-memory equivalent for tools and tests.
//!
//! * **DID operations.** A creation names version 0, its DID is derived
//!   from the document's first method ([`DidId::derive`]), which must be an
//!   authentication key, and it is signed by that key. Every other
//!   operation names the DID's current version (a replayed or stale
//!   operation names a past one and is refused), is signed by an
//!   `authentication` method of one of the DID's controllers (itself unless
//!   its document lists others), and leaves a valid document. Deactivation
//!   is final.
//! * **Trust list** (EBSI's model, one level): genesis names the root
//!   authority's DID; its operations carry consecutive sequence numbers and
//!   are signed by one of its `assertionMethod` keys. It defines credential
//!   types (immutable once defined: credentials depend on their layout),
//!   accredits issuers for types, and withdraws accreditations.
//! * **Credential operations.** Consecutive sequence numbers per issuer,
//!   signed by an `assertionMethod` key of an active issuer DID. Issuing
//!   appends commitments to the issuer's tree and needs an active
//!   accreditation for the type; a commitment can be issued once. Revoking
//!   overwrites leaves with 0 and increments the tree's revocation counter,
//!   which retires every earlier root at once (see
//!   [`RootRecord::accepts`]).

use std::collections::{BTreeMap, HashMap};

use veil_circuits::field;
use veil_circuits::Fr;

use super::did::{DidDocument, DidId};
use super::schema::CredentialType;
use super::tree::NodeId;
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, Reader, Writer};

pub use crate::rules::{apply_credential, apply_did, apply_trust};

/// A DID's current (or a historical) state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidRecord {
    /// The document.
    pub document: DidDocument,
    /// Its version (1 at creation).
    pub version: u64,
    /// Creation time (block time, ms).
    pub created_ms: u64,
    /// Time of this version.
    pub updated_ms: u64,
    /// Whether the DID is deactivated.
    pub deactivated: bool,
}

impl Encode for DidRecord {
    fn write(&self, w: &mut Writer) {
        w.u64(self.version);
        w.u64(self.created_ms);
        w.u64(self.updated_ms);
        w.u8(u8::from(self.deactivated));
        self.document.write(w);
    }
}

impl Decode for DidRecord {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let version = r.u64("version")?;
        let created_ms = r.u64("created")?;
        let updated_ms = r.u64("updated")?;
        let deactivated = r.u8("deactivated")? != 0;
        let document = DidDocument::read(r)?;
        Ok(Self {
            document,
            version,
            created_ms,
            updated_ms,
            deactivated,
        })
    }
}

/// An issuer's accreditation for one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accreditation {
    /// Whether it is in force.
    pub active: bool,
    /// When it was (last) granted.
    pub since_ms: u64,
    /// When it was withdrawn (0 while active).
    pub revoked_ms: u64,
    /// The regulator hook key presentations must encrypt to, if any.
    pub hook_key: Option<[u8; 32]>,
}

impl Encode for Accreditation {
    fn write(&self, w: &mut Writer) {
        w.u8(u8::from(self.active));
        w.u64(self.since_ms);
        w.u64(self.revoked_ms);
        match &self.hook_key {
            None => w.u8(0),
            Some(k) => {
                w.u8(1);
                w.bytes(k);
            }
        }
    }
}

impl Decode for Accreditation {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let a = Self {
            active: r.u8("active")? != 0,
            since_ms: r.u64("since")?,
            revoked_ms: r.u64("revoked")?,
            hook_key: match r.u8("hook flag")? {
                0 => None,
                1 => Some(r.array("hook key")?),
                _ => {
                    return Err(DecodeError::Invalid {
                        what: "hook flag",
                        why: "must be 0 or 1",
                    })
                }
            },
        };
        Ok(a)
    }
}

/// An issuer's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssuerTree {
    /// Leaves appended so far.
    pub leaves: u64,
    /// The current root.
    pub root: Fr,
    /// Revocation operations so far.
    pub revocations: u64,
    /// The issuer's last credential-operation sequence.
    pub sequence: u64,
    /// Time of the last change.
    pub updated_ms: u64,
}

impl IssuerTree {
    /// The state of an issuer that never issued.
    pub fn empty() -> Self {
        Self {
            leaves: 0,
            root: veil_circuits::merkle::empty_root(),
            revocations: 0,
            sequence: 0,
            updated_ms: 0,
        }
    }
}

impl Encode for IssuerTree {
    fn write(&self, w: &mut Writer) {
        w.u64(self.leaves);
        w.bytes(&field::to_bytes(&self.root));
        w.u64(self.revocations);
        w.u64(self.sequence);
        w.u64(self.updated_ms);
    }
}

impl Decode for IssuerTree {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let leaves = r.u64("leaves")?;
        let root = field::from_bytes(&r.array("root")?).ok_or(DecodeError::Invalid {
            what: "root",
            why: "not canonical",
        })?;
        let t = Self {
            leaves,
            root,
            revocations: r.u64("revocations")?,
            sequence: r.u64("sequence")?,
            updated_ms: r.u64("updated")?,
        };
        Ok(t)
    }
}

/// A root an issuer's tree had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootRecord {
    /// When it became the root.
    pub created_ms: u64,
    /// When another root replaced it (0: it is current).
    pub replaced_ms: u64,
    /// The tree's revocation counter while it was the root.
    pub revocations: u64,
}

/// Why a root is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootVerdict {
    /// Accepted.
    Fresh,
    /// Replaced by appends more than the window ago.
    Stale,
    /// A revocation happened since: credentials revoked since then must
    /// not present, so the root is refused whatever its age.
    Revoked,
}

impl RootRecord {
    /// Whether a presentation against this root is accepted at `now_ms`,
    /// given the tree's current revocation counter and the window (ms)
    /// during which a replaced root stays acceptable.
    pub fn accepts(&self, tree_revocations: u64, now_ms: u64, window_ms: u64) -> RootVerdict {
        if self.revocations != tree_revocations {
            RootVerdict::Revoked
        } else if self.replaced_ms != 0 && now_ms.saturating_sub(self.replaced_ms) > window_ms {
            RootVerdict::Stale
        } else {
            RootVerdict::Fresh
        }
    }
}

impl Encode for RootRecord {
    fn write(&self, w: &mut Writer) {
        w.u64(self.created_ms);
        w.u64(self.replaced_ms);
        w.u64(self.revocations);
    }
}

impl Decode for RootRecord {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let rec = Self {
            created_ms: r.u64("created")?,
            replaced_ms: r.u64("replaced")?,
            revocations: r.u64("revocations")?,
        };
        Ok(rec)
    }
}

/// Read access to identity state.
pub trait IdentityState {
    /// A DID's current record.
    fn did(&self, id: &DidId) -> Option<DidRecord>;
    /// The root authority and its last trust-operation sequence.
    fn root_authority(&self) -> Option<(DidId, u64)>;
    /// A credential type.
    fn credential_type(&self, name: &str) -> Option<CredentialType>;
    /// An accreditation.
    fn accreditation(&self, issuer: &DidId, credential_type: &str) -> Option<Accreditation>;
    /// An issuer's tree (`None`: never issued).
    fn issuer_tree(&self, issuer: &DidId) -> Option<IssuerTree>;
    /// A stored tree node (`None`: empty).
    fn tree_node(&self, issuer: &DidId, node: NodeId) -> Option<Fr>;
    /// The leaf index of an issued commitment.
    fn commitment_index(&self, issuer: &DidId, commitment: &Fr) -> Option<u32>;
    /// A root the issuer's tree had.
    fn root_record(&self, issuer: &DidId, root: &Fr) -> Option<RootRecord>;
}

/// A refused identity transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Creating a DID that exists.
    #[error("{0} already exists")]
    DidExists(DidId),
    /// A DID that does not exist.
    #[error("{0} does not exist")]
    DidNotFound(DidId),
    /// A deactivated DID.
    #[error("{0} is deactivated")]
    DidDeactivated(DidId),
    /// A creation whose DID is not derived from its first key.
    #[error("the DID is not derived from the document's first key")]
    DidNotDerived,
    /// An operation on a version that is not the current one (replayed or
    /// stale).
    #[error("operation on version {found}, but the current version is {current}")]
    StaleVersion {
        /// The DID's current version.
        current: u64,
        /// The version the operation names.
        found: u64,
    },
    /// The signer is not a controller of the DID.
    #[error("{0} is not a controller of this DID")]
    NotController(DidId),
    /// The signing method does not exist.
    #[error("{did} has no verification method #{fragment}")]
    UnknownMethod {
        /// The DID.
        did: DidId,
        /// The fragment.
        fragment: String,
    },
    /// The signing method lacks the relationship.
    #[error("method #{fragment} is not an {relationship} method")]
    MethodNotAuthorized {
        /// The fragment.
        fragment: String,
        /// The relationship needed.
        relationship: &'static str,
    },
    /// The signature does not verify.
    #[error("identity signature does not verify")]
    BadSignature,
    /// The resulting document is invalid.
    #[error("invalid document: {0}")]
    Document(#[from] super::did::DocumentError),
    /// A change that does not apply.
    #[error("invalid change: {0}")]
    Change(String),
    /// No root authority, or the signer is not it.
    #[error("the signer is not the root authority")]
    NotRootAuthority,
    /// A trust or credential operation out of sequence.
    #[error("sequence {found}, expected {expected}")]
    Sequence {
        /// The next sequence.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// Defining a type that exists.
    #[error("credential type {0} is already defined")]
    TypeExists(String),
    /// An unknown type.
    #[error("credential type {0} is not defined")]
    UnknownType(String),
    /// The issuer is not accredited for the type.
    #[error("{issuer} is not accredited for {credential_type}")]
    NotAccredited {
        /// The issuer.
        issuer: DidId,
        /// The type.
        credential_type: String,
    },
    /// Accrediting an accredited issuer.
    #[error("{issuer} is already accredited for {credential_type}")]
    AlreadyAccredited {
        /// The issuer.
        issuer: DidId,
        /// The type.
        credential_type: String,
    },
    /// A commitment issued before (or twice in one operation).
    #[error("commitment {0} was already issued")]
    DuplicateCommitment(String),
    /// The tree is full.
    #[error("the issuer's tree is full")]
    TreeFull,
    /// Revoking a leaf that does not exist.
    #[error("leaf {0} was never issued")]
    UnknownLeaf(u32),
    /// Revoking a revoked leaf.
    #[error("leaf {0} is already revoked")]
    AlreadyRevoked(u32),
    /// The hook key is not a Baby Jubjub subgroup point.
    #[error("the regulator hook key is not a valid Baby Jubjub subgroup point")]
    InvalidHookKey,
    /// A field of the operation does not fit its encoding.
    #[error("the operation cannot be encoded: {0}")]
    Encode(#[from] veil_codec::EncodeError),
}

impl IdentityError {
    /// A stable short identifier, used as the problem type in the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::DidExists(_) => "did-exists",
            Self::DidNotFound(_) => "did-not-found",
            Self::DidDeactivated(_) => "did-deactivated",
            Self::DidNotDerived => "did-not-derived",
            Self::StaleVersion { .. } => "stale-version",
            Self::NotController(_) => "not-controller",
            Self::UnknownMethod { .. } => "unknown-method",
            Self::MethodNotAuthorized { .. } => "method-not-authorized",
            Self::BadSignature => "bad-identity-signature",
            Self::Document(_) => "invalid-document",
            Self::Change(_) => "invalid-change",
            Self::NotRootAuthority => "not-root-authority",
            Self::Sequence { .. } => "identity-sequence",
            Self::TypeExists(_) => "credential-type-exists",
            Self::UnknownType(_) => "unknown-credential-type",
            Self::NotAccredited { .. } => "not-accredited",
            Self::AlreadyAccredited { .. } => "already-accredited",
            Self::DuplicateCommitment(_) => "duplicate-commitment",
            Self::TreeFull => "tree-full",
            Self::UnknownLeaf(_) => "unknown-leaf",
            Self::AlreadyRevoked(_) => "already-revoked",
            Self::InvalidHookKey => "invalid-hook-key",
            Self::Encode(_) => "unencodable",
        }
    }
}

/// A state change an identity transaction makes.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A DID's new version.
    Did {
        /// The DID.
        id: DidId,
        /// Its new record.
        record: DidRecord,
    },
    /// The root authority's new sequence.
    Authority {
        /// Its DID.
        id: DidId,
        /// The sequence.
        sequence: u64,
    },
    /// A new credential type.
    Type(CredentialType),
    /// An accreditation's new state.
    Accreditation {
        /// The issuer.
        issuer: DidId,
        /// The type.
        credential_type: String,
        /// The record.
        record: Accreditation,
    },
    /// An issuer tree's new state.
    Tree {
        /// The issuer.
        issuer: DidId,
        /// The new tree record.
        tree: IssuerTree,
        /// Changed nodes.
        nodes: BTreeMap<NodeId, Fr>,
        /// Newly issued commitments and their leaf indices.
        issued: Vec<(Fr, u32)>,
        /// The root replaced (with its updated record), if the tree had one.
        retired: Option<(Fr, RootRecord)>,
        /// The new root's record.
        root: RootRecord,
    },
}

/// An in-memory identity state: a base plus absorbed effects. For holders,
/// tools and tests that need identity rules without a ledger; block
/// execution does not use it (the ledger applies effects once, as records,
/// and reads them back through its pending writes).
pub struct Overlay<'a> {
    base: &'a dyn IdentityState,
    dids: HashMap<DidId, DidRecord>,
    authority: Option<(DidId, u64)>,
    types: HashMap<String, CredentialType>,
    accreditations: HashMap<(DidId, String), Accreditation>,
    trees: HashMap<DidId, IssuerTree>,
    nodes: HashMap<(DidId, NodeId), Fr>,
    commitments: HashMap<(DidId, [u8; 32]), u32>,
    roots: HashMap<(DidId, [u8; 32]), RootRecord>,
}

impl std::fmt::Debug for Overlay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("dids", &self.dids.len())
            .field("trees", &self.trees.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Overlay<'a> {
    /// An overlay with no changes yet.
    pub fn new(base: &'a dyn IdentityState) -> Self {
        Self {
            base,
            dids: HashMap::new(),
            authority: None,
            types: HashMap::new(),
            accreditations: HashMap::new(),
            trees: HashMap::new(),
            nodes: HashMap::new(),
            commitments: HashMap::new(),
            roots: HashMap::new(),
        }
    }

    /// Sets the root authority (genesis).
    pub fn set_authority(&mut self, id: DidId) {
        self.authority = Some((id, 0));
    }

    /// Makes `effects` visible to later reads.
    pub fn absorb(&mut self, effects: &[Effect]) {
        for e in effects {
            match e {
                Effect::Did { id, record } => {
                    self.dids.insert(*id, record.clone());
                }
                Effect::Authority { id, sequence } => self.authority = Some((*id, *sequence)),
                Effect::Type(t) => {
                    self.types.insert(t.name.clone(), t.clone());
                }
                Effect::Accreditation {
                    issuer,
                    credential_type,
                    record,
                } => {
                    self.accreditations
                        .insert((*issuer, credential_type.clone()), *record);
                }
                Effect::Tree {
                    issuer,
                    tree,
                    nodes,
                    issued,
                    retired,
                    root,
                } => {
                    self.trees.insert(*issuer, *tree);
                    for (id, v) in nodes {
                        self.nodes.insert((*issuer, *id), *v);
                    }
                    for (c, i) in issued {
                        self.commitments.insert((*issuer, field::to_bytes(c)), *i);
                    }
                    if let Some((r, rec)) = retired {
                        self.roots.insert((*issuer, field::to_bytes(r)), *rec);
                    }
                    self.roots
                        .insert((*issuer, field::to_bytes(&tree.root)), *root);
                }
            }
        }
    }
}

impl IdentityState for Overlay<'_> {
    fn did(&self, id: &DidId) -> Option<DidRecord> {
        self.dids.get(id).cloned().or_else(|| self.base.did(id))
    }

    fn root_authority(&self) -> Option<(DidId, u64)> {
        self.authority.or_else(|| self.base.root_authority())
    }

    fn credential_type(&self, name: &str) -> Option<CredentialType> {
        self.types
            .get(name)
            .cloned()
            .or_else(|| self.base.credential_type(name))
    }

    fn accreditation(&self, issuer: &DidId, credential_type: &str) -> Option<Accreditation> {
        self.accreditations
            .get(&(*issuer, credential_type.to_owned()))
            .copied()
            .or_else(|| self.base.accreditation(issuer, credential_type))
    }

    fn issuer_tree(&self, issuer: &DidId) -> Option<IssuerTree> {
        self.trees
            .get(issuer)
            .copied()
            .or_else(|| self.base.issuer_tree(issuer))
    }

    fn tree_node(&self, issuer: &DidId, node: NodeId) -> Option<Fr> {
        self.nodes
            .get(&(*issuer, node))
            .copied()
            .or_else(|| self.base.tree_node(issuer, node))
    }

    fn commitment_index(&self, issuer: &DidId, commitment: &Fr) -> Option<u32> {
        self.commitments
            .get(&(*issuer, field::to_bytes(commitment)))
            .copied()
            .or_else(|| self.base.commitment_index(issuer, commitment))
    }

    fn root_record(&self, issuer: &DidId, root: &Fr) -> Option<RootRecord> {
        self.roots
            .get(&(*issuer, field::to_bytes(root)))
            .copied()
            .or_else(|| self.base.root_record(issuer, root))
    }
}

/// Identity state with nothing in it (the base of in-memory tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct EmptyState;

impl IdentityState for EmptyState {
    fn did(&self, _: &DidId) -> Option<DidRecord> {
        None
    }
    fn root_authority(&self) -> Option<(DidId, u64)> {
        None
    }
    fn credential_type(&self, _: &str) -> Option<CredentialType> {
        None
    }
    fn accreditation(&self, _: &DidId, _: &str) -> Option<Accreditation> {
        None
    }
    fn issuer_tree(&self, _: &DidId) -> Option<IssuerTree> {
        None
    }
    fn tree_node(&self, _: &DidId, _: NodeId) -> Option<Fr> {
        None
    }
    fn commitment_index(&self, _: &DidId, _: &Fr) -> Option<u32> {
        None
    }
    fn root_record(&self, _: &DidId, _: &Fr) -> Option<RootRecord> {
        None
    }
}
