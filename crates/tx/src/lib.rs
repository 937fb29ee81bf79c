//! Transactions: types, canonical codec, builder and validation.
//!
//! Pure: no storage, sockets or clock. Validation reads ledger state only
//! through [`LedgerView`].
//!
//! Every kind goes through one pipeline ([`pipeline`], Penumbra's
//! `ActionHandler` shape):
//!
//! 1. [`Transaction::resolve_rings`] reads the ring members a transaction
//!    references (outputs are immutable once committed, so this read has no
//!    time-of-check/time-of-use hazard);
//! 2. [`Transaction::check_stateless`] verifies every proof and signature
//!    against those members, pure and parallel; [`verify_batch`] does a whole
//!    block at once;
//! 3. [`Transaction::check_stateful`] checks what can change (key images
//!    unspent, one-time keys new, the regulator key in force, issuers,
//!    sequences, nonces, identity rules) and returns the
//!    [`pipeline::Effect`]s the ledger applies.

pub mod access;
pub mod batch;
pub mod bundle;
pub use veil_codec as codec;
pub mod error;
pub mod governance;
pub mod ledger_view;
pub mod limits;
pub mod mint;
pub mod pipeline;
pub mod registry;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod transfer;
pub mod vault;

use std::fmt;
use std::str::FromStr;

pub use batch::{verify_batch, verify_batch_parallel};
pub use bundle::{Output, OutputBundle};
pub use error::TxError;
pub use ledger_view::{LedgerView, MemoryLedger, Rings};
pub use mint::Mint;
pub use transfer::Transfer;

use codec::{Decode, DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer};

use veil_crypto::hash::hash256;

/// The only transaction format version.
pub const TX_VERSION: u8 = 1;

/// Transaction kind byte of a confidential transfer.
pub const KIND_TRANSFER: u8 = 1;
/// Transaction kind byte of a mint.
pub const KIND_MINT: u8 = 2;
/// Transaction kind byte of a regulator key registry update.
pub const KIND_REGISTRY: u8 = 3;
/// Transaction kind byte of an access-audit record.
pub const KIND_ACCESS: u8 = 4;
pub use governance::liveness::KIND_COMMIT;
pub use governance::KIND_GOVERNANCE;
pub use vault::KIND_VAULT;
pub use veil_identity::tx::{KIND_CREDENTIAL, KIND_DID, KIND_TRUST};

/// What every signature over a ledger transaction covers:
/// `SHA-256("veil/tx-sign/v1" ‖ 0x00 ‖ version ‖ kind ‖ prefix)`, where
/// `prefix` writes the kind's fields except its signatures.
pub(crate) fn signing_hash(
    kind: u8,
    prefix: impl FnOnce(&mut Writer),
) -> Result<[u8; 32], EncodeError> {
    let mut w = Writer::new();
    w.u8(TX_VERSION);
    w.u8(kind);
    prefix(&mut w);
    Ok(hash256(b"veil/tx-sign/v1", &[&w.finish()?]))
}

/// A transaction identifier: `SHA-256("veil/tx/v1" ‖ 0x00 ‖ encoding)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxHash(pub [u8; 32]);

impl fmt::Debug for TxHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxHash({})", hex::encode(self.0))
    }
}

impl fmt::Display for TxHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// An asset's ticker, named in clear on every transfer: 1 to 16 characters,
/// an upper-case ASCII letter then letters or digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId {
    ticker: String,
    /// `ticker.len()`, fixed at validation (so the encoding is infallible).
    len: u8,
}

impl AssetId {
    /// Validates a ticker.
    pub fn new(s: &str) -> Result<Self, DecodeError> {
        let invalid = |why| DecodeError::Invalid { what: "asset", why };
        codec::check_range("asset length", s.len(), 1, limits::MAX_ASSET_LEN)?;
        let mut chars = s.chars();
        if !chars.next().is_some_and(|c| c.is_ascii_uppercase()) {
            return Err(invalid("must start with an upper-case letter"));
        }
        if !chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
            return Err(invalid("only upper-case letters and digits"));
        }
        let len = u8::try_from(s.len()).map_err(|_| invalid("too long"))?;
        Ok(Self {
            ticker: s.to_owned(),
            len,
        })
    }

    /// The ticker.
    pub fn as_str(&self) -> &str {
        &self.ticker
    }

    /// The canonical encoding, `u8 len ‖ ticker` (cannot fail).
    pub fn to_bytes(&self) -> Vec<u8> {
        [&[self.len][..], self.ticker.as_bytes()].concat()
    }
}

