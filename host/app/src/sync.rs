//! Sync: drains a connector's streams into the store, one page per call,
//! checkpointing each page, and refusing the paging mistakes connectors
//! make most often instead of storing a silently short or doubled list.
//!
//! Given several sessions of one connector, a sync reads as many streams
//! at once, each session taking the next stream left to read; all share
//! the upstreams' request budgets. Pages go to the store's own thread: a
//! stream asks for its next page while the previous one is written.
//!
//! A page call that fails with a transient error (an upstream still
//! failing after the host's own retries) is made again from the same
//! cursor, a few times with backoff, before the stream fails: page calls
//! only read. The run records the retries it absorbed, and the log says
//! how many each upstream needed.
//!
//! A stream the credentials may not read (the connector says `forbidden`)
//! is skipped, not failed: the run records it with the connector's reason
//! and reads the others, so that an operator who grants least privilege
//! gets what that privilege allows. Only a run that can read no stream
//! fails.

use crate::store::{Checkpoint, PageRows, Pending, Run, RunRetries, StoreError, StoreHandle};
use roster_sandbox::contract::{
    Account, ConnectorError, License, Product, Stream, UpstreamError, Usage,
};
use roster_sandbox::{CallError, Retries, Session};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A connector call failed.
    ///
    /// The failure is in the message, not a `source`: printing the chain
    /// would repeat it.
    #[error("connector `{connector}`, stream `{stream}`: {error}{}", host_said(.gave_up))]
    Call {
        /// The connector instance.
        connector: String,
        /// The stream being read.
        stream: &'static str,
        /// The failure.
        error: CallError,
        /// The last request of the call the host stopped retrying, if any.
        gave_up: Option<String>,
    },
    /// The connector handed back a cursor it had already given: the stream
    /// would never end.
    #[error(
        "connector `{connector}`, stream `{stream}`: the cursor `{cursor}` came back a second time, \
         so the stream would never end; this is a bug in the connector"
    )]
    RepeatedCursor {
        /// The connector instance.
        connector: String,
        /// The stream.
        stream: &'static str,
        /// The cursor that repeated.
        cursor: String,
    },
    /// The connector handed back an empty cursor: whether the stream ended
    /// is ambiguous (an upstream's missing `next` mapped to `""`).
    #[error(
        "connector `{connector}`, stream `{stream}`: a page came with an empty cursor; a connector \
         returns no cursor at the end of a stream; this is a bug in the connector"
    )]
    EmptyCursor {
        /// The connector instance.
        connector: String,
        /// The stream.
        stream: &'static str,
    },
    /// The credentials may read none of the connector's streams.
    #[error("connector `{connector}`: the credentials may read none of its streams: {}", .why.join("; "))]
    NothingReadable {
        /// The connector instance.
        connector: String,
        /// Each stream and what the connector said of it.
        why: Vec<String>,
    },
    /// The store refused (a duplicate id, or SQLite failed).
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn host_said(gave_up: &Option<String>) -> String {
    gave_up
        .as_ref()
        .map(|g| format!(" (the host: {g})"))
        .unwrap_or_default()
}

/// Progress of a sync, for a progress bar or a log line.
pub trait Progress: Send + Sync {
    /// A page of `stream` was stored; `items` so far in this run.
    fn page(&self, connector: &str, stream: Stream, items: u64);
    /// `stream` is complete with `items`.
    fn done(&self, connector: &str, stream: Stream, items: u64);
    /// `stream` is not read, because of `why` (a missing permission).
    fn skipped(&self, connector: &str, stream: Stream, why: &str);
}

/// Progress that reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn page(&self, _: &str, _: Stream, _: u64) {}
    fn done(&self, _: &str, _: Stream, _: u64) {}
    fn skipped(&self, _: &str, _: Stream, _: &str) {}
}

/// What a completed sync stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Synced {
    /// The run, completed.
    pub run: Run,
    /// Whether it continued an earlier run.
    pub resumed: bool,
}

