use super::*;
use crate::reports::Prices;
use crate::store::StoreWorker;
use roster_sandbox::contract::{Account, License, Product, ProductRef, Usage};
use time::macros::date;

fn account(id: &str) -> Account {
    Account {
        id: id.into(),
        email: Some(format!("{id}@acme.example")),
        display_name: Some(format!("Person {id}")),
        status: AccountStatus::Active,
        kind: AccountKind::Human,
        created_at: Some(Instant::Date("2026-01-02".into())),
        last_active: None,
        groups: vec!["jira-software-users".into()],
        attributes: vec![],
    }
}

fn count(store: &SqliteStore, connector: &str, generation: i64) -> i64 {
    store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM accounts WHERE connector = ?1 AND generation = ?2",
            params![connector, generation],
            |r| r.get(0),
        )
        .unwrap()
}

fn current(store: &SqliteStore, connector: &str) -> Option<i64> {
    store
        .conn()
        .query_row(
            "SELECT generation FROM current WHERE connector = ?1",
            [connector],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
}

#[test]
fn a_run_becomes_current_only_when_it_completes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let first = store.begin_run("jira").unwrap();
    store
        .write_page(
            &first,
            PageRows::Accounts(&[account("a"), account("b")]),
            Some("2"),
        )
        .unwrap();
    store
        .write_page(&first, PageRows::Accounts(&[account("c")]), None)
        .unwrap();
    assert_eq!(
        current(&store, "jira"),
        None,
        "not visible before completion"
    );
    store.complete_run(&first).unwrap();
    assert_eq!(current(&store, "jira"), Some(first.generation));
    assert_eq!(count(&store, "jira", first.generation), 3);

    // A second run that fails leaves the first snapshot in place.
    let second = store.begin_run("jira").unwrap();
    assert_eq!(second.generation, first.generation + 1);
    store
        .write_page(&second, PageRows::Accounts(&[account("a")]), Some("1"))
        .unwrap();
    store.fail_run(&second, "upstream error 500").unwrap();
    assert_eq!(current(&store, "jira"), Some(first.generation));
    assert_eq!(
        store.prune("jira", 100).unwrap(),
        0,
        "the current and the resumable generations stay"
    );

    // Resuming continues the failed run from its checkpoint.
    let resumed = store.resumable_run("jira").unwrap().unwrap();
    assert_eq!(resumed.id, second.id);
    assert_eq!(resumed.status, RunStatus::Running);
    let checkpoints = store.checkpoints(resumed.id).unwrap();
    assert_eq!(
        checkpoints,
        [Checkpoint {
            stream: Stream::Accounts,
            cursor: Some("1".into()),
            items: 1,
            pages: 1,
            done: false,
            skipped: None,
        }]
    );
    store
        .write_page(&resumed, PageRows::Accounts(&[account("b")]), None)
        .unwrap();
    store.complete_run(&resumed).unwrap();
    assert_eq!(current(&store, "jira"), Some(second.generation));
    assert_eq!(count(&store, "jira", second.generation), 2);
    assert_eq!(
        count(&store, "jira", first.generation),
        3,
        "kept until pruned"
    );
    // Pruning goes a little at a time, and keeps the current generation.
    assert_eq!(store.prune("jira", 2).unwrap(), 2);
    assert_eq!(store.prune("jira", 2).unwrap(), 1);
    assert_eq!(store.prune("jira", 2).unwrap(), 0);
    assert_eq!(
        count(&store, "jira", first.generation),
        0,
        "old generation dropped"
    );
    assert_eq!(count(&store, "jira", second.generation), 2);
    assert!(store.resumable_run("jira").unwrap().is_none());

    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].counts, [(Stream::Accounts, 2)]);
    assert_eq!(runs[1].status, RunStatus::Completed);
}

