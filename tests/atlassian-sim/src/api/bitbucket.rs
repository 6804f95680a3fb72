//! Bitbucket Cloud (`https://api.bitbucket.org`): the workspace's members
//! and permissions and users in 2.0, and the groups kept in 1.0.
//!
//! The workspace's members are the people (Atlassian accounts) holding
//! Bitbucket, through any group granting it, who can sign in, in the
//! organisation's order.
//! Groups are the organisation's groups, each under the slug of its name.
//!
//! Choices where Bitbucket's behaviour is not documented:
//! - `pagelen` outside 1 to 100 or `page` below 1 is 400; a page past the
//!   end is empty. `next` and `previous` keep the request's `q` and
//!   `fields`.
//! - `fields` understands the trims connectors use (`-links`, `-*.links`,
//!   `-*.*.links`, `-*.workspace`, with `values.` for `*.`) and
//!   `+values.user.email`; other entries are ignored.
//! - `q` understands `user.email IN ("a","b")` or `user.email = "a"` on
//!   members (at most 90 addresses) and `permission = "owner"` on
//!   permissions; others are 400.
//! - Owners are members in the `site-admins` group or with an admin role;
//!   guests are collaborators; everyone else is a member.
//! - `account_status` is `active`, or `inactive` for suspended and
//!   deactivated accounts.
//! - Adding a group's member again is 409, removing a non-member 404, and
//!   a group change needing a seat when none is left 403.
//! - Once administration moved to admin.atlassian.com
//!   (`Org::bitbucket_centralised`), memberships carry no `last_accessed`
//!   or `added_on` and group changes are 403.
//! - Callers are the site admin with an API token (Basic with the email)
//!   or a workspace access token (Bearer), which acts as the workspace.
//! - The listings removed in 2026 (`/2.0/workspaces`,
//!   `/2.0/user/permissions/workspaces`) answer 410.

use crate::model::{AccountType, InstanceId, Org, Person, ProductKey, Role, Status};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::format_description;

/// The routes of this API (`/2.0/...` and `/1.0/...`).
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/2.0/workspaces", get(gone))
        .route("/2.0/user/permissions/workspaces", get(gone))
        .route("/2.0/workspaces/{workspace}", get(workspace_of))
        .route("/2.0/workspaces/{workspace}/members", get(members))
        .route("/2.0/workspaces/{workspace}/members/{member}", get(member))
        .route("/2.0/workspaces/{workspace}/permissions", get(permissions))
        .route("/2.0/users/{user}", get(user))
        .route("/1.0/groups/{workspace}", get(groups))
        .route(
            "/1.0/groups/{workspace}/{group}/members",
            get(group_members),
        )
        .route(
            "/1.0/groups/{workspace}/{group}/members/{member}",
            get(group_member).put(add_member).delete(remove_member),
        )
}

/// Default and largest `pagelen`.
const DEFAULT_PAGELEN: usize = 10;
const MAX_PAGELEN: usize = 100;
/// Most addresses a `user.email IN (...)` filter may name.
const MAX_EMAILS: usize = 90;

type Params = Query<HashMap<String, String>>;

// ---------------------------------------------------------------------------
// Requests: authentication, workspace, people.

/// Checks Basic `email:api_token`, or a workspace access token.
fn authorise(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let c = &shared.credentials;
    let user = matches!(crate::auth::basic(headers),
        Some((user, token)) if user == c.admin_email && token == c.bitbucket_api_token);
    let workspace = crate::auth::bearer(headers) == Some(c.bitbucket_access_token.as_str());
    if user || workspace {
        Ok(())
    } else {
        Err(respond::bitbucket_error(
            401,
            "Unauthorized",
            Some("Invalid or missing credentials"),
        ))
    }
}

/// The answer of a listing Bitbucket removed in 2026.
async fn gone() -> Response {
    respond::bitbucket_error(
        410,
        "This API is no longer supported.",
        Some(
            "Address a workspace directly: /2.0/workspaces/{workspace}, or list /2.0/user/workspaces",
        ),
    )
}

/// `GET /2.0/workspaces/{workspace}`.
async fn workspace_of(
    State(shared): State<Arc<Shared>>,
    Path(ws): Path<String>,
    headers: HeaderMap,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    let org = shared.org();
    let base = shared.urls.bitbucket.as_str();
    let slug = org.bitbucket_workspace.as_str();
    respond::ok(&Workspace {
        kind: "workspace",
        slug,
        name: &org.name,
        uuid: &org.bitbucket_workspace_uuid,
        links: Some(WorkspaceLinks {
            this: href(&[base, "/2.0/workspaces/", slug]),
            html: href(&["https://bitbucket.org/", slug, "/"]),
        }),
    })
}

