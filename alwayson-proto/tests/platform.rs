//! Platform session tests: the edge is played by hand (crafted messages in, transmitted
//! bytes decoded), with a fake clock.
#![allow(clippy::unwrap_used)]

use alwayson_proto::multipart::{split, Split};
use alwayson_proto::platform::{
    session_id_for, BindPolicy, CloseReason, ConnectionEvent, PlatformConfig, PlatformEvent,
    PlatformSession, ThingRegistry,
};
use alwayson_proto::{
    Auth, Bind, Body, Drained, Frame, Header, Input, Message, Request, RequestError, RespondError,
    Response, StatusCode, Transmit, Value, WireString, AUTH_SESSION_ID, CLOSE_NORMAL,
    CLOSE_POLICY_VIOLATION,
};
use bytes::Bytes;
use std::time::{Duration, Instant, SystemTime};

const KEY: &str = "good-key";

struct Clock {
    t0: Instant,
}

impl Clock {
    fn new() -> Self {
        Self { t0: Instant::now() }
    }
    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }
}

fn wall(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn encode(header: Header, body: Body) -> Bytes {
    Message { header, body }.encode().unwrap()
}

fn auth_msg(rid: u32, key: &str) -> Bytes {
    encode(
        Header {
            version: 1,
            request_id: rid,
            endpoint_id: 0,
            session_id: AUTH_SESSION_ID,
        },
        Body::Auth(Auth::app_key(key)),
    )
}

fn names(list: &[&str]) -> Vec<WireString> {
    list.iter().map(|n| WireString::from(*n)).collect()
}

fn bind_msg(rid: u32, sid: u32, list: &[&str]) -> Bytes {
    encode(
        Header::new(rid, sid),
        Body::Bind(Bind {
            gateway: None,
            names: names(list),
        }),
    )
}

fn unbind_msg(rid: u32, sid: u32, list: &[&str]) -> Bytes {
    encode(
        Header::new(rid, sid),
        Body::Unbind(Bind {
            gateway: None,
            names: names(list),
        }),
    )
}

fn get_msg(rid: u32, sid: u32, thing: &str, prop: &str) -> Bytes {
    encode(
        Header::new(rid, sid),
        Body::Request(Request::read_property(thing, prop)),
    )
}

fn response_msg(rid: u32, sid: u32, response: Response) -> Bytes {
    encode(Header::new(rid, sid), Body::Response(response))
}

/// A session under test and its outputs drained but not looked at yet.
struct S {
    session: PlatformSession,
    out: Drained<PlatformEvent>,
}

impl std::ops::Deref for S {
    type Target = PlatformSession;
    fn deref(&self) -> &PlatformSession {
        &self.session
    }
}

impl std::ops::DerefMut for S {
    fn deref_mut(&mut self) -> &mut PlatformSession {
        &mut self.session
    }
}

impl From<PlatformSession> for S {
    fn from(session: PlatformSession) -> Self {
        Self {
            session,
            out: Drained::new(),
        }
    }
}

impl S {
    fn drain(&mut self) {
        self.out.drain(|| self.session.poll_output());
    }
}

fn transmits(s: &mut S) -> Vec<Transmit> {
    s.drain();
    s.out.transmits.drain(..).collect()
}

fn events(s: &mut S) -> Vec<PlatformEvent> {
    s.drain();
    s.out.events.drain(..).collect()
}

/// The deadline `poll_output` reports now (what was drained stays for `transmits`/`events`).
fn timeout(s: &mut S) -> Option<Instant> {
    s.drain();
    s.out.timeout
}

fn decode(t: &Transmit) -> Message {
    match t {
        Transmit::Message(bytes) => match Frame::decode(bytes.clone()).unwrap().value {
            Frame::Message(m) => m,
            Frame::Chunk(c) => panic!("unexpected chunk {c:?}"),
        },
        other => panic!("expected a message, got {other:?}"),
    }
}

fn response_of(m: &Message) -> &Response {
    match &m.body {
        Body::Response(r) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn assert_close(t: &Transmit, code: u16) {
    match t {
        Transmit::Close { code: c, reason } => {
            assert_eq!(*c, code, "close code ({reason})");
            assert!(reason.len() <= 110);
        }
        other => panic!("expected a close, got {other:?}"),
    }
}

fn session(clock: &Clock, id: u64, registry: &ThingRegistry) -> S {
    PlatformSession::new(
        clock.at(0),
        wall(0),
        id,
        PlatformConfig::default(),
        registry.clone(),
    )
    .into()
}

/// AUTH with the good key at `ms`, accepted; returns the session id. Drains everything.
fn authenticate(s: &mut S, clock: &Clock, ms: u64, rid: u32) -> u32 {
    s.handle_input(clock.at(ms), Input::Message(auth_msg(rid, KEY)))
        .unwrap();
    let ev = events(s);
    assert!(matches!(
        &ev[..],
        [PlatformEvent::AuthRequested { request_id, auth }]
            if *request_id == rid && auth.app_key_value().is_some_and(|k| *k == KEY)
    ));
    let sid = s.accept_auth(clock.at(ms), rid).unwrap();
    assert_eq!(
        events(s),
        vec![PlatformEvent::Authenticated { session_id: sid }]
    );
    let tx = transmits(s);
    assert_eq!(tx.len(), 1);
    let m = decode(&tx[0]);
    assert_eq!(m.header.request_id, rid);
    assert_eq!(m.header.session_id, sid);
    assert_eq!(response_of(&m).status, StatusCode::SUCCESS);
    sid
}

/// BIND `list` at `ms`, expecting SUCCESS; drains and returns the events.
fn bind_ok(
    s: &mut S,
    clock: &Clock,
    ms: u64,
    rid: u32,
    sid: u32,
    list: &[&str],
) -> Vec<PlatformEvent> {
    s.handle_input(clock.at(ms), Input::Message(bind_msg(rid, sid, list)))
        .unwrap();
    let tx = transmits(s);
    assert_eq!(tx.len(), 1);
    let m = decode(&tx[0]);
    assert_eq!(m.header.request_id, rid);
    assert_eq!(m.header.session_id, sid);
    assert_eq!(response_of(&m).status, StatusCode::SUCCESS);
    events(s)
}

fn bound(name: &str) -> PlatformEvent {
    PlatformEvent::Bound { name: name.into() }
}

fn unbound(name: &str) -> PlatformEvent {
    PlatformEvent::Unbound { name: name.into() }
}

fn closed(reason: CloseReason) -> PlatformEvent {
    PlatformEvent::Closed { reason }
}

// ---------------------------------------------------------------------------------------
// AUTH first, auth deadline, credentials
// ---------------------------------------------------------------------------------------

#[test]
fn bind_first_is_an_auth_first_violation() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    s.handle_input(clock.at(10), Input::Message(bind_msg(1, 0, &["Pump1"])))
        .unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 1, "nothing is answered: {tx:?}");
    assert_close(&tx[0], CLOSE_POLICY_VIOLATION);
    assert!(events(&mut s).is_empty());
    assert!(reg.get("Pump1").is_none(), "nothing was bound");
    // Later messages, even AUTH, are ignored.
    s.handle_input(clock.at(20), Input::Message(auth_msg(2, KEY)))
        .unwrap();
    assert!(transmits(&mut s).is_empty());
    assert!(events(&mut s).is_empty());
    assert_eq!(
        timeout(&mut s),
        Some(clock.at(5_010)),
        "only the close deadline"
    );
    s.handle_input(clock.at(30), Input::Closed).unwrap();
    assert_eq!(
        events(&mut s),
        vec![closed(CloseReason::AuthNotFirst(0x0A))]
    );
    s.handle_input(clock.at(40), Input::Closed).unwrap();
    assert!(events(&mut s).is_empty(), "Closed comes once");
}

#[test]
fn get_first_is_an_auth_first_violation() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    s.handle_input(clock.at(0), Input::Message(get_msg(1, 0, "Pump1", "temp")))
        .unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 1);
    assert_close(&tx[0], CLOSE_POLICY_VIOLATION);
    assert!(events(&mut s).is_empty(), "no Request event");
    s.handle_input(clock.at(1), Input::Closed).unwrap();
    assert_eq!(
        events(&mut s),
        vec![closed(CloseReason::AuthNotFirst(0x01))]
    );
}

