//! [`PlatformSession`]: the platform side of one websocket connection.

use super::push::Inbound;
use super::registry::BindOutcome;
use super::{
    AuthPolicy, CloseReason, ConnectionEvent, ConnectionId, EndpointEvent, PlatformConfig,
    PlatformEvent, ThingRegistry,
};
use crate::codec::{
    Body, EntityType, Frame, Header, Message, MessageCode, Request, Response, StatusCode,
    WireString,
};
use crate::driving::{Input, Output, Stats};
use crate::multipart::{ReassemblyBudget, MIN_CHUNK_SIZE};
use crate::request::{RequestError, RespondError};
use crate::request_table::{Answer, RequestTable};
use crate::timer_table::{Timer, TimerTable};
use crate::transmit::{close_reason, cut};
use crate::wire::{InboundError, Wire};
use crate::{RequestIds, Transmit, CLOSE_NORMAL, CLOSE_POLICY_VIOLATION};
use bytes::Bytes;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Instant, SystemTime};

/// Most messages held while an AUTH decision is pending; later ones are dropped (counted in
/// [`Stats::dropped_messages`]).
pub const MAX_QUEUED_WHILE_AUTH_PENDING: usize = 64;

/// Most refused names listed in the reason of a refused BIND's response.
const MAX_NAMES_IN_REASON: usize = 8;

/// The session id assigned to connection `id` by [`PlatformSession::accept_auth`].
///
/// Deterministic and cheap: `id + 1` for connection ids below `0xFFFF_FFFE` (so distinct
/// small connection ids get distinct session ids), in general
/// `((id ^ (id >> 32)) mod 0xFFFF_FFFE) + 1` for the lower 32 bits. The result is never 0
/// (which would make the SDK keep sending session id 0) and never `0xFFFF_FFFF` (the
/// session id AUTH itself carries).
pub fn session_id_for(id: ConnectionId) -> u32 {
    let folded = if id < 0xFFFF_FFFE {
        id
    } else {
        id ^ (id >> 32)
    };
    // The modulo keeps the value below 0xFFFF_FFFE, so +1 stays in 1..=0xFFFF_FFFE.
    ((folded % 0xFFFF_FFFE) as u32) + 1
}

/// The platform session's timers.
#[derive(Debug, Clone, Copy)]
enum PlatformTimer {
    /// No AUTH accepted by then: close ([`CloseReason::AuthTimeout`]).
    Auth,
    /// Nothing received by then: close ([`CloseReason::IdleTimeout`]).
    Idle,
    /// A close of ours was queued and the websocket is not gone by then: the session ends
    /// anyway (`PlatformConfig::close_timeout`).
    Close,
}

impl Timer for PlatformTimer {
    fn index(self) -> usize {
        self as usize
    }
}

/// Where the session is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Open: waiting for AUTH, an AUTH decision, or authenticated.
    Open,
    /// A close was queued with this reason; waiting for `handle_closed`.
    Closing(CloseReason),
    /// `handle_closed` ran: `Closed` was emitted; the session is inert.
    Closed,
}

/// The platform side of one websocket connection.
///
/// See the [module documentation](super) for the driving loop and the rules it applies.
#[derive(Debug)]
pub struct PlatformSession {
    id: ConnectionId,
    config: PlatformConfig,
    registry: ThingRegistry,
    auth: AuthPolicy,
    /// Monotonic and wall-clock time when the session was created: the wall-clock time of
    /// a later `now` is derived from them (the crate has no clock).
    wall_base: (Instant, SystemTime),
    wire: Wire,
    phase: Phase,
    /// Any AUTH was ever received (the AUTH-first rule is satisfied).
    seen_auth: bool,
    /// The session id, once an AUTH was accepted.
    session_id: Option<u32>,
    /// The AUTH waiting for the application's decision: (request id, endpoint id).
    pending_auth: Option<(u32, u32)>,
    /// Messages received while an AUTH decision was pending, with their wall-clock time.
    held: VecDeque<(Inbound, SystemTime)>,
    /// The auth deadline (until an AUTH is accepted), the idle deadline and, once a close of
    /// ours is queued, the close deadline.
    timers: TimerTable<PlatformTimer, 3>,
    /// Names this session believes bound to it (sorted for deterministic events).
    bound: BTreeSet<WireString>,
    /// Edge requests waiting for `respond`: request id → the request's endpoint id.
    inbound: HashMap<u32, u32>,
    /// Platform requests waiting for a response (and their ids).
    requests: RequestTable<()>,
    late_responses: u64,
    unmatched_responses: u64,
    dropped_messages: u64,
    unanswered_malformed: u64,
    transmits: VecDeque<Transmit>,
    events: VecDeque<PlatformEvent>,
    endpoint_events: VecDeque<EndpointEvent>,
}

