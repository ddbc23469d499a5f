//! A deterministic simulator that wires [`EdgeSession`]s to [`PlatformSession`]s.
//!
//! Everything runs on a simulated clock: the simulator delivers websocket messages after a
//! per-direction latency, answers pings with pongs (unless told to swallow them), plays the
//! application on both sides, and steps time to the earliest of its pending deliveries and
//! every session's `poll_timeout`. A [`Link`] can drop, duplicate or delay messages (by
//! predicate or by probability from a seeded PRNG) and can be cut. Nothing here reads the
//! real clock or uses real randomness, so every run is reproducible.
//!
//! One platform ([`Endpoint`] with its [`ThingRegistry`], and the platform application)
//! serves any number of edges (*nodes*). Each node owns an edge session, its application,
//! its link and the platform sessions of its connections (a new one per reconnect, handed
//! out by the endpoint). Sessions are driven only through `handle_input` / `poll_output`;
//! what spans connections (the last-in-wins relay) is the endpoint's: the simulator only
//! carries its [`ConnectionEvent`]s to the connection they name. Reconnects follow the
//! edge's own policy (`EdgeSession::reconnect`, jitter drawn from a seeded PRNG).
#![allow(dead_code, clippy::unwrap_used)]

use alwayson_proto::conventions::UPDATE_SUBSCRIBED_PROPERTY_VALUES;
use alwayson_proto::edge::{
    EdgeConfig, EdgeEvent, EdgeSession, EdgeState, Reconnect, CLOSE_REASON_SHUTDOWN,
};
use alwayson_proto::platform::{
    AuthPolicy, CloseReason, ConnectionEvent, ConnectionId, Endpoint, Handshake, PlatformConfig,
    PlatformEvent, PlatformSession, ThingRegistry,
};
use alwayson_proto::{
    BindPolicy, Characteristic, Frame, InfoTable, Input, Message, Method, Output, Request,
    RequestError, Response, StatusCode, Transmit, Value, WireString,
};
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime};

// ---------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------

/// SplitMix64: tiny, seeded, good enough for link faults.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`0` when `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability `ppm` per million.
    pub fn chance(&mut self, ppm: u32) -> bool {
        ppm > 0 && self.below(1_000_000) < u64::from(ppm)
    }
}

// ---------------------------------------------------------------------------------------
// Link
// ---------------------------------------------------------------------------------------

/// Direction of a websocket message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dir {
    /// Edge → platform.
    E2P,
    /// Platform → edge.
    P2E,
}

impl Dir {
    fn index(self) -> usize {
        match self {
            Dir::E2P => 0,
            Dir::P2E => 1,
        }
    }
}

/// What the link does with one websocket message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver after the latency.
    Deliver,
    /// Lose it.
    Drop,
    /// Deliver twice.
    Duplicate,
    /// Deliver after the latency plus this (later messages queue behind it: FIFO).
    Delay(Duration),
}

/// A predicate deciding the fate of individual messages (run before the random faults).
pub type Filter = Box<dyn FnMut(Dir, &Bytes) -> Verdict>;

/// The connection between one edge and the platform.
pub struct Link {
    /// Edge → platform latency.
    pub latency_e2p: Duration,
    /// Platform → edge latency.
    pub latency_p2e: Duration,
    /// Probability (per million) of losing a message.
    pub drop_ppm: u32,
    /// Probability (per million) of delivering a message twice.
    pub dup_ppm: u32,
    /// Random extra delay in `0..=extra_delay_max` per message (order is kept).
    pub extra_delay_max: Duration,
    /// Do not answer pings with pongs.
    pub swallow_pongs: bool,
    /// Per-message predicate; `Deliver` lets the random faults decide.
    pub filter: Option<Filter>,
    rng: Rng,
    /// Messages lost by the link.
    pub dropped: u64,
    /// Messages duplicated by the link.
    pub duplicated: u64,
}

impl Link {
    /// A perfect link with 5 ms latency each way.
    pub fn new(seed: u64) -> Self {
        Self {
            latency_e2p: Duration::from_millis(5),
            latency_p2e: Duration::from_millis(5),
            drop_ppm: 0,
            dup_ppm: 0,
            extra_delay_max: Duration::ZERO,
            swallow_pongs: false,
            filter: None,
            rng: Rng::new(seed),
            dropped: 0,
            duplicated: 0,
        }
    }

    fn latency(&self, dir: Dir) -> Duration {
        match dir {
            Dir::E2P => self.latency_e2p,
            Dir::P2E => self.latency_p2e,
        }
    }

    fn verdict(&mut self, dir: Dir, bytes: &Bytes) -> Verdict {
        if let Some(filter) = self.filter.as_mut() {
            let v = filter(dir, bytes);
            if v != Verdict::Deliver {
                return v;
            }
        }
        if self.rng.chance(self.drop_ppm) {
            return Verdict::Drop;
        }
        if self.rng.chance(self.dup_ppm) {
            return Verdict::Duplicate;
        }
        if !self.extra_delay_max.is_zero() {
            let max = self.extra_delay_max.as_micros() as u64;
            return Verdict::Delay(Duration::from_micros(self.rng.below(max + 1)));
        }
        Verdict::Deliver
    }
}

// ---------------------------------------------------------------------------------------
// Applications
// ---------------------------------------------------------------------------------------

/// An application on either side: answers requests from an in-memory property map and a
/// couple of services (`Add`, `Echo`, `UpdateSubscribedPropertyValues`).
#[derive(Debug, Default, Clone)]
pub struct App {
    /// (thing, property) → value.
    pub props: BTreeMap<(String, String), Value>,
    /// Every request received, in order.
    pub requests: Vec<Request>,
    /// Do not answer anything (requests are still recorded).
    pub silent: bool,
}

impl App {
    /// Sets a property.
    pub fn set(&mut self, thing: &str, prop: &str, value: Value) {
        self.props
            .insert((thing.to_owned(), prop.to_owned()), value);
    }

    /// Reads a property.
    pub fn get(&self, thing: &str, prop: &str) -> Option<&Value> {
        self.props.get(&(thing.to_owned(), prop.to_owned()))
    }

