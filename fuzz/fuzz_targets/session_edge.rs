//! A sequence of inputs to one `EdgeSession`: connects, raw bytes, well-formed platform
//! messages (AUTH/BIND/request responses built from the ids the edge actually sent,
//! platform requests, multipart chunks), time steps, timeouts, pongs, closes and the
//! application's commands, failed connect attempts and reconnect questions, all through
//! `handle_input`. After every input the session is drained with `poll_output`. It must
//! never panic, every deadline it reports must move past `now` once handled, a reconnect
//! is never due in the past, and every request id ends at most once.
#![no_main]

use alwayson_proto::edge::{Credentials, EdgeConfig, EdgeEvent, EdgeSession, Reconnect};
use alwayson_proto::multipart::{split, Split};
use alwayson_proto::{
    Body, Characteristic, Header, InfoTable, Input, Message, Method, Output, Request, Response,
    StatusCode, Transmit, Value, WireString,
};
use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const THINGS: [&str; 4] = ["T0", "T1", "T2", "T3"];

#[derive(Debug, Arbitrary)]
enum Op {
    Connect,
    ConnectFailed,
    /// Ask when to reconnect, with this random draw.
    Reconnect(u64),
    /// Arbitrary bytes as one websocket message.
    Raw(Vec<u8>),
    /// A response to one of the ids the edge sent (AUTH, BIND, UNBIND, requests).
    Answer {
        pick: u8,
        status: u8,
        session: u8,
        with_content: bool,
        chunk: bool,
    },
    /// A response with an id the edge never used.
    Stray {
        id: u32,
        status: u8,
    },
    /// A platform → edge request (possibly multipart).
    PlatformRequest {
        id: u16,
        method: u8,
        thing: u8,
        characteristic: u8,
        params: bool,
        chunk: bool,
    },
    /// A message of another kind (AUTH/BIND/UNBIND) from the platform.
    Odd {
        code: u8,
        id: u16,
    },
    /// Only the first `keep` chunks of a multipart platform request.
    PartialChunks {
        id: u16,
        keep: u8,
    },
    AdvanceMs(u16),
    AdvanceSecs(u8),
    /// Step to the session's deadline and handle it.
    Timeout,
    Pong,
    Closed,
    Request {
        kind: u8,
        thing: u8,
    },
    Respond {
        pick: u8,
        status: u8,
    },
    Bind(u8),
    Unbind(u8),
    Close,
}

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

#[derive(Default)]
struct State {
    /// (code, request id) of every message the edge sent, most recent last.
    sent: Vec<(u8, u32)>,
    /// Platform request ids the edge reported.
    incoming: Vec<u32>,
    /// Ids `request` returned.
    requests: BTreeSet<u32>,
    /// How many times each id ended.
    ended: BTreeMap<u32, u32>,
    /// The deadline that ended the last drain.
    deadline: Option<Instant>,
}

fn drain(edge: &mut EdgeSession, st: &mut State) {
    loop {
        let t = match edge.poll_output() {
            Output::Transmit(t) => t,
            Output::Event(e) => {
                on_event(e, st);
                continue;
            }
            Output::Timeout(t) => {
                st.deadline = t;
                return;
            }
            _ => continue,
        };
        {
            if let Transmit::Message(b) = t {
                if b.len() >= 6 {
                    st.sent
                        .push((b[1], u32::from_be_bytes([b[2], b[3], b[4], b[5]])));
                    if st.sent.len() > 64 {
                        st.sent.remove(0);
                    }
                }
            }
        }
    }
}

fn on_event(e: EdgeEvent, st: &mut State) {
    match e {
        EdgeEvent::Request { id, .. } => st.incoming.push(id),
        EdgeEvent::Response { id, .. } | EdgeEvent::Unsent { id, .. } => {
            assert!(
                st.requests.contains(&id),
                "ended id {id} that request never returned"
            );
            let n = st.ended.entry(id).or_default();
            *n += 1;
            assert_eq!(*n, 1, "request {id} ended twice");
        }
        _ => {}
    }
}

fn status(b: u8) -> StatusCode {
    StatusCode::new(b | 0x40).unwrap_or(StatusCode::SUCCESS)
}

/// The websocket messages for `m`: whole, or split into small chunks.
fn frames(m: &Message, chunk: bool) -> Vec<Bytes> {
    let size = if chunk { 64 } else { 8192 };
    match split(m, size) {
        Ok(Split::Single(b)) => vec![b],
        Ok(Split::Chunks(c)) => c,
        Err(_) => m.encode().map(|b| vec![b]).unwrap_or_default(),
    }
}

fn request_of(method: u8, thing: u8, characteristic: u8, params: bool) -> Request {
    let method = match method % 4 {
        0 => Method::Get,
        1 => Method::Put,
        2 => Method::Post,
        _ => Method::Delete,
    };
    let characteristic = match characteristic % 3 {
        0 => Characteristic::Properties,
        1 => Characteristic::Services,
        _ => Characteristic::Events,
    };
    let params = params.then(|| InfoTable::single("p", Value::string("v".repeat(100))));
    Request::new(
        method,
        THINGS[usize::from(thing) % THINGS.len()],
        characteristic,
        "p",
        params,
    )
}

