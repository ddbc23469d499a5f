//! Replaying the offline store through an [`EdgeSession`] (sans-IO): what a runtime calls
//! after each input so that stored messages go out once their thing is bound again, and
//! leave the store when answered.

use super::offline::{OfflineQueue, StoreError, Stored};
use super::offline_log::LogRecord;
use super::{EdgeEvent, EdgeSession, EdgeState};
use crate::codec::{Request, StatusCode};
use crate::request::RequestError;
use std::collections::HashMap;
use std::time::Instant;

/// How a replayed message ended, for the application (and the durable log's `record`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayOutcome {
    /// The platform answered SUCCESS: the message left the store.
    Delivered {
        /// Its sequence number.
        seq: u64,
        /// The `Done` record to append to a durable log.
        record: LogRecord,
    },
    /// The platform answered with an error: the message left the store (not retried for
    /// ever) and is reported here.
    Refused {
        /// Its sequence number.
        seq: u64,
        /// The platform's status.
        status: StatusCode,
        /// The `Done` record to append to a durable log.
        record: LogRecord,
    },
    /// The session could not send it at all (too large for this connection's limits): it
    /// left the store.
    Unsendable {
        /// Its sequence number.
        seq: u64,
        /// Why.
        error: RequestError,
        /// The `Done` record to append to a durable log.
        record: LogRecord,
    },
}

/// An [`OfflineQueue`] wired to an [`EdgeSession`]: stores while a message cannot go out,
/// replays with fresh request ids once its thing is bound, and removes on answer.
///
/// * [`Replay::pump`] after every input (or at least after `Bound` events): sends every
///   ready message, in store order.
/// * [`Replay::handle_event`] with every event the session reports: returns `true` for a
///   `Response` that belonged to a replayed message (the application should not see it as
///   its own), and queues the outcome for [`Replay::poll_outcome`].
/// * A replayed message with no answer (timeout, lost connection) waits again and is sent
///   again later: the platform may have acted on it, so **duplicates can occur** there.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    queue: OfflineQueue,
    in_flight: HashMap<u32, u64>,
    outcomes: std::collections::VecDeque<ReplayOutcome>,
}

impl Replay {
    /// Replays from this queue (new, or restored from a durable log).
    pub fn new(queue: OfflineQueue) -> Self {
        Replay {
            queue,
            ..Default::default()
        }
    }

    /// The queue (stats, limits).
    pub fn queue(&self) -> &OfflineQueue {
        &self.queue
    }

    /// Stores a request to be replayed once its thing is bound.
    pub fn store(&mut self, request: &Request) -> Result<Stored, StoreError> {
        self.queue.push(request)
    }

    /// Takes back a message just stored (see [`OfflineQueue::take_back`]).
    pub fn take_back(&mut self, seq: u64) -> bool {
        self.queue.take_back(seq)
    }

    /// Whether a request for `thing` should go to the store rather than to the session
    /// right now: the session is not authenticated, the thing is not bound, or older
    /// messages for it still wait (keeping order per thing).
    pub fn should_store(&self, session: &EdgeSession, thing: &str) -> bool {
        session.state() != EdgeState::Authenticated
            || !session.is_bound(thing)
            || self.queue.holds_for(thing)
    }

    /// Sends every stored message whose thing is bound on the current connection, in store
    /// order. Returns how many went out.
    pub fn pump(&mut self, now: Instant, session: &mut EdgeSession) -> usize {
        if session.state() != EdgeState::Authenticated {
            return 0;
        }
        let mut sent = 0;
        while let Some((seq, request)) = self.queue.next_ready(|t| session.is_bound(t)) {
            match session.request(now, request) {
                Ok(id) => {
                    self.in_flight.insert(id, seq);
                    sent += 1;
                }
                Err(error) => {
                    if let Some(record) = self.queue.done(seq) {
                        self.outcomes
                            .push_back(ReplayOutcome::Unsendable { seq, error, record });
                    }
                }
            }
        }
        sent
    }

