//! The Atlassian Administration APIs on `api.atlassian.com`: the requests
//! this connector makes and the shapes it reads. Admin API v2 (directory
//! users, groups, memberships, lifecycle, invitations, workspaces), v1
//! (organisation, last-active dates), the user-management API and SCIM.

use roster_sdk::http::{Request, Response, send_all};
use roster_sdk::paging::LinksPage;
use roster_sdk::{Error, Result, Url};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use std::cell::RefCell;

/// The manifest credential of the organisation API key.
pub const ORG: &str = "org";
/// The manifest credential of the SCIM directory API key.
pub const SCIM: &str = "scim";

/// Users per page of the v2 user search (the API's maximum).
const USERS_PAGE: u32 = 100;
/// Workspaces per page.
const WORKSPACES_PAGE: u32 = 100;
/// Groups per page.
const GROUPS_PAGE: u32 = 100;
/// What the user search expands.
const EXPAND: [&str; 2] = ["groups", "productAccess"];
/// What the usage stream needs expanded: last activity only.
pub const EXPAND_ACTIVITY: &[&str] = &["productAccess"];
/// What accounts and licences need expanded: groups and product access.
pub const EXPAND_ALL: &[&str] = &EXPAND;

/// Reads a `null` as the type's default (an empty list, say).
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A v2 directory user, with `groups` and `productAccess` expanded.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub account_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub account_type: String,
    /// The composite status: `active`, `suspended`, `deactivated`,
    /// `for_deletion`, `not_invited`.
    #[serde(default, deserialize_with = "nullable")]
    pub status: String,
    #[serde(default)]
    pub account_status: Option<String>,
    #[serde(default)]
    pub membership_status: Option<String>,
    #[serde(default)]
    pub added_to_org: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// False for an invitation not accepted yet.
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub claim_status: Option<String>,
    #[serde(default)]
    pub management_source: Option<String>,
    #[serde(default)]
    pub mfa_enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub product_access: Vec<ProductAccess>,
    #[serde(default, deserialize_with = "nullable")]
    pub groups: Vec<GroupRef>,
}

/// One product a user holds (`productAccess[]`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductAccess {
    pub key: String,
    /// The instance ARI, `ari:cloud:jira-software::site/<cloudId>`.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    #[serde(default)]
    pub last_active_timestamp: Option<String>,
}

/// A group, as users and the group listing name it.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
}

/// A product instance (`POST /v2/orgs/{orgId}/workspaces`).
#[derive(Debug, Deserialize)]
pub struct Workspace {
    #[serde(default)]
    pub attributes: WorkspaceAttributes,
    #[serde(default, deserialize_with = "nullable")]
    pub relationships: Relationships,
}

/// A workspace's attributes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceAttributes {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub type_key: Option<String>,
    #[serde(default)]
    pub usage: Option<u32>,
    #[serde(default)]
    pub capacity: Option<u32>,
}

/// A workspace's relationships: only its entitlements are read.
#[derive(Debug, Default, Deserialize)]
pub struct Relationships {
    #[serde(default, deserialize_with = "nullable")]
    pub entitlements: Vec<Entitlement>,
}

/// An entitlement: the plan a workspace is on.
#[derive(Debug, Deserialize)]
pub struct Entitlement {
    #[serde(default)]
    pub attributes: Option<EntitlementAttributes>,
}

/// An entitlement's attributes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntitlementAttributes {
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub plan_key: Option<String>,
}

impl Workspace {
    /// The plan of the first entitlement that names one.
    pub fn plan(&self) -> Option<String> {
        self.relationships
            .entitlements
            .iter()
            .filter_map(|e| e.attributes.as_ref())
            .find_map(|a| a.plan.clone().or_else(|| a.plan_key.clone()))
    }
}

/// One resource a user holds a role on (`.../users/{id}/role-assignments`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub resource_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub role_assignments: Vec<RoleAssignment>,
    /// Deprecated plain role list, read when `roleAssignments` is absent.
    #[serde(default, deserialize_with = "nullable")]
    pub roles: Vec<String>,
}

/// A role and how it was assigned (`GROUP`, `DIRECT`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    pub role: String,
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
#[derive(Debug, Deserialize)]
pub struct LastActive {
    pub key: String,
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    #[serde(default)]
    pub last_active: Option<String>,
}

