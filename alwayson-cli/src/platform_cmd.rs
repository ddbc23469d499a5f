//! `alwayson platform`: the platform emulator, its REST adapter and its connection log.

use crate::cli::PlatformArgs;
use crate::rest::{self, ApiError, PlatformApi, ThingInfo};
use crate::{shutdown_signal, ui, CliError};
use alwayson_proto::platform::CloseReason;
use alwayson_proto::{InfoTable, StatusCode, ThingStatus, Value};
use alwayson_tokio::{Error, Platform, PlatformNotice};
use bytes::Bytes;
use std::io::Write as _;
use std::sync::Arc;
use tokio::sync::broadcast;

/// [`PlatformApi`] over a running [`Platform`]: the adapter between the REST layer and the
/// runtime.
#[derive(Clone)]
pub struct TokioApi(pub Platform);

fn info(s: &ThingStatus) -> ThingInfo {
    ThingInfo {
        name: s.name.to_str_lossy().into_owned(),
        is_connected: s.is_connected,
        last_connection: s.last_connection,
    }
}

/// Maps a runtime error to the REST layer's error kinds.
pub fn api_error(e: Error) -> ApiError {
    match e {
        Error::NotBound(thing) => ApiError::NotBound(thing),
        Error::Timeout => ApiError::Timeout,
        Error::Status { status, reason } => {
            let reason = reason.map(|r| format!(": {r}")).unwrap_or_default();
            if status == StatusCode::NOT_FOUND {
                ApiError::NotFound(format!("the edge answered NOT_FOUND{reason}"))
            } else {
                ApiError::Edge(format!("the edge answered {status}{reason}"))
            }
        }
        Error::Disconnected => ApiError::Edge("the edge disconnected before answering".into()),
        other => ApiError::Edge(other.to_string()),
    }
}

impl PlatformApi for TokioApi {
    fn things(&self) -> Vec<ThingInfo> {
        self.0.things().iter().map(info).collect()
    }

    fn thing(&self, name: &str) -> Option<ThingInfo> {
        self.0.thing(name).as_ref().map(info)
    }

    async fn read_property(&self, thing: &str, property: &str) -> Result<Value, ApiError> {
        self.0
            .read_property(thing, property)
            .await
            .map_err(api_error)
    }

    async fn write_property(
        &self,
        thing: &str,
        property: &str,
        value: Value,
    ) -> Result<(), ApiError> {
        self.0
            .write_property(thing, property, value)
            .await
            .map_err(api_error)
    }

    async fn invoke_service(
        &self,
        thing: &str,
        service: &str,
        params: Option<InfoTable>,
    ) -> Result<InfoTable, ApiError> {
        self.0
            .invoke_service(thing, service, params)
            .await
            .map_err(api_error)
    }
}

/// A close reason in words.
pub fn close_reason(r: &CloseReason) -> String {
    match r {
        CloseReason::AuthTimeout => "no AUTH within the auth timeout".into(),
        CloseReason::AuthNotFirst(code) => format!("first message was 0x{code:02x}, not AUTH"),
        CloseReason::AuthRejected => "credentials refused".into(),
        CloseReason::IdleTimeout => "idle timeout".into(),
        CloseReason::ConnectionLost => "connection lost".into(),
        CloseReason::Local(why) => format!("closed by the platform ({why})"),
    }
}

/// Logs one line per connection notice until the channel closes.
pub async fn log_notices(mut rx: broadcast::Receiver<PlatformNotice>) {
    loop {
        match rx.recv().await {
            Ok(n) => log_notice(&n),
            Err(broadcast::error::RecvError::Lagged(k)) => {
                tracing::warn!("{k} connection event(s) not logged (log fell behind)")
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
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
        PlatformNotice::Bound { conn, name } => tracing::info!("conn {conn}: bound {name}"),
        PlatformNotice::BindRefused { conn, name, holder } => {
            tracing::warn!("conn {conn}: bind of {name} refused (bound on conn {holder})")
        }
        PlatformNotice::Unbound { conn, name } => tracing::info!("conn {conn}: unbound {name}"),
        PlatformNotice::Closed { conn, reason } => {
            tracing::info!("conn {conn}: closed: {}", close_reason(reason))
        }
        other => tracing::info!("{other:?}"),
    }
}

fn read_file(what: &str, path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path)
        .map_err(|e| CliError::runtime(format!("cannot read {what} {}: {e}", path.display())))
}

/// Runs `alwayson platform` until Ctrl-C / SIGTERM.
pub async fn run(args: PlatformArgs) -> Result<(), CliError> {
    let mut builder = Platform::builder()
        .listen(args.listen)
        .app_key(args.app_key.clone())
        .auth_timeout(args.auth_timeout)
        .bind_policy(args.bind_policy.into());
    if let Some(size) = args.edge_max_message_size {
        builder = builder.edge_max_message_size(size);
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        builder = builder.tls_pem(
            read_file("TLS certificate", cert)?,
            read_file("TLS key", key)?,
        );
    }
    let app_key: Arc<str> = args.app_key.into();
    let ui = Arc::new(ui::Ui::new(app_key.clone()));
    let ui_routes = ui::router(ui.clone());
    builder = builder.http_handler(move |req: http::Request<Bytes>| {
        let app_key = app_key.clone();
        let ui_routes = ui_routes.clone();
        async move {
            if ui::serves(req.uri().path()) {
                return ui::call(ui_routes, req).await;
            }
            match req.extensions().get::<Platform>().cloned() {
                Some(p) => rest::handle(&TokioApi(p), &app_key, req).await,
                None => rest::error_response(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "platform handle missing from the request",
                ),
            }
        }
    });
    let platform = builder.start().await.map_err(|e| match e {
        Error::Tls(_) | Error::Config(_) => CliError::runtime(format!("cannot start: {e}")),
        e => CliError::runtime(format!("cannot listen on {}: {e}", args.listen)),
    })?;
    let notices = tokio::spawn(log_notices(platform.events()));
    let live_page = tokio::spawn(ui::source::follow(platform.events(), ui));
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", platform.url());
        let _ = out.flush();
    }
    tracing::info!(
        "edges connect to {}; REST on the same port (header appKey); live page at http://{}/?appKey=…",
        platform.url(),
        platform.local_addr()
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    platform.shutdown().await;
    notices.abort();
    live_page.abort();
    Ok(())
}
