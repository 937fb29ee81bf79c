//! Credential types and how attribute values become field elements.
//!
//! A credential type (registered on the ledger by the root authority) names
//! up to 8 typed attributes. Values enter the circuit as BN254 scalars:
//!
//! | kind      | JSON value            | field element                                   |
//! |-----------|-----------------------|-------------------------------------------------|
//! | `integer` | `0 … 2⁶⁴−1` (number)  | the integer                                     |
//! | `date`    | `"YYYY-MM-DD"`        | its day number: days since 0001-01-01, plus 1 (Rata Die) |
//! | `string`  | UTF-8, ≤ 128 bytes    | `SHA-256("veil/attr/string/v1" ‖ 0x00 ‖ s)` truncated to 248 bits |
//!
//! Integers and dates take part in range predicates (the circuit compares
//! 64-bit values); strings can be disclosed and compared for equality by
//! the verifier, not ranged. An attribute a credential leaves out is `0`.
//! The type itself enters the leaf as
//! `SHA-256("veil/credential-type/v1" ‖ 0x00 ‖ name)` truncated likewise.

use std::fmt;

use serde_json::Value;
use veil_circuits::field;
use veil_circuits::presentation::ATTRIBUTES;
use veil_circuits::Fr;

use veil_codec::{check_range, Decode, DecodeError, Encode, Reader, Writer};

/// Longest credential type name.
pub const MAX_TYPE_NAME: usize = 64;
/// Longest attribute name.
pub const MAX_ATTRIBUTE_NAME: usize = 32;
/// Longest string attribute value, in bytes.
pub const MAX_STRING_VALUE: usize = 128;

/// An attribute's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeKind {
    /// An unsigned 64-bit integer.
    Integer,
    /// A calendar date.
    Date,
    /// A short string.
    String,
}

impl AttributeKind {
    /// The kind's name in JSON and TOML.
    pub fn name(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Date => "date",
            Self::String => "string",
        }
    }

    /// Parses [`Self::name`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "integer" => Some(Self::Integer),
            "date" => Some(Self::Date),
            "string" => Some(Self::String),
            _ => None,
        }
    }

    fn tag(self) -> u8 {
        match self {
            Self::Integer => 1,
            Self::Date => 2,
            Self::String => 3,
        }
    }

    /// Whether range predicates apply.
    pub fn is_ordered(self) -> bool {
        !matches!(self, Self::String)
    }
}

/// One attribute of a type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Its name, `[a-z][a-z0-9_]{0,31}`.
    pub name: String,
    /// Its kind.
    pub kind: AttributeKind,
}

/// A credential type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialType {
    /// Its name, `[A-Za-z][A-Za-z0-9]{0,63}` (e.g. `KycCredential`).
    pub name: String,
    /// Its attributes, in circuit order (1 to 8).
    pub attributes: Vec<Attribute>,
}

fn valid_name(s: &str, max: usize, upper_ok: bool) -> bool {
    let mut b = s.bytes();
    (1..=max).contains(&s.len())
        && b.next()
            .is_some_and(|c| c.is_ascii_lowercase() || (upper_ok && c.is_ascii_uppercase()))
        && b.all(|c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || (upper_ok && c.is_ascii_uppercase())
                || (!upper_ok && c == b'_')
        })
}

/// Validates a type name.
pub fn check_type_name(name: &str) -> Result<(), DecodeError> {
    if valid_name(name, MAX_TYPE_NAME, true) {
        Ok(())
    } else {
        Err(DecodeError::Invalid {
            what: "credential type name",
            why: "[A-Za-z][A-Za-z0-9]{0,63}",
        })
    }
}

/// The field element naming a type.
pub fn type_id(name: &str) -> Fr {
    field::hash_to_field(b"veil/credential-type/v1", name.as_bytes())
}

