use super::*;
use crate::contract::{AccountKind, AccountStatus};

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

fn count(store: &Store, connector: &str, generation: i64) -> i64 {
    store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM accounts WHERE connector = ?1 AND generation = ?2",
            params![connector, generation],
            |r| r.get(0),
        )
        .unwrap()
}

fn current(store: &Store, connector: &str) -> Option<i64> {
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
    let mut store = Store::open(&dir.path().join("roster.db")).unwrap();
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
            stream: StreamName::Accounts,
            cursor: Some("1".into()),
            items: 1,
            pages: 1,
            done: false
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
    assert_eq!(runs[0].counts, [(StreamName::Accounts, 2)]);
    assert_eq!(runs[1].status, RunStatus::Completed);
}

#[test]
fn a_duplicate_id_fails_the_page_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("roster.db")).unwrap();
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
        let mut store = Store::open(&path).unwrap();
        let run = store.begin_run("jira").unwrap();
        store
            .write_page(&run, PageRows::Accounts(&[account("a")]), None)
            .unwrap();
        store.complete_run(&run).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(current(&store, "jira"), Some(1));
    store
        .conn()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
}

#[test]
fn connectors_sync_at_once_through_their_own_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    Store::open(&path).unwrap();
    let writers: Vec<_> = ["admin", "jira"]
        .into_iter()
        .map(|connector| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
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
    let store = Store::open(&path).unwrap();
    assert_eq!(current(&store, "admin"), Some(40));
    assert_eq!(current(&store, "jira"), Some(40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_thread_runs_every_job_from_every_handle_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let worker = StoreWorker::spawn(Store::open(&path).unwrap()).unwrap();
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
        let mut store = Store::open(&path).unwrap();
        let run = store.begin_run("jira").unwrap();
        store
            .write_page(&run, PageRows::Accounts(&[account("a")]), Some("2"))
            .unwrap();
        run
    };
    let mut store = Store::open(&path).unwrap();
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
    let store = Store::open(&path).unwrap();
    let version: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(count(&store, "jira", 1), 1);
    let snapshot = crate::report::Snapshot::load(&store).unwrap();
    assert_eq!(snapshot.licenses.len(), 1);
}
