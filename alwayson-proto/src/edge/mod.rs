//! The edge side: [`EdgeSession`] drives connect → AUTH → BIND, requests in both
//! directions, keep-alive and re-binding after reconnects (session-lifecycle.md §5–§11).
//!
//! # Edge driving loop
//!
//! The session owns no socket and no clock: the runtime feeds it what happened, with the
//! time, and drains what it wants sent, what it reports and when to wake it.
//!
//! ```
//! use alwayson_proto::edge::{
//!     Credentials, EdgeConfig, EdgeEvent, EdgeSession, GiveUp, Reconnect, ReconnectPolicy,
//! };
//! use alwayson_proto::{Input, Output, Response, Transmit};
//! use std::time::Instant;
//! # fn open_websocket() -> bool { false }
//! # fn recv() -> Option<bytes::Bytes> { None }
//! # fn send(_: Transmit) {}
//! # fn random() -> u64 { 4 }
//!
//! let mut config = EdgeConfig::new(Credentials::AppKey("key".into()));
//! config.reconnect = ReconnectPolicy::default().with_max_attempts(Some(3));
//! let mut edge = EdgeSession::new(config);
//! edge.bind(Instant::now(), ["Pump1"]);
//! // "When do I (re)connect?" — the session decides, the runtime draws the jitter.
//! while let Reconnect::At(_when) = edge.reconnect(Instant::now(), random()) {
//!     // (sleep until `_when`)
//!     if !open_websocket() {
//!         edge.handle_input(Instant::now(), Input::ConnectFailed)?;
//!         continue;
//!     }
//!     edge.handle_input(Instant::now(), Input::Connected)?; // AUTH goes out
//!     loop {
//!         loop {
//!             match edge.poll_output() {
//!                 Output::Transmit(t) => send(t), // Message / Ping / Close
//!                 Output::Event(EdgeEvent::Request { id, .. }) => {
//!                     edge.respond(id, Response::success()).ok();
//!                 }
//!                 Output::Event(_) => {}
//!                 Output::Timeout(_wake_at) => break, // sleep until then or the next input
//!                 _ => break,
//!             }
//!         }
//!         match recv() {
//!             Some(bytes) => edge.handle_input(Instant::now(), Input::Message(bytes))?,
//!             None => {
//!                 edge.handle_input(Instant::now(), Input::Closed)?; // Disconnected follows
//!                 break;
//!             }
//!         }
//!     }
//! #   break;
//! }
//! // Here no platform answered: three failed attempts, then the policy gave up.
//! assert_eq!(edge.reconnect(Instant::now(), 0), Reconnect::GiveUp(GiveUp::Attempts(3)));
//! # Ok::<(), alwayson_proto::InboundError>(())
//! ```
//!
//! # Behaviour decisions
//!
//! * **AUTH first.** Between [`Input::Connected`](crate::Input::Connected) and the AUTH response only
//!   the AUTH message goes out: requests are queued (or refused, see
//!   [`EdgeConfig::queue_until_authenticated`]), BINDs wait, platform requests are not
//!   answered (counted in [`Stats::ignored_messages`](crate::Stats)). Responses with other ids are
//!   dropped and counted as unmatched ([`Stats::unmatched_responses`](crate::Stats)).
//! * **Order after AUTH success:** [`EdgeEvent::Authenticated`], then the BIND(s) of every
//!   registered thing, *then* the queued requests. The SDK replays its offline store before
//!   BIND (a by-product of its store, which the platform must tolerate); sending BIND first
//!   means the platform already sees a thing bound when its queued property pushes arrive.
//! * **BIND split size:** name lists are split so that every BIND/UNBIND message is at most
//!   `min(max_message_size, chunk_size)` bytes (computed from encoded sizes, at most 65535
//!   names each): no BIND is ever multipart, as sdk-quirks.md Q23 recommends. Only a single
//!   name longer than that is sent alone (multipart); one that cannot be sent at all (over
//!   `max_message_size`) is reported as [`EdgeEvent::BindRejected`] with ENTITY_TOO_LARGE.
//! * **Bound set:** platform requests are delivered only for things whose BIND succeeded
//!   on the current connection; any other entity name gets NOT_FOUND (`00 FF` body) without
//!   an event. A rejected BIND ([`EdgeEvent::BindRejected`]) leaves the thing registered: it
//!   is bound again after the next reconnect, or at once when `bind` is called again for
//!   it. A failure answering a BIND of several names does not say which were refused (the
//!   platform keeps the accepted ones bound), so each of those names is sent again in a
//!   BIND of its own; only a one-name failure becomes `BindRejected`.
//! * **The latest BIND/UNBIND of a name decides.** The platform handles a connection's
//!   messages in order, so once a newer BIND or UNBIND of a name is sent, older ones in
//!   flight (or timed out) no longer count for it: their answers, timeouts and retries
//!   leave it alone. An UNBIND superseded by a new BIND of the name reports its
//!   [`EdgeEvent::Unbound`] at once, so the application always sees `Unbound` before the
//!   new outcome.
//! * **BIND timeout:** the platform may have bound the thing anyway, and a disagreement
//!   (platform: bound here; edge: NOT_FOUND) would otherwise last until a reconnect. So a
//!   timed-out BIND reports [`EdgeEvent::BindRejected`] with GATEWAY_TIMEOUT per name, but
//!   the session keeps going for those names on its own:
//!   * a *late SUCCESS* still arriving on the same connection makes every listed name that
//!     is still registered and not bound or being bound [`EdgeEvent::Bound`] (no extra
//!     message); a late failure of a one-name BIND changes nothing (already reported); one
//!     of several names re-sends each name alone, as for a failure in time;
//!   * without an answer, the names are *sent again* in a new BIND one `request_timeout`
//!     after the timeout (the platform treats a duplicate BIND as success). This also
//!     heals a lost answer, which no late-response rule can. Each retry that times out
//!     reports `BindRejected` again and is retried again: at most one BIND per stuck name
//!     every `2 × request_timeout`, for as long as the connection lives. That is no
//!     endless loop against a dead platform: without pongs the pong timeout closes the
//!     link, and a reconnect starts afresh (AUTH, then one BIND of everything). A platform
//!     that answers pings but never BINDs gets one small message per name every 20 s by
//!     default, much less than the SDK's remedy (a BIND timeout at connect fails the whole
//!     connect, which is retried with a new AUTH).
//!
//!   Late answers count as late ([`Stats::late_responses`](crate::Stats)) even when acted
//!   upon; a second answer to the same id, an answer to an id answered already, sent on an
//!   earlier connection or never sent counts as unmatched
//!   ([`Stats::unmatched_responses`](crate::Stats)).
//!   All of this is per connection: answers and retries of an earlier connection are
//!   ignored after a reconnect. A timed-out BIND/UNBIND is remembered for one
//!   `request_timeout` at most (until its retry), and each name is in at most one of them.
//! * **UNBIND:** `unbind` removes the thing from the registry at once; the
//!   [`EdgeEvent::Unbound`] comes with the UNBIND's response (any status), its timeout, the
//!   disconnect, a new `bind` of the name, or immediately when not authenticated. A late
//!   UNBIND answer needs nothing (the name is gone locally already), but a *timed-out*
//!   UNBIND may never have reached the platform, which would keep the thing bound to this
//!   connection (routing its requests here for NOT_FOUND and, first-in-wins, keeping other
//!   edges from binding it). So, like a BIND, it is sent again one `request_timeout` after
//!   the timeout, silently (no second `Unbound`), and again after each further timeout,
//!   unless the name is registered again meanwhile (its BIND decides) or the connection
//!   ends (the platform then releases everything anyway).
//! * **Keep-alive:** the first ping goes out `ping_interval` after `Input::Connected` (not
//!   right after connecting as the SDK does: the AUTH round trip already proves the link),
//!   then every `ping_interval`; if no pong arrives within `pong_timeout` of a ping, the
//!   session sends `Close{1000, "Normal Close Pong timeout"}` and reports
//!   [`DisconnectReason::PongTimeout`] when `Input::Closed` follows.
//! * **AUTH failure** (non-SUCCESS or no answer within `request_timeout`, measured from
//!   `Input::Connected`; it fires at exactly that deadline, not before):
//!   [`EdgeEvent::AuthFailed`], then `Close{1000, ..}`; `Input::Closed` then reports
//!   [`DisconnectReason::AuthFailed`]. The session never re-sends AUTH on the same socket
//!   (the SDK does); the runtime reconnects.
//! * **Once the session asked for a close** (AUTH failure, pong timeout, `close`) it ignores
//!   inbound messages and timers until `Input::Closed`.
//! * **Closing/Closed:** `close` ends waiting requests with [`RequestError::Closed`], hands
//!   back queued ones as [`EdgeEvent::Unsent`], UNBINDs every registered thing (responses
//!   not awaited) and sends `Close{1000, "Normal Close Shutting down"}`. In `Closed` (and
//!   `Closing`) the session is inert: `Input::Connected`, `bind`, `unbind`, `close` do
//!   nothing, `request` fails with [`RequestError::Closed`], `respond` with
//!   [`RespondError::NotConnected`]. A new session is needed to connect again.
//! * **Queued requests** (made before authentication) survive lost connections: they go
//!   out under their ids after the next AUTH success, or end with
//!   [`RequestError::Timeout`] once `request_timeout` has passed since they were made (the
//!   runtime resubmits nothing). Requests already sent when a connection drops end with
//!   [`RequestError::Disconnected`]: the platform may have acted on them.
//! * **Reconnecting** is decided here too: [`EdgeSession::reconnect`] answers "when do I
//!   open the next websocket" from the [`ReconnectPolicy`] (exponential backoff with
//!   jitter from a draw the runtime passes in; reset by AUTH success; AUTH refused on the
//!   first connect is final).
//! * **Bounded close:** after [`EdgeSession::close`] the session waits at most
//!   [`EdgeConfig::close_timeout`] for the websocket to go away, then ends anyway
//!   ([`EdgeEvent::Closed`]).
//! * **Request ids** come from one [`crate::RequestIds`] for AUTH, BIND, UNBIND and
//!   requests, never reset on reconnect, wrapping past `u32::MAX` to 1.
//! * **Session id:** taken from the AUTH response header and stamped on every later message
//!   of that connection; [`EdgeSession::session_id`] is `None` between connections.
//!
//! [`RequestError::Closed`]: crate::RequestError::Closed
//! [`RequestError::Timeout`]: crate::RequestError::Timeout
//! [`RequestError::Disconnected`]: crate::RequestError::Disconnected
//! [`RespondError::NotConnected`]: crate::RespondError::NotConnected

