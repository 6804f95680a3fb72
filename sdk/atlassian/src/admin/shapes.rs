//! The Admin API's shapes: directory users with their product access and
//! groups, product instances (workspaces), role assignments and last-active
//! dates. The v2 shapes are camelCase, the v1 ones snake_case; lists the
//! API sends as `null` read as empty.

use crate::GroupRef;
use crate::accounts::PERSON;
use crate::paging::Links;
use roster_sdk::http::Request;
use roster_sdk::json::nullable;
use roster_sdk::paging::Paged;
use roster_sdk::{AccountStatus, Result};
use serde::Deserialize;

/// A v2 directory user; `groups` and `productAccess` are there when the
/// listing expanded them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The Atlassian account id.
    pub account_id: String,
    /// `atlassian` for a person's account.
    #[serde(default, deserialize_with = "nullable")]
    pub account_type: String,
    /// The composite status: `active`, `suspended`, `deactivated`,
    /// `for_deletion`, `not_invited`.
    #[serde(default, deserialize_with = "nullable")]
    pub status: String,
    /// `active`, `inactive` or `closed`.
    #[serde(default)]
    pub account_status: Option<String>,
    /// `active`, `suspended` or `no_membership`.
    #[serde(default)]
    pub membership_status: Option<String>,
    /// When the person joined the organization (a date or a timestamp).
    #[serde(default)]
    pub added_to_org: Option<String>,
    /// The person's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The person's email.
    #[serde(default)]
    pub email: Option<String>,
    /// False for an invitation not accepted yet.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// `managed` (a verified domain's account) or `unmanaged`.
    #[serde(default)]
    pub claim_status: Option<String>,
    /// Where the account comes from: `scim` when an identity provider
    /// syncs it.
    #[serde(default)]
    pub management_source: Option<String>,
    /// Whether two-step verification is on.
    #[serde(default)]
    pub mfa_enabled: Option<bool>,
    /// The products the person holds, with last activity.
    #[serde(default, deserialize_with = "nullable")]
    pub product_access: Vec<ProductAccess>,
    /// The groups the person is in.
    #[serde(default, deserialize_with = "nullable")]
    pub groups: Vec<GroupRef>,
}

impl User {
    /// Whether the person is in the group with this id.
    pub fn in_group(&self, group_id: &str) -> bool {
        self.groups.iter().any(|g| g.id == group_id)
    }

    /// Whether the account is a person's (not an app's or a portal
    /// customer's).
    pub fn is_person(&self) -> bool {
        self.account_type == PERSON
    }

    /// The contract's status from the composite `status`: an unaccepted
    /// invitation (`active` with an unverified email) is invited; without a
    /// known `status`, from `accountStatus` and `membershipStatus`.
    pub fn status(&self) -> AccountStatus {
        match self.status.as_str() {
            "suspended" => AccountStatus::Suspended,
            "deactivated" | "for_deletion" => AccountStatus::Deactivated,
            "active" if self.email_verified == Some(false) => AccountStatus::Invited,
            "active" => AccountStatus::Active,
            _ => match (
                self.account_status.as_deref(),
                self.membership_status.as_deref(),
            ) {
                (Some("inactive" | "closed"), _) => AccountStatus::Deactivated,
                (_, Some("suspended")) => AccountStatus::Suspended,
                (Some("active"), Some("active")) => AccountStatus::Active,
                _ => AccountStatus::Unknown,
            },
        }
    }

    /// Whether the person can sign in (or accept an invitation), and so
    /// uses seats.
    pub fn can_sign_in(&self) -> bool {
        matches!(
            self.status(),
            AccountStatus::Active | AccountStatus::Invited
        )
    }
}

/// One product a user holds (`productAccess[]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductAccess {
    /// The product key, in one of Atlassian's spellings (see
    /// [`canonical_key`](crate::products::canonical_key)).
    pub key: String,
    /// The instance ARI, `ari:cloud:jira-software::site/<cloudId>`.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// When the person last used it, to the second.
    #[serde(default)]
    pub last_active_timestamp: Option<String>,
}

/// A product instance (`POST /v2/orgs/{orgId}/workspaces`).
#[derive(Debug, Deserialize)]
pub struct Workspace {
    /// Its id, which `resourceIds` filters take as well as the instance's
    /// ARI. What it is, the documents do not say: read as the ARI itself
    /// when it has that form, else as the last part of one (a site's cloud
    /// id); see [`Instance::of`](crate::admin::Instance::of).
    #[serde(default)]
    pub id: String,
    /// Its attributes.
    #[serde(default)]
    pub attributes: WorkspaceAttributes,
    /// Its relationships: the entitlements carry the plan.
    #[serde(default, deserialize_with = "nullable")]
    pub relationships: Relationships,
}