fuzz_target!(|ops: Vec<Op>| {
    let mut config = EdgeConfig::new(Credentials::AppKey(WireString::from("key")));
    config.chunk_size = 256;
    config.max_message_size = 4096;
    config.queue_until_authenticated = Some(4);
    config.reassembly.max_message_size = 8192;
    config.reassembly.max_in_progress = 4;
    let mut edge = EdgeSession::new(config);
    let mut st = State::default();
    let mut now = start();
    let mut session_id = 1u32;

    for op in ops {
        match op {
            Op::Connect => {
                let _ = edge.handle_input(now, Input::Connected);
            }
            Op::ConnectFailed => {
                let _ = edge.handle_input(now, Input::ConnectFailed);
            }
            Op::Reconnect(draw) => {
                if let Reconnect::At(at) = edge.reconnect(now, draw) {
                    assert!(at >= now, "reconnect due in the past");
                }
            }
            Op::Raw(bytes) => {
                let _ = edge.handle_input(now, Input::Message(Bytes::from(bytes)));
            }
            Op::Answer {
                pick,
                status: s,
                session,
                with_content,
                chunk,
            } => {
                if st.sent.is_empty() {
                    continue;
                }
                let (code, id) = st.sent[st.sent.len() - 1 - usize::from(pick) % st.sent.len()];
                if code == 0x14 {
                    session_id = u32::from(session).max(1);
                }
                let response = Response {
                    status: status(s),
                    reason: None,
                    content: with_content
                        .then(|| InfoTable::single("result", Value::string("x".repeat(300)))),
                };
                let m = Message {
                    header: Header::new(id, session_id),
                    body: Body::Response(response),
                };
                for f in frames(&m, chunk) {
                    let _ = edge.handle_input(now, Input::Message(f));
                }
            }
            Op::Stray { id, status: s } => {
                let m = Message {
                    header: Header::new(id, session_id),
                    body: Body::Response(Response::error(status(s), "stray")),
                };
                if let Ok(b) = m.encode() {
                    let _ = edge.handle_input(now, Input::Message(b));
                }
            }
            Op::PlatformRequest {
                id,
                method,
                thing,
                characteristic,
                params,
                chunk,
            } => {
                let m = Message {
                    header: Header::new(u32::from(id), session_id),
                    body: Body::Request(request_of(method, thing, characteristic, params)),
                };
                for f in frames(&m, chunk) {
                    let _ = edge.handle_input(now, Input::Message(f));
                }
            }
            Op::PartialChunks { id, keep } => {
                let m = Message {
                    header: Header::new(u32::from(id), session_id),
                    body: Body::Request(request_of(1, 0, 0, true)),
                };
                for f in frames(&m, true).into_iter().take(usize::from(keep)) {
                    let _ = edge.handle_input(now, Input::Message(f));
                }
            }
            Op::Odd { code, id } => {
                let body = match code % 3 {
                    0 => Body::Auth(alwayson_proto::Auth::app_key("key")),
                    1 => Body::Bind(alwayson_proto::Bind {
                        gateway: None,
                        names: vec![WireString::from("T0")],
                    }),
                    _ => Body::Unbind(alwayson_proto::Bind::default()),
                };
                let m = Message {
                    header: Header::new(u32::from(id), session_id),
                    body,
                };
                if let Ok(b) = m.encode() {
                    let _ = edge.handle_input(now, Input::Message(b));
                }
            }
            Op::AdvanceMs(ms) => now += Duration::from_millis(u64::from(ms)),
            Op::AdvanceSecs(s) => now += Duration::from_secs(u64::from(s)),
            Op::Timeout => {
                if let Some(t) = st.deadline {
                    now = now.max(t);
                    let _ = edge.handle_input(now, Input::Timeout);
                    drain(&mut edge, &mut st);
                    if let Some(next) = st.deadline {
                        assert!(
                            next > now,
                            "deadline {next:?} not past now {now:?} after handle_timeout"
                        );
                    }
                } else {
                    let _ = edge.handle_input(now, Input::Timeout);
                }
            }
            Op::Pong => {
                let _ = edge.handle_input(now, Input::Pong);
            }
            Op::Closed => {
                let _ = edge.handle_input(now, Input::Closed);
            }
            Op::Request { kind, thing } => {
                let thing = THINGS[usize::from(thing) % THINGS.len()];
                let request = match kind % 3 {
                    0 => Request::read_property(thing, "p"),
                    1 => Request::write_property(thing, "p", Value::string("y".repeat(600))),
                    _ => Request::invoke_service(thing, "S", None),
                };
                if let Ok(id) = edge.request(now, request) {
                    assert!(st.requests.insert(id), "id {id} returned twice");
                }
            }
            Op::Respond { pick, status: s } => {
                if st.incoming.is_empty() {
                    let _ = edge.respond(u32::from(pick), Response::success());
                } else {
                    let id = st.incoming[usize::from(pick) % st.incoming.len()];
                    let _ = edge.respond(id, Response::error(status(s), "r"));
                }
            }
            Op::Bind(mask) => {
                let names: Vec<&str> = THINGS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, t)| *t)
                    .collect();
                edge.bind(now, names);
            }
            Op::Unbind(mask) => {
                let names: Vec<&str> = THINGS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, t)| *t)
                    .collect();
                edge.unbind(now, names);
            }
            Op::Close => edge.close(now, "fuzz"),
        }
        drain(&mut edge, &mut st);
        let _ = (edge.state(), edge.session_id());
    }
});