impl PlatformSession {
    /// A session for a websocket that opened at `now` (wall-clock `wall`; the auth and idle
    /// deadlines start here), identified by `id` (unique among live connections of
    /// `registry`), whose AUTH the application decides ([`AuthPolicy::Application`]).
    /// Prefer [`Endpoint::accept`](super::Endpoint::accept), which also negotiates the frame
    /// size and applies a credential policy.
    ///
    /// `wall` is the session's only wall-clock input: the wall-clock time of a later input
    /// (things' `last_connection`) is `wall` plus the monotonic time elapsed since `now`, so
    /// both sessions take the same inputs with the same arguments
    /// (`handle_input(now, input)`).
    pub fn new(
        now: Instant,
        wall: SystemTime,
        id: ConnectionId,
        config: PlatformConfig,
        registry: ThingRegistry,
    ) -> Self {
        let chunk_size = config.chunk_size;
        Self::accepted(
            now,
            wall,
            id,
            config,
            registry,
            AuthPolicy::Application,
            chunk_size,
        )
    }

    /// The session [`Endpoint::accept`](super::Endpoint::accept) hands out.
    pub(crate) fn accepted(
        now: Instant,
        wall: SystemTime,
        id: ConnectionId,
        config: PlatformConfig,
        registry: ThingRegistry,
        auth: AuthPolicy,
        chunk_size: u16,
    ) -> Self {
        let mut wire = Wire::new(
            chunk_size.max(MIN_CHUNK_SIZE),
            config.max_message_size,
            config.reassembly,
        );
        wire.peer_max_message_size = config.edge_max_message_size;
        let mut timers = TimerTable::default();
        timers.set_after(PlatformTimer::Auth, now, config.auth_timeout);
        timers.set_after(PlatformTimer::Idle, now, config.idle_timeout);
        Self {
            id,
            registry,
            auth,
            wall_base: (now, wall),
            wire,
            phase: Phase::Open,
            seen_auth: false,
            session_id: None,
            pending_auth: None,
            held: VecDeque::new(),
            timers,
            bound: BTreeSet::new(),
            inbound: HashMap::new(),
            requests: RequestTable::new(RequestIds::new()),
            late_responses: 0,
            unmatched_responses: 0,
            dropped_messages: 0,
            unanswered_malformed: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            endpoint_events: VecDeque::new(),
            config,
        }
    }

    /// The wall-clock time at monotonic time `now` (derived from the creation time).
    fn wall_at(&self, now: Instant) -> SystemTime {
        let (mono, wall) = self.wall_base;
        wall.checked_add(now.saturating_duration_since(mono))
            .unwrap_or(wall)
    }

    /// Counts this session's incomplete inbound multipart messages against `budget`, shared
    /// with the endpoint's other sessions (before any message arrives).
    pub(crate) fn share_reassembly_budget(&mut self, budget: ReassemblyBudget) {
        self.wire.set_budget(budget);
    }

    /// The chunk size of messages to this edge (negotiated by the endpoint).
    pub fn chunk_size(&self) -> u16 {
        self.wire.chunk_size
    }

    /// The session's counters.
    pub fn stats(&self) -> Stats {
        Stats {
            late_responses: self.late_responses,
            unmatched_responses: self.unmatched_responses,
            dropped_messages: self.dropped_messages,
            unanswered_malformed: self.unanswered_malformed,
            ..Stats::default()
        }
    }

    /// The connection id this session was created with.
    pub fn id(&self) -> ConnectionId {
        self.id
    }

    /// The session id assigned by the last accepted AUTH.
    pub fn session_id(&self) -> Option<u32> {
        self.session_id
    }

    /// Whether an AUTH was accepted and the connection is not closing.
    pub fn is_authenticated(&self) -> bool {
        self.session_id.is_some() && self.phase == Phase::Open
    }

