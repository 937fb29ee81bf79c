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
//! epoch_length = 10000            # blocks per regulator-key epoch
//! grace_epochs = 1                # a previous epoch's key stays accepted this long
//! transfer_jurisdiction = "cn"    # whose keys transfers encrypt to (default: the first)
//!
//! [[regulator]]
//! label = "PBoC"
//! identity = "<Ed25519 public key, hex>"   # signs registry updates and API requests
//! jurisdictions = ["cn"]
//!
//! [[regulator_key]]                # epoch keys published at genesis (more later,
//! jurisdiction = "cn"              # by registry transactions)
//! epoch = 0
//! version = 0
//! key = "<ristretto255 public key, hex>"
//!
//! [[participant]]                  # the directory regulators name banks with
//! name = "bank-a"
//! address = "veil1…"
//!
//! [[mint]]
//! tx = "<an encoded, issuer-signed mint transaction, hex>"
//!
//! root_authority = "did:veil:…"     # signs the credential trust list
//! credential_root_window_ms = 600000 # how long a replaced issuer-tree root stays accepted
//!
//! [[credential_type]]
//! name = "KycCredential"
//! attributes = [{ name = "birth_date", kind = "date" }, { name = "country", kind = "string" }]
//!
//! [[identity_tx]]                  # DID creations, accreditations, … (executed first)
//! tx = "<an encoded, signed identity transaction, hex>"
//!
//! [[validator]]                    # consensus nodes (none: a single dev node)
//! name = "bank-a"
//! key = "<Ed25519 node key, hex>"
//! power = 1                        # 0: an observer
//! address = "127.0.0.1:8800"       # optional: where peers dial it
//!
//! [[committee]]                    # the governance committee (none: no governance)
//! label = "operator"
//! key = "<Ed25519 public key, hex>"
//! weight = 1
//!
//! [governance]                     # optional: governed parameters by name
//! voting_period = 100              # (docs/governance.md lists them)
//! ```
//!
//! The initial confidential mints are ordinary signed mint transactions
//! (amounts hidden, regulator ciphertexts included), and the initial DIDs
//! and accreditations ordinary signed identity transactions, so every node
//! that loads the same file verifies and executes the same genesis block.

use std::path::Path;

use serde::{Deserialize, Serialize};

use veil_crypto::hash::hash256;
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::signing::VerifyingKey;
use veil_tx::{AssetId, Transaction};

use super::block::BlockHash;
use super::chain::ChainParams;
use super::chain::Ledger;
use super::execute::{execute, BlockContext, ExecError, Mode, RegistryUpdates};
use super::records::AssetRecord;
use super::store::{Cf, StoreError};
use veil_crypto::keys::{Address, AddressBytes};
use veil_identity::schema::{Attribute, AttributeKind, CredentialType};
use veil_tx::governance::rules::{Candidate, Member};
use veil_tx::governance::{GovParams, Param};
use veil_tx::registry::{IdentityRecord, Jurisdiction, Slot};

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

/// A regulator identity.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisRegulator {
    /// Who.
    pub label: String,
    /// Its Ed25519 identity key, hex.
    pub identity: String,
    /// Jurisdictions it may publish keys for.
    pub jurisdictions: Vec<String>,
}

/// An epoch key published at genesis.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisRegulatorKey {
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Epoch.
    pub epoch: u64,
    /// Version.
    #[serde(default)]
    pub version: u32,
    /// The ristretto255 public key, hex.
    pub key: String,
}

/// A participant directory entry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisParticipant {
    /// Name (e.g. a bank).
    pub name: String,
    /// Its address.
    pub address: String,
}

/// A consensus node: a validator (power > 0) or an observer (power 0,
/// may connect and sync but does not vote).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisValidator {
    /// Display name (e.g. the bank operating it).
    #[serde(default)]
    pub name: String,
    /// Node key, 32 bytes hex (Ed25519).
    pub key: String,
    /// Voting power.
    #[serde(default = "default_power")]
    pub power: u64,
    /// Where it listens for QUIC, `ip:port` (optional).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
}

/// A member of the governance committee.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisMember {
    /// Who it is (a bank, a regulator, an operator).
    #[serde(default)]
    pub label: String,
    /// Its Ed25519 public key, hex.
    pub key: String,
    /// Its voting weight.
    #[serde(default = "default_power")]
    pub weight: u64,
}

fn default_power() -> u64 {
    1
}

fn default_epoch_length() -> u64 {
    super::chain::DEFAULT_EPOCH_LENGTH
}

fn default_grace() -> u64 {
    1
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

/// An attribute of a credential type.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisAttribute {
    /// Name.
    pub name: String,
    /// `integer`, `date` or `string`.
    pub kind: String,
}

