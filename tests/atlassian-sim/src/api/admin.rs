//! The Atlassian Administration (organizations) REST API on
//! `api.atlassian.com/admin`: the v2 directory (users, groups and the
//! product roles they grant, memberships, suspension, removal,
//! invitations), v2 workspaces, and the v1 endpoints
//! still in use (orgs, managed accounts, last-active dates, the v1
//! directory writes).
//!
//! Authentication is a Bearer organisation API key; the key created with
//! scopes works here as well. Anything else is refused by the gateway with
//! `401 {"code":401,"message":"Unauthorized"}`. An unknown organisation id
//! is `404 ADMIN-404-2` (the code the published document gives for
//! "Organization not found").
//!
//! What the directory holds: the v2 user endpoints list accounts of type
//! `atlassian` only (the v2 `accountType` enumeration has no other value;
//! apps and portal customers are not directory members) that have not
//! been removed from the directory ([`crate::model::Org::removed`]).
//!
//! Product instances: this API serves every instance of the organisation
//! ([`crate::model::Org::products`]), those of every site and sandbox. A
//! workspace, a `productAccess` entry, a last-active date and a role
//! assignment each name one instance by its ARI
//! ([`crate::model::Product::ari`]); `resourceIds` and `permissionRules`
//! take an instance's ARI or its workspace id. The main site's instances
//! report the simulator's site listener as `hostUrl` (Confluence under
//! `/wiki`); the other sites have no listener, and report their
//! `https://<subdomain>.atlassian.net` address.

mod directory;
mod lifecycle;
mod orgs;
mod users;
pub(super) mod wire;
mod workspaces;

use crate::model::{InstanceId, NoSeatLeft, Org, Person, ProductKey, Status};
use crate::respond;
use crate::server::Shared;
use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{delete, get, post};
use std::sync::Arc;

/// The routes of this API.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/admin/v1/orgs", get(orgs::list))
        .route("/admin/v1/orgs/{org_id}", get(orgs::one))
        .route("/admin/v1/orgs/{org_id}/users", get(orgs::managed_accounts))
        .route(
            "/admin/v1/orgs/{org_id}/directory/users/{account_id}/last-active-dates",
            get(orgs::last_active_dates),
        )
        .route(
            "/admin/v1/orgs/{org_id}/directory/users/{account_id}",
            delete(lifecycle::remove_v1),
        )
        .route(
            "/admin/v1/orgs/{org_id}/directory/users/{account_id}/suspend-access",
            post(lifecycle::suspend_v1),
        )
        .route(
            "/admin/v1/orgs/{org_id}/directory/users/{account_id}/restore-access",
            post(lifecycle::restore_v1),
        )
        .route(
            "/admin/v1/orgs/{org_id}/directory/groups/{group_id}/memberships",
            post(directory::add_member_v1),
        )
        .route(
            "/admin/v1/orgs/{org_id}/directory/groups/{group_id}/memberships/{account_id}",
            delete(directory::remove_member_v1),
        )
        .route("/admin/v2/orgs/{org_id}/workspaces", post(workspaces::search))
        .route("/admin/v2/orgs/{org_id}/users/invite", post(lifecycle::invite))
        .route(
            "/admin/v2/orgs/{org_id}/directories",
            get(directory::directories),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/users",
            get(users::list),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/users/search",
            post(users::search),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/users/count",
            get(users::count),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/users/{account_id}",
            get(users::detail).delete(lifecycle::remove_v2),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/users/{account_id}/role-assignments",
            get(users::role_assignments),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/users/{account_id}/suspend",
            post(lifecycle::suspend_v2),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/users/{account_id}/restore",
            post(lifecycle::restore_v2),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/groups",
            get(directory::groups),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/groups/{group_id}/role-assignments",
            get(directory::role_assignments),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/groups/{group_id}/memberships",
            post(directory::add_member_v2),
        )
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/groups/{group_id}/memberships/{account_id}",
            delete(directory::remove_member_v2),
        )
}

/// Checks the API key, answering the gateway's 401 otherwise.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let c = &shared.credentials;
    match crate::auth::bearer(headers) {
        Some(key) if key == c.org_api_key || key == c.scoped_org_api_key => Ok(()),
        _ => Err(respond::gateway_error(401, "Unauthorized")),
    }
}

/// Checks the API key and the organisation id of the path.
fn authorise(shared: &Shared, headers: &HeaderMap, org_id: &str) -> Result<(), Response> {
    authenticate(shared, headers)?;
    if org_id == shared.credentials.org_id {
        Ok(())
    } else {
        Err(respond::admin_error(
            404,
            "ADMIN-404-2",
            "Organization not found",
            &format!("Organization {org_id} was not found"),
        ))
    }
}

/// Checks a v2 directory id: the organisation's directory, or `-` for
/// every directory the caller may manage.
fn check_directory(org: &Org, directory_id: &str) -> Result<(), Response> {
    if directory_id == "-" || directory_id == org.directory_id {
        Ok(())
    } else {
        Err(respond::admin_error(
            404,
            "ADMIN-404-1",
            "Unknown resource",
            &format!("Directory {directory_id} was not found"),
        ))
    }
}

