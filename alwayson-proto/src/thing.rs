//! Answering requests to a thing (base-types.md §4): what a request asks once the table
//! conventions are applied ([`Action`]), the standard answers, and a [`PropertyTable`] that
//! answers property reads, writes and pushes on its own.
//!
//! Both sides use it: a platform answers an edge's property writes and pushes from its table,
//! an edge answers the platform's reads and writes of its stored properties. What needs the
//! application (a property getter or setter, a service) stays with the runtime, which
//! classifies the request with [`Action::from_request`] first.
//!
//! ```
//! use alwayson_proto::thing::PropertyTable;
//! use alwayson_proto::{Request, StatusCode, Value};
//!
//! let mut table = PropertyTable::new();
//! table.set("Pump1", "temp", Value::from(21.5));
//! table.set_read_only("Pump1", "serial", Value::from("SN-1"));
//! let read = table.answer(&Request::read_property("Pump1", "temp"));
//! assert_eq!(read.status, StatusCode::SUCCESS);
//! let write = table.answer(&Request::write_property("Pump1", "serial", Value::from("x")));
//! assert_eq!(write.status, StatusCode::METHOD_NOT_ALLOWED);
//! let unknown = table.answer(&Request::read_property("Pump1", "rpm"));
//! assert_eq!(unknown.status, StatusCode::NOT_FOUND);
//! ```

use crate::codec::{
    BaseType, Characteristic, InfoTable, Method, Request, Response, StatusCode, Value, WireString,
};
use crate::conventions::PropertyUpdate;
use std::collections::HashMap;

/// What a request to a thing asks, the table conventions applied.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// GET of a property.
    ReadProperty {
        /// Thing name.
        thing: WireString,
        /// Property name.
        property: WireString,
    },
    /// PUT of a property, with the value it carries.
    WriteProperty {
        /// Thing name.
        thing: WireString,
        /// Property name.
        property: WireString,
        /// The written value (VARIANT wrapper removed).
        value: Value,
    },
    /// POST `UpdateSubscribedPropertyValues`: pushed values.
    PushProperties {
        /// Thing name.
        thing: WireString,
        /// The values, in order.
        updates: Vec<PropertyUpdate>,
    },
    /// POST of a service.
    InvokeService {
        /// Thing name.
        thing: WireString,
        /// Service name.
        service: WireString,
        /// Its parameters.
        params: Option<InfoTable>,
    },
    /// POST of an event.
    FireEvent {
        /// Thing name.
        thing: WireString,
        /// Event name.
        event: WireString,
        /// Its data.
        data: Option<InfoTable>,
    },
}

impl Action {
    /// Classifies `request`. A request no convention covers is answered at once (`Err`):
    /// a PUT without a value is BAD_REQUEST, anything else (DELETE, a GET of a service, …)
    /// NOT_FOUND.
    pub fn from_request(request: Request) -> Result<Action, Response> {
        if let Some(updates) = request.property_updates() {
            return Ok(Action::PushProperties {
                thing: request.entity_name,
                updates,
            });
        }
        match (request.method, request.characteristic) {
            (Method::Get, Characteristic::Properties) => Ok(Action::ReadProperty {
                thing: request.entity_name,
                property: request.characteristic_name,
            }),
            (Method::Put, Characteristic::Properties) => match written_value(&request) {
                Some(value) => Ok(Action::WriteProperty {
                    thing: request.entity_name,
                    property: request.characteristic_name,
                    value,
                }),
                None => Err(bad_request("property write without a value")),
            },
            (Method::Post, Characteristic::Services) => Ok(Action::InvokeService {
                thing: request.entity_name,
                service: request.characteristic_name,
                params: request.params,
            }),
            (Method::Post, Characteristic::Events) => Ok(Action::FireEvent {
                thing: request.entity_name,
                event: request.characteristic_name,
                data: request.params,
            }),
            _ => Err(not_found()),
        }
    }
}

