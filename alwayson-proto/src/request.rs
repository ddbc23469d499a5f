//! How a request sent by a session ends when no response arrives.

use crate::multipart::SplitError;
use crate::wire::InboundError;

/// Why a request produced no response (or could not be sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// No response within the request timeout. A late response is dropped and counted.
    #[error("no response within the request timeout")]
    Timeout,
    /// The connection closed while the request was waiting for its response.
    #[error("connection closed before the response arrived")]
    Disconnected,
    /// Not authenticated and the session is configured to fail requests at once.
    #[error("not authenticated")]
    NotAuthenticated,
    /// Not authenticated and the queue of waiting requests is full.
    #[error("queue of requests waiting for authentication is full ({capacity})")]
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The session was closed by the application.
    #[error("session closed")]
    Closed,
    /// Platform side: the addressed thing is not bound on this connection; nothing was sent.
    #[error("thing {0:?} is not bound on this connection")]
    NotBound(String),
    /// The encoded request is larger than the maximum message size.
    #[error("request of {len} bytes exceeds the maximum message size of {max}")]
    TooLarge {
        /// Encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Multipart would need `chunks × chunk_size` bytes, more than the peer's receive limit
    /// (the reference SDK silently drops such messages, sdk-quirks.md Q9); nothing was sent.
    #[error("{chunks} chunks of {chunk_size} bytes exceed the peer's limit of {max} bytes (chunk count × chunk size)")]
    ExceedsPeerLimit {
        /// Chunks the message would need.
        chunks: usize,
        /// The chunk size written in every chunk.
        chunk_size: u16,
        /// The peer's limit.
        max: usize,
    },
    /// The request could not be encoded or split.
    #[error("request could not be sent: {0}")]
    Unsendable(#[from] SplitError),
    /// The response arrived but was refused: a chunk over the shared reassembly budget
    /// (the error names it), a message over the size limit, or one that did not decode.
    /// The request ends at once instead of waiting for its timeout.
    #[error("the response was refused: {0}")]
    ResponseRefused(InboundError),
}

/// Why a response to a peer's request could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RespondError {
    /// No request with this id is waiting for an answer on this connection (already
    /// answered, or it arrived on an earlier connection).
    #[error("no request {0} is waiting for a response")]
    UnknownRequest(u32),
    /// The connection is not open.
    #[error("not connected")]
    NotConnected,
    /// The response could not be encoded, or is too large.
    #[error(transparent)]
    Unsendable(#[from] RequestError),
}
