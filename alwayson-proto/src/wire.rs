//! Framing of one connection, shared by both sessions: outbound messages are encoded and
//! split into chunks, inbound websocket messages are decoded and chunks reassembled.

use crate::codec::{DecodeError, Decoded, Frame, Message};
use crate::multipart::{split, Reassembler, ReassemblyError, ReassemblyLimits, Split};
use crate::request::RequestError;
use crate::Transmit;
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::Instant;

/// Why an inbound websocket message was not turned into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InboundError {
    /// The bytes did not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A multipart chunk was refused, or the reassembled message did not decode.
    #[error(transparent)]
    Reassembly(#[from] ReassemblyError),
}

/// Encoding/splitting and decoding/reassembly for one connection.
#[derive(Debug)]
pub(crate) struct Wire {
    /// Chunk size used when splitting outbound messages (the peer's frame size).
    pub chunk_size: u16,
    /// Largest complete outbound message, in bytes.
    pub max_message_size: usize,
    /// The peer's receive guard, if known: a multipart message is refused unless
    /// `chunk count × chunk_size ≤` this (what an SDK receiver checks, sdk-quirks.md Q9).
    pub peer_max_message_size: Option<usize>,
    reassembler: Reassembler,
}

impl Wire {
    pub fn new(chunk_size: u16, max_message_size: usize, limits: ReassemblyLimits) -> Self {
        Self {
            chunk_size,
            max_message_size,
            peer_max_message_size: None,
            reassembler: Reassembler::new(limits),
        }
    }

    /// Encodes `message`, splits it if needed, and queues the websocket messages.
    pub fn send(
        &self,
        message: &Message,
        out: &mut VecDeque<Transmit>,
    ) -> Result<(), RequestError> {
        let len = message
            .encoded_len()
            .map_err(|e| RequestError::Unsendable(e.into()))?;
        if len > self.max_message_size {
            return Err(RequestError::TooLarge {
                len,
                max: self.max_message_size,
            });
        }
        match split(message, self.chunk_size)? {
            Split::Single(bytes) => out.push_back(Transmit::Message(bytes)),
            Split::Chunks(chunks) => {
                if let Some(max) = self.peer_max_message_size {
                    let needed = chunks.len().saturating_mul(usize::from(self.chunk_size));
                    if needed > max {
                        return Err(RequestError::ExceedsPeerLimit {
                            chunks: chunks.len(),
                            chunk_size: self.chunk_size,
                            max,
                        });
                    }
                }
                out.extend(chunks.into_iter().map(Transmit::Message))
            }
        }
        Ok(())
    }

    /// Decodes one inbound websocket message; `Ok(None)` when it was a chunk of a message
    /// that is not complete yet.
    pub fn receive(
        &mut self,
        now: Instant,
        bytes: Bytes,
    ) -> Result<Option<Decoded<Message>>, InboundError> {
        let decoded = Frame::decode(bytes)?;
        match decoded.value {
            Frame::Message(message) => Ok(Some(Decoded {
                value: message,
                trailing: decoded.trailing,
            })),
            Frame::Chunk(chunk) => Ok(self.reassembler.push(now, chunk)?),
        }
    }

    /// When the oldest incomplete multipart message expires.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.reassembler.next_expiry()
    }

    /// Drops expired incomplete multipart messages.
    pub fn expire(&mut self, now: Instant) -> usize {
        self.reassembler.expire(now)
    }

    /// Forgets every incomplete multipart message (on disconnect).
    pub fn reset(&mut self) {
        self.reassembler = Reassembler::new(self.reassembler.limits());
    }
}
