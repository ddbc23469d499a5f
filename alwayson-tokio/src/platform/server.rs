//! Accept loop, TLS, HTTP/1.1 and the websocket upgrade on `/Thingworx/WS`.

use super::conn::run_connection;
use super::{ConnectionInfo, Platform, Shared, WS_PATH};
use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

/// Largest HTTP request body handed to the HTTP handler.
const MAX_HTTP_BODY: usize = 1024 * 1024;

pub(crate) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    tokio::spawn(serve_tcp(shared.clone(), tcp, peer));
                }
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = crate::wsio::wait_true(&mut shutdown) => break,
        }
    }
    tracing::info!(addr = %shared.local_addr, "platform stopped accepting");
}

async fn serve_tcp(shared: Arc<Shared>, tcp: tokio::net::TcpStream, peer: SocketAddr) {
    #[cfg(feature = "legacy-tls")]
    if let Some(acceptor) = shared.legacy_tls.clone() {
        let handshake = tokio::time::timeout(shared.config.auth_timeout, acceptor.accept(tcp));
        match handshake.await {
            Ok(Ok(tls)) => serve_http(shared, tls, peer).await,
            Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
        }
        return;
    }
    match shared.tls.clone() {
        Some(acceptor) => {
            let handshake = tokio::time::timeout(shared.config.auth_timeout, acceptor.accept(tcp));
            match handshake.await {
                Ok(Ok(tls)) => serve_http(shared, tls, peer).await,
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
        None => serve_http(shared, tcp, peer).await,
    }
}

async fn serve_http<I>(shared: Arc<Shared>, io: I, peer: SocketAddr)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| handle(shared.clone(), peer, req));
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The reference SDK parses the 101 strictly (sdk-quirks.md Q21): no Date header, and
    // header names written as `Connection`, `Upgrade`, ...
    builder.title_case_headers(true).auto_date_header(false);
    if let Err(e) = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades()
        .await
    {
        tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn header_str<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn is_ws_upgrade(req: &Request<Incoming>) -> bool {
    req.method() == http::Method::GET
        && header_str(req, "upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
        && req.headers().contains_key(header::SEC_WEBSOCKET_KEY)
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == WS_PATH && is_ws_upgrade(&req) {
        return Ok(upgrade(shared, peer, &mut req));
    }
    let Some(handler) = shared.http_handler.clone() else {
        return Ok(plain(StatusCode::NOT_FOUND, "not found\n"));
    };
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_HTTP_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return Ok(plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request body too large\n",
                ));
            }
            return Ok(plain(
                StatusCode::BAD_REQUEST,
                "could not read request body\n",
            ));
        }
    };
    let mut req = Request::from_parts(parts, body);
    req.extensions_mut().insert(peer);
    req.extensions_mut()
        .insert(Platform::non_owning(shared.clone()));
    let resp = handler(req).await;
    Ok(resp.map(Full::new))
}

/// Answers the upgrade with exactly `101`, `Connection: Upgrade`, `Upgrade: websocket` and
/// `Sec-WebSocket-Accept` (session-lifecycle.md §3.2, §16.1) and starts the connection task.
fn upgrade(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: &mut Request<Incoming>,
) -> Response<Full<Bytes>> {
    if *shared.shutdown.borrow() {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
    }
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY) else {
        return plain(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key\n");
    };
    let accept = derive_accept_key(key.as_bytes());
    let max_frame_size =
        header_str(req, "max-frame-size").and_then(|v| v.trim().parse::<usize>().ok());
    let app_key_header = header_str(req, "appkey").map(str::to_owned);
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let info = ConnectionInfo {
        id,
        peer,
        app_key_header,
        max_frame_size,
    };
    // Messages to this edge are split at min(configured chunk size, its Max-Frame-Size),
    // never above 65535 (16-bit websocket lengths) nor below the codec's minimum.
    let chunk_size = max_frame_size
        .map(|m| m.min(u16::MAX as usize) as u16)
        .map_or(shared.config.chunk_size, |m| {
            m.min(shared.config.chunk_size)
        })
        .max(alwayson_proto::multipart::MIN_CHUNK_SIZE);
    let on_upgrade = hyper::upgrade::on(req);
    // Count the connection as live before answering, so shutdown waits for it.
    shared.live.send_modify(|n| *n += 1);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(ws_config(shared.config.max_message_size)),
                )
                .await;
                run_connection(shared.clone(), ws, info, chunk_size).await;
            }
            Err(e) => tracing::debug!(%peer, error = %e, "websocket upgrade failed"),
        }
        shared.live.send_modify(|n| *n -= 1);
    });
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = resp.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    resp
}

/// Websocket settings for both sides: small eager read buffer (memory per idle connection),
/// receive limits above the largest message (one AlwaysOn message or chunk per frame).
pub(crate) fn ws_config(max_message_size: usize) -> WebSocketConfig {
    let limit = max_message_size.saturating_add(64 * 1024);
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(64 * 1024)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit))
}
