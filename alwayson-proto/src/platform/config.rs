//! Platform session settings and the bind protection policy.

use crate::multipart::{ReassemblyBudget, ReassemblyLimits};
use std::time::Duration;

/// Identifies one websocket connection on the platform (chosen by the runtime, unique).
pub type ConnectionId = u64;

/// What happens when a thing already bound on another live connection is bound again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BindPolicy {
    /// The first binding stays; the new BIND is refused for that thing. Default.
    #[default]
    FirstInWins,
    /// The thing moves to the new connection; the previous connection is told.
    LastInWins,
}

/// Platform session settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlatformConfig {
    /// Close a connection that has not authenticated this long after it opened. Default 15 s.
    pub auth_timeout: Duration,
    /// Close a connection that has received nothing (no message, no ping) this long.
    /// Default 60 s (above the SDK's 55 s ping interval).
    pub idle_timeout: Duration,
    /// Wait for an edge's response to a platform request. Default 10 s.
    pub request_timeout: Duration,
    /// Chunk size for messages to the edge (lowered to the edge's `Max-Frame-Size` by the
    /// runtime). Default 8192.
    pub chunk_size: u16,
    /// Largest complete message sent to the edge. Default 1 MiB.
    pub max_message_size: usize,
    /// The edge's receive guard: when `Some(max)`, a multipart message to the edge is refused
    /// ([`crate::RequestError::ExceedsPeerLimit`], nothing sent) unless
    /// `chunk count × chunk size ≤ max`. An SDK edge drops larger messages *silently*
    /// (sdk-quirks.md Q9), so the platform would only see a timeout. Set `Some(16384)` for
    /// C SDK 1.3.1 edges with default settings (at most 2 chunks of 8192); 2.x edges accept
    /// 1 MiB. Default `None` (no guard beyond `max_message_size`).
    pub edge_max_message_size: Option<usize>,
    /// Bounds for inbound multipart reassembly, per connection.
    pub reassembly: ReassemblyLimits,
    /// Body bytes of incomplete inbound multipart messages held by *all* connections of an
    /// [`Endpoint`](super::Endpoint) together (one
    /// [`ReassemblyBudget`](crate::multipart::ReassemblyBudget)); a chunk beyond it is
    /// refused with an error answer. Default 64 MiB.
    pub reassembly_budget: usize,
    /// Most things one connection may hold bound; names beyond it in a BIND are refused
    /// (`0x83`, the reason names the cap). Default 10 000.
    pub max_things_per_connection: usize,
    /// Report `UpdateSubscribedPropertyValues` requests whose params carry the typed
    /// `values` table as [`PlatformEvent::Push`](super::PlatformEvent::Push), read with the
    /// borrowed decode and kept as their bytes (see [`Push`](super::Push)), instead of as
    /// [`PlatformEvent::Request`](super::PlatformEvent::Request). Default `false`.
    pub push_events: bool,
    /// How long a close of ours (the platform's [`close`](super::PlatformSession::close), a
    /// refused AUTH, an AUTH or idle deadline, an AUTH-first violation) waits for
    /// [`Input::Closed`](crate::Input::Closed) before the session ends anyway and emits
    /// `Closed`, as the edge's `EdgeConfig::close_timeout` bounds the edge's close.
    /// Default 5 s.
    pub close_timeout: Duration,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            auth_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
            chunk_size: 8192,
            max_message_size: 1024 * 1024,
            edge_max_message_size: None,
            reassembly: ReassemblyLimits::default(),
            reassembly_budget: ReassemblyBudget::DEFAULT,
            close_timeout: Duration::from_secs(5),
            max_things_per_connection: 10_000,
            push_events: false,
        }
    }
}
