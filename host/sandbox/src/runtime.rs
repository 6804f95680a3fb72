//! The runtime: one wasmtime engine, the compiled-component cache, the
//! shared HTTP gateway; loading components and opening sessions of them.

use crate::cache::{ComponentCache, compile_uncached, sha256_hex};
use crate::component::Component;
use crate::contract::{API_INTERFACE, Pre, SUPPORTED_VERSIONS};
use crate::http::{BudgetLimits, Gateway, Health, HttpLimits, NetworkPolicy, SessionHttp, Tape};
use crate::imports::{self, State};
use crate::limits::{EPOCH_TICK, Limits};
use crate::manifest::{ConfigRejected, Manifest};
use crate::session::{self, CallError, Session};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

/// Everything an operator can set about running connectors.
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    /// Where compiled components are cached; none compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Network switches (private addresses).
    pub network: NetworkPolicy,
    /// Host HTTP limits.
    pub http: HttpLimits,
    /// Per-call limits of connector instances.
    pub limits: Limits,
    /// Request budget of every upstream host.
    pub budget: BudgetLimits,
    /// Request budgets of particular hosts, by host name.
    pub budget_overrides: HashMap<String, BudgetLimits>,
}

/// Options of one session.
#[derive(Debug, Default)]
pub struct SessionOptions {
    /// Record the session's exchanges to a file, or replay them from one.
    pub tape: Option<Tape>,
    /// A label for the logs (a sync run id, say).
    pub label: Option<String>,
}

/// Why a component cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not the pinned component.
    #[error(
        "the component's SHA-256 is {found}, not the pinned {pinned}; refusing to compile or \
         run a component that changed"
    )]
    Pin {
        /// The pinned SHA-256.
        pinned: String,
        /// The component's.
        found: String,
    },
    /// The bytes are not a valid component.
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// The component exports no Roster connector API.
    #[error("not a Roster connector: it does not export `{API_INTERFACE}`")]
    NotAConnector,
    /// Built against a contract version this host does not run.
    #[error(
        "built against roster:connector@{found}, which this host does not support \
         (supported: {}); rebuild the connector against a supported version",
        SUPPORTED_VERSIONS.join(", ")
    )]
    UnsupportedVersion {
        /// The version it was built against.
        found: String,
    },
    /// It needs imports the host does not provide.
    #[error("the connector needs imports this host does not provide: {0}")]
    Link(String),
    /// Its manifest is unusable.
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// It failed while describing itself.
    #[error("the connector failed to describe itself: {0}")]
    Describe(String),
}

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

/// Longest a component may take to describe itself when it is loaded.
const DESCRIBE_DEADLINE: Duration = Duration::from_secs(10);

