//! Disclosing one transfer to a third party, without giving away a key.
//!
//! * **Received** (by the receiver): the payload key of that one output
//!   (`HKDF(S, "veil/payload/output/v1" ‖ i)`), which opens its note and no
//!   other. The verifier decrypts the on-ledger ciphertext (whose associated
//!   data binds the one-time key and commitment) and checks that the note's
//!   amount and blinding open the on-ledger commitment.
//! * **Payment** (by the sender, Monero's `tx_key` idea): the shared secret
//!   `S = r·A` of the receiver's address with a Chaum–Pedersen proof
//!   ([`veil_crypto::dleq`]) that `log_G R = log_A S` — so `r` itself stays
//!   secret. The verifier re-derives the one-time key `P = H_s(S‖i)·G + B`
//!   (the output really pays that address), decrypts the note and checks the
//!   commitment opening. `S` opens every output of that transaction paid to
//!   that address (normally one).
//!
//! The amount is bound by the Pedersen commitment, whatever the discloser
//! claims. The memo is bound only as far as the AEAD is: XChaCha20-Poly1305
//! is not key-committing, so a sender who crafted a ciphertext for two keys
//! could disclose a different memo than the receiver read (not the amount).

use serde::{Deserialize, Serialize};

use veil_crypto::commitment::commit;
use veil_crypto::dleq::DleqProof;
use veil_crypto::keys::Address;
use veil_crypto::point::{scalar_from_canonical, Point};
use veil_crypto::secret::Secret;
use veil_crypto::stealth::{SharedSecret, TxSecret};
use veil_tx::bundle::note::OutputNote;
use veil_tx::Transaction;

use super::Wallet;

/// A disclosure file (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Disclosure {
    /// Format version (1).
    pub veil_disclosure: u8,
    /// `received` or `payment`.
    pub kind: String,
    /// Transaction hash.
    pub tx: String,
    /// Output position.
    pub output: u32,
    /// Asset.
    pub asset: String,
    /// Claimed amount (minor units).
    pub amount: u64,
    /// Claimed memo.
    pub memo: String,
    /// Received: the output's payload key, hex (56 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_key: Option<String>,
    /// Payment: the receiver's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
    /// Payment: `S = r·A`, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<String>,
    /// Payment: DLEQ proof, hex (96 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

/// Why a disclosure could not be made or does not verify.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    /// The transaction has no such output.
    #[error("transaction has no output {0}")]
    NoOutput(u32),
    /// The wallet neither received this output nor sent this transaction.
    #[error(
        "this wallet neither received output {0} nor sent the transaction (or lost its secret)"
    )]
    NotOurs(u32),
    /// A field of the file is malformed.
    #[error("malformed disclosure: {0}")]
    Malformed(&'static str),
    /// The proof that the sender knows `r` fails.
    #[error("the payment proof does not verify (S is not r·A for this transaction)")]
    BadProof,
    /// The output does not pay the named receiver.
    #[error("output {0} does not pay the named receiver")]
    WrongReceiver(u32),
    /// The note does not decrypt with the disclosed key.
    #[error("the disclosed key does not open the output's note")]
    BadKey,
    /// The note does not open the on-ledger commitment.
    #[error("the note's amount and blinding do not open the on-ledger commitment")]
    BadOpening,
    /// The claims differ from the verified note.
    #[error("claimed {claimed}, the ledger proves {proven}")]
    ClaimMismatch {
        /// Claimed.
        claimed: String,
        /// Proven.
        proven: String,
    },
}

fn check_note(
    note: &OutputNote,
    d: &Disclosure,
    tx_asset: &str,
    commitment: &veil_crypto::commitment::Commitment,
) -> Result<(), DisclosureError> {
    if commit(note.amount, note.blinding.expose()) != *commitment.point() {
        return Err(DisclosureError::BadOpening);
    }
    let memo = String::from_utf8_lossy(&note.memo);
    if note.amount != d.amount
        || memo != d.memo
        || note.asset.as_str() != tx_asset
        || d.asset != tx_asset
    {
        return Err(DisclosureError::ClaimMismatch {
            claimed: format!("{} {} {:?}", d.amount, d.asset, d.memo),
            proven: format!("{} {} {:?}", note.amount, note.asset, memo),
        });
    }
    Ok(())
}