/// Where a listing's `next` and `previous` links point: the listing
/// itself, or another host when the behaviour says the upstream lies.
fn listing_url(shared: &Shared, org: &Org, listing: &str) -> String {
    let base = if shared.behaviour().foreign_next {
        "https://bitbucket.attacker.example"
    } else {
        shared.urls.bitbucket.as_str()
    };
    format!(
        "{base}/2.0/workspaces/{}/{listing}",
        org.bitbucket_workspace
    )
}

/// Authenticates the request and checks that `workspace` is the
/// organisation's (by slug or uuid).
fn workspace(shared: &Shared, headers: &HeaderMap, workspace: &str) -> Result<(), Response> {
    authorise(shared, headers)?;
    let org = shared.org();
    if workspace == org.bitbucket_workspace || workspace == org.bitbucket_workspace_uuid {
        Ok(())
    } else {
        Err(respond::bitbucket_error(
            404,
            &format!("No workspace with identifier '{workspace}'."),
            None,
        ))
    }
}

/// The person with this uuid (braced) or account id.
fn find_user(org: &Org, id: &str) -> Result<usize, Response> {
    org.people
        .iter()
        .position(|p| {
            p.account_type == AccountType::Atlassian
                && (p.bitbucket_uuid == id || p.account_id == id)
        })
        .ok_or_else(|| respond::bitbucket_error(404, &format!("{id} not found"), None))
}

/// Which groups grant Bitbucket, by group index.
fn granting(org: &Org) -> Vec<bool> {
    org.groups
        .iter()
        .map(|g| {
            g.grants
                .iter()
                .any(|(i, _)| *i == InstanceId::main(ProductKey::Bitbucket))
        })
        .collect()
}

/// Whether `person` is a workspace member, given [`granting`]: holds
/// Bitbucket and can sign in (a suspended or deactivated account has no
/// access to the workspace, so it is not listed).
fn is_member(person: &Person, granting: &[bool]) -> bool {
    person.account_type == AccountType::Atlassian
        && person.is_enabled()
        && (person.groups.iter().any(|&g| granting[g])
            || person
                .guest_of
                .contains(&InstanceId::main(ProductKey::Bitbucket)))
}

/// A member's workspace permission.
fn permission(org: &Org, person: &Person, site_admins: Option<usize>) -> &'static str {
    match org.access(person, ProductKey::Bitbucket).map(|a| a.role) {
        Some(Role::Admin) => "owner",
        _ if site_admins.is_some_and(|g| person.groups.contains(&g)) => "owner",
        Some(Role::Guest) => "collaborator",
        _ => "member",
    }
}

// ---------------------------------------------------------------------------
// Answers: links, users, memberships, pages.

/// A string made of parts, written without being built first.
struct Concat<'a>([&'a str; 6]);

impl fmt::Display for Concat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|part| f.write_str(part))
    }
}

impl Serialize for Concat<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A link: `{"href": ...}`.
#[derive(Serialize)]
struct Href<'a> {
    href: Concat<'a>,
}

/// A link to the concatenation of `parts` (up to six).
fn href<'a>(parts: &[&'a str]) -> Href<'a> {
    Href {
        href: concat(parts),
    }
}

/// The concatenation of `parts` (up to six).
fn concat<'a>(parts: &[&'a str]) -> Concat<'a> {
    let mut all = [""; 6];
    for (slot, part) in all.iter_mut().zip(parts) {
        *slot = part;
    }
    Concat(all)
}

/// A uuid `{...}` without its braces, to put between `%7B` and `%7D`.
fn bare(uuid: &str) -> &str {
    uuid.trim_start_matches('{').trim_end_matches('}')
}

/// A user's links.
#[derive(Serialize)]
struct UserLinks<'a> {
    #[serde(rename = "self")]
    this: Href<'a>,
    html: Href<'a>,
}

/// A user (`#/components/schemas/account` of type `user`).
#[derive(Serialize)]
struct User<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uuid: &'a str,
    account_id: &'a str,
    display_name: &'a str,
    nickname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_staff: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<UserLinks<'a>>,
}

