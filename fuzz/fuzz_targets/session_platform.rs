//! A sequence of inputs to two `PlatformSession`s handed out by one `Endpoint` (application
//! or app-key credential policy, fuzzed `Max-Frame-Size`): raw bytes, well-formed edge
//! messages (AUTH with a good or bad key, BIND/UNBIND, requests, pushes (with
//! `push_events`: each must read as the owned request does), responses to the ids the
//! platform sent, multipart chunks), time steps, timeouts, pings, closes, stray
//! thing-taken relays, and the application's commands, all through `handle_input`. After
//! every input both sessions are drained with `poll_output` and their endpoint events go
//! to the endpoint, whose relays are carried to the connection they name. It must never
//! panic, deadlines must move past `now` once handled, every platform request id ends at
//! most once, and the registry never points a connected thing at a closed session.
#![no_main]

use alwayson_proto::multipart::{split, Split};
use alwayson_proto::platform::{
    AuthPolicy, BindPolicy, ConnectionEvent, Endpoint, Handshake, PlatformConfig, PlatformEvent,
    PlatformSession, ThingRegistry,
};
use alwayson_proto::{
    Auth, Bind, Body, Characteristic, Header, InfoTable, Input, Message, Method, Output,
    PropertyUpdate, Request, Response, StatusCode, Transmit, Value, WireString, AUTH_SESSION_ID,
};
use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

const THINGS: [&str; 4] = ["T0", "T1", "T2", "T3"];
const KEY: &str = "key";

#[derive(Debug, Arbitrary)]
enum Op {
    /// Arbitrary bytes as one websocket message.
    Raw {
        which: bool,
        bytes: Vec<u8>,
    },
    Auth {
        which: bool,
        id: u16,
        good: bool,
    },
    Bind {
        which: bool,
        id: u16,
        mask: u8,
        chunk: bool,
    },
    Unbind {
        which: bool,
        id: u16,
        mask: u8,
    },
    EdgeRequest {
        which: bool,
        id: u16,
        method: u8,
        thing: u8,
        params: bool,
        chunk: bool,
    },
    /// Only the first `keep` chunks of a multipart edge request.
    PartialChunks {
        which: bool,
        id: u16,
        keep: u8,
    },
    /// A response to one of the ids the platform used.
    Answer {
        which: bool,
        pick: u8,
        status: u8,
        content: bool,
        chunk: bool,
    },
    Stray {
        which: bool,
        id: u32,
    },
    AdvanceMs(u16),
    AdvanceSecs(u8),
    Timeout,
    Ping {
        which: bool,
    },
    Closed {
        which: bool,
    },
    /// Replace a closed session with a fresh connection (with this `Max-Frame-Size`).
    Reopen {
        which: bool,
        max_frame_size: Option<u16>,
    },
    AcceptAuth {
        which: bool,
        pick: u8,
    },
    RejectAuth {
        which: bool,
        pick: u8,
    },
    Request {
        which: bool,
        kind: u8,
        thing: u8,
    },
    Respond {
        which: bool,
        pick: u8,
        status: u8,
    },
    Taken {
        which: bool,
        thing: u8,
    },
    Close {
        which: bool,
    },
}

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn wall(now: Instant) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + (now - start())
}

struct Side {
    session: PlatformSession,
    auth_requests: Vec<u32>,
    incoming: Vec<u32>,
    requests: BTreeSet<u32>,
    ended: BTreeMap<u32, u32>,
    sent_ids: Vec<u32>,
    session_id: u32,
    closed: bool,
    /// The deadline that ended the last drain.
    deadline: Option<Instant>,
}

fn config() -> PlatformConfig {
    let mut config = PlatformConfig::default();
    config.chunk_size = 256;
    config.max_message_size = 4096;
    config.reassembly = alwayson_proto::multipart::ReassemblyLimits::default()
        .with_max_message_size(8192)
        .with_max_in_progress(4)
        .with_expiry(Duration::from_secs(50));
    // Pushes (the POST requests below) take the borrowed path; other requests the owned one.
    config.push_events = true;
    config
}