    /// Whether [`Input::Closed`] was handled (the `Closed` event was emitted).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The names this session holds, sorted bytewise. Equal to
    /// [`ThingRegistry::bound_to`] for this connection once every
    /// move has been relayed by the endpoint
    /// ([`handle_connection_event`](Self::handle_connection_event)); empty once closed.
    pub fn bound_things(&self) -> Vec<WireString> {
        self.bound.iter().cloned().collect()
    }

    /// One binary websocket message received at `now` (monotonic) / `wall` (wall clock,
    /// recorded as things' `last_connection`).
    ///
    /// Returns an error when the bytes do not decode or a chunk is refused; the connection
    /// survives that unless this was the first message (AUTH-first violation: a close is
    /// queued). Messages arriving after a close was queued are ignored.
    fn handle_message(
        &mut self,
        now: Instant,
        wall: SystemTime,
        bytes: Bytes,
    ) -> Result<(), InboundError> {
        if self.phase != Phase::Open {
            return Ok(());
        }
        self.timers
            .set_after(PlatformTimer::Idle, now, self.config.idle_timeout);
        if !self.seen_auth {
            // AUTH-first: look at the code byte before decoding anything else.
            let code = bytes.get(1).copied().unwrap_or(0);
            if code != MessageCode::AUTH.0 {
                self.queue_close(now, CloseReason::AuthNotFirst(code));
                // Nothing is answered; garbage is still reported as an error.
                return match Frame::decode(bytes) {
                    Err(e) => Err(e.into()),
                    Ok(_) => Ok(()),
                };
            }
            return match self.wire.receive(now, bytes) {
                Err(e) => {
                    self.queue_close(now, CloseReason::MalformedAuth(e.clone()));
                    Err(e)
                }
                Ok(None) => Ok(()), // a chunk of a multipart AUTH
                Ok(Some(decoded)) => {
                    match decoded.value.body {
                        Body::Auth(_) => self.dispatch(now, wall, decoded.value),
                        _ => self.queue_close(now, CloseReason::AuthNotFirst(code)),
                    }
                    Ok(())
                }
            };
        }
        let peeked = Header::peek(&bytes);
        let received = if self.config.push_events {
            self.wire.receive_inbound(now, bytes)
        } else {
            let decoded = self.wire.receive(now, bytes);
            decoded.map(|d| d.map(|d| Inbound::Message(d.value)))
        };
        match received {
            Ok(None) => Ok(()),
            Ok(Some(Inbound::Message(message))) => {
                self.dispatch(now, wall, message);
                Ok(())
            }
            Ok(Some(push)) => {
                self.hold_or_process(wall, push);
                Ok(())
            }
            Err(e) => {
                self.refused_inbound(peeked, &e);
                Err(e)
            }
        }
    }

    /// A message after AUTH was refused with `e`: answered with the error when the
    /// connection is authenticated, its header was readable and its code expects an answer
    /// (the edge need not wait for its timeout); counted in
    /// [`Stats::unanswered_malformed`] otherwise (nothing but AUTH answers goes out before
    /// authentication). A refused response (a chunk over the reassembly budget, a message
    /// too large or that does not decode) to a request of ours waiting for it ends that
    /// request at once with [`RequestError::ResponseRefused`] instead of its timeout; the
    /// rest of the message is dropped by the reassembler.
    fn refused_inbound(&mut self, peeked: Option<(MessageCode, Header)>, e: &InboundError) {
        if let Some((_, header)) = peeked.filter(|(code, _)| code.is_response()) {
            let id = header.request_id;
            if let Answer::Pending(()) = self.requests.answer(id) {
                self.events.push_back(PlatformEvent::Response {
                    id,
                    result: Err(RequestError::ResponseRefused(e.clone())),
                });
            }
        }
        let answer = peeked
            .filter(|_| self.session_id.is_some())
            .and_then(|(code, header)| Some((header, e.answer_for(code)?)));
        match answer {
            Some((header, answer)) => self.send_response(header, answer),
            None => self.unanswered_malformed += 1,
        }
    }

