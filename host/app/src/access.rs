//! Access changes: plans of provisioning actions, made by running each
//! action as a dry run (the host refuses every write), saved and reviewed,
//! then carried out with every step on the audit log.
//!
//! Applying a plan writes, for each step, a `started` record with the
//! requests it may send, a `sent` record for each write before the host
//! sends it (through the session's write journal), and the outcome. A plan
//! that was saved is checked first: each step is planned again, and if one
//! would now do something else (its target changed since), nothing is
//! applied. Steps the audit log shows finished under the same plan are not
//! carried out again, so that applying a plan a second time, or after the
//! process was killed, completes it without repeating a write.

use crate::store::{AuditEntry, AuditFilter, AuditPhase, Store, StoreError};
use roster_sandbox::contract::{
    AccessChange, AccessTarget, Action, Invitation, Outcome, OutcomeStatus, PlannedRequest,
    ProductRef,
};
use roster_sandbox::{CallError, Session, Write, WriteJournal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

/// The version of the plan file format this Roster writes and reads.
pub const PLAN_FORMAT: u32 = 1;

/// What `grant` and `revoke` act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Target {
    /// A product instance (the instance none for a product's only one).
    Product {
        /// The product key.
        key: String,
        /// The instance id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<String>,
    },
    /// A group, by id or name.
    Group {
        /// The group.
        name: String,
    },
}

impl Target {
    fn to_contract(&self) -> AccessTarget {
        match self {
            Target::Product { key, instance } => AccessTarget::Product(ProductRef {
                key: key.clone(),
                instance: instance.clone(),
            }),
            Target::Group { name } => AccessTarget::Group(name.clone()),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Product {
                key,
                instance: Some(i),
            } => write!(f, "{key} on {i}"),
            Target::Product {
                key,
                instance: None,
            } => f.write_str(key),
            Target::Group { name } => write!(f, "group {name}"),
        }
    }
}

/// One access change, as a plan file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum Change {
    /// Invite `email`, granting `products`.
    Invite {
        /// Where the invitation goes.
        email: String,
        /// Product instances to grant with it.
        products: Vec<Target>,
    },
    /// Give an account a product or group.
    Grant {
        /// The account.
        account_id: String,
        /// The product or group.
        target: Target,
    },
    /// Take a product or group away.
    Revoke {
        /// The account.
        account_id: String,
        /// The product or group.
        target: Target,
    },
    /// Block sign-in, keeping the account.
    Suspend {
        /// The account.
        account_id: String,
    },
    /// Undo a suspension.
    Restore {
        /// The account.
        account_id: String,
    },
    /// Remove the account.
    Remove {
        /// The account.
        account_id: String,
    },
}

impl Change {
    /// The action's name: `invite`, `grant`, ...
    pub fn name(&self) -> &'static str {
        match self {
            Change::Invite { .. } => "invite",
            Change::Grant { .. } => "grant",
            Change::Revoke { .. } => "revoke",
            Change::Suspend { .. } => "suspend",
            Change::Restore { .. } => "restore",
            Change::Remove { .. } => "remove",
        }
    }

    /// What it acts on, for people and the audit log.
    pub fn target(&self) -> String {
        match self {
            Change::Invite { email, products } => {
                let products: Vec<String> = products.iter().map(Target::to_string).collect();
                format!("{email} with {}", products.join(", "))
            }
            Change::Grant { account_id, target } | Change::Revoke { account_id, target } => {
                format!("{account_id} {target}")
            }
            Change::Suspend { account_id }
            | Change::Restore { account_id }
            | Change::Remove { account_id } => account_id.clone(),
        }
    }

    /// Whom it is about: the account id, or an invitation's email.
    pub fn subject(&self) -> String {
        match self {
            Change::Invite { email, .. } => email.clone(),
            Change::Grant { account_id, .. }
            | Change::Revoke { account_id, .. }
            | Change::Suspend { account_id }
            | Change::Restore { account_id }
            | Change::Remove { account_id } => account_id.clone(),
        }
    }

    /// The contract's action.
    pub fn to_action(&self) -> Action {
        let change = |account_id: &str, target: &Target| AccessChange {
            account_id: account_id.to_owned(),
            target: target.to_contract(),
        };
        match self {
            Change::Invite { email, products } => Action::Invite(Invitation {
                email: email.clone(),
                display_name: None,
                products: products
                    .iter()
                    .filter_map(|t| match t.to_contract() {
                        AccessTarget::Product(p) => Some(p),
                        AccessTarget::Group(_) => None,
                    })
                    .collect(),
            }),
            Change::Grant { account_id, target } => Action::Grant(change(account_id, target)),
            Change::Revoke { account_id, target } => Action::Revoke(change(account_id, target)),
            Change::Suspend { account_id } => Action::Suspend(account_id.clone()),
            Change::Restore { account_id } => Action::Restore(account_id.clone()),
            Change::Remove { account_id } => Action::Remove(account_id.clone()),
        }
    }
}

