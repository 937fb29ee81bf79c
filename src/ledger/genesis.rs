//! Genesis from a TOML file.
//!
//! ```toml
//! chain_id = "veil-dev-3f2a"
//! timestamp_ms = 1763712000000
//!
//! [[asset]]
//! id = "CNY"
//! name = "Chinese yuan (digital)"
//! decimals = 2
//! issuer = "<Ed25519 public key, hex>"
//!
//! [[regulator]]
//! label = "PBoC"
//! key = "<ristretto255 public key, hex>"
//!
//! [[mint]]
//! tx = "<an encoded, issuer-signed mint transaction, hex>"
//! ```
//!
//! The initial confidential mints are ordinary signed mint transactions
//! (amounts hidden, regulator ciphertexts included), so every node that
//! loads the same file verifies and executes the same genesis block.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::crypto::hash::hash256;
use crate::crypto::regulator::RegulatorPublicKey;
use crate::crypto::signing::VerifyingKey;
use crate::tx::{AssetId, Transaction};

use super::block::BlockHash;
use super::chain::Ledger;
use super::execute::{execute, BlockContext, ExecError, Mode, RegistryUpdates};
use super::records::{AssetRecord, RegulatorRecord};
use super::store::{Cf, StoreError};

/// `meta` key of the hash of the genesis configuration.
const META_GENESIS_CONFIG: &[u8] = b"genesis_config";

/// An asset created at genesis.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisAsset {
    /// Ticker.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Decimal places of the display unit.
    pub decimals: u8,
    /// The issuer's Ed25519 public key, hex.
    pub issuer: String,
}

/// A regulator key in force from genesis.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisRegulator {
    /// Who holds it.
    pub label: String,
    /// The ristretto255 public key, hex.
    pub key: String,
}

/// An initial mint.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisMint {
    /// A signed mint transaction, hex.
    pub tx: String,
    /// A note for humans (not interpreted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A genesis file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisConfig {
    /// Chain identifier (1 to 64 characters).
    pub chain_id: String,
    /// Genesis block time, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Assets.
    #[serde(default, rename = "asset")]
    pub assets: Vec<GenesisAsset>,
    /// Regulator keys.
    #[serde(default, rename = "regulator")]
    pub regulators: Vec<GenesisRegulator>,
    /// Initial mints.
    #[serde(default, rename = "mint")]
    pub mints: Vec<GenesisMint>,
}

/// Why a genesis file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// Reading the file failed.
    #[error("reading genesis file: {0}")]
    Io(#[from] std::io::Error),
    /// Not valid TOML for a genesis file.
    #[error("genesis file: {0}")]
    Toml(#[from] toml::de::Error),
    /// A field is invalid.
    #[error("genesis {what}: {why}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// Why.
        why: String,
    },
    /// Executing the genesis block failed.
    #[error("genesis block: {0}")]
    Exec(#[from] ExecError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database holds another chain.
    #[error("the data directory holds another chain (genesis differs); use another --data-dir")]
    Mismatch,
}

fn invalid(what: &'static str, why: impl ToString) -> GenesisError {
    GenesisError::Invalid {
        what,
        why: why.to_string(),
    }
}

fn hex32(what: &'static str, s: &str) -> Result<[u8; 32], GenesisError> {
    hex::decode(s)
        .map_err(|e| invalid(what, e))?
        .try_into()
        .map_err(|_| invalid(what, "must be 32 bytes"))
}

impl GenesisConfig {
    /// Loads and parses a file.
    pub fn load(path: &Path) -> Result<Self, GenesisError> {
        Ok(toml::from_str(&std::fs::read_to_string(path)?)?)
    }

    /// The TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// A hash identifying this configuration.
    pub fn digest(&self) -> [u8; 32] {
        hash256(
            b"veil/genesis/v1",
            &[serde_json::to_string(self).unwrap_or_default().as_bytes()],
        )
    }

    /// The registry records it creates.
    pub fn registry(&self) -> Result<RegistryUpdates, GenesisError> {
        if self.chain_id.is_empty() || self.chain_id.len() > super::block::MAX_CHAIN_ID {
            return Err(invalid("chain_id", "must be 1 to 64 characters"));
        }
        let mut updates = RegistryUpdates::default();
        for a in &self.assets {
            let id = AssetId::new(&a.id).map_err(|e| invalid("asset id", e))?;
            let issuer = VerifyingKey::from_bytes(&hex32("asset issuer", &a.issuer)?)
                .map_err(|e| invalid("asset issuer", e))?;
            if a.decimals > 18 || a.name.len() > 128 {
                return Err(invalid("asset", "decimals ≤ 18 and name ≤ 128 bytes"));
            }
            updates.assets.push((
                id,
                AssetRecord {
                    issuer,
                    decimals: a.decimals,
                    name: a.name.clone(),
                },
            ));
        }
        for r in &self.regulators {
            let key = RegulatorPublicKey::from_bytes(&hex32("regulator key", &r.key)?)
                .map_err(|e| invalid("regulator key", e))?;
            if r.label.len() > 128 {
                return Err(invalid("regulator label", "at most 128 bytes"));
            }
            updates.regulators.push((
                key,
                RegulatorRecord {
                    label: r.label.clone(),
                    active: true,
                },
            ));
        }
        Ok(updates)
    }

    /// The initial mint transactions.
    pub fn mint_txs(&self) -> Result<Vec<Transaction>, GenesisError> {
        self.mints
            .iter()
            .map(|m| {
                let bytes = hex::decode(&m.tx).map_err(|e| invalid("mint tx", e))?;
                match Transaction::decode(&bytes).map_err(|e| invalid("mint tx", e))? {
                    tx @ Transaction::Mint(_) => Ok(tx),
                    _ => Err(invalid("mint tx", "not a mint")),
                }
            })
            .collect()
    }
}

/// Creates the genesis block in an empty ledger, or checks that the ledger
/// holds this genesis. Returns the genesis block hash.
pub fn initialize(ledger: &Ledger, config: &GenesisConfig) -> Result<BlockHash, GenesisError> {
    let digest = config.digest();
    if ledger.has_genesis() {
        let stored = ledger.store().get(Cf::Meta, META_GENESIS_CONFIG)?;
        if stored.as_deref() != Some(&digest[..]) {
            return Err(GenesisError::Mismatch);
        }
        return ledger.genesis_hash()?.ok_or(GenesisError::Mismatch);
    }
    let ctx = BlockContext {
        chain_id: config.chain_id.clone(),
        height: 0,
        parent: BlockHash::default(),
        timestamp_ms: config.timestamp_ms,
        proposer: [0; 32],
    };
    let mut block = execute(
        ledger,
        ctx,
        config.registry()?,
        config.mint_txs()?,
        &|_| false,
        Mode::Validate,
    )?;
    block
        .writes
        .put(Cf::Meta, META_GENESIS_CONFIG.to_vec(), digest.to_vec());
    let hash = block.header.hash();
    ledger.commit(block)?;
    Ok(hash)
}
