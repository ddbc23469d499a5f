//! [`EdgeSession`]: the edge state machine (connect → AUTH → BIND, requests both ways,
//! keep-alive, re-BIND after reconnects, orderly close).

use super::bindings::{Ticket, TimedOut, UnbindMode};
use super::{AuthFailure, BindResult, DisconnectReason, EdgeConfig, EdgeEvent, EdgeState, GiveUp};
use crate::codec::{Body, Header, Message, Request, Response, StatusCode, WireString};
use crate::driving::{Input, Output, Stats};
use crate::request::RequestError;
use crate::request_table::{Answer, RequestTable};
use crate::timer_table::{Timer, TimerTable};
use crate::transmit::close_reason;
use crate::wire::{InboundError, Wire};
use crate::{RequestIds, Transmit, CLOSE_NORMAL};
use bytes::Bytes;
use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

/// The SDK's close reason when it shuts down (what the runtimes pass to [`EdgeSession::close`]).
pub const CLOSE_REASON_SHUTDOWN: &str = "Normal Close Shutting down";
/// Close reason sent when no pong arrived in time (the SDK's text).
pub const CLOSE_REASON_PONG_TIMEOUT: &str = "Normal Close Pong timeout";
/// Close reason sent when AUTH was rejected.
pub const CLOSE_REASON_AUTH_REJECTED: &str = "Normal Close Authentication rejected";
/// Close reason sent when AUTH got no answer in time.
pub const CLOSE_REASON_AUTH_TIMEOUT: &str = "Normal Close Authentication timed out";
/// Close reason sent when the answer to AUTH could not be decoded.
pub const CLOSE_REASON_AUTH_MALFORMED: &str = "Normal Close Authentication answer malformed";

/// The edge's timers: every deadline of the session but those of the requests in flight
/// (in the [`RequestTable`]) and of incomplete multipart messages (in the [`Wire`]).
#[derive(Debug, Clone, Copy)]
pub(super) enum EdgeTimer {
    /// No answer to AUTH by then: the connection fails ([`AuthFailure::TimedOut`]).
    Auth,
    /// The next websocket ping is due.
    Ping,
    /// The pong for the oldest unanswered ping is overdue: close.
    Pong,
    /// `close` was called while connected: the session ends by then at the latest.
    Close,
    /// The current connection's duty-cycle off time starts.
    DutyOff,
    /// The earliest deadline of a request queued before AUTH (each keeps its own in
    /// [`EdgeSession::queue`]; [`EdgeSession::queue_changed`] keeps this one in step).
    Queue,
    /// The earliest retry of a timed-out BIND/UNBIND (each keeps its own in
    /// [`Connection::timed_out`]; [`EdgeSession::retries_changed`] keeps this one in step).
    Retry,
}

impl EdgeTimer {
    /// The timers of one connection, stopped when it ends.
    const CONNECTION: [EdgeTimer; 5] = [
        EdgeTimer::Auth,
        EdgeTimer::Ping,
        EdgeTimer::Pong,
        EdgeTimer::DutyOff,
        EdgeTimer::Retry,
    ];
}

impl Timer for EdgeTimer {
    fn index(self) -> usize {
        self as usize
    }
}

/// `now + d`, or `None` ("never") when that is not representable.
pub(super) fn after(now: Instant, d: Duration) -> Option<Instant> {
    now.checked_add(d)
}

/// What an outbound message with a request id is waiting for.
#[derive(Debug)]
pub(super) enum Waiting {
    /// An application request: ends with [`EdgeEvent::Response`].
    Request,
    /// A BIND of `names` (those not superseded by a newer BIND or UNBIND since);
    /// `several`: it was sent with more than one name (a failure does not say which).
    Bind {
        names: Vec<WireString>,
        several: bool,
    },
    /// An UNBIND of these names; `report`: its end is reported as [`EdgeEvent::Unbound`]
    /// (false for the silent re-send of an UNBIND that timed out).
    Unbind {
        names: Vec<WireString>,
        report: bool,
    },
}

