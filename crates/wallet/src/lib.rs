//! Wallets: an encrypted keystore holding an account seed and what the
//! account has seen on chain; scanning with the view key; decoy selection;
//! building, signing and submitting transfers; backups of the seed as
//! Shamir shares ([`backup`]).

pub mod backup;
pub mod client;
pub mod cold;
pub mod decoys;
pub mod disclose;
pub use veil_keystore as keystore;
pub mod source;
pub mod state;
pub mod vault;

use std::path::Path;

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use veil_crypto::clsag::{self, RingMember};
use veil_crypto::commitment::Commitment;
use veil_crypto::keys::{AccountKeys, Address, ViewKey};
use veil_crypto::point::scalar_from_canonical;
use veil_crypto::secret::Secret;
use veil_crypto::stealth::{one_time_secret, OneTimeKey};
use veil_tx::bundle::build::BuildError;
use veil_tx::transfer::plan::OwnedOutput;
use veil_tx::{AssetId, Transaction, TxHash};

use cold::{ColdError, RequestInput, RequestMember, RequestPayment, SignedTransfer, SpendRequest};

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
    /// A spend request or signed transfer was refused.
    #[error(transparent)]
    Cold(#[from] ColdError),
    /// The operation needs the spend key and this wallet is view-only.
    #[error("this wallet is view-only: it cannot sign (sign the spend request with `veil wallet sign --offline` on the machine holding the full wallet)")]
    ViewOnly,
}

#[derive(Serialize, Deserialize)]
struct WalletFile {
    /// The seed of a full wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<SecretHex>,
    /// The view key of a view-only wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    view: Option<ViewFile>,
    label: String,
    state: WalletState,
}

/// A view-only wallet's keys in its keystore.
#[derive(Serialize, Deserialize)]
struct ViewFile {
    /// The view secret `a`, hex.
    secret: SecretHex,
    /// The spend public key `B`, hex.
    spend_public: String,
}

/// What a wallet can do: everything (seed), or see (view key only).
enum Account {
    Full { keys: AccountKeys, seed: SecretHex },
    ViewOnly { view: ViewKey, address: Address },
}

