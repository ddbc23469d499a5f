//! A response body (codes ≥ 0x40, wire-format.md §4.4): reason marker (and reason), then
//! content (`05` + InfoTable or anything else for none); owned [`Response`], borrowed
//! [`ResponseRef`], length, writer and reader.
//!
//! **Header-only responses.** A response whose body is empty (the 15-byte header alone)
//! decodes as `Response { reason: None, content: None }`: the reference SDK accepts it
//! (tests/vectors/README.md, "SDK behaviour that the bytes alone do not show"). So does a
//! body that is only the reason marker `00` (the content-type byte missing at the very
//! end): the SDK stops reading when the body runs out, and "no content" is the only reading
//! of a missing content type. Both re-encode in the canonical form `00 FF`. Anything longer
//! that ends early is still [`super::DecodeErrorKind::Truncated`]: a body cut inside the
//! reason (marker `01`), inside the content type after a reason, or inside the InfoTable.

use super::build::Build;
use super::cursor::{Cursor, GrammarError};
use super::error::add_len;
use super::request::{opt_table_len, put_opt_table, read_table_or_none};
use super::wire_string::{put_str, read_str, str_len};
use super::{EncodeError, InfoTable, InfoTableRef, StatusCode, WireString};
use bytes::BufMut;

/// A response body (codes ≥ 0x40).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Status code (header byte 1).
    pub status: StatusCode,
    /// Reason text (marker `01` + string), or `None` (marker `00`). A decoder accepts any
    /// non-zero marker.
    pub reason: Option<WireString>,
    /// Content (`05` + InfoTable) or `None` (`FF`; any other byte is read as none).
    pub content: Option<InfoTable>,
}

impl Response {
    /// SUCCESS with no content: body `00 FF`.
    pub fn success() -> Self {
        Self {
            status: StatusCode::SUCCESS,
            reason: None,
            content: None,
        }
    }

    /// SUCCESS with content.
    pub fn with_content(content: InfoTable) -> Self {
        Self {
            status: StatusCode::SUCCESS,
            reason: None,
            content: Some(content),
        }
    }

    /// A failure with a reason.
    pub fn error(status: StatusCode, reason: impl Into<WireString>) -> Self {
        Self {
            status,
            reason: Some(reason.into()),
            content: None,
        }
    }
}

/// A response body, borrowed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ResponseRef<'a> {
    /// Status code.
    pub status: StatusCode,
    /// Reason (bytes as received), or `None` (marker `00`).
    pub reason: Option<&'a [u8]>,
    /// Content, or `None`.
    pub content: Option<InfoTableRef<'a>>,
}

impl<'a> ResponseRef<'a> {
    /// The owned [`Response`] given its content, strings built by `string`.
    pub(crate) fn owned_with(
        &self,
        string: impl Fn(&'a [u8]) -> WireString,
        content: Option<InfoTable>,
    ) -> Response {
        Response {
            status: self.status,
            reason: self.reason.map(string),
            content,
        }
    }

    /// The owned [`Response`] (strings copied).
    pub fn to_owned(&self) -> Response {
        let content = self.content.map(|t| t.to_owned());
        self.owned_with(WireString::copy_from_slice, content)
    }
}

/// Reads a response body; the view's `content` is left `None`, the content is returned as
/// built by `b`.
#[inline]
pub(crate) fn read<'a, E: GrammarError, B: Build<'a>>(
    c: &mut Cursor<'a>,
    status: StatusCode,
    b: &mut B,
) -> Result<(ResponseRef<'a>, Option<B::Table>), E> {
    // A body that ends before the reason marker, or right after a `00` reason marker, is a
    // response with no reason and no content (see the module docs).
    let reason = if c.remaining() == 0 {
        None
    } else if c.u8::<E>("reason marker")? != 0 {
        Some(read_str(c, "reason")?)
    } else {
        None
    };
    let content = if reason.is_none() && c.remaining() == 0 {
        None
    } else {
        read_table_or_none(c, "content type", b)?
    };
    let head = ResponseRef {
        status,
        reason,
        content: None,
    };
    Ok((head, content))
}

/// Length of the body, performing every check.
pub(crate) fn len(r: &Response) -> Result<usize, EncodeError> {
    let mut len = 1usize;
    if let Some(reason) = &r.reason {
        len = add_len(len, str_len(reason, "reason")?)?;
    }
    add_len(len, opt_table_len(&r.content)?)
}

/// Writes the body checked by [`len`].
pub(crate) fn put<B: BufMut>(buf: &mut B, r: &Response) {
    match &r.reason {
        Some(reason) => {
            buf.put_u8(0x01);
            put_str(buf, reason);
        }
        None => buf.put_u8(0x00),
    }
    put_opt_table(buf, &r.content);
}
