//! The duty cycle: an edge on a metered or battery-powered link is connected for `duty`%
//! of every `period` and disconnected for the rest.
//!
//! [`DutyCycle`] is the arithmetic (given the start of the first period and `now`, which
//! phase it is and when the next one starts). The session applies it when
//! [`EdgeConfig::duty_cycle`](super::EdgeConfig::duty_cycle) is set (off by default): the
//! first period starts with the session's first input (the first connect); at the start of
//! each off time an authenticated session UNBINDs every thing and closes the websocket
//! (code 1000, reason [`CLOSE_REASON_DUTY_CYCLE`]; [`EdgeEvent::Disconnected`] with
//! [`DisconnectReason::DutyCycleOff`], not counted as a failure by the reconnect policy),
//! and [`EdgeSession::reconnect`](super::EdgeSession::reconnect) answers the start of the
//! next on time; after AUTH every registered thing is bound again. A reconnect delay that
//! would end inside an off time is moved to the start of the next on time.
//!
//! Requests in flight at the start of an off time end with
//! [`RequestError::Disconnected`](crate::RequestError::Disconnected), as with any lost
//! connection; requests made during the off time wait in the session's queue until their
//! deadline. Values that must survive a long off time go through an offline store (the
//! runtime crates keep pushes in one while a duty cycle is set).
//!
//! [`EdgeEvent::Disconnected`]: super::EdgeEvent::Disconnected
//! [`DisconnectReason::DutyCycleOff`]: super::DisconnectReason::DutyCycleOff

use super::bindings::UnbindMode;
use super::session::EdgeTimer;
use super::{DisconnectReason, EdgeSession};
use crate::{Transmit, CLOSE_NORMAL};
use std::time::{Duration, Instant};

/// Close reason sent at the start of an off time.
pub const CLOSE_REASON_DUTY_CYCLE: &str = "Duty cycle: off time";

/// Connected for a share of every period.
///
/// ```
/// use alwayson_proto::edge::{DutyCycle, DutyPhase};
/// use std::time::{Duration, Instant};
/// let cycle = DutyCycle::new(Duration::from_secs(60), 25)?; // 15 s on, 45 s off
/// let start = Instant::now();
/// let s = Duration::from_secs;
/// assert_eq!(cycle.phase(start, start + s(10)), DutyPhase::On { off_at: Some(start + s(15)) });
/// assert_eq!(cycle.phase(start, start + s(15)), DutyPhase::Off { on_at: Some(start + s(60)) });
/// assert_eq!(cycle.phase(start, start + s(150)), DutyPhase::Off { on_at: Some(start + s(180)) });
/// # Ok::<(), alwayson_proto::edge::DutyCycleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DutyCycle {
    period: Duration,
    on: Duration,
}

/// A duty cycle that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DutyCycleError {
    /// The percentage is not 1 to 99 (100 % is no duty cycle at all).
    #[error("duty cycle {0} % is not between 1 and 99")]
    Percent(u8),
    /// The on time or the off time would be zero.
    #[error("duty cycle period {0:?} is too short to split into an on and an off time")]
    Period(Duration),
}

/// Where a [`DutyCycle`] is at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DutyPhase {
    /// Connected time; the off time starts at `off_at` (`None`: past what an `Instant`
    /// can hold).
    On {
        /// Start of the next off time.
        off_at: Option<Instant>,
    },
    /// Disconnected time; the next on time starts at `on_at`.
    Off {
        /// Start of the next on time.
        on_at: Option<Instant>,
    },
}

impl DutyCycle {
    /// Connected for `percent` % (1 to 99) of every `period`, on time first.
    pub fn new(period: Duration, percent: u8) -> Result<Self, DutyCycleError> {
        if !(1..=99).contains(&percent) {
            return Err(DutyCycleError::Percent(percent));
        }
        let nanos = period.as_nanos() * u128::from(percent) / 100;
        let on = Duration::new(
            u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
            (nanos % 1_000_000_000) as u32,
        );
        if on.is_zero() || on >= period {
            return Err(DutyCycleError::Period(period));
        }
        Ok(Self { period, on })
    }

    /// The whole period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The connected part of each period.
    pub fn on_time(&self) -> Duration {
        self.on
    }

    /// The disconnected part of each period.
    pub fn off_time(&self) -> Duration {
        self.period - self.on
    }

    /// The phase at `now` of a cycle whose first period started at `start` (a `now`
    /// before `start` counts as `start`).
    pub fn phase(&self, start: Instant, now: Instant) -> DutyPhase {
        let elapsed = now.saturating_duration_since(start).as_nanos();
        let period = self.period.as_nanos();
        let periods = elapsed / period;
        let into = elapsed % period;
        let at = |nanos: u128| {
            let d = Duration::new(
                u64::try_from(nanos / 1_000_000_000).ok()?,
                (nanos % 1_000_000_000) as u32,
            );
            start.checked_add(d)
        };
        let period_start = periods * period;
        if into < self.on.as_nanos() {
            DutyPhase::On {
                off_at: at(period_start + self.on.as_nanos()),
            }
        } else {
            DutyPhase::Off {
                on_at: at(period_start + period),
            }
        }
    }
}

