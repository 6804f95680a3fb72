//! The directory's structure: the v2 directory list, v2 groups, the
//! product roles a group grants, and group memberships (v2
//! `{"accountId"}`, v1 `{"account_id"}`). Adding a person to a group that
//! grants a product goes through [`crate::model::Org::add_to_group`], so a
//! full product refuses them.
//!
//! A group's role assignments mirror the shape of a user's
//! (`.../users/{accountId}/role-assignments`) without the user's
//! `directoryId` and `userDirectoryStatus`: Atlassian's published OpenAPI
//! documents do not cover this endpoint, so the shape follows the jira.js
//! client.

use super::users::role_id;
use super::wire::{self, CursorLinks};
use super::{
    authorise, check_directory, cursor_page, invalid_body, invalid_cursor, member, message,
    no_seat_left,
};
use crate::model::Org;
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Groups per page when none is asked for.
const GROUPS_LIMIT: usize = 50;
/// A group's role assignments per page when none is asked for.
const ROLES_LIMIT: usize = 100;

/// Where a cursor-paged listing starts and how long its page is, from
/// `cursor` and `limit` (1 to 100, `default` when absent).
fn paging(pairs: &[(String, String)], default: usize) -> Result<(usize, usize), Response> {
    let limit = match wire::value(pairs, "limit") {
        None => default,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| invalid_body("limit must be between 1 and 100"))?,
    };
    let start = match wire::value(pairs, "cursor").filter(|c| !c.is_empty()) {
        Some(c) => respond::parse_cursor(c).ok_or_else(invalid_cursor)?,
        None => 0,
    };
    Ok((start, limit))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Directory<'a> {
    directory_id: &'a str,
    name: String,
    icon: Option<&'a str>,
}

#[derive(Serialize)]
struct Directories<'a> {
    data: Vec<Directory<'a>>,
    links: CursorLinks,
}

/// `GET /admin/v2/orgs/{orgId}/directories`: the organisation's one
/// directory.
pub(super) async fn directories(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let org = shared.org();
    respond::ok(&Directories {
        data: vec![Directory {
            directory_id: &org.directory_id,
            name: format!("{} directory", org.name),
            icon: None,
        }],
        links: CursorLinks::default(),
    })
}

#[derive(Serialize)]
struct GroupModel<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct GroupPage<'a> {
    data: Vec<GroupModel<'a>>,
    links: CursorLinks,
}

/// `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/groups?cursor&limit`.
pub(super) async fn groups(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let (start, limit) = paging(&pairs, GROUPS_LIMIT)?;
    let org = shared.org();
    check_directory(&org, &directory_id)?;
    let found = cursor_page(org.groups.len(), start, limit, |_| true);
    respond::ok(&GroupPage {
        data: found
            .items
            .iter()
            .map(|&g| GroupModel {
                id: &org.groups[g].id,
                name: &org.groups[g].name,
                description: &org.groups[g].description,
            })
            .collect(),
        links: found.links(start),
    })
}

#[derive(Serialize)]
struct GroupRoles {
    data: Vec<GroupRole>,
    links: CursorLinks,
}

/// One product role a group grants.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupRole {
    resource_id: String,
    resource_owner: &'static str,
    roles: [&'static str; 1],
    role_assignments: [GroupRoleAssignment; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupRoleAssignment {
    role: &'static str,
    role_assignment_methods: [&'static str; 1],
}

/// `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments?cursor&limit`:
/// one entry per role the group grants, in the order of its grants, each
/// a `DIRECT` assignment of the role on one instance (of any site). Shaped like the user role-assignments answer (see the module
/// documentation).
pub(super) async fn role_assignments(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id, group_id)): Path<(String, String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let (start, limit) = paging(&pairs, ROLES_LIMIT)?;
    let org = shared.org();
    check_directory(&org, &directory_id)?;
    let grants = &org.groups[group(&org, &group_id)?].grants;
    let found = cursor_page(grants.len(), start, limit, |_| true);
    respond::ok(&GroupRoles {
        data: found
            .items
            .iter()
            .map(|&i| {
                let (instance, role) = grants[i];
                let role = role_id(role);
                GroupRole {
                    resource_id: org.instance(instance).ari.clone(),
                    resource_owner: instance.key(),
                    roles: [role],
                    role_assignments: [GroupRoleAssignment {
                        role,
                        role_assignment_methods: ["DIRECT"],
                    }],
                }
            })
            .collect(),
        links: found.links(start),
    })
}

/// The group of a path: `404 ADMIN-404-10` when there is none.
fn group(org: &Org, group_id: &str) -> Result<usize, Response> {
    org.group_by_id(group_id).ok_or_else(|| {
        respond::admin_error(
            404,
            "ADMIN-404-10",
            "Group not found",
            &format!("Group {group_id} was not found"),
        )
    })
}

/// Adds a member to a group; adding a member again succeeds again.
fn add(shared: &Shared, group_id: &str, account_id: &str) -> Reply {
    let mut org = shared.org_mut();
    let g = group(&org, group_id)?;
    let p = member(&org, account_id)?;
    org.add_to_group(p, g).map_err(no_seat_left)?;
    message(format!(
        "User {account_id} was added to group {}",
        org.groups[g].name
    ))
}

/// Removes a member from a group; removing a non-member succeeds too.
fn remove(shared: &Shared, group_id: &str, account_id: &str) -> Reply {
    let mut org = shared.org_mut();
    let g = group(&org, group_id)?;
    let p = member(&org, account_id)?;
    org.remove_from_group(p, g);
    message(format!(
        "User {account_id} was removed from group {}",
        org.groups[g].name
    ))
}

/// The body of v2 add-member.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberV2 {
    account_id: String,
}

/// The body of v1 add-member (snake_case).
#[derive(Deserialize)]
struct MemberV1 {
    account_id: String,
}

/// `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships`.
pub(super) async fn add_member_v2(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id, group_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    check_directory(&shared.org(), &directory_id)?;
    let body: MemberV2 = wire::body(&body).map_err(|e| invalid_body(&e))?;
    add(&shared, &group_id, &body.account_id)
}

/// `DELETE /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}`.
pub(super) async fn remove_member_v2(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id, group_id, account_id)): Path<(String, String, String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    check_directory(&shared.org(), &directory_id)?;
    remove(&shared, &group_id, &account_id)
}

/// `POST /admin/v1/orgs/{orgId}/directory/groups/{groupId}/memberships`.
pub(super) async fn add_member_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, group_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let body: MemberV1 = wire::body(&body).map_err(|e| invalid_body(&e))?;
    add(&shared, &group_id, &body.account_id)
}

/// `DELETE /admin/v1/orgs/{orgId}/directory/groups/{groupId}/memberships/{accountId}`.
pub(super) async fn remove_member_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, group_id, account_id)): Path<(String, String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    remove(&shared, &group_id, &account_id)
}
