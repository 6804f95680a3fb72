//! Jira Cloud platform REST v3 (`/rest/api/3`) and the site's tenant info.

use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use std::sync::Arc;

/// The routes of this API.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/_edge/tenant_info", get(tenant_info))
}

/// `GET /_edge/tenant_info`: the site's cloud id, without authentication.
async fn tenant_info(State(shared): State<Arc<Shared>>) -> Reply {
    respond::ok(&serde_json::json!({ "cloudId": shared.org().cloud_id }))
}
