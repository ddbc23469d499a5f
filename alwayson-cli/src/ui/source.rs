//! Everything the page reads from the runtime, in one place: the platform's notices (turned
//! into journal entries and connection rows) and its thing list. When the runtime's notice
//! type or its delivery changes (a `futures::Stream` instead of a broadcast receiver), this
//! file is the one to change.

use super::connections::Connections;
use super::journal::Journal;
use super::things::ThingRow;
use super::{millis, Ui};
use crate::platform_cmd::close_reason;
use alwayson_tokio::{Platform, PlatformNotice};
use serde_json::{json, Value as Json};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::broadcast;

/// The platform's things as the page lists them.
pub fn thing_rows(platform: &Platform) -> Vec<ThingRow> {
    platform
        .things()
        .into_iter()
        .map(|s| ThingRow {
            name: s.name.to_str_lossy().into_owned(),
            is_connected: s.is_connected,
            last_connection: s.last_connection,
            connection: s.connection,
        })
        .collect()
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

/// Follows the platform's notices until the platform stops. Never blocks the platform: the
/// notices come from a bounded broadcast channel, and when this task falls behind it counts
/// what it missed instead.
pub async fn follow(mut rx: broadcast::Receiver<PlatformNotice>, ui: Arc<Ui>) {
    loop {
        match rx.recv().await {
            Ok(n) => apply(&ui.journal, &ui.connections, &n, SystemTime::now()),
            Err(broadcast::error::RecvError::Lagged(k)) => {
                tracing::warn!("live page: {k} platform notice(s) missed (fell behind)");
                ui.connections.missed(k);
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
}
