//! A document key wrapped to a party's public key, and the document's
//! sealed metadata (see the crate docs for the construction).

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, Reader, Writer};
use veil_crypto::generators::mul_g;
use veil_crypto::payload;
use veil_crypto::point::Point;
use veil_crypto::rng::random_scalar;
use veil_secret::Secret;

use crate::{DocContext, DocumentKey, VaultError};

const WRAP_DOMAIN: &[u8] = b"veil/vault/wrap/v1";
const WRAP_X25519_DOMAIN: &[u8] = b"veil/vault/wrap-x25519/v1";
const META_DOMAIN: &[u8] = b"veil/vault/meta/v1";
/// Wrapped key bytes: the 32-byte key and the 16-byte tag.
const WRAPPED_LEN: usize = 48;
/// Longest file name and media type kept (bytes).
pub const MAX_NAME: usize = 255;

/// A document key wrapped to one public key `P`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    /// `R = r·G`.
    pub ephemeral: Point,
    /// The key under `AEAD_{HKDF(r·P, …)}`.
    pub ciphertext: [u8; WRAPPED_LEN],
}

fn shared(p: &RistrettoPoint) -> [u8; 32] {
    p.compress().to_bytes()
}

fn ad(ephemeral: &Point, recipient: &Point) -> [u8; 64] {
    ad_bytes(ephemeral.as_bytes(), recipient.as_bytes())
}

/// Wraps `key` to `recipient` (a view key or a regulator epoch key) for
/// the document version `ctx`.
pub fn wrap_key<R: rand_core::RngCore + rand_core::CryptoRng>(
    key: &DocumentKey,
    recipient: &Point,
    ctx: &DocContext,
    rng: &mut R,
) -> Result<WrappedKey, VaultError> {
    if recipient.is_identity() {
        return Err(VaultError::Key);
    }
    let r = Secret::new(random_scalar(rng));
    let ephemeral = Point::from_point(mul_g(r.expose()));
    let s = Secret::new(shared(&(r.expose() * recipient.point())));
    let sealed = payload::seal(
        s.expose(),
        &ctx.bytes(WRAP_DOMAIN),
        &ad(&ephemeral, recipient),
        key.expose(),
    );
    let ciphertext = sealed.try_into().map_err(|_| VaultError::Unwrap)?;
    Ok(WrappedKey {
        ephemeral,
        ciphertext,
    })
}

/// Recovers the document key from `wrapped` with the secret `x` of the
/// public key `x·G` it was wrapped to.
pub fn unwrap_key(
    wrapped: &WrappedKey,
    secret: &Secret<Scalar>,
    ctx: &DocContext,
) -> Result<DocumentKey, VaultError> {
    let recipient = Point::from_point(mul_g(secret.expose()));
    let s = Secret::new(shared(&(secret.expose() * wrapped.ephemeral.point())));
    unwrap_key_shared(wrapped, &s, &recipient, ctx)
}

/// Recovers the document key from `wrapped` given the Diffie–Hellman
/// secret `x·R` (encoded), computed by whoever holds `x` (a regulator
/// key that does not hand its scalar out), and the recipient `x·G`.
pub fn unwrap_key_shared(
    wrapped: &WrappedKey,
    shared_secret: &Secret<[u8; 32]>,
    recipient: &Point,
    ctx: &DocContext,
) -> Result<DocumentKey, VaultError> {
    open_key(
        shared_secret.expose(),
        &ctx.bytes(WRAP_DOMAIN),
        &ad(&wrapped.ephemeral, recipient),
        &wrapped.ciphertext,
    )
}

/// The document key sealed in `ciphertext` under the shared secret.
fn open_key(
    shared: &[u8; 32],
    info: &[u8],
    ad: &[u8],
    ciphertext: &[u8; WRAPPED_LEN],
) -> Result<DocumentKey, VaultError> {
    let key = payload::open(shared, info, ad, ciphertext).map_err(|_| VaultError::Unwrap)?;
    let bytes: [u8; 32] = key
        .expose()
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::Unwrap)?;
    Ok(DocumentKey::from_bytes(&bytes))
}

