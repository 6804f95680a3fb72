//! Trello: the workspace's members and memberships, members, the
//! enterprise's user query and provisioning, against the organisation
//! itself and against Trello's published OpenAPI document.

mod support;

use atlassian_sim::{
    AccountType, Behaviour, Org, ProductKey, RateLimit, SimOptions, Simulator, Status,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use support::Spec;
use time::macros::format_description;

/// Calls the Trello API with the simulator's key and token.
async fn call(
    sim: &Simulator,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
) -> (StatusCode, Value) {
    let c = sim.credentials();
    let request = support::client()
        .request(method, format!("{}{path}", sim.urls().trello))
        .query(&[
            ("key", c.trello_key.as_str()),
            ("token", c.trello_token.as_str()),
        ])
        .query(query);
    support::answer(request).await
}

async fn get(sim: &Simulator, path: &str, query: &[(&str, &str)]) -> Value {
    let (status, body) = call(sim, Method::GET, path, query).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

async fn put(sim: &Simulator, path: &str, query: &[(&str, &str)]) -> Value {
    let (status, body) = call(sim, Method::PUT, path, query).await;
    assert_eq!(status, 200, "PUT {path}: {body}");
    body
}

/// Ground truth: indexes of the people Trello sees, in order.
fn seen(org: &Org) -> Vec<usize> {
    (0..org.people.len())
        .filter(|&i| {
            let p = &org.people[i];
            p.account_type == AccountType::Atlassian
                && (org.access(p, ProductKey::Trello).is_some()
                    || org.trello.deactivated.contains(&i)
                    || i == org.admin)
        })
        .collect()
}

fn deactivated(org: &Org, i: usize) -> bool {
    org.trello.deactivated.contains(&i)
        || matches!(
            org.people[i].status,
            Status::Suspended | Status::Deactivated
        )
}

fn ids(values: &Value, pointer: &str) -> Vec<String> {
    values
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| {
            v.pointer(pointer)
                .and_then(Value::as_str)
                .expect(pointer)
                .to_owned()
        })
        .collect()
}

fn trello_ids(org: &Org, people: &[usize]) -> Vec<String> {
    people
        .iter()
        .map(|&i| org.people[i].trello_id.clone())
        .collect()
}

fn trello_time(at: time::OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap()
}

fn members_path(sim: &Simulator) -> String {
    format!(
        "/organizations/{}/members",
        sim.credentials().trello_workspace
    )
}

fn memberships_path(sim: &Simulator) -> String {
    format!(
        "/organizations/{}/memberships",
        sim.credentials().trello_workspace
    )
}

fn query_path(sim: &Simulator) -> String {
    format!(
        "/enterprises/{}/members/query",
        sim.credentials().trello_enterprise
    )
}

/// Every page of the enterprise query with `query`.
async fn enterprise_users(sim: &Simulator, spec: &Spec, query: &[(&str, &str)]) -> Vec<Value> {
    let mut users = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = query.to_vec();
        if let Some(c) = &cursor {
            q.push(("cursor", c));
        }
        let page = get(sim, &query_path(sim), &q).await;
        spec.check(
            "GET",
            "/enterprises/{id}/members/query",
            200,
            &page["users"],
        );
        let batch = page["users"].as_array().unwrap();
        assert!(batch.len() <= 100);
        users.extend(batch.iter().cloned());
        match page.get("cursor") {
            Some(c) => {
                assert_eq!(batch.len(), 100, "only full pages have a cursor");
                cursor = Some(c.as_str().unwrap().to_owned());
            }
            None => break,
        }
    }
    users
}