/// What a step's dry run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Planned {
    /// The change would be made by the step's requests.
    Change,
    /// Nothing to do: the target already is as asked.
    Unchanged,
    /// The dry run failed; `error` says why. Applying skips the step.
    Error,
}

/// One step of a plan: a change through one connector instance, and what
/// its dry run said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The connector instance (`[connectors.<name>]`).
    pub connector: String,
    /// The change.
    pub change: Change,
    /// The person's email, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Why the step is in the plan (a reclaim's idle days, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the dry run found.
    pub planned: Planned,
    /// The connector's sentence, or the error.
    pub summary: String,
    /// The write requests it would send.
    pub requests: Vec<Write>,
}

/// A plan: steps to review, then apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_FORMAT`].
    pub format: u32,
    /// Its id, which ties its audit records together.
    pub id: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// The command that made it.
    pub command: String,
    /// The steps, in the order they are carried out.
    pub steps: Vec<Step>,
}

/// One step to plan: a change through a connector, for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The connector instance.
    pub connector: String,
    /// The change.
    pub change: Change,
    /// The person's email, when known.
    pub person: Option<String>,
    /// Why it is wanted, when there is more to say than the change.
    pub reason: Option<String>,
}

/// The sessions of the connectors a plan uses, by instance name.
pub type Sessions = BTreeMap<String, Session>;

/// Why a plan could not be made or applied.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No session was opened for a step's connector.
    #[error("no connector `{0}` is configured")]
    NoConnector(String),
    /// The plan file is of another format.
    #[error("the plan is of format {found}; this Roster reads format {PLAN_FORMAT}")]
    Format {
        /// The file's.
        found: u32,
    },
    /// Steps whose targets changed since the plan was made.
    #[error("the plan was not applied, because what it would change has changed since it was made:\n{}", .0.join("\n"))]
    Changed(Vec<String>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Dry-runs one change.
async fn dry_run(session: &mut Session, change: &Change) -> (Planned, String, Vec<Write>) {
    match session.provision(&change.to_action(), true).await {
        Ok(outcome) => {
            let planned = match outcome.status {
                OutcomeStatus::Unchanged => Planned::Unchanged,
                OutcomeStatus::Planned | OutcomeStatus::Applied => Planned::Change,
            };
            (planned, outcome.summary, writes(&outcome.requests))
        }
        Err(e) => (Planned::Error, e.to_string(), Vec::new()),
    }
}

fn writes(requests: &[PlannedRequest]) -> Vec<Write> {
    requests
        .iter()
        .map(|r| Write {
            method: r.method.clone(),
            url: r.url.clone(),
            body: r.body.clone(),
        })
        .collect()
}

/// Plans one wanted change: its dry run through its connector.
pub async fn plan_step(sessions: &mut Sessions, w: Wanted) -> Result<Step, AccessError> {
    let session = sessions
        .get_mut(&w.connector)
        .ok_or_else(|| AccessError::NoConnector(w.connector.clone()))?;
    let (planned, summary, requests) = dry_run(session, &w.change).await;
    Ok(Step {
        connector: w.connector,
        change: w.change,
        person: w.person,
        reason: w.reason,
        planned,
        summary,
        requests,
    })
}

/// Plans `wanted`: each change as a dry run through its connector.
pub async fn plan(
    sessions: &mut Sessions,
    command: &str,
    wanted: Vec<Wanted>,
) -> Result<Plan, AccessError> {
    let mut steps = Vec::with_capacity(wanted.len());
    for w in wanted {
        steps.push(plan_step(sessions, w).await?);
    }
    Ok(Plan::new(command, steps))
}

impl Plan {
    /// A new plan of `steps`, made by `command`.
    pub fn new(command: &str, steps: Vec<Step>) -> Plan {
        Plan {
            format: PLAN_FORMAT,
            id: new_id(),
            created_at: now(),
            command: command.to_owned(),
            steps,
        }
    }
}

/// How one step of an applied plan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    /// The step's position in the plan.
    pub step: usize,
    /// Applied, unchanged, failed, or skipped (finished before, or never
    /// planned).
    pub outcome: StepOutcome,
    /// What the connector said, or the error.
    pub summary: String,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// The change was made.
    Applied,
    /// Nothing needed doing.
    Unchanged,
    /// It failed.
    Failed,
    /// Not carried out: it finished under this plan before, or its dry run
    /// failed.
    Skipped,
}

