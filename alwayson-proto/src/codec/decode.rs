//! Decoding (nom over `Bytes`, sharing the input buffer). STUB: to be implemented.

use super::*;
use bytes::Bytes;

impl Frame {
    /// Decodes one websocket binary message: a complete message or a multipart chunk.
    pub fn decode(input: Bytes) -> Result<Decoded<Frame>, DecodeError> {
        let _ = input;
        todo!()
    }
}

impl Message {
    /// Decodes a complete (non-chunk) message. A multipart chunk is an error here; use
    /// [`Frame::decode`] when chunks may arrive.
    pub fn decode(input: Bytes) -> Result<Decoded<Message>, DecodeError> {
        let _ = input;
        todo!()
    }

    /// Decodes a body that was reassembled from chunks, given the header and code they
    /// carried. Error offsets are relative to the start of `body`.
    pub fn decode_body(
        header: Header,
        code: MessageCode,
        body: Bytes,
    ) -> Result<Decoded<Message>, DecodeError> {
        let _ = (header, code, body);
        todo!()
    }
}

impl Value {
    /// Decodes one typed value (type byte + value) from the start of `input`.
    pub fn decode(input: Bytes) -> Result<Decoded<Value>, DecodeError> {
        let _ = input;
        todo!()
    }
}

impl InfoTable {
    /// Decodes one InfoTable from the start of `input`.
    pub fn decode(input: Bytes) -> Result<Decoded<InfoTable>, DecodeError> {
        let _ = input;
        todo!()
    }
}
