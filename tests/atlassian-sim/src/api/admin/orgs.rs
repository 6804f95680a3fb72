//! v1 reads in snake_case: the organisations the key sees, the managed
//! accounts (`GET /v1/orgs/{orgId}/users`) and one person's last-active
//! dates, both per product instance: a managed account's
//! `product_access` has an entry per instance held (its `url` tells the
//! sites apart), the last-active dates one per instance ever used, its
//! ARI as `id`.

use super::wire::{self, Day, Iso, Joined, PageLinks};
use super::{authenticate, authorise, cursor_page, host_url, invalid_cursor};
use crate::model::{AccountType, Org};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Serialize;
use std::sync::Arc;

/// Accounts per page of `GET /v1/orgs/{orgId}/users`.
const USERS_PAGE: usize = 100;

/// Where avatars are, before the account id.
const AVATARS: &str = "https://avatar-management.services.atlassian.com/";

/// `{"self": url}`.
#[derive(Serialize)]
struct SelfLink {
    #[serde(rename = "self")]
    this: String,
}

/// `{"related": url}`.
#[derive(Serialize)]
struct Related {
    related: String,
}

#[derive(Serialize)]
struct RelationshipLinks {
    links: Related,
}

#[derive(Serialize)]
struct Relationships {
    domains: RelationshipLinks,
    users: RelationshipLinks,
}

#[derive(Serialize)]
struct OrgName<'a> {
    name: &'a str,
}

/// `OrgModel`.
#[derive(Serialize)]
struct OrgModel<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: OrgName<'a>,
    relationships: Relationships,
    links: SelfLink,
}

fn org_model<'a>(shared: &Shared, org: &'a Org) -> OrgModel<'a> {
    let base = format!("{}/admin/v1/orgs/{}", shared.urls.admin, org.id);
    OrgModel {
        id: &org.id,
        kind: "orgs",
        attributes: OrgName { name: &org.name },
        relationships: Relationships {
            domains: RelationshipLinks {
                links: Related {
                    related: format!("{base}/domains"),
                },
            },
            users: RelationshipLinks {
                links: Related {
                    related: format!("{base}/users"),
                },
            },
        },
        links: SelfLink { this: base },
    }
}

#[derive(Serialize)]
struct OrgPage<'a> {
    data: Vec<OrgModel<'a>>,
    links: PageLinks,
}

#[derive(Serialize)]
struct OneOrg<'a> {
    data: OrgModel<'a>,
}

/// `GET /admin/v1/orgs`: the one organisation the key administers.
pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    authenticate(&shared, &headers)?;
    if let Some(c) = wire::value(&pairs, "cursor").filter(|c| !c.is_empty()) {
        respond::parse_cursor(c).ok_or_else(invalid_cursor)?;
    }
    let org = shared.org();
    respond::ok(&OrgPage {
        data: vec![org_model(&shared, &org)],
        links: PageLinks::default(),
    })
}

/// `GET /admin/v1/orgs/{orgId}`.
pub(super) async fn one(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let org = shared.org();
    respond::ok(&OneOrg {
        data: org_model(&shared, &org),
    })
}

/// A managed account (v1 `User`).
#[derive(Serialize)]
struct ManagedAccount<'a> {
    account_id: &'a str,
    account_type: &'static str,
    account_status: &'static str,
    name: &'a str,
    picture: Joined<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    access_billable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_active: Option<Iso>,
    product_access: Vec<ProductUse<'a>>,
    links: JoinedSelf<'a>,
}

/// `{"self": url}`, the url in two parts.
#[derive(Serialize)]
struct JoinedSelf<'a> {
    #[serde(rename = "self")]
    this: Joined<'a>,
}

/// A product a managed account holds (v1 `Product`).
#[derive(Serialize)]
struct ProductUse<'a> {
    key: &'static str,
    name: &'static str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_active: Option<Iso>,
}

#[derive(Serialize)]
struct UserPage<'a> {
    data: Vec<ManagedAccount<'a>>,
    links: PageLinks,
}

/// `GET /admin/v1/orgs/{orgId}/users`: managed accounts only (people whose
/// email is on the verified domain, removed from the directory or not),
/// 100 a page, `links.next` a cursor to send back as `?cursor=`. No
/// `meta.total`: counting would cost a scan of the organisation per page.
pub(super) async fn managed_accounts(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let start = match wire::value(&pairs, "cursor").filter(|c| !c.is_empty()) {
        Some(c) => respond::parse_cursor(c).ok_or_else(invalid_cursor)?,
        None => 0,
    };
    let org = shared.org();
    let managed = |p: usize| {
        let person = &org.people[p];
        person.account_type == AccountType::Atlassian && org.is_managed(person)
    };
    let found = cursor_page(org.people.len(), start, USERS_PAGE, managed);
    let urls: Vec<String> = org
        .instances()
        .map(|i| host_url(&shared, &org, i))
        .collect();
    let base = format!("{}/admin/v1/orgs/{}/users/", shared.urls.admin, org.id);
    let data = found
        .items
        .iter()
        .map(|&p| {
            let person = &org.people[p];
            let product_access: Vec<ProductUse> = org
                .instances()
                .filter(|&i| org.access_on(person, i).is_some())
                .map(|i| ProductUse {
                    key: i.product().admin_key(),
                    name: i.product().name(),
                    url: &urls[i.index()],
                    last_active: person.last_active_on(i).map(Iso),
                })
                .collect();
            ManagedAccount {
                account_id: &person.account_id,
                account_type: person.account_type.as_str(),
                account_status: super::account_status(person),
                name: &person.name,
                picture: Joined(AVATARS, &person.account_id),
                email: person.email.as_deref(),
                access_billable: org.instances().any(|i| org.is_billable_on(person, i)),
                last_active: person.last_active.iter().flatten().max().copied().map(Iso),
                product_access,
                links: JoinedSelf {
                    this: Joined(&base, &person.account_id),
                },
            }
        })
        .collect();
    wire::ok_sized(
        &UserPage {
            data,
            links: PageLinks {
                this: Some(respond::cursor(start)),
                prev: found.prev.map(respond::cursor),
                next: found.next.map(respond::cursor),
            },
        },
        found.items.len() * 1_024 + 512,
    )
}

/// One product's last activity (v1 `UserProductLastActive`).
#[derive(Serialize)]
struct LastActive {
    id: String,
    key: &'static str,
    last_active: Day,
}

#[derive(Serialize)]
struct Activity {
    product_access: Vec<LastActive>,
    added_to_org: Day,
}

#[derive(Serialize)]
struct ActivityPage {
    data: Activity,
    links: PageLinks,
}

/// `GET /admin/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates`:
/// each instance the account was ever active on (held now or not), by
/// day, with the instance's ARI as `id`.
pub(super) async fn last_active_dates(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((org_id, account_id)): Path<(String, String)>,
) -> Reply {
    authorise(&shared, &headers, &org_id)?;
    let org = shared.org();
    let person = org
        .person(&account_id)
        .ok_or_else(|| super::user_not_found(&account_id))?;
    let product_access = org
        .instances()
        .filter_map(|i| {
            person.last_active_on(i).map(|at| LastActive {
                id: org.instance(i).ari.clone(),
                key: i.product().admin_key(),
                last_active: Day(at.date()),
            })
        })
        .collect();
    respond::ok(&ActivityPage {
        data: Activity {
            product_access,
            added_to_org: Day(person.added),
        },
        links: PageLinks::default(),
    })
}
