//! A sequence of inputs to two `PlatformSession`s sharing one `ThingRegistry`: raw bytes,
//! well-formed edge messages (AUTH with a good or bad key, BIND/UNBIND, requests, responses
//! to the ids the platform sent, multipart chunks), time steps, timeouts, pings, closes,
//! things taken by the other session, and the application's commands. After every input
//! both sessions are drained (ThingMoved is forwarded as `handle_thing_taken`). It must
//! never panic, deadlines must move past `now` once handled, every platform request id
//! ends at most once, and the registry never points a connected thing at a closed session.
#![no_main]

use alwayson_proto::multipart::{split, Split};
use alwayson_proto::platform::{
    BindPolicy, ConnectionId, PlatformConfig, PlatformEvent, PlatformSession, ThingRegistry,
};
use alwayson_proto::{
    Auth, Bind, Body, Characteristic, Header, InfoTable, Message, Method, Request, Response,
    StatusCode, Value, WireString, AUTH_SESSION_ID,
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
    /// Replace a closed session with a fresh connection.
    Reopen {
        which: bool,
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
}

impl Side {
    fn new(now: Instant, id: ConnectionId, registry: &ThingRegistry) -> Self {
        let config = PlatformConfig {
            chunk_size: 256,
            max_message_size: 4096,
            reassembly: alwayson_proto::multipart::ReassemblyLimits {
                max_message_size: 8192,
                max_in_progress: 4,
                expiry: Duration::from_secs(50),
            },
            ..PlatformConfig::default()
        };
        Side {
            session: PlatformSession::new(now, id, config, registry.clone()),
            auth_requests: Vec::new(),
            incoming: Vec::new(),
            requests: BTreeSet::new(),
            ended: BTreeMap::new(),
            sent_ids: Vec::new(),
            session_id: 0,
            closed: false,
        }
    }

    fn feed(&mut self, now: Instant, frames: Vec<Bytes>) {
        for f in frames {
            let _ = self.session.handle_message(now, wall(now), f);
        }
    }
}

/// Drains both sessions; forwards ThingMoved to the session it names.
fn drain(sides: &mut [Side; 2], now: Instant) {
    loop {
        let mut progress = false;
        let mut taken: Vec<(ConnectionId, WireString)> = Vec::new();
        for side in sides.iter_mut() {
            while let Some(t) = side.session.poll_transmit() {
                progress = true;
                if let alwayson_proto::Transmit::Message(b) = t {
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
            while let Some(e) = side.session.poll_event() {
                progress = true;
                match e {
                    PlatformEvent::AuthRequested { request_id, .. } => {
                        side.auth_requests.push(request_id)
                    }
                    PlatformEvent::Request { id, .. } => side.incoming.push(id),
                    PlatformEvent::Response { id, .. } => {
                        assert!(side.requests.contains(&id), "ended id {id} never returned");
                        let n = side.ended.entry(id).or_default();
                        *n += 1;
                        assert_eq!(*n, 1, "platform request {id} ended twice");
                    }
                    PlatformEvent::ThingMoved { name, from } => taken.push((from, name)),
                    PlatformEvent::Closed { .. } => side.closed = true,
                    _ => {}
                }
            }
        }
        for (from, name) in taken {
            for side in sides.iter_mut() {
                if side.session.id() == from {
                    side.session.handle_thing_taken(now, &name.to_str_lossy());
                }
            }
        }
        if !progress {
            return;
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
    let params = params.then(|| InfoTable::single("p", Value::string("v".repeat(200))));
    Request::new(
        method,
        THINGS[usize::from(thing) % THINGS.len()],
        Characteristic::Properties,
        "p",
        params,
    )
}

fuzz_target!(|input: (bool, Vec<Op>)| {
    let (last_in_wins, ops) = input;
    let registry = ThingRegistry::new(if last_in_wins {
        BindPolicy::LastInWins
    } else {
        BindPolicy::FirstInWins
    });
    let mut now = start();
    let mut next_id: ConnectionId = 3;
    let mut sides = [Side::new(now, 1, &registry), Side::new(now, 2, &registry)];

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
                    if let Some(t) = side.session.poll_timeout() {
                        now = now.max(t);
                    }
                }
                for i in 0..2 {
                    if sides[i].session.poll_timeout().is_some_and(|t| t <= now) {
                        sides[i].session.handle_timeout(now);
                        drain(&mut sides, now);
                        if let Some(next) = sides[i].session.poll_timeout() {
                            assert!(next > now, "deadline not past now after handle_timeout");
                        }
                    }
                }
            }
            Op::Ping { which } => sides[usize::from(which)].session.handle_ping(now),
            Op::Closed { which } => sides[usize::from(which)]
                .session
                .handle_closed(now, wall(now)),
            Op::Reopen { which } => {
                let side = &mut sides[usize::from(which)];
                side.session.handle_closed(now, wall(now));
                drain(&mut sides, now);
                sides[usize::from(which)] = Side::new(now, next_id, &registry);
                next_id += 1;
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
                let _ = side
                    .session
                    .respond(now, id, Response::error(status(s), "x"));
            }
            Op::Taken { which, thing } => {
                let name = THINGS[usize::from(thing) % THINGS.len()];
                sides[usize::from(which)]
                    .session
                    .handle_thing_taken(now, name);
            }
            Op::Close { which } => sides[usize::from(which)].session.close(now, "fuzz"),
        }
        drain(&mut sides, now);
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