/// A credential type defined at genesis.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisCredentialType {
    /// Name.
    pub name: String,
    /// Attributes, in circuit order.
    pub attributes: Vec<GenesisAttribute>,
}

fn default_root_window() -> u64 {
    super::chain::DEFAULT_ROOT_WINDOW_MS
}

/// A genesis file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisConfig {
    /// Chain identifier (1 to 64 characters).
    pub chain_id: String,
    /// Genesis block time, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Blocks per regulator-key epoch.
    #[serde(default = "default_epoch_length")]
    pub epoch_length: u64,
    /// Epochs a key stays accepted after its own.
    #[serde(default = "default_grace")]
    pub grace_epochs: u64,
    /// The jurisdiction transfers encrypt to (default: the first listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_jurisdiction: Option<String>,
    /// Assets.
    #[serde(default, rename = "asset")]
    pub assets: Vec<GenesisAsset>,
    /// Regulator identities.
    #[serde(default, rename = "regulator")]
    pub regulators: Vec<GenesisRegulator>,
    /// Epoch keys published at genesis.
    #[serde(default, rename = "regulator_key")]
    pub regulator_keys: Vec<GenesisRegulatorKey>,
    /// Participant directory.
    #[serde(default, rename = "participant")]
    pub participants: Vec<GenesisParticipant>,
    /// Validators and observers (empty: a single dev node without consensus).
    #[serde(default, rename = "validator", skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<GenesisValidator>,
    /// Initial mints.
    #[serde(default, rename = "mint")]
    pub mints: Vec<GenesisMint>,
    /// The root authority of the credential trust list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_authority: Option<String>,
    /// How long a replaced issuer-tree root stays acceptable, in ms.
    #[serde(default = "default_root_window")]
    pub credential_root_window_ms: u64,
    /// Credential types.
    #[serde(default, rename = "credential_type")]
    pub credential_types: Vec<GenesisCredentialType>,
    /// Initial identity transactions (executed before the mints).
    #[serde(default, rename = "identity_tx")]
    pub identity_txs: Vec<GenesisMint>,
    /// The governance committee (empty: no governance).
    #[serde(default, rename = "committee", skip_serializing_if = "Vec::is_empty")]
    pub committee: Vec<GenesisMember>,
    /// Governed parameters by name (the rest keep their defaults).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub governance: std::collections::BTreeMap<String, u64>,
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
    veil_codec::hex32(s).ok_or_else(|| invalid(what, "must be 64 hex characters (32 bytes)"))
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
        for v in &self.validators {
            let key = hex32("validator key", &v.key)?;
            VerifyingKey::from_bytes(&key).map_err(|e| invalid("validator key", e))?;
            if v.power > 1_000_000 {
                return Err(invalid("validator power", "at most 1,000,000"));
            }
            if updates.validators.iter().any(|(k, _)| *k == key) {
                return Err(invalid("validator key", "listed twice"));
            }
            updates.validators.push((key, v.power));
            if !v.address.is_empty() && !veil_tx::governance::rules::valid_address(&v.address) {
                return Err(invalid("validator address", "must be ip:port"));
            }
            updates.candidates.nodes.push(Candidate {
                key: VerifyingKey::from_bytes(&key).map_err(|e| invalid("validator key", e))?,
                name: v
                    .name
                    .chars()
                    .take(veil_tx::governance::MAX_LABEL)
                    .collect(),
                address: v.address.clone(),
                observer: v.power == 0,
                bond: v.power,
            });
        }
        updates.candidates.nodes.sort_by_key(|c| c.key);
        for m in &self.committee {
            let key = VerifyingKey::from_bytes(&hex32("committee key", &m.key)?)
                .map_err(|e| invalid("committee key", e))?;
            if m.weight == 0 || m.weight > veil_tx::governance::MAX_WEIGHT {
                return Err(invalid("committee weight", "1 to 1,000,000,000"));
            }
            if m.label.len() > veil_tx::governance::MAX_LABEL {
                return Err(invalid("committee label", "at most 64 bytes"));
            }
            if updates.committee.get(&key).is_some() {
                return Err(invalid("committee key", "listed twice"));
            }
            updates.committee.members.push(Member {
                key,
                weight: m.weight,
                label: m.label.clone(),
                sequence: 0,
                delegations: Vec::new(),
            });
        }
        updates.committee.members.sort_by_key(|m| m.key);
        veil_tx::governance::rules::check_genesis(&updates.committee, &updates.candidates)
            .map_err(|e| invalid("governance", e))?;
        if !self.committee.is_empty() || !self.governance.is_empty() || !self.validators.is_empty()
        {
            let mut params = GovParams::default();
            // The first election must not shrink the genesis set: unless
            // genesis says otherwise, the set may be as large as it.
            let listed = u64::try_from(self.validators.iter().filter(|v| v.power > 0).count())
                .unwrap_or(u64::MAX);
            params.max_validators = params.max_validators.max(listed);
            for (name, value) in &self.governance {
                let p: Param = name.parse().map_err(|e| invalid("governance", e))?;
                params.set(p, *value);
            }
            params.check().map_err(|e| invalid("governance", e))?;
            updates.gov_params = Some(params);
        }
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
        let jur = |s: &str| Jurisdiction::new(s).map_err(|e| invalid("jurisdiction", e));
        for r in &self.regulators {
            let identity = VerifyingKey::from_bytes(&hex32("regulator identity", &r.identity)?)
                .map_err(|e| invalid("regulator identity", e))?;
            if r.label.len() > 128 || r.jurisdictions.is_empty() || r.jurisdictions.len() > 64 {
                return Err(invalid(
                    "regulator",
                    "label ≤ 128 bytes, 1 to 64 jurisdictions",
                ));
            }
            updates.identities.push((
                identity,
                IdentityRecord {
                    label: r.label.clone(),
                    jurisdictions: r
                        .jurisdictions
                        .iter()
                        .map(|j| jur(j))
                        .collect::<Result<_, _>>()?,
                    sequence: 0,
                },
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut keys = std::collections::BTreeSet::new();
        for k in &self.regulator_keys {
            let key = RegulatorPublicKey::from_bytes(&hex32("regulator key", &k.key)?)
                .map_err(|e| invalid("regulator key", e))?;
            let slot = Slot {
                epoch: k.epoch,
                version: k.version,
            };
            let j = jur(&k.jurisdiction)?;
            if !seen.insert((j.clone(), slot)) || !keys.insert(key) {
                return Err(invalid(
                    "regulator key",
                    "two keys for one slot, or one key in two slots",
                ));
            }
            updates.regulator_keys.push((j, slot, key));
        }
        for p in &self.participants {
            let addr: Address = p
                .address
                .parse()
                .map_err(|e| invalid("participant address", e))?;
            if p.name.is_empty() || p.name.len() > 64 {
                return Err(invalid("participant name", "1 to 64 bytes"));
            }
            updates
                .participants
                .push((p.name.clone(), AddressBytes::from(addr).digest()));
        }
        let transfer_jurisdiction = match &self.transfer_jurisdiction {
            Some(j) => Some(jur(j)?),
            None => updates
                .identities
                .first()
                .and_then(|(_, r)| r.jurisdictions.first().cloned()),
        };
        if self.epoch_length == 0 {
            return Err(invalid("epoch_length", "must be positive"));
        }
        updates.params = Some(ChainParams {
            epoch_length: self.epoch_length,
            grace_epochs: self.grace_epochs,
            transfer_jurisdiction,
            root_window_ms: self.credential_root_window_ms,
        });
        if let Some(did) = &self.root_authority {
            updates.root_authority = Some(did.parse().map_err(|e| invalid("root_authority", e))?);
        }
        for t in &self.credential_types {
            let attributes = t
                .attributes
                .iter()
                .map(|a| {
                    Ok(Attribute {
                        name: a.name.clone(),
                        kind: AttributeKind::parse(&a.kind).ok_or_else(|| {
                            invalid("credential type", "attribute kinds: integer, date, string")
                        })?,
                    })
                })
                .collect::<Result<Vec<_>, GenesisError>>()?;
            updates.credential_types.push(
                CredentialType::new(&t.name, attributes)
                    .map_err(|e| invalid("credential type", e))?,
            );
        }
        Ok(updates)
    }

    /// The genesis block's transactions: identity transactions, then
    /// mints.
    pub fn genesis_txs(&self) -> Result<Vec<Transaction>, GenesisError> {
        let identity = self.identity_txs.iter().map(|m| {
            let bytes = hex::decode(&m.tx).map_err(|e| invalid("identity tx", e))?;
            match Transaction::decode(&bytes).map_err(|e| invalid("identity tx", e))? {
                tx @ (Transaction::Did(_) | Transaction::Trust(_) | Transaction::Credential(_)) => {
                    Ok(tx)
                }
                _ => Err(invalid("identity tx", "not an identity transaction")),
            }
        });
        let mints = self.mints.iter().map(|m| {
            let bytes = hex::decode(&m.tx).map_err(|e| invalid("mint tx", e))?;
            match Transaction::decode(&bytes).map_err(|e| invalid("mint tx", e))? {
                tx @ Transaction::Mint(_) => Ok(tx),
                _ => Err(invalid("mint tx", "not a mint")),
            }
        });
        identity.chain(mints).collect()
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
        config.genesis_txs()?,
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
