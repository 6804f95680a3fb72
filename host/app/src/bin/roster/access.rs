//! Changing access: `roster grant|revoke|suspend|restore|remove|invite`,
//! the workflows `onboard`, `offboard` and `reclaim`, `roster apply` of a
//! saved plan, and `roster audit`.
//!
//! Every command plans first (each action a dry run: the host refuses
//! every write) and prints the plan; `--apply` carries it out, `--out`
//! saves it for `roster apply`. People are found in the current snapshot,
//! by email or account id.

use crate::app::{App, ConfigProblem};
use crate::output::{Cell, Format, Table};
use anyhow::{Context, Result, bail};
use roster_app::access::{self, Change, Plan, Planned, SharedStore, StepOutcome, Target, Wanted};
use roster_app::reports::{self, host_of};
use roster_app::store::{AccountFilter, AuditFilter, PersonRow, ProductInstance, Store};
use roster_sandbox::contract::ActionKind;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use time::{Date, OffsetDateTime};

/// Plans with more changes than this ask before they are applied on a
/// terminal.
const CONFIRM_ABOVE: usize = 10;

/// What every planning command is asked to do with its plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Carry it out.
    pub apply: bool,
    /// Do not ask before applying a large plan.
    pub yes: bool,
    /// Save it here for `roster apply`.
    pub out: Option<PathBuf>,
    /// Who is changing access, for the audit log.
    pub actor: Option<String>,
    /// How to print tables.
    pub format: Format,
}

