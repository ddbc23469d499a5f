//! The table conventions both sides agree on (base-types.md §4): property reads and writes,
//! service calls, events and `UpdateSubscribedPropertyValues` pushes.

use crate::codec::{
    BaseType, Characteristic, FieldDefinition, InfoTable, Method, Request, Value, WireString,
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
        let mut out = Vec::with_capacity(values.rows.len());
        for row in 0..values.rows.len() {
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
                value: value.unwrap_variant().clone(),
                time,
                quality,
            });
        }
        Some(out)
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
