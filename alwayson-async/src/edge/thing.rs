//! What an edge serves: things with properties (stored, or behind getters/setters) and
//! services.

use super::metadata::{self, Declared};
use crate::store::PropertyStore;
use alwayson_proto::edge::{PushError, PushRule, SubscribedProperties};
use alwayson_proto::thing::{method_not_allowed, not_found, property_response, Action};
use alwayson_proto::{
    BaseType, FieldDefinition, InfoTable, PropertyUpdate, Request, Response, StatusCode, Value,
};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

/// A failure returned by a property getter/setter or a service handler; sent to the
/// platform as a response with this status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    /// Response status.
    pub status: StatusCode,
    /// Reason text (the reference SDK never transmits reasons, sdk-quirks.md Q5).
    pub reason: Option<String>,
}

impl HandlerError {
    /// A failure with this status and reason.
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: Some(reason.into()),
        }
    }

    /// `BAD_REQUEST`.
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }
}

impl From<String> for HandlerError {
    /// `INTERNAL_SERVER_ERROR` with this reason.
    fn from(reason: String) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, reason)
    }
}

impl From<&str> for HandlerError {
    /// `INTERNAL_SERVER_ERROR` with this reason.
    fn from(reason: &str) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, reason)
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(r) = &self.reason {
            write!(f, ": {r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for HandlerError {}

type Getter = Arc<dyn Fn() -> BoxFuture<'static, Result<Value, HandlerError>> + Send + Sync>;
type Setter = Arc<dyn Fn(Value) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync>;
type Service = Arc<
    dyn Fn(Option<InfoTable>) -> BoxFuture<'static, Result<InfoTable, HandlerError>> + Send + Sync,
>;

#[derive(Clone, Default)]
struct PropertyDef {
    getter: Option<Getter>,
    setter: Option<Setter>,
    /// Push rule (default `VALUE`, threshold 0, no folding).
    rule: PushRule,
    /// Declared base type (else the initial value's).
    base_type: Option<BaseType>,
}

/// A thing served by an [`crate::EdgeClient`]: its properties and services. Platform
/// requests for anything not registered are answered `NOT_FOUND`; properties without a
/// getter live in the client's in-memory store (readable with
/// [`crate::EdgeClient::property`]).
///
/// ```
/// use alwayson_async::{InfoTable, Value};
/// use alwayson_async::edge::Thing;
/// let pump = Thing::new("Pump1")
///     .property("temp", 21.5)
///     .property_getter("rpm", || async { Ok(Value::from(1200)) })
///     .service("Restart", |_params: Option<InfoTable>| async move { Ok(InfoTable::new()) });
/// # let _ = pump;
/// ```
#[derive(Clone)]
pub struct Thing {
    pub(crate) name: String,
    initial: Vec<(String, Value)>,
    properties: HashMap<String, PropertyDef>,
    services: HashMap<String, Service>,
    /// Declared shapes of services and events (`GetMetadata`).
    pub(crate) declared: Declared,
    /// Platform PUTs may create properties and change their base type.
    accept_new: bool,
}

impl std::fmt::Debug for Thing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Thing")
            .field("name", &self.name)
            .field("properties", &self.properties.keys().collect::<Vec<_>>())
            .field("services", &self.services.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Thing {
    /// A thing with nothing registered.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            initial: Vec::new(),
            properties: HashMap::new(),
            services: HashMap::new(),
            declared: Declared::default(),
            accept_new: false,
        }
    }

    /// Let platform PUTs create properties this thing does not have and change a
    /// property's base type. Default: such PUTs are refused (NOT_FOUND, BAD_REQUEST) and
    /// the store is left as it was.
    pub fn accept_new_properties(mut self) -> Self {
        self.accept_new = true;
        self
    }

    /// The thing's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A stored property with an initial value (read and written by the platform).
    pub fn property(mut self, name: impl Into<String>, initial: impl Into<Value>) -> Self {
        let name = name.into();
        self.properties.entry(name.clone()).or_default();
        self.initial.push((name, initial.into()));
        self
    }

    /// A property read through `getter` on every platform GET.
    pub fn property_getter<F, Fut>(mut self, name: impl Into<String>, getter: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, HandlerError>> + Send + 'static,
    {
        self.properties.entry(name.into()).or_default().getter =
            Some(Arc::new(move || Box::pin(getter())));
        self
    }

    /// A property whose platform PUTs go through `setter` (the value is also stored when
    /// the setter succeeds).
    pub fn property_setter<F, Fut>(mut self, name: impl Into<String>, setter: F) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.properties.entry(name.into()).or_default().setter =
            Some(Arc::new(move |v| Box::pin(setter(v))));
        self
    }

    /// A property's push rule (by default `VALUE` with threshold 0, no folding):
    /// [`crate::EdgeClient::set_property`] queues a value for the platform when the rule
    /// says so. The platform's rules (`GetPropertySubscriptions`, read after each BIND and
    /// on `NotifyPropertyUpdate`) replace the type and threshold; folding stays.
    pub fn push_rule(mut self, name: impl Into<String>, rule: PushRule) -> Self {
        self.properties.entry(name.into()).or_default().rule = rule;
        self
    }

    /// A property's declared base type (by default the initial value's); shown by
    /// `GetMetadata` and checked by [`crate::EdgeClient::set_property`].
    pub fn property_type(mut self, name: impl Into<String>, base_type: BaseType) -> Self {
        self.properties.entry(name.into()).or_default().base_type = Some(base_type);
        self
    }

    /// Declares a service's input fields and result base type for `GetMetadata` (a
    /// platform types its calls with them); the handler is registered with
    /// [`Thing::service`].
    pub fn service_shape(
        mut self,
        name: impl Into<String>,
        inputs: impl IntoIterator<Item = FieldDefinition>,
        output: BaseType,
    ) -> Self {
        self.declared
            .services
            .insert(name.into(), (inputs.into_iter().collect(), output));
        self
    }

    /// Declares an event and its data fields for `GetMetadata`.
    pub fn event(
        mut self,
        name: impl Into<String>,
        fields: impl IntoIterator<Item = FieldDefinition>,
    ) -> Self {
        self.declared
            .events
            .insert(name.into(), fields.into_iter().collect());
        self
    }

    /// A service: called with the request's parameter table; its result table is the
    /// response content.
    pub fn service<F, Fut>(mut self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(Option<InfoTable>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<InfoTable, HandlerError>> + Send + 'static,
    {
        self.services
            .insert(name.into(), Arc::new(move |p| Box::pin(handler(p))));
        self
    }
}

fn failure(e: HandlerError) -> Response {
    Response {
        status: e.status,
        reason: e.reason.map(Into::into),
        content: None,
    }
}

/// How a platform request is answered: at once, or by a future to run on its own task.
pub(crate) enum Answer {
    Now(Response),
    Later(BoxFuture<'static, Response>),
}

/// Answers platform requests for things that have no [`Thing`] definition (see
/// [`crate::EdgeClientBuilder::fallback`]), e.g. a gateway's dynamically registered things.
pub type Fallback = Arc<dyn Fn(Request) -> BoxFuture<'static, Response> + Send + Sync>;

/// Every thing an edge serves, plus the store of stored properties and the subscribed
/// properties' push rules and queue.
pub(crate) struct Things {
    defs: HashMap<String, Thing>,
    pub(crate) store: PropertyStore,
    subscribed: Mutex<SubscribedProperties>,
    /// Batches of subscribed values refused, unanswered or not stored (values lost).
    pub(crate) push_failures: std::sync::atomic::AtomicU64,
    fallback: Option<Fallback>,
}

impl Things {
    /// `queue_limit`: most subscribed values queued at once; `fallback` answers requests
    /// for things without a definition.
    pub(crate) fn new(things: Vec<Thing>, queue_limit: usize, fallback: Option<Fallback>) -> Self {
        let store = PropertyStore::new();
        let mut subscribed = SubscribedProperties::with_limit(queue_limit);
        let mut defs = HashMap::new();
        for thing in things {
            for (prop, value) in &thing.initial {
                store.set(&thing.name, prop, value.clone());
            }
            for (prop, def) in &thing.properties {
                subscribed.declare(&thing.name, prop, def.rule);
            }
            defs.insert(thing.name.clone(), thing);
        }
        Self {
            defs,
            store,
            subscribed: Mutex::new(subscribed),
            push_failures: Default::default(),
            fallback,
        }
    }

    /// The push rules and queue.
    pub(crate) fn subscribed(&self) -> MutexGuard<'_, SubscribedProperties> {
        self.subscribed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a value set by the application: checked against the thing's declaration
    /// (a defined thing's unknown property, or a value of another base type, is refused),
    /// stored locally, and queued by its push rule (returned).
    pub(crate) fn set(&self, thing: &str, update: PropertyUpdate) -> Result<bool, PushError> {
        let property = update.name.to_str_lossy().into_owned();
        let def = self.defs.get(thing);
        let declared = def.and_then(|d| d.properties.get(&property));
        if def.is_some_and(|d| !d.accept_new) && declared.is_none() {
            return Err(PushError::UnknownProperty {
                thing: thing.to_owned(),
                property,
            });
        }
        let expected = declared
            .and_then(|p| p.base_type)
            .or_else(|| Some(self.store.get(thing, &property)?.base_type()))
            .filter(|t| *t != BaseType::Nothing);
        let got = update.value.base_type();
        if let Some(expected) = expected.filter(|t| *t != got) {
            if def.is_some_and(|d| !d.accept_new) {
                return Err(PushError::WrongBaseType {
                    thing: thing.to_owned(),
                    property,
                    expected,
                    got,
                });
            }
        }
        let mut subscribed = self.subscribed();
        if subscribed.rule(thing, &property).is_none() {
            subscribed.declare(thing, &property, PushRule::default());
        }
        self.store.set(thing, &property, update.value.clone());
        let dropped = subscribed.dropped();
        let queued = subscribed.set(thing, update)?;
        if subscribed.dropped() > dropped && subscribed.dropped().is_power_of_two() {
            tracing::warn!(
                dropped = subscribed.dropped(),
                "subscribed property queue full: oldest values dropped"
            );
        }
        Ok(queued)
    }

    /// The `GetMetadata` document of `thing`: its definition, else its stored properties.
    fn metadata(&self, thing: &str) -> InfoTable {
        let subscribed = self.subscribed();
        let def = self.defs.get(thing);
        let mut props: Vec<metadata::Property> = Vec::new();
        let stored = self.store.thing(thing);
        let mut names: Vec<&str> = stored.iter().map(|(n, _)| n.as_str()).collect();
        if let Some(d) = def {
            names.extend(d.properties.keys().map(String::as_str));
        }
        names.sort_unstable();
        names.dedup();
        for name in names {
            let declared = def.and_then(|d| d.properties.get(name));
            let base_type = declared
                .and_then(|p| p.base_type)
                .or_else(|| {
                    let v = &stored.iter().find(|(n, _)| n == name)?.1;
                    Some(v.base_type())
                })
                .filter(|t| *t != BaseType::Nothing);
            let rule = subscribed.rule(thing, name).unwrap_or_default();
            props.push(metadata::Property {
                name,
                base_type,
                rule,
            });
        }
        let declared = def.map(|d| &d.declared);
        let services: Vec<&str> = def
            .map(|d| d.services.keys().map(String::as_str).collect())
            .unwrap_or_default();
        metadata::document(thing, &props, &services, declared)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.defs.keys().map(String::as_str)
    }

    /// Answers a platform request: classified by alwayson-proto's conventions
    /// ([`Action::from_request`]), then a getter, setter or service runs on its own task,
    /// or the store answers. Things bound without a [`Thing`] definition (and registered
    /// things' unregistered properties) are served from the store; a PUT of a property
    /// with a getter and no setter is METHOD_NOT_ALLOWED. With a fallback, requests for
    /// things without a definition go to it instead.
    pub(crate) fn answer(&self, request: Request) -> Answer {
        if let Some(fallback) = &self.fallback {
            if !self
                .defs
                .contains_key(request.entity_name.to_str_lossy().as_ref())
            {
                return Answer::Later(fallback(request));
            }
        }
        let action = match Action::from_request(request) {
            Ok(action) => action,
            Err(response) => return Answer::Now(response),
        };
        match action {
            Action::ReadProperty { thing, property } => {
                let name = property.to_str_lossy().into_owned();
                let def = self.defs.get(thing.to_str_lossy().as_ref());
                if let Some(getter) = def.and_then(|d| d.properties.get(&name)?.getter.clone()) {
                    return Answer::Later(Box::pin(async move {
                        match getter().await {
                            Ok(v) => property_response(property, v),
                            Err(e) => failure(e),
                        }
                    }));
                }
                Answer::Now(self.store.read().read(&thing, &property))
            }
            Action::WriteProperty {
                thing,
                property,
                value,
            } => {
                let name = property.to_str_lossy().into_owned();
                let def = self.defs.get(thing.to_str_lossy().as_ref());
                let prop = def.and_then(|d| d.properties.get(&name));
                if let Some(setter) = prop.and_then(|p| p.setter.clone()) {
                    let store = self.store.clone();
                    return Answer::Later(Box::pin(async move {
                        match setter(value.clone()).await {
                            Ok(()) => {
                                store.write().set(thing, property, value);
                                Response::success()
                            }
                            Err(e) => failure(e),
                        }
                    }));
                }
                if prop.is_some_and(|p| p.getter.is_some()) {
                    return Answer::Now(method_not_allowed());
                }
                // A defined thing keeps its properties and their types unless built to
                // accept new ones; a thing bound without a definition learns from writes.
                let mut store = self.store.write();
                Answer::Now(match def {
                    Some(d) if !d.accept_new => store.write_known(thing, property, value),
                    _ => store.write(thing, property, value),
                })
            }
            Action::InvokeService {
                thing,
                service,
                params,
            } => {
                let def = self.defs.get(thing.to_str_lossy().as_ref());
                match def.and_then(|d| d.services.get(service.to_str_lossy().as_ref()).cloned()) {
                    Some(service) => Answer::Later(Box::pin(async move {
                        match service(params).await {
                            Ok(table) => Response::with_content(table),
                            Err(e) => failure(e),
                        }
                    })),
                    // Built in for every bound thing (session-lifecycle.md §10).
                    None if service == *metadata::GET_METADATA => {
                        Answer::Now(Response::with_content(self.metadata(&thing.to_str_lossy())))
                    }
                    None => Answer::Now(not_found()),
                }
            }
            // Pushes and events are the platform's to receive, not an edge's.
            _ => Answer::Now(not_found()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_proto::edge::PushType;

    fn set(things: &Things, thing: &str, prop: &str, v: Value) -> Result<bool, PushError> {
        things.set(thing, PropertyUpdate::new(prop, v, 0))
    }

    #[test]
    fn set_checks_the_declaration_and_applies_the_rule() {
        let things = Things::new(
            vec![
                Thing::new("Pump1")
                    .property("temp", 1.0)
                    .push_rule("temp", PushRule::new(PushType::Never)),
                Thing::new("Open").accept_new_properties().property("n", 1),
            ],
            10,
            None,
        );
        // A defined thing: unknown property and other base type refused, store unchanged.
        assert!(matches!(
            set(&things, "Pump1", "nope", Value::from(1.0)),
            Err(PushError::UnknownProperty { .. })
        ));
        assert!(matches!(
            set(&things, "Pump1", "temp", Value::from("hot")),
            Err(PushError::WrongBaseType { .. })
        ));
        assert_eq!(things.store.get("Pump1", "temp"), Some(Value::from(1.0)));
        // Its rule applies; the local value follows.
        assert!(!set(&things, "Pump1", "temp", Value::from(5.0)).unwrap());
        assert_eq!(things.store.get("Pump1", "temp"), Some(Value::from(5.0)));
        // accept_new_properties and things without a definition take anything, rule VALUE.
        assert!(set(&things, "Open", "n", Value::from("text")).unwrap());
        assert!(set(&things, "Open", "new", Value::from(2)).unwrap());
        assert!(set(&things, "Bare", "x", Value::from(1)).unwrap());
        assert!(set(&things, "Bare", "x", Value::from("now a string")).unwrap());
        assert!(!set(&things, "Bare", "x", Value::from("now a string")).unwrap());
        assert_eq!(things.subscribed().queued_len(), 4);
    }
}