/// One single action, as asked on the command line.
#[derive(Debug, Clone)]
pub enum Single {
    /// Give (with `grant`) or take away a product, or with `group` a group.
    Access {
        /// Whether to give it.
        grant: bool,
        /// The connector instance.
        connector: String,
        /// An email or account id.
        who: String,
        /// `key` or `key@instance`; none with a group.
        product: Option<String>,
        /// A group instead of a product.
        group: Option<String>,
    },
    /// Suspend, restore or remove an account.
    Account {
        /// `suspend`, `restore` or `remove`.
        kind: ActionKind,
        /// The connector instance.
        connector: String,
        /// An email or account id.
        who: String,
    },
    /// Invite someone.
    Invite {
        /// The connector instance.
        connector: String,
        /// Their email.
        email: String,
        /// Products to grant with the invitation.
        products: Vec<String>,
    },
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The command line, for the plan and its audit records.
fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// `roster grant|revoke|suspend|restore|remove|invite`.
pub async fn single(config: &Path, action: Single, opts: PlanOptions) -> Result<()> {
    let app = App::load(config, true)?;
    let mut store = app.store()?;
    let wanted = match action {
        Single::Access {
            grant,
            connector,
            who,
            product,
            group,
        } => {
            let (account_id, person) = account_in(&mut *store, &app, &connector, &who)?;
            let target = target(&mut *store, product, group)?;
            let change = if grant {
                Change::Grant { account_id, target }
            } else {
                Change::Revoke { account_id, target }
            };
            Wanted {
                connector,
                change,
                person,
                reason: None,
            }
        }
        Single::Account {
            kind,
            connector,
            who,
        } => {
            let (account_id, person) = account_in(&mut *store, &app, &connector, &who)?;
            let change = match kind {
                ActionKind::Suspend => Change::Suspend { account_id },
                ActionKind::Restore => Change::Restore { account_id },
                _ => Change::Remove { account_id },
            };
            Wanted {
                connector,
                change,
                person,
                reason: None,
            }
        }
        Single::Invite {
            connector,
            email,
            products,
        } => {
            configured(&app, &connector)?;
            let products = products
                .into_iter()
                .map(|p| product_target(&mut *store, &p))
                .collect::<Result<Vec<_>>>()?;
            Wanted {
                connector,
                person: Some(email.clone()),
                change: Change::Invite { email, products },
                reason: None,
            }
        }
    };
    run(config, &app, store, vec![wanted], opts).await
}

/// `roster onboard <email> --product P…`: an invitation through each
/// connector that owns one of the products (the connector whose snapshot
/// reports it), granting its products.
pub async fn onboard(
    config: &Path,
    email: &str,
    products: &[String],
    opts: PlanOptions,
) -> Result<()> {
    if products.is_empty() {
        return Err(ConfigProblem("onboard: name at least one --product".into()).into());
    }
    let app = App::load(config, true)?;
    let mut store = app.store()?;
    let mut by_connector: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    for p in products {
        let target = product_target(&mut *store, p)?;
        let owner = owner_of(&app, &target).await?;
        by_connector.entry(owner).or_default().push(target);
    }
    let wanted = by_connector
        .into_iter()
        .map(|(connector, products)| Wanted {
            connector,
            change: Change::Invite {
                email: email.to_owned(),
                products,
            },
            person: Some(email.to_owned()),
            reason: None,
        })
        .collect();
    run(config, &app, store, wanted, opts).await
}

/// The connector that owns product `target`: the first configured one (by
/// name) whose manifest declares the product and that can invite.
async fn owner_of(app: &App, target: &Target) -> Result<String> {
    let Target::Product { key, .. } = target else {
        unreachable!("onboarding names products only")
    };
    for c in &app.settings.connectors {
        let component = app.component(c).await?;
        let manifest = component.manifest().raw();
        if manifest.products.contains(key)
            && manifest.capabilities.actions.contains(&ActionKind::Invite)
        {
            return Ok(c.name.clone());
        }
    }
    Err(ConfigProblem(format!(
        "no configured connector both declares `{key}` and can invite to it"
    ))
    .into())
}

/// `roster offboard <email or id>`: every product where the person has
/// access, in one plan. Where a connector can suspend the account (the
/// organization admin connector, for every Atlassian product at once; a
/// Trello workspace), it does; the products held through other connectors
/// that no suspension covers are revoked one by one.
pub async fn offboard(config: &Path, who: &str, opts: PlanOptions) -> Result<()> {
    let app = App::load(config, true)?;
    let mut store = app.store()?;
    let rows = person_rows(&mut *store, who)?;
    let person = rows.iter().find_map(|r| r.account.email.clone());
    // The person's accounts and licences, per configured connector.
    let mut accounts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut held: BTreeMap<String, Vec<(String, ProductInstance)>> = BTreeMap::new();
    for r in &rows {
        let connector = &r.account.connector;
        if app.settings.connector(connector).is_none() {
            continue;
        }
        accounts
            .entry(connector.clone())
            .or_default()
            .insert(r.account.id.clone());
        if let Some(l) = &r.licence {
            held.entry(connector.clone())
                .or_default()
                .push((r.account.id.clone(), l.instance.clone()));
        }
    }
    let mut actions: BTreeMap<String, Vec<ActionKind>> = BTreeMap::new();
    for name in accounts.keys() {
        let c = app.settings.connector(name).context("configured")?;
        let component = app.component(c).await?;
        actions.insert(
            name.clone(),
            component.manifest().raw().capabilities.actions.clone(),
        );
    }
    let can = |name: &str, kind| actions.get(name).is_some_and(|a| a.contains(&kind));
    let mut wanted = Vec::new();
    let mut covered: BTreeSet<ProductInstance> = BTreeSet::new();
    for (name, ids) in &accounts {
        if can(name, ActionKind::Suspend) {
            for account_id in ids {
                wanted.push(Wanted {
                    connector: name.clone(),
                    change: Change::Suspend {
                        account_id: account_id.clone(),
                    },
                    person: person.clone(),
                    reason: None,
                });
            }
            covered.extend(held.get(name).into_iter().flatten().map(|(_, i)| i.clone()));
        }
    }
    let mut cannot = Vec::new();
    for (name, licences) in &held {
        if can(name, ActionKind::Suspend) {
            continue;
        }
        for (account_id, instance) in licences {
            if covered.contains(instance) {
                continue;
            }
            if !can(name, ActionKind::Revoke) {
                cannot.push(format!(
                    "`{name}` can neither suspend nor revoke: take {} ({}) from {account_id} by hand",
                    instance.product, instance.name
                ));
                continue;
            }
            wanted.push(Wanted {
                connector: name.clone(),
                change: Change::Revoke {
                    account_id: account_id.clone(),
                    target: Target::Product {
                        key: instance.product.clone(),
                        instance: instance.instance.clone(),
                    },
                },
                person: person.clone(),
                reason: None,
            });
        }
    }
    for c in &cannot {
        eprintln!("note: {c}");
    }
    if wanted.is_empty() {
        println!("`{who}` has no access any configured connector can take away");
        return Ok(());
    }
    run(config, &app, store, wanted, opts).await
}

/// `roster reclaim [--days N] [--product P]`: revoke the paid seats idle N
/// days (or never used), minus those the policy keeps.
pub async fn reclaim(
    config: &Path,
    days: Option<u32>,
    products: Vec<String>,
    opts: PlanOptions,
) -> Result<()> {
    let app = App::load(config, true)?;
    let policy = app.settings.reclaim.clone();
    let Some(days) = days.or(policy.days) else {
        return Err(ConfigProblem(
            "reclaim: give --days N, or `days` under [policy.reclaim] in roster.toml".into(),
        )
        .into());
    };
    let products = if products.is_empty() {
        policy.products.clone()
    } else {
        products
    };
    let prices = app.prices();
    let mut store = app.store()?;
    let mut seats = Vec::new();
    reports::reclaim_candidates(
        &mut *store,
        i64::from(days),
        None,
        &prices,
        today(),
        &mut |seat| {
            if products.is_empty() || products.contains(&seat.instance.product) {
                seats.push(seat);
            }
            ControlFlow::Continue(())
        },
    )?;
    let mut revokers: BTreeMap<String, bool> = BTreeMap::new();
    // Per idle seat, the revocations that could free it, and its price.
    let mut candidates: Vec<(Vec<Wanted>, f64)> = Vec::new();
    let mut kept = Table::new(&["product", "instance", "account_id", "email", "kept_because"]);
    for seat in seats {
        let rows = store.person(&seat.account_id)?.unwrap_or_default();
        let keep = kept_by_policy(&policy, &rows);
        let idle = seat
            .last_active
            .map_or_else(|| "never active".to_owned(), |d| format!("last active {d}"));
        let mut kept_row = |why: String| {
            kept.row(vec![
                seat.instance.product.clone().into(),
                seat.instance.name.clone().into(),
                seat.account_id.clone().into(),
                seat.email.clone().into(),
                why.into(),
            ]);
        };
        if let Some(why) = keep {
            kept_row(why);
            continue;
        }
        // Every connector that reports this licence and can revoke it, by
        // name: the first whose dry run frees the seat is the one used.
        let mut through = Vec::new();
        for r in rows.iter().filter(|r| {
            r.licence
                .as_ref()
                .is_some_and(|l| l.instance == *seat.instance && l.billable)
        }) {
            let name = &r.account.connector;
            let can = match revokers.get(name) {
                Some(&can) => can,
                None => {
                    let can = match app.settings.connector(name) {
                        Some(c) => app
                            .component(c)
                            .await?
                            .manifest()
                            .raw()
                            .capabilities
                            .actions
                            .contains(&ActionKind::Revoke),
                        None => false,
                    };
                    revokers.insert(name.clone(), can);
                    can
                }
            };
            if can {
                through.push((name.clone(), r.account.id.clone()));
            }
        }
        if through.is_empty() {
            kept_row("no configured connector can revoke it".into());
            continue;
        }
        let price = reports::seat_price(&prices, &seat.instance);
        let reason = match price {
            Some(p) => format!("{idle}; {p:.2} a month"),
            None => format!("{idle}; no seat_price configured"),
        };
        let wanted: Vec<Wanted> = through
            .into_iter()
            .map(|(connector, account_id)| Wanted {
                connector,
                change: Change::Revoke {
                    account_id,
                    target: Target::Product {
                        key: seat.instance.product.clone(),
                        instance: seat.instance.instance.clone(),
                    },
                },
                person: seat.email.clone(),
                reason: Some(reason.clone()),
            })
            .collect();
        candidates.push((wanted, price.unwrap_or(0.0)));
    }
    if !kept.is_empty() {
        eprintln!("kept by policy:");
        kept.write(opts.format, &mut std::io::stderr())?;
    }
    if candidates.is_empty() {
        println!("no seat has been idle for {days} days that the policy does not keep");
        return Ok(());
    }
    let names: BTreeSet<String> = candidates
        .iter()
        .flat_map(|(w, _)| w.iter().map(|w| w.connector.clone()))
        .collect();
    let mut sessions = open_sessions(&app, names.iter()).await?;
    let mut steps = Vec::new();
    let mut freed = (0_u32, 0.0_f64);
    for (wanted, price) in candidates {
        let mut first = None;
        let mut chosen = None;
        for w in wanted {
            let step = access::plan_step(&mut sessions, w).await?;
            if step.planned == Planned::Change {
                chosen = Some(step);
                break;
            }
            first.get_or_insert(step);
        }
        match chosen {
            Some(step) => {
                freed.0 += 1;
                freed.1 += price;
                steps.push(step);
            }
            None => steps.extend(first),
        }
    }
    println!(
        "reclaiming {} seats idle for {days} days or never used frees {:.2} a month",
        freed.0, freed.1
    );
    let plan = Plan::new(&command_line(), steps);
    finish(config, &app, store, sessions, plan, opts).await
}

/// Why `policy` keeps the person of `rows`, if it does: by any of their
/// accounts' kind, email or groups, or by the age of the oldest.
fn kept_by_policy(
    policy: &roster_app::roster_toml::ReclaimPolicy,
    rows: &[PersonRow],
) -> Option<String> {
    let mut seen = BTreeSet::new();
    let mut created: Option<Date> = None;
    for r in rows {
        let a = &r.account;
        if !seen.insert((&a.connector, &a.id)) {
            continue;
        }
        let day = a.created_at.as_deref().and_then(day_of);
        created = match (created, day) {
            (Some(c), Some(d)) => Some(c.min(d)),
            (c, d) => c.or(d),
        };
        if let Some(why) = policy.keeps(&a.kind, a.email.as_deref(), &a.groups, None, today()) {
            return Some(why);
        }
    }
    policy.keeps("", None, &[], created, today())
}

/// The day of a stored instant (`YYYY-MM-DD` or RFC 3339).
fn day_of(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.get(..10)?, format).ok()
}

