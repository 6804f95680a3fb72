//! Talking to upstreams: `roster check` and `roster sync`.

use crate::app::App;
use anyhow::{Result, bail};
use futures::future::join_all;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use roster_app::store::{RunRetries, StoreWorker};
use roster_app::sync::{self, Progress};
use roster_sandbox::contract::{Instant as At, Stream, action_name};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// `roster check`: each instance's check report, or why it failed.
pub async fn check(config: &Path, names: &[String]) -> Result<()> {
    let app = App::load(config, true)?;
    let selected = app.selected(names)?;
    let mut failed = 0;
    for c in selected {
        let outcome = async {
            let connector = app.component(c).await?;
            let mut session = app.open(c, &connector).await?;
            Ok::<_, anyhow::Error>(session.check().await?)
        }
        .await;
        match outcome {
            Ok(report) => {
                println!(
                    "{}: ok{}",
                    c.name,
                    report
                        .principal
                        .map(|p| format!(" as {p}"))
                        .unwrap_or_default()
                );
                let streams: Vec<&str> = report
                    .capabilities
                    .streams
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                let actions: Vec<&str> = report
                    .capabilities
                    .actions
                    .iter()
                    .map(|a| action_name(*a))
                    .collect();
                println!("  streams: {}", streams.join(", "));
                println!(
                    "  actions: {}",
                    if actions.is_empty() {
                        "none".to_owned()
                    } else {
                        actions.join(", ")
                    }
                );
                for w in report.warnings {
                    println!("  warning: {w}");
                }
                for c in report.credentials {
                    let scope = match c.scoped {
                        Some(true) => "limited by scopes",
                        Some(false) => "not limited by scopes",
                        None => "scopes unknown",
                    };
                    let expiry = c.expires_at.map_or("expiry unknown".to_owned(), |at| {
                        let (At::Date(t) | At::Timestamp(t)) = at;
                        format!("expires {t}")
                    });
                    println!("  credential `{}`: {scope}, {expiry}", c.id);
                    for b in c.blocks {
                        println!("    cannot: {b}");
                    }
                }
            }
            Err(e) if crate::app::exit_code(&e) == 2 => return Err(e),
            Err(e) => {
                failed += 1;
                println!("{}: FAILED: {e:#}", c.name);
            }
        }
    }
    if failed > 0 {
        bail!("{failed} connector(s) failed their check");
    }
    Ok(())
}

