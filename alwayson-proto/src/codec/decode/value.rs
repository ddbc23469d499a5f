//! Typed values and InfoTables (base-types.md §1–3).
//!
//! Nesting: `depth` is the number of InfoTables/VARIANTs already open around the element
//! being read. Opening one more takes it to `depth + 1`; above [`MAX_NESTING_DEPTH`] the
//! decoder stops with [`DecodeErrorKind::NestingTooDeep`] at the type byte that would have
//! opened it. Recursion is therefore bounded by `MAX_NESTING_DEPTH` whatever the input.
//!
//! [`value`] and [`infotable`] first try the fast path ([`super::fast`]); only when it fails
//! do they rewind and run the checked decoders here ([`checked_value`], [`checked_infotable`],
//! built on the `nom` primitives of the reader), which find and describe the error.

use super::fast;
use super::reader::{DResult, Reader};
use crate::codec::{
    Aspect, BaseType, DataShape, DecodeError, DecodeErrorKind, FieldDefinition, InfoTable,
    Location, Value, MAX_NESTING_DEPTH,
};

/// Opens one more nesting level.
fn enter(depth: usize, at: usize) -> DResult<usize> {
    let d = depth.saturating_add(1);
    if d > MAX_NESTING_DEPTH {
        Err(DecodeError::new(
            at,
            DecodeErrorKind::NestingTooDeep {
                limit: MAX_NESTING_DEPTH,
            },
        ))
    } else {
        Ok(d)
    }
}

/// One typed value: type byte + value bytes.
pub(crate) fn value(r: &mut Reader<'_>, depth: usize) -> DResult<Value> {
    let start = r.pos();
    match fast::value(r, depth) {
        Some(v) => Ok(v),
        None => {
            r.rewind(start);
            checked_value(r, depth)
        }
    }
}

/// An InfoTable whose own nesting level is `depth` (1 for a table at the top of a body).
pub(crate) fn infotable(r: &mut Reader<'_>, depth: usize) -> DResult<InfoTable> {
    let start = r.pos();
    match fast::infotable(r, depth) {
        Some(t) => Ok(t),
        None => {
            r.rewind(start);
            checked_infotable(r, depth)
        }
    }
}

/// [`value`], checked at every step.
pub(super) fn checked_value(r: &mut Reader<'_>, depth: usize) -> DResult<Value> {
    let at = r.pos();
    let t = BaseType::from(r.u8("value base type")?);
    Ok(match t {
        BaseType::Nothing => Value::Nothing,
        BaseType::Number => Value::Number(r.f64("NUMBER value")?),
        BaseType::Integer => Value::Integer(r.i32("INTEGER value")?),
        BaseType::Boolean => Value::Boolean(r.u8("BOOLEAN value")? != 0),
        BaseType::DateTime => Value::DateTime(r.i64("DATETIME value")?),
        BaseType::Location => {
            let longitude = r.f64("LOCATION longitude")?;
            let latitude = r.f64("LOCATION latitude")?;
            let elevation = r.f64("LOCATION elevation")?;
            Value::Location(Location {
                longitude,
                latitude,
                elevation,
            })
        }
        BaseType::Blob | BaseType::Image => {
            let len_at = r.pos();
            let what = if t == BaseType::Blob { "BLOB" } else { "IMAGE" };
            let len = r.u32(what)?;
            let bytes = r.take(u64::from(len), len_at, what)?;
            if t == BaseType::Blob {
                Value::Blob(bytes)
            } else {
                Value::Image(bytes)
            }
        }
        BaseType::InfoTable => {
            let d = enter(depth, at)?;
            Value::InfoTable(Box::new(checked_infotable(r, d)?))
        }
        BaseType::Variant => {
            let d = enter(depth, at)?;
            Value::Variant(Box::new(checked_value(r, d)?))
        }
        t if t.is_string_family() => Value::String(t, r.string("string value")?),
        other => {
            return Err(DecodeError::new(
                at,
                DecodeErrorKind::UnsupportedBaseType(other.as_u8()),
            ))
        }
    })
}

/// [`infotable`], checked at every step.
pub(super) fn checked_infotable(r: &mut Reader<'_>, depth: usize) -> DResult<InfoTable> {
    let mut fields = Vec::new();
    while r.u8("DataShape field marker")? != 0 {
        let name = r.string("field name")?;
        let description = r.string("field description")?;
        let base_type = BaseType::from(r.u8("field base type")?);
        let count = r.u16("aspect count")?;
        // Each aspect takes at least 2 bytes (empty name + NOTHING).
        let mut aspects = Vec::with_capacity(usize::from(count).min(r.remaining() / 2));
        for _ in 0..count {
            let name = r.string("aspect name")?;
            let value = checked_value(r, depth)?;
            aspects.push(Aspect { name, value });
        }
        fields.push(FieldDefinition {
            name,
            description,
            base_type,
            aspects,
        });
    }
    let mut rows = Vec::new();
    while r.u8("row marker")? != 0 {
        let count = r.u16("row cell count")?;
        // Each cell takes at least 1 byte (its type byte).
        let mut cells = Vec::with_capacity(usize::from(count).min(r.remaining()));
        for _ in 0..count {
            cells.push(checked_value(r, depth)?);
        }
        rows.push(cells);
    }
    Ok(InfoTable {
        data_shape: DataShape { fields },
        rows,
    })
}
