//! The gateway: one AlwaysOn connection in gateway form, the gateway thing, the registered
//! things' requests forwarded to their applications, the applications' health check, and
//! the local REST server.

use crate::callback::Callbacks;
use crate::config::{Config, Encryption};
use crate::registry::{EdgeThing, Registry};
use crate::server;
use alwayson_async::edge::offline::{FsyncPolicy, OfflineLimits, OfflineStore};
use alwayson_proto::{BaseType, DataShape, FieldDefinition, InfoTable, Value};
use alwayson_tokio::{ConnectionState, EdgeClient, EdgeNotice, Reconnect, Thing};
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Failed connect attempts in a row after which the next of `ws_servers` is tried.
pub const FAILOVER_AFTER: u32 = 3;

/// The gateway type sent with BIND and UNBIND, as the EMS does.
pub const GATEWAY_TYPE: &str = "EMSGateway";

/// What `GetMicroserverVersion` answers.
pub const VERSION: &str = concat!("alwayson-ems ", env!("CARGO_PKG_VERSION"));

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A file named by the configuration could not be read.
    #[error("{what} {path}: {source}")]
    File {
        /// What the file is for.
        what: &'static str,
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The HTTP server could not listen.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The error.
        source: std::io::Error,
    },
    /// TLS material is unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// The edge client could not be set up (bad URL, TLS files, offline store).
    #[error(transparent)]
    Edge(#[from] alwayson_tokio::Error),
}

/// State shared by the HTTP handlers, the health check and the request forwarding.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) registry: Arc<Registry>,
    /// The current platform connection (replaced when moving to the next server).
    edge: RwLock<EdgeClient>,
    callbacks: Arc<Callbacks>,
    /// Whether pushes and events go to the offline store while disconnected.
    pub(crate) offline: bool,
}

impl Shared {
    /// Whether the platform connection is up (authenticated).
    pub(crate) fn connected(&self) -> bool {
        self.edge().state().get() == ConnectionState::Bound
    }

