//! Syncs a 10 000-account Confluence site (accounts, products, licences)
//! through the host and prints the wall time and the requests each stream
//! made, from the simulator's request log, and the requests per 1 000
//! people.
//!
//! `cargo bench -p roster-tests --bench confluence`

use atlassian_sim::Behaviour;
use roster_tests::bench::{self, measure};
use roster_tests::harness;

/// Accounts on the simulated site.
const PEOPLE: usize = 10_000;

/// Requests in flight per upstream, as the host's default budget.
const CONCURRENCY: usize = 8;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sim = harness::simulator(PEOPLE, 1, Behaviour::default()).await;
    let runtime = harness::runtime(CONCURRENCY);
    let connector = harness::connector(&runtime, "confluence").await;
    let config = harness::builtin_config("confluence", &sim);
    println!("confluence: {PEOPLE} accounts, {CONCURRENCY} requests in flight");

    let mut session = harness::open(&runtime, &connector, &config).await;
    let total = bench::site_sync(&sim, &mut session, "accounts (groups, then user searches)").await;
    println!(
        "{:.1} requests per 1 000 people",
        total as f64 * 1_000.0 / PEOPLE as f64
    );

    let mut fresh = harness::open(&runtime, &connector, &config).await;
    measure(&sim, "licences alone (fresh session)", async {
        harness::licenses(&mut fresh)
            .await
            .expect("licences")
            .items
            .len()
    })
    .await;
}
