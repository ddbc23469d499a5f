//! Message codes (header byte 1): request methods, BIND/UNBIND, AUTH and response status.

use std::fmt;

/// The code byte of a message header (spec wire-format.md §3), kept as the raw byte so that
/// unknown response codes survive a round trip.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageCode(pub u8);

/// What a [`MessageCode`] means for the body that follows (wire-format.md §3.2).
// Exhaustive on purpose: the protocol fixes the message codes (responses are any other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// GET, PUT, POST or DELETE (0x01–0x04): a request body follows.
    Request(Method),
    /// BIND (0x0A).
    Bind,
    /// UNBIND (0x0B).
    Unbind,
    /// AUTH (0x14).
    Auth,
    /// Any code ≥ 0x40: a response body follows.
    Response(StatusCode),
    /// Anything else (0x00, KEEP_ALIVE 0x1F, unassigned): not decodable.
    Unsupported,
}

impl MessageCode {
    /// GET (0x01): property read.
    pub const GET: Self = Self(0x01);
    /// PUT (0x02): property write.
    pub const PUT: Self = Self(0x02);
    /// POST (0x03): service call or event.
    pub const POST: Self = Self(0x03);
    /// DELETE (0x04).
    pub const DELETE: Self = Self(0x04);
    /// BIND (0x0A).
    pub const BIND: Self = Self(0x0A);
    /// UNBIND (0x0B).
    pub const UNBIND: Self = Self(0x0B);
    /// AUTH (0x14).
    pub const AUTH: Self = Self(0x14);
    /// KEEP_ALIVE (0x1F): defined by the SDK, never used, rejected on receipt.
    pub const KEEP_ALIVE: Self = Self(0x1F);

    /// Classifies the code.
    pub fn kind(self) -> CodeKind {
        match self.0 {
            0x01 => CodeKind::Request(Method::Get),
            0x02 => CodeKind::Request(Method::Put),
            0x03 => CodeKind::Request(Method::Post),
            0x04 => CodeKind::Request(Method::Delete),
            0x0A => CodeKind::Bind,
            0x0B => CodeKind::Unbind,
            0x14 => CodeKind::Auth,
            b if b >= 0x40 => CodeKind::Response(StatusCode(b)),
            _ => CodeKind::Unsupported,
        }
    }

    /// Whether the code is a request method (0x01–0x04).
    pub fn is_request(self) -> bool {
        matches!(self.kind(), CodeKind::Request(_))
    }

    /// Whether the code is a response status (≥ 0x40).
    pub fn is_response(self) -> bool {
        self.0 >= 0x40
    }

    /// The protocol's name for the code (`"GET"`, `"BIND"`, `"NOT_FOUND"`, …).
    pub fn name(self) -> &'static str {
        match self.kind() {
            CodeKind::Request(m) => m.name(),
            CodeKind::Bind => "BIND",
            CodeKind::Unbind => "UNBIND",
            CodeKind::Auth => "AUTH",
            CodeKind::Response(s) => s.name(),
            CodeKind::Unsupported if self == Self::KEEP_ALIVE => "KEEP_ALIVE",
            CodeKind::Unsupported => "UNKNOWN",
        }
    }
}

impl fmt::Debug for MessageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(0x{:02x})", self.name(), self.0)
    }
}

impl fmt::Display for MessageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A request method.
// Exhaustive on purpose: the protocol fixes the methods (GET, PUT, POST, DELETE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET (0x01): property read.
    Get,
    /// PUT (0x02): property write.
    Put,
    /// POST (0x03): service invocation or event.
    Post,
    /// DELETE (0x04): defined, never sent by the SDK.
    Delete,
}

impl Method {
    /// The code byte.
    pub fn code(self) -> MessageCode {
        match self {
            Method::Get => MessageCode::GET,
            Method::Put => MessageCode::PUT,
            Method::Post => MessageCode::POST,
            Method::Delete => MessageCode::DELETE,
        }
    }