impl CredentialType {
    /// Validates a type.
    pub fn new(name: &str, attributes: Vec<Attribute>) -> Result<Self, DecodeError> {
        check_type_name(name)?;
        check_range("attribute count", attributes.len(), 1, ATTRIBUTES)?;
        let mut seen = std::collections::BTreeSet::new();
        for a in &attributes {
            if !valid_name(&a.name, MAX_ATTRIBUTE_NAME, false) {
                return Err(DecodeError::Invalid {
                    what: "attribute name",
                    why: "[a-z][a-z0-9_]{0,31}",
                });
            }
            if !seen.insert(&a.name) {
                return Err(DecodeError::Invalid {
                    what: "attribute name",
                    why: "listed twice",
                });
            }
        }
        Ok(Self {
            name: name.to_owned(),
            attributes,
        })
    }

    /// The type's field element.
    pub fn id(&self) -> Fr {
        type_id(&self.name)
    }

    /// The position and kind of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<(usize, AttributeKind)> {
        self.attributes
            .iter()
            .position(|a| a.name == name)
            .map(|i| (i, self.attributes[i].kind))
    }

    /// Reads [`Self::to_json`]'s output.
    pub fn from_json(v: &Value) -> Result<Self, DecodeError> {
        let bad = |why| DecodeError::Invalid {
            what: "credential type",
            why,
        };
        let name = v.get("name").and_then(Value::as_str).ok_or(bad("name"))?;
        let attributes = v
            .get("attributes")
            .and_then(Value::as_array)
            .ok_or(bad("attributes"))?
            .iter()
            .take(ATTRIBUTES + 1)
            .map(|a| {
                Ok(Attribute {
                    name: a
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or(bad("attribute name"))?
                        .to_owned(),
                    kind: a
                        .get("kind")
                        .and_then(Value::as_str)
                        .and_then(AttributeKind::parse)
                        .ok_or(bad("attribute kind"))?,
                })
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
        Self::new(name, attributes)
    }

    /// The JSON form the API shows.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "name": self.name,
            "attributes": self.attributes.iter().map(|a| serde_json::json!({
                "name": a.name, "kind": a.kind.name()
            })).collect::<Vec<_>>(),
        })
    }
}

impl Encode for CredentialType {
    fn write(&self, w: &mut Writer) {
        w.count_u8("credential type name", self.name.len(), 1, MAX_TYPE_NAME);
        w.bytes(self.name.as_bytes());
        w.count_u8("attribute count", self.attributes.len(), 1, ATTRIBUTES);
        for a in &self.attributes {
            w.count_u8("attribute name", a.name.len(), 1, MAX_ATTRIBUTE_NAME);
            w.bytes(a.name.as_bytes());
            w.u8(a.kind.tag());
        }
    }
}

impl Decode for CredentialType {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let text = |r: &mut Reader<'_>, what, max| -> Result<String, DecodeError> {
            let n = r.count_u8(what, 1, max)?;
            String::from_utf8(r.bytes(n, what)?.to_vec()).map_err(|_| DecodeError::Invalid {
                what,
                why: "not ASCII",
            })
        };
        let name = text(r, "credential type name", MAX_TYPE_NAME)?;
        let n = r.count_u8("attribute count", 1, ATTRIBUTES)?;
        let mut attributes = Vec::with_capacity(n);
        for _ in 0..n {
            let a = text(r, "attribute name", MAX_ATTRIBUTE_NAME)?;
            let kind = match r.u8("attribute kind")? {
                1 => AttributeKind::Integer,
                2 => AttributeKind::Date,
                3 => AttributeKind::String,
                _ => {
                    return Err(DecodeError::Invalid {
                        what: "attribute kind",
                        why: "unknown",
                    })
                }
            };
            attributes.push(Attribute { name: a, kind });
        }
        Self::new(&name, attributes)
    }
}

/// A typed attribute value.
#[derive(Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// An integer.
    Integer(u64),
    /// A date, as its day number.
    Date(Date),
    /// A string.
    String(String),
}

impl fmt::Debug for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Integer(v) => write!(f, "{v}"),
            Self::Date(d) => write!(f, "{d}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// Why a value does not fit its attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attribute {attribute}: {why}")]
