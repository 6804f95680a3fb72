//! The Roster host: runs connectors (WebAssembly components conforming to
//! the `roster:connector` contract) in a sandbox and makes their HTTP
//! requests for them.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use roster_host::{Runtime, RuntimeOptions, SessionOptions};
//!
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! let connector = runtime.load_file("jira.wasm".as_ref()).await?;
//! let config = serde_json::json!({ "site": "acme", "email": "a@acme.com", "api_token": "..." });
//! let mut session = connector.open(&runtime, &config, SessionOptions::default()).await?;
//! let page = session.accounts(None).await?;
//! println!("{} accounts, more: {}", page.items.len(), page.next_cursor.is_some());
//! # Ok(()) }
//! ```
//!
//! Layers, each owning one thing: [`runtime`] (engine, component cache,
//! loading), [`session`] (instances, per-call limits, the imports),
//! [`manifest`] and [`config`] (what a connector declares, what an operator
//! configures), [`policy`] (where requests may go), [`http`] (the one path
//! every request takes), [`secret`] (values that never print), [`store`]
//! (what connectors reported, by generation) and [`sync`] (the page loop
//! that fills it).
#![deny(missing_docs)]

pub mod builtin;
pub mod config;
pub mod contract;
pub mod http;
pub mod manifest;
pub mod policy;
pub mod report;
pub mod runtime;
pub mod secret;
pub mod session;
pub mod settings;
pub mod store;
pub mod sync;

pub use http::{BudgetLimits, HttpLimits, NetworkPolicy, Tape};
pub use runtime::{Connector, LoadError, Runtime, RuntimeOptions};
pub use session::{CallError, Limits, OpenError, Session, SessionOptions};
