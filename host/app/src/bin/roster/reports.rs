//! Reading the store: `roster accounts`, `person`, `licenses`, `inactive`
//! and `runs`.

use crate::app::{App, ConfigProblem};
use crate::output::{self, Cell, Format, RowWriter, STREAMED_LAYOUT_ROWS, Table};
use anyhow::Result;
use roster_app::reports::{self, Prices};
use roster_app::store::{AccountFilter, RunStatus, Store};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;
use time::{Date, OffsetDateTime};

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The store of a report, saying on stderr when no sync has completed
/// into it yet (the report is then empty, and how to fill it).
fn report_store(app: &App) -> Result<Box<dyn Store>> {
    let store = app.store()?;
    if !store
        .runs()?
        .iter()
        .any(|r| r.status == RunStatus::Completed)
    {
        eprintln!(
            "note: no sync has completed into {} yet, so there is nothing to report: run \
             `roster sync` (or `roster demo` to try Roster against a simulated organisation)",
            store.location()
        );
    }
    for (connector, stream, why) in store.current_skips()? {
        eprintln!(
            "note: `{connector}` did not read its {} in its last sync, so they are unknown, not \
             none: {why}",
            stream.as_str()
        );
    }
    Ok(store)
}

/// `roster accounts`: streamed, so that a large snapshot is never held.
pub fn accounts(config: &Path, filter: AccountFilter, format: Format) -> Result<()> {
    const STATUSES: [&str; 5] = ["active", "suspended", "deactivated", "invited", "unknown"];
    if let Some(s) = filter.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(ConfigProblem(format!(
            "--status {s}: expected one of {}",
            STATUSES.join(", ")
        ))
        .into());
    }
    let app = App::load(config, true)?;
    let mut store = report_store(&app)?;
    let mut stdout = output::stdout();
    let mut out = RowWriter::new(
        &[
            "connector",
            "id",
            "email",
            "name",
            "status",
            "kind",
            "status_from",
        ],
        format,
        &mut stdout,
        STREAMED_LAYOUT_ROWS,
    );
    store.each_account(&filter, &mut |a| {
        out.offer(vec![
            a.connector.into(),
            a.id.into(),
            a.email.into(),
            a.display_name.into(),
            a.status.into(),
            a.kind.into(),
            a.status_from.into(),
        ])
    })?;
    out.finish()?;
    stdout.flush()?;
    Ok(())
}

/// `roster person <email or id>`: every account of the person and every
/// product they hold, with last activity.
pub fn person(config: &Path, who: &str, format: Format) -> Result<()> {
    let app = App::load(config, true)?;
    let Some(rows) = app.store()?.person(who)? else {
        anyhow::bail!("no account with the email or id `{who}` in the current snapshot");
    };
    let mut table = Table::new(&[
        "connector",
        "account_id",
        "email",
        "status",
        "status_from",
        "product",
        "instance",
        "role",
        "billable",
        "last_active",
    ]);
    for row in rows {
        let a = row.account;
        let (product, instance, role, billable, last_active) = match row.licence {
            Some(l) => (
                l.instance.product.into(),
                l.instance.name.into(),
                l.role.into(),
                l.billable.into(),
                l.last_active.map(|d| d.to_string()).into(),
            ),
            None => (
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ),
        };
        table.row(vec![
            a.connector.into(),
            a.id.into(),
            a.email.into(),
            a.status.into(),
            a.status_from.into(),
            product,
            instance,
            role,
            billable,
            last_active,
        ]);
    }
    table.print(format)?;
    Ok(())
}

/// `roster licenses`.
pub fn licenses(config: &Path, format: Format) -> Result<()> {
    let app = App::load(config, true)?;
    print_licences(&mut *report_store(&app)?, &app.prices(), format)
}

/// Prints the licence report.
pub fn print_licences(store: &mut dyn Store, prices: &Prices, format: Format) -> Result<()> {
    let lines = reports::licences(store, prices, today())?;
    let instances: Vec<_> = lines.iter().map(|l| &l.seats.instance).collect();
    for unused in reports::unused_prices(prices, &instances) {
        eprintln!(
            "warning: seat_price `{unused}` names no product instance of the current snapshot"
        );
    }
    let mut table = Table::new(&[
        "product",
        "instance",
        "sandbox",
        "seats_bought",
        "assigned",
        "billable",
        "active_30d",
        "active_90d",
        "never_active",
        "utilisation_pct",
        "monthly_cost",
        "not_visible",
        "instance_id",
    ]);
    let mut unseen = Vec::new();
    for l in lines {
        let s = l.seats;
        if let (Some(n), false) = (s.not_visible, l.is_total) {
            unseen.push(format!(
                "{n} holders of {} ({})",
                s.instance.product, s.instance.name
            ));
        }
        // Nobody found is not nobody when nobody could be looked for.
        let held = |n: u32| match s.holders_unknown && s.assigned == 0 {
            true => Cell::Text("unknown".into()),
            false => n.into(),
        };
        table.row(vec![
            s.instance.product.into(),
            s.instance.name.into(),
            s.instance.sandbox.into(),
            s.seats_bought.into(),
            held(s.assigned),
            held(s.billable),
            held(s.active_30),
            held(s.active_90),
            held(s.never_active),
            l.utilisation
                .map_or(Cell::Empty, |u| Cell::Float(u * 100.0, 1)),
            l.monthly_cost.map_or(Cell::Empty, |c| Cell::Float(c, 2)),
            s.not_visible.into(),
            s.instance.instance.into(),
        ]);
    }
    table.print(format)?;
    if !unseen.is_empty() {
        eprintln!(
            "note: {} are not visible to the connectors that report them: the upstream counts more \
             seats in use than they list holders. Atlassian product roles granted without a group \
             are seen by the organization admin connector.",
            unseen.join(", ")
        );
    }
    Ok(())
}

