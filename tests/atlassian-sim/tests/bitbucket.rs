//! Bitbucket Cloud: workspace members and permissions with `page` /
//! `pagelen` / `next`, users, and the 1.0 groups, against the organisation
//! itself.

mod support;

use atlassian_sim::{AccountType, Org, Person, ProductKey, Simulator, Status};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use time::macros::format_description;

/// A request to the Bitbucket listener with the admin's API token.
fn request(sim: &Simulator, method: Method, path: &str) -> RequestBuilder {
    request_url(sim, method, &format!("{}{path}", sim.urls().bitbucket))
}

/// A request to an absolute URL with the admin's API token.
fn request_url(sim: &Simulator, method: Method, url: &str) -> RequestBuilder {
    let c = sim.credentials();
    support::client()
        .request(method, url)
        .basic_auth(&c.admin_email, Some(&c.bitbucket_api_token))
}

async fn get(sim: &Simulator, path: &str, query: &[(&str, &str)]) -> Value {
    let (status, body) = support::answer(request(sim, Method::GET, path).query(query)).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

fn members_path(sim: &Simulator) -> String {
    format!(
        "/2.0/workspaces/{}/members",
        sim.credentials().bitbucket_workspace
    )
}

fn permissions_path(sim: &Simulator) -> String {
    format!(
        "/2.0/workspaces/{}/permissions",
        sim.credentials().bitbucket_workspace
    )
}

fn group_path(sim: &Simulator, slug: &str) -> String {
    format!(
        "/1.0/groups/{}/{slug}/members",
        sim.credentials().bitbucket_workspace
    )
}

/// Ground truth: the people holding Bitbucket who can sign in, in order.
fn members(org: &Org) -> Vec<&Person> {
    org.people
        .iter()
        .filter(|p| {
            p.account_type == AccountType::Atlassian
                && p.is_enabled()
                && org.access(p, ProductKey::Bitbucket).is_some()
        })
        .collect()
}

fn uuids(people: &[&Person]) -> Vec<String> {
    people.iter().map(|p| p.bitbucket_uuid.clone()).collect()
}

fn user_uuids(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v["user"]["uuid"].as_str().expect("a uuid").to_owned())
        .collect()
}

fn bitbucket_time(at: time::OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00"
    ))
    .unwrap()
}

/// Follows `next` from the first page of `path` with `query`, checking
/// each page's bookkeeping; every value, in order.
async fn every_page(
    sim: &Simulator,
    path: &str,
    query: &[(&str, &str)],
    pagelen: usize,
) -> Vec<Value> {
    let base = sim.urls().bitbucket.clone();
    let mut page = get(sim, path, query).await;
    let size = page["size"].as_u64().unwrap() as usize;
    let pages = size.div_ceil(pagelen).max(1);
    let mut values = Vec::new();
    for number in 1..=pages {
        assert_eq!(page["page"], number);
        assert_eq!(page["pagelen"], pagelen);
        assert_eq!(page["size"], size);
        let batch = page["values"].as_array().unwrap();
        assert_eq!(batch.len(), pagelen.min(size - values.len()));
        values.extend(batch.iter().cloned());
        if number > 1 {
            let previous = page["previous"].as_str().unwrap();
            assert!(previous.starts_with(&format!("{base}{path}?page={}&", number - 1)));
        } else {
            assert!(page.get("previous").is_none());
        }
        let Some(next) = page.get("next").and_then(Value::as_str) else {
            assert_eq!(number, pages, "no next before the last page");
            break;
        };
        let expected = format!(
            "{base}{path}?page={}&pagelen={pagelen}{}",
            number + 1,
            rest_of(query)
        );
        assert_eq!(next, expected);
        assert!(number < pages, "a next after the last page: {next}");
        let (status, body) = support::answer(request_url(sim, Method::GET, next)).await;
        assert_eq!(status, 200);
        page = body;
    }
    assert_eq!(values.len(), size);
    values
}