/// The organisation's API, reached at `base` (`https://api.atlassian.com/`).
pub struct Admin {
    base: Url,
    org_id: String,
    directory: RefCell<Option<String>>,
    groups: RefCell<Option<Vec<GroupRef>>>,
}

impl Admin {
    pub fn new(base: Url, org_id: String) -> Self {
        Admin {
            base,
            org_id,
            directory: RefCell::new(None),
            groups: RefCell::new(None),
        }
    }

    fn url(&self, path: &str) -> Result<Url> {
        Ok(self.base.join(path)?)
    }

    /// `admin/{version}/orgs/{orgId}/{rest}`, each segment encoded.
    fn org_url(&self, version: &str, rest: &[&str]) -> Result<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Internal("the base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(["admin", version, "orgs", &self.org_id])
            .extend(rest);
        Ok(url)
    }

    /// The same URL under `users/{accountId}/manage/...` or
    /// `scim/directory/{id}/...`: any path built from segments.
    fn path_url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Internal("the base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// Turns the errors of organisation-level reads into what the
    /// operator must fix: the key (401) or the organisation id (404).
    pub fn org_errors(&self, e: Error) -> Error {
        match e {
            Error::Unauthorized(m) => Error::Unauthorized(format!(
                "the Admin API rejected `api_key` ({m}): create an organization API key at \
                 admin.atlassian.com > Settings > API keys, without scopes"
            )),
            Error::NotFound(m) => Error::config(
                "org_id",
                format_args!(
                    "organization `{}` is not one this API key administers ({m}); copy the \
                     id from admin.atlassian.com > Settings > API keys",
                    self.org_id
                ),
            ),
            other => other,
        }
    }

    /// `GET /admin/v1/orgs/{orgId}`: the organisation's name.
    pub fn org_name(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct One {
            data: OrgModel,
        }
        let one: One = Request::get(self.org_url("v1", &[])?)
            .auth(ORG)
            .fetch_json()?;
        Ok(one.data.attributes.name)
    }

    /// `GET /admin/v1/orgs`: the organisations the key administers, as
    /// `name (id)`.
    pub fn orgs(&self) -> Result<Vec<String>> {
        let page: LinksPage<OrgModel> = Request::get(self.url("admin/v1/orgs")?)
            .auth(ORG)
            .fetch_json()?;
        Ok(page
            .data
            .into_iter()
            .map(|o| format!("{} ({})", o.attributes.name, o.id))
            .collect())
    }

    /// `GET /users/{accountId}/manage` with the organisation key: proves
    /// the key may use the user-management API. The raw answer, since
    /// 403 and 404 mean different things here.
    pub fn manage_probe(&self, account_id: &str) -> Result<Response> {
        Ok(
            Request::get(self.path_url(&["users", account_id, "manage"])?)
                .auth(ORG)
                .send()?,
        )
    }

    /// One page of the v2 user search across every directory, with
    /// `expand` expanded.
    pub fn users_page(
        &self,
        cursor: Option<&str>,
        expand: &[&str],
    ) -> Result<(Vec<User>, Option<String>)> {
        let mut body = json!({ "limit": USERS_PAGE, "expand": expand });
        if let Some(c) = cursor {
            body["cursor"] = json!(c);
        }
        let page: LinksPage<User> = self.search(&body).map_err(|e| self.org_errors(e))?;
        let next = page.next_cursor();
        Ok((page.data, next))
    }

    fn search(&self, body: &Value) -> Result<LinksPage<User>> {
        Request::post(self.org_url("v2", &["directories", "-", "users", "search"])?)
            .auth(ORG)
            .json(body)
            .fetch_json()
    }

    /// One page of the v2 user listing (`GET`, which dry runs may send,
    /// unlike the search's `POST`).
    fn list(&self, query: &[(&str, &str)]) -> Result<LinksPage<User>> {
        Request::get(self.org_url("v2", &["directories", "-", "users"])?)
            .query(query.iter().copied())
            .query([("expand", EXPAND.join(","))])
            .auth(ORG)
            .fetch_json()
            .map_err(|e| self.org_errors(e))
    }

    /// The directory member with this email, if any.
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let page = self.list(&[("emails", email), ("limit", "1")])?;
        Ok(page.data.into_iter().next())
    }