#[test]
fn garbage_first_is_an_error_and_a_violation() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    for bytes in [
        &[][..],
        &[0x01][..],
        &[0x01, 0x14, 0, 0][..],    // truncated AUTH
        &[0x01, 0x1F, 0, 0, 0][..], // KEEP_ALIVE
    ] {
        let mut s = session(&clock, 1, &reg);
        assert!(s
            .handle_input(clock.at(0), Input::Message(Bytes::copy_from_slice(bytes)))
            .is_err());
        let tx = transmits(&mut s);
        assert_eq!(tx.len(), 1, "{bytes:?}");
        assert_close(&tx[0], CLOSE_POLICY_VIOLATION);
        s.handle_input(clock.at(1), Input::Closed).unwrap();
        let code = bytes.get(1).copied().unwrap_or(0);
        let events = events(&mut s);
        if code == 0x14 {
            // The AUTH code, but the bytes do not decode: said so, with the error's offset.
            match &events[..] {
                [PlatformEvent::Closed {
                    reason: reason @ CloseReason::MalformedAuth(_),
                }] => {
                    let text = reason.to_string();
                    assert!(text.starts_with("malformed AUTH: "), "{text}");
                    assert!(text.contains("offset"), "{text}");
                }
                other => panic!("{other:?}"),
            }
        } else {
            assert_eq!(events, vec![closed(CloseReason::AuthNotFirst(code))]);
        }
    }
}

#[test]
fn auth_deadline_fires_at_15_s_and_not_before() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    assert_eq!(timeout(&mut s), Some(clock.at(15_000)));
    s.handle_input(clock.at(14_999), Input::Timeout).unwrap();
    assert!(transmits(&mut s).is_empty());
    assert!(events(&mut s).is_empty());
    s.handle_input(clock.at(15_000), Input::Timeout).unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 1);
    assert_close(&tx[0], CLOSE_POLICY_VIOLATION);
    assert!(events(&mut s).is_empty(), "Closed waits for handle_closed");
    s.handle_input(clock.at(16_000), Input::Timeout).unwrap();
    assert!(transmits(&mut s).is_empty(), "one close only");
    s.handle_input(clock.at(15_010), Input::Closed).unwrap();
    assert_eq!(events(&mut s), vec![closed(CloseReason::AuthTimeout)]);
}

