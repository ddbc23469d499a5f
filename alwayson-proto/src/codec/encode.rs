//! Encoding into `BytesMut` with the exact length computed first.
//!
//! `encode()` writes into a `Vec<u8>` of exactly the computed capacity and converts it to
//! [`Bytes`] without copying (measurably faster than `BytesMut` on the hot path);
//! `encode_into` appends to a caller's `BytesMut`.
//!
//! Every `encode_into` first runs the length pass (`encoded_len`), which also performs every
//! check (string/blob lengths, count fields, base types, nesting), then reserves exactly that
//! many bytes and writes without further checks. Strings are always written in the canonical
//! form: 1-byte length below 128 bytes, else 4 bytes with bit 31 set (wire-format.md §5.1).
//! Nesting levels are counted as in the decoder (see the `decode` module docs).

use super::*;
use bytes::{BufMut, Bytes, BytesMut};

type EResult<T> = Result<T, EncodeError>;

/// Longest string the 4-byte length prefix can carry.
const MAX_STR_LEN: usize = 0x7FFF_FFFF;
const INFOTABLE_TYPE: u8 = 0x05;
const NONE_TYPE: u8 = 0xFF;

fn add(a: usize, b: usize) -> EResult<usize> {
    a.checked_add(b).ok_or(EncodeError::TooLong {
        what: "encoding",
        len: usize::MAX,
    })
}

fn str_len(s: &WireString, what: &'static str) -> EResult<usize> {
    let n = s.len();
    if n < 128 {
        Ok(1 + n)
    } else if n <= MAX_STR_LEN {
        Ok(4 + n)
    } else {
        Err(EncodeError::TooLong { what, len: n })
    }
}

fn check_count(count: usize, max: usize, what: &'static str) -> EResult<()> {
    if count > max {
        Err(EncodeError::TooMany { what, count, max })
    } else {
        Ok(())
    }
}

fn enter(depth: usize) -> EResult<usize> {
    let d = depth.saturating_add(1);
    if d > MAX_NESTING_DEPTH {
        Err(EncodeError::NestingTooDeep {
            limit: MAX_NESTING_DEPTH,
        })
    } else {
        Ok(d)
    }
}

#[inline(always)]
fn put_str<B: BufMut>(buf: &mut B, s: &WireString) {
    let b = s.as_bytes();
    let n = b.len();
    if n < 128 {
        buf.put_u8(n as u8);
    } else {
        // Checked in the length pass: n <= 0x7FFF_FFFF.
        buf.put_u32((n as u32) | 0x8000_0000);
    }
    buf.put_slice(b);
}

// ---------------------------------------------------------------- values and tables

/// Length of a typed value. The scalar and string arms are inlined into the table loops;
/// the recursive arms live in [`nested_value_len`].
#[inline(always)]
fn value_len(v: &Value, depth: usize) -> EResult<usize> {
    Ok(match v {
        Value::Nothing => 1,
        Value::String(t, s) => {
            if !t.is_string_family() {
                return Err(EncodeError::UnsupportedBaseType(t.as_u8()));
            }
            add(1, str_len(s, "string value")?)?
        }
        Value::Number(_) | Value::DateTime(_) => 9,
        Value::Integer(_) => 5,
        Value::Boolean(_) => 2,
        Value::Location(_) => 25,
        _ => nested_value_len(v, depth)?,
    })
}

#[inline(never)]
fn nested_value_len(v: &Value, depth: usize) -> EResult<usize> {
    Ok(match v {
        Value::Blob(b) | Value::Image(b) => {
            if u32::try_from(b.len()).is_err() {
                return Err(EncodeError::TooLong {
                    what: "BLOB/IMAGE value",
                    len: b.len(),
                });
            }
            add(5, b.len())?
        }
        Value::InfoTable(t) => add(1, table_len(t, enter(depth)?)?)?,
        Value::Variant(inner) => add(1, value_len(inner, enter(depth)?)?)?,
        // Handled inline in `value_len`.
        _ => value_len(v, depth)?,
    })
}

