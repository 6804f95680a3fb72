//! The Jira connector end to end: the host runs the built-in component
//! against the simulated site over loopback, and what it reports is
//! compared with the simulator's organisation.

use atlassian_sim::{AccountType, Behaviour, Org, Person, ProductKey, RateLimit, Simulator};
use roster_sandbox::contract::{
    AccessTarget, Account, AccountKind, AccountStatus, Action, ActionKind, ConnectorError,
    Invitation, License, Stream,
};
use roster_sandbox::{CallError, Limits, OpenError, Session};
use roster_tests::harness::{self, Drained, change, plan_apply_repeat};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// The Jira products (application roles) of the simulated site.
const JIRA: [ProductKey; 2] = [ProductKey::JiraSoftware, ProductKey::JiraServiceManagement];

/// Users the connector asks for per `users/search` page.
const PAGE_SIZE: usize = 100;

/// The config for the simulated site with these credentials.
fn config(sim: &Simulator, email: &str, token: &str) -> Value {
    let mut config = sim
        .connector_config("jira")
        .expect("the simulator configures the Jira connector");
    config["email"] = json!(email);
    config["api_token"] = json!(token);
    config
}

/// A session as the site admin.
async fn admin_session(sim: &Simulator, concurrency: usize) -> Session {
    let creds = sim.credentials();
    session(
        concurrency,
        config(sim, &creds.admin_email, &creds.admin_api_token),
    )
    .await
}

async fn session(concurrency: usize, config: Value) -> Session {
    let runtime = harness::runtime(concurrency);
    let connector = harness::connector(&runtime, "jira").await;
    harness::open(&runtime, &connector, &config).await
}

/// Whether Jira shows the person as active.
fn active_in_jira(p: &Person) -> bool {
    p.is_enabled() && !p.removed_from_jira
}

/// One account as the connector should report it: kind, status, email,
/// groups.
type ExpectedAccount = (AccountKind, AccountStatus, Option<String>, BTreeSet<String>);

fn expected_accounts(org: &Org) -> BTreeMap<String, ExpectedAccount> {
    org.people
        .iter()
        .map(|p| {
            let kind = match p.account_type {
                AccountType::Atlassian => AccountKind::Human,
                AccountType::App => AccountKind::App,
                AccountType::Customer => AccountKind::Customer,
            };
            // Jira's `active: false` does not say suspended or
            // deactivated.
            let status = if active_in_jira(p) {
                AccountStatus::Active
            } else {
                AccountStatus::Unknown
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

fn expected_licences(org: &Org) -> BTreeMap<(String, String), ExpectedLicence> {
    let mut licences = BTreeMap::new();
    for key in JIRA {
        for (p, access) in org.holders(key) {
            let Some(g) = access.via_group else { continue };
            licences.insert(
                (p.account_id.clone(), key.key().to_owned()),
                (
                    org.is_billable(p, key),
                    Some(org.groups[g].name.clone()),
                    Some(access.role.as_str().to_owned()),
                ),
            );
        }
    }
    licences
}

fn count_by<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> BTreeMap<K, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(key(item)).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_site_syncs_to_the_ground_truth_through_rate_limits() {
    let behaviour = Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 97,
            wait: Duration::from_secs(1),
        }),
        ..Behaviour::default()
    };
    let sim = harness::simulator(10_000, 21, behaviour).await;
    let mut session = admin_session(&sim, 8).await;

    let report = session.check().await.expect("check");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(
        report.capabilities.streams,
        [Stream::Accounts, Stream::Products, Stream::Licenses]
    );
    assert_eq!(report.capabilities.actions.len(), 4);
    sim.clear_requests();

    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let products = session.products().await.expect("products");
    let licences = harness::licenses(&mut session).await.expect("licences");
    let log = sim.requests();
    assert!(
        log.iter().any(|r| r.status == 429),
        "the simulator rate-limited"
    );
    assert!(log.iter().all(|r| !r.is_write()));
    let answered = log.iter().filter(|r| r.status != 429).count();
    assert!(
        answered < 1_000,
        "{answered} requests: memberships are read group by group, not user by user"
    );

    let org = sim.org();
    // Products: seats, plan and granting groups per application role.
    assert_eq!(products.len(), JIRA.len());
    for key in JIRA {
        let p = products
            .iter()
            .find(|p| p.key == key.key())
            .unwrap_or_else(|| panic!("{key:?} is listed"));
        assert_eq!(p.name, key.name());
        assert_eq!(p.seats_total, Some(org.product(key).seats), "{key:?} seats");
        assert_eq!(p.seats_used, Some(org.seats_used(key)), "{key:?} used");
        assert_eq!(p.plan.as_deref(), Some("PAID"));
        let granting: Vec<String> = org
            .granting_groups(key)
            .into_iter()
            .map(|g| org.groups[g].name.clone())
            .collect();
        assert_eq!(p.granting_groups, granting, "{key:?} default group first");
    }

    assert_accounts(&org, &accounts.items);
    assert_licences(&org, &licences.items);
}

/// Every account exactly once, each as Jira shows it.
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
    assert_eq!(got.len(), org.people.len());
    assert_eq!(
        count_by(accounts, |a| format!("{:?}", a.kind)),
        count_by(&want.values().collect::<Vec<_>>(), |a| format!("{:?}", a.0)),
        "accounts by kind"
    );
    assert_eq!(
        count_by(accounts, |a| format!("{:?}", a.status)),
        count_by(&want.values().collect::<Vec<_>>(), |a| format!("{:?}", a.1)),
        "accounts by status"
    );
    for (id, expected) in &want {
        assert_eq!(got.get(id), Some(expected), "account {id}");
    }
}

