//! Trello's REST API (`https://api.trello.com/1`): the workspace and the
//! enterprise, the workspace's members and memberships, single members,
//! the enterprise's users with their licences, and workspace provisioning.
//!
//! Who Trello sees: the organisation's people (Atlassian accounts) who hold
//! Trello, plus anyone deactivated in the workspace (see
//! [`TrelloState`](crate::model::TrelloState)), plus the token's owner (the
//! organisation's admin), who always administers the workspace and the
//! enterprise, as a token that manages them must; all of them belong to the one
//! workspace, which belongs to the one enterprise unless
//! [`Org::trello_enterprise`] is off. Member ids are [`Person::trello_id`],
//! usernames are nicknames, `aaId` is the Atlassian account id.
//!
//! Without an enterprise every `/enterprises/{id}/...` route answers 404
//! `model not found`, Members carry no `idEnterprise` and empty
//! `idEnterprisesAdmin` and `idEnterprisesDeactivated`; the workspace is
//! otherwise the same.
//!
//! Choices where Trello's behaviour is not documented:
//! - `GET /organizations/{id}` answers `id`, `name`, `displayName` (the
//!   organisation's name), `url`, `idEnterprise` (`null` without an
//!   enterprise) and `offering` (`trello.enterprise`, else
//!   `trello.standard`). `GET /enterprises/{id}` answers `id`, `name` (the
//!   main site's subdomain), `displayName` (the organisation's name),
//!   `idAdmins` (the workspace admins), `idOrganizations` and `licenses`:
//!   `maxMembers` is Trello's seats, `totalMembers` the licensed users.
//!   Both ignore `fields`.
//! - `GET /organizations/{id}/members` answers `id`, `fullName` and
//!   `username` unless `fields` asks for more (`fields=all` for every field
//!   the simulator models). `/members/{id}` answers every field by default.
//! - `memberType` on a Member is the account's kind as the spec has it:
//!   `ghost` for someone invited who has not signed up, else `normal`. The
//!   workspace role (`admin`/`normal`) is on memberships and on the
//!   enterprise listing's nested member.
//! - `email` is shown for managed accounts (on the verified domain) only.
//! - The enterprise user query answers `{"users":[Membership..],"cursor":..}`;
//!   `cursor` is there only while more users follow, 100 users a page. Given
//!   only association filters that are all `false`, it answers 400 `At least
//!   one association must be specified`, as Trello does.
//! - Workspace deactivation keeps the enterprise licence (the seat);
//!   revoking the licence drops the groups granting Trello, freeing the seat,
//!   and deactivates; granting it adds the default Trello group and
//!   reactivates. With one workspace in the enterprise, the enterprise's
//!   `deactivated` is the workspace's. Suspended or deactivated accounts are
//!   always deactivated.
//! - Writes answer the member concerned (`DELETE` answers `{}`); running out
//!   of licences is 403 `not enough licenses`.
//! - Once the enterprise's user management moved to Atlassian
//!   administration ([`Org::trello_admin_hub`]), the licence `PUT` answers
//!   403 `Enterprise user management has moved to Atlassian Administration`
//!   and changes nothing: the spec says licence changes are unavailable
//!   then, but not with which error, so the text is unverified. The
//!   enterprise then carries `idAtlassianOrganization`, the organisation's
//!   id in the Admin API; Trello documents no such field, the name is the
//!   simulator's.

use crate::auth::Credentials;
use crate::model::{AccountType, InstanceId, Org, Person, ProductKey, Role, Status};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, put};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// The routes of this API, relative to `/1`.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/organizations/{id}", get(workspace_object))
        .route(
            "/organizations/{id}/members",
            get(workspace_members).put(invite),
        )
        .route(
            "/organizations/{id}/memberships",
            get(workspace_memberships),
        )
        .route(
            "/organizations/{id}/members/{member}",
            put(set_member_type).delete(remove_member),
        )
        .route(
            "/organizations/{id}/members/{member}/deactivated",
            put(set_deactivated),
        )
        .route("/members/{id}", get(member))
        .route("/enterprises/{id}", get(enterprise_object))
        .route("/enterprises/{id}/members/query", get(enterprise_users))
        .route(
            "/enterprises/{id}/members/{member}/licensed",
            put(set_licensed),
        )
}

