//! Block execution.
//!
//! 1. **Rings**: every ring member is read from *committed* state (outputs
//!    are immutable once committed; a ring may not reference an output of
//!    the same block).
//! 2. **Stateless**: every proof and signature of every transaction not
//!    already verified at mempool admission, in one batch split across the
//!    rayon pool ([`veil_tx::verify_batch_parallel`]).
//! 3. **Stateful**, one deterministic pass in block order against committed
//!    state plus this block's earlier transactions: the first spend of a key
//!    image wins, one-time keys are new, the regulator key is in force, a
//!    mint's signer is the asset's issuer.
//! 4. **Write**: the records of every accepted transaction, the state-tree
//!    update, the header and the tip go into one [`WriteSet`], which
//!    [`super::Ledger::commit`] applies atomically.
//!
//! A proposer drops invalid transactions ([`Mode::Propose`]); a validator
//! refuses a block containing one ([`Mode::Validate`]).

use std::collections::{BTreeMap, HashSet};

use veil_crypto::clsag::{KeyImage, RingMember};
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::signing::VerifyingKey;
use veil_crypto::stealth::OneTimeKey;
use veil_tx::governance::rules::{self as gov, Candidates, Committee, GovEffect, GovState};
use veil_tx::governance::{liveness, GovParams};
use veil_tx::pipeline::Effect;
use veil_tx::registry::{IdentityRecord, Jurisdiction, KeyRecord, Slot};
use veil_tx::{verify_batch_parallel, AssetId, LedgerView, Rings, Transaction, TxError, TxHash};

use super::block::{tx_root, BlockHash, ChainId, Header};
use super::chain::Ledger;
use super::chain::{key_in_force, ChainParams};
use super::records::{
    encode_identity, encode_key_record, output_count_key, output_key, slot_key, AssetRecord,
    OutputRecord, SpendRecord, Tip, TxLocation, META_CHAIN, META_EPOCH_LENGTH, META_GENESIS,
    META_GRACE, META_HEIGHT, META_TIP, META_TRANSFER_JURISDICTION,
};
use super::store::{Cf, StoreError, WriteSet};
use super::tree;
use veil_codec::Encode;

/// What to do with an invalid transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Leave it out of the block (the proposer's choice).
    Propose,
    /// Refuse the whole block (a validator's duty).
    Validate,
}

/// Where and when the block is made.
#[derive(Clone, Debug)]
pub struct BlockContext {
    /// Chain identifier.
    pub chain_id: String,
    /// Height of the new block.
    pub height: u64,
    /// Hash of its parent.
    pub parent: BlockHash,
    /// Proposal time, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The proposer's node key.
    pub proposer: [u8; 32],
}

/// Registry records written by genesis (and, later, governance).
#[derive(Clone, Debug, Default)]
pub struct RegistryUpdates {
    /// Assets to register.
    pub assets: Vec<(AssetId, AssetRecord)>,
    /// Regulator identities.
    pub identities: Vec<(VerifyingKey, IdentityRecord)>,
    /// Published regulator keys.
    pub regulator_keys: Vec<(Jurisdiction, Slot, RegulatorPublicKey)>,
    /// Participant directory entries: name and address digest
    /// (`AddressBytes::digest`).
    pub participants: Vec<(String, [u8; 32])>,
    /// Validators and observers: node key and power (0 = observer).
    pub validators: Vec<([u8; 32], u64)>,
    /// Chain parameters (genesis only).
    pub params: Option<ChainParams>,
    /// The root authority of the credential trust list (genesis only).
    pub root_authority: Option<veil_identity::DidId>,
    /// Credential types defined at genesis.
    pub credential_types: Vec<veil_identity::schema::CredentialType>,
    /// The governance committee (genesis only; empty: no governance).
    pub committee: Committee,
    /// The governed parameters (genesis only).
    pub gov_params: Option<GovParams>,
    /// Registered nodes: the genesis validators and observers.
    pub candidates: Candidates,
}