    /// Handles one complete message once the AUTH-first rule is satisfied.
    fn dispatch(&mut self, now: Instant, wall: SystemTime, message: Message) {
        let header = message.header;
        match message.body {
            Body::Auth(auth) => {
                self.seen_auth = true;
                // A newer AUTH supersedes one still waiting for a decision (the SDK only
                // waits for its latest AUTH).
                self.pending_auth = Some((header.request_id, header.endpoint_id));
                // The outcome of a decision the session takes itself is reported by
                // `Authenticated` / `AuthRejected`; errors cannot happen here (the AUTH is
                // pending and the session open).
                match self.auth.decide(&auth) {
                    Some(true) => {
                        let _ = self.accept_auth(now, header.request_id);
                    }
                    Some(false) => {
                        self.events.push_back(PlatformEvent::AuthRejected);
                        let _ = self.reject_auth(now, header.request_id);
                    }
                    None => self.events.push_back(PlatformEvent::AuthRequested {
                        request_id: header.request_id,
                        auth,
                    }),
                }
            }
            Body::Response(response) => self.handle_response(header.request_id, response),
            body => self.hold_or_process(wall, Inbound::Message(Message { header, body })),
        }
    }

    /// A BIND, UNBIND or request: held while an AUTH decision is pending (or none was
    /// accepted yet), processed otherwise.
    fn hold_or_process(&mut self, wall: SystemTime, inbound: Inbound) {
        if self.pending_auth.is_some() || self.session_id.is_none() {
            if self.held.len() < MAX_QUEUED_WHILE_AUTH_PENDING {
                self.held.push_back((inbound, wall));
            } else {
                self.dropped_messages += 1;
            }
        } else {
            self.process(wall, inbound);
        }
    }

    /// Processes a BIND, UNBIND, request or push on an authenticated connection.
    fn process(&mut self, wall: SystemTime, inbound: Inbound) {
        let message = match inbound {
            Inbound::Message(message) => message,
            Inbound::Push(push) => {
                let header = push.header();
                self.inbound.insert(header.request_id, header.endpoint_id);
                self.events.push_back(PlatformEvent::Push {
                    id: header.request_id,
                    push,
                });
                return;
            }
        };
        let header = message.header;
        match message.body {
            Body::Bind(bind) => {
                let mut refused = Vec::new();
                // A set: a BIND of many names beyond the cap stays O(n log n).
                let mut over_cap = BTreeSet::new();
                let cap = self.config.max_things_per_connection;
                for name in bind.names {
                    if self.bound.len() >= cap && !self.bound.contains(&name) {
                        over_cap.insert(name);
                        continue;
                    }
                    match self.registry.bind(self.id, &name, wall) {
                        BindOutcome::Bound => {
                            self.bound.insert(name.clone());
                            self.events.push_back(PlatformEvent::Bound { name });
                        }
                        BindOutcome::AlreadyBound => {
                            self.bound.insert(name);
                        }
                        BindOutcome::Refused { holder } => {
                            if !refused.contains(&name) {
                                refused.push(name.clone());
                                self.events
                                    .push_back(PlatformEvent::BindRefused { name, holder });
                            }
                        }
                        BindOutcome::Moved { from } => {
                            self.bound.insert(name.clone());
                            self.events
                                .push_back(PlatformEvent::Bound { name: name.clone() });
                            self.endpoint_events.push_back(EndpointEvent::ThingMoved {
                                name: name.clone(),
                                from,
                            });
                            self.events
                                .push_back(PlatformEvent::ThingMoved { name, from });
                        }
                    }
                }
                let over_cap: Vec<WireString> = over_cap.into_iter().collect();
                if !over_cap.is_empty() {
                    self.events.push_back(PlatformEvent::BindCapReached {
                        limit: cap,
                        refused: over_cap.len(),
                    });
                }
                let response = match (refused.is_empty(), over_cap.is_empty()) {
                    (true, true) => Response::success(),
                    (false, true) => {
                        Response::error(StatusCode::FORBIDDEN, refused_reason(&refused))
                    }
                    (true, false) => {
                        Response::error(StatusCode::FORBIDDEN, over_cap_reason(cap, &over_cap))
                    }
                    (false, false) => Response::error(
                        StatusCode::FORBIDDEN,
                        format!(
                            "{}; {}",
                            over_cap_reason(cap, &over_cap),
                            refused_reason(&refused)
                        ),
                    ),
                };
                self.send_response(header, response);
            }
            Body::Unbind(unbind) => {
                for name in unbind.names {
                    let here = self.registry.unbind(self.id, name.as_bytes(), wall);
                    // Also drop a name this session still holds although the registry moved
                    // it elsewhere (its ThingMoved was not relayed yet).
                    if self.bound.remove(&name) || here {
                        self.events.push_back(PlatformEvent::Unbound { name });
                    }
                }
                self.send_response(header, Response::success());
            }
            Body::Request(request) => {
                self.inbound.insert(header.request_id, header.endpoint_id);
                self.events.push_back(PlatformEvent::Request {
                    id: header.request_id,
                    request,
                });
            }
            // Handled in `dispatch`.
            Body::Auth(_) | Body::Response(_) => {}
        }
    }

