//! The sender side: one message → one or more websocket messages.

use crate::codec::{Body, EncodeError, Message, CHUNK_HEADER_LEN, HEADER_LEN};
use bytes::{Bytes, BytesMut};

/// The smallest chunk size [`split`] accepts (room for headers, a request entity prefix and
/// some data).
pub const MIN_CHUNK_SIZE: u16 = 64;

/// Offset of the multipart byte in the message header.
const MULTIPART_OFFSET: usize = HEADER_LEN - 1;

/// The websocket binary messages one AlwaysOn message is sent as.
// Exhaustive on purpose: the protocol sends a message whole or as multipart chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// The message fits in one chunk: sent as is, multipart byte 0.
    Single(Bytes),
    /// Multipart chunks in order (chunk ids 1..=n), each ≤ the chunk size.
    Chunks(Vec<Bytes>),
}

impl Split {
    /// Number of websocket messages (1 for [`Split::Single`]).
    pub fn len(&self) -> usize {
        match self {
            Split::Single(_) => 1,
            Split::Chunks(c) => c.len(),
        }
    }

    /// Always `false`: a split has at least one websocket message.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The websocket messages, in sending order.
    pub fn into_vec(self) -> Vec<Bytes> {
        match self {
            Split::Single(b) => vec![b],
            Split::Chunks(c) => c,
        }
    }
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

/// Length of the entity prefix (entity type byte + canonical entity name string) that every
/// chunk of a multipart request carries, or 0 for other codes.
fn entity_prefix_len(message: &Message) -> usize {
    match &message.body {
        Body::Request(r) => 1 + r.entity_name.encoded_len(),
        _ => 0,
    }
}

/// Encodes `message` and splits it per wire-format.md §8.4 for a peer whose chunk size is
/// `chunk_size` (also written into every chunk's chunkSize field).
///
/// * A single message (multipart byte 0) iff `15 + L ≤ chunk_size`, `L` the body length.
/// * Otherwise `E = chunk_size − 21` data bytes per chunk, minus the entity prefix
///   (`1 + P + n`) for requests, and `ceil(L / E)` chunks. Chunk `k` carries body bytes
///   `[(k−1)·E, min(k·E, L))`; for requests, chunks 2…N insert a copy of the entity prefix
///   before their slice (chunk 1's slice already starts with it). So every chunk is at most
///   `chunk_size` bytes, and no chunk is empty.
///
/// This matches the reference SDK byte for byte except when `L` is an exact multiple of `E`,
/// where the SDK (`floor(L/E) + 1` chunks) sends an extra, empty chunk (sdk-quirks.md Q8),
/// and in the window `E ≤ L ≤ chunk_size − 15`, where the SDK sends two unmarked
/// messages (Q7) and this function sends a proper two-chunk multipart message.
///
/// The chunks share one buffer (a single allocation for the whole split). For a
/// 1.3.1 receiver with default limits, keep `chunks × chunk_size ≤ 16384` (Q9): that is
/// the caller's decision.
pub fn split(message: &Message, chunk_size: u16) -> Result<Split, SplitError> {
    if chunk_size < MIN_CHUNK_SIZE {
        return Err(SplitError::ChunkSizeTooSmall { chunk_size });
    }
    let len = message.encoded_len()?;
    let c = usize::from(chunk_size);
    if len <= c {
        let mut buf = BytesMut::with_capacity(len);
        message.encode_into(&mut buf)?;
        return Ok(Split::Single(buf.freeze()));
    }
    let body_len = len - HEADER_LEN;
    let prefix_len = entity_prefix_len(message);
    // Data per chunk. Chunk 1 of a request must hold the whole entity prefix (the receiver
    // parses it there) and some data after it, so E > prefix_len.
    let e = (c - HEADER_LEN - CHUNK_HEADER_LEN)
        .checked_sub(prefix_len)
        .filter(|&e| e > prefix_len)
        .ok_or(SplitError::ChunkSizeTooSmall { chunk_size })?;
    let count = body_len.div_ceil(e);
    let count16 = u16::try_from(count).map_err(|_| SplitError::TooManyChunks { body_len })?;

    // One buffer for every chunk. The message is encoded at its end, then the chunks are
    // built front to back in place: chunk k's body slice moves forward (towards the start)
    // and its headers go in front of it. The write position never passes data still to be
    // read: chunk k ends at k·21 + (k−1)·P + k·E at most, and the slice of chunk k+1 starts
    // at N·21 + (N−1)·P + k·E.
    const CHUNK_LEAD: usize = HEADER_LEN + CHUNK_HEADER_LEN;
    let total = count * CHUNK_LEAD + (count - 1) * prefix_len + body_len;
    let lead = total - len;
    let mut buf = BytesMut::with_capacity(total);
    buf.resize(lead, 0);
    message.encode_into(&mut buf)?;
    debug_assert_eq!(buf.len(), total);
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&buf[lead..lead + HEADER_LEN]);
    header[MULTIPART_OFFSET] = 0x01;
    let src = lead + HEADER_LEN;