/// Where execution time went.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExecTimings {
    /// Reading ring members.
    pub rings: std::time::Duration,
    /// Batch verification of proofs and signatures.
    pub verify: std::time::Duration,
    /// Stateful checks and record writes.
    pub stateful: std::time::Duration,
    /// State-tree update.
    pub tree: std::time::Duration,
}

/// An executed block, ready to commit.
#[derive(Debug)]
pub struct ExecutedBlock {
    /// Time spent per stage.
    pub timings: ExecTimings,
    /// Its header.
    pub header: Header,
    /// The transactions it contains.
    pub txs: Vec<Transaction>,
    /// Their hashes.
    pub hashes: Vec<TxHash>,
    /// Every write of the block.
    pub writes: WriteSet,
    /// Transactions left out, with why (proposer mode only).
    pub rejected: Vec<(TxHash, TxError)>,
}

/// Why a block could not be executed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A transaction is invalid (validator mode).
    #[error("transaction {position} ({hash}) is invalid: {error}")]
    InvalidTx {
        /// Position in the block.
        position: usize,
        /// Its hash.
        hash: TxHash,
        /// Why.
        error: TxError,
    },
    /// The block does not extend the tip.
    #[error("block at height {height} does not extend the tip")]
    NotNext {
        /// The block's height.
        height: u64,
    },
    /// The context's chain identifier is not a valid one.
    #[error("chain id: {0}")]
    ChainId(veil_codec::DecodeError),
    /// Something the block would hold does not fit its encoding.
    #[error("block cannot be encoded: {0}")]
    Encode(#[from] veil_codec::EncodeError),
    /// The block-level governance step failed (a corrupt record).
    #[error("governance: {0}")]
    Governance(TxError),
    /// More transactions than the governed `max_block_txs`.
    #[error("block holds {found} transactions, at most {max} allowed")]
    TooManyTxs {
        /// The count.
        found: usize,
        /// The governed bound.
        max: u64,
    },
    /// A passed software-upgrade proposal stops the chain before this
    /// height.
    #[error("the chain halts before height {0} for a software upgrade")]
    Halted(u64),
}

/// What a transaction's writes need, computed in parallel ahead of the
/// sequential pass.
struct Prepared {
    bytes: Vec<u8>,
    commitments: Vec<veil_crypto::commitment::Commitment>,
}

/// Committed state plus this block's pending changes.
struct Pending<'a> {
    ledger: &'a Ledger,
    writes: WriteSet,
    tree: BTreeMap<jmt::KeyHash, Option<Vec<u8>>>,
    spent: HashSet<KeyImage>,
    new_keys: HashSet<OneTimeKey>,
    counts: BTreeMap<AssetId, u64>,
    assets: BTreeMap<AssetId, AssetRecord>,
    identities: BTreeMap<VerifyingKey, IdentityRecord>,
    slots: BTreeMap<(Jurisdiction, Slot), KeyRecord>,
    key_index: BTreeMap<RegulatorPublicKey, (Jurisdiction, Slot)>,
    nonces: HashSet<(VerifyingKey, [u8; 16])>,
    /// The allow-list for the next block, once this block replaced it.
    validators: Option<Vec<([u8; 32], u64)>>,
    params: ChainParams,
    height: u64,
}

impl super::identity::EffectSink for Pending<'_> {
    fn put_auth(&mut self, cf: Cf, key: Vec<u8>, value: Vec<u8>) {
        Pending::put_auth(self, cf, key, value.clone(), value);
    }

    fn put(&mut self, cf: Cf, key: Vec<u8>, value: Vec<u8>) {
        self.writes.put(cf, key, value);
    }
}

