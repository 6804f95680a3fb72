//! The simulator as a tool for connector authors: Jira's v2 paths beside
//! v3, the request log and the ground truth over HTTP, outside the
//! misbehaviour and the log itself.

#[allow(dead_code, reason = "the site calls here are the admin's")]
mod site;
mod support;

use atlassian_sim::{Behaviour, ProductKey, RateLimit};
use reqwest::Method;
use serde_json::Value;
use site::{Who, call};
use std::time::Duration;

async fn tool(sim: &atlassian_sim::Simulator, what: &str) -> Value {
    let url = format!("{}/_sim/{what}", sim.urls().admin);
    let (status, body) = support::answer(support::client().get(url)).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn jira_serves_v2_beside_v3_and_the_log_and_ground_truth_answer_over_http() {
    let sim = support::sim(80).await;
    let (v3_status, v3) = call(
        &sim,
        Who::Admin,
        Method::GET,
        "/rest/api/3/myself",
        &[],
        None,
    )
    .await;
    let (v2_status, v2) = call(
        &sim,
        Who::Admin,
        Method::GET,
        "/rest/api/2/myself",
        &[],
        None,
    )
    .await;
    assert_eq!((v3_status, v2_status), (200, 200));
    assert_eq!(v2["accountId"], v3["accountId"]);
    let (_, users) = call(
        &sim,
        Who::Admin,
        Method::GET,
        "/rest/api/2/users/search",
        &[("maxResults", "1000")],
        None,
    )
    .await;
    assert_eq!(users.as_array().unwrap().len(), 80);

    // A rate limit on every request does not reach the tool's endpoints,
    // and they are not in the log they answer.
    sim.set_behaviour(Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 1,
            wait: Duration::from_secs(1),
        }),
        ..Behaviour::default()
    });
    let log = tool(&sim, "requests").await;
    let paths: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/rest/api/3/myself",
            "/rest/api/2/myself",
            "/rest/api/2/users/search"
        ]
    );
    assert_eq!(log[0]["upstream"], "site");
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["write"], false);

    let truth = tool(&sim, "ground-truth").await;
    let org = sim.org();
    assert_eq!(truth["organization"], org.id.as_str());
    assert_eq!(truth["people"].as_array().unwrap().len(), org.people.len());
    let holder = org
        .people
        .iter()
        .position(|p| org.is_billable(p, ProductKey::Confluence))
        .expect("someone holds a Confluence seat");
    let held = &truth["people"][holder]["products"];
    let confluence = held
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "confluence")
        .expect("the seat is in the ground truth");
    assert_eq!(confluence["billable"], true);
    let seats_used = truth["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "confluence")
        .unwrap()["seats_used"]
        .as_u64()
        .unwrap();
    assert_eq!(
        seats_used,
        u64::from(org.seats_used(ProductKey::Confluence))
    );
}