#[test]
fn auth_deadline_is_configurable_and_stops_once_authenticated() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut config = PlatformConfig::default();
    config.auth_timeout = Duration::from_secs(3);
    let mut s = S::from(PlatformSession::new(
        clock.at(0),
        wall(0),
        1,
        config.clone(),
        reg.clone(),
    ));
    assert_eq!(timeout(&mut s), Some(clock.at(3_000)));
    s.handle_input(clock.at(3_000), Input::Timeout).unwrap();
    assert_close(&transmits(&mut s)[0], CLOSE_POLICY_VIOLATION);

    // A pending (undecided) AUTH does not stop the deadline.
    let mut s = S::from(PlatformSession::new(
        clock.at(0),
        wall(0),
        2,
        config.clone(),
        reg.clone(),
    ));
    s.handle_input(clock.at(1_000), Input::Message(auth_msg(1, KEY)))
        .unwrap();
    s.handle_input(clock.at(3_000), Input::Timeout).unwrap();
    assert_close(&transmits(&mut s)[0], CLOSE_POLICY_VIOLATION);
    assert_eq!(
        s.accept_auth(clock.at(3_001), 1),
        Err(RespondError::NotConnected)
    );

    // Once accepted, only the idle deadline remains.
    let mut s = S::from(PlatformSession::new(clock.at(0), wall(0), 3, config, reg));
    authenticate(&mut s, &clock, 1_000, 1);
    assert_eq!(timeout(&mut s), Some(clock.at(61_000)));
    s.handle_input(clock.at(3_000), Input::Timeout).unwrap();
    assert!(transmits(&mut s).is_empty());
    assert!(s.is_authenticated());
}

#[test]
fn accepted_auth_answers_success_with_the_session_id() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 41, &reg);
    assert_eq!(s.session_id(), None);
    s.handle_input(clock.at(5), Input::Message(auth_msg(7, KEY)))
        .unwrap();
    assert!(!s.is_authenticated());
    assert_eq!(
        s.accept_auth(clock.at(6), 8),
        Err(RespondError::UnknownRequest(8))
    );
    let _ = events(&mut s);
    let sid = s.accept_auth(clock.at(6), 7).unwrap();
    assert_eq!(sid, session_id_for(41));
    assert_ne!(sid, 0);
    assert_ne!(sid, AUTH_SESSION_ID);
    assert!(s.is_authenticated());
    assert_eq!(s.session_id(), Some(sid));
    let tx = transmits(&mut s);
    let Transmit::Message(bytes) = &tx[0] else {
        panic!("{tx:?}")
    };
    // version, SUCCESS, request id 7, endpoint 0, session id, not multipart, body 00 FF.
    let mut expected = vec![1, 0x40, 0, 0, 0, 7, 0, 0, 0, 0];
    expected.extend_from_slice(&sid.to_be_bytes());
    expected.extend_from_slice(&[0, 0x00, 0xFF]);
    assert_eq!(&bytes[..], &expected[..]);
    assert_eq!(
        s.accept_auth(clock.at(7), 7),
        Err(RespondError::UnknownRequest(7)),
        "decided once"
    );
}

#[test]
fn wrong_key_is_rejected_with_unauthorized_then_closed() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    s.handle_input(clock.at(0), Input::Message(auth_msg(3, "wrong")))
        .unwrap();
    let ev = events(&mut s);
    let [PlatformEvent::AuthRequested { request_id, auth }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(auth.app_key_value().unwrap(), "wrong");
    s.reject_auth(clock.at(1), *request_id).unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 2, "{tx:?}");
    let m = decode(&tx[0]);
    assert_eq!(m.header.request_id, 3);
    assert_eq!(response_of(&m).status, StatusCode::UNAUTHORIZED);
    assert_close(&tx[1], CLOSE_POLICY_VIOLATION);
    assert!(!s.is_authenticated());
    s.handle_input(clock.at(2), Input::Closed).unwrap();
    assert_eq!(events(&mut s), vec![closed(CloseReason::AuthRejected)]);
}

#[test]
fn repeated_auth_on_one_socket_is_revalidated() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 5, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    bind_ok(&mut s, &clock, 10, 2, sid, &["T"]);
    // The SDK retries AUTH (+ BIND) on the same socket.
    let sid2 = authenticate(&mut s, &clock, 20, 3);
    assert_eq!(sid2, sid, "deterministic per connection");
    let ev = bind_ok(&mut s, &clock, 30, 4, sid, &["T"]);
    assert!(ev.is_empty(), "re-BIND is idempotent: {ev:?}");
    assert_eq!(reg.connection_of("T"), Some(5));

    // A re-AUTH with a bad key closes the connection and releases its things.
    s.handle_input(clock.at(40), Input::Message(auth_msg(5, "bad")))
        .unwrap();
    let _ = events(&mut s);
    s.reject_auth(clock.at(41), 5).unwrap();
    let tx = transmits(&mut s);
    assert_eq!(
        response_of(&decode(&tx[0])).status,
        StatusCode::UNAUTHORIZED
    );
    assert_close(&tx[1], CLOSE_POLICY_VIOLATION);
    s.handle_input(clock.at(42), Input::Closed).unwrap();
    assert_eq!(
        events(&mut s),
        vec![unbound("T"), closed(CloseReason::AuthRejected)]
    );
    assert!(!reg.get("T").unwrap().is_connected);
}

#[test]
fn messages_are_held_while_the_auth_decision_is_pending() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 9, &reg);
    let sid = session_id_for(9);
    s.handle_input(clock.at(0), Input::Message(auth_msg(1, KEY)))
        .unwrap();
    s.handle_input(clock.at(1_000), Input::Message(bind_msg(2, sid, &["A"])))
        .unwrap();
    s.handle_input(clock.at(2_000), Input::Message(get_msg(3, sid, "A", "p")))
        .unwrap();
    assert!(
        transmits(&mut s).is_empty(),
        "nothing answered before the decision"
    );
    assert!(matches!(
        &events(&mut s)[..],
        [PlatformEvent::AuthRequested { request_id: 1, .. }]
    ));
    assert!(reg.get("A").is_none());
    s.accept_auth(clock.at(3_000), 1).unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 2);
    assert_eq!(decode(&tx[0]).header.request_id, 1);
    let bind_resp = decode(&tx[1]);
    assert_eq!(bind_resp.header.request_id, 2);
    assert_eq!(response_of(&bind_resp).status, StatusCode::SUCCESS);
    let ev = events(&mut s);
    assert_eq!(ev[0], PlatformEvent::Authenticated { session_id: sid });
    assert_eq!(ev[1], bound("A"));
    assert!(matches!(&ev[2], PlatformEvent::Request { id: 3, .. }));
    // The BIND's wall-clock time is when it arrived, not when it was processed.
    assert_eq!(reg.get("A").unwrap().last_connection, Some(wall(1)));
}

