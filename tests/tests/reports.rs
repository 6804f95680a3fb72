//! The operator's reports against the simulator's ground truth: every
//! built-in connector synced into a store, then the licence report, the
//! reclaim candidates and one person compared with the organisation.

use atlassian_sim::{Org, Person, ProductKey};
use roster_app::reports;
use roster_app::store::sqlite::SqliteStore;
use roster_app::store::{AccountFilter, Store, StoreWorker};
use roster_tests::harness::{self, NOW};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use time::{Date, Duration};

fn today() -> Date {
    NOW.date()
}

/// The day `person` last used `product`, per the organisation.
fn last_day(p: &Person, product: ProductKey) -> Option<Date> {
    p.last_active_in(product).map(|t| t.date())
}

fn billable(org: &Org, product: ProductKey) -> impl Iterator<Item = &Person> {
    org.people
        .iter()
        .filter(move |p| org.is_billable(p, product))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_equal_the_ground_truth() {
    let sim = harness::simulator(3_000, 21, Default::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = StoreWorker::spawn(Box::new(
        SqliteStore::open(&dir.path().join("roster.db")).unwrap(),
    ))
    .unwrap();
    harness::sync_builtins(&sim, &worker.handle()).await;
    let mut store = worker.finish();
    let org = sim.org();

    // Licences per product.
    let prices = BTreeMap::from([("confluence".to_owned(), 6.40)]);
    let lines = reports::licences(&mut *store, &prices, today()).unwrap();
    let by_key: BTreeMap<&str, &reports::ProductLine> = lines
        .iter()
        .map(|l| (l.seats.instance.product.as_str(), l))
        .collect();
    for product in ProductKey::ALL {
        let line = by_key
            .get(product.key())
            .unwrap_or_else(|| panic!("no line for {}", product.key()));
        assert_eq!(line.seats.not_visible, None, "{}", product.key());
        assert!(!line.seats.holders_unknown, "{}", product.key());
        let seats = org.product(product).seats;
        let holders = org.holders(product).count() as u32;
        let paid: Vec<&Person> = billable(&org, product).collect();
        let active_within = |days: i64| {
            paid.iter()
                .filter(|p| {
                    last_day(p, product).is_some_and(|d| d >= today() - Duration::days(days))
                })
                .count() as u32
        };
        let never = paid
            .iter()
            .filter(|p| last_day(p, product).is_none())
            .count() as u32;
        assert_eq!(line.seats.seats_bought, Some(seats), "{product:?} seats");
        assert_eq!(line.seats.assigned, holders, "{product:?} assigned");
        assert_eq!(
            line.seats.billable,
            paid.len() as u32,
            "{product:?} billable"
        );
        assert_eq!(
            line.seats.active_30,
            active_within(30),
            "{product:?} active in 30 days"
        );
        assert_eq!(
            line.seats.active_90,
            active_within(90),
            "{product:?} active in 90 days"
        );
        assert_eq!(line.seats.never_active, never, "{product:?} never active");
        let expected_cost = (product == ProductKey::Confluence).then(|| 6.40 * f64::from(seats));
        assert_eq!(line.monthly_cost, expected_cost, "{product:?} cost");
    }

    // Reclaim candidates: paid seats idle for 60 days or never used.
    let mut idle = BTreeSet::new();
    reports::reclaim_candidates(&mut *store, 60, None, &prices, today(), &mut |seat| {
        assert!(
            idle.insert((seat.account_id, seat.instance.product.clone())),
            "each seat once"
        );
        ControlFlow::Continue(())
    })
    .unwrap();
    let idle: BTreeSet<(String, String)> = idle;
    let expected: BTreeSet<(String, String)> = ProductKey::ALL
        .into_iter()
        .flat_map(|product| {
            billable(&org, product)
                .filter(move |p| {
                    last_day(p, product).is_none_or(|d| d < today() - Duration::days(60))
                })
                .map(move |p| (p.account_id.clone(), product.key().to_owned()))
        })
        .collect();
    assert_eq!(idle, expected);
    assert!(!idle.is_empty(), "the organisation has idle seats to find");
    assert!(
        lines
            .iter()
            .all(|l| l.seats.active_30 > 0 && l.seats.never_active > 0),
        "every product has recent and never-active holders: {lines:?}"
    );

    // One person: every account of theirs joins into one, across connectors.
    let someone = billable(&org, ProductKey::JiraSoftware)
        .next()
        .expect("someone holds Jira Software");
    let rows = store
        .person(&someone.account_id)
        .unwrap()
        .expect("the snapshot lists them");
    let connectors: BTreeSet<&str> = rows.iter().map(|r| r.account.connector.as_str()).collect();
    // Confluence lists everyone in a group (a Jira Software seat is one);
    // Bitbucket and Trello their workspace's members.
    let mut expected = BTreeSet::from(["atlassian-admin", "confluence", "jira"]);
    if someone.is_enabled() && org.access(someone, ProductKey::Bitbucket).is_some() {
        expected.insert("bitbucket");
    }
    let index = org
        .people
        .iter()
        .position(|p| p.account_id == someone.account_id);
    let trello_member = org.access(someone, ProductKey::Trello).is_some()
        || index.is_some_and(|i| i == org.admin || org.trello.deactivated.contains(&i));
    if trello_member {
        expected.insert("trello");
    }
    assert_eq!(
        connectors, expected,
        "every account of theirs is one person"
    );
    let email = rows
        .iter()
        .find_map(|r| r.account.email.clone())
        .expect("a connector shows their email");
    assert_eq!(
        store.person(&email.to_uppercase()).unwrap().as_ref(),
        Some(&rows),
        "found by email too"
    );
    let reported: BTreeMap<&str, Option<Date>> = rows
        .iter()
        .filter_map(|r| r.licence.as_ref())
        .map(|l| (l.instance.product.as_str(), l.last_active))
        .collect();
    for product in ProductKey::ALL {
        let held_now = org.access(someone, product).is_some();
        let expected = last_day(someone, product).filter(|_| held_now);
        assert_eq!(
            reported.get(product.key()).copied().flatten(),
            expected,
            "{product:?}"
        );
        assert_eq!(
            reported.contains_key(product.key()),
            held_now,
            "{product:?} held"
        );
    }

    // Jira cannot tell a suspended account from a deactivated one; the
    // accounts report takes the organization admin connector's word.
    let statuses = |connector: &str, store: &mut dyn Store| {
        let mut rows = BTreeMap::new();
        let filter = AccountFilter {
            connector: Some(connector.to_owned()),
            ..AccountFilter::default()
        };
        store
            .each_account(&filter, &mut |a| {
                rows.insert(a.id.clone(), a);
                ControlFlow::Continue(())
            })
            .unwrap();
        rows
    };
    let admin = statuses("atlassian-admin", &mut *store);
    let jira = statuses("jira", &mut *store);
    let mut borrowed = BTreeMap::<&str, usize>::new();
    for a in jira.values() {
        match (&a.status_from, admin.get(&a.id)) {
            (Some(from), Some(known)) => {
                assert_eq!(from, "atlassian-admin");
                assert_eq!(a.status, known.status, "{}", a.id);
                *borrowed.entry(known.status.as_str()).or_default() += 1;
            }
            // Jira's own word, or nobody else's (apps and portal
            // customers are in no directory).
            (None, admin) => assert!(
                a.status == "active" || (a.status == "unknown" && admin.is_none()),
                "{}: {}",
                a.id,
                a.status
            ),
            (Some(_), None) => panic!("{}: a status from nowhere", a.id),
        }
    }
    assert!(
        borrowed.contains_key("suspended") && borrowed.contains_key("deactivated"),
        "Jira's inactive accounts are told apart: {borrowed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_granted_without_a_group_are_not_visible_to_jira_until_the_admin_connector_lists_them()
 {
    let sim = harness::simulator(400, 23, Default::default()).await;
    let jira_software = ProductKey::JiraSoftware;
    let direct: Vec<String> = {
        let org = sim.org();
        org.people
            .iter()
            .filter(|p| {
                p.is_enabled()
                    && p.account_type == atlassian_sim::AccountType::Atlassian
                    && org.access(p, jira_software).is_none()
            })
            .take(3)
            .map(|p| p.account_id.clone())
            .collect()
    };
    assert_eq!(direct.len(), 3);
    for id in &direct {
        assert!(sim.assign_directly(id, jira_software));
    }
    let billable_now = billable(&sim.org(), jira_software).count() as u32;

    let dir = tempfile::tempdir().unwrap();
    let worker = StoreWorker::spawn(Box::new(
        SqliteStore::open(&dir.path().join("roster.db")).unwrap(),
    ))
    .unwrap();
    let line = |store: &mut SqliteStore| {
        let lines = reports::licences(store, &BTreeMap::new(), today()).unwrap();
        lines
            .into_iter()
            .find(|l| l.seats.instance.product == jira_software.key())
            .expect("a Jira Software line")
    };
    harness::sync_connectors(&sim, &worker.handle(), &["jira"]).await;
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let run = store.runs().unwrap().remove(0);
    let unseen: Vec<_> = run
        .unseen
        .iter()
        .filter(|u| u.product == jira_software.key())
        .collect();
    assert_eq!(unseen.len(), 1, "{:?}", run.unseen);
    assert_eq!(unseen[0].counted, billable_now);
    assert_eq!(unseen[0].missing(), 3);
    let seen_by_jira = line(&mut store);
    assert_eq!(seen_by_jira.seats.billable, billable_now - 3);
    assert_eq!(seen_by_jira.seats.not_visible, Some(3));

    // The organization admin connector lists every holder, however held.
    harness::sync_connectors(&sim, &worker.handle(), &["atlassian-admin"]).await;
    let seen_by_both = line(&mut store);
    assert_eq!(seen_by_both.seats.billable, billable_now);
    assert_eq!(seen_by_both.seats.not_visible, None);
}
