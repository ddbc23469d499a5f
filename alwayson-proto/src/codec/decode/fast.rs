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
//! * cells are written in place into their row's `Vec` (sized from the cell count, which
//!   cannot exceed the remaining input) and the common scalar and STRING cells are decoded
//!   inline in that loop, instead of moving a 40-byte `Value` through several
//!   `Result<Value, DecodeError>` returns (each such move was a store-forwarding stall);
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
    Aspect, BaseType, DataShape, FieldDefinition, InfoTable, Location, Row, Value, WireString,
    MAX_NESTING_DEPTH,
};
use bytes::Bytes;

/// Opens one more nesting level, `None` above the limit.
#[inline(always)]
fn enter(depth: usize) -> Option<usize> {
    let d = depth.saturating_add(1);
    (d <= MAX_NESTING_DEPTH).then_some(d)
}

/// Stores `v` in `slot`, which holds [`Value::Nothing`]: there is nothing to drop, and
/// leaving out the drop call between computing `v` and storing it lets the compiler build `v`
/// (e.g. the `Bytes` of a string) directly in the slot instead of in a stack temporary that
/// is then copied (a store-forwarding stall per cell). Were the slot not `Nothing`, its old
/// value would be leaked, never freed twice.
#[inline(always)]
fn put(slot: &mut Value, v: Value) {
    debug_assert!(matches!(slot, Value::Nothing));
    std::mem::forget(std::mem::replace(slot, v));
}

/// [`put`] for a string-family value. Writing the variant first and then moving the bytes
/// into its field saves one copy of the whole `Value` through the stack.
#[inline(always)]
fn put_string(slot: &mut Value, t: BaseType, bytes: Bytes) {
    put(slot, Value::String(t, WireString::new()));
    if let Value::String(_, s) = slot {
        // The old value is the static empty string: nothing to drop.
        std::mem::forget(std::mem::replace(s, WireString::from_bytes(bytes)));
    }
}

/// One typed value (type byte + value).
pub(super) fn value(r: &mut Reader<'_>, depth: usize) -> Option<Value> {
    let mut v = Value::Nothing;
    value_into(r, depth, &mut v)?;
    Some(v)
}

/// One typed value, written into `slot` (which holds [`Value::Nothing`]; see [`put`]).
/// Writing in place lets the compiler store each field straight into the row's buffer; a
/// returned `Value` was assembled on the stack with narrow stores and then copied with wide
/// loads, a store-forwarding stall per cell. The frequent types are handled
/// inline; the rest in [`other_value_into`].
#[inline(always)]
fn value_into(r: &mut Reader<'_>, depth: usize, slot: &mut Value) -> Option<()> {
    match r.fast_u8()? {
        0x00 => {
            let range = r.fast_string_range()?;
            put_string(slot, BaseType::String, r.share(range));
        }
        0x01 => put(slot, Value::Number(f64::from_be_bytes(r.fast_array()?))),
        0x02 => put(slot, Value::Boolean(r.fast_u8()? != 0)),
        0x03 => put(slot, Value::DateTime(i64::from_be_bytes(r.fast_array()?))),
        0x16 => put(slot, Value::Integer(i32::from_be_bytes(r.fast_array()?))),
        0xFF => {}
        0x12 => variant_into(r, depth, slot)?,
        t => other_value_into(r, t, depth, slot)?,
    }
    Some(())
}

#[inline(never)]
fn variant_into(r: &mut Reader<'_>, depth: usize, slot: &mut Value) -> Option<()> {
    let d = enter(depth)?;
    let mut inner = Value::Nothing;
    value_into(r, d, &mut inner)?;
    put(slot, Value::Variant(Box::new(inner)));
    Some(())
}

