//! What an edge session reports: its state, events, and why things failed.

use crate::codec::{Clipped, Request, Response, StatusCode, WireString};
use crate::request::RequestError;

/// Where the edge session is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
pub enum AuthFailure {
    /// The platform answered with this non-SUCCESS status.
    Rejected(StatusCode),
    /// No answer within the request timeout (a connection failure: retried).
    TimedOut,
    /// The answer to AUTH could not be decoded (a connection failure: retried).
    Malformed,
}

impl std::fmt::Display for AuthFailure {
    /// The failure in words, as logs show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthFailure::Rejected(status) => write!(f, "AUTH refused ({status})"),
            AuthFailure::TimedOut => f.write_str("no answer to AUTH within the request timeout"),
            AuthFailure::Malformed => f.write_str("malformed answer to AUTH"),
        }
    }
}

/// Why the websocket went away.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The websocket went away without a close frame (an IO error, or the TCP connection
    /// ended), or the runtime did not say how.
    ConnectionLost,
    /// The platform closed the websocket with a close frame ([`crate::Input::PeerClosed`])
    /// while the session had not asked for a close itself.
    PeerClosed {
        /// Its status code (1000: normal closure; 1005: the frame had none).
        code: u16,
        /// Its reason text.
        reason: String,
    },
    /// The websocket failed: the error the runtime read (a message too long, with both
    /// sizes; a websocket protocol error; an I/O error). Never produced by the session: a
    /// runtime reports it in place of [`DisconnectReason::ConnectionLost`] when it knows why.
    Transport(String),
    /// No pong within the pong timeout: the session asked for a close.
    PongTimeout,
    /// AUTH was rejected or timed out: the session asked for a close.
    AuthFailed(AuthFailure),
    /// A duty cycle's off time started: the session UNBOUND its things and asked for a
    /// close; it reconnects at the start of the next on time
    /// ([`EdgeConfig::duty_cycle`](super::EdgeConfig::duty_cycle)).
    DutyCycleOff,
}

impl std::fmt::Display for DisconnectReason {
    /// The reason in words, as logs show it (the wording of the platform's
    /// [`CloseReason`](crate::platform::CloseReason)); peer text is [`Clipped`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DisconnectReason::ConnectionLost => f.write_str("connection lost (no close frame)"),
            DisconnectReason::PeerClosed { code, reason } => {
                crate::transmit::fmt_peer_close(f, "platform", *code, reason)
            }
            DisconnectReason::Transport(e) => write!(f, "websocket failed: {}", Clipped(e)),
            DisconnectReason::PongTimeout => f.write_str("no pong within the pong timeout"),
            DisconnectReason::AuthFailed(failure) => failure.fmt(f),
            DisconnectReason::DutyCycleOff => {
                f.write_str("duty cycle: off time (things unbound; back at the next on time)")
            }
        }
    }
}

/// What an edge session reports to the application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// The session keeps working for the other things. After a timeout the session keeps
    /// trying on its own (late answer, then a re-sent BIND): a [`EdgeEvent::Bound`] may
    /// follow, or another `BindRejected`; see the [module documentation](crate::edge).
    BindRejected {
        /// Thing name.
        name: WireString,
        /// The platform's status.
        status: StatusCode,
        /// The platform's reason, when its answer carried one (an SDK platform sends none,
        /// sdk-quirks.md Q5; a timeout or a BIND too large to send has none).
        reason: Option<WireString>,
    },
    /// A thing's UNBIND completed: answered, timed out (the session then re-sends it
    /// silently), superseded by a new `bind` of the name, or ended by the disconnect; or it
    /// was unbound locally while not authenticated. Exactly once per unbound name.
    Unbound {
        /// Thing name.
        name: WireString,
    },
    /// A request made with [`crate::EdgeSession::request`] ended: exactly once per request id.
    Response {
        /// The id `request` returned.
        id: u32,
        /// The response (any status), or why there is none.
        result: Result<Response, RequestError>,
    },
    /// A request that was queued waiting for authentication and never sent, handed back
    /// when the session closes for good (never silently dropped; a lost connection keeps it
    /// queued). Its id gets no [`EdgeEvent::Response`].
    Unsent {
        /// The id `request` returned.
        id: u32,
        /// The request, to resend if wanted.
        request: Request,
    },
    /// The platform asks something of a bound thing; answer with [`crate::EdgeSession::respond`].
    Request {
        /// The platform's request id.
        id: u32,
        /// The request.
        request: Request,
    },
    /// The websocket is gone; unless the session is [`EdgeState::Closed`] the runtime should
    /// reconnect and feed [`Input::Connected`](crate::Input::Connected) again.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
    /// A [`crate::EdgeSession::bind`] or [`crate::EdgeSession::unbind`] call finished:
    /// every name it listed was answered (exactly once per ticket, before `Closed`).
    BindCompleted {
        /// The ticket the call returned.
        ticket: BindTicket,
        /// How it went.
        result: BindResult,
    },
    /// The session is closed for good (`close` completed, or the reconnect policy gave up):
    /// final event.
    Closed,
}

/// Identifies one [`crate::EdgeSession::bind`] / [`crate::EdgeSession::unbind`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindTicket(pub u64);

/// How a `bind` or `unbind` call ended ([`EdgeEvent::BindCompleted`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindResult {
    /// Every name is bound (bind) or unbound (unbind); a bind also counts a name unbound
    /// meanwhile as done.
    Done,
    /// Some names were refused (or timed out, GATEWAY_TIMEOUT), with the platform's status
    /// and reason; the others are bound.
    Rejected(Vec<BindRefusal>),
    /// The session closed before every name was answered.
    Closed,
}

/// One thing whose BIND was refused ([`EdgeEvent::BindRejected`], [`BindResult::Rejected`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindRefusal {
    /// Thing name.
    pub name: WireString,
    /// The platform's status (GATEWAY_TIMEOUT when unanswered).
    pub status: StatusCode,
    /// The platform's reason, when its answer carried one.
    pub reason: Option<WireString>,
}

impl std::fmt::Display for BindRefusal {
    /// `Pump1 (FORBIDDEN(0x83): at most 2 things per connection; not bound: Pump1)`, or
    /// without `: reason` when there is none; the name and the reason are [`Clipped`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}", Clipped(&self.name.to_str_lossy()), self.status)?;
        if let Some(reason) = &self.reason {
            write!(f, ": {}", Clipped(&reason.to_str_lossy()))?;
        }
        f.write_str(")")
    }
}
