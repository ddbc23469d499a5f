//! [`Endpoint`]: what spans a platform's connections (quinn-proto's `Endpoint` is the model).

use super::{AuthPolicy, ConnectionId, PlatformConfig, PlatformSession, ThingRegistry};
use crate::codec::WireString;
use crate::multipart::{ReassemblyBudget, MIN_CHUNK_SIZE};
use crate::request::RequestError;
use std::collections::BTreeSet;
use std::time::{Instant, SystemTime};

/// Bits of a [`ConnectionId`] below the node id (see [`Endpoint::with_node_id`]).
pub const NODE_SHIFT: u32 = 48;

/// What the runtime learned from an edge's websocket upgrade request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Handshake {
    /// The edge's `Max-Frame-Size` header, if it sent a readable one: the largest websocket
    /// message it accepts, so the platform's chunks must not exceed it.
    pub max_frame_size: Option<usize>,
}

impl Handshake {
    /// A handshake with this `Max-Frame-Size` header value (`None`, or a value that is not a
    /// decimal number, means absent).
    pub fn with_max_frame_size(header: Option<&str>) -> Self {
        Self {
            max_frame_size: header.and_then(|v| v.trim().parse().ok()),
        }
    }
}

/// What a session tells its [`Endpoint`] (drained with
/// [`PlatformSession::poll_endpoint_event`], passed to [`Endpoint::handle_event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointEvent {
    /// Last-in-wins: this connection took thing `name` from connection `from`.
    ThingMoved {
        /// Thing name (raw bytes: names need not be UTF-8).
        name: WireString,
        /// The connection it was bound on.
        from: ConnectionId,
    },
    /// The connection is closed (its things are released); the endpoint forgets it.
    Closed,
}

/// What an [`Endpoint`] tells one session (delivered by the runtime to the connection the
/// endpoint names, with [`PlatformSession::handle_connection_event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// Another connection took thing `name` (last-in-wins): the session reports `Unbound`
    /// and stops routing its requests here.
    ThingTaken {
        /// Thing name.
        name: WireString,
    },
}

/// What spans the connections of one platform: it hands out connection ids and sessions
/// (negotiating each edge's frame size and giving each the credential policy), owns the
/// [`ThingRegistry`], routes a request for a thing to the connection that holds it, and
/// relays a thing moved between connections. Its sessions share one
/// [`ReassemblyBudget`] of [`PlatformConfig::reassembly_budget`] bytes for incomplete
/// multipart messages.
///
/// Sessions are driven independently (one task per connection is fine); the endpoint only
/// sees what spans them, through [`EndpointEvent`]s in and [`ConnectionEvent`]s out,
/// addressed by [`ConnectionId`]. It reaches the registry only through its claim / release
/// / look-up / list interface and does not assume every connection lives in this process:
/// ids carry a node id ([`Endpoint::with_node_id`]) so that a registry shared by several
/// nodes can name connections elsewhere.
///
/// ```
/// use alwayson_proto::platform::{AuthPolicy, Endpoint, Handshake, PlatformConfig, ThingRegistry};
/// use std::time::{Instant, SystemTime};
///
/// let mut endpoint = Endpoint::new(
///     PlatformConfig::default(),
///     ThingRegistry::default(),
///     AuthPolicy::app_keys(["my-key"]),
/// );
/// let handshake = Handshake::with_max_frame_size(Some("4096"));
/// let (id, session) = endpoint.accept(Instant::now(), SystemTime::now(), &handshake);
/// assert_eq!(session.id(), id);
/// assert_eq!(session.chunk_size(), 4096); // min(configured 8192, the edge's frame size)
/// assert!(endpoint.route("Pump1").is_err()); // nothing bound yet
/// ```
#[derive(Debug)]
pub struct Endpoint {
    config: PlatformConfig,
    registry: ThingRegistry,
    auth: AuthPolicy,
    node: u16,
    next: u64,
    live: BTreeSet<ConnectionId>,
    budget: ReassemblyBudget,
}

impl Endpoint {
    /// An endpoint (node 0) whose sessions use `config` and `auth`, sharing `registry`.
    pub fn new(config: PlatformConfig, registry: ThingRegistry, auth: AuthPolicy) -> Self {
        Self {
            budget: ReassemblyBudget::new(config.reassembly_budget),
            config,
            registry,
            auth,
            node: 0,
            next: 0,
            live: BTreeSet::new(),
        }
    }

    /// Connection ids from this endpoint carry `node` in their top 16 bits, so endpoints of
    /// several nodes sharing one registry never hand out the same id.
    pub fn with_node_id(mut self, node: u16) -> Self {
        self.node = node;
        self
    }

    /// The node id in the top bits of `id`.
    pub fn node_of(id: ConnectionId) -> u16 {
        (id >> NODE_SHIFT) as u16
    }

    /// The session settings.
    pub fn config(&self) -> &PlatformConfig {
        &self.config
    }

    /// The credential policy given to every session.
    pub fn auth_policy(&self) -> &AuthPolicy {
        &self.auth
    }

    /// The registry (a cheap handle; clones share it).
    pub fn registry(&self) -> &ThingRegistry {
        &self.registry
    }

