//! `roster`: run Roster connectors from the command line.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use roster_host::{Connector, Runtime, RuntimeOptions, builtin};
use std::path::PathBuf;

/// Roster: who has which SaaS seat, when they last used it, and access
/// changes, through sandboxed connectors.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in connectors and what they can do.
    Connectors,
    /// Print a connector's config JSON Schema.
    Schema {
        /// A built-in connector id, or the path of a `.wasm` component.
        component: String,
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
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: cache_dir(),
        ..RuntimeOptions::default()
    })?;
    match cli.command {
        Command::Connectors => {
            for (id, _) in builtin::all() {
                let connector = load(&runtime, id).await?;
                let m = connector.manifest().raw();
                println!(
                    "{} {} (contract {})",
                    m.id,
                    m.version,
                    connector.contract_version()
                );
                println!("  {}", m.description);
                println!("  streams: {:?}", m.capabilities.streams);
                println!("  actions: {:?}", m.capabilities.actions);
                println!("  hosts:   {}", m.hosts.join(", "));
            }
        }
        Command::Schema { component } => {
            let connector = load(&runtime, &component).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(connector.manifest().schema().document())?
            );
        }
    }
    Ok(())
}

/// A built-in connector by id, or a component file.
async fn load(runtime: &Runtime, component: &str) -> Result<Connector> {
    if let Some(bytes) = builtin::get(component) {
        return Ok(runtime.load_bytes(bytes).await?);
    }
    if !component.ends_with(".wasm") {
        let ids: Vec<&str> = builtin::all().iter().map(|(id, _)| *id).collect();
        bail!(
            "`{component}` is neither a built-in connector ({}) nor a .wasm file",
            ids.join(", ")
        );
    }
    runtime
        .load_file(component.as_ref())
        .await
        .with_context(|| format!("loading {component}"))
}

/// `$XDG_CACHE_HOME/roster`, else `~/.cache/roster`.
fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("roster"))
}