impl<'a> User<'a> {
    fn new(base: &'a str, p: &'a Person, links: bool) -> User<'a> {
        let uuid = bare(&p.bitbucket_uuid);
        User {
            kind: "user",
            uuid: &p.bitbucket_uuid,
            account_id: &p.account_id,
            display_name: &p.name,
            nickname: &p.nickname,
            email: None,
            account_status: None,
            is_staff: None,
            links: links.then_some(UserLinks {
                this: href(&[base, "/2.0/users/%7B", uuid, "%7D"]),
                html: href(&["https://bitbucket.org/%7B", uuid, "%7D/"]),
            }),
        }
    }
}

/// A workspace's links.
#[derive(Serialize)]
struct WorkspaceLinks<'a> {
    #[serde(rename = "self")]
    this: Href<'a>,
    html: Href<'a>,
}

/// The workspace a membership is of.
#[derive(Serialize)]
struct Workspace<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    slug: &'a str,
    name: &'a str,
    uuid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<WorkspaceLinks<'a>>,
}

/// A membership's links.
#[derive(Serialize)]
struct MembershipLinks<'a> {
    #[serde(rename = "self")]
    this: Href<'a>,
}

/// A `workspace_membership`.
#[derive(Serialize)]
struct Membership<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_accessed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    added_on: Option<String>,
    user: User<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<Workspace<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<MembershipLinks<'a>>,
}

/// What `fields` asks for.
#[derive(Clone, Copy)]
struct Fields {
    links: bool,
    nested_links: bool,
    workspace: bool,
    email: bool,
}

impl Fields {
    fn parse(value: Option<&str>) -> Fields {
        let mut fields = Fields {
            links: true,
            nested_links: true,
            workspace: true,
            email: false,
        };
        for entry in value.unwrap_or("").split(',').map(str::trim) {
            let (sign, path) = entry.split_at(entry.len().min(1));
            let path = path
                .strip_prefix("values.")
                .map_or_else(|| path.to_owned(), |rest| format!("*.{rest}"));
            match (sign, path.as_str()) {
                ("-", "*.links") => fields.links = false,
                ("-", "*.*.links" | "*.user.links" | "*.workspace.links") => {
                    fields.nested_links = false;
                }
                ("-", "*.workspace") => fields.workspace = false,
                ("+", "*.user.email") => fields.email = true,
                _ => {}
            }
        }
        fields
    }
}

/// Builds memberships of the workspace.
struct Builder<'a> {
    org: &'a Org,
    base: &'a str,
    fields: Fields,
    /// Whether emails may be shown (an email filter was given).
    emails: bool,
    /// Whether to add `permission`, `last_accessed` and `added_on`.
    permissions: bool,
    site_admins: Option<usize>,
}

impl<'a> Builder<'a> {
    fn new(org: &'a Org, base: &'a str, fields: Fields) -> Builder<'a> {
        Builder {
            org,
            base,
            fields,
            emails: false,
            permissions: false,
            site_admins: org.group_by_name("site-admins"),
        }
    }

    fn membership(&self, p: &'a Person) -> Membership<'a> {
        let org = self.org;
        let mut user = User::new(self.base, p, self.fields.nested_links);
        if self.emails && self.fields.email {
            user.email = p.email.as_deref();
        }
        let slug = org.bitbucket_workspace.as_str();
        // Centralised administration takes the legacy dates away.
        let dated = self.permissions && !org.bitbucket_centralised;
        Membership {
            kind: "workspace_membership",
            permission: self
                .permissions
                .then(|| permission(org, p, self.site_admins)),
            last_accessed: dated
                .then(|| p.last_active_in(ProductKey::Bitbucket).map(bitbucket_time))
                .flatten(),
            added_on: dated.then(|| bitbucket_time(p.added.midnight().assume_utc())),
            user,
            workspace: self.fields.workspace.then_some(Workspace {
                kind: "workspace",
                slug,
                name: &org.name,
                uuid: &org.bitbucket_workspace_uuid,
                links: self.fields.nested_links.then_some(WorkspaceLinks {
                    this: href(&[self.base, "/2.0/workspaces/", slug]),
                    html: href(&["https://bitbucket.org/", slug, "/"]),
                }),
            }),
            links: self.fields.links.then_some(MembershipLinks {
                this: href(&[
                    self.base,
                    "/2.0/workspaces/",
                    slug,
                    "/members/%7B",
                    bare(&p.bitbucket_uuid),
                    "%7D",
                ]),
            }),
        }
    }
}

/// A time as Bitbucket writes it (`2024-05-01T10:20:30.000000+00:00`).
fn bitbucket_time(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00"
        ))
        .unwrap_or_default()
}

