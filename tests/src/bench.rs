//! What the connector benchmarks share: one step measured against the
//! simulator's request log.

use crate::harness;
use atlassian_sim::Simulator;
use roster_sandbox::Session;
use std::future::Future;
use std::time::{Duration, Instant};

/// Runs `step` (which returns how many items it read), prints its time,
/// items and the requests the simulator answered meanwhile under `label`,
/// and returns the time and the requests.
pub async fn measure<F: Future<Output = usize>>(
    sim: &Simulator,
    label: &str,
    step: F,
) -> (Duration, usize) {
    sim.clear_requests();
    let start = Instant::now();
    let items = step.await;
    let elapsed = start.elapsed();
    let requests = sim.requests().len();
    println!(
        "{label:<44} {:>8.2} s {items:>7} items {requests:>7} requests",
        elapsed.as_secs_f64(),
    );
    (elapsed, requests)
}

/// Syncs a site connector's accounts (labelled `accounts`, which says how
/// it reads them), products and licences in `session`, measuring each and
/// the whole; returns the requests of the whole.
pub async fn site_sync(sim: &Simulator, session: &mut Session, accounts: &str) -> usize {
    let whole = Instant::now();
    let mut total = 0;
    let (_, n) = measure(sim, accounts, async {
        harness::accounts(session)
            .await
            .expect("accounts")
            .items
            .len()
    })
    .await;
    total += n;
    let (_, n) = measure(sim, "products", async {
        session.products().await.expect("products").len()
    })
    .await;
    total += n;
    let (_, n) = measure(sim, "licences (same session)", async {
        harness::licenses(session)
            .await
            .expect("licences")
            .items
            .len()
    })
    .await;
    total += n;
    print_total(
        "sync (accounts + products + licences)",
        whole.elapsed(),
        total,
    );
    total
}

/// Reads the usage stream in `session`, labelled `label` (which says how
/// the connector reads it), measured; returns its time and requests.
pub async fn usage(sim: &Simulator, session: &mut Session, label: &str) -> (Duration, usize) {
    measure(sim, label, async {
        harness::usage(session).await.expect("usage").items.len()
    })
    .await
}

/// Prints the total line of a sync measured step by step.
pub fn print_total(label: &str, elapsed: Duration, requests: usize) {
    println!(
        "{label:<44} {:>8.2} s {:>13} {requests:>7} requests",
        elapsed.as_secs_f64(),
        ""
    );
}
