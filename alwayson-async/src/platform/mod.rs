//! The platform (server) side: [`Platform`] accepts edge websockets on `/Thingworx/WS`, runs
//! one [`PlatformSession`](alwayson_proto::PlatformSession) per connection on its own task,
//! and routes requests to things over the connection they are bound on.

mod admission;
mod conn;
mod handler;
mod head;
mod hyper_io;
mod server;
mod sweep;

pub use admission::ConnectionLimits;
pub use alwayson_proto::platform::Push;
pub use handler::{ConnectionInfo, EdgeRequestHandler, PushHandler};

use crate::error::{Error, Result};
use crate::notices::{Notices, Publisher};
use crate::runtime::{timeout, Runtime};
use crate::store::{check, property_value, PropertyStore};
use crate::watch::Watch;
use alwayson_proto::platform::{AuthPolicy, CloseReason, Endpoint, Retention};
use alwayson_proto::{
    Auth, BindPolicy, ConnectionId, InfoTable, PlatformConfig, Request, Response, ThingRegistry,
    ThingStatus, Value,
};
use bytes::Bytes;
use conn::ConnCommand;
use futures_channel::{mpsc, oneshot};
use futures_util::future::BoxFuture;
use futures_util::SinkExt;
use std::collections::{HashMap, HashSet};
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

pub use crate::wsio::WS_PATH;

/// Serves HTTP requests that are not websocket upgrades on `/Thingworx/WS` (full bodies,
/// request bodies capped at 1 MiB → 413). The request's extensions carry the peer's
/// [`SocketAddr`] and a [`Platform`] handle (which does not keep the server running).
pub type HttpHandler =
    Arc<dyn Fn(http::Request<Bytes>) -> BoxFuture<'static, http::Response<Bytes>> + Send + Sync>;

/// What a [`Platform`] reports about its connections ([`Platform::events`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlatformNotice {
    /// A websocket was accepted.
    Opened {
        /// Connection id.
        conn: ConnectionId,
        /// The edge's address.
        peer: SocketAddr,
    },
    /// The connection authenticated.
    Authenticated {
        /// Connection id.
        conn: ConnectionId,
        /// Assigned session id.
        session_id: u32,
    },
    /// AUTH was refused by the credential check.
    AuthRejected {
        /// Connection id.
        conn: ConnectionId,
    },
    /// A thing was bound to the connection.
    Bound {
        /// Connection id.
        conn: ConnectionId,
        /// Thing name.
        name: String,
    },
    /// A BIND was refused because another connection holds the thing.
    BindRefused {
        /// Connection id.
        conn: ConnectionId,
        /// Thing name.
        name: String,
        /// The connection holding it.
        holder: ConnectionId,
    },
    /// A thing was unbound from the connection.
    Unbound {
        /// Connection id.
        conn: ConnectionId,
        /// Thing name.
        name: String,
    },
    /// The connection closed.
    Closed {
        /// Connection id.
        conn: ConnectionId,
        /// Why.
        reason: CloseReason,
    },
    /// This subscriber fell more than 1024 notices behind: `missed` notices were dropped
    /// for it here (never silently; the others still came in order).
    Lagged {
        /// How many notices were dropped.
        missed: u64,
    },
}

/// State shared by the accept loop, the connection tasks and the [`Platform`] handles.
pub(crate) struct Shared {
    /// Every protocol decision that spans connections (ids, frame-size negotiation, the
    /// credential policy, routing, the last-in-wins relay) is the endpoint's.
    pub endpoint: Mutex<Endpoint>,
    pub registry: ThingRegistry,
    /// Where each connection's task listens (IO glue: the endpoint names connections, this
    /// reaches them).
    pub conns: RwLock<HashMap<ConnectionId, mpsc::Sender<ConnCommand>>>,
    pub notices: Publisher<PlatformNotice>,
    pub store: PropertyStore,
    pub handler: Arc<dyn EdgeRequestHandler>,
    /// Takes pushes when installed (the sessions then report them as `Push`).
    pub push_handler: Option<Arc<dyn PushHandler>>,
    pub http_handler: Option<HttpHandler>,
    pub config: PlatformConfig,
    pub tls: Option<crate::tls::TlsServer>,
    /// OpenSSL acceptor for legacy TLS; used instead of `tls` when set.
    #[cfg(feature = "legacy-tls")]
    pub legacy_tls: Option<Arc<crate::tls_legacy::LegacyTlsAcceptor>>,
    pub local_addr: SocketAddr,
    /// Connection caps and the pre-AUTH connections that are shed first.
    pub admission: Arc<admission::Admission>,
    pub shutdown: Watch<bool>,
    /// Connection tasks still running (shutdown waits for 0).
    pub live: Watch<usize>,
    /// The accept loop is running (shutdown waits for it to end, so the port is free
    /// afterwards).
    pub accepting: Watch<bool>,
}