    /// The instance ARI of the first product access `wanted` accepts,
    /// looking through at most `pages` pages of the directory.
    pub fn find_resource(
        &self,
        pages: usize,
        wanted: impl Fn(&ProductAccess) -> bool,
    ) -> Result<Option<String>> {
        let limit = USERS_PAGE.to_string();
        let mut cursor: Option<String> = None;
        for _ in 0..pages {
            let mut query = vec![("limit", limit.as_str())];
            if let Some(c) = &cursor {
                query.push(("cursor", c));
            }
            let page = self.list(&query)?;
            if let Some(found) = page
                .data
                .iter()
                .flat_map(|u| &u.product_access)
                .find(|p| wanted(p))
            {
                return Ok(Some(found.id.clone()));
            }
            cursor = page.next_cursor();
            if cursor.is_none() {
                break;
            }
        }
        Ok(None)
    }

    /// The id of one managed account, to probe the user-management API
    /// with; none when the organisation has none.
    pub fn managed_account(&self) -> Result<Option<String>> {
        let page = self
            .search(&json!({ "claimStatus": "managed", "limit": 1 }))
            .map_err(|e| self.org_errors(e))?;
        Ok(page.data.into_iter().next().map(|u| u.account_id))
    }

    /// One directory member; an unknown id is `NotFound` naming it.
    pub fn user(&self, account_id: &str) -> Result<User> {
        Request::get(self.org_url("v2", &["directories", "-", "users", account_id])?)
            .query([("expand", EXPAND.join(","))])
            .auth(ORG)
            .fetch_json()
            .map_err(|e| match e {
                Error::NotFound(_) => not_in_directory(account_id),
                other => self.org_errors(other),
            })
    }

    /// Whether the organisation knows the account at all, in its
    /// directory or not (removed people keep their last-active record).
    pub fn known(&self, account_id: &str) -> Result<bool> {
        let response = self.last_active_request(account_id)?.send()?;
        match response.status() {
            404 => Ok(false),
            _ => response.error_for_status().map(|_| true),
        }
    }

    /// The role assignments of each account, one request per account sent
    /// as one batch.
    pub fn role_assignments(&self, account_ids: &[&str]) -> Result<Vec<Vec<Assignment>>> {
        let requests = account_ids
            .iter()
            .map(|id| {
                Ok(Request::get(
                    self.org_url("v2", &["directories", "-", "users", id, "role-assignments"])?,
                )
                .auth(ORG))
            })
            .collect::<Result<Vec<_>>>()?;
        fan_out::<LinksPage<Assignment>>(&requests, |i| format!("account `{}`", account_ids[i]))
    }

    /// The role assignments of each group, one request per group sent as
    /// one batch.
    pub fn group_role_assignments(&self, groups: &[GroupRef]) -> Result<Vec<Vec<Assignment>>> {
        let directory = self.directory()?;
        let requests = groups
            .iter()
            .map(|g| {
                Ok(Request::get(self.org_url(
                    "v2",
                    &[
                        "directories",
                        &directory,
                        "groups",
                        &g.id,
                        "role-assignments",
                    ],
                )?)
                .auth(ORG))
            })
            .collect::<Result<Vec<_>>>()?;
        fan_out::<LinksPage<Assignment>>(&requests, |i| format!("group `{}`", groups[i].name))
    }

