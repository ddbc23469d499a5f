//! `alwayson platform`: the platform emulator, its REST adapter, its live page and its
//! connection log.

use crate::cli::PlatformArgs;
use crate::emulator::{self, Emulator, ThingModel};
use crate::ui::{self, Ui};
use crate::{shutdown_signal, CliError};
use alwayson_proto::platform::CloseReason;
use alwayson_proto::Clipped;
use alwayson_rest::AppKey;
use alwayson_tokio::{Error, Platform, PlatformNotice};
use bytes::Bytes;
use std::io::Write as _;
use std::sync::Arc;
use tower::ServiceExt as _;

/// A close reason in words (its `Display`, shared with the library's logs).
pub fn close_reason(r: &CloseReason) -> String {
    r.to_string()
}

/// Follows the platform's notices until it stops: logs one line per notice, hands it to the
/// live page, and on each BIND lets the emulator fetch the thing's metadata. The one place
/// that reads [`Platform::events`].
pub async fn watch_platform(platform: Platform, emulator: Emulator, ui: Arc<Ui>) {
    let mut rx = platform.events();
    while let Some(n) = rx.recv().await {
        ui::source::platform_notice(&ui, &n);
        if matches!(n, PlatformNotice::Lagged { .. }) {
            continue; // logged by the page's source
        }
        log_notice(&n);
        if let PlatformNotice::Bound { name, .. } = n {
            let (platform, emulator) = (platform.clone(), emulator.clone());
            tokio::spawn(async move { emulator.on_bound(&platform, &name).await });
        }
    }
}

/// Serves one HTTP request (not a websocket upgrade) with the emulator's router, logging
/// method, path and status.
pub async fn serve_http(router: axum::Router, req: http::Request<Bytes>) -> http::Response<Bytes> {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = match router.oneshot(req.map(axum::body::Body::from)).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("REST response body failed: {e}");
            Bytes::new()
        }
    };
    if ui::serves(&path) {
        // The live page polls its event stream: not worth a line each time.
        tracing::debug!(%method, %path, status = parts.status.as_u16(), "live page");
    } else {
        tracing::info!(%method, %path, status = parts.status.as_u16(), "REST");
    }
    http::Response::from_parts(parts, body)
}

/// The emulator's full router: its routes, the live page's, and a JSON 404 (behind the key)
/// for any other path.
pub fn full_router(emulator: &Emulator, ui: Arc<Ui>) -> axum::Router {
    emulator::router(emulator)
        .merge(ui::router(ui))
        .fallback_service(
            axum::routing::any(emulator::routes::not_found).with_state(emulator.clone()),
        )
}

fn log_notice(n: &PlatformNotice) {
    match n {
        PlatformNotice::Opened { conn, peer } => tracing::info!("conn {conn}: opened from {peer}"),
        PlatformNotice::Authenticated { conn, session_id } => {
            tracing::info!("conn {conn}: authenticated (session {session_id})")
        }
        PlatformNotice::AuthRejected { conn } => {
            tracing::warn!("conn {conn}: credentials refused")
        }
        PlatformNotice::Bound { conn, name } => {
            tracing::info!("conn {conn}: bound {}", Clipped(name))
        }
        PlatformNotice::BindRefused { conn, name, holder } => {
            tracing::warn!(
                "conn {conn}: bind of {} refused (bound on conn {holder})",
                Clipped(name)
            )
        }
        PlatformNotice::Unbound { conn, name } => {
            tracing::info!("conn {conn}: unbound {}", Clipped(name))
        }
        // Logged by the platform itself, once, with its cause (`CLOSE_LOG_TARGET`).
        PlatformNotice::Closed { .. } => {}
        other => tracing::info!("{other:?}"),
    }
}

fn read_file(what: &str, path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path)
        .map_err(|e| CliError::runtime(format!("cannot read {what} {}: {e}", path.display())))
}

