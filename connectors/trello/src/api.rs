//! Trello's REST API (`https://api.trello.com/1`): the requests this
//! connector makes, the shapes it reads, and what a refusal of each means
//! for the operator.
//!
//! Every request carries the API key and the token as the query
//! parameters `key` and `token`, which the host adds: the connector never
//! sees them, and the URLs it builds, logs and plans hold neither.
//!
//! Trello limits `/1/members/*` separately and tightly (100 requests in
//! 900 s), so members are read from the workspace's and the Enterprise's
//! listings, never one by one; only the check asks `/members/me`.

use roster_atlassian::Rest;
use roster_atlassian::errors::needs;
use roster_sdk::http::{Method, Request};
use roster_sdk::paging::{Paged, pages};
use roster_sdk::{Error, Memo, Result, Url};
use serde::Deserialize;
use std::collections::HashMap;
use std::rc::Rc;

/// The product key of Trello.
pub const TRELLO: &str = "trello";

/// Trello's API.
pub const API: &str = "https://api.trello.com";

/// The manifest credential: the key and the token as query parameters.
pub const KEY_AND_TOKEN: &str = "key-and-token";

/// Users a page of the Enterprise query: Trello's fixed page.
pub const ENTERPRISE_PAGE: usize = 100;

/// The member fields the workspace listing asks for.
const MEMBER_FIELDS: &str = "fullName,username,aaId,email,confirmed,idEnterprise,dateLastActive";

/// What reading the workspace's members needs.
const WORKSPACE_MEMBER: &str = "membership of the workspace (the token's user must belong to it)";

/// What the Enterprise's data and licence changes need.
pub const ENTERPRISE_ADMIN: &str = "Enterprise administration (a token of an Enterprise admin)";

/// What workspace changes need.
pub const WORKSPACE_ADMIN: &str = "administration of the workspace (a token of a workspace admin)";

/// The token's user (`GET /1/members/me`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The member id.
    pub id: String,
    /// The username.
    #[serde(default)]
    pub username: Option<String>,
}

/// The workspace (`GET /1/organizations/{id}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    /// The short name (`acme` in trello.com/w/acme).
    pub name: String,
    /// The name shown.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The workspace's page.
    #[serde(default)]
    pub url: Option<String>,
    /// The Enterprise the workspace belongs to.
    #[serde(default)]
    pub id_enterprise: Option<String>,
    /// The plan (`trello.enterprise`, `trello.standard`, ...).
    #[serde(default)]
    pub offering: Option<String>,
}

/// The Enterprise (`GET /1/enterprises/{id}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enterprise {
    /// The Enterprise's admins.
    #[serde(default)]
    pub id_admins: Vec<String>,
    /// Its licences.
    #[serde(default)]
    pub licenses: Option<Licences>,
    /// The Atlassian organization that manages the Enterprise's users,
    /// once user management moved to Atlassian administration. Trello
    /// documents no field that says so; this name is an assumption, and a
    /// licence change refused for that reason is recognised too (see
    /// [`moved_to_atlassian`]).
    #[serde(default)]
    pub id_atlassian_organization: Option<String>,
}

/// The licences of an Enterprise.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Licences {
    /// Licences bought; none when unlimited.
    #[serde(default)]
    pub max_members: Option<u32>,
    /// Licences in use.
    #[serde(default)]
    pub total_members: Option<u32>,
}

/// A Member object as the workspace listing nests it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member id (24 hex digits).
    pub id: String,
    /// The Atlassian account id, when the member has one.
    #[serde(default)]
    pub aa_id: Option<String>,
    /// The name shown.
    #[serde(default)]
    pub full_name: Option<String>,
    /// The username.
    #[serde(default)]
    pub username: Option<String>,
    /// The email, which Trello shows for managed members only.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the member signed up (false for someone invited).
    #[serde(default)]
    pub confirmed: Option<bool>,
    /// The member's Enterprise.
    #[serde(default)]
    pub id_enterprise: Option<String>,
    /// Last activity, which Trello sends though its spec leaves it out.
    #[serde(default)]
    pub date_last_active: Option<String>,
}

/// A workspace membership (`GET /1/organizations/{id}/memberships`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    /// The member id.
    pub id_member: String,
    /// `admin` or `normal`.
    #[serde(default)]
    pub member_type: Option<String>,
    /// Deactivated in the workspace.
    #[serde(default)]
    pub deactivated: bool,
    /// Invited, not yet signed up.
    #[serde(default)]
    pub unconfirmed: bool,
    /// The member, as `member=true` nests it.
    #[serde(default)]
    pub member: Option<Member>,
}

impl Membership {
    /// Whether the member administers the workspace.
    pub fn is_admin(&self) -> bool {
        self.member_type.as_deref() == Some("admin")
    }

