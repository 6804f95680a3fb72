//! The simulated APIs, one module per API family, grouped by the upstream
//! host that serves them.

mod admin;
mod bitbucket;
mod confluence;
mod jira;
mod scim;
mod site;
pub mod tool;
mod trello;
mod user_management;

use crate::server::{Shared, Upstream};
use axum::Router;
use std::sync::Arc;

/// The routes one upstream's listener serves.
pub fn routes(upstream: Upstream) -> Router<Arc<Shared>> {
    match upstream {
        Upstream::Admin => admin::routes()
            .merge(user_management::routes())
            .merge(scim::routes())
            .merge(tool::routes()),
        Upstream::Site => jira::routes().merge(confluence::routes()),
        Upstream::Trello => Router::new().nest("/1", trello::routes()),
        Upstream::Bitbucket => bitbucket::routes(),
    }
}
