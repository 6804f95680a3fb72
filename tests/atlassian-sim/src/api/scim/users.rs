//! SCIM users: list, read, create (or link, or reactivate), replace,
//! patch and deactivate.

use super::{
    ATLASSIAN_SCHEMA, ENTERPRISE_SCHEMA, Member, Meta, USER_SCHEMA, bad_value, filter, guard,
    list_page, paging, scim_json, visible, visible_user,
};
use crate::api::admin::wire;
use crate::model::{Org, Status};
use crate::respond::{self, Reply};
use crate::rng::{Rng, mix};
use crate::server::Shared;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Name<'a> {
    formatted: &'a str,
    given_name: &'a str,
    family_name: &'a str,
}

#[derive(Serialize)]
struct Email<'a> {
    value: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    primary: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AtlassianExtension<'a> {
    atlassian_account_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct User<'a> {
    schemas: [&'static str; 3],
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<&'a str>,
    user_name: &'a str,
    name: Name<'a>,
    display_name: &'a str,
    nick_name: &'a str,
    emails: [Email<'a>; 1],
    active: bool,
    groups: Vec<Member<'a>>,
    #[serde(rename = "urn:scim:schemas:extension:atlassian-external:1.0")]
    atlassian: AtlassianExtension<'a>,
    meta: Meta,
}

/// A full name as given and family name: the first word, and the rest.
fn split_name(name: &str) -> (&str, &str) {
    name.split_once(' ').unwrap_or((name, ""))
}

/// The SCIM user of person `p`.
fn user<'a>(shared: &Shared, org: &'a Org, p: usize) -> User<'a> {
    let person = &org.people[p];
    let id = person.scim_id.as_deref().unwrap_or_default();
    let email = person.email.as_deref().unwrap_or_default();
    let (given_name, family_name) = split_name(&person.name);
    let at = wire::midnight(person.added);
    User {
        schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA, ATLASSIAN_SCHEMA],
        id,
        external_id: org.scim_external_ids.get(&p).map(String::as_str),
        user_name: email,
        name: Name {
            formatted: &person.name,
            given_name,
            family_name,
        },
        display_name: &person.name,
        nick_name: &person.nickname,
        emails: [Email {
            value: email,
            kind: "work",
            primary: true,
        }],
        active: person.status != Status::Deactivated,
        groups: person
            .groups
            .iter()
            .map(|&g| Member {
                value: &org.groups[g].id,
                display: &org.groups[g].name,
                kind: "direct",
            })
            .collect(),
        atlassian: AtlassianExtension {
            atlassian_account_id: &person.account_id,
        },
        meta: Meta {
            resource_type: "USER",
            created: at,
            last_modified: at,
            location: format!(
                "{}/scim/directory/{}/Users/{id}",
                shared.urls.admin, org.directory_id
            ),
        },
    }
}

/// `GET /scim/directory/{directoryId}/Users?startIndex&count&filter`.
pub(super) async fn list_users(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(directory_id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let (start, count) = paging(&pairs)?;
    let filter = filter(&pairs, &["userName", "externalId"])?;
    let org = shared.org();
    let matching = match filter {
        None => shared.listing(&org, "scim-users", visible),
        Some((attribute, value)) => std::sync::Arc::new(
            (0..org.people.len())
                .filter(|&p| {
                    visible(&org, p)
                        && match attribute {
                            "userName" => org.people[p]
                                .email
                                .as_deref()
                                .is_some_and(|e| e.eq_ignore_ascii_case(value)),
                            _ => org.scim_external_ids.get(&p).is_some_and(|x| x == value),
                        }
                })
                .collect(),
        ),
    };
    Ok(scim_json(
        200,
        &list_page(&matching, start, count, |p| user(&shared, &org, p)),
    ))
}

/// `GET /scim/directory/{directoryId}/Users/{userId}`.
pub(super) async fn get_user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((directory_id, user_id)): Path<(String, String)>,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let org = shared.org();
    let p = visible_user(&org, &user_id)?;
    Ok(scim_json(200, &user(&shared, &org, p)))
}

/// What a request asks to change on a user, from a `POST`/`PUT` body or
/// `PATCH` operations.
#[derive(Debug, Default)]
struct Changes {
    user_name: Option<String>,
    /// `Some(None)` clears the external id.
    external_id: Option<Option<String>>,
    display_name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    nick_name: Option<String>,
    active: Option<bool>,
}

