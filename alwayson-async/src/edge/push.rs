//! The driver's side of subscribed properties (session-lifecycle.md §13): when queued values
//! go out, the `GetPropertySubscriptions` refresh after each BIND and on
//! `NotifyPropertyUpdate`, and the answers to the batches.
//!
//! Values queued by [`crate::EdgeClient::set_property`] (the rules live in
//! `alwayson_proto::edge::SubscribedProperties`) leave as `UpdateSubscribedPropertyValues`
//! batches, each at most the session's `max_message_size`, every push interval and on
//! [`crate::EdgeClient::flush`]:
//! * with an offline store, every batch goes into the store (sent once its thing is bound,
//!   at least once, like any push);
//! * without one, only the batches of things bound on the current connection are sent; the
//!   others stay queued for the next flush. A batch the platform refuses (or that times
//!   out) is logged with its cause and counted, not retried.

use super::offline::OfflineStore;
use super::thing::Things;
use crate::error::{Error, Result};
use alwayson_proto::edge::subscribed::{get_property_subscriptions, is_notify_property_update};
use alwayson_proto::{EdgeSession, EdgeState, Request, RequestError, Response, WireString};
use futures_channel::oneshot;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// An on-demand flush waiting for its batches' answers.
struct FlushWait {
    remaining: HashSet<u32>,
    error: Option<Error>,
    reply: oneshot::Sender<Result<()>>,
}

/// Push timing and the requests in flight for subscribed properties.
pub(crate) struct Pushes {
    interval: Option<Duration>,
    next: Option<Instant>,
    /// `GetPropertySubscriptions` in flight: request id → thing.
    refreshing: HashMap<u32, WireString>,
    /// Batches in flight (sent without an offline store).
    sent: HashSet<u32>,
    waits: Vec<FlushWait>,
}

/// Figures of the subscribed properties ([`crate::EdgeClient::push_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PushStats {
    /// Values queued by push rules, not yet sent or stored.
    pub queued: usize,
    /// Queued values dropped to stay within the queue limit
    /// ([`crate::EdgeClientBuilder::push_queue_limit`]), each time the oldest.
    pub dropped: u64,
    /// Batches refused by the platform, unanswered, or refused by the offline store (their
    /// values are lost; each is logged with its cause).
    pub failed_batches: u64,
}

impl Pushes {
    pub(crate) fn new(interval: Option<Duration>, now: Instant) -> Self {
        Self {
            interval,
            next: interval.map(|i| now + i),
            refreshing: HashMap::new(),
            sent: HashSet::new(),
            waits: Vec::new(),
        }
    }