#[tokio::test]
async fn workspace_members_are_the_people_holding_trello() {
    let sim = support::sim(400).await;
    let spec = Spec::load("trello.json");
    let all = get(&sim, &members_path(&sim), &[("fields", "all")]).await;
    spec.check("GET", "/organizations/{id}/members", 200, &all);
    {
        let org = sim.org();
        let expected = seen(&org);
        assert!(expected.len() > 50);
        assert_eq!(ids(&all, "/id"), trello_ids(&org, &expected));
        for (m, &i) in all.as_array().unwrap().iter().zip(&expected) {
            let p = &org.people[i];
            assert_eq!(m["aaId"], p.account_id.as_str());
            assert_eq!(m["fullName"], p.name.as_str());
            assert_eq!(m["username"], p.nickname.as_str());
            assert_eq!(m["confirmed"], p.status != Status::Invited);
            let kind = if p.status == Status::Invited {
                "ghost"
            } else {
                "normal"
            };
            assert_eq!(m["memberType"], kind);
            assert_eq!(m["idOrganizations"][0], org.trello_workspace_id.as_str());
            let last = p.last_active_in(ProductKey::Trello).map(trello_time);
            assert_eq!(
                m.get("dateLastActive").and_then(Value::as_str),
                last.as_deref()
            );
            let listed = m["idEnterprisesDeactivated"].as_array().unwrap();
            assert_eq!(!listed.is_empty(), deactivated(&org, i));
        }
        assert!(
            expected
                .iter()
                .any(|&i| org.people[i].status == Status::Invited)
        );
    }

    // By default: id, full name and username only; the name works too.
    let by_name = format!("/organizations/{}/members", sim.org().trello_workspace_name);
    let plain = get(&sim, &by_name, &[]).await;
    spec.check("GET", "/organizations/{id}/members", 200, &plain);
    for m in plain.as_array().unwrap() {
        let keys: BTreeSet<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["id", "fullName", "username"]));
    }
    assert_eq!(ids(&plain, "/id"), ids(&all, "/id"));
    let (status, body) = call(
        &sim,
        Method::GET,
        &members_path(&sim),
        &[("fields", "nonsense")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (400, Value::from("invalid value for fields"))
    );
}

