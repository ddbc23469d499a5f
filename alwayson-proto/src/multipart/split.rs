//! The sender side: one message → one or more websocket messages.

use crate::codec::{EncodeError, Message};
use bytes::Bytes;

/// The smallest chunk size [`split`] accepts (room for headers, a request entity prefix and
/// some data).
pub const MIN_CHUNK_SIZE: u16 = 64;

/// The websocket binary messages one AlwaysOn message is sent as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// The message fits in one chunk: sent as is, multipart byte 0.
    Single(Bytes),
    /// Multipart chunks in order (chunk ids 1..=n), each ≤ the chunk size.
    Chunks(Vec<Bytes>),
}

/// Why a message could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// The message could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The chunk size is below [`MIN_CHUNK_SIZE`] or leaves no room for data after the
    /// request entity prefix.
    #[error("chunk size {chunk_size} leaves no room for data")]
    ChunkSizeTooSmall {
        /// The chunk size asked for.
        chunk_size: u16,
    },
    /// The message needs more than 65535 chunks.
    #[error("message of {body_len} body bytes needs more than 65535 chunks")]
    TooManyChunks {
        /// Encoded body length.
        body_len: usize,
    },
}

/// Encodes `message` and splits it per wire-format.md §8.4 for a peer whose chunk size is
/// `chunk_size` (also written into every chunk's chunkSize field).
pub fn split(message: &Message, chunk_size: u16) -> Result<Split, SplitError> {
    let _ = (message, chunk_size);
    todo!("multipart split")
}