impl Shared {
    pub(crate) fn notify(&self, notice: PlatformNotice) {
        self.notices.publish(notice);
    }

    /// Connection `conn` from `peer` closed: the one INFO record of the close, with its
    /// cause ([`CLOSE_LOG_TARGET`](crate::CLOSE_LOG_TARGET)), then the notice.
    pub(crate) fn closed(&self, conn: ConnectionId, peer: SocketAddr, reason: CloseReason) {
        tracing::info!(target: crate::CLOSE_LOG_TARGET, conn, %peer, %reason, "connection closed");
        self.notify(PlatformNotice::Closed { conn, reason });
    }

    /// The endpoint (a poisoned lock is recovered: the endpoint is never left half-updated).
    pub(crate) fn endpoint(&self) -> MutexGuard<'_, Endpoint> {
        self.endpoint.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The task of the connection the endpoint routes a request for `thing` to.
    fn sender_for(&self, thing: &str) -> Result<mpsc::Sender<ConnCommand>> {
        let conn = self.endpoint().route(thing)?;
        let conns = self.conns.read().unwrap_or_else(|e| e.into_inner());
        conns
            .get(&conn)
            .cloned()
            .ok_or_else(|| Error::NotBound(thing.to_owned()))
    }
}

/// Stops the server when the last owning [`Platform`] handle is dropped.
struct OwnerGuard(Arc<Shared>);

impl Drop for OwnerGuard {
    fn drop(&mut self) {
        self.0.shutdown.set(true);
    }
}

