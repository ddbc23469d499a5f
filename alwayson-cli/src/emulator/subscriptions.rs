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

/// A property's push rule and its push types: alwayson-proto's, the ones the edge's
/// subscribed properties apply (the emulator never sets `fold`).
pub use alwayson_proto::edge::{PushRule, PushType};

/// `t` when it is a valid push threshold (finite, ≥ 0): the one check of every threshold
/// the emulator and the `alwayson edge` command take (flags, REST, declared metadata).
pub fn threshold(t: f64) -> Option<f64> {
    (t.is_finite() && t >= 0.0).then_some(t)
}

/// A rule as the command line spells it: `TYPE[,THRESHOLD]` (`:` also separates the
/// threshold), TYPE one of ALWAYS, NEVER, VALUE, ON, OFF, DEADBAND in any case, THRESHOLD
/// a number ≥ 0 (default 0).
pub fn parse_rule(text: &str) -> Result<PushRule, String> {
    let (push_type, th) = match text.split_once([',', ':']) {
        Some((t, th)) => (t, Some(th)),
        None => (text, None),
    };
    let push_type: PushType = push_type.trim().parse().map_err(|e| format!("{e}"))?;
    let threshold = match th {
        None => 0.0,
        Some(th) => th
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(threshold)
            .ok_or("the threshold must be a number ≥ 0")?,
    };
    Ok(PushRule::new(push_type).with_threshold(threshold))
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
        Ok(Self {
            thing: any(thing),
            property: any(property),
            rule: parse_rule(rule).map_err(|e| format!("{s:?}: {e}"))?,
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
            PushRule::new(PushType::Value).with_threshold(1.5),
        )]);
        assert_eq!(t.first("edgeName"), Some(&Value::string("Temp")));
        assert_eq!(t.first("pushType"), Some(&Value::string("VALUE")));
        assert_eq!(t.first("pushThreshold"), Some(&Value::Number(1.5)));
    }
}