/// The shared machinery for running connectors.
pub struct Runtime {
    engine: Engine,
    linker: Linker<State>,
    gateway: Arc<Gateway>,
    limits: Limits,
    cache: Option<ComponentCache>,
    ticker_stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("cache_dir", &self.cache.as_ref().map(ComponentCache::dir))
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// A runtime: configures the engine (component model, async, epoch
    /// interruption), links WASI p2 granting nothing plus the Roster
    /// imports, and starts the epoch ticker.
    pub fn new(options: RuntimeOptions) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true);
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        imports::add_to_linker(&mut linker)?;
        let gateway = Gateway::new(
            options.network,
            options.http,
            options.budget,
            options.budget_overrides,
        )?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        let (weak, stop) = (engine.weak(), ticker_stop.clone());
        std::thread::Builder::new()
            .name("roster-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        let cache = options.cache_dir.and_then(ComponentCache::open);
        Ok(Runtime {
            engine,
            linker,
            gateway: Arc::new(gateway),
            limits: options.limits,
            cache,
            ticker_stop,
        })
    }

    /// Loads a component from a file.
    pub async fn load_file(&self, path: &Path) -> Result<Component, LoadError> {
        self.load_file_pinned(path, None).await
    }

    /// Loads a component from a file, refusing it unless its SHA-256 is
    /// `pin` (when given), before anything of it is compiled or run.
    pub async fn load_file_pinned(
        &self,
        path: &Path,
        pin: Option<&str>,
    ) -> Result<Component, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.load_bytes_pinned(&bytes, pin).await
    }

    /// Loads a component from bytes: compiles it (or takes the compiled
    /// artifact from the cache), checks its contract version, links it and
    /// reads its manifest.
    pub async fn load_bytes(&self, bytes: &[u8]) -> Result<Component, LoadError> {
        self.load_bytes_pinned(bytes, None).await
    }

    /// [`load_bytes`](Runtime::load_bytes), refusing the bytes unless
    /// their SHA-256 is `pin` (when given), before anything of them is
    /// compiled or run.
    pub async fn load_bytes_pinned(
        &self,
        bytes: &[u8],
        pin: Option<&str>,
    ) -> Result<Component, LoadError> {
        let sha256 = sha256_hex(bytes);
        if let Some(pin) = pin.filter(|p| !p.eq_ignore_ascii_case(&sha256)) {
            return Err(LoadError::Pin {
                pinned: pin.to_owned(),
                found: sha256,
            });
        }
        let compiled = match &self.cache {
            Some(cache) => cache.compile(&self.engine, bytes, &sha256),
            None => compile_uncached(&self.engine, bytes),
        }
        .map_err(LoadError::Invalid)?;
        let version = contract_version(&self.engine, &compiled)?;
        let instance_pre = self
            .linker
            .instantiate_pre(&compiled)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let pre = Pre::new(version, instance_pre).map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let store = session::new_store(
            &self.engine,
            State::new(
                self.limits,
                self.gateway.clone(),
                SessionHttp::default(),
                Arc::from("(loading)"),
            ),
        );
        let deadline = self.limits.call_deadline.min(DESCRIBE_DEADLINE);
        let raw = session::describe(store, &pre, deadline)
            .await
            .map_err(|e| LoadError::Describe(e.to_string()))?;
        let manifest = Manifest::validate(raw).map_err(LoadError::Manifest)?;
        Ok(Component {
            pre,
            manifest: Arc::new(manifest),
            sha256,
            version,
        })
    }

    /// Validates `config` against the component's schema, resolves the
    /// network policy from it, starts a sandboxed instance and opens the
    /// connector's session with the config the connector may see (see
    /// [`Manifest::resolve`]).
    pub async fn open(
        &self,
        component: &Component,
        config: &serde_json::Value,
        options: SessionOptions,
    ) -> Result<Session, OpenError> {
        let manifest = component.manifest.clone();
        let resolved = manifest.resolve(config)?;
        let label: Arc<str> = match &options.label {
            Some(l) => format!("{}/{l}", manifest.raw().id).into(),
            None => manifest.raw().id.as_str().into(),
        };
        let http = SessionHttp {
            policy: resolved.policy,
            redactor: resolved.redactor,
            tape: options.tape,
            health: Health::default(),
        };
        let store = session::new_store(
            &self.engine,
            State::new(self.limits, self.gateway.clone(), http, label),
        );
        let visible = serde_json::Value::Object(resolved.visible).to_string();
        Session::open(
            store,
            &component.pre,
            &visible,
            self.limits.call_deadline,
            manifest,
        )
        .await
        .map_err(OpenError::Call)
    }
}

/// The contract version a component exports, if this host supports it.
fn contract_version(
    engine: &Engine,
    component: &wasmtime::component::Component,
) -> Result<&'static str, LoadError> {
    let prefix = format!("{API_INTERFACE}@");
    let ty = component.component_type();
    let found = ty
        .exports(engine)
        .find_map(|(name, _)| name.strip_prefix(&prefix).map(str::to_owned))
        .ok_or(LoadError::NotAConnector)?;
    SUPPORTED_VERSIONS
        .iter()
        .find(|v| **v == found)
        .copied()
        .ok_or(LoadError::UnsupportedVersion { found })
}