/// Who holds which role, via which group, billable or not.
fn assert_licences(org: &Org, licences: &[License]) {
    let want = expected_licences(org);
    let got: BTreeMap<(String, String), ExpectedLicence> = licences
        .iter()
        .map(|l| {
            (
                (l.account_id.clone(), l.product.key.clone()),
                (l.billable, l.via_group.clone(), l.role.clone()),
            )
        })
        .collect();
    assert_eq!(got.len(), licences.len(), "no licence twice");
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    for key in JIRA {
        let billable = licences
            .iter()
            .filter(|l| l.product.key == key.key() && l.billable)
            .count();
        assert_eq!(billable as u32, org.seats_used(key), "{key:?} billable");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_too_large_for_one_call_is_read_across_calls() {
    // Some 1 800 member pages, where a call may send 1 200 requests.
    let sim = harness::simulator(30_000, 21, Behaviour::default()).await;
    let runtime = harness::runtime_with(
        8,
        Limits {
            requests_per_call: 1_200,
            ..Limits::default()
        },
    );
    let connector = harness::connector(&runtime, "jira").await;
    let creds = sim.credentials();
    let config = config(&sim, &creds.admin_email, &creds.admin_api_token);
    let mut session = harness::open(&runtime, &connector, &config).await;
    sim.clear_requests();
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let member_pages = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/group/member"))
        .count();
    assert!(
        member_pages > 1_200,
        "{member_pages} member pages: too few to prove it"
    );
    let mut fresh = harness::open(&runtime, &connector, &config).await;
    let licences = harness::licenses(&mut fresh).await.expect("licences");
    let org = sim.org();
    assert_accounts(&org, &accounts.items);
    assert_licences(&org, &licences.items);
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_ends_exactly_at_a_full_last_page() {
    let sim = harness::simulator(1_200, 4, Behaviour::default()).await;
    let people = sim.org().people.len();
    assert_eq!(people % PAGE_SIZE, 0, "every page is full");
    let mut session = admin_session(&sim, 4).await;
    let Drained { items, pages } = harness::accounts(&mut session).await.expect("accounts");
    assert_eq!(items.len(), people);
    let ids: BTreeSet<&str> = items.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), people, "no account twice");
    // Full pages, then the empty page that says the listing ended.
    assert_eq!(pages, people / PAGE_SIZE + 1);
    let starts: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/rest/api/3/users/search")
        .map(|r| {
            let query = r.query.clone().unwrap_or_default();
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "startAt")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect();
    let want: Vec<String> = (0..=people / PAGE_SIZE)
        .map(|i| (i * PAGE_SIZE).to_string())
        .collect();
    assert_eq!(starts, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provisioning_action_plans_applies_and_is_idempotent() {
    let sim = harness::simulator(400, 9, Behaviour::default()).await;
    let software = ProductKey::JiraSoftware;
    let (outsider, holder, leaver, department) = {
        let org = sim.org();
        let default = org.product(software).default_group;
        let granting = org.granting_groups(software);
        let candidates: Vec<&Person> = org
            .people
            .iter()
            .enumerate()
            .filter(|&(i, p)| {
                i != org.admin
                    && i != org.user
                    && p.account_type == AccountType::Atlassian
                    && active_in_jira(p)
            })
            .map(|(_, p)| p)
            .collect();
        let outsider = candidates
            .iter()
            .find(|p| org.access(p, software).is_none())
            .expect("someone without Jira Software");
        // Holds Jira Software through its default group alone.
        let only_default = |p: &Person| {
            p.groups.contains(&default)
                && p.groups.iter().filter(|g| granting.contains(g)).count() == 1
        };
        let mut holders = candidates.iter().filter(|p| only_default(p));
        let holder = holders.next().expect("a holder");
        let leaver = holders.next().expect("another holder");
        let department = org.group_by_name("design").expect("a department group");
        assert!(!outsider.groups.contains(&department));
        (
            outsider.account_id.clone(),
            holder.account_id.clone(),
            leaver.account_id.clone(),
            org.groups[department].clone(),
        )
    };
    let holds = |org: &Org, id: &str| {
        org.person(id)
            .is_some_and(|p| org.access(p, software).is_some())
    };
    let mut session = admin_session(&sim, 4).await;

    // Grant and revoke a product (through its default group, by id).
    let granted = plan_apply_repeat(
        &sim,
        &mut session,
        Action::Grant(change(
            &outsider,
            AccessTarget::Product(software.key().into()),
        )),
        |org| holds(org, &outsider),
    )
    .await;
    let default_id = {
        let org = sim.org();
        org.groups[org.product(software).default_group].id.clone()
    };
    assert!(granted.requests[0].url.contains(&default_id));
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Revoke(change(
            &holder,
            AccessTarget::Product(software.key().into()),
        )),
        |org| !holds(org, &holder),
    )
    .await;

    // Grant a group by id, revoke it by name.
    harness::group_by_id_then_by_name(&sim, &mut session, &outsider, &department).await;

    // Invite a newcomer with Jira Software.
    let email = format!("new.hire@{}", sim.org().domain);
    let invited = plan_apply_repeat(
        &sim,
        &mut session,
        Action::Invite(Invitation {
            email: email.clone(),
            display_name: None,
            products: vec![software.key().into()],
        }),
        |org| {
            org.person_by_email(&email)
                .is_some_and(|p| org.access(p, software).is_some())
        },
    )
    .await;
    let newcomer = sim
        .org()
        .person_by_email(&email)
        .map(|p| p.account_id.clone());
    assert_eq!(invited.account_id, newcomer);

    // Remove from Jira: inactive, no Jira groups; removing again changes
    // nothing.
    plan_apply_repeat(&sim, &mut session, Action::Remove(leaver.clone()), |org| {
        org.person(&leaver)
            .is_some_and(|p| p.removed_from_jira && org.access(p, software).is_none())
    })
    .await;

    // A fresh sync sees every change.
    let mut fresh = admin_session(&sim, 4).await;
    let accounts = harness::accounts(&mut fresh).await.expect("accounts");
    let licences = harness::licenses(&mut fresh).await.expect("licences");
    let org = sim.org();
    let want = expected_accounts(&org);
    for a in &accounts.items {
        let groups = a.groups.iter().cloned().collect();
        assert_eq!(
            Some(&(a.kind, a.status, a.email.clone(), groups)),
            want.get(&a.id),
            "{}",
            a.id
        );
    }
    let left = accounts
        .items
        .iter()
        .find(|a| a.id == leaver)
        .expect("listed");
    assert_eq!(left.status, AccountStatus::Unknown);
    assert!(left.attributes.contains(&("active".into(), "false".into())));
    let held: BTreeSet<(&str, &str)> = licences
        .items
        .iter()
        .map(|l| (l.account_id.as_str(), l.product.key.as_str()))
        .collect();
    assert!(held.contains(&(outsider.as_str(), software.key())));
    assert!(!held.contains(&(holder.as_str(), software.key())));
    assert!(!held.contains(&(leaver.as_str(), software.key())));
    assert_eq!(held.len(), expected_licences(&org).len());
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_accounts_groups_and_products_are_not_found() {
    let sim = harness::simulator(50, 3, Behaviour::default()).await;
    let mut session = admin_session(&sim, 2).await;
    let someone = {
        let org = sim.org();
        org.people[org.user].account_id.clone()
    };
    let actions = [
        Action::Remove("5b10ac8d82e05b22cc7d0000".into()),
        Action::Grant(change(
            &someone,
            AccessTarget::Group("no-such-group".into()),
        )),
        Action::Grant(change(
            &someone,
            AccessTarget::Product("jira-nothing".into()),
        )),
    ];
    harness::all_not_found(&sim, &mut session, &actions).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_unauthorized() {
    let sim = harness::simulator(50, 5, Behaviour::default()).await;
    let creds = sim.credentials();
    let mut session = session(
        2,
        config(&sim, &creds.admin_email, "ATATT3xFfGF0-not-the-token"),
    )
    .await;
    let err = session.check().await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Unauthorized(m)) if m.contains("API token")),
        "{err}"
    );
    let err = session.accounts(None).await.unwrap_err();
    assert!(
        matches!(err, CallError::Connector(ConnectorError::Unauthorized(_))),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ordinary_user_is_told_which_permissions_are_missing() {
    let sim = harness::simulator(120, 6, Behaviour::default()).await;
    let creds = sim.credentials();
    let mut session = session(4, config(&sim, &creds.user_email, &creds.user_api_token)).await;
    let report = session.check().await.expect("check");
    assert_eq!(report.capabilities.streams, [Stream::Accounts]);
    assert_eq!(report.capabilities.actions, Vec::<ActionKind>::new());
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("`Administer Jira`"));
    assert!(report.warnings[1].contains("`site-admins`"));

    let forbidden = |err: CallError, naming: &str| match err {
        CallError::Connector(ConnectorError::Forbidden(m)) => {
            assert!(m.contains(naming), "{m}")
        }
        other => panic!("expected forbidden naming {naming}: {other}"),
    };
    forbidden(session.products().await.unwrap_err(), "`Administer Jira`");
    forbidden(
        session.licenses(None).await.unwrap_err(),
        "`Administer Jira`",
    );
    let (someone, group) = {
        let org = sim.org();
        let g = org.group_by_name("design").expect("group");
        let p = org
            .people
            .iter()
            .find(|p| p.account_type == AccountType::Atlassian && !p.groups.contains(&g))
            .expect("someone");
        (p.account_id.clone(), org.groups[g].id.clone())
    };
    forbidden(
        session
            .provision(
                &Action::Grant(change(&someone, AccessTarget::Group(group))),
                false,
            )
            .await
            .unwrap_err(),
        "`site-admins`",
    );

    // Accounts still sync, reading each user's groups.
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let want = expected_accounts(&sim.org());
    let got: HashMap<&str, ExpectedAccount> = accounts
        .items
        .iter()
        .map(|a| {
            let groups = a.groups.iter().cloned().collect();
            (a.id.as_str(), (a.kind, a.status, a.email.clone(), groups))
        })
        .collect();
    assert_eq!(got.len(), want.len());
    for (id, expected) in &want {
        assert_eq!(got.get(id.as_str()), Some(expected), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_that_is_not_a_plain_subdomain_is_invalid_config() {
    let sim = harness::simulator(20, 7, Behaviour::default()).await;
    let creds = sim.credentials();
    let runtime = harness::runtime(1);
    let connector = harness::connector(&runtime, "jira").await;
    for site in ["acme.atlassian.net", "acme/evil", "evil.example#"] {
        let mut config = config(&sim, &creds.admin_email, &creds.admin_api_token);
        config["site"] = json!(site);
        let err = runtime
            .open(&connector, &config, Default::default())
            .await
            .err()
            .unwrap_or_else(|| panic!("`{site}` is refused"));
        let invalid_config = matches!(
            &err,
            OpenError::Config(_)
                | OpenError::Call(CallError::Connector(ConnectorError::InvalidConfig(_)))
        );
        assert!(
            invalid_config && err.to_string().contains("site"),
            "{site}: {err}"
        );
    }
}
