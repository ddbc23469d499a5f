//! [`WireString`]: the protocol's length-prefixed string, kept as the bytes received.

use bytes::Bytes;
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
/// [`WireString::to_str_lossy`] (U+FFFD replacement). Decoded strings share the input
/// buffer (no copy).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WireString(Bytes);

impl WireString {
    /// The empty string.
    pub const fn new() -> Self {
        Self(Bytes::new())
    }

    /// A string from a `'static` str, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// A string holding arbitrary bytes (possibly not UTF-8).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self(bytes.into())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The raw bytes as a shared buffer.
    pub fn as_shared_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Consumes the string, returning its bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The text, if the bytes are valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The text, with invalid UTF-8 sequences replaced by U+FFFD.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Size of the length prefix on the wire: 1 byte below 128 bytes, else 4.
    pub fn prefix_len(&self) -> usize {
        if self.0.len() < 128 {
            1
        } else {
            4
        }
    }

    /// Size on the wire, prefix included.
    pub fn encoded_len(&self) -> usize {
        self.prefix_len() + self.0.len()
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
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for WireString {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&String> for WireString {
    fn from(s: &String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<Bytes> for WireString {
    fn from(b: Bytes) -> Self {
        Self(b)
    }
}

impl PartialEq<str> for WireString {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for WireString {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl std::borrow::Borrow<[u8]> for WireString {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}
