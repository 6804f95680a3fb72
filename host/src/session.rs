//! Sessions: one sandboxed instance per open connector config, with limits
//! enforced on every call, and the host side of the Roster imports.

use crate::contract::{
    AccountPage, Action, CheckReport, ConnectorError, ConnectorManifest, HttpError, Level,
    LicensePage, Outcome, Product, Request, Response, UsagePage, World, WorldPre, http_import,
    log_import,
};
use crate::http::{Gateway, SessionHttp, Tape};
use crate::manifest::{ConfigRejected, Manifest};
use crate::runtime::{Connector, EPOCH_TICK, Runtime};
use futures::future::join_all;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker, ResourceAny, ResourceTable};
use wasmtime::{ResourceLimiter, Store, Trap};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Limits on each connector call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Linear memory an instance may grow to. A connector holds one page of
    /// results at a time; 128 MiB is ample for pages of thousands of users.
    pub memory_bytes: usize,
    /// Wall-clock time for one call, host waits included. Long enough for a
    /// fan-out batch that is retried after rate limiting.
    pub call_deadline: Duration,
    /// Requests one call may make (a `send-all` batch counts each).
    pub requests_per_call: u32,
    /// Log messages (and guest stdout/stderr lines) kept per call.
    pub log_lines_per_call: u32,
    /// Longest log message kept, in bytes.
    pub log_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 128 << 20,
            call_deadline: Duration::from_secs(300),
            requests_per_call: 10_000,
            log_lines_per_call: 200,
            log_line_bytes: 4096,
        }
    }
}

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

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The config is invalid.
    #[error("invalid config: {0}")]
    Config(#[from] ConfigRejected),
    /// Opening failed in the connector.
    #[error("{0}")]
    Call(CallError),
}

/// Options of one session.
#[derive(Debug, Default)]
pub struct SessionOptions {
    /// Record the session's exchanges to a file, or replay them from one.
    pub tape: Option<Tape>,
    /// A label for the logs (a sync run id, say).
    pub label: Option<String>,
}

/// The store data of a connector instance.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryLimiter,
    gateway: Arc<Gateway>,
    http: Arc<SessionHttp>,
    connector: Arc<str>,
    limits: crate::session::Limits,
    requests: u32,
    dry_run: bool,
    log_lines: Arc<AtomicU32>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Denies memory growth past the limit and remembers that it did, since the
/// resulting trap does not say why.
struct MemoryLimiter {
    max: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            wasmtime::bail!("memory limit of {} bytes reached", self.max);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

impl State {
    fn new(runtime: &Runtime, http: SessionHttp, connector: Arc<str>) -> Self {
        let log_lines = Arc::new(AtomicU32::new(0));
        let output = |stream: &'static str| GuestOutput {
            connector: connector.clone(),
            stream,
            lines: log_lines.clone(),
            limits: runtime.limits,
        };
        // WASI p2 granting nothing: no preopened directories, no
        // environment, no arguments, sockets denied. Output goes to the log.
        let wasi = WasiCtx::builder()
            .stdout(output("stdout"))
            .stderr(output("stderr"))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        State {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryLimiter {
                max: runtime.limits.memory_bytes,
                hit: false,
            },
            gateway: runtime.gateway.clone(),
            http: Arc::new(http),
            connector,
            limits: runtime.limits,
            requests: 0,
            dry_run: false,
            log_lines,
        }
    }

    /// Counts a request against the call's limit and applies the dry-run
    /// guard.
    fn admit(&mut self, request: &Request) -> Result<(), HttpError> {
        use crate::contract::Method;
        if self.requests >= self.limits.requests_per_call {
            return Err(HttpError::RequestLimit(self.limits.requests_per_call));
        }
        self.requests += 1;
        if self.dry_run && !matches!(request.method, Method::Get | Method::Head) {
            return Err(HttpError::DryRun(format!(
                "{} {}",
                crate::http::method_name(request.method),
                self.http.redactor.text(&request.url)
            )));
        }
        Ok(())
    }
}

impl http_import::Host for State {
    async fn send(&mut self, request: Request) -> Result<Response, HttpError> {
        self.admit(&request)?;
        self.gateway.send(&self.http, request).await
    }

