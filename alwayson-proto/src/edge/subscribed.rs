//! Subscribed properties (sans-IO): the platform's push rules decide which values set on the
//! edge are queued, and queued values go out as `UpdateSubscribedPropertyValues` requests
//! that each stay under the negotiated maximum message size (session-lifecycle.md §13).
//!
//! * **Rules** ([`PushType`]): `ALWAYS` queues every value; `NEVER` none; `VALUE` the first
//!   value, then for NUMBER/INTEGER a change from the *last value set* strictly beyond
//!   `pushThreshold`, for other types any change (not the SDK's inverted comparison,
//!   sdk-quirks.md Q36); `DEADBAND` like `VALUE` but measured from the *last value queued*,
//!   so a slow drift is pushed once it adds up; `ON` truthy values only, `OFF` falsy ones
//!   (true, a non-zero number, a non-empty string are truthy).
//! * **Folding** (per property, optional): a new queued value replaces the one still
//!   waiting, so only the latest goes out.
//! * **Refresh:** [`SubscribedProperties::refresh`] reads the rows of a
//!   `GetPropertySubscriptions` answer (`edgeName`, `pushType`, `pushThreshold`); ask for
//!   it after BIND and whenever the platform calls `NotifyPropertyUpdate`
//!   ([`is_notify_property_update`], answered SUCCESS).

use crate::codec::{Body, Header, InfoTable, Message, Request, Value, WireString};
use crate::conventions::PropertyUpdate;
use std::collections::{BTreeMap, HashMap};

/// Name of the service the platform calls when a thing's subscriptions changed.
pub const NOTIFY_PROPERTY_UPDATE: &str = "NotifyPropertyUpdate";
/// Name of the service the edge calls to read its things' push rules.
pub const GET_PROPERTY_SUBSCRIPTIONS: &str = "GetPropertySubscriptions";

/// When a property's new value is queued for the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PushType {
    /// Every value.
    Always,
    /// No value.
    Never,
    /// A change from the last value set (beyond the threshold for numbers).
    #[default]
    Value,
    /// Truthy values only.
    On,
    /// Falsy values only.
    Off,
    /// A change from the last value queued beyond the threshold.
    Deadband,
}

impl PushType {
    /// Parses the platform's spelling (`ALWAYS`, `NEVER`, `VALUE`, `ON`, `OFF`, `DEADBAND`,
    /// any case).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ALWAYS" => PushType::Always,
            "NEVER" => PushType::Never,
            "VALUE" => PushType::Value,
            "ON" => PushType::On,
            "OFF" => PushType::Off,
            "DEADBAND" => PushType::Deadband,
            _ => return None,
        })
    }

    /// The platform's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PushType::Always => "ALWAYS",
            PushType::Never => "NEVER",
            PushType::Value => "VALUE",
            PushType::On => "ON",
            PushType::Off => "OFF",
            PushType::Deadband => "DEADBAND",
        }
    }
}

impl std::fmt::Display for PushType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A push type name that is none of `ALWAYS`, `NEVER`, `VALUE`, `ON`, `OFF`, `DEADBAND`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown push type {0:?} (ALWAYS, NEVER, VALUE, ON, OFF, DEADBAND)")]
pub struct UnknownPushType(pub String);

impl std::str::FromStr for PushType {
    type Err = UnknownPushType;

    /// [`PushType::parse`], with the refused text in the error.
    fn from_str(s: &str) -> Result<Self, UnknownPushType> {
        Self::parse(s).ok_or_else(|| UnknownPushType(s.to_owned()))
    }
}

/// A property's push rule.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct PushRule {
    /// When to queue.
    pub push_type: PushType,
    /// Threshold for `VALUE`/`DEADBAND` on numbers (strictly exceeded).
    pub threshold: f64,
    /// Keep only the latest queued value.
    pub fold: bool,
}

impl PushRule {
    /// A rule of this type, threshold 0, no folding.
    pub fn new(push_type: PushType) -> Self {
        PushRule {
            push_type,
            ..Default::default()
        }
    }

