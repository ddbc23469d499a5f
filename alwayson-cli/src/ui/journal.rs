//! The notice journal: a bounded ring of the platform's recent notices, each with a sequence
//! id, that every event-stream client reads at its own pace.
//!
//! One writer (the feed) appends; readers copy what follows the last id they saw. Nobody
//! waits for anybody: a reader that falls behind the ring's oldest entry is told how many
//! notices it missed and continues from the oldest one still kept, so a slow client costs
//! nothing but its own gaps, and the journal's memory is capped by entry count and bytes.

use serde_json::Value as Json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// One journaled notice: its id, its event name and its JSON payload (already serialized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Sequence id, from 1, increasing by one per notice.
    pub id: u64,
    /// The event name (`bound`, `pushed`, …).
    pub event: &'static str,
    /// The payload as JSON text.
    pub data: Arc<str>,
    /// The thing a per-thing notice (a value, an event) is about, for readers that follow
    /// one thing; `None` for notices every reader gets.
    pub thing: Option<Arc<str>>,
}

/// What a reader gets: how many notices it can no longer have, and what follows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    /// Notices between the reader's id and the first entry returned that were evicted (or
    /// `None` when the reader's id is from the future, e.g. from before a restart: its view
    /// must be rebuilt from scratch).
    pub missed: Option<u64>,
    /// The entries after the reader's id that it wants, oldest first.
    pub entries: Vec<Entry>,
    /// The id of the last entry looked at (kept or skipped by the reader's filter): where the
    /// reader continues from. Equals the reader's id when there was nothing new.
    pub scanned: u64,
}

impl Batch {
    /// Neither entries nor a gap to report.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.missed == Some(0)
    }
}

/// Bounds of a [`Journal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalLimits {
    /// Most entries kept.
    pub max_entries: usize,
    /// Most payload bytes kept, all entries together.
    pub max_bytes: usize,
    /// Largest payload of one entry; a larger one is replaced by a stub saying it was
    /// too large (readers fetch the full value over REST).
    pub max_entry_bytes: usize,
}

impl Default for JournalLimits {
    fn default() -> Self {
        Self {
            max_entries: 4096,
            max_bytes: 8 * 1024 * 1024,
            max_entry_bytes: 16 * 1024,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    entries: VecDeque<Entry>,
    bytes: usize,
    last_id: u64,
}

/// The bounded notice ring (see the module docs).
#[derive(Debug)]
pub struct Journal {
    inner: Mutex<Inner>,
    latest: watch::Sender<u64>,
    limits: JournalLimits,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new(JournalLimits::default())
    }
}

impl Journal {
    /// An empty journal with these bounds.
    pub fn new(limits: JournalLimits) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            latest: watch::Sender::new(0),
            limits,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a notice every reader gets; returns its id. Evicts the oldest entries beyond
    /// the bounds.
    pub fn push(&self, event: &'static str, data: &Json) -> u64 {
        self.push_about(event, None, data)
    }

    /// Appends a notice about one thing (readers following another thing skip it).
    pub fn push_about(&self, event: &'static str, thing: Option<&str>, data: &Json) -> u64 {
        let mut text = data.to_string();
        if text.len() > self.limits.max_entry_bytes {
            text = oversized(data, text.len()).to_string();
        }
        let id = {
            let mut inner = self.lock();
            inner.last_id += 1;
            let id = inner.last_id;
            inner.bytes += text.len();
            inner.entries.push_back(Entry {
                id,
                event,
                data: text.into(),
                thing: thing.map(Arc::from),
            });
            while inner.entries.len() > self.limits.max_entries.max(1)
                || (inner.bytes > self.limits.max_bytes && inner.entries.len() > 1)
            {
                if let Some(old) = inner.entries.pop_front() {
                    inner.bytes -= old.data.len();
                }
            }
            id
        };
        self.latest.send_replace(id);
        id
    }

    /// The id of the newest notice (0 before the first).
    pub fn latest_id(&self) -> u64 {
        *self.latest.borrow()
    }

    /// A receiver that changes whenever a notice is appended.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }

    /// At most `max` entries after id `after`, and the gap before them.
    pub fn read_after(&self, after: u64, max: usize) -> Batch {
        self.read_filtered(after, max, |_| true)
    }

