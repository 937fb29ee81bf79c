//! Regulator and auditor keystores (encrypted like wallets: Argon2id +
//! XChaCha20-Poly1305, see [`veil_keystore`]).
//!
//! * kind `regulator`: the master seed, a label and the jurisdiction the
//!   regulator works in. Everything else (identity key, every epoch key) is
//!   derived ([`veil_crypto::regulator_keys`]).
//! * kind `auditor`: what a delegation hands over — the seeds of one
//!   epoch's keys (every version), the auditor's own request-signing key,
//!   and the regulator's certificate scoping it to that epoch.

use std::path::Path;

use serde::{Deserialize, Serialize};

use veil_crypto::regulator_keys::{EpochKey, RegulatorMaster};
use veil_crypto::secret::Secret;
use veil_crypto::signing::SigningKey;
use veil_keystore::{self as keystore, KdfParams, KeystoreError};
use veil_tx::access::Delegation;
use veil_tx::registry::Jurisdiction;
use veil_wallet::state::SecretHex;

/// Keystore kind of regulator master keys.
pub const REGULATOR_KIND: &str = keystore::REGULATOR_KIND;
/// Keystore kind of delegated auditor keys.
pub const AUDITOR_KIND: &str = "auditor";

#[derive(Serialize, Deserialize)]
struct RegulatorFile {
    seed: SecretHex,
    label: String,
    jurisdiction: String,
}

#[derive(Serialize, Deserialize)]
struct AuditorFile {
    jurisdiction: String,
    epoch: u64,
    versions: Vec<(u32, SecretHex)>,
    signing_seed: SecretHex,
    delegation: String,
}

/// What a regulator-side command holds.
pub enum Credentials {
    /// The regulator itself.
    Regulator {
        /// Master secret.
        master: RegulatorMaster,
        /// Label.
        label: String,
        /// Jurisdiction.
        jurisdiction: Jurisdiction,
    },
    /// An auditor delegated one epoch.
    Auditor {
        /// The epoch's keys, one per version.
        keys: Vec<EpochKey>,
        /// The auditor's request-signing key.
        signer: SigningKey,
        /// The regulator's certificate.
        delegation: Delegation,
    },
    /// An officer of a threshold key: signs requests under its delegation,
    /// holds no epoch key (its share opens nothing alone).
    Officer {
        /// The officer's request-signing key.
        signer: SigningKey,
        /// The regulator's certificate.
        delegation: Delegation,
        /// Its name.
        name: String,
    },
}

fn bad(what: &'static str) -> KeystoreError {
    KeystoreError::Payload(what)
}

impl Credentials {
    /// Writes a regulator keystore.
    pub fn save_regulator(
        path: &Path,
        master: &RegulatorMaster,
        label: &str,
        jurisdiction: &Jurisdiction,
        passphrase: &str,
        kdf: KdfParams,
    ) -> Result<(), KeystoreError> {
        let f = RegulatorFile {
            seed: SecretHex::new(master.seed().expose()),
            label: label.to_owned(),
            jurisdiction: jurisdiction.to_string(),
        };
        let plain = Secret::new(serde_json::to_vec(&f).map_err(|_| bad("regulator file"))?);
        keystore::save(path, REGULATOR_KIND, plain.expose(), passphrase, kdf)
    }

    /// Writes an auditor keystore.
    pub fn save_auditor(
        path: &Path,
        keys: &[EpochKey],
        signer: &SigningKey,
        delegation: &Delegation,
        passphrase: &str,
        kdf: KdfParams,
    ) -> Result<(), KeystoreError> {
        let f = AuditorFile {
            jurisdiction: delegation.jurisdiction.to_string(),
            epoch: delegation.epoch,
            versions: keys
                .iter()
                .map(|k| (k.version(), SecretHex::new(k.seed().expose())))
                .collect(),
            signing_seed: SecretHex::new(signer.seed().expose()),
            delegation: hex::encode(
                delegation
                    .to_bytes()
                    .map_err(|_| bad("the delegation cannot be encoded"))?,
            ),
        };
        let plain = Secret::new(serde_json::to_vec(&f).map_err(|_| bad("regulator file"))?);
        keystore::save(path, AUDITOR_KIND, plain.expose(), passphrase, kdf)
    }

