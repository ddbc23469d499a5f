//! An in-test edge that speaks the AlwaysOn wire format directly, the way the C SDK and the
//! EMS do: AUTH with an `appKey` claim, one BIND with every name, requests with fresh
//! request ids, and answers to platform requests chosen by the test (including answers our
//! own edge library never gives: SUCCESS without content, NOT_FOUND with an `error` table,
//! GATEWAY_TIMEOUT).

use alwayson_proto::{Auth, Bind, Body, Frame, Header, Message, Request, Response, WireString};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as Ws;

/// How the edge answers a platform request: `None` sends nothing.
pub type Answerer = Arc<dyn Fn(&Request) -> Option<Response> + Send + Sync>;

type Pending = Arc<Mutex<HashMap<u32, oneshot::Sender<Response>>>>;

/// A connected, authenticated, bound wire edge.
pub struct WireEdge {
    out: mpsc::Sender<Bytes>,
    pending: Pending,
    next_id: AtomicU32,
    session_id: u32,
    /// Every request the platform sent, in order.
    pub seen: Arc<Mutex<Vec<Request>>>,
}

fn encode(header: Header, body: Body) -> Bytes {
    Message { header, body }.encode().expect("encode")
}

impl WireEdge {
    /// Connects to `url`, authenticates with `app_key`, binds `things` in one BIND.
    pub async fn connect(url: &str, app_key: &str, things: &[&str], answer: Answerer) -> WireEdge {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connect");
        let (mut sink, mut stream) = ws.split();
        // AUTH, and its response (session id)
        sink.send(Ws::Binary(encode(
            Header::new(1, alwayson_proto::AUTH_SESSION_ID),
            Body::Auth(Auth::app_key(app_key)),
        )))
        .await
        .unwrap();
        let session_id = loop {
            match stream.next().await.expect("AUTH response").unwrap() {
                Ws::Binary(b) => {
                    let m = Message::decode(b).unwrap().value;
                    assert!(
                        matches!(&m.body, Body::Response(r) if r.status.is_success()),
                        "AUTH refused: {m:?}"
                    );
                    break m.header.session_id;
                }
                _ => continue,
            }
        };
        let (out, mut out_rx) = mpsc::channel::<Bytes>(64);
        tokio::spawn(async move {
            // an empty message is the signal to close
            while let Some(b) = out_rx.recv().await {
                if b.is_empty() || sink.send(Ws::Binary(b)).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let pending: Pending = Arc::default();
        let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
        {
            let (pending, seen, out) = (pending.clone(), seen.clone(), out.clone());
            tokio::spawn(async move {
                while let Some(Ok(frame)) = stream.next().await {
                    let Ws::Binary(b) = frame else { continue };
                    let Ok(decoded) = Frame::decode(b) else {
                        continue;
                    };
                    let Frame::Message(m) = decoded.value else {
                        continue;
                    };
                    match m.body {
                        Body::Response(r) => {
                            if let Some(tx) = pending.lock().unwrap().remove(&m.header.request_id) {
                                let _ = tx.send(r);
                            }
                        }
                        Body::Request(req) => {
                            seen.lock().unwrap().push(req.clone());
                            if let Some(resp) = answer(&req) {
                                let _ = out.send(encode(m.header, Body::Response(resp))).await;
                            }
                        }
                        _ => {}
                    }
                }
            });
        }
        let edge = WireEdge {
            out,
            pending,
            next_id: AtomicU32::new(2),
            session_id,
            seen,
        };
        let bind = Bind {
            gateway: None,
            names: things.iter().map(|t| WireString::from(*t)).collect(),
        };
        let r = edge.send(Body::Bind(bind)).await;
        assert!(r.status.is_success(), "BIND refused: {r:?}");
        edge
    }

    async fn send(&self, body: Body) -> Response {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        self.out
            .send(encode(Header::new(id, self.session_id), body))
            .await
            .expect("edge writer gone");
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .expect("platform answered in time")
            .expect("response")
    }

    /// Sends a request to the platform and waits for its response.
    pub async fn request(&self, request: Request) -> Response {
        self.send(Body::Request(request)).await
    }

    /// The platform requests seen so far whose characteristic name is `name`.
    pub fn seen_named(&self, name: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.characteristic_name == *name)
            .count()
    }

    /// Closes the websocket (close frame 1000, no UNBIND: as the EMS when stopped).
    pub async fn close(self) {
        let _ = self.out.send(Bytes::new()).await;
    }
}
