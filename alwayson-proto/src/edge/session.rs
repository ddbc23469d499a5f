//! [`EdgeSession`]: the edge state machine (connect → AUTH → BIND, requests both ways,
//! keep-alive, re-BIND after reconnects, orderly close).

use super::batch::batches;
use super::{
    AuthFailure, BindResult, BindTicket, DisconnectReason, EdgeConfig, EdgeEvent, EdgeState,
    GiveUp, Reconnect,
};
use crate::codec::{
    Bind, Body, EncodeError, Header, InfoTable, Message, Request, Response, StatusCode, Value,
    WireString, AUTH_SESSION_ID, HEADER_LEN,
};
use crate::conventions::PropertyUpdate;
use crate::driving::{Input, Output, Stats};
use crate::request::{RequestError, RespondError};
use crate::wire::{InboundError, Wire};
use crate::{RequestIds, Transmit, CLOSE_NORMAL};
use bytes::Bytes;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// Close reason sent by [`EdgeSession::close`] (the SDK's shutdown text).
pub const CLOSE_REASON_SHUTDOWN: &str = "Normal Close Shutting down";
/// Close reason sent when no pong arrived in time (the SDK's text).
pub const CLOSE_REASON_PONG_TIMEOUT: &str = "Normal Close Pong timeout";
/// Close reason sent when AUTH was rejected.
pub const CLOSE_REASON_AUTH_REJECTED: &str = "Normal Close Authentication rejected";
/// Close reason sent when AUTH got no answer in time.
pub const CLOSE_REASON_AUTH_TIMEOUT: &str = "Normal Close Authentication timed out";
/// Close reason sent when the answer to AUTH could not be decoded.
pub const CLOSE_REASON_AUTH_MALFORMED: &str = "Normal Close Authentication answer malformed";

/// `now + d`, or `None` ("never") when that is not representable.
fn after(now: Instant, d: Duration) -> Option<Instant> {
    now.checked_add(d)
}

/// What an outbound message with a request id is waiting for.
#[derive(Debug)]
enum Waiting {
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

/// How [`EdgeSession::send_unbinds`] follows up an UNBIND.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnbindMode {
    /// Await nothing (on close).
    Untracked,
    /// Await the response; report [`EdgeEvent::Unbound`] (application `unbind`).
    Reported,
    /// Await the response silently (re-send after a timeout).
    Silent,
}

/// A BIND or UNBIND that timed out on the current connection: its late answer still counts
/// until the names are sent again at `retry_at`.
#[derive(Debug)]
struct TimedOut {
    id: u32,
    /// An UNBIND (else a BIND).
    unbind: bool,
    /// Sent with more than one name (see [`Waiting::Bind`]).
    several: bool,
    /// Names still waiting for this message's answer (never empty).
    names: Vec<WireString>,
    /// When the names are sent again; `None`: not representable (never).
    retry_at: Option<Instant>,
}

#[derive(Debug)]
struct InFlight {
    /// `None`: the deadline is not representable (never times out).
    deadline: Option<Instant>,
    waiting: Waiting,
}

/// A `bind` / `unbind` call waiting for the outcome of its names.
#[derive(Debug)]
struct Ticket {
    id: BindTicket,
    unbind: bool,
    remaining: HashSet<WireString>,
    rejected: Vec<(WireString, StatusCode)>,
}

/// State of one websocket connection, from `handle_connected` to `handle_closed`.
#[derive(Debug)]
struct Connection {
    /// The AUTH request id and deadline while its response is awaited.
    auth: Option<(u32, Option<Instant>)>,
    /// When AUTH succeeded (the reconnect delays start over if this connection stays up
    /// for the policy's stable period).
    authenticated_at: Option<Instant>,
    /// Set by the AUTH success response.
    session_id: Option<u32>,
    /// Outbound messages awaiting a response, by request id.
    in_flight: BTreeMap<u32, InFlight>,
    /// Names in BINDs that are in flight (each in exactly one of them).
    binding: HashSet<WireString>,
    /// Names whose BIND succeeded on this connection.
    bound: HashSet<WireString>,
    /// BINDs and UNBINDs that timed out on this connection, oldest first. A name is dropped
    /// from here when it is sent in a newer BIND or UNBIND (whose answer then decides), so
    /// each name is in at most one entry; an entry lives one `request_timeout` at most
    /// (until its retry).
    timed_out: VecDeque<TimedOut>,
    /// Platform request ids the application has not answered yet.
    from_platform: HashSet<u32>,
    /// When the next websocket ping is due.
    next_ping: Option<Instant>,
    /// When the pong for the oldest unanswered ping is overdue.
    pong_deadline: Option<Instant>,
    /// Set once the session asked the runtime to close this connection: inputs are ignored
    /// until `handle_closed`, which reports this reason.
    closing: Option<DisconnectReason>,
}

impl Connection {
    fn new(next_ping: Option<Instant>) -> Self {
        Self {
            auth: None,
            authenticated_at: None,
            session_id: None,
            in_flight: BTreeMap::new(),
            binding: HashSet::new(),
            bound: HashSet::new(),
            timed_out: VecDeque::new(),
            from_platform: HashSet::new(),
            next_ping,
            pong_deadline: None,
            closing: None,
        }
    }

    /// The session id when authenticated and not closing.
    fn live_session_id(&self) -> Option<u32> {
        if self.closing.is_some() {
            None
        } else {
            self.session_id
        }
    }