    async fn send_all(&mut self, requests: Vec<Request>) -> Vec<Result<Response, HttpError>> {
        let admitted: Vec<Result<Request, HttpError>> = requests
            .into_iter()
            .map(|r| self.admit(&r).map(|()| r))
            .collect();
        let (gateway, http) = (&self.gateway, &self.http);
        join_all(admitted.into_iter().map(|r| async move {
            match r {
                Ok(request) => gateway.send(http, request).await,
                Err(e) => Err(e),
            }
        }))
        .await
    }
}

impl log_import::Host for State {
    async fn log(&mut self, level: Level, message: String) {
        let Some(message) = take_log_line(&self.log_lines, &self.limits, &message) else {
            return;
        };
        let message = self.http.redactor.text(&message);
        let connector = &*self.connector;
        match level {
            Level::Trace => tracing::trace!(target: "roster::connector", connector, "{message}"),
            Level::Debug => tracing::debug!(target: "roster::connector", connector, "{message}"),
            Level::Info => tracing::info!(target: "roster::connector", connector, "{message}"),
            Level::Warn => tracing::warn!(target: "roster::connector", connector, "{message}"),
            Level::Error => tracing::error!(target: "roster::connector", connector, "{message}"),
        }
    }
}

impl crate::contract::v0_1_0::roster::connector::types::Host for State {}

/// Applies the per-call log budget: `None` once it is spent (a notice is
/// logged the first time), else the message cut to the length limit.
fn take_log_line(lines: &AtomicU32, limits: &Limits, message: &str) -> Option<String> {
    let n = lines.fetch_add(1, Ordering::Relaxed);
    if n == limits.log_lines_per_call {
        tracing::warn!(target: "roster::connector", "log limit of {} lines per call reached; dropping the rest", limits.log_lines_per_call);
    }
    if n >= limits.log_lines_per_call {
        return None;
    }
    let mut end = message.len().min(limits.log_line_bytes);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    Some(message[..end].to_owned())
}

/// Guest stdout / stderr, line by line into the log.
#[derive(Clone)]
struct GuestOutput {
    connector: Arc<str>,
    stream: &'static str,
    lines: Arc<AtomicU32>,
    limits: Limits,
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            out: self.clone(),
            buffer: Vec::new(),
        })
    }
}

struct LineWriter {
    out: GuestOutput,
    buffer: Vec<u8>,
}

impl LineWriter {
    fn emit(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        if let Some(text) = take_log_line(&self.out.lines, &self.out.limits, text.trim_end()) {
            tracing::info!(target: "roster::connector", connector = &*self.out.connector, stream = self.out.stream, "{text}");
        }
    }
}

impl tokio::io::AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.buffer.extend_from_slice(data);
        while let Some(i) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=i).collect();
            self.emit(&line);
        }
        if self.buffer.len() > self.out.limits.log_line_bytes {
            let line = std::mem::take(&mut self.buffer);
            self.emit(&line);
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if !self.buffer.is_empty() {
            let line = std::mem::take(&mut self.buffer);
            self.emit(&line);
        }
        Poll::Ready(Ok(()))
    }
}

/// Links the Roster imports (`http`, `log`, `types`).
pub(crate) fn add_roster_imports(linker: &mut Linker<State>) -> anyhow::Result<()> {
    World::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    Ok(())
}

fn new_store(runtime: &Runtime, http: SessionHttp, connector: Arc<str>) -> Store<State> {
    let mut store = Store::new(&runtime.engine, State::new(runtime, http, connector));
    store.limiter(|s| &mut s.memory);
    store.epoch_deadline_trap();
    store
}

fn deadline_ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64 + 1
}

