//! The ThingWorx-style REST interface of `alwayson platform`.
//!
//! Served on the same port as the websocket (`/Thingworx/WS`), through the platform's HTTP
//! handler. Every request needs the application key, in an `appKey` header (or, as ThingWorx
//! also allows, an `appKey` query parameter); a missing or wrong key is `401`.
//!
//! | Method and path | Does | Success |
//! |---|---|---|
//! | `GET /Thingworx/Things` | every thing the platform has seen | `200 {"rows":[{name,isConnected,lastConnection}…]}` |
//! | `GET /Thingworx/Things/{thing}` | the thing's connection status | `200 {"name","isConnected","lastConnection"}` |
//! | `GET /Thingworx/Things/{thing}/Properties/{property}` | reads the property from the edge | `200` InfoTable JSON, one field named like the property |
//! | `PUT /Thingworx/Things/{thing}/Properties/{property}` | writes it; body `{"<property>": value}` | `200`, empty body |
//! | `POST /Thingworx/Things/{thing}/Services/{service}` | invokes it; body `{"param": value, …}`, `{}` or empty | `200` InfoTable JSON (the service's result) |
//!
//! `lastConnection` is milliseconds since the Unix epoch (as ThingWorx returns it), or `null`
//! if the thing has never been bound. Path segments are percent-decoded. JSON conversion is
//! documented in [`crate::json`].
//!
//! Every error is a JSON object `{"error": "<message>"}`:
//!
//! | Status | When |
//! |---|---|
//! | 400 | body is not JSON, not an object, lacks the property, or has a value that cannot be converted |
//! | 401 | `appKey` missing or wrong |
//! | 404 | unknown path, a thing the platform has never seen (status), or the edge answered NOT_FOUND |
//! | 405 | a method the path does not support (`Allow` says which) |
//! | 502 | the edge answered with another error status, or the connection dropped mid-request |
//! | 503 | the thing is not bound on any connection: `{"error":"thing T is not bound"}` |
//! | 504 | the edge did not answer in time |

use crate::json;
use alwayson_proto::{InfoTable, Value};
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use serde_json::{json, Value as Json};
use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

/// A thing's connection status as the REST layer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingInfo {
    /// Thing name.
    pub name: String,
    /// Bound on a live connection.
    pub is_connected: bool,
    /// Time of the last change of binding (bind, unbind, disconnect), if any.
    pub last_connection: Option<SystemTime>,
}

/// Why a platform operation failed, in the terms the REST layer maps to HTTP statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// No connection has the thing bound (→ 503).
    #[error("thing {0} is not bound")]
    NotBound(String),
    /// The edge answered NOT_FOUND (→ 404).
    #[error("{0}")]
    NotFound(String),
    /// The edge did not answer in time (→ 504).
    #[error("the edge did not answer in time")]
    Timeout,
    /// The edge answered with another error status, or the connection was lost (→ 502).
    #[error("{0}")]
    Edge(String),
}

/// What the REST layer needs from a platform. Implemented for the real
/// `alwayson_tokio::Platform` by a small adapter, and by a fake in the tests.
pub trait PlatformApi: Send + Sync {
    /// Every thing the platform has seen.
    fn things(&self) -> Vec<ThingInfo>;
    /// One thing's status, or `None` if it has never been seen.
    fn thing(&self, name: &str) -> Option<ThingInfo>;
    /// Reads a property from the edge that has the thing bound.
    fn read_property(
        &self,
        thing: &str,
        property: &str,
    ) -> impl Future<Output = Result<Value, ApiError>> + Send;
    /// Writes a property on the edge that has the thing bound.
    fn write_property(
        &self,
        thing: &str,
        property: &str,
        value: Value,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Invokes a service on the edge that has the thing bound.
    fn invoke_service(
        &self,
        thing: &str,
        service: &str,
        params: Option<InfoTable>,
    ) -> impl Future<Output = Result<InfoTable, ApiError>> + Send;
}

/// A JSON response.
fn json_response(status: StatusCode, body: &Json) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

/// A JSON error response `{"error": message}`.
pub fn error_response(status: StatusCode, message: impl std::fmt::Display) -> Response<Bytes> {
    json_response(status, &json!({ "error": message.to_string() }))
}

fn api_error_response(e: ApiError) -> Response<Bytes> {
    let status = match &e {
        ApiError::NotBound(_) => StatusCode::SERVICE_UNAVAILABLE,
        ApiError::NotFound(_) => StatusCode::NOT_FOUND,
        ApiError::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ApiError::Edge(_) => StatusCode::BAD_GATEWAY,
    };
    error_response(status, e)
}

fn millis(t: SystemTime) -> Json {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => Json::from(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        Err(e) => Json::from(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
    }
}

/// A thing's status as JSON: `{"name","isConnected","lastConnection"}`.
pub fn thing_json(t: &ThingInfo) -> Json {
    json!({
        "name": t.name,
        "isConnected": t.is_connected,
        "lastConnection": t.last_connection.map(millis).unwrap_or(Json::Null),
    })
}

/// Decodes `%XX` escapes (and nothing else) in a path segment; `None` if the result is not
/// UTF-8 or an escape is malformed.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `appKey` from the header, or else from the query string.
fn presented_key(req: &Request<Bytes>) -> Option<String> {
    if let Some(v) = req.headers().get("appKey") {
        return v.to_str().ok().map(str::to_owned);
    }
    req.uri().query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "appKey").then(|| percent_decode(v)).flatten()
    })
}

