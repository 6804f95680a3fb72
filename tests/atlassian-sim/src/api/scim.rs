//! The SCIM 2.0 user-provisioning API on
//! `api.atlassian.com/scim/directory/{directoryId}`: users and groups as
//! the identity provider sees them.
//!
//! Authentication is the directory's own Bearer key; anything else is
//! `401`, another directory `404`. Errors use SCIM's shape.
//!
//! Which people SCIM shows: those with a SCIM id
//! ([`crate::model::Person::scim_id`]) whose account is not deactivated.
//! Deactivating (`DELETE`, or `active: false` through `PUT`/`PATCH`) sets
//! [`Status::Deactivated`], after which the user is `404` to every
//! operation. Reactivation is `POST /Users` again with the same `userName`:
//! the account is activated and keeps its SCIM id. `POST /Users` for an
//! email on the verified domain that belongs to a managed account without
//! a SCIM id links that account; otherwise it creates an active account
//! with no product access. A `userName` already synced is `409
//! uniqueness`. Suspension is the Admin API's business: a suspended person
//! is `active` here. `attributes`/`excludedAttributes` are accepted and not
//! applied; a page holds at most 100 resources.
//!
//! SCIM groups are the directory's groups; creating one adds a group that
//! grants nothing.

mod groups;
mod users;

use super::admin::wire::{self, Iso};
use crate::model::{AccountType, Org, Status};
use crate::respond;
use crate::server::Shared;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use std::sync::Arc;

/// The most resources a list page holds, and the default page size.
const MAX_COUNT: usize = 100;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ATLASSIAN_SCHEMA: &str = "urn:scim:schemas:extension:atlassian-external:1.0";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The routes of this API.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/scim/directory/{directory_id}/Users",
            get(users::list_users).post(users::create_user),
        )
        .route(
            "/scim/directory/{directory_id}/Users/{user_id}",
            get(users::get_user)
                .put(users::replace_user)
                .patch(users::patch_user)
                .delete(users::deactivate_user),
        )
        .route(
            "/scim/directory/{directory_id}/Groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route(
            "/scim/directory/{directory_id}/Groups/{group_id}",
            get(groups::get_group),
        )
}

/// A SCIM answer (`application/scim+json`).
fn scim_json<T: Serialize>(status: u16, body: &T) -> Response {
    let mut response = respond::json(status, body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/scim+json"),
    );
    response
}

/// Checks the directory key and the directory id.
fn guard(shared: &Shared, headers: &HeaderMap, directory_id: &str) -> Result<(), Response> {
    if crate::auth::bearer(headers) != Some(shared.credentials.scim_api_key.as_str()) {
        return Err(respond::scim_error(401, None, "Unauthorized"));
    }
    if directory_id != shared.credentials.directory_id {
        return Err(respond::scim_error(
            404,
            None,
            &format!("Directory {directory_id} was not found"),
        ));
    }
    Ok(())
}

/// Whether person `p` is a SCIM user the directory shows.
fn visible(org: &Org, p: usize) -> bool {
    let person = &org.people[p];
    person.scim_id.is_some()
        && person.account_type == AccountType::Atlassian
        && person.status != Status::Deactivated
}

/// The person with SCIM id `id`, visible or not.
fn by_scim_id(org: &Org, id: &str) -> Option<usize> {
    org.people
        .iter()
        .position(|p| p.scim_id.as_deref() == Some(id))
}

/// The visible SCIM user `id`, else `404`.
fn visible_user(org: &Org, id: &str) -> Result<usize, Response> {
    by_scim_id(org, id)
        .filter(|&p| visible(org, p))
        .ok_or_else(|| respond::scim_error(404, None, &format!("User {id} was not found")))
}

/// `startIndex` (1-based) and `count` of a list request.
fn paging(pairs: &[(String, String)]) -> Result<(usize, usize), Response> {
    let number = |name: &str, default: i64| -> Result<i64, Response> {
        wire::value(pairs, name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                respond::scim_error(
                    400,
                    Some("invalidValue"),
                    &format!("{name} must be a number"),
                )
            })
        })
    };
    let start = number("startIndex", 1)?.max(1) as usize;
    let count = number("count", MAX_COUNT as i64)?.clamp(0, MAX_COUNT as i64) as usize;
    Ok((start, count))
}

/// A `filter` of the form `<attribute> eq "<value>"`, for the attributes
/// `allowed` (matched case-insensitively); the attribute is returned as
/// spelled in `allowed`.
fn filter<'a>(
    pairs: &'a [(String, String)],
    allowed: &[&'static str],
) -> Result<Option<(&'static str, &'a str)>, Response> {
    let Some(text) = wire::value(pairs, "filter").map(str::trim) else {
        return Ok(None);
    };
    let invalid = || {
        respond::scim_error(
            400,
            Some("invalidFilter"),
            &format!(
                "Unsupported filter {text:?}: use {} eq \"value\"",
                allowed.join(" or ")
            ),
        )
    };
    let (attribute, rest) = text.split_once(char::is_whitespace).ok_or_else(invalid)?;
    let (op, value) = rest
        .trim_start()
        .split_once(char::is_whitespace)
        .ok_or_else(invalid)?;
    let attribute = allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(attribute))
        .ok_or_else(invalid)?;
    let value = value
        .trim()
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(invalid)?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(invalid());
    }
    Ok(Some((attribute, value)))
}

#[derive(Serialize)]
struct ListResponse<T> {
    schemas: [&'static str; 1],
    #[serde(rename = "totalResults")]
    total_results: usize,
    #[serde(rename = "startIndex")]
    start_index: usize,
    #[serde(rename = "itemsPerPage")]
    items_per_page: usize,
    #[serde(rename = "Resources")]
    resources: Vec<T>,
}

/// The page of `matching` (positions, in order) that `start`/`count` ask for.
fn list_page<T>(
    matching: &[usize],
    start: usize,
    count: usize,
    render: impl Fn(usize) -> T,
) -> ListResponse<T> {
    // `start` is 1-based.
    let from = start.saturating_sub(1).min(matching.len());
    let resources: Vec<T> = matching[from..]
        .iter()
        .take(count)
        .map(|&p| render(p))
        .collect();
    ListResponse {
        schemas: [LIST_SCHEMA],
        total_results: matching.len(),
        start_index: start,
        items_per_page: resources.len(),
        resources,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    resource_type: &'static str,
    created: Iso,
    last_modified: Iso,
    location: String,
}

#[derive(Serialize)]
struct Member<'a> {
    value: &'a str,
    display: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// `400 invalidValue`.
fn bad_value(detail: &str) -> Response {
    respond::scim_error(400, Some("invalidValue"), detail)
}
