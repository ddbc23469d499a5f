//! [`Notices`]: what an edge or a platform reports, as a `futures::Stream` per subscriber.
//!
//! Each subscriber has its own bounded queue, so a slow one cannot make its publisher grow
//! without bound nor hold the others back. A notice that finds the queue full is dropped
//! for that subscriber, never silently: the count of dropped notices comes through the
//! stream as one lag notice (`EdgeNotice::Lagged` / `PlatformNotice::Lagged`, like tokio
//! broadcast's `Lagged(n)`) at the place of the gap: before the next notice that gets
//! through, or as soon as the subscriber has read everything queued before the gap.

use futures_channel::mpsc;
use futures_util::Stream;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// Notices a subscriber has not read yet, at most; further ones are counted and reported
/// as one lag notice.
pub(crate) const BACKLOG: usize = 1024;

/// A subscription to notices ([`crate::EdgeClient::events`], [`crate::Platform::events`]):
/// a `Stream` of every notice published after it was made. It ends when the publisher is
/// gone. A subscriber that falls more than 1024 notices behind misses the newer ones and
/// gets a `Lagged { missed }` notice with their count in their place.
#[derive(Debug)]
pub struct Notices<T> {
    rx: mpsc::Receiver<T>,
    /// Notices dropped for this subscriber and not reported yet.
    missed: Arc<AtomicU64>,
    /// Makes the lag notice of `n` missed notices.
    lagged: fn(u64) -> T,
}

impl<T> Notices<T> {
    /// Waits for the next notice (`None` once the publisher is gone): `StreamExt::next`
    /// without the import.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The next notice already published, without waiting (`None` when there is none now).
    pub fn try_next(&mut self) -> Option<T> {
        match self.rx.try_recv() {
            Ok(notice) => Some(notice),
            Err(_) => self.take_lag(),
        }
    }

    /// The lag notice for what was dropped since the queue was last read empty, if any.
    fn take_lag(&mut self) -> Option<T> {
        match self.missed.swap(0, Ordering::AcqRel) {
            0 => None,
            n => Some((self.lagged)(n)),
        }
    }
}

impl<T> Stream for Notices<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match Pin::new(&mut self.rx).poll_next(cx) {
            Poll::Ready(Some(notice)) => Poll::Ready(Some(notice)),
            // Everything queued before the gap is read: the gap comes next.
            Poll::Pending => match self.take_lag() {
                Some(lag) => Poll::Ready(Some(lag)),
                None => Poll::Pending,
            },
            Poll::Ready(None) => Poll::Ready(self.take_lag()),
        }
    }
}

/// One subscriber as the publisher sees it.
#[derive(Debug)]
struct Subscriber<T> {
    tx: mpsc::Sender<T>,
    missed: Arc<AtomicU64>,
}

/// The publishing side: one bounded queue per subscriber.
#[derive(Debug)]
pub(crate) struct Publisher<T> {
    subscribers: Arc<Mutex<Vec<Subscriber<T>>>>,
    lagged: fn(u64) -> T,
}

impl<T> Clone for Publisher<T> {
    fn clone(&self) -> Self {
        Self {
            subscribers: self.subscribers.clone(),
            lagged: self.lagged,
        }
    }
}

impl<T: Clone> Publisher<T> {
    /// A publisher whose subscribers learn of `n` dropped notices from `lagged(n)`.
    pub(crate) fn new(lagged: fn(u64) -> T) -> Self {
        Self {
            subscribers: Arc::new(Mutex::new(Vec::new())),
            lagged,
        }
    }

    pub(crate) fn subscribe(&self) -> Notices<T> {
        let (tx, rx) = mpsc::channel(BACKLOG);
        let missed = Arc::new(AtomicU64::new(0));
        self.lock().push(Subscriber {
            tx,
            missed: missed.clone(),
        });
        Notices {
            rx,
            missed,
            lagged: self.lagged,
        }
    }

    /// Sends `notice` to every subscriber (after the lag notice of what it missed, if
    /// any); counts it as missed for those whose queue is full; forgets those that are
    /// gone.
    pub(crate) fn publish(&self, notice: T) {
        let mut subs = self.lock();
        if subs.is_empty() {
            return;
        }
        let lagged = self.lagged;
        subs.retain_mut(|sub| {
            let missed = sub.missed.swap(0, Ordering::AcqRel);
            if missed > 0 {
                match sub.tx.try_send(lagged(missed)) {
                    Ok(()) => {}
                    Err(e) if e.is_full() => {
                        sub.missed.fetch_add(missed + 1, Ordering::AcqRel);
                        return true;
                    }
                    Err(_) => return false,
                }
            }
            match sub.tx.try_send(notice.clone()) {
                Ok(()) => true,
                Err(e) if e.is_full() => {
                    if sub.missed.fetch_add(1, Ordering::AcqRel) == 0 {
                        tracing::debug!("a notice subscriber is behind; notices counted as missed");
                    }
                    true
                }
                Err(_) => false,
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber<T>>> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum N {
        Seq(usize),
        Lagged(u64),
    }

    fn drain(n: &mut Notices<N>) -> Vec<N> {
        std::iter::from_fn(|| n.try_next()).collect()
    }

    #[test]
    fn a_subscriber_behind_gets_the_count_of_missed_notices_in_their_place() {
        let p = Publisher::new(N::Lagged);
        let mut slow = p.subscribe();
        let mut fast = p.subscribe();
        // The queue holds BACKLOG (+1 per sender, futures' mpsc); 10 more are dropped.
        let held = BACKLOG + 1;
        for i in 0..held + 10 {
            p.publish(N::Seq(i));
            if i % 100 == 0 {
                assert_eq!(drain(&mut fast).len(), if i == 0 { 1 } else { 100 });
            }
        }
        let got = drain(&mut slow);
        assert_eq!(got.len(), held + 1);
        assert_eq!(got[..held], (0..held).map(N::Seq).collect::<Vec<_>>()[..]);
        assert_eq!(got[held], N::Lagged(10), "reported once the queue is read");
        assert!(drain(&mut slow).is_empty());
        p.publish(N::Seq(7_000));
        assert_eq!(drain(&mut slow), vec![N::Seq(7_000)]);
    }

    #[test]
    fn the_lag_notice_precedes_the_next_notice_that_gets_through() {
        let p = Publisher::new(N::Lagged);
        let mut slow = p.subscribe();
        let held = BACKLOG + 1;
        for i in 0..held + 3 {
            p.publish(N::Seq(i));
        }
        // Read one: room for the lag notice but not for it and the next notice.
        assert_eq!(slow.try_next(), Some(N::Seq(0)));
        p.publish(N::Seq(9_000));
        let got = drain(&mut slow);
        assert_eq!(got.len(), held + 1);
        assert_eq!(got[held - 2], N::Seq(held - 1));
        assert_eq!(
            got[held - 1],
            N::Lagged(3),
            "the 3 dropped before Seq(9000)"
        );
        assert_eq!(got[held], N::Lagged(1), "Seq(9000) itself");
        // A gap reported while the queue is full comes before the next notice.
        for i in 0..held + 2 {
            p.publish(N::Seq(i));
        }
        assert_eq!(slow.try_next(), Some(N::Seq(0)));
        assert_eq!(slow.try_next(), Some(N::Seq(1)));
        p.publish(N::Seq(9_001));
        let got = drain(&mut slow);
        assert_eq!(got[held - 2..], [N::Lagged(2), N::Seq(9_001)]);
    }
}
