//! The operator's application on the Roster sandbox: `roster.toml`, sync
//! into a store, reports, and the `roster` command.
//!
//! Modules, each owning one thing: [`roster_toml`] (the operator's config
//! file), [`builtin`] (the connectors compiled in), [`sync`] (the page
//! loop that fills the store), [`sync_lock`] (one sync per connector at a
//! time), [`store`] (what connectors reported, behind one interface, with
//! its SQLite implementation), [`reports`] (what an operator reads from
//! it) and [`access`] (plans of access changes, applied onto the audit
//! log). The sandbox itself is `roster-sandbox`; nothing
//! here reaches into it beyond its public API.
#![deny(missing_docs)]

pub mod access;
pub mod builtin;
pub mod reports;
pub mod roster_toml;
pub mod store;
pub mod sync;
pub mod sync_lock;
