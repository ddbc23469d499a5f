//! # alwayson-async-std
//!
//! The async-std / smol runtime for [`alwayson_proto`]: an AlwaysOn [`EdgeClient`] and a
//! [`Platform`] server over websockets with TLS, built on the pieces async-std and smol
//! share — async-io (reactor, timers), async-net (sockets), async-global-executor (tasks,
//! unless the application hands in its smol executor with [`AsyncStd::use_executor`]),
//! futures-io streams with async-tungstenite and futures-rustls. It does **not** depend on
//! the `async-std` crate (discontinued in 2025 in favour of smol) and runs unchanged under
//! async-std's executor and under smol's; its tests run under both. (No tokio runtime
//! either: hyper, used for the HTTP upgrade, only brings in tokio's executor-free `sync`
//! module.)
//!
//! The API is `alwayson-tokio`'s, item for item: both crates implement the runtime-neutral
//! layer `alwayson_async`'s small `Runtime` trait ([`AsyncStd`] here) and name its handles
//! with it. TLS is the same: rustls (`ring` provider), certificate verification on by
//! default, a custom CA ([`EdgeClientBuilder::root_ca_pem`]), a client certificate
//! ([`EdgeClientBuilder::client_cert_pem`]) and an explicit opt-out
//! ([`EdgeClientBuilder::danger_accept_invalid_certs`]).
//!
//! ## Example
//!
//! Both sides in one process, under smol (`async_std::task::block_on` works the same):
//!
//! ```
//! use alwayson_async_std::{EdgeClient, Platform, Thing, Value};
//!
//! fn main() -> Result<(), alwayson_async_std::Error> {
//!     smol::block_on(async {
//!         let platform = Platform::builder().app_key("k").start().await?;
//!         let edge = EdgeClient::builder(platform.url())
//!             .app_key("k")
//!             .thing(Thing::new("Pump1").property("temp", 21.5))
//!             .connect()
//!             .await?;
//!         assert_eq!(platform.read_property("Pump1", "temp").await?, Value::from(21.5));
//!         platform.write_property("Pump1", "temp", 20.0).await?;
//!         assert_eq!(edge.property("Pump1", "temp"), Some(Value::from(20.0)));
//!         edge.shutdown().await;
//!         platform.shutdown().await;
//!         Ok(())
//!     })
//! }
//! ```
//!
//! Notices are streams and the connection state a [`Watch`]:
//!
//! ```no_run
//! # async fn demo(edge: alwayson_async_std::EdgeClient) {
//! use alwayson_async_std::{ConnectionState, EdgeNotice};
//! use futures_lite::StreamExt;
//! let mut events = edge.events();
//! while let Some(notice) = events.next().await {
//!     if let EdgeNotice::Disconnected { reason } = notice {
//!         println!("lost the platform: {reason:?}");
//!         edge.state().wait_for(|s| *s == ConnectionState::Bound).await;
//!     }
//! }
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod runtime;

pub use runtime::{block_on, AsyncStd};

alwayson_async::runtime_api!(crate::AsyncStd);

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
