//! v2 directory users: search (`POST .../users/search`), the deprecated
//! `GET .../users` with the same filters as query parameters, one user,
//! the count, and a user's role assignments.
//!
//! The user object is camelCase. `status` is the composite of
//! `accountStatus` and `membershipStatus`: suspended is an active account
//! with a suspended membership, deactivated an inactive account,
//! `for_deletion` an account whose deletion is under way. An invited
//! person who has not accepted is `active` with `emailVerified: false`.
//! `productAccess` (with `expand`) has one entry per product instance the
//! person holds, on any site, keyed by Roster's canonical product key,
//! with the instance's ARI as `id` and `lastActiveTimestamp` when the
//! person was ever active there and
//! [`crate::Behaviour::search_last_active`] is on. `resourceIds` selects
//! the holders of those instances; with `roleIds`, product roles count on
//! those instances only. A user's role assignments have one entry per
//! instance held; `resourceIds`, `resourceOwners` and `roleIds` filter
//! them.

use super::wire::{self, CursorLinks, Iso, Joined};
use super::{
    account_status, authorise, check_directory, cursor_page, instance_of_resource, invalid_body,
    invalid_cursor, member, v2_status,
};
use crate::model::{InstanceId, Org, Role, Status};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize, Serializer};
use std::sync::Arc;

/// Page size of `POST .../users/search` when none is asked for.
const SEARCH_LIMIT: usize = 50;
/// Page size of `GET .../users` when none is asked for.
const LIST_LIMIT: usize = 20;
/// The largest page either serves.
const MAX_LIMIT: i64 = 100;

const STATUSES: [&str; 5] = [
    "active",
    "suspended",
    "not_invited",
    "deactivated",
    "for_deletion",
];
const ACCOUNT_STATUSES: [&str; 3] = ["active", "inactive", "closed"];
const MEMBERSHIP_STATUSES: [&str; 3] = ["active", "suspended", "no_membership"];
const EXPANSIONS: [&str; 4] = [
    "productAccess",
    "groups",
    "platformRoles",
    "counts.resources",
];

/// The filters of a user search, from the body or the query.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Search {
    cursor: Option<String>,
    limit: Option<i64>,
    account_ids: Vec<String>,
    directory_ids: Vec<String>,
    resource_ids: Vec<String>,
    group_ids: Vec<String>,
    mfa_enabled: Option<bool>,
    claim_status: Option<String>,
    status: Vec<String>,
    account_status: Vec<String>,
    membership_status: Vec<String>,
    role_ids: Vec<String>,
    email_domains: Vec<String>,
    search_term: Option<String>,
    emails: Option<Vec<String>>,
    expand: Vec<String>,
}

impl Search {
    /// The filters of `GET .../users` and `GET .../users/count`.
    fn from_query(pairs: &[(String, String)]) -> Result<Search, Response> {
        let list = |name: &str| -> Vec<String> {
            wire::values(pairs, name)
                .into_iter()
                .map(str::to_owned)
                .collect()
        };
        let limit = match wire::value(pairs, "limit") {
            Some(l) => Some(
                l.parse::<i64>()
                    .map_err(|_| invalid_body("limit must be a number"))?,
            ),
            None => None,
        };
        let mfa_enabled = match wire::value(pairs, "mfaEnabled") {
            Some(m) => Some(
                m.parse::<bool>()
                    .map_err(|_| invalid_body("mfaEnabled must be true or false"))?,
            ),
            None => None,
        };
        let emails = list("emails");
        Ok(Search {
            cursor: wire::value(pairs, "cursor").map(str::to_owned),
            limit,
            account_ids: list("accountIds"),
            directory_ids: list("directoryIds"),
            resource_ids: list("resourceIds"),
            group_ids: list("groupIds"),
            mfa_enabled,
            claim_status: wire::value(pairs, "claimStatus").map(str::to_owned),
            status: list("status"),
            account_status: list("accountStatus"),
            membership_status: list("membershipStatus"),
            role_ids: list("roleIds"),
            email_domains: list("emailDomains"),
            search_term: wire::value(pairs, "searchTerm").map(str::to_owned),
            emails: (!emails.is_empty()).then_some(emails),
            expand: list("expand"),
        })
    }