    /// This rule with a threshold.
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// This rule with folding on or off.
    pub fn with_fold(mut self, fold: bool) -> Self {
        self.fold = fold;
        self
    }
}

/// Why a value was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The property was never declared for this thing.
    #[error("{thing}: unknown subscribed property {property:?}")]
    UnknownProperty {
        /// Thing name.
        thing: String,
        /// Property name.
        property: String,
    },
    /// The value's base type is not the property's.
    #[error("{thing}.{property} is {expected:?}, the value is {got:?}")]
    WrongBaseType {
        /// Thing name.
        thing: String,
        /// Property name.
        property: String,
        /// The property's base type.
        expected: crate::codec::BaseType,
        /// The value's base type.
        got: crate::codec::BaseType,
    },
}

#[derive(Debug, Clone, Default)]
struct Prop {
    rule: PushRule,
    last_set: Option<Value>,
    last_queued: Option<Value>,
}

/// Things' subscribed properties: rules, last values, and the queue (bounded: see
/// [`SubscribedProperties::with_limit`]).
#[derive(Debug, Clone)]
pub struct SubscribedProperties {
    props: HashMap<(String, String), Prop>,
    queue: BTreeMap<String, Vec<PropertyUpdate>>,
    queued: usize,
    limit: usize,
    dropped: u64,
}

impl Default for SubscribedProperties {
    fn default() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(i) => Some(f64::from(*i)),
        Value::Variant(inner) => number(&inner.value()),
        _ => None,
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Boolean(b) => *b,
        Value::Number(n) => *n != 0.0,
        Value::Integer(i) => *i != 0,
        Value::String(_, s) => !s.is_empty(),
        Value::Variant(inner) => truthy(&inner.value()),
        Value::Nothing => false,
        _ => true,
    }
}

fn changed(rule: &PushRule, from: Option<&Value>, to: &Value) -> bool {
    let Some(from) = from else {
        return true; // the first value always goes
    };
    match (number(from), number(to)) {
        (Some(a), Some(b)) => (b - a).abs() > rule.threshold,
        _ => from != to,
    }
}

impl SubscribedProperties {
    /// Default most values queued at once.
    pub const DEFAULT_LIMIT: usize = 100_000;

    /// No properties; at most [`SubscribedProperties::DEFAULT_LIMIT`] values queued.
    pub fn new() -> Self {
        Self::default()
    }

    /// No properties; at most `limit` values queued (at least 1): a value queued beyond it
    /// drops the oldest queued value of the same thing (of the first thing by name if that
    /// one has none), counted in [`SubscribedProperties::dropped`].
    pub fn with_limit(limit: usize) -> Self {
        Self {
            props: HashMap::new(),
            queue: BTreeMap::new(),
            queued: 0,
            limit: limit.max(1),
            dropped: 0,
        }
    }

    /// Queued values dropped so far to stay within the limit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Declares (or re-declares) a property with its rule. Its last values are kept.
    pub fn declare(&mut self, thing: &str, property: &str, rule: PushRule) {
        self.props
            .entry((thing.to_owned(), property.to_owned()))
            .or_default()
            .rule = rule;
    }

    /// A property's rule.
    pub fn rule(&self, thing: &str, property: &str) -> Option<PushRule> {
        self.props
            .get(&(thing.to_owned(), property.to_owned()))
            .map(|p| p.rule)
    }

