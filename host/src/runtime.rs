//! The runtime: one wasmtime engine, the compiled-component cache, the
//! shared HTTP gateway, and loading connectors from files or bytes.

use crate::contract::{API_INTERFACE, SUPPORTED_VERSIONS, WorldPre};
use crate::http::{BudgetLimits, Gateway, HttpLimits, NetworkPolicy};
use crate::manifest::Manifest;
use crate::session::{self, Limits};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

/// How often the epoch advances; call deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

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

/// The shared machinery for running connectors.
pub struct Runtime {
    pub(crate) engine: Engine,
    linker: Linker<session::State>,
    pub(crate) gateway: Arc<Gateway>,
    pub(crate) limits: Limits,
    cache_dir: Option<PathBuf>,
    ticker_stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("cache_dir", &self.cache_dir)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// A loaded connector: compiled, linked, its manifest read and checked.
/// Cheap to share; open any number of sessions from it.
pub struct Connector {
    pub(crate) pre: WorldPre<session::State>,
    manifest: Arc<Manifest>,
    sha256: String,
    version: &'static str,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("id", &self.manifest.raw().id)
            .field("sha256", &self.sha256)
            .field("contract", &self.version)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// The checked manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub(crate) fn manifest_arc(&self) -> Arc<Manifest> {
        self.manifest.clone()
    }

    /// SHA-256 of the component bytes, hex; operators pin components by it.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The contract version the component was built against.
    pub fn contract_version(&self) -> &'static str {
        self.version
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
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        session::add_roster_imports(&mut linker)?;
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
        if let Some(dir) = &options.cache_dir {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Runtime {
            engine,
            linker,
            gateway: Arc::new(gateway),
            limits: options.limits,
            cache_dir: options.cache_dir,
            ticker_stop,
        })
    }

    /// Loads a component from a file.
    pub async fn load_file(&self, path: &Path) -> Result<Connector, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.load_bytes(&bytes).await
    }

    /// Loads a component from bytes: compiles it (or takes the compiled
    /// artifact from the cache), checks its contract version, links it and
    /// reads its manifest.
    pub async fn load_bytes(&self, bytes: &[u8]) -> Result<Connector, LoadError> {
        let sha256 = hex(&Sha256::digest(bytes));
        let component = self.compile(bytes, &sha256)?;
        let version = contract_version(&self.engine, &component)?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let pre = WorldPre::new(instance_pre).map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let raw = session::describe(self, &pre)
            .await
            .map_err(|e| LoadError::Describe(e.to_string()))?;
        let manifest = Manifest::validate(raw).map_err(LoadError::Manifest)?;
        Ok(Connector {
            pre,
            manifest: Arc::new(manifest),
            sha256,
            version,
        })
    }

    /// A compiled component, from the cache when present. The cache key is
    /// the content hash plus the engine's compatibility hash, so a new
    /// wasmtime or new compiler settings never load a stale artifact.
    fn compile(&self, bytes: &[u8], sha256: &str) -> Result<Component, LoadError> {
        let Some(dir) = &self.cache_dir else {
            return Component::new(&self.engine, bytes)
                .map_err(|e| LoadError::Invalid(format!("{e:#}")));
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        let path = dir.join(format!("{sha256}-{:016x}.cwasm", hasher.finish()));
        if path.exists() {
            // SAFETY: the file is one this host wrote into its own cache
            // directory (atomically, below), keyed by content and engine;
            // wasmtime re-checks its header and compatibility on load.
            match unsafe { Component::deserialize_file(&self.engine, &path) } {
                Ok(component) => return Ok(component),
                Err(e) => {
                    tracing::warn!("discarding unusable cache entry {}: {e:#}", path.display())
                }
            }
        }
        let compiled = self
            .engine
            .precompile_component(bytes)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        if let Err(e) = write_atomically(dir, &path, &compiled) {
            tracing::warn!(
                "could not cache the compiled component in {}: {e}",
                dir.display()
            );
        }
        // SAFETY: `compiled` was produced just now by this engine.
        unsafe { Component::deserialize(&self.engine, &compiled) }
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))
    }
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The contract version a component exports, if this host supports it.
fn contract_version(engine: &Engine, component: &Component) -> Result<&'static str, LoadError> {
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