    let mut ends = Vec::with_capacity(count);
    let mut w = 0;
    for k in 0..count {
        let start = k * e;
        let n = e.min(body_len - start);
        let prefix = if k == 0 { 0 } else { prefix_len };
        let data = w + CHUNK_LEAD + prefix;
        buf.copy_within(src + start..src + start + n, data);
        buf[w..w + HEADER_LEN].copy_from_slice(&header);
        // `k + 1 ≤ count ≤ u16::MAX`, checked above.
        let id = (k + 1) as u16;
        buf[w + HEADER_LEN..w + HEADER_LEN + 2].copy_from_slice(&id.to_be_bytes());
        buf[w + HEADER_LEN + 2..w + HEADER_LEN + 4].copy_from_slice(&count16.to_be_bytes());
        buf[w + HEADER_LEN + 4..w + CHUNK_LEAD].copy_from_slice(&chunk_size.to_be_bytes());
        if prefix > 0 {
            // Chunk 1's slice, already in place, starts with the entity prefix.
            buf.copy_within(CHUNK_LEAD..CHUNK_LEAD + prefix, w + CHUNK_LEAD);
        }
        w = data + n;
        ends.push(w);
    }
    debug_assert_eq!(w, total);
    let mut chunks = Vec::with_capacity(count);
    let mut at = 0;
    for end in ends {
        chunks.push(buf.split_to(end - at).freeze());
        at = end;
    }
    Ok(Split::Chunks(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_prefix_len_counts_long_names() {
        use crate::codec::{Characteristic, Header, Method, Request};
        let short = Message {
            header: Header::new(1, 2),
            body: Body::Request(Request::new(
                Method::Get,
                "T",
                Characteristic::Properties,
                "p",
                None,
            )),
        };
        assert_eq!(entity_prefix_len(&short), 3);
        let long = Message {
            header: Header::new(1, 2),
            body: Body::Request(Request::new(
                Method::Get,
                "x".repeat(128),
                Characteristic::Properties,
                "p",
                None,
            )),
        };
        assert_eq!(entity_prefix_len(&long), 1 + 4 + 128);
        let bind = Message {
            header: Header::new(1, 2),
            body: Body::Bind(Default::default()),
        };
        assert_eq!(entity_prefix_len(&bind), 0);
    }

    #[test]
    fn chunk_size_below_minimum_is_refused() {
        use crate::codec::Header;
        let m = Message {
            header: Header::new(1, 2),
            body: Body::Bind(Default::default()),
        };
        assert_eq!(
            split(&m, MIN_CHUNK_SIZE - 1),
            Err(SplitError::ChunkSizeTooSmall {
                chunk_size: MIN_CHUNK_SIZE - 1
            })
        );
    }
}