impl StepOutcome {
    /// Its name in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Applied => "applied",
            StepOutcome::Unchanged => "unchanged",
            StepOutcome::Failed => "failed",
            StepOutcome::Skipped => "skipped",
        }
    }
}

/// The store an apply writes its audit records to, shared with the write
/// journals of its sessions.
pub type SharedStore = Arc<Mutex<Box<dyn Store>>>;

/// Appends to the audit log of a shared store.
fn audit(store: &SharedStore, entry: &AuditEntry) -> Result<(), StoreError> {
    store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .append_audit(entry)
        .map(|_| ())
}

/// The journal of one step: each write becomes a `sent` record.
struct StepJournal {
    store: SharedStore,
    entry: AuditEntry,
}

impl WriteJournal for StepJournal {
    fn record(&self, write: &Write) -> Result<(), String> {
        let entry = AuditEntry {
            phase: AuditPhase::Sent,
            summary: format!("{} {}", write.method, write.url),
            requests: vec![write.clone()],
            ..self.entry.clone()
        };
        audit(&self.store, &entry).map_err(|e| e.to_string())
    }
}

/// Records each step of `plan` as planned by `actor`: when it is saved for
/// review, or about to be applied.
pub fn record_planned(plan: &Plan, store: &SharedStore, actor: &str) -> Result<(), StoreError> {
    for (i, step) in plan.steps.iter().enumerate() {
        audit(store, &entry(plan, i, step, actor, AuditPhase::Planned))?;
    }
    Ok(())
}

/// The audit record of step `i` of `plan` in `phase`.
fn entry(plan: &Plan, i: usize, step: &Step, actor: &str, phase: AuditPhase) -> AuditEntry {
    AuditEntry {
        actor: actor.to_owned(),
        plan: plan.id.clone(),
        step: i as u32,
        connector: step.connector.clone(),
        action: step.change.name().to_owned(),
        target: step.change.target(),
        person: step.person.clone(),
        phase,
        summary: step.summary.clone(),
        requests: step.requests.clone(),
        error: None,
    }
}

/// What the audit log says of one step of a plan.
#[derive(Debug, Clone, Copy)]
struct Logged {
    /// The last phase recorded.
    last: AuditPhase,
    /// Whether a write of it may have been sent.
    sent: bool,
}

impl Logged {
    /// Whether it needs nothing more: applied, or found unchanged.
    fn done(self) -> bool {
        matches!(self.last, AuditPhase::Applied | AuditPhase::Unchanged)
    }

    /// Whether it was begun and did not succeed: the process was killed,
    /// or it failed; some of its writes may have gone through.
    fn unfinished(self) -> bool {
        matches!(
            self.last,
            AuditPhase::Started | AuditPhase::Sent | AuditPhase::Failed
        )
    }
}

