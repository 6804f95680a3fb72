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
//! # Multi-site organisations
//!
//! With [`SimOptions::multi_site`] (the binary's `--multi-site`) the
//! organisation has, besides its main site, a second production site
//! (`<site>-eu`, with Jira Software and Confluence) and a sandbox
//! (`<site>-sandbox`, with Jira Software); see [`generate`]. What people
//! hold is then a seat of one *product instance* ([`InstanceId`]), and the
//! ground truth answers per instance ([`Org::access_on`],
//! [`Org::holders_on`], [`Org::is_billable_on`], [`Org::seats_used_on`],
//! [`Person::last_active_on`], [`Org::instances_of`]); the ProductKey-level
//! ground truth means the main site's instance.
//!
//! What it serves: the Admin API lists every instance as a workspace
//! (`hostUrl`, `sandbox.type` `CHILD` or `NONE`, usage and capacity),
//! reports product access, role assignments and last-active dates per
//! instance by ARI, filters `resourceIds` and `roleIds` per instance,
//! takes any instance's resource in invitations, and group membership
//! changes (through any API) change access on the instances the group
//! grants.
//!
//! What it does not: the extra sites have no listener, so Jira and
//! Confluence answer for the main site only (their application roles,
//! seats, licences and group-granted access are the main site's
//! instances'; every group of the organisation is listed there). The
//! extra sites have no Jira Service Management, and Trello and Bitbucket
//! stay one workspace each. The workspace search's `query` and `sort`
//! still select and order nothing.
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
pub mod ground_truth;
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
