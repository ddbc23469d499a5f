//! The EMS's `_content_` convention: a plain JSON body that is not shaped like an InfoTable
//! travels as a one-row table with a single JSON field named `_content_` holding the body
//! text (ems.md §5). A platform unwraps it: a property write takes `obj[property]` (or the
//! whole value when it is not an object), a service gets the object's members as parameters.

use crate::json::{self, JsonError};
use alwayson_proto::{BaseType, DataShape, FieldDefinition, InfoTable, Value, WireString};
use serde_json::Value as Json;

/// The name of the single field of a wrapped body.
pub const CONTENT_FIELD: &str = "_content_";

/// A JSON document as the EMS carries it: one row, one JSON field `_content_`.
pub fn wrap_content(body: &Json) -> InfoTable {
    InfoTable::from_rows(
        DataShape {
            fields: vec![FieldDefinition::new(CONTENT_FIELD, BaseType::Json)],
        },
        vec![vec![Value::String(
            BaseType::Json,
            WireString::from(body.to_string()),
        )]],
    )
}

/// Whether `params` is a wrapped body (a single field named `_content_`).
pub fn is_wrapped(params: &InfoTable) -> bool {
    params.data_shape.fields.len() == 1 && params.data_shape.fields[0].name == CONTENT_FIELD
}

/// The JSON document of a wrapped body: `None` if `params` is not wrapped, `Some(Err)` if the
/// text is not JSON. An empty cell is `null`.
pub fn unwrap_content(params: &InfoTable) -> Option<Result<Json, JsonError>> {
    if !is_wrapped(params) {
        return None;
    }
    let cell = params
        .row(0)
        .and_then(|r| r.first())
        .map(Value::unwrap_variant);
    Some(match cell.as_deref() {
        None | Some(Value::Nothing) => Ok(Json::Null),
        Some(Value::String(_, text)) => {
            serde_json::from_slice(text.as_bytes()).map_err(|e| JsonError {
                path: CONTENT_FIELD.into(),
                message: format!("not JSON: {e}"),
            })
        }
        Some(other) => Ok(json::value_to_json(other)),
    })
}

/// The value a property write carries in a wrapped body: `obj[property]` when the document
/// is an object holding it, else the whole document; typed by `declared` when known.
pub fn property_value(
    doc: &Json,
    property: &str,
    declared: Option<BaseType>,
) -> Result<Value, JsonError> {
    let v = match doc {
        Json::Object(m) if !json::is_infotable_json(m) => m.get(property).unwrap_or(doc),
        _ => doc,
    };
    match declared {
        Some(bt) => json::typed_value_from_json(v, bt),
        None => json::value_from_json(v),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrap_and_unwrap() {
        let doc = json!({"Temp": 42, "x": [1]});
        let t = wrap_content(&doc);
        assert!(is_wrapped(&t));
        assert_eq!(unwrap_content(&t).unwrap().unwrap(), doc);
        assert!(unwrap_content(&InfoTable::single("Temp", Value::Number(1.0))).is_none());
        let bad = InfoTable::single(CONTENT_FIELD, Value::json("{"));
        assert_eq!(unwrap_content(&bad).unwrap().unwrap_err().path, "_content_");
    }

    #[test]
    fn property_value_takes_the_member_or_the_whole() {
        assert_eq!(
            property_value(&json!({"Temp": 42}), "Temp", None).unwrap(),
            Value::Number(42.0)
        );
        assert_eq!(
            property_value(&json!({"Temp": 42}), "Temp", Some(BaseType::Integer)).unwrap(),
            Value::Integer(42)
        );
        assert_eq!(
            property_value(&json!(7), "Temp", None).unwrap(),
            Value::Number(7.0)
        );
        assert_eq!(
            property_value(&json!({"other": 1}), "Temp", None).unwrap(),
            Value::json(r#"{"other":1}"#)
        );
    }
}
