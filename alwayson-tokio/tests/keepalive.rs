//! A platform that stops answering pings is detected within ping interval + pong timeout.
#![allow(clippy::unwrap_used)]

mod common;

use alwayson_tokio::alwayson_proto::{Body, Header, Message};
use alwayson_tokio::edge::DisconnectReason;
use alwayson_tokio::{EdgeClient, EdgeNotice, Reconnect, Response};
use common::bounded;
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_platform_is_detected_by_the_pong_timeout() {
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<Instant>();
        // A hand-made platform: answers AUTH and BIND, then never reads again, so
        // tungstenite never gets to answer a ping.
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            let mut answered = 0;
            while answered < 2 {
                let Some(Ok(msg)) = ws.next().await else {
                    panic!("edge went away")
                };
                let WsMessage::Binary(bytes) = msg else {
                    continue;
                };
                let request = Message::decode(bytes).unwrap().value;
                let reply = Message {
                    header: Header::new(request.header.request_id, 7),
                    body: Body::Response(Response::success()),
                };
                ws.send(WsMessage::Binary(reply.encode().unwrap()))
                    .await
                    .unwrap();
                answered += 1;
            }
            let _ = stopped_tx.send(Instant::now());
            // Hold the socket open without reading.
            tokio::time::sleep(Duration::from_secs(20)).await;
            drop(ws);
        });

        let edge = EdgeClient::builder(format!("ws://{addr}/Thingworx/WS"))
            .app_key("k")
            .bind(["Pump1"])
            .ping_interval(Duration::from_millis(200))
            .pong_timeout(Duration::from_millis(200))
            .reconnect(Reconnect {
                min: Duration::from_secs(5),
                max: Duration::from_secs(5),
                max_attempts: None,
            })
            .connect()
            .await
            .unwrap();
        let mut events = edge.events();
        let stopped = stopped_rx.await.unwrap();
        let detected = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(EdgeNotice::Disconnected { reason }) = events.next().await {
                    return (Instant::now(), reason);
                }
            }
        })
        .await
        .expect("pong timeout not detected");
        assert_eq!(detected.1, DisconnectReason::PongTimeout);
        let after = detected.0 - stopped;
        // At most one ping interval plus the pong timeout (plus scheduling slack).
        assert!(
            after < Duration::from_millis(400 + 600),
            "detected after {after:?}"
        );
        server.abort();
    })
    .await;
}
