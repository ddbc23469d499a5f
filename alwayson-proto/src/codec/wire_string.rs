//! [`WireString`]: the protocol's length-prefixed string, kept as the bytes received.

use super::cursor::{Cursor, GrammarError};
use super::EncodeError;
use bytes::{BufMut, Bytes};
use std::borrow::Cow;
use std::fmt;

/// A string as it travels on the wire (`str` in the spec): a byte length prefix (1 byte
/// below 128, otherwise 4 bytes with bit 31 set) followed by the bytes.
///
/// **Invalid UTF-8 policy.** The reference SDK copies bytes verbatim and never validates
/// them (spec wire-format.md §5.6, open question 5), so a peer can send anything. A
/// `WireString` therefore keeps the *exact bytes* it was decoded from: decoding never
/// fails on bad UTF-8, re-encoding is byte-exact, and the caller chooses how to read it:
/// [`WireString::as_str`] (strict, `None` for invalid UTF-8) or
/// [`WireString::to_str_lossy`] (U+FFFD replacement).
///
/// **Storage.** Strings of up to [`WireString::INLINE_CAPACITY`] bytes (property names,
/// qualities, thing names, GUID-shaped app keys) are stored inline: no allocation and no
/// reference count. Longer decoded strings share the input buffer (one reference count, no
/// copy). Equality, ordering and hashing depend on the bytes only, never on the storage.
#[derive(Clone)]
pub struct WireString(Repr);

#[derive(Clone)]
enum Repr {
    /// The string as it goes on the wire: `buf[0]` is its length `len` ≤
    /// [`WireString::INLINE_CAPACITY`] (the 1-byte prefix), `buf[1..=len]` its bytes (the
    /// bytes after them are unspecified and never read). The writer copies `buf[..=len]`
    /// in one go.
    Inline([u8; WireString::INLINE_CAPACITY + 1]),
    Shared(Bytes),
}

impl WireString {
    /// Longest string stored inline (without allocation or reference count).
    pub const INLINE_CAPACITY: usize = 38;

    /// The empty string.
    pub const fn new() -> Self {
        Self(Repr::Inline([0; Self::INLINE_CAPACITY + 1]))
    }

    /// A string from a `'static` str, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Repr::Shared(Bytes::from_static(s.as_bytes())))
    }

    /// A string holding arbitrary bytes (possibly not UTF-8), kept in the given buffer.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self(Repr::Shared(bytes.into()))
    }

    /// A copy of `s`: inline when it fits, else in a new buffer.
    pub fn copy_from_slice(s: &[u8]) -> Self {
        Self::inline(s).unwrap_or_else(|| Self(Repr::Shared(Bytes::copy_from_slice(s))))
    }

    /// `s` stored inline, if it fits.
    #[inline]
    pub(crate) fn inline(s: &[u8]) -> Option<Self> {
        let len = u8::try_from(s.len()).ok()?;
        let mut buf = [0; Self::INLINE_CAPACITY + 1];
        buf.get_mut(1..=s.len())?.copy_from_slice(s);
        buf[0] = len;
        Some(Self(Repr::Inline(buf)))
    }

    /// A decoded string: inline when it fits, else shared with `buf` (of which `s` is a
    /// part).
    #[inline]
    pub(crate) fn shared_or_inline(buf: &Bytes, s: &[u8]) -> Self {
        if let Ok(len) = u8::try_from(s.len()) {
            // When the input holds the byte before `s` (its length prefix) and
            // `INLINE_CAPACITY` bytes from the start of `s`, copy that fixed-size window
            // (a few moves, no call, no zeroing) and set the length byte; the bytes past
            // `len` are then the input's next bytes, which are never read.
            let start = (s.as_ptr() as usize)
                .wrapping_sub(buf.as_ptr() as usize)
                .wrapping_sub(1);
            if let (true, Some(window)) = (
                s.len() <= Self::INLINE_CAPACITY,
                buf.get(start..)
                    .and_then(<[u8]>::first_chunk::<{ Self::INLINE_CAPACITY + 1 }>),
            ) {
                if window[1..].as_ptr() == s.as_ptr() {
                    let mut inline = *window;
                    inline[0] = len;
                    return Self(Repr::Inline(inline));
                }
            }
        }
        Self::inline(s).unwrap_or_else(|| Self(Repr::Shared(buf.slice_ref(s))))
    }

    /// The raw bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(buf) => buf.get(1..=usize::from(buf[0])).unwrap_or_default(),
            Repr::Shared(b) => b,
        }
    }

    /// The raw bytes as a shared buffer (a copy for an inline string).
    pub fn to_bytes(&self) -> Bytes {
        match &self.0 {
            Repr::Inline { .. } => Bytes::copy_from_slice(self.as_bytes()),
            Repr::Shared(b) => b.clone(),
        }
    }

    /// Consumes the string, returning its bytes (a copy for an inline string).
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Inline { .. } => Bytes::copy_from_slice(self.as_bytes()),
            Repr::Shared(b) => b,
        }
    }

    /// The text, if the bytes are valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }

    /// The text, with invalid UTF-8 sequences replaced by U+FFFD.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline(buf) => usize::from(buf[0]),
            Repr::Shared(b) => b.len(),
        }
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the length prefix on the wire: 1 byte below 128 bytes, else 4.
    pub fn prefix_len(&self) -> usize {
        if self.len() < 128 {
            1
        } else {
            4
        }
    }

    /// Size on the wire, prefix included.
    pub fn encoded_len(&self) -> usize {
        self.prefix_len() + self.len()
    }
}

