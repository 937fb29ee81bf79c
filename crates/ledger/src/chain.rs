//! The ledger: committed state behind a [`Store`], the chain tip, typed
//! reads, a cache of decoded ring members, and atomic block commits.

use std::sync::{Arc, RwLock};

use quick_cache::sync::Cache;

use veil_crypto::clsag::{KeyImage, RingMember};
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::signing::VerifyingKey;
use veil_crypto::stealth::OneTimeKey;
use veil_tx::registry::{IdentityRecord, Jurisdiction, KeyRecord, Slot};
use veil_tx::{AssetId, LedgerView, Transaction, TxHash};

use super::block::{BlockHash, Header};
use super::execute::ExecutedBlock;
use super::records::{
    decode_identity, decode_key_record, decode_output_key, decode_slot_key, output_count_key,
    output_key, output_prefix, slot_key, AssetRecord, OutputRecord, SpendRecord, Tip, TxLocation,
    META_CHAIN, META_EPOCH_LENGTH, META_GENESIS, META_GRACE, META_STATE_FORMAT, META_TIP,
    META_TRANSFER_JURISDICTION, STATE_FORMAT,
};
use super::store::{Cf, Store, StoreError, WriteSet};
use super::tree;

/// Blocks per epoch when genesis does not say.
pub const DEFAULT_EPOCH_LENGTH: u64 = 10_000;

/// Chain parameters fixed at genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainParams {
    /// Blocks per regulator-key epoch.
    pub epoch_length: u64,
    /// Epochs a key stays accepted after its own (0 or more).
    pub grace_epochs: u64,
    /// The jurisdiction whose keys transfers encrypt to.
    pub transfer_jurisdiction: Option<Jurisdiction>,
    /// How long (ms) a replaced issuer-tree root stays acceptable in
    /// credential presentations.
    pub root_window_ms: u64,
}

/// The root window when genesis does not say: 10 minutes.
pub const DEFAULT_ROOT_WINDOW_MS: u64 = 600_000;

/// Whether `key` may be used by a transfer in the block at `height`: it is
/// an active key of the transfer jurisdiction, for the block's epoch or (up
/// to the grace) an earlier one.
pub fn key_in_force(
    view: &impl LedgerView,
    p: &ChainParams,
    key: &RegulatorPublicKey,
    height: u64,
) -> bool {
    let Some((j, slot)) = view.regulator_key_info(key) else {
        return false;
    };
    if p.transfer_jurisdiction.as_ref() != Some(&j) {
        return false;
    }
    let cur = height / p.epoch_length.max(1);
    slot.epoch <= cur
        && slot.epoch + p.grace_epochs >= cur
        && view
            .regulator_key_slot(&j, slot)
            .is_some_and(|r| r.active && r.key == *key)
}

/// Ring members kept decoded (points decompressed, `H_p(P)` computed).
const RING_CACHE_ENTRIES: usize = 1 << 20;

/// A committed block with its transactions.
#[derive(Clone, Debug)]
pub struct StoredBlock {
    /// Header.
    pub header: Header,
    /// Transactions in block order.
    pub txs: Vec<Transaction>,
}

/// A record (or its absence) with its proof, at a tip.
pub type StateProof = (
    Tip,
    Option<Vec<u8>>,
    jmt::proof::SparseMerkleProof<sha2::Sha256>,
);

/// The committed ledger.
pub struct Ledger {
    store: Arc<dyn Store>,
    tip: RwLock<Option<Tip>>,
    ring_cache: Cache<(AssetId, u64), RingMember>,
    params: std::sync::OnceLock<ChainParams>,
}

fn log_and<T>(default: T) -> impl FnOnce(StoreError) -> T {
    move |e| {
        tracing::error!(error = %e, "ledger read failed; treating as refusal");
        default
    }
}

