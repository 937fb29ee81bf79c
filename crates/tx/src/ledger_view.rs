//! What validation needs to read from the ledger, and an in-memory ledger
//! for tests and benchmarks.

use std::collections::{BTreeMap, BTreeSet};

use veil_crypto::clsag::{KeyImage, RingMember};
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::signing::VerifyingKey;
use veil_crypto::stealth::OneTimeKey;

use super::registry::{IdentityRecord, Jurisdiction, KeyRecord, Slot};
use super::{AssetId, Transaction};

/// The ring members of each input, in ring order.
pub type Rings = Vec<Vec<RingMember>>;

/// Read access to ledger state, as validation needs it.
pub trait LedgerView {
    /// The output with global index `index` of `asset`, if committed.
    fn output(&self, asset: &AssetId, index: u64) -> Option<RingMember>;
    /// Whether `image` was spent by a committed transaction.
    fn is_spent(&self, image: &KeyImage) -> bool;
    /// Whether an output with one-time key `key` was committed.
    fn output_key_exists(&self, key: &OneTimeKey) -> bool;
    /// Whether transfers in the block being validated may be encrypted to
    /// `key` (the key of the block's epoch, or of the epoch before within
    /// the grace).
    fn regulator_key_in_force(&self, key: &RegulatorPublicKey) -> bool;
    /// The registered issuer of `asset`, if the asset exists.
    fn asset_issuer(&self, asset: &AssetId) -> Option<VerifyingKey>;
    /// Height of the block being validated.
    fn next_height(&self) -> u64;
    /// The epoch of `height`.
    fn epoch_of(&self, height: u64) -> u64;
    /// A regulator identity.
    fn regulator_identity(&self, id: &VerifyingKey) -> Option<IdentityRecord>;
    /// The key published in a slot.
    fn regulator_key_slot(&self, jurisdiction: &Jurisdiction, slot: Slot) -> Option<KeyRecord>;
    /// Where a key was published.
    fn regulator_key_info(&self, key: &RegulatorPublicKey) -> Option<(Jurisdiction, Slot)>;
    /// Whether `requester` already used `nonce` in a recorded request.
    fn access_nonce_used(&self, requester: &VerifyingKey, nonce: &[u8; 16]) -> bool;
}

/// An in-memory ledger: ordered maps, nothing persisted.
#[derive(Default, Clone)]
pub struct MemoryLedger {
    outputs: BTreeMap<AssetId, Vec<RingMember>>,
    output_keys: BTreeSet<OneTimeKey>,
    spent: BTreeSet<KeyImage>,
    regulator_keys: BTreeSet<RegulatorPublicKey>,
    issuers: BTreeMap<AssetId, VerifyingKey>,
    identities: BTreeMap<VerifyingKey, IdentityRecord>,
    slots: BTreeMap<(Jurisdiction, Slot), KeyRecord>,
    nonces: BTreeSet<(VerifyingKey, [u8; 16])>,
    gov: BTreeMap<Vec<u8>, Vec<u8>>,
    vault: BTreeMap<Vec<u8>, Vec<u8>>,
    dids: BTreeMap<veil_identity::DidId, veil_identity::state::DidRecord>,
    /// Height of the next block (tests set it to move between epochs).
    pub height: u64,
    /// Blocks per epoch.
    pub epoch_length: u64,
}

impl MemoryLedger {
    /// An empty ledger accepting transfers to `regulator`.
    pub fn new(regulator: RegulatorPublicKey) -> Self {
        let mut l = Self {
            height: 1,
            epoch_length: 10_000,
            ..Self::default()
        };
        l.regulator_keys.insert(regulator);
        l
    }

    /// Sets a DID's current record (tests of DID vault parties).
    pub fn set_did(&mut self, id: veil_identity::DidId, record: veil_identity::state::DidRecord) {
        self.dids.insert(id, record);
    }

    /// Registers a regulator identity.
    pub fn add_regulator_identity(&mut self, id: VerifyingKey, record: IdentityRecord) {
        self.identities.insert(id, record);
    }

    /// Sets a governance record (tests of governance rules).
    pub fn set_gov_record(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        match value {
            Some(v) => self.gov.insert(key.to_vec(), v),
            None => self.gov.remove(key),
        };
    }

    /// Applies vault writes.
    pub fn apply_vault(&mut self, writes: Vec<crate::vault::VaultWrite>) {
        for (k, v) in writes {
            match v {
                Some(v) => self.vault.insert(k, v),
                None => self.vault.remove(&k),
            };
        }
    }

    /// Registers a regulator key as published in `slot` (tests of what
    /// depends on where a key was published).
    pub fn add_regulator_slot(
        &mut self,
        jurisdiction: Jurisdiction,
        slot: Slot,
        key: RegulatorPublicKey,
    ) {
        self.slots
            .insert((jurisdiction, slot), KeyRecord { key, active: true });
        self.regulator_keys.insert(key);
    }

    /// Registers `issuer` as the issuer of `asset`.
    pub fn register_asset(&mut self, asset: &AssetId, issuer: VerifyingKey) {
        self.issuers.insert(asset.clone(), issuer);
    }

    /// Appends an output; returns its global index.
    pub fn push_output(&mut self, asset: &AssetId, member: RingMember) -> u64 {
        let list = self.outputs.entry(asset.clone()).or_default();
        list.push(member);
        self.output_keys.insert(member.key);
        u64::try_from(list.len() - 1).unwrap_or(u64::MAX)
    }

