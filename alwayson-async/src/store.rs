//! [`PropertyStore`] (in-memory property values) and the helpers both sides use to read
//! requests and responses that follow the table conventions (base-types.md §4).

use crate::error::{Error, Result};
use alwayson_proto::{Characteristic, InfoTable, Method, Request, Response, StatusCode, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// In-memory property values keyed by (thing, property). Cheap to clone: clones share the
/// same values.
///
/// On the platform it is the store of the default edge-request handler (edge writes and
/// pushes land here; edge reads are answered from it). On the edge it holds the values of
/// properties that have no getter.
#[derive(Debug, Clone, Default)]
pub struct PropertyStore {
    inner: Arc<RwLock<HashMap<String, HashMap<String, Value>>>>,
}

impl PropertyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `thing`.`property`, if stored.
    pub fn get(&self, thing: &str, property: &str) -> Option<Value> {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        map.get(thing)?.get(property).cloned()
    }

    /// Stores a value (replacing any previous one); returns the previous value.
    pub fn set(&self, thing: &str, property: &str, value: impl Into<Value>) -> Option<Value> {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        map.entry(thing.to_owned())
            .or_default()
            .insert(property.to_owned(), value.into())
    }

    /// Removes a value; returns it.
    pub fn remove(&self, thing: &str, property: &str) -> Option<Value> {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        map.get_mut(thing)?.remove(property)
    }

    /// Every stored property of `thing`, sorted by name.
    pub fn thing(&self, thing: &str) -> Vec<(String, Value)> {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = map
            .get(thing)
            .map(|props| props.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Every stored value as (thing, property, value), sorted.
    pub fn all(&self) -> Vec<(String, String, Value)> {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = map
            .iter()
            .flat_map(|(t, props)| {
                props
                    .iter()
                    .map(move |(p, v)| (t.clone(), p.clone(), v.clone()))
            })
            .collect();
        out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out
    }

    /// Answers a request the way the platform's default handler does: property PUT stores,
    /// `UpdateSubscribedPropertyValues` stores every pushed value, property GET reads
    /// (`NOT_FOUND` when absent); anything else is `NOT_FOUND`.
    pub fn answer(&self, request: &Request) -> Response {
        let thing = request.entity_name.to_str_lossy();
        let name = request.characteristic_name.to_str_lossy();
        if let Some(updates) = request.property_updates() {
            for u in updates {
                self.set(&thing, &u.name.to_str_lossy(), u.value);
            }
            return Response::success();
        }
        match (request.method, request.characteristic) {
            (Method::Get, Characteristic::Properties) => match self.get(&thing, &name) {
                Some(value) => Response::with_content(InfoTable::single(name.as_ref(), value)),
                None => not_found(),
            },
            (Method::Put, Characteristic::Properties) => match written_value(request) {
                Some(value) => {
                    self.set(&thing, &name, value);
                    Response::success()
                }
                None => Response::error(StatusCode::BAD_REQUEST, "property write without a value"),
            },
            _ => not_found(),
        }
    }
}

/// `NOT_FOUND` with no reason and no content (body `00 FF`, what the SDK sends).
pub(crate) fn not_found() -> Response {
    Response {
        status: StatusCode::NOT_FOUND,
        reason: None,
        content: None,
    }
}

/// The value a property PUT carries: the cell named like the property in the first row,
/// else the first cell (VARIANT wrappers removed).
pub(crate) fn written_value(request: &Request) -> Option<Value> {
    let params = request.params.as_ref()?;
    let name = request.characteristic_name.to_str_lossy();
    params
        .first(&name)
        .or_else(|| params.rows.first()?.first())
        .map(|v| v.unwrap_variant().clone())
}

/// SUCCESS → its content; any other status → [`Error::Status`].
pub(crate) fn check(response: Response) -> Result<Option<InfoTable>> {
    if response.status.is_success() {
        Ok(response.content)
    } else {
        Err(Error::Status {
            status: response.status,
            reason: response.reason.map(|r| r.to_str_lossy().into_owned()),
        })
    }
}

/// The value of a property read response: the field named like the property, else the
/// first cell; `NOTHING` when the table is empty.
pub(crate) fn property_value(property: &str, response: Response) -> Result<Value> {
    let Some(table) = check(response)? else {
        return Err(Error::UnexpectedResponse(format!(
            "property {property:?} read returned no content"
        )));
    };
    Ok(table
        .first(property)
        .or_else(|| table.rows.first()?.first())
        .map(|v| v.unwrap_variant().clone())
        .unwrap_or(Value::Nothing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_answers_put_get_and_not_found() {
        let store = PropertyStore::new();
        let put = Request::write_property("T", "p", Value::from(1.5));
        assert_eq!(store.answer(&put).status, StatusCode::SUCCESS);
        let got = store.answer(&Request::read_property("T", "p"));
        assert_eq!(got.content, Some(InfoTable::single("p", Value::from(1.5))));
        assert_eq!(
            store.answer(&Request::read_property("T", "q")).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            store
                .answer(&Request::invoke_service("T", "S", None))
                .status,
            StatusCode::NOT_FOUND
        );
        let push = Request::push_properties(
            "T",
            &[alwayson_proto::PropertyUpdate::new("q", Value::from(2), 0)],
        );
        assert!(store.answer(&push).status.is_success());
        assert_eq!(store.get("T", "q"), Some(Value::from(2)));
        assert_eq!(store.all().len(), 2);
    }
}
