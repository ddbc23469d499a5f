//! The AlwaysOn codec: bytes ⇄ typed messages, values and InfoTables.
//!
//! Decoding works on [`bytes::Bytes`] and shares the input buffer for strings and blobs;
//! encoding computes the exact length first and writes into one [`bytes::BytesMut`].

mod base_type;
mod body;
mod code;
mod decode;
mod display;
mod encode;
mod entity;
mod error;
mod infotable;
mod message;
mod value;
mod wire_string;

pub use base_type::BaseType;
pub use body::{Auth, Bind, Claim, Gateway, Request, RequestHeader, Response};
pub use code::{CodeKind, MessageCode, Method, StatusCode};
pub use entity::{Characteristic, EntityType};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use infotable::{Aspect, DataShape, FieldDefinition, InfoTable, Row};
pub use message::{
    Body, Chunk, ChunkEntity, Decoded, Frame, Header, Message, AUTH_SESSION_ID, CHUNK_HEADER_LEN,
    HEADER_LEN, MAX_NESTING_DEPTH,
};
pub use value::{Location, Value};
pub use wire_string::WireString;
