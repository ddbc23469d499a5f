//! Property test: random inputs (bytes, well-formed and mutated messages, chunked BINDs,
//! time steps, application commands, disconnects) over three platform sessions sharing one
//! registry never panic, and the session invariants hold. The sessions come from one
//! [`Endpoint`], are driven through `handle_input` / `poll_output`, and the endpoint relays
//! moved things (the harness only carries its events to the connection they name).
#![allow(clippy::unwrap_used)]

use alwayson_proto::multipart::{split, Split};
use alwayson_proto::platform::{
    session_id_for, AuthPolicy, BindPolicy, ConnectionEvent, Endpoint, Handshake, PlatformConfig,
    PlatformEvent, PlatformSession, ThingRegistry,
};
use alwayson_proto::{
    Auth, Bind, Body, Frame, Header, Input, Message, Output, Request, Response, StatusCode,
    Transmit, WireString, AUTH_SESSION_ID,
};
use bytes::Bytes;
use proptest::prelude::*;
use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

const THINGS: [&str; 4] = [
    "Alpha-Thing-0000",
    "Bravo-Thing-0001",
    "Charlie-Thing-02",
    "Delta-Thing-0003",
];
const SLOTS: usize = 3;

#[derive(Debug, Clone)]
enum EdgeMsg {
    Auth { good: bool, rid: u32 },
    Bind { things: Vec<usize>, rid: u32 },
    Unbind { things: Vec<usize>, rid: u32 },
    Get { thing: usize, rid: u32 },
    Response { pick: usize, rid: u32, ok: bool },
}

#[derive(Debug, Clone)]
enum Op {
    Raw {
        slot: usize,
        bytes: Vec<u8>,
    },
    Send {
        slot: usize,
        msg: EdgeMsg,
    },
    Mutated {
        slot: usize,
        msg: EdgeMsg,
        pos: usize,
        byte: u8,
    },
    Chunked {
        slot: usize,
        things: Vec<usize>,
        rid: u32,
        skip: Option<usize>,
    },
    Decide {
        slot: usize,
        accept: bool,
    },
    Respond {
        slot: usize,
        pick: usize,
    },
    Request {
        slot: usize,
        thing: usize,
    },
    Advance {
        ms: u64,
    },
    Ping {
        slot: usize,
    },
    Close {
        slot: usize,
    },
    Disconnect {
        slot: usize,
    },
    Reopen {
        slot: usize,
        auth: bool,
    },
}

fn things() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..THINGS.len(), 0..6)
}