/// Users a page of the enterprise user query.
const ENTERPRISE_PAGE: usize = 100;

// ---------------------------------------------------------------------------
// Requests: authentication, parameters, lookups.

/// A request's query parameters.
struct Params(HashMap<String, String>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A boolean parameter; 400 `invalid value for {name}` when it is not
    /// `true` or `false`.
    fn flag(&self, name: &str) -> Result<Option<bool>, axum::response::Response> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(invalid(name)),
        }
    }

    /// A required boolean parameter.
    fn required_flag(&self, name: &str) -> Result<bool, axum::response::Response> {
        self.flag(name)?.ok_or_else(|| invalid(name))
    }

    /// The workspace role asked for with `type`; `default` when absent.
    fn role(&self, default: Option<bool>) -> Result<bool, axum::response::Response> {
        match self.get("type") {
            Some("admin") => Ok(true),
            Some("normal") => Ok(false),
            None => default.ok_or_else(|| invalid("type")),
            Some(_) => Err(invalid("type")),
        }
    }
}

/// Trello's 400 for a bad parameter.
fn invalid(name: &str) -> axum::response::Response {
    respond::trello_error(400, &format!("invalid value for {name}"))
}

/// Trello's 404.
fn not_found() -> axum::response::Response {
    respond::trello_error(404, "model not found")
}

/// Checks the API key and token, from the query or from an
/// `Authorization: OAuth oauth_consumer_key="..", oauth_token=".."` header.
fn authorise(
    credentials: &Credentials,
    params: &Params,
    headers: &HeaderMap,
) -> Result<(), axum::response::Response> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "));
    let from_header = |name: &str| header.and_then(|h| oauth_value(h, name));
    let key = params
        .get("key")
        .or_else(|| from_header("oauth_consumer_key"));
    let token = params.get("token").or_else(|| from_header("oauth_token"));
    if key != Some(credentials.trello_key.as_str()) {
        return Err(respond::trello_error(401, "invalid key"));
    }
    if token != Some(credentials.trello_token.as_str()) {
        return Err(respond::trello_error(401, "invalid token"));
    }
    Ok(())
}

/// The value of `name="value"` in an OAuth header's list.
fn oauth_value<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(',').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

