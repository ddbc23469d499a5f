//! Hostile peers, sans-IO (issue 10): the platform's global multipart budget, error answers
//! to refused and malformed messages. Driven only through `handle_input` / `poll_output`.
#![allow(clippy::unwrap_used)]

use alwayson_proto::edge::Credentials;
use alwayson_proto::multipart::{split, Split};
use alwayson_proto::platform::{
    session_id_for, AuthPolicy, ConnectionId, Endpoint, Handshake, PlatformConfig, PlatformEvent,
    PlatformSession, ThingRegistry,
};
use alwayson_proto::{
    Auth, Bind, Body, EdgeConfig, EdgeSession, Frame, Header, Input, Message, Output, Request,
    RequestError, Response, StatusCode, Transmit, Value, AUTH_SESSION_ID,
};
use bytes::Bytes;
use std::time::{Instant, SystemTime};

struct Platform {
    now: Instant,
    endpoint: Endpoint,
}

impl Platform {
    fn new(config: PlatformConfig) -> Self {
        Self {
            now: Instant::now(),
            endpoint: Endpoint::new(config, ThingRegistry::default(), AuthPolicy::AcceptAll),
        }
    }

    /// An authenticated session (its AUTH answer drained).
    fn login(&mut self) -> (ConnectionId, PlatformSession) {
        let (id, mut s) =
            self.endpoint
                .accept(self.now, SystemTime::UNIX_EPOCH, &Handshake::default());
        let auth = Message {
            header: Header::new(1, AUTH_SESSION_ID),
            body: Body::Auth(Auth::app_key("k")),
        };
        s.handle_input(self.now, Input::Message(auth.encode().unwrap()))
            .unwrap();
        drain(&mut s);
        assert!(s.is_authenticated());
        (id, s)
    }
}

/// Every message the session sends, and its events.
fn drain(s: &mut PlatformSession) -> (Vec<Message>, Vec<PlatformEvent>) {
    let (mut messages, mut events) = (Vec::new(), Vec::new());
    loop {
        match s.poll_output() {
            Output::Transmit(Transmit::Message(b)) => match Frame::decode(b).unwrap().value {
                Frame::Message(m) => messages.push(m),
                Frame::Chunk(c) => panic!("unexpected chunk {c:?}"),
            },
            Output::Transmit(t) => panic!("unexpected {t:?}"),
            Output::Event(e) => events.push(e),
            _ => return (messages, events),
        }
    }
}

/// A PUT of a `len`-byte string to `thing`, split into chunks of 8192.
fn big_put(rid: u32, sid: u32, thing: &str, len: usize) -> Vec<Bytes> {
    let message = Message {
        header: Header::new(rid, sid),
        body: Body::Request(Request::write_property(
            thing,
            "Blob",
            Value::string("x".repeat(len)),
        )),
    };
    match split(&message, 8192).unwrap() {
        Split::Chunks(chunks) => chunks,
        Split::Single(_) => panic!("expected chunks"),
    }
}

fn answer(messages: &[Message], rid: u32) -> Option<(StatusCode, String)> {
    messages.iter().find_map(|m| match &m.body {
        Body::Response(r) if m.header.request_id == rid => Some((
            r.status,
            r.reason
                .as_ref()
                .map(|r| r.to_str_lossy().into_owned())
                .unwrap_or_default(),
        )),
        _ => None,
    })
}