impl Side {
    fn new(now: Instant, endpoint: &mut Endpoint, max_frame_size: Option<u16>) -> Self {
        let header = max_frame_size.map(|m| m.to_string());
        let handshake = Handshake::with_max_frame_size(header.as_deref());
        let (_, session) = endpoint.accept(now, wall(now), &handshake);
        assert!(session.chunk_size() <= 256);
        Side {
            session,
            auth_requests: Vec::new(),
            incoming: Vec::new(),
            requests: BTreeSet::new(),
            ended: BTreeMap::new(),
            sent_ids: Vec::new(),
            session_id: 0,
            closed: false,
            deadline: None,
        }
    }

    fn feed(&mut self, now: Instant, frames: Vec<Bytes>) {
        for f in frames {
            let _ = self.session.handle_input(now, Input::Message(f));
        }
    }
}

/// Drains both sessions; carries the endpoint's relays to the session they name.
fn drain(sides: &mut [Side; 2], endpoint: &mut Endpoint) {
    loop {
        let mut relays = Vec::new();
        for side in sides.iter_mut() {
            let mut transmits = Vec::new();
            let mut events = Vec::new();
            loop {
                match side.session.poll_output() {
                    Output::Transmit(t) => transmits.push(t),
                    Output::Event(e) => events.push(e),
                    Output::Timeout(t) => {
                        side.deadline = t;
                        break;
                    }
                    _ => {}
                }
            }
            for t in transmits {
                if let Transmit::Message(b) = t {
                    if b.len() >= 14 {
                        side.sent_ids
                            .push(u32::from_be_bytes([b[2], b[3], b[4], b[5]]));
                        if b[1] == 0x40 {
                            side.session_id = u32::from_be_bytes([b[10], b[11], b[12], b[13]]);
                        }
                        if side.sent_ids.len() > 64 {
                            side.sent_ids.remove(0);
                        }
                    }
                }
            }
            for e in events {
                match e {
                    PlatformEvent::AuthRequested { request_id, .. } => {
                        side.auth_requests.push(request_id)
                    }
                    PlatformEvent::Request { id, .. } => side.incoming.push(id),
                    PlatformEvent::Push { id, push } => {
                        assert_eq!(push.request_id(), id);
                        // Every update readable, each as the owned request reads it.
                        let owned = push.to_request().property_updates();
                        let updates: Vec<_> = push.updates().map(|u| u.to_owned()).collect();
                        assert_eq!(Some(updates), owned, "push updates");
                        side.incoming.push(id)
                    }
                    PlatformEvent::Response { id, .. } => {
                        assert!(side.requests.contains(&id), "ended id {id} never returned");
                        let n = side.ended.entry(id).or_default();
                        *n += 1;
                        assert_eq!(*n, 1, "platform request {id} ended twice");
                    }
                    PlatformEvent::Closed { .. } => side.closed = true,
                    _ => {}
                }
            }
            while let Some(ev) = side.session.poll_endpoint_event() {
                relays.extend(endpoint.handle_event(side.session.id(), ev));
            }
        }
        if relays.is_empty() {
            return;
        }
        for (to, event) in relays {
            for side in sides.iter_mut() {
                if side.session.id() == to {
                    side.session.handle_connection_event(event.clone());
                }
            }
        }
    }
}

fn frames(m: &Message, chunk: bool) -> Vec<Bytes> {
    let size = if chunk { 64 } else { 8192 };
    match split(m, size) {
        Ok(Split::Single(b)) => vec![b],
        Ok(Split::Chunks(c)) => c,
        Err(_) => m.encode().map(|b| vec![b]).unwrap_or_default(),
    }
}

fn names(mask: u8) -> Vec<WireString> {
    THINGS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, t)| WireString::from(*t))
        .collect()
}

fn status(b: u8) -> StatusCode {
    StatusCode::new(b | 0x40).unwrap_or(StatusCode::SUCCESS)
}

