//! The user-management API on `api.atlassian.com/users/{accountId}/manage`:
//! what the caller may do to a managed account, and its lifecycle
//! (deactivate, reactivate, delete, cancel deletion).
//!
//! Only the organisation API key created without scopes works here. The
//! scoped key gets `403` naming the `manage:org` scope it cannot carry; no
//! key or another key gets `401 {"key":"unauthorized"}` (this API's
//! documented 401). Accounts off the verified domain are not managed:
//! `403 {"key":"forbidden.targetUnverified"}`. Unknown accounts are
//! `404 {"key":"accountNotFound"}`.
//!
//! Deactivating sets [`Status::Deactivated`] and frees seats; reactivating
//! restores [`Status::Active`] (refused with `403` when a product the
//! person holds is full) and cancels a pending deletion. Deleting
//! deactivates and marks the account [`crate::model::Org::deleting`] for
//! the grace period; `cancel-delete` lifts the mark. Repeating a change
//! succeeds again.

use super::admin::wire::Message;
use crate::model::{AccountType, NoSeatLeft, Org, Status};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The routes of this API.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/users/{account_id}/manage", get(privileges))
        .route(
            "/users/{account_id}/manage/lifecycle/disable",
            post(disable),
        )
        .route("/users/{account_id}/manage/lifecycle/enable", post(enable))
        .route("/users/{account_id}/manage/lifecycle/delete", post(delete))
        .route(
            "/users/{account_id}/manage/lifecycle/cancel-delete",
            post(cancel_delete),
        )
}

/// An error body of this API: `{"key": ..., "message": ...}`.
#[derive(Serialize)]
struct Problem<'a> {
    key: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

fn problem(status: u16, key: &'static str, message: Option<&str>) -> Response {
    respond::json(status, &Problem { key, message })
}

/// Checks the key, then finds the managed account `account_id`.
fn managed(
    shared: &Shared,
    headers: &HeaderMap,
    org: &Org,
    account_id: &str,
) -> Result<usize, Response> {
    let c = &shared.credentials;
    match crate::auth::bearer(headers) {
        Some(k) if k == c.org_api_key => {}
        Some(k) if k == c.scoped_org_api_key => {
            return Err(problem(
                403,
                "forbidden",
                Some(
                    "This API key was created with scopes and does not grant manage:org; \
                     use an organization API key without scopes",
                ),
            ));
        }
        _ => return Err(problem(401, "unauthorized", None)),
    }
    let p = org
        .position(account_id)
        .ok_or_else(|| problem(404, "accountNotFound", None))?;
    let person = &org.people[p];
    if person.account_type != AccountType::Atlassian || !org.is_managed(person) {
        return Err(problem(
            403,
            "forbidden.targetUnverified",
            Some("Caller must be a verified org admin of targeted account"),
        ));
    }
    Ok(p)
}

/// A privilege: allowed, or not with a reason.
#[derive(Serialize)]
struct Privilege {
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
}

#[derive(Serialize)]
struct Reason {
    key: &'static str,
}

impl Privilege {
    fn allowed() -> Self {
        Privilege {
            allowed: true,
            reason: None,
        }
    }

    /// Allowed unless the identity provider owns the attribute.
    fn unless_scim(scim: bool) -> Self {
        Privilege {
            allowed: !scim,
            reason: scim.then_some(Reason {
                key: "externalDirectory.scim",
            }),
        }
    }
}

/// `GET /users/{account_id}/manage` answer.
#[derive(Serialize)]
struct Privileges {
    profile: BTreeMap<&'static str, Privilege>,
    #[serde(rename = "profile.write")]
    profile_write: BTreeMap<&'static str, Privilege>,
    #[serde(rename = "profile.read")]
    profile_read: Privilege,
    #[serde(rename = "email.set")]
    email_set: Privilege,
    #[serde(rename = "lifecycle.enablement")]
    lifecycle_enablement: Privilege,
    #[serde(rename = "lifecycle.delete")]
    lifecycle_delete: Privilege,
    #[serde(rename = "apiToken.read")]
    api_token_read: Privilege,
    #[serde(rename = "apiToken.delete")]
    api_token_delete: Privilege,
}

/// The profile fields, each writable unless the identity provider syncs
/// the account.
fn profile_fields(scim: bool) -> BTreeMap<&'static str, Privilege> {
    [
        "name",
        "nickname",
        "email",
        "job_title",
        "department",
        "location",
    ]
    .into_iter()
    .map(|f| (f, Privilege::unless_scim(scim)))
    .collect()
}

/// `GET /users/{account_id}/manage`: the caller's privileges on a managed
/// account. The identity provider owns the profile and email of
/// SCIM-synced people; their lifecycle stays with the admin.
async fn privileges(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
) -> Reply {
    let org = shared.org();
    let p = managed(&shared, &headers, &org, &account_id)?;
    let scim = org.people[p].scim_id.is_some();
    respond::ok(&Privileges {
        profile: profile_fields(scim),
        profile_write: profile_fields(scim),
        profile_read: Privilege::allowed(),
        email_set: Privilege::unless_scim(scim),
        lifecycle_enablement: Privilege::allowed(),
        lifecycle_delete: Privilege::allowed(),
        api_token_read: Privilege::allowed(),
        api_token_delete: Privilege::allowed(),
    })
}

/// A reactivation refused because a product the person holds is full.
fn no_seat_left(e: NoSeatLeft) -> Response {
    problem(403, "forbidden", Some(&e.to_string()))
}

/// `POST /users/{account_id}/manage/lifecycle/disable` (optional body
/// `{"message"}`): 204.
async fn disable(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
) -> Reply {
    let mut org = shared.org_mut();
    let p = managed(&shared, &headers, &org, &account_id)?;
    org.set_status(p, Status::Deactivated)
        .map_err(no_seat_left)?;
    Ok(respond::empty(204))
}

/// `POST /users/{account_id}/manage/lifecycle/enable`: 204. Only a
/// deactivated account changes; suspension is the Admin API's business.
async fn enable(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
) -> Reply {
    let mut org = shared.org_mut();
    let p = managed(&shared, &headers, &org, &account_id)?;
    if org.people[p].status == Status::Deactivated {
        org.set_status(p, Status::Active).map_err(no_seat_left)?;
    }
    org.deleting.remove(&p);
    Ok(respond::empty(204))
}

/// `POST /users/{account_id}/manage/lifecycle/delete`: 200 with a message.
async fn delete(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
) -> Reply {
    let mut org = shared.org_mut();
    let p = managed(&shared, &headers, &org, &account_id)?;
    org.set_status(p, Status::Deactivated)
        .map_err(no_seat_left)?;
    org.deleting.insert(p);
    respond::ok(&Message {
        message: format!(
            "Account {account_id} is deactivated and will be deleted after a 14-day grace period"
        ),
    })
}

/// `POST /users/{account_id}/manage/lifecycle/cancel-delete`: 200; the
/// account stays deactivated.
async fn cancel_delete(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
) -> Reply {
    let mut org = shared.org_mut();
    let p = managed(&shared, &headers, &org, &account_id)?;
    org.deleting.remove(&p);
    respond::ok(&Message {
        message: format!("The deletion of account {account_id} was cancelled"),
    })
}
