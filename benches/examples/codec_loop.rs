//! Runs one codec operation on one fixture N times: a fixed workload for
//! `valgrind --tool=callgrind` (deterministic instruction counts, where Criterion timings on
//! a shared machine are not). Per-operation cost = (count for N − count for 0) / N.
//!
//! ```text
//! cargo build --release -p alwayson-benches --example codec_loop
//! valgrind --tool=callgrind target/release/examples/codec_loop decode push_100 1000
//! ```
//!
//! OP: `decode` (owned [`Message::decode`], dropping the result), `decode-ref` (borrowed
//! [`MessageRef::decode`], validation only, nothing allocated), `encode`
//! ([`Message::encode`]). FIXTURE: `auth`, `bind_1000`, `push_100`, `blob_1mib`.
//!
//! Ingest OPs (FIXTURE `push_100`): an authenticated [`PlatformSession`] takes the message,
//! its event is drained and answered SUCCESS, the response transmit drained:
//! `ingest-request` (`push_events` off: a [`PlatformEvent::Request`], dropped unread),
//! `ingest-owned` (the same, then [`Request::property_updates`] read: how a platform read
//! pushes before [`Push`]), `ingest-push` (`push_events` on: a [`PlatformEvent::Push`],
//! every update of [`Push::updates`] visited: name, value view, time, quality),
//! `ingest-push-unread` (the same, the push dropped unread).
//!
//! Prints one summary line.

use alwayson_benches::{auth, bind_1000, blob_response_1mib, push_100};
use alwayson_proto::platform::{PlatformConfig, PlatformEvent, PlatformSession, Push};
use alwayson_proto::{Auth, Body, Header, Input, Message, MessageRef, Output, Request, Response};
use bytes::Bytes;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, fixture, n] = args.as_slice() else {
        eprintln!("usage: codec_loop decode|decode-ref|encode|ingest-request|ingest-owned|ingest-push|ingest-push-unread auth|bind_1000|push_100|blob_1mib N");
        return ExitCode::FAILURE;
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a number, got {n}");
        return ExitCode::FAILURE;
    };
    let m = match fixture.as_str() {
        "auth" => auth(),
        "bind_1000" => bind_1000(),
        "push_100" => push_100(),
        "blob_1mib" => blob_response_1mib(),
        other => {
            eprintln!("unknown fixture {other}");
            return ExitCode::FAILURE;
        }
    };
    let bytes = m.encode().expect("fixture encodes");
    match op.as_str() {
        "decode" => {
            for _ in 0..n {
                black_box(Message::decode(black_box(bytes.clone())).expect("decode"));
            }
        }
        "decode-ref" => {
            for _ in 0..n {
                black_box(MessageRef::decode(black_box(&bytes[..])).expect("decode"));
            }
        }
        "encode" => {
            for _ in 0..n {
                black_box(black_box(&m).encode().expect("encode"));
            }
        }
        "ingest-request" | "ingest-owned" | "ingest-push" | "ingest-push-unread" => {
            let read = op == "ingest-owned" || op == "ingest-push";
            let mut s = authenticated(op.starts_with("ingest-push"));
            for _ in 0..n {
                ingest(&mut s, black_box(bytes.clone()), read);
            }
        }
        other => {
            eprintln!("unknown op {other}");
            return ExitCode::FAILURE;
        }
    }
    println!("{op} {fixture} x{n}: {} bytes", bytes.len());
    ExitCode::SUCCESS
}

/// A platform session that accepted an AUTH (`push_events` as given), drained.
fn authenticated(push_events: bool) -> PlatformSession {
    let mut config = PlatformConfig::default();
    config.push_events = push_events;
    let now = Instant::now();
    let mut s = PlatformSession::new(now, SystemTime::now(), 1, config, Default::default());
    let auth = Message {
        header: Header::new(1, alwayson_proto::AUTH_SESSION_ID),
        body: Body::Auth(Auth::app_key("k")),
    };
    s.handle_input(now, Input::Message(auth.encode().expect("AUTH")))
        .expect("AUTH");
    s.accept_auth(now, 1).expect("accepted");
    while !matches!(s.poll_output(), Output::Timeout(_)) {}
    s
}

/// One inbound message: handled, its event answered SUCCESS (the updates read when `read`),
/// every output drained.
fn ingest(s: &mut PlatformSession, bytes: Bytes, read: bool) {
    let now = Instant::now();
    s.handle_input(now, Input::Message(bytes)).expect("ingest");
    loop {
        match s.poll_output() {
            Output::Event(PlatformEvent::Request { id, request }) => {
                if read {
                    read_owned(&request);
                }
                s.respond(now, id, Response::success()).expect("respond");
            }
            Output::Event(PlatformEvent::Push { id, push }) => {
                if read {
                    read_push(&push);
                }
                s.respond(now, id, Response::success()).expect("respond");
            }
            Output::Timeout(_) => break,
            other => {
                black_box(other);
            }
        }
    }
}

fn read_owned(request: &Request) {
    for u in request.property_updates().expect("a push") {
        black_box((&u.name, &u.value, u.time, &u.quality));
    }
}

fn read_push(push: &Push) {
    for u in push.updates() {
        black_box((u.name, u.value, u.time, u.quality));
    }
}
