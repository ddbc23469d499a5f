//! A request body (codes 0x01–0x04, wire-format.md §4): entity type and name,
//! characteristic and name, `u8` header count and headers, then params (`05` + InfoTable or
//! anything else for none); owned [`Request`], borrowed [`RequestRef`], length, writer and
//! reader.

use super::auth::{read_pairs, Pairs};
use super::build::Build;
use super::cursor::{range_in, Cursor, Fail, GrammarError};
use super::error::add_len;
use super::infotable::{self, put_table, table_len, TableAt};
use super::wire_string::{put_str, read_str, str_len};
use super::{
    BaseType, Characteristic, EncodeError, EntityType, InfoTable, InfoTableRef, Method, WireString,
};
use bytes::BufMut;
use std::ops::Range;

/// A request header name/value pair. The SDK never sends any and discards received ones;
/// this crate parses and keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    /// Header name.
    pub name: WireString,
    /// Header value.
    pub value: WireString,
}

/// A request body (codes 0x01–0x04).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// GET, PUT, POST or DELETE (the header's code byte).
    pub method: Method,
    /// Entity type, usually THING.
    pub entity_type: EntityType,
    /// Entity name (the thing's name).
    pub entity_name: WireString,
    /// PROPERTIES, SERVICES or EVENTS.
    pub characteristic: Characteristic,
    /// Property, service or event name.
    pub characteristic_name: WireString,
    /// Request headers (`u8` count).
    pub headers: Vec<RequestHeader>,
    /// Parameters (`05` + InfoTable), or `None` (`FF`). On decode, any params type byte other
    /// than `05` means "no parameters" and the bytes after it are reported as trailing, as
    /// the reference SDK does.
    pub params: Option<InfoTable>,
}

impl Request {
    /// A request on a thing with no headers.
    pub fn new(
        method: Method,
        thing: impl Into<WireString>,
        characteristic: Characteristic,
        name: impl Into<WireString>,
        params: Option<InfoTable>,
    ) -> Self {
        Self {
            method,
            entity_type: EntityType::Thing,
            entity_name: thing.into(),
            characteristic,
            characteristic_name: name.into(),
            headers: Vec::new(),
            params,
        }
    }
}

/// A request body, borrowed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RequestRef<'a> {
    /// GET, PUT, POST or DELETE.
    pub method: Method,
    /// Entity type.
    pub entity_type: EntityType,
    /// Entity name (bytes as received).
    pub entity_name: &'a [u8],
    /// PROPERTIES, SERVICES or EVENTS.
    pub characteristic: Characteristic,
    /// Property, service or event name (bytes as received).
    pub characteristic_name: &'a [u8],
    header_count: u8,
    header_bytes: &'a [u8],
    /// Parameters, or `None` (any params type byte other than `05`).
    pub params: Option<InfoTableRef<'a>>,
}

impl<'a> RequestRef<'a> {
    /// The request headers: (name, value), in wire order.
    pub fn headers(&self) -> Pairs<'a> {
        Pairs::new(
            self.header_bytes,
            usize::from(self.header_count),
            "request header name",
            "request header value",
        )
    }

    /// The owned [`Request`] given its params, strings built by `string`.
    pub(crate) fn owned_with(
        &self,
        string: impl Fn(&'a [u8]) -> WireString,
        params: Option<InfoTable>,
    ) -> Request {
        Request {
            method: self.method,
            entity_type: self.entity_type,
            entity_name: string(self.entity_name),
            characteristic: self.characteristic,
            characteristic_name: string(self.characteristic_name),
            headers: self
                .headers()
                .map(|(name, value)| RequestHeader {
                    name: string(name),
                    value: string(value),
                })
                .collect(),
            params,
        }
    }

    /// The owned [`Request`] (strings copied).
    pub fn to_owned(&self) -> Request {
        let params = self.params.map(|t| t.to_owned());
        self.owned_with(WireString::copy_from_slice, params)
    }
}

/// A [`RequestRef`] as offsets into the bytes it was read from: what a holder of those bytes
/// (a [`bytes::Bytes`]) keeps instead of the view's borrows, to make the view again later
/// without reading the bytes again.
#[derive(Debug, Clone)]
pub(crate) struct RequestAt {
    method: Method,
    entity_type: EntityType,
    entity_name: Range<usize>,
    characteristic: Characteristic,
    characteristic_name: Range<usize>,
    header_count: u8,
    header_bytes: Range<usize>,
    params: Option<TableAt>,
}

impl RequestAt {
    /// Where `r`, read from `base`, lies in it.
    pub(crate) fn of(base: &[u8], r: &RequestRef<'_>) -> Self {
        Self {
            method: r.method,
            entity_type: r.entity_type,
            entity_name: range_in(base, r.entity_name),
            characteristic: r.characteristic,
            characteristic_name: range_in(base, r.characteristic_name),
            header_count: r.header_count,
            header_bytes: range_in(base, r.header_bytes),
            params: r.params.as_ref().map(|t| TableAt::of(base, t)),
        }
    }