impl Encode for WrappedKey {
    fn write(&self, w: &mut Writer) {
        w.point(&self.ephemeral);
        w.bytes(&self.ciphertext);
    }
}

impl Decode for WrappedKey {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(Self {
            ephemeral: r.point_non_identity("wrap ephemeral key")?,
            ciphertext: r.array("wrapped key")?,
        })
    }
}

/// A document key wrapped to an X25519 key-agreement key `U` (a DID's
/// `keyAgreement` method).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementWrap {
    /// `E = X25519(e, 9)`.
    pub ephemeral: [u8; 32],
    /// The key under `AEAD_{HKDF(X25519(e, U), …)}`.
    pub ciphertext: [u8; WRAPPED_LEN],
}

/// Wraps `key` to the X25519 public key `recipient` for the document
/// version `ctx`. A recipient of small order (whose shared secret would
/// not depend on the ephemeral key) is refused.
pub fn wrap_key_x25519<R: rand_core::RngCore + rand_core::CryptoRng>(
    key: &DocumentKey,
    recipient: &[u8; 32],
    ctx: &DocContext,
    rng: &mut R,
) -> Result<AgreementWrap, VaultError> {
    let mut seed = Secret::new([0u8; 32]);
    rng.fill_bytes(seed.expose_mut());
    let e = x25519_dalek::StaticSecret::from(*seed.expose());
    let ephemeral = x25519_dalek::PublicKey::from(&e).to_bytes();
    let shared = e.diffie_hellman(&x25519_dalek::PublicKey::from(*recipient));
    if !shared.was_contributory() {
        return Err(VaultError::Key);
    }
    let sealed = payload::seal(
        shared.as_bytes(),
        &ctx.bytes(WRAP_X25519_DOMAIN),
        &ad_bytes(&ephemeral, recipient),
        key.expose(),
    );
    let ciphertext = sealed.try_into().map_err(|_| VaultError::Unwrap)?;
    Ok(AgreementWrap {
        ephemeral,
        ciphertext,
    })
}

/// The X25519 public key of `secret` (RFC 7748: `X25519(secret, 9)`).
pub fn x25519_public(secret: &Secret<[u8; 32]>) -> [u8; 32] {
    x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret.expose())).to_bytes()
}

/// Recovers the document key from `wrapped` with the X25519 secret whose
/// public key it was wrapped to.
pub fn unwrap_key_x25519(
    wrapped: &AgreementWrap,
    secret: &Secret<[u8; 32]>,
    ctx: &DocContext,
) -> Result<DocumentKey, VaultError> {
    let x = x25519_dalek::StaticSecret::from(*secret.expose());
    let recipient = x25519_public(secret);
    let shared = x.diffie_hellman(&x25519_dalek::PublicKey::from(wrapped.ephemeral));
    if !shared.was_contributory() {
        return Err(VaultError::Unwrap);
    }
    open_key(
        shared.as_bytes(),
        &ctx.bytes(WRAP_X25519_DOMAIN),
        &ad_bytes(&wrapped.ephemeral, &recipient),
        &wrapped.ciphertext,
    )
}

fn ad_bytes(ephemeral: &[u8; 32], recipient: &[u8; 32]) -> [u8; 64] {
    let mut a = [0u8; 64];
    a[..32].copy_from_slice(ephemeral);
    a[32..].copy_from_slice(recipient);
    a
}

impl Encode for AgreementWrap {
    fn write(&self, w: &mut Writer) {
        w.bytes(&self.ephemeral);
        w.bytes(&self.ciphertext);
    }
}

impl Decode for AgreementWrap {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(Self {
            ephemeral: r.array("wrap ephemeral key")?,
            ciphertext: r.array("wrapped key")?,
        })
    }
}

