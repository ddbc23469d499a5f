//! What the grammar builds: one trait, two builders.
//!
//! The grammar (`value::read`, `infotable::read_field`/`read_row`/`read`) is written once
//! and hands every element it reads to a [`Build`]er:
//!
//! * [`View`] keeps nothing but counts and byte spans: the borrowed views
//!   ([`ValueRef`], [`InfoTableRef`], ...) over the input, allocating nothing;
//! * [`Owned`] builds the owned types ([`Value`], [`InfoTable`], ...) in the same single
//!   pass: short strings inline, longer strings and blobs shared with the input [`Bytes`]
//!   (or copied when converting a view, which has no shared buffer).

use super::infotable::RowsBuilder;
use super::{
    Aspect, DataShape, FieldDefinition, FieldRef, InfoTable, InfoTableRef, RowRef, Value, ValueRef,
    VariantRef, WireString,
};
use bytes::Bytes;

/// Most cells reserved ahead from the first row of a table (a guess; beyond it a table
/// grows as it is read).
const MAX_RESERVED_CELLS: usize = 1 << 12;

/// The bytes and nesting level of an InfoTable the grammar has just read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableSpan<'a> {
    /// From the first field marker to the final row terminator, inclusive.
    pub(crate) bytes: &'a [u8],
    /// Offset of the first row marker within `bytes`.
    pub(crate) rows_at: usize,
    /// The table's own nesting level.
    pub(crate) depth: usize,
}