#[test]
fn the_reassembly_budget_spans_connections_refuses_with_an_answer_and_is_released() {
    // Budget 100 KB for all connections; each connection may hold 1 MiB on its own.
    let mut config = PlatformConfig::default();
    config.reassembly_budget = 100_000;
    let mut p = Platform::new(config);
    let budget = p.endpoint.reassembly_budget().clone();
    let (a, mut sa) = p.login();
    let (b, mut sb) = p.login();
    let chunks_a = big_put(10, session_id_for(a), "A", 200_000);
    let chunks_b = big_put(20, session_id_for(b), "B", 200_000);
    // Connection A holds 7 incomplete chunks (~57 KB), B 5 (~41 KB): within the budget.
    for c in &chunks_a[..7] {
        sa.handle_input(p.now, Input::Message(c.clone())).unwrap();
    }
    for c in &chunks_b[..5] {
        sb.handle_input(p.now, Input::Message(c.clone())).unwrap();
    }
    let held = budget.used();
    assert!(held > 92_000 && held <= 100_000, "{held}");
    assert_eq!(drain(&mut sa).0.len() + drain(&mut sb).0.len(), 0);
    // B's next chunk would pass the budget: refused with an answer naming it; B's message
    // is discarded and its bytes go back.
    let err = sb
        .handle_input(p.now, Input::Message(chunks_b[5].clone()))
        .unwrap_err();
    assert!(err.to_string().contains("budget"), "{err}");
    let (status, reason) = answer(&drain(&mut sb).0, 20).expect("an error answer");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        reason.contains("reassembly budget of 100000 bytes"),
        "{reason}"
    );
    let after_refusal = budget.used();
    assert!(after_refusal < 60_000, "{after_refusal}");
    // The rest of B's message is dropped without more answers.
    for c in &chunks_b[6..] {
        sb.handle_input(p.now, Input::Message(c.clone())).unwrap();
    }
    assert!(drain(&mut sb).0.is_empty());
    assert_eq!(budget.used(), after_refusal);
    // A's connection closes: its bytes go back too.
    sa.handle_input(p.now, Input::Closed).unwrap();
    drain(&mut sa);
    assert_eq!(budget.used(), 0);
    drop(sa);
    // Now B can send a whole message within the budget (and gets its request).
    let small = big_put(21, session_id_for(b), "B", 30_000);
    for c in small {
        sb.handle_input(p.now, Input::Message(c)).unwrap();
    }
    let (_, events) = drain(&mut sb);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, PlatformEvent::Request { id: 21, .. })),
        "{events:?}"
    );
    assert_eq!(budget.used(), 0, "a completed message holds no budget");
}

#[test]
fn a_response_refused_for_the_budget_fails_the_platform_request_at_once() {
    let mut config = PlatformConfig::default();
    config.reassembly_budget = 20_000;
    config.idle_timeout = std::time::Duration::from_secs(3600);
    let after_timeout = config.request_timeout + std::time::Duration::from_secs(1);
    let mut p = Platform::new(config);
    let (a, mut s) = p.login();
    let sid = session_id_for(a);
    let bind = Message {
        header: Header::new(2, sid),
        body: Body::Bind(Bind {
            gateway: None,
            names: vec!["Pump1".into()],
        }),
    };
    s.handle_input(p.now, Input::Message(bind.encode().unwrap()))
        .unwrap();
    drain(&mut s);
    let id = s
        .request(p.now, Request::read_property("Pump1", "Blob"))
        .unwrap();
    drain(&mut s);
    // The edge's answer: 60 KB, in chunks of 8192; the third chunk passes the budget.
    let answer = Message {
        header: Header::new(id, sid),
        body: Body::Response(Response {
            status: StatusCode::SUCCESS,
            reason: Some("x".repeat(60_000).into()),
            content: None,
        }),
    };
    let Split::Chunks(chunks) = split(&answer, 8192).unwrap() else {
        panic!("expected chunks")
    };
    for c in &chunks[..2] {
        s.handle_input(p.now, Input::Message(c.clone())).unwrap();
    }
    assert_eq!(drain(&mut s), (vec![], vec![]));
    let err = s
        .handle_input(p.now, Input::Message(chunks[2].clone()))
        .unwrap_err();
    // The request ends now, with an error naming the budget; nothing is sent to the edge.
    let (sent, events) = drain(&mut s);
    assert!(sent.is_empty(), "{sent:?}");
    match events.as_slice() {
        [PlatformEvent::Response {
            id: got,
            result: Err(RequestError::ResponseRefused(refused)),
        }] => {
            assert_eq!(*got, id);
            assert_eq!(*refused, err);
            let text = RequestError::ResponseRefused(refused.clone()).to_string();
            assert!(
                text.contains("the reassembly budget of 20000 bytes for all connections is spent"),
                "{text}"
            );
        }
        other => panic!("expected the request to fail at once, got {other:?}"),
    }
    // The rest of the message is dropped, and no timeout reports the request again.
    for c in &chunks[3..] {
        s.handle_input(p.now, Input::Message(c.clone())).unwrap();
    }
    s.handle_input(p.now + after_timeout, Input::Timeout)
        .unwrap();
    let (sent, events) = drain(&mut s);
    assert!(sent.is_empty(), "{sent:?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, PlatformEvent::Response { .. })),
        "{events:?}"
    );
    assert_eq!(p.endpoint.reassembly_budget().used(), 0);
}

