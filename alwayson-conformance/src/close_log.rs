//! Every websocket close is logged once at INFO with its cause, on both sides
//! ([`alwayson_async::CLOSE_LOG_TARGET`]): checked with a `tracing` subscriber that captures
//! the records of the whole test process, told apart by the edge's address (platform side)
//! or the platform's URL (edge side).

use crate::common::{bounded, edge, platform, sleep};
use alwayson_async::alwayson_proto::{Body, Header, Message};
use alwayson_async::{
    Auth, ConnectionId, EdgeNotice, Error, Notices, PlatformNotice, Reconnect, Runtime,
    CLOSE_LOG_TARGET,
};
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::CloseFrame;
use async_tungstenite::tungstenite::Message as WsMessage;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// One captured record (INFO and above).
#[derive(Debug, Clone)]
struct Record {
    level: tracing::Level,
    target: String,
    /// The message, then ` name=value` per field.
    text: String,
}

/// Every record at INFO or above since [`capture`] was first called, in order.
static RECORDS: Mutex<Vec<Record>> = Mutex::new(Vec::new());

struct Text(String);

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

struct Capture;

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut text = Text(String::new());
        event.record(&mut text);
        let record = Record {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            text: text.0,
        };
        RECORDS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }
}

/// Installs the capturing subscriber for the process (once).
fn capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry()
            .with(LevelFilter::INFO)
            .with(Capture);
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global tracing subscriber in the conformance tests");
    });
}

/// The captured records at INFO or above whose text contains `needle`.
fn records_with(needle: &str) -> Vec<Record> {
    RECORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|r| r.text.contains(needle))
        .cloned()
        .collect()
}

/// Asserts that exactly one record mentions `needle`: the close, at INFO, under
/// [`CLOSE_LOG_TARGET`], naming `cause`.
fn assert_one_close_record(needle: &str, cause: &str) {
    let records = records_with(needle);
    assert_eq!(records.len(), 1, "one record for {needle}: {records:#?}");
    let r = &records[0];
    assert_eq!(r.level, tracing::Level::INFO, "{r:?}");
    assert_eq!(r.target, CLOSE_LOG_TARGET, "{r:?}");
    assert!(r.text.starts_with("connection closed"), "{r:?}");
    assert!(r.text.contains(cause), "{cause:?} in {r:?}");
}

/// Follows the platform's notices to the next close: the connection's peer (from its
/// `Opened`) and the reason in words.
async fn next_close<R: Runtime>(
    notices: &mut Notices<PlatformNotice>,
    peers: &mut HashMap<ConnectionId, SocketAddr>,
) -> (SocketAddr, String) {
    loop {
        match notices.try_next() {
            Some(PlatformNotice::Opened { conn, peer }) => {
                peers.insert(conn, peer);
            }
            Some(PlatformNotice::Closed { conn, reason }) => {
                let peer = peers.get(&conn).copied().expect("Opened before Closed");
                return (peer, reason.to_string());
            }
            Some(_) => {}
            None => sleep::<R>(Duration::from_millis(10)).await,
        }
    }
}

/// The encoded AUTH with app key `k`.
fn auth(key: &str) -> bytes::Bytes {
    Message {
        header: Header::new(1, 0xFFFF_FFFF),
        body: Body::Auth(Auth::app_key(key)),
    }
    .encode()
    .unwrap()
}

/// Conformance test `the_platform_logs_each_close_once_at_info_with_its_cause`: an edge's
/// close frame (code and reason), a message too long (both sizes), a malformed AUTH and
/// refused credentials each give exactly one INFO record, with the cause.
pub async fn the_platform_logs_each_close_once_at_info_with_its_cause<E: Runtime, P: Runtime>() {
    capture();
    bounded::<E, _>(async {
        let p = platform::<P>()
            .max_message_size(16 * 1024)
            .start()
            .await
            .unwrap();
        let mut notices = p.events();
        let mut peers = HashMap::new();
        let raw = || async {
            let addr = p.local_addr();
            let tcp = E::connect(&addr.ip().to_string(), addr.port())
                .await
                .unwrap();
            async_tungstenite::client_async(p.url(), tcp)
                .await
                .unwrap()
                .0
        };

        // The edge closes with a code and a reason.
        let mut ws = raw().await;
        ws.send(WsMessage::Binary(auth("k"))).await.unwrap();
        let _ = ws.next().await; // the AUTH answer
        ws.close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "maintenance window".into(),
        }))
        .await
        .unwrap();
        let (peer, cause) = next_close::<E>(&mut notices, &mut peers).await;
        assert_eq!(
            cause,
            "closed by the edge (1000 normal closure: maintenance window)"
        );
        assert_one_close_record(&format!("peer={peer}"), &cause);

        // A message far over the limit: both sizes.
        let mut ws = raw().await;
        ws.send(WsMessage::Binary(auth("k"))).await.unwrap();
        let _ = ws.next().await;
        let _ = ws.send(WsMessage::Binary(vec![0u8; 200_000].into())).await;
        let (peer, cause) = next_close::<E>(&mut notices, &mut peers).await;
        assert!(
            cause.contains("200000") && cause.contains(&(16 * 1024 + 64 * 1024).to_string()),
            "{cause}"
        );
        assert_one_close_record(&format!("peer={peer}"), &cause);

        // An AUTH cut short.
        let mut ws = raw().await;
        let a = auth("k");
        ws.send(WsMessage::Binary(a.slice(..a.len() - 2)))
            .await
            .unwrap();
        let (peer, cause) = next_close::<E>(&mut notices, &mut peers).await;
        assert!(cause.starts_with("malformed AUTH: "), "{cause}");
        assert_one_close_record(&format!("peer={peer}"), &cause);

        // Refused credentials.
        let mut ws = raw().await;
        ws.send(WsMessage::Binary(auth("wrong"))).await.unwrap();
        let (peer, cause) = next_close::<E>(&mut notices, &mut peers).await;
        assert_eq!(cause, "credentials refused");
        assert_one_close_record(&format!("peer={peer}"), &cause);
        p.shutdown().await;
    })
    .await;
}

