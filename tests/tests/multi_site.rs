//! A multi-site organisation (a second Jira Software site and a sandbox)
//! end to end: every built-in connector syncs it, the licence report shows
//! each instance apart with totals equal to the simulator's ground truth
//! per instance, and revoking a product on one site leaves the others.

use atlassian_sim::{InstanceId, Org, ProductKey, SimOptions, Simulator};
use roster_app::reports::{self, Prices};
use roster_app::store::StoreWorker;
use roster_app::store::sqlite::SqliteStore;
use roster_sandbox::contract::{AccessTarget, Action, ProductRef};
use roster_tests::harness::{self, NOW, change, plan_apply_repeat};
use std::collections::BTreeMap;
use time::Duration;

async fn multi_site(people: usize) -> Simulator {
    Simulator::start(SimOptions {
        seed: 11,
        people,
        multi_site: true,
        now: Some(NOW),
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts")
}

/// Seats bought, assigned, billable, active in 30 and 90 days, never
/// active: a line of the licence report.
type Counts = (Option<u32>, u32, u32, u32, u32, u32);

/// What the licence report should say of `instance`, from the ground truth.
fn truth(org: &Org, instance: InstanceId) -> Counts {
    let today = NOW.date();
    let paid: Vec<_> = org
        .people
        .iter()
        .filter(|p| org.is_billable_on(p, instance))
        .collect();
    let within = |days: i64| {
        paid.iter()
            .filter(|p| {
                p.last_active_on(instance)
                    .is_some_and(|t| t.date() >= today - Duration::days(days))
            })
            .count() as u32
    };
    (
        Some(org.instance(instance).seats),
        org.holders_on(instance).count() as u32,
        paid.len() as u32,
        within(30),
        within(90),
        paid.iter()
            .filter(|p| p.last_active_on(instance).is_none())
            .count() as u32,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_site_and_the_sandbox_are_reported_apart_and_add_up() {
    let sim = multi_site(2_000).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = StoreWorker::spawn(Box::new(
        SqliteStore::open(&dir.path().join("roster.db")).unwrap(),
    ))
    .unwrap();
    harness::sync_builtins(&sim, &worker.handle()).await;
    let mut store = worker.finish();
    let prices = Prices::from([("jira-software".to_owned(), 8.0)]);
    let lines = reports::licences(&mut *store, &prices, NOW.date()).unwrap();
    let org = sim.org();
    let by_instance: BTreeMap<(&str, Option<&str>), &reports::ProductLine> = lines
        .iter()
        .filter(|l| !l.is_total)
        .map(|l| {
            let i = &l.seats.instance;
            ((i.product.as_str(), i.instance.as_deref()), l)
        })
        .collect();
    for instance in org.instances() {
        let p = org.instance(instance);
        let line = by_instance
            .get(&(p.key.key(), Some(p.ari.as_str())))
            .unwrap_or_else(|| panic!("no line for {}", p.ari));
        let s = &line.seats;
        assert_eq!(
            (
                s.seats_bought,
                s.assigned,
                s.billable,
                s.active_30,
                s.active_90,
                s.never_active
            ),
            truth(&org, instance),
            "{} ({})",
            p.ari,
            p.name
        );
        assert_eq!(s.instance.sandbox, Some(p.sandbox), "{}", p.ari);
    }
    assert_eq!(
        by_instance.len(),
        org.instances().count(),
        "one line per instance"
    );

    // Jira Software: three instances, the total of the two sites after
    // them (the sandbox apart); the sandbox's seats cost nothing.
    let jira: Vec<InstanceId> = org.instances_of(ProductKey::JiraSoftware).collect();
    assert_eq!(jira.len(), 3);
    let total = lines
        .iter()
        .find(|l| l.is_total && l.seats.instance.product == "jira-software")
        .expect("a total for Jira Software");
    let sites: Vec<InstanceId> = jira
        .iter()
        .copied()
        .filter(|&i| !org.instance(i).sandbox)
        .collect();
    assert_eq!(sites.len(), 2);
    let sum = |f: fn(&Counts) -> u32| sites.iter().map(|&i| f(&truth(&org, i))).sum::<u32>();
    assert_eq!(total.seats.assigned, sum(|t| t.1));
    assert_eq!(total.seats.billable, sum(|t| t.2));
    assert_eq!(total.seats.active_30, sum(|t| t.3));
    assert_eq!(total.seats.seats_bought, Some(sum(|t| t.0.unwrap_or(0))));
    let sandbox = jira
        .iter()
        .find(|&&i| org.instance(i).sandbox)
        .expect("a sandbox");
    let sandbox_line = by_instance[&("jira-software", Some(org.instance(*sandbox).ari.as_str()))];
    assert_eq!(sandbox_line.monthly_cost, Some(0.0));
    assert_eq!(sandbox_line.seats.billable, 0);
    let paid_seats: f64 = jira
        .iter()
        .filter(|&&i| !org.instance(i).sandbox)
        .map(|&i| f64::from(org.instance(i).seats) * 8.0)
        .sum();
    assert_eq!(total.monthly_cost, Some(paid_seats));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_product_on_one_site_keeps_the_other_sites() {
    let sim = multi_site(600).await;
    let (main, eu, someone) = {
        let org = sim.org();
        let jira: Vec<InstanceId> = org.instances_of(ProductKey::JiraSoftware).collect();
        let (main, eu) = (jira[0], jira[1]);
        assert!(!org.instance(eu).sandbox && org.instance(eu).name.ends_with("-eu"));
        let default_eu = org.instance(eu).default_group;
        let someone = org
            .people
            .iter()
            .find(|p| {
                org.access_on(p, main).is_some()
                    && p.groups.contains(&default_eu)
                    && org
                        .access_on(p, eu)
                        .is_some_and(|a| a.via_group == Some(default_eu))
                    && p.groups
                        .iter()
                        .filter(|&&g| org.groups[g].grants.iter().any(|(i, _)| *i == eu))
                        .count()
                        == 1
            })
            .expect("someone on both sites through the second site's default group")
            .account_id
            .clone();
        (main, eu, someone)
    };
    let runtime = harness::runtime(4);
    let connector = harness::connector(&runtime, "atlassian-admin").await;
    let mut session = harness::open(
        &runtime,
        &connector,
        &harness::builtin_config("atlassian-admin", &sim),
    )
    .await;
    let eu_ari = sim.org().instance(eu).ari.clone();
    let revoke = Action::Revoke(change(
        &someone,
        AccessTarget::Product(ProductRef::on("jira-software", eu_ari)),
    ));
    plan_apply_repeat(&sim, &mut session, revoke, |org| {
        let p = org.person(&someone).expect("still there");
        org.access_on(p, eu).is_none()
    })
    .await;
    {
        let org = sim.org();
        let p = org.person(&someone).unwrap();
        assert!(org.access_on(p, main).is_some(), "the main site is kept");
    }

    // Naming the product alone is ambiguous in an organisation with two
    // production sites of it.
    let ambiguous = Action::Revoke(change(
        &someone,
        AccessTarget::Product("jira-software".into()),
    ));
    let err = session.provision(&ambiguous, true).await.unwrap_err();
    assert!(err.to_string().contains("name one of"), "{err}");
}
