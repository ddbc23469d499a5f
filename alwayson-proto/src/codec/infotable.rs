//! InfoTable and DataShape (base-types.md §3): the owned [`InfoTable`], the borrowed
//! [`InfoTableRef`] with its [`FieldRef`]s and [`RowRef`]s, their length, writer and
//! reader.
//!
//! On the wire: per field `01`, name, description, base type byte, `u16` aspect count and
//! the aspects (name + typed value); `00`; per row `01`, `u16` cell count and the typed
//! cells; `00`. No length prefix: a table ends where its last terminator is.

use super::build::{Build, Owned, TableSpan, View};
use super::cursor::{Cursor, Fail, GrammarError};
use super::error::add_len;
use super::value::{self, put_value, value_len};
use super::wire_string::{put_str, read_str, str_len};
use super::{BaseType, DecodeError, DecodedRef, EncodeError, Value, ValueRef, WireString};
use bytes::{BufMut, Bytes};

/// A DataShape aspect: a name and a typed value (e.g. `isPrimaryKey` = BOOLEAN true).
#[derive(Debug, Clone, PartialEq)]
pub struct Aspect {
    /// Aspect name.
    pub name: WireString,
    /// Aspect value.
    pub value: Value,
}

/// One field (column) definition of a DataShape.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDefinition {
    /// Field name; cells are matched to fields by position, and fields by exact byte name.
    pub name: WireString,
    /// Description; an absent description is the empty string on the wire.
    pub description: WireString,
    /// Declared base type. Any byte is accepted here, including ones with no value
    /// encoding; cells carry their own type byte.
    pub base_type: BaseType,
    /// Aspects, in wire order.
    pub aspects: Vec<Aspect>,
}

impl FieldDefinition {
    /// A field with no description and no aspects.
    pub fn new(name: impl Into<WireString>, base_type: BaseType) -> Self {
        Self {
            name: name.into(),
            description: WireString::new(),
            base_type,
            aspects: Vec::new(),
        }
    }
}

/// The field definitions of an InfoTable. The DataShape *entity name* is not transmitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataShape {
    /// Fields in column order.
    pub fields: Vec<FieldDefinition>,
}

impl DataShape {
    /// Index of the field with exactly this name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == *name)
    }
}

/// A row: one typed value per cell, positional. The wire does not require the cell count to
/// match the field count, nor a cell's type to match its field's declared type; both are
/// kept as received.
pub type Row = Vec<Value>;

/// An InfoTable: a DataShape and rows. Self-delimiting on the wire (no length prefix).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InfoTable {
    /// Field definitions.
    pub data_shape: DataShape,
    /// Rows of cells.
    pub rows: Vec<Row>,
}

impl InfoTable {
    /// An empty table (no fields, no rows: `00 00` on the wire).
    pub fn new() -> Self {
        Self::default()
    }

    /// A table with these fields and no rows.
    pub fn with_fields(fields: Vec<FieldDefinition>) -> Self {
        Self {
            data_shape: DataShape { fields },
            rows: Vec::new(),
        }
    }

    /// The one-field, one-row table used for property writes and scalar results
    /// (base-types.md §4.1): field `name` declared with the value's base type.
    pub fn single(name: impl Into<WireString>, value: Value) -> Self {
        Self {
            data_shape: DataShape {
                fields: vec![FieldDefinition::new(name, value.base_type())],
            },
            rows: vec![vec![value]],
        }
    }

    /// Appends a row.
    pub fn push_row(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// The cell of field `name` in row `row`.
    pub fn get(&self, row: usize, name: &str) -> Option<&Value> {
        let col = self.data_shape.field_index(name)?;
        self.rows.get(row)?.get(col)
    }

    /// The cell of field `name` in the first row: how property values and scalar service
    /// results are read.
    pub fn first(&self, name: &str) -> Option<&Value> {
        self.get(0, name)
    }
}

// ---------------------------------------------------------------- borrowed

/// An InfoTable borrowed from the input bytes, validated once when it was decoded: its
/// iterators re-read the (valid) bytes and allocate nothing. [`InfoTableRef::to_owned`]
/// converts to an [`InfoTable`].
#[derive(Debug, Clone, Copy)]
pub struct InfoTableRef<'a> {
    pub(crate) span: TableSpan<'a>,
    pub(crate) field_count: usize,
    pub(crate) row_count: usize,
}

