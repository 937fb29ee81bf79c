//! The canonical binary codec: a bounded reader and a writer.
//!
//! Rules (see `docs/wire-format.md`):
//!
//! * integers are little-endian and fixed-width, except ring member indices,
//!   which are unsigned LEB128 varints that must be minimally encoded;
//! * every count and length is checked against its limit *before* anything
//!   is allocated, so hostile input cannot make the decoder allocate more
//!   than the limits allow;
//! * points must be canonical ristretto255 encodings, scalars canonical
//!   (`< ℓ`);
//! * a message must be consumed exactly: trailing bytes are an error.
//!
//! Decoding never panics: every read is bounds-checked and returns
//! [`DecodeError`].

use curve25519_dalek::scalar::Scalar;

use veil_crypto::point::{scalar_from_canonical, Point, PointError};

/// Why bytes are not a valid encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended early.
    #[error("input ends early while reading {0}")]
    UnexpectedEnd(&'static str),
    /// Bytes left after a complete message.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
    /// A count or length above its limit (or below its minimum).
    #[error("{what} is {found}, allowed {min}..={max}")]
    OutOfRange {
        /// The field.
        what: &'static str,
        /// The value found.
        found: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// An invalid point encoding.
    #[error("{what}: {source}")]
    Point {
        /// The field.
        what: &'static str,
        /// Why.
        source: PointError,
    },
    /// A scalar `≥ ℓ`.
    #[error("{0} is not a canonical scalar")]
    Scalar(&'static str),
    /// A varint that is not minimally encoded or overflows `u64`.
    #[error("{0} is not a canonical varint")]
    Varint(&'static str),
    /// Unknown version byte.
    #[error("unknown version {0}")]
    Version(u8),
    /// Unknown transaction kind.
    #[error("unknown transaction kind {0}")]
    Kind(u8),
    /// Any other field whose value is not allowed.
    #[error("invalid {what}: {why}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// Why.
        why: &'static str,
    },
}

/// A bounds-checked reader over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads from `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Fails unless every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or(DecodeError::UnexpectedEnd(what))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, what)?);
        Ok(out)
    }

    /// A byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A count byte within `min..=max`.
    pub fn count_u8(
        &mut self,
        what: &'static str,
        min: usize,
        max: usize,
    ) -> Result<usize, DecodeError> {
        let n = usize::from(self.u8(what)?);
        check_range(what, n, min, max)?;
        Ok(n)
    }

    /// A `u16` length within `min..=max`, then that many bytes.
    pub fn bytes_u16(
        &mut self,
        what: &'static str,
        min: usize,
        max: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let n = usize::from(self.u16(what)?);
        check_range(what, n, min, max)?;
        self.bytes(n, what)
    }

    /// A minimally encoded unsigned LEB128 varint.
    pub fn varint(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for i in 0..10u32 {
            let b = self.u8(what)?;
            let low = u64::from(b & 0x7f);
            if i == 9 && low > 1 {
                return Err(DecodeError::Varint(what));
            }
            value |= low << (7 * i);
            if b & 0x80 == 0 {
                // A final zero byte after the first is a non-minimal encoding.
                if b == 0 && i > 0 {
                    return Err(DecodeError::Varint(what));
                }
                return Ok(value);
            }
        }
        Err(DecodeError::Varint(what))
    }

    /// A canonical point.
    pub fn point(&mut self, what: &'static str) -> Result<Point, DecodeError> {
        Point::from_bytes(&self.array(what)?).map_err(|source| DecodeError::Point { what, source })
    }

    /// A canonical non-identity point.
    pub fn point_non_identity(&mut self, what: &'static str) -> Result<Point, DecodeError> {
        Point::from_bytes_non_identity(&self.array(what)?)
            .map_err(|source| DecodeError::Point { what, source })
    }

    /// A canonical scalar.
    pub fn scalar(&mut self, what: &'static str) -> Result<Scalar, DecodeError> {
        scalar_from_canonical(&self.array(what)?).ok_or(DecodeError::Scalar(what))
    }
}

/// Fails unless `min <= n <= max`.
pub fn check_range(
    what: &'static str,
    n: usize,
    min: usize,
    max: usize,
) -> Result<(), DecodeError> {
    if n < min || n > max {
        let wide = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
        return Err(DecodeError::OutOfRange {
            what,
            found: wide(n),
            min: wide(min),
            max: wide(max),
        });
    }
    Ok(())
}

/// An append-only writer.
#[derive(Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Raw bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// A byte.
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    /// A count that the caller has bounded to fit a byte.
    pub fn count_u8(&mut self, n: usize) {
        self.u8(u8::try_from(n).unwrap_or(u8::MAX));
    }

    /// A `u16` length (bounded by the caller) and the bytes.
    pub fn bytes_u16(&mut self, b: &[u8]) {
        self.u16(u16::try_from(b.len()).unwrap_or(u16::MAX));
        self.bytes(b);
    }

    /// A minimal unsigned LEB128 varint.
    pub fn varint(&mut self, mut v: u64) {
        loop {
            let low = u8::try_from(v & 0x7f).unwrap_or(0);
            v >>= 7;
            if v == 0 {
                self.u8(low);
                return;
            }
            self.u8(low | 0x80);
        }
    }

    /// A point's canonical encoding.
    pub fn point(&mut self, p: &Point) {
        self.bytes(p.as_bytes());
    }

    /// A scalar's canonical encoding.
    pub fn scalar(&mut self, s: &Scalar) {
        self.bytes(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varint_round_trips(v in any::<u64>()) {
            let mut w = Writer::new();
            w.varint(v);
            let bytes = w.into_bytes();
            let mut r = Reader::new(&bytes);
            prop_assert_eq!(r.varint("v").unwrap(), v);
            prop_assert!(r.finish().is_ok());
        }

        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = Reader::new(&bytes);
            let _ = r.varint("v");
            let _ = r.point("p");
            let _ = r.scalar("s");
            let _ = r.bytes_u16("b", 0, 10);
        }
    }

    #[test]
    fn varint_rejects_non_minimal_and_overflow() {
        for bad in [
            vec![0x80, 0x00],
            vec![0x81, 0x80, 0x00],
            vec![0xff; 10],
            vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            vec![0x80; 11],
        ] {
            assert!(Reader::new(&bad).varint("v").is_err(), "{bad:?}");
        }
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&max).varint("v").unwrap(), u64::MAX);
        assert_eq!(Reader::new(&[0x00]).varint("v").unwrap(), 0);
    }

    #[test]
    fn lengths_are_checked_before_reading() {
        let mut r = Reader::new(&[0xff, 0xff]);
        assert!(matches!(
            r.bytes_u16("payload", 0, 1024),
            Err(DecodeError::OutOfRange { found: 65535, .. })
        ));
        let mut r = Reader::new(&[3, 0, 1]);
        assert_eq!(
            r.bytes_u16("x", 0, 10),
            Err(DecodeError::UnexpectedEnd("x"))
        );
        assert_eq!(
            Reader::new(&[1]).finish(),
            Err(DecodeError::TrailingBytes(1))
        );
    }
}
