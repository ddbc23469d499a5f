//! The edge (client) side: [`EdgeClient`] connects to a platform, authenticates, binds its
//! things, serves their properties and services, and reconnects on its own.

mod driver;
mod link;
mod metadata;
pub mod offline;
#[cfg(feature = "proxy")]
pub mod proxy;
mod push;
mod thing;

pub use alwayson_proto::edge::OfflineStats;
pub use alwayson_proto::edge::{
    AuthFailure, BindRefusal, Credentials, DisconnectReason, DutyCycle, PushError, PushRule,
    PushType,
};
pub use offline::OfflineStore;
#[cfg(feature = "proxy")]
pub use proxy::{Proxy, ProxyEnv, ProxyError};
pub use push::PushStats;
pub use thing::{Fallback, HandlerError, Thing};

use crate::backoff::Reconnect;
use crate::error::{Error, Result};
use crate::notices::{Notices, Publisher};
use crate::runtime::{timeout, Runtime};
use crate::store::{check, property_value};
use crate::tls::ClientTls;
use crate::watch::Watch;
use alwayson_proto::{
    EdgeConfig, Gateway, InfoTable, PropertyUpdate, Request, Response, StatusCode, Value,
    WireString,
};
use driver::{Command, Driver, RequestCmd};
use futures_channel::{mpsc, oneshot};
use futures_util::SinkExt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use thing::Things;

/// Where an [`EdgeClient`] is, as seen by the application ([`EdgeClient::state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// First connect in progress.
    Connecting,
    /// Websocket open, AUTH sent.
    Authenticating,
    /// Authenticated: binds and requests flow (individual BIND results arrive as
    /// [`EdgeNotice::Bound`] / [`EdgeNotice::BindRejected`]).
    Bound,
    /// Connection lost; backing off and reconnecting.
    Reconnecting,
    /// Shut down, or gave up reconnecting.
    Closed,
}

/// What an [`EdgeClient`] reports ([`EdgeClient::events`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EdgeNotice {
    /// The websocket opened (AUTH follows).
    Connected,
    /// A connect attempt failed; the next one follows after a backoff delay.
    ConnectFailed {
        /// Consecutive failed attempts so far.
        attempt: u32,
        /// The error, as text.
        error: String,
    },
    /// AUTH accepted.
    Authenticated {
        /// Session id assigned by the platform.
        session_id: u32,
    },
    /// AUTH refused or unanswered.
    AuthFailed(AuthFailure),
    /// A thing is bound.
    Bound {
        /// Thing name.
        name: String,
    },
    /// A thing's BIND was refused (e.g. bound elsewhere under first-in-wins, or beyond the
    /// platform's things-per-connection cap), or timed out (GATEWAY_TIMEOUT).
    BindRejected {
        /// Thing name.
        name: String,
        /// The platform's status.
        status: StatusCode,
        /// The platform's reason, when its answer carried one (SDK platforms send none).
        reason: Option<String>,
    },
    /// A thing was unbound.
    Unbound {
        /// Thing name.
        name: String,
    },
    /// The websocket went away.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
    /// A message from the offline store was refused by the platform or could not be sent:
    /// it left the store (not retried).
    StoredMessageRefused(offline::Refusal),
    /// The client is closed for good.
    Closed,
    /// This subscriber fell more than 1024 notices behind: `missed` notices were dropped
    /// for it here (never silently; the others still came in order).
    Lagged {
        /// How many notices were dropped.
        missed: u64,
    },
}

