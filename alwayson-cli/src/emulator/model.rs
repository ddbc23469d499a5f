//! The thing model of the emulator: what the platform knows about each thing, independent of
//! whether it is connected. Per thing: the last value-time-quality (VTQ) of every property
//! pushed, written or read, a bounded history per property, the recent events (bounded), the
//! push rules, and the metadata the edge declared (`GetMetadata`).
//!
//! Library users (the live page) watch it through [`ThingModel::subscribe`].

use super::metadata::Metadata;
use super::subscriptions::{PushRule, RuleSpec};
use alwayson_proto::{InfoTable, Value};
use alwayson_rest::{json, typing};
use serde_json::Value as Json;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// What changed in the model, for watchers ([`ThingModel::subscribe`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ModelNotice {
    /// A property value was pushed, written or read.
    PropertyUpdated {
        /// Thing name.
        thing: String,
        /// Property name.
        property: String,
        /// The value as JSON (see `alwayson_rest::json`).
        value: Json,
        /// Its time, ms since the Unix epoch.
        time_ms: i64,
        /// Its quality (`GOOD`, …).
        quality: String,
    },
    /// An edge fired an event.
    EventReceived {
        /// Thing name.
        thing: String,
        /// Event name.
        event: String,
        /// When it arrived, ms since the Unix epoch.
        time_ms: i64,
        /// The event data as InfoTable JSON.
        data: Json,
    },
    /// The thing's metadata was loaded (after BIND, from `GetMetadata`).
    MetadataLoaded {
        /// Thing name.
        thing: String,
    },
}

/// A value with its time and quality.
#[derive(Debug, Clone, PartialEq)]
pub struct Vtq {
    /// The value.
    pub value: Value,
    /// Its time, ms since the Unix epoch.
    pub time_ms: i64,
    /// Its quality (`GOOD`, …).
    pub quality: String,
}

impl Vtq {
    /// A value of quality `GOOD`.
    pub fn good(value: Value, time_ms: i64) -> Self {
        Self {
            value,
            time_ms,
            quality: alwayson_proto::conventions::QUALITY_GOOD.to_owned(),
        }
    }
}

/// How a value reached the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The edge sent it (`UpdateSubscribedPropertyValues` or a property PUT from the edge):
    /// the edge keeps the platform informed, so reads are answered from the model.
    Pushed,
    /// The platform wrote it to the edge, or read it from the edge.
    Platform,
}

/// An event an edge fired.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// Event name.
    pub name: String,
    /// When it arrived, ms since the Unix epoch.
    pub time_ms: i64,
    /// The event data.
    pub data: InfoTable,
}

/// Bounds of the model (every allocation an edge can cause is bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModelLimits {
    /// Things kept (new things beyond this are not recorded).
    pub things: usize,
    /// Properties kept per thing.
    pub properties_per_thing: usize,
    /// History entries kept per property (oldest dropped first).
    pub history_per_property: usize,
    /// Events kept per thing (oldest dropped first).
    pub events_per_thing: usize,
}

impl Default for ModelLimits {
    fn default() -> Self {
        Self {
            things: 10_000,
            properties_per_thing: 1_000,
            history_per_property: 1_000,
            events_per_thing: 200,
        }
    }
}

#[derive(Debug, Default)]
struct PropertyState {
    last: Option<Vtq>,
    history: VecDeque<Vtq>,
    pushed: bool,
    /// A rule set for this property by REST.
    rule: Option<PushRule>,
}

#[derive(Debug, Default)]
struct ThingState {
    properties: BTreeMap<String, PropertyState>,
    events: VecDeque<EventRecord>,
    metadata: Option<Arc<Metadata>>,
}

#[derive(Debug, Default)]
struct Inner {
    things: BTreeMap<String, ThingState>,
    /// Rules from the command line, in order (the last match wins).
    rule_specs: Vec<RuleSpec>,
}

/// The platform's model of its things. Cheap to clone: clones share the same state.
#[derive(Debug, Clone)]
pub struct ThingModel {
    inner: Arc<Mutex<Inner>>,
    notices: broadcast::Sender<ModelNotice>,
    limits: Arc<ModelLimits>,
}

impl Default for ThingModel {
    fn default() -> Self {
        Self::new(ModelLimits::default())
    }
}

impl ThingModel {
    /// An empty model with these bounds.
    pub fn new(limits: ModelLimits) -> Self {
        Self {
            inner: Arc::default(),
            notices: broadcast::channel(1024).0,
            limits: Arc::new(limits),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notices of every change from now on (a slow receiver lags; it does not block).
    pub fn subscribe(&self) -> broadcast::Receiver<ModelNotice> {
        self.notices.subscribe()
    }

    fn notify(&self, n: ModelNotice) {
        let _ = self.notices.send(n);
    }

    /// Push rules from the command line (`--push-rule`); the last matching spec wins.
    pub fn set_rule_specs(&self, specs: Vec<RuleSpec>) {
        self.lock().rule_specs = specs;
    }

    fn thing_mut<'a>(&self, inner: &'a mut Inner, thing: &str) -> Option<&'a mut ThingState> {
        if !inner.things.contains_key(thing) {
            if inner.things.len() >= self.limits.things {
                tracing::warn!(
                    "thing {thing} not recorded: the model holds {} things",
                    self.limits.things
                );
                return None;
            }
            inner.things.insert(thing.to_owned(), ThingState::default());
        }
        inner.things.get_mut(thing)
    }

