//! Account keys and addresses.
//!
//! An account has a view key pair `(a, A = a·G)` and a spend key pair
//! `(b, B = b·G)` (CryptoNote, van Saberhagen 2013, §4.3). Both secrets are
//! derived from a 32-byte seed:
//!
//! ```text
//!   a = H_s("veil/key/view/v1",  seed)
//!   b = H_s("veil/key/spend/v1", seed)
//! ```
//!
//! The view secret finds and decrypts incoming outputs; only the spend secret
//! can spend them. An address is `A ‖ B` (64 bytes) encoded as bech32m
//! (BIP-350) with human-readable part `veil`. Decoding accepts only bech32m
//! (not bech32), only that prefix, and only two valid non-identity points.

use std::fmt;
use std::str::FromStr;

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32m, Hrp};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use super::generators::mul_g;
use super::hash::hash_to_scalar;
use super::point::{Point, PointError};
use super::secret::Secret;

/// Human-readable part of Veil addresses.
pub const ADDRESS_HRP: &str = "veil";

const VIEW_TAG: &[u8] = b"veil/key/view/v1";
const SPEND_TAG: &[u8] = b"veil/key/spend/v1";

/// A public address: view public key `A` and spend public key `B`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    view: Point,
    spend: Point,
}

/// Why a string or byte string is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not valid bech32m.
    #[error("not a bech32m string: {0}")]
    Encoding(String),
    /// Wrong human-readable part.
    #[error("address prefix must be `veil`, found `{0}`")]
    Prefix(String),
    /// Data is not 64 bytes.
    #[error("address must carry 64 bytes, found {0}")]
    Length(usize),
    /// A key is not a valid point.
    #[error("address key is invalid: {0}")]
    Key(#[from] PointError),
}

impl Address {
    /// Builds an address from its two public keys (non-identity).
    pub fn new(view: Point, spend: Point) -> Result<Self, AddressError> {
        if view.is_identity() || spend.is_identity() {
            return Err(AddressError::Key(PointError::Identity));
        }
        Ok(Self { view, spend })
    }

    /// The view public key `A`.
    pub fn view_key(&self) -> &Point {
        &self.view
    }

    /// The spend public key `B`.
    pub fn spend_key(&self) -> &Point {
        &self.spend
    }

    /// `A ‖ B`.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(self.view.as_bytes());
        out[32..].copy_from_slice(self.spend.as_bytes());
        out
    }

    /// Parses `A ‖ B`.
    pub fn from_bytes(bytes: &[u8; 64]) -> Result<Self, AddressError> {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        a.copy_from_slice(&bytes[..32]);
        b.copy_from_slice(&bytes[32..]);
        Self::new(
            Point::from_bytes_non_identity(&a)?,
            Point::from_bytes_non_identity(&b)?,
        )
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        AddressBytes::from(self).fmt(f)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > 200 {
            return Err(AddressError::Encoding("too long".into()));
        }
        let checked = CheckedHrpstring::new::<Bech32m>(s)
            .map_err(|e| AddressError::Encoding(e.to_string()))?;
        let hrp = checked.hrp();
        if hrp.to_lowercase() != ADDRESS_HRP {
            return Err(AddressError::Prefix(hrp.to_string()));
        }
        let data: Vec<u8> = checked.byte_iter().collect();
        let bytes: [u8; 64] = data
            .as_slice()
            .try_into()
            .map_err(|_| AddressError::Length(data.len()))?;
        Self::from_bytes(&bytes)
    }
}

/// An address's 64 bytes `A ‖ B`, not decompressed: a label for records
/// that only name an account (the regulator's note), where validating the
/// points would be wasted work. [`AddressBytes::to_address`] validates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressBytes(pub [u8; 64]);

impl AddressBytes {
    /// `SHA-256("veil/participant/v1" ‖ 0x00 ‖ A ‖ B)`: how the on-ledger
    /// participant directory names an address without storing it.
    pub fn digest(&self) -> [u8; 32] {
        super::hash::hash256(b"veil/participant/v1", &[&self.0])
    }

    /// Validates the bytes as an address.
    pub fn to_address(&self) -> Result<Address, AddressError> {
        Address::from_bytes(&self.0)
    }
}

impl From<Address> for AddressBytes {
    fn from(a: Address) -> Self {
        Self(a.to_bytes())
    }
}

impl From<&Address> for AddressBytes {
    fn from(a: &Address) -> Self {
        Self(a.to_bytes())
    }
}

impl fmt::Display for AddressBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = Hrp::parse_unchecked(ADDRESS_HRP);
        match bech32::encode::<Bech32m>(hrp, &self.0) {
            Ok(s) => f.write_str(&s),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl fmt::Debug for AddressBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AddressBytes({self})")
    }
}

/// The view half of an account: finds and decrypts incoming outputs, cannot
/// spend them.
#[derive(Clone)]
pub struct ViewKey {
    secret: Secret<Scalar>,
    spend_public: Point,
}