impl Default for WireString {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for WireString {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for WireString {}

impl PartialOrd for WireString {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for WireString {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Hashes like `[u8]`, as [`std::borrow::Borrow`] requires.
impl std::hash::Hash for WireString {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for WireString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => fmt::Debug::fmt(s, f),
            None => write!(f, "b{:?}", self.to_str_lossy()),
        }
    }
}

impl fmt::Display for WireString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

impl From<&str> for WireString {
    fn from(s: &str) -> Self {
        Self::copy_from_slice(s.as_bytes())
    }
}

impl From<String> for WireString {
    fn from(s: String) -> Self {
        Self::inline(s.as_bytes()).unwrap_or_else(|| Self(Repr::Shared(Bytes::from(s))))
    }
}

impl From<&String> for WireString {
    fn from(s: &String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<Bytes> for WireString {
    fn from(b: Bytes) -> Self {
        Self(Repr::Shared(b))
    }
}

impl PartialEq<str> for WireString {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for WireString {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl std::borrow::Borrow<[u8]> for WireString {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

// ---------------------------------------------------------------- length, writer, reader

/// Longest string the 4-byte length prefix can carry.
pub(crate) const MAX_STR_LEN: usize = 0x7FFF_FFFF;

/// Size on the wire (prefix included) of a string of `len` bytes, or
/// [`EncodeError::TooLong`] for `what`.
#[inline(always)]
pub(crate) fn str_len(s: &WireString, what: &'static str) -> Result<usize, EncodeError> {
    let n = s.len();
    if n < 128 {
        Ok(1 + n)
    } else if n <= MAX_STR_LEN {
        Ok(4 + n)
    } else {
        Err(EncodeError::TooLong { what, len: n })
    }
}

/// Writes a string in the canonical form: 1-byte length below 128 bytes, else 4 bytes with
/// bit 31 set (wire-format.md §5.1). The length was checked by [`str_len`].
#[inline(always)]
pub(crate) fn put_str<B: BufMut>(buf: &mut B, s: &WireString) {
    if let Repr::Inline(inline) = &s.0 {
        // Prefix and bytes as stored: one copy.
        buf.put_slice(inline.get(..=usize::from(inline[0])).unwrap_or_default());
        return;
    }
    let b = s.as_bytes();
    let n = b.len();
    if n < 128 {
        buf.put_u8(n as u8);
    } else {
        buf.put_u32((n as u32) | 0x8000_0000);
    }
    buf.put_slice(b);
}

/// Reads a canonical `str`: 1-byte length below 0x80, else 4 bytes big-endian with bit 31
/// set (the bit is masked off). The bytes are not validated as UTF-8. A short prefix is
/// `Truncated` `what`, a length past the input `LengthExceedsInput` `what`, both at the
/// prefix.
#[inline(always)]
pub(crate) fn read_str<'a, E: GrammarError>(
    c: &mut Cursor<'a>,
    what: &'static str,
) -> Result<&'a [u8], E> {
    let at = c.pos();
    let b0 = c.u8(what)?;
    let len = if b0 < 0x80 {
        u64::from(b0)
    } else {
        c.rewind(at);
        u64::from(c.u32::<E>(what)? & 0x7FFF_FFFF)
    };
    c.take(len, at, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    fn hash<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn storage_does_not_change_equality_order_or_hash() {
        for len in [
            0,
            1,
            WireString::INLINE_CAPACITY,
            WireString::INLINE_CAPACITY + 1,
            200,
        ] {
            let text = vec![b'x'; len];
            let inline = WireString::copy_from_slice(&text);
            let shared = WireString::from_bytes(text.clone());
            assert_eq!(inline, shared);
            assert_eq!(inline.as_bytes(), &text[..]);
            assert_eq!(inline.len(), len);
            assert_eq!(inline.cmp(&shared), std::cmp::Ordering::Equal);
            assert_eq!(hash(&inline), hash(&text[..]));
            assert_eq!(hash(&shared), hash(&text[..]));
            assert_eq!(inline.to_bytes(), Bytes::from(text.clone()));
            assert_eq!(inline.clone().into_bytes(), Bytes::from(text));
        }
        let (a, b) = (WireString::from("a"), WireString::from_bytes(&b"b"[..]));
        assert!(a < b);
        assert_eq!(WireString::new(), WireString::default());
        assert_eq!(WireString::from_static("GOOD"), "GOOD");
    }

    #[test]
    fn decoded_strings_are_inline_up_to_the_capacity() {
        let buf = Bytes::from(vec![b'y'; 100]);
        let short = WireString::shared_or_inline(&buf, &buf[..WireString::INLINE_CAPACITY]);
        assert!(matches!(short.0, Repr::Inline { .. }));
        let long = WireString::shared_or_inline(&buf, &buf[..WireString::INLINE_CAPACITY + 1]);
        assert!(matches!(long.0, Repr::Shared(_)));
        assert_eq!(long.as_bytes(), &buf[..WireString::INLINE_CAPACITY + 1]);
    }

    #[test]
    fn a_short_string_decoded_from_the_window_reencodes_canonically() {
        // A non-canonical 4-byte prefix: the byte before the string is 3 by chance, the
        // window path must still set the length itself; then one canonical and one whose
        // preceding byte is not its length.
        let mut input = vec![0x80, 0, 0, 3, b'a', b'b', b'c', 9, b'x', b'y'];
        input.resize(100, b'z');
        let buf = Bytes::from(input);
        for (range, text) in [(4..7, &b"abc"[..]), (8..10, b"xy"), (5..7, b"bc")] {
            let s = WireString::shared_or_inline(&buf, &buf[range]);
            assert!(matches!(s.0, Repr::Inline(_)));
            assert_eq!((s.as_bytes(), s.len()), (text, text.len()));
            let mut out = Vec::new();
            put_str(&mut out, &s);
            assert_eq!(out[0] as usize, text.len());
            assert_eq!(&out[1..], text);
        }
    }
}
