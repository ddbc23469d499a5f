//! The live page of `alwayson platform`: one HTML page (inline JS and CSS, no external
//! assets) and the small API it reads, served on the emulator's port beside the REST paths.
//!
//! | Method and path | Answers |
//! |---|---|
//! | `GET /` | the page (`text/html`); without a valid key a small form asking for it (401) |
//! | `GET /ui/events[?after=ID][&thing=NAME]` | the platform's notices as server-sent events (`text/event-stream`, see [`stream`]); `thing` keeps one thing's values and events only |
//! | `GET /ui/things?search=&offset=&limit=` | `{"total","offset","limit","rows":[{"name","isConnected","lastConnection","connection"}…]}`, sorted by name, at most 500 rows |
//! | `GET /ui/connections` | `{"lastEventId","missedNotices","rows":[{"conn","peer","sessionId","since","thingCount","things"}…]}` (at most 50 names per connection) |
//!
//! Every path needs the emulator's application key, as an `appKey` header or query
//! parameter (the page is opened once as `/?appKey=KEY`, keeps the key for the tab and
//! sends it with every request). Times are milliseconds since the Unix epoch.
//!
//! Event names of the stream and their JSON payloads:
//!
//! | event | data |
//! |---|---|
//! | `ready` | `{"lastEventId"}`: first answer to a request without `Last-Event-ID` |
//! | `opened` | `{"conn","peer","time"}`: an edge's websocket was accepted |
//! | `authenticated` | `{"conn","sessionId","time"}` |
//! | `authRejected` | `{"conn","time"}` |
//! | `bound` / `unbound` | `{"conn","thing","time"}` |
//! | `bindRefused` | `{"conn","thing","holder","time"}` |
//! | `closed` | `{"conn","reason","time"}` |
//! | `pushed` | `{"thing","property","value","time","quality"}`: a property value the platform stored (pushed by the edge, or written or read by the platform) |
//! | `event` | `{"thing","event","time","data"}` (`data` is InfoTable JSON) |
//! | `metadata` | `{"thing"}`: the thing's metadata was loaded |
//! | `lagged` | `{"missed"}` (and `"after"`, the client's id, when the stream reports it): notices lost before the next one (`missed` `null`: unknown, reload everything) |
//!
//! Every event has an `id`; a client resumes with `Last-Event-ID` (or `?after=ID`). A
//! payload larger than 16 KiB is cut to its small fields plus `"truncated": <bytes>` (the
//! value is then read over REST).

pub mod connections;
pub mod journal;
pub mod source;
pub mod stream;
pub mod things;

use crate::emulator::ThingModel;
use alwayson_rest::{AppKey, RestError};
use alwayson_tokio::Platform;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use connections::Connections;
use journal::{Journal, JournalLimits};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// The page itself.
const PAGE: &str = include_str!("page.html");
/// What `GET /` shows without a valid key: a form that asks for it.
const KEY_FORM: &str = include_str!("key.html");

/// The page's state: the notice journal, the connections, the key.
#[derive(Debug)]
pub struct Ui {
    /// Recent notices, for the event stream.
    pub journal: Journal,
    /// Open connections.
    pub connections: Connections,
    /// Event-stream requests allowed to wait at once.
    pub streams: Arc<Semaphore>,
    app_key: AppKey,
    model: Option<ThingModel>,
}

impl Ui {
    /// State for a platform whose REST key is `app_key` (the page is behind the same key).
    pub fn new(app_key: AppKey) -> Self {
        Self::new_with(app_key, JournalLimits::default())
    }

    /// Same, with other journal bounds.
    pub fn new_with(app_key: AppKey, limits: JournalLimits) -> Self {
        Self {
            journal: Journal::new(limits),
            connections: Connections::default(),
            streams: Arc::new(Semaphore::new(stream::MAX_STREAMS)),
            app_key,
            model: None,
        }
    }

    /// Lists the things `model` knows too (not only those the platform has seen bound).
    pub fn with_model(mut self, model: ThingModel) -> Self {
        self.model = Some(model);
        self
    }
}

/// Milliseconds since the Unix epoch, as JSON (negative before it).
pub(crate) fn millis(t: SystemTime) -> Value {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => Value::from(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        Err(e) => Value::from(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
    }
}

/// A JSON error `{"error": message}` with `status`.
pub(crate) fn json_error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    RestError::new(status, message.to_string()).into_response()
}

/// Whether this module answers `path` (the page and `/ui/…`).
pub fn serves(path: &str) -> bool {
    path == "/" || path == "/ui" || path.starts_with("/ui/")
}

/// The page's routes, each behind the application key.
pub fn router(ui: Arc<Ui>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/ui/events", get(stream::events))
        .route("/ui/things", get(things_list))
        .route("/ui/connections", get(connections_list))
        .layer(axum::middleware::from_fn_with_state(
            ui.clone(),
            require_key,
        ))
        .with_state(ui)
}