#[inline(never)]
fn other_value_into(r: &mut Reader<'_>, t: u8, depth: usize, slot: &mut Value) -> Option<()> {
    match t {
        0x06 => {
            let longitude = f64::from_be_bytes(r.fast_array()?);
            let latitude = f64::from_be_bytes(r.fast_array()?);
            let elevation = f64::from_be_bytes(r.fast_array()?);
            put(
                slot,
                Value::Location(Location {
                    longitude,
                    latitude,
                    elevation,
                }),
            );
        }
        0x15 | 0x0A => {
            let len = usize::try_from(r.fast_u32()?).ok()?;
            let range = r.fast_skip(len)?;
            let bytes = r.share(range);
            put(
                slot,
                if t == 0x15 {
                    Value::Blob(bytes)
                } else {
                    Value::Image(bytes)
                },
            );
        }
        0x05 => put(
            slot,
            Value::InfoTable(Box::new(infotable(r, enter(depth)?)?)),
        ),
        _ => {
            let bt = BaseType::from(t);
            if !bt.is_string_family() {
                return None;
            }
            let range = r.fast_string_range()?;
            put_string(slot, bt, r.share(range));
        }
    }
    Some(())
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
        // Each cell takes at least 1 byte (its type byte): a longer count cannot succeed.
        if count > r.remaining() {
            return None;
        }
        let mut cells: Row = Vec::with_capacity(count);
        cells.resize_with(count, || Value::Nothing);
        for slot in &mut cells {
            value_into(r, depth, slot)?;
        }
        rows.push(cells);
    }
    Some(InfoTable {
        data_shape: DataShape { fields },
        rows,
    })
}

#[cfg(test)]
mod tests {
    //! The fast path must accept exactly what the checked decoder accepts and build the
    //! same values: compared on every prefix and on many single-byte mutations of tables
    //! that use every value type.

    use super::super::value::{checked_infotable, checked_value};
    use super::*;
    use crate::codec::MAX_NESTING_DEPTH;

    fn sample_table() -> InfoTable {
        let mut inner = InfoTable::with_fields(vec![FieldDefinition::new("v", BaseType::Variant)]);
        inner.push_row(vec![Value::variant(Value::variant(Value::Integer(-7)))]);
        let mut field = FieldDefinition::new("name", BaseType::String);
        field.description = WireString::from("a description");
        field.aspects.push(Aspect {
            name: "isPrimaryKey".into(),
            value: Value::Boolean(true),
        });
        field.aspects.push(Aspect {
            name: "defaultValue".into(),
            value: Value::Nothing,
        });
        let mut t = InfoTable::with_fields(vec![
            field,
            FieldDefinition::new("x", BaseType::Unknown(0x17)),
        ]);
        t.push_row(vec![
            Value::string("s"),
            Value::String(BaseType::ThingName, "Thing1".into()),
            Value::String(BaseType::Json, WireString::from("x".repeat(130))),
            Value::String(BaseType::Text, WireString::new()),
        ]);
        t.push_row(vec![
            Value::Number(-0.5),
            Value::Integer(42),
            Value::Boolean(false),
            Value::DateTime(1_700_000_000_000),
            Value::Location(Location {
                longitude: 1.0,
                latitude: 2.0,
                elevation: f64::NAN,
            }),
            Value::Nothing,
        ]);
        t.push_row(vec![
            Value::Blob(Bytes::from_static(b"\x00\x01\x02")),
            Value::Image(Bytes::new()),
            Value::variant(Value::string("in a variant")),
            Value::from(inner),
        ]);
        t.push_row(vec![]);
        t
    }

    fn same_as_checked(input: &Bytes, depth: usize) {
        let mut r = Reader::new(input);
        let fast = infotable(&mut r, depth).map(|t| (t, r.pos()));
        let mut r = Reader::new(input);
        let checked = checked_infotable(&mut r, depth).map(|t| (t, r.pos()));
        assert_eq!(fast, checked.ok(), "table {input:02x?} at depth {depth}");
        let mut r = Reader::new(input);
        let fast = value(&mut r, depth).map(|v| (v, r.pos()));
        let mut r = Reader::new(input);
        let checked = checked_value(&mut r, depth).map(|v| (v, r.pos()));
        assert_eq!(fast, checked.ok(), "value {input:02x?} at depth {depth}");
    }

    #[test]
    fn fast_path_agrees_with_checked_decoder() {
        let table = sample_table();
        let enc = Value::from(table).encode().expect("encodes");
        let table_bytes = enc.slice(1..);
        for input in [&enc, &table_bytes] {
            for depth in [0, 1, MAX_NESTING_DEPTH - 2, MAX_NESTING_DEPTH] {
                for cut in 0..=input.len() {
                    same_as_checked(&input.slice(..cut), depth);
                }
            }
            for at in 0..input.len() {
                for b in [
                    0x00, 0x01, 0x03, 0x04, 0x05, 0x12, 0x17, 0x7F, 0x80, 0xC0, 0xFF,
                ] {
                    let mut v = input.to_vec();
                    v[at] = b;
                    same_as_checked(&Bytes::from(v), 1);
                }
            }
        }
    }
}
