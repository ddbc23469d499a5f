//! The receiver side: chunks in any order → one complete message.

use crate::codec::{Chunk, DecodeError, Decoded, Message};
use std::time::{Duration, Instant};

/// Bounds on what a [`Reassembler`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Largest reassembled body accepted, in bytes (checked as data arrives and against
    /// `chunk_count × chunk data` up front). Default 1 MiB (SDK 2.x `max_message_size`).
    pub max_message_size: usize,
    /// Most messages in progress at once. Default 16.
    pub max_in_progress: usize,
    /// How long an incomplete message is kept after its first chunk. Default 50 s (SDK).
    pub expiry: Duration,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        Self {
            max_message_size: 1024 * 1024,
            max_in_progress: 16,
            expiry: Duration::from_secs(50),
        }
    }
}

/// Why a chunk was refused. The reassembler stays usable after every error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReassemblyError {
    /// The message would exceed [`ReassemblyLimits::max_message_size`]; it is discarded.
    #[error("multipart message {request_id} exceeds {limit} bytes")]
    TooLarge {
        /// Request id of the message.
        request_id: u32,
        /// The configured limit.
        limit: usize,
    },
    /// [`ReassemblyLimits::max_in_progress`] messages are already in progress.
    #[error("too many multipart messages in progress (limit {limit})")]
    TooManyInProgress {
        /// The configured limit.
        limit: usize,
    },
    /// A chunk disagrees with earlier chunks of the same message (chunk count, code class,
    /// header) or has `chunkId` outside `1..=chunkCount`; the message is discarded.
    #[error("multipart message {request_id}: {what}")]
    Inconsistent {
        /// Request id of the message.
        request_id: u32,
        /// What disagreed.
        what: &'static str,
    },
    /// The reassembled body did not decode.
    #[error("reassembled message did not decode: {0}")]
    Decode(#[from] DecodeError),
}

/// Reassembles multipart messages of one connection, keyed by (request id, code class).
#[derive(Debug)]
pub struct Reassembler {
    limits: ReassemblyLimits,
}

impl Reassembler {
    /// A reassembler with these limits.
    pub fn new(limits: ReassemblyLimits) -> Self {
        Self { limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> ReassemblyLimits {
        self.limits
    }

    /// Adds a chunk received at `now`. Returns the complete message once every chunk is in.
    /// A duplicate chunk replaces the earlier copy. Expired messages are dropped first.
    pub fn push(
        &mut self,
        now: Instant,
        chunk: Chunk,
    ) -> Result<Option<Decoded<Message>>, ReassemblyError> {
        let _ = (now, chunk);
        todo!("multipart reassembly")
    }

    /// Drops every incomplete message whose expiry is at or before `now`; returns how many.
    pub fn expire(&mut self, now: Instant) -> usize {
        let _ = now;
        todo!()
    }

    /// The earliest expiry among messages in progress.
    pub fn next_expiry(&self) -> Option<Instant> {
        todo!()
    }

    /// Number of messages in progress.
    pub fn in_progress(&self) -> usize {
        todo!()
    }
}