impl Pending<'_> {
    /// A write that is also a leaf of the state tree.
    fn put_auth(&mut self, cf: Cf, key: Vec<u8>, tree_value: Vec<u8>, stored: Vec<u8>) {
        self.tree.insert(tree::key_hash(cf, &key), Some(tree_value));
        self.writes.put(cf, key, stored);
    }

    fn put_slot(&mut self, j: &Jurisdiction, slot: Slot, record: KeyRecord) {
        let key = slot_key(j, slot);
        let bytes = encode_key_record(&record);
        self.put_auth(Cf::Regulators, key.clone(), bytes.clone(), bytes);
        self.writes
            .put(Cf::RegulatorKeyIndex, record.key.as_bytes().to_vec(), key);
        self.key_index.insert(record.key, (j.clone(), slot));
        self.slots.insert((j.clone(), slot), record);
    }

    fn put_identity(&mut self, id: VerifyingKey, record: IdentityRecord) -> Result<(), StoreError> {
        let bytes = encode_identity(&record)?;
        self.put_auth(
            Cf::RegulatorIdentities,
            id.as_bytes().to_vec(),
            bytes.clone(),
            bytes,
        );
        self.identities.insert(id, record);
        Ok(())
    }

    fn count(&mut self, asset: &AssetId) -> Result<u64, StoreError> {
        if let Some(c) = self.counts.get(asset) {
            return Ok(*c);
        }
        let c = self.ledger.output_count(asset)?;
        self.counts.insert(asset.clone(), c);
        Ok(c)
    }

    /// Applies an accepted transaction: its body record, then each of its
    /// effects. The one place where effects become records (and the
    /// in-block indexes later checks of the same block read).
    fn apply(
        &mut self,
        tx: &Transaction,
        prep: &Prepared,
        hash: TxHash,
        height: u64,
        position: u32,
        effects: &[Effect],
    ) -> Result<(), StoreError> {
        let loc = TxLocation { height, position };
        // Transaction bodies and the one-time-key index are plain records:
        // inclusion is proven through the header's tx_root, and the index is
        // derivable from the authenticated outputs.
        self.writes.put(
            Cf::Txs,
            hash.0.to_vec(),
            [&loc.encode()[..], &prep.bytes].concat(),
        );
        for effect in effects {
            match effect {
                Effect::Spend(image) => {
                    let rec = SpendRecord { tx: hash, height }.encode();
                    self.put_auth(Cf::KeyImages, image.as_bytes().to_vec(), rec.clone(), rec);
                    self.spent.insert(*image);
                }
                Effect::Outputs => self.put_outputs(tx, prep, hash, height)?,
                Effect::RegulatorKey {
                    jurisdiction,
                    slot,
                    record,
                } => self.put_slot(jurisdiction, *slot, *record),
                Effect::RegulatorIdentity { id, record } => {
                    self.put_identity(*id, record.clone())?
                }
                Effect::Access { requester, nonce } => {
                    let state_key = veil_tx::access::state_key(requester, nonce);
                    let rec = SpendRecord { tx: hash, height }.encode();
                    self.put_auth(Cf::AccessNonces, state_key.clone(), rec.clone(), rec);
                    self.writes.put(
                        Cf::AuditIndex,
                        [&height.to_be_bytes()[..], &position.to_be_bytes()].concat(),
                        hash.0.to_vec(),
                    );
                    self.writes.delete(Cf::AuditJournal, state_key);
                    self.nonces.insert((*requester, *nonce));
                }
                Effect::Identity(e) => {
                    super::identity::write_effects(self, std::slice::from_ref(e))?;
                }
                Effect::Gov(g) => self.apply_gov(g)?,
                Effect::Vault { doc, writes } => {
                    self.apply_vault_writes(writes);
                    if let Some(doc) = doc {
                        self.writes.put(
                            Cf::VaultLog,
                            super::vault::log_key(doc, height, position),
                            hash.0.to_vec(),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// Effects of the block-level steps (closed proposals, the validator
    /// schedule): governance and identity effects only.
    fn apply_block_effects(&mut self, effects: &[Effect]) -> Result<(), StoreError> {
        for effect in effects {
            match effect {
                Effect::Gov(g) => self.apply_gov(g)?,
                Effect::Identity(e) => {
                    super::identity::write_effects(self, std::slice::from_ref(e))?;
                }
                // A committee's purge: the state changes; the trail of a
                // document holds records, and this is the proposal's.
                Effect::Vault { writes, .. } => self.apply_vault_writes(writes),
                other => {
                    tracing::error!(?other, "a block-level step produced a transaction effect");
                }
            }
        }
        Ok(())
    }

    /// Writes and deletes in the authenticated `vault` column family.
    fn apply_vault_writes(&mut self, writes: &[veil_tx::vault::VaultWrite]) {
        for (key, value) in writes {
            match value {
                Some(v) => self.put_auth(Cf::Vault, key.clone(), v.clone(), v.clone()),
                None => self.delete_auth(Cf::Vault, key.clone()),
            }
        }
    }

    fn delete_auth(&mut self, cf: Cf, key: Vec<u8>) {
        self.tree.insert(tree::key_hash(cf, &key), None);
        self.writes.delete(cf, key);
    }

    fn put_asset(&mut self, id: AssetId, rec: AssetRecord) -> Result<(), StoreError> {
        let bytes = rec.encode()?;
        self.put_auth(
            Cf::Assets,
            id.as_str().as_bytes().to_vec(),
            bytes.clone(),
            bytes,
        );
        self.assets.insert(id, rec);
        Ok(())
    }

    fn put_validators(&mut self, list: Vec<([u8; 32], u64)>) -> Result<(), StoreError> {
        for (key, _) in self.current_validators() {
            if !list.iter().any(|(k, _)| *k == key) {
                self.delete_auth(Cf::Validators, key.to_vec());
            }
        }
        for (key, power) in &list {
            let v = power.to_be_bytes().to_vec();
            self.put_auth(Cf::Validators, key.to_vec(), v.clone(), v);
        }
        let set = gov::encode_powers(&list)?;
        self.put_auth(
            Cf::Governance,
            gov::KEY_VALIDATOR_SET.to_vec(),
            set.clone(),
            set,
        );
        self.validators = Some(list);
        Ok(())
    }

    /// The one place governance effects become records.
    fn apply_gov(&mut self, effect: &GovEffect) -> Result<(), StoreError> {
        match effect {
            GovEffect::Record { key, value } => match value {
                Some(v) => self.put_auth(Cf::Governance, key.clone(), v.clone(), v.clone()),
                None => self.delete_auth(Cf::Governance, key.clone()),
            },
            GovEffect::Asset {
                asset,
                issuer,
                decimals,
                name,
            } => self.put_asset(
                asset.clone(),
                AssetRecord {
                    issuer: *issuer,
                    decimals: *decimals,
                    name: name.clone(),
                },
            )?,
            GovEffect::Issuer { asset, issuer } => {
                let current = match self.assets.get(asset) {
                    Some(a) => Some(a.clone()),
                    None => self.ledger.asset(asset)?,
                };
                if let Some(mut rec) = current {
                    rec.issuer = *issuer;
                    self.put_asset(asset.clone(), rec)?;
                }
            }
            GovEffect::Validators(list) => self.put_validators(list.clone())?,
        }
        Ok(())
    }

    /// The outputs of `tx`, appended to its asset's list.
    fn put_outputs(
        &mut self,
        tx: &Transaction,
        prep: &Prepared,
        hash: TxHash,
        height: u64,
    ) -> Result<(), StoreError> {
        let Some((asset, bundle)) = tx.outputs() else {
            return Ok(());
        };
        let asset = asset.clone();
        let mut next = self.count(&asset)?;
        for (position, (o, commitment)) in bundle.outputs.iter().zip(&prep.commitments).enumerate()
        {
            let rec = OutputRecord {
                key: o.one_time_key,
                commitment: *commitment,
                view_tag: o.view_tag,
                tx: hash,
                position: u8::try_from(position).unwrap_or(u8::MAX),
                height,
            }
            .encode();
            let key = output_key(&asset, next);
            self.put_auth(Cf::Outputs, key.clone(), rec.clone(), rec);
            // Derivable from the output record: not a tree leaf
            // (`tree::AUTHENTICATED`).
            self.writes
                .put(Cf::OutputKeys, o.one_time_key.as_bytes().to_vec(), key);
            self.new_keys.insert(o.one_time_key);
            next += 1;
        }
        self.counts.insert(asset.clone(), next);
        let count = next.to_be_bytes().to_vec();
        self.put_auth(Cf::Meta, output_count_key(&asset), count.clone(), count);
        Ok(())
    }
}

/// Identity state as this block sees it: its own pending writes first, then
/// committed records.
impl veil_identity::IdentityState for Pending<'_> {
    fn did(&self, id: &veil_identity::DidId) -> Option<veil_identity::state::DidRecord> {
        self.identity().did(id)
    }
    fn root_authority(&self) -> Option<(veil_identity::DidId, u64)> {
        self.identity().root_authority()
    }
    fn credential_type(&self, name: &str) -> Option<veil_identity::schema::CredentialType> {
        self.identity().credential_type(name)
    }
    fn accreditation(
        &self,
        issuer: &veil_identity::DidId,
        credential_type: &str,
    ) -> Option<veil_identity::state::Accreditation> {
        self.identity().accreditation(issuer, credential_type)
    }
    fn issuer_tree(
        &self,
        issuer: &veil_identity::DidId,
    ) -> Option<veil_identity::state::IssuerTree> {
        self.identity().issuer_tree(issuer)
    }
    fn tree_node(
        &self,
        issuer: &veil_identity::DidId,
        node: veil_identity::tree::NodeId,
    ) -> Option<veil_circuits::Fr> {
        self.identity().tree_node(issuer, node)
    }
    fn commitment_index(
        &self,
        issuer: &veil_identity::DidId,
        commitment: &veil_circuits::Fr,
    ) -> Option<u32> {
        self.identity().commitment_index(issuer, commitment)
    }
    fn root_record(
        &self,
        issuer: &veil_identity::DidId,
        root: &veil_circuits::Fr,
    ) -> Option<veil_identity::state::RootRecord> {
        self.identity().root_record(issuer, root)
    }
}

impl Pending<'_> {
    fn identity(
        &self,
    ) -> super::identity::IdentityRecords<impl Fn(Cf, &[u8]) -> Option<Vec<u8>> + '_> {
        super::identity::IdentityRecords(move |cf, key: &[u8]| match self.writes.get(cf, key) {
            Some(v) => v.map(<[u8]>::to_vec),
            None => self.ledger.get_or_log(cf, key),
        })
    }
}

/// Governance state as this block sees it.
impl veil_tx::vault::VaultState for Pending<'_> {
    fn vault_record(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.writes.get(Cf::Vault, key) {
            Some(v) => v.map(<[u8]>::to_vec),
            None => self.ledger.get_or_log(Cf::Vault, key),
        }
    }
}

impl GovState for Pending<'_> {
    fn gov_record(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.writes.get(Cf::Governance, key) {
            Some(v) => v.map(<[u8]>::to_vec),
            None => self.ledger.get_or_log(Cf::Governance, key),
        }
    }

    fn current_validators(&self) -> Vec<([u8; 32], u64)> {
        match &self.validators {
            Some(v) => v.clone(),
            None => self.ledger.current_validators(),
        }
    }
}

