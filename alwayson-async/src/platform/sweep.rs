//! The registry's periodic sweep: unbound things are forgotten by age
//! ([`Retention::forget_after`](alwayson_proto::platform::Retention)) even when no BIND,
//! UNBIND or disconnect touches the registry, so a platform that goes quiet after a burst of
//! names still lets them go.

use super::Shared;
use crate::runtime::{deadline_after, sleep_until, Runtime};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often the sweep runs: a quarter of the retention age, between 10 ms and 60 s (a
/// thing is forgotten at most that much later than its age allows).
fn period(forget_after: Duration) -> Duration {
    (forget_after / 4).clamp(Duration::from_millis(10), Duration::from_secs(60))
}

/// Runs until the platform shuts down; returns at once when things are never forgotten by age.
pub(crate) async fn sweep_loop<R: Runtime>(shared: Arc<Shared>) {
    use futures_util::future::{select, Either};
    let Some(forget_after) = shared.registry.retention().forget_after else {
        return;
    };
    let period = period(forget_after);
    loop {
        let tick = std::pin::pin!(sleep_until::<R>(deadline_after(period)));
        let stop = std::pin::pin!(shared.shutdown.wait_for(|stop| *stop));
        match select(tick, stop).await {
            Either::Left(_) => {
                let forgotten = shared.registry.forget_expired(SystemTime::now());
                if forgotten > 0 {
                    tracing::debug!(forgotten, "registry: unbound things forgotten by age");
                }
            }
            Either::Right(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::period;
    use std::time::Duration;

    #[test]
    fn the_period_is_a_quarter_of_the_age_within_bounds() {
        assert_eq!(
            period(Duration::from_secs(24 * 3600)),
            Duration::from_secs(60)
        );
        assert_eq!(period(Duration::from_secs(8)), Duration::from_secs(2));
        assert_eq!(period(Duration::ZERO), Duration::from_millis(10));
    }
}