impl Ledger {
    /// Opens the ledger in `store` (which may be empty: see
    /// [`Ledger::has_genesis`]).
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let tip = store
            .get(Cf::Meta, META_TIP)?
            .map(|b| Tip::decode(&b))
            .transpose()?;
        let format = store
            .get(Cf::Meta, META_STATE_FORMAT)?
            .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
            .map(u32::from_be_bytes);
        match (tip, format) {
            (_, Some(STATE_FORMAT)) => {}
            (None, None) => {
                let mut w = WriteSet::new();
                w.put(Cf::Meta, META_STATE_FORMAT, STATE_FORMAT.to_be_bytes());
                store.write_durable(w)?;
            }
            (_, found) => {
                return Err(StoreError::StateFormat {
                    found: found.unwrap_or(1),
                    expected: STATE_FORMAT,
                })
            }
        }
        Ok(Self {
            store,
            tip: RwLock::new(tip),
            ring_cache: Cache::new(RING_CACHE_ENTRIES),
            params: std::sync::OnceLock::new(),
        })
    }

    /// The underlying store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Whether a genesis block was committed.
    pub fn has_genesis(&self) -> bool {
        self.tip_opt().is_some()
    }

    fn tip_opt(&self) -> Option<Tip> {
        *self
            .tip
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The chain tip (genesis must exist).
    pub fn tip(&self) -> Tip {
        self.tip_opt().unwrap_or(Tip {
            height: 0,
            hash: BlockHash::default(),
            state_root: [0; 32],
        })
    }

    /// The chain identifier.
    pub fn chain_id(&self) -> Result<String, StoreError> {
        Ok(self
            .store
            .get(Cf::Meta, META_CHAIN)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default())
    }

    /// The genesis block hash.
    pub fn genesis_hash(&self) -> Result<Option<BlockHash>, StoreError> {
        Ok(self
            .store
            .get(Cf::Meta, META_GENESIS)?
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .map(BlockHash))
    }

    /// The header at `height`.
    pub fn header(&self, height: u64) -> Result<Option<Header>, StoreError> {
        self.store
            .get(Cf::Headers, &height.to_be_bytes())?
            .map(|b| {
                Header::decode(&b).map_err(|e| StoreError::Corrupt {
                    cf: "headers",
                    source: e,
                })
            })
            .transpose()
    }

    /// The height of the block with `hash`.
    pub fn height_of(&self, hash: &BlockHash) -> Result<Option<u64>, StoreError> {
        Ok(self
            .store
            .get(Cf::BlockHashes, &hash.0)?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_be_bytes))
    }

    /// The transaction hashes of the block at `height`.
    pub fn block_tx_hashes(&self, height: u64) -> Result<Option<Vec<TxHash>>, StoreError> {
        Ok(self.store.get(Cf::Blocks, &height.to_be_bytes())?.map(|b| {
            b.chunks_exact(32)
                .map(|c| TxHash(c.try_into().unwrap_or([0; 32])))
                .collect()
        }))
    }

    /// The block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<StoredBlock>, StoreError> {
        let Some(header) = self.header(height)? else {
            return Ok(None);
        };
        let hashes = self.block_tx_hashes(height)?.unwrap_or_default();
        let mut txs = Vec::with_capacity(hashes.len());
        for h in hashes {
            let (tx, _) = self
                .tx(&h)?
                .ok_or(StoreError::MissingTx { height, tx: h })?;
            txs.push(tx);
        }
        Ok(Some(StoredBlock { header, txs }))
    }

    /// A committed transaction and where it is.
    pub fn tx(&self, hash: &TxHash) -> Result<Option<(Transaction, TxLocation)>, StoreError> {
        let Some(bytes) = self.store.get(Cf::Txs, &hash.0)? else {
            return Ok(None);
        };
        let (loc, body) = TxLocation::decode(&bytes)?;
        let tx = Transaction::decode(body).map_err(|e| StoreError::Corrupt {
            cf: "txs",
            source: e,
        })?;
        Ok(Some((tx, loc)))
    }

    /// Where a committed transaction is.
    pub fn tx_location(&self, hash: &TxHash) -> Result<Option<TxLocation>, StoreError> {
        Ok(match self.store.get(Cf::Txs, &hash.0)? {
            None => None,
            Some(b) => Some(TxLocation::decode(&b)?.0),
        })
    }

    /// An output's record.
    pub fn output_record(
        &self,
        asset: &AssetId,
        index: u64,
    ) -> Result<Option<OutputRecord>, StoreError> {
        self.store
            .get(Cf::Outputs, &output_key(asset, index))?
            .map(|b| OutputRecord::decode(&b))
            .transpose()
    }

    /// The asset and global index of the output with one-time key `key`.
    pub fn output_location(&self, key: &OneTimeKey) -> Result<Option<(AssetId, u64)>, StoreError> {
        self.store
            .get(Cf::OutputKeys, key.as_bytes())?
            .map(|b| decode_output_key(&b))
            .transpose()
    }

    /// Up to `limit` outputs of `asset` from global index `from`.
    pub fn outputs(
        &self,
        asset: &AssetId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<(u64, OutputRecord)>, StoreError> {
        self.store
            .scan(
                Cf::Outputs,
                &output_prefix(asset),
                &output_key(asset, from),
                limit,
            )?
            .into_iter()
            .map(|(k, v)| Ok((decode_output_key(&k)?.1, OutputRecord::decode(&v)?)))
            .collect()
    }

    /// Number of outputs of `asset`.
    pub fn output_count(&self, asset: &AssetId) -> Result<u64, StoreError> {
        Ok(self
            .store
            .get(Cf::Meta, &output_count_key(asset))?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// Where a key image was spent.
    pub fn spend(&self, image: &KeyImage) -> Result<Option<SpendRecord>, StoreError> {
        self.store
            .get(Cf::KeyImages, image.as_bytes())?
            .map(|b| SpendRecord::decode(&b))
            .transpose()
    }

    /// Every registered asset.
    pub fn assets(&self) -> Result<Vec<(AssetId, AssetRecord)>, StoreError> {
        self.store
            .scan(Cf::Assets, b"", b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| {
                let id = AssetId::new(&String::from_utf8_lossy(&k)).map_err(|e| {
                    StoreError::Corrupt {
                        cf: "assets",
                        source: e,
                    }
                })?;
                Ok((id, AssetRecord::decode(&v)?))
            })
            .collect()
    }

    /// One asset.
    pub fn asset(&self, id: &AssetId) -> Result<Option<AssetRecord>, StoreError> {
        self.store
            .get(Cf::Assets, id.as_str().as_bytes())?
            .map(|b| AssetRecord::decode(&b))
            .transpose()
    }

    /// Chain parameters set at genesis (read once, then cached).
    pub fn params(&self) -> Result<ChainParams, StoreError> {
        if let Some(p) = self.params.get() {
            return Ok(p.clone());
        }
        let p = self.read_params()?;
        if self.has_genesis() {
            let _ = self.params.set(p.clone());
        }
        Ok(p)
    }

    fn read_params(&self) -> Result<ChainParams, StoreError> {
        let u64_at = |k: &[u8]| -> Result<Option<u64>, StoreError> {
            Ok(self
                .store
                .get(Cf::Meta, k)?
                .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                .map(u64::from_be_bytes))
        };
        let transfer_jurisdiction = match self.store.get(Cf::Meta, META_TRANSFER_JURISDICTION)? {
            Some(b) => Some(
                Jurisdiction::new(&String::from_utf8_lossy(&b)).map_err(|e| {
                    StoreError::Corrupt {
                        cf: "meta",
                        source: e,
                    }
                })?,
            ),
            None => None,
        };
        Ok(ChainParams {
            epoch_length: u64_at(META_EPOCH_LENGTH)?
                .unwrap_or(DEFAULT_EPOCH_LENGTH)
                .max(1),
            grace_epochs: u64_at(META_GRACE)?.unwrap_or(1),
            transfer_jurisdiction,
            root_window_ms: u64_at(super::records::META_ROOT_WINDOW)?
                .unwrap_or(DEFAULT_ROOT_WINDOW_MS),
        })
    }

    /// Every published regulator key: jurisdiction, slot, record.
    pub fn regulator_keys(&self) -> Result<Vec<(Jurisdiction, Slot, KeyRecord)>, StoreError> {
        self.store
            .scan(Cf::Regulators, b"", b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| {
                let (j, slot) = decode_slot_key(&k)?;
                Ok((j, slot, decode_key_record(&v)?))
            })
            .collect()
    }

    /// The keys in force for transfers in the block at `height`, newest
    /// epoch first.
    pub fn keys_in_force(
        &self,
        height: u64,
    ) -> Result<Vec<(Slot, RegulatorPublicKey)>, StoreError> {
        let p = self.params()?;
        let Some(j) = p.transfer_jurisdiction.as_ref() else {
            return Ok(Vec::new());
        };
        let cur = height / p.epoch_length;
        let mut out: Vec<(Slot, RegulatorPublicKey)> = self
            .regulator_keys()?
            .into_iter()
            .filter(|(jj, s, r)| {
                jj == j && r.active && s.epoch <= cur && s.epoch + p.grace_epochs >= cur
            })
            .map(|(_, s, r)| (s, r.key))
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.0));
        Ok(out)
    }

    /// Every regulator identity.
    pub fn regulator_identities(&self) -> Result<Vec<(VerifyingKey, IdentityRecord)>, StoreError> {
        self.store
            .scan(Cf::RegulatorIdentities, b"", b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| {
                let id = <[u8; 32]>::try_from(k.as_slice())
                    .ok()
                    .and_then(|b| VerifyingKey::from_bytes(&b).ok())
                    .ok_or(StoreError::Corrupt {
                        cf: "regulator_identities",
                        source: veil_codec::DecodeError::Invalid {
                            what: "key",
                            why: "malformed",
                        },
                    })?;
                Ok((id, decode_identity(&v)?))
            })
            .collect()
    }

    /// The participant directory: name → address digest.
    pub fn participants(&self) -> Result<Vec<(String, [u8; 32])>, StoreError> {
        self.store
            .scan(Cf::Participants, b"", b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| {
                let digest =
                    <[u8; 32]>::try_from(v.as_slice()).map_err(|_| StoreError::Corrupt {
                        cf: "participants",
                        source: veil_codec::DecodeError::Invalid {
                            what: "digest",
                            why: "malformed",
                        },
                    })?;
                Ok((String::from_utf8_lossy(&k).into_owned(), digest))
            })
            .collect()
    }

    /// Validators and observers: node key and voting power (0 = observer).
    pub fn validators(&self) -> Result<Vec<([u8; 32], u64)>, StoreError> {
        self.store
            .scan(Cf::Validators, b"", b"", 4_096)?
            .into_iter()
            .map(|(k, v)| {
                let corrupt = || StoreError::Corrupt {
                    cf: "validators",
                    source: veil_codec::DecodeError::Invalid {
                        what: "record",
                        why: "malformed",
                    },
                };
                let key = <[u8; 32]>::try_from(k.as_slice()).map_err(|_| corrupt())?;
                let power = <[u8; 8]>::try_from(v.as_slice()).map_err(|_| corrupt())?;
                Ok((key, u64::from_be_bytes(power)))
            })
            .collect()
    }

    /// Access records committed in `from..=to`: (height, position, tx hash).
    pub fn audit_log(
        &self,
        from: u64,
        to: u64,
        limit: usize,
    ) -> Result<Vec<(u64, u32, TxHash)>, StoreError> {
        let mut out = Vec::new();
        for (k, v) in self
            .store
            .scan(Cf::AuditIndex, b"", &from.to_be_bytes(), limit)?
        {
            let bad = || StoreError::Corrupt {
                cf: "audit_index",
                source: veil_codec::DecodeError::Invalid {
                    what: "entry",
                    why: "malformed",
                },
            };
            let height =
                u64::from_be_bytes(k.get(..8).and_then(|b| b.try_into().ok()).ok_or_else(bad)?);
            if height > to {
                break;
            }
            let position = u32::from_be_bytes(
                k.get(8..12)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(bad)?,
            );
            out.push((
                height,
                position,
                TxHash(v.as_slice().try_into().map_err(|_| bad())?),
            ));
        }
        Ok(out)
    }

    /// Served regulator requests not yet committed (the durable journal).
    pub fn audit_journal(&self) -> Result<Vec<Transaction>, StoreError> {
        self.store
            .scan(Cf::AuditJournal, b"", b"", usize::MAX)?
            .into_iter()
            .map(|(_, v)| {
                Transaction::decode(&v).map_err(|e| StoreError::Corrupt {
                    cf: "audit_journal",
                    source: e,
                })
            })
            .collect()
    }

    /// The validator set that decided (or decides) block `height`, as the
    /// state after block `height − 1` recorded it, with that block's state
    /// root. `None` for height 0, beyond the next block, or where no set
    /// was recorded (a chain without validators).
    pub fn validator_set_at(
        &self,
        height: u64,
    ) -> Result<Option<(veil_tx::governance::rules::Powers, [u8; 32])>, StoreError> {
        if height == 0 || height > self.tip().height + 1 {
            return Ok(None);
        }
        let Some(header) = self.header(height - 1)? else {
            return Ok(None);
        };
        let (value, _) = tree::validator_set_proof(self.store.as_ref(), height - 1)?;
        value
            .map(|v| {
                veil_tx::governance::rules::decode_powers(&v)
                    .map(|set| (set, header.state_root))
                    .map_err(|source| StoreError::Corrupt {
                        cf: "governance",
                        source,
                    })
            })
            .transpose()
    }

    /// A proof of the record `(cf, key)` (or of its absence) against the
    /// current state root.
    pub fn prove(&self, cf: Cf, key: &[u8]) -> Result<StateProof, StoreError> {
        let tip = self.tip();
        let (value, proof) = tree::prove(self.store.as_ref(), tip.height, tree::key_hash(cf, key))?;
        Ok((tip, value, proof))
    }

    /// Commits an executed block atomically and moves the tip.
    pub fn commit(&self, block: ExecutedBlock) -> Result<(), StoreError> {
        let tip = Tip {
            height: block.header.height,
            hash: block.header.hash(),
            state_root: block.header.state_root,
        };
        self.store.write(block.writes)?;
        *self
            .tip
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tip);
        Ok(())
    }
}