    /// When the next interval flush is due.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next
    }

    /// Flushes if the interval is due.
    pub(crate) fn on_timer(
        &mut self,
        now: Instant,
        session: &mut EdgeSession,
        offline: Option<&mut OfflineStore>,
        things: &Things,
    ) {
        let (Some(next), Some(interval)) = (self.next, self.interval) else {
            return;
        };
        if next > now {
            return;
        }
        self.next = Some(now + interval);
        self.flush(now, session, offline, things, None);
    }

    /// Sends (or stores) what is queued; `reply` resolves when every batch is stored, or
    /// answered by the platform (an error for the first refused one).
    pub(crate) fn flush(
        &mut self,
        now: Instant,
        session: &mut EdgeSession,
        mut offline: Option<&mut OfflineStore>,
        things: &Things,
        reply: Option<oneshot::Sender<Result<()>>>,
    ) {
        let max = session.config().max_message_size;
        let requests: Vec<Request> = {
            let mut subscribed = things.subscribed();
            if offline.is_some() {
                subscribed.take_requests(max)
            } else if session.state() == EdgeState::Authenticated {
                let bound: Vec<String> = subscribed
                    .queued_things()
                    .filter(|t| session.is_bound(t))
                    .map(str::to_owned)
                    .collect();
                bound
                    .iter()
                    .flat_map(|t| subscribed.take_thing_requests(t, max))
                    .collect()
            } else {
                Vec::new()
            }
        };
        let mut wait = FlushWait {
            remaining: HashSet::new(),
            error: None,
            reply: match reply {
                Some(r) => r,
                None => oneshot::channel().0,
            },
        };
        for request in requests {
            let values = request.property_updates().map_or(0, |u| u.len());
            if let Some(store) = offline.as_deref_mut() {
                if let Err(e) = store.store(&request) {
                    things.push_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(values, error = %e, "subscribed property values not stored");
                    wait.error.get_or_insert(e.into());
                }
                continue;
            }
            match session.request(now, request) {
                Ok(id) => {
                    self.sent.insert(id);
                    wait.remaining.insert(id);
                }
                Err(e) => {
                    things.push_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(values, error = %e, "subscribed property values not sent");
                    wait.error.get_or_insert(e.into());
                }
            }
        }
        self.settle(wait);
    }

    fn settle(&mut self, wait: FlushWait) {
        if wait.remaining.is_empty() {
            let _ = wait.reply.send(wait.error.map_or(Ok(()), Err));
        } else {
            self.waits.push(wait);
        }
    }

    /// After `thing`'s BIND, and when the platform calls `NotifyPropertyUpdate`: asks for
    /// its push rules.
    pub(crate) fn refresh(&mut self, now: Instant, session: &mut EdgeSession, thing: WireString) {
        match session.request(now, get_property_subscriptions(thing.clone())) {
            Ok(id) => {
                self.refreshing.insert(id, thing);
            }
            Err(e) => {
                tracing::debug!(thing = %thing.to_str_lossy(), error = %e, "GetPropertySubscriptions not sent")
            }
        }
    }

    /// A platform request this module answers: `NotifyPropertyUpdate` is answered SUCCESS
    /// and triggers a refresh of the thing's rules.
    pub(crate) fn answer(
        &mut self,
        now: Instant,
        session: &mut EdgeSession,
        request: &Request,
    ) -> Option<Response> {
        if !is_notify_property_update(request) {
            return None;
        }
        self.refresh(now, session, request.entity_name.clone());
        Some(Response::success())
    }

    /// A response (or its failure) to one of this module's requests; `false` if the id is
    /// not one of them.
    pub(crate) fn on_response(
        &mut self,
        id: u32,
        result: &std::result::Result<Response, RequestError>,
        things: &Things,
    ) -> bool {
        if let Some(thing) = self.refreshing.remove(&id) {
            let name = thing.to_str_lossy();
            match result {
                Ok(r) if r.status.is_success() => {
                    let table = r.content.clone().unwrap_or_default();
                    let n = things.subscribed().refresh(&name, &table);
                    tracing::debug!(thing = %name, rules = n, "push rules from the platform");
                }
                Ok(r) => {
                    tracing::debug!(thing = %name, status = %r.status, "GetPropertySubscriptions refused; declared push rules kept")
                }
                Err(e) => {
                    tracing::debug!(thing = %name, error = %e, "GetPropertySubscriptions failed; declared push rules kept")
                }
            }
            return true;
        }
        if !self.sent.remove(&id) {
            return false;
        }
        let error = || match result {
            Ok(r) if r.status.is_success() => None,
            Ok(r) => Some(Error::Status {
                status: r.status,
                reason: r.reason.as_ref().map(|s| s.to_str_lossy().into_owned()),
            }),
            Err(e) => Some(Error::from(e.clone())),
        };
        if let Some(e) = error() {
            things.push_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(id, error = %e, "subscribed property values refused by the platform");
        }
        let mut i = 0;
        while i < self.waits.len() {
            let w = &mut self.waits[i];
            if w.remaining.remove(&id) {
                if w.error.is_none() {
                    w.error = error();
                }
                if w.remaining.is_empty() {
                    let w = self.waits.swap_remove(i);
                    let _ = w.reply.send(w.error.map_or(Ok(()), Err));
                    continue;
                }
            }
            i += 1;
        }
        true
    }
}
