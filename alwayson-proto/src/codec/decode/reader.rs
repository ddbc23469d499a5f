//! A position-tracking cursor over a shared [`Bytes`] buffer. Numbers are parsed with `nom`;
//! byte runs (strings, blobs) are returned as sub-slices of the buffer (no copy).
//!
//! The `fast_*` methods are the hand-rolled primitives of the InfoTable fast path
//! (`decode::fast`): plain bounds checks and `from_be_bytes`, `None` on any shortfall, no
//! error construction. They must accept exactly what the `nom`-based methods accept; when one
//! returns `None` the caller re-decodes with the `nom`-based path, which reports the error.

use crate::codec::{DecodeError, DecodeErrorKind, WireString};
use bytes::Bytes;
use nom::number::complete as num;
use nom::IResult;
use std::ops::Range;

pub(crate) type DResult<T> = Result<T, DecodeError>;

/// Cursor over `buf`; every error offset is relative to the start of `buf`.
pub(crate) struct Reader<'a> {
    buf: &'a Bytes,
    /// `buf` as a slice (saves re-reading the `Bytes` fields on every access).
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a Bytes) -> Self {
        Self {
            buf,
            data: buf,
            pos: 0,
        }
    }

    /// Current offset.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves back to an offset returned by [`Reader::pos`] (to re-decode after a fast-path
    /// failure).
    pub(crate) fn rewind(&mut self, pos: usize) {
        debug_assert!(pos <= self.pos);
        self.pos = pos;
    }

    // ------------------------------------------------------------ fast path primitives

    /// The next `N` bytes, or `None` (position unchanged) if fewer remain.
    #[inline(always)]
    pub(crate) fn fast_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let end = self.pos.checked_add(N)?;
        let bytes: [u8; N] = self.data.get(self.pos..end)?.try_into().ok()?;
        self.pos = end;
        Some(bytes)
    }

    #[inline(always)]
    pub(crate) fn fast_u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    #[inline(always)]
    pub(crate) fn fast_u16(&mut self) -> Option<u16> {
        self.fast_array().map(u16::from_be_bytes)
    }

    #[inline(always)]
    pub(crate) fn fast_u32(&mut self) -> Option<u32> {
        self.fast_array().map(u32::from_be_bytes)
    }

    /// Skips `len` bytes, returning their range, or `None` (position unchanged) if fewer
    /// remain.
    #[inline(always)]
    pub(crate) fn fast_skip(&mut self, len: usize) -> Option<Range<usize>> {
        let start = self.pos;
        let end = start.checked_add(len)?;
        if end > self.data.len() {
            return None;
        }
        self.pos = end;
        Some(start..end)
    }

    /// Skips a `str` exactly as [`Reader::string`] reads it, returning the range of its
    /// bytes (without the length prefix).
    #[inline(always)]
    pub(crate) fn fast_string_range(&mut self) -> Option<Range<usize>> {
        let b0 = *self.data.get(self.pos)?;
        let len = if b0 < 0x80 {
            self.pos += 1;
            usize::from(b0)
        } else {
            (self.fast_u32()? & 0x7FFF_FFFF) as usize
        };
        self.fast_skip(len)
    }

    /// The bytes of a range returned by `fast_skip`/`fast_string_range`, shared with the
    /// input buffer (an empty range takes no reference count).
    #[inline(always)]
    pub(crate) fn share(&self, range: Range<usize>) -> Bytes {
        self.buf.slice(range)
    }

    /// A `str` exactly as [`Reader::string`] reads it.
    #[inline(always)]
    pub(crate) fn fast_string(&mut self) -> Option<WireString> {
        let range = self.fast_string_range()?;
        Some(WireString::from_bytes(self.share(range)))
    }

    // ------------------------------------------------------------ checked primitives (nom)

    fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// Bytes not yet consumed.
    #[inline(always)]
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Everything after the current position, sharing the buffer.
    pub(crate) fn rest_bytes(&self) -> Bytes {
        if self.pos >= self.buf.len() {
            Bytes::new()
        } else {
            self.buf.slice(self.pos..)
        }
    }

    /// Consumes everything after the current position, sharing the buffer.
    pub(crate) fn take_rest(&mut self) -> Bytes {
        let rest = self.rest_bytes();
        self.pos = self.buf.len();
        rest
    }

    fn number<T>(
        &mut self,
        what: &'static str,
        size: usize,
        parser: fn(&'a [u8]) -> IResult<&'a [u8], T>,
    ) -> DResult<T> {
        let rest = self.rest();
        match parser(rest) {
            Ok((tail, v)) => {
                self.pos += rest.len() - tail.len();
                Ok(v)
            }
            Err(_) => Err(DecodeError::new(
                self.pos,
                DecodeErrorKind::Truncated {
                    what,
                    needed: size.saturating_sub(rest.len()),
                },
            )),
        }
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> DResult<u8> {
        self.number(what, 1, num::be_u8)
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> DResult<u16> {
        self.number(what, 2, num::be_u16)
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> DResult<u32> {
        self.number(what, 4, num::be_u32)
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> DResult<i32> {
        self.number(what, 4, num::be_i32)
    }

    pub(crate) fn i64(&mut self, what: &'static str) -> DResult<i64> {
        self.number(what, 8, num::be_i64)
    }

    pub(crate) fn f64(&mut self, what: &'static str) -> DResult<f64> {
        self.number(what, 8, num::be_f64)
    }

    /// Takes `declared` bytes announced by a length field that started at `len_at`.
    /// A length larger than the remaining input is [`DecodeErrorKind::LengthExceedsInput`]
    /// at the offset of the length field; nothing is allocated from the length.
    pub(crate) fn take(
        &mut self,
        declared: u64,
        len_at: usize,
        what: &'static str,
    ) -> DResult<Bytes> {
        let available = self.remaining();
        let n = match usize::try_from(declared) {
            Ok(n) if n <= available => n,
            _ => {
                return Err(DecodeError::new(
                    len_at,
                    DecodeErrorKind::LengthExceedsInput {
                        what,
                        declared,
                        available,
                    },
                ))
            }
        };
        let rest = self.rest();
        let res: IResult<&'a [u8], &'a [u8]> = nom::bytes::complete::take(n)(rest);
        match res {
            Ok((_, taken)) => {
                self.pos += n;
                Ok(self.buf.slice_ref(taken))
            }
            // Unreachable given the check above, but never panic.
            Err(_) => Err(DecodeError::new(
                len_at,
                DecodeErrorKind::LengthExceedsInput {
                    what,
                    declared,
                    available,
                },
            )),
        }
    }

    /// A canonical `str`: 1-byte length below 0x80, else 4 bytes big-endian with bit 31 set
    /// (the bit is masked off). The bytes are not validated as UTF-8. Read with the fast
    /// path; the `nom` path runs only to describe an error.
    pub(crate) fn string(&mut self, what: &'static str) -> DResult<WireString> {
        let at = self.pos;
        if let Some(s) = self.fast_string() {
            return Ok(s);
        }
        // Only to describe the error.
        self.pos = at;
        let b0 = self.u8(what)?;
        let len = if b0 < 0x80 {
            u64::from(b0)
        } else {
            self.pos = at;
            u64::from(self.u32(what)? & 0x7FFF_FFFF)
        };
        Ok(WireString::from_bytes(self.take(len, at, what)?))
    }
}
