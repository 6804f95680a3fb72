//! Sessions: one sandboxed instance per open connector config, each call
//! under the runtime's [`Limits`](crate::Limits), and an instance discarded after any
//! failure that is not the connector's own error.

use crate::contract::{
    AccountPage, Action, CheckReport, ConnectorError, ConnectorManifest, Instance, LicensePage,
    Outcome, Pre, Product, UsagePage,
};
use crate::http::Absorbed;
use crate::imports::{State, Writes};
use crate::journal::WriteJournal;
use crate::manifest::Manifest;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::ResourceAny;
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

/// Why a call did not return the connector's answer.
#[derive(Debug)]
pub enum CallError {
    /// The connector returned an error.
    Connector(ConnectorError),
    /// The call ran past its deadline and was stopped.
    Deadline(Duration),
    /// The instance tried to grow its memory past the limit.
    MemoryLimit(usize),
    /// The connector trapped (a panic, an invalid operation).
    Trap(String),
    /// An earlier failure discarded this session's instance.
    Discarded,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Connector(e) => f.write_str(&crate::contract::explain(e)),
            CallError::Deadline(d) => {
                write!(
                    f,
                    "the connector ran past its {} s deadline and was stopped",
                    d.as_secs_f64()
                )
            }
            CallError::MemoryLimit(n) => {
                write!(
                    f,
                    "the connector exceeded its memory limit of {} MiB and was stopped",
                    n >> 20
                )
            }
            CallError::Trap(m) => write!(f, "the connector crashed: {m}"),
            CallError::Discarded => {
                write!(
                    f,
                    "this session was discarded after an earlier failure; open a new one"
                )
            }
        }
    }
}

impl std::error::Error for CallError {}

/// A store for a new instance, with the memory cap and the call deadline
/// in force. On every epoch tick a running guest yields to the async
/// runtime, so that a guest spinning in a loop never holds a worker thread
/// that other sessions need; once the call's deadline has passed, the
/// tick interrupts it.
pub(crate) fn new_store(engine: &Engine, state: State) -> Store<State> {
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.memory);
    store.epoch_deadline_callback(|ctx| {
        if Instant::now() >= ctx.data().call_ends {
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(tokio::task::yield_now()),
        ))
    });
    store
}

/// Starts the clock of a call that may run for `deadline`.
fn arm(store: &mut Store<State>, deadline: Duration) {
    store.data_mut().call_ends = Instant::now() + deadline;
    store.set_epoch_deadline(1);
}

/// Instantiates a fresh instance with no network and asks for its manifest.
pub(crate) async fn describe(
    mut store: Store<State>,
    pre: &Pre,
    deadline: Duration,
) -> Result<ConnectorManifest, CallError> {
    arm(&mut store, deadline);
    let call = async {
        let instance = pre.instantiate(&mut store).await?;
        instance.manifest(&mut store).await
    };
    let result = tokio::time::timeout(deadline, call).await;
    classify(&store, deadline, result)
}

/// Maps the result of a guest call (timeout, trap or value) to a `CallError`.
fn classify<T>(
    store: &Store<State>,
    deadline: Duration,
    result: Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
) -> Result<T, CallError> {
    match result {
        Err(_) => Err(CallError::Deadline(deadline)),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            if store.data().memory.hit {
                return Err(CallError::MemoryLimit(store.data().memory.max));
            }
            match e.downcast_ref::<Trap>() {
                Some(Trap::Interrupt) => Err(CallError::Deadline(deadline)),
                _ => Err(CallError::Trap(format!("{e:#}"))),
            }
        }
    }
}

/// An open session of a connector: a sandboxed instance holding the
/// connector's session resource.
///
/// Every call runs under the runtime's [`Limits`](crate::Limits). A call that traps, runs
/// out of time or memory discards the instance: later calls return
/// [`CallError::Discarded`], and the caller may open a new session and
/// continue from its last cursor.
pub struct Session {
    store: Store<State>,
    instance: Instance,
    handle: Option<ResourceAny>,
    deadline: Duration,
    manifest: Arc<Manifest>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("connector", &self.manifest.raw().id)
            .field("open", &self.handle.is_some())
            .finish_non_exhaustive()
    }
}

/// Runs one method of the guest's session resource under the call limits.
macro_rules! session_call {
    ($self:ident, $writes:expr, |$instance:ident, $store:ident, $handle:ident| $call:expr) => {{
        let $handle = $self.begin($writes)?;
        let deadline = $self.deadline;
        let result = {
            let $instance = &$self.instance;
            let $store = &mut $self.store;
            tokio::time::timeout(deadline, $call).await
        };
        $self.finish(result)
    }};
}