mod auth;
mod batch;
mod bindings;
mod config;
pub mod duty_cycle;
mod event;
mod keepalive;
pub mod offline;
pub mod offline_log;
mod reconnect;
mod replay;
mod requests;
mod session;
pub mod subscribed;
#[cfg(test)]
mod tests;

pub use config::{Credentials, EdgeConfig};
pub use duty_cycle::{DutyCycle, DutyCycleError, DutyPhase, CLOSE_REASON_DUTY_CYCLE};
pub use event::{
    AuthFailure, BindRefusal, BindResult, BindTicket, DisconnectReason, EdgeEvent, EdgeState,
};
pub use offline::{FullPolicy, OfflineLimits, OfflineQueue, OfflineStats, StoreError};
pub use reconnect::{GiveUp, Reconnect, ReconnectPolicy};
pub use replay::{Replay, ReplayOutcome};
pub use session::{
    EdgeSession, CLOSE_REASON_AUTH_MALFORMED, CLOSE_REASON_AUTH_REJECTED,
    CLOSE_REASON_AUTH_TIMEOUT, CLOSE_REASON_PONG_TIMEOUT, CLOSE_REASON_SHUTDOWN,
};
pub use subscribed::{PushError, PushRule, PushType, SubscribedProperties, UnknownPushType};