pub struct ValueError {
    /// The attribute.
    pub attribute: String,
    /// Why.
    pub why: &'static str,
}

impl AttributeValue {
    /// Parses a JSON value (or a command-line string) as `kind`.
    pub fn from_json(attribute: &str, kind: AttributeKind, v: &Value) -> Result<Self, ValueError> {
        let err = |why| ValueError {
            attribute: attribute.to_owned(),
            why,
        };
        match kind {
            AttributeKind::Integer => match v {
                Value::Number(n) => n.as_u64().map(Self::Integer).ok_or(err("not a u64")),
                Value::String(s) => s.parse().map(Self::Integer).map_err(|_| err("not a u64")),
                _ => Err(err("expected an integer")),
            },
            AttributeKind::Date => v
                .as_str()
                .and_then(Date::parse)
                .map(Self::Date)
                .ok_or(err("expected a date YYYY-MM-DD (0001-01-01 to 9999-12-31)")),
            AttributeKind::String => {
                let s = v.as_str().ok_or(err("expected a string"))?;
                if s.len() > MAX_STRING_VALUE {
                    return Err(err("longer than 128 bytes"));
                }
                Ok(Self::String(s.to_owned()))
            }
        }
    }

    /// The JSON form (integers above 2⁵³ − 1 as decimal strings, which
    /// JSON numbers cannot carry exactly everywhere).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Integer(v) if *v > (1 << 53) - 1 => Value::from(v.to_string()),
            Self::Integer(v) => Value::from(*v),
            Self::Date(d) => Value::from(d.to_string()),
            Self::String(s) => Value::from(s.clone()),
        }
    }

    /// The field element.
    pub fn to_field(&self) -> Fr {
        match self {
            Self::Integer(v) => Fr::from(*v),
            Self::Date(d) => Fr::from(u64::from(d.0)),
            Self::String(s) => field::hash_to_field(b"veil/attr/string/v1", s.as_bytes()),
        }
    }

    /// The value as a 64-bit integer, for predicates (dates: their day
    /// number); `None` for strings.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Integer(v) => Some(*v),
            Self::Date(d) => Some(u64::from(d.0)),
            Self::String(_) => None,
        }
    }
}

/// A proleptic Gregorian date as its Rata Die day number (0001-01-01 is
/// day 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub u32);

impl Date {
    /// Rata Die of 0001-01-01 is 1; its Julian day number is 1,721,426.
    const JULIAN_OFFSET: i32 = 1_721_425;

    /// The date of `y-m-d`, if it exists and `1 ≤ y ≤ 9999` (calendar
    /// arithmetic by the `time` crate).
    pub fn from_ymd(y: u32, m: u32, d: u32) -> Option<Self> {
        if !(1..=9999).contains(&y) {
            return None;
        }
        let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
        let date =
            time::Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?)
                .ok()?;
        u32::try_from(date.to_julian_day() - Self::JULIAN_OFFSET)
            .ok()
            .map(Self)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        Self::from_ymd(num(0..4)?, num(5..7)?, num(8..10)?)
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (u32, u32, u32) {
        let date = i32::try_from(self.0)
            .ok()
            .and_then(|n| n.checked_add(Self::JULIAN_OFFSET))
            .and_then(|j| time::Date::from_julian_day(j).ok())
            .unwrap_or(time::Date::MIN);
        (
            u32::try_from(date.year()).unwrap_or(0),
            u32::from(u8::from(date.month())),
            u32::from(date.day()),
        )
    }

    /// The same day `years` earlier (29 February becomes 28 February when
    /// needed). `None` before year 1.
    pub fn years_before(self, years: u32) -> Option<Self> {
        let (y, m, d) = self.ymd();
        let y = y.checked_sub(years)?;
        Self::from_ymd(y, m, d).or_else(|| Self::from_ymd(y, m, d - 1))
    }

