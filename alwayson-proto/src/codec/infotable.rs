//! InfoTable and DataShape (base-types.md §3): the owned [`InfoTable`], the borrowed
//! [`InfoTableRef`] with its [`FieldRef`]s and [`RowRef`]s, their length, writer and
//! reader.
//!
//! On the wire: per field `01`, name, description, base type byte, `u16` aspect count and
//! the aspects (name + typed value); `00`; per row `01`, `u16` cell count and the typed
//! cells; `00`. No length prefix: a table ends where its last terminator is.

use super::build::{Build, Owned, TableSpan, View};
use super::cursor::{range_in, Cursor, Fail, GrammarError};
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

/// An InfoTable: a DataShape and rows. Self-delimiting on the wire (no length prefix).
///
/// The rows are kept in one cell vector (row after row) with an index of where each row
/// ends, so a decoded table costs one allocation for all its cells, not one per row. Read
/// them with [`InfoTable::rows`], [`InfoTable::row`] or [`InfoTable::get`]; add them with
/// [`InfoTable::push_row`]. A row is positional: the wire does not require its cell count
/// to match the field count, nor a cell's type to match its field's declared type; both
/// are kept as received.
#[derive(Clone, Default)]
pub struct InfoTable {
    /// Field definitions.
    pub data_shape: DataShape,
    /// Every row's cells, row after row.
    cells: Vec<Value>,
    /// Where each row ends in `cells`.
    index: RowIndex,
}

/// Where the rows of an [`InfoTable`] end in its cell vector.
#[derive(Debug, Clone)]
enum RowIndex {
    /// `count` rows of `width` cells each (the usual case: no per-row index at all).
    Uniform { width: usize, count: usize },
    /// Row `i` ends at `ends[i]` (rows of different lengths).
    Ragged(Vec<usize>),
}

impl Default for RowIndex {
    fn default() -> Self {
        RowIndex::Uniform { width: 0, count: 0 }
    }
}

impl RowIndex {
    fn count(&self) -> usize {
        match self {
            RowIndex::Uniform { count, .. } => *count,
            RowIndex::Ragged(ends) => ends.len(),
        }
    }

    /// The cell range of row `i` (which must exist).
    #[inline]
    fn bounds(&self, i: usize) -> (usize, usize) {
        match self {
            RowIndex::Uniform { width, .. } => (i * width, (i + 1) * width),
            RowIndex::Ragged(ends) => (
                i.checked_sub(1)
                    .and_then(|p| ends.get(p))
                    .copied()
                    .unwrap_or(0),
                ends.get(i).copied().unwrap_or(0),
            ),
        }
    }

    /// Records one more row of `len` cells, ending at `end`.
    #[inline(always)]
    fn push(&mut self, len: usize, end: usize) {
        match self {
            RowIndex::Uniform { width, count } if *width == len || *count == 0 => {
                *width = len;
                *count += 1;
            }
            RowIndex::Uniform { width, count } => {
                let mut ends: Vec<usize> = (1..=*count).map(|i| i * *width).collect();
                ends.push(end);
                *self = RowIndex::Ragged(ends);
            }
            RowIndex::Ragged(ends) => ends.push(end),
        }
    }
}

/// Cells of one row, appended to a table's cell vector (what the decoder fills).
#[derive(Debug, Default)]
pub(crate) struct RowsBuilder {
    cells: Vec<Value>,
    index: RowIndex,
    /// Where the row being read starts in `cells`.
    row_start: usize,
    /// Whether cells were reserved ahead on a guess (to give back any surplus).
    guessed: bool,
}

impl RowsBuilder {
    /// Reserves room for `cells` more cells (a guess, given back at the end if too much).
    #[inline]
    pub(crate) fn reserve(&mut self, cells: usize) {
        if cells > 0 {
            self.cells.reserve(cells);
            self.guessed = true;
        }
    }

