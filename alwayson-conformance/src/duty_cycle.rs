//! The duty cycle over real sockets: a scripted platform logs what each connection
//! carries; the edge (1 s at 50 %) UNBINDs and closes at each off start, reconnects and
//! binds again at each on start, and delivers what was pushed during the off time.

use crate::common::{bounded, eventually, timeout};
use alwayson_async::alwayson_proto::{Body, Header, Message};
use alwayson_async::edge::{DisconnectReason, DutyCycle, Thing};
use alwayson_async::{EdgeClient, EdgeNotice, PropertyUpdate, Reconnect, Runtime, Value};
use async_tungstenite::tungstenite::Message as WsMessage;
use futures_util::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the scripted platform saw: (connection number, when, what).
type Log = Arc<Mutex<Vec<(usize, Instant, String)>>>;

/// A platform that answers every message with SUCCESS and logs AUTH, BIND, UNBIND, pushed
/// `count` values and the close frame, per connection.
async fn scripted_platform<P: Runtime>(log: Log) -> std::net::SocketAddr {
    let listener = P::bind("127.0.0.1:0").await.unwrap();
    let addr = P::local_addr(&listener).unwrap();
    P::spawn(async move {
        let mut n = 0;
        while let Ok((tcp, _)) = P::accept(&listener).await {
            let log = log.clone();
            let conn = n;
            n += 1;
            P::spawn(async move {
                let Ok(mut ws) = async_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let note = |what: String| log.lock().unwrap().push((conn, Instant::now(), what));
                while let Some(Ok(msg)) = ws.next().await {
                    match msg {
                        WsMessage::Binary(bytes) => {
                            let request = Message::decode(bytes).unwrap().value;
                            match &request.body {
                                Body::Auth(_) => note("AUTH".into()),
                                Body::Bind(b) => {
                                    for name in &b.names {
                                        note(format!("BIND {}", name.to_str_lossy()));
                                    }
                                }
                                Body::Unbind(b) => {
                                    for name in &b.names {
                                        note(format!("UNBIND {}", name.to_str_lossy()));
                                    }
                                }
                                Body::Request(r) => {
                                    for u in r.property_updates().unwrap_or_default() {
                                        if let Value::Integer(v) = u.value {
                                            note(format!("push {v}"));
                                        }
                                    }
                                }
                                Body::Response(_) => continue,
                            }
                            let reply = Message {
                                header: Header::new(request.header.request_id, 7),
                                body: Body::Response(alwayson_async::Response::success()),
                            };
                            let _ = ws.send(WsMessage::Binary(reply.encode().unwrap())).await;
                        }
                        WsMessage::Close(frame) => {
                            let (code, reason) = frame
                                .map(|f| (u16::from(f.code), f.reason.to_string()))
                                .unwrap_or_default();
                            note(format!("close {code} {reason}"));
                            break;
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    addr
}

fn push(v: i32) -> [PropertyUpdate; 1] {
    [PropertyUpdate::new(
        "count",
        Value::from(v),
        1_700_000_000_000,
    )]
}

/// Waits for the next notice that `pick` accepts (at most 5 s).
async fn wait_notice<E: Runtime>(
    events: &mut alwayson_async::Notices<EdgeNotice>,
    what: &str,
    pick: impl Fn(&EdgeNotice) -> bool,
) {
    timeout::<E, _>(Duration::from_secs(5), async {
        while let Some(n) = events.next().await {
            if pick(&n) {
                return;
            }
        }
        panic!("notices ended before {what}");
    })
    .await
    .unwrap_or_else(|| panic!("no {what} within 5 s"));
}

/// Conformance test `duty_cycle_unbinds_closes_reconnects_and_delivers_off_time_pushes`.
pub async fn duty_cycle_unbinds_closes_reconnects_and_delivers_off_time_pushes<
    E: Runtime,
    P: Runtime,
>() {
    bounded::<E, _>(async {
        let log: Log = Arc::default();
        let addr = scripted_platform::<P>(log.clone()).await;
        let t0 = Instant::now();
        let e = EdgeClient::<E>::builder(format!("ws://{addr}/Thingworx/WS"))
            .app_key("k")
            .thing(Thing::new("Pump1").property("count", 0))
            .reconnect(Reconnect::new(
                Duration::from_millis(20),
                Duration::from_millis(100),
            ))
            .duty_cycle(DutyCycle::new(Duration::from_secs(1), 50).unwrap())
            .connect()
            .await
            .unwrap();
        let mut events = e.events();
        let off = |n: &EdgeNotice| {
            matches!(
                n,
                EdgeNotice::Disconnected {
                    reason: DisconnectReason::DutyCycleOff
                }
            )
        };
        let bound = |n: &EdgeNotice| matches!(n, EdgeNotice::Bound { name } if name == "Pump1");

        e.push_properties("Pump1", &push(1)).await.unwrap();
        wait_notice::<E>(&mut events, "the first off time", off).await;
        // Off time: these are kept (in the default memory store) until the next BIND.
        e.push_properties("Pump1", &push(2)).await.unwrap();
        e.push_properties("Pump1", &push(3)).await.unwrap();
        wait_notice::<E>(&mut events, "the second BIND", bound).await;
        eventually::<E>(Duration::from_secs(5), || {
            log.lock().unwrap().iter().any(|(_, _, w)| w == "push 3")
        })
        .await;
        wait_notice::<E>(&mut events, "the second off time", off).await;
        wait_notice::<E>(&mut events, "the third BIND", bound).await;
        e.shutdown().await;

        let log = log.lock().unwrap().clone();
        let of = |conn: usize| -> Vec<&str> {
            log.iter()
                .filter(|(c, _, _)| *c == conn)
                .map(|(_, _, w)| w.as_str())
                .collect()
        };
        let close = "close 1000 Duty cycle: off time";
        assert_eq!(
            of(0),
            ["AUTH", "BIND Pump1", "push 1", "UNBIND Pump1", close],
            "{log:?}"
        );
        assert_eq!(
            of(1),
            [
                "AUTH",
                "BIND Pump1",
                "push 2",
                "push 3",
                "UNBIND Pump1",
                close
            ],
            "{log:?}"
        );
        assert_eq!(&of(2)[..2], ["AUTH", "BIND Pump1"], "{log:?}");
        // Never early: the off time starts half a period in, each on time a period later.
        let first = |conn: usize, what: &str| {
            log.iter()
                .find(|(c, _, w)| *c == conn && w.starts_with(what))
                .map(|(_, t, _)| t.duration_since(t0))
                .unwrap()
        };
        assert!(first(0, "close") >= Duration::from_millis(500), "{log:?}");
        assert!(first(1, "AUTH") >= Duration::from_secs(1), "{log:?}");
        assert!(first(2, "AUTH") >= Duration::from_secs(2), "{log:?}");
    })
    .await;
}
