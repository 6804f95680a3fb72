//! The SCIM provisioning API against the ground truth and Atlassian's
//! published response schemas.

mod support;

use atlassian_sim::{AccountType, Org, Simulator, Status};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Spec;

const USERS: &str = "/scim/directory/{directoryId}/Users";
const USER: &str = "/scim/directory/{directoryId}/Users/{userId}";
const GROUPS: &str = "/scim/directory/{directoryId}/Groups";

/// A client for one simulator's SCIM directory.
struct Scim {
    sim: Simulator,
    client: reqwest::Client,
    spec: Spec,
}

impl Scim {
    async fn new(people: usize) -> Scim {
        Scim {
            sim: support::sim(people).await,
            client: support::client(),
            spec: Spec::load("admin_user_provisioning.json"),
        }
    }

    fn base(&self) -> String {
        format!(
            "{}/scim/directory/{}",
            self.sim.urls().admin,
            self.sim.credentials().directory_id
        )
    }

    /// Sends `method` to `url` with `key` (none for no header).
    async fn send_as(
        &self,
        key: Option<&str>,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, url);
        if let Some(k) = key {
            request = request.bearer_auth(k);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        support::answer(request).await
    }

    /// Sends to `path` under the directory with the directory key.
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let key = self.sim.credentials().scim_api_key.clone();
        let url = format!("{}{path}", self.base());
        self.send_as(Some(&key), method, &url, body).await
    }

    /// Every user, `count` a page, following `startIndex`.
    async fn all_users(&self, count: usize) -> (Vec<Value>, usize) {
        let mut users = Vec::new();
        let mut start = 1;
        let mut pages = 0;
        loop {
            let (status, page) = self
                .send(
                    Method::GET,
                    &format!("/Users?startIndex={start}&count={count}"),
                    None,
                )
                .await;
            assert_eq!(status, 200);
            self.spec.check("GET", USERS, 200, &page);
            assert_eq!(page["startIndex"], start);
            let resources = page["Resources"].as_array().unwrap().clone();
            assert_eq!(page["itemsPerPage"], resources.len());
            let total = page["totalResults"].as_u64().unwrap() as usize;
            users.extend(resources);
            pages += 1;
            start += count;
            if start > total {
                return (users, pages);
            }
        }
    }
}

/// Indexes of the people SCIM shows: synced and not deactivated.
fn scim_people(org: &Org) -> Vec<usize> {
    (0..org.people.len())
        .filter(|&i| {
            let p = &org.people[i];
            p.scim_id.is_some()
                && p.account_type == AccountType::Atlassian
                && p.status != Status::Deactivated
        })
        .collect()
}

