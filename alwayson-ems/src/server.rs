//! The local REST server: routes (axum), optional Basic authentication, HTTP or HTTPS with
//! a given or generated self-signed certificate, bounded connections.

use crate::config::HttpServer;
use crate::gateway::{Shared, StartError};
use crate::{local_ems, proxy};
use alwayson_rest::RestError;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Most connections served at once; more wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 256;

/// Time allowed for a request's headers (and a TLS handshake).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the listener and prepares TLS when `ssl` is set.
pub(crate) async fn listen(
    http: &HttpServer,
) -> Result<(TcpListener, Option<TlsAcceptor>), StartError> {
    let host = http.bind_host().trim_matches(['[', ']']);
    let listener = TcpListener::bind((host, http.port))
        .await
        .map_err(|source| StartError::Listen {
            addr: format!("{}:{}", http.host, http.port),
            source,
        })?;
    if !http.ssl {
        return Ok((listener, None));
    }
    let config = match (&http.certificate, &http.private_key) {
        (Some(cert), Some(key)) => {
            let read = |what: &'static str, p: &std::path::Path| {
                std::fs::read(p).map_err(|source| StartError::File {
                    what,
                    path: p.display().to_string(),
                    source,
                })
            };
            alwayson_async::tls_server_config(
                &read("certificate", cert)?,
                &read("private key", key)?,
            )?
        }
        _ => {
            tracing::info!("https without a certificate: using a generated self-signed one");
            let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
            if !names.contains(&http.host) {
                names.push(http.host.clone());
            }
            let cert = rcgen::generate_simple_self_signed(names)
                .map_err(|e| StartError::Tls(format!("generating a certificate: {e}")))?;
            alwayson_async::tls_server_config(
                cert.cert.pem().as_bytes(),
                cert.key_pair.serialize_pem().as_bytes(),
            )?
        }
    };
    Ok((listener, Some(TlsAcceptor::from(config))))
}

/// Every route.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let auth = shared.config.http_server.authenticate.then(|| {
        let h = &shared.config.http_server;
        Arc::<str>::from(format!("{}:{}", h.user, h.password))
    });
    let router = Router::new()
        .route(
            "/Thingworx/Things/LocalEms/Services/{service}",
            post(local_ems::service),
        )
        .route(
            "/Thingworx/Things/LocalEms/Properties/{property}",
            get(local_ems::property),
        )
        .route(
            "/Thingworx/Things/{thing}/Properties/{property}",
            get(proxy::read_property).put(proxy::write_property),
        )
        .route(
            "/Thingworx/Things/{thing}/Services/{service}",
            post(proxy::invoke_service),
        )
        .route(
            "/Thingworx/Things/{thing}/Events/{event}",
            post(proxy::fire_event),
        )
        .fallback(|| async { RestError::not_found("no such path on this gateway") })
        .with_state(shared);
    match auth {
        Some(credentials) => router.layer(middleware::from_fn_with_state(credentials, basic_auth)),
        None => router,
    }
}

/// HTTP Basic authentication (`http_server.authenticate`).
async fn basic_auth(State(expected): State<Arc<str>>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t.trim())
                .ok()
        });
    let ok = given.is_some_and(|g| constant_time_eq(&g, expected.as_bytes()));
    if !ok {
        let mut r = axum::response::IntoResponse::into_response(RestError::unauthorized(
            "Basic authentication required",
        ));
        r.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"alwayson-ems\""),
        );
        return r;
    }
    next.run(req).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Accepts connections for ever: at most [`MAX_CONNECTIONS`] at once, each served by
/// hyper (HTTP/1.1) with a header timeout.
pub(crate) async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, router: Router) {
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let result = match tls {
                None => http.serve_connection(TokioIo::new(tcp), service).await,
                Some(acceptor) => {
                    match tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            http.serve_connection(TokioIo::new(stream), service).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    }
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}