    /// The answer to `req`, or `None` for no answer at all (a PUT without params, as the SDK).
    pub fn answer(&mut self, req: &Request) -> Option<Response> {
        self.requests.push(req.clone());
        if self.silent {
            return None;
        }
        let thing = req.entity_name.to_str_lossy().into_owned();
        let name = req.characteristic_name.to_str_lossy().into_owned();
        match (req.characteristic, req.method) {
            (Characteristic::Properties, Method::Put) => {
                let value = req.params.as_ref()?.first(&name)?.clone();
                self.props.insert((thing, name), value);
                Some(Response::success())
            }
            (Characteristic::Properties, _) => match self.props.get(&(thing, name.clone())) {
                Some(v) => Some(Response::with_content(InfoTable::single(name, v.clone()))),
                None => Some(Response::error(StatusCode::NOT_FOUND, "no such property")),
            },
            (Characteristic::Services, _) if name == UPDATE_SUBSCRIBED_PROPERTY_VALUES => match req
                .property_updates()
            {
                Some(updates) => {
                    for u in updates {
                        self.props
                            .insert((thing.clone(), u.name.to_str_lossy().into_owned()), u.value);
                    }
                    Some(Response::success())
                }
                None => Some(Response::error(StatusCode::BAD_REQUEST, "bad updates")),
            },
            (Characteristic::Services, _) if name == "Add" => {
                let num = |f: &str| match req.params.as_ref().and_then(|p| p.first(f)) {
                    Some(Value::Number(n)) => Some(*n),
                    Some(Value::Integer(n)) => Some(f64::from(*n)),
                    _ => None,
                };
                match (num("a"), num("b")) {
                    (Some(a), Some(b)) => Some(Response::with_content(InfoTable::single(
                        "result",
                        Value::Number(a + b),
                    ))),
                    _ => Some(Response::error(StatusCode::BAD_REQUEST, "need a and b")),
                }
            }
            (Characteristic::Services, _) if name == "Echo" => Some(Response {
                status: StatusCode::SUCCESS,
                reason: None,
                content: req.params.clone(),
            }),
            (Characteristic::Events, _) => Some(Response::success()),
            _ => Some(Response::error(StatusCode::NOT_FOUND, "not found")),
        }
    }
}

/// Params of `Add`.
pub fn add_params(a: f64, b: f64) -> InfoTable {
    use alwayson_proto::{BaseType, FieldDefinition};
    let mut t = InfoTable::with_fields(vec![
        FieldDefinition::new("a", BaseType::Number),
        FieldDefinition::new("b", BaseType::Number),
    ]);
    t.push_row(vec![Value::Number(a), Value::Number(b)]);
    t
}

// ---------------------------------------------------------------------------------------
// Connections, nodes, traces
// ---------------------------------------------------------------------------------------

/// One websocket between a node's edge and the platform.
pub struct Conn {
    /// The platform's connection id.
    pub id: ConnectionId,
    /// The platform session of this websocket.
    pub platform: PlatformSession,
    /// When it opened.
    pub opened: Instant,
    /// The edge has asked for a close (further edge transmits are stray).
    pub edge_closing: bool,
    /// The edge session has been told `handle_closed`.
    pub edge_closed: bool,
    /// The platform has asked for a close.
    pub platform_closing: bool,
    /// The platform session has been told `handle_closed`.
    pub platform_closed: bool,
    /// The edge reported `Authenticated` on this connection.
    pub edge_authed: bool,
    /// Things bound here, from the platform's Bound/Unbound/Closed events.
    pub bound: BTreeSet<String>,
    /// Things the edge believes bound on this connection (its Bound minus
    /// Unbound/BindRejected events while on it).
    pub edge_bound: BTreeSet<String>,
    /// Ids returned by `PlatformSession::request` on this connection.
    pub platform_requests: Vec<u32>,
    /// Platform Response events by id (every one, to count duplicates).
    pub platform_responses: BTreeMap<u32, Vec<Result<Response, RequestError>>>,
    /// When the platform session emitted `Closed`, and why.
    pub closed_event: Option<(Instant, CloseReason)>,
    /// The platform session's deadline, from the last `Output::Timeout`.
    deadline: Option<Instant>,
    last_arrival: [Option<Instant>; 2],
}

impl Conn {
    /// Both ends are gone.
    pub fn is_dead(&self) -> bool {
        self.edge_closed && self.platform_closed
    }
}

/// What the simulator recorded about one node.
#[derive(Debug, Default)]
pub struct Trace {
    /// Every edge event, with its time.
    pub edge: Vec<(Instant, EdgeEvent)>,
    /// Every platform event of this node's connections.
    pub platform: Vec<(Instant, ConnectionId, PlatformEvent)>,
    /// Every websocket message sent (before the link), with time, connection, direction.
    pub wire: Vec<(Instant, ConnectionId, Dir, Bytes)>,
    /// Times the edge transmitted a ping.
    pub pings: Vec<Instant>,
    /// Times the edge received a pong.
    pub pongs: Vec<Instant>,
    /// Close transmits: (time, connection, who, code, reason).
    pub closes: Vec<(Instant, ConnectionId, Dir, u16, String)>,
    /// Inbound errors returned by `handle_message` (edge side).
    pub edge_inbound_errors: Vec<String>,
    /// Inbound errors returned by `handle_message` (platform side).
    pub platform_inbound_errors: Vec<String>,
    /// Errors from `respond` calls made by the applications.
    pub respond_errors: Vec<String>,
    /// Protocol invariants the simulator saw broken (e.g. non-AUTH before AUTH success).
    pub violations: Vec<String>,
    /// Transmits from a side whose websocket was closing or gone (discarded).
    pub stray_transmits: Vec<String>,
    /// Ids returned by `EdgeSession::request`.
    pub edge_requests: Vec<u32>,
    /// Messages that arrived for a side that was already closed (discarded).
    pub discarded_deliveries: u64,
}

impl Trace {
    /// The edge Response events for `id`.
    pub fn edge_responses(&self, id: u32) -> Vec<&Result<Response, RequestError>> {
        self.edge
            .iter()
            .filter_map(|(_, e)| match e {
                EdgeEvent::Response { id: i, result } if *i == id => Some(result),
                _ => None,
            })
            .collect()
    }

