//! Platform [`Endpoint`] scenarios: several connections from one endpoint, driven only
//! through `handle_input` / `poll_output`, with the endpoint relaying what spans them.
#![allow(clippy::unwrap_used)]

use alwayson_proto::multipart::MIN_CHUNK_SIZE;
use alwayson_proto::platform::{
    session_id_for, AuthPolicy, BindPolicy, CloseReason, ConnectionEvent, ConnectionId, Endpoint,
    EndpointEvent, Handshake, PlatformConfig, PlatformEvent, PlatformSession, ThingRegistry,
};
use alwayson_proto::{
    Auth, Bind, Body, Frame, Header, InfoTable, Input, Message, Output, Request, RequestError,
    StatusCode, Transmit, Value, WireString, AUTH_SESSION_ID,
};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

const KEY: &str = "good-key";

fn auth(rid: u32, auth: Auth) -> Bytes {
    Message {
        header: Header::new(rid, AUTH_SESSION_ID),
        body: Body::Auth(auth),
    }
    .encode()
    .unwrap()
}

fn bind(rid: u32, sid: u32, names: &[WireString]) -> Bytes {
    Message {
        header: Header::new(rid, sid),
        body: Body::Bind(Bind {
            gateway: None,
            names: names.to_vec(),
        }),
    }
    .encode()
    .unwrap()
}

/// One platform: an endpoint and the sessions it handed out, keyed by connection id.
struct Platform {
    now: Instant,
    wall: SystemTime,
    endpoint: Endpoint,
    sessions: BTreeMap<ConnectionId, PlatformSession>,
    /// Every output, per connection, in order.
    transmits: BTreeMap<ConnectionId, Vec<Transmit>>,
    events: BTreeMap<ConnectionId, Vec<PlatformEvent>>,
}

impl Platform {
    fn new(policy: BindPolicy, auth: AuthPolicy, config: PlatformConfig) -> Self {
        Self {
            now: Instant::now(),
            wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            endpoint: Endpoint::new(config, ThingRegistry::new(policy), auth),
            sessions: BTreeMap::new(),
            transmits: BTreeMap::new(),
            events: BTreeMap::new(),
        }
    }

    fn keys(policy: BindPolicy) -> Self {
        Self::new(
            policy,
            AuthPolicy::app_keys([KEY]),
            PlatformConfig::default(),
        )
    }

    fn open(&mut self, handshake: &Handshake) -> ConnectionId {
        let (id, session) = self.endpoint.accept(self.now, self.wall, handshake);
        self.sessions.insert(id, session);
        id
    }

    fn input(&mut self, id: ConnectionId, input: Input) {
        let _ = self
            .sessions
            .get_mut(&id)
            .unwrap()
            .handle_input(self.now, input);
        self.drain();
    }

    /// Drains every session; carries endpoint events to the connection they name.
    fn drain(&mut self) {
        loop {
            let mut relays = Vec::new();
            for (&id, session) in &mut self.sessions {
                loop {
                    match session.poll_output() {
                        Output::Transmit(t) => self.transmits.entry(id).or_default().push(t),
                        Output::Event(e) => self.events.entry(id).or_default().push(e),
                        Output::Timeout(_) => break,
                        other => panic!("unexpected {other:?}"),
                    }
                }
                while let Some(ev) = session.poll_endpoint_event() {
                    relays.extend(self.endpoint.handle_event(id, ev));
                }
            }
            if relays.is_empty() {
                return;
            }
            for (to, event) in relays {
                if let Some(s) = self.sessions.get_mut(&to) {
                    s.handle_connection_event(event);
                }
            }
        }
    }

    fn take_events(&mut self, id: ConnectionId) -> Vec<PlatformEvent> {
        self.events.remove(&id).unwrap_or_default()
    }