    #[inline(always)]
    pub(crate) fn cell(&mut self, v: Value) {
        self.cells.push(v);
    }

    #[inline(always)]
    pub(crate) fn end_row(&mut self) {
        let end = self.cells.len();
        self.index.push(end - self.row_start, end);
        self.row_start = end;
    }

    /// Number of rows so far.
    pub(crate) fn row_count(&self) -> usize {
        self.index.count()
    }

    pub(crate) fn finish(mut self, data_shape: DataShape) -> InfoTable {
        // Give back what the guess in `Owned::end_row` reserved beyond the table, so a
        // decoded table never holds more than its cells (shrinking in place, no copy).
        if self.guessed {
            self.cells.shrink_to_fit();
        }
        InfoTable {
            data_shape,
            cells: self.cells,
            index: self.index,
        }
    }
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
            ..Self::default()
        }
    }

    /// A table with this DataShape and these rows.
    pub fn from_rows<R>(data_shape: DataShape, rows: impl IntoIterator<Item = R>) -> Self
    where
        R: IntoIterator<Item = Value>,
    {
        let mut t = Self {
            data_shape,
            ..Self::default()
        };
        for row in rows {
            t.push_row(row);
        }
        t
    }

    /// The one-field, one-row table used for property writes and scalar results
    /// (base-types.md §4.1): field `name` declared with the value's base type.
    pub fn single(name: impl Into<WireString>, value: Value) -> Self {
        Self {
            data_shape: DataShape {
                fields: vec![FieldDefinition::new(name, value.base_type())],
            },
            cells: vec![value],
            index: RowIndex::Uniform { width: 1, count: 1 },
        }
    }

    /// Appends a row (any number of cells).
    pub fn push_row(&mut self, row: impl IntoIterator<Item = Value>) {
        let start = self.cells.len();
        self.cells.extend(row);
        let end = self.cells.len();
        self.index.push(end - start, end);
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.index.count()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.row_count() == 0
    }

    /// The cells of row `i`.
    pub fn row(&self, i: usize) -> Option<&[Value]> {
        if i >= self.row_count() {
            return None;
        }
        let (s, e) = self.index.bounds(i);
        self.cells.get(s..e)
    }

    /// The cells of row `i`, mutable (the row keeps its length).
    pub fn row_mut(&mut self, i: usize) -> Option<&mut [Value]> {
        if i >= self.row_count() {
            return None;
        }
        let (s, e) = self.index.bounds(i);
        self.cells.get_mut(s..e)
    }

    /// The rows, in order, each a slice of cells.
    pub fn rows(&self) -> TableRows<'_> {
        TableRows {
            rest: &self.cells,
            widths: Widths::of(&self.index),
            left: self.index.count(),
        }
    }

    /// The rows, in order, each a mutable slice of cells.
    pub fn rows_mut(&mut self) -> TableRowsMut<'_> {
        TableRowsMut {
            rest: &mut self.cells,
            widths: Widths::of(&self.index),
            left: self.index.count(),
        }
    }

    /// The rows copied out, one `Vec` per row (for comparisons and conversions).
    pub fn to_rows(&self) -> Vec<Vec<Value>> {
        self.rows().map(<[Value]>::to_vec).collect()
    }

    /// The cells, row after row, and the common row length if every row has it.
    #[inline]
    pub(crate) fn cells_and_width(&self) -> (&[Value], Option<usize>) {
        match self.index {
            RowIndex::Uniform { width, .. } => (&self.cells, Some(width)),
            RowIndex::Ragged(_) => (&self.cells, None),
        }
    }

    /// Removes every row, keeping the DataShape.
    pub fn clear_rows(&mut self) {
        self.cells.clear();
        self.index = RowIndex::default();
    }

    /// The cell of field `name` in row `row`.
    pub fn get(&self, row: usize, name: &str) -> Option<&Value> {
        let col = self.data_shape.field_index(name)?;
        self.row(row)?.get(col)
    }

    /// The cell of field `name` in the first row: how property values and scalar service
    /// results are read.
    pub fn first(&self, name: &str) -> Option<&Value> {
        self.get(0, name)
    }
}