#[test]
fn a_skipped_stream_drops_what_it_stored_and_says_why_in_the_current_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let run = store.begin_run("jira").unwrap();
    store
        .write_page(&run, PageRows::Accounts(&[account("a")]), None)
        .unwrap();
    let held = [licence("a", "jira-software", true)];
    store
        .write_page(&run, PageRows::Licenses(&held), Some("1"))
        .unwrap();
    let why = "reading licences needs `Administer Jira`";
    store.skip_stream(&run, Stream::Licenses, why).unwrap();
    // Before the run completes, the snapshot lacks nothing.
    assert_eq!(store.current_skips().unwrap(), []);
    store.complete_run(&run).unwrap();

    let licences: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM licenses", [], |r| r.get(0))
        .unwrap();
    assert_eq!(licences, 0, "the stream's partial rows are gone");
    let done = store.run(run.id).unwrap().unwrap();
    assert_eq!(done.counts, [(Stream::Accounts, 1)]);
    assert_eq!(done.skipped, [(Stream::Licenses, why.to_owned())]);
    assert_eq!(
        store.current_skips().unwrap(),
        [("jira".to_owned(), Stream::Licenses, why.to_owned())]
    );
    // A later run that reads the stream makes it known again.
    let next = store.begin_run("jira").unwrap();
    store
        .write_page(&next, PageRows::Licenses(&held), None)
        .unwrap();
    store.complete_run(&next).unwrap();
    assert_eq!(store.current_skips().unwrap(), []);
}

#[test]
fn a_duplicate_id_fails_the_page_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let run = store.begin_run("admin").unwrap();
    store
        .write_page(&run, PageRows::Accounts(&[account("a")]), Some("1"))
        .unwrap();
    let err = store
        .write_page(
            &run,
            PageRows::Accounts(&[account("b"), account("a")]),
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "connector `admin` reported account `a` twice in its `accounts` stream"
    );
    // The page was not half stored, and the checkpoint did not move.
    assert_eq!(count(&store, "admin", run.generation), 1);
    assert_eq!(
        store.checkpoints(run.id).unwrap()[0].cursor.as_deref(),
        Some("1")
    );
}

#[test]
fn reopening_keeps_everything_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let run = store.begin_run("jira").unwrap();
        store
            .write_page(&run, PageRows::Accounts(&[account("a")]), None)
            .unwrap();
        store.complete_run(&run).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(current(&store, "jira"), Some(1));
    store
        .conn()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
}

