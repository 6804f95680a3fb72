//! A store connection on a thread of its own. Async code hands it jobs and
//! awaits their results, so SQLite's work (and its waits for the write
//! lock) never stalls the async runtime, and the writers of one process
//! queue in order instead of sleeping in SQLite's busy handler.

use super::{Store, StoreError};
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// A job for the store's thread.
type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// The thread that owns a store connection.
#[derive(Debug)]
pub struct StoreWorker {
    handle: StoreHandle,
    thread: JoinHandle<Store>,
}

/// A way to queue jobs on a [`StoreWorker`]'s connection; cheap to clone.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    jobs: mpsc::Sender<Job>,
    path: Arc<Path>,
}

impl StoreWorker {
    /// Moves `store` to a thread of its own.
    pub fn spawn(mut store: Store) -> Result<StoreWorker, StoreError> {
        let path: Arc<Path> = store.path().into();
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("roster-store".into())
            .spawn(move || {
                for job in queue {
                    job(&mut store);
                }
                store
            })
            .map_err(|source| StoreError::Thread {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(StoreWorker {
            handle: StoreHandle { jobs, path },
            thread,
        })
    }

    /// A handle that queues jobs on this connection.
    pub fn handle(&self) -> StoreHandle {
        self.handle.clone()
    }

    /// Waits for every job queued through any handle, once all handles are
    /// dropped, and gives the connection back.
    pub fn finish(self) -> Store {
        let StoreWorker { handle, thread } = self;
        drop(handle);
        match thread.join() {
            Ok(store) => store,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl StoreHandle {
    /// Queues `job` and returns a receiver of its result, without waiting.
    pub fn submit<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Pending<R> {
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            // The caller may have given up waiting; the job is done anyway.
            let _ = reply.send(job(store));
        });
        let queued = self.jobs.send(job).is_ok();
        Pending {
            result: queued.then_some(result),
            path: self.path.clone(),
        }
    }

    /// Runs `job` on the store's thread and waits for its result.
    pub async fn call<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.submit(job).wait().await
    }
}

/// The result of a job queued on the store's thread.
#[derive(Debug)]
pub struct Pending<R> {
    result: Option<oneshot::Receiver<Result<R, StoreError>>>,
    path: Arc<Path>,
}

impl<R> Pending<R> {
    /// Waits for the job to finish.
    pub async fn wait(self) -> Result<R, StoreError> {
        let gone = || StoreError::Gone {
            path: self.path.to_path_buf(),
        };
        match self.result {
            Some(result) => result.await.map_err(|_| gone())?,
            None => Err(gone()),
        }
    }
}