/// Authenticates the request and checks that `id` names the workspace (by
/// id or by name).
fn workspace(
    shared: &Shared,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
) -> Result<(), axum::response::Response> {
    authorise(&shared.credentials, params, headers)?;
    let org = shared.org();
    if id == org.trello_workspace_id || id == org.trello_workspace_name {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// The enterprise the workspace belongs to, if any.
fn enterprise_id(org: &Org) -> Option<&str> {
    org.trello_enterprise
        .then_some(org.trello_enterprise_id.as_str())
}

/// Authenticates the request and checks that `id` is the enterprise.
fn enterprise(
    shared: &Shared,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
) -> Result<(), axum::response::Response> {
    authorise(&shared.credentials, params, headers)?;
    if enterprise_id(&shared.org()) == Some(id) {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// The person a member id or username stands for, among people with an
/// Atlassian account; `me` is the token's owner.
fn find_person(org: &Org, member: &str) -> Option<usize> {
    if member == "me" {
        return Some(org.admin);
    }
    org.people.iter().position(|p| {
        p.account_type == AccountType::Atlassian && (p.trello_id == member || p.nickname == member)
    })
}

/// Like [`find_person`], limited to people Trello sees.
fn find_member(org: &Org, member: &str) -> Result<usize, axum::response::Response> {
    find_person(org, member)
        .filter(|&i| Seen::of(org, i).is_some())
        .ok_or_else(not_found)
}

// ---------------------------------------------------------------------------
// How Trello sees a person.

/// One person as Trello sees them.
struct Seen<'a> {
    person: &'a Person,
    /// Workspace (and enterprise) admin.
    admin: bool,
    /// Deactivated in the workspace, or an account that cannot sign in.
    deactivated: bool,
    /// Holds a Trello licence (a paid seat).
    licensed: bool,
    /// A board guest without a licence.
    collaborator: bool,
    /// On the organisation's verified domain.
    managed: bool,
}

impl<'a> Seen<'a> {
    /// Person `i`, if Trello sees them.
    fn of(org: &'a Org, i: usize) -> Option<Seen<'a>> {
        let person = &org.people[i];
        if person.account_type != AccountType::Atlassian {
            return None;
        }
        let access = org.access(person, ProductKey::Trello);
        let workspace_deactivated = org.trello.deactivated.contains(&i);
        let owner = i == org.admin;
        if access.is_none() && !workspace_deactivated && !owner {
            return None;
        }
        let suffix = person
            .email
            .as_deref()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, domain)| domain);
        Some(Seen {
            person,
            admin: owner
                || access.is_some_and(|a| a.role == Role::Admin)
                || org.trello.admins.contains(&i),
            deactivated: workspace_deactivated
                || matches!(person.status, Status::Suspended | Status::Deactivated),
            licensed: org.is_billable(person, ProductKey::Trello),
            collaborator: access.is_some_and(|a| a.role == Role::Guest),
            managed: suffix.is_some_and(|d| d.eq_ignore_ascii_case(&org.domain)),
        })
    }

    /// The workspace role's name.
    fn role(&self) -> &'static str {
        if self.admin { "admin" } else { "normal" }
    }

    /// The email Trello shows: managed accounts only.
    fn email(&self) -> Option<&'a str> {
        self.managed
            .then_some(self.person.email.as_deref())
            .flatten()
    }

    /// Last activity in Trello, Trello-style (`2023-05-24T22:41:36.406Z`).
    fn last_active(&self) -> Option<String> {
        self.person
            .last_active_in(ProductKey::Trello)
            .map(trello_time)
    }
}

/// A time as Trello writes it.
fn trello_time(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap_or_default()
}

/// Initials of a full name: the first letter of its first two words.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

// ---------------------------------------------------------------------------
// Member objects, with field selection.

/// The Member fields the spec documents (plus `dateLastActive`, which
/// Trello sends though the spec omits it); any other name is refused.
const KNOWN_FIELDS: &[&str] = &[
    "id",
    "activityBlocked",
    "avatarHash",
    "avatarUrl",
    "bio",
    "bioData",
    "confirmed",
    "fullName",
    "idEnterprise",
    "idEnterprisesDeactivated",
    "idMemberReferrer",
    "idPremOrgsAdmin",
    "initials",
    "memberType",
    "nonPublic",
    "nonPublicAvailable",
    "products",
    "url",
    "username",
    "status",
    "aaEmail",
    "aaEnrolledDate",
    "aaId",
    "avatarSource",
    "email",
    "gravatarHash",
    "idBoards",
    "idOrganizations",
    "idEnterprisesAdmin",
    "limits",
    "loginTypes",
    "marketingOptIn",
    "messagesDismissed",
    "oneTimeMessagesDismissed",
    "prefs",
    "trophies",
    "uploadedAvatarHash",
    "uploadedAvatarUrl",
    "premiumFeatures",
    "isAaMastered",
    "ixUpdate",
    "idBoardsPinned",
    "dateLastActive",
];

/// Which Member fields to answer (`id` always): those the simulator
/// models.
#[derive(Clone, Copy, Default)]
struct Fields {
    aa_id: bool,
    activity_blocked: bool,
    confirmed: bool,
    email: bool,
    full_name: bool,
    id_enterprise: bool,
    id_enterprises_admin: bool,
    id_enterprises_deactivated: bool,
    id_organizations: bool,
    initials: bool,
    login_types: bool,
    member_type: bool,
    products: bool,
    url: bool,
    username: bool,
    date_last_active: bool,
}

