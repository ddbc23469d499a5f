//! [`Push`]: an edge's `UpdateSubscribedPropertyValues` request kept as the bytes it arrived
//! in, read once with the borrowed decode (the platform's hot path when it ingests edge
//! data).
//!
//! With [`PlatformConfig::push_events`](super::PlatformConfig::push_events) on, a session
//! looks at the characteristic and its name of every complete POST request (single frame or
//! reassembled) before decoding it. A push is decoded with
//! [`MessageRef`](crate::MessageRef) (validated once, nothing allocated, the same errors as
//! the owned decode) and, when its params carry the `values` InfoTable, reported as
//! [`PlatformEvent::Push`](super::PlatformEvent::Push): the bytes plus where the request's
//! parts lie in them, so [`Push::updates`] walks the rows without reading them again and
//! the application converts to owned only what it keeps. Any other message, and a push
//! without a typed `values` table (a `_content_` JSON body), is decoded as before and
//! reported as a [`PlatformEvent::Request`](super::PlatformEvent::Request).

use crate::codec::request::{peek_target, RequestAt};
use crate::codec::{
    BodyRef, DecodeError, FrameRef, Header, Message, MessageCode, MessageRef, Request,
};
use crate::codec::{RequestRef, HEADER_LEN};
use crate::conventions::{is_push_target, PropertyUpdates};
use crate::multipart::{Assembled, ReassemblyError};
use crate::wire::InboundError;
use bytes::Bytes;

/// An `UpdateSubscribedPropertyValues` request from the edge, validated once and kept as
/// the bytes it arrived in; answer it like any request
/// ([`PlatformSession::respond`](super::PlatformSession::respond) with its
/// [`request_id`](Self::request_id)).
///
/// ```
/// use alwayson_proto::platform::{Push, PlatformEvent};
/// use alwayson_proto::Value;
/// # fn on_event(event: PlatformEvent) {
/// if let PlatformEvent::Push { id, push } = event {
///     for u in push.updates() {
///         // Borrowed: name, value view, time, quality; convert only what is kept.
///         let _kept: (&[u8], Value, i64) = (u.name, u.value.to_owned(), u.time);
///     }
///     let _ = (id, push.thing());
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Push {
    header: Header,
    /// What the request was read from: the whole websocket message (single frame) or the
    /// reassembled body.
    bytes: Bytes,
    request: RequestAt,
}

impl std::fmt::Debug for Push {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Push")
            .field("header", &self.header)
            .field(
                "thing",
                &crate::Clipped(&String::from_utf8_lossy(self.thing())).to_string(),
            )
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Equal when the requests are equal (the header and the bytes they were read from may
/// differ).
impl PartialEq for Push {
    fn eq(&self, other: &Self) -> bool {
        self.header == other.header && self.to_request() == other.to_request()
    }
}

/// What a complete inbound message became ([`crate::wire::Wire::receive_inbound`]).
#[derive(Debug)]
pub(crate) enum Inbound {
    /// Decoded to owned.
    Message(Message),
    /// An `UpdateSubscribedPropertyValues` request kept as its bytes.
    Push(Push),
}

impl Push {
    /// The message's header (request id, endpoint id, session id).
    pub fn header(&self) -> Header {
        self.header
    }

    /// The request id to answer.
    pub fn request_id(&self) -> u32 {
        self.header.request_id
    }

    /// The request, borrowed from the bytes (not read again).
    pub fn request(&self) -> RequestRef<'_> {
        self.request.view(&self.bytes)
    }

    /// The thing the values are for (the entity name, bytes as received).
    pub fn thing(&self) -> &[u8] {
        self.request().entity_name
    }

    /// The pushed values, borrowed: the same reading as
    /// [`RequestRef::property_updates`](crate::RequestRef::property_updates).
    pub fn updates(&self) -> PropertyUpdates<'_> {
        self.request().property_updates().unwrap_or_default()
    }

    /// The owned [`Request`], as [`PlatformEvent::Request`](super::PlatformEvent::Request)
    /// would have carried it (strings and values copied).
    pub fn to_request(&self) -> Request {
        self.request().to_owned()
    }

