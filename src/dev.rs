//! A development network's keys and genesis: one asset (`CNY`, 2 decimals),
//! an issuer, a regulator, and two bank accounts (`bank-a`, `bank-b`) funded
//! by confidential genesis mints; for credentials, a root authority (which
//! signs the trust list), a KYC issuer accredited for `KycCredential`, and a
//! holder, each with a `did:veil` created at genesis. Keys are fresh for
//! every data directory.

use rand_core::{CryptoRng, RngCore};
use veil_codec::Encode;

use crate::crypto::keys::AccountKeys;
use crate::crypto::regulator_keys::{EpochKey, RegulatorMaster};
use crate::crypto::signing::SigningKey;
use crate::identity::local_identity::{Identity, KeyType};
use crate::identity::tx::{TrustOp, TrustTx};
use crate::ledger::genesis::{
    GenesisAsset, GenesisAttribute, GenesisConfig, GenesisCredentialType, GenesisMember,
    GenesisMint, GenesisParticipant, GenesisRegulator, GenesisRegulatorKey,
};
use crate::tx::bundle::build::{BuildError, PlannedOutput};
use crate::tx::mint::MintPlan;
use crate::tx::{AssetId, Transaction};

/// The dev asset.
pub const DEV_ASSET: &str = "CNY";
/// Outputs minted to each bank at genesis (also the decoys of the first rings).
pub const DEV_OUTPUTS_PER_BANK: usize = 16;
/// Amount of each genesis output, in minor units (1,000,000.00 CNY).
pub const DEV_OUTPUT_AMOUNT: u64 = 100_000_000;
/// The dev regulator's jurisdiction.
pub const DEV_JURISDICTION: &str = "dev";
/// Epochs whose keys genesis publishes.
pub const DEV_EPOCHS: u64 = 100;
/// Blocks per epoch on a dev network.
pub const DEV_EPOCH_LENGTH: u64 = 10_000;

/// The dev network's credential type.
pub const DEV_CREDENTIAL_TYPE: &str = "KycCredential";

/// `KycCredential`'s attributes, in circuit order.
pub const DEV_KYC_ATTRIBUTES: [(&str, &str); 6] = [
    ("birth_date", "date"),
    ("country", "string"),
    ("given_name", "string"),
    ("family_name", "string"),
    ("document_number", "string"),
    ("level", "integer"),
];

/// Everything a dev network is made of.
pub struct DevNetwork {
    /// The credential root authority (signs the trust list).
    pub root_authority: Identity,
    /// The KYC issuer, accredited for [`DEV_CREDENTIAL_TYPE`].
    pub kyc_issuer: Identity,
    /// A credential holder.
    pub holder: Identity,
    /// The genesis file.
    pub genesis: GenesisConfig,
    /// The asset issuer.
    pub issuer: SigningKey,
    /// The governance committee's one member ("admin mode": its proposals
    /// pass in the block that carries them).
    pub committee: SigningKey,
    /// The regulator's master seed.
    pub regulator_seed: [u8; 32],
    /// Bank A's account seed.
    pub bank_a_seed: [u8; 32],
    /// Bank B's account seed.
    pub bank_b_seed: [u8; 32],
}

impl DevNetwork {
    /// Generates fresh keys and the genesis that funds both banks.
    pub fn generate<R: RngCore + CryptoRng>(
        rng: &mut R,
        timestamp_ms: u64,
    ) -> Result<Self, BuildError> {
        Self::generate_with(rng, timestamp_ms, DEV_EPOCH_LENGTH)
    }

    /// The regulator's master key.
    pub fn regulator(&self) -> RegulatorMaster {
        RegulatorMaster::from_seed(&self.regulator_seed)
    }

    /// The regulator's decryption key for `epoch` (version 0).
    pub fn regulator_epoch_key(&self, epoch: u64) -> EpochKey {
        self.regulator()
            .jurisdiction(DEV_JURISDICTION)
            .epoch(epoch, 0)
    }

    /// As [`DevNetwork::generate`], with another epoch length (tests cross
    /// epochs quickly).
    pub fn generate_with<R: RngCore + CryptoRng>(
        rng: &mut R,
        timestamp_ms: u64,
        epoch_length: u64,
    ) -> Result<Self, BuildError> {
        Self::generate_keyed(rng, timestamp_ms, epoch_length, None, None)
    }