/// A connected AlwaysOn edge.
///
/// Cheap to clone; the connection (and its tasks) ends on [`EdgeClient::shutdown`] or when
/// the last clone is dropped. `R` is the executor it runs on (`alwayson_tokio::EdgeClient`
/// and `alwayson_async_std::EdgeClient` name this type with theirs).
///
/// ```no_run
/// # async fn demo<R: alwayson_async::Runtime>() -> Result<(), alwayson_async::Error> {
/// use alwayson_async::edge::{EdgeClient, Thing};
/// use alwayson_async::InfoTable;
/// let edge = EdgeClient::<R>::builder("wss://platform.example:443/Thingworx/WS")
///     .app_key("my-app-key")
///     .thing(Thing::new("Pump1")
///         .property("temp", 21.5)
///         .service("Restart", |_p: Option<InfoTable>| async move { Ok(InfoTable::new()) }))
///     .connect()
///     .await?;
/// edge.write_property("Pump1", "temp", 22.0).await?;
/// edge.shutdown().await;
/// # Ok(()) }
/// ```
pub struct EdgeClient<R> {
    cmd: mpsc::Sender<Command>,
    things: Arc<Things>,
    state: Watch<ConnectionState>,
    notices: Publisher<EdgeNotice>,
    request_timeout: Duration,
    offline_stats: Watch<Option<OfflineStats>>,
    refused_binds: Arc<std::sync::OnceLock<Vec<BindRefusal>>>,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for EdgeClient<R> {
    fn clone(&self) -> Self {
        Self {
            cmd: self.cmd.clone(),
            things: self.things.clone(),
            state: self.state.clone(),
            notices: self.notices.clone(),
            request_timeout: self.request_timeout,
            offline_stats: self.offline_stats.clone(),
            refused_binds: self.refused_binds.clone(),
            runtime: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for EdgeClient<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeClient")
            .field("state", &self.state.get())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> EdgeClient<R> {
    /// A builder for a client of the platform at `url` (`ws://` or `wss://`; a URL without
    /// a path connects to `/Thingworx/WS`).
    pub fn builder(url: impl Into<String>) -> EdgeClientBuilder<R> {
        EdgeClientBuilder::new(url.into())
    }

    /// Sends a request to the platform and waits for its response (any status).
    pub async fn request(&self, request: Request) -> Result<Response> {
        self.request_with(request, None, false).await
    }

    async fn request_with(
        &self,
        request: Request,
        local: Option<(String, String, Value)>,
        storable: bool,
    ) -> Result<Response> {
        let (reply, rx) = oneshot::channel();
        self.cmd
            .clone()
            .send(Command::Request(Box::new(RequestCmd {
                request,
                reply,
                local,
                storable,
            })))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Sends a request through the offline store ([`EdgeClientBuilder::offline_store`]),
    /// like pushes and events: resolves once it is stored, connected or not; it goes out
    /// when its thing is bound, in order with that thing's other stored messages, and at
    /// least once (a refusal comes as [`EdgeNotice::StoredMessageRefused`]). For requests
    /// whose effect the platform should get even after an outage (a property write, a
    /// service call with no answer needed). Without a store it is [`EdgeClient::request`]
    /// with its status checked.
    pub async fn request_stored(&self, request: Request) -> Result<()> {
        check(self.request_with(request, None, true).await?).map(|_| ())
    }

    /// Reads a property from the platform.
    pub async fn read_property(&self, thing: &str, property: &str) -> Result<Value> {
        let response = self
            .request(Request::read_property(thing, property))
            .await?;
        property_value(property, response)
    }

    /// Writes a property on the platform. On success the local value is updated too, so a
    /// platform read of the property (answered by this edge) returns it.
    pub async fn write_property(
        &self,
        thing: &str,
        property: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let value = value.into();
        let request = Request::write_property(thing, property, value.clone());
        let local = Some((thing.to_owned(), property.to_owned(), value));
        check(self.request_with(request, local, false).await?).map(|_| ())
    }

    /// Invokes a platform service; returns its result table (empty if none).
    pub async fn invoke_service(
        &self,
        thing: &str,
        service: &str,
        params: Option<InfoTable>,
    ) -> Result<InfoTable> {
        let request = Request::invoke_service(thing, service, params);
        Ok(check(self.request(request).await?)?.unwrap_or_default())
    }

    /// Fires an event on the platform. With an offline store
    /// ([`EdgeClientBuilder::offline_store`]) this resolves once the event is stored and is
    /// delivered at least once (a refusal comes as [`EdgeNotice::StoredMessageRefused`]).
    pub async fn fire_event(&self, thing: &str, event: &str, data: InfoTable) -> Result<()> {
        check(
            self.request_with(Request::fire_event(thing, event, data), None, true)
                .await?,
        )
        .map(|_| ())
    }

    /// Pushes property values (`UpdateSubscribedPropertyValues`); local values are updated
    /// on success. With an offline store ([`EdgeClientBuilder::offline_store`]) this
    /// resolves once the push is stored (connected or not): it goes out, in order per
    /// thing, when its thing is bound, and at least once.
    pub async fn push_properties(&self, thing: &str, updates: &[PropertyUpdate]) -> Result<()> {
        check(
            self.request_with(Request::push_properties(thing, updates), None, true)
                .await?,
        )?;
        for u in updates {
            self.things
                .store
                .set(thing, &u.name.to_str_lossy(), u.value.clone());
        }
        Ok(())
    }

    /// Binds more things; resolves when the platform answered every BIND (an error if any
    /// was refused). While disconnected the BIND goes out after the next AUTH; this call
    /// gives up waiting (with [`Error::Timeout`]) after twice the request timeout, the
    /// binding itself is kept.
    pub async fn bind<I, N>(&self, names: I) -> Result<()>
    where
        I: IntoIterator<Item = N>,
        N: Into<String>,
    {
        self.bind_cmd(names, false).await
    }

    /// Unbinds things; resolves when the platform answered (see [`EdgeClient::bind`]).
    pub async fn unbind<I, N>(&self, names: I) -> Result<()>
    where
        I: IntoIterator<Item = N>,
        N: Into<String>,
    {
        self.bind_cmd(names, true).await
    }

    async fn bind_cmd<I, N>(&self, names: I, unbind: bool) -> Result<()>
    where
        I: IntoIterator<Item = N>,
        N: Into<String>,
    {
        let names: Vec<WireString> = names.into_iter().map(|n| n.into().into()).collect();
        if names.is_empty() {
            return Ok(());
        }
        let (reply, rx) = oneshot::channel();
        self.cmd
            .clone()
            .send(Command::Bind {
                names,
                unbind,
                reply,
            })
            .await
            .map_err(|_| Error::Closed)?;
        match timeout::<R, _>(self.request_timeout.saturating_mul(2), rx).await {
            Some(r) => r.map_err(|_| Error::Closed)?,
            None => Err(Error::Timeout),
        }
    }

    /// The local value of a property (stored properties only; getters are not called).
    pub fn property(&self, thing: &str, property: &str) -> Option<Value> {
        self.things.store.get(thing, property)
    }

    /// Sets a property's value, timed now with quality `GOOD` (see
    /// [`EdgeClient::set_property_vtq`]).
    pub fn set_property(
        &self,
        thing: &str,
        property: &str,
        value: impl Into<Value>,
    ) -> Result<bool> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self.set_property_vtq(thing, PropertyUpdate::new(property, value.into(), now))
    }

    /// Sets a property's value, time and quality: the local value (what platform reads
    /// return) changes, and the property's push rule ([`Thing::push_rule`], refreshed from
    /// the platform) decides whether the value is queued for the platform; returns whether
    /// it was. Queued values go out as `UpdateSubscribedPropertyValues` batches every push
    /// interval ([`EdgeClientBuilder::push_interval`]) and on [`EdgeClient::flush`]; with
    /// an offline store they are stored like any push.
    ///
    /// Refused with [`Error::Push`] for a property a defined [`Thing`] does not have, or a
    /// value of another base type (unless the thing was built with
    /// [`Thing::accept_new_properties`]); a thing bound without a definition takes any
    /// property, with the default rule (`VALUE`, threshold 0).
    pub fn set_property_vtq(&self, thing: &str, update: PropertyUpdate) -> Result<bool> {
        Ok(self.things.set(thing, update)?)
    }

    /// Sends the subscribed properties' queued values now. Resolves when every batch was
    /// stored (with an offline store) or answered by the platform (an error if one was
    /// refused). Without a store, the values of things not bound now stay queued.
    pub async fn flush(&self) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.cmd
            .clone()
            .send(Command::Flush { reply })
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Values queued by push rules and not yet sent or stored.
    pub fn queued_values(&self) -> usize {
        self.things.subscribed().queued_len()
    }

    /// Figures of the subscribed properties: queued, dropped, failed batches.
    pub fn push_stats(&self) -> PushStats {
        let s = self.things.subscribed();
        PushStats {
            queued: s.queued_len(),
            dropped: s.dropped(),
            failed_batches: self
                .things
                .push_failures
                .load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The connection state: [`Watch::get`] reads it, [`Watch::wait_for`] waits for e.g.
    /// [`ConnectionState::Bound`].
    pub fn state(&self) -> Watch<ConnectionState> {
        self.state.clone()
    }

    /// The offline store's figures (queued, bytes, stored, replayed, done, dropped,
    /// refused), updated after each batch of work; `None` without a store.
    pub fn offline_stats(&self) -> Watch<Option<OfflineStats>> {
        self.offline_stats.clone()
    }

    /// The things the platform refused in the BIND that [`EdgeClientBuilder::connect`]
    /// waited for, with its status and reason (empty when every thing was bound; the
    /// `Display` of a [`BindRefusal`] says it in words). Each refusal was
    /// also logged as a warning and published as [`EdgeNotice::BindRejected`] — before
    /// `connect` returned, so only a subscriber made with [`EdgeClientBuilder::events`]
    /// sees those notices.
    ///
    /// Empty for a client made with [`EdgeClientBuilder::start`] (it does not wait for the
    /// first BIND): watch [`events`](Self::events) for `BindRejected` there.
    pub fn refused_binds(&self) -> &[BindRefusal] {
        self.refused_binds.get().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Notices about the connection and bindings from now on, as a `Stream`.
    pub fn events(&self) -> Notices<EdgeNotice> {
        self.notices.subscribe()
    }

    /// UNBINDs everything, closes the websocket normally and ends the client's task
    /// (waits at most the request timeout plus two seconds).
    pub async fn shutdown(&self) {
        let (reply, rx) = oneshot::channel();
        if self
            .cmd
            .clone()
            .send(Command::Shutdown { reply })
            .await
            .is_ok()
        {
            let limit = self.request_timeout.saturating_add(Duration::from_secs(2));
            let _ = timeout::<R, _>(limit, rx).await;
        }
    }

    /// Like [`shutdown`](Self::shutdown), and hands the offline store back (with what it
    /// still holds, messages in flight counted as not sent) to give to the next client
    /// ([`EdgeClientBuilder::offline_store`]), e.g. one for another platform. `None`
    /// without a store, or when the client had already closed.
    pub async fn shutdown_keeping_offline_store(&self) -> Option<OfflineStore> {
        let (reply, rx) = oneshot::channel();
        let sent = self
            .cmd
            .clone()
            .send(Command::ShutdownKeepingStore { reply })
            .await;
        if sent.is_err() {
            return None;
        }
        let limit = self.request_timeout.saturating_add(Duration::from_secs(2));
        timeout::<R, _>(limit, rx).await?.ok().flatten()
    }
}

/// Configures and connects an [`EdgeClient`].
pub struct EdgeClientBuilder<R> {
    url: String,
    credentials: Option<Credentials>,
    bind: Vec<String>,
    gateway: Option<Gateway>,
    tls: ClientTls,
    config: Option<EdgeConfig>,
    request_timeout: Option<Duration>,
    ping_interval: Option<Duration>,
    pong_timeout: Option<Duration>,
    chunk_size: Option<u16>,
    max_message_size: Option<usize>,
    reconnect: Reconnect,
    connect_timeout: Duration,
    things: Vec<Thing>,
    offline: Option<OfflineStore>,
    #[cfg(feature = "proxy")]
    proxy: ProxySetting,
    duty_cycle: Option<DutyCycle>,
    push_interval: Option<Duration>,
    push_queue_limit: usize,
    fallback: Option<Fallback>,
    first_connect_delay: Duration,
    /// The client's notices, made here so that [`events`](Self::events) can subscribe
    /// before connecting.
    notices: Publisher<EdgeNotice>,
    runtime: PhantomData<fn() -> R>,
}

/// How the edge reaches the platform: directly or through an HTTP proxy.
#[cfg(feature = "proxy")]
enum ProxySetting {
    Direct,
    Url(std::result::Result<Proxy, ProxyError>),
    Env(ProxyEnv),
}

impl<R: Runtime> EdgeClientBuilder<R> {
    fn new(url: String) -> Self {
        Self {
            url,
            credentials: None,
            bind: Vec::new(),
            gateway: None,
            tls: ClientTls::default(),
            config: None,
            request_timeout: None,
            ping_interval: None,
            pong_timeout: None,
            chunk_size: None,
            max_message_size: None,
            reconnect: Reconnect::default(),
            connect_timeout: Duration::from_secs(10),
            things: Vec::new(),
            offline: None,
            #[cfg(feature = "proxy")]
            proxy: ProxySetting::Direct,
            duty_cycle: None,
            push_interval: Some(Duration::from_secs(1)),
            push_queue_limit: alwayson_proto::edge::SubscribedProperties::DEFAULT_LIMIT,
            fallback: None,
            first_connect_delay: Duration::ZERO,
            notices: Publisher::new(|missed| EdgeNotice::Lagged { missed }),
            runtime: PhantomData,
        }
    }

    /// Notices of the client this builder makes, from its first connect attempt on: what
    /// [`EdgeClient::events`] gives, but subscribed before [`connect`](Self::connect)
    /// returns, so failed attempts ([`EdgeNotice::ConnectFailed`], each with its error),
    /// AUTH failures and refused BINDs of the first connect are seen too.
    ///
    /// ```no_run
    /// # async fn demo<R: alwayson_async::Runtime>() -> Result<(), alwayson_async::Error> {
    /// use alwayson_async::{EdgeClient, EdgeNotice};
    /// let builder = EdgeClient::<R>::builder("ws://127.0.0.1:8080/Thingworx/WS").app_key("k");
    /// let mut notices = builder.events();
    /// R::spawn(async move {
    ///     while let Some(notice) = futures_util::StreamExt::next(&mut notices).await {
    ///         if let EdgeNotice::ConnectFailed { attempt, error } = notice {
    ///             eprintln!("connect attempt {attempt} failed: {error}");
    ///         }
    ///     }
    /// });
    /// let edge = builder.connect().await?;
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> Notices<EdgeNotice> {
        self.notices.subscribe()
    }

    /// Connect through this HTTP proxy, `http://[user[:password]@]host[:port]`, with
    /// `CONNECT` (for `ws://` and `wss://`; TLS runs inside the tunnel) and Basic
    /// authentication when credentials are given (feature `proxy`). An invalid URL fails
    /// [`connect`](Self::connect) with [`Error::Proxy`]; a proxy that is down, answers 407
    /// or another refusal, or closes is a connection failure, retried with backoff.
    ///
    /// ```no_run
    /// # async fn demo<R: alwayson_async::Runtime>() -> Result<(), alwayson_async::Error> {
    /// let edge = alwayson_async::EdgeClient::<R>::builder("wss://twx.example.com/Thingworx/WS")
    ///     .app_key("my-app-key")
    ///     .proxy("http://edge:secret@proxy.example:3128")
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "proxy")]
    pub fn proxy(mut self, url: impl AsRef<str>) -> Self {
        self.proxy = ProxySetting::Url(Proxy::parse(url.as_ref()));
        self
    }

    /// Use the proxy that `HTTPS_PROXY` (`wss://`) or `HTTP_PROXY` (`ws://`) name, unless
    /// `NO_PROXY` exempts the platform's host (lower-case names too; see [`ProxyEnv`]).
    /// The environment is read only when this is called: without it, it is ignored.
    /// (Feature `proxy`.)
    #[cfg(feature = "proxy")]
    pub fn proxy_from_env(self) -> Self {
        self.proxy_env(ProxyEnv::from_env())
    }

    /// Like [`proxy_from_env`](Self::proxy_from_env) with variables the application
    /// supplies ([`ProxyEnv::from_vars`]). (Feature `proxy`.)
    #[cfg(feature = "proxy")]
    pub fn proxy_env(mut self, env: ProxyEnv) -> Self {
        self.proxy = ProxySetting::Env(env);
        self
    }

    /// How often values queued by push rules ([`EdgeClient::set_property`]) are sent;
    /// `None`: only on [`EdgeClient::flush`]. Default 1 s.
    pub fn push_interval(mut self, interval: Option<Duration>) -> Self {
        self.push_interval = interval.filter(|d| !d.is_zero());
        self
    }

    /// Most values queued by push rules at once (default 100 000): beyond it the oldest
    /// queued value is dropped, counted in [`EdgeClient::push_stats`] and logged. Values
    /// wait in this queue while no thing is bound and there is no offline store.
    pub fn push_queue_limit(mut self, limit: usize) -> Self {
        self.push_queue_limit = limit;
        self
    }

    /// Answer platform requests for things without a [`Thing`] definition with `handler`
    /// (instead of the property store): a gateway serving things registered at run time
    /// binds them with [`EdgeClient::bind`] and answers their requests here.
    pub fn fallback<F>(mut self, handler: F) -> Self
    where
        F: Fn(Request) -> futures_util::future::BoxFuture<'static, Response>
            + Send
            + Sync
            + 'static,
    {
        self.fallback = Some(Arc::new(handler));
        self
    }

    /// Keep pushes and events in this store ([`OfflineStore::memory`] or
    /// [`OfflineStore::durable`]): they are stored first, sent once their thing is bound
    /// (after each reconnect: after AUTH *and* its BIND), and leave the store when the
    /// platform answers. Without a store they are sent directly and fail while offline
    /// (unless a [`duty_cycle`](Self::duty_cycle) is set, which uses a memory store).
    pub fn offline_store(mut self, store: OfflineStore) -> Self {
        self.offline = Some(store);
        self
    }

    /// Be connected for a share of every period only (off by default): at the start of
    /// each off time the edge UNBINDs its things and closes the websocket
    /// ([`EdgeNotice::Disconnected`] with [`DisconnectReason::DutyCycleOff`]); at the start
    /// of each on time it reconnects and binds them again. The first period starts with
    /// the first connect. Pushes and events made during the off time go to the offline
    /// store and are delivered after the next BIND: without
    /// [`offline_store`](Self::offline_store), a memory store with the default limits
    /// ([`OfflineLimits::default`](offline::OfflineLimits::default)) is used, so pushes
    /// resolve once stored, connected or not. Other requests made during the off time
    /// wait for the next on time up to the request timeout.
    ///
    /// ```no_run
    /// # async fn demo<R: alwayson_async::Runtime>() -> Result<(), alwayson_async::Error> {
    /// use alwayson_async::edge::{DutyCycle, EdgeClient};
    /// use std::time::Duration;
    /// // Connected 6 minutes of every hour.
    /// let cycle = DutyCycle::new(Duration::from_secs(3600), 10).expect("valid duty cycle");
    /// let edge = EdgeClient::<R>::builder("wss://twx.example.com/Thingworx/WS")
    ///     .app_key("my-app-key")
    ///     .bind(["Meter1"])
    ///     .duty_cycle(cycle)
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn duty_cycle(mut self, cycle: DutyCycle) -> Self {
        self.duty_cycle = Some(cycle);
        self
    }

    /// Wait this long before the first connect attempt (default none): a fleet given
    /// random delays (the EMS's `max_connect_delay`) does not reconnect all at once after
    /// an outage. [`start`](Self::start) returns at once; [`connect`](Self::connect)
    /// waits for the delay too.
    pub fn first_connect_delay(mut self, delay: Duration) -> Self {
        self.first_connect_delay = delay;
        self
    }

    /// Authenticate with an application key (also sent as the `appKey` upgrade header).
    pub fn app_key(mut self, key: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::AppKey(key.into().into()));
        self
    }

    /// Authenticate with other credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Bind these things (in addition to those added with [`EdgeClientBuilder::thing`]).
    /// Bound things without a [`Thing`] definition serve stored properties only.
    pub fn bind<I, N>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: Into<String>,
    {
        self.bind.extend(names.into_iter().map(Into::into));
        self
    }

    /// Gateway name and type sent with BIND/UNBIND.
    pub fn gateway(mut self, name: impl Into<String>, gateway_type: impl Into<String>) -> Self {
        self.gateway = Some(Gateway {
            name: name.into().into(),
            gateway_type: gateway_type.into().into(),
        });
        self
    }

    /// Trust this PEM CA (repeatable); replaces the built-in web PKI roots.
    #[cfg(feature = "tls")]
    pub fn root_ca_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.tls.root_ca_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Present this client certificate chain and key (PEM).
    #[cfg(feature = "tls")]
    pub fn client_cert_pem(mut self, chain: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Self {
        self.tls.client_cert = Some((chain.as_ref().to_vec(), key.as_ref().to_vec()));
        self
    }

    /// Accept any server certificate. Only for testing: it disables authentication of the
    /// platform.
    #[cfg(feature = "tls")]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.tls.danger_accept_invalid_certs = accept;
        self
    }

    /// Wait this long for any response (AUTH, BIND, requests). Default 10 s.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = Some(d);
        self
    }

    /// Interval between websocket pings. Default 55 s.
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.ping_interval = Some(d);
        self
    }

    /// Reconnect when no pong arrives this long after a ping. Default 10 s.
    pub fn pong_timeout(mut self, d: Duration) -> Self {
        self.pong_timeout = Some(d);
        self
    }

    /// Chunk size, also announced as `Max-Frame-Size`. Default 8192.
    pub fn chunk_size(mut self, size: u16) -> Self {
        self.chunk_size = Some(size);
        self
    }

    /// Largest complete message sent or reassembled. Default 1 MiB.
    pub fn max_message_size(mut self, size: usize) -> Self {
        self.max_message_size = Some(size);
        self
    }

    /// The whole session configuration (credentials included); individual setters called
    /// on the builder still override it.
    pub fn session_config(mut self, config: EdgeConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Reconnect policy (default: 100 ms … 30 s, forever).
    pub fn reconnect(mut self, policy: Reconnect) -> Self {
        self.reconnect = policy;
        self
    }

    /// TCP + TLS + websocket upgrade must complete within this. Default 10 s.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Serve (and bind) this thing.
    pub fn thing(mut self, thing: Thing) -> Self {
        self.things.push(thing);
        self
    }

    fn session_config_final(&mut self) -> Result<EdgeConfig> {
        let mut config = match (self.config.take(), self.credentials.clone()) {
            (Some(mut c), Some(cred)) => {
                c.credentials = cred;
                c
            }
            (Some(c), None) => c,
            (None, Some(cred)) => EdgeConfig::new(cred),
            (None, None) => {
                return Err(Error::Config(
                    "no credentials: call app_key or credentials".into(),
                ))
            }
        };
        if let Some(g) = self.gateway.take() {
            config.gateway = Some(g);
        }
        if let Some(d) = self.request_timeout {
            config.request_timeout = d;
        }
        if let Some(d) = self.ping_interval {
            config.ping_interval = d;
        }
        if let Some(d) = self.pong_timeout {
            config.pong_timeout = d;
        }
        if let Some(s) = self.chunk_size {
            config.chunk_size = s;
        }
        if let Some(s) = self.max_message_size {
            config.max_message_size = s;
            config.reassembly.max_message_size = s;
        }
        if let Some(cycle) = self.duty_cycle {
            config.duty_cycle = Some(cycle);
        }
        if config.chunk_size < alwayson_proto::multipart::MIN_CHUNK_SIZE {
            return Err(Error::Config(format!(
                "chunk size {} is below the minimum {}",
                config.chunk_size,
                alwayson_proto::multipart::MIN_CHUNK_SIZE
            )));
        }
        Ok(config)
    }

    /// Connects; resolves once AUTH succeeded and every initial BIND was answered. Fails
    /// with [`Error::Refused`] when the credentials are refused, or with the last connect
    /// error when the reconnect policy gives up (with the default policy it retries
    /// forever: wrap it in a timeout if that is not wanted).
    pub async fn connect(self) -> Result<EdgeClient<R>> {
        let (client, ready) = self.launch()?;
        let refused = ready.await.map_err(|_| Error::Closed)??;
        let _ = client.refused_binds.set(refused);
        Ok(client)
    }

    /// Starts connecting in the background and returns the client at once (a gateway that
    /// must serve its local side while the platform is unreachable): requests wait for the
    /// connection (until their timeout), [`EdgeClient::state`] tells where it is.
    pub fn start(self) -> Result<EdgeClient<R>> {
        Ok(self.launch()?.0)
    }

    #[allow(clippy::type_complexity)]
    fn launch(mut self) -> Result<(EdgeClient<R>, oneshot::Receiver<Result<driver::Refused>>)> {
        let config = self.session_config_final()?;
        let parsed = link::parse_url(&self.url)?;
        let tls = if parsed.secure {
            Some(self.tls.connector(&self.url, &parsed.host)?)
        } else {
            None
        };
        let app_key = match &config.credentials {
            Credentials::AppKey(k) => Some(k.to_str_lossy().into_owned()),
            _ => None,
        };
        #[cfg(feature = "proxy")]
        let proxy = match std::mem::replace(&mut self.proxy, ProxySetting::Direct) {
            ProxySetting::Direct => None,
            ProxySetting::Url(p) => Some(p?),
            ProxySetting::Env(env) => env.proxy_for(&parsed.url)?,
        };
        #[cfg(feature = "proxy")]
        if let Some(p) = &proxy {
            tracing::debug!(proxy = %p, "connecting through an HTTP proxy");
        }
        let target = link::Target {
            url: parsed.url,
            host: parsed.host,
            port: parsed.port,
            tls,
            app_key,
            max_frame_size: config.chunk_size,
            ws_config: crate::wsio::ws_config(config.max_message_size),
            connect_timeout: self.connect_timeout,
            #[cfg(feature = "proxy")]
            proxy,
        };
        let things = Arc::new(Things::new(
            std::mem::take(&mut self.things),
            self.push_queue_limit,
            self.fallback.take(),
        ));
        let mut names: Vec<String> = things.names().map(str::to_owned).collect();
        for n in self.bind.drain(..) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let request_timeout = config.request_timeout;
        let duty_cycle_on = config.duty_cycle.is_some();
        let (cmd_tx, cmd_rx) = mpsc::channel(1024);
        let state = Watch::new(ConnectionState::Connecting);
        let notices = self.notices.clone();
        let mut offline = self.offline.take();
        if offline.is_none() && duty_cycle_on {
            // Pushes made during the off time wait in memory (bounded) for the next BIND.
            offline = Some(OfflineStore::memory(offline::OfflineLimits::default()));
        }
        let offline_stats = Watch::new(offline.as_ref().map(OfflineStore::stats));
        let (ready_tx, ready_rx) = oneshot::channel();
        let driver = Driver::<R>::new(
            config,
            Arc::new(target),
            things.clone(),
            names,
            self.reconnect,
            cmd_rx,
            state.clone(),
            notices.clone(),
            ready_tx,
            offline,
            offline_stats.clone(),
            self.push_interval,
        );
        let mut driver = driver;
        driver.delay_first_connect(self.first_connect_delay);
        R::spawn(driver.run());
        let client = EdgeClient {
            cmd: cmd_tx,
            things,
            state,
            notices,
            request_timeout,
            offline_stats,
            refused_binds: Arc::new(std::sync::OnceLock::new()),
            runtime: PhantomData,
        };
        Ok((client, ready_rx))
    }
}
