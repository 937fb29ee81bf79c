//! Threshold regulator keys on the officers' side: officer keystores, the
//! key-generation and resharing ceremonies (dealing files passed between
//! officers), share requests, answering one, and combining the answers the
//! node relays. The mathematics is [`veil_crypto::threshold`].
//!
//! # The ceremony (files)
//!
//! ```text
//!   officer i:  officer new           → keystore (signing key, share-transport key), card
//!   anyone:     dkg roster            → roster.json  (t, the n cards, in index order)
//!   officer i:  dkg deal              → deal-i.json  (Feldman commitments, n shares each
//!                                                     sealed to its officer, signed)
//!   officer j:  dkg finish deal-*     → its share in its keystore; group.json (public)
//!   regulator:  dkg publish           → the group key registered for an epoch slot, and a
//!                                       delegation for every officer, in group.json
//! ```
//!
//! A share is sealed to officer j's transport key `Tⱼ = eⱼ·G`: a fresh
//! `r`, `R = r·G`, and XChaCha20-Poly1305 under HKDF of `r·Tⱼ`
//! ([`veil_crypto::payload`]) with associated data binding the roster, the
//! dealer and the recipient. A dealing is signed by the dealer's
//! request-signing key, which the roster names.
//!
//! # An opening
//!
//! ```text
//!   requester:  threshold request     → request.json (the query, the group key, the
//!                                       requester's one-time key K = k·G) and its key
//!   officer j:  threshold share       → reads the same transactions (an access record),
//!                                       computes its partial for the request's points,
//!                                       seals it to K and posts it: the node records the
//!                                       officer's signed request first, then keeps the blob
//!   requester:  view --threshold      → the node serves blobs whose records are committed;
//!                                       t valid partials open the view
//! ```
//!
//! The points are recomputed by every officer from the transactions the node
//! serves for the request's range, so an officer answers for exactly the
//! transfers the request names.

use std::path::Path;

use rand_core::{CryptoRng, OsRng, RngCore};
use serde::{Deserialize, Serialize};

use veil_circuits::hook::Ciphertext as HookCiphertext;
use veil_client::types::{ThresholdShareAcceptedJson, ThresholdSharesJson};
use veil_client::Client;
use veil_crypto::hash::hash256;
use veil_crypto::hook_threshold::{
    self as hook_th, HookCombined, HookCommitments, HookDealing, HookKeyShare, HookPartial,
    HookPublicSet,
};
use veil_crypto::payload;
use veil_crypto::point::Point;
use veil_crypto::regulator_ciphertext::{RegulatorPublicKey, RegulatorSecretKey};
use veil_crypto::secret::Secret;
use veil_crypto::signing::{Signature, SigningKey, VerifyingKey};
use veil_crypto::threshold::{
    combine, Combined, CombinedKey, Commitments, Dealing, KeyShare, Params, Partial, PublicKeySet,
    ThresholdError,
};
use veil_keystore::{self as keystore, KdfParams, KeystoreError};
use veil_tx::access::Delegation;
use veil_tx::registry::Jurisdiction;
use veil_tx::Transaction;
use veil_wallet::state::SecretHex;

use super::credentials::Credentials;
use super::view::{as_served, served_bytes, Directory, Served, TransferRow};
use super::RegulatorError;

/// Keystore kind of an officer's keys.
pub const OFFICER_KIND: &str = "officer";
/// Keystore kind of a requester's one-time key.
pub const REQUEST_KIND: &str = "threshold-request";
/// Largest encrypted partial the node keeps (65 536 points).
pub const MAX_SHARE_BLOB: usize = 32 + 6 + 32 * veil_crypto::threshold::MAX_POINTS + 96 + 16;

const SHARE_INFO: &[u8] = b"veil/threshold/share/v1";
const DEALT_INFO: &[u8] = b"veil/threshold/dealt/v1";

/// Why a threshold step failed.
#[derive(Debug, thiserror::Error)]
pub enum ThresholdStepError {
    /// The mathematics refused (a bad dealing, too few shares, …).
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    /// A file does not say what it must.
    #[error("{0}")]
    Invalid(String),
    /// A keystore could not be read or written.
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// The node refused or could not be reached.
    #[error(transparent)]
    Regulator(#[from] RegulatorError),
}

fn invalid(s: impl Into<String>) -> ThresholdStepError {
    ThresholdStepError::Invalid(s.into())
}

fn hex32(s: &str, what: &str) -> Result<[u8; 32], ThresholdStepError> {
    hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| invalid(format!("{what}: not 32 bytes of hex")))
}

fn point(s: &str, what: &str) -> Result<Point, ThresholdStepError> {
    Point::from_bytes(&hex32(s, what)?).map_err(|_| invalid(format!("{what}: not a point")))
}

#[derive(Serialize, Deserialize)]
struct OfficerFile {
    name: String,
    jurisdiction: String,
    signing_seed: SecretHex,
    transport_seed: SecretHex,
    shares: Vec<SecretHex>,
    /// Shares of credential-hook keys (absent in keystores made before
    /// threshold identification).
    #[serde(default)]
    hook_shares: Vec<SecretHex>,
}

/// An officer: a request-signing key, a share-transport key, and the
/// shares of the threshold keys it holds.
pub struct Officer {
    /// A name for messages and the roster.
    pub name: String,
    /// The jurisdiction.
    pub jurisdiction: Jurisdiction,
    signer: SigningKey,
    transport_seed: Secret<[u8; 32]>,
    transport: RegulatorSecretKey,
    shares: Vec<KeyShare>,
    hook_shares: Vec<HookKeyShare>,
}

impl std::fmt::Debug for Officer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Officer")
            .field("name", &self.name)
            .field("signing_key", &hex::encode(self.signer.public().as_bytes()))
            .field("shares", &self.shares.len())
            .field("hook_shares", &self.hook_shares.len())
            .finish()
    }
}

/// What an officer publishes about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerCard {
    /// Its name.
    pub name: String,
    /// Its request-signing key (hex).
    pub signing_key: String,
    /// Its share-transport key (hex).
    pub transport_key: String,
}

impl Officer {
    /// A new officer with fresh keys.
    pub fn generate(name: &str, jurisdiction: Jurisdiction) -> Self {
        let mut s = Secret::new([0u8; 32]);
        OsRng.fill_bytes(s.expose_mut());
        let mut t = Secret::new([0u8; 32]);
        OsRng.fill_bytes(t.expose_mut());
        Self::from_parts(name, jurisdiction, &s, t, vec![], vec![])
    }

