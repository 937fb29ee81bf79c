//! Typed ledger records and their keys, one encoding each (all integers in
//! keys big-endian so that key order is numeric order).
//!
//! | cf | key | value |
//! |---|---|---|
//! | `outputs` | `len ‖ asset ‖ index_be` | [`OutputRecord`] |
//! | `output_keys` | one-time key | `len ‖ asset ‖ index_be` |
//! | `key_images` | key image | [`SpendRecord`] |
//! | `txs` | tx hash | [`TxLocation`] ‖ transaction bytes |
//! | `assets` | asset id | [`AssetRecord`] |
//! | `regulators` | regulator public key | [`RegulatorRecord`] |
//! | `headers`, `blocks` | `height_be` | header / concatenated tx hashes |
//! | `block_hashes` | block hash | `height_be` |
//! | `meta` | names below | |

use veil_codec::{DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer};
use veil_crypto::commitment::Commitment;
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::signing::VerifyingKey;
use veil_crypto::stealth::{OneTimeKey, ViewTag};
use veil_tx::{AssetId, TxHash};

use super::block::BlockHash;
use super::store::StoreError;

/// `meta` key of the chain tip: `height_be ‖ block hash ‖ state root`.
pub const META_TIP: &[u8] = b"tip";
/// `meta` key of the genesis block hash.
pub const META_GENESIS: &[u8] = b"genesis";
/// `meta` key of the chain identifier.
pub const META_CHAIN: &[u8] = b"chain";
/// `meta` key prefix of per-asset output counters.
pub const META_OUTPUT_COUNT: &[u8] = b"count/";
/// `meta` key of the credential root window (ms, big-endian).
pub const META_ROOT_WINDOW: &[u8] = b"root_window_ms";
/// `meta` key of the height, authenticated in the state tree so that every
/// block changes the state.
pub const META_HEIGHT: &[u8] = b"height";
/// `meta` key of the state format a data directory was written in
/// (`u32_be`, not a leaf of the state tree).
pub const META_STATE_FORMAT: &[u8] = b"state_format";
/// The state format this build writes. 2: outputs keyed in the state tree
/// by asset and index, the one-time-key index out of the tree (1: every
/// tree key hashed, the index in the tree; not recorded).
pub const STATE_FORMAT: u32 = 2;

/// Longest asset name or regulator label.
pub const MAX_LABEL: usize = 128;
/// Most jurisdictions of one regulator identity.
pub const MAX_JURISDICTIONS: usize = 64;

fn corrupt(cf: &'static str) -> impl Fn(DecodeError) -> StoreError {
    move |e| StoreError::Corrupt { cf, source: e }
}

/// `len ‖ asset ‖ index_be`.
pub fn output_key(asset: &AssetId, index: u64) -> Vec<u8> {
    let mut key = asset.to_bytes();
    key.extend_from_slice(&index.to_be_bytes());
    key
}

/// Decodes [`output_key`].
pub fn decode_output_key(bytes: &[u8]) -> Result<(AssetId, u64), StoreError> {
    let mut r = Reader::new(bytes);
    let asset = AssetId::read(&mut r).map_err(corrupt("outputs"))?;
    let index = u64::from_be_bytes(r.array("index").map_err(corrupt("outputs"))?);
    r.finish().map_err(corrupt("outputs"))?;
    Ok((asset, index))
}

/// The `outputs` key prefix of one asset.
pub fn output_prefix(asset: &AssetId) -> Vec<u8> {
    asset.to_bytes()
}

/// `meta` key of an asset's output counter.
pub fn output_count_key(asset: &AssetId) -> Vec<u8> {
    [META_OUTPUT_COUNT, asset.as_str().as_bytes()].concat()
}

/// An output on the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputRecord {
    /// One-time key.
    pub key: OneTimeKey,
    /// Amount commitment (derived from the limbs when stored).
    pub commitment: Commitment,
    /// View tag.
    pub view_tag: ViewTag,
    /// The transaction that created it.
    pub tx: TxHash,
    /// Its position among the transaction's outputs.
    pub position: u8,
    /// The height of the block that created it.
    pub height: u64,
}

impl OutputRecord {
    /// Encodes: `P 32 ‖ C 32 ‖ tag 1 ‖ tx 32 ‖ position 1 ‖ height_be 8`.
    pub fn encode(&self) -> Vec<u8> {
        [
            &self.key.as_bytes()[..],
            self.commitment.as_bytes(),
            &[self.view_tag.0],
            &self.tx.0,
            &[self.position],
            &self.height.to_be_bytes(),
        ]
        .concat()
    }

    /// Decodes (and validates the points).
    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let c = corrupt("outputs");
        let mut r = Reader::new(bytes);
        let rec = Self {
            key: OneTimeKey(r.point("one-time key").map_err(&c)?),
            commitment: Commitment(r.point("commitment").map_err(&c)?),
            view_tag: ViewTag(r.u8("view tag").map_err(&c)?),
            tx: TxHash(r.array("tx").map_err(&c)?),
            position: r.u8("position").map_err(&c)?,
            height: u64::from_be_bytes(r.array("height").map_err(&c)?),
        };
        r.finish().map_err(&c)?;
        Ok(rec)
    }
}

