//! Deterministic two-party simulations: an [`EdgeSession`] wired to [`PlatformSession`]s on
//! a simulated clock (see `sim/mod.rs`). Each test is one lifecycle scenario of
//! session-lifecycle.md.
#![allow(clippy::unwrap_used)]

mod sim;

use alwayson_proto::edge::{AuthFailure, DisconnectReason, EdgeEvent, EdgeSession, EdgeState};
use alwayson_proto::platform::{CloseReason, PlatformConfig, PlatformEvent, PlatformSession};
use alwayson_proto::{
    Auth, Bind, BindPolicy, Body, Drained, Header, Input, Message, PropertyUpdate, Request,
    RequestError, RequestIds, Response, StatusCode, ThingRegistry, Transmit, Value, WireString,
    AUTH_SESSION_ID, CLOSE_POLICY_VIOLATION,
};
use bytes::Bytes;
use sim::*;
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};

// ---------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------

fn assert_clean(sim: &Sim) {
    let bad = sim.check_invariants();
    assert!(bad.is_empty(), "invariants broken: {bad:#?}");
    for (n, node) in sim.nodes.iter().enumerate() {
        assert!(
            node.trace.stray_transmits.is_empty(),
            "node {n}: stray transmits {:#?}",
            node.trace.stray_transmits
        );
    }
}

/// The single response of edge request `id`, which must have ended successfully.
fn edge_ok(sim: &Sim, n: usize, id: u32) -> Response {
    let rs = sim.trace(n).edge_responses(id);
    assert_eq!(rs.len(), 1, "edge request {id}: responses {rs:?}");
    match rs[0] {
        Ok(r) => r.clone(),
        Err(e) => panic!("edge request {id} failed: {e}"),
    }
}

fn platform_ok(sim: &Sim, n: usize, conn: u64, id: u32) -> Response {
    let rs = sim.platform_responses(n, conn, id);
    assert_eq!(rs.len(), 1, "platform request {id}: responses {rs:?}");
    rs[0].clone().unwrap()
}

fn result_value(r: &Response, field: &str) -> Value {
    assert_eq!(r.status, StatusCode::SUCCESS, "{r:?}");
    r.content
        .as_ref()
        .and_then(|c| c.first(field))
        .unwrap_or_else(|| panic!("no field {field} in {r:?}"))
        .clone()
}

fn connected(names: &[&str]) -> (Sim, usize) {
    let mut sim = Sim::default_sim();
    let n = sim.add_edge(edge_config());
    sim.edge_bind(n, names);
    sim.connect(n);
    sim.run_for(secs(1));
    assert_eq!(sim.edge(n).state(), EdgeState::Authenticated);
    (sim, n)
}

fn encode(header: Header, body: Body) -> Bytes {
    Message { header, body }.encode().unwrap()
}

fn auth_msg(request_id: u32, key: &str) -> Bytes {
    encode(
        Header::new(request_id, AUTH_SESSION_ID),
        Body::Auth(Auth::app_key(key)),
    )
}

fn bind_msg(request_id: u32, session: u32, names: &[&str]) -> Bytes {
    encode(
        Header::new(request_id, session),
        Body::Bind(Bind {
            gateway: None,
            names: names.iter().map(|s| WireString::from(*s)).collect(),
        }),
    )
}

fn drain(p: &mut PlatformSession) -> (Vec<Transmit>, Vec<PlatformEvent>) {
    let mut out = Drained::new();
    out.drain(|| p.poll_output());
    (out.transmits.into(), out.events.into())
}

fn messages(ts: &[Transmit]) -> Vec<Message> {
    ts.iter()
        .filter_map(|t| match t {
            Transmit::Message(b) => Some(decode_message(b).expect("a complete message")),
            _ => None,
        })
        .collect()
}

fn wall0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(WALL_START_SECS)
}

// ---------------------------------------------------------------------------------------
// 1. full lifecycle
// ---------------------------------------------------------------------------------------