    fn from_parts(
        name: &str,
        jurisdiction: Jurisdiction,
        signing_seed: &Secret<[u8; 32]>,
        transport_seed: Secret<[u8; 32]>,
        shares: Vec<KeyShare>,
        hook_shares: Vec<HookKeyShare>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            jurisdiction,
            signer: SigningKey::from_seed(signing_seed.expose()),
            transport: RegulatorSecretKey::from_seed(transport_seed.expose()),
            transport_seed,
            shares,
            hook_shares,
        }
    }

    /// Writes the keystore (encrypted, mode 0600).
    pub fn save(&self, path: &Path, passphrase: &str, kdf: KdfParams) -> Result<(), KeystoreError> {
        let f = OfficerFile {
            name: self.name.clone(),
            jurisdiction: self.jurisdiction.to_string(),
            signing_seed: SecretHex::new(self.signer.seed().expose()),
            transport_seed: SecretHex::new(self.transport_seed.expose()),
            shares: self
                .shares
                .iter()
                .map(|s| SecretHex::new(s.to_secret_bytes().expose()))
                .collect(),
            hook_shares: self
                .hook_shares
                .iter()
                .map(|s| SecretHex::new(s.to_secret_bytes().expose()))
                .collect(),
        };
        let plain = Secret::new(
            serde_json::to_vec(&f).map_err(|_| KeystoreError::Payload("officer file"))?,
        );
        keystore::save(path, OFFICER_KIND, plain.expose(), passphrase, kdf)
    }

    /// Opens an officer keystore.
    pub fn load(path: &Path, passphrase: &str) -> Result<Self, KeystoreError> {
        let plain = keystore::load(path, OFFICER_KIND, passphrase)?;
        let bad = || KeystoreError::Payload("officer file");
        let f: OfficerFile = serde_json::from_slice(plain.expose()).map_err(|_| bad())?;
        let signing = Secret::new(f.signing_seed.bytes32().ok_or_else(bad)?);
        let transport = Secret::new(f.transport_seed.bytes32().ok_or_else(bad)?);
        let shares = f
            .shares
            .iter()
            .map(|s| {
                let bytes = s.bytes().ok_or_else(bad)?;
                KeyShare::from_secret_bytes(bytes.expose()).map_err(|_| bad())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hook_shares = f
            .hook_shares
            .iter()
            .map(|s| {
                let bytes = s.bytes().ok_or_else(bad)?;
                HookKeyShare::from_secret_bytes(bytes.expose()).map_err(|_| bad())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_parts(
            &f.name,
            Jurisdiction::new(&f.jurisdiction).map_err(|_| bad())?,
            &signing,
            transport,
            shares,
            hook_shares,
        ))
    }

    /// The public card.
    pub fn card(&self) -> OfficerCard {
        OfficerCard {
            name: self.name.clone(),
            signing_key: hex::encode(self.signer.public().as_bytes()),
            transport_key: hex::encode(self.transport.public().as_bytes()),
        }
    }

    /// The request-signing key.
    pub fn signer(&self) -> &SigningKey {
        &self.signer
    }

    /// The share of the key `public` describes, if this officer holds one.
    pub fn share_for(&self, public: &PublicKeySet) -> Option<&KeyShare> {
        self.shares.iter().find(|s| s.public() == public)
    }

    /// Every threshold key this officer holds a share of.
    pub fn shares(&self) -> &[KeyShare] {
        &self.shares
    }

    /// The share of the credential-hook key `public` describes, if any.
    pub fn hook_share_for(&self, public: &HookPublicSet) -> Option<&HookKeyShare> {
        self.hook_shares.iter().find(|s| s.public() == public)
    }

    /// Removes this officer's shares of the group's keys (the epoch key
    /// and, if the group has one, the credential-hook key) after a
    /// resharing moved them to other officers; whether it held one. The
    /// caller saves the keystore.
    pub fn forget(&mut self, group: &GroupFile) -> Result<bool, ThresholdStepError> {
        let public = group.public()?;
        let hook = group.hook_public()?;
        let before = self.shares.len() + self.hook_shares.len();
        self.shares.retain(|s| s.public() != &public);
        if let Some(h) = &hook {
            self.hook_shares.retain(|s| s.public() != h);
        }
        Ok(self.shares.len() + self.hook_shares.len() != before)
    }

    fn keep(&mut self, share: KeyShare, hook: Option<HookKeyShare>) {
        self.shares.retain(|s| s.public() != share.public());
        self.shares.push(share);
        if let Some(h) = hook {
            self.hook_shares.retain(|s| s.public() != h.public());
            self.hook_shares.push(h);
        }
    }

    /// Credentials that sign node requests as this officer, with the
    /// delegation the group file carries for it.
    pub fn credentials(&self, group: &GroupFile) -> Result<Credentials, ThresholdStepError> {
        let delegation = group.delegation_for(self.signer.public())?.ok_or_else(|| {
            invalid(format!(
                "the group file has no delegation for officer {} (the regulator runs `veil regulator dkg publish` first)",
                self.name
            ))
        })?;
        Ok(Credentials::Officer {
            signer: SigningKey::from_seed(self.signer.seed().expose()),
            delegation,
            name: self.name.clone(),
        })
    }
}

/// The officers of a threshold key and its threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// The jurisdiction.
    pub jurisdiction: String,
    /// t.
    pub threshold: u16,
    /// The officers; officer i is `officers[i − 1]`.
    pub officers: Vec<OfficerCard>,
}

impl Roster {
    /// t-of-n.
    pub fn params(&self) -> Result<Params, ThresholdStepError> {
        let n = u16::try_from(self.officers.len()).map_err(|_| invalid("too many officers"))?;
        Ok(Params::new(self.threshold, n)?)
    }

    /// The index of the officer with this signing key.
    pub fn index_of(&self, key: &VerifyingKey) -> Option<u16> {
        let hex = hex::encode(key.as_bytes());
        let i = self.officers.iter().position(|o| o.signing_key == hex)?;
        u16::try_from(i + 1).ok()
    }

    /// Its hash (of its canonical JSON), which every dealing names.
    pub fn hash(&self) -> [u8; 32] {
        hash256(
            b"veil/threshold/roster/v1",
            &[&serde_json::to_vec(self).unwrap_or_default()],
        )
    }

    fn card(&self, j: u16) -> Result<&OfficerCard, ThresholdStepError> {
        usize::from(j)
            .checked_sub(1)
            .and_then(|i| self.officers.get(i))
            .ok_or_else(|| invalid(format!("no officer {j} in the roster")))
    }

    fn signing_key(&self, j: u16) -> Result<VerifyingKey, ThresholdStepError> {
        VerifyingKey::from_bytes(&hex32(&self.card(j)?.signing_key, "signing key")?)
            .map_err(|_| invalid(format!("officer {j}: bad signing key")))
    }

    fn transport_key(&self, j: u16) -> Result<RegulatorPublicKey, ThresholdStepError> {
        RegulatorPublicKey::from_bytes(&hex32(&self.card(j)?.transport_key, "transport key")?)
            .map_err(|_| invalid(format!("officer {j}: bad transport key")))
    }

    fn check(&self) -> Result<Params, ThresholdStepError> {
        let params = self.params()?;
        Jurisdiction::new(&self.jurisdiction).map_err(|_| invalid("roster: bad jurisdiction"))?;
        let mut keys = std::collections::HashSet::new();
        for j in 1..=params.officers() {
            self.signing_key(j)?;
            self.transport_key(j)?;
            if !keys.insert(self.card(j)?.signing_key.clone()) {
                return Err(invalid(format!("officer {j} appears twice in the roster")));
            }
        }
        Ok(params)
    }
}

/// One share in a dealing, sealed to its officer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SealedShare {
    /// The recipient's index.
    pub to: u16,
    /// `R = r·G` (hex).
    pub ephemeral: String,
    /// The sealed share (hex).
    pub ciphertext: String,
}