    /// A newer BIND or UNBIND of `names` is being sent and its answer decides: they are
    /// taken out of the BINDs/UNBINDs in flight and of the timed-out ones, whose answers
    /// (and retries) no longer apply to them. Returns the names taken out of UNBINDs whose
    /// end is reported: their [`EdgeEvent::Unbound`] is due now, before the newer outcome.
    fn supersede(&mut self, names: &[WireString]) -> Vec<WireString> {
        let mut unbound = Vec::new();
        if !self.in_flight.is_empty() {
            let set: HashSet<&WireString> = names.iter().collect();
            for f in self.in_flight.values_mut() {
                match &mut f.waiting {
                    Waiting::Request => {}
                    Waiting::Bind { names, .. } => names.retain(|n| !set.contains(n)),
                    Waiting::Unbind { names, report } => names.retain(|n| {
                        let keep = !set.contains(n);
                        if !keep && *report {
                            unbound.push(n.clone());
                        }
                        keep
                    }),
                }
            }
            for n in names {
                self.binding.remove(n);
            }
        }
        self.forget_timed_out(names);
        unbound
    }

    /// Forgets `names` in the timed-out BINDs/UNBINDs: late answers no longer apply to
    /// them, nor do their retries.
    fn forget_timed_out(&mut self, names: &[WireString]) {
        if self.timed_out.is_empty() {
            return;
        }
        let names: HashSet<&WireString> = names.iter().collect();
        for t in &mut self.timed_out {
            t.names.retain(|n| !names.contains(n));
        }
        self.timed_out.retain(|t| !t.names.is_empty());
    }

    /// Takes the names of the timed-out BINDs and UNBINDs whose retry is due at `now`.
    fn take_due_retries(&mut self, now: Instant) -> (Vec<WireString>, Vec<WireString>) {
        let mut due = (Vec::new(), Vec::new());
        self.timed_out.retain_mut(|t| {
            if t.retry_at.is_some_and(|r| r <= now) {
                let list = if t.unbind { &mut due.1 } else { &mut due.0 };
                list.append(&mut t.names);
                false
            } else {
                true
            }
        });
        due
    }
}

/// The edge side of one AlwaysOn connection, across reconnects.
///
/// See the [module documentation](crate::edge) for the driving loop and the behaviour
/// decisions (first ping, BIND/queue order, BIND split size, closed-state semantics).
#[derive(Debug)]
pub struct EdgeSession {
    config: EdgeConfig,
    ids: RequestIds,
    wire: Wire,
    /// The current websocket, if any.
    conn: Option<Connection>,
    /// `close` was called while connected; `handle_closed` finishes it.
    app_closing: bool,
    /// Closed for good.
    closed: bool,
    /// Registered things, in registration order (`registered_set` mirrors it).
    registered: Vec<WireString>,
    registered_set: HashSet<WireString>,
    /// Requests made before authentication, in order, with the deadline by which they must
    /// have been sent (`None`: never). They survive a lost connection and go out after the
    /// next AUTH success (rumqttc's `clean()` hands in-flight work back the same way).
    queue: VecDeque<(u32, Request, Option<Instant>)>,
    /// Consecutive failures (connect attempts and connections) since the last connection
    /// that stayed authenticated for the stable period.
    failures: u32,
    /// An AUTH succeeded at least once.
    authenticated_once: bool,
    /// Why the session stopped reconnecting on its own (it is closed for good).
    gave_up: Option<GiveUp>,
    /// `close` was called while connected: the session ends at this time at the latest.
    close_deadline: Option<Instant>,
    /// `bind` / `unbind` calls waiting for their names' outcomes.
    tickets: Vec<Ticket>,
    next_ticket: u64,
    transmits: VecDeque<Transmit>,
    events: VecDeque<EdgeEvent>,
    late_responses: u64,
    trailing_bytes: u64,
    ignored_messages: u64,
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
            ids,
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
            close_deadline: None,
            tickets: Vec::new(),
            next_ticket: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            late_responses: 0,
            trailing_bytes: 0,
            ignored_messages: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &EdgeConfig {
        &self.config
    }

    /// Where the session is in its lifecycle. The state changes from
    /// [`EdgeState::Authenticating`]/[`EdgeState::Authenticated`] to
    /// [`EdgeState::Disconnected`] only in [`EdgeSession::handle_closed`], also when the
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

