//! Hostile peers before the protocol starts: half-sent upgrade requests are closed at the
//! header timeout and never lock out edges or REST; at the connection cap the pre-AUTH
//! connections are shed first, oldest first.

use crate::common::{bounded, edge, platform, timeout};
use alwayson_async::edge::Thing;
use alwayson_async::{ConnectionLimits, ConnectionState, Platform, Runtime, Value};
use bytes::Bytes;
use futures_util::{AsyncReadExt, AsyncWriteExt};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What an attacker sends before it stops: an upgrade request without its end.
const HALF_UPGRADE: &[u8] =
    b"GET /Thingworx/WS HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgr";

/// Raises this process's soft file-descriptor limit towards `want` (at most the hard
/// limit); returns the soft limit now in force.
pub fn raise_fd_limit(want: u64) -> u64 {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource};
        let mut limit = getrlimit(Resource::Nofile);
        let hard = limit.maximum.unwrap_or(u64::MAX);
        let current = limit.current.unwrap_or(u64::MAX);
        if current < want {
            limit.current = Some(want.min(hard));
            if setrlimit(Resource::Nofile, limit).is_ok() {
                return want.min(hard);
            }
        }
        current
    }
    #[cfg(not(unix))]
    {
        let _ = want;
        u64::MAX
    }
}

/// A platform whose HTTP handler answers `GET /Thingworx/Things/<thing>/Properties/<name>`
/// by reading the property from the edge (the REST read of the tests).
fn rest_platform<P: Runtime>(limits: ConnectionLimits) -> alwayson_async::PlatformBuilder<P> {
    platform::<P>()
        .connection_limits(limits)
        .http_handler(|req: http::Request<Bytes>| async move {
            let platform = req.extensions().get::<Platform<P>>().cloned();
            let parts: Vec<String> = req.uri().path().split('/').map(str::to_owned).collect();
            let (Some(platform), [_, _, _, thing, _, property]) = (platform, parts.as_slice())
            else {
                return http::Response::builder()
                    .status(404)
                    .body(Bytes::new())
                    .unwrap();
            };
            match platform.read_property(thing, property).await {
                Ok(value) => http::Response::builder()
                    .status(200)
                    .body(Bytes::from(format!("{value:?}")))
                    .unwrap(),
                Err(e) => http::Response::builder()
                    .status(502)
                    .body(Bytes::from(e.to_string()))
                    .unwrap(),
            }
        })
}

/// One REST read over a fresh connection: the status line and body.
async fn rest_read<E: Runtime>(addr: SocketAddr, path: &str) -> String {
    let mut tcp = E::connect(&addr.ip().to_string(), addr.port())
        .await
        .unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tcp.read_to_end(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

/// Opens `n` connections that each send half an upgrade request and stop.
async fn half_sent<E: Runtime>(addr: SocketAddr, n: usize) -> Vec<E::TcpStream> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        let mut tcp = E::connect(&addr.ip().to_string(), addr.port())
            .await
            .unwrap();
        tcp.write_all(HALF_UPGRADE).await.unwrap();
        held.push(tcp);
    }
    held
}

/// Whether the platform closed `tcp` within `d` (EOF or reset).
async fn closed_within<E: Runtime>(tcp: &mut E::TcpStream, d: Duration) -> bool {
    let mut buf = [0u8; 256];
    match timeout::<E, _>(d, tcp.read(&mut buf)).await {
        Some(Ok(0)) | Some(Err(_)) => true,
        Some(Ok(n)) => panic!("unexpected answer to half a request: {:?}", &buf[..n]),
        None => false,
    }
}

