//! The operator's sync at scale: a simulated organisation synced through
//! every built-in connector by the `roster` binary, against the same HTTP
//! requests made by a plain native client.
//!
//! ```sh
//! cargo bench -p roster-app --bench sync            # 100 000 people
//! ROSTER_BENCH_PEOPLE=20000 ROSTER_BENCH_ROUNDS=5 cargo bench -p roster-app --bench sync
//! ROSTER_BENCH_CONNECTORS=jira cargo bench -p roster-app --bench sync
//! ```
//!
//! Prints the sync's wall time, the `roster` process's peak RSS, rows
//! written per second, and the ratio of the sync's wall time to the time a
//! plain reqwest client takes to make the same requests on the same
//! schedule (the sandbox's whole cost, store writes included).

use atlassian_sim::{LoggedRequest, SimOptions, Simulator, Upstream};
mod support;

use roster_app::store::Store;
use roster_app::store::sqlite::SqliteStore;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{Launcher, Output};

#[tokio::main]
async fn main() {
    Launcher::serve_if_asked();
    let mut launcher = Launcher::start();
    let roster = std::path::Path::new(env!("CARGO_BIN_EXE_roster"));
    let people = env_number("ROSTER_BENCH_PEOPLE", 100_000);
    let sim = Simulator::start(SimOptions {
        seed: 9,
        people,
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    sim.write_roster_toml(&dir.path().join("roster.toml"), &connectors())
        .expect("writing the config");

    // Warm the component cache so that compilation is not measured.
    launcher.run(roster, dir.path(), &["connectors"], Output::Counted);
    // Each round syncs afresh (a new generation) and replays its requests;
    // the figures are the medians.
    let mut rounds = Vec::new();
    for _ in 0..env_number("ROSTER_BENCH_ROUNDS", 3) {
        sim.clear_requests();
        let started = Instant::now();
        let used = launcher.run(roster, dir.path(), &["sync"], Output::Shown);
        let sync_time = started.elapsed();
        let requests = sim.requests();
        let native_time = replay_natively(&sim, &requests).await;
        rounds.push((sync_time, native_time, used, requests.len()));
    }
    let store = SqliteStore::open(&dir.path().join("roster.db")).expect("the store opens");
    let rows: u64 = store
        .runs()
        .expect("runs")
        .iter()
        .take(connectors().len())
        .flat_map(|r| r.counts.iter().map(|(_, n)| *n))
        .sum();
    drop(store);
    let store_rate = store_rows_per_second(dir.path(), rows);

    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let sync_time = median(rounds.iter().map(|r| r.0.as_secs_f64()).collect());
    let native_time = median(rounds.iter().map(|r| r.1.as_secs_f64()).collect());
    let ratio = median(
        rounds
            .iter()
            .map(|r| r.0.as_secs_f64() / r.1.as_secs_f64())
            .collect(),
    );
    let peak_rss = rounds
        .iter()
        .map(|r| r.2.peak_rss_mib())
        .fold(0.0, f64::max);
    let user = median(rounds.iter().map(|r| r.2.user.as_secs_f64()).collect());
    let system = median(rounds.iter().map(|r| r.2.system.as_secs_f64()).collect());
    println!("people:                 {people}");
    println!("connectors:             {}", connectors().join(", "));
    println!("rounds:                 {} (medians)", rounds.len());
    println!("requests:               {}", rounds[0].3);
    println!("sync wall time:         {sync_time:.2} s");
    println!("peak RSS of roster:     {peak_rss:.1} MiB (highest of the rounds)");
    println!("CPU of roster:          {user:.2} s user, {system:.2} s system");
    println!("rows written:           {rows}");
    println!("rows per second of sync: {:.0}", rows as f64 / sync_time);
    println!("store alone, rows/s:    {store_rate:.0} (pages of 100, one transaction each)");
    println!("native client, same requests: {native_time:.2} s");
    println!("sync / native:          {ratio:.2}");
    for (i, (sync, native, _, _)) in rounds.iter().enumerate() {
        println!(
            "  round {}: sync {:.2} s, native {:.2} s",
            i + 1,
            sync.as_secs_f64(),
            native.as_secs_f64()
        );
    }
}

/// A number from the environment, or `default`.
fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The built-in connectors this bench configures: those it has a config
/// for, or the ones `ROSTER_BENCH_CONNECTORS` names (comma-separated).
fn connectors() -> Vec<&'static str> {
    let wanted = std::env::var("ROSTER_BENCH_CONNECTORS").ok();
    roster_app::builtin::all()
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| atlassian_sim::roster_config::CONNECTORS.contains(id))
        .filter(|id| {
            wanted
                .as_deref()
                .is_none_or(|w| w.split(',').any(|c| c.trim() == *id))
        })
        .collect()
}

