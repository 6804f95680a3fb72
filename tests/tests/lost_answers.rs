//! A write whose answer is lost after the upstream applied it (the
//! connection drops before the answer's body): the host does not send it
//! again, the connector reads the target back, and the action is reported
//! applied, by every built-in connector that writes.

use atlassian_sim::{AccountType, Behaviour, Org, Simulator, Status};
use roster_sandbox::Session;
use roster_sandbox::contract::{AccessTarget, Action, OutcomeStatus};
use roster_tests::harness::{self, change};

async fn session(sim: &Simulator, id: &str) -> Session {
    let runtime = harness::runtime(4);
    let connector = harness::connector(&runtime, id).await;
    let config = sim
        .connector_config(id)
        .expect("the simulator configures it");
    harness::open(&runtime, &connector, &config).await
}

/// Applies `action` and checks it was sent once, lost its answer, and was
/// reported applied.
async fn apply_once(sim: &Simulator, session: &mut Session, action: Action) {
    sim.clear_requests();
    let outcome = session
        .provision(&action, false)
        .await
        .unwrap_or_else(|e| panic!("{action:?}: {e}"));
    assert_eq!(outcome.status, OutcomeStatus::Applied, "{action:?}");
    let writes: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.status)
        .collect();
    assert_eq!(writes, [0], "{action:?}: sent once, its answer lost");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_whose_answer_is_lost_is_sent_once_and_read_back() {
    let behaviour = Behaviour {
        write_resets: 1.0,
        ..Behaviour::default()
    };
    let sim = harness::simulator(300, 9, behaviour).await;
    let (active, group) = {
        let org = sim.org();
        let design = org.group_by_name("design").expect("a department group");
        let person = org
            .people
            .iter()
            .enumerate()
            .find(|&(i, p)| {
                i != org.admin
                    && i != org.user
                    && p.account_type == AccountType::Atlassian
                    && p.status == Status::Active
                    && !p.groups.contains(&design)
            })
            .map(|(_, p)| p.account_id.clone())
            .expect("an active person outside the group");
        (person, org.groups[design].clone())
    };
    let in_group = |org: &Org| {
        let g = org.group_by_id(&group.id).expect("the group exists");
        org.person(&active).is_some_and(|p| p.groups.contains(&g))
    };

    let mut jira = session(&sim, "jira").await;
    let grant = Action::Grant(change(&active, AccessTarget::Group(group.id.clone())));
    apply_once(&sim, &mut jira, grant).await;
    assert!(in_group(&sim.org()));

    let mut admin = session(&sim, "atlassian-admin").await;
    let revoke = Action::Revoke(change(&active, AccessTarget::Group(group.id.clone())));
    apply_once(&sim, &mut admin, revoke).await;
    assert!(!in_group(&sim.org()));
    apply_once(&sim, &mut admin, Action::Suspend(active.clone())).await;
    let status = sim.org().person(&active).map(|p| p.status);
    assert_eq!(status, Some(Status::Suspended));
}