/// Compares without an early exit on the first differing byte.
fn keys_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

enum Route {
    Things,
    Thing(String),
    Property(String, String),
    Service(String, String),
}

/// A refused request: status and message, turned into a JSON error response at the top.
type Rejection = (StatusCode, String);

fn route(path: &str) -> Result<Route, Rejection> {
    let not_found = || (StatusCode::NOT_FOUND, format!("no such endpoint: {path}"));
    let trimmed = path.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("/Thingworx/Things")
        .ok_or_else(not_found)?;
    let segs: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.strip_prefix('/')
            .ok_or_else(not_found)?
            .split('/')
            .collect()
    };
    let dec = |s: &str| {
        percent_decode(s).filter(|d| !d.is_empty()).ok_or_else(|| {
            (
                StatusCode::BAD_REQUEST,
                format!("bad path segment {s:?} (empty or malformed percent-encoding)"),
            )
        })
    };
    match segs.as_slice() {
        [] => Ok(Route::Things),
        [thing] => Ok(Route::Thing(dec(thing)?)),
        [thing, "Properties", p] => Ok(Route::Property(dec(thing)?, dec(p)?)),
        [thing, "Services", s] => Ok(Route::Service(dec(thing)?, dec(s)?)),
        _ => Err(not_found()),
    }
}

fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut r = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method not allowed here (allowed: {allow})"),
    );
    r.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    r
}

fn parse_body(body: &Bytes) -> Result<Option<Json>, Rejection> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("body is not valid JSON: {e}"),
        )
    })
}

/// Answers one REST request. Never panics on any input: every failure is a JSON error.
pub async fn handle<A: PlatformApi>(
    api: &A,
    app_key: &str,
    req: Request<Bytes>,
) -> Response<Bytes> {
    let response = handle_inner(api, app_key, &req).await;
    tracing::info!(
        method = %req.method(),
        path = %req.uri().path(),
        status = response.status().as_u16(),
        "REST"
    );
    response
}

async fn handle_inner<A: PlatformApi>(
    api: &A,
    app_key: &str,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    match presented_key(req) {
        None => return error_response(StatusCode::UNAUTHORIZED, "missing appKey header"),
        Some(k) if !keys_equal(&k, app_key) => {
            return error_response(StatusCode::UNAUTHORIZED, "invalid appKey")
        }
        Some(_) => {}
    }
    let route = match route(req.uri().path()) {
        Ok(r) => r,
        Err((status, message)) => return error_response(status, message),
    };
    let method = req.method();
    match route {
        Route::Things => {
            if method != Method::GET {
                return method_not_allowed("GET");
            }
            let rows: Vec<Json> = api.things().iter().map(thing_json).collect();
            json_response(StatusCode::OK, &json!({ "rows": rows }))
        }
        Route::Thing(thing) => {
            if method != Method::GET {
                return method_not_allowed("GET");
            }
            match api.thing(&thing) {
                Some(t) => json_response(StatusCode::OK, &thing_json(&t)),
                None => error_response(
                    StatusCode::NOT_FOUND,
                    format!("thing {thing} is unknown: it has never been bound"),
                ),
            }
        }
        Route::Property(thing, property) => match *method {
            Method::GET => match api.read_property(&thing, &property).await {
                Ok(v) => json_response(
                    StatusCode::OK,
                    &json::infotable_to_json(&InfoTable::single(property.as_str(), v)),
                ),
                Err(e) => api_error_response(e),
            },
            Method::PUT => {
                let value = match property_value_from_body(&property, req.body()) {
                    Ok(v) => v,
                    Err((status, message)) => return error_response(status, message),
                };
                match api.write_property(&thing, &property, value).await {
                    Ok(()) => {
                        let mut r = Response::new(Bytes::new());
                        *r.status_mut() = StatusCode::OK;
                        r
                    }
                    Err(e) => api_error_response(e),
                }
            }
            _ => method_not_allowed("GET, PUT"),
        },
        Route::Service(thing, service) => {
            if method != Method::POST {
                return method_not_allowed("POST");
            }
            let params = match parse_body(req.body()) {
                Ok(None) => None,
                Ok(Some(Json::Object(m))) if m.is_empty() => None,
                Ok(Some(j)) => match json::params_from_json(&j) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        return error_response(
                            StatusCode::BAD_REQUEST,
                            format!("bad parameters: {e}"),
                        )
                    }
                },
                Err((status, message)) => return error_response(status, message),
            };
            match api.invoke_service(&thing, &service, params).await {
                Ok(t) => json_response(StatusCode::OK, &json::infotable_to_json(&t)),
                Err(e) => api_error_response(e),
            }
        }
    }
}