#[test]
fn full_lifecycle() {
    let mut sim = Sim::default_sim();
    let n = sim.add_edge(edge_config());
    sim.edge_bind(n, &["Pump1", "Pump2"]);
    sim.connect(n);
    sim.run_for(secs(1));

    // AUTH, then BIND of both things.
    let edge = sim.edge(n);
    assert_eq!(edge.state(), EdgeState::Authenticated);
    let sid = edge.session_id().expect("session id");
    assert_ne!(sid, 0);
    let conn = sim.node(n).conn().unwrap();
    assert_eq!(conn.platform.session_id(), Some(sid));
    assert!(conn.platform.is_authenticated());
    let cid = conn.id;
    let trace = sim.trace(n);
    assert!(matches!(
        trace.edge.first().map(|(_, e)| e),
        Some(EdgeEvent::Authenticated { session_id }) if *session_id == sid
    ));
    assert_eq!(
        sim.node(n)
            .edge_bound_names()
            .into_iter()
            .collect::<Vec<_>>(),
        ["Pump1", "Pump2"]
    );
    // The first message on the wire is AUTH, the second BIND, both from the edge.
    let first: Vec<_> = trace.wire.iter().take(3).collect();
    assert_eq!(first[0].2, Dir::E2P);
    assert_eq!(code(&first[0].3), Some(0x14));
    assert_eq!(first[1].2, Dir::P2E);
    assert_eq!(code(&first[1].3), Some(0x40));
    let bind = trace
        .wire
        .iter()
        .find(|(_, _, d, b)| *d == Dir::E2P && code(b) == Some(0x0A))
        .expect("a BIND");
    let bind_msg = decode_message(&bind.3).unwrap();
    assert_eq!(
        bind_msg.header.session_id, sid,
        "BIND carries the session id"
    );

    // isConnected with the wall-clock time at which the BIND was processed.
    let bound_at = trace
        .platform
        .iter()
        .find(|(_, _, e)| matches!(e, PlatformEvent::Bound { name } if *name == "Pump1"))
        .map(|(t, _, _)| *t)
        .expect("Bound event");
    for name in ["Pump1", "Pump2"] {
        let st = sim.registry.get(name).expect("registered");
        assert!(st.is_connected, "{st:?}");
        assert_eq!(st.connection, Some(cid));
        assert_eq!(st.last_connection, Some(sim.wall_at(bound_at)));
        assert!(st.last_connection.unwrap() > wall0());
    }

    // Edge → platform: read, write, service.
    sim.platform_app.set("Pump1", "temp", Value::Number(21.5));
    let id = sim
        .edge_request(n, Request::read_property("Pump1", "temp"))
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(
        result_value(&edge_ok(&sim, n, id), "temp"),
        Value::Number(21.5)
    );

    let id = sim
        .edge_request(
            n,
            Request::write_property("Pump1", "setpoint", Value::Number(30.0)),
        )
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(edge_ok(&sim, n, id).status, StatusCode::SUCCESS);
    assert_eq!(
        sim.platform_app.get("Pump1", "setpoint"),
        Some(&Value::Number(30.0))
    );

    let id = sim
        .edge_request(
            n,
            Request::invoke_service("Pump1", "Add", Some(add_params(2.0, 3.0))),
        )
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(
        result_value(&edge_ok(&sim, n, id), "result"),
        Value::Number(5.0)
    );

    // An unknown property is a NOT_FOUND response, not an error.
    let id = sim
        .edge_request(n, Request::read_property("Pump1", "nope"))
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(edge_ok(&sim, n, id).status, StatusCode::NOT_FOUND);

    // Platform → edge: read, write, service.
    sim.node_mut(n)
        .app
        .set("Pump1", "rpm", Value::Integer(1200));
    let (c, id) = sim
        .platform_request(n, Request::read_property("Pump1", "rpm"))
        .unwrap();
    assert_eq!(c, cid);
    sim.run_for(secs(1));
    assert_eq!(
        result_value(&platform_ok(&sim, n, cid, id), "rpm"),
        Value::Integer(1200)
    );

    let (_, id) = sim
        .platform_request(
            n,
            Request::write_property("Pump2", "mode", Value::string("auto")),
        )
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(platform_ok(&sim, n, cid, id).status, StatusCode::SUCCESS);
    assert_eq!(
        sim.node(n).app.get("Pump2", "mode"),
        Some(&Value::string("auto"))
    );

    let (_, id) = sim
        .platform_request(
            n,
            Request::invoke_service("Pump2", "Add", Some(add_params(3.0, 4.0))),
        )
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(
        result_value(&platform_ok(&sim, n, cid, id), "result"),
        Value::Number(7.0)
    );

    // Property push.
    let ts = 1_700_000_000_000;
    let id = sim
        .edge_request(
            n,
            Request::push_properties(
                "Pump1",
                &[
                    PropertyUpdate::new("temp", Value::Number(22.0), ts),
                    PropertyUpdate::new("pressure", Value::Number(1.5), ts),
                ],
            ),
        )
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(edge_ok(&sim, n, id).status, StatusCode::SUCCESS);
    assert_eq!(
        sim.platform_app.get("Pump1", "temp"),
        Some(&Value::Number(22.0))
    );
    assert_eq!(
        sim.platform_app.get("Pump1", "pressure"),
        Some(&Value::Number(1.5))
    );

    // UNBIND one thing.
    sim.edge_unbind(n, &["Pump2"]);
    sim.run_for(secs(1));
    assert_eq!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Unbound { name } if *name == "Pump2"))
            .len(),
        1
    );
    assert!(!sim.registry.get("Pump2").unwrap().is_connected);
    assert!(sim.registry.get("Pump1").unwrap().is_connected);
    // The platform cannot address an unbound thing on this connection.
    assert!(matches!(
        sim.platform_request(n, Request::read_property("Pump2", "mode")),
        Err(RequestError::NotBound(_))
    ));
    assert_clean(&sim);

    // Orderly close: UNBIND all, close; nothing connected, no reconnect.
    sim.edge_close(n);
    sim.run_for(secs(5));
    assert_eq!(sim.edge(n).state(), EdgeState::Closed);
    assert!(matches!(
        sim.trace(n).edge.last().map(|(_, e)| e),
        Some(EdgeEvent::Closed)
    ));
    let unbinds = sim.trace(n).sent_with_code(Dir::E2P, 0x0B);
    let last_unbind = decode_message(unbinds.last().unwrap()).unwrap();
    match last_unbind.body {
        Body::Unbind(b) => assert_eq!(b.names, vec![WireString::from("Pump1")]),
        other => panic!("{other:?}"),
    }
    assert!(sim
        .trace(n)
        .closes
        .iter()
        .any(|(_, _, d, code, _)| *d == Dir::E2P && *code == 1000));
    for name in ["Pump1", "Pump2"] {
        let st = sim.registry.get(name).unwrap();
        assert!(!st.is_connected, "{st:?}");
        assert_eq!(st.connection, None);
    }
    sim.run_for(secs(60));
    assert_eq!(sim.node(n).conns.len(), 1, "no reconnect after close");
    assert!(sim.node(n).conns[0].closed_event.is_some());
    assert_clean(&sim);
    assert!(sim.check_request_endings().is_empty());
}

// ---------------------------------------------------------------------------------------
// 2. AUTH first
// ---------------------------------------------------------------------------------------

