//! The Atlassian Administration API on `api.atlassian.com` as every
//! connector that asks the organization reads it: the directory's users
//! with their product access and groups, role assignments, last-active
//! dates, product instances and groups (Admin API v2, and v1 for the
//! organization and last-active dates). The organization admin connector
//! reads everything through it; a product connector reads people's status,
//! email and last activity through it where its own API has none
//! (Confluence, Bitbucket).
//!
//! Writes are each connector's own: build them on [`Org::org_url`] and
//! [`Org::directory`].

mod instances;
pub mod shapes;

pub use instances::{Instance, pick};

use crate::paging::{CursorOnlyPage, LinksPage};
use crate::{GroupRef, Rest};
use roster_sdk::batch::fan_out;
use roster_sdk::http::Request;
use roster_sdk::paging::every_item;
use roster_sdk::{Error, Memo, Result, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use shapes::{Assignment, LastActive, LastActivePage, Organization, User, Workspace};

/// Users per page of the v2 user search and listing (the API's maximum).
pub const USERS_PAGE: u32 = 100;
/// Workspaces per page.
const WORKSPACES_PAGE: u32 = 100;
/// Groups per page.
const GROUPS_PAGE: u32 = 100;
/// What accounts and licences need expanded: groups and product access.
pub const EXPAND_ALL: &[&str] = &["groups", "productAccess"];
/// What usage needs expanded: last activity only.
pub const EXPAND_ACTIVITY: &[&str] = &["productAccess"];

/// One organization's Admin API, reached at `base`
/// (`https://api.atlassian.com/`) with an organization API key, and what a
/// session reads of it once: the directory id and the groups.
#[derive(Debug)]
pub struct Org {
    rest: Rest,
    org_id: String,
    directory: Memo<String>,
    groups: Memo<Vec<GroupRef>>,
}

impl Org {
    /// The organization `org_id` (checked as one path segment, see
    /// [`roster_sdk::plain_id`]) at `base`, its requests carrying the
    /// manifest credential `credential` (the organization API key).
    pub fn new(base: Url, org_id: String, credential: &'static str) -> Self {
        Org {
            rest: Rest::new(base, credential),
            org_id,
            directory: Memo::new(),
            groups: Memo::new(),
        }
    }

    /// The organization id.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// The API's base, for requests outside `admin/` (the user-management
    /// API, SCIM).
    pub fn rest(&self) -> &Rest {
        &self.rest
    }

    /// `admin/{version}/orgs/{orgId}/{rest...}`, each segment encoded.
    pub fn org_url(&self, version: &str, rest: &[&str]) -> Result<Url> {
        let org = ["admin", version, "orgs", &self.org_id];
        self.rest.path_url(org.iter().chain(rest))
    }

    /// `admin/v2/orgs/{orgId}/directories/{directoryId}/{rest...}` in the
    /// [`directory`](Org::directory) writes go to, each segment encoded.
    pub fn directory_url(&self, rest: &[&str]) -> Result<Url> {
        let directory = self.directory()?;
        let path: Vec<&str> = ["directories", directory.as_str()]
            .into_iter()
            .chain(rest.iter().copied())
            .collect();
        self.org_url("v2", &path)
    }

    /// Turns the errors of a read of `what` into what the operator must
    /// fix: a rejected key (401) names `api_key`; a 404 names the endpoint
    /// and what it means. Only the organization lookup (see the
    /// connector's check) may say that the organization id is wrong.
    pub fn read_errors(&self, what: &'static str) -> impl Fn(Error) -> Error + '_ {
        move |e| match e {
            Error::Unauthorized(m) => Error::Unauthorized(format!(
                "the Admin API rejected `api_key` ({m}): create an organization API key at \
                 admin.atlassian.com > Settings > API keys, without scopes"
            )),
            Error::NotFound(m) => Error::NotFound(format!(
                "{what} of organization `{}` answered 404 ({m}): the Admin API no longer \
                 serves what it names there; `roster check` says whether the organization id \
                 is still right",
                self.org_id
            )),
            other => other,
        }
    }

    /// `GET /admin/v1/orgs/{orgId}`: the organization's name. Still v1: it
    /// has no v2 counterpart and is not among the v1 endpoints retired on
    /// 2026-06-30.
    pub fn org_name(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct One {
            data: Organization,
        }
        let one: One = self.rest.get(self.org_url("v1", &[])?).fetch_json()?;
        Ok(one.data.attributes.name)
    }

    /// `GET /admin/v1/orgs`: the organizations the key administers (the
    /// first page), as `name (id)`. Still v1, for the same reason as
    /// [`Org::org_name`].
    pub fn orgs(&self) -> Result<Vec<String>> {
        let page: LinksPage<Organization> = self
            .rest
            .get(self.rest.url("admin/v1/orgs")?)
            .fetch_json()?;
        Ok(page
            .data
            .into_iter()
            .map(|o| format!("{} ({})", o.attributes.name, o.id))
            .collect())
    }

    /// One page of the v2 user search across every directory, with
    /// `expand` expanded, and the cursor of the next page.
    pub fn users_page(
        &self,
        cursor: Option<&str>,
        expand: &[&str],
    ) -> Result<(Vec<User>, Option<String>)> {
        let mut body = json!({ "limit": USERS_PAGE, "expand": expand });
        if let Some(c) = cursor {
            body["cursor"] = json!(c);
        }
        let page: LinksPage<User> = self
            .search(&body)?
            .fetch_json()
            .map_err(self.read_errors("the user listing"))?;
        let next = page.next_cursor()?;
        Ok((page.data, next))
    }

    /// The v2 user search across every directory with this body.
    fn search(&self, body: &Value) -> Result<Request> {
        let url = self.org_url("v2", &["directories", "-", "users", "search"])?;
        Ok(self.rest.post(url).json(body))
    }

    /// The v2 user listing with `query`, groups and product access
    /// expanded (a `GET`, which dry runs may send, unlike the search's
    /// `POST`).
    fn list(&self, query: &[(&str, &str)]) -> Result<Request> {
        Ok(self
            .rest
            .get(self.org_url("v2", &["directories", "-", "users"])?)
            .query(query.iter().copied())
            .query([("expand", EXPAND_ALL.join(","))]))
    }

    /// The directory member with this email, if any (a `GET`).
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let page: LinksPage<User> = self
            .list(&[("emails", email), ("limit", "1")])?
            .fetch_json()
            .map_err(self.read_errors("the user search by email"))?;
        Ok(page.data.into_iter().next())
    }

    /// The id of one managed account (to probe the user-management API
    /// with); none when the organization has none.
    pub fn managed_account(&self) -> Result<Option<String>> {
        let page: LinksPage<User> = self
            .search(&json!({ "claimStatus": "managed", "limit": 1 }))?
            .fetch_json()
            .map_err(self.read_errors("the managed-account search"))?;
        Ok(page.data.into_iter().next().map(|u| u.account_id))
    }

    /// One directory member, groups and product access expanded; an
    /// unknown id is [`not_in_directory`].
    pub fn user(&self, account_id: &str) -> Result<User> {
        self.rest
            .get(self.org_url("v2", &["directories", "-", "users", account_id])?)
            .query([("expand", EXPAND_ALL.join(","))])
            .fetch_json()
            .map_err(|e| match e {
                Error::NotFound(_) => not_in_directory(account_id),
                other => self.read_errors("the user lookup")(other),
            })
    }

    /// Whether the organization knows the account at all, in its directory
    /// or not (removed people keep their last-active record).
    pub fn known(&self, account_id: &str) -> Result<bool> {
        let response = self.last_active_request(account_id)?.send()?;
        match response.status() {
            404 => Ok(false),
            _ => response.error_for_status().map(|_| true),
        }
    }

    /// The role assignments of each account: one request per account, sent
    /// as one batch.
    pub fn role_assignments(&self, account_ids: &[&str]) -> Result<Vec<Vec<Assignment>>> {
        let requests = account_ids
            .iter()
            .map(|id| {
                let path = ["directories", "-", "users", id, "role-assignments"];
                Ok(self.rest.get(self.org_url("v2", &path)?))
            })
            .collect::<Result<Vec<_>>>()?;
        fan_out::<LinksPage<Assignment>>(&requests, |i| format!("account `{}`", account_ids[i]))
    }

    /// The role assignments of each group: one request per group, sent as
    /// one batch.
    pub fn group_role_assignments(&self, groups: &[GroupRef]) -> Result<Vec<Vec<Assignment>>> {
        let requests = groups
            .iter()
            .map(|g| {
                let url = self.directory_url(&["groups", &g.id, "role-assignments"])?;
                Ok(self.rest.get(url))
            })
            .collect::<Result<Vec<_>>>()?;
        fan_out::<LinksPage<Assignment>>(&requests, |i| format!("group `{}`", groups[i].name))
    }

    /// The account ids of everyone holding `role` on `resource`: every page
    /// of the user search filtered by both.
    pub fn role_holders(&self, resource: &str, role: &str) -> Result<Vec<String>> {
        let body = json!({ "limit": USERS_PAGE, "resourceIds": [resource], "roleIds": [role] });
        let holders = every_item::<LinksPage<User>>(self.search(&body)?)
            .map_err(self.read_errors("the role holders search"))?;
        Ok(holders.into_iter().map(|u| u.account_id).collect())
    }

    /// v1 `last-active-dates` was not retired with the v1 directory
    /// endpoints; it is the fallback for an organisation whose v2 user
    /// search sends no `lastActiveTimestamp` in `productAccess`.
    fn last_active_request(&self, account_id: &str) -> Result<Request> {
        let path = ["directory", "users", account_id, "last-active-dates"];
        Ok(self.rest.get(self.org_url("v1", &path)?))
    }

    /// The v1 last-active dates of each account: one request per account,
    /// sent as one batch.
    pub fn last_active(&self, account_ids: &[&str]) -> Result<Vec<Vec<LastActive>>> {
        let requests = account_ids
            .iter()
            .map(|id| self.last_active_request(id))
            .collect::<Result<Vec<_>>>()?;
        fan_out::<LastActivePage>(&requests, |i| format!("account `{}`", account_ids[i]))
    }

    /// The product instances, every page.
    pub fn workspaces(&self) -> Result<Vec<Workspace>> {
        let first = self
            .rest
            .post(self.org_url("v2", &["workspaces"])?)
            .json(&json!({ "limit": WORKSPACES_PAGE }));
        every_item::<CursorOnlyPage<Workspace>>(first)
            .map_err(self.read_errors("the workspace listing"))
    }

    /// The directory id writes go to: the organization's directory when it
    /// has one, else `-` (every directory the key may manage). Read once
    /// per session.
    pub fn directory(&self) -> Result<String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Directory {
            directory_id: String,
        }
        self.directory.get_or_read(|| {
            let page: LinksPage<Directory> = self
                .rest
                .get(self.org_url("v2", &["directories"])?)
                .fetch_json()
                .map_err(self.read_errors("the directory listing"))?;
            Ok(match page.data.as_slice() {
                [one] => one.directory_id.clone(),
                _ => "-".to_owned(),
            })
        })
    }

    /// Every group of the directory, every page; read once per session.
    pub fn groups(&self) -> Result<Vec<GroupRef>> {
        self.groups.get_or_read(|| {
            let first = self
                .rest
                .get(self.directory_url(&["groups"])?)
                .query([("limit", GROUPS_PAGE.to_string())]);
            every_item::<LinksPage<GroupRef>>(first).map_err(self.read_errors("the group listing"))
        })
    }
}

