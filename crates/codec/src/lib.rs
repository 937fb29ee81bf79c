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
use veil_secret::Secret;

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

    /// A little-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A `u32` little-endian count or length, at most `max`.
    pub fn len_u32(&mut self, what: &'static str, max: usize) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.u32(what)?).unwrap_or(usize::MAX);
        check_range(what, n, 0, max)?;
        Ok(n)
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

    /// A `u16` count within `min..=max`.
    pub fn count_u16(
        &mut self,
        what: &'static str,
        min: usize,
        max: usize,
    ) -> Result<usize, DecodeError> {
        let n = usize::from(self.u16(what)?);
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

/// Decodes exactly 32 bytes of hex (64 characters, either case): the one
/// helper for keys, hashes and roots given as text.
pub fn hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// Fails unless `min <= n <= max`.
pub fn check_range(
    what: &'static str,
    n: usize,
    min: usize,
    max: usize,
) -> Result<(), DecodeError> {
    if n < min || n > max {
        return Err(DecodeError::OutOfRange {
            what,
            found: wide(n),
            min: wide(min),
            max: wide(max),
        });
    }
    Ok(())
}

/// Why a value cannot be encoded: a count or length does not fit the field
/// (or the limit) the format gives it. The encoder never clamps: a value
/// that does not fit is refused, so every byte string the encoder produces
/// is one the decoder accepts under the same limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A count or length outside what its field and limit allow.
    #[error("{what} is {found}, the encoding allows {min}..={max}")]
    OutOfRange {
        /// The field.
        what: &'static str,
        /// The value given.
        found: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A value the decoder would refuse for another reason.
    #[error("{what} cannot be encoded: {why}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// Why.
        why: &'static str,
    },
}

fn wide(x: usize) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

/// An append-only writer.
///
/// Fixed-width writes cannot fail. A count or length that does not fit its
/// field or its limit records an [`EncodeError`]; from then on the writer
/// writes nothing, and [`Writer::finish`] returns that first error. This is
/// the one place the codec decides what fits, so no caller can clamp.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
    error: Option<EncodeError>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written, or the first value that did not fit.
    pub fn finish(self) -> Result<Vec<u8>, EncodeError> {
        match self.error {
            None => Ok(self.buf),
            Some(e) => Err(e),
        }
    }

    /// An empty writer with room for `n` bytes (so that writing secrets
    /// below `n` bytes never reallocates and leaves no copy behind).
    pub fn with_capacity(n: usize) -> Self {
        Self {
            buf: Vec::with_capacity(n),
            error: None,
        }
    }

    /// Like [`Self::finish`] for bytes that hold secrets: they are wiped
    /// when the result is dropped, and at once on error.
    pub fn finish_secret(self) -> Result<Secret<Vec<u8>>, EncodeError> {
        let buf = Secret::new(self.buf);
        match self.error {
            None => Ok(buf),
            Some(e) => Err(e),
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Records that `n` must lie in `min..=max` for `what`; on failure the
    /// writer is poisoned. Returns whether `n` fits.
    pub fn check(&mut self, what: &'static str, n: usize, min: usize, max: usize) -> bool {
        if self.error.is_some() {
            return false;
        }
        if n < min || n > max {
            self.error = Some(EncodeError::OutOfRange {
                what,
                found: wide(n),
                min: wide(min),
                max: wide(max),
            });
            return false;
        }
        true
    }

    /// Poisons the writer: `what` holds a value its decoder refuses.
    pub fn fail(&mut self, what: &'static str, why: &'static str) {
        if self.error.is_none() {
            self.error = Some(EncodeError::Invalid { what, why });
        }
    }

    /// Raw bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        if self.error.is_none() {
            self.buf.extend_from_slice(b);
        }
    }

    /// A byte.
    pub fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    /// A count byte within `min..=max` (the limits its decoder uses, at most
    /// 255).
    pub fn count_u8(&mut self, what: &'static str, n: usize, min: usize, max: usize) {
        if self.check(what, n, min, max.min(usize::from(u8::MAX))) {
            self.u8(u8::try_from(n).unwrap_or_default());
        }
    }

    /// A `u16` little-endian count within `min..=max` (at most 65535).
    pub fn count_u16(&mut self, what: &'static str, n: usize, min: usize, max: usize) {
        if self.check(what, n, min, max.min(usize::from(u16::MAX))) {
            self.u16(u16::try_from(n).unwrap_or_default());
        }
    }

    /// A `u16` length within `min..=max` (at most 65535), then the bytes.
    pub fn bytes_u16(&mut self, what: &'static str, b: &[u8], min: usize, max: usize) {
        if self.check(what, b.len(), min, max.min(usize::from(u16::MAX))) {
            self.u16(u16::try_from(b.len()).unwrap_or_default());
            self.bytes(b);
        }
    }

    /// A `u32` little-endian count or length at most `max` (at most
    /// `u32::MAX`).
    pub fn len_u32(&mut self, what: &'static str, n: usize, max: usize) {
        let cap = usize::try_from(u32::MAX).unwrap_or(usize::MAX);
        if self.check(what, n, 0, max.min(cap)) {
            self.u32(u32::try_from(n).unwrap_or_default());
        }
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

    /// Appends a value's encoding.
    pub fn put<T: Encode + ?Sized>(&mut self, value: &T) {
        value.write(self);
    }
}

/// Where fixed-width fields go: a [`Writer`], or a plain `Vec<u8>` for a
/// digest over a fixed layout, which cannot fail and so needs no
/// [`Writer::finish`].
pub trait Sink {
    /// Appends raw bytes.
    fn put_bytes(&mut self, b: &[u8]);
}

impl Sink for Writer {
    fn put_bytes(&mut self, b: &[u8]) {
        self.bytes(b);
    }
}

impl Sink for Vec<u8> {
    fn put_bytes(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
}

/// A value with a canonical encoding.
pub trait Encode {
    /// Appends the encoding to `w` (recording an [`EncodeError`] in `w` if
    /// something does not fit).
    fn write(&self, w: &mut Writer);

    /// The encoding on its own.
    fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.finish()
    }
}

/// A value decoded from untrusted bytes under explicit limits `Cfg`
/// (commonware's `Read::Cfg`): the limits travel with the call, so a reader
/// of hostile input states how much it is willing to accept. Types whose
/// limits are fixed by the format use `Cfg = ()` and get [`DecodeExt`].
pub trait Decode: Sized {
    /// The limits this decoder enforces.
    type Cfg;

    /// Reads one value from `r`.
    fn read_cfg(r: &mut Reader<'_>, cfg: &Self::Cfg) -> Result<Self, DecodeError>;

    /// Decodes exactly `bytes`: trailing bytes are an error.
    fn decode_cfg(bytes: &[u8], cfg: &Self::Cfg) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let value = Self::read_cfg(&mut r, cfg)?;
        r.finish()?;
        Ok(value)
    }
}

/// Reading values whose limits are fixed by the format.
pub trait DecodeExt: Decode<Cfg = ()> {
    /// Reads one value from `r`.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Self::read_cfg(r, &())
    }

    /// Decodes exactly `bytes`.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_cfg(bytes, &())
    }
}