    /// The current platform connection.
    pub(crate) fn edge(&self) -> EdgeClient {
        self.edge.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn gateway_name(&self) -> Option<&str> {
        self.config.gateway_name()
    }
}

/// A running gateway.
#[derive(Debug)]
pub struct Gateway {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    https: bool,
    first_connect_delay: Duration,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// `GetEdgeThings`: one row per registered thing.
fn edge_things_table(registry: &Registry) -> InfoTable {
    let s = |n: &str| FieldDefinition::new(n, BaseType::String);
    let fields = vec![
        s("name"),
        s("host"),
        FieldDefinition::new("port", BaseType::Integer),
        s("path"),
        FieldDefinition::new("keepalive", BaseType::Integer),
        FieldDefinition::new("timeout", BaseType::Integer),
        s("proto"),
        s("user"),
        s("accept"),
    ];
    let int = |v: u64| Value::Integer(i32::try_from(v).unwrap_or(i32::MAX));
    let rows: Vec<Vec<Value>> = registry
        .all()
        .into_iter()
        .map(|t| {
            let app = t.app.as_ref();
            vec![
                Value::from(t.name.as_str()),
                Value::from(app.map_or("", |a| a.host.as_str())),
                int(app.map_or(0, |a| u64::from(a.port))),
                Value::from(app.map_or("", |a| a.path.as_str())),
                int(t.keepalive),
                int(t.timeout.as_millis() as u64),
                Value::from(app.map_or("", |a| a.protocol.as_str())),
                Value::from(app.and_then(|a| a.user.as_deref()).unwrap_or("")),
                Value::from(t.accept.as_str()),
            ]
        })
        .collect();
    InfoTable::from_rows(DataShape { fields }, rows)
}

fn read(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, StartError> {
    std::fs::read(path).map_err(|source| StartError::File {
        what,
        path: path.display().to_string(),
        source,
    })
}

/// Builds and starts the edge client for `ws_servers[server]`: gateway form, the gateway
/// thing, every registered name, the fallback that forwards to applications, TLS and the
/// offline store.
fn client(
    config: &Config,
    server: usize,
    registry: &Arc<Registry>,
    callbacks: &Arc<Callbacks>,
    first_connect_delay: Duration,
    offline: Option<OfflineStore>,
) -> Result<EdgeClient, StartError> {
    let ws = &config.ws_connection;
    let retry = ws.connect_retry_interval.max(Duration::from_millis(10));
    let fallback_registry = registry.clone();
    let callbacks = callbacks.clone();
    let mut builder = EdgeClient::builder(config.platform_url_of(server))
        .app_key(config.app_key.clone())
        .request_timeout(ws.msg_timeout)
        .ping_interval(ws.ping_rate)
        .pong_timeout(ws.pingpong_timeout)
        .chunk_size(ws.message_chunk_size)
        .max_message_size(ws.max_msg_size)
        .connect_timeout(ws.connect_timeout)
        .first_connect_delay(first_connect_delay)
        .reconnect(Reconnect::new(retry.min(Duration::from_millis(100)), retry))
        .fallback(move |request| {
            let registry = fallback_registry.clone();
            let callbacks = callbacks.clone();
            Box::pin(async move {
                let name = request.entity_name.to_str_lossy().into_owned();
                match registry.get(&name) {
                    Some(thing) => callbacks.forward(&thing, request).await,
                    None => alwayson_proto::Response::error(
                        alwayson_proto::StatusCode::NOT_FOUND,
                        format!("thing {name:?} is not registered with this gateway"),
                    ),
                }
            })
        })
        .bind(registry.all().into_iter().map(|t| t.name));
    if let Some(name) = config.gateway_name() {
        let things = registry.clone();
        builder = builder.gateway(name, GATEWAY_TYPE).thing(
            Thing::new(name)
                .property_getter("isConnected", || async { Ok(Value::Boolean(true)) })
                .service("GetEdgeThings", move |_| {
                    let table = edge_things_table(&things);
                    async move { Ok(table) }
                })
                .service("GetMicroserverVersion", |_| async {
                    Ok(InfoTable::single("result", Value::from(VERSION)))
                }),
        );
    }
    if config.ws_connection.encryption == Encryption::Ssl {
        let c = &config.certificates;
        if !c.validate || c.allow_self_signed {
            builder = builder.danger_accept_invalid_certs(true);
        }
        for ca in &c.cert_chain {
            builder = builder.root_ca_pem(read("CA certificate", ca)?);
        }
        if let (Some(cert), Some(key)) = (&c.client_cert, &c.key_file) {
            builder = builder
                .client_cert_pem(read("client certificate", cert)?, read("client key", key)?);
        }
    }
    if let Some(cycle) = config.duty_cycle {
        builder = builder.duty_cycle(cycle);
    }
    if let Some(proxy) = &config.proxy {
        // Checked when the configuration was read.
        if let Ok(url) = proxy.url() {
            builder = builder.proxy(url);
        }
    }
    let store = &config.offline_msg_store;
    if store.enabled {
        let offline = match offline {
            Some(kept) => kept,
            None => {
                let limits = OfflineLimits::default().with_max_bytes(store.max_size.max(1));
                match &store.directory {
                    Some(dir) => OfflineStore::durable(dir, limits, FsyncPolicy::default())
                        .map_err(alwayson_tokio::Error::from)?,
                    None => OfflineStore::memory(limits),
                }
            }
        };
        builder = builder.offline_store(offline);
    }
    Ok(builder.start()?)
}

impl Gateway {
    /// Starts the gateway (on the current tokio runtime): the HTTP server listens at once;
    /// the platform connection is made in the background and retried for ever (moving to
    /// the next of `ws_servers` after [`FAILOVER_AFTER`] failed attempts in a row).
    pub async fn start(config: Config) -> Result<Gateway, StartError> {
        let registry = Arc::new(Registry::new(config.extensions.registrations_file.clone()));
        for a in config.auto_bind.iter().filter(|a| !a.gateway) {
            if let Err(e) = registry.add(EdgeThing::from_auto_bind(a)) {
                tracing::warn!(thing = %a.name, error = %e, "auto_bind entry skipped");
            }
        }
        let persisted = registry.load_persisted();
        if !persisted.is_empty() {
            tracing::info!(things = ?persisted, "registrations restored");
        }
        if config.gateway_name().is_none() {
            tracing::warn!(
                "no auto_bind entry has gateway: true: things are bound without a gateway name"
            );
        }
        let c = &config.certificates;
        let callbacks = if c.http_client_ca_certs.is_empty() || c.allow_self_signed {
            Callbacks::new()?
        } else {
            let pems = c
                .http_client_ca_certs
                .iter()
                .map(|p| read("HTTP client CA certificate", p))
                .collect::<Result<Vec<_>, _>>()?;
            Callbacks::verifying(&pems).map_err(StartError::Tls)?
        };
        let callbacks = Arc::new(callbacks);
        let max = config.ws_connection.max_connect_delay;
        let first_connect_delay = Duration::from_millis(rand::Rng::gen_range(
            &mut rand::thread_rng(),
            0..=max.as_millis() as u64,
        ));
        if !first_connect_delay.is_zero() {
            tracing::info!(delay = ?first_connect_delay, "first connect delayed (max_connect_delay)");
        }
        let edge = client(&config, 0, &registry, &callbacks, first_connect_delay, None)?;
        let shared = Arc::new(Shared {
            offline: config.offline_msg_store.enabled,
            config,
            registry,
            edge: RwLock::new(edge),
            callbacks,
        });
        let (listener, tls) = server::listen(&shared.config.http_server).await?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: shared.config.http_server.bind_host().to_owned(),
            source,
        })?;
        if !shared.config.http_server.is_loopback() {
            tracing::warn!(
                %local_addr,
                "the REST interface listens beyond this machine: any client that can reach it acts with the app key's rights"
            );
        }
        let https = tls.is_some();
        let router = server::router(shared.clone());
        let tasks = vec![
            tokio::spawn(server::serve(listener, tls, router)),
            tokio::spawn(health_check(shared.clone())),
            tokio::spawn(watch(shared.clone())),
        ];
        Ok(Gateway {
            shared,
            local_addr,
            https,
            first_connect_delay,
            tasks,
        })
    }

