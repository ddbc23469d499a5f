//! The reconnect policy: exponential backoff with jitter, the random draw passed in.

use super::{AuthFailure, EdgeEvent};
use std::time::{Duration, Instant};

/// How an edge reconnects after losing its connection (and retries a failed connect).
///
/// The delay before the next attempt after *n* consecutive failures (n ≥ 1) is
/// `d = min(max, min × 2ⁿ⁻¹)` with jitter on its upper half: a value in `[d/2, d]` chosen
/// by the random draw the runtime passes to [`EdgeSession::reconnect`], so a fleet of edges
/// does not reconnect in lock-step after a platform restart.
///
/// What counts as a failure: a connect attempt that failed ([`Input::ConnectFailed`]), and a
/// connection that ended ([`Input::Closed`]) — also one that authenticated. What resets
/// the count: a connection that stayed authenticated for [`stable_period`](Self::stable_period)
/// (the reconnect after losing it is the first failure again, within `[min/2, min]`);
/// never an AUTH success alone, so a platform that closes every connection right after AUTH
/// or BIND sees the delays grow to `max`. An AUTH refused on the very
/// first connect (never authenticated) is final: the credentials are wrong, retrying would
/// only hammer the platform. An AUTH refused later (credentials revoked while the edge was
/// away, a platform that is still starting) is retried like any failure.
///
/// [`EdgeSession::reconnect`]: super::EdgeSession::reconnect
/// [`Input::ConnectFailed`]: crate::Input::ConnectFailed
/// [`Input::Closed`]: crate::Input::Closed
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconnectPolicy {
    /// Smallest delay. Default 100 ms.
    pub min: Duration,
    /// Largest delay. Default 30 s.
    pub max: Duration,
    /// Give up after this many consecutive failures; `None` (default) retries forever.
    pub max_attempts: Option<u32>,
    /// How long a connection must stay authenticated before its loss starts the delays
    /// over. Default 30 s.
    pub stable_period: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            min: Duration::from_millis(100),
            max: Duration::from_secs(30),
            max_attempts: None,
            stable_period: Duration::from_secs(30),
        }
    }
}

impl ReconnectPolicy {
    /// Delays between `min` and `max`, retrying forever.
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            ..Self::default()
        }
    }

    /// Never reconnect: the first failure is final.
    pub fn never() -> Self {
        Self::default().with_max_attempts(Some(1))
    }

    /// Gives up after `attempts` consecutive failures (`None`: never gives up).
    pub fn with_max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets [`stable_period`](Self::stable_period).
    pub fn with_stable_period(mut self, period: Duration) -> Self {
        self.stable_period = period;
        self
    }

    /// The capped exponential delay after `failures` consecutive failures, before jitter.
    pub fn base_delay(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(31);
        let floor = self.min.min(self.max);
        self.min
            .saturating_mul(1u32 << exp)
            .min(self.max)
            .max(floor)
    }

    /// The delay after `failures` consecutive failures with jitter from `draw` (any `u64`,
    /// uniformly random for uniform jitter): in `[d/2, d]` for `d = base_delay(failures)`.
    pub fn delay(&self, failures: u32, draw: u64) -> Duration {
        let base = self.base_delay(failures);
        let lo = base / 2;
        let span = (base - lo).as_nanos();
        // `span + 1` never overflows: span ≤ Duration::MAX / 2 in nanoseconds < u128::MAX.
        let offset = u128::from(draw) % (span + 1);
        // offset ≤ span ≤ u64::MAX seconds worth of nanoseconds / 2: fits in a Duration.
        let secs = (offset / 1_000_000_000) as u64;
        let nanos = (offset % 1_000_000_000) as u32;
        lo.saturating_add(Duration::new(secs, nanos))
    }

    /// Whether `failures` consecutive failures exhaust the attempts.
    pub fn exhausted(&self, failures: u32) -> bool {
        self.max_attempts.is_some_and(|max| failures >= max)
    }
}

/// The answer to "when do I reconnect" ([`EdgeSession::reconnect`](super::EdgeSession::reconnect)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reconnect {
    /// A websocket is open (or being closed by the session): nothing to do until
    /// [`EdgeEvent::Disconnected`](super::EdgeEvent::Disconnected).
    Connected,
    /// Open a websocket at this time (now or later), then report
    /// [`Input::Connected`](crate::Input::Connected) or
    /// [`Input::ConnectFailed`](crate::Input::ConnectFailed).
    At(Instant),
    /// Do not reconnect: the session is closed for good.
    GiveUp(GiveUp),
}