#[test]
fn rejected_auth_discards_held_messages() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 9, &reg);
    s.handle_input(clock.at(0), Input::Message(auth_msg(1, "bad")))
        .unwrap();
    s.handle_input(clock.at(1), Input::Message(bind_msg(2, 0, &["A"])))
        .unwrap();
    s.reject_auth(clock.at(2), 1).unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 2);
    assert_eq!(
        response_of(&decode(&tx[0])).status,
        StatusCode::UNAUTHORIZED
    );
    assert!(reg.get("A").is_none());
}

// ---------------------------------------------------------------------------------------
// BIND / UNBIND and the registry
// ---------------------------------------------------------------------------------------

#[test]
fn bind_unbind_and_disconnect_update_the_registry() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    let ev = bind_ok(&mut s, &clock, 1_000, 2, sid, &["A", "B", "C"]);
    assert_eq!(ev, vec![bound("A"), bound("B"), bound("C")]);
    for n in ["A", "B", "C"] {
        let st = reg.get(n).unwrap();
        assert!(st.is_connected);
        assert_eq!(st.connection, Some(1));
        assert_eq!(st.last_connection, Some(wall(1)));
    }
    assert_eq!(s.bound_things(), names(&["A", "B", "C"]));

    s.handle_input(clock.at(2_000), Input::Message(unbind_msg(3, sid, &["A"])))
        .unwrap();
    let tx = transmits(&mut s);
    assert_eq!(response_of(&decode(&tx[0])).status, StatusCode::SUCCESS);
    assert_eq!(events(&mut s), vec![unbound("A")]);
    let a = reg.get("A").unwrap();
    assert!(!a.is_connected);
    assert_eq!(a.connection, None);
    assert_eq!(a.last_connection, Some(wall(2)));

    s.handle_input(clock.at(3_000), Input::Closed).unwrap();
    assert_eq!(
        events(&mut s),
        vec![
            unbound("B"),
            unbound("C"),
            closed(CloseReason::ConnectionLost)
        ]
    );
    for n in ["B", "C"] {
        let st = reg.get(n).unwrap();
        assert!(!st.is_connected);
        assert_eq!(st.last_connection, Some(wall(3)));
    }
    assert_eq!(reg.get("A").unwrap().last_connection, Some(wall(2)));
    assert!(s.bound_things().is_empty());
    let snapshot: Vec<_> = reg.snapshot().into_iter().map(|t| t.name).collect();
    assert_eq!(snapshot, names(&["A", "B", "C"]));
}

#[test]
fn duplicate_names_in_one_bind_are_idempotent() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    let ev = bind_ok(&mut s, &clock, 0, 2, sid, &["A", "A", "B", "A"]);
    assert_eq!(ev, vec![bound("A"), bound("B")]);
    assert_eq!(reg.bound_to(1), names(&["A", "B"]));
}

#[test]
fn unbind_of_a_thing_bound_elsewhere_is_answered_and_changes_nothing() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s1 = session(&clock, 1, &reg);
    let mut s2 = session(&clock, 2, &reg);
    let sid1 = authenticate(&mut s1, &clock, 0, 1);
    let sid2 = authenticate(&mut s2, &clock, 0, 1);
    bind_ok(&mut s1, &clock, 0, 2, sid1, &["T"]);
    s2.handle_input(
        clock.at(1),
        Input::Message(unbind_msg(2, sid2, &["T", "Nope"])),
    )
    .unwrap();
    let tx = transmits(&mut s2);
    assert_eq!(response_of(&decode(&tx[0])).status, StatusCode::SUCCESS);
    assert!(events(&mut s2).is_empty());
    assert_eq!(reg.connection_of("T"), Some(1));
    assert!(reg.get("Nope").is_none());
}

#[test]
fn first_in_wins_refuses_the_second_connection() {
    let clock = Clock::new();
    let reg = ThingRegistry::new(BindPolicy::FirstInWins);
    let mut s1 = session(&clock, 1, &reg);
    let mut s2 = session(&clock, 2, &reg);
    let sid1 = authenticate(&mut s1, &clock, 0, 1);
    let sid2 = authenticate(&mut s2, &clock, 0, 1);
    bind_ok(&mut s1, &clock, 1_000, 2, sid1, &["T"]);

    s2.handle_input(
        clock.at(2_000),
        Input::Message(bind_msg(2, sid2, &["T", "U"])),
    )
    .unwrap();
    let tx = transmits(&mut s2);
    assert_eq!(tx.len(), 1);
    let m = decode(&tx[0]);
    assert_eq!(m.header.request_id, 2);
    let r = response_of(&m);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.reason.as_ref().unwrap().to_str_lossy().contains('T'));
    assert_eq!(
        events(&mut s2),
        vec![
            PlatformEvent::BindRefused {
                name: "T".into(),
                holder: 1
            },
            bound("U"),
        ]
    );
    let t = reg.get("T").unwrap();
    assert_eq!(t.connection, Some(1));
    assert_eq!(t.last_connection, Some(wall(1)));
    assert_eq!(reg.connection_of("U"), Some(2), "accepted names stay bound");
    assert!(events(&mut s1).is_empty(), "the holder is not disturbed");
    assert_eq!(s2.bound_things(), names(&["U"]));

    // The holder goes away; the SDK's retry of AUTH + BIND then succeeds.
    s1.handle_input(clock.at(3_000), Input::Closed).unwrap();
    authenticate(&mut s2, &clock, 4_000, 3);
    let ev = bind_ok(&mut s2, &clock, 4_000, 4, sid2, &["T", "U"]);
    assert_eq!(ev, vec![bound("T")]);
    assert_eq!(reg.connection_of("T"), Some(2));
}

