//! The Trello connector end to end: the host runs the built-in component
//! against the simulated workspace and Enterprise over loopback, with the
//! key and token as query parameters, and what it reports is compared
//! with the simulator's organisation.

use atlassian_sim::{
    AccountType, Behaviour, Org, Person, ProductKey, RateLimit, Role, SimOptions, Simulator, Status,
};
use roster_sandbox::contract::{
    AccessTarget, Account, AccountStatus, Action, ActionKind, ConnectorError, Instant, Invitation,
    License, ProductRef, Usage,
};
use roster_sandbox::{CallError, Session, SessionOptions, Tape};
use roster_tests::harness::{self, NOW, change, plan_apply_repeat};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

const TRELLO: ProductKey = ProductKey::Trello;

/// The simulator's organisation with or without an Enterprise, and with
/// its users managed in Atlassian administration or not.
async fn simulator(
    people: usize,
    behaviour: Behaviour,
    enterprise: bool,
    admin_hub: bool,
) -> Simulator {
    Simulator::start(SimOptions {
        seed: 3,
        people,
        behaviour,
        now: Some(NOW),
        trello_enterprise: enterprise,
        trello_admin_hub: admin_hub,
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts")
}

/// The config, with the Enterprise or without.
fn config(sim: &Simulator, enterprise: bool) -> Value {
    let mut config = harness::builtin_config("trello", sim);
    if !enterprise {
        config
            .as_object_mut()
            .expect("an object")
            .remove("enterprise_id");
    }
    config
}

async fn open(sim: &Simulator, enterprise: bool) -> Session {
    let runtime = harness::runtime(4);
    let connector = harness::connector(&runtime, "trello").await;
    harness::open(&runtime, &connector, &config(sim, enterprise)).await
}

/// How Trello sees person `i`, as the simulator models it (the token's
/// owner, the organisation's admin, administers the workspace).
struct Seen {
    deactivated: bool,
    licensed: bool,
    collaborator: bool,
    managed: bool,
    admin: bool,
}

fn seen(org: &Org, i: usize) -> Option<Seen> {
    let p = &org.people[i];
    let access = org.access(p, TRELLO);
    let workspace_deactivated = org.trello.deactivated.contains(&i);
    let owner = i == org.admin;
    if p.account_type != AccountType::Atlassian
        || (access.is_none() && !workspace_deactivated && !owner)
    {
        return None;
    }
    let domain = p
        .email
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        .map(|(_, d)| d);
    Some(Seen {
        deactivated: workspace_deactivated
            || matches!(p.status, Status::Suspended | Status::Deactivated),
        licensed: org.is_billable(p, TRELLO),
        collaborator: access.is_some_and(|a| a.role == Role::Guest),
        managed: domain.is_some_and(|d| d.eq_ignore_ascii_case(&org.domain)),
        admin: owner
            || access.is_some_and(|a| a.role == Role::Admin)
            || org.trello.admins.contains(&i),
    })
}

/// Every member Trello lists, with how it sees them.
fn members(org: &Org) -> Vec<(&Person, Seen)> {
    (0..org.people.len())
        .filter_map(|i| seen(org, i).map(|s| (&org.people[i], s)))
        .collect()
}

/// An account as compared: status, email, and the attributes.
type Reported = (AccountStatus, Option<String>, BTreeMap<String, String>);

fn expected_accounts(org: &Org, enterprise: bool) -> BTreeMap<String, Reported> {
    members(org)
        .into_iter()
        .map(|(p, s)| {
            let status = if s.deactivated {
                AccountStatus::Deactivated
            } else if p.status == Status::Invited {
                AccountStatus::Invited
            } else {
                AccountStatus::Active
            };
            let mut attributes = BTreeMap::from([
                ("member-id".to_owned(), p.trello_id.clone()),
                ("username".to_owned(), p.nickname.clone()),
            ]);
            if enterprise {
                for (k, v) in [
                    ("licensed", s.licensed),
                    ("managed", s.managed),
                    ("collaborator", s.collaborator),
                    ("enterprise-admin", s.admin),
                ] {
                    attributes.insert(k.to_owned(), v.to_string());
                }
            }
            let email = s.managed.then(|| p.email.clone()).flatten();
            (p.account_id.clone(), (status, email, attributes))
        })
        .collect()
}

fn got_accounts(accounts: &[Account]) -> BTreeMap<String, Reported> {
    let got: BTreeMap<String, Reported> = accounts
        .iter()
        .map(|a| {
            let attributes = a
                .attributes
                .iter()
                .filter(|(k, _)| k != "workspace-role")
                .cloned()
                .collect();
            (a.id.clone(), (a.status, a.email.clone(), attributes))
        })
        .collect();
    assert_eq!(got.len(), accounts.len(), "no account twice");
    got
}

/// Billable and role of each licence.
fn got_licences(licences: &[License]) -> BTreeMap<String, (bool, String)> {
    let got: BTreeMap<String, (bool, String)> = licences
        .iter()
        .map(|l| {
            assert!(l.product.key == "trello" && l.product.instance.is_none());
            let role = l.role.clone().unwrap_or_default();
            (l.account_id.clone(), (l.billable, role))
        })
        .collect();
    assert_eq!(got.len(), licences.len(), "no licence twice");
    got
}

fn role(s: &Seen) -> String {
    if s.admin {
        "admin"
    } else if s.collaborator {
        "guest"
    } else {
        "user"
    }
    .to_owned()
}

/// A time as Trello writes it, to the millisecond.
fn trello_time(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(UtcOffset::UTC);
    at.replace_millisecond(at.millisecond()).expect("a time")
}

fn got_usage(usage: &[Usage]) -> BTreeMap<String, OffsetDateTime> {
    usage
        .iter()
        .map(|u| {
            let Instant::Timestamp(t) = &u.last_active else {
                panic!("Trello gives times, not dates: {u:?}");
            };
            assert!(
                t.ends_with('Z') && t.len() == 24,
                "Trello's precision kept: {t}"
            );
            let at = OffsetDateTime::parse(t, &Rfc3339).expect("a time");
            (u.account_id.clone(), at)
        })
        .collect()
}

fn expected_usage(org: &Org) -> BTreeMap<String, OffsetDateTime> {
    members(org)
        .into_iter()
        .filter_map(|(p, _)| Some((p.account_id.clone(), trello_time(p.last_active_in(TRELLO)?))))
        .collect()
}

/// A head count whose workspace has at least 10 000 members.
fn ten_thousand_members() -> usize {
    let share = {
        let org = atlassian_sim::generate::organisation(3, 5_000, NOW);
        members(&org).len() as f64 / 5_000.0
    };
    let mut people = (10_000.0 / share) as usize;
    loop {
        let org = atlassian_sim::generate::organisation(3, people, NOW);
        if members(&org).len() >= 10_000 {
            return people;
        }
        people += people / 50;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enterprise_of_ten_thousand_members_syncs_to_the_ground_truth() {
    let sim = simulator(ten_thousand_members(), Behaviour::default(), true, false).await;
    let mut session = open(&sim, true).await;
    let report = session.check().await.expect("check");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.capabilities.actions.len(), 6);
    sim.clear_requests();

    let started = std::time::Instant::now();
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let products = session.products().await.expect("products");
    let licences = harness::licenses(&mut session).await.expect("licences");
    let usage = harness::usage(&mut session).await.expect("usage");
    let took = started.elapsed();
    let log = sim.requests();
    let org = sim.org();
    let seen = members(&org);
    eprintln!(
        "{} members: {} requests in {took:.1?}, {:.1} per 1000 members",
        seen.len(),
        log.len(),
        log.len() as f64 * 1000.0 / seen.len() as f64
    );
    // A page per 100 Enterprise users per stream and the workspace for
    // products (the check read the workspace's members and the Enterprise
    // for the session already); never a member by member read.
    let pages = seen.len().div_ceil(100);
    assert_eq!(accounts.pages, pages);
    assert_eq!(log.len(), 3 * pages + 1);
    assert!(
        log.iter()
            .all(|r| !r.is_write() && !r.path.starts_with("/1/members/"))
    );

    assert_eq!(got_accounts(&accounts.items), expected_accounts(&org, true));
    let want: BTreeMap<String, (bool, String)> = seen
        .iter()
        .filter(|(_, s)| s.licensed || s.collaborator)
        .map(|(p, s)| (p.account_id.clone(), (s.licensed, role(s))))
        .collect();
    assert_eq!(got_licences(&licences.items), want);
    assert_eq!(got_usage(&usage.items), expected_usage(&org));
    let product = &products[..];
    assert_eq!(product.len(), 1);
    let licensed = seen.iter().filter(|(_, s)| s.licensed).count() as u32;
    assert_eq!(product[0].seats_used, Some(licensed));
    assert!(product[0].seats_total.is_some_and(|t| t >= licensed));
    assert_eq!(product[0].plan.as_deref(), Some("trello.enterprise"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_without_an_enterprise_reports_its_members_unbilled() {
    let sim = simulator(800, Behaviour::default(), false, false).await;
    let mut session = open(&sim, false).await;
    let report = session.check().await.expect("check");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    sim.clear_requests();
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let licences = harness::licenses(&mut session).await.expect("licences");
    let usage = harness::usage(&mut session).await.expect("usage");
    let products = session.products().await.expect("products");
    // The check read the workspace's members for the session; products
    // read the workspace.
    assert_eq!(sim.requests().len(), 1);
    assert_eq!(accounts.pages, 1);

    let org = sim.org();
    assert_eq!(
        got_accounts(&accounts.items),
        expected_accounts(&org, false)
    );
    let want: BTreeMap<String, (bool, String)> = members(&org)
        .iter()
        .filter(|(_, s)| !s.deactivated)
        .map(|(p, s)| {
            (
                p.account_id.clone(),
                (false, if s.admin { "admin" } else { "user" }.into()),
            )
        })
        .collect();
    assert_eq!(got_licences(&licences.items), want);
    assert_eq!(got_usage(&usage.items), expected_usage(&org));
    assert_eq!(
        products[0].seats_total, None,
        "no Enterprise, no seat count"
    );
    assert_eq!(products[0].plan.as_deref(), Some("trello.standard"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storm_of_429s_without_retry_after_is_waited_out() {
    let behaviour = Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 2,
            wait: std::time::Duration::from_millis(200),
        }),
        ..Behaviour::default()
    };
    let sim = simulator(1_500, behaviour, true, false).await;
    let mut session = open(&sim, true).await;
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let refused = sim.requests().iter().filter(|r| r.status == 429).count();
    assert!(refused >= 3, "the storm hit: {refused} refusals");
    assert_eq!(
        got_accounts(&accounts.items),
        expected_accounts(&sim.org(), true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_names_what_the_config_gets_wrong() {
    let sim = simulator(100, Behaviour::default(), true, false).await;
    let runtime = harness::runtime(1);
    let connector = harness::connector(&runtime, "trello").await;

    // Without `enterprise_id`, the check names the Enterprise to set.
    let mut session = harness::open(&runtime, &connector, &config(&sim, false)).await;
    let report = session.check().await.expect("check");
    let enterprise = sim.credentials().trello_enterprise.clone();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains(&format!("enterprise_id = \"{enterprise}\""))),
        "{:?}",
        report.warnings
    );

    let errors = [
        ("workspace", json!("nowhere"), "workspace"),
        (
            "enterprise_id",
            json!("0123456789abcdef01234567"),
            "enterprise_id",
        ),
        ("token", json!("ATTAwrong"), "token"),
        ("api_key", json!("wrong"), "API key"),
    ];
    for (field, value, named) in errors {
        let mut c = config(&sim, true);
        c[field] = value;
        let mut session = harness::open(&runtime, &connector, &c).await;
        let err = session.check().await.unwrap_err();
        assert!(err.to_string().contains(named), "{field}: {err}");
    }
    // A sync that skipped the check names the field too.
    let mut c = config(&sim, true);
    c["enterprise_id"] = json!("0123456789abcdef01234567");
    let mut session = harness::open(&runtime, &connector, &c).await;
    let err = session.accounts(None).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::InvalidConfig(m)) if m.contains("enterprise_id")),
        "{err}"
    );
}

/// Someone Trello lists as an active, licensed, confirmed workspace member
/// who is not the token's user.
fn active_member(org: &Org) -> (String, String) {
    (0..org.people.len())
        .filter(|&i| i != org.admin)
        .find_map(|i| {
            let s = seen(org, i)?;
            let p = &org.people[i];
            (s.licensed && !s.deactivated && !s.admin && p.status == Status::Active)
                .then(|| (p.account_id.clone(), p.trello_id.clone()))
        })
        .expect("an active member")
}

/// How Trello sees the person with `account_id`.
fn seen_by_id(org: &Org, account_id: &str) -> Option<Seen> {
    let i = org.people.iter().position(|p| p.account_id == account_id);
    seen(org, i.expect("a known account"))
}

fn licensed(org: &Org, account_id: &str) -> bool {
    seen_by_id(org, account_id).is_some_and(|s| s.licensed)
}

fn deactivated(org: &Org, account_id: &str) -> bool {
    seen_by_id(org, account_id).is_some_and(|s| s.deactivated)
}

fn is_member(org: &Org, account_id: &str) -> bool {
    seen_by_id(org, account_id).is_some()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_action_plans_applies_and_is_idempotent() {
    let sim = simulator(300, Behaviour::default(), true, false).await;
    let mut session = open(&sim, true).await;
    let (id, _) = active_member(&sim.org());
    let trello = || {
        AccessTarget::Product(ProductRef {
            key: "trello".into(),
            instance: None,
        })
    };

    let revoke = Action::Revoke(change(&id, trello()));
    plan_apply_repeat(&sim, &mut session, revoke, |o| !licensed(o, &id)).await;
    let grant = Action::Grant(change(&id, trello()));
    plan_apply_repeat(&sim, &mut session, grant, |o| licensed(o, &id)).await;
    let suspend = Action::Suspend(id.clone());
    plan_apply_repeat(&sim, &mut session, suspend, |o| deactivated(o, &id)).await;
    assert!(licensed(&sim.org(), &id), "deactivation keeps the licence");
    let restore = Action::Restore(id.clone());
    plan_apply_repeat(&sim, &mut session, restore, |o| !deactivated(o, &id)).await;
    let remove = Action::Remove(id.clone());
    plan_apply_repeat(&sim, &mut session, remove, |o| !is_member(o, &id)).await;

    let email = format!("newcomer@{}", sim.org().domain);
    let invite = Action::Invite(Invitation {
        email: email.clone(),
        display_name: Some("New Comer".into()),
        products: vec![ProductRef {
            key: "trello".into(),
            instance: None,
        }],
    });
    let invited = plan_apply_repeat(&sim, &mut session, invite, |o| {
        o.person_by_email(&email)
            .is_some_and(|p| o.access(p, TRELLO).is_some())
    })
    .await;
    let org = sim.org();
    let person = org.person_by_email(&email).expect("invited");
    assert_eq!(
        invited.account_id.as_deref(),
        Some(person.account_id.as_str())
    );
    let planned = &invited.requests[0];
    assert!(
        !planned.url.contains("key=") && !planned.url.contains("token="),
        "{planned:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_enterprise_grant_and_revoke_are_workspace_access() {
    let sim = simulator(200, Behaviour::default(), false, false).await;
    let mut session = open(&sim, false).await;
    let (id, _) = active_member(&sim.org());
    let trello = || {
        AccessTarget::Product(ProductRef {
            key: "trello".into(),
            instance: None,
        })
    };
    let revoke = Action::Revoke(change(&id, trello()));
    plan_apply_repeat(&sim, &mut session, revoke, |o| deactivated(o, &id)).await;
    let grant = Action::Grant(change(&id, trello()));
    plan_apply_repeat(&sim, &mut session, grant, |o| !deactivated(o, &id)).await;
    let jira = Action::Grant(change(
        &id,
        AccessTarget::Product(ProductRef {
            key: "jira-software".into(),
            instance: None,
        }),
    ));
    let err = session.provision(&jira, true).await.unwrap_err();
    assert!(
        matches!(err, CallError::Connector(ConnectorError::NotFound(_))),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn licences_managed_in_atlassian_administration_are_unsupported_here() {
    let sim = simulator(200, Behaviour::default(), true, true).await;
    let mut session = open(&sim, true).await;
    let report = session.check().await.expect("check");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("Atlassian administration")),
        "{:?}",
        report.warnings
    );
    assert!(!report.capabilities.actions.contains(&ActionKind::Grant));
    assert!(report.capabilities.actions.contains(&ActionKind::Suspend));
    let (id, _) = active_member(&sim.org());
    sim.clear_requests();
    let revoke = Action::Revoke(change(
        &id,
        AccessTarget::Product(ProductRef {
            key: "trello".into(),
            instance: None,
        }),
    ));
    let err = session.provision(&revoke, false).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Unsupported(m))
            if m.contains("organization admin connector")),
        "{err}"
    );
    assert!(sim.requests().iter().all(|r| !r.is_write()));
    assert!(licensed(&sim.org(), &id));
}

/// `value` percent-encoded as a URL's query encodes it.
fn form_encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_holds_neither_the_key_nor_the_token() {
    let sim = simulator(300, Behaviour::default(), true, false).await;
    let runtime = harness::runtime(2);
    let connector = harness::connector(&runtime, "trello").await;
    let dir = tempfile::tempdir().expect("a directory");
    let tape = dir.path().join("trello.tape");
    let options = SessionOptions {
        tape: Some(Tape::record(&tape).expect("a tape")),
        label: None,
    };
    let mut session = runtime
        .open(&connector, &config(&sim, true), options)
        .await
        .expect("opens");
    session.check().await.expect("check");
    harness::accounts(&mut session).await.expect("accounts");
    let (id, _) = active_member(&sim.org());
    session
        .provision(&Action::Suspend(id), false)
        .await
        .expect("applied");
    drop(session);
    let recording = std::fs::read_to_string(&tape).expect("recorded");
    assert!(
        recording.contains("/1/enterprises/"),
        "the recording has the requests"
    );
    let c = sim.credentials();
    for secret in [&c.trello_key, &c.trello_token] {
        for form in [secret.clone(), form_encoded(secret)] {
            assert!(
                !recording.contains(&form),
                "the recording leaks a credential"
            );
        }
    }
}