/// Writes `rows` accounts into a fresh store in pages of 100 with their
/// checkpoints, as a sync does, and returns rows per second.
fn store_rows_per_second(dir: &Path, rows: u64) -> f64 {
    use roster_app::store::PageRows;
    use roster_sandbox::contract::{Account, AccountKind, AccountStatus, Instant as At};
    let accounts: Vec<Account> = (0..rows)
        .map(|i| Account {
            // Ids in no particular order, as upstreams hand them out.
            id: format!("712020:{:032x}", scrambled(i)),
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
    let mut store = SqliteStore::open(&dir.join("store-bench.db")).expect("a store");
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

/// `i` with its bits spread over 128, one to one.
fn scrambled(i: u64) -> u128 {
    u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
}

/// Makes the logged requests again with a plain reqwest client that reads
/// and parses each answer, and returns the wall time.
///
/// The client follows the sync's own schedule, upstream by upstream: a
/// request starts once every request that had been answered before the
/// sync sent it has been answered again. So a page that had to wait for
/// the previous page's cursor waits here too, and requests the sync had in
/// flight together go together; what is left out is the sandbox: the
/// component's work, the host's checks and the store.
async fn replay_natively(sim: &Simulator, requests: &[LoggedRequest]) -> Duration {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let (c, urls) = (sim.credentials(), sim.urls());
    let mut by_upstream: Vec<(Upstream, Vec<&LoggedRequest>)> = Vec::new();
    for r in requests {
        match by_upstream.iter_mut().find(|(u, _)| *u == r.upstream) {
            Some((_, list)) => list.push(r),
            None => by_upstream.push((r.upstream, vec![r])),
        }
    }
    let started = Instant::now();
    let lanes = by_upstream.into_iter().map(|(upstream, list)| {
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
        replay_lane(client.clone(), origin, auth, list)
    });
    futures::future::join_all(lanes).await;
    started.elapsed()
}

/// Replays one upstream's requests on the sync's schedule (see
/// [`replay_natively`]).
async fn replay_lane(
    client: reqwest::Client,
    origin: String,
    auth: String,
    mut list: Vec<&LoggedRequest>,
) {
    list.sort_by_key(|r| r.received);
    let mut answers: Vec<std::time::Instant> = list.iter().map(|r| r.answered).collect();
    answers.sort();
    // The position of each request among the answers, to mark it answered.
    let mut answer_order: Vec<usize> = (0..list.len()).collect();
    answer_order.sort_by_key(|&i| list[i].answered);
    let mut rank = vec![0; list.len()];
    for (position, &i) in answer_order.iter().enumerate() {
        rank[i] = position;
    }
    // How many answers, in answer order, have come back again.
    let (answered_tx, mut answered_rx) = tokio::sync::watch::channel(0usize);
    let answered_tx = std::sync::Arc::new(answered_tx);
    let back = std::sync::Arc::new(std::sync::Mutex::new(vec![false; list.len()]));
    let mut flights = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let before = answers.partition_point(|&a| a < r.received);
        answered_rx
            .wait_for(|&n| n >= before)
            .await
            .expect("the lane's sender lives");
        let url = match &r.query {
            Some(q) => format!("{origin}{}?{q}", r.path),
            None => format!("{origin}{}", r.path),
        };
        let method =
            reqwest::Method::from_bytes(r.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = client
            .request(method, url)
            .header("authorization", &auth)
            .header("accept", "application/json");
        if let Some(body) = &r.body {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let (answered_tx, back, position) = (answered_tx.clone(), back.clone(), rank[i]);
        flights.push(tokio::spawn(async move {
            let response = request.send().await.expect("the simulator answers");
            let body = response.bytes().await.expect("the answer arrives");
            let _: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
            let mut back = back.lock().expect("not poisoned");
            back[position] = true;
            answered_tx.send_modify(|n| {
                while *n < back.len() && back[*n] {
                    *n += 1;
                }
            });
        }));
    }
    for flight in flights {
        flight.await.expect("the request task ends");
    }
}