    fn take_messages(&mut self, id: ConnectionId) -> Vec<Message> {
        self.transmits
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| match t {
                Transmit::Message(b) => match Frame::decode(b).unwrap().value {
                    Frame::Message(m) => Some(m),
                    Frame::Chunk(_) => None,
                },
                _ => None,
            })
            .collect()
    }

    /// Opens a connection, logs in with `key`, binds `names`; returns the connection id.
    fn login_and_bind(&mut self, names: &[&str]) -> ConnectionId {
        let id = self.open(&Handshake::default());
        self.input(id, Input::Message(auth(1, Auth::app_key(KEY))));
        let names: Vec<WireString> = names.iter().map(|n| WireString::from(*n)).collect();
        self.input(id, Input::Message(bind(2, session_id_for(id), &names)));
        id
    }
}

fn status_of(messages: &[Message], rid: u32) -> Option<StatusCode> {
    messages.iter().find_map(|m| match &m.body {
        Body::Response(r) if m.header.request_id == rid => Some(r.status),
        _ => None,
    })
}

#[test]
fn app_key_policy_accepts_good_keys_and_refuses_others_without_asking() {
    let mut p = Platform::keys(BindPolicy::FirstInWins);
    let good = p.open(&Handshake::default());
    p.input(good, Input::Message(auth(1, Auth::app_key(KEY))));
    assert_eq!(
        p.take_events(good),
        vec![PlatformEvent::Authenticated {
            session_id: session_id_for(good)
        }]
    );
    assert_eq!(
        status_of(&p.take_messages(good), 1),
        Some(StatusCode::SUCCESS)
    );

    let bad = p.open(&Handshake::default());
    p.input(bad, Input::Message(auth(1, Auth::app_key("wrong"))));
    assert_eq!(
        p.take_events(bad),
        vec![PlatformEvent::AuthRejected],
        "no AuthRequested: decided"
    );
    assert_eq!(
        status_of(&p.take_messages(bad), 1),
        Some(StatusCode::UNAUTHORIZED)
    );
    p.input(bad, Input::Closed);
    assert_eq!(
        p.take_events(bad),
        vec![PlatformEvent::Closed {
            reason: CloseReason::AuthRejected
        }]
    );
    assert_eq!(p.endpoint.connections().collect::<Vec<_>>(), vec![good]);
}

#[test]
fn closure_accept_all_and_application_policies() {
    let check = AuthPolicy::check(|a: &Auth| {
        a.claims
            .iter()
            .any(|c| c.name == "user" && c.value == "ops")
    });
    let mut p = Platform::new(BindPolicy::FirstInWins, check, PlatformConfig::default());
    let id = p.open(&Handshake::default());
    p.input(id, Input::Message(auth(1, Auth::user_password("ops", "x"))));
    assert!(matches!(
        p.take_events(id)[..],
        [PlatformEvent::Authenticated { .. }]
    ));
    let id = p.open(&Handshake::default());
    p.input(id, Input::Message(auth(1, Auth::user_password("eve", "x"))));
    assert_eq!(
        status_of(&p.take_messages(id), 1),
        Some(StatusCode::UNAUTHORIZED)
    );

    let mut p = Platform::new(
        BindPolicy::FirstInWins,
        AuthPolicy::AcceptAll,
        PlatformConfig::default(),
    );
    let id = p.open(&Handshake::default());
    p.input(id, Input::Message(auth(1, Auth::app_key("anything"))));
    assert_eq!(
        status_of(&p.take_messages(id), 1),
        Some(StatusCode::SUCCESS)
    );

    let mut p = Platform::new(
        BindPolicy::FirstInWins,
        AuthPolicy::Application,
        PlatformConfig::default(),
    );
    let id = p.open(&Handshake::default());
    p.input(id, Input::Message(auth(5, Auth::app_key(KEY))));
    assert!(
        p.take_messages(id).is_empty(),
        "nothing before the decision"
    );
    assert!(matches!(
        p.take_events(id)[..],
        [PlatformEvent::AuthRequested { request_id: 5, .. }]
    ));
    p.sessions
        .get_mut(&id)
        .unwrap()
        .accept_auth(p.now, 5)
        .unwrap();
    p.drain();
    assert_eq!(
        status_of(&p.take_messages(id), 5),
        Some(StatusCode::SUCCESS)
    );
}

