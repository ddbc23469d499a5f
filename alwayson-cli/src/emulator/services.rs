//! Platform-side services: answered by the emulator from its [`ThingModel`], never sent to
//! the edge (REST `POST …/Services/{name}`, and edges calling them on their own things).
//!
//! | service | params | result |
//! |---|---|---|
//! | `GetPropertyValues` | none | one row, one field per property with a stored value (declared types) |
//! | `GetPropertyValuesVTQ` | none | one row per property: `name` STRING, `value` VARIANT, `time` DATETIME, `quality` STRING |
//! | `QueryPropertyHistory` | `propertyName` (optional), `maxItems` (default 500), `startDate`, `endDate` (ms or ISO 8601), `oldestFirst` (default false) | one row per history entry: `timestamp` DATETIME plus one field per property (only the entry's property has a cell) |
//! | `SetPropertyValues` | `values`: InfoTable JSON with one row (or a plain object), one field per property | writes each property on the edge (REST only), empty result |
//! | `GetPropertySubscriptions` | none | the push rules: `edgeName`, `pushType`, `pushThreshold` |
//! | `GetEventSubscriptions` | none | one row per known event: `edgeName` |

use super::model::ThingModel;
use super::subscriptions::{event_subscriptions_table, property_subscriptions_table};
use alwayson_proto::{BaseType, DataShape, FieldDefinition, InfoTable, Value};
use alwayson_rest::{json, RestError};
use serde_json::{Map, Value as Json};

/// The services the platform answers itself.
pub const PLATFORM_SERVICES: &[&str] = &[
    "GetPropertyValues",
    "GetPropertyValuesVTQ",
    "QueryPropertyHistory",
    "SetPropertyValues",
    "GetPropertySubscriptions",
    "GetEventSubscriptions",
];

/// Whether `service` is answered by the platform itself.
pub fn is_platform_service(service: &str) -> bool {
    PLATFORM_SERVICES.contains(&service)
}

/// `GetPropertyValues`: one row with every stored value.
pub fn property_values(model: &ThingModel, thing: &str) -> InfoTable {
    let values = model.values(thing);
    let fields = values
        .iter()
        .map(|(n, v)| FieldDefinition::new(n.as_str(), declared_or_own(model, thing, n, &v.value)))
        .collect();
    InfoTable::from_rows(
        DataShape { fields },
        [values.into_iter().map(|(_, v)| v.value)],
    )
}

fn declared_or_own(model: &ThingModel, thing: &str, property: &str, v: &Value) -> BaseType {
    model
        .metadata(thing)
        .and_then(|m| m.property_type(property))
        .unwrap_or_else(|| v.base_type())
}

fn vtq_shape() -> InfoTable {
    InfoTable::with_fields(vec![
        FieldDefinition::new("name", BaseType::String),
        FieldDefinition::new("value", BaseType::Variant),
        FieldDefinition::new("time", BaseType::DateTime),
        FieldDefinition::new("quality", BaseType::String),
    ])
}

/// `GetPropertyValuesVTQ`: one row per property.
pub fn property_values_vtq(model: &ThingModel, thing: &str) -> InfoTable {
    let mut t = vtq_shape();
    for (n, v) in model.values(thing) {
        t.push_row(vec![
            Value::string(n.as_str()),
            Value::variant(v.value),
            Value::DateTime(v.time_ms),
            Value::string(v.quality.as_str()),
        ]);
    }
    t
}

/// Named parameters of a platform-side service, as JSON (from a REST body, or from the first
/// row of an edge's params).
#[derive(Debug, Default)]
pub struct Params(pub Map<String, Json>);

impl Params {
    /// From a REST body (`None` or `{}` for none; anything but an object is an error).
    pub fn from_body(body: Option<Json>) -> Result<Self, RestError> {
        match body {
            None | Some(Json::Null) => Ok(Self::default()),
            Some(Json::Object(m)) if json::is_infotable_json(&m) => {
                let t = json::infotable_from_json(&Json::Object(m))
                    .map_err(|e| RestError::bad_request(format!("bad parameters: {e}")))?;
                Ok(Self::from_table(Some(&t)))
            }
            Some(Json::Object(m)) => Ok(Self(m)),
            Some(_) => Err(RestError::bad_request(
                "parameters must be a JSON object of name/value pairs",
            )),
        }
    }

