//! Bindings: BIND/UNBIND of registered things, their answers, timeouts and retries, and
//! the tickets that tell a `bind`/`unbind` caller when its names are answered.

use super::batch::batches;
use super::session::*;
use super::{BindRefusal, BindResult, BindTicket, EdgeEvent};
use crate::codec::{Bind, Body, Header, Message, StatusCode, WireString};
use crate::request::RequestError;
use crate::request_table::RequestTable;
use std::collections::HashSet;
use std::time::Instant;

/// How [`EdgeSession::send_unbinds`] follows up an UNBIND.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnbindMode {
    /// Await nothing (on close).
    Untracked,
    /// Await the response; report [`EdgeEvent::Unbound`] (application `unbind`).
    Reported,
    /// Await the response silently (re-send after a timeout).
    Silent,
}

/// A BIND or UNBIND that timed out on the current connection: its late answer still counts
/// until the names are sent again at `retry_at`.
#[derive(Debug)]
pub(super) struct TimedOut {
    pub(super) id: u32,
    /// An UNBIND (else a BIND).
    pub(super) unbind: bool,
    /// Sent with more than one name (see [`Waiting::Bind`]).
    pub(super) several: bool,
    /// Names still waiting for this message's answer (never empty).
    pub(super) names: Vec<WireString>,
    /// When the names are sent again; `None`: not representable (never).
    pub(super) retry_at: Option<Instant>,
}

/// A `bind` / `unbind` call waiting for the outcome of its names.
#[derive(Debug)]
pub(super) struct Ticket {
    pub(super) id: BindTicket,
    pub(super) unbind: bool,
    pub(super) remaining: HashSet<WireString>,
    pub(super) rejected: Vec<BindRefusal>,
}

impl Connection {
    /// A newer BIND or UNBIND of `names` is being sent and its answer decides: they are
    /// taken out of the BINDs/UNBINDs in flight and of the timed-out ones, whose answers
    /// (and retries) no longer apply to them. Returns the names taken out of UNBINDs whose
    /// end is reported: their [`EdgeEvent::Unbound`] is due now, before the newer outcome.
    pub(super) fn supersede(
        &mut self,
        in_flight: &mut RequestTable<Waiting>,
        names: &[WireString],
    ) -> Vec<WireString> {
        let mut unbound = Vec::new();
        if !in_flight.is_empty() {
            let set: HashSet<&WireString> = names.iter().collect();
            for waiting in in_flight.values_mut() {
                match waiting {
                    Waiting::Request => {}
                    Waiting::Bind { names, .. } => names.retain(|n| !set.contains(n)),
                    Waiting::Unbind { names, report } => names.retain(|n| {
                        let keep = !set.contains(n);
                        if !keep && *report {
                            unbound.push(n.clone());
                        }
                        keep
                    }),
                }
            }
            for n in names {
                self.binding.remove(n);
            }
        }
        self.forget_timed_out(names);
        unbound
    }

    /// Forgets `names` in the timed-out BINDs/UNBINDs: late answers no longer apply to
    /// them, nor do their retries.
    pub(super) fn forget_timed_out(&mut self, names: &[WireString]) {
        if self.timed_out.is_empty() {
            return;
        }
        let names: HashSet<&WireString> = names.iter().collect();
        for t in &mut self.timed_out {
            t.names.retain(|n| !names.contains(n));
        }
        self.timed_out.retain(|t| !t.names.is_empty());
    }

    /// Takes the names of the timed-out BINDs and UNBINDs whose retry is due at `now`.
    pub(super) fn take_due_retries(&mut self, now: Instant) -> (Vec<WireString>, Vec<WireString>) {
        let mut due = (Vec::new(), Vec::new());
        self.timed_out.retain_mut(|t| {
            if t.retry_at.is_some_and(|r| r <= now) {
                let list = if t.unbind { &mut due.1 } else { &mut due.0 };
                list.append(&mut t.names);
                false
            } else {
                true
            }
        });
        due
    }
}

