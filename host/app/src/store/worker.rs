//! A store on a thread of its own. Async code hands it jobs and awaits
//! their results, so the database's work (and its waits for a write lock)
//! never stalls the async runtime, and the writers of one process queue in
//! order instead of waiting on each other's locks.

use super::{Store, StoreError};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// A job for the store's thread.
type Job = Box<dyn FnOnce(&mut dyn Store) + Send>;

/// The thread that owns a store.
#[derive(Debug)]
pub struct StoreWorker {
    handle: StoreHandle,
    thread: JoinHandle<Box<dyn Store>>,
}

/// A way to queue jobs on a [`StoreWorker`]'s store; cheap to clone.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    jobs: mpsc::Sender<Job>,
    location: Arc<str>,
}

impl StoreWorker {
    /// Moves `store` to a thread of its own.
    pub fn spawn(mut store: Box<dyn Store>) -> Result<StoreWorker, StoreError> {
        let location: Arc<str> = store.location().into();
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("roster-store".into())
            .spawn(move || {
                for job in queue {
                    job(&mut *store);
                }
                store
            })
            .map_err(|source| StoreError::Thread {
                store: location.to_string(),
                source,
            })?;
        Ok(StoreWorker {
            handle: StoreHandle { jobs, location },
            thread,
        })
    }

    /// A handle that queues jobs on this store.
    pub fn handle(&self) -> StoreHandle {
        self.handle.clone()
    }

    /// Waits for every job queued through any handle, once all handles are
    /// dropped, and gives the store back.
    pub fn finish(self) -> Box<dyn Store> {
        let StoreWorker { handle, thread } = self;
        drop(handle);
        match thread.join() {
            Ok(store) => store,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.location())
    }
}

impl StoreHandle {
    /// Queues `job` and returns a receiver of its result, without waiting.
    pub fn submit<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut dyn Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Pending<R> {
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            // The caller may have given up waiting; the job is done anyway.
            let _ = reply.send(job(store));
        });
        let queued = self.jobs.send(job).is_ok();
        Pending {
            result: queued.then_some(result),
            location: self.location.clone(),
        }
    }

    /// Runs `job` on the store's thread and waits for its result.
    pub async fn call<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut dyn Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.submit(job).wait().await
    }
}

/// The result of a job queued on the store's thread.
#[derive(Debug)]
pub struct Pending<R> {
    result: Option<oneshot::Receiver<Result<R, StoreError>>>,
    location: Arc<str>,
}

impl<R> Pending<R> {
    /// Waits for the job to finish.
    pub async fn wait(self) -> Result<R, StoreError> {
        let gone = || StoreError::Gone {
            store: self.location.to_string(),
        };
        match self.result {
            Some(result) => result.await.map_err(|_| gone())?,
            None => Err(gone()),
        }
    }
}
