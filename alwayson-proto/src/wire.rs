//! Framing of one connection, shared by both sessions: outbound messages are encoded and
//! split into chunks, inbound websocket messages are decoded and chunks reassembled.

use crate::codec::{
    CodeKind, DecodeError, Decoded, Frame, Message, MessageCode, Response, StatusCode,
};
use crate::multipart::{
    split, Reassembler, ReassemblyBudget, ReassemblyError, ReassemblyLimits, Split,
};
use crate::platform::push::{self, Inbound, Push};
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

impl InboundError {
    /// The status that answers a message refused with this error, when its header was
    /// readable: `0x8D` ENTITY_TOO_LARGE for a message over the per-connection size,
    /// `0xA3` SERVICE_UNAVAILABLE when the reassembly budget or slots are spent (a retry
    /// later may pass), `0x80` BAD_REQUEST for bytes that do not decode or chunks that do not
    /// agree.
    pub fn status(&self) -> StatusCode {
        match self {
            InboundError::Reassembly(ReassemblyError::TooLarge { .. }) => {
                StatusCode::ENTITY_TOO_LARGE
            }
            InboundError::Reassembly(
                ReassemblyError::OverBudget { .. } | ReassemblyError::TooManyInProgress { .. },
            ) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The error answer to a refused message whose code is `code`, when that code expects
    /// one (a request, BIND or UNBIND): [`status`](Self::status) with this error as reason
    /// (cut to 200 bytes). `None` for responses, AUTH and KEEP_ALIVE.
    pub fn answer_for(&self, code: MessageCode) -> Option<Response> {
        let answerable = matches!(
            code.kind(),
            CodeKind::Request(_) | CodeKind::Bind | CodeKind::Unbind
        );
        answerable.then(|| {
            let mut reason = self.to_string();
            if reason.len() > MAX_ERROR_REASON {
                let mut end = MAX_ERROR_REASON;
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                reason.truncate(end);
            }
            Response::error(self.status(), reason)
        })
    }
}

/// Longest reason of an error answer to a refused message.
const MAX_ERROR_REASON: usize = 200;

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

    /// Counts inbound multipart messages in progress against `budget` too (shared with other
    /// connections). Call before any chunk arrives.
    pub fn set_budget(&mut self, budget: ReassemblyBudget) {
        self.reassembler = Reassembler::with_budget(self.reassembler.limits(), budget);
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

    /// [`receive`](Self::receive) for the platform: a complete `UpdateSubscribedPropertyValues`
    /// request (single frame or reassembled) is read with the borrowed decode and kept as
    /// its bytes ([`Push`]); everything else is decoded to owned as by `receive`. Same
    /// errors as `receive`.
    pub fn receive_inbound(
        &mut self,
        now: Instant,
        bytes: Bytes,
    ) -> Result<Option<Inbound>, InboundError> {
        if push::is_candidate_frame(&bytes) {
            return Ok(Some(Push::read_message(bytes)?));
        }
        let decoded = Frame::decode(bytes)?;
        match decoded.value {
            Frame::Message(message) => Ok(Some(Inbound::Message(message))),
            Frame::Chunk(chunk) => match self.reassembler.push_assembled(now, chunk)? {
                None => Ok(None),
                Some(a) if push::is_candidate(a.code, &a.body) => Push::read_assembled(a).map(Some),
                Some(a) => Ok(Some(Inbound::Message(
                    a.decode().map_err(ReassemblyError::Decode)?.value,
                ))),
            },
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
        self.reassembler.clear();
    }
}
