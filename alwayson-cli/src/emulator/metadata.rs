//! A thing's metadata as its edge declares it through the built-in `GetMetadata` service
//! (session-lifecycle.md §10, base-types.md §4.6): one JSON document with
//! `propertyDefinitions`, `serviceDefinitions` and `eventDefinitions`. The emulator keeps the
//! document as sent (shown at `GET …/Metadata`) and the base types it declares (used to type
//! REST inputs and outputs).
//!
//! Read leniently: a definition without a known `baseType` is kept untyped; service inputs
//! are read from `Inputs` (or `inputs`, `parameterDefinitions`) as `{"fieldDefinitions":
//! {…}}` or a plain map of field definitions; outputs from `Outputs` (or `outputs`,
//! `resultType`); event data from `EventData` (or `eventData`, `dataShape`).

use super::subscriptions::{threshold, PushRule};
use alwayson_proto::BaseType;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// A declared property.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDefinition {
    /// Declared base type.
    pub base_type: Option<BaseType>,
    /// The edge's declared push rule (aspects `pushType`, `pushThreshold`).
    pub rule: Option<PushRule>,
}

/// A declared service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDefinition {
    /// Input parameters and their base types, in declared order.
    pub inputs: Vec<(String, Option<BaseType>)>,
    /// The base type of the result (field `result`).
    pub output: Option<BaseType>,
}

/// A declared event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDefinition {
    /// The fields of the event data and their base types.
    pub fields: Vec<(String, Option<BaseType>)>,
}

/// What `GetMetadata` declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The document as the edge sent it.
    pub document: Json,
    /// Declared properties by name.
    pub properties: BTreeMap<String, PropertyDefinition>,
    /// Declared services by name.
    pub services: BTreeMap<String, ServiceDefinition>,
    /// Declared events by name.
    pub events: BTreeMap<String, EventDefinition>,
}

fn base_type(def: &Json) -> Option<BaseType> {
    BaseType::from_name(def.get("baseType")?.as_str()?)
}

fn fields(shape: Option<&Json>) -> Vec<(String, Option<BaseType>)> {
    let Some(Json::Object(m)) = shape else {
        return Vec::new();
    };
    let defs: &Map<String, Json> = match m.get("fieldDefinitions") {
        Some(Json::Object(d)) => d,
        _ => m,
    };
    defs.iter()
        .filter(|(_, d)| d.is_object())
        .map(|(k, d)| (k.clone(), base_type(d)))
        .collect()
}

fn first<'a>(def: &'a Json, keys: &[&str]) -> Option<&'a Json> {
    keys.iter().find_map(|k| def.get(*k))
}

fn objects(doc: &Json, key: &str) -> Vec<(String, Json)> {
    match doc.get(key) {
        Some(Json::Object(m)) => m
            .iter()
            .filter(|(_, d)| d.is_object())
            .map(|(k, d)| (k.clone(), d.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

impl Metadata {
    /// Reads a `GetMetadata` document; `None` if it is not a JSON object.
    pub fn from_json(document: Json) -> Option<Self> {
        if !document.is_object() {
            return None;
        }
        let properties = objects(&document, "propertyDefinitions")
            .into_iter()
            .map(|(name, d)| {
                let aspects = d.get("aspects");
                let push_type = aspects
                    .and_then(|a| a.get("pushType"))
                    .and_then(Json::as_str)
                    .and_then(|s| s.parse().ok());
                let threshold = aspects
                    .and_then(|a| a.get("pushThreshold"))
                    .and_then(|t| t.as_f64().or_else(|| t.as_str()?.parse().ok()))
                    .and_then(threshold)
                    .unwrap_or(0.0);
                let def = PropertyDefinition {
                    base_type: base_type(&d),
                    rule: push_type.map(|t| PushRule::new(t).with_threshold(threshold)),
                };
                (name, def)
            })
            .collect();
        let services = objects(&document, "serviceDefinitions")
            .into_iter()
            .map(|(name, d)| {
                let def = ServiceDefinition {
                    inputs: fields(first(&d, &["Inputs", "inputs", "parameterDefinitions"])),
                    output: first(&d, &["Outputs", "outputs", "resultType"]).and_then(base_type),
                };
                (name, def)
            })
            .collect();
        let events = objects(&document, "eventDefinitions")
            .into_iter()
            .map(|(name, d)| {
                let def = EventDefinition {
                    fields: fields(first(&d, &["EventData", "eventData", "dataShape"])),
                };
                (name, def)
            })
            .collect();
        Some(Self {
            document,
            properties,
            services,
            events,
        })
    }

    /// The declared base type of a property.
    pub fn property_type(&self, property: &str) -> Option<BaseType> {
        self.properties.get(property)?.base_type
    }

    /// The declared push rule of a property.
    pub fn declared_rule(&self, property: &str) -> Option<PushRule> {
        self.properties.get(property)?.rule
    }

    /// The declared base type of a service input.
    pub fn input_type(&self, service: &str, input: &str) -> Option<BaseType> {
        self.services
            .get(service)?
            .inputs
            .iter()
            .find(|(n, _)| n == input)?
            .1
    }

    /// The declared base type of a service's result.
    pub fn output_type(&self, service: &str) -> Option<BaseType> {
        self.services.get(service)?.output
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::emulator::subscriptions::PushType;
    use serde_json::json;

    #[test]
    fn reads_an_sdk_document() {
        let m = Metadata::from_json(json!({
            "name": "SteamSensor1", "description": "", "isSystemObject": false,
            "propertyDefinitions": {
                "Temperature": {"name": "Temperature", "baseType": "NUMBER",
                    "aspects": {"pushType": "VALUE", "pushThreshold": 0.5}},
                "Count": {"name": "Count", "baseType": "INTEGER", "aspects": {}},
                "Odd": {"name": "Odd", "baseType": "NOPE"}
            },
            "serviceDefinitions": {
                "ReadFromBinaryFile": {"name": "ReadFromBinaryFile",
                    "Inputs": {"fieldDefinitions": {
                        "count": {"name": "count", "baseType": "INTEGER"},
                        "at": {"name": "at", "baseType": "DATETIME"}}},
                    "Outputs": {"name": "result", "baseType": "BLOB", "aspects": {}}}
            },
            "eventDefinitions": {
                "SteamSensorFault": {"name": "SteamSensorFault",
                    "EventData": {"fieldDefinitions": {"message": {"baseType": "STRING"}}}}
            }
        }))
        .unwrap();
        assert_eq!(m.property_type("Count"), Some(BaseType::Integer));
        assert_eq!(m.property_type("Odd"), None);
        assert_eq!(
            m.declared_rule("Temperature"),
            Some(PushRule::new(PushType::Value).with_threshold(0.5))
        );
        assert_eq!(
            m.input_type("ReadFromBinaryFile", "count"),
            Some(BaseType::Integer)
        );
        assert_eq!(m.output_type("ReadFromBinaryFile"), Some(BaseType::Blob));
        assert_eq!(
            m.events["SteamSensorFault"].fields,
            vec![("message".to_owned(), Some(BaseType::String))]
        );
        assert!(Metadata::from_json(json!([1])).is_none());
        // an empty object is valid: nothing declared
        assert!(Metadata::from_json(json!({}))
            .unwrap()
            .properties
            .is_empty());
    }
}