/// One DataShape field definition, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct FieldRef<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) description: &'a [u8],
    pub(crate) base_type: BaseType,
    pub(crate) aspect_count: u16,
    /// The aspects' bytes.
    pub(crate) aspects: &'a [u8],
    pub(crate) depth: usize,
}

/// One row, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    pub(crate) cell_count: u16,
    /// The cells' bytes.
    pub(crate) cells: &'a [u8],
    pub(crate) depth: usize,
}

impl<'a> InfoTableRef<'a> {
    /// Decodes and validates one InfoTable (nesting level 1) from the start of `input`,
    /// allocating nothing. Errors are those of [`InfoTable::decode`].
    pub fn decode(input: &'a [u8]) -> Result<DecodedRef<'a, InfoTableRef<'a>>, DecodeError> {
        super::message::decode_ref(input, |c| read(c, 1, &mut View), |c| read(c, 1, &mut View))
    }

    /// The table's bytes on the wire (from the first field marker to the last terminator).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.span.bytes
    }

    /// Number of fields.
    pub fn field_count(&self) -> usize {
        self.field_count
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.row_count
    }

    /// The field definitions, in column order.
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            c: Cursor::new(self.span.bytes),
            left: self.field_count,
            depth: self.span.depth,
        }
    }

    /// The rows, in wire order.
    pub fn rows(&self) -> Rows<'a> {
        Rows {
            c: Cursor::at(self.span.bytes, self.span.rows_at),
            left: self.row_count,
            depth: self.span.depth,
        }
    }

    /// Index of the field with exactly this name.
    pub fn field_index(&self, name: &[u8]) -> Option<usize> {
        self.fields().position(|f| f.name == name)
    }

    /// The cell of field `name` in row `row`.
    pub fn get(&self, row: usize, name: &[u8]) -> Option<ValueRef<'a>> {
        let col = self.field_index(name)?;
        self.rows().nth(row)?.cells().nth(col)
    }

    /// The cell of field `name` in the first row.
    pub fn first(&self, name: &[u8]) -> Option<ValueRef<'a>> {
        self.get(0, name)
    }

    /// The owned [`InfoTable`] (strings and blobs copied; short strings inline).
    pub fn to_owned(&self) -> InfoTable {
        // The bytes were validated when this view was made; the default is unreachable.
        read::<Fail, _>(
            &mut Cursor::new(self.span.bytes),
            self.span.depth,
            &mut Owned::copied(),
        )
        .unwrap_or_default()
    }
}

impl<'a> FieldRef<'a> {
    /// Field name (bytes as received).
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// Description (bytes as received; empty when absent).
    pub fn description(&self) -> &'a [u8] {
        self.description
    }

    /// Declared base type (any byte is accepted here).
    pub fn base_type(&self) -> BaseType {
        self.base_type
    }

    /// Number of aspects.
    pub fn aspect_count(&self) -> usize {
        usize::from(self.aspect_count)
    }

    /// The aspects: name and typed value, in wire order.
    pub fn aspects(&self) -> Aspects<'a> {
        Aspects {
            c: Cursor::new(self.aspects),
            left: self.aspect_count,
            depth: self.depth,
        }
    }

    /// The owned [`FieldDefinition`] (strings copied).
    pub fn to_owned(&self) -> FieldDefinition {
        FieldDefinition {
            name: WireString::copy_from_slice(self.name),
            description: WireString::copy_from_slice(self.description),
            base_type: self.base_type,
            aspects: self
                .aspects()
                .map(|(name, value)| Aspect {
                    name: WireString::copy_from_slice(name),
                    value: value.to_owned(),
                })
                .collect(),
        }
    }
}