/// State of one websocket connection, from `handle_connected` to `handle_closed`.
#[derive(Debug)]
pub(super) struct Connection {
    /// The AUTH request id while its response is awaited (its deadline is
    /// [`EdgeTimer::Auth`]).
    pub(super) auth: Option<u32>,
    /// When AUTH succeeded (the reconnect delays start over if this connection stays up
    /// for the policy's stable period).
    pub(super) authenticated_at: Option<Instant>,
    /// Set by the AUTH success response.
    pub(super) session_id: Option<u32>,
    /// Names in BINDs that are in flight (each in exactly one of them).
    pub(super) binding: HashSet<WireString>,
    /// Names whose BIND succeeded on this connection.
    pub(super) bound: HashSet<WireString>,
    /// BINDs and UNBINDs that timed out on this connection, oldest first. A name is dropped
    /// from here when it is sent in a newer BIND or UNBIND (whose answer then decides), so
    /// each name is in at most one entry; an entry lives one `request_timeout` at most
    /// (until its retry).
    pub(super) timed_out: VecDeque<TimedOut>,
    /// Platform request ids the application has not answered yet.
    pub(super) from_platform: HashSet<u32>,
    /// Set once the session asked the runtime to close this connection: inputs are ignored
    /// until `handle_closed`, which reports this reason.
    pub(super) closing: Option<DisconnectReason>,
}

impl Connection {
    pub(super) fn new() -> Self {
        Self {
            auth: None,
            authenticated_at: None,
            session_id: None,
            binding: HashSet::new(),
            bound: HashSet::new(),
            timed_out: VecDeque::new(),
            from_platform: HashSet::new(),
            closing: None,
        }
    }

    /// The session id when authenticated and not closing.
    pub(super) fn live_session_id(&self) -> Option<u32> {
        if self.closing.is_some() {
            None
        } else {
            self.session_id
        }
    }
}

/// The edge side of one AlwaysOn connection, across reconnects.
///
/// See the [module documentation](crate::edge) for the driving loop and the behaviour
/// decisions (first ping, BIND/queue order, BIND split size, closed-state semantics).
#[derive(Debug)]
pub struct EdgeSession {
    pub(super) config: EdgeConfig,
    /// Request ids, and what the edge sent on the current connection and waits on.
    pub(super) requests: RequestTable<Waiting>,
    /// AUTH, ping, pong, close, duty-cycle off, queue expiry and BIND retry deadlines.
    pub(super) timers: TimerTable<EdgeTimer, 7>,
    pub(super) wire: Wire,
    /// The current websocket, if any.
    pub(super) conn: Option<Connection>,
    /// `close` was called while connected; `handle_closed` finishes it.
    pub(super) app_closing: bool,
    /// Closed for good.
    pub(super) closed: bool,
    /// Registered things, in registration order (`registered_set` mirrors it).
    pub(super) registered: Vec<WireString>,
    pub(super) registered_set: HashSet<WireString>,
    /// Requests made before authentication, in order, with the deadline by which they must
    /// have been sent (`None`: never). They survive a lost connection and go out after the
    /// next AUTH success (rumqttc's `clean()` hands in-flight work back the same way). The
    /// earliest deadline is [`EdgeTimer::Queue`].
    pub(super) queue: VecDeque<(u32, Request, Option<Instant>)>,
    /// Consecutive failures (connect attempts and connections) since the last connection
    /// that stayed authenticated for the stable period.
    pub(super) failures: u32,
    /// An AUTH succeeded at least once.
    pub(super) authenticated_once: bool,
    /// Why the session stopped reconnecting on its own (it is closed for good).
    pub(super) gave_up: Option<GiveUp>,
    /// `bind` / `unbind` calls waiting for their names' outcomes.
    pub(super) tickets: Vec<Ticket>,
    pub(super) next_ticket: u64,
    pub(super) transmits: VecDeque<Transmit>,
    pub(super) events: VecDeque<EdgeEvent>,
    /// Answers to requests that timed out on this connection ([`Stats::late_responses`]).
    pub(super) late_responses: u64,
    /// Answers matching nothing sent on this connection, or answered already
    /// ([`Stats::unmatched_responses`]).
    pub(super) unmatched_responses: u64,
    pub(super) trailing_bytes: u64,
    /// Refused messages that could not be answered ([`Stats::unanswered_malformed`]).
    pub(super) unanswered_malformed: u64,
    pub(super) ignored_messages: u64,
    /// Duty-cycle timing (when [`EdgeConfig::duty_cycle`] is set).
    pub(super) duty: super::duty_cycle::DutyState,
}

