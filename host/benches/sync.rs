//! The operator's sync at scale: a simulated organisation synced through
//! every built-in connector by the `roster` binary, against the same HTTP
//! requests made by a plain native client.
//!
//! ```sh
//! cargo bench -p roster-host --bench sync            # 100 000 people
//! ROSTER_BENCH_PEOPLE=20000 cargo bench -p roster-host --bench sync
//! ```
//!
//! Prints the sync's wall time, the `roster` process's peak RSS, rows
//! written per second, and the ratio of the sync's wall time to the time a
//! plain reqwest client takes to make the same requests with the same
//! concurrency (the sandbox's whole cost, store writes included).

use atlassian_sim::{LoggedRequest, SimOptions, Simulator, Upstream};
use futures::StreamExt;
use roster_host::store::Store;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Requests in flight per upstream, the host's default budget.
const CONCURRENCY: usize = 8;

#[tokio::main]
async fn main() {
    let people: usize = std::env::var("ROSTER_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let sim = Simulator::start(SimOptions {
        seed: 9,
        people,
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("roster.toml"), config(&sim)).expect("writing the config");

    // Warm the component cache so that compilation is not measured.
    run_roster(dir.path(), &["connectors"]);
    sim.clear_requests();
    let started = Instant::now();
    let peak_rss_kib = run_roster(dir.path(), &["sync"]);
    let sync_time = started.elapsed();
    let requests = sim.requests();

    let store = Store::open(&dir.path().join("roster.db")).expect("the store opens");
    let rows: u64 = store
        .runs()
        .expect("runs")
        .iter()
        .flat_map(|r| r.counts.iter().map(|(_, n)| *n))
        .sum();
    drop(store);

    let native_time = replay_natively(&sim, &requests).await;
    let store_rate = store_rows_per_second(dir.path(), rows);
    println!("people:                 {people}");
    println!("connectors:             {}", connectors().join(", "));
    println!("requests:               {}", requests.len());
    println!("sync wall time:         {:.2} s", sync_time.as_secs_f64());
    println!(
        "peak RSS of roster:     {:.1} MiB",
        peak_rss_kib as f64 / 1024.0
    );
    println!("rows written:           {rows}");
    println!(
        "rows per second of sync: {:.0}",
        rows as f64 / sync_time.as_secs_f64()
    );
    println!("store alone, rows/s:    {store_rate:.0} (pages of 100, one transaction each)");
    println!(
        "native client, same requests: {:.2} s",
        native_time.as_secs_f64()
    );
    println!(
        "sync / native:          {:.2}",
        sync_time.as_secs_f64() / native_time.as_secs_f64()
    );
}

/// The built-in connectors this bench configures.
fn connectors() -> Vec<&'static str> {
    roster_host::builtin::all()
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| matches!(*id, "atlassian-admin" | "jira"))
        .collect()
}

fn config(sim: &Simulator) -> String {
    let (c, urls) = (sim.credentials(), sim.urls());
    let mut out = String::from("[network]\nallow_private = true\n");
    for id in connectors() {
        let table = match id {
            "atlassian-admin" => format!(
                "org_id = \"{}\"\napi_key = \"{}\"\nbase_url = \"{}\"\n",
                c.org_id, c.org_api_key, urls.admin
            ),
            _ => format!(
                "site = \"{}\"\nemail = \"{}\"\napi_token = \"{}\"\nbase_url = \"{}\"\n",
                c.site, c.admin_email, c.admin_api_token, urls.site
            ),
        };
        out.push_str(&format!(
            "\n[connectors.{id}]\ncomponent = \"{id}\"\n[connectors.{id}.config]\n{table}"
        ));
    }
    out
}