/// The streams a sync reads from a session: those its manifest declares.
pub fn streams_of(session: &Session) -> Vec<Stream> {
    let declared = &session.manifest().raw().capabilities.streams;
    Stream::ALL
        .into_iter()
        .filter(|s| declared.contains(s))
        .collect()
}

/// Syncs connector instance `name` into `store` through `sessions` (of
/// that connector; as many streams are read at once as there are
/// sessions): a new run, or with `resume` the last unfinished one from its
/// checkpoints. The run becomes current only if every stream completes; on
/// failure it is marked failed and stays resumable.
pub async fn sync(
    store: &StoreHandle,
    sessions: &mut [Session],
    name: &str,
    resume: bool,
    progress: &dyn Progress,
) -> Result<Synced, SyncError> {
    let connector = name.to_owned();
    let earlier = if resume {
        store.call(move |s| s.resumable_run(&connector)).await?
    } else {
        None
    };
    let resumed = earlier.is_some();
    let run = match earlier {
        Some(run) => run,
        None => {
            let connector = name.to_owned();
            store.call(move |s| s.begin_run(&connector)).await?
        }
    };
    let tally = Tally::default();
    let drained = futures::future::try_join(
        drain_all(store, sessions, &run, &tally, progress),
        prune(store, name),
    );
    let drained = match drained.await {
        Ok(((), ())) => readable(store, &run).await,
        Err(e) => Err(e),
    };
    let retries = tally.finish(name);
    if retries != RunRetries::default() {
        let counted = run.clone();
        if let Err(e) = store.call(move |s| s.add_retries(&counted, retries)).await {
            tracing::error!("could not record the retries of run {}: {e}", run.id);
        }
    }
    match drained {
        Ok(()) => {
            let done = run.clone();
            let run = store
                .call(move |s| {
                    s.complete_run(&done)?;
                    Ok(s.run(done.id)?.unwrap_or(done))
                })
                .await?;
            Ok(Synced { run, resumed })
        }
        Err(e) => {
            let (failed, message) = (run.clone(), e.to_string());
            if let Err(store_error) = store.call(move |s| s.fail_run(&failed, &message)).await {
                tracing::error!(
                    "could not record the failure of run {}: {store_error}",
                    run.id
                );
            }
            Err(e)
        }
    }
}

async fn drain_all(
    store: &StoreHandle,
    sessions: &mut [Session],
    run: &Run,
    tally: &Tally,
    progress: &dyn Progress,
) -> Result<(), SyncError> {
    let Some(streams) = sessions.first().map(streams_of) else {
        return Ok(());
    };
    let id = run.id;
    let checkpoints = &store.call(move |s| s.checkpoints(id)).await?;
    let pending: VecDeque<Stream> = streams
        .into_iter()
        .filter(|s| !checkpoints.iter().any(|c| c.stream == *s && c.done))
        .collect();
    let pending = Mutex::new(pending);
    let next_stream = || {
        pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    };
    let readers = sessions.iter_mut().map(|session| async move {
        while let Some(stream) = next_stream() {
            let checkpoint = checkpoints.iter().find(|c| c.stream == stream);
            drain(store, session, run, stream, checkpoint, tally, progress).await?;
        }
        Ok::<_, SyncError>(())
    });
    futures::future::try_join_all(readers).await?;
    Ok(())
}

/// Refuses a run that skipped every stream: it would replace the snapshot
/// with nothing.
async fn readable(store: &StoreHandle, run: &Run) -> Result<(), SyncError> {
    let id = run.id;
    let checkpoints = store.call(move |s| s.checkpoints(id)).await?;
    if checkpoints.is_empty() || checkpoints.iter().any(|c| c.skipped.is_none()) {
        return Ok(());
    }
    Err(SyncError::NothingReadable {
        connector: run.connector.clone(),
        why: checkpoints
            .iter()
            .filter_map(|c| Some(format!("{}: {}", c.stream.as_str(), c.skipped.as_ref()?)))
            .collect(),
    })
}

