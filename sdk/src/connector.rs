//! The trait a connector implements.

use crate::types::{Account, Action, CheckReport, License, Outcome, Product, Usage};
use crate::{Error, Manifest, Provisioning, Result};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

/// One page of a stream: its items and the cursor of the next page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Opaque cursor of the next page; none at the end. The host stores it
    /// as a checkpoint and passes it back unchanged.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page followed by `next_cursor`.
    pub fn new(items: Vec<T>, next_cursor: Option<String>) -> Self {
        Page { items, next_cursor }
    }

    /// The last page.
    pub fn last(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }
}

/// A Roster connector: the mapping from one upstream API to the contract.
///
/// `manifest`, `open` and `check` are required; every stream and
/// provisioning defaults to [`Error::Unsupported`]. Declare in the manifest
/// exactly the streams and actions you implement.
///
/// Methods take `&self`: a session lives across calls, so keep caches in
/// `Cell`/`RefCell`/`OnceCell` fields. Each call should make a bounded
/// number of requests (one upstream page, or one fan-out batch): return a
/// cursor and let the host call again.
pub trait Connector: Sized + 'static {
    /// The config, deserialised from the operator's JSON. Its JSON Schema
    /// (from `schemars`, doc comments included) is the manifest's config
    /// schema; mark secrets as [`Secret`](crate::Secret).
    type Config: DeserializeOwned + JsonSchema;

    /// Describes the connector. Must not make requests.
    fn manifest() -> Manifest;

    /// Opens a session with a validated config. Check what the schema cannot
    /// (a site name, a URL) and return [`Error::InvalidConfig`] naming the
    /// field; do not make requests here.
    fn open(config: Self::Config) -> Result<Self>;

    /// Proves the credentials work and reports what this config can do.
    fn check(&self) -> Result<CheckReport>;

    /// One page of accounts.
    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        let _ = cursor;
        Err(Error::unsupported("this connector does not list accounts"))
    }

    /// The products with their seats.
    fn products(&self) -> Result<Vec<Product>> {
        Err(Error::unsupported("this connector does not list products"))
    }

    /// One page of licences.
    fn licenses(&self, cursor: Option<String>) -> Result<Page<License>> {
        let _ = cursor;
        Err(Error::unsupported("this connector does not list licences"))
    }

    /// One page of usage.
    fn usage(&self, cursor: Option<String>) -> Result<Page<Usage>> {
        let _ = cursor;
        Err(Error::unsupported("this connector does not report usage"))
    }

    /// Carries out an action; send writes through `ctx` so that dry runs
    /// and real runs share one code path.
    fn provision(&self, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
        let _ = ctx;
        Err(Error::unsupported(format_args!(
            "this connector does not support {:?}",
            action.kind()
        )))
    }
}