/// The `q` and `fields` parameters `next` carries, encoded.
fn rest_of(query: &[(&str, &str)]) -> String {
    let mut rest = String::new();
    for name in ["q", "fields"] {
        if let Some((_, v)) = query.iter().find(|(k, _)| *k == name) {
            rest.push_str(&format!("&{name}="));
            for b in v.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                    rest.push(char::from(b));
                } else {
                    rest.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    rest
}

#[tokio::test]
async fn members_page_by_page_to_the_last_one() {
    let sim = support::sim(300).await;
    let expected = uuids(&members(&sim.org()));
    assert!(expected.len() > 30, "{} members", expected.len());
    // The default page length, the largest, and one that divides the
    // count exactly (so the last page is full and has no next).
    let exact = (2..=100)
        .rev()
        .find(|d| expected.len().is_multiple_of(*d) && *d < expected.len())
        .unwrap_or(1);
    let exact_text = exact.to_string();
    for (query, pagelen) in [
        (vec![], 10),
        (vec![("pagelen", "100")], 100),
        (vec![("pagelen", exact_text.as_str())], exact),
        (vec![("pagelen", "7")], 7),
    ] {
        let values = every_page(&sim, &members_path(&sim), &query, pagelen).await;
        assert_eq!(user_uuids(&values), expected, "pagelen {pagelen}");
    }
    assert_eq!(expected.len() % exact, 0);

    // Past the end: empty; out of range: refused.
    let past = get(&sim, &members_path(&sim), &[("page", "1000")]).await;
    assert_eq!(past["values"], json!([]));
    for query in [[("pagelen", "101")], [("pagelen", "0")], [("page", "0")]] {
        let (status, body) =
            support::answer(request(&sim, Method::GET, &members_path(&sim)).query(&query)).await;
        assert_eq!(status, 400, "{query:?}");
        assert_eq!(body["type"], "error");
    }
}

#[tokio::test]
async fn members_carry_the_users_and_the_workspace_without_emails() {
    let sim = support::sim(200).await;
    let values = every_page(&sim, &members_path(&sim), &[("pagelen", "50")], 50).await;
    {
        let org = sim.org();
        let people = members(&org);
        assert_eq!(values.len(), people.len());
        for (v, p) in values.iter().zip(&people) {
            assert_eq!(v["type"], "workspace_membership");
            let user = &v["user"];
            assert_eq!(user["type"], "user");
            assert_eq!(user["uuid"], p.bitbucket_uuid.as_str());
            assert_eq!(user["account_id"], p.account_id.as_str());
            assert_eq!(user["display_name"], p.name.as_str());
            assert_eq!(user["nickname"], p.nickname.as_str());
            assert!(user.get("email").is_none());
            assert_eq!(v["workspace"]["type"], "workspace");
            assert_eq!(v["workspace"]["slug"], org.bitbucket_workspace.as_str());
            assert_eq!(
                v["workspace"]["uuid"],
                org.bitbucket_workspace_uuid.as_str()
            );
            let href = v["links"]["self"]["href"].as_str().unwrap();
            assert!(href.starts_with(&sim.urls().bitbucket), "{href}");
        }
    }
    // The trims connectors use.
    let trimmed = get(
        &sim,
        &members_path(&sim),
        &[("fields", "-links,-*.links,-*.*.links,-*.workspace")],
    )
    .await;
    let first = trimmed["values"][0].as_object().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["type", "user"]);
    assert!(first["user"].get("links").is_none());
}

#[tokio::test]
async fn an_email_filter_returns_just_those_members_with_their_emails() {
    let sim = support::sim(200).await;
    let (wanted, outsider) = {
        let org = sim.org();
        let people = members(&org);
        let wanted: Vec<(String, String)> = people
            .iter()
            .step_by(5)
            .take(4)
            .map(|p| (p.bitbucket_uuid.clone(), p.email.clone().unwrap()))
            .collect();
        let outsider = org
            .people
            .iter()
            .find(|p| p.email.is_some() && org.access(p, ProductKey::Bitbucket).is_none())
            .unwrap()
            .email
            .clone()
            .unwrap();
        (wanted, outsider)
    };
    let mut listed: Vec<String> = wanted
        .iter()
        .map(|(_, e)| format!("\"{}\"", e.to_uppercase()))
        .collect();
    listed.push(format!("\"{outsider}\""));
    let q = format!("user.email IN ({})", listed.join(","));
    let values = every_page(
        &sim,
        &members_path(&sim),
        &[
            ("q", &q),
            ("fields", "+values.user.email"),
            ("pagelen", "3"),
        ],
        3,
    )
    .await;
    let got: Vec<(String, String)> = values
        .iter()
        .map(|v| {
            (
                v["user"]["uuid"].as_str().unwrap().to_owned(),
                v["user"]["email"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, wanted);

    // Without the field, the filter still applies but emails stay hidden.
    let page = get(&sim, &members_path(&sim), &[("q", &q)]).await;
    assert_eq!(page["size"], wanted.len());
    assert!(page["values"][0]["user"].get("email").is_none());
    // One address with `=`.
    let one = format!("user.email = \"{}\"", wanted[0].1);
    let page = get(&sim, &members_path(&sim), &[("q", &one)]).await;
    assert_eq!(
        user_uuids(page["values"].as_array().unwrap()),
        [wanted[0].0.clone()]
    );

    let many: Vec<String> = (0..91).map(|n| format!("\"x{n}@example.org\"")).collect();
    let too_many = format!("user.email IN ({})", many.join(","));
    for q in [
        too_many.as_str(),
        "user.name = \"x\"",
        "user.email IN (unquoted)",
    ] {
        let (status, body) =
            support::answer(request(&sim, Method::GET, &members_path(&sim)).query(&[("q", q)]))
                .await;
        assert_eq!(status, 400, "{q}");
        assert_eq!(body["type"], "error");
    }
}

#[tokio::test]
async fn one_member_by_uuid_or_account_id() {
    let sim = support::sim(100).await;
    let (member, outsider) = {
        let org = sim.org();
        let member = members(&org)[0].clone();
        let outsider = org
            .people
            .iter()
            .find(|p| {
                p.account_type == AccountType::Atlassian
                    && org.access(p, ProductKey::Bitbucket).is_none()
            })
            .unwrap()
            .clone();
        (member, outsider)
    };
    let path = |id: &str| {
        format!(
            "{}/{}",
            members_path(&sim),
            id.replace('{', "%7B").replace('}', "%7D")
        )
    };
    let by_uuid = get(&sim, &path(&member.bitbucket_uuid), &[]).await;
    let by_account = get(&sim, &path(&member.account_id), &[]).await;
    assert_eq!(by_uuid, by_account);
    assert_eq!(by_uuid["user"]["account_id"], member.account_id.as_str());
    let (status, body) =
        support::answer(request(&sim, Method::GET, &path(&outsider.account_id))).await;
    assert_eq!(status, 404);
    assert_eq!(body["type"], "error");
}

#[tokio::test]
async fn permissions_carry_last_access_and_the_owner_filter_works() {
    let sim = support::sim(1_500).await;
    let values = every_page(&sim, &permissions_path(&sim), &[("pagelen", "100")], 100).await;
    let owners = {
        let org = sim.org();
        let people = members(&org);
        let site_admins = org.group_by_name("site-admins").unwrap();
        let permission = |p: &Person| {
            if p.groups.contains(&site_admins) {
                "owner"
            } else {
                "member"
            }
        };
        assert_eq!(user_uuids(&values), uuids(&people));
        for (v, p) in values.iter().zip(&people) {
            assert_eq!(v["permission"], permission(p));
            let last = p.last_active_in(ProductKey::Bitbucket).map(bitbucket_time);
            assert_eq!(
                v.get("last_accessed").and_then(Value::as_str),
                last.as_deref()
            );
            let added = bitbucket_time(p.added.midnight().assume_utc());
            assert_eq!(v["added_on"], added.as_str());
        }
        assert!(
            people
                .iter()
                .any(|p| p.last_active_in(ProductKey::Bitbucket).is_none())
        );
        let owners: Vec<String> = uuids(
            &people
                .iter()
                .copied()
                .filter(|p| permission(p) == "owner")
                .collect::<Vec<_>>(),
        );
        assert!(!owners.is_empty());
        owners
    };
    let got = every_page(
        &sim,
        &permissions_path(&sim),
        &[("q", "permission=\"owner\""), ("pagelen", "100")],
        100,
    )
    .await;
    assert_eq!(user_uuids(&got), owners);
    let (status, _) = support::answer(
        request(&sim, Method::GET, &permissions_path(&sim)).query(&[("q", "permission ~ \"own\"")]),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn users_by_account_id_or_uuid_with_their_status() {
    let sim = support::sim(300).await;
    let people: Vec<Person> = {
        let org = sim.org();
        [
            Status::Active,
            Status::Suspended,
            Status::Deactivated,
            Status::Invited,
        ]
        .iter()
        .map(|s| {
            org.people
                .iter()
                .find(|p| p.account_type == AccountType::Atlassian && p.status == *s)
                .unwrap()
                .clone()
        })
        .collect()
    };
    for p in &people {
        let status = match p.status {
            Status::Suspended | Status::Deactivated => "inactive",
            _ => "active",
        };
        let by_id = get(&sim, &format!("/2.0/users/{}", p.account_id), &[]).await;
        let uuid = p.bitbucket_uuid.replace('{', "%7B").replace('}', "%7D");
        let by_uuid = get(&sim, &format!("/2.0/users/{uuid}"), &[]).await;
        assert_eq!(by_id, by_uuid);
        assert_eq!(by_id["account_status"], status, "{:?}", p.status);
        assert_eq!(by_id["uuid"], p.bitbucket_uuid.as_str());
        assert_eq!(by_id["display_name"], p.name.as_str());
        assert_eq!(by_id["nickname"], p.nickname.as_str());
    }
    let (status, body) = support::answer(request(&sim, Method::GET, "/2.0/users/nobody")).await;
    assert_eq!(status, 404);
    assert_eq!(body["type"], "error");
}

#[tokio::test]
async fn bad_credentials_and_unknown_workspaces_are_refused() {
    let sim = support::sim(20).await;
    let url = format!("{}{}", sim.urls().bitbucket, members_path(&sim));
    let c = sim.credentials().clone();
    let client = support::client();
    for builder in [
        client.get(&url),
        client.get(&url).basic_auth(&c.admin_email, Some("wrong")),
        client
            .get(&url)
            .basic_auth(&c.user_email, Some(&c.bitbucket_api_token)),
        client.get(&url).bearer_auth(&c.bitbucket_api_token),
    ] {
        let (status, body) = support::answer(builder).await;
        assert_eq!(status, 401);
        assert_eq!(body["type"], "error");
        assert!(body["error"]["message"].is_string());
    }
    for path in ["/2.0/workspaces/elsewhere/members", "/1.0/groups/elsewhere"] {
        let (status, body) = support::answer(request(&sim, Method::GET, path)).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["type"], "error");
    }
    // The uuid names the workspace too.
    let uuid = sim
        .org()
        .bitbucket_workspace_uuid
        .replace('{', "%7B")
        .replace('}', "%7D");
    let page = get(&sim, &format!("/2.0/workspaces/{uuid}/members"), &[]).await;
    assert_eq!(page["size"], members(&sim.org()).len());
}

#[tokio::test]
async fn groups_list_the_organisations_groups_with_their_members() {
    let sim = support::sim(150).await;
    let groups = get(
        &sim,
        &format!("/1.0/groups/{}", sim.credentials().bitbucket_workspace),
        &[],
    )
    .await;
    let bitbucket_users = {
        let org = sim.org();
        let slugs: Vec<&str> = groups
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["slug"].as_str().unwrap())
            .collect();
        let names: Vec<&str> = org.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(slugs, names, "generated names are already slugs");
        for (listed, (g, group)) in groups
            .as_array()
            .unwrap()
            .iter()
            .zip(org.groups.iter().enumerate())
        {
            let expected: Vec<&str> = org
                .people
                .iter()
                .filter(|p| p.groups.contains(&g))
                .map(|p| p.bitbucket_uuid.as_str())
                .collect();
            let got: Vec<&str> = listed["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["uuid"].as_str().unwrap())
                .collect();
            assert_eq!(got, expected, "{}", group.name);
            assert_eq!(
                listed["owner"]["uuid"],
                org.bitbucket_workspace_uuid.as_str()
            );
        }
        let bitbucket_users: Vec<String> = {
            let g = org.group_by_name("bitbucket-users").unwrap();
            org.people
                .iter()
                .filter(|p| p.groups.contains(&g))
                .map(|p| p.account_id.clone())
                .collect()
        };
        bitbucket_users
    };
    let listed = get(&sim, &group_path(&sim, "bitbucket-users"), &[]).await;
    let got: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(got, bitbucket_users);
    let (status, _) = support::answer(request(
        &sim,
        Method::GET,
        &group_path(&sim, "no-such-group"),
    ))
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn group_changes_show_in_the_members_and_respect_seats() {
    let sim = support::sim(200).await;
    let (leaving, joining, second) = {
        let org = sim.org();
        let users = org.group_by_name("bitbucket-users").unwrap();
        let developers = org.group_by_name("developers").unwrap();
        let leaving = members(&org)
            .into_iter()
            .find(|p| {
                p.groups.contains(&users)
                    && !p.groups.contains(&developers)
                    && org.is_billable(p, ProductKey::Bitbucket)
            })
            .unwrap()
            .clone();
        let mut outsiders = org.people.iter().filter(|p| {
            p.account_type == AccountType::Atlassian
                && p.status == Status::Active
                && org.access(p, ProductKey::Bitbucket).is_none()
        });
        (
            leaving,
            outsiders.next().unwrap().clone(),
            outsiders.next().unwrap().clone(),
        )
    };
    let size = |page: &Value| page["size"].as_u64().unwrap() as usize;
    let before = get(&sim, &members_path(&sim), &[]).await;
    let member_path =
        |p: &Person| format!("{}/{}", group_path(&sim, "bitbucket-users"), p.account_id);

    // Bitbucket is full: no seat for a newcomer.
    let (status, body) =
        support::answer(request(&sim, Method::PUT, &member_path(&joining)).json(&json!({}))).await;
    assert_eq!(status, 403, "{body}");

    // Removing someone frees a seat.
    let uuid = leaving
        .bitbucket_uuid
        .replace('{', "%7B")
        .replace('}', "%7D");
    let (status, _) = support::answer(request(
        &sim,
        Method::DELETE,
        &format!("{}/{uuid}", group_path(&sim, "bitbucket-users")),
    ))
    .await;
    assert_eq!(status, 204);
    let after = get(&sim, &members_path(&sim), &[("pagelen", "100")]).await;
    assert_eq!(size(&after), size(&before) - 1);
    assert!(!user_uuids(after["values"].as_array().unwrap()).contains(&leaving.bitbucket_uuid));
    let (status, _) = support::answer(request(&sim, Method::DELETE, &member_path(&leaving))).await;
    assert_eq!(status, 404, "no longer in the group");

    // The body must be a JSON object.
    for body in ["", "[]", "not json"] {
        let (status, reply) = support::answer(
            request(&sim, Method::PUT, &member_path(&joining))
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        assert_eq!(status, 400, "{body:?}");
        assert_eq!(reply["type"], "error");
    }
    let (status, added) =
        support::answer(request(&sim, Method::PUT, &member_path(&joining)).json(&json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(added["uuid"], joining.bitbucket_uuid.as_str());
    let (status, _) =
        support::answer(request(&sim, Method::PUT, &member_path(&joining)).json(&json!({}))).await;
    assert_eq!(status, 409, "already a member");

    let after = every_page(&sim, &members_path(&sim), &[("pagelen", "100")], 100).await;
    assert_eq!(user_uuids(&after), uuids(&members(&sim.org())));
    assert!(user_uuids(&after).contains(&joining.bitbucket_uuid));
    assert_eq!(after.len(), size(&before));
    assert_eq!(
        sim.org().seats_used(ProductKey::Bitbucket),
        sim.org().product(ProductKey::Bitbucket).seats
    );
    // Full again.
    let (status, _) =
        support::answer(request(&sim, Method::PUT, &member_path(&second)).json(&json!({}))).await;
    assert_eq!(status, 403);
    let listed = get(&sim, &group_path(&sim, "bitbucket-users"), &[]).await;
    let in_group: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uuid"].as_str().unwrap())
        .collect();
    assert!(in_group.contains(&joining.bitbucket_uuid.as_str()));
    assert!(!in_group.contains(&leaving.bitbucket_uuid.as_str()));
}

#[tokio::test]
async fn a_workspace_access_token_reads_the_workspace_and_the_removed_listings_are_gone() {
    let sim = support::sim(40).await;
    let c = sim.credentials().clone();
    let url = |path: &str| format!("{}{path}", sim.urls().bitbucket);
    let client = support::client();
    let bearer = client
        .get(url(&members_path(&sim)))
        .bearer_auth(&c.bitbucket_access_token);
    let (status, page) = support::answer(bearer).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["size"], members(&sim.org()).len());
    let path = format!("/2.0/workspaces/{}", c.bitbucket_workspace);
    let workspace = get(&sim, &path, &[]).await;
    assert_eq!(workspace["slug"], c.bitbucket_workspace.as_str());
    assert_eq!(
        workspace["uuid"],
        sim.org().bitbucket_workspace_uuid.as_str()
    );
    for gone in ["/2.0/workspaces", "/2.0/user/permissions/workspaces"] {
        let (status, body) = support::answer(request(&sim, Method::GET, gone)).await;
        assert_eq!(status, 410, "{gone}");
        assert_eq!(body["type"], "error");
    }
}

#[tokio::test]
async fn centralised_administration_drops_the_dates_and_freezes_groups() {
    let sim = support::with_options(atlassian_sim::SimOptions {
        people: 60,
        bitbucket_centralised: true,
        ..Default::default()
    })
    .await;
    let page = get(&sim, &permissions_path(&sim), &[]).await;
    for m in page["values"].as_array().unwrap() {
        assert!(m.get("permission").is_some());
        assert!(
            m.get("last_accessed").is_none() && m.get("added_on").is_none(),
            "{m}"
        );
    }
    let (someone, group) = {
        let org = sim.org();
        let g = org.group_by_name("design").unwrap();
        let p = org
            .people
            .iter()
            .find(|p| p.account_type == AccountType::Atlassian && !p.groups.contains(&g))
            .unwrap();
        (p.account_id.clone(), g)
    };
    let path = format!("{}/{someone}", group_path(&sim, "design"));
    let put = request(&sim, Method::PUT, &path).json(&json!({}));
    let (status, body) = support::answer(put).await;
    assert_eq!(status, 403, "{body}");
    assert!(!sim.org().person(&someone).unwrap().groups.contains(&group));
}

#[tokio::test]
async fn a_lying_upstream_links_its_next_page_elsewhere() {
    let sim = support::sim(40).await;
    sim.set_behaviour(atlassian_sim::Behaviour {
        foreign_next: true,
        ..Default::default()
    });
    let page = get(&sim, &members_path(&sim), &[("pagelen", "10")]).await;
    let next = page["next"].as_str().unwrap();
    assert!(
        next.starts_with("https://bitbucket.attacker.example/"),
        "{next}"
    );
}
