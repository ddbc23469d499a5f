//! Messages and frames: the owned [`Message`] / [`Frame`], the borrowed [`MessageRef`] /
//! [`FrameRef`], the body dispatch of the writer and the reader, and the decode entry
//! points (owned and borrowed) shared by every wire concept.
//!
//! Both decodes run the same grammar (see `cursor.rs`): the owned one builds [`Message`]s in
//! a single pass (short strings inline, long strings and blobs shared with the input
//! [`Bytes`]); the borrowed one validates once and keeps only spans, allocating nothing.
//!
//! Every decoder returns the decoded value together with the bytes that followed it
//! ([`Decoded::trailing`]): the reference SDK often sends bytes after a complete body
//! (sdk-quirks.md Q5, Q6), so they are not an error. Errors carry the byte offset relative to
//! the start of the buffer handed to the decoder.
//!
//! Classification of a frame (wire-format.md §3.2):
//!
//! | code | multipart byte | result |
//! |---|---|---|
//! | 0x01–0x04 | 0 | [`Frame::Message`] with a request body |
//! | 0x01–0x04 | ≠ 0 | [`Frame::Chunk`] with an entity prefix |
//! | ≥ 0x40 | 0 / ≠ 0 | response body / [`Frame::Chunk`] without entity prefix |
//! | 0x0A, 0x0B, 0x14 | 0 | BIND/UNBIND/AUTH body |
//! | 0x0A, 0x0B, 0x14 | ≠ 0 | [`Frame::Chunk`] without entity prefix |
//! | anything else | — | [`DecodeErrorKind::UnsupportedMessageCode`] |
//!
//! **Chunked AUTH/BIND/UNBIND.** The SDK *decoder* ignores the multipart byte for these codes
//! (sdk-quirks.md Q23), but the SDK *sender* does chunk large BIND/UNBIND messages and then
//! sets the multipart byte; a platform must reassemble them (wire-format.md §8.2). This crate
//! therefore treats a non-zero multipart byte as "chunk" for every supported code; a chunk
//! carries an entity prefix only for request codes.
//!
//! **Nesting.** The top-level InfoTable of a body (params/content) or of
//! [`InfoTable::decode`] is nesting level 1; every INFOTABLE value or VARIANT opens one more
//! level ([`Value::decode`] starts at level 0, so an INFOTABLE value there is level 1). More
//! than [`MAX_NESTING_DEPTH`] levels is [`DecodeErrorKind::NestingTooDeep`], reported at the
//! type byte that would open the extra level.

//! Header-only responses: see `response.rs`.

use super::build::{Build, Owned, View};
use super::cursor::{Cursor, Fail, GrammarError};
use super::error::add_len;
use super::header::{self, RawHeader};
use super::{
    auth, bind, chunk, request, response, Auth, AuthRef, Bind, BindRef, Chunk, ChunkRef, CodeKind,
    DecodeError, DecodeErrorKind, EncodeError, Header, InfoTable, InfoTableRef, MessageCode,
    Request, RequestRef, Response, ResponseRef, HEADER_LEN,
};
use bytes::{BufMut, Bytes, BytesMut};

/// Deepest nesting of InfoTables and VARIANTs the decoder and encoder accept. A value at
/// the top of a message body is depth 1; each INFOTABLE cell/aspect or VARIANT adds one.
/// Deeper input is a [`crate::DecodeErrorKind::NestingTooDeep`] error, never unbounded
/// recursion.
pub const MAX_NESTING_DEPTH: usize = 32;

/// A message body; its variant determines the header's code byte.
// Exhaustive on purpose: the protocol fixes the message kinds (AUTH, BIND, UNBIND,
// request, response).
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

/// What one websocket binary message decodes to.
// Exhaustive on purpose: the protocol sends a message whole or as multipart chunks.
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

/// A decoded view and the bytes that followed it (see [`Decoded`]).
#[derive(Debug, Clone, Copy)]
pub struct DecodedRef<'a, T> {
    /// The decoded view.
    pub value: T,
    /// Bytes left after the value (empty for canonical input).
    pub trailing: &'a [u8],
}

/// A message borrowed from the input bytes ([`MessageRef::decode`]): validated once,
/// nothing allocated; strings are slices of the input and InfoTables are
/// [`InfoTableRef`]s. [`MessageRef::to_owned`] converts to a [`Message`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct MessageRef<'a> {
    /// Header fields.
    pub header: Header,
    /// The code byte.
    pub code: MessageCode,
    /// Body.
    pub body: BodyRef<'a>,
}