/// The index of a member of the directory: an `atlassian` account that
/// has not been removed. Anyone else is `404 ADMIN-404-8`.
fn member(org: &Org, account_id: &str) -> Result<usize, Response> {
    org.position(account_id)
        .filter(|&p| in_directory(org, p))
        .ok_or_else(|| user_not_found(account_id))
}

/// Whether person `p` is listed in the directory.
fn in_directory(org: &Org, p: usize) -> bool {
    org.people[p].account_type == crate::model::AccountType::Atlassian && !org.removed.contains(&p)
}

/// `404 ADMIN-404-8`.
fn user_not_found(account_id: &str) -> Response {
    respond::admin_error(
        404,
        "ADMIN-404-8",
        "User not found",
        &format!("User {account_id} was not found in the organization directory"),
    )
}

/// `400 ADMIN-400-24`: the body is not what the operation takes.
fn invalid_body(detail: &str) -> Response {
    respond::admin_error(400, "ADMIN-400-24", "Invalid request body", detail)
}

/// `400 ADMIN-400-1`: a cursor the API did not hand out.
fn invalid_cursor() -> Response {
    respond::admin_error(
        400,
        "ADMIN-400-1",
        "Invalid page cursor",
        "The cursor is not valid",
    )
}

/// A change refused because a product it grants has reached its user
/// limit. The published document names no dedicated code; the simulator
/// answers `400 ADMIN-400-4` ("Invalid resource") with the limit in the
/// detail.
fn no_seat_left(e: NoSeatLeft) -> Response {
    respond::admin_error(
        400,
        "ADMIN-400-4",
        "Invalid resource",
        &format!("User limit exceeded: {e}"),
    )
}

/// The answer of the v1 directory writes: `200 {"message": ...}`.
fn message(text: String) -> respond::Reply {
    respond::ok(&wire::Message { message: text })
}

/// The instance a resource id names (its ARI or its workspace id), or
/// `400 ADMIN-400-4`.
fn instance_of_resource(org: &Org, resource: &str) -> Result<InstanceId, Response> {
    org.instance_by_resource(resource).ok_or_else(|| {
        respond::admin_error(
            400,
            "ADMIN-400-4",
            "Invalid resource",
            &format!("{resource} is not a resource of this organization"),
        )
    })
}

/// Where an instance is used, as the Admin API reports it: the site
/// listener for the main site's instances (Confluence under `/wiki`), the
/// instance's own address otherwise (see the module documentation).
fn host_url(shared: &Shared, org: &Org, instance: InstanceId) -> String {
    let product = org.instance(instance);
    match (product.site, product.key) {
        (Some(0), ProductKey::Confluence) => format!("{}/wiki", shared.urls.site),
        (Some(0), _) => shared.urls.site.clone(),
        _ => product.host_url.clone(),
    }
}

/// One page of a cursor listing over positions `0..len`.
#[derive(Debug)]
struct CursorPage {
    /// The positions on the page.
    items: Vec<usize>,
    /// Where the page before starts, if there is one.
    prev: Option<usize>,
    /// Where the page after starts, if there is one.
    next: Option<usize>,
}

impl CursorPage {
    /// The page's links, as cursors.
    fn links(&self, start: usize) -> wire::CursorLinks {
        wire::CursorLinks {
            this: Some(respond::cursor(start)),
            prev: self.prev.map(respond::cursor),
            next: self.next.map(respond::cursor),
        }
    }
}

/// Up to `limit` positions from `start` that `keep` selects. The cursor is
/// a position, so a page costs its own length plus the gap to the next
/// selected position, never a scan from the beginning.
fn cursor_page(len: usize, start: usize, limit: usize, keep: impl Fn(usize) -> bool) -> CursorPage {
    let mut items = Vec::with_capacity(limit.min(len.saturating_sub(start)));
    let mut i = start;
    while i < len && items.len() < limit {
        if keep(i) {
            items.push(i);
        }
        i += 1;
    }
    let next = (i..len).find(|&j| keep(j));
    let prev = (0..start.min(len))
        .rev()
        .filter(|&j| keep(j))
        .take(limit)
        .last();
    CursorPage { items, prev, next }
}

/// The v2 composite status of a directory member.
fn v2_status(org: &Org, p: usize) -> &'static str {
    match org.people[p].status {
        _ if org.deleting.contains(&p) => "for_deletion",
        Status::Active | Status::Invited => "active",
        Status::Suspended => "suspended",
        Status::Deactivated => "deactivated",
    }
}

/// The account's own lifecycle status (`accountStatus`, v1
/// `account_status`): suspension is a membership state, so a suspended
/// person's account is active.
fn account_status(person: &Person) -> &'static str {
    match person.status {
        Status::Deactivated => "inactive",
        _ => "active",
    }
}
