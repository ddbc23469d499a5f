//! Human-readable, multi-line rendering of frames, messages, InfoTables and values
//! (`impl Display`), for logs and the `decode` example.
//!
//! Scalars print on one line (`NUMBER 21.5`, `STRING "hi"`, `VARIANT(INTEGER 7)`); an
//! InfoTable prints its field definitions and then its rows, indented, and nested tables are
//! indented further. Strings are shown with Rust escaping (invalid UTF-8 lossily); blobs show
//! their length and up to 32 bytes of hex.

use super::*;
use std::fmt::{self, Display, Formatter, Write};

const BLOB_PREVIEW: usize = 32;

fn pad(f: &mut Formatter<'_>, indent: usize) -> fmt::Result {
    for _ in 0..indent {
        f.write_str("  ")?;
    }
    Ok(())
}

fn q(s: &WireString) -> String {
    format!("{:?}", s.to_str_lossy())
}

fn hex_preview(b: &[u8]) -> String {
    let mut out = String::new();
    for x in b.iter().take(BLOB_PREVIEW) {
        let _ = write!(out, "{x:02x}");
    }
    if b.len() > BLOB_PREVIEW {
        out.push('…');
    }
    out
}

fn base_type(t: BaseType) -> String {
    format!("{}(0x{:02x})", t.name(), t.as_u8())
}

/// Writes a value; scalars stay on the current line, tables continue on the next lines at
/// `indent + 1`.
fn write_value(f: &mut Formatter<'_>, v: &Value, indent: usize) -> fmt::Result {
    match v {
        Value::Nothing => f.write_str("NOTHING"),
        Value::String(t, s) => write!(f, "{} {}", t.name(), q(s)),
        Value::Number(x) => write!(f, "NUMBER {x:?}"),
        Value::Integer(x) => write!(f, "INTEGER {x}"),
        Value::Boolean(x) => write!(f, "BOOLEAN {x}"),
        Value::DateTime(x) => write!(f, "DATETIME {x} ms"),
        Value::Location(l) => write!(
            f,
            "LOCATION longitude {:?}, latitude {:?}, elevation {:?}",
            l.longitude, l.latitude, l.elevation
        ),
        Value::Blob(b) | Value::Image(b) => write!(
            f,
            "{} {} byte(s) {}",
            v.base_type().name(),
            b.len(),
            hex_preview(b)
        ),
        Value::InfoTable(t) => {
            f.write_str("INFOTABLE ")?;
            write_table(f, t, indent + 1)
        }
        Value::Variant(inner) => {
            f.write_str("VARIANT(")?;
            write_value(f, &inner.value(), indent)?;
            f.write_str(")")
        }
    }
}

/// Writes a table summary on the current line, then fields and rows at `indent`.
fn write_table(f: &mut Formatter<'_>, t: &InfoTable, indent: usize) -> fmt::Result {
    writeln!(
        f,
        "({} field(s), {} row(s))",
        t.data_shape.fields.len(),
        t.row_count()
    )?;
    pad(f, indent)?;
    f.write_str("fields:")?;
    if t.data_shape.fields.is_empty() {
        f.write_str(" (none)")?;
    }
    for (i, fd) in t.data_shape.fields.iter().enumerate() {
        writeln!(f)?;
        pad(f, indent + 1)?;
        write!(f, "[{i}] {} : {}", q(&fd.name), base_type(fd.base_type))?;
        if !fd.description.is_empty() {
            write!(f, ", description {}", q(&fd.description))?;
        }
        for a in &fd.aspects {
            writeln!(f)?;
            pad(f, indent + 2)?;
            write!(f, "aspect {} = ", q(&a.name))?;
            write_value(f, &a.value, indent + 2)?;
        }
    }
    writeln!(f)?;
    pad(f, indent)?;
    f.write_str("rows:")?;
    if t.is_empty() {
        f.write_str(" (none)")?;
    }
    for (i, row) in t.rows().enumerate() {
        writeln!(f)?;
        pad(f, indent + 1)?;
        write!(f, "[{i}]")?;
        for (j, cell) in row.iter().enumerate() {
            writeln!(f)?;
            pad(f, indent + 2)?;
            match t.data_shape.fields.get(j) {
                Some(fd) => write!(f, "{} = ", q(&fd.name))?,
                None => write!(f, "#{j} (no field) = ")?,
            }
            write_value(f, cell, indent + 2)?;
        }
    }
    Ok(())
}