impl Encode for AssetId {
    fn write(&self, w: &mut Writer) {
        w.bytes(&self.to_bytes());
    }
}

impl Decode for AssetId {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let n = r.count_u8("asset length", 1, limits::MAX_ASSET_LEN)?;
        let bytes = r.bytes(n, "asset")?;
        let s = std::str::from_utf8(bytes).map_err(|_| DecodeError::Invalid {
            what: "asset",
            why: "not ASCII",
        })?;
        Self::new(s)
    }
}

impl FromStr for AssetId {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ticker)
    }
}

impl fmt::Debug for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssetId({})", self.ticker)
    }
}

/// What [`Transaction::decode_outputs`] reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputsView {
    /// [`KIND_TRANSFER`] or [`KIND_MINT`].
    pub kind: u8,
    /// The asset.
    pub asset: AssetId,
    /// The public fee (0 for a mint).
    pub fee: u64,
    /// The outputs.
    pub bundle: OutputBundle,
}

/// A transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transaction {
    /// A confidential transfer of one asset.
    Transfer(Transfer),
    /// New confidential outputs created by an asset's issuer.
    Mint(Mint),
    /// A regulator publishes or revokes epoch keys.
    RegulatorKeys(registry::RegulatorKeys),
    /// A served regulator query, recorded.
    Access(access::RegulatorRequest),
    /// A DID operation.
    Did(veil_identity::tx::DidTx),
    /// A trust-list operation of the root authority.
    Trust(veil_identity::tx::TrustTx),
    /// An issuer's credential operation.
    Credential(veil_identity::tx::CredentialTx),
    /// A committee member's proposal, vote or delegation.
    Governance(governance::GovTx),
    /// Who signed the parent block, and equivocation evidence (first in a
    /// block, put there by its proposer; never submitted).
    Commit(governance::liveness::CommitRecord),
    /// An evidence-vault record: enrolment, document version, grant,
    /// revocation, opening or purge.
    Vault(vault::VaultTx),
}

impl Encode for Transaction {
    fn write(&self, w: &mut Writer) {
        let start = w.len();
        w.u8(TX_VERSION);
        match self {
            Self::Transfer(t) => {
                w.u8(KIND_TRANSFER);
                t.write(w);
            }
            Self::Mint(m) => {
                w.u8(KIND_MINT);
                m.write(w);
            }
            Self::RegulatorKeys(k) => {
                w.u8(KIND_REGISTRY);
                k.write(w);
            }
            Self::Access(a) => {
                w.u8(KIND_ACCESS);
                a.write(w);
            }
            Self::Did(d) => {
                w.u8(KIND_DID);
                d.write(w);
            }
            Self::Trust(t) => {
                w.u8(KIND_TRUST);
                t.write(w);
            }
            Self::Credential(c) => {
                w.u8(KIND_CREDENTIAL);
                c.write(w);
            }
            Self::Governance(g) => {
                w.u8(KIND_GOVERNANCE);
                g.write(w);
            }
            Self::Commit(c) => {
                w.u8(KIND_COMMIT);
                c.write(w);
            }
            Self::Vault(v) => {
                w.u8(KIND_VAULT);
                v.write(w);
            }
        }
        w.check("transaction size", w.len() - start, 1, limits::MAX_TX_BYTES);
    }
}

/// What a reader of transactions from outside accepts: the format's limits
/// ([`TxLimits::default`], what consensus enforces) or tighter ones (a
/// gateway that takes only small transactions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLimits {
    /// Largest encoding, in bytes (at most [`limits::MAX_TX_BYTES`]).
    pub max_bytes: usize,
}

impl TxLimits {
    fn max(&self) -> usize {
        self.max_bytes.min(limits::MAX_TX_BYTES)
    }
}

impl Default for TxLimits {
    fn default() -> Self {
        Self {
            max_bytes: limits::MAX_TX_BYTES,
        }
    }
}

impl Decode for Transaction {
    type Cfg = TxLimits;

