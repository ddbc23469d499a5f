//! Edge-only tests: a fake clock and a platform played by hand (decode what the edge
//! transmits, feed crafted responses and requests back).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::codec::{
    Bind, Body, Frame, Header, InfoTable, Message, Request, Response, StatusCode, Value,
    AUTH_SESSION_ID,
};
use crate::multipart::{split, Reassembler, ReassemblyLimits, Split};
use crate::request::{RequestError, RespondError};
use crate::{Drained, Input, Output, RequestIds, Transmit, CLOSE_NORMAL};
use bytes::Bytes;
use std::time::{Duration, Instant};

const SID: u32 = 0x0102_0304;

/// What the edge put on the websocket, decoded (chunks reassembled).
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Msg(Message),
    Ping,
    Close(u16, String),
}

impl Out {
    fn msg(&self) -> &Message {
        match self {
            Out::Msg(m) => m,
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// The edge under test, a fake clock, and the platform's side of the wire.
struct H {
    edge: EdgeSession,
    t0: Instant,
    now: Instant,
    reassembler: Reassembler,
    /// Raw websocket messages seen, for size checks.
    raw: Vec<Bytes>,
    /// Outputs drained but not looked at yet, by kind (each kind in order).
    drained: Drained<EdgeEvent>,
}

fn config() -> EdgeConfig {
    EdgeConfig::new(Credentials::AppKey("secret".into()))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn names(msg: &Message) -> Vec<String> {
    match &msg.body {
        Body::Bind(b) | Body::Unbind(b) => b.names.iter().map(|n| n.to_string()).collect(),
        other => panic!("expected BIND/UNBIND, got {other:?}"),
    }
}

fn response(id: u32, status: StatusCode) -> Message {
    Message {
        header: Header::new(id, SID),
        body: Body::Response(Response {
            status,
            reason: None,
            content: None,
        }),
    }
}

fn platform_request(id: u32, thing: &str) -> Message {
    Message {
        header: Header::new(id, SID),
        body: Body::Request(Request::read_property(thing, "temp")),
    }
}

impl H {
    fn new(config: EdgeConfig) -> Self {
        Self::with(EdgeSession::new(config))
    }

    fn with(edge: EdgeSession) -> Self {
        let t0 = Instant::now();
        Self {
            edge,
            t0,
            now: t0,
            reassembler: Reassembler::new(ReassemblyLimits::default()),
            raw: Vec::new(),
            drained: Drained::new(),
        }
    }

    /// Feeds `input` at the current time.
    fn input(&mut self, input: Input) -> Result<(), crate::InboundError> {
        self.edge.handle_input(self.now, input)
    }

    /// Drains every output into `self.drained`.
    fn drain(&mut self) {
        self.drained.drain(|| self.edge.poll_output());
    }

    /// The deadline `poll_output` reports now (outputs drained are kept for `sent`/`events`).
    fn timeout(&mut self) -> Option<Instant> {
        self.drain();
        self.drained.timeout
    }

    /// Sets the clock to `t0 + at` and feeds `Input::Timeout`.
    fn at(&mut self, at: Duration) {
        self.now = self.t0 + at;
        self.input(Input::Timeout).unwrap();
    }

    fn connect(&mut self) {
        self.input(Input::Connected).unwrap();
    }

    /// The websocket is gone.
    fn closed(&mut self) {
        self.input(Input::Closed).unwrap();
    }

    fn pong(&mut self) {
        self.input(Input::Pong).unwrap();
    }

    fn message(&mut self, bytes: Bytes) -> Result<(), crate::InboundError> {
        self.input(Input::Message(bytes))
    }

    /// Drains and decodes every transmit.
    fn sent(&mut self) -> Vec<Out> {
        self.drain();
        let mut out = Vec::new();
        while let Some(t) = self.drained.transmits.pop_front() {
            match t {
                Transmit::Ping => out.push(Out::Ping),
                Transmit::Close { code, reason } => out.push(Out::Close(code, reason)),
                Transmit::Message(bytes) => {
                    self.raw.push(bytes.clone());
                    let frame = Frame::decode(bytes).expect("edge sent undecodable bytes");
                    assert!(frame.trailing.is_empty(), "edge sent trailing bytes");
                    match frame.value {
                        Frame::Message(m) => out.push(Out::Msg(m)),
                        Frame::Chunk(c) => {
                            if let Some(m) = self
                                .reassembler
                                .push(self.now, c)
                                .expect("edge sent bad chunks")
                            {
                                out.push(Out::Msg(m.value));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Every event, `BindCompleted` left out (tested on their own).
    fn events(&mut self) -> Vec<EdgeEvent> {
        let mut all = self.all_events();
        all.retain(|e| !matches!(e, EdgeEvent::BindCompleted { .. }));
        all
    }

    fn all_events(&mut self) -> Vec<EdgeEvent> {
        self.drain();
        self.drained.events.drain(..).collect()
    }

    fn feed(&mut self, msg: &Message) -> Result<(), crate::InboundError> {
        let bytes = msg.encode().expect("test message encodes");
        self.message(bytes)
    }

    fn feed_ok(&mut self, msg: &Message) {
        self.feed(msg).expect("edge accepts the message");
    }

    /// Connects and answers AUTH with SUCCESS; returns what followed AUTH success.
    fn authenticate(&mut self) -> Vec<Out> {
        self.connect();
        let sent = self.sent();
        assert_eq!(sent.len(), 1, "{sent:?}");
        let auth = sent[0].msg().clone();
        self.feed_ok(&response(auth.header.request_id, StatusCode::SUCCESS));
        self.sent()
    }

    /// Authenticates and accepts every BIND that follows; drains events.
    fn bound(&mut self, things: &[&str]) {
        self.edge.bind(self.now, things.iter().copied());
        let sent = self.authenticate();
        for out in sent {
            let m = out.msg();
            assert!(matches!(m.body, Body::Bind(_)));
            self.feed_ok(&response(m.header.request_id, StatusCode::SUCCESS));
        }
        self.events();
    }
}

#[test]
fn auth_goes_first_and_nothing_else_before_its_response() {
    let mut h = H::new(config());
    h.edge.bind(h.now, ["Pump1"]);
    let queued = h.edge.read_property(h.now, "Pump1", "temp").unwrap();
    assert!(h.sent().is_empty(), "nothing is sent before connecting");
    h.connect();
    assert_eq!(h.edge.state(), EdgeState::Authenticating);
    // More commands while authenticating: they wait too.
    h.edge.bind(h.now, ["Pump2"]);
    let queued2 = h.edge.read_property(h.now, "Pump2", "temp").unwrap();
    h.at(ms(9_999));
    let sent = h.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let auth = sent[0].msg();
    assert_eq!(auth.header.session_id, AUTH_SESSION_ID);
    assert_eq!(auth.header.endpoint_id, 0);
    let Body::Auth(body) = &auth.body else {
        panic!("first message is not AUTH: {auth:?}")
    };
    assert_eq!(body.app_key_value().unwrap(), "secret");
    assert_ne!(auth.header.request_id, queued);

    // AUTH success: BIND (everything registered), then the queued requests, all with SID.
    h.feed_ok(&response(auth.header.request_id, StatusCode::SUCCESS));
    let sent = h.sent();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(names(sent[0].msg()), ["Pump1", "Pump2"]);
    assert_eq!(sent[1].msg().header.request_id, queued);
    assert_eq!(sent[2].msg().header.request_id, queued2);
    for s in &sent {
        assert_eq!(s.msg().header.session_id, SID);
    }
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Authenticated { session_id: SID }]
    );
}

#[test]
fn auth_success_sets_the_session_id_on_everything_later() {
    let mut h = H::new(config());
    assert_eq!(h.edge.session_id(), None);
    h.bound(&["A"]);
    assert_eq!(h.edge.state(), EdgeState::Authenticated);
    assert_eq!(h.edge.session_id(), Some(SID));
    let id = h.edge.read_property(h.now, "A", "x").unwrap();
    let sent = h.sent();
    assert_eq!(sent[0].msg().header, Header::new(id, SID));
    // A response to a platform request carries its id, our session id, endpoint 0.
    let mut req = platform_request(500, "A");
    req.header.endpoint_id = 7;
    req.header.session_id = 1234;
    h.feed_ok(&req);
    assert!(matches!(
        h.events().as_slice(),
        [EdgeEvent::Request { id: 500, .. }]
    ));
    h.edge.respond(500, Response::success()).unwrap();
    let sent = h.sent();
    assert_eq!(sent[0].msg(), &{
        let mut r = response(500, StatusCode::SUCCESS);
        r.header.session_id = SID;
        r
    });
}

#[test]
fn auth_rejected_fails_and_closes() {
    let mut h = H::new(config());
    h.connect();
    let auth = h.sent()[0].msg().clone();
    h.feed_ok(&response(auth.header.request_id, StatusCode::UNAUTHORIZED));
    let failure = AuthFailure::Rejected(StatusCode::UNAUTHORIZED);
    assert_eq!(h.events(), vec![EdgeEvent::AuthFailed(failure)]);
    assert_eq!(
        h.sent(),
        vec![Out::Close(CLOSE_NORMAL, CLOSE_REASON_AUTH_REJECTED.into())]
    );
    assert_eq!(h.timeout(), None);
    h.closed();
    // Refused on the first connect: final (the credentials are wrong).
    assert_eq!(
        h.events(),
        vec![
            EdgeEvent::Disconnected {
                reason: DisconnectReason::AuthFailed(failure)
            },
            EdgeEvent::Closed
        ]
    );
    assert_eq!(h.edge.state(), EdgeState::Closed);
    assert_eq!(h.edge.session_id(), None);
    assert_eq!(
        h.edge.reconnect(h.now, 0),
        Reconnect::GiveUp(GiveUp::AuthRefused(failure))
    );
}

#[test]
fn auth_times_out_exactly_at_the_request_timeout() {
    let mut h = H::new(config());
    h.connect();
    h.sent();
    assert_eq!(h.timeout(), Some(h.t0 + Duration::from_secs(10)));
    h.at(ms(9_999));
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
    h.at(ms(10_000));
    assert_eq!(
        h.events(),
        vec![EdgeEvent::AuthFailed(AuthFailure::TimedOut)]
    );
    assert_eq!(
        h.sent(),
        vec![Out::Close(CLOSE_NORMAL, CLOSE_REASON_AUTH_TIMEOUT.into())]
    );
    h.closed();
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Disconnected {
            reason: DisconnectReason::AuthFailed(AuthFailure::TimedOut)
        }]
    );
}

#[test]
fn late_auth_response_after_timeout_is_ignored() {
    let mut h = H::new(config());
    h.connect();
    let auth = h.sent()[0].msg().clone();
    h.at(ms(10_500));
    h.events();
    h.sent();
    h.feed_ok(&response(auth.header.request_id, StatusCode::SUCCESS));
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
    assert_eq!(h.edge.state(), EdgeState::Authenticating);
}

#[test]
fn bind_of_many_names_is_split_into_messages_within_one_chunk() {
    let mut cfg = config();
    cfg.gateway = Some(crate::codec::Gateway {
        name: "gw".into(),
        gateway_type: "EMS".into(),
    });
    let all: Vec<String> = (0..2_000).map(|i| format!("Thing-{i:06}")).collect();
    let mut h = H::new(cfg);
    h.edge.bind(h.now, all.iter().map(String::as_str));
    let sent = h.authenticate();
    assert!(sent.len() > 1, "expected several BINDs");
    let mut seen = Vec::new();
    for s in &sent {
        let m = s.msg();
        let Body::Bind(Bind { gateway, .. }) = &m.body else {
            panic!("{m:?}")
        };
        assert_eq!(gateway.as_ref().unwrap().name, "gw");
        assert!(m.encoded_len().unwrap() <= 8192);
        seen.extend(names(m));
    }
    assert_eq!(seen, all);
    // Never multipart: one websocket message per BIND, each ≤ chunk size.
    assert_eq!(h.raw.len(), sent.len() + 1);
    assert!(h.raw.iter().all(|b| b.len() <= 8192 && b[14] == 0));

    // max_message_size below the chunk size is the limit then.
    let mut cfg = config();
    cfg.max_message_size = 500;
    let mut h = H::new(cfg);
    h.edge.bind(h.now, all.iter().take(100).map(String::as_str));
    let sent = h.authenticate();
    // 18 bytes of overhead + 37 names of 13 bytes = 499 ≤ 500: 37 + 37 + 26.
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|s| s.msg().encoded_len().unwrap() <= 500));
    assert_eq!(
        sent.iter().map(|s| names(s.msg()).len()).sum::<usize>(),
        100
    );
}

#[test]
fn the_platform_reason_for_a_refused_bind_reaches_the_event_and_the_ticket() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    // With a reason (this crate's platform names the cause).
    let ticket = h.edge.bind(h.now, ["B"]);
    let id = h.sent()[0].msg().header.request_id;
    let why = "at most 1 things per connection; not bound: B";
    h.feed_ok(&Message {
        header: Header::new(id, SID),
        body: Body::Response(Response::error(StatusCode::FORBIDDEN, why)),
    });
    let refusal = BindRefusal {
        name: "B".into(),
        status: StatusCode::FORBIDDEN,
        reason: Some(why.into()),
    };
    assert_eq!(
        h.all_events(),
        vec![
            EdgeEvent::BindRejected {
                name: "B".into(),
                status: StatusCode::FORBIDDEN,
                reason: Some(why.into()),
            },
            EdgeEvent::BindCompleted {
                ticket,
                result: BindResult::Rejected(vec![refusal.clone()]),
            },
        ]
    );
    assert_eq!(
        refusal.to_string(),
        format!("B ({}: {why})", StatusCode::FORBIDDEN)
    );
    // Without one: an SDK platform sends `00 FF` and padding for its reason (Q5).
    let ticket = h.edge.bind(h.now, ["C"]);
    let id = h.sent()[0].msg().header.request_id;
    let mut bytes = response(id, StatusCode::FORBIDDEN)
        .encode()
        .unwrap()
        .to_vec();
    bytes.extend_from_slice(&[0; 14]);
    h.message(Bytes::from(bytes)).unwrap();
    let refusal = BindRefusal {
        name: "C".into(),
        status: StatusCode::FORBIDDEN,
        reason: None,
    };
    assert_eq!(
        h.all_events(),
        vec![
            EdgeEvent::BindRejected {
                name: "C".into(),
                status: StatusCode::FORBIDDEN,
                reason: None,
            },
            EdgeEvent::BindCompleted {
                ticket,
                result: BindResult::Rejected(vec![refusal.clone()]),
            },
        ]
    );
    assert_eq!(
        refusal.to_string(),
        format!("C ({})", StatusCode::FORBIDDEN)
    );
}

#[test]
fn bind_rejection_is_per_thing_and_the_others_keep_working() {
    let mut h = H::new(config());
    h.bound(&["A", "B"]);
    assert!(h.edge.is_bound("A") && h.edge.is_bound("B"));
    h.edge.bind(h.now, ["C", "D"]);
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(names(sent[0].msg()), ["C", "D"]);
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::FORBIDDEN,
    ));
    // One status for two names: which one was refused is unknown, so each is asked alone.
    assert!(h.events().is_empty());
    let retries = h.sent();
    assert_eq!(retries.len(), 2);
    assert_eq!(names(retries[0].msg()), ["C"]);
    assert_eq!(names(retries[1].msg()), ["D"]);
    for r in &retries {
        h.feed_ok(&response(r.msg().header.request_id, StatusCode::FORBIDDEN));
    }
    assert_eq!(
        h.events(),
        vec![
            EdgeEvent::BindRejected {
                name: "C".into(),
                status: StatusCode::FORBIDDEN,
                reason: None,
            },
            EdgeEvent::BindRejected {
                name: "D".into(),
                status: StatusCode::FORBIDDEN,
                reason: None,
            },
        ]
    );
    assert_eq!(h.edge.state(), EdgeState::Authenticated);
    // A still serves; C gets NOT_FOUND without an event.
    h.feed_ok(&platform_request(10, "A"));
    h.feed_ok(&platform_request(11, "C"));
    assert!(matches!(
        h.events().as_slice(),
        [EdgeEvent::Request { id: 10, .. }]
    ));
    assert_eq!(
        h.sent(),
        vec![Out::Msg(response(11, StatusCode::NOT_FOUND))]
    );
    // Binding C again retries; a timeout is a rejection with GATEWAY_TIMEOUT.
    h.edge.bind(h.now, ["C", "A"]);
    let sent = h.sent();
    assert_eq!(names(sent[0].msg()), ["C"]);
    h.at(Duration::from_secs(10));
    assert_eq!(
        h.events(),
        vec![EdgeEvent::BindRejected {
            name: "C".into(),
            status: StatusCode::GATEWAY_TIMEOUT,
            reason: None,
        }]
    );
    // A late failure of that one-name BIND is final: counted, nothing more reported.
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::FORBIDDEN,
    ));
    assert!(h.events().is_empty());
    assert_eq!(h.edge.stats().late_responses, 1);
    assert!(!h.edge.is_bound("C"));
    // ... and it cancelled the automatic retry.
    h.at(Duration::from_secs(30));
    assert!(h.sent().iter().all(|o| !matches!(o, Out::Msg(_))));
    assert!(h.events().is_empty());
}

