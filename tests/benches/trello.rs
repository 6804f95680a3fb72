//! Syncs a Trello Enterprise of about 10 000 members (accounts, products,
//! licences, usage) through the host and prints the wall time, the
//! requests each stream made, from the simulator's request log, and the
//! requests per 1 000 members: what a sync costs of Trello's 100 requests
//! in 10 s per token.
//!
//! `cargo bench -p roster-tests --bench trello`

use atlassian_sim::{AccountType, Behaviour, Org, ProductKey};
use roster_tests::bench::{self, print_total};
use roster_tests::harness::{self, NOW};
use std::time::Instant;

/// Members of the workspace.
const MEMBERS: usize = 10_000;

/// People who hold Trello in `org`.
fn members(org: &Org) -> usize {
    let holds = |p: &&atlassian_sim::Person| {
        p.account_type == AccountType::Atlassian && org.access(p, ProductKey::Trello).is_some()
    };
    org.people.iter().filter(holds).count()
}

/// The head count of an organisation with at least [`MEMBERS`] members.
fn people() -> usize {
    let mut people = MEMBERS * 3;
    while members(&atlassian_sim::generate::organisation(3, people, NOW)) < MEMBERS {
        people += people / 50;
    }
    people
}

/// Requests in flight per upstream, as the host's default budget.
const CONCURRENCY: usize = 8;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sim = harness::simulator(people(), 3, Behaviour::default()).await;
    let members = members(&sim.org());
    let runtime = harness::runtime(CONCURRENCY);
    let connector = harness::connector(&runtime, "trello").await;
    let config = harness::builtin_config("trello", &sim);
    let mut session = harness::open(&runtime, &connector, &config).await;
    println!("trello: about {members} members, {CONCURRENCY} requests in flight");

    let whole = Instant::now();
    let mut total = bench::site_sync(&sim, &mut session, "accounts (Enterprise query)").await;
    let (_, n) = bench::usage(&sim, &mut session, "usage (last impression)").await;
    total += n;
    print_total("sync (all four streams)", whole.elapsed(), total);
    println!(
        "{:.1} requests per 1 000 members",
        total as f64 * 1_000.0 / members as f64
    );
}