#[test]
fn auth_must_come_first() {
    let firsts: Vec<(u8, Bytes)> = vec![
        (0x0A, bind_msg(1, 0, &["Pump1"])),
        (
            0x01,
            encode(
                Header::new(1, 0),
                Body::Request(Request::read_property("Pump1", "temp")),
            ),
        ),
        (
            0x40,
            encode(Header::new(1, 0), Body::Response(Response::success())),
        ),
    ];
    for (code, first) in firsts {
        let t0 = Instant::now();
        let registry = ThingRegistry::new(BindPolicy::FirstInWins);
        let mut p =
            PlatformSession::new(t0, wall0(), 1, PlatformConfig::default(), registry.clone());
        let _ = p.handle_input(t0, Input::Message(first));
        let (ts, _) = drain(&mut p);
        assert!(
            messages(&ts).is_empty(),
            "code {code:#x}: nothing is answered, got {ts:?}"
        );
        assert!(
            ts.iter().any(
                |t| matches!(t, Transmit::Close { code, .. } if *code == CLOSE_POLICY_VIOLATION)
            ),
            "code {code:#x}: closed with 1008, got {ts:?}"
        );
        // A later AUTH is not answered either: the connection is finished.
        let _ = p.handle_input(t0, Input::Message(auth_msg(2, KEY)));
        let (ts, events) = drain(&mut p);
        assert!(messages(&ts).is_empty(), "{ts:?}");
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, PlatformEvent::AuthRequested { .. })),
            "{events:?}"
        );
        p.handle_input(t0, Input::Closed).unwrap();
        let (ts, events) = drain(&mut p);
        assert!(messages(&ts).is_empty());
        let closed: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, PlatformEvent::Closed { .. }))
            .collect();
        assert!(closed.len() <= 1, "{events:?}");
        assert!(!p.is_authenticated());
        assert!(registry.get("Pump1").map_or(true, |t| !t.is_connected));
    }

    // The reason names the offending code.
    let t0 = Instant::now();
    let mut p = PlatformSession::new(
        t0,
        wall0(),
        1,
        PlatformConfig::default(),
        ThingRegistry::new(BindPolicy::FirstInWins),
    );
    let _ = p.handle_input(t0, Input::Message(bind_msg(1, 0, &["Pump1"])));
    p.handle_input(t0, Input::Closed).unwrap();
    let (_, events) = drain(&mut p);
    assert!(
        events.contains(&PlatformEvent::Closed {
            reason: CloseReason::AuthNotFirst(0x0A)
        }),
        "{events:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 3. auth deadline
// ---------------------------------------------------------------------------------------

#[test]
fn auth_deadline_fires_at_15s_not_before() {
    let mut sim = Sim::default_sim();
    let mut cfg = edge_config();
    cfg.request_timeout = secs(60); // the edge must not give up first
    let n = sim.add_edge(cfg);
    sim.node_mut(n).auto_reconnect = false;
    sim.link(n).filter = Some(Box::new(|dir, b| {
        if dir == Dir::E2P && code(b) == Some(0x14) {
            Verdict::Drop
        } else {
            Verdict::Deliver
        }
    }));
    sim.connect(n);
    assert_eq!(sim.trace(n).sent_with_code(Dir::E2P, 0x14).len(), 1);

    sim.run_until(sim.at(ms(14_999)));
    let c = sim.node(n).conn().expect("still connected");
    assert!(!c.platform_closing && !c.platform_closed);
    assert!(c.closed_event.is_none());
    assert!(sim.trace(n).closes.is_empty());

    sim.run_until(sim.at(secs(15)));
    let closes = &sim.trace(n).closes;
    assert_eq!(closes.len(), 1, "{closes:?}");
    let (t, _, dir, code, _) = &closes[0];
    assert_eq!(*t, sim.at(secs(15)));
    assert_eq!(*dir, Dir::P2E);
    assert_eq!(*code, CLOSE_POLICY_VIOLATION);

    sim.run_for(secs(1));
    let c = &sim.node(n).conns[0];
    assert!(c.is_dead());
    assert_eq!(
        c.closed_event.as_ref().map(|(_, r)| r.clone()),
        Some(CloseReason::AuthTimeout)
    );
    assert!(matches!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Disconnected { .. }))
            .as_slice(),
        [EdgeEvent::Disconnected {
            reason: DisconnectReason::ConnectionLost
        }]
    ));
    assert!(sim.trace(n).wire.iter().all(|(_, _, d, _)| *d == Dir::E2P));
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 4. wrong key
// ---------------------------------------------------------------------------------------

#[test]
fn wrong_key_is_rejected_and_closed() {
    let mut sim = Sim::default_sim();
    let n = sim.add_edge(edge_config_with_key("not-the-key"));
    sim.node_mut(n).auto_reconnect = false;
    sim.edge_bind(n, &["Pump1"]);
    sim.connect(n);
    sim.run_for(secs(2));

    let failed = sim
        .trace(n)
        .edge_events(|e| matches!(e, EdgeEvent::AuthFailed(_)));
    assert_eq!(
        failed,
        vec![&EdgeEvent::AuthFailed(AuthFailure::Rejected(
            StatusCode::UNAUTHORIZED
        ))]
    );
    assert_eq!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Disconnected { .. })),
        vec![&EdgeEvent::Disconnected {
            reason: DisconnectReason::AuthFailed(AuthFailure::Rejected(StatusCode::UNAUTHORIZED))
        }]
    );
    assert!(sim
        .trace(n)
        .edge_events(|e| matches!(e, EdgeEvent::Authenticated { .. } | EdgeEvent::Bound { .. }))
        .is_empty());
    // The platform answered 0x81 and closed.
    assert_eq!(sim.trace(n).sent_with_code(Dir::P2E, 0x81).len(), 1);
    assert!(sim
        .trace(n)
        .closes
        .iter()
        .any(|(_, _, d, code, _)| *d == Dir::P2E && *code == CLOSE_POLICY_VIOLATION));
    let c = &sim.node(n).conns[0];
    assert!(c.is_dead());
    assert_eq!(
        c.closed_event.as_ref().map(|(_, r)| r.clone()),
        Some(CloseReason::AuthRejected)
    );
    assert!(!c.platform.is_authenticated());
    // Only AUTH ever left the edge.
    assert!(sim
        .trace(n)
        .wire
        .iter()
        .filter(|(_, _, d, _)| *d == Dir::E2P)
        .all(|(_, _, _, b)| code(b) == Some(0x14)));
    assert!(sim.registry.get("Pump1").map_or(true, |t| !t.is_connected));
    assert_eq!(sim.edge(n).state(), EdgeState::Closed);
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 5. re-AUTH on one socket
// ---------------------------------------------------------------------------------------

