//! The one place where AlwaysOn values and InfoTables meet JSON (ThingWorx's REST flavour).
//!
//! # InfoTable → JSON (results)
//!
//! An InfoTable becomes ThingWorx's InfoTable JSON:
//!
//! ```json
//! {"dataShape":{"fieldDefinitions":{"temp":{"name":"temp","baseType":"NUMBER",
//!   "description":"","aspects":{}}}},"rows":[{"temp":21.5}]}
//! ```
//!
//! * `fieldDefinitions` is keyed by field name, in column order; `baseType` is the field's
//!   *declared* type name (`UNKNOWN` for unassigned bytes); `aspects` maps aspect names to
//!   their values (converted like cells).
//! * Each row is an object keyed by field name. Cells are positional on the wire: a cell
//!   beyond the last field has no name and is dropped; a missing cell is left out.
//!   Non-UTF-8 names and strings are converted lossily (U+FFFD).
//!
//! Cells, by the cell's *own* base type:
//!
//! | base type | JSON |
//! |---|---|
//! | NOTHING | `null` |
//! | NUMBER | number; NaN and ±Infinity (which JSON cannot carry) become the strings `"NaN"`, `"Infinity"`, `"-Infinity"` |
//! | INTEGER | number |
//! | BOOLEAN | `true` / `false` |
//! | DATETIME | number, milliseconds since the Unix epoch (as ThingWorx) |
//! | STRING family (STRING, TEXT, JSON, XML, GUID, every `*NAME`, …) | string (JSON text is *not* re-parsed) |
//! | LOCATION | `{"longitude":…,"latitude":…,"elevation":…}` |
//! | BLOB, IMAGE | string, standard base64 with padding |
//! | INFOTABLE | nested InfoTable JSON (same shape as the top level) |
//! | VARIANT | the inner value, unwrapped (recursively) |
//!
//! # JSON → values (inputs)
//!
//! REST inputs are plain name/value objects (`{"temp": 22.0}`, `{"a": 1, "b": "x"}`);
//! [`params_from_json`] turns one into a one-row InfoTable with one field per name (in the
//! object's order). Without a declared type, each value's type is inferred
//! ([`value_from_json`]):
//!
//! | JSON | value |
//! |---|---|
//! | number (integers too) | NUMBER — ThingWorx's REST API does the same; there is no INTEGER inference |
//! | `true` / `false` | BOOLEAN |
//! | string | STRING |
//! | `null` | NOTHING |
//! | object with `dataShape` (or `datashape`) and `rows` | INFOTABLE, parsed by [`infotable_from_json`] (malformed → error) |
//! | object with exactly `baseType` and `value` (`{"baseType":"INTEGER","value":19}`) | the value typed as written ([`typed_cell`]) |
//! | object with numeric `longitude` and `latitude` (optional `elevation`, default 0) | LOCATION |
//! | any other object, and every array | JSON (the compact JSON text, base type JSON) |
//!
//! Inside an InfoTable JSON ([`infotable_from_json`]) the field's declared `baseType`
//! decides how a cell is read ([`typed_value_from_json`]): INTEGER must be an integral number
//! in i32 range, DATETIME a number of milliseconds or an ISO 8601 string, BLOB/IMAGE base64 text, NUMBER also
//! accepts the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, VARIANT infers as above and
//! wraps, and `null` is NOTHING for every type. A missing cell is NOTHING. Base types with
//! no value encoding (TIMESPAN, SCHEDULE, unknown) are an error. A cell written
//! `{"baseType": T, "value": v}` is read as `v`; in a VARIANT column it keeps the type T.
//!
//! When the types of a plain name/value object are known (a thing's metadata),
//! [`params_from_json_typed`] reads each declared name with its declared type instead of
//! inferring it.

use alwayson_proto::{
    Aspect, BaseType, DataShape, FieldDefinition, InfoTable, Location, Value, WireString,
};
use base64::Engine as _;
use serde_json::{Map, Number, Value as Json};

