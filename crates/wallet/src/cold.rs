//! Cold signing: a **spend request** prepared online by a view-only wallet,
//! signed offline by the wallet holding the spend key, submitted online.
//!
//! The flow follows Monero's unsigned/signed transaction sets:
//!
//! 1. The online machine holds the view key `(a, B)` only. Scanning gives it
//!    each owned output's one-time key `P = k·G + B`, the offset `k`, the
//!    amount `v` and blinding `γ` with `C = v·H + γ·G`. It cannot compute a
//!    key image `I = x·H_p(P)` (`x = k + b` needs the spend secret `b`), so it
//!    cannot sign. It selects inputs, fetches ring decoys from its node and
//!    writes a [`SpendRequest`]: inputs with `(k, v, γ)`, decoys with their
//!    `(P, C)`, payments, fee, the regulator key in force and the height.
//! 2. The offline machine holds the seed. [`SpendRequest::review`] checks
//!    the request against the account — every input's `P = (k + b)·G` and
//!    `C = v·H + γ·G`, the decoys' distinct indices and ring size, that
//!    inputs = payments + fee + change — and shows what will be signed.
//!    Signing builds the transfer with the change to the signer's own
//!    address (never an address the online machine chose) and returns a
//!    [`SignedTransfer`]: the transaction and the key images of its inputs,
//!    which the view-only wallet needs to see its outputs spent.
//! 3. The online machine checks that the regulator key and ring members are
//!    still what the node holds (a clear error if not), submits and follows
//!    the transaction to commitment.
//!
//! Both files are JSON with a `format`, a `version` and a `digest`: the
//! hex of `SHA-256("veil/spend-request" ‖ 0x00 ‖ JCS(request without
//! digest))`, JCS being RFC 8785's canonical JSON. They hold view-level
//! secrets (openings of owned outputs) and are written mode 0600.

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use veil_crypto::clsag::RingMember;
use veil_crypto::commitment::Commitment;
use veil_crypto::generators::mul_g;
use veil_crypto::hash::hash256;
use veil_crypto::keys::{AccountKeys, Address};
use veil_crypto::point::{scalar_from_canonical, Point};
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::secret::Secret;
use veil_crypto::stealth::{one_time_secret, OneTimeKey};
use veil_tx::transfer::plan::{OwnedOutput, Payment, Spend, TransferPlan};
use veil_tx::{AssetId, Transaction, TxHash};

use crate::state::SecretHex;

/// `format` of a spend request.
pub const REQUEST_FORMAT: &str = "veil-spend-request";
/// `format` of a signed transfer.
pub const SIGNED_FORMAT: &str = "veil-signed-transfer";
/// The version this code writes and reads.
pub const VERSION: u32 = 1;
/// Largest request or signed file read (16 inputs × the largest ring fit).
pub const MAX_FILE_BYTES: usize = 4 << 20;

/// Why a request or signed file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ColdError {
    /// Not JSON of the expected shape, or too large.
    #[error("not a {what}: {detail}")]
    Malformed {
        /// Which file.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Another format or version.
    #[error("{what} format {format:?} version {version} is not supported (this is {expected:?} version 1)")]
    Version {
        /// Which file.
        what: &'static str,
        /// Found format.
        format: String,
        /// Found version.
        version: u32,
        /// Expected format.
        expected: &'static str,
    },
    /// The digest does not match the content: the file was altered.
    #[error("{0} digest does not match its content (the file was altered or damaged)")]
    Digest(&'static str),
    /// The request was prepared for another account.
    #[error("the request spends from {request}, not from this wallet ({wallet})")]
    OtherAccount {
        /// The request's account.
        request: String,
        /// This wallet's address.
        wallet: String,
    },
    /// A field is inconsistent (an input is not the account's, amounts do
    /// not add up, a ring is malformed).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Building the transfer failed.
    #[error("building the transfer: {0}")]
    Build(String),
    /// The signed transfer no longer fits the chain (see [`crate::submit_signed`]).
    #[error("stale spend request: {0}")]
    Stale(String),
}

/// A ring decoy: an output of the same asset, by global index.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RequestMember {
    /// Global index within the asset.
    pub global_index: u64,
    /// One-time key `P`, hex.
    pub key: String,
    /// Commitment `C`, hex.
    pub commitment: String,
}