    /// The multipart reassembly budget all sessions of this endpoint share.
    pub fn reassembly_budget(&self) -> &ReassemblyBudget {
        &self.budget
    }

    /// Connections accepted here and not closed yet (their [`EndpointEvent::Closed`] not
    /// handled).
    pub fn connections(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.live.iter().copied()
    }

    /// The chunk size for messages to an edge: the configured chunk size lowered to the
    /// edge's `Max-Frame-Size`, never above 65535 (websocket lengths the SDK reads are 16
    /// bits) nor below [`MIN_CHUNK_SIZE`].
    pub fn negotiate_chunk_size(&self, handshake: &Handshake) -> u16 {
        let configured = self.config.chunk_size;
        handshake
            .max_frame_size
            .map_or(configured, |m| {
                u16::try_from(m).unwrap_or(u16::MAX).min(configured)
            })
            .max(MIN_CHUNK_SIZE)
    }

    /// A websocket opened at `now` (wall-clock `wall`): a fresh connection id and its
    /// session, with the negotiated chunk size and the credential policy. The auth and idle
    /// deadlines start now.
    pub fn accept(
        &mut self,
        now: Instant,
        wall: SystemTime,
        handshake: &Handshake,
    ) -> (ConnectionId, PlatformSession) {
        self.next = (self.next + 1) & ((1 << NODE_SHIFT) - 1);
        if self.next == 0 {
            self.next = 1;
        }
        let id = (u64::from(self.node) << NODE_SHIFT) | self.next;
        let chunk_size = self.negotiate_chunk_size(handshake);
        let mut session = PlatformSession::accepted(
            now,
            wall,
            id,
            self.config.clone(),
            self.registry.clone(),
            self.auth.clone(),
            chunk_size,
        );
        session.share_reassembly_budget(self.budget.clone());
        self.live.insert(id);
        (id, session)
    }

    /// The connection a request for `thing` goes to: the one it is bound on (the session
    /// checks again when the request reaches it). [`RequestError::NotBound`] when it is not
    /// bound anywhere.
    pub fn route(&self, thing: impl AsRef<[u8]>) -> Result<ConnectionId, RequestError> {
        let thing = thing.as_ref();
        self.registry
            .connection_of(thing)
            .ok_or_else(|| RequestError::NotBound(String::from_utf8_lossy(thing).into_owned()))
    }

    /// An event from connection `from`'s session; returns what to deliver to which
    /// connection, if anything (the runtime delivers it, also to a connection that has
    /// closed meanwhile, where it is ignored).
    pub fn handle_event(
        &mut self,
        from: ConnectionId,
        event: EndpointEvent,
    ) -> Option<(ConnectionId, ConnectionEvent)> {
        match event {
            EndpointEvent::ThingMoved { name, from: holder } => {
                Some((holder, ConnectionEvent::ThingTaken { name }))
            }
            EndpointEvent::Closed => {
                self.live.remove(&from);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(chunk_size: u16) -> Endpoint {
        let config = PlatformConfig {
            chunk_size,
            ..PlatformConfig::default()
        };
        Endpoint::new(config, ThingRegistry::default(), AuthPolicy::AcceptAll)
    }

    #[test]
    fn frame_size_negotiation_lowers_never_raises_and_clamps() {
        let e = endpoint(8192);
        let n = |h: Option<&str>| e.negotiate_chunk_size(&Handshake::with_max_frame_size(h));
        assert_eq!(n(None), 8192);
        assert_eq!(n(Some("4096")), 4096);
        assert_eq!(n(Some(" 2000 ")), 2000);
        assert_eq!(n(Some("100000")), 8192, "never above the configured size");
        assert_eq!(n(Some("1")), MIN_CHUNK_SIZE, "never below the minimum");
        assert_eq!(n(Some("lots")), 8192, "unreadable header: absent");
        let big = endpoint(u16::MAX);
        let h = Handshake::with_max_frame_size(Some("1000000"));
        assert_eq!(big.negotiate_chunk_size(&h), u16::MAX);
    }

    #[test]
    fn ids_are_unique_carry_the_node_and_are_forgotten_on_close() {
        let mut e = endpoint(8192).with_node_id(7);
        let now = Instant::now();
        let (a, sa) = e.accept(now, SystemTime::UNIX_EPOCH, &Handshake::default());
        let (b, _) = e.accept(now, SystemTime::UNIX_EPOCH, &Handshake::default());
        assert_ne!(a, b);
        assert_eq!(sa.id(), a);
        assert_eq!(Endpoint::node_of(a), 7);
        assert_eq!(Endpoint::node_of(b), 7);
        assert_eq!(e.connections().collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(e.handle_event(a, EndpointEvent::Closed), None);
        assert_eq!(e.connections().collect::<Vec<_>>(), vec![b]);
    }

    #[test]
    fn a_moved_thing_is_relayed_to_its_previous_holder() {
        let mut e = endpoint(8192);
        let name = WireString::from_bytes(vec![0xff, b'T']);
        let relayed = e.handle_event(
            2,
            EndpointEvent::ThingMoved {
                name: name.clone(),
                from: 1,
            },
        );
        assert_eq!(relayed, Some((1, ConnectionEvent::ThingTaken { name })));
    }
}