/// Why a JSON document could not be turned into a value or an InfoTable. The message says
/// where (a path such as `rows[0].temp`) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct JsonError {
    /// Where in the document (`$` is the top).
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl JsonError {
    fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: if path.is_empty() {
                "$".to_owned()
            } else {
                path.to_owned()
            },
            message: message.into(),
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

// ---------------------------------------------------------------------------------------
// InfoTable / Value → JSON
// ---------------------------------------------------------------------------------------

/// A number as JSON; NaN and infinities become strings (JSON has no such numbers).
fn f64_to_json(v: f64) -> Json {
    match Number::from_f64(v) {
        Some(n) => Json::Number(n),
        None if v.is_nan() => Json::String("NaN".into()),
        None if v > 0.0 => Json::String("Infinity".into()),
        None => Json::String("-Infinity".into()),
    }
}

/// One value as JSON (see the module docs for the table).
pub fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Nothing => Json::Null,
        Value::String(_, s) => Json::String(s.to_str_lossy().into_owned()),
        Value::Number(n) => f64_to_json(*n),
        Value::Integer(i) => Json::from(*i),
        Value::Boolean(b) => Json::Bool(*b),
        Value::DateTime(ms) => Json::from(*ms),
        Value::Location(l) => {
            let mut m = Map::new();
            m.insert("longitude".into(), f64_to_json(l.longitude));
            m.insert("latitude".into(), f64_to_json(l.latitude));
            m.insert("elevation".into(), f64_to_json(l.elevation));
            Json::Object(m)
        }
        Value::Blob(b) | Value::Image(b) => {
            Json::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Value::InfoTable(t) => infotable_to_json(t),
        Value::Variant(inner) => value_to_json(&inner.value()),
    }
}

/// An InfoTable as ThingWorx InfoTable JSON (`{"dataShape":{"fieldDefinitions":{…}},"rows":[…]}`).
pub fn infotable_to_json(table: &InfoTable) -> Json {
    let mut defs = Map::new();
    for f in &table.data_shape.fields {
        let name = f.name.to_str_lossy().into_owned();
        let aspects: Map<String, Json> = f
            .aspects
            .iter()
            .map(|a| (a.name.to_str_lossy().into_owned(), value_to_json(&a.value)))
            .collect();
        let mut def = Map::new();
        def.insert("name".into(), Json::String(name.clone()));
        def.insert("baseType".into(), Json::String(f.base_type.name().into()));
        def.insert(
            "description".into(),
            Json::String(f.description.to_str_lossy().into_owned()),
        );
        def.insert("aspects".into(), Json::Object(aspects));
        defs.insert(name, Json::Object(def));
    }
    let rows: Vec<Json> = table
        .rows()
        .map(|row| {
            let obj: Map<String, Json> = table
                .data_shape
                .fields
                .iter()
                .zip(row.iter())
                .map(|(f, cell)| (f.name.to_str_lossy().into_owned(), value_to_json(cell)))
                .collect();
            Json::Object(obj)
        })
        .collect();
    let mut shape = Map::new();
    shape.insert("fieldDefinitions".into(), Json::Object(defs));
    let mut out = Map::new();
    out.insert("dataShape".into(), Json::Object(shape));
    out.insert("rows".into(), Json::Array(rows));
    Json::Object(out)
}

// ---------------------------------------------------------------------------------------
// JSON → Value / InfoTable
// ---------------------------------------------------------------------------------------

/// Whether `json` looks like InfoTable JSON (an object with `dataShape` and `rows`).
/// Whether an object looks like InfoTable JSON: `dataShape` (or the EMS's lower-case
/// `datashape`) and `rows`.
pub fn is_infotable_json(m: &Map<String, Json>) -> bool {
    (m.contains_key("dataShape") || m.contains_key("datashape")) && m.contains_key("rows")
}

/// A typed cell as the EMS and the Lua Script Resource write it: an object with exactly the
/// keys `baseType` (a base type name) and `value`.
pub fn typed_cell(m: &Map<String, Json>) -> Option<(BaseType, &Json)> {
    if m.len() != 2 {
        return None;
    }
    let base_type = BaseType::from_name(m.get("baseType")?.as_str()?)?;
    Some((base_type, m.get("value")?))
}

/// Milliseconds since the epoch from an ISO 8601 / RFC 3339 date-time
/// (`2026-11-29T14:00:00Z`, `2026-11-29T15:00:00.5+01:00`; without an offset, UTC).
pub fn parse_iso8601_ms(s: &str) -> Option<i64> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    let t = time::OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .or_else(|_| time::PrimitiveDateTime::parse(s, &Iso8601::DEFAULT).map(|p| p.assume_utc()))
        .ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

