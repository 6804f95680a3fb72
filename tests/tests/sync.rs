//! The page loop refuses the paging mistakes connectors make most often,
//! naming the connector and the stream, instead of storing a short or
//! doubled list; the previous snapshot stays current.

use roster_app::store::sqlite::SqliteStore;
use roster_app::store::{AccountFilter, RunStatus, Store, StoreHandle, StoreWorker};
use roster_app::sync::{self, Silent, SyncError};
use roster_sandbox::{NetworkPolicy, Runtime, RuntimeOptions, SessionOptions};
use roster_tests::components::HOSTILE;
use serde_json::json;
use std::ops::ControlFlow;

async fn sync_with(attack: &str, store: &StoreHandle) -> Result<sync::Synced, SyncError> {
    let runtime = Runtime::new(RuntimeOptions {
        network: NetworkPolicy {
            allow_private: true,
        },
        ..RuntimeOptions::default()
    })
    .unwrap();
    let connector = runtime.load_bytes(HOSTILE).await.unwrap();
    let config =
        json!({ "base_url": "http://127.0.0.1:9", "api_key": "k3y-value", "attack": attack });
    let session = runtime
        .open(&connector, &config, SessionOptions::default())
        .await
        .unwrap();
    sync::sync(store, &mut [session], "hostile", false, &Silent).await
}

#[tokio::test]
async fn paging_mistakes_fail_the_run_and_keep_the_previous_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let worker = StoreWorker::spawn(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    let writer = worker.handle();
    let mut store = SqliteStore::open(&path).unwrap();
    let good = sync_with("nothing", &writer).await.unwrap();
    assert_eq!(good.run.status, RunStatus::Completed);

    let cases = [
        (
            "repeat-cursor",
            "connector `hostile`, stream `accounts`: the cursor `again` came back a second time",
        ),
        (
            "empty-cursor",
            "connector `hostile`, stream `accounts`: a page came with an empty cursor",
        ),
        (
            "duplicate-ids",
            "connector `hostile` reported account `twice` twice in its `accounts` stream",
        ),
    ];
    for (attack, expected) in cases {
        let err = sync_with(attack, &writer).await.unwrap_err();
        assert!(err.to_string().starts_with(expected), "{attack}: {err}");
        let last = &store.runs().unwrap()[0];
        assert_eq!(last.status, RunStatus::Failed, "{attack}");
        assert_eq!(last.error.as_deref(), Some(err.to_string().as_str()));
    }
    let mut ids = Vec::new();
    store
        .each_account(&AccountFilter::default(), &mut |a| {
            ids.push(a.id);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(
        ids,
        ["report"],
        "the good run's snapshot is still the current one"
    );
}