    /// From an edge's params table (first row).
    pub fn from_table(t: Option<&InfoTable>) -> Self {
        let Some(t) = t else {
            return Self::default();
        };
        match json::infotable_to_json(t)["rows"].get(0) {
            Some(Json::Object(m)) => Self(m.clone()),
            _ => Self::default(),
        }
    }

    fn get(&self, name: &str) -> Option<&Json> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn typed(&self, name: &str, bt: BaseType) -> Result<Option<Value>, RestError> {
        let Some(j) = self.get(name) else {
            return Ok(None);
        };
        json::typed_value_from_json(j, bt)
            .map(Some)
            .map_err(|e| RestError::bad_request(format!("bad parameter {name}: {}", e.message)))
    }
}

/// `QueryPropertyHistory`.
pub fn query_property_history(
    model: &ThingModel,
    thing: &str,
    params: &Params,
) -> Result<InfoTable, RestError> {
    let property = match params.typed("propertyName", BaseType::String)? {
        Some(Value::String(_, s)) => Some(s.to_str_lossy().into_owned()),
        _ => None,
    };
    let max_items = match params.typed("maxItems", BaseType::Number)? {
        Some(Value::Number(n)) if n >= 0.0 => n.min(1e9) as usize,
        Some(_) => return Err(RestError::bad_request("maxItems must be ≥ 0")),
        None => 500,
    };
    let date = |name: &str| -> Result<Option<i64>, RestError> {
        Ok(match params.typed(name, BaseType::DateTime)? {
            Some(Value::DateTime(ms)) => Some(ms),
            _ => None,
        })
    };
    let (start, end) = (date("startDate")?, date("endDate")?);
    let oldest_first = matches!(
        params.typed("oldestFirst", BaseType::Boolean)?,
        Some(Value::Boolean(true))
    );
    let mut entries: Vec<_> = model
        .history(thing, property.as_deref())
        .into_iter()
        .filter(|(_, v)| {
            start.map_or(true, |s| v.time_ms >= s) && end.map_or(true, |e| v.time_ms <= e)
        })
        .collect();
    if !oldest_first {
        entries.reverse();
    }
    entries.truncate(max_items);
    let mut names: Vec<String> = entries.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    let mut fields = vec![FieldDefinition::new("timestamp", BaseType::DateTime)];
    for n in &names {
        let own = entries
            .iter()
            .find(|(e, _)| e == n)
            .map(|(_, v)| v.value.base_type())
            .unwrap_or(BaseType::Variant);
        let bt = model
            .metadata(thing)
            .and_then(|m| m.property_type(n))
            .unwrap_or(own);
        fields.push(FieldDefinition::new(n.as_str(), bt));
    }
    let mut t = InfoTable::with_fields(fields);
    for (n, v) in entries {
        let mut row = vec![Value::DateTime(v.time_ms)];
        row.extend(names.iter().map(|m| {
            if *m == n {
                v.value.clone()
            } else {
                Value::Nothing
            }
        }));
        t.push_row(row);
    }
    Ok(t)
}

/// The values `SetPropertyValues` asks to write: from `values` (InfoTable JSON, first row,
/// or a plain object), typed by the thing's metadata.
pub fn values_to_set(
    model: &ThingModel,
    thing: &str,
    params: &Params,
) -> Result<Vec<(String, Value)>, RestError> {
    let bad = |e: json::JsonError| RestError::bad_request(format!("bad values: {e}"));
    let values = params
        .get("values")
        .ok_or_else(|| RestError::bad_request("SetPropertyValues needs a `values` parameter"))?;
    let meta = model.metadata(thing);
    let table = match values {
        Json::Object(m) if json::is_infotable_json(m) => {
            json::infotable_from_json(values).map_err(bad)?
        }
        Json::Object(_) => {
            json::params_from_json_typed(values, |n| meta.as_ref().and_then(|m| m.property_type(n)))
                .map_err(bad)?
        }
        _ => return Err(RestError::bad_request("`values` must be an object")),
    };
    let Some(row) = table.row(0) else {
        return Ok(Vec::new());
    };
    Ok(table
        .data_shape
        .fields
        .iter()
        .zip(row.iter())
        .map(|(f, v)| {
            (
                f.name.to_str_lossy().into_owned(),
                v.unwrap_variant().into_owned(),
            )
        })
        .collect())
}

