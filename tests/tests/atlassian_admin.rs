//! The Atlassian organization admin connector end to end: the host runs
//! the built-in component against the simulated Admin, user-management
//! and SCIM APIs over loopback, and what it reports is compared with the
//! simulator's organisation.

use atlassian_sim::{
    AccountType, Behaviour, Org, Person, ProductKey, RateLimit, Simulator, Status,
};
use roster_sandbox::contract::{
    AccessTarget, AccountKind, AccountStatus, Action, ConnectorError, Instant, Invitation, License,
    Stream,
};
use roster_sandbox::{CallError, OpenError, Session};
use roster_tests::harness::{self, change, plan_apply_repeat};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;

/// The organisation's config with the unscoped key.
fn config(sim: &Simulator) -> Value {
    sim.connector_config("atlassian-admin")
        .expect("the simulator configures the admin connector")
}

/// The config with SCIM as well.
fn scim_config(sim: &Simulator) -> Value {
    let creds = sim.credentials();
    let mut c = config(sim);
    c["directory_id"] = json!(creds.directory_id);
    c["scim_api_key"] = json!(creds.scim_api_key);
    c
}

async fn open_session(concurrency: usize, config: &Value) -> Session {
    let runtime = harness::runtime(concurrency);
    let connector = harness::connector(&runtime, "atlassian-admin").await;
    harness::open(&runtime, &connector, config).await
}

/// Rate limiting and outages on every upstream: every `n`th request is
/// refused for 200 ms, one in a hundred answers 503.
fn misbehaving(search_last_active: bool) -> Behaviour {
    Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 211,
            wait: Duration::from_millis(200),
        }),
        unavailable: 0.01,
        search_last_active,
        ..Behaviour::default()
    }
}

/// The people the directory lists: people (not apps or portal customers)
/// not removed from it.
fn members(org: &Org) -> impl Iterator<Item = (usize, &Person)> {
    org.people
        .iter()
        .enumerate()
        .filter(|(i, p)| p.account_type == AccountType::Atlassian && !org.removed.contains(i))
}

/// Status, email, groups and date added, as the connector should report
/// them.
type ExpectedAccount = (AccountStatus, Option<String>, BTreeSet<String>, String);

fn expected_accounts(org: &Org) -> BTreeMap<String, ExpectedAccount> {
    members(org)
        .map(|(i, p)| {
            let status = match p.status {
                _ if org.deleting.contains(&i) => AccountStatus::Deactivated,
                Status::Active => AccountStatus::Active,
                Status::Suspended => AccountStatus::Suspended,
                Status::Deactivated => AccountStatus::Deactivated,
                Status::Invited => AccountStatus::Invited,
            };
            let groups = p
                .groups
                .iter()
                .map(|&g| org.groups[g].name.clone())
                .collect();
            (
                p.account_id.clone(),
                (status, p.email.clone(), groups, p.added.to_string()),
            )
        })
        .collect()
}

/// Role and billable per (account, product).
/// Role, billable, and the group that grants it, per (account, product).
type Licences = BTreeMap<(String, String), (Option<String>, bool, Option<String>)>;

fn expected_licences(org: &Org) -> Licences {
    let mut licences = BTreeMap::new();
    for (_, p) in members(org) {
        for key in ProductKey::ALL {
            if let Some(access) = org.access(p, key) {
                licences.insert(
                    (p.account_id.clone(), key.key().to_owned()),
                    (
                        Some(access.role.as_str().to_owned()),
                        org.is_billable(p, key),
                        access.via_group.map(|g| org.groups[g].name.clone()),
                    ),
                );
            }
        }
    }
    licences
}

/// The licences read, keyed like [`expected_licences`].
fn licences_read(licences: &[License]) -> Licences {
    licences
        .iter()
        .map(|l| {
            (
                (l.account_id.clone(), l.product.key.clone()),
                (l.role.clone(), l.billable, l.via_group.clone()),
            )
        })
        .collect()
}