#[test]
fn connectors_sync_at_once_through_their_own_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    SqliteStore::open(&path).unwrap();
    let writers: Vec<_> = ["admin", "jira"]
        .into_iter()
        .map(|connector| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = SqliteStore::open(&path).unwrap();
                for round in 0..40 {
                    let run = store.begin_run(connector).unwrap();
                    let page: Vec<Account> =
                        (0..20).map(|i| account(&format!("{round}-{i}"))).collect();
                    store
                        .write_page(&run, PageRows::Accounts(&page), None)
                        .unwrap();
                    store.complete_run(&run).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("no writer was refused by the other's lock");
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(current(&store, "admin"), Some(40));
    assert_eq!(current(&store, "jira"), Some(40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_thread_runs_every_job_from_every_handle_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let worker = StoreWorker::spawn(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    let writers = ["one", "two", "three"].map(|name| {
        let store = worker.handle();
        tokio::spawn(async move {
            let run = store.call(move |s| s.begin_run(name)).await.unwrap();
            // Queued without waiting: the thread keeps the order.
            let page = account("a");
            let done = run.clone();
            let written =
                store.submit(move |s| s.write_page(&run, PageRows::Accounts(&[page]), None));
            let completed = store.submit(move |s| s.complete_run(&done));
            written.wait().await.unwrap();
            completed.wait().await.unwrap();
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }
    let store = worker.finish();
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r.status == RunStatus::Completed));
}

#[test]
fn a_resumed_run_still_refuses_an_id_stored_before_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let run = {
        let mut store = SqliteStore::open(&path).unwrap();
        let run = store.begin_run("jira").unwrap();
        store
            .write_page(&run, PageRows::Accounts(&[account("a")]), Some("2"))
            .unwrap();
        run
    };
    let mut store = SqliteStore::open(&path).unwrap();
    let err = store
        .write_page(&run, PageRows::Accounts(&[account("a")]), None)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("reported account `a` twice in its `accounts` stream"),
        "{err}"
    );
    // The refused page left nothing behind; the same id is fine in the
    // next run.
    assert_eq!(count(&store, "jira", run.generation), 1);
    store
        .write_page(&run, PageRows::Accounts(&[account("b")]), None)
        .unwrap();
    store.complete_run(&run).unwrap();
    let next = store.begin_run("jira").unwrap();
    store
        .write_page(&next, PageRows::Accounts(&[account("a")]), None)
        .unwrap();
}

#[test]
fn a_version_1_store_keeps_its_rows_through_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(schema::V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO runs VALUES (1, 'jira', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 'completed', NULL);
             INSERT INTO current VALUES ('jira', 1);
             INSERT INTO accounts VALUES ('jira', 1, 'a', 'a@acme.example', 'A', 'active', 'human', NULL, NULL, '[]', '[]');
             INSERT INTO licenses VALUES ('jira', 1, 'a', 'jira-software', 'user', 1, NULL);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let version: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(count(&store, "jira", 1), 1);
    let mut store = store;
    let seats = store.product_seats(date!(2026 - 01 - 02)).unwrap();
    assert_eq!(seats.len(), 1);
    assert_eq!((seats[0].assigned, seats[0].billable), (1, 1));
}

/// What one connector reports in a test snapshot.
#[derive(Default)]
struct Reported {
    accounts: Vec<Account>,
    products: Vec<Product>,
    licenses: Vec<License>,
    usage: Vec<Usage>,
}

/// Syncs `reported` as one completed run of `connector`.
fn sync(store: &mut SqliteStore, connector: &str, reported: &Reported) {
    let run = store.begin_run(connector).unwrap();
    let pages = [
        PageRows::Accounts(&reported.accounts),
        PageRows::Products(&reported.products),
        PageRows::Licenses(&reported.licenses),
        PageRows::Usage(&reported.usage),
    ];
    for page in pages {
        store.write_page(&run, page, None).unwrap();
    }
    store.complete_run(&run).unwrap();
}

fn with_email(id: &str, email: Option<&str>) -> Account {
    Account {
        email: email.map(Into::into),
        ..account(id)
    }
}

fn licence(id: &str, product: &str, billable: bool) -> License {
    License {
        account_id: id.into(),
        product: ProductRef::only(product),
        role: Some("user".into()),
        billable,
        via_group: None,
    }
}

fn licence_on(id: &str, product: &str, instance: &str, billable: bool) -> License {
    License {
        product: ProductRef::on(product, instance),
        ..licence(id, product, billable)
    }
}

fn used(id: &str, product: &str, day: &str) -> Usage {
    Usage {
        account_id: id.into(),
        product: Some(ProductRef::only(product)),
        last_active: Instant::Date(day.into()),
    }
}

fn used_on(id: &str, product: &str, instance: &str, day: &str) -> Usage {
    Usage {
        product: Some(ProductRef::on(product, instance)),
        ..used(id, product, day)
    }
}

fn product(key: &str, instance: Option<&str>, seats: u32) -> Product {
    Product {
        key: key.into(),
        instance: instance.map(Into::into),
        name: match instance {
            Some(i) => format!("{key} ({i})"),
            None => key.into(),
        },
        url: instance.map(|i| format!("https://{i}.atlassian.net")),
        seats_total: Some(seats),
        seats_used: None,
        plan: None,
        sandbox: instance.map(|i| i.ends_with("-sandbox")),
        granting_groups: vec![],
    }
}

/// Every idle seat, in the store's order, priced by `prices`.
fn idle(
    store: &mut SqliteStore,
    since: time::Date,
    product: Option<&str>,
    prices: &Prices,
) -> Vec<Seat> {
    let price = |i: &ProductInstance| crate::reports::seat_price(prices, i).unwrap_or(0.0);
    let mut seats = Vec::new();
    store
        .idle_seats(since, product, &price, &mut |s| {
            seats.push(s);
            ControlFlow::Continue(())
        })
        .unwrap();
    seats
}

fn people_of(store: &mut SqliteStore, who: &str) -> BTreeSet<(String, String)> {
    store
        .person(who)
        .unwrap()
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.account.connector, r.account.id))
        .collect()
}

use std::collections::BTreeSet;

#[test]
fn accounts_join_into_people_by_id_then_by_email() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let reported = |accounts| Reported {
        accounts,
        ..Reported::default()
    };
    sync(
        &mut store,
        "admin",
        &reported(vec![with_email("a1", Some("Ana@Acme.example"))]),
    );
    sync(
        &mut store,
        "jira",
        &reported(vec![
            with_email("a1", None),
            with_email("b2", Some("bo@acme.example")),
        ]),
    );
    sync(
        &mut store,
        "trello",
        &reported(vec![with_email("t9", Some("ana@acme.example"))]),
    );
    let ana: BTreeSet<(String, String)> = [("admin", "a1"), ("jira", "a1"), ("trello", "t9")]
        .map(|(c, id)| (c.to_owned(), id.to_owned()))
        .into();
    assert_eq!(people_of(&mut store, "a1"), ana);
    assert_eq!(people_of(&mut store, "t9"), ana);
    assert_eq!(people_of(&mut store, "ANA@acme.EXAMPLE"), ana);
    assert_eq!(
        people_of(&mut store, "bo@acme.example"),
        BTreeSet::from([("jira".to_owned(), "b2".to_owned())])
    );
    assert!(store.person("nobody@acme.example").unwrap().is_none());

    // A new snapshot without the shared email splits the person again.
    sync(
        &mut store,
        "trello",
        &reported(vec![with_email("t9", Some("t9@elsewhere.example"))]),
    );
    assert_eq!(
        people_of(&mut store, "t9"),
        BTreeSet::from([("trello".to_owned(), "t9".to_owned())])
    );
}