/// A page of a paginated listing.
#[derive(Serialize)]
struct Page<T> {
    pagelen: usize,
    size: usize,
    page: usize,
    values: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
}

/// Which page a request asks for.
struct Paging {
    page: usize,
    pagelen: usize,
}

impl Paging {
    fn parse(params: &HashMap<String, String>) -> Result<Paging, Response> {
        let number = |name: &str, default: usize| match params.get(name) {
            None => Some(default),
            Some(v) => v.parse().ok(),
        };
        let page = number("page", 1)
            .filter(|&p| p >= 1)
            .ok_or_else(|| respond::bitbucket_error(400, "Invalid page", None))?;
        let pagelen = number("pagelen", DEFAULT_PAGELEN)
            .filter(|l| (1..=MAX_PAGELEN).contains(l))
            .ok_or_else(|| respond::bitbucket_error(400, "Invalid pagelen", None))?;
        Ok(Paging { page, pagelen })
    }

    /// The page of `items` (an iterator over everything that matches),
    /// each built with `build`, with `size` and links to the neighbouring
    /// pages at `url`. Only the page's items are built.
    fn page<I, T>(
        &self,
        items: impl Iterator<Item = I>,
        build: impl Fn(I) -> T,
        url: &str,
        params: &HashMap<String, String>,
    ) -> Page<T> {
        let first = (self.page - 1).saturating_mul(self.pagelen);
        let mut size = 0;
        let mut values = Vec::with_capacity(self.pagelen);
        for item in items {
            if size >= first && values.len() < self.pagelen {
                values.push(build(item));
            }
            size += 1;
        }
        let link = |page: usize| self.link(url, page, params);
        Page {
            pagelen: self.pagelen,
            size,
            page: self.page,
            values,
            next: (first.saturating_add(self.pagelen) < size).then(|| link(self.page + 1)),
            previous: (self.page > 1).then(|| link(self.page - 1)),
        }
    }

    /// `url` for `page`, keeping `q` and `fields`.
    fn link(&self, url: &str, page: usize, params: &HashMap<String, String>) -> String {
        let mut link = format!("{url}?page={page}&pagelen={}", self.pagelen);
        for name in ["q", "fields"] {
            if let Some(v) = params.get(name) {
                link.push('&');
                link.push_str(name);
                link.push('=');
                encode_into(&mut link, v);
            }
        }
        link
    }
}

/// Percent-encodes `value` for a query string onto `out`.
fn encode_into(out: &mut String, value: &str) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

// ---------------------------------------------------------------------------
// Filters (`q`).

/// The quoted strings of a `q` value after `field` and an operator: `=`
/// gives one, `IN (...)` a list.
fn q_values<'q>(q: &'q str, field: &str) -> Option<Vec<&'q str>> {
    let rest = q.trim().strip_prefix(field)?.trim_start();
    let quoted = |s: &'q str| -> Option<&'q str> { s.trim().strip_prefix('"')?.strip_suffix('"') };
    if let Some(value) = rest.strip_prefix('=') {
        return quoted(value).map(|v| vec![v]);
    }
    let list = rest
        .strip_prefix("IN")
        .or_else(|| rest.strip_prefix("in"))?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    list.split(',').map(quoted).collect()
}

fn invalid_query() -> Response {
    respond::bitbucket_error(
        400,
        "Invalid query",
        Some("The q parameter could not be parsed"),
    )
}

/// The email filter of `/members`: lower-cased addresses, if any.
fn email_filter(params: &HashMap<String, String>) -> Result<Option<Vec<String>>, Response> {
    let Some(q) = params.get("q") else {
        return Ok(None);
    };
    let emails = q_values(q, "user.email").ok_or_else(invalid_query)?;
    if emails.len() > MAX_EMAILS {
        return Err(respond::bitbucket_error(
            400,
            &format!("At most {MAX_EMAILS} email addresses may be given"),
            None,
        ));
    }
    Ok(Some(emails.iter().map(|e| e.to_lowercase()).collect()))
}

/// The permission filter of `/permissions`.
fn permission_filter(params: &HashMap<String, String>) -> Result<Option<String>, Response> {
    let Some(q) = params.get("q") else {
        return Ok(None);
    };
    match q_values(q, "permission").as_deref() {
        Some([p]) => Ok(Some((*p).to_owned())),
        _ => Err(invalid_query()),
    }
}

// ---------------------------------------------------------------------------
// 2.0 reads.

