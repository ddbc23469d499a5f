//! The offline store's decisions (sans-IO): which messages are kept while the edge cannot
//! send, what happens when the store is full, and in which order they are replayed.
//!
//! * **Bounded** in bytes (thing name + encoded message per entry) and in messages. When a
//!   new message would pass a limit, [`FullPolicy`] decides: refuse it (the caller gets
//!   [`StoreError::Full`]) or drop the oldest messages until it fits (each drop counted in
//!   [`OfflineStats::dropped`] and returned to the caller to log). Never a silent drop.
//! * **Replay** happens only for things that are bound on the current connection (the
//!   caller passes [`crate::edge::EdgeSession::is_bound`], true only after AUTH *and* the
//!   thing's BIND succeeded): never before the BIND of its thing, unlike the SDK
//!   (session-lifecycle.md §12). Per thing, messages go out in the order they were stored;
//!   each is re-sent as a new request (fresh request id, current session id).
//! * **At least once:** a message leaves the store only when [`OfflineQueue::done`] is
//!   called for it (the platform answered; an error answer is reported to the application
//!   and not retried). When the connection drops with messages in flight,
//!   [`OfflineQueue::retry_in_flight`] puts them back: the platform may have acted on some of
//!   them, which is where duplicates can occur (and, with a durable store, for messages
//!   answered after the last `Done` record reached the disk).
//!
//! The durable variant (in the runtime) writes each decision to a log in the
//! [`super::offline_log`] format and rebuilds the queue with [`OfflineQueue::restore`].

use super::offline_log::LogRecord;
use crate::codec::{Body, Header, Message, Request};
use bytes::Bytes;
use std::collections::VecDeque;

/// What to do with a new message when the store is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FullPolicy {
    /// Refuse the new message: the caller gets [`StoreError::Full`] (the SDK's behaviour).
    #[default]
    RefuseNew,
    /// Drop the oldest waiting messages until the new one fits; each drop is counted and
    /// handed back to the caller.
    DropOldest,
}

/// Limits of an offline store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OfflineLimits {
    /// Most bytes held (thing name + encoded message per entry). Default 16 MiB.
    pub max_bytes: usize,
    /// Most messages held. Default 100 000.
    pub max_messages: usize,
    /// What happens when full. Default [`FullPolicy::RefuseNew`].
    pub policy: FullPolicy,
}

impl Default for OfflineLimits {
    fn default() -> Self {
        OfflineLimits {
            max_bytes: 16 << 20,
            max_messages: 100_000,
            policy: FullPolicy::RefuseNew,
        }
    }
}

impl OfflineLimits {
    /// These limits with another byte limit.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// These limits with another message limit.
    pub fn with_max_messages(mut self, max_messages: usize) -> Self {
        self.max_messages = max_messages;
        self
    }

    /// These limits with another policy.
    pub fn with_policy(mut self, policy: FullPolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// Why a message was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is full and its policy refuses new messages.
    #[error("offline store full ({messages} messages, {bytes} bytes held)")]
    Full {
        /// Messages held.
        messages: usize,
        /// Bytes held.
        bytes: usize,
    },
    /// The message alone is larger than the store's byte limit.
    #[error("message of {len} bytes is larger than the offline store ({max} bytes)")]
    TooLarge {
        /// Its size in the store.
        len: usize,
        /// The byte limit.
        max: usize,
    },
    /// The request could not be encoded.
    #[error("request could not be encoded: {0}")]
    Encode(String),
}

/// Figures of an offline store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct OfflineStats {
    /// Messages held now (waiting or in flight).
    pub queued: usize,
    /// Bytes held now.
    pub bytes: usize,
    /// Messages ever stored.
    pub stored: u64,
    /// Messages handed out for replay (a message re-sent after a disconnect counts again).
    pub replayed: u64,
    /// Messages that left the store answered.
    pub done: u64,
    /// Messages dropped as the oldest to make room.
    pub dropped: u64,
    /// New messages refused because the store was full or they were too large.
    pub refused: u64,
}

/// A message dropped to make room (for the caller to log, or to record durably).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// Its sequence number.
    pub seq: u64,
    /// The thing it addressed.
    pub thing: String,
}