/// What the audit log says of each step of plan `id`.
fn logged_steps(store: &SharedStore, id: &str) -> Result<BTreeMap<u32, Logged>, StoreError> {
    let mut steps: BTreeMap<u32, Logged> = BTreeMap::new();
    let filter = AuditFilter {
        plan: Some(id.to_owned()),
        ..AuditFilter::default()
    };
    store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .each_audit(&filter, &mut |r| {
            let phase = r.entry.phase;
            let step = steps.entry(r.entry.step).or_insert(Logged {
                last: phase,
                sent: false,
            });
            step.last = phase;
            step.sent |= phase == AuditPhase::Sent;
            ControlFlow::Continue(())
        })?;
    Ok(steps)
}

/// Carries out `plan`, auditing each step as `actor`. With `recheck` (a
/// plan made earlier and saved), every step is planned again first and
/// nothing is applied if one would now do something else. Steps applied
/// (or found unchanged) under this plan before are skipped; one the log
/// shows begun but not finished (the process was killed, or it failed) is
/// planned again, and if it now has nothing to do it is recorded as done
/// (applied, when a write of it had been sent) rather than sent again.
/// One step's failure does not stop the others.
pub async fn apply(
    plan: &Plan,
    sessions: &mut Sessions,
    store: &SharedStore,
    actor: &str,
    recheck: bool,
) -> Result<Vec<StepResult>, AccessError> {
    if plan.format != PLAN_FORMAT {
        return Err(AccessError::Format { found: plan.format });
    }
    let before = logged_steps(store, &plan.id)?;
    let entry_of = |i: usize, step: &Step, phase| entry(plan, i, step, actor, phase);
    // Steps interrupted before (started, not finished) whose dry run now
    // finds nothing to do: their writes went through.
    let mut interrupted_done = Vec::new();
    if recheck {
        let mut changed = Vec::new();
        for (i, step) in plan.steps.iter().enumerate() {
            let logged = before.get(&(i as u32)).copied();
            if logged.is_some_and(Logged::done) || step.planned == Planned::Error {
                continue;
            }
            let session = sessions
                .get_mut(&step.connector)
                .ok_or_else(|| AccessError::NoConnector(step.connector.clone()))?;
            let (planned, summary, requests) = dry_run(session, &step.change).await;
            if logged.is_some_and(Logged::unfinished) && planned == Planned::Unchanged {
                interrupted_done.push(i);
                continue;
            }
            if planned != step.planned || requests != step.requests {
                let now = match planned {
                    Planned::Unchanged => "now has nothing to do".to_owned(),
                    Planned::Change => format!("would now send {}", describe(&requests)),
                    Planned::Error => format!("now fails: {summary}"),
                };
                let was = match step.planned {
                    Planned::Unchanged => "had nothing to do".to_owned(),
                    _ => format!("was to send {}", describe(&step.requests)),
                };
                changed.push(format!(
                    "  step {} ({} {} through `{}`): {was}, {now}",
                    i + 1,
                    step.change.name(),
                    step.change.target(),
                    step.connector
                ));
                let mut refused = entry_of(i, step, AuditPhase::Refused);
                refused.error = Some(format!("the target changed: {was}, {now}"));
                audit(store, &refused)?;
            }
        }
        if !changed.is_empty() {
            return Err(AccessError::Changed(changed));
        }
    } else {
        record_planned(plan, store, actor)?;
    }
    let mut results = Vec::with_capacity(plan.steps.len());
    for (i, step) in plan.steps.iter().enumerate() {
        let logged = before.get(&(i as u32)).copied();
        let result = |outcome, summary: String| StepResult {
            step: i,
            outcome,
            summary,
        };
        if let Some(logged) = logged.filter(|l| l.done()) {
            results.push(result(
                StepOutcome::Skipped,
                format!("done before under this plan ({})", logged.last.as_str()),
            ));
            continue;
        }
        if interrupted_done.contains(&i) {
            let sent = logged.is_some_and(|l| l.sent);
            let (phase, outcome) = if sent {
                (AuditPhase::Applied, StepOutcome::Applied)
            } else {
                (AuditPhase::Unchanged, StepOutcome::Unchanged)
            };
            let mut done = entry_of(i, step, phase);
            done.summary = format!(
                "{}: read again after an earlier attempt stopped, it has nothing left to do{}",
                step.summary,
                if sent {
                    " (its write went through)"
                } else {
                    ""
                }
            );
            audit(store, &done)?;
            results.push(result(outcome, done.summary));
            continue;
        }
        match step.planned {
            Planned::Error => {
                results.push(result(
                    StepOutcome::Skipped,
                    format!("not planned: {}", step.summary),
                ));
                continue;
            }
            Planned::Unchanged => {
                audit(store, &entry_of(i, step, AuditPhase::Unchanged))?;
                results.push(result(StepOutcome::Unchanged, step.summary.clone()));
                continue;
            }
            Planned::Change => {}
        }
        let Some(session) = sessions.get_mut(&step.connector) else {
            return Err(AccessError::NoConnector(step.connector.clone()));
        };
        audit(store, &entry_of(i, step, AuditPhase::Started))?;
        let journal = Arc::new(StepJournal {
            store: store.clone(),
            entry: entry_of(i, step, AuditPhase::Sent),
        });
        let outcome = session.apply(&step.change.to_action(), journal).await;
        let (phase, outcome, summary, error) = finished(outcome);
        let mut end = entry_of(i, step, phase);
        end.summary.clone_from(&summary);
        end.error = error;
        audit(store, &end)?;
        results.push(result(outcome, summary));
    }
    Ok(results)
}