/// Equal when the DataShapes and the rows are (however the rows were added).
impl PartialEq for InfoTable {
    fn eq(&self, other: &Self) -> bool {
        self.data_shape == other.data_shape
            && self.row_count() == other.row_count()
            && self.rows().eq(other.rows())
    }
}

impl std::fmt::Debug for InfoTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfoTable")
            .field("data_shape", &self.data_shape)
            .field("rows", &DebugRows(self))
            .finish()
    }
}

struct DebugRows<'t>(&'t InfoTable);

impl std::fmt::Debug for DebugRows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.rows()).finish()
    }
}

/// The lengths of the rows an iterator has not yet visited.
#[derive(Debug, Clone)]
enum Widths<'t> {
    Uniform(usize),
    Ragged {
        prev: usize,
        ends: std::slice::Iter<'t, usize>,
    },
}

impl Widths<'_> {
    fn of(index: &RowIndex) -> Widths<'_> {
        match index {
            RowIndex::Uniform { width, .. } => Widths::Uniform(*width),
            RowIndex::Ragged(ends) => Widths::Ragged {
                prev: 0,
                ends: ends.iter(),
            },
        }
    }

    /// The length of the next row.
    #[inline]
    fn next(&mut self) -> Option<usize> {
        match self {
            Widths::Uniform(w) => Some(*w),
            Widths::Ragged { prev, ends } => {
                let end = *ends.next()?;
                let len = end.checked_sub(*prev)?;
                *prev = end;
                Some(len)
            }
        }
    }
}

/// Iterator over the rows of an [`InfoTable`]: one `&[Value]` per row.
#[derive(Debug, Clone)]
pub struct TableRows<'t> {
    /// The cells of the rows not yet visited.
    rest: &'t [Value],
    widths: Widths<'t>,
    left: usize,
}

impl<'t> Iterator for TableRows<'t> {
    type Item = &'t [Value];
    #[inline]
    fn next(&mut self) -> Option<&'t [Value]> {
        self.left = self.left.checked_sub(1)?;
        let (row, rest) = self.rest.split_at_checked(self.widths.next()?)?;
        self.rest = rest;
        Some(row)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for TableRows<'_> {}

/// Iterator over the rows of an [`InfoTable`]: one `&mut [Value]` per row.
#[derive(Debug)]
pub struct TableRowsMut<'t> {
    /// The cells of the rows not yet visited.
    rest: &'t mut [Value],
    widths: Widths<'t>,
    left: usize,
}

impl<'t> Iterator for TableRowsMut<'t> {
    type Item = &'t mut [Value];
    fn next(&mut self) -> Option<&'t mut [Value]> {
        self.left = self.left.checked_sub(1)?;
        let len = self.widths.next()?;
        let (row, rest) = std::mem::take(&mut self.rest).split_at_mut_checked(len)?;
        self.rest = rest;
        Some(row)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for TableRowsMut<'_> {}

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
        let mut rows = self.rows();
        for _ in 0..row {
            rows.next()?;
        }
        // The row's cells up to `col` only, each read once.
        rows.next_cells()?.nth(col)
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

/// An [`InfoTableRef`] as offsets into the bytes it was read from (see
/// [`RequestAt`](super::request::RequestAt)).
#[derive(Debug, Clone)]
pub(crate) struct TableAt {
    bytes: std::ops::Range<usize>,
    rows_at: usize,
    depth: usize,
    field_count: usize,
    row_count: usize,
}

impl TableAt {
    /// Where `t`, read from `base`, lies in it.
    pub(crate) fn of(base: &[u8], t: &InfoTableRef<'_>) -> Self {
        Self {
            bytes: range_in(base, t.span.bytes),
            rows_at: t.span.rows_at,
            depth: t.span.depth,
            field_count: t.field_count,
            row_count: t.row_count,
        }
    }