#[test]
fn routing_follows_the_registry_and_the_session_checks_again() {
    let mut p = Platform::keys(BindPolicy::FirstInWins);
    let a = p.login_and_bind(&["Pump1"]);
    let b = p.login_and_bind(&["Pump2"]);
    assert_eq!(p.endpoint.route("Pump1"), Ok(a));
    assert_eq!(p.endpoint.route(b"Pump2"), Ok(b));
    assert_eq!(
        p.endpoint.route("Nobody"),
        Err(RequestError::NotBound("Nobody".into()))
    );
    // A request routed to the wrong connection is refused there, nothing sent.
    p.transmits.clear();
    let wrong = p
        .sessions
        .get_mut(&b)
        .unwrap()
        .request(p.now, Request::read_property("Pump1", "temp"));
    assert_eq!(wrong, Err(RequestError::NotBound("Pump1".into())));
    let to = p.endpoint.route("Pump1").unwrap();
    let id = p
        .sessions
        .get_mut(&to)
        .unwrap()
        .request(p.now, Request::read_property("Pump1", "temp"))
        .unwrap();
    p.drain();
    let sent = p.take_messages(a);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header.request_id, id);
    assert!(p.take_messages(b).is_empty());
    // Closed: the thing is released and no longer routable.
    p.input(a, Input::Closed);
    assert!(p.endpoint.route("Pump1").is_err());
}

#[test]
fn first_in_wins_refuses_the_second_bind() {
    let mut p = Platform::keys(BindPolicy::FirstInWins);
    let a = p.login_and_bind(&["Pump"]);
    let b = p.login_and_bind(&["Pump"]);
    assert_eq!(
        status_of(&p.take_messages(b), 2),
        Some(StatusCode::FORBIDDEN)
    );
    assert!(p.take_events(b).contains(&PlatformEvent::BindRefused {
        name: "Pump".into(),
        holder: a
    }));
    assert_eq!(p.endpoint.route("Pump"), Ok(a));
    assert!(p
        .take_events(a)
        .iter()
        .all(|e| !matches!(e, PlatformEvent::Unbound { .. })));
}

#[test]
fn last_in_wins_moves_the_thing_and_the_endpoint_tells_the_old_holder() {
    let mut p = Platform::keys(BindPolicy::LastInWins);
    // A name that is not UTF-8: relayed as bytes, nothing lossy.
    let raw = WireString::from_bytes(vec![b'P', 0xff, b'1']);
    let a = p.open(&Handshake::default());
    p.input(a, Input::Message(auth(1, Auth::app_key(KEY))));
    p.input(
        a,
        Input::Message(bind(2, session_id_for(a), std::slice::from_ref(&raw))),
    );
    let b = p.open(&Handshake::default());
    p.input(b, Input::Message(auth(1, Auth::app_key(KEY))));
    p.take_events(a);
    p.input(
        b,
        Input::Message(bind(2, session_id_for(b), std::slice::from_ref(&raw))),
    );
    assert_eq!(status_of(&p.take_messages(b), 2), Some(StatusCode::SUCCESS));
    // The old holder learned it through the endpoint, in the same drain.
    assert_eq!(
        p.take_events(a),
        vec![PlatformEvent::Unbound { name: raw.clone() }]
    );
    assert_eq!(p.sessions[&a].bound_things(), Vec::<WireString>::new());
    assert_eq!(p.sessions[&b].bound_things(), vec![raw.clone()]);
    assert_eq!(p.endpoint.route(raw.as_bytes()), Ok(b));
    // The old holder closing later leaves the moved thing alone.
    p.input(a, Input::Closed);
    assert_eq!(p.endpoint.route(raw.as_bytes()), Ok(b));
    // A stale relay (the thing came back to a) is ignored by the session.
    p.input(b, Input::Closed);
    let c = p.open(&Handshake::default());
    p.input(c, Input::Message(auth(1, Auth::app_key(KEY))));
    p.input(
        c,
        Input::Message(bind(2, session_id_for(c), std::slice::from_ref(&raw))),
    );
    p.take_events(c);
    p.sessions
        .get_mut(&c)
        .unwrap()
        .handle_connection_event(relayed(&mut p.endpoint, raw.clone(), c));
    assert!(
        p.take_events(c).is_empty(),
        "still bound here: stale, ignored"
    );
    p.drain();
    assert!(p.take_events(c).is_empty());
    assert_eq!(p.endpoint.route(raw.as_bytes()), Ok(c));
}

