//! AUTH rules enforced by the platform: AUTH first, auth deadline, refused credentials.
#![allow(clippy::unwrap_used)]

mod common;

use alwayson_tokio::alwayson_proto::{Bind, Body, Header, Message};
use alwayson_tokio::edge::AuthFailure;
use alwayson_tokio::{Error, Reconnect, StatusCode};
use common::{bounded, edge, platform};
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

async fn raw_ws(
    url: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let (ws, resp) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(resp.status(), 101);
    ws
}

/// Reads until the websocket is closed; returns when (and whether a close frame came).
async fn wait_closed<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> Instant
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match ws.next().await {
            None | Some(Err(_)) | Some(Ok(WsMessage::Close(_))) => return Instant::now(),
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_before_auth_closes_the_socket() {
    bounded(async {
        let p = platform().start().await.unwrap();
        let mut ws = raw_ws(&p.url()).await;
        let bind = Message {
            header: Header::new(1, 0),
            body: Body::Bind(Bind {
                gateway: None,
                names: vec!["Sneaky".into()],
            }),
        };
        ws.send(WsMessage::Binary(bind.encode().unwrap()))
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), wait_closed(&mut ws))
            .await
            .expect("socket not closed after a BIND before AUTH");
        assert!(!matches!(p.thing("Sneaky"), Some(t) if t.is_connected));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connection_is_closed_at_the_auth_deadline() {
    bounded(async {
        let p = platform()
            .auth_timeout(Duration::from_millis(300))
            .start()
            .await
            .unwrap();
        let opened = Instant::now();
        let mut ws = raw_ws(&p.url()).await;
        let closed = tokio::time::timeout(Duration::from_secs(5), wait_closed(&mut ws))
            .await
            .expect("not closed at the auth deadline");
        let after = closed - opened;
        assert!(
            after >= Duration::from_millis(250),
            "closed too early: {after:?}"
        );
        assert!(after < Duration::from_secs(3), "closed too late: {after:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_is_refused() {
    bounded(async {
        let p = platform().start().await.unwrap();
        let result = edge(&p)
            .app_key("wrong")
            .reconnect(Reconnect::default())
            .bind(["Pump1"])
            .connect()
            .await;
        match result {
            Err(Error::Refused(AuthFailure::Rejected(status))) => {
                assert_ne!(status, StatusCode::SUCCESS)
            }
            other => panic!("expected Refused, got {other:?}"),
        }
        assert!(!matches!(p.thing("Pump1"), Some(t) if t.is_connected));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_closure_sees_the_claims() {
    bounded(async {
        let p = alwayson_tokio::Platform::builder()
            .credentials(|auth: &alwayson_tokio::Auth| {
                auth.claim("user").is_some_and(|u| *u == *"alice")
                    && auth.claim("password").is_some_and(|pw| *pw == *"secret")
            })
            .start()
            .await
            .unwrap();
        let ok = alwayson_tokio::EdgeClient::builder(p.url())
            .credentials(alwayson_tokio::edge::Credentials::UserPassword {
                user: "alice".into(),
                password: "secret".into(),
            })
            .connect()
            .await;
        assert!(ok.is_ok(), "{ok:?}");
        let bad = alwayson_tokio::EdgeClient::builder(p.url())
            .credentials(alwayson_tokio::edge::Credentials::UserPassword {
                user: "alice".into(),
                password: "nope".into(),
            })
            .connect()
            .await;
        assert!(matches!(bad, Err(Error::Refused(_))), "{bad:?}");
    })
    .await;
}
