//! How the platform answers requests that edges send (property writes, pushes, reads,
//! service calls, events).

use crate::store::PropertyStore;
use alwayson_proto::platform::Push;
use alwayson_proto::{ConnectionId, Request, Response};
use futures_util::future::BoxFuture;
use std::future::Future;
use std::net::SocketAddr;

/// The connection an edge request arrived on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The connection's id (as in [`crate::PlatformNotice`] and `ThingStatus::connection`).
    pub id: ConnectionId,
    /// The edge's address.
    pub peer: SocketAddr,
    /// The `appKey` header of the websocket upgrade request, if any.
    pub app_key_header: Option<String>,
    /// The edge's `Max-Frame-Size` header, if any.
    pub max_frame_size: Option<usize>,
}

/// Answers edge→platform requests. Each request runs on its own task (a slow handler never
/// stalls its connection); a handler whose future is ready at once is answered inline.
///
/// Implemented for any `Fn(Request) -> impl Future<Output = Response>` closure and for
/// [`PropertyStore`] (the default, see [`PropertyStore::answer`]).
pub trait EdgeRequestHandler: Send + Sync + 'static {
    /// The response to `request` from the edge on `conn`.
    fn handle(&self, conn: ConnectionInfo, request: Request) -> BoxFuture<'static, Response>;
}

impl<F, Fut> EdgeRequestHandler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    fn handle(&self, _conn: ConnectionInfo, request: Request) -> BoxFuture<'static, Response> {
        Box::pin(self(request))
    }
}

impl EdgeRequestHandler for PropertyStore {
    fn handle(&self, _conn: ConnectionInfo, request: Request) -> BoxFuture<'static, Response> {
        let response = self.answer(&request);
        Box::pin(std::future::ready(response))
    }
}

/// Takes the property values edges push (`UpdateSubscribedPropertyValues` with the typed
/// `values` table) as a [`Push`]: read once with the borrowed decode and kept as the bytes
/// it arrived in, so the handler walks [`Push::updates`] and converts to owned only what it
/// keeps. Installed with [`PlatformBuilder::push_handler`](super::PlatformBuilder::push_handler);
/// without one, pushes reach the [`EdgeRequestHandler`] as owned [`Request`]s. Runs like an
/// edge-request handler (answered inline when its future is ready at once).
///
/// Implemented for any `Fn(Push) -> impl Future<Output = Response>` closure.
pub trait PushHandler: Send + Sync + 'static {
    /// The response to `push` from the edge on `conn`.
    fn handle(&self, conn: ConnectionInfo, push: Push) -> BoxFuture<'static, Response>;
}

impl<F, Fut> PushHandler for F
where
    F: Fn(Push) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    fn handle(&self, _conn: ConnectionInfo, push: Push) -> BoxFuture<'static, Response> {
        Box::pin(self(push))
    }
}