/// A dealer's contribution to a key generation or a resharing.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DealingFile {
    /// `keygen` or `reshare`.
    pub purpose: String,
    /// Hash of the roster the shares are for (hex).
    pub roster: String,
    /// For a resharing, the old key's public set (hex).
    #[serde(default)]
    pub old: Option<String>,
    /// The dealer's index (in the old roster when resharing).
    pub dealer: u16,
    /// The dealer's signing key (hex).
    pub dealer_key: String,
    /// Feldman commitments (hex, t × 32 bytes).
    pub commitments: String,
    /// Feldman commitments of the dealing of the credential-hook key
    /// (Baby Jubjub; hex, t × 32 bytes), when the ceremony also shares one;
    /// each sealed share then carries both shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_commitments: Option<String>,
    /// One sealed share per officer.
    pub shares: Vec<SealedShare>,
    /// The dealer's signature over all of the above (hex).
    pub signature: String,
}

impl DealingFile {
    fn message(&self) -> [u8; 32] {
        let mut parts: Vec<Vec<u8>> = vec![
            self.purpose.as_bytes().to_vec(),
            self.roster.as_bytes().to_vec(),
            self.old.clone().unwrap_or_default().into_bytes(),
            self.dealer.to_le_bytes().to_vec(),
            self.dealer_key.as_bytes().to_vec(),
            self.commitments.as_bytes().to_vec(),
        ];
        if let Some(h) = &self.hook_commitments {
            parts.push(b"hook".to_vec());
            parts.push(h.as_bytes().to_vec());
        }
        for s in &self.shares {
            parts.push(s.to.to_le_bytes().to_vec());
            parts.push(s.ephemeral.as_bytes().to_vec());
            parts.push(s.ciphertext.as_bytes().to_vec());
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        hash256(b"veil/threshold/dealing/v1", &refs)
    }
}

fn dealt_ad(roster: &[u8; 32], dealer: u16, to: u16) -> Vec<u8> {
    [&roster[..], &dealer.to_le_bytes(), &to.to_le_bytes()].concat()
}

#[allow(clippy::too_many_arguments)]
fn seal_dealing<R: RngCore + CryptoRng>(
    purpose: &str,
    officer: &Officer,
    dealer: u16,
    dealing: &Dealing,
    hook: Option<&HookDealing>,
    roster: &Roster,
    old: Option<String>,
    rng: &mut R,
) -> Result<DealingFile, ThresholdStepError> {
    let params = roster.check()?;
    let rh = roster.hash();
    let shares = (1..=params.officers())
        .map(|j| {
            let to = roster.transport_key(j)?;
            let missing = || invalid(format!("no share for officer {j}"));
            let share = dealing.share_for(j).ok_or_else(missing)?;
            // `x-share (32) ‖ y-share (32)` when the hook key is dealt too.
            let mut plain = Secret::new(share.expose().as_bytes().to_vec());
            if let Some(h) = hook {
                let y = hook_th::share_to_bytes(h.share_for(j).ok_or_else(missing)?);
                plain.expose_mut().extend_from_slice(y.expose());
            }
            let sender = veil_crypto::regulator_ciphertext::RegulatorSender::new(&to, rng);
            Ok(SealedShare {
                to: j,
                ephemeral: hex::encode(sender.ephemeral().as_bytes()),
                ciphertext: hex::encode(payload::seal(
                    sender.shared_secret().expose(),
                    DEALT_INFO,
                    &dealt_ad(&rh, dealer, j),
                    plain.expose(),
                )),
            })
        })
        .collect::<Result<Vec<_>, ThresholdStepError>>()?;
    let mut file = DealingFile {
        purpose: purpose.to_owned(),
        roster: hex::encode(rh),
        old,
        dealer,
        dealer_key: hex::encode(officer.signer.public().as_bytes()),
        commitments: hex::encode(dealing.commitments.to_bytes()),
        hook_commitments: hook.map(|h| hex::encode(h.commitments.to_bytes())),
        shares,
        signature: String::new(),
    };
    file.signature = hex::encode(officer.signer.sign(&file.message()).0);
    Ok(file)
}

/// Officer `officer` deals its contribution to a new key for `roster`.
pub fn deal<R: RngCore + CryptoRng>(
    officer: &Officer,
    roster: &Roster,
    rng: &mut R,
) -> Result<DealingFile, ThresholdStepError> {
    let params = roster.check()?;
    let me = roster
        .index_of(officer.signer.public())
        .ok_or_else(|| invalid(format!("officer {} is not in the roster", officer.name)))?;
    let dealing = Dealing::generate(me, params, rng)?;
    let hook = HookDealing::generate(params, rng);
    seal_dealing(
        "keygen",
        officer,
        me,
        &dealing,
        Some(&hook),
        roster,
        None,
        rng,
    )
}

/// An old officer reshares its share of `old` to `new_roster` (the group
/// key stays).
pub fn reshare_deal<R: RngCore + CryptoRng>(
    officer: &Officer,
    old: &GroupFile,
    new_roster: &Roster,
    rng: &mut R,
) -> Result<DealingFile, ThresholdStepError> {
    let new = new_roster.check()?;
    let old_public = old.public()?;
    let share = officer.share_for(&old_public).ok_or_else(|| {
        invalid(format!(
            "officer {} holds no share of the key {}",
            officer.name, old.group_key
        ))
    })?;
    let dealing = share.reshare(new, rng);
    let hook = match old.hook_public()? {
        Some(h) => Some(
            officer
                .hook_share_for(&h)
                .ok_or_else(|| {
                    invalid(format!(
                        "officer {} holds no share of the group's credential-hook key",
                        officer.name
                    ))
                })?
                .reshare(new, rng),
        ),
        None => None,
    };
    seal_dealing(
        "reshare",
        officer,
        share.index(),
        &dealing,
        hook.as_ref(),
        new_roster,
        Some(old.public_set.clone()),
        rng,
    )
}

/// Checks a dealing's signature and opens the share sealed to `me`.
fn open_dealing(
    officer: &Officer,
    dealer_roster: &Roster,
    target: &Roster,
    me: u16,
    t: u16,
    d: &DealingFile,
) -> Result<Opened, ThresholdStepError> {
    let who = format!("the dealing of officer {}", d.dealer);
    let key = dealer_roster.signing_key(d.dealer)?;
    if hex::encode(key.as_bytes()) != d.dealer_key {
        return Err(invalid(format!(
            "{who} is signed by a key the roster does not name"
        )));
    }
    let sig: [u8; 64] = hex::decode(&d.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| invalid(format!("{who}: malformed signature")))?;
    key.verify(&d.message(), &Signature(sig))
        .map_err(|_| invalid(format!("{who}: bad signature")))?;
    if d.roster != hex::encode(target.hash()) {
        return Err(invalid(format!("{who} is for another roster")));
    }
    let commitments = Commitments::from_bytes(
        &hex::decode(&d.commitments).map_err(|_| invalid(format!("{who}: commitments")))?,
        t,
    )
    .map_err(|_| ThresholdError::BadDealing(d.dealer))?;
    let sealed = d
        .shares
        .iter()
        .find(|s| s.to == me)
        .ok_or(ThresholdError::BadDealing(d.dealer))?;
    let eph = point(&sealed.ephemeral, "ephemeral")?;
    let shared = officer.transport.diffie_hellman(&eph);
    let plain = payload::open(
        shared.expose(),
        DEALT_INFO,
        &dealt_ad(&target.hash(), d.dealer, me),
        &hex::decode(&sealed.ciphertext).map_err(|_| invalid(format!("{who}: ciphertext")))?,
    )
    .map_err(|_| ThresholdError::BadDealing(d.dealer))?;
    let bad = || ThresholdError::BadDealing(d.dealer);
    let hook = d
        .hook_commitments
        .as_ref()
        .map(|h| {
            HookCommitments::from_bytes(
                &hex::decode(h).map_err(|_| invalid(format!("{who}: hook commitments")))?,
                t,
            )
            .map_err(|_| ThresholdStepError::from(bad()))
        })
        .transpose()?;
    let expect = if hook.is_some() { 64 } else { 32 };
    let p = plain.expose();
    if p.len() != expect {
        return Err(bad().into());
    }
    let bytes: [u8; 32] = p[..32].try_into().map_err(|_| bad())?;
    let s = veil_crypto::point::scalar_from_canonical(&bytes).ok_or_else(bad)?;
    let hook = match hook {
        Some(c) => Some((c, hook_th::share_from_bytes(&p[32..]).ok_or_else(bad)?)),
        None => None,
    };
    Ok(Opened {
        dealer: d.dealer,
        commitments,
        share: Secret::new(s),
        hook,
    })
}

/// What an officer took from one dealing.
struct Opened {
    dealer: u16,
    commitments: Commitments,
    share: Secret<curve25519_dalek::scalar::Scalar>,
    hook: Option<(HookCommitments, Secret<hook_th::HookScalar>)>,
}

/// The hook-key share from every dealing's hook part: none if no dealing
/// has one, refused if only some do.
fn hook_part(
    opened: &[Opened],
    make: impl FnOnce(
        &[(u16, &HookCommitments)],
        &[(u16, &Secret<hook_th::HookScalar>)],
    ) -> Result<HookKeyShare, ThresholdError>,
) -> Result<Option<HookKeyShare>, ThresholdStepError> {
    if opened.iter().all(|o| o.hook.is_none()) {
        return Ok(None);
    }
    if let Some(o) = opened.iter().find(|o| o.hook.is_none()) {
        return Err(invalid(format!(
            "officer {}'s dealing has no credential-hook part while others do",
            o.dealer
        )));
    }
    let parts: Vec<(u16, &HookCommitments, &Secret<_>)> = opened
        .iter()
        .filter_map(|o| o.hook.as_ref().map(|(c, s)| (o.dealer, c, s)))
        .collect();
    let public: Vec<(u16, &HookCommitments)> = parts.iter().map(|(i, c, _)| (*i, *c)).collect();
    let received: Vec<(u16, &Secret<_>)> = parts.iter().map(|(i, _, s)| (*i, *s)).collect();
    Ok(Some(make(&public, &received)?))
}

fn opened_all(
    officer: &Officer,
    dealer_roster: &Roster,
    target: &Roster,
    me: u16,
    t: u16,
    purpose: &str,
    dealings: &[DealingFile],
) -> Result<Vec<Opened>, ThresholdStepError> {
    dealings
        .iter()
        .map(|d| {
            if d.purpose != purpose {
                return Err(invalid(format!(
                    "officer {}'s file is a {} dealing, not {purpose}",
                    d.dealer, d.purpose
                )));
            }
            open_dealing(officer, dealer_roster, target, me, t, d)
        })
        .collect()
}

/// Officer finishes a key generation: checks every dealing, keeps its
/// share in its keystore (the caller saves it) and returns the group file.
pub fn finish(
    officer: &mut Officer,
    roster: &Roster,
    dealings: &[DealingFile],
) -> Result<GroupFile, ThresholdStepError> {
    let params = roster.check()?;
    let me = roster
        .index_of(officer.signer.public())
        .ok_or_else(|| invalid(format!("officer {} is not in the roster", officer.name)))?;
    let opened = opened_all(
        officer,
        roster,
        roster,
        me,
        params.threshold(),
        "keygen",
        dealings,
    )?;
    let public_in: Vec<(u16, &Commitments)> =
        opened.iter().map(|o| (o.dealer, &o.commitments)).collect();
    let received: Vec<(u16, &Secret<_>)> = opened.iter().map(|o| (o.dealer, &o.share)).collect();
    let share = KeyShare::from_dkg(me, params, &public_in, &received)?;
    let hook = hook_part(&opened, |p, r| HookKeyShare::from_dkg(me, params, p, r))?;
    let group = GroupFile::new(
        roster,
        share.public(),
        hook.as_ref().map(HookKeyShare::public),
    );
    officer.keep(share, hook);
    Ok(group)
}

/// A new officer finishes a resharing of `old` to `new_roster`.
pub fn reshare_finish(
    officer: &mut Officer,
    old: &GroupFile,
    new_roster: &Roster,
    dealings: &[DealingFile],
) -> Result<GroupFile, ThresholdStepError> {
    let new = new_roster.check()?;
    let old_public = old.public()?;
    let me = new_roster
        .index_of(officer.signer.public())
        .ok_or_else(|| invalid(format!("officer {} is not in the new roster", officer.name)))?;
    for d in dealings {
        if d.old.as_deref() != Some(old.public_set.as_str()) {
            return Err(invalid(format!(
                "officer {}'s dealing reshares another key",
                d.dealer
            )));
        }
    }
    let opened = opened_all(
        officer,
        &old.roster,
        new_roster,
        me,
        new.threshold(),
        "reshare",
        dealings,
    )?;
    let public_in: Vec<(u16, &Commitments)> =
        opened.iter().map(|o| (o.dealer, &o.commitments)).collect();
    let received: Vec<(u16, &Secret<_>)> = opened.iter().map(|o| (o.dealer, &o.share)).collect();
    let share = KeyShare::from_reshare(me, new, &old_public, &public_in, &received)?;
    let hook = match old.hook_public()? {
        Some(old_hook) => {
            if opened.iter().all(|o| o.hook.is_none()) {
                return Err(invalid(
                    "the dealings do not reshare the group's credential-hook key",
                ));
            }
            hook_part(&opened, |p, r| {
                HookKeyShare::from_reshare(me, new, &old_hook, p, r)
            })?
        }
        None if opened.iter().any(|o| o.hook.is_some()) => {
            return Err(invalid(
                "the dealings carry a credential-hook part the old group does not have",
            ))
        }
        None => None,
    };
    let mut group = GroupFile::new(
        new_roster,
        share.public(),
        hook.as_ref().map(HookKeyShare::public),
    );
    group.slot = old.slot;
    officer.keep(share, hook);
    Ok(group)
}

/// Where a group key is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotJson {
    /// The epoch.
    pub epoch: u64,
    /// The version.
    pub version: u32,
}

