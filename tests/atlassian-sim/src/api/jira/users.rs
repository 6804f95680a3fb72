//! Jira's users: the full listing, lookup, search, the caller and their
//! permissions, and the legacy create and delete.

use super::views::{self, GroupName, User};
use super::{
    account, administrator, authenticate, bad_body, number, refuse_removed_parameters,
    site_administrator,
};
use crate::api::site::{self, JIRA_PRODUCTS, Params};
use crate::model::{InstanceId, Person, ProductKey};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most users one page of the listing holds, whatever is asked.
const MAX_PAGE: usize = 100;

/// User search pages within the first this many matches only.
const SEARCH_WINDOW: usize = 1000;

/// The routes of Jira's user resources.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/users/search", get(all_users))
        .route("/users", get(all_users))
        .route("/user", get(user).post(create).delete(remove))
        .route("/user/groups", get(user_groups))
        .route("/user/search", get(search))
        .route("/myself", get(myself))
        .route("/mypermissions", get(my_permissions))
}

/// `GET /rest/api/3/users/search` (and `/users`): everyone, active or
/// not, as a bare array; an empty array past the end.
async fn all_users(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    authenticate(&shared, &headers)?;
    let start = number(&params, "startAt", 0)?;
    let max = number(&params, "maxResults", 50)?.min(MAX_PAGE);
    let base = shared.urls.site.as_str();
    let org = shared.org();
    let page: Vec<User> = site::directory_page(&org, start, max)
        .map(|p| User::of(base, p))
        .collect();
    respond::ok(&page)
}

/// `GET /rest/api/3/user?accountId=..&expand=groups,applicationRoles`.
async fn user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    authenticate(&shared, &headers)?;
    let org = shared.org();
    let p = account(&org, &params)?;
    respond::ok(&User::expanded(
        &org,
        &shared.urls.site,
        &org.people[p],
        &params,
    ))
}

/// `GET /rest/api/3/myself`: the caller.
async fn myself(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    let caller = authenticate(&shared, &headers)?;
    let org = shared.org();
    respond::ok(&User::expanded(
        &org,
        &shared.urls.site,
        &org.people[caller.person],
        &params,
    ))
}

/// `GET /rest/api/3/user/groups?accountId=..`.
async fn user_groups(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    authenticate(&shared, &headers)?;
    let org = shared.org();
    let p = account(&org, &params)?;
    let groups: Vec<GroupName> = org.people[p]
        .groups
        .iter()
        .map(|&g| GroupName::of(&shared.urls.site, &org.groups[g]))
        .collect();
    respond::ok(&groups)
}

/// `GET /rest/api/3/user/search?query=..`: users whose name, a word of it,
/// or visible email starts with the query; pages within the first 1000
/// matches only.
async fn search(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    authenticate(&shared, &headers)?;
    refuse_removed_parameters(&params)?;
    let query = params.non_empty("query").map(str::to_lowercase);
    let account_id = params.non_empty("accountId");
    let property = params.non_empty("property");
    if query.is_some() && account_id.is_some() {
        return Err(respond::jira_error(
            400,
            "The 'query' and 'accountId' parameters cannot be used together.",
        ));
    }
    if query.is_none() && account_id.is_none() && property.is_none() {
        return Err(respond::jira_error(
            400,
            "One of the 'query', 'accountId' or 'property' parameters is required.",
        ));
    }
    let start = number(&params, "startAt", 0)?;
    let max = number(&params, "maxResults", 50)?.min(SEARCH_WINDOW);
    let base = shared.urls.site.as_str();
    let org = shared.org();
    let page: Vec<User> = site::directory(&org)
        .map(|(_, p)| p)
        .filter(|p| {
            // No user properties are stored: a property query matches none.
            property.is_none()
                && account_id.is_none_or(|id| p.account_id == id)
                && query.as_deref().is_none_or(|q| matches_query(p, q))
        })
        .take(SEARCH_WINDOW)
        .skip(start)
        .take(max)
        .map(|p| User::of(base, p))
        .collect();
    respond::ok(&page)
}

/// Whether the display name, a word of it, or the visible email starts
/// with `query` (already lowercase).
fn matches_query(person: &Person, query: &str) -> bool {
    starts_with(&person.name, query)
        || person
            .name
            .split_whitespace()
            .any(|w| starts_with(w, query))
        || site::visible_email(person).is_some_and(|e| starts_with(e, query))
}

/// Case-insensitive prefix test; `prefix` is lowercase.
fn starts_with(text: &str, prefix: &str) -> bool {
    let mut chars = text.chars().flat_map(char::to_lowercase);
    prefix.chars().all(|c| chars.next() == Some(c))
}