#[test]
fn last_in_wins_moves_the_thing_and_the_old_session_lets_go() {
    let clock = Clock::new();
    let reg = ThingRegistry::new(BindPolicy::LastInWins);
    let mut s1 = session(&clock, 1, &reg);
    let mut s2 = session(&clock, 2, &reg);
    let sid1 = authenticate(&mut s1, &clock, 0, 1);
    let sid2 = authenticate(&mut s2, &clock, 0, 1);
    bind_ok(&mut s1, &clock, 1_000, 2, sid1, &["T", "V"]);
    let ev = bind_ok(&mut s2, &clock, 2_000, 2, sid2, &["T"]);
    assert_eq!(
        ev,
        vec![
            bound("T"),
            PlatformEvent::ThingMoved {
                name: "T".into(),
                from: 1
            }
        ]
    );
    let t = reg.get("T").unwrap();
    assert_eq!(t.connection, Some(2));
    assert!(t.is_connected);
    assert_eq!(t.last_connection, Some(wall(2)));

    // The runtime relays the move to the old session.
    s1.handle_connection_event(ConnectionEvent::ThingTaken { name: "T".into() });
    assert_eq!(events(&mut s1), vec![unbound("T")]);
    assert_eq!(s1.bound_things(), names(&["V"]));
    assert_eq!(
        s1.request(clock.at(2_002), Request::read_property("T", "p")),
        Err(RequestError::NotBound("T".into()))
    );
    assert!(transmits(&mut s1).is_empty());
    assert!(s2
        .request(clock.at(2_002), Request::read_property("T", "p"))
        .is_ok());

    // A stale notification for a thing still held here is ignored.
    s1.handle_connection_event(ConnectionEvent::ThingTaken { name: "V".into() });
    assert!(events(&mut s1).is_empty());

    // The old connection closing does not release the moved thing.
    s1.handle_input(clock.at(3_000), Input::Closed).unwrap();
    assert_eq!(
        events(&mut s1),
        vec![unbound("V"), closed(CloseReason::ConnectionLost)]
    );
    assert_eq!(reg.connection_of("T"), Some(2));
    assert_eq!(reg.get("T").unwrap().last_connection, Some(wall(2)));
}

#[test]
fn a_chunked_bind_of_hundreds_of_names_is_reassembled() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    let list: Vec<String> = (0..600).map(|i| format!("Thing-{i:04}")).collect();
    let message = Message {
        header: Header::new(2, sid),
        body: Body::Bind(Bind {
            gateway: None,
            names: list.iter().map(WireString::from).collect(),
        }),
    };
    let Split::Chunks(chunks) = split(&message, 1024).unwrap() else {
        panic!("expected chunks")
    };
    assert!(chunks.len() > 3);
    // Out of order: last chunk first.
    let mut order: Vec<usize> = (0..chunks.len()).collect();
    order.rotate_right(1);
    for (n, i) in order.iter().enumerate() {
        s.handle_input(clock.at(10 + n as u64), Input::Message(chunks[*i].clone()))
            .unwrap();
        if n + 1 < chunks.len() {
            assert!(transmits(&mut s).is_empty());
        }
    }
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 1);
    let m = decode(&tx[0]);
    assert_eq!(m.header.request_id, 2);
    assert_eq!(response_of(&m).status, StatusCode::SUCCESS);
    let ev = events(&mut s);
    assert_eq!(ev.len(), 600);
    assert_eq!(reg.bound_to(1).len(), 600);
    assert_eq!(s.bound_things().len(), 600);
    assert!(reg.get("Thing-0599").unwrap().is_connected);
}

// ---------------------------------------------------------------------------------------
// Requests in both directions
// ---------------------------------------------------------------------------------------

#[test]
fn platform_request_to_an_unbound_thing_is_refused_and_nothing_sent() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    assert_eq!(
        s.request(clock.at(0), Request::read_property("T", "p")),
        Err(RequestError::NotAuthenticated)
    );
    let sid = authenticate(&mut s, &clock, 0, 1);
    assert_eq!(
        s.request(clock.at(0), Request::read_property("T", "p")),
        Err(RequestError::NotBound("T".into()))
    );
    assert!(transmits(&mut s).is_empty());
    assert!(events(&mut s).is_empty());
    bind_ok(&mut s, &clock, 0, 2, sid, &["T"]);
    s.handle_input(clock.at(0), Input::Message(unbind_msg(3, sid, &["T"])))
        .unwrap();
    let _ = transmits(&mut s);
    assert_eq!(
        s.request(clock.at(0), Request::read_property("T", "p")),
        Err(RequestError::NotBound("T".into()))
    );
    assert!(transmits(&mut s).is_empty());
}

