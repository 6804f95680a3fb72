//! Confluence Cloud on the site host: REST v1 (`/wiki/rest/api`) user
//! search, groups, members and membership changes, and the v2 invitation
//! endpoints (`/wiki/api/v2/user/access`).

mod groups;
mod invite;
mod users;
mod views;

use super::site::{self, AuthFailure, Caller, NotANumber, Params};
use crate::respond;
use crate::server::Shared;
use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

/// The routes of this API.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .merge(users::routes())
        .merge(groups::routes())
        .merge(invite::routes())
}

/// The caller, or v1's 401.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    site::caller(shared, headers).map_err(|failure| {
        let message = match failure {
            AuthFailure::Missing => "This request requires authentication.",
            AuthFailure::Wrong => "Client must be authenticated to access this resource.",
        };
        respond::confluence_error(401, "Unauthorized", message)
    })
}

/// The caller, who must hold the *Can use* permission.
fn reader(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    let caller = authenticate(shared, headers)?;
    if caller.confluence_user {
        Ok(caller)
    } else {
        Err(respond::confluence_error(
            403,
            "Forbidden",
            "The calling user does not have the 'Can use' permission for Confluence.",
        ))
    }
}

/// The caller, who must be a site admin.
fn site_administrator(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    let caller = authenticate(shared, headers)?;
    if caller.site_admin {
        Ok(caller)
    } else {
        Err(respond::confluence_error(
            403,
            "Forbidden",
            "The calling user is not a site admin.",
        ))
    }
}

/// The caller of a v1 write: a site admin whose request carries
/// `X-Atlassian-Token: no-check`, without which Confluence refuses a
/// write as a possible cross-site request forgery.
fn writer(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    let caller = site_administrator(shared, headers)?;
    let token = headers
        .get("x-atlassian-token")
        .and_then(|v| v.to_str().ok());
    if token.is_some_and(|t| t.eq_ignore_ascii_case("no-check")) {
        Ok(caller)
    } else {
        Err(respond::confluence_error(
            403,
            "Forbidden",
            "XSRF check failed",
        ))
    }
}

/// A v1 body that must be JSON: 415 unless `Content-Type` says so.
fn json_body(headers: &HeaderMap) -> Result<(), Response> {
    let kind = headers.get("content-type").and_then(|v| v.to_str().ok());
    if kind.is_some_and(|k| k.starts_with("application/json")) {
        Ok(())
    } else {
        Err(respond::confluence_error(
            415,
            "Unsupported Media Type",
            "The request body must be application/json.",
        ))
    }
}

/// v1's 400.
fn bad_request(message: &str) -> Response {
    respond::confluence_error(400, "Bad Request", message)
}

/// v1's 404.
fn not_found(message: &str) -> Response {
    respond::confluence_error(404, "Not Found", message)
}

/// A whole-number query parameter, or v1's 400.
fn number(params: &Params, name: &'static str, default: usize) -> Result<usize, Response> {
    params
        .count(name, default)
        .map_err(|NotANumber { name, value }| {
            bad_request(&format!("The value '{value}' of '{name}' is not a number."))
        })
}

/// A required query parameter, or v1's 400.
fn required<'p>(params: &'p Params, name: &str) -> Result<&'p str, Response> {
    params
        .non_empty(name)
        .ok_or_else(|| bad_request(&format!("The '{name}' parameter is required.")))
}

/// The person a request's `accountId` names, if Confluence knows them
/// (portal customers are not Confluence users), or v1's 400 or 404.
fn account(org: &crate::model::Org, params: &Params) -> Result<usize, Response> {
    known_person(org, required(params, "accountId")?)
}

/// The person with account id `id`, if Confluence knows them, or v1's 404.
fn known_person(org: &crate::model::Org, id: &str) -> Result<usize, Response> {
    site::directory_person(org, id)
        .filter(|&p| views::known(&org.people[p]))
        .ok_or_else(|| not_found(&format!("No user found with accountId: {id}")))
}

/// The group a request's `groupId` names, or v1's 400 or 404.
fn group(org: &crate::model::Org, id: Option<&str>) -> Result<usize, Response> {
    let id = id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad_request("The 'groupId' parameter is required."))?;
    org.group_by_id(id)
        .ok_or_else(|| not_found(&format!("No group found with id: {id}")))
}
