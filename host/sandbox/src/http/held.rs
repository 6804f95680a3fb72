//! The answer bytes one call may hold at once. A `send-all` batch keeps
//! every answer in host memory until the last one is in and the list is
//! copied into the guest: without a shared budget, a batch of large
//! answers could take the whole process's memory. Bytes are counted as
//! they stream in, so a batch stops growing the moment the budget is spent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A byte budget shared by the requests of one batch (or one request).
#[derive(Debug)]
pub struct BodyBudget {
    limit: u64,
    used: AtomicU64,
}

impl BodyBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Arc<Self> {
        Arc::new(BodyBudget {
            limit,
            used: AtomicU64::new(0),
        })
    }

    /// The budget's size.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// A hold on none of the budget yet, to grow as a body arrives.
    pub fn hold(self: &Arc<Self>) -> Held {
        Held {
            budget: self.clone(),
            bytes: 0,
        }
    }

    /// Bytes held now.
    #[cfg(test)]
    fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }
}

/// Bytes of a budget held by one body; given back when dropped.
#[derive(Debug)]
pub struct Held {
    budget: Arc<BodyBudget>,
    bytes: u64,
}

impl Held {
    /// Takes `n` more bytes; false, taking none, when fewer remain.
    pub fn grow(&mut self, n: u64) -> bool {
        let limit = self.budget.limit;
        let taken = self
            .budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= limit)
            });
        if taken.is_ok() {
            self.bytes += n;
        }
        taken.is_ok()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_share_the_budget_and_give_it_back_when_dropped() {
        let budget = BodyBudget::new(10);
        let mut a = budget.hold();
        let mut b = budget.hold();
        assert!(a.grow(6));
        assert!(!b.grow(5), "only 4 bytes remain");
        assert!(b.grow(4));
        assert_eq!(budget.used(), 10);
        drop(a);
        assert_eq!(budget.used(), 4);
        assert!(b.grow(6));
        drop(b);
        assert_eq!(budget.used(), 0);
    }
}
