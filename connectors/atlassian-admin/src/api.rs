//! What this connector sends beyond the organization's reads (which go
//! through [`Org`]): the writes of provisioning on the Admin API v2, the
//! user-management API and SCIM, and the probes of `check`.

use crate::Organization;
use roster_atlassian::GroupRef;
use roster_atlassian::access::GroupWrites;
use roster_atlassian::admin::Org;
use roster_sdk::Result;
use roster_sdk::http::{Request, Response};
use serde_json::{Value, json};

/// The manifest credential of the organization API key.
pub const ORG: &str = "org";
/// The manifest credential of the SCIM directory API key.
pub const SCIM: &str = "scim";

/// Group memberships, on the Admin API v2.
impl GroupWrites for Organization {
    /// `POST .../groups/{groupId}/memberships`.
    fn add_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
        let url = self
            .org
            .directory_url(&["groups", &group.id, "memberships"])?;
        let body = json!({ "accountId": account_id });
        Ok(self.org.rest().post(url).json(&body))
    }

    /// `DELETE .../groups/{groupId}/memberships/{accountId}`.
    fn remove_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
        let path = ["groups", &group.id, "memberships", account_id];
        Ok(self.org.rest().delete(self.org.directory_url(&path)?))
    }

    fn groups_of(&self, account_id: &str) -> Result<Vec<GroupRef>> {
        Ok(self.org.user(account_id)?.groups)
    }
}

/// `POST .../users/{accountId}/suspend` or `.../restore`.
pub fn lifecycle(org: &Org, account_id: &str, verb: &str) -> Result<Request> {
    Ok(org
        .rest()
        .post(org.directory_url(&["users", account_id, verb])?))
}

/// `DELETE .../directories/{directoryId}/users/{accountId}`.
pub fn remove(org: &Org, account_id: &str) -> Result<Request> {
    Ok(org
        .rest()
        .delete(org.directory_url(&["users", account_id])?))
}

/// `POST /admin/v2/orgs/{orgId}/users/invite` granting each resource (a
/// product instance ARI) the `atlassian/user` role.
pub fn invite(org: &Org, email: &str, resources: &[String]) -> Result<Request> {
    let rules: Vec<Value> = resources
        .iter()
        .map(|r| json!({ "resource": r, "role": "atlassian/user" }))
        .collect();
    Ok(org
        .rest()
        .post(org.org_url("v2", &["users", "invite"])?)
        .json(&json!({
            "emails": [email],
            "permissionRules": rules,
            "sendNotification": true,
        })))
}

/// `POST /users/{accountId}/manage/lifecycle/enable`: reactivates a
/// deactivated managed account.
pub fn enable(org: &Org, account_id: &str) -> Result<Request> {
    let path = ["users", account_id, "manage", "lifecycle", "enable"];
    Ok(org.rest().post(org.rest().path_url(path)?))
}

/// `GET /users/{accountId}/manage` with the organization key: proves the
/// key may use the user-management API. The raw answer, since 403 and 404
/// mean different things here.
pub fn manage_probe(org: &Org, account_id: &str) -> Result<Response> {
    let url = org.rest().path_url(["users", account_id, "manage"])?;
    Ok(org.rest().get(url).send()?)
}

/// `GET /scim/directory/{id}/Users?count=1`: proves the SCIM key.
pub fn scim_probe(org: &Org, directory_id: &str) -> Result<Response> {
    let url = org
        .rest()
        .path_url(["scim", "directory", directory_id, "Users"])?;
    Ok(org
        .rest()
        .get(url)
        .query([("startIndex", "1"), ("count", "1")])
        .auth(SCIM)
        .send()?)
}

/// `POST /scim/directory/{id}/Users` with the person's `userName`: SCIM's
/// reactivation of a deactivated synced user.
pub fn scim_reactivate(org: &Org, directory_id: &str, email: &str) -> Result<Request> {
    let url = org
        .rest()
        .path_url(["scim", "directory", directory_id, "Users"])?;
    Ok(org.rest().post(url).auth(SCIM).json(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "emails": [{ "value": email, "type": "work", "primary": true }],
        "active": true,
    })))
}