fn edge_msg() -> impl Strategy<Value = EdgeMsg> {
    prop_oneof![
        3 => (any::<bool>(), 1..20u32).prop_map(|(good, rid)| EdgeMsg::Auth { good: good || rid % 3 != 0, rid }),
        3 => (things(), 1..20u32).prop_map(|(things, rid)| EdgeMsg::Bind { things, rid }),
        2 => (things(), 1..20u32).prop_map(|(things, rid)| EdgeMsg::Unbind { things, rid }),
        2 => (0..THINGS.len(), 1..20u32).prop_map(|(thing, rid)| EdgeMsg::Get { thing, rid }),
        2 => (any::<usize>(), 1..20u32, any::<bool>())
            .prop_map(|(pick, rid, ok)| EdgeMsg::Response { pick, rid, ok }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..SLOTS;
    prop_oneof![
        1 => (slot.clone(), prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(slot, bytes)| Op::Raw { slot, bytes }),
        8 => (slot.clone(), edge_msg()).prop_map(|(slot, msg)| Op::Send { slot, msg }),
        2 => (slot.clone(), edge_msg(), any::<usize>(), any::<u8>())
            .prop_map(|(slot, msg, pos, byte)| Op::Mutated { slot, msg, pos, byte }),
        2 => (slot.clone(), things(), 1..20u32, prop::option::of(0..4usize))
            .prop_map(|(slot, things, rid, skip)| Op::Chunked { slot, things, rid, skip }),
        5 => (slot.clone(), any::<bool>())
            .prop_map(|(slot, accept)| Op::Decide { slot, accept: accept || slot == 0 }),
        2 => (slot.clone(), any::<usize>()).prop_map(|(slot, pick)| Op::Respond { slot, pick }),
        3 => (slot.clone(), 0..THINGS.len()).prop_map(|(slot, thing)| Op::Request { slot, thing }),
        3 => prop_oneof![4 => 0..50u64, 2 => 0..20_000u64, 1 => Just(10_000u64), 1 => Just(15_000u64)]
            .prop_map(|ms| Op::Advance { ms }),
        1 => slot.clone().prop_map(|slot| Op::Ping { slot }),
        1 => slot.clone().prop_map(|slot| Op::Close { slot }),
        1 => slot.clone().prop_map(|slot| Op::Disconnect { slot }),
        2 => (slot, prop::bool::weighted(0.8)).prop_map(|(slot, auth)| Op::Reopen { slot, auth }),
    ]
}

/// One connection as the test tracks it.
struct Slot {
    session: PlatformSession,
    conn: u64,
    /// Request ids of AUTH messages sent to it.
    auth_rids: HashSet<u32>,
    last_auth: Option<u32>,
    edge_requests: Vec<u32>,
    outstanding: HashSet<u32>,
    close_sent: bool,
    closed_seen: bool,
    /// The deadline that ended the last drain.
    deadline: Option<Instant>,
}

impl Slot {
    fn new(now: Instant, wall: SystemTime, endpoint: &mut Endpoint) -> Self {
        let (conn, session) = endpoint.accept(now, wall, &Handshake::default());
        Self {
            session,
            conn,
            auth_rids: HashSet::new(),
            last_auth: None,
            edge_requests: Vec::new(),
            outstanding: HashSet::new(),
            close_sent: false,
            closed_seen: false,
            deadline: None,
        }
    }
}

struct World {
    t0: Instant,
    now: Instant,
    registry: ThingRegistry,
    endpoint: Endpoint,
    slots: Vec<Slot>,
    retired: Vec<Slot>,
}

fn wall_of(t0: Instant, now: Instant) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000) + (now - t0)
}

fn encode(msg: &EdgeMsg, slot: &Slot) -> Bytes {
    let sid = session_id_for(slot.conn);
    let names = |ts: &[usize]| -> Vec<WireString> {
        ts.iter().map(|t| WireString::from(THINGS[*t])).collect()
    };
    let message = match msg {
        EdgeMsg::Auth { good, rid } => Message {
            header: Header::new(*rid, AUTH_SESSION_ID),
            body: Body::Auth(Auth::app_key(if *good { "good" } else { "bad" })),
        },
        EdgeMsg::Bind { things, rid } => Message {
            header: Header::new(*rid, sid),
            body: Body::Bind(Bind {
                gateway: None,
                names: names(things),
            }),
        },
        EdgeMsg::Unbind { things, rid } => Message {
            header: Header::new(*rid, sid),
            body: Body::Unbind(Bind {
                gateway: None,
                names: names(things),
            }),
        },
        EdgeMsg::Get { thing, rid } => Message {
            header: Header::new(*rid, sid),
            body: Body::Request(Request::read_property(THINGS[*thing], "p")),
        },
        EdgeMsg::Response { pick, rid, ok } => {
            let mut ids: Vec<u32> = slot.outstanding.iter().copied().collect();
            ids.sort_unstable();
            let id = if ids.is_empty() || pick % 4 == 0 {
                *rid
            } else {
                ids[pick % ids.len()]
            };
            let response = if *ok {
                Response::success()
            } else {
                Response::error(StatusCode::NOT_FOUND, "nope")
            };
            Message {
                header: Header::new(id, sid),
                body: Body::Response(response),
            }
        }
    };
    message.encode().unwrap()
}

impl World {
    fn new(policy: BindPolicy) -> Self {
        let t0 = Instant::now();
        let registry = ThingRegistry::new(policy);
        let mut endpoint = Endpoint::new(
            PlatformConfig::default(),
            registry.clone(),
            AuthPolicy::Application,
        );
        let slots = (0..SLOTS)
            .map(|_| Slot::new(t0, wall_of(t0, t0), &mut endpoint))
            .collect();
        Self {
            t0,
            now: t0,
            registry,
            endpoint,
            slots,
            retired: Vec::new(),
        }
    }