/// A running AlwaysOn platform: a websocket (and optional HTTP) server.
///
/// Cheap to clone. The server stops on [`Platform::shutdown`] or when the last clone
/// obtained from [`PlatformBuilder::start`] is dropped. `R` is the executor it runs on
/// (`alwayson_tokio::Platform` and `alwayson_async_std::Platform` name this type with
/// theirs).
///
/// ```no_run
/// # async fn demo<R: alwayson_async::Runtime>() -> Result<(), alwayson_async::Error> {
/// use alwayson_async::Platform;
/// let platform = Platform::<R>::builder().listen("127.0.0.1:8080").app_key("k").start().await?;
/// println!("edges connect to {}", platform.url());
/// let temp = platform.read_property("Pump1", "temp").await?;
/// platform.write_property("Pump1", "setpoint", 21.5).await?;
/// # let _ = temp; Ok(()) }
/// ```
pub struct Platform<R> {
    shared: Arc<Shared>,
    _owner: Option<Arc<OwnerGuard>>,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for Platform<R> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            _owner: self._owner.clone(),
            runtime: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for Platform<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("local_addr", &self.shared.local_addr)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Platform<R> {
    /// A builder with defaults (listen on `127.0.0.1:0`, no TLS, first-in-wins).
    pub fn builder() -> PlatformBuilder<R> {
        PlatformBuilder::default()
    }

    pub(crate) fn non_owning(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            _owner: None,
            runtime: PhantomData,
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// The URL edges connect to: `ws://ADDR/Thingworx/WS` (`wss://` with TLS).
    pub fn url(&self) -> String {
        #[cfg(feature = "legacy-tls")]
        let legacy = self.shared.legacy_tls.is_some();
        #[cfg(not(feature = "legacy-tls"))]
        let legacy = false;
        let scheme = if self.shared.tls.is_some() || legacy {
            "wss"
        } else {
            "ws"
        };
        format!("{scheme}://{}{WS_PATH}", self.shared.local_addr)
    }

    /// Every thing the platform has seen bound.
    pub fn things(&self) -> Vec<ThingStatus> {
        self.shared.registry.snapshot()
    }

    /// One thing's status.
    pub fn thing(&self, name: &str) -> Option<ThingStatus> {
        self.shared.registry.get(name)
    }

    /// The thing registry shared by all connections.
    pub fn registry(&self) -> &ThingRegistry {
        &self.shared.registry
    }

    /// The default edge-request handler's store (edge property writes and pushes).
    pub fn property_store(&self) -> PropertyStore {
        self.shared.store.clone()
    }

    /// Notices about connections, authentication and binding from now on, as a `Stream`.
    pub fn events(&self) -> Notices<PlatformNotice> {
        self.shared.notices.subscribe()
    }

    /// Sends `request` to the edge that has `thing` bound and waits for the response (any
    /// status). The request's entity should be `thing`.
    pub async fn request(&self, thing: &str, request: Request) -> Result<Response> {
        let mut tx = self.shared.sender_for(thing)?;
        let (reply, rx) = oneshot::channel();
        tx.send(ConnCommand::Request(Box::new((request, reply))))
            .await
            .map_err(|_| Error::Disconnected)?;
        rx.await.map_err(|_| Error::Disconnected)?
    }

    /// Reads a property from the edge that has `thing` bound.
    pub async fn read_property(&self, thing: &str, property: &str) -> Result<Value> {
        let response = self
            .request(thing, Request::read_property(thing, property))
            .await?;
        property_value(property, response)
    }

    /// Writes a property on the edge that has `thing` bound.
    pub async fn write_property(
        &self,
        thing: &str,
        property: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let request = Request::write_property(thing, property, value.into());
        check(self.request(thing, request).await?).map(|_| ())
    }

    /// Invokes a service on the edge; returns its result table (empty if it had none).
    pub async fn invoke_service(
        &self,
        thing: &str,
        service: &str,
        params: Option<InfoTable>,
    ) -> Result<InfoTable> {
        let request = Request::invoke_service(thing, service, params);
        Ok(check(self.request(thing, request).await?)?.unwrap_or_default())
    }

    /// Fires an event at the edge (the reference SDK answers NOT_FOUND to events).
    pub async fn fire_event(&self, thing: &str, event: &str, data: InfoTable) -> Result<()> {
        let request = Request::fire_event(thing, event, data);
        check(self.request(thing, request).await?).map(|_| ())
    }

    /// Stops accepting, closes every connection (their things become unbound) and waits
    /// (at most 5 s) for the connection tasks to end. The listening port is free afterwards.
    pub async fn shutdown(&self) {
        self.shared.shutdown.set(true);
        self.shared.accepting.wait_for(|running| !*running).await;
        let live = self.shared.live.clone();
        let _ = timeout::<R, _>(Duration::from_secs(5), live.wait_for(|n| *n == 0)).await;
    }
}

/// Configures and starts a [`Platform`].
pub struct PlatformBuilder<R> {
    listen: String,
    app_keys: HashSet<String>,
    auth: Option<AuthPolicy>,
    tls: Option<Result<crate::tls::TlsServer>>,
    config: PlatformConfig,
    policy: BindPolicy,
    handler: Option<Arc<dyn EdgeRequestHandler>>,
    push_handler: Option<Arc<dyn PushHandler>>,
    http_handler: Option<HttpHandler>,
    store: PropertyStore,
    limits: ConnectionLimits,
    retention: Retention,
    runtime: PhantomData<fn() -> R>,
    #[cfg(feature = "legacy-tls")]
    legacy_tls: Option<(Vec<u8>, Vec<u8>)>,
}

impl<R> Default for PlatformBuilder<R> {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            app_keys: HashSet::new(),
            auth: None,
            tls: None,
            config: PlatformConfig::default(),
            policy: BindPolicy::default(),
            handler: None,
            push_handler: None,
            http_handler: None,
            store: PropertyStore::new(),
            limits: ConnectionLimits::default(),
            retention: Retention::default(),
            runtime: PhantomData,
            #[cfg(feature = "legacy-tls")]
            legacy_tls: None,
        }
    }
}

impl<R: Runtime> PlatformBuilder<R> {
    /// Address to listen on (`"0.0.0.0:443"`, a `SocketAddr`, ...). Default `127.0.0.1:0`.
    pub fn listen(mut self, addr: impl ToString) -> Self {
        self.listen = addr.to_string();
        self
    }

    /// Accept this application key (repeatable).
    pub fn app_key(mut self, key: impl Into<String>) -> Self {
        self.app_keys.insert(key.into());
        self
    }

    /// Decide on the AUTH claims with a closure (replaces the app-key list).
    pub fn credentials<F>(mut self, check: F) -> Self
    where
        F: Fn(&Auth) -> bool + Send + Sync + 'static,
    {
        self.auth = Some(AuthPolicy::check(check));
        self
    }

    /// Accept any credentials (testing only).
    pub fn accept_any_credentials(mut self) -> Self {
        self.auth = Some(AuthPolicy::AcceptAll);
        self
    }

