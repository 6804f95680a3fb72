//! The simulator's own speed, so that it is never the bottleneck of the
//! project's benchmarks: generating the largest organisation, and pages of
//! 100 people served per second over loopback for each paging style.
//!
//! ```sh
//! cargo bench -p atlassian-sim --bench sim
//! ```

use atlassian_sim::generate::organisation;
use atlassian_sim::{SimOptions, Simulator};
use futures::StreamExt;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The largest organisation the simulator generates.
const PEOPLE: usize = 200_000;
/// Requests in flight during the serving measurement.
const CONCURRENCY: usize = 8;
/// How long each serving measurement runs.
const WINDOW: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() {
    let now = OffsetDateTime::now_utc();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let org = organisation(1, PEOPLE, now);
        best = best.min(started.elapsed());
        assert_eq!(org.people.len(), PEOPLE);
    }
    println!(
        "generate {PEOPLE} people: {:.3} s (best of 3)",
        best.as_secs_f64()
    );

    let sim = Simulator::start(SimOptions {
        seed: 1,
        people: PEOPLE,
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let c = sim.credentials().clone();
    let urls = sim.urls().clone();
    let pages = (PEOPLE / 100) as u64;

    let jira = {
        let (client, url) = (
            client.clone(),
            format!("{}/rest/api/3/users/search", urls.site),
        );
        let (email, token) = (c.admin_email.clone(), c.admin_api_token.clone());
        move |i: u64| {
            client
                .get(&url)
                .query(&[("startAt", (i % pages) * 100), ("maxResults", 100)])
                .basic_auth(&email, Some(&token))
        }
    };
    report("Jira users/search (startAt)", serve(jira).await);

    let admin = {
        let client = client.clone();
        let url = format!("{}/admin/v1/orgs/{}/users", urls.admin, c.org_id);
        let key = c.org_api_key.clone();
        move |_: u64| client.get(&url).bearer_auth(&key)
    };
    report("Admin v1 users (cursor, first page)", serve(admin).await);

    let scim = {
        let client = client.clone();
        let url = format!("{}/scim/directory/{}/Users", urls.admin, c.directory_id);
        let key = c.scim_api_key.clone();
        move |i: u64| {
            client
                .get(&url)
                .query(&[("startIndex", (i % (pages / 2)) * 100 + 1), ("count", 100)])
                .bearer_auth(&key)
        }
    };
    report("SCIM Users (startIndex)", serve(scim).await);

    let confluence = {
        let client = client.clone();
        let url = format!("{}/wiki/rest/api/search/user", urls.site);
        let (email, token) = (c.admin_email.clone(), c.admin_api_token.clone());
        move |i: u64| {
            client
                .get(&url)
                .query(&[
                    ("cql", "type=user".to_owned()),
                    ("start", ((i % (pages / 2)) * 100).to_string()),
                    ("limit", "100".to_owned()),
                ])
                .basic_auth(&email, Some(&token))
        }
    };
    report("Confluence search/user (start)", serve(confluence).await);

    let bitbucket = {
        let client = client.clone();
        let url = format!(
            "{}/2.0/workspaces/{}/members",
            urls.bitbucket, c.bitbucket_workspace
        );
        let (email, token) = (c.admin_email.clone(), c.bitbucket_api_token.clone());
        move |i: u64| {
            client
                .get(&url)
                .query(&[("page", (i % (pages / 10)) + 1), ("pagelen", 100)])
                .basic_auth(&email, Some(&token))
        }
    };
    report("Bitbucket members (page/pagelen)", serve(bitbucket).await);
}

/// Sends requests built by `request(i)` with [`CONCURRENCY`] in flight for
/// [`WINDOW`]; returns the pages answered and the time taken.
async fn serve(request: impl Fn(u64) -> reqwest::RequestBuilder) -> (u64, Duration) {
    let started = Instant::now();
    let answered = futures::stream::iter(0..)
        .take_while(|_| std::future::ready(started.elapsed() < WINDOW))
        .map(|i| {
            let sent = request(i).send();
            async move {
                let response = sent.await.expect("the simulator answers");
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.expect("a whole body").len()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .count()
        .await;
    (answered as u64, started.elapsed())
}

fn report(what: &str, (pages, took): (u64, Duration)) {
    println!(
        "{what}: {:.0} pages of 100 per second ({pages} in {:.1} s, {CONCURRENCY} in flight)",
        pages as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );
}
