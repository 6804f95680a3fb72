//! Connectors built against an older contract keep working: a component
//! built against `roster:connector@0.1.0` loads beside the built-in 0.2.0
//! connectors, talks through the 0.1.0 imports, syncs, is reported on,
//! and is provisioned through the host's adapter.

use roster_app::builtin;
use roster_app::reports;
use roster_app::store::sqlite::SqliteStore;
use roster_app::store::{RunStatus, StoreWorker};
use roster_app::sync::{self, Silent};
use roster_sandbox::contract::{AccessChange, AccessTarget, Action, OutcomeStatus, ProductRef};
use roster_sandbox::{NetworkPolicy, Runtime, RuntimeOptions, SessionOptions};
use roster_tests::components::CONTRACT_0_1;
use roster_tests::server::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_1_0_connector_loads_syncs_reports_and_provisions_beside_0_2_0_ones() {
    let runtime = Runtime::new(RuntimeOptions {
        network: NetworkPolicy {
            allow_private: true,
        },
        ..RuntimeOptions::default()
    })
    .unwrap();
    let old = runtime
        .load_bytes(CONTRACT_0_1)
        .await
        .expect("the 0.1.0 component loads");
    assert_eq!(old.contract_version(), "0.1.0");
    assert!(old.manifest().raw().read_only_posts.is_empty());
    for (id, bytes) in builtin::all() {
        let new = runtime
            .load_bytes(bytes)
            .await
            .expect("a built-in loads beside it");
        assert_eq!(new.contract_version(), "0.2.0", "{id}");
    }

    // The 0.1.0 imports: a request with the credential, and a log line.
    let server = TestServer::start().await.unwrap();
    let config = json!({ "base_url": server.url(), "api_key": "k3y-of-the-old-one" });
    let mut session = runtime
        .open(&old, &config, SessionOptions::default())
        .await
        .expect("it opens");
    let report = session.check().await.expect("its check passes");
    assert_eq!(report.principal.as_deref(), Some("status 200"));
    assert!(report.credentials.is_empty());
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer k3y-of-the-old-one")
    );

    // Its records name no instance: its product's one.
    let products = session.products().await.unwrap();
    assert_eq!(products.len(), 1);
    assert_eq!(
        (products[0].key.as_str(), &products[0].instance),
        ("widgets", &None)
    );
    let licences = session.licenses(None).await.unwrap();
    assert!(
        licences
            .items
            .iter()
            .all(|l| l.product.key == "widgets" && l.product.instance.is_none())
    );

    // A sync and the reports.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let worker = StoreWorker::spawn(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    let synced = sync::sync(&worker.handle(), &mut [session], "old", false, &Silent)
        .await
        .expect("it syncs");
    assert_eq!(synced.run.status, RunStatus::Completed);
    let mut store = worker.finish();
    let today = time::macros::date!(2026 - 11 - 24);
    let lines = reports::licences(&mut *store, &reports::Prices::new(), today).unwrap();
    assert_eq!(lines.len(), 1);
    let seats = &lines[0].seats;
    assert_eq!(seats.instance.product, "widgets");
    assert_eq!(seats.instance.instance, None);
    assert_eq!(seats.instance.name, "Widgets");
    assert_eq!(seats.seats_bought, Some(20));
    assert_eq!((seats.assigned, seats.billable), (13, 13));
    // Usage on every third account, all in November: licences of 0, 6,
    // 12, 18 and 24 were used within 30 days.
    assert_eq!(seats.active_30, 5);
    assert_eq!(seats.never_active, 8);
    let person = store.person("old-006").unwrap().unwrap();
    let held = person[0].licence.as_ref().unwrap();
    assert_eq!(held.instance.product, "widgets");
    assert!(held.last_active.is_some());

    // Provisioning reaches it in its own version's terms: an instance it
    // cannot name is dropped, the product's key kept.
    let mut session = runtime
        .open(&old, &config, SessionOptions::default())
        .await
        .unwrap();
    let grant = Action::Grant(AccessChange {
        account_id: "old-001".into(),
        target: AccessTarget::Product(ProductRef::on("widgets", "ari:cloud:widgets::site/1")),
    });
    let planned = session.provision(&grant, true).await.unwrap();
    assert_eq!(planned.status, OutcomeStatus::Planned);
    assert_eq!(planned.summary, "change product widgets");
    assert_eq!(planned.account_id.as_deref(), Some("old-001"));
}
