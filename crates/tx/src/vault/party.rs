//! A vault party's keys and the records it signs: what a wallet, a DID
//! holder (or a test) needs to enrol, put, grant, revoke, open and purge.

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use veil_codec::EncodeError;
use veil_crypto::dleq::DleqProof;
use veil_crypto::hash::hash256;
use veil_crypto::keys::{AccountKeys, Address};
use veil_crypto::point::Point;
use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::secret::Secret;
use veil_crypto::signing::{SigningKey, VerifyingKey};
use veil_identity::did::Fragment;
use veil_identity::DidId;
use veil_vault::{
    seal_metadata, unwrap_key, unwrap_key_x25519, wrap_for, DocContext, DocumentKey, Manifest,
    Metadata, PartyWrap, Recipient, VaultError,
};

use super::{capability_key, document_id, enrol_base, DocId, Put, VaultOp, VaultTx};

/// A party: its request-signing key and the secret its wraps open with.
pub struct Party {
    signer: SigningKey,
    opener: Opener,
}

/// What a party's wraps open with.
enum Opener {
    /// A wallet's view key (documents are wrapped to it).
    Wallet {
        view: Secret<Scalar>,
        address: Box<Address>,
    },
    /// A DID's X25519 key-agreement key.
    Did {
        did: DidId,
        authentication: Fragment,
        agreement: Fragment,
        secret: Secret<[u8; 32]>,
    },
}

impl std::fmt::Debug for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Party")
            .field("key", &hex::encode(self.signer.public().as_bytes()))
            .field("by", &self.label())
            .finish_non_exhaustive()
    }
}

/// What a new version needs besides its content.
pub struct VersionPlan<'a> {
    /// The document (none: a new document).
    pub doc: Option<(DocId, u32)>,
    /// Parties besides the owner, with the key they are wrapped to (a
    /// wallet party's view key, a DID party's X25519 key).
    pub grantees: &'a [(VerifyingKey, Recipient)],
    /// The regulator key in force.
    pub regulator: RegulatorPublicKey,
    /// File name and media type (sealed).
    pub metadata: Metadata,
}

impl Party {
    /// The party of a wallet: its signing key is
    /// `SHA-256("veil/vault/party/v1" ‖ 0x00 ‖ spend secret)` as an Ed25519
    /// seed, so the wallet's keystore is all a bank keeps.
    pub fn from_account(keys: &AccountKeys) -> Self {
        let seed = Secret::new(hash256(
            b"veil/vault/party/v1",
            &[keys.spend_secret().expose().as_bytes()],
        ));
        Self {
            signer: SigningKey::from_seed(seed.expose()),
            opener: Opener::Wallet {
                view: Secret::new(*keys.view_key().secret().expose()),
                address: Box::new(*keys.address()),
            },
        }
    }

    /// The party of a DID holder: `signer` is the Ed25519 key of the
    /// DID's `authentication` method, `secret` the X25519 secret of its
    /// `agreement` method.
    pub fn from_did(
        did: DidId,
        authentication: Fragment,
        signer: SigningKey,
        agreement: Fragment,
        secret: Secret<[u8; 32]>,
    ) -> Self {
        Self {
            signer,
            opener: Opener::Did {
                did,
                authentication,
                agreement,
                secret,
            },
        }
    }

    /// What it is known by: its wallet address or its DID.
    pub fn label(&self) -> String {
        match &self.opener {
            Opener::Wallet { address, .. } => address.to_string(),
            Opener::Did { did, .. } => did.to_string(),
        }
    }

    /// Where its own wraps go.
    pub fn recipient(&self) -> Recipient {
        match &self.opener {
            Opener::Wallet { view, .. } => Recipient::View(Point::from_point(
                veil_crypto::generators::mul_g(view.expose()),
            )),
            Opener::Did { secret, .. } => Recipient::Agreement(veil_vault::x25519_public(secret)),
        }
    }

    /// Opens a wrap made to it.
    pub fn unwrap(&self, wrap: &PartyWrap, ctx: &DocContext) -> Result<DocumentKey, VaultError> {
        match (&self.opener, wrap) {
            (Opener::Wallet { view, .. }, PartyWrap::View(w)) => unwrap_key(w, view, ctx),
            (Opener::Did { secret, .. }, PartyWrap::Agreement(w)) => {
                unwrap_key_x25519(w, secret, ctx)
            }
            _ => Err(VaultError::Unwrap),
        }
    }