    /// The message's size on the wire (the body alone when it was reassembled).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true (a push has a header or a body).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Reads one complete websocket message as a push: `Ok(None)` when it is something else
    /// (another message, a chunk, or a push without the typed `values` table). Errors are
    /// those of [`Message::decode`]. For an embedder holding pushes outside a session (a
    /// capture, a test).
    ///
    /// ```
    /// use alwayson_proto::platform::Push;
    /// use alwayson_proto::{Body, Header, Message, PropertyUpdate, Request, Value};
    /// let request = Request::push_properties("Pump1", &[PropertyUpdate::new("temp", Value::Number(21.5), 7)]);
    /// let bytes = Message { header: Header::new(1, 2), body: Body::Request(request.clone()) }.encode()?;
    /// let push = Push::decode(bytes)?.expect("a push");
    /// assert_eq!(push.updates().count(), 1);
    /// assert_eq!(push.to_request(), request);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode(bytes: Bytes) -> Result<Option<Push>, DecodeError> {
        if !is_candidate_frame(&bytes) {
            // Not a push: whether the bytes are valid at all (nothing allocated).
            return FrameRef::decode(&bytes).map(|_| None);
        }
        match Self::read_message(bytes)? {
            Inbound::Push(push) => Ok(Some(push)),
            Inbound::Message(_) => Ok(None),
        }
    }

    /// Where `request` (read from `bytes`) lies in them, when it carries a typed `values`
    /// table.
    fn at(bytes: &[u8], request: &RequestRef<'_>) -> Option<RequestAt> {
        request.property_updates()?;
        Some(RequestAt::of(bytes, request))
    }

    /// Reads a complete single-frame message that [`is_candidate`] chose: a [`Push`], or
    /// the owned message when it is not one after all. Errors are those of
    /// [`Message::decode`].
    pub(crate) fn read_message(bytes: Bytes) -> Result<Inbound, DecodeError> {
        let m = MessageRef::decode(&bytes)?.value;
        let BodyRef::Request(r) = &m.body else {
            return Ok(Inbound::Message(m.to_owned()));
        };
        match Self::at(&bytes, r) {
            Some(request) => Ok(Inbound::Push(Push {
                header: m.header,
                bytes,
                request,
            })),
            None => Ok(Inbound::Message(m.to_owned())),
        }
    }

    /// [`read_message`](Self::read_message) for a reassembled body (errors as
    /// [`Message::decode_body`]'s, wrapped like the reassembler's).
    pub(crate) fn read_assembled(a: Assembled) -> Result<Inbound, InboundError> {
        let decoded = MessageRef::decode_body(a.header, a.code, &a.body);
        let m = decoded.map_err(ReassemblyError::Decode)?.value;
        let BodyRef::Request(r) = &m.body else {
            return Ok(Inbound::Message(m.to_owned()));
        };
        match Self::at(&a.body, r) {
            Some(request) => Ok(Inbound::Push(Push {
                header: a.header,
                bytes: a.body,
                request,
            })),
            None => Ok(Inbound::Message(m.to_owned())),
        }
    }
}

/// Whether a complete message with `code` and `body` (what follows the header) names the
/// push service: a POST to SERVICES `UpdateSubscribedPropertyValues`. Only the request's
/// head is looked at.
pub(crate) fn is_candidate(code: MessageCode, body: &[u8]) -> bool {
    code == MessageCode::POST
        && peek_target(body).is_some_and(|(ch, name)| is_push_target(ch, name))
}

/// [`is_candidate`] for a whole single-frame websocket message (multipart byte 0).
pub(crate) fn is_candidate_frame(bytes: &[u8]) -> bool {
    match (
        bytes.get(1),
        bytes.get(HEADER_LEN - 1),
        bytes.get(HEADER_LEN..),
    ) {
        (Some(&code), Some(0), Some(body)) => is_candidate(MessageCode(code), body),
        _ => false,
    }
}
