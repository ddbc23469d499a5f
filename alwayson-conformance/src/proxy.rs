//! The edge through an HTTP proxy: an in-test CONNECT proxy on 127.0.0.1 (on the platform's
//! runtime) tunnels `ws://` and `wss://`, checks Basic credentials, and can start late.

use crate::common::{bounded, edge, pki, platform, sleep};
use alwayson_async::edge::{ProxyEnv, ProxyError};
use alwayson_async::{EdgeClient, Error, Reconnect, Runtime, Value};
use futures_channel::oneshot;
use futures_util::future::{select, Either};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `Proxy-Authorization` the test proxy wants when it checks credentials: `edge:s3cret`.
const GOOD_AUTH: &str = "Basic ZWRnZTpzM2NyZXQ=";

/// What the test proxy saw.
#[derive(Default)]
struct Seen {
    /// CONNECT requests received (answered or not).
    attempts: AtomicUsize,
    /// Targets of the tunnels opened.
    tunnels: Mutex<Vec<String>>,
}

/// A CONNECT proxy on 127.0.0.1; it stops accepting when dropped.
struct TestProxy {
    addr: SocketAddr,
    seen: Arc<Seen>,
    _stop: oneshot::Sender<()>,
}

impl TestProxy {
    /// Starts a proxy on `addr` (`127.0.0.1:0` for any port); with `auth` it answers 407
    /// unless `Proxy-Authorization` is [`GOOD_AUTH`].
    async fn start<P: Runtime>(addr: &str, auth: bool) -> Self {
        let listener = P::bind(addr).await.unwrap();
        let addr = P::local_addr(&listener).unwrap();
        let seen = Arc::new(Seen::default());
        let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
        let s = seen.clone();
        P::spawn(async move {
            loop {
                let accepted = {
                    let accept = std::pin::pin!(P::accept(&listener));
                    match select(accept, &mut stop_rx).await {
                        Either::Left((r, _)) => r,
                        Either::Right(_) => return,
                    }
                };
                let Ok((client, _)) = accepted else { continue };
                P::spawn(serve::<P>(client, auth, s.clone()));
            }
        });
        Self {
            addr,
            seen,
            _stop: stop_tx,
        }
    }

    fn url(&self, userinfo: &str) -> String {
        format!("http://{userinfo}{}", self.addr)
    }

    fn tunnels(&self) -> Vec<String> {
        self.seen.tunnels.lock().unwrap().clone()
    }
}

/// One proxied connection: read the CONNECT head, check it, dial, answer 200, relay.
async fn serve<P: Runtime>(mut client: P::TcpStream, auth: bool, seen: Arc<Seen>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 || client.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    seen.attempts.fetch_add(1, Ordering::SeqCst);
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let target = match lines.next().map(|l| l.split(' ').collect::<Vec<_>>()) {
        Some(parts) if parts.len() == 3 && parts[0] == "CONNECT" => parts[1].to_owned(),
        _ => {
            let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            return;
        }
    };
    let authorized = lines.any(|l| {
        l.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("proxy-authorization") && value.trim() == GOOD_AUTH
        })
    });
    if auth && !authorized {
        let _ = client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
            )
            .await;
        return;
    }
    let Some((host, port)) = target.rsplit_once(':') else {
        return;
    };
    let Ok(upstream) = P::connect(host, port.parse().unwrap_or(0)).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    seen.tunnels.lock().unwrap().push(target);
    let (mut cr, mut cw) = client.split();
    let (mut ur, mut uw) = upstream.split();
    let up = std::pin::pin!(futures_util::io::copy(&mut cr, &mut uw));
    let down = std::pin::pin!(futures_util::io::copy(&mut ur, &mut cw));
    // Either side ending ends the tunnel (both sockets close on drop).
    let _ = select(up, down).await;
}

/// A retrying policy that gives up after `attempts` attempts.
fn attempts(attempts: u32) -> Reconnect {
    Reconnect::new(Duration::from_millis(20), Duration::from_millis(100))
        .with_max_attempts(Some(attempts))
}