/// What storing a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The new message's sequence number.
    pub seq: u64,
    /// Messages dropped to make room for it, oldest first (only with
    /// [`FullPolicy::DropOldest`]).
    pub dropped: Vec<Dropped>,
    /// The record to append to a durable log (the runtime writes it, then `Done` records
    /// for `dropped`).
    pub record: LogRecord,
}

#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    thing: String,
    message: Bytes,
    in_flight: bool,
}

impl Entry {
    fn size(&self) -> usize {
        self.thing.len() + self.message.len()
    }
}

/// The offline store's queue: bounded, policy on full, replay gated by BIND. See the
/// module documentation.
#[derive(Debug, Clone, Default)]
pub struct OfflineQueue {
    limits: OfflineLimits,
    entries: VecDeque<Entry>,
    bytes: usize,
    next_seq: u64,
    stats: OfflineStats,
}

impl OfflineQueue {
    /// An empty store with these limits.
    pub fn new(limits: OfflineLimits) -> Self {
        OfflineQueue {
            limits,
            next_seq: 1,
            ..Default::default()
        }
    }

    /// A store rebuilt from a durable log's intact records: every `Stored` without a later
    /// `Done`, in log order. Messages over the limits are kept (they were accepted under
    /// the limits in force then) and new ones are refused or make room by the policy.
    pub fn restore(limits: OfflineLimits, records: impl IntoIterator<Item = LogRecord>) -> Self {
        let mut q = OfflineQueue::new(limits);
        for record in records {
            match record {
                LogRecord::Stored {
                    seq,
                    thing,
                    message,
                } => {
                    q.next_seq = q.next_seq.max(seq.saturating_add(1));
                    let e = Entry {
                        seq,
                        thing,
                        message,
                        in_flight: false,
                    };
                    q.bytes += e.size();
                    q.entries.push_back(e);
                }
                LogRecord::Done { seq } => {
                    q.next_seq = q.next_seq.max(seq.saturating_add(1));
                    if let Some(i) = q.entries.iter().position(|e| e.seq == seq) {
                        if let Some(e) = q.entries.remove(i) {
                            q.bytes -= e.size();
                        }
                    }
                }
            }
        }
        q
    }

    /// The limits in force.
    pub fn limits(&self) -> OfflineLimits {
        self.limits
    }

    /// Figures (queued and bytes are the current holdings).
    pub fn stats(&self) -> OfflineStats {
        OfflineStats {
            queued: self.entries.len(),
            bytes: self.bytes,
            ..self.stats
        }
    }

