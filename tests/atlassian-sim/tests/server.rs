//! The layer every route shares: the request log and the misbehaviour
//! switches, each with the product's own signals.

mod support;

use atlassian_sim::{Behaviour, RateLimit, Upstream};
use std::time::Duration;

#[tokio::test]
async fn requests_are_logged_with_their_answers() {
    let sim = support::sim(10).await;
    let url = format!("{}/_edge/tenant_info", sim.urls().site);
    let body: serde_json::Value = support::client()
        .get(&url)
        .query(&[("a", "b")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["cloudId"], sim.org().cloud_id.as_str());
    let log = sim.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].upstream, Upstream::Site);
    assert_eq!(log[0].path, "/_edge/tenant_info");
    assert_eq!(log[0].query.as_deref(), Some("a=b"));
    assert_eq!(log[0].status, 200);
    assert!(!log[0].is_write());
    sim.clear_requests();
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn requests_are_logged_with_when_they_came_and_were_answered() {
    let sim = support::sim(10).await;
    sim.set_behaviour(Behaviour {
        latency: Duration::from_millis(20),
        ..Behaviour::default()
    });
    let url = format!("{}/_edge/tenant_info", sim.urls().site);
    let client = support::client();
    let before = std::time::Instant::now();
    for _ in 0..2 {
        let status = client.get(&url).send().await.unwrap().status();
        assert_eq!(status, 200);
    }
    let after = std::time::Instant::now();
    let log = sim.requests();
    assert_eq!(log.len(), 2);
    for r in &log {
        assert!(before <= r.received && r.received <= r.answered && r.answered <= after);
        // The latency is spent between the two.
        assert!(r.answered - r.received >= Duration::from_millis(20));
    }
    // The second was sent once the first was answered.
    assert!(log[0].answered <= log[1].received);
}

#[tokio::test]
async fn every_nth_request_is_rate_limited_with_retry_after_on_the_site() {
    let sim = support::sim(10).await;
    sim.set_behaviour(Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 2,
            wait: Duration::from_millis(1500),
        }),
        ..Behaviour::default()
    });
    let url = format!("{}/_edge/tenant_info", sim.urls().site);
    let client = support::client();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    let limited = client.get(&url).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");
    assert!(limited.headers().contains_key("x-ratelimit-reset"));
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["errorMessages"][0], "Rate limit exceeded.");
}

#[tokio::test]
async fn a_window_limit_refuses_past_its_budget() {
    let sim = support::sim(10).await;
    sim.set_behaviour(Behaviour {
        rate_limit: Some(RateLimit::Window {
            requests: 3,
            window: Duration::from_secs(60),
        }),
        ..Behaviour::default()
    });
    let url = format!("{}/_edge/tenant_info", sim.urls().site);
    let client = support::client();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(client.get(&url).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
}

#[tokio::test]
async fn server_errors_truncation_and_resets_are_what_they_say() {
    let sim = support::sim(10).await;
    let url = format!("{}/_edge/tenant_info", sim.urls().site);
    let client = support::client();

    sim.set_behaviour(Behaviour {
        unavailable: 1.0,
        ..Behaviour::default()
    });
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(!r.headers().contains_key("retry-after"));

    sim.set_behaviour(Behaviour {
        internal_errors: 1.0,
        ..Behaviour::default()
    });
    assert_eq!(client.get(&url).send().await.unwrap().status(), 500);

    // The connection closes before the announced length: the client never
    // gets a whole body (hyper may notice before or after the head).
    for behaviour in [
        Behaviour {
            truncated: 1.0,
            ..Behaviour::default()
        },
        Behaviour {
            resets: 1.0,
            ..Behaviour::default()
        },
    ] {
        sim.set_behaviour(behaviour.clone());
        let outcome = match client.get(&url).send().await {
            Ok(r) => r.bytes().await.map(|_| ()),
            Err(e) => Err(e),
        };
        assert!(outcome.is_err(), "{behaviour:?}");
    }
    assert_eq!(sim.requests().last().unwrap().status, 0);
}

#[tokio::test]
async fn latency_is_added_to_every_answer() {
    let sim = support::sim(10).await;
    sim.set_behaviour(Behaviour {
        latency: Duration::from_millis(120),
        ..Behaviour::default()
    });
    let url = format!("{}/_edge/tenant_info", sim.urls().site);
    let started = std::time::Instant::now();
    support::client().get(&url).send().await.unwrap();
    // A lower bound only: the delay is the simulator's own sleep.
    assert!(started.elapsed() >= Duration::from_millis(120));
}