/// Instantiates a fresh instance with no network and asks for its manifest.
pub(crate) async fn describe(
    runtime: &Runtime,
    pre: &WorldPre<State>,
) -> Result<ConnectorManifest, CallError> {
    let mut store = new_store(runtime, SessionHttp::default(), Arc::from("(loading)"));
    let deadline = runtime.limits.call_deadline.min(Duration::from_secs(10));
    store.set_epoch_deadline(deadline_ticks(deadline));
    let call = async {
        let world = pre.instantiate_async(&mut store).await?;
        world.roster_connector_api().call_manifest(&mut store).await
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
/// Every call runs under the runtime's [`Limits`]. A call that traps, runs
/// out of time or memory discards the instance: later calls return
/// [`CallError::Discarded`], and the caller may open a new session and
/// continue from its last cursor.
pub struct Session {
    store: Store<State>,
    world: World,
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
    ($self:ident, $dry_run:expr, |$api:ident, $store:ident, $handle:ident| $call:expr) => {{
        let $handle = $self.begin($dry_run)?;
        let deadline = $self.deadline;
        let result = {
            let $api = $self.world.roster_connector_api().session();
            let $store = &mut $self.store;
            tokio::time::timeout(deadline, $call).await
        };
        $self.finish(result)
    }};
}

impl Connector {
    /// Validates `config` against the schema, resolves the network policy
    /// from it, starts a sandboxed instance and opens the connector's
    /// session with the config (secret values replaced by `true`).
    pub async fn open(
        &self,
        runtime: &Runtime,
        config: &serde_json::Value,
        options: SessionOptions,
    ) -> Result<Session, OpenError> {
        let manifest = self.manifest_arc();
        let resolved = manifest.resolve(config)?;
        let label: Arc<str> = match &options.label {
            Some(l) => format!("{}/{l}", manifest.raw().id).into(),
            None => manifest.raw().id.as_str().into(),
        };
        let http = SessionHttp {
            policy: resolved.policy,
            redactor: resolved.redactor,
            tape: options.tape,
        };
        let mut store = new_store(runtime, http, label);
        let deadline = runtime.limits.call_deadline;
        store.set_epoch_deadline(deadline_ticks(deadline));
        let visible = serde_json::Value::Object(resolved.visible).to_string();
        let opened = tokio::time::timeout(deadline, async {
            let world = self.pre.instantiate_async(&mut store).await?;
            let handle = world
                .roster_connector_api()
                .session()
                .call_open(&mut store, &visible)
                .await?;
            Ok((world, handle))
        })
        .await;
        let (world, handle) = classify(&store, deadline, opened).map_err(OpenError::Call)?;
        let handle = handle.map_err(|e| OpenError::Call(CallError::Connector(e)))?;
        Ok(Session {
            store,
            world,
            handle: Some(handle),
            deadline,
            manifest,
        })
    }
}

impl Session {
    /// The connector's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Proves the config works and reports what it enables.
    pub async fn check(&mut self) -> Result<CheckReport, CallError> {
        session_call!(self, false, |api, store, h| api.call_check(store, h))
    }

    /// One page of accounts from `cursor` (none: the first).
    pub async fn accounts(&mut self, cursor: Option<&str>) -> Result<AccountPage, CallError> {
        session_call!(self, false, |api, store, h| api
            .call_accounts(store, h, cursor))
    }

    /// The products with their seats.
    pub async fn products(&mut self) -> Result<Vec<Product>, CallError> {
        session_call!(self, false, |api, store, h| api.call_products(store, h))
    }

    /// One page of licences.
    pub async fn licenses(&mut self, cursor: Option<&str>) -> Result<LicensePage, CallError> {
        session_call!(self, false, |api, store, h| api
            .call_licenses(store, h, cursor))
    }

    /// One page of usage.
    pub async fn usage(&mut self, cursor: Option<&str>) -> Result<UsagePage, CallError> {
        session_call!(self, false, |api, store, h| api
            .call_usage(store, h, cursor))
    }

    /// Carries out (or with `dry_run`, plans) a provisioning action. In a
    /// dry run the host refuses every request but GET and HEAD.
    pub async fn provision(
        &mut self,
        action: &Action,
        dry_run: bool,
    ) -> Result<Outcome, CallError> {
        session_call!(self, dry_run, |api, store, h| api
            .call_provision(store, h, action, dry_run))
    }

    /// Resets the per-call state; fails if the instance was discarded.
    fn begin(&mut self, dry_run: bool) -> Result<ResourceAny, CallError> {
        let handle = self.handle.ok_or(CallError::Discarded)?;
        let data = self.store.data_mut();
        data.requests = 0;
        data.dry_run = dry_run;
        data.log_lines.store(0, Ordering::Relaxed);
        self.store.set_epoch_deadline(deadline_ticks(self.deadline));
        Ok(handle)
    }

    /// Turns a guest call's result into the API's, discarding the instance
    /// on any failure that is not the connector's own error value.
    fn finish<T>(
        &mut self,
        result: Result<wasmtime::Result<Result<T, ConnectorError>>, tokio::time::error::Elapsed>,
    ) -> Result<T, CallError> {
        self.store.data_mut().dry_run = false;
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
