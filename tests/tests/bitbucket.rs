//! The Bitbucket connector end to end: the host runs the built-in
//! component against the simulated workspace over loopback, and what it
//! reports is compared with the simulator's organisation.

use atlassian_sim::{
    AccountType, Behaviour, InstanceId, Org, Person, ProductKey, RateLimit, Role, SimOptions,
    Simulator,
};
use roster_sandbox::contract::{
    AccessTarget, Account, AccountKind, AccountStatus, Action, ActionKind, ConnectorError, Instant,
    Stream,
};
use roster_sandbox::{
    BudgetLimits, CallError, NetworkPolicy, OpenError, Quota, Runtime, RuntimeOptions, Session,
};
use roster_tests::harness::{self, NOW, change, plan_apply_repeat};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

const BITBUCKET: ProductKey = ProductKey::Bitbucket;

/// Memberships per page the connector asks for.
const PAGELEN: usize = 100;

/// Whether the workspace lists the person: a person's account that can
/// sign in and holds Bitbucket.
fn member(org: &Org, p: &Person) -> bool {
    p.account_type == AccountType::Atlassian && p.is_enabled() && org.access(p, BITBUCKET).is_some()
}

/// Bitbucket's permission of a member.
fn permission(org: &Org, p: &Person) -> &'static str {
    let site_admins = org.group_by_name("site-admins");
    match org.access(p, BITBUCKET).map(|a| a.role) {
        Some(Role::Admin) => "owner",
        _ if site_admins.is_some_and(|g| p.groups.contains(&g)) => "owner",
        Some(Role::Guest) => "collaborator",
        _ => "member",
    }
}

/// A head count whose workspace holds a whole number of pages, so that the
/// last page is full.
fn exact_pages_people() -> usize {
    (1_900..2_300)
        .find(|&people| {
            let org = atlassian_sim::generate::organisation(1, people, NOW);
            let members = org.people.iter().filter(|p| member(&org, p)).count();
            members % PAGELEN == 0
        })
        .expect("a head count with full pages")
}