impl ViewKey {
    /// The view half of the account with view secret `a` and spend public
    /// key `B` (a view-only wallet's keys).
    pub fn new(secret: Secret<Scalar>, spend_public: Point) -> Self {
        Self {
            secret,
            spend_public,
        }
    }

    /// The account's address `(a·G, B)`.
    pub fn address(&self) -> Address {
        Address {
            view: Point::from_point(mul_g(self.secret.expose())),
            spend: self.spend_public,
        }
    }

    /// The view secret `a`.
    pub fn secret(&self) -> &Secret<Scalar> {
        &self.secret
    }

    /// The spend public key `B`.
    pub fn spend_public(&self) -> &Point {
        &self.spend_public
    }
}

impl fmt::Debug for ViewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ViewKey")
            .field("secret", &self.secret)
            .field("spend_public", &self.spend_public)
            .finish()
    }
}

/// A full account: view and spend secrets and the address they make.
#[derive(Clone)]
pub struct AccountKeys {
    view: ViewKey,
    spend_secret: Secret<Scalar>,
    address: Address,
}

impl AccountKeys {
    /// Derives an account deterministically from a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let a = hash_to_scalar(VIEW_TAG, &[seed]);
        let b = hash_to_scalar(SPEND_TAG, &[seed]);
        Self::from_secrets(a, b)
    }

    /// A fresh random account.
    pub fn generate<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let keys = Self::from_seed(&seed);
        seed.zeroize();
        keys
    }

    fn from_secrets(mut a: Scalar, mut b: Scalar) -> Self {
        let view_public = Point::from_point(mul_g(&a));
        let spend_public = Point::from_point(mul_g(&b));
        let keys = Self {
            view: ViewKey {
                secret: Secret::new(a),
                spend_public,
            },
            spend_secret: Secret::new(b),
            // Both points are `x·G` for a hash-derived x ≠ 0 (probability 1 − 2⁻²⁵²).
            address: Address {
                view: view_public,
                spend: spend_public,
            },
        };
        a.zeroize();
        b.zeroize();
        keys
    }

    /// The account's address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The view half (for watch-only wallets and scanning).
    pub fn view_key(&self) -> &ViewKey {
        &self.view
    }

    /// The spend secret `b`.
    pub fn spend_secret(&self) -> &Secret<Scalar> {
        &self.spend_secret
    }
}

impl fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountKeys")
            .field("address", &self.address)
            .field("secrets", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_derivation_is_deterministic_and_pinned() {
        let k1 = AccountKeys::from_seed(&[1u8; 32]);
        let k2 = AccountKeys::from_seed(&[1u8; 32]);
        assert_eq!(k1.address(), k2.address());
        assert_ne!(AccountKeys::from_seed(&[2u8; 32]).address(), k1.address());
        let s = k1.address().to_string();
        assert!(s.starts_with("veil1"));
        assert_eq!(s.parse::<Address>().unwrap(), *k1.address());
    }

    #[test]
    fn address_parsing_rejects_bad_input() {
        let k = AccountKeys::from_seed(&[3u8; 32]);
        let good = k.address().to_string();
        // Flip one data character: checksum fails.
        let mut bad: Vec<char> = good.chars().collect();
        let i = 20;
        bad[i] = if bad[i] == 'q' { 'p' } else { 'q' };
        let bad: String = bad.into_iter().collect();
        assert!(matches!(
            bad.parse::<Address>(),
            Err(AddressError::Encoding(_))
        ));
        // Same data under another prefix.
        let other =
            bech32::encode::<Bech32m>(Hrp::parse("xmr").unwrap(), &k.address().to_bytes()).unwrap();
        assert!(matches!(
            other.parse::<Address>(),
            Err(AddressError::Prefix(_))
        ));
        // bech32 (not bech32m) checksum.
        let legacy =
            bech32::encode::<bech32::Bech32>(Hrp::parse("veil").unwrap(), &k.address().to_bytes())
                .unwrap();
        assert!(legacy.parse::<Address>().is_err());
        // Short data.
        let short = bech32::encode::<Bech32m>(Hrp::parse("veil").unwrap(), &[1u8; 10]).unwrap();
        assert_eq!(short.parse::<Address>(), Err(AddressError::Length(10)));
        // Identity keys.
        let zero = bech32::encode::<Bech32m>(Hrp::parse("veil").unwrap(), &[0u8; 64]).unwrap();
        assert!(matches!(zero.parse::<Address>(), Err(AddressError::Key(_))));
        assert!("".parse::<Address>().is_err());
        assert!("x".repeat(10_000).parse::<Address>().is_err());
    }

    #[test]
    fn secrets_never_print() {
        let k = AccountKeys::from_seed(&[9u8; 32]);
        let shown = format!("{k:?} {:?}", k.view_key());
        let a_hex = hex::encode(k.view_key().secret().expose().as_bytes());
        let b_hex = hex::encode(k.spend_secret().expose().as_bytes());
        assert!(!shown.contains(&a_hex) && !shown.contains(&b_hex));
        assert!(shown.contains("REDACTED"));
    }
}