#[test]
fn seats_count_people_once_and_take_usage_from_any_connector() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let today = date!(2026 - 11 - 24);
    sync(
        &mut store,
        "admin",
        &Reported {
            accounts: vec![account("a"), account("b"), account("c")],
            licenses: vec![
                licence("a", "jira-software", true),
                licence("b", "jira-software", true),
                licence("c", "jira-software", false),
            ],
            usage: vec![
                used("a", "jira-software", "2026-11-20"),
                used("b", "jira-software", "2026-07-01"),
                used("b", "confluence", "2026-11-23"),
            ],
            ..Reported::default()
        },
    );
    sync(
        &mut store,
        "jira",
        &Reported {
            accounts: vec![account("a")],
            products: vec![Product {
                name: "Jira Software".into(),
                seats_used: Some(2),
                ..product("jira-software", None, 4)
            }],
            licenses: vec![licence("a", "jira-software", true)],
            ..Reported::default()
        },
    );
    let prices = crate::reports::Prices::from([("jira-software".to_owned(), 10.0)]);
    let lines = crate::reports::licences(&mut store, &prices, today).unwrap();
    assert_eq!(
        lines,
        [crate::reports::ProductLine {
            seats: crate::store::ProductSeats {
                instance: ProductInstance {
                    product: "jira-software".into(),
                    instance: None,
                    name: "Jira Software".into(),
                    url: None,
                    sandbox: None,
                },
                seats_bought: Some(4),
                assigned: 3,
                billable: 2,
                active_30: 1,
                active_90: 1,
                never_active: 0,
                holders_unknown: false,
                not_visible: None,
            },
            is_total: false,
            utilisation: Some(0.25),
            monthly_cost: Some(40.0),
        }]
    );
    let idle_b = idle(&mut store, today - time::Duration::days(30), None, &prices);
    assert_eq!(idle_b.len(), 1, "{idle_b:?}");
    assert_eq!(idle_b[0].account_id, "b");
    assert_eq!(idle_b[0].email.as_deref(), Some("b@acme.example"));
    assert_eq!(idle_b[0].last_active, Some(date!(2026 - 07 - 01)));
    assert!(
        idle(
            &mut store,
            today - time::Duration::days(30),
            Some("confluence"),
            &prices
        )
        .is_empty()
    );
    let person = store.person("b").unwrap().unwrap();
    assert_eq!(person.len(), 1);
    let held = person[0].licence.as_ref().unwrap();
    assert_eq!(held.instance.product, "jira-software");
    assert_eq!(held.last_active, Some(date!(2026 - 07 - 01)));
}

