//! Encoding into `BytesMut` with the exact length computed first. STUB: to be implemented.

use super::*;
use bytes::{Bytes, BytesMut};

impl Message {
    /// Exact encoded length (header + body).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        todo!()
    }

    /// Appends the encoded message (multipart byte 0) to `buf`.
    pub fn encode_into(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let _ = buf;
        todo!()
    }

    /// Encodes the message into a buffer of exactly the right size.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        todo!()
    }
}

impl Value {
    /// Exact encoded length (type byte included).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        todo!()
    }

    /// Appends the typed value to `buf`.
    pub fn encode_into(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let _ = buf;
        todo!()
    }
}

impl InfoTable {
    /// Exact encoded length.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        todo!()
    }

    /// Appends the InfoTable to `buf`.
    pub fn encode_into(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let _ = buf;
        todo!()
    }
}