/// The audit phase, outcome, summary and error of a carried-out step.
fn finished(
    outcome: Result<Outcome, CallError>,
) -> (AuditPhase, StepOutcome, String, Option<String>) {
    match outcome {
        Ok(o) if o.status == OutcomeStatus::Unchanged => (
            AuditPhase::Unchanged,
            StepOutcome::Unchanged,
            o.summary,
            None,
        ),
        Ok(o) => (AuditPhase::Applied, StepOutcome::Applied, o.summary, None),
        Err(e) => {
            let error = e.to_string();
            (
                AuditPhase::Failed,
                StepOutcome::Failed,
                error.clone(),
                Some(error),
            )
        }
    }
}

/// Requests, for a sentence.
fn describe(requests: &[Write]) -> String {
    if requests.is_empty() {
        return "no request".into();
    }
    requests
        .iter()
        .map(|w| format!("`{} {}`", w.method, w.url))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A new plan id: the time and process, hashed, 16 hex digits.
fn new_id() -> String {
    use sha2::{Digest, Sha256};
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let seed = format!("{nanos}-{}", std::process::id());
    Sha256::digest(seed.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_file_round_trips_and_names_its_actions() {
        let plan = Plan {
            format: PLAN_FORMAT,
            id: "abc".into(),
            created_at: "2026-12-01T00:00:00Z".into(),
            command: "roster revoke jira ana@acme.example jira-software".into(),
            steps: vec![Step {
                connector: "jira".into(),
                change: Change::Revoke {
                    account_id: "a1".into(),
                    target: Target::Product {
                        key: "jira-software".into(),
                        instance: None,
                    },
                },
                person: Some("ana@acme.example".into()),
                reason: None,
                planned: Planned::Change,
                summary: "take a1 out of jira-software-users".into(),
                requests: vec![Write {
                    method: "DELETE".into(),
                    url: "https://acme.atlassian.net/rest/api/3/group/user".into(),
                    body: None,
                }],
            }],
        };
        let text = serde_json::to_string_pretty(&plan).unwrap();
        assert!(text.contains(r#""action": "revoke""#), "{text}");
        assert_eq!(serde_json::from_str::<Plan>(&text).unwrap(), plan);
        assert_eq!(plan.steps[0].change.target(), "a1 jira-software");
        assert!(matches!(
            plan.steps[0].change.to_action(),
            Action::Revoke(AccessChange { ref account_id, .. }) if account_id == "a1"
        ));
    }
}
