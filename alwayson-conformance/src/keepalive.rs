//! A platform that stops answering pings is detected within ping interval + pong timeout.

use crate::common::{bounded, timeout};
use alwayson_async::alwayson_proto::{Body, Header, Message};
use alwayson_async::edge::DisconnectReason;
use alwayson_async::Runtime;
use alwayson_async::{EdgeClient, EdgeNotice, Reconnect, Response};
use async_tungstenite::tungstenite::Message as WsMessage;
use futures_channel::oneshot;
use futures_util::StreamExt;
use std::time::{Duration, Instant};

/// Conformance test `silent_platform_is_detected_by_the_pong_timeout`.
pub async fn silent_platform_is_detected_by_the_pong_timeout<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let listener = P::bind("127.0.0.1:0").await.unwrap();
        let addr = P::local_addr(&listener).unwrap();
        let (stopped_tx, stopped_rx) = oneshot::channel::<Instant>();
        let (release_tx, release_rx) = oneshot::channel::<()>();
        // A hand-made platform on runtime P: answers AUTH and BIND, then never reads
        // again, so tungstenite never gets to answer a ping.
        P::spawn(async move {
            let (tcp, _) = P::accept(&listener).await.unwrap();
            let mut ws = async_tungstenite::accept_async(tcp).await.unwrap();
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
            // Hold the socket open without reading (until the test is done).
            let _ = timeout::<P, _>(Duration::from_secs(20), release_rx).await;
            drop(ws);
        });

        let edge = EdgeClient::<E>::builder(format!("ws://{addr}/Thingworx/WS"))
            .app_key("k")
            .bind(["Pump1"])
            .ping_interval(Duration::from_millis(200))
            .pong_timeout(Duration::from_millis(200))
            .reconnect(Reconnect::new(
                Duration::from_secs(5),
                Duration::from_secs(5),
            ))
            .connect()
            .await
            .unwrap();
        let mut events = edge.events();
        let stopped = stopped_rx.await.unwrap();
        let detected = timeout::<E, _>(Duration::from_secs(5), async {
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
        let _ = release_tx.send(());
    })
    .await;
}
