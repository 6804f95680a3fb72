//! Values a session reads once and keeps.

use crate::Result;
use std::cell::RefCell;

/// A value a session reads on first use and keeps for later calls: the
/// application roles, the groups, a directory id. [`Connector`] methods take
/// `&self`, so a session's caches live in fields of this type.
///
/// [`Connector`]: crate::Connector
#[derive(Debug)]
pub struct Memo<T>(RefCell<Option<T>>);

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo(RefCell::new(None))
    }
}

impl<T: Clone> Memo<T> {
    /// Nothing kept yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The kept value, or what `read` returns (then kept). A failed read
    /// keeps nothing, so the next call reads again.
    pub fn get_or_read(&self, read: impl FnOnce() -> Result<T>) -> Result<T> {
        match self.get() {
            Some(value) => Ok(value),
            None => self.refresh(read),
        }
    }

    /// Reads again with `read` and keeps the answer.
    pub fn refresh(&self, read: impl FnOnce() -> Result<T>) -> Result<T> {
        let value = read()?;
        *self.0.borrow_mut() = Some(value.clone());
        Ok(value)
    }

    /// The kept value, if any.
    pub fn get(&self) -> Option<T> {
        self.0.borrow().clone()
    }

    /// Forgets the kept value (after a change that makes it stale).
    pub fn clear(&self) {
        self.0.borrow_mut().take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use std::cell::Cell;

    #[test]
    fn reads_once_until_cleared_and_never_keeps_a_failure() {
        let reads = Cell::new(0);
        let read = || {
            reads.set(reads.get() + 1);
            Ok(reads.get())
        };
        let memo = Memo::new();
        assert!(
            memo.get_or_read(|| Err(Error::Internal("x".into())))
                .is_err()
        );
        assert_eq!(memo.get(), None);
        assert_eq!(memo.get_or_read(read).unwrap(), 1);
        assert_eq!(memo.get_or_read(read).unwrap(), 1);
        assert_eq!(memo.refresh(read).unwrap(), 2);
        memo.clear();
        assert_eq!(memo.get_or_read(read).unwrap(), 3);
    }
}