fn write_header(f: &mut Formatter<'_>, h: &Header, code: MessageCode) -> fmt::Result {
    write!(
        f,
        "{code}  version {}, request id {}, endpoint id {}, session id {}",
        h.version, h.request_id, h.endpoint_id, h.session_id
    )?;
    if h.session_id == AUTH_SESSION_ID {
        f.write_str(" (0xffffffff)")?;
    }
    Ok(())
}

fn write_opt_table(
    f: &mut Formatter<'_>,
    label: &str,
    t: &Option<InfoTable>,
    indent: usize,
) -> fmt::Result {
    writeln!(f)?;
    pad(f, indent)?;
    match t {
        Some(t) => {
            write!(f, "{label}: InfoTable ")?;
            write_table(f, t, indent + 1)
        }
        None => write!(f, "{label}: none"),
    }
}

fn write_message(f: &mut Formatter<'_>, m: &Message) -> fmt::Result {
    f.write_str("message ")?;
    write_header(f, &m.header, m.code())?;
    match &m.body {
        Body::Auth(a) => {
            write!(f, "\n  claims: {}", a.claims.len())?;
            for c in &a.claims {
                write!(f, "\n    {} = {}", q(&c.name), q(&c.value))?;
            }
        }
        Body::Bind(b) | Body::Unbind(b) => {
            match &b.gateway {
                Some(g) => write!(
                    f,
                    "\n  gateway: name {}, type {}",
                    q(&g.name),
                    q(&g.gateway_type)
                )?,
                None => f.write_str("\n  gateway: none")?,
            }
            write!(f, "\n  names: {}", b.names.len())?;
            for n in &b.names {
                write!(f, "\n    {}", q(n))?;
            }
        }
        Body::Request(r) => {
            write!(
                f,
                "\n  entity: {}(0x{:02x}) {}",
                r.entity_type.name(),
                r.entity_type.as_u8(),
                q(&r.entity_name)
            )?;
            write!(
                f,
                "\n  characteristic: {}(0x{:02x}) {}",
                r.characteristic.name(),
                r.characteristic.as_u8(),
                q(&r.characteristic_name)
            )?;
            write!(f, "\n  headers: {}", r.headers.len())?;
            for h in &r.headers {
                write!(f, "\n    {} = {}", q(&h.name), q(&h.value))?;
            }
            write_opt_table(f, "params", &r.params, 1)?;
        }
        Body::Response(r) => {
            match &r.reason {
                Some(reason) => write!(f, "\n  reason: {}", q(reason))?,
                None => f.write_str("\n  reason: none")?,
            }
            write_opt_table(f, "content", &r.content, 1)?;
        }
    }
    Ok(())
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_value(f, self, 0)
    }
}

impl Display for InfoTable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("InfoTable ")?;
        write_table(f, self, 1)
    }
}

impl Display for Message {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_message(f, self)
    }
}

impl Display for Chunk {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("chunk ")?;
        write_header(f, &self.header, self.code)?;
        write!(
            f,
            "\n  chunk {} of {}, sender chunk size {}",
            self.chunk_id, self.chunk_count, self.chunk_size
        )?;
        if let Some(e) = &self.entity {
            write!(
                f,
                "\n  entity: {}(0x{:02x}) {}",
                e.entity_type.name(),
                e.entity_type.as_u8(),
                q(&e.entity_name)
            )?;
        }
        write!(
            f,
            "\n  data: {} byte(s) {}",
            self.data.len(),
            hex_preview(&self.data)
        )
    }
}

impl Display for Frame {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Frame::Message(m) => m.fmt(f),
            Frame::Chunk(c) => c.fmt(f),
        }
    }
}

/// Text for a log line: at most [`Clipped::MAX`] bytes (cut on a character boundary), then
/// `… (N bytes)` when it was longer. The one way a value, a name or a peer's text goes into a
/// log, so a peer cannot make one line megabytes long.
///
/// ```
/// use alwayson_proto::Clipped;
///
/// assert_eq!(Clipped("21.5").to_string(), "21.5");
/// let long = "x".repeat(100_000);
/// assert_eq!(
///     Clipped(&long).to_string(),
///     format!("{}… (100000 bytes)", "x".repeat(Clipped::MAX))
/// );
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Clipped<'a>(pub &'a str);

impl Clipped<'_> {
    /// Longest text shown whole, in bytes.
    pub const MAX: usize = 200;
}

impl Display for Clipped<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if text.len() <= Self::MAX {
            return f.write_str(text);
        }
        let mut end = Self::MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        write!(f, "{}… ({} bytes)", &text[..end], text.len())
    }
}