    /// The view again, over the same `base`.
    pub(crate) fn view<'a>(&self, base: &'a [u8]) -> RequestRef<'a> {
        let at = |r: &Range<usize>| base.get(r.clone()).unwrap_or_default();
        RequestRef {
            method: self.method,
            entity_type: self.entity_type,
            entity_name: at(&self.entity_name),
            characteristic: self.characteristic,
            characteristic_name: at(&self.characteristic_name),
            header_count: self.header_count,
            header_bytes: at(&self.header_bytes),
            params: self.params.as_ref().map(|t| t.view(base)),
        }
    }
}

/// The characteristic and its name of the request body at the start of `body`, read
/// without validating the rest (a cheap look before choosing a decode); `None` when the
/// bytes end before them.
pub(crate) fn peek_target(body: &[u8]) -> Option<(Characteristic, &[u8])> {
    let c = &mut Cursor::new(body);
    c.u8::<Fail>("entity type").ok()?;
    read_str::<Fail>(c, "entity name").ok()?;
    let characteristic = Characteristic::from(c.u8::<Fail>("characteristic type").ok()?);
    let name = read_str::<Fail>(c, "characteristic name").ok()?;
    Some((characteristic, name))
}

/// `05` + InfoTable (nesting level 1), or any other byte for none (the SDK stops parsing
/// there too).
#[inline]
pub(crate) fn read_table_or_none<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    what: &'static str,
    b: &mut B,
) -> Result<Option<B::Table>, E> {
    if c.u8::<E>(what)? == BaseType::InfoTable.as_u8() {
        Ok(Some(infotable::read(c, 1, b)?))
    } else {
        Ok(None)
    }
}

/// Reads a request body; the view's `params` is left `None`, the params are returned
/// as built by `b`.
#[inline]
pub(crate) fn read<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    method: Method,
    b: &mut B,
) -> Result<(RequestRef<'a>, Option<B::Table>), E> {
    let entity_type = EntityType::from(c.u8::<E>("entity type")?);
    let entity_name = read_str(c, "entity name")?;
    let characteristic = Characteristic::from(c.u8::<E>("characteristic type")?);
    let characteristic_name = read_str(c, "characteristic name")?;
    let header_count = c.u8::<E>("request header count")?;
    let header_bytes = read_pairs(
        c,
        usize::from(header_count),
        "request header name",
        "request header value",
    )?;
    let params = read_table_or_none(c, "params type", b)?;
    let head = RequestRef {
        method,
        entity_type,
        entity_name,
        characteristic,
        characteristic_name,
        header_count,
        header_bytes,
        params: None,
    };
    Ok((head, params))
}

/// Length of `05` + table, or 1 for none.
pub(crate) fn opt_table_len(t: &Option<InfoTable>) -> Result<usize, EncodeError> {
    match t {
        Some(t) => add_len(table_len(t, 1)?, 1),
        None => Ok(1),
    }
}

/// Writes `05` + table, or `FF` for none.
pub(crate) fn put_opt_table<B: BufMut>(buf: &mut B, t: &Option<InfoTable>) {
    match t {
        Some(t) => {
            buf.put_u8(BaseType::InfoTable.as_u8());
            put_table(buf, t);
        }
        None => buf.put_u8(BaseType::Nothing.as_u8()),
    }
}

/// Length of the body, performing every check.
pub(crate) fn len(r: &Request) -> Result<usize, EncodeError> {
    if r.headers.len() > 0xFF {
        return Err(EncodeError::TooMany {
            what: "request headers",
            count: r.headers.len(),
            max: 0xFF,
        });
    }
    let mut len = 3usize; // entity type, characteristic, header count
    len = add_len(len, str_len(&r.entity_name, "entity name")?)?;
    len = add_len(len, str_len(&r.characteristic_name, "characteristic name")?)?;
    for h in &r.headers {
        len = add_len(len, str_len(&h.name, "request header name")?)?;
        len = add_len(len, str_len(&h.value, "request header value")?)?;
    }
    add_len(len, opt_table_len(&r.params)?)
}

/// Writes the body checked by [`len`].
pub(crate) fn put<B: BufMut>(buf: &mut B, r: &Request) {
    buf.put_u8(r.entity_type.as_u8());
    put_str(buf, &r.entity_name);
    buf.put_u8(r.characteristic.as_u8());
    put_str(buf, &r.characteristic_name);
    buf.put_u8(r.headers.len() as u8);
    for h in &r.headers {
        put_str(buf, &h.name);
        put_str(buf, &h.value);
    }
    put_opt_table(buf, &r.params);
}

impl Request {
    /// Exact encoded length of this request as a message body (add
    /// [`super::HEADER_LEN`] for the whole message).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        len(self)
    }
}
