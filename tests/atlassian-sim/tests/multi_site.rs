//! A multi-site organisation (a second production site and a sandbox)
//! through the Admin API, per product instance, against the ground truth;
//! the site APIs keep to the main site.

#[allow(dead_code, reason = "the site calls here are the admin's")]
mod site;
mod support;

use atlassian_sim::{AccountType, InstanceId, Org, Person, ProductKey, Role, Simulator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use site::Who;
use std::collections::BTreeMap;
use support::Spec;

/// A client for one multi-site simulator's Admin listener.
struct Admin {
    sim: Simulator,
    client: reqwest::Client,
    spec: Spec,
}

impl Admin {
    async fn new(people: usize) -> Admin {
        Admin {
            sim: support::multi_site_sim(people).await,
            client: support::client(),
            spec: Spec::load("admin_organization.json"),
        }
    }

    fn org_id(&self) -> String {
        self.sim.credentials().org_id.clone()
    }

    /// `/admin/v2/orgs/{orgId}/directories/-` and what follows.
    fn directory(&self, rest: &str) -> String {
        format!("/admin/v2/orgs/{}/directories/-{rest}", self.org_id())
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.sim.urls().admin);
        let mut request = self
            .client
            .request(method, url)
            .bearer_auth(&self.sim.credentials().org_api_key);
        if let Some(b) = body {
            request = request.json(&b);
        }
        support::answer(request).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    /// Every user a v2 search returns, following `links.next`; the pages'
    /// sizes.
    async fn search_pages(&self, mut body: Value) -> (Vec<Value>, Vec<usize>) {
        let path = self.directory("/users/search");
        let (mut users, mut sizes) = (Vec::new(), Vec::new());
        loop {
            let (status, page) = self.post(&path, body.clone()).await;
            assert_eq!(status, 200, "{page}");
            let data = page["data"].as_array().expect("data").clone();
            sizes.push(data.len());
            users.extend(data);
            match page["links"]["next"].as_str() {
                Some(next) => body["cursor"] = json!(next),
                None => break,
            }
        }
        (users, sizes)
    }

    async fn search_all(&self, body: Value) -> Vec<Value> {
        self.search_pages(body).await.0
    }

    /// Every workspace, `limit` a page, and the pages' sizes.
    async fn workspaces(&self, limit: usize) -> (Vec<Value>, Vec<usize>) {
        let path = format!("/admin/v2/orgs/{}/workspaces", self.org_id());
        let mut body = json!({ "limit": limit });
        let (mut all, mut sizes) = (Vec::new(), Vec::new());
        loop {
            let (status, page) = self.post(&path, body).await;
            assert_eq!(status, 200, "{page}");
            self.spec
                .check("POST", "/v2/orgs/{orgId}/workspaces", 200, &page);
            let data = page["data"].as_array().expect("data").clone();
            sizes.push(data.len());
            all.extend(data);
            match page["links"].get("next").and_then(Value::as_str) {
                Some(next) => body = json!({ "cursor": next }),
                None => break,
            }
        }
        (all, sizes)
    }
}

/// The account ids of a list of v2 users.
fn ids(users: &[Value]) -> Vec<String> {
    users
        .iter()
        .map(|u| u["accountId"].as_str().expect("an account id").to_owned())
        .collect()
}

/// Whether person `i` is listed in the directory.
fn in_directory(org: &Org, i: usize) -> bool {
    org.people[i].account_type == AccountType::Atlassian && !org.removed.contains(&i)
}

/// The directory members that `f` selects, in directory order.
fn members(org: &Org, f: impl Fn(&Person) -> bool) -> Vec<String> {
    (0..org.people.len())
        .filter(|&i| in_directory(org, i) && f(&org.people[i]))
        .map(|i| org.people[i].account_id.clone())
        .collect()
}

/// Jira Software's three instances: the main site's, the second site's,
/// the sandbox's.
fn jira(org: &Org) -> [InstanceId; 3] {
    let all: Vec<InstanceId> = org.instances_of(ProductKey::JiraSoftware).collect();
    assert_eq!(all.len(), 3, "{all:?}");
    [all[0], all[1], all[2]]
}

/// The second site's Confluence.
fn eu_confluence(org: &Org) -> InstanceId {
    org.instances_of(ProductKey::Confluence)
        .nth(1)
        .expect("Confluence on the second site")
}

fn iso(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

/// What `productAccess` must say of `p`: one entry per instance held.
fn expected_access(org: &Org, p: &Person) -> Value {
    let entries: Vec<Value> = org
        .instances()
        .filter(|&i| org.access_on(p, i).is_some())
        .map(|i| {
            let mut e = json!({ "key": i.key(), "id": org.instance(i).ari });
            if let Some(t) = p.last_active_on(i) {
                e["lastActiveTimestamp"] = json!(iso(t));
            }
            e
        })
        .collect();
    json!(entries)
}

#[tokio::test]
async fn workspaces_list_every_instance_with_the_sandbox_marked() {
    let a = Admin::new(400).await;
    let (all, sizes) = a.workspaces(1000).await;
    assert_eq!(sizes, [8], "one page, no link past the last workspace");
    {
        let org = a.sim.org();
        assert_eq!(all.len(), org.products.len());
        for (w, i) in all.iter().zip(org.instances()) {
            let p = org.instance(i);
            assert_eq!(w["id"], p.workspace_id.as_str());
            assert_eq!(w["attributes"]["typeKey"], i.key());
            assert_eq!(w["attributes"]["name"], p.name.as_str());
            assert_eq!(w["attributes"]["usage"], org.seats_used_on(i), "{i:?}");
            assert_eq!(w["attributes"]["capacity"], p.seats, "{i:?}");
            assert_eq!(
                w["attributes"]["sandbox"]["type"],
                if p.sandbox { "CHILD" } else { "NONE" }
            );
            assert_eq!(
                w["relationships"]["entitlements"][0]["attributes"]["plan"],
                p.plan
            );
            let host = w["attributes"]["hostUrl"].as_str().expect("a host");
            match p.site {
                Some(0) => assert!(host.starts_with(&a.sim.urls().site), "{host}"),
                _ => assert_eq!(host, p.host_url),
            }
        }
        let jira: Vec<&Value> = all
            .iter()
            .filter(|w| w["attributes"]["typeKey"] == "jira-software")
            .collect();
        assert_eq!(jira.len(), 3);
        let site = org.site.clone();
        let hosts: Vec<(&str, &str)> = jira
            .iter()
            .map(|w| {
                (
                    w["attributes"]["hostUrl"].as_str().unwrap(),
                    w["attributes"]["sandbox"]["type"].as_str().unwrap(),
                )
            })
            .collect();
        let eu = format!("https://{site}-eu.atlassian.net");
        let sandbox = format!("https://{site}-sandbox.atlassian.net");
        assert_eq!(
            hosts,
            [
                (a.sim.urls().site.as_str(), "NONE"),
                (eu.as_str(), "NONE"),
                (sandbox.as_str(), "CHILD")
            ]
        );
    }

    // Paging is exact at the last workspace, whatever the page size.
    let (paged, sizes) = a.workspaces(4).await;
    assert_eq!(sizes, [4, 4]);
    assert_eq!(ids_of(&paged), ids_of(&all));
    let (paged, sizes) = a.workspaces(7).await;
    assert_eq!(sizes, [7, 1]);
    assert_eq!(ids_of(&paged), ids_of(&all));
    let (_, sizes) = a.workspaces(8).await;
    assert_eq!(sizes, [8]);
}

/// The `id`s of workspaces.
fn ids_of(workspaces: &[Value]) -> Vec<&str> {
    workspaces
        .iter()
        .map(|w| w["id"].as_str().expect("an id"))
        .collect()
}

#[tokio::test]
async fn product_access_and_last_active_dates_agree_with_each_instance() {
    let a = Admin::new(700).await;
    let users = a
        .search_all(json!({ "limit": 100, "expand": ["productAccess", "counts.resources"] }))
        .await;
    let (on_two_sites, extra_activity) = {
        let org = a.sim.org();
        let [main, eu, sandbox] = jira(&org);
        let expected = members(&org, |_| true);
        assert_eq!(ids(&users), expected);
        let mut on_two_sites = 0;
        for u in &users {
            let p = org.person(u["accountId"].as_str().unwrap()).unwrap();
            assert_eq!(
                u["productAccess"],
                expected_access(&org, p),
                "{}",
                p.account_id
            );
            let held = org.instances().filter(|&i| org.access_on(p, i).is_some());
            assert_eq!(u["counts"]["resources"], held.count());
            on_two_sites +=
                usize::from(org.access_on(p, main).is_some() && org.access_on(p, eu).is_some());
        }
        // Someone last active on the second site and the sandbox.
        let extra_activity = members(&org, |p| {
            p.last_active_on(eu).is_some() && p.last_active_on(sandbox).is_some()
        });
        (on_two_sites, extra_activity)
    };
    assert!(on_two_sites > 0, "people hold Jira on two sites");
    assert!(!extra_activity.is_empty());

    // One user, with the same expansion.
    let account_id = &extra_activity[0];
    let (status, user) = a
        .get(&a.directory(&format!("/users/{account_id}?expand=productAccess")))
        .await;
    assert_eq!(status, 200, "{user}");
    {
        let org = a.sim.org();
        let p = org.person(account_id).unwrap();
        assert_eq!(user["productAccess"], expected_access(&org, p));
    }

    // v1 last-active dates: one entry per instance ever used, by ARI.
    let template = "/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates";
    for account_id in extra_activity.iter().take(5) {
        let (status, body) = a
            .get(&format!(
                "/admin/v1/orgs/{}/directory/users/{account_id}/last-active-dates",
                a.org_id()
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        a.spec.check("GET", template, 200, &body);
        let org = a.sim.org();
        let p = org.person(account_id).unwrap();
        let expected: Vec<Value> = org
            .instances()
            .filter_map(|i| {
                p.last_active_on(i).map(|t| {
                    json!({
                        "id": org.instance(i).ari,
                        "key": i.product().admin_key(),
                        "last_active": t.date().to_string(),
                    })
                })
            })
            .collect();
        assert!(expected.len() >= 2);
        assert_eq!(body["data"]["product_access"], json!(expected));
        let jira_days = body["data"]["product_access"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["key"] == "jira-software")
            .count();
        let jira_instances = org
            .instances_of(ProductKey::JiraSoftware)
            .filter(|&i| p.last_active_on(i).is_some())
            .count();
        assert_eq!(jira_days, jira_instances);
    }

    // v1 managed accounts: one product entry per instance held, its URL
    // telling the sites apart.
    let (status, page) = a.get(&format!("/admin/v1/orgs/{}/users", a.org_id())).await;
    assert_eq!(status, 200);
    a.spec.check("GET", "/v1/orgs/{orgId}/users", 200, &page);
    let org = a.sim.org();
    for u in page["data"].as_array().unwrap() {
        let p = org.person(u["account_id"].as_str().unwrap()).unwrap();
        let urls: Vec<&str> = u["product_access"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["url"].as_str().unwrap())
            .collect();
        let held = org
            .instances()
            .filter(|&i| org.access_on(p, i).is_some())
            .count();
        assert_eq!(urls.len(), held, "{}", p.account_id);
        let billable = org.instances().any(|i| org.is_billable_on(p, i));
        assert_eq!(u["access_billable"], billable);
    }
}

#[tokio::test]
async fn a_resource_filter_on_one_instance_returns_exactly_its_holders() {
    let a = Admin::new(900).await;
    let (eu_ari, sandbox_workspace, holders, sandbox_holders, eu_admins, some) = {
        let org = a.sim.org();
        let [main, eu, sandbox] = jira(&org);
        let holders = members(&org, |p| org.access_on(p, eu).is_some());
        let sandbox_holders = members(&org, |p| org.access_on(p, sandbox).is_some());
        let eu_admins = members(&org, |p| {
            org.access_on(p, eu).is_some_and(|x| x.role == Role::Admin)
        });
        // Twenty holders and five people who hold main-site Jira only.
        let mut some: Vec<String> = holders.iter().take(20).cloned().collect();
        some.extend(
            members(&org, |p| {
                org.access_on(p, main).is_some() && org.access_on(p, eu).is_none()
            })
            .into_iter()
            .take(5),
        );
        (
            org.instance(eu).ari.clone(),
            org.instance(sandbox).workspace_id.clone(),
            holders,
            sandbox_holders,
            eu_admins,
            some,
        )
    };
    assert!(holders.len() > 20 && !sandbox_holders.is_empty() && !eu_admins.is_empty());

    let found = a
        .search_all(json!({ "resourceIds": [eu_ari], "limit": 100 }))
        .await;
    assert_eq!(ids(&found), holders);

    // The twenty holders among the twenty-five, ten a page: the second
    // page is full and the last.
    let (found, sizes) = a
        .search_pages(json!({ "resourceIds": [eu_ari], "accountIds": some, "limit": 10 }))
        .await;
    assert_eq!(sizes, [10, 10]);
    assert_eq!(ids(&found), holders[..20]);

    // The sandbox by its workspace id, through the deprecated GET, and
    // counted.
    let (status, page) = a
        .get(&a.directory(&format!("/users?resourceIds={sandbox_workspace}&limit=100")))
        .await;
    assert_eq!(status, 200, "{page}");
    let listed = ids(page["data"].as_array().unwrap());
    assert_eq!(listed, sandbox_holders[..listed.len()]);
    let (status, count) = a
        .get(&a.directory(&format!("/users/count?resourceIds={eu_ari}")))
        .await;
    assert_eq!(status, 200);
    assert_eq!(count["count"], holders.len());

    // Roles on that instance only: its admins, not the main site's.
    let found = a
        .search_all(json!({
            "resourceIds": [eu_ari],
            "roleIds": ["atlassian/admin"],
            "limit": 100,
        }))
        .await;
    assert_eq!(ids(&found), eu_admins);

    // Another organisation's site is not a resource of this one.
    let (status, body) = a
        .post(
            &a.directory("/users/search"),
            json!({ "resourceIds": ["ari:cloud:jira-software::site/00000000-0000-4000-8000-000000000000"] }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "ADMIN-400-4");
}

/// The workspace `usage` of every instance, by ARI.
async fn usage(a: &Admin) -> BTreeMap<String, u64> {
    let (all, _) = a.workspaces(100).await;
    let org = a.sim.org();
    all.iter()
        .map(|w| {
            let id = w["id"].as_str().unwrap();
            let i = org
                .instance_by_resource(id)
                .expect("a workspace of the org");
            (
                org.instance(i).ari.clone(),
                w["attributes"]["usage"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn leaving_the_second_sites_default_group_takes_that_site_only() {
    let a = Admin::new(600).await;
    let (i, account_id, group_id, main, eu, main_ari, eu_ari) = {
        let org = a.sim.org();
        let [main, eu, _] = jira(&org);
        let default = org.instance(eu).default_group;
        // Billable on both sites, the second site through its default
        // group only.
        let i = (0..org.people.len())
            .find(|&i| {
                let p = &org.people[i];
                in_directory(&org, i)
                    && org.is_billable_on(p, main)
                    && org.is_billable_on(p, eu)
                    && org
                        .granting_groups_on(eu)
                        .iter()
                        .filter(|g| p.groups.contains(g))
                        .count()
                        == 1
                    && p.groups.contains(&default)
            })
            .expect("someone holds Jira on both sites");
        assert_eq!(
            org.groups[default].name,
            format!("jira-software-users-{}-eu", org.site)
        );
        (
            i,
            org.people[i].account_id.clone(),
            org.groups[default].id.clone(),
            main,
            eu,
            org.instance(main).ari.clone(),
            org.instance(eu).ari.clone(),
        )
    };
    let before = usage(&a).await;
    let (status, body) = a
        .send(
            Method::DELETE,
            &a.directory(&format!("/groups/{group_id}/memberships/{account_id}")),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    {
        let org = a.sim.org();
        let p = &org.people[i];
        assert!(
            org.access_on(p, eu).is_none(),
            "the second site's access is gone"
        );
        assert!(org.is_billable_on(p, main), "the main site's access stays");
    }
    let after = usage(&a).await;
    assert_eq!(after[&eu_ari], before[&eu_ari] - 1);
    assert_eq!(after[&main_ari], before[&main_ari]);
    let (_, user) = a
        .get(&a.directory(&format!("/users/{account_id}?expand=productAccess")))
        .await;
    let resources: Vec<&str> = user["productAccess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(resources.contains(&main_ari.as_str()) && !resources.contains(&eu_ari.as_str()));
    let found = a
        .search_all(json!({ "resourceIds": [eu_ari], "accountIds": [account_id] }))
        .await;
    assert!(found.is_empty());

    // Joining again through the site's Jira (the group is the
    // organisation's) gives the second site back.
    let (status, body) = site::call(
        &a.sim,
        Who::Admin,
        Method::POST,
        "/rest/api/3/group/user",
        &[("groupId", group_id.as_str())],
        Some(json!({ "accountId": account_id })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let org = a.sim.org();
    assert!(org.is_billable_on(&org.people[i], eu));
    assert!(org.is_billable_on(&org.people[i], main));
}

#[tokio::test]
async fn role_assignments_name_each_instance() {
    let a = Admin::new(500).await;
    let (admin_id, expected, eu_ari, sandbox_ari, eu_admins_id, guest) = {
        let org = a.sim.org();
        let [_, eu, sandbox] = jira(&org);
        let admin = &org.people[org.admin];
        let expected: BTreeMap<String, String> = org
            .instances()
            .filter_map(|i| {
                org.access_on(admin, i).map(|x| {
                    (
                        org.instance(i).ari.clone(),
                        format!("atlassian/{}", x.role.as_str()),
                    )
                })
            })
            .collect();
        let eu_admins = org
            .group_by_name(&format!("jira-admins-{}-eu", org.site))
            .expect("the second site's Jira admins");
        let confluence = eu_confluence(&org);
        let guest = members(&org, |p| {
            org.access_on(p, confluence)
                .is_some_and(|x| x.role == Role::Guest)
        });
        (
            admin.account_id.clone(),
            expected,
            org.instance(eu).ari.clone(),
            org.instance(sandbox).ari.clone(),
            org.groups[eu_admins].id.clone(),
            (guest[0].clone(), org.instance(confluence).ari.clone()),
        )
    };
    let path = a.directory(&format!("/users/{admin_id}/role-assignments"));
    let (status, roles) = a.get(&path).await;
    assert_eq!(status, 200, "{roles}");
    let got: BTreeMap<String, String> = roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resourceOwner"] != "platform")
        .map(|r| {
            (
                r["resourceId"].as_str().unwrap().to_owned(),
                r["roleAssignments"][0]["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got[&eu_ari], "atlassian/admin");
    assert_eq!(got[&sandbox_ari], "atlassian/admin");

    // Filtered to one resource, to an owner, to a role.
    let (status, one) = a.get(&format!("{path}?resourceIds={eu_ari}")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["data"].as_array().unwrap().len(), 1);
    assert_eq!(one["data"][0]["resourceId"], eu_ari.as_str());
    assert_eq!(one["data"][0]["resourceOwner"], "jira-software");
    let (_, owned) = a.get(&format!("{path}?resourceOwners=jira-software")).await;
    let owned: Vec<&str> = owned["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resourceOwner"].as_str().unwrap())
        .collect();
    assert_eq!(owned, ["jira-software"; 3]);
    let (_, org_roles) = a.get(&format!("{path}?roleIds=atlassian/org-admin")).await;
    assert_eq!(org_roles["data"][0]["resourceOwner"], "platform");
    assert_eq!(org_roles["data"].as_array().unwrap().len(), 1);
    let (status, body) = a
        .get(&format!(
            "{path}?resourceIds=ari:cloud:jira-software::site/nowhere"
        ))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "ADMIN-400-4");

    // A guest of the second site's Confluence: a direct guest role there.
    let (guest, confluence_ari) = guest;
    let (_, roles) = a
        .get(&a.directory(&format!(
            "/users/{guest}/role-assignments?resourceIds={confluence_ari}"
        )))
        .await;
    assert_eq!(
        roles["data"][0]["roleAssignments"],
        json!([{ "role": "atlassian/guest", "roleAssignmentMethods": ["DIRECT"] }])
    );

    // A group's role assignments name the instance it grants.
    let (status, page) = a
        .get(&a.directory(&format!("/groups/{eu_admins_id}/role-assignments")))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["resourceId"], eu_ari.as_str());
    assert_eq!(page["data"][0]["roles"], json!(["atlassian/admin"]));
}

#[tokio::test]
async fn invitations_grant_the_instances_of_their_rules() {
    let a = Admin::new(200).await;
    let (sandbox_ari, confluence_workspace, sandbox, confluence) = {
        let org = a.sim.org();
        let [_, _, sandbox] = jira(&org);
        let confluence = eu_confluence(&org);
        (
            org.instance(sandbox).ari.clone(),
            org.instance(confluence).workspace_id.clone(),
            sandbox,
            confluence,
        )
    };
    let email = format!("tester@{}", a.sim.org().domain);
    let (status, body) = a
        .post(
            &format!("/admin/v2/orgs/{}/users/invite", a.org_id()),
            json!({
                "emails": [email],
                "permissionRules": [
                    { "resource": sandbox_ari, "role": "atlassian/user" },
                    { "resource": confluence_workspace, "role": "atlassian/user" },
                ],
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let org = a.sim.org();
    let p = org.person_by_email(&email).expect("invited");
    let held: Vec<InstanceId> = org
        .instances()
        .filter(|&i| org.access_on(p, i).is_some())
        .collect();
    assert_eq!(held, [confluence, sandbox]);
    assert!(org.is_billable_on(p, confluence));
    assert!(
        !org.is_billable_on(p, sandbox),
        "sandbox seats are not billed"
    );
    assert!(org.access(p, ProductKey::JiraSoftware).is_none());
}

#[tokio::test]
async fn the_site_apis_serve_the_main_site() {
    let sim = support::multi_site_sim(300).await;
    let (status, roles) = site::call(
        &sim,
        Who::Admin,
        Method::GET,
        "/rest/api/3/applicationrole/jira-software",
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{roles}");
    {
        let org = sim.org();
        let key = ProductKey::JiraSoftware;
        let groups: Vec<&str> = org
            .granting_groups(key)
            .into_iter()
            .map(|g| org.groups[g].name.as_str())
            .collect();
        assert!(
            groups
                .iter()
                .all(|g| !g.ends_with("-eu") && !g.ends_with("-sandbox"))
        );
        assert_eq!(roles["groups"], json!(groups));
        assert_eq!(roles["numberOfSeats"], org.product(key).seats);
        assert_eq!(roles["userCount"], org.seats_used(key));
    }
    let (_, tenant) = site::call(
        &sim,
        Who::Nobody,
        Method::GET,
        "/_edge/tenant_info",
        &[],
        None,
    )
    .await;
    assert_eq!(tenant["cloudId"], sim.org().cloud_id.as_str());
    let config = sim.connector_config("jira").expect("a Jira config");
    assert_eq!(config["base_url"], sim.urls().site.as_str());
    assert_eq!(config["site"], sim.org().site.as_str());
    assert_eq!(sim.org().sites[0].subdomain, sim.org().site);

    // Someone on the second site only is no Jira user here.
    let account_id = {
        let org = sim.org();
        let [main, eu, _] = jira(&org);
        members(&org, |p| {
            org.access_on(p, eu).is_some()
                && org.access_on(p, main).is_none()
                && org.access(p, ProductKey::JiraServiceManagement).is_none()
        })
        .into_iter()
        .next()
        .expect("someone on the second site only")
    };
    let (status, user) = site::call(
        &sim,
        Who::Admin,
        Method::GET,
        "/rest/api/3/user",
        &[
            ("accountId", account_id.as_str()),
            ("expand", "applicationRoles"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["applicationRoles"]["size"], 0);
}
