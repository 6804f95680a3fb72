//! Reading the store: `roster accounts`, `person`, `licenses`, `inactive`
//! and `runs`.

use crate::app::{App, ConfigProblem};
use crate::output::{Cell, Format, Table};
use anyhow::Result;
use roster_host::report::{self, Snapshot};
use roster_host::store::RunStatus;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use time::{Date, OffsetDateTime};

/// Filters of `roster accounts`.
pub struct AccountFilter {
    /// Only this connector instance.
    pub connector: Option<String>,
    /// Only holders of this product.
    pub product: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only accounts matching this text.
    pub search: Option<String>,
}

fn snapshot(app: &App) -> Result<Snapshot> {
    Ok(Snapshot::load(&app.store()?)?)
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// `roster accounts`.
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
    let snapshot = snapshot(&app)?;
    let holders: Option<BTreeSet<(&str, &str)>> = filter.product.as_deref().map(|p| {
        snapshot
            .licenses
            .iter()
            .filter(|l| l.product_key == p)
            .map(|l| (l.connector.as_str(), l.account_id.as_str()))
            .collect()
    });
    let needle = filter.search.as_deref().map(str::to_lowercase);
    let mut table = Table::new(&["connector", "id", "email", "name", "status", "kind"]);
    for a in &snapshot.accounts {
        let keep = filter.connector.as_deref().is_none_or(|c| a.connector == c)
            && filter.status.as_deref().is_none_or(|s| a.status == s)
            && holders
                .as_ref()
                .is_none_or(|h| h.contains(&(a.connector.as_str(), a.id.as_str())))
            && needle.as_deref().is_none_or(|n| {
                [
                    Some(a.id.as_str()),
                    a.email.as_deref(),
                    a.display_name.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|f| f.to_lowercase().contains(n))
            });
        if keep {
            table.row(vec![
                a.connector.clone().into(),
                a.id.clone().into(),
                a.email.clone().into(),
                a.display_name.clone().into(),
                a.status.clone().into(),
                a.kind.clone().into(),
            ]);
        }
    }
    table.print(format)?;
    Ok(())
}

/// `roster person <email or id>`: every account of the person and every
/// product they hold, with last activity.
pub fn person(config: &Path, who: &str, format: Format) -> Result<()> {
    let app = App::load(config, true)?;
    let snapshot = snapshot(&app)?;
    let people = snapshot.people();
    let wanted = who.to_lowercase();
    let Some(p) = snapshot
        .accounts
        .iter()
        .find(|a| {
            a.id == who
                || a.email
                    .as_deref()
                    .is_some_and(|e| e.to_lowercase() == wanted)
        })
        .and_then(|a| people.person_of(&a.connector, &a.id))
    else {
        anyhow::bail!("no account with the email or id `{who}` in the current snapshot");
    };
    let accounts: Vec<&report::AccountRow> = people
        .accounts_of(p)
        .iter()
        .map(|&i| &snapshot.accounts[i])
        .collect();
    let mut table = Table::new(&[
        "connector",
        "account_id",
        "email",
        "status",
        "product",
        "role",
        "billable",
        "last_active",
    ]);
    for a in &accounts {
        let licences: Vec<&report::LicenseRow> = snapshot
            .licenses
            .iter()
            .filter(|l| l.connector == a.connector && l.account_id == a.id)
            .collect();
        let last = |product: &str| {
            accounts
                .iter()
                .filter_map(|x| {
                    snapshot
                        .last_active
                        .get(&(x.id.clone(), product.to_owned()))
                })
                .max()
                .map(ToString::to_string)
        };
        if licences.is_empty() {
            table.row(vec![
                a.connector.clone().into(),
                a.id.clone().into(),
                a.email.clone().into(),
                a.status.clone().into(),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]);
        }
        for l in licences {
            table.row(vec![
                a.connector.clone().into(),
                a.id.clone().into(),
                a.email.clone().into(),
                a.status.clone().into(),
                l.product_key.clone().into(),
                l.role.clone().into(),
                l.billable.into(),
                last(&l.product_key).into(),
            ]);
        }
    }
    table.print(format)?;
    Ok(())
}