#[test]
fn re_auth_on_the_same_socket_is_revalidated() {
    let t0 = Instant::now();
    let registry = ThingRegistry::new(BindPolicy::FirstInWins);
    let mut p = PlatformSession::new(t0, wall0(), 7, PlatformConfig::default(), registry.clone());

    let auth = |p: &mut PlatformSession, rid: u32, key: &str| -> (Vec<Transmit>, u32) {
        p.handle_input(t0, Input::Message(auth_msg(rid, key)))
            .unwrap();
        let (ts, events) = drain(p);
        assert!(ts.is_empty(), "nothing before the application decides");
        let Some(PlatformEvent::AuthRequested { request_id, auth }) = events.first() else {
            panic!("expected AuthRequested, got {events:?}");
        };
        assert_eq!(*request_id, rid);
        let ok = auth.app_key_value().is_some_and(|k| *k == KEY);
        let sid = if ok {
            p.accept_auth(t0, rid).unwrap()
        } else {
            p.reject_auth(t0, rid).unwrap();
            0
        };
        let (ts, _) = drain(p);
        (ts, sid)
    };

    let (ts, sid1) = auth(&mut p, 1, KEY);
    assert_ne!(sid1, 0);
    let m = messages(&ts);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].header.request_id, 1);
    assert_eq!(m[0].header.session_id, sid1);
    assert!(matches!(&m[0].body, Body::Response(r) if r.status == StatusCode::SUCCESS));
    assert!(p.is_authenticated());

    // Bind something, then AUTH again (the SDK retries AUTH on the same socket).
    p.handle_input(t0, Input::Message(bind_msg(2, sid1, &["Pump1"])))
        .unwrap();
    let (ts, _) = drain(&mut p);
    assert!(matches!(&messages(&ts)[0].body, Body::Response(r) if r.status == StatusCode::SUCCESS));

    let (ts, sid2) = auth(&mut p, 3, KEY);
    assert_ne!(sid2, 0);
    let m = messages(&ts);
    assert_eq!(m.len(), 1, "{ts:?}");
    assert_eq!(m[0].header.request_id, 3);
    assert_eq!(m[0].header.session_id, sid2);
    assert!(matches!(&m[0].body, Body::Response(r) if r.status == StatusCode::SUCCESS));
    assert!(
        !ts.iter().any(|t| matches!(t, Transmit::Close { .. })),
        "re-AUTH is not a protocol error"
    );
    assert!(p.is_authenticated());
    assert_eq!(p.session_id(), Some(sid2));

    // The connection still works after the re-AUTH.
    p.handle_input(t0, Input::Message(bind_msg(4, sid2, &["Pump2"])))
        .unwrap();
    let (ts, _) = drain(&mut p);
    assert!(matches!(&messages(&ts)[0].body, Body::Response(r) if r.status == StatusCode::SUCCESS));
    assert!(registry.get("Pump2").unwrap().is_connected);

    // A re-AUTH with a bad key is re-validated too: UNAUTHORIZED.
    let (ts, _) = auth(&mut p, 5, "wrong");
    let m = messages(&ts);
    assert_eq!(m.len(), 1, "{ts:?}");
    assert_eq!(m[0].header.request_id, 5);
    assert!(matches!(&m[0].body, Body::Response(r) if r.status == StatusCode::UNAUTHORIZED));
}

// ---------------------------------------------------------------------------------------
// 6. many things
// ---------------------------------------------------------------------------------------

#[test]
fn bind_of_many_things_is_split_and_all_bound() {
    let mut sim = Sim::default_sim();
    let mut cfg = edge_config();
    cfg.max_message_size = 4096;
    let n = sim.add_edge(cfg);
    let names: Vec<String> = (0..2000).map(|i| format!("Thing-{i:04}")).collect();
    sim.edge_bind(n, &names);
    sim.connect(n);
    sim.run_for(secs(5));

    let cid = sim.conn_id(n).unwrap();
    let binds = sim.trace(n).sent_with_code(Dir::E2P, 0x0A);
    assert!(binds.len() >= 6, "2000 names in {} BINDs", binds.len());
    assert!(binds.iter().all(|b| b.len() <= 4096));
    let mut sent = 0;
    for b in &binds {
        match decode_message(b).unwrap().body {
            Body::Bind(bind) => sent += bind.names.len(),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(sent, 2000);
    assert_eq!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Bound { .. }))
            .len(),
        2000
    );
    let snap = sim.registry.snapshot();
    assert_eq!(
        snap.iter()
            .filter(|t| t.is_connected && t.connection == Some(cid))
            .count(),
        2000
    );

    // 1000 more while authenticated: split as well.
    let more: Vec<String> = (2000..3000).map(|i| format!("Thing-{i:04}")).collect();
    sim.edge_bind(n, &more);
    sim.run_for(secs(5));
    assert_eq!(
        sim.registry
            .snapshot()
            .iter()
            .filter(|t| t.is_connected && t.connection == Some(cid))
            .count(),
        3000
    );
    assert!(sim
        .trace(n)
        .sent_with_code(Dir::E2P, 0x0A)
        .iter()
        .all(|b| b.len() <= 4096));
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 7. bind conflicts
// ---------------------------------------------------------------------------------------

fn two_edges(policy: BindPolicy) -> (Sim, usize, usize) {
    let mut sim = Sim::new(SimConfig {
        policy,
        ..SimConfig::default()
    });
    let a = sim.add_edge(edge_config());
    let b = sim.add_edge(edge_config());
    sim.edge_bind(a, &["Pump", "A-only"]);
    sim.connect(a);
    sim.run_for(secs(1));
    sim.edge_bind(b, &["Pump", "B-only"]);
    sim.connect(b);
    sim.run_for(secs(1));
    (sim, a, b)
}