impl Session {
    /// Instantiates `pre` in `store` and opens the connector's session with
    /// `config` (the connector's view of it, as JSON text).
    pub(crate) async fn open(
        mut store: Store<State>,
        pre: &Pre,
        config: &str,
        deadline: Duration,
        manifest: Arc<Manifest>,
    ) -> Result<Session, CallError> {
        arm(&mut store, deadline);
        let opened = tokio::time::timeout(deadline, async {
            let instance = pre.instantiate(&mut store).await?;
            let handle = instance.open(&mut store, config).await?;
            Ok((instance, handle))
        })
        .await;
        let (instance, handle) = classify(&store, deadline, opened)?;
        let handle = handle.map_err(CallError::Connector)?;
        Ok(Session {
            store,
            instance,
            handle: Some(handle),
            deadline,
            manifest,
        })
    }

    /// The connector's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The retries the host made for this session's requests, and the last
    /// request it gave up on, since this was last asked (each call starts
    /// a new account).
    pub fn absorbed(&self) -> Absorbed {
        self.store.data().absorbed()
    }

    /// Proves the config works and reports what it enables.
    pub async fn check(&mut self) -> Result<CheckReport, CallError> {
        session_call!(self, Writes::Refused, |i, store, h| i.check(store, h))
    }

    /// One page of accounts from `cursor` (none: the first).
    pub async fn accounts(&mut self, cursor: Option<&str>) -> Result<AccountPage, CallError> {
        session_call!(self, Writes::Refused, |i, store, h| i
            .accounts(store, h, cursor))
    }

    /// The products with their seats.
    pub async fn products(&mut self) -> Result<Vec<Product>, CallError> {
        session_call!(self, Writes::Refused, |i, store, h| i.products(store, h))
    }

    /// One page of licences.
    pub async fn licenses(&mut self, cursor: Option<&str>) -> Result<LicensePage, CallError> {
        session_call!(self, Writes::Refused, |i, store, h| i
            .licenses(store, h, cursor))
    }

    /// One page of usage.
    pub async fn usage(&mut self, cursor: Option<&str>) -> Result<UsagePage, CallError> {
        session_call!(self, Writes::Refused, |i, store, h| i
            .usage(store, h, cursor))
    }

    /// Carries out (or with `dry_run`, plans) a provisioning action: the
    /// only call that may write. In a dry run the host refuses every request
    /// but the reads (`GET`, `HEAD`, declared read-only `POST`s).
    pub async fn provision(
        &mut self,
        action: &Action,
        dry_run: bool,
    ) -> Result<Outcome, CallError> {
        let writes = if dry_run {
            Writes::Planned
        } else {
            Writes::Sent(None)
        };
        session_call!(self, writes, |i, store, h| i
            .provision(store, h, action, dry_run))
    }

    /// Carries out a provisioning action, recording each write request in
    /// `journal` before it is sent (a write the journal cannot record is
    /// not sent): what may have reached the upstream is on record even if
    /// this process is killed mid-call.
    pub async fn apply(
        &mut self,
        action: &Action,
        journal: Arc<dyn WriteJournal>,
    ) -> Result<Outcome, CallError> {
        session_call!(self, Writes::Sent(Some(journal)), |i, store, h| i
            .provision(store, h, action, false))
    }

    /// Resets the per-call state; fails if the instance was discarded.
    fn begin(&mut self, writes: Writes) -> Result<ResourceAny, CallError> {
        let handle = self.handle.ok_or(CallError::Discarded)?;
        self.store.data_mut().begin_call(writes);
        arm(&mut self.store, self.deadline);
        Ok(handle)
    }

    /// Turns a guest call's result into the API's, discarding the instance
    /// on any failure that is not the connector's own error value.
    fn finish<T>(
        &mut self,
        result: Result<wasmtime::Result<Result<T, ConnectorError>>, tokio::time::error::Elapsed>,
    ) -> Result<T, CallError> {
        self.store.data_mut().end_call();
        match classify(&self.store, self.deadline, result) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(CallError::Connector(e)),
            Err(e) => {
                tracing::warn!(
                    connector = &*self.store.data().connector,
                    "discarding the instance: {e}"
                );
                self.handle = None;
                Err(e)
            }
        }
    }
}
