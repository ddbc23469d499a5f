//! Typed values (`TypedValue` in the spec: a base-type byte, then the value;
//! base-types.md §1–2): the owned [`Value`], the borrowed [`ValueRef`], their length,
//! writer and reader.
//!
//! Nesting: `depth` is the number of InfoTables/VARIANTs already open around the element
//! being read or written. Opening one more takes it to `depth + 1`; above
//! [`MAX_NESTING_DEPTH`] the decoder stops with [`DecodeErrorKind::NestingTooDeep`] at the
//! type byte that would have opened it (the encoder with [`EncodeError::NestingTooDeep`]).
//! Recursion is therefore bounded by `MAX_NESTING_DEPTH` whatever the input.

use super::base_type::byte;
use super::build::{Build, Owned, View};
use super::cursor::{Cursor, Fail, GrammarError};
use super::error::add_len;
use super::infotable::{self, put_table, table_len};
use super::variant::{put_variant, variant_len, Variant};
use super::wire_string::{put_str, read_str, str_len};
use super::{
    BaseType, DecodeError, DecodeErrorKind, DecodedRef, EncodeError, InfoTable, InfoTableRef,
    WireString, MAX_NESTING_DEPTH,
};
use bytes::{BufMut, Bytes};
use std::borrow::Cow;

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
// Exhaustive on purpose: one variant per value encoding the protocol fixes.
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
    /// VARIANT (0x12): another typed value (which may itself be a VARIANT), stored inline
    /// unless it is a VARIANT or an INFOTABLE.
    Variant(Variant),
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
    #[inline(always)]
    pub fn variant(inner: Value) -> Self {
        Value::Variant(Variant::new(inner))
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

    /// The value with any VARIANT wrappers removed: borrowed unless it was in a VARIANT
    /// (then a copy of a scalar, an inline string or a shared buffer's handle; a nested
    /// INFOTABLE is still borrowed).
    pub fn unwrap_variant(&self) -> Cow<'_, Value> {
        let mut v = Cow::Borrowed(self);
        loop {
            v = match v {
                Cow::Borrowed(Value::Variant(inner)) => inner.value(),
                Cow::Owned(Value::Variant(inner)) => Cow::Owned(inner.into_value()),
                other => return other,
            };
        }
    }

    /// Consumes the value, returning it with any VARIANT wrappers removed.
    pub fn into_unwrapped(self) -> Value {
        let mut v = self;
        while let Value::Variant(inner) = v {
            v = inner.into_value();
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

// ---------------------------------------------------------------- borrowed

/// A typed value borrowed from the input bytes: what [`ValueRef::decode`] and the
/// iterators of [`InfoTableRef`] yield. Strings and blobs are slices of the input; nested
/// tables and VARIANTs are views over their (already validated) bytes. Nothing is
/// allocated. [`ValueRef::to_owned`] converts to a [`Value`] (copying strings and blobs).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// NOTHING (0xFF).
    Nothing,
    /// A string-family value with its base type; the bytes as received (not validated as
    /// UTF-8).
    String(BaseType, &'a [u8]),
    /// NUMBER (0x01).
    Number(f64),
    /// INTEGER (0x16).
    Integer(i32),
    /// BOOLEAN (0x02): any non-zero byte is true.
    Boolean(bool),
    /// DATETIME (0x03): ms since the Unix epoch, signed.
    DateTime(i64),
    /// LOCATION (0x06).
    Location(Location),
    /// BLOB (0x15).
    Blob(&'a [u8]),
    /// IMAGE (0x0A).
    Image(&'a [u8]),
    /// INFOTABLE (0x05): a nested table.
    InfoTable(InfoTableRef<'a>),
    /// VARIANT (0x12): another typed value.
    Variant(VariantRef<'a>),
}

/// The inside of a VARIANT, borrowed: [`VariantRef::value`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct VariantRef<'a> {
    /// The wrapped typed value's bytes (validated).
    pub(crate) bytes: &'a [u8],
    /// Its nesting level.
    pub(crate) depth: usize,
}

impl<'a> VariantRef<'a> {
    /// The wrapped value (which may itself be a VARIANT).
    pub fn value(&self) -> ValueRef<'a> {
        // The bytes were validated when this view was made; `Nothing` is unreachable.
        read::<Fail, _>(&mut Cursor::new(self.bytes), self.depth, &mut View)
            .unwrap_or(ValueRef::Nothing)
    }

    /// The wrapped value's bytes on the wire (its type byte first).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl<'a> ValueRef<'a> {
    /// Decodes and validates one typed value (type byte + value) from the start of
    /// `input`, allocating nothing. Errors are those of [`Value::decode`].
    pub fn decode(input: &'a [u8]) -> Result<DecodedRef<'a, ValueRef<'a>>, DecodeError> {
        super::message::decode_ref(input, |c| read(c, 0, &mut View), |c| read(c, 0, &mut View))
    }

    /// The base type byte this value was written with.
    pub fn base_type(&self) -> BaseType {
        match self {
            ValueRef::Nothing => BaseType::Nothing,
            ValueRef::String(t, _) => *t,
            ValueRef::Number(_) => BaseType::Number,
            ValueRef::Integer(_) => BaseType::Integer,
            ValueRef::Boolean(_) => BaseType::Boolean,
            ValueRef::DateTime(_) => BaseType::DateTime,
            ValueRef::Location(_) => BaseType::Location,
            ValueRef::Blob(_) => BaseType::Blob,
            ValueRef::Image(_) => BaseType::Image,
            ValueRef::InfoTable(_) => BaseType::InfoTable,
            ValueRef::Variant(_) => BaseType::Variant,
        }
    }

    /// The bytes of a string-family value.
    pub fn as_str_bytes(&self) -> Option<&'a [u8]> {
        match self {
            ValueRef::String(_, s) => Some(s),
            _ => None,
        }
    }

    /// The value with any VARIANT wrappers removed.
    pub fn unwrap_variant(&self) -> ValueRef<'a> {
        let mut v = *self;
        while let ValueRef::Variant(inner) = v {
            v = inner.value();
        }
        v
    }

    /// The owned [`Value`] (strings and blobs copied; short strings inline).
    pub fn to_owned(&self) -> Value {
        match self {
            ValueRef::InfoTable(t) => Value::InfoTable(Box::new(t.to_owned())),
            ValueRef::Variant(v) => Value::variant(v.value().to_owned()),
            leaf => Owned::copied().leaf(*leaf),
        }
    }
}

// ---------------------------------------------------------------- reader

/// Opens one more nesting level at the type byte at `at`.
#[inline(always)]
pub(crate) fn enter<E: GrammarError>(depth: usize, at: usize) -> Result<usize, E> {
    let d = depth.saturating_add(1);
    if d > MAX_NESTING_DEPTH {
        Err(E::at(at, || DecodeErrorKind::NestingTooDeep {
            limit: MAX_NESTING_DEPTH,
        }))
    } else {
        Ok(d)
    }
}

#[inline(always)]
fn f64_at<E: GrammarError>(c: &mut Cursor<'_>, what: &'static str) -> Result<f64, E> {
    c.array(what).map(f64::from_be_bytes)
}

/// One typed value (type byte + value) at nesting level `depth`, handed to `b`. The
/// frequent types are read here (inlined into the row loop); the rest in [`read_other`].
#[inline(always)]
pub(crate) fn read<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    depth: usize,
    b: &mut B,
) -> Result<B::Value, E> {
    let at = c.pos();
    let t = c.u8::<E>("value base type")?;
    let v = match t {
        byte::String => ValueRef::String(BaseType::String, read_str(c, "string value")?),
        byte::Number => ValueRef::Number(f64_at(c, "NUMBER value")?),
        byte::Integer => ValueRef::Integer(i32::from_be_bytes(c.array("INTEGER value")?)),
        byte::Boolean => ValueRef::Boolean(c.u8::<E>("BOOLEAN value")? != 0),
        byte::DateTime => ValueRef::DateTime(i64::from_be_bytes(c.array("DATETIME value")?)),
        byte::Nothing => ValueRef::Nothing,
        _ => return read_other(c, BaseType::from(t), at, depth, b),
    };
    Ok(b.leaf(v))
}

/// [`read`] for the less frequent types, after the type byte `t` at `at`.
#[inline(never)]
fn read_other<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    t: BaseType,
    at: usize,
    depth: usize,
    b: &mut B,
) -> Result<B::Value, E> {
    let v = match t {
        BaseType::Location => {
            let longitude = f64_at(c, "LOCATION longitude")?;
            let latitude = f64_at(c, "LOCATION latitude")?;
            let elevation = f64_at(c, "LOCATION elevation")?;
            ValueRef::Location(Location {
                longitude,
                latitude,
                elevation,
            })
        }
        BaseType::Blob | BaseType::Image => {
            let len_at = c.pos();
            let what = if t == BaseType::Blob { "BLOB" } else { "IMAGE" };
            let len = c.u32::<E>(what)?;
            let bytes = c.take(u64::from(len), len_at, what)?;
            if t == BaseType::Blob {
                ValueRef::Blob(bytes)
            } else {
                ValueRef::Image(bytes)
            }
        }
        BaseType::InfoTable => {
            let d = enter(depth, at)?;
            let table = infotable::read(c, d, b)?;
            return Ok(b.table_value(table));
        }
        BaseType::Variant => {
            let d = enter(depth, at)?;
            let start = c.pos();
            let inner = read(c, d, b)?;
            return Ok(b.variant(inner, c.since(start), d));
        }
        t if t.is_string_family() => ValueRef::String(t, read_str(c, "string value")?),
        other => {
            return Err(E::at(at, || {
                DecodeErrorKind::UnsupportedBaseType(other.as_u8())
            }))
        }
    };
    Ok(b.leaf(v))
}