/// An owned output to spend, with the view-level opening the signer needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The output itself.
    #[serde(flatten)]
    pub output: RequestMember,
    /// Amount, minor units.
    pub amount: u64,
    /// Commitment blinding `γ`, hex.
    pub blinding: SecretHex,
    /// Key offset `k` with `P = k·G + B`, hex.
    pub key_offset: SecretHex,
    /// Ring decoys (ring size − 1 of them).
    pub decoys: Vec<RequestMember>,
}

/// One payment of a request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RequestPayment {
    /// Receiver address (`veil1…`).
    pub to: String,
    /// Amount, minor units.
    pub amount: u64,
    /// Memo (UTF-8, ≤ 512 bytes).
    #[serde(default)]
    pub memo: String,
}

/// What a view-only wallet asks the offline signer to sign.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpendRequest {
    /// [`REQUEST_FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The account spending (its address).
    pub account: String,
    /// The chain height the request was prepared at.
    pub prepared_at_height: u64,
    /// The asset.
    pub asset: String,
    /// The asset's decimals (for showing amounts).
    pub decimals: u8,
    /// Public fee, minor units.
    pub fee: u64,
    /// The regulator key in force when prepared, hex.
    pub regulator_key: String,
    /// Inputs.
    pub inputs: Vec<RequestInput>,
    /// Payments to others.
    pub payments: Vec<RequestPayment>,
    /// Change back to the account: inputs − payments − fee.
    pub change: u64,
    /// Digest of everything above (see the module docs).
    #[serde(default)]
    pub digest: String,
}

/// A checked request, as the signer shows it before signing.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Review {
    /// The asset.
    pub asset: String,
    /// Its decimals.
    pub decimals: u8,
    /// Payments (receiver, amount in minor units, memo).
    pub payments: Vec<RequestPayment>,
    /// Fee, minor units.
    pub fee: u64,
    /// Change back to the signer, minor units.
    pub change: u64,
    /// Sum of the inputs, minor units.
    pub inputs_total: u64,
    /// Number of inputs.
    pub inputs: usize,
    /// Ring size.
    pub ring: usize,
    /// Height prepared at.
    pub prepared_at_height: u64,
    /// The request's digest.
    pub digest: String,
}

/// A key image of an input, by the input's global index.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SpentImage {
    /// Global index of the output spent.
    pub global_index: u64,
    /// Its key image, hex.
    pub key_image: String,
}

/// The offline signer's answer: the transaction and what the online wallet
/// needs to follow it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTransfer {
    /// [`SIGNED_FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// Digest of the request signed.
    pub request_digest: String,
    /// Height the request was prepared at.
    pub prepared_at_height: u64,
    /// The regulator key the transfer is encrypted to, hex.
    pub regulator_key: String,
    /// The asset.
    pub asset: String,
    /// Its decimals.
    pub decimals: u8,
    /// Payments.
    pub payments: Vec<RequestPayment>,
    /// Fee, minor units.
    pub fee: u64,
    /// Change, minor units.
    pub change: u64,
    /// Key images of the inputs, by global index.
    pub spent: Vec<SpentImage>,
    /// Digest of the ring members signed over (see [`ring_digest`]).
    pub ring_digest: String,
    /// Transaction hash, hex.
    pub hash: String,
    /// The transaction's canonical bytes, hex.
    pub tx: String,
}

fn malformed(what: &'static str, detail: impl ToString) -> ColdError {
    ColdError::Malformed {
        what,
        detail: detail.to_string(),
    }
}

