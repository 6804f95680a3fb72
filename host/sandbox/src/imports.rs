//! The host side of the Roster imports: what a connector instance's
//! `http.send`, `http.send-all` and `log` calls do, and the per-instance
//! state they work on.

use crate::contract::v0_2_0::roster::connector::{http as http_import, log as log_import};
use crate::contract::{HttpError, Level, Request, Response, v0_1_0, v0_2_0};
use crate::guest_log::{GuestOutput, LogBudget};
use crate::http::{Absorbed, BodyBudget, Gateway, SessionHttp, method_name};
use crate::journal::{Write, WriteJournal};
use crate::limits::{Limits, MemoryLimiter};
use futures::future::join_all;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// What a call may write.
#[derive(Clone)]
pub(crate) enum Writes {
    /// Nothing: every call but `provision` only reads.
    Refused,
    /// A dry run's writes, refused with `dry-run` (the connector plans them).
    Planned,
    /// A real `provision`'s writes, sent, each recorded first in the
    /// journal when there is one.
    Sent(Option<Arc<dyn WriteJournal>>),
}

/// The store data of a connector instance.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) memory: MemoryLimiter,
    gateway: Arc<Gateway>,
    http: Arc<SessionHttp>,
    pub(crate) connector: Arc<str>,
    limits: Limits,
    /// Requests made by the current call.
    requests: u32,
    /// What the current call may write.
    writes: Writes,
    /// When the current call must have returned.
    pub(crate) call_ends: std::time::Instant,
    log: LogBudget,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl State {
    /// The state of a new instance labelled `connector` in the logs,
    /// sending through `gateway` under `http`'s policy.
    pub(crate) fn new(
        limits: Limits,
        gateway: Arc<Gateway>,
        http: SessionHttp,
        connector: Arc<str>,
    ) -> Self {
        let log = LogBudget::new(limits);
        let redactor = Arc::new(http.redactor.clone());
        let output = |stream: &'static str| GuestOutput {
            connector: connector.clone(),
            stream,
            budget: log.clone(),
            redactor: redactor.clone(),
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
            memory: MemoryLimiter::new(limits.memory_bytes),
            gateway,
            http: Arc::new(http),
            connector,
            limits,
            requests: 0,
            writes: Writes::Refused,
            call_ends: std::time::Instant::now(),
            log,
        }
    }

    /// Resets the per-call budgets before a call that may make `writes`.
    pub(crate) fn begin_call(&mut self, writes: Writes) {
        self.requests = 0;
        self.writes = writes;
        self.log.reset();
    }

    /// What the host absorbed for this instance's requests since it was
    /// last asked.
    pub(crate) fn absorbed(&self) -> Absorbed {
        self.http.health.take()
    }

    /// Ends the call: no writes until the next `provision`.
    pub(crate) fn end_call(&mut self) {
        self.writes = Writes::Refused;
    }

    /// Counts a request against the call's limit and applies the dry-run
    /// guard.
    fn admit(&mut self, request: &Request) -> Result<(), HttpError> {
        if self.requests >= self.limits.requests_per_call {
            return Err(HttpError::RequestLimit(self.limits.requests_per_call));
        }
        self.requests += 1;
        if self.is_read(request) {
            return Ok(());
        }
        let what = || {
            format!(
                "{} {}",
                method_name(request.method),
                self.http.redactor.text(&request.url)
            )
        };
        match &self.writes {
            Writes::Sent(None) => Ok(()),
            Writes::Sent(Some(journal)) => {
                let write = Write::of(request, &self.http.redactor);
                journal.record(&write).map_err(|e| {
                    HttpError::Denied(format!(
                        "{}: not sent, because the journal could not record it: {e}",
                        what()
                    ))
                })
            }
            Writes::Planned => Err(HttpError::DryRun(what())),
            Writes::Refused => Err(HttpError::Denied(format!(
                "{}: only `provision` may write; this call may send `GET`, `HEAD` and the \
                 `POST`s the manifest declares as reads",
                what()
            ))),
        }
    }
}