#[test]
fn platform_request_response_timeout_and_late_response() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 3, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    bind_ok(&mut s, &clock, 0, 2, sid, &["T"]);
    let _ = events(&mut s);

    // Answered.
    let id = s
        .request(clock.at(1_000), Request::read_property("T", "p"))
        .unwrap();
    let tx = transmits(&mut s);
    let m = decode(&tx[0]);
    assert_eq!(m.header.request_id, id);
    assert_eq!(m.header.session_id, sid);
    assert!(matches!(&m.body, Body::Request(r) if r.entity_name == "T"));
    s.handle_input(
        clock.at(1_500),
        Input::Message(response_msg(id, sid, Response::success())),
    )
    .unwrap();
    assert_eq!(
        events(&mut s),
        vec![PlatformEvent::Response {
            id,
            result: Ok(Response::success())
        }]
    );

    // Timed out at exactly 10 s, then the late response is dropped and counted.
    let id2 = s
        .request(clock.at(2_000), Request::read_property("T", "p"))
        .unwrap();
    assert_ne!(id2, id);
    let _ = transmits(&mut s);
    assert_eq!(timeout(&mut s), Some(clock.at(12_000)));
    s.handle_input(clock.at(11_999), Input::Timeout).unwrap();
    assert!(events(&mut s).is_empty());
    s.handle_input(clock.at(12_000), Input::Timeout).unwrap();
    assert_eq!(
        events(&mut s),
        vec![PlatformEvent::Response {
            id: id2,
            result: Err(RequestError::Timeout)
        }]
    );
    s.handle_input(
        clock.at(13_000),
        Input::Message(response_msg(id2, sid, Response::success())),
    )
    .unwrap();
    assert!(events(&mut s).is_empty());
    assert_eq!(s.stats().late_responses, 1);
    // An id that never existed.
    s.handle_input(
        clock.at(13_000),
        Input::Message(response_msg(999, sid, Response::success())),
    )
    .unwrap();
    assert!(events(&mut s).is_empty());
    assert_eq!(s.stats().unmatched_responses, 1);
    // A second answer to the late id is late no more: it matches nothing.
    s.handle_input(
        clock.at(13_000),
        Input::Message(response_msg(id2, sid, Response::success())),
    )
    .unwrap();
    assert!(events(&mut s).is_empty());
    assert_eq!(s.stats().late_responses, 1);
    assert_eq!(s.stats().unmatched_responses, 2);
    assert!(transmits(&mut s).is_empty(), "responses are never answered");

    // Disconnect ends waiting requests.
    let id3 = s
        .request(clock.at(14_000), Request::read_property("T", "p"))
        .unwrap();
    s.handle_input(clock.at(15_000), Input::Closed).unwrap();
    assert_eq!(
        events(&mut s),
        vec![
            PlatformEvent::Response {
                id: id3,
                result: Err(RequestError::Disconnected)
            },
            unbound("T"),
            closed(CloseReason::ConnectionLost)
        ]
    );
}

#[test]
fn edge_request_becomes_an_event_and_respond_answers_it() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 77, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    // A request before any BIND (offline replay) is delivered too. Endpoint id echoed.
    let bytes = encode(
        Header {
            version: 1,
            request_id: 1234,
            endpoint_id: 5,
            session_id: sid,
        },
        Body::Request(Request::read_property("Pump1", "temp")),
    );
    s.handle_input(clock.at(10), Input::Message(bytes)).unwrap();
    let ev = events(&mut s);
    let [PlatformEvent::Request { id: 1234, request }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(request.entity_name, "Pump1");
    assert!(transmits(&mut s).is_empty());
    assert_eq!(
        s.respond(99, Response::success()),
        Err(RespondError::UnknownRequest(99))
    );
    let answer = Response::error(StatusCode::NOT_FOUND, "no such property");
    s.respond(1234, answer.clone()).unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 1);
    let m = decode(&tx[0]);
    assert_eq!(m.header.request_id, 1234);
    assert_eq!(m.header.session_id, sid);
    assert_eq!(m.header.endpoint_id, 5);
    assert_eq!(response_of(&m), &answer);
    assert_eq!(
        s.respond(1234, Response::success()),
        Err(RespondError::UnknownRequest(1234)),
        "answered once"
    );
}

#[test]
fn decode_errors_after_auth_do_not_close() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    let keep_alive = Bytes::from_static(&[1, 0x1F, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    assert!(s
        .handle_input(clock.at(1), Input::Message(keep_alive))
        .is_err());
    assert!(s
        .handle_input(clock.at(2), Input::Message(Bytes::from_static(&[1, 2, 3])))
        .is_err());
    assert!(transmits(&mut s).is_empty());
    assert!(events(&mut s).is_empty());
    assert!(s.is_authenticated());
    // A stray AUTH response from the edge is dropped.
    s.handle_input(
        clock.at(3),
        Input::Message(response_msg(1, sid, Response::success())),
    )
    .unwrap();
    assert!(transmits(&mut s).is_empty());
    assert!(events(&mut s).is_empty());
    bind_ok(&mut s, &clock, 4, 2, sid, &["T"]);
}

// ---------------------------------------------------------------------------------------
// Idle timeout and local close
// ---------------------------------------------------------------------------------------

#[test]
fn idle_timeout_is_refreshed_by_messages_and_pings() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let sid = authenticate(&mut s, &clock, 1_000, 1);
    assert_eq!(timeout(&mut s), Some(clock.at(61_000)));
    s.handle_input(clock.at(30_000), Input::Ping).unwrap();
    assert_eq!(timeout(&mut s), Some(clock.at(90_000)));
    s.handle_input(clock.at(61_000), Input::Timeout).unwrap();
    assert!(transmits(&mut s).is_empty());
    bind_ok(&mut s, &clock, 50_000, 2, sid, &["T"]);
    assert_eq!(timeout(&mut s), Some(clock.at(110_000)));
    s.handle_input(clock.at(109_999), Input::Timeout).unwrap();
    assert!(transmits(&mut s).is_empty());
    s.handle_input(clock.at(110_000), Input::Timeout).unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 1);
    assert_close(&tx[0], CLOSE_NORMAL);
    // Only the close deadline is left (PlatformConfig::close_timeout, 5 s).
    assert_eq!(timeout(&mut s), Some(clock.at(115_000)));
    s.handle_input(clock.at(110_001), Input::Closed).unwrap();
    assert_eq!(
        events(&mut s),
        vec![unbound("T"), closed(CloseReason::IdleTimeout)]
    );
    assert!(!reg.get("T").unwrap().is_connected);
}