    /// Checks the filters against `org`, resolving ids.
    fn compile(mut self, org: &Org, default_limit: usize) -> Result<Filter, Response> {
        let limit = match self.limit {
            None => default_limit,
            Some(l) if (1..=MAX_LIMIT).contains(&l) => l as usize,
            Some(l) => {
                return Err(invalid_body(&format!(
                    "limit must be between 1 and {MAX_LIMIT}, not {l}"
                )));
            }
        };
        let start = match self.cursor.as_deref() {
            None | Some("") => 0,
            Some(c) => respond::parse_cursor(c).ok_or_else(invalid_cursor)?,
        };
        if self.emails.is_some() && self.search_term.is_some() {
            return Err(invalid_body(
                "searchTerm and emails are mutually exclusive: send one of them",
            ));
        }
        for (name, values, allowed) in [
            ("status", &self.status, &STATUSES[..]),
            ("accountStatus", &self.account_status, &ACCOUNT_STATUSES[..]),
            (
                "membershipStatus",
                &self.membership_status,
                &MEMBERSHIP_STATUSES[..],
            ),
            ("expand", &self.expand, &EXPANSIONS[..]),
        ] {
            if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
                return Err(invalid_body(&format!(
                    "{name} does not take {bad:?}: expected one of {allowed:?}"
                )));
            }
        }
        if let Some(c) = self
            .claim_status
            .as_deref()
            .filter(|c| !["managed", "unmanaged"].contains(c))
        {
            return Err(invalid_body(&format!(
                "claimStatus is managed or unmanaged, not {c:?}"
            )));
        }
        for d in &self.directory_ids {
            check_directory(org, d)?;
        }
        let resources = self
            .resource_ids
            .iter()
            .map(|r| instance_of_resource(org, r))
            .collect::<Result<Vec<_>, _>>()?;
        // With resources given, a product role counts only on them.
        let scope = if resources.is_empty() {
            org.instances().collect()
        } else {
            resources.clone()
        };
        let groups = (!self.group_ids.is_empty()).then(|| {
            self.group_ids
                .iter()
                .filter_map(|g| org.group_by_id(g))
                .collect()
        });
        let expand = |e: &str| self.expand.iter().any(|x| x == e);
        let expand = Expand {
            product_access: expand("productAccess"),
            groups: expand("groups"),
            platform_roles: expand("platformRoles"),
            counts: expand("counts.resources"),
        };
        self.search_term = self.search_term.map(|t| t.to_lowercase());
        Ok(Filter {
            start,
            limit,
            groups,
            resources,
            scope,
            expand,
            search: self,
        })
    }
}

/// Which optional parts of the user object to send.
#[derive(Debug, Clone, Copy, Default)]
struct Expand {
    product_access: bool,
    groups: bool,
    platform_roles: bool,
    counts: bool,
}

/// A search checked against the organisation, its ids resolved.
#[derive(Debug)]
struct Filter {
    start: usize,
    limit: usize,
    /// The groups asked for that exist; none when no group was asked for.
    groups: Option<Vec<usize>>,
    /// The instances `resourceIds` names.
    resources: Vec<InstanceId>,
    /// Where product roles count: the resources, else every instance.
    scope: Vec<InstanceId>,
    expand: Expand,
    /// The search, its term lowercased.
    search: Search,
}

impl Filter {
    /// Whether person `p` is a directory member this search selects.
    fn keeps(&self, org: &Org, p: usize) -> bool {
        if !super::in_directory(org, p) {
            return false;
        }
        let person = &org.people[p];
        let s = &self.search;
        let email = person.email.as_deref().unwrap_or_default();
        let any =
            |wanted: &[String], have: &str| wanted.is_empty() || wanted.iter().any(|w| w == have);
        any(&s.account_ids, &person.account_id)
            && any(&s.status, v2_status(org, p))
            && any(&s.account_status, account_status(person))
            && any(&s.membership_status, membership_status(person))
            && s.claim_status
                .as_deref()
                .is_none_or(|c| c == claim_status(org, p))
            && s.mfa_enabled.is_none_or(|m| m == mfa_enabled(org, p))
            && self
                .groups
                .as_ref()
                .is_none_or(|gs| gs.iter().any(|g| person.groups.contains(g)))
            && (self.resources.is_empty()
                || self
                    .resources
                    .iter()
                    .any(|&i| org.access_on(person, i).is_some()))
            && (s.role_ids.is_empty()
                || s.role_ids.iter().any(|r| has_role(org, p, r, &self.scope)))
            && (s.email_domains.is_empty()
                || email.rsplit_once('@').is_some_and(|(_, d)| {
                    s.email_domains.iter().any(|w| d.eq_ignore_ascii_case(w))
                }))
            && s.emails
                .as_ref()
                .is_none_or(|es| es.iter().any(|e| e.eq_ignore_ascii_case(email)))
            && s.search_term.as_deref().is_none_or(|t| {
                [person.name.as_str(), person.nickname.as_str(), email]
                    .iter()
                    .any(|f| f.to_lowercase().contains(t))
            })
    }
}