/// An open wallet.
pub struct Wallet {
    account: Account,
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
            account: Account::Full {
                keys: AccountKeys::from_seed(seed),
                seed: SecretHex::new(seed),
            },
            label: label.to_owned(),
            state: WalletState::default(),
        }
    }

    /// A view-only wallet for the account with view secret `a` and spend
    /// public key `B`: it scans and prepares spend requests, never signs.
    pub fn view_only(view: ViewKey, label: &str) -> Self {
        let address = view.address();
        Self {
            account: Account::ViewOnly { view, address },
            label: label.to_owned(),
            state: WalletState::default(),
        }
    }

    /// A view-only copy of this wallet (same state, no spend key): what
    /// `veil wallet export-view` writes for the online machine.
    pub fn to_view_only(&self) -> Self {
        let mut state = self.state.clone();
        // Transaction secrets prove payments; they stay with the signer.
        state.sent.clear();
        Self {
            account: Account::ViewOnly {
                view: self.view_key().clone(),
                address: *self.address(),
            },
            label: self.label.clone(),
            state,
        }
    }

    /// Whether this wallet holds only the view key.
    pub fn is_view_only(&self) -> bool {
        matches!(self.account, Account::ViewOnly { .. })
    }

    /// The seed (full wallets), for backups.
    pub fn seed(&self) -> Option<Secret<[u8; 32]>> {
        match &self.account {
            Account::Full { seed, .. } => seed.bytes32().map(Secret::new),
            Account::ViewOnly { .. } => None,
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
        let account = match (&file.seed, &file.view) {
            (Some(seed_hex), None) => {
                let seed = Secret::new(
                    seed_hex
                        .bytes32()
                        .ok_or_else(|| WalletError::Data("seed".into()))?,
                );
                Account::Full {
                    keys: AccountKeys::from_seed(seed.expose()),
                    seed: seed_hex.clone(),
                }
            }
            (None, Some(v)) => {
                let secret = secret_scalar(&v.secret)
                    .ok_or_else(|| WalletError::Data("view secret".into()))?;
                let spend = hex32(&v.spend_public)
                    .and_then(|b| veil_crypto::point::Point::from_bytes_non_identity(&b).ok())
                    .ok_or_else(|| WalletError::Data("spend public key".into()))?;
                let view = ViewKey::new(secret, spend);
                Account::ViewOnly {
                    address: view.address(),
                    view,
                }
            }
            _ => return Err(WalletError::Data("neither a seed nor a view key".into())),
        };
        Ok(Self {
            account,
            label: file.label.clone(),
            state: file.state.clone(),
        })
    }

    /// Saves (encrypts) the wallet to `path`.
    pub fn save(&self, path: &Path, passphrase: &str, kdf: KdfParams) -> Result<(), WalletError> {
        let (seed, view) = match &self.account {
            Account::Full { seed, .. } => (Some(seed.clone()), None),
            Account::ViewOnly { view, .. } => (
                None,
                Some(ViewFile {
                    secret: SecretHex::new(view.secret().expose().as_bytes()),
                    spend_public: hex::encode(view.spend_public().as_bytes()),
                }),
            ),
        };
        let file = WalletFile {
            seed,
            view,
            label: self.label.clone(),
            state: self.state.clone(),
        };
        let plain =
            Secret::new(serde_json::to_vec(&file).map_err(|e| WalletError::Data(e.to_string()))?);
        keystore::save(path, WALLET_KIND, plain.expose(), passphrase, kdf)?;
        Ok(())
    }

    /// The account keys (full wallets only).
    pub fn keys(&self) -> Result<&AccountKeys, WalletError> {
        match &self.account {
            Account::Full { keys, .. } => Ok(keys),
            Account::ViewOnly { .. } => Err(WalletError::ViewOnly),
        }
    }

    /// The view key: scanning and disclosures.
    pub fn view_key(&self) -> &ViewKey {
        match &self.account {
            Account::Full { keys, .. } => keys.view_key(),
            Account::ViewOnly { view, .. } => view,
        }
    }

    /// The address.
    pub fn address(&self) -> &Address {
        match &self.account {
            Account::Full { keys, .. } => keys.address(),
            Account::ViewOnly { address, .. } => address,
        }
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
        let spend_secret = self.keys().ok().map(|k| k.spend_secret().clone());
        for r in ctx.tx.scan(self.view_key()) {
            let key_hex = hex::encode(r.one_time_key.as_bytes());
            if self.state.outputs.iter().any(|o| o.key == key_hex) {
                continue;
            }
            // A view-only wallet cannot compute key images; it learns them
            // from the signed transfers it submits (`import_signed`).
            let image = spend_secret.as_ref().map_or(String::new(), |b| {
                let x = r.one_time_secret(b);
                hex::encode(clsag::key_image(&x, &r.one_time_key).as_bytes())
            });
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
                key_image: image,
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
            one_time_secret: one_time_secret(&Secret::new(offset), self.keys()?.spend_secret()),
        })
    }

    /// Selects inputs, picks decoys, builds and signs a transfer of
    /// `amount` to `to`, and records it as pending (the caller saves the
    /// wallet and submits): a spend request prepared and signed at once.
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
        self.keys()?;
        let payments = vec![RequestPayment {
            to: to.to_string(),
            amount,
            memo: String::from_utf8_lossy(memo).into_owned(),
        }];
        let request = self.build_request(source, asset, payments, fee, ring_size, rng)?;
        let signed = self.sign_request(&request, rng)?;
        Ok(signed.transaction()?)
    }

    /// Prepares a spend request paying `payments` (online, with the view
    /// key only; see [`cold`]): selects inputs, fetches decoys from the
    /// node, and reserves the inputs until the signed transfer is imported
    /// or the request released ([`Wallet::release_request`]). The caller
    /// saves the wallet.
    pub fn prepare_request<R: RngCore + CryptoRng>(
        &mut self,
        source: &dyn ChainSource,
        asset: &AssetId,
        payments: Vec<RequestPayment>,
        fee: u64,
        ring_size: usize,
        rng: &mut R,
    ) -> Result<SpendRequest, WalletError> {
        let request = self.build_request(source, asset, payments, fee, ring_size, rng)?;
        let reserved = reservation(&request.digest);
        for o in self.state.outputs.iter_mut() {
            if o.asset == request.asset
                && o.spent.is_none()
                && request
                    .inputs
                    .iter()
                    .any(|i| i.output.global_index == o.global_index)
            {
                o.spent = Some(Spent {
                    tx: reserved.clone(),
                    height: None,
                });
            }
        }
        Ok(request)
    }

    /// Releases the inputs a spend request reserved (it will not be
    /// signed). Returns how many were released.
    pub fn release_request(&mut self, request_digest: &str) -> usize {
        let reserved = reservation(request_digest);
        let mut n = 0;
        for o in self.state.outputs.iter_mut() {
            if o.spent.as_ref().is_some_and(|s| s.tx == reserved) {
                o.spent = None;
                n += 1;
            }
        }
        n
    }

    fn build_request<R: RngCore + CryptoRng>(
        &self,
        source: &dyn ChainSource,
        asset: &AssetId,
        payments: Vec<RequestPayment>,
        fee: u64,
        ring_size: usize,
        rng: &mut R,
    ) -> Result<SpendRequest, WalletError> {
        let paid = payments
            .iter()
            .try_fold(0u64, |a, p| a.checked_add(p.amount))
            .ok_or(BuildError::Overflow)?;
        let needed = paid.checked_add(fee).ok_or(BuildError::Overflow)?;
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
        let (height, tip_ts) = source.tip()?;
        let genesis_ts = source.genesis_time()?;
        let decimals = source.asset(asset)?.decimals;
        let mut inputs = Vec::with_capacity(chosen.len());
        for c in &chosen {
            let picker = decoys::DecoyPicker::new(count, genesis_ts, tip_ts.max(genesis_ts + 1));
            let indices = picker.pick(rng, c.global_index, ring_size.saturating_sub(1))?;
            let decoys = source
                .outputs_at(asset, &indices)?
                .into_iter()
                .map(|(global_index, m)| RequestMember {
                    global_index,
                    key: hex::encode(m.key.as_bytes()),
                    commitment: hex::encode(m.commitment.as_bytes()),
                })
                .collect();
            inputs.push(RequestInput {
                output: RequestMember {
                    global_index: c.global_index,
                    key: c.key.clone(),
                    commitment: c.commitment.clone(),
                },
                amount: c.amount,
                blinding: c.blinding.clone(),
                key_offset: c.key_offset.clone(),
                decoys,
            });
        }
        let request = SpendRequest {
            format: cold::REQUEST_FORMAT.into(),
            version: cold::VERSION,
            account: self.address().to_string(),
            prepared_at_height: height,
            asset: asset.to_string(),
            decimals,
            fee,
            regulator_key: hex::encode(source.regulator_key()?.as_bytes()),
            inputs,
            payments,
            change: total - needed,
            digest: String::new(),
        };
        Ok(request.seal()?)
    }

    /// Checks and signs a spend request with this (full) wallet, without
    /// any network access, and records the transfer as pending (the caller
    /// saves the wallet).
    pub fn sign_request<R: RngCore + CryptoRng>(
        &mut self,
        request: &SpendRequest,
        rng: &mut R,
    ) -> Result<SignedTransfer, WalletError> {
        let (signed, tx_secret) = request.sign(self.keys()?, rng)?;
        self.state.sent.insert(
            signed.hash.clone(),
            state::SentRecord {
                tx_secret: SecretHex::new(tx_secret.expose().as_bytes()),
                to: request
                    .payments
                    .first()
                    .map_or(String::new(), |p| p.to.clone()),
            },
        );
        // The offline wallet may never have scanned: record without the
        // ownership check (the request's inputs were checked against its
        // keys instead).
        self.record_signed(&signed);
        Ok(signed)
    }

    /// Records a signed transfer of this account as pending: its inputs
    /// spent (a view-only wallet learns their key images here, so later
    /// scans see them spent) and the transfer in the pending list.
    ///
    /// Refused unless every input is an output of this wallet.
    pub fn import_signed(&mut self, signed: &SignedTransfer) -> Result<(), WalletError> {
        let ours = |i: u64| {
            self.state
                .outputs
                .iter()
                .any(|o| o.asset == signed.asset && o.global_index == i)
        };
        if signed.spent.is_empty() || !signed.spent.iter().all(|s| ours(s.global_index)) {
            return Err(ColdError::Invalid(
                "the signed transfer spends outputs this wallet does not own".into(),
            )
            .into());
        }
        self.record_signed(signed);
        Ok(())
    }

    fn record_signed(&mut self, signed: &SignedTransfer) {
        for s in &signed.spent {
            if let Some(o) = self
                .state
                .outputs
                .iter_mut()
                .find(|o| o.asset == signed.asset && o.global_index == s.global_index)
            {
                o.key_image.clone_from(&s.key_image);
                if o.spent.as_ref().is_none_or(|x| x.height.is_none()) {
                    o.spent = Some(Spent {
                        tx: signed.hash.clone(),
                        height: None,
                    });
                }
            }
        }
        if self.state.pending.iter().any(|p| p.tx == signed.hash)
            || self.state.history.iter().any(|h| h.tx == signed.hash)
        {
            return;
        }
        let memo = signed
            .payments
            .iter()
            .map(|p| p.memo.as_str())
            .find(|m| !m.is_empty())
            .unwrap_or_default()
            .to_owned();
        let to: Vec<&str> = signed.payments.iter().map(|p| p.to.as_str()).collect();
        self.state.pending.push(PendingTx {
            tx: signed.hash.clone(),
            asset: signed.asset.clone(),
            amount: signed.payments.iter().map(|p| p.amount).sum(),
            change: signed.change,
            fee: signed.fee,
            memo,
            to: to.join(","),
            key_images: signed.spent.iter().map(|s| s.key_image.clone()).collect(),
        });
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
    Ok((hash, wait_committed(source, &hash, timeout)?))
}

