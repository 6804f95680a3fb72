//! Jira Cloud platform REST v3 (`/rest/api/3`) and the site's tenant info:
//! users, groups, application roles and licences, and provisioning through
//! groups and the legacy user endpoints.

mod groups;
mod licences;
mod users;
mod views;

use super::site::{self, AuthFailure, Caller, NotANumber, Params};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// The routes of this API.
pub fn routes() -> Router<Arc<Shared>> {
    let api = || {
        Router::new()
            .merge(users::routes())
            .merge(groups::routes())
            .merge(licences::routes())
    };
    // Jira serves v2 beside v3; users, groups and roles have the same
    // shapes in both (links in answers name v3).
    Router::new()
        .route("/_edge/tenant_info", get(tenant_info))
        .nest("/rest/api/3", api())
        .nest("/rest/api/2", api())
}

/// `GET /_edge/tenant_info`: the site's cloud id, without authentication.
async fn tenant_info(State(shared): State<Arc<Shared>>) -> Reply {
    respond::ok(&serde_json::json!({ "cloudId": shared.org().cloud_id }))
}

/// The caller, or Jira's 401: an ErrorCollection when no credentials came,
/// the gateway's plain-text refusal when they are wrong.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    site::caller(shared, headers).map_err(|failure| match failure {
        AuthFailure::Missing => respond::jira_error(
            401,
            "You are not authenticated. Authentication required to perform this operation.",
        ),
        AuthFailure::Wrong => {
            let mut r = (
                StatusCode::UNAUTHORIZED,
                "Client must be authenticated to access this resource.",
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain;charset=UTF-8"),
            );
            r
        }
    })
}

/// The caller, who must hold *Administer Jira*.
fn administrator(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    let caller = authenticate(shared, headers)?;
    if caller.jira_admin {
        Ok(caller)
    } else {
        Err(respond::jira_error(
            403,
            "You do not have the 'Administer Jira' global permission this operation requires.",
        ))
    }
}

/// The caller, who must be a site admin (a member of site-admins).
fn site_administrator(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    let caller = authenticate(shared, headers)?;
    if caller.site_admin {
        Ok(caller)
    } else {
        Err(respond::jira_error(
            403,
            "This operation requires site administration: membership of the site-admins group.",
        ))
    }
}

/// A whole-number query parameter, or Jira's 400.
fn number(params: &Params, name: &'static str, default: usize) -> Result<usize, Response> {
    params
        .count(name, default)
        .map_err(|NotANumber { name, value }| {
            respond::jira_error(
                400,
                &format!("The value '{value}' is not valid for the '{name}' parameter."),
            )
        })
}

/// Jira's 400 for the user parameters GDPR strict mode removed.
fn refuse_removed_parameters(params: &Params) -> Result<(), Response> {
    match ["username", "key"]
        .into_iter()
        .find(|n| params.get(n).is_some())
    {
        Some(name) => Err(respond::jira_error(
            400,
            &format!("The query parameter '{name}' is not supported in GDPR strict mode."),
        )),
        None => Ok(()),
    }
}

/// Jira's 400 for a body that is not the JSON the operation takes.
fn bad_body(e: &serde_json::Error) -> Response {
    respond::jira_error(400, &format!("Unrecognized request body: {e}"))
}

/// The person a request's `accountId` parameter names, or Jira's 400 or
/// 404.
fn account(org: &crate::model::Org, params: &Params) -> Result<usize, Response> {
    refuse_removed_parameters(params)?;
    let id = params
        .non_empty("accountId")
        .ok_or_else(|| respond::jira_error(400, "The 'accountId' query parameter is required."))?;
    site::directory_person(org, id).ok_or_else(|| {
        respond::jira_error(
            404,
            &format!("The user with account ID '{id}' does not exist."),
        )
    })
}

/// Jira's 400 when an instance has no licence left; another site's
/// instance is named with its site.
fn licence_exceeded(org: &crate::model::Org, instance: crate::model::InstanceId) -> Response {
    let product = instance.product().name();
    let name = match org.site_of(instance).filter(|_| !instance.is_main()) {
        Some(site) => format!("{product} on {}", site.subdomain),
        None => product.to_owned(),
    };
    respond::jira_error(
        400,
        &format!(
            "The number of licensed users for {name} has been exceeded: all {} seats are in use.",
            org.instance(instance).seats
        ),
    )
}