    /// Records a value; returns whether it was queued by the property's rule.
    pub fn set(&mut self, thing: &str, update: PropertyUpdate) -> Result<bool, PushError> {
        let property = update.name.to_str_lossy().into_owned();
        let Some(p) = self.props.get_mut(&(thing.to_owned(), property.clone())) else {
            return Err(PushError::UnknownProperty {
                thing: thing.to_owned(),
                property,
            });
        };
        let rule = p.rule;
        let queue = match rule.push_type {
            PushType::Always => true,
            PushType::Never => false,
            PushType::Value => changed(&rule, p.last_set.as_ref(), &update.value),
            PushType::Deadband => changed(&rule, p.last_queued.as_ref(), &update.value),
            PushType::On => truthy(&update.value),
            PushType::Off => !truthy(&update.value),
        };
        p.last_set = Some(update.value.clone());
        if queue {
            p.last_queued = Some(update.value.clone());
            let q = self.queue.entry(thing.to_owned()).or_default();
            if rule.fold {
                let before = q.len();
                q.retain(|u| u.name != update.name);
                self.queued -= before - q.len();
            }
            if self.queued >= self.limit {
                let victim = if q.is_empty() {
                    self.queue.values_mut().find(|v| !v.is_empty())
                } else {
                    Some(q)
                };
                if let Some(v) = victim {
                    v.remove(0);
                    self.queued -= 1;
                    self.dropped += 1;
                }
            }
            self.queue.entry(thing.to_owned()).or_default().push(update);
            self.queued += 1;
        }
        Ok(queue)
    }

    /// Queued values of `thing`, oldest first.
    pub fn queued(&self, thing: &str) -> &[PropertyUpdate] {
        self.queue.get(thing).map_or(&[], Vec::as_slice)
    }

    /// Takes every queued value as `UpdateSubscribedPropertyValues` requests, per thing,
    /// in order, each encoded at most `max_message_size` bytes (a single value larger than
    /// that goes alone: the session then refuses it as too large, which the caller sees).
    pub fn take_requests(&mut self, max_message_size: usize) -> Vec<Request> {
        let things: Vec<String> = self.queue.keys().cloned().collect();
        things
            .iter()
            .flat_map(|t| self.take_thing_requests(t, max_message_size))
            .collect()
    }

    /// Things with queued values, by name.
    pub fn queued_things(&self) -> impl Iterator<Item = &str> + '_ {
        self.queue.keys().map(String::as_str)
    }

    /// How many values are queued, over every thing.
    pub fn queued_len(&self) -> usize {
        self.queued
    }

    /// [`SubscribedProperties::take_requests`] for one thing (its values stay queued
    /// otherwise).
    pub fn take_thing_requests(&mut self, thing: &str, max_message_size: usize) -> Vec<Request> {
        let mut out = Vec::new();
        let updates = self.queue.remove(thing).unwrap_or_default();
        self.queued -= updates.len();
        let mut batch: Vec<PropertyUpdate> = Vec::new();
        for u in updates {
            batch.push(u);
            if batch.len() > 1 && encoded_len(thing, &batch) > max_message_size {
                let last = batch.pop().into_iter();
                out.push(Request::push_properties(thing, &batch));
                batch = last.collect();
            }
        }
        if !batch.is_empty() {
            out.push(Request::push_properties(thing, &batch));
        }
        out
    }

    /// Applies the rows of a `GetPropertySubscriptions` answer for `thing`: `edgeName`,
    /// `pushType`, `pushThreshold`. Rows naming undeclared properties declare them; rows
    /// with an unknown push type are skipped. Returns how many rules were set.
    pub fn refresh(&mut self, thing: &str, table: &InfoTable) -> usize {
        let mut n = 0;
        for row in 0..table.row_count() {
            let Some(Value::String(_, name)) = table.get(row, "edgeName") else {
                continue;
            };
            let Some(Value::String(_, push)) = table.get(row, "pushType") else {
                continue;
            };
            let Some(push_type) = PushType::parse(&push.to_str_lossy()) else {
                continue;
            };
            let threshold = table
                .get(row, "pushThreshold")
                .and_then(number)
                .unwrap_or(0.0);
            let key = (thing.to_owned(), name.to_str_lossy().into_owned());
            let p = self.props.entry(key).or_default();
            p.rule.push_type = push_type;
            p.rule.threshold = threshold;
            n += 1;
        }
        n
    }
}

fn encoded_len(thing: &str, batch: &[PropertyUpdate]) -> usize {
    Message {
        header: Header::new(0, 0),
        body: Body::Request(Request::push_properties(thing, batch)),
    }
    .encoded_len()
    .unwrap_or(usize::MAX)
}

