//! The Confluence connector end to end: the host runs the built-in
//! component against the simulated site over loopback, and what it
//! reports is compared with the simulator's organisation.

use atlassian_sim::{
    AccountType, Behaviour, LoggedRequest, Org, Person, ProductKey, RateLimit, Role, Simulator,
    Status,
};
use roster_app::reports;
use roster_app::store::StoreWorker;
use roster_app::store::sqlite::SqliteStore;
use roster_sandbox::contract::{
    AccessTarget, Account, AccountKind, AccountStatus, Action, ActionKind, ConnectorError,
    Invitation, License, Stream,
};
use roster_sandbox::{CallError, OpenError, Session};
use roster_tests::harness::{self, change, plan_apply_repeat};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const CONFLUENCE: ProductKey = ProductKey::Confluence;

/// The config for the simulated site with these credentials.
fn config(sim: &Simulator, email: &str, token: &str) -> Value {
    let mut config = harness::builtin_config("confluence", sim);
    config["email"] = json!(email);
    config["api_token"] = json!(token);
    config
}

fn admin_config(sim: &Simulator) -> Value {
    let creds = sim.credentials();
    config(sim, &creds.admin_email, &creds.admin_api_token)
}

async fn open(concurrency: usize, config: &Value) -> Session {
    let runtime = harness::runtime(concurrency);
    let connector = harness::connector(&runtime, "confluence").await;
    harness::open(&runtime, &connector, config).await
}

/// Whether a group member listing shows the person: in a group, and not
/// suspended (the group API leaves the suspended out).
fn listed(p: &Person) -> bool {
    !p.groups.is_empty() && p.status != Status::Suspended
}

/// Whether the person holds a Confluence licence (through a group).
fn licensed(org: &Org, p: &Person) -> bool {
    org.access(p, CONFLUENCE)
        .is_some_and(|a| a.role != Role::Guest)
}

fn guest(org: &Org, p: &Person) -> bool {
    org.access(p, CONFLUENCE)
        .is_some_and(|a| a.role == Role::Guest)
}

/// Whether Confluence reports the person at all: a group lists them, or a
/// user search finds them (licensed or guest). Portal customers are not
/// Confluence users.
fn reported(org: &Org, p: &Person) -> bool {
    p.account_type != AccountType::Customer && (listed(p) || licensed(org, p) || guest(org, p))
}

/// One account as the connector should report it.
type ExpectedAccount = (AccountKind, AccountStatus, Option<String>, BTreeSet<String>);

fn expected_accounts(org: &Org) -> BTreeMap<String, ExpectedAccount> {
    org.people
        .iter()
        .filter(|p| reported(org, p))
        .map(|p| {
            let kind = match p.account_type {
                AccountType::Atlassian => AccountKind::Human,
                _ => AccountKind::App,
            };
            let can_use = p.is_enabled() && org.access(p, CONFLUENCE).is_some();
            let status = match (can_use, listed(p), licensed(org, p)) {
                (true, _, _) => AccountStatus::Active,
                (false, true, true) => AccountStatus::Deactivated,
                (false, false, true) => AccountStatus::Suspended,
                (false, _, false) => AccountStatus::Unknown,
            };
            let email = p
                .email
                .clone()
                .filter(|_| p.email_visible && p.account_type != AccountType::App);
            let groups = p
                .groups
                .iter()
                .map(|&g| org.groups[g].name.clone())
                .collect();
            (p.account_id.clone(), (kind, status, email, groups))
        })
        .collect()
}

/// One licence: billable, via which group, with which role.
type ExpectedLicence = (bool, Option<String>, Option<String>);

fn expected_licences(org: &Org) -> BTreeMap<String, ExpectedLicence> {
    org.holders(CONFLUENCE)
        .filter(|(p, _)| reported(org, p))
        .map(|(p, access)| {
            (
                p.account_id.clone(),
                (
                    org.is_billable(p, CONFLUENCE),
                    access.via_group.map(|g| org.groups[g].name.clone()),
                    Some(access.role.as_str().to_owned()),
                ),
            )
        })
        .collect()
}