/// What the endpoint sends the holder `from` when `name` moves away from it.
fn relayed(endpoint: &mut Endpoint, name: WireString, from: ConnectionId) -> ConnectionEvent {
    let (to, event) = endpoint
        .handle_event(from + 100, EndpointEvent::ThingMoved { name, from })
        .unwrap();
    assert_eq!(to, from);
    event
}

#[test]
fn max_frame_size_is_negotiated_into_the_chunk_size_of_messages_to_the_edge() {
    let mut config = PlatformConfig::default();
    config.chunk_size = 8192;
    let mut p = Platform::new(BindPolicy::FirstInWins, AuthPolicy::AcceptAll, config);
    let small = p.open(&Handshake::with_max_frame_size(Some("1024")));
    let tiny = p.open(&Handshake::with_max_frame_size(Some("10")));
    let plain = p.open(&Handshake::default());
    assert_eq!(p.sessions[&small].chunk_size(), 1024);
    assert_eq!(p.sessions[&tiny].chunk_size(), MIN_CHUNK_SIZE);
    assert_eq!(p.sessions[&plain].chunk_size(), 8192);
    // A 3 KB request to the 1024-byte edge goes out in chunks no larger than 1024.
    p.input(small, Input::Message(auth(1, Auth::app_key("k"))));
    p.input(
        small,
        Input::Message(bind(2, session_id_for(small), &["Big".into()])),
    );
    p.transmits.clear();
    let params = InfoTable::single("blob", Value::from("x".repeat(3000)));
    p.sessions
        .get_mut(&small)
        .unwrap()
        .request(p.now, Request::invoke_service("Big", "Store", Some(params)))
        .unwrap();
    p.drain();
    let sent = p.transmits.remove(&small).unwrap();
    assert!(sent.len() >= 3, "{} websocket messages", sent.len());
    for t in sent {
        let Transmit::Message(bytes) = t else {
            panic!("{t:?}")
        };
        assert!(bytes.len() <= 1024, "{} bytes", bytes.len());
    }
}

#[test]
fn a_session_created_with_the_endpoint_reports_wall_clock_times_from_its_base() {
    let mut p = Platform::keys(BindPolicy::FirstInWins);
    let a = p.open(&Handshake::default());
    p.now += Duration::from_secs(90);
    p.input(a, Input::Message(auth(1, Auth::app_key(KEY))));
    p.input(a, Input::Message(bind(2, session_id_for(a), &["T".into()])));
    let status = p.endpoint.registry().get("T").unwrap();
    assert_eq!(
        status.last_connection,
        Some(p.wall + Duration::from_secs(90))
    );
}

#[test]
fn a_close_frame_from_the_edge_is_reported_with_its_code_and_reason() {
    let mut p = Platform::keys(BindPolicy::FirstInWins);
    let a = p.login_and_bind(&["T"]);
    let b = p.login_and_bind(&["U"]);
    p.take_events(a);
    p.take_events(b);
    // An SDK shutdown: UNBIND, then close 1000 "Normal Close Shutting down".
    let reason = "Normal Close Shutting down".to_owned();
    p.input(
        a,
        Input::PeerClosed {
            code: 1000,
            reason: reason.clone(),
        },
    );
    assert_eq!(
        p.take_events(a).last(),
        Some(&PlatformEvent::Closed {
            reason: CloseReason::PeerClosed { code: 1000, reason }
        })
    );
    // Without a close frame it is a lost connection, as before.
    p.input(b, Input::Closed);
    assert_eq!(
        p.take_events(b).last(),
        Some(&PlatformEvent::Closed {
            reason: CloseReason::ConnectionLost
        })
    );
    assert!(!p.endpoint.registry().get("T").unwrap().is_connected);
}
