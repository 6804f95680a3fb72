//! Syncs a 10 000-account Jira site (accounts, products, licences) through
//! the host and prints the wall time and the requests each stream made,
//! from the simulator's request log: the site admin's sync, which reads
//! memberships group by group, beside an ordinary user's accounts sync,
//! which reads them user by user.
//!
//! `cargo bench -p roster-tests --bench jira`

use atlassian_sim::{Behaviour, Simulator};
use roster_sandbox::Session;
use roster_tests::bench::{self, measure};
use roster_tests::harness;

/// Accounts on the simulated site.
const PEOPLE: usize = 10_000;

/// Requests in flight per upstream, as the host's default budget.
const CONCURRENCY: usize = 8;

/// A session as the user with this email and API token (the site admin's
/// when none).
async fn open(sim: &Simulator, user: Option<(&str, &str)>) -> Session {
    let runtime = harness::runtime(CONCURRENCY);
    let connector = harness::connector(&runtime, "jira").await;
    let mut config = sim
        .connector_config("jira")
        .expect("the simulator configures the Jira connector");
    if let Some((email, token)) = user {
        config["email"] = email.into();
        config["api_token"] = token.into();
    }
    harness::open(&runtime, &connector, &config).await
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sim = harness::simulator(PEOPLE, 1, Behaviour::default()).await;
    let creds = sim.credentials().clone();
    println!("jira: {PEOPLE} accounts, {CONCURRENCY} requests in flight");

    let mut admin = open(&sim, None).await;
    bench::site_sync(&sim, &mut admin, "accounts (site admin, groups by group)").await;

    let mut fresh = open(&sim, None).await;
    measure(&sim, "licences alone (fresh session)", async {
        harness::licenses(&mut fresh)
            .await
            .expect("licences")
            .items
            .len()
    })
    .await;

    let mut user = open(&sim, Some((&creds.user_email, &creds.user_api_token))).await;
    measure(&sim, "accounts (ordinary user, user by user)", async {
        harness::accounts(&mut user)
            .await
            .expect("accounts")
            .items
            .len()
    })
    .await;
}