impl Fields {
    const ALL: Fields = Fields {
        aa_id: true,
        activity_blocked: true,
        confirmed: true,
        email: true,
        full_name: true,
        id_enterprise: true,
        id_enterprises_admin: true,
        id_enterprises_deactivated: true,
        id_organizations: true,
        initials: true,
        login_types: true,
        member_type: true,
        products: true,
        url: true,
        username: true,
        date_last_active: true,
    };

    /// Parses the `name` parameter (`all` or a comma-separated list);
    /// `default` when absent.
    fn parse(
        value: Option<&str>,
        default: &str,
        name: &str,
    ) -> Result<Fields, axum::response::Response> {
        let value = value.unwrap_or(default);
        if value == "all" {
            return Ok(Fields::ALL);
        }
        let mut fields = Fields::default();
        for field in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            if !KNOWN_FIELDS.contains(&field) {
                return Err(invalid(name));
            }
            let flag = match field {
                "aaId" => &mut fields.aa_id,
                "activityBlocked" => &mut fields.activity_blocked,
                "confirmed" => &mut fields.confirmed,
                "email" => &mut fields.email,
                "fullName" => &mut fields.full_name,
                "idEnterprise" => &mut fields.id_enterprise,
                "idEnterprisesAdmin" => &mut fields.id_enterprises_admin,
                "idEnterprisesDeactivated" => &mut fields.id_enterprises_deactivated,
                "idOrganizations" => &mut fields.id_organizations,
                "initials" => &mut fields.initials,
                "loginTypes" => &mut fields.login_types,
                "memberType" => &mut fields.member_type,
                "products" => &mut fields.products,
                "url" => &mut fields.url,
                "username" => &mut fields.username,
                "dateLastActive" => &mut fields.date_last_active,
                _ => continue,
            };
            *flag = true;
        }
        Ok(fields)
    }
}

/// The default fields of members in listings.
const LISTING_FIELDS: &str = "fullName,username";

/// A Member object (`#/components/schemas/Member`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Member<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    aa_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    activity_blocked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_enterprise: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_enterprises_admin: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_enterprises_deactivated: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_organizations: Option<[&'a str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initials: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    login_types: Option<[&'static str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    products: Option<[u32; 0]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_last_active: Option<String>,
}

impl<'a> Member<'a> {
    /// The member `seen` with `fields`.
    fn new(org: &'a Org, seen: &Seen<'a>, fields: Fields) -> Member<'a> {
        let p = seen.person;
        let enterprise = enterprise_id(org);
        let listed = |yes: bool| enterprise.filter(|_| yes).into_iter().collect();
        Member {
            id: &p.trello_id,
            aa_id: fields.aa_id.then_some(p.account_id.as_str()),
            activity_blocked: fields.activity_blocked.then_some(false),
            confirmed: fields.confirmed.then_some(p.status != Status::Invited),
            email: fields.email.then(|| seen.email()).flatten(),
            full_name: fields.full_name.then_some(p.name.as_str()),
            id_enterprise: fields.id_enterprise.then_some(enterprise).flatten(),
            id_enterprises_admin: fields.id_enterprises_admin.then(|| listed(seen.admin)),
            id_enterprises_deactivated: fields
                .id_enterprises_deactivated
                .then(|| listed(seen.deactivated)),
            id_organizations: fields
                .id_organizations
                .then_some([org.trello_workspace_id.as_str()]),
            initials: fields.initials.then(|| initials(&p.name)),
            login_types: fields.login_types.then_some([if p.scim_id.is_some() {
                "saml"
            } else {
                "password"
            }]),
            member_type: fields
                .member_type
                .then_some(if p.status == Status::Invited {
                    "ghost"
                } else {
                    "normal"
                }),
            products: fields.products.then_some([]),
            url: fields
                .url
                .then(|| format!("https://trello.com/{}", p.nickname)),
            username: fields.username.then_some(p.nickname.as_str()),
            date_last_active: fields
                .date_last_active
                .then(|| seen.last_active())
                .flatten(),
        }
    }
}