impl<T: Decode<Cfg = ()>> DecodeExt for T {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varint_round_trips(v in any::<u64>()) {
            let mut w = Writer::new();
            w.varint(v);
            let bytes = w.finish().unwrap();
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
    fn writer_refuses_what_does_not_fit() {
        let mut w = Writer::new();
        w.count_u8("outputs", 17, 1, 16);
        w.u8(9);
        assert_eq!(
            w.finish(),
            Err(EncodeError::OutOfRange {
                what: "outputs",
                found: 17,
                min: 1,
                max: 16
            })
        );
        // A field wider than the limit asked for still caps at the field.
        let mut w = Writer::new();
        w.count_u8("n", 256, 0, 1000);
        assert!(matches!(
            w.finish(),
            Err(EncodeError::OutOfRange { max: 255, .. })
        ));
        let mut w = Writer::new();
        w.bytes_u16("memo", &[0u8; 70_000], 0, usize::MAX);
        assert!(matches!(
            w.finish(),
            Err(EncodeError::OutOfRange { found: 70_000, .. })
        ));
        let mut w = Writer::new();
        w.count_u8("inputs", 0, 1, 16);
        assert!(w.finish().is_err());
        // The first error sticks; later fields do not replace it.
        let mut w = Writer::new();
        w.len_u32("a", 5, 4);
        w.len_u32("b", 9, 4);
        assert!(matches!(
            w.finish(),
            Err(EncodeError::OutOfRange { what: "a", .. })
        ));
        let mut w = Writer::new();
        w.fail("ring", "not increasing");
        w.u64(1);
        assert!(matches!(
            w.finish(),
            Err(EncodeError::Invalid { what: "ring", .. })
        ));
    }

    proptest! {
        #[test]
        fn what_the_writer_accepts_the_reader_accepts(
            n in 0usize..300,
            len in 0usize..2000,
            max in 0usize..1024,
        ) {
            let body = vec![7u8; len];
            let mut w = Writer::new();
            w.count_u8("n", n, 0, max);
            w.bytes_u16("b", &body, 0, max);
            let fits = n <= max.min(255) && len <= max;
            match w.finish() {
                Ok(bytes) => {
                    prop_assert!(fits);
                    let mut r = Reader::new(&bytes);
                    prop_assert_eq!(r.count_u8("n", 0, max).unwrap(), n);
                    prop_assert_eq!(r.bytes_u16("b", 0, max).unwrap(), &body[..]);
                    prop_assert!(r.finish().is_ok());
                }
                Err(_) => prop_assert!(!fits),
            }
        }
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