/// The emulator's key check, except that the page itself answers a form asking for the key.
async fn require_key(State(ui): State<Arc<Ui>>, req: Request, next: Next) -> Response {
    match ui.app_key.check(req.headers(), req.uri()) {
        Ok(()) => next.run(req).await,
        Err(_) if req.uri().path() == "/" => {
            let mut r = Html(KEY_FORM).into_response();
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        Err(e) => e.into_response(),
    }
}

async fn page() -> Response {
    let mut r = Html(PAGE).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Everything is inline; nothing may be fetched from elsewhere.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src data:; form-action 'self'",
        ),
    );
    r
}

/// The platform handle the platform's HTTP layer puts in every request.
fn platform(ext: Option<Extension<Platform>>) -> Result<Platform, RestError> {
    ext.map(|Extension(p)| p).ok_or_else(|| {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "platform handle missing from the request",
        )
    })
}

/// The query parameters, or a JSON 400.
pub(crate) fn params(
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, RestError> {
    q.map(|Query(q)| q)
        .map_err(|e| RestError::bad_request(e.body_text()))
}

async fn things_list(
    State(ui): State<Arc<Ui>>,
    ext: Option<Extension<Platform>>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let (platform, q) = match (platform(ext), params(q)) {
        (Ok(p), Ok(q)) => (p, q),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let num = |k: &str, default: usize| {
        q.get(k)
            .map_or(Ok(default), |v| v.trim().parse::<usize>())
            .map_err(|_| format!("{k} must be a non-negative integer"))
    };
    let (offset, limit) = match (num("offset", 0), num("limit", things::DEFAULT_LIMIT)) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) | (_, Err(e)) => return json_error(StatusCode::BAD_REQUEST, e),
    };
    let query = things::ThingQuery {
        search: q.get("search").cloned().unwrap_or_default(),
        offset,
        limit,
    };
    let rows = source::thing_rows(&platform, ui.model.as_ref());
    Json(things::search(rows, &query)).into_response()
}

async fn connections_list(State(ui): State<Arc<Ui>>, ext: Option<Extension<Platform>>) -> Response {
    let platform = match platform(ext) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let last = ui.journal.latest_id();
    let rows = ui
        .connections
        .rows(&source::thing_rows(&platform, ui.model.as_ref()));
    Json(json!({
        "lastEventId": last,
        "missedNotices": ui.connections.missed_count(),
        "rows": rows,
    }))
    .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::platform_cmd::serve_http as call;
    use bytes::Bytes;

    async fn get(uri: &str, key: Option<&str>) -> (StatusCode, String, String) {
        let mut req = http::Request::get(uri);
        if let Some(k) = key {
            req = req.header("appKey", k);
        }
        let resp = call(
            router(Arc::new(Ui::new(AppKey::new("s3cret")))),
            req.body(Bytes::new()).unwrap(),
        )
        .await;
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            resp.status(),
            ct,
            String::from_utf8(resp.body().to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn the_page_needs_the_key_in_a_header_or_the_query() {
        let (s, ct, body) = get("/", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(ct.starts_with("text/html"));
        assert!(body.contains("appKey"), "{body}");
        assert!(
            !body.contains("id=\"things\""),
            "the page leaked without a key"
        );
        let (s, _, _) = get("/?appKey=wrong", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, ct, body) = get("/?appKey=s3cret", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(ct.starts_with("text/html"));
        assert!(body.contains("id=\"things\""));
        let (s, _, _) = get("/", Some("s3cret")).await;
        assert_eq!(s, StatusCode::OK);
        // percent-encoded keys are decoded
        let resp = call(
            router(Arc::new(Ui::new(AppKey::new("a b&c")))),
            http::Request::get("/?appKey=a%20b%26c")
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn api_paths_answer_json_401_without_the_key() {
        for p in ["/ui/events", "/ui/things", "/ui/connections", "/ui/nope"] {
            let (s, ct, body) = get(p, Some("nope")).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{p}");
            assert_eq!(ct, "application/json", "{p}");
            assert_eq!(body, r#"{"error":"invalid appKey"}"#);
        }
    }

    #[tokio::test]
    async fn refusals_are_json() {
        // no platform handle in a request built by hand
        let (s, ct, body) = get("/ui/things", Some("s3cret")).await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(ct, "application/json");
        assert!(body.contains("platform handle missing"), "{body}");
    }

    #[test]
    fn the_module_claims_only_its_paths() {
        for p in ["/", "/ui", "/ui/events", "/ui/things"] {
            assert!(serves(p), "{p}");
        }
        for p in ["/Thingworx/Things", "/uix", "/index.html", ""] {
            assert!(!serves(p), "{p}");
        }
    }
}