/// A PUT whose InfoTable is cut short: the header and the request line are readable.
fn truncated_put(rid: u32, sid: u32) -> Bytes {
    let message = Message {
        header: Header::new(rid, sid),
        body: Body::Request(Request::write_property("T", "P", Value::Integer(7))),
    };
    let bytes = message.encode().unwrap();
    bytes.slice(..bytes.len() - 3)
}

#[test]
fn a_malformed_request_after_auth_is_answered_bad_request_with_the_decode_error() {
    let mut p = Platform::new(PlatformConfig::default());
    let (id, mut s) = p.login();
    let sid = session_id_for(id);
    let err = s
        .handle_input(p.now, Input::Message(truncated_put(33, sid)))
        .unwrap_err();
    let (messages, _) = drain(&mut s);
    let (status, reason) = answer(&messages, 33).expect("answered");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reason, err.to_string());
    assert!(
        reason.contains("offset"),
        "the decode error says where: {reason}"
    );
    assert_eq!(s.stats().unanswered_malformed, 0);
    assert!(s.is_authenticated(), "the connection survives");

    // Without a readable header (too short), or a response (never answered): counted.
    s.handle_input(p.now, Input::Message(Bytes::from_static(&[1, 2, 3])))
        .unwrap_err();
    let mut response = Message {
        header: Header::new(34, sid),
        body: Body::Response(alwayson_proto::Response::success()),
    }
    .encode()
    .unwrap()
    .to_vec();
    response.extend_from_slice(&[0xEE; 3]);
    response[15] = 0x07; // not a valid response body
    let _ = s.handle_input(p.now, Input::Message(Bytes::from(response)));
    assert!(drain(&mut s).0.is_empty(), "nothing answered");
    assert!(s.stats().unanswered_malformed >= 1);
}

#[test]
fn the_edge_answers_a_malformed_platform_request_bad_request() {
    let now = Instant::now();
    let mut edge = EdgeSession::new(EdgeConfig::new(Credentials::AppKey("k".into())));
    edge.handle_input(now, Input::Connected).unwrap();
    let mut auth_id = None;
    while !matches!(poll(&mut edge, &mut auth_id), Output::Timeout(_)) {}
    let auth_id = auth_id.expect("AUTH sent");
    let ok = Message {
        header: Header::new(auth_id, 77),
        body: Body::Response(alwayson_proto::Response::success()),
    };
    edge.handle_input(now, Input::Message(ok.encode().unwrap()))
        .unwrap();
    let mut sink = None;
    while !matches!(poll(&mut edge, &mut sink), Output::Timeout(_)) {}
    edge.handle_input(now, Input::Message(truncated_put(9, 77)))
        .unwrap_err();
    let mut answered = None;
    loop {
        match edge.poll_output() {
            Output::Transmit(Transmit::Message(b)) => {
                if let Frame::Message(m) = Frame::decode(b).unwrap().value {
                    if m.header.request_id == 9 {
                        answered = Some(m);
                    }
                }
            }
            Output::Timeout(_) => break,
            _ => {}
        }
    }
    let m = answered.expect("an answer to request 9");
    let Body::Response(r) = m.body else {
        panic!("{m:?}")
    };
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.reason.unwrap().to_str_lossy().contains("offset"));
}

/// Polls one output; records the request id of an AUTH sent.
fn poll(edge: &mut EdgeSession, auth_id: &mut Option<u32>) -> Output<alwayson_proto::EdgeEvent> {
    let out = edge.poll_output();
    if let Output::Transmit(Transmit::Message(b)) = &out {
        if let Ok(d) = Frame::decode(b.clone()) {
            if let Frame::Message(m) = d.value {
                if matches!(m.body, Body::Auth(_)) {
                    *auth_id = Some(m.header.request_id);
                }
            }
        }
    }
    out
}