    /// Feeds a session event; `true` when it was the answer to a replayed message.
    pub fn handle_event(&mut self, event: &EdgeEvent) -> bool {
        match event {
            EdgeEvent::Response { id, result } => {
                let Some(seq) = self.in_flight.remove(id) else {
                    return false;
                };
                match result {
                    Ok(response) => {
                        if let Some(record) = self.queue.done(seq) {
                            self.outcomes.push_back(if response.status.is_success() {
                                ReplayOutcome::Delivered { seq, record }
                            } else {
                                ReplayOutcome::Refused {
                                    seq,
                                    status: response.status,
                                    record,
                                }
                            });
                        }
                    }
                    Err(_) => {
                        self.queue.retry(seq);
                    }
                }
                true
            }
            EdgeEvent::Disconnected { .. } => {
                for (_, seq) in self.in_flight.drain() {
                    self.queue.retry(seq);
                }
                false
            }
            _ => false,
        }
    }

    /// The next outcome of a replayed message.
    pub fn poll_outcome(&mut self) -> Option<ReplayOutcome> {
        self.outcomes.pop_front()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::{Body, Header, Message, Response, Value};
    use crate::conventions::PropertyUpdate;
    use crate::edge::{Credentials, EdgeConfig};
    use crate::{Drained, Input, Transmit};

    const SID: u32 = 77;

    /// The edge under test and its outputs drained but not looked at yet.
    struct Edge {
        session: EdgeSession,
        out: Drained<EdgeEvent>,
    }

    impl std::ops::Deref for Edge {
        type Target = EdgeSession;
        fn deref(&self) -> &EdgeSession {
            &self.session
        }
    }

    impl std::ops::DerefMut for Edge {
        fn deref_mut(&mut self) -> &mut EdgeSession {
            &mut self.session
        }
    }

    impl Edge {
        fn drain(&mut self) {
            self.out.drain(|| self.session.poll_output());
        }
    }

    fn sent(edge: &mut Edge) -> Vec<Message> {
        edge.drain();
        edge.out
            .transmits
            .drain(..)
            .filter_map(|t| match t {
                Transmit::Message(b) => Some(Message::decode(b).unwrap().value),
                _ => None,
            })
            .collect()
    }

    fn answer(edge: &mut Edge, now: Instant, id: u32, status: StatusCode) {
        let msg = Message {
            header: Header::new(id, SID),
            body: Body::Response(Response {
                status,
                reason: None,
                content: None,
            }),
        };
        edge.handle_input(now, Input::Message(msg.encode().unwrap()))
            .unwrap();
    }

    fn push(thing: &str, v: i32) -> Request {
        Request::push_properties(
            thing,
            &[PropertyUpdate::new(
                "Count",
                Value::Integer(v),
                i64::from(v),
            )],
        )
    }

    fn value(m: &Message) -> (String, i32) {
        let Body::Request(r) = &m.body else {
            panic!("{m:?}")
        };
        let u = r.property_updates().unwrap();
        let Value::Integer(v) = u[0].value else {
            panic!()
        };
        (r.entity_name.to_string(), v)
    }

    /// Feeds every pending event to the replay, returning those it did not take.
    fn events(edge: &mut Edge, replay: &mut Replay) -> Vec<EdgeEvent> {
        edge.drain();
        edge.out
            .events
            .drain(..)
            .filter(|e| !replay.handle_event(e))
            .collect()
    }

    #[test]
    fn replay_never_precedes_the_bind_of_its_thing_and_uses_fresh_ids_and_the_session_id() {
        let now = Instant::now();
        let mut edge = Edge {
            session: EdgeSession::new(EdgeConfig::new(Credentials::AppKey("k".into()))),
            out: Drained::new(),
        };
        let mut replay = Replay::new(OfflineQueue::default());
        edge.bind(now, ["A"]);
        for v in 0..3 {
            assert!(replay.should_store(&edge, "A"));
            replay.store(&push("A", v)).unwrap();
            replay.store(&push("B", 10 + v)).unwrap();
        }
        assert_eq!(replay.pump(now, &mut edge), 0, "not connected");
        edge.handle_input(now, Input::Connected).unwrap();
        let auth = sent(&mut edge);
        assert_eq!(auth.len(), 1);
        answer(
            &mut edge,
            now,
            auth[0].header.request_id,
            StatusCode::SUCCESS,
        );
        assert_eq!(
            replay.pump(now, &mut edge),
            0,
            "authenticated, A's BIND unanswered"
        );
        let binds = sent(&mut edge);
        assert!(matches!(
            binds[..],
            [Message {
                body: Body::Bind(_),
                ..
            }]
        ));
        let bind_a = binds[0].header.request_id;
        answer(&mut edge, now, bind_a, StatusCode::SUCCESS);
        events(&mut edge, &mut replay);
        // Only A's messages: B is not bound.
        assert_eq!(replay.pump(now, &mut edge), 3);
        let mut out = sent(&mut edge);
        assert_eq!(
            out.iter().map(value).collect::<Vec<_>>(),
            [("A".into(), 0), ("A".into(), 1), ("A".into(), 2)]
        );
        assert!(replay.should_store(&edge, "B"));
        edge.bind(now, ["B"]);
        let binds = sent(&mut edge);
        assert!(matches!(
            binds[..],
            [Message {
                body: Body::Bind(_),
                ..
            }]
        ));
        assert_eq!(replay.pump(now, &mut edge), 0, "B's BIND unanswered");
        let bind_b = binds[0].header.request_id;
        answer(&mut edge, now, bind_b, StatusCode::SUCCESS);
        events(&mut edge, &mut replay);
        assert_eq!(replay.pump(now, &mut edge), 3);
        let b = sent(&mut edge);
        assert_eq!(
            b.iter().map(value).collect::<Vec<_>>(),
            [("B".into(), 10), ("B".into(), 11), ("B".into(), 12)]
        );
        out.extend(b);
        let mut ids: Vec<u32> = out.iter().map(|m| m.header.request_id).collect();
        assert!(out.iter().all(|m| m.header.session_id == SID));
        assert!(
            ids[..3].iter().all(|&id| id > bind_a),
            "fresh ids after the BIND"
        );
        assert!(ids[3..].iter().all(|&id| id > bind_b));
        ids.dedup();
        assert_eq!(ids.len(), 6);

        // Answers: SUCCESS, an error (reported, not retried), then the connection drops.
        answer(&mut edge, now, ids[0], StatusCode::SUCCESS);
        answer(&mut edge, now, ids[3], StatusCode::BAD_REQUEST);
        assert!(
            events(&mut edge, &mut replay).is_empty(),
            "replay answers taken"
        );
        assert!(matches!(
            replay.poll_outcome(),
            Some(ReplayOutcome::Delivered { .. })
        ));
        assert!(matches!(
            replay.poll_outcome(),
            Some(ReplayOutcome::Refused { status, .. }) if status == StatusCode::BAD_REQUEST
        ));
        assert_eq!(replay.queue().len(), 4);
        edge.handle_input(now, Input::Closed).unwrap();
        events(&mut edge, &mut replay);
        assert_eq!(replay.pump(now, &mut edge), 0, "disconnected");

        // Next connection: AUTH, BIND, then the 4 unanswered ones again, in order.
        edge.handle_input(now, Input::Connected).unwrap();
        let auth = sent(&mut edge);
        answer(
            &mut edge,
            now,
            auth[0].header.request_id,
            StatusCode::SUCCESS,
        );
        assert_eq!(replay.pump(now, &mut edge), 0);
        let binds = sent(&mut edge);
        answer(
            &mut edge,
            now,
            binds[0].header.request_id,
            StatusCode::SUCCESS,
        );
        events(&mut edge, &mut replay);
        assert_eq!(replay.pump(now, &mut edge), 4);
        let again: Vec<_> = sent(&mut edge).iter().map(value).collect();
        assert_eq!(
            again,
            [
                ("A".into(), 1),
                ("B".into(), 11),
                ("A".into(), 2),
                ("B".into(), 12)
            ],
            "unanswered ones again, in store order (duplicates possible: documented)"
        );
    }
}
