//! VARIANT (0x12, base-types.md §2): a typed value wrapped in another type byte. The owned
//! [`Variant`], its length and its writer; the reader is [`super::value::read`] and the
//! borrowed view [`super::VariantRef`].
//!
//! Storage: the wrapped value is kept inline (no allocation) unless it is itself a VARIANT
//! or an INFOTABLE, which are boxed.

use super::error::add_len;
use super::value::{enter_encode, put_value, value_len};
use super::wire_string::{put_str, str_len};
use super::{BaseType, EncodeError, Location, Value, WireString};
use bytes::{BufMut, Bytes};
use std::borrow::Cow;
use std::fmt;

/// The inside of a VARIANT: another typed value, which may itself be a VARIANT.
///
/// Build it with [`Variant::new`] (or [`Value::variant`]); read it with
/// [`Variant::value`] (borrowed when boxed, a cheap copy otherwise), [`Variant::into_value`]
/// or [`Variant::base_type`]. Scalars, strings and blobs are stored inline; a nested VARIANT
/// or INFOTABLE is boxed. Equality compares the wrapped values.
#[derive(Clone)]
pub struct Variant(Inner);

#[derive(Clone)]
enum Inner {
    Nothing,
    String(BaseType, WireString),
    Number(f64),
    Integer(i32),
    Boolean(bool),
    DateTime(i64),
    Location(Location),
    Blob(Bytes),
    Image(Bytes),
    /// An INFOTABLE or a VARIANT.
    Boxed(Box<Value>),
}

impl Variant {
    /// A VARIANT wrapping `inner`.
    #[inline(always)]
    pub fn new(inner: Value) -> Self {
        Self(match inner {
            Value::Nothing => Inner::Nothing,
            Value::String(t, s) => Inner::String(t, s),
            Value::Number(x) => Inner::Number(x),
            Value::Integer(x) => Inner::Integer(x),
            Value::Boolean(x) => Inner::Boolean(x),
            Value::DateTime(x) => Inner::DateTime(x),
            Value::Location(l) => Inner::Location(l),
            Value::Blob(b) => Inner::Blob(b),
            Value::Image(b) => Inner::Image(b),
            nested @ (Value::InfoTable(_) | Value::Variant(_)) => Inner::Boxed(Box::new(nested)),
        })
    }

    /// The wrapped value: borrowed when it is a nested VARIANT or INFOTABLE, otherwise a
    /// copy (of a scalar, an inline string, or a shared buffer's handle).
    pub fn value(&self) -> Cow<'_, Value> {
        match &self.0 {
            Inner::Boxed(v) => Cow::Borrowed(v),
            _ => Cow::Owned(self.clone().into_value()),
        }
    }

    /// The wrapped value.
    pub fn into_value(self) -> Value {
        match self.0 {
            Inner::Nothing => Value::Nothing,
            Inner::String(t, s) => Value::String(t, s),
            Inner::Number(x) => Value::Number(x),
            Inner::Integer(x) => Value::Integer(x),
            Inner::Boolean(x) => Value::Boolean(x),
            Inner::DateTime(x) => Value::DateTime(x),
            Inner::Location(l) => Value::Location(l),
            Inner::Blob(b) => Value::Blob(b),
            Inner::Image(b) => Value::Image(b),
            Inner::Boxed(v) => *v,
        }
    }

    /// The base type of the wrapped value.
    pub fn base_type(&self) -> BaseType {
        match &self.0 {
            Inner::Nothing => BaseType::Nothing,
            Inner::String(t, _) => *t,
            Inner::Number(_) => BaseType::Number,
            Inner::Integer(_) => BaseType::Integer,
            Inner::Boolean(_) => BaseType::Boolean,
            Inner::DateTime(_) => BaseType::DateTime,
            Inner::Location(_) => BaseType::Location,
            Inner::Blob(_) => BaseType::Blob,
            Inner::Image(_) => BaseType::Image,
            Inner::Boxed(v) => v.base_type(),
        }
    }
}

impl From<Value> for Variant {
    fn from(v: Value) -> Self {
        Self::new(v)
    }
}

impl PartialEq for Variant {
    fn eq(&self, other: &Self) -> bool {
        *self.value() == *other.value()
    }
}

impl fmt::Debug for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Variant").field(&*self.value()).finish()
    }
}

// ---------------------------------------------------------------- length and writer

/// Length of a VARIANT (its own type byte included) at nesting level `depth`.
#[inline(always)]
pub(crate) fn variant_len(v: &Variant, depth: usize) -> Result<usize, EncodeError> {
    let d = enter_encode(depth)?;
    let inner = match &v.0 {
        Inner::Boxed(inner) => value_len(inner, d)?,
        Inner::String(t, s) => {
            if !t.is_string_family() {
                return Err(EncodeError::UnsupportedBaseType(t.as_u8()));
            }
            add_len(1, str_len(s, "string value")?)?
        }
        Inner::Nothing => 1,
        Inner::Number(_) | Inner::DateTime(_) => 9,
        Inner::Integer(_) => 5,
        Inner::Boolean(_) => 2,
        Inner::Location(_) => 25,
        Inner::Blob(b) | Inner::Image(b) => {
            if u32::try_from(b.len()).is_err() {
                return Err(EncodeError::TooLong {
                    what: "BLOB/IMAGE value",
                    len: b.len(),
                });
            }
            add_len(5, b.len())?
        }
    };
    add_len(1, inner)
}

/// Writes a VARIANT checked by [`variant_len`].
#[inline(always)]
pub(crate) fn put_variant<B: BufMut>(buf: &mut B, v: &Variant) {
    buf.put_u8(BaseType::Variant.as_u8());
    match &v.0 {
        Inner::Boxed(inner) => put_value(buf, inner),
        Inner::String(t, s) => {
            buf.put_u8(t.as_u8());
            put_str(buf, s);
        }
        Inner::Number(x) => {
            buf.put_u8(BaseType::Number.as_u8());
            buf.put_f64(*x);
        }
        Inner::Integer(x) => {
            buf.put_u8(BaseType::Integer.as_u8());
            buf.put_i32(*x);
        }
        Inner::Boolean(x) => {
            buf.put_u8(BaseType::Boolean.as_u8());
            buf.put_u8(u8::from(*x));
        }
        Inner::DateTime(x) => {
            buf.put_u8(BaseType::DateTime.as_u8());
            buf.put_i64(*x);
        }
        Inner::Nothing => buf.put_u8(BaseType::Nothing.as_u8()),
        Inner::Location(l) => {
            buf.put_u8(BaseType::Location.as_u8());
            buf.put_f64(l.longitude);
            buf.put_f64(l.latitude);
            buf.put_f64(l.elevation);
        }
        Inner::Blob(b) | Inner::Image(b) => {
            buf.put_u8(v.base_type().as_u8());
            // Checked in the length pass: fits in u32.
            buf.put_u32(b.len() as u32);
            buf.put_slice(b);
        }
    }
}
