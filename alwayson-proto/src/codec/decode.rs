//! Decoding: `nom` over the input bytes, sharing the input buffer for strings and blobs.
//!
//! Typed values and InfoTables, the bulk of most messages, go through a hand-rolled fast path
//! first (`decode/fast.rs`: plain bounds checks, cells written in place, no error values on
//! the hot path); when it fails, the `nom`-based checked decoder re-reads the same bytes and
//! reports the error, so errors (kind and offset) are exactly those of the checked decoder.
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
//! **Header-only responses.** A response (code ≥ 0x40) whose body is empty, i.e. the
//! 15-byte header alone, decodes as `Response { reason: None, content: None }`: the
//! reference SDK accepts it (tests/vectors/README.md, "SDK behaviour that the bytes alone
//! do not show"). So does a body that is only the reason marker `00` (the content-type byte
//! missing at the very end): the SDK stops reading when the body runs out, and "no content"
//! is the only reading of a missing content type. Both re-encode in the canonical form
//! `00 FF`. Anything longer that ends early is still [`DecodeErrorKind::Truncated`]: a body
//! cut inside the reason (marker `01`), inside the content type after a reason, or inside
//! the InfoTable. Requests, AUTH and BIND/UNBIND keep requiring their whole body.
//!
//! **Nesting.** The top-level InfoTable of a body (params/content) or of
//! [`InfoTable::decode`] is nesting level 1; every INFOTABLE value or VARIANT opens one more
//! level ([`Value::decode`] starts at level 0, so an INFOTABLE value there is level 1). More
//! than [`MAX_NESTING_DEPTH`] levels is [`DecodeErrorKind::NestingTooDeep`], reported at the
//! type byte that would open the extra level.

mod body;
mod fast;
mod reader;
mod value;

use super::*;
use bytes::Bytes;
use reader::Reader;

fn finish<T>(value: T, r: &Reader<'_>) -> Decoded<T> {
    Decoded {
        value,
        trailing: r.rest_bytes(),
    }
}

impl Frame {
    /// Decodes one websocket binary message: a complete message or a multipart chunk.
    /// A chunk's data runs to the end of the input, so its `trailing` is always empty.
    pub fn decode(input: Bytes) -> Result<Decoded<Frame>, DecodeError> {
        let mut r = Reader::new(&input);
        let frame = body::frame(&mut r)?;
        Ok(finish(frame, &r))
    }
}

impl Message {
    /// Decodes a complete (non-chunk) message. A multipart chunk is an error here
    /// ([`DecodeErrorKind::UnexpectedChunk`] at the multipart byte, offset 14); use
    /// [`Frame::decode`] when chunks may arrive.
    pub fn decode(input: Bytes) -> Result<Decoded<Message>, DecodeError> {
        let mut r = Reader::new(&input);
        let raw = body::header(&mut r)?;
        if raw.code.kind() == CodeKind::Unsupported {
            return Err(DecodeError::new(
                1,
                DecodeErrorKind::UnsupportedMessageCode(raw.code.0),
            ));
        }
        if raw.multipart != 0 {
            return Err(DecodeError::new(
                HEADER_LEN - 1,
                DecodeErrorKind::UnexpectedChunk(raw.multipart),
            ));
        }
        let msg = body::body(&mut r, raw.header, raw.code)?;
        Ok(finish(msg, &r))
    }

    /// Decodes a body that was reassembled from chunks, given the header and code they
    /// carried. Error offsets are relative to the start of `body`.
    pub fn decode_body(
        header: Header,
        code: MessageCode,
        body: Bytes,
    ) -> Result<Decoded<Message>, DecodeError> {
        let mut r = Reader::new(&body);
        let msg = body::body(&mut r, header, code)?;
        Ok(finish(msg, &r))
    }
}

impl Value {
    /// Decodes one typed value (type byte + value) from the start of `input`.
    pub fn decode(input: Bytes) -> Result<Decoded<Value>, DecodeError> {
        let mut r = Reader::new(&input);
        let v = value::value(&mut r, 0)?;
        Ok(finish(v, &r))
    }
}

impl InfoTable {
    /// Decodes one InfoTable from the start of `input` (nesting level 1).
    pub fn decode(input: Bytes) -> Result<Decoded<InfoTable>, DecodeError> {
        let mut r = Reader::new(&input);
        let t = value::infotable(&mut r, 1)?;
        Ok(finish(t, &r))
    }
}
