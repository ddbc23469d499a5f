//! The HTTP side of the platform: the exact 101 answer the reference SDK needs, 404s, and
//! the user-supplied HTTP handler on the same port.

use crate::common::{bounded, platform, sleep, timeout};
use alwayson_async::Runtime;
use bytes::Bytes;
use futures_util::{AsyncReadExt, AsyncWriteExt};

/// A TCP connection to `addr` on runtime `E`.
async fn tcp<E: Runtime>(addr: std::net::SocketAddr) -> E::TcpStream {
    E::connect(&addr.ip().to_string(), addr.port())
        .await
        .unwrap()
}

async fn raw_http<E: Runtime>(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut tcp = tcp::<E>(addr).await;
    tcp.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read until the header block is complete (and, for non-101, the small body).
    loop {
        let n = tcp.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            if buf.starts_with(b"HTTP/1.1 101") {
                break;
            }
            // Give the body a moment.
            sleep::<E>(std::time::Duration::from_millis(50)).await;
            if let Some(Ok(n)) =
                timeout::<E, _>(std::time::Duration::from_millis(50), tcp.read(&mut chunk)).await
            {
                buf.extend_from_slice(&chunk[..n]);
            }
            break;
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Conformance test `upgrade_answer_is_exactly_what_the_sdk_expects`.
pub async fn upgrade_answer_is_exactly_what_the_sdk_expects<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        // The reference SDK's request, byte for byte (session-lifecycle.md §3.1).
        let req = "GET /Thingworx/WS HTTP/1.1\r\nUser-Agent: ThingWorx C SDK\r\nUpgrade: websocket\r\n\
                   Connection: Upgrade\r\nHost: 127.0.0.1\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nMax-Frame-Size: 8192\r\nappKey: k\r\n\r\n";
        let resp = raw_http::<E>(p.local_addr(), req.as_bytes()).await;
        assert_eq!(
            resp,
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-Websocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        );
        // Byte offsets 9..12 hold the status, as the SDK checks.
        assert_eq!(&resp[9..12], "101");
    })
    .await;
}

/// Conformance test `other_paths_are_404_without_a_handler`.
pub async fn other_paths_are_404_without_a_handler<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let resp = raw_http::<E>(
            p.local_addr(),
            b"GET /Thingworx/Things HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await;
        assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    })
    .await;
}

/// Conformance test `http_handler_serves_other_requests_on_the_same_port`.
pub async fn http_handler_serves_other_requests_on_the_same_port<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>()
            .http_handler(|req: http::Request<Bytes>| async move {
                let platform = req
                    .extensions()
                    .get::<alwayson_async::Platform<P>>()
                    .cloned();
                let body = format!(
                    "{} {} {} things={}",
                    req.method(),
                    req.uri().path(),
                    req.body().len(),
                    platform.map(|p| p.things().len()).unwrap_or(usize::MAX)
                );
                http::Response::builder()
                    .status(200)
                    .body(Bytes::from(body))
                    .unwrap()
            })
            .start()
            .await
            .unwrap();
        let resp = raw_http::<E>(
            p.local_addr(),
            b"POST /Thingworx/Things/Pump1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        )
        .await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            resp.ends_with("POST /Thingworx/Things/Pump1 5 things=0"),
            "{resp}"
        );

        let big = format!(
            "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            2 * 1024 * 1024
        );
        let mut tcp = tcp::<E>(p.local_addr()).await;
        tcp.write_all(big.as_bytes()).await.unwrap();
        let _ = tcp.write_all(&vec![b'a'; 1024 * 1024 + 10]).await;
        let mut buf = vec![0u8; 1024];
        let n = tcp.read(&mut buf).await.unwrap();
        let resp = String::from_utf8_lossy(&buf[..n]);
        assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
        // Errors of the HTTP layer itself are JSON, like every REST error.
        assert!(
            resp.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{resp}"
        );
        assert!(
            resp.ends_with(r#"{"error":"request body too large"}"#),
            "{resp}"
        );
    })
    .await;
}
