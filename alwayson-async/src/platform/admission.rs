//! Admission before the protocol starts: how many connections the platform holds, which of
//! them have not authenticated yet (pre-AUTH, shed first, oldest first), and the optional
//! per-IP cap on those.
//!
//! A connection is pre-AUTH from accept until it either completes a plain HTTP request
//! (REST) or authenticates its websocket. Under pressure (the total cap, the pre-AUTH cap,
//! or the process running out of file descriptors) the oldest pre-AUTH connection is
//! aborted to make room; authenticated edges and REST clients are never shed.

use futures_util::future::AbortHandle;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Limits on the connections a [`Platform`](super::Platform) holds before and around the
/// protocol ([`PlatformBuilder::connection_limits`](super::PlatformBuilder::connection_limits)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionLimits {
    /// Longest wait for a complete HTTP request head (an upgrade or a REST request), and
    /// longest idle time between requests on a kept-alive HTTP connection. Default 10 s.
    pub header_timeout: Duration,
    /// Most connections held at once (TCP, any state). Default: the process's soft
    /// file-descriptor limit less 128 kept for files, logs and outgoing sockets.
    pub max_connections: usize,
    /// Most pre-AUTH connections held at once; beyond it the oldest is shed. Default half of
    /// `max_connections`, so the other half stays for authenticated edges and REST.
    pub max_pre_auth: usize,
    /// Most pre-AUTH connections from one IP address (a new one beyond it is refused).
    /// Default: no per-IP cap.
    pub max_pre_auth_per_ip: Option<usize>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        let max_connections = fd_limit().saturating_sub(128).max(64);
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections,
            max_pre_auth: max_connections / 2,
            max_pre_auth_per_ip: None,
        }
    }
}

impl ConnectionLimits {
    /// The defaults (see the fields).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`header_timeout`](Self::header_timeout).
    pub fn header_timeout(mut self, d: Duration) -> Self {
        self.header_timeout = d;
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (and keeps `max_pre_auth` within it).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self.max_pre_auth = self.max_pre_auth.min(self.max_connections);
        self
    }

    /// Sets [`max_pre_auth`](Self::max_pre_auth).
    pub fn max_pre_auth(mut self, n: usize) -> Self {
        self.max_pre_auth = n.max(1);
        self
    }

    /// Sets [`max_pre_auth_per_ip`](Self::max_pre_auth_per_ip).
    pub fn max_pre_auth_per_ip(mut self, n: Option<usize>) -> Self {
        self.max_pre_auth_per_ip = n.map(|n| n.max(1));
        self
    }
}

/// The soft limit on open file descriptors (1024 where it cannot be read).
fn fd_limit() -> usize {
    #[cfg(unix)]
    {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        if let Some(n) = limit.current {
            return usize::try_from(n).unwrap_or(usize::MAX);
        }
        return usize::MAX;
    }
    #[allow(unreachable_code)]
    1024
}

/// Why a new connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every held connection is authenticated or serving REST and the cap is reached.
    Full,
    /// The peer's address holds its quota of pre-AUTH connections.
    PerIp,
}

#[derive(Default)]
struct State {
    next: u64,
    total: usize,
    /// Pre-AUTH connections, oldest first, with what aborts their current task.
    pre_auth: BTreeMap<u64, (IpAddr, AbortHandle)>,
    per_ip: HashMap<IpAddr, usize>,
    /// Shed connections whose tasks have not ended yet (no longer counted in `total`).
    shed: HashSet<u64>,
}

impl State {
    fn remove_pre_auth(&mut self, seq: u64) {
        if let Some((ip, _)) = self.pre_auth.remove(&seq) {
            if let Some(n) = self.per_ip.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    self.per_ip.remove(&ip);
                }
            }
        }
    }

    /// Aborts the oldest pre-AUTH connection; `false` when there is none.
    fn shed_oldest(&mut self) -> bool {
        let Some((&seq, (_, abort))) = self.pre_auth.iter().next() else {
            return false;
        };
        abort.abort();
        self.remove_pre_auth(seq);
        self.shed.insert(seq);
        self.total -= 1;
        true
    }
}

/// The connection accounting of one platform.
pub(crate) struct Admission {
    limits: ConnectionLimits,
    state: Mutex<State>,
}