/// Reads a cold-signing file `what`: size bound, JSON shape, then its
/// `format` and `version` (as `header` gives them) against `expected`.
fn read_file<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
    expected: &'static str,
    header: impl Fn(&T) -> (&String, u32),
) -> Result<T, ColdError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(malformed(what, format!("over {MAX_FILE_BYTES} bytes")));
    }
    let file: T = serde_json::from_slice(bytes).map_err(|e| malformed(what, e))?;
    let (format, version) = header(&file);
    if format != expected || version != VERSION {
        return Err(ColdError::Version {
            what,
            format: format.clone(),
            version,
            expected,
        });
    }
    Ok(file)
}

fn invalid(detail: impl Into<String>) -> ColdError {
    ColdError::Invalid(detail.into())
}

fn digest_of<T: Serialize>(tag: &[u8], value: &T) -> Result<String, ColdError> {
    let canonical = serde_json_canonicalizer::to_vec(value).map_err(|e| malformed("JSON", e))?;
    Ok(hex::encode(hash256(tag, &[&canonical])))
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    veil_codec::hex32(s)
}

fn member_of(m: &RequestMember) -> Result<(u64, RingMember), ColdError> {
    let bad = |what: &str| invalid(format!("output {}: {what}", m.global_index));
    let key = hex32(&m.key)
        .and_then(|b| OneTimeKey::from_bytes(&b).ok())
        .ok_or_else(|| bad("one-time key"))?;
    let commitment = hex32(&m.commitment)
        .and_then(|b| Commitment::from_bytes(&b).ok())
        .ok_or_else(|| bad("commitment"))?;
    Ok((m.global_index, RingMember::new(key, commitment)))
}

/// The encoding of one ring member for [`ring_digest`].
fn member_bytes(index: u64, m: &RingMember) -> Vec<u8> {
    let mut v = Vec::with_capacity(72);
    v.extend_from_slice(&index.to_le_bytes());
    v.extend_from_slice(m.key.as_bytes());
    v.extend_from_slice(m.commitment.as_bytes());
    v
}

/// `SHA-256("veil/ring-members" ‖ 0x00 ‖ (u64le index ‖ P ‖ C)…)` over every
/// ring member of every input, in ring order: lets the online machine check
/// that the members signed over are the ones its node holds.
pub fn ring_digest(rings: &[Vec<(u64, RingMember)>]) -> String {
    let parts: Vec<Vec<u8>> = rings
        .iter()
        .flatten()
        .map(|(i, m)| member_bytes(*i, m))
        .collect();
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    hex::encode(hash256(b"veil/ring-members", &refs))
}

impl SpendRequest {
    /// Seals the request: sets its digest.
    pub fn seal(mut self) -> Result<Self, ColdError> {
        self.digest = String::new();
        self.digest = digest_of(b"veil/spend-request", &self)?;
        Ok(self)
    }

