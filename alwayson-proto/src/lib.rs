//! # alwayson-proto
//!
//! A sans-IO implementation of the ThingWorx **AlwaysOn** protocol, the websocket protocol
//! edge devices and gateways speak to a ThingWorx Platform:
//!
//! * [`codec`]: every message, base type and InfoTable, byte-exact with the reference C SDK
//!   (decoding shares the input [`bytes::Bytes`]; encoding sizes its buffer up front);
//! * [`multipart`]: splitting large messages into chunks and bounded reassembly;
//! * [`edge`]: [`EdgeSession`], the connect → AUTH → BIND lifecycle of an edge, and its
//!   reconnect policy;
//! * [`platform`]: the [`Endpoint`] (connection ids, frame-size negotiation, credential
//!   policy, routing, the last-in-wins relay), a [`PlatformSession`] per websocket and the
//!   shared [`ThingRegistry`];
//! * [`thing`]: answering requests to a thing from a property table.
//!
//! No sockets, no async, no clock, no randomness: what happened goes in with the time it
//! happened (`handle_input(now, Input)`, the same [`Input`]s for both sessions), and one
//! drain gives what to do ([`poll_output`](EdgeSession::poll_output): [`Output::Transmit`],
//! [`Output::Event`], then [`Output::Timeout`]). Random draws (reconnect jitter) are
//! arguments. The runtime crates only move bytes, sleep until deadlines and carry the
//! endpoint's events between connections.
//!
//! Both sessions keep what they sent and wait on in one request table (request ids,
//! deadlines, answer matching, timeouts, late answers told from unmatched ones) and their
//! other deadlines in one timer table of named timers; `Output::Timeout` is the earliest of
//! the two (and of multipart reassembly expiry).
//!
//! ## The codec
//!
//! ```
//! use alwayson_proto::{Auth, Body, Frame, Header, Message, AUTH_SESSION_ID};
//!
//! let auth = Message {
//!     header: Header::new(1, AUTH_SESSION_ID),
//!     body: Body::Auth(Auth::app_key("abc123")),
//! };
//! let bytes = auth.encode()?;
//! assert_eq!(bytes.len(), 30); // base-types.md, example E1
//! let decoded = Frame::decode(bytes)?;
//! assert_eq!(decoded.value, Frame::Message(auth));
//! assert!(decoded.trailing.is_empty()); // bytes after a complete body are reported, not fatal
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Driving both sides
//!
//! An edge and a platform wired together in memory: the driving loop of every runtime. A
//! real runtime puts a websocket in between and sleeps until the [`Output::Timeout`]
//! deadline (then feeds [`Input::Timeout`]) or the next input.
//!
//! ```
//! use alwayson_proto::edge::{Credentials, Reconnect};
//! use alwayson_proto::platform::{AuthPolicy, Handshake};
//! use alwayson_proto::*;
//! use std::time::{Instant, SystemTime};
//!
//! let now = Instant::now();
//! let mut endpoint = Endpoint::new(
//!     PlatformConfig::default(),
//!     ThingRegistry::new(BindPolicy::FirstInWins),
//!     AuthPolicy::app_keys(["my-key"]),
//! );
//! let mut edge = EdgeSession::new(EdgeConfig::new(Credentials::AppKey("my-key".into())));
//! edge.bind(now, ["Pump1"]); // remembered until authenticated
//! assert_eq!(edge.reconnect(now, 42), Reconnect::At(now)); // first connect: at once
//!
//! // The websocket opens: the endpoint hands out the platform's session.
//! let (id, mut platform) = endpoint.accept(now, SystemTime::now(), &Handshake::default());
//! edge.handle_input(now, Input::Connected)?; // AUTH goes out
//!
//! let (mut to_platform, mut to_edge) = (Vec::new(), Vec::new());
//! for _ in 0..3 {
//!     loop {
//!         match edge.poll_output() {
//!             Output::Transmit(Transmit::Message(bytes)) => to_platform.push(bytes),
//!             Output::Event(event) => println!("edge: {event:?}"), // Authenticated, Bound, ...
//!             Output::Timeout(_) => break, // a runtime sleeps until this deadline
//!             _ => {}
//!         }
//!     }
//!     for bytes in to_platform.drain(..) {
//!         platform.handle_input(now, Input::Message(bytes))?;
//!     }
//!     loop {
//!         match platform.poll_output() {
//!             Output::Transmit(Transmit::Message(bytes)) => to_edge.push(bytes),
//!             Output::Event(event) => println!("platform: {event:?}"),
//!             Output::Timeout(_) => break,
//!             _ => {}
//!         }
//!     }
//!     // What spans connections goes to the endpoint (last-in-wins relays come back).
//!     while let Some(event) = platform.poll_endpoint_event() {
//!         assert!(endpoint.handle_event(id, event).is_none());
//!     }
//!     for bytes in to_edge.drain(..) {
//!         edge.handle_input(now, Input::Message(bytes))?;
//!     }
//! }
//! assert_eq!(edge.state(), EdgeState::Authenticated);
//! assert!(edge.is_bound("Pump1"));
//! assert_eq!(endpoint.route("Pump1"), Ok(id));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod multipart;

pub use codec::*;
mod transmit;
pub use transmit::{
    close_reason, RequestIds, Transmit, CLOSE_NORMAL, CLOSE_POLICY_VIOLATION, CLOSE_PROTOCOL_ERROR,
    MAX_CLOSE_REASON,
};

pub mod conventions;
mod driving;
pub use driving::{Drained, Input, Output, Stats};
pub mod edge;
pub mod platform;
mod request;
mod request_table;
pub mod thing;
mod timer_table;
mod wire;

pub use conventions::PropertyUpdate;
pub use edge::{EdgeConfig, EdgeEvent, EdgeSession, EdgeState};
pub use platform::{
    AuthPolicy, BindPolicy, ConnectionId, Endpoint, PlatformConfig, PlatformEvent, PlatformSession,
    ThingRegistry, ThingStatus,
};
pub use request::{RequestError, RespondError};
pub use wire::InboundError;
