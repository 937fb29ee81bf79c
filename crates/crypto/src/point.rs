//! Validated ristretto255 points and canonical scalars as they cross the wire.
//!
//! A [`Point`] keeps both forms of a group element: its canonical 32-byte
//! encoding (what is hashed and stored) and the decompressed point (what the
//! arithmetic uses). It can only be built from bytes that decompress
//! (RFC 9496 §4.3.1 rejects every non-canonical encoding) or from a point,
//! so a `Point` in hand is always valid and decompression happens once.
//!
//! Protocol values get their own newtypes over `Point`
//! ([`point_newtype!`](crate::point_newtype)), so a key image cannot be passed
//! where a commitment is expected.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};

/// Why 32 bytes are not an acceptable point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    /// Not a canonical ristretto255 encoding.
    #[error("not a canonical ristretto255 point encoding")]
    Invalid,
    /// The identity element where a non-identity point is required.
    #[error("identity point where a non-identity point is required")]
    Identity,
}

/// A valid ristretto255 point with its canonical encoding.
#[derive(Clone, Copy)]
pub struct Point {
    bytes: [u8; 32],
    point: RistrettoPoint,
}

impl Point {
    /// Decodes and validates a canonical encoding.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, PointError> {
        let point = CompressedRistretto(*bytes)
            .decompress()
            .ok_or(PointError::Invalid)?;
        Ok(Self {
            bytes: *bytes,
            point,
        })
    }

    /// Decodes a canonical encoding that must not be the identity.
    pub fn from_bytes_non_identity(bytes: &[u8; 32]) -> Result<Self, PointError> {
        let p = Self::from_bytes(bytes)?;
        if p.is_identity() {
            return Err(PointError::Identity);
        }
        Ok(p)
    }

    /// Wraps a computed point (compresses it once).
    pub fn from_point(point: RistrettoPoint) -> Self {
        Self {
            bytes: point.compress().to_bytes(),
            point,
        }
    }

    /// The identity element.
    pub fn identity() -> Self {
        Self::from_point(RistrettoPoint::identity())
    }

    /// The canonical encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The group element.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// Whether this is the identity element.
    pub fn is_identity(&self) -> bool {
        self.point.is_identity()
    }
}

impl PartialEq for Point {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Point {}

impl Hash for Point {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl PartialOrd for Point {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Point {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex::encode(self.bytes))
    }
}

/// Decodes a canonical scalar (`< ℓ`); `None` for any other 32 bytes.
pub fn scalar_from_canonical(bytes: &[u8; 32]) -> Option<Scalar> {
    Option::from(Scalar::from_canonical_bytes(*bytes))
}

/// Declares a newtype over [`Point`] for one protocol value.
///
/// `point_newtype!(Name, "doc")` accepts any valid point;
/// `point_newtype!(Name, "doc", non_identity)` also refuses the identity.
#[macro_export]
macro_rules! point_newtype {
    ($name:ident, $doc:literal) => {
        $crate::point_newtype!(@def $name, $doc, from_bytes);
    };
    ($name:ident, $doc:literal, non_identity) => {
        $crate::point_newtype!(@def $name, $doc, from_bytes_non_identity);
    };
    (@def $name:ident, $doc:literal, $ctor:ident) => {
        #[doc = $doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(
            /// The point.
            pub $crate::point::Point,
        );

        impl $name {
            /// Decodes and validates the canonical 32-byte encoding.
            pub fn from_bytes(
                bytes: &[u8; 32],
            ) -> Result<Self, $crate::point::PointError> {
                $crate::point::Point::$ctor(bytes).map(Self)
            }

            /// The canonical encoding.
            pub fn as_bytes(&self) -> &[u8; 32] {
                self.0.as_bytes()
            }

            /// The validated point.
            pub fn as_point(&self) -> &$crate::point::Point {
                &self.0
            }

            /// The group element.
            pub fn point(&self) -> &curve25519_dalek::ristretto::RistrettoPoint {
                self.0.point()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::G;

    #[test]
    fn rejects_non_canonical_and_off_curve() {
        // All-0xff is not canonical (field element ≥ p).
        assert_eq!(Point::from_bytes(&[0xff; 32]), Err(PointError::Invalid));
        // A "negative" field element (low bit set) is never a valid encoding.
        let mut b = [0u8; 32];
        b[0] = 1;
        assert_eq!(Point::from_bytes(&b), Err(PointError::Invalid));
        // The identity decodes, but not where it is forbidden.
        assert!(Point::from_bytes(&[0u8; 32]).is_ok());
        assert_eq!(
            Point::from_bytes_non_identity(&[0u8; 32]),
            Err(PointError::Identity)
        );
        let g = Point::from_point(G);
        assert_eq!(Point::from_bytes(g.as_bytes()).unwrap(), g);
    }

    #[test]
    fn scalar_must_be_canonical() {
        assert!(scalar_from_canonical(&[0xff; 32]).is_none());
        assert_eq!(scalar_from_canonical(&[0u8; 32]), Some(Scalar::ZERO));
    }
}