#[test]
fn accounts_stream_in_order_through_every_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let mut suspended = with_email("s", Some("Sam@acme.example"));
    suspended.status = AccountStatus::Suspended;
    suspended.display_name = Some("Sämi Ärn".into());
    sync(
        &mut store,
        "admin",
        &Reported {
            accounts: vec![account("a"), suspended, account("b")],
            licenses: vec![licence("b", "confluence", true)],
            ..Reported::default()
        },
    );
    sync(
        &mut store,
        "jira",
        &Reported {
            accounts: vec![account("a")],
            ..Reported::default()
        },
    );
    let mut listed = |filter: AccountFilter| {
        let mut ids = Vec::new();
        store
            .each_account(&filter, &mut |a| {
                ids.push(format!("{}/{}", a.connector, a.id));
                ControlFlow::Continue(())
            })
            .unwrap();
        ids
    };
    assert_eq!(
        listed(AccountFilter::default()),
        ["admin/a", "admin/s", "admin/b", "jira/a"]
    );
    let only = |f: fn(&mut AccountFilter)| {
        let mut filter = AccountFilter::default();
        f(&mut filter);
        filter
    };
    assert_eq!(
        listed(only(|f| f.connector = Some("jira".into()))),
        ["jira/a"]
    );
    assert_eq!(
        listed(only(|f| f.status = Some("suspended".into()))),
        ["admin/s"]
    );
    assert_eq!(
        listed(only(|f| f.product = Some("confluence".into()))),
        ["admin/b"]
    );
    assert_eq!(listed(only(|f| f.search = Some("ÄRN".into()))), ["admin/s"]);
    assert_eq!(
        listed(only(|f| f.search = Some("sam@".into()))),
        ["admin/s"]
    );
    let mut first = Vec::new();
    store
        .each_account(&AccountFilter::default(), &mut |a| {
            first.push(a.id);
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(first, ["a"], "a break stops the stream");
}

#[test]
fn idle_seats_come_dearest_first_then_longest_idle() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let ids = ["p", "q", "r", "s"];
    sync(
        &mut store,
        "admin",
        &Reported {
            accounts: ids.iter().map(|id| account(id)).collect(),
            licenses: vec![
                licence("p", "cheap", true),
                licence("q", "dear", true),
                licence("r", "dear", true),
                licence("s", "free", true),
                licence("p", "free", true),
                licence("q", "cheap", false),
            ],
            usage: vec![
                used("q", "dear", "2026-01-05"),
                used("p", "free", "2026-02-01"),
                used("p", "cheap", "2026-11-20"),
            ],
            ..Reported::default()
        },
    );
    let prices = Prices::from([("dear".to_owned(), 20.0), ("cheap".to_owned(), 2.0)]);
    let order: Vec<(String, String)> = idle(&mut store, date!(2026 - 06 - 01), None, &prices)
        .into_iter()
        .map(|s| (s.instance.product.clone(), s.account_id))
        .collect();
    let expected = [("dear", "r"), ("dear", "q"), ("free", "s"), ("free", "p")]
        .map(|(p, a)| (p.to_owned(), a.to_owned()));
    assert_eq!(order, expected, "the recent and the unbilled are not idle");
    let mut first = Vec::new();
    store
        .idle_seats(
            date!(2026 - 06 - 01),
            None,
            &|i| prices.get(&i.product).copied().unwrap_or(0.0),
            &mut |s| {
                first.push(s.account_id);
                ControlFlow::Break(())
            },
        )
        .unwrap();
    assert_eq!(first, ["r"]);
}