/// Conformance test `ws_and_wss_go_through_an_http_proxy`: an edge configured with a proxy
/// opens a CONNECT tunnel to the platform for `ws://` and for `wss://` (TLS inside the
/// tunnel, certificate checked against the platform's name), and works through it.
pub async fn ws_and_wss_go_through_an_http_proxy<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let proxy = TestProxy::start::<P>("127.0.0.1:0", false).await;

        let p = platform::<P>().start().await.unwrap();
        let e = edge::<E, P>(&p)
            .proxy(proxy.url(""))
            .bind(["Proxied1"])
            .connect()
            .await
            .unwrap();
        e.write_property("Proxied1", "t", 1.5).await.unwrap();
        assert_eq!(
            p.read_property("Proxied1", "t").await.unwrap(),
            Value::from(1.5)
        );
        let ws_target = p.url().split('/').nth(2).unwrap().to_owned();
        assert_eq!(proxy.tunnels(), vec![ws_target]);
        e.shutdown().await;
        p.shutdown().await;

        let pki = pki();
        let p = platform::<P>()
            .tls_pem(&pki.cert_pem, &pki.key_pem)
            .start()
            .await
            .unwrap();
        let e = edge::<E, P>(&p)
            .root_ca_pem(&pki.ca_pem)
            .proxy(proxy.url(""))
            .bind(["Secure1"])
            .connect()
            .await
            .unwrap();
        e.write_property("Secure1", "t", 2.5).await.unwrap();
        assert_eq!(
            p.read_property("Secure1", "t").await.unwrap(),
            Value::from(2.5)
        );
        let wss_target = p.url().split('/').nth(2).unwrap().to_owned();
        assert_eq!(proxy.tunnels().last(), Some(&wss_target));
        assert_eq!(proxy.tunnels().len(), 2);
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `proxy_basic_auth_right_and_wrong`: the right credentials get a
/// tunnel; wrong or missing ones get 407, a typed error naming the proxy without the
/// password, retried like any connection failure.
pub async fn proxy_basic_auth_right_and_wrong<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let proxy = TestProxy::start::<P>("127.0.0.1:0", true).await;
        let p = platform::<P>().start().await.unwrap();

        let e = edge::<E, P>(&p)
            .proxy(proxy.url("edge:s3cret@"))
            .bind(["Pump1"])
            .connect()
            .await
            .unwrap();
        assert!(p.thing("Pump1").is_some_and(|t| t.is_connected));
        e.shutdown().await;
        assert_eq!(proxy.seen.attempts.load(Ordering::SeqCst), 1);

        for (userinfo, sent_credentials) in [("edge:wrong-pass@", true), ("", false)] {
            let before = proxy.seen.attempts.load(Ordering::SeqCst);
            let r = edge::<E, P>(&p)
                .proxy(proxy.url(userinfo))
                .reconnect(attempts(3))
                .connect()
                .await;
            match &r {
                Err(Error::Proxy(ProxyError::AuthenticationRequired {
                    proxy: name,
                    sent_credentials: sent,
                })) => {
                    assert_eq!(*sent, sent_credentials);
                    let shown = proxy.url(if sent_credentials { "edge@" } else { "" });
                    assert_eq!(name, &shown, "named without the password");
                }
                other => panic!("expected a 407 error, got {other:?}"),
            }
            let text = r.unwrap_err().to_string();
            assert!(
                text.contains("407") && !text.contains("wrong-pass"),
                "{text}"
            );
            assert_eq!(
                proxy.seen.attempts.load(Ordering::SeqCst) - before,
                3,
                "retried"
            );
        }
        assert_eq!(proxy.tunnels().len(), 1);
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `proxy_down_is_retried_until_it_comes_up`: a proxy that is not
/// listening is a typed, retried connection failure; the edge gets through once it starts.
pub async fn proxy_down_is_retried_until_it_comes_up<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        // A port with nothing listening on it (reserved, then freed).
        let addr = {
            let l = P::bind("127.0.0.1:0").await.unwrap();
            P::local_addr(&l).unwrap()
        };
        let url = format!("http://{addr}");
        let r = edge::<E, P>(&p)
            .proxy(&url)
            .reconnect(Reconnect::never())
            .connect()
            .await;
        assert!(
            matches!(&r, Err(Error::Proxy(ProxyError::Unreachable { proxy, .. })) if *proxy == url),
            "{r:?}"
        );

        let started = Instant::now();
        let connect = edge::<E, P>(&p).proxy(&url).bind(["Late1"]).connect();
        let late = async {
            sleep::<E>(Duration::from_millis(400)).await;
            TestProxy::start::<P>(&addr.to_string(), false).await
        };
        let (e, proxy) = futures_util::future::join(connect, late).await;
        let e = e.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(400));
        assert_eq!(proxy.tunnels().len(), 1);
        assert!(p.thing("Late1").is_some_and(|t| t.is_connected));
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `no_proxy_is_honoured`: with the proxy taken from environment
/// variables (given as a map), `NO_PROXY` naming the platform's host connects directly,
/// and another `NO_PROXY` goes through the proxy.
pub async fn no_proxy_is_honoured<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let proxy = TestProxy::start::<P>("127.0.0.1:0", false).await;
        let p = platform::<P>().start().await.unwrap();

        let env = ProxyEnv::from_vars([
            ("HTTP_PROXY", proxy.url("")),
            ("no_proxy", "localhost,127.0.0.0/8".to_owned()),
        ]);
        let e = edge::<E, P>(&p)
            .proxy_env(env)
            .bind(["Direct1"])
            .connect()
            .await
            .unwrap();
        assert!(p.thing("Direct1").is_some_and(|t| t.is_connected));
        assert_eq!(proxy.seen.attempts.load(Ordering::SeqCst), 0);
        e.shutdown().await;

        let env = ProxyEnv::from_vars([
            ("http_proxy", proxy.url("")),
            ("NO_PROXY", "example.com".to_owned()),
        ]);
        let e = EdgeClient::<E>::builder(p.url())
            .app_key("k")
            .proxy_env(env)
            .bind(["Proxied1"])
            .connect()
            .await
            .unwrap();
        assert!(p.thing("Proxied1").is_some_and(|t| t.is_connected));
        assert_eq!(proxy.tunnels().len(), 1);
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}