    /// Serve TLS (`wss://`) with this PEM certificate chain and private key.
    #[cfg(feature = "tls")]
    pub fn tls_pem(mut self, cert_chain_pem: impl AsRef<[u8]>, key_pem: impl AsRef<[u8]>) -> Self {
        self.tls = Some(crate::tls::TlsServer::from_pem(
            cert_chain_pem.as_ref(),
            key_pem.as_ref(),
        ));
        self
    }

    /// Serve TLS with OpenSSL instead of rustls, accepting legacy TLS as deployed C SDK 1.3.x
    /// edges speak it (TLS 1.0/1.1, RSA and DHE key exchange, security level 0) besides
    /// TLS 1.2/1.3. PEM certificate chain and private key; use an RSA certificate for those
    /// edges. Feature `legacy-tls`.
    #[cfg(feature = "legacy-tls")]
    pub fn legacy_tls_pem(
        mut self,
        cert_chain_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Self {
        self.legacy_tls = Some((cert_chain_pem.as_ref().to_vec(), key_pem.as_ref().to_vec()));
        self
    }

    /// Serve TLS with a ready rustls configuration (e.g. with client authentication).
    #[cfg(feature = "tls")]
    pub fn tls_config(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(Ok(crate::tls::TlsServer::from_config(config)));
        self
    }

    /// Close connections that have not authenticated this long after opening. Default 15 s.
    pub fn auth_timeout(mut self, d: Duration) -> Self {
        self.config.auth_timeout = d;
        self
    }

    /// Close connections that received nothing this long. Default 60 s.
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.config.idle_timeout = d;
        self
    }

