//! A platform session ingesting one fixture N times: a fixed workload for
//! `valgrind --tool=callgrind`, like `codec_loop` (per-message cost = (count for N − count
//! for 0) / N). An authenticated [`PlatformSession`] takes the message, its event is drained
//! and answered SUCCESS, and the response transmit drained.
//!
//! ```text
//! cargo build --release -p alwayson-benches --example ingest_loop
//! valgrind --tool=callgrind target/release/examples/ingest_loop push push_100 1000
//! ```
//!
//! MODE: `request` (`push_events` off: a [`PlatformEvent::Request`], dropped unread),
//! `owned` (the same, then [`Request::property_updates`] read: how a platform read pushes
//! before [`Push`]), `push-unread` (`push_events` on: a [`PlatformEvent::Push`], dropped
//! unread), `push` (the same, every update of [`Push::updates`] visited: name, value view,
//! time, quality). FIXTURE: `push_100`. Prints one summary line.

use alwayson_benches::push_100;
use alwayson_proto::platform::{PlatformConfig, PlatformEvent, PlatformSession, Push};
use alwayson_proto::{Auth, Body, Header, Input, Message, Output, Request, Response};
use bytes::Bytes;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, fixture, n] = args.as_slice() else {
        eprintln!(
            "usage: ingest_loop request|owned|push-unread|push push_100|bind_1000|blob_1mib N"
        );
        return ExitCode::FAILURE;
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a number, got {n}");
        return ExitCode::FAILURE;
    };
    if fixture != "push_100" {
        eprintln!("unknown fixture {fixture}");
        return ExitCode::FAILURE;
    }
    let m = push_100();
    let (push_events, read) = match mode.as_str() {
        "request" => (false, false),
        "owned" => (false, true),
        "push-unread" => (true, false),
        "push" => (true, true),
        other => {
            eprintln!("unknown mode {other}");
            return ExitCode::FAILURE;
        }
    };
    let bytes = m.encode().expect("fixture encodes");
    let mut s = authenticated(push_events);
    for _ in 0..n {
        ingest(&mut s, black_box(bytes.clone()), read);
    }
    println!("{mode} {fixture} x{n}: {} bytes", bytes.len());
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
                s.respond(id, Response::success()).expect("respond");
            }
            Output::Event(PlatformEvent::Push { id, push }) => {
                if read {
                    read_push(&push);
                }
                s.respond(id, Response::success()).expect("respond");
            }
            Output::Timeout(_) => break,
            other => {
                black_box(other);
            }
        }
    }
}

fn read_owned(request: &Request) {
    for u in request.property_updates().unwrap_or_default() {
        black_box((&u.name, &u.value, u.time, &u.quality));
    }
}

fn read_push(push: &Push) {
    for u in push.updates() {
        black_box((u.name, u.value, u.time, u.quality));
    }
}