impl LedgerView for Ledger {
    fn output(&self, asset: &AssetId, index: u64) -> Option<RingMember> {
        let key = (asset.clone(), index);
        if let Some(m) = self.ring_cache.get(&key) {
            return Some(m);
        }
        let rec = self
            .output_record(asset, index)
            .unwrap_or_else(log_and(None))?;
        let member = RingMember::new(rec.key, rec.commitment);
        self.ring_cache.insert(key, member);
        Some(member)
    }

    fn is_spent(&self, image: &KeyImage) -> bool {
        self.store
            .get(Cf::KeyImages, image.as_bytes())
            .map(|v| v.is_some())
            .unwrap_or_else(log_and(true))
    }

    fn output_key_exists(&self, key: &OneTimeKey) -> bool {
        self.store
            .get(Cf::OutputKeys, key.as_bytes())
            .map(|v| v.is_some())
            .unwrap_or_else(log_and(true))
    }

    fn regulator_key_in_force(&self, key: &RegulatorPublicKey) -> bool {
        let height = self.next_height();
        match self.params() {
            Ok(p) => key_in_force(self, &p, key, height),
            Err(e) => log_and(false)(e),
        }
    }

    fn next_height(&self) -> u64 {
        self.tip_opt().map_or(0, |t| t.height + 1)
    }