#[test]
fn bind_conflict_first_in_wins() {
    let (sim, a, b) = two_edges(BindPolicy::FirstInWins);
    let (ca, cb) = (sim.conn_id(a).unwrap(), sim.conn_id(b).unwrap());
    assert!(matches!(
        sim.trace(b).edge_events(|e| matches!(e, EdgeEvent::BindRejected { .. })).as_slice(),
        [EdgeEvent::BindRejected { name, status, .. }] if *name == "Pump" && !status.is_success()
    ));
    assert_eq!(
        sim.node(b)
            .edge_bound_names()
            .into_iter()
            .collect::<Vec<_>>(),
        ["B-only"]
    );
    // The platform refused Pump twice: in B's BIND of both names (answered FORBIDDEN while
    // B-only was bound), then in the one-name BIND the edge sent to find out which name
    // was refused.
    let refused = sim
        .trace(b)
        .platform_events(|_, e| matches!(e, PlatformEvent::BindRefused { .. }));
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|(c, e)| *c == cb
        && **e
            == PlatformEvent::BindRefused {
                name: "Pump".into(),
                holder: ca
            }));
    let binds: Vec<Vec<WireString>> = sim
        .trace(b)
        .sent_with_code(Dir::E2P, 0x0A)
        .into_iter()
        .map(|m| match decode_message(m).unwrap().body {
            Body::Bind(b) => b.names,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        binds,
        vec![
            vec![WireString::from("Pump"), WireString::from("B-only")],
            vec![WireString::from("Pump")],
            vec![WireString::from("B-only")],
        ]
    );
    assert_eq!(sim.registry.connection_of("Pump"), Some(ca));
    assert_eq!(sim.registry.connection_of("B-only"), Some(cb));
    assert!(sim
        .trace(a)
        .platform_events(|_, e| matches!(e, PlatformEvent::Unbound { .. }))
        .is_empty());
    assert_clean(&sim);
}

#[test]
fn bind_conflict_last_in_wins() {
    let (mut sim, a, b) = two_edges(BindPolicy::LastInWins);
    let (ca, cb) = (sim.conn_id(a).unwrap(), sim.conn_id(b).unwrap());
    assert!(sim
        .trace(b)
        .edge_events(|e| matches!(e, EdgeEvent::BindRejected { .. }))
        .is_empty());
    assert!(sim.node(b).edge_bound_names().contains("Pump"));
    assert_eq!(
        sim.trace(b)
            .platform_events(|_, e| matches!(e, PlatformEvent::ThingMoved { .. })),
        vec![(
            cb,
            &PlatformEvent::ThingMoved {
                name: "Pump".into(),
                from: ca
            }
        )]
    );
    // The first connection was told (by the endpoint) and reports Unbound.
    assert_eq!(
        sim.trace(a)
            .platform_events(|_, e| matches!(e, PlatformEvent::Unbound { .. })),
        vec![(
            ca,
            &PlatformEvent::Unbound {
                name: "Pump".into()
            }
        )]
    );
    assert!(!sim.node(a).conn().unwrap().bound.contains("Pump"));
    assert_eq!(sim.registry.connection_of("Pump"), Some(cb));
    assert_eq!(sim.registry.connection_of("A-only"), Some(ca));
    // A request for Pump on A's connection is refused locally.
    assert!(matches!(
        sim.platform_request(a, Request::read_property("Pump", "x")),
        Err(RequestError::NotBound(_))
    ));
    assert_clean(&sim);

    // B goes away: Pump is not connected anywhere (it does not fall back to A).
    sim.node_mut(b).auto_reconnect = false;
    sim.cut(b);
    let st = sim.registry.get("Pump").unwrap();
    assert!(!st.is_connected && st.connection.is_none(), "{st:?}");
    assert_eq!(sim.registry.connection_of("A-only"), Some(ca));
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 8. UNBIND and disconnect clear isConnected
// ---------------------------------------------------------------------------------------

#[test]
fn unbind_and_disconnect_clear_is_connected() {
    let (mut sim, n) = connected(&["P1", "P2", "P3"]);
    sim.node_mut(n).auto_reconnect = false;
    let bound_wall = sim.registry.get("P1").unwrap().last_connection.unwrap();

    sim.run_for(secs(10));
    sim.edge_unbind(n, &["P1"]);
    sim.run_for(secs(1));
    let unbound_at = sim
        .trace(n)
        .platform
        .iter()
        .find(|(_, _, e)| matches!(e, PlatformEvent::Unbound { name } if *name == "P1"))
        .map(|(t, _, _)| *t)
        .expect("Unbound on the platform");
    let st = sim.registry.get("P1").unwrap();
    assert!(!st.is_connected);
    assert_eq!(st.connection, None);
    assert_eq!(st.last_connection, Some(sim.wall_at(unbound_at)));
    assert!(st.last_connection.unwrap() > bound_wall);
    assert!(sim.registry.get("P2").unwrap().is_connected);

    sim.run_for(secs(10));
    let cut_wall = sim.wall();
    sim.cut(n);
    for name in ["P2", "P3"] {
        let st = sim.registry.get(name).unwrap();
        assert!(!st.is_connected, "{st:?}");
        assert_eq!(st.connection, None);
        assert_eq!(st.last_connection, Some(cut_wall));
    }
    // P1 was already unbound: its time is not touched by the disconnect.
    assert_eq!(
        sim.registry.get("P1").unwrap().last_connection,
        Some(sim.wall_at(unbound_at))
    );
    assert!(matches!(
        sim.trace(n).edge.last().map(|(_, e)| e),
        Some(EdgeEvent::Disconnected {
            reason: DisconnectReason::ConnectionLost
        })
    ));
    assert_eq!(sim.edge(n).state(), EdgeState::Disconnected);
    assert!(sim.trace(n).platform.iter().any(|(_, _, e)| matches!(
        e,
        PlatformEvent::Closed {
            reason: CloseReason::ConnectionLost
        }
    )));
    assert_clean(&sim);
}

/// A link filter that applies `verdict` to the platform's answer to the first message with
/// code `code` sent in `dir` (BIND 0x0A / UNBIND 0x0B), or to that message itself when
/// `to_message` is set.
fn first_of(code_: u8, to_message: bool, verdict: Verdict) -> Filter {
    let id: Rc<Cell<Option<u32>>> = Rc::new(Cell::new(None));
    let done = Rc::new(Cell::new(false));
    Box::new(move |dir, b| {
        if done.get() {
            return Verdict::Deliver;
        }
        match dir {
            Dir::E2P if code(b) == Some(code_) && id.get().is_none() => {
                id.set(request_id(b));
                if to_message {
                    done.set(true);
                    return verdict;
                }
                Verdict::Deliver
            }
            Dir::P2E if id.get().is_some() && request_id(b) == id.get() => {
                done.set(true);
                verdict
            }
            _ => Verdict::Deliver,
        }
    })
}

/// The edge application can read `thing` through the platform (it is bound on the edge).
fn platform_reaches(sim: &mut Sim, n: usize, thing: &str) {
    sim.node_mut(n).app.set(thing, "p", Value::Integer(7));
    let (cid, id) = sim
        .platform_request(n, Request::read_property(thing, "p"))
        .unwrap();
    sim.run_for(secs(1));
    let r = platform_ok(sim, n, cid, id);
    assert!(r.status.is_success(), "{r:?}");
}

#[test]
fn late_bind_success_after_an_edge_timeout_is_adopted() {
    let (mut sim, n) = connected(&["T1"]);
    // The platform binds T2 at once, but its answer arrives after the edge's 10 s timeout.
    sim.link(n).filter = Some(first_of(0x0A, false, Verdict::Delay(secs(12))));
    sim.edge_bind(n, &["T2"]);
    sim.run_for(secs(11));
    assert!(sim.registry.get("T2").unwrap().is_connected);
    assert!(!sim.edge(n).is_bound("T2"));
    assert_eq!(
        sim.trace(n)
            .edge_events(|e| matches!(
                e,
                EdgeEvent::BindRejected { status, .. } if *status == StatusCode::GATEWAY_TIMEOUT
            ))
            .len(),
        1
    );
    sim.run_for(secs(2));
    assert!(sim.edge(n).is_bound("T2"), "late SUCCESS adopted");
    assert_eq!(sim.edge(n).stats().late_responses, 1);
    assert!(sim.check_bound_agreement().is_empty());
    // No second BIND went out.
    assert_eq!(sim.trace(n).sent_with_code(Dir::E2P, 0x0A).len(), 2);
    platform_reaches(&mut sim, n, "T2");
    assert_clean(&sim);
}

#[test]
fn lost_bind_response_is_healed_by_the_edge_retry() {
    let (mut sim, n) = connected(&["T1"]);
    sim.link(n).filter = Some(first_of(0x0A, false, Verdict::Drop));
    sim.edge_bind(n, &["T2"]);
    sim.run_for(secs(15));
    assert!(sim.registry.get("T2").unwrap().is_connected);
    assert!(!sim.edge(n).is_bound("T2"));
    assert!(
        !sim.check_bound_agreement().is_empty(),
        "disagree until the retry"
    );
    sim.run_for(secs(10)); // retried at 20 s
    assert!(sim.edge(n).is_bound("T2"));
    assert!(sim.check_bound_agreement().is_empty());
    assert_eq!(sim.trace(n).sent_with_code(Dir::E2P, 0x0A).len(), 3);
    platform_reaches(&mut sim, n, "T2");
    assert_clean(&sim);
}

#[test]
fn lost_unbind_is_sent_again_by_the_edge() {
    let (mut sim, n) = connected(&["T1", "T2"]);
    sim.link(n).filter = Some(first_of(0x0B, true, Verdict::Drop));
    sim.edge_unbind(n, &["T2"]);
    sim.run_for(secs(11));
    // Unbound on the edge (reported once, at the timeout); the platform never saw it.
    assert_eq!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Unbound { .. }))
            .len(),
        1
    );
    assert!(sim.registry.get("T2").unwrap().is_connected);
    sim.run_for(secs(10)); // re-sent silently at 20 s
    assert!(!sim.registry.get("T2").unwrap().is_connected);
    assert!(sim.check_bound_agreement().is_empty());
    assert_eq!(sim.trace(n).sent_with_code(Dir::E2P, 0x0B).len(), 2);
    assert_eq!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Unbound { .. }))
            .len(),
        1
    );
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 9. reconnect re-binds
// ---------------------------------------------------------------------------------------

