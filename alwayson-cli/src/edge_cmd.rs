//! `alwayson edge`: an edge that binds things, serves their properties from memory, answers
//! the built-in services, pushes values periodically and reconnects.
//!
//! Connection policy: every connection is one [`EdgeClient`] built with
//! [`Reconnect::never`], so this module sees exactly why each attempt failed:
//! * the **first** attempt failing is final (exit 4, or 3 for refused credentials) unless
//!   `--wait` is given: a wrong URL should not look like a hang;
//! * after a connection is lost, a new client is connected with exponential backoff
//!   (0.5 s doubling to 30 s), forever; refused credentials end the program (exit 3);
//! * a BIND the platform refuses (on any connection) ends the program (exit 5, after
//!   UNBIND and close) unless `--keep-running-on-refused-bind`: then a warning, and the
//!   other things are served.
//!
//! Property values live in this module (per thing), so they survive reconnects.

use crate::cli::EdgeArgs;
use crate::{json, shutdown_signal, CliError, EXIT_USAGE};
use alwayson_proto::edge::{AuthFailure, BindRefusal, PushRule};
use alwayson_proto::{BaseType, Clipped, FieldDefinition, InfoTable, PropertyUpdate, Value};
use alwayson_tokio::edge::offline::{FsyncPolicy, OfflineLimits, OfflineStore};
use alwayson_tokio::edge::ProxyError;
use alwayson_tokio::{ConnectionState, EdgeClient, EdgeNotice, Error, Reconnect, Thing};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// Service names every thing of `alwayson edge` answers.
pub const BUILTIN_SERVICES: [&str; 2] = ["Echo", "GetProperties"];

/// One thing's property values.
pub type Props = Arc<Mutex<BTreeMap<String, Value>>>;

fn lock(p: &Props) -> std::sync::MutexGuard<'_, BTreeMap<String, Value>> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

/// `GetProperties`: one row, one field per property (declared with the value's type), in
/// name order.
pub fn properties_table(props: &BTreeMap<String, Value>) -> InfoTable {
    let mut t = InfoTable::with_fields(
        props
            .iter()
            .map(|(k, v)| FieldDefinition::new(k.as_str(), v.base_type()))
            .collect(),
    );
    t.push_row(props.values().cloned());
    t
}

/// The client serving now: a value the platform writes goes through its
/// [`EdgeClient::set_property`], so the property's push rule decides whether it is pushed.
pub type ClientSlot = Arc<Mutex<Option<EdgeClient>>>;