/// The global permissions `mypermissions` reports: key, id, name and
/// description.
const PERMISSIONS: &[(&str, &str, &str, &str)] = &[
    (
        "ADMINISTER",
        "0",
        "Administer Jira",
        "Create and administer projects, issue types, fields, workflows, and schemes for all projects.",
    ),
    (
        "SYSTEM_ADMIN",
        "44",
        "Administer Jira system",
        "Manage users, import data, and edit system settings.",
    ),
    (
        "USER_PICKER",
        "27",
        "Browse users and groups",
        "View and select users or groups from the user picker, and share issues.",
    ),
    (
        "CREATE_SHARED_OBJECTS",
        "22",
        "Share dashboards and filters",
        "Share dashboards and filters with other users.",
    ),
    (
        "BULK_CHANGE",
        "33",
        "Make bulk changes",
        "Modify collections of issues at once.",
    ),
];

/// Jira's `UserPermission`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserPermission {
    id: &'static str,
    key: &'static str,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'static str,
    have_permission: bool,
}

/// `GET /rest/api/3/mypermissions?permissions=USER_PICKER,ADMINISTER,..`:
/// the admin holds every global permission, the ordinary user only
/// *Browse users and groups*.
async fn my_permissions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    let caller = authenticate(&shared, &headers)?;
    let mut permissions = BTreeMap::new();
    for key in params.items("permissions") {
        let Some(&(key, id, name, description)) = PERMISSIONS
            .iter()
            .find(|(k, ..)| k.eq_ignore_ascii_case(key))
        else {
            return Err(respond::jira_error(
                400,
                &format!("Invalid permission key: {key}"),
            ));
        };
        let have_permission = match key {
            "USER_PICKER" => true,
            "SYSTEM_ADMIN" => caller.site_admin,
            _ => caller.jira_admin,
        };
        permissions.insert(
            key,
            UserPermission {
                id,
                key,
                name,
                kind: "GLOBAL",
                description,
                have_permission,
            },
        );
    }
    if permissions.is_empty() {
        return Err(respond::jira_error(
            400,
            "The 'permissions' query parameter is required.",
        ));
    }
    respond::ok(&serde_json::json!({ "permissions": permissions }))
}

/// The body of `POST /rest/api/3/user` (`NewUserDetails`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewUser {
    email_address: Option<String>,
    products: Option<Vec<String>>,
}

/// The Jira product an application key names, or Jira's 400.
fn jira_product(key: &str) -> Result<ProductKey, axum::response::Response> {
    match ProductKey::from_key(key) {
        Some(k) if JIRA_PRODUCTS.contains(&k) => Ok(k),
        _ if matches!(key, "jira-core" | "jira-product-discovery") => Err(respond::jira_error(
            400,
            &format!("The product '{key}' is not available on this site."),
        )),
        _ => Err(respond::jira_error(
            400,
            &format!(
                "'{key}' is not a valid product. Valid products are: jira-core, jira-servicedesk, jira-product-discovery, jira-software."
            ),
        )),
    }
}

/// `POST /rest/api/3/user`: invites an email with the products asked for
/// (default: Jira Software). A user who exists and has Jira gets 201, one
/// without Jira 400; no seat left gives 400.
async fn create(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Reply {
    administrator(&shared, &headers)?;
    let new: NewUser = serde_json::from_slice(&body).map_err(|e| bad_body(&e))?;
    let email = new
        .email_address
        .filter(|e| site::plausible_email(e))
        .ok_or_else(|| {
            respond::json(
                400,
                &serde_json::json!({
                    "errorMessages": [],
                    "errors": { "emailAddress": "You must specify a valid email address." },
                }),
            )
        })?;
    let products = match new.products {
        None => vec![ProductKey::JiraSoftware],
        Some(keys) => keys
            .iter()
            .map(|k| jira_product(k))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let base = shared.urls.site.as_str();
    let mut org = shared.org_mut();
    let existing = org
        .person_by_email(&email)
        .filter(|p| site::directory_person(&org, &p.account_id).is_some());
    if let Some(person) = existing {
        if person.removed_from_jira || views::roles_of(&org, person).next().is_none() {
            return Err(respond::jira_error(
                400,
                &format!(
                    "The user with email '{email}' already exists but does not have access to Jira."
                ),
            ));
        }
        return Ok(respond::json(201, &User::of(base, person)));
    }
    if let Some(full) = products
        .iter()
        .find(|&&k| org.seats_used(k) >= org.product(k).seats)
    {
        return Err(super::licence_exceeded(&org, InstanceId::main(*full)));
    }
    let p = org
        .invite(&email, None, &products)
        .map_err(|e| super::licence_exceeded(&org, e.0))?;
    Ok(respond::json(201, &User::of(base, &org.people[p])))
}

/// `DELETE /rest/api/3/user?accountId=..`: removes the person from Jira's
/// user base: out of every group that grants Jira on this site, so their
/// seats free up; they still list, inactive.
async fn remove(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    site_administrator(&shared, &headers)?;
    let mut org = shared.org_mut();
    let p = account(&org, &params)?;
    let granting: Vec<usize> = org.people[p]
        .groups
        .iter()
        .copied()
        .filter(|&g| site::grants_jira(&org, g))
        .collect();
    for g in granting {
        org.remove_from_group(p, g);
    }
    org.people[p].removed_from_jira = true;
    Ok(respond::empty(204))
}