    /// Messages held (waiting or in flight).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether a message for `thing` is held (waiting or in flight).
    pub fn holds_for(&self, thing: &str) -> bool {
        self.entries.iter().any(|e| e.thing == thing)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Stores a request for the thing it addresses (its entity name).
    pub fn push(&mut self, request: &Request) -> Result<Stored, StoreError> {
        let message = Message {
            header: Header::new(0, 0),
            body: Body::Request(request.clone()),
        }
        .encode()
        .map_err(|e| StoreError::Encode(e.to_string()))?;
        let thing = request.entity_name.to_string();
        let size = thing.len() + message.len();
        if size > self.limits.max_bytes || self.limits.max_messages == 0 {
            self.stats.refused += 1;
            return Err(StoreError::TooLarge {
                len: size,
                max: self.limits.max_bytes,
            });
        }
        let fits = |q: &Self| {
            q.bytes + size <= q.limits.max_bytes && q.entries.len() < q.limits.max_messages
        };
        let mut dropped = Vec::new();
        if !fits(self) {
            if self.limits.policy == FullPolicy::RefuseNew {
                self.stats.refused += 1;
                return Err(StoreError::Full {
                    messages: self.entries.len(),
                    bytes: self.bytes,
                });
            }
            while !fits(self) {
                let Some(e) = self.entries.pop_front() else {
                    break;
                };
                self.bytes -= e.size();
                self.stats.dropped += 1;
                dropped.push(Dropped {
                    seq: e.seq,
                    thing: e.thing,
                });
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += size;
        self.stats.stored += 1;
        self.entries.push_back(Entry {
            seq,
            thing: thing.clone(),
            message: message.clone(),
            in_flight: false,
        });
        Ok(Stored {
            seq,
            dropped,
            record: LogRecord::Stored {
                seq,
                thing,
                message,
            },
        })
    }

    /// The oldest waiting message whose thing is bound (per `is_bound`), marked in flight:
    /// send it as a new request and call [`OfflineQueue::done`] with `seq` when it is
    /// answered. A stored message that no longer decodes (it was checked by the log's
    /// checksum, so only a codec change could do that) leaves the store and is counted as
    /// dropped.
    pub fn next_ready(&mut self, is_bound: impl Fn(&str) -> bool) -> Option<(u64, Request)> {
        loop {
            let i = self
                .entries
                .iter()
                .position(|e| !e.in_flight && is_bound(&e.thing))?;
            let e = &mut self.entries[i];
            let decoded =
                Message::decode(e.message.clone())
                    .ok()
                    .and_then(|d| match d.value.body {
                        Body::Request(r) => Some(r),
                        _ => None,
                    });
            match decoded {
                Some(request) => {
                    e.in_flight = true;
                    self.stats.replayed += 1;
                    return Some((e.seq, request));
                }
                None => {
                    if let Some(e) = self.entries.remove(i) {
                        self.bytes -= e.size();
                        self.stats.dropped += 1;
                    }
                }
            }
        }
    }

    /// The message `seq` was answered (success, or an error reported to the application):
    /// it leaves the store. Returns the `Done` record to append to a durable log, or `None`
    /// when `seq` is not held.
    pub fn done(&mut self, seq: u64) -> Option<LogRecord> {
        let i = self.entries.iter().position(|e| e.seq == seq)?;
        let e = self.entries.remove(i)?;
        self.bytes -= e.size();
        self.stats.done += 1;
        Some(LogRecord::Done { seq })
    }

    /// The message `seq` was sent but got no answer (timeout, lost connection): it waits
    /// again, in its original place. Returns whether `seq` is held.
    pub fn retry(&mut self, seq: u64) -> bool {
        match self.entries.iter_mut().find(|e| e.seq == seq) {
            Some(e) => {
                e.in_flight = false;
                true
            }
            None => false,
        }
    }

    /// Takes back the message just stored as `seq` (its durable record could not be
    /// written): it leaves the store and counts as refused, not as stored.
    pub fn take_back(&mut self, seq: u64) -> bool {
        let Some(i) = self.entries.iter().position(|e| e.seq == seq) else {
            return false;
        };
        if let Some(e) = self.entries.remove(i) {
            self.bytes -= e.size();
            self.stats.stored -= 1;
            self.stats.refused += 1;
        }
        true
    }

    /// The connection dropped: messages in flight wait again, in their original order.
    pub fn retry_in_flight(&mut self) {
        for e in &mut self.entries {
            e.in_flight = false;
        }
    }

    /// The `Stored` records of everything held, in order: what a compacted log contains.
    pub fn live_records(&self) -> impl Iterator<Item = LogRecord> + '_ {
        self.entries.iter().map(|e| LogRecord::Stored {
            seq: e.seq,
            thing: e.thing.clone(),
            message: e.message.clone(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::Value;
    use crate::conventions::PropertyUpdate;

    fn push(thing: &str, v: i32) -> Request {
        Request::push_properties(
            thing,
            &[PropertyUpdate::new(
                "Count",
                Value::Integer(v),
                1_700_000_000_000 + i64::from(v),
            )],
        )
    }

    fn value_of(r: &Request) -> i32 {
        match r.property_updates().unwrap()[0].value {
            Value::Integer(v) => v,
            ref other => panic!("{other:?}"),
        }
    }

    fn size(r: &Request) -> usize {
        let q = &mut OfflineQueue::new(OfflineLimits::default());
        q.push(r).unwrap();
        q.stats().bytes
    }

    #[test]
    fn replay_waits_for_the_bind_of_each_thing_and_keeps_order_per_thing() {
        let mut q = OfflineQueue::new(OfflineLimits::default());
        for v in 0..4 {
            q.push(&push("A", v)).unwrap();
            q.push(&push("B", 100 + v)).unwrap();
        }
        assert!(
            q.next_ready(|_| false).is_none(),
            "nothing bound: nothing replayed"
        );
        let mut a = Vec::new();
        while let Some((seq, r)) = q.next_ready(|t| t == "A") {
            assert_eq!(r.entity_name.to_string(), "A");
            a.push(value_of(&r));
            q.done(seq).unwrap();
        }
        assert_eq!(a, [0, 1, 2, 3]);
        assert_eq!(q.len(), 4, "B's messages wait for B's BIND");
        let mut b = Vec::new();
        while let Some((seq, r)) = q.next_ready(|_| true) {
            b.push(value_of(&r));
            q.done(seq).unwrap();
        }
        assert_eq!(b, [100, 101, 102, 103]);
        let s = q.stats();
        assert_eq!(
            (s.queued, s.bytes, s.stored, s.replayed, s.done),
            (0, 0, 8, 8, 8)
        );
    }

    #[test]
    fn in_flight_messages_come_back_in_order_after_a_disconnect() {
        let mut q = OfflineQueue::new(OfflineLimits::default());
        for v in 0..3 {
            q.push(&push("A", v)).unwrap();
        }
        let (s0, _) = q.next_ready(|_| true).unwrap();
        let (_s1, _) = q.next_ready(|_| true).unwrap();
        q.done(s0).unwrap();
        q.retry_in_flight();
        let order: Vec<i32> = std::iter::from_fn(|| q.next_ready(|_| true))
            .map(|(_, r)| value_of(&r))
            .collect();
        assert_eq!(order, [1, 2]);
        assert_eq!(q.stats().replayed, 4);
    }

    #[test]
    fn full_store_refuses_new_under_refuse_new() {
        let one = size(&push("A", 0));
        let limits = OfflineLimits::default()
            .with_max_bytes(one * 3)
            .with_policy(FullPolicy::RefuseNew);
        let mut q = OfflineQueue::new(limits);
        for v in 0..3 {
            q.push(&push("A", v)).unwrap();
        }
        assert!(matches!(
            q.push(&push("A", 3)),
            Err(StoreError::Full { messages: 3, .. })
        ));
        assert_eq!(q.stats().refused, 1);
        let kept: Vec<i32> = std::iter::from_fn(|| q.next_ready(|_| true))
            .map(|(_, r)| value_of(&r))
            .collect();
        assert_eq!(kept, [0, 1, 2]);
    }

    #[test]
    fn full_store_drops_and_reports_the_oldest_under_drop_oldest() {
        let limits = OfflineLimits::default()
            .with_max_messages(3)
            .with_policy(FullPolicy::DropOldest);
        let mut q = OfflineQueue::new(limits);
        let mut dropped = Vec::new();
        for v in 0..5 {
            dropped.extend(q.push(&push("A", v)).unwrap().dropped);
        }
        assert_eq!(dropped.iter().map(|d| d.seq).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(q.stats().dropped, 2);
        let kept: Vec<i32> = std::iter::from_fn(|| q.next_ready(|_| true))
            .map(|(_, r)| value_of(&r))
            .collect();
        assert_eq!(kept, [2, 3, 4]);
    }

    #[test]
    fn a_message_larger_than_the_store_is_refused_under_either_policy() {
        for policy in [FullPolicy::RefuseNew, FullPolicy::DropOldest] {
            let mut q = OfflineQueue::new(
                OfflineLimits::default()
                    .with_max_bytes(10)
                    .with_policy(policy),
            );
            assert!(matches!(
                q.push(&push("A", 1)),
                Err(StoreError::TooLarge { max: 10, .. })
            ));
            assert_eq!(q.stats().refused, 1);
        }
    }

    #[test]
    fn restore_keeps_what_was_not_done_and_continues_the_sequence() {
        let mut q = OfflineQueue::new(OfflineLimits::default());
        let mut log = Vec::new();
        for v in 0..4 {
            log.push(q.push(&push("A", v)).unwrap().record);
        }
        let (seq, _) = q.next_ready(|_| true).unwrap();
        log.push(q.done(seq).unwrap());
        let mut r = OfflineQueue::restore(OfflineLimits::default(), log);
        assert_eq!(r.stats().bytes, q.stats().bytes);
        assert_eq!(r.push(&push("A", 9)).unwrap().seq, 5);
        let kept: Vec<i32> = std::iter::from_fn(|| r.next_ready(|_| true))
            .map(|(_, r)| value_of(&r))
            .collect();
        assert_eq!(kept, [1, 2, 3, 9]);
    }
}
