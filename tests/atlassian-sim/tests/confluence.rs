//! Confluence Cloud (REST v1 and the v2 invitations) as the simulator
//! serves it: every answer checked against the published schema and
//! against the organisation.

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
    Spec::load("confluence.json")
}

/// Whether the person can use Confluence now.
fn can_use(org: &Org, p: &Person) -> bool {
    p.is_enabled() && org.access(p, ProductKey::Confluence).is_some()
}

/// Who each `sitePermissionTypeFilter` lists, in directory order.
fn expected_search(org: &Org, filter: &str) -> Vec<String> {
    org.people
        .iter()
        .filter(|p| p.account_type != AccountType::Customer)
        .filter(|p| {
            let access = org.access(p, ProductKey::Confluence);
            match filter {
                "none" => access.is_some_and(|a| a.role != Role::Guest),
                "externalCollaborator" => access.is_some_and(|a| a.role == Role::Guest),
                _ => true,
            }
        })
        .map(|p| p.account_id.clone())
        .collect()
}

/// Follows `_links.next` (relative to `/wiki`) from `first` to the last
/// page, checking every page against the schema of `template`.
async fn follow(sim: &Simulator, template: &str, first: String) -> (Vec<Value>, Vec<Value>) {
    let spec = spec();
    let mut pages = Vec::new();
    let mut items = Vec::new();
    let mut next = Some(first);
    while let Some(path) = next {
        let (status, page) = get(sim, &format!("/wiki{path}"), &[]).await;
        assert_eq!(status, 200, "{path}: {page}");
        spec.check("GET", template, 200, &page);
        assert_eq!(page["size"], page["results"].as_array().unwrap().len());
        items.extend(page["results"].as_array().unwrap().iter().cloned());
        next = page["_links"]["next"].as_str().map(str::to_owned);
        if let Some(n) = &next {
            assert!(n.starts_with("/rest/api/"), "relative: {n}");
        }
        pages.push(page);
    }
    (items, pages)
}