/// The served definition of one thing: a getter and setter per property over `props`, the
/// properties' push rules (`--push-rule`; rules naming no property are skipped), plus the
/// built-in services (`Echo` returns its parameters; `GetProperties` returns
/// [`properties_table`]).
pub fn thing_definition(
    name: &str,
    props: &Props,
    rules: &[(String, PushRule)],
    client: &ClientSlot,
) -> Thing {
    let mut thing = Thing::new(name);
    let declared: Vec<(String, BaseType)> = lock(props)
        .iter()
        .map(|(k, v)| (k.clone(), v.base_type()))
        .collect();
    let names: Vec<String> = declared.iter().map(|(k, _)| k.clone()).collect();
    for (prop, base_type) in declared {
        thing = thing.property_type(prop, base_type);
    }
    for (prop, rule) in rules {
        if names.contains(prop) {
            thing = thing.push_rule(prop.as_str(), *rule);
        }
    }
    for prop in names {
        let (p_get, n_get) = (props.clone(), prop.clone());
        let (p_set, n_set) = (props.clone(), prop.clone());
        let thing_name = name.to_owned();
        let client = client.clone();
        thing = thing
            .property_getter(prop.clone(), move || {
                let v = lock(&p_get).get(&n_get).cloned().unwrap_or(Value::Nothing);
                async move { Ok(v) }
            })
            .property_setter(prop, move |v: Value| {
                tracing::info!(
                    "platform wrote {thing_name}.{n_set} = {}",
                    Clipped(&json::value_to_json(&v).to_string())
                );
                lock(&p_set).insert(n_set.clone(), v.clone());
                let serving = client.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Some(c) = serving {
                    match c.set_property(&thing_name, &n_set, v) {
                        Ok(true) => tracing::info!(
                            "{thing_name}.{n_set}: queued for the platform by its push rule"
                        ),
                        Ok(false) => {
                            tracing::debug!("{thing_name}.{n_set}: not pushed (push rule)")
                        }
                        Err(e) => tracing::warn!("{thing_name}.{n_set}: {e}"),
                    }
                }
                async move { Ok(()) }
            });
    }
    let p = props.clone();
    thing
        .service("Echo", |params: Option<InfoTable>| async move {
            Ok(params.unwrap_or_default())
        })
        .service("GetProperties", move |_params: Option<InfoTable>| {
            let t = properties_table(&lock(&p));
            async move { Ok(t) }
        })
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The error for a failed connection attempt.
pub fn connect_error(url: &str, e: Error) -> CliError {
    match e {
        Error::Refused(AuthFailure::Rejected(status)) => CliError::auth_refused(format!(
            "the platform at {url} refused the application key (AUTH answered {status})"
        )),
        e @ Error::AuthUnanswered(_) => {
            CliError::unreachable(format!("cannot authenticate at {url}: {e}"))
        }
        Error::InvalidUrl { .. } | Error::Proxy(ProxyError::InvalidUrl { .. }) => CliError {
            code: EXIT_USAGE,
            message: e.to_string(),
        },
        // A store directory that cannot be used is not a connection problem: never retried.
        Error::Config(_) | Error::Offline(_) => CliError::runtime(e.to_string()),
        e => CliError::unreachable(format!("cannot connect to {url}: {e}")),
    }
}

/// "T1 (FORBIDDEN(0x83): the platform's reason), T2 (…)".
fn refused_list(refused: &[BindRefusal]) -> String {
    refused
        .iter()
        .map(BindRefusal::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn log_notice(n: &EdgeNotice) {
    match n {
        EdgeNotice::Connected => tracing::info!("connected; authenticating"),
        EdgeNotice::ConnectFailed { attempt, error } => {
            tracing::warn!("connect attempt {attempt} failed: {error}")
        }
        EdgeNotice::Authenticated { session_id } => {
            tracing::info!("authenticated (session {session_id})")
        }
        EdgeNotice::AuthFailed(f) => tracing::error!("authentication failed: {f:?}"),
        EdgeNotice::Bound { name } => tracing::info!("bound {name}"),
        // The client logs it as a warning, with the platform's reason.
        EdgeNotice::BindRejected { .. } => {}
        EdgeNotice::Unbound { name } => tracing::info!("unbound {name}"),
        // Logged by the client itself, once, with its cause (`CLOSE_LOG_TARGET`; a duty
        // cycle's off time says so).
        EdgeNotice::Disconnected { .. } => {}
        EdgeNotice::Closed => tracing::debug!("client closed"),
        EdgeNotice::Lagged { missed } => {
            tracing::warn!("{missed} notice(s) not logged (the log fell behind)")
        }
        other => tracing::info!("{other:?}"),
    }
}

struct Edge {
    args: EdgeArgs,
    ca: Option<Vec<u8>>,
    props: Vec<(String, Props)>,
    client: ClientSlot,
}

impl Edge {
    async fn connect_once(&self) -> Result<EdgeClient, Error> {
        let mut b = EdgeClient::builder(self.args.url.clone()).app_key(self.args.app_key.clone());
        b = match &self.args.offline_store {
            // With a store the client lives through outages (pushes go into the store).
            Some(dir) => {
                let limits = OfflineLimits::default().with_max_bytes(self.args.offline_max_bytes);
                let store =
                    OfflineStore::durable(dir, limits, FsyncPolicy::Batch).map_err(Error::from)?;
                if let Some(tail) = store.recovered_tail() {
                    tracing::warn!("offline store: damaged tail cut off ({tail})");
                }
                let held = store.stats();
                tracing::info!(
                    "offline store {}: {} message(s), {} bytes to replay",
                    dir.display(),
                    held.queued,
                    held.bytes
                );
                b.offline_store(store).reconnect(Reconnect::new(
                    Duration::from_millis(500),
                    Duration::from_secs(30),
                ))
            }
            // A duty cycle reconnects on its own too (pushes wait in a memory store).
            None if self.args.duty_cycle.is_some() => b.reconnect(Reconnect::new(
                Duration::from_millis(500),
                Duration::from_secs(30),
            )),
            None => b.reconnect(Reconnect::never()),
        };
        if let Some(cycle) = self.args.duty_cycle {
            b = b.duty_cycle(cycle);
        }
        for (name, props) in &self.props {
            b = b.thing(thing_definition(
                name,
                props,
                &self.args.push_rules,
                &self.client,
            ));
        }
        if let Some(ca) = &self.ca {
            b = b.root_ca_pem(ca);
        }
        if self.args.insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        if let Some(proxy) = &self.args.proxy {
            b = b.proxy(proxy);
        } else if self.args.proxy_from_env {
            b = b.proxy_from_env();
        }
        let client = match (self.self_reconnecting(), self.args.wait) {
            // A self-reconnecting client's connect() waits for the platform: bound it
            // unless --wait, so a wrong URL still fails fast.
            (true, false) => tokio::time::timeout(Duration::from_secs(10), b.connect())
                .await
                .map_err(|_| Error::Timeout)??,
            _ => b.connect().await?,
        };
        *self.client.lock().unwrap_or_else(|e| e.into_inner()) = Some(client.clone());
        let mut events = client.events();
        tokio::spawn(async move {
            while let Some(n) = events.recv().await {
                log_notice(&n);
            }
        });
        Ok(client)
    }

    /// Whether the client reconnects by itself (offline store or duty cycle) instead of
    /// this loop making a new one.
    fn self_reconnecting(&self) -> bool {
        self.args.offline_store.is_some() || self.args.duty_cycle.is_some()
    }

    async fn push_all(&self, client: &EdgeClient) {
        let time = now_ms();
        for (thing, props) in &self.props {
            let updates: Vec<PropertyUpdate> = lock(props)
                .iter()
                .map(|(k, v)| PropertyUpdate::new(k.as_str(), v.clone(), time))
                .collect();
            if updates.is_empty() {
                continue;
            }
            match client.push_properties(thing, &updates).await {
                Ok(()) => tracing::info!("pushed {} value(s) of {thing} at {time}", updates.len()),
                Err(e) => tracing::warn!("push of {thing} failed: {e}"),
            }
        }
    }

    /// Serves on `client` until the connection is lost (`Ok(false)`) or a shutdown signal
    /// arrives (`Ok(true)`, after UNBIND and close).
    async fn serve(&self, client: &EdgeClient, stop: &Stop) -> bool {
        let state = client.state();
        let mut ticker = self.args.push_every.map(tokio::time::interval);
        let signal = stopped(stop);
        tokio::pin!(signal);
        loop {
            let tick = async {
                match ticker.as_mut() {
                    Some(t) => {
                        t.tick().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = &mut signal => {
                    tracing::info!("shutting down: unbinding and closing");
                    client.shutdown().await;
                    tracing::info!("unbound {}", self.args.things.join(", "));
                    return true;
                }
                _ = tick => self.push_all(client).await,
                _ = state.wait_for(|s| {
                    *s == ConnectionState::Closed
                        || (*s == ConnectionState::Reconnecting && !self.self_reconnecting())
                }) => return false,
            }
        }
    }
}

/// Set to `true` once Ctrl-C or SIGTERM arrived.
type Stop = watch::Receiver<bool>;

/// Resolves once the stop flag is set (at once if it already is).
async fn stopped(stop: &Stop) {
    let mut rx = stop.clone();
    let _ = rx.wait_for(|s| *s).await;
}

fn read_ca(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| {
        CliError::runtime(format!(
            "cannot read CA certificate {}: {e}",
            path.display()
        ))
    })
}

/// Runs `alwayson edge` until Ctrl-C / SIGTERM (exit 0), refused credentials (3), a
/// failed first connection (4, unless `--wait`) or a refused BIND (5, unless
/// `--keep-running-on-refused-bind`).
pub async fn run(args: EdgeArgs) -> Result<(), CliError> {
    if let Some(proxy) = &args.proxy {
        // A usage error, shown without the password (clap would repeat the value).
        alwayson_tokio::edge::Proxy::parse(proxy).map_err(|e| CliError {
            code: EXIT_USAGE,
            message: e.to_string(),
        })?;
    }
    let ca = args.ca_cert.as_deref().map(read_ca).transpose()?;
    let props = args
        .things
        .iter()
        .map(|t| {
            let map: BTreeMap<String, Value> = args.properties.iter().cloned().collect();
            (t.clone(), Arc::new(Mutex::new(map)))
        })
        .collect();
    for (prop, _) in &args.push_rules {
        if !args.properties.iter().any(|(p, _)| p == prop) {
            tracing::warn!("--push-rule for {prop}: no such --property; ignored");
        }
    }
    let edge = Edge {
        args,
        ca,
        props,
        client: ClientSlot::default(),
    };
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let url = edge.args.url.clone();
    let mut first = true;
    let mut delay = Duration::from_millis(500);
    loop {
        tracing::info!("connecting to {url}");
        let attempt = tokio::select! {
            r = edge.connect_once() => r,
            _ = stopped(&stop) => return Ok(()),
        };
        match attempt {
            Ok(client) => {
                let refused = client.refused_binds();
                let bound: Vec<&str> = edge
                    .args
                    .things
                    .iter()
                    .map(String::as_str)
                    .filter(|t| !refused.iter().any(|r| r.name == **t))
                    .collect();
                if !refused.is_empty() {
                    let what = refused_list(refused);
                    if !edge.args.keep_running_on_refused_bind {
                        client.shutdown().await;
                        return Err(CliError {
                            code: crate::EXIT_BIND_REFUSED,
                            message: format!("the platform at {url} refused the BIND of {what}"),
                        });
                    }
                    tracing::warn!(
                        "the platform refused the BIND of {what}; serving the other things \
                         (--keep-running-on-refused-bind)"
                    );
                }
                tracing::info!(
                    "authenticated; bound {}; serving {} propert(ies) and services {}",
                    if bound.is_empty() {
                        "nothing".to_owned()
                    } else {
                        bound.join(", ")
                    },
                    edge.args.properties.len(),
                    BUILTIN_SERVICES.join(", ")
                );
                first = false;
                delay = Duration::from_millis(500);
                if edge.serve(&client, &stop).await {
                    return Ok(());
                }
                // The client logged the close with its cause.
                tracing::info!("reconnecting");
            }
            Err(e) => {
                let err = connect_error(&url, e);
                if err.code != crate::EXIT_UNREACHABLE || (first && !edge.args.wait) {
                    return Err(err);
                }
                tracing::warn!("{err}; retrying in {delay:?}");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stopped(&stop) => return Ok(()),
                }
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_proto::BaseType;

    #[test]
    fn get_properties_table() {
        let mut m = BTreeMap::new();
        m.insert("b".to_owned(), Value::Boolean(true));
        m.insert("a".to_owned(), Value::Number(1.0));
        let t = properties_table(&m);
        assert_eq!(t.data_shape.fields[0].name, "a");
        assert_eq!(t.data_shape.fields[1].base_type, BaseType::Boolean);
        assert_eq!(
            t.to_rows(),
            vec![vec![Value::Number(1.0), Value::Boolean(true)]]
        );
    }
}
