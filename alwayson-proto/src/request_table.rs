//! [`RequestTable`]: the requests a session sent and waits on, for both sessions.
//!
//! One table allocates the request ids (pre-incremented, never 0, skipping ids still
//! pending), keeps each pending request with its deadline and what the session needs when
//! it ends, matches answers, and ends what timed out. It remembers the last few timed-out
//! ids, so a late answer can be told from one that matches nothing.

use crate::RequestIds;
use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

/// How many recently timed-out request ids are remembered to tell a late response from one
/// that matches nothing.
const RECENT_TIMEOUTS: usize = 256;

/// What an answer with a request id matched.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answer<T> {
    /// A pending request (now ended): what was kept for it.
    Pending(T),
    /// A request that timed out recently.
    Late,
    /// Nothing this table knows.
    Unmatched,
}

/// Request ids, pending requests with their deadlines, answer matching and timeouts.
#[derive(Debug)]
pub(crate) struct RequestTable<T> {
    ids: RequestIds,
    /// Request id → (deadline, `None`: never; what the session keeps for it).
    pending: BTreeMap<u32, (Option<Instant>, T)>,
    recent_timeouts: VecDeque<u32>,
}

impl<T> RequestTable<T> {
    /// An empty table drawing ids from `ids`.
    pub(crate) fn new(ids: RequestIds) -> Self {
        Self {
            ids,
            pending: BTreeMap::new(),
            recent_timeouts: VecDeque::new(),
        }
    }

    /// A fresh request id: never 0, never one still pending.
    pub(crate) fn next_id(&mut self) -> u32 {
        loop {
            let id = self.ids.next();
            if !self.pending.contains_key(&id) {
                return id;
            }
        }
    }

    /// Waits for an answer to `id` until `deadline` (`None`: never times out).
    pub(crate) fn insert(&mut self, id: u32, deadline: Option<Instant>, value: T) {
        self.pending.insert(id, (deadline, value));
    }

    /// An answer with request id `id` arrived: ends the pending request, if any. A late
    /// answer is late once: another answer to the same id matches nothing.
    pub(crate) fn answer(&mut self, id: u32) -> Answer<T> {
        if let Some((_, value)) = self.pending.remove(&id) {
            return Answer::Pending(value);
        }
        match self.recent_timeouts.iter().position(|&t| t == id) {
            Some(i) => {
                self.recent_timeouts.remove(i);
                Answer::Late
            }
            None => Answer::Unmatched,
        }
    }

    /// Ends the pending request `id` only if `accept` takes what was kept for it.
    pub(crate) fn take_if(&mut self, id: u32, accept: impl FnOnce(&T) -> bool) -> Option<T> {
        if accept(&self.pending.get(&id)?.1) {
            self.pending.remove(&id).map(|(_, value)| value)
        } else {
            None
        }
    }

    /// Ends every request whose deadline is at or before `now`, earliest deadline first
    /// (ties by id), remembering their ids as timed out.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<(u32, T)> {
        let mut due: Vec<(Instant, u32)> = self
            .pending
            .iter()
            .filter_map(|(&id, (d, _))| d.filter(|d| *d <= now).map(|d| (d, id)))
            .collect();
        if due.is_empty() {
            return Vec::new();
        }
        due.sort_unstable();
        let mut ended = Vec::with_capacity(due.len());
        for (_, id) in due {
            if let Some((_, value)) = self.pending.remove(&id) {
                if self.recent_timeouts.len() == RECENT_TIMEOUTS {
                    self.recent_timeouts.pop_front();
                }
                self.recent_timeouts.push_back(id);
                ended.push((id, value));
            }
        }
        ended
    }

    /// Ends every pending request (the connection is gone), in id order, and forgets the
    /// timed-out ones: an answer arriving on a later connection is not late, it matches
    /// nothing sent there.
    pub(crate) fn take_all(&mut self) -> Vec<(u32, T)> {
        self.recent_timeouts.clear();
        std::mem::take(&mut self.pending)
            .into_iter()
            .map(|(id, (_, value))| (id, value))
            .collect()
    }

    /// The earliest deadline of a pending request.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.pending.values().filter_map(|(d, _)| *d).min()
    }

    /// What is kept for each pending request.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.pending.values_mut().map(|(_, value)| value)
    }

    /// Whether nothing is pending.
    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ids_skip_pending_ones_and_answers_end_them_once() {
        let now = Instant::now();
        let mut t = RequestTable::new(RequestIds::starting_at(u32::MAX));
        let a = t.next_id();
        assert_eq!(a, u32::MAX);
        t.insert(a, None, "a");
        t.insert(1, None, "one"); // as if drawn long ago
        assert_eq!(t.next_id(), 2, "0 and the pending 1 are skipped");
        assert_eq!(t.answer(a), Answer::Pending("a"));
        assert_eq!(t.answer(a), Answer::Unmatched);
        assert_eq!(t.next_deadline(), None);
        assert!(t.expire(now + Duration::from_secs(1_000)).is_empty());
    }

    #[test]
    fn expiry_goes_by_deadline_then_id_and_late_answers_are_told_apart() {
        let t0 = Instant::now();
        let mut t = RequestTable::new(RequestIds::new());
        t.insert(5, Some(t0 + Duration::from_secs(2)), 'x');
        t.insert(3, Some(t0 + Duration::from_secs(2)), 'y');
        t.insert(9, Some(t0 + Duration::from_secs(1)), 'z');
        t.insert(7, Some(t0 + Duration::from_secs(3)), 'w');
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(1)));
        let ended = t.expire(t0 + Duration::from_secs(2));
        assert_eq!(ended, vec![(9, 'z'), (3, 'y'), (5, 'x')]);
        assert_eq!(t.answer(3), Answer::Late);
        assert_eq!(t.answer(3), Answer::Unmatched, "late once");
        assert_eq!(t.answer(4), Answer::Unmatched);
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(3)));
        assert_eq!(t.take_all(), vec![(7, 'w')]);
        assert!(t.is_empty());
        assert_eq!(
            t.answer(5),
            Answer::Unmatched,
            "forgotten with the connection"
        );
    }

    #[test]
    fn only_the_last_timeouts_are_remembered() {
        let t0 = Instant::now();
        let mut t = RequestTable::new(RequestIds::new());
        for id in 1..=(RECENT_TIMEOUTS as u32 + 1) {
            t.insert(id, Some(t0), ());
        }
        assert_eq!(t.expire(t0).len(), RECENT_TIMEOUTS + 1);
        assert_eq!(t.answer(1), Answer::Unmatched, "forgotten");
        assert_eq!(t.answer(2), Answer::Late);
    }
}
