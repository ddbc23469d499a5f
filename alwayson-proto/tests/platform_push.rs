//! `PlatformConfig::push_events`: `UpdateSubscribedPropertyValues` requests reach the
//! application as `PlatformEvent::Push` (borrowed decode over the received bytes), answered
//! like requests, with the same errors for malformed pushes; every other message as before.
#![allow(clippy::unwrap_used)]

use alwayson_proto::conventions::UPDATE_SUBSCRIBED_PROPERTY_VALUES;
use alwayson_proto::multipart::{split, Split};
use alwayson_proto::platform::{
    PlatformConfig, PlatformEvent, PlatformSession, Push, ThingRegistry,
};
use alwayson_proto::{
    Auth, Body, Drained, Frame, Header, InfoTable, Input, Message, PropertyUpdate, Request,
    Response, StatusCode, Transmit, Value, AUTH_SESSION_ID,
};
use bytes::Bytes;
use std::time::{Instant, SystemTime};

const KEY: &str = "k";

fn updates(rows: usize) -> Vec<PropertyUpdate> {
    (0..rows)
        .map(|i| {
            let value = match i % 3 {
                0 => Value::Number(i as f64 + 0.5),
                1 => Value::string(format!("text {i}")),
                _ => Value::Boolean(i % 2 == 0),
            };
            PropertyUpdate::new(format!("p{i}"), value, 1_700_000_000_000 + i as i64)
        })
        .collect()
}

fn message(rid: u32, sid: u32, request: Request) -> Message {
    Message {
        header: Header {
            version: 1,
            request_id: rid,
            endpoint_id: 9,
            session_id: sid,
        },
        body: Body::Request(request),
    }
}

struct Edge {
    now: Instant,
    session: PlatformSession,
    out: Drained<PlatformEvent>,
    sid: u32,
}

impl Edge {
    /// An authenticated session with `push_events` as given.
    fn new(push_events: bool) -> Self {
        let mut config = PlatformConfig::default();
        config.push_events = push_events;
        let now = Instant::now();
        let session =
            PlatformSession::new(now, SystemTime::now(), 5, config, ThingRegistry::default());
        let mut e = Self {
            now,
            session,
            out: Drained::new(),
            sid: 0,
        };
        e.send_auth(1);
        let Some(PlatformEvent::AuthRequested { request_id, .. }) = e.events().pop() else {
            panic!("AUTH requested")
        };
        e.sid = e.session.accept_auth(now, request_id).unwrap();
        e.events();
        e.transmits();
        e
    }

    fn send_auth(&mut self, rid: u32) {
        let auth = Message {
            header: Header {
                version: 1,
                request_id: rid,
                endpoint_id: 0,
                session_id: AUTH_SESSION_ID,
            },
            body: Body::Auth(Auth::app_key(KEY)),
        };
        self.send(auth.encode().unwrap()).unwrap();
    }

    fn send(&mut self, bytes: Bytes) -> Result<(), alwayson_proto::InboundError> {
        self.session.handle_input(self.now, Input::Message(bytes))
    }

    /// Sends `m` split into chunks of `chunk` bytes (a single frame when it fits).
    fn send_split(&mut self, m: &Message, chunk: u16) {
        match split(m, chunk).unwrap() {
            Split::Single(bytes) => self.send(bytes).unwrap(),
            Split::Chunks(chunks) => {
                assert!(chunks.len() > 1);
                for c in chunks {
                    self.send(c).unwrap();
                }
            }
        }
    }

    fn events(&mut self) -> Vec<PlatformEvent> {
        self.out.drain(|| self.session.poll_output());
        self.out.events.drain(..).collect()
    }

    /// The responses sent: (request id, endpoint id, response).
    fn transmits(&mut self) -> Vec<(u32, u32, Response)> {
        self.out.drain(|| self.session.poll_output());
        self.out
            .transmits
            .drain(..)
            .map(|t| {
                let Transmit::Message(bytes) = t else {
                    panic!("a message, got {t:?}")
                };
                let Frame::Message(m) = Frame::decode(bytes).unwrap().value else {
                    panic!("a whole message")
                };
                let Body::Response(r) = m.body else {
                    panic!("a response")
                };
                (m.header.request_id, m.header.endpoint_id, r)
            })
            .collect()
    }
}