/// A threshold key's public description: what every officer and the
/// requester work from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupFile {
    /// The jurisdiction.
    pub jurisdiction: String,
    /// `t-of-n`.
    pub threshold: String,
    /// The group key (hex): what the registry publishes.
    pub group_key: String,
    /// The public key set (hex: t, n, group key, verification shares).
    pub public_set: String,
    /// The officers.
    pub roster: Roster,
    /// Where the group key is published, once it is.
    #[serde(default)]
    pub slot: Option<SlotJson>,
    /// The regulator's delegation to each officer (hex), once published.
    #[serde(default)]
    pub delegations: Vec<String>,
    /// The credential-hook key (hex) the officers share, which a root
    /// authority accredits (`veil trust accredit --regulator-hook-key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_key: Option<String>,
    /// Its public set (hex: t, n, key, verification shares).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_set: Option<String>,
}

impl GroupFile {
    fn new(roster: &Roster, public: &PublicKeySet, hook: Option<&HookPublicSet>) -> Self {
        Self {
            jurisdiction: roster.jurisdiction.clone(),
            threshold: public.params().to_string(),
            group_key: hex::encode(public.group().as_bytes()),
            public_set: hex::encode(public.to_bytes()),
            roster: roster.clone(),
            slot: None,
            delegations: vec![],
            hook_key: hook.map(|h| hex::encode(h.key().to_bytes())),
            hook_set: hook.map(|h| hex::encode(h.to_bytes())),
        }
    }

