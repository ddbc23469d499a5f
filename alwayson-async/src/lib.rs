//! # alwayson-async
//!
//! The runtime-neutral async layer of alwayson: the AlwaysOn [`EdgeClient`] and
//! [`Platform`], generic over a small [`Runtime`] trait (spawn a task, sleep until an
//! instant, TCP connect / bind / accept as futures-io streams).
//!
//! ## Why this crate exists
//!
//! alwayson has one sans-IO core ([`alwayson_proto`]) and two runtime crates,
//! `alwayson-tokio` and `alwayson-async-std`, with the same public API item for item.
//! Everything asynchronous that does not depend on the executor lives here, once:
//!
//! * the handles and their builders ([`EdgeClient`], [`Platform`]), the edge's driver loop
//!   and the platform's connection loop that feed the sans-IO sessions;
//! * things and their handlers ([`Thing`]), the [`PropertyStore`], the edge-request and
//!   HTTP handlers, the [`Error`] type;
//! * notices as `futures::Stream`s ([`Notices`]) and the connection state as a
//!   [`Watch`] (readable now, awaitable), instead of an executor's channel types;
//! * the websocket (async-tungstenite), TLS (rustls through futures-rustls) and HTTP/1.1
//!   upgrade (hyper) layers, all over futures-io byte streams.
//!
//! ## Cargo features
//!
//! `edge` ([`EdgeClient`] and everything behind it), `proxy` (the edge through an HTTP
//! proxy: `EdgeClientBuilder::proxy`, `proxy_from_env`, `proxy_env`; implies `edge`),
//! `platform` ([`Platform`], its HTTP/1.1 server on hyper, connection admission) and `tls`
//! (rustls with the `ring` provider: `wss://` for the edge, TLS serving for the platform) are
//! on by default; `legacy-tls` (OpenSSL acceptor for C SDK 1.3.x edges) is opt-in. An
//! edge-only build (`default-features = false, features = ["edge", "tls"]`) compiles no
//! platform, no hyper and no HTTP server, and no proxy support (url, idna, base64, httparse)
//! unless `proxy` is added. Without `tls` a `wss://` URL is refused with [`Error::Config`]. The runtime crates have the same
//! features and forward them here.
//!
//! A runtime crate implements [`Runtime`] for its executor (sockets, timer, spawn: about a
//! hundred lines) and names `EdgeClient<ItsRuntime>` and `Platform<ItsRuntime>`. Nothing
//! in this crate starts an executor or a reactor.
//!
//! Applications use a runtime crate, not this one:
//!
//! ```no_run
//! # async fn demo<R: alwayson_async::Runtime>() -> Result<(), alwayson_async::Error> {
//! use alwayson_async::{EdgeClient, Platform, Thing, Value};
//! // With alwayson-tokio this is `alwayson_tokio::Platform::builder()`.
//! let platform = Platform::<R>::builder().app_key("k").start().await?;
//! let edge = EdgeClient::<R>::builder(platform.url())
//!     .app_key("k")
//!     .thing(Thing::new("Pump1").property("temp", 21.5))
//!     .connect()
//!     .await?;
//! assert_eq!(platform.read_property("Pump1", "temp").await?, Value::from(21.5));
//! edge.shutdown().await;
//! platform.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api;
#[cfg(feature = "edge")]
mod backoff;
#[cfg(feature = "edge")]
pub mod edge;
mod error;
mod notices;
#[cfg(feature = "platform")]
pub mod platform;
mod pump;
mod runtime;
mod store;
#[cfg(feature = "tls")]
mod tls;
#[cfg(not(feature = "tls"))]
#[path = "tls_off.rs"]
mod tls;
#[cfg(feature = "legacy-tls")]
mod tls_legacy;
mod watch;
mod wsio;

#[cfg(feature = "edge")]
pub use backoff::Reconnect;
#[cfg(feature = "edge")]
pub use edge::{ConnectionState, EdgeClient, EdgeClientBuilder, EdgeNotice, HandlerError, Thing};
pub use error::{Error, Result};
pub use notices::Notices;
#[cfg(feature = "platform")]
pub use platform::{
    ConnectionInfo, ConnectionLimits, EdgeRequestHandler, HttpHandler, Platform, PlatformBuilder,
    PlatformNotice, PushHandler,
};
pub use runtime::Runtime;
pub use store::PropertyStore;
#[cfg(all(feature = "tls", feature = "edge"))]
pub use tls::accept_any_cert_client_config;
#[cfg(feature = "tls")]
pub use tls::server_config as tls_server_config;
pub use watch::Watch;

/// The `tracing` target of the one INFO record every websocket close gets, on both sides:
/// "connection closed" with its cause in words (the platform's [`CloseReason`], the edge's
/// `DisconnectReason`: the peer's close code and reason, a message too long with both
/// sizes, a websocket protocol error, the idle, pong or AUTH deadline, a malformed AUTH, a
/// refused AUTH, a shutdown). An application that keeps this crate at WARN can still show
/// them, e.g. with the filter `alwayson_async=warn,alwayson_async::close=info`.
pub const CLOSE_LOG_TARGET: &str = "alwayson_async::close";

pub use alwayson_proto;
pub use alwayson_proto::platform::{CloseReason, Retention};
pub use alwayson_proto::{
    Auth, BaseType, BindPolicy, ConnectionId, FieldDefinition, InfoTable, PropertyUpdate, Request,
    Response, StatusCode, ThingStatus, Value, WireString,
};
pub use futures_util::future::BoxFuture;
pub use futures_util::Stream;
#[cfg(feature = "tls")]
pub use rustls;