    /// Reads a request file, checking size, format, version and digest.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ColdError> {
        const WHAT: &str = "spend request";
        let r: Self = read_file(bytes, WHAT, REQUEST_FORMAT, |r: &Self| {
            (&r.format, r.version)
        })?;
        let claimed = r.digest.clone();
        if r.clone().seal()?.digest != claimed {
            return Err(ColdError::Digest(WHAT));
        }
        Ok(r)
    }

    /// The request as pretty JSON.
    pub fn to_json(&self) -> Result<Vec<u8>, ColdError> {
        serde_json::to_vec_pretty(self).map_err(|e| malformed("spend request", e))
    }

    /// Checks the request against the account that is to sign it and says
    /// what will be signed.
    pub fn review(&self, keys: &AccountKeys) -> Result<Review, ColdError> {
        self.check(keys).map(|(review, _)| review)
    }

    /// Checks everything and returns the plan to build.
    fn check(&self, keys: &AccountKeys) -> Result<(Review, TransferPlan), ColdError> {
        let me = keys.address().to_string();
        if self.account != me {
            return Err(ColdError::OtherAccount {
                request: self.account.clone(),
                wallet: me,
            });
        }
        let asset = AssetId::new(&self.asset).map_err(|e| invalid(format!("asset: {e}")))?;
        let regulator_key = hex32(&self.regulator_key)
            .and_then(|b| RegulatorPublicKey::from_bytes(&b).ok())
            .ok_or_else(|| invalid("regulator key"))?;
        if self.inputs.is_empty() || self.inputs.len() > veil_tx::limits::MAX_INPUTS {
            return Err(invalid(format!(
                "{} inputs; 1 to {} allowed",
                self.inputs.len(),
                veil_tx::limits::MAX_INPUTS
            )));
        }
        // Outputs: payments and the change.
        let outputs = self.payments.len() + usize::from(self.change > 0);
        if self.payments.is_empty() || outputs > veil_tx::limits::MAX_OUTPUTS {
            return Err(invalid(format!(
                "{} payments; 1 to {} outputs allowed",
                self.payments.len(),
                veil_tx::limits::MAX_OUTPUTS
            )));
        }
        let ring = self.inputs[0].decoys.len() + 1;
        let mut spends = Vec::with_capacity(self.inputs.len());
        let mut seen = std::collections::BTreeSet::new();
        let mut total: u64 = 0;
        for input in &self.inputs {
            let (index, member) = member_of(&input.output)?;
            let bad = |what: &str| invalid(format!("input {index}: {what}"));
            if !seen.insert(index) {
                return Err(bad("spent twice"));
            }
            if input.decoys.len() + 1 != ring
                || !(veil_tx::limits::MIN_RING..=veil_tx::limits::MAX_RING).contains(&ring)
            {
                return Err(bad("ring size differs or is out of range"));
            }
            let offset = input
                .key_offset
                .bytes32()
                .and_then(|b| scalar_from_canonical(&b))
                .map(Secret::new)
                .ok_or_else(|| bad("key offset"))?;
            let blinding = input
                .blinding
                .bytes32()
                .and_then(|b| scalar_from_canonical(&b))
                .map(Secret::new)
                .ok_or_else(|| bad("blinding"))?;
            let x = one_time_secret(&offset, keys.spend_secret());
            if Point::from_point(mul_g(x.expose())).as_bytes() != member.key.as_bytes() {
                return Err(bad("not an output of this account"));
            }
            if Commitment::new(input.amount, blinding.expose()).as_bytes()
                != member.commitment.as_bytes()
            {
                return Err(bad("amount or blinding does not open its commitment"));
            }
            let mut indices = std::collections::BTreeSet::from([index]);
            let mut decoys = Vec::with_capacity(input.decoys.len());
            for d in &input.decoys {
                let (i, m) = member_of(d)?;
                if !indices.insert(i) {
                    return Err(bad("a ring member appears twice"));
                }
                decoys.push((i, m));
            }
            total = total
                .checked_add(input.amount)
                .ok_or_else(|| invalid("inputs overflow"))?;
            spends.push(Spend {
                owned: OwnedOutput {
                    global_index: index,
                    member,
                    amount: input.amount,
                    blinding,
                    one_time_secret: x,
                },
                decoys,
            });
        }
        let mut payments = Vec::with_capacity(self.payments.len());
        let mut paid: u64 = 0;
        for p in &self.payments {
            let to: Address =
                p.to.parse()
                    .map_err(|e| invalid(format!("receiver {}: {e}", p.to)))?;
            if p.amount == 0 {
                return Err(invalid("a payment of zero"));
            }
            if p.memo.len() > veil_tx::limits::MAX_MEMO {
                return Err(invalid("a memo over 512 bytes"));
            }
            paid = paid
                .checked_add(p.amount)
                .ok_or_else(|| invalid("payments overflow"))?;
            payments.push(Payment {
                to,
                amount: p.amount,
                memo: p.memo.as_bytes().to_vec(),
            });
        }
        let spent = paid
            .checked_add(self.fee)
            .and_then(|s| s.checked_add(self.change))
            .ok_or_else(|| invalid("amounts overflow"))?;
        if spent != total {
            return Err(invalid(format!(
                "inputs hold {total} but payments + fee + change = {spent}"
            )));
        }
        let review = Review {
            asset: self.asset.clone(),
            decimals: self.decimals,
            payments: self.payments.clone(),
            fee: self.fee,
            change: self.change,
            inputs_total: total,
            inputs: self.inputs.len(),
            ring,
            prepared_at_height: self.prepared_at_height,
            digest: self.digest.clone(),
        };
        let plan = TransferPlan {
            asset,
            fee: self.fee,
            regulator_key,
            spends,
            payments,
            // Change goes to the signer, whatever the online machine says.
            change_address: *keys.address(),
            sender: Some(*keys.address()),
            include_return_address: true,
        };
        Ok((review, plan))
    }

    /// Checks the request and signs it with `keys`, without any network
    /// access. Returns the signed transfer and the transaction secret `r`
    /// (for payment proofs; the caller may keep or drop it).
    pub fn sign<R: RngCore + CryptoRng>(
        &self,
        keys: &AccountKeys,
        rng: &mut R,
    ) -> Result<(SignedTransfer, Secret<Scalar>), ColdError> {
        let (_, plan) = self.check(keys)?;
        let (transfer, tx_secret) = plan
            .build_with_secret(rng)
            .map_err(|e| ColdError::Build(e.to_string()))?;
        let tx = Transaction::Transfer(transfer);
        let bytes = veil_codec::Encode::encode(&tx).map_err(|e| ColdError::Build(e.to_string()))?;
        let hash = Transaction::hash_of(&bytes);
        let Transaction::Transfer(transfer) = &tx else {
            unreachable!("built a transfer")
        };
        // The built inputs keep the plan's order; their rings are sorted.
        let mut spent = Vec::with_capacity(plan.spends.len());
        let mut rings = Vec::with_capacity(plan.spends.len());
        for (input, spend) in transfer.inputs.iter().zip(&plan.spends) {
            spent.push(SpentImage {
                global_index: spend.owned.global_index,
                key_image: hex::encode(input.key_image.as_bytes()),
            });
            let mut members: Vec<(u64, RingMember)> = spend.decoys.clone();
            members.push((spend.owned.global_index, spend.owned.member));
            members.sort_by_key(|(i, _)| *i);
            rings.push(members);
        }
        let signed = SignedTransfer {
            format: SIGNED_FORMAT.into(),
            version: VERSION,
            request_digest: self.digest.clone(),
            prepared_at_height: self.prepared_at_height,
            regulator_key: self.regulator_key.clone(),
            asset: self.asset.clone(),
            decimals: self.decimals,
            payments: self.payments.clone(),
            fee: self.fee,
            change: self.change,
            spent,
            ring_digest: ring_digest(&rings),
            hash: hash.to_string(),
            tx: hex::encode(&bytes),
        };
        let secret = Secret::new(*tx_secret.expose().expose());
        Ok((signed, secret))
    }
}

