//! `atlassian-sim`: serves a generated Atlassian Cloud organisation on
//! loopback and prints the URLs and credentials to use.

use atlassian_sim::roster_config;
use atlassian_sim::{Behaviour, RateLimit, SimOptions, Simulator};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// An offline twin of the Atlassian Cloud APIs (Admin, SCIM, Jira,
/// Confluence, Trello, Bitbucket) serving one generated organisation.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// First of four consecutive ports: admin, site, Trello, Bitbucket.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Accounts in the organisation (10 to 200 000).
    #[arg(long, default_value_t = 1000)]
    people: usize,
    /// Seed of the generated organisation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Refuse with 429 more than N requests per second per upstream.
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// Refuse every Nth request per upstream with 429.
    #[arg(long, value_name = "N", conflicts_with = "rate_limit")]
    rate_limit_every: Option<u32>,
    /// Share of requests answered 503 (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    unavailable: f64,
    /// Share of requests answered 500 (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    internal_errors: f64,
    /// Milliseconds added to every response.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of responses delayed by two seconds (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    slow: f64,
    /// Share of responses whose body is cut half way (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    truncated: f64,
    /// Share of connections dropped before the body (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    resets: f64,
    /// Share of writes whose answer is lost after they were applied (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    write_resets: f64,
    /// Add a second production site (`<site>-eu`: Jira Software and
    /// Confluence) and a sandbox (`<site>-sandbox`: Jira Software), served
    /// by the Admin API; Jira and Confluence still serve the main site.
    #[arg(long)]
    multi_site: bool,
    /// Leave `lastActiveTimestamp` out of the Admin API's user search, so
    /// that connectors fall back to v1 last-active-dates.
    #[arg(long)]
    no_search_last_active: bool,
    /// Write a `roster.toml` enabling Roster's built-in connectors against
    /// this simulator to FILE (secrets in files under `secrets/` beside
    /// it; the store beside it too), then run `roster --config FILE sync`.
    #[arg(long, value_name = "FILE")]
    roster_toml: Option<PathBuf>,
    /// Write the organisation as generated (accounts, groups, what each
    /// holds, seats) to FILE as JSON, to check a connector against;
    /// `GET /_sim/ground-truth` on the admin port answers it as it is now,
    /// and `GET /_sim/requests` the requests answered so far.
    #[arg(long, value_name = "FILE")]
    ground_truth: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let rate_limit = match (args.rate_limit, args.rate_limit_every) {
        (Some(requests), _) => Some(RateLimit::Window {
            requests,
            window: Duration::from_secs(1),
        }),
        (_, Some(n)) => Some(RateLimit::Every {
            n,
            wait: Duration::from_secs(1),
        }),
        _ => None,
    };
    for (name, share) in [
        ("--unavailable", args.unavailable),
        ("--internal-errors", args.internal_errors),
        ("--slow", args.slow),
        ("--truncated", args.truncated),
        ("--resets", args.resets),
        ("--write-resets", args.write_resets),
    ] {
        if !(0.0..=1.0).contains(&share) {
            eprintln!(
                "error: {name} is a share of requests: give a number from 0 to 1, not {share}"
            );
            std::process::exit(2);
        }
    }
    let options = SimOptions {
        seed: args.seed,
        people: args.people,
        behaviour: Behaviour {
            rate_limit,
            unavailable: args.unavailable,
            internal_errors: args.internal_errors,
            latency: Duration::from_millis(args.latency_ms),
            slow: args.slow,
            truncated: args.truncated,
            resets: args.resets,
            write_resets: args.write_resets,
            search_last_active: !args.no_search_last_active,
            ..Behaviour::default()
        },
        first_port: Some(args.port),
        multi_site: args.multi_site,
        ..SimOptions::default()
    };
    let sim = match Simulator::start(options).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let (urls, c) = (sim.urls(), sim.credentials());
    println!(
        "Atlassian Cloud simulator: {} accounts, seed {}",
        args.people, args.seed
    );
    println!();
    println!("Admin API, user management, SCIM   {}", urls.admin);
    println!("  org id                           {}", c.org_id);
    println!("  org API key (no scopes)          {}", c.org_api_key);
    println!(
        "  org API key (with scopes)        {}",
        c.scoped_org_api_key
    );
    println!("  SCIM directory id                {}", c.directory_id);
    println!("  SCIM API key                     {}", c.scim_api_key);
    println!("Jira and Confluence (site {})     {}", c.site, urls.site);
    println!(
        "  admin email / API token          {} / {}",
        c.admin_email, c.admin_api_token
    );
    println!(
        "  user email / API token           {} / {}",
        c.user_email, c.user_api_token
    );
    {
        let org = sim.org();
        if org.sites.len() > 1 {
            println!("Other sites (Admin API only)");
        }
        for site in org.sites.iter().skip(1) {
            let name = if site.sandbox {
                format!("{} (sandbox)", site.subdomain)
            } else {
                site.subdomain.clone()
            };
            println!("  {name:<33}cloud id {}", site.cloud_id);
        }
    }
    println!("Trello                             {}", urls.trello);
    println!(
        "  key / token                      {} / {}",
        c.trello_key, c.trello_token
    );
    println!(
        "  workspace / enterprise           {} / {}",
        c.trello_workspace, c.trello_enterprise
    );
    println!("Bitbucket                          {}", urls.bitbucket);
    println!(
        "  workspace                        {}",
        c.bitbucket_workspace
    );
    println!(
        "  email / API token                {} / {}",
        c.admin_email, c.bitbucket_api_token
    );
    if let Some(file) = &args.roster_toml {
        if let Err(e) = sim.write_roster_toml(file, roster_config::CONNECTORS) {
            eprintln!("error: writing {}: {e}", file.display());
            std::process::exit(2);
        }
        println!();
        println!(
            "roster.toml for {}: {} (roster --config {} sync)",
            roster_config::CONNECTORS.join(", "),
            file.display(),
            file.display()
        );
    }
    if let Some(file) = &args.ground_truth {
        let truth = atlassian_sim::ground_truth::of(&sim.org());
        let text = serde_json::to_string_pretty(&truth).unwrap_or_default();
        if let Err(e) = std::fs::write(file, text + "\n") {
            eprintln!("error: writing {}: {e}", file.display());
            std::process::exit(2);
        }
        println!();
        println!("ground truth: {}", file.display());
    }
    println!();
    println!(
        "Request log: {}/_sim/requests; the organisation now: {}/_sim/ground-truth",
        urls.admin, urls.admin
    );
    println!("Ctrl-C stops it.");
    let _ = tokio::signal::ctrl_c().await;
}