    /// Whether `id` (a member id, an Atlassian account id or a username)
    /// names this member.
    pub fn is(&self, id: &str) -> bool {
        self.id_member == id
            || self.member.as_ref().is_some_and(|m| {
                m.aa_id.as_deref() == Some(id) || m.username.as_deref() == Some(id)
            })
    }
}

/// The workspace's memberships, in Trello's order, indexed by member id.
#[derive(Debug)]
pub struct Members {
    /// Every membership.
    pub list: Vec<Membership>,
    by_member: HashMap<String, usize>,
}

impl Members {
    fn new(list: Vec<Membership>) -> Self {
        let by_member = list
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id_member.clone(), i))
            .collect();
        Members { list, by_member }
    }

    /// The membership of member `id`.
    pub fn of(&self, id: &str) -> Option<&Membership> {
        self.by_member.get(id).map(|&i| &self.list[i])
    }
}

/// One user of the Enterprise query.
#[derive(Debug, Clone, Deserialize)]
pub struct EnterpriseUser {
    /// Managed by the Enterprise (on its verified domain).
    #[serde(default)]
    pub managed: bool,
    /// Holds one of the Enterprise's licences.
    #[serde(default)]
    pub licensed: bool,
    /// An Enterprise admin.
    #[serde(default)]
    pub admin: bool,
    /// Deactivated in the Enterprise.
    #[serde(default)]
    pub deactivated: bool,
    /// A board guest without a licence.
    #[serde(default)]
    pub collaborator: bool,
    /// The member.
    pub member: EnterpriseMember,
}

/// The member an Enterprise user nests (`fullname` in lower case there).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseMember {
    /// The member id.
    pub id: String,
    /// The name shown.
    #[serde(default, rename = "fullname", alias = "fullName")]
    pub full_name: Option<String>,
    /// The username.
    #[serde(default)]
    pub username: Option<String>,
    /// Last activity, at Trello's precision (milliseconds).
    #[serde(default)]
    pub date_last_impression: Option<String>,
    /// The email, for managed members.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the member signed up.
    #[serde(default)]
    pub confirmed: Option<bool>,
    /// The Atlassian account id, when given.
    #[serde(default)]
    pub aa_id: Option<String>,
}

/// A page of the Enterprise query: its users and, while more follow, the
/// cursor of the next page.
#[derive(Debug, Clone, Deserialize)]
pub struct EnterprisePage {
    /// The users.
    pub users: Vec<EnterpriseUser>,
    /// The next page's cursor.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl EnterprisePage {
    /// The page, unless it holds more than the query's page of users.
    fn checked(self) -> Result<Self> {
        if self.users.len() > ENTERPRISE_PAGE {
            return Err(Error::invalid_response(format_args!(
                "the Enterprise query answered {} users, more than its page of \
                 {ENTERPRISE_PAGE}",
                self.users.len()
            )));
        }
        Ok(self)
    }
}

/// The Enterprise query pages by the `cursor` each page gives.
impl Paged for EnterprisePage {
    type Item = EnterpriseUser;

    fn split(self, request: &Request) -> Result<(Vec<EnterpriseUser>, Option<Request>)> {
        let page = self.checked()?;
        let next = page.cursor.map(|c| request.clone().set_query("cursor", &c));
        Ok((page.users, next))
    }
}

/// Whether a refusal says that the Enterprise's users are managed in
/// Atlassian administration (AdminHub), where Trello's licence and
/// deactivation endpoints are unavailable.
pub fn moved_to_atlassian(error: &Error) -> bool {
    let Error::Forbidden(message) = error else {
        return false;
    };
    let message = message.to_ascii_lowercase();
    message.contains("atlassian administration") || message.contains("adminhub")
}

/// What a refused read of Enterprise `id` (`what`) means: an Enterprise
/// the token does not reach is a config error naming `enterprise_id`, a
/// 403 the missing Enterprise administration.
fn enterprise_errors<'a>(id: &'a str, what: &'static str) -> impl FnOnce(Error) -> Error + 'a {
    move |e| match e {
        Error::NotFound(_) => Error::config(
            "enterprise_id",
            format_args!(
                "Trello has no Enterprise `{id}` this token reaches: the id is `idEnterprise` of \
                 the workspace; leave the field out for a workspace outside an Enterprise"
            ),
        ),
        other => needs(ENTERPRISE_ADMIN, what)(other),
    }
}

/// One workspace's API (and its Enterprise's), with what a session reads
/// once.
pub struct Client {
    rest: Rest,
    /// The workspace's id or name, as configured.
    pub workspace: String,
    /// The configured Enterprise.
    pub enterprise: Option<String>,
    memberships: Memo<Rc<Members>>,
    enterprise_object: Memo<Enterprise>,
}

