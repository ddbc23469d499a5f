//! [`ReassemblyBudget`]: one bound on the multipart bytes held by all connections together.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A global bound on the body bytes held for incomplete multipart messages, shared by the
/// [`Reassembler`](super::Reassembler)s of every connection of a platform (or edge) on top of
/// each one's [`ReassemblyLimits`](super::ReassemblyLimits).
///
/// A cheap handle (clones share one counter). A reassembler reserves bytes as chunk data
/// arrives and gives them back when the message completes, is refused or expires, and when
/// the reassembler is cleared or dropped (its connection closed). Lock-free: one atomic
/// per reservation.
///
/// ```
/// use alwayson_proto::multipart::ReassemblyBudget;
///
/// let budget = ReassemblyBudget::new(100);
/// assert!(budget.try_reserve(60));
/// assert!(!budget.try_reserve(60), "over the budget: nothing reserved");
/// assert_eq!(budget.used(), 60);
/// budget.release(60);
/// assert_eq!(budget.used(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct ReassemblyBudget {
    limit: usize,
    used: Arc<AtomicUsize>,
}

impl ReassemblyBudget {
    /// Default for a platform: 64 MiB across all connections.
    pub const DEFAULT: usize = 64 * 1024 * 1024;

    /// A budget of `limit` bytes, nothing reserved.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            used: Arc::default(),
        }
    }

    /// The limit, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes reserved now, by every holder together.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Reserves `n` bytes if that keeps the total within the limit; `false` (nothing
    /// reserved) otherwise.
    pub fn try_reserve(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    /// Gives back `n` bytes reserved earlier.
    pub fn release(&self, n: usize) {
        // Saturating: a release never underflows even if a holder miscounted.
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(n))
            });
    }
}

impl Default for ReassemblyBudget {
    /// A budget of [`ReassemblyBudget::DEFAULT`] bytes.
    fn default() -> Self {
        Self::new(Self::DEFAULT)
    }
}
