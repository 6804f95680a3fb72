//! The page loop refuses the paging mistakes connectors make most often,
//! naming the connector and the stream, instead of storing a short or
//! doubled list; the previous snapshot stays current.

use roster_app::store::sqlite::SqliteStore;
use roster_app::store::{AccountFilter, RunStatus, Store, StoreHandle, StoreWorker};
use roster_app::sync::{self, Silent, SyncError};
use roster_sandbox::{HttpLimits, NetworkPolicy, Runtime, RuntimeOptions, SessionOptions};
use roster_tests::components::HOSTILE;
use roster_tests::server::TestServer;
use serde_json::{Value, json};
use std::ops::ControlFlow;
use std::time::Duration;

async fn sync_with(attack: &str, store: &StoreHandle) -> Result<sync::Synced, SyncError> {
    let config =
        json!({ "base_url": "http://127.0.0.1:9", "api_key": "k3y-value", "attack": attack });
    sync_config(config, store).await
}

/// Syncs the hostile connector with `config`, the host's backoff short.
async fn sync_config(config: Value, store: &StoreHandle) -> Result<sync::Synced, SyncError> {
    let runtime = Runtime::new(RuntimeOptions {
        network: NetworkPolicy {
            allow_private: true,
        },
        http: HttpLimits {
            backoff_base: Duration::from_millis(2),
            ..HttpLimits::default()
        },
        ..RuntimeOptions::default()
    })
    .unwrap();
    let connector = runtime.load_bytes(HOSTILE).await.unwrap();
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
    let worker = store_worker(&path);
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

/// A store writer on the file at `path`.
fn store_worker(path: &std::path::Path) -> StoreWorker {
    StoreWorker::spawn(Box::new(SqliteStore::open(path).unwrap())).unwrap()
}

/// A sync reading `target` on `server` with the `read` attack.
async fn sync_reading(
    server: &TestServer,
    target: &str,
    store: &StoreHandle,
) -> Result<sync::Synced, SyncError> {
    let url = server.url();
    let config = json!({
        "base_url": url, "api_key": "k3y-value", "attack": "read",
        "target": format!("{url}{target}"),
    });
    sync_config(config, store).await
}

#[tokio::test]
async fn a_page_call_that_failed_transiently_is_made_again_and_the_run_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let worker = store_worker(&dir.path().join("r.db"));
    let server = TestServer::start().await.unwrap();
    // The host gives up after 7 attempts; the call made again gets the
    // answer on its third.
    let synced = sync_reading(
        &server,
        "/failing?key=a&times=9&status=500",
        &worker.handle(),
    )
    .await
    .unwrap();
    assert_eq!(synced.run.status, RunStatus::Completed);
    assert_eq!(server.seen().len(), 10);
    assert_eq!(synced.run.retries.requests, 6 + 2);
    assert_eq!(synced.run.retries.calls, 1);
}

#[tokio::test]
async fn a_stream_that_keeps_failing_names_the_request_the_host_gave_up_on() {
    let dir = tempfile::tempdir().unwrap();
    let worker = store_worker(&dir.path().join("r.db"));
    let server = TestServer::start().await.unwrap();
    let err = sync_reading(
        &server,
        "/failing?key=b&times=1000&status=502",
        &worker.handle(),
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    let request = format!("GET http://127.0.0.1:{}/failing", server.port());
    assert!(
        message.starts_with("connector `hostile`, stream `accounts`: upstream error 502"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "(the host: {request}: gave up after 7 attempts (answered 502))"
        )),
        "{message}"
    );
    assert_eq!(
        server.seen().len(),
        5 * 7,
        "4 more calls of 7 attempts each"
    );
    let store = SqliteStore::open(&dir.path().join("r.db")).unwrap();
    let run = &store.runs().unwrap()[0];
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!((run.retries.requests, run.retries.calls), (5 * 6, 4));
}

#[tokio::test]
async fn a_sync_whose_credentials_may_read_no_stream_fails_and_keeps_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let worker = store_worker(&path);
    let good = sync_with("nothing", &worker.handle()).await.unwrap();
    let server = TestServer::start().await.unwrap();
    let err = sync_reading(
        &server,
        "/failing?key=a&times=99&status=403",
        &worker.handle(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, SyncError::NothingReadable { .. }),
        "expected nothing readable: {err}"
    );
    assert_eq!(
        err.to_string(),
        "connector `hostile`: the credentials may read none of its streams: accounts: try again"
    );
    assert_eq!(server.seen().len(), 1, "a refusal is not retried");
    let store = SqliteStore::open(&path).unwrap();
    let runs = store.runs().unwrap();
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert_eq!(
        runs[0].skipped,
        [(
            roster_sandbox::contract::Stream::Accounts,
            "try again".to_owned()
        )]
    );
    assert_eq!(store.current_skips().unwrap(), []);
    assert_eq!(runs[1].id, good.run.id, "the good run is still current");
}