    fn handle_response(&mut self, id: u32, response: Response) {
        match self.requests.answer(id) {
            Answer::Pending(()) => self.events.push_back(PlatformEvent::Response {
                id,
                result: Ok(response),
            }),
            Answer::Late => self.late_responses += 1,
            Answer::Unmatched => self.unmatched_responses += 1,
        }
    }

    /// Sends a response to a message whose header is `to`; failures (which a response the
    /// session builds itself cannot hit with sane limits) are ignored.
    fn send_response(&mut self, to: Header, response: Response) {
        let message = Message {
            header: Header {
                version: Header::VERSION,
                request_id: to.request_id,
                endpoint_id: to.endpoint_id,
                session_id: self.session_id.unwrap_or(0),
            },
            body: Body::Response(response),
        };
        let _ = self.wire.send(&message, &mut self.transmits);
    }

    /// A websocket ping arrived at `now`: the connection is alive. (The runtime answers
    /// the ping with a pong itself.)
    fn handle_ping(&mut self, now: Instant) {
        if self.phase == Phase::Open {
            self.timers
                .set_after(PlatformTimer::Idle, now, self.config.idle_timeout);
        }
    }

    /// The websocket is gone (after a queued close, a peer close or an IO error). Fails
    /// waiting requests, releases every thing still bound to this connection (at wall-clock
    /// time `wall`), emits `Unbound` per thing and then `Closed` once. Later calls do
    /// nothing.
    fn handle_closed(&mut self, wall: SystemTime) {
        let reason = match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Closed => return,
            Phase::Closing(reason) => reason,
            Phase::Open => CloseReason::ConnectionLost,
        };
        self.fail_outstanding(RequestError::Disconnected);
        self.registry.release_all(self.id, Some(wall));
        for name in std::mem::take(&mut self.bound) {
            self.events.push_back(PlatformEvent::Unbound { name });
        }
        self.pending_auth = None;
        self.held.clear();
        self.inbound.clear();
        self.wire.reset();
        self.events.push_back(PlatformEvent::Closed { reason });
        self.endpoint_events.push_back(EndpointEvent::Closed);
    }

    /// Processes every deadline at or before `now`: request timeouts, reassembly expiry, the
    /// auth deadline and the idle deadline. Calling it early or late is harmless.
    fn handle_timeout(&mut self, now: Instant, wall: SystemTime) {
        match self.phase {
            Phase::Open => {}
            Phase::Closing(_) => {
                if self.timers.take_due(PlatformTimer::Close, now) {
                    // The websocket did not go in time: the session ends anyway.
                    self.handle_closed(wall);
                }
                return;
            }
            Phase::Closed => return,
        }
        self.wire.expire(now);
        for (id, ()) in self.requests.expire(now) {
            self.events.push_back(PlatformEvent::Response {
                id,
                result: Err(RequestError::Timeout),
            });
        }
        if self.session_id.is_none() && self.timers.is_due(PlatformTimer::Auth, now) {
            self.queue_close(now, CloseReason::AuthTimeout);
        } else if self.timers.is_due(PlatformTimer::Idle, now) {
            self.queue_close(now, CloseReason::IdleTimeout);
        }
    }

    fn thing_taken(&mut self, name: &[u8]) {
        if self.registry.connection_of(name) == Some(self.id) {
            return;
        }
        if let Some(name) = self.bound.take(name) {
            self.events.push_back(PlatformEvent::Unbound { name });
        }
    }

    /// An event from the [`Endpoint`](super::Endpoint) addressed to this connection.
    /// Ignored once closed.
    pub fn handle_connection_event(&mut self, event: ConnectionEvent) {
        if self.phase == Phase::Closed {
            return;
        }
        match event {
            ConnectionEvent::ThingTaken { name } => self.thing_taken(name.as_bytes()),
        }
    }

    /// Something happened to the websocket at `now`: the one entry point for every input
    /// (the same [`Input`]s, with the same arguments, as
    /// [`EdgeSession::handle_input`](crate::EdgeSession::handle_input)). Drain
    /// [`poll_output`](Self::poll_output) afterwards. Wall-clock times (things'
    /// `last_connection`) are derived from the one given at creation.
    ///
    /// * [`Input::Message`]: one binary websocket message. Returns an error when the bytes
    ///   do not decode or a chunk is refused (the only input that can fail); the connection
    ///   survives that unless this was the first message (AUTH-first violation: a close is
    ///   queued). Ignored once a close was queued. Refreshes the idle deadline.
    /// * [`Input::Ping`] / [`Input::Pong`]: the connection is alive (refreshes the idle
    ///   deadline; the runtime answers pings itself).
    /// * [`Input::Closed`] / [`Input::PeerClosed`]: the websocket is gone (after a queued
    ///   close, a peer close or an IO error). Fails waiting requests, releases every thing
    ///   still bound to this connection, emits `Unbound` per thing and then `Closed` once
    ///   (with the peer's code and reason for `PeerClosed` when no close of ours was under
    ///   way). Later inputs do nothing.
    /// * [`Input::Timeout`]: processes every deadline at or before `now`: request
    ///   timeouts, reassembly expiry, the auth deadline and the idle deadline; once a close
    ///   of ours is queued, the close deadline (`PlatformConfig::close_timeout`), after
    ///   which the session ends as for `Closed`. Early or late is harmless.
    /// * [`Input::Connected`] and [`Input::ConnectFailed`] do nothing: the session is
    ///   created open.
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Result<(), InboundError> {
        let wall = self.wall_at(now);
        match input {
            Input::Connected | Input::ConnectFailed => {}
            Input::Message(bytes) => return self.handle_message(now, wall, bytes),
            Input::Ping | Input::Pong => self.handle_ping(now),
            Input::Closed => self.handle_closed(wall),
            Input::PeerClosed { code, reason } => {
                if self.phase == Phase::Open {
                    // Not a close of ours: the peer's words are the reason.
                    self.phase = Phase::Closing(CloseReason::PeerClosed { code, reason });
                }
                self.handle_closed(wall)
            }
            Input::Timeout => self.handle_timeout(now, wall),
        }
        Ok(())
    }

    /// The next output: events first (the application sees a state change, such as
    /// `Authenticated`, before the messages that follow from it), then transmits, then the
    /// next deadline
    /// ([`Output::Timeout`], always last; the drain is complete).
    pub fn poll_output(&mut self) -> Output<PlatformEvent> {
        if let Some(e) = self.events.pop_front() {
            return Output::Event(e);
        }
        if let Some(t) = self.transmits.pop_front() {
            return Output::Transmit(t);
        }
        Output::Timeout(self.poll_timeout())
    }

    /// The next event for the [`Endpoint`](super::Endpoint) (pass it to
    /// [`Endpoint::handle_event`](super::Endpoint::handle_event)); drain after every input
    /// and command, like [`poll_output`](Self::poll_output).
    pub fn poll_endpoint_event(&mut self) -> Option<EndpointEvent> {
        self.endpoint_events.pop_front()
    }

    /// Accepts the pending AUTH with request id `request_id`: answers `0x40` with the
    /// connection's session id ([`session_id_for`]) in the header, emits `Authenticated`,
    /// then processes the messages held while the decision was pending. Returns the session
    /// id. The idle deadline restarts at `now`: the edge waits for this answer before it
    /// sends anything, so the time taken to decide does not count as idle.
    pub fn accept_auth(&mut self, now: Instant, request_id: u32) -> Result<u32, RespondError> {
        if self.phase != Phase::Open {
            return Err(RespondError::NotConnected);
        }
        let (_, endpoint_id) = match self.pending_auth {
            Some(p) if p.0 == request_id => p,
            _ => return Err(RespondError::UnknownRequest(request_id)),
        };
        self.pending_auth = None;
        let session_id = session_id_for(self.id);
        self.session_id = Some(session_id);
        self.timers.stop(PlatformTimer::Auth);
        self.timers
            .set_after(PlatformTimer::Idle, now, self.config.idle_timeout);
        self.send_response(
            Header {
                version: Header::VERSION,
                request_id,
                endpoint_id,
                session_id,
            },
            Response::success(),
        );
        self.events
            .push_back(PlatformEvent::Authenticated { session_id });
        while let Some((message, wall)) = self.held.pop_front() {
            self.process(wall, message);
        }
        Ok(session_id)
    }

    /// Rejects the pending AUTH with request id `request_id`: answers `0x81` UNAUTHORIZED,
    /// then queues a close (1008); `Closed{AuthRejected}` follows [`Input::Closed`].
    pub fn reject_auth(&mut self, now: Instant, request_id: u32) -> Result<(), RespondError> {
        if self.phase != Phase::Open {
            return Err(RespondError::NotConnected);
        }
        let (_, endpoint_id) = match self.pending_auth {
            Some(p) if p.0 == request_id => p,
            _ => return Err(RespondError::UnknownRequest(request_id)),
        };
        self.pending_auth = None;
        self.send_response(
            Header {
                version: Header::VERSION,
                request_id,
                endpoint_id,
                session_id: 0,
            },
            Response::error(StatusCode::UNAUTHORIZED, "invalid credentials"),
        );
        self.queue_close(now, CloseReason::AuthRejected);
        Ok(())
    }

    /// Sends a request to the edge and returns its id; exactly one
    /// [`PlatformEvent::Response`] with that id follows (the response, a timeout after
    /// `request_timeout`, or `Disconnected`).
    ///
    /// Requests addressed to a THING must name a thing bound on this connection
    /// ([`RequestError::NotBound`] otherwise; nothing is sent). Other entity types
    /// (subsystems, resources) are not bound and are sent as they are.
    pub fn request(&mut self, now: Instant, request: Request) -> Result<u32, RequestError> {
        match self.phase {
            Phase::Open => {}
            Phase::Closing(CloseReason::Local(_)) => return Err(RequestError::Closed),
            Phase::Closing(_) | Phase::Closed => return Err(RequestError::Disconnected),
        }
        let Some(session_id) = self.session_id else {
            return Err(RequestError::NotAuthenticated);
        };
        if request.entity_type == EntityType::Thing
            && self.registry.connection_of(request.entity_name.as_bytes()) != Some(self.id)
        {
            return Err(RequestError::NotBound(
                request.entity_name.to_str_lossy().into_owned(),
            ));
        }
        let id = self.requests.next_id();
        let message = Message {
            header: Header::new(id, session_id),
            body: Body::Request(request),
        };
        self.wire.send(&message, &mut self.transmits)?;
        self.requests
            .insert(id, now.checked_add(self.config.request_timeout), ());
        Ok(id)
    }

    /// Answers the edge's request `id` (from [`PlatformEvent::Request`]) with the request's
    /// id, its endpoint id and this connection's session id in the header. When the
    /// response cannot be sent ([`RespondError::Unsendable`], e.g. larger than
    /// `max_message_size`) the request stays open, so a smaller error response can follow.
    pub fn respond(&mut self, id: u32, response: Response) -> Result<(), RespondError> {
        if self.phase != Phase::Open {
            return Err(RespondError::NotConnected);
        }
        let Some(&endpoint_id) = self.inbound.get(&id) else {
            return Err(RespondError::UnknownRequest(id));
        };
        let message = Message {
            header: Header {
                version: Header::VERSION,
                request_id: id,
                endpoint_id,
                session_id: self.session_id.unwrap_or(0),
            },
            body: Body::Response(response),
        };
        self.wire.send(&message, &mut self.transmits)?;
        self.inbound.remove(&id);
        Ok(())
    }

    /// Closes the connection: queues `Transmit::Close{1000, reason}` and fails waiting
    /// requests with [`RequestError::Closed`]; `Closed{Local(reason)}` follows
    /// [`Input::Closed`]. Does nothing if a close is already under way. The same arguments
    /// as [`EdgeSession::close`](crate::EdgeSession::close).
    pub fn close(&mut self, now: Instant, reason: &str) {
        self.queue_close(now, CloseReason::Local(reason.to_owned()));
    }

    /// Queues the close transmit for `reason` (once) and fails waiting requests.
    fn queue_close(&mut self, now: Instant, reason: CloseReason) {
        if self.phase != Phase::Open {
            return;
        }
        let (code, text) = match &reason {
            CloseReason::AuthTimeout => (CLOSE_POLICY_VIOLATION, "authentication timeout".into()),
            CloseReason::AuthNotFirst(_) => {
                (CLOSE_POLICY_VIOLATION, "first message must be AUTH".into())
            }
            CloseReason::MalformedAuth(_) => (CLOSE_POLICY_VIOLATION, "malformed AUTH".into()),
            CloseReason::AuthRejected => (CLOSE_POLICY_VIOLATION, "authentication failed".into()),
            CloseReason::IdleTimeout => (CLOSE_NORMAL, "idle timeout".into()),
            CloseReason::ConnectionLost
            | CloseReason::PeerClosed { .. }
            | CloseReason::Transport(_) => (CLOSE_NORMAL, String::new()),
            CloseReason::Local(text) => (CLOSE_NORMAL, close_reason(text)),
        };
        let error = match reason {
            CloseReason::Local(_) => RequestError::Closed,
            _ => RequestError::Disconnected,
        };
        self.phase = Phase::Closing(reason);
        self.timers.stop(PlatformTimer::Auth);
        self.timers.stop(PlatformTimer::Idle);
        self.timers
            .set_after(PlatformTimer::Close, now, self.config.close_timeout);
        self.transmits
            .push_back(Transmit::Close { code, reason: text });
        self.fail_outstanding(error);
        self.pending_auth = None;
        self.held.clear();
        self.inbound.clear();
    }

    fn fail_outstanding(&mut self, error: RequestError) {
        for (id, ()) in self.requests.take_all() {
            self.events.push_back(PlatformEvent::Response {
                id,
                result: Err(error.clone()),
            });
        }
    }

    /// When [`Input::Timeout`] is due next: the earliest of
    /// the auth deadline (until authenticated), the idle deadline, request deadlines and
    /// multipart reassembly expiry. `None` once a close is under way.
    fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Open => {}
            Phase::Closing(_) => return self.timers.get(PlatformTimer::Close),
            Phase::Closed => return None,
        }
        [
            self.timers.next(),
            self.requests.next_deadline(),
            self.wire.next_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

impl Drop for PlatformSession {
    /// Safety net for a runtime that drops a session without reporting
    /// [`Input::Closed`]: the things still bound to this
    /// connection are released (`is_connected` false) so they can be bound elsewhere. Their
    /// `last_connection` is left as it was, since the crate has no clock of its own.
    fn drop(&mut self) {
        if self.phase != Phase::Closed {
            self.registry.release_all(self.id, None);
        }
    }
}

/// The reason of a refused BIND's FORBIDDEN response: the refused names (at most
/// [`MAX_NAMES_IN_REASON`], then a count).
fn refused_reason(refused: &[WireString]) -> String {
    let mut text = String::from("bound on another connection: ");
    push_names(&mut text, refused);
    text
}

/// The reason of a BIND refused for the bind cap: the cap, then the names not bound.
fn over_cap_reason(cap: usize, names: &[WireString]) -> String {
    let mut text = format!("at most {cap} things per connection; not bound: ");
    push_names(&mut text, names);
    text
}

/// Appends at most [`MAX_NAMES_IN_REASON`] names, then a count of the rest.
fn push_names(text: &mut String, names: &[WireString]) {
    for (i, name) in names.iter().take(MAX_NAMES_IN_REASON).enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(cut(&name.to_str_lossy(), 64));
    }
    if names.len() > MAX_NAMES_IN_REASON {
        text.push_str(&format!(" and {} more", names.len() - MAX_NAMES_IN_REASON));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_never_zero_nor_all_ones() {
        for id in [
            0,
            1,
            2,
            0xFFFF_FFFD,
            0xFFFF_FFFE,
            0xFFFF_FFFF,
            0x1_0000_0000,
            u64::MAX,
        ] {
            let sid = session_id_for(id);
            assert_ne!(sid, 0, "{id}");
            assert_ne!(sid, 0xFFFF_FFFF, "{id}");
        }
        assert_eq!(session_id_for(0), 1);
        assert_eq!(session_id_for(41), 42);
    }

    #[test]
    fn refused_reason_lists_names() {
        let names: Vec<WireString> = (0..10).map(|i| WireString::from(format!("T{i}"))).collect();
        assert_eq!(
            refused_reason(&names[..2]),
            "bound on another connection: T0, T1"
        );
        assert!(refused_reason(&names).ends_with("T7 and 2 more"));
    }
}
