//! Calls to the site host (Jira and Confluence) as one of the simulator's
//! credential holders, shared by the Jira and Confluence tests.

use crate::support;
use atlassian_sim::Simulator;
use reqwest::Method;
use serde_json::Value;

/// Whose credentials a request carries.
#[derive(Clone, Copy)]
pub enum Who {
    /// The site admin.
    Admin,
    /// The ordinary user (Browse users and groups only).
    User,
    /// No credentials at all.
    Nobody,
    /// The admin's email with a token the site does not know.
    WrongToken,
}

/// Sends a request to the site and returns the status and JSON body
/// (`Null` when the body is empty or not JSON).
pub async fn call(
    sim: &Simulator,
    who: Who,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let c = sim.credentials();
    // Confluence refuses writes without it (XSRF); the others ignore it.
    let mut request = support::client()
        .request(method, format!("{}{path}", sim.urls().site))
        .header("X-Atlassian-Token", "no-check")
        .query(query);
    request = match who {
        Who::Admin => request.basic_auth(&c.admin_email, Some(&c.admin_api_token)),
        Who::User => request.basic_auth(&c.user_email, Some(&c.user_api_token)),
        Who::WrongToken => request.basic_auth(&c.admin_email, Some("not-the-token")),
        Who::Nobody => request,
    };
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request.send().await.expect("the simulator answers");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("a whole body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}
