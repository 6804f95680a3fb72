//! Syncs a 10 000-person Atlassian organisation (accounts, products,
//! licences, usage) through the host with the organization admin
//! connector, every answer delayed by a simulated latency, and the user
//! search without last-active timestamps so that usage fans out to the v1
//! last-active dates, one request per person. Prints each stream's wall
//! time and requests (from the simulator's log), and the fan-out's time as
//! a ratio to its floor: people ÷ concurrency × latency.
//!
//! `cargo bench -p roster-tests --bench admin`

use atlassian_sim::Behaviour;
use roster_tests::bench::{self, print_total};
use roster_tests::harness;
use std::time::{Duration, Instant};

/// People in the simulated organisation (apps and customers included).
const PEOPLE: usize = 10_000;

/// Requests in flight per upstream.
const CONCURRENCY: usize = 16;

/// Added to every answer.
const LATENCY: Duration = Duration::from_millis(20);

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let behaviour = Behaviour {
        latency: LATENCY,
        search_last_active: false,
        ..Behaviour::default()
    };
    let sim = harness::simulator(PEOPLE, 1, behaviour).await;
    let runtime = harness::runtime(CONCURRENCY);
    let connector = harness::connector(&runtime, "atlassian-admin").await;
    let config = sim
        .connector_config("atlassian-admin")
        .expect("the simulator configures the admin connector");
    let mut session = harness::open(&runtime, &connector, &config).await;
    println!(
        "atlassian-admin: {PEOPLE} people, {CONCURRENCY} requests in flight, {} ms latency",
        LATENCY.as_millis()
    );

    let whole = Instant::now();
    let mut total = bench::site_sync(&sim, &mut session, "accounts").await;
    let (usage_time, n) = bench::usage(&sim, &mut session, "usage (last-active fan-out)").await;
    total += n;
    print_total("sync", whole.elapsed(), total);

    let members = {
        let org = sim.org();
        org.people
            .iter()
            .filter(|p| p.account_type == atlassian_sim::AccountType::Atlassian)
            .count()
    };
    let floor = LATENCY.mul_f64(members as f64 / CONCURRENCY as f64);
    println!(
        "usage fan-out: {members} people in the directory; floor {members} / {CONCURRENCY} x {} ms \
         = {:.2} s; measured {:.2} s; ratio {:.2}",
        LATENCY.as_millis(),
        floor.as_secs_f64(),
        usage_time.as_secs_f64(),
        usage_time.as_secs_f64() / floor.as_secs_f64()
    );
}