/// The value of a property write: the body must be an object holding the property's name.
fn property_value_from_body(property: &str, body: &Bytes) -> Result<Value, Rejection> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let expected = || format!("body must be a JSON object like {{\"{property}\": <value>}}");
    let Some(j) = parse_body(body)? else {
        return Err(bad(format!("empty body: {}", expected())));
    };
    let Json::Object(m) = j else {
        return Err(bad(expected()));
    };
    let Some(v) = m.get(property) else {
        return Err(bad(format!("{} (no key {property:?})", expected())));
    };
    json::value_from_json(v).map_err(|e| {
        bad(format!(
            "bad value: {}",
            json::JsonError {
                path: format!(
                    "{property}{}",
                    if e.path == "$" {
                        String::new()
                    } else {
                        format!(".{}", e.path)
                    }
                ),
                message: e.message,
            }
        ))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_proto::{BaseType, FieldDefinition};
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    /// A fake platform: `T` is bound and has property `temp`; `Old` was bound once; services
    /// `Echo` (returns its params), `Slow` (times out), `Broken` (edge error).
    #[derive(Default)]
    struct Fake {
        props: Mutex<HashMap<String, Value>>,
        calls: Mutex<Vec<String>>,
    }

    impl Fake {
        fn new() -> Self {
            let f = Self::default();
            f.props
                .lock()
                .unwrap()
                .insert("temp".into(), Value::Number(21.5));
            f
        }
        fn bound(&self, thing: &str) -> Result<(), ApiError> {
            match thing {
                "T" => Ok(()),
                _ => Err(ApiError::NotBound(thing.into())),
            }
        }
    }

    impl PlatformApi for Fake {
        fn things(&self) -> Vec<ThingInfo> {
            ["T", "Old"].iter().filter_map(|n| self.thing(n)).collect()
        }
        fn thing(&self, name: &str) -> Option<ThingInfo> {
            let at = UNIX_EPOCH + Duration::from_millis(1_500_000_000_000);
            match name {
                "T" | "with space" => Some(ThingInfo {
                    name: name.into(),
                    is_connected: true,
                    last_connection: Some(at),
                }),
                "Old" => Some(ThingInfo {
                    name: name.into(),
                    is_connected: false,
                    last_connection: None,
                }),
                _ => None,
            }
        }
        async fn read_property(&self, thing: &str, property: &str) -> Result<Value, ApiError> {
            self.bound(thing)?;
            self.props
                .lock()
                .unwrap()
                .get(property)
                .cloned()
                .ok_or_else(|| ApiError::NotFound(format!("property {property} not found")))
        }
        async fn write_property(
            &self,
            thing: &str,
            property: &str,
            value: Value,
        ) -> Result<(), ApiError> {
            self.bound(thing)?;
            self.calls.lock().unwrap().push(format!("write {property}"));
            self.props.lock().unwrap().insert(property.into(), value);
            Ok(())
        }
        async fn invoke_service(
            &self,
            thing: &str,
            service: &str,
            params: Option<InfoTable>,
        ) -> Result<InfoTable, ApiError> {
            self.bound(thing)?;
            match service {
                "Echo" => Ok(params.unwrap_or_default()),
                "Slow" => Err(ApiError::Timeout),
                "Broken" => Err(ApiError::Edge("edge answered INTERNAL_ERROR".into())),
                _ => Err(ApiError::NotFound(format!("service {service} not found"))),
            }
        }
    }

    const KEY: &str = "k3y";

    fn req(method: &str, path: &str, key: Option<&str>, body: &str) -> Request<Bytes> {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(k) = key {
            b = b.header("appKey", k);
        }
        b.body(Bytes::from(body.to_owned())).unwrap()
    }

    fn run(fake: &Fake, r: Request<Bytes>) -> (StatusCode, Json) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let resp = rt.block_on(handle(fake, KEY, r));
        let status = resp.status();
        let body = if resp.body().is_empty() {
            Json::Null
        } else {
            serde_json::from_slice(resp.body()).expect("response is JSON")
        };
        (status, body)
    }

    fn call(fake: &Fake, method: &str, path: &str, body: &str) -> (StatusCode, Json) {
        run(fake, req(method, path, Some(KEY), body))
    }

    #[test]
    fn app_key_is_required_and_checked() {
        let f = Fake::new();
        let (s, b) = run(&f, req("GET", "/Thingworx/Things/T", None, ""));
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b, json!({"error": "missing appKey header"}));
        let (s, b) = run(&f, req("GET", "/Thingworx/Things/T", Some("nope"), ""));
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b, json!({"error": "invalid appKey"}));
        // auth comes before routing: no information leaks about paths
        let (s, _) = run(&f, req("GET", "/elsewhere", None, ""));
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // the query parameter works too
        let (s, _) = run(&f, req("GET", "/Thingworx/Things/T?appKey=k3y", None, ""));
        assert_eq!(s, StatusCode::OK);
    }

    #[test]
    fn thing_status() {
        let f = Fake::new();
        let (s, b) = call(&f, "GET", "/Thingworx/Things/T", "");
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            b,
            json!({"name":"T","isConnected":true,"lastConnection":1_500_000_000_000u64})
        );
        let (_, b) = call(&f, "GET", "/Thingworx/Things/Old/", "");
        assert_eq!(
            b,
            json!({"name":"Old","isConnected":false,"lastConnection":null})
        );
        let (s, b) = call(&f, "GET", "/Thingworx/Things/with%20space", "");
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["name"], "with space");
        let (s, b) = call(&f, "GET", "/Thingworx/Things/Nope", "");
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(b["error"].as_str().unwrap().contains("Nope"));
        let (s, b) = call(&f, "GET", "/Thingworx/Things", "");
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["rows"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn property_read_and_write() {
        let f = Fake::new();
        let (s, b) = call(&f, "GET", "/Thingworx/Things/T/Properties/temp", "");
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            b,
            json!({"dataShape":{"fieldDefinitions":{"temp":{"name":"temp","baseType":"NUMBER","description":"","aspects":{}}}},"rows":[{"temp":21.5}]})
        );
        let (s, b) = call(
            &f,
            "PUT",
            "/Thingworx/Things/T/Properties/temp",
            r#"{"temp": 22}"#,
        );
        assert_eq!((s, b), (StatusCode::OK, Json::Null));
        assert_eq!(f.props.lock().unwrap()["temp"], Value::Number(22.0));
        let (_, b) = call(&f, "GET", "/Thingworx/Things/T/Properties/temp", "");
        assert_eq!(b["rows"][0]["temp"], json!(22.0));
        let (s, _) = call(
            &f,
            "PUT",
            "/Thingworx/Things/T/Properties/mode",
            r#"{"mode": "auto"}"#,
        );
        assert_eq!(s, StatusCode::OK);
        assert_eq!(f.props.lock().unwrap()["mode"], Value::string("auto"));
        let (s, b) = call(&f, "GET", "/Thingworx/Things/T/Properties/missing", "");
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(b["error"], "property missing not found");
    }

    #[test]
    fn unbound_thing_says_so() {
        let f = Fake::new();
        for (m, p, body) in [
            ("GET", "/Thingworx/Things/Old/Properties/temp", ""),
            (
                "PUT",
                "/Thingworx/Things/Old/Properties/temp",
                r#"{"temp":1}"#,
            ),
            ("POST", "/Thingworx/Things/Old/Services/Echo", ""),
        ] {
            let (s, b) = call(&f, m, p, body);
            assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{m} {p}");
            assert_eq!(b, json!({"error":"thing Old is not bound"}));
        }
    }

    #[test]
    fn malformed_bodies_are_400_and_never_reach_the_edge() {
        let f = Fake::new();
        let p = "/Thingworx/Things/T/Properties/temp";
        for body in [
            "",
            "   ",
            "{",
            "[1]",
            "22",
            r#"{"other": 1}"#,
            r#"{"temp": {"dataShape": 1, "rows": []}}"#,
            "\u{0}\u{ff}",
        ] {
            let (s, b) = call(&f, "PUT", p, body);
            assert_eq!(s, StatusCode::BAD_REQUEST, "body {body:?}");
            assert!(b["error"].is_string(), "{b}");
        }
        let (_, b) = call(&f, "PUT", p, r#"{"temp": {"dataShape": 1, "rows": []}}"#);
        assert!(
            b["error"].as_str().unwrap().contains("temp.dataShape"),
            "{b}"
        );
        for body in [
            "{",
            "[]",
            "\"x\"",
            r#"{"t": {"dataShape": {}, "rows": [3]}}"#,
        ] {
            let (s, _) = call(&f, "POST", "/Thingworx/Things/T/Services/Echo", body);
            assert_eq!(s, StatusCode::BAD_REQUEST, "body {body:?}");
        }
        assert!(f.calls.lock().unwrap().is_empty());
    }

    #[test]
    fn service_calls() {
        let f = Fake::new();
        let (s, b) = call(
            &f,
            "POST",
            "/Thingworx/Things/T/Services/Echo",
            r#"{"a": 1, "b": "x"}"#,
        );
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["rows"], json!([{"a": 1.0, "b": "x"}]));
        assert_eq!(
            b["dataShape"]["fieldDefinitions"]["b"]["baseType"],
            "STRING"
        );
        for empty in ["", "{}", "\n"] {
            let (s, b) = call(&f, "POST", "/Thingworx/Things/T/Services/Echo", empty);
            assert_eq!(s, StatusCode::OK);
            assert_eq!(b, json::infotable_to_json(&InfoTable::new()));
        }
        let (s, _) = call(&f, "POST", "/Thingworx/Things/T/Services/Slow", "");
        assert_eq!(s, StatusCode::GATEWAY_TIMEOUT);
        let (s, b) = call(&f, "POST", "/Thingworx/Things/T/Services/Broken", "");
        assert_eq!(s, StatusCode::BAD_GATEWAY);
        assert_eq!(b["error"], "edge answered INTERNAL_ERROR");
        let (s, _) = call(&f, "POST", "/Thingworx/Things/T/Services/Nope", "");
        assert_eq!(s, StatusCode::NOT_FOUND);
    }

    #[test]
    fn routing_errors() {
        let f = Fake::new();
        for p in [
            "/",
            "/Thingworx",
            "/Thingworx/Thingsx",
            "/Thingworx/Things/T/Events/E",
            "/Thingworx/Things/T/Properties",
            "/Thingworx/Things/T/Properties/a/b",
        ] {
            let (s, b) = call(&f, "GET", p, "");
            assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
            assert!(
                b["error"].as_str().unwrap().contains("no such endpoint"),
                "{p}"
            );
        }
        let (s, _) = call(&f, "GET", "/Thingworx/Things/%zz", "");
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = call(&f, "GET", "/Thingworx/Things/T/Properties/%FF", "");
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = call(&f, "DELETE", "/Thingworx/Things/T/Properties/temp", "");
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        let (s, _) = call(&f, "GET", "/Thingworx/Things/T/Services/Echo", "");
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        let (s, _) = call(&f, "POST", "/Thingworx/Things/T", "");
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let r = rt.block_on(handle(
            &f,
            KEY,
            req(
                "PATCH",
                "/Thingworx/Things/T/Properties/temp",
                Some(KEY),
                "",
            ),
        ));
        assert_eq!(r.headers()[header::ALLOW], "GET, PUT");
    }

    #[test]
    fn read_property_result_keeps_the_value_type() {
        let f = Fake::new();
        f.props.lock().unwrap().insert(
            "it".into(),
            Value::from(InfoTable::with_fields(vec![FieldDefinition::new(
                "x",
                BaseType::Integer,
            )])),
        );
        let (_, b) = call(&f, "GET", "/Thingworx/Things/T/Properties/it", "");
        assert_eq!(
            b["dataShape"]["fieldDefinitions"]["it"]["baseType"],
            "INFOTABLE"
        );
        assert_eq!(b["rows"][0]["it"]["rows"], json!([]));
    }
}
