//! Edge settings: credentials, timeouts, sizes and the pre-authentication queue.

use super::ReconnectPolicy;
use crate::codec::{Auth, Claim, Gateway, WireString};
use crate::multipart::ReassemblyLimits;
use std::time::Duration;

/// What the edge authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
                claims: claims.iter().cloned().collect(),
            },
        }
    }
}

/// Edge session settings. Defaults follow the reference SDK (session-lifecycle.md §2).
#[derive(Debug, Clone)]
#[non_exhaustive]
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
    /// `None`: they fail at once with [`crate::RequestError::NotAuthenticated`]. Default `Some(64)`.
    pub queue_until_authenticated: Option<usize>,
    /// Bounds for inbound multipart reassembly.
    pub reassembly: ReassemblyLimits,
    /// When and how often to reconnect ([`crate::EdgeSession::reconnect`]).
    pub reconnect: ReconnectPolicy,
    /// How long [`crate::EdgeSession::close`] waits for the websocket to close before the
    /// session ends anyway ([`crate::EdgeEvent::Closed`]; the runtime drops the socket).
    /// Default 5 s.
    pub close_timeout: Duration,
    /// Connect for a share of every period only ([`DutyCycle`](super::DutyCycle); see
    /// the [`duty_cycle`](super::duty_cycle) module). Default `None`: always connected.
    pub duty_cycle: Option<super::DutyCycle>,
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
            reconnect: ReconnectPolicy::default(),
            close_timeout: Duration::from_secs(5),
            duty_cycle: None,
        }
    }
}