#[test]
fn local_close_fails_requests_and_reports_closed_after_handle_closed() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    bind_ok(&mut s, &clock, 0, 2, sid, &["T"]);
    let _ = events(&mut s);
    let id = s
        .request(clock.at(1), Request::read_property("T", "p"))
        .unwrap();
    let _ = transmits(&mut s);
    s.close(clock.at(2), "maintenance");
    assert_eq!(
        transmits(&mut s),
        vec![Transmit::Close {
            code: CLOSE_NORMAL,
            reason: "maintenance".into()
        }]
    );
    assert_eq!(
        events(&mut s),
        vec![PlatformEvent::Response {
            id,
            result: Err(RequestError::Closed)
        }]
    );
    assert!(!s.is_authenticated());
    assert_eq!(
        s.request(clock.at(3), Request::read_property("T", "p")),
        Err(RequestError::Closed)
    );
    s.close(clock.at(3), "again");
    assert!(transmits(&mut s).is_empty(), "one close");
    assert_eq!(reg.connection_of("T"), Some(1), "released at handle_closed");
    s.handle_input(clock.at(4), Input::Closed).unwrap();
    assert_eq!(
        events(&mut s),
        vec![
            unbound("T"),
            closed(CloseReason::Local("maintenance".into()))
        ]
    );
    assert_eq!(reg.connection_of("T"), None);
    assert!(s.is_closed());
}

#[test]
fn long_close_reasons_are_truncated() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let reason = "é".repeat(100);
    s.close(clock.at(0), &reason);
    let tx = transmits(&mut s);
    assert_close(&tx[0], CLOSE_NORMAL);
    s.handle_input(clock.at(1), Input::Closed).unwrap();
    assert_eq!(events(&mut s), vec![closed(CloseReason::Local(reason))]);
}

#[test]
fn dropping_a_session_without_handle_closed_releases_its_things() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    bind_ok(&mut s, &clock, 1_000, 2, sid, &["T"]);
    drop(s);
    let t = reg.get("T").unwrap();
    assert!(!t.is_connected);
    assert_eq!(t.connection, None);
    assert_eq!(t.last_connection, Some(wall(1)), "no clock: left as it was");
    let mut s2 = session(&clock, 2, &reg);
    let sid2 = authenticate(&mut s2, &clock, 2_000, 1);
    assert_eq!(
        bind_ok(&mut s2, &clock, 2_000, 2, sid2, &["T"]),
        vec![bound("T")]
    );
}

#[test]
fn tiny_chunk_sizes_are_clamped_so_answers_still_go_out() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut config = PlatformConfig::default();
    config.chunk_size = 1;
    let mut s = S::from(PlatformSession::new(
        clock.at(0),
        wall(0),
        1,
        config,
        reg.clone(),
    ));
    let sid = authenticate(&mut s, &clock, 0, 1);
    bind_ok(&mut s, &clock, 0, 2, sid, &["T"]);
}

#[test]
fn thing_taken_by_raw_name_bytes() {
    let clock = Clock::new();
    let reg = ThingRegistry::new(BindPolicy::LastInWins);
    let mut s1 = session(&clock, 1, &reg);
    let mut s2 = session(&clock, 2, &reg);
    let sid1 = authenticate(&mut s1, &clock, 0, 1);
    let sid2 = authenticate(&mut s2, &clock, 0, 1);
    let odd = WireString::from_bytes(vec![b'T', 0xFF]);
    let bind_odd = |rid, sid| {
        encode(
            Header::new(rid, sid),
            Body::Bind(Bind {
                gateway: None,
                names: vec![odd.clone()],
            }),
        )
    };
    s1.handle_input(clock.at(1), Input::Message(bind_odd(2, sid1)))
        .unwrap();
    s2.handle_input(clock.at(2), Input::Message(bind_odd(2, sid2)))
        .unwrap();
    let moved = events(&mut s2)
        .into_iter()
        .find_map(|e| match e {
            PlatformEvent::ThingMoved { name, from } => Some((name, from)),
            _ => None,
        })
        .unwrap();
    assert_eq!(moved, (odd.clone(), 1));
    let _ = events(&mut s1);
    s1.handle_connection_event(ConnectionEvent::ThingTaken {
        name: moved.0.clone(),
    });
    assert_eq!(events(&mut s1), vec![PlatformEvent::Unbound { name: odd }]);
    assert!(s1.bound_things().is_empty());
}

#[test]
fn a_newer_auth_supersedes_an_undecided_one() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 4, &reg);
    s.handle_input(clock.at(0), Input::Message(auth_msg(1, KEY)))
        .unwrap();
    s.handle_input(clock.at(10), Input::Message(auth_msg(2, KEY)))
        .unwrap();
    let ev = events(&mut s);
    assert!(matches!(
        &ev[..],
        [
            PlatformEvent::AuthRequested { request_id: 1, .. },
            PlatformEvent::AuthRequested { request_id: 2, .. }
        ]
    ));
    assert_eq!(
        s.accept_auth(clock.at(11), 1),
        Err(RespondError::UnknownRequest(1))
    );
    assert!(transmits(&mut s).is_empty());
    s.accept_auth(clock.at(11), 2).unwrap();
    let tx = transmits(&mut s);
    assert_eq!(tx.len(), 1);
    assert_eq!(decode(&tx[0]).header.request_id, 2);
}