    /// The credential-hook key's public set, checked against the stated
    /// key, if the officers share one.
    pub fn hook_public(&self) -> Result<Option<HookPublicSet>, ThresholdStepError> {
        let Some(set) = &self.hook_set else {
            return Ok(None);
        };
        let p = HookPublicSet::from_bytes(
            &hex::decode(set).map_err(|_| invalid("group file: hook set"))?,
        )?;
        if self.hook_key.as_deref() != Some(hex::encode(p.key().to_bytes()).as_str()) {
            return Err(invalid("group file: the hook set is for another key"));
        }
        Ok(Some(p))
    }

    /// The public key set, checked against the stated group key.
    pub fn public(&self) -> Result<PublicKeySet, ThresholdStepError> {
        let p = PublicKeySet::from_bytes(
            &hex::decode(&self.public_set).map_err(|_| invalid("group file: public set"))?,
        )?;
        if hex::encode(p.group().as_bytes()) != self.group_key {
            return Err(invalid("group file: the public set is for another key"));
        }
        Ok(p)
    }

    /// The group key.
    pub fn group_key(&self) -> Result<RegulatorPublicKey, ThresholdStepError> {
        Ok(*self.public()?.group())
    }

    /// The delegation issued to `key`, if any.
    pub fn delegation_for(
        &self,
        key: &VerifyingKey,
    ) -> Result<Option<Delegation>, ThresholdStepError> {
        for d in &self.delegations {
            let d = Delegation::from_bytes(
                &hex::decode(d).map_err(|_| invalid("group file: delegation"))?,
            )
            .map_err(|_| invalid("group file: delegation"))?;
            if d.auditor == *key {
                return Ok(Some(d));
            }
        }
        Ok(None)
    }
}

/// A request for partial decryptions: a query over a height range, the key
/// it opens and the requester's one-time key the answers are sealed to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRequest {
    /// The group key (hex).
    pub group_key: String,
    /// The slot it is published at.
    pub jurisdiction: String,
    /// Epoch.
    pub epoch: u64,
    /// Version.
    pub version: u32,
    /// First height.
    pub from: u64,
    /// Last height.
    pub to: u64,
    /// Also open every limb (needed only for a transfer whose regulator
    /// note does not match its amounts).
    #[serde(default)]
    pub limbs: bool,
    /// The requester's one-time key `K` (hex).
    pub requester: String,
    /// Random (hex), so two requests over one range differ.
    pub nonce: String,
    /// An identification instead of a view: the hook ciphertext
    /// `C₁ ‖ c₂` (hex, 64 bytes) of a presentation; `from..=to` is then the
    /// height the request was made at (what the officers' delegations are
    /// checked against).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identify: Option<String>,
}

impl ShareRequest {
    /// A new request over `from..=to` for `group`'s published slot; the
    /// one-time secret is returned for the requester's keystore.
    pub fn new(
        group: &GroupFile,
        from: u64,
        to: u64,
        limbs: bool,
    ) -> Result<(Self, Secret<[u8; 32]>), ThresholdStepError> {
        Self::fresh(group, from, to, limbs, None)
    }

    /// A request that t officers identify the holder behind a
    /// presentation's hook ciphertext, made at `height`.
    pub fn identify(
        group: &GroupFile,
        ciphertext: &HookCiphertext,
        height: u64,
    ) -> Result<(Self, Secret<[u8; 32]>), ThresholdStepError> {
        if group.hook_public()?.is_none() {
            return Err(invalid(
                "this group shares no credential-hook key (made before threshold identification)",
            ));
        }
        Self::fresh(
            group,
            height,
            height,
            false,
            Some(hex::encode(ciphertext.to_bytes())),
        )
    }

    /// The hook ciphertext of an identification request.
    pub fn hook_ciphertext(&self) -> Result<Option<HookCiphertext>, ThresholdStepError> {
        self.identify
            .as_ref()
            .map(|h| {
                hex::decode(h)
                    .ok()
                    .and_then(|b| HookCiphertext::from_bytes(&b).ok())
                    .ok_or_else(|| invalid("request: not a hook ciphertext"))
            })
            .transpose()
    }

    fn fresh(
        group: &GroupFile,
        from: u64,
        to: u64,
        limbs: bool,
        identify: Option<String>,
    ) -> Result<(Self, Secret<[u8; 32]>), ThresholdStepError> {
        let slot = group.slot.ok_or_else(|| {
            invalid("the group key is not published yet (`veil regulator dkg publish`)")
        })?;
        if to < from {
            return Err(invalid("need from ≤ to"));
        }
        let mut seed = Secret::new([0u8; 32]);
        OsRng.fill_bytes(seed.expose_mut());
        let k = RegulatorSecretKey::from_seed(seed.expose());
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        Ok((
            Self {
                group_key: group.group_key.clone(),
                jurisdiction: group.jurisdiction.clone(),
                epoch: slot.epoch,
                version: slot.version,
                from,
                to,
                limbs,
                requester: hex::encode(k.public().as_bytes()),
                nonce: hex::encode(nonce),
                identify,
            },
            seed,
        ))
    }

    /// The request id every share and record names.
    pub fn id(&self) -> [u8; 32] {
        hash256(
            b"veil/threshold/request/v1",
            &[&serde_json::to_vec(self).unwrap_or_default()],
        )
    }

    fn slot_matches(&self, s: &Served<'_>) -> bool {
        s.key == Some((self.jurisdiction.as_str(), self.epoch, self.version))
    }
}