    /// How many times the edge request `id` ended (Response or Unsent).
    pub fn edge_endings(&self, id: u32) -> usize {
        self.edge
            .iter()
            .filter(|(_, e)| match e {
                EdgeEvent::Response { id: i, .. } | EdgeEvent::Unsent { id: i, .. } => *i == id,
                _ => false,
            })
            .count()
    }

    /// Edge events matching `f`.
    pub fn edge_events(&self, f: impl Fn(&EdgeEvent) -> bool) -> Vec<&EdgeEvent> {
        self.edge.iter().map(|(_, e)| e).filter(|e| f(e)).collect()
    }

    /// Platform events matching `f`.
    pub fn platform_events(
        &self,
        f: impl Fn(ConnectionId, &PlatformEvent) -> bool,
    ) -> Vec<(ConnectionId, &PlatformEvent)> {
        self.platform
            .iter()
            .filter(|(_, c, e)| f(*c, e))
            .map(|(_, c, e)| (*c, e))
            .collect()
    }

    /// Messages sent in `dir` whose code byte is `code`.
    pub fn sent_with_code(&self, dir: Dir, code: u8) -> Vec<&Bytes> {
        self.wire
            .iter()
            .filter(|(_, _, d, b)| *d == dir && b.get(1) == Some(&code))
            .map(|(_, _, _, b)| b)
            .collect()
    }
}

/// One edge, its link, its connections.
pub struct Node {
    /// The edge session.
    pub edge: EdgeSession,
    /// The edge application.
    pub app: App,
    /// The link to the platform.
    pub link: Link,
    /// Reconnect after `Disconnected` (when the edge's policy says so).
    pub auto_reconnect: bool,
    /// Least delay before reconnecting (the edge's reconnect policy may ask for more).
    pub reconnect_delay: Duration,
    /// The edge session's deadline, from the last `Output::Timeout`.
    deadline: Option<Instant>,
    /// Every connection so far, oldest first.
    pub conns: Vec<Conn>,
    /// Index in `conns` of the connection the edge is on.
    pub current: Option<usize>,
    /// What happened.
    pub trace: Trace,
}

impl Node {
    /// The connection the edge is on.
    pub fn conn(&self) -> Option<&Conn> {
        self.current.map(|i| &self.conns[i])
    }

    /// The connection the edge is on.
    pub fn conn_mut(&mut self) -> Option<&mut Conn> {
        self.current.map(|i| &mut self.conns[i])
    }

    /// The connection with this id.
    pub fn conn_by_id(&self, id: ConnectionId) -> Option<&Conn> {
        self.conns.iter().find(|c| c.id == id)
    }

    fn conn_index(&self, id: ConnectionId) -> Option<usize> {
        self.conns.iter().position(|c| c.id == id)
    }

    /// Names the edge saw `Bound` minus `Unbound`, in event order (on any connection).
    pub fn edge_bound_names(&self) -> BTreeSet<String> {
        let mut set = BTreeSet::new();
        for (_, e) in &self.trace.edge {
            match e {
                EdgeEvent::Bound { name } => {
                    set.insert(name.to_str_lossy().into_owned());
                }
                EdgeEvent::Unbound { name } => {
                    set.remove(name.to_str_lossy().as_ref());
                }
                _ => {}
            }
        }
        set
    }
}

// ---------------------------------------------------------------------------------------
// The simulator
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
enum What {
    ToPlatform(Bytes),
    ToEdge(Bytes),
    Ping,
    Pong,
    /// The edge's close frame reaches the platform.
    CloseAtPlatform,
    /// The platform's close frame (or its close acknowledgement) reaches the edge.
    CloseAtEdge,
    Reconnect,
}

#[derive(Debug)]
struct Pending {
    node: usize,
    conn: ConnectionId,
    what: What,
}

/// Platform-wide settings of a simulation.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Platform session settings (cloned for every connection).
    pub platform: PlatformConfig,
    /// The application key the platform accepts.
    pub app_key: String,
    /// Bind policy of the registry.
    pub policy: BindPolicy,
    /// Let the endpoint decide AUTH (accept iff the `appKey` claim is `app_key`); `false`:
    /// the test answers `AuthRequested` itself.
    pub auto_auth: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            platform: PlatformConfig::default(),
            app_key: KEY.to_owned(),
            policy: BindPolicy::FirstInWins,
            auto_auth: true,
        }
    }
}

/// The application key the default configuration accepts.
pub const KEY: &str = "s3cr3t-app-key";

/// The simulator.
pub struct Sim {
    base: Instant,
    now: Instant,
    wall_base: SystemTime,
    seq: u64,
    pending: BTreeMap<(Instant, u64), Pending>,
    /// Platform-wide settings.
    pub config: SimConfig,
    /// The platform's endpoint: connection ids, credential policy, the relay.
    pub endpoint: Endpoint,
    /// The shared registry (the endpoint's).
    pub registry: ThingRegistry,
    /// Random draws for reconnect jitter.
    rng: Rng,
    /// The platform application (shared by every connection).
    pub platform_app: App,
    /// The edges.
    pub nodes: Vec<Node>,
    /// Endpoint events addressed to connections, not delivered yet.
    relayed: Vec<(ConnectionId, ConnectionEvent)>,
    /// A human-readable log of everything, for failing tests.
    pub log: Vec<String>,
    /// Keep `log` (off by default: it is large).
    pub logging: bool,
}

/// The wall-clock time the simulation starts at (2023-11-14T22:13:20Z).
pub const WALL_START_SECS: u64 = 1_700_000_000;

impl Sim {
    /// An empty simulation at simulated time zero.
    pub fn new(config: SimConfig) -> Self {
        let base = Instant::now();
        let registry = ThingRegistry::new(config.policy);
        let auth = if config.auto_auth {
            AuthPolicy::app_keys([config.app_key.as_str()])
        } else {
            AuthPolicy::Application
        };
        Self {
            base,
            now: base,
            wall_base: SystemTime::UNIX_EPOCH + Duration::from_secs(WALL_START_SECS),
            seq: 0,
            pending: BTreeMap::new(),
            endpoint: Endpoint::new(config.platform.clone(), registry.clone(), auth),
            registry,
            rng: Rng::new(0x000A_1BAC_C0FF),
            config,
            platform_app: App::default(),
            nodes: Vec::new(),
            relayed: Vec::new(),
            log: Vec::new(),
            logging: std::env::var_os("SIM_LOG").is_some(),
        }
    }