/// Answers one member, as Trello sees person `i` after a change.
fn answer_member(org: &Org, i: usize) -> Reply {
    match Seen::of(org, i) {
        Some(seen) => respond::ok(&Member::new(org, &seen, Fields::ALL)),
        None => respond::ok(&serde_json::json!({})),
    }
}

// ---------------------------------------------------------------------------
// Reads.

/// `GET /organizations/{id}/members`: every member, not paginated.
async fn workspace_members(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    workspace(&shared, &id, &params, &headers)?;
    let fields = Fields::parse(params.get("fields"), LISTING_FIELDS, "fields")?;
    let org = shared.org();
    let members: Vec<Member<'_>> = (0..org.people.len())
        .filter_map(|i| Seen::of(&org, i))
        .map(|seen| Member::new(&org, &seen, fields))
        .collect();
    respond::ok(&members)
}

/// One workspace membership (`#/components/schemas/Memberships`, whose
/// other fields Trello's object documentation gives).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Membership<'a> {
    id: String,
    id_member: &'a str,
    member_type: &'static str,
    unconfirmed: bool,
    deactivated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<Member<'a>>,
}

/// A membership id for person `i`: 24 hex digits, stable.
fn membership_id(org: &Org, i: usize) -> String {
    let seed = org.people[i]
        .trello_id
        .bytes()
        .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b));
    let high = crate::rng::mix(seed);
    let low = crate::rng::mix(seed ^ 0x6d65_6d62);
    format!("{high:016x}{:08x}", low as u32)
}

/// `GET /organizations/{id}/memberships?filter=&member=&member_fields=`.
async fn workspace_memberships(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    workspace(&shared, &id, &params, &headers)?;
    let filter = params.get("filter").unwrap_or("all");
    let keep: fn(&Seen<'_>, bool) -> bool = match filter {
        "all" => |_, _| true,
        "active" => |s, _| !s.deactivated,
        "deactivated" => |s, _| s.deactivated,
        "admin" => |s, _| s.admin,
        "normal" => |s, _| !s.admin,
        "me" => |_, me| me,
        _ => return Err(invalid("filter")),
    };
    let with_member = params.flag("member")?.unwrap_or(false);
    let fields = Fields::parse(params.get("member_fields"), LISTING_FIELDS, "member_fields")?;
    let org = shared.org();
    let memberships: Vec<Membership<'_>> = (0..org.people.len())
        .filter_map(|i| Seen::of(&org, i).map(|s| (i, s)))
        .filter(|(i, s)| keep(s, *i == org.admin))
        .map(|(i, s)| Membership {
            id: membership_id(&org, i),
            id_member: &s.person.trello_id,
            member_type: s.role(),
            unconfirmed: s.person.status == Status::Invited,
            deactivated: s.deactivated,
            member: with_member.then(|| Member::new(&org, &s, fields)),
        })
        .collect();
    respond::ok(&memberships)
}

/// `GET /members/{id}`: one member by id or username (`me` too).
async fn member(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    authorise(&shared.credentials, &params, &headers)?;
    let fields = Fields::parse(params.get("fields"), "all", "fields")?;
    let org = shared.org();
    let i = find_member(&org, &id)?;
    let seen = Seen::of(&org, i).ok_or_else(not_found)?;
    respond::ok(&Member::new(&org, &seen, fields))
}

/// The workspace (an Organization).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Workspace<'a> {
    id: &'a str,
    name: &'a str,
    display_name: &'a str,
    url: String,
    id_enterprise: Option<&'a str>,
    offering: &'static str,
}