impl EdgeSession {
    /// A disconnected session.
    pub fn new(config: EdgeConfig) -> Self {
        Self::with_request_ids(config, RequestIds::new())
    }

    /// A disconnected session drawing request ids from `ids` (e.g.
    /// [`RequestIds::starting_at`] to test wrap-around).
    pub fn with_request_ids(config: EdgeConfig, ids: RequestIds) -> Self {
        let wire = Wire::new(
            config.chunk_size,
            config.max_message_size,
            config.reassembly,
        );
        Self {
            config,
            requests: RequestTable::new(ids),
            timers: TimerTable::default(),
            wire,
            conn: None,
            app_closing: false,
            closed: false,
            registered: Vec::new(),
            registered_set: HashSet::new(),
            queue: VecDeque::new(),
            failures: 0,
            authenticated_once: false,
            gave_up: None,
            tickets: Vec::new(),
            next_ticket: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            late_responses: 0,
            unmatched_responses: 0,
            trailing_bytes: 0,
            unanswered_malformed: 0,
            ignored_messages: 0,
            duty: Default::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &EdgeConfig {
        &self.config
    }

    /// Where the session is in its lifecycle. The state changes from
    /// [`EdgeState::Authenticating`]/[`EdgeState::Authenticated`] to
    /// [`EdgeState::Disconnected`] only on [`Input::Closed`], also when the
    /// session itself asked for the close (AUTH failure, pong timeout).
    pub fn state(&self) -> EdgeState {
        if self.closed {
            EdgeState::Closed
        } else if self.app_closing {
            EdgeState::Closing
        } else {
            match &self.conn {
                None => EdgeState::Disconnected,
                Some(c) if c.session_id.is_some() => EdgeState::Authenticated,
                Some(_) => EdgeState::Authenticating,
            }
        }
    }

    /// The session id assigned by the AUTH response of the current connection; `None` when
    /// not connected or not (yet) authenticated.
    pub fn session_id(&self) -> Option<u32> {
        self.conn.as_ref().and_then(|c| c.session_id)
    }

    // ---------------------------------------------------------------- inputs

    /// One binary websocket message. Decode and reassembly errors are returned; the session
    /// and the connection stay usable. Ignored when not connected or closing.
    pub(super) fn handle_message(
        &mut self,
        now: Instant,
        bytes: Bytes,
    ) -> Result<(), InboundError> {
        match &self.conn {
            Some(c) if c.closing.is_none() && !self.app_closing => {}
            _ => return Ok(()),
        }
        let peeked = Header::peek(&bytes);
        let decoded = match self.wire.receive(now, bytes) {
            Ok(Some(decoded)) => decoded,
            Ok(None) => return Ok(()),
            Err(e) => {
                // Garbage while AUTH is awaited: a connection failure (retried), never a
                // refusal of the credentials.
                if let Some(conn) = self.conn.as_mut().filter(|c| c.auth.is_some()) {
                    conn.auth = None;
                    self.timers.stop(EdgeTimer::Auth);
                    self.auth_failed(AuthFailure::Malformed);
                } else if let Some(id) = peeked
                    .filter(|(code, _)| code.is_response())
                    .map(|(_, header)| header.request_id)
                {
                    // A response refused (too large, undecodable): the application request it
                    // answers ends now, not at its timeout, as on the platform. A BIND or
                    // UNBIND keeps waiting: its timeout starts the retry that finds out.
                    if self
                        .requests
                        .take_if(id, |w| matches!(w, Waiting::Request))
                        .is_some()
                    {
                        self.events.push_back(EdgeEvent::Response {
                            id,
                            result: Err(RequestError::ResponseRefused(e.clone())),
                        });
                    }
                    self.unanswered_malformed = self.unanswered_malformed.saturating_add(1);
                } else if let Some((header, answer)) =
                    peeked.and_then(|(code, header)| Some((header, e.answer_for(code)?)))
                {
                    // A platform request with a readable header: answer so the platform
                    // need not wait for its timeout.
                    self.answer_with(header.request_id, answer);
                } else {
                    self.unanswered_malformed = self.unanswered_malformed.saturating_add(1);
                }
                return Err(e);
            }
        };
        if !decoded.trailing.is_empty() {
            self.trailing_bytes = self.trailing_bytes.saturating_add(1);
        }
        let Message { header, body } = decoded.value;
        match body {
            Body::Response(response) => self.on_response(now, header, response),
            Body::Request(request) => self.on_request(header, request),
            Body::Auth(_) | Body::Bind(_) | Body::Unbind(_) => {
                // The edge never accepts these: BAD_REQUEST like the SDK (body `00 FF`).
                self.answer(header.request_id, StatusCode::BAD_REQUEST);
            }
        }
        Ok(())
    }

    /// The websocket is gone. Requests waiting for a response end with
    /// [`RequestError::Disconnected`] (the platform may have seen them: not resent), queued
    /// ones stay queued for the next connection until their deadline, unanswered platform
    /// requests are forgotten, then [`EdgeEvent::Disconnected`] (or [`EdgeEvent::Closed`]
    /// after [`EdgeSession::close`]). Counts as a failure for the reconnect policy; when the
    /// policy gives up (AUTH refused on the first connect, attempts exhausted) the session
    /// closes for good: queued requests come back as [`EdgeEvent::Unsent`], then
    /// [`EdgeEvent::Closed`]. Ignored when not connected.
    pub(super) fn handle_closed(&mut self, now: Instant, peer: Option<(u16, String)>) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        self.wire.reset();
        self.stop_connection_timers();
        if self.app_closing {
            // `close` already ended everything that was waiting.
            self.app_closing = false;
            self.timers.stop(EdgeTimer::Close);
            self.closed = true;
            self.events.push_back(EdgeEvent::Closed);
            return;
        }
        // A close the session asked for keeps its reason; otherwise the platform's words.
        let reason = match (conn.closing.clone(), peer) {
            (Some(reason), _) => reason,
            (None, Some((code, reason))) => DisconnectReason::PeerClosed { code, reason },
            (None, None) => DisconnectReason::ConnectionLost,
        };
        let duty_off = reason == DisconnectReason::DutyCycleOff;
        let refused = match reason {
            DisconnectReason::AuthFailed(failure @ AuthFailure::Rejected(_))
                if !self.authenticated_once =>
            {
                Some(failure)
            }
            _ => None,
        };
        let stable = conn.authenticated_at.is_some_and(|at| {
            now.saturating_duration_since(at) >= self.config.reconnect.stable_period
        });
        if stable {
            self.failures = 0;
        }
        self.end_connection(reason);
        if duty_off {
            return; // planned: not a failure
        }
        self.failures = self.failures.saturating_add(1);
        match refused {
            Some(failure) => self.give_up(GiveUp::AuthRefused(failure)),
            None => self.give_up_if_exhausted(),
        }
    }

    /// Something happened to the websocket at `now`: the one entry point for every input
    /// (the same [`Input`]s, with the same arguments, as
    /// [`PlatformSession::handle_input`](crate::PlatformSession::handle_input)). Drain
    /// [`poll_output`](Self::poll_output) afterwards.
    ///
    /// * [`Input::Connected`]: sends AUTH (session id `FFFFFFFF`, fresh request id) and
    ///   nothing else until its response. Ignored once the session is closing or closed; a
    ///   connection still open (the runtime missed its `Closed`) is ended first, as lost.
    /// * [`Input::Message`]: one binary websocket message. Decode and reassembly errors are
    ///   returned (the only input that can fail); the session and the connection stay
    ///   usable, except that garbage answering AUTH fails the connection
    ///   ([`AuthFailure::Malformed`], retried). Ignored when not connected or closing.
    /// * [`Input::Pong`]: the keep-alive check is satisfied. [`Input::Ping`]: nothing (the
    ///   runtime answers pings itself).
    /// * [`Input::Closed`] / [`Input::PeerClosed`]: the websocket is gone (for
    ///   `PeerClosed` without a close of the session's own under way, the platform's code
    ///   and reason are the [`DisconnectReason::PeerClosed`]). Requests waiting
    ///   for a response end with [`RequestError::Disconnected`] (the platform may have seen
    ///   them: not resent), queued ones stay queued for the next connection until their
    ///   deadline, unanswered platform requests are forgotten, then
    ///   [`EdgeEvent::Disconnected`] (or [`EdgeEvent::Closed`] after
    ///   [`close`](Self::close)). Counts as a failure for the reconnect policy; when the
    ///   policy gives up (AUTH refused on the first connect, attempts exhausted) the session
    ///   closes for good: queued requests come back as [`EdgeEvent::Unsent`], then
    ///   [`EdgeEvent::Closed`]. Ignored when not connected.
    /// * [`Input::ConnectFailed`]: a connect attempt failed; counts for the reconnect
    ///   policy (and may exhaust it). Ignored while connected or once closed.
    /// * [`Input::Timeout`]: processes every deadline at or before `now` (AUTH and request
    ///   timeouts, the pong deadline, the next ping, BIND retries, multipart expiry, the
    ///   bounded close). Early or late is harmless.
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Result<(), InboundError> {
        self.duty_observe(now);
        match input {
            Input::Connected => self.handle_connected(now),
            Input::Message(bytes) => return self.handle_message(now, bytes),
            Input::Ping => {}
            Input::Pong => self.handle_pong(now),
            Input::Closed => self.handle_closed(now, None),
            Input::PeerClosed { code, reason } => self.handle_closed(now, Some((code, reason))),
            Input::Timeout => self.handle_timeout(now),
            Input::ConnectFailed => self.handle_connect_failed(),
        }
        Ok(())
    }

    /// The next output: events first (the application sees a state change, such as
    /// `Authenticated`, before the messages that follow from it), then transmits, then the
    /// next deadline
    /// ([`Output::Timeout`], always last: the drain is complete).
    pub fn poll_output(&mut self) -> Output<EdgeEvent> {
        if let Some(e) = self.next_event() {
            return Output::Event(e);
        }
        if let Some(t) = self.transmits.pop_front() {
            return Output::Transmit(t);
        }
        Output::Timeout(self.poll_timeout())
    }

    /// The session's counters.
    pub fn stats(&self) -> Stats {
        Stats {
            late_responses: self.late_responses,
            unmatched_responses: self.unmatched_responses,
            ignored_messages: self.ignored_messages,
            messages_with_trailing_bytes: self.trailing_bytes,
            unanswered_malformed: self.unanswered_malformed,
            ..Stats::default()
        }
    }

    /// Processes every deadline at or before `now`: AUTH and request timeouts, the pong
    /// deadline, the next ping, multipart expiry. May be called early or late.
    pub(super) fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if self.app_closing {
            if self.timers.take_due(EdgeTimer::Close, now) {
                // The websocket did not close in time: the session ends anyway.
                self.conn = None;
                self.stop_connection_timers();
                self.wire.reset();
                self.app_closing = false;
                self.closed = true;
                self.events.push_back(EdgeEvent::Closed);
            }
            return;
        }
        self.expire_queue(now);
        match &self.conn {
            Some(conn) if conn.closing.is_none() => {}
            _ => return,
        }
        self.wire.expire(now);
        if self.duty_off_if_due(now) || self.auth_timeout(now) || self.pong_timeout(now) {
            return;
        }
        self.expire_in_flight(now);
        self.ping_if_due(now);
        self.retry_binds(now);
    }