impl Client {
    /// The API at `base` for `workspace` (and `enterprise`).
    pub fn new(base: Url, workspace: String, enterprise: Option<String>) -> Self {
        Client {
            rest: Rest::new(base, KEY_AND_TOKEN),
            workspace,
            enterprise,
            memberships: Memo::new(),
            enterprise_object: Memo::new(),
        }
    }

    /// A request to `/1/` and `segments`, each one path segment.
    pub fn at(&self, method: Method, segments: &[&str]) -> Result<Request> {
        let mut path = vec!["1"];
        path.extend_from_slice(segments);
        Ok(self.rest.request(method, self.rest.path_url(path)?))
    }

    /// The token's user; a 401 says which of the key and token to replace.
    pub fn me(&self) -> Result<Me> {
        self.at(Method::Get, &["members", "me"])?
            .query([("fields", "id,username")])
            .fetch_json()
            .map_err(|e| match e {
                Error::Unauthorized(upstream) => Error::Unauthorized(format!(
                    "Trello rejected the {} ({upstream}): `api_key` is the key at \
                     trello.com/power-ups/admin, `token` a token made for that key",
                    if upstream.contains("key") {
                        "API key"
                    } else {
                        "token"
                    }
                )),
                other => other,
            })
    }

    /// The workspace; one the token does not reach is a config error.
    pub fn workspace(&self) -> Result<Workspace> {
        self.at(Method::Get, &["organizations", &self.workspace])?
            .query([("fields", "name,displayName,url,idEnterprise,offering")])
            .fetch_json()
            .map_err(|e| match e {
                Error::NotFound(_) => Error::config(
                    "workspace",
                    format_args!(
                        "Trello has no workspace `{}` this token reaches: use the id, or the \
                         name in trello.com/w/<name>",
                        self.workspace
                    ),
                ),
                other => needs(WORKSPACE_MEMBER, "reading the workspace")(other),
            })
    }

    /// The configured Enterprise, read once per session; one the token
    /// does not reach is a config error.
    pub fn enterprise(&self, id: &str) -> Result<Enterprise> {
        self.enterprise_object.get_or_read(|| {
            self.at(Method::Get, &["enterprises", id])?
                .fetch_json()
                .map_err(enterprise_errors(id, "reading the Enterprise"))
        })
    }

    /// Every membership of the workspace with its member (one request:
    /// Trello does not page it), read once per session unless `fresh`;
    /// shared, not copied, by the pages that use it.
    pub fn memberships(&self, fresh: bool) -> Result<Rc<Members>> {
        let read = || {
            let list: Vec<Membership> = self
                .at(
                    Method::Get,
                    &["organizations", &self.workspace, "memberships"],
                )?
                .query([
                    ("filter", "all"),
                    ("member", "true"),
                    ("member_fields", MEMBER_FIELDS),
                ])
                .fetch_json()
                .map_err(needs(WORKSPACE_MEMBER, "listing the workspace's members"))?;
            Ok(Rc::new(Members::new(list)))
        };
        if fresh {
            self.memberships.refresh(read)
        } else {
            self.memberships.get_or_read(read)
        }
    }

    /// The Enterprise query from `cursor`, all users, 100 a page.
    pub fn enterprise_page(&self, id: &str, cursor: Option<&str>) -> Result<EnterprisePage> {
        let mut request = self.at(Method::Get, &["enterprises", id, "members", "query"])?;
        if let Some(cursor) = cursor {
            request = request.query([("cursor", cursor)]);
        }
        self.enterprise_users(id, request)
    }

    /// The Enterprise user with member id `member`, found by their
    /// `username` (the query's search matches parts of names, so it pages
    /// on until that user turns up); none when the Enterprise has no such
    /// user.
    pub fn enterprise_user(
        &self,
        id: &str,
        member: &str,
        username: &str,
    ) -> Result<Option<EnterpriseUser>> {
        let first = self
            .at(Method::Get, &["enterprises", id, "members", "query"])?
            .query([("search", username)]);
        for users in pages::<EnterprisePage>(first) {
            let users = users.map_err(enterprise_errors(id, "searching the Enterprise's users"))?;
            if let Some(user) = users.into_iter().find(|u| u.member.id == member) {
                return Ok(Some(user));
            }
        }
        Ok(None)
    }

    fn enterprise_users(&self, id: &str, request: Request) -> Result<EnterprisePage> {
        let page: EnterprisePage = request
            .fetch_json()
            .map_err(enterprise_errors(id, "listing the Enterprise's users"))?;
        page.checked()
    }
}