fn location_from_object(m: &Map<String, Json>, path: &str) -> Result<Option<Location>, JsonError> {
    let (Some(lon), Some(lat)) = (m.get("longitude"), m.get("latitude")) else {
        return Ok(None);
    };
    let num = |v: &Json, key: &str| {
        number_from_json(v).ok_or_else(|| JsonError::new(&join(path, key), "expected a number"))
    };
    Ok(Some(Location {
        longitude: num(lon, "longitude")?,
        latitude: num(lat, "latitude")?,
        elevation: match m.get("elevation") {
            None | Some(Json::Null) => 0.0,
            Some(v) => num(v, "elevation")?,
        },
    }))
}

/// A JSON number, or one of the strings NaN/Infinity/-Infinity this module writes.
fn number_from_json(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// A value whose type is inferred from the JSON (see the module docs): number → NUMBER,
/// bool → BOOLEAN, string → STRING, null → NOTHING, InfoTable JSON → INFOTABLE, an object
/// with longitude/latitude → LOCATION, any other object or array → JSON text.
pub fn value_from_json(json: &Json) -> Result<Value, JsonError> {
    value_from_json_at(json, "", 0)
}

fn value_from_json_at(json: &Json, path: &str, depth: usize) -> Result<Value, JsonError> {
    Ok(match json {
        Json::Null => Value::Nothing,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => Value::Number(
            n.as_f64()
                .ok_or_else(|| JsonError::new(path, "number out of range"))?,
        ),
        Json::String(s) => Value::string(s.as_str()),
        Json::Object(m) if is_infotable_json(m) => {
            Value::InfoTable(Box::new(infotable_from_json_at(json, path, depth + 1)?))
        }
        Json::Object(m) => match typed_cell(m) {
            Some((base_type, inner)) => {
                typed_value_from_json_at(inner, base_type, path, depth + 1)?
            }
            None => match location_from_object(m, path)? {
                Some(l) => Value::Location(l),
                None => Value::json(json.to_string()),
            },
        },
        Json::Array(_) => Value::json(json.to_string()),
    })
}

/// A value of a declared base type (how InfoTable JSON cells are read). `null` is NOTHING
/// for every type.
pub fn typed_value_from_json(json: &Json, base_type: BaseType) -> Result<Value, JsonError> {
    typed_value_from_json_at(json, base_type, "", 0)
}

fn typed_value_from_json_at(
    json: &Json,
    base_type: BaseType,
    path: &str,
    depth: usize,
) -> Result<Value, JsonError> {
    if depth > alwayson_proto::MAX_NESTING_DEPTH {
        return Err(JsonError::new(path, "InfoTable nesting too deep"));
    }
    if json.is_null() {
        return Ok(Value::Nothing);
    }
    if let Json::Object(m) = json {
        if let Some((written, inner)) = typed_cell(m) {
            // `{"baseType","value"}`: a VARIANT takes the type as written; any other declared
            // type reads the inner value as itself.
            return if base_type == BaseType::Variant {
                Ok(Value::variant(typed_value_from_json_at(
                    inner,
                    written,
                    path,
                    depth + 1,
                )?))
            } else {
                typed_value_from_json_at(inner, base_type, path, depth + 1)
            };
        }
    }
    let expected =
        |what: &str| JsonError::new(path, format!("expected {what} for {}", base_type.name()));
    Ok(match base_type {
        BaseType::Nothing => return Err(expected("null")),
        BaseType::Number => {
            Value::Number(number_from_json(json).ok_or_else(|| expected("a number"))?)
        }
        BaseType::Integer => {
            let i = json
                .as_i64()
                .or_else(|| json.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .ok_or_else(|| expected("an integral number"))?;
            Value::Integer(
                i32::try_from(i).map_err(|_| JsonError::new(path, "integer out of i32 range"))?,
            )
        }
        BaseType::Boolean => {
            Value::Boolean(json.as_bool().ok_or_else(|| expected("true or false"))?)
        }
        BaseType::DateTime => {
            let ms = json
                .as_i64()
                .or_else(|| json.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .or_else(|| json.as_str().and_then(parse_iso8601_ms))
                .ok_or_else(|| expected("milliseconds since the epoch or an ISO 8601 date"))?;
            Value::DateTime(ms)
        }
        BaseType::Location => match json {
            Json::Object(m) => Value::Location(
                location_from_object(m, path)?
                    .ok_or_else(|| expected("an object with longitude and latitude"))?,
            ),
            _ => return Err(expected("an object with longitude and latitude")),
        },
        BaseType::Blob | BaseType::Image => {
            let s = json.as_str().ok_or_else(|| expected("a base64 string"))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| JsonError::new(path, format!("invalid base64: {e}")))?;
            if base_type == BaseType::Blob {
                Value::Blob(bytes.into())
            } else {
                Value::Image(bytes.into())
            }
        }
        BaseType::InfoTable => {
            Value::InfoTable(Box::new(infotable_from_json_at(json, path, depth + 1)?))
        }
        BaseType::Variant => Value::variant(value_from_json_at(json, path, depth + 1)?),
        t if t.is_string_family() => match json {
            Json::String(s) => Value::String(t, WireString::from(s.as_str())),
            // JSON-ish types may carry the document itself rather than its text.
            Json::Object(_) | Json::Array(_) if matches!(t, BaseType::Json | BaseType::Query) => {
                Value::String(t, WireString::from(json.to_string()))
            }
            _ => return Err(expected("a string")),
        },
        other => {
            return Err(JsonError::new(
                path,
                format!(
                    "base type {} (0x{:02x}) has no value encoding",
                    other.name(),
                    other.as_u8()
                ),
            ))
        }
    })
}

/// Parses ThingWorx InfoTable JSON (`{"dataShape":{"fieldDefinitions":{…}},"rows":[…]}`).
///
/// Each field definition needs a `baseType` name; `name` defaults to the key, `description`
/// to `""`, `aspects` to none (aspect values are inferred like [`value_from_json`]). Rows are
/// objects keyed by field name; cells are read with the field's declared type, and missing
/// cells are NOTHING. Unknown row keys are an error (they would be silently lost).
pub fn infotable_from_json(json: &Json) -> Result<InfoTable, JsonError> {
    infotable_from_json_at(json, "", 0)
}

fn infotable_from_json_at(json: &Json, path: &str, depth: usize) -> Result<InfoTable, JsonError> {
    if depth > alwayson_proto::MAX_NESTING_DEPTH {
        return Err(JsonError::new(path, "InfoTable nesting too deep"));
    }
    let obj = json.as_object().ok_or_else(|| {
        JsonError::new(path, "expected an InfoTable object with dataShape and rows")
    })?;
    let ds_path = join(path, "dataShape");
    let shape = obj
        .get("dataShape")
        .or_else(|| obj.get("datashape"))
        .and_then(Json::as_object)
        .ok_or_else(|| JsonError::new(&ds_path, "expected an object"))?;
    let fd_path = join(&ds_path, "fieldDefinitions");
    let defs = match shape.get("fieldDefinitions") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(_) => {
            return Err(JsonError::new(
                &fd_path,
                "expected an object keyed by field name",
            ))
        }
    };
    let mut fields = Vec::with_capacity(defs.len());
    for (key, def) in &defs {
        let p = join(&fd_path, key);
        let def = def
            .as_object()
            .ok_or_else(|| JsonError::new(&p, "expected a field definition object"))?;
        let name = match def.get("name") {
            None => key.clone(),
            Some(Json::String(s)) => s.clone(),
            Some(_) => return Err(JsonError::new(&join(&p, "name"), "expected a string")),
        };
        let type_name = def
            .get("baseType")
            .and_then(Json::as_str)
            .ok_or_else(|| JsonError::new(&join(&p, "baseType"), "expected a base type name"))?;
        let base_type = BaseType::from_name(type_name).ok_or_else(|| {
            JsonError::new(
                &join(&p, "baseType"),
                format!("unknown base type {type_name:?}"),
            )
        })?;
        let description = match def.get("description") {
            None | Some(Json::Null) => WireString::new(),
            Some(Json::String(s)) => WireString::from(s.as_str()),
            Some(_) => {
                return Err(JsonError::new(
                    &join(&p, "description"),
                    "expected a string",
                ))
            }
        };
        let mut aspects = Vec::new();
        match def.get("aspects") {
            None | Some(Json::Null) => {}
            Some(Json::Object(m)) => {
                for (an, av) in m {
                    aspects.push(Aspect {
                        name: WireString::from(an.as_str()),
                        value: value_from_json_at(av, &join(&join(&p, "aspects"), an), depth + 1)?,
                    });
                }
            }
            Some(_) => return Err(JsonError::new(&join(&p, "aspects"), "expected an object")),
        }
        fields.push(FieldDefinition {
            name: WireString::from(name),
            description,
            base_type,
            aspects,
        });
    }
    let rows_path = join(path, "rows");
    let rows_json = obj
        .get("rows")
        .and_then(Json::as_array)
        .ok_or_else(|| JsonError::new(&rows_path, "expected an array of row objects"))?;
    let mut rows = Vec::with_capacity(rows_json.len());
    for (i, r) in rows_json.iter().enumerate() {
        let rp = format!("{rows_path}[{i}]");
        let r = r
            .as_object()
            .ok_or_else(|| JsonError::new(&rp, "expected a row object"))?;
        if let Some(unknown) = r
            .keys()
            .find(|k| !fields.iter().any(|f| f.name == k.as_str()))
        {
            return Err(JsonError::new(
                &join(&rp, unknown),
                "no such field in the dataShape",
            ));
        }
        let row = fields
            .iter()
            .map(|f| {
                let key = f.name.to_str_lossy();
                match r.get(key.as_ref()) {
                    None => Ok(Value::Nothing),
                    Some(cell) => {
                        typed_value_from_json_at(cell, f.base_type, &join(&rp, &key), depth + 1)
                    }
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    Ok(InfoTable::from_rows(DataShape { fields }, rows))
}

/// A plain name/value object (`{"a": 1, "b": "x"}`) as a one-row InfoTable: one field per
/// name, in the object's order, each declared with its inferred type ([`value_from_json`]).
/// `{}` gives a table with no fields and one empty row. Anything but an object is an error.
pub fn params_from_json(json: &Json) -> Result<InfoTable, JsonError> {
    let obj = json
        .as_object()
        .ok_or_else(|| JsonError::new("", "expected a JSON object of name/value pairs"))?;
    let mut fields = Vec::with_capacity(obj.len());
    let mut row = Vec::with_capacity(obj.len());
    for (k, v) in obj {
        let value = value_from_json_at(v, k, 0)?;
        fields.push(FieldDefinition::new(k.as_str(), value.base_type()));
        row.push(value);
    }
    Ok(InfoTable::from_rows(DataShape { fields }, vec![row]))
}

/// Like [`params_from_json`], but a name for which `declared` gives a base type is read with
/// that type ([`typed_value_from_json`]: `19` for INTEGER is INTEGER 19, an ISO 8601 string
/// for DATETIME is a DATETIME); other names are inferred.
pub fn params_from_json_typed(
    json: &Json,
    declared: impl Fn(&str) -> Option<BaseType>,
) -> Result<InfoTable, JsonError> {
    let obj = json
        .as_object()
        .ok_or_else(|| JsonError::new("", "expected a JSON object of name/value pairs"))?;
    let mut fields = Vec::with_capacity(obj.len());
    let mut row = Vec::with_capacity(obj.len());
    for (k, v) in obj {
        let (base_type, value) = match declared(k) {
            Some(bt) => (bt, typed_value_from_json_at(v, bt, k, 0)?),
            None => {
                let value = value_from_json_at(v, k, 0)?;
                (value.base_type(), value)
            }
        };
        fields.push(FieldDefinition::new(k.as_str(), base_type));
        row.push(value);
    }
    Ok(InfoTable::from_rows(DataShape { fields }, vec![row]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::json;

    fn table1(name: &str, v: Value) -> InfoTable {
        InfoTable::single(name, v)
    }

    fn cell(v: Value) -> Json {
        infotable_to_json(&table1("x", v))["rows"][0]["x"].clone()
    }

    #[test]
    fn result_table_matches_thingworx_shape() {
        let j = infotable_to_json(&table1("temp", Value::Number(21.5)));
        assert_eq!(
            j,
            json!({"dataShape":{"fieldDefinitions":{"temp":{"name":"temp","baseType":"NUMBER","description":"","aspects":{}}}},"rows":[{"temp":21.5}]})
        );
    }

    #[test]
    fn every_base_type_to_json() {
        assert_eq!(cell(Value::Nothing), Json::Null);
        assert_eq!(cell(Value::Number(1.5)), json!(1.5));
        assert_eq!(cell(Value::Number(f64::NAN)), json!("NaN"));
        assert_eq!(cell(Value::Number(f64::INFINITY)), json!("Infinity"));
        assert_eq!(cell(Value::Number(f64::NEG_INFINITY)), json!("-Infinity"));
        assert_eq!(cell(Value::Integer(-2)), json!(-2));
        assert_eq!(cell(Value::Boolean(true)), json!(true));
        assert_eq!(
            cell(Value::DateTime(1_500_000_000_000)),
            json!(1_500_000_000_000i64)
        );
        assert_eq!(cell(Value::string("hi")), json!("hi"));
        assert_eq!(cell(Value::json("{\"a\":1}")), json!("{\"a\":1}"));
        assert_eq!(
            cell(Value::String(BaseType::ThingName, "T".into())),
            json!("T")
        );
        assert_eq!(
            cell(Value::Location(Location {
                longitude: 2.0,
                latitude: 1.0,
                elevation: 3.0
            })),
            json!({"longitude":2.0,"latitude":1.0,"elevation":3.0})
        );
        assert_eq!(
            cell(Value::Blob(Bytes::from_static(&[1, 2, 255]))),
            json!("AQL/")
        );
        assert_eq!(cell(Value::Image(Bytes::from_static(b"hi"))), json!("aGk="));
        assert_eq!(cell(Value::variant(Value::Integer(7))), json!(7));
        assert_eq!(
            cell(Value::variant(Value::variant(Value::Nothing))),
            Json::Null
        );
        let nested = cell(Value::from(table1("n", Value::Boolean(false))));
        assert_eq!(nested["rows"][0]["n"], json!(false));
        assert_eq!(
            nested["dataShape"]["fieldDefinitions"]["n"]["baseType"],
            json!("BOOLEAN")
        );
        // invalid UTF-8 is replaced, not an error
        assert_eq!(
            cell(Value::String(
                BaseType::String,
                WireString::from_bytes(vec![0x61, 0xff])
            )),
            json!("a\u{fffd}")
        );
    }

    #[test]
    fn aspects_description_and_positional_cells() {
        let mut f = FieldDefinition::new("v", BaseType::Integer);
        f.description = "d".into();
        f.aspects.push(Aspect {
            name: "isPrimaryKey".into(),
            value: Value::Boolean(true),
        });
        let t = InfoTable::from_rows(
            DataShape {
                fields: vec![FieldDefinition::new("name", BaseType::String), f],
            },
            // second row is short; third has an extra cell
            vec![
                vec![Value::string("a"), Value::Integer(5)],
                vec![Value::string("b")],
                vec![Value::string("c"), Value::Nothing, Value::Integer(9)],
            ],
        );
        let j = infotable_to_json(&t);
        assert_eq!(
            j["dataShape"]["fieldDefinitions"]["v"],
            json!({"name":"v","baseType":"INTEGER","description":"d","aspects":{"isPrimaryKey":true}})
        );
        assert_eq!(
            j["rows"],
            json!([{"name":"a","v":5},{"name":"b"},{"name":"c","v":null}])
        );
        // field order is kept
        let keys: Vec<_> = j["dataShape"]["fieldDefinitions"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["name", "v"]);
    }

    #[test]
    fn infers_values_from_json() {
        assert_eq!(value_from_json(&json!(22)).unwrap(), Value::Number(22.0));
        assert_eq!(value_from_json(&json!(22.5)).unwrap(), Value::Number(22.5));
        assert_eq!(value_from_json(&json!(true)).unwrap(), Value::Boolean(true));
        assert_eq!(value_from_json(&json!("x")).unwrap(), Value::string("x"));
        assert_eq!(value_from_json(&Json::Null).unwrap(), Value::Nothing);
        assert_eq!(
            value_from_json(&json!({"longitude": 2, "latitude": 1})).unwrap(),
            Value::Location(Location {
                longitude: 2.0,
                latitude: 1.0,
                elevation: 0.0
            })
        );
        assert_eq!(
            value_from_json(&json!([1, "a"])).unwrap(),
            Value::json("[1,\"a\"]")
        );
        assert_eq!(
            value_from_json(&json!({"k": [1]})).unwrap(),
            Value::json("{\"k\":[1]}")
        );
        let err = value_from_json(&json!({"longitude": "east", "latitude": 1})).unwrap_err();
        assert_eq!(err.path, "longitude");
    }

    #[test]
    fn params_are_one_row_tables() {
        let t = params_from_json(&json!({"a": 1, "b": "x", "c": null})).unwrap();
        assert_eq!(t.data_shape.fields.len(), 3);
        assert_eq!(t.data_shape.fields[0].base_type, BaseType::Number);
        assert_eq!(t.data_shape.fields[1].base_type, BaseType::String);
        assert_eq!(t.data_shape.fields[2].base_type, BaseType::Nothing);
        assert_eq!(
            t.to_rows(),
            vec![vec![Value::Number(1.0), Value::string("x"), Value::Nothing]]
        );
        let empty = params_from_json(&json!({})).unwrap();
        assert!(empty.data_shape.fields.is_empty());
        assert!(params_from_json(&json!([1])).is_err());
        assert!(params_from_json(&json!(3)).is_err());
    }

    fn every_type_table() -> InfoTable {
        let inner = table1("n", Value::Integer(3));
        let cells: Vec<(&str, BaseType, Value)> = vec![
            ("nothing", BaseType::Nothing, Value::Nothing),
            ("s", BaseType::String, Value::string("hi")),
            ("num", BaseType::Number, Value::Number(21.5)),
            ("nan", BaseType::Number, Value::Number(f64::NAN)),
            ("inf", BaseType::Number, Value::Number(f64::NEG_INFINITY)),
            ("b", BaseType::Boolean, Value::Boolean(true)),
            ("dt", BaseType::DateTime, Value::DateTime(-5)),
            ("it", BaseType::InfoTable, Value::from(inner)),
            (
                "loc",
                BaseType::Location,
                Value::Location(Location {
                    longitude: 2.0,
                    latitude: 1.0,
                    elevation: 3.5,
                }),
            ),
            (
                "xml",
                BaseType::Xml,
                Value::String(BaseType::Xml, "<a/>".into()),
            ),
            ("json", BaseType::Json, Value::json("{\"a\":1}")),
            (
                "img",
                BaseType::Image,
                Value::Image(Bytes::from_static(b"\x89PNG")),
            ),
            (
                "guid",
                BaseType::Guid,
                Value::String(BaseType::Guid, "g".into()),
            ),
            (
                "blob",
                BaseType::Blob,
                Value::Blob(Bytes::from_static(&[0, 1, 2])),
            ),
            ("int", BaseType::Integer, Value::Integer(i32::MIN)),
            (
                "var",
                BaseType::Variant,
                Value::variant(Value::Boolean(false)),
            ),
            (
                "thing",
                BaseType::ThingName,
                Value::String(BaseType::ThingName, "T".into()),
            ),
        ];
        let mut t = InfoTable::with_fields(
            cells
                .iter()
                .map(|(n, bt, _)| FieldDefinition::new(*n, *bt))
                .collect(),
        );
        t.push_row(cells.into_iter().map(|(_, _, v)| v));
        t
    }

    #[test]
    fn infotable_round_trips_through_json_for_every_base_type() {
        let t = every_type_table();
        let j = infotable_to_json(&t);
        let back = infotable_from_json(&j).unwrap();
        assert_eq!(back, t);
        // and through text
        let text = serde_json::to_string(&j).unwrap();
        let back2 = infotable_from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back2, t);
    }

    #[test]
    fn inferred_value_inside_infotable_json_input() {
        let body = json!({"values": {"dataShape":{"fieldDefinitions":{"t":{"name":"t","baseType":"INTEGER"}}},"rows":[{"t":4},{}]}});
        let p = params_from_json(&body).unwrap();
        assert_eq!(p.data_shape.fields[0].base_type, BaseType::InfoTable);
        let Value::InfoTable(nested) = &p.row(0).expect("one row")[0] else {
            panic!("not a table")
        };
        assert_eq!(
            nested.to_rows(),
            vec![vec![Value::Integer(4)], vec![Value::Nothing]]
        );
    }

    #[test]
    fn malformed_infotable_json_errors_carry_a_path() {
        let cases = [
            (json!({"dataShape": 1, "rows": []}), "dataShape"),
            (
                json!({"dataShape": {"fieldDefinitions": []}, "rows": []}),
                "dataShape.fieldDefinitions",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {}}}, "rows": []}),
                "dataShape.fieldDefinitions.a.baseType",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "FLOAT"}}}, "rows": []}),
                "dataShape.fieldDefinitions.a.baseType",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "INTEGER"}}}, "rows": {}}),
                "rows",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "INTEGER"}}}, "rows": [1]}),
                "rows[0]",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "INTEGER"}}}, "rows": [{"a": 1.5}]}),
                "rows[0].a",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "INTEGER"}}}, "rows": [{"a": 3e10}]}),
                "rows[0].a",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "INTEGER"}}}, "rows": [{"b": 1}]}),
                "rows[0].b",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "BLOB"}}}, "rows": [{"a": "!!"}]}),
                "rows[0].a",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "BOOLEAN"}}}, "rows": [{"a": "yes"}]}),
                "rows[0].a",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "TIMESPAN"}}}, "rows": [{"a": 1}]}),
                "rows[0].a",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "LOCATION"}}}, "rows": [{"a": 1}]}),
                "rows[0].a",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "STRING"}}}, "rows": [{"a": 1}]}),
                "rows[0].a",
            ),
            (
                json!({"dataShape": {"fieldDefinitions": {"a": {"baseType": "NOTHING"}}}, "rows": [{"a": 1}]}),
                "rows[0].a",
            ),
            (json!([]), "$"),
        ];
        for (input, path) in cases {
            let err = infotable_from_json(&input).unwrap_err();
            assert_eq!(err.path, path, "{input} → {err}");
        }
        // through params, the path starts at the parameter name
        let err = params_from_json(&json!({"p": {"dataShape": {}, "rows": [3]}})).unwrap_err();
        assert_eq!(err.path, "p.rows[0]");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let mut j = json!(1);
        for _ in 0..200 {
            j = json!({"dataShape":{"fieldDefinitions":{"x":{"baseType":"INFOTABLE"}}},"rows":[{"x": j}]});
        }
        let err = infotable_from_json(&j).unwrap_err();
        assert!(err.message.contains("too deep"), "{err}");
    }

    #[test]
    fn typed_cells_as_the_ems_writes_them() {
        assert_eq!(
            value_from_json(&json!({"baseType": "INTEGER", "value": 19})).unwrap(),
            Value::Integer(19)
        );
        // the LSR's push: VARIANT column with typed cells
        let t = infotable_from_json(&json!({"datashape":{"fieldDefinitions":{"value":{"baseType":"VARIANT"},"name":{"baseType":"STRING"}}},"rows":[{"value":{"baseType":"NUMBER","value":21.5},"name":"Temp"}]})).unwrap();
        assert_eq!(
            t.row(0).expect("one row")[0],
            Value::variant(Value::Number(21.5))
        );
        // a declared type reads the inner value
        assert_eq!(
            typed_value_from_json(&json!({"baseType":"NUMBER","value":4}), BaseType::Integer)
                .unwrap(),
            Value::Integer(4)
        );
        // three keys is not a typed cell
        assert_eq!(
            value_from_json(&json!({"baseType": "INTEGER", "value": 19, "x": 1})).unwrap(),
            Value::json(r#"{"baseType":"INTEGER","value":19,"x":1}"#)
        );
        assert!(value_from_json(&json!({"baseType": "INTEGER", "value": "x"})).is_err());
    }

    #[test]
    fn datetime_from_iso8601() {
        assert_eq!(
            typed_value_from_json(&json!("1970-01-01T00:00:01Z"), BaseType::DateTime).unwrap(),
            Value::DateTime(1000)
        );
        assert_eq!(
            typed_value_from_json(&json!("1970-01-01T01:00:00.5+01:00"), BaseType::DateTime)
                .unwrap(),
            Value::DateTime(500)
        );
        assert_eq!(parse_iso8601_ms("1970-01-01T00:00:02"), Some(2000));
        assert!(typed_value_from_json(&json!("yesterday"), BaseType::DateTime).is_err());
    }

    #[test]
    fn typed_params_follow_declarations() {
        let declared = |n: &str| match n {
            "count" => Some(BaseType::Integer),
            "at" => Some(BaseType::DateTime),
            _ => None,
        };
        let t = params_from_json_typed(
            &json!({"count": 19, "at": "1970-01-01T00:00:00.007Z", "x": 1}),
            declared,
        )
        .unwrap();
        assert_eq!(t.data_shape.fields[0].base_type, BaseType::Integer);
        assert_eq!(t.data_shape.fields[2].base_type, BaseType::Number);
        assert_eq!(
            t.row(0).expect("one row"),
            vec![Value::Integer(19), Value::DateTime(7), Value::Number(1.0)]
        );
        let err = params_from_json_typed(&json!({"count": 1.5}), declared).unwrap_err();
        assert_eq!(err.path, "count");
    }

    #[test]
    fn typed_json_cells_accept_documents_and_integral_floats() {
        assert_eq!(
            typed_value_from_json(&json!({"a": 1}), BaseType::Json).unwrap(),
            Value::json("{\"a\":1}")
        );
        assert_eq!(
            typed_value_from_json(&json!(4.0), BaseType::Integer).unwrap(),
            Value::Integer(4)
        );
        assert_eq!(
            typed_value_from_json(&json!(null), BaseType::Integer).unwrap(),
            Value::Nothing
        );
        assert_eq!(
            typed_value_from_json(&json!(7), BaseType::DateTime).unwrap(),
            Value::DateTime(7)
        );
    }
}