    /// The view again, over the same `base` (not read again).
    pub(crate) fn view<'a>(&self, base: &'a [u8]) -> InfoTableRef<'a> {
        InfoTableRef {
            span: TableSpan {
                bytes: base.get(self.bytes.clone()).unwrap_or_default(),
                rows_at: self.rows_at,
                depth: self.depth,
            },
            field_count: self.field_count,
            row_count: self.row_count,
        }
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

    /// The owned cells.
    pub fn to_owned(&self) -> Vec<Value> {
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

/// Iterator over the rows of an [`InfoTableRef`] (the default iterates over none).
#[derive(Debug, Clone, Default)]
pub struct Rows<'a> {
    c: Cursor<'a>,
    left: usize,
    depth: usize,
}

impl<'a> Rows<'a> {
    /// The next row's cells, read from here on (the row itself is not read first); ends
    /// this iterator.
    fn next_cells(mut self) -> Option<Cells<'a>> {
        self.left.checked_sub(1)?;
        if self.c.u8::<Fail>("row marker").ok()? == 0 {
            return None;
        }
        let left = self.c.u16::<Fail>("row cell count").ok()?;
        Some(Cells {
            c: self.c,
            left,
            depth: self.depth,
        })
    }

    /// Reads the next row once, handing each cell to `visit` with its column; `None` after
    /// the last row.
    #[inline]
    pub(crate) fn next_with(&mut self, mut visit: impl FnMut(usize, ValueRef<'a>)) -> Option<()> {
        self.left = self.left.checked_sub(1)?;
        if self.c.u8::<Fail>("row marker").ok()? == 0 {
            self.left = 0;
            return None;
        }
        let count = self.c.u16::<Fail>("row cell count").ok()?;
        for i in 0..usize::from(count) {
            visit(
                i,
                value::read::<Fail, _>(&mut self.c, self.depth, &mut View).ok()?,
            );
        }
        Some(())
    }
}

impl<'a> Iterator for Rows<'a> {
    type Item = RowRef<'a>;
    fn next(&mut self) -> Option<RowRef<'a>> {
        self.left = self.left.checked_sub(1)?;
        read_row::<Fail, _>(&mut self.c, self.depth, &mut View, &mut 0).ok()?
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

/// One row, its cells handed to `rows`, or `None` at the `00` that ends the rows.
#[inline(always)]
pub(crate) fn read_row<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    depth: usize,
    b: &mut B,
    rows: &mut B::Rows,
) -> Result<Option<RowRef<'a>>, E> {
    if c.u8::<E>("row marker")? == 0 {
        return Ok(None);
    }
    let cell_count = c.u16::<E>("row cell count")?;
    let start = c.pos();
    for _ in 0..cell_count {
        let v = value::read(c, depth, b)?;
        b.cell(rows, v);
    }
    let head = RowRef {
        cell_count,
        cells: c.since(start),
        depth,
    };
    b.end_row(rows, head, c.remaining());
    Ok(Some(head))
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
    while read_row(c, depth, b, &mut rows)?.is_some() {}
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

/// Runs `$body` on each row of table `$t` (as `$row: &[Value]`); rows of a common
/// non-zero length are walked as fixed-size chunks of the cell vector (the encoder's hot
/// loops), any other table through [`InfoTable::rows`].
macro_rules! for_each_row {
    ($t:expr, |$row:ident| $body:block) => {
        match $t.cells_and_width() {
            (cells, Some(w)) if w > 0 => {
                for $row in cells.chunks_exact(w) $body
            }
            _ => {
                for $row in $t.rows() $body
            }
        }
    };
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
    for_each_row!(t, |row| {
        check_count(row.len(), "row cells")?;
        len = add_len(len, 3)?; // marker + cell count
        for v in row {
            len = add_len(len, value_len(v, depth)?)?;
        }
    });
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
    for_each_row!(t, |row| {
        buf.put_u8(0x01);
        buf.put_u16(row.len() as u16);
        for v in row {
            put_value(buf, v);
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(xs: &[i32]) -> Vec<Value> {
        xs.iter().copied().map(Value::Integer).collect()
    }

    #[test]
    fn rows_of_any_length_keep_their_cells_in_order() {
        let mut t = InfoTable::with_fields(vec![FieldDefinition::new("a", BaseType::Integer)]);
        assert!(t.is_empty());
        t.push_row(ints(&[1, 2]));
        t.push_row(ints(&[3, 4]));
        // A shorter, an empty and a longer row switch to a per-row index.
        t.push_row(ints(&[5]));
        t.push_row(ints(&[]));
        t.push_row(ints(&[6, 7, 8]));
        assert_eq!(t.row_count(), 5);
        let expected = vec![
            ints(&[1, 2]),
            ints(&[3, 4]),
            ints(&[5]),
            ints(&[]),
            ints(&[6, 7, 8]),
        ];
        assert_eq!(t.to_rows(), expected);
        assert_eq!(t.row(2), Some(&ints(&[5])[..]));
        assert_eq!(t.row(5), None);
        assert_eq!(t.rows().last(), Some(&ints(&[6, 7, 8])[..]));
        assert_eq!(t.rows().len(), 5);
        assert_eq!(t.get(4, "a"), Some(&Value::Integer(6)));
        assert_eq!(t.get(3, "a"), None);
        for row in t.rows_mut() {
            for v in row {
                if let Value::Integer(x) = v {
                    *x *= 10;
                }
            }
        }
        assert_eq!(t.row(4), Some(&ints(&[60, 70, 80])[..]));
        if let Some(cell) = t.row_mut(0).and_then(|r| r.first_mut()) {
            *cell = Value::Nothing;
        }
        assert_eq!(t.first("a"), Some(&Value::Nothing));
        t.clear_rows();
        assert!(t.is_empty());
        assert_eq!(t.row(0), None);
    }

    #[test]
    fn equality_does_not_depend_on_how_rows_were_added() {
        let shape = DataShape {
            fields: vec![FieldDefinition::new("a", BaseType::Integer)],
        };
        let a = InfoTable::from_rows(shape.clone(), [ints(&[1]), ints(&[2])]);
        let mut b = InfoTable::from_rows(shape.clone(), [ints(&[1, 9])]);
        assert_ne!(a, b);
        b.clear_rows();
        b.push_row(ints(&[1]));
        b.push_row(ints(&[2]));
        assert_eq!(a, b);
        // Empty tables are equal whatever width their rows had.
        let mut c = InfoTable::from_rows(shape.clone(), [ints(&[1, 2, 3])]);
        c.clear_rows();
        assert_eq!(c, InfoTable::from_rows(shape, Vec::<Vec<Value>>::new()));
        // Two empty rows are not one.
        let one = InfoTable::from_rows(DataShape::default(), [ints(&[])]);
        let two = InfoTable::from_rows(DataShape::default(), [ints(&[]), ints(&[])]);
        assert_ne!(one, two);
        assert_eq!(two.to_rows(), vec![ints(&[]), ints(&[])]);
    }

    #[test]
    fn decoded_rows_match_the_encoded_ones() {
        let mut t = InfoTable::with_fields(vec![FieldDefinition::new("a", BaseType::Integer)]);
        for row in [ints(&[1]), ints(&[2, 3]), ints(&[]), ints(&[4])] {
            t.push_row(row);
        }
        let d = InfoTable::decode(t.encode().expect("encodes")).expect("decodes");
        assert_eq!(d.value.to_rows(), t.to_rows());
        assert_eq!(d.value, t);
    }
}
