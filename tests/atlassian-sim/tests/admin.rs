//! The Admin API and the user-management API against the ground truth and
//! Atlassian's published response schemas.

mod support;

use atlassian_sim::{AccountType, Behaviour, Org, ProductKey, RateLimit, Role, Simulator, Status};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use support::Spec;

/// A client for one simulator's Admin listener.
struct Admin {
    sim: Simulator,
    client: reqwest::Client,
    org: Spec,
    user: Spec,
}

impl Admin {
    async fn new(people: usize) -> Admin {
        Admin {
            sim: support::sim(people).await,
            client: support::client(),
            org: Spec::load("admin_organization.json"),
            user: Spec::load("admin_user.json"),
        }
    }

    fn org_id(&self) -> String {
        self.sim.credentials().org_id.clone()
    }

    fn dir(&self) -> String {
        self.sim.credentials().directory_id.clone()
    }

    /// Sends `method path` with `key` (none for no header) and `body`.
    async fn send_as(
        &self,
        key: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.sim.urls().admin);
        let mut request = self.client.request(method, url);
        if let Some(k) = key {
            request = request.bearer_auth(k);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        support::answer(request).await
    }

    /// Sends with the organisation API key.
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let key = self.sim.credentials().org_api_key.clone();
        self.send_as(Some(&key), method, path, body).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    /// Every user a v2 search returns, following `links.next`.
    async fn search_all(&self, mut body: Value) -> Vec<Value> {
        let path = format!(
            "/admin/v2/orgs/{}/directories/-/users/search",
            self.org_id()
        );
        let mut users = Vec::new();
        loop {
            let (status, page) = self.post(&path, body.clone()).await;
            assert_eq!(status, 200, "{page}");
            let data = page["data"].as_array().expect("data").clone();
            assert!(
                !data.is_empty() || users.is_empty(),
                "no empty page after the last"
            );
            users.extend(data);
            match page["links"]["next"].as_str() {
                Some(next) => body["cursor"] = json!(next),
                None => break,
            }
        }
        users
    }

    /// One v2 user, with every expansion.
    async fn user(&self, account_id: &str) -> (StatusCode, Value) {
        self.get(&format!(
            "/admin/v2/orgs/{}/directories/{}/users/{account_id}?expand=productAccess,groups",
            self.org_id(),
            self.dir()
        ))
        .await
    }
}

/// Index of the first person matching `f`.
fn find(org: &Org, f: impl Fn(&Org, &atlassian_sim::Person) -> bool) -> usize {
    org.people
        .iter()
        .position(|p| f(org, p))
        .expect("the organisation has such a person")
}

/// Whether the person is a directory member (an atlassian account not
/// removed).
fn in_directory(org: &Org, i: usize) -> bool {
    org.people[i].account_type == AccountType::Atlassian && !org.removed.contains(&i)
}

fn v2_status(org: &Org, i: usize) -> &'static str {
    match org.people[i].status {
        _ if org.deleting.contains(&i) => "for_deletion",
        Status::Active | Status::Invited => "active",
        Status::Suspended => "suspended",
        Status::Deactivated => "deactivated",
    }
}