    fn property_mut<'a>(
        &self,
        t: &'a mut ThingState,
        thing: &str,
        property: &str,
    ) -> Option<&'a mut PropertyState> {
        if !t.properties.contains_key(property) {
            if t.properties.len() >= self.limits.properties_per_thing {
                tracing::warn!(
                    "property {thing}.{property} not recorded: the thing has {} properties",
                    self.limits.properties_per_thing
                );
                return None;
            }
            t.properties
                .insert(property.to_owned(), PropertyState::default());
        }
        t.properties.get_mut(property)
    }

    /// Makes a thing known (on BIND), so it is listed before it sends anything.
    pub fn touch(&self, thing: &str) {
        let mut inner = self.lock();
        let _ = self.thing_mut(&mut inner, thing);
    }

    /// Records a property value. The value is converted to the declared type when the thing's
    /// metadata declares one (an INTEGER pushed as NUMBER 77.0 is stored as 77).
    pub fn record(&self, thing: &str, property: &str, vtq: Vtq, source: Source) {
        let stored = {
            let mut inner = self.lock();
            let history = self.limits.history_per_property;
            let Some(t) = self.thing_mut(&mut inner, thing) else {
                return;
            };
            let declared = t.metadata.as_ref().and_then(|m| m.property_type(property));
            let Some(p) = self.property_mut(t, thing, property) else {
                return;
            };
            let mut vtq = vtq;
            vtq.value = match declared {
                Some(bt) => typing::coerce(vtq.value, bt),
                None => match vtq.value {
                    Value::Variant(inner) => inner.into_value(),
                    v => v,
                },
            };
            if source == Source::Pushed {
                p.pushed = true;
            }
            if history > 0 {
                if p.history.len() >= history {
                    p.history.pop_front();
                }
                p.history.push_back(vtq.clone());
            }
            p.last = Some(vtq.clone());
            vtq
        };
        self.notify(ModelNotice::PropertyUpdated {
            thing: thing.to_owned(),
            property: property.to_owned(),
            value: json::value_to_json(&stored.value),
            time_ms: stored.time_ms,
            quality: stored.quality,
        });
    }

    /// Records an event an edge fired.
    pub fn record_event(&self, thing: &str, event: &str, time_ms: i64, data: InfoTable) {
        let notice = ModelNotice::EventReceived {
            thing: thing.to_owned(),
            event: event.to_owned(),
            time_ms,
            data: json::infotable_to_json(&data),
        };
        {
            let mut inner = self.lock();
            let max = self.limits.events_per_thing;
            let Some(t) = self.thing_mut(&mut inner, thing) else {
                return;
            };
            if max == 0 {
                return;
            }
            if t.events.len() >= max {
                t.events.pop_front();
            }
            t.events.push_back(EventRecord {
                name: event.to_owned(),
                time_ms,
                data,
            });
        }
        self.notify(notice);
    }

    /// Stores the thing's metadata; stored values of declared properties are converted to
    /// their declared types.
    pub fn set_metadata(&self, thing: &str, metadata: Metadata) {
        {
            let mut inner = self.lock();
            let Some(t) = self.thing_mut(&mut inner, thing) else {
                return;
            };
            for (name, p) in t.properties.iter_mut() {
                if let Some(bt) = metadata.property_type(name) {
                    for v in p.last.iter_mut().chain(p.history.iter_mut()) {
                        v.value = typing::coerce(v.value.clone(), bt);
                    }
                }
            }
            t.metadata = Some(Arc::new(metadata));
        }
        self.notify(ModelNotice::MetadataLoaded {
            thing: thing.to_owned(),
        });
    }

    /// The thing's metadata, if its edge answered `GetMetadata`.
    pub fn metadata(&self, thing: &str) -> Option<Arc<Metadata>> {
        self.lock().things.get(thing)?.metadata.clone()
    }

    /// Every thing the model knows, sorted.
    pub fn things(&self) -> Vec<String> {
        self.lock().things.keys().cloned().collect()
    }

    /// Whether the model knows the thing.
    pub fn knows(&self, thing: &str) -> bool {
        self.lock().things.contains_key(thing)
    }

    /// The last VTQ of a property.
    pub fn last(&self, thing: &str, property: &str) -> Option<Vtq> {
        self.lock()
            .things
            .get(thing)?
            .properties
            .get(property)?
            .last
            .clone()
    }

    /// Whether the edge pushes (or writes) this property to the platform.
    pub fn is_pushed(&self, thing: &str, property: &str) -> bool {
        self.lock()
            .things
            .get(thing)
            .and_then(|t| t.properties.get(property))
            .is_some_and(|p| p.pushed)
    }

    /// The last VTQ of every property that has one, sorted by name.
    pub fn values(&self, thing: &str) -> Vec<(String, Vtq)> {
        let inner = self.lock();
        let Some(t) = inner.things.get(thing) else {
            return Vec::new();
        };
        t.properties
            .iter()
            .filter_map(|(n, p)| Some((n.clone(), p.last.clone()?)))
            .collect()
    }

    /// The history of one property (or of all when `property` is `None`), oldest first,
    /// as (property, VTQ), ordered by time.
    pub fn history(&self, thing: &str, property: Option<&str>) -> Vec<(String, Vtq)> {
        let inner = self.lock();
        let Some(t) = inner.things.get(thing) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Vtq)> = t
            .properties
            .iter()
            .filter(|(n, _)| property.map_or(true, |p| p == n.as_str()))
            .flat_map(|(n, p)| p.history.iter().map(move |v| (n.clone(), v.clone())))
            .collect();
        out.sort_by_key(|(_, v)| v.time_ms);
        out
    }

    /// The recent events of a thing, oldest first.
    pub fn events(&self, thing: &str) -> Vec<EventRecord> {
        self.lock()
            .things
            .get(thing)
            .map(|t| t.events.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Sets the push rule of a property (REST); the caller tells the edge
    /// (`NotifyPropertyUpdate`).
    pub fn set_rule(&self, thing: &str, property: &str, rule: PushRule) {
        let mut inner = self.lock();
        let Some(t) = self.thing_mut(&mut inner, thing) else {
            return;
        };
        if let Some(p) = self.property_mut(t, thing, property) {
            p.rule = Some(rule);
        }
    }

    /// The push rule of every known property (stored, declared in metadata, or given a rule),
    /// sorted by name: a rule set by REST, else the last matching `--push-rule`, else the
    /// edge's declared `pushType`/`pushThreshold`, else VALUE with threshold 0.
    pub fn rules(&self, thing: &str) -> Vec<(String, PushRule)> {
        let inner = self.lock();
        let Some(t) = inner.things.get(thing) else {
            return Vec::new();
        };
        let mut names: Vec<&str> = t.properties.keys().map(String::as_str).collect();
        if let Some(m) = &t.metadata {
            names.extend(m.properties.keys().map(String::as_str));
        }
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|n| {
                let explicit = t.properties.get(n).and_then(|p| p.rule);
                let rule = explicit
                    .or_else(|| {
                        inner
                            .rule_specs
                            .iter()
                            .rev()
                            .find(|s| s.matches(thing, n))
                            .map(|s| s.rule)
                    })
                    .or_else(|| t.metadata.as_ref().and_then(|m| m.declared_rule(n)))
                    .unwrap_or_default();
                (n.to_owned(), rule)
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::emulator::subscriptions::PushType;

    #[test]
    fn records_vtq_history_and_notices() {
        let m = ThingModel::new(ModelLimits {
            history_per_property: 2,
            ..ModelLimits::default()
        });
        let mut rx = m.subscribe();
        for (i, v) in [1.0, 2.0, 3.0].into_iter().enumerate() {
            m.record(
                "T",
                "p",
                Vtq::good(Value::Number(v), i as i64),
                Source::Pushed,
            );
        }
        assert_eq!(m.last("T", "p").unwrap().value, Value::Number(3.0));
        let h = m.history("T", Some("p"));
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].1.time_ms, 1);
        assert!(m.is_pushed("T", "p"));
        let n = rx.try_recv().unwrap();
        assert_eq!(
            n,
            ModelNotice::PropertyUpdated {
                thing: "T".into(),
                property: "p".into(),
                value: serde_json::json!(1.0),
                time_ms: 0,
                quality: "GOOD".into()
            }
        );
    }

    #[test]
    fn events_are_bounded() {
        let m = ThingModel::new(ModelLimits {
            events_per_thing: 2,
            ..ModelLimits::default()
        });
        for i in 0..5 {
            m.record_event("T", &format!("E{i}"), i, InfoTable::new());
        }
        let e = m.events("T");
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].name, "E4");
    }

    #[test]
    fn limits_on_things_and_properties() {
        let m = ThingModel::new(ModelLimits {
            things: 1,
            properties_per_thing: 1,
            ..ModelLimits::default()
        });
        m.record("A", "p", Vtq::good(Value::Nothing, 0), Source::Pushed);
        m.record("A", "q", Vtq::good(Value::Nothing, 0), Source::Pushed);
        m.record("B", "p", Vtq::good(Value::Nothing, 0), Source::Pushed);
        assert_eq!(m.things(), ["A"]);
        assert_eq!(m.values("A").len(), 1);
    }

    #[test]
    fn rules_default_to_value_and_rest_wins() {
        let m = ThingModel::default();
        m.record("T", "a", Vtq::good(Value::Nothing, 0), Source::Pushed);
        m.record("T", "b", Vtq::good(Value::Nothing, 0), Source::Pushed);
        m.set_rule_specs(vec!["T:b=ALWAYS".parse().unwrap()]);
        m.set_rule("T", "a", PushRule::new(PushType::Never));
        let r = m.rules("T");
        assert_eq!(r[0].1.push_type, PushType::Never);
        assert_eq!(r[1].1.push_type, PushType::Always);
    }
}
