//! What a platform session reports to the application.

use super::{ConnectionId, Push};
use crate::codec::{Auth, Clipped, Request, Response, WireString};
use crate::request::RequestError;
use crate::wire::InboundError;

/// Why a platform connection closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// No AUTH within the auth timeout.
    AuthTimeout,
    /// The first message was not AUTH (its code byte; 0 when the message was shorter than
    /// a code byte).
    AuthNotFirst(u8),
    /// The application rejected the credentials.
    AuthRejected,
    /// Nothing received within the idle timeout.
    IdleTimeout,
    /// The websocket went away without a close frame (an IO error, or the TCP connection
    /// ended).
    ConnectionLost,
    /// The edge closed the websocket with a close frame ([`crate::Input::PeerClosed`]).
    PeerClosed {
        /// Its status code (1000: normal closure; 1005: the frame had none).
        code: u16,
        /// Its reason text (the SDK sends e.g. `Normal Close Shutting down`).
        reason: String,
    },
    /// The application closed the connection.
    Local(String),
    /// The first message had the AUTH code but did not decode (the error says where).
    MalformedAuth(InboundError),
    /// The websocket failed: the error the runtime read (a message too long, with both
    /// sizes; a websocket protocol error; an I/O error). Never produced by the session: a
    /// runtime reports it in place of [`CloseReason::ConnectionLost`] when it knows why.
    Transport(String),
}

impl std::fmt::Display for CloseReason {
    /// The reason in words, as logs show it; peer text is [`Clipped`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::AuthTimeout => f.write_str("no AUTH within the auth timeout"),
            CloseReason::AuthNotFirst(code) => {
                write!(f, "first message was 0x{code:02x}, not AUTH")
            }
            CloseReason::AuthRejected => f.write_str("credentials refused"),
            CloseReason::IdleTimeout => f.write_str("idle timeout"),
            CloseReason::ConnectionLost => f.write_str("connection lost (no close frame)"),
            CloseReason::PeerClosed { code, reason } => {
                crate::transmit::fmt_peer_close(f, "edge", *code, reason)
            }
            CloseReason::Local(why) => write!(f, "closed by the platform ({})", Clipped(why)),
            CloseReason::MalformedAuth(e) => write!(f, "malformed AUTH: {e}"),
            CloseReason::Transport(e) => write!(f, "websocket failed: {}", Clipped(e)),
        }
    }
}

/// What a platform session reports to the application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlatformEvent {
    /// AUTH arrived: call [`super::PlatformSession::accept_auth`] or
    /// [`super::PlatformSession::reject_auth`].
    AuthRequested {
        /// Request id of the AUTH message.
        request_id: u32,
        /// Its claims.
        auth: Auth,
    },
    /// The credential policy refused an AUTH: it was answered UNAUTHORIZED and the
    /// connection closes (`Closed { AuthRejected }` follows). Not emitted for
    /// [`super::PlatformSession::reject_auth`], the application's own decision.
    AuthRejected,
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
    /// A BIND named more things than the connection may hold
    /// ([`super::PlatformConfig::max_things_per_connection`]): `refused` names were not bound.
    BindCapReached {
        /// The cap.
        limit: usize,
        /// How many names of the BIND were refused for it.
        refused: usize,
    },
    /// Last-in-wins: a thing moved here from connection `from` (reported right after its
    /// [`PlatformEvent::Bound`]). Informational: the old holder learns it through the
    /// [`super::Endpoint`] ([`super::EndpointEvent::ThingMoved`]).
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
    /// The edge sent a request; answer with [`super::PlatformSession::respond`].
    Request {
        /// The edge's request id.
        id: u32,
        /// The request.
        request: Request,
    },
    /// The edge pushed property values (`UpdateSubscribedPropertyValues`, with
    /// [`super::PlatformConfig::push_events`] on); answer with
    /// [`super::PlatformSession::respond`] like a request.
    Push {
        /// The edge's request id.
        id: u32,
        /// The push, borrowed from the bytes it arrived in.
        push: Push,
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
