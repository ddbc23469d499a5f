//! The table conventions both sides agree on (base-types.md §4): property reads and writes,
//! service calls, events and `UpdateSubscribedPropertyValues` pushes.

use crate::codec::{
    BaseType, Characteristic, FieldDefinition, InfoTable, InfoTableRef, Method, Request,
    RequestRef, Rows, Value, ValueRef, WireString,
};

/// Service name of the property push (base-types.md §4.5).
pub const UPDATE_SUBSCRIBED_PROPERTY_VALUES: &str = "UpdateSubscribedPropertyValues";
/// Conventional field name of a scalar service result.
pub const RESULT_FIELD: &str = "result";
/// Quality string the SDK sends with pushed values.
pub const QUALITY_GOOD: &str = "GOOD";

/// One pushed property value: a row of the nested `values` table.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyUpdate {
    /// Property name.
    pub name: WireString,
    /// The value (sent wrapped in VARIANT).
    pub value: Value,
    /// Timestamp, ms since the Unix epoch.
    pub time: i64,
    /// Quality, usually `GOOD`.
    pub quality: WireString,
}

impl PropertyUpdate {
    /// An update with quality `GOOD`.
    pub fn new(name: impl Into<WireString>, value: Value, time: i64) -> Self {
        Self {
            name: name.into(),
            value,
            time,
            quality: WireString::from_static(QUALITY_GOOD),
        }
    }
}

impl Request {
    /// GET of a property (no params).
    pub fn read_property(thing: impl Into<WireString>, property: impl Into<WireString>) -> Self {
        Request::new(
            Method::Get,
            thing,
            Characteristic::Properties,
            property,
            None,
        )
    }

    /// PUT of a property: a one-row table whose single field is named like the property.
    pub fn write_property(
        thing: impl Into<WireString>,
        property: impl Into<WireString>,
        value: Value,
    ) -> Self {
        let property = property.into();
        let params = InfoTable::single(property.clone(), value);
        Request::new(
            Method::Put,
            thing,
            Characteristic::Properties,
            property,
            Some(params),
        )
    }

    /// POST of a service with optional parameters (one row, one field per input).
    pub fn invoke_service(
        thing: impl Into<WireString>,
        service: impl Into<WireString>,
        params: Option<InfoTable>,
    ) -> Self {
        Request::new(
            Method::Post,
            thing,
            Characteristic::Services,
            service,
            params,
        )
    }

    /// POST of an event with its data (one row shaped like the event's data shape).
    pub fn fire_event(
        thing: impl Into<WireString>,
        event: impl Into<WireString>,
        data: InfoTable,
    ) -> Self {
        Request::new(
            Method::Post,
            thing,
            Characteristic::Events,
            event,
            Some(data),
        )
    }

    /// POST `UpdateSubscribedPropertyValues` with one nested row per update.
    pub fn push_properties(thing: impl Into<WireString>, updates: &[PropertyUpdate]) -> Self {
        Request::invoke_service(
            thing,
            WireString::from_static(UPDATE_SUBSCRIBED_PROPERTY_VALUES),
            Some(property_updates_table(updates)),
        )
    }

    /// The updates carried by an `UpdateSubscribedPropertyValues` request, if this is one
    /// and its params have the expected shape. Rows that are not (STRING name, value,
    /// DATETIME time, STRING quality) are skipped.
    pub fn property_updates(&self) -> Option<Vec<PropertyUpdate>> {
        if self.characteristic != Characteristic::Services
            || self.characteristic_name != *UPDATE_SUBSCRIBED_PROPERTY_VALUES
        {
            return None;
        }
        let params = self.params.as_ref()?;
        let Value::InfoTable(values) = params.first("values")? else {
            return None;
        };
        let mut out = Vec::with_capacity(values.row_count());
        for row in 0..values.row_count() {
            let (Some(Value::String(_, name)), Some(value)) =
                (values.get(row, "name"), values.get(row, "value"))
            else {
                continue;
            };
            let time = match values.get(row, "time") {
                Some(Value::DateTime(t)) => *t,
                _ => 0,
            };
            let quality = match values.get(row, "quality") {
                Some(Value::String(_, q)) => q.clone(),
                _ => WireString::from_static(QUALITY_GOOD),
            };
            out.push(PropertyUpdate {
                name: name.clone(),
                value: value.unwrap_variant().into_owned(),
                time,
                quality,
            });
        }
        Some(out)
    }
}

