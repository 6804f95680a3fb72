//! Jira Cloud platform REST v3 as the simulator serves it: every answer
//! checked against the published schema and against the organisation.

mod site;
mod support;

use atlassian_sim::{AccountType, Org, Person, ProductKey, Role, Simulator, Status};
use reqwest::Method;
use serde_json::{Value, json};
use site::{Who, call};
use support::Spec;

async fn get(sim: &Simulator, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
    call(sim, Who::Admin, Method::GET, path, query, None).await
}

fn spec() -> Spec {
    Spec::load("jira_platform.json")
}

/// What Jira must show for a person.
fn expected_user(person: &Person) -> Value {
    let email = (person.email_visible && person.account_type != AccountType::App)
        .then(|| person.email.clone())
        .flatten();
    json!({
        "accountId": person.account_id,
        "accountType": person.account_type.as_str(),
        "displayName": person.name,
        "active": person.is_enabled() && !person.removed_from_jira,
        "emailAddress": email,
    })
}

/// The fields of an answered user that [`expected_user`] predicts.
fn seen_user(user: &Value) -> Value {
    json!({
        "accountId": user["accountId"],
        "accountType": user["accountType"],
        "displayName": user["displayName"],
        "active": user["active"],
        "emailAddress": user.get("emailAddress").cloned().unwrap_or(Value::Null),
    })
}

/// Pages `path` with `maxResults=page` until the empty page, checking each
/// page against the schema; returns every user and the page sizes.
async fn page_all_users(sim: &Simulator, path: &str, page: usize) -> (Vec<Value>, Vec<usize>) {
    let spec = spec();
    let mut users = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let start = users.len().to_string();
        let max = page.to_string();
        let (status, body) = get(sim, path, &[("startAt", &start), ("maxResults", &max)]).await;
        assert_eq!(status, 200, "{body}");
        spec.check("GET", path, 200, &body);
        let items = body.as_array().expect("a bare array").clone();
        sizes.push(items.len());
        if items.is_empty() {
            return (users, sizes);
        }
        users.extend(items);
    }
}

#[tokio::test]
async fn users_search_pages_until_the_empty_page_and_matches_the_org() {
    // 250 people: an exact multiple of the page size.
    let sim = support::sim(250).await;
    let (users, sizes) = page_all_users(&sim, "/rest/api/3/users/search", 50).await;
    assert_eq!(sizes, [50, 50, 50, 50, 50, 0]);
    let org = sim.org();
    let seen: Vec<Value> = users.iter().map(seen_user).collect();
    let expected: Vec<Value> = org.people.iter().map(expected_user).collect();
    assert_eq!(seen, expected);
    // Every kind of account and state shows, hidden emails are absent.
    for t in ["atlassian", "app", "customer"] {
        assert!(users.iter().any(|u| u["accountType"] == t), "{t}");
    }
    assert!(users.iter().any(|u| u["active"] == false));
    assert!(
        users
            .iter()
            .any(|u| u["accountType"] == "atlassian" && u.get("emailAddress").is_none())
    );
}

#[tokio::test]
async fn the_users_alias_caps_pages_at_100() {
    let sim = support::sim(237).await;
    let (users, sizes) = page_all_users(&sim, "/rest/api/3/users", 1000).await;
    assert_eq!(sizes, [100, 100, 37, 0]);
    let org = sim.org();
    let ids: Vec<&str> = users
        .iter()
        .map(|u| u["accountId"].as_str().unwrap())
        .collect();
    let truth: Vec<&str> = org.people.iter().map(|p| p.account_id.as_str()).collect();
    assert_eq!(ids, truth);
}

/// A person who is in a group granting Jira Software and in another group.
fn someone_with_groups(org: &Org) -> &Person {
    org.people
        .iter()
        .find(|p| {
            p.groups.len() >= 2
                && p.status == Status::Active
                && org.access(p, ProductKey::JiraSoftware).is_some()
        })
        .expect("such a person")
}