#[test]
fn reconnect_rebinds_everything() {
    let names = ["T1", "T2", "T3", "T4", "T5"];
    let (mut sim, n) = connected(&names);
    let c1 = sim.conn_id(n).unwrap();
    sim.run_for(secs(30));
    sim.cut(n);
    assert!(names
        .iter()
        .all(|t| !sim.registry.get(t).unwrap().is_connected));
    sim.run_for(secs(3));

    let c2 = sim.conn_id(n).expect("reconnected");
    assert_ne!(c1, c2);
    assert_eq!(sim.edge(n).state(), EdgeState::Authenticated);
    for t in names {
        assert_eq!(sim.registry.connection_of(t), Some(c2), "{t}");
    }
    assert_eq!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Authenticated { .. }))
            .len(),
        2
    );
    // Session ids are per connection on the edge.
    assert_eq!(
        sim.edge(n).session_id(),
        sim.node(n).conn().unwrap().platform.session_id()
    );
    assert_clean(&sim);

    // Changes while disconnected are honoured by the re-bind.
    sim.node_mut(n).reconnect_delay = secs(5);
    sim.cut(n);
    sim.run_for(secs(1));
    sim.edge_unbind(n, &["T1"]);
    assert!(
        sim.trace(n)
            .edge
            .iter()
            .rev()
            .take_while(|(_, e)| !matches!(e, EdgeEvent::Disconnected { .. }))
            .any(|(_, e)| matches!(e, EdgeEvent::Unbound { name } if *name == "T1")),
        "a local unbind while disconnected reports Unbound"
    );
    sim.edge_bind(n, &["T9"]);
    sim.run_for(secs(10));
    let c3 = sim.conn_id(n).expect("reconnected again");
    let mut on_c3: Vec<String> = sim
        .registry
        .snapshot()
        .into_iter()
        .filter(|t| t.is_connected && t.connection == Some(c3))
        .map(|t| t.name.to_string())
        .collect();
    on_c3.sort();
    assert_eq!(on_c3, ["T2", "T3", "T4", "T5", "T9"]);
    assert!(!sim.registry.get("T1").unwrap().is_connected);
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 10. request timeout and late response
// ---------------------------------------------------------------------------------------