    /// Refuses an encoding that is not canonical, or longer than the limit
    /// (every part has its own bound, so reading cannot allocate more than
    /// the format allows before this check).
    fn read_cfg(r: &mut Reader<'_>, cfg: &TxLimits) -> Result<Self, DecodeError> {
        let start = r.position();
        let version = r.u8("version")?;
        if version != TX_VERSION {
            return Err(DecodeError::Version(version));
        }
        let tx = match r.u8("kind")? {
            KIND_TRANSFER => Self::Transfer(Transfer::read(r)?),
            KIND_MINT => Self::Mint(Mint::read(r)?),
            KIND_REGISTRY => Self::RegulatorKeys(registry::RegulatorKeys::read(r)?),
            KIND_ACCESS => Self::Access(access::RegulatorRequest::read(r)?),
            KIND_DID => Self::Did(veil_identity::tx::DidTx::read(r)?),
            KIND_TRUST => Self::Trust(veil_identity::tx::TrustTx::read(r)?),
            KIND_CREDENTIAL => Self::Credential(veil_identity::tx::CredentialTx::read(r)?),
            KIND_GOVERNANCE => Self::Governance(governance::GovTx::read(r)?),
            KIND_COMMIT => Self::Commit(governance::liveness::CommitRecord::read(r)?),
            KIND_VAULT => Self::Vault(vault::VaultTx::read(r)?),
            k => return Err(DecodeError::Kind(k)),
        };
        codec::check_range("transaction size", r.position() - start, 1, cfg.max())?;
        Ok(tx)
    }

    /// Refuses anything over the limit before reading a byte.
    fn decode_cfg(bytes: &[u8], cfg: &TxLimits) -> Result<Self, DecodeError> {
        codec::check_range("transaction size", bytes.len(), 1, cfg.max())?;
        let mut r = Reader::new(bytes);
        let tx = Self::read_cfg(&mut r, cfg)?;
        r.finish()?;
        Ok(tx)
    }
}

