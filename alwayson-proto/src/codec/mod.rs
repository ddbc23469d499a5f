//! The AlwaysOn codec: bytes ⇄ typed messages, values and InfoTables.
//!
//! One file per wire concept, each with its owned type, its borrowed view, its length, its
//! writer and its reader side by side (`header`, `wire_string`, `value`, `infotable`,
//! `auth`, `bind`, `request`, `response`, `chunk`, `message`). The reader is one grammar,
//! generic over its error type (`cursor`) and over what it builds (`build`):
//!
//! * the **owned decode** ([`Message::decode`], [`Frame::decode`], [`InfoTable::decode`],
//!   [`Value::decode`]) works on [`bytes::Bytes`] and builds the owned types in one pass:
//!   strings of up to [`WireString::INLINE_CAPACITY`] bytes inline, longer strings and blobs
//!   shared with the input buffer;
//! * the **borrowed decode** ([`MessageRef::decode`], [`FrameRef::decode`],
//!   [`InfoTableRef::decode`], [`ValueRef::decode`]) works on `&[u8]`, validates once and
//!   allocates nothing, whatever the message (nested tables and VARIANTs included); its
//!   views iterate over fields, rows, cells, claims and names, and convert to the owned
//!   types (`to_owned`).
//!
//! Both report the same errors (kind and offset). Encoding computes the exact length first
//! (performing every check) and writes into one buffer.

mod auth;
mod base_type;
mod bind;
pub(crate) mod build;
mod chunk;
mod code;
pub(crate) mod cursor;
mod display;
mod entity;
mod error;
pub(crate) mod header;
pub(crate) mod infotable;
pub(crate) mod message;
pub(crate) mod request;
mod response;
mod value;
mod variant;
mod wire_string;

pub use auth::{Auth, AuthRef, Claim, Claims, Pairs};
pub use base_type::BaseType;
pub use bind::{Bind, BindRef, Gateway, Names};
pub use chunk::{Chunk, ChunkEntity, ChunkRef, CHUNK_HEADER_LEN};
pub use code::{CodeKind, MessageCode, Method, StatusCode};
pub use display::Clipped;
pub use entity::{Characteristic, EntityType};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use header::{Header, AUTH_SESSION_ID, HEADER_LEN};
pub use infotable::{
    Aspect, Aspects, Cells, DataShape, FieldDefinition, FieldRef, Fields, InfoTable, InfoTableRef,
    RowRef, Rows, TableRows, TableRowsMut,
};
pub use message::{
    Body, BodyRef, Decoded, DecodedRef, Frame, FrameRef, Message, MessageRef, MAX_NESTING_DEPTH,
};
pub use request::{Request, RequestHeader, RequestRef};
pub use response::{Response, ResponseRef};
pub use value::{Location, Value, ValueRef, VariantRef};
pub use variant::Variant;
pub use wire_string::WireString;