/// `roster apply <plan.json>`: a saved plan, once every step still does
/// what it planned.
pub async fn apply_saved(config: &Path, file: &Path, opts: PlanOptions) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| {
        ConfigProblem(format!(
            "{}: not a Roster plan ({e}); plans are written by `--out`",
            file.display()
        ))
    })?;
    let app = App::load(config, true)?;
    let store: SharedStore = Arc::new(Mutex::new(app.store()?));
    let mut sessions = open_sessions(&app, plan.steps.iter().map(|s| &s.connector)).await?;
    print_plan(&plan, opts.format)?;
    confirm(&plan, opts.yes)?;
    apply_and_report(config, &app, &plan, &mut sessions, store, &opts, true).await
}

/// Plans `wanted`, prints the plan, and saves or applies it as asked.
async fn run(
    config: &Path,
    app: &App,
    store: Box<dyn Store>,
    wanted: Vec<Wanted>,
    opts: PlanOptions,
) -> Result<()> {
    let mut sessions = open_sessions(app, wanted.iter().map(|w| &w.connector)).await?;
    let plan = access::plan(&mut sessions, &command_line(), wanted).await?;
    finish(config, app, store, sessions, plan, opts).await
}

/// Prints `plan`, and saves or applies it as asked.
async fn finish(
    config: &Path,
    app: &App,
    store: Box<dyn Store>,
    mut sessions: access::Sessions,
    plan: Plan,
    opts: PlanOptions,
) -> Result<()> {
    print_plan(&plan, opts.format)?;
    let actor = opts.actor.clone().unwrap_or_else(os_user);
    let store: SharedStore = Arc::new(Mutex::new(store));
    if let Some(out) = &opts.out {
        save(&plan, out)?;
        access::record_planned(&plan, &store, &actor)?;
        eprintln!(
            "plan {} saved to {}: review it, then `roster apply {}`",
            plan.id,
            out.display(),
            out.display()
        );
    }
    let failed = plan
        .steps
        .iter()
        .filter(|s| s.planned == Planned::Error)
        .count();
    if !opts.apply {
        if opts.out.is_none() {
            eprintln!(
                "nothing was changed: this is the plan; add --apply to carry it out, or --out \
                 FILE to save it for `roster apply FILE`"
            );
        }
        if failed > 0 {
            bail!("{failed} step(s) could not be planned");
        }
        return Ok(());
    }
    confirm(&plan, opts.yes)?;
    apply_and_report(config, app, &plan, &mut sessions, store, &opts, false).await
}

