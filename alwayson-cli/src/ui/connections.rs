//! The platform's connections as the page shows them (remote address, session id, things,
//! since when), kept from the platform's connection notices.
//!
//! Which things a connection holds is not kept here: the thing registry knows it exactly
//! ([`Connections::rows`] takes its snapshot), so a missed notice can never leave a thing on
//! the wrong connection. A missed `Closed` can leave a stale row; the count of missed notices
//! is reported alongside so the page can say so.

use super::things::ThingRow;
use alwayson_proto::ConnectionId;
use alwayson_tokio::PlatformNotice;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::SystemTime;

use super::millis;

/// Most thing names listed per connection (`thingCount` has the total).
pub const MAX_THINGS_LISTED: usize = 50;

/// Most connections tracked; beyond it the oldest row is forgotten (only possible when
/// `Closed` notices were missed).
const MAX_CONNECTIONS: usize = 100_000;

#[derive(Debug, Clone)]
struct Conn {
    peer: SocketAddr,
    session_id: Option<u32>,
    since: SystemTime,
}

#[derive(Debug, Default)]
struct Inner {
    conns: BTreeMap<ConnectionId, Conn>,
    missed: u64,
}

/// Open connections, updated by [`Connections::apply`].
#[derive(Debug, Default)]
pub struct Connections {
    inner: Mutex<Inner>,
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one notice into account (`now` is when it was seen).
    pub fn apply(&self, notice: &PlatformNotice, now: SystemTime) {
        let mut inner = self.lock();
        match notice {
            PlatformNotice::Opened { conn, peer } => {
                inner.conns.insert(
                    *conn,
                    Conn {
                        peer: *peer,
                        session_id: None,
                        since: now,
                    },
                );
                while inner.conns.len() > MAX_CONNECTIONS {
                    inner.conns.pop_first();
                }
            }
            PlatformNotice::Authenticated { conn, session_id } => {
                if let Some(c) = inner.conns.get_mut(conn) {
                    c.session_id = Some(*session_id);
                }
            }
            PlatformNotice::Closed { conn, .. } => {
                inner.conns.remove(conn);
            }
            _ => {}
        }
    }

    /// Records that `n` notices were lost (the feed fell behind).
    pub fn missed(&self, n: u64) {
        let mut inner = self.lock();
        inner.missed = inner.missed.saturating_add(n);
    }

    /// Notices lost so far.
    pub fn missed_count(&self) -> u64 {
        self.lock().missed
    }

    /// One JSON row per open connection, oldest first:
    /// `{"conn","peer","sessionId","since","thingCount","things":[…]}`, the things taken from
    /// `registry` (the first [`MAX_THINGS_LISTED`] by name).
    pub fn rows(&self, registry: &[ThingRow]) -> Vec<Json> {
        let mut things: HashMap<ConnectionId, Vec<String>> = HashMap::new();
        for t in registry {
            if let (true, Some(c)) = (t.is_connected, t.connection) {
                things.entry(c).or_default().push(t.name.clone());
            }
        }
        let inner = self.lock();
        inner
            .conns
            .iter()
            .map(|(id, c)| {
                let mut names = things.remove(id).unwrap_or_default();
                names.sort_unstable();
                let count = names.len();
                names.truncate(MAX_THINGS_LISTED);
                json!({
                    "conn": id,
                    "peer": c.peer.to_string(),
                    "sessionId": c.session_id,
                    "since": millis(c.since),
                    "thingCount": count,
                    "things": names,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_proto::platform::CloseReason;
    use std::time::{Duration, UNIX_EPOCH};

    fn status(name: &str, conn: Option<ConnectionId>) -> ThingRow {
        ThingRow {
            name: name.into(),
            is_connected: conn.is_some(),
            last_connection: None,
            connection: conn,
        }
    }

    #[test]
    fn rows_follow_the_notices_and_the_registry() {
        let c = Connections::default();
        let t0 = UNIX_EPOCH + Duration::from_millis(1_000);
        let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        c.apply(&PlatformNotice::Opened { conn: 7, peer }, t0);
        c.apply(
            &PlatformNotice::Opened {
                conn: 8,
                peer: "127.0.0.1:4001".parse().unwrap(),
            },
            t0 + Duration::from_secs(1),
        );
        c.apply(
            &PlatformNotice::Authenticated {
                conn: 7,
                session_id: 42,
            },
            t0,
        );
        let registry = [
            status("B", Some(7)),
            status("A", Some(7)),
            status("Gone", None),
        ];
        let rows = c.rows(&registry);
        assert_eq!(
            rows[0],
            json!({"conn":7,"peer":"127.0.0.1:4000","sessionId":42,"since":1000,"thingCount":2,"things":["A","B"]})
        );
        let crowd: Vec<ThingRow> = (0..60)
            .map(|i| status(&format!("T{i:02}"), Some(8)))
            .collect();
        let crowded = c.rows(&crowd);
        assert_eq!(crowded[1]["thingCount"], 60);
        assert_eq!(
            crowded[1]["things"].as_array().unwrap().len(),
            MAX_THINGS_LISTED
        );
        assert_eq!(crowded[1]["things"][49], "T49");
        assert_eq!(rows[1]["sessionId"], Json::Null);
        assert_eq!(rows[1]["things"], json!([]));
        c.apply(
            &PlatformNotice::Closed {
                conn: 7,
                reason: CloseReason::ConnectionLost,
            },
            t0,
        );
        let rows = c.rows(&registry);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["conn"], 8);
        c.missed(3);
        assert_eq!(c.missed_count(), 3);
    }
}
