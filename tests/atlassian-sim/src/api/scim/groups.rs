//! SCIM groups: the directory's groups with their SCIM members; a new
//! group grants nothing.

use super::{
    GROUP_SCHEMA, ListResponse, Member, Meta, bad_value, filter, guard, list_page, paging,
    scim_json, visible, visible_user,
};
use crate::api::admin::wire::{self, Iso};
use crate::model::{Group, Org};
use crate::respond::{self, Reply};
use crate::rng::{Rng, mix};
use crate::server::Shared;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScimGroup<'a> {
    schemas: [&'static str; 1],
    id: &'a str,
    display_name: &'a str,
    members: Vec<Member<'a>>,
    meta: Meta,
}

/// The SCIM groups of positions `groups`, with their visible members.
fn scim_groups<'a>(shared: &Shared, org: &'a Org, groups: &[usize]) -> Vec<ScimGroup<'a>> {
    let mut members: Vec<Vec<Member<'a>>> = groups.iter().map(|_| Vec::new()).collect();
    for (p, person) in org.people.iter().enumerate() {
        if !visible(org, p) {
            continue;
        }
        for (slot, g) in groups.iter().enumerate() {
            if person.groups.contains(g) {
                members[slot].push(Member {
                    value: person.scim_id.as_deref().unwrap_or_default(),
                    display: &person.name,
                    kind: "User",
                });
            }
        }
    }
    groups
        .iter()
        .zip(members)
        .map(|(&g, members)| ScimGroup {
            schemas: [GROUP_SCHEMA],
            id: &org.groups[g].id,
            display_name: &org.groups[g].name,
            members,
            meta: Meta {
                resource_type: "GROUP",
                created: Iso(org.now),
                last_modified: Iso(org.now),
                location: format!(
                    "{}/scim/directory/{}/Groups/{}",
                    shared.urls.admin, org.directory_id, org.groups[g].id
                ),
            },
        })
        .collect()
}

/// The answer carrying group `g`.
fn one_group(shared: &Shared, org: &Org, g: usize, status: u16) -> Response {
    match scim_groups(shared, org, &[g]).first() {
        Some(group) => scim_json(status, group),
        None => respond::scim_error(404, None, "Group not found"),
    }
}

/// `GET /scim/directory/{directoryId}/Groups?startIndex&count&filter`.
pub(super) async fn list_groups(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(directory_id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let (start, count) = paging(&pairs)?;
    let filter = filter(&pairs, &["displayName"])?;
    let org = shared.org();
    let matching: Vec<usize> = (0..org.groups.len())
        .filter(|&g| filter.is_none_or(|(_, name)| org.groups[g].name.eq_ignore_ascii_case(name)))
        .collect();
    let page = list_page(&matching, start, count, |g| g);
    let resources = scim_groups(&shared, &org, &page.resources);
    Ok(scim_json(
        200,
        &ListResponse {
            schemas: page.schemas,
            total_results: page.total_results,
            start_index: page.start_index,
            items_per_page: page.items_per_page,
            resources,
        },
    ))
}

/// `GET /scim/directory/{directoryId}/Groups/{groupId}`.
pub(super) async fn get_group(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((directory_id, group_id)): Path<(String, String)>,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let org = shared.org();
    let g = org.group_by_id(&group_id).ok_or_else(|| {
        respond::scim_error(404, None, &format!("Group {group_id} was not found"))
    })?;
    Ok(one_group(&shared, &org, g, 200))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct GroupBody {
    display_name: Option<String>,
    members: Vec<MemberBody>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MemberBody {
    value: String,
}

/// `POST /scim/directory/{directoryId}/Groups`: a new group granting
/// nothing, with its members; `409 uniqueness` for a name in use.
pub(super) async fn create_group(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(directory_id): Path<String>,
    body: Bytes,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let body: GroupBody =
        wire::body(&body).map_err(|e| respond::scim_error(400, Some("invalidSyntax"), &e))?;
    let name = body
        .display_name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad_value("displayName is required"))?;
    let mut org = shared.org_mut();
    if org
        .groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(&name))
    {
        return Err(respond::scim_error(
            409,
            Some("uniqueness"),
            &format!("A group named {name} already exists"),
        ));
    }
    let members = body
        .members
        .iter()
        .map(|m| visible_user(&org, &m.value))
        .collect::<Result<Vec<_>, _>>()?;
    let g = org.groups.len();
    let mut rng = Rng::new(mix(g as u64 ^ 0x0067_726f_7570));
    org.groups.push(Group {
        id: rng.uuid(),
        name,
        description: "Synced from the identity provider".to_owned(),
        grants: Vec::new(),
    });
    for p in members {
        org.add_to_group(p, g)
            .map_err(|e| bad_value(&e.to_string()))?;
    }
    Ok(one_group(&shared, &org, g, 201))
}