/// `membershipStatus`.
fn membership_status(person: &crate::model::Person) -> &'static str {
    match person.status {
        Status::Suspended => "suspended",
        _ => "active",
    }
}

/// `claimStatus`: managed for emails on the verified domain.
fn claim_status(org: &Org, p: usize) -> &'static str {
    if org.is_managed(&org.people[p]) {
        "managed"
    } else {
        "unmanaged"
    }
}

/// `mfaEnabled`: the simulator's managed, SCIM-synced people sign in
/// through the identity provider with a second factor.
fn mfa_enabled(org: &Org, p: usize) -> bool {
    org.people[p].scim_id.is_some() && org.is_managed(&org.people[p])
}

/// The platform roles of person `p`: `atlassian/org-admin` for the
/// organisation admin, `atlassian/site-admin` for members of
/// `site-admins`.
fn platform_roles(org: &Org, p: usize) -> Vec<&'static str> {
    let mut roles = Vec::new();
    if p == org.admin {
        roles.push("atlassian/org-admin");
    }
    let site_admins = org.group_by_name("site-admins");
    if site_admins.is_some_and(|g| org.people[p].groups.contains(&g)) {
        roles.push("atlassian/site-admin");
    }
    roles
}

/// Whether person `p` holds role id `role` (`atlassian/user`, ...): a
/// product role on one of the instances of `scope`, a platform role
/// (`atlassian/org-admin`, `atlassian/site-admin`) whatever the scope.
/// A search with both `resourceIds` and `roleIds` scopes product roles to
/// its resources, so `{resourceIds: [Jira], roleIds: [atlassian/admin]}`
/// selects Jira's admins, not Confluence's admins who merely use Jira,
/// nor the admins of another site's Jira.
fn has_role(org: &Org, p: usize, role: &str, scope: &[InstanceId]) -> bool {
    let person = &org.people[p];
    match role.strip_prefix("atlassian/") {
        Some(r @ ("user" | "admin" | "guest")) => scope.iter().any(|&i| {
            org.access_on(person, i)
                .is_some_and(|a| a.role.as_str() == r)
        }),
        _ => platform_roles(org, p).contains(&role),
    }
}

/// The role id of a product role.
pub(super) fn role_id(role: Role) -> &'static str {
    match role {
        Role::Guest => "atlassian/guest",
        Role::User => "atlassian/user",
        Role::Admin => "atlassian/admin",
    }
}

/// What every user object of one answer shares.
struct View<'a> {
    org: &'a Org,
    self_base: String,
    expand: Expand,
    last_active: bool,
}

impl<'a> View<'a> {
    fn new(shared: &Shared, org: &'a Org, expand: Expand) -> Self {
        View {
            org,
            self_base: format!(
                "{}/admin/v2/orgs/{}/directories/{}/users/",
                shared.urls.admin, org.id, org.directory_id
            ),
            expand,
            last_active: shared.behaviour().search_last_active,
        }
    }