async fn simulator(people: usize, behaviour: Behaviour, centralised: bool) -> Simulator {
    Simulator::start(SimOptions {
        seed: 1,
        people,
        behaviour,
        now: Some(NOW),
        bitbucket_centralised: centralised,
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts")
}

/// The config with the API token, or with the access token instead.
fn config(sim: &Simulator, access_token: bool) -> Value {
    let mut config = harness::builtin_config("bitbucket", sim);
    if access_token {
        let object = config.as_object_mut().expect("an object");
        object.remove("email");
        object.remove("api_token");
        config["access_token"] = json!(sim.credentials().bitbucket_access_token);
    }
    config
}

async fn open(sim: &Simulator, access_token: bool) -> Session {
    let runtime = harness::runtime(4);
    let connector = harness::connector(&runtime, "bitbucket").await;
    harness::open(&runtime, &connector, &config(sim, access_token)).await
}

/// One account as the connector should report it.
type ExpectedAccount = (AccountKind, AccountStatus, BTreeSet<String>, String);

fn expected_accounts(org: &Org) -> BTreeMap<String, ExpectedAccount> {
    org.people
        .iter()
        .filter(|p| member(org, p))
        .map(|p| {
            let groups = p
                .groups
                .iter()
                .map(|&g| org.groups[g].name.clone())
                .collect();
            let status = AccountStatus::Unknown;
            let value = (
                AccountKind::Human,
                status,
                groups,
                permission(org, p).to_owned(),
            );
            (p.account_id.clone(), value)
        })
        .collect()
}

fn got_accounts(accounts: &[Account]) -> BTreeMap<String, ExpectedAccount> {
    let got: BTreeMap<String, ExpectedAccount> = accounts
        .iter()
        .map(|a| {
            let attribute = |name: &str| {
                a.attributes
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let groups = a.groups.iter().cloned().collect();
            (
                a.id.clone(),
                (a.kind, a.status, groups, attribute("permission")),
            )
        })
        .collect();
    assert_eq!(got.len(), accounts.len(), "no account twice");
    got
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_of_whole_pages_syncs_to_the_ground_truth() {
    let people = exact_pages_people();
    let sim = simulator(people, Behaviour::default(), false).await;
    let mut session = open(&sim, false).await;
    let report = session.check().await.expect("check");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(
        report.capabilities.actions,
        [ActionKind::Grant, ActionKind::Revoke]
    );
    sim.clear_requests();

    let started = std::time::Instant::now();
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    let products = session.products().await.expect("products");
    let licences = harness::licenses(&mut session).await.expect("licences");
    let usage = harness::usage(&mut session).await.expect("usage");
    let took = started.elapsed();
    let log = sim.requests();
    let org = sim.org();
    let members = org.people.iter().filter(|p| member(&org, p)).count();
    assert_eq!(members % PAGELEN, 0, "the last page is full");
    eprintln!(
        "{members} members: {} requests in {took:.1?}, {:.1} per 1000 members",
        log.len(),
        log.len() as f64 * 1000.0 / members as f64
    );
    // A page per 100 members per stream, no extra empty page after the
    // full last one, and the workspace for products (the check read the
    // groups already).
    let pages = members / PAGELEN;
    assert_eq!(accounts.pages, pages);
    assert_eq!(log.len(), 3 * pages + 1);
    assert!(log.iter().all(|r| !r.is_write()));

    assert_eq!(got_accounts(&accounts.items), expected_accounts(&org));
    assert_eq!(products.len(), 1);
    assert_eq!(products[0].key, "bitbucket");
    assert_eq!(
        products[0].granting_groups,
        ["bitbucket-users", "developers"]
    );
    let billable: BTreeMap<&str, bool> = licences
        .items
        .iter()
        .map(|l| (l.account_id.as_str(), l.billable))
        .collect();
    let want: BTreeMap<&str, bool> = org
        .people
        .iter()
        .filter(|p| member(&org, p))
        .map(|p| (p.account_id.as_str(), org.is_billable(p, BITBUCKET)))
        .collect();
    assert_eq!(billable, want);
    let last: BTreeMap<&str, String> = usage
        .items
        .iter()
        .map(|u| {
            (
                u.account_id.as_str(),
                match &u.last_active {
                    Instant::Timestamp(t) => t[..19].to_owned(),
                    Instant::Date(d) => panic!("Bitbucket gives times, not a date: {d}"),
                },
            )
        })
        .collect();
    let want: BTreeMap<&str, String> = org
        .people
        .iter()
        .filter(|p| member(&org, p))
        .filter_map(|p| {
            let at = p.last_active_on(InstanceId::main(BITBUCKET))?;
            let at = at.to_offset(time::UtcOffset::UTC);
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            );
            Some((p.account_id.as_str(), text))
        })
        .collect();
    assert_eq!(last, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_access_token_syncs_what_an_api_token_does() {
    let sim = simulator(600, Behaviour::default(), false).await;
    let mut by_token = open(&sim, false).await;
    let mut by_access = open(&sim, true).await;
    let a = harness::accounts(&mut by_token).await.expect("accounts");
    let b = harness::accounts(&mut by_access).await.expect("accounts");
    assert_eq!(got_accounts(&a.items), got_accounts(&b.items));
    assert_eq!(got_accounts(&b.items), expected_accounts(&sim.org()));
    let report = by_access.check().await.expect("check");
    assert!(
        report
            .principal
            .as_deref()
            .is_some_and(|p| p.contains("access token")),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_link_to_another_host_stops_the_stream() {
    let behaviour = Behaviour {
        foreign_next: true,
        ..Behaviour::default()
    };
    let sim = simulator(600, behaviour, false).await;
    let mut session = open(&sim, false).await;
    let err = harness::accounts(&mut session)
        .await
        .err()
        .unwrap_or_else(|| panic!("the foreign link is refused"));
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::InvalidResponse(m))
            if m.contains("bitbucket.attacker.example") && m.contains("refused")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_of_both_kinds_or_neither_are_config_errors() {
    let sim = simulator(20, Behaviour::default(), false).await;
    let runtime = harness::runtime(1);
    let connector = harness::connector(&runtime, "bitbucket").await;
    let both = {
        let mut c = config(&sim, false);
        c["access_token"] = json!(sim.credentials().bitbucket_access_token);
        c
    };
    let neither = {
        let mut c = config(&sim, true);
        c.as_object_mut().expect("an object").remove("access_token");
        c
    };
    let email_only = {
        let mut c = config(&sim, false);
        c.as_object_mut().expect("an object").remove("api_token");
        c
    };
    for (config, field) in [
        (both, "access_token"),
        (neither, "api_token"),
        (email_only, "api_token"),
    ] {
        let err = runtime
            .open(&connector, &config, Default::default())
            .await
            .err()
            .unwrap_or_else(|| panic!("refused: {config}"));
        let invalid = matches!(
            &err,
            OpenError::Call(CallError::Connector(ConnectorError::InvalidConfig(_)))
        );
        assert!(invalid && err.to_string().contains(field), "{err}");
    }
    let mut elsewhere = config(&sim, false);
    elsewhere["workspace"] = json!("elsewhere");
    let mut session = harness::open(&runtime, &connector, &elsewhere).await;
    let err = session.check().await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::InvalidConfig(m)) if m.contains("workspace")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn group_membership_plans_applies_and_is_idempotent() {
    let sim = simulator(300, Behaviour::default(), false).await;
    let (outsider, holder, design) = {
        let org = sim.org();
        let users = org
            .group_by_name("bitbucket-users")
            .expect("the default group");
        let design = org.group_by_name("design").expect("a department");
        let candidates = || {
            org.people.iter().enumerate().filter(|&(i, p)| {
                i != org.admin && p.account_type == AccountType::Atlassian && p.is_enabled()
            })
        };
        // Someone without Bitbucket, and outside `design`.
        let outsider = candidates()
            .find(|(_, p)| org.access(p, BITBUCKET).is_none() && !p.groups.contains(&design))
            .map(|(_, p)| p.account_id.clone())
            .expect("someone without Bitbucket");
        let holder = candidates()
            .find(|(_, p)| {
                p.groups.contains(&users)
                    && !p.guest_of.contains(&InstanceId::main(BITBUCKET))
                    && p.groups
                        .iter()
                        .filter(|&&g| {
                            org.groups[g]
                                .grants
                                .iter()
                                .any(|(i, _)| i.product() == BITBUCKET)
                        })
                        .count()
                        >= 2
            })
            .map(|(_, p)| p.account_id.clone())
            .expect("a member through bitbucket-users and another group");
        (outsider, holder, design)
    };
    let in_group =
        |org: &Org, id: &str, g: usize| org.person(id).is_some_and(|p| p.groups.contains(&g));
    let users = sim.org().group_by_name("bitbucket-users").expect("group");
    let mut session = open(&sim, false).await;

    // A group by slug, then by name.
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Grant(change(&outsider, AccessTarget::Group("design".into()))),
        |org| in_group(org, &outsider, design),
    )
    .await;
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Revoke(change(&outsider, AccessTarget::Group("design".into()))),
        |org| !in_group(org, &outsider, design),
    )
    .await;
    // The product: revoked from every group that grants it (which frees
    // a seat), granted through the default group.
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Revoke(change(&holder, AccessTarget::Product("bitbucket".into()))),
        |org| {
            org.person(&holder)
                .is_some_and(|p| org.access(p, BITBUCKET).is_none())
        },
    )
    .await;
    plan_apply_repeat(
        &sim,
        &mut session,
        Action::Grant(change(&outsider, AccessTarget::Product("bitbucket".into()))),
        |org| in_group(org, &outsider, users),
    )
    .await;

    for action in [
        Action::Suspend(outsider.clone()),
        Action::Remove(outsider.clone()),
    ] {
        let err = session.provision(&action, true).await.unwrap_err();
        assert!(
            matches!(&err, CallError::Connector(ConnectorError::Unsupported(m))
                if m.contains("organization admin connector")),
            "{action:?}: {err}"
        );
    }
    let err = session
        .provision(
            &Action::Grant(change(
                "557058:00000000-0000-0000-0000-000000000000",
                AccessTarget::Group("design".into()),
            )),
            true,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::NotFound(_))),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn centralised_administration_leaves_usage_and_provisioning_to_the_admin_connector() {
    let sim = simulator(300, Behaviour::default(), true).await;
    let mut session = open(&sim, false).await;
    let report = session.check().await.expect("check");
    assert!(!report.capabilities.streams.contains(&Stream::Usage));
    assert!(report.capabilities.actions.is_empty());
    assert!(
        report.warnings.iter().any(
            |w| w.contains("admin.atlassian.com") && w.contains("organization admin connector")
        ),
        "{:?}",
        report.warnings
    );
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    assert_eq!(got_accounts(&accounts.items), expected_accounts(&sim.org()));
    assert!(
        harness::usage(&mut session)
            .await
            .expect("usage")
            .items
            .is_empty()
    );
    let someone = accounts.items[0].id.clone();
    let err = session
        .provision(
            &Action::Grant(change(&someone, AccessTarget::Group("design".into()))),
            true,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Unsupported(m))
            if m.contains("admin.atlassian.com")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_beyond_the_hourly_quota_waits_instead_of_failing() {
    // The workspace allows 4 requests per 2 s (Bitbucket's 1 000 an hour,
    // scaled down); the host holds the upstream to 4 per 2.5 s, a margin
    // for the time requests take to arrive.
    let quota = Quota {
        requests: 4,
        window: Duration::from_millis(2_500),
    };
    let behaviour = Behaviour {
        rate_limit: Some(RateLimit::Window {
            requests: quota.requests,
            window: Duration::from_secs(2),
        }),
        ..Behaviour::default()
    };
    let sim = simulator(2_000, behaviour, false).await;
    let host = sim
        .urls()
        .bitbucket
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let runtime = Runtime::new(RuntimeOptions {
        network: NetworkPolicy {
            allow_private: true,
        },
        budget_overrides: HashMap::from([(
            host,
            BudgetLimits {
                quota: Some(quota),
                ..BudgetLimits::default()
            },
        )]),
        ..RuntimeOptions::default()
    })
    .expect("the runtime starts");
    let connector = harness::connector(&runtime, "bitbucket").await;
    let mut session = harness::open(&runtime, &connector, &config(&sim, false)).await;
    sim.clear_requests();
    let accounts = harness::accounts(&mut session).await.expect("accounts");
    assert_eq!(got_accounts(&accounts.items), expected_accounts(&sim.org()));
    let log = sim.requests();
    assert!(log.len() > quota.requests as usize, "more than one window");
    assert!(
        log.iter().all(|r| r.status != 429),
        "the host waited for the window instead"
    );
}