/// `roster sync`: every selected instance concurrently, each into its own
/// run; a failure leaves that connector's previous snapshot in place.
pub async fn sync(config: &Path, names: &[String], resume: bool, wait: bool) -> Result<()> {
    let app = App::load(config, true)?;
    let selected = app.selected(names)?;
    // One sync per connector at a time; held until this one ends.
    let _locks = selected
        .iter()
        .map(|c| app.sync_lock(&c.name, wait))
        .collect::<Result<Vec<_>>>()?;
    // Validate every config before starting anything. Each connector gets
    // a session per stream it reads at once (by default all of them).
    let mut sessions = Vec::new();
    for c in &selected {
        let connector = app.component(c).await?;
        let first = app.open(c, &connector).await?;
        let streams = sync::streams_of(&first).len();
        let at_once = c.streams_at_once.unwrap_or(streams).min(streams);
        let mut mine = vec![first];
        for _ in 1..at_once {
            mine.push(app.open(c, &connector).await?);
        }
        sessions.push((c, mine));
    }
    let progress = Arc::new(Reporter::new());
    let started = Instant::now();
    // One task per connector, so that connectors run in parallel; their
    // pages queue on the store's own thread, so that writing never holds
    // up requests.
    let worker = StoreWorker::spawn(app.store()?)?;
    let mut tasks = Vec::new();
    for (c, mut sessions) in sessions {
        let store = worker.handle();
        let (name, progress) = (c.name.clone(), progress.clone());
        tasks.push(tokio::spawn(async move {
            sync::sync(&store, &mut sessions, &name, resume, &*progress).await
        }));
    }
    let results: Vec<Result<sync::Synced>> = join_all(tasks)
        .await
        .into_iter()
        .map(|joined| Ok(joined??))
        .collect();
    // Join the new snapshot into people now, so that the next report need
    // not; a report would do it itself if this failed.
    if results.iter().any(Result::is_ok)
        && let Err(e) = worker.handle().call(|s| s.join_people()).await
    {
        eprintln!("warning: could not join the new snapshot into people: {e}");
    }
    // Every job was awaited: this only closes the connection.
    drop(worker.finish());
    progress.finish();
    let mut failed = 0;
    for (c, result) in selected.iter().zip(results) {
        match result {
            Ok(synced) => {
                let counts: Vec<String> = synced
                    .run
                    .counts
                    .iter()
                    .map(|(s, n)| format!("{n} {}", s.as_str()))
                    .collect();
                let retries = synced.run.retries;
                let absorbed = if retries == RunRetries::default() {
                    String::new()
                } else {
                    format!(
                        "; absorbed {} request retries and {} call retries",
                        retries.requests, retries.calls
                    )
                };
                println!(
                    "{}: {} run {} ({}){absorbed}",
                    c.name,
                    if synced.resumed {
                        "resumed and completed"
                    } else {
                        "completed"
                    },
                    synced.run.id,
                    counts.join(", ")
                );
                for (stream, why) in &synced.run.skipped {
                    println!("  {} not read, so unknown: {why}", stream.as_str());
                }
                for u in &synced.run.unseen {
                    println!(
                        "  {}: the upstream counts {} seats in use, {} holders were found: {} \
                         hold it in a way this connector cannot list",
                        u.what(),
                        u.counted,
                        u.found,
                        u.missing()
                    );
                }
            }
            Err(e) => {
                failed += 1;
                println!("{}: FAILED, previous snapshot kept: {e:#}", c.name);
            }
        }
    }
    println!("synced in {:.1} s", started.elapsed().as_secs_f64());
    if failed > 0 {
        bail!(
            "{failed} connector(s) failed; `roster sync --resume` continues from the last checkpoint"
        );
    }
    Ok(())
}

/// Progress bars on a terminal, plain log lines otherwise.
struct Reporter {
    bars: Option<Bars>,
}

/// One bar per connector and stream, under one multi-bar.
struct Bars {
    multi: MultiProgress,
    by_stream: Mutex<HashMap<(String, Stream), ProgressBar>>,
}

impl Reporter {
    fn new() -> Reporter {
        let bars = std::io::stderr().is_terminal().then(|| Bars {
            multi: MultiProgress::new(),
            by_stream: Mutex::default(),
        });
        Reporter { bars }
    }

    fn bar(&self, connector: &str, stream: Stream) -> Option<ProgressBar> {
        let Bars { multi, by_stream } = self.bars.as_ref()?;
        let mut bars = by_stream.lock().unwrap_or_else(|e| e.into_inner());
        let bar = bars
            .entry((connector.to_owned(), stream))
            .or_insert_with(|| {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix:>24} {pos:>9} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(format!("{connector} {}", stream.as_str()));
                bar
            });
        Some(bar.clone())
    }

    fn finish(&self) {
        if let Some(bars) = &self.bars {
            let _ = bars.multi.clear();
        }
    }
}

impl Progress for Reporter {
    fn page(&self, connector: &str, stream: Stream, items: u64) {
        if let Some(bar) = self.bar(connector, stream) {
            bar.set_position(items);
            bar.tick();
        }
    }

    fn done(&self, connector: &str, stream: Stream, items: u64) {
        match self.bar(connector, stream) {
            Some(bar) => {
                bar.set_position(items);
                bar.finish_with_message("done");
            }
            None => eprintln!("{connector}: {} done: {items}", stream.as_str()),
        }
    }

    fn skipped(&self, connector: &str, stream: Stream, _why: &str) {
        match self.bar(connector, stream) {
            Some(bar) => bar.finish_with_message("skipped"),
            None => eprintln!("{connector}: {} skipped", stream.as_str()),
        }
    }
}
