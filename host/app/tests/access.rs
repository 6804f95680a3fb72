//! Access changes through the `roster` binary against the simulator: plans
//! that send no write, applies that leave the simulator as planned and the
//! audit log complete, saved plans refused once their target changed, one
//! failing action among others, `kill -9` mid-apply, and reclaim by policy.

mod common;

use atlassian_sim::{
    AccountType, Behaviour, Org, Person, ProductKey, SimOptions, Simulator, Status,
};
use common::{command, roster, text};
use roster_app::store::sqlite::SqliteStore;
use roster_app::store::{AuditFilter, AuditPhase, AuditRecord, Store};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

const EVERY_CONNECTOR: [&str; 5] = [
    "atlassian-admin",
    "bitbucket",
    "confluence",
    "jira",
    "trello",
];

/// A simulator and a directory whose `roster.toml` enables every built-in
/// connector against it (`extra` lines appended), synced once.
async fn synced(people: usize, extra: &str) -> (Simulator, tempfile::TempDir) {
    let sim = Simulator::start(SimOptions {
        seed: 11,
        people,
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roster.toml");
    let skipped = sim.write_roster_toml(&file, &EVERY_CONNECTOR).unwrap();
    assert!(skipped.is_empty());
    let toml = std::fs::read_to_string(&file).unwrap() + extra;
    std::fs::write(&file, toml).unwrap();
    let sync = roster(dir.path(), &["sync"]);
    assert!(sync.status.success(), "{}", text(&sync));
    (sim, dir)
}

/// Every audit record, oldest first.
fn audit_log(dir: &Path) -> Vec<AuditRecord> {
    let store = SqliteStore::open(&dir.join("roster.db")).unwrap();
    let mut all = Vec::new();
    store
        .each_audit(&AuditFilter::default(), &mut |r| {
            all.push(r);
            ControlFlow::Continue(())
        })
        .unwrap();
    all
}

/// Someone other than the admin who holds every product.
fn everywhere(org: &Org) -> &Person {
    org.people
        .iter()
        .enumerate()
        .find(|(i, p)| {
            *i != org.admin
                && p.status == Status::Active
                && p.account_type == AccountType::Atlassian
                && p.email.is_some()
                && [
                    ProductKey::JiraSoftware,
                    ProductKey::Confluence,
                    ProductKey::Trello,
                    ProductKey::Bitbucket,
                ]
                .iter()
                .all(|&k| org.access(p, k).is_some_and(|a| a.via_group.is_some()))
        })
        .map(|(_, p)| p)
        .expect("someone holds every product")
}

/// The writes the simulator answered since it was last cleared, as
/// `METHOD path?query`.
fn writes(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| r.is_write())
        .map(|r| {
            format!(
                "{} {}?{}",
                r.method,
                r.path,
                r.query.as_deref().unwrap_or("")
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn offboarding_plans_without_writing_applies_everywhere_and_audits_every_step() {
    let (sim, dir) = synced(150, "").await;
    let (id, email) = {
        let org = sim.org();
        let p = everywhere(&org);
        (p.account_id.clone(), p.email.clone().unwrap())
    };

    sim.clear_requests();
    let planned = roster(dir.path(), &["offboard", &email, "--format", "json"]);
    assert!(planned.status.success(), "{}", text(&planned));
    assert_eq!(
        writes(&sim),
        Vec::<String>::new(),
        "planning sends no write"
    );
    let plan = String::from_utf8_lossy(&planned.stdout).into_owned();
    assert!(
        plan.contains(r#""connector":"atlassian-admin","action":"suspend""#),
        "{plan}"
    );
    assert!(
        plan.contains("/suspend"),
        "the plan lists the request it would send: {plan}"
    );
    assert!(
        audit_log(dir.path()).is_empty(),
        "a plan alone is not audited"
    );

    let applied = roster(
        dir.path(),
        &[
            "offboard", &email, "--apply", "--actor", "alice", "--format", "csv",
        ],
    );
    let out = text(&applied);
    assert!(applied.status.success(), "{out}");
    assert_eq!(sim.org().person(&id).unwrap().status, Status::Suspended);
    assert!(!writes(&sim).is_empty());

    // The accounts were read again: every product now shows them blocked.
    let person = roster(dir.path(), &["person", &email, "--format", "csv"]);
    let rows = String::from_utf8_lossy(&person.stdout).into_owned();
    for line in rows.lines().skip(1) {
        let status = line.split(',').nth(3).unwrap();
        assert!(
            status == "suspended" || status == "deactivated",
            "{line}\n{rows}"
        );
    }

    let log = audit_log(dir.path());
    let phases: Vec<(u32, AuditPhase)> =
        log.iter().map(|r| (r.entry.step, r.entry.phase)).collect();
    assert!(
        phases.starts_with(&[(0, AuditPhase::Planned)]),
        "{phases:?}"
    );
    for phase in [AuditPhase::Started, AuditPhase::Sent, AuditPhase::Applied] {
        assert!(
            phases.contains(&(0, phase)),
            "{phase:?} of the suspension: {phases:?}"
        );
    }
    assert!(log.iter().all(|r| r.entry.actor == "alice"));
    let sent = log
        .iter()
        .find(|r| r.entry.phase == AuditPhase::Sent)
        .unwrap();
    assert_eq!(sent.entry.requests[0].method, "POST");
    let verified = roster(dir.path(), &["audit", "--verify"]);
    assert!(verified.status.success(), "{}", text(&verified));
    let listed = roster(
        dir.path(),
        &["audit", "--person", &email, "--format", "csv"],
    );
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).lines().count(),
        log.len() + 1
    );

    // Again: nothing left to do, nothing sent.
    sim.clear_requests();
    let again = roster(
        dir.path(),
        &["offboard", &email, "--apply", "--format", "csv"],
    );
    let out = text(&again);
    assert!(again.status.success(), "{out}");
    assert!(out.contains(",unchanged,"), "{out}");
    assert!(!out.contains(",applied,"), "{out}");
    assert_eq!(writes(&sim), Vec::<String>::new());

    // Someone edits one record: verify names it.
    let conn = rusqlite::Connection::open(dir.path().join("roster.db")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_no_update;
         UPDATE audit SET actor = 'mallory' WHERE seq = 3;",
    )
    .unwrap();
    let tampered = roster(dir.path(), &["audit", "--verify"]);
    assert!(!tampered.status.success());
    assert!(
        text(&tampered).contains("audit record 3 does not chain"),
        "{}",
        text(&tampered)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_refused_once_its_target_changed() {
    let (sim, dir) = synced(120, "").await;
    let email = {
        let org = sim.org();
        everywhere(&org).email.clone().unwrap()
    };
    let saved = roster(
        dir.path(),
        &[
            "revoke",
            "jira",
            &email,
            "jira-software",
            "--out",
            "plan.json",
        ],
    );
    assert!(saved.status.success(), "{}", text(&saved));
    assert!(
        text(&saved).contains("roster apply plan.json"),
        "{}",
        text(&saved)
    );

    // Someone else takes the product away first.
    let direct = roster(
        dir.path(),
        &["revoke", "jira", &email, "jira-software", "--apply"],
    );
    assert!(direct.status.success(), "{}", text(&direct));
    sim.clear_requests();
    let refused = roster(dir.path(), &["apply", "plan.json"]);
    let out = text(&refused);
    assert!(!refused.status.success(), "{out}");
    assert!(out.contains("has changed since it was made"), "{out}");
    assert!(
        out.contains("step 1 (revoke ") && out.contains("through `jira`): was to send `DELETE "),
        "{out}"
    );
    assert!(out.contains("now has nothing to do"), "{out}");
    assert_eq!(writes(&sim), Vec::<String>::new());
    let log = audit_log(dir.path());
    assert_eq!(log.last().unwrap().entry.phase, AuditPhase::Refused);
}

/// The account ids a saved plan's steps act on, in order, each with
/// whether its dry run found a change to make.
fn plan_steps(dir: &Path) -> Vec<(String, bool)> {
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("plan.json")).unwrap()).unwrap();
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["change"]["account_id"].as_str().unwrap().to_owned(),
                s["planned"] == "change",
            )
        })
        .collect()
}

/// The outcome of step `step` (from 1) in the results table of `out`.
fn outcome(out: &str, step: usize) -> Option<String> {
    out.lines()
        .rev()
        .find(|l| l.starts_with(&format!("{step},")))
        .map(|l| l.split(',').nth(4).unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_action_leaves_the_others_applied_and_a_rerun_finishes_it() {
    let (sim, dir) = synced(300, "").await;
    let saved = roster(
        dir.path(),
        &[
            "reclaim",
            "--days",
            "60",
            "--product",
            "jira-software",
            "--out",
            "plan.json",
        ],
    );
    assert!(saved.status.success(), "{}", text(&saved));
    let steps = plan_steps(dir.path());
    let changes: Vec<usize> = (0..steps.len()).filter(|&i| steps[i].1).collect();
    assert!(changes.len() >= 3, "{steps:?}");
    let failing = changes[1];
    sim.set_behaviour(Behaviour {
        failing_writes: vec![steps[failing].0.replace(':', "%3A")],
        ..Behaviour::default()
    });
    let first = roster(
        dir.path(),
        &["apply", "plan.json", "--yes", "--format", "csv"],
    );
    let out = text(&first);
    assert!(!first.status.success(), "{out}");
    assert!(out.contains("1 step(s) failed"), "{out}");
    for (i, (_, change)) in steps.iter().enumerate() {
        let expected = match (i == failing, change) {
            (true, _) => "failed",
            (false, true) => "applied",
            (false, false) => "unchanged",
        };
        assert_eq!(
            outcome(&out, i + 1).as_deref(),
            Some(expected),
            "step {}: {out}",
            i + 1
        );
    }
    let log = audit_log(dir.path());
    assert!(log.iter().any(|r| r.entry.step == failing as u32
        && r.entry.phase == AuditPhase::Failed
        && r.entry.error.is_some()));

    sim.set_behaviour(Behaviour::default());
    sim.clear_requests();
    let rerun = roster(dir.path(), &["apply", "plan.json", "--format", "csv"]);
    let out = text(&rerun);
    assert!(rerun.status.success(), "{out}");
    assert_eq!(
        outcome(&out, failing + 1).as_deref(),
        Some("applied"),
        "{out}"
    );
    assert_eq!(
        outcome(&out, changes[0] + 1).as_deref(),
        Some("skipped"),
        "{out}"
    );
    let failed_id = steps[failing].0.replace(':', "%3A");
    let sent = writes(&sim);
    assert!(
        !sent.is_empty() && sent.iter().all(|w| w.contains(&failed_id)),
        "only the failed step writes again: {sent:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_apply_then_a_rerun_completes_without_writing_anything_twice() {
    let (sim, dir) = synced(400, "").await;
    let saved = roster(
        dir.path(),
        &["reclaim", "--days", "30", "--out", "plan.json"],
    );
    assert!(saved.status.success(), "{}", text(&saved));
    let steps = plan_steps(dir.path()).len();
    assert!(steps >= 6, "{steps} steps");
    sim.clear_requests();
    sim.set_behaviour(Behaviour {
        latency: Duration::from_millis(40),
        ..Behaviour::default()
    });
    let mut child = command(dir.path(), &["apply", "plan.json", "--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let applied = audit_log(dir.path())
            .iter()
            .filter(|r| r.entry.phase == AuditPhase::Applied)
            .count();
        if applied >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the apply made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = audit_log(dir.path());
    let finished = |log: &[AuditRecord]| {
        let mut last: BTreeMap<u32, AuditPhase> = BTreeMap::new();
        for r in log {
            last.insert(r.entry.step, r.entry.phase);
        }
        last.values().filter(|p| p.is_final()).count()
    };
    assert!(finished(&before) < steps, "killed before the end");

    sim.set_behaviour(Behaviour::default());
    let rerun = roster(dir.path(), &["apply", "plan.json", "--yes"]);
    assert!(rerun.status.success(), "{}", text(&rerun));
    let all = audit_log(dir.path());
    assert_eq!(finished(&all), steps, "every step finished");
    let sent = writes(&sim);
    let mut seen = std::collections::BTreeSet::new();
    for w in &sent {
        assert!(seen.insert(w.clone()), "sent twice: {w}\n{sent:#?}");
    }
    // Every write that reached the simulator is on the audit log.
    let logged = all
        .iter()
        .filter(|r| r.entry.phase == AuditPhase::Sent)
        .count();
    assert!(logged >= sent.len(), "{logged} logged, {} sent", sent.len());
    let verified = roster(dir.path(), &["audit", "--verify"]);
    assert!(verified.status.success(), "{}", text(&verified));
}

#[tokio::test(flavor = "multi_thread")]
async fn reclaim_frees_the_idle_seats_the_policy_does_not_keep_at_the_configured_price() {
    let policy = "\n[policy.reclaim]\nexclude_groups = [\"developers\"]\n";
    let (sim, dir) = synced(400, policy).await;
    let toml = std::fs::read_to_string(dir.path().join("roster.toml"))
        .unwrap()
        .replace(
            "component = \"jira\"\n",
            "component = \"jira\"\nseat_price = { \"jira-software\" = 8.60 }\n",
        );
    std::fs::write(dir.path().join("roster.toml"), toml).unwrap();
    let days = 45;
    let planned = roster(
        dir.path(),
        &[
            "reclaim",
            "--days",
            &days.to_string(),
            "--product",
            "jira-software",
            "--out",
            "plan.json",
        ],
    );
    let out = text(&planned);
    assert!(planned.status.success(), "{out}");

    let expected: std::collections::BTreeSet<String> = {
        let org = sim.org();
        let now = time::OffsetDateTime::now_utc();
        org.people
            .iter()
            .filter(|p| org.is_billable(p, ProductKey::JiraSoftware))
            .filter(|p| {
                p.last_active_in(ProductKey::JiraSoftware)
                    .is_none_or(|t| t.date() < now.date() - time::Duration::days(days))
            })
            .filter(|p| !p.groups.iter().any(|&g| org.groups[g].name == "developers"))
            .filter(|p| now.date() - p.added >= time::Duration::days(30))
            .map(|p| p.account_id.clone())
            .collect()
    };
    let steps = plan_steps(dir.path());
    let planned: std::collections::BTreeSet<String> =
        steps.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(planned, expected);
    assert!(!expected.is_empty());
    // A seat whose revocation changes nothing (held through another group
    // the connector leaves alone) is not freed.
    let freed_seats = steps.iter().filter(|(_, change)| *change).count();
    assert!(freed_seats > 0);
    let freed = format!(
        "reclaiming {freed_seats} seats idle for {days} days or never used frees {:.2} a month",
        8.60 * freed_seats as f64
    );
    assert!(out.contains(&freed), "{freed}\n{out}");
    assert!(out.contains("members of `developers` are kept"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn single_actions_find_people_in_the_snapshot_and_list_what_matched_when_they_cannot() {
    let (sim, dir) = synced(150, "").await;
    let (id, email) = {
        let org = sim.org();
        let p = everywhere(&org);
        (p.account_id.clone(), p.email.clone().unwrap())
    };
    let local = email.split('@').next().unwrap();
    let unknown = roster(dir.path(), &["suspend", "atlassian-admin", local]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    let out = text(&unknown);
    assert!(
        out.contains(&format!("no account has the email or id `{local}`")),
        "{out}"
    );
    assert!(out.contains(&email), "the near match is listed: {out}");
    let product = roster(dir.path(), &["revoke", "jira", &email, "jira-softwares"]);
    assert_eq!(product.status.code(), Some(2));
    assert!(
        text(&product).contains("no product `jira-softwares`"),
        "{}",
        text(&product)
    );
    let connector = roster(dir.path(), &["suspend", "nope", &email]);
    assert_eq!(connector.status.code(), Some(2));
    assert!(text(&connector).contains("no connector `nope` is configured"));

    // Suspend, then restore, by account id.
    for (action, status) in [("suspend", Status::Suspended), ("restore", Status::Active)] {
        let done = roster(dir.path(), &[action, "atlassian-admin", &id, "--apply"]);
        assert!(done.status.success(), "{action}: {}", text(&done));
        assert_eq!(sim.org().person(&id).unwrap().status, status, "{action}");
    }

    // An invitation, and onboarding through the connector that owns the
    // product.
    let newcomer = "new.person@acme11.example";
    let invited = roster(
        dir.path(),
        &[
            "invite",
            "atlassian-admin",
            newcomer,
            "--product",
            "jira-software",
            "--apply",
        ],
    );
    assert!(invited.status.success(), "{}", text(&invited));
    assert!(
        sim.org()
            .people
            .iter()
            .any(|p| p.email.as_deref() == Some(newcomer)),
        "invited"
    );
    let onboard = roster(
        dir.path(),
        &[
            "onboard",
            "second.person@acme11.example",
            "--product",
            "confluence",
            "--format",
            "csv",
        ],
    );
    let out = text(&onboard);
    assert!(onboard.status.success(), "{out}");
    assert!(
        out.contains("1,atlassian-admin,invite,second.person@acme11.example with confluence"),
        "{out}"
    );
}