/// Last activity per (account, product): with `held_only`, of the
/// products the person holds now (what the user search reports).
fn expected_usage(
    org: &Org,
    held_only: bool,
    instant: impl Fn(time::OffsetDateTime) -> String,
) -> BTreeMap<(String, String), String> {
    let mut usage = BTreeMap::new();
    for (_, p) in members(org) {
        for key in ProductKey::ALL {
            if held_only && org.access(p, key).is_none() {
                continue;
            }
            if let Some(at) = p.last_active_in(key) {
                usage.insert((p.account_id.clone(), key.key().to_owned()), instant(at));
            }
        }
    }
    usage
}

/// An instant with its precision, comparable.
fn shown(instant: &Instant) -> String {
    match instant {
        Instant::Timestamp(t) => format!("timestamp {t}"),
        Instant::Date(d) => format!("date {d}"),
    }
}

fn timestamp(at: time::OffsetDateTime) -> String {
    shown(&Instant::Timestamp(at.format(&Rfc3339).expect("formats")))
}

fn day(at: time::OffsetDateTime) -> String {
    shown(&Instant::Date(at.date().to_string()))
}

fn count_by<T, K: Ord>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(T) -> K,
) -> BTreeMap<K, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(key(item)).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_org_syncs_to_the_ground_truth_through_rate_limits_and_outages() {
    let sim = harness::simulator(10_000, 31, misbehaving(true)).await;
    let mut session = open_session(16, &config(&sim)).await;

    let report = session.check().await.expect("check");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(
        report.capabilities.streams,
        [
            Stream::Accounts,
            Stream::Products,
            Stream::Licenses,
            Stream::Usage
        ]
    );
    assert_eq!(report.capabilities.actions.len(), 6);
    assert!(
        report
            .principal
            .as_deref()
            .is_some_and(|p| p.contains(&sim.credentials().org_id))
    );
    sim.clear_requests();

    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let products = session.products().await.expect("products");
    let licences = harness::licenses(&mut session).await.expect("licences");
    let usage = harness::usage(&mut session).await.expect("usage");
    let log = sim.requests();
    assert!(log.iter().any(|r| r.status == 429), "rate limited");
    assert!(log.iter().any(|r| r.status == 503), "unavailable");
    // The user search and the workspace listing read through POST.
    let reads_by_post =
        |path: &str| path.ends_with("/users/search") || path.ends_with("/workspaces");
    assert!(
        log.iter().all(|r| !r.is_write() || reads_by_post(&r.path)),
        "a sync writes nothing"
    );
    assert!(
        !log.iter().any(|r| r.path.ends_with("/last-active-dates")),
        "the search carries last-active timestamps: no fan-out"
    );

    let org = sim.org();
    // Accounts: every directory member exactly once, as the directory shows it.
    let want = expected_accounts(&org);
    let got: BTreeMap<String, ExpectedAccount> = accounts
        .items
        .iter()
        .map(|a| {
            assert_eq!(a.kind, AccountKind::Human, "{}", a.id);
            let created = match &a.created_at {
                Some(Instant::Date(d)) => d.clone(),
                other => panic!("{}: added as a date, not {other:?}", a.id),
            };
            let groups = a.groups.iter().cloned().collect();
            (a.id.clone(), (a.status, a.email.clone(), groups, created))
        })
        .collect();
    assert_eq!(got.len(), accounts.items.len(), "no account twice");
    assert_eq!(
        count_by(&accounts.items, |a| format!("{:?}", a.status)),
        count_by(want.values(), |a| format!("{:?}", a.0)),
        "accounts by status"
    );
    assert_eq!(got, want);

    // Products: seats in use and bought, plan, default group.
    assert_eq!(products.len(), ProductKey::ALL.len());
    for key in ProductKey::ALL {
        let p = products
            .iter()
            .find(|p| p.key == key.key())
            .unwrap_or_else(|| panic!("{key:?} is listed"));
        assert!(p.name.starts_with(key.name()), "{}", p.name);
        let instance = org.product(key);
        assert_eq!(p.seats_total, Some(instance.seats), "{key:?} seats");
        assert_eq!(p.seats_used, Some(org.seats_used(key)), "{key:?} used");
        assert_eq!(p.plan.as_deref(), Some(instance.plan));
        let granting: Vec<String> = org
            .granting_groups(key)
            .into_iter()
            .map(|g| org.groups[g].name.clone())
            .collect();
        assert_eq!(p.granting_groups, granting, "{key:?}: default group first");
    }

    // Licences: who holds what, with which role, billable or not.
    let want = expected_licences(&org);
    let got = licences_read(&licences.items);
    assert_eq!(got.len(), licences.items.len(), "no licence twice");
    assert_eq!(
        count_by(&licences.items, |l| l.product.key.clone()),
        count_by(want.keys(), |(_, k)| k.clone()),
        "holders per product"
    );
    assert_eq!(got, want);
    // Groups tell everyone's role but the people no group grants one:
    // only they are asked for their own role assignments.
    let asked: BTreeSet<&str> = log
        .iter()
        .filter(|r| r.path.ends_with("/role-assignments") && r.path.contains("/users/"))
        .filter_map(|r| r.path.split('/').rev().nth(1))
        .collect();
    let ungrouped: BTreeSet<&str> = want
        .iter()
        .filter(|(_, (_, _, via_group))| via_group.is_none())
        .map(|((account, _), _)| account.as_str())
        .collect();
    assert_eq!(
        asked, ungrouped,
        "role assignments asked of the ungrouped only"
    );
    for key in ProductKey::ALL {
        let billable = licences
            .items
            .iter()
            .filter(|l| l.product.key == key.key() && l.billable)
            .count();
        assert_eq!(billable as u32, org.seats_used(key), "{key:?} billable");
    }

    // Usage: to the second, for the products people hold.
    let want = expected_usage(&org, true, timestamp);
    let got: BTreeMap<(String, String), String> = usage
        .items
        .iter()
        .map(|u| {
            let key = u.product.clone().expect("a product").key;
            ((u.account_id.clone(), key), shown(&u.last_active))
        })
        .collect();
    assert_eq!(got.len(), usage.items.len(), "no usage twice");
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_search_timestamps_usage_comes_by_day_from_one_request_per_person() {
    let sim = harness::simulator(10_000, 32, misbehaving(false)).await;
    let mut session = open_session(16, &config(&sim)).await;
    let usage = harness::usage(&mut session).await.expect("usage");
    let log = sim.requests();
    assert!(log.iter().any(|r| r.status == 429), "rate limited");
    assert!(log.iter().any(|r| r.status == 503), "unavailable");
    let org = sim.org();
    let fanned: BTreeSet<&str> = log
        .iter()
        .filter(|r| r.status == 200)
        .filter_map(|r| r.path.strip_suffix("/last-active-dates"))
        .filter_map(|p| p.rsplit('/').next())
        .collect();
    assert_eq!(
        fanned.len(),
        members(&org).count(),
        "one request per person"
    );

    let want = expected_usage(&org, false, day);
    let got: BTreeMap<(String, String), String> = usage
        .items
        .iter()
        .map(|u| {
            let key = u.product.clone().expect("a product").key;
            ((u.account_id.clone(), key), shown(&u.last_active))
        })
        .collect();
    assert_eq!(got.len(), usage.items.len(), "no usage twice");
    assert_eq!(got, want);
}

/// The simulated products whose every seat is taken.
const FULL: [ProductKey; 2] = [ProductKey::JiraServiceManagement, ProductKey::Bitbucket];

/// The status of the person with this id.
fn status_of(org: &Org, id: &str) -> Option<Status> {
    org.person(id).map(|p| p.status)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provisioning_action_plans_applies_and_is_idempotent() {
    let sim = harness::simulator(600, 9, Behaviour::default()).await;
    let confluence = ProductKey::Confluence;
    let pick = |org: &Org, skip: &[&str], keep: &dyn Fn(&Person) -> bool| -> String {
        members(org)
            .map(|(_, p)| p)
            .filter(|p| !skip.contains(&p.account_id.as_str()) && keep(p))
            .filter(|p| p.account_id != org.people[org.admin].account_id)
            .map(|p| p.account_id.clone())
            .next()
            .expect("someone fits")
    };
    let (outsider, holder, active, suspended, deactivated, synced, department) = {
        let org = sim.org();
        let default = org.product(confluence).default_group;
        let granting = org.granting_groups(confluence);
        let outsider = pick(&org, &[], &|p| {
            p.status == Status::Active && org.access(p, confluence).is_none()
        });
        let holder = pick(&org, &[], &|p| {
            p.status == Status::Active
                && p.groups.contains(&default)
                && p.groups.iter().filter(|g| granting.contains(g)).count() == 1
        });
        let active = pick(&org, &[outsider.as_str(), holder.as_str()], &|p| {
            p.status == Status::Active
        });
        // Restoring someone who holds a full product would be refused.
        let fits = |p: &Person| FULL.iter().all(|&k| org.access(p, k).is_none());
        let suspended = pick(&org, &[], &|p| p.status == Status::Suspended && fits(p));
        let deactivated = pick(&org, &[], &|p| {
            p.status == Status::Deactivated && org.is_managed(p) && p.scim_id.is_none() && fits(p)
        });
        let synced = pick(&org, &[], &|p| {
            p.status == Status::Deactivated && p.scim_id.is_some() && fits(p)
        });
        let department = org.group_by_name("design").expect("a department group");
        (
            outsider,
            holder,
            active,
            suspended,
            deactivated,
            synced,
            org.groups[department].clone(),
        )
    };
    let holds = |org: &Org, id: &str| {
        org.person(id)
            .is_some_and(|p| org.access(p, confluence).is_some())
    };
    let mut session = open_session(4, &config(&sim)).await;

    // Grant and revoke a product, through its default group.
    let granted = plan_apply_repeat(
        &sim,
        &mut session,
        Action::Grant(change(
            &outsider,
            AccessTarget::Product("confluence".into()),
        )),
        |org| holds(org, &outsider),
    )
    .await;
    let default_id = {
        let org = sim.org();
        org.groups[org.product(confluence).default_group].id.clone()
    };
    assert!(granted.requests[0].url.contains(&default_id));
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Revoke(change(&holder, AccessTarget::Product("confluence".into()))),
        |org| !holds(org, &holder),
    )
    .await;

    // Grant a group by id, revoke it by name.
    harness::group_by_id_then_by_name(&sim, &mut session, &outsider, &department).await;

    // Invite a newcomer with two products.
    let email = format!("new.hire@{}", sim.org().domain);
    let invited = plan_apply_repeat(
        &sim,
        &mut session,
        Action::Invite(Invitation {
            email: email.clone(),
            display_name: None,
            products: vec!["confluence".into(), "jira-software".into()],
        }),
        |org| {
            org.person_by_email(&email).is_some_and(|p| {
                org.access(p, confluence).is_some()
                    && org.access(p, ProductKey::JiraSoftware).is_some()
            })
        },
    )
    .await;
    let newcomer = sim
        .org()
        .person_by_email(&email)
        .map(|p| p.account_id.clone());
    assert_eq!(invited.account_id, newcomer);

    // Suspend and restore.
    plan_apply_repeat(&sim, &mut session, Action::Suspend(active.clone()), |org| {
        status_of(org, &active) == Some(Status::Suspended)
    })
    .await;
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Restore(suspended.clone()),
        |org| status_of(org, &suspended) == Some(Status::Active),
    )
    .await;

    // Restore a deactivated managed account (user-management API).
    let enabled = plan_apply_repeat(
        &sim,
        &mut session,
        Action::Restore(deactivated.clone()),
        |org| status_of(org, &deactivated) == Some(Status::Active),
    )
    .await;
    assert!(
        enabled.requests[0]
            .url
            .ends_with("/manage/lifecycle/enable")
    );

    // With SCIM configured, a deactivated synced person is reactivated in
    // the directory.
    let mut scim = open_session(4, &scim_config(&sim)).await;
    let reactivated = plan_apply_repeat(&sim, &mut scim, Action::Restore(synced.clone()), |org| {
        status_of(org, &synced) == Some(Status::Active)
    })
    .await;
    assert!(reactivated.requests[0].url.contains("/scim/directory/"));

    // Remove from the directory.
    plan_apply_repeat(&sim, &mut session, Action::Remove(holder.clone()), |org| {
        org.position(&holder)
            .is_some_and(|p| org.removed.contains(&p))
    })
    .await;

    // A fresh sync sees every change.
    let mut fresh = open_session(4, &config(&sim)).await;
    let accounts = harness::accounts(&mut fresh).await.expect("accounts");
    let licences = harness::licenses(&mut fresh).await.expect("licences");
    let org = sim.org();
    let got: BTreeMap<String, ExpectedAccount> = accounts
        .items
        .iter()
        .map(|a| {
            let created = a
                .created_at
                .as_ref()
                .map(|c| match c {
                    Instant::Date(d) | Instant::Timestamp(d) => d.clone(),
                })
                .unwrap_or_default();
            let groups = a.groups.iter().cloned().collect();
            (a.id.clone(), (a.status, a.email.clone(), groups, created))
        })
        .collect();
    assert_eq!(got, expected_accounts(&org));
    let got = licences_read(&licences.items);
    assert_eq!(got, expected_licences(&org));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_accounts_and_groups_are_not_found_by_id() {
    let sim = harness::simulator(50, 3, Behaviour::default()).await;
    let mut session = open_session(2, &config(&sim)).await;
    let someone = {
        let org = sim.org();
        org.people[org.admin].account_id.clone()
    };
    let ghost = "5b10ac8d82e05b22cc7d0000";
    for action in [
        Action::Remove(ghost.into()),
        Action::Suspend(ghost.into()),
        Action::Restore(ghost.into()),
        Action::Grant(change(ghost, AccessTarget::Product("confluence".into()))),
        Action::Grant(change(
            &someone,
            AccessTarget::Group("no-such-group".into()),
        )),
    ] {
        let err = session.provision(&action, true).await.unwrap_err();
        let named = match &err {
            CallError::Connector(ConnectorError::NotFound(m)) => {
                m.contains(ghost) || m.contains("no-such-group")
            }
            _ => false,
        };
        assert!(named, "{action:?}: {err}");
    }
    assert!(sim.requests().iter().all(|r| !r.is_write()));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_configs_get_errors_that_say_what_to_fix() {
    let sim = harness::simulator(50, 5, Behaviour::default()).await;
    let creds = sim.credentials().clone();
    let runtime = harness::runtime(2);
    let connector = harness::connector(&runtime, "atlassian-admin").await;
    let check = |config: Value| {
        let runtime = &runtime;
        let connector = &connector;
        async move {
            let mut session = runtime
                .open(connector, &config, Default::default())
                .await
                .unwrap_or_else(|e| panic!("opens: {e}"));
            session.check().await
        }
    };

    // No organisation id: the host's schema check names the field.
    let mut missing = config(&sim);
    missing.as_object_mut().expect("object").remove("org_id");
    let err = runtime
        .open(&connector, &missing, Default::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("refused"));
    assert!(
        matches!(err, OpenError::Config(_)) && err.to_string().contains("org_id"),
        "{err}"
    );

    // Half a SCIM config names the missing half.
    let mut half = config(&sim);
    half["directory_id"] = json!(creds.directory_id);
    let err = runtime
        .open(&connector, &half, Default::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("refused"));
    assert!(err.to_string().contains("scim_api_key"), "{err}");

    // A key the Admin API rejects.
    let mut wrong_key = config(&sim);
    wrong_key["api_key"] = json!("ATCTT3xFfGN0-not-the-key");
    match check(wrong_key).await {
        Err(CallError::Connector(ConnectorError::Unauthorized(m))) => {
            assert!(m.contains("`api_key`") && m.contains("API keys"), "{m}")
        }
        other => panic!("expected unauthorized: {other:?}"),
    }

    // An organisation the key does not administer.
    let mut wrong_org = config(&sim);
    wrong_org["org_id"] = json!("k7000000-0000-0000-0000-000000000000");
    match check(wrong_org).await {
        Err(CallError::Connector(ConnectorError::InvalidConfig(m))) => {
            assert!(m.contains("`org_id`") && m.contains(&creds.org_id), "{m}")
        }
        other => panic!("expected invalid config: {other:?}"),
    }

    // A key created with scopes: works, with a warning to replace it.
    let mut scoped = config(&sim);
    scoped["api_key"] = json!(creds.scoped_org_api_key);
    let report = check(scoped).await.expect("a scoped key still checks");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert_eq!(report.credentials.len(), 1);
    let facts = &report.credentials[0];
    assert_eq!((facts.id.as_str(), facts.scoped), ("org", Some(true)));
    assert_eq!(facts.blocks, report.warnings, "what the scopes block");
    let unscoped = check(config(&sim)).await.expect("the unscoped key checks");
    assert_eq!(unscoped.credentials[0].scoped, Some(false));
    assert!(unscoped.credentials[0].blocks.is_empty());
    assert!(
        report.warnings[0].contains("manage:org") && report.warnings[0].contains("without scopes"),
        "{}",
        report.warnings[0]
    );

    // SCIM: a wrong key, a wrong directory.
    let mut wrong_scim = scim_config(&sim);
    wrong_scim["scim_api_key"] = json!("scim-not-the-key");
    match check(wrong_scim).await {
        Err(CallError::Connector(ConnectorError::Unauthorized(m))) => {
            assert!(m.contains("`scim_api_key`"), "{m}")
        }
        other => panic!("expected unauthorized: {other:?}"),
    }
    let mut wrong_directory = scim_config(&sim);
    wrong_directory["directory_id"] = json!("00000000-0000-0000-0000-000000000000");
    match check(wrong_directory).await {
        Err(CallError::Connector(ConnectorError::InvalidConfig(m))) => {
            assert!(m.contains("`directory_id`"), "{m}")
        }
        other => panic!("expected invalid config: {other:?}"),
    }
    let report = check(scim_config(&sim)).await.expect("SCIM checks");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    // A site that is not a cloud id.
    let mut site = config(&sim);
    site["site"] = json!("acme");
    let err = runtime
        .open(&connector, &site, Default::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("refused"));
    assert!(err.to_string().contains("`site`"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_filter_keeps_that_site_and_drops_others() {
    let sim = harness::simulator(200, 8, Behaviour::default()).await;
    let cloud_id = sim.org().cloud_id.clone();
    let mut here = config(&sim);
    here["site"] = json!(cloud_id);
    let mut session = open_session(4, &here).await;
    let all = harness::usage(&mut session).await.expect("usage").items;
    assert_eq!(all.len(), expected_usage(&sim.org(), true, timestamp).len());

    let mut elsewhere = config(&sim);
    elsewhere["site"] = json!("00000000-0000-4000-8000-000000000000");
    let mut session = open_session(4, &elsewhere).await;
    let usage = harness::usage(&mut session).await.expect("usage").items;
    let kept: BTreeSet<String> = usage
        .iter()
        .filter_map(|u| u.product.as_ref().map(|p| p.key.clone()))
        .collect();
    // The simulator's ARIs are all site ARIs: nothing is on another site.
    assert!(kept.is_empty(), "{kept:?}");
}
