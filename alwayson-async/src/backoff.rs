//! Reconnect policy: exponential backoff with jitter.

use rand::Rng;
use std::time::Duration;

/// How an [`crate::EdgeClient`] reconnects after losing its connection (and how it retries
/// the first connect).
///
/// Delay before attempt *n* (n ≥ 1 after a failure) is `min(max, min × 2ⁿ⁻¹)`, with "full
/// jitter" on its upper half: a uniformly random value in `[d/2, d]`, so a fleet of edges
/// does not reconnect in lock-step after a platform restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconnect {
    /// Smallest delay. Default 100 ms.
    pub min: Duration,
    /// Largest delay. Default 30 s.
    pub max: Duration,
    /// Give up after this many consecutive failed attempts; `None` (default) retries forever.
    pub max_attempts: Option<u32>,
}

impl Default for Reconnect {
    fn default() -> Self {
        Self {
            min: Duration::from_millis(100),
            max: Duration::from_secs(30),
            max_attempts: None,
        }
    }
}

impl Reconnect {
    /// Never reconnect: the first failure is final.
    pub fn never() -> Self {
        Self {
            max_attempts: Some(1),
            ..Self::default()
        }
    }
}

/// Backoff state: consecutive failures so far.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    policy: Reconnect,
    failures: u32,
}

impl Backoff {
    pub(crate) fn new(policy: Reconnect) -> Self {
        Self {
            policy,
            failures: 0,
        }
    }

    /// Forget failures (after a successful AUTH).
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// Records a failure; `None` when the policy says give up.
    pub(crate) fn next_delay(&mut self) -> Option<Duration> {
        self.failures = self.failures.saturating_add(1);
        if let Some(max) = self.policy.max_attempts {
            if self.failures >= max {
                return None;
            }
        }
        Some(self.delay_for(self.failures))
    }

    fn delay_for(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let base = self
            .policy
            .min
            .saturating_mul(1u32 << exp)
            .min(self.policy.max)
            .max(self.policy.min.min(self.policy.max));
        let lo = base / 2;
        if base.is_zero() {
            return base;
        }
        rand::thread_rng().gen_range(lo..=base)
    }

    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_bounds_and_gives_up() {
        let mut b = Backoff::new(Reconnect {
            min: Duration::from_millis(100),
            max: Duration::from_secs(1),
            max_attempts: Some(6),
        });
        let mut prev_cap = Duration::ZERO;
        for n in 1..6 {
            let d = b.next_delay().expect("within attempts");
            let cap = Duration::from_millis(100 * (1 << (n - 1))).min(Duration::from_secs(1));
            assert!(
                d <= cap && d >= cap / 2,
                "attempt {n}: {d:?} vs cap {cap:?}"
            );
            assert!(cap >= prev_cap);
            prev_cap = cap;
        }
        assert_eq!(b.next_delay(), None);
        b.reset();
        assert!(b.next_delay().expect("after reset") <= Duration::from_millis(100));
    }
}