/// `roster inactive --days N`.
pub fn inactive(config: &Path, days: u32, product: Option<&str>, format: Format) -> Result<()> {
    let app = App::load(config, true)?;
    print_inactive(
        &mut *report_store(&app)?,
        &app.prices(),
        i64::from(days),
        product,
        None,
        format,
    )
}

/// Prints reclaim candidates, at most `limit` of them, as they are read.
pub fn print_inactive(
    store: &mut dyn Store,
    prices: &Prices,
    days: i64,
    product: Option<&str>,
    limit: Option<usize>,
    format: Format,
) -> Result<()> {
    let mut stdout = output::stdout();
    let mut out = RowWriter::new(
        &[
            "product",
            "instance",
            "account_id",
            "email",
            "last_active",
            "monthly_cost",
        ],
        format,
        &mut stdout,
        STREAMED_LAYOUT_ROWS,
    );
    let mut left = limit.unwrap_or(usize::MAX);
    reports::reclaim_candidates(store, days, product, prices, today(), &mut |seat| {
        if left == 0 {
            return ControlFlow::Break(());
        }
        left -= 1;
        let cost =
            reports::seat_price(prices, &seat.instance).map_or(Cell::Empty, |p| Cell::Float(p, 2));
        out.offer(vec![
            seat.instance.product.clone().into(),
            seat.instance.name.clone().into(),
            seat.account_id.into(),
            seat.email.into(),
            seat.last_active
                .map_or_else(|| "never".into(), |d| d.to_string())
                .into(),
            cost,
        ])
    })?;
    out.finish()?;
    stdout.flush()?;
    Ok(())
}

/// `roster runs`.
pub fn runs(config: &Path, format: Format) -> Result<()> {
    use roster_sandbox::contract::Stream;
    let app = App::load(config, true)?;
    let store = app.store()?;
    let mut table = Table::new(&[
        "run",
        "connector",
        "started_at",
        "seconds",
        "status",
        "accounts",
        "licenses",
        "usage",
        "request_retries",
        "call_retries",
        "unknown",
        "error",
    ]);
    for run in store.runs()? {
        let count = |s: Stream| run.counts.iter().find(|(n, _)| *n == s).map(|(_, c)| *c);
        let seconds = run
            .finished_at
            .as_deref()
            .and_then(|f| duration(&run.started_at, f));
        table.row(vec![
            Cell::Int(run.id),
            run.connector.clone().into(),
            run.started_at.clone().into(),
            seconds.map_or(Cell::Empty, |s| Cell::Float(s, 1)),
            match run.status {
                RunStatus::Running => "running or killed",
                RunStatus::Completed => "completed",
                RunStatus::Failed => "failed",
            }
            .into(),
            count(Stream::Accounts).into(),
            count(Stream::Licenses).into(),
            count(Stream::Usage).into(),
            Cell::Int(run.retries.requests as i64),
            Cell::Int(run.retries.calls as i64),
            unknown(&run).into(),
            run.error.clone().into(),
        ]);
    }
    table.print(format)?;
    Ok(())
}

/// What a run could not see: the streams it skipped and why, and the
/// holders the upstream counts that it could not list.
fn unknown(run: &roster_app::store::Run) -> String {
    let skipped = run
        .skipped
        .iter()
        .map(|(stream, why)| format!("{} skipped: {why}", stream.as_str()));
    let unseen = run.unseen.iter().map(|u| {
        format!(
            "{} holders of {} not visible ({} counted, {} found)",
            u.missing(),
            u.what(),
            u.counted,
            u.found
        )
    });
    skipped.chain(unseen).collect::<Vec<_>>().join("; ")
}

fn duration(start: &str, end: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    let (a, b) = (
        OffsetDateTime::parse(start, &Rfc3339).ok()?,
        OffsetDateTime::parse(end, &Rfc3339).ok()?,
    );
    Some((b - a).as_seconds_f64())
}
