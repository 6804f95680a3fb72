//! What the connector benchmarks share: one step measured against the
//! simulator's request log.

use atlassian_sim::Simulator;
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

/// Prints the total line of a sync measured step by step.
pub fn print_total(label: &str, elapsed: Duration, requests: usize) {
    println!(
        "{label:<44} {:>8.2} s {:>13} {requests:>7} requests",
        elapsed.as_secs_f64(),
        ""
    );
}
