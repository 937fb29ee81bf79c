//! What validation needs to read from the ledger, and an in-memory ledger
//! for tests and benchmarks.

use std::collections::{BTreeMap, BTreeSet};

use crate::crypto::clsag::{KeyImage, RingMember};
use crate::crypto::regulator::RegulatorPublicKey;
use crate::crypto::signing::VerifyingKey;
use crate::crypto::stealth::OneTimeKey;

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
    /// Whether transfers may currently be encrypted to `key`.
    fn regulator_key_in_force(&self, key: &RegulatorPublicKey) -> bool;
    /// The registered issuer of `asset`, if the asset exists.
    fn asset_issuer(&self, asset: &AssetId) -> Option<VerifyingKey>;
}

/// An in-memory ledger: ordered maps, nothing persisted.
#[derive(Default, Clone)]
pub struct MemoryLedger {
    outputs: BTreeMap<AssetId, Vec<RingMember>>,
    output_keys: BTreeSet<OneTimeKey>,
    spent: BTreeSet<KeyImage>,
    regulator_keys: BTreeSet<RegulatorPublicKey>,
    issuers: BTreeMap<AssetId, VerifyingKey>,
}

impl MemoryLedger {
    /// An empty ledger accepting transfers to `regulator`.
    pub fn new(regulator: RegulatorPublicKey) -> Self {
        let mut l = Self::default();
        l.regulator_keys.insert(regulator);
        l
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
        tx.bundle()
            .outputs
            .iter()
            .map(|o| self.push_output(tx.asset(), RingMember::new(o.one_time_key, o.commitment())))
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
}
