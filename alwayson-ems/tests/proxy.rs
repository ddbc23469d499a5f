//! The `proxy` group: the gateway reaches the platform through an HTTP CONNECT proxy, and
//! wrong proxy credentials are logged as a 407 naming the proxy without the password.

#![allow(clippy::unwrap_used)]

use alwayson_ems::{Config, Gateway};
use alwayson_tokio::{EdgeNotice, Platform};
use futures_util::StreamExt;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `Proxy-Authorization` the proxy wants: `edge:s3 cr@t` (a password that needs encoding).
const GOOD_AUTH: &str = "Basic ZWRnZTpzMyBjckB0";

/// A CONNECT proxy on 127.0.0.1 asking for [`GOOD_AUTH`]; returns its address and the
/// tunnels it opened.
async fn proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tunnels = Arc::new(Mutex::new(Vec::new()));
    let seen = tunnels.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(serve(client, seen.clone()));
        }
    });
    (addr, tunnels)
}

async fn serve(mut client: TcpStream, tunnels: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 || client.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let parts: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
    if parts.len() != 3 || parts[0] != "CONNECT" {
        let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        return;
    }
    let target = parts[1].to_owned();
    let authorized = lines.any(|l| {
        l.split_once(':').is_some_and(|(n, v)| {
            n.eq_ignore_ascii_case("proxy-authorization") && v.trim() == GOOD_AUTH
        })
    });
    if !authorized {
        let _ = client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
            )
            .await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(&target).await else {
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
    tunnels.lock().unwrap().push(target);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

fn config(platform: SocketAddr, proxy: SocketAddr, password: &str, dir: &str) -> Config {
    let dir = std::env::temp_dir().join(format!("alwayson-ems-{dir}-{}", std::process::id()));
    let text = format!(
        r#"{{"ws_servers":[{{"host":"127.0.0.1","port":{}}}],"appKey":"k",
            "http_server":{{"port":0}},
            "ws_connection":{{"connect_retry_interval":100}},
            "proxy":{{"host":"127.0.0.1","port":{},"user":"edge","password":"{password}"}},
            "auto_bind":[{{"name":"Gw","gateway":true}}]}}"#,
        platform.port(),
        proxy.port()
    );
    let (config, warnings) = Config::parse(&text, dir.join("config.json")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_connects_through_the_proxy() {
    let platform = Platform::builder()
        .listen("127.0.0.1:0")
        .app_key("k")
        .start()
        .await
        .unwrap();
    let (proxy_addr, tunnels) = proxy().await;
    let gateway = Gateway::start(config(
        platform.local_addr(),
        proxy_addr,
        "s3 cr@t",
        "proxy-ok",
    ))
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !platform.thing("Gw").is_some_and(|t| t.is_connected) {
        assert!(tokio::time::Instant::now() < deadline, "never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        tunnels.lock().unwrap().clone(),
        vec![platform.local_addr().to_string()],
        "the connection went through the proxy"
    );
    gateway.shutdown().await;
    platform.shutdown().await;
}

/// Log lines, collected.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_wrong_proxy_password_is_logged_as_407_without_the_password() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // One thread: the gateway's tasks log with this thread's subscriber.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let platform = Platform::builder()
            .listen("127.0.0.1:0")
            .app_key("k")
            .start()
            .await
            .unwrap();
        let (proxy_addr, tunnels) = proxy().await;
        let gateway = Gateway::start(config(
            platform.local_addr(),
            proxy_addr,
            "wrong-pass",
            "proxy-407",
        ))
        .await
        .unwrap();
        let mut events = gateway.edge().events();
        let error = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(EdgeNotice::ConnectFailed { error, .. }) = events.next().await {
                    break error;
                }
            }
        })
        .await
        .expect("a failed attempt");
        let shown = format!("http://edge@{proxy_addr}");
        assert!(error.contains("407") && error.contains(&shown), "{error}");
        // the gateway's log line for it
        tokio::time::sleep(Duration::from_millis(50)).await;
        let text = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
        let line = text
            .lines()
            .find(|l| l.contains("cannot connect to the platform") && l.contains("407"))
            .unwrap_or_else(|| panic!("no 407 log line in:\n{text}"));
        assert!(line.contains(&shown), "{line}");
        assert!(
            !text.contains("wrong-pass"),
            "the password is logged:\n{text}"
        );
        assert!(tunnels.lock().unwrap().is_empty());
        gateway.shutdown().await;
        platform.shutdown().await;
    });
}
