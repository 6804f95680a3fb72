//! What every command shares: the operator's settings, the runtime, the
//! connectors they enable, and the store.

use anyhow::{Context, Result};
use roster_app::builtin;
use roster_app::reports::Prices;
use roster_app::roster_toml::{ComponentRef, ConfiguredConnector, RosterToml, RosterTomlError};
use roster_app::store::Store;
use roster_app::store::sqlite::SqliteStore;
use roster_app::sync_lock::SyncLock;
use roster_sandbox::{
    Component, LoadError, NetworkPolicy, OpenError, Runtime, RuntimeOptions, Session,
    SessionOptions,
};
use std::path::{Path, PathBuf};

/// An error the operator fixes in the config: the command exits with 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigProblem(pub String);

/// The exit code for an error: 2 for config problems, 1 otherwise.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    let config = error.chain().any(|e| {
        e.is::<ConfigProblem>()
            || e.is::<RosterTomlError>()
            || matches!(e.downcast_ref::<OpenError>(), Some(OpenError::Config(_)))
    });
    if config { 2 } else { 1 }
}

/// Whether `error` is stdout closed by its reader (`roster … | head`),
/// which ends a command quietly, as it does other Unix tools.
pub fn is_closed_output(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The settings and runtime of one invocation.
pub struct App {
    /// The loaded `roster.toml` (empty when the file is optional and absent).
    pub settings: RosterToml,
    /// The runtime every connector runs in.
    pub runtime: Runtime,
}

impl App {
    /// Loads `roster.toml` from `path`. With `required` false a missing
    /// file means no configured connectors.
    pub fn load(path: &Path, required: bool) -> Result<App> {
        let settings = if !required && !path.exists() {
            RosterToml::parse("", path, &is_builtin, &|_| None)?
        } else if !path.exists() {
            return Err(ConfigProblem(format!(
                "{}: no such file; create it (`roster init <component>` prints a documented \
                 stanza) or pass --config PATH",
                path.display()
            ))
            .into());
        } else {
            RosterToml::load(path, &is_builtin)?
        };
        let runtime = Runtime::new(RuntimeOptions {
            cache_dir: cache_dir(),
            network: NetworkPolicy {
                allow_private: settings.allow_private,
            },
            ..RuntimeOptions::default()
        })?;
        Ok(App { settings, runtime })
    }

    /// The configured instances named in `names`, or every one when empty.
    pub fn selected(&self, names: &[String]) -> Result<Vec<&ConfiguredConnector>> {
        if names.is_empty() {
            return Ok(self.settings.connectors.iter().collect());
        }
        names
            .iter()
            .map(|n| {
                self.settings.connector(n).ok_or_else(|| {
                    let known: Vec<&str> = self
                        .settings
                        .connectors
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect();
                    ConfigProblem(format!(
                        "{}: no connector `{n}` is configured (configured: {})",
                        self.settings.file.display(),
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ))
                    .into()
                })
            })
            .collect()
    }

    /// Loads the component of a configured instance, checking its pin
    /// before anything of it is compiled or run.
    pub async fn component(&self, c: &ConfiguredConnector) -> Result<Component> {
        let pin = c.sha256.as_deref();
        let in_config = |e: LoadError| {
            ConfigProblem(format!(
                "{}: connector `{}`: {}: {e}",
                self.settings.file.display(),
                c.name,
                if matches!(e, LoadError::Pin { .. }) {
                    "sha256"
                } else {
                    "component"
                }
            ))
        };
        let component = match &c.component {
            ComponentRef::Builtin(id) => {
                let bytes = builtin::get(id).context("built-in connectors are compiled in")?;
                match self.runtime.load_bytes_pinned(bytes, pin).await {
                    Err(e @ LoadError::Pin { .. }) => return Err(in_config(e).into()),
                    other => other?,
                }
            }
            ComponentRef::File(path) => self
                .runtime
                .load_file_pinned(path, pin)
                .await
                .map_err(in_config)?,
        };
        Ok(component)
    }

    /// Opens a session of a configured instance, its config validated.
    pub async fn open(&self, c: &ConfiguredConnector, component: &Component) -> Result<Session> {
        let config = self.settings.config_of(c)?;
        self.runtime
            .open(
                component,
                config,
                SessionOptions {
                    label: Some(c.name.clone()),
                    ..SessionOptions::default()
                },
            )
            .await
            .map_err(|e| match e {
                OpenError::Config(rejected) => ConfigProblem(format!(
                    "{}: connector `{}`: config: {rejected}",
                    self.settings.file.display(),
                    c.name
                ))
                .into(),
                other => anyhow::Error::new(other).context(format!("connector `{}`", c.name)),
            })
    }

    /// Locks the sync of connector instance `name` into the store (see
    /// [`SyncLock`]); with `wait`, once another sync of it has finished.
    pub fn sync_lock(&self, name: &str, wait: bool) -> Result<SyncLock> {
        self.store_dir()?;
        Ok(SyncLock::acquire(&self.settings.store, name, wait)?)
    }

    /// Opens the store.
    pub fn store(&self) -> Result<Box<dyn Store>> {
        self.store_dir()?;
        Ok(Box::new(SqliteStore::open(&self.settings.store)?))
    }

    /// Creates the directory the store lives in.
    fn store_dir(&self) -> Result<()> {
        if let Some(dir) = self
            .settings
            .store
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        Ok(())
    }

    /// Seat prices per product, from every instance's `seat_price`.
    pub fn prices(&self) -> Prices {
        self.settings
            .connectors
            .iter()
            .flat_map(|c| c.seat_price.iter().map(|(k, v)| (k.clone(), *v)))
            .collect()
    }
}

/// Whether `id` names a built-in connector.
pub fn is_builtin(id: &str) -> bool {
    builtin::get(id).is_some()
}

/// `$XDG_CACHE_HOME/roster`, else `~/.cache/roster`.
fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("roster"))
}