/// A `POST`/`PUT` user body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct UserBody {
    user_name: Option<String>,
    external_id: Option<String>,
    name: Option<NameBody>,
    display_name: Option<String>,
    nick_name: Option<String>,
    emails: Vec<EmailBody>,
    active: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct NameBody {
    formatted: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EmailBody {
    value: Option<String>,
    primary: Option<bool>,
}

impl UserBody {
    /// The changes a full representation makes: an absent `externalId`
    /// is cleared.
    fn into_changes(self) -> Changes {
        let primary_email = || {
            let primary = self.emails.iter().find(|e| e.primary == Some(true));
            primary
                .or(self.emails.first())
                .and_then(|e| e.value.clone())
        };
        let name = self.name.unwrap_or_default();
        Changes {
            user_name: self.user_name.clone().or_else(primary_email),
            external_id: Some(self.external_id),
            display_name: self.display_name.or(name.formatted),
            given_name: name.given_name,
            family_name: name.family_name,
            nick_name: self.nick_name,
            active: self.active,
        }
    }
}

/// A text value of a `PATCH` operation.
fn text(value: &Value, path: &str) -> Result<String, Response> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| bad_value(&format!("{path} takes a string")))
}

impl Changes {
    /// Records one `PATCH` assignment of `path` (SCIM attribute names are
    /// case-insensitive). `remove` clears what can be cleared.
    fn set(&mut self, path: &str, value: &Value, remove: bool) -> Result<(), Response> {
        match path.to_ascii_lowercase().as_str() {
            "active" => {
                let active = match value {
                    Value::Bool(b) => *b,
                    Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                    Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                    _ => return Err(bad_value("active takes true or false")),
                };
                self.active = Some(active && !remove);
            }
            "externalid" => {
                self.external_id = Some(if remove {
                    None
                } else {
                    Some(text(value, path)?)
                });
            }
            "username" | "emails[type eq \"work\"].value" => {
                self.user_name = Some(text(value, path)?)
            }
            "displayname" | "name.formatted" => self.display_name = Some(text(value, path)?),
            "name.givenname" => self.given_name = Some(text(value, path)?),
            "name.familyname" => self.family_name = Some(text(value, path)?),
            "nickname" => self.nick_name = Some(text(value, path)?),
            "name" => {
                let name: NameBody =
                    serde_json::from_value(value.clone()).map_err(|e| bad_value(&e.to_string()))?;
                self.display_name = name.formatted.or(self.display_name.take());
                self.given_name = name.given_name;
                self.family_name = name.family_name;
            }
            _ => {
                return Err(respond::scim_error(
                    400,
                    Some("invalidPath"),
                    &format!("Unsupported path {path:?}"),
                ));
            }
        }
        Ok(())
    }

    /// The changes of a `PatchOp` body (`Operations`, or `operations`).
    fn from_patch(body: &Value) -> Result<Changes, Response> {
        let operations = body
            .get("Operations")
            .or_else(|| body.get("operations"))
            .and_then(Value::as_array)
            .ok_or_else(|| {
                respond::scim_error(400, Some("invalidSyntax"), "Operations is missing")
            })?;
        let mut changes = Changes::default();
        for op in operations {
            let kind = op.get("op").and_then(Value::as_str).unwrap_or_default();
            let remove = match kind.to_ascii_lowercase().as_str() {
                "add" | "replace" => false,
                "remove" => true,
                _ => return Err(bad_value(&format!("Unsupported op {kind:?}"))),
            };
            let value = op.get("value").unwrap_or(&Value::Null);
            match op.get("path").and_then(Value::as_str) {
                Some(path) => changes.set(path, value, remove)?,
                None => {
                    let fields = value
                        .as_object()
                        .ok_or_else(|| bad_value("An operation without path takes an object"))?;
                    for (path, value) in fields {
                        changes.set(path, value, remove)?;
                    }
                }
            }
        }
        Ok(changes)
    }
}

/// Checks that `email` may be the user name of person `p` (or of a new
/// person when `p` is none): on the verified domain, and nobody else's.
fn check_user_name(org: &Org, p: Option<usize>, email: &str) -> Result<(), Response> {
    let on_domain = email
        .rsplit_once('@')
        .is_some_and(|(local, d)| !local.is_empty() && d.eq_ignore_ascii_case(&org.domain));
    if !on_domain {
        return Err(bad_value(&format!(
            "{email} is not on a verified domain of the organization"
        )));
    }
    let holder = org.people.iter().position(|x| {
        x.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    });
    if holder.is_some_and(|h| Some(h) != p) {
        return Err(respond::scim_error(
            409,
            Some("uniqueness"),
            &format!("A user with userName {email} already exists"),
        ));
    }
    Ok(())
}

