//! What every Roster connector for an Atlassian product shares, so that a
//! connector crate is only the mapping from its product's API to the
//! contract.
//!
//! - [`rest`]: an Atlassian REST API at its configured base URL: the URLs
//!   of its paths, and requests that carry the connector's credential and
//!   read Atlassian error bodies.
//! - [`errors`]: Atlassian error bodies, and the missing permission of a
//!   refusal.
//! - [`paging`]: the paging styles of Atlassian APIs (Jira's `PageBean`,
//!   Confluence v1's `start` pages, the Admin API's cursors, Bitbucket's
//!   and Confluence v2's next links) and a batched reader of many counted
//!   listings at once.
//! - [`products`], [`groups`], [`roles`], [`ari`]: the product vocabulary:
//!   canonical keys and names, default groups, billable roles and their
//!   ranks, instance ARIs.
//! - [`accounts`]: account types, and the user the site APIs return.
//! - [`directory`]: a site's group memberships, read group by group, and
//!   a session's policy for reading them.
//! - [`access`]: granting and revoking access through group membership.
//! - [`site`]: a Jira or Confluence site: the config and manifest of its
//!   connector, its base URL and cloud id, the permissions a check names.
//! - [`admin`]: the Atlassian Administration API's shapes and reads, for
//!   every connector that asks the organization.
//!
//! What is not Atlassian's (position paging, SCIM, fan-out over
//! `send_all`, session caches) is in `roster-sdk`.
#![deny(missing_docs)]

pub mod access;
pub mod accounts;
pub mod admin;
pub mod ari;
pub mod directory;
pub mod errors;
pub mod groups;
pub mod paging;
pub mod products;
pub mod rest;
pub mod roles;
pub mod site;

pub use groups::GroupRef;
pub use rest::Rest;