/// Every account exactly once, each as Confluence shows it.
fn assert_accounts(org: &Org, accounts: &[Account]) {
    let want = expected_accounts(org);
    let got: BTreeMap<String, ExpectedAccount> = accounts
        .iter()
        .map(|a| {
            let groups = a.groups.iter().cloned().collect();
            (a.id.clone(), (a.kind, a.status, a.email.clone(), groups))
        })
        .collect();
    assert_eq!(got.len(), accounts.len(), "no account twice");
    let missed: Vec<&String> = want.keys().filter(|id| !got.contains_key(*id)).collect();
    assert!(missed.is_empty(), "{} missed: {missed:?}", missed.len());
    assert_eq!(got.len(), want.len(), "nobody who is not a Confluence user");
    for (id, expected) in &want {
        assert_eq!(got.get(id), Some(expected), "account {id}");
    }
}

/// Who holds Confluence, via which group, billable or not.
fn assert_licences(org: &Org, licences: &[License]) {
    let want = expected_licences(org);
    let got: BTreeMap<String, ExpectedLicence> = licences
        .iter()
        .map(|l| {
            assert_eq!(l.product.key, "confluence");
            (
                l.account_id.clone(),
                (l.billable, l.via_group.clone(), l.role.clone()),
            )
        })
        .collect();
    assert_eq!(got.len(), licences.len(), "no licence twice");
    let differ: Vec<_> = want
        .iter()
        .filter(|(id, l)| got.get(*id) != Some(l))
        .map(|(id, l)| (id, l, got.get(id)))
        .take(5)
        .collect();
    assert!(differ.is_empty(), "wanted, got: {differ:?}");
    assert_eq!(got.len(), want.len(), "no licence that is not held");
    let billable = licences.iter().filter(|l| l.billable).count();
    assert_eq!(billable as u32, org.seats_used(CONFLUENCE), "billable");
}

/// The starts of the member pages the log shows for group `id`.
fn member_starts(log: &[LoggedRequest], id: &str) -> BTreeSet<u64> {
    let path = format!("/wiki/rest/api/group/{id}/membersByGroupId");
    log.iter()
        .filter(|r| r.path == path && r.status == 200)
        .filter_map(|r| {
            let query = r.query.clone().unwrap_or_default();
            let start = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "start");
            match start {
                Some((_, v)) => v.parse().ok(),
                None => Some(0),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_site_syncs_to_the_ground_truth_through_rate_limits_and_outages() {
    let behaviour = Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 89,
            wait: Duration::from_secs(1),
        }),
        unavailable: 0.01,
        ..Behaviour::default()
    };
    let sim = harness::simulator(10_000, 21, behaviour).await;
    let mut session = open(8, &admin_config(&sim)).await;

    let report = session.check().await.expect("check");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(
        report.capabilities.streams,
        [Stream::Accounts, Stream::Products, Stream::Licenses]
    );
    assert_eq!(
        report.capabilities.actions,
        [ActionKind::Invite, ActionKind::Grant, ActionKind::Revoke]
    );
    sim.clear_requests();

    let started = Instant::now();
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let products = session.products().await.expect("products");
    let licences = harness::licenses(&mut session).await.expect("licences");
    let took = started.elapsed();
    let log = sim.requests();
    let org = sim.org();
    // The figures the connector's notes quote (not asserted: a shared
    // machine's times are noise).
    let answered = log.iter().filter(|r| r.status == 200).count();
    eprintln!(
        "{} people: {} requests ({answered} answered 200) in {took:.1?}, {:.1} per 1000 people",
        org.people.len(),
        log.len(),
        answered as f64 * 1000.0 / org.people.len() as f64
    );
    assert!(log.iter().any(|r| r.status == 429), "rate-limited");
    assert!(log.iter().any(|r| r.status == 503), "unavailable at times");
    assert!(log.iter().all(|r| !r.is_write()));
    assert!(
        answered < 2_000,
        "{answered} requests: group by group and page by page, not user by user"
    );

    // Member pages go past the 200 cap; the suspended members the group
    // API leaves out make some pages short without ending them.
    let users = org.product(CONFLUENCE).default_group;
    let in_group = org.people.iter().filter(|p| p.groups.contains(&users));
    assert!(in_group.clone().count() > 1_000);
    assert!(in_group.clone().any(|p| p.status == Status::Suspended));
    let starts = member_starts(&log, &org.groups[users].id);
    let pages = in_group.count().div_ceil(200) as u64;
    assert_eq!(starts, (0..pages).map(|i| i * 200).collect());

    assert_eq!(products.len(), 1);
    let product = &products[0];
    assert_eq!(product.key, "confluence");
    assert_eq!(
        product.instance.as_deref(),
        Some(format!("ari:cloud:confluence::site/{}", org.cloud_id).as_str())
    );
    assert_eq!(
        product.granting_groups,
        ["confluence-users", "confluence-admins"]
    );
    assert_eq!(product.seats_total, None, "Confluence reports no seats");
    assert_eq!(product.seats_used, None);

    assert_accounts(&org, &accounts.items);
    assert_licences(&org, &licences.items);
    let count = |status| accounts.items.iter().filter(|a| a.status == status).count();
    for status in [
        AccountStatus::Active,
        AccountStatus::Suspended,
        AccountStatus::Deactivated,
        AccountStatus::Unknown,
    ] {
        assert!(count(status) > 0, "{status:?}: the site has some");
    }
    assert!(
        licences
            .items
            .iter()
            .any(|l| l.role.as_deref() == Some("guest")),
        "guests"
    );
}