/// Applies `plan`, prints each step's outcome, re-reads the connectors it
/// changed, and fails if a step did.
async fn apply_and_report(
    config: &Path,
    app: &App,
    plan: &Plan,
    sessions: &mut access::Sessions,
    shared: SharedStore,
    opts: &PlanOptions,
    recheck: bool,
) -> Result<()> {
    let actor = opts.actor.clone().unwrap_or_else(os_user);
    let results = access::apply(plan, sessions, &shared, &actor, recheck).await?;
    let mut table = Table::new(&[
        "step",
        "connector",
        "action",
        "target",
        "outcome",
        "summary",
    ]);
    let mut changed = BTreeSet::new();
    let mut failed = 0;
    for r in &results {
        let step = &plan.steps[r.step];
        match r.outcome {
            StepOutcome::Applied => {
                changed.insert(step.connector.clone());
            }
            StepOutcome::Failed => failed += 1,
            StepOutcome::Skipped if step.planned == Planned::Error => failed += 1,
            _ => {}
        }
        table.row(vec![
            Cell::Int(r.step as i64 + 1),
            step.connector.clone().into(),
            step.change.name().into(),
            step.change.target().into(),
            r.outcome.as_str().into(),
            r.summary.clone().into(),
        ]);
    }
    table.print(opts.format)?;
    drop(std::mem::take(sessions));
    // Every connector that shows an account changed sees the change too
    // (suspending in the organization changes what Jira reports).
    let touched: BTreeSet<String> = results
        .iter()
        .filter(|r| r.outcome == StepOutcome::Applied)
        .map(|r| plan.steps[r.step].change.subject())
        .collect();
    {
        let mut store = shared.lock().unwrap_or_else(|e| e.into_inner());
        for who in &touched {
            for row in store.person(who)?.unwrap_or_default() {
                changed.insert(row.account.connector);
            }
        }
    }
    changed.retain(|name| app.settings.connector(name).is_some());
    if !changed.is_empty() {
        let names: Vec<String> = changed.into_iter().collect();
        eprintln!(
            "reading {} again, so that the reports show the change",
            names.join(", ")
        );
        if let Err(e) = crate::run::sync(config, &names, false, true).await {
            eprintln!(
                "warning: the changes were made, but reading them back failed: {e:#}; run \
                 `roster sync` before trusting the reports"
            );
        }
    }
    if failed > 0 {
        bail!(
            "{failed} step(s) failed; the others were carried out, and every step is on the \
             audit log (`roster audit --plan {}`)",
            plan.id
        );
    }
    Ok(())
}