/// Times out a BIND of `names` sent now (after `bound`); returns its request id.
fn time_out_bind(h: &mut H, names_: &[&str]) -> u32 {
    h.edge.bind(h.now, names_.iter().copied());
    let sent = h.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(names(sent[0].msg()), names_);
    let id = sent[0].msg().header.request_id;
    let at = h.now - h.t0 + Duration::from_secs(10);
    h.at(at);
    let expected: Vec<_> = names_
        .iter()
        .map(|n| EdgeEvent::BindRejected {
            name: (*n).into(),
            status: StatusCode::GATEWAY_TIMEOUT,
            reason: None,
        })
        .collect();
    assert_eq!(h.events(), expected);
    assert!(
        h.sent().is_empty(),
        "no retry before another request timeout"
    );
    id
}

#[test]
fn late_bind_success_after_a_timeout_binds_the_thing() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let id = time_out_bind(&mut h, &["C"]);
    assert!(!h.edge.is_bound("C"));
    // Meanwhile C is not served.
    h.feed_ok(&platform_request(20, "C"));
    assert_eq!(
        h.sent(),
        vec![Out::Msg(response(20, StatusCode::NOT_FOUND))]
    );
    // The platform did bind it: its late SUCCESS makes C bound here too.
    h.feed_ok(&response(id, StatusCode::SUCCESS));
    assert_eq!(h.events(), vec![EdgeEvent::Bound { name: "C".into() }]);
    assert!(h.edge.is_bound("C"));
    assert_eq!(h.edge.stats().late_responses, 1);
    h.feed_ok(&platform_request(21, "C"));
    assert!(matches!(
        h.events().as_slice(),
        [EdgeEvent::Request { id: 21, .. }]
    ));
    assert!(h.sent().is_empty());
    h.edge.respond(21, Response::success()).unwrap();
    // No retry follows, and a duplicate of the late answer is only counted, as unmatched
    // (its request was answered already).
    h.at(Duration::from_secs(60));
    assert!(h
        .sent()
        .iter()
        .all(|o| !matches!(o, Out::Msg(m) if matches!(m.body, Body::Bind(_)))));
    h.feed_ok(&response(id, StatusCode::SUCCESS));
    assert!(h.events().is_empty());
    assert_eq!(h.edge.stats().late_responses, 1);
    assert_eq!(h.edge.stats().unmatched_responses, 1);
}

