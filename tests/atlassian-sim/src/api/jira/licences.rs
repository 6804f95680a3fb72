//! Jira's licences: application roles with their groups and seats, and the
//! instance licence.

use super::views::ApplicationRole;
use super::{administrator, authenticate};
use crate::api::site::JIRA_PRODUCTS;
use crate::model::ProductKey;
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::Serialize;
use std::sync::Arc;

/// The routes of Jira's licence resources.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/applicationrole", get(roles))
        .route("/applicationrole/{key}", get(role))
        .route("/instance/license", get(licence))
}

/// `GET /rest/api/3/applicationrole`: every Jira product's role.
async fn roles(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Reply {
    administrator(&shared, &headers)?;
    let org = shared.org();
    let roles: Vec<ApplicationRole> = JIRA_PRODUCTS
        .into_iter()
        .map(|k| ApplicationRole::of(&org, &shared.urls.site, k))
        .collect();
    respond::ok(&roles)
}

/// `GET /rest/api/3/applicationrole/{key}`.
async fn role(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Reply {
    administrator(&shared, &headers)?;
    let product = ProductKey::from_key(&key)
        .filter(|k| JIRA_PRODUCTS.contains(k))
        .ok_or_else(|| {
            respond::jira_error(
                404,
                &format!("The application role with key '{key}' does not exist."),
            )
        })?;
    let org = shared.org();
    respond::ok(&ApplicationRole::of(&org, &shared.urls.site, product))
}

/// Jira's `LicensedApplication`.
#[derive(Serialize)]
struct LicensedApplication {
    id: &'static str,
    plan: &'static str,
}

/// `GET /rest/api/3/instance/license`: the Jira products and their plans.
async fn licence(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Reply {
    authenticate(&shared, &headers)?;
    let org = shared.org();
    let applications: Vec<LicensedApplication> = JIRA_PRODUCTS
        .into_iter()
        .map(|k| LicensedApplication {
            id: k.key(),
            plan: match org.product(k).plan {
                "FREE" => "FREE",
                _ => "PAID",
            },
        })
        .collect();
    respond::ok(&serde_json::json!({ "applications": applications }))
}