/// Receives what the grammar reads, in wire order.
pub(crate) trait Build<'a> {
    type Value;
    type Aspects;
    type Field;
    type Fields;
    type Rows;
    type Table;

    /// A value that is neither INFOTABLE nor VARIANT.
    fn leaf(&mut self, v: ValueRef<'a>) -> Self::Value;
    /// A VARIANT around `inner`, whose bytes (type byte included) are `bytes`, read at
    /// nesting level `depth`.
    fn variant(&mut self, inner: Self::Value, bytes: &'a [u8], depth: usize) -> Self::Value;
    /// An INFOTABLE value.
    fn table_value(&mut self, t: Self::Table) -> Self::Value;

    fn aspects(&mut self, count: u16, remaining: usize) -> Self::Aspects;
    fn aspect(&mut self, aspects: &mut Self::Aspects, name: &'a [u8], value: Self::Value);
    fn field(&mut self, head: FieldRef<'a>, aspects: Self::Aspects) -> Self::Field;
    fn fields(&mut self) -> Self::Fields;
    fn push_field(&mut self, fields: &mut Self::Fields, f: Self::Field);

    fn rows(&mut self) -> Self::Rows;
    /// One more cell of the row being read.
    fn cell(&mut self, rows: &mut Self::Rows, v: Self::Value);
    /// The row being read is complete; `remaining` bytes follow it.
    fn end_row(&mut self, rows: &mut Self::Rows, head: RowRef<'a>, remaining: usize);

    fn table(&mut self, span: TableSpan<'a>, fields: Self::Fields, rows: Self::Rows)
        -> Self::Table;
}

/// Builds the borrowed views: counts and spans only.
pub(crate) struct View;

impl<'a> Build<'a> for View {
    type Value = ValueRef<'a>;
    type Aspects = ();
    type Field = FieldRef<'a>;
    type Fields = usize;
    type Rows = usize;
    type Table = InfoTableRef<'a>;

    #[inline(always)]
    fn leaf(&mut self, v: ValueRef<'a>) -> ValueRef<'a> {
        v
    }
    #[inline(always)]
    fn variant(&mut self, _: ValueRef<'a>, bytes: &'a [u8], depth: usize) -> ValueRef<'a> {
        ValueRef::Variant(VariantRef { bytes, depth })
    }
    #[inline(always)]
    fn table_value(&mut self, t: InfoTableRef<'a>) -> ValueRef<'a> {
        ValueRef::InfoTable(t)
    }
    #[inline(always)]
    fn aspects(&mut self, _: u16, _: usize) {}
    #[inline(always)]
    fn aspect(&mut self, _: &mut (), _: &'a [u8], _: ValueRef<'a>) {}
    #[inline(always)]
    fn field(&mut self, head: FieldRef<'a>, _: ()) -> FieldRef<'a> {
        head
    }
    #[inline(always)]
    fn fields(&mut self) -> usize {
        0
    }
    #[inline(always)]
    fn push_field(&mut self, fields: &mut usize, _: FieldRef<'a>) {
        *fields += 1;
    }
    #[inline(always)]
    fn rows(&mut self) -> usize {
        0
    }
    #[inline(always)]
    fn cell(&mut self, _: &mut usize, _: ValueRef<'a>) {}
    #[inline(always)]
    fn end_row(&mut self, rows: &mut usize, _: RowRef<'a>, _: usize) {
        *rows += 1;
    }
    #[inline(always)]
    fn table(&mut self, span: TableSpan<'a>, fields: usize, rows: usize) -> InfoTableRef<'a> {
        InfoTableRef {
            span,
            field_count: fields,
            row_count: rows,
        }
    }
}

/// Builds the owned types. With a buffer, the input is a part of it and long strings and
/// blobs share it; without, they are copied.
pub(crate) struct Owned<'b> {
    buf: Option<&'b Bytes>,
}

impl<'b> Owned<'b> {
    /// Sharing `buf`, of which every input slice is a part.
    pub(crate) fn shared(buf: &'b Bytes) -> Self {
        Self { buf: Some(buf) }
    }

    /// Copying every string and blob.
    pub(crate) fn copied() -> Owned<'static> {
        Owned { buf: None }
    }

    /// A string: inline when short, else shared or copied.
    #[inline(always)]
    pub(crate) fn string(&self, s: &[u8]) -> WireString {
        match self.buf {
            Some(buf) => WireString::shared_or_inline(buf, s),
            None => WireString::copy_from_slice(s),
        }
    }

    /// A blob: shared or copied.
    pub(crate) fn bytes(&self, s: &[u8]) -> Bytes {
        match self.buf {
            Some(buf) if !s.is_empty() => buf.slice_ref(s),
            _ => Bytes::copy_from_slice(s),
        }
    }
}

impl<'a> Build<'a> for Owned<'_> {
    type Value = Value;
    type Aspects = Vec<Aspect>;
    type Field = FieldDefinition;
    type Fields = Vec<FieldDefinition>;
    type Rows = RowsBuilder;
    type Table = InfoTable;

    #[inline(always)]
    fn leaf(&mut self, v: ValueRef<'a>) -> Value {
        match v {
            ValueRef::Nothing => Value::Nothing,
            ValueRef::String(t, s) => Value::String(t, self.string(s)),
            ValueRef::Number(x) => Value::Number(x),
            ValueRef::Integer(x) => Value::Integer(x),
            ValueRef::Boolean(x) => Value::Boolean(x),
            ValueRef::DateTime(x) => Value::DateTime(x),
            ValueRef::Location(l) => Value::Location(l),
            ValueRef::Blob(b) => Value::Blob(self.bytes(b)),
            ValueRef::Image(b) => Value::Image(self.bytes(b)),
            // Never handed to `leaf` by the grammar; converted all the same.
            ValueRef::InfoTable(t) => Value::InfoTable(Box::new(t.to_owned())),
            ValueRef::Variant(v) => Value::variant(v.value().to_owned()),
        }
    }
    #[inline(always)]
    fn variant(&mut self, inner: Value, _: &'a [u8], _: usize) -> Value {
        Value::variant(inner)
    }
    #[inline(always)]
    fn table_value(&mut self, t: InfoTable) -> Value {
        Value::InfoTable(Box::new(t))
    }
    #[inline(always)]
    fn aspects(&mut self, count: u16, remaining: usize) -> Vec<Aspect> {
        // Each aspect takes at least 2 bytes (empty name + NOTHING).
        Vec::with_capacity(usize::from(count).min(remaining / 2))
    }
    #[inline(always)]
    fn aspect(&mut self, aspects: &mut Vec<Aspect>, name: &'a [u8], value: Value) {
        aspects.push(Aspect {
            name: self.string(name),
            value,
        });
    }
    #[inline(always)]
    fn field(&mut self, head: FieldRef<'a>, aspects: Vec<Aspect>) -> FieldDefinition {
        FieldDefinition {
            name: self.string(head.name),
            description: self.string(head.description),
            base_type: head.base_type,
            aspects,
        }
    }
    #[inline(always)]
    fn fields(&mut self) -> Vec<FieldDefinition> {
        Vec::new()
    }
    #[inline(always)]
    fn push_field(&mut self, fields: &mut Vec<FieldDefinition>, f: FieldDefinition) {
        fields.push(f);
    }
    #[inline(always)]
    fn rows(&mut self) -> RowsBuilder {
        RowsBuilder::default()
    }
    #[inline(always)]
    fn cell(&mut self, rows: &mut RowsBuilder, v: Value) {
        rows.cell(v);
    }
    #[inline(always)]
    fn end_row(&mut self, rows: &mut RowsBuilder, head: RowRef<'a>, remaining: usize) {
        rows.end_row();
        if rows.row_count() == 1 {
            // Reserve for the rest of the table, guessing from the first row that the
            // rows are alike, give or take a third: each takes about `3 +
            // head.cells.len()` bytes of the `remaining` ones. Bounded by the input (at
            // most one cell per remaining byte) and by `MAX_RESERVED_CELLS`; the surplus is
            // given back when the table ends, and a short guess only costs the usual growth.
            let rows_left = remaining.saturating_mul(3) / (2 * (3 + head.cells.len()));
            let cells = rows_left.saturating_mul(head.len());
            rows.reserve(cells.min(remaining).min(MAX_RESERVED_CELLS));
        }
    }
    #[inline(always)]
    fn table(
        &mut self,
        _: TableSpan<'a>,
        fields: Vec<FieldDefinition>,
        rows: RowsBuilder,
    ) -> InfoTable {
        rows.finish(DataShape { fields })
    }
}

#[cfg(test)]
mod tests {
    //! The owned and the borrowed decode run the same grammar: they must accept exactly the
    //! same inputs, stop at the same byte with the same error, and the view must convert to
    //! the owned value. Checked on every prefix and on many single-byte mutations of a table
    //! that uses every value type, at several nesting levels.

    use crate::codec::{
        Aspect, BaseType, DecodeError, FieldDefinition, InfoTable, InfoTableRef, Location, Value,
        ValueRef, WireString, MAX_NESTING_DEPTH,
    };
    use bytes::Bytes;

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
            value: Value::from(inner.clone()),
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

    type Outcome<T> = Result<(T, usize), DecodeError>;

    fn same_verdict(input: &Bytes) {
        let owned: Outcome<InfoTable> =
            InfoTable::decode(input.clone()).map(|d| (d.value, input.len() - d.trailing.len()));
        let view: Outcome<InfoTable> = InfoTableRef::decode(input)
            .map(|d| (d.value.to_owned(), input.len() - d.trailing.len()));
        assert_eq!(owned, view, "table {input:02x?}");
        let owned: Outcome<Value> =
            Value::decode(input.clone()).map(|d| (d.value, input.len() - d.trailing.len()));
        let view: Outcome<Value> =
            ValueRef::decode(input).map(|d| (d.value.to_owned(), input.len() - d.trailing.len()));
        assert_eq!(owned, view, "value {input:02x?}");
    }

    #[test]
    fn owned_and_borrowed_decode_agree() {
        let enc = Value::from(sample_table()).encode().expect("encodes");
        let table_bytes = enc.slice(1..);
        let mut deep = enc.to_vec();
        for _ in 0..MAX_NESTING_DEPTH - 3 {
            deep.insert(0, BaseType::Variant.as_u8());
        }
        let deep = Bytes::from(deep);
        for input in [&enc, &table_bytes, &deep] {
            for cut in 0..=input.len() {
                same_verdict(&input.slice(..cut));
            }
            for at in 0..input.len() {
                for b in [
                    0x00, 0x01, 0x03, 0x04, 0x05, 0x12, 0x17, 0x7F, 0x80, 0xC0, 0xFF,
                ] {
                    let mut v = input.to_vec();
                    v[at] = b;
                    same_verdict(&Bytes::from(v));
                }
            }
        }
    }
}
