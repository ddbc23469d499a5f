//! Typed values (`TypedValue` in the spec: a base-type byte, then the value).

use super::{BaseType, InfoTable, WireString};
use bytes::Bytes;

/// A geographic location. On the wire the order is **longitude, latitude, elevation**
/// (three big-endian f64).
#[derive(Debug, Clone, Copy, Default)]
pub struct Location {
    /// Longitude in degrees (first on the wire).
    pub longitude: f64,
    /// Latitude in degrees (second on the wire).
    pub latitude: f64,
    /// Elevation (third on the wire).
    pub elevation: f64,
}

/// Equality compares the IEEE bit patterns, so NaN equals itself and `-0.0 != 0.0`:
/// exactly "same bytes on the wire".
impl PartialEq for Location {
    fn eq(&self, other: &Self) -> bool {
        self.longitude.to_bits() == other.longitude.to_bits()
            && self.latitude.to_bits() == other.latitude.to_bits()
            && self.elevation.to_bits() == other.elevation.to_bits()
    }
}

/// A typed value: every InfoTable cell, every DataShape aspect and the inside of a VARIANT.
///
/// * The string family shares one variant and keeps its own base type, so `JSON "{}"`
///   and `STRING "{}"` stay distinct and re-encode with their original type byte.
/// * DATETIME is `i64` milliseconds since 1970-01-01T00:00:00Z. The reference C SDK treats
///   the 8 bytes as **unsigned**; this crate reads them as two's-complement signed (as a Java
///   platform does), so pre-1970 instants are negative here. The bytes are identical either
///   way; only values ≥ 2^63 ms (year 292 million) would read differently.
/// * Equality on NUMBER and LOCATION compares bit patterns (NaN == NaN, −0.0 ≠ 0.0), so a
///   decoded value equals the value that was encoded.
#[derive(Debug, Clone)]
pub enum Value {
    /// NOTHING (0xFF): no value.
    Nothing,
    /// A string-family value: STRING, XML, JSON, QUERY, HYPERLINK, IMAGELINK, PASSWORD, HTML,
    /// TEXT, TAGS, GUID or any `*NAME` type. The [`BaseType`] is always one for which
    /// [`BaseType::is_string_family`] holds (the encoder rejects anything else).
    String(BaseType, WireString),
    /// NUMBER (0x01): IEEE-754 binary64.
    Number(f64),
    /// INTEGER (0x16): i32.
    Integer(i32),
    /// BOOLEAN (0x02). Decoding accepts any non-zero byte as true; encoding writes 0/1.
    Boolean(bool),
    /// DATETIME (0x03): milliseconds since the Unix epoch (see the type docs on signedness).
    DateTime(i64),
    /// LOCATION (0x06).
    Location(Location),
    /// BLOB (0x15): raw bytes, shared with the input buffer when decoded.
    Blob(Bytes),
    /// IMAGE (0x0A): raw bytes, shared with the input buffer when decoded.
    Image(Bytes),
    /// INFOTABLE (0x05): a nested table.
    InfoTable(Box<InfoTable>),
    /// VARIANT (0x12): another typed value (which may itself be a VARIANT).
    Variant(Box<Value>),
}

impl Value {
    /// A STRING value.
    pub fn string(s: impl Into<WireString>) -> Self {
        Value::String(BaseType::String, s.into())
    }

    /// A JSON value (string family, type byte 0x08).
    pub fn json(s: impl Into<WireString>) -> Self {
        Value::String(BaseType::Json, s.into())
    }

    /// A VARIANT wrapping `inner`.
    pub fn variant(inner: Value) -> Self {
        Value::Variant(Box::new(inner))
    }

    /// The base type byte this value is written with.
    pub fn base_type(&self) -> BaseType {
        match self {
            Value::Nothing => BaseType::Nothing,
            Value::String(t, _) => *t,
            Value::Number(_) => BaseType::Number,
            Value::Integer(_) => BaseType::Integer,
            Value::Boolean(_) => BaseType::Boolean,
            Value::DateTime(_) => BaseType::DateTime,
            Value::Location(_) => BaseType::Location,
            Value::Blob(_) => BaseType::Blob,
            Value::Image(_) => BaseType::Image,
            Value::InfoTable(_) => BaseType::InfoTable,
            Value::Variant(_) => BaseType::Variant,
        }
    }

    /// The text of a string-family value.
    pub fn as_wire_string(&self) -> Option<&WireString> {
        match self {
            Value::String(_, s) => Some(s),
            _ => None,
        }
    }

    /// The value with any VARIANT wrappers removed.
    pub fn unwrap_variant(&self) -> &Value {
        let mut v = self;
        while let Value::Variant(inner) = v {
            v = inner;
        }
        v
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Nothing, Value::Nothing) => true,
            (Value::String(t1, s1), Value::String(t2, s2)) => t1 == t2 && s1 == s2,
            (Value::Number(a), Value::Number(b)) => a.to_bits() == b.to_bits(),
            (Value::Integer(a), Value::Integer(b)) => a == b,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::DateTime(a), Value::DateTime(b)) => a == b,
            (Value::Location(a), Value::Location(b)) => a == b,
            (Value::Blob(a), Value::Blob(b)) => a == b,
            (Value::Image(a), Value::Image(b)) => a == b,
            (Value::InfoTable(a), Value::InfoTable(b)) => a == b,
            (Value::Variant(a), Value::Variant(b)) => a == b,
            _ => false,
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Number(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::string(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::string(v)
    }
}

impl From<Location> for Value {
    fn from(v: Location) -> Self {
        Value::Location(v)
    }
}

impl From<InfoTable> for Value {
    fn from(v: InfoTable) -> Self {
        Value::InfoTable(Box::new(v))
    }
}
