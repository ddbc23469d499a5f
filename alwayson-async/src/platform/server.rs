//! Accept loop, TLS, HTTP/1.1 and the websocket upgrade on `/Thingworx/WS`.

use super::admission::Ticket;
use super::conn::{run_connection, Conn};
use super::head::{read_head, Head, Prefixed, MAX_HEAD};
use super::hyper_io::HyperIo;
use super::{ConnectionInfo, Platform, Shared, WS_PATH};
use crate::runtime::{timeout, Runtime};
use crate::wsio::{ws_config, Io, Ws};
use alwayson_proto::platform::{CloseReason, EndpointEvent, Handshake};
use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::Role;
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::future::{AbortHandle, Abortable};
use futures_util::FutureExt;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Largest HTTP request body handed to the HTTP handler.
const MAX_HTTP_BODY: usize = 1024 * 1024;
/// First and longest pause after a failed accept.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

pub(crate) async fn accept_loop<R: Runtime>(shared: Arc<Shared>, listener: R::TcpListener) {
    use futures_util::future::{select, Either};
    // Consecutive accept errors (EMFILE and friends) and the current backoff.
    let mut failures = 0u64;
    let mut backoff = ACCEPT_BACKOFF_MIN;
    let mut refused = 0u64;
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
            Ok((tcp, peer)) => {
                if failures > 0 {
                    tracing::info!(failures, "accepting again after accept errors");
                    failures = 0;
                    backoff = ACCEPT_BACKOFF_MIN;
                }
                let (abort, registration) = AbortHandle::new_pair();
                match shared.admission.admit(peer.ip(), abort) {
                    Ok(ticket) => {
                        let serve =
                            serve_tcp::<R>(shared.clone(), Box::new(tcp), peer, Arc::new(ticket));
                        R::spawn(Abortable::new(serve, registration).map(drop));
                    }
                    Err(refusal) => {
                        // Closed at once (dropped); logged on the first and every 1000th.
                        refused += 1;
                        if refused % 1000 == 1 {
                            let (total, pre_auth) = shared.admission.counts();
                            tracing::warn!(%peer, ?refusal, refused, total, pre_auth, "connection refused: limit reached");
                        }
                    }
                }
            }
            Err(e) => {
                // EMFILE and friends: free a descriptor by shedding the oldest pre-AUTH
                // connection, and back off (doubling up to 1 s) instead of spinning.
                failures += 1;
                let shed = shared.admission.shed_one();
                if failures == 1 {
                    tracing::warn!(error = %e, shed, "accept failed; backing off");
                } else {
                    tracing::debug!(error = %e, failures, shed, "accept failed again");
                }
                let _ = timeout::<R, _>(backoff, std::future::pending::<()>()).await;
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }
    drop(listener);
    shared.accepting.set(false);
    tracing::info!(addr = %shared.local_addr, "platform stopped accepting");
}

