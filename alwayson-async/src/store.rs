//! [`PropertyStore`] (shared in-memory property values) and the helpers both sides use to
//! read responses that follow the table conventions (base-types.md §4). How a request is
//! answered from the values (NOT_FOUND, METHOD_NOT_ALLOWED, ...) is alwayson-proto's
//! [`PropertyTable`]; this is only a shared handle over one.

use crate::error::{Error, Result};
use alwayson_proto::thing::PropertyTable;
use alwayson_proto::{InfoTable, Request, Response, Value};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// In-memory property values keyed by (thing, property). Cheap to clone: clones share the
/// same values.
///
/// On the platform it is the store of the default edge-request handler (edge writes and
/// pushes land here; edge reads are answered from it). On the edge it holds the values of
/// properties that have no getter.
#[derive(Debug, Clone, Default)]
pub struct PropertyStore {
    inner: Arc<RwLock<PropertyTable>>,
}

impl PropertyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, PropertyTable> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, PropertyTable> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The value of `thing`.`property`, if stored.
    pub fn get(&self, thing: &str, property: &str) -> Option<Value> {
        self.read().get(thing, property).cloned()
    }

    /// Stores a value (replacing any previous one); returns the previous value.
    pub fn set(&self, thing: &str, property: &str, value: impl Into<Value>) -> Option<Value> {
        self.write().set(thing, property, value.into())
    }

    /// Removes a value; returns it.
    pub fn remove(&self, thing: &str, property: &str) -> Option<Value> {
        self.write().remove(thing, property)
    }

    /// Every stored property of `thing`, sorted by name.
    pub fn thing(&self, thing: &str) -> Vec<(String, Value)> {
        self.read()
            .thing(thing)
            .into_iter()
            .map(|(name, value)| (name.to_str_lossy().into_owned(), value))
            .collect()
    }

    /// Every stored value as (thing, property, value), sorted.
    pub fn all(&self) -> Vec<(String, String, Value)> {
        self.read()
            .all()
            .into_iter()
            .map(|(t, p, v)| {
                (
                    t.to_str_lossy().into_owned(),
                    p.to_str_lossy().into_owned(),
                    v,
                )
            })
            .collect()
    }

    /// Answers a request the way the platform's default handler does
    /// ([`PropertyTable::answer`]): property PUT stores, `UpdateSubscribedPropertyValues`
    /// stores every pushed value, property GET reads (`NOT_FOUND` when absent); anything
    /// else is `NOT_FOUND`.
    pub fn answer(&self, request: &Request) -> Response {
        self.write().answer(request)
    }
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
        .or_else(|| table.row(0)?.first())
        .map(|v| v.unwrap_variant().into_owned())
        .unwrap_or(Value::Nothing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alwayson_proto::StatusCode;

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
