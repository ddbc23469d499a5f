//! The fast path for typed values and InfoTables: hand-rolled, allocation-lean, and
//! error-free.
//!
//! The checked decoder in [`super::value`] (`nom` primitives, a [`DecodeError`] with offset
//! and cause at every step) is the reference. This module accepts **exactly the same
//! inputs** and builds **exactly the same values**, but reports failure only as `None`; the
//! callers in `value` then rewind and re-run the checked decoder from the same position,
//! which produces the error. Valid input is therefore decoded once, and invalid input at
//! most twice (both passes are linear in the input).
//!
//! What makes it faster (`push_100` decode, see BENCHMARKS.md):
//!
//! * cells are built directly in their row's `Vec` (pre-sized from the cell count and
//!   bounded by the remaining input), and the common scalar and STRING cells are decoded
//!   inline in that loop, instead of moving a 40-byte `Value` through several
//!   `Result<Value, DecodeError>` returns;
//! * no `DecodeError` (and its `&'static str` context) is materialised on the hot path;
//! * the type byte is matched directly instead of going through `BaseType::from`;
//! * empty strings take no reference on the input buffer.
//!
//! Strings and blobs still share the input buffer (one atomic reference-count increment per
//! non-empty string or blob, inherent to [`bytes::Bytes`]): nothing is copied.
//!
//! [`DecodeError`]: crate::codec::DecodeError

use super::reader::Reader;
use crate::codec::{
    Aspect, BaseType, DataShape, FieldDefinition, InfoTable, Location, Row, Value,
    MAX_NESTING_DEPTH,
};

/// Opens one more nesting level, `None` above the limit.
#[inline(always)]
fn enter(depth: usize) -> Option<usize> {
    let d = depth.saturating_add(1);
    (d <= MAX_NESTING_DEPTH).then_some(d)
}

/// One typed value (type byte + value). The frequent types are handled inline; the rest in
/// [`other_value`].
#[inline(always)]
pub(super) fn value(r: &mut Reader<'_>, depth: usize) -> Option<Value> {
    let t = r.fast_u8()?;
    Some(match t {
        0x00 => Value::String(BaseType::String, r.fast_string()?),
        0x01 => Value::Number(f64::from_be_bytes(r.fast_array()?)),
        0x02 => Value::Boolean(r.fast_u8()? != 0),
        0x03 => Value::DateTime(i64::from_be_bytes(r.fast_array()?)),
        0x16 => Value::Integer(i32::from_be_bytes(r.fast_array()?)),
        0xFF => Value::Nothing,
        0x12 => variant(r, depth)?,
        _ => other_value(r, t, depth)?,
    })
}

#[inline(never)]
fn variant(r: &mut Reader<'_>, depth: usize) -> Option<Value> {
    let d = enter(depth)?;
    Some(Value::Variant(Box::new(value(r, d)?)))
}

#[inline(never)]
fn other_value(r: &mut Reader<'_>, t: u8, depth: usize) -> Option<Value> {
    Some(match t {
        0x06 => {
            let longitude = f64::from_be_bytes(r.fast_array()?);
            let latitude = f64::from_be_bytes(r.fast_array()?);
            let elevation = f64::from_be_bytes(r.fast_array()?);
            Value::Location(Location {
                longitude,
                latitude,
                elevation,
            })
        }
        0x15 => {
            let len = r.fast_u32()?;
            Value::Blob(r.fast_take(usize::try_from(len).ok()?)?)
        }
        0x0A => {
            let len = r.fast_u32()?;
            Value::Image(r.fast_take(usize::try_from(len).ok()?)?)
        }
        0x05 => Value::InfoTable(Box::new(infotable(r, enter(depth)?)?)),
        _ => {
            let bt = BaseType::from(t);
            if !bt.is_string_family() {
                return None;
            }
            Value::String(bt, r.fast_string()?)
        }
    })
}

/// An InfoTable whose own nesting level is `depth`.
pub(super) fn infotable(r: &mut Reader<'_>, depth: usize) -> Option<InfoTable> {
    let mut fields = Vec::new();
    while r.fast_u8()? != 0 {
        let name = r.fast_string()?;
        let description = r.fast_string()?;
        let base_type = BaseType::from(r.fast_u8()?);
        let count = r.fast_u16()?;
        // Each aspect takes at least 2 bytes (empty name + NOTHING).
        let mut aspects = Vec::with_capacity(usize::from(count).min(r.remaining() / 2));
        for _ in 0..count {
            let name = r.fast_string()?;
            let value = value(r, depth)?;
            aspects.push(Aspect { name, value });
        }
        fields.push(FieldDefinition {
            name,
            description,
            base_type,
            aspects,
        });
    }
    let mut rows: Vec<Row> = Vec::new();
    while r.fast_u8()? != 0 {
        let count = usize::from(r.fast_u16()?);
        // Each cell takes at least 1 byte (its type byte).
        let mut cells = Vec::with_capacity(count.min(r.remaining()));
        for _ in 0..count {
            cells.push(value(r, depth)?);
        }
        rows.push(cells);
    }
    Some(InfoTable {
        data_shape: DataShape { fields },
        rows,
    })
}