    /// At most `max` entries after id `after` that `wanted` keeps, and the gap before them.
    pub fn read_filtered(&self, after: u64, max: usize, wanted: impl Fn(&Entry) -> bool) -> Batch {
        let inner = self.lock();
        if after > inner.last_id {
            return Batch {
                missed: None,
                entries: Vec::new(),
                scanned: inner.last_id,
            };
        }
        let oldest = inner.entries.front().map_or(inner.last_id + 1, |e| e.id);
        let first = after.saturating_add(1).max(oldest);
        let missed = first - after.saturating_add(1);
        // Ids are consecutive, so the position is arithmetic.
        let skip = usize::try_from(first - oldest).unwrap_or(usize::MAX);
        let mut entries = Vec::new();
        let mut scanned = first.saturating_sub(1).max(after);
        for e in inner.entries.iter().skip(skip) {
            if entries.len() == max {
                break;
            }
            scanned = e.id;
            if wanted(e) {
                entries.push(e.clone());
            }
        }
        Batch {
            missed: Some(missed),
            entries,
            scanned,
        }
    }
}

/// The stub that replaces a payload larger than an entry may be: the identifying fields
/// (`thing`, `property`, `event`, `time`, …) are kept, bulky ones (`value`, `data`) dropped.
fn oversized(data: &Json, bytes: usize) -> Json {
    let mut stub = serde_json::Map::new();
    if let Json::Object(m) = data {
        for (k, v) in m {
            if matches!(v, Json::String(s) if s.len() <= 256) || v.is_number() || v.is_boolean() {
                stub.insert(k.clone(), v.clone());
            }
        }
    }
    stub.insert("truncated".into(), Json::from(bytes));
    Json::Object(stub)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn small(max_entries: usize, max_bytes: usize) -> Journal {
        Journal::new(JournalLimits {
            max_entries,
            max_bytes,
            max_entry_bytes: 64,
        })
    }

    fn ids(b: &Batch) -> Vec<u64> {
        b.entries.iter().map(|e| e.id).collect()
    }

    #[test]
    fn readers_get_what_follows_their_id() {
        let j = small(10, 1 << 20);
        assert_eq!(j.latest_id(), 0);
        assert!(j.read_after(0, 10).is_empty());
        for n in 0..3 {
            j.push("bound", &json!({ "n": n }));
        }
        assert_eq!(j.latest_id(), 3);
        let b = j.read_after(0, 10);
        assert_eq!((b.missed, ids(&b)), (Some(0), vec![1, 2, 3]));
        assert_eq!(&*b.entries[1].data, r#"{"n":1}"#);
        assert_eq!(b.entries[1].event, "bound");
        assert_eq!(ids(&j.read_after(1, 1)), vec![2]);
        assert!(j.read_after(3, 10).is_empty());
    }

    #[test]
    fn a_reader_behind_the_ring_is_told_how_much_it_missed() {
        let j = small(3, 1 << 20);
        for n in 0..10 {
            j.push("pushed", &json!(n));
        }
        let b = j.read_after(2, 100);
        assert_eq!((b.missed, ids(&b)), (Some(5), vec![8, 9, 10]));
        let b = j.read_after(7, 100);
        assert_eq!((b.missed, ids(&b)), (Some(0), vec![8, 9, 10]));
    }

    #[test]
    fn a_filtering_reader_skips_other_things_and_moves_past_them() {
        let j = small(10, 1 << 20);
        j.push_about("pushed", Some("A"), &json!(1));
        j.push_about("pushed", Some("B"), &json!(2));
        j.push("bound", &json!(3));
        j.push_about("pushed", Some("B"), &json!(4));
        let only_a = |e: &Entry| !matches!(e.thing.as_deref(), Some(t) if t != "A");
        let b = j.read_filtered(0, 10, only_a);
        assert_eq!((ids(&b), b.scanned), (vec![1, 3], 4));
        let b = j.read_filtered(3, 10, only_a);
        assert_eq!((ids(&b), b.scanned, b.missed), (vec![], 4, Some(0)));
        assert!(b.is_empty());
        // max counts kept entries; scanning stops where they were taken
        let b = j.read_filtered(0, 1, only_a);
        assert_eq!((ids(&b), b.scanned), (vec![1], 1));
        let b = j.read_after(4, 10);
        assert_eq!(b.scanned, 4);
    }

    #[test]
    fn an_id_from_the_future_asks_for_a_rebuild() {
        let j = small(3, 1 << 20);
        j.push("opened", &json!({}));
        let b = j.read_after(99, 10);
        assert_eq!(b.missed, None);
        assert!(!b.is_empty());
    }

    #[test]
    fn bytes_are_bounded_and_big_payloads_are_stubbed() {
        let j = small(100, 40);
        for _ in 0..10 {
            j.push("pushed", &json!({"v": "0123456789"})); // 16 bytes each
        }
        let b = j.read_after(0, 100);
        assert_eq!(ids(&b), vec![9, 10]);
        let big = json!({"thing": "T", "property": "p", "value": "x".repeat(500), "time": 5});
        let id = j.push("pushed", &big);
        let e = j.read_after(id - 1, 1).entries.remove(0);
        let stub: Json = serde_json::from_str(&e.data).unwrap();
        assert_eq!(stub["thing"], "T");
        assert_eq!(stub["time"], 5);
        assert!(stub.get("value").is_none());
        assert!(stub["truncated"].as_u64().unwrap() > 500);
    }

    #[tokio::test]
    async fn subscribers_wake_on_push() {
        let j = Arc::new(small(10, 1 << 20));
        let mut rx = j.subscribe();
        let j2 = j.clone();
        tokio::spawn(async move { j2.push("closed", &json!({})) });
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), 1);
    }
}