/// `GET /2.0/workspaces/{workspace}/members`.
async fn members(
    State(shared): State<Arc<Shared>>,
    Path(ws): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    let paging = Paging::parse(&params)?;
    let emails = email_filter(&params)?;
    let fields = Fields::parse(params.get("fields").map(String::as_str));
    let base = shared.urls.bitbucket.as_str();
    let org = shared.org();
    let url = listing_url(&shared, &org, "members");
    let builder = Builder {
        emails: emails.is_some(),
        ..Builder::new(&org, base, fields)
    };
    let wanted = |p: &Person| {
        emails.as_ref().is_none_or(|list| {
            p.email
                .as_deref()
                .is_some_and(|e| list.iter().any(|w| w.eq_ignore_ascii_case(e)))
        })
    };
    let granting = granting(&org);
    let members = shared.listing(&org, "bitbucket-members", |org, p| {
        is_member(&org.people[p], &granting)
    });
    let items = members
        .iter()
        .map(|&p| &org.people[p])
        .filter(|p| wanted(p));
    respond::ok(&paging.page(items, |p| builder.membership(p), &url, &params))
}

/// `GET /2.0/workspaces/{workspace}/members/{member}`.
async fn member(
    State(shared): State<Arc<Shared>>,
    Path((ws, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    let fields = Fields::parse(params.get("fields").map(String::as_str));
    let org = shared.org();
    let p = &org.people[find_user(&org, &id)?];
    if !is_member(p, &granting(&org)) {
        return Err(respond::bitbucket_error(
            404,
            &format!("{id} is not a member of this workspace"),
            None,
        ));
    }
    let builder = Builder::new(&org, &shared.urls.bitbucket, fields);
    respond::ok(&builder.membership(p))
}

/// `GET /2.0/workspaces/{workspace}/permissions`.
async fn permissions(
    State(shared): State<Arc<Shared>>,
    Path(ws): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    let paging = Paging::parse(&params)?;
    let wanted = permission_filter(&params)?;
    let fields = Fields::parse(params.get("fields").map(String::as_str));
    let base = shared.urls.bitbucket.as_str();
    let org = shared.org();
    let url = listing_url(&shared, &org, "permissions");
    let builder = Builder {
        permissions: true,
        ..Builder::new(&org, base, fields)
    };
    let granting = granting(&org);
    let items = org
        .people
        .iter()
        .filter(|p| is_member(p, &granting))
        .filter(|p| {
            wanted
                .as_deref()
                .is_none_or(|w| permission(&org, p, builder.site_admins) == w)
        });
    respond::ok(&paging.page(items, |p| builder.membership(p), &url, &params))
}

/// `GET /2.0/users/{account_id or {uuid}}`.
async fn user(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Reply {
    authorise(&shared, &headers)?;
    let org = shared.org();
    let p = &org.people[find_user(&org, &id)?];
    let mut user = User::new(&shared.urls.bitbucket, p, true);
    user.account_status = Some(match p.status {
        Status::Suspended | Status::Deactivated => "inactive",
        Status::Active | Status::Invited => "active",
    });
    user.is_staff = Some(false);
    respond::ok(&user)
}

// ---------------------------------------------------------------------------
// 1.0 groups.

/// A group's slug: its name in lower case, runs of other characters as one
/// `-`.
fn slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// A user in 1.0's shape.
#[derive(Serialize)]
struct LegacyUser<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uuid: &'a str,
    account_id: &'a str,
    display_name: &'a str,
    nickname: &'a str,
    is_team: bool,
    is_staff: bool,
    resource_uri: Concat<'a>,
}

impl<'a> LegacyUser<'a> {
    fn new(p: &'a Person) -> LegacyUser<'a> {
        LegacyUser {
            kind: "user",
            uuid: &p.bitbucket_uuid,
            account_id: &p.account_id,
            display_name: &p.name,
            nickname: &p.nickname,
            is_team: false,
            is_staff: false,
            resource_uri: concat(&["/1.0/users/%7B", bare(&p.bitbucket_uuid), "%7D"]),
        }
    }
}

/// The workspace as a 1.0 group's owner (a team).
#[derive(Serialize)]
struct Owner<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uuid: &'a str,
    username: &'a str,
    display_name: &'a str,
    is_team: bool,
}

/// A group in 1.0's shape.
#[derive(Serialize)]
struct LegacyGroup<'a> {
    name: &'a str,
    slug: String,
    permission: Option<&'static str>,
    auto_add: bool,
    email_forwarding_disabled: bool,
    owner: Owner<'a>,
    members: Vec<LegacyUser<'a>>,
}

/// The people in group `g`.
fn people_in(org: &Org, g: usize) -> impl Iterator<Item = &Person> {
    org.people
        .iter()
        .filter(move |p| p.account_type == AccountType::Atlassian && p.groups.contains(&g))
}

/// The group with `slug`.
fn find_group(org: &Org, group: &str) -> Result<usize, Response> {
    org.groups
        .iter()
        .position(|g| slug(&g.name) == group)
        .ok_or_else(|| respond::bitbucket_error(404, &format!("Group {group} not found"), None))
}

/// `GET /1.0/groups/{workspace}`: every group with its members.
async fn groups(
    State(shared): State<Arc<Shared>>,
    Path(ws): Path<String>,
    headers: HeaderMap,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    let org = shared.org();
    let owner = || Owner {
        kind: "team",
        uuid: &org.bitbucket_workspace_uuid,
        username: &org.bitbucket_workspace,
        display_name: &org.name,
        is_team: true,
    };
    let groups: Vec<LegacyGroup<'_>> = org
        .groups
        .iter()
        .enumerate()
        .map(|(g, group)| LegacyGroup {
            name: &group.name,
            slug: slug(&group.name),
            permission: group
                .grants
                .iter()
                .any(|(i, _)| *i == InstanceId::main(ProductKey::Bitbucket))
                .then_some("write"),
            auto_add: false,
            email_forwarding_disabled: false,
            owner: owner(),
            members: people_in(&org, g).map(LegacyUser::new).collect(),
        })
        .collect();
    respond::ok(&groups)
}

/// `GET /1.0/groups/{workspace}/{group_slug}/members`.
async fn group_members(
    State(shared): State<Arc<Shared>>,
    Path((ws, group)): Path<(String, String)>,
    headers: HeaderMap,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    let org = shared.org();
    let g = find_group(&org, &group)?;
    let members: Vec<LegacyUser<'_>> = people_in(&org, g).map(LegacyUser::new).collect();
    respond::ok(&members)
}

/// `GET /1.0/groups/{workspace}/{group_slug}/members/{member}`.
async fn group_member(
    State(shared): State<Arc<Shared>>,
    Path((ws, group, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    let org = shared.org();
    let g = find_group(&org, &group)?;
    let p = &org.people[find_user(&org, &id)?];
    if !p.groups.contains(&g) {
        return Err(not_in_group(&id, &group));
    }
    respond::ok(&LegacyUser::new(p))
}

/// Refuses a group change once administration is centralised.
fn groups_writable(org: &Org) -> Result<(), Response> {
    if org.bitbucket_centralised {
        Err(respond::bitbucket_error(
            403,
            "Group membership is managed at admin.atlassian.com for this workspace.",
            None,
        ))
    } else {
        Ok(())
    }
}

fn not_in_group(id: &str, group: &str) -> Response {
    respond::bitbucket_error(404, &format!("{id} is not a member of {group}"), None)
}

/// `PUT /1.0/groups/{workspace}/{group_slug}/members/{member}`, with a JSON
/// object (`{}`) as the body.
async fn add_member(
    State(shared): State<Arc<Shared>>,
    Path((ws, group, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    if !matches!(
        serde_json::from_slice(&body),
        Ok(serde_json::Value::Object(_))
    ) {
        return Err(respond::bitbucket_error(
            400,
            "Bad request",
            Some("The body must be a JSON object, such as {}"),
        ));
    }
    let mut org = shared.org_mut();
    groups_writable(&org)?;
    let g = find_group(&org, &group)?;
    let p = find_user(&org, &id)?;
    match org.add_to_group(p, g) {
        Ok(true) => respond::ok(&LegacyUser::new(&org.people[p])),
        Ok(false) => Err(respond::bitbucket_error(
            409,
            &format!("{id} is already a member of {group}"),
            None,
        )),
        Err(full) => Err(respond::bitbucket_error(403, &full.to_string(), None)),
    }
}

/// `DELETE /1.0/groups/{workspace}/{group_slug}/members/{member}`.
async fn remove_member(
    State(shared): State<Arc<Shared>>,
    Path((ws, group, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Reply {
    workspace(&shared, &headers, &ws)?;
    let mut org = shared.org_mut();
    groups_writable(&org)?;
    let g = find_group(&org, &group)?;
    let p = find_user(&org, &id)?;
    if org.remove_from_group(p, g) {
        Ok(respond::empty(204))
    } else {
        Err(not_in_group(&id, &group))
    }
}