#[tokio::test]
async fn memberships_filter_by_role_and_state() {
    let sim = support::sim(400).await;
    let spec = Spec::load("trello.json");
    // Make one member an admin and deactivate another, so every filter
    // has something to find.
    let (admin, off) = {
        let org = sim.org();
        let people = seen(&org);
        (
            org.people[people[0]].trello_id.clone(),
            org.people[people[1]].trello_id.clone(),
        )
    };
    put(
        &sim,
        &format!("{}/{admin}", members_path(&sim)),
        &[("type", "admin")],
    )
    .await;
    put(
        &sim,
        &format!("{}/{off}/deactivated", members_path(&sim)),
        &[("value", "true")],
    )
    .await;

    let all = get(&sim, &memberships_path(&sim), &[("member", "true")]).await;
    spec.check("GET", "/organizations/{id}/memberships", 200, &all);
    let cases = {
        let org = sim.org();
        let people = seen(&org);
        assert_eq!(ids(&all, "/idMember"), trello_ids(&org, &people));
        assert_eq!(ids(&all, "/member/id"), trello_ids(&org, &people));
        for (m, &i) in all.as_array().unwrap().iter().zip(&people) {
            let p = &org.people[i];
            assert_eq!(m["unconfirmed"], p.status == Status::Invited);
            assert_eq!(m["deactivated"], deactivated(&org, i));
            let role = if org.trello.admins.contains(&i) {
                "admin"
            } else {
                "normal"
            };
            assert_eq!(m["memberType"], role);
            assert_eq!(m["member"]["fullName"], p.name.as_str());
            assert!(m["id"].as_str().unwrap().len() == 24);
        }
        let expect = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
            trello_ids(
                &org,
                &people
                    .iter()
                    .copied()
                    .filter(|&i| keep(i))
                    .collect::<Vec<_>>(),
            )
        };
        let cases: [(&str, Vec<String>); 4] = [
            ("active", expect(&|i| !deactivated(&org, i))),
            ("deactivated", expect(&|i| deactivated(&org, i))),
            ("admin", expect(&|i| org.trello.admins.contains(&i))),
            ("normal", expect(&|i| !org.trello.admins.contains(&i))),
        ];
        cases
    };
    for (filter, expected) in cases {
        let listed = get(&sim, &memberships_path(&sim), &[("filter", filter)]).await;
        spec.check("GET", "/organizations/{id}/memberships", 200, &listed);
        assert_eq!(ids(&listed, "/idMember"), expected, "filter={filter}");
        assert!(listed[0].get("member").is_none());
    }
    let admins = get(&sim, &memberships_path(&sim), &[("filter", "admin")]).await;
    assert_eq!(ids(&admins, "/idMember"), vec![admin]);
    let (status, _) = call(
        &sim,
        Method::GET,
        &memberships_path(&sim),
        &[("filter", "owners")],
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_member_is_found_by_id_username_or_me() {
    let sim = support::sim(200).await;
    let spec = Spec::load("trello.json");
    let (i, id, username) = {
        let org = sim.org();
        let i = *seen(&org)
            .iter()
            .find(|&&i| org.people[i].last_active_in(ProductKey::Trello).is_some())
            .unwrap();
        (
            i,
            org.people[i].trello_id.clone(),
            org.people[i].nickname.clone(),
        )
    };
    let by_id = get(&sim, &format!("/members/{id}"), &[]).await;
    spec.check("GET", "/members/{id}", 200, &by_id);
    {
        let org = sim.org();
        let p = &org.people[i];
        assert_eq!(by_id["id"], id.as_str());
        assert_eq!(by_id["aaId"], p.account_id.as_str());
        assert_eq!(by_id["fullName"], p.name.as_str());
        assert_eq!(by_id["idEnterprise"], org.trello_enterprise_id.as_str());
        assert_eq!(
            by_id["dateLastActive"],
            trello_time(p.last_active_in(ProductKey::Trello).unwrap()).as_str()
        );
        let managed = p
            .email
            .as_deref()
            .unwrap()
            .ends_with(&format!("@{}", org.domain));
        assert_eq!(
            by_id.get("email").and_then(Value::as_str),
            managed.then(|| p.email.as_deref().unwrap())
        );
    }
    assert_eq!(get(&sim, &format!("/members/{username}"), &[]).await, by_id);
    let some = get(
        &sim,
        &format!("/members/{id}"),
        &[("fields", "username,aaId")],
    )
    .await;
    assert_eq!(some.as_object().unwrap().len(), 3, "{some}");

    let (status, body) = call(&sim, Method::GET, "/members/0123456789abcdef01234567", &[]).await;
    assert_eq!(
        (status.as_u16(), body),
        (404, Value::from("model not found"))
    );
}

#[tokio::test]
async fn the_enterprise_query_pages_through_every_user() {
    let sim = support::sim(1_200).await;
    let spec = Spec::load("trello.json");
    let users = enterprise_users(&sim, &spec, &[]).await;
    let (licensed, recent, cutoff) = {
        let org = sim.org();
        let people = seen(&org);
        assert!(people.len() > 200, "{} users: several pages", people.len());
        assert_eq!(
            ids(&Value::from(users.clone()), "/member/id"),
            trello_ids(&org, &people)
        );
        for (u, &i) in users.iter().zip(&people) {
            let p = &org.people[i];
            let managed = p
                .email
                .as_deref()
                .unwrap()
                .ends_with(&format!("@{}", org.domain));
            assert_eq!(u["licensed"], org.is_billable(p, ProductKey::Trello));
            assert_eq!(u["deactivated"], deactivated(&org, i));
            assert_eq!(u["managed"], managed);
            assert_eq!(u["admin"], i == org.admin);
            assert_eq!(u["collaborator"], false);
            let m = &u["member"];
            assert_eq!(m["fullname"], p.name.as_str());
            assert_eq!(m["username"], p.nickname.as_str());
            assert_eq!(m["aaId"], p.account_id.as_str());
            assert_eq!(m["confirmed"], p.status != Status::Invited);
            let role = if i == org.admin { "admin" } else { "normal" };
            assert_eq!(m["memberType"], role);
            let last = p.last_active_in(ProductKey::Trello).map(trello_time);
            assert_eq!(
                m.get("dateLastImpression").and_then(Value::as_str),
                last.as_deref()
            );
            assert_eq!(
                m.get("email").and_then(Value::as_str),
                managed.then(|| p.email.as_deref().unwrap())
            );
        }
        let licensed: Vec<String> = trello_ids(
            &org,
            &people
                .iter()
                .copied()
                .filter(|&i| org.is_billable(&org.people[i], ProductKey::Trello))
                .collect::<Vec<_>>(),
        );
        assert_eq!(licensed.len() as u32, org.seats_used(ProductKey::Trello));
        let cutoff = org.now - time::Duration::days(90);
        let recent: Vec<String> = trello_ids(
            &org,
            &people
                .iter()
                .copied()
                .filter(|&i| {
                    org.people[i]
                        .last_active_in(ProductKey::Trello)
                        .is_some_and(|t| t >= cutoff)
                })
                .collect::<Vec<_>>(),
        );
        (licensed, recent, cutoff)
    };

    let got = enterprise_users(&sim, &spec, &[("licensed", "true")]).await;
    assert_eq!(ids(&Value::from(got), "/member/id"), licensed);
    let since = cutoff
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let got = enterprise_users(&sim, &spec, &[("activeSince", &since)]).await;
    assert_eq!(ids(&Value::from(got), "/member/id"), recent);

    let (status, body) = call(
        &sim,
        Method::GET,
        &query_path(&sim),
        &[("licensed", "false")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (
            400,
            Value::from("At least one association must be specified")
        )
    );
    let (status, _) = call(
        &sim,
        Method::GET,
        &query_path(&sim),
        &[("cursor", "not-ours")],
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn bad_credentials_and_unknown_ids_are_refused_in_plain_text() {
    let sim = support::sim(50).await;
    let c = sim.credentials().clone();
    let url = format!("{}{}", sim.urls().trello, members_path(&sim));
    let client = support::client();
    let cases = [
        (vec![], "invalid key"),
        (
            vec![("key", "wrong"), ("token", c.trello_token.as_str())],
            "invalid key",
        ),
        (vec![("key", c.trello_key.as_str())], "invalid token"),
        (
            vec![("key", c.trello_key.as_str()), ("token", "wrong")],
            "invalid token",
        ),
    ];
    for (query, text) in cases {
        let r = client.get(&url).query(&query).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(r.text().await.unwrap(), text);
    }
    // The OAuth header form.
    let header = format!(
        "OAuth oauth_consumer_key=\"{}\", oauth_token=\"{}\"",
        c.trello_key, c.trello_token
    );
    let r = client
        .get(&url)
        .header("authorization", header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    for (method, path) in [
        (
            Method::GET,
            "/organizations/0123456789abcdef01234567/members".to_owned(),
        ),
        (
            Method::GET,
            "/enterprises/0123456789abcdef01234567/members/query".to_owned(),
        ),
        (
            Method::DELETE,
            format!("{}/0123456789abcdef01234567", members_path(&sim)),
        ),
    ] {
        let (status, body) = call(&sim, method, &path, &[]).await;
        assert_eq!(
            (status.as_u16(), body),
            (404, Value::from("model not found")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn rate_limiting_answers_429_without_retry_after() {
    let sim = support::sim(20).await;
    sim.set_behaviour(Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 2,
            wait: Duration::from_secs(3),
        }),
        ..Behaviour::default()
    });
    let c = sim.credentials().clone();
    let url = format!("{}{}", sim.urls().trello, members_path(&sim));
    let client = support::client();
    let query = [
        ("key", c.trello_key.as_str()),
        ("token", c.trello_token.as_str()),
    ];
    assert_eq!(
        client
            .get(&url)
            .query(&query)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let limited = client.get(&url).query(&query).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(!limited.headers().contains_key("retry-after"));
    assert_eq!(limited.headers()["x-rate-limit-api-token-remaining"], "0");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "API_TOKEN_LIMIT_EXCEEDED");
}

#[tokio::test]
async fn an_invitation_adds_an_unconfirmed_licensed_member() {
    let sim = support::sim(200).await;
    let spec = Spec::load("trello.json");
    let used = sim.org().seats_used(ProductKey::Trello);
    let email = format!("new.hire@{}", sim.org().domain);
    let (status, _) = call(&sim, Method::PUT, &members_path(&sim), &[("email", &email)]).await;
    assert_eq!(status, 400, "fullName is required");
    let member = put(
        &sim,
        &members_path(&sim),
        &[
            ("email", &email),
            ("fullName", "New Hire"),
            ("type", "admin"),
        ],
    )
    .await;
    let id = member["id"].as_str().unwrap().to_owned();
    assert_eq!(member["fullName"], "New Hire");
    assert_eq!(member["confirmed"], false);
    assert_eq!(member["memberType"], "ghost");
    {
        let org = sim.org();
        let p = org.person_by_email(&email).unwrap();
        assert_eq!(p.trello_id, id);
        assert_eq!(p.status, Status::Invited);
        assert_eq!(org.seats_used(ProductKey::Trello), used + 1);
    }
    let listed = get(&sim, &members_path(&sim), &[]).await;
    assert!(ids(&listed, "/id").contains(&id));
    // The new admin beside the token's owner.
    let owner = sim.org().people[sim.org().admin].trello_id.clone();
    let admins = get(&sim, &memberships_path(&sim), &[("filter", "admin")]).await;
    let mut both = vec![owner, id.clone()];
    let mut listed_admins = ids(&admins, "/idMember");
    both.sort();
    listed_admins.sort();
    assert_eq!(listed_admins, both);
    let new = |list: &[Value], key: &str| {
        list.iter()
            .find(|v| v.pointer(key) == Some(&Value::from(id.as_str())))
            .cloned()
            .unwrap()
    };
    let admins = admins.as_array().unwrap();
    assert_eq!(new(admins, "/idMember")["unconfirmed"], true);
    let users = enterprise_users(&sim, &spec, &[("admin", "true")]).await;
    assert_eq!(users.len(), 2);
    let user = new(&users, "/member/id");
    assert_eq!(user["licensed"], true);
    assert_eq!(user["member"]["confirmed"], false);
}

#[tokio::test]
async fn removing_a_member_takes_trello_and_its_seat_away() {
    let sim = support::sim(200).await;
    let (i, id, used) = {
        let org = sim.org();
        let i = *seen(&org)
            .iter()
            .find(|&&i| i != org.admin && org.is_billable(&org.people[i], ProductKey::Trello))
            .unwrap();
        (
            i,
            org.people[i].trello_id.clone(),
            org.seats_used(ProductKey::Trello),
        )
    };
    let (status, body) = call(
        &sim,
        Method::DELETE,
        &format!("{}/{id}", members_path(&sim)),
        &[],
    )
    .await;
    assert_eq!((status.as_u16(), body), (200, serde_json::json!({})));
    {
        let org = sim.org();
        assert_eq!(org.access(&org.people[i], ProductKey::Trello), None);
        assert_eq!(org.seats_used(ProductKey::Trello), used - 1);
    }
    let listed = get(&sim, &members_path(&sim), &[]).await;
    assert!(!ids(&listed, "/id").contains(&id));
    assert_eq!(
        ids(&listed, "/id"),
        trello_ids(&sim.org(), &seen(&sim.org()))
    );
    let (status, _) = call(
        &sim,
        Method::DELETE,
        &format!("{}/{id}", members_path(&sim)),
        &[],
    )
    .await;
    assert_eq!(status, 404, "no longer a member");

    // Adding them back by id takes a seat again.
    let member = put(
        &sim,
        &format!("{}/{id}", members_path(&sim)),
        &[("type", "normal")],
    )
    .await;
    Spec::load("trello.json").check(
        "PUT",
        "/organizations/{id}/members/{idMember}",
        200,
        &member,
    );
    assert_eq!(sim.org().seats_used(ProductKey::Trello), used);
}

#[tokio::test]
async fn deactivation_in_the_workspace_keeps_the_licence() {
    let sim = support::sim(200).await;
    let spec = Spec::load("trello.json");
    let (i, id, used) = {
        let org = sim.org();
        let i = *seen(&org)
            .iter()
            .find(|&&i| i != org.admin && org.is_billable(&org.people[i], ProductKey::Trello))
            .unwrap();
        (
            i,
            org.people[i].trello_id.clone(),
            org.seats_used(ProductKey::Trello),
        )
    };
    let path = format!("{}/{id}/deactivated", members_path(&sim));
    let (status, _) = call(&sim, Method::PUT, &path, &[("value", "maybe")]).await;
    assert_eq!(status, 400);
    put(&sim, &path, &[("value", "true")]).await;
    assert!(sim.org().trello.deactivated.contains(&i));
    assert_eq!(sim.org().seats_used(ProductKey::Trello), used);
    let active = get(&sim, &memberships_path(&sim), &[("filter", "active")]).await;
    assert!(!ids(&active, "/idMember").contains(&id));
    let off = get(&sim, &memberships_path(&sim), &[("filter", "deactivated")]).await;
    assert!(ids(&off, "/idMember").contains(&id));
    let users = enterprise_users(&sim, &spec, &[("deactivated", "true")]).await;
    let user = users
        .iter()
        .find(|u| u["member"]["id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (user["deactivated"].clone(), user["licensed"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
    let member = get(&sim, &format!("/members/{id}"), &[]).await;
    assert_eq!(
        member["idEnterprisesDeactivated"][0],
        sim.org().trello_enterprise_id.as_str()
    );

    put(&sim, &path, &[("value", "false")]).await;
    let active = get(&sim, &memberships_path(&sim), &[("filter", "active")]).await;
    assert!(ids(&active, "/idMember").contains(&id));
    assert_eq!(sim.org().seats_used(ProductKey::Trello), used);
}

#[tokio::test]
async fn revoking_the_licence_frees_the_seat_and_deactivates() {
    let sim = support::sim(200).await;
    let spec = Spec::load("trello.json");
    let (i, id, used) = {
        let org = sim.org();
        let i = *seen(&org)
            .iter()
            .find(|&&i| i != org.admin && org.is_billable(&org.people[i], ProductKey::Trello))
            .unwrap();
        (
            i,
            org.people[i].trello_id.clone(),
            org.seats_used(ProductKey::Trello),
        )
    };
    let path = format!(
        "/enterprises/{}/members/{id}/licensed",
        sim.credentials().trello_enterprise
    );
    let member = put(&sim, &path, &[("value", "false")]).await;
    spec.check(
        "PUT",
        "/enterprises/{id}/members/{idMember}/licensed",
        200,
        &member,
    );
    {
        let org = sim.org();
        assert_eq!(org.seats_used(ProductKey::Trello), used - 1);
        assert_eq!(org.access(&org.people[i], ProductKey::Trello), None);
    }
    let users = enterprise_users(&sim, &spec, &[]).await;
    let user = users
        .iter()
        .find(|u| u["member"]["id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (user["licensed"].clone(), user["deactivated"].clone()),
        (Value::Bool(false), Value::Bool(true))
    );
    let off = get(&sim, &memberships_path(&sim), &[("filter", "deactivated")]).await;
    assert!(
        ids(&off, "/idMember").contains(&id),
        "still a member, deactivated"
    );

    put(&sim, &path, &[("value", "true")]).await;
    assert_eq!(sim.org().seats_used(ProductKey::Trello), used);
    let users = enterprise_users(&sim, &spec, &[("licensed", "true")]).await;
    let user = users
        .iter()
        .find(|u| u["member"]["id"] == id.as_str())
        .unwrap();
    assert_eq!(user["deactivated"], false);
}

#[tokio::test]
async fn invitations_stop_when_the_licences_run_out() {
    let sim = support::sim(100).await;
    let free = {
        let org = sim.org();
        org.product(ProductKey::Trello).seats - org.seats_used(ProductKey::Trello)
    };
    for n in 0..free {
        let email = format!("hire{n}@example.org");
        put(
            &sim,
            &members_path(&sim),
            &[("email", &email), ("fullName", "Hire")],
        )
        .await;
    }
    let (status, body) = call(
        &sim,
        Method::PUT,
        &members_path(&sim),
        &[("email", "one.too.many@example.org"), ("fullName", "Late")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (403, Value::from("not enough licenses"))
    );
    let org = sim.org();
    assert_eq!(
        org.seats_used(ProductKey::Trello),
        org.product(ProductKey::Trello).seats
    );
}

#[tokio::test]
async fn without_an_enterprise_members_name_none_and_its_routes_are_unknown() {
    let sim = support::with_options(SimOptions {
        people: 200,
        trello_enterprise: false,
        ..SimOptions::default()
    })
    .await;
    let spec = Spec::load("trello.json");
    let (i, id, used) = {
        let org = sim.org();
        let i = *seen(&org)
            .iter()
            .find(|&&i| i != org.admin && org.is_billable(&org.people[i], ProductKey::Trello))
            .unwrap();
        (
            i,
            org.people[i].trello_id.clone(),
            org.seats_used(ProductKey::Trello),
        )
    };
    // An admin and a deactivated member, who would be listed under an
    // enterprise.
    put(
        &sim,
        &format!("{}/{id}", members_path(&sim)),
        &[("type", "admin")],
    )
    .await;
    put(
        &sim,
        &format!("{}/{id}/deactivated", members_path(&sim)),
        &[("value", "true")],
    )
    .await;
    let all = get(&sim, &members_path(&sim), &[("fields", "all")]).await;
    spec.check("GET", "/organizations/{id}/members", 200, &all);
    assert_eq!(ids(&all, "/id"), trello_ids(&sim.org(), &seen(&sim.org())));
    for m in all.as_array().unwrap() {
        assert!(m.get("idEnterprise").is_none(), "{m}");
        assert_eq!(m["idEnterprisesAdmin"], serde_json::json!([]));
        assert_eq!(m["idEnterprisesDeactivated"], serde_json::json!([]));
    }
    let member = get(&sim, &format!("/members/{id}"), &[]).await;
    assert!(member.get("idEnterprise").is_none());

    let enterprise = sim.credentials().trello_enterprise.clone();
    let licensed = format!("/enterprises/{enterprise}/members/{id}/licensed");
    for (method, path, query) in [
        (Method::GET, format!("/enterprises/{enterprise}"), vec![]),
        (Method::GET, query_path(&sim), vec![]),
        (Method::PUT, licensed, vec![("value", "false")]),
    ] {
        let (status, body) = call(&sim, method, &path, &query).await;
        assert_eq!(
            (status.as_u16(), body),
            (404, Value::from("model not found")),
            "{path}"
        );
    }
    let org = sim.org();
    assert_eq!(org.seats_used(ProductKey::Trello), used);
    assert!(org.is_billable(&org.people[i], ProductKey::Trello));
}

/// The workspace object `GET /organizations/{id}` should answer.
fn workspace_object(org: &Org, enterprise: Option<&str>, offering: &str) -> Value {
    serde_json::json!({
        "id": org.trello_workspace_id,
        "name": org.trello_workspace_name,
        "displayName": org.name,
        "url": format!("https://trello.com/w/{}", org.trello_workspace_name),
        "idEnterprise": enterprise,
        "offering": offering,
    })
}

#[tokio::test]
async fn the_workspace_names_its_enterprise_or_none() {
    let sim = support::sim(50).await;
    let (by_id, by_name) = {
        let org = sim.org();
        (
            format!("/organizations/{}", org.trello_workspace_id),
            format!("/organizations/{}", org.trello_workspace_name),
        )
    };
    let expected = {
        let org = sim.org();
        workspace_object(&org, Some(&org.trello_enterprise_id), "trello.enterprise")
    };
    assert_eq!(get(&sim, &by_id, &[]).await, expected);
    assert_eq!(get(&sim, &by_name, &[("fields", "name")]).await, expected);
    let (status, body) = call(
        &sim,
        Method::GET,
        "/organizations/0123456789abcdef01234567",
        &[],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (404, Value::from("model not found"))
    );

    let alone = support::with_options(SimOptions {
        people: 50,
        trello_enterprise: false,
        ..SimOptions::default()
    })
    .await;
    let by_id = format!("/organizations/{}", alone.credentials().trello_workspace);
    let expected = workspace_object(&alone.org(), None, "trello.standard");
    assert_eq!(get(&alone, &by_id, &[]).await, expected);
}

#[tokio::test]
async fn the_enterprise_counts_its_licences_as_the_query_does() {
    let sim = support::sim(400).await;
    let spec = Spec::load("trello.json");
    let admin = {
        let org = sim.org();
        org.people[seen(&org)[0]].trello_id.clone()
    };
    put(
        &sim,
        &format!("{}/{admin}", members_path(&sim)),
        &[("type", "admin")],
    )
    .await;
    let path = format!("/enterprises/{}", sim.credentials().trello_enterprise);
    let enterprise = get(&sim, &path, &[("fields", "displayName")]).await;
    let licensed = enterprise_users(&sim, &spec, &[("licensed", "true")]).await;
    let org = sim.org();
    assert!(licensed.len() > 50);
    assert_eq!(
        enterprise,
        serde_json::json!({
            "id": org.trello_enterprise_id,
            "name": org.site,
            "displayName": org.name,
            "idAdmins": [admin],
            "idOrganizations": [org.trello_workspace_id],
            "licenses": {
                "maxMembers": org.product(ProductKey::Trello).seats,
                "totalMembers": licensed.len(),
            },
        })
    );
    assert_eq!(licensed.len() as u32, org.seats_used(ProductKey::Trello));
}

#[tokio::test]
async fn under_admin_hub_licences_stay_as_they_are() {
    let sim = support::with_options(SimOptions {
        people: 200,
        trello_admin_hub: true,
        ..SimOptions::default()
    })
    .await;
    let spec = Spec::load("trello.json");
    let (i, id, used) = {
        let org = sim.org();
        let i = *seen(&org)
            .iter()
            .find(|&&i| i != org.admin && org.is_billable(&org.people[i], ProductKey::Trello))
            .unwrap();
        (
            i,
            org.people[i].trello_id.clone(),
            org.seats_used(ProductKey::Trello),
        )
    };
    let enterprise = sim.credentials().trello_enterprise.clone();
    let path = format!("/enterprises/{enterprise}/members/{id}/licensed");
    for value in ["false", "true"] {
        let (status, body) = call(&sim, Method::PUT, &path, &[("value", value)]).await;
        assert_eq!(
            (status.as_u16(), body),
            (
                403,
                Value::from("Enterprise user management has moved to Atlassian Administration")
            )
        );
    }
    {
        let org = sim.org();
        assert_eq!(org.seats_used(ProductKey::Trello), used);
        assert!(org.is_billable(&org.people[i], ProductKey::Trello));
        assert!(!org.trello.deactivated.contains(&i));
    }
    let users = enterprise_users(&sim, &spec, &[("licensed", "true")]).await;
    let user = users
        .iter()
        .find(|u| u["member"]["id"] == id.as_str())
        .expect("still licensed");
    assert_eq!(user["deactivated"], false);

    let object = get(&sim, &format!("/enterprises/{enterprise}"), &[]).await;
    assert_eq!(
        object["idAtlassianOrganization"],
        sim.credentials().org_id.as_str()
    );
}