#[test]
fn a_push_is_an_event_over_its_bytes_answered_like_a_request() {
    let pushed = updates(20);
    let request = Request::push_properties("Pump1", &pushed);
    let mut e = Edge::new(true);
    e.send(message(77, e.sid, request.clone()).encode().unwrap())
        .unwrap();
    let ev = e.events();
    let [PlatformEvent::Push { id: 77, push }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(push.request_id(), 77);
    assert_eq!(push.header().endpoint_id, 9);
    assert_eq!(push.thing(), b"Pump1");
    let got: Vec<PropertyUpdate> = push.updates().map(|u| u.to_owned()).collect();
    assert_eq!(got, pushed);
    assert_eq!(push.to_request(), request);
    assert!(e.transmits().is_empty(), "not answered before respond");
    e.session.respond(77, Response::success()).unwrap();
    assert_eq!(e.transmits(), vec![(77, 9, Response::success())]);
}

#[test]
fn without_push_events_a_push_is_the_request_it_always_was() {
    let request = Request::push_properties("Pump1", &updates(3));
    let mut e = Edge::new(false);
    e.send(message(7, e.sid, request.clone()).encode().unwrap())
        .unwrap();
    assert_eq!(e.events(), vec![PlatformEvent::Request { id: 7, request }]);
}

#[test]
fn a_reassembled_push_is_an_event_too() {
    let pushed = updates(200);
    let request = Request::push_properties("Pump1", &pushed);
    let m = message(8, 0, request.clone());
    let mut e = Edge::new(true);
    let m = Message {
        header: Header {
            session_id: e.sid,
            ..m.header
        },
        ..m
    };
    e.send_split(&m, 1024);
    let ev = e.events();
    let [PlatformEvent::Push { id: 8, push }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(push.updates().count(), 200);
    let got: Vec<PropertyUpdate> = push.updates().map(|u| u.to_owned()).collect();
    assert_eq!(got, pushed);
    assert_eq!(push.to_request(), request);
    e.session.respond(8, Response::success()).unwrap();
    assert_eq!(e.transmits(), vec![(8, 9, Response::success())]);
}

#[test]
fn other_requests_and_untyped_pushes_stay_requests() {
    let mut e = Edge::new(true);
    // The push service without the typed `values` table (a `_content_` JSON body).
    let untyped = Request::invoke_service(
        "T",
        UPDATE_SUBSCRIBED_PROPERTY_VALUES,
        Some(InfoTable::single("_content_", Value::string("{}"))),
    );
    let other = Request::invoke_service(
        "T",
        "Other",
        Some(InfoTable::single("x", Value::Integer(1))),
    );
    let read = Request::read_property("T", UPDATE_SUBSCRIBED_PROPERTY_VALUES);
    for (rid, r) in [(1, &untyped), (2, &other), (3, &read)] {
        e.send(message(rid, e.sid, r.clone()).encode().unwrap())
            .unwrap();
    }
    assert_eq!(
        e.events(),
        vec![
            PlatformEvent::Request {
                id: 1,
                request: untyped
            },
            PlatformEvent::Request {
                id: 2,
                request: other
            },
            PlatformEvent::Request {
                id: 3,
                request: read
            },
        ]
    );
}

/// The answer and error to a malformed message, with and without `push_events`.
fn refused(bytes: &[Bytes], push_events: bool) -> (String, Vec<(u32, u32, Response)>) {
    let mut e = Edge::new(push_events);
    let mut error = String::new();
    for b in bytes {
        if let Err(err) = e.send(b.clone()) {
            error = err.to_string();
        }
    }
    assert!(e.events().is_empty());
    (error, e.transmits())
}

#[test]
fn a_malformed_push_gets_the_same_bad_request_as_before() {
    let pushed = updates(5);
    let whole = message(21, 1, Request::push_properties("Pump1", &pushed))
        .encode()
        .unwrap();
    // Cut short anywhere in the body, or any body byte replaced by an unknown type byte
    // (where that makes the owned decode fail): the same error and the same answer.
    let mut malformed: Vec<Bytes> = (16..whole.len()).map(|n| whole.slice(..n)).collect();
    for at in 15..whole.len() {
        let mut bad = whole.to_vec();
        bad[at] = 0x7E;
        if Message::decode(Bytes::from(bad.clone())).is_err() {
            malformed.push(Bytes::from(bad));
        }
    }
    assert!(malformed.len() > whole.len());
    for bytes in malformed {
        let before = refused(std::slice::from_ref(&bytes), false);
        let after = refused(&[bytes], true);
        assert!(!after.0.is_empty(), "an error");
        assert_eq!(after, before);
        let [(21, 9, r)] = &after.1[..] else {
            panic!("{after:?}")
        };
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
}

#[test]
fn a_malformed_reassembled_push_gets_the_same_answer_as_before() {
    let m = message(22, 1, Request::push_properties("Pump1", &updates(100)));
    let body_cut = {
        // Chunks of a push whose last chunk lost its final bytes.
        let Split::Chunks(mut chunks) = split(&m, 1024).unwrap() else {
            panic!("chunks")
        };
        let last = chunks.pop().unwrap();
        chunks.push(last.slice(..last.len() - 5));
        chunks
    };
    let before = refused(&body_cut, false);
    let after = refused(&body_cut, true);
    assert!(after.0.contains("reassembled"), "{after:?}");
    assert_eq!(after, before);
    assert_eq!(after.1.len(), 1);
    assert_eq!(after.1[0].2.status, StatusCode::BAD_REQUEST);
}

#[test]
fn pushes_held_while_auth_is_pending_come_in_order_after_accept() {
    let mut config = PlatformConfig::default();
    config.push_events = true;
    let now = Instant::now();
    let mut s = PlatformSession::new(now, SystemTime::now(), 6, config, ThingRegistry::default());
    let mut out = Drained::new();
    let auth = Message {
        header: Header {
            version: 1,
            request_id: 1,
            endpoint_id: 0,
            session_id: AUTH_SESSION_ID,
        },
        body: Body::Auth(Auth::app_key(KEY)),
    };
    s.handle_input(now, Input::Message(auth.encode().unwrap()))
        .unwrap();
    let push = message(2, 0, Request::push_properties("A", &updates(2)));
    let read = message(3, 0, Request::read_property("A", "p"));
    for m in [&push, &read] {
        s.handle_input(now, Input::Message(m.encode().unwrap()))
            .unwrap();
    }
    out.drain(|| s.poll_output());
    assert!(matches!(
        out.events.drain(..).collect::<Vec<_>>()[..],
        [PlatformEvent::AuthRequested { .. }]
    ));
    s.accept_auth(now, 1).unwrap();
    out.drain(|| s.poll_output());
    let ev: Vec<PlatformEvent> = out.events.drain(..).collect();
    assert!(
        matches!(
            &ev[..],
            [
                PlatformEvent::Authenticated { .. },
                PlatformEvent::Push { id: 2, .. },
                PlatformEvent::Request { id: 3, .. }
            ]
        ),
        "{ev:?}"
    );
}

/// `Push::decode` finds the `values` table while validating: for odd shapes too it reads
/// what `Request::property_updates` reads, and refuses what it refuses.
#[test]
fn the_values_table_is_found_whatever_the_shape_of_the_params() {
    use alwayson_proto::{Aspect, BaseType, FieldDefinition};
    let nested = alwayson_proto::conventions::property_updates_table(&updates(4));
    let Some(Value::InfoTable(values)) = nested.first("values").cloned() else {
        panic!("values")
    };
    let other_table = InfoTable::single("x", Value::Integer(1));
    let field = |name: &str, t| FieldDefinition::new(name, t);
    let shapes: Vec<(Vec<FieldDefinition>, Vec<Vec<Value>>)> = vec![
        // `values` second, after a nested table and a VARIANT holding one.
        (
            vec![
                field("other", BaseType::InfoTable),
                field("values", BaseType::InfoTable),
            ],
            vec![vec![
                Value::InfoTable(Box::new(other_table.clone())),
                Value::InfoTable(values.clone()),
            ]],
        ),
        (
            vec![
                field("v", BaseType::Variant),
                field("values", BaseType::InfoTable),
            ],
            vec![
                vec![
                    Value::variant(Value::InfoTable(Box::new(other_table.clone()))),
                    Value::InfoTable(values.clone()),
                ],
                vec![
                    Value::Nothing,
                    Value::InfoTable(Box::new(other_table.clone())),
                ],
            ],
        ),
        // A field with an INFOTABLE aspect, then `values` twice (the first wins).
        (
            vec![
                FieldDefinition {
                    aspects: vec![Aspect {
                        name: "a".into(),
                        value: Value::InfoTable(Box::new(other_table.clone())),
                    }],
                    ..field("values", BaseType::InfoTable)
                },
                field("values", BaseType::InfoTable),
            ],
            vec![vec![
                Value::InfoTable(values.clone()),
                Value::InfoTable(Box::new(other_table.clone())),
            ]],
        ),
        // Not pushes: `values` not a table, no rows, no `values` field.
        (
            vec![field("values", BaseType::String)],
            vec![vec![Value::string("x")]],
        ),
        (vec![field("values", BaseType::InfoTable)], vec![]),
        (
            vec![field("x", BaseType::InfoTable)],
            vec![vec![Value::InfoTable(values.clone())]],
        ),
    ];
    let mut pushes = 0;
    for (fields, rows) in shapes {
        let mut params = InfoTable::with_fields(fields);
        for r in rows {
            params.push_row(r);
        }
        let request = Request::invoke_service("T", UPDATE_SUBSCRIBED_PROPERTY_VALUES, Some(params));
        let expected = request.property_updates();
        let bytes = message(1, 2, request.clone()).encode().unwrap();
        let push = Push::decode(bytes).unwrap();
        let got = push
            .as_ref()
            .map(|p| p.updates().map(|u| u.to_owned()).collect::<Vec<_>>());
        assert_eq!(got, expected, "{request:?}");
        if let Some(p) = push {
            assert_eq!(p.to_request(), request);
            pushes += 1;
        }
    }
    assert_eq!(pushes, 3);
}