#[test]
fn held_messages_are_bounded_and_overflow_is_counted() {
    use alwayson_proto::platform::MAX_QUEUED_WHILE_AUTH_PENDING;
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 4, &reg);
    let sid = session_id_for(4);
    s.handle_input(clock.at(0), Input::Message(auth_msg(1, KEY)))
        .unwrap();
    let extra = 5;
    for rid in 0..(MAX_QUEUED_WHILE_AUTH_PENDING + extra) as u32 {
        s.handle_input(
            clock.at(1),
            Input::Message(get_msg(100 + rid, sid, "T", "p")),
        )
        .unwrap();
    }
    assert_eq!(s.stats().dropped_messages, extra as u64);
    let _ = events(&mut s);
    s.accept_auth(clock.at(2), 1).unwrap();
    let requests = events(&mut s)
        .into_iter()
        .filter(|e| matches!(e, PlatformEvent::Request { .. }))
        .count();
    assert_eq!(requests, MAX_QUEUED_WHILE_AUTH_PENDING);
}

#[test]
fn edge_receive_guard_refuses_multipart_the_edge_would_drop() {
    // A C SDK 1.3.1 edge (defaults 8192 / 16384) silently drops a multipart message whose
    // chunk count × chunk size exceeds 16384 (sdk-quirks.md Q9): refuse it up front.
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut config = PlatformConfig::default();
    config.chunk_size = 8192;
    config.edge_max_message_size = Some(16384);
    let mut s = S::from(PlatformSession::new(
        clock.at(0),
        wall(0),
        1,
        config,
        reg.clone(),
    ));
    let sid = authenticate(&mut s, &clock, 0, 1);
    bind_ok(&mut s, &clock, 0, 2, sid, &["T"]);
    transmits(&mut s);

    // ~20 KB needs 3 chunks of 8192: refused, nothing sent, no event.
    let big = Request::write_property("T", "p", Value::string("x".repeat(20_000)));
    assert_eq!(
        s.request(clock.at(1), big),
        Err(RequestError::ExceedsPeerLimit {
            chunks: 3,
            chunk_size: 8192,
            max: 16384
        })
    );
    assert!(transmits(&mut s).is_empty());
    assert!(events(&mut s).is_empty());

    // ~12 KB fits in 2 chunks: sent as exactly two chunks, none larger than 8192.
    let fits = Request::write_property("T", "p", Value::string("x".repeat(12_000)));
    assert!(s.request(clock.at(1), fits).is_ok());
    let sent = transmits(&mut s);
    assert_eq!(sent.len(), 2);
    for t in &sent {
        let Transmit::Message(bytes) = t else {
            panic!("expected a message, got {t:?}");
        };
        assert!(bytes.len() <= 8192);
        assert_eq!(bytes[14], 1, "multipart byte");
    }

    // Without the guard (the default) the 3-chunk message goes out.
    let mut open = session(&clock, 2, &reg);
    let sid = authenticate(&mut open, &clock, 0, 1);
    bind_ok(&mut open, &clock, 0, 2, sid, &["U"]);
    transmits(&mut open);
    let big = Request::write_property("U", "p", Value::string("x".repeat(20_000)));
    assert!(open.request(clock.at(1), big).is_ok());
    assert_eq!(transmits(&mut open).len(), 3);
}

#[test]
fn a_close_of_ours_ends_the_session_at_the_close_deadline_without_closed() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    let sid = authenticate(&mut s, &clock, 0, 1);
    bind_ok(&mut s, &clock, 0, 2, sid, &["T"]);
    let _ = events(&mut s);
    s.close(clock.at(1_000), "maintenance");
    assert_close(&transmits(&mut s)[0], CLOSE_NORMAL);
    assert_eq!(timeout(&mut s), Some(clock.at(6_000)), "close_timeout 5 s");
    s.handle_input(clock.at(5_999), Input::Timeout).unwrap();
    assert!(events(&mut s).is_empty(), "still waiting for the websocket");
    assert!(!s.is_closed());
    // The runtime never reports the websocket gone: the session ends anyway.
    s.handle_input(clock.at(6_000), Input::Timeout).unwrap();
    assert_eq!(
        events(&mut s),
        vec![
            unbound("T"),
            closed(CloseReason::Local("maintenance".into()))
        ]
    );
    assert!(s.is_closed());
    assert!(!reg.get("T").unwrap().is_connected);
    assert_eq!(timeout(&mut s), None);
    // A late Closed changes nothing.
    s.handle_input(clock.at(7_000), Input::Closed).unwrap();
    assert!(events(&mut s).is_empty());

    // Configurable, and for closes the session decides itself (here the auth deadline).
    let mut config = PlatformConfig::default();
    config.close_timeout = Duration::from_millis(300);
    let mut s = S::from(PlatformSession::new(clock.at(0), wall(0), 2, config, reg));
    s.handle_input(clock.at(15_000), Input::Timeout).unwrap();
    assert_close(&transmits(&mut s)[0], CLOSE_POLICY_VIOLATION);
    assert_eq!(timeout(&mut s), Some(clock.at(15_300)));
    s.handle_input(clock.at(15_300), Input::Timeout).unwrap();
    assert_eq!(events(&mut s), vec![closed(CloseReason::AuthTimeout)]);
}

#[test]
fn the_idle_deadline_restarts_when_the_auth_is_accepted() {
    let clock = Clock::new();
    let reg = ThingRegistry::default();
    let mut s = session(&clock, 1, &reg);
    s.handle_input(clock.at(1_000), Input::Message(auth_msg(1, KEY)))
        .unwrap();
    let _ = events(&mut s);
    // The application takes 10 s to decide; the edge waits for the answer meanwhile.
    s.accept_auth(clock.at(11_000), 1).unwrap();
    assert_eq!(timeout(&mut s), Some(clock.at(71_000)));
    s.handle_input(clock.at(61_000), Input::Timeout).unwrap();
    assert!(transmits(&mut s)
        .iter()
        .all(|t| !matches!(t, Transmit::Close { .. })));
}