    fn epoch_of(&self, height: u64) -> u64 {
        height
            / self
                .params()
                .map_or(DEFAULT_EPOCH_LENGTH, |p| p.epoch_length)
    }

    fn regulator_identity(&self, id: &VerifyingKey) -> Option<IdentityRecord> {
        self.store
            .get(Cf::RegulatorIdentities, id.as_bytes())
            .unwrap_or_else(log_and(None))
            .and_then(|b| decode_identity(&b).ok())
    }

    fn regulator_key_slot(&self, jurisdiction: &Jurisdiction, slot: Slot) -> Option<KeyRecord> {
        self.store
            .get(Cf::Regulators, &slot_key(jurisdiction, slot))
            .unwrap_or_else(log_and(None))
            .and_then(|b| decode_key_record(&b).ok())
    }

    fn regulator_key_info(&self, key: &RegulatorPublicKey) -> Option<(Jurisdiction, Slot)> {
        self.store
            .get(Cf::RegulatorKeyIndex, key.as_bytes())
            .unwrap_or_else(log_and(None))
            .and_then(|b| decode_slot_key(&b).ok())
    }

    fn access_nonce_used(&self, requester: &VerifyingKey, nonce: &[u8; 16]) -> bool {
        let key = [&requester.as_bytes()[..], nonce].concat();
        self.store
            .get(Cf::AccessNonces, &key)
            .map(|v| v.is_some())
            .unwrap_or_else(log_and(true))
    }

    fn asset_issuer(&self, asset: &AssetId) -> Option<VerifyingKey> {
        self.asset(asset)
            .unwrap_or_else(log_and(None))
            .map(|a| a.issuer)
    }
}