/// One pushed property value, borrowed from the received bytes: an item of
/// [`RequestRef::property_updates`]. Nothing is allocated; `name` and `quality` are the
/// bytes as received (not validated as UTF-8).
#[derive(Debug, Clone, Copy)]
pub struct PropertyUpdateRef<'a> {
    /// Property name.
    pub name: &'a [u8],
    /// The value, VARIANT wrappers removed.
    pub value: ValueRef<'a>,
    /// Timestamp, ms since the Unix epoch (0 when the row has no DATETIME `time`).
    pub time: i64,
    /// Quality (`GOOD` when the row has no STRING `quality`).
    pub quality: &'a [u8],
}

impl PropertyUpdateRef<'_> {
    /// The owned [`PropertyUpdate`] (strings copied; short ones inline).
    pub fn to_owned(&self) -> PropertyUpdate {
        PropertyUpdate {
            name: WireString::copy_from_slice(self.name),
            value: self.value.to_owned(),
            time: self.time,
            quality: WireString::copy_from_slice(self.quality),
        }
    }
}

/// Whether a request body with this characteristic and name is an
/// `UpdateSubscribedPropertyValues` push (its params not looked at).
pub(crate) fn is_push_target(characteristic: Characteristic, name: &[u8]) -> bool {
    characteristic == Characteristic::Services
        && name == UPDATE_SUBSCRIBED_PROPERTY_VALUES.as_bytes()
}

impl<'a> RequestRef<'a> {
    /// The updates carried by an `UpdateSubscribedPropertyValues` request, borrowed: for a
    /// platform ingesting pushes without keeping the message. Same reading as
    /// [`Request::property_updates`] (rows without a STRING `name` or without a `value` are
    /// skipped; a missing DATETIME `time` reads as 0 and a missing STRING `quality` as
    /// `GOOD`), but nothing is allocated: the iterator walks the rows of the validated
    /// bytes.
    ///
    /// ```
    /// use alwayson_proto::{MessageRef, BodyRef, PropertyUpdate, Request, Message, Header, Body, Value};
    /// let push = Request::push_properties("Pump1", &[PropertyUpdate::new("temp", Value::Number(21.5), 7)]);
    /// let bytes = Message { header: Header::new(1, 2), body: Body::Request(push) }.encode()?;
    /// let m = MessageRef::decode(&bytes)?.value;
    /// let BodyRef::Request(r) = m.body else { panic!("a request") };
    /// for u in r.property_updates().into_iter().flatten() {
    ///     assert_eq!(u.name, b"temp");
    ///     assert_eq!(u.value.to_owned(), Value::Number(21.5));
    ///     assert_eq!((u.time, u.quality), (7, &b"GOOD"[..]));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn property_updates(&self) -> Option<PropertyUpdates<'a>> {
        self.push_values().map(PropertyUpdates::of)
    }

    /// The nested `values` table of an `UpdateSubscribedPropertyValues` request.
    pub(crate) fn push_values(&self) -> Option<InfoTableRef<'a>> {
        if !is_push_target(self.characteristic, self.characteristic_name) {
            return None;
        }
        match self.params?.first(b"values")? {
            ValueRef::InfoTable(values) => Some(values),
            _ => None,
        }
    }
}

impl<'a> PropertyUpdates<'a> {
    /// The updates in `values`, the nested table of a push.
    pub(crate) fn of(values: InfoTableRef<'a>) -> Self {
        let mut columns = [None; 4];
        for (i, f) in values.fields().enumerate() {
            let slot = match f.name() {
                b"name" => 0,
                b"value" => 1,
                b"time" => 2,
                b"quality" => 3,
                _ => continue,
            };
            // The first field with a name wins, as in `DataShape::field_index`.
            columns[slot] = columns[slot].or(Some(i));
        }
        PropertyUpdates {
            rows: values.rows(),
            columns,
        }
    }
}

/// Iterator over the updates of an `UpdateSubscribedPropertyValues` request
/// ([`RequestRef::property_updates`]); the default iterates over none.
#[derive(Debug, Clone, Default)]
pub struct PropertyUpdates<'a> {
    pub(crate) rows: Rows<'a>,
    /// Column of `name`, `value`, `time`, `quality`.
    pub(crate) columns: [Option<usize>; 4],
}

impl<'a> Iterator for PropertyUpdates<'a> {
    type Item = PropertyUpdateRef<'a>;