    /// Its key.
    pub fn key(&self) -> VerifyingKey {
        *self.signer.public()
    }

    /// Its address (a wallet party).
    pub fn address(&self) -> Option<&Address> {
        match &self.opener {
            Opener::Wallet { address, .. } => Some(&**address),
            Opener::Did { .. } => None,
        }
    }

    /// The view secret its wraps open with (a wallet party).
    pub fn view_secret(&self) -> Option<&Secret<Scalar>> {
        match &self.opener {
            Opener::Wallet { view, .. } => Some(view),
            Opener::Did { .. } => None,
        }
    }

    /// Signs a record.
    pub fn sign<R: RngCore + CryptoRng>(
        &self,
        op: VaultOp,
        rng: &mut R,
    ) -> Result<VaultTx, EncodeError> {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        VaultTx::sign(&self.signer, nonce, op)
    }

    /// The enrolment record.
    pub fn enrol<R: RngCore + CryptoRng>(&self, rng: &mut R) -> Result<VaultTx, EncodeError> {
        let op = match &self.opener {
            Opener::Wallet { view, address } => {
                let (_, s, proof) = DleqProof::prove(view, &enrol_base(&self.key()), rng);
                VaultOp::Enrol(Box::new(super::Enrolment {
                    address: **address,
                    s,
                    proof,
                }))
            }
            Opener::Did {
                did,
                authentication,
                agreement,
                ..
            } => VaultOp::EnrolDid {
                did: *did,
                authentication: authentication.clone(),
                agreement: agreement.clone(),
            },
        };
        self.sign(op, rng)
    }

    /// A put record for a version whose ciphertext `manifest` describes,
    /// encrypted under `key` for `ctx` (see [`Party::new_version`]).
    pub fn put<R: RngCore + CryptoRng>(
        &self,
        nonce: [u8; 16],
        ctx: &DocContext,
        key: &DocumentKey,
        manifest: &Manifest,
        plan: &VersionPlan<'_>,
        rng: &mut R,
    ) -> Result<VaultTx, VaultError> {
        let address = manifest.address();
        let mut wraps = vec![(self.key(), wrap_for(key, &self.recipient(), ctx, rng)?)];
        for (party, to) in plan.grantees {
            wraps.push((*party, wrap_for(key, to, ctx, rng)?));
        }
        let put = Put {
            doc: ctx.id,
            version: ctx.version,
            address,
            size: manifest.ciphertext_len(),
            chunks: u32::try_from(manifest.chunks.len())
                .map_err(|_| VaultError::Manifest("too many chunks"))?,
            regulator_key: plan.regulator,
            regulator_wrap: veil_vault::wrap_key(key, plan.regulator.as_point(), ctx, rng)?,
            capability: *capability_key(key, ctx).public(),
            wraps,
            metadata: seal_metadata(key, ctx, &address, &plan.metadata)?,
        };
        VaultTx::sign(&self.signer, nonce, VaultOp::Put(Box::new(put)))
            .map_err(|_| VaultError::Manifest("the put record does not encode"))
    }

    /// The document context and nonce of a new version: a new document
    /// (id derived from this party and a fresh nonce) or `latest + 1`.
    pub fn new_version<R: RngCore + CryptoRng>(
        &self,
        doc: Option<(DocId, u32)>,
        rng: &mut R,
    ) -> ([u8; 16], DocContext) {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        let ctx = match doc {
            None => DocContext {
                id: document_id(&self.key(), &nonce),
                version: 1,
            },
            Some((id, latest)) => DocContext {
                id,
                version: latest.saturating_add(1),
            },
        };
        (nonce, ctx)
    }

    /// An open record valid until `expires_ms`; with `capability`, signed
    /// also by the version's capability key (a holder of the document key
    /// who is not a grantee).
    pub fn open<R: RngCore + CryptoRng>(
        &self,
        doc: DocId,
        version: u32,
        expires_ms: u64,
        capability: Option<&DocumentKey>,
        rng: &mut R,
    ) -> Result<VaultTx, EncodeError> {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        let cap = capability.map(|k| capability_key(k, &DocContext { id: doc, version }));
        VaultTx::sign_with(
            &self.signer,
            nonce,
            VaultOp::Open {
                doc,
                version,
                expires_ms,
                capability: None,
            },
            cap.as_ref(),
        )
    }
}
