//! Everything the page takes from the runtime and the emulator, in one place: the platform's
//! connection notices (handed over by the emulator's watcher, the one reader of
//! `Platform::events`), the thing model's notices (pushed values, events, metadata) and the
//! platform's thing list, turned into journal entries and connection rows.

use super::connections::Connections;
use super::journal::Journal;
use super::things::ThingRow;
use super::{millis, Ui};
use crate::emulator::{ModelNotice, ThingModel};
use crate::platform_cmd::close_reason;
use alwayson_tokio::{Platform, PlatformNotice};
use serde_json::{json, Value as Json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::broadcast;

/// The platform's things as the page lists them: every thing the platform has seen bound,
/// and every thing the emulator's model knows otherwise (as not connected).
pub fn thing_rows(platform: &Platform, model: Option<&ThingModel>) -> Vec<ThingRow> {
    let mut rows: Vec<ThingRow> = platform
        .things()
        .into_iter()
        .map(|s| ThingRow {
            name: s.name.to_str_lossy().into_owned(),
            is_connected: s.is_connected,
            last_connection: s.last_connection,
            connection: s.connection,
        })
        .collect();
    if let Some(model) = model {
        let seen: HashSet<String> = rows.iter().map(|r| r.name.clone()).collect();
        rows.extend(
            model
                .things()
                .into_iter()
                .filter(|n| !seen.contains(n))
                .map(|name| ThingRow {
                    name,
                    is_connected: false,
                    last_connection: None,
                    connection: None,
                }),
        );
    }
    rows
}

/// The event name and JSON payload of a connection notice (`None` for notices the stream
/// does not carry).
pub fn notice_event(n: &PlatformNotice, now: SystemTime) -> Option<(&'static str, Json)> {
    let time = millis(now);
    Some(match n {
        PlatformNotice::Opened { conn, peer } => (
            "opened",
            json!({"conn": conn, "peer": peer.to_string(), "time": time}),
        ),
        PlatformNotice::Authenticated { conn, session_id } => (
            "authenticated",
            json!({"conn": conn, "sessionId": session_id, "time": time}),
        ),
        PlatformNotice::AuthRejected { conn } => {
            ("authRejected", json!({"conn": conn, "time": time}))
        }
        PlatformNotice::Bound { conn, name } => {
            ("bound", json!({"conn": conn, "thing": name, "time": time}))
        }
        PlatformNotice::BindRefused { conn, name, holder } => (
            "bindRefused",
            json!({"conn": conn, "thing": name, "holder": holder, "time": time}),
        ),
        PlatformNotice::Unbound { conn, name } => (
            "unbound",
            json!({"conn": conn, "thing": name, "time": time}),
        ),
        PlatformNotice::Closed { conn, reason } => (
            "closed",
            json!({"conn": conn, "reason": close_reason(reason), "time": time}),
        ),
        _ => return None,
    })
}

/// Takes one platform notice into the page's state.
pub fn apply(journal: &Journal, connections: &Connections, n: &PlatformNotice, now: SystemTime) {
    connections.apply(n, now);
    if let Some((event, data)) = notice_event(n, now) {
        journal.push(event, &data);
    }
}

/// Takes one platform notice (seen now) into the page's state; a lag notice (the watcher
/// fell more than the platform's backlog behind a burst) becomes [`missed`].
pub fn platform_notice(ui: &Ui, n: &PlatformNotice) {
    match n {
        PlatformNotice::Lagged { missed: k } => missed(ui, *k),
        n => apply(&ui.journal, &ui.connections, n, SystemTime::now()),
    }
}

/// Records that `k` platform notices were lost (the watcher fell behind): the stream says so
/// with a `lagged` event, and the connections view counts them.
pub fn missed(ui: &Ui, k: u64) {
    tracing::warn!("live page: {k} platform notice(s) missed (fell behind)");
    ui.connections.missed(k);
    ui.journal.push("lagged", &json!({ "missed": k }));
}

/// The thing, event name and JSON payload of a thing-model notice (`None` for notices the
/// stream does not carry; today it carries every kind).
pub fn model_event(n: &ModelNotice) -> Option<(&str, &'static str, Json)> {
    Some(match n {
        ModelNotice::PropertyUpdated {
            thing,
            property,
            value,
            time_ms,
            quality,
        } => (
            thing.as_str(),
            "pushed",
            json!({"thing": thing, "property": property, "value": value, "time": time_ms, "quality": quality}),
        ),
        ModelNotice::EventReceived {
            thing,
            event,
            time_ms,
            data,
        } => (
            thing.as_str(),
            "event",
            json!({"thing": thing, "event": event, "time": time_ms, "data": data}),
        ),
        ModelNotice::MetadataLoaded { thing } => {
            (thing.as_str(), "metadata", json!({ "thing": thing }))
        }
    })
}

/// Follows the thing model's notices until the model is gone. Never blocks the model: its
/// channel is bounded, and when this task falls behind the stream gets a `lagged` event.
pub async fn follow_model(mut rx: broadcast::Receiver<ModelNotice>, ui: Arc<Ui>) {
    loop {
        match rx.recv().await {
            Ok(n) => {
                if let Some((thing, event, data)) = model_event(&n) {
                    ui.journal.push_about(event, Some(thing), &data);
                }
            }
            Err(broadcast::error::RecvError::Lagged(k)) => {
                tracing::warn!("live page: {k} model notice(s) missed (fell behind)");
                ui.journal.push("lagged", &json!({ "missed": k }));
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_proto::platform::CloseReason;
    use alwayson_rest::AppKey;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn notices_become_named_json_events() {
        let j = Journal::default();
        let c = Connections::default();
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let peer = "127.0.0.1:5000".parse().unwrap();
        for n in [
            PlatformNotice::Opened { conn: 1, peer },
            PlatformNotice::Authenticated {
                conn: 1,
                session_id: 9,
            },
            PlatformNotice::Bound {
                conn: 1,
                name: "T".into(),
            },
            PlatformNotice::Unbound {
                conn: 1,
                name: "T".into(),
            },
            PlatformNotice::Closed {
                conn: 1,
                reason: CloseReason::IdleTimeout,
            },
        ] {
            apply(&j, &c, &n, now);
        }
        let b = j.read_after(0, 10);
        let got: Vec<(&str, Json)> = b
            .entries
            .iter()
            .map(|e| (e.event, serde_json::from_str(&e.data).unwrap()))
            .collect();
        let t = 1_700_000_000_123u64;
        assert_eq!(
            got,
            vec![
                ("opened", json!({"conn":1,"peer":"127.0.0.1:5000","time":t})),
                ("authenticated", json!({"conn":1,"sessionId":9,"time":t})),
                ("bound", json!({"conn":1,"thing":"T","time":t})),
                ("unbound", json!({"conn":1,"thing":"T","time":t})),
                ("closed", json!({"conn":1,"reason":"idle timeout","time":t})),
            ]
        );
        assert!(c.rows(&[]).is_empty());
    }

    #[test]
    fn a_lag_notice_reaches_the_page_as_a_lagged_event_and_a_count() {
        let ui = Ui::new(AppKey::new("k"));
        platform_notice(&ui, &PlatformNotice::Lagged { missed: 5 });
        platform_notice(&ui, &PlatformNotice::Lagged { missed: 2 });
        let b = ui.journal.read_after(0, 10);
        let got: Vec<(&str, Json)> = b
            .entries
            .iter()
            .map(|e| (e.event, serde_json::from_str(&e.data).unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("lagged", json!({"missed": 5})),
                ("lagged", json!({"missed": 2}))
            ]
        );
        assert_eq!(ui.connections.missed_count(), 7);
    }

    #[test]
    fn model_notices_become_pushed_event_and_metadata() {
        let n = ModelNotice::PropertyUpdated {
            thing: "T".into(),
            property: "p".into(),
            value: json!(21.5),
            time_ms: 7,
            quality: "GOOD".into(),
        };
        assert_eq!(
            model_event(&n),
            Some((
                "T",
                "pushed",
                json!({"thing":"T","property":"p","value":21.5,"time":7,"quality":"GOOD"})
            ))
        );
        let n = ModelNotice::EventReceived {
            thing: "T".into(),
            event: "Fault".into(),
            time_ms: 8,
            data: json!({"rows": []}),
        };
        assert_eq!(
            model_event(&n),
            Some((
                "T",
                "event",
                json!({"thing":"T","event":"Fault","time":8,"data":{"rows":[]}})
            ))
        );
        let n = ModelNotice::MetadataLoaded { thing: "T".into() };
        assert_eq!(
            model_event(&n),
            Some(("T", "metadata", json!({"thing":"T"})))
        );
    }

    #[tokio::test]
    async fn the_model_feed_journals_what_the_model_reports() {
        let model = crate::emulator::ThingModel::default();
        let ui = Arc::new(Ui::new(AppKey::new("k")));
        let task = tokio::spawn(follow_model(model.subscribe(), ui.clone()));
        model.record(
            "T",
            "temp",
            crate::emulator::model::Vtq::good(alwayson_proto::Value::Number(3.5), 11),
            crate::emulator::model::Source::Pushed,
        );
        let mut rx = ui.journal.subscribe();
        if ui.journal.latest_id() == 0 {
            rx.changed().await.unwrap();
        }
        let e = ui.journal.read_after(0, 10).entries.remove(0);
        assert_eq!((e.event, e.thing.as_deref()), ("pushed", Some("T")));
        let d: Json = serde_json::from_str(&e.data).unwrap();
        assert_eq!(
            (d["thing"].clone(), d["value"].clone(), d["time"].clone()),
            (json!("T"), json!(3.5), json!(11))
        );
        task.abort();
    }
}
