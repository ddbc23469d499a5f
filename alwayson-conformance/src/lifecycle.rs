//! Full lifecycle over real sockets: connect, AUTH, BIND, property reads/writes and service
//! calls in both directions, pushes, events, shutdown.

use crate::common::{bounded, edge, eventually, platform, sleep, timeout};
use alwayson_async::edge::{HandlerError, Thing};
use alwayson_async::Runtime;
use alwayson_async::{
    ConnectionState, EdgeClient, Error, InfoTable, PropertyUpdate, Request, Response, StatusCode,
    Value,
};
use futures_util::StreamExt;
use std::time::Duration;

/// Conformance test `full_lifecycle_both_directions`.
pub async fn full_lifecycle_both_directions<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let store = alwayson_async::PropertyStore::new();
        let handler_store = store.clone();
        let p = platform::<P>()
            // Edge→platform requests: one service here, everything else by the store.
            .edge_request_handler(move |req: Request| {
                let store = handler_store.clone();
                async move {
                    if req.characteristic_name == *"Add" {
                        let params = req.params.unwrap_or_default();
                        let (Some(Value::Number(a)), Some(Value::Number(b))) =
                            (params.first("a"), params.first("b"))
                        else {
                            return Response::error(StatusCode::BAD_REQUEST, "a, b");
                        };
                        return Response::with_content(InfoTable::single(
                            "result",
                            Value::from(a + b),
                        ));
                    }
                    store.answer(&req)
                }
            })
            .start()
            .await
            .unwrap();
        let mut notices = p.events();

        let e = edge::<E, P>(&p)
            .thing(
                Thing::new("Pump1")
                    .property("temp", 21.5)
                    .property_getter("rpm", || async { Ok(Value::from(1200)) })
                    .property_setter("mode", |v: Value| async move {
                        match v {
                            Value::String(..) => Ok(()),
                            _ => Err(HandlerError::bad_request("mode is a string")),
                        }
                    })
                    .service("Restart", |params: Option<InfoTable>| async move {
                        let delay = params
                            .as_ref()
                            .and_then(|p| p.first("delay").cloned())
                            .unwrap_or(Value::Nothing);
                        sleep::<E>(Duration::from_millis(20)).await;
                        Ok(InfoTable::single("result", delay))
                    }),
            )
            .bind(["Pump2"])
            .connect()
            .await
            .unwrap();
        assert_eq!(e.state().get(), ConnectionState::Bound);

        // Registry: both things bound on one live connection.
        let t1 = p.thing("Pump1").unwrap();
        assert!(t1.is_connected && t1.last_connection.is_some());
        assert_eq!(t1.connection, p.thing("Pump2").unwrap().connection);

        // Platform → edge.
        assert_eq!(
            p.read_property("Pump1", "temp").await.unwrap(),
            Value::from(21.5)
        );
        assert_eq!(
            p.read_property("Pump1", "rpm").await.unwrap(),
            Value::from(1200)
        );
        p.write_property("Pump1", "temp", 30.0).await.unwrap();
        assert_eq!(e.property("Pump1", "temp"), Some(Value::from(30.0)));
        assert_eq!(
            p.read_property("Pump1", "temp").await.unwrap(),
            Value::from(30.0)
        );
        p.write_property("Pump1", "mode", "auto").await.unwrap();
        assert_eq!(e.property("Pump1", "mode"), Some(Value::from("auto")));
        match p.write_property("Pump1", "mode", 3).await {
            Err(Error::Status { status, .. }) => assert_eq!(status, StatusCode::BAD_REQUEST),
            other => panic!("setter refusal expected, got {other:?}"),
        }
        let out = p
            .invoke_service(
                "Pump1",
                "Restart",
                Some(InfoTable::single("delay", Value::from(5))),
            )
            .await
            .unwrap();
        assert_eq!(out.first("result"), Some(&Value::from(5)));
        match p.invoke_service("Pump1", "Nope", None).await {
            Err(Error::Status { status, .. }) => assert_eq!(status, StatusCode::NOT_FOUND),
            other => panic!("NOT_FOUND expected, got {other:?}"),
        }
        match p.read_property("Pump1", "missing").await {
            Err(Error::Status { status, .. }) => assert_eq!(status, StatusCode::NOT_FOUND),
            other => panic!("NOT_FOUND expected, got {other:?}"),
        }
        match p.read_property("Ghost", "x").await {
            Err(Error::NotBound(name)) => assert_eq!(name, "Ghost"),
            other => panic!("NotBound expected, got {other:?}"),
        }
        // Pump2 has no definition: stored properties only.
        p.write_property("Pump2", "level", 7).await.unwrap();
        assert_eq!(
            p.read_property("Pump2", "level").await.unwrap(),
            Value::from(7)
        );

        // Edge → platform.
        e.write_property("Pump1", "setpoint", 22.5).await.unwrap();
        assert_eq!(store.get("Pump1", "setpoint"), Some(Value::from(22.5)));
        assert_eq!(
            e.read_property("Pump1", "setpoint").await.unwrap(),
            Value::from(22.5)
        );
        let sum = e
            .invoke_service(
                "Pump1",
                "Add",
                Some({
                    let mut t = InfoTable::with_fields(vec![
                        alwayson_async::alwayson_proto::FieldDefinition::new(
                            "a",
                            alwayson_async::alwayson_proto::BaseType::Number,
                        ),
                        alwayson_async::alwayson_proto::FieldDefinition::new(
                            "b",
                            alwayson_async::alwayson_proto::BaseType::Number,
                        ),
                    ]);
                    t.push_row(vec![Value::from(2.0), Value::from(3.5)]);
                    t
                }),
            )
            .await
            .unwrap();
        assert_eq!(sum.first("result"), Some(&Value::from(5.5)));
        e.push_properties(
            "Pump1",
            &[PropertyUpdate::new(
                "pressure",
                Value::from(1.25),
                1_700_000_000_000,
            )],
        )
        .await
        .unwrap();
        assert_eq!(store.get("Pump1", "pressure"), Some(Value::from(1.25)));
        match e
            .fire_event(
                "Pump1",
                "Alarm",
                InfoTable::single("msg", Value::from("hot")),
            )
            .await
        {
            Err(Error::Status { status, .. }) => assert_eq!(status, StatusCode::NOT_FOUND),
            other => panic!("events are NOT_FOUND by default, got {other:?}"),
        }

        // Dynamic bind/unbind.
        e.bind(["Pump3"]).await.unwrap();
        assert!(p.thing("Pump3").unwrap().is_connected);
        e.unbind(["Pump3"]).await.unwrap();
        assert!(!p.thing("Pump3").unwrap().is_connected);

        // Orderly shutdown: UNBIND all, close; the platform sees the things go.
        e.shutdown().await;
        assert_eq!(e.state().get(), ConnectionState::Closed);
        eventually::<E>(Duration::from_secs(5), || {
            !p.thing("Pump1").unwrap().is_connected
        })
        .await;
        let mut saw_open = false;
        let mut saw_closed = false;
        while let Some(n) = notices.try_next() {
            match n {
                alwayson_async::PlatformNotice::Opened { .. } => saw_open = true,
                alwayson_async::PlatformNotice::Closed { .. } => saw_closed = true,
                _ => {}
            }
        }
        assert!(saw_open);
        // Closed may lag the registry update by a moment.
        if !saw_closed {
            let n = timeout::<E, _>(Duration::from_secs(2), async {
                loop {
                    if let Some(alwayson_async::PlatformNotice::Closed { .. }) =
                        notices.next().await
                    {
                        break;
                    }
                }
            })
            .await;
            assert!(n.is_some(), "no Closed notice");
        }
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `dropping_the_client_ends_its_connection`.
pub async fn dropping_the_client_ends_its_connection<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let e = edge::<E, P>(&p).bind(["Dropped"]).connect().await.unwrap();
        assert!(p.thing("Dropped").unwrap().is_connected);
        drop(e);
        eventually::<E>(Duration::from_secs(5), || {
            !p.thing("Dropped").unwrap().is_connected
        })
        .await;
    })
    .await;
}

