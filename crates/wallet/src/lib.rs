//! Wallets: an encrypted keystore holding an account seed and what the
//! account has seen on chain; scanning with the view key; decoy selection;
//! building, signing and submitting transfers.

pub mod client;
pub mod decoys;
pub mod disclose;
pub use veil_keystore as keystore;
pub mod source;
pub mod state;

use std::path::Path;

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use veil_crypto::clsag::{self, RingMember};
use veil_crypto::commitment::Commitment;
use veil_crypto::keys::{AccountKeys, Address};
use veil_crypto::point::scalar_from_canonical;
use veil_crypto::secret::Secret;
use veil_crypto::stealth::{one_time_secret, OneTimeKey};
use veil_tx::bundle::build::BuildError;
use veil_tx::transfer::plan::{OwnedOutput, Payment, Spend, TransferPlan};
use veil_tx::{AssetId, Transaction, TxHash};

use keystore::{KdfParams, KeystoreError};
use source::{ChainSource, SourceError, TxStatus};
use state::{HistoryEntry, OwnedRecord, PendingTx, SecretHex, Spent, WalletState};

/// Keystore kind of wallets.
pub const WALLET_KIND: &str = "wallet";

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// Keystore problem.
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// The node or chain source failed.
    #[error("node: {0}")]
    Source(#[from] SourceError),
    /// Not enough outputs on the ledger for the ring size.
    #[error(transparent)]
    Decoys(#[from] decoys::DecoyError),
    /// The node dropped a submitted transaction.
    #[error("transaction {0} was dropped by the node")]
    Dropped(TxHash),
    /// A submitted transaction was not committed in time.
    #[error("transaction {hash} not committed within {timeout:?}")]
    NotCommitted {
        /// The transaction.
        hash: TxHash,
        /// How long we waited.
        timeout: std::time::Duration,
    },
    /// Not enough funds.
    #[error("insufficient funds: {available} {asset} spendable, {needed} needed")]
    Insufficient {
        /// Asset.
        asset: String,
        /// Spendable now.
        available: u64,
        /// Amount plus fee.
        needed: u64,
    },
    /// Building the transaction failed.
    #[error("building the transfer: {0}")]
    Build(#[from] BuildError),
    /// The wallet file content is inconsistent.
    #[error("wallet data: {0}")]
    Data(String),
}

#[derive(Serialize, Deserialize)]
struct WalletFile {
    seed: SecretHex,
    label: String,
    state: WalletState,
}

/// An open wallet.
pub struct Wallet {
    keys: AccountKeys,
    seed: SecretHex,
    /// A name for humans.
    pub label: String,
    /// What the wallet knows.
    pub state: WalletState,
}

/// Balance of one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// Spendable: committed, unspent, not used by a pending transfer.
    pub confirmed: u64,
    /// Change of this wallet's pending transfers, spendable once committed.
    pub pending: u64,
}

impl Wallet {
    /// A wallet for the account derived from `seed`.
    pub fn from_seed(seed: &[u8; 32], label: &str) -> Self {
        Self {
            keys: AccountKeys::from_seed(seed),
            seed: SecretHex::new(seed),
            label: label.to_owned(),
            state: WalletState::default(),
        }
    }

    /// A fresh random wallet.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R, label: &str) -> Self {
        let mut seed = Secret::new([0u8; 32]);
        rng.fill_bytes(seed.expose_mut());
        Self::from_seed(seed.expose(), label)
    }

    /// Opens a wallet file.
    pub fn load(path: &Path, passphrase: &str) -> Result<Self, WalletError> {
        let plain = keystore::load(path, WALLET_KIND, passphrase)?;
        let file: WalletFile =
            serde_json::from_slice(plain.expose()).map_err(|e| WalletError::Data(e.to_string()))?;
        let seed = Secret::new(
            file.seed
                .bytes32()
                .ok_or_else(|| WalletError::Data("seed".into()))?,
        );
        Ok(Self {
            keys: AccountKeys::from_seed(seed.expose()),
            seed: file.seed.clone(),
            label: file.label.clone(),
            state: file.state.clone(),
        })
    }

    /// Saves (encrypts) the wallet to `path`.
    pub fn save(&self, path: &Path, passphrase: &str, kdf: KdfParams) -> Result<(), WalletError> {
        let file = WalletFile {
            seed: self.seed.clone(),
            label: self.label.clone(),
            state: self.state.clone(),
        };
        let plain =
            Secret::new(serde_json::to_vec(&file).map_err(|e| WalletError::Data(e.to_string()))?);
        keystore::save(path, WALLET_KIND, plain.expose(), passphrase, kdf)?;
        Ok(())
    }

    /// The account keys.
    pub fn keys(&self) -> &AccountKeys {
        &self.keys
    }

    /// The address.
    pub fn address(&self) -> &Address {
        self.keys.address()
    }

    /// Balance of `asset`.
    pub fn balance(&self, asset: &AssetId) -> Balance {
        let confirmed = self
            .state
            .outputs
            .iter()
            .filter(|o| o.asset == asset.as_str() && o.spent.is_none())
            .map(|o| o.amount)
            .sum();
        let pending = self
            .state
            .pending
            .iter()
            .filter(|p| p.asset == asset.as_str())
            .map(|p| p.change)
            .sum();
        Balance { confirmed, pending }
    }

    /// Scans new blocks, `batch` at a time, calling `progress(done, total)`.
    /// Returns the height scanned to.
    pub fn scan(
        &mut self,
        source: &dyn ChainSource,
        batch: usize,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64, WalletError> {
        let (tip, _) = source.tip()?;
        let start = self.state.next_height;
        while self.state.next_height <= tip {
            let blocks = source.blocks(self.state.next_height, batch.max(1))?;
            if blocks.is_empty() {
                break;
            }
            for block in blocks {
                for ctx in &block.txs {
                    self.scan_tx(ctx, block.height)?;
                }
                self.state.next_height = block.height + 1;
            }
            progress(self.state.next_height - start, tip + 1 - start);
        }
        Ok(self.state.next_height.saturating_sub(1))
    }

    fn scan_tx(&mut self, ctx: &source::ChainTx, height: u64) -> Result<(), WalletError> {
        let hash_hex = ctx.hash.to_string();
        let Some((asset, _)) = ctx.tx.outputs() else {
            return Ok(());
        };
        let asset = asset.as_str().to_owned();
        // Inputs: our outputs being spent.
        let images: Vec<String> = ctx
            .tx
            .key_images()
            .iter()
            .map(|i| hex::encode(i.as_bytes()))
            .collect();
        let mut spent_ours = 0u64;
        for o in self.state.outputs.iter_mut() {
            if images.contains(&o.key_image) {
                spent_ours += o.amount;
                o.spent = Some(Spent {
                    tx: hash_hex.clone(),
                    height: Some(height),
                });
            }
        }
        // Outputs: ours.
        let mut received = 0u64;
        let mut memo = String::new();
        for r in ctx.tx.scan(self.keys.view_key()) {
            let key_hex = hex::encode(r.one_time_key.as_bytes());
            if self.state.outputs.iter().any(|o| o.key == key_hex) {
                continue;
            }
            let x = r.one_time_secret(self.keys.spend_secret());
            let image = clsag::key_image(&x, &r.one_time_key);
            received += r.note.amount;
            if memo.is_empty() {
                memo = String::from_utf8_lossy(&r.note.memo).into_owned();
            }
            self.state.outputs.push(OwnedRecord {
                asset: asset.clone(),
                global_index: ctx.first_output + u64::from(r.index),
                key: key_hex,
                commitment: hex::encode(r.commitment.as_bytes()),
                amount: r.note.amount,
                blinding: SecretHex::new(r.note.blinding.expose().as_bytes()),
                key_offset: SecretHex::new(r.key_offset.expose().as_bytes()),
                key_image: hex::encode(image.as_bytes()),
                height,
                tx: hash_hex.clone(),
                memo: String::from_utf8_lossy(&r.note.memo).into_owned(),
                spent: None,
            });
        }
        if let Some(pos) = self.state.pending.iter().position(|p| p.tx == hash_hex) {
            let p = self.state.pending.remove(pos);
            self.state.history.push(HistoryEntry {
                tx: p.tx,
                height: Some(height),
                direction: "out".into(),
                asset: p.asset,
                amount: p.amount,
                fee: p.fee,
                memo: p.memo,
                counterparty: Some(p.to),
            });
        } else if spent_ours > 0 {
            let fee = match &ctx.tx {
                Transaction::Transfer(t) => t.fee,
                _ => 0,
            };
            self.state.history.push(HistoryEntry {
                tx: hash_hex,
                height: Some(height),
                direction: "out".into(),
                asset,
                amount: spent_ours.saturating_sub(received).saturating_sub(fee),
                fee,
                memo: String::new(),
                counterparty: None,
            });
        } else if received > 0 {
            self.state.history.push(HistoryEntry {
                tx: hash_hex,
                height: Some(height),
                direction: "in".into(),
                asset,
                amount: received,
                fee: 0,
                memo,
                counterparty: None,
            });
        }
        Ok(())
    }

    /// The spendable form of an owned output record.
    pub fn owned_output_of(&self, rec: &OwnedRecord) -> Result<OwnedOutput, WalletError> {
        self.owned_output(rec)
    }

    fn owned_output(&self, rec: &OwnedRecord) -> Result<OwnedOutput, WalletError> {
        let bad =
            |what: &str| WalletError::Data(format!("owned output {}: {what}", rec.global_index));
        let key = OneTimeKey::from_bytes(&hex32(&rec.key).ok_or_else(|| bad("key"))?)
            .map_err(|_| bad("key"))?;
        let commitment =
            Commitment::from_bytes(&hex32(&rec.commitment).ok_or_else(|| bad("commitment"))?)
                .map_err(|_| bad("commitment"))?;
        let blinding = rec
            .blinding
            .bytes32()
            .and_then(|b| scalar_from_canonical(&b))
            .ok_or_else(|| bad("blinding"))?;
        let offset = rec
            .key_offset
            .bytes32()
            .and_then(|b| scalar_from_canonical(&b))
            .ok_or_else(|| bad("key offset"))?;
        Ok(OwnedOutput {
            global_index: rec.global_index,
            member: RingMember::new(key, commitment),
            amount: rec.amount,
            blinding: Secret::new(blinding),
            one_time_secret: one_time_secret(&Secret::new(offset), self.keys.spend_secret()),
        })
    }

    /// Selects inputs, picks decoys, builds and signs a transfer of
    /// `amount` to `to`, and records it as pending (the caller saves the
    /// wallet and submits).
    #[allow(clippy::too_many_arguments)]
    pub fn prepare_transfer<R: RngCore + CryptoRng>(
        &mut self,
        source: &dyn ChainSource,
        asset: &AssetId,
        to: &Address,
        amount: u64,
        memo: &[u8],
        fee: u64,
        ring_size: usize,
        rng: &mut R,
    ) -> Result<Transaction, WalletError> {
        let needed = amount.checked_add(fee).ok_or(BuildError::Overflow)?;
        let mut candidates: Vec<&OwnedRecord> = self
            .state
            .outputs
            .iter()
            .filter(|o| o.asset == asset.as_str() && o.spent.is_none())
            .collect();
        // Largest first: fewest inputs, smallest transaction.
        candidates.sort_by_key(|c| std::cmp::Reverse(c.amount));
        let mut chosen = Vec::new();
        let mut total = 0u64;
        for c in candidates {
            if total >= needed || chosen.len() == veil_tx::limits::MAX_INPUTS {
                break;
            }
            total = total.saturating_add(c.amount);
            chosen.push(c);
        }
        if total < needed {
            return Err(WalletError::Insufficient {
                asset: asset.to_string(),
                available: self.balance(asset).confirmed,
                needed,
            });
        }
        let count = source.output_count(asset)?;
        let (_, tip_ts) = source.tip()?;
        let genesis_ts = source.genesis_time()?;
        let mut spends = Vec::with_capacity(chosen.len());
        for c in &chosen {
            let picker = decoys::DecoyPicker::new(count, genesis_ts, tip_ts.max(genesis_ts + 1));
            let indices = picker.pick(rng, c.global_index, ring_size.saturating_sub(1))?;
            let decoys = source.outputs_at(asset, &indices)?;
            spends.push(Spend {
                owned: self.owned_output(c)?,
                decoys,
            });
        }
        let plan = TransferPlan {
            asset: asset.clone(),
            fee,
            regulator_key: source.regulator_key()?,
            spends,
            payments: vec![Payment {
                to: *to,
                amount,
                memo: memo.to_vec(),
            }],
            change_address: *self.address(),
            sender: Some(*self.address()),
            include_return_address: true,
        };
        let (transfer, tx_secret) = plan.build_with_secret(rng)?;
        let tx = Transaction::Transfer(transfer);
        let hash = tx.hash().map_err(BuildError::from)?;
        self.state.sent.insert(
            hash.to_string(),
            state::SentRecord {
                tx_secret: SecretHex::new(tx_secret.expose().expose().as_bytes()),
                to: to.to_string(),
            },
        );
        let images: Vec<String> = tx
            .key_images()
            .iter()
            .map(|i| hex::encode(i.as_bytes()))
            .collect();
        for o in self.state.outputs.iter_mut() {
            if images.contains(&o.key_image) {
                o.spent = Some(Spent {
                    tx: hash.to_string(),
                    height: None,
                });
            }
        }
        self.state.pending.push(PendingTx {
            tx: hash.to_string(),
            asset: asset.to_string(),
            amount,
            change: total - needed,
            fee,
            memo: String::from_utf8_lossy(memo).into_owned(),
            to: to.to_string(),
            key_images: images,
        });
        Ok(tx)
    }

    /// Forgets a pending transfer the node refused, releasing its inputs.
    pub fn abandon(&mut self, hash: &TxHash) {
        let hex = hash.to_string();
        self.state.pending.retain(|p| p.tx != hex);
        for o in self.state.outputs.iter_mut() {
            if o.spent
                .as_ref()
                .is_some_and(|s| s.tx == hex && s.height.is_none())
            {
                o.spent = None;
            }
        }
    }
}

/// Submits `tx` and waits until it is committed; returns the height.
pub fn submit_and_wait(
    source: &dyn ChainSource,
    tx: &Transaction,
    timeout: std::time::Duration,
) -> Result<(TxHash, u64), WalletError> {
    let hash = source.submit(tx)?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match source.tx_status(&hash)? {
            TxStatus::Committed(h) => return Ok((hash, h)),
            TxStatus::NotFound => return Err(WalletError::Dropped(hash)),
            TxStatus::Pending => {}
        }
        if std::time::Instant::now() > deadline {
            return Err(WalletError::NotCommitted { hash, timeout });
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

use veil_codec::hex32;

/// A scalar from a hex secret, for callers that need the raw value.
pub fn secret_scalar(s: &SecretHex) -> Option<Secret<Scalar>> {
    s.bytes32()
        .and_then(|b| scalar_from_canonical(&b))
        .map(Secret::new)
}
