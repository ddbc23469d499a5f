//! [`ThingRegistry`]: which thing is bound on which connection, shared by every session.

use super::{BindPolicy, ConnectionId};
use crate::codec::WireString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

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

/// Which things are bound on which connection, shared by every
/// [`PlatformSession`](super::PlatformSession) of a platform.
///
/// Cheap to clone (a handle over one `Arc<Mutex<…>>`); touched only by BIND, UNBIND,
/// disconnect, platform→edge requests and look-ups, never per inbound message. A thing stays
/// in the registry after it is unbound (`is_connected == false`) so that its
/// `last_connection` remains visible. The lock is never held across a call into user code,
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
    inner: Arc<Mutex<HashMap<WireString, ThingStatus>>>,
    policy: BindPolicy,
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
        }
    }

    /// The bind policy every session sharing this registry applies.
    pub fn policy(&self) -> BindPolicy {
        self.policy
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<WireString, ThingStatus>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Look-up: the status of one thing (by its name's bytes), if it was ever bound.
    pub fn get(&self, name: impl AsRef<[u8]>) -> Option<ThingStatus> {
        self.lock().get(name.as_ref()).cloned()
    }

    /// List: every thing ever bound, sorted by name (bytewise).
    pub fn snapshot(&self) -> Vec<ThingStatus> {
        let mut all: Vec<ThingStatus> = self.lock().values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Look-up: the connection a thing (by its name's bytes) is bound on, if any.
    pub fn connection_of(&self, name: impl AsRef<[u8]>) -> Option<ConnectionId> {
        self.lock().get(name.as_ref()).and_then(|t| t.connection)
    }

    /// The names bound on connection `conn`, sorted (bytewise).
    pub fn bound_to(&self, conn: ConnectionId) -> Vec<WireString> {
        let mut names: Vec<WireString> = self
            .lock()
            .values()
            .filter(|t| t.connection == Some(conn))
            .map(|t| t.name.clone())
            .collect();
        names.sort();
        names
    }

    /// Number of things known (bound or not).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no thing was ever bound.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Claim: binds `name` to `conn` at wall-clock time `wall`, applying the policy.
    pub(crate) fn bind(
        &self,
        conn: ConnectionId,
        name: &WireString,
        wall: SystemTime,
    ) -> BindOutcome {
        let mut map = self.lock();
        match map.get_mut(name.as_bytes()) {
            Some(t) => match t.connection {
                Some(c) if c == conn => BindOutcome::AlreadyBound,
                Some(holder) if self.policy == BindPolicy::FirstInWins => {
                    BindOutcome::Refused { holder }
                }
                previous => {
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
                map.insert(
                    name.clone(),
                    ThingStatus {
                        name: name.clone(),
                        is_connected: true,
                        last_connection: Some(wall),
                        connection: Some(conn),
                    },
                );
                BindOutcome::Bound
            }
        }
    }

    /// Release: unbinds `name` if it is bound to `conn`; returns whether it was.
    pub(crate) fn unbind(&self, conn: ConnectionId, name: &[u8], wall: SystemTime) -> bool {
        let mut map = self.lock();
        match map.get_mut(name) {
            Some(t) if t.connection == Some(conn) => {
                t.connection = None;
                t.is_connected = false;
                t.last_connection = Some(wall);
                true
            }
            _ => false,
        }
    }

    /// Release: every thing still bound to `conn` (things moved elsewhere meanwhile are left
    /// alone), setting `last_connection` to `wall` when given; returns how many were
    /// released.
    pub(crate) fn release_all(&self, conn: ConnectionId, wall: Option<SystemTime>) -> usize {
        let mut map = self.lock();
        let mut released = 0;
        for t in map.values_mut().filter(|t| t.connection == Some(conn)) {
            t.connection = None;
            t.is_connected = false;
            if wall.is_some() {
                t.last_connection = wall;
            }
            released += 1;
        }
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
}
