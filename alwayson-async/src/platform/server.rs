//! Accept loop, TLS, HTTP/1.1 and the websocket upgrade on `/Thingworx/WS`.

use super::conn::run_connection;
use super::hyper_io::HyperIo;
use super::{ConnectionInfo, Platform, Shared, WS_PATH};
use crate::runtime::{timeout, Runtime};
use crate::wsio::{ws_config, Io, Ws};
use alwayson_proto::platform::{EndpointEvent, Handshake};
use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::Role;
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Largest HTTP request body handed to the HTTP handler.
const MAX_HTTP_BODY: usize = 1024 * 1024;

pub(crate) async fn accept_loop<R: Runtime>(shared: Arc<Shared>, listener: R::TcpListener) {
    use futures_util::future::{select, Either};
    loop {
        let accepted = {
            let accept = std::pin::pin!(R::accept(&listener));
            let stop = std::pin::pin!(shared.shutdown.wait_for(|stop| *stop));
            match select(accept, stop).await {
                Either::Left((accepted, _)) => accepted,
                Either::Right(_) => break,
            }
        };
        match accepted {
            Ok((tcp, peer)) => R::spawn(serve_tcp::<R>(shared.clone(), Box::new(tcp), peer)),
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                let _ =
                    timeout::<R, _>(Duration::from_millis(50), std::future::pending::<()>()).await;
            }
        }
    }
    drop(listener);
    shared.accepting.set(false);
    tracing::info!(addr = %shared.local_addr, "platform stopped accepting");
}

async fn serve_tcp<R: Runtime>(shared: Arc<Shared>, tcp: Box<dyn Io>, peer: SocketAddr) {
    match shared.tls.clone() {
        Some(acceptor) => {
            let handshake = timeout::<R, _>(shared.config.auth_timeout, acceptor.accept(tcp));
            match handshake.await {
                Some(Ok(tls)) => serve_http::<R>(shared, Box::new(tls), peer).await,
                Some(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                None => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
        None => serve_http::<R>(shared, tcp, peer).await,
    }
}

async fn serve_http<R: Runtime>(shared: Arc<Shared>, io: Box<dyn Io>, peer: SocketAddr) {
    let service = hyper::service::service_fn(move |req| handle::<R>(shared.clone(), peer, req));
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The reference SDK parses the 101 strictly (sdk-quirks.md Q21): no Date header, and
    // header names written as `Connection`, `Upgrade`, ...
    builder.title_case_headers(true).auto_date_header(false);
    if let Err(e) = builder
        .serve_connection(HyperIo(io), service)
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

async fn handle<R: Runtime>(
    shared: Arc<Shared>,
    peer: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == WS_PATH && is_ws_upgrade(&req) {
        return Ok(upgrade::<R>(shared, peer, &mut req));
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
        .insert(Platform::<R>::non_owning(shared.clone()));
    let resp = handler(req).await;
    Ok(resp.map(Full::new))
}

/// Answers the upgrade with exactly `101`, `Connection: Upgrade`, `Upgrade: websocket` and
/// `Sec-WebSocket-Accept` (session-lifecycle.md §3.2, §16.1) and starts the connection task.
fn upgrade<R: Runtime>(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: &mut Request<Incoming>,
) -> Response<Full<Bytes>> {
    if shared.shutdown.get() {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
    }
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY) else {
        return plain(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key\n");
    };
    let accept = derive_accept_key(key.as_bytes());
    let handshake = Handshake::with_max_frame_size(header_str(req, "max-frame-size"));
    let app_key_header = header_str(req, "appkey").map(str::to_owned);
    // The endpoint hands out the id and the session (chunk size negotiated from the edge's
    // Max-Frame-Size, credential policy); the auth deadline starts now.
    let (id, session) = shared
        .endpoint()
        .accept(Instant::now(), SystemTime::now(), &handshake);
    let info = ConnectionInfo {
        id,
        peer,
        app_key_header,
        max_frame_size: handshake.max_frame_size,
    };
    let on_upgrade = hyper::upgrade::on(req);
    // Count the connection as live before answering, so shutdown waits for it.
    shared.live.modify(|n| {
        *n += 1;
        true
    });
    R::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => match upgraded.downcast::<HyperIo<Box<dyn Io>>>() {
                Ok(parts) => {
                    // The socket itself, and whatever the edge sent after its upgrade
                    // request that hyper had already read: copied, so that hyper's read
                    // buffer (which `read_buf` points into) is freed now rather than held
                    // for the connection's lifetime.
                    let hyper::upgrade::Parts { io, read_buf, .. } = parts;
                    let early = read_buf.to_vec();
                    drop(read_buf);
                    let ws: Ws = WebSocketStream::from_partially_read(
                        io.0,
                        early,
                        Role::Server,
                        Some(ws_config(shared.config.max_message_size)),
                    )
                    .await;
                    run_connection::<R>(shared.clone(), ws, info, session).await;
                }
                Err(_) => {
                    tracing::warn!(%peer, "upgraded connection of an unexpected type");
                    shared.endpoint().handle_event(id, EndpointEvent::Closed);
                }
            },
            Err(e) => {
                tracing::debug!(%peer, error = %e, "websocket upgrade failed");
                shared.endpoint().handle_event(id, EndpointEvent::Closed);
            }
        }
        shared.live.modify(|n| {
            *n -= 1;
            true
        });
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