    /// As [`DevNetwork::generate_with`]; with `epoch0`, epoch 0's regulator
    /// key is that key (a threshold group key, `node --dev
    /// --regulator-threshold`) instead of the master's, and the genesis
    /// mints are encrypted to it; with `hook`, the KYC accreditation names
    /// that credential-hook key (the officers' shared one) instead of the
    /// master's.
    pub fn generate_keyed<R: RngCore + CryptoRng>(
        rng: &mut R,
        timestamp_ms: u64,
        epoch_length: u64,
        epoch0: Option<crate::crypto::regulator_ciphertext::RegulatorPublicKey>,
        hook: Option<veil_circuits::hook::HookKey>,
    ) -> Result<Self, BuildError> {
        let mut seed = || {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        };
        let regulator_seed = seed();
        let bank_a_seed = seed();
        let bank_b_seed = seed();
        let issuer = SigningKey::from_seed(&seed());
        let mut tag = [0u8; 2];
        rng.fill_bytes(&mut tag);
        let master = RegulatorMaster::from_seed(&regulator_seed);
        let jurisdiction = master.jurisdiction(DEV_JURISDICTION);
        let epoch0_key = epoch0.unwrap_or(*jurisdiction.epoch(0, 0).key().public());
        let asset = AssetId::new(DEV_ASSET).map_err(|_| BuildError::OutputCount(0))?;
        let mut mints = Vec::new();
        for (name, seed) in [("bank-a", &bank_a_seed), ("bank-b", &bank_b_seed)] {
            let account = AccountKeys::from_seed(seed);
            let plan = MintPlan {
                asset: asset.clone(),
                issuer: &issuer,
                regulator_key: epoch0_key,
                outputs: (0..DEV_OUTPUTS_PER_BANK)
                    .map(|_| PlannedOutput {
                        to: *account.address(),
                        amount: DEV_OUTPUT_AMOUNT,
                        memo: b"genesis".to_vec(),
                    })
                    .collect(),
            };
            let tx = Transaction::Mint(plan.build(rng)?);
            mints.push(GenesisMint {
                tx: hex::encode(tx.encode()?),
                note: format!("{DEV_OUTPUTS_PER_BANK} × 1,000,000.00 CNY to {name}"),
            });
        }
        let participants = [("bank-a", &bank_a_seed), ("bank-b", &bank_b_seed)]
            .iter()
            .map(|(name, seed)| GenesisParticipant {
                name: (*name).into(),
                address: AccountKeys::from_seed(seed).address().to_string(),
            })
            .collect();
        // Credentials: three DIDs, then the accreditation (trust sequence 1).
        let (root_authority, root_tx) = Identity::create("root-authority", KeyType::Ed25519, rng);
        let (kyc_issuer, issuer_tx) = Identity::create("kyc-issuer", KeyType::Ed25519, rng);
        let (holder, holder_tx) = Identity::create("holder", KeyType::Ed25519, rng);
        let (root_fragment, root_key) = root_authority
            .first_key()
            .ok_or(BuildError::OutputCount(0))?;
        // With the regulator hook: every KYC presentation carries the
        // holder commitment encrypted to the dev regulator.
        let hook_key = hook
            .unwrap_or_else(|| jurisdiction.credential_hook().public())
            .to_bytes();
        let accredit = TrustTx::signed(
            root_authority.did,
            1,
            TrustOp::AccreditWithHook {
                issuer: kyc_issuer.did,
                credential_type: DEV_CREDENTIAL_TYPE.into(),
                regulator_key: hook_key,
            },
            root_fragment.clone(),
            root_key,
        )?;
        let identity_txs = [
            (Transaction::Did(root_tx), "did:veil of the root authority"),
            (Transaction::Did(issuer_tx), "did:veil of the KYC issuer"),
            (Transaction::Did(holder_tx), "did:veil of the holder"),
            (
                Transaction::Trust(accredit),
                "accredit the KYC issuer for KycCredential (regulator hook: dev regulator)",
            ),
        ]
        .into_iter()
        .map(|(tx, note)| {
            Ok(GenesisMint {
                tx: hex::encode(tx.encode()?),
                note: note.into(),
            })
        })
        .collect::<Result<_, BuildError>>()?;
        // Drawn last, so the other keys of a seeded network stay as they were.
        let committee = {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            SigningKey::from_seed(&s)
        };
        let genesis = GenesisConfig {
            root_authority: Some(root_authority.did.to_string()),
            credential_root_window_ms: crate::ledger::chain::DEFAULT_ROOT_WINDOW_MS,
            credential_types: vec![GenesisCredentialType {
                name: DEV_CREDENTIAL_TYPE.into(),
                attributes: DEV_KYC_ATTRIBUTES
                    .iter()
                    .map(|(name, kind)| GenesisAttribute {
                        name: (*name).into(),
                        kind: (*kind).into(),
                    })
                    .collect(),
            }],
            identity_txs,
            chain_id: format!("veil-dev-{}", hex::encode(tag)),
            timestamp_ms,
            epoch_length,
            grace_epochs: 1,
            transfer_jurisdiction: Some(DEV_JURISDICTION.into()),
            assets: vec![GenesisAsset {
                id: DEV_ASSET.into(),
                name: "Chinese yuan (digital, development)".into(),
                decimals: 2,
                issuer: hex::encode(issuer.public().as_bytes()),
            }],
            regulators: vec![GenesisRegulator {
                label: "dev-regulator".into(),
                identity: hex::encode(master.identity().public().as_bytes()),
                jurisdictions: vec![DEV_JURISDICTION.into()],
            }],
            regulator_keys: (0..DEV_EPOCHS)
                .map(|e| GenesisRegulatorKey {
                    jurisdiction: DEV_JURISDICTION.into(),
                    epoch: e,
                    version: 0,
                    key: if e == 0 {
                        hex::encode(epoch0_key.as_bytes())
                    } else {
                        hex::encode(jurisdiction.epoch(e, 0).key().public().as_bytes())
                    },
                })
                .collect(),
            participants,
            mints,
            validators: Vec::new(),
            committee: vec![GenesisMember {
                label: "dev-operator".into(),
                key: hex::encode(committee.public().as_bytes()),
                weight: 1,
            }],
            governance: Default::default(),
        };
        Ok(Self {
            root_authority,
            kyc_issuer,
            holder,
            genesis,
            issuer,
            committee,
            regulator_seed,
            bank_a_seed,
            bank_b_seed,
        })
    }
}

