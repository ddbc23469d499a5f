//! `GET /ui/events`: the platform's notices as server-sent events.
//!
//! The platform's HTTP layer sends whole responses, so the stream is delivered in batches:
//! a request waits (at most [`HOLD`]) until there is something after the client's last event
//! id, answers with what there is (at most [`MAX_BATCH`] events, [`MAX_BATCH_BYTES`]), and
//! ends; the `retry` field makes an `EventSource` reconnect after [`RETRY`] with a
//! `Last-Event-ID` header, so nothing between two batches is lost. A script does the same:
//! request again with `Last-Event-ID` set to the last `id` it read (a request with only
//! `?after=` counts as a first request and is answered at once, see below).
//!
//! `?thing=NAME` keeps only that thing's per-thing notices (`pushed`, `event`, `metadata`);
//! connection and binding notices always come.
//!
//! A request without `Last-Event-ID` (a client's first) is answered at once, starting with
//! a `ready` event (`{"lastEventId"}`, its id the client's starting point), so a client knows
//! the stream is there before the first notice.
//!
//! A client that falls behind the journal gets a `lagged` event first (`{"missed": n}`, or
//! `null` when its id is unknown, e.g. from before a restart) and should reload its state.

use super::journal::{Batch, Entry};
use super::Ui;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// Longest a request waits for a notice before it ends empty.
pub const HOLD: Duration = Duration::from_secs(15);
/// Most events in one response.
pub const MAX_BATCH: usize = 512;
/// Most payload bytes in one response (the first event always goes).
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// The reconnection delay the stream asks of `EventSource` clients.
pub const RETRY: Duration = Duration::from_millis(50);
/// Most event-stream requests waiting at once; more are refused with 503.
pub const MAX_STREAMS: usize = 64;

/// The client's `Last-Event-ID`, if it sent one.
fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Where a first request starts: `?after=`, else the newest notice (a new client hears only
/// what happens from now on).
fn first_id(ui: &Ui, query: &HashMap<String, String>) -> u64 {
    query
        .get("after")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| ui.journal.latest_id())
}

/// Which per-thing notices a client wants: all (`None`) or one thing's (`?thing=`).
/// Notices that are not about one thing (connections, bindings) always pass.
fn wanted(thing: Option<&str>, e: &Entry) -> bool {
    match (thing, e.thing.as_deref()) {
        (Some(want), Some(about)) => want == about,
        _ => true,
    }
}

/// Waits until the journal has something after `after` that the client wants (or `hold`
/// passes); skipped notices move the batch's `scanned` on.
pub async fn next_batch(ui: &Ui, after: u64, thing: Option<&str>, hold: Duration) -> Batch {
    let mut rx = ui.journal.subscribe();
    let deadline = tokio::time::Instant::now() + hold;
    let mut from = after;
    loop {
        let mut batch = ui
            .journal
            .read_filtered(from, MAX_BATCH, |e| wanted(thing, e));
        if from != after && batch.missed == Some(0) {
            // Entries between `after` and `from` were skipped, not missed.
            batch.scanned = batch.scanned.max(from);
        }
        if !batch.is_empty() || hold.is_zero() {
            return batch;
        }
        from = batch.scanned;
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { return batch },
            _ = tokio::time::sleep_until(deadline) => return batch,
        }
    }
}

/// The batch as SSE events: `retry`, `ready` for a first request, `lagged` if there was a
/// gap, the notices, and a bare `id` past the skipped ones (it moves the client's
/// `Last-Event-ID` on without an event).
pub fn batch_events(after: u64, first: bool, batch: Batch) -> Vec<Event> {
    let mut out = vec![Event::default()
        .comment("alwayson live notices")
        .retry(RETRY)];
    if first {
        out.push(
            Event::default()
                .event("ready")
                .id(after.to_string())
                .data(json!({ "lastEventId": after }).to_string()),
        );
    }
    let mut last = after;
    if batch.missed != Some(0) {
        // Resume after the gap (or, for an unknown id, from the newest notice).
        last = batch.entries.first().map_or(batch.scanned, |e| e.id - 1);
        out.push(
            Event::default()
                .event("lagged")
                .id(last.to_string())
                .data(json!({ "missed": batch.missed, "after": after }).to_string()),
        );
    }
    let mut bytes = 0;
    let mut complete = true;
    for e in batch.entries {
        bytes += e.data.len();
        if bytes > MAX_BATCH_BYTES && bytes > e.data.len() {
            complete = false;
            break;
        }
        last = e.id;
        out.push(
            Event::default()
                .event(e.event)
                .id(e.id.to_string())
                .data(&*e.data),
        );
    }
    if complete && batch.scanned > last {
        out.push(Event::default().id(batch.scanned.to_string()));
    }
    out
}