    /// A simulation with the default configuration.
    pub fn default_sim() -> Self {
        Self::new(SimConfig::default())
    }

    /// Adds an edge (not connected yet); returns its node index.
    pub fn add_edge(&mut self, config: EdgeConfig) -> usize {
        self.add_edge_session(EdgeSession::new(config))
    }

    /// Adds an existing edge session; returns its node index.
    pub fn add_edge_session(&mut self, edge: EdgeSession) -> usize {
        let n = self.nodes.len();
        self.nodes.push(Node {
            edge,
            app: App::default(),
            link: Link::new(0x5EED_0000 + n as u64),
            auto_reconnect: true,
            reconnect_delay: Duration::from_secs(1),
            deadline: None,
            conns: Vec::new(),
            current: None,
            trace: Trace::default(),
        });
        n
    }

    // ---- time -------------------------------------------------------------------------

    /// The simulated monotonic time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.base
    }

    /// The instant `d` after the start.
    pub fn at(&self, d: Duration) -> Instant {
        self.base + d
    }

    /// The simulated wall clock.
    pub fn wall(&self) -> SystemTime {
        self.wall_base + (self.now - self.base)
    }

    /// The wall-clock time of instant `t`.
    pub fn wall_at(&self, t: Instant) -> SystemTime {
        self.wall_base + (t - self.base)
    }

    fn note(&mut self, f: impl FnOnce() -> String) {
        if self.logging {
            let line = format!("[{:>10.3?}] {}", self.now - self.base, f());
            self.log.push(line);
        }
    }

    // ---- accessors --------------------------------------------------------------------

    /// Node `n`.
    pub fn node(&self, n: usize) -> &Node {
        &self.nodes[n]
    }

    /// Node `n`.
    pub fn node_mut(&mut self, n: usize) -> &mut Node {
        &mut self.nodes[n]
    }

    /// The edge session of node `n`.
    pub fn edge(&self, n: usize) -> &EdgeSession {
        &self.nodes[n].edge
    }

    /// The trace of node `n`.
    pub fn trace(&self, n: usize) -> &Trace {
        &self.nodes[n].trace
    }

    /// The link of node `n`.
    pub fn link(&mut self, n: usize) -> &mut Link {
        &mut self.nodes[n].link
    }

    /// The id of the connection node `n` is on.
    pub fn conn_id(&self, n: usize) -> Option<ConnectionId> {
        self.nodes[n].conn().map(|c| c.id)
    }

    // ---- commands ---------------------------------------------------------------------

    /// Opens a websocket for node `n` now: a new platform session, `handle_connected`.
    pub fn connect(&mut self, n: usize) {
        let (now, wall) = (self.now, self.wall());
        let (id, platform) = self.endpoint.accept(now, wall, &Handshake::default());
        let node = &mut self.nodes[n];
        node.conns.push(Conn {
            id,
            platform,
            opened: self.now,
            edge_closing: false,
            edge_closed: false,
            platform_closing: false,
            platform_closed: false,
            edge_authed: false,
            bound: BTreeSet::new(),
            edge_bound: BTreeSet::new(),
            platform_requests: Vec::new(),
            platform_responses: BTreeMap::new(),
            closed_event: None,
            deadline: None,
            last_arrival: [None, None],
        });
        node.current = Some(node.conns.len() - 1);
        self.note(|| format!("node {n}: connect → conn {id}"));
        self.edge_input(n, Input::Connected);
        self.settle();
    }

    /// Cuts node `n`'s websocket: both sides are told `handle_closed` now.
    pub fn cut(&mut self, n: usize) {
        let Some(i) = self.nodes[n].current else {
            return;
        };
        let id = self.nodes[n].conns[i].id;
        self.note(|| format!("node {n}: cut conn {id}"));
        self.close_platform_side(n, i);
        self.close_edge_side(n, i);
        self.settle();
    }

    /// `EdgeSession::request` on node `n`.
    pub fn edge_request(&mut self, n: usize, request: Request) -> Result<u32, RequestError> {
        let now = self.now;
        let r = self.nodes[n].edge.request(now, request);
        if let Ok(id) = r {
            self.nodes[n].trace.edge_requests.push(id);
        }
        self.note(|| format!("node {n}: edge request → {r:?}"));
        self.settle();
        r
    }

    /// `EdgeSession::bind` on node `n`.
    pub fn edge_bind<S: AsRef<str>>(&mut self, n: usize, names: &[S]) {
        let now = self.now;
        let names: Vec<WireString> = names.iter().map(|s| s.as_ref().into()).collect();
        self.nodes[n].edge.bind(now, names);
        self.settle();
    }

    /// `EdgeSession::unbind` on node `n`.
    pub fn edge_unbind<S: AsRef<str>>(&mut self, n: usize, names: &[S]) {
        let now = self.now;
        let names: Vec<WireString> = names.iter().map(|s| s.as_ref().into()).collect();
        self.nodes[n].edge.unbind(now, names);
        self.settle();
    }

    /// `EdgeSession::close` on node `n`.
    pub fn edge_close(&mut self, n: usize) {
        let now = self.now;
        self.nodes[n].edge.close(now, CLOSE_REASON_SHUTDOWN);
        self.settle();
    }

    /// `PlatformSession::request` on node `n`'s current connection.
    pub fn platform_request(
        &mut self,
        n: usize,
        request: Request,
    ) -> Result<(ConnectionId, u32), RequestError> {
        let now = self.now;
        let Some(conn) = self.nodes[n].conn_mut() else {
            return Err(RequestError::Disconnected);
        };
        let cid = conn.id;
        let r = conn.platform.request(now, request);
        if let Ok(id) = r {
            conn.platform_requests.push(id);
        }
        self.note(|| format!("node {n}: platform request on conn {cid} → {r:?}"));
        self.settle();
        r.map(|id| (cid, id))
    }

    /// The platform Response events for request `id` on connection `conn` of node `n`.
    pub fn platform_responses(
        &self,
        n: usize,
        conn: ConnectionId,
        id: u32,
    ) -> Vec<Result<Response, RequestError>> {
        self.nodes[n]
            .conn_by_id(conn)
            .and_then(|c| c.platform_responses.get(&id))
            .cloned()
            .unwrap_or_default()
    }

    /// Hands `bytes` to node `n`'s current platform session as if the edge had sent them.
    pub fn inject_to_platform(&mut self, n: usize, bytes: Bytes) {
        let Some(i) = self.nodes[n].current else {
            return;
        };
        self.platform_input(n, i, Input::Message(bytes));
        self.settle();
    }

    /// Hands `bytes` to node `n`'s edge as if the platform had sent them.
    pub fn inject_to_edge(&mut self, n: usize, bytes: Bytes) {
        self.edge_input(n, Input::Message(bytes));
        self.settle();
    }

    // ---- running ----------------------------------------------------------------------

    /// Runs for `d` of simulated time.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Runs until simulated instant `until`, processing everything due at or before it.
    pub fn run_until(&mut self, until: Instant) {
        self.settle();
        let mut stuck = 0u32;
        while let Some(t) = self.next_wakeup() {
            if t > until {
                break;
            }
            if t <= self.now {
                stuck += 1;
                assert!(
                    stuck < 100_000,
                    "livelock at {:?}: a deadline is not advancing",
                    self.now - self.base
                );
            } else {
                stuck = 0;
                self.now = t;
            }
            self.process_due();
            self.settle();
        }
        if until > self.now {
            self.now = until;
        }
    }

    /// Runs until `f` holds (checked after every step) or `limit` passes; returns whether
    /// it held.
    pub fn run_until_cond(&mut self, limit: Duration, mut f: impl FnMut(&Sim) -> bool) -> bool {
        let until = self.now + limit;
        self.settle();
        if f(self) {
            return true;
        }
        let mut stuck = 0u32;
        while let Some(t) = self.next_wakeup() {
            if t > until {
                break;
            }
            if t <= self.now {
                stuck += 1;
                assert!(stuck < 100_000, "livelock");
            } else {
                stuck = 0;
                self.now = t;
            }
            self.process_due();
            self.settle();
            if f(self) {
                return true;
            }
        }
        self.now = self.now.max(until);
        f(self)
    }

    /// The earliest instant something happens: a delivery or a session deadline.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let mut next = self.pending.keys().next().map(|(t, _)| *t);
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for node in &self.nodes {
            consider(node.deadline);
            for c in &node.conns {
                if !c.platform_closed {
                    consider(c.deadline);
                }
            }
        }
        next
    }

    /// Hands `input` to node `n`'s edge now (errors are recorded in the trace).
    fn edge_input(&mut self, n: usize, input: Input) {
        let now = self.now;
        if let Err(e) = self.nodes[n].edge.handle_input(now, input) {
            self.note(|| format!("node {n}: edge inbound error {e}"));
            self.nodes[n].trace.edge_inbound_errors.push(e.to_string());
        }
    }

    /// Hands `input` to the platform session of connection `i` of node `n` now.
    fn platform_input(&mut self, n: usize, i: usize, input: Input) {
        let now = self.now;
        if let Err(e) = self.nodes[n].conns[i].platform.handle_input(now, input) {
            self.note(|| format!("node {n}: platform inbound error {e}"));
            self.nodes[n]
                .trace
                .platform_inbound_errors
                .push(e.to_string());
        }
    }

    fn process_due(&mut self) {
        let now = self.now;
        // Deliveries due now, in order (each followed by the reactions it causes).
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let p = entry.remove();
            self.deliver(p);
            self.settle();
        }
        // Session deadlines.
        for n in 0..self.nodes.len() {
            if self.nodes[n].deadline.is_some_and(|t| t <= now) {
                self.note(|| format!("node {n}: edge timeout"));
                self.edge_input(n, Input::Timeout);
                self.settle();
            }
            for i in 0..self.nodes[n].conns.len() {
                let c = &self.nodes[n].conns[i];
                if !c.platform_closed && c.deadline.is_some_and(|t| t <= now) {
                    self.platform_input(n, i, Input::Timeout);
                    self.settle();
                }
            }
        }
    }

    fn schedule(&mut self, at: Instant, p: Pending) {
        self.seq += 1;
        self.pending.insert((at, self.seq), p);
    }

    /// Queues `what` on connection `i` of node `n` in direction `dir`, FIFO per direction.
    fn send(&mut self, n: usize, i: usize, dir: Dir, extra: Duration, what: What) {
        let latency = self.nodes[n].link.latency(dir);
        let conn = &mut self.nodes[n].conns[i];
        let mut at = self.now + latency + extra;
        if let Some(last) = conn.last_arrival[dir.index()] {
            at = at.max(last);
        }
        conn.last_arrival[dir.index()] = Some(at);
        let id = conn.id;
        self.schedule(
            at,
            Pending {
                node: n,
                conn: id,
                what,
            },
        );
    }

    fn send_message(&mut self, n: usize, i: usize, dir: Dir, bytes: Bytes) {
        let verdict = self.nodes[n].link.verdict(dir, &bytes);
        let wrap = |b: Bytes| match dir {
            Dir::E2P => What::ToPlatform(b),
            Dir::P2E => What::ToEdge(b),
        };
        match verdict {
            Verdict::Deliver => self.send(n, i, dir, Duration::ZERO, wrap(bytes)),
            Verdict::Delay(d) => self.send(n, i, dir, d, wrap(bytes)),
            Verdict::Drop => {
                self.nodes[n].link.dropped += 1;
                self.note(|| format!("node {n}: link drops {dir:?} {}", describe(&bytes)));
            }
            Verdict::Duplicate => {
                self.nodes[n].link.duplicated += 1;
                self.send(n, i, dir, Duration::ZERO, wrap(bytes.clone()));
                self.send(n, i, dir, Duration::ZERO, wrap(bytes));
            }
        }
    }

    fn deliver(&mut self, p: Pending) {
        let n = p.node;
        let now = self.now;
        if let What::Reconnect = p.what {
            let node = &self.nodes[n];
            if node.current.is_none() && node.edge.state() != EdgeState::Closed {
                self.connect(n);
            }
            return;
        }
        let Some(i) = self.nodes[n].conn_index(p.conn) else {
            return;
        };
        match p.what {
            What::ToPlatform(bytes) => {
                if self.nodes[n].conns[i].platform_closed {
                    self.nodes[n].trace.discarded_deliveries += 1;
                    return;
                }
                self.note(|| format!("node {n}: → platform {}", describe(&bytes)));
                self.platform_input(n, i, Input::Message(bytes));
            }
            What::ToEdge(bytes) => {
                if self.nodes[n].conns[i].edge_closed {
                    self.nodes[n].trace.discarded_deliveries += 1;
                    return;
                }
                self.note(|| format!("node {n}: → edge {}", describe(&bytes)));
                self.edge_input(n, Input::Message(bytes));
            }
            What::Ping => {
                if self.nodes[n].conns[i].platform_closed {
                    return;
                }
                self.platform_input(n, i, Input::Ping);
                if !self.nodes[n].link.swallow_pongs && !self.nodes[n].conns[i].platform_closing {
                    self.send(n, i, Dir::P2E, Duration::ZERO, What::Pong);
                }
            }
            What::Pong => {
                if self.nodes[n].conns[i].edge_closed {
                    return;
                }
                self.nodes[n].trace.pongs.push(now);
                self.edge_input(n, Input::Pong);
            }
            What::CloseAtPlatform => {
                if !self.nodes[n].conns[i].platform_closed {
                    self.close_platform_side(n, i);
                    // The close acknowledgement travels back behind everything queued.
                    if !self.nodes[n].conns[i].edge_closed {
                        self.send(n, i, Dir::P2E, Duration::ZERO, What::CloseAtEdge);
                    }
                }
            }
            What::CloseAtEdge => {
                if !self.nodes[n].conns[i].edge_closed {
                    self.close_edge_side(n, i);
                    if !self.nodes[n].conns[i].platform_closed {
                        self.send(n, i, Dir::E2P, Duration::ZERO, What::CloseAtPlatform);
                    }
                }
            }
            What::Reconnect => unreachable!(),
        }
    }

    fn close_platform_side(&mut self, n: usize, i: usize) {
        let c = &mut self.nodes[n].conns[i];
        if c.platform_closed {
            return;
        }
        c.platform_closed = true;
        c.platform_closing = true;
        let id = c.id;
        self.platform_input(n, i, Input::Closed);
        self.note(|| format!("node {n}: platform conn {id} handle_closed"));
        self.drain_platform(n, i);
    }

    fn close_edge_side(&mut self, n: usize, i: usize) {
        let c = &mut self.nodes[n].conns[i];
        if c.edge_closed {
            return;
        }
        c.edge_closed = true;
        c.edge_closing = true;
        let id = c.id;
        if self.nodes[n].current == Some(i) {
            self.nodes[n].current = None;
        }
        self.note(|| format!("node {n}: edge handle_closed (conn {id})"));
        self.edge_input(n, Input::Closed);
        self.drain_edge(n);
        let draw = self.rng.next_u64();
        let node = &self.nodes[n];
        // The edge's policy decides whether and when; the node may ask for a longer wait.
        let at = match node.edge.reconnect(self.now, draw) {
            Reconnect::At(at) => Some(at.max(self.now + node.reconnect_delay)),
            _ => None,
        };
        if let Some(at) = at.filter(|_| node.auto_reconnect && node.current.is_none()) {
            self.schedule(
                at,
                Pending {
                    node: n,
                    conn: 0,
                    what: What::Reconnect,
                },
            );
        }
    }

    /// Drains every session until nothing more comes out.
    pub fn settle(&mut self) {
        loop {
            let mut progress = false;
            for n in 0..self.nodes.len() {
                progress |= self.drain_edge(n);
                for i in 0..self.nodes[n].conns.len() {
                    progress |= self.drain_platform(n, i);
                }
            }
            // Carry what the endpoint addressed to a connection (raw bytes, nothing lossy).
            for (to, event) in std::mem::take(&mut self.relayed) {
                progress = true;
                for node in &mut self.nodes {
                    if let Some(i) = node.conn_index(to) {
                        node.conns[i]
                            .platform
                            .handle_connection_event(event.clone());
                    }
                }
            }
            if !progress {
                break;
            }
        }
    }

    fn drain_edge(&mut self, n: usize) -> bool {
        let mut any = false;
        loop {
            match self.nodes[n].edge.poll_output() {
                Output::Transmit(t) => self.on_edge_transmit(n, t),
                Output::Event(ev) => self.on_edge_event(n, ev),
                Output::Timeout(deadline) => {
                    self.nodes[n].deadline = deadline;
                    return any;
                }
                other => panic!("unexpected output {other:?}"),
            }
            any = true;
        }
    }

    fn drain_platform(&mut self, n: usize, i: usize) -> bool {
        let mut any = false;
        loop {
            let id = self.nodes[n].conns[i].id;
            while let Some(ev) = self.nodes[n].conns[i].platform.poll_endpoint_event() {
                any = true;
                if let Some(relay) = self.endpoint.handle_event(id, ev) {
                    self.relayed.push(relay);
                }
            }
            match self.nodes[n].conns[i].platform.poll_output() {
                Output::Transmit(t) => self.on_platform_transmit(n, i, t),
                Output::Event(ev) => self.on_platform_event(n, i, ev),
                Output::Timeout(deadline) => {
                    self.nodes[n].conns[i].deadline = deadline;
                    return any;
                }
                other => panic!("unexpected output {other:?}"),
            }
            any = true;
        }
    }

    fn on_edge_event(&mut self, n: usize, ev: EdgeEvent) {
        let now = self.now;
        self.note(|| format!("node {n}: edge event {}", short(&ev)));
        self.nodes[n].trace.edge.push((now, ev.clone()));
        match ev {
            EdgeEvent::Authenticated { .. } => {
                if let Some(c) = self.nodes[n].conn_mut() {
                    c.edge_authed = true;
                } else {
                    self.nodes[n]
                        .trace
                        .violations
                        .push("Authenticated with no connection".into());
                }
            }
            EdgeEvent::Bound { name } => {
                if let Some(c) = self.nodes[n].conn_mut() {
                    c.edge_bound.insert(name.to_str_lossy().into_owned());
                }
            }
            EdgeEvent::Unbound { name } => {
                if let Some(c) = self.nodes[n].conn_mut() {
                    c.edge_bound.remove(name.to_str_lossy().as_ref());
                }
            }
            EdgeEvent::BindRejected { name, .. } => {
                if let Some(c) = self.nodes[n].conn_mut() {
                    c.edge_bound.remove(name.to_str_lossy().as_ref());
                }
            }
            EdgeEvent::Request { id, request } => {
                if let Some(resp) = self.nodes[n].app.answer(&request) {
                    if let Err(e) = self.nodes[n].edge.respond(id, resp) {
                        self.nodes[n]
                            .trace
                            .respond_errors
                            .push(format!("edge respond {id}: {e}"));
                    }
                }
            }
            _ => {}
        }
    }

    fn on_edge_transmit(&mut self, n: usize, t: Transmit) {
        let now = self.now;
        let Some(i) = self.nodes[n].current else {
            self.nodes[n]
                .trace
                .stray_transmits
                .push(format!("edge without connection: {}", describe_t(&t)));
            return;
        };
        let c = &mut self.nodes[n].conns[i];
        if c.edge_closing {
            let s = format!("edge after close on conn {}: {}", c.id, describe_t(&t));
            self.nodes[n].trace.stray_transmits.push(s);
            return;
        }
        let cid = c.id;
        let authed = c.edge_authed;
        match t {
            Transmit::Message(bytes) => {
                self.note(|| format!("node {n}: edge sends {}", describe(&bytes)));
                if !authed && bytes.get(1) != Some(&0x14) {
                    let s = format!(
                        "conn {cid}: edge sent {} before AUTH succeeded",
                        describe(&bytes)
                    );
                    self.nodes[n].trace.violations.push(s);
                }
                self.nodes[n]
                    .trace
                    .wire
                    .push((now, cid, Dir::E2P, bytes.clone()));
                self.send_message(n, i, Dir::E2P, bytes);
            }
            Transmit::Ping => {
                self.note(|| format!("node {n}: edge ping"));
                self.nodes[n].trace.pings.push(now);
                self.send(n, i, Dir::E2P, Duration::ZERO, What::Ping);
            }
            Transmit::Close { code, reason } => {
                self.note(|| format!("node {n}: edge close {code} {reason:?}"));
                self.nodes[n].conns[i].edge_closing = true;
                self.nodes[n]
                    .trace
                    .closes
                    .push((now, cid, Dir::E2P, code, reason));
                self.send(n, i, Dir::E2P, Duration::ZERO, What::CloseAtPlatform);
            }
            other => {
                let s = format!("conn {cid}: edge transmit the simulator does not know: {other:?}");
                self.nodes[n].trace.violations.push(s);
            }
        }
    }

    fn on_platform_event(&mut self, n: usize, i: usize, ev: PlatformEvent) {
        let now = self.now;
        let cid = self.nodes[n].conns[i].id;
        self.note(|| {
            format!("node {n}: platform conn {cid} event {ev:?}")
                .chars()
                .take(300)
                .collect()
        });
        self.nodes[n].trace.platform.push((now, cid, ev.clone()));
        let c = &mut self.nodes[n].conns[i];
        match ev {
            // Answered by the test itself (the endpoint decides unless `auto_auth` is off).
            PlatformEvent::AuthRequested { .. } => {}
            PlatformEvent::Bound { name } => {
                c.bound.insert(name.to_str_lossy().into_owned());
            }
            PlatformEvent::Unbound { name } => {
                c.bound.remove(name.to_str_lossy().as_ref());
            }
            // The endpoint relays it (poll_endpoint_event).
            PlatformEvent::ThingMoved { .. } => {}
            PlatformEvent::Request { id, request } => {
                if let Some(resp) = self.platform_app.answer(&request) {
                    if let Err(e) = c.platform.respond(id, resp) {
                        self.nodes[n]
                            .trace
                            .respond_errors
                            .push(format!("platform respond {id}: {e}"));
                    }
                }
            }
            PlatformEvent::Response { id, result } => {
                c.platform_responses.entry(id).or_default().push(result);
            }
            PlatformEvent::Closed { reason } => {
                let again = c.closed_event.is_some();
                c.closed_event = Some((now, reason));
                c.bound.clear();
                if again {
                    self.nodes[n]
                        .trace
                        .violations
                        .push(format!("conn {cid}: second Closed event"));
                }
            }
            _ => {}
        }
    }

    fn on_platform_transmit(&mut self, n: usize, i: usize, t: Transmit) {
        let now = self.now;
        let c = &mut self.nodes[n].conns[i];
        let cid = c.id;
        if c.platform_closing {
            let s = format!("platform after close on conn {cid}: {}", describe_t(&t));
            self.nodes[n].trace.stray_transmits.push(s);
            return;
        }
        match t {
            Transmit::Message(bytes) => {
                self.note(|| format!("node {n}: platform sends {}", describe(&bytes)));
                self.nodes[n]
                    .trace
                    .wire
                    .push((now, cid, Dir::P2E, bytes.clone()));
                self.send_message(n, i, Dir::P2E, bytes);
            }
            Transmit::Ping => {
                self.nodes[n]
                    .trace
                    .violations
                    .push(format!("conn {cid}: platform sent a ping"));
            }
            Transmit::Close { code, reason } => {
                c.platform_closing = true;
                self.note(|| format!("node {n}: platform close {code} {reason:?}"));
                self.nodes[n]
                    .trace
                    .closes
                    .push((now, cid, Dir::P2E, code, reason));
                self.send(n, i, Dir::P2E, Duration::ZERO, What::CloseAtEdge);
            }
            other => {
                let s =
                    format!("conn {cid}: platform transmit the simulator does not know: {other:?}");
                self.nodes[n].trace.violations.push(s);
            }
        }
    }

    // ---- invariants -------------------------------------------------------------------

    /// Checks what must hold at any quiet point; returns the broken ones.
    pub fn check_invariants(&self) -> Vec<String> {
        let mut bad = Vec::new();
        for (n, node) in self.nodes.iter().enumerate() {
            for v in &node.trace.violations {
                bad.push(format!("node {n}: {v}"));
            }
            for c in &node.conns {
                // Registry agrees with the live sessions' bound sets.
                if c.is_dead() || c.platform_closed {
                    for t in self.registry.snapshot() {
                        if t.connection == Some(c.id) && t.is_connected {
                            bad.push(format!(
                                "node {n}: {} connected on closed conn {}",
                                t.name, c.id
                            ));
                        }
                    }
                } else {
                    for name in &c.bound {
                        match self.registry.get(name) {
                            Some(t) if t.is_connected && t.connection == Some(c.id) => {}
                            other => bad.push(format!(
                                "node {n}: conn {} thinks {name} bound, registry says {other:?}",
                                c.id
                            )),
                        }
                    }
                }
            }
        }
        for t in self.registry.snapshot() {
            if t.is_connected {
                let owner = t.connection.and_then(|cid| {
                    self.nodes
                        .iter()
                        .flat_map(|node| node.conns.iter())
                        .find(|c| c.id == cid)
                });
                match owner {
                    Some(c)
                        if !c.platform_closed
                            && c.bound.contains(t.name.to_str_lossy().as_ref()) => {}
                    _ => bad.push(format!("registry: {t:?} has no live owner with it bound")),
                }
            } else if t.connection.is_some() {
                bad.push(format!(
                    "registry: {t:?} not connected but has a connection"
                ));
            }
        }
        bad
    }

    /// Checks that, on every live connection, the things the edge believes bound are the
    /// things the platform has bound there (call once settled; under last-in-wins a thing
    /// taken by another connection is bound on the edge only, which is allowed).
    pub fn check_bound_agreement(&self) -> Vec<String> {
        let mut bad = Vec::new();
        for (n, node) in self.nodes.iter().enumerate() {
            let Some(c) = node.conn() else { continue };
            if c.platform_closing || c.edge_closing || !c.edge_authed {
                continue;
            }
            for name in c.bound.difference(&c.edge_bound) {
                bad.push(format!(
                    "node {n}: conn {}: platform has {name} bound, the edge does not think so",
                    c.id
                ));
            }
            if self.registry.policy() == BindPolicy::FirstInWins {
                for name in c.edge_bound.difference(&c.bound) {
                    bad.push(format!(
                        "node {n}: conn {}: edge thinks {name} bound, the platform does not",
                        c.id
                    ));
                }
            }
        }
        bad
    }

    /// Checks that every request id ended exactly once on each side (call once settled).
    pub fn check_request_endings(&self) -> Vec<String> {
        let mut bad = Vec::new();
        for (n, node) in self.nodes.iter().enumerate() {
            let mut seen = BTreeSet::new();
            for &id in &node.trace.edge_requests {
                if !seen.insert(id) {
                    bad.push(format!("node {n}: edge request id {id} returned twice"));
                    continue;
                }
                let k = node.trace.edge_endings(id);
                if k != 1 {
                    bad.push(format!("node {n}: edge request {id} ended {k} times"));
                }
            }
            for (_, e) in &node.trace.edge {
                if let EdgeEvent::Response { id, .. } | EdgeEvent::Unsent { id, .. } = e {
                    if !seen.contains(id) {
                        bad.push(format!("node {n}: edge ended unknown request {id}"));
                    }
                }
            }
            for c in &node.conns {
                for &id in &c.platform_requests {
                    let k = c.platform_responses.get(&id).map_or(0, Vec::len);
                    if k != 1 {
                        bad.push(format!(
                            "node {n}: conn {} platform request {id} ended {k} times",
                            c.id
                        ));
                    }
                }
                for id in c.platform_responses.keys() {
                    if !c.platform_requests.contains(id) {
                        bad.push(format!(
                            "node {n}: conn {} platform ended unknown request {id}",
                            c.id
                        ));
                    }
                }
            }
        }
        bad
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A one-line description of a websocket message (code, request id, multipart).
pub fn describe(bytes: &Bytes) -> String {
    if bytes.len() < 15 {
        return format!("<{} bytes>", bytes.len());
    }
    let code = bytes[1];
    let id = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
    let session = u32::from_be_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]);
    let mp = if bytes[14] != 0 { " (chunk)" } else { "" };
    format!(
        "code 0x{code:02x} id {id} session {session:#x} {} bytes{mp}",
        bytes.len()
    )
}

