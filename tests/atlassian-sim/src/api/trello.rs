//! Placeholder: routes to come.

use crate::server::Shared;
use axum::Router;
use std::sync::Arc;

/// The routes of this API.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
}