/// The handler of `GET /ui/events`.
pub async fn events(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let query = match super::params(query) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let Ok(_permit) = ui.streams.clone().try_acquire_owned() else {
        return super::json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many event streams open; try again later",
        );
    };
    let (after, first, hold) = match last_event_id(&headers) {
        Some(id) => (id, false, HOLD),
        None => (first_id(&ui, &query), true, Duration::ZERO),
    };
    let thing = query
        .get("thing")
        .map(String::as_str)
        .filter(|t| !t.is_empty());
    let batch = next_batch(&ui, after, thing, hold).await;
    let events = batch_events(after, first, batch);
    let mut r = Sse::new(futures_util::stream::iter(
        events.into_iter().map(Ok::<_, Infallible>),
    ))
    .into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    r
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_rest::AppKey;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    async fn get(ui: &Arc<Ui>, uri: &str, last_id: Option<&str>) -> (StatusCode, String) {
        let mut req = Request::get(uri);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id);
        }
        let req = req.header("appKey", "k").body(Body::empty()).unwrap();
        let resp = super::super::router(ui.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_batch_is_a_well_formed_event_stream() {
        let ui = Arc::new(Ui::new(AppKey::new("k")));
        ui.journal.push("bound", &json!({"thing": "T"}));
        ui.journal.push("unbound", &json!({"thing": "T"}));
        let (s, body) = get(&ui, "/ui/events?after=0", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            body.starts_with(": alwayson live notices\nretry: 50\n\nevent: ready\nid: 0\ndata: {\"lastEventId\":0}\n\n"),
            "{body}"
        );
        assert!(
            body.contains("event: bound\nid: 1\ndata: {\"thing\":\"T\"}\n\n"),
            "{body}"
        );
        assert!(body.contains("event: unbound\nid: 2\n"), "{body}");
        // Last-Event-ID wins over ?after=
        let (_, body) = get(&ui, "/ui/events?after=0", Some("1")).await;
        assert!(!body.contains("event: bound"), "{body}");
        assert!(!body.contains("event: ready"), "{body}");
        assert!(body.contains("event: unbound"), "{body}");
    }

    #[tokio::test]
    async fn a_waiting_client_wakes_on_the_next_notice() {
        let ui = Arc::new(Ui::new(AppKey::new("k")));
        let ui2 = ui.clone();
        // a first request answers at once, from the newest notice on
        let (_, body) = get(&ui, "/ui/events", None).await;
        assert!(body.contains("event: ready\nid: 0\n"), "{body}");
        let waiter = tokio::spawn(async move { get(&ui2, "/ui/events", Some("0")).await });
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "answered with nothing to say");
        ui.journal.push("opened", &json!({"conn": 1}));
        let (_, body) = waiter.await.unwrap();
        assert!(body.contains("event: opened\nid: 1\n"), "{body}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_stream_ends_after_the_hold() {
        let ui = Arc::new(Ui::new(AppKey::new("k")));
        let (s, body) = get(&ui, "/ui/events", Some("0")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body, ": alwayson live notices\nretry: 50\n\n");
    }

    #[tokio::test]
    async fn a_lagging_client_is_told_and_resumes_after_the_gap() {
        let ui = Arc::new(Ui::new_with(
            AppKey::new("k"),
            super::super::journal::JournalLimits {
                max_entries: 2,
                ..Default::default()
            },
        ));
        for n in 0..5 {
            ui.journal.push("pushed", &json!({ "n": n }));
        }
        let (_, body) = get(&ui, "/ui/events", Some("1")).await;
        assert!(
            body.contains("event: lagged\nid: 3\ndata: {\"missed\":2,\"after\":1}\n\n"),
            "{body}"
        );
        assert!(
            body.contains("id: 4\n") && body.contains("id: 5\n"),
            "{body}"
        );
        // an id from before a restart
        let (_, body) = get(&ui, "/ui/events", Some("99")).await;
        assert!(
            body.contains("event: lagged\nid: 5\ndata: {\"missed\":null,\"after\":99}"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn a_client_following_one_thing_skips_the_others_and_moves_on() {
        let ui = Arc::new(Ui::new(AppKey::new("k")));
        ui.journal
            .push_about("pushed", Some("A"), &json!({"thing": "A"}));
        ui.journal.push("bound", &json!({"thing": "C"}));
        ui.journal
            .push_about("pushed", Some("B"), &json!({"thing": "B"}));
        let (_, body) = get(&ui, "/ui/events?thing=A", Some("0")).await;
        assert!(body.contains("event: pushed\nid: 1\n"), "{body}");
        assert!(body.contains("event: bound\nid: 2\n"), "{body}");
        assert!(!body.contains("\"B\""), "{body}");
        // the bare id moves the client past what it skipped
        assert!(body.ends_with("\nid: 3\n\n"), "{body}");
        // only skipped notices: the request keeps waiting, then answers with the next wanted
        let ui2 = ui.clone();
        let waiter = tokio::spawn(async move { get(&ui2, "/ui/events?thing=A", Some("3")).await });
        ui.journal
            .push_about("pushed", Some("B"), &json!({"thing": "B"}));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "woke for another thing's notice");
        ui.journal
            .push_about("event", Some("A"), &json!({"thing": "A"}));
        let (_, body) = waiter.await.unwrap();
        assert!(body.contains("event: event\nid: 5\n"), "{body}");
        assert!(!body.contains("\"B\""), "{body}");
    }

    #[tokio::test]
    async fn streams_are_limited() {
        let ui = Arc::new(Ui::new(AppKey::new("k")));
        let _all = ui
            .streams
            .clone()
            .acquire_many_owned(MAX_STREAMS as u32)
            .await
            .unwrap();
        let (s, body) = get(&ui, "/ui/events", None).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("too many event streams"), "{body}");
    }
}