#[test]
fn late_bind_success_of_several_names_binds_those_still_wanted() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let id = time_out_bind(&mut h, &["C", "D", "E"]);
    // D unbound by the application: its UNBIND goes out (and is answered).
    h.edge.unbind(h.now, ["D"]);
    let sent = h.sent();
    assert_eq!(names(sent[0].msg()), ["D"]);
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    assert_eq!(h.events(), vec![EdgeEvent::Unbound { name: "D".into() }]);
    // E bound again by the application: the new BIND decides for E.
    h.edge.bind(h.now, ["E"]);
    let rebind = h.sent();
    assert_eq!(names(rebind[0].msg()), ["E"]);
    h.feed_ok(&response(id, StatusCode::SUCCESS));
    assert_eq!(h.events(), vec![EdgeEvent::Bound { name: "C".into() }]);
    assert!(h.edge.is_bound("C") && !h.edge.is_bound("D") && !h.edge.is_bound("E"));
    h.feed_ok(&response(
        rebind[0].msg().header.request_id,
        StatusCode::FORBIDDEN,
    ));
    assert_eq!(
        h.events(),
        vec![EdgeEvent::BindRejected {
            name: "E".into(),
            status: StatusCode::FORBIDDEN,
            reason: None,
        }]
    );
    assert!(!h.edge.is_bound("E"));
    h.feed_ok(&platform_request(30, "D"));
    assert_eq!(
        h.sent(),
        vec![Out::Msg(response(30, StatusCode::NOT_FOUND))]
    );
}

#[test]
fn late_bind_success_after_unbind_does_not_bind_again() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let id = time_out_bind(&mut h, &["C"]);
    h.edge.unbind(h.now, ["C"]);
    let unbind = h.sent();
    assert!(matches!(unbind[0].msg().body, Body::Unbind(_)));
    h.feed_ok(&response(
        unbind[0].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    assert_eq!(h.events(), vec![EdgeEvent::Unbound { name: "C".into() }]);
    // The platform processed BIND, then UNBIND: the late SUCCESS must not bind C again.
    h.feed_ok(&response(id, StatusCode::SUCCESS));
    assert!(h.events().is_empty());
    assert!(!h.edge.is_bound("C"));
    assert_eq!(h.edge.stats().late_responses, 1);
    h.feed_ok(&platform_request(40, "C"));
    assert_eq!(
        h.sent(),
        vec![Out::Msg(response(40, StatusCode::NOT_FOUND))]
    );
    // Nothing is retried for it either.
    h.at(Duration::from_secs(60));
    assert!(h.sent().iter().all(|o| !matches!(o, Out::Msg(_))));
    h.pong();

    // Same when C is registered again and refused: a timed-out BIND answered only after the
    // UNBIND and the new BIND went out says nothing about the current state.
    let id = time_out_bind(&mut h, &["C"]);
    h.edge.unbind(h.now, ["C"]);
    h.edge.bind(h.now, ["C"]);
    let sent = h.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(matches!(sent[0].msg().body, Body::Unbind(_)));
    assert_eq!(names(sent[1].msg()), ["C"]);
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    h.feed_ok(&response(
        sent[1].msg().header.request_id,
        StatusCode::FORBIDDEN,
    ));
    h.feed_ok(&response(id, StatusCode::SUCCESS));
    assert_eq!(
        h.events(),
        vec![
            EdgeEvent::Unbound { name: "C".into() },
            EdgeEvent::BindRejected {
                name: "C".into(),
                status: StatusCode::FORBIDDEN,
                reason: None,
            },
        ]
    );
    assert!(!h.edge.is_bound("C"));
}

#[test]
fn late_bind_success_after_a_reconnect_is_ignored() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let id = time_out_bind(&mut h, &["C"]);
    h.closed();
    h.events();
    h.connect();
    let auth = h.sent()[0].msg().clone();
    h.feed_ok(&response(auth.header.request_id, StatusCode::SUCCESS));
    let sent = h.sent();
    assert_eq!(names(sent[0].msg()), ["A", "C"]);
    h.events();
    // The old connection's answer means nothing on this one: not late, unmatched.
    h.feed_ok(&response(id, StatusCode::SUCCESS));
    assert!(h.events().is_empty());
    assert!(!h.edge.is_bound("C"));
    assert_eq!(h.edge.stats().late_responses, 0);
    assert_eq!(h.edge.stats().unmatched_responses, 1);
    // The new BIND decides.
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    let ev = h.events();
    assert!(
        ev.contains(&EdgeEvent::Bound { name: "C".into() }),
        "{ev:?}"
    );
    assert!(h.edge.is_bound("C"));
}

#[test]
fn timed_out_bind_is_sent_again_one_request_timeout_later() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let first = time_out_bind(&mut h, &["C"]); // times out at 10 s
    assert_eq!(h.timeout(), Some(h.t0 + Duration::from_secs(20)));
    h.at(Duration::from_millis(19_999));
    assert!(h.sent().is_empty());
    h.at(Duration::from_secs(20));
    let sent = h.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(names(sent[0].msg()), ["C"]);
    let second = sent[0].msg().header.request_id;
    assert_ne!(second, first);
    // The first answer now arrives: superseded by the retry, only counted.
    h.feed_ok(&response(first, StatusCode::SUCCESS));
    assert!(h.events().is_empty());
    assert!(!h.edge.is_bound("C"));
    // That one times out too, and is retried again (paced by the request timeout).
    h.at(Duration::from_secs(30));
    assert_eq!(
        h.events(),
        vec![EdgeEvent::BindRejected {
            name: "C".into(),
            status: StatusCode::GATEWAY_TIMEOUT,
            reason: None,
        }]
    );
    h.at(Duration::from_secs(40));
    let sent = h.sent();
    let third = sent
        .iter()
        .find(|o| matches!(o, Out::Msg(m) if matches!(m.body, Body::Bind(_))))
        .expect("second retry")
        .msg()
        .header
        .request_id;
    h.feed_ok(&response(third, StatusCode::SUCCESS));
    assert_eq!(h.events(), vec![EdgeEvent::Bound { name: "C".into() }]);
    assert!(h.edge.is_bound("C"));
}

#[test]
fn timed_out_unbind_is_reported_once_and_sent_again_silently() {
    let mut h = H::new(config());
    h.bound(&["A", "B"]);
    h.edge.unbind(h.now, ["B"]);
    let first = h.sent()[0].msg().header.request_id;
    h.at(Duration::from_secs(10));
    assert_eq!(h.events(), vec![EdgeEvent::Unbound { name: "B".into() }]);
    assert!(h.sent().is_empty());
    // The platform may never have seen it: sent again one request timeout later.
    h.at(Duration::from_secs(20));
    let sent = h.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(matches!(sent[0].msg().body, Body::Unbind(_)));
    assert_eq!(names(sent[0].msg()), ["B"]);
    let second = sent[0].msg().header.request_id;
    assert_ne!(first, second);
    // Its answer (and the first one's, late) report nothing more.
    h.feed_ok(&response(second, StatusCode::SUCCESS));
    h.feed_ok(&response(first, StatusCode::SUCCESS));
    assert!(h.events().is_empty());
    h.at(Duration::from_secs(50));
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
    assert!(h.edge.is_bound("A") && !h.edge.is_bound("B"));
}

#[test]
fn bind_again_supersedes_an_unbind_in_flight() {
    let mut h = H::new(config());
    h.bound(&["A", "B"]);
    h.edge.unbind(h.now, ["B"]);
    h.edge.bind(h.now, ["B"]);
    // The UNBIND's end is reported at once, before the new BIND's outcome.
    assert_eq!(h.events(), vec![EdgeEvent::Unbound { name: "B".into() }]);
    let sent = h.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(matches!(sent[0].msg().body, Body::Unbind(_)));
    assert_eq!(names(sent[1].msg()), ["B"]);
    h.feed_ok(&response(
        sent[1].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    assert_eq!(h.events(), vec![EdgeEvent::Bound { name: "B".into() }]);
    // The UNBIND's answer or timeout changes nothing now, and it is not sent again.
    h.at(Duration::from_secs(30));
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
    assert!(h.edge.is_bound("B"));
}

#[test]
fn an_older_bind_never_overrides_a_newer_one() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    h.edge.bind(h.now, ["B", "C"]);
    let older = h.sent()[0].msg().header.request_id;
    h.edge.unbind(h.now, ["B"]);
    h.edge.bind(h.now, ["B"]);
    let sent = h.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(names(sent[1].msg()), ["B"]);
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    h.feed_ok(&response(
        sent[1].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    assert_eq!(
        h.events(),
        vec![
            EdgeEvent::Unbound { name: "B".into() },
            EdgeEvent::Bound { name: "B".into() },
        ]
    );
    // The older BIND of B and C times out: only C is affected (B's newer BIND decided).
    h.at(Duration::from_secs(10));
    assert_eq!(
        h.events(),
        vec![EdgeEvent::BindRejected {
            name: "C".into(),
            status: StatusCode::GATEWAY_TIMEOUT,
            reason: None,
        }]
    );
    assert!(h.edge.is_bound("B") && !h.edge.is_bound("C"));
    // ... and its late failure for two names asks only C again.
    h.feed_ok(&response(older, StatusCode::FORBIDDEN));
    let sent = h.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(names(sent[0].msg()), ["C"]);
    assert!(h.edge.is_bound("B"));
}

#[test]
fn late_failure_of_several_names_asks_each_again() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let id = time_out_bind(&mut h, &["C", "D"]);
    // FORBIDDEN for two names: the platform may have bound one of them.
    h.feed_ok(&response(id, StatusCode::FORBIDDEN));
    assert!(h.events().is_empty());
    let sent = h.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(names(sent[0].msg()), ["C"]);
    assert_eq!(names(sent[1].msg()), ["D"]);
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    h.feed_ok(&response(
        sent[1].msg().header.request_id,
        StatusCode::FORBIDDEN,
    ));
    assert_eq!(
        h.events(),
        vec![
            EdgeEvent::Bound { name: "C".into() },
            EdgeEvent::BindRejected {
                name: "D".into(),
                status: StatusCode::FORBIDDEN,
                reason: None,
            },
        ]
    );
}

#[test]
fn requests_correlate_by_id_time_out_and_late_responses_are_counted() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let a = h.edge.read_property(h.now, "A", "x").unwrap();
    let b = h
        .edge
        .write_property(h.now, "A", "y", Value::Number(1.0))
        .unwrap();
    h.at(ms(1_000));
    let c = h.edge.invoke_service(h.now, "A", "Svc", None).unwrap();
    let sent = h.sent();
    let ids: Vec<u32> = sent.iter().map(|s| s.msg().header.request_id).collect();
    assert_eq!(ids, [a, b, c]);
    assert!(a != b && b != c);
    let mut ok = response(b, StatusCode::SUCCESS);
    if let Body::Response(r) = &mut ok.body {
        r.content = Some(InfoTable::single("result", Value::Integer(42)));
    }
    h.feed_ok(&ok);
    h.feed_ok(&response(a, StatusCode::NOT_FOUND));
    let ev = h.events();
    assert_eq!(ev.len(), 2);
    assert!(
        matches!(&ev[0], EdgeEvent::Response { id, result: Ok(r) } if *id == b && r.content.is_some())
    );
    assert!(
        matches!(&ev[1], EdgeEvent::Response { id, result: Ok(r) } if *id == a && r.status == StatusCode::NOT_FOUND)
    );
    // c times out at 1 s + 10 s, not before.
    assert_eq!(h.timeout(), Some(h.t0 + ms(11_000)));
    h.at(ms(10_999));
    assert!(h.events().is_empty());
    h.at(ms(11_000));
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Response {
            id: c,
            result: Err(RequestError::Timeout)
        }]
    );
    h.feed_ok(&response(c, StatusCode::SUCCESS)); // late
    assert_eq!(h.edge.stats().late_responses, 1);
    assert_eq!(h.edge.stats().unmatched_responses, 0);
    h.feed_ok(&response(c, StatusCode::SUCCESS)); // late twice: the second matches nothing
    h.feed_ok(&response(a, StatusCode::SUCCESS)); // answered already
    h.feed_ok(&response(987_654, StatusCode::SUCCESS)); // never sent
    assert!(h.events().is_empty());
    assert_eq!(h.edge.stats().late_responses, 1);
    assert_eq!(h.edge.stats().unmatched_responses, 3);
}