/// The value a property PUT carries: the cell named like the property in the first row,
/// else the first cell (VARIANT wrappers removed).
pub fn written_value(request: &Request) -> Option<Value> {
    let params = request.params.as_ref()?;
    let name = request.characteristic_name.to_str_lossy();
    params
        .first(&name)
        .or_else(|| params.row(0)?.first())
        .map(|v| v.unwrap_variant().into_owned())
}

/// The answer to a property read: SUCCESS with a one-row table whose single field is named
/// like the property.
pub fn property_response(property: impl Into<WireString>, value: Value) -> Response {
    Response::with_content(InfoTable::single(property, value))
}

/// NOT_FOUND with no reason and no content (body `00 FF`, what the SDK sends).
pub fn not_found() -> Response {
    status_only(StatusCode::NOT_FOUND)
}

/// METHOD_NOT_ALLOWED: a write of a read-only property.
pub fn method_not_allowed() -> Response {
    Response::error(StatusCode::METHOD_NOT_ALLOWED, "read-only property")
}

/// BAD_REQUEST with this reason.
pub fn bad_request(reason: &str) -> Response {
    Response::error(StatusCode::BAD_REQUEST, reason)
}

/// A bare status (no reason, no content).
pub fn status_only(status: StatusCode) -> Response {
    Response {
        status,
        reason: None,
        content: None,
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    value: Value,
    read_only: bool,
}

/// Property values by thing and property name (bytes: names need not be UTF-8), answering
/// property requests on its own: a read of an unknown property is NOT_FOUND, a write of a
/// read-only one METHOD_NOT_ALLOWED, a write of an unknown one creates it (a platform
/// learns an edge's properties from its writes and pushes).
#[derive(Debug, Clone, Default)]
pub struct PropertyTable {
    things: HashMap<WireString, HashMap<WireString, Entry>>,
}

impl PropertyTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `thing`.`property`, if known.
    pub fn get(&self, thing: impl AsRef<[u8]>, property: impl AsRef<[u8]>) -> Option<&Value> {
        let entry = self.things.get(thing.as_ref())?.get(property.as_ref())?;
        Some(&entry.value)
    }

    /// Whether `thing`.`property` is known and read-only.
    pub fn is_read_only(&self, thing: impl AsRef<[u8]>, property: impl AsRef<[u8]>) -> bool {
        self.things
            .get(thing.as_ref())
            .and_then(|p| p.get(property.as_ref()))
            .is_some_and(|e| e.read_only)
    }

    /// Stores a writable value (replacing any previous one, keeping a read-only mark);
    /// returns the previous value.
    pub fn set(
        &mut self,
        thing: impl Into<WireString>,
        property: impl Into<WireString>,
        value: Value,
    ) -> Option<Value> {
        let props = self.things.entry(thing.into()).or_default();
        let property = property.into();
        match props.get_mut(property.as_bytes()) {
            Some(entry) => Some(std::mem::replace(&mut entry.value, value)),
            None => {
                props.insert(
                    property,
                    Entry {
                        value,
                        read_only: false,
                    },
                );
                None
            }
        }
    }

    /// Stores a value the peer may read but not write.
    pub fn set_read_only(
        &mut self,
        thing: impl Into<WireString>,
        property: impl Into<WireString>,
        value: Value,
    ) {
        self.things.entry(thing.into()).or_default().insert(
            property.into(),
            Entry {
                value,
                read_only: true,
            },
        );
    }

    /// Marks a known property read-only or writable; returns whether it is known.
    pub fn mark_read_only(
        &mut self,
        thing: impl AsRef<[u8]>,
        property: impl AsRef<[u8]>,
        read_only: bool,
    ) -> bool {
        match self
            .things
            .get_mut(thing.as_ref())
            .and_then(|p| p.get_mut(property.as_ref()))
        {
            Some(entry) => {
                entry.read_only = read_only;
                true
            }
            None => false,
        }
    }

    /// Removes a property; returns its value.
    pub fn remove(&mut self, thing: impl AsRef<[u8]>, property: impl AsRef<[u8]>) -> Option<Value> {
        let props = self.things.get_mut(thing.as_ref())?;
        props.remove(property.as_ref()).map(|e| e.value)
    }

    /// Every property of `thing`, sorted by name (bytewise).
    pub fn thing(&self, thing: impl AsRef<[u8]>) -> Vec<(WireString, Value)> {
        let mut out: Vec<_> = self
            .things
            .get(thing.as_ref())
            .map(|p| {
                p.iter()
                    .map(|(k, e)| (k.clone(), e.value.clone()))
                    .collect()
            })
            .unwrap_or_default();
        // Names are unique: an unstable sort gives the same order (and no second sort in binaries).
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Every value as (thing, property, value), sorted.
    pub fn all(&self) -> Vec<(WireString, WireString, Value)> {
        let mut out: Vec<_> = self
            .things
            .iter()
            .flat_map(|(t, p)| {
                p.iter()
                    .map(move |(k, e)| (t.clone(), k.clone(), e.value.clone()))
            })
            .collect();
        out.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out
    }

    /// The answer to a read: the value, or NOT_FOUND.
    pub fn read(&self, thing: &WireString, property: &WireString) -> Response {
        match self.get(thing.as_bytes(), property.as_bytes()) {
            Some(value) => property_response(property.clone(), value.clone()),
            None => not_found(),
        }
    }

    /// The answer to a write of a property that must already exist with that base type
    /// (an edge serving a defined thing): NOT_FOUND when unknown, BAD_REQUEST when the value
    /// is of another base type (a stored NOTHING takes any), METHOD_NOT_ALLOWED when
    /// read-only, else stored (SUCCESS). Nothing is created.
    pub fn write_known(
        &mut self,
        thing: WireString,
        property: WireString,
        value: Value,
    ) -> Response {
        let Some(current) = self.get(thing.as_bytes(), property.as_bytes()) else {
            return Response::error(StatusCode::NOT_FOUND, "no such property");
        };
        let (have, got) = (current.base_type(), value.base_type());
        if have != got && have != BaseType::Nothing {
            return bad_request(&format!("property is {have:?}, value is {got:?}"));
        }
        self.write(thing, property, value)
    }

    /// The answer to a write: stored (SUCCESS), or METHOD_NOT_ALLOWED when read-only.
    pub fn write(&mut self, thing: WireString, property: WireString, value: Value) -> Response {
        if self.is_read_only(thing.as_bytes(), property.as_bytes()) {
            return method_not_allowed();
        }
        self.set(thing, property, value);
        Response::success()
    }

    /// Answers `action` from the table: reads, writes and pushes (every pushed value is
    /// stored, read-only ones included: a push reports the peer's own values); services and
    /// events are NOT_FOUND (the table has none).
    pub fn answer_action(&mut self, action: Action) -> Response {
        match action {
            Action::ReadProperty { thing, property } => self.read(&thing, &property),
            Action::WriteProperty {
                thing,
                property,
                value,
            } => self.write(thing, property, value),
            Action::PushProperties { thing, updates } => {
                let props = self.things.entry(thing).or_default();
                for u in updates {
                    props
                        .entry(u.name)
                        .and_modify(|e| e.value = u.value.clone())
                        .or_insert(Entry {
                            value: u.value,
                            read_only: false,
                        });
                }
                Response::success()
            }
            Action::InvokeService { .. } | Action::FireEvent { .. } => not_found(),
        }
    }

    /// Classifies and answers `request` ([`Action::from_request`], then
    /// [`answer_action`](Self::answer_action)).
    pub fn answer(&mut self, request: &Request) -> Response {
        match Action::from_request(request.clone()) {
            Ok(action) => self.answer_action(action),
            Err(response) => response,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(s: &str) -> WireString {
        WireString::from(s)
    }

    #[test]
    fn write_known_refuses_unknown_properties_and_other_base_types() {
        let mut t = PropertyTable::new();
        t.set("T", "n", Value::from(1.0));
        let unknown = t.write_known(ws("T"), ws("new"), Value::from("x".repeat(100_000)));
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let wrong = t.write_known(ws("T"), ws("n"), Value::from("text"));
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert_eq!(t.all().len(), 1, "store size unchanged");
        assert_eq!(t.get("T", "n"), Some(&Value::from(1.0)));
        let ok = t.write_known(ws("T"), ws("n"), Value::from(2.0));
        assert_eq!(ok.status, StatusCode::SUCCESS);
        assert_eq!(t.get("T", "n"), Some(&Value::from(2.0)));
    }

    #[test]
    fn requests_are_classified_by_the_conventions() {
        assert_eq!(
            Action::from_request(Request::read_property("T", "p")),
            Ok(Action::ReadProperty {
                thing: ws("T"),
                property: ws("p")
            })
        );
        assert_eq!(
            Action::from_request(Request::write_property("T", "p", Value::from(2))),
            Ok(Action::WriteProperty {
                thing: ws("T"),
                property: ws("p"),
                value: Value::from(2)
            })
        );
        let push = Request::push_properties("T", &[PropertyUpdate::new("q", Value::from(1), 5)]);
        assert!(matches!(
            Action::from_request(push),
            Ok(Action::PushProperties { updates, .. }) if updates.len() == 1
        ));
        assert!(matches!(
            Action::from_request(Request::invoke_service("T", "S", None)),
            Ok(Action::InvokeService { service, .. }) if service == "S"
        ));
        assert!(matches!(
            Action::from_request(Request::fire_event("T", "E", InfoTable::new())),
            Ok(Action::FireEvent { event, .. }) if event == "E"
        ));
        let mut no_value = Request::write_property("T", "p", Value::from(1));
        no_value.params = None;
        assert_eq!(
            Action::from_request(no_value).map_err(|r| r.status),
            Err(StatusCode::BAD_REQUEST)
        );
        let mut delete = Request::read_property("T", "p");
        delete.method = Method::Delete;
        assert_eq!(Action::from_request(delete), Err(not_found()));
    }

    #[test]
    fn the_table_answers_reads_writes_and_pushes() {
        let mut t = PropertyTable::new();
        assert_eq!(t.answer(&Request::read_property("T", "p")), not_found());
        let put = Request::write_property("T", "p", Value::from(1.5));
        assert_eq!(t.answer(&put), Response::success());
        assert_eq!(
            t.answer(&Request::read_property("T", "p")),
            property_response("p", Value::from(1.5))
        );
        t.set_read_only("T", "serial", Value::from("SN"));
        let denied = t.answer(&Request::write_property("T", "serial", Value::from("x")));
        assert_eq!(denied.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(t.get("T", "serial"), Some(&Value::from("SN")));
        // Writes keep the read-only mark; the owner may still set it.
        t.set("T", "serial", Value::from("SN2"));
        assert!(t.is_read_only("T", "serial"));
        assert!(t.mark_read_only("T", "serial", false));
        assert!(!t.mark_read_only("T", "nope", true));
        let push = Request::push_properties("T", &[PropertyUpdate::new("q", Value::from(2), 0)]);
        assert_eq!(t.answer(&push), Response::success());
        assert_eq!(t.get(b"T", b"q"), Some(&Value::from(2)));
        assert_eq!(
            t.answer(&Request::invoke_service("T", "S", None)),
            not_found()
        );
        let names: Vec<_> = t.thing("T").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [ws("p"), ws("q"), ws("serial")]);
        assert_eq!(t.all().len(), 3);
        assert_eq!(t.remove("T", "q"), Some(Value::from(2)));
    }

    #[test]
    fn names_are_bytes() {
        let mut t = PropertyTable::new();
        let thing = WireString::from_bytes(vec![0xff]);
        t.set(thing.clone(), "p", Value::from(1));
        assert_eq!(t.get([0xff], "p"), Some(&Value::from(1)));
        assert_eq!(t.read(&thing, &ws("p")).status, StatusCode::SUCCESS);
    }
}
