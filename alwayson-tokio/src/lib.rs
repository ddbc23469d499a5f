//! # alwayson-tokio
//!
//! The tokio runtime for [`alwayson_proto`]: an AlwaysOn [`EdgeClient`] and a [`Platform`]
//! server over websockets with TLS (rustls, `ring` provider), on tokio's tasks, timer and
//! sockets.
//!
//! This crate is an adapter: it implements `alwayson_async`'s small `Runtime` trait for
//! tokio ([`Tokio`]) and fixes the runtime-neutral handles to it. The handles, the driver
//! loops, the websocket, TLS and HTTP layers live once in `alwayson-async` (shared with
//! `alwayson-async-std`, whose API is the same item for item); the protocol decisions live
//! in the sans-IO [`alwayson_proto`]. No tokio type appears in this API: notices are
//! [`Notices`] streams, the connection state is a [`Watch`].
//!
//! ## Edge
//!
//! An [`EdgeClient`] connects, authenticates, binds its things, answers the platform's
//! requests from their properties and services, and reconnects (re-binding) when the
//! connection drops.
//!
//! ```no_run
//! use alwayson_tokio::{EdgeClient, InfoTable, Thing};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), alwayson_tokio::Error> {
//!     let edge = EdgeClient::builder("wss://platform.example:443/Thingworx/WS")
//!         .app_key("my-app-key")
//!         .thing(
//!             Thing::new("Pump1")
//!                 .property("temp", 21.5)
//!                 .service("Restart", |_params: Option<InfoTable>| async move {
//!                     Ok(InfoTable::new())
//!                 }),
//!         )
//!         .connect()
//!         .await?;
//!     // Edge → platform: write a property on the platform's side.
//!     edge.write_property("Pump1", "status", "running").await?;
//!     // The platform reads `temp` from this edge (updated here); its push rule (VALUE by
//!     // default) queues the change, pushed at the push interval.
//!     edge.set_property("Pump1", "temp", 22.0)?;
//!     edge.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! On a small device, [`block_on`] runs the client on one thread (tokio's `current_thread`
//! runtime) instead of `#[tokio::main]`'s worker pool.
//!
//! ## Platform
//!
//! A [`Platform`] accepts edges on `/Thingworx/WS`, checks their credentials, tracks which
//! connection each thing is bound on, and routes requests to it. This example runs both
//! sides in one process:
//!
//! ```
//! use alwayson_tokio::{EdgeClient, Platform, Thing, Value};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), alwayson_tokio::Error> {
//!     let platform = Platform::builder()
//!         .listen("127.0.0.1:0")
//!         .app_key("my-app-key")
//!         .start()
//!         .await?;
//!
//!     let edge = EdgeClient::builder(platform.url())
//!         .app_key("my-app-key")
//!         .thing(Thing::new("Pump1").property("temp", 21.5))
//!         .connect()
//!         .await?;
//!
//!     // Platform → edge requests go over the connection Pump1 is bound on.
//!     assert!(platform.thing("Pump1").is_some_and(|t| t.is_connected));
//!     assert_eq!(platform.read_property("Pump1", "temp").await?, Value::from(21.5));
//!     platform.write_property("Pump1", "temp", 20.0).await?;
//!     assert_eq!(edge.property("Pump1", "temp"), Some(Value::from(20.0)));
//!
//!     // Edge → platform writes land in the platform's property store (the default
//!     // edge-request handler).
//!     edge.write_property("Pump1", "status", "running").await?;
//!     assert_eq!(
//!         platform.property_store().get("Pump1", "status"),
//!         Some(Value::from("running"))
//!     );
//!
//!     edge.shutdown().await;
//!     platform.shutdown().await;
//!     Ok(())
//! }
//! ```
//! ## Cargo features
//!
//! `edge`, `proxy` (the edge through an HTTP proxy), `platform` and `tls` (rustls, `ring`
//! provider) are on by default; an edge-only build (`default-features = false, features =
//! ["edge", "tls"]`) compiles no platform, no HTTP server and no proxy support (add `proxy`
//! for it). `legacy-tls` (OpenSSL acceptor for C SDK 1.3.x edges) is opt-in.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod runtime;

pub use runtime::{block_on, Tokio};

alwayson_async::runtime_api!(crate::Tokio);
