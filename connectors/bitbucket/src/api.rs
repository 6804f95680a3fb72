//! Bitbucket Cloud's REST API: 2.0 for the workspace and its members'
//! permissions, 1.0 for the groups (the only group API Bitbucket keeps).
//! The requests this connector makes, the shapes it reads, and what a
//! refusal of each means for the operator.

use roster_atlassian::access::{Granting, GroupAccess, GroupWrites, LicensedGroups};
use roster_atlassian::errors::needs;
use roster_atlassian::paging::{NextUrlPage, follow};
use roster_atlassian::{GroupRef, Rest, groups};
use roster_sdk::http::{Method, Request};
use roster_sdk::{Error, Memo, ProductRef, Result, Url};
use serde::Deserialize;
use serde_json::json;

/// The product key of Bitbucket.
pub const BITBUCKET: &str = "bitbucket";

/// Bitbucket Cloud's API.
pub const API: &str = "https://api.bitbucket.org";

/// The manifest credential of an Atlassian API token (Basic with the
/// account's email).
pub const API_TOKEN: &str = "api-token";
/// The manifest credential of a workspace access token (Bearer).
pub const ACCESS_TOKEN: &str = "access-token";

/// Memberships per page: Bitbucket's largest.
const PAGELEN: &str = "100";

/// What reading the members' permissions needs.
pub const ADMIN: &str = "administration of the workspace (an owner's API token, or a workspace \
                         access token with the `Workspace: admin` scope)";

/// A `workspace_membership` from `/permissions`.
#[derive(Debug, Clone, Deserialize)]
pub struct Membership {
    /// `owner`, `member` or `collaborator`.
    #[serde(default)]
    pub permission: Option<String>,
    /// When the member last accessed the workspace; gone once the
    /// workspace's administration moved to admin.atlassian.com.
    #[serde(default)]
    pub last_accessed: Option<String>,
    /// When the member joined; gone like `last_accessed`.
    #[serde(default)]
    pub added_on: Option<String>,
    /// The member.
    pub user: BitbucketUser,
}

/// A Bitbucket user (`account` of type `user`).
#[derive(Debug, Clone, Deserialize)]
pub struct BitbucketUser {
    /// `user`, or `app_user` for an app.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Bitbucket's uuid, with braces.
    pub uuid: String,
    /// The Atlassian account id.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The name Bitbucket shows.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The public handle.
    #[serde(default)]
    pub nickname: Option<String>,
}

impl BitbucketUser {
    /// The id accounts are reported by: the Atlassian account id, which
    /// joins the other Atlassian products, else the uuid.
    pub fn id(&self) -> &str {
        self.account_id.as_deref().unwrap_or(&self.uuid)
    }

    /// Whether `id` (an account id or a uuid) names this user.
    pub fn is(&self, id: &str) -> bool {
        self.account_id.as_deref() == Some(id) || self.uuid == id
    }
}

/// A 1.0 group, with its members.
#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    /// The name.
    pub name: String,
    /// The slug paths name it by.
    pub slug: String,
    /// The repository permission membership gives (`read`, `write`,
    /// `admin`), if any.
    #[serde(default)]
    pub permission: Option<String>,
    /// The members.
    #[serde(default)]
    pub members: Vec<BitbucketUser>,
}

impl Group {
    /// The group as groups are named across Atlassian connectors: its slug
    /// as the id.
    pub fn reference(&self) -> GroupRef {
        GroupRef {
            id: self.slug.clone(),
            name: self.name.clone(),
        }
    }
}

/// The workspace (`GET /2.0/workspaces/{workspace}`).
#[derive(Debug, Clone, Deserialize)]
pub struct Workspace {
    /// The slug.
    pub slug: String,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One Bitbucket workspace's API, with what a session reads once.
pub struct Client {
    rest: Rest,
    workspace: String,
    licensed_names: Option<Vec<String>>,
    groups: Memo<Vec<Group>>,
    centralised: Memo<bool>,
}

impl Client {
    /// The API at `base` for `workspace`, its requests carrying the
    /// manifest credential `credential`.
    pub fn new(
        base: Url,
        credential: &'static str,
        workspace: String,
        licensed_names: Option<Vec<String>>,
    ) -> Self {
        Client {
            rest: Rest::new(base, credential),
            workspace,
            licensed_names,
            groups: Memo::new(),
            centralised: Memo::new(),
        }
    }

    /// A request to `segments` under the base, each one path segment.
    fn at(&self, method: Method, segments: &[&str]) -> Result<Request> {
        Ok(self.rest.request(method, self.rest.path_url(segments)?))
    }

    /// The workspace; one these credentials do not reach is a config
    /// error naming `workspace`.
    pub fn workspace(&self) -> Result<Workspace> {
        self.at(Method::Get, &["2.0", "workspaces", &self.workspace])?
            .fetch_json()
            .map_err(|e| match e {
                Error::NotFound(_) => Error::config(
                    "workspace",
                    format_args!(
                        "Bitbucket has no workspace `{}` these credentials reach: use the slug \
                         of bitbucket.org/<slug>",
                        self.workspace
                    ),
                ),
                Error::Unauthorized(_) => Error::Unauthorized(
                    "Bitbucket rejected the credentials: check `email` and `api_token` (an \
                     Atlassian API token with Bitbucket scopes, from id.atlassian.com), or \
                     `access_token` (Workspace settings > Access tokens)"
                        .into(),
                ),
                other => other,
            })
    }