#[test]
fn edge_request_timeout_and_late_response() {
    let (mut sim, n) = connected(&["Pump1"]);
    sim.platform_app.set("Pump1", "temp", Value::Number(1.0));
    let target = Rc::new(Cell::new(0u32));
    let t2 = target.clone();
    sim.link(n).filter = Some(Box::new(move |dir, b| {
        if dir == Dir::P2E && request_id(b) == Some(t2.get()) && code(b) >= Some(0x40) {
            Verdict::Delay(secs(12))
        } else {
            Verdict::Deliver
        }
    }));
    let sent = sim.now();
    let id = sim
        .edge_request(n, Request::read_property("Pump1", "temp"))
        .unwrap();
    target.set(id);

    sim.run_until(sent + ms(9_999));
    assert!(sim.trace(n).edge_responses(id).is_empty());
    sim.run_until(sent + secs(10));
    let ended: Vec<_> = sim
        .trace(n)
        .edge
        .iter()
        .filter(|(_, e)| matches!(e, EdgeEvent::Response { id: i, .. } if *i == id))
        .collect();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].0, sent + secs(10));
    assert_eq!(
        ended[0].1,
        EdgeEvent::Response {
            id,
            result: Err(RequestError::Timeout)
        }
    );

    // The late response arrives at ~12 s and is dropped.
    let before = sim.trace(n).edge.len();
    sim.run_until(sent + secs(20));
    assert!(sim
        .trace(n)
        .wire
        .iter()
        .any(|(_, _, d, b)| *d == Dir::P2E && request_id(b) == Some(id)));
    assert_eq!(sim.trace(n).edge_endings(id), 1);
    assert_eq!(
        sim.edge(n).stats().late_responses,
        1,
        "the late response is counted"
    );
    assert!(
        sim.trace(n).edge[before..]
            .iter()
            .all(|(_, e)| !matches!(e, EdgeEvent::Response { .. })),
        "{:?}",
        &sim.trace(n).edge[before..]
    );
    // The session keeps working.
    assert_eq!(sim.edge(n).state(), EdgeState::Authenticated);
    let id2 = sim
        .edge_request(n, Request::read_property("Pump1", "temp"))
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(
        result_value(&edge_ok(&sim, n, id2), "temp"),
        Value::Number(1.0)
    );
    assert_clean(&sim);
    assert!(sim.check_request_endings().is_empty());
}

#[test]
fn platform_request_timeout_and_late_response() {
    let (mut sim, n) = connected(&["Pump1"]);
    sim.node_mut(n).app.set("Pump1", "rpm", Value::Integer(5));
    sim.link(n).filter = Some(Box::new(|dir, b| {
        if dir == Dir::E2P && code(b) >= Some(0x40) {
            Verdict::Delay(secs(12))
        } else {
            Verdict::Deliver
        }
    }));
    let sent = sim.now();
    let (cid, id) = sim
        .platform_request(n, Request::read_property("Pump1", "rpm"))
        .unwrap();
    sim.run_until(sent + ms(9_999));
    assert!(sim.platform_responses(n, cid, id).is_empty());
    sim.run_until(sent + secs(10));
    assert_eq!(
        sim.platform_responses(n, cid, id),
        vec![Err(RequestError::Timeout)]
    );
    sim.run_until(sent + secs(20));
    assert_eq!(sim.platform_responses(n, cid, id).len(), 1);
    assert_eq!(
        sim.node(n).conn().unwrap().platform.stats().late_responses,
        1,
        "the late response is counted"
    );
    assert!(sim.check_request_endings().is_empty());
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 11. multipart both ways
// ---------------------------------------------------------------------------------------

fn big_value(seed: u8, len: usize) -> Value {
    let s: String = (0..len)
        .map(|i| char::from(b'a' + ((i + seed as usize) % 26) as u8))
        .collect();
    Value::string(s)
}

#[test]
fn multipart_in_both_directions() {
    let mut sim = Sim::default_sim();
    let mut cfg = edge_config();
    cfg.chunk_size = 1024;
    let n = sim.add_edge(cfg);
    sim.edge_bind(n, &["Pump1"]);
    sim.connect(n);
    sim.run_for(secs(1));
    let cid = sim.conn_id(n).unwrap();
    let big_e = big_value(0, 100 * 1024);
    let big_p = big_value(7, 100 * 1024);

    // Edge → platform write, 1024-byte chunks.
    let id = sim
        .edge_request(n, Request::write_property("Pump1", "blob", big_e.clone()))
        .unwrap();
    sim.run_for(secs(2));
    assert_eq!(edge_ok(&sim, n, id).status, StatusCode::SUCCESS);
    assert_eq!(sim.platform_app.get("Pump1", "blob"), Some(&big_e));
    let chunks_e: Vec<_> = sim
        .trace(n)
        .wire
        .iter()
        .filter(|(_, _, d, b)| *d == Dir::E2P && b[14] != 0)
        .collect();
    assert!(chunks_e.len() >= 100, "{} chunks", chunks_e.len());
    assert!(chunks_e.iter().all(|(_, _, _, b)| b.len() <= 1024));

    // Edge reads it back: the platform answers in 8192-byte chunks.
    let id = sim
        .edge_request(n, Request::read_property("Pump1", "blob"))
        .unwrap();
    sim.run_for(secs(2));
    assert_eq!(result_value(&edge_ok(&sim, n, id), "blob"), big_e);
    let chunks_p: Vec<_> = sim
        .trace(n)
        .wire
        .iter()
        .filter(|(_, _, d, b)| *d == Dir::P2E && b[14] != 0)
        .collect();
    assert!(chunks_p.len() >= 13, "{} chunks", chunks_p.len());
    assert!(chunks_p.iter().all(|(_, _, _, b)| b.len() <= 8192));

    // Platform → edge write, then read back (the edge answers in 1024-byte chunks).
    let (_, id) = sim
        .platform_request(n, Request::write_property("Pump1", "big", big_p.clone()))
        .unwrap();
    sim.run_for(secs(2));
    assert_eq!(platform_ok(&sim, n, cid, id).status, StatusCode::SUCCESS);
    assert_eq!(sim.node(n).app.get("Pump1", "big"), Some(&big_p));
    let (_, id) = sim
        .platform_request(n, Request::read_property("Pump1", "big"))
        .unwrap();
    sim.run_for(secs(2));
    assert_eq!(result_value(&platform_ok(&sim, n, cid, id), "big"), big_p);
    assert!(sim.trace(n).edge_inbound_errors.is_empty());
    assert!(sim.trace(n).platform_inbound_errors.is_empty());
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 12. pong timeout
// ---------------------------------------------------------------------------------------

#[test]
fn pong_timeout_closes_and_edge_reconnects() {
    let (mut sim, n) = connected(&["Pump1"]);
    let c1 = sim.conn_id(n).unwrap();
    sim.link(n).swallow_pongs = true;
    let ok = sim.run_until_cond(secs(120), |s| {
        !s.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Disconnected { .. }))
            .is_empty()
    });
    assert!(ok, "no disconnect within 120 s of swallowed pongs");
    let disc_at = sim
        .trace(n)
        .edge
        .iter()
        .find(|(_, e)| matches!(e, EdgeEvent::Disconnected { .. }))
        .unwrap();
    assert_eq!(
        disc_at.1,
        EdgeEvent::Disconnected {
            reason: DisconnectReason::PongTimeout
        }
    );
    let pings = sim.trace(n).pings.clone();
    assert!(!pings.is_empty());
    assert!(pings[0] <= sim.at(secs(56)), "first ping at {:?}", pings[0]);
    let close = sim
        .trace(n)
        .closes
        .iter()
        .find(|(_, _, d, _, _)| *d == Dir::E2P)
        .expect("the edge closed the websocket");
    assert_eq!(close.0, *pings.last().unwrap() + secs(10));
    assert_eq!(close.3, 1000);
    assert!(close.0 <= sim.at(secs(66)));

    // Pongs flow again: the edge reconnects and stays up.
    sim.link(n).swallow_pongs = false;
    sim.run_for(secs(5));
    let c2 = sim.conn_id(n).expect("reconnected");
    assert_ne!(c1, c2);
    assert_eq!(sim.edge(n).state(), EdgeState::Authenticated);
    assert_eq!(sim.registry.connection_of("Pump1"), Some(c2));
    let pings_before = sim.trace(n).pings.len();
    sim.run_for(secs(300));
    assert_eq!(sim.conn_id(n), Some(c2), "still on the same connection");
    assert!(sim.trace(n).pings.len() >= pings_before + 5);
    assert!(sim.trace(n).pongs.len() >= 5);
    assert_eq!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Disconnected { .. }))
            .len(),
        1
    );
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// cut with requests in flight
// ---------------------------------------------------------------------------------------