/// `GetPropertySubscriptions`.
pub fn property_subscriptions(model: &ThingModel, thing: &str) -> InfoTable {
    property_subscriptions_table(&model.rules(thing))
}

/// `GetEventSubscriptions`: the events declared in metadata and the ones received.
pub fn event_subscriptions(model: &ThingModel, thing: &str) -> InfoTable {
    let mut names: Vec<String> = model
        .metadata(thing)
        .map(|m| m.events.keys().cloned().collect())
        .unwrap_or_default();
    names.extend(model.events(thing).into_iter().map(|e| e.name));
    names.sort();
    names.dedup();
    event_subscriptions_table(&names)
}

/// Answers a platform-side service that needs only the model (`None` for
/// `SetPropertyValues` and for services the platform does not answer).
pub fn answer_from_model(
    model: &ThingModel,
    thing: &str,
    service: &str,
    params: &Params,
) -> Option<Result<InfoTable, RestError>> {
    Some(Ok(match service {
        "GetPropertyValues" => property_values(model, thing),
        "GetPropertyValuesVTQ" => property_values_vtq(model, thing),
        "QueryPropertyHistory" => return Some(query_property_history(model, thing, params)),
        "GetPropertySubscriptions" => property_subscriptions(model, thing),
        "GetEventSubscriptions" => event_subscriptions(model, thing),
        _ => return None,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::emulator::model::{Source, Vtq};
    use serde_json::json;

    fn model() -> ThingModel {
        let m = ThingModel::default();
        m.record("T", "a", Vtq::good(Value::Number(1.0), 10), Source::Pushed);
        m.record("T", "b", Vtq::good(Value::string("x"), 20), Source::Pushed);
        m.record("T", "a", Vtq::good(Value::Number(2.0), 30), Source::Pushed);
        m
    }

    #[test]
    fn values_and_vtq() {
        let m = model();
        let t = property_values(&m, "T");
        assert_eq!(
            t.to_rows(),
            vec![vec![Value::Number(2.0), Value::string("x")]]
        );
        let t = property_values_vtq(&m, "T");
        assert_eq!(t.row_count(), 2);
        assert_eq!(t.get(0, "time"), Some(&Value::DateTime(30)));
    }

    #[test]
    fn history_newest_first_filtered_and_limited() {
        let m = model();
        let p = Params::from_body(Some(json!({"maxItems": 2}))).unwrap();
        let t = query_property_history(&m, "T", &p).unwrap();
        assert_eq!(t.row_count(), 2);
        assert_eq!(t.to_rows()[0][0], Value::DateTime(30));
        assert_eq!(t.to_rows()[1][0], Value::DateTime(20));
        let p = Params::from_body(Some(json!({"propertyName": "a", "oldestFirst": true}))).unwrap();
        let t = query_property_history(&m, "T", &p).unwrap();
        assert_eq!(t.data_shape.fields.len(), 2);
        assert_eq!(
            t.to_rows()[0],
            vec![Value::DateTime(10), Value::Number(1.0)]
        );
        let p = Params::from_body(Some(json!({"startDate": "1970-01-01T00:00:00.015Z"}))).unwrap();
        assert_eq!(query_property_history(&m, "T", &p).unwrap().row_count(), 2);
        let p = Params::from_body(Some(json!({"maxItems": "lots"}))).unwrap();
        assert_eq!(
            query_property_history(&m, "T", &p).unwrap_err().status,
            http::StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn set_values_shapes() {
        let m = model();
        let p = Params::from_body(Some(json!({"values": {"a": 5}}))).unwrap();
        assert_eq!(
            values_to_set(&m, "T", &p).unwrap(),
            vec![("a".to_owned(), Value::Number(5.0))]
        );
        let p = Params::from_body(Some(json!({"values": {"dataShape":{"fieldDefinitions":{"a":{"baseType":"INTEGER"}}},"rows":[{"a":5}]}}))).unwrap();
        assert_eq!(
            values_to_set(&m, "T", &p).unwrap(),
            vec![("a".to_owned(), Value::Integer(5))]
        );
        assert!(values_to_set(&m, "T", &Params::default()).is_err());
    }
}
