//! `roster demo`: the built-in Atlassian simulator on loopback, a config
//! for every built-in connector against it, a sync into a fresh store,
//! and the reports an operator reads first.

use crate::app::App;
use crate::output::Format;
use crate::reports;
use anyhow::{Context, Result};
use atlassian_sim::{SimOptions, Simulator};
use roster_app::builtin;
use std::io::Write as _;

/// The connector whose products the demo prices.
const PRICED: &str = "atlassian-admin";

/// Monthly list prices per seat used by the demo's cost columns.
const DEMO_PRICES: &[(&str, f64)] = &[
    ("jira-software", 8.60),
    ("jira-servicedesk", 21.00),
    ("confluence", 6.40),
    ("trello", 5.00),
    ("bitbucket", 3.30),
];

/// Runs the demo with an organisation of `people`, on several sites with
/// `multi_site`.
pub async fn run(people: usize, multi_site: bool) -> Result<()> {
    let sim = Simulator::start(SimOptions {
        seed: 1,
        people,
        multi_site,
        ..SimOptions::default()
    })
    .await?;
    let dir = tempfile::Builder::new()
        .prefix("roster-demo-")
        .tempdir()
        .context("creating the demo directory")?
        .keep();
    let config = dir.join("roster.toml");
    let ids: Vec<&str> = builtin::all().iter().map(|(id, _)| *id).collect();
    let skipped = sim
        .write_roster_toml(&config, &ids)
        .with_context(|| format!("writing {}", config.display()))?;
    if !skipped.iter().any(|id| id == PRICED) {
        // The organisation's view covers every product: price them there.
        let prices: String = DEMO_PRICES
            .iter()
            .map(|(k, v)| format!("\"{k}\" = {v:.2}\n"))
            .collect();
        let mut file = std::fs::OpenOptions::new().append(true).open(&config)?;
        write!(file, "\n[connectors.{PRICED}.seat_price]\n{prices}")?;
    }
    println!(
        "Simulated Atlassian Cloud organisation: {people} accounts at {} (site) and {} (admin)",
        sim.urls().site,
        sim.urls().admin
    );
    for id in skipped {
        println!("(the simulator has no config for the built-in connector `{id}`: skipped)");
    }
    println!("Config and store: {}\n", dir.display());
    crate::run::sync(&config, &[], false, false).await?;
    let app = App::load(&config, true)?;
    let mut store = app.store()?;
    println!("\nLicences per product (utilisation = active in 30 days / seats bought):\n");
    reports::print_licences(&mut *store, &app.prices(), Format::Table)?;
    println!("\nTop reclaim candidates: paid seats unused for 90 days or never used:\n");
    reports::print_inactive(
        &mut *store,
        &app.prices(),
        90,
        None,
        Some(15),
        Format::Table,
    )?;
    println!(
        "\nExplore the store: roster --config {} licenses | inactive --days 30 | accounts | runs",
        config.display()
    );
    Ok(())
}
