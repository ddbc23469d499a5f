//! The reconnect settings of an [`crate::EdgeClient`]. The policy itself (exponential
//! backoff with jitter, when it resets, when it gives up) is alwayson-proto's
//! [`ReconnectPolicy`]; the runtime only draws the random number for the jitter.

use alwayson_proto::edge::ReconnectPolicy;
use std::time::Duration;

/// How an [`crate::EdgeClient`] reconnects after losing its connection (and how it retries
/// the first connect): see [`ReconnectPolicy`] for the delays (`min × 2ⁿ⁻¹` capped at
/// `max`, jitter on the upper half), what resets them (a connection that stayed
/// authenticated for the stable period, 30 s) and what is final
/// (an AUTH refused on the first connect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
        let policy = ReconnectPolicy::default();
        Self {
            min: policy.min,
            max: policy.max,
            max_attempts: policy.max_attempts,
        }
    }
}

impl Reconnect {
    /// Delays from `min` doubling up to `max`, retrying forever (see
    /// [`with_max_attempts`](Self::with_max_attempts)).
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            max_attempts: None,
        }
    }

    /// This policy giving up after `max_attempts` consecutive failed attempts (`None`:
    /// never).
    pub fn with_max_attempts(mut self, max_attempts: Option<u32>) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Never reconnect: the first failure is final.
    pub fn never() -> Self {
        Self {
            max_attempts: Some(1),
            ..Self::default()
        }
    }
}

impl From<Reconnect> for ReconnectPolicy {
    fn from(r: Reconnect) -> Self {
        ReconnectPolicy::new(r.min, r.max).with_max_attempts(r.max_attempts)
    }
}