/// Writes a typed value; scalar and string arms inline, recursive ones in
/// [`put_nested_value`].
#[inline(always)]
fn put_value<B: BufMut>(buf: &mut B, v: &Value) {
    match v {
        Value::Nothing => buf.put_u8(0xFF),
        Value::String(t, s) => {
            buf.put_u8(t.as_u8());
            put_str(buf, s);
        }
        Value::Number(x) => {
            buf.put_u8(0x01);
            buf.put_f64(*x);
        }
        Value::Integer(x) => {
            buf.put_u8(0x16);
            buf.put_i32(*x);
        }
        Value::Boolean(x) => {
            buf.put_u8(0x02);
            buf.put_u8(u8::from(*x));
        }
        Value::DateTime(x) => {
            buf.put_u8(0x03);
            buf.put_i64(*x);
        }
        _ => put_nested_value(buf, v),
    }
}

#[inline(never)]
fn put_nested_value<B: BufMut>(buf: &mut B, v: &Value) {
    match v {
        Value::Location(l) => {
            buf.put_u8(0x06);
            buf.put_f64(l.longitude);
            buf.put_f64(l.latitude);
            buf.put_f64(l.elevation);
        }
        Value::Blob(b) | Value::Image(b) => {
            buf.put_u8(v.base_type().as_u8());
            // Checked in the length pass: fits in u32.
            buf.put_u32(b.len() as u32);
            buf.put_slice(b);
        }
        Value::InfoTable(t) => {
            buf.put_u8(INFOTABLE_TYPE);
            put_table(buf, t);
        }
        Value::Variant(inner) => {
            buf.put_u8(0x12);
            put_value(buf, inner);
        }
        // Handled inline in `put_value`.
        _ => put_value(buf, v),
    }
}

/// Length of a table at nesting level `depth`.
fn table_len(t: &InfoTable, depth: usize) -> EResult<usize> {
    let mut len = 2usize; // the two 00 terminators
    for f in &t.data_shape.fields {
        check_count(f.aspects.len(), 0xFFFF, "DataShape aspects")?;
        len = add(len, 4)?; // marker, base type, aspect count
        len = add(len, str_len(&f.name, "field name")?)?;
        len = add(len, str_len(&f.description, "field description")?)?;
        for a in &f.aspects {
            len = add(len, str_len(&a.name, "aspect name")?)?;
            len = add(len, value_len(&a.value, depth)?)?;
        }
    }
    for row in &t.rows {
        check_count(row.len(), 0xFFFF, "row cells")?;
        len = add(len, 3)?; // marker + cell count
        for v in row {
            len = add(len, value_len(v, depth)?)?;
        }
    }
    Ok(len)
}

fn put_table<B: BufMut>(buf: &mut B, t: &InfoTable) {
    for f in &t.data_shape.fields {
        buf.put_u8(0x01);
        put_str(buf, &f.name);
        put_str(buf, &f.description);
        buf.put_u8(f.base_type.as_u8());
        buf.put_u16(f.aspects.len() as u16);
        for a in &f.aspects {
            put_str(buf, &a.name);
            put_value(buf, &a.value);
        }
    }
    buf.put_u8(0x00);
    for row in &t.rows {
        buf.put_u8(0x01);
        buf.put_u16(row.len() as u16);
        for v in row {
            put_value(buf, v);
        }
    }
    buf.put_u8(0x00);
}

fn opt_table_len(t: &Option<InfoTable>) -> EResult<usize> {
    match t {
        Some(t) => add(1, table_len(t, 1)?),
        None => Ok(1),
    }
}

fn put_opt_table<B: BufMut>(buf: &mut B, t: &Option<InfoTable>) {
    match t {
        Some(t) => {
            buf.put_u8(INFOTABLE_TYPE);
            put_table(buf, t);
        }
        None => buf.put_u8(NONE_TYPE),
    }
}

// ---------------------------------------------------------------- bodies

fn bind_len(b: &Bind) -> EResult<usize> {
    check_count(b.names.len(), 0xFFFF, "bind names")?;
    let mut len = 3usize; // flag + count
    if let Some(g) = &b.gateway {
        len = add(len, str_len(&g.name, "gateway name")?)?;
        len = add(len, str_len(&g.gateway_type, "gateway type")?)?;
    }
    for n in &b.names {
        len = add(len, str_len(n, "bind name")?)?;
    }
    Ok(len)
}

fn put_bind<B: BufMut>(buf: &mut B, b: &Bind) {
    match &b.gateway {
        Some(g) => {
            buf.put_u8(0x01);
            put_str(buf, &g.name);
            put_str(buf, &g.gateway_type);
        }
        None => buf.put_u8(0x00),
    }
    buf.put_u16(b.names.len() as u16);
    for n in &b.names {
        put_str(buf, n);
    }
}

