//! The platform side: a [`PlatformSession`] per websocket and one shared [`ThingRegistry`]
//! (session-lifecycle.md §16).
//!
//! # Rules a session applies
//!
//! * **AUTH first.** The first message must be AUTH (`0x14`); anything else (including
//!   bytes that do not decode) queues `Transmit::Close{1008}` and nothing is answered;
//!   `Closed{AuthNotFirst(code)}` follows [`Input::Closed`](crate::Input::Closed).
//! * **Auth deadline.** Starts when the session is created ([`PlatformConfig::auth_timeout`],
//!   15 s): without an *accepted* AUTH by then, the session closes (1008) with
//!   [`CloseReason::AuthTimeout`] — a slow application decision counts against it too.
//! * **AUTH decision.** AUTH becomes [`PlatformEvent::AuthRequested`]; the application calls
//!   [`PlatformSession::accept_auth`] (answer `0x40`, body `00 FF`, the session id from
//!   [`session_id_for`] in the header) or [`PlatformSession::reject_auth`] (`0x81`, then a
//!   1008 close). A repeated AUTH on the same socket (SDK retry, sdk-quirks.md Q45) is
//!   re-validated: another `AuthRequested`; a newer AUTH supersedes one still undecided.
//! * **While a decision is pending** BIND, UNBIND and requests are *held* (at most
//!   [`MAX_QUEUED_WHILE_AUTH_PENDING`], then dropped and counted) and processed in order
//!   right after `accept_auth`, or discarded by `reject_auth`. Responses to the platform's
//!   own requests are matched at once.
//! * **BIND / UNBIND** update the [`ThingRegistry`] (`is_connected`, `last_connection` = the
//!   wall-clock time of the message) and are answered with the BIND's request
//!   id. Duplicate names are idempotent (Q31). Under [`BindPolicy::FirstInWins`] a thing
//!   bound on another connection is refused ([`PlatformEvent::BindRefused`]); under
//!   [`BindPolicy::LastInWins`] it moves ([`PlatformEvent::Bound`] then
//!   [`PlatformEvent::ThingMoved`] here; the [`Endpoint`] relays it to the old session as
//!   a [`ConnectionEvent::ThingTaken`], which emits `Unbound` there).
//! * **BIND response code.** One status answers the whole name list: `0x40` SUCCESS when
//!   every name is bound here (newly or already), otherwise `0x83` FORBIDDEN with a reason
//!   listing the refused names — the accepted names stay bound. A partial success must
//!   not look like success: the SDK treats any non-`0x40` as a failed connect and re-runs
//!   AUTH + BIND every `connect_retry_interval` (Q45), which is what first-in-wins wants —
//!   the edge keeps asking, the re-BIND is idempotent for the names it already holds, and
//!   it gets the refused thing as soon as the holder lets go. Answering `0x40` would leave
//!   the edge believing it serves a thing whose requests are routed elsewhere.
//! * **Bind cap.** A connection holds at most [`PlatformConfig::max_things_per_connection`]
//!   things; names beyond it are not bound, [`PlatformEvent::BindCapReached`] reports them,
//!   and the BIND is answered `0x83` with a reason naming the cap.
//! * **UNBIND** of a name that is not bound here (unknown, or bound on another connection)
//!   is answered `0x40` and changes nothing: UNBIND expresses "I no longer serve this",
//!   which is already true, and a failure code would make the SDK reconnect for nothing.
//! * **Requests.** Edge requests become [`PlatformEvent::Request`] (also before any BIND:
//!   the SDK replays offline requests right after AUTH); answer with
//!   [`PlatformSession::respond`]. Platform requests ([`PlatformSession::request`]) need an
//!   authenticated connection and, for THING entities, a thing bound on this connection;
//!   each id ends with exactly one [`PlatformEvent::Response`]. Late and unmatched
//!   responses are dropped and counted.
//! * **Pushes.** With [`PlatformConfig::push_events`], `UpdateSubscribedPropertyValues`
//!   requests carrying the typed `values` table become [`PlatformEvent::Push`]: read once
//!   with the borrowed decode and kept as their bytes ([`Push::updates`] walks them), for
//!   a platform ingesting edge data without building owned tables. They are answered,
//!   held and refused exactly like requests.
//! * **Liveness.** Any received message or ping refreshes the idle deadline
//!   ([`PlatformConfig::idle_timeout`], 60 s); expiry closes with
//!   [`CloseReason::IdleTimeout`]. The platform never pings nor sends KEEP_ALIVE.
//! * **Closing.** Every close (protocol, timeout, [`PlatformSession::close`]) queues one
//!   `Transmit::Close` and at once ends waiting requests (`Disconnected`, or `Closed` for a
//!   local close). Things are released, `Unbound` is emitted per thing and then the final
//!   `Closed{reason}` once, when the runtime feeds [`Input::Closed`](crate::Input::Closed)
//!   (the websocket is really gone) — so the runtime must call it for every connection.
//!   Release only touches things still bound to *this* connection.
//!
//! # Platform driving loop
//!
//! One [`Endpoint`] per platform hands out a session per websocket; each session is
//! driven on its own (one task per connection is fine), and what spans connections goes
//! through the endpoint.
//!
//! ```
//! use alwayson_proto::platform::{
//!     AuthPolicy, Endpoint, Handshake, PlatformConfig, PlatformEvent, ThingRegistry,
//! };
//! use alwayson_proto::{Input, Output, Response, Transmit};
//! use bytes::Bytes;
//! use std::time::{Instant, SystemTime};
//!
//! # fn recv() -> Option<Bytes> { None }
//! # fn send(_: Transmit) {}
//! # fn deliver<T>(_: u64, _: T) {}
//! let mut endpoint = Endpoint::new(
//!     PlatformConfig::default(),
//!     ThingRegistry::default(),
//!     AuthPolicy::app_keys(["secret"]),
//! );
//! // The upgrade request arrived: its Max-Frame-Size header sets the chunk size.
//! let handshake = Handshake::with_max_frame_size(Some("8192"));
//! let (id, mut session) = endpoint.accept(Instant::now(), SystemTime::now(), &handshake);
//! while !session.is_closed() {
//!     // Input: one websocket message, a ping, the close, or a deadline passing.
//!     let input = match recv() {
//!         Some(bytes) => Input::Message(bytes),
//!         None => Input::Closed,
//!     };
//!     let _ = session.handle_input(Instant::now(), input);
//!     // Outputs: drain after every input.
//!     loop {
//!         match session.poll_output() {
//!             Output::Transmit(t) => send(t), // Transmit::Message(bytes) or Transmit::Close
//!             Output::Event(PlatformEvent::Request { id, .. }) => {
//!                 let _ = session.respond(id, Response::success());
//!             }
//!             Output::Event(_) => {}
//!             Output::Timeout(_deadline) => break, // sleep until then or the next input
//!             _ => break,
//!         }
//!     }
//!     // What spans connections: the endpoint decides, the runtime carries.
//!     while let Some(event) = session.poll_endpoint_event() {
//!         if let Some((to, event)) = endpoint.handle_event(id, event) {
//!             deliver(to, event); // that connection's handle_connection_event
//!         }
//!     }
//! }
//! assert_eq!(endpoint.connections().count(), 0);
//! ```

mod auth;
mod config;
mod endpoint;
mod event;
pub(crate) mod push;
mod registry;
mod session;

pub use auth::{AuthCheck, AuthPolicy};
pub use config::{BindPolicy, ConnectionId, PlatformConfig};
pub use endpoint::{ConnectionEvent, Endpoint, EndpointEvent, Handshake, NODE_SHIFT};
pub use event::{CloseReason, PlatformEvent};
pub use push::Push;
pub use registry::{Retention, ThingRegistry, ThingStatus};
pub use session::{session_id_for, PlatformSession, MAX_QUEUED_WHILE_AUTH_PENDING};