/// Asks on a terminal before a plan of many changes is applied.
fn confirm(plan: &Plan, yes: bool) -> Result<()> {
    let changes = plan
        .steps
        .iter()
        .filter(|s| s.planned == Planned::Change)
        .count();
    if yes || changes <= CONFIRM_ABOVE || !std::io::stdin().is_terminal() {
        return Ok(());
    }
    eprint!("apply {changes} changes? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        bail!("not applied")
    }
}

/// Writes `plan` to `out`, readable by its owner only (it names people).
fn save(plan: &Plan, out: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(out)
        .with_context(|| format!("writing {}", out.display()))?;
    serde_json::to_writer_pretty(&mut file, plan)?;
    file.write_all(b"\n")?;
    Ok(())
}

/// Prints a plan: one row per step.
fn print_plan(plan: &Plan, format: Format) -> Result<()> {
    let mut table = Table::new(&[
        "step",
        "connector",
        "action",
        "target",
        "person",
        "planned",
        "summary",
        "requests",
        "reason",
    ]);
    for (i, s) in plan.steps.iter().enumerate() {
        let requests: Vec<String> = s
            .requests
            .iter()
            .map(|w| match &w.body {
                Some(body) => format!("{} {} {body}", w.method, w.url),
                None => format!("{} {}", w.method, w.url),
            })
            .collect();
        table.row(vec![
            Cell::Int(i as i64 + 1),
            s.connector.clone().into(),
            s.change.name().into(),
            s.change.target().into(),
            s.person.clone().into(),
            match s.planned {
                Planned::Change => "change",
                Planned::Unchanged => "unchanged",
                Planned::Error => "error",
            }
            .into(),
            s.summary.clone().into(),
            requests.join("; ").into(),
            s.reason.clone().into(),
        ]);
    }
    eprintln!("plan {} ({} steps):", plan.id, plan.steps.len());
    table.print(format)?;
    Ok(())
}