/// Where a key image was spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpendRecord {
    /// The spending transaction.
    pub tx: TxHash,
    /// Its block height.
    pub height: u64,
}

impl SpendRecord {
    /// `tx 32 ‖ height_be 8`.
    pub fn encode(&self) -> Vec<u8> {
        [&self.tx.0[..], &self.height.to_be_bytes()].concat()
    }

    /// Decodes.
    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let c = corrupt("key_images");
        let mut r = Reader::new(bytes);
        let rec = Self {
            tx: TxHash(r.array("tx").map_err(&c)?),
            height: u64::from_be_bytes(r.array("height").map_err(&c)?),
        };
        r.finish().map_err(&c)?;
        Ok(rec)
    }
}

/// Where a transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub position: u32,
}

impl TxLocation {
    /// `height_be 8 ‖ position_be 4`.
    pub fn encode(&self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..8].copy_from_slice(&self.height.to_be_bytes());
        out[8..].copy_from_slice(&self.position.to_be_bytes());
        out
    }

    /// Decodes the first 12 bytes; returns the rest.
    pub fn decode(bytes: &[u8]) -> Result<(Self, &[u8]), StoreError> {
        let c = corrupt("txs");
        let mut r = Reader::new(bytes);
        let loc = Self {
            height: u64::from_be_bytes(r.array("height").map_err(&c)?),
            position: u32::from_be_bytes(r.array("position").map_err(&c)?),
        };
        let rest = r.bytes(r.remaining(), "tx").map_err(&c)?;
        Ok((loc, rest))
    }
}

/// A registered asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetRecord {
    /// The issuer allowed to mint it.
    pub issuer: VerifyingKey,
    /// Decimal places of the display unit (amounts are in minor units).
    pub decimals: u8,
    /// Human-readable name.
    pub name: String,
}

impl AssetRecord {
    /// `issuer 32 ‖ decimals u8 ‖ name (u16 len ‖ UTF-8, ≤ 128)`.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer::new();
        w.bytes(self.issuer.as_bytes());
        w.u8(self.decimals);
        w.bytes_u16("name", self.name.as_bytes(), 0, MAX_LABEL);
        w.finish()
    }

    /// Decodes.
    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let c = corrupt("assets");
        let mut r = Reader::new(bytes);
        let issuer = VerifyingKey::from_bytes(&r.array("issuer").map_err(&c)?).map_err(|_| {
            StoreError::Corrupt {
                cf: "assets",
                source: veil_codec::DecodeError::Invalid {
                    what: "issuer key",
                    why: "malformed",
                },
            }
        })?;
        let decimals = r.u8("decimals").map_err(&c)?;
        let name = String::from_utf8(r.bytes_u16("name", 0, MAX_LABEL).map_err(&c)?.to_vec())
            .map_err(|_| StoreError::Corrupt {
                cf: "assets",
                source: veil_codec::DecodeError::Invalid {
                    what: "name not UTF-8",
                    why: "malformed",
                },
            })?;
        r.finish().map_err(&c)?;
        Ok(Self {
            issuer,
            decimals,
            name,
        })
    }
}

/// A registered regulator key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegulatorRecord {
    /// Who holds it.
    pub label: String,
    /// Whether transfers may be encrypted to it.
    pub active: bool,
}

impl RegulatorRecord {
    /// `active u8 ‖ label (u16 len ‖ UTF-8, ≤ 128)`.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer::new();
        w.u8(u8::from(self.active));
        w.bytes_u16("label", self.label.as_bytes(), 0, MAX_LABEL);
        w.finish()
    }

    /// Decodes.
    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let c = corrupt("regulators");
        let mut r = Reader::new(bytes);
        let active = r.u8("active").map_err(&c)? == 1;
        let label = String::from_utf8(r.bytes_u16("label", 0, MAX_LABEL).map_err(&c)?.to_vec())
            .map_err(|_| StoreError::Corrupt {
                cf: "regulators",
                source: veil_codec::DecodeError::Invalid {
                    what: "label not UTF-8",
                    why: "malformed",
                },
            })?;
        r.finish().map_err(&c)?;
        Ok(Self { label, active })
    }
}

/// The chain tip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tip {
    /// Height of the last block.
    pub height: u64,
    /// Its hash.
    pub hash: BlockHash,
    /// The state root after it.
    pub state_root: [u8; 32],
}

impl Tip {
    /// `height_be ‖ hash ‖ root`.
    pub fn encode(&self) -> Vec<u8> {
        [
            &self.height.to_be_bytes()[..],
            &self.hash.0,
            &self.state_root,
        ]
        .concat()
    }

