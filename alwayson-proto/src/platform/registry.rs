//! [`ThingRegistry`]: which thing is bound on which connection, shared by every session.

use super::{BindPolicy, ConnectionId};
use crate::codec::WireString;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

/// A thing as the platform sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingStatus {
    /// Thing name.
    pub name: WireString,
    /// Bound on a live connection.
    pub is_connected: bool,
    /// Wall-clock time of the last BIND, UNBIND or disconnect that changed the binding.
    pub last_connection: Option<SystemTime>,
    /// The connection it is bound on.
    pub connection: Option<ConnectionId>,
}

/// How long, and how many, things a [`ThingRegistry`] remembers once they are not bound.
/// Bound things are never forgotten (each connection's count is capped by
/// [`PlatformConfig::max_things_per_connection`](super::PlatformConfig::max_things_per_connection)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// Forget a thing not bound and not seen (BIND, UNBIND, disconnect) for this long.
    /// Default 24 h; `None`: never for its age.
    pub forget_after: Option<Duration>,
    /// Most things known (bound or not); beyond it the unbound things seen longest ago are
    /// forgotten first. Default 100 000.
    pub max_things: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            forget_after: Some(Duration::from_secs(24 * 3600)),
            max_things: 100_000,
        }
    }
}

impl Retention {
    /// Keeps every thing for ever (the registry grows with every name ever bound).
    pub fn forever() -> Self {
        Self {
            forget_after: None,
            max_things: usize::MAX,
        }
    }
}

/// The map and the order in which unbound things are forgotten.
#[derive(Debug, Default)]
struct Inner {
    things: HashMap<WireString, ThingStatus>,
    /// Unbound things by (last seen, name): the front is forgotten first.
    unbound: BTreeSet<(SystemTime, WireString)>,
    forgotten: u64,
}

/// The key of an unbound thing in [`Inner::unbound`].
fn seen(t: &ThingStatus) -> (SystemTime, WireString) {
    (
        t.last_connection.unwrap_or(SystemTime::UNIX_EPOCH),
        t.name.clone(),
    )
}

impl Inner {
    /// Forgets unbound things older than `forget_after` at `wall`, then the oldest unbound
    /// beyond `max_things`. Amortised: each forgotten thing is popped once.
    fn forget(&mut self, retention: Retention, wall: Option<SystemTime>) {
        let cutoff = retention
            .forget_after
            .zip(wall)
            .and_then(|(age, wall)| wall.checked_sub(age));
        while let Some((at, _)) = self.unbound.first() {
            let too_old = cutoff.is_some_and(|c| *at <= c);
            if !too_old && self.things.len() <= retention.max_things {
                break;
            }
            if let Some((_, name)) = self.unbound.pop_first() {
                self.things.remove(name.as_bytes());
                self.forgotten += 1;
            }
        }
    }
}

/// Which things are bound on which connection, shared by every
/// [`PlatformSession`](super::PlatformSession) of a platform.
///
/// Cheap to clone (a handle over one `Arc<Mutex<…>>`); touched only by BIND, UNBIND,
/// disconnect, platform→edge requests and look-ups, never per inbound message. A thing stays
/// in the registry after it is unbound (`is_connected == false`) so that its
/// `last_connection` remains visible, until its [`Retention`] lets it go: not seen for
/// `forget_after`, or the oldest unbound beyond `max_things` (checked whenever a BIND,
/// UNBIND or disconnect touches the registry, with that message's wall-clock time, and by
/// [`forget_expired`](Self::forget_expired)). The lock is never held across a call into user code,
/// and a poisoned lock is recovered (the map is always left consistent), so no method
/// panics.
///
/// Names are compared as bytes (the protocol does not validate UTF-8); look-ups take
/// anything that is bytes (`&str`, `&[u8]`, a [`WireString`]'s bytes).
///
/// Its interface is deliberately narrow, so that a registry shared by several platform
/// nodes can replace it: *claim* (BIND), *release* (UNBIND, disconnect), *look up*
/// ([`get`](Self::get), [`connection_of`](Self::connection_of)) and *list*
/// ([`snapshot`](Self::snapshot), [`bound_to`](Self::bound_to)).
#[derive(Debug, Clone, Default)]
pub struct ThingRegistry {
    inner: Arc<Mutex<Inner>>,
    policy: BindPolicy,
    retention: Retention,
}