/// The passphrase of every dev keystore. Development only.
pub const DEV_PASSPHRASE: &str = "dev";

/// Where a dev network's files are.
#[derive(Clone, Debug)]
pub struct DevFiles {
    /// `dev/genesis.toml`.
    pub genesis: std::path::PathBuf,
    /// `dev/bank-a.wallet`.
    pub bank_a: std::path::PathBuf,
    /// `dev/bank-b.wallet`.
    pub bank_b: std::path::PathBuf,
    /// `dev/regulator.keystore`.
    pub regulator: std::path::PathBuf,
    /// `dev/issuer.keystore`.
    pub issuer: std::path::PathBuf,
    /// `dev/committee.keystore` (the committee's one member).
    pub committee: std::path::PathBuf,
    /// `dev/root-authority.identity`.
    pub root_authority: std::path::PathBuf,
    /// `dev/kyc-issuer.identity`.
    pub kyc_issuer: std::path::PathBuf,
    /// `dev/holder.identity`.
    pub holder: std::path::PathBuf,
}

impl DevFiles {
    /// `dev/officers`: a threshold regulator's officer keystores and group
    /// file (`node --dev --regulator-threshold`).
    pub fn officers_dir(&self) -> std::path::PathBuf {
        self.genesis
            .parent()
            .map(|d| d.join("officers"))
            .unwrap_or_else(|| "officers".into())
    }

    /// The paths under `data_dir/dev`.
    pub fn under(data_dir: &std::path::Path) -> Self {
        let d = data_dir.join("dev");
        Self {
            genesis: d.join("genesis.toml"),
            bank_a: d.join("bank-a.wallet"),
            bank_b: d.join("bank-b.wallet"),
            regulator: d.join("regulator.keystore"),
            issuer: d.join("issuer.keystore"),
            committee: d.join("committee.keystore"),
            root_authority: d.join("root-authority.identity"),
            kyc_issuer: d.join("kyc-issuer.identity"),
            holder: d.join("holder.identity"),
        }
    }
}

impl DevNetwork {
    /// Writes the genesis file and the encrypted wallets and keys
    /// (passphrase [`DEV_PASSPHRASE`]).
    pub fn write(
        &self,
        files: &DevFiles,
        kdf: veil_keystore::KdfParams,
    ) -> Result<(), crate::wallet::WalletError> {
        use crate::wallet::{keystore, Wallet};
        if let Some(dir) = files.genesis.parent() {
            std::fs::create_dir_all(dir).map_err(keystore::KeystoreError::Io)?;
        }
        keystore::write_private(&files.genesis, self.genesis.to_toml().as_bytes())
            .map_err(keystore::KeystoreError::Io)?;
        Wallet::from_seed(&self.bank_a_seed, "bank-a").save(&files.bank_a, DEV_PASSPHRASE, kdf)?;
        Wallet::from_seed(&self.bank_b_seed, "bank-b").save(&files.bank_b, DEV_PASSPHRASE, kdf)?;
        crate::regulator::credentials::Credentials::save_regulator(
            &files.regulator,
            &self.regulator(),
            "dev-regulator",
            &crate::tx::registry::Jurisdiction::new(DEV_JURISDICTION)
                .map_err(|_| keystore::KeystoreError::Format("dev jurisdiction"))?,
            DEV_PASSPHRASE,
            kdf,
        )?;
        keystore::save_seed(
            &files.issuer,
            keystore::ISSUER_KIND,
            self.issuer.seed().expose(),
            DEV_ASSET,
            DEV_PASSPHRASE,
            kdf,
        )?;
        keystore::save_seed(
            &files.committee,
            veil_keystore::COMMITTEE_KIND,
            self.committee.seed().expose(),
            "dev-operator",
            DEV_PASSPHRASE,
            kdf,
        )?;
        for (id, path) in [
            (&self.root_authority, &files.root_authority),
            (&self.kyc_issuer, &files.kyc_issuer),
            (&self.holder, &files.holder),
        ] {
            id.save(path, DEV_PASSPHRASE, kdf)?;
        }
        Ok(())
    }
}
