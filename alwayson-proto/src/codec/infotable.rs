//! InfoTable and DataShape (base-types.md §3).

use super::{BaseType, Value, WireString};

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