    /// Today (UTC) by `clock`.
    pub fn today(clock: &dyn veil_clock::Clock) -> Self {
        let secs = clock.now_secs();
        // 1970-01-01 is Rata Die 719,163.
        Self(719_163 + u32::try_from(secs / 86_400).unwrap_or(0))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veil_codec::DecodeExt;

    /// The `time` crate's calendar gives the day numbers of the earlier
    /// hand-written arithmetic (they are circuit inputs: they must not
    /// change), and `ymd` inverts `from_ymd`.
    #[test]
    fn day_numbers_are_unchanged() {
        let legacy = |y: u32, m: u32, d: u32| {
            let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
            let days_in = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            let yy = y - 1;
            yy * 365 + yy / 4 - yy / 100
                + yy / 400
                + days_in[..usize::try_from(m - 1).unwrap()]
                    .iter()
                    .sum::<u32>()
                + d
        };
        for y in (1..=9999).filter(|y| *y <= 30 || (1890..=2110).contains(y) || *y >= 9970) {
            for m in 1..=12 {
                for d in 1..=31 {
                    if let Some(date) = Date::from_ymd(y, m, d) {
                        assert_eq!(date.0, legacy(y, m, d), "{y}-{m}-{d}");
                        assert_eq!(date.ymd(), (y, m, d));
                    }
                }
            }
        }
        assert!(Date::from_ymd(2023, 2, 29).is_none());
        assert!(Date::from_ymd(2024, 2, 29).is_some());
        assert!(Date::from_ymd(0, 1, 1).is_none());
        assert!(Date::from_ymd(10_000, 1, 1).is_none());
        assert_eq!(
            crate::timestamp(86_400_000 + 3_723_000),
            "1970-01-02T01:02:03Z"
        );
    }

    #[test]
    fn rata_die_known_values() {
        assert_eq!(Date::parse("0001-01-01"), Some(Date(1)));
        assert_eq!(Date::parse("1970-01-01"), Some(Date(719_163)));
        assert_eq!(Date::parse("2000-03-01").unwrap().to_string(), "2000-03-01");
        assert_eq!(Date::parse("2026-11-21").unwrap().to_string(), "2026-11-21");
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("1900-02-29").is_none());
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("+026-01-01").is_none());
        assert!(Date::parse("2026-1-01").is_none());
        let leap = Date::parse("2008-02-29").unwrap();
        assert_eq!(leap.years_before(1).unwrap().to_string(), "2007-02-28");
        assert_eq!(
            Date::parse("2026-11-21")
                .unwrap()
                .years_before(18)
                .unwrap()
                .to_string(),
            "2008-11-21"
        );
        for n in [1u32, 59, 60, 365, 366, 719_163, 3_652_059] {
            let d = Date(n);
            assert_eq!(Date::parse(&d.to_string()), Some(d), "{n}");
        }
        assert!(Date::today(&veil_clock::SystemClock) > Date::parse("2025-01-01").unwrap());
        let fixed = veil_clock::ManualClock::new(86_400_000 * 366);
        assert_eq!(Date::today(&fixed).to_string(), "1971-01-02");
    }

    #[test]
    fn types_validate_and_encode() {
        let t = CredentialType::new(
            "KycCredential",
            vec![
                Attribute {
                    name: "birth_date".into(),
                    kind: AttributeKind::Date,
                },
                Attribute {
                    name: "country".into(),
                    kind: AttributeKind::String,
                },
            ],
        )
        .unwrap();
        let bytes = t.encode().unwrap();
        assert_eq!(CredentialType::decode(&bytes).unwrap(), t);
        assert_eq!(t.attribute("country"), Some((1, AttributeKind::String)));
        assert!(CredentialType::new("Kyc Credential", vec![]).is_err());
        assert!(CredentialType::new("Kyc", vec![]).is_err());
        let dup = Attribute {
            name: "a".into(),
            kind: AttributeKind::Integer,
        };
        assert!(CredentialType::new("Kyc", vec![dup.clone(), dup]).is_err());
        let v = AttributeValue::from_json("n", AttributeKind::Integer, &serde_json::json!(-1));
        assert!(v.is_err());
    }
}