/// The Confluence write requests of a log.
fn writes(log: &[LoggedRequest]) -> Vec<&LoggedRequest> {
    log.iter().filter(|r| r.is_write()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provisioning_action_plans_applies_and_is_idempotent() {
    let sim = harness::simulator(400, 9, Behaviour::default()).await;
    let (outsider, holder, department, default_id) = {
        let org = sim.org();
        let default = org.product(CONFLUENCE).default_group;
        let granting = org.granting_groups(CONFLUENCE);
        let candidates: Vec<&Person> = org
            .people
            .iter()
            .enumerate()
            .filter(|&(i, p)| {
                i != org.admin
                    && i != org.user
                    && p.account_type == AccountType::Atlassian
                    && p.status == Status::Active
            })
            .map(|(_, p)| p)
            .collect();
        let outsider = candidates
            .iter()
            .find(|p| org.access(p, CONFLUENCE).is_none() && !p.groups.is_empty())
            .expect("someone without Confluence");
        let holder = candidates
            .iter()
            .find(|p| {
                p.groups.contains(&default)
                    && p.groups.iter().filter(|g| granting.contains(g)).count() == 1
            })
            .expect("a holder through the default group alone");
        let department = org.group_by_name("design").expect("a department group");
        assert!(!outsider.groups.contains(&department));
        (
            outsider.account_id.clone(),
            holder.account_id.clone(),
            org.groups[department].clone(),
            org.groups[default].id.clone(),
        )
    };
    let holds = |org: &Org, id: &str| {
        org.person(id)
            .is_some_and(|p| org.access(p, CONFLUENCE).is_some())
    };
    let mut session = open(4, &admin_config(&sim)).await;
    let confluence = || AccessTarget::Product("confluence".into());

    // Grant through the default group, by id; the write carries the
    // headers Confluence needs.
    let granted = plan_apply_repeat(
        &sim,
        &mut session,
        Action::Grant(change(&outsider, confluence())),
        |org| holds(org, &outsider),
    )
    .await;
    assert!(granted.requests[0].url.contains(&default_id));
    sim.clear_requests();
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Revoke(change(&holder, confluence())),
        |org| !holds(org, &holder),
    )
    .await;
    // The repeat sent nothing; the apply's writes are in the log of the
    // whole round, cleared before its repeat: check them on a new one.
    let mut fresh = open(4, &admin_config(&sim)).await;
    sim.clear_requests();
    fresh
        .provision(&Action::Grant(change(&holder, confluence())), false)
        .await
        .expect("grant back");
    fresh
        .provision(&Action::Revoke(change(&holder, confluence())), false)
        .await
        .expect("revoke again");
    let log = sim.requests();
    let sent = writes(&log);
    assert_eq!(sent.len(), 2, "{sent:?}");
    for write in &sent {
        assert_eq!(
            write.header("x-atlassian-token"),
            Some("no-check"),
            "{write:?}"
        );
        assert!(matches!(write.status, 201 | 204), "{write:?}");
    }
    assert!(
        sent[0]
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );

    // Grant a group by id, revoke it by name.
    harness::group_by_id_then_by_name(&sim, &mut session, &outsider, &department).await;

    // Invite a newcomer to Confluence.
    let email = format!("new.hire@{}", sim.org().domain);
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Invite(Invitation {
            email: email.clone(),
            display_name: None,
            products: vec!["confluence".into()],
        }),
        |org| {
            org.person_by_email(&email)
                .is_some_and(|p| org.access(p, CONFLUENCE).is_some())
        },
    )
    .await;

    // Deactivation belongs to the organization admin connector.
    for action in [
        Action::Suspend(holder.clone()),
        Action::Remove(holder.clone()),
    ] {
        let err = session.provision(&action, true).await.unwrap_err();
        assert!(
            matches!(&err, CallError::Connector(ConnectorError::Unsupported(m))
                if m.contains("organization admin connector")),
            "{action:?}: {err}"
        );
    }

    // A fresh sync sees every change.
    let mut fresh = open(4, &admin_config(&sim)).await;
    let accounts = harness::accounts(&mut fresh).await.expect("accounts");
    let licences = harness::licenses(&mut fresh).await.expect("licences");
    let org = sim.org();
    assert_accounts(&org, &accounts.items);
    assert_licences(&org, &licences.items);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_accounts_groups_and_products_are_not_found() {
    let sim = harness::simulator(60, 3, Behaviour::default()).await;
    let mut session = open(2, &admin_config(&sim)).await;
    let someone = {
        let org = sim.org();
        org.people[org.user].account_id.clone()
    };
    let actions = [
        Action::Grant(change(
            "5b10ac8d82e05b22cc7d0000",
            AccessTarget::Product("confluence".into()),
        )),
        Action::Grant(change(
            &someone,
            AccessTarget::Group("no-such-group".into()),
        )),
        Action::Grant(change(
            &someone,
            AccessTarget::Product("jira-software".into()),
        )),
    ];
    harness::all_not_found(&sim, &mut session, &actions).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ordinary_user_is_told_what_is_missing() {
    let sim = harness::simulator(120, 6, Behaviour::default()).await;
    let creds = sim.credentials();
    let user = config(&sim, &creds.user_email, &creds.user_api_token);
    let can_use = {
        let org = sim.org();
        let p = &org.people[org.user];
        p.is_enabled() && org.access(p, CONFLUENCE).is_some()
    };
    let mut session = open(2, &user).await;
    match session.check().await {
        Ok(report) => {
            assert!(can_use, "{report:?}");
            assert_eq!(report.capabilities.actions, Vec::<ActionKind>::new());
            assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
            assert!(report.warnings[0].contains("site administration"));
        }
        Err(err) => {
            assert!(!can_use, "{err}");
            assert!(
                matches!(&err, CallError::Connector(ConnectorError::Forbidden(m))
                    if m.contains("`Can use`")),
                "{err}"
            );
        }
    }
    let creds = sim.credentials();
    let wrong = config(&sim, &creds.admin_email, "ATATT3xFfGF0-not-the-token");
    let err = open(1, &wrong).await.check().await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Unauthorized(m)) if m.contains("API token")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn licensed_groups_are_the_operators_to_name() {
    let sim = harness::simulator(200, 8, Behaviour::default()).await;
    let runtime = harness::runtime(2);
    let connector = harness::connector(&runtime, "confluence").await;

    // A misspelt field is refused before the connector runs.
    let mut misspelt = admin_config(&sim);
    misspelt["licenced_groups"] = json!(["confluence-users"]);
    let err = runtime
        .open(&connector, &misspelt, Default::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("a misspelt field is refused"));
    assert!(
        matches!(&err, OpenError::Config(_)) && err.to_string().contains("licenced_groups"),
        "{err}"
    );

    // A group the site does not have is a config error naming the field.
    let mut unknown = admin_config(&sim);
    unknown["licensed_groups"] = json!(["confluence-user"]);
    let mut session = harness::open(&runtime, &connector, &unknown).await;
    let err = session.check().await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::InvalidConfig(m))
            if m.contains("licensed_groups") && m.contains("confluence-user")),
        "{err}"
    );

    // Only the named groups grant Confluence: the admins' own group is
    // left out.
    let mut named = admin_config(&sim);
    named["licensed_groups"] = json!(["confluence-users"]);
    let mut session = harness::open(&runtime, &connector, &named).await;
    let products = session.products().await.expect("products");
    assert_eq!(products[0].granting_groups, ["confluence-users"]);
    let licences = harness::licenses(&mut session).await.expect("licences");
    let org = sim.org();
    let users = org.product(CONFLUENCE).default_group;
    let through_users = org
        .people
        .iter()
        .filter(|p| p.account_type != AccountType::Customer && p.groups.contains(&users))
        .count();
    let via_users = licences
        .items
        .iter()
        .filter(|l| l.via_group.as_deref() == Some("confluence-users"))
        .count();
    assert_eq!(via_users, through_users, "every member of the named group");
    assert!(
        licences
            .items
            .iter()
            .all(|l| l.via_group.is_none() || l.via_group.as_deref() == Some("confluence-users"))
    );
    assert!(
        licences
            .items
            .iter()
            .all(|l| l.role.as_deref() != Some("admin"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_licence_report_with_the_admin_connector_is_the_ground_truth() {
    let sim = harness::simulator(2_000, 13, Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = StoreWorker::spawn(Box::new(
        SqliteStore::open(&dir.path().join("roster.db")).unwrap(),
    ))
    .unwrap();
    harness::sync_connectors(&sim, &worker.handle(), &["atlassian-admin", "confluence"]).await;
    let mut store = worker.finish();
    let org = sim.org();
    let today = harness::NOW.date();

    let lines = reports::licences(&mut *store, &BTreeMap::new(), today).unwrap();
    let line = lines
        .iter()
        .find(|l| l.seats.instance.product == "confluence")
        .expect("a Confluence line");
    let holders: Vec<&Person> = org.holders(CONFLUENCE).map(|(p, _)| p).collect();
    let paid: Vec<&&Person> = holders
        .iter()
        .filter(|p| org.is_billable(p, CONFLUENCE))
        .collect();
    let guests = holders.iter().filter(|p| guest(&org, p)).count();
    assert!(guests > 0, "the site has guests");
    let last_day = |p: &Person| p.last_active_in(CONFLUENCE).map(|t| t.date());
    let active_within = |days: i64| {
        paid.iter()
            .filter(|p| last_day(p).is_some_and(|d| d >= today - time::Duration::days(days)))
            .count() as u32
    };
    assert_eq!(line.seats.seats_bought, Some(org.product(CONFLUENCE).seats));
    assert_eq!(line.seats.assigned, holders.len() as u32, "guests included");
    assert_eq!(line.seats.billable, paid.len() as u32, "guests are free");
    assert_eq!(line.seats.active_30, active_within(30));
    assert_eq!(line.seats.active_90, active_within(90));
    let never = paid.iter().filter(|p| last_day(p).is_none()).count();
    assert_eq!(line.seats.never_active, never as u32);

    // The Confluence connector reports a guest's hold as a free guest's.
    let someone = holders.iter().find(|p| guest(&org, p)).expect("a guest");
    let rows = store.person(&someone.account_id).unwrap().expect("listed");
    let confluence: Vec<_> = rows
        .iter()
        .filter(|r| r.account.connector == "confluence")
        .collect();
    assert_eq!(confluence.len(), 1, "{rows:?}");
    let licence = confluence[0].licence.as_ref().expect("a licence");
    assert_eq!(licence.role.as_deref(), Some("guest"));
    assert!(!licence.billable);
}
