//! AUTH rules enforced by the platform: AUTH first, auth deadline, refused credentials.

use crate::common::{bounded, edge, platform, timeout};
use alwayson_async::alwayson_proto::{Bind, Body, Header, Message};
use alwayson_async::edge::AuthFailure;
use alwayson_async::Runtime;
use alwayson_async::{Error, Reconnect, StatusCode};
use async_tungstenite::tungstenite::Message as WsMessage;
use async_tungstenite::WebSocketStream;
use futures_util::StreamExt;
use std::time::{Duration, Instant};

/// A websocket client of `p` (no AUTH sent), over runtime `E`'s TCP.
async fn raw_ws<E: Runtime, P: Runtime>(
    p: &alwayson_async::Platform<P>,
) -> WebSocketStream<E::TcpStream> {
    let addr = p.local_addr();
    let tcp = E::connect(&addr.ip().to_string(), addr.port())
        .await
        .unwrap();
    let (ws, resp) = async_tungstenite::client_async(p.url(), tcp).await.unwrap();
    assert_eq!(resp.status(), 101);
    ws
}

/// Reads until the websocket is closed; returns when.
async fn wait_closed<S>(ws: &mut WebSocketStream<S>) -> Instant
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    loop {
        match ws.next().await {
            None | Some(Err(_)) | Some(Ok(WsMessage::Close(_))) => return Instant::now(),
            Some(Ok(_)) => {}
        }
    }
}

/// Conformance test `bind_before_auth_closes_the_socket`.
pub async fn bind_before_auth_closes_the_socket<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let mut ws = raw_ws::<E, P>(&p).await;
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
        timeout::<E, _>(Duration::from_secs(5), wait_closed(&mut ws))
            .await
            .expect("socket not closed after a BIND before AUTH");
        assert!(!matches!(p.thing("Sneaky"), Some(t) if t.is_connected));
    })
    .await;
}

/// Conformance test `silent_connection_is_closed_at_the_auth_deadline`.
pub async fn silent_connection_is_closed_at_the_auth_deadline<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>()
            .auth_timeout(Duration::from_millis(300))
            .start()
            .await
            .unwrap();
        let opened = Instant::now();
        let mut ws = raw_ws::<E, P>(&p).await;
        let closed = timeout::<E, _>(Duration::from_secs(5), wait_closed(&mut ws))
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

/// Conformance test `wrong_key_is_refused`.
pub async fn wrong_key_is_refused<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let result = edge::<E, P>(&p)
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

/// Conformance test `credentials_closure_sees_the_claims`.
pub async fn credentials_closure_sees_the_claims<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = alwayson_async::Platform::<P>::builder()
            .credentials(|auth: &alwayson_async::Auth| {
                auth.claim("user").is_some_and(|u| *u == *"alice")
                    && auth.claim("password").is_some_and(|pw| *pw == *"secret")
            })
            .start()
            .await
            .unwrap();
        let ok = alwayson_async::EdgeClient::<E>::builder(p.url())
            .credentials(alwayson_async::edge::Credentials::UserPassword {
                user: "alice".into(),
                password: "secret".into(),
            })
            .connect()
            .await;
        assert!(ok.is_ok(), "{ok:?}");
        let bad = alwayson_async::EdgeClient::<E>::builder(p.url())
            .credentials(alwayson_async::edge::Credentials::UserPassword {
                user: "alice".into(),
                password: "nope".into(),
            })
            .connect()
            .await;
        assert!(matches!(bad, Err(Error::Refused(_))), "{bad:?}");
    })
    .await;
}

/// Conformance test `closes_are_reported_with_their_cause`: a malformed AUTH closes with
/// `MalformedAuth` ("malformed AUTH: … offset …"), and a websocket message over the
/// platform's limit with `Transport` naming both sizes (not a bare "connection lost").
pub async fn closes_are_reported_with_their_cause<E: Runtime, P: Runtime>() {
    use alwayson_async::{Auth, CloseReason, PlatformNotice};
    bounded::<E, _>(async {
        let p = platform::<P>()
            .max_message_size(16 * 1024)
            .start()
            .await
            .unwrap();
        let mut notices = p.events();
        let closed = |notices: &mut alwayson_async::Notices<PlatformNotice>| {
            let mut reason = None;
            while let Some(n) = notices.try_next() {
                if let PlatformNotice::Closed { reason: r, .. } = n {
                    reason = Some(r);
                }
            }
            reason
        };
        // An AUTH cut short.
        let mut ws = raw_ws::<E, P>(&p).await;
        let auth = Message {
            header: Header::new(1, 0xFFFF_FFFF),
            body: Body::Auth(Auth::app_key("k")),
        }
        .encode()
        .unwrap();
        ws.send(WsMessage::Binary(auth.slice(..auth.len() - 2)))
            .await
            .unwrap();
        wait_closed(&mut ws).await;
        let mut reason = None;
        for _ in 0..200 {
            reason = reason.or_else(|| closed(&mut notices));
            if reason.is_some() {
                break;
            }
            crate::common::sleep::<E>(Duration::from_millis(10)).await;
        }
        let reason = reason.expect("a Closed notice");
        assert!(
            matches!(reason, CloseReason::MalformedAuth(_)),
            "{reason:?}"
        );
        assert!(reason.to_string().contains("offset"), "{reason}");

        // Authenticated, then a message far over the limit (16 KiB + 64 KiB slack).
        let mut ws = raw_ws::<E, P>(&p).await;
        ws.send(WsMessage::Binary(auth)).await.unwrap();
        let _ = ws.next().await; // the AUTH answer
        let big = vec![0u8; 200_000];
        let _ = ws.send(WsMessage::Binary(big.into())).await;
        wait_closed(&mut ws).await;
        let mut reason = None;
        for _ in 0..200 {
            reason = reason.or_else(|| closed(&mut notices));
            if reason.is_some() {
                break;
            }
            crate::common::sleep::<E>(Duration::from_millis(10)).await;
        }
        match reason.expect("a Closed notice") {
            CloseReason::Transport(text) => {
                assert!(
                    text.contains("200000") && text.contains(&(16 * 1024 + 64 * 1024).to_string()),
                    "both sizes: {text}"
                );
            }
            other => panic!("expected Transport, got {other:?}"),
        }
    })
    .await;
}