fn request_len(r: &Request) -> EResult<usize> {
    check_count(r.headers.len(), 0xFF, "request headers")?;
    let mut len = 3usize; // entity type, characteristic, header count
    len = add(len, str_len(&r.entity_name, "entity name")?)?;
    len = add(len, str_len(&r.characteristic_name, "characteristic name")?)?;
    for h in &r.headers {
        len = add(len, str_len(&h.name, "request header name")?)?;
        len = add(len, str_len(&h.value, "request header value")?)?;
    }
    add(len, opt_table_len(&r.params)?)
}

fn body_len(body: &Body) -> EResult<usize> {
    match body {
        Body::Auth(a) => {
            check_count(a.claims.len(), 0xFF, "AUTH claims")?;
            let mut len = 1usize;
            for c in &a.claims {
                len = add(len, str_len(&c.name, "claim name")?)?;
                len = add(len, str_len(&c.value, "claim value")?)?;
            }
            Ok(len)
        }
        Body::Bind(b) | Body::Unbind(b) => bind_len(b),
        Body::Request(r) => request_len(r),
        Body::Response(r) => {
            let mut len = 1usize;
            if let Some(reason) = &r.reason {
                len = add(len, str_len(reason, "reason")?)?;
            }
            add(len, opt_table_len(&r.content)?)
        }
    }
}

fn put_body<B: BufMut>(buf: &mut B, body: &Body) {
    match body {
        Body::Auth(a) => {
            buf.put_u8(a.claims.len() as u8);
            for c in &a.claims {
                put_str(buf, &c.name);
                put_str(buf, &c.value);
            }
        }
        Body::Bind(b) | Body::Unbind(b) => put_bind(buf, b),
        Body::Request(r) => {
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
        Body::Response(r) => {
            match &r.reason {
                Some(reason) => {
                    buf.put_u8(0x01);
                    put_str(buf, reason);
                }
                None => buf.put_u8(0x00),
            }
            put_opt_table(buf, &r.content);
        }
    }
}

/// Runs the length pass, reserves, writes, and checks the written length in debug builds.
fn encode_with(buf: &mut BytesMut, len: usize, write: impl FnOnce(&mut BytesMut)) -> EResult<()> {
    buf.reserve(len);
    let start = buf.len();
    write(buf);
    debug_assert_eq!(
        buf.len() - start,
        len,
        "encoded length differs from encoded_len"
    );
    Ok(())
}

impl Message {
    /// Exact encoded length (header + body).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        add(HEADER_LEN, body_len(&self.body)?)
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
        debug_assert_eq!(buf.len(), len, "encoded length differs from encoded_len");
        Ok(Bytes::from(buf))
    }

    fn write<B: BufMut>(&self, buf: &mut B) {
        let h = &self.header;
        buf.put_u8(h.version);
        buf.put_u8(self.code().0);
        buf.put_u32(h.request_id);
        buf.put_u32(h.endpoint_id);
        buf.put_u32(h.session_id);
        buf.put_u8(0x00);
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

impl Value {
    /// Exact encoded length (type byte included).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        value_len(self, 0)
    }

    /// Appends the typed value to `buf`. Nothing is written on error.
    pub fn encode_into(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let len = self.encoded_len()?;
        encode_with(buf, len, |buf| put_value(buf, self))
    }

    /// Encodes the typed value into a buffer of exactly the right size.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        let len = self.encoded_len()?;
        let mut buf = Vec::with_capacity(len);
        put_value(&mut buf, self);
        debug_assert_eq!(buf.len(), len, "encoded length differs from encoded_len");
        Ok(Bytes::from(buf))
    }
}

impl InfoTable {
    /// Exact encoded length (the table at nesting level 1).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        table_len(self, 1)
    }

    /// Appends the InfoTable to `buf`. Nothing is written on error.
    pub fn encode_into(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let len = self.encoded_len()?;
        encode_with(buf, len, |buf| put_table(buf, self))
    }

    /// Encodes the InfoTable into a buffer of exactly the right size.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        let len = self.encoded_len()?;
        let mut buf = Vec::with_capacity(len);
        put_table(&mut buf, self);
        debug_assert_eq!(buf.len(), len, "encoded length differs from encoded_len");
        Ok(Bytes::from(buf))
    }
}

impl Request {
    /// Exact encoded length of this request as a message body (add [`HEADER_LEN`] for the
    /// whole message).
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        request_len(self)
    }
}
