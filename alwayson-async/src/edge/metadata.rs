//! The built-in `GetMetadata` service every bound thing answers (session-lifecycle.md §10,
//! base-types.md §4.6): one field `result` (JSON) holding
//! `{"name", "description", "isSystemObject", "propertyDefinitions", "serviceDefinitions",
//! "eventDefinitions"}`.
//!
//! Each property is `{"name", "description", "baseType", "aspects": {"pushType",
//! "pushThreshold"}}` (no `baseType` when unknown: a getter property with no declared type,
//! see `Thing::property_type`); each service `{"name", "description", "Inputs": {"fieldDefinitions":
//! {…}}, "Outputs": {"name": "result", "baseType", "fieldDefinitions": {}, "aspects": {}}}`;
//! each event `{"name", "description", "EventData": {"fieldDefinitions": {…}}}`; a field
//! definition is `{"name", "description", "baseType", "ordinal", "aspects": {}}`. The keys
//! follow the C SDK's `getMetadataService` as the spec describes it (not checked against a
//! captured answer); the emulator reads the same keys.

use alwayson_proto::edge::PushRule;
use alwayson_proto::{BaseType, FieldDefinition, InfoTable, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Name of the built-in service.
pub(crate) const GET_METADATA: &str = "GetMetadata";

/// Shapes a thing declares for its services and events.
#[derive(Debug, Clone, Default)]
pub(crate) struct Declared {
    /// Service name → (input fields, result base type).
    pub services: BTreeMap<String, (Vec<FieldDefinition>, BaseType)>,
    /// Event name → data fields.
    pub events: BTreeMap<String, Vec<FieldDefinition>>,
}

/// A property as `GetMetadata` shows it.
pub(crate) struct Property<'a> {
    pub name: &'a str,
    /// `None`: not known (a getter property without a declared type): no `baseType` key.
    pub base_type: Option<BaseType>,
    pub rule: PushRule,
}

/// The document is written straight into a `String`: a handful of fixed keys around
/// escaped names. (Building it as `serde_json::Value`s cost the small edge binary ~40 KB of
/// `json!` expansions and map sorting, and the edge needs no other JSON.)
struct Json(String);