/// Applies checked `changes` to person `p`.
fn apply(org: &mut Org, p: usize, changes: Changes) -> Result<(), Response> {
    if let Some(email) = &changes.user_name {
        check_user_name(org, Some(p), email)?;
    }
    let person = &mut org.people[p];
    if let Some(email) = changes.user_name {
        person.email = Some(email);
    }
    let (given, family) = split_name(&person.name);
    let name = match (
        changes.display_name,
        changes.given_name,
        changes.family_name,
    ) {
        (Some(display), _, _) => Some(display),
        (None, None, None) => None,
        (None, g, f) => Some(
            format!(
                "{} {}",
                g.as_deref().unwrap_or(given),
                f.as_deref().unwrap_or(family)
            )
            .trim()
            .to_owned(),
        ),
    };
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        person.name = name;
    }
    if let Some(nick) = changes.nick_name {
        person.nickname = nick;
    }
    match changes.external_id {
        Some(Some(x)) => {
            org.scim_external_ids.insert(p, x);
        }
        Some(None) => {
            org.scim_external_ids.remove(&p);
        }
        None => {}
    }
    let status = match (changes.active, org.people[p].status) {
        (Some(false), _) => Status::Deactivated,
        (Some(true), Status::Deactivated) => Status::Active,
        (_, current) => current,
    };
    org.set_status(p, status)
        .map_err(|e| bad_value(&e.to_string()))?;
    Ok(())
}

/// `POST /scim/directory/{directoryId}/Users`: 201 with the user.
pub(super) async fn create_user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(directory_id): Path<String>,
    body: Bytes,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let body: UserBody =
        wire::body(&body).map_err(|e| respond::scim_error(400, Some("invalidSyntax"), &e))?;
    let mut changes = body.into_changes();
    let email = changes
        .user_name
        .take()
        .ok_or_else(|| bad_value("userName is required"))?;
    changes.active = Some(changes.active.unwrap_or(true));
    let mut org = shared.org_mut();
    let existing = org.people.iter().position(|x| {
        x.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&email))
    });
    let p = match existing {
        Some(p) if visible(&org, p) => {
            return Err(respond::scim_error(
                409,
                Some("uniqueness"),
                &format!("A user with userName {email} already exists"),
            ));
        }
        Some(p) if org.is_managed(&org.people[p]) => p,
        _ => {
            check_user_name(&org, None, &email)?;
            let name = changes.display_name.clone();
            let p = org
                .invite(&email, name.as_deref(), &[])
                .map_err(|e| bad_value(&e.to_string()))?;
            org.set_status(p, Status::Active)
                .map_err(|e| bad_value(&e.to_string()))?;
            p
        }
    };
    if org.people[p].scim_id.is_none() {
        let mut rng = Rng::new(mix(p as u64 ^ 0x7363_696d));
        org.people[p].scim_id = Some(rng.uuid());
    }
    apply(&mut org, p, changes)?;
    Ok(scim_json(201, &user(&shared, &org, p)))
}

/// `PUT /scim/directory/{directoryId}/Users/{userId}`: replaces the user.
pub(super) async fn replace_user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((directory_id, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let body: UserBody =
        wire::body(&body).map_err(|e| respond::scim_error(400, Some("invalidSyntax"), &e))?;
    let mut org = shared.org_mut();
    let p = visible_user(&org, &user_id)?;
    apply(&mut org, p, body.into_changes())?;
    Ok(scim_json(200, &user(&shared, &org, p)))
}

/// `PATCH /scim/directory/{directoryId}/Users/{userId}`.
pub(super) async fn patch_user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((directory_id, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let body: Value =
        wire::body(&body).map_err(|e| respond::scim_error(400, Some("invalidSyntax"), &e))?;
    let changes = Changes::from_patch(&body)?;
    let mut org = shared.org_mut();
    let p = visible_user(&org, &user_id)?;
    apply(&mut org, p, changes)?;
    Ok(scim_json(200, &user(&shared, &org, p)))
}

/// `DELETE /scim/directory/{directoryId}/Users/{userId}`: deactivates; 204.
pub(super) async fn deactivate_user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((directory_id, user_id)): Path<(String, String)>,
) -> Reply {
    guard(&shared, &headers, &directory_id)?;
    let mut org = shared.org_mut();
    let p = visible_user(&org, &user_id)?;
    org.set_status(p, Status::Deactivated)
        .map_err(|e| bad_value(&e.to_string()))?;
    Ok(respond::empty(204))
}