    /// The instances person `p` holds.
    fn held(&self, p: usize) -> impl Iterator<Item = InstanceId> + '_ {
        let person = &self.org.people[p];
        self.org
            .instances()
            .filter(move |&i| self.org.access_on(person, i).is_some())
    }

    /// The user object of person `p`.
    fn user(&self, p: usize) -> User<'_> {
        let org = self.org;
        let person = &org.people[p];
        User {
            account_id: &person.account_id,
            account_type: person.account_type.as_str(),
            status: v2_status(org, p),
            account_status: account_status(person),
            membership_status: membership_status(person),
            added_to_org: wire::midnight(person.added),
            name: &person.name,
            nickname: &person.nickname,
            email: person.email.as_deref(),
            email_verified: person.status != Status::Invited,
            claim_status: claim_status(org, p),
            management_source: if person.scim_id.is_some() {
                "scim"
            } else {
                "invited"
            },
            mfa_enabled: mfa_enabled(org, p),
            platform_roles: self.expand.platform_roles.then(|| platform_roles(org, p)),
            counts: self.expand.counts.then(|| Counts {
                resources: self.held(p).count(),
            }),
            product_access: self
                .expand
                .product_access
                .then_some(Products { view: self, p }),
            groups: self.expand.groups.then_some(Groups {
                org,
                groups: &person.groups,
            }),
            deactivated_on: None,
            for_deletion: org.deleting.contains(&p),
            links: SelfLink {
                this: Joined(&self.self_base, &person.account_id),
            },
        }
    }
}

/// `productAccess`: the instances a person holds, written as they are
/// found.
struct Products<'a> {
    view: &'a View<'a>,
    p: usize,
}

impl Serialize for Products<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let view = self.view;
        let person = &view.org.people[self.p];
        s.collect_seq(view.held(self.p).map(|i| {
            ProductAccess {
                key: i.key(),
                id: &view.org.instance(i).ari,
                last_active_timestamp: person
                    .last_active_on(i)
                    .filter(|_| view.last_active)
                    .map(Iso),
            }
        }))
    }
}

/// `groups`: a person's groups, written as they are found.
struct Groups<'a> {
    org: &'a Org,
    groups: &'a [usize],
}

impl Serialize for Groups<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.groups.iter().map(|&g| GroupRef {
            id: &self.org.groups[g].id,
            name: &self.org.groups[g].name,
        }))
    }
}

/// The v2 user object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct User<'a> {
    account_id: &'a str,
    account_type: &'static str,
    status: &'static str,
    account_status: &'static str,
    membership_status: &'static str,
    added_to_org: Iso,
    name: &'a str,
    nickname: &'a str,
    email: Option<&'a str>,
    email_verified: bool,
    claim_status: &'static str,
    management_source: &'static str,
    mfa_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform_roles: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counts: Option<Counts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_access: Option<Products<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Groups<'a>>,
    deactivated_on: Option<Iso>,
    for_deletion: bool,
    links: SelfLink<'a>,
}

#[derive(Serialize)]
struct Counts {
    resources: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductAccess<'a> {
    key: &'static str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_active_timestamp: Option<Iso>,
}

#[derive(Serialize)]
struct GroupRef<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct SelfLink<'a> {
    #[serde(rename = "self")]
    this: Joined<'a>,
}

#[derive(Serialize)]
struct Page<'a> {
    data: Vec<User<'a>>,
    links: CursorLinks,
}

/// One page of users for a search.
fn page(shared: &Shared, directory_id: &str, search: Search, limit: usize) -> Reply {
    let org = shared.org();
    check_directory(&org, directory_id)?;
    let filter = search.compile(&org, limit)?;
    let found = cursor_page(org.people.len(), filter.start, filter.limit, |p| {
        filter.keeps(&org, p)
    });
    let view = View::new(shared, &org, filter.expand);
    let per_user = if filter.expand.product_access || filter.expand.groups {
        1_280
    } else {
        640
    };
    wire::ok_sized(
        &Page {
            data: found.items.iter().map(|&p| view.user(p)).collect(),
            links: found.links(filter.start),
        },
        found.items.len() * per_user + 512,
    )
}

/// `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search`.
pub(super) async fn search(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let search: Search = wire::body(&body).map_err(|e| invalid_body(&e))?;
    page(&shared, &directory_id, search, SEARCH_LIMIT)
}

/// `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users`
/// (deprecated in favour of search).
pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let search = Search::from_query(&pairs)?;
    page(&shared, &directory_id, search, LIST_LIMIT)
}