/// Writes `rows` accounts into a fresh store in pages of 100 with their
/// checkpoints, as a sync does, and returns rows per second.
fn store_rows_per_second(dir: &Path, rows: u64) -> f64 {
    use roster_host::contract::{Account, AccountKind, AccountStatus, Instant as At};
    use roster_host::store::PageRows;
    let accounts: Vec<Account> = (0..rows)
        .map(|i| Account {
            id: format!("712020:{i:08x}-0000-4000-8000-{i:012x}"),
            email: Some(format!("person.{i}@acme.example")),
            display_name: Some(format!("Person Nº {i}")),
            status: AccountStatus::Active,
            kind: AccountKind::Human,
            created_at: Some(At::Date("2026-01-02".into())),
            last_active: None,
            groups: vec!["jira-software-users".into(), "confluence-users".into()],
            attributes: vec![("claimStatus".into(), "managed".into())],
        })
        .collect();
    let mut store = Store::open(&dir.join("store-bench.db")).expect("a store");
    let run = store.begin_run("bench").expect("a run");
    let started = Instant::now();
    let pages: Vec<&[Account]> = accounts.chunks(100).collect();
    for (i, page) in pages.iter().enumerate() {
        let next = (i + 1 < pages.len()).then(|| (i + 1).to_string());
        store
            .write_page(&run, PageRows::Accounts(page), next.as_deref())
            .expect("the page is stored");
    }
    store.complete_run(&run).expect("the run completes");
    rows as f64 / started.elapsed().as_secs_f64()
}

/// Runs `roster` to completion and returns its peak RSS in KiB.
#[allow(
    clippy::zombie_processes,
    reason = "wait4 reaps the child, to read its resource usage"
)]
fn run_roster(dir: &Path, args: &[&str]) -> i64 {
    let child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .current_dir(dir)
        .args(args)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .stdout(std::process::Stdio::inherit())
        .spawn()
        .expect("roster starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct that wait4 fills for our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into the locals above.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "waiting for roster failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "roster {args:?} failed"
    );
    usage.ru_maxrss
}

/// Makes the logged requests again with a plain reqwest client, with the
/// same concurrency per upstream, and returns the wall time.
async fn replay_natively(sim: &Simulator, requests: &[LoggedRequest]) -> Duration {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let (c, urls) = (sim.credentials(), sim.urls());
    let started = Instant::now();
    let mut by_upstream: Vec<(Upstream, Vec<&LoggedRequest>)> = Vec::new();
    for r in requests {
        match by_upstream.iter_mut().find(|(u, _)| *u == r.upstream) {
            Some((_, list)) => list.push(r),
            None => by_upstream.push((r.upstream, vec![r])),
        }
    }
    let lanes = by_upstream.into_iter().map(|(upstream, list)| {
        let client = client.clone();
        let origin = match upstream {
            Upstream::Admin => urls.admin.clone(),
            Upstream::Site => urls.site.clone(),
            Upstream::Trello => urls.trello.trim_end_matches("/1").to_owned(),
            Upstream::Bitbucket => urls.bitbucket.clone(),
        };
        let auth = match upstream {
            Upstream::Admin => format!("Bearer {}", c.org_api_key),
            _ => {
                use base64::Engine as _;
                let pair = format!("{}:{}", c.admin_email, c.admin_api_token);
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
        };
        async move {
            futures::stream::iter(list)
                .for_each_concurrent(CONCURRENCY, |r| {
                    let url = match &r.query {
                        Some(q) => format!("{origin}{}?{q}", r.path),
                        None => format!("{origin}{}", r.path),
                    };
                    let method = reqwest::Method::from_bytes(r.method.as_bytes())
                        .unwrap_or(reqwest::Method::GET);
                    let mut request = client
                        .request(method, url)
                        .header("authorization", &auth)
                        .header("accept", "application/json");
                    if let Some(body) = &r.body {
                        request = request
                            .header("content-type", "application/json")
                            .body(body.clone());
                    }
                    async move {
                        let response = request.send().await.expect("the simulator answers");
                        let _ = response.bytes().await;
                    }
                })
                .await;
        }
    });
    futures::future::join_all(lanes).await;
    started.elapsed()
}