#[test]
fn queue_full_and_fail_fast() {
    let mut cfg = config();
    cfg.queue_until_authenticated = Some(2);
    let mut h = H::new(cfg);
    h.edge.read_property(h.now, "A", "x").unwrap();
    h.edge.read_property(h.now, "A", "x").unwrap();
    assert_eq!(
        h.edge.read_property(h.now, "A", "x"),
        Err(RequestError::QueueFull { capacity: 2 })
    );
    assert_eq!(h.edge.queued_requests(), 2);

    let mut cfg = config();
    cfg.queue_until_authenticated = None;
    let mut h = H::new(cfg);
    assert_eq!(
        h.edge.read_property(h.now, "A", "x"),
        Err(RequestError::NotAuthenticated)
    );
    h.connect();
    assert_eq!(
        h.edge.read_property(h.now, "A", "x"),
        Err(RequestError::NotAuthenticated)
    );
    assert_eq!(h.sent().len(), 1); // AUTH only
}

#[test]
fn too_large_requests_are_refused() {
    let mut cfg = config();
    cfg.max_message_size = 100;
    let mut h = H::new(cfg);
    let big = InfoTable::single(
        "blob",
        Value::String(crate::BaseType::String, "x".repeat(200).into()),
    );
    assert!(matches!(
        h.edge.invoke_service(h.now, "A", "S", Some(big.clone())),
        Err(RequestError::TooLarge { max: 100, .. })
    ));
    h.bound(&[]);
    assert!(matches!(
        h.edge.invoke_service(h.now, "A", "S", Some(big)),
        Err(RequestError::TooLarge { max: 100, .. })
    ));
    assert!(h.sent().is_empty());
}

#[test]
fn disconnect_ends_pending_requests_and_keeps_queued_ones() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let sent_id = h.edge.read_property(h.now, "A", "x").unwrap();
    h.feed_ok(&platform_request(77, "A"));
    h.sent();
    h.events();
    h.closed();
    assert_eq!(
        h.events(),
        vec![
            EdgeEvent::Response {
                id: sent_id,
                result: Err(RequestError::Disconnected)
            },
            EdgeEvent::Disconnected {
                reason: DisconnectReason::ConnectionLost
            },
        ]
    );
    assert_eq!(h.edge.state(), EdgeState::Disconnected);
    assert_eq!(h.timeout(), None);
    // The unanswered platform request is forgotten.
    assert_eq!(
        h.edge.respond(77, Response::success()),
        Err(RespondError::NotConnected)
    );
    // Queued while disconnected / authenticating, then the connection drops: they stay
    // queued for the next connection.
    h.edge.read_property(h.now, "A", "x").unwrap();
    h.connect();
    h.edge.read_property(h.now, "A", "y").unwrap();
    h.closed();
    let ev = h.events();
    assert_eq!(
        ev,
        vec![EdgeEvent::Disconnected {
            reason: DisconnectReason::ConnectionLost
        }]
    );
    assert_eq!(h.edge.queued_requests(), 2);
}

#[test]
fn reconnect_reauthenticates_and_rebinds_everything_registered() {
    let mut h = H::new(config());
    h.bound(&["A", "B"]);
    h.edge.bind(h.now, ["C"]);
    h.edge.unbind(h.now, ["B"]);
    let sent = h.sent();
    assert_eq!(names(sent[0].msg()), ["C"]);
    assert!(matches!(sent[1].msg().body, Body::Unbind(_)));
    assert_eq!(names(sent[1].msg()), ["B"]);
    let last_id = sent[1].msg().header.request_id;
    h.closed();
    let ev = h.events();
    assert!(ev.contains(&EdgeEvent::Unbound { name: "B".into() }));
    assert!(!ev
        .iter()
        .any(|e| matches!(e, EdgeEvent::BindRejected { .. })));
    h.at(ms(5_000));
    h.connect();
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    let auth = sent[0].msg().clone();
    assert!(matches!(auth.body, Body::Auth(_)));
    assert!(auth.header.request_id > last_id, "ids are never reset");
    let mut ok = response(auth.header.request_id, StatusCode::SUCCESS);
    ok.header.session_id = 99;
    h.feed_ok(&ok);
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(names(sent[0].msg()), ["A", "C"]);
    assert_eq!(sent[0].msg().header.session_id, 99);
    assert_eq!(h.edge.session_id(), Some(99));
    let registered: Vec<_> = h.edge.registered().map(|n| n.to_string()).collect();
    assert_eq!(registered, ["A", "C"]);
}

#[test]
fn platform_request_for_an_unbound_thing_gets_not_found_without_an_event() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    h.feed_ok(&platform_request(5, "Other"));
    assert!(h.events().is_empty());
    assert_eq!(h.sent(), vec![Out::Msg(response(5, StatusCode::NOT_FOUND))]);
    assert_eq!(
        h.edge.respond(5, Response::success()),
        Err(RespondError::UnknownRequest(5))
    );
}

#[test]
fn respond_to_unknown_or_answered_ids_errors() {
    let mut h = H::new(config());
    assert_eq!(
        h.edge.respond(1, Response::success()),
        Err(RespondError::NotConnected)
    );
    h.bound(&["A"]);
    assert_eq!(
        h.edge.respond(123, Response::success()),
        Err(RespondError::UnknownRequest(123))
    );
    h.feed_ok(&platform_request(9, "A"));
    h.events();
    h.edge
        .respond(9, Response::error(StatusCode::INTERNAL_SERVER_ERROR, "no"))
        .unwrap();
    assert_eq!(
        h.edge.respond(9, Response::success()),
        Err(RespondError::UnknownRequest(9))
    );
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].msg().header, Header::new(9, SID));
}

#[test]
fn incoming_auth_bind_unbind_get_bad_request() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let bodies = [
        Body::Auth(crate::codec::Auth::app_key("k")),
        Body::Bind(Bind {
            gateway: None,
            names: vec!["A".into()],
        }),
        Body::Unbind(Bind {
            gateway: None,
            names: vec!["A".into()],
        }),
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        let id = 40 + i as u32;
        h.feed_ok(&Message {
            header: Header::new(id, SID),
            body,
        });
        assert_eq!(
            h.sent(),
            vec![Out::Msg(response(id, StatusCode::BAD_REQUEST))]
        );
    }
    assert!(h.events().is_empty());
    assert!(h.edge.is_bound("A"));
}

#[test]
fn decode_errors_are_returned_and_the_session_survives() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    assert!(h.message(Bytes::from_static(&[1, 0x1F, 0, 0])).is_err());
    assert!(h.message(Bytes::from_static(&[1, 0x40, 0, 0, 0])).is_err());
    assert_eq!(h.edge.state(), EdgeState::Authenticated);
    assert!(h.sent().is_empty());
    // Trailing bytes after a complete body are tolerated and counted.
    let id = h.edge.read_property(h.now, "A", "x").unwrap();
    h.sent();
    let mut bytes = response(id, StatusCode::SUCCESS).encode().unwrap().to_vec();
    bytes.extend_from_slice(&[0; 5]);
    h.message(bytes.into()).unwrap();
    assert!(matches!(
        h.events().as_slice(),
        [EdgeEvent::Response { result: Ok(_), .. }]
    ));
    assert_eq!(h.edge.stats().messages_with_trailing_bytes, 1);
}