    /// The account ids of everyone holding `role` on `resource`, every
    /// page of the user search filtered by both.
    pub fn role_holders(&self, resource: &str, role: &str) -> Result<Vec<String>> {
        let mut holders = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut body = json!({
                "limit": USERS_PAGE,
                "resourceIds": [resource],
                "roleIds": [role],
            });
            if let Some(c) = cursor {
                body["cursor"] = json!(c);
            }
            let page = self.search(&body).map_err(|e| self.org_errors(e))?;
            cursor = page.next_cursor();
            holders.extend(page.data.into_iter().map(|u| u.account_id));
            if cursor.is_none() {
                return Ok(holders);
            }
        }
    }

    fn last_active_request(&self, account_id: &str) -> Result<Request> {
        Ok(Request::get(self.org_url(
            "v1",
            &["directory", "users", account_id, "last-active-dates"],
        )?)
        .auth(ORG))
    }

    /// v1 last-active dates of each account, one request per account sent
    /// as one batch.
    pub fn last_active(&self, account_ids: &[&str]) -> Result<Vec<Vec<LastActive>>> {
        let requests = account_ids
            .iter()
            .map(|id| self.last_active_request(id))
            .collect::<Result<Vec<_>>>()?;
        fan_out::<LastActivePage>(&requests, |i| format!("account `{}`", account_ids[i]))
    }

    /// The product instances, every page.
    pub fn workspaces(&self) -> Result<Vec<Workspace>> {
        let url = self.org_url("v2", &["workspaces"])?;
        let mut all = Vec::new();
        let mut body = json!({ "limit": WORKSPACES_PAGE });
        loop {
            let page: LinksPage<Workspace> = Request::post(url.as_str())
                .auth(ORG)
                .json(&body)
                .fetch_json()
                .map_err(|e| self.org_errors(e))?;
            let next = page.next_cursor();
            all.extend(page.data);
            match next {
                // With a cursor the API takes nothing else.
                Some(cursor) => body = json!({ "cursor": cursor }),
                None => break,
            }
        }
        Ok(all)
    }

    /// The directory id writes go to: the organisation's directory when it
    /// has one, else `-` (every directory the key may manage).
    pub fn directory(&self) -> Result<String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Directory {
            directory_id: String,
        }
        if let Some(d) = &*self.directory.borrow() {
            return Ok(d.clone());
        }
        let page: LinksPage<Directory> = Request::get(self.org_url("v2", &["directories"])?)
            .auth(ORG)
            .fetch_json()
            .map_err(|e| self.org_errors(e))?;
        let id = match page.data.as_slice() {
            [one] => one.directory_id.clone(),
            _ => "-".to_owned(),
        };
        *self.directory.borrow_mut() = Some(id.clone());
        Ok(id)
    }

    /// Every group of the directory, fetched once per session.
    pub fn groups(&self) -> Result<Vec<GroupRef>> {
        if let Some(g) = &*self.groups.borrow() {
            return Ok(g.clone());
        }
        let directory = self.directory()?;
        let url = self.org_url("v2", &["directories", &directory, "groups"])?;
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut request =
                Request::get(url.as_str()).query([("limit", GROUPS_PAGE.to_string())]);
            if let Some(c) = &cursor {
                request = request.query([("cursor", c)]);
            }
            let page: LinksPage<GroupRef> = request
                .auth(ORG)
                .fetch_json()
                .map_err(|e| self.org_errors(e))?;
            cursor = page.next_cursor();
            all.extend(page.data);
            if cursor.is_none() {
                break;
            }
        }
        *self.groups.borrow_mut() = Some(all.clone());
        Ok(all)
    }

    /// `POST .../groups/{groupId}/memberships`.
    pub fn add_member(&self, group_id: &str, account_id: &str) -> Result<Request> {
        let directory = self.directory()?;
        Ok(Request::post(self.org_url(
            "v2",
            &["directories", &directory, "groups", group_id, "memberships"],
        )?)
        .auth(ORG)
        .json(&json!({ "accountId": account_id })))
    }

    /// `DELETE .../groups/{groupId}/memberships/{accountId}`.
    pub fn remove_member(&self, group_id: &str, account_id: &str) -> Result<Request> {
        let directory = self.directory()?;
        Ok(Request::delete(self.org_url(
            "v2",
            &[
                "directories",
                &directory,
                "groups",
                group_id,
                "memberships",
                account_id,
            ],
        )?)
        .auth(ORG))
    }

    /// `POST .../users/{accountId}/suspend` or `.../restore`.
    pub fn lifecycle(&self, account_id: &str, verb: &str) -> Result<Request> {
        let directory = self.directory()?;
        Ok(Request::post(self.org_url(
            "v2",
            &["directories", &directory, "users", account_id, verb],
        )?)
        .auth(ORG))
    }

    /// `DELETE .../directories/{directoryId}/users/{accountId}`.
    pub fn remove(&self, account_id: &str) -> Result<Request> {
        let directory = self.directory()?;
        Ok(
            Request::delete(self.org_url("v2", &["directories", &directory, "users", account_id])?)
                .auth(ORG),
        )
    }

    /// `POST /admin/v2/orgs/{orgId}/users/invite` granting each resource
    /// (a product instance ARI) the `atlassian/user` role.
    pub fn invite(&self, email: &str, resources: &[String]) -> Result<Request> {
        let rules: Vec<Value> = resources
            .iter()
            .map(|r| json!({ "resource": r, "role": "atlassian/user" }))
            .collect();
        Ok(Request::post(self.org_url("v2", &["users", "invite"])?)
            .auth(ORG)
            .json(&json!({
                "emails": [email],
                "permissionRules": rules,
                "sendNotification": true,
            })))
    }

    /// `POST /users/{accountId}/manage/lifecycle/enable`: reactivates a
    /// deactivated managed account.
    pub fn enable(&self, account_id: &str) -> Result<Request> {
        Ok(
            Request::post(self.path_url(&[
                "users",
                account_id,
                "manage",
                "lifecycle",
                "enable",
            ])?)
            .auth(ORG),
        )
    }

    /// `GET /scim/directory/{id}/Users?count=1`: proves the SCIM key.
    pub fn scim_probe(&self, directory_id: &str) -> Result<Response> {
        Ok(
            Request::get(self.path_url(&["scim", "directory", directory_id, "Users"])?)
                .query([("startIndex", "1"), ("count", "1")])
                .auth(SCIM)
                .send()?,
        )
    }

    /// `POST /scim/directory/{id}/Users` with the person's `userName`:
    /// SCIM's reactivation of a deactivated synced user.
    pub fn scim_reactivate(&self, directory_id: &str, email: &str) -> Result<Request> {
        Ok(
            Request::post(self.path_url(&["scim", "directory", directory_id, "Users"])?)
                .auth(SCIM)
                .json(&json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": email,
                    "emails": [{ "value": email, "type": "work", "primary": true }],
                    "active": true,
                })),
        )
    }
}