/// `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/count`:
/// `{"count": n}` for the same filters as the list.
pub(super) async fn count(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let search = Search::from_query(&pairs)?;
    let org = shared.org();
    check_directory(&org, &directory_id)?;
    let filter = search.compile(&org, LIST_LIMIT)?;
    let count = (0..org.people.len())
        .filter(|&p| filter.keeps(&org, p))
        .count();
    respond::ok(&Count { count })
}

#[derive(Serialize)]
struct Count {
    count: usize,
}

/// `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}`,
/// with `expand` as in search.
pub(super) async fn detail(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id, account_id)): Path<(String, String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let search = Search {
        expand: wire::values(&pairs, "expand")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        ..Search::default()
    };
    let org = shared.org();
    check_directory(&org, &directory_id)?;
    let filter = search.compile(&org, LIST_LIMIT)?;
    let p = member(&org, &account_id)?;
    respond::ok(&View::new(&shared, &org, filter.expand).user(p))
}

/// `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments`:
/// one entry per instance the person holds (with the role and whether a
/// group or a direct grant gives it), plus the organisation for its admin.
/// `resourceIds` (ARIs or workspace ids; the organisation's ARI for its
/// roles), `resourceOwners` and `roleIds` keep the entries they name; an
/// unknown resource is `400 ADMIN-400-4`. Every entry comes on one page.
pub(super) async fn role_assignments(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, directory_id, account_id)): Path<(String, String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let org = shared.org();
    check_directory(&org, &directory_id)?;
    let p = member(&org, &account_id)?;
    let person = &org.people[p];
    let status = v2_status(&org, p);
    let org_ari = format!("ari:cloud:platform::org/{}", org.id);
    let resources = wire::values(&pairs, "resourceIds");
    for r in resources.iter().filter(|r| **r != org_ari) {
        instance_of_resource(&org, r)?;
    }
    let owners = wire::values(&pairs, "resourceOwners");
    let roles = wire::values(&pairs, "roleIds");
    let kept = |resource: &str, workspace: Option<&str>, owner: &str, role: &str| {
        (resources.is_empty()
            || resources
                .iter()
                .any(|r| *r == resource || Some(*r) == workspace))
            && (owners.is_empty() || owners.contains(&owner))
            && (roles.is_empty() || roles.contains(&role))
    };
    let mut data: Vec<Assignment<'_>> = org
        .instances()
        .filter_map(|i| {
            let access = org.access_on(person, i)?;
            let role = role_id(access.role);
            let instance = org.instance(i);
            if !kept(&instance.ari, Some(&instance.workspace_id), i.key(), role) {
                return None;
            }
            let method = if access.via_group.is_some() {
                "GROUP"
            } else {
                "DIRECT"
            };
            Some(Assignment {
                resource_id: instance.ari.clone(),
                resource_owner: i.key(),
                roles: vec![role],
                role_assignments: vec![RoleAssignment {
                    role,
                    role_assignment_methods: vec![method],
                }],
                directory_id: &org.directory_id,
                user_directory_status: status,
            })
        })
        .collect();
    let org_roles: Vec<&'static str> = platform_roles(&org, p)
        .into_iter()
        .filter(|r| *r == "atlassian/org-admin" && kept(&org_ari, None, "platform", r))
        .collect();
    if !org_roles.is_empty() {
        data.push(Assignment {
            resource_id: org_ari.clone(),
            resource_owner: "platform",
            roles: org_roles.clone(),
            role_assignments: org_roles
                .iter()
                .map(|&role| RoleAssignment {
                    role,
                    role_assignment_methods: vec!["DIRECT"],
                })
                .collect(),
            directory_id: &org.directory_id,
            user_directory_status: status,
        });
    }
    respond::ok(&Assignments {
        data,
        links: CursorLinks::default(),
    })
}

#[derive(Serialize)]
struct Assignments<'a> {
    data: Vec<Assignment<'a>>,
    links: CursorLinks,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Assignment<'a> {
    resource_id: String,
    resource_owner: &'static str,
    roles: Vec<&'static str>,
    role_assignments: Vec<RoleAssignment>,
    directory_id: &'a str,
    user_directory_status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleAssignment {
    role: &'static str,
    role_assignment_methods: Vec<&'static str>,
}