#[test]
fn ping_every_interval_and_pong_timeout_closes() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    assert_eq!(h.timeout(), Some(h.t0 + Duration::from_secs(55)));
    h.at(ms(54_999));
    assert!(h.sent().is_empty());
    h.at(ms(55_000));
    assert_eq!(h.sent(), vec![Out::Ping]);
    assert_eq!(h.timeout(), Some(h.t0 + Duration::from_secs(65)));
    h.now = h.t0 + ms(56_000);
    h.pong();
    h.at(ms(70_000));
    assert!(h.sent().is_empty());
    assert_eq!(h.timeout(), Some(h.t0 + Duration::from_secs(110)));
    // Called late: one ping, not a burst.
    h.at(ms(112_000));
    assert_eq!(h.sent(), vec![Out::Ping]);
    h.at(ms(121_999));
    assert!(h.sent().is_empty());
    h.at(ms(122_000));
    assert_eq!(
        h.sent(),
        vec![Out::Close(CLOSE_NORMAL, CLOSE_REASON_PONG_TIMEOUT.into())]
    );
    assert!(h.events().is_empty());
    assert_eq!(h.timeout(), None);
    h.closed();
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Disconnected {
            reason: DisconnectReason::PongTimeout
        }]
    );
}

#[test]
fn a_platform_close_frame_is_the_disconnect_reason_unless_the_edge_asked_first() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    h.input(Input::PeerClosed {
        code: 1008,
        reason: "idle timeout".into(),
    })
    .unwrap();
    let reason = DisconnectReason::PeerClosed {
        code: 1008,
        reason: "idle timeout".into(),
    };
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Disconnected {
            reason: reason.clone()
        }]
    );
    assert_eq!(
        reason.to_string(),
        "closed by the platform (1008 policy violation: idle timeout)"
    );
    // The session asked for the close (pong timeout): its own reason stands.
    h.bound(&["A"]);
    h.at(ms(55_000));
    assert_eq!(h.sent(), vec![Out::Ping]);
    h.at(ms(65_000));
    assert_eq!(
        h.sent(),
        vec![Out::Close(CLOSE_NORMAL, CLOSE_REASON_PONG_TIMEOUT.into())]
    );
    h.input(Input::PeerClosed {
        code: 1000,
        reason: String::new(),
    })
    .unwrap();
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Disconnected {
            reason: DisconnectReason::PongTimeout
        }]
    );
    assert_eq!(
        DisconnectReason::PongTimeout.to_string(),
        "no pong within the pong timeout"
    );
    assert_eq!(
        DisconnectReason::AuthFailed(AuthFailure::Rejected(StatusCode::UNAUTHORIZED)).to_string(),
        format!("AUTH refused ({})", StatusCode::UNAUTHORIZED)
    );
    let long = "x".repeat(1000);
    assert!(DisconnectReason::Transport(long)
        .to_string()
        .ends_with("… (1000 bytes)"));
}

#[test]
fn close_unbinds_everything_then_closes() {
    let mut h = H::new(config());
    h.bound(&["A", "B"]);
    let pending = h.edge.read_property(h.now, "A", "x").unwrap();
    h.sent();
    h.edge.close(h.now, CLOSE_REASON_SHUTDOWN);
    assert_eq!(h.edge.state(), EdgeState::Closing);
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Response {
            id: pending,
            result: Err(RequestError::Closed)
        }]
    );
    let sent = h.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(matches!(sent[0].msg().body, Body::Unbind(_)));
    assert_eq!(names(sent[0].msg()), ["A", "B"]);
    assert_eq!(sent[0].msg().header.session_id, SID);
    assert_eq!(
        sent[1],
        Out::Close(CLOSE_NORMAL, "Normal Close Shutting down".into())
    );
    assert_eq!(
        h.edge.request(h.now, Request::read_property("A", "x")),
        Err(RequestError::Closed)
    );
    h.closed();
    assert_eq!(h.events(), vec![EdgeEvent::Closed]);
    assert_eq!(h.edge.state(), EdgeState::Closed);
    // Closed is final.
    h.connect();
    h.edge.close(h.now, CLOSE_REASON_SHUTDOWN);
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
    assert_eq!(h.edge.state(), EdgeState::Closed);
    assert_eq!(h.timeout(), None);
}

#[test]
fn close_while_disconnected_is_immediate_and_hands_back_the_queue() {
    let mut h = H::new(config());
    let q = h.edge.read_property(h.now, "A", "x").unwrap();
    h.edge.close(h.now, CLOSE_REASON_SHUTDOWN);
    let ev = h.events();
    assert!(matches!(&ev[0], EdgeEvent::Unsent { id, .. } if *id == q));
    assert_eq!(ev[1], EdgeEvent::Closed);
    assert_eq!(h.edge.state(), EdgeState::Closed);
    assert!(h.sent().is_empty());
}

#[test]
fn unbind_reports_unbound_on_response_or_at_once_when_offline() {
    let mut h = H::new(config());
    h.edge.bind(h.now, ["Off"]);
    h.edge.unbind(h.now, ["Off", "NeverBound"]);
    assert_eq!(h.events(), vec![EdgeEvent::Unbound { name: "Off".into() }]);
    h.bound(&["A"]);
    h.edge.unbind(h.now, ["A"]);
    assert!(!h.edge.is_bound("A"));
    let sent = h.sent();
    assert_eq!(names(sent[0].msg()), ["A"]);
    assert!(h.events().is_empty());
    // The platform may still send a request in between: NOT_FOUND.
    h.feed_ok(&platform_request(3, "A"));
    assert_eq!(h.sent(), vec![Out::Msg(response(3, StatusCode::NOT_FOUND))]);
    h.feed_ok(&response(
        sent[0].msg().header.request_id,
        StatusCode::SUCCESS,
    ));
    assert_eq!(h.events(), vec![EdgeEvent::Unbound { name: "A".into() }]);
}

#[test]
fn request_ids_wrap_past_u32_max() {
    let edge = EdgeSession::with_request_ids(config(), RequestIds::starting_at(u32::MAX - 1));
    let mut h = H::with(edge);
    h.connect();
    let auth = h.sent()[0].msg().clone();
    assert_eq!(auth.header.request_id, u32::MAX - 1);
    h.feed_ok(&response(u32::MAX - 1, StatusCode::SUCCESS));
    let a = h.edge.read_property(h.now, "A", "x").unwrap();
    let b = h.edge.read_property(h.now, "A", "x").unwrap();
    assert_eq!((a, b), (u32::MAX, 1));
    h.sent();
    h.feed_ok(&response(1, StatusCode::SUCCESS));
    h.feed_ok(&response(u32::MAX, StatusCode::SUCCESS));
    let ids: Vec<u32> = h
        .events()
        .iter()
        .filter_map(|e| match e {
            EdgeEvent::Response { id, result: Ok(_) } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(ids, [1, u32::MAX]);
}

#[test]
fn multipart_request_from_the_platform_is_reassembled() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    let params = InfoTable::single(
        "data",
        Value::String(crate::BaseType::String, "y".repeat(3_000).into()),
    );
    let msg = Message {
        header: Header::new(321, SID),
        body: Body::Request(Request::invoke_service("A", "Big", Some(params.clone()))),
    };
    let Split::Chunks(chunks) = split(&msg, 1024).unwrap() else {
        panic!("expected chunks")
    };
    assert!(chunks.len() >= 3);
    let n = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        h.message(chunk).unwrap();
        if i + 1 < n {
            assert!(h.events().is_empty());
            assert!(h.timeout().is_some());
        }
    }
    let ev = h.events();
    let [EdgeEvent::Request { id: 321, request }] = ev.as_slice() else {
        panic!("{ev:?}")
    };
    assert_eq!(request.params.as_ref(), Some(&params));
}

#[test]
fn incomplete_multipart_message_expires() {
    let mut cfg = config();
    cfg.reassembly.expiry = Duration::from_secs(5);
    let mut h = H::new(cfg);
    h.bound(&["A"]);
    let msg = Message {
        header: Header::new(321, SID),
        body: Body::Request(Request::invoke_service(
            "A",
            "Big",
            Some(InfoTable::single(
                "d",
                Value::String(crate::BaseType::String, "y".repeat(3_000).into()),
            )),
        )),
    };
    let Split::Chunks(chunks) = split(&msg, 1024).unwrap() else {
        panic!("expected chunks")
    };
    h.message(chunks[0].clone()).unwrap();
    assert_eq!(h.timeout(), Some(h.t0 + Duration::from_secs(5)));
    h.at(Duration::from_secs(5));
    // The rest no longer completes the message (the first chunk is gone).
    for chunk in chunks.iter().skip(1) {
        let _ = h.message(chunk.clone());
    }
    assert!(h.events().is_empty());
}

#[test]
fn big_outbound_request_is_split_into_chunks() {
    let mut cfg = config();
    cfg.chunk_size = 512;
    let mut h = H::new(cfg);
    h.bound(&["A"]);
    let raw_before = h.raw.len();
    let params = InfoTable::single(
        "data",
        Value::String(crate::BaseType::String, "z".repeat(2_000).into()),
    );
    let id = h
        .edge
        .invoke_service(h.now, "A", "Big", Some(params.clone()))
        .unwrap();
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert!(h.raw.len() - raw_before >= 4, "sent as several chunks");
    assert!(h.raw[raw_before..].iter().all(|b| b.len() <= 512));
    let m = sent[0].msg();
    assert_eq!(m.header, Header::new(id, SID));
    let Body::Request(r) = &m.body else { panic!() };
    assert_eq!(r.params.as_ref(), Some(&params));
}

#[test]
fn platform_requests_before_auth_success_are_not_answered() {
    let mut h = H::new(config());
    h.edge.bind(h.now, ["A"]);
    h.connect();
    h.sent();
    h.feed_ok(&platform_request(4, "A"));
    h.feed_ok(&response(999, StatusCode::SUCCESS));
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
    assert_eq!(h.edge.stats().ignored_messages, 1);
    // Only AUTH was sent on this connection: the answer is not late, it matches nothing.
    assert_eq!(h.edge.stats().late_responses, 0);
    assert_eq!(h.edge.stats().unmatched_responses, 1);
}