/// A started emulator: the platform, the emulator state, and the task that follows the
/// platform's notices.
#[derive(Debug)]
pub struct Running {
    /// The platform.
    pub platform: Platform,
    /// The emulator (model, REST key).
    pub emulator: Emulator,
    /// The live page's state.
    pub ui: Arc<Ui>,
    watcher: tokio::task::JoinHandle<()>,
    model_watcher: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Shuts the platform down and stops following it.
    pub async fn shutdown(self) {
        self.platform.shutdown().await;
        self.watcher.abort();
        self.model_watcher.abort();
    }
}

/// The registry's retention from the command line.
fn retention(args: &PlatformArgs) -> alwayson_proto::platform::Retention {
    let mut r = alwayson_proto::platform::Retention::default();
    r.forget_after = Some(args.forget_unbound_after);
    r.max_things = args.max_things;
    r
}

/// Starts the platform emulator as `alwayson platform` configures it.
pub async fn start(args: &PlatformArgs) -> Result<Running, CliError> {
    let model = ThingModel::default();
    model.set_rule_specs(args.push_rules.clone());
    let emulator = Emulator::new(model, AppKey::new(args.app_key.as_str()));
    let mut builder = Platform::builder()
        .listen(args.listen)
        .app_key(args.app_key.clone())
        .auth_timeout(args.auth_timeout)
        .idle_timeout(args.idle_timeout)
        .bind_policy(args.bind_policy.into())
        .reassembly_budget(args.reassembly_budget)
        .max_things_per_connection(args.max_things_per_connection)
        .registry_retention(retention(args))
        .edge_request_handler(emulator.edge_requests())
        .push_handler(emulator.edge_requests());
    if let Some(size) = args.edge_max_message_size {
        builder = builder.edge_max_message_size(size);
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let (cert, key) = (
            read_file("TLS certificate", cert)?,
            read_file("TLS key", key)?,
        );
        builder = if args.tls_legacy {
            legacy_tls(builder, cert, key)?
        } else {
            builder.tls_pem(cert, key)
        };
    }
    let ui = Arc::new(Ui::new(emulator.app_key.clone()).with_model(emulator.model.clone()));
    let router = full_router(&emulator, ui.clone());
    builder =
        builder.http_handler(move |req: http::Request<Bytes>| serve_http(router.clone(), req));
    let platform = builder.start().await.map_err(|e| match e {
        Error::Tls(_) | Error::Config(_) => CliError::runtime(format!("cannot start: {e}")),
        e => CliError::runtime(format!("cannot listen on {}: {e}", args.listen)),
    })?;
    let watcher = tokio::spawn(watch_platform(
        platform.clone(),
        emulator.clone(),
        ui.clone(),
    ));
    let model_watcher = tokio::spawn(ui::source::follow_model(
        emulator.model.subscribe(),
        ui.clone(),
    ));
    Ok(Running {
        platform,
        emulator,
        ui,
        watcher,
        model_watcher,
    })
}

#[cfg(feature = "legacy-tls")]
fn legacy_tls(
    builder: alwayson_tokio::PlatformBuilder,
    cert: Vec<u8>,
    key: Vec<u8>,
) -> Result<alwayson_tokio::PlatformBuilder, CliError> {
    tracing::warn!("--tls-legacy: TLS by OpenSSL, TLS 1.0/1.1 and RSA/DHE key exchange allowed");
    Ok(builder.legacy_tls_pem(cert, key))
}

#[cfg(not(feature = "legacy-tls"))]
fn legacy_tls(
    _: alwayson_tokio::PlatformBuilder,
    _: Vec<u8>,
    _: Vec<u8>,
) -> Result<alwayson_tokio::PlatformBuilder, CliError> {
    Err(CliError::runtime(
        "--tls-legacy needs a build with the legacy-tls feature (cargo build -p alwayson-cli --features legacy-tls)",
    ))
}

/// Runs `alwayson platform` until Ctrl-C / SIGTERM.
pub async fn run(args: PlatformArgs) -> Result<(), CliError> {
    let running = start(&args).await?;
    let url = running.platform.url();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {url}");
        let _ = out.flush();
    }
    let web = if url.starts_with("wss:") {
        "https"
    } else {
        "http"
    };
    tracing::info!(
        "edges connect to {url}; REST and the live page ({web}://{}/?appKey=…) on the same port",
        running.platform.local_addr()
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}