fn edge_request(method: u8, thing: u8, params: bool) -> Request {
    let method = match method % 4 {
        0 => Method::Get,
        1 => Method::Put,
        2 => Method::Post,
        _ => Method::Delete,
    };
    if method == Method::Post {
        // An UpdateSubscribedPropertyValues push (several chunks with params).
        let rows = if params { 6 } else { 1 };
        let updates: Vec<PropertyUpdate> = (0..rows)
            .map(|i| PropertyUpdate::new("p", Value::string("v".repeat(40 * i)), i as i64))
            .collect();
        return Request::push_properties(THINGS[usize::from(thing) % THINGS.len()], &updates);
    }
    let params = params.then(|| InfoTable::single("p", Value::string("v".repeat(200))));
    Request::new(
        method,
        THINGS[usize::from(thing) % THINGS.len()],
        Characteristic::Properties,
        "p",
        params,
    )
}

fuzz_target!(|input: (bool, bool, Vec<Op>)| {
    let (last_in_wins, app_keys, ops) = input;
    let registry = ThingRegistry::new(if last_in_wins {
        BindPolicy::LastInWins
    } else {
        BindPolicy::FirstInWins
    });
    let auth = if app_keys {
        AuthPolicy::app_keys([KEY])
    } else {
        AuthPolicy::Application
    };
    let mut endpoint = Endpoint::new(config(), registry.clone(), auth);
    let mut now = start();
    let first = Side::new(now, &mut endpoint, None);
    let mut sides = [first, Side::new(now, &mut endpoint, None)];
    drain(&mut sides, &mut endpoint); // the first deadlines

    for op in ops {
        match op {
            Op::Raw { which, bytes } => {
                sides[usize::from(which)].feed(now, vec![Bytes::from(bytes)])
            }
            Op::Auth { which, id, good } => {
                let m = Message {
                    header: Header::new(u32::from(id), AUTH_SESSION_ID),
                    body: Body::Auth(Auth::app_key(if good { KEY } else { "bad" })),
                };
                sides[usize::from(which)].feed(now, frames(&m, false));
            }
            Op::Bind {
                which,
                id,
                mask,
                chunk,
            } => {
                let side = &mut sides[usize::from(which)];
                let m = Message {
                    header: Header::new(u32::from(id), side.session_id),
                    body: Body::Bind(Bind {
                        gateway: None,
                        names: names(mask),
                    }),
                };
                side.feed(now, frames(&m, chunk));
            }
            Op::Unbind { which, id, mask } => {
                let side = &mut sides[usize::from(which)];
                let m = Message {
                    header: Header::new(u32::from(id), side.session_id),
                    body: Body::Unbind(Bind {
                        gateway: None,
                        names: names(mask),
                    }),
                };
                side.feed(now, frames(&m, false));
            }
            Op::EdgeRequest {
                which,
                id,
                method,
                thing,
                params,
                chunk,
            } => {
                let side = &mut sides[usize::from(which)];
                let m = Message {
                    header: Header::new(u32::from(id), side.session_id),
                    body: Body::Request(edge_request(method, thing, params)),
                };
                side.feed(now, frames(&m, chunk));
            }
            Op::PartialChunks { which, id, keep } => {
                let side = &mut sides[usize::from(which)];
                let m = Message {
                    header: Header::new(u32::from(id), side.session_id),
                    body: Body::Request(edge_request(1, 0, true)),
                };
                let f = frames(&m, true)
                    .into_iter()
                    .take(usize::from(keep))
                    .collect();
                side.feed(now, f);
            }
            Op::Answer {
                which,
                pick,
                status: s,
                content,
                chunk,
            } => {
                let side = &mut sides[usize::from(which)];
                let ids: Vec<u32> = side.requests.iter().copied().collect();
                if ids.is_empty() {
                    continue;
                }
                let id = ids[usize::from(pick) % ids.len()];
                let m = Message {
                    header: Header::new(id, side.session_id),
                    body: Body::Response(Response {
                        status: status(s),
                        reason: None,
                        content: content
                            .then(|| InfoTable::single("result", Value::string("r".repeat(300)))),
                    }),
                };
                side.feed(now, frames(&m, chunk));
            }
            Op::Stray { which, id } => {
                let side = &mut sides[usize::from(which)];
                let m = Message {
                    header: Header::new(id, side.session_id),
                    body: Body::Response(Response::success()),
                };
                side.feed(now, frames(&m, false));
            }
            Op::AdvanceMs(ms) => now += Duration::from_millis(u64::from(ms)),
            Op::AdvanceSecs(s) => now += Duration::from_secs(u64::from(s)),
            Op::Timeout => {
                for side in sides.iter_mut() {
                    if let Some(t) = side.deadline {
                        now = now.max(t);
                    }
                }
                for i in 0..2 {
                    if sides[i].deadline.is_some_and(|t| t <= now) {
                        let _ = sides[i].session.handle_input(now, Input::Timeout);
                        drain(&mut sides, &mut endpoint);
                        if let Some(next) = sides[i].deadline {
                            assert!(next > now, "deadline not past now after handle_timeout");
                        }
                    }
                }
            }
            Op::Ping { which } => {
                let _ = sides[usize::from(which)]
                    .session
                    .handle_input(now, Input::Ping);
            }
            Op::Closed { which } => {
                let _ = sides[usize::from(which)]
                    .session
                    .handle_input(now, Input::Closed);
            }
            Op::Reopen {
                which,
                max_frame_size,
            } => {
                let side = &mut sides[usize::from(which)];
                let _ = side.session.handle_input(now, Input::Closed);
                drain(&mut sides, &mut endpoint);
                sides[usize::from(which)] = Side::new(now, &mut endpoint, max_frame_size);
            }
            Op::AcceptAuth { which, pick } => {
                let side = &mut sides[usize::from(which)];
                let id = side
                    .auth_requests
                    .get(usize::from(pick) % side.auth_requests.len().max(1))
                    .copied()
                    .unwrap_or(u32::from(pick));
                let _ = side.session.accept_auth(now, id);
            }
            Op::RejectAuth { which, pick } => {
                let side = &mut sides[usize::from(which)];
                let id = side
                    .auth_requests
                    .get(usize::from(pick) % side.auth_requests.len().max(1))
                    .copied()
                    .unwrap_or(u32::from(pick));
                let _ = side.session.reject_auth(now, id);
            }
            Op::Request { which, kind, thing } => {
                let side = &mut sides[usize::from(which)];
                let thing = THINGS[usize::from(thing) % THINGS.len()];
                let request = match kind % 3 {
                    0 => Request::read_property(thing, "p"),
                    1 => Request::write_property(thing, "p", Value::string("w".repeat(600))),
                    _ => Request::invoke_service(thing, "S", None),
                };
                if let Ok(id) = side.session.request(now, request) {
                    assert!(side.requests.insert(id), "id {id} returned twice");
                }
            }
            Op::Respond {
                which,
                pick,
                status: s,
            } => {
                let side = &mut sides[usize::from(which)];
                let id = side
                    .incoming
                    .get(usize::from(pick) % side.incoming.len().max(1))
                    .copied()
                    .unwrap_or(u32::from(pick));
                let _ = side.session.respond(id, Response::error(status(s), "x"));
            }
            Op::Taken { which, thing } => {
                let name = WireString::from(THINGS[usize::from(thing) % THINGS.len()]);
                sides[usize::from(which)]
                    .session
                    .handle_connection_event(ConnectionEvent::ThingTaken { name });
            }
            Op::Close { which } => sides[usize::from(which)].session.close(now, "fuzz"),
        }
        drain(&mut sides, &mut endpoint);
        // A thing connected in the registry belongs to a session that has not closed.
        for t in registry.snapshot() {
            if t.is_connected {
                let owner = sides.iter().find(|s| Some(s.session.id()) == t.connection);
                if let Some(owner) = owner {
                    assert!(!owner.closed, "{t:?} connected on a closed session");
                }
            }
        }
    }
});