impl<'a> RowRef<'a> {
    /// Number of cells (the wire does not require it to match the field count).
    pub fn len(&self) -> usize {
        usize::from(self.cell_count)
    }

    /// Whether the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.cell_count == 0
    }

    /// The cells, in column order.
    pub fn cells(&self) -> Cells<'a> {
        Cells {
            c: Cursor::new(self.cells),
            left: self.cell_count,
            depth: self.depth,
        }
    }

    /// The owned [`Row`].
    pub fn to_owned(&self) -> Row {
        self.cells().map(|v| v.to_owned()).collect()
    }
}

/// Iterator over the fields of an [`InfoTableRef`].
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    c: Cursor<'a>,
    left: usize,
    depth: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = FieldRef<'a>;
    fn next(&mut self) -> Option<FieldRef<'a>> {
        self.left = self.left.checked_sub(1)?;
        read_field::<Fail, _>(&mut self.c, self.depth, &mut View).ok()?
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

/// Iterator over the rows of an [`InfoTableRef`].
#[derive(Debug, Clone)]
pub struct Rows<'a> {
    c: Cursor<'a>,
    left: usize,
    depth: usize,
}

impl<'a> Iterator for Rows<'a> {
    type Item = RowRef<'a>;
    fn next(&mut self) -> Option<RowRef<'a>> {
        self.left = self.left.checked_sub(1)?;
        read_row::<Fail, _>(&mut self.c, self.depth, &mut View).ok()?
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

/// Iterator over the cells of a [`RowRef`].
#[derive(Debug, Clone)]
pub struct Cells<'a> {
    c: Cursor<'a>,
    left: u16,
    depth: usize,
}

impl<'a> Iterator for Cells<'a> {
    type Item = ValueRef<'a>;
    fn next(&mut self) -> Option<ValueRef<'a>> {
        self.left = self.left.checked_sub(1)?;
        value::read::<Fail, _>(&mut self.c, self.depth, &mut View).ok()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::from(self.left)))
    }
}

/// Iterator over the aspects of a [`FieldRef`]: (name, value).
#[derive(Debug, Clone)]
pub struct Aspects<'a> {
    c: Cursor<'a>,
    left: u16,
    depth: usize,
}

impl<'a> Iterator for Aspects<'a> {
    type Item = (&'a [u8], ValueRef<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let name = read_str::<Fail>(&mut self.c, "aspect name").ok()?;
        let value = value::read::<Fail, _>(&mut self.c, self.depth, &mut View).ok()?;
        Some((name, value))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::from(self.left)))
    }
}

// ---------------------------------------------------------------- reader

/// One field definition, or `None` at the `00` that ends the DataShape.
#[inline(always)]
pub(crate) fn read_field<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    depth: usize,
    b: &mut B,
) -> Result<Option<B::Field>, E> {
    if c.u8::<E>("DataShape field marker")? == 0 {
        return Ok(None);
    }
    let name = read_str(c, "field name")?;
    let description = read_str(c, "field description")?;
    let base_type = BaseType::from(c.u8::<E>("field base type")?);
    let aspect_count = c.u16::<E>("aspect count")?;
    let start = c.pos();
    let mut aspects = b.aspects(aspect_count, c.remaining());
    for _ in 0..aspect_count {
        let name = read_str(c, "aspect name")?;
        let value = value::read(c, depth, b)?;
        b.aspect(&mut aspects, name, value);
    }
    let head = FieldRef {
        name,
        description,
        base_type,
        aspect_count,
        aspects: c.since(start),
        depth,
    };
    Ok(Some(b.field(head, aspects)))
}

/// One row, or `None` at the `00` that ends the rows.
#[inline(always)]
pub(crate) fn read_row<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    depth: usize,
    b: &mut B,
) -> Result<Option<B::Row>, E> {
    if c.u8::<E>("row marker")? == 0 {
        return Ok(None);
    }
    let cell_count = c.u16::<E>("row cell count")?;
    let start = c.pos();
    let mut cells = b.cells(cell_count, c.remaining());
    for _ in 0..cell_count {
        let v = value::read(c, depth, b)?;
        b.cell(&mut cells, v);
    }
    let head = RowRef {
        cell_count,
        cells: c.since(start),
        depth,
    };
    Ok(Some(b.row(head, cells)))
}