impl LedgerView for Pending<'_> {
    fn output(&self, asset: &AssetId, index: u64) -> Option<RingMember> {
        self.ledger.output(asset, index)
    }

    fn is_spent(&self, image: &KeyImage) -> bool {
        self.spent.contains(image) || self.ledger.is_spent(image)
    }

    fn output_key_exists(&self, key: &OneTimeKey) -> bool {
        self.new_keys.contains(key) || self.ledger.output_key_exists(key)
    }

    fn regulator_key_in_force(&self, key: &RegulatorPublicKey) -> bool {
        key_in_force(self, &self.params, key, self.height)
    }

    fn asset_issuer(&self, asset: &AssetId) -> Option<VerifyingKey> {
        match self.assets.get(asset) {
            Some(a) => Some(a.issuer),
            None => self.ledger.asset_issuer(asset),
        }
    }

    fn next_height(&self) -> u64 {
        self.height
    }

    fn epoch_of(&self, height: u64) -> u64 {
        height / self.params.epoch_length.max(1)
    }

    fn regulator_identity(&self, id: &VerifyingKey) -> Option<IdentityRecord> {
        match self.identities.get(id) {
            Some(r) => Some(r.clone()),
            None => self.ledger.regulator_identity(id),
        }
    }

    fn regulator_key_slot(&self, jurisdiction: &Jurisdiction, slot: Slot) -> Option<KeyRecord> {
        match self.slots.get(&(jurisdiction.clone(), slot)) {
            Some(r) => Some(*r),
            None => self.ledger.regulator_key_slot(jurisdiction, slot),
        }
    }

    fn regulator_key_info(&self, key: &RegulatorPublicKey) -> Option<(Jurisdiction, Slot)> {
        match self.key_index.get(key) {
            Some(v) => Some(v.clone()),
            None => self.ledger.regulator_key_info(key),
        }
    }

    fn access_nonce_used(&self, requester: &VerifyingKey, nonce: &[u8; 16]) -> bool {
        self.nonces.contains(&(*requester, *nonce))
            || self.ledger.access_nonce_used(requester, nonce)
    }
}