/// Whether a platform request is `NotifyPropertyUpdate` (answer SUCCESS, then ask
/// [`get_property_subscriptions`] for the thing).
pub fn is_notify_property_update(request: &Request) -> bool {
    request.characteristic == crate::codec::Characteristic::Services
        && request.characteristic_name == *NOTIFY_PROPERTY_UPDATE
}

/// The `GetPropertySubscriptions` request for `thing`.
pub fn get_property_subscriptions(thing: impl Into<WireString>) -> Request {
    Request::invoke_service(
        thing,
        WireString::from_static(GET_PROPERTY_SUBSCRIPTIONS),
        None,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::{BaseType, FieldDefinition};

    fn u(name: &str, v: Value) -> PropertyUpdate {
        PropertyUpdate::new(name, v, 0)
    }

    fn run(rule: PushRule, values: &[Value]) -> Vec<bool> {
        let mut s = SubscribedProperties::new();
        s.declare("T", "p", rule);
        values
            .iter()
            .map(|v| s.set("T", u("p", v.clone())).unwrap())
            .collect()
    }

    #[test]
    fn always_and_never() {
        let v = [Value::from(1), Value::from(1)];
        assert_eq!(run(PushRule::new(PushType::Always), &v), [true, true]);
        assert_eq!(run(PushRule::new(PushType::Never), &v), [false, false]);
    }

    #[test]
    fn value_on_numbers_is_strictly_beyond_the_threshold_from_the_last_value_set() {
        let rule = PushRule::new(PushType::Value).with_threshold(1.0);
        let v = [1.0, 2.0, 2.5, 3.6, 3.0].map(Value::from);
        // first; |2-1| = 1 not > 1; |2.5-2| no; |3.6-2.5| > 1; |3-3.6| no.
        assert_eq!(run(rule, &v), [true, false, false, true, false]);
    }

    #[test]
    fn value_on_other_types_is_any_change_not_the_inverted_sdk_rule() {
        let rule = PushRule::new(PushType::Value);
        let v = ["a", "a", "b", "b"].map(Value::from);
        assert_eq!(run(rule, &v), [true, false, true, false]);
    }

    #[test]
    fn deadband_accumulates_a_slow_drift_from_the_last_value_queued() {
        let rule = PushRule::new(PushType::Deadband).with_threshold(1.0);
        let v = [0.0, 0.6, 1.2, 1.5, 2.3].map(Value::from);
        assert_eq!(run(rule, &v), [true, false, true, false, true]);
        // VALUE with the same input never sees a step beyond 1.
        let value = PushRule::new(PushType::Value).with_threshold(1.0);
        assert_eq!(run(value, &v), [true, false, false, false, false]);
    }

    #[test]
    fn on_and_off_take_truthy_and_falsy_values() {
        let v = [
            Value::from(true),
            Value::from(false),
            Value::from(0),
            Value::from(3),
            Value::from(""),
        ];
        assert_eq!(
            run(PushRule::new(PushType::On), &v),
            [true, false, false, true, false]
        );
        assert_eq!(
            run(PushRule::new(PushType::Off), &v),
            [false, true, true, false, true]
        );
    }

    #[test]
    fn folding_keeps_only_the_latest_queued_value_per_property() {
        let mut s = SubscribedProperties::new();
        s.declare("T", "a", PushRule::new(PushType::Always).with_fold(true));
        s.declare("T", "b", PushRule::new(PushType::Always));
        for i in 0..3 {
            s.set("T", u("a", Value::from(i))).unwrap();
            s.set("T", u("b", Value::from(i))).unwrap();
        }
        let q: Vec<(String, Value)> = s
            .queued("T")
            .iter()
            .map(|u| (u.name.to_string(), u.value.clone()))
            .collect();
        assert_eq!(
            q,
            [
                ("b".into(), Value::from(0)),
                ("b".into(), Value::from(1)),
                ("a".into(), Value::from(2)),
                ("b".into(), Value::from(2)),
            ]
        );
    }

    #[test]
    fn the_queue_is_bounded_and_drops_the_oldest_counted() {
        let mut s = SubscribedProperties::with_limit(3);
        s.declare("T", "p", PushRule::new(PushType::Always));
        s.declare("U", "q", PushRule::new(PushType::Always));
        for i in 0..5 {
            assert!(s.set("T", u("p", Value::from(i))).unwrap());
        }
        assert_eq!((s.queued_len(), s.dropped()), (3, 2));
        let kept: Vec<Value> = s.queued("T").iter().map(|u| u.value.clone()).collect();
        assert_eq!(kept, [2, 3, 4].map(Value::from));
        // U has nothing queued: the first thing's oldest makes room.
        s.set("U", u("q", Value::from(9))).unwrap();
        assert_eq!((s.queued_len(), s.dropped()), (3, 3));
        assert_eq!(s.queued("T").len(), 2);
        assert_eq!(s.take_thing_requests("T", 1 << 20).len(), 1);
        assert_eq!(s.queued_len(), 1);
        assert_eq!(s.take_requests(1 << 20).len(), 1);
        assert_eq!(s.queued_len(), 0);
    }

    #[test]
    fn unknown_property_is_an_error() {
        let mut s = SubscribedProperties::new();
        assert!(matches!(
            s.set("T", u("x", Value::from(1))),
            Err(PushError::UnknownProperty { .. })
        ));
    }

    #[test]
    fn batches_stay_under_the_size_limit_and_keep_order() {
        let mut s = SubscribedProperties::new();
        s.declare("T", "p", PushRule::new(PushType::Always));
        for i in 0..200 {
            s.set("T", u("p", Value::from(i))).unwrap();
        }
        let limit = 1000;
        let reqs = s.take_requests(limit);
        assert!(reqs.len() > 1);
        let mut seen = Vec::new();
        for r in &reqs {
            let len = Message {
                header: Header::new(0, 0),
                body: Body::Request(r.clone()),
            }
            .encoded_len()
            .unwrap();
            assert!(len <= limit, "{len}");
            seen.extend(r.property_updates().unwrap().into_iter().map(|u| u.value));
        }
        assert_eq!(seen, (0..200).map(Value::from).collect::<Vec<_>>());
        assert!(s.take_requests(limit).is_empty(), "the queue was taken");
    }

    #[test]
    fn refresh_reads_get_property_subscriptions_rows() {
        let mut t = InfoTable::with_fields(vec![
            FieldDefinition::new("edgeName", BaseType::String),
            FieldDefinition::new("pushType", BaseType::String),
            FieldDefinition::new("pushThreshold", BaseType::Number),
        ]);
        t.push_row(vec![
            Value::from("p"),
            Value::from("NEVER"),
            Value::from(0.0),
        ]);
        t.push_row(vec![
            Value::from("q"),
            Value::from("value"),
            Value::from(2.5),
        ]);
        t.push_row(vec![
            Value::from("r"),
            Value::from("SOMETIMES"),
            Value::from(0.0),
        ]);
        let mut s = SubscribedProperties::new();
        s.declare("T", "p", PushRule::new(PushType::Always));
        assert_eq!(s.refresh("T", &t), 2);
        assert_eq!(s.rule("T", "p").unwrap().push_type, PushType::Never);
        assert_eq!(
            s.rule("T", "q").unwrap(),
            PushRule::new(PushType::Value).with_threshold(2.5)
        );
        assert_eq!(s.rule("T", "r"), None);
        assert!(!s.set("T", u("p", Value::from(1))).unwrap(), "now NEVER");
    }

    #[test]
    fn notify_property_update_is_recognised() {
        let r = Request::invoke_service("T", NOTIFY_PROPERTY_UPDATE, None);
        assert!(is_notify_property_update(&r));
        assert!(!is_notify_property_update(&get_property_subscriptions("T")));
    }
}