/// Conformance test `shutdown_unbinds_then_closes`: on `shutdown` the edge sends UNBIND for
/// every thing, then a normal close frame (1000), then refuses requests. The platform is a
/// hand-made one on runtime `P` that answers every request and records what it receives.
pub async fn shutdown_unbinds_then_closes<E: Runtime, P: Runtime>() {
    use alwayson_async::alwayson_proto::{Body, Header, Message};
    use async_tungstenite::tungstenite::Message as WsMessage;
    bounded::<E, _>(async {
        let listener = P::bind("127.0.0.1:0").await.unwrap();
        let addr = P::local_addr(&listener).unwrap();
        let (seen_tx, seen_rx) = futures_channel::oneshot::channel();
        P::spawn(async move {
            let (tcp, _) = P::accept(&listener).await.unwrap();
            let mut ws = async_tungstenite::accept_async(tcp).await.unwrap();
            // (UNBIND names, in order), then the close code.
            let mut unbound: Vec<String> = Vec::new();
            let mut close_code = None;
            while let Some(Ok(msg)) = ws.next().await {
                match msg {
                    WsMessage::Binary(bytes) => {
                        let request = Message::decode(bytes).unwrap().value;
                        if let Body::Unbind(unbind) = &request.body {
                            unbound.extend(unbind.names.iter().map(|n| n.to_str_lossy().into()));
                        }
                        let reply = Message {
                            header: Header::new(request.header.request_id, 7),
                            body: Body::Response(alwayson_async::Response::success()),
                        };
                        let _ = ws.send(WsMessage::Binary(reply.encode().unwrap())).await;
                    }
                    WsMessage::Close(frame) => {
                        close_code = frame.map(|f| u16::from(f.code));
                        break;
                    }
                    _ => {}
                }
            }
            let _ = seen_tx.send((unbound, close_code));
        });

        let e = EdgeClient::<E>::builder(format!("ws://{addr}/Thingworx/WS"))
            .app_key("k")
            .bind(["Pump1", "Pump2"])
            .connect()
            .await
            .unwrap();
        assert_eq!(e.state().get(), ConnectionState::Bound);
        e.shutdown().await;
        assert_eq!(e.state().get(), ConnectionState::Closed);
        let (mut unbound, close_code) = timeout::<E, _>(Duration::from_secs(5), seen_rx)
            .await
            .expect("platform did not see the close")
            .unwrap();
        unbound.sort();
        assert_eq!(unbound, ["Pump1", "Pump2"], "UNBIND for every thing");
        assert_eq!(close_code, Some(1000), "normal close after the UNBINDs");
        match e.read_property("Pump1", "temp").await {
            Err(Error::Closed) => {}
            other => panic!("Closed expected after shutdown, got {other:?}"),
        }
    })
    .await;
}
