//! Push rules (property subscriptions, session-lifecycle.md §13) and the answers to the
//! edge's `GetPropertySubscriptions` / `GetEventSubscriptions`.
//!
//! The platform decides, per property, how the edge pushes it: `pushType` (ALWAYS, NEVER,
//! VALUE, ON, OFF, DEADBAND) and `pushThreshold`. The default is VALUE with threshold 0. An
//! edge asks with `GetPropertySubscriptions` (the SDK after `NotifyPropertyUpdate`, the Lua
//! Script Resource on its own every 15 s until it succeeds) and reads `edgeName`,
//! `pushType` and `pushThreshold` from each row; the emulator answers one row per known
//! property. When a rule changes, the emulator calls `NotifyPropertyUpdate` on the edge.

use alwayson_proto::{BaseType, FieldDefinition, InfoTable, Value};
use std::str::FromStr;

/// How an edge pushes a property: the protocol's push types, defined once in
/// `alwayson-proto` (the edge's subscribed properties use the same type).
pub use alwayson_proto::edge::PushType;

/// A property's push rule.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PushRule {
    /// How the edge pushes.
    pub push_type: PushType,
    /// The change (VALUE) or deadband (DEADBAND) threshold.
    pub threshold: f64,
}

/// A rule from the command line: `THING:PROPERTY=TYPE[,THRESHOLD]`, where THING and PROPERTY
/// may be `*` (any).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    /// Thing name, or `None` for any.
    pub thing: Option<String>,
    /// Property name, or `None` for any.
    pub property: Option<String>,
    /// The rule.
    pub rule: PushRule,
}

impl RuleSpec {
    /// Whether the spec applies to `thing`.`property`.
    pub fn matches(&self, thing: &str, property: &str) -> bool {
        self.thing.as_deref().map_or(true, |t| t == thing)
            && self.property.as_deref().map_or(true, |p| p == property)
    }
}

impl FromStr for RuleSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || format!("{s:?}: expected THING:PROPERTY=TYPE[,THRESHOLD] (`*` for any)");
        let (target, rule) = s.split_once('=').ok_or_else(usage)?;
        let (thing, property) = target.split_once(':').ok_or_else(usage)?;
        if thing.is_empty() || property.is_empty() {
            return Err(usage());
        }
        let any = |n: &str| (n != "*").then(|| n.to_owned());
        let (push_type, threshold) = match rule.split_once(',') {
            Some((t, th)) => (
                t.trim().parse::<PushType>().map_err(|e| e.to_string())?,
                th.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .ok_or_else(|| format!("{s:?}: threshold must be a number ≥ 0"))?,
            ),
            None => (
                rule.trim().parse::<PushType>().map_err(|e| e.to_string())?,
                0.0,
            ),
        };
        Ok(Self {
            thing: any(thing),
            property: any(property),
            rule: PushRule {
                push_type,
                threshold,
            },
        })
    }
}

/// The answer to `GetPropertySubscriptions`: one row per property, fields `edgeName`
/// (STRING), `pushType` (STRING), `pushThreshold` (NUMBER).
pub fn property_subscriptions_table(rules: &[(String, PushRule)]) -> InfoTable {
    let mut t = InfoTable::with_fields(vec![
        FieldDefinition::new("edgeName", BaseType::String),
        FieldDefinition::new("pushType", BaseType::String),
        FieldDefinition::new("pushThreshold", BaseType::Number),
    ]);
    for (name, rule) in rules {
        t.push_row(vec![
            Value::string(name.as_str()),
            Value::string(rule.push_type.as_str()),
            Value::Number(rule.threshold),
        ]);
    }
    t
}

/// The answer to `GetEventSubscriptions`: one row per known event, field `edgeName` (STRING)
/// (every event is subscribed).
pub fn event_subscriptions_table(events: &[String]) -> InfoTable {
    let mut t = InfoTable::with_fields(vec![FieldDefinition::new("edgeName", BaseType::String)]);
    for name in events {
        t.push_row(vec![Value::string(name.as_str())]);
    }
    t
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_rule_specs() {
        let s: RuleSpec = "SteamSensor1:Temperature=always".parse().unwrap();
        assert_eq!(s.rule.push_type, PushType::Always);
        assert!(s.matches("SteamSensor1", "Temperature"));
        assert!(!s.matches("Other", "Temperature"));
        let s: RuleSpec = "*:*=VALUE,0.5".parse().unwrap();
        assert_eq!(s.rule.threshold, 0.5);
        assert!(s.matches("A", "b"));
        for bad in [
            "x",
            "T=VALUE",
            "T:p=SOMETIMES",
            "T:p=VALUE,-1",
            ":p=VALUE",
            "T:p=VALUE,x",
        ] {
            assert!(bad.parse::<RuleSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn subscription_rows() {
        let t = property_subscriptions_table(&[(
            "Temp".into(),
            PushRule {
                push_type: PushType::Value,
                threshold: 1.5,
            },
        )]);
        assert_eq!(t.first("edgeName"), Some(&Value::string("Temp")));
        assert_eq!(t.first("pushType"), Some(&Value::string("VALUE")));
        assert_eq!(t.first("pushThreshold"), Some(&Value::Number(1.5)));
    }
}
