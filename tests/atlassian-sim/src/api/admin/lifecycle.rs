//! Membership lifecycle: suspend and restore (v1 and v2), remove from the
//! directory (v1 and v2), and the v2 invitation.
//!
//! Suspension is org-wide: the person keeps their groups and frees their
//! seats. Restoring refuses when a product they hold is full. Removal
//! drops every group and guest access and takes the person out of the
//! directory listings ([`crate::model::Org::remove_from_directory`]); a
//! new invitation brings them back. Repeating any of these on a person
//! already in that state succeeds again.

use super::wire;
use super::{
    authorise, check_directory, in_directory, instance_of_resource, invalid_body, member, message,
    no_seat_left,
};
use crate::model::{InstanceId, Org, Status};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Suspends a member's access, org-wide.
fn suspend(shared: &Shared, account_id: &str) -> Reply {
    let mut org = shared.org_mut();
    let p = member(&org, account_id)?;
    if matches!(org.people[p].status, Status::Active | Status::Invited) {
        org.set_status(p, Status::Suspended).map_err(no_seat_left)?;
    }
    message(format!(
        "User {account_id} was suspended from the organization"
    ))
}

/// Restores a suspended member's access.
fn restore(shared: &Shared, account_id: &str) -> Reply {
    let mut org = shared.org_mut();
    let p = member(&org, account_id)?;
    if org.people[p].status == Status::Suspended {
        org.set_status(p, Status::Active).map_err(no_seat_left)?;
    }
    message(format!(
        "User {account_id}'s access to the organization was restored"
    ))
}

/// Removes an account from the directory; `unknown` answers for an
/// account the organisation does not know.
fn remove(shared: &Shared, account_id: &str, unknown: fn(&str) -> Response) -> Reply {
    let mut org = shared.org_mut();
    let p = org
        .position(account_id)
        .filter(|&p| in_directory(&org, p) || org.removed.contains(&p))
        .ok_or_else(|| unknown(account_id))?;
    org.remove_from_directory(p);
    Ok(respond::empty(204))
}

/// `POST /admin/v1/orgs/{orgId}/directory/users/{accountId}/suspend-access`.
pub(super) async fn suspend_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, account_id)): Path<(String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    suspend(&shared, &account_id)
}

/// `POST /admin/v1/orgs/{orgId}/directory/users/{accountId}/restore-access`.
pub(super) async fn restore_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, account_id)): Path<(String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    restore(&shared, &account_id)
}

/// `DELETE /admin/v1/orgs/{orgId}/directory/users/{accountId}`: 204. The
/// document lists no 404 here; an unknown account is `400 ADMIN-400-4`.
pub(super) async fn remove_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, account_id)): Path<(String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    remove(&shared, &account_id, |id| {
        respond::admin_error(
            400,
            "ADMIN-400-4",
            "Invalid resource",
            &format!("{id} is not a user of the organization directory"),
        )
    })
}

/// `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend`.
pub(super) async fn suspend_v2(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id, account_id)): Path<(String, String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    check_directory(&shared.org(), &directory_id)?;
    suspend(&shared, &account_id)
}

/// `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/restore`.
pub(super) async fn restore_v2(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id, account_id)): Path<(String, String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    check_directory(&shared.org(), &directory_id)?;
    restore(&shared, &account_id)
}

/// `DELETE /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}`: 204.
pub(super) async fn remove_v2(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id, account_id)): Path<(String, String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    check_directory(&shared.org(), &directory_id)?;
    remove(&shared, &account_id, super::user_not_found)
}

/// The body of the v2 invitation. `sendNotification` and
/// `notificationText` are accepted and have no effect: the simulator sends
/// no mail.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invitation {
    emails: Vec<String>,
    #[serde(default)]
    permission_rules: Vec<PermissionRule>,
    #[serde(default)]
    additional_groups: Vec<String>,
}

/// An instance to grant: a resource (the ARI or the workspace id of any
/// instance, on any site) and a role. The simulator grants
/// `atlassian/user` (and `atlassian/viewer`, as a user) through the
/// instance's default group.
#[derive(Debug, Deserialize)]
struct PermissionRule {
    resource: String,
    role: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invited<'a> {
    email: &'a str,
    account_id: &'a str,
}

#[derive(Serialize)]
struct InviteAnswer<'a> {
    data: Vec<Invited<'a>>,
}

/// What an invitation grants, checked before anything changes.
fn plan(org: &Org, invitation: &Invitation) -> Result<(Vec<InstanceId>, Vec<usize>), Response> {
    if invitation.emails.is_empty() {
        return Err(invalid_body("emails must name at least one address"));
    }
    if let Some(bad) = invitation.emails.iter().find(|e| {
        e.split_once('@')
            .is_none_or(|(l, d)| l.is_empty() || !d.contains('.'))
    }) {
        return Err(invalid_body(&format!("{bad:?} is not an email address")));
    }
    let mut instances = Vec::new();
    for rule in &invitation.permission_rules {
        if !matches!(rule.role.as_str(), "atlassian/user" | "atlassian/viewer") {
            return Err(invalid_body(&format!(
                "role {:?} cannot be granted by invitation",
                rule.role
            )));
        }
        instances.push(instance_of_resource(org, &rule.resource)?);
    }
    let mut groups = Vec::new();
    for id in &invitation.additional_groups {
        groups.push(org.group_by_id(id).ok_or_else(|| {
            respond::admin_error(
                404,
                "ADMIN-404-10",
                "Group not found",
                &format!("Group {id} was not found"),
            )
        })?);
    }
    Ok((instances, groups))
}

/// `POST /admin/v2/orgs/{orgId}/users/invite`: each email becomes an
/// invited person (or, already known, gets the missing access and is back
/// in the directory) with the products of `permissionRules` and the
/// `additionalGroups`. Answers `200 {"data":[{"email","accountId"}]}`.
pub(super) async fn invite(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    body: Bytes,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let invitation: Invitation = wire::body(&body).map_err(|e| invalid_body(&e))?;
    let mut org = shared.org_mut();
    let (instances, groups) = plan(&org, &invitation)?;
    let mut invited = Vec::with_capacity(invitation.emails.len());
    for email in &invitation.emails {
        let p = org
            .invite_on(email, None, &instances)
            .map_err(no_seat_left)?;
        for &g in &groups {
            org.add_to_group(p, g).map_err(no_seat_left)?;
        }
        invited.push(p);
    }
    respond::ok(&InviteAnswer {
        data: invited
            .iter()
            .zip(&invitation.emails)
            .map(|(&p, email)| Invited {
                email,
                account_id: &org.people[p].account_id,
            })
            .collect(),
    })
}
