//! Jira's groups: the bulk listing, members, and membership changes (how
//! Jira grants and revokes product access).

use super::views::{GroupDetails, GroupWithUsers, PageBean, User};
use super::{
    account, administrator, authenticate, bad_body, licence_exceeded, number, site_administrator,
};
use crate::api::site::{self, JIRA_PRODUCTS, Params};
use crate::model::{InstanceId, Org, ProductKey, Role};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

/// The most groups or members one page holds.
const MAX_PAGE: usize = 50;

/// The routes of Jira's group resources.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/group/bulk", get(bulk))
        .route("/group/member", get(members))
        .route("/group/user", post(add).delete(remove))
}

/// The `accessType` a group has in Jira: `site-admin`, `admin` (grants a
/// Jira admin role) or `user` (grants a Jira product).
fn access_type(org: &Org, g: usize) -> Option<&'static str> {
    let group = &org.groups[g];
    if group.name == "site-admins" {
        return Some("site-admin");
    }
    let jira_roles = || group.grants.iter().filter(|(i, _)| site::is_jira_here(*i));
    if jira_roles().any(|&(_, r)| r == Role::Admin) {
        Some("admin")
    } else if jira_roles().next().is_some() {
        Some("user")
    } else {
        None
    }
}

/// `GET /rest/api/3/group/bulk`: groups, filtered by id, name, access type
/// or application, as a PageBean.
async fn bulk(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    authenticate(&shared, &headers)?;
    let start = number(&params, "startAt", 0)?;
    let max = number(&params, "maxResults", MAX_PAGE)?.min(MAX_PAGE);
    let access = params.non_empty("accessType");
    if let Some(a) = access.filter(|a| !["site-admin", "admin", "user"].contains(a)) {
        return Err(respond::jira_error(
            400,
            &format!("Invalid accessType '{a}'. Valid values: 'site-admin', 'admin', 'user'."),
        ));
    }
    let application = match params.non_empty("applicationKey") {
        None => None,
        Some(key) => match ProductKey::from_key(key).filter(|k| JIRA_PRODUCTS.contains(k)) {
            Some(k) => Some(k),
            None => {
                return Err(respond::jira_error(
                    400,
                    &format!(
                        "Invalid applicationKey '{key}'. Valid values: 'jira-servicedesk', 'jira-software', 'jira-product-discovery', 'jira-core'."
                    ),
                ));
            }
        },
    };
    let ids: Vec<&str> = params.all("groupId").collect();
    let names: Vec<&str> = params.all("groupName").collect();
    let org = shared.org();
    let matching: Vec<usize> = (0..org.groups.len())
        .filter(|&g| {
            let group = &org.groups[g];
            (ids.is_empty() || ids.contains(&group.id.as_str()))
                && (names.is_empty() || names.contains(&group.name.as_str()))
                && access.is_none_or(|a| access_type(&org, g) == Some(a))
                && application
                    .is_none_or(|k| group.grants.iter().any(|(i, _)| *i == InstanceId::main(k)))
        })
        .collect();
    let values = matching[site::window(matching.len(), start, max)]
        .iter()
        .map(|&g| GroupDetails::of(&org.groups[g]))
        .collect();
    let url = format!("{}/rest/api/3/group/bulk", shared.urls.site);
    respond::ok(&PageBean::new(
        &url,
        &params,
        start,
        max,
        matching.len(),
        values,
    ))
}

/// The group a request names by `groupId` or `groupname`, or Jira's 400
/// or 404.
fn group(org: &Org, params: &Params) -> Result<usize, Response> {
    let found = match (params.non_empty("groupId"), params.non_empty("groupname")) {
        (Some(_), Some(_)) => {
            return Err(respond::jira_error(
                400,
                "Only one of the 'groupId' and 'groupname' parameters can be given.",
            ));
        }
        (Some(id), None) => org.group_by_id(id),
        (None, Some(name)) => org.group_by_name(name),
        (None, None) => {
            return Err(respond::jira_error(
                400,
                "Either the 'groupId' or the 'groupname' parameter is required.",
            ));
        }
    };
    found.ok_or_else(|| respond::jira_error(404, "Specified group does not exist."))
}

/// `GET /rest/api/3/group/member?groupId=..`: the group's members (active
/// only unless `includeInactiveUsers=true`), as a PageBean of
/// `UserDetails`.
async fn members(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    administrator(&shared, &headers)?;
    let start = number(&params, "startAt", 0)?;
    let max = number(&params, "maxResults", MAX_PAGE)?.min(MAX_PAGE);
    let inactive = params.flag("includeInactiveUsers", false);
    let base = shared.urls.site.as_str();
    let org = shared.org();
    let g = group(&org, &params)?;
    let members = shared.listing(
        &org,
        &format!("jira-group-{g}-inactive-{inactive}"),
        |org, p| {
            let person = &org.people[p];
            site::in_directory(org, p)
                && person.groups.contains(&g)
                && (inactive || super::views::active(person))
        },
    );
    let total = members.len();
    let values: Vec<User> = members
        .iter()
        .skip(start)
        .take(max)
        .map(|&p| User::details(base, &org.people[p]))
        .collect();
    let url = format!("{base}/rest/api/3/group/member");
    respond::ok(&PageBean::new(&url, &params, start, max, total, values))
}

/// The body of adding a member (`UpdateUserToGroupBean`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    account_id: Option<String>,
}

/// `POST /rest/api/3/group/user?groupId=..` `{"accountId"}`: 201 with the
/// group, also when the person already is a member; 400 when a product the
/// group grants has no seat left.
async fn add(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
    body: Bytes,
) -> Reply {
    site_administrator(&shared, &headers)?;
    let member: Member = serde_json::from_slice(&body).map_err(|e| bad_body(&e))?;
    let id = member
        .account_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| respond::jira_error(400, "The 'accountId' of the user is required."))?;
    let mut org = shared.org_mut();
    let g = group(&org, &params)?;
    let p = site::directory_person(&org, &id).ok_or_else(|| {
        respond::jira_error(
            404,
            "Specified user does not exist or you do not have required permissions",
        )
    })?;
    site::add_member(&mut org, p, g).map_err(|e| licence_exceeded(&org, e.0))?;
    Ok(respond::json(
        201,
        &GroupWithUsers::of(&org, &shared.urls.site, g),
    ))
}

/// `DELETE /rest/api/3/group/user?groupId=..&accountId=..`: 200.
async fn remove(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    site_administrator(&shared, &headers)?;
    let mut org = shared.org_mut();
    let g = group(&org, &params)?;
    let p = account(&org, &params)?;
    org.remove_from_group(p, g);
    Ok(respond::empty(200))
}