    /// The random delay (up to `max_connect_delay`) the first connect attempt waited.
    pub fn first_connect_delay(&self) -> Duration {
        self.first_connect_delay
    }

    /// The address the REST interface listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// The platform connection (the current one: it changes when moving to the next of
    /// `ws_servers`).
    pub fn edge(&self) -> EdgeClient {
        self.shared.edge()
    }

    /// Stops serving, UNBINDs everything and closes the platform connection.
    pub async fn shutdown(self) {
        for t in &self.tasks {
            t.abort();
        }
        self.shared.registry.flushed().await;
        self.shared.edge().shutdown().await;
    }
}

/// Every `health_check_interval`: each application's host:port must accept a TCP
/// connection; the things of one that does not are unbound, and bound again once it does.
async fn health_check(shared: Arc<Shared>) {
    let interval = shared.config.extensions.health_check_interval;
    let connect_limit = interval.min(Duration::from_secs(5));
    loop {
        tokio::time::sleep(interval).await;
        let mut apps: Vec<(String, u16)> = shared
            .registry
            .all()
            .into_iter()
            .filter_map(|t| t.app.map(|a| (a.host, a.port)))
            .collect();
        apps.sort();
        apps.dedup();
        for (host, port) in apps {
            let up = matches!(
                tokio::time::timeout(
                    connect_limit,
                    tokio::net::TcpStream::connect((host.as_str(), port))
                )
                .await,
                Ok(Ok(_))
            );
            let changed = shared.registry.set_app_down(&host, port, !up);
            if changed.is_empty() {
                continue;
            }
            let edge = shared.edge();
            if up {
                tracing::info!(%host, port, things = ?changed, "application is back: binding its things");
                tokio::spawn(async move {
                    if let Err(e) = edge.bind(changed).await {
                        tracing::warn!(error = %e, "re-binding after the health check failed");
                    }
                });
            } else {
                tracing::warn!(%host, port, things = ?changed, "application does not accept connections: unbinding its things");
                tokio::spawn(async move {
                    if let Err(e) = edge.unbind(changed).await {
                        tracing::debug!(error = %e, "unbind after the health check failed");
                    }
                });
            }
        }
    }
}

/// Logs every failed connect attempt (a proxy's 407 among them, the proxy named without
/// its password). With several `ws_servers`: after [`FAILOVER_AFTER`] failed connect
/// attempts in a row, the current client is shut down and one for the next server started
/// (with every registered name and the same offline store, so what was queued while the
/// last server was unreachable goes to the next).
async fn watch(shared: Arc<Shared>) {
    let servers = shared.config.ws_servers.len();
    let mut current = 0;
    loop {
        let edge = shared.edge();
        let mut events = edge.events();
        loop {
            match events.next().await {
                None | Some(EdgeNotice::Closed) => return,
                Some(EdgeNotice::ConnectFailed { attempt, error }) => {
                    tracing::warn!(attempt, %error, "cannot connect to the platform");
                    if servers > 1 && attempt >= FAILOVER_AFTER {
                        break;
                    }
                }
                Some(_) => {}
            }
        }
        current = (current + 1) % servers;
        let s = &shared.config.ws_servers[current];
        tracing::warn!(host = %s.host, port = s.port, "platform unreachable: trying the next server");
        // The offline store (memory or durable) goes on with the next client.
        let kept = edge.shutdown_keeping_offline_store().await;
        let next = client(
            &shared.config,
            current,
            &shared.registry,
            &shared.callbacks,
            Duration::ZERO,
            kept,
        );
        match next {
            Ok(next) => *shared.edge.write().unwrap_or_else(|e| e.into_inner()) = next,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the client for the next server");
                return;
            }
        }
    }
}