    /// Registered things (bound whenever authenticated), in registration order.
    pub fn registered(&self) -> impl Iterator<Item = &WireString> + '_ {
        self.registered.iter()
    }

    /// Whether `name`'s BIND succeeded on the current connection (only bound things receive
    /// platform requests; others are answered NOT_FOUND).
    pub fn is_bound(&self, name: &str) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.bound.contains(name.as_bytes()))
    }

    /// Responses that matched no waiting request (late after a timeout, or unknown ids),
    /// counted here. They are dropped, except a late answer to a BIND that timed out on this
    /// connection, which still counts (see the [module documentation](crate::edge)).
    pub fn late_responses(&self) -> u64 {
        self.late_responses
    }

    /// Inbound messages that had bytes after a complete body (tolerated, sdk-quirks.md Q5/Q6).
    pub fn messages_with_trailing_bytes(&self) -> u64 {
        self.trailing_bytes
    }

    /// Inbound messages dropped without an answer: platform requests or AUTH/BIND/UNBIND
    /// received before authentication (nothing but AUTH may be sent then).
    pub fn ignored_messages(&self) -> u64 {
        self.ignored_messages
    }

    /// Number of requests waiting for authentication.
    pub fn queued_requests(&self) -> usize {
        self.queue.len()
    }

    // ---------------------------------------------------------------- inputs

    /// The websocket is open: sends AUTH (session id `FFFFFFFF`, fresh request id) and
    /// nothing else until its response. Ignored once the session is closing or closed. If a
    /// connection is still open (the runtime missed [`EdgeSession::handle_closed`]), it is
    /// ended first as if lost.
    pub fn handle_connected(&mut self, now: Instant) {
        if self.closed || self.app_closing {
            return;
        }
        if let Some(conn) = self.conn.take() {
            let reason = conn
                .closing
                .clone()
                .unwrap_or(DisconnectReason::ConnectionLost);
            self.end_connection(conn, reason);
        }
        self.wire.reset();
        let mut conn = Connection::new(after(now, self.config.ping_interval));
        let id = self.ids.next();
        let auth = Message {
            header: Header::new(id, AUTH_SESSION_ID),
            body: Body::Auth(self.config.credentials.to_auth()),
        };
        match self.wire.send(&auth, &mut self.transmits) {
            Ok(()) => conn.auth = Some((id, after(now, self.config.request_timeout))),
            Err(_) => {
                // Credentials that cannot be encoded (more than 255 claims, absurd lengths):
                // reported as a local BAD_REQUEST rejection.
                let failure = AuthFailure::Rejected(StatusCode::BAD_REQUEST);
                self.events.push_back(EdgeEvent::AuthFailed(failure));
                self.transmits.push_back(Transmit::Close {
                    code: CLOSE_NORMAL,
                    reason: CLOSE_REASON_AUTH_REJECTED.to_owned(),
                });
                conn.closing = Some(DisconnectReason::AuthFailed(failure));
            }
        }
        self.conn = Some(conn);
    }

    /// One binary websocket message. Decode and reassembly errors are returned; the session
    /// and the connection stay usable. Ignored when not connected or closing.
    pub fn handle_message(&mut self, now: Instant, bytes: Bytes) -> Result<(), InboundError> {
        match &self.conn {
            Some(c) if c.closing.is_none() && !self.app_closing => {}
            _ => return Ok(()),
        }
        let decoded = match self.wire.receive(now, bytes) {
            Ok(Some(decoded)) => decoded,
            Ok(None) => return Ok(()),
            Err(e) => {
                // Garbage while AUTH is awaited: a connection failure (retried), never a
                // refusal of the credentials.
                if let Some(conn) = self.conn.as_mut().filter(|c| c.auth.is_some()) {
                    conn.auth = None;
                    self.auth_failed(AuthFailure::Malformed);
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

    /// A websocket pong arrived: the keep-alive check is satisfied.
    pub fn handle_pong(&mut self, now: Instant) {
        let _ = now;
        if let Some(conn) = &mut self.conn {
            conn.pong_deadline = None;
        }
    }

    /// The websocket is gone. Requests waiting for a response end with
    /// [`RequestError::Disconnected`] (the platform may have seen them: not resent), queued
    /// ones stay queued for the next connection until their deadline, unanswered platform
    /// requests are forgotten, then [`EdgeEvent::Disconnected`] (or [`EdgeEvent::Closed`]
    /// after [`EdgeSession::close`]). Counts as a failure for the reconnect policy; when the
    /// policy gives up (AUTH refused on the first connect, attempts exhausted) the session
    /// closes for good: queued requests come back as [`EdgeEvent::Unsent`], then
    /// [`EdgeEvent::Closed`]. Ignored when not connected.
    pub fn handle_closed(&mut self, now: Instant) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        self.wire.reset();
        if self.app_closing {
            // `close` already ended everything that was waiting.
            self.app_closing = false;
            self.close_deadline = None;
            self.closed = true;
            self.events.push_back(EdgeEvent::Closed);
            return;
        }
        let reason = conn
            .closing
            .clone()
            .unwrap_or(DisconnectReason::ConnectionLost);
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
        self.end_connection(conn, reason);
        self.failures = self.failures.saturating_add(1);
        match refused {
            Some(failure) => self.give_up(GiveUp::AuthRefused(failure)),
            None => self.give_up_if_exhausted(),
        }
    }

    /// A connect attempt failed: counts for the reconnect policy (and may exhaust it).
    /// Ignored while connected or once closed.
    fn handle_connect_failed(&mut self) {
        if self.conn.is_some() || self.closed || self.app_closing {
            return;
        }
        self.failures = self.failures.saturating_add(1);
        self.give_up_if_exhausted();
    }

    fn give_up_if_exhausted(&mut self) {
        if self.config.reconnect.exhausted(self.failures) {
            self.give_up(GiveUp::Attempts(self.failures));
        }
    }

    /// Stops reconnecting: closed for good (queued requests come back as `Unsent`).
    fn give_up(&mut self, why: GiveUp) {
        if self.closed {
            return;
        }
        self.gave_up = Some(why);
        self.hand_back_queue();
        self.closed = true;
        self.events.push_back(EdgeEvent::Closed);
    }

    /// When the runtime should open the next websocket, after
    /// [`EdgeEvent::Disconnected`] or [`Input::ConnectFailed`] (and before the first
    /// connect, which is due at once). `draw` is a random number for the jitter (see
    /// [`ReconnectPolicy`](super::ReconnectPolicy) for the delays, what counts as a failure
    /// and what resets the count); ask once per failure, each call draws anew.
    pub fn reconnect(&self, now: Instant, draw: u64) -> Reconnect {
        if let Some(why) = self.gave_up {
            return Reconnect::GiveUp(why);
        }
        if self.closed || self.app_closing {
            return Reconnect::GiveUp(GiveUp::Closed);
        }
        if self.conn.is_some() {
            return Reconnect::Connected;
        }
        if self.failures == 0 {
            return Reconnect::At(now);
        }
        let delay = self.config.reconnect.delay(self.failures, draw);
        match now.checked_add(delay) {
            Some(at) => Reconnect::At(at),
            // A delay past the end of time: never again.
            None => Reconnect::GiveUp(GiveUp::Attempts(self.failures)),
        }
    }

    /// Consecutive failures (connect attempts and connections) since the last connection
    /// that stayed authenticated for the stable period.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Something happened to the websocket at `now` (one function for every input; the
    /// `handle_*` methods it calls document each). Only [`Input::Message`] can fail.
    /// [`Input::Ping`] does nothing (the runtime answers pings itself).
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Result<(), InboundError> {
        match input {
            Input::Connected => self.handle_connected(now),
            Input::Message(bytes) => return self.handle_message(now, bytes),
            Input::Ping => {}
            Input::Pong => self.handle_pong(now),
            Input::Closed => self.handle_closed(now),
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
            ignored_messages: self.ignored_messages,
            messages_with_trailing_bytes: self.trailing_bytes,
            ..Stats::default()
        }
    }

    /// Processes every deadline at or before `now`: AUTH and request timeouts, the pong
    /// deadline, the next ping, multipart expiry. May be called early or late.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if self.app_closing {
            if self.close_deadline.is_some_and(|d| d <= now) {
                // The websocket did not close in time: the session ends anyway.
                self.conn = None;
                self.wire.reset();
                self.app_closing = false;
                self.close_deadline = None;
                self.closed = true;
                self.events.push_back(EdgeEvent::Closed);
            }
            return;
        }
        self.expire_queue(now);
        let Some(conn) = &mut self.conn else {
            return;
        };
        if conn.closing.is_some() {
            return;
        }
        self.wire.expire(now);
        if let Some((_, Some(deadline))) = conn.auth {
            if deadline <= now {
                conn.auth = None;
                self.auth_failed(AuthFailure::TimedOut);
                return;
            }
        }
        if conn.pong_deadline.is_some_and(|d| d <= now) {
            conn.pong_deadline = None;
            conn.closing = Some(DisconnectReason::PongTimeout);
            self.transmits.push_back(Transmit::Close {
                code: CLOSE_NORMAL,
                reason: CLOSE_REASON_PONG_TIMEOUT.to_owned(),
            });
            return;
        }
        let mut expired: Vec<(Instant, u32)> = conn
            .in_flight
            .iter()
            .filter_map(|(&id, f)| f.deadline.filter(|d| *d <= now).map(|d| (d, id)))
            .collect();
        expired.sort_unstable();
        for (_, id) in expired {
            if let Some(f) = conn.in_flight.remove(&id) {
                match f.waiting {
                    Waiting::Request => self.events.push_back(EdgeEvent::Response {
                        id,
                        result: Err(RequestError::Timeout),
                    }),
                    Waiting::Bind { names, several } => {
                        let mut remembered = Vec::new();
                        for name in names {
                            conn.binding.remove(&name);
                            if self.registered_set.contains(&name) {
                                remembered.push(name.clone());
                                self.events.push_back(EdgeEvent::BindRejected {
                                    name,
                                    status: StatusCode::GATEWAY_TIMEOUT,
                                });
                            }
                        }
                        // The platform may have bound them: adopt a late answer, and ask
                        // again one request timeout later if none came.
                        if !remembered.is_empty() {
                            conn.timed_out.push_back(TimedOut {
                                id,
                                unbind: false,
                                several,
                                names: remembered,
                                retry_at: after(now, self.config.request_timeout),
                            });
                        }
                    }
                    Waiting::Unbind { names, report } => {
                        // Unregistered already, but the platform may not have seen it:
                        // sent again (silently) one request timeout later unless a late
                        // answer comes first. Names registered again since are left to
                        // their new BIND.
                        let remembered: Vec<_> = names
                            .iter()
                            .filter(|n| !self.registered_set.contains(*n))
                            .cloned()
                            .collect();
                        if !remembered.is_empty() {
                            conn.timed_out.push_back(TimedOut {
                                id,
                                unbind: true,
                                several: false,
                                names: remembered,
                                retry_at: after(now, self.config.request_timeout),
                            });
                        }
                        if report {
                            self.events
                                .extend(names.into_iter().map(|name| EdgeEvent::Unbound { name }));
                        }
                    }
                }
            }
        }
        if conn.next_ping.is_some_and(|t| t <= now) {
            self.transmits.push_back(Transmit::Ping);
            if conn.pong_deadline.is_none() {
                conn.pong_deadline = after(now, self.config.pong_timeout);
            }
            conn.next_ping = after(now, self.config.ping_interval);
        }
        let (binds, unbinds) = conn.take_due_retries(now);
        let unbinds: Vec<_> = unbinds
            .into_iter()
            .filter(|n| !self.registered_set.contains(n))
            .collect();
        let binds: Vec<_> = binds
            .into_iter()
            .filter(|n| self.registered_set.contains(n))
            .filter(|n| !conn.bound.contains(n) && !conn.binding.contains(n))
            .collect();
        if let Some(session_id) = conn.live_session_id() {
            if !unbinds.is_empty() {
                self.send_unbinds(now, session_id, unbinds, UnbindMode::Silent);
            }
        }
        if !binds.is_empty() {
            self.send_binds(now, binds);
        }
    }

    // ---------------------------------------------------------------- commands

    /// Sends a request to the platform; returns its id. Its end is reported exactly once, as
    /// [`EdgeEvent::Response`] (a response of any status, or [`RequestError::Timeout`] /
    /// [`RequestError::Disconnected`] / [`RequestError::Closed`]) or as
    /// [`EdgeEvent::Unsent`] if it was still queued. Errors returned here consume no id
    /// that is ever reported.
    ///
    /// Not authenticated: queued (sent right after the BINDs that follow AUTH success) when
    /// [`EdgeConfig::queue_until_authenticated`] is `Some`, else
    /// [`RequestError::NotAuthenticated`]. A queued request survives lost connections and
    /// goes out, under its id, after the next AUTH success if that comes within
    /// `request_timeout` of this call; otherwise it ends with [`RequestError::Timeout`]
    /// without being sent.
    pub fn request(&mut self, now: Instant, request: Request) -> Result<u32, RequestError> {
        if self.closed || self.app_closing {
            return Err(RequestError::Closed);
        }
        if let Some(session_id) = self.conn.as_ref().and_then(Connection::live_session_id) {
            let id = self.ids.next();
            self.send_request(now, id, session_id, request)?;
            return Ok(id);
        }
        let Some(capacity) = self.config.queue_until_authenticated else {
            return Err(RequestError::NotAuthenticated);
        };
        if self.queue.len() >= capacity {
            return Err(RequestError::QueueFull { capacity });
        }
        // Refuse what can never be sent now rather than after authentication.
        let len = request
            .encoded_len()
            .and_then(|body| {
                body.checked_add(HEADER_LEN).ok_or(EncodeError::TooLong {
                    what: "request",
                    len: body,
                })
            })
            .map_err(|e| RequestError::Unsendable(e.into()))?;
        if len > self.config.max_message_size {
            return Err(RequestError::TooLarge {
                len,
                max: self.config.max_message_size,
            });
        }
        let id = self.ids.next();
        self.queue
            .push_back((id, request, now.checked_add(self.config.request_timeout)));
        Ok(id)
    }

    /// Answers the platform request `id` (from [`EdgeEvent::Request`]). The response carries
    /// that id, this connection's session id and endpoint id 0.
    pub fn respond(
        &mut self,
        now: Instant,
        id: u32,
        response: Response,
    ) -> Result<(), RespondError> {
        let _ = now;
        let session_id = match &self.conn {
            Some(c) if !self.app_closing => c.live_session_id(),
            _ => None,
        }
        .ok_or(RespondError::NotConnected)?;
        if !self
            .conn
            .as_ref()
            .is_some_and(|c| c.from_platform.contains(&id))
        {
            return Err(RespondError::UnknownRequest(id));
        }
        let message = Message {
            header: Header::new(id, session_id),
            body: Body::Response(response),
        };
        self.wire.send(&message, &mut self.transmits)?;
        if let Some(c) = &mut self.conn {
            c.from_platform.remove(&id);
        }
        Ok(())
    }

    /// Registers things. Authenticated: BINDs the newly registered ones now (and re-BINDs
    /// registered ones that are neither bound nor being bound, e.g. after a rejection);
    /// otherwise they are bound after the next AUTH success. Ignored once closing.
    ///
    /// The returned ticket ends with one [`EdgeEvent::BindCompleted`] once every listed
    /// name is answered (`Bound`, `BindRejected`, or unbound meanwhile), at once for names
    /// already bound; [`BindResult::Closed`] if the session closes first.
    pub fn bind<I, N>(&mut self, now: Instant, names: I) -> BindTicket
    where
        I: IntoIterator<Item = N>,
        N: Into<WireString>,
    {
        let ticket = self.new_ticket();
        if self.closed || self.app_closing {
            self.complete(ticket, BindResult::Closed);
            return ticket;
        }
        let mut waiting = HashSet::new();
        let live = self
            .conn
            .as_ref()
            .and_then(Connection::live_session_id)
            .is_some();
        let mut seen = HashSet::new();
        let mut to_send = Vec::new();
        for name in names {
            let name: WireString = name.into();
            if !seen.insert(name.clone()) {
                continue;
            }
            if !self.conn.as_ref().is_some_and(|c| c.bound.contains(&name)) {
                waiting.insert(name.clone());
            }
            if self.registered_set.insert(name.clone()) {
                self.registered.push(name.clone());
                to_send.push(name);
            } else if let Some(c) = self.conn.as_ref().filter(|_| live) {
                if !c.bound.contains(&name) && !c.binding.contains(&name) {
                    to_send.push(name);
                }
            }
        }
        self.wait(ticket, false, waiting);
        if live {
            self.send_binds(now, to_send);
        }
        ticket
    }

    fn new_ticket(&mut self) -> BindTicket {
        self.next_ticket = self.next_ticket.wrapping_add(1);
        BindTicket(self.next_ticket)
    }

    fn complete(&mut self, ticket: BindTicket, result: BindResult) {
        self.events
            .push_back(EdgeEvent::BindCompleted { ticket, result });
    }

    /// Waits for `names` (completes at once when there are none).
    fn wait(&mut self, id: BindTicket, unbind: bool, remaining: HashSet<WireString>) {
        if remaining.is_empty() {
            self.complete(id, BindResult::Done);
        } else {
            self.tickets.push(Ticket {
                id,
                unbind,
                remaining,
                rejected: Vec::new(),
            });
        }
    }

    /// The outcome of a name as the application sees it (the event being handed out):
    /// settles the tickets waiting for it.
    fn settle(&mut self, event: &EdgeEvent) {
        if self.tickets.is_empty() {
            return;
        }
        let (name, unbound, status) = match event {
            EdgeEvent::Bound { name } => (name, false, None),
            EdgeEvent::BindRejected { name, status } => (name, false, Some(*status)),
            EdgeEvent::Unbound { name } => (name, true, None),
            _ => return,
        };
        let mut done = Vec::new();
        self.tickets.retain_mut(|t| {
            if (t.unbind && !unbound) || !t.remaining.remove(name) {
                return true;
            }
            if let Some(status) = status {
                t.rejected.push((name.clone(), status));
            }
            if !t.remaining.is_empty() {
                return true;
            }
            let result = if t.rejected.is_empty() {
                BindResult::Done
            } else {
                BindResult::Rejected(std::mem::take(&mut t.rejected))
            };
            done.push((t.id, result));
            false
        });
        for (ticket, result) in done {
            self.complete(ticket, result);
        }
    }

    /// The next event, settling `bind`/`unbind` tickets as the outcomes go out (each
    /// ticket's completion follows its last name's event; open tickets end before
    /// `Closed`).
    fn next_event(&mut self) -> Option<EdgeEvent> {
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

    /// Unregisters things. Authenticated: sends UNBIND ([`EdgeEvent::Unbound`] on its
    /// response or timeout, re-sent silently after a timeout); otherwise
    /// [`EdgeEvent::Unbound`] at once. Names that are not
    /// registered are ignored. Platform requests for these things get NOT_FOUND from now on.
    ///
    /// The returned ticket ends with one [`EdgeEvent::BindCompleted`] once every name it
    /// unregistered is `Unbound` (at once when there are none).
    pub fn unbind<I, N>(&mut self, now: Instant, names: I) -> BindTicket
    where
        I: IntoIterator<Item = N>,
        N: Into<WireString>,
    {
        let ticket = self.new_ticket();
        if self.closed || self.app_closing {
            self.complete(ticket, BindResult::Closed);
            return ticket;
        }
        let mut removed = Vec::new();
        for name in names {
            let name: WireString = name.into();
            if self.registered_set.remove(&name) {
                removed.push(name);
            }
        }
        self.wait(ticket, true, removed.iter().cloned().collect());
        if removed.is_empty() {
            return ticket;
        }
        let set = &self.registered_set;
        self.registered.retain(|n| set.contains(n));
        let session_id = self.conn.as_ref().and_then(Connection::live_session_id);
        if let Some(c) = &mut self.conn {
            for name in &removed {
                c.bound.remove(name);
            }
            let unbound = c.supersede(&removed);
            self.events
                .extend(unbound.into_iter().map(|name| EdgeEvent::Unbound { name }));
        }
        match session_id {
            Some(session_id) => self.send_unbinds(now, session_id, removed, UnbindMode::Reported),
            None => self
                .events
                .extend(removed.into_iter().map(|name| EdgeEvent::Unbound { name })),
        }
        ticket
    }

    /// Closes for good: requests waiting for a response end with [`RequestError::Closed`],
    /// queued ones come back as [`EdgeEvent::Unsent`]; if authenticated, every registered
    /// thing is UNBOUND (one or more UNBIND messages, responses not awaited), then
    /// `Transmit::Close{1000, "Normal Close Shutting down"}`; state
    /// [`EdgeState::Closing`] until [`EdgeSession::handle_closed`], then
    /// [`EdgeState::Closed`] and [`EdgeEvent::Closed`]. When not connected: closed at once.
    pub fn close(&mut self, now: Instant) {
        if self.closed || self.app_closing {
            return;
        }
        let Some(mut conn) = self.conn.take() else {
            self.hand_back_queue();
            self.closed = true;
            self.events.push_back(EdgeEvent::Closed);
            return;
        };
        let in_flight = std::mem::take(&mut conn.in_flight);
        self.end_in_flight(in_flight, RequestError::Closed);
        self.hand_back_queue();
        conn.from_platform.clear();
        conn.auth = None;
        conn.next_ping = None;
        conn.pong_deadline = None;
        if let Some(session_id) = conn.live_session_id() {
            let names = self.registered.clone();
            self.send_unbinds(now, session_id, names, UnbindMode::Untracked);
        }
        if conn.closing.is_none() {
            conn.closing = Some(DisconnectReason::ConnectionLost);
            self.transmits.push_back(Transmit::Close {
                code: CLOSE_NORMAL,
                reason: CLOSE_REASON_SHUTDOWN.to_owned(),
            });
        }
        self.conn = Some(conn);
        self.app_closing = true;
        self.close_deadline = now.checked_add(self.config.close_timeout);
    }

    /// [`Request::read_property`] sent with [`EdgeSession::request`].
    pub fn read_property(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        property: impl Into<WireString>,
    ) -> Result<u32, RequestError> {
        self.request(now, Request::read_property(thing, property))
    }

    /// [`Request::write_property`] sent with [`EdgeSession::request`].
    pub fn write_property(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        property: impl Into<WireString>,
        value: Value,
    ) -> Result<u32, RequestError> {
        self.request(now, Request::write_property(thing, property, value))
    }

    /// [`Request::invoke_service`] sent with [`EdgeSession::request`].
    pub fn invoke_service(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        service: impl Into<WireString>,
        params: Option<InfoTable>,
    ) -> Result<u32, RequestError> {
        self.request(now, Request::invoke_service(thing, service, params))
    }

    /// [`Request::fire_event`] sent with [`EdgeSession::request`].
    pub fn fire_event(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        event: impl Into<WireString>,
        data: InfoTable,
    ) -> Result<u32, RequestError> {
        self.request(now, Request::fire_event(thing, event, data))
    }

    /// [`Request::push_properties`] sent with [`EdgeSession::request`].
    pub fn push_properties(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        updates: &[PropertyUpdate],
    ) -> Result<u32, RequestError> {
        self.request(now, Request::push_properties(thing, updates))
    }

    // ---------------------------------------------------------------- outputs

    /// The next thing to put on the websocket, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<EdgeEvent> {
        self.next_event()
    }

    /// The earliest deadline (AUTH/BIND/UNBIND/request timeouts, next ping, pong deadline,
    /// multipart expiry); call [`EdgeSession::handle_timeout`] when it passes. `None` when
    /// nothing is scheduled (not connected, closing, closed).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        if self.app_closing {
            return self.close_deadline;
        }
        let queued = self.queue.iter().filter_map(|(_, _, d)| *d).min();
        let Some(conn) = self.conn.as_ref() else {
            return queued;
        };
        if conn.closing.is_some() {
            return None;
        }
        [
            queued,
            conn.auth.and_then(|(_, d)| d),
            conn.next_ping,
            conn.pong_deadline,
            conn.in_flight.values().filter_map(|f| f.deadline).min(),
            conn.timed_out.iter().filter_map(|t| t.retry_at).min(),
            self.wire.next_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---------------------------------------------------------------- internals

    fn on_response(&mut self, now: Instant, header: Header, response: Response) {
        let id = header.request_id;
        let Some(conn) = &mut self.conn else {
            return;
        };
        if let Some((auth_id, _)) = conn.auth {
            if id == auth_id {
                conn.auth = None;
                if response.status.is_success() {
                    self.authenticated(now, header.session_id);
                } else {
                    self.auth_failed(AuthFailure::Rejected(response.status));
                }
            } else {
                self.late_responses = self.late_responses.saturating_add(1);
            }
            return;
        }
        let Some(f) = conn.in_flight.remove(&id) else {
            self.late_responses = self.late_responses.saturating_add(1);
            if let Some(i) = conn.timed_out.iter().position(|t| t.id == id) {
                // A late UNBIND answer: nothing to do (removed locally already; the
                // platform never refuses an UNBIND, and a retry would not change that).
                if let Some(t) = conn.timed_out.remove(i).filter(|t| !t.unbind) {
                    self.on_late_bind_response(now, t.names, t.several, response.status);
                }
            }
            return;
        };
        match f.waiting {
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

    /// The late answer to a BIND that timed out on this connection, before its retry (each
    /// name already had its `BindRejected { GATEWAY_TIMEOUT }`; names unbound or re-sent
    /// since are no longer listed; the retry is cancelled). SUCCESS: the platform bound
    /// them, so they are bound here too. A failure of a one-name BIND is final (nothing
    /// more is reported); one of several names may still have bound some of them, so those
    /// are asked again one by one, as for a failure in time.
    fn on_late_bind_response(
        &mut self,
        now: Instant,
        names: Vec<WireString>,
        several: bool,
        status: StatusCode,
    ) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        let mut retry = Vec::new();
        for name in names {
            if !self.registered_set.contains(&name)
                || conn.bound.contains(&name)
                || conn.binding.contains(&name)
            {
                continue;
            }
            if status.is_success() {
                conn.bound.insert(name.clone());
                self.events.push_back(EdgeEvent::Bound { name });
            } else if several {
                retry.push(name);
            }
        }
        for name in retry {
            self.send_binds(now, vec![name]);
        }
    }

    fn on_request(&mut self, header: Header, request: Request) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        if conn.live_session_id().is_none() {
            self.ignored_messages = self.ignored_messages.saturating_add(1);
            return;
        }
        if conn.bound.contains(&request.entity_name) {
            conn.from_platform.insert(header.request_id);
            self.events.push_back(EdgeEvent::Request {
                id: header.request_id,
                request,
            });
        } else {
            self.answer(header.request_id, StatusCode::NOT_FOUND);
        }
    }

    /// Sends a bare status response (body `00 FF`) if authenticated; counts the message as
    /// ignored otherwise.
    fn answer(&mut self, request_id: u32, status: StatusCode) {
        let Some(session_id) = self.conn.as_ref().and_then(Connection::live_session_id) else {
            self.ignored_messages = self.ignored_messages.saturating_add(1);
            return;
        };
        let message = Message {
            header: Header::new(request_id, session_id),
            body: Body::Response(Response {
                status,
                reason: None,
                content: None,
            }),
        };
        // A bare response always encodes and fits.
        let _ = self.wire.send(&message, &mut self.transmits);
    }

    fn authenticated(&mut self, now: Instant, session_id: u32) {
        if let Some(conn) = &mut self.conn {
            conn.session_id = Some(session_id);
            conn.authenticated_at = Some(now);
        }
        self.events
            .push_back(EdgeEvent::Authenticated { session_id });
        let names = self.registered.clone();
        self.send_binds(now, names);
        self.authenticated_once = true;
        while let Some((id, request, _)) = self.queue.pop_front() {
            if let Err(e) = self.send_request(now, id, session_id, request) {
                self.events
                    .push_back(EdgeEvent::Response { id, result: Err(e) });
            }
        }
    }

    fn auth_failed(&mut self, failure: AuthFailure) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        conn.closing = Some(DisconnectReason::AuthFailed(failure));
        self.events.push_back(EdgeEvent::AuthFailed(failure));
        let reason = match failure {
            AuthFailure::Rejected(_) => CLOSE_REASON_AUTH_REJECTED,
            AuthFailure::TimedOut => CLOSE_REASON_AUTH_TIMEOUT,
            AuthFailure::Malformed => CLOSE_REASON_AUTH_MALFORMED,
        };
        self.transmits.push_back(Transmit::Close {
            code: CLOSE_NORMAL,
            reason: reason.to_owned(),
        });
    }

    fn send_request(
        &mut self,
        now: Instant,
        id: u32,
        session_id: u32,
        request: Request,
    ) -> Result<(), RequestError> {
        let message = Message {
            header: Header::new(id, session_id),
            body: Body::Request(request),
        };
        self.wire.send(&message, &mut self.transmits)?;
        if let Some(c) = &mut self.conn {
            c.in_flight.insert(
                id,
                InFlight {
                    deadline: after(now, self.config.request_timeout),
                    waiting: Waiting::Request,
                },
            );
        }
        Ok(())
    }

    /// The size BIND/UNBIND name lists are split at: a BIND never exceeds
    /// `max_message_size` and never needs multipart (sdk-quirks.md Q23).
    fn bind_limit(&self) -> usize {
        self.config
            .max_message_size
            .min(usize::from(self.config.chunk_size))
    }

    fn send_binds(&mut self, now: Instant, names: Vec<WireString>) {
        let Some(session_id) = self.conn.as_ref().and_then(Connection::live_session_id) else {
            return;
        };
        for batch in batches(names, self.config.gateway.as_ref(), self.bind_limit()) {
            let id = self.ids.next();
            let message = Message {
                header: Header::new(id, session_id),
                body: Body::Bind(Bind {
                    gateway: self.config.gateway.clone(),
                    names: batch.clone(),
                }),
            };
            match self.wire.send(&message, &mut self.transmits) {
                Ok(()) => {
                    if let Some(c) = &mut self.conn {
                        let unbound = c.supersede(&batch);
                        self.events
                            .extend(unbound.into_iter().map(|name| EdgeEvent::Unbound { name }));
                        c.binding.extend(batch.iter().cloned());
                        c.in_flight.insert(
                            id,
                            InFlight {
                                deadline: after(now, self.config.request_timeout),
                                waiting: Waiting::Bind {
                                    several: batch.len() > 1,
                                    names: batch,
                                },
                            },
                        );
                    }
                }
                Err(_) => {
                    self.events
                        .extend(batch.into_iter().map(|name| EdgeEvent::BindRejected {
                            name,
                            status: StatusCode::ENTITY_TOO_LARGE,
                        }))
                }
            }
        }
    }

    /// Sends UNBINDs for `names`, followed up as `mode` says.
    fn send_unbinds(
        &mut self,
        now: Instant,
        session_id: u32,
        names: Vec<WireString>,
        mode: UnbindMode,
    ) {
        if let Some(c) = &mut self.conn {
            let unbound = c.supersede(&names);
            self.events
                .extend(unbound.into_iter().map(|name| EdgeEvent::Unbound { name }));
        }
        for batch in batches(names, self.config.gateway.as_ref(), self.bind_limit()) {
            let id = self.ids.next();
            let message = Message {
                header: Header::new(id, session_id),
                body: Body::Unbind(Bind {
                    gateway: self.config.gateway.clone(),
                    names: batch.clone(),
                }),
            };
            let sent = self.wire.send(&message, &mut self.transmits).is_ok();
            let report = match mode {
                UnbindMode::Untracked => continue,
                UnbindMode::Reported => true,
                UnbindMode::Silent => false,
            };
            match (&mut self.conn, sent) {
                (Some(c), true) => {
                    c.in_flight.insert(
                        id,
                        InFlight {
                            deadline: after(now, self.config.request_timeout),
                            waiting: Waiting::Unbind {
                                names: batch,
                                report,
                            },
                        },
                    );
                }
                _ if report => self
                    .events
                    .extend(batch.into_iter().map(|name| EdgeEvent::Unbound { name })),
                _ => {}
            }
        }
    }

    /// Ends everything waiting on a connection that is gone, then reports why. Queued
    /// requests stay queued (until their deadline) for the next connection.
    fn end_connection(&mut self, conn: Connection, reason: DisconnectReason) {
        self.end_in_flight(conn.in_flight, RequestError::Disconnected);
        self.events.push_back(EdgeEvent::Disconnected { reason });
    }

    /// Queued requests whose deadline passed end with [`RequestError::Timeout`].
    fn expire_queue(&mut self, now: Instant) {
        while let Some(i) = self
            .queue
            .iter()
            .position(|(_, _, d)| d.is_some_and(|d| d <= now))
        {
            if let Some((id, _, _)) = self.queue.remove(i) {
                self.events.push_back(EdgeEvent::Response {
                    id,
                    result: Err(RequestError::Timeout),
                });
            }
        }
    }

    fn end_in_flight(&mut self, in_flight: BTreeMap<u32, InFlight>, error: RequestError) {
        for (id, f) in in_flight {
            match f.waiting {
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

    fn hand_back_queue(&mut self) {
        for (id, request, _) in self.queue.drain(..) {
            self.events.push_back(EdgeEvent::Unsent { id, request });
        }
    }
}