    /// Opens a regulator or auditor keystore.
    pub fn load(path: &Path, passphrase: &str) -> Result<Self, KeystoreError> {
        match keystore::load(path, REGULATOR_KIND, passphrase) {
            Ok(plain) => {
                let f: RegulatorFile =
                    serde_json::from_slice(plain.expose()).map_err(|_| bad("regulator file"))?;
                let seed = Secret::new(f.seed.bytes32().ok_or_else(|| bad("seed"))?);
                Ok(Self::Regulator {
                    master: RegulatorMaster::from_seed(seed.expose()),
                    label: f.label.clone(),
                    jurisdiction: Jurisdiction::new(&f.jurisdiction)
                        .map_err(|_| bad("jurisdiction"))?,
                })
            }
            Err(KeystoreError::Kind { .. }) => {
                let plain = keystore::load(path, AUDITOR_KIND, passphrase)?;
                let f: AuditorFile =
                    serde_json::from_slice(plain.expose()).map_err(|_| bad("auditor file"))?;
                let delegation = Delegation::from_bytes(
                    &hex::decode(&f.delegation).map_err(|_| bad("delegation"))?,
                )
                .map_err(|_| bad("delegation"))?;
                let keys = f
                    .versions
                    .iter()
                    .map(|(v, s)| {
                        let seed = Secret::new(s.bytes32().ok_or_else(|| bad("epoch seed"))?);
                        Ok(EpochKey::from_parts(
                            &f.jurisdiction,
                            f.epoch,
                            *v,
                            seed.expose(),
                        ))
                    })
                    .collect::<Result<_, KeystoreError>>()?;
                let signing = Secret::new(
                    f.signing_seed
                        .bytes32()
                        .ok_or_else(|| bad("signing seed"))?,
                );
                Ok(Self::Auditor {
                    keys,
                    signer: SigningKey::from_seed(signing.expose()),
                    delegation,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The key that signs requests.
    pub fn signer(&self) -> SigningKey {
        match self {
            Self::Regulator { master, .. } => master.identity(),
            Self::Auditor { signer, .. } | Self::Officer { signer, .. } => {
                SigningKey::from_seed(signer.seed().expose())
            }
        }
    }

    /// The delegation to present, if an auditor.
    pub fn delegation(&self) -> Option<&Delegation> {
        match self {
            Self::Regulator { .. } => None,
            Self::Auditor { delegation, .. } | Self::Officer { delegation, .. } => Some(delegation),
        }
    }

    /// The decryption key of `(jurisdiction, epoch, version)`, if these
    /// credentials reach it.
    pub fn epoch_key(&self, jurisdiction: &str, epoch: u64, version: u32) -> Option<EpochKey> {
        match self {
            Self::Regulator { master, .. } => {
                Some(master.jurisdiction(jurisdiction).epoch(epoch, version))
            }
            Self::Officer { .. } => None,
            Self::Auditor { keys, .. } => keys
                .iter()
                .find(|k| {
                    k.jurisdiction() == jurisdiction && k.epoch() == epoch && k.version() == version
                })
                .map(|k| {
                    EpochKey::from_parts(
                        k.jurisdiction(),
                        k.epoch(),
                        k.version(),
                        k.seed().expose(),
                    )
                }),
        }
    }

    /// A short description for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Regulator {
                label,
                jurisdiction,
                ..
            } => format!("regulator {label} ({jurisdiction})"),
            Self::Auditor { delegation, .. } => {
                format!(
                    "auditor for epoch {} of {}",
                    delegation.epoch, delegation.jurisdiction
                )
            }
            Self::Officer {
                name, delegation, ..
            } => format!(
                "officer {name} for epoch {} of {}",
                delegation.epoch, delegation.jurisdiction
            ),
        }
    }
}
