//! [`Watch`]: a value that changes over time, readable at once and awaitable, on any
//! executor.

use event_listener::Event;
use std::sync::{Arc, Mutex};

/// A shared value (such as an edge's [`crate::ConnectionState`]) that can be read now
/// ([`Watch::get`]) or awaited ([`Watch::wait_for`]). Cheap to clone; clones observe the
/// same value. Only this crate changes it.
#[derive(Debug)]
pub struct Watch<T> {
    inner: Arc<Inner<T>>,
}

#[derive(Debug)]
struct Inner<T> {
    value: Mutex<T>,
    changed: Event,
}

impl<T> Clone for Watch<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Clone> Watch<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            inner: Arc::new(Inner {
                value: Mutex::new(value),
                changed: Event::new(),
            }),
        }
    }

    /// The current value.
    pub fn get(&self) -> T {
        self.lock().clone()
    }

    /// Resolves with the value once `pred` holds for it (at once if it already does).
    pub async fn wait_for(&self, mut pred: impl FnMut(&T) -> bool) -> T {
        loop {
            // Listen before checking, so a change between the check and the wait is seen.
            let listener = self.inner.changed.listen();
            {
                let value = self.lock();
                if pred(&value) {
                    return value.clone();
                }
            }
            listener.await;
        }
    }

    /// Changes the value with `f` and wakes the waiters if `f` returns `true`.
    pub(crate) fn modify(&self, f: impl FnOnce(&mut T) -> bool) {
        let changed = f(&mut self.lock());
        if changed {
            self.inner.changed.notify(usize::MAX);
        }
    }

    /// Sets the value (waking the waiters when it differs).
    pub(crate) fn set(&self, value: T)
    where
        T: PartialEq,
    {
        self.modify(|v| {
            let changed = *v != value;
            *v = value;
            changed
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.inner.value.lock().unwrap_or_else(|e| e.into_inner())
    }
}