/// `GET /organizations/{id}`: the workspace, by id or name; `fields` is
/// ignored.
async fn workspace_object(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    workspace(&shared, &id, &params, &headers)?;
    let org = shared.org();
    let enterprise = enterprise_id(&org);
    respond::ok(&Workspace {
        id: &org.trello_workspace_id,
        name: &org.trello_workspace_name,
        display_name: &org.name,
        url: format!("https://trello.com/w/{}", org.trello_workspace_name),
        id_enterprise: enterprise,
        offering: if enterprise.is_some() {
            "trello.enterprise"
        } else {
            "trello.standard"
        },
    })
}

/// The enterprise (an Enterprise).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Enterprise<'a> {
    id: &'a str,
    name: &'a str,
    display_name: &'a str,
    id_admins: Vec<&'a str>,
    id_organizations: [&'a str; 1],
    licenses: Licenses,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_atlassian_organization: Option<&'a str>,
}

/// An enterprise's licences: the Trello seats bought and those taken.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Licenses {
    max_members: u32,
    total_members: usize,
}

/// `GET /enterprises/{id}`: the enterprise, its admins, its workspace, its
/// licences and, under AdminHub, its Atlassian organisation; `fields` is
/// ignored.
async fn enterprise_object(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    enterprise(&shared, &id, &params, &headers)?;
    let org = shared.org();
    let seen: Vec<Seen<'_>> = (0..org.people.len())
        .filter_map(|i| Seen::of(&org, i))
        .collect();
    respond::ok(&Enterprise {
        id: &org.trello_enterprise_id,
        name: &org.site,
        display_name: &org.name,
        id_admins: seen
            .iter()
            .filter(|s| s.admin)
            .map(|s| s.person.trello_id.as_str())
            .collect(),
        id_organizations: [&org.trello_workspace_id],
        licenses: Licenses {
            max_members: org.product(ProductKey::Trello).seats,
            total_members: seen.iter().filter(|s| s.licensed).count(),
        },
        id_atlassian_organization: org.trello_admin_hub.then_some(org.id.as_str()),
    })
}

/// One user of the enterprise query (`#/components/schemas/Membership`).
#[derive(Serialize)]
struct EnterpriseUser<'a> {
    managed: bool,
    licensed: bool,
    admin: bool,
    deactivated: bool,
    collaborator: bool,
    member: EnterpriseMember<'a>,
}

/// The member nested in [`EnterpriseUser`] (`fullname` in lower case, as
/// Trello spells it there).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnterpriseMember<'a> {
    id: &'a str,
    #[serde(rename = "fullname")]
    full_name: &'a str,
    username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_last_impression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    initials: String,
    member_type: &'static str,
    confirmed: bool,
    aa_id: &'a str,
}

/// A page of the enterprise query.
#[derive(Serialize)]
struct EnterprisePage<'a> {
    users: Vec<EnterpriseUser<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

/// The enterprise query's filters.
struct UserFilter {
    licensed: Option<bool>,
    deactivated: Option<bool>,
    collaborator: Option<bool>,
    managed: Option<bool>,
    admin: Option<bool>,
    active_since: Option<OffsetDateTime>,
    inactive_since: Option<OffsetDateTime>,
    search: Option<String>,
}

impl UserFilter {
    fn parse(params: &Params) -> Result<UserFilter, axum::response::Response> {
        let associations = [
            params.flag("licensed")?,
            params.flag("deactivated")?,
            params.flag("collaborator")?,
            params.flag("managed")?,
            params.flag("admin")?,
        ];
        let given: Vec<bool> = associations.iter().flatten().copied().collect();
        if !given.is_empty() && !given.contains(&true) {
            return Err(respond::trello_error(
                400,
                "At least one association must be specified",
            ));
        }
        let [licensed, deactivated, collaborator, managed, admin] = associations;
        Ok(UserFilter {
            licensed,
            deactivated,
            collaborator,
            managed,
            admin,
            active_since: since(params, "activeSince")?,
            inactive_since: since(params, "inactiveSince")?,
            search: params.get("search").map(str::to_lowercase),
        })
    }