/// `NotFound` for an account the directory does not list, naming it.
pub fn not_in_directory(account_id: &str) -> Error {
    Error::NotFound(format!(
        "the organization's directory has no account with id `{account_id}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Org {
        Org::new(
            Url::parse("http://127.0.0.1:9/").unwrap(),
            "k7-org".into(),
            "org",
        )
    }

    fn body(request: &Request) -> Value {
        serde_json::from_slice(request.body_bytes().unwrap()).unwrap()
    }

    #[test]
    fn organization_urls_encode_each_segment() {
        let url = org()
            .org_url(
                "v2",
                &[
                    "directories",
                    "-",
                    "users",
                    "557058:a/b",
                    "role-assignments",
                ],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/admin/v2/orgs/k7-org/directories/-/users/557058:a%2Fb/role-assignments"
        );
        assert_eq!(
            org().org_url("v1", &[]).unwrap().as_str(),
            "http://127.0.0.1:9/admin/v1/orgs/k7-org"
        );
        assert_eq!(org().rest().base().as_str(), "http://127.0.0.1:9/");
        assert_eq!(org().org_id(), "k7-org");
        // With the directory id read (here: kept), writes name it.
        let org = org();
        org.directory.refresh(|| Ok("d/1".into())).unwrap();
        assert_eq!(
            org.directory_url(&["users", "a1", "suspend"])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/admin/v2/orgs/k7-org/directories/d%2F1/users/a1/suspend"
        );
    }

    #[test]
    fn read_errors_say_what_to_fix() {
        let org = org();
        let errors = org.read_errors("the group listing");
        let key = errors(Error::Unauthorized("401".into()));
        assert!(
            matches!(&key, Error::Unauthorized(m) if m.contains("`api_key`")),
            "{key}"
        );
        let gone = errors(Error::NotFound("ADMIN-404-1".into()));
        assert!(
            matches!(&gone, Error::NotFound(m) if m.contains("the group listing")
                && m.contains("k7-org") && !m.contains("administers")),
            "{gone}"
        );
        let other = Error::RateLimited(Some(1));
        assert_eq!(errors(other.clone()), other);
        assert!(not_in_directory("a1").to_string().contains("`a1`"));
    }

    #[test]
    fn searches_post_their_filters_and_listings_get_with_expansions() {
        let search = org().search(&json!({"limit": 1})).unwrap();
        assert!(
            search
                .url()
                .ends_with("/admin/v2/orgs/k7-org/directories/-/users/search")
        );
        assert_eq!(body(&search), json!({"limit": 1}));
        assert_eq!(search.credential(), Some("org"));
        let list = org()
            .list(&[("emails", "a+b@example.com"), ("limit", "1")])
            .unwrap();
        assert_eq!(
            list.url(),
            "http://127.0.0.1:9/admin/v2/orgs/k7-org/directories/-/users?emails=a%2Bb%40example.com&limit=1&expand=groups%2CproductAccess"
        );
        let last = org().last_active_request("a1").unwrap();
        assert_eq!(
            last.url(),
            "http://127.0.0.1:9/admin/v1/orgs/k7-org/directory/users/a1/last-active-dates"
        );
    }
}