    fn apply_all(&mut self, ops: &[Op]) {
        for op in ops {
            self.apply(op);
        }
    }

    fn wall(&self) -> SystemTime {
        wall_of(self.t0, self.now)
    }

    fn deliver(&mut self, i: usize, bytes: Bytes) {
        let now = self.now;
        let slot = &mut self.slots[i];
        if let Ok(Frame::Message(Message {
            header,
            body: Body::Auth(_),
        })) = Frame::decode(bytes.clone()).map(|d| d.value)
        {
            slot.auth_rids.insert(header.request_id);
        }
        let _ = slot.session.handle_input(now, Input::Message(bytes));
    }

    fn apply(&mut self, op: &Op) {
        let now = self.now;
        let wall = self.wall();
        let before: Vec<bool> = self
            .slots
            .iter()
            .map(|s| s.session.session_id().is_some())
            .collect();
        let mut accepted = None;
        match op {
            Op::Raw { slot, bytes } => self.deliver(*slot, Bytes::from(bytes.clone())),
            Op::Send { slot, msg } => {
                let bytes = encode(msg, &self.slots[*slot]);
                self.deliver(*slot, bytes);
            }
            Op::Mutated {
                slot,
                msg,
                pos,
                byte,
            } => {
                let mut bytes = encode(msg, &self.slots[*slot]).to_vec();
                let at = pos % bytes.len();
                bytes[at] = *byte;
                self.deliver(*slot, Bytes::from(bytes));
            }
            Op::Chunked {
                slot,
                things,
                rid,
                skip,
            } => {
                let msg = EdgeMsg::Bind {
                    things: things.clone(),
                    rid: *rid,
                };
                let message = Message::decode(encode(&msg, &self.slots[*slot]))
                    .unwrap()
                    .value;
                let pieces = match split(&message, 64).unwrap() {
                    Split::Single(b) => vec![b],
                    Split::Chunks(c) => c,
                };
                for (n, piece) in pieces.into_iter().enumerate() {
                    if Some(n) != *skip {
                        self.deliver(*slot, piece);
                    }
                }
            }
            Op::Decide { slot, accept } => {
                let s = &mut self.slots[*slot];
                if let Some(rid) = s.last_auth {
                    if *accept {
                        if s.session.accept_auth(now, rid).is_ok() {
                            accepted = Some(*slot);
                        }
                    } else {
                        let _ = s.session.reject_auth(now, rid);
                    }
                }
            }
            Op::Respond { slot, pick } => {
                let s = &mut self.slots[*slot];
                if !s.edge_requests.is_empty() {
                    let id = s.edge_requests.remove(pick % s.edge_requests.len());
                    let _ = s.session.respond(id, Response::success());
                } else {
                    assert!(s.session.respond(4242, Response::success()).is_err());
                }
            }
            Op::Request { slot, thing } => {
                let s = &mut self.slots[*slot];
                match s
                    .session
                    .request(now, Request::read_property(THINGS[*thing], "p"))
                {
                    Ok(id) => {
                        assert!(s.outstanding.insert(id), "fresh id {id}");
                        assert_eq!(
                            self.endpoint.route(THINGS[*thing]),
                            Ok(s.conn),
                            "requests go only to things bound here, where the endpoint routes"
                        );
                    }
                    Err(_) => {
                        assert!(
                            matches!(s.session.poll_output(), Output::Timeout(_)),
                            "nothing sent"
                        );
                    }
                }
            }
            Op::Advance { ms } => {
                self.now += Duration::from_millis(*ms);
                for s in &mut self.slots {
                    if let Some(t) = s.deadline {
                        assert!(t >= self.t0);
                    }
                    let _ = s.session.handle_input(self.now, Input::Timeout);
                }
            }
            Op::Ping { slot } => {
                let _ = self.slots[*slot].session.handle_input(now, Input::Ping);
            }
            Op::Close { slot } => self.slots[*slot].session.close(now, "test close"),
            Op::Disconnect { slot } => {
                let _ = self.slots[*slot].session.handle_input(now, Input::Closed);
            }
            Op::Reopen { slot, auth } => {
                let fresh = Slot::new(now, wall, &mut self.endpoint);
                let mut old = std::mem::replace(&mut self.slots[*slot], fresh);
                let _ = old.session.handle_input(now, Input::Closed);
                let relays = Self::drain_into(&mut old, &mut self.endpoint, false, false);
                assert!(relays.is_empty(), "closing moves nothing");
                self.retired.push(old);
                if *auth {
                    self.apply_all(&login(*slot));
                }
            }
        }
        for (i, was_authenticated) in before.into_iter().enumerate() {
            let first_is_auth_ok = accepted == Some(i);
            let relays = Self::drain_into(
                &mut self.slots[i],
                &mut self.endpoint,
                was_authenticated,
                first_is_auth_ok,
            );
            for (to, event) in relays {
                self.relay(to, event);
            }
        }
        self.check_invariants();
    }