    // ---------------------------------------------------------------- commands

    /// The next event, settling `bind`/`unbind` tickets as the outcomes go out (each
    /// ticket's completion follows its last name's event; open tickets end before
    /// `Closed`).
    pub(super) fn next_event(&mut self) -> Option<EdgeEvent> {
        let event = self.events.pop_front()?;
        if matches!(event, EdgeEvent::Closed) && !self.tickets.is_empty() {
            self.events.push_front(event);
            for t in std::mem::take(&mut self.tickets).into_iter().rev() {
                self.events.push_front(EdgeEvent::BindCompleted {
                    ticket: t.id,
                    result: BindResult::Closed,
                });
            }
            return self.events.pop_front();
        }
        self.settle(&event);
        Some(event)
    }

    /// Closes for good: requests waiting for a response end with [`RequestError::Closed`],
    /// queued ones come back as [`EdgeEvent::Unsent`]; if authenticated, every registered
    /// thing is UNBOUND (one or more UNBIND messages, responses not awaited), then
    /// `Transmit::Close{1000, reason}` (the reason cut to 110 bytes; the SDK sends
    /// [`CLOSE_REASON_SHUTDOWN`]); state [`EdgeState::Closing`] until [`Input::Closed`], then
    /// [`EdgeState::Closed`] and [`EdgeEvent::Closed`]. When not connected: closed at once.
    /// The same arguments as [`PlatformSession::close`](crate::PlatformSession::close).
    pub fn close(&mut self, now: Instant, reason: &str) {
        if self.closed || self.app_closing {
            return;
        }
        let Some(mut conn) = self.conn.take() else {
            self.hand_back_queue();
            self.closed = true;
            self.events.push_back(EdgeEvent::Closed);
            return;
        };
        let in_flight = self.requests.take_all();
        self.end_in_flight(in_flight, RequestError::Closed);
        self.hand_back_queue();
        conn.from_platform.clear();
        conn.auth = None;
        self.stop_connection_timers();
        if let Some(session_id) = conn.live_session_id() {
            let names = self.registered.clone();
            self.send_unbinds(now, session_id, names, UnbindMode::Untracked);
        }
        if conn.closing.is_none() {
            conn.closing = Some(DisconnectReason::ConnectionLost);
            self.transmits.push_back(Transmit::Close {
                code: CLOSE_NORMAL,
                reason: close_reason(reason),
            });
        }
        self.conn = Some(conn);
        self.app_closing = true;
        self.timers
            .set_after(EdgeTimer::Close, now, self.config.close_timeout);
    }

