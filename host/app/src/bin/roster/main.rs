//! `roster`: enable SaaS connectors one at a time, check them, sync them
//! into a local store, read licence and usage reports, and change access
//! through plans that are reviewed, applied and audited.

mod access;
mod app;
mod catalog;
mod demo;
mod output;
mod reports;
mod run;

use clap::{Args, Parser, Subcommand};
use output::Format;
use roster_sandbox::contract::ActionKind;
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

/// What the commands that change access share.
#[derive(Args)]
struct PlanArgs {
    /// Carry the plan out; without it, only the plan is printed and
    /// nothing changes.
    #[arg(long)]
    apply: bool,
    /// Do not ask before applying more than 10 changes.
    #[arg(long)]
    yes: bool,
    /// Save the plan to this file, to review and carry out later with
    /// `roster apply FILE`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Who is changing access, for the audit log (default: the OS user).
    #[arg(long)]
    actor: Option<String>,
    /// Output format.
    #[arg(long, value_enum)]
    format: Option<Format>,
}

impl PlanArgs {
    fn options(self) -> access::PlanOptions {
        access::PlanOptions {
            apply: self.apply,
            yes: self.yes,
            out: self.out,
            actor: self.actor,
            format: Format::or_default(self.format),
        }
    }
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
    /// Give a person a product (or a group) through a connector.
    Grant {
        /// The connector instance.
        connector: String,
        /// The person: an email or an account id.
        who: String,
        /// The product key, or `key@instance` (its id or host) when it has
        /// several instances.
        product: Option<String>,
        /// A group (id or name) instead of a product.
        #[arg(long, conflicts_with = "product")]
        group: Option<String>,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Take a product (or a group) away from a person through a connector.
    Revoke {
        /// The connector instance.
        connector: String,
        /// The person: an email or an account id.
        who: String,
        /// The product key, or `key@instance`.
        product: Option<String>,
        /// A group (id or name) instead of a product.
        #[arg(long, conflicts_with = "product")]
        group: Option<String>,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Block a person's sign-in, keeping the account.
    Suspend {
        /// The connector instance.
        connector: String,
        /// The person: an email or an account id.
        who: String,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Undo a suspension.
    Restore {
        /// The connector instance.
        connector: String,
        /// The person: an email or an account id.
        who: String,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Remove a person's account.
    Remove {
        /// The connector instance.
        connector: String,
        /// The person: an email or an account id.
        who: String,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Invite someone, granting products.
    Invite {
        /// The connector instance.
        connector: String,
        /// Where the invitation goes.
        email: String,
        /// A product to grant (key or `key@instance`); repeat for several.
        #[arg(long = "product")]
        products: Vec<String>,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Invite a newcomer and grant each product through the connector that
    /// owns it.
    Onboard {
        /// Where the invitations go.
        email: String,
        /// A product to grant (key or `key@instance`); repeat for several.
        #[arg(long = "product", required = true)]
        products: Vec<String>,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Take away all of a person's access, in one plan: suspended where a
    /// connector can suspend (the organization admin connector covers every
    /// Atlassian product), revoked product by product elsewhere.
    Offboard {
        /// The person: an email or an account id.
        who: String,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Revoke paid seats not used for N days (or never), except those the
    /// reclaim policy of roster.toml keeps.
    Reclaim {
        /// Days without activity (default: `days` of [policy.reclaim]).
        #[arg(long)]
        days: Option<u32>,
        /// Only this product key; repeat for several (default: the
        /// policy's `products`, else every product).
        #[arg(long = "product")]
        products: Vec<String>,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Carry out a plan saved with `--out`, once each step still plans
    /// what it did when it was saved.
    Apply {
        /// The plan file.
        file: PathBuf,
        /// Do not ask before applying more than 10 changes.
        #[arg(long)]
        yes: bool,
        /// Who is changing access, for the audit log (default: the OS user).
        #[arg(long)]
        actor: Option<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// The audit log of access changes.
    Audit {
        /// Only records written since this day or instant (`2026-12-01`).
        #[arg(long)]
        since: Option<String>,
        /// Only records about this email or account id.
        #[arg(long)]
        person: Option<String>,
        /// Only records of this plan.
        #[arg(long)]
        plan: Option<String>,
        /// Check that every record chains to the one before, and report
        /// the first that does not.
        #[arg(long)]
        verify: bool,
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

/// `roster grant|revoke` of a product or (the second of the pair) a group.
async fn access_change(
    config: &std::path::Path,
    grant: bool,
    connector: String,
    who: String,
    (product, group): (Option<String>, Option<String>),
    plan: PlanArgs,
) -> anyhow::Result<()> {
    let action = access::Single::Access {
        grant,
        connector,
        who,
        product,
        group,
    };
    access::single(config, action, plan.options()).await
}

/// `roster suspend|restore|remove`.
async fn account_action(
    config: &std::path::Path,
    kind: ActionKind,
    connector: String,
    who: String,
    plan: PlanArgs,
) -> anyhow::Result<()> {
    let action = access::Single::Account {
        kind,
        connector,
        who,
    };
    access::single(config, action, plan.options()).await
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
        Command::Grant {
            connector,
            who,
            product,
            group,
            plan,
        } => access_change(&config, true, connector, who, (product, group), plan).await,
        Command::Revoke {
            connector,
            who,
            product,
            group,
            plan,
        } => access_change(&config, false, connector, who, (product, group), plan).await,
        Command::Suspend {
            connector,
            who,
            plan,
        } => account_action(&config, ActionKind::Suspend, connector, who, plan).await,
        Command::Restore {
            connector,
            who,
            plan,
        } => account_action(&config, ActionKind::Restore, connector, who, plan).await,
        Command::Remove {
            connector,
            who,
            plan,
        } => account_action(&config, ActionKind::Remove, connector, who, plan).await,
        Command::Invite {
            connector,
            email,
            products,
            plan,
        } => {
            let action = access::Single::Invite {
                connector,
                email,
                products,
            };
            access::single(&config, action, plan.options()).await
        }
        Command::Onboard {
            email,
            products,
            plan,
        } => access::onboard(&config, &email, &products, plan.options()).await,
        Command::Offboard { who, plan } => access::offboard(&config, &who, plan.options()).await,
        Command::Reclaim {
            days,
            products,
            plan,
        } => access::reclaim(&config, days, products, plan.options()).await,
        Command::Apply {
            file,
            yes,
            actor,
            format,
        } => {
            let opts = access::PlanOptions {
                apply: true,
                yes,
                out: None,
                actor,
                format: Format::or_default(format),
            };
            access::apply_saved(&config, &file, opts).await
        }
        Command::Audit {
            since,
            person,
            plan,
            verify,
            format,
        } => access::audit(
            &config,
            roster_app::store::AuditFilter {
                since,
                person,
                plan,
            },
            verify,
            Format::or_default(format),
        ),
    }
}