#[test]
fn cut_ends_requests_in_flight_on_both_sides() {
    let (mut sim, n) = connected(&["Pump1"]);
    sim.node_mut(n).auto_reconnect = false;
    sim.platform_app.silent = true;
    sim.node_mut(n).app.silent = true;
    let id = sim
        .edge_request(n, Request::read_property("Pump1", "x"))
        .unwrap();
    let (cid, pid) = sim
        .platform_request(n, Request::read_property("Pump1", "y"))
        .unwrap();
    sim.run_for(secs(1));
    sim.cut(n);
    assert_eq!(
        sim.trace(n).edge_responses(id),
        vec![&Err(RequestError::Disconnected)]
    );
    assert_eq!(
        sim.platform_responses(n, cid, pid),
        vec![Err(RequestError::Disconnected)]
    );
    // Requests made while disconnected are queued and handed back on close.
    let queued = sim
        .edge_request(n, Request::read_property("Pump1", "z"))
        .unwrap();
    sim.edge_close(n);
    assert!(
        sim.trace(n)
            .edge_events(|e| matches!(e, EdgeEvent::Unsent { id, .. } if *id == queued))
            .len()
            == 1
    );
    sim.run_for(secs(30));
    assert!(
        sim.check_request_endings().is_empty(),
        "{:?}",
        sim.check_request_endings()
    );
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// 13. request ids wrap past u32::MAX
// ---------------------------------------------------------------------------------------

#[test]
fn request_ids_wrap_past_u32_max_and_keep_correlating() {
    let mut sim = Sim::default_sim();
    let n = sim.add_edge_session(EdgeSession::with_request_ids(
        edge_config(),
        RequestIds::starting_at(u32::MAX - 2),
    ));
    sim.edge_bind(n, &["Pump1"]);
    sim.connect(n);
    sim.run_for(secs(1));
    assert_eq!(sim.edge(n).state(), EdgeState::Authenticated);
    assert!(sim.node(n).edge_bound_names().contains("Pump1"));
    // AUTH and BIND used the last ids below u32::MAX.
    let auth = sim.trace(n).sent_with_code(Dir::E2P, 0x14);
    assert_eq!(request_id(auth[0]), Some(u32::MAX - 2));

    // Five requests in flight at once, straddling the wrap, answered out of order of ids.
    let mut ids = Vec::new();
    for i in 0..5 {
        sim.platform_app
            .set("Pump1", &format!("p{i}"), Value::Integer(i));
        ids.push(
            sim.edge_request(n, Request::read_property("Pump1", format!("p{i}")))
                .unwrap(),
        );
    }
    assert!(ids.contains(&u32::MAX), "{ids:?}");
    assert!(ids.contains(&1), "{ids:?}");
    assert!(!ids.contains(&0), "id 0 is skipped: {ids:?}");
    sim.run_for(secs(1));
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            result_value(&edge_ok(&sim, n, *id), &format!("p{i}")),
            Value::Integer(i as i32)
        );
    }
    assert!(sim
        .trace(n)
        .wire
        .iter()
        .filter(|(_, _, d, _)| *d == Dir::E2P)
        .all(|(_, _, _, b)| request_id(b) != Some(0)));
    assert!(sim.check_request_endings().is_empty());
    assert_clean(&sim);
}