    // ---------------------------------------------------------------- outputs

    /// The earliest deadline (AUTH/BIND/UNBIND/request timeouts, next ping, pong deadline,
    /// multipart expiry); call [`Input::Timeout`] when it passes. `None` when
    /// nothing is scheduled (not connected, closing, closed).
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        if self.app_closing {
            return self.timers.get(EdgeTimer::Close);
        }
        if self.conn.as_ref().is_some_and(|c| c.closing.is_some()) {
            return None;
        }
        debug_assert_eq!(self.timers.get(EdgeTimer::Queue), self.earliest_queued());
        debug_assert_eq!(self.timers.get(EdgeTimer::Retry), self.earliest_retry());
        // Not connected: only `Queue` runs (the connection's timers stopped when it ended,
        // its requests ended and its multipart messages were dropped).
        [
            self.timers.next(),
            self.requests.next_deadline(),
            self.wire.next_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The earliest deadline of a queued request.
    fn earliest_queued(&self) -> Option<Instant> {
        self.queue.iter().filter_map(|(_, _, d)| *d).min()
    }

    /// The earliest retry of a timed-out BIND/UNBIND of the current connection.
    fn earliest_retry(&self) -> Option<Instant> {
        let conn = self.conn.as_ref()?;
        conn.timed_out.iter().filter_map(|t| t.retry_at).min()
    }

    /// The queue of requests made before AUTH changed: [`EdgeTimer::Queue`] follows.
    pub(super) fn queue_changed(&mut self) {
        self.timers.set(EdgeTimer::Queue, self.earliest_queued());
    }

    /// The timed-out BINDs/UNBINDs changed: [`EdgeTimer::Retry`] follows.
    pub(super) fn retries_changed(&mut self) {
        self.timers.set(EdgeTimer::Retry, self.earliest_retry());
    }

    // ---------------------------------------------------------------- internals

    pub(super) fn on_response(&mut self, now: Instant, header: Header, response: Response) {
        let id = header.request_id;
        let Some(conn) = &mut self.conn else {
            return;
        };
        if let Some(auth_id) = conn.auth {
            if id == auth_id {
                conn.auth = None;
                self.timers.stop(EdgeTimer::Auth);
                if response.status.is_success() {
                    self.authenticated(now, header.session_id);
                } else {
                    self.auth_failed(AuthFailure::Rejected(response.status));
                }
            } else {
                // Nothing but AUTH was sent on this connection yet.
                self.unmatched_responses = self.unmatched_responses.saturating_add(1);
            }
            return;
        }
        let waiting = match self.requests.answer(id) {
            Answer::Pending(waiting) => waiting,
            answer => {
                let timed_out = conn.timed_out.iter().position(|t| t.id == id);
                if matches!(answer, Answer::Late) || timed_out.is_some() {
                    self.late_responses = self.late_responses.saturating_add(1);
                } else {
                    self.unmatched_responses = self.unmatched_responses.saturating_add(1);
                }
                // A late UNBIND answer: nothing to do (removed locally already; the
                // platform never refuses an UNBIND, and a retry would not change that).
                let late_bind = timed_out
                    .and_then(|i| conn.timed_out.remove(i))
                    .filter(|t| !t.unbind);
                if timed_out.is_some() {
                    self.retries_changed();
                }
                if let Some(t) = late_bind {
                    self.on_late_bind_response(now, t.names, t.several, response.status);
                }
                return;
            }
        };
        match waiting {
            Waiting::Request => self.events.push_back(EdgeEvent::Response {
                id,
                result: Ok(response),
            }),
            Waiting::Bind { names, several } => {
                // One status answers the whole list: a failed BIND of several names does
                // not say which were refused (the platform may have bound the others), so
                // each name is asked again on its own and only a one-name answer is final.
                let mut retry = Vec::new();
                for name in names {
                    conn.binding.remove(&name);
                    if !self.registered_set.contains(&name) {
                        continue; // unbound while the BIND was in flight
                    }
                    if response.status.is_success() {
                        conn.bound.insert(name.clone());
                        self.events.push_back(EdgeEvent::Bound { name });
                    } else if several {
                        retry.push(name);
                    } else {
                        self.events.push_back(EdgeEvent::BindRejected {
                            name,
                            status: response.status,
                            reason: response.reason.clone(),
                        });
                    }
                }
                for name in retry {
                    self.send_binds(now, vec![name]);
                }
            }
            Waiting::Unbind { names, report } => {
                if report {
                    self.events
                        .extend(names.into_iter().map(|name| EdgeEvent::Unbound { name }));
                }
            }
        }
    }

    /// Ends everything waiting on a connection that is gone, then reports why. Queued
    /// requests stay queued (until their deadline) for the next connection.
    pub(super) fn end_connection(&mut self, reason: DisconnectReason) {
        self.stop_connection_timers();
        let in_flight = self.requests.take_all();
        self.end_in_flight(in_flight, RequestError::Disconnected);
        self.events.push_back(EdgeEvent::Disconnected { reason });
    }

    /// Stops the timers of the current connection (AUTH, ping, pong, duty-cycle off, BIND
    /// retry).
    pub(super) fn stop_connection_timers(&mut self) {
        for timer in EdgeTimer::CONNECTION {
            self.timers.stop(timer);
        }
    }

    pub(super) fn end_in_flight(&mut self, in_flight: Vec<(u32, Waiting)>, error: RequestError) {
        for (id, waiting) in in_flight {
            match waiting {
                Waiting::Request => self.events.push_back(EdgeEvent::Response {
                    id,
                    result: Err(error.clone()),
                }),
                // Still registered: bound again after the next AUTH.
                Waiting::Bind { .. } => {}
                // Unregistered already; the connection (and its binding) is gone anyway.
                Waiting::Unbind { names, report } => {
                    if report {
                        self.events
                            .extend(names.into_iter().map(|name| EdgeEvent::Unbound { name }));
                    }
                }
            }
        }
    }
}
