//! The runtime's error type.

use alwayson_proto::edge::AuthFailure;
use alwayson_proto::{RequestError, StatusCode};

/// Everything that can go wrong in [`crate::EdgeClient`] and [`crate::Platform`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket error (bind, connect, accept, read, write).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// TLS configuration or handshake failure (bad PEM, untrusted certificate, ...).
    #[error("TLS error: {0}")]
    Tls(String),
    /// The websocket handshake or connection failed.
    #[error("websocket error: {0}")]
    WebSocket(String),
    /// The URL is not a usable `ws://` or `wss://` URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The platform refused the credentials: it answered AUTH with an error status.
    #[error("credentials refused: {0:?}")]
    Refused(AuthFailure),
    /// AUTH got no usable answer (none in time, or one that could not be decoded): a
    /// connection failure, retried by the reconnect policy.
    #[error("{}", match .0 {
        AuthFailure::TimedOut => "no answer to AUTH within the request timeout".to_owned(),
        AuthFailure::Malformed => "malformed answer to AUTH".to_owned(),
        other => format!("AUTH failed: {other:?}"),
    })]
    AuthUnanswered(AuthFailure),
    /// The thing is not bound on any live connection (platform side), or not bound by this
    /// edge.
    #[error("thing {0:?} is not bound")]
    NotBound(String),
    /// No response within the request timeout.
    #[error("no response within the request timeout")]
    Timeout,
    /// The connection went away before the request completed.
    #[error("disconnected before the request completed")]
    Disconnected,
    /// The peer answered with a failure status.
    #[error("request failed with status {status}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Status {
        /// The response status.
        status: StatusCode,
        /// The response's reason text, if any.
        reason: Option<String>,
    },
    /// The client or platform was shut down.
    #[error("closed")]
    Closed,
    /// The session refused the request (too large, queue full, ...).
    #[error("request not sent: {0}")]
    Request(RequestError),
    /// The response did not have the expected shape.
    #[error("unexpected response: {0}")]
    UnexpectedResponse(String),
    /// Invalid configuration.
    #[error("configuration error: {0}")]
    Config(String),
    /// The HTTP proxy could not be reached, refused the tunnel (407 or another status),
    /// or closed or garbled its answer; names the proxy, never its password. A connection
    /// failure, retried by the reconnect policy.
    #[cfg(feature = "proxy")]
    #[error(transparent)]
    Proxy(#[from] crate::edge::ProxyError),

    /// A value refused by [`crate::EdgeClient::set_property`] (unknown property, other
    /// base type).
    #[error(transparent)]
    Push(#[from] alwayson_proto::edge::PushError),
    /// The offline store refused the message (full, too large) or could not write it.
    #[cfg(feature = "edge")]
    #[error(transparent)]
    Offline(#[from] crate::edge::offline::OfflineError),
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Timeout => Error::Timeout,
            RequestError::Disconnected => Error::Disconnected,
            RequestError::Closed => Error::Closed,
            RequestError::NotBound(name) => Error::NotBound(name),
            other => Error::Request(other),
        }
    }
}

impl From<async_tungstenite::tungstenite::Error> for Error {
    fn from(e: async_tungstenite::tungstenite::Error) -> Self {
        use async_tungstenite::tungstenite::Error as WsError;
        match e {
            WsError::Io(io) => {
                // rustls reports certificate problems as io::Error with an inner rustls::Error.
                if crate::tls::is_tls_error(&io) {
                    Error::Tls(io.to_string())
                } else {
                    Error::Io(io)
                }
            }
            other => Error::WebSocket(other.to_string()),
        }
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