/// What [`ThingRegistry::bind`] did with one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindOutcome {
    /// Newly bound to the connection.
    Bound,
    /// Already bound to this connection: nothing changed.
    AlreadyBound,
    /// Bound on another connection and the policy is first-in-wins: nothing changed.
    Refused {
        /// The connection holding it.
        holder: ConnectionId,
    },
    /// Last-in-wins: taken from another connection.
    Moved {
        /// The connection it was bound on.
        from: ConnectionId,
    },
}

impl ThingRegistry {
    /// An empty registry with this bind policy.
    pub fn new(policy: BindPolicy) -> Self {
        Self {
            inner: Arc::default(),
            policy,
            retention: Retention::default(),
        }
    }

    /// This registry, forgetting unbound things as `retention` says (before it is shared).
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// How long and how many unbound things are remembered.
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Forgets the unbound things [`Retention`] lets go at wall-clock time `wall`; returns
    /// how many. (BIND, UNBIND and disconnects do this too; call it to sweep an idle
    /// registry.)
    pub fn forget_expired(&self, wall: SystemTime) -> usize {
        let mut inner = self.lock();
        let before = inner.things.len();
        inner.forget(self.retention, Some(wall));
        before - inner.things.len()
    }

    /// Things forgotten so far.
    pub fn forgotten(&self) -> u64 {
        self.lock().forgotten
    }