#[test]
fn connected_again_without_closed_ends_the_old_connection_first() {
    let mut h = H::new(EdgeConfig::new(Credentials::UserPassword {
        user: "u".into(),
        password: "p".into(),
    }));
    h.bound(&["A"]);
    let pending = h.edge.read_property(h.now, "A", "x").unwrap();
    h.sent();
    h.connect();
    assert_eq!(
        h.events(),
        vec![
            EdgeEvent::Response {
                id: pending,
                result: Err(RequestError::Disconnected)
            },
            EdgeEvent::Disconnected {
                reason: DisconnectReason::ConnectionLost
            },
        ]
    );
    let sent = h.sent();
    let Body::Auth(auth) = &sent[0].msg().body else {
        panic!("{sent:?}")
    };
    assert_eq!(auth.claim("user").unwrap(), "u");
    assert_eq!(auth.claim("password").unwrap(), "p");
    assert_eq!(h.edge.state(), EdgeState::Authenticating);
    assert!(!h.edge.is_bound("A"));
}

mod prop {
    //! Random input sequences: no panics, AUTH-first, every request id ends exactly once.
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        Connect,
        Closed,
        Pong,
        Advance(u64),
        AtDeadline,
        Request(u8),
        Bind(u8),
        Unbind(u8),
        Close,
        /// Answer the outstanding edge message at this index (modulo) with this status.
        Answer(usize, u8),
        PlatformRequest(u8, u32),
        RespondApp(usize),
        Garbage(Vec<u8>),
        UnknownResponse(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => Just(Op::Connect),
            1 => Just(Op::Closed),
            2 => Just(Op::Pong),
            6 => prop_oneof![3 => 0u64..2_000, 1 => 0u64..30_000].prop_map(Op::Advance),
            4 => Just(Op::AtDeadline),
            8 => (0u8..4).prop_map(Op::Request),
            4 => (0u8..4).prop_map(Op::Bind),
            2 => (0u8..4).prop_map(Op::Unbind),
            1 => Just(Op::Close),
            12 => (any::<usize>(), prop_oneof![3 => Just(0x40u8), 1 => 0x40u8..=0xff])
                .prop_map(|(i, s)| Op::Answer(i, s)),
            4 => (0u8..5, any::<u32>()).prop_map(|(t, id)| Op::PlatformRequest(t, id)),
            4 => any::<usize>().prop_map(Op::RespondApp),
            3 => proptest::collection::vec(any::<u8>(), 0..48).prop_map(Op::Garbage),
            2 => any::<u32>().prop_map(Op::UnknownResponse),
        ]
    }

    const THINGS: [&str; 5] = ["T0", "T1", "T2", "T3", "Unbound"];

    fn run(ops: Vec<Op>, queue: Option<usize>) -> Result<(), TestCaseError> {
        let mut cfg = config();
        cfg.queue_until_authenticated = queue;
        cfg.chunk_size = 256;
        let mut h = H::with(EdgeSession::with_request_ids(
            cfg,
            RequestIds::starting_at(u32::MAX - 20),
        ));
        let mut outstanding: Vec<Message> = Vec::new(); // edge messages awaiting an answer
        let mut platform_ids: Vec<u32> = Vec::new();
        let mut ends: HashMap<u32, u32> = HashMap::new(); // request id -> times ended
        let mut tickets: HashMap<BindTicket, u32> = HashMap::new(); // ticket -> times ended
        let mut offset = Duration::ZERO;

        for op in ops {
            let before = h.edge.state();
            let mut auth_success_feed = false;
            match op {
                Op::Connect => {
                    h.connect();
                    outstanding.clear();
                }
                Op::Closed => {
                    h.closed();
                    outstanding.clear();
                }
                Op::Pong => h.pong(),
                Op::Advance(d) => {
                    offset += ms(d);
                    h.at(offset);
                    // Everything due has been handled: no busy loop for the runtime.
                    prop_assert!(!matches!(h.timeout(), Some(t) if t <= h.now));
                }
                Op::AtDeadline => {
                    if let Some(t) = h.timeout() {
                        prop_assert!(t >= h.t0);
                        offset = offset.max(t - h.t0);
                        h.at(offset);
                        prop_assert!(!matches!(h.timeout(), Some(t) if t <= h.now));
                    }
                }
                Op::Request(t) => {
                    if let Ok(id) = h.edge.read_property(h.now, THINGS[t as usize], "p") {
                        prop_assert!(ends.insert(id, 0).is_none(), "id {id} reused");
                    }
                }
                Op::Bind(t) => {
                    let ticket = h.edge.bind(h.now, [THINGS[t as usize]]);
                    prop_assert!(tickets.insert(ticket, 0).is_none(), "ticket reused");
                }
                Op::Unbind(t) => {
                    let ticket = h.edge.unbind(h.now, [THINGS[t as usize]]);
                    prop_assert!(tickets.insert(ticket, 0).is_none(), "ticket reused");
                }
                Op::Close => h.edge.close(h.now, CLOSE_REASON_SHUTDOWN),
                Op::Answer(i, status) => {
                    if !outstanding.is_empty() {
                        let m = outstanding.remove(i % outstanding.len());
                        let status = StatusCode::new(status).unwrap_or(StatusCode::SUCCESS);
                        auth_success_feed = matches!(m.body, Body::Auth(_)) && status.is_success();
                        let _ = h.feed(&response(m.header.request_id, status));
                    }
                }
                Op::PlatformRequest(t, id) => {
                    let _ = h.feed(&platform_request(id, THINGS[t as usize]));
                }
                Op::RespondApp(i) => {
                    if !platform_ids.is_empty() {
                        let id = platform_ids.remove(i % platform_ids.len());
                        let _ = h.edge.respond(id, Response::success());
                    }
                }
                Op::Garbage(bytes) => {
                    let _ = h.message(bytes.into());
                }
                Op::UnknownResponse(id) => {
                    let _ = h.feed(&response(id, StatusCode::SUCCESS));
                }
            }
            let sent = h.sent();
            let after = h.edge.state();
            if before == EdgeState::Authenticating && after == EdgeState::Authenticated {
                prop_assert!(auth_success_feed, "authenticated without an AUTH success");
            }
            // Nothing but AUTH between handle_connected and AUTH success.
            let pre_auth = matches!(before, EdgeState::Disconnected | EdgeState::Authenticating)
                && after != EdgeState::Authenticated;
            for out in &sent {
                if let Out::Msg(m) = out {
                    if pre_auth {
                        prop_assert!(
                            matches!(m.body, Body::Auth(_)),
                            "sent {m:?} before AUTH success"
                        );
                    }
                    match &m.body {
                        Body::Auth(_) => prop_assert_eq!(m.header.session_id, AUTH_SESSION_ID),
                        _ => prop_assert_eq!(m.header.session_id, SID),
                    }
                    if !matches!(m.body, Body::Response(_)) {
                        outstanding.push(m.clone());
                    }
                }
            }
            for e in h.all_events() {
                match e {
                    EdgeEvent::BindCompleted { ticket, .. } => {
                        let n = tickets.get_mut(&ticket);
                        prop_assert!(n.is_some(), "unknown ticket {ticket:?}");
                        if let Some(n) = n {
                            *n += 1;
                            prop_assert_eq!(*n, 1, "ticket {:?} ended twice", ticket);
                        }
                    }
                    EdgeEvent::Response { id, .. } | EdgeEvent::Unsent { id, .. } => {
                        let n = ends.get_mut(&id);
                        prop_assert!(n.is_some(), "end of unknown id {id}");
                        if let Some(n) = n {
                            *n += 1;
                            prop_assert_eq!(*n, 1, "id {} ended twice", id);
                        }
                    }
                    EdgeEvent::Request { id, request } => {
                        prop_assert!(h.edge.is_bound(request.entity_name.as_str().unwrap_or("")));
                        platform_ids.push(id);
                    }
                    _ => {}
                }
            }
        }
        // Finish: close and report the socket gone; everything must have ended.
        h.edge.close(h.now, CLOSE_REASON_SHUTDOWN);
        h.closed();
        prop_assert_eq!(h.edge.state(), EdgeState::Closed);
        for e in h.all_events() {
            match e {
                EdgeEvent::Response { id, .. } | EdgeEvent::Unsent { id, .. } => {
                    if let Some(n) = ends.get_mut(&id) {
                        *n += 1;
                    }
                }
                EdgeEvent::BindCompleted { ticket, .. } => {
                    if let Some(n) = tickets.get_mut(&ticket) {
                        *n += 1;
                    }
                }
                _ => {}
            }
        }
        for (id, n) in ends {
            prop_assert_eq!(n, 1, "request {} ended {} times", id, n);
        }
        for (ticket, n) in tickets {
            prop_assert_eq!(n, 1, "ticket {:?} ended {} times", ticket, n);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn random_inputs_keep_the_invariants(
            ops in proptest::collection::vec(op(), 1..120),
            queue in prop_oneof![Just(None), (0usize..4).prop_map(Some)],
        ) {
            run(ops, queue)?;
        }
    }
}

// ---------------------------------------------------------------- runtime policies

/// Answers the AUTH just sent with `status`.
fn answer_auth(h: &mut H, status: StatusCode) {
    let sent = h.sent();
    let auth = sent[0].msg().clone();
    assert!(matches!(auth.body, Body::Auth(_)));
    h.feed_ok(&response(auth.header.request_id, status));
}