    fn matches(&self, seen: &Seen<'_>) -> bool {
        let flag = |want: Option<bool>, is: bool| want.is_none_or(|w| w == is);
        let last = seen.person.last_active_in(ProductKey::Trello);
        flag(self.licensed, seen.licensed)
            && flag(self.deactivated, seen.deactivated)
            && flag(self.collaborator, seen.collaborator)
            && flag(self.managed, seen.managed)
            && flag(self.admin, seen.admin)
            && self
                .active_since
                .is_none_or(|t| last.is_some_and(|l| l >= t))
            && self
                .inactive_since
                .is_none_or(|t| last.is_none_or(|l| l < t))
            && self.search.as_deref().is_none_or(|s| {
                let p = seen.person;
                p.name.to_lowercase().contains(s)
                    || p.nickname.to_lowercase().contains(s)
                    || seen.email().is_some_and(|e| e.to_lowercase().contains(s))
            })
    }
}

/// A date parameter: a date (`2024-05-01`) or a time (RFC 3339).
fn since(params: &Params, name: &str) -> Result<Option<OffsetDateTime>, axum::response::Response> {
    let Some(value) = params.get(name) else {
        return Ok(None);
    };
    OffsetDateTime::parse(value, &Rfc3339)
        .ok()
        .or_else(|| {
            Date::parse(value, format_description!("[year]-[month]-[day]"))
                .ok()
                .map(|d| d.midnight().assume_utc())
        })
        .map(Some)
        .ok_or_else(|| invalid(name))
}

/// `GET /enterprises/{id}/members/query`: the enterprise's users, 100 a
/// page, filtered, with a cursor while more follow.
async fn enterprise_users(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    enterprise(&shared, &id, &params, &headers)?;
    let query = UserFilter::parse(&params)?;
    let start = match params.get("cursor") {
        None => 0,
        Some(c) => respond::parse_cursor(c).ok_or_else(|| invalid("cursor"))?,
    };
    let org = shared.org();
    let mut users = Vec::with_capacity(ENTERPRISE_PAGE);
    let mut cursor = None;
    for i in start..org.people.len() {
        let Some(seen) = Seen::of(&org, i) else {
            continue;
        };
        if !query.matches(&seen) {
            continue;
        }
        if users.len() == ENTERPRISE_PAGE {
            cursor = Some(respond::cursor(i));
            break;
        }
        let p = seen.person;
        users.push(EnterpriseUser {
            managed: seen.managed,
            licensed: seen.licensed,
            admin: seen.admin,
            deactivated: seen.deactivated,
            collaborator: seen.collaborator,
            member: EnterpriseMember {
                id: &p.trello_id,
                full_name: &p.name,
                username: &p.nickname,
                date_last_impression: seen.last_active(),
                email: seen.email(),
                initials: initials(&p.name),
                member_type: seen.role(),
                confirmed: p.status != Status::Invited,
                aa_id: &p.account_id,
            },
        });
    }
    respond::ok(&EnterprisePage { users, cursor })
}

// ---------------------------------------------------------------------------
// Writes.

/// Trello's answer to licence changes once AdminHub manages the
/// enterprise's users.
fn managed_by_admin_hub() -> axum::response::Response {
    respond::trello_error(
        403,
        "Enterprise user management has moved to Atlassian Administration",
    )
}

/// Trello's answer when the enterprise has no licence left.
fn no_licence() -> axum::response::Response {
    respond::trello_error(403, "not enough licenses")
}

/// Gives person `p` Trello with its default group, unless they hold it.
fn license(org: &mut Org, p: usize) -> Result<(), axum::response::Response> {
    if org.access(&org.people[p], ProductKey::Trello).is_some() {
        return Ok(());
    }
    let group = org.product(ProductKey::Trello).default_group;
    org.add_to_group(p, group)
        .map(|_| ())
        .map_err(|_| no_licence())
}