fn describe_t(t: &Transmit) -> String {
    match t {
        Transmit::Message(b) => describe(b),
        Transmit::Ping => "ping".into(),
        Transmit::Close { code, reason } => format!("close {code} {reason:?}"),
        other => format!("{other:?}"),
    }
}

fn short(ev: &EdgeEvent) -> String {
    format!("{ev:?}").chars().take(300).collect()
}

/// The request id in a message's header.
pub fn request_id(bytes: &Bytes) -> Option<u32> {
    (bytes.len() >= 6).then(|| u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]))
}

/// The code byte of a message.
pub fn code(bytes: &Bytes) -> Option<u8> {
    bytes.get(1).copied()
}

/// Decodes a complete (non-chunk) message.
pub fn decode_message(bytes: &Bytes) -> Option<Message> {
    match Frame::decode(bytes.clone()).ok()?.value {
        Frame::Message(m) => Some(m),
        Frame::Chunk(_) => None,
    }
}

/// An edge configuration with the accepted key.
pub fn edge_config() -> EdgeConfig {
    EdgeConfig::new(alwayson_proto::edge::Credentials::AppKey(WireString::from(
        KEY,
    )))
}

/// An edge configuration with another key.
pub fn edge_config_with_key(key: &str) -> EdgeConfig {
    EdgeConfig::new(alwayson_proto::edge::Credentials::AppKey(WireString::from(
        key,
    )))
}

/// Seconds as a Duration.
pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Milliseconds as a Duration.
pub fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}