/// Writes a requester's one-time secret (encrypted, mode 0600).
pub fn save_request_key(
    path: &Path,
    seed: &Secret<[u8; 32]>,
    passphrase: &str,
    kdf: KdfParams,
) -> Result<(), KeystoreError> {
    keystore::save(path, REQUEST_KIND, seed.expose(), passphrase, kdf)
}

/// Opens a requester's one-time secret.
pub fn load_request_key(
    path: &Path,
    passphrase: &str,
) -> Result<RegulatorSecretKey, KeystoreError> {
    let plain = keystore::load(path, REQUEST_KIND, passphrase)?;
    let seed: [u8; 32] = plain
        .expose()
        .as_slice()
        .try_into()
        .map_err(|_| KeystoreError::Payload("request key"))?;
    Ok(RegulatorSecretKey::from_seed(&seed))
}

/// The points `request` asks to be decrypted, from the transactions served
/// for its range: `H`, then each matching transfer's `E` (and with `limbs`
/// its limb commitments).
pub fn request_points(
    request: &ShareRequest,
    served: &[Served<'_>],
) -> Result<Vec<Point>, RegulatorError> {
    let decoded: Vec<_> = served
        .iter()
        .filter(|s| request.slot_matches(s))
        .map(|s| {
            Transaction::decode_outputs(s.bytes).map_err(|source| RegulatorError::Decode {
                tx: s.hash.to_owned(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let bundles: Vec<_> = decoded.iter().map(|v| (&v.asset, &v.bundle)).collect();
    Ok(veil_tx::bundle::view::regulator_points(
        &bundles,
        request.limbs,
    ))
}

fn share_ad(request: &[u8; 32], officer: u16) -> Vec<u8> {
    [&request[..], &officer.to_le_bytes()].concat()
}

/// An officer's answer: its partial decryption of the request's points,
/// sealed to the requester. Returns the sealed blob and how many points
/// it covers.
pub fn answer<R: RngCore + CryptoRng>(
    share: &KeyShare,
    request: &ShareRequest,
    served: &[Served<'_>],
    rng: &mut R,
) -> Result<(Vec<u8>, usize), ThresholdStepError> {
    if hex::encode(share.public().group().as_bytes()) != request.group_key {
        return Err(invalid("the request is for another key"));
    }
    let points = request_points(request, served)?;
    if points.len() > veil_crypto::threshold::MAX_POINTS {
        return Err(invalid(format!(
            "the request covers {} points, more than {} in one opening: ask for a shorter range",
            points.len(),
            veil_crypto::threshold::MAX_POINTS
        )));
    }
    let partial = share.partial(&points, rng);
    Ok((
        seal_answer(request, share.index(), &partial.to_bytes(), rng)?,
        points.len(),
    ))
}

/// An officer's answer to an identification request: `yⱼ·C₁` with its
/// proof (bound to the request), sealed to the requester.
pub fn answer_identify<R: RngCore + CryptoRng>(
    share: &HookKeyShare,
    request: &ShareRequest,
    rng: &mut R,
) -> Result<Vec<u8>, ThresholdStepError> {
    let c = request
        .hook_ciphertext()?
        .ok_or_else(|| invalid("not an identification request"))?;
    let partial = share.partial(&c.c1, &request.id(), rng);
    seal_answer(request, share.index(), &partial.to_bytes(), rng)
}

/// `R ‖ XChaCha20-Poly1305(HKDF(r·K), partial)` to the requester's key.
fn seal_answer<R: RngCore + CryptoRng>(
    request: &ShareRequest,
    officer: u16,
    partial: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, ThresholdStepError> {
    let to = RegulatorPublicKey::from_bytes(&hex32(&request.requester, "requester")?)
        .map_err(|_| invalid("requester: not a key"))?;
    let sender = veil_crypto::regulator_ciphertext::RegulatorSender::new(&to, rng);
    let sealed = payload::seal(
        sender.shared_secret().expose(),
        SHARE_INFO,
        &share_ad(&request.id(), officer),
        partial,
    );
    Ok([&sender.ephemeral().as_bytes()[..], &sealed].concat())
}

fn open_blob(
    key: &RegulatorSecretKey,
    request: &ShareRequest,
    officer: u16,
    blob: &[u8],
) -> Option<Secret<Vec<u8>>> {
    if blob.len() < 32 || blob.len() > MAX_SHARE_BLOB {
        return None;
    }
    let eph = Point::from_bytes(&blob[..32].try_into().ok()?).ok()?;
    payload::open(
        key.diffie_hellman(&eph).expose(),
        SHARE_INFO,
        &share_ad(&request.id(), officer),
        &blob[32..],
    )
    .ok()
}

/// The target an officer's share upload is signed over.
/// An identification's target also names the ciphertext's digest, so the
/// audit log shows which presentation each officer helped open.
pub fn share_target(request: &ShareRequest, officer: u16, blob: &[u8]) -> String {
    let identify = request
        .identify
        .as_ref()
        .map(|c| {
            let raw = hex::decode(c).unwrap_or_default();
            format!(
                "&identify={}",
                hex::encode(hash256(b"veil/threshold/identify/v1", &[&raw]))
            )
        })
        .unwrap_or_default();
    format!(
        "/v1/regulator/threshold/shares?request={}&officer={officer}&digest={}&from={}&to={}{identify}",
        hex::encode(request.id()),
        hex::encode(hash256(b"veil/threshold/blob/v1", &[blob])),
        request.from,
        request.to
    )
}

/// Posts an officer's sealed answer to the node (recorded first).
pub fn submit_share(
    api: &str,
    creds: &Credentials,
    request: &ShareRequest,
    officer: u16,
    blob: &[u8],
) -> Result<ThresholdShareAcceptedJson, RegulatorError> {
    let target = share_target(request, officer, blob);
    let req = super::signed_request_method(creds, "POST", &target)
        .map_err(veil_client::ClientError::from)?;
    Ok(Client::new(api).post_authorized(
        &target,
        &format!(
            "Veil-Regulator {}",
            hex::encode(req.credential().map_err(veil_client::ClientError::from)?)
        ),
        blob,
    )?)
}

/// What a threshold opening gave: the rows, the officers used and refused,
/// and the records relied on.
#[derive(Debug)]
pub struct Opening {
    /// Decrypted transfers.
    pub rows: Vec<TransferRow>,
    /// The combination: officers used and refused.
    pub combined: Combined,
    /// Access records of the officers' shares that were combined.
    pub share_records: Vec<String>,
    /// Access records of this requester's reads.
    pub access_records: Vec<String>,
}

fn check_requester(
    group: &GroupFile,
    request: &ShareRequest,
    key: &RegulatorSecretKey,
) -> Result<(), ThresholdStepError> {
    if group.group_key != request.group_key {
        return Err(invalid("the request is for another key"));
    }
    if hex::encode(key.public().as_bytes()) != request.requester {
        return Err(invalid("this request key is not the request's"));
    }
    Ok(())
}

/// Reads the request's committed shares (each read recorded in `records`)
/// and hands them to `combine`, again every two seconds up to `wait` while
/// fewer than t valid ones are there.
fn poll_shares<T>(
    api: &str,
    creds: &Credentials,
    request: &ShareRequest,
    wait: std::time::Duration,
    records: &mut Vec<String>,
    mut combine: impl FnMut(&ThresholdSharesJson) -> Result<T, ThresholdStepError>,
) -> Result<T, ThresholdStepError> {
    let target = format!(
        "/v1/regulator/threshold/shares?request={}&from={}&to={}",
        hex::encode(request.id()),
        request.from,
        request.to
    );
    let deadline = std::time::Instant::now() + wait;
    loop {
        let relayed: ThresholdSharesJson =
            super::authenticated_get(api, creds, &target).map_err(RegulatorError::from)?;
        records.push(relayed.access_record.clone());
        match combine(&relayed) {
            Err(ThresholdStepError::Threshold(ThresholdError::TooFew { .. }))
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
            other => return other,
        }
    }
}

/// The requester's side: fetches the request's transactions once, then
/// the committed shares (each read recorded; polled every two seconds up
/// to `wait` until t valid ones are there), combines t valid partials (a
/// refused officer is named) and decrypts.
pub fn open(
    api: &str,
    creds: &Credentials,
    group: &GroupFile,
    request: &ShareRequest,
    key: &RegulatorSecretKey,
    dir: &Directory,
    wait: std::time::Duration,
) -> Result<Opening, ThresholdStepError> {
    let public = group.public()?;
    check_requester(group, request, key)?;
    if request.identify.is_some() {
        return Err(invalid(
            "this request is an identification: `veil regulator identify --threshold`",
        ));
    }
    let (served, mut records) =
        super::fetch_transactions(api, creds, request.from, Some(request.to), "")?;
    let bytes = served_bytes(&served)?;
    let items = as_served(&served, &bytes);
    let points = request_points(request, &items)?;
    let (combined, share_records) = poll_shares(api, creds, request, wait, &mut records, |r| {
        let relayed = relayed_partials(group, request, key, r, |b| Partial::from_bytes(b).ok());
        relayed.settle(combine(&public, &points, &relayed.partials))
    })?;
    let opening_key = CombinedKey::new(&public, &points, &combined);
    let slot = (
        request.jurisdiction.as_str(),
        request.epoch,
        request.version,
    );
    let mine: Vec<Served<'_>> = items.into_iter().filter(|s| s.key == Some(slot)).collect();
    let rows = super::view::decrypt_served_with(&opening_key, &mine, dir)?;
    Ok(Opening {
        rows,
        combined,
        share_records,
        access_records: records,
    })
}

/// What a threshold identification gave.
#[derive(Debug)]
pub struct Identified {
    /// The holder commitment `h` the presentation was made for (hex),
    /// exactly what the single hook key decrypts.
    pub holder_commitment: String,
    /// Officers used and refused.
    pub combined: HookCombined,
    /// Access records of the officers' shares that were combined.
    pub share_records: Vec<String>,
    /// Access records of this requester's reads.
    pub access_records: Vec<String>,
}

/// The requester's side of an identification: the committed shares
/// (reads recorded), t valid partials of `C₁` combined, `h` recovered.
pub fn identify(
    api: &str,
    creds: &Credentials,
    group: &GroupFile,
    request: &ShareRequest,
    key: &RegulatorSecretKey,
    wait: std::time::Duration,
) -> Result<Identified, ThresholdStepError> {
    check_requester(group, request, key)?;
    let public = group
        .hook_public()?
        .ok_or_else(|| invalid("this group shares no credential-hook key"))?;
    let c = request
        .hook_ciphertext()?
        .ok_or_else(|| invalid("this request is a view, not an identification"))?;
    let context = request.id();
    let mut records = Vec::new();
    let (combined, share_records) = poll_shares(api, creds, request, wait, &mut records, |r| {
        let relayed = relayed_partials(group, request, key, r, |b| HookPartial::from_bytes(b).ok());
        relayed.settle(hook_th::combine(
            &public,
            &c.c1,
            &context,
            &relayed.partials,
        ))
    })?;
    Ok(Identified {
        holder_commitment: veil_circuits::field::to_hex(&combined.open(&c)),
        combined,
        share_records,
        access_records: records,
    })
}

/// A partial decryption of either kind, as relayed.
trait RelayedPartial {
    fn officer(&self) -> u16;
}

/// What combining gave, of either kind.
trait Outcome {
    fn used_at(&self) -> &[usize];
    fn used(&self) -> &[u16];
    fn rejected_mut(&mut self) -> &mut Vec<u16>;
}

/// The two kinds have the same fields.
macro_rules! relayed_kinds {
    ($($partial:ty => $combined:ty),*) => {$(
        impl RelayedPartial for $partial {
            fn officer(&self) -> u16 {
                self.officer
            }
        }

        impl Outcome for $combined {
            fn used_at(&self) -> &[usize] {
                &self.used_at
            }
            fn used(&self) -> &[u16] {
                &self.used
            }
            fn rejected_mut(&mut self) -> &mut Vec<u16> {
                &mut self.rejected
            }
        }
    )*};
}

relayed_kinds!(Partial => Combined, HookPartial => HookCombined);

/// The relayed partials that opened, each with its access record, and the
/// officers whose blob did not open or whose record is signed by a key
/// the roster does not name.
struct Relayed<P> {
    partials: Vec<P>,
    records: Vec<String>,
    unreadable: std::collections::BTreeSet<u16>,
}

/// Opens every relayed blob (an officer may have answered twice).
fn relayed_partials<P: RelayedPartial>(
    group: &GroupFile,
    request: &ShareRequest,
    key: &RegulatorSecretKey,
    relayed: &ThresholdSharesJson,
    parse: impl Fn(&[u8]) -> Option<P>,
) -> Relayed<P> {
    let mut out = Relayed {
        partials: Vec::new(),
        records: Vec::new(),
        unreadable: std::collections::BTreeSet::new(),
    };
    for s in &relayed.shares {
        // The record must be signed by the officer the roster names.
        let named = group
            .roster
            .card(s.officer)
            .map(|c| c.signing_key == s.officer_key)
            .unwrap_or(false);
        let partial = hex::decode(&s.blob)
            .ok()
            .and_then(|b| open_blob(key, request, s.officer, &b))
            .and_then(|plain| parse(plain.expose()))
            .filter(|p| p.officer() == s.officer);
        match partial {
            Some(p) if named => {
                out.partials.push(p);
                out.records.push(s.access_record.clone());
            }
            _ => {
                out.unreadable.insert(s.officer);
            }
        }
    }
    out
}

impl<P: RelayedPartial> Relayed<P> {
    /// Names unreadable officers among the refused (unless another of
    /// their answers counted) and keeps the records of the partials used.
    fn settle<C: Outcome>(
        &self,
        result: Result<C, ThresholdError>,
    ) -> Result<(C, Vec<String>), ThresholdStepError> {
        let refused = |mut rejected: Vec<u16>, used: &[u16]| {
            rejected.extend(self.unreadable.iter().filter(|o| !used.contains(o)));
            rejected.sort_unstable();
            rejected.dedup();
            rejected
        };
        match result {
            Ok(mut c) => {
                let rejected = refused(std::mem::take(c.rejected_mut()), c.used());
                *c.rejected_mut() = rejected;
                // Only the records of the partials actually combined.
                let used = c
                    .used_at()
                    .iter()
                    .map(|&i| self.records[i].clone())
                    .collect();
                Ok((c, used))
            }
            Err(ThresholdError::TooFew {
                have,
                need,
                rejected,
            }) => {
                // Officers with a valid partial (too few of them) are not refused.
                let valid: Vec<u16> = self
                    .partials
                    .iter()
                    .map(RelayedPartial::officer)
                    .filter(|o| !rejected.contains(o))
                    .collect();
                Err(ThresholdError::TooFew {
                    have,
                    need,
                    rejected: refused(rejected, &valid),
                }
                .into())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The officer's side in one call: reads the request's transactions
/// (recorded), answers and posts the answer (recorded). An identification
/// reads no transactions: the officer decrypts the request's `C₁` with
/// its share of the hook key. Returns the points covered.
pub fn share(
    api: &str,
    officer: &Officer,
    group: &GroupFile,
    request: &ShareRequest,
) -> Result<(ThresholdShareAcceptedJson, usize), ThresholdStepError> {
    let public = group.public()?;
    if request.group_key != group.group_key {
        return Err(invalid("the request is for another key"));
    }
    let share = officer.share_for(&public).ok_or_else(|| {
        invalid(format!(
            "officer {} holds no share of the key {}",
            officer.name, group.group_key
        ))
    })?;
    let creds = officer.credentials(group)?;
    let (blob, points, index) = if request.identify.is_some() {
        let hook = group
            .hook_public()?
            .ok_or_else(|| invalid("this group shares no credential-hook key"))?;
        let hs = officer.hook_share_for(&hook).ok_or_else(|| {
            invalid(format!(
                "officer {} holds no share of the credential-hook key",
                officer.name
            ))
        })?;
        (answer_identify(hs, request, &mut OsRng)?, 1, hs.index())
    } else {
        let (served, _) =
            super::fetch_transactions(api, &creds, request.from, Some(request.to), "")?;
        let bytes = served_bytes(&served)?;
        let items = as_served(&served, &bytes);
        let (blob, points) = answer(share, request, &items, &mut OsRng)?;
        (blob, points, share.index())
    };
    let accepted = submit_share(api, &creds, request, index, &blob)?;
    Ok((accepted, points))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(officers: &[Officer], t: u16) -> Roster {
        Roster {
            jurisdiction: "cn".into(),
            threshold: t,
            officers: officers.iter().map(Officer::card).collect(),
        }
    }

    #[test]
    fn a_ceremony_through_files_then_a_resharing() {
        let j = Jurisdiction::new("cn").unwrap();
        let mut officers: Vec<Officer> = (1..=5)
            .map(|i| Officer::generate(&format!("officer-{i}"), j.clone()))
            .collect();
        let r = roster(&officers, 3);
        let deals: Vec<DealingFile> = officers
            .iter()
            .map(|o| deal(o, &r, &mut OsRng).unwrap())
            .collect();
        // Files travel as JSON.
        let deals: Vec<DealingFile> = deals
            .iter()
            .map(|d| serde_json::from_str(&serde_json::to_string(d).unwrap()).unwrap())
            .collect();
        let groups: Vec<GroupFile> = officers
            .iter_mut()
            .map(|o| finish(o, &r, &deals).unwrap())
            .collect();
        assert!(groups.iter().all(|g| g.group_key == groups[0].group_key));
        // The credential-hook key is shared in the same ceremony.
        assert!(groups[0].hook_public().unwrap().is_some());
        assert!(groups.iter().all(|g| g.hook_key == groups[0].hook_key));
        // A dealing whose share to officer 2 was tampered with names its dealer.
        let mut bad = deals.clone();
        let c = &mut bad[3].shares[1].ciphertext;
        let flipped = if c.ends_with('0') { "1" } else { "0" };
        c.replace_range(c.len() - 1.., flipped);
        let err = finish(&mut officers[1], &r, &bad).unwrap_err().to_string();
        assert!(err.contains("officer 4"), "{err}");
        // A dealing without the hook part (signed so) among dealings with it
        // is refused, naming its dealer; the keystore keeps nothing.
        let mut mixed = deals.clone();
        let plain = Dealing::generate(3, r.params().unwrap(), &mut OsRng).unwrap();
        mixed[2] = seal_dealing(
            "keygen",
            &officers[2],
            3,
            &plain,
            None,
            &r,
            None,
            &mut OsRng,
        )
        .unwrap();
        let before = officers[1].shares().len();
        let err = finish(&mut officers[1], &r, &mixed)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("officer 3's dealing has no credential-hook part"),
            "{err}"
        );
        assert_eq!(officers[1].shares().len(), before);
        // An identification request whose ciphertext is not one is refused.
        let mut g = groups[0].clone();
        g.slot = Some(SlotJson {
            epoch: 0,
            version: 1,
        });
        let (mut req, _) = ShareRequest::new(&g, 1, 1, false).unwrap();
        req.identify = Some("00".repeat(64));
        assert!(ShareRequest::hook_ciphertext(&req).is_err());
        let share = officers[0]
            .hook_share_for(&g.hook_public().unwrap().unwrap())
            .unwrap();
        assert!(answer_identify(share, &req, &mut OsRng).is_err());
        // Keystore round trip keeps the share.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o1.json");
        officers[0]
            .save(
                &path,
                "pw",
                KdfParams {
                    m_cost_kib: 8,
                    t_cost: 1,
                    p_cost: 1,
                },
            )
            .unwrap();
        let back = Officer::load(&path, "pw").unwrap();
        assert!(back.share_for(&groups[0].public().unwrap()).is_some());
        assert!(!format!("{back:?}").contains(&hex::encode(back.signer.seed().expose())));

        // 3-of-5 → 2-of-3 with three new officers.
        let mut fresh: Vec<Officer> = (1..=3)
            .map(|i| Officer::generate(&format!("new-{i}"), j.clone()))
            .collect();
        let r2 = roster(&fresh, 2);
        let re: Vec<DealingFile> = [0usize, 2, 4]
            .iter()
            .map(|&i| reshare_deal(&officers[i], &groups[0], &r2, &mut OsRng).unwrap())
            .collect();
        let g2: Vec<GroupFile> = fresh
            .iter_mut()
            .map(|o| reshare_finish(o, &groups[0], &r2, &re).unwrap())
            .collect();
        assert_eq!(g2[0].group_key, groups[0].group_key);
        assert_eq!(g2[0].hook_key, groups[0].hook_key);
        assert!(g2[0].hook_public().unwrap().is_some());
        assert!(fresh[0]
            .hook_share_for(&g2[0].hook_public().unwrap().unwrap())
            .is_some());
        assert_eq!(g2[0].threshold, "2-of-3");
        // A keygen dealing offered as a resharing is refused.
        assert!(reshare_finish(&mut fresh[0], &groups[0], &r2, &deals[..3]).is_err());
    }
}
