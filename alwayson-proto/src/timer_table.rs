//! [`TimerTable`]: a session's named deadlines, for both sessions (quinn-proto's
//! `TimerTable` is the model).
//!
//! Each session names its timers with a small enum (the edge: AUTH, ping, pong, close,
//! duty-cycle off, and the earliest queued-request expiry and BIND/UNBIND retry; the
//! platform: auth, idle); [`TimerTable::next`] is the earliest of them, which the session
//! combines with its request table's deadlines and the multipart expiry for
//! `poll_output`'s `Timeout`. A deadline `now + duration` that is not representable is
//! "never" (`None`), never an overflow.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

/// A session's timer names: `N` of them, numbered `0..N`.
pub(crate) trait Timer: Copy {
    /// The timer's slot, below the table's `N`.
    fn index(self) -> usize;
}

/// Named deadlines, at most one per timer.
#[derive(Debug, Clone)]
pub(crate) struct TimerTable<K, const N: usize> {
    at: [Option<Instant>; N],
    names: PhantomData<K>,
}

impl<K: Timer, const N: usize> Default for TimerTable<K, N> {
    fn default() -> Self {
        Self {
            at: [None; N],
            names: PhantomData,
        }
    }
}

impl<K: Timer, const N: usize> TimerTable<K, N> {
    /// Sets `timer` to fire at `at` (`None`: never).
    pub(crate) fn set(&mut self, timer: K, at: Option<Instant>) {
        self.at[timer.index()] = at;
    }

    /// Sets `timer` to fire `after` from `now` ("never" when not representable).
    pub(crate) fn set_after(&mut self, timer: K, now: Instant, after: Duration) {
        self.set(timer, now.checked_add(after));
    }

    /// Stops `timer`.
    pub(crate) fn stop(&mut self, timer: K) {
        self.set(timer, None);
    }

    /// When `timer` fires (`None`: not running).
    pub(crate) fn get(&self, timer: K) -> Option<Instant> {
        self.at[timer.index()]
    }

    /// Whether `timer` is due at `now`.
    pub(crate) fn is_due(&self, timer: K, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// If `timer` is due at `now`, stops it and returns true.
    pub(crate) fn take_due(&mut self, timer: K, now: Instant) -> bool {
        let due = self.is_due(timer, now);
        if due {
            self.stop(timer);
        }
        due
    }

    /// The earliest running timer.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy)]
    enum T {
        A,
        B,
    }

    impl Timer for T {
        fn index(self) -> usize {
            self as usize
        }
    }

    #[test]
    fn next_is_the_earliest_running_timer_and_due_timers_are_taken_once() {
        let t0 = Instant::now();
        let mut timers = TimerTable::<T, 2>::default();
        assert_eq!(timers.next(), None);
        timers.set_after(T::A, t0, Duration::from_secs(5));
        timers.set_after(T::B, t0, Duration::from_secs(3));
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(3)));
        assert!(!timers.take_due(T::B, t0 + Duration::from_secs(2)));
        assert!(timers.take_due(T::B, t0 + Duration::from_secs(3)));
        assert!(!timers.take_due(T::B, t0 + Duration::from_secs(3)));
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(5)));
        timers.stop(T::A);
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn an_unrepresentable_deadline_is_never() {
        let mut timers = TimerTable::<T, 2>::default();
        timers.set_after(T::A, Instant::now(), Duration::MAX);
        assert_eq!(timers.get(T::A), None);
        assert_eq!(timers.next(), None);
    }
}
