//! End-to-end harness: the Atlassian simulator on loopback, a runtime that
//! may reach it, a built-in connector opened against it, page loops that
//! drain a stream the way a sync does, refusing the paging mistakes a
//! connector can make, and the dry run → apply → repeat check every
//! provisioning action must pass.

use atlassian_sim::{Behaviour, Org, SimOptions, Simulator};
use roster_app::builtin;
use roster_app::store::{RunStatus, StoreHandle};
use roster_app::sync::{self, Silent};
use roster_sandbox::contract::{
    AccessChange, AccessTarget, Account, Action, ConnectorError, License, Outcome, OutcomeStatus,
    Usage,
};
use roster_sandbox::{
    BudgetLimits, CallError, Component, Limits, NetworkPolicy, Runtime, RuntimeOptions, Session,
    SessionOptions,
};
use std::collections::HashSet;

/// The fixed clock of the simulated organisations (so that ground truth
/// never moves between runs).
pub const NOW: time::OffsetDateTime = time::macros::datetime!(2026-11-24 12:00 UTC);

/// A simulator with `people` accounts, seed `seed`, behaving as told.
pub async fn simulator(people: usize, seed: u64, behaviour: Behaviour) -> Simulator {
    Simulator::start(SimOptions {
        seed,
        people,
        behaviour,
        now: Some(NOW),
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts")
}

/// A runtime allowed to reach loopback, with `concurrency` requests in
/// flight per upstream.
pub fn runtime(concurrency: usize) -> Runtime {
    runtime_with(concurrency, Limits::default())
}

/// [`runtime`], each call under `limits`.
pub fn runtime_with(concurrency: usize, limits: Limits) -> Runtime {
    Runtime::new(RuntimeOptions {
        network: NetworkPolicy {
            allow_private: true,
        },
        budget: BudgetLimits {
            concurrency,
            ..BudgetLimits::default()
        },
        limits,
        ..RuntimeOptions::default()
    })
    .expect("the runtime starts")
}

/// The built-in connector `id`, loaded.
pub async fn connector(runtime: &Runtime, id: &str) -> Component {
    let bytes = builtin::get(id).unwrap_or_else(|| panic!("no built-in connector `{id}`"));
    runtime
        .load_bytes(bytes)
        .await
        .expect("the connector loads")
}

/// Opens a session of `connector` with `config`.
pub async fn open(runtime: &Runtime, connector: &Component, config: &serde_json::Value) -> Session {
    runtime
        .open(connector, config, SessionOptions::default())
        .await
        .unwrap_or_else(|e| panic!("the session opens: {e}"))
}

/// The config of a built-in connector against the simulator. A built-in
/// the simulator has no config for fails the test, so that a new
/// connector gets one.
pub fn builtin_config(id: &str, sim: &Simulator) -> serde_json::Value {
    sim.connector_config(id).unwrap_or_else(|| {
        panic!(
            "no config for the built-in connector `{id}`: add one to atlassian_sim::roster_config"
        )
    })
}

/// Syncs every built-in connector into `store`, each reading all its
/// streams at once (one session per stream), as `roster sync` does.
pub async fn sync_builtins(sim: &Simulator, store: &StoreHandle) {
    let ids: Vec<&str> = builtin::all().iter().map(|(id, _)| *id).collect();
    sync_connectors(sim, store, &ids).await;
}

/// Syncs the built-in connectors `ids` into `store`, as
/// [`sync_builtins`] does.
pub async fn sync_connectors(sim: &Simulator, store: &StoreHandle, ids: &[&str]) {
    let runtime = runtime(8);
    for &id in ids {
        let connector = connector(&runtime, id).await;
        let config = builtin_config(id, sim);
        let first = open(&runtime, &connector, &config).await;
        let mut sessions = vec![first];
        for _ in 1..sync::streams_of(&sessions[0]).len() {
            sessions.push(open(&runtime, &connector, &config).await);
        }
        let synced = sync::sync(store, &mut sessions, id, false, &Silent)
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(synced.run.status, RunStatus::Completed, "{id}");
    }
}

/// Pages of a stream: each call takes the cursor and returns the items and
/// the next cursor.
pub struct Drained<T> {
    /// Every item, in order.
    pub items: Vec<T>,
    /// Calls made.
    pub pages: usize,
}

/// Most pages a drained stream may take before the loop calls it runaway.
const MAX_PAGES: usize = 100_000;

macro_rules! drain {
    ($name:ident, $method:ident, $item:ty) => {
        /// Drains the stream to its end, failing on a repeated cursor.
        pub async fn $name(session: &mut Session) -> Result<Drained<$item>, CallError> {
            let mut items = Vec::new();
            let mut cursor: Option<String> = None;
            let mut seen = HashSet::new();
            let mut pages = 0;
            loop {
                let page = session.$method(cursor.as_deref()).await?;
                pages += 1;
                items.extend(page.items);
                match page.next_cursor {
                    None => return Ok(Drained { items, pages }),
                    Some(next) => {
                        assert!(
                            seen.insert(next.clone()),
                            "cursor `{next}` repeated: the stream would never end"
                        );
                        assert!(pages < MAX_PAGES, "more than {MAX_PAGES} pages");
                        cursor = Some(next);
                    }
                }
            }
        }
    };
}

drain!(accounts, accounts, Account);
drain!(licenses, licenses, License);
drain!(usage, usage, Usage);

/// Runs `action` as a dry run, for real, and again: planned without a
/// write, applied with the change `done` sees, then unchanged. Returns the
/// applied outcome.
pub async fn plan_apply_repeat(
    sim: &Simulator,
    session: &mut Session,
    action: Action,
    done: impl Fn(&Org) -> bool,
) -> Outcome {
    assert!(!done(&sim.org()), "{action:?}: not done before");
    sim.clear_requests();
    let planned = session.provision(&action, true).await.expect("dry run");
    assert_eq!(planned.status, OutcomeStatus::Planned, "{action:?}");
    assert!(!planned.requests.is_empty());
    assert!(
        sim.requests().iter().all(|r| !r.is_write()),
        "{action:?}: a dry run writes nothing"
    );
    assert!(!done(&sim.org()), "{action:?}: not done by the dry run");

    let applied = session.provision(&action, false).await.expect("apply");
    assert_eq!(applied.status, OutcomeStatus::Applied, "{action:?}");
    let sent = |o: &Outcome| {
        o.requests
            .iter()
            .map(|r| (r.method.clone(), r.url.clone(), r.body.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(sent(&applied), sent(&planned), "{action:?}: as planned");
    assert!(done(&sim.org()), "{action:?}: done");

    sim.clear_requests();
    let repeated = session.provision(&action, false).await.expect("repeat");
    assert_eq!(
        repeated.status,
        OutcomeStatus::Unchanged,
        "{action:?}: {}",
        repeated.summary
    );
    assert!(repeated.requests.is_empty());
    assert!(sim.requests().iter().all(|r| !r.is_write()));
    applied
}

/// Runs each of `actions` as a dry run: each must fail as not found, and
/// nothing may be written.
pub async fn all_not_found(sim: &Simulator, session: &mut Session, actions: &[Action]) {
    for action in actions {
        let err = session.provision(action, true).await.unwrap_err();
        assert!(
            matches!(err, CallError::Connector(ConnectorError::NotFound(_))),
            "{action:?}: {err}"
        );
    }
    assert!(sim.requests().iter().all(|r| !r.is_write()));
}

/// A grant or revoke of `target` for `account_id`.
pub fn change(account_id: &str, target: AccessTarget) -> AccessChange {
    AccessChange {
        account_id: account_id.to_owned(),
        target,
    }
}

/// Grants `group` to `account_id` by the group's id, then revokes it by
/// its name, each through [`plan_apply_repeat`]: every connector that
/// manages groups must accept both forms.
pub async fn group_by_id_then_by_name(
    sim: &Simulator,
    session: &mut Session,
    account_id: &str,
    group: &atlassian_sim::Group,
) {
    let member = |org: &Org| {
        let g = org.group_by_id(&group.id).expect("the group exists");
        org.person(account_id)
            .is_some_and(|p| p.groups.contains(&g))
    };
    plan_apply_repeat(
        sim,
        session,
        Action::Grant(change(account_id, AccessTarget::Group(group.id.clone()))),
        member,
    )
    .await;
    plan_apply_repeat(
        sim,
        session,
        Action::Revoke(change(account_id, AccessTarget::Group(group.name.clone()))),
        |org| !member(org),
    )
    .await;
}
