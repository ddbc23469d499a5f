//! # alwayson-proto
//!
//! A sans-IO implementation of the ThingWorx **AlwaysOn** protocol, the websocket protocol
//! edge devices and gateways speak to a ThingWorx Platform:
//!
//! * [`codec`]: every message, base type and InfoTable, byte-exact with the reference C SDK
//!   (decoding shares the input [`bytes::Bytes`]; encoding sizes its buffer up front);
//! * [`multipart`]: splitting large messages into chunks and bounded reassembly;
//! * [`edge`]: [`EdgeSession`], the connect → AUTH → BIND lifecycle of an edge;
//! * [`platform`]: [`PlatformSession`] per websocket and the shared [`ThingRegistry`].
//!
//! No sockets, no async, no clock: bytes and time go in (`handle_*` with a `now`), bytes,
//! events and deadlines come out (`poll_transmit`, `poll_event`, `poll_timeout`). The
//! runtime crates (`alwayson-tokio`) only move bytes and sleep until deadlines.
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
//! An edge and a platform wired together in memory. A real runtime does the same with a
//! websocket in between, and also sleeps until `poll_timeout()` and then calls
//! `handle_timeout`.
//!
//! ```
//! use alwayson_proto::edge::Credentials;
//! use alwayson_proto::*;
//! use std::time::{Instant, SystemTime};
//!
//! let now = Instant::now();
//! let registry = ThingRegistry::new(BindPolicy::FirstInWins);
//! let mut platform = PlatformSession::new(now, 1, PlatformConfig::default(), registry.clone());
//! let mut edge = EdgeSession::new(EdgeConfig::new(Credentials::AppKey("my-key".into())));
//! edge.bind(now, ["Pump1"]); // remembered until authenticated
//! edge.handle_connected(now); // websocket open: AUTH goes out
//!
//! for _ in 0..3 {
//!     while let Some(t) = edge.poll_transmit() {
//!         if let Transmit::Message(bytes) = t {
//!             platform.handle_message(now, SystemTime::now(), bytes)?;
//!         }
//!     }
//!     while let Some(event) = platform.poll_event() {
//!         if let PlatformEvent::AuthRequested { request_id, auth } = event {
//!             if auth.app_key_value().is_some_and(|key| *key == "my-key") {
//!                 platform.accept_auth(now, request_id)?;
//!             } else {
//!                 platform.reject_auth(now, request_id)?;
//!             }
//!         }
//!     }
//!     while let Some(t) = platform.poll_transmit() {
//!         if let Transmit::Message(bytes) = t {
//!             edge.handle_message(now, bytes)?;
//!         }
//!     }
//!     while let Some(event) = edge.poll_event() {
//!         println!("edge: {event:?}"); // Authenticated, then Bound { name: "Pump1" }
//!     }
//! }
//! assert_eq!(edge.state(), EdgeState::Authenticated);
//! assert!(registry.get("Pump1").is_some_and(|thing| thing.is_connected));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod multipart;

pub use codec::*;
mod transmit;
pub use transmit::{
    RequestIds, Transmit, CLOSE_NORMAL, CLOSE_POLICY_VIOLATION, CLOSE_PROTOCOL_ERROR,
};

pub mod conventions;
mod driving;
pub use driving::{Input, Output, Stats};
pub mod edge;
pub mod platform;
mod request;
pub mod thing;
mod wire;

pub use conventions::PropertyUpdate;
pub use edge::{EdgeConfig, EdgeEvent, EdgeSession, EdgeState};
pub use platform::{
    AuthPolicy, BindPolicy, ConnectionId, Endpoint, PlatformConfig, PlatformEvent, PlatformSession,
    ThingRegistry, ThingStatus,
};
pub use request::{RequestError, RespondError};
pub use wire::InboundError;
