//! Vault state: records of the ledger's `vault` column family (all in the
//! state tree).
//!
//! | key | value |
//! |---|---|
//! | `p` ‖ party (32) | [`PartyRecord`]: the enrolled address |
//! | `a` ‖ address digest (32) | party (32) |
//! | `q` ‖ party (32) | [`DidPartyRecord`]: the enrolled DID |
//! | `i` ‖ DID (20) | party (32) |
//! | `d` ‖ doc (32) | [`DocRecord`] |
//! | `v` ‖ doc ‖ version_be32 | [`VersionRecord`] |
//! | `w` ‖ doc ‖ version_be32 ‖ party | the party's wrap (81: kind ‖ 80) |
//! | `o` ‖ owner ‖ doc | `01` (an owner's documents) |
//! | `n` ‖ actor ‖ nonce (16) | `01` (used nonces) |

use veil_crypto::keys::{Address, AddressBytes};
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::signing::VerifyingKey;
use veil_identity::did::Fragment;
use veil_identity::DidId;
use veil_vault::{PartyWrap, WrappedKey};

use super::{key, DocId, VaultState, VaultTxError, MAX_METADATA};
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, Reader, Writer};

/// Most parties holding a wrap of one version (and grantees of a
/// document).
pub const MAX_HOLDERS: usize = 255;

/// `p ‖ party`.
pub fn party_key(party: &VerifyingKey) -> Vec<u8> {
    [&b"p"[..], party.as_bytes()].concat()
}

/// `a ‖ address digest`.
pub fn address_key(address: &Address) -> Vec<u8> {
    [&b"a"[..], &AddressBytes(address.to_bytes()).digest()].concat()
}

/// `q ‖ party`.
pub fn did_party_key(party: &VerifyingKey) -> Vec<u8> {
    [&b"q"[..], party.as_bytes()].concat()
}

/// `i ‖ DID`.
pub fn did_key(did: &DidId) -> Vec<u8> {
    [&b"i"[..], did.as_bytes()].concat()
}

/// `d ‖ doc`.
pub fn doc_key(doc: &DocId) -> Vec<u8> {
    [&b"d"[..], doc].concat()
}

/// `v ‖ doc ‖ version`.
pub fn version_key(doc: &DocId, version: u32) -> Vec<u8> {
    [&b"v"[..], doc, &version.to_be_bytes()].concat()
}

/// `w ‖ doc ‖ version ‖ party`.
pub fn wrap_key(doc: &DocId, version: u32, party: &VerifyingKey) -> Vec<u8> {
    [&b"w"[..], doc, &version.to_be_bytes(), party.as_bytes()].concat()
}

/// `o ‖ owner ‖ doc`.
pub fn owner_key(owner: &VerifyingKey, doc: &DocId) -> Vec<u8> {
    [&b"o"[..], owner.as_bytes(), doc].concat()
}

/// `n ‖ actor ‖ nonce`.
pub fn nonce_key(actor: &VerifyingKey, nonce: &[u8; 16]) -> Vec<u8> {
    [&b"n"[..], actor.as_bytes(), nonce].concat()
}

/// An enrolled party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyRecord {
    /// Its wallet address (documents are wrapped to its view key).
    pub address: Address,
}

impl Encode for PartyRecord {
    fn write(&self, w: &mut Writer) {
        w.bytes(&self.address.to_bytes());
    }
}

impl Decode for PartyRecord {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(Self {
            address: Address::from_bytes(&r.array("address")?).map_err(|_| {
                DecodeError::Invalid {
                    what: "address",
                    why: "not a valid address",
                }
            })?,
        })
    }
}

/// A party enrolled by its DID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidPartyRecord {
    /// The DID.
    pub did: DidId,
    /// The authentication method whose key is the party.
    pub authentication: Fragment,
    /// The X25519 key-agreement method documents are wrapped to.
    pub agreement: Fragment,
}

impl Encode for DidPartyRecord {
    fn write(&self, w: &mut Writer) {
        self.did.write(w);
        self.authentication.write(w);
        self.agreement.write(w);
    }
}

impl Decode for DidPartyRecord {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(Self {
            did: DidId::read(r)?,
            authentication: Fragment::read(r)?,
            agreement: Fragment::read(r)?,
        })
    }
}

/// An enrolled party of either kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enrolled {
    /// A wallet party: wrapped to its view key.
    Wallet(Box<PartyRecord>),
    /// A DID party: wrapped to its DID's key-agreement key.
    Did(DidPartyRecord),
}

impl Enrolled {
    /// Whether `wrap` is of the kind this party opens.
    pub fn opens(&self, wrap: &PartyWrap) -> bool {
        matches!(
            (self, wrap),
            (Self::Wallet(_), PartyWrap::View(_)) | (Self::Did(_), PartyWrap::Agreement(_))
        )
    }
}

/// A document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocRecord {
    /// Its owner.
    pub owner: VerifyingKey,
    /// The latest version.
    pub latest: u32,
    /// Whether it was purged (a tombstone).
    pub purged: bool,
    /// Parties that may open it (besides the owner and the regulator).
    pub grantees: Vec<VerifyingKey>,
}