/// Conformance test `half_sent_upgrades_are_closed_at_the_header_timeout`: 1 000
/// connections holding half an upgrade request do not keep an edge from authenticating,
/// binding and answering a REST read within 1 s, and all are closed at the header timeout.
pub async fn half_sent_upgrades_are_closed_at_the_header_timeout<E: Runtime, P: Runtime>() {
    // Both ends of every connection live in this process.
    let fds = raise_fd_limit(8192);
    let n = 1000.min((fds.saturating_sub(300) / 2) as usize);
    assert!(
        n >= 200,
        "file-descriptor limit {fds} too low for this test"
    );
    bounded::<E, _>(async {
        let header_timeout = Duration::from_secs(3);
        let limits = ConnectionLimits::new()
            .max_connections(4 * n)
            .max_pre_auth(2 * n)
            .header_timeout(header_timeout);
        let p = rest_platform::<P>(limits).start().await.unwrap();
        let t0 = Instant::now();
        let mut held = half_sent::<E>(p.local_addr(), n).await;

        let start = Instant::now();
        let e = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("temp", 21.5))
            .connect()
            .await
            .unwrap();
        assert_eq!(e.state().get(), ConnectionState::Bound);
        let resp = rest_read::<E>(p.local_addr(), "/Thingworx/Things/Pump1/Properties/temp").await;
        let took = start.elapsed();
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            resp.ends_with(&format!("{:?}", Value::from(21.5))),
            "{resp}"
        );
        assert!(
            took < Duration::from_secs(1),
            "edge bound and REST read took {took:?} under {n} half-sent requests"
        );
        // The attackers are still held (the header timeout has not passed)...
        assert!(
            t0.elapsed() < header_timeout,
            "opening {n} connections took too long"
        );
        assert!(!closed_within::<E>(&mut held[n - 1], Duration::from_millis(10)).await);
        // ...and every one is closed at it (not before: none was closed early).
        for tcp in &mut held {
            assert!(
                closed_within::<E>(tcp, header_timeout + Duration::from_secs(5)).await,
                "a half-sent request outlived the header timeout"
            );
        }
        assert!(t0.elapsed() >= header_timeout);
        // The authenticated edge is not subject to it.
        assert_eq!(e.state().get(), ConnectionState::Bound);
        assert_eq!(
            p.read_property("Pump1", "temp").await.unwrap(),
            Value::from(21.5)
        );
    })
    .await;
}

/// Conformance test `the_connection_cap_sheds_pre_auth_connections_first`: at the cap, the
/// oldest connections that have not authenticated are closed to admit new ones; the
/// authenticated edge and REST keep working.
pub async fn the_connection_cap_sheds_pre_auth_connections_first<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let limits = ConnectionLimits::new()
            .max_connections(40)
            .max_pre_auth(20)
            .header_timeout(Duration::from_secs(60));
        let p = rest_platform::<P>(limits).start().await.unwrap();
        let e = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("temp", 21.5))
            .connect()
            .await
            .unwrap();
        // 30 half-sent requests against a pre-AUTH cap of 20: the first 10 are shed.
        let mut held = half_sent::<E>(p.local_addr(), 30).await;
        for tcp in &mut held[..10] {
            assert!(closed_within::<E>(tcp, Duration::from_secs(5)).await);
        }
        // A REST read sheds one more (it is pre-AUTH until its request is complete).
        let resp = rest_read::<E>(p.local_addr(), "/Thingworx/Things/Pump1/Properties/temp").await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(closed_within::<E>(&mut held[10], Duration::from_secs(5)).await);
        for tcp in &mut held[11..] {
            assert!(!closed_within::<E>(tcp, Duration::from_millis(20)).await);
        }
        assert_eq!(e.state().get(), ConnectionState::Bound);
        assert_eq!(
            p.read_property("Pump1", "temp").await.unwrap(),
            Value::from(21.5)
        );
    })
    .await;
}