/// A party's wrap: to its view key (a wallet party) or to its DID's
/// X25519 key-agreement key (a DID party). Encoded `kind u8 ‖ 80 bytes`,
/// kind 1 or 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartyWrap {
    /// To a view key (kind 1).
    View(WrappedKey),
    /// To an X25519 key-agreement key (kind 2).
    Agreement(AgreementWrap),
}

/// Whom a party wrap is made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A wallet party's view key.
    View(Point),
    /// A DID party's X25519 key-agreement key.
    Agreement([u8; 32]),
}

/// Wraps `key` to `to` with the construction of its kind.
pub fn wrap_for<R: rand_core::RngCore + rand_core::CryptoRng>(
    key: &DocumentKey,
    to: &Recipient,
    ctx: &DocContext,
    rng: &mut R,
) -> Result<PartyWrap, VaultError> {
    Ok(match to {
        Recipient::View(p) => PartyWrap::View(wrap_key(key, p, ctx, rng)?),
        Recipient::Agreement(u) => PartyWrap::Agreement(wrap_key_x25519(key, u, ctx, rng)?),
    })
}

impl PartyWrap {
    /// The kind's name, for errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::View(_) => "view key",
            Self::Agreement(_) => "X25519 key agreement",
        }
    }
}

impl Encode for PartyWrap {
    fn write(&self, w: &mut Writer) {
        match self {
            Self::View(k) => {
                w.u8(1);
                k.write(w);
            }
            Self::Agreement(k) => {
                w.u8(2);
                k.write(w);
            }
        }
    }
}

impl Decode for PartyWrap {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        match r.u8("wrap kind")? {
            1 => Ok(Self::View(WrappedKey::read(r)?)),
            2 => Ok(Self::Agreement(AgreementWrap::read(r)?)),
            _ => Err(DecodeError::Invalid {
                what: "wrap kind",
                why: "must be 1 (view key) or 2 (X25519)",
            }),
        }
    }
}

/// What would leak if it were in the clear: the file's name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// File name (at most 255 bytes of UTF-8).
    pub name: String,
    /// Media type, e.g. `application/pdf` (at most 255 bytes).
    pub media_type: String,
}

impl Encode for Metadata {
    fn write(&self, w: &mut Writer) {
        w.bytes_u16("file name", self.name.as_bytes(), 0, MAX_NAME);
        w.bytes_u16("media type", self.media_type.as_bytes(), 0, MAX_NAME);
    }
}

impl Decode for Metadata {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let text = |b: &[u8], what: &'static str| {
            String::from_utf8(b.to_vec()).map_err(|_| DecodeError::Invalid {
                what,
                why: "not UTF-8",
            })
        };
        let name = text(r.bytes_u16("file name", 0, MAX_NAME)?, "file name")?;
        let media_type = text(r.bytes_u16("media type", 0, MAX_NAME)?, "media type")?;
        Ok(Self { name, media_type })
    }
}

/// Seals `meta` under the document key, bound to the content `address`.
pub fn seal_metadata(
    key: &DocumentKey,
    ctx: &DocContext,
    address: &[u8; 32],
    meta: &Metadata,
) -> Result<Vec<u8>, VaultError> {
    let plain = meta
        .encode()
        .map_err(|_| VaultError::Manifest("metadata too long"))?;
    let plain = Secret::new(plain);
    Ok(payload::seal(
        key.expose(),
        &ctx.bytes(META_DOMAIN),
        address,
        plain.expose(),
    ))
}

/// Opens sealed metadata.
pub fn open_metadata(
    key: &DocumentKey,
    ctx: &DocContext,
    address: &[u8; 32],
    sealed: &[u8],
) -> Result<Metadata, VaultError> {
    let plain = payload::open(key.expose(), &ctx.bytes(META_DOMAIN), address, sealed)
        .map_err(|_| VaultError::Unwrap)?;
    Metadata::decode(plain.expose()).map_err(|_| VaultError::Unwrap)
}
