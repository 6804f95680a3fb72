//! The simulator's own endpoints, for testing a connector written in any
//! language against it: on the admin port, without credentials, outside
//! the misbehaviour and the request log.
//!
//! - `GET /_sim/requests`: every request answered so far, in order
//!   (upstream, method, path, query, status, whether it writes, body).
//! - `GET /_sim/ground-truth`: the organisation as it is now (see
//!   [`ground_truth`](crate::ground_truth)).

use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;

/// The paths these endpoints live under.
pub const PREFIX: &str = "/_sim/";

/// The routes of the simulator's own endpoints.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/requests", get(requests))
        .route("/_sim/ground-truth", get(ground_truth))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Reply {
    let log: Vec<Value> = shared
        .requests()
        .iter()
        .map(|r| {
            json!({
                "upstream": r.upstream.name(),
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "status": r.status,
                "write": r.is_write(),
                "body": r.body,
            })
        })
        .collect();
    respond::ok(&log)
}

async fn ground_truth(State(shared): State<Arc<Shared>>) -> Reply {
    respond::ok(&crate::ground_truth::of(&shared.org()))
}