/// Waits for the client's next `Disconnected` notice.
async fn next_disconnect<R: Runtime>(notices: &mut Notices<EdgeNotice>) -> String {
    loop {
        match notices.try_next() {
            Some(EdgeNotice::Disconnected { reason }) => return reason.to_string(),
            Some(_) => {}
            None => sleep::<R>(Duration::from_millis(10)).await,
        }
    }
}

/// A scripted platform on 127.0.0.1: answers the first connection's AUTH with SUCCESS, then
/// sends one binary message of `size` bytes and holds the connection until the edge closes.
async fn oversized_platform<P: Runtime>(size: usize) -> String {
    let listener = P::bind("127.0.0.1:0").await.unwrap();
    let addr = P::local_addr(&listener).unwrap();
    P::spawn(async move {
        let Ok((tcp, _)) = P::accept(&listener).await else {
            return;
        };
        let Ok(mut ws) = async_tungstenite::accept_async(tcp).await else {
            return;
        };
        let Some(Ok(WsMessage::Binary(bytes))) = ws.next().await else {
            return;
        };
        let auth = Message::decode(bytes).unwrap().value;
        let answer = Message {
            header: Header::new(auth.header.request_id, 42),
            body: Body::Response(alwayson_async::Response::success()),
        };
        let _ = ws.send(WsMessage::Binary(answer.encode().unwrap())).await;
        let _ = ws.send(WsMessage::Binary(vec![0u8; size].into())).await;
        while let Some(Ok(_)) = ws.next().await {}
    });
    format!("ws://{addr}/Thingworx/WS")
}

/// Conformance test `the_edge_logs_each_close_once_at_info_with_its_cause`: the platform's
/// close frame (its idle timeout: code and reason), a message too long (both sizes), the
/// edge's own shutdown and refused credentials each give exactly one INFO record, with the
/// cause.
pub async fn the_edge_logs_each_close_once_at_info_with_its_cause<E: Runtime, P: Runtime>() {
    capture();
    bounded::<E, _>(async {
        // The platform closes an idle connection; the edge waits long before reconnecting.
        let p = platform::<P>()
            .idle_timeout(Duration::from_millis(300))
            .start()
            .await
            .unwrap();
        let e = edge::<E, P>(&p)
            .reconnect(Reconnect::new(
                Duration::from_secs(60),
                Duration::from_secs(60),
            ))
            .bind(["Idle1"])
            .connect()
            .await
            .unwrap();
        let mut notices = e.events();
        let cause = next_disconnect::<E>(&mut notices).await;
        assert_eq!(
            cause,
            "closed by the platform (1000 normal closure: idle timeout)"
        );
        assert_one_close_record(&format!("url={}", p.url()), &cause);
        e.shutdown().await;
        p.shutdown().await;

        // A message far over the edge's limit (16 KiB + 64 KiB slack): both sizes.
        let url = oversized_platform::<P>(200_000).await;
        let builder = alwayson_async::EdgeClient::<E>::builder(url.as_str())
            .app_key("k")
            .max_message_size(16 * 1024)
            .reconnect(Reconnect::new(
                Duration::from_secs(60),
                Duration::from_secs(60),
            ));
        let mut notices = builder.events();
        let e = builder.start().unwrap();
        let cause = next_disconnect::<E>(&mut notices).await;
        assert!(
            cause.starts_with("websocket failed: ")
                && cause.contains("200000")
                && cause.contains(&(16 * 1024 + 64 * 1024).to_string()),
            "{cause}"
        );
        assert_one_close_record(&format!("url={url}"), &cause);
        e.shutdown().await;

        // The edge shuts down.
        let p = platform::<P>().start().await.unwrap();
        let e = edge::<E, P>(&p).bind(["Pump1"]).connect().await.unwrap();
        e.shutdown().await;
        assert_one_close_record(
            &format!("url={}", p.url()),
            "closed by the edge (shut down)",
        );

        // Refused credentials.
        let result = edge::<E, P>(&p)
            .app_key("wrong")
            .bind(["Pump1"])
            .connect()
            .await;
        assert!(matches!(result, Err(Error::Refused(_))), "{result:?}");
        let records = records_with(&format!("url={}", p.url()));
        assert_eq!(records.len(), 2, "{records:#?}");
        assert!(
            records[1].text.contains("AUTH refused (") && records[1].level == tracing::Level::INFO,
            "{records:#?}"
        );
        p.shutdown().await;
    })
    .await;
}