// ---------------------------------------------------------------- length and writer

/// Opens one more nesting level when encoding.
pub(crate) fn enter_encode(depth: usize) -> Result<usize, EncodeError> {
    let d = depth.saturating_add(1);
    if d > MAX_NESTING_DEPTH {
        Err(EncodeError::NestingTooDeep {
            limit: MAX_NESTING_DEPTH,
        })
    } else {
        Ok(d)
    }
}

/// Length of a typed value at nesting level `depth`, performing every check. The scalar
/// and string arms are inlined into the table loops; the recursive arms live in
/// [`nested_value_len`].
#[inline(always)]
pub(crate) fn value_len(v: &Value, depth: usize) -> Result<usize, EncodeError> {
    Ok(match v {
        Value::Nothing => 1,
        Value::String(t, s) => {
            if !t.is_string_family() {
                return Err(EncodeError::UnsupportedBaseType(t.as_u8()));
            }
            add_len(1, str_len(s, "string value")?)?
        }
        Value::Number(_) | Value::DateTime(_) => 9,
        Value::Integer(_) => 5,
        Value::Boolean(_) => 2,
        Value::Location(_) => 25,
        _ => nested_value_len(v, depth)?,
    })
}

#[inline(never)]
fn nested_value_len(v: &Value, depth: usize) -> Result<usize, EncodeError> {
    Ok(match v {
        Value::Blob(b) | Value::Image(b) => {
            if u32::try_from(b.len()).is_err() {
                return Err(EncodeError::TooLong {
                    what: "BLOB/IMAGE value",
                    len: b.len(),
                });
            }
            add_len(5, b.len())?
        }
        Value::InfoTable(t) => add_len(1, table_len(t, enter_encode(depth)?)?)?,
        Value::Variant(inner) => variant_len(inner, depth)?,
        // Handled inline in `value_len`.
        _ => value_len(v, depth)?,
    })
}