/// What a prepared request's inputs are marked spent by until its signed
/// transfer replaces it or the request is released.
fn reservation(request_digest: &str) -> String {
    format!("request:{request_digest}")
}

/// Submits a signed transfer from the offline signer. First checks that its
/// ring members are the outputs `source` holds at those indices (else a
/// [`ColdError::Stale`] naming another network); if the node refuses it
/// and the regulator key it is encrypted to is no longer the one in
/// force, the refusal is a [`ColdError::Stale`] saying so. Returns the hash
/// once the node holds it as pending.
pub fn submit_signed(
    source: &dyn ChainSource,
    signed: &SignedTransfer,
) -> Result<TxHash, WalletError> {
    let tx = signed.transaction()?;
    let Transaction::Transfer(t) = &tx else {
        return Err(ColdError::Malformed {
            what: "signed transfer",
            detail: "not a transfer".into(),
        }
        .into());
    };
    let mut rings = Vec::with_capacity(t.inputs.len());
    for input in &t.inputs {
        rings.push(source.outputs_at(&t.asset, &input.ring)?);
    }
    if cold::ring_digest(&rings) != signed.ring_digest {
        return Err(ColdError::Stale(
            "its ring members are not the outputs this node holds at those indices (prepared against another network?); prepare a new request against this node".into(),
        )
        .into());
    }
    let current = hex::encode(source.regulator_key()?.as_bytes());
    match source.submit(&tx) {
        Ok(hash) => Ok(hash),
        Err(e) if current != signed.regulator_key => Err(ColdError::Stale(format!(
            "the regulator key in force changed since it was prepared (at height {}), and the node refused the transfer ({e}). Release the request, prepare a new one and sign it again",
            signed.prepared_at_height
        ))
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// Waits until the submitted transaction `hash` is committed; returns the
/// height.
pub fn wait_committed(
    source: &dyn ChainSource,
    hash: &TxHash,
    timeout: std::time::Duration,
) -> Result<u64, WalletError> {
    let hash = *hash;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match source.tx_status(&hash)? {
            TxStatus::Committed(h) => return Ok(h),
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