    /// Wait this long for an edge's response. Default 10 s.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.config.request_timeout = d;
        self
    }

    /// What happens when a bound thing is bound again elsewhere. Default first-in-wins.
    pub fn bind_policy(mut self, policy: BindPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Chunk size for messages to edges (lowered per connection to the edge's
    /// `Max-Frame-Size`). Default 8192.
    pub fn chunk_size(mut self, size: u16) -> Self {
        self.config.chunk_size = size;
        self
    }

    /// Largest complete message sent or reassembled. Default 1 MiB.
    pub fn max_message_size(mut self, size: usize) -> Self {
        self.config.max_message_size = size;
        self.config.reassembly.max_message_size = size;
        self
    }

    /// Most things one connection may hold bound
    /// ([`PlatformConfig::max_things_per_connection`]); names beyond it in a BIND are
    /// refused (`0x83`, the reason names the cap) and logged. Default 10 000.
    pub fn max_things_per_connection(mut self, n: usize) -> Self {
        self.config.max_things_per_connection = n;
        self
    }

    /// How long and how many unbound things the registry remembers ([`Retention`]: default
    /// 24 h and 100 000 things, the oldest unbound forgotten first). A sweep forgets things by
    /// age every quarter of `forget_after` (between 10 ms and 60 s), with or without traffic.
    pub fn registry_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Body bytes of incomplete multipart messages all connections may hold together
    /// ([`PlatformConfig::reassembly_budget`]); a chunk beyond it is refused with a
    /// SERVICE_UNAVAILABLE answer and logged. Default 64 MiB.
    pub fn reassembly_budget(mut self, bytes: usize) -> Self {
        self.config.reassembly_budget = bytes;
        self
    }

    /// Refuse multipart messages to edges unless `chunk count × chunk size ≤ size`
    /// ([`alwayson_proto::RequestError::ExceedsPeerLimit`]): what an SDK edge checks before it
    /// silently drops a message (sdk-quirks.md Q9). Use 16384 for C SDK 1.3.1 edges with
    /// default settings. Default: no such guard.
    pub fn edge_max_message_size(mut self, size: usize) -> Self {
        self.config.edge_max_message_size = Some(size);
        self
    }

    /// Header-read timeout, connection caps and the per-IP cap on connections that have
    /// not authenticated ([`ConnectionLimits`]; defaults derived from the file-descriptor
    /// limit).
    pub fn connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// All session settings at once (replaces the individual setters called before).
    pub fn session_config(mut self, config: PlatformConfig) -> Self {
        self.config = config;
        self
    }

    /// Answers edge→platform requests (default: the in-memory [`PropertyStore`]).
    pub fn edge_request_handler(mut self, handler: impl EdgeRequestHandler) -> Self {
        self.handler = Some(Arc::new(handler));
        self
    }

    /// Takes the property values edges push (`UpdateSubscribedPropertyValues`) without
    /// decoding them to owned tables: each arrives as a [`Push`] borrowed from the received
    /// bytes (see [`PushHandler`]). Without one (the default), pushes go to the
    /// [`edge_request_handler`](Self::edge_request_handler) as owned [`Request`]s. A push
    /// whose params lack the typed `values` table (a `_content_` JSON body) still goes to the
    /// edge-request handler. With one, typed pushes no longer reach the edge-request handler
    /// (nor the default [`PropertyStore`], [`Platform::property_store`]).
    ///
    /// ```no_run
    /// # async fn run<R: alwayson_async::Runtime>() -> alwayson_async::Result<()> {
    /// use alwayson_async::{Platform, Response};
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let values = Arc::new(AtomicU64::new(0));
    /// let counted = values.clone();
    /// let platform = Platform::<R>::builder()
    ///     .app_key("secret")
    ///     .push_handler(move |push: alwayson_async::platform::Push| {
    ///         for update in push.updates() {
    ///             // update.name, update.value (a view), update.time, update.quality
    ///             let _ = update.value.to_owned(); // only what is kept is copied
    ///             counted.fetch_add(1, Ordering::Relaxed);
    ///         }
    ///         std::future::ready(Response::success())
    ///     })
    ///     .start()
    ///     .await?;
    /// # let _ = platform; Ok(()) }
    /// ```
    pub fn push_handler(mut self, handler: impl PushHandler) -> Self {
        self.push_handler = Some(Arc::new(handler));
        self
    }

    /// Serves non-websocket HTTP requests on the same port (default: 404).
    pub fn http_handler<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(http::Request<Bytes>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = http::Response<Bytes>> + Send + 'static,
    {
        self.http_handler = Some(Arc::new(move |req| Box::pin(handler(req))));
        self
    }

    /// Binds the listener and starts serving.
    pub async fn start(self) -> Result<Platform<R>> {
        let auth = match self.auth {
            Some(auth) => auth,
            None if !self.app_keys.is_empty() => AuthPolicy::app_keys(self.app_keys),
            None => return Err(Error::Config(
                "no credentials configured: call app_key, credentials or accept_any_credentials"
                    .into(),
            )),
        };
        let tls = self.tls.transpose()?;
        #[cfg(feature = "legacy-tls")]
        let legacy_tls = match &self.legacy_tls {
            Some((cert, key)) => Some(Arc::new(crate::tls_legacy::LegacyTlsAcceptor::from_pem(
                cert, key,
            )?)),
            None => None,
        };
        if self.config.chunk_size < alwayson_proto::multipart::MIN_CHUNK_SIZE {
            return Err(Error::Config(format!(
                "chunk size {} is below the minimum {}",
                self.config.chunk_size,
                alwayson_proto::multipart::MIN_CHUNK_SIZE
            )));
        }
        let listener = R::bind(&self.listen).await?;
        let local_addr = R::local_addr(&listener)?;
        let notices = Publisher::new(|missed| PlatformNotice::Lagged { missed });
        let store = self.store;
        let handler = self
            .handler
            .unwrap_or_else(|| Arc::new(store.clone()) as Arc<dyn EdgeRequestHandler>);
        let registry = ThingRegistry::new(self.policy).with_retention(self.retention);
        let mut config = self.config;
        config.push_events |= self.push_handler.is_some();
        let endpoint = Endpoint::new(config.clone(), registry.clone(), auth);
        let shared = Arc::new(Shared {
            endpoint: Mutex::new(endpoint),
            registry,
            conns: RwLock::new(HashMap::new()),
            notices,
            store,
            handler,
            push_handler: self.push_handler,
            http_handler: self.http_handler,
            config,
            tls,
            #[cfg(feature = "legacy-tls")]
            legacy_tls,
            local_addr,
            admission: admission::Admission::new(self.limits),
            shutdown: Watch::new(false),
            live: Watch::new(0),
            accepting: Watch::new(true),
        });
        R::spawn(server::accept_loop::<R>(shared.clone(), listener));
        R::spawn(sweep::sweep_loop::<R>(shared.clone()));
        tracing::info!(%local_addr, "platform listening");
        Ok(Platform {
            shared: shared.clone(),
            _owner: Some(Arc::new(OwnerGuard(shared))),
            runtime: PhantomData,
        })
    }
}

impl<R: Runtime> IntoFuture for PlatformBuilder<R> {
    type Output = Result<Platform<R>>;
    type IntoFuture = BoxFuture<'static, Result<Platform<R>>>;

    /// `builder.await` is `builder.start().await`.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.start())
    }
}