#[test]
fn instances_are_counted_apart_and_unnamed_ones_join_their_products_one_instance() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let today = date!(2026 - 11 - 24);
    let ari = |site: &str| format!("ari:cloud:jira-software::site/{site}");
    let (main, eu, sandbox) = (ari("acme"), ari("acme-eu"), ari("acme-sandbox"));
    sync(
        &mut store,
        "admin",
        &Reported {
            accounts: ["a", "b", "c"].map(account).to_vec(),
            products: vec![
                product("jira-software", Some(&main), 10),
                product("jira-software", Some(&eu), 5),
                product("jira-software", Some(&sandbox), 10),
                product("confluence", Some("ari:cloud:confluence::site/acme"), 3),
            ],
            licenses: vec![
                licence_on("a", "jira-software", &main, true),
                licence_on("b", "jira-software", &main, true),
                licence_on("a", "jira-software", &eu, true),
                licence_on("a", "jira-software", &sandbox, false),
                licence_on("c", "confluence", "ari:cloud:confluence::site/acme", true),
            ],
            usage: vec![
                used_on("a", "jira-software", &main, "2026-11-20"),
                used_on("a", "jira-software", &eu, "2026-01-20"),
            ],
        },
    );
    // A connector built against 0.1.0 names no instance: its Confluence
    // licence and usage fall on the one Confluence instance there is.
    sync(
        &mut store,
        "old",
        &Reported {
            accounts: vec![account("c")],
            licenses: vec![licence("c", "confluence", true)],
            usage: vec![used("c", "confluence", "2026-11-23")],
            ..Reported::default()
        },
    );
    let prices = Prices::from([
        ("jira-software".to_owned(), 8.0),
        (format!("jira-software@{eu}"), 9.0),
    ]);
    let lines = crate::reports::licences(&mut store, &prices, today).unwrap();
    type Shown = (String, Option<String>, u32, u32, u32, Option<f64>, bool);
    let shown: Vec<Shown> = lines
        .iter()
        .map(|l| {
            let s = &l.seats;
            (
                s.instance.product.clone(),
                s.instance.instance.clone(),
                s.assigned,
                s.billable,
                s.active_30,
                l.monthly_cost,
                l.is_total,
            )
        })
        .collect();
    let confluence = "ari:cloud:confluence::site/acme".to_owned();
    assert_eq!(
        shown,
        [
            ("confluence".into(), Some(confluence), 1, 1, 1, None, false),
            (
                "jira-software".into(),
                Some(main.clone()),
                2,
                2,
                1,
                Some(80.0),
                false
            ),
            (
                "jira-software".into(),
                Some(eu.clone()),
                1,
                1,
                0,
                Some(45.0),
                false
            ),
            (
                "jira-software".into(),
                Some(sandbox.clone()),
                1,
                0,
                0,
                Some(0.0),
                false
            ),
            ("jira-software".into(), None, 3, 3, 1, Some(125.0), true),
        ]
    );
    assert_eq!(
        lines[4].seats.seats_bought,
        Some(15),
        "the total leaves the sandbox apart"
    );
    assert_eq!(lines[3].seats.instance.sandbox, Some(true));
    // Idle: the dearest instance first; the sandbox holds no paid seat.
    let idle = idle(&mut store, today - time::Duration::days(30), None, &prices);
    let order: Vec<(Option<String>, String)> = idle
        .iter()
        .map(|s| (s.instance.instance.clone(), s.account_id.clone()))
        .collect();
    assert_eq!(order, [(Some(eu), "a".into()), (Some(main), "b".into())]);
    // One person, each instance named.
    let rows = store.person("a").unwrap().unwrap();
    let held: BTreeSet<(String, bool)> = rows
        .iter()
        .filter_map(|r| r.licence.as_ref())
        .map(|l| (l.instance.name.clone(), l.billable))
        .collect();
    assert_eq!(held.len(), 3, "{held:?}");
    assert!(
        held.iter()
            .any(|(name, billable)| name.contains("acme-sandbox") && !billable)
    );
}