/// `OrgModel` (v1).
#[derive(Deserialize)]
struct OrgModel {
    id: String,
    attributes: OrgAttributes,
}

#[derive(Deserialize)]
struct OrgAttributes {
    name: String,
}

/// `NotFound` for an account the directory does not list.
pub fn not_in_directory(account_id: &str) -> Error {
    Error::NotFound(format!(
        "the organization's directory has no account with id `{account_id}`"
    ))
}

/// A page of items with a cursor to the next one.
trait Paged: serde::de::DeserializeOwned {
    type Item;
    /// Takes the page's items out.
    fn take_items(&mut self) -> Vec<Self::Item>;
    /// The cursor of the next page; none at the end.
    fn next(&self) -> Option<String>;
}

impl<T: serde::de::DeserializeOwned> Paged for LinksPage<T> {
    type Item = T;
    fn take_items(&mut self) -> Vec<T> {
        std::mem::take(&mut self.data)
    }
    fn next(&self) -> Option<String> {
        self.next_cursor()
    }
}

/// A page of v1 `last-active-dates`: the products are under `data`.
#[derive(Deserialize)]
struct LastActivePage {
    data: Activity,
    #[serde(default)]
    links: roster_sdk::paging::Links,
}

#[derive(Deserialize)]
struct Activity {
    #[serde(default, deserialize_with = "nullable")]
    product_access: Vec<LastActive>,
}

impl Paged for LastActivePage {
    type Item = LastActive;
    fn take_items(&mut self) -> Vec<LastActive> {
        std::mem::take(&mut self.data.product_access)
    }
    fn next(&self) -> Option<String> {
        self.links.next_cursor()
    }
}

/// Sends one request per subject as one batch and reads every item of each
/// answer, following later pages (rare) one by one. A 404 means the subject
/// went away since it was listed, and reads as no items; errors name the
/// subject (`subject(i)` for the i-th request).
fn fan_out<P: Paged>(
    requests: &[Request],
    subject: impl Fn(usize) -> String,
) -> Result<Vec<Vec<P::Item>>> {
    let mut all = Vec::with_capacity(requests.len());
    for (i, (answer, request)) in send_all(requests).into_iter().zip(requests).enumerate() {
        let response = answer?;
        if response.status() == 404 {
            all.push(Vec::new());
            continue;
        }
        let about = |e: Error| annotate_with(e, &subject(i));
        let mut page: P = response.error_for_status().map_err(&about)?.json()?;
        let mut items = page.take_items();
        while let Some(cursor) = page.next() {
            page = request
                .clone()
                .query([("cursor", cursor)])
                .fetch_json()
                .map_err(&about)?;
            items.append(&mut page.take_items());
        }
        all.push(items);
    }
    Ok(all)
}

/// Names what an error of a fan-out request concerns.
fn annotate_with(e: Error, subject: &str) -> Error {
    match e {
        Error::Upstream { status, message } => Error::Upstream {
            status,
            message: format!("{subject}: {message}"),
        },
        Error::Forbidden(m) => Error::Forbidden(format!("{subject}: {m}")),
        other => other,
    }
}
