//! The platform side: a [`PlatformSession`] per websocket and one shared [`ThingRegistry`]
//! (session-lifecycle.md §16). STUB: API fixed, implementation in progress.

use crate::codec::{Auth, Request, Response, WireString};
use crate::multipart::ReassemblyLimits;
use crate::request::{RequestError, RespondError};
use crate::wire::InboundError;
use crate::Transmit;
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Identifies one websocket connection on the platform (chosen by the runtime, unique).
pub type ConnectionId = u64;

/// What happens when a thing already bound on another live connection is bound again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BindPolicy {
    /// The first binding stays; the new BIND is refused for that thing. Default.
    #[default]
    FirstInWins,
    /// The thing moves to the new connection; the previous connection is told.
    LastInWins,
}

/// Platform session settings.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Close a connection that has not authenticated this long after it opened. Default 15 s.
    pub auth_timeout: Duration,
    /// Close a connection that has received nothing (no message, no ping) this long.
    /// Default 60 s (above the SDK's 55 s ping interval).
    pub idle_timeout: Duration,
    /// Wait for an edge's response to a platform request. Default 10 s.
    pub request_timeout: Duration,
    /// Chunk size for messages to the edge (lowered to the edge's `Max-Frame-Size` by the
    /// runtime). Default 8192.
    pub chunk_size: u16,
    /// Largest complete message sent to the edge. Default 1 MiB.
    pub max_message_size: usize,
    /// Bounds for inbound multipart reassembly.
    pub reassembly: ReassemblyLimits,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            auth_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
            chunk_size: 8192,
            max_message_size: 1024 * 1024,
            reassembly: ReassemblyLimits::default(),
        }
    }
}

/// A thing as the platform sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingStatus {
    /// Thing name.
    pub name: WireString,
    /// Bound on a live connection.
    pub is_connected: bool,
    /// Wall-clock time of the last BIND, UNBIND or disconnect that changed the binding.
    pub last_connection: Option<SystemTime>,
    /// The connection it is bound on.
    pub connection: Option<ConnectionId>,
}

/// Which things are bound on which connection, shared by every [`PlatformSession`] of a
/// platform. Cheap to clone (a handle); internally synchronized and touched only by
/// BIND/UNBIND/disconnect and look-ups, never per message.
#[derive(Debug, Clone, Default)]
pub struct ThingRegistry {
    inner: Arc<Mutex<()>>,
    policy: BindPolicy,
}

#[allow(unused_variables, missing_docs)]
impl ThingRegistry {
    pub fn new(policy: BindPolicy) -> Self {
        Self {
            inner: Arc::default(),
            policy,
        }
    }
    pub fn policy(&self) -> BindPolicy {
        self.policy
    }
    pub fn get(&self, name: &str) -> Option<ThingStatus> {
        todo!()
    }
    pub fn snapshot(&self) -> Vec<ThingStatus> {
        todo!()
    }
    pub fn connection_of(&self, name: &str) -> Option<ConnectionId> {
        todo!()
    }
}

/// Why a platform connection closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// No AUTH within the auth timeout.
    AuthTimeout,
    /// The first message was not AUTH (its code byte).
    AuthNotFirst(u8),
    /// The application rejected the credentials.
    AuthRejected,
    /// Nothing received within the idle timeout.
    IdleTimeout,
    /// The websocket closed (peer close or IO error).
    ConnectionLost,
    /// The application closed the connection.
    Local(String),
}

/// What a platform session reports to the application.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformEvent {
    /// AUTH arrived: call [`PlatformSession::accept_auth`] or [`PlatformSession::reject_auth`].
    AuthRequested {
        /// Request id of the AUTH message.
        request_id: u32,
        /// Its claims.
        auth: Auth,
    },
    /// The connection is authenticated with this session id.
    Authenticated {
        /// The assigned session id (non-zero).
        session_id: u32,
    },
    /// A thing was bound to this connection.
    Bound {
        /// Thing name.
        name: WireString,
    },
    /// A BIND was refused because the thing is bound on another connection (first-in-wins).
    BindRefused {
        /// Thing name.
        name: WireString,
        /// The connection holding it.
        holder: ConnectionId,
    },
    /// Last-in-wins: a thing moved here from connection `from`; the runtime must call
    /// [`PlatformSession::handle_thing_taken`] on that connection's session.
    ThingMoved {
        /// Thing name.
        name: WireString,
        /// The connection it was taken from.
        from: ConnectionId,
    },
    /// A thing was unbound from this connection (UNBIND, taken over, or disconnect).
    Unbound {
        /// Thing name.
        name: WireString,
    },
    /// The edge sent a request; answer with [`PlatformSession::respond`].
    Request {
        /// The edge's request id.
        id: u32,
        /// The request.
        request: Request,
    },
    /// A platform→edge request ended: exactly once per id `request` returned.
    Response {
        /// The id.
        id: u32,
        /// The response, or why there is none.
        result: Result<Response, RequestError>,
    },
    /// The connection is closed and its things released: final event.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// The platform side of one websocket connection.
#[derive(Debug)]
pub struct PlatformSession {
    id: ConnectionId,
}

#[allow(unused_variables, missing_docs)]
impl PlatformSession {
    pub fn new(
        now: Instant,
        id: ConnectionId,
        config: PlatformConfig,
        registry: ThingRegistry,
    ) -> Self {
        Self { id }
    }
    pub fn id(&self) -> ConnectionId {
        self.id
    }
    pub fn session_id(&self) -> Option<u32> {
        todo!()
    }
    pub fn is_authenticated(&self) -> bool {
        todo!()
    }
    pub fn handle_message(
        &mut self,
        now: Instant,
        wall: SystemTime,
        bytes: Bytes,
    ) -> Result<(), InboundError> {
        todo!()
    }
    pub fn handle_ping(&mut self, now: Instant) {
        todo!()
    }
    pub fn handle_closed(&mut self, now: Instant, wall: SystemTime) {
        todo!()
    }
    pub fn handle_timeout(&mut self, now: Instant) {
        todo!()
    }
    pub fn handle_thing_taken(&mut self, now: Instant, name: &str) {
        todo!()
    }
    pub fn accept_auth(&mut self, now: Instant, request_id: u32) -> Result<u32, RespondError> {
        todo!()
    }
    pub fn reject_auth(&mut self, now: Instant, request_id: u32) -> Result<(), RespondError> {
        todo!()
    }
    pub fn request(&mut self, now: Instant, request: Request) -> Result<u32, RequestError> {
        todo!()
    }
    pub fn respond(
        &mut self,
        now: Instant,
        id: u32,
        response: Response,
    ) -> Result<(), RespondError> {
        todo!()
    }
    pub fn close(&mut self, now: Instant, reason: &str) {
        todo!()
    }
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        todo!()
    }
    pub fn poll_event(&mut self) -> Option<PlatformEvent> {
        todo!()
    }
    pub fn poll_timeout(&self) -> Option<Instant> {
        todo!()
    }
}