    /// Drains one session's outputs, checking per-session rules; hands its endpoint events
    /// to the endpoint and returns what the endpoint addressed to other connections.
    fn drain_into(
        s: &mut Slot,
        endpoint: &mut Endpoint,
        was_authenticated: bool,
        accepted_now: bool,
    ) -> Vec<(u64, ConnectionEvent)> {
        let mut first = true;
        let mut events = Vec::new();
        let mut transmits = Vec::new();
        loop {
            match s.session.poll_output() {
                Output::Transmit(t) => transmits.push(t),
                Output::Event(e) => events.push(e),
                Output::Timeout(t) => {
                    s.deadline = t;
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        for t in transmits {
            assert!(!s.close_sent, "nothing after a close: {t:?}");
            match &t {
                Transmit::Close { reason, .. } => {
                    assert!(reason.len() <= 110);
                    s.close_sent = true;
                }
                Transmit::Ping => panic!("the platform never pings"),
                Transmit::Message(bytes) => {
                    let m = match Frame::decode(bytes.clone()).unwrap().value {
                        Frame::Message(m) => m,
                        Frame::Chunk(_) => panic!("no chunk expected for small messages"),
                    };
                    let held_after_accept = accepted_now && !first;
                    if !was_authenticated && !held_after_accept {
                        // Before authentication only AUTH responses go out.
                        assert!(
                            matches!(m.body, Body::Response(_))
                                && s.auth_rids.contains(&m.header.request_id),
                            "before authentication: {m:?}"
                        );
                    }
                    if accepted_now && first {
                        assert!(matches!(&m.body, Body::Response(r) if r.status.is_success()));
                        assert_eq!(m.header.session_id, session_id_for(s.conn));
                    }
                    first = false;
                }
                other => panic!("unexpected transmit {other:?}"),
            }
        }
        for e in events {
            assert!(!s.closed_seen, "no event after Closed: {e:?}");
            match e {
                PlatformEvent::AuthRequested { request_id, .. } => {
                    s.last_auth = Some(request_id);
                }
                PlatformEvent::Request { id, .. } => s.edge_requests.push(id),
                PlatformEvent::Response { id, .. } => {
                    assert!(s.outstanding.remove(&id), "one end per request id {id}");
                }
                PlatformEvent::ThingMoved { from, .. } => assert_ne!(from, s.conn),
                PlatformEvent::Closed { .. } => {
                    assert!(s.outstanding.is_empty(), "requests ended before Closed");
                    s.closed_seen = true;
                }
                PlatformEvent::Authenticated { session_id } => {
                    assert_eq!(session_id, session_id_for(s.conn));
                }
                PlatformEvent::Bound { .. }
                | PlatformEvent::Unbound { .. }
                | PlatformEvent::BindRefused { .. } => {}
                other => panic!("the application decides AUTH here: {other:?}"),
            }
        }
        let mut relays = Vec::new();
        while let Some(ev) = s.session.poll_endpoint_event() {
            if let Some((to, event)) = endpoint.handle_event(s.conn, ev) {
                assert_ne!(to, s.conn, "a thing moves from another connection");
                relays.push((to, event));
            }
        }
        relays
    }

    /// Carries an endpoint event to the connection it names.
    fn relay(&mut self, to: u64, event: ConnectionEvent) {
        if let Some(s) = self
            .slots
            .iter_mut()
            .chain(self.retired.iter_mut())
            .find(|s| s.conn == to)
        {
            s.session.handle_connection_event(event);
            let relays = Self::drain_into(s, &mut self.endpoint, true, false);
            assert!(relays.is_empty());
        }
    }

    fn check_invariants(&self) {
        for s in &self.slots {
            assert_eq!(
                self.registry.bound_to(s.conn),
                s.session.bound_things(),
                "registry and session {} agree",
                s.conn
            );
            if s.session.is_closed() {
                assert!(s.session.bound_things().is_empty());
                assert!(s.closed_seen);
            }
        }
        for s in &self.retired {
            assert!(s.session.is_closed());
            assert!(s.closed_seen);
            assert!(s.outstanding.is_empty());
            assert!(s.session.bound_things().is_empty());
            assert!(self.registry.bound_to(s.conn).is_empty());
        }
        for t in self.registry.snapshot() {
            assert_eq!(t.is_connected, t.connection.is_some());
            if t.is_connected {
                assert!(t.last_connection.is_some());
            }
        }
    }

    fn finish(&mut self) {
        let now = self.now;
        for s in &mut self.slots {
            let _ = s.session.handle_input(now, Input::Closed);
            Self::drain_into(s, &mut self.endpoint, true, false);
            assert!(s.closed_seen, "Closed once per session");
            assert!(s.outstanding.is_empty(), "every request id ended");
        }
        assert!(self.registry.snapshot().iter().all(|t| !t.is_connected));
        assert_eq!(
            self.endpoint.connections().count(),
            0,
            "every connection forgotten"
        );
    }
}

/// A good AUTH on `slot`, accepted: most random runs should get past AUTH-first.
fn login(slot: usize) -> Vec<Op> {
    vec![
        Op::Send {
            slot,
            msg: EdgeMsg::Auth { good: true, rid: 1 },
        },
        Op::Decide { slot, accept: true },
    ]
}

fn run(policy: BindPolicy, logged_in: &[bool], ops: &[Op]) {
    let mut world = World::new(policy);
    for (slot, _) in logged_in.iter().enumerate().filter(|(_, l)| **l) {
        world.apply_all(&login(slot));
    }
    world.apply_all(ops);
    world.finish();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn first_in_wins_sessions_keep_their_invariants(
        logged_in in prop::collection::vec(prop::bool::weighted(0.8), SLOTS),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        run(BindPolicy::FirstInWins, &logged_in, &ops);
    }

    #[test]
    fn last_in_wins_sessions_keep_their_invariants(
        logged_in in prop::collection::vec(prop::bool::weighted(0.8), SLOTS),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        run(BindPolicy::LastInWins, &logged_in, &ops);
    }
}

/// A hand-written sequence through the harness, so that it is exercised even when the
/// random cases happen not to authenticate.
#[test]
fn scripted_run_through_the_harness() {
    let bind_all = |slot, rid| Op::Send {
        slot,
        msg: EdgeMsg::Bind {
            things: vec![0, 1, 2, 3],
            rid,
        },
    };
    let ops = vec![
        Op::Send {
            slot: 0,
            msg: EdgeMsg::Auth { good: true, rid: 1 },
        },
        Op::Send {
            slot: 1,
            msg: EdgeMsg::Auth { good: true, rid: 1 },
        },
        Op::Decide {
            slot: 0,
            accept: true,
        },
        bind_all(0, 2),
        Op::Decide {
            slot: 1,
            accept: true,
        },
        Op::Chunked {
            slot: 1,
            things: vec![3, 2, 1, 0],
            rid: 2,
            skip: None,
        },
        Op::Request { slot: 0, thing: 1 },
        Op::Request { slot: 1, thing: 1 },
        Op::Send {
            slot: 0,
            msg: EdgeMsg::Get { thing: 0, rid: 3 },
        },
        Op::Respond { slot: 0, pick: 0 },
        Op::Advance { ms: 10_000 },
        Op::Send {
            slot: 2,
            msg: EdgeMsg::Bind {
                things: vec![0],
                rid: 1,
            },
        },
        Op::Reopen {
            slot: 0,
            auth: false,
        },
        Op::Advance { ms: 60_000 },
    ];
    run(BindPolicy::FirstInWins, &[false; SLOTS], &ops);
    run(BindPolicy::LastInWins, &[false; SLOTS], &ops);
}
