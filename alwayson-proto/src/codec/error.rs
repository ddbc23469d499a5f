//! Typed decode and encode errors.

/// Why decoding failed, and at which byte offset of the input (relative to the start of the
/// buffer handed to the decoder: the websocket message for [`crate::Frame::decode`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte offset {offset})")]
pub struct DecodeError {
    /// Offset of the first byte that could not be decoded.
    pub offset: usize,
    /// What was expected there.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// Builds an error at `offset`.
    pub fn new(offset: usize, kind: DecodeErrorKind) -> Self {
        Self { offset, kind }
    }
}

/// What was wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before `what` was complete.
    #[error("input ends inside {what}: {needed} more byte(s) needed")]
    Truncated {
        /// The element being read (e.g. "message header", "string length").
        what: &'static str,
        /// How many more bytes that element needed, at least.
        needed: usize,
    },
    /// A message code that is neither a request, BIND/UNBIND, AUTH nor a response (≥ 0x40).
    /// KEEP_ALIVE (0x1F) is one of them: the reference SDK drops it too.
    #[error("unsupported message code 0x{0:02x}")]
    UnsupportedMessageCode(u8),
    /// A typed value whose base type has no defined encoding (TIMESPAN, SCHEDULE, LONG,
    /// unassigned codes).
    #[error("base type 0x{0:02x} has no defined value encoding")]
    UnsupportedBaseType(u8),
    /// InfoTable / VARIANT nesting deeper than [`crate::MAX_NESTING_DEPTH`].
    #[error("InfoTable/VARIANT nesting deeper than {limit} levels")]
    NestingTooDeep {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A length field announces more bytes than the input still holds.
    #[error("{what} announces {declared} byte(s) but only {available} remain")]
    LengthExceedsInput {
        /// The element whose length is wrong.
        what: &'static str,
        /// The length on the wire.
        declared: u64,
        /// Bytes left in the input.
        available: usize,
    },
    /// A multipart chunk header with `chunkId` 0 or `chunkId > chunkCount`, or `chunkCount` 0.
    #[error("invalid multipart chunk header: chunk {chunk_id} of {chunk_count}")]
    InvalidChunkHeader {
        /// The chunk id on the wire.
        chunk_id: u16,
        /// The chunk count on the wire.
        chunk_count: u16,
    },
    /// [`crate::Message::decode`] was given a multipart chunk (non-zero multipart byte, shown
    /// here); decode it with [`crate::Frame::decode`] and reassemble.
    #[error("multipart chunk (multipart byte 0x{0:02x}) where a complete message was expected")]
    UnexpectedChunk(u8),
}

/// Why a value could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// More items than the wire's count field can hold.
    #[error("{what}: {count} items do not fit in a {max}-item count field")]
    TooMany {
        /// What was counted (claims, names, cells, aspects, headers).
        what: &'static str,
        /// How many there were.
        count: usize,
        /// The largest count the field can carry.
        max: usize,
    },
    /// A string or blob longer than its length prefix can express.
    #[error("{what} of {len} bytes is too long for its length prefix")]
    TooLong {
        /// The element.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A value of a base type that has no wire encoding was asked to be encoded.
    #[error("base type 0x{0:02x} has no defined value encoding")]
    UnsupportedBaseType(u8),
    /// InfoTable / VARIANT nesting deeper than [`crate::MAX_NESTING_DEPTH`].
    #[error("InfoTable/VARIANT nesting deeper than {limit} levels")]
    NestingTooDeep {
        /// The limit that was exceeded.
        limit: usize,
    },
}

/// `a + b` for encoded lengths; overflow is [`EncodeError::TooLong`].
#[inline(always)]
pub(crate) fn add_len(a: usize, b: usize) -> Result<usize, EncodeError> {
    a.checked_add(b).ok_or(EncodeError::TooLong {
        what: "encoding",
        len: usize::MAX,
    })
}