#[tokio::test]
async fn user_search_pages_by_start_and_limit_to_the_last_user() {
    let sim = support::sim(300).await;
    for filter in ["none", "externalCollaborator", "all"] {
        let first = format!(
            "/rest/api/search/user?cql=type%3Duser&expand=operations&sitePermissionTypeFilter={filter}&start=0"
        );
        let (hits, pages) = follow(&sim, "/wiki/rest/api/search/user", first).await;
        let org = sim.org();
        let truth = expected_search(&org, filter);
        assert!(!truth.is_empty(), "{filter}");
        let ids: Vec<&str> = hits
            .iter()
            .map(|h| h["user"]["accountId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, truth, "{filter}");
        for page in &pages {
            assert_eq!(page["limit"], 25, "the default limit");
            assert_eq!(page["totalSize"], truth.len());
            assert_eq!(page["cqlQuery"], "type=user");
        }
        assert_eq!(pages.len(), truth.len().div_ceil(25));
        for hit in &hits {
            assert_eq!(hit["entityType"], "user");
            let user = &hit["user"];
            let p = org.person(user["accountId"].as_str().unwrap()).unwrap();
            assert_eq!(hit["title"], p.name.as_str());
            assert_eq!(user["displayName"], p.name.as_str());
            assert_eq!(user["publicName"], p.nickname.as_str());
            let email = (p.email_visible && p.account_type != AccountType::App)
                .then(|| p.email.clone())
                .flatten();
            assert_eq!(user["email"], json!(email));
            let guest = org
                .access(p, ProductKey::Confluence)
                .is_some_and(|a| a.role == Role::Guest);
            assert_eq!(user["isExternalCollaborator"], guest);
            let operations = user["operations"].as_array().unwrap();
            assert_eq!(!operations.is_empty(), can_use(&org, p), "{user}");
        }
    }
    // Both kinds of operations show among licensed users.
    let (_, page) = get(
        &sim,
        "/wiki/rest/api/search/user",
        &[
            ("cql", "type=user"),
            ("expand", "operations"),
            ("limit", "500"),
        ],
    )
    .await;
    let results = page["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["user"]["operations"] == json!([])));
    assert!(results.iter().any(|r| r["user"]["operations"] != json!([])));
    assert!(page["_links"].get("next").is_none());
}

#[tokio::test]
async fn user_search_caps_its_limit_and_refuses_other_queries() {
    let sim = support::sim(1_500).await;
    let (status, page) = get(
        &sim,
        "/wiki/rest/api/search/user",
        &[
            ("cql", "type=user"),
            ("limit", "5000"),
            ("sitePermissionTypeFilter", "all"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["limit"], 1000);
    assert_eq!(page["size"], 1000);
    let total = expected_search(&sim.org(), "all").len();
    assert_eq!(page["totalSize"], total);
    let (_, past) = get(
        &sim,
        "/wiki/rest/api/search/user",
        &[("cql", "type=user"), ("start", "100000")],
    )
    .await;
    assert_eq!(past["results"], json!([]));
    assert_eq!(past["size"], 0);
    for cql in ["type=page", "user.fullname~ana"] {
        let (status, body) = get(&sim, "/wiki/rest/api/search/user", &[("cql", cql)]).await;
        assert_eq!(status, 400, "{cql}");
        assert_eq!(body["statusCode"], 400);
    }
    let (status, _) = get(&sim, "/wiki/rest/api/search/user", &[]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn groups_page_by_name_with_relative_next_links() {
    let sim = support::sim(100).await;
    let (groups, pages) = follow(
        &sim,
        "/wiki/rest/api/group",
        "/rest/api/group?limit=4".into(),
    )
    .await;
    let mut truth: Vec<(String, String)> = sim
        .org()
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.id.clone()))
        .collect();
    truth.sort();
    let seen: Vec<(String, String)> = groups
        .iter()
        .map(|g| {
            assert_eq!(g["type"], "group");
            (
                g["name"].as_str().unwrap().to_owned(),
                g["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(seen, truth);
    assert_eq!(pages.len(), truth.len().div_ceil(4));
    let (_, admins) = get(&sim, "/wiki/rest/api/group", &[("accessType", "admin")]).await;
    assert_eq!(admins["results"][0]["name"], "confluence-admins");
    assert_eq!(admins["size"], 1);
}

/// The members of `group` Confluence lists: everyone but the suspended.
fn expected_members(org: &Org, group: &str) -> Vec<String> {
    let g = org.group_by_name(group).unwrap();
    org.people
        .iter()
        .filter(|p| p.groups.contains(&g) && p.status != Status::Suspended)
        .map(|p| p.account_id.clone())
        .collect()
}

#[tokio::test]
async fn members_by_group_id_leave_out_the_suspended_after_paging_and_refuse_large_pages() {
    let sim = support::sim(400).await;
    let id = {
        let org = sim.org();
        org.groups[org.group_by_name("confluence-users").unwrap()]
            .id
            .clone()
    };
    let (members, pages) = follow(
        &sim,
        "/wiki/rest/api/group/{groupId}/membersByGroupId",
        format!("/rest/api/group/{id}/membersByGroupId?limit=50&expand=operations&shouldReturnTotalSize=true"),
    )
    .await;
    let org = sim.org().clone();
    let truth = expected_members(&org, "confluence-users");
    let g = org.group_by_name("confluence-users").unwrap();
    assert!(
        org.people
            .iter()
            .any(|p| p.groups.contains(&g) && p.status == Status::Suspended),
        "the group has suspended members to leave out"
    );
    let ids: Vec<&str> = members
        .iter()
        .map(|m| m["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, truth);
    let positions = org.people.iter().filter(|p| p.groups.contains(&g)).count();
    assert_eq!(
        pages[0]["totalSize"], positions,
        "suspended members hold positions"
    );
    assert!(
        pages[..pages.len() - 1]
            .iter()
            .any(|p| p["size"].as_u64() < p["limit"].as_u64()),
        "a page short of its suspended members still links to the next"
    );
    for m in &members {
        let p = org.person(m["accountId"].as_str().unwrap()).unwrap();
        assert_eq!(
            !m["operations"].as_array().unwrap().is_empty(),
            can_use(&org, p)
        );
    }
    let path = format!("/wiki/rest/api/group/{id}/membersByGroupId");
    let (status, body) = get(&sim, &path, &[("limit", "201")]).await;
    assert_eq!(status, 400);
    assert_eq!(body["statusCode"], 400);
    let (status, _) = get(&sim, &path, &[("limit", "200")]).await;
    assert_eq!(status, 200);
    let (status, _) = get(&sim, "/wiki/rest/api/group/nope/membersByGroupId", &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_user_and_their_groups() {
    let sim = support::sim(100).await;
    let spec = spec();
    let person = {
        let org = sim.org();
        org.people
            .iter()
            .find(|p| p.groups.len() >= 2 && can_use(&org, p))
            .unwrap()
            .clone()
    };
    let id = person.account_id.as_str();
    let (status, user) = get(
        &sim,
        "/wiki/rest/api/user",
        &[("accountId", id), ("expand", "operations")],
    )
    .await;
    assert_eq!(status, 200);
    spec.check("GET", "/wiki/rest/api/user", 200, &user);
    assert_eq!(user["accountId"], id);
    assert_eq!(user["type"], "known");
    assert_eq!(user["accountType"], "atlassian");
    assert_eq!(user["displayName"], person.name.as_str());
    assert!(!user["operations"].as_array().unwrap().is_empty());
    let (_, plain) = get(&sim, "/wiki/rest/api/user", &[("accountId", id)]).await;
    assert!(plain.get("operations").is_none());
    assert!(plain["_expandable"].get("operations").is_some());

    let (status, groups) = get(&sim, "/wiki/rest/api/user/memberof", &[("accountId", id)]).await;
    assert_eq!(status, 200);
    spec.check("GET", "/wiki/rest/api/user/memberof", 200, &groups);
    let org = sim.org().clone();
    let mut truth: Vec<&str> = person
        .groups
        .iter()
        .map(|&g| org.groups[g].name.as_str())
        .collect();
    truth.sort();
    let seen: Vec<&str> = groups["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(seen, truth);
    let (status, body) = get(&sim, "/wiki/rest/api/user", &[("accountId", "nobody")]).await;
    assert_eq!(status, 404);
    assert_eq!(body["statusCode"], 404);

    // The caller, whatever their permissions.
    let path = "/wiki/rest/api/user/current";
    let expand = [("expand", "operations")];
    let (status, me) = get(&sim, path, &expand).await;
    assert_eq!(status, 200);
    spec.check("GET", path, 200, &me);
    assert_eq!(me["accountId"], org.people[org.admin].account_id.as_str());
    let (status, me) = call(&sim, Who::User, Method::GET, path, &expand, None).await;
    assert_eq!(status, 200);
    assert_eq!(me["accountId"], org.people[org.user].account_id.as_str());
    let (status, _) = call(&sim, Who::Nobody, Method::GET, path, &[], None).await;
    assert_eq!(status, 401);
}

/// An active person without Confluence.
fn outsider(org: &Org) -> usize {
    org.people
        .iter()
        .position(|p| {
            p.account_type == AccountType::Atlassian
                && p.status == Status::Active
                && org.access(p, ProductKey::Confluence).is_none()
        })
        .expect("an outsider")
}

async fn operations(sim: &Simulator, id: &str) -> Value {
    let (_, user) = get(
        sim,
        "/wiki/rest/api/user",
        &[("accountId", id), ("expand", "operations")],
    )
    .await;
    user["operations"].clone()
}

#[tokio::test]
async fn adding_and_removing_group_members_changes_confluence_access() {
    let sim = support::sim(250).await;
    let confluence = ProductKey::Confluence;
    let (p, id, group, used) = {
        let org = sim.org();
        let p = outsider(&org);
        let group = org.groups[org.product(confluence).default_group].id.clone();
        (
            p,
            org.people[p].account_id.clone(),
            group,
            org.seats_used(confluence),
        )
    };
    assert_eq!(operations(&sim, &id).await, json!([]));
    let query = [("groupId", group.as_str())];
    for _ in 0..2 {
        let (status, _) = call(
            &sim,
            Who::Admin,
            Method::POST,
            "/wiki/rest/api/group/userByGroupId",
            &query,
            Some(json!({ "accountId": id })),
        )
        .await;
        assert_eq!(status, 201);
        assert_eq!(sim.org().seats_used(confluence), used + 1);
    }
    assert!(sim.org().is_billable(&sim.org().people[p], confluence));
    assert_eq!(
        operations(&sim, &id).await,
        json!([{ "operation": "use", "targetType": "application" }])
    );
    let members = expected_members(&sim.org(), "confluence-users");
    assert!(members.contains(&id));

    let remove = [("groupId", group.as_str()), ("accountId", id.as_str())];
    for _ in 0..2 {
        // 204 also when no longer a member.
        let (status, _) = call(
            &sim,
            Who::Admin,
            Method::DELETE,
            "/wiki/rest/api/group/userByGroupId",
            &remove,
            None,
        )
        .await;
        assert_eq!(status, 204);
        assert_eq!(sim.org().seats_used(confluence), used);
    }
    assert_eq!(operations(&sim, &id).await, json!([]));

    let (status, _) = call(
        &sim,
        Who::Admin,
        Method::POST,
        "/wiki/rest/api/group/userByGroupId",
        &[("groupId", "nope")],
        Some(json!({ "accountId": id })),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &sim,
        Who::Admin,
        Method::POST,
        "/wiki/rest/api/group/userByGroupId",
        &query,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn writes_without_the_xsrf_header_or_a_json_body_are_refused() {
    let sim = support::sim(80).await;
    let (group, someone) = {
        let org = sim.org();
        let g = org.product(ProductKey::Confluence).default_group;
        (
            org.groups[g].id.clone(),
            org.people[outsider(&org)].account_id.clone(),
        )
    };
    let c = sim.credentials();
    let url = format!("{}/wiki/rest/api/group/userByGroupId", sim.urls().site);
    let client = support::client();
    let add = || {
        client
            .post(&url)
            .basic_auth(&c.admin_email, Some(&c.admin_api_token))
            .query(&[("groupId", group.as_str())])
    };
    let body = json!({ "accountId": someone }).to_string();
    let (status, answer) = support::answer(add().body(body.clone())).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["message"], "XSRF check failed");
    let plain = add().header("X-Atlassian-Token", "no-check").body(body);
    let (status, _) = support::answer(plain).await;
    assert_eq!(status, 415, "a body without a JSON content type");
    let remove = client
        .delete(&url)
        .basic_auth(&c.admin_email, Some(&c.admin_api_token))
        .query(&[("groupId", group.as_str()), ("accountId", someone.as_str())]);
    let (status, _) = support::answer(remove).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_and_ordinary_users_403() {
    let sim = support::sim(80).await;
    for who in [Who::Nobody, Who::WrongToken] {
        let (status, body) = call(&sim, who, Method::GET, "/wiki/rest/api/group", &[], None).await;
        assert_eq!(status, 401);
        assert_eq!(body["statusCode"], 401);
        let (status, body) = call(
            &sim,
            who,
            Method::POST,
            "/wiki/api/v2/user/access/check-access-by-email",
            &[],
            Some(json!({ "emails": ["a@b.example"] })),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(body["errors"][0]["status"], 401);
    }
    // The ordinary user reads only when they can use Confluence.
    let user_can_use = {
        let org = sim.org();
        can_use(&org, &org.people[org.user])
    };
    let (status, _) = call(
        &sim,
        Who::User,
        Method::GET,
        "/wiki/rest/api/group",
        &[],
        None,
    )
    .await;
    assert_eq!(status, if user_can_use { 200 } else { 403 });

    let before = sim.org().clone();
    let group = before.groups[before.product(ProductKey::Confluence).default_group]
        .id
        .clone();
    let someone = before.people[outsider(&before)].account_id.clone();
    let (status, body) = call(
        &sim,
        Who::User,
        Method::POST,
        "/wiki/rest/api/group/userByGroupId",
        &[("groupId", group.as_str())],
        Some(json!({ "accountId": someone })),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["statusCode"], 403);
    let (status, _) = call(
        &sim,
        Who::User,
        Method::DELETE,
        "/wiki/rest/api/group/userByGroupId",
        &[("groupId", group.as_str()), ("accountId", someone.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = call(
        &sim,
        Who::User,
        Method::POST,
        "/wiki/api/v2/user/access/invite-by-email",
        &[],
        Some(json!({ "emails": ["someone.new@acme11.example"] })),
    )
    .await;
    assert_eq!(status, 404, "v2 answers a missing permission with 404");
    assert_eq!(body["errors"][0]["status"], 404);
    assert_eq!(*sim.org(), before, "refused writes change nothing");
}

#[tokio::test]
async fn invitations_add_confluence_users_and_check_access_reports_who_lacks_it() {
    let sim = support::sim(200).await;
    let v2 = Spec::load("confluence_v2.json");
    let confluence = ProductKey::Confluence;
    let (member, outsider_email) = {
        let org = sim.org();
        let member = org
            .people
            .iter()
            .find(|p| p.email.is_some() && can_use(&org, p))
            .unwrap();
        let outsider = &org.people[outsider(&org)];
        (
            member.email.clone().unwrap(),
            outsider.email.clone().unwrap(),
        )
    };
    let fresh = "fresh.face@acme11.example";
    let emails = json!({ "emails": [fresh, member, outsider_email, "not an email"] });
    let check = |body: Value| {
        call(
            &sim,
            Who::Admin,
            Method::POST,
            "/wiki/api/v2/user/access/check-access-by-email",
            &[],
            Some(body),
        )
    };
    let (status, answer) = check(emails.clone()).await;
    assert_eq!(status, 200);
    v2.check("POST", "/user/access/check-access-by-email", 200, &answer);
    assert_eq!(
        answer,
        json!({ "emailsWithoutAccess": [fresh, outsider_email], "invalidEmails": ["not an email"] })
    );

    let used = sim.org().seats_used(confluence);
    let people = sim.org().people.len();
    // The documented answer is 200 without a body schema to check.
    let (status, _) = call(
        &sim,
        Who::Admin,
        Method::POST,
        "/wiki/api/v2/user/access/invite-by-email",
        &[],
        Some(emails.clone()),
    )
    .await;
    assert_eq!(status, 200);
    {
        let org = sim.org();
        assert_eq!(org.people.len(), people + 1);
        let invited = org.person_by_email(fresh).unwrap();
        assert_eq!(invited.status, Status::Invited);
        assert!(org.is_billable(invited, confluence));
        assert!(can_use(&org, org.person_by_email(&outsider_email).unwrap()));
        assert_eq!(org.seats_used(confluence), used + 2);
    }
    let (_, answer) = check(emails).await;
    assert_eq!(
        answer,
        json!({ "emailsWithoutAccess": [], "invalidEmails": ["not an email"] })
    );

    for bad in [
        json!({ "emails": [] }),
        json!({ "emails": vec!["a@b.example"; 101] }),
        json!({}),
    ] {
        let (status, body) = check(bad).await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"][0]["code"], "INVALID_REQUEST_PARAMETER");
    }
}

#[tokio::test]
async fn invitations_beyond_the_seats_left_are_refused_whole() {
    let sim = support::sim(120).await;
    let before = sim.org().clone();
    let left =
        before.product(ProductKey::Confluence).seats - before.seats_used(ProductKey::Confluence);
    let emails: Vec<String> = (0..=left)
        .map(|i| format!("newcomer.{i}@acme11.example"))
        .collect();
    let (status, body) = call(
        &sim,
        Who::Admin,
        Method::POST,
        "/wiki/api/v2/user/access/invite-by-email",
        &[],
        Some(json!({ "emails": emails })),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(*sim.org(), before);
}