fn iso(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

#[tokio::test]
async fn search_pages_to_the_last_user_exactly_as_the_directory_holds() {
    let a = Admin::new(1_234).await;
    let users = a
        .search_all(json!({ "limit": 100, "expand": ["productAccess", "groups"] }))
        .await;
    let org = a.sim.org();
    let expected: Vec<usize> = (0..org.people.len())
        .filter(|&i| in_directory(&org, i))
        .collect();
    assert_eq!(users.len(), expected.len());
    let mut suspended = 0;
    for (u, &i) in users.iter().zip(&expected) {
        let p = &org.people[i];
        assert_eq!(u["accountId"], p.account_id.as_str());
        assert_eq!(u["accountType"], "atlassian");
        assert_eq!(u["name"], p.name.as_str());
        assert_eq!(u["nickname"], p.nickname.as_str());
        assert_eq!(u["email"], p.email.as_deref().unwrap());
        assert_eq!(u["status"], v2_status(&org, i));
        let (account, membership) = match p.status {
            Status::Suspended => ("active", "suspended"),
            Status::Deactivated => ("inactive", "active"),
            _ => ("active", "active"),
        };
        assert_eq!(u["accountStatus"], account);
        assert_eq!(u["membershipStatus"], membership);
        suspended += usize::from(p.status == Status::Suspended);
        assert_eq!(u["emailVerified"], p.status != Status::Invited);
        let managed = p
            .email
            .as_deref()
            .unwrap()
            .ends_with(&format!("@{}", org.domain));
        assert_eq!(
            u["claimStatus"],
            if managed { "managed" } else { "unmanaged" }
        );
        assert_eq!(
            u["addedToOrg"],
            format!("{}T00:00:00Z", p.added),
            "{}",
            p.account_id
        );
        let access: Vec<Value> = ProductKey::ALL
            .into_iter()
            .filter(|&k| org.access(p, k).is_some())
            .map(|k| {
                let mut a = json!({
                    "key": k.key(),
                    "id": format!("ari:cloud:{}::site/{}", k.key(), org.cloud_id),
                });
                if let Some(t) = p.last_active_in(k) {
                    a["lastActiveTimestamp"] = json!(iso(t));
                }
                a
            })
            .collect();
        assert_eq!(u["productAccess"], json!(access), "{}", p.account_id);
        let groups: Vec<Value> = p
            .groups
            .iter()
            .map(|&g| json!({ "id": org.groups[g].id, "name": org.groups[g].name }))
            .collect();
        assert_eq!(u["groups"], json!(groups));
    }
    assert!(suspended > 0, "the test saw suspended people");
}

#[tokio::test]
async fn a_page_exactly_full_is_the_last_one_and_filters_select_as_the_truth_does() {
    let a = Admin::new(600).await;
    let (ids, suspended, confluence, ari) = {
        let org = a.sim.org();
        let ids: Vec<String> = (0..org.people.len())
            .filter(|&i| in_directory(&org, i))
            .take(10)
            .map(|i| org.people[i].account_id.clone())
            .collect();
        let suspended: Vec<String> = (0..org.people.len())
            .filter(|&i| in_directory(&org, i) && org.people[i].status == Status::Suspended)
            .map(|i| org.people[i].account_id.clone())
            .collect();
        let confluence: Vec<String> = (0..org.people.len())
            .filter(|&i| {
                in_directory(&org, i)
                    && org.access(&org.people[i], ProductKey::Confluence).is_some()
            })
            .map(|i| org.people[i].account_id.clone())
            .collect();
        let ari = format!("ari:cloud:confluence::site/{}", org.cloud_id);
        (ids, suspended, confluence, ari)
    };
    // Ten ids, five a page: two pages, the second without a next link.
    let path = format!("/admin/v2/orgs/{}/directories/-/users/search", a.org_id());
    let (_, first) = a
        .post(&path, json!({ "accountIds": ids, "limit": 5 }))
        .await;
    let next = first["links"]["next"].as_str().expect("a second page");
    assert_eq!(first["links"]["prev"], Value::Null);
    let (_, second) = a
        .post(
            &path,
            json!({ "cursor": next, "accountIds": ids, "limit": 5 }),
        )
        .await;
    assert_eq!(second["data"].as_array().unwrap().len(), 5);
    assert_eq!(second["links"]["next"], Value::Null);
    assert!(second["links"]["prev"].is_string());
    let got: Vec<&str> = [&first, &second]
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap())
        .map(|u| u["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids);

    // Status filter through the body and through the deprecated GET.
    let by_body: Vec<String> = a
        .search_all(json!({ "status": ["suspended"] }))
        .await
        .iter()
        .map(|u| u["accountId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(by_body, suspended);
    let (status, listed) = a
        .get(&format!(
            "/admin/v2/orgs/{}/directories/{}/users?status=suspended&limit=100",
            a.org_id(),
            a.dir()
        ))
        .await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, suspended);

    // A resource filter: the product's holders.
    let holders: Vec<String> = a
        .search_all(json!({ "resourceIds": [ari], "limit": 100 }))
        .await
        .iter()
        .map(|u| u["accountId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(holders, confluence);
    // The workspace id stands for the same resource (GET, as a query).
    let workspace = a
        .sim
        .org()
        .product(ProductKey::Confluence)
        .workspace_id
        .clone();
    let (status, listed) = a
        .get(&format!(
            "/admin/v2/orgs/{}/directories/-/users?resourceIds={workspace}&limit=100",
            a.org_id()
        ))
        .await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, confluence[..listed.len()]);
    assert_eq!(listed.len(), confluence.len().min(100));

    let (status, count) = a
        .get(&format!(
            "/admin/v2/orgs/{}/directories/-/users/count?status=suspended",
            a.org_id()
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(count["count"], suspended.len());
}

#[tokio::test]
async fn bad_searches_get_the_documented_errors() {
    let a = Admin::new(50).await;
    let path = format!("/admin/v2/orgs/{}/directories/-/users/search", a.org_id());
    for (body, code) in [
        (
            json!({ "searchTerm": "ana", "emails": ["a@b.example"] }),
            "ADMIN-400-24",
        ),
        (json!({ "limit": 101 }), "ADMIN-400-24"),
        (json!({ "status": ["sleeping"] }), "ADMIN-400-24"),
        (json!({ "cursor": "not-ours" }), "ADMIN-400-1"),
        (
            json!({ "resourceIds": ["ari:cloud:jira-software::site/elsewhere"] }),
            "ADMIN-400-4",
        ),
    ] {
        let (status, answer) = a.post(&path, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["errors"][0]["code"], code, "{body}");
        assert_eq!(answer["errors"][0]["status"], "400");
    }
    let (status, answer) = a
        .post(
            &format!(
                "/admin/v2/orgs/{}/directories/nope/users/search",
                a.org_id()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(answer["errors"][0]["code"], "ADMIN-404-1");
}

#[tokio::test]
async fn keys_are_checked_and_unknown_orgs_are_404() {
    let a = Admin::new(20).await;
    let c = a.sim.credentials().clone();
    let path = format!("/admin/v1/orgs/{}", c.org_id);
    for key in [None, Some("nonsense"), Some(c.scim_api_key.as_str())] {
        let (status, body) = a.send_as(key, Method::GET, &path, None).await;
        assert_eq!(status, 401, "{key:?}");
        assert_eq!(body, json!({ "code": 401, "message": "Unauthorized" }));
        a.org.check("GET", "/v1/orgs/{orgId}", 401, &body);
    }
    let (status, body) = a
        .send_as(Some(&c.scoped_org_api_key), Method::GET, &path, None)
        .await;
    assert_eq!(status, 200, "the scoped key works on the Admin API");
    a.org.check("GET", "/v1/orgs/{orgId}", 200, &body);
    assert_eq!(body["data"]["id"], c.org_id.as_str());
    assert_eq!(
        body["data"]["attributes"]["name"],
        a.sim.org().name.as_str()
    );

    let (status, body) = a.get("/admin/v1/orgs/not-an-org").await;
    assert_eq!(status, 404);
    a.org.check("GET", "/v1/orgs/{orgId}", 404, &body);
    assert_eq!(body["errors"][0]["code"], "ADMIN-404-2");

    let (status, body) = a.get("/admin/v1/orgs").await;
    assert_eq!(status, 200);
    a.org.check("GET", "/v1/orgs", 200, &body);
    assert_eq!(body["data"][0]["id"], c.org_id.as_str());
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_admin_rate_limit_answers_429_with_an_iso_reset() {
    let a = Admin::new(20).await;
    a.sim.set_behaviour(Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 2,
            wait: Duration::from_secs(3),
        }),
        ..Behaviour::default()
    });
    let url = format!("{}/admin/v1/orgs", a.sim.urls().admin);
    let key = a.sim.credentials().org_api_key.clone();
    let ok = a.client.get(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().contains_key("x-ratelimit-remaining"));
    let limited = a.client.get(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    let reset = limited.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .to_owned();
    let reset = time::OffsetDateTime::parse(&reset, &time::format_description::well_known::Rfc3339)
        .expect("an ISO 8601 reset");
    let ahead = reset - time::OffsetDateTime::now_utc();
    assert!(ahead > time::Duration::seconds(1) && ahead <= time::Duration::seconds(4));
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "ADMIN-429-1");
}

#[tokio::test]
async fn v1_managed_accounts_page_to_the_end_and_match_the_schema() {
    let a = Admin::new(700).await;
    let mut path = format!("/admin/v1/orgs/{}/users", a.org_id());
    let mut seen = Vec::new();
    loop {
        let (status, page) = a.get(&path).await;
        assert_eq!(status, 200);
        a.org.check("GET", "/v1/orgs/{orgId}/users", 200, &page);
        seen.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["links"]["next"].as_str() {
            Some(c) => path = format!("/admin/v1/orgs/{}/users?cursor={c}", a.org_id()),
            None => break,
        }
    }
    let org = a.sim.org();
    let suffix = format!("@{}", org.domain);
    let expected: Vec<&atlassian_sim::Person> = org
        .people
        .iter()
        .filter(|p| {
            p.account_type == AccountType::Atlassian
                && p.email.as_deref().is_some_and(|e| e.ends_with(&suffix))
        })
        .collect();
    assert_eq!(seen.len(), expected.len());
    assert!(seen.len() > 100, "more than one page");
    for (u, p) in seen.iter().zip(expected) {
        assert_eq!(u["account_id"], p.account_id.as_str());
        assert_eq!(u["email"], p.email.as_deref().unwrap());
        assert_eq!(
            u["account_status"],
            if p.status == Status::Deactivated {
                "inactive"
            } else {
                "active"
            }
        );
        let billable = ProductKey::ALL.into_iter().any(|k| org.is_billable(p, k));
        assert_eq!(u["access_billable"], billable);
        let keys: Vec<&str> = u["product_access"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["key"].as_str().unwrap())
            .collect();
        let held: Vec<&str> = ProductKey::ALL
            .into_iter()
            .filter(|&k| org.access(p, k).is_some())
            .map(ProductKey::admin_key)
            .collect();
        assert_eq!(keys, held);
    }
}

#[tokio::test]
async fn last_active_dates_are_the_days_of_the_truth() {
    let a = Admin::new(200).await;
    let (account_id, expected, added) = {
        let org = a.sim.org();
        let i = find(&org, |_, p| p.last_active.iter().flatten().count() >= 2);
        let p = &org.people[i];
        let expected: Vec<Value> = ProductKey::ALL
            .into_iter()
            .filter_map(|k| {
                p.last_active_in(k).map(|t| {
                    json!({
                        "id": format!("ari:cloud:{}::site/{}", k.key(), org.cloud_id),
                        "key": k.admin_key(),
                        "last_active": t.date().to_string(),
                    })
                })
            })
            .collect();
        (p.account_id.clone(), expected, p.added.to_string())
    };
    let template = "/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates";
    let (status, body) = a
        .get(&format!(
            "/admin/v1/orgs/{}/directory/users/{account_id}/last-active-dates",
            a.org_id()
        ))
        .await;
    assert_eq!(status, 200);
    a.org.check("GET", template, 200, &body);
    assert_eq!(body["data"]["product_access"], json!(expected));
    assert_eq!(body["data"]["added_to_org"], added);
    let (status, body) = a
        .get(&format!(
            "/admin/v1/orgs/{}/directory/users/nobody/last-active-dates",
            a.org_id()
        ))
        .await;
    assert_eq!(status, 404);
    a.org.check("GET", template, 404, &body);
    assert_eq!(body["errors"][0]["code"], "ADMIN-404-8");
}

#[tokio::test]
async fn without_search_last_active_the_search_omits_timestamps() {
    let a = Admin::new(100).await;
    a.sim.set_behaviour(Behaviour {
        search_last_active: false,
        ..Behaviour::default()
    });
    let users = a
        .search_all(json!({ "limit": 100, "expand": ["productAccess"] }))
        .await;
    let entries: Vec<&Value> = users
        .iter()
        .flat_map(|u| u["productAccess"].as_array().unwrap())
        .collect();
    assert!(!entries.is_empty());
    assert!(
        entries
            .iter()
            .all(|e| e.get("lastActiveTimestamp").is_none())
    );
}

#[tokio::test]
async fn suspending_and_restoring_change_the_truth_and_the_search() {
    let a = Admin::new(300).await;
    let (i, account_id) = {
        let org = a.sim.org();
        let i = find(&org, |org, p| {
            p.status == Status::Active
                && p.account_type == AccountType::Atlassian
                && org.is_billable(p, ProductKey::Confluence)
        });
        (i, org.people[i].account_id.clone())
    };
    let used = a.sim.org().seats_used(ProductKey::Confluence);
    let base = format!(
        "/admin/v2/orgs/{}/directories/{}/users/{account_id}",
        a.org_id(),
        a.dir()
    );
    let (status, body) = a.post(&format!("{base}/suspend"), json!({})).await;
    assert_eq!(status, 200);
    assert!(body["message"].is_string());
    assert_eq!(a.sim.org().people[i].status, Status::Suspended);
    assert_eq!(a.sim.org().seats_used(ProductKey::Confluence), used - 1);
    let (_, user) = a.user(&account_id).await;
    assert_eq!(user["status"], "suspended");
    assert_eq!(user["membershipStatus"], "suspended");
    assert_eq!(user["accountStatus"], "active");
    assert!(
        user["groups"].as_array().is_some_and(|g| !g.is_empty()),
        "suspension keeps groups"
    );
    // Again: success again, no change.
    let (status, _) = a.post(&format!("{base}/suspend"), json!({})).await;
    assert_eq!(status, 200);

    // v1 restore, validated against the document.
    let (status, body) = a
        .post(
            &format!(
                "/admin/v1/orgs/{}/directory/users/{account_id}/restore-access",
                a.org_id()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    a.org.check(
        "POST",
        "/v1/orgs/{orgId}/directory/users/{accountId}/restore-access",
        200,
        &body,
    );
    assert_eq!(a.sim.org().people[i].status, Status::Active);
    assert_eq!(a.sim.org().seats_used(ProductKey::Confluence), used);

    let (status, body) = a
        .post(
            &format!(
                "/admin/v1/orgs/{}/directory/users/{account_id}/suspend-access",
                a.org_id()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    a.org.check(
        "POST",
        "/v1/orgs/{orgId}/directory/users/{accountId}/suspend-access",
        200,
        &body,
    );
    assert_eq!(a.sim.org().people[i].status, Status::Suspended);
    let (status, body) = a
        .post(
            &format!(
                "/admin/v1/orgs/{}/directory/users/nobody/suspend-access",
                a.org_id()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    a.org.check(
        "POST",
        "/v1/orgs/{orgId}/directory/users/{accountId}/suspend-access",
        404,
        &body,
    );
    let (status, _) = a.post(&format!("{base}/restore"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(a.sim.org().people[i].status, Status::Active);
}

#[tokio::test]
async fn group_membership_grants_products_and_full_products_refuse() {
    let a = Admin::new(400).await;
    let (i, account_id, confluence_group, jsm_group) = {
        let org = a.sim.org();
        let i = find(&org, |org, p| {
            p.status == Status::Active
                && p.account_type == AccountType::Atlassian
                && org.access(p, ProductKey::Confluence).is_none()
                && org.access(p, ProductKey::JiraServiceManagement).is_none()
        });
        let group = |k| org.groups[org.product(k).default_group].id.clone();
        (
            i,
            org.people[i].account_id.clone(),
            group(ProductKey::Confluence),
            group(ProductKey::JiraServiceManagement),
        )
    };
    let memberships = |g: &str| {
        format!(
            "/admin/v2/orgs/{}/directories/{}/groups/{g}/memberships",
            a.org_id(),
            a.dir()
        )
    };
    let (status, _) = a
        .post(
            &memberships(&confluence_group),
            json!({ "accountId": account_id }),
        )
        .await;
    assert_eq!(status, 200);
    {
        let org = a.sim.org();
        assert!(org.is_billable(&org.people[i], ProductKey::Confluence));
    }
    let (_, user) = a.user(&account_id).await;
    let keys: Vec<&str> = user["productAccess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"confluence"), "{keys:?}");

    // Jira Service Management has every seat taken.
    let (status, body) = a
        .post(&memberships(&jsm_group), json!({ "accountId": account_id }))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "ADMIN-400-4");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("User limit exceeded")
    );
    {
        let org = a.sim.org();
        assert!(
            org.access(&org.people[i], ProductKey::JiraServiceManagement)
                .is_none()
        );
    }

    // v1, snake_case body, validated against the document.
    let v1 = format!(
        "/admin/v1/orgs/{}/directory/groups/{confluence_group}/memberships",
        a.org_id()
    );
    let (status, body) = a
        .send(Method::DELETE, &format!("{v1}/{account_id}"), None)
        .await;
    assert_eq!(status, 200);
    a.org.check(
        "DELETE",
        "/v1/orgs/{orgId}/directory/groups/{groupId}/memberships/{accountId}",
        200,
        &body,
    );
    {
        let org = a.sim.org();
        assert!(org.access(&org.people[i], ProductKey::Confluence).is_none());
    }
    let (status, body) = a.post(&v1, json!({ "account_id": account_id })).await;
    assert_eq!(status, 200);
    a.org.check(
        "POST",
        "/v1/orgs/{orgId}/directory/groups/{groupId}/memberships",
        200,
        &body,
    );
    let (status, body) = a.post(&v1, json!({ "accountId": account_id })).await;
    assert_eq!(status, 400, "v1 takes account_id");
    a.org.check(
        "POST",
        "/v1/orgs/{orgId}/directory/groups/{groupId}/memberships",
        400,
        &body,
    );
    let (status, body) = a
        .post(
            &format!(
                "/admin/v1/orgs/{}/directory/groups/no-such-group/memberships",
                a.org_id()
            ),
            json!({ "account_id": account_id }),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], "ADMIN-404-10");
    // v2 removal.
    let (status, _) = a
        .send(
            Method::DELETE,
            &format!("{}/{account_id}", memberships(&confluence_group)),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let org = a.sim.org();
    assert!(org.access(&org.people[i], ProductKey::Confluence).is_none());
}

#[tokio::test]
async fn an_invitation_creates_an_invited_person_with_the_product() {
    let a = Admin::new(100).await;
    let (ari, dept) = {
        let org = a.sim.org();
        (
            format!("ari:cloud:confluence::site/{}", org.cloud_id),
            org.groups[org.group_by_name("finance").unwrap()].id.clone(),
        )
    };
    let email = format!("new.hire@{}", a.sim.org().domain);
    let (status, body) = a
        .post(
            &format!("/admin/v2/orgs/{}/users/invite", a.org_id()),
            json!({
                "emails": [email],
                "permissionRules": [{ "resource": ari, "role": "atlassian/user" }],
                "additionalGroups": [dept],
                "sendNotification": false,
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let account_id = body["data"][0]["accountId"].as_str().unwrap().to_owned();
    assert_eq!(body["data"][0]["email"], email.as_str());
    {
        let org = a.sim.org();
        let p = org.person(&account_id).expect("the invited person");
        assert_eq!(p.status, Status::Invited);
        assert_eq!(p.email.as_deref(), Some(email.as_str()));
        assert!(org.is_billable(p, ProductKey::Confluence));
        assert!(p.groups.contains(&org.group_by_name("finance").unwrap()));
    }
    let (status, user) = a.user(&account_id).await;
    assert_eq!(status, 200);
    assert_eq!(user["emailVerified"], false);
    assert_eq!(user["status"], "active");
    assert_eq!(user["productAccess"][0]["key"], "confluence");

    let (status, body) = a
        .post(
            &format!("/admin/v2/orgs/{}/users/invite", a.org_id()),
            json!({ "emails": ["x@acme11.example"], "permissionRules": [{ "resource": "ari:cloud:jira-software::site/other", "role": "atlassian/user" }] }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "ADMIN-400-4");
}

#[tokio::test]
async fn removing_a_person_empties_their_access_and_hides_them() {
    let a = Admin::new(200).await;
    let (i, account_id, email) = {
        let org = a.sim.org();
        let i = find(&org, |org, p| {
            p.status == Status::Active
                && p.account_type == AccountType::Atlassian
                && org.is_billable(p, ProductKey::JiraSoftware)
        });
        let p = &org.people[i];
        (i, p.account_id.clone(), p.email.clone().unwrap())
    };
    let (status, body) = a
        .send(
            Method::DELETE,
            &format!(
                "/admin/v2/orgs/{}/directories/{}/users/{account_id}",
                a.org_id(),
                a.dir()
            ),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(body, Value::Null);
    {
        let org = a.sim.org();
        let p = &org.people[i];
        assert!(p.groups.is_empty() && p.guest_of.is_empty());
        assert!(
            ProductKey::ALL
                .into_iter()
                .all(|k| org.access(p, k).is_none())
        );
        assert!(org.removed.contains(&i));
    }
    let (status, body) = a.user(&account_id).await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], "ADMIN-404-8");
    let found = a.search_all(json!({ "accountIds": [account_id] })).await;
    assert!(found.is_empty());
    // v1 removal again: success again.
    let (status, _) = a
        .send(
            Method::DELETE,
            &format!("/admin/v1/orgs/{}/directory/users/{account_id}", a.org_id()),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // A new invitation brings them back.
    let (status, _) = a
        .post(
            &format!("/admin/v2/orgs/{}/users/invite", a.org_id()),
            json!({ "emails": [email] }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = a.user(&account_id).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn workspaces_report_seats_and_follow_the_cursor_rule() {
    let a = Admin::new(300).await;
    let path = format!("/admin/v2/orgs/{}/workspaces", a.org_id());
    let template = "/v2/orgs/{orgId}/workspaces";
    let (status, first) = a.post(&path, json!({ "limit": 3 })).await;
    assert_eq!(status, 200);
    a.org.check("POST", template, 200, &first);
    let next = first["links"]["next"].as_str().unwrap().to_owned();
    let (status, second) = a.post(&path, json!({ "cursor": next })).await;
    assert_eq!(status, 200);
    a.org.check("POST", template, 200, &second);
    assert!(second["links"].get("next").is_none());
    let all: Vec<&Value> = [&first, &second]
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap())
        .collect();
    assert_eq!(all.len(), ProductKey::ALL.len());
    {
        let org = a.sim.org();
        for (w, k) in all.iter().zip(ProductKey::ALL) {
            let product = org.product(k);
            assert_eq!(w["id"], product.workspace_id.as_str());
            assert_eq!(w["attributes"]["typeKey"], k.key());
            assert_eq!(w["attributes"]["usage"], org.seats_used(k));
            assert_eq!(w["attributes"]["capacity"], product.seats);
            assert_eq!(w["attributes"]["status"], "online");
        }
    }
    assert_eq!(all[0]["attributes"]["hostUrl"], a.sim.urls().site.as_str());
    for body in [
        json!({ "cursor": next, "limit": 3 }),
        json!({ "limit": 0 }),
        json!({ "limit": 1001 }),
    ] {
        let (status, answer) = a.post(&path, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        a.org.check("POST", template, 400, &answer);
    }
    let key = a.sim.credentials().scim_api_key.clone();
    let (status, answer) = a
        .send_as(Some(&key), Method::POST, &path, Some(json!({})))
        .await;
    assert_eq!(status, 401);
    a.org.check("POST", template, 401, &answer);
}

#[tokio::test]
async fn directories_groups_and_role_assignments_match_the_truth() {
    let a = Admin::new(100).await;
    let (status, dirs) = a
        .get(&format!("/admin/v2/orgs/{}/directories", a.org_id()))
        .await;
    assert_eq!(status, 200);
    assert_eq!(dirs["data"][0]["directoryId"], a.dir().as_str());
    let mut path = format!(
        "/admin/v2/orgs/{}/directories/{}/groups?limit=4",
        a.org_id(),
        a.dir()
    );
    let mut names = Vec::new();
    loop {
        let (status, page) = a.get(&path).await;
        assert_eq!(status, 200);
        names.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["name"].as_str().unwrap().to_owned()),
        );
        match page["links"]["next"].as_str() {
            Some(c) => {
                path = format!(
                    "/admin/v2/orgs/{}/directories/{}/groups?limit=4&cursor={c}",
                    a.org_id(),
                    a.dir()
                )
            }
            None => break,
        }
    }
    let admin_id = {
        let org = a.sim.org();
        let expected: Vec<String> = org.groups.iter().map(|g| g.name.clone()).collect();
        assert_eq!(names, expected);
        org.people[org.admin].account_id.clone()
    };
    let (status, roles) = a
        .get(&format!(
            "/admin/v2/orgs/{}/directories/-/users/{admin_id}/role-assignments",
            a.org_id()
        ))
        .await;
    assert_eq!(status, 200);
    let got: BTreeMap<String, String> = roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["resourceId"].as_str().unwrap().to_owned(),
                r["roleAssignments"][0]["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let org = a.sim.org();
    let admin = &org.people[org.admin];
    let mut expected: BTreeMap<String, String> = ProductKey::ALL
        .into_iter()
        .filter_map(|k| {
            org.access(admin, k).map(|x| {
                (
                    format!("ari:cloud:{}::site/{}", k.key(), org.cloud_id),
                    format!("atlassian/{}", x.role.as_str()),
                )
            })
        })
        .collect();
    expected.insert(
        format!("ari:cloud:platform::org/{}", org.id),
        "atlassian/org-admin".into(),
    );
    assert_eq!(got, expected);
    assert_eq!(
        got[&format!("ari:cloud:jira-software::site/{}", org.cloud_id)],
        "atlassian/admin"
    );
}

#[tokio::test]
async fn user_management_needs_the_unscoped_key_and_a_managed_account() {
    let a = Admin::new(300).await;
    let c = a.sim.credentials().clone();
    let (managed, unmanaged) = {
        let org = a.sim.org();
        let suffix = format!("@{}", org.domain);
        let on = find(&org, |_, p| {
            p.account_type == AccountType::Atlassian
                && p.status == Status::Active
                && p.email.as_deref().is_some_and(|e| e.ends_with(&suffix))
                && !p.groups.is_empty()
        });
        let off = find(&org, |_, p| {
            p.account_type == AccountType::Atlassian
                && p.email.as_deref().is_some_and(|e| !e.ends_with(&suffix))
        });
        (
            org.people[on].account_id.clone(),
            org.people[off].account_id.clone(),
        )
    };
    let manage = format!("/users/{managed}/manage");
    let (status, body) = a
        .send_as(Some(&c.scoped_org_api_key), Method::GET, &manage, None)
        .await;
    assert_eq!(status, 403);
    assert!(body.to_string().contains("manage:org"));
    a.user
        .check("GET", "/users/{account_id}/manage", 403, &body);
    let (status, body) = a
        .send_as(
            Some(&c.scoped_org_api_key),
            Method::POST,
            &format!("{manage}/lifecycle/disable"),
            None,
        )
        .await;
    assert_eq!(status, 403);
    assert!(body.to_string().contains("manage:org"));
    let (status, body) = a.send_as(None, Method::GET, &manage, None).await;
    assert_eq!(status, 401);
    a.user
        .check("GET", "/users/{account_id}/manage", 401, &body);
    let (status, body) = a
        .send_as(Some(&c.scim_api_key), Method::GET, &manage, None)
        .await;
    assert_eq!(status, 401, "{body}");

    let (status, body) = a.get(&manage).await;
    assert_eq!(status, 200);
    a.user
        .check("GET", "/users/{account_id}/manage", 200, &body);
    assert_eq!(body["lifecycle.enablement"]["allowed"], true);

    let (status, body) = a
        .post(
            &format!("/users/{unmanaged}/manage/lifecycle/disable"),
            json!({}),
        )
        .await;
    assert_eq!(status, 403);
    a.user.check(
        "POST",
        "/users/{account_id}/manage/lifecycle/disable",
        403,
        &body,
    );
    assert_eq!(body["key"], "forbidden.targetUnverified");
    let (status, body) = a.get("/users/nobody/manage").await;
    assert_eq!(status, 404);
    a.user
        .check("GET", "/users/{account_id}/manage", 404, &body);
}

#[tokio::test]
async fn deactivating_and_deleting_show_everywhere() {
    let a = Admin::new(300).await;
    let (i, account_id, used) = {
        let org = a.sim.org();
        let suffix = format!("@{}", org.domain);
        let i = find(&org, |org, p| {
            p.account_type == AccountType::Atlassian
                && p.status == Status::Active
                && p.email.as_deref().is_some_and(|e| e.ends_with(&suffix))
                && org.is_billable(p, ProductKey::JiraSoftware)
        });
        (
            i,
            org.people[i].account_id.clone(),
            org.seats_used(ProductKey::JiraSoftware),
        )
    };
    let lifecycle = |op: &str| format!("/users/{account_id}/manage/lifecycle/{op}");
    let (status, body) = a
        .post(&lifecycle("disable"), json!({ "message": "left" }))
        .await;
    assert_eq!(status, 204);
    assert_eq!(body, Value::Null);
    assert_eq!(a.sim.org().people[i].status, Status::Deactivated);
    assert_eq!(a.sim.org().seats_used(ProductKey::JiraSoftware), used - 1);
    let (_, user) = a.user(&account_id).await;
    assert_eq!(user["status"], "deactivated");
    assert_eq!(user["accountStatus"], "inactive");
    let (status, _) = a.post(&lifecycle("disable"), json!({})).await;
    assert_eq!(status, 204, "again: success again");
    let (status, _) = a.post(&lifecycle("enable"), json!({})).await;
    assert_eq!(status, 204);
    assert_eq!(a.sim.org().people[i].status, Status::Active);
    assert_eq!(a.sim.org().seats_used(ProductKey::JiraSoftware), used);

    let (status, body) = a.post(&lifecycle("delete"), json!({})).await;
    assert_eq!(status, 200);
    a.user.check(
        "POST",
        "/users/{account_id}/manage/lifecycle/delete",
        200,
        &body,
    );
    assert_eq!(a.sim.org().people[i].status, Status::Deactivated);
    let (_, user) = a.user(&account_id).await;
    assert_eq!(user["status"], "for_deletion");
    assert_eq!(user["forDeletion"], true);
    let (status, _) = a.post(&lifecycle("cancel-delete"), json!({})).await;
    assert_eq!(status, 200);
    let (_, user) = a.user(&account_id).await;
    assert_eq!(user["status"], "deactivated");
    assert_eq!(user["forDeletion"], false);
}

/// The role assignments the truth expects of group `g`: (resource ARI,
/// owner, role id) per grant, in grant order.
fn group_roles(org: &Org, g: usize) -> Vec<(String, String, String)> {
    org.groups[g]
        .grants
        .iter()
        .map(|&(k, role)| {
            (
                format!("ari:cloud:{}::site/{}", k.key(), org.cloud_id),
                k.key().to_owned(),
                format!("atlassian/{}", role.as_str()),
            )
        })
        .collect()
}

/// An answer's role assignments as (resourceId, resourceOwner, role),
/// checking that `roles` and `roleAssignments` agree and are `DIRECT`.
fn answered_roles(page: &Value) -> Vec<(String, String, String)> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| {
            let role = r["roles"][0].as_str().expect("a role").to_owned();
            assert_eq!(r["roles"].as_array().unwrap().len(), 1, "{r}");
            assert_eq!(
                r["roleAssignments"],
                json!([{ "role": role, "roleAssignmentMethods": ["DIRECT"] }]),
                "{r}"
            );
            (
                r["resourceId"].as_str().expect("a resource").to_owned(),
                r["resourceOwner"].as_str().expect("an owner").to_owned(),
                role,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_groups_role_assignments_are_its_grants_page_by_page() {
    let a = Admin::new(50).await;
    let (groups, expected, confluence_users, site_admins, developers) = {
        let org = a.sim.org();
        let id = |name: &str| org.groups[org.group_by_name(name).unwrap()].id.clone();
        (
            org.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>(),
            (0..org.groups.len())
                .map(|g| group_roles(&org, g))
                .collect::<Vec<_>>(),
            id("confluence-users"),
            id("site-admins"),
            id("developers"),
        )
    };
    let path = |dir: &str, g: &str| {
        format!(
            "/admin/v2/orgs/{}/directories/{dir}/groups/{g}/role-assignments",
            a.org_id()
        )
    };
    let cloud_id = a.sim.org().cloud_id.clone();

    // One product: its instance ARI, its key and the role.
    let (status, page) = a.get(&path(&a.dir(), &confluence_users)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        answered_roles(&page),
        [(
            format!("ari:cloud:confluence::site/{cloud_id}"),
            "confluence".to_owned(),
            "atlassian/user".to_owned()
        )]
    );
    assert_eq!(page["links"]["next"], Value::Null);
    assert_eq!(page["links"]["prev"], Value::Null);
    assert!(page["links"]["self"].is_string());

    // A group granting nothing.
    let (status, page) = a.get(&path("-", &site_admins)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"], json!([]));
    assert_eq!(page["links"]["next"], Value::Null);

    // Every group, one page each, as the truth has it.
    for (g, expected) in groups.iter().zip(&expected) {
        let (status, page) = a.get(&path("-", g)).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(&answered_roles(&page), expected, "group {g}");
    }

    // Two products a page at a time: both, in grant order, then no next.
    let developers_roles = {
        let org = a.sim.org();
        group_roles(&org, org.group_by_id(&developers).unwrap())
    };
    assert_eq!(developers_roles.len(), 2);
    let mut got = Vec::new();
    let mut query = "limit=1".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = a
            .get(&format!("{}?{query}", path(&a.dir(), &developers)))
            .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["data"].as_array().unwrap().len(), 1, "{page}");
        assert_eq!(page["links"]["prev"].is_null(), pages == 0, "{page}");
        got.extend(answered_roles(&page));
        pages += 1;
        match page["links"]["next"].as_str() {
            Some(c) => query = format!("limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(got, developers_roles);
    assert_eq!(got[0].1, "jira-software");
    assert_eq!(got[1].1, "bitbucket");
}

#[tokio::test]
async fn group_role_assignments_check_the_key_the_directory_the_group_and_the_limit() {
    let a = Admin::new(20).await;
    let c = a.sim.credentials().clone();
    let group = {
        let org = a.sim.org();
        org.groups[org.product(ProductKey::JiraSoftware).default_group]
            .id
            .clone()
    };
    let path = |dir: &str, g: &str| {
        format!(
            "/admin/v2/orgs/{}/directories/{dir}/groups/{g}/role-assignments",
            a.org_id()
        )
    };
    for key in [None, Some("nonsense"), Some(c.scim_api_key.as_str())] {
        let (status, body) = a
            .send_as(key, Method::GET, &path(&a.dir(), &group), None)
            .await;
        assert_eq!(status, 401, "{key:?}");
        assert_eq!(body, json!({ "code": 401, "message": "Unauthorized" }));
    }
    let (status, _) = a
        .send_as(
            Some(&c.scoped_org_api_key),
            Method::GET,
            &path(&a.dir(), &group),
            None,
        )
        .await;
    assert_eq!(status, 200, "the scoped key works as on the siblings");

    let (status, body) = a.get(&path(&a.dir(), "no-such-group")).await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], "ADMIN-404-10");
    assert_eq!(body["errors"][0]["status"], "404");

    let (status, body) = a.get(&path("nope", &group)).await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], "ADMIN-404-1");

    let (status, body) = a
        .get(&format!(
            "/admin/v2/orgs/not-an-org/directories/-/groups/{group}/role-assignments"
        ))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], "ADMIN-404-2");

    for query in ["limit=0", "limit=101", "limit=many", "cursor=not-ours"] {
        let (status, body) = a.get(&format!("{}?{query}", path(&a.dir(), &group))).await;
        assert_eq!(status, 400, "{query}");
        let code = if query.starts_with("cursor") {
            "ADMIN-400-1"
        } else {
            "ADMIN-400-24"
        };
        assert_eq!(body["errors"][0]["code"], code, "{query}");
    }
}

#[tokio::test]
async fn resources_and_roles_together_select_the_role_on_those_resources() {
    let a = Admin::new(400).await;
    // Someone admin of one product and a plain user of another.
    let (account_id, admin_of, user_of, jira_admins, cloud_id) = {
        let org = a.sim.org();
        let role = |p: &atlassian_sim::Person, k| org.access(p, k).map(|x| x.role);
        let (i, admin_of, user_of) = (0..org.people.len())
            .filter(|&i| in_directory(&org, i))
            .find_map(|i| {
                let p = &org.people[i];
                let admin = ProductKey::ALL
                    .into_iter()
                    .find(|&k| role(p, k) == Some(Role::Admin))?;
                let user = ProductKey::ALL
                    .into_iter()
                    .find(|&k| role(p, k) == Some(Role::User))?;
                Some((i, admin, user))
            })
            .expect("someone is admin of one product and user of another");
        let jira_admins: Vec<String> = (0..org.people.len())
            .filter(|&i| {
                in_directory(&org, i)
                    && role(&org.people[i], ProductKey::JiraSoftware) == Some(Role::Admin)
            })
            .map(|i| org.people[i].account_id.clone())
            .collect();
        (
            org.people[i].account_id.clone(),
            admin_of,
            user_of,
            jira_admins,
            org.cloud_id.clone(),
        )
    };
    let ari = |k: ProductKey| format!("ari:cloud:{}::site/{cloud_id}", k.key());
    let ids = |users: Vec<Value>| -> Vec<String> {
        users
            .iter()
            .map(|u| u["accountId"].as_str().unwrap().to_owned())
            .collect()
    };
    let admins_of = |k| {
        json!({
            "accountIds": [account_id],
            "resourceIds": [ari(k)],
            "roleIds": ["atlassian/admin"],
        })
    };
    assert_eq!(
        ids(a.search_all(admins_of(admin_of)).await),
        [account_id.as_str()],
        "admin of {admin_of:?}"
    );
    assert_eq!(
        ids(a.search_all(admins_of(user_of)).await),
        Vec::<String>::new(),
        "only a user of {user_of:?}"
    );
    // Either filter alone still selects them.
    for body in [
        json!({ "accountIds": [account_id], "roleIds": ["atlassian/admin"] }),
        json!({ "accountIds": [account_id], "resourceIds": [ari(user_of)] }),
    ] {
        assert_eq!(ids(a.search_all(body).await), [account_id.as_str()]);
    }
    // The same through the deprecated GET.
    let (status, listed) = a
        .get(&format!(
            "/admin/v2/orgs/{}/directories/-/users?accountIds={account_id}&resourceIds={}&roleIds=atlassian/admin",
            a.org_id(),
            ari(user_of)
        ))
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["data"], json!([]));

    // Jira Software's admins, exactly.
    let found = ids(a
        .search_all(json!({
            "resourceIds": [ari(ProductKey::JiraSoftware)],
            "roleIds": ["atlassian/admin"],
            "limit": 100,
        }))
        .await);
    assert_eq!(found, jira_admins);
    assert!(!found.is_empty());

    // Platform roles are not scoped to the resources: the org admin, who
    // holds Jira Software, is found as before.
    let admin_id = {
        let org = a.sim.org();
        org.people[org.admin].account_id.clone()
    };
    let found = ids(a
        .search_all(json!({
            "resourceIds": [ari(ProductKey::JiraSoftware)],
            "roleIds": ["atlassian/org-admin"],
        }))
        .await);
    assert_eq!(found, [admin_id]);
}