/// Executes a block of `txs` on top of the ledger's tip. `preverified`
/// says which transactions already passed [`Transaction::check_stateless`]
/// (at mempool admission) against rings that cannot have changed since.
pub fn execute(
    ledger: &Ledger,
    ctx: BlockContext,
    registry: RegistryUpdates,
    txs: Vec<Transaction>,
    preverified: &(dyn Fn(&TxHash) -> bool + Sync),
    mode: Mode,
) -> Result<ExecutedBlock, ExecError> {
    let genesis = ctx.height == 0;
    if genesis == ledger.has_genesis() || (!genesis && ctx.height != ledger.tip().height + 1) {
        return Err(ExecError::NotNext { height: ctx.height });
    }
    if !genesis {
        let governed = ledger.gov_params()?;
        if governed.halt_height > 0 && ctx.height >= governed.halt_height {
            return Err(ExecError::Halted(governed.halt_height));
        }
        // The bound counts submitted transactions; a block's leading
        // commit record (a consensus record, at most one) is not counted,
        // so a block of exactly `max_block_txs` transfers fits.
        let max = governed.max_block_txs;
        let counted = txs.len() - usize::from(matches!(txs.first(), Some(Transaction::Commit(_))));
        if u64::try_from(counted).unwrap_or(u64::MAX) > max {
            return Err(ExecError::TooManyTxs {
                found: counted,
                max,
            });
        }
    }
    let mut pending = Pending {
        ledger,
        writes: WriteSet::new(),
        tree: BTreeMap::new(),
        spent: HashSet::new(),
        new_keys: HashSet::new(),
        counts: BTreeMap::new(),
        assets: BTreeMap::new(),
        identities: BTreeMap::new(),
        slots: BTreeMap::new(),
        key_index: BTreeMap::new(),
        nonces: HashSet::new(),
        validators: None,
        params: match &registry.params {
            Some(p) => p.clone(),
            None => ledger.params()?,
        },
        height: ctx.height,
    };
    if let Some(p) = &registry.params {
        let put = |w: &mut WriteSet, k: &[u8], v: Vec<u8>| w.put(Cf::Meta, k.to_vec(), v);
        put(
            &mut pending.writes,
            META_EPOCH_LENGTH,
            p.epoch_length.to_be_bytes().to_vec(),
        );
        put(
            &mut pending.writes,
            META_GRACE,
            p.grace_epochs.to_be_bytes().to_vec(),
        );
        put(
            &mut pending.writes,
            super::records::META_ROOT_WINDOW,
            p.root_window_ms.to_be_bytes().to_vec(),
        );
        if let Some(j) = &p.transfer_jurisdiction {
            put(
                &mut pending.writes,
                META_TRANSFER_JURISDICTION,
                j.as_str().as_bytes().to_vec(),
            );
        }
    }
    for (id, rec) in registry.assets {
        pending.put_asset(id, rec)?;
    }
    for (id, rec) in registry.identities {
        pending.put_identity(id, rec)?;
    }
    for (j, slot, key) in registry.regulator_keys {
        pending.put_slot(&j, slot, KeyRecord { key, active: true });
    }
    {
        use veil_identity::state::Effect;
        let mut effects = Vec::new();
        if let Some(id) = registry.root_authority {
            effects.push(Effect::Authority { id, sequence: 0 });
        }
        effects.extend(registry.credential_types.into_iter().map(Effect::Type));
        super::identity::write_effects(&mut pending, &effects)?;
    }
    if !registry.validators.is_empty() {
        let mut list = registry.validators;
        list.sort_by_key(|(k, _)| *k);
        pending.put_validators(list)?;
    }
    {
        use veil_codec::Encode as _;
        let mut put = |key: &[u8], value: Vec<u8>| {
            pending.put_auth(Cf::Governance, key.to_vec(), value.clone(), value)
        };
        if !registry.committee.members.is_empty() {
            put(gov::KEY_COMMITTEE, registry.committee.encode()?);
        }
        if let Some(p) = &registry.gov_params {
            put(gov::KEY_PARAMS, p.encode()?);
        }
        if !registry.candidates.nodes.is_empty() {
            put(gov::KEY_CANDIDATES, registry.candidates.encode()?);
        }
    }
    for (name, digest) in registry.participants {
        pending.put_auth(
            Cf::Participants,
            name.into_bytes(),
            digest.to_vec(),
            digest.to_vec(),
        );
    }

    // 1 + 2: rings from committed state, then one parallel batch.
    let mut timings = ExecTimings::default();
    let started = std::time::Instant::now();
    use rayon::prelude::*;
    // Each transaction's encoding, once: its hash and its stored bytes.
    let encodings: Vec<Vec<u8>> = txs
        .par_iter()
        .map(Encode::encode)
        .collect::<Result<_, _>>()?;
    let hashes: Vec<TxHash> = encodings
        .par_iter()
        .map(|b| Transaction::hash_of(b))
        .collect();
    // Rings only for what must be verified here: transactions verified at
    // admission resolved theirs then, and outputs never change.
    let resolved: Vec<Result<Rings, TxError>> = txs
        .par_iter()
        .zip(hashes.par_iter())
        .map(|(tx, h)| {
            if preverified(h) {
                Ok(Vec::new())
            } else {
                tx.resolve_rings(ledger)
            }
        })
        .collect();
    let mut results: Vec<Result<(), TxError>> = Vec::with_capacity(txs.len());
    let mut rings: Vec<Rings> = Vec::with_capacity(txs.len());
    for r in resolved {
        match r {
            Ok(r) => {
                rings.push(r);
                results.push(Ok(()));
            }
            Err(e) => {
                rings.push(Vec::new());
                results.push(Err(e));
            }
        }
    }
    timings.rings = started.elapsed();
    let started = std::time::Instant::now();
    let to_verify: Vec<usize> = (0..txs.len())
        .filter(|&i| results[i].is_ok() && !preverified(&hashes[i]))
        .collect();
    let items: Vec<(&Transaction, &Rings)> =
        to_verify.iter().map(|&i| (&txs[i], &rings[i])).collect();
    for (&i, r) in to_verify.iter().zip(verify_batch_parallel(&items)) {
        results[i] = r;
    }

    // Derived data the writes need, computed in parallel: each output's
    // amount commitment and each transaction's encoding.
    let prepared: Vec<Prepared> = txs
        .par_iter()
        .zip(encodings)
        .map(|(tx, bytes)| Prepared {
            bytes,
            commitments: tx.outputs().map_or_else(Vec::new, |(_, b)| {
                b.outputs.iter().map(|o| o.commitment()).collect()
            }),
        })
        .collect();
    timings.verify = started.elapsed();
    let started = std::time::Instant::now();
    let chain = ChainId::new(&ctx.chain_id).map_err(ExecError::ChainId)?;
    // 3 + 4: stateful pass in block order, then writes.
    let mut accepted = Vec::with_capacity(txs.len());
    let mut accepted_hashes = Vec::with_capacity(txs.len());
    let mut rejected = Vec::new();
    for (i, (((tx, hash), result), prep)) in txs
        .into_iter()
        .zip(hashes)
        .zip(results)
        .zip(prepared)
        .enumerate()
    {
        let verdict = result.and_then(|()| match &tx {
            Transaction::Commit(c) => super::liveness::check_commit(
                &pending,
                &chain,
                ctx.height,
                &ctx.parent,
                accepted.len(),
                c,
            ),
            _ => tx.check_stateful(&pending, ctx.timestamp_ms),
        });
        match verdict {
            Ok(effects) => {
                let position = u32::try_from(accepted.len()).unwrap_or(u32::MAX);
                pending.apply(&tx, &prep, hash, ctx.height, position, &effects)?;
                accepted.push(tx);
                accepted_hashes.push(hash);
            }
            Err(error) => match mode {
                Mode::Validate => {
                    return Err(ExecError::InvalidTx {
                        position: i,
                        hash,
                        error,
                    })
                }
                Mode::Propose => rejected.push((hash, error)),
            },
        }
    }
    // 5: block-level governance: proposals that close, then the validator
    // schedule.
    if !genesis {
        let gov_err = |e: TxError| ExecError::Governance(e);
        for id in gov::closing(&pending, ctx.height).map_err(|e| gov_err(e.into()))? {
            let effects = gov::close(&pending, id, ctx.height).map_err(gov_err)?;
            pending.apply_block_effects(&effects)?;
        }
        // A node registered, removed, jailed or unjailed: elect again.
        let nodes_changed = [gov::KEY_CANDIDATES, liveness::KEY_JAILED]
            .iter()
            .any(|k| pending.writes.get(Cf::Governance, k).is_some());
        let effects = gov::end_block(&pending, ctx.height, nodes_changed).map_err(gov_err)?;
        pending.apply_block_effects(&effects)?;
    }
    let height_bytes = ctx.height.to_be_bytes().to_vec();
    pending.put_auth(
        Cf::Meta,
        META_HEIGHT.to_vec(),
        height_bytes.clone(),
        height_bytes,
    );
    timings.stateful = started.elapsed();
    let started = std::time::Instant::now();
    let updates: Vec<_> = std::mem::take(&mut pending.tree).into_iter().collect();
    let state_root = tree::update(ledger.store(), ctx.height, updates, &mut pending.writes)?;
    timings.tree = started.elapsed();
    let header = Header {
        chain_id: chain,
        height: ctx.height,
        parent: ctx.parent,
        timestamp_ms: ctx.timestamp_ms,
        tx_root: tx_root(&accepted_hashes),
        state_root,
        proposer: ctx.proposer,
        tx_count: u32::try_from(accepted.len()).map_err(|_| {
            veil_codec::EncodeError::OutOfRange {
                what: "transaction count",
                found: u64::try_from(accepted.len()).unwrap_or(u64::MAX),
                min: 0,
                max: u64::from(u32::MAX),
            }
        })?,
    };
    let hash = header.hash();
    let h = ctx.height.to_be_bytes();
    let mut w = pending.writes;
    w.put(Cf::Headers, h.to_vec(), header.encode());
    w.put(
        Cf::Blocks,
        h.to_vec(),
        accepted_hashes
            .iter()
            .flat_map(|t| t.0)
            .collect::<Vec<u8>>(),
    );
    w.put(Cf::BlockHashes, hash.0.to_vec(), h.to_vec());
    w.put(
        Cf::Meta,
        META_TIP.to_vec(),
        Tip {
            height: ctx.height,
            hash,
            state_root,
        }
        .encode(),
    );
    if genesis {
        w.put(Cf::Meta, META_GENESIS.to_vec(), hash.0.to_vec());
        w.put(
            Cf::Meta,
            META_CHAIN.to_vec(),
            ctx.chain_id.as_bytes().to_vec(),
        );
    }
    Ok(ExecutedBlock {
        timings,
        header,
        txs: accepted,
        hashes: accepted_hashes,
        writes: w,
        rejected,
    })
}
