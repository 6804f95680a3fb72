//! One sync per connector instance per store at a time. Two overlapping
//! syncs of one connector (two scheduled runs that overlap) would send
//! every request twice and race on its run; the second is refused, or
//! waits for the first. The lock is an exclusive lock on a file beside the
//! store, which the operating system releases when the process ends, also
//! when it is killed.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// A held sync lock; released when dropped.
#[derive(Debug)]
pub struct SyncLock {
    _file: File,
}

/// Why a sync lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process is syncing the connector into the store.
    #[error(
        "connector `{connector}` is already syncing into {store}: let that sync finish, or run \
         `roster sync --wait` to wait for it"
    )]
    Busy {
        /// The connector instance.
        connector: String,
        /// The store.
        store: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl SyncLock {
    /// Locks the sync of `connector` into the store at `store`: at once,
    /// or busy; with `wait`, once the other sync has finished.
    pub fn acquire(store: &Path, connector: &str, wait: bool) -> Result<SyncLock, LockError> {
        let mut name = store.as_os_str().to_owned();
        name.push(format!(".{connector}.sync-lock"));
        let path = PathBuf::from(name);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        if wait {
            file.lock().map_err(io)?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(LockError::Busy {
                        connector: connector.to_owned(),
                        store: store.display().to_string(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        Ok(SyncLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_of_one_connector_is_busy_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("roster.db");
        let first = SyncLock::acquire(&store, "jira", false).unwrap();
        let busy = SyncLock::acquire(&store, "jira", false).unwrap_err();
        assert!(matches!(busy, LockError::Busy { .. }), "{busy}");
        assert!(busy.to_string().contains("--wait"), "{busy}");
        let other = SyncLock::acquire(&store, "confluence", false);
        assert!(other.is_ok(), "another connector syncs meanwhile");
        drop(first);
        SyncLock::acquire(&store, "jira", false).unwrap();
    }
}
