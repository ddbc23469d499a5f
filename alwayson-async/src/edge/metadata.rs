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
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

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

fn fields(defs: &[FieldDefinition]) -> Json {
    let map: Map<String, Json> = defs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = f.name.to_str_lossy().into_owned();
            let def = json!({
                "name": name,
                "description": f.description.to_str_lossy(),
                "baseType": f.base_type.name(),
                "ordinal": i,
                "aspects": {},
            });
            (name, def)
        })
        .collect();
    json!({ "fieldDefinitions": map })
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
    let props: Map<String, Json> = properties
        .iter()
        .map(|p| {
            let mut def = json!({
                "name": p.name,
                "description": "",
                "aspects": {
                    "pushType": p.rule.push_type.as_str(),
                    "pushThreshold": p.rule.threshold,
                },
            });
            if let Some(t) = p.base_type {
                def["baseType"] = t.name().into();
            }
            (p.name.to_owned(), def)
        })
        .collect();
    let mut names: Vec<&str> = services.to_vec();
    if let Some(d) = declared {
        names.extend(d.services.keys().map(String::as_str));
    }
    names.sort_unstable();
    names.dedup();
    let services: Map<String, Json> = names
        .into_iter()
        .map(|name| {
            let (inputs, output) = declared
                .and_then(|d| d.services.get(name))
                .map_or((&[][..], BaseType::Nothing), |(i, o)| (i.as_slice(), *o));
            let def = json!({
                "name": name,
                "description": "",
                "Inputs": fields(inputs),
                "Outputs": {
                    "name": "result",
                    "description": "",
                    "baseType": output.name(),
                    "fieldDefinitions": {},
                    "aspects": {},
                },
                "aspects": {},
            });
            (name.to_owned(), def)
        })
        .collect();
    let events: Map<String, Json> = declared
        .map(|d| {
            d.events
                .iter()
                .map(|(name, data)| {
                    let def = json!({
                        "name": name,
                        "description": "",
                        "EventData": fields(data),
                        "aspects": {},
                    });
                    (name.clone(), def)
                })
                .collect()
        })
        .unwrap_or_default();
    let doc = json!({
        "name": thing,
        "description": "",
        "isSystemObject": false,
        "propertyDefinitions": props,
        "serviceDefinitions": services,
        "eventDefinitions": events,
    });
    InfoTable::single("result", Value::json(doc.to_string()))
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
        let doc: Json = serde_json::from_slice(text.as_bytes()).unwrap();
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
    }
}
