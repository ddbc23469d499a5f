//! [`runtime_api!`](crate::runtime_api): the public API of a runtime crate, written once.

/// Declares a runtime crate's public API for its [`Runtime`](crate::Runtime) type `$rt`:
/// modules `edge` and `platform`, the aliases `EdgeClient`, `EdgeClientBuilder`, `Platform`
/// and `PlatformBuilder` fixed to `$rt`, and every other item re-exported from this crate.
/// Both `alwayson-tokio` and `alwayson-async-std` call it, so their APIs match item for
/// item. The `edge` and `platform` parts follow this crate's features of the same names.
#[macro_export]
macro_rules! runtime_api {
    ($rt:ty) => {
        $crate::__edge_api!($rt);
        $crate::__platform_api!($rt);

        pub use $crate::alwayson_proto;
        pub use $crate::{
            Auth, BaseType, BindPolicy, BoxFuture, CloseReason, ConnectionId, Error,
            FieldDefinition, InfoTable, Notices, PropertyStore, PropertyUpdate, Request, Response,
            Result, StatusCode, Stream, ThingStatus, Value, Watch, WireString, CLOSE_LOG_TARGET,
        };
    };
}

/// The edge part of [`runtime_api!`](crate::runtime_api) (feature `edge`).
#[cfg(feature = "edge")]
#[doc(hidden)]
#[macro_export]
macro_rules! __edge_api {
    ($rt:ty) => {
        /// The edge (client) side: an [`EdgeClient`] connects to a platform,
        /// authenticates, binds its things, serves their properties and services, and
        /// reconnects on its own.
        pub mod edge {
            pub use $crate::edge::*;

            /// A connected AlwaysOn edge on this crate's runtime (`alwayson_async::EdgeClient`
            /// with the runtime fixed; its methods are documented there).
            pub type EdgeClient = $crate::EdgeClient<$rt>;
            /// Configures and connects an [`EdgeClient`].
            pub type EdgeClientBuilder = $crate::EdgeClientBuilder<$rt>;
        }

        pub use edge::{
            ConnectionState, EdgeClient, EdgeClientBuilder, EdgeNotice, HandlerError, Thing,
        };
        pub use $crate::Reconnect;
    };
}

/// Without the `edge` feature: nothing.
#[cfg(not(feature = "edge"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __edge_api {
    ($rt:ty) => {};
}

/// The platform part of [`runtime_api!`](crate::runtime_api) (feature `platform`).
#[cfg(feature = "platform")]
#[doc(hidden)]
#[macro_export]
macro_rules! __platform_api {
    ($rt:ty) => {
        /// The platform (server) side: a [`Platform`] accepts edge websockets on
        /// `/Thingworx/WS`, runs one session per connection on its own task, and routes
        /// requests to things over the connection they are bound on.
        pub mod platform {
            pub use $crate::platform::*;

            /// A running AlwaysOn platform on this crate's runtime (`alwayson_async::Platform`
            /// with the runtime fixed; its methods are documented there).
            pub type Platform = $crate::Platform<$rt>;
            /// Configures and starts a [`Platform`].
            pub type PlatformBuilder = $crate::PlatformBuilder<$rt>;
        }

        pub use platform::{
            ConnectionInfo, EdgeRequestHandler, HttpHandler, Platform, PlatformBuilder,
            PlatformNotice, PushHandler,
        };
    };
}

/// Without the `platform` feature: nothing.
#[cfg(not(feature = "platform"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __platform_api {
    ($rt:ty) => {};
}