    /// `"GET"`, `"PUT"`, `"POST"` or `"DELETE"`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A response status (a code byte ≥ 0x40). Unknown values are kept, not rejected: any
/// status other than [`StatusCode::SUCCESS`] is a failure.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u8);

impl StatusCode {
    /// SUCCESS (2.00).
    pub const SUCCESS: Self = Self(0x40);
    /// BAD_REQUEST (4.00).
    pub const BAD_REQUEST: Self = Self(0x80);
    /// UNAUTHORIZED (4.01).
    pub const UNAUTHORIZED: Self = Self(0x81);
    /// BAD_OPTION (4.02).
    pub const BAD_OPTION: Self = Self(0x82);
    /// FORBIDDEN (4.03).
    pub const FORBIDDEN: Self = Self(0x83);
    /// NOT_FOUND (4.04).
    pub const NOT_FOUND: Self = Self(0x84);
    /// METHOD_NOT_ALLOWED (4.05).
    pub const METHOD_NOT_ALLOWED: Self = Self(0x85);
    /// NOT_ACCEPTABLE (4.06).
    pub const NOT_ACCEPTABLE: Self = Self(0x86);
    /// PRECONDITION_FAILED (4.12).
    pub const PRECONDITION_FAILED: Self = Self(0x8C);
    /// ENTITY_TOO_LARGE (4.13).
    pub const ENTITY_TOO_LARGE: Self = Self(0x8D);
    /// UNSUPPORTED_CONTENT_FORMAT (4.15).
    pub const UNSUPPORTED_CONTENT_FORMAT: Self = Self(0x8F);
    /// INTERNAL_SERVER_ERROR (5.00).
    pub const INTERNAL_SERVER_ERROR: Self = Self(0xA0);
    /// NOT_IMPLEMENTED (5.01).
    pub const NOT_IMPLEMENTED: Self = Self(0xA1);
    /// BAD_GATEWAY (5.02).
    pub const BAD_GATEWAY: Self = Self(0xA2);
    /// SERVICE_UNAVAILABLE (5.03).
    pub const SERVICE_UNAVAILABLE: Self = Self(0xA3);
    /// GATEWAY_TIMEOUT (5.04).
    pub const GATEWAY_TIMEOUT: Self = Self(0xA4);

    /// A status from its code byte; `None` below 0x40 (those bytes are not responses).
    pub const fn new(code: u8) -> Option<Self> {
        if code >= 0x40 {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The code byte.
    pub const fn as_u8(self) -> u8 {
        self.0
    }

    /// Whether this is SUCCESS.
    pub fn is_success(self) -> bool {
        self == Self::SUCCESS
    }

    /// The protocol's name, or `"UNKNOWN_STATUS"` for an unassigned code.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x40 => "SUCCESS",
            0x80 => "BAD_REQUEST",
            0x81 => "UNAUTHORIZED",
            0x82 => "BAD_OPTION",
            0x83 => "FORBIDDEN",
            0x84 => "NOT_FOUND",
            0x85 => "METHOD_NOT_ALLOWED",
            0x86 => "NOT_ACCEPTABLE",
            0x8C => "PRECONDITION_FAILED",
            0x8D => "ENTITY_TOO_LARGE",
            0x8F => "UNSUPPORTED_CONTENT_FORMAT",
            0xA0 => "INTERNAL_SERVER_ERROR",
            0xA1 => "NOT_IMPLEMENTED",
            0xA2 => "BAD_GATEWAY",
            0xA3 => "SERVICE_UNAVAILABLE",
            0xA4 => "GATEWAY_TIMEOUT",
            0xA5 => "WROTE_TO_OFFLINE_MSG_STORE",
            0xA6 => "OFFLINE_MSG_STORE_FULL",
            _ => "UNKNOWN_STATUS",
        }
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(0x{:02x})", self.name(), self.0)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