impl Transaction {
    /// Decodes exactly `bytes` as a transaction under the format's limits.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_cfg(bytes, &TxLimits::default())
    }

    /// Decodes only what a regulator reads: the kind, the asset, the fee
    /// and the output bundle, skipping (but length-checking) inputs and
    /// signatures without decompressing their points. For reading
    /// transactions that validators already verified; never for
    /// validation. `None` for kinds without outputs.
    pub fn decode_outputs(bytes: &[u8]) -> Result<Option<OutputsView>, DecodeError> {
        codec::check_range("transaction size", bytes.len(), 1, limits::MAX_TX_BYTES)?;
        let mut r = Reader::new(bytes);
        let version = r.u8("version")?;
        if version != TX_VERSION {
            return Err(DecodeError::Version(version));
        }
        let view = match r.u8("kind")? {
            KIND_TRANSFER => {
                let asset = AssetId::read(&mut r)?;
                let fee = r.u64("fee")?;
                let n_in = r.count_u8("input count", 1, limits::MAX_INPUTS)?;
                let ring = r.count_u8("ring size", limits::MIN_RING, limits::MAX_RING)?;
                for _ in 0..n_in {
                    for _ in 0..ring {
                        r.varint("ring index")?;
                    }
                    r.bytes(64, "key image and pseudo-output")?;
                }
                let bundle = OutputBundle::read(&mut r)?;
                r.bytes(n_in * (32 + ring * 96), "signatures")?;
                OutputsView {
                    kind: KIND_TRANSFER,
                    asset,
                    fee,
                    bundle,
                }
            }
            KIND_MINT => {
                let asset = AssetId::read(&mut r)?;
                r.bytes(32, "issuer key")?;
                let bundle = OutputBundle::read(&mut r)?;
                r.bytes(64, "issuer signature")?;
                OutputsView {
                    kind: KIND_MINT,
                    asset,
                    fee: 0,
                    bundle,
                }
            }
            KIND_REGISTRY | KIND_ACCESS | KIND_DID | KIND_TRUST | KIND_CREDENTIAL
            | KIND_GOVERNANCE | KIND_COMMIT | KIND_VAULT => return Ok(None),
            k => return Err(DecodeError::Kind(k)),
        };
        r.finish()?;
        Ok(Some(view))
    }

    /// The transaction's identifier (fails only for a value built in
    /// memory that does not fit the format).
    pub fn hash(&self) -> Result<TxHash, EncodeError> {
        Ok(Self::hash_of(&self.encode()?))
    }

    /// The identifier of a transaction's encoding.
    pub fn hash_of(encoding: &[u8]) -> TxHash {
        TxHash(hash256(b"veil/tx/v1", &[encoding]))
    }

    /// The kind's name, as the API reports it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Transfer(_) => "transfer",
            Self::Mint(_) => "mint",
            Self::RegulatorKeys(_) => "regulator-keys",
            Self::Access(_) => "access",
            Self::Did(_) => "did",
            Self::Trust(_) => "trust",
            Self::Credential(_) => "credential",
            Self::Governance(_) => "governance",
            Self::Commit(_) => "commit",
            Self::Vault(_) => "vault",
        }
    }

    /// The outputs the transaction creates, with their asset (transfers and
    /// mints).
    pub fn outputs(&self) -> Option<(&AssetId, &OutputBundle)> {
        match self {
            Self::Transfer(t) => Some((&t.asset, &t.bundle)),
            Self::Mint(m) => Some((&m.asset, &m.bundle)),
            _ => None,
        }
    }

    /// The key images the transaction spends (transfers only).
    pub fn key_images(&self) -> Vec<veil_crypto::clsag::KeyImage> {
        match self {
            Self::Transfer(t) => t.inputs.iter().map(|i| i.key_image).collect(),
            _ => Vec::new(),
        }
    }

    /// Reads the ring members this transaction references (transfers only).
    pub fn resolve_rings(&self, view: &impl LedgerView) -> Result<Rings, TxError> {
        match self {
            Self::Transfer(t) => t.resolve_rings(view),
            _ => Ok(Vec::new()),
        }
    }

    /// The stateless step of the pipeline ([`pipeline::TxHandler`]): every
    /// proof and signature that needs no state beyond the resolved rings.
    pub fn check_stateless(&self, rings: &Rings) -> Result<(), TxError> {
        use pipeline::TxHandler;
        match self {
            Self::Transfer(t) => TxHandler::check_stateless(t, rings),
            Self::Mint(m) => TxHandler::check_stateless(m, rings),
            Self::RegulatorKeys(k) => TxHandler::check_stateless(k, rings),
            Self::Access(a) => TxHandler::check_stateless(a, rings),
            Self::Did(d) => TxHandler::check_stateless(d, rings),
            Self::Trust(t) => TxHandler::check_stateless(t, rings),
            Self::Credential(c) => TxHandler::check_stateless(c, rings),
            Self::Governance(g) => TxHandler::check_stateless(g, rings),
            Self::Commit(c) => TxHandler::check_stateless(c, rings),
            Self::Vault(v) => TxHandler::check_stateless(v, rings),
        }
    }

    /// The stateful step of the pipeline against `state` at block time
    /// `now_ms`: what can change between blocks (key images, one-time
    /// keys, the regulator key in force, issuers, registry sequences,
    /// nonces, identity rules and signatures). On success, the effects of
    /// accepting the transaction, for the ledger to apply.
    pub fn check_stateful<V: pipeline::StateView>(
        &self,
        state: &V,
        now_ms: u64,
    ) -> Result<Vec<pipeline::Effect>, TxError> {
        use pipeline::TxHandler;
        match self {
            Self::Transfer(t) => TxHandler::check_stateful(t, state, now_ms),
            Self::Mint(m) => TxHandler::check_stateful(m, state, now_ms),
            Self::RegulatorKeys(k) => TxHandler::check_stateful(k, state, now_ms),
            Self::Access(a) => TxHandler::check_stateful(a, state, now_ms),
            Self::Did(d) => TxHandler::check_stateful(d, state, now_ms),
            Self::Trust(t) => TxHandler::check_stateful(t, state, now_ms),
            Self::Credential(c) => TxHandler::check_stateful(c, state, now_ms),
            Self::Governance(g) => TxHandler::check_stateful(g, state, now_ms),
            Self::Commit(c) => TxHandler::check_stateful(c, state, now_ms),
            Self::Vault(v) => TxHandler::check_stateful(v, state, now_ms),
        }
    }

    /// Finds and decrypts the outputs paying `view`'s account.
    pub fn scan(&self, view: &veil_crypto::keys::ViewKey) -> Vec<bundle::view::ReceivedOutput> {
        self.outputs()
            .map_or_else(Vec::new, |(asset, b)| b.scan(asset, view))
    }
}