/// Rows deleted per job when pruning, small enough for page writes to
/// slip in between.
const PRUNE_ROWS: usize = 2_000;

/// Deletes the generations `connector` no longer needs (the one the last
/// completed run replaced), a little at a time while its streams are read.
async fn prune(store: &StoreHandle, connector: &str) -> Result<(), SyncError> {
    loop {
        let connector = connector.to_owned();
        if store.call(move |s| s.prune(&connector, PRUNE_ROWS)).await? == 0 {
            return Ok(());
        }
    }
}

/// Reads `stream` to its end, from `checkpoint` if there is one.
async fn drain(
    store: &StoreHandle,
    session: &mut Session,
    run: &Run,
    stream: Stream,
    checkpoint: Option<&Checkpoint>,
    tally: &Tally,
    progress: &dyn Progress,
) -> Result<(), SyncError> {
    let mut cursor = checkpoint.and_then(|c| c.cursor.clone());
    let mut items = checkpoint.map_or(0, |c| c.items);
    let mut seen: HashSet<String> = cursor.iter().cloned().collect();
    // The previous page, being written while the next is read.
    let mut writing: Option<Pending<()>> = None;
    loop {
        // Each page is checked before it is stored, so that a bad cursor
        // never becomes a checkpoint.
        let (rows, next) = match read_page(session, run, stream, cursor.as_deref(), tally).await {
            Err(SyncError::Call {
                error: CallError::Connector(ConnectorError::Forbidden(why)),
                ..
            }) => {
                if let Some(previous) = writing.take() {
                    previous.wait().await?;
                }
                return skip(store, run, stream, why, progress).await;
            }
            page => page?,
        };
        if let Some(next) = &next {
            check_cursor(run, stream, &mut seen, next)?;
        }
        if let Some(previous) = writing.take() {
            previous.wait().await?;
        }
        items += rows.as_page().len() as u64;
        let (page_run, page_next) = (run.clone(), next.clone());
        writing = Some(
            store.submit(move |s| s.write_page(&page_run, rows.as_page(), page_next.as_deref())),
        );
        progress.page(&run.connector, stream, items);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if let Some(last) = writing {
        last.wait().await?;
    }
    progress.done(&run.connector, stream, items);
    Ok(())
}

/// Records that `stream` is not read, dropping what was stored of it.
async fn skip(
    store: &StoreHandle,
    run: &Run,
    stream: Stream,
    why: String,
    progress: &dyn Progress,
) -> Result<(), SyncError> {
    progress.skipped(&run.connector, stream, &why);
    let skipped = run.clone();
    store
        .call(move |s| s.skip_stream(&skipped, stream, &why))
        .await?;
    Ok(())
}

/// Page calls made again after a transient failure, at most.
const CALL_RETRIES: u32 = 4;
/// The first wait before a page call is made again; doubled each time.
const CALL_BACKOFF: Duration = Duration::from_secs(1);
/// The longest rate-limit wait a sync sits out before it fails the stream.
const MAX_CALL_WAIT: Duration = Duration::from_secs(120);

/// One page of `stream` from `cursor`, the call made again from the same
/// cursor while it fails transiently and retries are left.
async fn read_page(
    session: &mut Session,
    run: &Run,
    stream: Stream,
    cursor: Option<&str>,
    tally: &Tally,
) -> Result<(Rows, Option<String>), SyncError> {
    let mut retry = 0;
    loop {
        let page = match stream {
            Stream::Products => session.products().await.map(|p| (Rows::Products(p), None)),
            Stream::Accounts => session
                .accounts(cursor)
                .await
                .map(|p| (Rows::Accounts(p.items), p.next_cursor)),
            Stream::Licenses => session
                .licenses(cursor)
                .await
                .map(|p| (Rows::Licenses(p.items), p.next_cursor)),
            Stream::Usage => session
                .usage(cursor)
                .await
                .map(|p| (Rows::Usage(p.items), p.next_cursor)),
        };
        let gave_up = tally.add(session);
        let error = match page {
            Ok(page) => return Ok(page),
            Err(e) => e,
        };
        let wait = transient_wait(&error, retry);
        match wait {
            Some(wait) if retry < CALL_RETRIES && wait <= MAX_CALL_WAIT => {
                tracing::warn!(
                    connector = run.connector,
                    stream = stream.as_str(),
                    "{error}; reading the page again in {:.1} s",
                    wait.as_secs_f64()
                );
                tally.call_retried();
                tokio::time::sleep(wait).await;
                retry += 1;
            }
            _ => {
                return Err(SyncError::Call {
                    connector: run.connector.clone(),
                    stream: stream.as_str(),
                    error,
                    gave_up,
                });
            }
        }
    }
}

/// How long to wait before calling again after `error`, if it is
/// transient: an upstream that failed or refused for now. A failure of the
/// sandbox (a trap, a deadline, memory) discards the session and is not.
fn transient_wait(error: &CallError, retry: u32) -> Option<Duration> {
    let backoff = || roster_sandbox::backoff(CALL_BACKOFF, retry);
    match error {
        CallError::Connector(ConnectorError::RateLimited(seconds)) => {
            Some(seconds.map_or_else(backoff, |s| Duration::from_secs(u64::from(s))))
        }
        CallError::Connector(ConnectorError::Upstream(UpstreamError {
            status: 0 | 500 | 502 | 503 | 504,
            ..
        })) => Some(backoff()),
        _ => None,
    }
}

/// The retries a sync absorbed, across its sessions.
#[derive(Debug, Default)]
struct Tally(Mutex<TallyInner>);

#[derive(Debug, Default)]
struct TallyInner {
    by_upstream: BTreeMap<String, Retries>,
    calls: u64,
}

impl Tally {
    /// Takes in what the host absorbed for `session`'s last call; returns
    /// the request it gave up on, if any.
    fn add(&self, session: &Session) -> Option<String> {
        let absorbed = session.absorbed();
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (upstream, retries) in &absorbed.retries {
            inner
                .by_upstream
                .entry(upstream.clone())
                .or_default()
                .add(retries);
        }
        absorbed.gave_up
    }

    fn call_retried(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).calls += 1;
    }

    /// Logs each upstream's retries (a warning: a degrading upstream shows
    /// here before it fails a sync) and returns the run's totals.
    fn finish(&self, connector: &str) -> RunRetries {
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (upstream, retries) in &inner.by_upstream {
            tracing::warn!(connector, upstream, "the upstream needed {retries}");
        }
        RunRetries {
            requests: inner.by_upstream.values().map(Retries::total).sum(),
            calls: inner.calls,
        }
    }
}

/// A page's rows, owned.
enum Rows {
    Accounts(Vec<Account>),
    Products(Vec<Product>),
    Licenses(Vec<License>),
    Usage(Vec<Usage>),
}

impl Rows {
    fn as_page(&self) -> PageRows<'_> {
        match self {
            Rows::Accounts(v) => PageRows::Accounts(v),
            Rows::Products(v) => PageRows::Products(v),
            Rows::Licenses(v) => PageRows::Licenses(v),
            Rows::Usage(v) => PageRows::Usage(v),
        }
    }
}

/// Refuses an empty cursor and a cursor already handed back in this run.
fn check_cursor(
    run: &Run,
    stream: Stream,
    seen: &mut HashSet<String>,
    next: &str,
) -> Result<(), SyncError> {
    if next.is_empty() {
        return Err(SyncError::EmptyCursor {
            connector: run.connector.clone(),
            stream: stream.as_str(),
        });
    }
    if !seen.insert(next.to_owned()) {
        return Err(SyncError::RepeatedCursor {
            connector: run.connector.clone(),
            stream: stream.as_str(),
            cursor: next.to_owned(),
        });
    }
    Ok(())
}
