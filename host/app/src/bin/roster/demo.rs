//! `roster demo`: the built-in Atlassian simulator on loopback, a config
//! for every built-in connector against it, a sync into a fresh store,
//! and the reports an operator reads first.

use crate::app::App;
use crate::output::Format;
use crate::reports;
use anyhow::{Context, Result};
use atlassian_sim::{Credentials, SimOptions, Simulator, Urls};
use roster_app::builtin;
use std::fmt::Write as _;
use std::path::Path;

/// Monthly list prices per seat used by the demo's cost columns.
const DEMO_PRICES: &[(&str, f64)] = &[
    ("jira-software", 8.60),
    ("jira-servicedesk", 21.00),
    ("confluence", 6.40),
    ("trello", 5.00),
    ("bitbucket", 3.30),
];

/// Runs the demo with an organisation of `people`.
pub async fn run(people: usize) -> Result<()> {
    let sim = Simulator::start(SimOptions {
        seed: 1,
        people,
        ..SimOptions::default()
    })
    .await?;
    let dir = tempfile::Builder::new()
        .prefix("roster-demo-")
        .tempdir()
        .context("creating the demo directory")?
        .keep();
    let config = dir.join("roster.toml");
    let (text, skipped) = demo_config(&dir, sim.urls(), sim.credentials())?;
    std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    println!(
        "Simulated Atlassian Cloud organisation: {people} accounts at {} (site) and {} (admin)",
        sim.urls().site,
        sim.urls().admin
    );
    for id in skipped {
        println!(
            "(the demo does not know how to configure the built-in connector `{id}`; skipped)"
        );
    }
    println!("Config and store: {}\n", dir.display());
    crate::run::sync(&config, &[], false).await?;
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

/// `roster.toml` for every built-in connector the demo knows, secrets in
/// files beside it; returns the text and the built-ins it skipped.
fn demo_config(dir: &Path, urls: &Urls, c: &Credentials) -> Result<(String, Vec<&'static str>)> {
    let secrets = dir.join("secrets");
    std::fs::create_dir_all(&secrets)?;
    let secret = |name: &str, value: &str| -> Result<String> {
        std::fs::write(secrets.join(name), value)?;
        Ok(format!("{{ file = \"secrets/{name}\" }}"))
    };
    let mut out = String::from(
        "# Written by `roster demo`: every built-in connector against the simulator.\n\
         [store]\npath = \"roster.db\"\n\n[network]\nallow_private = true\n",
    );
    let mut skipped = Vec::new();
    for (id, _) in builtin::all() {
        let fields: Vec<(&str, String)> = match *id {
            "atlassian-admin" => vec![
                ("org_id", quoted(&c.org_id)),
                ("api_key", secret("admin-api-key", &c.org_api_key)?),
                ("directory_id", quoted(&c.directory_id)),
                (
                    "scim_api_key",
                    secret("admin-scim-api-key", &c.scim_api_key)?,
                ),
                ("base_url", quoted(&urls.admin)),
            ],
            "jira" | "confluence" => vec![
                ("site", quoted(&c.site)),
                ("email", quoted(&c.admin_email)),
                (
                    "api_token",
                    secret(&format!("{id}-api-token"), &c.admin_api_token)?,
                ),
                ("base_url", quoted(&urls.site)),
            ],
            "trello" => vec![
                ("workspace", quoted(&c.trello_workspace)),
                ("enterprise", quoted(&c.trello_enterprise)),
                ("api_key", secret("trello-api-key", &c.trello_key)?),
                ("token", secret("trello-token", &c.trello_token)?),
                ("base_url", quoted(&urls.trello)),
            ],
            "bitbucket" => vec![
                ("workspace", quoted(&c.bitbucket_workspace)),
                ("email", quoted(&c.admin_email)),
                (
                    "api_token",
                    secret("bitbucket-api-token", &c.bitbucket_api_token)?,
                ),
                ("base_url", quoted(&urls.bitbucket)),
            ],
            other => {
                skipped.push(other);
                continue;
            }
        };
        let _ = writeln!(out, "\n[connectors.{id}]\ncomponent = \"{id}\"");
        if *id == "atlassian-admin" {
            // The organisation's view covers every product: price them there.
            let prices: Vec<String> = DEMO_PRICES
                .iter()
                .map(|(k, v)| format!("\"{k}\" = {v:.2}"))
                .collect();
            let _ = writeln!(out, "seat_price = {{ {} }}", prices.join(", "));
        }
        let _ = writeln!(out, "[connectors.{id}.config]");
        for (k, v) in fields {
            let _ = writeln!(out, "{k} = {v}");
        }
    }
    Ok((out, skipped))
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