impl Json {
    /// A JSON string literal (RFC 8259 §7: `"`, `\\` and control characters escaped).
    fn string(&mut self, s: &str) {
        self.0.push('"');
        for c in s.chars() {
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                c if c < ' ' => {
                    let _ = write!(self.0, "\\u{:04x}", u32::from(c));
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }

    /// `"key":` (after a `,` unless first in its object).
    fn key(&mut self, key: &str) {
        if !self.0.ends_with('{') {
            self.0.push(',');
        }
        self.string(key);
        self.0.push(':');
    }

    /// `"key":"value"`.
    fn field(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    /// `"key":` followed by the raw JSON text `raw`.
    fn raw(&mut self, key: &str, raw: &str) {
        self.key(key);
        self.0.push_str(raw);
    }

    /// `"key":number`, shortest round-trip form (a non-finite number is `null`, as serde_json
    /// writes it).
    fn number(&mut self, key: &str, n: f64) {
        self.key(key);
        if n.is_finite() {
            // zmij (serde_json's own float printer): std's float formatting is ~13 KB more.
            self.0.push_str(zmij::Buffer::new().format_finite(n));
        } else {
            self.0.push_str("null");
        }
    }

    /// `"name":{"name":"name","description":"",` … (closed by the caller with `}`).
    fn open_definition(&mut self, name: &str) {
        self.key(name);
        self.0.push('{');
        self.field("name", name);
        self.field("description", "");
    }
}

/// `"key":{"fieldDefinitions":{…}}`, one definition per field with its ordinal.
fn fields(json: &mut Json, key: &str, defs: &[FieldDefinition]) {
    json.key(key);
    json.0.push('{');
    json.key("fieldDefinitions");
    json.0.push('{');
    for (i, f) in defs.iter().enumerate() {
        let name = f.name.to_str_lossy();
        json.key(&name);
        json.0.push('{');
        json.field("name", &name);
        json.field("description", &f.description.to_str_lossy());
        json.field("baseType", f.base_type.name());
        json.key("ordinal");
        let _ = write!(json.0, "{i}");
        json.raw("aspects", "{}");
        json.0.push('}');
    }
    json.0.push_str("}}");
}

/// The answer to `GetMetadata` for `thing`: its properties, the services it serves (with
/// their declared shapes; undeclared ones have no inputs and a NOTHING result) and its
/// declared events.
pub(crate) fn document(
    thing: &str,
    properties: &[Property<'_>],
    services: &[&str],
    declared: Option<&Declared>,
) -> InfoTable {
    let mut json = Json(String::with_capacity(256));
    json.0.push('{');
    json.field("name", thing);
    json.field("description", "");
    json.raw("isSystemObject", "false");
    json.key("propertyDefinitions");
    json.0.push('{');
    for p in properties {
        json.open_definition(p.name);
        if let Some(t) = p.base_type {
            json.field("baseType", t.name());
        }
        json.key("aspects");
        json.0.push('{');
        json.field("pushType", p.rule.push_type.as_str());
        json.number("pushThreshold", p.rule.threshold);
        json.0.push_str("}}");
    }
    json.0.push('}');
    let mut names: Vec<&str> = services.to_vec();
    if let Some(d) = declared {
        names.extend(d.services.keys().map(String::as_str));
    }
    names.sort_unstable();
    names.dedup();
    json.key("serviceDefinitions");
    json.0.push('{');
    for name in names {
        let (inputs, output) = declared
            .and_then(|d| d.services.get(name))
            .map_or((&[][..], BaseType::Nothing), |(i, o)| (i.as_slice(), *o));
        json.open_definition(name);
        fields(&mut json, "Inputs", inputs);
        json.key("Outputs");
        json.0.push('{');
        json.field("name", "result");
        json.field("description", "");
        json.field("baseType", output.name());
        json.raw("fieldDefinitions", "{}");
        json.raw("aspects", "{}");
        json.0.push('}');
        json.raw("aspects", "{}");
        json.0.push('}');
    }
    json.0.push('}');
    json.key("eventDefinitions");
    json.0.push('{');
    for (name, data) in declared.iter().flat_map(|d| &d.events) {
        json.open_definition(name);
        fields(&mut json, "EventData", data);
        json.raw("aspects", "{}");
        json.0.push('}');
    }
    json.0.push_str("}}");
    InfoTable::single("result", Value::json(json.0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_proto::edge::PushType;

    #[test]
    fn document_has_the_sdk_keys() {
        let mut declared = Declared::default();
        declared.services.insert(
            "Add".into(),
            (
                vec![
                    FieldDefinition::new("a", BaseType::Integer),
                    FieldDefinition::new("b", BaseType::Number),
                ],
                BaseType::Number,
            ),
        );
        declared.events.insert(
            "Fault".into(),
            vec![FieldDefinition::new("message", BaseType::String)],
        );
        let t = document(
            "Pump1",
            &[Property {
                name: "temp",
                base_type: Some(BaseType::Number),
                rule: PushRule::new(PushType::Value).with_threshold(0.5),
            }],
            &["Add", "Other"],
            Some(&declared),
        );
        let Some(Value::String(BaseType::Json, text)) = t.first("result") else {
            panic!("no JSON result: {t:?}");
        };
        let doc: serde_json::Value = serde_json::from_slice(text.as_bytes()).unwrap();
        assert_eq!(doc["name"], "Pump1");
        let temp = &doc["propertyDefinitions"]["temp"];
        assert_eq!(temp["baseType"], "NUMBER");
        assert_eq!(temp["aspects"]["pushType"], "VALUE");
        assert_eq!(temp["aspects"]["pushThreshold"], 0.5);
        let add = &doc["serviceDefinitions"]["Add"];
        assert_eq!(
            add["Inputs"]["fieldDefinitions"]["a"]["baseType"],
            "INTEGER"
        );
        assert_eq!(add["Inputs"]["fieldDefinitions"]["b"]["ordinal"], 1);
        assert_eq!(add["Outputs"]["baseType"], "NUMBER");
        assert_eq!(
            doc["serviceDefinitions"]["Other"]["Outputs"]["baseType"],
            "NOTHING"
        );
        assert_eq!(
            doc["eventDefinitions"]["Fault"]["EventData"]["fieldDefinitions"]["message"]
                ["baseType"],
            "STRING"
        );
        assert_eq!(doc["isSystemObject"], false);
        assert_eq!(doc["description"], "");
    }

    #[test]
    fn names_are_escaped_and_numbers_are_json() {
        let odd = "a \"quoted\" \\ name\n\u{1}é";
        let mut declared = Declared::default();
        let mut field = FieldDefinition::new(odd, BaseType::String);
        field.description = "tab\there".into();
        declared.events.insert(odd.into(), vec![field]);
        let t = document(
            odd,
            &[
                Property {
                    name: odd,
                    base_type: None,
                    rule: PushRule::new(PushType::Deadband).with_threshold(1e-7),
                },
                Property {
                    name: "nan",
                    base_type: Some(BaseType::Number),
                    rule: PushRule::new(PushType::Value).with_threshold(f64::NAN),
                },
            ],
            &[],
            Some(&declared),
        );
        let Some(Value::String(BaseType::Json, text)) = t.first("result") else {
            panic!("no JSON result: {t:?}");
        };
        let doc: serde_json::Value = serde_json::from_slice(text.as_bytes())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text.to_str_lossy()));
        assert_eq!(doc["name"], odd);
        let prop = &doc["propertyDefinitions"][odd];
        assert_eq!(prop["name"], odd);
        assert!(prop.get("baseType").is_none(), "unknown type: no baseType");
        assert_eq!(prop["aspects"]["pushType"], "DEADBAND");
        assert_eq!(prop["aspects"]["pushThreshold"], 1e-7);
        assert!(doc["propertyDefinitions"]["nan"]["aspects"]["pushThreshold"].is_null());
        let field = &doc["eventDefinitions"][odd]["EventData"]["fieldDefinitions"][odd];
        assert_eq!(field["ordinal"], 0);
        assert_eq!(field["description"], "tab\there");
        assert_eq!(doc["serviceDefinitions"], serde_json::json!({}));
    }
}
