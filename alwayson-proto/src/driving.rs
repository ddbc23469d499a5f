//! The shape both sessions share: what goes in ([`Input`]), what comes out ([`Output`]) and
//! the counters they keep ([`Stats`]).
//!
//! A runtime drives either session the same way (str0m's loop): feed every input with the
//! time it happened, then drain [`Output`]s until [`Output::Timeout`], sleep until that
//! deadline or the next input, repeat.

use crate::Transmit;
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::Instant;

/// Something that happened to a connection, handed to a session with the time it happened
/// (`handle_input(now, input)` on [`crate::EdgeSession`] and [`crate::PlatformSession`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// The websocket opened (edge: AUTH goes out; a platform session is created open, so
    /// this is a no-op there).
    Connected,
    /// One binary websocket message (a complete AlwaysOn message or one multipart chunk).
    Message(Bytes),
    /// A websocket ping arrived (the runtime answers it with a pong itself).
    Ping,
    /// A websocket pong arrived.
    Pong,
    /// The websocket is gone (after a requested close, a peer close or an IO error).
    Closed,
    /// The peer sent a websocket close frame with this status code and reason (1005 when
    /// the frame carried no status), and the websocket is gone. Like [`Input::Closed`],
    /// but the session reports the peer's words
    /// ([`CloseReason::PeerClosed`](crate::platform::CloseReason::PeerClosed),
    /// [`DisconnectReason::PeerClosed`](crate::edge::DisconnectReason::PeerClosed)) instead
    /// of a lost connection, unless it had asked for the close itself.
    PeerClosed {
        /// The close status code (1000: normal closure).
        code: u16,
        /// The close reason text.
        reason: String,
    },
    /// Edge: an attempt to open a websocket failed (TCP, TLS or the upgrade); counts for
    /// the reconnect policy. Nothing happens on the platform, which never sees it.
    ConnectFailed,
    /// A deadline from [`Output::Timeout`] may have passed (early or late is harmless).
    Timeout,
}

/// What a session wants done, drained with `poll_output()` after every input and command.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output<E> {
    /// Put this on the websocket (in order).
    Transmit(Transmit),
    /// Report this to the application.
    Event(E),
    /// Nothing more to do now: wake up at this deadline (with [`Input::Timeout`]) or at the
    /// next input; `None` means no deadline. Always the last output of a drain.
    Timeout(Option<Instant>),
}

/// Counters of a session (one value for both sessions; a field a side never counts stays 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Responses that arrived after their request timed out on this connection (the
    /// first answer to such an id; dropped, though the edge still acts on a late BIND
    /// answer).
    pub late_responses: u64,
    /// Responses whose request id matched nothing sent on this connection, or that
    /// answered a request already answered (dropped).
    pub unmatched_responses: u64,
    /// Platform: messages dropped because too many arrived while an AUTH decision was
    /// pending.
    pub dropped_messages: u64,
    /// Edge: inbound messages dropped without an answer (nothing but AUTH may be sent before
    /// authentication).
    pub ignored_messages: u64,
    /// Edge: inbound messages with bytes after a complete body (tolerated, sdk-quirks.md Q5/Q6).
    pub messages_with_trailing_bytes: u64,
    /// Messages after AUTH refused (bytes that do not decode, a refused chunk) and not
    /// answered: no readable header, or a code that takes no answer (a response). Those
    /// with a readable request, BIND or UNBIND header are answered with the error instead.
    pub unanswered_malformed: u64,
}

/// A session's outputs drained with `poll_output`, kept apart by kind (each kind in order;
/// the interleaving is lost): for tests and simulators that look at transmits and events
/// separately. A runtime drains `poll_output` itself.
///
/// ```
/// use alwayson_proto::edge::Credentials;
/// use alwayson_proto::{Drained, EdgeConfig, EdgeSession, Input, Transmit};
/// use std::time::Instant;
///
/// let mut edge = EdgeSession::new(EdgeConfig::new(Credentials::AppKey("k".into())));
/// edge.handle_input(Instant::now(), Input::Connected)?;
/// let mut out = Drained::new();
/// out.drain(|| edge.poll_output());
/// assert!(matches!(out.transmits.pop_front(), Some(Transmit::Message(_)))); // AUTH
/// assert!(out.timeout.is_some()); // the AUTH deadline
/// # Ok::<(), alwayson_proto::InboundError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Drained<E> {
    /// Events not taken yet, oldest first.
    pub events: VecDeque<E>,
    /// Transmits not taken yet, in order.
    pub transmits: VecDeque<Transmit>,
    /// The deadline that ended the last drain ([`Output::Timeout`]).
    pub timeout: Option<Instant>,
}

impl<E> Default for Drained<E> {
    fn default() -> Self {
        Self {
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            timeout: None,
        }
    }
}

impl<E> Drained<E> {
    /// Nothing drained yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends what `poll` (a session's `poll_output`) gives, up to its `Timeout`.
    pub fn drain(&mut self, mut poll: impl FnMut() -> Output<E>) {
        loop {
            match poll() {
                Output::Event(e) => self.events.push_back(e),
                Output::Transmit(t) => self.transmits.push_back(t),
                Output::Timeout(t) => {
                    self.timeout = t;
                    return;
                }
            }
        }
    }
}