impl EdgeSession {
    /// Registered things (bound whenever authenticated), in registration order.
    pub fn registered(&self) -> impl Iterator<Item = &WireString> + '_ {
        self.registered.iter()
    }

    /// Whether `name`'s BIND succeeded on the current connection (only bound things receive
    /// platform requests; others are answered NOT_FOUND).
    pub fn is_bound(&self, name: &str) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.bound.contains(name.as_bytes()))
    }

    /// Registers things. Authenticated: BINDs the newly registered ones now (and re-BINDs
    /// registered ones that are neither bound nor being bound, e.g. after a rejection);
    /// otherwise they are bound after the next AUTH success. Ignored once closing.
    ///
    /// The returned ticket ends with one [`EdgeEvent::BindCompleted`] once every listed
    /// name is answered (`Bound`, `BindRejected`, or unbound meanwhile), at once for names
    /// already bound; [`BindResult::Closed`] if the session closes first.
    pub fn bind<I, N>(&mut self, now: Instant, names: I) -> BindTicket
    where
        I: IntoIterator<Item = N>,
        N: Into<WireString>,
    {
        let ticket = self.new_ticket();
        if self.closed || self.app_closing {
            self.complete(ticket, BindResult::Closed);
            return ticket;
        }
        let mut waiting = HashSet::new();
        let live = self
            .conn
            .as_ref()
            .and_then(Connection::live_session_id)
            .is_some();
        let mut seen = HashSet::new();
        let mut to_send = Vec::new();
        for name in names {
            let name: WireString = name.into();
            if !seen.insert(name.clone()) {
                continue;
            }
            if !self.conn.as_ref().is_some_and(|c| c.bound.contains(&name)) {
                waiting.insert(name.clone());
            }
            if self.registered_set.insert(name.clone()) {
                self.registered.push(name.clone());
                to_send.push(name);
            } else if let Some(c) = self.conn.as_ref().filter(|_| live) {
                if !c.bound.contains(&name) && !c.binding.contains(&name) {
                    to_send.push(name);
                }
            }
        }
        self.wait(ticket, false, waiting);
        if live {
            self.send_binds(now, to_send);
        }
        ticket
    }

    pub(super) fn new_ticket(&mut self) -> BindTicket {
        self.next_ticket = self.next_ticket.wrapping_add(1);
        BindTicket(self.next_ticket)
    }

    pub(super) fn complete(&mut self, ticket: BindTicket, result: BindResult) {
        self.events
            .push_back(EdgeEvent::BindCompleted { ticket, result });
    }

    /// Waits for `names` (completes at once when there are none).
    pub(super) fn wait(&mut self, id: BindTicket, unbind: bool, remaining: HashSet<WireString>) {
        if remaining.is_empty() {
            self.complete(id, BindResult::Done);
        } else {
            self.tickets.push(Ticket {
                id,
                unbind,
                remaining,
                rejected: Vec::new(),
            });
        }
    }

    /// The outcome of a name as the application sees it (the event being handed out):
    /// settles the tickets waiting for it.
    pub(super) fn settle(&mut self, event: &EdgeEvent) {
        if self.tickets.is_empty() {
            return;
        }
        let (name, unbound, refused) = match event {
            EdgeEvent::Bound { name } => (name, false, None),
            EdgeEvent::BindRejected {
                name,
                status,
                reason,
            } => (name, false, Some((*status, reason))),
            EdgeEvent::Unbound { name } => (name, true, None),
            _ => return,
        };
        let mut done = Vec::new();
        self.tickets.retain_mut(|t| {
            if (t.unbind && !unbound) || !t.remaining.remove(name) {
                return true;
            }
            if let Some((status, reason)) = refused {
                t.rejected.push(BindRefusal {
                    name: name.clone(),
                    status,
                    reason: reason.clone(),
                });
            }
            if !t.remaining.is_empty() {
                return true;
            }
            let result = if t.rejected.is_empty() {
                BindResult::Done
            } else {
                BindResult::Rejected(std::mem::take(&mut t.rejected))
            };
            done.push((t.id, result));
            false
        });
        for (ticket, result) in done {
            self.complete(ticket, result);
        }
    }

    /// Unregisters things. Authenticated: sends UNBIND ([`EdgeEvent::Unbound`] on its
    /// response or timeout, re-sent silently after a timeout); otherwise
    /// [`EdgeEvent::Unbound`] at once. Names that are not
    /// registered are ignored. Platform requests for these things get NOT_FOUND from now on.
    ///
    /// The returned ticket ends with one [`EdgeEvent::BindCompleted`] once every name it
    /// unregistered is `Unbound` (at once when there are none).
    pub fn unbind<I, N>(&mut self, now: Instant, names: I) -> BindTicket
    where
        I: IntoIterator<Item = N>,
        N: Into<WireString>,
    {
        let ticket = self.new_ticket();
        if self.closed || self.app_closing {
            self.complete(ticket, BindResult::Closed);
            return ticket;
        }
        let mut removed = Vec::new();
        for name in names {
            let name: WireString = name.into();
            if self.registered_set.remove(&name) {
                removed.push(name);
            }
        }
        self.wait(ticket, true, removed.iter().cloned().collect());
        if removed.is_empty() {
            return ticket;
        }
        let set = &self.registered_set;
        self.registered.retain(|n| set.contains(n));
        let session_id = self.conn.as_ref().and_then(Connection::live_session_id);
        if let Some(c) = &mut self.conn {
            for name in &removed {
                c.bound.remove(name);
            }
            let unbound = c.supersede(&mut self.requests, &removed);
            self.events
                .extend(unbound.into_iter().map(|name| EdgeEvent::Unbound { name }));
            self.retries_changed();
        }
        match session_id {
            Some(session_id) => self.send_unbinds(now, session_id, removed, UnbindMode::Reported),
            None => self
                .events
                .extend(removed.into_iter().map(|name| EdgeEvent::Unbound { name })),
        }
        ticket
    }

    /// The late answer to a BIND that timed out on this connection, before its retry (each
    /// name already had its `BindRejected { GATEWAY_TIMEOUT }`; names unbound or re-sent
    /// since are no longer listed; the retry is cancelled). SUCCESS: the platform bound
    /// them, so they are bound here too. A failure of a one-name BIND is final (nothing
    /// more is reported); one of several names may still have bound some of them, so those
    /// are asked again one by one, as for a failure in time.
    pub(super) fn on_late_bind_response(
        &mut self,
        now: Instant,
        names: Vec<WireString>,
        several: bool,
        status: StatusCode,
    ) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        let mut retry = Vec::new();
        for name in names {
            if !self.registered_set.contains(&name)
                || conn.bound.contains(&name)
                || conn.binding.contains(&name)
            {
                continue;
            }
            if status.is_success() {
                conn.bound.insert(name.clone());
                self.events.push_back(EdgeEvent::Bound { name });
            } else if several {
                retry.push(name);
            }
        }
        for name in retry {
            self.send_binds(now, vec![name]);
        }
    }

    /// The size BIND/UNBIND name lists are split at: a BIND never exceeds
    /// `max_message_size` and never needs multipart (sdk-quirks.md Q23).
    pub(super) fn bind_limit(&self) -> usize {
        self.config
            .max_message_size
            .min(usize::from(self.config.chunk_size))
    }

    pub(super) fn send_binds(&mut self, now: Instant, names: Vec<WireString>) {
        let Some(session_id) = self.conn.as_ref().and_then(Connection::live_session_id) else {
            return;
        };
        for batch in batches(names, self.config.gateway.as_ref(), self.bind_limit()) {
            let id = self.requests.next_id();
            let message = Message {
                header: Header::new(id, session_id),
                body: Body::Bind(Bind {
                    gateway: self.config.gateway.clone(),
                    names: batch.clone(),
                }),
            };
            match self.wire.send(&message, &mut self.transmits) {
                Ok(()) => {
                    if let Some(c) = &mut self.conn {
                        let unbound = c.supersede(&mut self.requests, &batch);
                        self.events
                            .extend(unbound.into_iter().map(|name| EdgeEvent::Unbound { name }));
                        c.binding.extend(batch.iter().cloned());
                        self.requests.insert(
                            id,
                            after(now, self.config.request_timeout),
                            Waiting::Bind {
                                several: batch.len() > 1,
                                names: batch,
                            },
                        );
                    }
                }
                Err(_) => {
                    self.events
                        .extend(batch.into_iter().map(|name| EdgeEvent::BindRejected {
                            name,
                            status: StatusCode::ENTITY_TOO_LARGE,
                            reason: None,
                        }))
                }
            }
        }
        self.retries_changed();
    }

    /// Sends UNBINDs for `names`, followed up as `mode` says.
    pub(super) fn send_unbinds(
        &mut self,
        now: Instant,
        session_id: u32,
        names: Vec<WireString>,
        mode: UnbindMode,
    ) {
        if let Some(c) = &mut self.conn {
            let unbound = c.supersede(&mut self.requests, &names);
            self.events
                .extend(unbound.into_iter().map(|name| EdgeEvent::Unbound { name }));
            self.retries_changed();
        }
        for batch in batches(names, self.config.gateway.as_ref(), self.bind_limit()) {
            let id = self.requests.next_id();
            let message = Message {
                header: Header::new(id, session_id),
                body: Body::Unbind(Bind {
                    gateway: self.config.gateway.clone(),
                    names: batch.clone(),
                }),
            };
            let sent = self.wire.send(&message, &mut self.transmits).is_ok();
            let report = match mode {
                UnbindMode::Untracked => continue,
                UnbindMode::Reported => true,
                UnbindMode::Silent => false,
            };
            match (&mut self.conn, sent) {
                (Some(_), true) => {
                    self.requests.insert(
                        id,
                        after(now, self.config.request_timeout),
                        Waiting::Unbind {
                            names: batch,
                            report,
                        },
                    );
                }
                _ if report => self
                    .events
                    .extend(batch.into_iter().map(|name| EdgeEvent::Unbound { name })),
                _ => {}
            }
        }
    }

    /// Ends what timed out in flight: requests with `Timeout`; BINDs and UNBINDs are reported and remembered for a late answer and a retry.
    pub(super) fn expire_in_flight(&mut self, now: Instant) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        for (id, waiting) in self.requests.expire(now) {
            {
                match waiting {
                    Waiting::Request => self.events.push_back(EdgeEvent::Response {
                        id,
                        result: Err(RequestError::Timeout),
                    }),
                    Waiting::Bind { names, several } => {
                        let mut remembered = Vec::new();
                        for name in names {
                            conn.binding.remove(&name);
                            if self.registered_set.contains(&name) {
                                remembered.push(name.clone());
                                self.events.push_back(EdgeEvent::BindRejected {
                                    name,
                                    status: StatusCode::GATEWAY_TIMEOUT,
                                    reason: None,
                                });
                            }
                        }
                        // The platform may have bound them: adopt a late answer, and ask
                        // again one request timeout later if none came.
                        if !remembered.is_empty() {
                            conn.timed_out.push_back(TimedOut {
                                id,
                                unbind: false,
                                several,
                                names: remembered,
                                retry_at: after(now, self.config.request_timeout),
                            });
                        }
                    }
                    Waiting::Unbind { names, report } => {
                        // Unregistered already, but the platform may not have seen it:
                        // sent again (silently) one request timeout later unless a late
                        // answer comes first. Names registered again since are left to
                        // their new BIND.
                        let remembered: Vec<_> = names
                            .iter()
                            .filter(|n| !self.registered_set.contains(*n))
                            .cloned()
                            .collect();
                        if !remembered.is_empty() {
                            conn.timed_out.push_back(TimedOut {
                                id,
                                unbind: true,
                                several: false,
                                names: remembered,
                                retry_at: after(now, self.config.request_timeout),
                            });
                        }
                        if report {
                            self.events
                                .extend(names.into_iter().map(|name| EdgeEvent::Unbound { name }));
                        }
                    }
                }
            }
        }
        self.retries_changed();
    }

    /// Sends again the timed-out BINDs and UNBINDs whose retry is due.
    pub(super) fn retry_binds(&mut self, now: Instant) {
        if !self.timers.is_due(EdgeTimer::Retry, now) {
            return;
        }
        let Some(conn) = &mut self.conn else {
            return;
        };
        let (binds, unbinds) = conn.take_due_retries(now);
        self.retries_changed();
        let Some(conn) = &mut self.conn else {
            return;
        };
        let unbinds: Vec<_> = unbinds
            .into_iter()
            .filter(|n| !self.registered_set.contains(n))
            .collect();
        let binds: Vec<_> = binds
            .into_iter()
            .filter(|n| self.registered_set.contains(n))
            .filter(|n| !conn.bound.contains(n) && !conn.binding.contains(n))
            .collect();
        if let Some(session_id) = conn.live_session_id() {
            if !unbinds.is_empty() {
                self.send_unbinds(now, session_id, unbinds, UnbindMode::Silent);
            }
        }
        if !binds.is_empty() {
            self.send_binds(now, binds);
        }
    }
}
