//! The Roster sandbox: runs connectors (WebAssembly components conforming
//! to the `roster:connector` contract) with no network, disk or secrets of
//! their own, and makes their HTTP requests for them.
//!
//! It knows nothing of an operator's configuration file, a store or a
//! command line: it loads components, opens sessions of them with a
//! config, and runs their calls under limits. The operator's application
//! (`roster-app`) stands on it.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use roster_sandbox::{Runtime, RuntimeOptions, SessionOptions};
//!
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! let component = runtime.load_file("jira.wasm".as_ref()).await?;
//! let config = serde_json::json!({ "site": "acme", "email": "a@acme.com", "api_token": "..." });
//! let mut session = runtime.open(&component, &config, SessionOptions::default()).await?;
//! let page = session.accounts(None).await?;
//! println!("{} accounts, more: {}", page.items.len(), page.next_cursor.is_some());
//! # Ok(()) }
//! ```
//!
//! Modules, each owning one thing: [`runtime`] (the engine, loading,
//! opening sessions), [`component`] (a loaded component), [`session`]
//! (calls into an instance under its [`limits`]), [`manifest`] and
//! [`config_schema`] (what a connector declares, what a config must be),
//! [`policy`] (where requests may go), [`http`] (the one path every request
//! takes), [`secret`] (values that never print) and [`contract`] (the WIT
//! types, per contract version).
#![deny(missing_docs)]

mod cache;
pub mod component;
pub mod config_schema;
pub mod contract;
mod guest_log;
pub mod http;
mod imports;
pub mod journal;
pub mod limits;
pub mod manifest;
pub mod policy;
pub mod runtime;
pub mod secret;
pub mod session;

pub use component::Component;
pub use http::{
    Absorbed, BudgetLimits, HttpLimits, KNOWN_QUOTAS, NetworkPolicy, Quota, Retries, Tape, backoff,
};
pub use journal::{Write, WriteJournal};
pub use limits::Limits;
pub use runtime::{LoadError, OpenError, Runtime, RuntimeOptions, SessionOptions};
pub use session::{CallError, Session};