#[test]
fn queued_requests_inside_their_timeout_go_out_after_reconnect_with_their_ids() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    h.closed();
    h.events();
    // Disconnected: queued with deadline t0 + 10 s (request timeout) and t0 + 6 s + 10 s.
    let early = h.edge.read_property(h.now, "A", "x").unwrap();
    h.at(ms(6_000));
    let late = h.edge.read_property(h.now, "A", "y").unwrap();
    assert_eq!(h.timeout(), Some(h.t0 + ms(10_000)));
    h.connect();
    h.closed(); // another failed connection: still queued
    h.sent();
    h.events();
    h.at(ms(10_000));
    // `early` is past its timeout: it ends, never sent; `late` is still inside.
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Response {
            id: early,
            result: Err(RequestError::Timeout)
        }]
    );
    assert_eq!(h.edge.queued_requests(), 1);
    h.connect();
    answer_auth(&mut h, StatusCode::SUCCESS);
    let sent = h.sent();
    let ids: Vec<u32> = sent.iter().map(|o| o.msg().header.request_id).collect();
    assert!(matches!(sent[0].msg().body, Body::Bind(_)));
    assert_eq!(
        ids[1..],
        [late],
        "the request goes out again under its own id"
    );
    assert_eq!(h.edge.queued_requests(), 0);
    // It ends exactly once, with the platform's answer.
    h.feed_ok(&response(late, StatusCode::SUCCESS));
    let ev = h.events();
    assert!(ev
        .iter()
        .any(|e| matches!(e, EdgeEvent::Response { id, result: Ok(_) } if *id == late)));
    assert!(!ev
        .iter()
        .any(|e| matches!(e, EdgeEvent::Response { id, .. } if *id == early)));
}

#[test]
fn close_hands_back_requests_still_queued() {
    let mut h = H::new(config());
    h.connect();
    let q = h.edge.read_property(h.now, "A", "x").unwrap();
    h.closed();
    h.events();
    h.edge.close(h.now, CLOSE_REASON_SHUTDOWN);
    let ev = h.events();
    assert!(
        matches!(&ev[0], EdgeEvent::Unsent { id, .. } if *id == q),
        "{ev:?}"
    );
    assert_eq!(ev[1], EdgeEvent::Closed);
}

#[test]
fn reconnect_delays_grow_to_the_cap_and_reset_only_after_a_stable_period() {
    let mut cfg = config();
    cfg.reconnect = ReconnectPolicy::new(ms(100), ms(1_000)).with_stable_period(ms(30_000));
    let mut h = H::new(cfg);
    assert_eq!(
        h.edge.reconnect(h.now, 12345),
        Reconnect::At(h.now),
        "first connect at once"
    );
    let mut caps = Vec::new();
    for _ in 0..6 {
        h.edge.handle_input(h.now, Input::ConnectFailed).unwrap();
        let base = ReconnectPolicy::new(ms(100), ms(1_000)).base_delay(h.edge.failures());
        caps.push(base);
        // The draw picks the point in [base/2, base].
        assert_eq!(h.edge.reconnect(h.now, 0), Reconnect::At(h.now + base / 2));
        let span = (base - base / 2).as_nanos() as u64;
        assert_eq!(h.edge.reconnect(h.now, span), Reconnect::At(h.now + base));
    }
    assert_eq!(
        caps,
        [ms(100), ms(200), ms(400), ms(800), ms(1_000), ms(1_000)]
    );
    h.connect();
    assert_eq!(h.edge.reconnect(h.now, 0), Reconnect::Connected);
    answer_auth(&mut h, StatusCode::SUCCESS);
    assert_eq!(
        h.edge.failures(),
        6,
        "AUTH success alone does not reset the count"
    );
    // A platform that closes right after AUTH (and BIND): the delays stay at the cap.
    h.at(ms(29_999));
    h.closed();
    assert_eq!(h.edge.failures(), 7);
    assert_eq!(h.edge.reconnect(h.now, 0), Reconnect::At(h.now + ms(500)));
    // A connection that stayed authenticated for the stable period starts them over.
    h.connect();
    answer_auth(&mut h, StatusCode::SUCCESS);
    h.at(ms(60_000));
    h.closed();
    assert_eq!(h.edge.failures(), 1, "a lost connection is a failure");
    assert_eq!(h.edge.reconnect(h.now, 0), Reconnect::At(h.now + ms(50)));
    // A refusal after an earlier success is retried like any failure.
    h.connect();
    answer_auth(&mut h, StatusCode::UNAUTHORIZED);
    h.closed();
    assert_eq!(h.edge.state(), EdgeState::Disconnected);
    assert_eq!(h.edge.reconnect(h.now, 0), Reconnect::At(h.now + ms(100)));
}

#[test]
fn garbage_answering_auth_is_a_connection_failure_not_a_refusal() {
    let mut h = H::new(config());
    h.connect();
    let _ = h.sent();
    // A platform answering AUTH with bytes that are no message.
    let err = h.edge.handle_input(
        h.now,
        Input::Message(Bytes::from_static(&[0x01, 0x02, 0x03])),
    );
    assert!(err.is_err());
    assert_eq!(
        h.events(),
        vec![EdgeEvent::AuthFailed(AuthFailure::Malformed)]
    );
    assert!(matches!(
        h.sent().as_slice(),
        [Out::Close(_, reason)] if reason == CLOSE_REASON_AUTH_MALFORMED
    ));
    h.closed();
    assert_eq!(h.edge.state(), EdgeState::Disconnected);
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Disconnected {
            reason: DisconnectReason::AuthFailed(AuthFailure::Malformed)
        }]
    );
    // Retried with growing delays, never given up as refused credentials.
    let first = h.edge.reconnect(h.now, 0);
    assert!(matches!(first, Reconnect::At(_)), "{first:?}");
    h.connect();
    let _ = h.sent();
    h.at(ms(10_000));
    assert_eq!(
        h.events(),
        vec![EdgeEvent::AuthFailed(AuthFailure::TimedOut)]
    );
    h.closed();
    assert_eq!(h.edge.failures(), 2);
    assert!(matches!(h.edge.reconnect(h.now, 0), Reconnect::At(_)));
}

#[test]
fn an_auth_timeout_on_the_first_connect_is_retried() {
    let mut h = H::new(config());
    h.connect();
    h.at(ms(10_000));
    h.closed();
    assert_eq!(h.edge.state(), EdgeState::Disconnected);
    assert!(matches!(h.edge.reconnect(h.now, 0), Reconnect::At(_)));
}

#[test]
fn reconnect_gives_up_after_max_attempts_and_after_close() {
    let mut cfg = config();
    cfg.reconnect = ReconnectPolicy::default().with_max_attempts(Some(2));
    let mut h = H::new(cfg);
    let q = h.edge.read_property(h.now, "A", "x").unwrap();
    h.edge.handle_input(h.now, Input::ConnectFailed).unwrap();
    assert!(matches!(h.edge.reconnect(h.now, 0), Reconnect::At(_)));
    h.connect();
    h.closed();
    assert_eq!(
        h.edge.reconnect(h.now, 0),
        Reconnect::GiveUp(GiveUp::Attempts(2))
    );
    let ev = h.events();
    assert!(ev
        .iter()
        .any(|e| matches!(e, EdgeEvent::Unsent { id, .. } if *id == q)));
    assert_eq!(ev.last(), Some(&EdgeEvent::Closed));
    assert_eq!(h.edge.state(), EdgeState::Closed);

    let mut h = H::new(config());
    h.edge.close(h.now, CLOSE_REASON_SHUTDOWN);
    assert_eq!(
        h.edge.reconnect(h.now, 0),
        Reconnect::GiveUp(GiveUp::Closed)
    );
}

#[test]
fn close_is_bounded_by_the_close_timeout() {
    let mut h = H::new(config());
    h.bound(&["A"]);
    h.edge.close(h.now, CLOSE_REASON_SHUTDOWN);
    h.sent();
    h.events();
    assert_eq!(h.edge.state(), EdgeState::Closing);
    assert_eq!(h.timeout(), Some(h.t0 + ms(5_000)));
    h.at(ms(4_999));
    assert_eq!(h.edge.state(), EdgeState::Closing);
    h.at(ms(5_000));
    assert_eq!(h.events(), vec![EdgeEvent::Closed]);
    assert_eq!(h.edge.state(), EdgeState::Closed);
    assert_eq!(h.timeout(), None);
    // The websocket finally going away changes nothing.
    h.closed();
    assert!(h.events().is_empty());
}

#[test]
fn poll_output_drains_events_then_transmits_then_the_deadline() {
    let mut h = H::new(config());
    h.edge.handle_input(h.now, Input::Connected).unwrap();
    let Output::Transmit(Transmit::Message(auth)) = h.edge.poll_output() else {
        panic!("AUTH first")
    };
    assert_eq!(auth.get(1), Some(&0x14));
    assert_eq!(
        h.edge.poll_output(),
        Output::Timeout(Some(h.t0 + ms(10_000)))
    );
    let id = Frame::decode(auth).unwrap();
    let Frame::Message(m) = id.value else {
        panic!()
    };
    let ok = response(m.header.request_id, StatusCode::SUCCESS)
        .encode()
        .unwrap();
    h.edge.handle_input(h.now, Input::Message(ok)).unwrap();
    assert_eq!(
        h.edge.poll_output(),
        Output::Event(EdgeEvent::Authenticated { session_id: SID })
    );
    assert!(matches!(h.edge.poll_output(), Output::Timeout(Some(_))));
    h.edge
        .handle_input(h.now, Input::Message(Bytes::from_static(b"\x01")))
        .unwrap_err();
    assert_eq!(h.edge.stats().late_responses, 0);
}

