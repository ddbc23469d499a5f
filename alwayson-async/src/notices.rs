//! [`Notices`]: what an edge or a platform reports, as a `futures::Stream` per subscriber.

use futures_channel::mpsc;
use futures_util::Stream;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// Notices a subscriber has not read yet, at most; further ones are dropped for it (a
/// slow subscriber cannot make its publisher grow without bound).
const BACKLOG: usize = 1024;

/// A subscription to notices ([`crate::EdgeClient::events`], [`crate::Platform::events`]):
/// a `Stream` of every notice published after it was made. It ends when the publisher is
/// gone. A subscriber that falls more than 1024 notices behind misses the newer ones.
#[derive(Debug)]
pub struct Notices<T> {
    rx: mpsc::Receiver<T>,
}

impl<T> Notices<T> {
    /// Waits for the next notice (`None` once the publisher is gone): `StreamExt::next`
    /// without the import.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| Pin::new(&mut self.rx).poll_next(cx)).await
    }

    /// The next notice already published, without waiting (`None` when there is none now).
    pub fn try_next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Stream for Notices<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

/// The publishing side: one bounded queue per subscriber.
#[derive(Debug)]
pub(crate) struct Publisher<T> {
    subscribers: Arc<Mutex<Vec<mpsc::Sender<T>>>>,
}

impl<T> Clone for Publisher<T> {
    fn clone(&self) -> Self {
        Self {
            subscribers: self.subscribers.clone(),
        }
    }
}

impl<T: Clone> Publisher<T> {
    pub(crate) fn new() -> Self {
        Self {
            subscribers: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub(crate) fn subscribe(&self) -> Notices<T> {
        let (tx, rx) = mpsc::channel(BACKLOG);
        self.lock().push(tx);
        Notices { rx }
    }

    /// Sends `notice` to every subscriber; forgets those that are gone.
    pub(crate) fn publish(&self, notice: T) {
        let mut subs = self.lock();
        if subs.is_empty() {
            return;
        }
        subs.retain_mut(|tx| match tx.try_send(notice.clone()) {
            Ok(()) => true,
            Err(e) if e.is_full() => {
                tracing::debug!("a notice subscriber is behind; notice dropped for it");
                true
            }
            Err(_) => false,
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<mpsc::Sender<T>>> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }
}