/// `roster licenses`.
pub fn licenses(config: &Path, format: Format) -> Result<()> {
    let app = App::load(config, true)?;
    let lines = report::licences(&snapshot(&app)?, &app.prices(), today());
    let mut table = Table::new(&[
        "product",
        "seats_bought",
        "assigned",
        "billable",
        "active_30d",
        "active_90d",
        "never_active",
        "utilisation_pct",
        "monthly_cost",
    ]);
    for l in lines {
        table.row(vec![
            l.product.into(),
            l.seats_bought.into(),
            l.assigned.into(),
            l.billable.into(),
            l.active_30.into(),
            l.active_90.into(),
            l.never_active.into(),
            l.utilisation
                .map_or(Cell::Empty, |u| Cell::Float(u * 100.0, 1)),
            l.monthly_cost.map_or(Cell::Empty, |c| Cell::Float(c, 2)),
        ]);
    }
    table.print(format)?;
    Ok(())
}

/// `roster inactive --days N`.
pub fn inactive(config: &Path, days: u32, product: Option<&str>, format: Format) -> Result<()> {
    let app = App::load(config, true)?;
    let prices = app.prices();
    let snapshot = snapshot(&app)?;
    print_inactive(&snapshot, &prices, i64::from(days), product, None, format)
}

/// Prints reclaim candidates, at most `limit` of them.
pub fn print_inactive(
    snapshot: &Snapshot,
    prices: &std::collections::BTreeMap<String, f64>,
    days: i64,
    product: Option<&str>,
    limit: Option<usize>,
    format: Format,
) -> Result<()> {
    // Dearest seats first; within a price, the longest idle first.
    let mut candidates = report::inactive(snapshot, days, product, today());
    let price = |product: &str| prices.get(product).copied().unwrap_or(0.0);
    candidates.sort_by(|a, b| price(&b.product).total_cmp(&price(&a.product)));
    // An account's email, from whichever connector shows it: looked up
    // once per candidate, so indexed first.
    let mut emails: HashMap<&str, &str> = HashMap::new();
    for a in &snapshot.accounts {
        if let Some(e) = &a.email {
            emails.entry(a.id.as_str()).or_insert(e.as_str());
        }
    }
    let email = |id: &str| emails.get(id).map(|e| (*e).to_owned());
    let mut table = Table::new(&[
        "product",
        "account_id",
        "email",
        "last_active",
        "monthly_cost",
    ]);
    for h in candidates.iter().take(limit.unwrap_or(usize::MAX)) {
        table.row(vec![
            h.product.clone().into(),
            h.account_id.clone().into(),
            email(&h.account_id).into(),
            h.last_active
                .map(|d| d.to_string())
                .unwrap_or_else(|| "never".into())
                .into(),
            prices
                .get(&h.product)
                .map_or(Cell::Empty, |p| Cell::Float(*p, 2)),
        ]);
    }
    table.print(format)?;
    Ok(())
}

/// `roster runs`.
pub fn runs(config: &Path, format: Format) -> Result<()> {
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
        "error",
    ]);
    for run in store.runs()? {
        let count = |s: &str| {
            run.counts
                .iter()
                .find(|(n, _)| n.as_str() == s)
                .map(|(_, c)| *c)
        };
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
            count("accounts").into(),
            count("licenses").into(),
            count("usage").into(),
            run.error.clone().into(),
        ]);
    }
    table.print(format)?;
    Ok(())
}

fn duration(start: &str, end: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    let (a, b) = (
        OffsetDateTime::parse(start, &Rfc3339).ok()?,
        OffsetDateTime::parse(end, &Rfc3339).ok()?,
    );
    Some((b - a).as_seconds_f64())
}