impl State {
    /// Whether a request only reads (see [`SessionPolicy::is_read`]).
    ///
    /// [`SessionPolicy::is_read`]: crate::policy::SessionPolicy::is_read
    fn is_read(&self, request: &Request) -> bool {
        url::Url::parse(&request.url)
            .is_ok_and(|url| self.http.policy.is_read(request.method, &url))
    }
}

impl State {
    /// The budget of answer bytes one `send` or `send-all` may hold: half
    /// the instance's memory cap, so that what it delivers fits into the
    /// guest beside what the guest holds already.
    fn body_budget(&self) -> Arc<BodyBudget> {
        BodyBudget::new(self.limits.memory_bytes as u64 / 2)
    }
}

impl http_import::Host for State {
    async fn send(&mut self, request: Request) -> Result<Response, HttpError> {
        self.admit(&request)?;
        let bodies = self.body_budget();
        let (response, _held) = self.gateway.send(&self.http, request, &bodies).await?;
        Ok(response)
    }

    /// Runs a batch concurrently: at most [`Limits::batch_requests`] of
    /// them (those past it are refused unsent), their answers together
    /// within one body budget, all held until the last is in.
    async fn send_all(&mut self, requests: Vec<Request>) -> Vec<Result<Response, HttpError>> {
        let cap = self.limits.batch_requests as usize;
        let admitted: Vec<Result<Request, HttpError>> = requests
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                if i >= cap {
                    return Err(HttpError::Denied(format!(
                        "a batch may hold at most {cap} requests; send the rest in another batch"
                    )));
                }
                self.admit(&r).map(|()| r)
            })
            .collect();
        let bodies = self.body_budget();
        let (gateway, http) = (&self.gateway, &self.http);
        let answers = join_all(admitted.into_iter().map(|r| {
            let bodies = &bodies;
            async move {
                match r {
                    Ok(request) => gateway.send(http, request, bodies).await,
                    Err(e) => Err(e),
                }
            }
        }))
        .await;
        // Each answer held its bytes until the whole batch was in.
        answers
            .into_iter()
            .map(|a| a.map(|(response, _held)| response))
            .collect()
    }
}

impl log_import::Host for State {
    async fn log(&mut self, level: Level, message: String) {
        let Some(message) = self.log.take(&message) else {
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

impl v0_2_0::roster::connector::types::Host for State {}

/// The 0.1.0 imports: the same calls, through the adapter's conversions.
impl v0_1_0::roster::connector::http::Host for State {
    async fn send(
        &mut self,
        request: v0_1_0::roster::connector::http::Request,
    ) -> Result<v0_1_0::roster::connector::http::Response, v0_1_0::roster::connector::http::HttpError>
    {
        let answer = http_import::Host::send(self, request.into()).await;
        answer.map(Into::into).map_err(Into::into)
    }

    async fn send_all(
        &mut self,
        requests: Vec<v0_1_0::roster::connector::http::Request>,
    ) -> Vec<
        Result<
            v0_1_0::roster::connector::http::Response,
            v0_1_0::roster::connector::http::HttpError,
        >,
    > {
        let requests = requests.into_iter().map(Into::into).collect();
        let answers = http_import::Host::send_all(self, requests).await;
        answers
            .into_iter()
            .map(|a| a.map(Into::into).map_err(Into::into))
            .collect()
    }
}

impl v0_1_0::roster::connector::log::Host for State {
    async fn log(&mut self, level: v0_1_0::roster::connector::log::Level, message: String) {
        log_import::Host::log(self, level.into(), message).await;
    }
}

impl v0_1_0::roster::connector::types::Host for State {}

/// Links WASI p2 (granting nothing; see [`State::new`]) and the Roster
/// imports (`http`, `log`, `types`) of every supported contract version.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> anyhow::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    v0_1_0::Connector::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    v0_2_0::Connector::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    Ok(())
}