/// A workspace's attributes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceAttributes {
    /// The instance's name (the site).
    #[serde(default)]
    pub name: Option<String>,
    /// The product key (`jira-software`, `confluence`).
    #[serde(default)]
    pub type_key: Option<String>,
    /// Seats in use.
    #[serde(default)]
    pub usage: Option<u32>,
    /// Seats bought.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Where its users open it (`https://acme.atlassian.net`).
    #[serde(default)]
    pub host_url: Option<String>,
    /// Whether it is a sandbox: `{"type": "CHILD"}` for one, `NONE` else.
    #[serde(default)]
    pub sandbox: Option<SandboxType>,
}

/// A workspace's `sandbox` attribute.
#[derive(Debug, Default, Deserialize)]
pub struct SandboxType {
    /// `CHILD` for a sandbox of another instance, `NONE` otherwise.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// A workspace's relationships: only its entitlements are read.
#[derive(Debug, Default, Deserialize)]
pub struct Relationships {
    /// The instance's entitlements.
    #[serde(default, deserialize_with = "nullable")]
    pub entitlements: Vec<Entitlement>,
}

/// An entitlement: the plan a workspace is on.
#[derive(Debug, Deserialize)]
pub struct Entitlement {
    /// Its attributes, if any.
    #[serde(default)]
    pub attributes: Option<EntitlementAttributes>,
}

/// An entitlement's attributes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntitlementAttributes {
    /// The plan's name (`STANDARD`).
    #[serde(default)]
    pub plan: Option<String>,
    /// The plan's key, read when the name is missing.
    #[serde(default)]
    pub plan_key: Option<String>,
}

impl Workspace {
    /// Whether it is a sandbox; none when the answer does not say.
    pub fn is_sandbox(&self) -> Option<bool> {
        let kind = self.attributes.sandbox.as_ref()?.kind.as_deref()?;
        Some(kind.eq_ignore_ascii_case("CHILD"))
    }

    /// The plan of the first entitlement that names one.
    pub fn plan(&self) -> Option<String> {
        self.relationships
            .entitlements
            .iter()
            .filter_map(|e| e.attributes.as_ref())
            .find_map(|a| a.plan.clone().or_else(|| a.plan_key.clone()))
    }
}

/// One resource an account or a group holds roles on
/// (`.../role-assignments`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// The resource (an instance ARI).
    pub resource_id: String,
    /// The roles, each with how it was assigned.
    #[serde(default, deserialize_with = "nullable")]
    pub role_assignments: Vec<RoleAssignment>,
    /// Deprecated plain role list, read when `roleAssignments` is absent.
    #[serde(default, deserialize_with = "nullable")]
    pub roles: Vec<String>,
}

/// A role and how it was assigned (`GROUP`, `DIRECT`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// The role id (`atlassian/user`).
    pub role: String,
    /// How it was assigned.
    #[serde(default, deserialize_with = "nullable")]
    pub role_assignment_methods: Vec<String>,
}

impl Assignment {
    /// The roles held on the resource, each with whether a group grants it.
    pub fn roles(&self) -> Vec<(&str, bool)> {
        if self.role_assignments.is_empty() {
            return self.roles.iter().map(|r| (r.as_str(), false)).collect();
        }
        self.role_assignments
            .iter()
            .map(|r| {
                let via_group = r.role_assignment_methods.iter().any(|m| m == "GROUP");
                (r.role.as_str(), via_group)
            })
            .collect()
    }
}

/// One product's last activity from v1 `last-active-dates` (a day).
#[derive(Debug, Clone, Deserialize)]
pub struct LastActive {
    /// The product key.
    pub key: String,
    /// The instance ARI.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// The day of the last activity (`YYYY-MM-DD`).
    #[serde(default)]
    pub last_active: Option<String>,
}

/// A page of v1 `last-active-dates`: the products are under `data`.
#[derive(Debug, Deserialize)]
pub struct LastActivePage {
    data: Activity,
    #[serde(default)]
    links: Links,
}

#[derive(Debug, Deserialize)]
struct Activity {
    #[serde(default, deserialize_with = "nullable")]
    product_access: Vec<LastActive>,
}

impl Paged for LastActivePage {
    type Item = LastActive;

    fn split(self, request: &Request) -> Result<(Vec<LastActive>, Option<Request>)> {
        let next = self.links.next_request(request)?;
        Ok((self.data.product_access, next))
    }
}

/// An organization (`OrgModel`, v1).
#[derive(Debug, Deserialize)]
pub struct Organization {
    /// The organization id.
    pub id: String,
    /// Its attributes.
    pub attributes: OrganizationAttributes,
}