#[tokio::test]
async fn a_user_expands_groups_and_application_roles() {
    let sim = support::sim(120).await;
    let spec = spec();
    let person = someone_with_groups(&sim.org()).clone();
    let id = person.account_id.as_str();

    let (status, plain) = get(&sim, "/rest/api/3/user", &[("accountId", id)]).await;
    assert_eq!(status, 200);
    spec.check("GET", "/rest/api/3/user", 200, &plain);
    assert_eq!(seen_user(&plain), expected_user(&person));
    assert_eq!(plain["groups"]["size"], person.groups.len());
    assert_eq!(plain["groups"]["items"], json!([]));

    let (status, full) = get(
        &sim,
        "/rest/api/3/user",
        &[("accountId", id), ("expand", "groups,applicationRoles")],
    )
    .await;
    assert_eq!(status, 200);
    spec.check("GET", "/rest/api/3/user", 200, &full);
    let org = sim.org().clone();
    let names: Vec<&str> = person
        .groups
        .iter()
        .map(|&g| org.groups[g].name.as_str())
        .collect();
    let seen: Vec<&str> = full["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(seen, names);
    let roles: Vec<&str> = [ProductKey::JiraSoftware, ProductKey::JiraServiceManagement]
        .into_iter()
        .filter(|&k| org.access(&person, k).is_some())
        .map(|k| k.key())
        .collect();
    let seen: Vec<&str> = full["applicationRoles"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(seen, roles);

    let (status, groups) = get(&sim, "/rest/api/3/user/groups", &[("accountId", id)]).await;
    assert_eq!(status, 200);
    spec.check("GET", "/rest/api/3/user/groups", 200, &groups);
    let seen: Vec<&str> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(seen, names);
    let ids: Vec<&str> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["groupId"].as_str().unwrap())
        .collect();
    let truth: Vec<&str> = person
        .groups
        .iter()
        .map(|&g| org.groups[g].id.as_str())
        .collect();
    assert_eq!(ids, truth);

    let (status, _) = get(&sim, "/rest/api/3/user", &[("accountId", "nobody")]).await;
    assert_eq!(status, 404);
    let (status, body) = get(&sim, "/rest/api/3/user", &[("username", "mia")]).await;
    assert_eq!(status, 400);
    assert!(body["errorMessages"][0].as_str().unwrap().contains("GDPR"));
    let (status, _) = get(&sim, "/rest/api/3/user/groups", &[("accountId", "nobody")]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn user_search_matches_prefixes_within_the_first_1000_matches() {
    let sim = support::sim(8_000).await;
    let spec = spec();
    let org = sim.org().clone();
    let matches = |q: &str| -> Vec<&str> {
        org.people
            .iter()
            .filter(|p| {
                let name = p.name.to_lowercase();
                let email = (p.email_visible && p.account_type != AccountType::App)
                    .then(|| p.email.clone())
                    .flatten()
                    .unwrap_or_default();
                name.starts_with(q)
                    || name.split_whitespace().any(|w| w.starts_with(q))
                    || email.starts_with(q)
            })
            .map(|p| p.account_id.as_str())
            .collect()
    };
    // One person by their (visible) email.
    let target = org
        .people
        .iter()
        .find(|p| p.email_visible && p.email.is_some())
        .unwrap();
    let email = target.email.clone().unwrap();
    let (status, body) = get(&sim, "/rest/api/3/user/search", &[("query", &email)]).await;
    assert_eq!(status, 200);
    spec.check("GET", "/rest/api/3/user/search", 200, &body);
    assert_eq!(body[0]["accountId"], target.account_id.as_str());
    assert_eq!(body.as_array().unwrap().len(), matches(&email).len());

    // A letter most names start a word with: more than 1000 match, and
    // paging stops at the thousandth.
    let letter = ('a'..='z').map(String::from).collect::<Vec<_>>();
    let letter = letter
        .iter()
        .map(String::as_str)
        .max_by_key(|q| matches(q).len())
        .unwrap();
    let all = matches(letter);
    assert!(all.len() > 1000, "{} matches", all.len());
    let (_, body) = get(
        &sim,
        "/rest/api/3/user/search",
        &[("query", letter), ("startAt", "950"), ("maxResults", "100")],
    )
    .await;
    let seen: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(seen, all[950..1000]);
    let (_, body) = get(
        &sim,
        "/rest/api/3/user/search",
        &[("query", letter), ("startAt", "1000")],
    )
    .await;
    assert_eq!(body, json!([]));

    let (status, _) = get(&sim, "/rest/api/3/user/search", &[]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn myself_and_mypermissions_depend_on_the_caller() {
    let sim = support::sim(60).await;
    let spec = spec();
    let (admin, user) = {
        let org = sim.org();
        (
            org.people[org.admin].account_id.clone(),
            org.people[org.user].account_id.clone(),
        )
    };
    for (who, id) in [(Who::Admin, &admin), (Who::User, &user)] {
        let (status, me) = call(&sim, who, Method::GET, "/rest/api/3/myself", &[], None).await;
        assert_eq!(status, 200);
        spec.check("GET", "/rest/api/3/myself", 200, &me);
        assert_eq!(me["accountId"], id.as_str());
    }
    let query = [("permissions", "USER_PICKER,ADMINISTER,SYSTEM_ADMIN")];
    let have = |body: &Value| -> Vec<bool> {
        ["USER_PICKER", "ADMINISTER", "SYSTEM_ADMIN"]
            .iter()
            .map(|k| body["permissions"][k]["havePermission"].as_bool().unwrap())
            .collect()
    };
    let (status, body) = call(
        &sim,
        Who::Admin,
        Method::GET,
        "/rest/api/3/mypermissions",
        &query,
        None,
    )
    .await;
    assert_eq!(status, 200);
    spec.check("GET", "/rest/api/3/mypermissions", 200, &body);
    assert_eq!(have(&body), [true, true, true]);
    let (_, body) = call(
        &sim,
        Who::User,
        Method::GET,
        "/rest/api/3/mypermissions",
        &query,
        None,
    )
    .await;
    assert_eq!(have(&body), [true, false, false]);
    let (status, body) = get(
        &sim,
        "/rest/api/3/mypermissions",
        &[("permissions", "NOPE")],
    )
    .await;
    assert_eq!(status, 400);
    spec.check("GET", "/rest/api/3/mypermissions", 400, &body);
}

/// What `applicationrole` must say about a product.
fn expected_role(org: &Org, key: ProductKey) -> Value {
    let product = org.product(key);
    let used = org.seats_used(key);
    let groups: Vec<&str> = org
        .granting_groups(key)
        .into_iter()
        .map(|g| org.groups[g].name.as_str())
        .collect();
    json!({
        "key": key.key(),
        "groups": groups,
        "defaultGroups": [org.groups[product.default_group].name],
        "numberOfSeats": product.seats,
        "userCount": used,
        "remainingSeats": i64::from(product.seats) - i64::from(used),
        "hasUnlimitedSeats": false,
        "platform": false,
    })
}

fn seen_role(role: &Value) -> Value {
    let keys = [
        "key",
        "groups",
        "defaultGroups",
        "numberOfSeats",
        "userCount",
        "remainingSeats",
        "hasUnlimitedSeats",
        "platform",
    ];
    Value::Object(
        keys.iter()
            .map(|k| (k.to_string(), role[k].clone()))
            .collect(),
    )
}

async fn role(sim: &Simulator, key: ProductKey) -> Value {
    let path = format!("/rest/api/3/applicationrole/{}", key.key());
    let (status, body) = get(sim, &path, &[]).await;
    assert_eq!(status, 200, "{body}");
    spec().check("GET", "/rest/api/3/applicationrole/{key}", 200, &body);
    body
}

#[tokio::test]
async fn application_roles_and_the_licence_match_the_org() {
    let sim = support::sim(400).await;
    let spec = spec();
    let (status, roles) = get(&sim, "/rest/api/3/applicationrole", &[]).await;
    assert_eq!(status, 200);
    spec.check("GET", "/rest/api/3/applicationrole", 200, &roles);
    let seen: Vec<Value> = roles.as_array().unwrap().iter().map(seen_role).collect();
    let expected: Vec<Value> = {
        let org = sim.org();
        [ProductKey::JiraSoftware, ProductKey::JiraServiceManagement]
            .into_iter()
            .map(|k| expected_role(&org, k))
            .collect()
    };
    assert_eq!(seen, expected);
    // Jira Service Management is sold out.
    assert_eq!(seen[1]["remainingSeats"], 0);
    let single = role(&sim, ProductKey::JiraSoftware).await;
    assert_eq!(seen_role(&single), expected[0]);
    let (status, _) = get(&sim, "/rest/api/3/applicationrole/confluence", &[]).await;
    assert_eq!(status, 404);

    let (status, licence) = get(&sim, "/rest/api/3/instance/license", &[]).await;
    assert_eq!(status, 200);
    spec.check("GET", "/rest/api/3/instance/license", 200, &licence);
    assert_eq!(
        licence,
        json!({ "applications": [
            { "id": "jira-software", "plan": "PAID" },
            { "id": "jira-servicedesk", "plan": "PAID" },
        ]})
    );
}

#[tokio::test]
async fn groups_and_their_members_page_to_the_end() {
    let sim = support::sim(500).await;
    let spec = spec();
    // Groups, five at a time, following isLast.
    let mut names = Vec::new();
    loop {
        let start = names.len().to_string();
        let (status, page) = get(
            &sim,
            "/rest/api/3/group/bulk",
            &[("startAt", &start), ("maxResults", "5")],
        )
        .await;
        assert_eq!(status, 200);
        spec.check("GET", "/rest/api/3/group/bulk", 200, &page);
        assert_eq!(page["total"], sim.org().groups.len());
        for g in page["values"].as_array().unwrap() {
            names.push(g["name"].as_str().unwrap().to_owned());
        }
        if page["isLast"] == true {
            assert!(page.get("nextPage").is_none());
            break;
        }
        assert!(page["nextPage"].as_str().unwrap().contains("startAt="));
    }
    let truth: Vec<String> = sim.org().groups.iter().map(|g| g.name.clone()).collect();
    assert_eq!(names, truth);
    let (_, admins) = get(
        &sim,
        "/rest/api/3/group/bulk",
        &[("accessType", "site-admin")],
    )
    .await;
    assert_eq!(
        admins["values"],
        json!([{ "name": "site-admins", "groupId": sim.org().groups[sim.org().group_by_name("site-admins").unwrap()].id }])
    );
    let (_, jsm) = get(
        &sim,
        "/rest/api/3/group/bulk",
        &[("applicationKey", "jira-servicedesk")],
    )
    .await;
    let seen: Vec<&str> = jsm["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["jira-servicemanagement-users", "jira-admins"]);

    // Members of jira-software-users; asking for 100 gets 50.
    let (group, g) = {
        let org = sim.org();
        let g = org.group_by_name("jira-software-users").unwrap();
        (org.groups[g].id.clone(), g)
    };
    for inactive in ["false", "true"] {
        let mut ids = Vec::new();
        loop {
            let start = ids.len().to_string();
            let (status, page) = get(
                &sim,
                "/rest/api/3/group/member",
                &[
                    ("groupId", group.as_str()),
                    ("includeInactiveUsers", inactive),
                    ("startAt", &start),
                    ("maxResults", "100"),
                ],
            )
            .await;
            assert_eq!(status, 200);
            spec.check("GET", "/rest/api/3/group/member", 200, &page);
            assert_eq!(page["maxResults"], 50);
            for u in page["values"].as_array().unwrap() {
                ids.push(u["accountId"].as_str().unwrap().to_owned());
            }
            if page["isLast"] == true {
                break;
            }
        }
        let org = sim.org();
        let truth: Vec<String> = org
            .people
            .iter()
            .filter(|p| p.groups.contains(&g))
            .filter(|p| inactive == "true" || (p.is_enabled() && !p.removed_from_jira))
            .map(|p| p.account_id.clone())
            .collect();
        assert!(truth.len() > 50);
        assert_eq!(ids, truth, "includeInactiveUsers={inactive}");
    }
    let (status, _) = get(&sim, "/rest/api/3/group/member", &[("groupId", "nope")]).await;
    assert_eq!(status, 404);
}

/// A request the ordinary user must be refused: method, path, query, body
/// and the permission the refusal names.
type Refusal<'a> = (
    Method,
    &'a str,
    Vec<(&'a str, &'a str)>,
    Option<Value>,
    &'a str,
);

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_and_ordinary_users_403() {
    let sim = support::sim(80).await;
    for who in [Who::Nobody, Who::WrongToken] {
        for path in ["/rest/api/3/users/search", "/rest/api/3/myself"] {
            let (status, _) = call(&sim, who, Method::GET, path, &[], None).await;
            assert_eq!(status, 401, "{path}");
        }
    }
    let (_, body) = call(
        &sim,
        Who::Nobody,
        Method::GET,
        "/rest/api/3/myself",
        &[],
        None,
    )
    .await;
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("not authenticated")
    );

    // The ordinary user browses users but administers nothing.
    let (status, _) = call(
        &sim,
        Who::User,
        Method::GET,
        "/rest/api/3/users/search",
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let before = sim.org().clone();
    let (group, someone) = (
        before.groups[before.product(ProductKey::JiraSoftware).default_group]
            .id
            .clone(),
        before.people[5].account_id.clone(),
    );
    let refused: [Refusal; 7] = [
        (
            Method::GET,
            "/rest/api/3/applicationrole",
            vec![],
            None,
            "Administer Jira",
        ),
        (
            Method::GET,
            "/rest/api/3/applicationrole/jira-software",
            vec![],
            None,
            "Administer Jira",
        ),
        (
            Method::GET,
            "/rest/api/3/group/member",
            vec![("groupId", group.as_str())],
            None,
            "Administer Jira",
        ),
        (
            Method::POST,
            "/rest/api/3/user",
            vec![],
            Some(json!({ "emailAddress": "new@example.com" })),
            "Administer Jira",
        ),
        (
            Method::POST,
            "/rest/api/3/group/user",
            vec![("groupId", group.as_str())],
            Some(json!({ "accountId": someone })),
            "site-admins",
        ),
        (
            Method::DELETE,
            "/rest/api/3/group/user",
            vec![("groupId", group.as_str()), ("accountId", someone.as_str())],
            None,
            "site-admins",
        ),
        (
            Method::DELETE,
            "/rest/api/3/user",
            vec![("accountId", someone.as_str())],
            None,
            "site-admins",
        ),
    ];
    for (method, path, query, body, permission) in refused {
        let (status, answer) = call(&sim, Who::User, method.clone(), path, &query, body).await;
        assert_eq!(status, 403, "{method} {path}");
        let message = answer["errorMessages"][0].as_str().unwrap();
        assert!(message.contains(permission), "{message}");
    }
    assert_eq!(*sim.org(), before, "refused writes change nothing");
}

/// An active person with no access to `product` and in none of its groups.
fn outsider(org: &Org, product: ProductKey) -> usize {
    org.people
        .iter()
        .position(|p| {
            p.account_type == AccountType::Atlassian
                && p.status == Status::Active
                && org.access(p, product).is_none()
        })
        .expect("an outsider")
}

#[tokio::test]
async fn adding_to_a_group_grants_the_role_and_uses_a_seat() {
    let sim = support::sim(300).await;
    let spec = spec();
    let software = ProductKey::JiraSoftware;
    let (p, id, group) = {
        let org = sim.org();
        let p = outsider(&org, software);
        let group = org.groups[org.product(software).default_group].id.clone();
        (p, org.people[p].account_id.clone(), group)
    };
    let before = role(&sim, software).await;
    let query = [("groupId", group.as_str())];
    let add = || {
        call(
            &sim,
            Who::Admin,
            Method::POST,
            "/rest/api/3/group/user",
            &query,
            Some(json!({ "accountId": id })),
        )
    };
    let (status, body) = add().await;
    assert_eq!(status, 201, "{body}");
    spec.check("POST", "/rest/api/3/group/user", 201, &body);
    assert_eq!(body["groupId"], group.as_str());
    let after = role(&sim, software).await;
    assert_eq!(
        after["userCount"],
        before["userCount"].as_i64().unwrap() + 1
    );
    assert_eq!(
        after["remainingSeats"],
        before["remainingSeats"].as_i64().unwrap() - 1
    );
    assert_eq!(seen_role(&after), expected_role(&sim.org(), software));
    assert!(sim.org().is_billable(&sim.org().people[p], software));
    let (_, user) = get(
        &sim,
        "/rest/api/3/user",
        &[("accountId", id.as_str()), ("expand", "applicationRoles")],
    )
    .await;
    assert_eq!(user["applicationRoles"]["items"][0]["key"], "jira-software");

    // Again: still 201, nothing changes.
    let (status, _) = add().await;
    assert_eq!(status, 201);
    assert_eq!(role(&sim, software).await["userCount"], after["userCount"]);

    let (status, _) = call(
        &sim,
        Who::Admin,
        Method::DELETE,
        "/rest/api/3/group/user",
        &[("groupId", group.as_str()), ("accountId", id.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(role(&sim, software).await["userCount"], before["userCount"]);
    assert!(sim.org().access(&sim.org().people[p], software).is_none());
}

#[tokio::test]
async fn a_sold_out_product_refuses_new_members() {
    let sim = support::sim(300).await;
    let jsm = ProductKey::JiraServiceManagement;
    let before = sim.org().clone();
    let p = outsider(&before, jsm);
    let group = before.groups[before.product(jsm).default_group].id.clone();
    let (status, body) = call(
        &sim,
        Who::Admin,
        Method::POST,
        "/rest/api/3/group/user",
        &[("groupId", group.as_str())],
        Some(json!({ "accountId": before.people[p].account_id })),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("Jira Service Management")
    );
    assert_eq!(*sim.org(), before);
    let (status, _) = call(
        &sim,
        Who::Admin,
        Method::POST,
        "/rest/api/3/user",
        &[],
        Some(json!({ "emailAddress": "full@acme11.example", "products": ["jira-servicedesk"] })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(*sim.org(), before);
}

#[tokio::test]
async fn deleting_a_user_frees_the_seat_and_keeps_them_listed_inactive() {
    let sim = support::sim(200).await;
    let software = ProductKey::JiraSoftware;
    let (p, id) = {
        let org = sim.org();
        let p = org
            .people
            .iter()
            .position(|x| {
                org.is_billable(x, software) && org.admin != org.position(&x.account_id).unwrap()
            })
            .unwrap();
        (p, org.people[p].account_id.clone())
    };
    let before = role(&sim, software).await;
    let (status, _) = call(
        &sim,
        Who::Admin,
        Method::DELETE,
        "/rest/api/3/user",
        &[("accountId", id.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 204);
    let after = role(&sim, software).await;
    assert_eq!(
        after["userCount"],
        before["userCount"].as_i64().unwrap() - 1
    );
    {
        let org = sim.org();
        let person = &org.people[p];
        assert!(person.removed_from_jira);
        assert!(org.access(person, software).is_none());
        assert!(
            org.access(person, ProductKey::JiraServiceManagement)
                .is_none()
        );
    }
    let (users, _) = page_all_users(&sim, "/rest/api/3/users/search", 100).await;
    let listed = users
        .iter()
        .find(|u| u["accountId"] == id.as_str())
        .unwrap();
    assert_eq!(listed["active"], false);
    let (status, _) = call(
        &sim,
        Who::Admin,
        Method::DELETE,
        "/rest/api/3/user",
        &[("accountId", "nobody")],
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn creating_a_user_invites_them_with_jira() {
    let sim = support::sim(150).await;
    let spec = spec();
    let software = ProductKey::JiraSoftware;
    let used = sim.org().seats_used(software);
    let create = |body: Value| {
        call(
            &sim,
            Who::Admin,
            Method::POST,
            "/rest/api/3/user",
            &[],
            Some(body),
        )
    };

    let (status, body) = create(json!({ "emailAddress": "newcomer@acme11.example" })).await;
    assert_eq!(status, 201, "{body}");
    spec.check("POST", "/rest/api/3/user", 201, &body);
    {
        let org = sim.org();
        let person = org.person_by_email("newcomer@acme11.example").unwrap();
        assert_eq!(body["accountId"], person.account_id.as_str());
        assert_eq!(body["active"], true);
        assert_eq!(person.status, Status::Invited);
        assert_eq!(
            org.access(person, software).map(|a| a.role),
            Some(Role::User)
        );
        assert_eq!(org.seats_used(software), used + 1);
    }
    // Again: exists with access, 201.
    let (status, again) = create(json!({ "emailAddress": "newcomer@acme11.example" })).await;
    assert_eq!(status, 201);
    assert_eq!(again["accountId"], body["accountId"]);
    // Without products: no access at all.
    let (status, _) =
        create(json!({ "emailAddress": "nobody@acme11.example", "products": [] })).await;
    assert_eq!(status, 201);
    {
        let org = sim.org();
        let person = org.person_by_email("nobody@acme11.example").unwrap();
        assert!(person.groups.is_empty());
    }
    // Someone who exists without Jira: 400.
    let email = {
        let org = sim.org();
        let p = org
            .people
            .iter()
            .find(|p| {
                p.account_type == AccountType::Atlassian
                    && p.email.is_some()
                    && org.access(p, software).is_none()
                    && org.access(p, ProductKey::JiraServiceManagement).is_none()
            })
            .unwrap();
        p.email.clone().unwrap()
    };
    let (status, _) = create(json!({ "emailAddress": email })).await;
    assert_eq!(status, 400);
    let (status, _) = create(json!({ "emailAddress": "no-at-sign" })).await;
    assert_eq!(status, 400);
    let (status, _) =
        create(json!({ "emailAddress": "x@acme11.example", "products": ["jira-core"] })).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn people_removed_from_the_directory_leave_jira() {
    let sim = support::sim(130).await;
    // People on both sides of page boundaries, the first and the last
    // among them (the Admin API's directory holds people, not apps).
    let removed: Vec<String> = {
        let org = sim.org();
        let people: Vec<usize> = (0..org.people.len())
            .filter(|&i| {
                org.people[i].account_type == AccountType::Atlassian
                    && i != org.admin
                    && i != org.user
            })
            .collect();
        let last = people.len() - 1;
        [0, 1, 2, 40, 41, last]
            .iter()
            .map(|&k| org.people[people[k]].account_id.clone())
            .collect()
    };
    // Removed through the Admin API, which the site shares the
    // organisation with.
    let c = sim.credentials().clone();
    for id in &removed {
        let url = format!(
            "{}/admin/v1/orgs/{}/directory/users/{id}",
            sim.urls().admin,
            c.org_id
        );
        let response = support::client()
            .delete(url)
            .bearer_auth(&c.org_api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
    assert_eq!(sim.org().removed.len(), removed.len());
    let (users, sizes) = page_all_users(&sim, "/rest/api/3/users/search", 50).await;
    assert_eq!(sizes, [50, 50, 24, 0]);
    let org = sim.org().clone();
    let truth: Vec<Value> = org
        .people
        .iter()
        .filter(|p| !removed.contains(&p.account_id))
        .map(expected_user)
        .collect();
    let seen: Vec<Value> = users.iter().map(seen_user).collect();
    assert_eq!(seen, truth);
    let (status, _) = get(
        &sim,
        "/rest/api/3/user",
        &[("accountId", removed[1].as_str())],
    )
    .await;
    assert_eq!(status, 404);
}