#[test]
fn processes_opening_a_new_store_at_once_all_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let openers: Vec<_> = (0..8)
        .map(|_| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                SqliteStore::open(&path).map(|_| ())
            })
        })
        .collect();
    for opener in openers {
        opener.join().unwrap().expect("the store opens");
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn holders_an_upstream_counts_but_no_connector_lists_are_recorded_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    let today = date!(2026 - 11 - 24);
    let jira = Reported {
        accounts: vec![account("a"), account("b")],
        products: vec![Product {
            seats_used: Some(3),
            ..product("jira-software", None, 10)
        }],
        // `b` holds it without being billable: not one of the seats.
        licenses: vec![
            licence("a", "jira-software", true),
            licence("b", "jira-software", false),
        ],
        ..Reported::default()
    };
    sync(&mut store, "jira", &jira);
    let run = store.runs().unwrap().remove(0);
    assert_eq!(
        run.unseen,
        [Unseen {
            product: "jira-software".into(),
            instance: None,
            counted: 3,
            found: 1,
        }]
    );
    assert_eq!(run.unseen[0].missing(), 2);
    let not_visible = |store: &mut SqliteStore| store.product_seats(today).unwrap()[0].not_visible;
    assert_eq!(not_visible(&mut store), Some(2));

    // Another connector that sees one of them leaves one not visible.
    let admin = Reported {
        accounts: vec![account("a"), account("c")],
        licenses: vec![
            licence("a", "jira-software", true),
            licence("c", "jira-software", true),
        ],
        ..Reported::default()
    };
    sync(&mut store, "admin", &admin);
    assert_eq!(not_visible(&mut store), Some(1));

    // A run that agrees with its upstream records nothing.
    let agreeing = Reported {
        products: vec![Product {
            seats_used: Some(1),
            ..product("jira-software", None, 10)
        }],
        ..jira
    };
    sync(&mut store, "jira", &agreeing);
    assert_eq!(store.runs().unwrap()[0].unseen, []);
    assert_eq!(not_visible(&mut store), None);
}

fn audit_entry(step: u32, phase: crate::store::AuditPhase) -> crate::store::AuditEntry {
    crate::store::AuditEntry {
        actor: "ops".into(),
        plan: "p1".into(),
        step,
        connector: "jira".into(),
        action: "revoke".into(),
        target: "a1 jira-software".into(),
        person: Some("ana@acme.example".into()),
        phase,
        summary: format!("step {step}"),
        requests: vec![roster_sandbox::Write {
            method: "DELETE".into(),
            url: "https://acme.atlassian.net/rest/api/3/group/user?accountId=a1".into(),
            body: None,
        }],
        error: None,
    }
}

#[test]
fn the_audit_log_is_append_only_and_verify_names_the_first_record_that_does_not_chain() {
    use crate::store::{AuditFilter, AuditPhase};
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    for step in 0..4 {
        let record = store
            .append_audit(&audit_entry(step, AuditPhase::Started))
            .unwrap();
        assert_eq!(record.seq, i64::from(step) + 1);
    }
    assert_eq!(store.verify_audit().unwrap(), None);
    let mut listed = Vec::new();
    let filter = AuditFilter {
        person: Some("ANA@acme.example".into()),
        ..AuditFilter::default()
    };
    store
        .each_audit(&filter, &mut |r| {
            listed.push(r);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[1].entry, audit_entry(1, AuditPhase::Started));

    let refused = store
        .conn()
        .execute("UPDATE audit SET summary = 'nothing' WHERE seq = 2", [])
        .unwrap_err();
    assert!(refused.to_string().contains("append-only"), "{refused}");
    assert!(
        store
            .conn()
            .execute("DELETE FROM audit WHERE seq = 4", [])
            .is_err()
    );

    // Someone who drops the guard and edits a record is found out.
    store
        .conn()
        .execute_batch(
            "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
             UPDATE audit SET summary = 'nothing to see' WHERE seq = 2;",
        )
        .unwrap();
    let broken = store.verify_audit().unwrap().expect("the edit is found");
    assert_eq!(broken.seq, 2);
    assert!(broken.why.contains("edited"), "{}", broken.why);

    // Restoring the text but removing a record breaks the chain after it.
    store
        .conn()
        .execute_batch(
            "UPDATE audit SET summary = 'step 1' WHERE seq = 2; DELETE FROM audit WHERE seq = 3;",
        )
        .unwrap();
    let broken = store.verify_audit().unwrap().expect("the removal is found");
    assert_eq!(broken.seq, 4);
    assert!(broken.why.contains("removed"), "{}", broken.why);
}