    /// Number of outputs of `asset`.
    pub fn output_count(&self, asset: &AssetId) -> u64 {
        self.outputs
            .get(asset)
            .map_or(0, |l| u64::try_from(l.len()).unwrap_or(u64::MAX))
    }

    /// Applies a validated transaction: marks key images spent, appends
    /// outputs. Returns the new outputs' global indices.
    pub fn apply(&mut self, tx: &Transaction) -> Vec<u64> {
        for image in tx.key_images() {
            self.spent.insert(image);
        }
        match tx {
            Transaction::RegulatorKeys(k) => {
                for e in &k.register {
                    self.slots.insert(
                        (k.jurisdiction.clone(), e.slot),
                        KeyRecord {
                            key: e.key,
                            active: true,
                        },
                    );
                }
                for s in &k.revoke {
                    if let Some(r) = self.slots.get_mut(&(k.jurisdiction.clone(), *s)) {
                        r.active = false;
                        self.regulator_keys.remove(&r.key);
                    }
                }
                if let Some(id) = self.identities.get_mut(&k.identity) {
                    id.sequence = k.sequence;
                }
            }
            Transaction::Access(a) => {
                self.nonces.insert((a.requester, a.nonce));
            }
            Transaction::Vault(v) => {
                // Applied only after a successful check, which it repeats.
                if let Ok(writes) = v.check_stateful(&*self) {
                    self.apply_vault(writes);
                }
            }
            _ => {}
        }
        let Some((asset, bundle)) = tx.outputs() else {
            return Vec::new();
        };
        let asset = asset.clone();
        bundle
            .outputs
            .iter()
            .map(|o| self.push_output(&asset, RingMember::new(o.one_time_key, o.commitment())))
            .collect()
    }
}

impl LedgerView for MemoryLedger {
    fn output(&self, asset: &AssetId, index: u64) -> Option<RingMember> {
        let i = usize::try_from(index).ok()?;
        self.outputs.get(asset)?.get(i).copied()
    }

    fn is_spent(&self, image: &KeyImage) -> bool {
        self.spent.contains(image)
    }

    fn output_key_exists(&self, key: &OneTimeKey) -> bool {
        self.output_keys.contains(key)
    }

    fn regulator_key_in_force(&self, key: &RegulatorPublicKey) -> bool {
        self.regulator_keys.contains(key)
    }

    fn asset_issuer(&self, asset: &AssetId) -> Option<VerifyingKey> {
        self.issuers.get(asset).copied()
    }

    fn next_height(&self) -> u64 {
        self.height
    }

    fn epoch_of(&self, height: u64) -> u64 {
        height / self.epoch_length.max(1)
    }

    fn regulator_identity(&self, id: &VerifyingKey) -> Option<IdentityRecord> {
        self.identities.get(id).cloned()
    }

    fn regulator_key_slot(&self, jurisdiction: &Jurisdiction, slot: Slot) -> Option<KeyRecord> {
        self.slots.get(&(jurisdiction.clone(), slot)).copied()
    }

    fn regulator_key_info(&self, key: &RegulatorPublicKey) -> Option<(Jurisdiction, Slot)> {
        self.slots
            .iter()
            .find(|(_, r)| r.key == *key)
            .map(|((j, s), _)| (j.clone(), *s))
    }

    fn access_nonce_used(&self, requester: &VerifyingKey, nonce: &[u8; 16]) -> bool {
        self.nonces.contains(&(*requester, *nonce))
    }
}

/// A [`MemoryLedger`] holds the DIDs a test puts there
/// ([`MemoryLedger::set_did`]) and no trust list or issuer, so every
/// credential transaction checked against it is refused.
impl veil_identity::IdentityState for MemoryLedger {
    fn did(&self, id: &veil_identity::DidId) -> Option<veil_identity::state::DidRecord> {
        self.dids.get(id).cloned()
    }
    fn root_authority(&self) -> Option<(veil_identity::DidId, u64)> {
        None
    }
    fn credential_type(&self, _: &str) -> Option<veil_identity::schema::CredentialType> {
        None
    }
    fn accreditation(
        &self,
        _: &veil_identity::DidId,
        _: &str,
    ) -> Option<veil_identity::state::Accreditation> {
        None
    }
    fn issuer_tree(&self, _: &veil_identity::DidId) -> Option<veil_identity::state::IssuerTree> {
        None
    }
    fn tree_node(
        &self,
        _: &veil_identity::DidId,
        _: veil_identity::tree::NodeId,
    ) -> Option<veil_circuits::Fr> {
        None
    }
    fn commitment_index(&self, _: &veil_identity::DidId, _: &veil_circuits::Fr) -> Option<u32> {
        None
    }
    fn root_record(
        &self,
        _: &veil_identity::DidId,
        _: &veil_circuits::Fr,
    ) -> Option<veil_identity::state::RootRecord> {
        None
    }
}

/// Governance records set with [`MemoryLedger::set_gov_record`]; no
/// validators.
impl crate::governance::rules::GovState for MemoryLedger {
    fn gov_record(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.gov.get(key).cloned()
    }

    fn current_validators(&self) -> Vec<([u8; 32], u64)> {
        Vec::new()
    }
}

/// Vault records applied with [`MemoryLedger::apply_vault`].
impl crate::vault::VaultState for MemoryLedger {
    fn vault_record(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.vault.get(key).cloned()
    }
}