impl Admission {
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            state: Mutex::new(State::default()),
        })
    }

    pub(crate) fn limits(&self) -> &ConnectionLimits {
        &self.limits
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a new pre-AUTH connection from `ip` whose task `abort` ends, shedding the
    /// oldest pre-AUTH connection when a cap is reached.
    pub(crate) fn admit(
        self: &Arc<Self>,
        ip: IpAddr,
        abort: AbortHandle,
    ) -> Result<Ticket, Refusal> {
        let mut s = self.state();
        if let Some(cap) = self.limits.max_pre_auth_per_ip {
            if s.per_ip.get(&ip).copied().unwrap_or(0) >= cap {
                return Err(Refusal::PerIp);
            }
        }
        let mut shed = 0usize;
        while s.total >= self.limits.max_connections || s.pre_auth.len() >= self.limits.max_pre_auth
        {
            if !s.shed_oldest() {
                break;
            }
            shed += 1;
        }
        if s.total >= self.limits.max_connections {
            return Err(Refusal::Full);
        }
        if shed > 0 {
            tracing::debug!(
                shed,
                "shed the oldest pre-AUTH connections to admit a new one"
            );
        }
        let seq = s.next;
        s.next += 1;
        s.total += 1;
        s.pre_auth.insert(seq, (ip, abort));
        *s.per_ip.entry(ip).or_insert(0) += 1;
        Ok(Ticket {
            admission: self.clone(),
            seq,
        })
    }

    /// Frees a file descriptor by shedding the oldest pre-AUTH connection (on `EMFILE`).
    pub(crate) fn shed_one(&self) -> bool {
        self.state().shed_oldest()
    }

    /// Connections held now: (total, pre-AUTH).
    pub(crate) fn counts(&self) -> (usize, usize) {
        let s = self.state();
        (s.total, s.pre_auth.len())
    }
}

/// One admitted connection; dropping the last clone gives its place back.
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    seq: u64,
}

impl Ticket {
    /// The connection authenticated (or served a REST request): never shed from now on.
    pub(crate) fn established(&self) {
        self.admission.state().remove_pre_auth(self.seq);
    }

    /// The connection's task is now the one `abort` ends (the upgraded websocket's).
    pub(crate) fn set_abort(&self, abort: AbortHandle) {
        if let Some(entry) = self.admission.state().pre_auth.get_mut(&self.seq) {
            entry.1 = abort;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut s = self.admission.state();
        s.remove_pre_auth(self.seq);
        if !s.shed.remove(&self.seq) {
            s.total -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::{AbortHandle, Abortable, Pending};

    /// An abort handle and the task it would end.
    fn task() -> (AbortHandle, Abortable<Pending<()>>) {
        let (handle, registration) = AbortHandle::new_pair();
        (
            handle,
            Abortable::new(futures_util::future::pending(), registration),
        )
    }

    fn limits(total: usize, pre: usize) -> ConnectionLimits {
        ConnectionLimits::new()
            .max_connections(total)
            .max_pre_auth(pre)
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, n])
    }

    #[test]
    fn the_oldest_pre_auth_connection_is_shed_first() {
        let a = Admission::new(limits(3, 3));
        let (h1, r1) = task();
        let (h2, r2) = task();
        let (h3, r3) = task();
        let t1 = a.admit(ip(1), h1).expect("admitted");
        let t2 = a.admit(ip(1), h2).expect("admitted");
        t1.established();
        let _t3 = a.admit(ip(1), h3).expect("admitted");
        // Full: the fourth sheds t2 (the oldest pre-AUTH), never the established t1.
        let (h4, _r4) = task();
        let t4 = a.admit(ip(1), h4).expect("admitted");
        assert!(!r1.is_aborted());
        assert!(r2.is_aborted());
        assert!(!r3.is_aborted());
        // The shed one no longer counts, even before its task ends.
        assert_eq!(a.counts(), (3, 2));
        drop(t2);
        assert_eq!(a.counts(), (3, 2));
        drop(t4);
        assert_eq!(a.counts(), (2, 1));
    }

    #[test]
    fn a_full_platform_of_established_connections_refuses() {
        let a = Admission::new(limits(2, 2));
        let t1 = a.admit(ip(1), AbortHandle::new_pair().0).expect("admitted");
        let t2 = a.admit(ip(1), AbortHandle::new_pair().0).expect("admitted");
        t1.established();
        t2.established();
        assert_eq!(
            a.admit(ip(1), AbortHandle::new_pair().0).err(),
            Some(Refusal::Full)
        );
        drop(t1);
        assert!(a.admit(ip(1), AbortHandle::new_pair().0).is_ok());
    }

    #[test]
    fn the_pre_auth_cap_sheds_below_the_total_cap() {
        let a = Admission::new(limits(10, 2));
        let (h1, r1) = task();
        let _t1 = a.admit(ip(1), h1).expect("admitted");
        let _t2 = a.admit(ip(1), AbortHandle::new_pair().0).expect("admitted");
        let _t3 = a.admit(ip(1), AbortHandle::new_pair().0).expect("admitted");
        assert!(r1.is_aborted());
    }

    #[test]
    fn the_per_ip_cap_refuses_only_that_address() {
        let a = Admission::new(limits(10, 10).max_pre_auth_per_ip(Some(1)));
        let t1 = a.admit(ip(1), AbortHandle::new_pair().0).expect("admitted");
        assert_eq!(
            a.admit(ip(1), AbortHandle::new_pair().0).err(),
            Some(Refusal::PerIp)
        );
        assert!(a.admit(ip(2), AbortHandle::new_pair().0).is_ok());
        // Once authenticated, it no longer counts against its address.
        t1.established();
        assert!(a.admit(ip(1), AbortHandle::new_pair().0).is_ok());
    }
}
