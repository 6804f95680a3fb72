//! An offline twin of the Atlassian Cloud APIs Roster's connectors use.
//!
//! One organisation is generated from a seed and a head count: people,
//! apps and portal customers with Atlassian account ids in the real
//! formats, groups, product access to Jira Software, Jira Service
//! Management, Confluence, Trello and Bitbucket, last-active times and
//! seats. The simulator serves it over loopback with the real paths, auth
//! schemes, paging styles, field names and error shapes of the Admin API,
//! the user-management API, SCIM, Jira, Confluence, Trello and Bitbucket.
//! Provisioning changes what later reads return, misbehaviour (rate
//! limits, server errors, latency, truncated bodies, dropped connections)
//! can be switched on, every request is logged, and the organisation itself
//! is the ground truth tests compare with.
//!
//! ```no_run
//! # async fn demo() -> Result<(), atlassian_sim::StartError> {
//! use atlassian_sim::{SimOptions, Simulator};
//!
//! let sim = Simulator::start(SimOptions { seed: 7, people: 1_000, ..SimOptions::default() }).await?;
//! println!("Jira at {} as {}", sim.urls().site, sim.credentials().admin_email);
//! let holders = sim.org().seats_used(atlassian_sim::ProductKey::Confluence);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![allow(
    clippy::result_large_err,
    reason = "handlers answer errors as responses, the way axum handlers do"
)]

mod api;
pub mod auth;
pub mod behaviour;
pub mod generate;
pub mod model;
pub mod respond;
pub mod rng;
pub mod roster_config;
pub mod server;

pub use auth::Credentials;
pub use behaviour::{Behaviour, RateLimit};
pub use model::{
    AccountType, Group, InstanceId, Org, Person, Product, ProductKey, Role, Site, Status,
};
pub use server::{LoggedRequest, SimOptions, Simulator, StartError, Upstream, Urls};