/// Why an edge stopped reconnecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUp {
    /// The platform refused AUTH on the first connect: the credentials are wrong.
    AuthRefused(AuthFailure),
    /// [`ReconnectPolicy::max_attempts`] consecutive failures.
    Attempts(u32),
    /// The application closed the session.
    Closed,
}

impl super::EdgeSession {
    /// A connect attempt failed: counts for the reconnect policy (and may exhaust it).
    /// Ignored while connected or once closed.
    pub(super) fn handle_connect_failed(&mut self) {
        if self.conn.is_some() || self.closed || self.app_closing {
            return;
        }
        self.failures = self.failures.saturating_add(1);
        self.give_up_if_exhausted();
    }

    pub(super) fn give_up_if_exhausted(&mut self) {
        if self.config.reconnect.exhausted(self.failures) {
            self.give_up(GiveUp::Attempts(self.failures));
        }
    }

    /// Stops reconnecting: closed for good (queued requests come back as `Unsent`).
    pub(super) fn give_up(&mut self, why: GiveUp) {
        if self.closed {
            return;
        }
        self.gave_up = Some(why);
        self.hand_back_queue();
        self.closed = true;
        self.events.push_back(EdgeEvent::Closed);
    }

    /// When the runtime should open the next websocket, after
    /// [`EdgeEvent::Disconnected`] or [`Input::ConnectFailed`](crate::Input::ConnectFailed) (and before the first
    /// connect, which is due at once; with a duty cycle never inside an off time). `draw`
    /// is a random number for the jitter (see
    /// [`ReconnectPolicy`](super::ReconnectPolicy) for the delays, what counts as a failure
    /// and what resets the count); ask once per failure, each call draws anew.
    pub fn reconnect(&self, now: Instant, draw: u64) -> Reconnect {
        if let Some(why) = self.gave_up {
            return Reconnect::GiveUp(why);
        }
        if self.closed || self.app_closing {
            return Reconnect::GiveUp(GiveUp::Closed);
        }
        if self.conn.is_some() {
            return Reconnect::Connected;
        }
        let delay = if self.failures == 0 {
            Duration::ZERO
        } else {
            self.config.reconnect.delay(self.failures, draw)
        };
        // Inside a duty cycle's off time: at the start of the next on time.
        match now.checked_add(delay).and_then(|at| self.duty_gate(at)) {
            Some(at) => Reconnect::At(at),
            // A delay past the end of time: never again.
            None => Reconnect::GiveUp(GiveUp::Attempts(self.failures)),
        }
    }

    /// Consecutive failures (connect attempts and connections) since the last connection
    /// that stayed authenticated for the stable period.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn delays_double_to_the_cap_with_jitter_on_the_upper_half() {
        let p = ReconnectPolicy::new(100 * MS, 1000 * MS);
        let bases: Vec<_> = (1..=6).map(|n| p.base_delay(n)).collect();
        assert_eq!(
            bases,
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]
        );
        for n in 1..=6 {
            let d = p.base_delay(n);
            assert_eq!(p.delay(n, 0), d / 2, "draw 0: the lower bound");
            assert_eq!(
                p.delay(n, u64::MAX),
                p.delay(n, u64::MAX % ((d / 2).as_nanos() as u64 + 1))
            );
            for draw in [1, 7, 123_456_789, u64::MAX / 3] {
                let j = p.delay(n, draw);
                assert!(
                    j >= d / 2 && j <= d,
                    "{n} {draw}: {j:?} outside [{:?}, {d:?}]",
                    d / 2
                );
            }
        }
        // The upper bound is reachable: draw = span.
        let span = (p.base_delay(1) - p.base_delay(1) / 2).as_nanos() as u64;
        assert_eq!(p.delay(1, span), p.base_delay(1));
    }

    #[test]
    fn extreme_settings_do_not_overflow() {
        let p = ReconnectPolicy::new(Duration::MAX, Duration::MAX);
        assert_eq!(p.base_delay(u32::MAX), Duration::MAX);
        assert!(p.delay(40, u64::MAX) >= Duration::MAX / 2);
        let zero = ReconnectPolicy::new(Duration::ZERO, Duration::ZERO);
        assert_eq!(zero.delay(3, 99), Duration::ZERO);
        // min above max: the cap wins.
        let inverted = ReconnectPolicy::new(5 * MS, 2 * MS);
        assert_eq!(inverted.base_delay(1), 2 * MS);
    }

    #[test]
    fn attempts_run_out_only_when_limited() {
        assert!(!ReconnectPolicy::default().exhausted(u32::MAX));
        assert!(ReconnectPolicy::never().exhausted(1));
        let p = ReconnectPolicy::default().with_max_attempts(Some(3));
        assert!(!p.exhausted(2));
        assert!(p.exhausted(3));
    }
}