    fn next(&mut self) -> Option<PropertyUpdateRef<'a>> {
        let col = |c: Option<usize>| c.unwrap_or(usize::MAX);
        let [name_at, value_at, time_at, quality_at] = self.columns.map(col);
        loop {
            let (mut name, mut value, mut time, mut quality) = (None, None, 0, None);
            // Each row read once, the wanted cells picked as they go by (the columns are
            // distinct: one field per name).
            self.rows.next_with(|i, cell| {
                if i == name_at {
                    if let ValueRef::String(_, s) = cell {
                        name = Some(s);
                    }
                } else if i == value_at {
                    value = Some(cell);
                } else if i == time_at {
                    if let ValueRef::DateTime(t) = cell {
                        time = t;
                    }
                } else if i == quality_at {
                    if let ValueRef::String(_, q) = cell {
                        quality = Some(q);
                    }
                }
            })?;
            let (Some(name), Some(value)) = (name, value) else {
                continue;
            };
            return Some(PropertyUpdateRef {
                name,
                value: value.unwrap_variant(),
                time,
                quality: quality.unwrap_or(QUALITY_GOOD.as_bytes()),
            });
        }
    }
}

/// The params of `UpdateSubscribedPropertyValues`: field `values` (INFOTABLE) holding a
/// table (name STRING, value VARIANT, time DATETIME, quality STRING).
pub fn property_updates_table(updates: &[PropertyUpdate]) -> InfoTable {
    let mut nested = InfoTable::with_fields(vec![
        FieldDefinition::new("name", BaseType::String),
        FieldDefinition::new("value", BaseType::Variant),
        FieldDefinition::new("time", BaseType::DateTime),
        FieldDefinition::new("quality", BaseType::String),
    ]);
    for u in updates {
        nested.push_row(vec![
            Value::String(BaseType::String, u.name.clone()),
            Value::variant(u.value.clone()),
            Value::DateTime(u.time),
            Value::String(BaseType::String, u.quality.clone()),
        ]);
    }
    let mut outer =
        InfoTable::with_fields(vec![FieldDefinition::new("values", BaseType::InfoTable)]);
    outer.push_row(vec![Value::InfoTable(Box::new(nested))]);
    outer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{BodyRef, Header, Message, MessageRef};
    use crate::Body;

    fn request_ref_bytes(r: Request) -> bytes::Bytes {
        Message {
            header: Header::new(1, 2),
            body: Body::Request(r),
        }
        .encode()
        .expect("encodes")
    }

    #[test]
    fn borrowed_updates_read_like_the_owned_ones() {
        let updates = [
            PropertyUpdate::new("a", Value::Number(1.5), 10),
            PropertyUpdate::new("b", Value::variant(Value::string("nested")), 11),
            PropertyUpdate {
                quality: WireString::from("BAD"),
                ..PropertyUpdate::new("c", Value::Boolean(true), 12)
            },
        ];
        let mut push = Request::push_properties("T", &updates);
        // Add a row without a name (skipped) and one with odd time/quality (defaults).
        if let Some(Value::InfoTable(values)) = push
            .params
            .as_mut()
            .and_then(|p| p.row_mut(0))
            .and_then(|r| r.get_mut(0))
        {
            values.push_row(vec![Value::Integer(1), Value::Integer(2)]);
            values.push_row(vec![
                Value::string("d"),
                Value::Integer(3),
                Value::Nothing,
                Value::Integer(4),
            ]);
        }
        let owned = push.property_updates().expect("a push");
        assert_eq!(owned.len(), 4);
        let bytes = request_ref_bytes(push);
        let m = MessageRef::decode(&bytes).expect("decodes").value;
        let BodyRef::Request(r) = m.body else {
            panic!("a request")
        };
        let borrowed: Vec<PropertyUpdate> = r
            .property_updates()
            .expect("a push")
            .map(|u| u.to_owned())
            .collect();
        assert_eq!(borrowed, owned);
        assert_eq!(borrowed[3].time, 0);
        assert_eq!(borrowed[3].quality, QUALITY_GOOD);
    }

    #[test]
    fn other_requests_are_not_pushes() {
        let bytes = request_ref_bytes(Request::read_property("T", "p"));
        let m = MessageRef::decode(&bytes).expect("decodes").value;
        let BodyRef::Request(r) = m.body else {
            panic!("a request")
        };
        assert!(r.property_updates().is_none());
    }
}