/// Writes a typed value checked by [`value_len`]; scalar and string arms inline,
/// the others in [`put_other_value`].
#[inline(always)]
pub(crate) fn put_value<B: BufMut>(buf: &mut B, v: &Value) {
    match v {
        Value::Nothing => buf.put_u8(BaseType::Nothing.as_u8()),
        Value::String(t, s) => {
            buf.put_u8(t.as_u8());
            put_str(buf, s);
        }
        Value::Number(x) => {
            buf.put_u8(BaseType::Number.as_u8());
            buf.put_f64(*x);
        }
        Value::Integer(x) => {
            buf.put_u8(BaseType::Integer.as_u8());
            buf.put_i32(*x);
        }
        Value::Boolean(x) => {
            buf.put_u8(BaseType::Boolean.as_u8());
            buf.put_u8(u8::from(*x));
        }
        Value::DateTime(x) => {
            buf.put_u8(BaseType::DateTime.as_u8());
            buf.put_i64(*x);
        }
        _ => put_other_value(buf, v),
    }
}

#[inline(never)]
fn put_other_value<B: BufMut>(buf: &mut B, v: &Value) {
    match v {
        Value::Location(l) => {
            buf.put_u8(BaseType::Location.as_u8());
            buf.put_f64(l.longitude);
            buf.put_f64(l.latitude);
            buf.put_f64(l.elevation);
        }
        Value::Blob(b) | Value::Image(b) => {
            buf.put_u8(v.base_type().as_u8());
            // Checked in the length pass: fits in u32.
            buf.put_u32(b.len() as u32);
            buf.put_slice(b);
        }
        Value::InfoTable(t) => {
            buf.put_u8(BaseType::InfoTable.as_u8());
            put_table(buf, t);
        }
        Value::Variant(inner) => put_variant(buf, inner),
        // Handled inline in `put_value`.
        _ => put_value(buf, v),
    }
}

// ---------------------------------------------------------------- owned entry points

impl Value {
    /// Decodes one typed value (type byte + value) from the start of `input` (nesting
    /// level 0: an INFOTABLE value here is level 1).
    pub fn decode(input: Bytes) -> Result<super::Decoded<Value>, DecodeError> {
        super::message::decode_owned(
            &input,
            |c, b| read::<Fail, _>(c, 0, b),
            |c, b| read::<DecodeError, _>(c, 0, b),
            |v, _| v,
        )
    }

    /// Exact encoded length (type byte included).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        value_len(self, 0)
    }

    /// Appends the typed value to `buf`. Nothing is written on error.
    pub fn encode_into(&self, buf: &mut bytes::BytesMut) -> Result<(), EncodeError> {
        let len = self.encoded_len()?;
        super::message::encode_with(buf, len, |buf| put_value(buf, self))
    }

    /// Encodes the typed value into a buffer of exactly the right size.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        let len = self.encoded_len()?;
        let mut buf = Vec::with_capacity(len);
        put_value(&mut buf, self);
        Ok(Bytes::from(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_layout() {
        // An inline WireString is 40 bytes; Value adds its base type, and a VARIANT keeps
        // its (string) value inline beside its own tag (README changelog).
        assert!(std::mem::size_of::<WireString>() <= 40);
        assert!(std::mem::size_of::<Variant>() <= 48);
        assert!(std::mem::size_of::<Value>() <= 56);
    }
}