/// An InfoTable whose own nesting level is `depth` (1 for a table at the top of a body).
pub(crate) fn read<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    depth: usize,
    b: &mut B,
) -> Result<B::Table, E> {
    let start = c.pos();
    let mut fields = b.fields();
    while let Some(f) = read_field(c, depth, b)? {
        b.push_field(&mut fields, f);
    }
    let rows_at = c.pos() - start;
    let mut rows = b.rows();
    while let Some(r) = read_row(c, depth, b)? {
        b.push_row(&mut rows, r);
    }
    let span = TableSpan {
        bytes: c.since(start),
        rows_at,
        depth,
    };
    Ok(b.table(span, fields, rows))
}

// ---------------------------------------------------------------- length and writer

fn check_count(count: usize, what: &'static str) -> Result<(), EncodeError> {
    if count > 0xFFFF {
        Err(EncodeError::TooMany {
            what,
            count,
            max: 0xFFFF,
        })
    } else {
        Ok(())
    }
}

/// Length of a table at nesting level `depth`, performing every check.
pub(crate) fn table_len(t: &InfoTable, depth: usize) -> Result<usize, EncodeError> {
    let mut len = 2usize; // the two 00 terminators
    for f in &t.data_shape.fields {
        check_count(f.aspects.len(), "DataShape aspects")?;
        len = add_len(len, 4)?; // marker, base type, aspect count
        len = add_len(len, str_len(&f.name, "field name")?)?;
        len = add_len(len, str_len(&f.description, "field description")?)?;
        for a in &f.aspects {
            len = add_len(len, str_len(&a.name, "aspect name")?)?;
            len = add_len(len, value_len(&a.value, depth)?)?;
        }
    }
    for row in &t.rows {
        check_count(row.len(), "row cells")?;
        len = add_len(len, 3)?; // marker + cell count
        for v in row {
            len = add_len(len, value_len(v, depth)?)?;
        }
    }
    Ok(len)
}

/// Writes a table checked by [`table_len`].
pub(crate) fn put_table<B: BufMut>(buf: &mut B, t: &InfoTable) {
    for f in &t.data_shape.fields {
        buf.put_u8(0x01);
        put_str(buf, &f.name);
        put_str(buf, &f.description);
        buf.put_u8(f.base_type.as_u8());
        buf.put_u16(f.aspects.len() as u16);
        for a in &f.aspects {
            put_str(buf, &a.name);
            put_value(buf, &a.value);
        }
    }
    buf.put_u8(0x00);
    for row in &t.rows {
        buf.put_u8(0x01);
        buf.put_u16(row.len() as u16);
        for v in row {
            put_value(buf, v);
        }
    }
    buf.put_u8(0x00);
}

// ---------------------------------------------------------------- owned entry points

impl InfoTable {
    /// Decodes one InfoTable from the start of `input` (nesting level 1).
    pub fn decode(input: Bytes) -> Result<super::Decoded<InfoTable>, DecodeError> {
        super::message::decode_owned(
            &input,
            |c, b| read::<Fail, _>(c, 1, b),
            |c, b| read::<DecodeError, _>(c, 1, b),
            |v, _| v,
        )
    }

    /// Exact encoded length (the table at nesting level 1).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        table_len(self, 1)
    }

    /// Appends the InfoTable to `buf`. Nothing is written on error.
    pub fn encode_into(&self, buf: &mut bytes::BytesMut) -> Result<(), EncodeError> {
        let len = self.encoded_len()?;
        super::message::encode_with(buf, len, |buf| put_table(buf, self))
    }

    /// Encodes the InfoTable into a buffer of exactly the right size.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        let len = self.encoded_len()?;
        let mut buf = Vec::with_capacity(len);
        put_table(&mut buf, self);
        Ok(Bytes::from(buf))
    }
}