#[test]
fn the_bind_cap_refuses_names_beyond_it_with_a_reason_naming_it() {
    let mut config = PlatformConfig::default();
    config.max_things_per_connection = 3;
    let mut p = Platform::new(config);
    let (id, mut s) = p.login();
    let sid = session_id_for(id);
    let bind = |rid: u32, names: &[&str]| {
        Message {
            header: Header::new(rid, sid),
            body: Body::Bind(alwayson_proto::Bind {
                gateway: None,
                names: names.iter().map(|n| (*n).into()).collect(),
            }),
        }
        .encode()
        .unwrap()
    };
    s.handle_input(p.now, Input::Message(bind(2, &["A", "B"])))
        .unwrap();
    let (messages, _) = drain(&mut s);
    assert_eq!(answer(&messages, 2).unwrap().0, StatusCode::SUCCESS);
    // Two more names and one already held: one fits, one does not.
    s.handle_input(p.now, Input::Message(bind(3, &["A", "C", "D", "D"])))
        .unwrap();
    let (messages, events) = drain(&mut s);
    let (status, reason) = answer(&messages, 3).unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(reason, "at most 3 things per connection; not bound: D");
    assert!(events.contains(&PlatformEvent::BindCapReached {
        limit: 3,
        refused: 1
    }));
    let names: Vec<String> = s
        .bound_things()
        .iter()
        .map(|n| n.to_str_lossy().into_owned())
        .collect();
    assert_eq!(names, ["A", "B", "C"]);
    assert!(p.endpoint.registry().get("D").is_none());
    // A re-BIND of names already held is not refused by the cap.
    s.handle_input(p.now, Input::Message(bind(4, &["C", "A"])))
        .unwrap();
    assert_eq!(answer(&drain(&mut s).0, 4).unwrap().0, StatusCode::SUCCESS);
}

#[test]
fn a_response_the_edge_refuses_fails_its_request_at_once() {
    let now = Instant::now();
    let mut edge = EdgeSession::new(EdgeConfig::new(Credentials::AppKey("k".into())));
    edge.handle_input(now, Input::Connected).unwrap();
    let mut auth_id = None;
    while !matches!(poll(&mut edge, &mut auth_id), Output::Timeout(_)) {}
    let ok = Message {
        header: Header::new(auth_id.expect("AUTH sent"), 77),
        body: Body::Response(Response::success()),
    };
    edge.handle_input(now, Input::Message(ok.encode().unwrap()))
        .unwrap();
    let mut sink = None;
    while !matches!(poll(&mut edge, &mut sink), Output::Timeout(_)) {}

    let id = edge.request(now, Request::read_property("T", "P")).unwrap();
    while !matches!(poll(&mut edge, &mut sink), Output::Timeout(_)) {}
    // The answer's body is not a valid response body: refused with a decode error.
    let mut bad = Message {
        header: Header::new(id, 77),
        body: Body::Response(Response::success()),
    }
    .encode()
    .unwrap()
    .to_vec();
    bad.extend_from_slice(&[0xEE; 3]);
    bad[15] = 0x07;
    let err = edge
        .handle_input(now, Input::Message(Bytes::from(bad)))
        .unwrap_err();
    let mut result = None;
    loop {
        match edge.poll_output() {
            Output::Event(alwayson_proto::EdgeEvent::Response { id: rid, result: r }) => {
                assert_eq!(rid, id);
                result = Some(r);
            }
            Output::Timeout(_) => break,
            _ => {}
        }
    }
    assert_eq!(
        result.expect("the request ended at once"),
        Err(RequestError::ResponseRefused(err))
    );
    assert_eq!(edge.stats().unanswered_malformed, 1, "nothing to answer");
    // A later valid answer to the same id matches nothing.
    let late = Message {
        header: Header::new(id, 77),
        body: Body::Response(Response::success()),
    };
    edge.handle_input(now, Input::Message(late.encode().unwrap()))
        .unwrap();
    assert!(!matches!(edge.poll_output(), Output::Event(_)));
}
