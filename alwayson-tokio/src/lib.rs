//! # alwayson-tokio
//!
//! The tokio runtime for [`alwayson_proto`]: an AlwaysOn [`EdgeClient`] and a [`Platform`]
//! server over websockets (tokio-tungstenite) with TLS (rustls, `ring` provider).
//!
//! This crate holds no protocol logic: the sans-IO sessions decide what to send and when;
//! the runtime moves bytes, sleeps until `poll_timeout`, owns sockets, TLS, tasks, channels
//! and reconnect backoff.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backoff;
pub mod edge;
mod error;
pub mod platform;
mod store;
mod tls;
mod wsio;

pub use backoff::Reconnect;
pub use edge::{ConnectionState, EdgeClient, EdgeClientBuilder, EdgeNotice, HandlerError, Thing};
pub use error::{Error, Result};
pub use platform::{
    ConnectionInfo, EdgeRequestHandler, HttpHandler, Platform, PlatformBuilder, PlatformNotice,
};
pub use store::PropertyStore;

pub use alwayson_proto;
pub use alwayson_proto::platform::CloseReason;
pub use alwayson_proto::{
    Auth, BindPolicy, ConnectionId, InfoTable, PropertyUpdate, Request, Response, StatusCode,
    ThingStatus, Value, WireString,
};
pub use futures_util::future::BoxFuture;