/// A message body, borrowed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum BodyRef<'a> {
    /// AUTH (0x14).
    Auth(AuthRef<'a>),
    /// BIND (0x0A).
    Bind(BindRef<'a>),
    /// UNBIND (0x0B).
    Unbind(BindRef<'a>),
    /// GET/PUT/POST/DELETE (0x01–0x04).
    Request(RequestRef<'a>),
    /// A response (≥ 0x40).
    Response(ResponseRef<'a>),
}

/// What one websocket binary message decodes to, borrowed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FrameRef<'a> {
    /// A complete message.
    Message(MessageRef<'a>),
    /// A multipart chunk.
    Chunk(ChunkRef<'a>),
}

// ---------------------------------------------------------------- reader

/// A body as the grammar reads it, its InfoTable (params/content) built by a [`Build`]er.
pub(crate) enum BodyParts<'a, T> {
    Auth(AuthRef<'a>),
    Bind(BindRef<'a>),
    Unbind(BindRef<'a>),
    Request(RequestRef<'a>, Option<T>),
    Response(ResponseRef<'a>, Option<T>),
}

/// The body for `code`, from the cursor's position.
#[inline]
pub(crate) fn read_body<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    code: MessageCode,
    b: &mut B,
) -> Result<BodyParts<'a, B::Table>, E> {
    Ok(match code.kind() {
        CodeKind::Request(method) => {
            let (r, params) = request::read(c, method, b)?;
            BodyParts::Request(r, params)
        }
        CodeKind::Response(status) => {
            let (r, content) = response::read(c, status, b)?;
            BodyParts::Response(r, content)
        }
        CodeKind::Auth => BodyParts::Auth(auth::read(c)?),
        CodeKind::Bind => BodyParts::Bind(bind::read(c)?),
        CodeKind::Unbind => BodyParts::Unbind(bind::read(c)?),
        CodeKind::Unsupported => {
            return Err(E::at(c.pos(), || {
                DecodeErrorKind::UnsupportedMessageCode(code.0)
            }))
        }
    })
}

/// A frame's header, classified: an unsupported code is an error at offset 1.
#[inline]
fn read_header<E: GrammarError>(c: &mut Cursor<'_>) -> Result<RawHeader, E> {
    let raw = header::read::<E>(c)?;
    if raw.code.kind() == CodeKind::Unsupported {
        return Err(E::at(1, || {
            DecodeErrorKind::UnsupportedMessageCode(raw.code.0)
        }));
    }
    Ok(raw)
}

/// A complete message: a chunk is [`DecodeErrorKind::UnexpectedChunk`] at the multipart
/// byte.
#[inline(always)]
pub(crate) fn read_message<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    b: &mut B,
) -> Result<(RawHeader, BodyParts<'a, B::Table>), E> {
    let raw = read_header::<E>(c)?;
    if raw.multipart != 0 {
        return Err(E::at(HEADER_LEN - 1, || {
            DecodeErrorKind::UnexpectedChunk(raw.multipart)
        }));
    }
    Ok((raw, read_body(c, raw.code, b)?))
}

/// A frame: a complete message or a chunk.
pub(crate) enum FrameParts<'a, T> {
    Message(RawHeader, BodyParts<'a, T>),
    Chunk(ChunkRef<'a>),
}

/// A whole frame: header, then either a chunk or a body.
#[inline]
pub(crate) fn read_frame<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    b: &mut B,
) -> Result<FrameParts<'a, B::Table>, E> {
    let raw = read_header::<E>(c)?;
    if raw.multipart != 0 {
        return Ok(FrameParts::Chunk(chunk::read(c, raw)?));
    }
    Ok(FrameParts::Message(raw, read_body(c, raw.code, b)?))
}

#[inline(always)]
fn owned_body(parts: BodyParts<'_, InfoTable>, o: &Owned<'_>) -> Body {
    let string = |s| o.string(s);
    match parts {
        BodyParts::Auth(a) => Body::Auth(a.owned_with(string)),
        BodyParts::Bind(b) => Body::Bind(b.owned_with(string)),
        BodyParts::Unbind(b) => Body::Unbind(b.owned_with(string)),
        BodyParts::Request(r, params) => Body::Request(r.owned_with(string, params)),
        BodyParts::Response(r, content) => Body::Response(r.owned_with(string, content)),
    }
}

#[inline(always)]
fn view_body<'a>(parts: BodyParts<'a, InfoTableRef<'a>>) -> BodyRef<'a> {
    match parts {
        BodyParts::Auth(a) => BodyRef::Auth(a),
        BodyParts::Bind(b) => BodyRef::Bind(b),
        BodyParts::Unbind(b) => BodyRef::Unbind(b),
        BodyParts::Request(mut r, params) => {
            r.params = params;
            BodyRef::Request(r)
        }
        BodyParts::Response(mut r, content) => {
            r.content = content;
            BodyRef::Response(r)
        }
    }
}

#[inline(always)]
fn owned_message(raw: RawHeader, parts: BodyParts<'_, InfoTable>, o: &Owned<'_>) -> Message {
    Message {
        header: raw.header,
        body: owned_body(parts, o),
    }
}

#[inline(always)]
pub(crate) fn view_message<'a>(
    raw: RawHeader,
    parts: BodyParts<'a, InfoTableRef<'a>>,
) -> MessageRef<'a> {
    MessageRef {
        header: raw.header,
        code: raw.code,
        body: view_body(parts),
    }
}

fn owned_frame(parts: FrameParts<'_, InfoTable>, o: &Owned<'_>) -> Frame {
    match parts {
        FrameParts::Message(raw, body) => Frame::Message(owned_message(raw, body, o)),
        FrameParts::Chunk(c) => Frame::Chunk(c.owned_with(|s| o.string(s), |s| o.bytes(s))),
    }
}

fn view_frame<'a>(parts: FrameParts<'a, InfoTableRef<'a>>) -> FrameRef<'a> {
    match parts {
        FrameParts::Message(raw, body) => FrameRef::Message(view_message(raw, body)),
        FrameParts::Chunk(c) => FrameRef::Chunk(c),
    }
}

/// Bytes after `pos`, sharing the buffer (none: no reference count).
fn trailing(input: &Bytes, pos: usize) -> Bytes {
    if pos >= input.len() {
        Bytes::new()
    } else {
        input.slice(pos..)
    }
}

/// Runs an owned decode: `fast` (zero-cost errors) and, only if it fails, `detail` (the
/// same grammar with [`DecodeError`]) from the start, which finds and describes the error.
#[inline(always)]
pub(crate) fn decode_owned<'a, P, T>(
    input: &'a Bytes,
    fast: impl FnOnce(&mut Cursor<'a>, &mut Owned<'a>) -> Result<P, Fail>,
    detail: impl FnOnce(&mut Cursor<'a>, &mut Owned<'a>) -> Result<P, DecodeError>,
    build: impl FnOnce(P, &Owned<'a>) -> T,
) -> Result<Decoded<T>, DecodeError> {
    let mut b = Owned::shared(input);
    let mut c = Cursor::new(input);
    let parts = match fast(&mut c, &mut b) {
        Ok(p) => p,
        Err(Fail) => {
            c = Cursor::new(input);
            detail(&mut c, &mut b)?
        }
    };
    // The owned value is built once the input is known good, straight into the result.
    Ok(Decoded {
        value: build(parts, &b),
        trailing: trailing(input, c.pos()),
    })
}

/// [`decode_owned`] for the borrowed decode.
#[inline(always)]
pub(crate) fn decode_ref<'a, T>(
    input: &'a [u8],
    fast: impl FnOnce(&mut Cursor<'a>) -> Result<T, Fail>,
    detail: impl FnOnce(&mut Cursor<'a>) -> Result<T, DecodeError>,
) -> Result<DecodedRef<'a, T>, DecodeError> {
    let mut c = Cursor::new(input);
    let value = match fast(&mut c) {
        Ok(v) => v,
        Err(Fail) => {
            c = Cursor::new(input);
            detail(&mut c)?
        }
    };
    Ok(DecodedRef {
        value,
        trailing: c.rest(),
    })
}

impl Frame {
    /// Decodes one websocket binary message: a complete message or a multipart chunk.
    /// A chunk's data runs to the end of the input, so its `trailing` is always empty.
    pub fn decode(input: Bytes) -> Result<Decoded<Frame>, DecodeError> {
        decode_owned(
            &input,
            read_frame::<Fail, _>,
            read_frame::<DecodeError, _>,
            owned_frame,
        )
    }
}

impl<'a> FrameRef<'a> {
    /// [`Frame::decode`], borrowed: validates once and allocates nothing.
    pub fn decode(input: &'a [u8]) -> Result<DecodedRef<'a, FrameRef<'a>>, DecodeError> {
        decode_ref(
            input,
            |c| read_frame::<Fail, _>(c, &mut View).map(view_frame),
            |c| read_frame::<DecodeError, _>(c, &mut View).map(view_frame),
        )
    }

    /// The owned [`Frame`] (strings and data copied).
    pub fn to_owned(&self) -> Frame {
        match self {
            FrameRef::Message(m) => Frame::Message(m.to_owned()),
            FrameRef::Chunk(c) => Frame::Chunk(c.to_owned()),
        }
    }
}

impl Message {
    /// Decodes a complete (non-chunk) message. A multipart chunk is an error here
    /// ([`DecodeErrorKind::UnexpectedChunk`] at the multipart byte, offset 14); use
    /// [`Frame::decode`] when chunks may arrive.
    #[inline]
    pub fn decode(input: Bytes) -> Result<Decoded<Message>, DecodeError> {
        decode_owned(
            &input,
            read_message::<Fail, _>,
            read_message::<DecodeError, _>,
            |(h, p), b| owned_message(h, p, b),
        )
    }

    /// Decodes a body that was reassembled from chunks, given the header and code they
    /// carried. Error offsets are relative to the start of `body`.
    pub fn decode_body(
        header: Header,
        code: MessageCode,
        body: Bytes,
    ) -> Result<Decoded<Message>, DecodeError> {
        let raw = RawHeader {
            header,
            code,
            multipart: 0,
        };
        decode_owned(
            &body,
            |c, b| read_body::<Fail, _>(c, code, b),
            |c, b| read_body::<DecodeError, _>(c, code, b),
            |p, b| owned_message(raw, p, b),
        )
    }
}

impl<'a> MessageRef<'a> {
    /// [`Message::decode`], borrowed: validates once (same errors) and allocates nothing.
    pub fn decode(input: &'a [u8]) -> Result<DecodedRef<'a, MessageRef<'a>>, DecodeError> {
        decode_ref(
            input,
            |c| read_message::<Fail, _>(c, &mut View).map(|(h, p)| view_message(h, p)),
            |c| read_message::<DecodeError, _>(c, &mut View).map(|(h, p)| view_message(h, p)),
        )
    }

    /// [`Message::decode_body`], borrowed.
    pub fn decode_body(
        header: Header,
        code: MessageCode,
        body: &'a [u8],
    ) -> Result<DecodedRef<'a, MessageRef<'a>>, DecodeError> {
        let raw = RawHeader {
            header,
            code,
            multipart: 0,
        };
        decode_ref(
            body,
            |c| read_body::<Fail, _>(c, code, &mut View).map(|p| view_message(raw, p)),
            |c| read_body::<DecodeError, _>(c, code, &mut View).map(|p| view_message(raw, p)),
        )
    }

    /// The owned [`Message`] (strings and blobs copied; short strings inline).
    pub fn to_owned(&self) -> Message {
        let body = match &self.body {
            BodyRef::Auth(a) => Body::Auth(a.to_owned()),
            BodyRef::Bind(b) => Body::Bind(b.to_owned()),
            BodyRef::Unbind(b) => Body::Unbind(b.to_owned()),
            BodyRef::Request(r) => Body::Request(r.to_owned()),
            BodyRef::Response(r) => Body::Response(r.to_owned()),
        };
        Message {
            header: self.header,
            body,
        }
    }
}

// ---------------------------------------------------------------- length and writer

fn body_len(body: &Body) -> Result<usize, EncodeError> {
    match body {
        Body::Auth(a) => auth::len(a),
        Body::Bind(b) | Body::Unbind(b) => bind::len(b),
        Body::Request(r) => request::len(r),
        Body::Response(r) => response::len(r),
    }
}

fn put_body<B: BufMut>(buf: &mut B, body: &Body) {
    match body {
        Body::Auth(a) => auth::put(buf, a),
        Body::Bind(b) | Body::Unbind(b) => bind::put(buf, b),
        Body::Request(r) => request::put(buf, r),
        Body::Response(r) => response::put(buf, r),
    }
}

/// Reserves `len` (from the length pass, which performed every check) and writes.
pub(crate) fn encode_with(
    buf: &mut BytesMut,
    len: usize,
    write: impl FnOnce(&mut BytesMut),
) -> Result<(), EncodeError> {
    buf.reserve(len);
    write(buf);
    Ok(())
}

impl Message {
    /// Exact encoded length (header + body).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        add_len(HEADER_LEN, body_len(&self.body)?)
    }

    /// Appends the encoded message (multipart byte 0) to `buf`. Nothing is written on error.
    pub fn encode_into(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let len = self.encoded_len()?;
        encode_with(buf, len, |buf| self.write(buf))
    }

    /// Encodes the message into a buffer of exactly the right size.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        let len = self.encoded_len()?;
        let mut buf = Vec::with_capacity(len);
        self.write(&mut buf);
        Ok(Bytes::from(buf))
    }

    fn write<B: BufMut>(&self, buf: &mut B) {
        header::put(buf, &self.header, self.code());
        put_body(buf, &self.body);
    }

    /// Exact encoded length of the body alone (what follows the 15-byte header).
    pub fn body_encoded_len(&self) -> Result<usize, EncodeError> {
        body_len(&self.body)
    }

    /// Appends the body alone (no header) to `buf`: what multipart splitting slices.
    pub fn encode_body_into(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let len = body_len(&self.body)?;
        encode_with(buf, len, |buf| put_body(buf, &self.body))
    }
}