/// The session's duty-cycle state (the current connection's off time is
/// [`EdgeTimer::DutyOff`]).
#[derive(Debug, Default)]
pub(super) struct DutyState {
    /// Start of the first period: the session's first input.
    start: Option<Instant>,
}

impl EdgeSession {
    /// Starts the first period at the first input.
    pub(super) fn duty_observe(&mut self, now: Instant) {
        if self.config.duty_cycle.is_some() && self.duty.start.is_none() {
            self.duty.start = Some(now);
        }
    }

    fn duty_phase(&self, at: Instant) -> Option<DutyPhase> {
        Some(self.config.duty_cycle?.phase(self.duty.start?, at))
    }

    /// A websocket opened at `now`: when its off time starts (at once inside an off time).
    pub(super) fn duty_connected(&mut self, now: Instant) {
        self.duty_observe(now);
        let off_at = match self.duty_phase(now) {
            Some(DutyPhase::On { off_at }) => off_at,
            Some(DutyPhase::Off { .. }) => Some(now),
            None => None,
        };
        self.timers.set(EdgeTimer::DutyOff, off_at);
    }

    /// At the start of an off time: UNBIND everything (when authenticated) and close.
    /// Returns whether it did.
    pub(super) fn duty_off_if_due(&mut self, now: Instant) -> bool {
        if !self.timers.take_due(EdgeTimer::DutyOff, now) {
            return false;
        }
        let Some(session_id) = self.conn.as_ref().and_then(|c| c.live_session_id()) else {
            return self.duty_close();
        };
        let names = self.registered.clone();
        self.send_unbinds(now, session_id, names, UnbindMode::Untracked);
        self.duty_close()
    }

    fn duty_close(&mut self) -> bool {
        let Some(conn) = self.conn.as_mut().filter(|c| c.closing.is_none()) else {
            return false;
        };
        conn.auth = None;
        conn.closing = Some(DisconnectReason::DutyCycleOff);
        self.stop_connection_timers();
        self.transmits.push_back(Transmit::Close {
            code: CLOSE_NORMAL,
            reason: CLOSE_REASON_DUTY_CYCLE.to_owned(),
        });
        true
    }

    /// `at`, or the start of the next on time when `at` falls in an off time.
    pub(super) fn duty_gate(&self, at: Instant) -> Option<Instant> {
        match self.duty_phase(at) {
            Some(DutyPhase::Off { on_at }) => on_at,
            _ => Some(at),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn phases_repeat_every_period() {
        let c = DutyCycle::new(10 * S, 30).unwrap();
        assert_eq!(
            (c.on_time(), c.off_time(), c.period()),
            (3 * S, 7 * S, 10 * S)
        );
        let t0 = Instant::now();
        for k in 0..5u32 {
            let p = t0 + 10 * S * k;
            assert_eq!(
                c.phase(t0, p),
                DutyPhase::On {
                    off_at: Some(p + 3 * S)
                }
            );
            let just_before = p + 3 * S - Duration::from_nanos(1);
            assert_eq!(
                c.phase(t0, just_before),
                DutyPhase::On {
                    off_at: Some(p + 3 * S)
                }
            );
            assert_eq!(
                c.phase(t0, p + 3 * S),
                DutyPhase::Off {
                    on_at: Some(p + 10 * S)
                }
            );
            assert_eq!(
                c.phase(t0, p + 9 * S),
                DutyPhase::Off {
                    on_at: Some(p + 10 * S)
                }
            );
        }
        // Before the start: the first on time.
        assert_eq!(
            c.phase(t0 + S, t0),
            DutyPhase::On {
                off_at: Some(t0 + 4 * S)
            }
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(DutyCycle::new(S, 0), Err(DutyCycleError::Percent(0)));
        assert_eq!(DutyCycle::new(S, 100), Err(DutyCycleError::Percent(100)));
        assert_eq!(
            DutyCycle::new(Duration::from_nanos(1), 50),
            Err(DutyCycleError::Period(Duration::from_nanos(1)))
        );
        assert_eq!(
            DutyCycle::new(Duration::ZERO, 50),
            Err(DutyCycleError::Period(Duration::ZERO))
        );
        let huge = DutyCycle::new(Duration::MAX, 50).unwrap();
        let t0 = Instant::now();
        assert!(matches!(huge.phase(t0, t0), DutyPhase::On { .. }));
    }
}
