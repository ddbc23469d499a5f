//! The things list of the page: a search by name and one page of the result, so a platform
//! with ten thousand things sends the browser only what it shows.

use super::millis;
use alwayson_proto::ConnectionId;
use serde_json::{json, Value as Json};
use std::time::SystemTime;

/// Largest page a client may ask for.
pub const MAX_LIMIT: usize = 500;
/// Page size when the client does not say.
pub const DEFAULT_LIMIT: usize = 50;

/// A thing as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingRow {
    /// Thing name.
    pub name: String,
    /// Bound on a live connection.
    pub is_connected: bool,
    /// Last change of binding (bind, unbind, disconnect).
    pub last_connection: Option<SystemTime>,
    /// The connection it is bound on.
    pub connection: Option<ConnectionId>,
}

impl ThingRow {
    /// `{"name","isConnected","lastConnection","connection"}` (times in ms since the epoch).
    pub fn to_json(&self) -> Json {
        json!({
            "name": self.name,
            "isConnected": self.is_connected,
            "lastConnection": self.last_connection.map(millis),
            "connection": self.connection,
        })
    }
}

/// A search over the things: a case-insensitive substring of the name, and a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingQuery {
    /// Substring to look for (empty: every thing).
    pub search: String,
    /// Rows to skip.
    pub offset: usize,
    /// Rows to return (at most [`MAX_LIMIT`]).
    pub limit: usize,
}

impl Default for ThingQuery {
    fn default() -> Self {
        Self {
            search: String::new(),
            offset: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// Filters `things` by `q`, sorts by name and returns
/// `{"total": matches, "offset", "limit", "rows": [...]}`.
pub fn search(mut things: Vec<ThingRow>, q: &ThingQuery) -> Json {
    let needle = q.search.trim().to_lowercase();
    if !needle.is_empty() {
        things.retain(|t| t.name.to_lowercase().contains(&needle));
    }
    things.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let limit = q.limit.min(MAX_LIMIT);
    let rows: Vec<Json> = things
        .iter()
        .skip(q.offset)
        .take(limit)
        .map(ThingRow::to_json)
        .collect();
    json!({ "total": things.len(), "offset": q.offset, "limit": limit, "rows": rows })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn many(n: usize) -> Vec<ThingRow> {
        (0..n)
            .map(|i| ThingRow {
                name: format!("Sensor{i:05}"),
                is_connected: i % 2 == 0,
                last_connection: None,
                connection: (i % 2 == 0).then_some(1),
            })
            .collect()
    }

    #[test]
    fn pages_and_searches_ten_thousand_things() {
        let q = |search: &str, offset, limit| ThingQuery {
            search: search.into(),
            offset,
            limit,
        };
        let r = search(many(10_000), &q("", 9_990, 50));
        assert_eq!(r["total"], 10_000);
        assert_eq!(r["rows"].as_array().unwrap().len(), 10);
        assert_eq!(r["rows"][0]["name"], "Sensor09990");
        let r = search(many(10_000), &q("sensor0012", 0, 50));
        assert_eq!(r["total"], 10);
        assert_eq!(r["rows"][9]["name"], "Sensor00129");
        assert_eq!(r["rows"][0]["isConnected"], true);
        assert_eq!(r["rows"][0]["connection"], 1);
        assert_eq!(r["rows"][1]["connection"], Json::Null);
        let r = search(many(10_000), &q("", 0, 1_000_000));
        assert_eq!(r["limit"], MAX_LIMIT);
        assert_eq!(r["rows"].as_array().unwrap().len(), MAX_LIMIT);
        let r = search(many(3), &q("nothing", 0, 10));
        assert_eq!(
            (r["total"].clone(), r["rows"].clone()),
            (0.into(), json!([]))
        );
    }
}
