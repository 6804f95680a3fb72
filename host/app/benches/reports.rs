//! The operator's reports at scale: a simulated organisation synced through
//! every built-in connector by the `roster` binary, then `roster licenses`,
//! `roster inactive --days 90` and `roster accounts` timed, with the peak
//! RSS of each process.
//!
//! ```sh
//! cargo bench -p roster-app --bench reports                  # 100 000 people
//! ROSTER_BENCH_PEOPLE=20000 ROSTER_BENCH_ROUNDS=9 cargo bench -p roster-app --bench reports
//! ROSTER_BENCH_BASELINE=/path/to/older/roster cargo bench -p roster-app --bench reports
//! ```
//!
//! With `ROSTER_BENCH_BASELINE`, another `roster` binary syncs the same
//! organisation into a store of its own and runs the same reports, so that
//! both are measured in one run on one machine.

mod support;

use roster_app::store::sqlite::SqliteStore;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::{Launcher, Output, Used};

/// The reports measured, as `roster` arguments.
const REPORTS: [&[&str]; 3] = [
    &["licenses", "--format", "json"],
    &["inactive", "--days", "90", "--format", "json"],
    &["accounts", "--format", "json"],
];

#[tokio::main]
async fn main() {
    Launcher::serve_if_asked();
    let mut launcher = Launcher::start();
    let people = env_number("ROSTER_BENCH_PEOPLE", 100_000);
    let rounds = env_number("ROSTER_BENCH_ROUNDS", 5).max(1);
    let sim = atlassian_sim::Simulator::start(atlassian_sim::SimOptions {
        seed: 9,
        people,
        ..atlassian_sim::SimOptions::default()
    })
    .await
    .expect("the simulator starts");
    let ids = atlassian_sim::roster_config::CONNECTORS;
    let binaries: Vec<(&str, PathBuf)> = [
        Some(("this roster", PathBuf::from(env!("CARGO_BIN_EXE_roster")))),
        std::env::var_os("ROSTER_BENCH_BASELINE").map(|b| ("baseline", PathBuf::from(b))),
    ]
    .into_iter()
    .flatten()
    .collect();
    println!(
        "people: {people}; connectors: {}; rounds: {rounds} (medians)",
        ids.join(", ")
    );
    for (label, binary) in &binaries {
        let dir = tempfile::tempdir().expect("a temporary directory");
        sim.write_roster_toml(&dir.path().join("roster.toml"), ids)
            .expect("writing the config");
        let sync = launcher.run(binary, dir.path(), &["sync"], Output::Counted);
        println!("\n{label} ({})", binary.display());
        println!(
            "  {:<40} {:>8.3} s {:>9.1} MiB",
            "sync",
            sync.wall.as_secs_f64(),
            sync.peak_rss_mib()
        );
        if *label == "this roster" {
            let join = median(
                (0..rounds)
                    .map(|_| {
                        let mut store =
                            SqliteStore::open(&dir.path().join("roster.db")).expect("the store");
                        let started = Instant::now();
                        store.rejoin_people().expect("the people join");
                        started.elapsed()
                    })
                    .collect(),
            );
            println!(
                "  {:<40} {:>8.3} s  (the last step of a sync)",
                "people join",
                join.as_secs_f64()
            );
        }
        for args in REPORTS {
            let runs: Vec<Used> = (0..rounds)
                .map(|_| launcher.run(binary, dir.path(), args, Output::Counted))
                .collect();
            let wall = median(runs.iter().map(|r| r.wall).collect());
            let rss = runs.iter().map(Used::peak_rss_mib).fold(0.0, f64::max);
            println!(
                "  {:<40} {:>8.3} s {:>9.1} MiB  ({} bytes out)",
                format!("roster {}", args.join(" ")),
                wall.as_secs_f64(),
                rss,
                runs[0].output_bytes
            );
        }
    }
}

/// A number from the environment, or `default`.
fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}
