//! `roster`: enable SaaS connectors one at a time, check them, sync them
//! into a local store, and read licence and usage reports.

mod app;
mod catalog;
mod demo;
mod output;
mod reports;
mod run;

use clap::{Parser, Subcommand};
use output::Format;
use std::path::PathBuf;

/// Roster: who has an account in each SaaS product, which paid seat each
/// holds and when it was last used, and access changes, through sandboxed
/// connectors.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The operator's config file.
    #[arg(long, global = true, default_value = "roster.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in and configured connectors: version, capabilities,
    /// and the hosts each will contact with its config.
    Connectors {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Print a connector's config JSON Schema.
    Schema {
        /// A built-in connector id, or the path of a `.wasm` component.
        component: String,
    },
    /// Print a documented `roster.toml` stanza for a connector.
    Init {
        /// A built-in connector id, or the path of a `.wasm` component.
        component: String,
        /// The instance name to use (default: the connector's id).
        #[arg(long)]
        name: Option<String>,
    },
    /// Prove each configured connector's credentials and permissions work.
    Check {
        /// Connector instances (default: all configured).
        names: Vec<String>,
    },
    /// Sync connectors into the store, concurrently.
    Sync {
        /// Connector instances (default: all configured).
        names: Vec<String>,
        /// Continue each connector's last unfinished run from its checkpoints.
        #[arg(long)]
        resume: bool,
        /// Wait for a sync of the same connector that is still running,
        /// instead of refusing to start.
        #[arg(long)]
        wait: bool,
    },
    /// List accounts of the current snapshot.
    Accounts {
        /// Only this connector instance.
        #[arg(long)]
        connector: Option<String>,
        /// Only holders of this product key.
        #[arg(long)]
        product: Option<String>,
        /// Only this status (active, suspended, deactivated, invited).
        #[arg(long)]
        status: Option<String>,
        /// Only accounts whose email, name or id contains this text.
        #[arg(long)]
        search: Option<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// One person across every product, with last activity in each.
    Person {
        /// An email address or an account id.
        who: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Seats per product: bought, assigned, billable, activity, utilisation, cost.
    Licenses {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Licensed accounts not active for N days or never: reclaim candidates.
    Inactive {
        /// Days without activity.
        #[arg(long)]
        days: u32,
        /// Only this product key.
        #[arg(long)]
        product: Option<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Sync history: counts, duration, errors.
    Runs {
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Run every built-in connector against the built-in Atlassian
    /// simulator and print the licence report and reclaim candidates.
    Demo {
        /// People in the simulated organisation.
        #[arg(long, default_value_t = 2000)]
        people: usize,
        /// Give the organisation a second Jira Software site and a sandbox.
        #[arg(long)]
        multi_site: bool,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROSTER_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        if app::is_closed_output(&e) {
            // `roster … | head`: the reader has what it wanted.
            return;
        }
        eprintln!("error: {e:#}");
        std::process::exit(app::exit_code(&e));
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::Connectors { format } => {
            catalog::connectors(&config, Format::or_default(format)).await
        }
        Command::Schema { component } => catalog::schema(&config, &component).await,
        Command::Init { component, name } => {
            catalog::init(&config, &component, name.as_deref()).await
        }
        Command::Check { names } => run::check(&config, &names).await,
        Command::Sync {
            names,
            resume,
            wait,
        } => run::sync(&config, &names, resume, wait).await,
        Command::Accounts {
            connector,
            product,
            status,
            search,
            format,
        } => reports::accounts(
            &config,
            roster_app::store::AccountFilter {
                connector,
                product,
                status,
                search,
            },
            Format::or_default(format),
        ),
        Command::Person { who, format } => {
            reports::person(&config, &who, Format::or_default(format))
        }
        Command::Licenses { format } => reports::licenses(&config, Format::or_default(format)),
        Command::Inactive {
            days,
            product,
            format,
        } => reports::inactive(
            &config,
            days,
            product.as_deref(),
            Format::or_default(format),
        ),
        Command::Runs { format } => reports::runs(&config, Format::or_default(format)),
        Command::Demo { people, multi_site } => demo::run(people, multi_site).await,
    }
}
