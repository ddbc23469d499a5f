//! What a session asks its runtime to put on the websocket.

use bytes::Bytes;

/// One output of a session for the runtime to send, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transmit {
    /// One binary websocket message (a complete AlwaysOn message or one multipart chunk).
    Message(Bytes),
    /// A websocket ping (the edge's keep-alive).
    Ping,
    /// Close the websocket with this status code and reason text, then feed
    /// [`Input::Closed`](crate::Input::Closed) to the session when it is gone.
    Close {
        /// Websocket close status (1000 = normal, 1008 = policy violation, …).
        code: u16,
        /// Close reason text: at most [`MAX_CLOSE_REASON`] bytes, cut on a character boundary
        /// by the session (the reference SDK keeps ≤ 110 bytes, sdk-quirks.md Q38).
        reason: String,
    },
}

/// Websocket close status for a normal close.
pub const CLOSE_NORMAL: u16 = 1000;
/// Websocket close status for a protocol violation by the peer.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// Websocket close status for a policy violation (AUTH-first, auth deadline, bad credentials).
pub const CLOSE_POLICY_VIOLATION: u16 = 1008;

/// Longest close reason sent (the reference SDK keeps ≤ 110 bytes, sdk-quirks.md Q38).
pub const MAX_CLOSE_REASON: usize = 110;

/// A close reason as sent: `text` cut to at most [`MAX_CLOSE_REASON`] bytes on a character
/// boundary.
pub fn close_reason(text: &str) -> String {
    cut(text, MAX_CLOSE_REASON).to_owned()
}

/// `text` cut to at most `max` bytes on a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A peer's close frame in words, as both sides log it: `closed by the <who> (1000 normal
/// closure: <reason>)`, the reason [`Clipped`](crate::Clipped), left out when empty.
pub(crate) fn fmt_peer_close(
    f: &mut std::fmt::Formatter<'_>,
    who: &str,
    code: u16,
    reason: &str,
) -> std::fmt::Result {
    let what = match code {
        1000 => " normal closure",
        1001 => " going away",
        1002 => " protocol error",
        1005 => " no status",
        1008 => " policy violation",
        1009 => " message too big",
        _ => "",
    };
    if reason.is_empty() {
        write!(f, "closed by the {who} ({code}{what})")
    } else {
        write!(
            f,
            "closed by the {who} ({code}{what}: {})",
            crate::Clipped(reason)
        )
    }
}

/// Request ids for one side: pre-incremented like the reference SDK (the first id is 1),
/// wrapping past `u32::MAX` back to 1: id 0 is skipped because a response with id 0 can never
/// be matched by the SDK (sdk-quirks.md Q30).
#[derive(Debug, Clone)]
pub struct RequestIds {
    last: u32,
}

impl RequestIds {
    /// A generator whose first id is 1.
    pub fn new() -> Self {
        Self { last: 0 }
    }

    /// A generator whose first id is `first` (0 is replaced by 1). Useful in tests of
    /// wrap-around.
    pub fn starting_at(first: u32) -> Self {
        Self {
            last: first.wrapping_sub(1),
        }
    }

    /// The next request id (never 0).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u32 {
        self.last = self.last.wrapping_add(1);
        if self.last == 0 {
            self.last = 1;
        }
        self.last
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_are_cut_on_char_boundaries() {
        assert_eq!(close_reason("abc"), "abc");
        let long = "é".repeat(100); // 200 bytes
        let cut = close_reason(&long);
        assert_eq!(cut.len(), 110);
        assert_eq!(close_reason(&format!("a{long}")).len(), 109);
    }

    #[test]
    fn ids_start_at_one_and_wrap_past_max_skipping_zero() {
        let mut ids = RequestIds::new();
        assert_eq!(ids.next(), 1);
        assert_eq!(ids.next(), 2);
        let mut ids = RequestIds::starting_at(u32::MAX);
        assert_eq!(ids.next(), u32::MAX);
        assert_eq!(ids.next(), 1);
        let mut ids = RequestIds::starting_at(0);
        assert_eq!(ids.next(), 1);
    }
}