impl SignedTransfer {
    /// Reads a signed file: size, format, version, and that the transaction
    /// decodes to the hash and key images the file states.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ColdError> {
        const WHAT: &str = "signed transfer";
        let s: Self = read_file(bytes, WHAT, SIGNED_FORMAT, |s: &Self| {
            (&s.format, s.version)
        })?;
        let tx = s.transaction()?;
        let images: Vec<String> = tx
            .key_images()
            .iter()
            .map(|i| hex::encode(i.as_bytes()))
            .collect();
        let stated: Vec<String> = s.spent.iter().map(|x| x.key_image.clone()).collect();
        if tx.hash().map(|h| h.to_string()).ok().as_deref() != Some(s.hash.as_str())
            || images != stated
        {
            return Err(ColdError::Digest(WHAT));
        }
        Ok(s)
    }

    /// The file as pretty JSON.
    pub fn to_json(&self) -> Result<Vec<u8>, ColdError> {
        serde_json::to_vec_pretty(self).map_err(|e| malformed("signed transfer", e))
    }

    /// The transaction it carries.
    pub fn transaction(&self) -> Result<Transaction, ColdError> {
        let bytes = hex::decode(&self.tx).map_err(|e| malformed("signed transfer", e))?;
        Transaction::decode(&bytes)
            .map_err(|e| malformed("signed transfer", format!("transaction: {e}")))
    }

    /// Its hash.
    pub fn tx_hash(&self) -> Result<TxHash, ColdError> {
        Ok(Transaction::hash_of(
            &hex::decode(&self.tx).map_err(|e| malformed("signed transfer", e))?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn scalar(rng: &mut ChaCha20Rng) -> Scalar {
        let mut wide = [0u8; 64];
        rng.fill_bytes(&mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    fn point(rng: &mut ChaCha20Rng) -> String {
        hex::encode(Point::from_point(mul_g(&scalar(rng))).as_bytes())
    }

    /// A request of `keys` spending one output of 1,000 (ring 4) to pay 600
    /// with a fee of 1, built by hand.
    fn request(keys: &AccountKeys, rng: &mut ChaCha20Rng) -> SpendRequest {
        let k = scalar(rng);
        let gamma = scalar(rng);
        let x = k + keys.spend_secret().expose();
        let decoys = [3u64, 9, 12]
            .iter()
            .map(|&global_index| RequestMember {
                global_index,
                key: point(rng),
                commitment: point(rng),
            })
            .collect();
        SpendRequest {
            format: REQUEST_FORMAT.into(),
            version: VERSION,
            account: keys.address().to_string(),
            prepared_at_height: 7,
            asset: "CNY".into(),
            decimals: 2,
            fee: 1,
            regulator_key: point(rng),
            inputs: vec![RequestInput {
                output: RequestMember {
                    global_index: 5,
                    key: hex::encode(Point::from_point(mul_g(&x)).as_bytes()),
                    commitment: hex::encode(Commitment::new(1_000, &gamma).as_bytes()),
                },
                amount: 1_000,
                blinding: SecretHex::new(gamma.as_bytes()),
                key_offset: SecretHex::new(k.as_bytes()),
                decoys,
            }],
            payments: vec![RequestPayment {
                to: AccountKeys::from_seed(&[2; 32]).address().to_string(),
                amount: 600,
                memo: "invoice".into(),
            }],
            change: 399,
            digest: String::new(),
        }
        .seal()
        .unwrap()
    }

    #[test]
    fn a_request_round_trips_signs_and_its_signed_file_checks() {
        let keys = AccountKeys::from_seed(&[1; 32]);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let r = request(&keys, &mut rng);
        let back = SpendRequest::from_json(&r.to_json().unwrap()).unwrap();
        let review = back.review(&keys).unwrap();
        assert_eq!(
            (review.inputs_total, review.change, review.ring),
            (1_000, 399, 4)
        );
        let (signed, _) = back.sign(&keys, &mut rng).unwrap();
        let read = SignedTransfer::from_json(&signed.to_json().unwrap()).unwrap();
        assert_eq!(read.spent[0].global_index, 5);
        assert_eq!(read.tx_hash().unwrap().to_string(), signed.hash);
        // A key image that is not the transaction's is refused.
        let mut bad = signed.clone();
        bad.spent[0].key_image = point(&mut rng);
        assert_eq!(
            SignedTransfer::from_json(&bad.to_json().unwrap()).unwrap_err(),
            ColdError::Digest("signed transfer")
        );
    }

    /// Every field the signer relies on is checked.
    #[test]
    fn the_signer_refuses_each_inconsistent_field() {
        let keys = AccountKeys::from_seed(&[1; 32]);
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let good = request(&keys, &mut rng);
        let refused = |edit: &dyn Fn(&mut SpendRequest)| {
            let mut r = good.clone();
            edit(&mut r);
            r.seal().unwrap().review(&keys).unwrap_err()
        };
        let other = AccountKeys::from_seed(&[3; 32]);
        assert!(matches!(
            good.review(&other).unwrap_err(),
            ColdError::OtherAccount { .. }
        ));
        let fresh = point(&mut rng);
        for (what, e) in [
            (
                "key",
                refused(&|r| r.inputs[0].output.key.clone_from(&fresh)),
            ),
            (
                "amount",
                refused(&|r| {
                    r.inputs[0].amount = 1_001;
                    r.change = 400;
                }),
            ),
            (
                "blinding",
                refused(&|r| r.inputs[0].blinding = SecretHex::new(&[9; 32])),
            ),
            (
                "offset",
                refused(&|r| r.inputs[0].key_offset = SecretHex::new(&[0xff; 32])),
            ),
            ("sum", refused(&|r| r.change = 400)),
            (
                "zero",
                refused(&|r| {
                    r.payments[0].amount = 0;
                    r.change = 999;
                }),
            ),
            (
                "ring twice",
                refused(&|r| r.inputs[0].decoys[1].global_index = 3),
            ),
            (
                "ring holds the input",
                refused(&|r| r.inputs[0].decoys[0].global_index = 5),
            ),
            (
                "ring size",
                refused(&|r| {
                    r.inputs[0].decoys.truncate(0);
                }),
            ),
            (
                "decoy point",
                refused(&|r| r.inputs[0].decoys[0].key = "00".repeat(31)),
            ),
            (
                "regulator key",
                refused(&|r| r.regulator_key = "ff".repeat(32)),
            ),
            (
                "receiver",
                refused(&|r| r.payments[0].to = "veil1xyz".into()),
            ),
            ("memo", refused(&|r| r.payments[0].memo = "m".repeat(513))),
            ("no inputs", refused(&|r| r.inputs.clear())),
            (
                "no payments",
                refused(&|r| {
                    r.payments.clear();
                    r.change = 999;
                }),
            ),
            ("asset", refused(&|r| r.asset = "not an asset!".into())),
        ] {
            assert!(matches!(e, ColdError::Invalid(_)), "{what}: {e}");
        }
    }

    #[test]
    fn altered_unknown_oversized_and_future_files_are_refused() {
        let keys = AccountKeys::from_seed(&[1; 32]);
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let json = String::from_utf8(request(&keys, &mut rng).to_json().unwrap()).unwrap();
        let altered = json.replacen("\"amount\": 600", "\"amount\": 601", 1);
        assert_ne!(altered, json);
        assert_eq!(
            SpendRequest::from_json(altered.as_bytes()).unwrap_err(),
            ColdError::Digest("spend request")
        );
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["version"] = 2.into();
        assert!(matches!(
            SpendRequest::from_json(v.to_string().as_bytes()).unwrap_err(),
            ColdError::Version { version: 2, .. }
        ));
        v["version"] = 1.into();
        v["extra"] = 1.into();
        assert!(matches!(
            SpendRequest::from_json(v.to_string().as_bytes()).unwrap_err(),
            ColdError::Malformed { .. }
        ));
        assert!(matches!(
            SpendRequest::from_json(&vec![b' '; MAX_FILE_BYTES + 1]).unwrap_err(),
            ColdError::Malformed { .. }
        ));
        for junk in [&b"{"[..], b"[]", b"null", &[0xff, 0xfe]] {
            assert!(SpendRequest::from_json(junk).is_err());
            assert!(SignedTransfer::from_json(junk).is_err());
        }
    }

    /// The request's secrets never appear in `Debug`.
    #[test]
    fn debug_hides_openings() {
        let keys = AccountKeys::from_seed(&[1; 32]);
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let r = request(&keys, &mut rng);
        let shown = format!("{r:?}");
        let blinding: serde_json::Value = serde_json::to_value(&r.inputs[0]).unwrap();
        assert!(!shown.contains(blinding["blinding"].as_str().unwrap()));
        assert!(!shown.contains(blinding["key_offset"].as_str().unwrap()));
    }
}