/// Takes Trello from person `p`: every group granting it, and guest
/// access. Groups granting other products too take those with them.
fn unlicense(org: &mut Org, p: usize) {
    for g in org.granting_groups(ProductKey::Trello) {
        org.remove_from_group(p, g);
    }
    org.people[p]
        .guest_of
        .retain(|&i| i != InstanceId::main(ProductKey::Trello));
}

/// Records person `p`'s workspace role.
fn set_admin(org: &mut Org, p: usize, admin: bool) {
    if admin {
        org.trello.admins.insert(p);
    } else {
        org.trello.admins.remove(&p);
    }
}

/// `PUT /organizations/{id}/members?email=&fullName=&type=`: invites by
/// email (an Atlassian invitation with Trello), or adds the person with
/// that email.
async fn invite(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    workspace(&shared, &id, &params, &headers)?;
    let email = params
        .get("email")
        .filter(|e| {
            e.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        })
        .ok_or_else(|| invalid("email"))?;
    let name = params
        .get("fullName")
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| invalid("fullName"))?;
    let admin = params.role(Some(false))?;
    let mut org = shared.org_mut();
    if org
        .person_by_email(email)
        .is_some_and(|p| p.account_type != AccountType::Atlassian)
    {
        return Err(invalid("email"));
    }
    let p = org
        .invite(email, Some(name), &[ProductKey::Trello])
        .map_err(|_| no_licence())?;
    org.trello.deactivated.remove(&p);
    set_admin(&mut org, p, admin);
    answer_member(&org, p)
}

/// `PUT /organizations/{id}/members/{idMember}?type=`: adds an existing
/// person to the workspace, or changes a member's role.
async fn set_member_type(
    State(shared): State<Arc<Shared>>,
    Path((id, member)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    workspace(&shared, &id, &params, &headers)?;
    let admin = params.role(None)?;
    let mut org = shared.org_mut();
    let p = find_person(&org, &member).ok_or_else(not_found)?;
    if Seen::of(&org, p).is_none() {
        license(&mut org, p)?;
    }
    set_admin(&mut org, p, admin);
    answer_member(&org, p)
}

/// `DELETE /organizations/{id}/members/{idMember}`: removes the member
/// from the workspace, taking their Trello access.
async fn remove_member(
    State(shared): State<Arc<Shared>>,
    Path((id, member)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    workspace(&shared, &id, &params, &headers)?;
    let mut org = shared.org_mut();
    let p = find_member(&org, &member)?;
    unlicense(&mut org, p);
    org.trello.deactivated.remove(&p);
    org.trello.admins.remove(&p);
    respond::ok(&serde_json::json!({}))
}

/// `PUT /organizations/{id}/members/{idMember}/deactivated?value=`:
/// deactivates or reactivates a member in the workspace. Reactivating
/// someone without a licence takes one.
async fn set_deactivated(
    State(shared): State<Arc<Shared>>,
    Path((id, member)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    workspace(&shared, &id, &params, &headers)?;
    let value = params.required_flag("value")?;
    let mut org = shared.org_mut();
    let p = find_member(&org, &member)?;
    if value {
        org.trello.deactivated.insert(p);
    } else {
        license(&mut org, p)?;
        org.trello.deactivated.remove(&p);
    }
    answer_member(&org, p)
}

/// `PUT /enterprises/{id}/members/{idMember}/licensed?value=`: revoking
/// frees the seat (the groups granting Trello go) and deactivates;
/// granting takes a seat and reactivates. Refused under AdminHub.
async fn set_licensed(
    State(shared): State<Arc<Shared>>,
    Path((id, member)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let params = Params(params);
    enterprise(&shared, &id, &params, &headers)?;
    if shared.org().trello_admin_hub {
        return Err(managed_by_admin_hub());
    }
    let value = params.required_flag("value")?;
    let mut org = shared.org_mut();
    let p = find_member(&org, &member)?;
    if value {
        license(&mut org, p)?;
        org.trello.deactivated.remove(&p);
    } else {
        unlicense(&mut org, p);
        org.trello.deactivated.insert(p);
    }
    answer_member(&org, p)
}