#[tokio::test]
async fn start_index_paging_reaches_the_last_user_exactly() {
    let s = Scim::new(900).await;
    let expected = scim_people(&s.sim.org());
    let total = expected.len();
    // A page size dividing the total exactly, and one that does not.
    let exact = (2..=100)
        .rev()
        .find(|&c| total.is_multiple_of(c))
        .expect("a divisor");
    let uneven = (2..=100)
        .rev()
        .find(|&c| !total.is_multiple_of(c))
        .expect("a non-divisor");
    for count in [exact, uneven] {
        let (users, pages) = s.all_users(count).await;
        assert_eq!(pages, total.div_ceil(count), "count {count}");
        assert_eq!(users.len(), total);
        let org = s.sim.org();
        for (u, &i) in users.iter().zip(&expected) {
            let p = &org.people[i];
            assert_eq!(u["id"], p.scim_id.as_deref().unwrap());
            assert_eq!(u["userName"], p.email.as_deref().unwrap());
            assert_eq!(u["displayName"], p.name.as_str());
            assert_eq!(u["active"], true);
            assert_eq!(
                u["urn:scim:schemas:extension:atlassian-external:1.0"]["atlassianAccountId"],
                p.account_id.as_str()
            );
            let groups: Vec<&str> = u["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["value"].as_str().unwrap())
                .collect();
            let truth: Vec<&str> = p
                .groups
                .iter()
                .map(|&g| org.groups[g].id.as_str())
                .collect();
            assert_eq!(groups, truth);
        }
    }
    // Past the end: an empty page that still counts everyone.
    let (_, page) = s
        .send(
            Method::GET,
            &format!("/Users?startIndex={}", total + 1),
            None,
        )
        .await;
    assert_eq!(page["totalResults"], total);
    assert_eq!(page["Resources"], json!([]));
}

#[tokio::test]
async fn filters_find_one_user_and_odd_filters_are_refused() {
    let s = Scim::new(200).await;
    let (email, id) = {
        let org = s.sim.org();
        let i = scim_people(&org)[3];
        let p = &org.people[i];
        (p.email.clone().unwrap(), p.scim_id.clone().unwrap())
    };
    let query = format!(
        "/Users?filter=userName%20eq%20%22{}%22",
        email.to_uppercase()
    );
    let (status, page) = s.send(Method::GET, &query, None).await;
    assert_eq!(status, 200);
    s.spec.check("GET", USERS, 200, &page);
    assert_eq!(page["totalResults"], 1);
    assert_eq!(page["Resources"][0]["id"], id.as_str());
    let (status, page) = s
        .send(
            Method::GET,
            "/Users?filter=name.givenName%20co%20%22a%22",
            None,
        )
        .await;
    assert_eq!(status, 400);
    s.spec.check("GET", USERS, 400, &page);
    assert_eq!(page["scimType"], "invalidFilter");
}

#[tokio::test]
async fn only_the_directory_key_and_directory_are_accepted() {
    let s = Scim::new(50).await;
    let c = s.sim.credentials().clone();
    let url = format!("{}/Users", s.base());
    for key in [None, Some(c.org_api_key.as_str()), Some("nope")] {
        let (status, body) = s.send_as(key, Method::GET, &url, None).await;
        assert_eq!(status, 401, "{key:?}");
        s.spec.check("GET", USERS, 401, &body);
        assert_eq!(body["status"], "401");
    }
    let other = format!("{}/scim/directory/elsewhere/Users", s.sim.urls().admin);
    let (status, body) = s
        .send_as(Some(&c.scim_api_key), Method::GET, &other, None)
        .await;
    assert_eq!(status, 404);
    s.spec.check("GET", USERS, 404, &body);
}

#[tokio::test]
async fn deactivation_hides_the_user_until_it_is_created_again() {
    let s = Scim::new(200).await;
    let (i, id, email, seats) = {
        let org = s.sim.org();
        let i = *scim_people(&org)
            .iter()
            .find(|&&i| org.people[i].status == Status::Active)
            .expect("an active synced person");
        let p = &org.people[i];
        let seats: Vec<bool> = atlassian_sim::ProductKey::ALL
            .into_iter()
            .map(|k| org.is_billable(p, k))
            .collect();
        (
            i,
            p.scim_id.clone().unwrap(),
            p.email.clone().unwrap(),
            seats,
        )
    };
    let (status, body) = s.send(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 200);
    s.spec.check("GET", USER, 200, &body);
    assert_eq!(body["meta"]["resourceType"], "USER");

    let (status, body) = s.send(Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 204);
    assert_eq!(body, Value::Null);
    assert_eq!(s.sim.org().people[i].status, Status::Deactivated);
    for method in [Method::GET, Method::DELETE] {
        let (status, body) = s.send(method.clone(), &format!("/Users/{id}"), None).await;
        assert_eq!(status, 404, "{method}");
        s.spec.check(method.as_str(), USER, 404, &body);
    }
    let (_, page) = s
        .send(
            Method::GET,
            &format!("/Users?filter=userName%20eq%20%22{email}%22"),
            None,
        )
        .await;
    assert_eq!(page["totalResults"], 0);

    // Creating the user again reactivates the same account and SCIM id.
    let (status, body) = s
        .send(
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": email,
                "active": true,
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    s.spec.check("POST", USERS, 201, &body);
    assert_eq!(body["id"], id.as_str());
    let org = s.sim.org();
    assert_eq!(org.people[i].status, Status::Active);
    let after: Vec<bool> = atlassian_sim::ProductKey::ALL
        .into_iter()
        .map(|k| org.is_billable(&org.people[i], k))
        .collect();
    assert_eq!(after, seats, "groups survive deactivation");
}

#[tokio::test]
async fn patch_takes_both_spellings_and_put_replaces() {
    let s = Scim::new(200).await;
    let (i, id) = {
        let org = s.sim.org();
        let i = scim_people(&org)[0];
        (i, org.people[i].scim_id.clone().unwrap())
    };
    let path = format!("/Users/{id}");
    let (status, body) = s
        .send(
            Method::PATCH,
            &path,
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "replace", "path": "displayName", "value": "Ana Nova" }],
            })),
        )
        .await;
    assert_eq!(status, 200);
    s.spec.check("PATCH", USER, 200, &body);
    assert_eq!(body["displayName"], "Ana Nova");
    assert_eq!(s.sim.org().people[i].name, "Ana Nova");

    let (status, body) = s
        .send(
            Method::PATCH,
            &path,
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "operations": [{ "op": "replace", "value": { "active": false } }],
            })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], false);
    assert_eq!(s.sim.org().people[i].status, Status::Deactivated);
    let (status, _) = s.send(Method::GET, &path, None).await;
    assert_eq!(status, 404);

    let (status, body) = s
        .send(
            Method::PATCH,
            &path,
            Some(json!({ "Operations": [{ "op": "replace", "path": "active", "value": true }] })),
        )
        .await;
    assert_eq!(
        status, 404,
        "a deactivated user is gone to PATCH too: {body}"
    );

    // Reactivate through POST, then PUT a full representation.
    let email = s.sim.org().people[i].email.clone().unwrap();
    let (status, _) = s
        .send(Method::POST, "/Users", Some(json!({ "userName": email })))
        .await;
    assert_eq!(status, 201);
    let (status, body) = s
        .send(
            Method::PUT,
            &path,
            Some(json!({
                "userName": email,
                "externalId": "00u-ext",
                "name": { "givenName": "Bea", "familyName": "Quist" },
                "nickName": "bq",
                "active": true,
            })),
        )
        .await;
    assert_eq!(status, 200);
    s.spec.check("PUT", USER, 200, &body);
    assert_eq!(body["externalId"], "00u-ext");
    let org = s.sim.org();
    assert_eq!(org.people[i].name, "Bea Quist");
    assert_eq!(org.people[i].nickname, "bq");
    assert_eq!(
        org.scim_external_ids.get(&i).map(String::as_str),
        Some("00u-ext")
    );
}

