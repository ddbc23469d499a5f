//! A multipart chunk (wire-format.md §8.1): the header with a non-zero multipart byte, the
//! 6-byte chunk header (id, count, size), the entity prefix for request codes, then this
//! chunk's slice of the body; owned [`Chunk`], borrowed [`ChunkRef`] and reader. (Chunks are
//! written by [`crate::multipart::split`].)

use super::cursor::{Cursor, GrammarError};
use super::header::RawHeader;
use super::wire_string::read_str;
use super::{DecodeErrorKind, EntityType, Header, MessageCode, WireString};
use bytes::Bytes;

/// Length of the multipart chunk header that follows the message header in a chunk.
pub const CHUNK_HEADER_LEN: usize = 6;

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

/// A multipart chunk, borrowed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ChunkRef<'a> {
    /// Header fields.
    pub header: Header,
    /// Code byte.
    pub code: MessageCode,
    /// 1-based index of this chunk.
    pub chunk_id: u16,
    /// Total number of chunks.
    pub chunk_count: u16,
    /// The sender's configured maximum chunk size.
    pub chunk_size: u16,
    /// Entity prefix (type, name): present exactly for request codes.
    pub entity: Option<(EntityType, &'a [u8])>,
    /// This chunk's slice of the body.
    pub data: &'a [u8],
}

impl<'a> ChunkRef<'a> {
    /// The owned [`Chunk`], strings built by `string` and data by `bytes`.
    pub(crate) fn owned_with(
        &self,
        string: impl Fn(&'a [u8]) -> WireString,
        bytes: impl Fn(&'a [u8]) -> Bytes,
    ) -> Chunk {
        Chunk {
            header: self.header,
            code: self.code,
            chunk_id: self.chunk_id,
            chunk_count: self.chunk_count,
            chunk_size: self.chunk_size,
            entity: self.entity.map(|(entity_type, name)| ChunkEntity {
                entity_type,
                entity_name: string(name),
            }),
            data: bytes(self.data),
        }
    }

    /// The owned [`Chunk`] (data and strings copied).
    pub fn to_owned(&self) -> Chunk {
        self.owned_with(WireString::copy_from_slice, Bytes::copy_from_slice)
    }
}

/// Reads the rest of a chunk after its message header.
pub(crate) fn read<'a, E: GrammarError>(
    c: &mut Cursor<'a>,
    raw: RawHeader,
) -> Result<ChunkRef<'a>, E> {
    let at = c.pos();
    let chunk_id = c.u16::<E>("chunk id")?;
    let chunk_count = c.u16::<E>("chunk count")?;
    let chunk_size = c.u16::<E>("chunk size")?;
    if chunk_id == 0 || chunk_count == 0 || chunk_id > chunk_count {
        return Err(E::at(at, || DecodeErrorKind::InvalidChunkHeader {
            chunk_id,
            chunk_count,
        }));
    }
    let entity = if raw.code.is_request() {
        let entity_type = EntityType::from(c.u8::<E>("chunk entity type")?);
        let entity_name = read_str(c, "chunk entity name")?;
        Some((entity_type, entity_name))
    } else {
        None
    };
    Ok(ChunkRef {
        header: raw.header,
        code: raw.code,
        chunk_id,
        chunk_count,
        chunk_size,
        entity,
        data: c.take_rest(),
    })
}
