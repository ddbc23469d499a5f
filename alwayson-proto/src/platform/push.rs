//! [`Push`]: an edge's `UpdateSubscribedPropertyValues` request kept as the bytes it arrived
//! in, read once with the borrowed decode (the platform's hot path when it ingests edge
//! data).
//!
//! With [`PlatformConfig::push_events`](super::PlatformConfig::push_events) on, a session
//! looks at the characteristic and its name of every complete POST request (single frame or
//! reassembled) before decoding it. A push is read once with the borrowed grammar of
//! [`MessageRef`](crate::MessageRef) (validated, nothing allocated, the same errors as the
//! owned decode), whose builder also notes where the `values` InfoTable lies, and, when the
//! params carry that table, reported as
//! [`PlatformEvent::Push`](super::PlatformEvent::Push): the bytes plus where the request's
//! parts lie in them, so [`Push::updates`] walks the rows without reading them again and
//! the application converts to owned only what it keeps. Any other message, and a push
//! without a typed `values` table (a `_content_` JSON body), is decoded as before and
//! reported as a [`PlatformEvent::Request`](super::PlatformEvent::Request).

use crate::codec::build::{Build, TableSpan, View};
use crate::codec::cursor::Fail;
use crate::codec::header::RawHeader;
use crate::codec::infotable::TableAt;
use crate::codec::message::{decode_ref, read_body, read_message, view_message};
use crate::codec::request::{peek_target, RequestAt};
use crate::codec::{
    BodyRef, DecodeError, FrameRef, Header, Message, MessageCode, MessageRef, Request,
};
use crate::codec::{FieldRef, InfoTableRef, RequestRef, RowRef, ValueRef, HEADER_LEN};
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
    /// The nested `values` table and the columns of its fields (found once).
    values: TableAt,
    columns: [Option<usize>; 4],
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
        PropertyUpdates {
            rows: self.values.view(&self.bytes).rows(),
            columns: self.columns,
        }
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
    /// those of [`Frame::decode`](crate::Frame::decode). For an embedder holding pushes
    /// outside a session (a capture, a test).
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

    /// A push of `header` over `bytes`, when `request` (read from them) carries the typed
    /// `values` table (`values`, found while validating).
    fn over(
        header: Header,
        bytes: Bytes,
        request: &RequestRef<'_>,
        values: Option<InfoTableRef<'_>>,
    ) -> Option<Push> {
        if !is_push_target(request.characteristic, request.characteristic_name) {
            return None;
        }
        let values = values?;
        let columns = PropertyUpdates::of(values).columns;
        let (request, values) = (RequestAt::of(&bytes, request), TableAt::of(&bytes, &values));
        Some(Push {
            header,
            bytes,
            request,
            values,
            columns,
        })
    }

    /// The push, or the owned message when `m` is not one after all.
    fn or_message(
        header: Header,
        bytes: &Bytes,
        m: MessageRef<'_>,
        values: Option<InfoTableRef<'_>>,
    ) -> Inbound {
        if let BodyRef::Request(r) = &m.body {
            if let Some(push) = Self::over(header, bytes.clone(), r, values) {
                return Inbound::Push(push);
            }
        }
        Inbound::Message(m.to_owned())
    }

    /// Reads a complete single-frame message that [`is_candidate_frame`] chose: a [`Push`],
    /// or the owned message when it is not one after all. Errors are those of
    /// [`Message::decode`].
    pub(crate) fn read_message(bytes: Bytes) -> Result<Inbound, DecodeError> {
        let (mut fast, mut detail) = (Scan::default(), Scan::default());
        let decoded = decode_ref(
            &bytes,
            |c| read_message::<Fail, _>(c, &mut fast).map(|(h, p)| view_message(h, p)),
            |c| read_message::<DecodeError, _>(c, &mut detail).map(|(h, p)| view_message(h, p)),
        )?;
        // `fast` failed only if the bytes are malformed, and then `detail` reported it.
        let m = decoded.value;
        Ok(Self::or_message(m.header, &bytes, m, fast.values))
    }

    /// [`read_message`](Self::read_message) for a reassembled body (errors as
    /// [`Message::decode_body`]'s, wrapped like the reassembler's).
    pub(crate) fn read_assembled(a: Assembled) -> Result<Inbound, InboundError> {
        let raw = RawHeader {
            header: a.header,
            code: a.code,
            multipart: 0,
        };
        let (mut fast, mut detail) = (Scan::default(), Scan::default());
        let decoded = decode_ref(
            &a.body,
            |c| read_body::<Fail, _>(c, a.code, &mut fast).map(|p| view_message(raw, p)),
            |c| read_body::<DecodeError, _>(c, a.code, &mut detail).map(|p| view_message(raw, p)),
        );
        let m = decoded.map_err(ReassemblyError::Decode)?.value;
        Ok(Self::or_message(a.header, &a.body, m, fast.values))
    }
}

