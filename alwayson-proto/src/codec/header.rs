//! The 15-byte message header (wire-format.md §2): version, code, request id, endpoint id,
//! session id, multipart byte; its writer and reader.

use super::cursor::{Cursor, GrammarError};
use super::{DecodeErrorKind, MessageCode};
use bytes::BufMut;

/// Length of the message header.
pub const HEADER_LEN: usize = 15;
/// The session id AUTH always carries.
pub const AUTH_SESSION_ID: u32 = 0xFFFF_FFFF;

/// The fields of the 15-byte header other than the code and the multipart byte (the code
/// is derived from the [`super::Body`], the multipart byte from whether this is a
/// [`super::Chunk`]).
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

    /// The code and header of a websocket message whose first [`HEADER_LEN`] bytes are
    /// there, whatever follows (to answer a message whose body does not decode); `None` for
    /// fewer bytes.
    ///
    /// ```
    /// use alwayson_proto::codec::{Header, MessageCode};
    ///
    /// let bytes = [1, 0x02, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0xEE];
    /// let (code, header) = Header::peek(&bytes).expect("15 bytes");
    /// assert_eq!(code, MessageCode::PUT);
    /// assert_eq!((header.request_id, header.session_id), (7, 9));
    /// assert_eq!(Header::peek(&bytes[..14]), None);
    /// ```
    pub fn peek(bytes: &[u8]) -> Option<(MessageCode, Header)> {
        let b = bytes.get(..HEADER_LEN)?;
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Some((
            MessageCode(b[1]),
            Header {
                version: b[0],
                request_id: u32_at(2),
                endpoint_id: u32_at(6),
                session_id: u32_at(10),
            },
        ))
    }

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

/// Header fields as read, before classification.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawHeader {
    pub(crate) header: Header,
    pub(crate) code: MessageCode,
    pub(crate) multipart: u8,
}

/// Reads the header; fewer than [`HEADER_LEN`] bytes is `Truncated` "message header".
#[inline]
pub(crate) fn read<E: GrammarError>(c: &mut Cursor<'_>) -> Result<RawHeader, E> {
    if c.remaining() < HEADER_LEN {
        let needed = HEADER_LEN - c.remaining();
        return Err(E::at(c.pos(), || DecodeErrorKind::Truncated {
            what: "message header",
            needed,
        }));
    }
    let version = c.u8::<E>("header version")?;
    let code = MessageCode(c.u8::<E>("header code")?);
    let request_id = c.u32::<E>("header request id")?;
    let endpoint_id = c.u32::<E>("header endpoint id")?;
    let session_id = c.u32::<E>("header session id")?;
    let multipart = c.u8::<E>("header multipart byte")?;
    Ok(RawHeader {
        header: Header {
            version,
            request_id,
            endpoint_id,
            session_id,
        },
        code,
        multipart,
    })
}

/// Writes the header of a complete message (multipart byte 0).
#[inline]
pub(crate) fn put<B: BufMut>(buf: &mut B, h: &Header, code: MessageCode) {
    // Assembled in place and written with one `put_slice` (one capacity check).
    let mut b = [0u8; HEADER_LEN];
    b[0] = h.version;
    b[1] = code.0;
    b[2..6].copy_from_slice(&h.request_id.to_be_bytes());
    b[6..10].copy_from_slice(&h.endpoint_id.to_be_bytes());
    b[10..14].copy_from_slice(&h.session_id.to_be_bytes());
    // b[14]: multipart byte 0.
    buf.put_slice(&b);
}
