//! The reading side shared by every wire concept: a position-tracking [`Cursor`] over the
//! input bytes, and the [`GrammarError`] the grammar is generic over.
//!
//! The grammar (the `read` functions next to each type) is written once, generic over its
//! error type, and run twice at most:
//!
//! * with [`Fail`], a zero-sized error: the hot path builds no error value and carries no
//!   offset or context (a failed read is one branch);
//! * only when that fails, with [`DecodeError`] from the start of the same input, which stops
//!   at the same byte (same code, same control flow) and says where and why.
//!
//! Valid input is therefore read once; invalid input at most twice (both passes are linear).

use super::{DecodeError, DecodeErrorKind};

/// What a grammar function returns on malformed input.
pub(crate) trait GrammarError: Sized {
    /// The error at byte `offset`; `kind` is only called by error types that keep it.
    fn at(offset: usize, kind: impl FnOnce() -> DecodeErrorKind) -> Self;
}

/// The hot path's error: no offset, no kind, no cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fail;

impl GrammarError for Fail {
    #[inline(always)]
    fn at(_: usize, _: impl FnOnce() -> DecodeErrorKind) -> Self {
        Fail
    }
}

impl GrammarError for DecodeError {
    #[cold]
    fn at(offset: usize, kind: impl FnOnce() -> DecodeErrorKind) -> Self {
        DecodeError::new(offset, kind())
    }
}

/// Cursor over `data`; every error offset is relative to the start of `data`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    #[inline]
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// A cursor at `pos` of `data`.
    #[inline]
    pub(crate) fn at(data: &'a [u8], pos: usize) -> Self {
        Self { data, pos }
    }

    /// Moves back to an offset returned by [`Cursor::pos`].
    #[inline(always)]
    pub(crate) fn rewind(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// Current offset.
    #[inline(always)]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    #[inline(always)]
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Everything after the current position.
    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// The bytes from `start` to the current position.
    #[inline(always)]
    pub(crate) fn since(&self, start: usize) -> &'a [u8] {
        self.data.get(start..self.pos).unwrap_or_default()
    }

    /// Consumes everything after the current position.
    #[inline]
    pub(crate) fn take_rest(&mut self) -> &'a [u8] {
        let rest = self.rest();
        self.pos = self.data.len();
        rest
    }

    /// The next `N` bytes; fewer is [`DecodeErrorKind::Truncated`] `what` at the current
    /// position (which does not move).
    #[inline(always)]
    pub(crate) fn array<const N: usize, E: GrammarError>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], E> {
        let got = self
            .pos
            .checked_add(N)
            .and_then(|end| self.data.get(self.pos..end))
            .and_then(|s| <[u8; N]>::try_from(s).ok());
        match got {
            Some(bytes) => {
                self.pos += N;
                Ok(bytes)
            }
            None => Err(self.truncated(what, N)),
        }
    }

    #[cold]
    fn truncated<E: GrammarError>(&self, what: &'static str, size: usize) -> E {
        let remaining = self.remaining();
        E::at(self.pos, || DecodeErrorKind::Truncated {
            what,
            needed: size.saturating_sub(remaining),
        })
    }

    /// One byte.
    #[inline(always)]
    pub(crate) fn u8<E: GrammarError>(&mut self, what: &'static str) -> Result<u8, E> {
        match self.data.get(self.pos) {
            Some(b) => {
                self.pos += 1;
                Ok(*b)
            }
            None => Err(self.truncated(what, 1)),
        }
    }

    /// A big-endian `u16`.
    #[inline(always)]
    pub(crate) fn u16<E: GrammarError>(&mut self, what: &'static str) -> Result<u16, E> {
        self.array(what).map(u16::from_be_bytes)
    }

    /// A big-endian `u32`.
    #[inline(always)]
    pub(crate) fn u32<E: GrammarError>(&mut self, what: &'static str) -> Result<u32, E> {
        self.array(what).map(u32::from_be_bytes)
    }

    /// `declared` bytes announced by a length field that started at `len_at`. A length
    /// larger than the remaining input is [`DecodeErrorKind::LengthExceedsInput`] at the
    /// length field; nothing is allocated from the length.
    #[inline(always)]
    pub(crate) fn take<E: GrammarError>(
        &mut self,
        declared: u64,
        len_at: usize,
        what: &'static str,
    ) -> Result<&'a [u8], E> {
        let end = usize::try_from(declared)
            .ok()
            .and_then(|n| self.pos.checked_add(n));
        let taken = end.and_then(|end| Some((end, self.data.get(self.pos..end)?)));
        match taken {
            Some((end, bytes)) => {
                self.pos = end;
                Ok(bytes)
            }
            None => {
                let available = self.remaining();
                Err(E::at(len_at, || DecodeErrorKind::LengthExceedsInput {
                    what,
                    declared,
                    available,
                }))
            }
        }
    }
}

/// Where `part`, a slice of `base` (a view's borrow of the bytes it was read from), lies in
/// `base`: what a holder of those bytes keeps instead of the borrow. An empty `part`, or one
/// outside `base` (never for a view of `base`), is the empty range at 0, so a view made
/// again from it reads as empty rather than as other bytes.
pub(crate) fn range_in(base: &[u8], part: &[u8]) -> std::ops::Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
    match start.checked_add(part.len()) {
        Some(end) if !part.is_empty() && end <= base.len() => start..end,
        _ => 0..0,
    }
}

#[cfg(test)]
mod range_tests {
    use super::range_in;

    #[test]
    fn ranges_of_parts_and_of_strangers() {
        let base = b"0123456789".to_vec();
        assert_eq!(range_in(&base, &base[3..7]), 3..7);
        assert_eq!(range_in(&base, &base[..]), 0..10);
        assert_eq!(range_in(&base, &base[4..4]), 0..0);
        let other = b"0123".to_vec();
        assert_eq!(range_in(&base, &other), 0..0);
        assert_eq!(range_in(&other, &base), 0..0);
    }
}