    /// The first page of the members' permissions, links trimmed.
    fn permissions(&self) -> Result<Request> {
        let request = self.at(
            Method::Get,
            &["2.0", "workspaces", &self.workspace, "permissions"],
        )?;
        Ok(request.query([
            ("pagelen", PAGELEN),
            ("fields", "-values.links,-values.*.links,-values.workspace"),
        ]))
    }

    /// One page of the members' permissions from `cursor` (the next
    /// page's URL, which must stay on the API's host): the memberships and
    /// the next cursor, none at the end.
    pub fn permissions_page(
        &self,
        cursor: Option<&str>,
    ) -> Result<(Vec<Membership>, Option<String>)> {
        let first = self.permissions()?;
        let request = match cursor {
            Some(next) => follow(next, &first)?,
            None => first,
        };
        let page: NextUrlPage<Membership> = request
            .fetch_json()
            .map_err(needs(ADMIN, "listing members with their permissions"))?;
        let next = page.next_cursor(&request)?;
        Ok((page.values, next))
    }

    /// Whether the workspace's administration moved to
    /// admin.atlassian.com: its memberships no longer carry `added_on`
    /// (nor `last_accessed`), as Bitbucket documents. Read once per
    /// session; an empty workspace reads as not moved.
    pub fn centralised(&self) -> Result<bool> {
        self.centralised.get_or_read(|| {
            let request = self.permissions()?.set_query("pagelen", "1");
            let page: NextUrlPage<Membership> = request
                .fetch_json()
                .map_err(needs(ADMIN, "listing members with their permissions"))?;
            Ok(page.values.first().is_some_and(|m| m.added_on.is_none()))
        })
    }

    /// Every group with its members (one request), read once per session
    /// unless `fresh`.
    pub fn groups(&self, fresh: bool) -> Result<Vec<Group>> {
        let read = || {
            self.at(Method::Get, &["1.0", "groups", &self.workspace])?
                .fetch_json()
                .map_err(needs(ADMIN, "listing groups"))
        };
        if fresh {
            self.groups.refresh(read)
        } else {
            self.groups.get_or_read(read)
        }
    }

    /// Checks that Bitbucket knows the account `account_id` (an account
    /// id or a uuid); not found is an error naming it.
    pub fn user(&self, account_id: &str) -> Result<()> {
        self.at(Method::Get, &["2.0", "users", account_id])?
            .fetch_json::<serde_json::Value>()
            .map(|_| ())
            .map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::NotFound(format!("Bitbucket has no user `{account_id}`"))
                }
                other => other,
            })
    }

    /// The groups that grant Bitbucket: those the config names (by slug
    /// or name), else every group that gives a repository permission, the
    /// workspace's default group (`bitbucket-users`) first.
    pub fn licensed(&self) -> Result<LicensedGroups> {
        let groups = self.groups(false)?;
        match &self.licensed_names {
            Some(names) => {
                let all: Vec<GroupRef> = groups.iter().map(Group::reference).collect();
                LicensedGroups::named(
                    &all,
                    names,
                    "Workspace settings > User groups shows them (slug or name)",
                )
            }
            None => {
                let granting = groups.iter().filter(|g| g.permission.is_some());
                Ok(LicensedGroups::reported(
                    granting.map(Group::reference).collect(),
                    BITBUCKET,
                ))
            }
        }
    }
}

/// Membership changes through 1.0, which Bitbucket refuses once the
/// workspace's administration moved to admin.atlassian.com.
impl GroupWrites for Client {
    const WRITES_NEED: Option<&'static str> = Some(ADMIN);

    /// `PUT /1.0/groups/{workspace}/{slug}/members/{account}` with `{}`.
    fn add_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
        let path = [
            "1.0",
            "groups",
            &self.workspace,
            &group.id,
            "members",
            account_id,
        ];
        Ok(self.at(Method::Put, &path)?.json(&json!({})))
    }

    /// `DELETE /1.0/groups/{workspace}/{slug}/members/{account}`.
    fn remove_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
        let path = [
            "1.0",
            "groups",
            &self.workspace,
            &group.id,
            "members",
            account_id,
        ];
        self.at(Method::Delete, &path)
    }

    /// The groups listing the account, read afresh.
    fn groups_of(&self, account_id: &str) -> Result<Vec<GroupRef>> {
        Ok(self
            .groups(true)?
            .iter()
            .filter(|g| g.members.iter().any(|m| m.is(account_id)))
            .map(Group::reference)
            .collect())
    }
}

/// Bitbucket is one product, granted through its licensed groups.
impl GroupAccess for Client {
    const PRODUCT: &'static str = "product";
    type Product = LicensedGroups;

    /// The group `target` names (a slug or a name), or not found.
    fn group(&self, target: &str) -> Result<GroupRef> {
        let all: Vec<GroupRef> = self.groups(false)?.iter().map(Group::reference).collect();
        groups::find(&all, target).cloned().ok_or_else(|| {
            Error::NotFound(format!(
                "the Bitbucket workspace `{}` has no group `{target}`",
                self.workspace
            ))
        })
    }

    /// Bitbucket, or not found.
    fn product(&self, product: &ProductRef) -> Result<LicensedGroups> {
        if product.key != BITBUCKET {
            return Err(Error::NotFound(format!(
                "a Bitbucket workspace grants `{BITBUCKET}` only, not `{}`",
                product.key
            )));
        }
        self.licensed()
    }

    fn granting<'p>(&self, licensed: &'p LicensedGroups) -> Granting<'p> {
        licensed.granting(BITBUCKET)
    }
}
