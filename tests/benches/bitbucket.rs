//! Syncs a Bitbucket workspace of about 2 000 members (accounts, products,
//! licences, usage) through the host and prints the wall time and the
//! requests each stream made, from the simulator's request log, and the
//! requests per 1 000 members: what a sync costs of Bitbucket's 1 000
//! requests an hour.
//!
//! `cargo bench -p roster-tests --bench bitbucket`

use atlassian_sim::{AccountType, Behaviour, ProductKey};
use roster_tests::bench::{self, print_total};
use roster_tests::harness;
use std::time::Instant;

/// People in the organisation: about 2 000 of them are workspace members.
const PEOPLE: usize = 7_500;

/// Requests in flight per upstream, as the host's default budget.
const CONCURRENCY: usize = 8;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sim = harness::simulator(PEOPLE, 1, Behaviour::default()).await;
    let members = {
        let org = sim.org();
        let holds = |p: &&atlassian_sim::Person| {
            p.account_type == AccountType::Atlassian
                && p.is_enabled()
                && org.access(p, ProductKey::Bitbucket).is_some()
        };
        org.people.iter().filter(holds).count()
    };
    let runtime = harness::runtime(CONCURRENCY);
    let connector = harness::connector(&runtime, "bitbucket").await;
    let config = harness::builtin_config("bitbucket", &sim);
    let mut session = harness::open(&runtime, &connector, &config).await;
    println!("bitbucket: {members} members, {CONCURRENCY} requests in flight");

    let whole = Instant::now();
    let mut total =
        bench::site_sync(&sim, &mut session, "accounts (permissions, then groups)").await;
    let (_, n) = bench::usage(&sim, &mut session, "usage (last accessed)").await;
    total += n;
    print_total("sync (all four streams)", whole.elapsed(), total);
    println!(
        "{:.1} requests per 1 000 members",
        total as f64 * 1_000.0 / members as f64
    );
}