    /// The bind policy every session sharing this registry applies.
    pub fn policy(&self) -> BindPolicy {
        self.policy
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Look-up: the status of one thing (by its name's bytes), if it was ever bound.
    pub fn get(&self, name: impl AsRef<[u8]>) -> Option<ThingStatus> {
        self.lock().things.get(name.as_ref()).cloned()
    }

    /// List: every thing ever bound, sorted by name (bytewise).
    pub fn snapshot(&self) -> Vec<ThingStatus> {
        let mut all: Vec<ThingStatus> = self.lock().things.values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Look-up: the connection a thing (by its name's bytes) is bound on, if any.
    pub fn connection_of(&self, name: impl AsRef<[u8]>) -> Option<ConnectionId> {
        self.lock()
            .things
            .get(name.as_ref())
            .and_then(|t| t.connection)
    }

    /// The names bound on connection `conn`, sorted (bytewise).
    pub fn bound_to(&self, conn: ConnectionId) -> Vec<WireString> {
        let mut names: Vec<WireString> = self
            .lock()
            .things
            .values()
            .filter(|t| t.connection == Some(conn))
            .map(|t| t.name.clone())
            .collect();
        names.sort();
        names
    }

    /// Number of things known (bound or not).
    pub fn len(&self) -> usize {
        self.lock().things.len()
    }

    /// Whether no thing was ever bound.
    pub fn is_empty(&self) -> bool {
        self.lock().things.is_empty()
    }

    /// Claim: binds `name` to `conn` at wall-clock time `wall`, applying the policy.
    pub(crate) fn bind(
        &self,
        conn: ConnectionId,
        name: &WireString,
        wall: SystemTime,
    ) -> BindOutcome {
        let mut inner = self.lock();
        let Inner {
            things, unbound, ..
        } = &mut *inner;
        match things.get_mut(name.as_bytes()) {
            Some(t) => match t.connection {
                Some(c) if c == conn => BindOutcome::AlreadyBound,
                Some(holder) if self.policy == BindPolicy::FirstInWins => {
                    BindOutcome::Refused { holder }
                }
                previous => {
                    if previous.is_none() {
                        unbound.remove(&seen(t));
                    }
                    t.connection = Some(conn);
                    t.is_connected = true;
                    t.last_connection = Some(wall);
                    match previous {
                        Some(from) => BindOutcome::Moved { from },
                        None => BindOutcome::Bound,
                    }
                }
            },
            None => {
                things.insert(
                    name.clone(),
                    ThingStatus {
                        name: name.clone(),
                        is_connected: true,
                        last_connection: Some(wall),
                        connection: Some(conn),
                    },
                );
                inner.forget(self.retention, Some(wall));
                BindOutcome::Bound
            }
        }
    }

    /// Release: unbinds `name` if it is bound to `conn`; returns whether it was.
    pub(crate) fn unbind(&self, conn: ConnectionId, name: &[u8], wall: SystemTime) -> bool {
        let mut inner = self.lock();
        let Inner {
            things, unbound, ..
        } = &mut *inner;
        match things.get_mut(name) {
            Some(t) if t.connection == Some(conn) => {
                t.connection = None;
                t.is_connected = false;
                t.last_connection = Some(wall);
                unbound.insert(seen(t));
                inner.forget(self.retention, Some(wall));
                true
            }
            _ => false,
        }
    }

    /// Release: every thing still bound to `conn` (things moved elsewhere meanwhile are left
    /// alone), setting `last_connection` to `wall` when given; returns how many were
    /// released.
    pub(crate) fn release_all(&self, conn: ConnectionId, wall: Option<SystemTime>) -> usize {
        let mut inner = self.lock();
        let Inner {
            things, unbound, ..
        } = &mut *inner;
        let mut released = 0;
        for t in things.values_mut().filter(|t| t.connection == Some(conn)) {
            t.connection = None;
            t.is_connected = false;
            if wall.is_some() {
                t.last_connection = wall;
            }
            unbound.insert(seen(t));
            released += 1;
        }
        inner.forget(self.retention, wall);
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wall(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn ws(s: &str) -> WireString {
        WireString::from(s)
    }

    #[test]
    fn bind_unbind_release_update_status() {
        let reg = ThingRegistry::default();
        assert_eq!(reg.policy(), BindPolicy::FirstInWins);
        assert!(reg.is_empty());
        assert_eq!(reg.bind(1, &ws("Pump1"), wall(10)), BindOutcome::Bound);
        assert_eq!(
            reg.bind(1, &ws("Pump1"), wall(11)),
            BindOutcome::AlreadyBound
        );
        let s = reg.get("Pump1").expect("known");
        assert!(s.is_connected);
        assert_eq!(s.connection, Some(1));
        assert_eq!(
            s.last_connection,
            Some(wall(10)),
            "idempotent bind changes nothing"
        );
        assert_eq!(reg.connection_of("Pump1"), Some(1));

        assert!(!reg.unbind(2, b"Pump1", wall(12)), "foreign unbind");
        assert!(reg.unbind(1, b"Pump1", wall(13)));
        let s = reg.get("Pump1").expect("kept after unbind");
        assert!(!s.is_connected);
        assert_eq!(s.connection, None);
        assert_eq!(s.last_connection, Some(wall(13)));
        assert!(!reg.unbind(1, b"Pump1", wall(14)), "not bound any more");
        assert_eq!(
            reg.get("Pump1").and_then(|s| s.last_connection),
            Some(wall(13))
        );

        reg.bind(1, &ws("A"), wall(20));
        reg.bind(1, &ws("B"), wall(20));
        reg.bind(2, &ws("C"), wall(20));
        assert_eq!(reg.bound_to(1), vec![ws("A"), ws("B")]);
        assert_eq!(reg.release_all(1, Some(wall(30))), 2);
        assert_eq!(reg.bound_to(1), Vec::<WireString>::new());
        assert_eq!(reg.bound_to(2), vec![ws("C")]);
        assert_eq!(reg.get("A").and_then(|s| s.last_connection), Some(wall(30)));
        let names: Vec<_> = reg.snapshot().into_iter().map(|s| s.name).collect();
        assert_eq!(names, vec![ws("A"), ws("B"), ws("C"), ws("Pump1")]);
        assert_eq!(reg.len(), 4);
    }

    #[test]
    fn first_in_wins_refuses_and_keeps_holder() {
        let reg = ThingRegistry::new(BindPolicy::FirstInWins);
        reg.bind(1, &ws("T"), wall(1));
        assert_eq!(
            reg.bind(2, &ws("T"), wall(2)),
            BindOutcome::Refused { holder: 1 }
        );
        let s = reg.get("T").expect("known");
        assert_eq!(s.connection, Some(1));
        assert_eq!(s.last_connection, Some(wall(1)));
        // After the holder releases it, the other connection gets it.
        reg.release_all(1, Some(wall(3)));
        assert_eq!(reg.bind(2, &ws("T"), wall(4)), BindOutcome::Bound);
    }

    #[test]
    fn last_in_wins_moves_and_release_of_old_connection_leaves_it() {
        let reg = ThingRegistry::new(BindPolicy::LastInWins);
        reg.bind(1, &ws("T"), wall(1));
        assert_eq!(
            reg.bind(2, &ws("T"), wall(2)),
            BindOutcome::Moved { from: 1 }
        );
        assert_eq!(reg.connection_of("T"), Some(2));
        // The old connection closing must not release a thing that moved away.
        assert_eq!(reg.release_all(1, Some(wall(3))), 0);
        assert!(!reg.unbind(1, b"T", wall(3)));
        let s = reg.get("T").expect("known");
        assert_eq!(s.connection, Some(2));
        assert!(s.is_connected);
        assert_eq!(s.last_connection, Some(wall(2)));
    }

    #[test]
    fn clones_share_state_and_poisoning_is_recovered() {
        let reg = ThingRegistry::default();
        let other = reg.clone();
        reg.bind(7, &ws("X"), wall(1));
        assert_eq!(other.connection_of("X"), Some(7));
        let poisoner = reg.clone();
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.inner.lock();
            panic!("poison the registry lock");
        })
        .join();
        assert!(reg.inner.is_poisoned());
        assert_eq!(other.connection_of("X"), Some(7));
        assert_eq!(other.bind(7, &ws("Y"), wall(2)), BindOutcome::Bound);
        assert_eq!(reg.get(b"Y").map(|s| s.connection), Some(Some(7)));
    }

    #[test]
    fn non_utf8_names_are_kept_as_bytes() {
        let reg = ThingRegistry::default();
        let name = WireString::from_bytes(vec![0xff, 0xfe]);
        assert_eq!(reg.bind(1, &name, wall(1)), BindOutcome::Bound);
        assert_eq!(reg.connection_of([0xff, 0xfe]), Some(1));
        assert_eq!(reg.bound_to(1), vec![name]);
    }

    #[test]
    fn unbound_things_are_forgotten_by_age_and_beyond_the_count_oldest_first() {
        let reg = ThingRegistry::default().with_retention(Retention {
            forget_after: Some(Duration::from_secs(100)),
            max_things: 3,
        });
        for (i, name) in ["A", "B", "C"].into_iter().enumerate() {
            reg.bind(1, &ws(name), wall(i as u64));
        }
        // Bound things are never forgotten, even beyond the count.
        reg.bind(2, &ws("D"), wall(3));
        assert_eq!(reg.len(), 4);
        // Unbinding makes them candidates: over the count, the oldest unbound goes first.
        assert!(reg.unbind(1, b"B", wall(10)));
        assert_eq!(reg.len(), 3, "B forgotten: 4 > 3");
        assert!(reg.get("B").is_none());
        assert_eq!(reg.release_all(1, Some(wall(20))), 2);
        assert_eq!(reg.len(), 3);
        reg.bind(2, &ws("E"), wall(30));
        // 4 things: the oldest unbound (A and C were both seen at 20; A sorts first) goes.
        assert_eq!(reg.len(), 3);
        assert!(reg.get("A").is_none());
        assert!(reg.get("C").is_some());
        // Binding an unbound thing again takes it out of the queue.
        assert_eq!(reg.bind(3, &ws("C"), wall(40)), BindOutcome::Bound);
        assert_eq!(reg.release_all(3, Some(wall(50))), 1);
        // By age: C was seen at 50; at 149 it stays, at 150 it is gone.
        assert_eq!(reg.forget_expired(wall(149)), 0);
        assert_eq!(reg.forget_expired(wall(150)), 1);
        assert!(reg.get("C").is_none());
        let names: Vec<_> = reg.snapshot().into_iter().map(|s| s.name).collect();
        assert_eq!(names, vec![ws("D"), ws("E")], "bound ones stay for ever");
        assert_eq!(reg.forgotten(), 3);
        // Retention::forever keeps everything.
        let all = ThingRegistry::default().with_retention(Retention::forever());
        for i in 0..50 {
            all.bind(1, &WireString::from(format!("T{i}")), wall(i));
        }
        all.release_all(1, Some(wall(1_000_000)));
        assert_eq!(all.forget_expired(wall(u32::MAX.into())), 0);
        assert_eq!(all.len(), 50);
    }
}