/// A scripted platform on 127.0.0.1: accepts websockets and answers each first message
/// (the AUTH) with `answer`, or never when it is `None`. Counts the connections.
async fn scripted_platform<P: Runtime>(
    answer: Option<&'static [u8]>,
) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = P::bind("127.0.0.1:0").await.unwrap();
    let addr = P::local_addr(&listener).unwrap();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    P::spawn(async move {
        while let Ok((tcp, _)) = P::accept(&listener).await {
            counted.fetch_add(1, Ordering::SeqCst);
            P::spawn(async move {
                let Ok(mut ws) = async_tungstenite::accept_async(tcp).await else {
                    return;
                };
                // The AUTH.
                let _ = ws.next().await;
                if let Some(bytes) = answer {
                    let msg = async_tungstenite::tungstenite::Message::binary(bytes.to_vec());
                    let _ = ws.send(msg).await;
                }
                // Hold the connection until the edge closes it.
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    (addr, count)
}

/// Conformance test `auth_unanswered_or_garbled_is_retried_not_refused`: a platform that
/// never answers AUTH, or answers it with bytes that are no message, is a connection
/// failure: the edge retries (here up to 3 attempts) and reports it as such, never as
/// refused credentials.
pub async fn auth_unanswered_or_garbled_is_retried_not_refused<E: Runtime, P: Runtime>() {
    use alwayson_async::edge::AuthFailure;
    use alwayson_async::{EdgeClient, Error, Reconnect};
    use std::sync::atomic::Ordering;
    bounded::<E, _>(async {
        for (answer, failure) in [
            (None, AuthFailure::TimedOut),
            (Some(&[0x01u8, 0x02, 0x03][..]), AuthFailure::Malformed),
        ] {
            let (addr, count) = scripted_platform::<P>(answer).await;
            let result = EdgeClient::<E>::builder(format!("ws://{addr}/Thingworx/WS"))
                .app_key("k")
                .request_timeout(Duration::from_millis(300))
                .reconnect(
                    Reconnect::new(Duration::from_millis(20), Duration::from_millis(100))
                        .with_max_attempts(Some(3)),
                )
                .bind(["Pump1"])
                .connect()
                .await;
            match result {
                Err(Error::AuthUnanswered(f)) => assert_eq!(f, failure),
                other => panic!("expected AuthUnanswered({failure:?}), got {other:?}"),
            }
            assert_eq!(count.load(Ordering::SeqCst), 3, "{failure:?}: retried");
        }
    })
    .await;
}

/// Conformance test `puts_of_unknown_properties_or_other_types_are_refused`: a defined
/// thing refuses a PUT of a property it does not have (NOT_FOUND) and of a value of another
/// base type (BAD_REQUEST), and its store is unchanged; one built with
/// `accept_new_properties` takes both.
pub async fn puts_of_unknown_properties_or_other_types_are_refused<E: Runtime, P: Runtime>() {
    use alwayson_async::{Error, StatusCode};
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let e = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("temp", 21.5))
            .thing(
                Thing::new("Open1")
                    .property("temp", 1.0)
                    .accept_new_properties(),
            )
            .connect()
            .await
            .unwrap();
        let big = "x".repeat(100_000);
        match p.write_property("Pump1", "new", big.as_str()).await {
            Err(Error::Status { status, .. }) => assert_eq!(status, StatusCode::NOT_FOUND),
            other => panic!("expected NOT_FOUND, got {other:?}"),
        }
        match p.write_property("Pump1", "temp", "hot").await {
            Err(Error::Status { status, .. }) => assert_eq!(status, StatusCode::BAD_REQUEST),
            other => panic!("expected BAD_REQUEST, got {other:?}"),
        }
        assert_eq!(e.property("Pump1", "new"), None);
        assert_eq!(e.property("Pump1", "temp"), Some(Value::from(21.5)));
        p.write_property("Pump1", "temp", 22.0).await.unwrap();
        assert_eq!(e.property("Pump1", "temp"), Some(Value::from(22.0)));
        // Built to accept new properties: both are taken.
        p.write_property("Open1", "new", "v").await.unwrap();
        p.write_property("Open1", "temp", "hot").await.unwrap();
        assert_eq!(e.property("Open1", "new"), Some(Value::from("v")));
        assert_eq!(e.property("Open1", "temp"), Some(Value::from("hot")));
    })
    .await;
}

/// Conformance test `a_chunk_over_the_reassembly_budget_is_answered_and_the_connection_lives`:
/// with a platform-wide reassembly budget of 100 kB, an edge's 300 kB write (multipart, under
/// the per-connection 1 MiB) is refused with a SERVICE_UNAVAILABLE answer naming the budget
/// (not left to time out), and the same connection then writes a small value.
pub async fn a_chunk_over_the_reassembly_budget_is_answered_and_the_connection_lives<
    E: Runtime,
    P: Runtime,
>() {
    use alwayson_async::{Error, StatusCode};
    bounded::<E, _>(async {
        let p = platform::<P>()
            .reassembly_budget(100_000)
            .start()
            .await
            .unwrap();
        let e = edge::<E, P>(&p).bind(["Big"]).connect().await.unwrap();
        let big = "x".repeat(300_000);
        match e.write_property("Big", "text", big.as_str()).await {
            Err(Error::Status { status, reason }) => {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
                let reason = reason.unwrap_or_default();
                assert!(reason.contains("budget"), "{reason}");
            }
            other => panic!("expected SERVICE_UNAVAILABLE, got {other:?}"),
        }
        assert_eq!(p.property_store().get("Big", "text"), None);
        e.write_property("Big", "text", "small").await.unwrap();
        assert_eq!(
            p.property_store().get("Big", "text"),
            Some(Value::from("small"))
        );
        e.shutdown().await;
    })
    .await;
}
