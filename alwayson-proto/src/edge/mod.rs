//! The edge side: [`EdgeSession`] drives connect → AUTH → BIND, requests in both
//! directions, keep-alive and re-binding after reconnects (session-lifecycle.md).
//! STUB: API fixed, implementation in progress.

use crate::codec::{Auth, Claim, Gateway, Request, Response, StatusCode, WireString};
use crate::multipart::ReassemblyLimits;
use crate::request::{RequestError, RespondError};
use crate::wire::InboundError;
use crate::Transmit;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// What the edge authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// One claim named `appKey` (what the reference SDK sends).
    AppKey(WireString),
    /// Two claims, named [`Auth::USER_CLAIM`] (`user`) and [`Auth::PASSWORD_CLAIM`]
    /// (`password`) by default; use [`Credentials::Claims`] for other names.
    UserPassword {
        /// User name.
        user: WireString,
        /// Password.
        password: WireString,
    },
    /// Any claims, sent in this order.
    Claims(Vec<Claim>),
}

impl Credentials {
    /// The AUTH body for these credentials.
    pub fn to_auth(&self) -> Auth {
        match self {
            Credentials::AppKey(key) => Auth::app_key(key.clone()),
            Credentials::UserPassword { user, password } => {
                Auth::user_password(user.clone(), password.clone())
            }
            Credentials::Claims(claims) => Auth {
                claims: claims.clone(),
            },
        }
    }
}

/// Edge session settings. Defaults follow the reference SDK (session-lifecycle.md §2).
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// AUTH credentials.
    pub credentials: Credentials,
    /// Gateway name/type sent in every BIND/UNBIND, if set.
    pub gateway: Option<Gateway>,
    /// Wait for any response (AUTH, BIND and requests alike). Default 10 s.
    pub request_timeout: Duration,
    /// Interval between websocket pings. Default 55 s.
    pub ping_interval: Duration,
    /// Close when no pong arrives this long after a ping. Default 10 s.
    pub pong_timeout: Duration,
    /// Chunk size for outbound messages. Default 8192.
    pub chunk_size: u16,
    /// Largest complete message sent, and the size BIND name lists are split at.
    /// Default 1 MiB.
    pub max_message_size: usize,
    /// `Some(n)`: requests made before authentication wait in a queue of at most `n`;
    /// `None`: they fail at once with [`RequestError::NotAuthenticated`]. Default `Some(64)`.
    pub queue_until_authenticated: Option<usize>,
    /// Bounds for inbound multipart reassembly.
    pub reassembly: ReassemblyLimits,
}

impl EdgeConfig {
    /// Defaults with these credentials.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            gateway: None,
            request_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(55),
            pong_timeout: Duration::from_secs(10),
            chunk_size: 8192,
            max_message_size: 1024 * 1024,
            queue_until_authenticated: Some(64),
            reassembly: ReassemblyLimits::default(),
        }
    }
}

/// Where the edge session is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeState {
    /// No websocket (before the first connect, or after a disconnect: reconnect expected).
    Disconnected,
    /// Websocket open, AUTH sent, waiting for its response.
    Authenticating,
    /// AUTH accepted; BINDs and requests flow.
    Authenticated,
    /// `close` called: UNBIND sent, websocket close requested.
    Closing,
    /// Closed for good by the application; no reconnect.
    Closed,
}

/// Why AUTH failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// The platform answered with this non-SUCCESS status.
    Rejected(StatusCode),
    /// No answer within the request timeout.
    TimedOut,
}

/// Why the websocket went away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The runtime reported the websocket closed (peer close or IO error).
    ConnectionLost,
    /// No pong within the pong timeout: the session asked for a close.
    PongTimeout,
    /// AUTH was rejected or timed out: the session asked for a close.
    AuthFailed(AuthFailure),
}

/// What an edge session reports to the application.
#[derive(Debug, Clone, PartialEq)]
pub enum EdgeEvent {
    /// AUTH accepted; every later message carries this session id.
    Authenticated {
        /// Session id from the AUTH response header.
        session_id: u32,
    },
    /// AUTH failed; the session closes the websocket (expect [`EdgeEvent::Disconnected`]).
    AuthFailed(AuthFailure),
    /// A thing's BIND was accepted.
    Bound {
        /// Thing name.
        name: WireString,
    },
    /// A thing's BIND was answered with a failure, or timed out (status GATEWAY_TIMEOUT).
    /// The session keeps working for the other things.
    BindRejected {
        /// Thing name.
        name: WireString,
        /// The platform's status.
        status: StatusCode,
    },
    /// A thing's UNBIND completed (or it was unbound locally while disconnected).
    Unbound {
        /// Thing name.
        name: WireString,
    },
    /// A request made with [`EdgeSession::request`] ended: exactly once per request id.
    Response {
        /// The id `request` returned.
        id: u32,
        /// The response (any status), or why there is none.
        result: Result<Response, RequestError>,
    },
    /// A request that was queued waiting for authentication and never sent, handed back on
    /// disconnect or close (never silently dropped). Its id gets no [`EdgeEvent::Response`].
    Unsent {
        /// The id `request` returned.
        id: u32,
        /// The request, to resend if wanted.
        request: Request,
    },
    /// The platform asks something of a bound thing; answer with [`EdgeSession::respond`].
    Request {
        /// The platform's request id.
        id: u32,
        /// The request.
        request: Request,
    },
    /// The websocket is gone; unless the session is [`EdgeState::Closed`] the runtime should
    /// reconnect and call [`EdgeSession::handle_connected`] again.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
    /// `close` completed: final event.
    Closed,
}

/// The edge side of one AlwaysOn connection, across reconnects.
#[derive(Debug)]
pub struct EdgeSession {
    config: EdgeConfig,
}

#[allow(unused_variables, missing_docs)]
impl EdgeSession {
    /// A disconnected session.
    pub fn new(config: EdgeConfig) -> Self {
        Self { config }
    }
    /// The settings.
    pub fn config(&self) -> &EdgeConfig {
        &self.config
    }
    pub fn state(&self) -> EdgeState {
        todo!()
    }
    pub fn session_id(&self) -> Option<u32> {
        todo!()
    }
    pub fn handle_connected(&mut self, now: Instant) {
        todo!()
    }
    pub fn handle_message(&mut self, now: Instant, bytes: Bytes) -> Result<(), InboundError> {
        todo!()
    }
    pub fn handle_pong(&mut self, now: Instant) {
        todo!()
    }
    pub fn handle_closed(&mut self, now: Instant) {
        todo!()
    }
    pub fn handle_timeout(&mut self, now: Instant) {
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
    pub fn bind<I, N>(&mut self, now: Instant, names: I)
    where
        I: IntoIterator<Item = N>,
        N: Into<WireString>,
    {
        todo!()
    }
    pub fn unbind<I, N>(&mut self, now: Instant, names: I)
    where
        I: IntoIterator<Item = N>,
        N: Into<WireString>,
    {
        todo!()
    }
    pub fn close(&mut self, now: Instant) {
        todo!()
    }
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        todo!()
    }
    pub fn poll_event(&mut self) -> Option<EdgeEvent> {
        todo!()
    }
    pub fn poll_timeout(&self) -> Option<Instant> {
        todo!()
    }
}