#[tokio::test]
async fn creating_users_links_creates_and_refuses_duplicates() {
    let s = Scim::new(300).await;
    let (taken, unlinked, domain) = {
        let org = s.sim.org();
        let taken = org.people[scim_people(&org)[0]].email.clone().unwrap();
        let suffix = format!("@{}", org.domain);
        let unlinked = org
            .people
            .iter()
            .position(|p| {
                p.scim_id.is_none()
                    && p.status == Status::Active
                    && p.account_type == AccountType::Atlassian
                    && p.email.as_deref().is_some_and(|e| e.ends_with(&suffix))
            })
            .expect("a managed account not yet synced");
        (taken, unlinked, org.domain.clone())
    };
    let (status, body) = s
        .send(Method::POST, "/Users", Some(json!({ "userName": taken })))
        .await;
    assert_eq!(status, 409);
    s.spec.check("POST", USERS, 409, &body);
    assert_eq!(body["scimType"], "uniqueness");

    let email = s.sim.org().people[unlinked].email.clone().unwrap();
    let (status, body) = s
        .send(Method::POST, "/Users", Some(json!({ "userName": email })))
        .await;
    assert_eq!(status, 201);
    let linked_id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.sim.org().people[unlinked].scim_id.as_deref(),
        Some(linked_id.as_str())
    );

    let fresh = format!("brand.new@{domain}");
    let (status, body) = s
        .send(
            Method::POST,
            "/Users",
            Some(json!({
                "userName": fresh,
                "externalId": "idp-42",
                "name": { "givenName": "Brand", "familyName": "New" },
                "displayName": "Brand New",
                "emails": [{ "value": fresh, "type": "work", "primary": true }],
            })),
        )
        .await;
    assert_eq!(status, 201);
    s.spec.check("POST", USERS, 201, &body);
    let account_id =
        body["urn:scim:schemas:extension:atlassian-external:1.0"]["atlassianAccountId"]
            .as_str()
            .unwrap()
            .to_owned();
    {
        let org = s.sim.org();
        let p = org.person(&account_id).expect("a new account");
        assert_eq!(p.status, Status::Active);
        assert_eq!(p.name, "Brand New");
        assert_eq!(p.scim_id.as_deref(), body["id"].as_str());
    }
    let (_, page) = s
        .send(
            Method::GET,
            "/Users?filter=externalId%20eq%20%22idp-42%22",
            None,
        )
        .await;
    assert_eq!(page["totalResults"], 1);
    assert_eq!(page["Resources"][0]["userName"], fresh.as_str());

    let (status, body) = s
        .send(
            Method::POST,
            "/Users",
            Some(json!({ "userName": "someone@gmail.com" })),
        )
        .await;
    assert_eq!(status, 400, "off the verified domain");
    s.spec.check("POST", USERS, 400, &body);
}

#[tokio::test]
async fn groups_list_with_members_and_names_are_unique() {
    let s = Scim::new(300).await;
    let (status, page) = s.send(Method::GET, "/Groups?count=100", None).await;
    assert_eq!(status, 200);
    s.spec.check("GET", GROUPS, 200, &page);
    let (member_ids, name, g) = {
        let org = s.sim.org();
        assert_eq!(page["totalResults"], org.groups.len());
        let g = org.group_by_name("confluence-users").unwrap();
        let members: Vec<String> = scim_people(&org)
            .into_iter()
            .filter(|&i| org.people[i].groups.contains(&g))
            .map(|i| org.people[i].scim_id.clone().unwrap())
            .collect();
        (members, org.groups[g].name.clone(), g)
    };
    let listed = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["displayName"] == name.as_str())
        .expect("the group");
    let got: Vec<&str> = listed["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(got, member_ids);
    assert!(g < s.sim.org().groups.len());

    let (status, body) = s
        .send(
            Method::POST,
            "/Groups",
            Some(json!({ "displayName": name })),
        )
        .await;
    assert_eq!(status, 409);
    s.spec.check("POST", GROUPS, 409, &body);
    let member = member_ids[0].clone();
    let (status, body) = s
        .send(
            Method::POST,
            "/Groups",
            Some(json!({ "displayName": "okta-engineering", "members": [{ "value": member }] })),
        )
        .await;
    assert_eq!(status, 201);
    s.spec.check("POST", GROUPS, 201, &body);
    assert_eq!(body["members"][0]["value"], member.as_str());
    let org = s.sim.org();
    let created = org.group_by_name("okta-engineering").expect("created");
    assert!(org.groups[created].grants.is_empty());
    assert!(
        org.people
            .iter()
            .any(|p| p.scim_id.as_deref() == Some(member.as_str()) && p.groups.contains(&created))
    );
}
