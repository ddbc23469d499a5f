//! Message header, chunk header and bodies (wire-format.md §2, §3.2, §6–8).

use super::reader::{DResult, Reader};
use super::value::infotable;
use crate::codec::{
    Auth, Bind, Body, Characteristic, Chunk, ChunkEntity, Claim, CodeKind, DecodeError,
    DecodeErrorKind, EntityType, Frame, Gateway, Header, InfoTable, Message, MessageCode, Request,
    RequestHeader, Response, HEADER_LEN,
};

/// The params/content type byte announcing an InfoTable.
const INFOTABLE_TYPE: u8 = 0x05;

/// Header fields as read, before classification.
pub(crate) struct RawHeader {
    pub(crate) header: Header,
    pub(crate) code: MessageCode,
    pub(crate) multipart: u8,
}

pub(crate) fn header(r: &mut Reader<'_>) -> DResult<RawHeader> {
    if r.remaining() < HEADER_LEN {
        return Err(DecodeError::new(
            r.pos(),
            DecodeErrorKind::Truncated {
                what: "message header",
                needed: HEADER_LEN - r.remaining(),
            },
        ));
    }
    let version = r.u8("header version")?;
    let code = MessageCode(r.u8("header code")?);
    let request_id = r.u32("header request id")?;
    let endpoint_id = r.u32("header endpoint id")?;
    let session_id = r.u32("header session id")?;
    let multipart = r.u8("header multipart byte")?;
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

/// A whole frame: header, then either a chunk or a body.
pub(crate) fn frame(r: &mut Reader<'_>) -> DResult<Frame> {
    let raw = header(r)?;
    let kind = raw.code.kind();
    if kind == CodeKind::Unsupported {
        return Err(DecodeError::new(
            1,
            DecodeErrorKind::UnsupportedMessageCode(raw.code.0),
        ));
    }
    if raw.multipart != 0 {
        return chunk(r, raw).map(Frame::Chunk);
    }
    body(r, raw.header, raw.code).map(Frame::Message)
}

fn chunk(r: &mut Reader<'_>, raw: RawHeader) -> DResult<Chunk> {
    let at = r.pos();
    let chunk_id = r.u16("chunk id")?;
    let chunk_count = r.u16("chunk count")?;
    let chunk_size = r.u16("chunk size")?;
    if chunk_id == 0 || chunk_count == 0 || chunk_id > chunk_count {
        return Err(DecodeError::new(
            at,
            DecodeErrorKind::InvalidChunkHeader {
                chunk_id,
                chunk_count,
            },
        ));
    }
    let entity = if raw.code.is_request() {
        let entity_type = EntityType::from(r.u8("chunk entity type")?);
        let entity_name = r.string("chunk entity name")?;
        Some(ChunkEntity {
            entity_type,
            entity_name,
        })
    } else {
        None
    };
    let data = r.take_rest();
    Ok(Chunk {
        header: raw.header,
        code: raw.code,
        chunk_id,
        chunk_count,
        chunk_size,
        entity,
        data,
    })
}

/// The body for `code`, starting at the reader's position.
pub(crate) fn body(r: &mut Reader<'_>, header: Header, code: MessageCode) -> DResult<Message> {
    let body = match code.kind() {
        CodeKind::Request(method) => {
            let entity_type = EntityType::from(r.u8("entity type")?);
            let entity_name = r.string("entity name")?;
            let characteristic = Characteristic::from(r.u8("characteristic type")?);
            let characteristic_name = r.string("characteristic name")?;
            let count = r.u8("request header count")?;
            let mut headers = Vec::with_capacity(usize::from(count).min(r.remaining() / 2));
            for _ in 0..count {
                let name = r.string("request header name")?;
                let value = r.string("request header value")?;
                headers.push(RequestHeader { name, value });
            }
            let params = table_or_none(r, "params type")?;
            Body::Request(Request {
                method,
                entity_type,
                entity_name,
                characteristic,
                characteristic_name,
                headers,
                params,
            })
        }
        CodeKind::Response(status) => {
            // A body that ends before the reason marker, or right after a `00` reason
            // marker, is a response with no reason and no content (see the module docs).
            let reason = if r.remaining() == 0 {
                None
            } else if r.u8("reason marker")? != 0 {
                Some(r.string("reason")?)
            } else {
                None
            };
            let content = if reason.is_none() && r.remaining() == 0 {
                None
            } else {
                table_or_none(r, "content type")?
            };
            Body::Response(Response {
                status,
                reason,
                content,
            })
        }
        CodeKind::Auth => {
            let count = r.u8("claim count")?;
            let mut claims = Vec::with_capacity(usize::from(count).min(r.remaining() / 2));
            for _ in 0..count {
                let name = r.string("claim name")?;
                let value = r.string("claim value")?;
                claims.push(Claim { name, value });
            }
            Body::Auth(Auth { claims })
        }
        CodeKind::Bind | CodeKind::Unbind => {
            let gateway = if r.u8("gateway flag")? != 0 {
                let name = r.string("gateway name")?;
                let gateway_type = r.string("gateway type")?;
                Some(Gateway { name, gateway_type })
            } else {
                None
            };
            let count = r.u16("bind name count")?;
            let mut names = Vec::with_capacity(usize::from(count).min(r.remaining()));
            for _ in 0..count {
                names.push(r.string("bind name")?);
            }
            let bind = Bind { gateway, names };
            if code == MessageCode::BIND {
                Body::Bind(bind)
            } else {
                Body::Unbind(bind)
            }
        }
        CodeKind::Unsupported => {
            return Err(DecodeError::new(
                r.pos(),
                DecodeErrorKind::UnsupportedMessageCode(code.0),
            ))
        }
    };
    Ok(Message { header, body })
}

/// `05` + InfoTable, or any other byte for none (the SDK stops parsing there too).
fn table_or_none(r: &mut Reader<'_>, what: &'static str) -> DResult<Option<InfoTable>> {
    if r.u8(what)? == INFOTABLE_TYPE {
        Ok(Some(infotable(r, 1)?))
    } else {
        Ok(None)
    }
}