async fn serve_tcp<R: Runtime>(
    shared: Arc<Shared>,
    tcp: Box<dyn Io>,
    peer: SocketAddr,
    ticket: Arc<Ticket>,
) {
    // The TLS handshakes are boxed: inline, their state would be part of every plain
    // connection's task as well (memory per connection before the protocol starts).
    #[cfg(feature = "legacy-tls")]
    if let Some(acceptor) = shared.legacy_tls.clone() {
        let handshake = timeout::<R, _>(shared.config.auth_timeout, acceptor.accept(tcp));
        match Box::pin(handshake).await {
            Some(Ok(tls)) => serve_http::<R>(shared, Box::new(tls), peer, ticket).await,
            Some(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
            None => tracing::debug!(%peer, "TLS handshake timed out"),
        }
        return;
    }
    match shared.tls.clone() {
        Some(acceptor) => {
            let handshake = timeout::<R, _>(shared.config.auth_timeout, acceptor.accept(tcp));
            match Box::pin(handshake).await {
                Some(Ok(tls)) => serve_http::<R>(shared, tls, peer, ticket).await,
                Some(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                None => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
        None => serve_http::<R>(shared, tcp, peer, ticket).await,
    }
}

async fn serve_http<R: Runtime>(
    shared: Arc<Shared>,
    mut io: Box<dyn Io>,
    peer: SocketAddr,
    ticket: Arc<Ticket>,
) {
    // The first request head is read here, into a buffer the size of what arrived; hyper
    // (its 8 KiB buffers and its connection state, boxed) comes in once the head is
    // complete, so a half-sent request holds little more than its bytes.
    let header_timeout = shared.admission.limits().header_timeout;
    let head = match timeout::<R, _>(header_timeout, read_head(&mut io)).await {
        Some(Head::Complete(head)) => head,
        Some(Head::Closed) => {
            tracing::debug!(%peer, "HTTP connection closed before a complete request head");
            return;
        }
        Some(Head::TooLarge) => {
            tracing::debug!(%peer, limit = MAX_HEAD, "HTTP request head too large: answered 431");
            return;
        }
        None => {
            tracing::debug!(%peer, timeout = ?header_timeout, "HTTP header read timeout: closed");
            return;
        }
    };
    Box::pin(serve_hyper::<R>(
        shared,
        Prefixed::new(head, io),
        peer,
        ticket,
    ))
    .await;
}

/// Serves HTTP/1.1 with hyper on a connection whose first request head has arrived.
async fn serve_hyper<R: Runtime>(
    shared: Arc<Shared>,
    io: Prefixed<Box<dyn Io>>,
    peer: SocketAddr,
    ticket: Arc<Ticket>,
) {
    use futures_util::future::{select, Either};
    let header_timeout = shared.admission.limits().header_timeout;
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req| {
            let busy = activity.begin();
            let (shared, ticket) = (shared.clone(), ticket.clone());
            async move {
                let resp = handle::<R>(shared, peer, ticket, req).await;
                drop(busy);
                resp
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The reference SDK parses the 101 strictly (sdk-quirks.md Q21): no Date header, and
    // header names written as `Connection`, `Upgrade`, ...
    builder.title_case_headers(true).auto_date_header(false);
    let serve = std::pin::pin!(builder
        .serve_connection(HyperIo(io), service)
        .with_upgrades());
    let watchdog = std::pin::pin!(activity.expired::<R>(header_timeout));
    match select(serve, watchdog).await {
        Either::Left((Err(e), _)) => {
            tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
        }
        Either::Left((Ok(()), _)) => {}
        Either::Right(((), _)) => {
            tracing::debug!(%peer, timeout = ?header_timeout, "HTTP header read timeout: closed");
        }
    }
}

/// When an HTTP connection last finished a request, and how many are being answered: a
/// connection with none in progress for the header timeout is closed (a request head that
/// never completes, a slowloris, an idle keep-alive).
struct Activity {
    in_flight: AtomicUsize,
    last: std::sync::Mutex<Instant>,
}

/// A request being answered (drop marks it done).
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    fn new() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            last: std::sync::Mutex::new(Instant::now()),
        }
    }

    fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// Resolves once no request has been in progress for `limit`.
    async fn expired<R: Runtime>(&self, limit: Duration) {
        loop {
            let last = *self.last.lock().unwrap_or_else(|e| e.into_inner());
            let Some(deadline) = last.checked_add(limit) else {
                return std::future::pending().await;
            };
            R::sleep_until(deadline).await;
            let last_now = *self.last.lock().unwrap_or_else(|e| e.into_inner());
            if self.in_flight.load(Ordering::Relaxed) == 0 && last_now == last {
                return;
            }
        }
    }
}

/// An error answer of the HTTP layer itself (before any handler), as JSON
/// `{"error": "<message>"}` like every REST error of the emulator and the EMS gateway.
/// `message` is a fixed text of this module (no quotes or backslashes to escape).
fn json_error(status: StatusCode, message: &'static str) -> Response<Full<Bytes>> {
    let body = format!("{{\"error\":\"{message}\"}}");
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
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
    ticket: Arc<Ticket>,
    mut req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == WS_PATH && is_ws_upgrade(&req) {
        return Ok(upgrade::<R>(shared, peer, ticket, &mut req));
    }
    // A complete plain HTTP request: a REST client, not shed from now on.
    ticket.established();
    let Some(handler) = shared.http_handler.clone() else {
        return Ok(json_error(StatusCode::NOT_FOUND, "not found"));
    };
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_HTTP_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return Ok(json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request body too large",
                ));
            }
            return Ok(json_error(
                StatusCode::BAD_REQUEST,
                "could not read request body",
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
    ticket: Arc<Ticket>,
    req: &mut Request<Incoming>,
) -> Response<Full<Bytes>> {
    if shared.shutdown.get() {
        return json_error(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY) else {
        return json_error(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key");
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
    // Until it authenticates, shedding this connection aborts its websocket task.
    let (abort, registration) = AbortHandle::new_pair();
    ticket.set_abort(abort);
    let max_message_size = shared.config.max_message_size;
    // Everything the connection keeps, in one box made now: the task's future below holds
    // only pointers and the websocket (one idle connection's memory is mostly this task).
    let conn = Conn::<R>::new(shared.clone(), info, session, ticket);
    let endpoint = shared.clone();
    let task = async move {
        match on_upgrade.await {
            Ok(upgraded) => match upgraded.downcast::<HyperIo<Prefixed<Box<dyn Io>>>>() {
                Ok(parts) => {
                    // The socket itself, and whatever the edge sent after its upgrade
                    // request: what hyper had already read (copied, so that hyper's read
                    // buffer, which `read_buf` points into, is freed now rather than held
                    // for the connection's lifetime), then what hyper had not yet read of
                    // the bytes read with the head.
                    let hyper::upgrade::Parts { io, read_buf, .. } = parts;
                    let (unread, io) = io.0.into_parts();
                    let mut early = read_buf.to_vec();
                    drop(read_buf);
                    early.extend_from_slice(&unread);
                    let ws: Ws = WebSocketStream::from_partially_read(
                        io,
                        early,
                        Role::Server,
                        Some(ws_config(max_message_size)),
                    )
                    .await;
                    run_connection::<R>(conn, ws).await;
                }
                Err(_) => {
                    tracing::warn!(%peer, "upgraded connection of an unexpected type");
                    endpoint.endpoint().handle_event(id, EndpointEvent::Closed);
                }
            },
            Err(e) => {
                tracing::debug!(%peer, error = %e, "websocket upgrade failed");
                endpoint.endpoint().handle_event(id, EndpointEvent::Closed);
            }
        }
    };
    // No `async` wrapper around `task`: one would hold it twice (captured, then awaited).
    R::spawn(Abortable::new(task, registration).map(move |ended| {
        if ended.is_err() {
            shared.endpoint().handle_event(id, EndpointEvent::Closed);
            shared
                .conns
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            let reason = CloseReason::Local("shed before AUTH: connection limit".into());
            shared.closed(id, peer, reason);
        }
        shared.live.modify(|n| {
            *n -= 1;
            true
        });
    }));
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