/// The borrowed decode's builder ([`View`]) that also notes, while validating, the cell of
/// the first field named `values` in the first row of the body's table (nesting level 1)
/// when it is an INFOTABLE: what [`RequestRef::property_updates`] would look up, found
/// without walking the table again.
#[derive(Default)]
struct Scan<'a> {
    /// Tables open around what is being read (1: the body's table; a VARIANT does not
    /// count, unlike nesting levels).
    depth: usize,
    /// Column of the first level-1 field named `values`, and how many level-1 fields were
    /// seen.
    values_col: Option<usize>,
    fields: usize,
    /// The level-1 table is reading its rows (its fields' aspects are behind).
    in_rows: bool,
    /// Column of the next level-1 cell.
    col: usize,
    /// The INFOTABLE value just read as a level-1 cell (a cell of nesting level 2), until
    /// that cell is counted.
    cell_table: Option<InfoTableRef<'a>>,
    values: Option<InfoTableRef<'a>>,
}

impl<'a> Build<'a> for Scan<'a> {
    type Value = ValueRef<'a>;
    type Aspects = ();
    type Field = FieldRef<'a>;
    type Fields = usize;
    type Rows = usize;
    type Table = InfoTableRef<'a>;

    #[inline(always)]
    fn leaf(&mut self, v: ValueRef<'a>) -> ValueRef<'a> {
        View.leaf(v)
    }
    #[inline(always)]
    fn variant(&mut self, inner: ValueRef<'a>, bytes: &'a [u8], depth: usize) -> ValueRef<'a> {
        View.variant(inner, bytes, depth)
    }
    #[inline(always)]
    fn table_value(&mut self, t: InfoTableRef<'a>) -> ValueRef<'a> {
        // Level 2 while the level-1 rows are read: a cell of the level-1 table (inside a
        // VARIANT it would be level 3; an aspect is read before the rows).
        if self.in_rows && t.span.depth == 2 {
            self.cell_table = Some(t);
        }
        View.table_value(t)
    }
    #[inline(always)]
    fn aspects(&mut self, _: u16, _: usize) {}
    #[inline(always)]
    fn aspect(&mut self, _: &mut (), _: &'a [u8], _: ValueRef<'a>) {}
    #[inline(always)]
    fn field(&mut self, head: FieldRef<'a>, _: ()) -> FieldRef<'a> {
        head
    }
    #[inline(always)]
    fn fields(&mut self) -> usize {
        // Every table starts with its fields.
        self.depth += 1;
        0
    }
    #[inline(always)]
    fn push_field(&mut self, fields: &mut usize, f: FieldRef<'a>) {
        if self.depth == 1 {
            if self.values_col.is_none() && f.name == b"values" {
                self.values_col = Some(self.fields);
            }
            self.fields += 1;
        }
        *fields += 1;
    }
    #[inline(always)]
    fn rows(&mut self) -> usize {
        self.in_rows |= self.depth == 1;
        0
    }
    #[inline(always)]
    fn cell(&mut self, rows: &mut usize, _: ValueRef<'a>) {
        // (The cell's value is not looked at: `table_value` noted it if it is a table, so
        // the view of every cell need not be built.)
        if self.depth == 1 {
            let table = self.cell_table.take();
            if *rows == 0 && self.values_col == Some(self.col) {
                self.values = table;
            }
            self.col += 1;
        }
    }
    #[inline(always)]
    fn end_row(&mut self, rows: &mut usize, head: RowRef<'a>, remaining: usize) {
        if self.depth == 1 {
            self.col = 0;
        }
        View.end_row(rows, head, remaining);
    }
    #[inline(always)]
    fn table(&mut self, span: TableSpan<'a>, fields: usize, rows: usize) -> InfoTableRef<'a> {
        self.depth -= 1;
        View.table(span, fields, rows)
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