/// An organization's attributes.
#[derive(Debug, Deserialize)]
pub struct OrganizationAttributes {
    /// Its name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_read_with_nulls_and_expansions() {
        let user: User = serde_json::from_str(
            r#"{"accountId":"712020:1a","accountType":"atlassian","status":"active","email":"ana@example.com",
                "productAccess":[{"key":"jira","id":"ari:cloud:jira-software::site/c","lastActiveTimestamp":"2026-07-30T12:00:00Z"}],
                "groups":[{"id":"g1","name":"jira-software-users"}],"deactivatedOn":null}"#,
        )
        .unwrap();
        assert_eq!(user.product_access[0].key, "jira");
        assert!(user.in_group("g1") && !user.in_group("g2"));
        let sparse: User = serde_json::from_str(
            r#"{"accountId":"a","accountType":null,"status":null,"productAccess":null,"groups":null}"#,
        )
        .unwrap();
        assert!(sparse.groups.is_empty() && sparse.product_access.is_empty());
        assert_eq!(sparse.status, "");
    }

    #[test]
    fn statuses_from_the_composite_status_or_its_parts() {
        let status = |json: &str| serde_json::from_str::<User>(json).unwrap().status();
        let cases = [
            (
                r#"{"accountId":"a","status":"suspended"}"#,
                AccountStatus::Suspended,
            ),
            (
                r#"{"accountId":"a","status":"for_deletion"}"#,
                AccountStatus::Deactivated,
            ),
            (
                r#"{"accountId":"a","status":"deactivated"}"#,
                AccountStatus::Deactivated,
            ),
            (
                r#"{"accountId":"a","status":"active","emailVerified":false}"#,
                AccountStatus::Invited,
            ),
            (
                r#"{"accountId":"a","status":"active","emailVerified":true}"#,
                AccountStatus::Active,
            ),
            (
                r#"{"accountId":"a","accountStatus":"closed"}"#,
                AccountStatus::Deactivated,
            ),
            (
                r#"{"accountId":"a","accountStatus":"active","membershipStatus":"suspended"}"#,
                AccountStatus::Suspended,
            ),
            (
                r#"{"accountId":"a","accountStatus":"active","membershipStatus":"active"}"#,
                AccountStatus::Active,
            ),
            (
                r#"{"accountId":"a","status":"not_invited"}"#,
                AccountStatus::Unknown,
            ),
        ];
        for (json, want) in cases {
            assert_eq!(status(json), want, "{json}");
        }
        let invited: User =
            serde_json::from_str(r#"{"accountId":"a","accountType":"atlassian","status":"active","emailVerified":false}"#)
                .unwrap();
        assert!(invited.can_sign_in() && invited.is_person());
        let gone: User =
            serde_json::from_str(r#"{"accountId":"a","accountType":"app","status":"suspended"}"#)
                .unwrap();
        assert!(!gone.can_sign_in() && !gone.is_person());
    }

    #[test]
    fn workspace_plans_come_from_the_first_entitlement_naming_one() {
        let w: Workspace = serde_json::from_str(
            r#"{"attributes":{"typeKey":"confluence","usage":3,"capacity":10},
                "relationships":{"entitlements":[{"attributes":null},{"attributes":{"planKey":"premium"}},{"attributes":{"plan":"STANDARD"}}]}}"#,
        )
        .unwrap();
        assert_eq!(w.plan().as_deref(), Some("premium"));
        assert_eq!(w.attributes.capacity, Some(10));
        let bare: Workspace = serde_json::from_str(r#"{"relationships":null}"#).unwrap();
        assert_eq!(bare.plan(), None);
    }

    #[test]
    fn roles_with_their_assignment_or_the_deprecated_list() {
        let a: Assignment = serde_json::from_str(
            r#"{"resourceId":"r","roleAssignments":[{"role":"atlassian/user","roleAssignmentMethods":["DIRECT","GROUP"]},{"role":"atlassian/admin","roleAssignmentMethods":null}]}"#,
        )
        .unwrap();
        assert_eq!(
            a.roles(),
            [("atlassian/user", true), ("atlassian/admin", false)]
        );
        let old: Assignment =
            serde_json::from_str(r#"{"resourceId":"r","roles":["atlassian/guest"]}"#).unwrap();
        assert_eq!(old.roles(), [("atlassian/guest", false)]);
    }

    #[test]
    fn last_active_pages_follow_their_cursor() {
        let request = Request::get(
            "https://api.atlassian.com/admin/v1/orgs/o/directory/users/a/last-active-dates",
        );
        let page: LastActivePage = serde_json::from_str(
            r#"{"data":{"product_access":[{"id":"ari:cloud:confluence::site/c","key":"confluence","last_active":"2026-07-12"}],"added_to_org":"2024-01-09"},"links":{"next":"n2"}}"#,
        )
        .unwrap();
        let (items, next) = page.split(&request).unwrap();
        assert_eq!(items[0].last_active.as_deref(), Some("2026-07-12"));
        assert!(
            next.unwrap()
                .url()
                .ends_with("/last-active-dates?cursor=n2")
        );
        let last: LastActivePage =
            serde_json::from_str(r#"{"data":{"product_access":null}}"#).unwrap();
        let (items, next) = last.split(&request).unwrap();
        assert!(items.is_empty() && next.is_none());
    }
}