/// Opens one session per connector instance named.
async fn open_sessions<'a>(
    app: &App,
    names: impl Iterator<Item = &'a String>,
) -> Result<access::Sessions> {
    let mut sessions = access::Sessions::new();
    for name in names {
        if sessions.contains_key(name) {
            continue;
        }
        let c = configured(app, name)?;
        let component = app.component(c).await?;
        sessions.insert(name.clone(), app.open(c, &component).await?);
    }
    Ok(sessions)
}

fn configured<'a>(
    app: &'a App,
    name: &str,
) -> Result<&'a roster_app::roster_toml::ConfiguredConnector> {
    Ok(app
        .selected(std::slice::from_ref(&name.to_owned()))?
        .remove(0))
}

/// The accounts (with licences) of the person `who` names, or an error
/// listing the accounts whose id, email or name contains it.
fn person_rows(store: &mut dyn Store, who: &str) -> Result<Vec<PersonRow>> {
    if let Some(rows) = store.person(who)? {
        return Ok(rows);
    }
    let mut near = Vec::new();
    let filter = AccountFilter {
        search: Some(who.to_owned()),
        ..AccountFilter::default()
    };
    store.each_account(&filter, &mut |a| {
        near.push(format!(
            "{} {}{}",
            a.connector,
            a.id,
            a.email.map(|e| format!(" <{e}>")).unwrap_or_default()
        ));
        if near.len() == 10 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    let hint = if near.is_empty() {
        "nothing contains it; `roster sync` reads new people in".to_owned()
    } else {
        format!(
            "give one exactly; accounts that contain it: {}",
            near.join(", ")
        )
    };
    Err(ConfigProblem(format!(
        "no account has the email or id `{who}` in the current snapshot: {hint}"
    ))
    .into())
}

/// The account id of `who` in `connector` (its own account, else the one
/// id all of the person's accounts share, such as an Atlassian account id),
/// and the person's email.
fn account_in(
    store: &mut dyn Store,
    app: &App,
    connector: &str,
    who: &str,
) -> Result<(String, Option<String>)> {
    configured(app, connector)?;
    let rows = person_rows(store, who)?;
    let email = rows.iter().find_map(|r| r.account.email.clone());
    let own: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.account.connector == connector)
        .map(|r| r.account.id.as_str())
        .collect();
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.account.id.as_str()).collect();
    let pick = if own.len() == 1 { &own } else { &ids };
    match pick.iter().collect::<Vec<_>>().as_slice() {
        [one] => Ok(((**one).to_owned(), email)),
        many => Err(ConfigProblem(format!(
            "`{who}` has several accounts ({}) and none in `{connector}`: give the account id",
            many.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

/// The target of a grant or revoke: a product or a group.
fn target(store: &mut dyn Store, product: Option<String>, group: Option<String>) -> Result<Target> {
    match (product, group) {
        (_, Some(name)) => Ok(Target::Group { name }),
        (Some(p), None) => product_target(store, &p),
        (None, None) => Err(ConfigProblem("name a product, or a group with --group".into()).into()),
    }
}

/// A product of the current snapshot: `key`, or `key@instance` (its id or
/// its host) when the product has several instances.
fn product_target(store: &mut dyn Store, arg: &str) -> Result<Target> {
    let (key, at) = arg.split_once('@').unwrap_or((arg, ""));
    let instances: Vec<ProductInstance> = store
        .product_seats(today())?
        .into_iter()
        .map(|s| s.instance)
        .filter(|i| i.product == key)
        .collect();
    let listed = || {
        instances
            .iter()
            .map(|i| {
                format!(
                    "{key}@{}",
                    host_of(i)
                        .or_else(|| i.instance.clone())
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if instances.is_empty() {
        return Err(ConfigProblem(format!(
            "no product `{key}` in the current snapshot; `roster licenses` lists the products"
        ))
        .into());
    }
    let chosen = if at.is_empty() {
        match instances.as_slice() {
            [one] => one,
            _ => {
                return Err(ConfigProblem(format!(
                    "`{key}` has {} instances: name one ({})",
                    instances.len(),
                    listed()
                ))
                .into());
            }
        }
    } else {
        instances
            .iter()
            .find(|i| i.instance.as_deref() == Some(at) || host_of(i).as_deref() == Some(at))
            .ok_or_else(|| {
                ConfigProblem(format!(
                    "`{key}` has no instance `{at}` (instances: {})",
                    listed()
                ))
            })?
    };
    Ok(Target::Product {
        key: key.to_owned(),
        instance: chosen.instance.clone(),
    })
}

/// The OS user, the default actor: `$USER` or `$LOGNAME`, else the uid.
fn os_user() -> String {
    use std::os::unix::fs::MetadataExt;
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            std::fs::metadata("/proc/self")
                .ok()
                .map(|m| format!("uid {}", m.uid()))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// `roster audit`: the audit log, or with `verify` a walk of its chain.
pub fn audit(config: &Path, filter: AuditFilter, verify: bool, format: Format) -> Result<()> {
    let app = App::load(config, true)?;
    let store = app.store()?;
    if verify {
        return match store.verify_audit()? {
            None => {
                let mut n = 0;
                store.each_audit(&AuditFilter::default(), &mut |_| {
                    n += 1;
                    ControlFlow::Continue(())
                })?;
                println!("the audit log holds {n} records, each chained to the one before");
                Ok(())
            }
            Some(broken) => bail!(
                "audit record {} does not chain: {}; the log was tampered with from there on",
                broken.seq,
                broken.why
            ),
        };
    }
    let mut table = Table::new(&[
        "seq",
        "at",
        "actor",
        "plan",
        "step",
        "connector",
        "action",
        "target",
        "person",
        "phase",
        "summary",
        "requests",
        "error",
    ]);
    store.each_audit(&filter, &mut |r| {
        let e = r.entry;
        let requests: Vec<String> = e
            .requests
            .iter()
            .map(|w| format!("{} {}", w.method, w.url))
            .collect();
        table.row(vec![
            Cell::Int(r.seq),
            r.at.into(),
            e.actor.into(),
            e.plan.into(),
            Cell::Int(i64::from(e.step) + 1),
            e.connector.into(),
            e.action.into(),
            e.target.into(),
            e.person.into(),
            e.phase.as_str().into(),
            e.summary.into(),
            requests.join("; ").into(),
            e.error.into(),
        ]);
        ControlFlow::Continue(())
    })?;
    table.print(format)?;
    Ok(())
}