#[test]
fn bind_and_unbind_tickets_complete_once_their_names_are_answered() {
    let mut h = H::new(config());
    // Before connecting: waits for the BIND after AUTH.
    let t1 = h.edge.bind(h.now, ["A", "B"]);
    assert!(h.all_events().is_empty());
    h.connect();
    answer_auth(&mut h, StatusCode::SUCCESS);
    let bind = h.sent()[0].msg().clone();
    assert_eq!(names(&bind), ["A", "B"]);
    h.feed_ok(&response(bind.header.request_id, StatusCode::SUCCESS));
    let ev = h.all_events();
    assert_eq!(
        ev[1..],
        [
            EdgeEvent::Bound { name: "A".into() },
            EdgeEvent::Bound { name: "B".into() },
            EdgeEvent::BindCompleted {
                ticket: t1,
                result: BindResult::Done
            }
        ]
    );
    // Already bound: at once.
    let t2 = h.edge.bind(h.now, ["A"]);
    assert_eq!(
        h.all_events(),
        [EdgeEvent::BindCompleted {
            ticket: t2,
            result: BindResult::Done
        }]
    );
    assert!(h.sent().is_empty());
    // A refusal is reported with its status.
    let t3 = h.edge.bind(h.now, ["C"]);
    let c = h.sent()[0].msg().clone();
    h.feed_ok(&response(c.header.request_id, StatusCode::FORBIDDEN));
    assert_eq!(
        h.all_events().last(),
        Some(&EdgeEvent::BindCompleted {
            ticket: t3,
            result: BindResult::Rejected(vec![BindRefusal {
                name: "C".into(),
                status: StatusCode::FORBIDDEN,
                reason: None,
            }])
        })
    );
    // Unbind: on the UNBIND answer; names not registered complete at once.
    let t4 = h.edge.unbind(h.now, ["A", "nope"]);
    let u = h.sent()[0].msg().clone();
    assert!(h.all_events().is_empty());
    h.feed_ok(&response(u.header.request_id, StatusCode::SUCCESS));
    assert_eq!(
        h.all_events(),
        [
            EdgeEvent::Unbound { name: "A".into() },
            EdgeEvent::BindCompleted {
                ticket: t4,
                result: BindResult::Done
            }
        ]
    );
    let t5 = h.edge.unbind(h.now, ["nope"]);
    assert_eq!(
        h.all_events(),
        [EdgeEvent::BindCompleted {
            ticket: t5,
            result: BindResult::Done
        }]
    );
    // Open tickets end before Closed.
    h.closed();
    h.all_events();
    let t6 = h.edge.bind(h.now, ["D"]);
    h.edge.close(h.now, CLOSE_REASON_SHUTDOWN);
    assert_eq!(
        h.all_events(),
        [
            EdgeEvent::BindCompleted {
                ticket: t6,
                result: BindResult::Closed
            },
            EdgeEvent::Closed
        ]
    );
    let t7 = h.edge.bind(h.now, ["E"]);
    assert_eq!(
        h.all_events(),
        [EdgeEvent::BindCompleted {
            ticket: t7,
            result: BindResult::Closed
        }]
    );
}

/// A duty cycle of 10 s at 50 %, simulated over several periods: UNBIND then close at each
/// off start, reconnect at each on start (not counted as failures), re-BIND after AUTH,
/// and a request made during the off time goes out after the BIND.
#[test]
fn duty_cycle_unbinds_closes_and_reconnects_every_period() {
    let mut c = config();
    c.duty_cycle = Some(DutyCycle::new(Duration::from_secs(10), 50).unwrap());
    let mut h = H::new(c);
    assert_eq!(h.edge.reconnect(h.now, 0), Reconnect::At(h.t0));
    h.bound(&["Pump1", "Pump2"]);
    let period = Duration::from_secs(10);
    for k in 0..4u32 {
        let on = period * k;
        let off = on + Duration::from_secs(5);
        assert_eq!(h.edge.state(), EdgeState::Authenticated, "period {k}");
        assert!(h.edge.poll_timeout().is_some_and(|t| t <= h.t0 + off));
        // Just before the off time: nothing happens.
        h.at(off - ms(1));
        assert!(h.sent().iter().all(|o| *o == Out::Ping), "period {k}");
        // The off time starts: UNBIND every thing, then close.
        h.at(off);
        let sent = h.sent();
        assert_eq!(sent.len(), 2, "period {k}: {sent:?}");
        assert!(matches!(sent[0].msg().body, Body::Unbind(_)));
        assert_eq!(names(sent[0].msg()), ["Pump1", "Pump2"]);
        assert_eq!(
            sent[1],
            Out::Close(CLOSE_NORMAL, CLOSE_REASON_DUTY_CYCLE.into())
        );
        h.edge.handle_input(h.now, Input::Closed).unwrap();
        assert_eq!(
            h.events(),
            vec![EdgeEvent::Disconnected {
                reason: DisconnectReason::DutyCycleOff
            }]
        );
        assert_eq!(h.edge.failures(), 0, "a planned close is not a failure");
        assert_eq!(h.edge.state(), EdgeState::Disconnected);
        // Off time: reconnect only at the next on time.
        let next_on = h.t0 + on + period;
        assert_eq!(h.edge.reconnect(h.now, 12345), Reconnect::At(next_on));
        h.at(off + Duration::from_secs(2));
        assert_eq!(h.edge.reconnect(h.now, 0), Reconnect::At(next_on));
        let queued = h.edge.read_property(h.now, "Pump1", "temp").unwrap();
        assert!(h.sent().is_empty());
        // The on time starts: connect, AUTH, BIND both things again, then the request.
        h.at(on + period);
        let after_auth = h.authenticate();
        assert_eq!(after_auth.len(), 2, "period {k}: {after_auth:?}");
        assert!(matches!(after_auth[0].msg().body, Body::Bind(_)));
        assert_eq!(names(after_auth[0].msg()), ["Pump1", "Pump2"]);
        assert_eq!(after_auth[1].msg().header.request_id, queued);
        let bind_id = after_auth[0].msg().header.request_id;
        h.feed_ok(&response(bind_id, StatusCode::SUCCESS));
        h.feed_ok(&response(queued, StatusCode::SUCCESS));
        let events = h.events();
        assert!(
            events.contains(&EdgeEvent::Bound {
                name: "Pump2".into()
            }),
            "{events:?}"
        );
    }
}

/// With a duty cycle, a reconnect delay that would end inside an off time moves to the next
/// on time, and a websocket that opens inside an off time is closed at once.
#[test]
fn duty_cycle_keeps_reconnects_out_of_the_off_time() {
    let mut c = config();
    c.reconnect = ReconnectPolicy::new(Duration::from_secs(1), Duration::from_secs(1));
    c.duty_cycle = Some(DutyCycle::new(Duration::from_secs(10), 50).unwrap());
    let mut h = H::new(c);
    h.edge.handle_input(h.now, Input::ConnectFailed).unwrap();
    // Early in the on time the backoff applies as usual ...
    assert!(matches!(h.edge.reconnect(h.now, 0), Reconnect::At(t) if t == h.t0 + ms(500)));
    // ... late in it, the retry waits for the next on time.
    h.at(ms(4_800));
    h.edge.handle_input(h.now, Input::ConnectFailed).unwrap();
    assert_eq!(
        h.edge.reconnect(h.now, u64::MAX),
        Reconnect::At(h.t0 + Duration::from_secs(10))
    );
    // A connection that opens inside the off time is closed at the next timeout.
    h.at(ms(6_000));
    h.connect();
    assert_eq!(h.edge.poll_timeout(), Some(h.now));
    h.sent();
    h.at(ms(6_000));
    assert_eq!(
        h.sent(),
        vec![Out::Close(CLOSE_NORMAL, CLOSE_REASON_DUTY_CYCLE.into())]
    );
}

/// The queued requests' expiry is one of the session's timers: while AUTH is pending the
/// next deadline is the earlier of the two, and a queued request ends at its own deadline
/// on a connection still authenticating.
#[test]
fn a_queued_request_expires_at_its_deadline_while_auth_is_pending() {
    let mut h = H::new(config());
    let id = h.edge.read_property(h.now, "A", "x").unwrap(); // queued: ends at 10 s
    assert_eq!(h.timeout(), Some(h.t0 + ms(10_000)));
    h.at(ms(4_000));
    h.connect(); // AUTH deadline at 14 s
    let auth = h.sent()[0].msg().header.request_id;
    assert_eq!(h.timeout(), Some(h.t0 + ms(10_000)));
    h.at(ms(9_999));
    assert!(h.events().is_empty());
    h.at(ms(10_000));
    assert_eq!(
        h.events(),
        vec![EdgeEvent::Response {
            id,
            result: Err(RequestError::Timeout)
        }]
    );
    assert_eq!(h.edge.queued_requests(), 0);
    assert_eq!(h.timeout(), Some(h.t0 + ms(14_000)), "the AUTH deadline");
    // AUTH succeeds later: the expired request is not sent.
    h.feed_ok(&response(auth, StatusCode::SUCCESS));
    assert!(h.sent().is_empty());
}

/// A BIND retry's deadline leaves the timers when its names are taken by a newer UNBIND,
/// when a late answer settles it, and when the connection ends.
#[test]
fn a_bind_retry_deadline_goes_when_superseded_answered_or_disconnected() {
    // Superseded: an UNBIND of the name (at 12 s) decides instead; its own request
    // deadline (22 s) is next, not the retry (20 s).
    let mut h = H::new(config());
    h.bound(&["A"]);
    time_out_bind(&mut h, &["C"]); // retry due at 20 s
    assert_eq!(h.timeout(), Some(h.t0 + ms(20_000)));
    h.at(ms(12_000));
    h.edge.unbind(h.now, ["C"]);
    h.sent();
    assert_eq!(h.timeout(), Some(h.t0 + ms(22_000)));
    h.at(ms(20_000));
    assert!(h.sent().is_empty(), "no BIND retry");

    // Answered late: nothing is scheduled but the ping.
    let mut h = H::new(config());
    h.bound(&["A"]);
    let id = time_out_bind(&mut h, &["C"]);
    h.feed_ok(&response(id, StatusCode::SUCCESS));
    h.events();
    assert_eq!(h.timeout(), Some(h.t0 + ms(55_000)));

    // Disconnected: no deadline at all (nothing queued).
    let mut h = H::new(config());
    h.bound(&["A"]);
    time_out_bind(&mut h, &["C"]);
    h.closed();
    h.events();
    assert_eq!(h.timeout(), None);
}
