//! Confluence REST v2 invitations: which emails lack access to the site,
//! and inviting them (`/wiki/api/v2/user/access`).

use crate::api::site::{self, AuthFailure, Caller};
use crate::model::{AccountType, Org, ProductKey};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The most emails one request may carry.
const MAX_EMAILS: usize = 100;

/// The routes of the v2 user-access resources.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/wiki/api/v2/user/access/check-access-by-email",
            post(check_access),
        )
        .route("/wiki/api/v2/user/access/invite-by-email", post(invite))
}

/// The caller, or v2's 401.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    site::caller(shared, headers).map_err(|failure| {
        let title = match failure {
            AuthFailure::Missing => "Authentication credentials are missing.",
            AuthFailure::Wrong => "Authentication credentials are incorrect.",
        };
        respond::confluence_v2_error(401, "UNAUTHORIZED", title)
    })
}

/// v2's answer to a caller without the permission: 404, as documented.
fn no_permission() -> Response {
    respond::confluence_v2_error(
        404,
        "NOT_FOUND",
        "The calling user does not have permission to check access for emails on this site.",
    )
}

/// The body both operations take (`CheckAccessOrInviteByEmailRequest`).
#[derive(Deserialize)]
struct Emails {
    emails: Vec<String>,
}

/// The body's emails (1 to 100), or v2's 400.
fn emails(body: &[u8]) -> Result<Vec<String>, Response> {
    let invalid =
        |title: &str| respond::confluence_v2_error(400, "INVALID_REQUEST_PARAMETER", title);
    let Emails { emails } = serde_json::from_slice(body)
        .map_err(|e| invalid(&format!("The request body is not valid: {e}")))?;
    if emails.is_empty() || emails.len() > MAX_EMAILS {
        return Err(invalid(&format!(
            "'emails' must hold between 1 and {MAX_EMAILS} addresses."
        )));
    }
    Ok(emails)
}

/// Whether `email` belongs to someone who can use Confluence now.
fn has_access(org: &Org, email: &str) -> bool {
    org.person_by_email(email)
        .is_some_and(|p| site::can_use(org, p, ProductKey::Confluence))
}

/// The answer of `check-access-by-email`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Access<'a> {
    emails_without_access: Vec<&'a str>,
    invalid_emails: Vec<&'a str>,
}

/// `POST /wiki/api/v2/user/access/check-access-by-email`: the emails that
/// lack access, and the invalid ones.
async fn check_access(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Reply {
    let caller = authenticate(&shared, &headers)?;
    if !caller.confluence_user {
        return Err(no_permission());
    }
    let emails = emails(&body)?;
    let org = shared.org();
    let (valid, invalid): (Vec<&str>, Vec<&str>) = emails
        .iter()
        .map(String::as_str)
        .partition(|e| site::plausible_email(e));
    respond::ok(&Access {
        emails_without_access: valid.into_iter().filter(|e| !has_access(&org, e)).collect(),
        invalid_emails: invalid,
    })
}

/// `POST /wiki/api/v2/user/access/invite-by-email`: invites every valid
/// email without access to Confluence (site admins only). Invalid emails
/// and those with access are ignored; when the seats left cannot cover
/// everyone, nobody is invited and the answer is 400.
async fn invite(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Reply {
    let caller = authenticate(&shared, &headers)?;
    if !caller.site_admin {
        return Err(no_permission());
    }
    let emails = emails(&body)?;
    let mut org = shared.org_mut();
    let mut wanted: Vec<&str> = Vec::new();
    for email in emails.iter().map(String::as_str) {
        let fresh = !wanted.iter().any(|w| w.eq_ignore_ascii_case(email));
        if fresh && site::plausible_email(email) && !has_access(&org, email) {
            wanted.push(email);
        }
    }
    let confluence = ProductKey::Confluence;
    let seats_needed = wanted
        .iter()
        .filter(|e| match org.person_by_email(e) {
            None => true,
            Some(p) => {
                p.account_type == AccountType::Atlassian
                    && p.is_enabled()
                    && !org.is_billable(p, confluence)
            }
        })
        .count() as u32;
    let left = org
        .product(confluence)
        .seats
        .saturating_sub(org.seats_used(confluence));
    if seats_needed > left {
        return Err(respond::confluence_v2_error(
            400,
            "LICENSE_LIMIT_EXCEEDED",
            &format!(
                "Inviting {seats_needed} users needs more Confluence seats than the {left} left."
            ),
        ));
    }
    for email in wanted {
        org.invite(email, None, &[confluence]).map_err(|e| {
            respond::confluence_v2_error(400, "LICENSE_LIMIT_EXCEEDED", &e.to_string())
        })?;
    }
    Ok(respond::empty(200))
}
