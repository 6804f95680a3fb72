//! Confluence's groups: the listing, members by group id, and membership
//! changes.

use super::views::{GroupView, Page, PageLinks, User};
use super::{
    account, bad_request, group, json_body, known_person, number, reader, required, writer,
};
use crate::api::site::{self, Params};
use crate::model::{InstanceId, Org, ProductKey, Role, Status};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

/// The most groups or members one page holds.
const MAX_PAGE: usize = 200;

/// The routes of Confluence's group resources.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/wiki/rest/api/group", get(list))
        .route(
            "/wiki/rest/api/group/{groupId}/membersByGroupId",
            get(members),
        )
        .route(
            "/wiki/rest/api/group/userByGroupId",
            post(add).delete(remove),
        )
}

/// Whether group `g` has Confluence access level `access` (`user`,
/// `admin`, `site-admin`) on this site.
fn has_access(org: &Org, g: usize, access: &str) -> bool {
    let group = &org.groups[g];
    let role = |r: Role| {
        group
            .grants
            .iter()
            .any(|&(i, gr)| i == InstanceId::main(ProductKey::Confluence) && gr == r)
    };
    match access {
        "site-admin" => group.name == "site-admins",
        "admin" => role(Role::Admin),
        _ => role(Role::User),
    }
}

/// `GET /wiki/rest/api/group`: every group, by name.
async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    reader(&shared, &headers)?;
    let start = number(&params, "start", 0)?;
    let limit = number(&params, "limit", MAX_PAGE)?.min(MAX_PAGE);
    let access = params.non_empty("accessType");
    if let Some(a) = access.filter(|a| !["user", "admin", "site-admin"].contains(a)) {
        return Err(bad_request(&format!(
            "Invalid accessType '{a}': use user, admin or site-admin."
        )));
    }
    let base = shared.urls.site.as_str();
    let org = shared.org();
    let mut groups: Vec<usize> = (0..org.groups.len())
        .filter(|&g| access.is_none_or(|a| has_access(&org, g, a)))
        .collect();
    groups.sort_by(|&a, &b| org.groups[a].name.cmp(&org.groups[b].name));
    let range = site::window(groups.len(), start, limit);
    let more = range.end < groups.len();
    let results: Vec<GroupView> = groups[range]
        .iter()
        .map(|&g| GroupView::of(base, &org.groups[g]))
        .collect();
    respond::ok(&Page {
        size: results.len(),
        results,
        start,
        limit,
        total_size: None,
        links: PageLinks::new(base, "/rest/api/group", &params, start, limit, more),
    })
}

/// `GET /wiki/rest/api/group/{groupId}/membersByGroupId`: the members, in
/// directory order, paged first and then with suspended people silently
/// left out (so a page may hold fewer than `limit` and still have a next
/// one); `limit` above 200 is refused. `totalSize` counts positions,
/// suspended people included.
async fn members(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(group_id): Path<String>,
    Query(params): Query<Params>,
) -> Reply {
    reader(&shared, &headers)?;
    let start = number(&params, "start", 0)?;
    let limit = number(&params, "limit", MAX_PAGE)?;
    if limit > MAX_PAGE {
        return Err(bad_request(&format!(
            "Limit {limit} is greater than the maximum of {MAX_PAGE}."
        )));
    }
    let base = shared.urls.site.as_str();
    let org = shared.org();
    let g = group(&org, Some(&group_id))?;
    let members = shared.listing(&org, &format!("confluence-group-{g}"), |org, p| {
        site::in_directory(org, p) && org.people[p].groups.contains(&g)
    });
    let total = members.len();
    let range = site::window(total, start, limit);
    let more = range.end < total && limit > 0;
    let results: Vec<User> = members[range]
        .iter()
        .map(|&p| &org.people[p])
        .filter(|person| person.status != Status::Suspended)
        .map(|person| User::of(&org, base, person, &params))
        .collect();
    let path = format!("/rest/api/group/{group_id}/membersByGroupId");
    respond::ok(&Page {
        size: results.len(),
        results,
        start,
        limit,
        total_size: params.flag("shouldReturnTotalSize", false).then_some(total),
        links: PageLinks::new(base, &path, &params, start, limit, more),
    })
}

/// The body naming the member (`AccountId`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    account_id: Option<String>,
}

/// `POST /wiki/rest/api/group/userByGroupId?groupId=..` `{"accountId"}`:
/// 201, also when already a member; 400 when a product the group grants
/// has no seat left.
async fn add(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
    body: Bytes,
) -> Reply {
    writer(&shared, &headers)?;
    json_body(&headers)?;
    let member: Member = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&format!("The body is not an account id: {e}")))?;
    let id = member
        .account_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad_request("The 'accountId' is required."))?;
    let mut org = shared.org_mut();
    let g = group(&org, params.get("groupId"))?;
    let p = known_person(&org, &id)?;
    site::add_member(&mut org, p, g).map_err(|e| bad_request(&e.to_string()))?;
    Ok(respond::empty(201))
}

/// `DELETE /wiki/rest/api/group/userByGroupId?groupId=..&accountId=..`:
/// 204, also when the person was not a member.
async fn remove(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    writer(&shared, &headers)?;
    required(&params, "accountId")?;
    let mut org = shared.org_mut();
    let g = group(&org, params.get("groupId"))?;
    let p = account(&org, &params)?;
    org.remove_from_group(p, g);
    Ok(respond::empty(204))
}
