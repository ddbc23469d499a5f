//! Messages, multipart chunks and the [`Frame`] that one websocket binary message decodes to
//! (wire-format.md §2, §8.1).

use super::{Auth, Bind, EntityType, MessageCode, Request, Response, WireString};
use bytes::Bytes;

/// Length of the message header.
pub const HEADER_LEN: usize = 15;
/// Length of the multipart chunk header that follows the message header in a chunk.
pub const CHUNK_HEADER_LEN: usize = 6;
/// Deepest nesting of InfoTables and VARIANTs the decoder and encoder accept. A value at
/// the top of a message body is depth 1; each INFOTABLE cell/aspect or VARIANT adds one.
/// Deeper input is a [`crate::DecodeErrorKind::NestingTooDeep`] error, never unbounded
/// recursion.
pub const MAX_NESTING_DEPTH: usize = 32;
/// The session id AUTH always carries.
pub const AUTH_SESSION_ID: u32 = 0xFFFF_FFFF;

/// The fields of the 15-byte header other than the code and the multipart byte (the code
/// is derived from the [`Body`], the multipart byte from whether this is a [`Chunk`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Version byte; always 1 from the SDK, not checked on receipt.
    pub version: u8,
    /// Request id: chosen by the sender of a request/AUTH/BIND/UNBIND; echoed in the response.
    pub request_id: u32,
    /// Endpoint id: 0 from SDK 1.3.1; SDK 2.x echoes it in responses.
    pub endpoint_id: u32,
    /// Session id: `FFFFFFFF` in AUTH, else the id assigned by the AUTH response (0 before).
    pub session_id: u32,
}

impl Header {
    /// The protocol version byte this crate sends.
    pub const VERSION: u8 = 1;

    /// A version-1 header with endpoint id 0.
    pub fn new(request_id: u32, session_id: u32) -> Self {
        Self {
            version: Self::VERSION,
            request_id,
            endpoint_id: 0,
            session_id,
        }
    }
}

/// A message body; its variant determines the header's code byte.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// AUTH (0x14).
    Auth(Auth),
    /// BIND (0x0A).
    Bind(Bind),
    /// UNBIND (0x0B).
    Unbind(Bind),
    /// GET/PUT/POST/DELETE (0x01–0x04).
    Request(Request),
    /// A response (≥ 0x40).
    Response(Response),
}

impl Body {
    /// The code byte this body is sent with.
    pub fn code(&self) -> MessageCode {
        match self {
            Body::Auth(_) => MessageCode::AUTH,
            Body::Bind(_) => MessageCode::BIND,
            Body::Unbind(_) => MessageCode::UNBIND,
            Body::Request(r) => r.method.code(),
            Body::Response(r) => MessageCode(r.status.as_u8()),
        }
    }
}

/// A complete AlwaysOn message: header and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Header fields.
    pub header: Header,
    /// Body.
    pub body: Body,
}

impl Message {
    /// The code byte (derived from the body).
    pub fn code(&self) -> MessageCode {
        self.body.code()
    }
}

/// The entity prefix every chunk of a multipart *request* carries (wire-format.md §8.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkEntity {
    /// Entity type of the request.
    pub entity_type: EntityType,
    /// Entity name of the request.
    pub entity_name: WireString,
}

/// One chunk of a multipart message, as received: header (multipart byte non-zero), the
/// 6-byte chunk header, the entity prefix for request codes, then this chunk's slice of
/// the body (running to the end of the websocket message).
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Header fields (identical in every chunk of one message).
    pub header: Header,
    /// Code byte: a request method or a response status (BIND/UNBIND/AUTH may be chunked too).
    pub code: MessageCode,
    /// 1-based index of this chunk.
    pub chunk_id: u16,
    /// Total number of chunks.
    pub chunk_count: u16,
    /// The sender's configured maximum chunk size (not this chunk's size).
    pub chunk_size: u16,
    /// Entity prefix: present exactly for request codes (0x01–0x04).
    pub entity: Option<ChunkEntity>,
    /// This chunk's slice of the body (shares the input buffer).
    pub data: Bytes,
}

/// What one websocket binary message decodes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A complete message (multipart byte 0, or an AUTH/BIND/UNBIND code).
    Message(Message),
    /// A multipart chunk, to be fed to a [`crate::multipart::Reassembler`].
    Chunk(Chunk),
}

/// A decoded value and the bytes that followed it.
///
/// The reference SDK often sends bytes after a complete body (sdk-quirks.md Q5, Q6): they
/// are tolerated, not an error, and reported here so a caller can log them.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<T> {
    /// The decoded value.
    pub value: T,
    /// Bytes left after the value (empty for canonical input).
    pub trailing: Bytes,
}