impl Encode for DocRecord {
    fn write(&self, w: &mut Writer) {
        w.bytes(self.owner.as_bytes());
        w.u32(self.latest);
        w.u8(u8::from(self.purged));
        w.count_u8("grantees", self.grantees.len(), 0, MAX_HOLDERS);
        for g in &self.grantees {
            w.bytes(g.as_bytes());
        }
    }
}

impl Decode for DocRecord {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let owner = key(r, "owner")?;
        let latest = r.u32("latest")?;
        let purged = match r.u8("purged")? {
            0 => false,
            1 => true,
            _ => {
                return Err(DecodeError::Invalid {
                    what: "purged",
                    why: "must be 0 or 1",
                })
            }
        };
        let n = r.count_u8("grantees", 0, MAX_HOLDERS)?;
        let grantees = (0..n)
            .map(|_| key(r, "grantee"))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            owner,
            latest,
            purged,
            grantees,
        })
    }
}

/// A document version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRecord {
    /// Content address.
    pub address: [u8; 32],
    /// Ciphertext bytes.
    pub size: u64,
    /// Chunks.
    pub chunks: u32,
    /// The regulator key it is wrapped to.
    pub regulator_key: RegulatorPublicKey,
    /// The regulator's wrap.
    pub regulator_wrap: WrappedKey,
    /// The capability key.
    pub capability: VerifyingKey,
    /// Parties holding a wrap (the owner first).
    pub holders: Vec<VerifyingKey>,
    /// Sealed metadata.
    pub metadata: Vec<u8>,
}

impl Encode for VersionRecord {
    fn write(&self, w: &mut Writer) {
        w.bytes(&self.address);
        w.u64(self.size);
        w.u32(self.chunks);
        w.point(self.regulator_key.as_point());
        self.regulator_wrap.write(w);
        w.bytes(self.capability.as_bytes());
        w.count_u8("holders", self.holders.len(), 1, MAX_HOLDERS);
        for h in &self.holders {
            w.bytes(h.as_bytes());
        }
        w.bytes_u16("metadata", &self.metadata, 0, MAX_METADATA);
    }
}

impl Decode for VersionRecord {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let address = r.array("content address")?;
        let size = r.u64("size")?;
        let chunks = r.u32("chunks")?;
        let regulator_key = RegulatorPublicKey(r.point_non_identity("regulator key")?);
        let regulator_wrap = WrappedKey::read(r)?;
        let capability = key(r, "capability key")?;
        let n = r.count_u8("holders", 1, MAX_HOLDERS)?;
        let holders = (0..n).map(|_| key(r, "holder")).collect::<Result<_, _>>()?;
        let metadata = r.bytes_u16("metadata", 0, MAX_METADATA)?.to_vec();
        Ok(Self {
            address,
            size,
            chunks,
            regulator_key,
            regulator_wrap,
            capability,
            holders,
            metadata,
        })
    }
}

fn load<T: Decode<Cfg = ()>>(
    state: &impl VaultState,
    key: &[u8],
    what: &'static str,
) -> Result<Option<T>, VaultTxError> {
    state
        .vault_record(key)
        .map(|b| T::decode(&b).map_err(|_| VaultTxError::Corrupt(what)))
        .transpose()
}

/// An enrolled party's record.
pub fn party(
    state: &impl VaultState,
    party: &VerifyingKey,
) -> Result<Option<PartyRecord>, VaultTxError> {
    load(state, &party_key(party), "party")
}

/// An enrolled DID party's record.
pub fn did_party(
    state: &impl VaultState,
    party: &VerifyingKey,
) -> Result<Option<DidPartyRecord>, VaultTxError> {
    load(state, &did_party_key(party), "DID party")
}

/// An enrolled party of either kind.
pub fn enrolled(
    state: &impl VaultState,
    key: &VerifyingKey,
) -> Result<Option<Enrolled>, VaultTxError> {
    if let Some(p) = party(state, key)? {
        return Ok(Some(Enrolled::Wallet(Box::new(p))));
    }
    Ok(did_party(state, key)?.map(Enrolled::Did))
}

/// The party enrolled with `did`.
pub fn party_of_did(state: &impl VaultState, did: &DidId) -> Option<VerifyingKey> {
    let b = state.vault_record(&did_key(did))?;
    VerifyingKey::from_bytes(&b.try_into().ok()?).ok()
}

/// The party enrolled with `address`.
pub fn party_of_address(state: &impl VaultState, address: &Address) -> Option<VerifyingKey> {
    let b = state.vault_record(&address_key(address))?;
    VerifyingKey::from_bytes(&b.try_into().ok()?).ok()
}

/// A document's record.
pub fn doc(state: &impl VaultState, doc: &DocId) -> Result<Option<DocRecord>, VaultTxError> {
    load(state, &doc_key(doc), "document")
}

/// A version's record.
pub fn version(
    state: &impl VaultState,
    doc: &DocId,
    version: u32,
) -> Result<Option<VersionRecord>, VaultTxError> {
    load(state, &version_key(doc, version), "version")
}

/// A party's wrap of a version.
pub fn wrap(
    state: &impl VaultState,
    doc: &DocId,
    version: u32,
    party: &VerifyingKey,
) -> Result<Option<PartyWrap>, VaultTxError> {
    load(state, &wrap_key(doc, version, party), "wrap")
}