impl Wallet {
    /// Discloses output `index` of `tx`: as its receiver if this wallet
    /// received it, else as the sender if this wallet sent `tx`.
    pub fn disclose<R: rand_core::RngCore + rand_core::CryptoRng>(
        &self,
        tx: &Transaction,
        index: u32,
        rng: &mut R,
    ) -> Result<Disclosure, DisclosureError> {
        let (asset, bundle) = tx.outputs().ok_or(DisclosureError::NoOutput(index))?;
        let pos = usize::try_from(index).map_err(|_| DisclosureError::NoOutput(index))?;
        let output = bundle
            .outputs
            .get(pos)
            .ok_or(DisclosureError::NoOutput(index))?;
        let hash = tx
            .hash()
            .map_err(|_| DisclosureError::Malformed("transaction cannot be encoded"))?
            .to_string();
        let base = |note: &OutputNote, kind: &str| Disclosure {
            veil_disclosure: 1,
            kind: kind.into(),
            tx: hash.clone(),
            output: index,
            asset: asset.to_string(),
            amount: note.amount,
            memo: String::from_utf8_lossy(&note.memo).into_owned(),
            payload_key: None,
            receiver: None,
            shared_secret: None,
            proof: None,
        };
        // Received?
        if let Some(r) = tx
            .scan(self.view_key())
            .into_iter()
            .find(|r| r.index == index)
        {
            let shared = SharedSecret::receive(self.view_key(), &bundle.tx_public_key);
            let key = OutputNote::payload_key(shared.as_bytes(), index);
            let mut d = base(&r.note, "received");
            d.payload_key = Some(hex::encode(key.expose()));
            return Ok(d);
        }
        // Sent?
        let sent = self
            .state
            .sent
            .get(&hash)
            .ok_or(DisclosureError::NotOurs(index))?;
        let r = sent
            .tx_secret
            .bytes32()
            .and_then(|b| scalar_from_canonical(&b))
            .ok_or(DisclosureError::NotOurs(index))?;
        let receiver: Address = sent
            .to
            .parse()
            .map_err(|_| DisclosureError::NotOurs(index))?;
        let secret = TxSecret::from_scalar(r);
        let (_, s, proof) = DleqProof::prove(secret.expose(), receiver.view_key(), rng);
        let shared = secret.shared_secret(receiver.view_key());
        if shared.one_time_key(index, receiver.spend_key()) != output.one_time_key {
            return Err(DisclosureError::WrongReceiver(index));
        }
        let commitment = output.commitment();
        let note = OutputNote::open(
            shared.as_bytes(),
            index,
            output.one_time_key.as_bytes(),
            commitment.as_bytes(),
            &output.payload,
        )
        .map_err(|_| DisclosureError::BadKey)?;
        let mut d = base(&note, "payment");
        d.receiver = Some(receiver.to_string());
        d.shared_secret = Some(hex::encode(s.as_bytes()));
        d.proof = Some(hex::encode(proof.to_bytes()));
        Ok(d)
    }
}

/// What a verified disclosure proves.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Verified {
    /// `received` or `payment`.
    pub kind: String,
    /// Transaction.
    pub tx: String,
    /// Output.
    pub output: u32,
    /// Asset.
    pub asset: String,
    /// The proven amount.
    pub amount: u64,
    /// The memo.
    pub memo: String,
    /// The receiver, for a payment proof.
    pub receiver: Option<String>,
}

/// Verifies a disclosure against the committed transaction.
pub fn verify_disclosure(d: &Disclosure, tx: &Transaction) -> Result<Verified, DisclosureError> {
    let hash = tx
        .hash()
        .map_err(|_| DisclosureError::Malformed("transaction cannot be encoded"))?;
    if d.veil_disclosure != 1 || hash.to_string() != d.tx {
        return Err(DisclosureError::Malformed("version or transaction hash"));
    }
    let (asset, bundle) = tx.outputs().ok_or(DisclosureError::NoOutput(d.output))?;
    let pos = usize::try_from(d.output).map_err(|_| DisclosureError::NoOutput(d.output))?;
    let output = bundle
        .outputs
        .get(pos)
        .ok_or(DisclosureError::NoOutput(d.output))?;
    let commitment = output.commitment();
    let note = match d.kind.as_str() {
        "received" => {
            let key: [u8; 56] = d
                .payload_key
                .as_ref()
                .and_then(|k| hex::decode(k).ok())
                .and_then(|k| k.try_into().ok())
                .ok_or(DisclosureError::Malformed("payload_key"))?;
            OutputNote::open_with_key(
                &key,
                output.one_time_key.as_bytes(),
                commitment.as_bytes(),
                &output.payload,
            )
            .map_err(|_| DisclosureError::BadKey)?
        }
        "payment" => {
            let receiver: Address = d
                .receiver
                .as_ref()
                .and_then(|r| r.parse().ok())
                .ok_or(DisclosureError::Malformed("receiver"))?;
            let s_bytes: [u8; 32] = d
                .shared_secret
                .as_ref()
                .and_then(|k| hex::decode(k).ok())
                .and_then(|k| k.try_into().ok())
                .ok_or(DisclosureError::Malformed("shared_secret"))?;
            let s = Point::from_bytes(&s_bytes)
                .map_err(|_| DisclosureError::Malformed("shared_secret"))?;
            let proof_bytes: [u8; 96] = d
                .proof
                .as_ref()
                .and_then(|k| hex::decode(k).ok())
                .and_then(|k| k.try_into().ok())
                .ok_or(DisclosureError::Malformed("proof"))?;
            let proof =
                DleqProof::from_bytes(&proof_bytes).ok_or(DisclosureError::Malformed("proof"))?;
            if !proof.verify(bundle.tx_public_key.as_point(), receiver.view_key(), &s) {
                return Err(DisclosureError::BadProof);
            }
            let shared = SharedSecret::from_disclosed(Secret::new(s_bytes));
            if shared.one_time_key(d.output, receiver.spend_key()) != output.one_time_key {
                return Err(DisclosureError::WrongReceiver(d.output));
            }
            OutputNote::open(
                shared.as_bytes(),
                d.output,
                output.one_time_key.as_bytes(),
                commitment.as_bytes(),
                &output.payload,
            )
            .map_err(|_| DisclosureError::BadKey)?
        }
        _ => return Err(DisclosureError::Malformed("kind")),
    };
    check_note(&note, d, asset.as_str(), &commitment)?;
    Ok(Verified {
        kind: d.kind.clone(),
        tx: d.tx.clone(),
        output: d.output,
        asset: asset.to_string(),
        amount: note.amount,
        memo: d.memo.clone(),
        receiver: d.receiver.clone(),
    })
}
