//! `POST /admin/v2/orgs/{orgId}/workspaces`: the product instances, one
//! workspace per instance of every site (the main instances first, in
//! product order), with seat usage (`usage` = seats in use, `capacity` =
//! seats bought) and `sandbox.type` `CHILD` for a sandbox, `NONE`
//! otherwise. The published document leaves `usage` and `capacity`
//! undefined; the simulator's reading is the one above, a sandbox's users
//! counted against its own capacity.

use super::wire::{self, PageLinks};
use super::{authorise, host_url, invalid_cursor};
use crate::model::{InstanceId, Org};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Workspaces per page when none is asked for.
const DEFAULT_LIMIT: u64 = 20;

/// `400 ADMIN-400-4`, the one code the document gives this operation.
fn bad_request(detail: &str) -> Response {
    respond::admin_error(400, "ADMIN-400-4", "Invalid resource", detail)
}

/// The start and size of the page a search asks for. A `cursor` must come
/// alone; `limit` is 1 to 1000.
fn paging(body: &Map<String, Value>) -> Result<(usize, usize), Response> {
    let cursor = body.get("cursor").filter(|c| !c.is_null());
    if let Some(c) = cursor {
        if let Some(other) = body.keys().find(|k| *k != "cursor") {
            return Err(bad_request(&format!(
                "When cursor is given no other field is allowed, but {other} was sent"
            )));
        }
        let start = c
            .as_str()
            .and_then(respond::parse_cursor)
            .ok_or_else(invalid_cursor)?;
        // A cursor carries the position only: later pages take the
        // default size.
        return Ok((start, DEFAULT_LIMIT as usize));
    }
    let limit = match body.get("limit") {
        None | Some(Value::Null) => DEFAULT_LIMIT,
        Some(l) => l
            .as_u64()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| bad_request("limit must be between 1 and 1000"))?,
    };
    Ok((0, limit as usize))
}

#[derive(Serialize)]
struct Sandbox {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attributes<'a> {
    name: &'a str,
    type_key: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    owner: &'a str,
    status: &'static str,
    status_details: [&'static str; 0],
    icons: BTreeMap<&'static str, &'static str>,
    avatars: BTreeMap<&'static str, &'static str>,
    labels: [&'static str; 0],
    sandbox: Sandbox,
    usage: u32,
    capacity: u32,
    created_at: Option<&'static str>,
    created_by: Option<&'static str>,
    updated_at: Option<&'static str>,
    host_url: String,
    realm: &'static str,
    regions: [&'static str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntitlementAttributes {
    key: &'static str,
    plan_key: &'static str,
    plan: &'static str,
}

#[derive(Serialize)]
struct Entitlement<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: EntitlementAttributes,
}

#[derive(Serialize)]
struct Relationships<'a> {
    entitlements: [Entitlement<'a>; 1],
}

#[derive(Serialize)]
struct SelfLink {
    #[serde(rename = "self")]
    this: String,
}

#[derive(Serialize)]
struct Workspace<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: Attributes<'a>,
    links: SelfLink,
    relationships: Relationships<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    page_size: usize,
    start_index: Option<usize>,
    end_index: Option<usize>,
    total: usize,
}

#[derive(Serialize)]
struct Page<'a> {
    data: Vec<Workspace<'a>>,
    links: PageLinks,
    meta: Meta,
}

/// The workspace of instance `id`.
fn workspace<'a>(shared: &Shared, org: &'a Org, id: InstanceId) -> Workspace<'a> {
    let instance = org.instance(id);
    Workspace {
        id: &instance.workspace_id,
        kind: "workspace",
        attributes: Attributes {
            name: &instance.name,
            type_key: id.key(),
            kind: "product",
            owner: &org.id,
            status: "online",
            status_details: [],
            icons: BTreeMap::new(),
            avatars: BTreeMap::new(),
            labels: [],
            sandbox: Sandbox {
                kind: if instance.sandbox { "CHILD" } else { "NONE" },
            },
            usage: org.seats_used_on(id),
            capacity: instance.seats,
            created_at: None,
            created_by: None,
            updated_at: None,
            host_url: host_url(shared, org, id),
            realm: "us",
            regions: ["us-east-1"],
        },
        links: SelfLink {
            this: format!(
                "{}/admin/v2/orgs/{}/workspaces/{}",
                shared.urls.admin, org.id, instance.workspace_id
            ),
        },
        relationships: Relationships {
            entitlements: [Entitlement {
                id: &instance.workspace_id,
                kind: "entitlement",
                attributes: EntitlementAttributes {
                    key: id.key(),
                    plan_key: instance.plan,
                    plan: instance.plan,
                },
            }],
        },
    }
}

/// `POST /admin/v2/orgs/{orgId}/workspaces`. `query` and `sort` are
/// accepted and not applied: every workspace is listed, in instance order.
pub(super) async fn search(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    body: Bytes,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let body: Map<String, Value> = wire::body(&body).map_err(|e| bad_request(&e))?;
    let (start, limit) = paging(&body)?;
    let org = shared.org();
    let total = org.products.len();
    let end = (start + limit).min(total);
    let data: Vec<Workspace<'_>> = org
        .instances()
        .skip(start.min(total))
        .take(end.saturating_sub(start))
        .map(|i| workspace(&shared, &org, i))
        .collect();
    let meta = Meta {
        page_size: limit,
        start_index: (!data.is_empty()).then_some(start),
        end_index: (!data.is_empty()).then_some(end - 1),
        total,
    };
    respond::ok(&Page {
        data,
        links: PageLinks {
            this: Some(respond::cursor(start)),
            prev: (start > 0).then(|| respond::cursor(start.saturating_sub(limit))),
            next: (end < total).then(|| respond::cursor(end)),
        },
        meta,
    })
}