    /// Decodes.
    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let c = corrupt("meta");
        let mut r = Reader::new(bytes);
        let t = Self {
            height: u64::from_be_bytes(r.array("height").map_err(&c)?),
            hash: BlockHash(r.array("hash").map_err(&c)?),
            state_root: r.array("root").map_err(&c)?,
        };
        r.finish().map_err(&c)?;
        Ok(t)
    }
}

/// Regulator key bytes as a `regulators` key.
pub fn regulator_key(key: &RegulatorPublicKey) -> Vec<u8> {
    key.as_bytes().to_vec()
}

/// `meta` key of the epoch length (blocks per epoch).
pub const META_EPOCH_LENGTH: &[u8] = b"epoch_length";
/// `meta` key of the grace (epochs a previous epoch's key stays accepted).
pub const META_GRACE: &[u8] = b"grace_epochs";
/// `meta` key of the jurisdiction whose keys transfers encrypt to.
pub const META_TRANSFER_JURISDICTION: &[u8] = b"transfer_jurisdiction";

/// `regulators` key of a slot: `jurisdiction ‖ 0x00 ‖ epoch_be ‖ version_be`.
pub fn slot_key(j: &veil_tx::registry::Jurisdiction, slot: veil_tx::registry::Slot) -> Vec<u8> {
    [
        j.as_str().as_bytes(),
        &[0],
        &slot.epoch.to_be_bytes(),
        &slot.version.to_be_bytes(),
    ]
    .concat()
}

/// Decodes [`slot_key`].
pub fn decode_slot_key(
    bytes: &[u8],
) -> Result<(veil_tx::registry::Jurisdiction, veil_tx::registry::Slot), StoreError> {
    let bad = || StoreError::Corrupt {
        cf: "regulators",
        source: veil_codec::DecodeError::Invalid {
            what: "slot key",
            why: "malformed",
        },
    };
    let zero = bytes.iter().position(|b| *b == 0).ok_or_else(bad)?;
    let j = veil_tx::registry::Jurisdiction::new(
        std::str::from_utf8(&bytes[..zero]).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let rest = &bytes[zero + 1..];
    if rest.len() != 12 {
        return Err(bad());
    }
    let epoch = u64::from_be_bytes(rest[..8].try_into().map_err(|_| bad())?);
    let version = u32::from_be_bytes(rest[8..].try_into().map_err(|_| bad())?);
    Ok((j, veil_tx::registry::Slot { epoch, version }))
}

/// `PK 32 ‖ active u8`.
pub fn encode_key_record(r: &veil_tx::registry::KeyRecord) -> Vec<u8> {
    [&r.key.as_bytes()[..], &[u8::from(r.active)]].concat()
}

/// Decodes [`encode_key_record`].
pub fn decode_key_record(bytes: &[u8]) -> Result<veil_tx::registry::KeyRecord, StoreError> {
    let bad = || StoreError::Corrupt {
        cf: "regulators",
        source: veil_codec::DecodeError::Invalid {
            what: "key record",
            why: "malformed",
        },
    };
    if bytes.len() != 33 {
        return Err(bad());
    }
    let key = RegulatorPublicKey::from_bytes(&bytes[..32].try_into().map_err(|_| bad())?)
        .map_err(|_| bad())?;
    Ok(veil_tx::registry::KeyRecord {
        key,
        active: bytes[32] == 1,
    })
}

/// `label (u16 len) ‖ n u8 ‖ n × jurisdiction ‖ sequence u64`.
pub fn encode_identity(r: &veil_tx::registry::IdentityRecord) -> Result<Vec<u8>, EncodeError> {
    let mut w = Writer::new();
    w.bytes_u16("label", r.label.as_bytes(), 0, MAX_LABEL);
    w.count_u8("jurisdictions", r.jurisdictions.len(), 0, MAX_JURISDICTIONS);
    for j in &r.jurisdictions {
        j.write(&mut w);
    }
    w.u64(r.sequence);
    w.finish()
}

/// Decodes [`encode_identity`].
pub fn decode_identity(bytes: &[u8]) -> Result<veil_tx::registry::IdentityRecord, StoreError> {
    let c = corrupt("regulator_identities");
    let mut r = Reader::new(bytes);
    let label = String::from_utf8(r.bytes_u16("label", 0, MAX_LABEL).map_err(&c)?.to_vec())
        .map_err(|_| StoreError::Corrupt {
            cf: "regulator_identities",
            source: veil_codec::DecodeError::Invalid {
                what: "label",
                why: "malformed",
            },
        })?;
    let n = r
        .count_u8("jurisdictions", 0, MAX_JURISDICTIONS)
        .map_err(&c)?;
    let mut jurisdictions = Vec::with_capacity(n);
    for _ in 0..n {
        jurisdictions.push(veil_tx::registry::Jurisdiction::read(&mut r).map_err(&c)?);
    }
    let sequence = r.u64("sequence").map_err(&c)?;
    r.finish().map_err(&c)?;
    Ok(veil_tx::registry::IdentityRecord {
        label,
        jurisdictions,
        sequence,
    })
}
